"""One headless Debian Chromium per test session (per worker), started on first use; tests and
modules connect to it with Playwright (over the DevTools protocol) and open their own contexts and
pages in it. No browser is ever downloaded.

Playwright's sync API holds an asyncio loop on the thread while it is started, and Dagster's sensor
and automation evaluation call asyncio.run(), which refuses to run inside one. So the browser process
lives for the session, while a Playwright connection to it lives only as long as a module or test
uses it (nested uses share one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ANALYTICS_CHROMIUM", "/usr/bin/chromium"))
# Nothing reaches the network on its own: no sync, no component updates, no QUIC.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
MISSING = (
    f"{CHROMIUM} is absent: `make test` installs Debian's chromium when run as root (else: sudo apt-get "
    f"install -y chromium)"
)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)


class _Process:
    """The session's Chromium process and the DevTools endpoint it listens on."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="analytics-chromium-"))
        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                *CHROMIUM_ARGS,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = self.profile / "DevToolsActivePort"  # Chromium writes its port here once it listens
        deadline = time.monotonic() + 120
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{CHROMIUM} did not start listening for DevTools (exit {self.proc.returncode})")
            time.sleep(0.1)
        self.endpoint = f"http://127.0.0.1:{port_file.read_text().split()[0]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


_process: _Process | None = None
_connection: dict = {"depth": 0, "playwright": None, "browser": None}


@contextmanager
def connected_browser() -> Iterator:
    """The session's Chromium, connected through Playwright for as long as the block runs."""
    global _process
    require_chromium()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (the 'test' extra)"
    )
    if _process is None or _process.proc.poll() is not None:
        _process = _Process()
    if _connection["depth"] == 0:
        _connection["playwright"] = sync_api.sync_playwright().start()
        _connection["browser"] = _connection["playwright"].chromium.connect_over_cdp(_process.endpoint)
        # An assertion on a page waits for its condition up to a minute (Playwright's default is 5 s,
        # which a loaded machine can miss); a condition that holds returns at once.
        sync_api.expect.set_options(timeout=60_000)
    _connection["depth"] += 1
    try:
        yield _connection["browser"]
    finally:
        _connection["depth"] -= 1
        if _connection["depth"] == 0:
            _connection["browser"].close()
            _connection["playwright"].stop()
            _connection.update(playwright=None, browser=None)


def stop_browser() -> None:
    global _process
    if _process is not None:
        _process.stop()
        _process = None
