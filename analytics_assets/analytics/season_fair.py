"""Season-fair statistics: fits that keep the league-wide drift in dead cap out of the team effect.

The league's dead cap rose from about 5% of the cap in 2011 to about 19% in 2025, while the league's
mean win % is .500 every season (every win is another team's loss). A pooled fit of win % on dead
cap % over all seasons therefore compares teams of different eras; the season fixed-effects fit
compares each team only with the other teams of its own season.

All fits here are ordinary least squares with **team-clustered standard errors** (clusters are
franchises, so the 15 seasons of one franchise are not treated as 15 independent observations):
the CR1 sandwich estimator with the small-sample factor G/(G-1) x (N-1)/(N-K) (G franchises, N
team-seasons, K coefficients including the season dummies), and intervals and p-values from the t
distribution with G - 1 degrees of freedom. This is what Stata's `regress ..., vce(cluster)` and
statsmodels' `cov_type="cluster"` compute.

- `fe_*`: win_pct ~ dead_cap_pct + one dummy per season.
- `slope_cluster_*`: the pooled fit's slope (win_pct ~ 1 + dead_cap_pct) with the same clustered
  interval, so the two fits compare like with like.
- `next_*`: next season's change in win % ~ dead_cap_pct + this season's win_pct + season dummies.
  A team far below .500 tends to improve whatever its dead cap (regression to the mean), and teams
  with much dead cap tend to be losing, so the unadjusted comparison mixes the two; controlling for
  this season's win % leaves the dead-cap effect given the record. `next_unadjusted_*` is the same
  fit without that control, for comparison.

These are associations over observed team-seasons, not causal effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

INTERVAL_METHOD = "team-clustered (franchise) CR1 standard errors, t distribution with G - 1 degrees of freedom"
FE_MODEL = "OLS win_pct ~ dead_cap_pct + season fixed effects"
NEXT_MODEL = "OLS next-season win_pct change ~ dead_cap_pct + win_pct + season fixed effects"

FAIR_FIT_COLUMNS = [
    "interval_method",
    "clusters",
    "slope_cluster_stderr",
    "slope_cluster_ci_low",
    "slope_cluster_ci_high",
    "fe_model",
    "fe_slope",
    "fe_slope_stderr",
    "fe_slope_ci_low",
    "fe_slope_ci_high",
    "fe_slope_p",
    "fe_within_r_squared",
    "next_model",
    "next_n",
    "next_slope",
    "next_slope_stderr",
    "next_slope_ci_low",
    "next_slope_ci_high",
    "next_slope_p",
    "next_win_pct_coef",
    "next_win_pct_coef_ci_low",
    "next_win_pct_coef_ci_high",
    "next_unadjusted_slope",
    "next_unadjusted_slope_ci_low",
    "next_unadjusted_slope_ci_high",
    "next_unadjusted_slope_p",
]


class FitError(ValueError):
    pass


@dataclass(frozen=True)
class Coefficient:
    estimate: float
    stderr: float
    ci_low: float
    ci_high: float
    p: float


def clustered_ols(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, confidence: float
) -> tuple[np.ndarray, list[Coefficient], float]:
    """OLS coefficients with CR1 cluster-robust intervals; also the residual sum of squares."""
    n, k = X.shape
    codes = pd.factorize(groups)[0]
    g = int(codes.max()) + 1
    if g < 2:
        raise FitError(f"Clustered standard errors need at least 2 clusters (franchises), got {g}.")
    if n <= k:
        raise FitError(f"{n} team-seasons cannot fit {k} coefficients.")
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    resid = y - X @ beta
    scores = np.zeros((g, k))
    np.add.at(scores, codes, X * resid[:, None])  # one row per cluster: sum of x_i * u_i
    meat = scores.T @ scores
    cov = xtx_inv @ meat @ xtx_inv * (g / (g - 1)) * ((n - 1) / (n - k))
    se = np.sqrt(np.diag(cov))
    t = stats.t.ppf(0.5 + confidence / 2, g - 1)
    coefs = []
    for b, s in zip(beta, se):
        p = float(2 * stats.t.sf(abs(b / s), g - 1)) if s > 0 else float("nan")
        coefs.append(Coefficient(float(b), float(s), float(b - t * s), float(b + t * s), p))
    return beta, coefs, float(resid @ resid)


def _season_dummies(seasons: pd.Series) -> np.ndarray:
    return pd.get_dummies(seasons.astype("int64")).to_numpy(float)


def season_fe_fit(risk: pd.DataFrame, confidence: float) -> dict:
    """win_pct on dead_cap_pct with one intercept per season, clustered by franchise."""
    x, y = risk["dead_cap_pct"].to_numpy(float), risk["win_pct"].to_numpy(float)
    within_x = x - risk.groupby("season")["dead_cap_pct"].transform("mean").to_numpy(float)
    if np.ptp(within_x) == 0:
        raise FitError("dead_cap_pct does not vary within any season: there is no within-season slope to fit.")
    X = np.column_stack([x, _season_dummies(risk["season"])])
    _, coefs, ssr = clustered_ols(X, y, risk["franchise"].to_numpy(), confidence)
    within_y = y - risk.groupby("season")["win_pct"].transform("mean").to_numpy(float)
    tss = float(within_y @ within_y)
    c = coefs[0]
    return {
        "fe_model": FE_MODEL,
        "fe_slope": c.estimate,
        "fe_slope_stderr": c.stderr,
        "fe_slope_ci_low": c.ci_low,
        "fe_slope_ci_high": c.ci_high,
        "fe_slope_p": c.p,
        "fe_within_r_squared": 1 - ssr / tss if tss > 0 else float("nan"),
    }


def pooled_clustered(risk: pd.DataFrame, confidence: float) -> dict:
    X = np.column_stack([np.ones(len(risk)), risk["dead_cap_pct"].to_numpy(float)])
    _, coefs, _ = clustered_ols(X, risk["win_pct"].to_numpy(float), risk["franchise"].to_numpy(), confidence)
    c = coefs[1]
    return {"slope_cluster_stderr": c.stderr, "slope_cluster_ci_low": c.ci_low, "slope_cluster_ci_high": c.ci_high}


def next_season_fit(risk: pd.DataFrame, confidence: float) -> dict:
    """Next season's win % change on dead cap %, given this season's win % and the season; NaN-filled
    when too few rows."""
    rows = risk.dropna(subset=["next_season_win_pct_change"])
    empty: dict[str, float | int | str] = {c: float("nan") for c in FAIR_FIT_COLUMNS if c.startswith("next_")}
    empty.update(next_model=NEXT_MODEL, next_n=len(rows))
    dummies = _season_dummies(rows["season"]) if len(rows) else np.empty((0, 0))
    if len(rows) <= dummies.shape[1] + 3 or rows["franchise"].nunique() < 2:
        return empty
    x, w, y = (rows[c].to_numpy(float) for c in ("dead_cap_pct", "win_pct", "next_season_win_pct_change"))
    groups = rows["franchise"].to_numpy()
    _, adjusted, _ = clustered_ols(np.column_stack([x, w, dummies]), y, groups, confidence)
    _, unadjusted, _ = clustered_ols(np.column_stack([x, dummies]), y, groups, confidence)
    d, r, u = adjusted[0], adjusted[1], unadjusted[0]
    return {
        "next_model": NEXT_MODEL,
        "next_n": len(rows),
        "next_slope": d.estimate,
        "next_slope_stderr": d.stderr,
        "next_slope_ci_low": d.ci_low,
        "next_slope_ci_high": d.ci_high,
        "next_slope_p": d.p,
        "next_win_pct_coef": r.estimate,
        "next_win_pct_coef_ci_low": r.ci_low,
        "next_win_pct_coef_ci_high": r.ci_high,
        "next_unadjusted_slope": u.estimate,
        "next_unadjusted_slope_ci_low": u.ci_low,
        "next_unadjusted_slope_ci_high": u.ci_high,
        "next_unadjusted_slope_p": u.p,
    }


def fair_fits(risk: pd.DataFrame, confidence: float) -> dict:
    """Every season-fair figure of nfl.league_risk_fit (keys FAIR_FIT_COLUMNS)."""
    return {
        "interval_method": INTERVAL_METHOD,
        "clusters": int(risk["franchise"].nunique()),
        **pooled_clustered(risk, confidence),
        **season_fe_fit(risk, confidence),
        **next_season_fit(risk, confidence),
    }
