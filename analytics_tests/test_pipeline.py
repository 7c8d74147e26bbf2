"""The golden path: real materializations into a real DuckDB file."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pandas as pd
import pytest

from analytics_assets import storage
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.support.data import REPO, read_table, shared_file
from analytics_tests.support.runs import materialize_seasons

TABLES = ["standings", "dead_cap", "team_season_risk"]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.integration
def test_every_season_has_32_rows(full_db, table):
    counts = read_table(
        full_db,
        f"SELECT season, count(*) AS n, count(DISTINCT team) AS teams FROM nfl.{table} GROUP BY season ORDER BY season",
    )
    assert counts["season"].tolist() == list(range(2011, 2026))
    assert (counts["n"] == 32).all() and (counts["teams"] == 32).all()


@pytest.mark.integration
def test_standings_equal_reference_facts(full_db):
    reference = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    stored = read_table(full_db, "SELECT * FROM nfl.standings ORDER BY season, team")
    cols = [
        "season",
        "team",
        "franchise",
        "conference",
        "division",
        "games",
        "wins",
        "losses",
        "ties",
        "points_for",
        "points_against",
    ]
    expected = reference[cols].sort_values(["season", "team"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[cols].astype(expected.dtypes.to_dict()), expected)
    win_pct = (expected["wins"] + expected["ties"] / 2) / expected["games"]
    assert (stored["win_pct"] - win_pct).abs().max() < 1e-12
    assert set(stored["source"]) == {"embedded"}
    assert stored["raw_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert stored["loaded_at"].notna().all()


@pytest.mark.integration
def test_dead_cap_equals_reference_and_joins_completely(full_db):
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    cap = pd.read_csv(shared_file("reference", "nfl_league_salary_cap.csv"))
    stored = read_table(full_db, "SELECT * FROM nfl.dead_cap ORDER BY season, franchise")
    expected = reference.merge(cap, on="season").sort_values(["season", "franchise"]).reset_index(drop=True)
    assert stored["franchise"].tolist() == expected["franchise"].tolist()
    assert (stored["dead_money_musd"] - expected["dead_money_musd"]).abs().max() < 1e-9
    assert (stored["league_salary_cap_musd"] - expected["salary_cap_musd"]).abs().max() < 1e-9
    # Spotrac says LAR, the season code in 2016+ is LA: stored under the season code.
    assert (
        read_table(full_db, "SELECT team FROM nfl.dead_cap WHERE season = 2017 AND franchise = 'LAR'")["team"].item()
        == "LA"
    )
    missing = read_table(
        full_db,
        "SELECT s.season, s.team FROM nfl.standings s ANTI JOIN nfl.dead_cap d USING (season, team) "
        "UNION ALL SELECT d.season, d.team FROM nfl.dead_cap d ANTI JOIN nfl.standings s USING (season, team)",
    )
    assert missing.empty


@pytest.mark.integration
def test_risk_rows_carry_dead_cap_pct_and_win_pct(full_db):
    risk = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv")).merge(
        pd.read_csv(shared_file("reference", "nfl_league_salary_cap.csv")), on="season"
    )
    reference["pct"] = reference["dead_money_musd"] / reference["salary_cap_musd"] * 100
    merged = risk.merge(reference[["season", "franchise", "pct"]], on=["season", "franchise"], validate="one_to_one")
    assert len(merged) == 480
    assert (merged["dead_cap_pct"] - merged["pct"]).abs().max() < 1e-9
    assert risk["win_pct"].between(0, 1).all()


def _snapshot(db_path, table: str) -> pd.DataFrame:
    return read_table(db_path, f"SELECT * FROM nfl.{table} ORDER BY ALL")


@pytest.mark.integration
def test_rematerializing_a_season_three_times_leaves_identical_rows(db_path):
    assert materialize_seasons(db_path, 2019).success
    first = {t: _snapshot(db_path, t) for t in TABLES}
    for _ in range(2):
        assert materialize_seasons(db_path, 2019).success
    for table in TABLES:
        again = _snapshot(db_path, table)
        assert len(again) == 32
        pd.testing.assert_frame_equal(again, first[table])


@pytest.mark.integration
def test_a_changed_source_replaces_the_season_exactly(db_path, tmp_path, monkeypatch):
    from analytics_assets.ingestion import embedded

    assert materialize_seasons(db_path, 2019).success
    original = pd.read_csv(embedded.EMBEDDED_DIR / embedded.DEAD_MONEY_FILE)
    changed = tmp_path / "embedded"
    changed.mkdir()
    for f in embedded.EMBEDDED_DIR.iterdir():
        (changed / f.name).write_bytes(f.read_bytes())
    dead = pd.read_csv(changed / embedded.DEAD_MONEY_FILE)
    dead.loc[(dead.season == 2019) & (dead.team == "SEA"), "dead_money_musd"] += 1.0
    dead.to_csv(changed / embedded.DEAD_MONEY_FILE, index=False)
    monkeypatch.setattr(embedded, "EMBEDDED_DIR", changed)
    embedded.load.cache_clear()
    try:
        assert materialize_seasons(db_path, 2019, names=["dead_cap"]).success
    finally:
        embedded.load.cache_clear()
    rows = read_table(db_path, "SELECT team, dead_money_musd FROM nfl.dead_cap WHERE season = 2019")
    assert len(rows) == 32 and rows["team"].is_unique
    sea = original[(original.season == 2019) & (original.team == "SEA")]["dead_money_musd"].item()
    assert rows.set_index("team").loc["SEA", "dead_money_musd"] == pytest.approx(sea + 1.0)


@pytest.mark.integration
def test_a_season_without_data_fails_clearly_and_keeps_stored_data(db_path):
    assert materialize_seasons(db_path, 2025).success
    before = {t: _snapshot(db_path, t) for t in TABLES}
    result = materialize_seasons(db_path, 2025, 2026, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = " ".join(e.event_specific_data.error.message for e in failures)
    assert "No embedded standings for season 2026" in message
    assert "nothing stored changed" in message
    for table in TABLES:
        pd.testing.assert_frame_equal(_snapshot(db_path, table), before[table])


@pytest.mark.integration
def test_storage_refuses_an_empty_season_and_keeps_the_old_one(db_path):
    assert materialize_seasons(db_path, 2018, names=["standings"]).success
    with AnalyticsDuckDB(database=str(db_path)).get_connection() as conn:
        empty = conn.execute("SELECT * FROM nfl.standings WHERE false").df()
        with pytest.raises(storage.EmptyPartitionError, match="Refusing to write an empty season 2018"):
            storage.replace_seasons(conn, "standings", {2018: empty})
    assert len(read_table(db_path, "SELECT * FROM nfl.standings WHERE season = 2018")) == 32


@pytest.mark.integration
@pytest.mark.slow
def test_a_range_from_the_command_line_is_one_run_per_season_then_the_outputs(tmp_path):
    # As a backfill runs it: one season per run, so each season's results are its own; then one run
    # for the all-season outputs over what was stored.
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ANALYTICS_DUCKDB_PATH": str(tmp_path / "cli.duckdb"),
        "ANALYTICS_OUTPUT_DIR": str(tmp_path / "reports"),
    }
    cmd = [sys.executable, "-m", "analytics_assets.run_pipeline", "--from", "2011", "--to", "2014"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [r.dagster_run for r in instance.get_run_records()]
    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
    assert sorted(r.tags["dagster/partition"] for r in runs if r.job_name == "season_pipeline") == [
        "2011",
        "2012",
        "2013",
        "2014",
    ]
    assert [r.job_name for r in runs].count("all_seasons_outputs") == 1
    counts = read_table(
        tmp_path / "cli.duckdb", "SELECT season, count(*) n FROM nfl.team_season_risk GROUP BY ALL ORDER BY 1"
    )
    assert counts["season"].tolist() == [2011, 2012, 2013, 2014] and (counts["n"] == 32).all()


@pytest.mark.unit
def test_every_season_asset_backfills_one_season_per_run():
    from analytics_assets.definitions import defs

    for name in TABLES:
        policy = defs.get_assets_def(name).backfill_policy
        # A season's results are its own only in a run of that season alone (partitions.SEASON_BACKFILL_POLICY).
        assert policy is not None and policy.max_partitions_per_run == 1


@pytest.mark.integration
def test_a_run_of_a_range_is_refused_before_anything_is_read(db_path):
    from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
    from analytics_tests.support.runs import resources_for, season_assets, step_failure_descriptions

    assets, selection = season_assets(["standings"])
    result = dg.materialize(
        assets,
        selection=selection,
        resources=resources_for(db_path),
        raise_on_error=False,
        tags={PARTITION_RANGE_START_TAG: "2016", PARTITION_RANGE_END_TAG: "2017"},
    )
    assert not result.success
    message = step_failure_descriptions(result)["fetch_nflverse"]
    assert "runs one season per run, and this run asks for 2 (2016-2017). Nothing was read or written." in message
    assert not db_path.exists() or read_table(db_path, "SELECT count(*) n FROM nfl.standings")["n"].item() == 0


@pytest.mark.integration
def test_definitions_load_without_warnings_from_our_code():
    code = (
        "import warnings; warnings.simplefilter('error'); import analytics_assets.definitions as d; import "
        "dagster as dg; dg.Definitions.validate_loadable(d.defs); d.defs.resolve_all_asset_keys()"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.unit
def test_daily_schedule_targets_the_season_in_progress():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from analytics_assets.definitions import defs

    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("daily_season_refresh")
    assert schedule.cron_schedule == "0 9 * * *" and schedule.execution_timezone == "America/New_York"
    when = datetime(2026, 11, 26, 9, tzinfo=ZoneInfo("America/New_York"))
    with dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository) as context:
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026"


@pytest.mark.integration
def test_a_range_reaching_the_season_in_progress_runs_it_alone_and_keeps_the_completed_seasons(tmp_path):
    # As a backfill splits it: offline (embedded facts only), the season in progress cannot be read
    # and fails on its own; the completed season is stored and the outputs are rebuilt over it.
    from analytics_assets import partitions

    season = partitions.season_in_progress()
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ANALYTICS_DUCKDB_PATH": str(tmp_path / "cli.duckdb"),
        "ANALYTICS_OUTPUT_DIR": str(tmp_path / "reports"),
        "ANALYTICS_SOURCE": "embedded",
    }
    cmd = [sys.executable, "-m", "analytics_assets.run_pipeline", "--from", str(season - 1), "--to", str(season)]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert f"Failed: season {season} (run " in proc.stderr and f"season {season - 1} (run" not in proc.stderr
    assert f"season_pipeline {season - 1}: run " in proc.stdout and "all_seasons_outputs: run " in proc.stdout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [r.dagster_run for r in instance.get_run_records()]
    seasons = {r.tags.get("dagster/partition"): r.status for r in runs if r.job_name == "season_pipeline"}
    assert seasons == {str(season - 1): dg.DagsterRunStatus.SUCCESS, str(season): dg.DagsterRunStatus.FAILURE}
    stored = read_table(tmp_path / "cli.duckdb", "SELECT DISTINCT season FROM nfl.team_season_risk ORDER BY 1")
    assert stored["season"].tolist() == [season - 1]
    assert (tmp_path / "reports" / "risk_report.html").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--from", "twenty"], "--from and --to take seasons (years), got 'twenty'"),
        (["--from", "2020", "--to", "2019"], "got 2020 to 2019"),
        (["--from", "2005"], "seasons run from 2011 to the season in progress"),
    ],
)
@pytest.mark.unit
def test_a_range_that_is_not_seasons_is_refused_before_any_run(args, expected, capsys):
    from analytics_assets import run_pipeline

    with pytest.raises(SystemExit) as exited:
        run_pipeline.main(args)
    assert exited.value.code == 2 and expected in capsys.readouterr().err
