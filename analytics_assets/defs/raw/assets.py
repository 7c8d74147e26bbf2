"""Raw assets: each live source's page (or file) per season, fetched and archived by sha256.

The work is in `raw_pages` (HTTP, archive), imported when a step runs so that loading the code
location stays fast.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from analytics_assets import partitions
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES, LiveSource
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.partitions import season_partitions
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB

# Raw steps fetch under their site's pool (one fetcher per site across all runs; the HTTP client
# also spaces requests per host), never under "duckdb": a slow site never holds the DuckDB writer,
# and different sites are fetched at the same time where the executor runs steps in parallel.
_RAW: dict[str, Any] = dict(
    group_name="raw", partitions_def=season_partitions, backfill_policy=partitions.SEASON_BACKFILL_POLICY, kinds={"http"}, owners=OWNERS,
)


def _raw_asset(source: LiveSource) -> dg.AssetsDefinition:
    fetched = dg.AssetCheckSpec(
        "fetched", asset=source.raw_asset, blocking=False,
        description="[WARN] Every season of the run that needs this source got its page, fetched or replayed from the archive.",
    )

    @dg.asset(
        name=source.raw_asset, pool=source.name, check_specs=[fetched], description=source.description,
        tags=layer_tags("raw", source.name), **_RAW,
    )
    def _fetch(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, http: HttpClientResource, settings: AnalyticsSettings) -> Iterator:
        from analytics_assets.ingestion import raw_pages

        yield from raw_pages.fetch_raw(context, source.name, http, duckdb, settings)

    return _fetch


# One raw asset per live source declared in ingestion/source_catalog.py.
raw_assets = [_raw_asset(source) for source in LIVE_SOURCES.values()]
