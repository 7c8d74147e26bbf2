"""Failed refreshes, read from a real Dagster instance's run storage after real failed and successful
runs: the report, its Markdown and the season page say which refresh failed, when, its first line, and
when the season was last good; a later successful refresh clears the mark; the daemon rebuilds the
report after a failed refresh (the alert sensor records it as the `failed_refreshes` asset, which the
report's automation condition follows)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from analytics_assets.defs.monitoring.alerts import alert_on_run_failure
from analytics_assets.reporting import refreshes, team_pages
from analytics_assets.reporting.templating import when
from analytics_tests.support.browser import require_chromium
from analytics_tests.support.data import read_table
from analytics_tests.support.html import Tables
from analytics_tests.support.outputs import MID_WORD_BREAKS, OVERFLOWING_TABLES, materialize_outputs, open_pages
from analytics_tests.support.runs import materialize_seasons


@dataclass
class History:
    instance: dg.DagsterInstance
    db: Path
    base: Path
    stored: dg.ExecuteInProcessResult  # 2024-2025 stored
    no_facts: dg.ExecuteInProcessResult  # 2026 failed: the package ships no facts for it
    down: dg.ExecuteInProcessResult  # 2025 failed: its live sources did not answer


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    base = tmp_path_factory.mktemp("refreshes")
    db = base / "analytics.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        stored = materialize_seasons(db, 2024, 2025, instance=instance)
        assert stored.success
        no_facts = materialize_seasons(db, 2026, instance=instance, raise_on_error=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ANALYTICS_SOURCE", "live")  # the live sites sit on a closed local port in the tests
            down = materialize_seasons(
                db, 2025, names=["standings", "dead_cap"], instance=instance, raise_on_error=False
            )
        assert not no_facts.success and not down.success
        yield History(instance, db, base, stored, no_facts, down)


def _ended(instance, result) -> datetime:
    (record,) = instance.get_run_records(filters=dg.RunsFilter(run_ids=[result.run_id]))
    return datetime.fromtimestamp(record.end_time, UTC)


@pytest.mark.integration
def test_latest_refreshes_are_read_from_the_instances_run_storage(history):
    rows = {r["season"]: r for r in refreshes.latest_refreshes(history.instance)}
    assert sorted(rows) == [2024, 2025, 2026]
    assert (
        rows[2024]["status"] == "succeeded"
        and rows[2024]["run_id"] == history.stored.results[0].run_id
        and rows[2024]["error"] == ""
    )
    assert (
        rows[2026]["status"] == "failed"
        and rows[2026]["run_id"] == history.no_facts.run_id
        and rows[2026]["step"] == "standings"
    )
    assert rows[2026]["error"] == "standings season 2026 not refreshed: no source has it; nothing stored changed."
    assert rows[2025]["status"] == "failed" and rows[2025]["run_id"] == history.down.run_id
    # A live failure's line runs to thousands of characters: its first sentence stands for it.
    assert (
        rows[2025]["error"]
        == "standings season 2025 not refreshed: nflverse games file, Pro-Football-Reference unreachable; nothing "
        "stored changed."
    )
    assert rows[2025]["ended_at"] == _ended(history.instance, history.down)
    versions = read_table(history.db, "SELECT table_name, season, run_id, written_at FROM nfl.partition_versions")
    failed = refreshes.failed_refreshes(list(rows.values()), versions).set_index("season")
    assert list(failed.index) == [2025, 2026]
    written = versions[(versions["season"] == 2025) & versions["table_name"].isin(["standings", "dead_cap"])]
    assert failed.loc[2025, "last_good_at"] == written["written_at"].max()
    assert failed.loc[2025, "last_good_run"] == history.stored.run_id  # the rows the failed run left standing
    assert pd.isna(failed.loc[2026, "last_good_at"])


@pytest.mark.unit
def test_first_line_keeps_a_short_line_and_cuts_a_long_one():
    assert refreshes.first_line("\n  one line.\nsecond line") == "one line."
    assert refreshes.first_line("First sentence. " + "word " * 100) == "First sentence."
    long = refreshes.first_line("x" * 10 + " " + "word " * 100)
    assert long.endswith(" …") and len(long) <= refreshes.FIRST_LINE_CHARS + 2


@pytest.mark.browser
def test_the_report_and_the_season_page_mark_each_failed_refresh(history):
    out = history.base / "reports"
    assert materialize_outputs(history.db, out, instance=history.instance).success
    rows = {r["season"]: r for r in refreshes.latest_refreshes(history.instance)}
    failed_at = {s: when(_ended(history.instance, r)) for s, r in ((2025, history.down), (2026, history.no_facts))}
    written = read_table(
        history.db,
        "SELECT max(written_at) AS at FROM nfl.partition_versions WHERE season = 2025 AND table_name IN "
        "('standings', 'dead_cap')",
    )["at"].item()
    note_2025 = (
        f"Season 2025: the last refresh failed {failed_at[2025]} (run {history.down.run_id[:8]}): "
        f"{rows[2025]['error'].rstrip('.')}. "
        f"Last good: stored rows written {when(written)} (run {history.stored.run_id[:8]})."
    )
    note_2026 = (
        f"Season 2026: the last refresh failed {failed_at[2026]} (run {history.no_facts.run_id[:8]}): "
        f"standings season 2026 not refreshed: no source has it"
    )
    report_html = (out / "risk_report.html").read_text("utf-8")
    season_html = (out / team_pages.SEASON_FILE).read_text("utf-8")
    for text in (report_html, season_html):
        tables = Tables(text).tables
        start = text.index('id="refresh-alert"')
        alert = html.unescape(text[start : text.index("</div>", start)])
        assert (
            note_2025 in alert and note_2026 in alert and "Last good: never: nothing of this season is stored." in alert
        )
        failed = tables["failed-refresh-table"]
        assert [r[0]["text"] for r in failed["rows"]] == ["2025", "2026"]
        assert failed["rows"][0][1]["text"] == failed_at[2025] and failed["rows"][0][2]["text"] == rows[2025]["error"]
        assert failed["rows"][0][5]["text"] == f"stored rows written {when(written)} (run {history.stored.run_id[:8]})"
    # In the league and provenance tables, the failure follows the season's figures, which still stand.
    for table_id in ("summary-table", "provenance-table"):
        table = Tables(report_html).tables[table_id]["rows"]
        notes = [(i, r[0]["text"]) for i, r in enumerate(table) if len(r) == 1]
        assert [text for _, text in notes] == [note_2025], table_id
        assert table[notes[0][0] - 1][0]["text"] == "2025"
    markdown = (out / "risk_report.md").read_text("utf-8")
    assert "## Failed refreshes" in markdown and f"- {note_2025}".replace("|", "\\|") in markdown
    # The season page holds the SLO up to the latest scrape attempt (the failed live run's), so the same
    # data gives the same page; the report's is up to its "Generated" time.
    attempts = read_table(history.db, "SELECT count(*) AS n, max(fetched_at) AS at FROM nfl.scrape_log")
    assert attempts["n"].item() > 0
    assert (
        f"Scraper SLO BREACHED: 0.000% of {attempts['n'].item()} scrape attempts succeeded in the 30 days to "
        f"{when(attempts['at'].item())}" in season_html
    )
    again = history.base / "again"
    assert materialize_outputs(history.db, again, instance=history.instance).success
    assert (again / team_pages.SEASON_FILE).read_bytes() == (out / team_pages.SEASON_FILE).read_bytes()

    # In Chromium: the notes and the failed-refresh tables break no word and fit at 1280 px, and a
    # sorted league table keeps each note after its season.
    require_chromium()
    checked = {}

    def inspect(page):
        checked[page.url] = (page.evaluate(MID_WORD_BREAKS), page.evaluate(OVERFLOWING_TABLES))
        if page.url.endswith("risk_report.html"):
            for _ in range(2):  # ascending, then descending by season
                page.click("#summary-table th:nth-child(1)")
            checked["sorted"] = page.evaluate(
                "() => [...document.querySelectorAll('#summary-table tbody tr')].map(r => "
                "r.classList.contains('note') ? 'note' : r.cells[0].textContent)"
            )

    pages = [(out / "risk_report.html").as_uri(), (out / team_pages.SEASON_FILE).as_uri()]
    seen = open_pages(pages, inspect)
    for url, watched in zip(pages, seen):
        assert watched.errors == [] and checked[url] == ([], []), (url, watched.errors, checked[url])
    assert checked["sorted"] == ["2025", "note", "2024"]


@pytest.mark.integration
def test_a_successful_refresh_clears_the_mark(history):
    assert materialize_seasons(history.db, 2025, names=["standings", "dead_cap"], instance=history.instance).success
    out = history.base / "cleared"
    assert materialize_outputs(history.db, out, instance=history.instance).success
    text = (out / "risk_report.html").read_text("utf-8")
    assert "Season 2025: the last refresh failed" not in text and "Season 2026: the last refresh failed" in text
    assert [r[0]["text"] for r in Tables(text).tables["failed-refresh-table"]["rows"]] == ["2026"]


@pytest.mark.integration
def test_nothing_failed_and_no_history_read_differently(tmp_path):
    """An instance with only successful refreshes says so; one holding none says that instead."""
    with dg.DagsterInstance.ephemeral() as instance:
        db = tmp_path / "ok.duckdb"
        assert materialize_seasons(db, 2025, instance=instance).success
        assert materialize_outputs(db, tmp_path / "ok", instance=instance).success
    text = (tmp_path / "ok" / "risk_report.html").read_text("utf-8")
    assert 'id="refreshes-ok"' in text and 'id="refresh-alert"' not in text
    assert materialize_outputs(db, tmp_path / "none").success  # a fresh instance: no run history at all
    assert 'id="refreshes-none"' in (tmp_path / "none" / "risk_report.html").read_text("utf-8")


def _alert(instance, result):
    run = instance.get_run_by_id(result.run_id)
    (record,) = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    context = dg.build_run_status_sensor_context(
        sensor_name=alert_on_run_failure.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=record.event_log_entry.dagster_event,
    ).for_run_failure()
    return alert_on_run_failure(context)


def _failed_refreshes(instance) -> list[dict]:
    records = instance.fetch_materializations(dg.AssetKey("failed_refreshes"), limit=100).records
    return [{k: v.value for k, v in r.asset_materialization.metadata.items()} for r in records]


@pytest.mark.integration
def test_a_failed_refresh_is_recorded_as_an_asset_the_report_follows_and_nothing_else(history, tmp_path, monkeypatch):
    from analytics_assets.definitions import defs

    monkeypatch.delenv("ANALYTICS_ALERT_WEBHOOK_URL", raising=False)  # the alert is logged
    before = len(_failed_refreshes(history.instance))
    _alert(history.instance, history.no_facts.results[-1])
    recorded = _failed_refreshes(history.instance)
    assert len(recorded) == before + 1
    assert recorded[0]["run_id"] == history.no_facts.run_id and recorded[0]["season"] == "2026"
    assert recorded[0]["first_line"].startswith("standings season 2026 not refreshed: ")
    # A failed run of the outputs themselves refreshed no season: not recorded (and no rebuild loop).
    failed_outputs = materialize_outputs(
        tmp_path / "empty.duckdb", tmp_path / "out", instance=history.instance, raise_on_error=False
    )
    assert not failed_outputs.success
    _alert(history.instance, failed_outputs)
    assert len(_failed_refreshes(history.instance)) == before + 1
    report = defs.get_assets_def("risk_report").get_asset_spec(dg.AssetKey("risk_report"))
    assert {d.asset_key.to_user_string() for d in report.deps} >= {"failed_refreshes", "scrape_log", "incidents"}


@pytest.mark.parametrize("record", ["failed_refreshes", "scrape_log", "incidents"])
@pytest.mark.integration
def test_a_new_record_of_what_happened_requests_the_report_alone_on_the_next_tick(tmp_path, record):
    import warnings

    from analytics_assets.definitions import defs

    db = tmp_path / "analytics.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_seasons(db, 2025, instance=instance).success
        assert materialize_outputs(db, tmp_path / "out", instance=instance).success
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.BetaWarning)  # raised inside Dagster's own evaluation helper
            first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
            idle = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
            instance.report_runless_asset_event(dg.AssetMaterialization(record, metadata={"why": "a test record"}))
            after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=idle.cursor)
    assert {r.key.to_user_string() for r in idle.results if r.true_subset.size} == set()
    assert {r.key.to_user_string() for r in after.results if r.true_subset.size} == {"risk_report"}
