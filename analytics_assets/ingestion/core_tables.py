"""Building the core tables: fetch or read each season, normalise it, gate it, store it."""

import logging
from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from analytics_assets import partitions, storage
from analytics_assets.ingestion import known_seasons, manual_import, sources
from analytics_assets.ingestion.errors import (
    BLOCKED,
    LAYOUT_CHANGED,
    NO_DATA,
    NO_PAGE,
    UNAVAILABLE,
    UNKNOWN_TEAM,
    UNREACHABLE,
    SourceError,
    SourcesFailed,
    first_sentence,
)
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.selection import SourcePlan
from analytics_assets.ingestion.table_sources import CORE_TABLES
from analytics_assets.json_logs import scrape_fields
from analytics_assets.metadata import content_version, season_metadata, table_metadata
from analytics_assets.partitions import only_season
from analytics_assets.quality import gate, rules
from analytics_assets.quality.catalog import SeasonContext, ValidationReport
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB
from analytics_assets.teams import UnknownTeamError

SCRAPE_LOG = logging.getLogger("analytics_assets.scrape")


def append_scrape_log(duckdb: AnalyticsDuckDB, rows: list[dict]) -> None:
    """Record HTTP attempts in nfl.scrape_log as they happen (failed runs included), and log each one."""
    if not rows:
        return
    for row in rows:
        outcome = "ok" if row["ok"] else f"failed: {row['error'] or row['status']}"
        SCRAPE_LOG.log(
            logging.INFO if row["ok"] else logging.WARNING,
            f"{row['source']} season {row['season']} attempt {row['attempt']} {row['url']} -> {row['status']} "
            f"({outcome})",
            extra=scrape_fields(
                season=row["season"],
                source=row["source"],
                url=row["url"],
                attempt=row["attempt"],
                status=row["status"],
                latency_ms=row["latency_ms"],
                bytes=row["bytes"],
                error=row["error"],
            ),
        )
    columns = [
        "fetched_at",
        "run_id",
        "season",
        "source",
        "url",
        "attempt",
        "status",
        "ok",
        "error",
        "latency_ms",
        "bytes",
        "sha256",
    ]
    with duckdb.get_connection() as conn:
        conn.executemany(
            f"INSERT INTO {storage.SCHEMA}.scrape_log ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [[row[c] for c in columns] for row in rows],
        )


def _source_fields(df: pd.DataFrame) -> dict:
    return {
        "source": dg.MetadataValue.text(str(df["source"].iloc[0])),
        "source_ref": dg.MetadataValue.text(str(df["source_ref"].iloc[0])),
        "raw_sha256": dg.MetadataValue.text(str(df["raw_sha256"].iloc[0])),
    }


def season_failure(table: str, season: int, exc: Exception, landing_dir: str) -> dg.Failure:
    """A season its sources could not supply, for the person on call: the first line says what failed,
    the kind of failure and that nothing stored changed; then one line per source (repeated attempts
    folded); then the step that would work now. The full detail is in the metadata and the log."""
    if isinstance(exc, SourcesFailed):
        parts: dict[str, Exception] = dict(exc.failures)
    elif isinstance(exc, SourceError):
        parts = {str(exc.facts.get("source") or table): exc}
    else:  # no embedded facts, an unknown team in the embedded files
        parts = {"source": exc}
    kinds = {_kind(e) for e in parts.values()}
    kind = kinds.pop() if len(kinds) == 1 else "failed"
    what = f"{', '.join(parts)} {kind}" if kind != NO_DATA else "no source has it"
    first = f"{table} season {season} not refreshed: {what}; nothing stored changed."
    lines = [first] + [f"- {label}{_where(e)}: {_brief(e)}" for label, e in parts.items()]
    lines.append(f"Now: {_next_step(table, season, kind, parts, landing_dir)}")
    facts: dict[str, str] = {"detail": str(exc), "kind": kind}
    if isinstance(exc, SourceError):
        facts.update({k: v for k, v in exc.metadata().items() if k not in ("brief",)})
    return dg.Failure(description="\n".join(lines), metadata={k: dg.MetadataValue.text(v) for k, v in facts.items()})


def _kind(exc: Exception) -> str:
    if isinstance(exc, SourceError):
        return exc.kind
    if isinstance(exc, UnknownTeamError):
        return UNKNOWN_TEAM
    return NO_DATA


def _where(exc: Exception) -> str:
    url = exc.facts.get("url") if isinstance(exc, SourceError) else None
    return f" ({url})" if url else ""


def _brief(exc: Exception) -> str:
    return exc.brief if isinstance(exc, SourceError) else first_sentence(str(exc))


def _next_step(table: str, season: int, kind: str, parts: dict[str, Exception], landing_dir: str) -> str:
    by_hand = (
        f"load the season by hand: save it as CSV at {landing_dir}/{table}_{season}.csv "
        f"(columns {', '.join(manual_import.FORMATS[table].required)}); the manual_import_sensor loads it within 30 s"
    )
    sites = " or ".join(parts)
    if kind in (UNREACHABLE, UNAVAILABLE):
        return (
            f"{sites} cannot be reached from here; {by_hand}, or run season_pipeline for {season} again once the "
            f"site answers."
        )
    if kind == BLOCKED:
        return (
            f"{sites} refused us (bot protection): do not retry in a loop; {by_hand}, and retry in a few hours "
            f"with ANALYTICS_USER_AGENT naming you."
        )
    if kind == LAYOUT_CHANGED:
        return (
            "fix the parser named in the detail, then run the season again: the archived page is parsed again "
            "with no request."
        )
    if kind == NO_PAGE:
        return f"check the site's base URL (the season's page may not exist yet); {by_hand}."
    if kind == UNKNOWN_TEAM:
        return "add the team's code to analytics_assets/teams.py (an Era), then run the season again."
    if kind == NO_DATA:
        return (
            f"the package ships no facts for {season} and no page was read: set ANALYTICS_SOURCE=auto (or live) "
            f"to fetch it, or {by_hand}."
        )
    return f"read the detail below; {by_hand}."


def _snapshot(context: dg.AssetExecutionContext, table: str, seasons: list[int]) -> storage.Snapshot | None:
    """The seasons in progress of this run are also kept as a dated snapshot (known before anything is fetched)."""
    in_progress = frozenset(s for s in seasons if not partitions.is_completed(s))
    if not in_progress:
        return None
    try:
        return storage.Snapshot(partitions.snapshot_date(context.run.tags), in_progress)
    except ValueError as exc:
        raise dg.Failure(
            description=f"{table}: {exc} Nothing was fetched or written; stored seasons are unchanged."
        ) from exc


def _stored_rows(conn, table: str) -> pd.DataFrame:
    return conn.execute(f"SELECT * FROM {storage.SCHEMA}.{table}").df()


def season_context(
    table: str, season: int, stored: pd.DataFrame, frames: dict[int, pd.DataFrame], identity=None, cross_check=None
) -> SeasonContext:
    """What the rules see besides the season's rows: every other season the platform knows (this run's
    version where the run has one, else the stored one, else the embedded facts) and the stored copy
    of this season."""
    others = known_seasons.other_seasons(table, season, stored, frames)
    return SeasonContext(
        table,
        season,
        partitions.is_completed(season),
        identity=identity,
        others=others,
        stored_same=stored[stored["season"] == season],
        cross_check=cross_check,
    )


def fetch_what_the_run_did_not(
    context: dg.AssetExecutionContext,
    table: str,
    season: int,
    http: HttpClientResource,
    duckdb: AnalyticsDuckDB,
    config: AnalyticsSettings,
) -> None:
    """A run without the raw assets' fetch checks (a backfill launched from the UI, which runs only the
    assets it targets and their own checks; Materialize on the table's page) fetches the season's pages
    here, in the core step, and reports them as the fetch check would. The daily schedule, the
    season_pipeline job and `make run` fetch in the checks, under each site's pool."""
    from analytics_assets.ingestion import raw_pages
    from analytics_assets.ingestion.fetch_record import FetchRecord
    from analytics_assets.ingestion.source_catalog import sources_of

    record = FetchRecord(http.resolved_archive_dir(), context.run.run_id)
    for source in sources_of(table):
        if record.get(source, season) is None:
            raw_pages.fetch_season(context, source, season, http, duckdb, config)


def core_step(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    http: HttpClientResource,
    config: AnalyticsSettings,
    override: gate.GateOverride | None = None,
) -> Iterator:
    """A core asset's step: store the season (with the checks the run selected), or, when only
    checks were selected (Execute on a check in the UI), judge the season as stored."""
    selected = {key.name for key in context.selected_asset_check_keys}
    if dg.AssetKey(table) in context.selected_asset_keys:
        yield from gate.only_selected(load_core_table(context, duckdb, table, http, config, override), selected)
    else:
        yield from gate.only_selected(judge_stored(context, duckdb, table), selected)


def _as_built(stored: pd.DataFrame) -> pd.DataFrame:
    """Stored rows with the dtypes a build gives them (DuckDB hands back 32-bit integers, its own
    timestamp unit), so the table's model judges them as it judges a fresh build."""
    out = stored.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_integer_dtype(series):
            out[column] = series.astype("int64")
        elif isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        elif pd.api.types.is_string_dtype(series) and column != "cross_check":
            out[column] = series.astype("string[python]")
    return out


def judge_stored(
    context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, table: str
) -> Iterator[dg.AssetCheckResult]:
    """Every rule that can judge stored rows, on the season as stored (the page's own claims are not
    stored, so the identity rules on the page do not run). Nothing is written."""
    season = only_season(context.partition_keys, f"{table}'s checks")
    with duckdb.get_connection() as conn:
        stored = _stored_rows(conn, table)
    frame = stored[stored["season"] == season].reset_index(drop=True)
    if frame.empty:
        raise dg.Failure(
            description=f"{table} season {season} is not stored, so its rules have nothing to judge; nothing was "
            f"written. "
            f"Materialize {table} for {season}: its rules run with it."
        )
    frame = _as_built(frame)
    ctx = season_context(table, season, stored, {season: frame})
    report = rules.validate(table, frame, season, partitions.is_completed(season), ctx)
    context.log.info(f"{table} season {season}: judged as stored ({len(frame)} rows); nothing written.")
    yield from gate.check_results(table, [report])


def load_core_table(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    http: HttpClientResource,
    config: AnalyticsSettings,
    override: gate.GateOverride | None = None,
) -> Iterator:
    """Build the run's season, gate it, then replace it in one transaction.

    A rule reports a result only when it judged the season; one that could not (its source did not
    answer, or it needs context the season lacks) reports nothing, so Dagster shows it skipped (or
    "execution failed" in a failed run), never passed.
    """
    accept = gate.check_override(table, override)
    season = only_season(context.partition_keys, table)
    snapshot = _snapshot(context, table, [season])
    fetch_what_the_run_did_not(context, table, season, http, duckdb, config)
    plan = SourcePlan(
        http=http,
        run_id=context.run.run_id,
        tags=context.run.tags,
        log_sink=lambda rows: append_scrape_log(duckdb, rows),
        config=config,
    )
    refused: ValidationReport | None = None
    try:
        try:
            frame, rows = build_season(table, season, plan)
        except sources.SeasonRefused as exc:
            refused = exc.report  # not the season asked for: reported through the identity rules below
        except (sources.NoSourceDataError, UnknownTeamError, SourceError) as exc:
            failure = season_failure(table, season, exc, str(config.landing_path))
            context.log.error(f"{failure.description}\nDetail: {exc}")
            raise failure from exc
    finally:
        plan.close()
    with duckdb.get_connection() as conn:
        if refused is not None:
            report = refused
        else:
            context.log.info(
                f"{table} season {season}: {len(frame)} rows from {rows.provenance.source} {rows.provenance.source_ref}"
            )
            ctx = season_context(table, season, _stored_rows(conn, table), {season: frame}, rows.identity, rows.checked)
            report = rules.validate(table, frame, season, partitions.is_completed(season), ctx)
            report.source, report.source_ref, report.raw_path = (
                rows.provenance.source,
                rows.provenance.source_ref,
                rows.raw_path,
            )
            provenance = [c for c in ("source", "source_ref", "raw_sha256", "cross_check") if c in frame.columns]
            report.content_sha256 = storage.content_sha256(frame.drop(columns=provenance), ["season", "team"])
        gate.apply_acceptances(
            conn,
            table,
            [report],
            accept,
            override.accepted_by if override else "",
            override.reason if override else "",
            context.run.run_id,
        )
        try:
            yield from gate.enforce(context, table, [report], conn)
        except gate.QualityGateError as exc:
            plan.after_refusal({season}, exc.description or "")
            raise
        writes = storage.replace_seasons(conn, table, {season: frame}, run_id=context.run.run_id, snapshot=snapshot)
        metadata = table_metadata(conn, table, [season], writes)
        per_season = season_metadata(conn, table, [season], writes)
        version = content_version(conn, table, season)
    for path in plan.after_write():
        context.log.info(f"{table}: manual import stored and moved to {path}")
    metadata.update(per_season[season])
    metadata.update(_source_fields(frame))
    metadata["live_requests"] = dg.MetadataValue.int(plan.requests_made)
    if snapshot:
        metadata["snapshot"] = dg.MetadataValue.text(
            f"season {season} kept as of {snapshot.as_of} in {storage.SCHEMA}.{storage.SNAPSHOT_TABLES[table]}"
        )
    yield dg.MaterializeResult(
        metadata=metadata, check_results=gate.check_results(table, [report]), data_version=version
    )


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
            season=season,
            url=rows.provenance.source_ref,
            archive_path=rows.raw_path,
        ) from exc


def build_season(table: str, season: int, plan: SourcePlan | None = None) -> tuple[pd.DataFrame, sources.SourceRows]:
    """One season's rows of `table` from the source the plan picks, with what the source said about itself."""
    rows = (plan or SourcePlan()).rows(table, season)
    return _table_rows(rows, season, lambda: CORE_TABLES[table].to_rows(rows, season)), rows


def build_standings(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("standings", season, plan)[0]


def build_dead_cap(season: int, plan: SourcePlan | None = None) -> pd.DataFrame:
    return build_season("dead_cap", season, plan)[0]
