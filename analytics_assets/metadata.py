"""Asset metadata shared by every table asset: row counts, column schema and a Markdown preview."""

from __future__ import annotations

import dagster as dg
import duckdb

from analytics_assets.storage import SCHEMA, WriteResult


def table_metadata(conn: duckdb.DuckDBPyConnection, table: str, seasons: list[int], writes: list[WriteResult] | None = None) -> dict:
    where = "WHERE season IN (SELECT unnest(?::INTEGER[]))"
    rows = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{table} {where}", [seasons]).fetchone()[0]
    total = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{table}").fetchone()[0]
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    preview = conn.execute(f"SELECT * FROM {SCHEMA}.{table} {where} ORDER BY ALL LIMIT 10", [seasons]).df()
    meta = {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/table_name": dg.MetadataValue.text(f"{SCHEMA}.{table}"),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in columns]),
        "table_rows_all_seasons": dg.MetadataValue.int(int(total)),
        "seasons": dg.MetadataValue.text(", ".join(map(str, seasons))),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    }
    if writes is not None:
        meta["seasons_changed"] = dg.MetadataValue.text(", ".join(str(w.season) for w in writes if w.changed) or "none (content identical)")
    return meta

