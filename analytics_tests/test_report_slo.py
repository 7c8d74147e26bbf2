"""The report's scraper SLO section reads nfl.scrape_log: attempts, failures and the budget left."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import duckdb

from analytics_tests.outputs_support import materialize_outputs


def _attempts(db, rows):
    with duckdb.connect(str(db)) as conn:
        conn.executemany(
            "INSERT INTO nfl.scrape_log (fetched_at, run_id, season, source, url, attempt, status, ok, error, latency_ms, bytes, sha256) "
            "VALUES (?, 'r', 2026, ?, ?, 1, ?, ?, NULL, 10.0, 100, NULL)",
            rows,
        )


def test_report_shows_the_scraper_slo_per_source(full_db, tmp_path):
    db = tmp_path / "analytics.duckdb"
    shutil.copy(full_db, db)
    now = datetime.now(timezone.utc)
    ok = [(now - timedelta(days=1), "pfr", "http://127.0.0.1/years/2026/index.htm", 200, True)] * 1999
    bad = [(now - timedelta(days=2), "pfr", "http://127.0.0.1/years/2026/index.htm", 503, False)]
    old = [(now - timedelta(days=45), "spotrac", "http://127.0.0.1/nfl/cap/2026/", 500, False)] * 7  # outside 30 days
    spotrac = [(now - timedelta(hours=3), "spotrac", "http://127.0.0.1/nfl/cap/2026/", 200, True)] * 500
    _attempts(db, ok + bad + old + spotrac)
    assert materialize_outputs(db, tmp_path / "reports").success
    html = (tmp_path / "reports" / "risk_report.html").read_text()
    section = html[html.index('id="scraper-slo"'):]
    section = section[: section.index("</section>")]
    # 2,500 attempts in the window, 1 failure: 99.960% success; budget 2.5 failures, 1 spent -> 60% left.
    assert "99.960%" in section and "60.0%" in section and "met" in section
    assert section.count("<tr") == 1 + 3  # header + all sources, pfr, spotrac
    markdown = (tmp_path / "reports" / "risk_report.md").read_text()
    assert "## Scraper SLO" in markdown and "| all sources | 2500 | 1 | 99.960% | 60.0% | met |" in markdown


def test_source_names_in_the_slo_section_are_escaped(outputs, tmp_path):
    """A source name is data like any other: the template escapes it (the hand-written page once did not)."""
    db = tmp_path / "hostile.duckdb"
    shutil.copy(outputs.db, db)
    now = datetime.now(timezone.utc)
    _attempts(db, [(now - timedelta(hours=1), "<img src=x onerror=alert(1)>", "http://127.0.0.1/x", 500, False)])
    assert materialize_outputs(db, tmp_path / "reports").success
    html = (tmp_path / "reports" / "risk_report.html").read_text()
    section = html[html.index('id="scraper-slo"'):]
    section = section[: section.index("</section>")]
    assert "<img src=x" not in section and "&lt;img src=x onerror=alert(1)&gt;" in section
