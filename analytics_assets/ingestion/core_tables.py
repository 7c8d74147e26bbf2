"""Building the core tables: fetch or read each season, normalise it, gate it, store it."""

import logging
from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from analytics_assets import partitions, storage
from analytics_assets.ingestion import known_seasons, sources
from analytics_assets.ingestion.errors import BotProtectionError, FetchError, SourceError
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.selection import SourcePlan
from analytics_assets.ingestion.table_sources import CORE_TABLES
from analytics_assets.json_logs import scrape_fields
from analytics_assets.metadata import attach_season_metadata, content_version, season_metadata, table_metadata
from analytics_assets.quality import gate, rules
from analytics_assets.quality.catalog import SeasonContext, ValidationReport
from analytics_assets.run_tags import BACKFILL_TAG
from analytics_assets.settings import AnalyticsSettings
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


def _source_fields(df: pd.DataFrame) -> dict:
    return {
        "source": dg.MetadataValue.text(str(df["source"].iloc[0])),
        "source_ref": dg.MetadataValue.text(str(df["source_ref"].iloc[0])),
        "raw_sha256": dg.MetadataValue.text(str(df["raw_sha256"].iloc[0])),
    }


# A season whose source cannot be reached (offline, blocked, no embedded facts) but which is
# already stored keeps its stored rows when it is one season of a range or of a backfill: "All"
# or "Missing" offline then serves it as stored instead of failing (a backfill runs the season in
# progress alone, partitions.SEASON_BACKFILL_POLICY). A run of that season alone outside a backfill
# (the daily refresh, a click on that season) still fails, so a blocked source alerts.
_UNAVAILABLE = (FetchError, sources.NoSourceDataError)


def _serves_stored(context: dg.AssetExecutionContext, seasons: list[int]) -> bool:
    return len(seasons) > 1 or BACKFILL_TAG in context.run.tags


def _stored_seasons(duckdb: AnalyticsDuckDB, table: str, seasons: list[int]) -> set[int]:
    with duckdb.get_connection() as conn:
        rows = conn.execute(
            f"SELECT season FROM {storage.SCHEMA}.partition_versions WHERE table_name = ? AND season IN (SELECT unnest(?::INTEGER[]))",
            [table, seasons],
        ).fetchall()
    return {r[0] for r in rows}


def _season_failure(table: str, failed: dict[int, Exception], ready: list[int]) -> dg.Failure:
    others = sorted(ready)
    kept = " Nothing was written; stored seasons are unchanged."
    lines = [f"{table} season {season}: {exc}" for season, exc in sorted(failed.items())]
    facts = {}
    for season, exc in failed.items():
        if isinstance(exc, SourceError):
            facts.update({(k if len(failed) == 1 else f"{season} {k}"): v for k, v in exc.metadata().items()})
    advice = (
        f" The other seasons of the run ({partitions.season_span(others)}) were ready: run them without "
        f"{', '.join(map(str, sorted(failed)))}, or materialize that season once its source answers."
        if others
        else ""
    )
    return dg.Failure(
        description="\n".join(lines) + kept + advice,
        metadata={k: dg.MetadataValue.text(v) for k, v in facts.items()},
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
    """What the rules see besides the season's rows: every other season the platform knows (this run's
    version where the run has one, else the stored one, else the embedded facts) and the stored copy
    of this season."""
    others = known_seasons.other_seasons(table, season, stored, frames)
    return SeasonContext(
        table, season, partitions.is_completed(season), identity=identity,
        others=others, stored_same=stored[stored["season"] == season], cross_check=cross_check,
    )


def load_core_table(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    http: HttpClientResource,
    config: AnalyticsSettings,
    override: gate.GateOverride | None = None,
) -> Iterator:
    """Build every season of the run, gate all of them, then replace them in one transaction."""
    accept = gate.check_override(table, override)
    seasons = _seasons(context)
    snapshot = _snapshot(context, table, seasons)
    plan = SourcePlan(
        http=http, run_id=context.run.run_id, tags=context.run.tags, log_sink=lambda rows: append_scrape_log(duckdb, rows), config=config
    )
    built: dict[int, tuple[pd.DataFrame, sources.SourceRows]] = {}
    refused: list[ValidationReport] = []
    failed: dict[int, Exception] = {}
    try:
        for season in seasons:
            try:
                built[season] = build_season(table, season, plan)
            except sources.SeasonRefused as exc:
                refused.append(exc.report)  # not the season asked for: reported with the other rules below
                continue
            except (sources.NoSourceDataError, UnknownTeamError, SourceError) as exc:
                failed[season] = exc
                if isinstance(exc, BotProtectionError):
                    break  # the site refused us: no further request to it in this run
                continue
            frame, rows = built[season]
            context.log.info(f"{table} season {season}: {len(frame)} rows from {rows.provenance.source} {rows.provenance.source_ref}")
    finally:
        plan.close()
    kept: dict[int, Exception] = {}
    if failed and _serves_stored(context, seasons) and all(isinstance(e, _UNAVAILABLE) for e in failed.values()):
        if _stored_seasons(duckdb, table, list(failed)) == set(failed):
            kept, failed = failed, {}
    for season, error in kept.items():
        context.log.warning(f"{table} season {season}: source unavailable, the stored rows are kept and reported unchanged. {error}")
    frames = {season: frame for season, (frame, _) in built.items()}
    if snapshot is not None and kept:
        # A season whose stored rows are kept unchanged gets no new snapshot either.
        remaining = frozenset(snapshot.seasons - set(kept))
        snapshot = storage.Snapshot(snapshot.as_of, remaining) if remaining else None
    with duckdb.get_connection() as conn:
        stored = _stored_rows(conn, table)
        reports = list(refused)
        for season, (frame, rows) in built.items():
            ctx = season_context(table, season, stored, frames, rows.identity, rows.checked)
            report = rules.validate(table, frame, season, partitions.is_completed(season), ctx)
            report.source, report.source_ref, report.raw_path = rows.provenance.source, rows.provenance.source_ref, rows.raw_path
            provenance = [c for c in ("source", "source_ref", "raw_sha256", "cross_check") if c in frame.columns]
            report.content_sha256 = storage.content_sha256(frame.drop(columns=provenance), ["season", "team"])
            reports.append(report)
        reports.sort(key=lambda r: r.season)
        if failed:
            # The rules that ran (on the other seasons) report their results, and a rule that judged
            # no season says so; the season that could not be read fails on its own message.
            yield from gate.check_results(table, reports, unread=sorted(failed), stored=gate.stored_outcomes(conn, table))
            raise _season_failure(table, failed, list(frames))
        gate.apply_acceptances(conn, table, reports, accept, override.accepted_by if override else "", override.reason if override else "", context.run.run_id)
        try:
            yield from gate.enforce(context, table, reports, conn)
        except gate.QualityGateError as exc:
            plan.after_refusal({rep.season for rep in reports if not rep.passed}, exc.description or "")
            raise
        writes = storage.replace_seasons(conn, table, frames, run_id=context.run.run_id, snapshot=snapshot)
        stored_outcomes = gate.stored_outcomes(conn, table) if kept else None
        metadata = table_metadata(conn, table, seasons, writes)
        per_season = season_metadata(conn, table, seasons, writes)
        version = content_version(conn, table)
    for path in plan.after_write():
        context.log.info(f"{table}: manual import stored and moved to {path}")
    for season, df in frames.items():
        per_season[season].update(_source_fields(df))
    for season, error in kept.items():
        per_season[season]["source"] = dg.MetadataValue.text("stored rows kept: source unavailable in this run")
        per_season[season]["source_error"] = dg.MetadataValue.text(str(error))
    attach_season_metadata(context, per_season)
    metadata["live_requests"] = dg.MetadataValue.int(plan.requests_made)
    if snapshot:
        metadata["snapshot"] = dg.MetadataValue.text(
            f"seasons {', '.join(map(str, sorted(snapshot.seasons)))} kept as of {snapshot.as_of} in {storage.SCHEMA}.{storage.SNAPSHOT_TABLES[table]}"
        )
    checks = gate.check_results(table, reports, unread=sorted(kept), stored=stored_outcomes, kept=True)
    yield dg.MaterializeResult(metadata=metadata, check_results=checks, data_version=version)


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
    return _table_rows(rows, season, lambda: CORE_TABLES[table].to_rows(rows, season)), rows


def build_standings(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("standings", season, plan)[0]


def build_dead_cap(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("dead_cap", season, plan)[0]
