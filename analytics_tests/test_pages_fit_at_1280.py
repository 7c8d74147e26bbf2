"""Every page written (charts, report, season in progress) at 1280 px in Chromium: no console error,
and every table fits its column (no horizontal scrolling inside the report)."""

from __future__ import annotations

from analytics_tests.outputs_support import open_pages, require_chromium

OVERFLOWING_TABLES = """() => [...document.querySelectorAll('table')]
    .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)
    .map(t => `${t.className || t.id}: ${t.scrollWidth} px in ${t.parentElement.clientWidth} px`)"""


def test_every_page_at_1280_px_has_no_console_error_and_no_overflowing_table(outputs):
    require_chromium()
    pages = sorted(outputs.out_dir.glob("*.html"))
    assert {p.name for p in pages} >= {"risk_report.html", "league_history.html", "dead_cap_heatmap.html"}
    found: dict[str, list[str]] = {}
    seen = open_pages([p.as_uri() for p in pages], action=lambda page: found.__setitem__(page.url, page.evaluate(OVERFLOWING_TABLES)), width=1280)
    for path, page in zip(pages, seen):
        assert page.errors == [], (path.name, page.errors)
        assert found[path.as_uri()] == [], (path.name, found[path.as_uri()])
