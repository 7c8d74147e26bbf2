"""The raw steps: fetch a live source's page of the run's season into the archive and record what happened.

A raw step never fails because a site failed: it records the failure (the scrape log, the
archive, the run's fetch record), reports its `fetched` check as failed (WARN), and the core step
decides, so one blocked standings source fails over to the other. The raw asset is reported
materialized for the season only when its page was fetched or replayed from the archive, or when
the season's rows do not come from this source ("not needed": embedded facts, a landing file, a
source left out of ANALYTICS_STANDINGS_SOURCES).
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from analytics_assets.ingestion.fetch_record import ARCHIVED, FAILED, FETCHED, NOT_NEEDED, FetchOutcome
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.selection import SourcePlan
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES
from analytics_assets.partitions import only_season
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB

CHECK = "fetched"  # the raw assets' check that fetches (declared in defs/raw/assets.py)
SCRAPE_LOG_ASSET = "scrape_log"  # nfl.scrape_log as an asset: the report reads it (defs/monitoring)


def outcome_for(plan: SourcePlan, source: str, season: int) -> FetchOutcome:
    """What the raw step does for one season: nothing (not needed), or fetch or replay its page."""
    reason = plan.not_needed(source, season)
    if reason:
        return FetchOutcome(source, season, NOT_NEEDED, message=reason)
    return plan.live.fetch_outcome(source, season, LIVE_SOURCES[source].url(plan.http, season))


def _materialization(source: str, outcome: FetchOutcome, requests: int) -> dg.AssetMaterialization:
    metadata: dict[str, dg.RawMetadataValue] = {
        "outcome": dg.MetadataValue.text(outcome.describe()),
        "requests": dg.MetadataValue.int(requests),
    }
    if outcome.page:
        page = outcome.page
        metadata.update(
            url=dg.MetadataValue.url(page["url"]),
            sha256=dg.MetadataValue.text(page["sha256"]),
            bytes=dg.MetadataValue.int(int(page["bytes"])),
            fetched_at=dg.MetadataValue.text(str(page["fetched_at"])),
            archived_at=dg.MetadataValue.path(page["path"]),
        )
    return dg.AssetMaterialization(
        asset_key=LIVE_SOURCES[source].raw_asset, partition=str(outcome.season), metadata=metadata
    )


def check_result(source: str, outcome: FetchOutcome, requests: int) -> dg.AssetCheckResult:
    """The `fetched` check for the season: what was done, and for a failure the first line of why."""
    label = LIVE_SOURCES[source].label
    if outcome.status == FAILED:
        kind, brief = outcome.facts.get("kind", "failed"), outcome.facts.get("brief", "")
        description = (
            f"{label} season {outcome.season}: no page, {kind} ({brief}); nothing stored changed.\n{outcome.message}"
        )
    elif outcome.status == NOT_NEEDED:
        description = f"{label} season {outcome.season}: not needed, no request ({outcome.message})."
    else:
        description = f"{label} season {outcome.season}: {outcome.describe()}."
    return dg.AssetCheckResult(
        asset_key=LIVE_SOURCES[source].raw_asset,
        check_name=CHECK,
        passed=outcome.status != FAILED,
        severity=dg.AssetCheckSeverity.WARN,
        description=description[:2000],
        metadata={
            "outcome": dg.MetadataValue.text(
                outcome.status if outcome.status != FAILED else f"failed: {outcome.facts.get('kind', 'failed')}"
            ),
            "requests": dg.MetadataValue.int(requests),
            **({"url": dg.MetadataValue.url(outcome.url)} if outcome.url else {}),
        },
    )


def fetch_season(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    source: str,
    season: int,
    http: HttpClientResource,
    duckdb: AnalyticsDuckDB,
    config: AnalyticsSettings,
) -> tuple[FetchOutcome, int]:
    """Fetch (or replay, or find not needed) one source's page of the season, record it in the run's
    fetch record and nfl.scrape_log, and report what happened: the raw asset for the season when it has
    its page (or needs none), the scrape log when requests were made. Never raises for a site that failed."""
    from analytics_assets.ingestion.core_tables import append_scrape_log

    attempts: list[dict] = []
    plan = SourcePlan(
        http=http, run_id=context.run.run_id, tags=context.run.tags, log_sink=attempts.extend, config=config
    )
    try:
        outcome = outcome_for(plan, source, season)
        record = plan.live.record
        assert record is not None  # a plan made inside a run records its fetches
        record.put(outcome)
    finally:
        plan.close()
        # Written once the fetch is over: the DuckDB file is opened briefly, never held across a request.
        append_scrape_log(duckdb, attempts)
    if attempts:
        context.log_event(
            dg.AssetMaterialization(
                asset_key=SCRAPE_LOG_ASSET,
                metadata={
                    "attempts_appended": dg.MetadataValue.int(len(attempts)),
                    "failed_attempts": dg.MetadataValue.int(sum(not a["ok"] for a in attempts)),
                    "source": dg.MetadataValue.text(source),
                    "season": dg.MetadataValue.text(str(season)),
                },
            )
        )
    (context.log.warning if outcome.status == FAILED else context.log.info)(
        f"{LIVE_SOURCES[source].label} season {season}: {outcome.describe()}"
    )
    if outcome.status in (FETCHED, ARCHIVED, NOT_NEEDED):
        # Before any check result: Dagster ties a season's check result to the season's latest materialization.
        context.log_event(_materialization(source, outcome, len(attempts)))
    return outcome, len(attempts)


def fetch_raw(
    context: dg.OpExecutionContext,
    source: str,
    http: HttpClientResource,
    duckdb: AnalyticsDuckDB,
    config: AnalyticsSettings,
) -> Iterator[dg.AssetCheckResult]:
    """A raw asset's `fetched` check: fetch the season's page, then say how it went."""
    season = only_season(context.partition_keys, f"{LIVE_SOURCES[source].raw_asset}'s fetch")
    outcome, requests = fetch_season(context, source, season, http, duckdb, config)
    yield check_result(source, outcome, requests)
