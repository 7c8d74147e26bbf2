"""Pandera models, one per stored table: strict (no extra columns), typed, no nulls.

Only the structure is here (the `schema` rule); every other invariant is one rule in `catalog.py`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

SHA256 = r"^[0-9a-f]{64}$"


class Provenance(pa.DataFrameModel):
    source: Series[str] = pa.Field(isin=["embedded", "live", "manual", "archive"])
    source_ref: Series[str] = pa.Field(str_length={"min_value": 1})
    raw_sha256: Series[str] = pa.Field(str_matches=SHA256)
    loaded_at: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs={"unit": "us", "tz": "UTC"})


class Standings(Provenance):
    season: Series[int] = pa.Field(ge=1920)
    team: Series[str] = pa.Field(str_matches=r"^[A-Z]{2,3}$")
    franchise: Series[str] = pa.Field(str_matches=r"^[A-Z]{2,3}$")
    conference: Series[str] = pa.Field(isin=["AFC", "NFC"])
    division: Series[str] = pa.Field(str_matches=r"^(AFC|NFC) (East|North|South|West)$")
    games: Series[int] = pa.Field(ge=0, le=17)
    wins: Series[int] = pa.Field(ge=0)
    losses: Series[int] = pa.Field(ge=0)
    ties: Series[int] = pa.Field(ge=0)
    win_pct: Series[float] = pa.Field()
    points_for: Series[int] = pa.Field(ge=0)
    points_against: Series[int] = pa.Field(ge=0)
    # Live standings: the second source that confirmed them, or why the cross-check was skipped.
    # Null for embedded and manual rows, which come from one source by nature.
    cross_check: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = False
        unique = ["season", "team"]


class DeadCap(Provenance):
    season: Series[int] = pa.Field(ge=1920)
    team: Series[str] = pa.Field(str_matches=r"^[A-Z]{2,3}$")
    franchise: Series[str] = pa.Field(str_matches=r"^[A-Z]{2,3}$")
    dead_money_musd: Series[float] = pa.Field()
    total_cap_allocations_musd: Series[float] = pa.Field(gt=0.0)
    league_salary_cap_musd: Series[float] = pa.Field(gt=0.0)

    class Config:
        strict = True
        coerce = False
        unique = ["season", "team"]
