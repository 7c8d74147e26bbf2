"""League risk summary: pure computations over every stored team-season risk row.

Two results, stored as two tables by the `league_risk_summary` asset:

- per season (nfl.league_risk_summary, one row per season): the distribution of dead_cap_pct
  (min, quartiles, median, max, mean, population standard deviation, the Q3 + 1.5 IQR fence that
  separates "high" from "extreme"), the mean win_pct, Spearman's rho of dead_cap_pct against win_pct
  with its two-sided p-value, and how many teams fall in each risk tier and in cap hell;
- fits (nfl.league_risk_fit, one row): an ordinary least-squares fit of win_pct on dead_cap_pct
  over every stored team-season, with 95% confidence intervals (t distribution, n - 2 degrees of
  freedom) for slope and intercept, R squared, the slope's p-value and the pooled Spearman rho;
  beside it the season-fair fits of `season_fair` (season fixed effects, the next-season change
  given the record) with team-clustered intervals.

The slope is in win_pct (0-1) per percentage point of dead cap: -0.005 means each extra point of
the league cap in dead money goes with half a point less win %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics_assets.analytics import season_fair
from analytics_assets.analytics.risk import CAP_HELL, TIERS

CONFIDENCE = 0.95

SUMMARY_COLUMNS = [
    "season",
    "teams",
    "dead_cap_pct_min",
    "dead_cap_pct_q1",
    "dead_cap_pct_median",
    "dead_cap_pct_q3",
    "dead_cap_pct_max",
    "dead_cap_pct_mean",
    "dead_cap_pct_std",
    "extreme_fence_pct",
    "win_pct_mean",
    "spearman_rho",
    "spearman_p",
    *(f"teams_{tier}" for tier in TIERS),
    "teams_cap_hell",
]

POOLED_COLUMNS = [
    "model",
    "first_season",
    "last_season",
    "seasons",
    "n",
    "slope",
    "slope_ci_low",
    "slope_ci_high",
    "slope_stderr",
    "slope_p",
    "intercept",
    "intercept_ci_low",
    "intercept_ci_high",
    "r_squared",
    "spearman_rho",
    "spearman_p",
    "confidence",
]
FIT_COLUMNS = [*POOLED_COLUMNS, *season_fair.FAIR_FIT_COLUMNS]

MODEL = "OLS win_pct ~ dead_cap_pct over pooled team-seasons"


class NoRiskRowsError(ValueError):
    pass


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, float]:
    """rho and p, NaN when either side is constant (no ranking to correlate)."""
    if len(x) < 3 or x.nunique() < 2 or y.nunique() < 2:
        return float("nan"), float("nan")
    result = stats.spearmanr(x.to_numpy(), y.to_numpy())
    return float(result.statistic), float(result.pvalue)


def season_summary(risk: pd.DataFrame) -> pd.DataFrame:
    """One row per season of nfl.team_season_risk rows (columns SUMMARY_COLUMNS)."""
    if risk.empty:
        raise NoRiskRowsError("No team-season risk rows to summarise.")
    by_season = risk.groupby("season")
    pct = by_season["dead_cap_pct"]
    quartiles = pct.quantile([0.25, 0.5, 0.75]).unstack()
    out = pd.DataFrame(
        {
            "teams": by_season.size(),
            "dead_cap_pct_min": pct.min(),
            "dead_cap_pct_q1": quartiles[0.25],
            "dead_cap_pct_median": quartiles[0.5],
            "dead_cap_pct_q3": quartiles[0.75],
            "dead_cap_pct_max": pct.max(),
            "dead_cap_pct_mean": pct.mean(),
            "dead_cap_pct_std": pct.std(ddof=0),
            "win_pct_mean": by_season["win_pct"].mean(),
        }
    )
    out["extreme_fence_pct"] = out["dead_cap_pct_q3"] + 1.5 * (out["dead_cap_pct_q3"] - out["dead_cap_pct_q1"])
    # One scipy call per season (not per row).
    rho = {season: _spearman(g["dead_cap_pct"], g["win_pct"]) for season, g in by_season}
    out["spearman_rho"] = pd.Series({s: r for s, (r, _) in rho.items()})
    out["spearman_p"] = pd.Series({s: p for s, (_, p) in rho.items()})
    tiers = pd.crosstab(risk["season"], risk["risk_tier"]).reindex(columns=TIERS, fill_value=0)
    for tier in TIERS:
        out[f"teams_{tier}"] = tiers[tier]
    out["teams_cap_hell"] = (risk["quadrant"] == CAP_HELL).groupby(risk["season"]).sum()
    out = out.reset_index()
    int_cols = ["season", "teams", "teams_cap_hell", *(f"teams_{t}" for t in TIERS)]
    out[int_cols] = out[int_cols].astype("int64")
    return out[SUMMARY_COLUMNS].sort_values("season").reset_index(drop=True)


def pooled_fit(risk: pd.DataFrame, confidence: float = CONFIDENCE) -> dict:
    """OLS of win_pct on dead_cap_pct over every row, with `confidence` intervals (keys POOLED_COLUMNS)."""
    n = len(risk)
    if n < 3:
        raise NoRiskRowsError(f"A pooled fit needs at least 3 team-seasons, got {n}.")
    x, y = risk["dead_cap_pct"].to_numpy(float), risk["win_pct"].to_numpy(float)
    if np.ptp(x) == 0:
        raise NoRiskRowsError("Every team-season has the same dead_cap_pct: there is no slope to fit.")
    fit = stats.linregress(x, y)
    t = stats.t.ppf(0.5 + confidence / 2, n - 2)
    rho, rho_p = _spearman(risk["dead_cap_pct"], risk["win_pct"])
    return {
        "model": MODEL,
        "first_season": int(risk["season"].min()),
        "last_season": int(risk["season"].max()),
        "seasons": int(risk["season"].nunique()),
        "n": n,
        "slope": float(fit.slope),
        "slope_ci_low": float(fit.slope - t * fit.stderr),
        "slope_ci_high": float(fit.slope + t * fit.stderr),
        "slope_stderr": float(fit.stderr),
        "slope_p": float(fit.pvalue),
        "intercept": float(fit.intercept),
        "intercept_ci_low": float(fit.intercept - t * fit.intercept_stderr),
        "intercept_ci_high": float(fit.intercept + t * fit.intercept_stderr),
        "r_squared": float(fit.rvalue**2),
        "spearman_rho": rho,
        "spearman_p": rho_p,
        "confidence": confidence,
    }


def league_fit(risk: pd.DataFrame, confidence: float = CONFIDENCE) -> dict:
    """The row of nfl.league_risk_fit: the pooled fit and the season-fair fits (keys FIT_COLUMNS)."""
    return {**pooled_fit(risk, confidence), **season_fair.fair_fits(risk, confidence)}
