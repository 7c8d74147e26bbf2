""""All" and "Failed and missing" seasons launched offline from the Dagster UI, in Debian's Chromium,
against `make dev`'s processes (webserver, daemon, code server) on a temporary instance.

No site answers (every live URL points at a closed local port) and the season in progress was never
stored. "All" is a backfill of two runs: every completed season in one, which succeeds, and the season
in progress alone, which fails with one message per table naming that season. The catalog shows the
completed seasons materialized and only the season in progress failed, and no rule check of the
season tables shows "Execution failed". Picking the failed season again runs it alone, with the same
outcome.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from analytics_assets import partitions
from analytics_assets.quality.catalog import rules_for
from analytics_tests.deploy_support import WebhookSink
from analytics_tests.test_browser_ui import _shot, _wait
from analytics_tests.ui_support import chromium_page, dev_server

SEASON = partitions.season_in_progress()
COMPLETED = (str(partitions.FIRST_SEASON), str(SEASON - 1))
SEASON_TABLES = ("standings", "dead_cap", "team_season_risk")
OFFLINE = {
    "ANALYTICS_SOURCE": "auto",  # embedded facts for completed seasons, the live sites for the season in progress
    "PFR_BASE_URL": "http://127.0.0.1:9",
    "SPOTRAC_BASE_URL": "http://127.0.0.1:9",
    "NFLVERSE_GAMES_URL": "http://127.0.0.1:9/nflverse/nfldata/master/data/games.csv",
    "ANALYTICS_HTTP_MAX_ATTEMPTS": "1",
}

BACKFILLS = """query { partitionBackfillsOrError(limit: 10) { ... on PartitionBackfills { results { id status } } } }"""
RUNS = """query { runsOrError(limit: 50) { ... on Runs { results { runId status pipelineName tags { key value } } } } }"""
PARTITIONS = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { ... on AssetNode {
  assetPartitionStatuses { ... on TimePartitionStatuses { ranges { status startKey endKey } } } } } }"""
LATEST_CHECK = """query($k: AssetKeyInput!, $c: String!) { assetCheckExecutions(assetKey: $k, checkName: $c, limit: 1) {
  status runId evaluation { success description } } }"""


@pytest.fixture(scope="module")
def webhook():
    with WebhookSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(webhook):
    with dev_server("analytics-offline-test-", env={**OFFLINE, "ANALYTICS_ALERT_WEBHOOK_URL": webhook.url}) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(server):
    with chromium_page() as pg:
        yield pg


def _launch_from_job_page(page, server, choice: str, launch: str) -> None:
    """Jobs > season_pipeline > Materialize all..., a partition choice ("All", "Failed and missing"), launch."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/locations/analytics_assets/jobs/season_pipeline", wait_until="networkidle")
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=choice, exact=True).click()
    button = dialog.get_by_role("button", name=launch)
    expect(button).to_be_enabled()
    button.click()
    expect(dialog).to_be_hidden()


def _runs(server) -> list[dict]:
    runs = server.gql(RUNS)["runsOrError"]["results"]
    return [{**r, "tags": {t["key"]: t["value"] for t in r["tags"]}} for r in runs if r["pipelineName"] == "season_pipeline"]


def _seasons(run: dict) -> tuple[str, str]:
    tags = run["tags"]
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    return tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]


def _statuses(server, asset: str) -> dict[tuple[str, str], str]:
    ranges = server.gql(PARTITIONS, {"k": {"path": [asset]}})["assetNodeOrError"]["assetPartitionStatuses"]["ranges"]
    return {(r["startKey"], r["endKey"]): r["status"] for r in ranges}


def _step_failures(server, run_id: str) -> dict[str, str]:
    with dg.DagsterInstance.from_config(str(Path(server.env["DAGSTER_HOME"]))) as instance:
        events = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    out = {}
    for record in events:
        data = record.dagster_event.event_specific_data
        user = data.user_failure_data
        out[record.dagster_event.step_key] = user.description if user is not None and user.description else data.error.message
    return out


def _assert_only_the_season_in_progress_failed(server) -> None:
    for asset in SEASON_TABLES:
        assert _statuses(server, asset) == {COMPLETED: "MATERIALIZED", (str(SEASON), str(SEASON)): "FAILED"}, asset
    for table in ("standings", "dead_cap"):
        for rule in rules_for(table):
            latest = server.gql(LATEST_CHECK, {"k": {"path": [table]}, "c": rule.name})["assetCheckExecutions"][0]
            assert latest["status"] != "EXECUTION_FAILED", (table, rule.name, latest)


def test_all_seasons_offline_fail_only_the_season_in_progress_in_a_run_of_its_own(server, page):
    from playwright.sync_api import expect

    _launch_from_job_page(page, server, "All", "Launch backfill")
    done = _wait(lambda: [b for b in server.gql(BACKFILLS)["partitionBackfillsOrError"]["results"]
                          if b["status"] not in ("REQUESTED", "CANCELING")], 600, "the backfill done")
    assert [b["status"] for b in done] == ["COMPLETED_FAILED"]  # one season could not be loaded: said so
    runs = {_seasons(r): r for r in _runs(server)}
    assert set(runs) == {COMPLETED, (str(SEASON), str(SEASON))}
    assert runs[COMPLETED]["status"] == "SUCCESS"
    alone = runs[(str(SEASON), str(SEASON))]
    assert alone["status"] == "FAILURE"
    failures = _step_failures(server, alone["runId"])
    assert set(failures) == {"standings", "dead_cap"}
    for table, message in failures.items():
        assert message.startswith(f"{table} season {SEASON}: ") and message.count(f"{table} season ") == 1, message
        assert "Nothing was written; stored seasons are unchanged." in message
    _assert_only_the_season_in_progress_failed(server)

    page.goto(f"{server.url}/assets/standings?view=partitions", wait_until="networkidle")
    body = page.locator("body")
    expect(body).to_contain_text("Failed (1)")
    expect(body).to_contain_text(f"Materialized ({SEASON - partitions.FIRST_SEASON})")
    _shot(page, "offline_all_partitions")
    page.goto(f"{server.url}/assets/standings?view=checks", wait_until="networkidle")
    expect(page.get_by_text("win_pct_formula").first).to_be_visible()
    _shot(page, "offline_all_checks")


def test_the_failed_season_in_progress_picked_again_runs_alone(server, page):
    before = {r["runId"] for r in _runs(server)}
    # One season: Dagster launches one run, not a backfill.
    _launch_from_job_page(page, server, "Failed and missing", "Launch 1 run")
    new = _wait(lambda: [r for r in _runs(server) if r["runId"] not in before and r["status"] in ("SUCCESS", "FAILURE")], 300, "the run done")
    assert [(_seasons(r), r["status"]) for r in new] == [((str(SEASON), str(SEASON)), "FAILURE")]
    _assert_only_the_season_in_progress_failed(server)


def test_the_alerts_name_each_failed_run_by_its_job_or_its_assets_never_dagsters_implicit_job(server, page, webhook):
    # The same season from the asset's own page: Dagster runs it as its implicit job, __ASSET_JOB.
    from playwright.sync_api import expect

    before = {r["runId"] for r in server.gql(RUNS)["runsOrError"]["results"]}
    page.goto(f"{server.url}/assets/standings", wait_until="networkidle")
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    sure = page.get_by_role("dialog").filter(has_text="Are you sure?")
    try:
        sure.get_by_role("button", name="Confirm").click(timeout=5_000)
    except Exception:
        pass  # no question asked: the raw assets upstream have materializations
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    dialog.get_by_role("button", name="Failed and missing", exact=True).click()
    dialog.get_by_role("button", name="Launch 1 run").click()
    expect(dialog).to_be_hidden()
    run = _wait(lambda: [r for r in server.gql(RUNS)["runsOrError"]["results"]
                         if r["runId"] not in before and r["status"] == "FAILURE"], 300, "the run failed")[0]
    assert run["pipelineName"] == "__ASSET_JOB"

    # Every failed run of this module is alerted (the sensor looks every 15 s), each named in words.
    failed = [r["runId"] for r in server.gql(RUNS)["runsOrError"]["results"] if r["status"] == "FAILURE"]
    assert len(failed) == 3
    alerts = _wait(lambda: (lambda got: got if len(got) == len(failed) else None)(
        {rid: webhook.payloads_for(rid) for rid in failed if webhook.payloads_for(rid)}), 180, "an alert for every failed run")
    texts = {rid: payloads[0]["text"] for rid, payloads in alerts.items()}
    assert all("__ASSET_JOB" not in text for text in texts.values()), texts
    assert texts[run["runId"]].startswith(f"Dagster run {run['runId'][:8]} of assets standings (season {SEASON}) failed at step `standings`: ")
    backfill_run = next(rid for rid in failed if rid != run["runId"] and "backfill" in texts[rid])
    assert f"of job `season_pipeline` (season {SEASON}, backfill " in texts[backfill_run]
