"""The scraper SLO: 99.9% of scrape attempts over 30 days, and the error budget left."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from analytics_assets.definitions import defs
from analytics_assets.slo import (
    SLO_TARGET,
    ScrapeSlo,
    scrape_slo,
    scrape_slo_by_source,
    slo_from_attempts,
    slo_markdown,
)
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.conftest import read_table, resources_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _slo(attempts: int, successes: int) -> ScrapeSlo:
    return ScrapeSlo(NOW - timedelta(days=30), NOW, attempts, successes)


@pytest.mark.parametrize(
    ("attempts", "successes", "rate", "budget_left", "met"),
    [
        (10_000, 10_000, 1.0, 1.0, True),
        (10_000, 9_995, 0.9995, 0.5, True),  # half the budget (10 failures) spent
        (10_000, 9_990, 0.999, 0.0, True),  # exactly on target: budget spent, SLO still met
        (10_000, 9_980, 0.998, -1.0, False),  # twice the budget
        (0, 0, None, 1.0, True),  # nothing attempted: nothing broken
    ],
)
def test_success_rate_and_error_budget(attempts, successes, rate, budget_left, met):
    slo = _slo(attempts, successes)
    assert slo.success_rate == (pytest.approx(rate) if rate is not None else None)
    assert slo.error_budget_remaining == pytest.approx(budget_left, abs=1e-9)
    assert slo.met is met
    assert slo.target == SLO_TARGET == 0.999
    assert slo.allowed_failures == pytest.approx(attempts * 0.001)


def test_few_attempts_make_any_failure_overspend_the_budget():
    slo = _slo(200, 199)  # 0.2 failures allowed, 1 happened
    assert slo.error_budget_remaining == pytest.approx(1 - 1 / 0.2)
    assert not slo.met


def test_only_attempts_inside_the_30_day_window_count():
    attempts = [
        (NOW - timedelta(days=31), False),  # too old
        (NOW - timedelta(days=30), False),  # on the window's open edge: excluded
        (NOW - timedelta(days=29, hours=23), True),
        (NOW - timedelta(hours=1), False),
        (NOW, True),
        (NOW + timedelta(seconds=1), False),  # the future (clock skew): excluded
        (datetime(2026, 11, 20, 9, 0), True),  # naive timestamps are UTC
    ]
    slo = slo_from_attempts(attempts, now=NOW)
    assert (slo.attempts, slo.successes, slo.failures) == (4, 3, 1)
    assert slo.window_start == NOW - timedelta(days=30) and slo.window_end == NOW


def _insert_attempts(db, rows):
    attempts = pd.DataFrame(rows, columns=["fetched_at", "source", "url", "attempt", "status", "ok", "error"])
    with AnalyticsDuckDB(database=str(db)).get_connection() as conn:
        conn.register("attempts", attempts)
        conn.execute(
            "INSERT INTO nfl.scrape_log (fetched_at, run_id, season, source, url, attempt, status, ok, error, latency_ms, bytes, sha256) "
            "SELECT fetched_at, 'r1', 2026, source, url, attempt, status, ok, error, 120.0, 1000, NULL FROM attempts"
        )


def _attempt(when, source, ok, attempt=1):
    url = f"http://127.0.0.1:9/{source}/2026"
    return [when, source, url, attempt, 200 if ok else 503, ok, None if ok else "HTTP 503"]


def test_slo_from_the_scrape_log_overall_and_per_source(db_path):
    rows = [_attempt(NOW - timedelta(days=1, minutes=i), "pfr", True) for i in range(1998)]
    rows += [_attempt(NOW - timedelta(days=2), "pfr", False), _attempt(NOW - timedelta(days=2), "pfr", True, attempt=2)]
    rows += [_attempt(NOW - timedelta(hours=i), "spotrac", True) for i in range(500)]
    rows += [_attempt(NOW - timedelta(days=40), "spotrac", False) for _ in range(50)]  # outside the window
    _insert_attempts(db_path, rows)

    with AnalyticsDuckDB(database=str(db_path)).get_connection() as conn:
        overall = scrape_slo(conn, now=NOW)
        by_source = scrape_slo_by_source(conn, now=NOW)
        pfr_only = scrape_slo(conn, now=NOW, source="pfr")
    assert (overall.attempts, overall.failures) == (2500, 1)
    assert overall.success_rate == pytest.approx(2499 / 2500)
    assert overall.error_budget_remaining == pytest.approx(1 - 1 / 2.5)
    assert overall.met
    assert {k: (v.attempts, v.failures) for k, v in by_source.items()} == {"pfr": (2000, 1), "spotrac": (500, 0)}
    assert (pfr_only.attempts, pfr_only.failures) == (2000, 1)

    table = slo_markdown(overall, by_source)
    assert "| all sources | 2500 | 1 | 99.960% | 60.0% | met |" in table
    assert "| spotrac | 500 | 0 | 100.000% | 100.0% | met |" in table
    breached = slo_markdown(_slo(100, 90))
    assert "BREACHED" in breached and "exhausted" not in breached


def test_exhausted_budget_shows_as_exhausted():
    slo = ScrapeSlo(NOW - timedelta(days=30), NOW, 0, 0)
    assert slo.error_budget_remaining == 1.0
    # a failure with no allowance at all (target 100%)
    strict = ScrapeSlo(NOW - timedelta(days=30), NOW, 10, 9, target=1.0)
    assert strict.error_budget_remaining == -math.inf
    assert "exhausted" in slo_markdown(strict)


def test_slo_is_an_asset_check_in_real_runs(db_path):
    now = datetime.now(UTC)
    # 1000 attempts in the window, 3 failed: 99.7% against 99.9%, the budget (1 failure) overspent.
    rows = [_attempt(now - timedelta(hours=1, seconds=i), "pfr", i >= 3) for i in range(1000)]
    _insert_attempts(db_path, rows)

    assert dg.AssetCheckKey(dg.AssetKey("standings"), "scraper_slo") in defs.resolve_asset_graph().asset_check_keys
    # Evaluated in the standings step itself (no step of its own), so the daily job runs it.
    assert dg.AssetCheckKey(dg.AssetKey("standings"), "scraper_slo") in defs.get_assets_def("standings").check_keys

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [defs.get_assets_def("standings")],
            resources=resources_for(db_path),
            partition_key="2019",
            instance=instance,
        )
        assert result.success  # a breached SLO warns; it does not block the data
        (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "scraper_slo"]
        assert evaluation.passed is False
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        assert meta["attempts"] == 1000 and meta["failures"] == 3
        assert meta["success_rate"] == pytest.approx(0.997)
        assert meta["error_budget_remaining"] == pytest.approx(1 - 3 / 1.0)
        assert "BREACHED" in meta["by_source"]
        # Run storage has it as the latest evaluation of the check.
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([evaluation.asset_check_key])[evaluation.asset_check_key]
        assert record.run_id == result.run_id

    stored = read_table(db_path, "SELECT count(*) AS n FROM nfl.standings WHERE season = 2019")
    assert stored["n"].item() == 32
