"""The resources every asset, check and sensor asks for by key."""

import dagster as dg

from analytics_assets.ingestion.source_settings import LiveSourcesResource
from analytics_assets.storage import AnalyticsDuckDB


@dg.definitions
def resources() -> dg.Definitions:
    # The http resource reads PFR_BASE_URL, SPOTRAC_BASE_URL, NFLVERSE_GAMES_URL, ANALYTICS_STANDINGS_SOURCES,
    # ANALYTICS_HTTP_* and ANALYTICS_ARCHIVE_DIR at run time.
    return dg.Definitions(resources={"duckdb": AnalyticsDuckDB(), "http": LiveSourcesResource()})
