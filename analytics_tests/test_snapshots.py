"""Dated snapshots of the season in progress: one per day, kept across refreshes, drawn by snapshot date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest

from analytics_assets import partitions
from analytics_assets.reporting import team_pages
from analytics_tests.support.browser import require_chromium
from analytics_tests.support.data import read_table, table_hash
from analytics_tests.support.outputs import (
    MID_WORD_BREAKS,
    OVERFLOWING_TABLES,
    figure_from_html,
    materialize_outputs,
    open_pages,
)
from analytics_tests.support.runs import materialize_names, resources_for, step_failures

SEASON = partitions.season_in_progress()


def refresh(db, as_of: str | None, season: int = SEASON, raise_on_error: bool = True):
    """A refresh of one season as the daily schedule runs it: the core tables, filed under `as_of`."""
    return materialize_names(
        ["standings", "dead_cap"],
        str(season),
        tags={partitions.AS_OF_TAG: as_of} if as_of else {},
        resources=resources_for(db),
        raise_on_error=raise_on_error,
    )


def snapshots(db, table: str) -> pd.DataFrame:
    return read_table(db, f"SELECT * FROM nfl.{table} ORDER BY as_of, team")


@pytest.mark.integration
def test_refreshes_on_two_dates_keep_two_snapshots_and_the_same_date_keeps_one(db_path, in_progress):
    in_progress(games=3)
    assert refresh(db_path, "2026-11-20").success
    in_progress(games=4, dead_scale=1.1)
    assert refresh(db_path, "2026-11-27").success
    first_27 = snapshots(db_path, "standings_snapshots")
    in_progress(games=5, dead_scale=1.2)  # a second refresh on the same day replaces that day's copy
    assert refresh(db_path, "2026-11-27").success
    assert refresh(db_path, "2026-11-27").success  # and a rerun with nothing new changes nothing
    for table, core in (("standings_snapshots", "standings"), ("dead_cap_snapshots", "dead_cap")):
        stored = snapshots(db_path, table)
        assert stored.groupby(stored["as_of"].astype(str)).size().to_dict() == {"2026-11-20": 32, "2026-11-27": 32}, (
            table
        )
        # The day's copy holds exactly the rows the table holds now: "the same rows plus as_of".
        latest = stored[stored["as_of"].astype(str) == "2026-11-27"].drop(columns="as_of").reset_index(drop=True)
        current = read_table(db_path, f"SELECT * FROM nfl.{core} WHERE season = {SEASON} ORDER BY team")
        pd.testing.assert_frame_equal(latest, current[latest.columns])
        assert list(stored.columns) == ["as_of", *current.columns]
    standings = snapshots(db_path, "standings_snapshots")
    assert set(standings.loc[standings["as_of"].astype(str) == "2026-11-20", "games"]) == {3}
    assert set(standings.loc[standings["as_of"].astype(str) == "2026-11-27", "games"]) == {5}
    assert set(first_27.loc[first_27["as_of"].astype(str) == "2026-11-27", "games"]) == {4}


@pytest.mark.integration
def test_completed_seasons_keep_no_snapshot_and_a_bad_date_tag_writes_nothing(db_path, in_progress):
    assert refresh(db_path, "2026-11-20", season=SEASON - 1).success
    assert snapshots(db_path, "standings_snapshots").empty and snapshots(db_path, "dead_cap_snapshots").empty
    in_progress(games=3)
    assert refresh(db_path, "2026-11-20").success
    before = {t: table_hash(db_path, t) for t in ("standings", "dead_cap", "standings_snapshots", "dead_cap_snapshots")}
    in_progress(games=4)
    result = refresh(db_path, "27/11/2026", raise_on_error=False)
    assert not result.success
    assert any("nfl/as_of='27/11/2026' is not a date: expected YYYY-MM-DD" in m for m in step_failures(result).values())
    assert {t: table_hash(db_path, t) for t in before} == before


@pytest.mark.integration
def test_without_a_tag_the_snapshot_is_filed_under_today_in_new_york(db_path, in_progress):
    in_progress(games=3)
    assert refresh(db_path, None).success
    dates = set(snapshots(db_path, "dead_cap_snapshots")["as_of"].astype(str))
    assert dates == {str(partitions.league_today())}


@pytest.mark.unit
def test_the_daily_schedule_files_its_run_under_the_ticks_day():
    from analytics_assets.definitions import defs

    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("daily_season_refresh")
    when = datetime(2026, 11, 26, 9, tzinfo=ZoneInfo("America/New_York"))
    with dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository) as context:
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.tags[partitions.AS_OF_TAG] == "2026-11-26"


@pytest.mark.browser
def test_the_season_in_progress_page_draws_every_snapshot_date(db_path, in_progress, tmp_path):
    for day, games in (("2026-11-13", 3), ("2026-11-20", 4), ("2026-11-27", 5)):
        in_progress(games=games, dead_scale=1 + games / 50)  # within drift of last season's dead money
        assert refresh(db_path, day).success
    materialize_names(["team_season_risk"], str(SEASON), resources=resources_for(db_path))
    out = tmp_path / "reports"
    result = materialize_outputs(db_path, out)
    assert result.success
    page = (out / team_pages.SEASON_FILE).read_text("utf-8")
    figure = figure_from_html(page, "season-in-progress")
    traces = figure["data"]
    assert len(traces) == 64  # 32 franchises x (win %, dead money)
    assert all(t["x"] == ["2026-11-13", "2026-11-20", "2026-11-27"] for t in traces)
    win = [t for t in traces if t["yaxis"] == "y"]
    assert sorted(round(t["y"][-1], 4) for t in win) == sorted([round(4 / 5, 4)] * 16 + [round(1 / 5, 4)] * 16)
    assert f"Season {SEASON} in progress, by snapshot date" in page
    report = (out / "risk_report.html").read_text("utf-8")
    assert f"Season {SEASON} as it unfolds: 3 dated snapshot(s), 2026-11-13 to 2026-11-27" in report
    assert 'href="season_in_progress.html"' in report
    # In Chromium at 1280 px: drawn, no console error, no word broken inside a table cell.
    require_chromium()
    seen = {}
    (watched,) = open_pages(
        [(out / team_pages.SEASON_FILE).as_uri()],
        lambda page: seen.update(
            traces=page.evaluate("() => document.getElementById('season-in-progress').data.length"),
            broken=page.evaluate(MID_WORD_BREAKS),
            overflowing=page.evaluate(OVERFLOWING_TABLES),
        ),
    )
    assert watched.errors == [] and seen == {"traces": 64, "broken": [], "overflowing": []}
