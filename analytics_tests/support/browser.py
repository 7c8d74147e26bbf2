"""One headless Debian Chromium per test session (per worker), started on first use; pages and
contexts are opened in it per test. Playwright drives it; no browser is ever downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ANALYTICS_CHROMIUM", "/usr/bin/chromium"))
# Nothing reaches the network on its own: no sync, no component updates, no QUIC.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic",
]
MISSING = f"{CHROMIUM} is absent: `make test` installs Debian's chromium when run as root (else: sudo apt-get install -y chromium)"

_playwright = None
_browser = None


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)


def shared_browser():
    """The session's Chromium, launched the first time a test asks for it."""
    global _playwright, _browser
    require_chromium()
    if _browser is None or not _browser.is_connected():
        sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (the 'test' extra)")
        if _playwright is None:
            _playwright = sync_api.sync_playwright().start()
        _browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        # An assertion on a page waits for its condition up to a minute (Playwright's default is 5 s,
        # which a loaded machine can miss); a condition that holds returns at once.
        sync_api.expect.set_options(timeout=60_000)
    return _browser


def close_shared_browser() -> None:
    global _playwright, _browser
    if _browser is not None:
        _browser.close()
    if _playwright is not None:
        _playwright.stop()
    _playwright = _browser = None
