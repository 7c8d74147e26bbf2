"""What the browser tests share: `make dev`'s processes on a temporary instance, and a Chromium page on them."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from analytics_tests.support.browser import connected_browser
from analytics_tests.support.data import REPO

# The dg dev of the browser tests: nothing answers. Completed seasons come from the embedded facts;
# the season in progress would come from the live sites, each on a closed local port.
OFFLINE = {
    "ANALYTICS_SOURCE": "auto",
    "PFR_BASE_URL": "http://127.0.0.1:9",
    "SPOTRAC_BASE_URL": "http://127.0.0.1:9",
    "NFLVERSE_GAMES_URL": "http://127.0.0.1:9/nflverse/nfldata/master/data/games.csv",
    "ANALYTICS_HTTP_MAX_ATTEMPTS": "2",
}


@contextmanager
def running_dev_server(prefix: str, env: dict[str, str] | None = None) -> Iterator:
    """dg dev (webserver, daemon, code server) on a temporary instance, stopped and removed after."""
    if not (REPO / ".venv" / "bin" / "dg").exists():
        pytest.skip("make env installs dg into .venv")
    from benchmarks.ui_latency import Server

    root = Path(tempfile.mkdtemp(prefix=prefix))
    srv = Server(root, (REPO / "deploy" / "dagster.local.yaml").read_text(), env=env)
    try:
        srv.wait_up()
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def chromium_page() -> Iterator:
    """A page of its own (a fresh context) in the session's Chromium."""
    with connected_browser() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(120_000)
        # The first-visit newsletter prompt appears a moment after a page loads: dismiss it whenever it does.
        pg.add_locator_handler(pg.get_by_role("button", name="Skip"), lambda skip: skip.click())
        try:
            yield pg
        finally:
            context.close()


def shot(page, name: str) -> None:
    folder = Path(os.environ.get("ANALYTICS_TEST_ARTIFACTS", tempfile.gettempdir())) / "browser_ui"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def wait_until(predicate, timeout: float, what: str):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} not reached in {timeout} s")


def confirm_if_asked(page) -> None:
    """Dagster asks "Are you sure?" first when upstream assets were never materialized: wait for
    whichever dialog opens, and confirm if it is that question."""
    from playwright.sync_api import expect

    dialogs = page.get_by_role("dialog")
    expect(dialogs.first).to_be_visible()
    sure = dialogs.filter(has_text="Are you sure?")
    if sure.count():
        sure.get_by_role("button", name="Confirm").click()
