"""Shared fixtures: a real DuckDB file per test (or per session) and real Dagster materializations."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from analytics_assets.definitions import defs
from analytics_assets.storage import AnalyticsDuckDB

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SEASON_ASSETS = ["standings", "dead_cap", "team_season_risk"]


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder sits beside the repo in CI")
    return path


def season_assets(names=SEASON_ASSETS) -> list:
    return [defs.get_assets_def(name) for name in names]


def materialize_seasons(db_path: Path, first: int, last: int | None = None, names=SEASON_ASSETS, instance=None, raise_on_error=True):
    """Materialize the per-season assets over [first, last] in one run against `db_path`."""
    last = first if last is None else last
    tags = {ASSET_PARTITION_RANGE_START_TAG: str(first), ASSET_PARTITION_RANGE_END_TAG: str(last)}
    return dg.materialize(
        season_assets(names),
        resources={"duckdb": AnalyticsDuckDB(database=str(db_path))},
        tags=tags,
        instance=instance,
        raise_on_error=raise_on_error,
    )


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
