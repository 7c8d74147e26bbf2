"""Shared fixtures (real DuckDB files, real materializations, the session's Chromium, dg dev, the
deployment) and the suite's rules: every test belongs to one tier, and the tests that share a
process-wide fixture run on one worker."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analytics_assets import partitions
from analytics_assets.ingestion import embedded
from analytics_tests.support.landing import in_progress_week
from analytics_tests.support.runs import materialize_seasons

TIERS = ("unit", "integration", "browser", "deploy")


def _shares_dev_server(item) -> bool:
    return "dev_server" in getattr(item, "fixturenames", ())


def pytest_itemcollected(item):
    """The tests sharing `dev_server` run on one worker; every other module on one worker of its own
    (its module fixtures are built once). Set as each test is collected, before xdist reads groups."""
    group = "dev_server" if _shares_dev_server(item) else item.module.__name__
    item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_modifyitems(config, items):
    """Every test has exactly one tier marker (its own or its module's); the tests sharing dg dev
    come first, the offline "All" story last among them."""
    untiered = [item.nodeid for item in items if len({m.name for m in item.iter_markers() if m.name in TIERS}) != 1]
    if untiered:
        raise pytest.UsageError(f"tests without exactly one tier marker ({', '.join(TIERS)}): {untiered[:10]}")
    # The dg dev tests first (the longest chain, started at once on one worker while the other takes the
    # rest), the offline story last among them; a stable sort keeps every other order.
    items.sort(key=lambda item: (not _shares_dev_server(item), "test_backfill_offline" in item.nodeid))


def pytest_sessionfinish(session, exitstatus):
    """In CI (`CI` set, as `.ci/run` sets it) a skipped test fails the session: a skip there means a
    package or service the suite needs is missing, and a suite that skipped it proved nothing."""
    if not os.environ.get("CI") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI every test must run:", red=True)
        for report in skipped[:20]:
            reporter.write_line(
                f"  {report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}"
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_UNIT_ITEM: list[str] = []  # the unit test being set up or run, if any


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _as_unit(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _as_unit(item))


def _as_unit(item):
    """While a unit test (and any fixture first built for it) runs, a Dagster job or a new process fails
    it: a test that needs one belongs to another tier."""
    if item.get_closest_marker("unit") is not None:
        _UNIT_ITEM.append(item.nodeid)
    try:
        return (yield)
    finally:
        _UNIT_ITEM.clear()


def pytest_configure(config):
    import subprocess

    import dagster as dg

    def guarded(original):
        def call(*args, **kwargs):
            if _UNIT_ITEM:
                raise AssertionError(
                    f"{_UNIT_ITEM[0]} is marked unit but runs a Dagster job or starts a process: mark it integration"
                )
            return original(*args, **kwargs)

        return call

    dg.JobDefinition.execute_in_process = guarded(dg.JobDefinition.execute_in_process)
    subprocess.Popen.__init__ = guarded(subprocess.Popen.__init__)


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory) -> Path:
    """A folder every worker of the session sees (pytest-xdist gives each worker a base folder of its own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def full_db(shared_root) -> Path:
    """One DuckDB file holding every embedded season, 2011-2025, built by a real materialization once
    per session (the first worker to ask builds it, the other waits); tests only read it."""
    from filelock import FileLock

    path = shared_root / "full" / "analytics.duckdb"
    with FileLock(str(shared_root / "full.lock")):
        if not (shared_root / "full" / "built").exists():
            path.parent.mkdir(exist_ok=True)
            result = materialize_seasons(path, 2011, 2025)
            assert result.success
            (shared_root / "full" / "built").touch()
    return path


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "analytics.duckdb"


@pytest.fixture
def embedded_copy(tmp_path, monkeypatch):
    """A writable copy of the embedded facts the assets read instead of the shipped files.

    Returns a function taking `edit(standings, dead_money)` that changes the frames in place.
    """
    from analytics_assets.ingestion import embedded

    folder = tmp_path / "embedded"
    folder.mkdir()
    for f in embedded.EMBEDDED_DIR.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(embedded, "EMBEDDED_DIR", folder)
    embedded.load.cache_clear()

    def edit(change) -> None:
        standings = pd.read_csv(folder / embedded.STANDINGS_FILE, dtype=str, keep_default_na=False)
        dead = pd.read_csv(folder / embedded.DEAD_MONEY_FILE, dtype=str, keep_default_na=False)
        before = standings.copy(), dead.copy()
        change(standings, dead)
        # Rewrite only what changed: a file's bytes are part of its rows' provenance.
        if not standings.equals(before[0]):
            standings.to_csv(folder / embedded.STANDINGS_FILE, index=False)
        if not dead.equals(before[1]):
            dead.to_csv(folder / embedded.DEAD_MONEY_FILE, index=False)
        embedded.load.cache_clear()

    yield edit
    embedded.load.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def offline_sources(tmp_path_factory):
    """No test reaches the internet: embedded sources unless a test asks for live ones, live base URLs
    on a closed local port, and the raw archive and landing folder in temporary folders."""
    folder = tmp_path_factory.mktemp("sources")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYTICS_SOURCE", "embedded")
        mp.setenv("PFR_BASE_URL", "http://127.0.0.1:9")
        mp.setenv("SPOTRAC_BASE_URL", "http://127.0.0.1:9")
        mp.setenv("NFLVERSE_GAMES_URL", "http://127.0.0.1:9/nflverse/nfldata/master/data/games.csv")
        mp.setenv("ANALYTICS_HTTP_MAX_ATTEMPTS", "1")
        mp.setenv("ANALYTICS_ARCHIVE_DIR", str(folder / "archive"))
        mp.setenv("ANALYTICS_LANDING_DIR", str(folder / "landing"))
        yield


@pytest.fixture(scope="module")
def outputs(full_db, tmp_path_factory):
    """The summary, charts and report built once on a copy of the full database."""
    from analytics_tests.support.outputs import session_outputs

    return session_outputs(full_db, tmp_path_factory)


@pytest.fixture(scope="module")
def chromium():
    """A tab in the session's headless Chromium for the test module (skips where it is not installed)."""
    from analytics_tests.support.outputs import Chromium

    browser = Chromium()  # skips where Chromium is not installed
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """Risk figures computed independently (numpy/scipy) from the reference CSV files."""
    from analytics_tests.support.reference import expected_risk

    return expected_risk()


@pytest.fixture
def db(seeded, tmp_path) -> Path:
    """A private copy of the test module's `seeded` DuckDB file."""
    import shutil

    path = tmp_path / "analytics.duckdb"
    shutil.copy(seeded, path)
    return path


@pytest.fixture
def landing(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("ANALYTICS_LANDING_DIR", str(folder))
    return folder


@pytest.fixture
def in_progress(embedded_copy):
    """The embedded facts plus the season in progress (and its league cap), rewritten week by week."""
    folder = embedded.EMBEDDED_DIR  # the test's copy (embedded_copy points the package at it)
    standings = pd.read_csv(folder / embedded.STANDINGS_FILE)
    dead = pd.read_csv(folder / embedded.DEAD_MONEY_FILE)
    caps = pd.read_csv(folder / embedded.SALARY_CAP_FILE)
    if partitions.season_in_progress() not in set(caps["season"]):
        pd.concat(
            [
                caps,
                caps[caps["season"] == partitions.season_in_progress() - 1].assign(
                    season=partitions.season_in_progress()
                ),
            ]
        ).to_csv(folder / embedded.SALARY_CAP_FILE, index=False)

    def week(games: int, dead_scale: float = 1.0) -> None:
        s, d = in_progress_week(standings, dead, games, dead_scale)
        s.to_csv(folder / embedded.STANDINGS_FILE, index=False)
        d.to_csv(folder / embedded.DEAD_MONEY_FILE, index=False)
        embedded.load.cache_clear()

    return week


@pytest.fixture(scope="module")
def browser():
    """The session's headless Chromium (one process per worker), connected for the module."""
    from analytics_tests.support.browser import connected_browser

    with connected_browser() as b:
        yield b


@pytest.fixture(scope="session", autouse=True)
def _stop_browser_at_the_end():
    yield
    from analytics_tests.support.browser import stop_browser

    stop_browser()


@pytest.fixture
def page_server():
    """A local HTTP server with the saved PFR 2017 and Spotrac 2024 pages at their real paths."""
    from analytics_tests.support.http_server import saved_page_server

    with saved_page_server() as server:
        yield server


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    """PostgreSQL + code server + webserver + daemon, shared by the deployment and browser tests."""
    from analytics_tests.support.deploy import running_deployment

    with running_deployment(tmp_path_factory.mktemp("deployment")) as d:
        yield d


@pytest.fixture(scope="session")
def dev_webhook():
    """Where the shared dg dev's alert sensor posts."""
    from analytics_tests.support.deploy import WebhookSink

    with WebhookSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def dev_server(dev_webhook):
    """`make dev`'s processes (webserver, daemon, code server) on a temporary instance, offline: the
    completed seasons from the embedded facts, every live site on a closed port. Shared by the browser
    tests of the session (they run on one worker, the offline "All" story last)."""
    from analytics_tests.support.ui import OFFLINE, running_dev_server

    with running_dev_server(
        "analytics-dev-test-", env={**OFFLINE, "ANALYTICS_ALERT_WEBHOOK_URL": dev_webhook.url}
    ) as srv:
        yield srv
