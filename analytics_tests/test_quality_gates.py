"""Gates in real runs: the 0.500 bug replayed, idempotency and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import dagster as dg
import pytest

from analytics_tests.support.data import REPO, read_table, table_hash
from analytics_tests.support.runs import check_evaluations, materialize_seasons, step_failures

pytestmark = pytest.mark.integration

TABLES = ["standings", "dead_cap", "team_season_risk"]


def _hashes(db_path) -> dict[str, tuple[int, str]]:
    return {t: table_hash(db_path, t) for t in TABLES}


@pytest.fixture
def stored_2018_2019(db_path):
    assert materialize_seasons(db_path, 2018, 2019).success
    return _hashes(db_path)


def test_every_team_at_500_is_stopped_and_the_stored_season_kept(db_path, stored_2018_2019, embedded_copy):
    def all_500(standings, dead):
        rows = standings["season"] == "2019"
        standings.loc[rows, ["games", "wins", "losses", "ties"]] = ["16", "8", "8", "0"]

    embedded_copy(all_500)
    result = materialize_seasons(db_path, 2019, raise_on_error=False)
    assert not result.success
    message = step_failures(result)["standings"]
    assert "standings.not_degenerate failed for season 2019" in message
    assert "most common value 0.500 on 32 of 32 teams" in message
    assert "nothing stored changed" in message
    assert not any(e.step_key == "team_season_risk" and e.event_type_value == "STEP_START" for e in result.all_events)
    assert check_evaluations(result)[("standings", "not_degenerate")] is False
    assert _hashes(db_path) == stored_2018_2019
    stored = read_table(
        db_path, "SELECT count(*) AS n, count(DISTINCT win_pct) AS distinct_pct FROM nfl.standings WHERE season = 2019"
    )
    assert stored["n"].item() == 32 and stored["distinct_pct"].item() > 5
    logged = read_table(
        db_path,
        "SELECT passed FROM nfl.quality_results WHERE table_name = 'standings' AND season = 2019 AND rule = "
        "'not_degenerate' ORDER BY checked_at DESC LIMIT 1",
    )
    assert not logged["passed"].item()


def test_records_that_fail_to_parse_are_stopped_and_the_stored_season_kept(db_path, stored_2018_2019, embedded_copy):
    def unparseable(standings, dead):
        rows = standings["season"] == "2019"
        standings.loc[rows, ["wins", "losses"]] = "--"

    embedded_copy(unparseable)
    result = materialize_seasons(db_path, 2019, raise_on_error=False)
    assert not result.success
    message = step_failures(result)["standings"]
    assert "standings.schema failed for season 2019" in message and "wins" in message
    assert check_evaluations(result)[("standings", "schema")] is False
    assert not any(e.step_key == "team_season_risk" and e.event_type_value == "STEP_START" for e in result.all_events)
    assert _hashes(db_path) == stored_2018_2019


def test_a_bad_season_of_a_range_fails_alone_and_none_of_it_is_stored(db_path, embedded_copy):
    def negative(standings, dead):
        dead.loc[(dead["season"] == "2014") & (dead["team"] == "SEA"), "dead_money_musd"] = "-3.0"

    embedded_copy(negative)
    result = materialize_seasons(
        db_path, 2012, 2016, raise_on_error=False
    )  # one run per season, stopping at the failure
    assert [r.success for r in result.results] == [True, True, False]
    assert "dead_cap.dead_money_non_negative failed for season 2014" in step_failures(result)["dead_cap"]
    assert "SEA" in step_failures(result)["dead_cap"]
    stored = read_table(db_path, "SELECT season, count(*) AS n FROM nfl.dead_cap GROUP BY ALL ORDER BY 1")
    assert stored.values.tolist() == [[2012, 32], [2013, 32]]  # the seasons before it are their own runs
    risk = read_table(db_path, "SELECT DISTINCT season FROM nfl.team_season_risk ORDER BY 1")
    assert risk["season"].tolist() == [2012, 2013]


def test_risk_needs_both_sides_of_the_join(db_path):
    assert materialize_seasons(db_path, 2020, names=["standings"]).success
    result = materialize_seasons(db_path, 2020, names=["team_season_risk"], raise_on_error=False)
    message = step_failures(result)["team_season_risk"]
    assert "standings_dead_cap_coverage failed for season 2020" in message and "missing_from=dead_cap" in message
    assert read_table(db_path, "SELECT count(*) AS n FROM nfl.team_season_risk")["n"].item() == 0


@pytest.mark.slow
def test_one_season_a_hundred_times_and_the_range_twice_are_identical(db_path):
    instance = dg.DagsterInstance.ephemeral()
    assert materialize_seasons(db_path, 2021, instance=instance).success
    once = _hashes(db_path)
    for _ in range(99):
        assert materialize_seasons(db_path, 2021, instance=instance).success
    assert _hashes(db_path) == once
    assert once["standings"][0] == 32
    assert materialize_seasons(db_path, 2011, 2025, instance=instance).success
    full = _hashes(db_path)
    assert materialize_seasons(db_path, 2011, 2025, instance=instance).success
    assert _hashes(db_path) == full
    assert all(count == 480 for count, _ in full.values())
    dupes = read_table(db_path, "SELECT season, team, count(*) n FROM nfl.standings GROUP BY ALL HAVING n > 1")
    assert dupes.empty


# The child runs a real materialization; the test's own hook (not product code) pauses it after
# the first season of the transaction is rewritten, so the kill lands mid-write.
CHILD = textwrap.dedent(
    """
    import sys, time
    from analytics_assets import storage
    from analytics_tests.support.runs import materialize_seasons
    original, calls = storage.content_sha256, []
    def pausing(df, key):
        calls.append(1)
        if len(calls) == 2:
            print("MID-WRITE", flush=True)
            time.sleep(60)
        return original(df, key)
    storage.content_sha256 = pausing
    materialize_seasons(sys.argv[1], 2018, 2019, names=["standings"])
    """
)


def test_a_run_killed_mid_write_leaves_the_old_seasons_and_the_next_run_succeeds(
    db_path, stored_2018_2019, embedded_copy, tmp_path
):
    def changed(standings, dead):  # a revision of both seasons: every team credited one point more
        revised = standings["season"].isin(["2018", "2019"])
        standings.loc[revised, "points_for"] = (standings.loc[revised, "points_for"].astype(int) + 1).astype(str)

    embedded_copy(changed)
    folder = tmp_path / "embedded"
    script = tmp_path / "child.py"
    script.write_text(
        "from analytics_assets.ingestion import embedded\nfrom pathlib import Path\n"
        f"embedded.EMBEDDED_DIR = Path({str(folder)!r})\n" + CHILD
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    child = subprocess.Popen(
        [sys.executable, str(script), str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        line = ""
        while "MID-WRITE" not in line:
            line = child.stdout.readline()
            assert line or child.poll() is None, child.stderr.read()[-3000:]
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    # The file opens (DuckDB replays or discards its WAL) and holds exactly the old seasons.
    assert _hashes(db_path) == stored_2018_2019
    query = "SELECT season, count(*) AS n, sum(points_for) AS pf FROM nfl.standings GROUP BY season ORDER BY season"
    old = read_table(db_path, query)
    # The next run succeeds and writes the new seasons whole.
    assert materialize_seasons(db_path, 2018, 2019, names=["standings"]).success
    after = read_table(db_path, query)
    assert after["n"].tolist() == [32, 32] and (after["pf"] - old["pf"]).tolist() == [32, 32]


@pytest.mark.slow
def test_a_blocked_season_never_reaches_the_charts_or_the_report_which_says_it_failed(
    tmp_path, monkeypatch, embedded_copy
):
    """`make run` end to end: a degenerate season stops before the summary, charts and report; they are
    rebuilt over the rows that stand, and the report says the season's refresh failed."""
    from analytics_assets import run_pipeline
    from analytics_tests.support.html import Tables

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    db, out = tmp_path / "run.duckdb", tmp_path / "reports"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("ANALYTICS_OUTPUT_DIR", str(out))
    assert run_pipeline.main(["--from", "2018", "--to", "2019"]) == 0
    report = (out / "risk_report.html").read_bytes()
    season_rows = "SELECT * EXCLUDE (loaded_at, raw_sha256) FROM nfl.{} WHERE season = {} ORDER BY team"
    stored = {(t, s): read_table(db, season_rows.format(t, s)) for t in ("standings", "dead_cap") for s in (2018, 2019)}

    def all_500(standings, dead):
        rows = standings["season"] == "2019"
        standings.loc[rows, ["games", "wins", "losses", "ties"]] = ["16", "8", "8", "0"]

    embedded_copy(all_500)
    pages_with_refreshes = {"risk_report.html", "season_in_progress.html"}  # they say which refresh failed
    charts = {p.name: p.read_bytes() for p in out.glob("*.html") if p.name not in pages_with_refreshes}
    assert run_pipeline.main(["--from", "2018", "--to", "2019"]) == 1
    # 2018 stored again unchanged; 2019 refused. The outputs are rebuilt over what is stored: every chart
    # is byte-identical (the refused rows never reach them), and the report tells of the failed refresh.
    assert {p.name: p.read_bytes() for p in out.glob("*.html") if p.name not in pages_with_refreshes} == charts
    assert (out / "risk_report.html").read_bytes() != report
    # The refused season is stored as it was; 2018's figures too (its rows now name the edited file, their source).
    for (table, season), rows in stored.items():
        assert read_table(db, season_rows.format(table, season)).equals(rows), (table, season)
    before, after = Tables(report.decode()), Tables((out / "risk_report.html").read_text())
    for table in ("team-table", "absolute-season-table"):
        assert [r for r in after.tables[table]["rows"] if len(r) > 1] == before.tables[table]["rows"], (
            table
        )  # the same figures
    text = (out / "risk_report.html").read_text()
    alert = text[text.index('id="refresh-alert"') :]
    alert = alert[: alert.index("</div>")]
    # One season per run: 2018 was stored again, 2019's refresh alone failed.
    assert "Season 2019: the last refresh failed" in alert and "Season 2018" not in alert
    assert "standings season 2019 not stored: refused by rule not_degenerate" in alert
    with dg.DagsterInstance.get() as instance:
        runs = [r.dagster_run for r in instance.get_run_records()]
    by_job = {}
    for run in runs:
        by_job.setdefault(run.job_name, []).append(run.status)
    assert by_job["season_pipeline"].count(dg.DagsterRunStatus.FAILURE) == 1
    # Rebuilt after the failure too, over the rows that stand: the report says which refresh failed.
    assert by_job["all_seasons_outputs"] == [dg.DagsterRunStatus.SUCCESS] * 2
