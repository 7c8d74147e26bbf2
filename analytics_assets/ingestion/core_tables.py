"""Building the core tables: fetch or read each season, normalise it, gate it, store it."""

import logging
from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from analytics_assets import partitions, storage
from analytics_assets.ingestion import normalize, sources
from analytics_assets.ingestion.errors import SourceError
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.ingestion.selection import SourcePlan
from analytics_assets.metadata import table_metadata
from analytics_assets.ops.logging import scrape_fields
from analytics_assets.quality import cross_source, gate, rules
from analytics_assets.storage import AnalyticsDuckDB
from analytics_assets.teams import UnknownTeamError


def _seasons(context: dg.AssetExecutionContext) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)


SCRAPE_LOG = logging.getLogger("analytics_assets.scrape")


def append_scrape_log(duckdb: AnalyticsDuckDB, rows: list[dict]) -> None:
    """Record HTTP attempts in nfl.scrape_log as they happen (failed runs included), and log each one."""
    if not rows:
        return
    for row in rows:
        outcome = "ok" if row["ok"] else f"failed: {row['error'] or row['status']}"
        SCRAPE_LOG.log(
            logging.INFO if row["ok"] else logging.WARNING,
            f"{row['source']} season {row['season']} attempt {row['attempt']} {row['url']} -> {row['status']} ({outcome})",
            extra=scrape_fields(
                season=row["season"], source=row["source"], url=row["url"], attempt=row["attempt"],
                status=row["status"], latency_ms=row["latency_ms"], bytes=row["bytes"], error=row["error"],
            ),
        )
    columns = ["fetched_at", "run_id", "season", "source", "url", "attempt", "status", "ok", "error", "latency_ms", "bytes", "sha256"]
    with duckdb.get_connection() as conn:
        conn.executemany(
            f"INSERT INTO {storage.SCHEMA}.scrape_log ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[row[c] for c in columns] for row in rows],
        )


def _source_summary(frames: dict[int, pd.DataFrame]) -> str:
    return "\n".join(
        f"{season}: {df['source'].iloc[0]} {df['source_ref'].iloc[0]} (sha256 {df['raw_sha256'].iloc[0][:12]})"
        for season, df in sorted(frames.items())
    )


def load_core_table(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    build: Callable[[int, SourcePlan], pd.DataFrame],
    http: HttpClientResource | None = None,
) -> Iterator:
    """Build every season of the run, gate all of them, then replace them in one transaction."""
    seasons = _seasons(context)
    plan = SourcePlan(http=http, run_id=context.run.run_id, tags=context.run.tags, log_sink=lambda rows: append_scrape_log(duckdb, rows))
    frames: dict[int, pd.DataFrame] = {}
    reports = []
    try:
        for season in seasons:
            try:
                frames[season] = build(season, plan)
            except (sources.NoSourceDataError, UnknownTeamError, SourceError) as exc:
                facts = exc.metadata() if isinstance(exc, SourceError) else {}
                raise dg.Failure(
                    description=f"{table} season {season}: {exc} Nothing was written; stored seasons are unchanged.",
                    metadata={k: dg.MetadataValue.text(v) for k, v in facts.items()},
                ) from exc
            report = rules.validate(table, frames[season], season, partitions.is_completed(season))
            if table == "standings":
                report.results += cross_source.results(plan.cross_checks.get(season))
            reports.append(report)
            context.log.info(f"{table} season {season}: {len(frames[season])} rows from {frames[season]['source'].iloc[0]} {frames[season]['source_ref'].iloc[0]}")
    finally:
        plan.close()
    with duckdb.get_connection() as conn:
        yield from gate.enforce(context, table, reports, conn)
        writes = storage.replace_seasons(conn, table, frames, run_id=context.run.run_id)
        metadata = table_metadata(conn, table, seasons, writes)
    for path in plan.after_write():
        context.log.info(f"{table}: manual import stored and moved to {path}")
    metadata["sources"] = dg.MetadataValue.text(_source_summary(frames))
    metadata["live_requests"] = dg.MetadataValue.int(plan.requests_made)
    checks = gate.check_results(table, reports)
    yield dg.MaterializeResult(metadata=metadata, check_results=checks + cross_source.not_applicable(table, checks, seasons))


def _table_rows(rows: sources.SourceRows, season: int, to_rows: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Map a source's teams through the registry; a live or manual source's unknown team names its page."""
    try:
        return to_rows()
    except UnknownTeamError as exc:
        if rows.provenance.source == "embedded":
            raise
        kept = f" The raw page or file is kept at {rows.raw_path}." if rows.raw_path else ""
        raise SourceError(
            f"{exc} The team came from {rows.provenance.source} source {rows.provenance.source_ref}.{kept}",
            season=season, url=rows.provenance.source_ref, archive_path=rows.raw_path,
        ) from exc


def build_standings(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    rows = (plan or SourcePlan()).rows("standings", season)
    return _table_rows(rows, season, lambda: normalize.standings_rows(rows.raw, season, rows.code_source, rows.provenance, rows.cross_check))


def build_dead_cap(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    rows = (plan or SourcePlan()).rows("dead_cap", season)
    return _table_rows(
        rows, season, lambda: normalize.dead_cap_rows(rows.raw, season, rows.code_source, rows.league_cap_musd, rows.provenance)
    )
