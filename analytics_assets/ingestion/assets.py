"""Core assets: one row per team per season of standings and of dead money.

The work is in `core_tables` (pandas, Pandera, the parsers), imported when a step runs so that
loading the code location stays fast.
"""

from collections.abc import Iterator

import dagster as dg

from analytics_assets import partitions
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.partitions import season_partitions
from analytics_assets.quality import gate
from analytics_assets.storage import AnalyticsDuckDB

# Live fetching happens inside these steps, under the "duckdb" pool rather than "pfr": a step has
# one pool, and "duckdb" admits one step at a time across all runs, so at most one PFR fetcher
# runs at any moment anyway. Within the step the HTTP client spaces requests per host (at least
# 3 s for PFR). Fetch, parse, validate and write stay one step, so a failed fetch never leaves a
# half-updated season, and the scrape log is written through the same DuckDB resource.
_CORE = dict(
    group_name="core",
    partitions_def=season_partitions,
    backfill_policy=partitions.SINGLE_RUN,
    pool="duckdb",
    kinds={"duckdb", "pandas"},
)


@dg.asset(
    **_CORE,
    check_specs=gate.check_specs("standings"),
    description="Regular-season standings, one row per team per season, validated before it is stored (nfl.standings).",
)
def standings(context: dg.AssetExecutionContext, config: gate.GateOverride, duckdb: AnalyticsDuckDB, http: HttpClientResource) -> Iterator:
    from analytics_assets.ingestion import core_tables

    yield from core_tables.load_core_table(context, duckdb, "standings", http, config)


@dg.asset(
    **_CORE,
    check_specs=gate.check_specs("dead_cap"),
    description="Dead money, cap allocations and league cap per team per season, in millions of USD (nfl.dead_cap).",
)
def dead_cap(context: dg.AssetExecutionContext, config: gate.GateOverride, duckdb: AnalyticsDuckDB, http: HttpClientResource) -> Iterator:
    from analytics_assets.ingestion import core_tables

    yield from core_tables.load_core_table(context, duckdb, "dead_cap", http, config)
