"""A page per franchise: 32 files linked from the report, their numbers, escaping, and a real browser."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from analytics_assets.marts.risk import QUADRANTS, SEASON_QUADRANTS
from analytics_assets.reporting import team_pages
from analytics_assets.reporting.assets import risk_report
from analytics_tests.conftest import read_table
from analytics_tests.outputs_support import materialize_outputs, open_pages, require_chromium
from analytics_tests.test_report import Tables

FRANCHISES = 32


def test_one_page_per_franchise_linked_from_the_report_team_table(outputs):
    teams = outputs.out_dir / "teams"
    pages = sorted(p.name for p in teams.glob("*.html"))
    stored = read_table(outputs.db, "SELECT DISTINCT franchise FROM nfl.team_season_risk ORDER BY franchise")
    assert pages == [f"{f}.html" for f in stored["franchise"]] and len(pages) == FRANCHISES
    report = (outputs.out_dir / "risk_report.html").read_text("utf-8")
    table = report[report.index('id="team-table"'):]
    table = table[: table.index("</table>")]
    assert sorted(re.findall(r'href="teams/([A-Z]+)\.html"', table)) == [p[:-5] for p in pages]
    assert outputs.metadata["risk_report"]["team_pages"] == FRANCHISES


def test_a_team_page_holds_the_franchise_seasons_quadrants_and_provenance(outputs, reference):
    page = Tables((outputs.out_dir / "teams" / "LV.html").read_text("utf-8"))
    rows = page.tables["season-table"]["rows"]
    ref = reference[reference["franchise"] == "LV"].sort_values("season")
    assert [int(r[0]["text"]) for r in rows] == ref["season"].tolist() == list(range(2011, 2026))
    assert [r[1]["text"] for r in rows] == ref["team"].tolist()  # OAK through 2019, LV from 2020
    assert {r[1]["text"] for r in rows} == {"OAK", "LV"}
    pct = page.tables["season-table"]["headers"].index("Dead cap %")
    assert [float(r[pct]["sort"]) for r in rows] == pytest.approx(ref["pct"].tolist(), abs=1e-9)
    quadrants = page.tables["quadrant-table"]["rows"]
    assert [q[1]["title"] for q in quadrants] == [*QUADRANTS.values(), *SEASON_QUADRANTS.values()]
    hell = [int(s) for s in quadrants[0][3]["text"].split(", ")]
    assert hell == ref.loc[ref["high"] & ~ref["winning"], "season"].tolist()
    assert sum(int(q[2]["text"]) for q in quadrants[:4]) == sum(int(q[2]["text"]) for q in quadrants[4:]) == 15
    provenance = page.tables["provenance-table"]["rows"]
    assert len(provenance) == 30 and {r[1]["text"] for r in provenance} == {"standings", "dead_cap"}
    assert all(r[3]["text"] == "embedded" and len(r[5]["text"]) == 64 for r in provenance)


def test_team_pages_render_in_chromium_offline_without_errors(outputs):
    require_chromium()
    urls = sorted(p.as_uri() for p in (outputs.out_dir / "teams").glob("*.html"))
    drawn: dict[str, int] = {}

    def inspect(page):
        drawn[page.url] = page.evaluate("() => document.querySelectorAll('.plotly-graph-div .main-svg').length")

    seen = open_pages(urls, inspect)
    assert len(seen) == FRANCHISES
    for url, watched in zip(urls, seen):
        assert watched.errors == [], (url, watched.errors)
        assert watched.remote_requests() == [], (url, watched.remote_requests())
        assert drawn[url] > 0, url  # plotly.js loaded from ../plotly.min.js and drew the chart


def test_reruns_write_byte_identical_team_and_season_pages(outputs, tmp_path):
    db = tmp_path / "again.duckdb"
    shutil.copy(outputs.db, db)
    out = tmp_path / "reports"
    contents = []
    for _ in range(2):
        assert materialize_outputs(db, out, assets=[risk_report]).success
        files = sorted((out / "teams").glob("*.html")) + [out / team_pages.SEASON_FILE]
        contents.append({f.name: f.read_bytes() for f in files})
    assert contents[0] == contents[1] and len(contents[0]) == FRANCHISES + 1


def test_source_strings_are_escaped_on_team_pages():
    risk = pd.DataFrame({
        "season": [2030, 2030], "team": ["<script>alert('t')</script>", "B"], "franchise": ["AA", "BB"],
        "conference": ["AFC", "NFC"], "division": ['<img src=x onerror="alert(1)">', "NFC East"],
        "wins": [5, 12], "losses": [12, 5], "ties": [0, 0], "win_pct": [5 / 17, 12 / 17], "dead_money_musd": [50.0, 5.0],
        "league_salary_cap_musd": [300.0, 300.0], "dead_cap_pct": [50 / 3, 5 / 3], "dead_cap_percentile": [100.0, 50.0],
        "dead_cap_zscore": [1.0, -1.0], "risk_tier": ["high", "low"],
        "quadrant": [QUADRANTS[(True, False)], QUADRANTS[(False, True)]], "season_quadrant": [SEASON_QUADRANTS[(True, False)], SEASON_QUADRANTS[(False, True)]],
        "season_median_dead_cap_pct": [9.17, 9.17], "next_season_win_pct_change": [float("nan")] * 2,
    })
    provenance = pd.DataFrame({
        "season": [2030], "table_name": ["standings"], "franchise": ["AA"], "team": ["A"], "source": ["live"],
        "source_ref": ["https://x.invalid/\"><script>alert('ref')</script>"], "raw_sha256": ["0" * 64], "loaded_at": [pd.Timestamp("2030-01-01", tz="UTC")],
    })
    text = team_pages.team_page("AA", risk, provenance)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    with pytest.raises(ValueError, match="cannot name a page file"):
        team_pages.page_name("../../etc")
