"""nfl.league_risk_summary and nfl.league_risk_fit against numpy/scipy on the reference facts."""

from __future__ import annotations

import shutil
import warnings

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics_assets.analytics import summary
from analytics_assets.defs.marts.assets import league_risk_summary
from analytics_assets.reporting import charts
from analytics_tests.support.data import read_table
from analytics_tests.support.outputs import materialize_outputs
from analytics_tests.support.runs import materialize_seasons, resources_for, season_assets


@pytest.mark.integration
def test_one_row_per_stored_season_with_the_documented_columns(outputs):
    stored = read_table(outputs.db, "SELECT * FROM nfl.league_risk_summary ORDER BY season")
    assert stored["season"].tolist() == list(range(2011, 2026))
    assert list(stored.columns) == [*summary.SUMMARY_COLUMNS, "run_id", "computed_at"]
    assert (stored["teams"] == 32).all() and stored["run_id"].notna().all()
    fit = read_table(outputs.db, "SELECT * FROM nfl.league_risk_fit")
    assert len(fit) == 1 and list(fit.columns) == [*summary.FIT_COLUMNS, "run_id", "computed_at"]


@pytest.mark.integration
def test_season_distribution_and_spearman_match_numpy_and_scipy(outputs, reference):
    stored = read_table(outputs.db, "SELECT * FROM nfl.league_risk_summary ORDER BY season").set_index("season")
    for season, g in reference.groupby("season"):
        x, y = g["pct"].to_numpy(), g["win_pct"].to_numpy()
        q1, median, q3 = np.percentile(x, [25, 50, 75])
        row = stored.loc[season]
        assert row["dead_cap_pct_q1"] == pytest.approx(q1, abs=1e-9)
        assert row["dead_cap_pct_median"] == pytest.approx(median, abs=1e-9)
        assert row["dead_cap_pct_q3"] == pytest.approx(q3, abs=1e-9)
        assert row["dead_cap_pct_min"] == pytest.approx(x.min()) and row["dead_cap_pct_max"] == pytest.approx(x.max())
        assert row["dead_cap_pct_mean"] == pytest.approx(x.mean(), abs=1e-9)
        assert row["dead_cap_pct_std"] == pytest.approx(x.std(), abs=1e-9)
        assert row["extreme_fence_pct"] == pytest.approx(q3 + 1.5 * (q3 - q1), abs=1e-9)
        assert row["win_pct_mean"] == pytest.approx(y.mean(), abs=1e-12)
        # Spearman by hand: Pearson correlation of average ranks, p from the t distribution with n - 2 df.
        rx, ry = stats.rankdata(x), stats.rankdata(y)
        rho = np.corrcoef(rx, ry)[0, 1]
        t = rho * np.sqrt((len(x) - 2) / (1 - rho**2))
        assert row["spearman_rho"] == pytest.approx(rho, abs=1e-9)
        assert row["spearman_p"] == pytest.approx(2 * stats.t.sf(abs(t), len(x) - 2), rel=1e-6)


@pytest.mark.integration
def test_teams_per_tier_and_in_cap_hell(outputs, reference):
    stored = read_table(outputs.db, "SELECT * FROM nfl.league_risk_summary ORDER BY season").set_index("season")
    counts = reference.groupby(["season", "tier"]).size().unstack(fill_value=0)
    for tier in ("low", "moderate", "high", "extreme"):
        expected = counts[tier] if tier in counts else pd.Series(0, index=stored.index)
        assert (stored[f"teams_{tier}"] == expected.reindex(stored.index, fill_value=0)).all(), tier
    hell = (reference["high"] & ~reference["winning"]).groupby(reference["season"]).sum()
    assert (stored["teams_cap_hell"] == hell.reindex(stored.index)).all()
    assert (stored[[f"teams_{t}" for t in ("low", "moderate", "high", "extreme")]].sum(axis=1) == 32).all()


@pytest.mark.integration
def test_pooled_fit_and_its_95_percent_interval_match_least_squares_by_hand(outputs, reference):
    fit = read_table(outputs.db, "SELECT * FROM nfl.league_risk_fit").iloc[0]
    x, y = reference["pct"].to_numpy(), reference["win_pct"].to_numpy()
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sigma2 = resid @ resid / (n - 2)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    t = stats.t.ppf(0.975, n - 2)
    assert fit["n"] == n == 480 and fit["seasons"] == 15
    assert (fit["first_season"], fit["last_season"]) == (2011, 2025)
    assert fit["intercept"] == pytest.approx(beta[0], abs=1e-10)
    assert fit["slope"] == pytest.approx(beta[1], abs=1e-12)
    assert fit["slope_stderr"] == pytest.approx(se[1], rel=1e-9)
    assert fit["slope_ci_low"] == pytest.approx(beta[1] - t * se[1], rel=1e-9)
    assert fit["slope_ci_high"] == pytest.approx(beta[1] + t * se[1], rel=1e-9)
    assert fit["intercept_ci_low"] == pytest.approx(beta[0] - t * se[0], rel=1e-9)
    assert fit["intercept_ci_high"] == pytest.approx(beta[0] + t * se[0], rel=1e-9)
    assert fit["r_squared"] == pytest.approx(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())), rel=1e-9)
    assert fit["slope_p"] == pytest.approx(2 * stats.t.sf(abs(beta[1] / se[1]), n - 2), rel=1e-6)
    assert fit["spearman_rho"] == pytest.approx(np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1], abs=1e-9)
    assert fit["confidence"] == 0.95


@pytest.mark.integration
def test_rematerializing_replaces_the_tables(outputs, tmp_path):
    db = tmp_path / "again.duckdb"
    shutil.copy(outputs.db, db)
    before = read_table(db, "SELECT * EXCLUDE (run_id, computed_at) FROM nfl.league_risk_summary ORDER BY season")
    for _ in range(2):
        assert materialize_outputs(db, tmp_path / "reports", assets=[league_risk_summary]).success
    after = read_table(db, "SELECT * EXCLUDE (run_id, computed_at) FROM nfl.league_risk_summary ORDER BY season")
    pd.testing.assert_frame_equal(after, before)
    assert len(read_table(db, "SELECT * FROM nfl.league_risk_fit")) == 1


@pytest.mark.integration
def test_no_risk_rows_fails_clearly_and_keeps_the_stored_summary(outputs, tmp_path):
    db = tmp_path / "emptied.duckdb"
    shutil.copy(outputs.db, db)
    before = read_table(db, "SELECT * FROM nfl.league_risk_summary ORDER BY season")
    fit_before = read_table(db, "SELECT * FROM nfl.league_risk_fit")
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM nfl.team_season_risk")
    result = materialize_outputs(db, tmp_path / "reports", assets=[league_risk_summary], raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "nfl.team_season_risk has no rows" in message and "left unchanged" in message
    pd.testing.assert_frame_equal(read_table(db, "SELECT * FROM nfl.league_risk_summary ORDER BY season"), before)
    pd.testing.assert_frame_equal(read_table(db, "SELECT * FROM nfl.league_risk_fit"), fit_before)


@pytest.mark.unit
def test_pure_functions_on_degenerate_input():
    flat = pd.DataFrame(
        {
            "season": [2030] * 4,
            "team": list("ABCD"),
            "dead_cap_pct": [10.0] * 4,
            "win_pct": [0.25, 0.5, 0.5, 0.75],
            "risk_tier": ["low"] * 4,
            "quadrant": [summary.CAP_HELL] * 4,
        }
    )
    row = summary.season_summary(flat).iloc[0]
    assert np.isnan(row["spearman_rho"]) and np.isnan(row["spearman_p"])
    assert row["teams_low"] == 4 and row["teams_extreme"] == 0 and row["teams_cap_hell"] == 4
    with pytest.raises(summary.NoRiskRowsError, match="same dead_cap_pct"):
        summary.pooled_fit(flat)
    with pytest.raises(summary.NoRiskRowsError, match="at least 3"):
        summary.pooled_fit(flat.head(2))
    with pytest.raises(summary.NoRiskRowsError):
        summary.season_summary(flat.head(0))


@pytest.mark.integration
def test_daemon_refreshes_the_all_season_assets_when_a_season_changes(tmp_path):
    """Seasons never backfilled and the season in progress stay missing; the summary, charts and report
    still refresh."""
    from analytics_assets.definitions import defs

    all_season = [
        defs.get_assets_def(name) for name in ("league_risk_summary", "chart_dead_cap_vs_win_pct", "risk_report")
    ]
    expected = {key.to_user_string() for a in all_season for key in a.keys}
    db = tmp_path / "auto.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    test_defs = dg.Definitions(
        assets=[*season_assets()[0], *all_season],
        resources=resources_for(db),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # raised inside Dagster's own evaluation helper
        first = dg.evaluate_automation_conditions(defs=test_defs, instance=instance)
        assert first.total_requested == 0  # the first tick only records the starting point
        assert materialize_seasons(db, 2024, 2025, instance=instance).success
        second = dg.evaluate_automation_conditions(defs=test_defs, instance=instance, cursor=first.cursor)
    requested = {r.key.to_user_string() for r in second.results if r.true_subset.size}
    assert expected <= requested, requested
    assert len(expected) == 7


@pytest.mark.unit
def test_the_automation_sensor_is_on_by_default_and_covers_every_all_season_asset():
    from analytics_assets.definitions import defs

    sensor = defs.get_repository_def().get_sensor_def("all_seasons_outputs_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    asset_graph = defs.resolve_asset_graph()
    targeted = {k.to_user_string() for k in sensor.asset_selection.resolve(asset_graph)}
    automated = {
        k.to_user_string()
        for k in asset_graph.get_all_asset_keys()
        if asset_graph.get(k).automation_condition is not None
    }
    assert targeted == automated == {"league_risk_summary", "risk_report", *(c.key for c in charts.CHARTS)}
