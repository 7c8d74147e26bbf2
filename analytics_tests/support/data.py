"""Where the tests find things: the repository, the shared real data beside it, and a DuckDB file's tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder sits beside the repo in CI")
    return path


def read_table(db_path: Path, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as conn:
        return conn.execute(sql, params or []).df()


def table_hash(db_path: Path, table: str) -> tuple[int, str]:
    """Row count and a content hash of a whole table, independent of row order."""
    with duckdb.connect(str(db_path), read_only=True) as conn:
        count, digest = conn.execute(
            f"SELECT count(*), coalesce(sum(hash(t::VARCHAR))::VARCHAR, '0') FROM nfl.{table} t"
        ).fetchone()
    return int(count), digest
