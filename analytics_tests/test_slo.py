"""The scraper SLO (99.9% of scrape attempts over 30 days, the error budget left) and its burn-rate alerts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from analytics_assets.definitions import defs
from analytics_assets.defs.monitoring.slo import scraper_slo_result
from analytics_assets.slo import (
    ALERT_WINDOWS,
    BURN_RATE_ALERTS,
    SLO_TARGET,
    SLO_WINDOW,
    ScrapeSlo,
    WindowBurn,
    alert_states,
    alert_text,
    burn_from_attempts,
    format_budget,
    format_burn,
    format_pct,
    scrape_slo,
    scrape_slo_by_source,
    slo_from_attempts,
    slo_markdown,
    slo_text,
)
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.support.data import read_table
from analytics_tests.support.runs import resources_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# A figure with float noise: a run of 6+ decimals (0.0010000000000000009, -998.9999999999991), an
# exponent, or a minus sign before a digit (a negative budget).
NOISE = re.compile(r"\.\d{6,}|\de[-+]?\d|(?<!\w)-\d")


def _slo(attempts: int, successes: int, target: float = SLO_TARGET) -> ScrapeSlo:
    return ScrapeSlo(NOW - SLO_WINDOW, NOW, attempts, successes, target)


def _assert_no_noise(*values) -> None:
    for value in values:
        if isinstance(value, float):
            assert repr(value) == repr(round(value, 5)) and value >= 0, value
        elif isinstance(value, dict):
            _assert_no_noise(*value.values())
        elif isinstance(value, list | tuple):
            _assert_no_noise(*value)
        elif isinstance(value, str):
            assert not NOISE.search(value), value


# --- SLO arithmetic: counts in, numbers and texts out -------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "successes", "rate", "budget_left", "budget_text", "status"),
    [
        # 0 failures
        (1000, 1000, "100.000%", 1.0, "100.0%", "met"),
        # 1 failure: within the budget of 2,500 attempts (2.5 allowed), or all of it and more with 4
        (2500, 2499, "99.960%", 0.6, "60.0%", "met"),
        (4, 3, "75.000%", 0.0, "exhausted: 1 failed attempt against 0.004 allowed over 30 days", "BREACHED"),
        # half the budget, then exactly the allowance: the budget is spent, the SLO still met
        (10_000, 9_995, "99.950%", 0.5, "50.0%", "met"),
        (1000, 999, "99.900%", 0.0, "exhausted: 1 failed attempt against 1 allowed over 30 days", "met"),
        # 12 failed attempts and no success: the budget never goes below 0
        (12, 0, "0.000%", 0.0, "exhausted: 12 failed attempts against 0.012 allowed over 30 days", "BREACHED"),
        (10_000, 9_980, "99.800%", 0.0, "exhausted: 20 failed attempts against 10 allowed over 30 days", "BREACHED"),
    ],
)
@pytest.mark.unit
def test_success_rate_and_error_budget(attempts, successes, rate, budget_left, budget_text, status):
    slo = _slo(attempts, successes)
    assert format_pct(slo.success_ratio) == rate
    assert slo.error_budget_remaining == budget_left
    assert format_budget(slo) == budget_text
    assert slo.status == status and slo.met is (status == "met")
    assert slo.allowed_failures == pytest.approx(attempts * 0.001)
    assert slo.failures_remaining >= 0
    _assert_no_noise(slo.as_dict(), slo_text(slo), slo_markdown(slo))


@pytest.mark.unit
def test_the_exact_texts_at_0_1_the_allowance_and_12_failures():
    assert slo_text(_slo(1000, 1000)) == (
        "SLO over 30 days (target 99.9%): 100.000% of 1000 attempts succeeded, met; error budget 100.0% left "
        "(0 failed attempts against 1 allowed)."
    )
    assert slo_text(_slo(2500, 2499)) == (
        "SLO over 30 days (target 99.9%): 99.960% of 2500 attempts succeeded, met; error budget 60.0% left "
        "(1 failed attempt against 2.5 allowed)."
    )
    assert slo_text(_slo(1000, 999)) == (
        "SLO over 30 days (target 99.9%): 99.900% of 1000 attempts succeeded, met; "
        "error budget exhausted: 1 failed attempt against 1 allowed over 30 days."
    )
    twelve = _slo(12, 0)
    assert slo_text(twelve) == (
        "SLO over 30 days (target 99.9%): 0.000% of 12 attempts succeeded, BREACHED; "
        "error budget exhausted: 12 failed attempts against 0.012 allowed over 30 days."
    )
    # The defect this replaces: 1 - 12 / ((1 - 0.999) x 12) in floats is -998.9999999999991.
    assert (
        twelve.error_budget_remaining == 0.0 and twelve.allowed_failures == 0.012 and twelve.failures_remaining == 0.0
    )


@pytest.mark.unit
def test_no_attempts_spend_nothing_and_are_not_met_by_default():
    slo = _slo(0, 0)
    assert slo.success_rate is None and slo.met is None and slo.error_budget_remaining is None
    assert slo.status == format_budget(slo) == "n/a, no attempts"
    assert slo_text(slo) == "SLO over 30 days (target 99.9%): n/a, no attempts, so no error budget spent."
    assert "| all sources | 0 | 0 | n/a | n/a, no attempts | n/a, no attempts |" in slo_markdown(slo)
    assert "met" not in slo_markdown(slo).split("|---|")[-1]


@pytest.mark.unit
def test_rounding_is_towards_the_worse_side_so_no_figure_contradicts_its_verdict():
    # 99.8996% is below 99.9%: it reads 99.899%, not 99.900% beside "BREACHED".
    just_below = _slo(1_000_000, 1_000_000 - 1004)
    assert (format_pct(just_below.success_ratio), just_below.status) == ("99.899%", "BREACHED")
    # One failure of 2,000 allowed leaves 99.95%: it reads 99.9%, never 100.0% once anything was spent.
    assert format_budget(_slo(2_000_000, 1_999_999)) == "99.9%"
    # Burn rates are rounded up: 14.41 reads 14.5x (above the 14.4x it exceeds), exactly 14.4 reads 14.4x.
    assert format_burn(WindowBurn(timedelta(hours=1), 100_000, 1441).burn_rate) == "14.5x"
    assert format_burn(WindowBurn(timedelta(hours=1), 10_000, 144).burn_rate) == "14.4x"
    assert [format_burn(x) for x in (0, 250.0, 6, 1000)] == ["0x", "250x", "6x", "1000x"]
    assert format_burn(WindowBurn(timedelta(hours=1), 3, 1).burn_rate) == "333.4x"


@pytest.mark.unit
def test_no_float_noise_in_any_figure():
    for attempts in (1, 3, 7, 12, 999, 1000, 1001, 2500, 3333):
        for failures in sorted(f for f in {0, 1, 2, attempts // 3, attempts - 1, attempts} if f <= attempts):
            slo = slo_from_attempts(
                [(NOW - timedelta(minutes=i % 4000), i >= failures) for i in range(attempts)], now=NOW
            )
            _assert_no_noise(slo.as_dict(), format_budget(slo), slo_text(slo), alert_text(slo), slo_markdown(slo))


@pytest.mark.unit
def test_a_100_percent_target_is_refused():
    with pytest.raises(ValueError, match="no error budget"):
        _slo(10, 9, target=1.0)


@pytest.mark.unit
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


# --- burn rates and the multiwindow alerts -------------------------------------------------------


@pytest.mark.unit
def test_the_alerts_are_the_workbook_pairs_for_a_99_9_slo_over_30_days():
    assert [(a.severity, a.long, a.short, float(a.threshold)) for a in BURN_RATE_ALERTS] == [
        ("page", timedelta(hours=1), timedelta(minutes=5), 14.4),
        ("page", timedelta(hours=6), timedelta(minutes=30), 6.0),
        ("ticket", timedelta(days=3), timedelta(hours=6), 1.0),
    ]
    assert all(a.short * 12 == a.long for a in BURN_RATE_ALERTS)
    # 14.4x for an hour spends 2% of the 30-day budget.
    assert float(BURN_RATE_ALERTS[0].threshold) * (BURN_RATE_ALERTS[0].long / SLO_WINDOW) == pytest.approx(0.02)


@pytest.mark.unit
def test_burn_rate_is_the_window_error_rate_over_the_allowed_rate():
    assert WindowBurn(timedelta(hours=1), 4, 1).burn_rate == 250  # 25% / 0.1%
    assert WindowBurn(timedelta(hours=1), 1000, 1).burn_rate == 1  # exactly the budget's pace
    assert WindowBurn(timedelta(hours=1), 12, 12).burn_rate == 1000  # the most a 99.9% SLO can burn
    # A window without attempts burns nothing (and says so).
    quiet = WindowBurn(timedelta(minutes=5), 0, 0)
    assert quiet.burn_rate == 0 and quiet.text() == "5 min 0x (no attempts)"


def _pair(long_attempts, long_failures, short_attempts, short_failures, alert=BURN_RATE_ALERTS[0]):
    (state,) = alert_states(
        [WindowBurn(alert.long, long_attempts, long_failures), WindowBurn(alert.short, short_attempts, short_failures)],
        [alert],
    )
    return state


@pytest.mark.unit
def test_an_alert_needs_both_its_windows_above_the_threshold():
    assert _pair(10, 1, 2, 1).firing  # 100x and 500x
    assert not _pair(10, 1, 100, 1).firing  # long 100x, short 10x: under 14.4x
    assert not _pair(1000, 10, 2, 1).firing  # long 10x, short 500x
    assert not _pair(10, 1, 0, 0).firing  # the short window has no attempts: no burn
    assert not _pair(10_000, 144, 10_000, 144).firing  # exactly 14.4x is not above 14.4x
    assert _pair(10_000, 145, 10_000, 145).text() == "1 h 14.5x and 5 min 14.5x, page threshold 14.4x"


def _run(*spans):
    """Attempts at NOW minus each offset: (offset, ok)."""
    return [(NOW - offset, ok) for offset, ok in spans]


@pytest.mark.unit
def test_an_isolated_failure_an_hour_ago_followed_by_successes_does_not_page():
    # Yesterday's run succeeded; 50 minutes ago one attempt failed and its retry succeeded; the runs since succeeded.
    attempts = _run(
        *((timedelta(days=1, seconds=i), True) for i in range(4)),
        (timedelta(minutes=50), False),
        (timedelta(minutes=50) - timedelta(seconds=5), True),
        *((timedelta(minutes=m), True) for m in (20, 2, 1)),
    )
    slo = slo_from_attempts(attempts, now=NOW)
    page_1h, page_6h, ticket = slo.alerts
    assert (
        page_1h.long.burn_rate == 200 and not page_1h.firing
    )  # 1 of 5 attempts in the hour failed; none of the 5 min ones
    assert not page_6h.firing and not slo.alert_firing
    assert ticket.firing  # the 3 d and 6 h windows hold the failure: reported, it does not fail the check
    assert alert_text(slo) == (
        "Ticket: burn rate 3 d 111.2x and 6 h 200x, ticket threshold 1x. "
        "No page alert: burn rate 1 h 200x and 5 min 0x, page threshold 14.4x; 6 h 200x and 30 min 0x, page "
        "threshold 6x."
    )


@pytest.mark.unit
def test_an_isolated_failure_stops_paging_once_its_short_windows_have_passed():
    attempts = _run(
        (timedelta(days=1), True), (timedelta(minutes=3), True), (timedelta(minutes=3) - timedelta(seconds=1), False)
    )
    # In the run itself the failure is among the latest attempts: 1 of 2 is a 500x burn, it pages.
    assert slo_from_attempts(attempts, now=NOW).alert_firing
    # 10 minutes later (no attempts since): the 5 min window is empty, the 30 min one still holds it.
    later = slo_from_attempts(attempts, now=NOW + timedelta(minutes=10))
    assert [s.firing for s in later.alerts[:2]] == [False, True]
    # 40 minutes later both short windows are past it: no page, without anyone resetting anything.
    assert not slo_from_attempts(attempts, now=NOW + timedelta(minutes=40)).alert_firing


@pytest.mark.unit
def test_a_burst_of_failures_in_the_last_minutes_pages():
    attempts = _run(
        *((timedelta(hours=2, seconds=i), True) for i in range(20)),
        *((timedelta(minutes=4, seconds=-10 * i), False) for i in range(6)),
    )
    slo = slo_from_attempts(attempts, now=NOW)
    assert slo.alert_firing
    assert alert_text(slo).startswith(
        "Alert: burn rate 1 h 1000x and 5 min 1000x, page threshold 14.4x; 6 h 230.8x and 30 min 1000x, page "
        "threshold 6x. Ticket:"
    )


@pytest.mark.unit
def test_windows_without_attempts_burn_nothing():
    slo = slo_from_attempts(_run((timedelta(days=10), False), (timedelta(days=10, seconds=1), True)), now=NOW)
    assert [b.attempts for b in slo.burn] == [0] * len(ALERT_WINDOWS)
    assert not any(s.firing for s in slo.alerts)
    assert (
        slo.status == "BREACHED"
        and format_budget(slo) == "exhausted: 1 failed attempt against 0.002 allowed over 30 days"
    )
    assert alert_text(slo).startswith(
        "No alert: burn rate 1 h 0x (no attempts) and 5 min 0x (no attempts), page threshold 14.4x;"
    )
    nothing = slo_from_attempts([], now=NOW)
    assert not nothing.alert_firing and nothing.status == "n/a, no attempts"


@pytest.mark.unit
def test_window_edges_are_open_at_the_start_and_closed_at_now():
    burn = burn_from_attempts(
        _run((timedelta(minutes=5), False), (timedelta(0), True), (timedelta(seconds=-1), False)),
        NOW,
        [timedelta(minutes=5)],
    )
    assert (burn[0].attempts, burn[0].failures) == (1, 0)


# --- the scrape log, the check and a real run ----------------------------------------------------


def _insert_attempts(db, rows):
    attempts = pd.DataFrame(rows, columns=["fetched_at", "source", "url", "attempt", "status", "ok", "error"])
    with AnalyticsDuckDB(database=str(db)).get_connection() as conn:
        conn.register("attempts", attempts)
        conn.execute(
            "INSERT INTO nfl.scrape_log (fetched_at, run_id, season, source, url, attempt, status, ok, error, "
            "latency_ms, bytes, sha256) "
            "SELECT fetched_at, 'r1', 2026, source, url, attempt, status, ok, error, 120.0, 1000, NULL FROM attempts"
        )


def _attempt(when, source, ok, attempt=1):
    url = f"http://127.0.0.1:9/{source}/2026"
    return [when, source, url, attempt, 200 if ok else 503, ok, None if ok else "HTTP 503"]


@pytest.mark.integration
def test_slo_from_the_scrape_log_overall_and_per_source(db_path):
    rows = [_attempt(NOW - timedelta(days=1, minutes=i), "pfr", True) for i in range(1998)]
    rows += [_attempt(NOW - timedelta(days=2), "pfr", False), _attempt(NOW - timedelta(days=2), "pfr", True, attempt=2)]
    rows += [_attempt(NOW - timedelta(hours=i), "spotrac", True) for i in range(500)]
    rows += [_attempt(NOW - timedelta(days=40), "spotrac", False) for _ in range(50)]  # outside the window
    rows += [_attempt(NOW - timedelta(minutes=m), "pfr", m != 4) for m in (50, 30, 4, 2)]  # the alert windows
    _insert_attempts(db_path, rows)

    with AnalyticsDuckDB(database=str(db_path)).get_connection() as conn:
        overall = scrape_slo(conn, now=NOW)
        by_source = scrape_slo_by_source(conn, now=NOW)
        pfr_only = scrape_slo(conn, now=NOW, source="pfr")
    assert (overall.attempts, overall.failures) == (2504, 2)
    assert overall.success_rate == 0.9992
    assert overall.error_budget_remaining == 0.201  # 1 - 2/2.504, rounded down to 0.1%
    assert overall.met
    assert {k: (v.attempts, v.failures) for k, v in by_source.items()} == {"pfr": (2004, 2), "spotrac": (500, 0)}
    assert (pfr_only.attempts, pfr_only.failures) == (2004, 2)
    # The query counts the alert windows as the pure function does on the same attempts.
    pure = slo_from_attempts([(r[0], r[5]) for r in rows], now=NOW)
    assert overall == pure
    assert {b.window: (b.attempts, b.failures) for b in by_source["spotrac"].burn}[timedelta(hours=6)] == (6, 0)

    table = slo_markdown(overall, by_source)
    assert "| all sources | 2504 | 2 | 99.920% | 20.1% | met |" in table
    assert "| spotrac | 500 | 0 | 100.000% | 100.0% | met |" in table
    assert "| page | 1 h 200x | 5 min 333.4x | 14.4x | yes |" in table


@pytest.mark.integration
def test_the_check_against_a_duckdb_file(db_path):
    # Twelve failed attempts in the last minutes and no success.
    _insert_attempts(db_path, [_attempt(NOW - timedelta(minutes=1, seconds=i), "pfr", False) for i in range(12)])
    result = scraper_slo_result(AnalyticsDuckDB(database=str(db_path)), now=NOW)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description == (
        "Alert: burn rate 1 h 1000x and 5 min 1000x, page threshold 14.4x; 6 h 1000x and 30 min 1000x, page "
        "threshold 6x. "
        "Ticket: burn rate 3 d 1000x and 6 h 1000x, ticket threshold 1x. "
        "SLO over 30 days (target 99.9%): 0.000% of 12 attempts succeeded, BREACHED; "
        "error budget exhausted: 12 failed attempts against 0.012 allowed over 30 days."
    )
    meta = {k: v.value for k, v in result.metadata.items()}
    assert (
        meta["error_budget_remaining"] == 0.0
        and meta["allowed_failures"] == 0.012
        and meta["failures_remaining"] == 0.0
    )
    assert meta["error_budget"] == "exhausted: 12 failed attempts against 0.012 allowed over 30 days"
    assert meta["page_alert"] is True and meta["page_alert_1h"] is True and meta["ticket_alert_3d"] is True
    assert meta["burn_rate_5min"] == meta["burn_rate_1h"] == 1000.0
    _assert_no_noise(meta)

    # An hour later the failures are outside every page pair's short window: the check passes, the SLO still shows them.
    later = scraper_slo_result(AnalyticsDuckDB(database=str(db_path)), now=NOW + timedelta(hours=1))
    assert later.passed is True
    assert later.description.startswith(
        "Ticket: burn rate 3 d 1000x and 6 h 1000x, ticket threshold 1x. No page alert: burn rate 1 h 0x (no attempts)"
    )
    assert later.description.endswith("error budget exhausted: 12 failed attempts against 0.012 allowed over 30 days.")


@pytest.mark.integration
def test_the_check_with_an_empty_scrape_log(db_path):
    result = scraper_slo_result(AnalyticsDuckDB(database=str(db_path)), now=NOW)
    assert result.passed is True
    assert result.description.startswith(
        "No alert: burn rate 1 h 0x (no attempts) and 5 min 0x (no attempts), page threshold 14.4x;"
    )
    assert result.description.endswith("SLO over 30 days (target 99.9%): n/a, no attempts, so no error budget spent.")
    meta = {k: v.value for k, v in result.metadata.items()}
    assert (
        meta["attempts"] == 0
        and meta["slo"] == meta["success_rate"] == meta["error_budget_remaining"] == "n/a, no attempts"
    )


@pytest.mark.integration
def test_slo_is_an_asset_check_in_real_runs(db_path):
    now = datetime.now(UTC)
    # Yesterday 1000 attempts, 3 failed (99.7% against 99.9%: the budget of 1 failure spent); nothing since.
    _insert_attempts(db_path, [_attempt(now - timedelta(days=1, seconds=i), "pfr", i >= 3) for i in range(1000)])

    assert dg.AssetCheckKey(dg.AssetKey("standings"), "scraper_slo") in defs.resolve_asset_graph().asset_check_keys
    # Evaluated in the standings step itself (no step of its own), so the daily job runs it.
    assert dg.AssetCheckKey(dg.AssetKey("standings"), "scraper_slo") in defs.get_assets_def("standings").check_keys

    def evaluation_of(instance):
        result = dg.materialize(
            [defs.get_assets_def("standings")],
            resources=resources_for(db_path),
            partition_key="2019",
            instance=instance,
        )
        assert result.success  # an alert warns; it does not block the data
        (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "scraper_slo"]
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        return result, evaluation, {k: v.value for k, v in evaluation.metadata.items()}

    with dg.instance_for_test() as instance:
        # Breached over 30 days, but no failure among the latest attempts: no page.
        _, evaluation, meta = evaluation_of(instance)
        assert evaluation.passed is True
        assert evaluation.description == (
            "No alert: burn rate 1 h 0x (no attempts) and 5 min 0x (no attempts), page threshold 14.4x; "
            "6 h 0x (no attempts) and 30 min 0x (no attempts), page threshold 6x; 3 d 3x and 6 h 0x (no attempts), "
            "ticket threshold 1x. "
            "SLO over 30 days (target 99.9%): 99.700% of 1000 attempts succeeded, BREACHED; "
            "error budget exhausted: 3 failed attempts against 1 allowed over 30 days."
        )
        assert meta["attempts"] == 1000 and meta["failures"] == 3 and meta["success_rate"] == 0.997
        assert meta["error_budget_remaining"] == 0.0 and meta["slo"] == "BREACHED" and meta["page_alert"] is False
        assert (
            "| all sources | 1000 | 3 | 99.700% | exhausted: 3 failed attempts against 1 allowed over 30 days | "
            "BREACHED |" in meta["by_source"]
        )
        _assert_no_noise(meta)

        # Then a burst: 12 failed attempts in the last minute. The next run's check pages.
        _insert_attempts(db_path, [_attempt(datetime.now(UTC) - timedelta(seconds=i), "pfr", False) for i in range(12)])
        result, evaluation, meta = evaluation_of(instance)
        assert evaluation.passed is False
        assert evaluation.description.startswith(
            "Alert: burn rate 1 h 1000x and 5 min 1000x, page threshold 14.4x; 6 h 1000x and 30 min 1000x, page "
            "threshold 6x."
        )
        assert evaluation.description.endswith(
            "error budget exhausted: 15 failed attempts against 1.012 allowed over 30 days."
        )
        assert meta["page_alert"] is True and meta["error_budget_remaining"] == 0.0 and meta["burn_rate_5min"] == 1000.0
        _assert_no_noise(meta)
        # Run storage has it as the latest evaluation of the check.
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([evaluation.asset_check_key])[
            evaluation.asset_check_key
        ]
        assert record.run_id == result.run_id

    stored = read_table(db_path, "SELECT count(*) AS n FROM nfl.standings WHERE season = 2019")
    assert stored["n"].item() == 32
