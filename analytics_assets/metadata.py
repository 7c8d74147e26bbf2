"""Asset metadata shared by every table asset: row counts, column schema and a Markdown preview.

A range run materializes every season of the range with one step, so what describes one season
(its row count, its source, whether it changed, its rows) is attached to that season's
partition with `context.add_asset_metadata(..., partition_key=...)`; only what describes the
table as a whole is shared by every partition of the run.
"""

from __future__ import annotations

import hashlib

import dagster as dg
import duckdb

from analytics_assets.storage import SCHEMA, WriteResult


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    row = conn.execute(sql, params or []).fetchone()
    assert row is not None  # count(*) always returns one row
    return row[0]


def table_metadata(
    conn: duckdb.DuckDBPyConnection, table: str, seasons: list[int], writes: list[WriteResult] | None = None
) -> dict:
    """Metadata of the whole table, the same for every partition the run materializes."""
    total = _count(conn, f"SELECT count(*) FROM {SCHEMA}.{table}")
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    meta = {
        "dagster/table_name": dg.MetadataValue.text(f"{SCHEMA}.{table}"),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in columns]),
        "table_rows_all_seasons": dg.MetadataValue.int(int(total)),
        "run_seasons": dg.MetadataValue.text(", ".join(map(str, seasons))),
    }
    if writes is not None:
        meta["run_seasons_changed"] = dg.MetadataValue.text(
            ", ".join(str(w.season) for w in writes if w.changed) or "none (content identical)"
        )
    return meta


def season_metadata(
    conn: duckdb.DuckDBPyConnection, table: str, seasons: list[int], writes: list[WriteResult] | None = None
) -> dict[int, dict]:
    """Per season: its own row count, content hash, whether this run changed it, and a preview of its rows."""
    written = {w.season: w for w in writes or []}
    stored = {
        season: (sha, rows, run_id, written_at)
        for season, sha, rows, run_id, written_at in conn.execute(
            f"SELECT season, content_sha256, row_count, run_id, written_at FROM {SCHEMA}.partition_versions "
            "WHERE table_name = ? AND season IN (SELECT unnest(?::INTEGER[]))",
            [table, seasons],
        ).fetchall()
    }
    # Two queries for all the seasons: their row counts, and each one's first 10 rows in ORDER BY ALL order.
    in_seasons = "season IN (SELECT unnest(?::INTEGER[]))"
    counts = dict(
        conn.execute(
            f"SELECT season, count(*) FROM {SCHEMA}.{table} WHERE {in_seasons} GROUP BY season", [seasons]
        ).fetchall()
    )
    every_column = ", ".join(f'"{d[0]}"' for d in conn.execute(f"SELECT * FROM {SCHEMA}.{table} LIMIT 0").description)
    previews = conn.execute(
        f"SELECT * FROM {SCHEMA}.{table} WHERE {in_seasons} "
        f"QUALIFY row_number() OVER (PARTITION BY season ORDER BY {every_column}) <= 10 ORDER BY ALL",
        [seasons],
    ).df()
    out: dict[int, dict] = {}
    for season in seasons:
        rows = counts.get(season, 0)
        preview = previews[previews["season"] == season]
        meta = {
            "dagster/row_count": dg.MetadataValue.int(int(rows)),
            "season": dg.MetadataValue.text(str(season)),
            "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
        }
        if season in stored:
            sha, _, run_id, written_at = stored[season]
            meta["content_sha256"] = dg.MetadataValue.text(sha)
            meta["stored_by_run"] = dg.MetadataValue.text(f"{run_id} at {written_at:%Y-%m-%d %H:%M:%S %Z}".strip())
        if season in written:
            meta["changed"] = dg.MetadataValue.bool(written[season].changed)
        out[season] = meta
    return out


def attach_season_metadata(context: dg.AssetExecutionContext, per_season: dict[int, dict]) -> None:
    """Attach each season's metadata to that season's partition only."""
    for season, meta in per_season.items():
        context.add_asset_metadata(meta, partition_key=str(season))


def content_version(conn: duckdb.DuckDBPyConnection, table: str, season: int) -> dg.DataVersion:
    """The data version of the season's partition: the hash of its stored content, never of when or by
    whom it ran. Storing identical rows again gives the same version, so nothing downstream is rebuilt;
    a season whose rows change gives a new one."""
    row = conn.execute(
        f"SELECT content_sha256 FROM {SCHEMA}.partition_versions WHERE table_name = ? AND season = ?", [table, season]
    ).fetchone()
    return dg.DataVersion((row[0] if row else hashlib.sha256(b"").hexdigest())[:24])
