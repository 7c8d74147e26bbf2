"""Core assets: one row per team per season of standings and of dead money."""

from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from analytics_assets import partitions, storage
from analytics_assets.ingestion import normalize, sources
from analytics_assets.metadata import table_metadata
from analytics_assets.partitions import season_partitions
from analytics_assets.quality import gate, rules
from analytics_assets.storage import AnalyticsDuckDB
from analytics_assets.teams import UnknownTeamError


def _seasons(context: dg.AssetExecutionContext) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)


def load_core_table(
    context: dg.AssetExecutionContext,
    duckdb: AnalyticsDuckDB,
    table: str,
    build: Callable[[int], pd.DataFrame],
) -> Iterator:
    """Build every season of the run, gate all of them, then replace them in one transaction."""
    seasons = _seasons(context)
    frames: dict[int, pd.DataFrame] = {}
    reports = []
    for season in seasons:
        try:
            frames[season] = build(season)
        except (sources.NoSourceDataError, UnknownTeamError) as exc:
            raise dg.Failure(description=f"{table} season {season}: {exc} Nothing was written; stored seasons are unchanged.") from exc
        reports.append(rules.validate(table, frames[season], season, partitions.is_completed(season)))
        context.log.info(f"{table} season {season}: {len(frames[season])} rows from {frames[season]['source'].iloc[0]} {frames[season]['source_ref'].iloc[0]}")
    with duckdb.get_connection() as conn:
        yield from gate.enforce(context, table, reports, conn)
        writes = storage.replace_seasons(conn, table, frames, run_id=context.run.run_id)
        metadata = table_metadata(conn, table, seasons, writes)
    yield dg.MaterializeResult(metadata=metadata, check_results=gate.check_results(table, reports))


def build_standings(season: int) -> pd.DataFrame:
    rows = sources.embedded_standings(season)
    return normalize.standings_rows(rows.raw, season, rows.code_source, rows.provenance)


def build_dead_cap(season: int) -> pd.DataFrame:
    rows = sources.embedded_dead_cap(season)
    return normalize.dead_cap_rows(rows.raw, season, rows.code_source, rows.league_cap_musd, rows.provenance)


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
def standings(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB) -> Iterator:
    yield from load_core_table(context, duckdb, "standings", build_standings)


@dg.asset(
    **_CORE,
    check_specs=gate.check_specs("dead_cap"),
    description="Dead money, cap allocations and league cap per team per season, in millions of USD (nfl.dead_cap).",
)
def dead_cap(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB) -> Iterator:
    yield from load_core_table(context, duckdb, "dead_cap", build_dead_cap)
