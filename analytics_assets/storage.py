"""DuckDB storage: table definitions and the one way seasons are written.

Every write replaces whole seasons inside one transaction, so a reader (or a crash) sees either
the old season or the new one, never a mix. An empty frame is refused: it would erase good data.
A season whose content is unchanged is left untouched, so re-runs are exact no-ops.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from dagster_duckdb import DuckDBResource

from analytics_assets import settings
from analytics_assets.settings import setting

# Every table's DDL is declared in tables.py; storage creates the tables and adds new columns.
from analytics_assets.tables import DDL, SNAPSHOT_TABLES, declared_columns

if TYPE_CHECKING:  # pandas is imported by the steps that write, not when the code location loads
    import pandas as pd

SCHEMA = "nfl"

# Every step that opens the DuckDB file runs under the "duckdb" pool (one writer across runs) and
# carries this op tag, so a job that runs steps in parallel (season_backfill) can also hold them to
# one at a time within the run with the executor's tag_concurrency_limits.
DUCKDB_WRITER_TAGS = {"analytics/duckdb": "writer"}


class EmptyPartitionError(ValueError):
    pass


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables; a table that gained columns in a later version gets them added
    (nullable: rows stored before have none until their season is re-materialized)."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for name, ddl in DDL.items():
        conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{name} ({ddl})")
    existing: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?", [SCHEMA]
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for name, ddl in DDL.items():
        for column, kind in declared_columns(ddl):
            if column not in existing.get(name, set()):
                conn.execute(f"ALTER TABLE {SCHEMA}.{name} ADD COLUMN {column} {kind}")


class AnalyticsDuckDB(DuckDBResource):
    """Dagster's DuckDB resource, creating the file's folder and our tables on first use."""

    database: str = setting(
        str(settings.DATA_DIR / "analytics.duckdb"), "ANALYTICS_DUCKDB_PATH", "The DuckDB file every table lives in."
    )

    @property
    def path(self) -> str:
        return self.database if self.database == ":memory:" else str(settings.as_path(self.database))

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = _connect_waiting_for_lock(path, {"custom_user_agent": "dagster", **self.connection_config})
        # Closed on every exit: a failed step must not leave the file held open.
        try:
            ensure_tables(conn)
            yield conn
        finally:
            conn.close()


def _connect_waiting_for_lock(path: str, config: dict, timeout_s: float = 120.0) -> duckdb.DuckDBPyConnection:
    """DuckDB admits one writing process per file: wait for another run to let go, then say so."""
    deadline, delay = time.monotonic() + timeout_s, 0.1
    while True:
        try:
            return duckdb.connect(path, read_only=False, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() + delay > deadline:
                raise duckdb.IOException(
                    f"Could not open {path} for writing within {timeout_s:.0f} s: {exc}. Another process holds "
                    "the DuckDB file (a run, a notebook or the DuckDB CLI); close it or wait for it to finish."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def content_sha256(df: pd.DataFrame, key: list[str]) -> str:
    """Hash of a season's content, ignoring load timestamps, stable across runs."""
    body = df.drop(columns=[c for c in ("loaded_at",) if c in df]).sort_values(key).reset_index(drop=True)
    return hashlib.sha256(body.to_csv(index=False, float_format="%.10g").encode()).hexdigest()


@dataclass
class WriteResult:
    season: int
    rows: int
    changed: bool
    content_sha256: str


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all (a crash leaves the previous state)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Append `rows` to `table` (after a first column set to now()) in one statement: DuckDB's
    executemany runs one statement per row, 0.5 ms each (0.15 s for a 15-season run's rule results)."""
    if not rows:
        return
    row = "(now(), " + ", ".join("?" * len(rows[0])) + ")"
    conn.execute(
        f"INSERT INTO {SCHEMA}.{table} VALUES {', '.join([row] * len(rows))}", [value for r in rows for value in r]
    )


def insert_frame(conn: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, extra_columns: str = "") -> None:
    """Append a frame's rows to `table` by column name; `extra_columns` adds SQL expressions (", now() AS x")."""
    conn.register("incoming", df)
    try:
        conn.execute(f"INSERT INTO {SCHEMA}.{table} BY NAME SELECT *{extra_columns} FROM incoming")
    finally:
        conn.unregister("incoming")


@dataclass(frozen=True)
class Snapshot:
    """Also keep the rows of `seasons` in the table's snapshot table under `as_of` (one copy per day)."""

    as_of: date
    seasons: frozenset[int]


def replace_seasons(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frames: Mapping[int, pd.DataFrame],
    run_id: str | None = None,
    key: tuple[str, ...] = ("season", "team"),
    snapshot: Snapshot | None = None,
) -> list[WriteResult]:
    """Replace each season of `table` with its frame, all seasons in one transaction.

    With `snapshot`, the same transaction replaces that day's copy of the snapshot seasons in
    SNAPSHOT_TABLES[table] with the rows now stored, whether or not the season's content changed:
    a day with no change is still a day the standings stood so.
    """
    for season, df in frames.items():
        if df.empty:
            raise EmptyPartitionError(
                f"Refusing to write an empty season {season} to {SCHEMA}.{table}: the stored rows are kept."
            )
        if set(df["season"].unique()) != {season}:
            raise ValueError(
                f"Rows for {SCHEMA}.{table} season {season} carry other seasons: {sorted(df['season'].unique())}"
            )
    results: list[WriteResult] = []
    with transaction(conn):
        for season, df in sorted(frames.items()):
            digest = content_sha256(df, list(key))
            stored = conn.execute(
                f"SELECT content_sha256 FROM {SCHEMA}.partition_versions WHERE table_name = ? AND season = ?",
                [table, season],
            ).fetchone()
            if stored and stored[0] == digest:
                results.append(WriteResult(season, len(df), False, digest))
                continue
            conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE season = ?", [season])
            insert_frame(conn, table, df)
            conn.execute(
                f"INSERT OR REPLACE INTO {SCHEMA}.partition_versions VALUES (?, ?, ?, ?, ?, now())",
                [table, season, digest, len(df), run_id],
            )
            results.append(WriteResult(season, len(df), True, digest))
        if snapshot:
            _keep_snapshot(conn, table, snapshot, sorted(snapshot.seasons & set(frames)))
    return results


def _keep_snapshot(conn: duckdb.DuckDBPyConnection, table: str, snapshot: Snapshot, seasons: list[int]) -> None:
    """Copy the seasons' stored rows (as they stand after the write) into the day's snapshot."""
    snapshots = SNAPSHOT_TABLES[table]
    for season in seasons:
        conn.execute(f"DELETE FROM {SCHEMA}.{snapshots} WHERE as_of = ? AND season = ?", [snapshot.as_of, season])
        conn.execute(
            f"INSERT INTO {SCHEMA}.{snapshots} BY NAME SELECT ?::DATE AS as_of, * FROM {SCHEMA}.{table} WHERE "
            f"season = ?",
            [snapshot.as_of, season],
        )
