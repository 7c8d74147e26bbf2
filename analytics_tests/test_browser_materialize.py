"""Clicking Materialize in the Dagster UI, in a real browser (Debian's Chromium driven by Playwright).

Against the deployment's webserver (PostgreSQL storage, queued runs launched by the daemon through
the code server): open the season pipeline's asset graph, materialize one season, watch the run
succeed in the UI, then check the run in Dagster's run storage and the rows in DuckDB.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from analytics_assets.run_tags import PARTITION_TAG
from analytics_tests.support.deploy import read_duckdb

pytestmark = pytest.mark.deploy

SEASON = 2024
SEASON_ASSETS = ("standings", "dead_cap", "team_season_risk")


def test_click_materialize_for_a_season_in_the_ui(deployment, browser, tmp_path):
    from playwright.sync_api import expect

    db = deployment.duckdb_path
    assert not read_duckdb(db, "SELECT table_name FROM nfl.partition_versions WHERE season = ?", [SEASON]), (
        "the season is already stored"
    )

    started = time.monotonic()
    shot = tmp_path / "materialize_season_run.png"
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        # The season pipeline's asset graph.
        page.goto(f"{deployment.url}/locations/analytics_assets/jobs/season_pipeline", wait_until="networkidle")
        skip = page.get_by_role("button", name="Skip")  # first-visit newsletter prompt, if shown
        if skip.count():
            skip.click()
        expect(page.get_by_text("View as Asset Graph")).to_be_visible()
        materialize = page.get_by_role("button", name="Materialize all…")
        expect(materialize).to_be_enabled()
        materialize.click()

        # The launch dialog: the job's assets, one season typed into the partition picker.
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(re.compile(r"materialize \d+ assets"))
        partitions = dialog.get_by_placeholder("ex: 2011")
        partitions.fill(str(SEASON))
        partitions.press("Enter")
        expect(dialog).to_contain_text("1 partition")
        launch = dialog.get_by_role("button", name="Launch 1 run")
        expect(launch).to_be_enabled()
        launch.click()

        # The toast links to the run; follow it and watch the run succeed.
        view = page.get_by_role("link", name="View", exact=True)
        expect(view).to_be_visible()
        run_id = view.get_attribute("href").rstrip("/").split("/")[-1]
        view.click()
        expect(page).to_have_url(f"{deployment.url}/runs/{run_id}")
        expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=180_000)
        expect(page.get_by_text(f"partition: {SEASON}")).to_be_visible()
        elapsed = time.monotonic() - started
        page.screenshot(path=str(shot), full_page=True)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"\nbrowser test failed; screenshot {tmp_path / 'failure.png'}")
        raise
    finally:
        context.close()
    print(
        f"\nbrowser: clicked Materialize for {SEASON}, run {run_id} succeeded in the UI after {elapsed:.1f} s; "
        f"screenshot {shot}"
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("ANALYTICS_TEST_ARTIFACTS"):
        artifacts = Path(os.environ["ANALYTICS_TEST_ARTIFACTS"])
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, artifacts / shot.name)

    # Run storage: the run the click launched, queued and launched by the daemon, for that season.
    instance = deployment.instance()
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert run.job_name == "season_pipeline" and run.tags[PARTITION_TAG] == str(SEASON)
    assert instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED).records
    materialized = {
        (r.event_log_entry.dagster_event.asset_key.to_user_string(), r.event_log_entry.dagster_event.partition)
        for r in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    }
    assert {(name, str(SEASON)) for name in SEASON_ASSETS} <= materialized

    # DuckDB: the season's 32 teams in every table, written by that run.
    for table in SEASON_ASSETS:
        rows = read_duckdb(db, f"SELECT count(*), count(DISTINCT team) FROM nfl.{table} WHERE season = ?", [SEASON])
        assert rows == [(32, 32)], table
    writers = read_duckdb(
        db, "SELECT table_name, run_id FROM nfl.partition_versions WHERE season = ? ORDER BY 1", [SEASON]
    )
    assert writers == sorted((table, run_id) for table in SEASON_ASSETS)
