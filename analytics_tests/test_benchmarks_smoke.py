"""The benchmark harness runs and prints its table; the pages it serves are ones the parsers and
quality gates accept. Shapes only: timings are never asserted here."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

from analytics_assets.ingestion import pfr, spotrac
from analytics_assets.ingestion.normalize import Provenance, dead_cap_rows, standings_rows
from analytics_assets.quality import rules
from analytics_tests.conftest import REPO, shared_file

PROVENANCE = Provenance("live", "http://127.0.0.1/", "0" * 64, datetime(2026, 1, 1, tzinfo=UTC))
ROW = re.compile(r"^\| (\d) \| (.+?) \| ([\d.]+ m?s) \| ([\d.]+ m?s) \| ([\d.]+ m?s) \| (.*) \| (.*) \| (.*) \|$")


def test_quick_scale_pass_prints_the_table():
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick", "--only", "scale"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "| # | measurement | median | min | max | figure | target | result |" in lines
    assert any(line.startswith("Machine: ") and "dagster" in line for line in lines)
    rows = [m for line in lines if (m := ROW.match(line))]
    assert len(rows) == 9  # three steps x three league sizes
    for step in ("team_season_risk", "season_summary", "pooled_fit"):
        sizes = [m.group(2) for m in rows if f"`{step}`" in m.group(2)]
        assert [re.search(r"on ([\d,]+) team-seasons", s).group(1) for s in sizes] == ["100", "1,000", "10,000"]
    assert all(m.group(8) in ("", "PASS", "**MISS**") for m in rows)


def test_served_pages_parse_to_the_facts_and_pass_the_gates():
    shared_file("pages", "pfr_years_2017_index.html")
    from benchmarks import pages

    facts = pages.Facts()
    pfr_pages, spotrac_pages = pages.pages_for([2012, 2021], in_progress=2026)
    for season in (2012, 2021, 2026):
        url = f"http://127.0.0.1{pages.pfr_path(season)}"
        standings = standings_rows(pfr.parse_standings(pfr_pages[pages.pfr_path(season)].decode(), season, url), season, pfr.CODE_SOURCE, PROVENANCE)
        page = spotrac.parse_dead_cap(spotrac_pages[pages.spotrac_path(season)].decode(), season, url)
        cap = facts.caps.get(season, page.cap_maximum_musd)
        dead = dead_cap_rows(page.rows, season, spotrac.CODE_SOURCE, cap, PROVENANCE)
        completed = season != 2026
        assert rules.validate("standings", standings, season, completed).passed
        assert rules.validate("dead_cap", dead, season, completed).passed
        if completed:  # the page holds exactly the embedded facts (2012 has ties)
            expected = {(r["team"], int(r["wins"]), int(r["losses"]), int(r["ties"])) for r in facts.standings[season]}
            assert set(standings[["team", "wins", "losses", "ties"]].itertuples(index=False, name=None)) == expected
            assert sorted(dead["dead_money_musd"].round(6)) == sorted(round(float(r["dead_money_musd"]), 6) for r in facts.dead_money[season])
        else:
            assert set(standings["games"]) == {pages.IN_PROGRESS_GAMES}
            assert standings["wins"].sum() == standings["losses"].sum()


def test_the_scrape_floor_runs_season_backfills_steps_under_its_executor(tmp_path):
    import os
    import shutil

    import dagster as dg

    from analytics_assets.definitions import defs

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), FLOOR_SCRAPE_SEASONS="2", ANALYTICS_HTTP_MIN_INTERVAL_S="0.5",
               ANALYTICS_DUCKDB_PATH=str(tmp_path / "a.duckdb"), ANALYTICS_ARCHIVE_DIR=str(tmp_path / "archive"))
    result = subprocess.run(
        [sys.executable, "benchmarks/floor_pipeline.py", "--scrape", "--from", "2024", "--to", "2025"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "season_backfill: run" in result.stdout and "succeeded" in result.stdout
    real = defs.resolve_job_def("season_backfill")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        steps = {s.step_key for s in instance.get_run_step_stats(run.run_id)}
        # The floor is the real job's shape: the same steps, one process each under the same executor.
        assert steps == {n.name for n in real.graph.node_defs}
        launched = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.event_type_value == "STEP_WORKER_STARTED"]
        assert {e.step_key for e in launched} == steps
        # A paced site's raw step waits out its pacing: (2 seasons - 1) x 0.5 s.
        paced = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)}
        assert paced["raw_pfr_season_page"] >= 0.5 and paced["raw_spotrac_cap_page"] >= 0.5
    # A wrong season count is refused rather than timed with the wrong pacing.
    env["FLOOR_SCRAPE_SEASONS"] = "3"
    refused = subprocess.run([sys.executable, "benchmarks/floor_pipeline.py", "--scrape", "--from", "2024", "--to", "2025"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "FLOOR_SCRAPE_SEASONS=2" in refused.stderr
