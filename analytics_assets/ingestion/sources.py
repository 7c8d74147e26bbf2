"""Source selection: which source supplies a season, returning rows in that source's codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from analytics_assets.ingestion import embedded
from analytics_assets.ingestion.normalize import Provenance
from analytics_assets.quality.catalog import SourceIdentity, ValidationReport

if TYPE_CHECKING:
    from analytics_assets.ingestion.standings_sources import CrossCheck


class NoSourceDataError(LookupError):
    """No source has data for the requested season."""


class SeasonRefused(Exception):
    """A page failed the identity rules before it was parsed (it is not the season asked for)."""

    def __init__(self, report: ValidationReport):
        super().__init__(report.summary())
        self.report = report
        self.identity: SourceIdentity | None = None  # set for a redirect, so a raw step can hand it to the core step


@dataclass(frozen=True)
class SourceRows:
    raw: pd.DataFrame  # the source's own columns, team in `code_source` codes
    code_source: str  # registry vocabulary of `raw.team` (see teams.SOURCES)
    provenance: Provenance
    league_cap_musd: float | None = None  # dead cap only
    raw_path: str | None = None  # where the raw page or file is kept (live, archive and manual sources)
    identity: SourceIdentity | None = None  # what the page said about itself (live pages)
    cross_check: str | None = None  # standings from live sources: how a second source confirmed them, or why not
    checked: CrossCheck | None = None  # the cross-check behind `cross_check`, for the rules


def _now() -> datetime:
    return datetime.now(UTC)


def has_embedded_standings(season: int) -> bool:
    return not embedded.standings(season)[0].empty


def has_embedded_dead_cap(season: int) -> bool:
    return not embedded.dead_money(season)[0].empty and embedded.league_salary_cap(season) is not None


def embedded_standings(season: int) -> SourceRows:
    rows, f = embedded.standings(season)
    if rows.empty:
        raise NoSourceDataError(
            f"No embedded standings for season {season}: the package ships {min(embedded.seasons_available())}-"
            f"{max(embedded.seasons_available())}. Use ANALYTICS_SOURCE=live (or auto) for other seasons, or drop a "
            f"CSV "
            "into the landing folder."
        )
    raw = rows[["team", "games", "wins", "losses", "ties", "points_for", "points_against"]]
    return SourceRows(raw, "nflverse", Provenance("embedded", f.ref, f.sha256, _now()))


def embedded_dead_cap(season: int) -> SourceRows:
    rows, f = embedded.dead_money(season)
    cap = embedded.league_salary_cap(season)
    if rows.empty or cap is None:
        raise NoSourceDataError(
            f"No embedded dead money for season {season}: the package ships {min(embedded.seasons_available())}-"
            f"{max(embedded.seasons_available())}. Use ANALYTICS_SOURCE=live (or auto) for other seasons, or drop a "
            f"CSV "
            "into the landing folder."
        )
    raw = rows[["team", "dead_money_musd", "total_cap_allocations_musd"]]
    return SourceRows(raw, "spotrac", Provenance("embedded", f.ref, f.sha256, _now()), league_cap_musd=cap)
