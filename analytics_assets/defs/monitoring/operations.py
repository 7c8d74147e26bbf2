"""What happened to the pipeline, as assets the report reads: the scrape log, the incidents and the
failed refreshes. Each is recorded outside Dagster's own asset steps (a fetch appends to
nfl.scrape_log, a refusal to nfl.incidents, the alert sensor sees a failed run), so each is an
asset whose materializations those report. The report depends on them: a failure reaches it within
one automation tick, not only a change of stored rows."""

import dagster as dg

from analytics_assets.ingestion.raw_pages import SCRAPE_LOG_ASSET
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.quality.gate import INCIDENTS_ASSET

RUN_FAILURES_ASSET = "failed_refreshes"
OPERATIONS_ASSETS = (SCRAPE_LOG_ASSET, INCIDENTS_ASSET, RUN_FAILURES_ASSET)


def _spec(key: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        group_name="monitoring",
        kinds={"duckdb"} if key != RUN_FAILURES_ASSET else {"dagster"},
        owners=OWNERS,
        tags=layer_tags("monitoring"),
        description=description,
    )


operations_assets = [
    _spec(
        SCRAPE_LOG_ASSET,
        "nfl.scrape_log: every HTTP attempt against a live source, failures included (the scraper SLO reads it). "
        "Materialized by each fetch that made a request.",
    ),
    _spec(
        INCIDENTS_ASSET,
        "nfl.incidents: every refusal and acceptance by the quality gates. "
        "Materialized by each step that recorded one.",
    ),
    _spec(
        RUN_FAILURES_ASSET,
        "Failed refreshes: runs of the season assets that failed, as the failed-run alert sensor saw them "
        "(the report marks each such season with when it was last good).",
    ),
]
