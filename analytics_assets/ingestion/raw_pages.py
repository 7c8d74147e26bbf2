"""The raw steps: fetch each live source's pages of a run into the archive and record what happened.

A raw step never fails because a site failed: it records the failure (the scrape log, the
archive, the run's fetch record) and the core step decides, so one blocked standings source fails
over to the other. A season whose rows do not come from the live sites (embedded facts, a manual
import, a source not configured) is recorded as "not needed: ..." with no request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import dagster as dg

from analytics_assets.ingestion.fetch_record import FAILED, NOT_NEEDED, FetchOutcome
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.selection import SourcePlan
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB

CHECK = "fetched"  # the raw assets' WARN check (declared in assets.py)


def _outcomes(plan: SourcePlan, source: str, seasons: list[int]) -> list[FetchOutcome]:
    outcomes, needed = [], []
    for season in seasons:
        reason = plan.not_needed(source, season)
        if reason:
            outcomes.append(FetchOutcome(source, season, NOT_NEEDED, message=reason))
        else:
            needed.append(season)
    url = LIVE_SOURCES[source].url
    if LIVE_SOURCES[source].one_file and needed:
        # One file holds every season: one fetch (or replay) serves the run. Asked for the newest
        # season, so it is fetched when that season is in progress or its archived copy predates
        # its completion, and replayed otherwise.
        newest = max(needed)
        one = plan.live.fetch_outcome(source, newest, url(plan.http, newest))
        outcomes += [dataclasses.replace(one, season=s) for s in needed]
    else:
        outcomes += [plan.live.fetch_outcome(source, s, url(plan.http, s)) for s in needed]
    return sorted(outcomes, key=lambda o: o.season)


def fetch_raw(
    context: dg.AssetExecutionContext, source: str, http: HttpClientResource, duckdb: AnalyticsDuckDB, config: AnalyticsSettings
) -> Iterator:
    from analytics_assets.ingestion.core_tables import append_scrape_log

    seasons = sorted(int(k) for k in context.partition_keys)
    attempts: list[dict] = []
    plan = SourcePlan(http=http, run_id=context.run.run_id, tags=context.run.tags, log_sink=attempts.extend, config=config)
    try:
        outcomes = _outcomes(plan, source, seasons)
        record = plan.live.record
        assert record is not None  # a plan made inside a run records its fetches
        for outcome in outcomes:
            record.put(outcome)
    finally:
        plan.close()
        # Written once the fetches are over: the DuckDB file is opened briefly, never held across a request.
        append_scrape_log(duckdb, attempts)
    for o in outcomes:
        (context.log.warning if o.status == FAILED else context.log.info)(f"{LIVE_SOURCES[source].label} season {o.season}: {o.describe()}")
    failed = [o for o in outcomes if o.status == FAILED]
    table = "\n".join(["| season | outcome |", "|---|---|"] + [f"| {o.season} | {o.describe().replace('|', '/')} |" for o in outcomes])
    metadata = {
        "outcomes": dg.MetadataValue.md(table),
        "requests": dg.MetadataValue.int(plan.requests_made),
        "fetched": dg.MetadataValue.int(sum(o.status == "fetched" for o in outcomes)),
        "replayed_from_archive": dg.MetadataValue.int(sum(o.status == "archived" for o in outcomes)),
        "not_needed": dg.MetadataValue.int(sum(o.status == NOT_NEEDED for o in outcomes)),
        "failed": dg.MetadataValue.int(len(failed)),
    }
    pages = {o.page["sha256"]: o.page for o in outcomes if o.page}
    if len(pages) == 1:
        (page,) = pages.values()
        metadata.update(url=dg.MetadataValue.url(page["url"]), sha256=dg.MetadataValue.text(page["sha256"]),
                        archived_at=dg.MetadataValue.path(page["path"]))
    check = dg.AssetCheckResult(
        check_name=CHECK, passed=not failed, severity=dg.AssetCheckSeverity.WARN,
        description=None if not failed else "; ".join(f"season {o.season}: {o.message}" for o in failed)[:2000],
        metadata={"failed_seasons": dg.MetadataValue.text(", ".join(str(o.season) for o in failed) or "none")},
    )
    yield dg.MaterializeResult(metadata=metadata, check_results=[check])
