"""The report's scraper SLO section reads nfl.scrape_log: attempts, failures, the budget left and the
burn-rate alerts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from analytics_assets.reporting.report import _slo_context
from analytics_assets.slo import ScrapeSlo, slo_from_attempts
from analytics_tests.support.outputs import materialize_outputs


def _attempts(db, rows):
    with duckdb.connect(str(db)) as conn:
        conn.executemany(
            "INSERT INTO nfl.scrape_log (fetched_at, run_id, season, source, url, attempt, status, ok, error, "
            "latency_ms, bytes, sha256) "
            "VALUES (?, 'r', 2026, ?, ?, 1, ?, ?, NULL, 10.0, 100, NULL)",
            rows,
        )


@pytest.mark.integration
def test_report_shows_the_scraper_slo_per_source(full_db, tmp_path):
    db = tmp_path / "analytics.duckdb"
    shutil.copy(full_db, db)
    now = datetime.now(UTC)
    ok = [(now - timedelta(days=1), "pfr", "http://127.0.0.1/years/2026/index.htm", 200, True)] * 1999
    bad = [(now - timedelta(days=2), "pfr", "http://127.0.0.1/years/2026/index.htm", 503, False)]
    old = [(now - timedelta(days=45), "spotrac", "http://127.0.0.1/nfl/cap/2026/", 500, False)] * 7  # outside 30 days
    spotrac = [(now - timedelta(hours=3), "spotrac", "http://127.0.0.1/nfl/cap/2026/", 200, True)] * 500
    _attempts(db, ok + bad + old + spotrac)
    assert materialize_outputs(db, tmp_path / "reports").success
    html = (tmp_path / "reports" / "risk_report.html").read_text()
    section = html[html.index('id="scraper-slo"') :]
    section = section[: section.index("</section>")]
    # 2,500 attempts in the window, 1 failure: 99.960% success; budget 2.5 failures, 1 spent -> 60% left.
    assert "99.960%" in section and "60.0%" in section and "met" in section
    assert section.count("<tr") == (1 + 3) + (1 + 3)  # header + all sources, pfr, spotrac; header + the three alerts
    # No failure among the latest attempts: no alert, each window's burn rate shown.
    assert (
        "No alert: burn rate 1 h 0x (no attempts) and 5 min 0x (no attempts), page threshold 14.4x; "
        "6 h 0x and 30 min 0x (no attempts), page threshold 6x; 3 d 0.4x and 6 h 0x, ticket threshold 1x." in section
    )
    markdown = (tmp_path / "reports" / "risk_report.md").read_text()
    assert "## Scraper SLO" in markdown and "| all sources | 2500 | 1 | 99.960% | 60.0% | met |" in markdown
    assert "| ticket | 3 d 0.4x | 6 h 0x | 1x | no |" in markdown


@pytest.mark.integration
def test_report_shows_an_exhausted_budget_and_a_firing_alert(full_db, tmp_path):
    db = tmp_path / "analytics.duckdb"
    shutil.copy(full_db, db)
    now = datetime.now(UTC)
    _attempts(
        db,
        [(now - timedelta(seconds=i), "pfr", "http://127.0.0.1/years/2026/index.htm", 503, False) for i in range(12)],
    )
    assert materialize_outputs(db, tmp_path / "reports").success
    html = (tmp_path / "reports" / "risk_report.html").read_text()
    section = html[html.index('id="scraper-slo"') :]
    section = section[: section.index("</section>")]
    assert "exhausted: 12 failed attempts against 0.012 allowed over 30 days" in section and "BREACHED" in section
    assert "0.000%" in section and "-99" not in section and "998.9" not in section
    assert (
        "Alert: burn rate 1 h 1000x and 5 min 1000x, page threshold 14.4x; 6 h 1000x and 30 min 1000x, page "
        "threshold 6x." in section
    )
    assert section.count(">firing</td>") == 3
    markdown = (tmp_path / "reports" / "risk_report.md").read_text()
    assert (
        "| all sources | 12 | 12 | 0.000% | exhausted: 12 failed attempts against 0.012 allowed over 30 days | "
        "BREACHED |" in markdown
    )
    assert "| page | 1 h 1000x | 5 min 1000x | 14.4x | yes |" in markdown


def _texts(rows):
    return [[c.text for c in row] for row in rows]


@pytest.mark.unit
def test_slo_context_rows():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    burst = slo_from_attempts([(now - timedelta(minutes=1), False)] * 12, now=now)
    empty = ScrapeSlo(now - timedelta(days=30), now, 0, 0)
    context = _slo_context([("all sources", burst), ("spotrac", empty)])
    assert _texts(context["slo_rows"]) == [
        [
            "all sources",
            "12",
            "12",
            "0.000%",
            "exhausted: 12 failed attempts against 0.012 allowed over 30 days",
            "BREACHED",
        ],
        ["spotrac", "0", "0", "n/a", "n/a, no attempts", "n/a, no attempts"],
    ]
    assert _texts(context["slo_alert_rows"]) == [
        ["page", "1 h 1000x", "5 min 1000x", "14.4x", "firing"],
        ["page", "6 h 1000x", "30 min 1000x", "6x", "firing"],
        ["ticket", "3 d 1000x", "6 h 1000x", "1x", "firing"],
    ]
    assert context["slo_alert_line"].startswith("Alert: burn rate 1 h 1000x and 5 min 1000x, page threshold 14.4x;")
    assert (context["slo_target"], context["slo_days"]) == ("99.9%", 30)
    assert _slo_context([])["slo_alert_rows"] == []


@pytest.mark.integration
def test_source_names_in_the_slo_section_are_escaped(outputs, tmp_path):
    """A source name is data like any other: the template escapes it (the hand-written page once did not)."""
    db = tmp_path / "hostile.duckdb"
    shutil.copy(outputs.db, db)
    now = datetime.now(UTC)
    _attempts(db, [(now - timedelta(hours=1), "<img src=x onerror=alert(1)>", "http://127.0.0.1/x", 500, False)])
    assert materialize_outputs(db, tmp_path / "reports").success
    html = (tmp_path / "reports" / "risk_report.html").read_text()
    section = html[html.index('id="scraper-slo"') :]
    section = section[: section.index("</section>")]
    assert "<img src=x" not in section and "&lt;img src=x onerror=alert(1)&gt;" in section
