"""Shared fixtures: a real DuckDB file per test (or per session) and real Dagster materializations."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from analytics_assets.definitions import defs
from analytics_assets.defs.resources import environment_resources
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.deploy_support import deployment  # noqa: F401 (the session-wide deployment fixture)

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SEASON_ASSETS = ["standings", "dead_cap", "team_season_risk"]
# The raw assets a core asset reads from the archive: always fetched (their `fetched` check) with it, as the job does.
RAW_OF = {"standings": ["raw_nflverse_games", "raw_pfr_season_page"], "dead_cap": ["raw_spotrac_cap_page"]}


class SeasonRuns:
    """The runs of a range of seasons, one season per run (as a backfill runs them), read as one result."""

    def __init__(self, results: list):
        self.results = results

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def all_events(self) -> list:
        return [e for r in self.results for e in r.all_events]

    @property
    def run_id(self) -> str:
        return self.results[-1].run_id

    def __getattr__(self, name: str):
        if len(self.results) != 1:
            raise AttributeError(f"{name}: a result of {len(self.results)} runs; read .results[i]")
        return getattr(self.results[0], name)


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder sits beside the repo in CI")
    return path


def season_assets(names=SEASON_ASSETS) -> tuple[list, dg.AssetSelection]:
    """The definitions a run of `names` needs (with their raw pages' fetches), and what it selects."""
    raws = list(dict.fromkeys(raw for name in names for raw in RAW_OF.get(name, [])))
    checks = [c for c in defs.asset_checks or [] if any(k.asset_key.to_user_string() in raws for k in c.check_keys)]
    from analytics_assets.defs.raw.assets import raw_assets

    assets = [defs.get_assets_def(name) for name in names] + [spec for spec in raw_assets if spec.key.to_user_string() in raws]
    selection = dg.AssetSelection.assets(*names) | dg.AssetSelection.checks_for_assets(*raws) if raws else dg.AssetSelection.assets(*names)
    return [*assets, *checks], selection


def materialize_names(names, partition_key: str, **kwargs):
    """dg.materialize of the season assets `names` (with their raw pages' fetches) for one season."""
    assets, selection = season_assets(names)
    return dg.materialize(assets, selection=selection, partition_key=partition_key, **kwargs)


def resources_for(db_path: Path, http: HttpClientResource | None = None) -> dict:
    """The code location's resources as the environment has them now, on the DuckDB file `db_path`."""
    return {**environment_resources(), "duckdb": AnalyticsDuckDB(database=str(db_path)), **({"http": http} if http else {})}


def materialize_seasons(
    db_path: Path, first: int, last: int | None = None, names=SEASON_ASSETS, instance=None, raise_on_error=True, http=None, tags=None
):
    """Materialize the per-season assets for each season of [first, last], one run per season as a backfill
    runs them, against `db_path` (plus any run `tags`); stops at the first failed run."""
    last = first if last is None else last
    assets, selection = season_assets(names)
    results = []
    for season in range(first, last + 1):
        result = dg.materialize(
            assets, selection=selection, partition_key=str(season), resources=resources_for(db_path, http),
            tags=tags, instance=instance, raise_on_error=raise_on_error,
        )
        results.append(result)
        if not result.success:
            break
    return SeasonRuns(results)


def read_table(db_path: Path, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as conn:
        return conn.execute(sql, params or []).df()


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


def step_failures(result) -> dict[str, str]:
    """Each failed step's error as the UI shows it, followed by the failure's `detail` metadata (the full
    text of what each source answered) when it has one."""
    out = {}
    for e in result.all_events:
        if e.event_type_value != "STEP_FAILURE":
            continue
        user = e.event_specific_data.user_failure_data
        detail = user.metadata.get("detail") if user is not None else None
        out[e.step_key] = e.event_specific_data.error.message + (f"\nDetail: {detail.value}" if detail is not None else "")
    return out


def step_failure_descriptions(result) -> dict[str, str]:
    """Each failed step's description alone: what the person on call reads first."""
    return {
        e.step_key: e.event_specific_data.user_failure_data.description
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.event_specific_data.user_failure_data is not None
    }


def skipped_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}


def check_evaluations(result) -> dict[tuple[str, str], bool]:
    return {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def table_hash(db_path: Path, table: str) -> tuple[int, str]:
    """Row count and a content hash of a whole table, independent of row order."""
    with duckdb.connect(str(db_path), read_only=True) as conn:
        count, digest = conn.execute(
            f"SELECT count(*), coalesce(sum(hash(t::VARCHAR))::VARCHAR, '0') FROM nfl.{table} t"
        ).fetchone()
    return int(count), digest


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
    from analytics_tests.outputs_support import session_outputs

    return session_outputs(full_db, tmp_path_factory)


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian Chromium, started once for the test module (skips where it is not installed)."""
    from analytics_tests.outputs_support import Chromium, require_chromium

    require_chromium()
    browser = Chromium()
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """Risk figures computed independently (numpy/scipy) from the reference CSV files."""
    from analytics_tests.test_risk_analytics import expected_risk

    return expected_risk()


@pytest.fixture
def db(seeded, tmp_path) -> Path:
    """A private copy of the test module's `seeded` DuckDB file."""
    import shutil

    path = tmp_path / "analytics.duckdb"
    shutil.copy(seeded, path)
    return path
