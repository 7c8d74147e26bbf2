"""Raw assets: each live source's page (or file) per season, fetched and archived by sha256.

A raw asset is declared here (lineage, description, partitions) and fetched by its `fetched` check,
which runs under the site's pool before the core table that reads it. The check reports the raw
asset materialized only for a season whose page it fetched, replayed from the archive, or found not
needed (embedded facts, a landing file); a season it could not get is reported as the failed check
alone, never as a materialization. Why a check and not the asset's own step: a core table may have
two sources (standings: nflverse and PFR), and when one site fails the other serves. Dagster skips
every step downstream of an asset step that fails or yields nothing (dagster-io/dagster#15761,
#9408: no optional dependencies in 1.13), so an honest raw *step* would take `standings` down with
the site. A blocking check orders the fetch before the core step without that coupling: the core
step waits for it, and a WARN result does not stop it.

The work is in `raw_pages` (HTTP, archive), imported when a step runs so that loading the code
location stays fast.
"""

from collections.abc import Iterator

import dagster as dg

from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES, LiveSource
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.partitions import season_partitions
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB

FETCHED = "fetched"


def _raw_spec(source: LiveSource) -> dg.AssetSpec:
    return dg.AssetSpec(
        source.raw_asset,
        group_name="raw",
        partitions_def=season_partitions,
        kinds={"http"},
        owners=OWNERS,
        tags=layer_tags("raw", source.name),
        description=f"{source.description} Fetched by its `{FETCHED}` check (Checks tab: Execute), or by "
        f"season_pipeline and the daily schedule.",
    )


def _fetch_check(source: LiveSource) -> dg.AssetChecksDefinition:
    spec = dg.AssetCheckSpec(
        FETCHED,
        asset=source.raw_asset,
        blocking=True,
        partitions_def=season_partitions,
        description=(
            f"[WARN] Fetches (or replays from the archive) {source.label}'s page for the season and passes when the "
            f"season "
            "has it, or needs none; fails, and reports nothing materialized, when it could not be had."
        ),
    )

    @dg.multi_asset_check(specs=[spec], name=f"fetch_{source.name}", pool=source.name)
    def _fetch(
        context: dg.AssetCheckExecutionContext,
        duckdb: AnalyticsDuckDB,
        http: HttpClientResource,
        settings: AnalyticsSettings,
    ) -> Iterator:
        from analytics_assets.ingestion import raw_pages

        yield from raw_pages.fetch_raw(context.op_execution_context, source.name, http, duckdb, settings)

    return _fetch


# One raw asset and its fetch per live source declared in ingestion/source_catalog.py. Built in
# functions: a module-level list of specs is what the defs folder loads as assets.
def raw_specs() -> list[dg.AssetSpec]:
    return [_raw_spec(source) for source in LIVE_SOURCES.values()]


raw_assets = raw_specs()
raw_fetch_checks = [_fetch_check(source) for source in LIVE_SOURCES.values()]
