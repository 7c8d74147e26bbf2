"""Team-season risk: pure, vectorised computations over joined standings and dead cap rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

HIGH_DEAD_CAP_PCT = 15.0  # quadrant cut-off: 15% of the league cap
WINNING_PCT = 0.5  # quadrant cut-off: a .500 record

# Keyed by (dead_cap_pct >= HIGH_DEAD_CAP_PCT, win_pct >= WINNING_PCT); each name states its cut-offs.
QUADRANTS = {
    (True, False): "Cap hell (dead cap 15%+, below .500)",
    (True, True): "Winning through it (dead cap 15%+, .500 or better)",
    (False, True): "Healthy (dead cap under 15%, .500 or better)",
    (False, False): "Clean books, losing (dead cap under 15%, below .500)",
}
# The season-relative cut: the fixed 15% line puts most of the league above it in recent seasons
# (dead cap drifted up), while each season's own median always splits it in two. The win side stays
# at .500: the league's mean win % is .500 every season by construction, so it is already relative.
SEASON_QUADRANTS = {  # keyed by (dead_cap_pct >= the season's median, win_pct >= WINNING_PCT)
    (True, False): "Above median, losing (dead cap at or above the season's median, below .500)",
    (True, True): "Above median, winning (dead cap at or above the season's median, .500 or better)",
    (False, True): "Below median, winning (dead cap below the season's median, .500 or better)",
    (False, False): "Below median, losing (dead cap below the season's median, below .500)",
}
TIERS = ["low", "moderate", "high", "extreme"]

RISK_COLUMNS = [
    "season", "team", "franchise", "conference", "division", "games", "wins", "losses", "ties", "win_pct",
    "dead_money_musd", "total_cap_allocations_musd", "league_salary_cap_musd", "dead_cap_pct",
    "dead_cap_rank", "dead_cap_percentile", "dead_cap_zscore", "risk_tier", "quadrant",
    "next_season_win_pct", "next_season_win_pct_change", "season_median_dead_cap_pct", "season_quadrant",
]


def team_season_risk(joined: pd.DataFrame) -> pd.DataFrame:
    """joined: standings + dead cap columns per team-season, plus next_season_win_pct (NaN if unknown).

    Within each season: rank 1 = most dead cap; percentile = share of teams at or below this
    dead_cap_pct (0-100); z-score with the population standard deviation; tier from the season's
    quartiles and IQR fences (low <= Q1 < moderate <= Q3 < high <= Q3 + 1.5 IQR < extreme);
    quadrant against the fixed 15% / .500 lines, season_quadrant against the season's median
    dead_cap_pct (numpy's linear median) and .500.
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
    high = pct >= HIGH_DEAD_CAP_PCT
    winning = df["win_pct"] >= WINNING_PCT
    df["quadrant"] = np.select(
        [high & ~winning, high & winning, ~high & winning],
        [QUADRANTS[(True, False)], QUADRANTS[(True, True)], QUADRANTS[(False, True)]],
        default=QUADRANTS[(False, False)],
    )
    median = by_season.transform("median")
    df["season_median_dead_cap_pct"] = median
    above = pct >= median
    df["season_quadrant"] = np.select(
        [above & ~winning, above & winning, ~above & winning],
        [SEASON_QUADRANTS[(True, False)], SEASON_QUADRANTS[(True, True)], SEASON_QUADRANTS[(False, True)]],
        default=SEASON_QUADRANTS[(False, False)],
    )
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
