"""A page per franchise: 32 files linked from the report, their numbers, escaping, and a real browser."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from analytics_assets.analytics import risk
from analytics_assets.analytics.risk import QUADRANTS, SEASON_QUADRANTS
from analytics_assets.defs.outputs.assets import risk_report
from analytics_assets.reporting import team_pages
from analytics_tests.support.data import read_table
from analytics_tests.support.html import Tables
from analytics_tests.support.outputs import materialize_outputs

FRANCHISES = 32


@pytest.mark.integration
def test_one_page_per_franchise_linked_from_the_report_team_table(outputs):
    teams = outputs.out_dir / "teams"
    pages = sorted(p.name for p in teams.glob("*.html"))
    stored = read_table(outputs.db, "SELECT DISTINCT franchise FROM nfl.team_season_risk ORDER BY franchise")
    assert pages == [f"{f}.html" for f in stored["franchise"]] and len(pages) == FRANCHISES
    report = (outputs.out_dir / "risk_report.html").read_text("utf-8")
    table = report[report.index('id="team-table"') :]
    table = table[: table.index("</table>")]
    assert sorted(re.findall(r'href="teams/([A-Z]+)\.html"', table)) == [p[:-5] for p in pages]
    assert outputs.metadata["risk_report"]["team_pages"] == FRANCHISES


@pytest.mark.integration
def test_a_team_page_holds_the_franchise_seasons_classes_and_provenance(outputs, reference):
    text = (outputs.out_dir / "teams" / "LV.html").read_text("utf-8")
    page = Tables(text)
    rows = page.tables["season-table"]["rows"]
    ref = reference[reference["franchise"] == "LV"].sort_values("season")
    assert [int(r[0]["text"]) for r in rows] == ref["season"].tolist() == list(range(2011, 2026))
    # One code per franchise in every table: LV, its current code; the header says it played as OAK.
    assert "Oakland Raiders 2011-2019, Las Vegas Raiders 2020-2025" in text and "OAK 2011-2019, LV 2020-2025" in text
    pct = page.tables["season-table"]["headers"].index("Dead cap %")
    assert [float(r[pct]["sort"]) for r in rows] == pytest.approx(ref["pct"].tolist(), abs=1e-9)
    # The season table is on the season-relative basis only; the absolute view is its own table.
    headers = page.tables["season-table"]["headers"]
    assert "Season-relative class" in headers and not any("Quadrant" in h for h in headers)
    cls = headers.index("Season-relative class")
    expected = [risk.short_name(SEASON_QUADRANTS[(bool(a), r)]) for a, r in zip(ref["above"], ref["record"])]
    assert [r[cls]["text"] for r in rows] == expected
    relative, absolute = page.tables["season-class-table"]["rows"], page.tables["absolute-class-table"]["rows"]
    assert [q[0]["title"] for q in relative] == [SEASON_QUADRANTS[k] for k in risk.CLASS_KEYS]
    assert [q[0]["title"] for q in absolute] == [QUADRANTS[k] for k in risk.CLASS_KEYS]
    hell = [int(s) for s in absolute[0][2]["text"].split(", ")]
    assert hell == ref.loc[ref["high"] & (ref["record"] == "losing"), "season"].tolist()
    assert sum(int(q[1]["text"]) for q in relative) == sum(int(q[1]["text"]) for q in absolute) == 15
    provenance = page.tables["provenance-table"]["rows"]
    assert len(provenance) == 30 and {r[1]["text"] for r in provenance} == {"standings", "dead_cap"}
    assert all(r[2]["text"] == "embedded" and len(r[4]["text"]) == 64 for r in provenance)


@pytest.mark.integration
def test_no_table_shows_a_second_code_for_a_franchise(outputs):
    """The season's own codes (STL, SD, OAK, and nflverse's LA for the Rams) appear in no table cell of
    the report, a team page or the season page: every table names a team by its franchise id."""
    season_codes = set(
        read_table(outputs.db, "SELECT DISTINCT team FROM nfl.team_season_risk WHERE team <> franchise")["team"]
    )
    assert season_codes >= {"STL", "SD", "OAK", "LA"}
    pages = [
        outputs.out_dir / "risk_report.html",
        outputs.out_dir / team_pages.SEASON_FILE,
        *sorted((outputs.out_dir / "teams").glob("*.html")),
    ]
    for path in pages:
        for table_id, table in Tables(path.read_text("utf-8")).tables.items():
            cells = {c["text"].strip() for row in table["rows"] for c in row}
            assert not cells & season_codes, (path.name, table_id, cells & season_codes)


@pytest.mark.integration
def test_without_snapshots_the_season_page_says_so_instead_of_drawing_empty_axes(outputs):
    text = (outputs.out_dir / team_pages.SEASON_FILE).read_text("utf-8")
    assert "plotly-graph-div" not in text and 'id="no-snapshots"' in text
    assert "No snapshot of a season in progress is stored yet, so there is nothing to draw." in text
    # The pipeline's state is there all the same: refreshes, incidents and the scraper SLO.
    for section in ('id="refreshes"', 'id="incidents"', 'id="scraper-slo"'):
        assert section in text
    assert "No live scrape attempt is recorded in nfl.scrape_log" in text


@pytest.mark.integration
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


@pytest.mark.unit
def test_source_strings_are_escaped_on_team_pages():
    rows = pd.DataFrame(
        {
            "season": [2030, 2030],
            "team": ["<script>alert('t')</script>", "B"],
            "franchise": ["AA", "BB"],
            "conference": ["AFC", "NFC"],
            "division": ['<img src=x onerror="alert(1)">', "NFC East"],
            "wins": [5, 12],
            "losses": [12, 5],
            "ties": [0, 0],
            "win_pct": [5 / 17, 12 / 17],
            "dead_money_musd": [50.0, 5.0],
            "league_salary_cap_musd": [300.0, 300.0],
            "dead_cap_pct": [50 / 3, 5 / 3],
            "dead_cap_percentile": [100.0, 50.0],
            "dead_cap_zscore": [1.0, -1.0],
            "risk_tier": ["high", "low"],
            "quadrant": [QUADRANTS[(True, risk.LOSING)], QUADRANTS[(False, risk.WINNING)]],
            "season_quadrant": [SEASON_QUADRANTS[(True, risk.LOSING)], SEASON_QUADRANTS[(False, risk.WINNING)]],
            "season_median_dead_cap_pct": [9.17, 9.17],
            "next_season_win_pct_change": [float("nan")] * 2,
        }
    )
    provenance = pd.DataFrame(
        {
            "season": [2030],
            "table_name": ["standings"],
            "franchise": ["AA"],
            "team": ["A"],
            "source": ["live"],
            "source_ref": ["https://x.invalid/\"><script>alert('ref')</script>"],
            "raw_sha256": ["0" * 64],
            "loaded_at": [pd.Timestamp("2030-01-01", tz="UTC")],
        }
    )
    text = team_pages.team_page("AA", rows, provenance)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert (
        "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in text
        and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    )
    with pytest.raises(ValueError, match="cannot name a page file"):
        team_pages.page_name("../../etc")
