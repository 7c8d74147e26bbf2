"""Raw assets: each live source's page (or file) per season, fetched and archived by sha256.

The work is in `raw_pages` (HTTP, archive), imported when a step runs so that loading the code
location stays fast.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from analytics_assets import partitions
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.partitions import season_partitions
from analytics_assets.storage import AnalyticsDuckDB

# Raw steps fetch under their site's pool (one fetcher per site across all runs; the HTTP client
# also spaces requests per host), never under "duckdb": a slow site never holds the DuckDB writer,
# and different sites are fetched at the same time where the executor runs steps in parallel.
_RAW: dict[str, Any] = dict(
    group_name="raw", partitions_def=season_partitions, backfill_policy=partitions.SEASON_BACKFILL_POLICY, kinds={"http"}, owners=OWNERS,
)


def _raw_asset(name: str, source: str, description: str):
    fetched = dg.AssetCheckSpec(
        "fetched", asset=name, blocking=False,
        description="[WARN] Every season of the run that needs this source got its page, fetched or replayed from the archive.",
    )

    @dg.asset(name=name, pool=source, check_specs=[fetched], description=description, tags=layer_tags("raw", source), **_RAW)
    def _fetch(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, http: HttpClientResource) -> Iterator:
        from analytics_assets.ingestion import raw_pages

        yield from raw_pages.fetch_raw(context, source, http, duckdb)

    return _fetch


raw_nflverse_games = _raw_asset(
    "raw_nflverse_games", "nflverse",
    "nflverse's games file (NFLVERSE_GAMES_URL), archived by sha256: one fetch serves every season of a run.",
)
raw_pfr_season_page = _raw_asset(
    "raw_pfr_season_page", "pfr", "Pro-Football-Reference's season page /years/{season}/index.htm, archived by sha256.",
)
raw_spotrac_cap_page = _raw_asset(
    "raw_spotrac_cap_page", "spotrac", "Spotrac's team cap page /nfl/cap/{season}/, archived by sha256.",
)
