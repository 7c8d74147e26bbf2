"""Risk figures computed independently (numpy, scipy) from the reference facts in ../shared/data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics_tests.support.data import shared_file


def _reference() -> pd.DataFrame:
    standings = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    dead = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    cap = pd.read_csv(shared_file("reference", "nfl_league_salary_cap.csv"))
    ref = standings.merge(
        dead[["season", "franchise", "dead_money_musd"]], on=["season", "franchise"], validate="one_to_one"
    )
    ref = ref.merge(cap, on="season", validate="many_to_one")
    ref["win_pct"] = (ref["wins"] + ref["ties"] / 2) / ref["games"]
    ref["pct"] = ref["dead_money_musd"].to_numpy() / ref["salary_cap_musd"].to_numpy() * 100
    return ref


def expected_risk() -> pd.DataFrame:
    """Season by season with scipy.stats and numpy, then the next season by franchise."""
    parts = []
    for _, g in _reference().groupby("season"):
        g = g.copy()
        x = g["pct"].to_numpy()
        g["rank"] = stats.rankdata(-x, method="min")
        g["percentile"] = [stats.percentileofscore(x, v, kind="weak") for v in x]
        g["zscore"] = stats.zscore(x, ddof=0)
        q1, q3 = np.percentile(x, [25, 75])
        upper = q3 + 1.5 * (q3 - q1)
        g["tier"] = ["low" if v <= q1 else "moderate" if v <= q3 else "high" if v <= upper else "extreme" for v in x]
        g["high"] = x >= 15.0
        g["winning"] = g["win_pct"].to_numpy() >= 0.5
        # The record's side from wins against losses, and the dead-cap side against the season's median.
        g["record"] = np.where(g["wins"] < g["losses"], "losing", np.where(g["wins"] == g["losses"], ".500", "winning"))
        g["above"] = x >= np.median(x)
        parts.append(g)
    ref = pd.concat(parts)
    nxt = (
        ref[["season", "franchise", "win_pct"]]
        .assign(season=lambda d: d["season"] - 1)
        .rename(columns={"win_pct": "next"})
    )
    return ref.merge(nxt, on=["season", "franchise"], how="left")
