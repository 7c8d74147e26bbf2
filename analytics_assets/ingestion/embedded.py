"""The embedded facts: completed seasons' standings and dead money shipped inside the package.

Both return rows in the source's own codes; `normalize.py` maps them through the registry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "embedded"
STANDINGS_FILE = "nfl_standings_2011_2025.csv"
DEAD_MONEY_FILE = "nfl_team_dead_money_2011_2025.csv"
SALARY_CAP_FILE = "nfl_league_salary_cap.csv"


@dataclass(frozen=True)
class EmbeddedFile:
    name: str
    sha256: str
    frame: pd.DataFrame

    @property
    def ref(self) -> str:
        return f"analytics_assets/embedded/{self.name}"


@cache
def load(name: str) -> EmbeddedFile:
    raw = (EMBEDDED_DIR / name).read_bytes()
    frame = pd.read_csv(EMBEDDED_DIR / name, dtype={"season": "int64"})
    return EmbeddedFile(name, hashlib.sha256(raw).hexdigest(), frame)


def seasons_available() -> set[int]:
    return set(load(STANDINGS_FILE).frame["season"].unique().tolist())


def standings(season: int) -> tuple[pd.DataFrame, EmbeddedFile]:
    f = load(STANDINGS_FILE)
    return f.frame[f.frame["season"] == season].copy(), f


def dead_money(season: int) -> tuple[pd.DataFrame, EmbeddedFile]:
    f = load(DEAD_MONEY_FILE)
    return f.frame[f.frame["season"] == season].copy(), f


def league_salary_caps() -> dict[int, float]:
    caps = load(SALARY_CAP_FILE).frame
    return {int(s): float(c) for s, c in zip(caps["season"], caps["salary_cap_musd"], strict=True)}


def league_salary_cap(season: int) -> float | None:
    caps = load(SALARY_CAP_FILE).frame
    row = caps[caps["season"] == season]
    return float(row["salary_cap_musd"].iloc[0]) if len(row) else None
