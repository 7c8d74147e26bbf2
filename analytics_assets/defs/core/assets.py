"""Core assets: one row per team per season of standings and of dead money, from the raw pages.

Each is a one-asset `multi_asset` only so that its checks may stay silent: Dagster requires every
declared check of a plain `@asset` to report in every run, and a rule that did not judge the season
(its source did not answer, or it needs context the season lacks) must report nothing rather than
a pass. With `can_subset`, a check can also be executed on its own from the UI: it judges the
season as stored, and nothing is written.

The work is in `core_tables` (pandas, Pandera, the parsers), imported when a step runs so that
loading the code location stays fast.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb as duckdb_lib

from analytics_assets import partitions, storage
from analytics_assets.defs.monitoring.slo import SCRAPER_SLO, scraper_slo_result
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.source_catalog import raw_assets_of
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.partitions import season_partitions
from analytics_assets.quality import gate
from analytics_assets.quality.catalog import rules_version
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import AnalyticsDuckDB
from analytics_assets.tables import column_schema

# Core steps read the archive, parse, gate and write: one DuckDB writer at a time across runs.
_CORE: dict[str, Any] = dict(
    partitions_def=season_partitions,
    backfill_policy=partitions.SEASON_BACKFILL_POLICY,
    pool="duckdb",
    op_tags=storage.DUCKDB_WRITER_TAGS,
    can_subset=True,
)


def core_spec(table: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        table,
        group_name="core",
        deps=raw_assets_of(table),
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        tags=layer_tags("core"),
        metadata={"dagster/column_schema": column_schema(table)},
        code_version=rules_version(table),
        description=description,
    )


@dg.multi_asset(
    name="standings",
    specs=[
        core_spec(
            "standings",
            "Regular-season standings, one row per team per season, validated before it is stored (nfl.standings).",
        )
    ],
    check_specs=[*gate.check_specs("standings"), SCRAPER_SLO],
    **_CORE,
)
def standings(
    context: dg.AssetExecutionContext,
    config: gate.StandingsGateOverride,
    duckdb: AnalyticsDuckDB,
    http: HttpClientResource,
    settings: AnalyticsSettings,
) -> Iterator:
    from analytics_assets.ingestion import core_tables

    slo_selected = SCRAPER_SLO.key in context.selected_asset_check_keys
    try:
        yield from core_tables.core_step(context, duckdb, "standings", http, settings, config)
    except Exception as exc:
        # A failed scrape is what the SLO counts: it is reported before the step fails (unless the
        # DuckDB file itself could not be opened: the check would only wait for it again).
        slo = (
            None
            if isinstance(exc, duckdb_lib.IOException) or not slo_selected
            else _scraper_slo_or_none(context, duckdb)
        )
        if slo is not None:
            yield slo
        raise
    if slo_selected:
        yield scraper_slo_result(duckdb)


def _scraper_slo_or_none(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB) -> dg.AssetCheckResult | None:
    try:
        return scraper_slo_result(duckdb)
    except Exception as exc:  # the step's own error is the one to report; the check is then left unevaluated
        context.log.warning(f"scraper_slo could not be evaluated after the step failed: {exc}")
        return None


@dg.multi_asset(
    name="dead_cap",
    specs=[
        core_spec(
            "dead_cap",
            "Dead money, cap allocations and league cap per team per season, in millions of USD (nfl.dead_cap).",
        )
    ],
    check_specs=gate.check_specs("dead_cap"),
    **_CORE,
)
def dead_cap(
    context: dg.AssetExecutionContext,
    config: gate.DeadCapGateOverride,
    duckdb: AnalyticsDuckDB,
    http: HttpClientResource,
    settings: AnalyticsSettings,
) -> Iterator:
    from analytics_assets.ingestion import core_tables

    yield from core_tables.core_step(context, duckdb, "dead_cap", http, settings, config)
