"""The risk report: findings against independent numbers, every section, escaping, and a real browser."""

from __future__ import annotations

import hashlib
import html
import re
import shutil

import duckdb
import numpy as np
import pytest

from analytics_assets.analytics import risk
from analytics_assets.defs.outputs.assets import risk_charts, risk_report
from analytics_assets.ingestion import embedded
from analytics_assets.reporting import charts, report
from analytics_tests.support.browser import require_chromium
from analytics_tests.support.data import read_table
from analytics_tests.support.html import Tables
from analytics_tests.support.outputs import materialize_outputs, metadata_of, open_pages

LATEST = 2025  # the newest embedded season, complete since March 2026


@pytest.fixture(scope="module")
def page(outputs) -> str:
    return (outputs.out_dir / report.REPORT_FILE).read_text("utf-8")


@pytest.fixture(scope="module")
def parsed(page) -> Tables:
    return Tables(page)


@pytest.mark.integration
def test_report_and_markdown_are_written_beside_the_charts(outputs):
    meta = outputs.metadata["risk_report"]
    assert meta["path"] == str(outputs.out_dir / "risk_report.html")
    assert meta["markdown_path"] == str(outputs.out_dir / "risk_report.md")
    assert meta["latest_complete_season"] == LATEST
    assert (outputs.out_dir / "plotly.min.js").exists()


@pytest.mark.browser
def test_headline_findings_match_an_independent_computation(outputs, parsed, reference):
    season = reference[reference["season"] == LATEST]
    top = season.loc[season["pct"].idxmax()]
    findings = " ".join(parsed.findings)
    assert (
        f"In {LATEST}, {top['franchise']} carried the most dead money: ${top['dead_money_musd']:.1f}M, "
        f"{top['pct']:.1f}% of the" in findings
    )
    hell = season[season["high"] & (season["record"] == "losing")]
    assert (
        f"Absolute view (15% of the cap and .500, whatever the season): {len(hell)} of 32 teams were in cap hell in "
        f"{LATEST}" in findings
    )
    assert all(f"{team} (" in findings for team in hell["franchise"])
    means = reference.groupby("season")["pct"].mean()
    assert f"from {means[2011]:.1f}% of the cap in 2011 to {means[LATEST]:.1f}% in {LATEST}" in findings
    slope, _ = np.polyfit(reference["pct"], reference["win_pct"], 1)
    assert f"went with {abs(slope * 1000):.1f} win-% points {'fewer' if slope < 0 else 'more'}" in findings
    assert outputs.metadata["risk_report"]["headline_pooled_fit"] == pytest.approx(slope * 1000, abs=1e-3)
    assert outputs.metadata["risk_report"]["headline_cap_hell_teams"] == len(hell)
    negative = sum(
        1 for _, g in reference.groupby("season") if np.corrcoef(g["pct"].rank(), g["win_pct"].rank())[0, 1] < 0
    )
    assert f"(negative Spearman rho) in {negative} of 15 seasons" in findings
    nxt = reference.dropna(subset=["next"])
    heavy = nxt["tier"].isin(["high", "extreme"])
    change = (nxt["next"] - nxt["win_pct"]) * 100
    assert f"by {change[heavy].mean():+.1f} points on average ({heavy.sum()} team-seasons)" in findings


@pytest.mark.browser
def test_sortable_team_table_of_the_latest_complete_season(parsed, reference, page):
    table = parsed.tables["team-table"]
    assert table["headers"][:3] == ["Rank", "Team", "Conf."]
    rows = table["rows"]
    season = reference[reference["season"] == LATEST].sort_values(["rank", "franchise"])
    assert [r[1]["text"] for r in rows] == season["franchise"].tolist()  # LAR, never LA beside it
    pct_col = table["headers"].index("Dead cap %")
    assert np.allclose([float(r[pct_col]["sort"]) for r in rows], season["pct"], atol=1e-9)
    assert 'class="sortable"' in page and 'addEventListener("click", sort)' in page


@pytest.mark.browser
def test_the_first_paragraph_is_the_general_managers_computed_from_the_data(outputs, page):
    header = page[page.index("<header>") : page.index("</header>")]
    lede = header[header.index('<p class="lede" id="gm-summary">') :]
    lede = html.unescape(lede[lede.index(">") + 1 : lede.index("</p>")])
    risk = read_table(outputs.db, "SELECT * FROM nfl.team_season_risk")
    fit = read_table(outputs.db, "SELECT * FROM nfl.league_risk_fit").iloc[0].to_dict()
    assert lede == report.gm_paragraph(risk, fit, LATEST)
    assert "Headline findings" not in header  # it comes first, before the findings
    markdown = (outputs.out_dir / report.SUMMARY_FILE).read_text()
    assert markdown.split("\n\n")[2] == report.md(lede)


@pytest.mark.browser
def test_each_table_states_its_one_classification_basis(parsed, page):
    """The team table classifies on the season-relative basis only (no absolute column beside its tier),
    the absolute view is a table of its own saying so, and tier and class never contradict."""
    team = parsed.tables["team-table"]
    assert "Season-relative class" in team["headers"] and not any(
        "Quadrant" in h or "Absolute" in h for h in team["headers"]
    )
    captions = dict(re.findall(r'<table id="([a-z-]+)"[^>]*><caption>([^<]+)</caption>', page))
    assert captions["team-table"].startswith("Season-relative basis") and captions["summary-table"].startswith(
        "Season-relative basis"
    )
    assert captions["absolute-table"].startswith("Absolute basis") and captions["absolute-season-table"].startswith(
        "Absolute basis"
    )
    tier, cls = team["headers"].index("Tier"), team["headers"].index("Season-relative class")
    for row in team["rows"]:
        if row[tier]["text"] in ("high", "extreme"):
            assert row[cls]["text"].startswith("Above median"), row
        if row[tier]["text"] == "low":
            assert row[cls]["text"].startswith("Below median"), row
    assert [r[0]["text"] for r in parsed.tables["absolute-table"]["rows"]] == [
        risk.short_name(risk.QUADRANTS[k]) for k in risk.CLASS_KEYS
    ]
    assert 'an 8-8 team is ".500", neither winning nor losing' in page


@pytest.mark.browser
def test_league_table_and_pooled_fit(parsed, page):
    rows = parsed.tables["summary-table"]["rows"]
    assert [int(r[0]["text"]) for r in rows] == list(range(2011, 2026))
    assert "Pooled fit over 480 team-seasons, 2011-2025" in page and "95% CI" in page


@pytest.mark.browser
def test_data_quality_section_shows_every_recorded_rule_and_its_latest_result(outputs, parsed):
    rows = parsed.tables["quality-table"]["rows"]
    shown = {(r[0]["text"], r[1]["text"]): r for r in rows}
    latest = read_table(
        outputs.db,
        "SELECT table_name, rule, season, passed, severity FROM nfl.quality_results "
        "QUALIFY row_number() OVER (PARTITION BY table_name, rule, season ORDER BY checked_at DESC) = 1",
    )
    for (table, rule), g in latest.groupby(["table_name", "rule"]):
        row = shown[(table, rule)]
        failing = g[~g["passed"]]
        expected = "passed" if failing.empty else ("warning" if g["severity"].iloc[-1] == "WARN" else "failed")
        assert row[3]["text"] == expected, (table, rule)
        assert int(row[4]["text"]) == g["season"].nunique()
        assert row[5]["text"] == (", ".join(map(str, sorted(failing["season"]))) or "none")


@pytest.mark.integration
def test_quality_section_reports_the_latest_result_not_an_old_one(outputs, tmp_path):
    """A rule that failed once and passed on the next run shows as passed; the reverse shows as failed."""
    db = tmp_path / "quality.duckdb"
    shutil.copy(outputs.db, db)
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "INSERT INTO nfl.quality_results VALUES (now() - INTERVAL 1 DAY, 'old', 'standings', 2019, "
            "'win_pct_range', 'ERROR', false, 1, 'old failure'),"
            " (now() + INTERVAL 1 DAY, 'new', 'standings', 2020, 'games_add_up', 'ERROR', false, 3, 'W + L + T != G "
            "for <b>3</b> teams'),"
            " (now(), 'new', 'future_table', 2020, 'a_new_rule', 'WARN', true, 0, '')"
        )
    result = materialize_outputs(db, tmp_path / "reports", assets=[risk_report])
    assert result.success
    rows = {
        (r[0]["text"], r[1]["text"]): r
        for r in Tables((tmp_path / "reports" / "risk_report.html").read_text()).tables["quality-table"]["rows"]
    }
    assert rows[("standings", "win_pct_range")][3]["text"] == "passed"
    games = rows[("standings", "games_add_up")]
    assert games[3]["text"] == "failed" and games[5]["text"] == "2020" and "<b>3</b>" in games[7]["text"]
    assert rows[("future_table", "a_new_rule")][3]["text"] == "passed"  # a rule added later shows up unannounced


@pytest.mark.browser
def test_provenance_for_every_stored_season(parsed, outputs):
    rows = parsed.tables["provenance-table"]["rows"]
    stored = read_table(
        outputs.db, "SELECT DISTINCT season FROM nfl.standings UNION SELECT DISTINCT season FROM nfl.dead_cap"
    )
    by_table = {}
    for r in rows:
        by_table.setdefault(r[1]["text"], set()).add(int(r[0]["text"]))
    assert by_table == {"standings": set(stored["season"]), "dead_cap": set(stored["season"])}
    shas = {r[4]["text"] for r in rows}
    for name in (embedded.STANDINGS_FILE, embedded.DEAD_MONEY_FILE):
        assert hashlib.sha256((embedded.EMBEDDED_DIR / name).read_bytes()).hexdigest() in shas
    assert all(
        r[2]["text"] == "embedded" and r[3]["text"].endswith(".csv") and r[6]["text"].endswith("UTC") for r in rows
    )


@pytest.mark.browser
def test_markdown_summary(outputs, parsed):
    text = (outputs.out_dir / report.SUMMARY_FILE).read_text()
    assert text.startswith("# NFL dead-cap risk report")
    for finding in parsed.findings:
        assert html.escape(finding, quote=False).replace("|", "\\|") in text
    assert text.count("\n| ") >= 11  # header plus the ten teams with the most dead cap
    assert all(f"]({c.filename})" in text for c in charts.CHARTS)


HOSTILE_TEAM = "<script>alert('team')</script>"
HOSTILE_DIVISION = '<img src=x onerror="alert(1)">'
HOSTILE_REF = "https://example.invalid/x\"><script>alert('ref')</script>"
HOSTILE_DETAIL = "</td></tr></table><script>alert('detail')</script>"


@pytest.fixture(scope="module")
def hostile(outputs, tmp_path_factory):
    """Source strings carrying markup in every field the report and charts show."""
    base = tmp_path_factory.mktemp("hostile")
    db = base / "hostile.duckdb"
    shutil.copy(outputs.db, db)
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "UPDATE nfl.team_season_risk SET team = ?, division = ? WHERE season = ? AND team = 'SEA'",
            [HOSTILE_TEAM, HOSTILE_DIVISION, LATEST],
        )
        conn.execute("UPDATE nfl.standings SET source_ref = ? WHERE season = ?", [HOSTILE_REF, LATEST])
        conn.execute(
            "INSERT INTO nfl.quality_results VALUES (now(), 'x', 'dead_cap', ?, 'allocations_near_cap', 'WARN', "
            "false, 1, ?)",
            [LATEST, HOSTILE_DETAIL],
        )
        conn.execute(
            "INSERT INTO nfl.incidents VALUES (now(), 'x', 'dead_cap', ?, 'dead_cap_drift', 'ERROR', 'refused', "
            "'live', ?, NULL, ?, ?, NULL, ?)",
            [LATEST, HOSTILE_REF, HOSTILE_DETAIL, HOSTILE_DETAIL, HOSTILE_DETAIL],
        )
    result = materialize_outputs(db, base / "reports", assets=[risk_charts, risk_report])
    assert result.success
    return base / "reports", metadata_of(result)


def _script_tags(text: str) -> list[dict]:
    return Tables(text).scripts


@pytest.mark.browser
def test_source_strings_come_out_escaped(hostile, page):
    out, _ = hostile
    text = (out / report.REPORT_FILE).read_text()
    for raw in (HOSTILE_TEAM, HOSTILE_DIVISION, HOSTILE_DETAIL, "<script>alert('ref')</script>"):
        assert raw not in text
    # The report names teams by franchise id; the sources' own team code is shown, escaped, on the team page.
    team_page = (out / "teams" / "SEA.html").read_text()
    assert HOSTILE_TEAM not in team_page and "&lt;script&gt;alert(&#x27;team&#x27;)&lt;/script&gt;" in team_page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;" in text
    # No tag was injected: the same scripts as in the clean report, and no element with an event handler.
    assert _script_tags(text) == _script_tags(page)
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", text)
    team_rows = Tables(text).tables["team-table"]["rows"]
    assert HOSTILE_DIVISION in [r[3]["text"] for r in team_rows]  # shown as text, intact
    for chart in charts.CHARTS:
        chart_text = (out / chart.filename).read_text()
        assert "<script>alert" not in chart_text and "<img src=x" not in chart_text
    md = (out / report.SUMMARY_FILE).read_text()
    assert "<script>" not in md and "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;" in md  # the incident's message
    season_page = (out / "season_in_progress.html").read_text()
    assert HOSTILE_DETAIL not in season_page and "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;" in season_page


@pytest.mark.browser
def test_report_renders_in_chromium_without_errors_or_network_and_sorts(outputs, hostile):
    require_chromium()
    seen: dict = {}

    def inspect(page):
        charts_drawn = page.evaluate(
            "() => Array.from(document.querySelectorAll('.plotly-graph-div')).filter(d => "
            "d.querySelector('.main-svg')).length"
        )
        column = page.evaluate(
            "() => Array.from(document.querySelectorAll('#team-table th')).findIndex(th => th.textContent === 'Dead "
            "cap %')"
        )

        def column_values():
            return page.evaluate(
                f"() => Array.from(document.querySelectorAll('#team-table tbody tr')).map(r => "
                f"parseFloat(r.cells[{column}].dataset.sort))"
            )

        page.click(f"#team-table th:nth-child({column + 1})")
        ascending = column_values()
        page.click(f"#team-table th:nth-child({column + 1})")
        descending = column_values()
        page.click("#team-table th:nth-child(2)")
        teams = page.evaluate(
            "() => Array.from(document.querySelectorAll('#team-table tbody tr')).map(r => r.cells[1].textContent)"
        )
        seen[page.url] = {"charts": charts_drawn, "asc": ascending, "desc": descending, "teams": teams}

    clean, dirty = (outputs.out_dir / report.REPORT_FILE).as_uri(), (hostile[0] / report.REPORT_FILE).as_uri()
    for url, watched in zip([clean, dirty], open_pages([clean, dirty], inspect)):
        assert watched.errors == [], watched.errors
        assert watched.remote_requests() == [], watched.remote_requests()
        assert watched.dialogs == []  # no injected script ran
        assert seen[url]["charts"] == len(charts.CHARTS)
        assert seen[url]["asc"] == sorted(seen[url]["asc"]) and seen[url]["desc"] == sorted(
            seen[url]["desc"], reverse=True
        )
        assert len(seen[url]["asc"]) == 32
    assert seen[clean]["teams"] == sorted(seen[clean]["teams"])
    assert "SEA" in seen[dirty]["teams"]


@pytest.mark.integration
def test_risk_rows_from_an_older_version_fail_clearly_and_leave_the_files(outputs, tmp_path):
    db = tmp_path / "old.duckdb"
    shutil.copy(outputs.db, db)
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "UPDATE nfl.team_season_risk SET quadrant = 'Cap hell (high dead cap, losing)' WHERE season = 2013 AND "
            "quadrant LIKE 'Cap hell%'"
        )
    out = tmp_path / "reports"
    result = materialize_outputs(db, out, assets=[risk_charts, risk_report], raise_on_error=False)
    assert not result.success
    messages = [e.event_specific_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert any("seasons 2013 carry quadrant names" in m and "Re-materialize team_season_risk" in m for m in messages), (
        messages
    )
    assert not (out / report.REPORT_FILE).exists()
