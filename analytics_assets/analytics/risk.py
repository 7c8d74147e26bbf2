"""Team-season risk: pure, vectorised computations over joined standings and dead cap rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

HIGH_DEAD_CAP_PCT = 15.0  # the absolute view's cut-off: 15% of the league cap
WINNING_PCT = 0.5  # the record's cut-off: a .500 record

# A record is one of three sides, decided on wins against losses (a tie counts half to each side, so
# ties cancel): an 8-8 or 8-8-1 team is ".500", neither winning nor losing, in every table, chart and text.
LOSING, AT_500, WINNING = RECORDS = ("losing", ".500", "winning")
RECORD_WORDS = {LOSING: "below .500", AT_500: "exactly .500", WINNING: "above .500"}
# Display order of the six classes of either view: high dead cap first, worst record first.
CLASS_KEYS = [(True, LOSING), (True, AT_500), (True, WINNING), (False, WINNING), (False, AT_500), (False, LOSING)]


def _season_name(above: bool, rec: str) -> str:
    side = "at or above" if above else "below"
    return f"{'Above' if above else 'Below'} median, {rec} (dead cap {side} the season's median, {RECORD_WORDS[rec]})"


def _absolute_name(high: bool, rec: str) -> str:
    short = "Cap hell" if (high, rec) == (True, LOSING) else f"{'15%+' if high else 'Under 15%'}, {rec}"
    return f"{short} (dead cap {'15% of the cap or more' if high else 'under 15% of the cap'}, {RECORD_WORDS[rec]})"


# The season-relative view, the primary one: the fixed 15% line puts most of the league above it in
# recent seasons (dead cap drifted up), while each season's own median always splits it in two (a
# team exactly at the median counts as above it). The record side needs no season adjustment: the
# league's mean win % is .500 every season by construction.
SEASON_QUADRANTS = {key: _season_name(*key) for key in CLASS_KEYS}  # keyed by (at or above the median, record side)
# The absolute view, labelled as such wherever it is shown: 15% of the cap and .500, whatever the season.
QUADRANTS = {key: _absolute_name(*key) for key in CLASS_KEYS}  # keyed by (dead_cap_pct >= 15, record side)
CAP_HELL = QUADRANTS[(True, LOSING)]
TIERS = ["low", "moderate", "high", "extreme"]

RISK_COLUMNS = [
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
    "dead_money_musd",
    "total_cap_allocations_musd",
    "league_salary_cap_musd",
    "dead_cap_pct",
    "dead_cap_rank",
    "dead_cap_percentile",
    "dead_cap_zscore",
    "risk_tier",
    "quadrant",
    "next_season_win_pct",
    "next_season_win_pct_change",
    "season_median_dead_cap_pct",
    "season_quadrant",
]


def short_name(name: str) -> str:
    """ "Above median, losing" of "Above median, losing (dead cap at or above ...)"."""
    return name.split(" (")[0]


def record_side(wins, losses) -> np.ndarray:
    """ "losing", ".500" or "winning" per team-season, from wins against losses (exact integers, no float test)."""
    wins, losses = np.asarray(wins), np.asarray(losses)
    return np.select([wins < losses, wins == losses], [LOSING, AT_500], default=WINNING).astype(object)


def classify(high, record, names: dict[tuple[bool, str], str]) -> np.ndarray:
    """The class name of each (dead-cap side, record side) pair in `names` (QUADRANTS or SEASON_QUADRANTS)."""
    return np.array([names[(bool(h), r)] for h, r in zip(np.asarray(high), np.asarray(record))], dtype=object)


def team_season_risk(joined: pd.DataFrame) -> pd.DataFrame:
    """joined: standings + dead cap columns per team-season, plus next_season_win_pct (NaN if unknown).

    Within each season: rank 1 = most dead cap; percentile = share of teams at or below this
    dead_cap_pct (0-100); z-score with the population standard deviation; tier from the season's
    quartiles and IQR fences (low <= Q1 < moderate <= Q3 < high <= Q3 + 1.5 IQR < extreme);
    season_quadrant against the season's median dead_cap_pct (numpy's linear median; at the median
    counts as above) and the record; quadrant (the absolute view) against 15% and the record.
    """
    df = joined.copy()
    df["dead_cap_pct"] = df["dead_money_musd"] / df["league_salary_cap_musd"] * 100
    by_season = df.groupby("season")["dead_cap_pct"]
    df["dead_cap_rank"] = by_season.rank(ascending=False, method="min").astype("int64")
    df["dead_cap_percentile"] = by_season.rank(method="max", pct=True) * 100
    mean, std = by_season.transform("mean"), by_season.transform("std", ddof=0)
    df["dead_cap_zscore"] = ((df["dead_cap_pct"] - mean) / std.replace(0, np.nan)).fillna(0.0)
    q1, q3 = by_season.transform("quantile", 0.25), by_season.transform("quantile", 0.75)
    fence = q3 + 1.5 * (q3 - q1)
    pct = df["dead_cap_pct"]
    df["risk_tier"] = np.select([pct <= q1, pct <= q3, pct <= fence], TIERS[:3], default=TIERS[3])
    record = record_side(df["wins"], df["losses"])
    df["quadrant"] = classify(pct >= HIGH_DEAD_CAP_PCT, record, QUADRANTS)
    median = by_season.transform("median")
    df["season_median_dead_cap_pct"] = median
    df["season_quadrant"] = classify(pct >= median, record, SEASON_QUADRANTS)
    df["next_season_win_pct"] = df["next_season_win_pct"].astype("float64")
    df["next_season_win_pct_change"] = df["next_season_win_pct"] - df["win_pct"]
    return df[RISK_COLUMNS].sort_values(["season", "team"]).reset_index(drop=True)


def coverage_failures(joined_outer: pd.DataFrame) -> list[dict]:
    """Rows of a full outer join of standings and dead cap that miss one side."""
    missing = joined_outer[joined_outer["in_standings"].isna() | joined_outer["in_dead_cap"].isna()]
    return [
        {"season": int(r.season), "team": r.team, "missing_from": "dead_cap" if pd.isna(r.in_dead_cap) else "standings"}
        for r in missing.itertuples()
    ]
