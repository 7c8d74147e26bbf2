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
from analytics_assets.quality import gate, rules
from analytics_assets.quality.catalog import SeasonContext, ValidationReport
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


def _snapshot(context: dg.AssetExecutionContext, table: str, seasons: list[int]) -> storage.Snapshot | None:
    """The seasons in progress of this run are also kept as a dated snapshot (known before anything is fetched)."""
    in_progress = frozenset(s for s in seasons if not partitions.is_completed(s))
    if not in_progress:
        return None
    try:
        return storage.Snapshot(partitions.snapshot_date(context.run.tags), in_progress)
    except ValueError as exc:
        raise dg.Failure(description=f"{table}: {exc} Nothing was fetched or written; stored seasons are unchanged.") from exc


def _stored_rows(conn, table: str) -> pd.DataFrame:
    return conn.execute(f"SELECT * FROM {storage.SCHEMA}.{table}").df()


def season_context(table: str, season: int, stored: pd.DataFrame, frames: dict[int, pd.DataFrame], identity=None, cross_check=None) -> SeasonContext:
    """What the rules see besides the season's rows: every other season (this run's version where the run
    has one, else the stored one) and the stored copy of this season."""
    run_others = [df for s, df in frames.items() if s != season]
    kept = stored[~stored["season"].isin(list(frames) + [season])]
    others = pd.concat([kept, *run_others], ignore_index=True) if run_others else kept
    return SeasonContext(
        table, season, partitions.is_completed(season), identity=identity,
        others=others, stored_same=stored[stored["season"] == season], cross_check=cross_check,
    )


def load_core_table(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    http: HttpClientResource | None = None,
    override: gate.GateOverride | None = None,
) -> Iterator:
    """Build every season of the run, gate all of them, then replace them in one transaction."""
    accept = gate.check_override(table, override)
    seasons = _seasons(context)
    snapshot = _snapshot(context, table, seasons)
    plan = SourcePlan(http=http, run_id=context.run.run_id, tags=context.run.tags, log_sink=lambda rows: append_scrape_log(duckdb, rows))
    built: dict[int, tuple[pd.DataFrame, sources.SourceRows]] = {}
    refused: list[ValidationReport] = []
    try:
        for season in seasons:
            try:
                built[season] = build_season(table, season, plan)
            except sources.SeasonRefused as exc:
                refused.append(exc.report)  # not the season asked for: reported with the other rules below
                continue
            except (sources.NoSourceDataError, UnknownTeamError, SourceError) as exc:
                facts = exc.metadata() if isinstance(exc, SourceError) else {}
                raise dg.Failure(
                    description=f"{table} season {season}: {exc} Nothing was written; stored seasons are unchanged.",
                    metadata={k: dg.MetadataValue.text(v) for k, v in facts.items()},
                ) from exc
            frame, rows = built[season]
            context.log.info(f"{table} season {season}: {len(frame)} rows from {rows.provenance.source} {rows.provenance.source_ref}")
    finally:
        plan.close()
    frames = {season: frame for season, (frame, _) in built.items()}
    with duckdb.get_connection() as conn:
        stored = _stored_rows(conn, table)
        reports = list(refused)
        for season, (frame, rows) in built.items():
            ctx = season_context(table, season, stored, frames, rows.identity, plan.cross_checks.get(season) if table == "standings" else None)
            report = rules.validate(table, frame, season, partitions.is_completed(season), ctx)
            report.source, report.source_ref, report.raw_path = rows.provenance.source, rows.provenance.source_ref, rows.raw_path
            provenance = [c for c in ("source", "source_ref", "raw_sha256", "cross_check") if c in frame.columns]
            report.content_sha256 = storage.content_sha256(frame.drop(columns=provenance), ["season", "team"])
            reports.append(report)
        reports.sort(key=lambda r: r.season)
        gate.apply_acceptances(conn, table, reports, accept, override.accepted_by if override else "", override.reason if override else "", context.run.run_id)
        try:
            yield from gate.enforce(context, table, reports, conn)
        except gate.QualityGateError as exc:
            plan.after_refusal({rep.season for rep in reports if not rep.passed}, exc.description or "")
            raise
        writes = storage.replace_seasons(conn, table, frames, run_id=context.run.run_id, snapshot=snapshot)
        metadata = table_metadata(conn, table, seasons, writes)
    for path in plan.after_write():
        context.log.info(f"{table}: manual import stored and moved to {path}")
    metadata["sources"] = dg.MetadataValue.text(_source_summary(frames))
    metadata["live_requests"] = dg.MetadataValue.int(plan.requests_made)
    if snapshot:
        metadata["snapshot"] = dg.MetadataValue.text(
            f"seasons {', '.join(map(str, sorted(snapshot.seasons)))} kept as of {snapshot.as_of} in {storage.SCHEMA}.{storage.SNAPSHOT_TABLES[table]}"
        )
    yield dg.MaterializeResult(metadata=metadata, check_results=gate.check_results(table, reports))


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


def build_season(table: str, season: int, plan: SourcePlan | None = None) -> tuple[pd.DataFrame, sources.SourceRows]:
    """One season's rows of `table` from the source the plan picks, with what the source said about itself."""
    rows = (plan or SourcePlan()).rows(table, season)
    if table == "standings":
        frame = _table_rows(rows, season, lambda: normalize.standings_rows(rows.raw, season, rows.code_source, rows.provenance, rows.cross_check))
    else:
        frame = _table_rows(
            rows, season, lambda: normalize.dead_cap_rows(rows.raw, season, rows.code_source, rows.league_cap_musd, rows.provenance)
        )
    return frame, rows


def build_standings(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("standings", season, plan)[0]


def build_dead_cap(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("dead_cap", season, plan)[0]
