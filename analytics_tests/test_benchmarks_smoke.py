"""The benchmark harness runs every measurement for real (a --smoke pass: one repetition, 2 seasons)
and prints its rows; the
framework floors run the real jobs' steps, one season per run; the pages it serves are ones the
parsers and quality gates accept. Shapes only: timings are never asserted here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from analytics_assets.ingestion import pfr, spotrac
from analytics_assets.ingestion.normalize import Provenance, dead_cap_rows, standings_rows
from analytics_assets.quality import rules
from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG
from analytics_tests.support.data import REPO, shared_file

PROVENANCE = Provenance("live", "http://127.0.0.1/", "0" * 64, datetime(2026, 1, 1, tzinfo=UTC))
HEADER = "| # | measurement | median | min | max | figure | target | result |"
SEASON_STEPS = {"fetch_nflverse", "fetch_pfr", "fetch_spotrac", "standings", "dead_cap", "team_season_risk"}


def table_rows(stdout: str) -> list[dict[str, str]]:
    """The rows of the printed table, by column."""
    lines = stdout.splitlines()
    assert HEADER in lines, stdout[-3000:]
    columns = ("item", "what", "median", "min", "max", "figure", "target", "result")
    rows = []
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip().removeprefix("|").removesuffix("|").split(" | ")]
        assert len(cells) == len(columns), line
        rows.append(dict(zip(columns, cells, strict=True)))
    return rows


def bench(*args: str, timeout: float) -> tuple[str, list[dict[str, str]]]:
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--smoke", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert "Incomplete" not in result.stdout
    assert any(line.startswith("Machine: ") and "dagster" in line for line in result.stdout.splitlines())
    rows = table_rows(result.stdout)
    assert all(r["result"] in ("", "PASS", "**MISS**", "info") for r in rows)
    # Nothing measures what the product no longer has: the parallel-fetch job, or range runs.
    assert "season_backfill" not in result.stdout and "range tags" not in result.stdout
    return result.stdout, rows


def by_item(rows: list[dict[str, str]], item: str) -> list[dict[str, str]]:
    return [r for r in rows if r["item"] == item]


def one(rows: list[dict[str, str]], starts: str) -> dict[str, str]:
    (row,) = [r for r in rows if r["what"].startswith(starts)]
    return row


@pytest.mark.integration
@pytest.mark.slow
def test_quick_pass_of_every_section_but_the_ui_prints_their_rows():
    shared_file("pages", "pfr_years_2017_index.html")
    _, rows = bench("--only", "load,golden,daily,scrape,backfill,naive,scale", timeout=2400)
    assert sorted({r["item"] for r in rows}) == ["1", "2", "3", "4", "5", "6", "7"]
    assert len(by_item(rows, "1")) == 2

    golden = by_item(rows, "2")
    path = one(golden, "Golden path (`make run`")
    # make run's runs, from the instance's records: one per season, then the outputs.
    assert path["what"].startswith("Golden path (`make run`: 2024-2025, one run per season")  # --smoke: 2 seasons
    assert "2 runs of season_pipeline" in path["figure"] and "1 run of all_seasons_outputs" in path["figure"]
    assert one(golden, "Framework floor")["figure"].startswith("its 3 runs ")
    assert "x" in one(golden, "Golden path against the framework floor")["figure"]
    assert one(golden, "Golden path peak memory")["median"].endswith("MB")

    daily = by_item(rows, "3")
    assert one(daily, "Daily run: requests")["result"] == "PASS"
    assert "fetch_pfr" in one(daily, "Daily run: season in progress")["figure"]

    backfill = by_item(rows, "4")
    runs = one(backfill, "Backfill 2011-2012 replayed from the raw archive")
    assert "2 runs" in runs["figure"] and runs["figure"].endswith("; 0 requests")
    assert one(backfill, "Backfill of one season (2012)")["median"]
    assert "each further season adds" in one(backfill, "Backfill: 2 seasons against one")["figure"]

    (naive,) = by_item(rows, "5")
    assert naive["what"].startswith("Naive baseline: the same 2 one-season runs of `season_pipeline`")
    assert "x** faster" in naive["figure"] and naive["figure"].endswith("; 0 requests")

    scrape = by_item(rows, "6")
    assert len(scrape) == 5
    live = one(scrape, "Live scrape: 2 seasons")
    assert "2 runs" in live["figure"] and "fetch_spotrac" in live["figure"]
    assert one(scrape, "Live scrape: its framework floor")["median"]
    requests = one(scrape, "Live scrape: requests issued")
    assert (requests["median"], requests["result"]) == (
        "5",
        "PASS",
    )  # the nflverse file once, each paced site once a season
    again = one(scrape, "Live scrape: the same 2 runs again")
    assert again["figure"].startswith("0 requests") and again["result"] == "PASS"

    scale = by_item(rows, "7")
    assert len(scale) == 9  # three steps x three league sizes
    for step in ("team_season_risk", "season_summary", "pooled_fit"):
        sizes = [r["what"] for r in scale if f"`{step}`" in r["what"]]
        assert [re.search(r"on ([\d,]+) team-seasons", s).group(1) for s in sizes] == ["100", "1,000", "10,000"]


@pytest.mark.integration
@pytest.mark.slow
def test_quick_ui_pass_prints_its_rows():
    if not (REPO / ".venv" / "bin" / "dg").exists():
        import pytest

        pytest.skip("make env installs dg into .venv")
    _, rows = bench("--only", "ui", timeout=1500)
    assert {r["item"] for r in rows} == {"8"}
    for label in ("deploy/dagster.local.yaml",):  # --quick: the repo's settings only
        ui = [r for r in rows if r["what"].startswith(f"UI ({label})")]
        assert one(ui, f"UI ({label}): one season, click to run success")["median"]
        backfill = one(ui, f"UI ({label}): 2-season backfill (2 runs, one per season), launch to completed")
        assert backfill["median"] and "at most" in backfill["figure"] and backfill["target"] == "<= runs + 10 s"
        assert one(ui, f"UI ({label}): the same after the 2-season backfill")["median"]
        assert one(ui, f"UI ({label}): rebuilds after storing identical rows again")["figure"].isdigit()


@pytest.mark.unit
def test_served_pages_parse_to_the_facts_and_pass_the_gates():
    shared_file("pages", "pfr_years_2017_index.html")
    from benchmarks import pages

    facts = pages.Facts()
    pfr_pages, spotrac_pages = pages.pages_for([2012, 2021], in_progress=2026)
    for season in (2012, 2021, 2026):
        url = f"http://127.0.0.1{pages.pfr_path(season)}"
        standings = standings_rows(
            pfr.parse_standings(pfr_pages[pages.pfr_path(season)].decode(), season, url),
            season,
            pfr.CODE_SOURCE,
            PROVENANCE,
        )
        page = spotrac.parse_dead_cap(spotrac_pages[pages.spotrac_path(season)].decode(), season, url)
        cap = facts.caps.get(season, page.cap_maximum_musd)
        dead = dead_cap_rows(page.rows, season, spotrac.CODE_SOURCE, cap, PROVENANCE)
        completed = season != 2026
        assert rules.validate("standings", standings, season, completed).passed
        assert rules.validate("dead_cap", dead, season, completed).passed
        if completed:  # the page holds exactly the embedded facts (2012 has ties)
            expected = {(r["team"], int(r["wins"]), int(r["losses"]), int(r["ties"])) for r in facts.standings[season]}
            assert set(standings[["team", "wins", "losses", "ties"]].itertuples(index=False, name=None)) == expected
            assert sorted(dead["dead_money_musd"].round(6)) == sorted(
                round(float(r["dead_money_musd"]), 6) for r in facts.dead_money[season]
            )
        else:
            assert set(standings["games"]) == {pages.IN_PROGRESS_GAMES}
            assert standings["wins"].sum() == standings["losses"].sum()


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A temporary instance, DuckDB file and folders, embedded facts unless said otherwise."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        ANALYTICS_DUCKDB_PATH=str(tmp_path / "a.duckdb"),
        ANALYTICS_ARCHIVE_DIR=str(tmp_path / "archive"),
        ANALYTICS_OUTPUT_DIR=str(tmp_path / "reports"),
        ANALYTICS_LANDING_DIR=str(tmp_path / "landing"),
        **extra,
    )
    return env


def runs_of(home: str) -> list[tuple[dg.DagsterRun, dict[str, tuple[float, float]]]]:
    """Every run of an instance, oldest first, with its steps' (start, end) times."""
    with dg.DagsterInstance.from_config(home) as instance:
        return [
            (run, {s.step_key: (s.start_time, s.end_time) for s in instance.get_run_step_stats(run.run_id)})
            for run in reversed(instance.get_runs())
        ]


def upstream(job: dg.JobDefinition) -> dict[str, set[str]]:
    """Each step of a job and the steps it waits for."""
    deps: dict[str, set[str]] = {node.name: set() for node in job.graph.node_defs}
    for invocation, inputs in job.graph.dependencies.items():
        for dep in inputs.values():
            for d in getattr(dep, "asset_check_dependencies", None) or [dep]:
                if hasattr(d, "node"):
                    deps[invocation.name].add(d.node)
    return deps


@pytest.mark.integration
def test_season_run_worker_runs_one_run_per_season(tmp_path):
    env = child_env(tmp_path)
    out = tmp_path / "result.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.worker",
            "season-run",
            "--first",
            "2024",
            "--last",
            "2025",
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    data = json.loads(out.read_text())
    assert data["success"] and data["failed"] == []
    assert [(r["season"], r["success"], set(r["steps"])) for r in data["runs"]] == [
        (2024, True, SEASON_STEPS),
        (2025, True, SEASON_STEPS),
    ]
    assert data["run_s"] >= sum(r["run_s"] for r in data["runs"]) and set(data["steps"]) == SEASON_STEPS
    runs = runs_of(env["DAGSTER_HOME"])
    assert [(run.job_name, run.tags.get(PARTITION_TAG), run.status) for run, _ in runs] == [
        ("season_pipeline", "2024", dg.DagsterRunStatus.SUCCESS),
        ("season_pipeline", "2025", dg.DagsterRunStatus.SUCCESS),
    ]
    assert not any(PARTITION_RANGE_START_TAG in run.tags or PARTITION_RANGE_END_TAG in run.tags for run, _ in runs)
    assert [r["run_id"] for r in data["runs"]] == [run.run_id for run, _ in runs]


@pytest.mark.integration
@pytest.mark.slow
def test_the_floors_run_the_real_jobs_steps_one_season_per_run(tmp_path):
    from analytics_assets.definitions import defs
    from benchmarks import floor_pipeline

    # The floor's jobs are the real ones' graphs: the same steps, each waiting for the same steps
    # (a core table for its raw pages' blocking fetch checks).
    floor = floor_pipeline.floor_defs()
    for name in ("season_pipeline", "all_seasons_outputs"):
        assert upstream(floor.resolve_job_def(name)) == upstream(defs.resolve_job_def(name))
    assert upstream(defs.resolve_job_def("season_pipeline"))["standings"] == {"fetch_nflverse", "fetch_pfr"}

    # The golden path's floor: make run's runs, one per season, then the outputs, every step succeeding.
    env = child_env(tmp_path / "golden")
    result = subprocess.run(
        [sys.executable, "benchmarks/floor_pipeline.py", "--from", "2024", "--to", "2025"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = runs_of(env["DAGSTER_HOME"])
    assert [(run.job_name, run.tags.get(PARTITION_TAG), run.status) for run, _ in runs] == [
        ("season_pipeline", "2024", dg.DagsterRunStatus.SUCCESS),
        ("season_pipeline", "2025", dg.DagsterRunStatus.SUCCESS),
        ("all_seasons_outputs", None, dg.DagsterRunStatus.SUCCESS),
    ]
    assert [set(steps) for _, steps in runs] == [
        SEASON_STEPS,
        SEASON_STEPS,
        {n.name for n in defs.resolve_job_def("all_seasons_outputs").graph.node_defs},
    ]
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        # Each no-op fetch reported its raw page materialized and its blocking check passed, for its season.
        for raw in ("raw_nflverse_games", "raw_pfr_season_page", "raw_spotrac_cap_page"):
            records = instance.fetch_materializations(dg.AssetKey(raw), limit=10).records
            assert sorted(r.partition_key for r in records) == ["2024", "2025"]
        (fetch_run, _) = runs[0]
        checks = [
            e.dagster_event.event_specific_data
            for e in instance.all_logs(fetch_run.run_id)
            if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        fetched = {(c.asset_key.to_user_string(), c.passed) for c in checks if c.check_name == "fetched"}
        assert fetched == {("raw_nflverse_games", True), ("raw_pfr_season_page", True), ("raw_spotrac_cap_page", True)}

    # The live scrape's floor: the season runs alone, each paced site's fetch waiting out its spacing.
    env = child_env(tmp_path / "scrape", ANALYTICS_HTTP_MIN_INTERVAL_S="4")
    result = subprocess.run(
        [sys.executable, "benchmarks/floor_pipeline.py", "--scrape", "--from", "2024", "--to", "2025"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = runs_of(env["DAGSTER_HOME"])
    assert [(run.job_name, run.tags.get(PARTITION_TAG)) for run, _ in runs] == [
        ("season_pipeline", "2024"),
        ("season_pipeline", "2025"),
    ]
    assert [set(steps) for _, steps in runs] == [SEASON_STEPS, SEASON_STEPS]
    (_, first), (_, second) = runs
    for step in (
        "fetch_pfr",
        "fetch_spotrac",
    ):  # 4 s between a site's two "requests" (a little slack for the recording)
        assert second[step][1] - first[step][1] >= 3.8, step
