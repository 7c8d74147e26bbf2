"""Shared fixtures: a real DuckDB file per test (or per session) and real Dagster materializations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics_assets import partitions
from analytics_assets.ingestion import embedded
from analytics_tests.support.runs import materialize_seasons

# The raw assets a core asset reads from the archive: always fetched (their `fetched` check) with it, as the job does.


@pytest.fixture(scope="session")
def full_db(tmp_path_factory) -> Path:
    """One DuckDB file holding every embedded season, 2011-2025, built by a real materialization."""
    path = tmp_path_factory.mktemp("full") / "analytics.duckdb"
    result = materialize_seasons(path, 2011, 2025)
    assert result.success
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
    """Headless Debian Chromium, started once for the test module (skips where it is not installed)."""
    from analytics_tests.support.outputs import Chromium, require_chromium

    require_chromium()
    browser = Chromium()
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


SEASON = partitions.season_in_progress()


def _week(standings: pd.DataFrame, dead: pd.DataFrame, games: int, dead_scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The completed seasons plus the season in progress after `games` (3 or more) games per team: the
    first 16 franchises (by id) lost one game and won the rest, the others won one and lost the rest
    (league wins equal losses); dead money is last season's, varied by team, times `dead_scale`."""
    last = standings[standings["season"] == SEASON - 1].sort_values("franchise").reset_index(drop=True)
    wins = 1 + (last.index < 16) * (games - 2)
    margin = 7 * (2 * wins - games)
    now = last.assign(season=SEASON, games=games, wins=wins, losses=games - wins, ties=0,
                      points_for=20 * games + margin, points_against=20 * games - margin)
    money = dead[dead["season"] == SEASON - 1].sort_values("franchise").reset_index(drop=True).assign(season=SEASON)
    # Each team's figures move differently from last season's (a copy of last season is refused as such).
    spread = 0.8 + 0.4 * ((money.index * 7) % 32) / 31
    money["dead_money_musd"] = (money["dead_money_musd"] * spread * dead_scale).round(3)
    money["total_cap_allocations_musd"] = (money["total_cap_allocations_musd"] * 1.03).round(3)
    return pd.concat([standings, now], ignore_index=True), pd.concat([dead, money], ignore_index=True)


@pytest.fixture
def in_progress(embedded_copy):
    """The embedded facts plus the season in progress (and its league cap), rewritten week by week."""
    folder = embedded.EMBEDDED_DIR  # the test's copy (embedded_copy points the package at it)
    standings = pd.read_csv(folder / embedded.STANDINGS_FILE)
    dead = pd.read_csv(folder / embedded.DEAD_MONEY_FILE)
    caps = pd.read_csv(folder / embedded.SALARY_CAP_FILE)
    if SEASON not in set(caps["season"]):
        pd.concat([caps, caps[caps["season"] == SEASON - 1].assign(season=SEASON)]).to_csv(folder / embedded.SALARY_CAP_FILE, index=False)

    def week(games: int, dead_scale: float = 1.0) -> None:
        s, d = _week(standings, dead, games, dead_scale)
        s.to_csv(folder / embedded.STANDINGS_FILE, index=False)
        d.to_csv(folder / embedded.DEAD_MONEY_FILE, index=False)
        embedded.load.cache_clear()

    return week

