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

from analytics_tests.support.data import REPO

CHROMIUM = Path(os.environ.get("ANALYTICS_CHROMIUM", "/usr/bin/chromium"))
# Nothing reaches the network on its own: no sync, no component updates, no QUIC.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic",
]


@contextmanager
def dev_server(prefix: str, env: dict[str, str] | None = None) -> Iterator:
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
    """A page in Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (.ci/run does: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (the 'test' extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        # The first-visit newsletter prompt appears a moment after a page loads: dismiss it whenever it does.
        pg.add_locator_handler(pg.get_by_role("button", name="Skip"), lambda skip: skip.click())
        try:
            yield pg
        finally:
            context.close()
            browser.close()


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

