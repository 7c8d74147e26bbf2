"""The Dagster UI as a user drives it, in Debian's Chromium (Playwright, never a downloaded browser).

Against `make dev`'s processes (dg dev: webserver, daemon, code server) on the session's temporary
instance (shared with the offline story, which runs after these):
materialize one season of `standings` from its asset page, launch a 3-season backfill from the same page, wait
for it to complete, then open the asset's partitions and checks and assert what the user sees:
success, each season's own metadata, and no failed (red) season or check.
"""

from __future__ import annotations

import re

import pytest

from analytics_tests.support.ui import chromium_page, confirm_if_asked, shot, wait_until

pytestmark = pytest.mark.browser

PARTITION_STATS = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { ... on AssetNode {
  partitionStats { numMaterialized numFailed numMaterializing } } } }"""
CHECKS = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { ... on AssetNode {
  assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } } } } }"""


@pytest.fixture(scope="module")
def server(dev_server):
    return dev_server


@pytest.fixture(scope="module")
def page(server):
    with chromium_page() as pg:
        yield pg


def _launch_from_asset_page(page, server, partitions: str, expected: int) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/assets/standings", wait_until="networkidle")
    try:
        page.get_by_role("button", name=re.compile("Materialize")).first.click()
    except Exception:
        shot(page, "failure")
        raise
    # On a fresh instance the raw assets upstream of standings were never materialized: Dagster asks
    # first. Materializing standings alone is right for embedded seasons (no page is read).
    confirm_if_asked(page)
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    expect(dialog).to_be_visible()
    # The raw-page assets upstream are never materialized on embedded facts: the UI asks first.
    confirm = dialog.get_by_role("button", name="Confirm")
    if "Are you sure?" in dialog.inner_text():
        confirm.click()
    box = dialog.get_by_placeholder(re.compile("ex: 2011"))
    box.fill(partitions)
    box.press("Enter")
    expect(dialog).to_contain_text(f"selection{expected} partition")
    launch = dialog.get_by_role("button", name=re.compile(r"^Launch"))
    expect(launch).to_be_enabled()
    launch.click()
    expect(dialog).to_be_hidden()


def _stats(server, name: str) -> dict:
    return server.gql(PARTITION_STATS, {"k": {"path": [name]}})["assetNodeOrError"]["partitionStats"]


@pytest.mark.slow
def test_materialize_a_season_then_backfill_three_from_the_asset_page(server, page):
    from playwright.sync_api import expect

    # One season: 2024.
    _launch_from_asset_page(page, server, "2024", 1)
    wait_until(lambda: _stats(server, "standings")["numMaterialized"] >= 1, 900, "2024 materialized")

    # A 3-season backfill from the same page: 2021-2023.
    _launch_from_asset_page(page, server, "[2021...2023]", 3)
    wait_until(lambda: _stats(server, "standings")["numMaterialized"] >= 4, 900, "the backfill's seasons materialized")
    page.goto(f"{server.url}/overview/backfills", wait_until="networkidle")
    expect(page.get_by_role("button", name="3 partitions")).to_be_visible()
    expect(page.locator("body")).to_contain_text(re.compile(r"Success\s*Nov|Success"), timeout=120_000)
    shot(page, "backfills")

    # No red anywhere: every season stored, none failed.
    stats = _stats(server, "standings")
    assert stats["numMaterialized"] == 4 and stats["numFailed"] == 0 and stats["numMaterializing"] == 0, stats

    # The partitions view: season 2022's own metadata (its 32 rows, its source), not the run's.
    page.goto(f"{server.url}/assets/standings?view=partitions&partition=2022", wait_until="networkidle")
    expect(page.get_by_text("dagster/row_count").first).to_be_visible()
    body = page.locator("body")
    expect(body).to_contain_text("Failed (0)")  # no red season
    expect(body).to_contain_text("Materialized (4)")
    expect(body).to_contain_text(re.compile(r"dagster/row_count\s*32\s*season\s*2022"))  # that season's 32 rows
    expect(body).to_contain_text(re.compile(r"source\s*embedded"))
    expect(body).to_contain_text(re.compile(r"run_seasons\s*2022"))  # one season per run
    shot(page, "partition_2022")

    # The checks view: every check passed, or (a rule with nothing to judge on embedded facts) was skipped.
    page.goto(f"{server.url}/assets/standings?view=checks", wait_until="networkidle")
    expect(page.get_by_text("win_pct_formula").first).to_be_visible()
    expect(body).not_to_contain_text("Execution failed")
    shot(page, "checks")
    checks = server.gql(CHECKS, {"k": {"path": ["standings"]}})["assetNodeOrError"]["assetChecksOrError"]["checks"]
    statuses = {c["name"]: (c["executionForLatestMaterialization"] or {}).get("status") for c in checks}
    assert statuses and all(s in ("SUCCEEDED", "SKIPPED", None) for s in statuses.values()), statuses
    assert statuses["win_pct_formula"] == "SUCCEEDED" and statuses["page_season"] == "SKIPPED"
