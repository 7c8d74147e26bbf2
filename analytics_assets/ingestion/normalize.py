"""Turn parsed source rows (in the source's own team codes) into rows of the stored tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from analytics_assets import teams

STANDINGS_COLUMNS = [
    "season",
    "team",
    "franchise",
    "conference",
    "division",
    "games",
    "wins",
    "losses",
    "ties",
    "win_pct",
    "points_for",
    "points_against",
    "source",
    "source_ref",
    "raw_sha256",
    "loaded_at",
    "cross_check",
]
DEAD_CAP_COLUMNS = [
    "season",
    "team",
    "franchise",
    "dead_money_musd",
    "total_cap_allocations_musd",
    "league_salary_cap_musd",
    "source",
    "source_ref",
    "raw_sha256",
    "loaded_at",
]
INT_COLUMNS = ["season", "games", "wins", "losses", "ties", "points_for", "points_against"]


@dataclass(frozen=True)
class Provenance:
    source: str  # embedded | live | manual | archive
    source_ref: str  # file path or URL
    raw_sha256: str
    loaded_at: datetime

    def columns(self) -> dict:
        return {
            "source": self.source,
            "source_ref": self.source_ref,
            "raw_sha256": self.raw_sha256,
            "loaded_at": pd.Timestamp(self.loaded_at).tz_convert("UTC").as_unit("us"),
        }


def _registry(df: pd.DataFrame, season: int, code_source: str) -> pd.DataFrame:
    resolved = [teams.resolve(str(code), code_source, season) for code in df["team"]]
    out = df.copy()
    out["team"] = [r.team for r in resolved]
    out["franchise"] = [r.franchise_id for r in resolved]
    out["conference"] = [r.conference for r in resolved]
    out["division"] = [r.division for r in resolved]
    return out


def _with_provenance(df: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    for name, value in provenance.columns().items():
        df[name] = value
    df["loaded_at"] = df["loaded_at"].astype("datetime64[us, UTC]")
    return df


def standings_rows(
    raw: pd.DataFrame, season: int, code_source: str, provenance: Provenance, cross_check: str | None = None
) -> pd.DataFrame:
    """raw: team, wins, losses, ties, points_for, points_against and optionally games.

    `cross_check`: for live standings, how the second source confirmed them or why it could not
    (None for embedded and manual rows, which have one source by nature).
    """
    df = _registry(raw, season, code_source)
    df["season"] = season
    if "ties" not in df:
        df["ties"] = 0
    if "games" not in df:
        df["games"] = df["wins"] + df["losses"] + df["ties"]
    # Leave types alone when a source sent something non-numeric: the schema gate names it.
    for col in INT_COLUMNS:
        if pd.api.types.is_numeric_dtype(df[col]) and df[col].notna().all() and (df[col] % 1 == 0).all():
            df[col] = df[col].astype("int64")
    numeric = all(pd.api.types.is_numeric_dtype(df[c]) for c in ("wins", "ties", "games"))
    # Unparseable records get no win_pct (NaN) rather than a guess; the gate then blocks them.
    df["win_pct"] = (
        ((df["wins"] + df["ties"] / 2) / df["games"].where(df["games"] > 0)).astype("float64")
        if numeric
        else float("nan")
    )
    df = _with_provenance(df, provenance)
    df["cross_check"] = pd.Series([cross_check] * len(df), index=df.index, dtype="object")
    return df[STANDINGS_COLUMNS].sort_values("team").reset_index(drop=True)


def dead_cap_rows(
    raw: pd.DataFrame, season: int, code_source: str, league_cap_musd: float | None, provenance: Provenance
) -> pd.DataFrame:
    """raw: team, dead_money_musd, total_cap_allocations_musd."""
    df = _registry(raw, season, code_source)
    df["season"] = season
    df["season"] = df["season"].astype("int64")
    if league_cap_musd is None:
        raise ValueError(
            f"Season {season}: dead-cap rows from {code_source} came without the league salary cap; the source must "
            f"give it."
        )
    df["league_salary_cap_musd"] = float(league_cap_musd)
    for col in ("dead_money_musd", "total_cap_allocations_musd"):
        if pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype("float64")
    df = _with_provenance(df, provenance)
    return df[DEAD_CAP_COLUMNS].sort_values("team").reset_index(drop=True)
