"""Season-fair statistics against independent computations (statsmodels, numpy) on the reference facts."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analytics_assets.analytics import season_fair, summary
from analytics_assets.analytics.risk import SEASON_QUADRANTS
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.support.data import read_table

FIT_SQL = "SELECT * FROM nfl.league_risk_fit"


def _reference_frame(reference: pd.DataFrame) -> pd.DataFrame:
    ref = reference.rename(columns={"pct": "dead_cap_pct"}).copy()
    ref["change"] = ref["next"] - ref["win_pct"]
    ref["cluster"] = ref["franchise"].astype("category").cat.codes
    return ref


def _clustered(formula: str, data: pd.DataFrame):
    """statsmodels' cluster-robust OLS: CR1 with G/(G-1) x (N-1)/(N-K), t with G - 1 df."""
    return smf.ols(formula, data).fit(cov_type="cluster", cov_kwds={"groups": data["cluster"]}, use_t=True)


@pytest.fixture(scope="module")
def fit(outputs) -> pd.Series:
    stored = read_table(outputs.db, FIT_SQL)
    assert len(stored) == 1
    return stored.iloc[0]


@pytest.mark.integration
def test_season_fixed_effects_slope_and_interval_equal_statsmodels(fit, reference):
    ref = _reference_frame(reference)
    model = _clustered("win_pct ~ dead_cap_pct + C(season)", ref)
    low, high = model.conf_int(alpha=0.05).loc["dead_cap_pct"]
    assert fit["fe_slope"] == pytest.approx(model.params["dead_cap_pct"], abs=1e-12)
    assert fit["fe_slope_stderr"] == pytest.approx(model.bse["dead_cap_pct"], rel=1e-9)
    assert (fit["fe_slope_ci_low"], fit["fe_slope_ci_high"]) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )
    assert fit["fe_slope_p"] == pytest.approx(model.pvalues["dead_cap_pct"], rel=1e-6)
    assert model.df_resid_inference == 31 and fit["clusters"] == 32
    # The slope again by the within transformation and numpy least squares (Frisch-Waugh-Lovell).
    demean = lambda col: ref[col] - ref.groupby("season")[col].transform("mean")  # noqa: E731
    (within,), *_ = np.linalg.lstsq(
        demean("dead_cap_pct").to_numpy()[:, None], demean("win_pct").to_numpy(), rcond=None
    )
    assert fit["fe_slope"] == pytest.approx(within, abs=1e-12)
    # The figures: about -5.5 win-% points per 10 points of dead cap, against the pooled -4.3.
    assert round(fit["fe_slope"] * 1000, 1) == -5.5 and round(fit["slope"] * 1000, 1) == -4.3
    assert fit["fe_slope_ci_high"] < 0


@pytest.mark.integration
def test_pooled_clustered_interval_and_next_season_fits_equal_statsmodels(fit, reference):
    ref = _reference_frame(reference)
    pooled = _clustered("win_pct ~ dead_cap_pct", ref)
    low, high = pooled.conf_int().loc["dead_cap_pct"]
    assert fit["slope"] == pytest.approx(pooled.params["dead_cap_pct"], abs=1e-12)
    assert (fit["slope_cluster_ci_low"], fit["slope_cluster_ci_high"]) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )
    nxt = ref.dropna(subset=["change"])
    adjusted = _clustered("change ~ dead_cap_pct + win_pct + C(season)", nxt)
    unadjusted = _clustered("change ~ dead_cap_pct + C(season)", nxt)
    assert fit["next_n"] == len(nxt) == 448
    assert fit["next_slope"] == pytest.approx(adjusted.params["dead_cap_pct"], abs=1e-12)
    low, high = adjusted.conf_int().loc["dead_cap_pct"]
    assert (fit["next_slope_ci_low"], fit["next_slope_ci_high"]) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )
    assert fit["next_win_pct_coef"] == pytest.approx(adjusted.params["win_pct"], abs=1e-12)
    assert fit["next_unadjusted_slope"] == pytest.approx(unadjusted.params["dead_cap_pct"], abs=1e-12)
    low, high = unadjusted.conf_int().loc["dead_cap_pct"]
    assert (fit["next_unadjusted_slope_ci_low"], fit["next_unadjusted_slope_ci_high"]) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )
    # Regression to the mean: a team below .500 gains the next season whatever its dead cap.
    assert fit["next_win_pct_coef_ci_high"] < 0


@pytest.mark.integration
def test_season_relative_quadrants_split_at_each_seasons_median(outputs, reference):
    stored = read_table(
        outputs.db, "SELECT season, franchise, season_median_dead_cap_pct, season_quadrant FROM nfl.team_season_risk"
    )
    merged = stored.merge(reference, on=["season", "franchise"], validate="one_to_one")
    median = merged.groupby("season")["pct"].transform(lambda x: np.median(x.to_numpy()))
    assert np.allclose(merged["season_median_dead_cap_pct"], median, atol=1e-12)
    expected = [SEASON_QUADRANTS[(bool(p >= m), r)] for p, m, r in zip(merged["pct"], median, merged["record"])]
    assert merged["season_quadrant"].tolist() == expected
    above = merged[merged["pct"] >= median].groupby("season").size()
    assert above.between(16, 17).all()  # the median splits every season in two, whatever the drift


@pytest.mark.integration
def test_report_headline_is_the_season_fair_fit_and_says_why(outputs, fit):
    page = (outputs.out_dir / "risk_report.html").read_text("utf-8")
    findings = page[page.index('id="findings"') : page.index('id="charts"')]
    first = findings[findings.index("<li") : findings.index("</li>")]
    assert 'data-key="season_fe_fit"' in first
    per10, lo, hi = fit["fe_slope"] * 1000, fit["fe_slope_ci_low"] * 1000, fit["fe_slope_ci_high"] * 1000
    assert (
        f"each extra 10 points of dead cap went with {abs(per10):.1f} win-% points fewer (95% CI {lo:+.1f} to "
        f"{hi:+.1f}, team-clustered" in first
    )
    assert "only comparisons within a season are fair" in first and "not a measured cause" in first
    assert outputs.metadata["risk_report"]["headline_season_fe_fit"] == pytest.approx(per10, abs=1e-3)
    nxt = fit["next_slope"] * 1000
    assert f"went with a {nxt:+.1f} win-% point change" in findings
    section = page[page.index('id="season-fair"') : page.index('id="summary-table"')]
    assert (
        "team-clustered standard errors" in section and "31 degrees of freedom" in section and "not effects" in section
    )


@pytest.mark.unit
def test_pure_fits_on_degenerate_input():
    rows = pd.DataFrame(
        {
            "season": [2030] * 4 + [2031] * 4,
            "franchise": list("ABCD") * 2,
            "win_pct": [0.2, 0.4, 0.6, 0.8] * 2,
            "dead_cap_pct": [5.0] * 4 + [9.0] * 4,
            "next_season_win_pct_change": [np.nan] * 8,
        }
    )
    with pytest.raises(season_fair.FitError, match="does not vary within any season"):
        season_fair.season_fe_fit(rows, 0.95)
    rows["dead_cap_pct"] = [5.0, 6.0, 7.0, 9.0, 9.0, 8.0, 11.0, 10.0]
    fits = summary.league_fit(rows)
    assert set(fits) == set(summary.FIT_COLUMNS)
    assert fits["next_n"] == 0 and np.isnan(fits["next_slope"])  # no next season stored: left empty, not invented
    with pytest.raises(season_fair.FitError, match="at least 2 clusters"):
        season_fair.clustered_ols(np.ones((4, 1)), np.arange(4.0), np.array(["A"] * 4), 0.95)


@pytest.mark.integration
def test_an_older_database_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute("CREATE SCHEMA nfl")
        conn.execute("CREATE TABLE nfl.league_risk_fit (model VARCHAR NOT NULL, slope DOUBLE NOT NULL)")
        conn.execute("INSERT INTO nfl.league_risk_fit VALUES ('old', -0.004)")
    with AnalyticsDuckDB(database=str(db)).get_connection() as conn:
        columns = [r[0] for r in conn.execute("DESCRIBE nfl.league_risk_fit").fetchall()]
        assert set(summary.FIT_COLUMNS) <= set(columns)
        assert conn.execute("SELECT model, slope, fe_slope FROM nfl.league_risk_fit").fetchall() == [
            ("old", -0.004, None)
        ]
