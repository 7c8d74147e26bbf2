"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import dagster as dg

from analytics_assets.ingestion import assets as ingestion_assets
from analytics_assets.ingestion.source_settings import LiveSourcesResource
from analytics_assets.ingestion.sensors import manual_import_sensor
from analytics_assets.jobs import (
    all_seasons_outputs_automation,
    all_seasons_outputs_job,
    daily_season_refresh,
    season_backfill_job,
    season_pipeline_job,
)
from analytics_assets.marts import assets as mart_assets
from analytics_assets.partitions import describe_season_partitions
from analytics_assets.ops.alerts import alert_on_run_failure
from analytics_assets.ops.freshness import with_season_freshness
from analytics_assets.ops.slo import scraper_slo
from analytics_assets.reporting import assets as reporting_assets
from analytics_assets.storage import AnalyticsDuckDB

defs = dg.Definitions(
    assets=describe_season_partitions(with_season_freshness(dg.load_assets_from_modules([ingestion_assets, mart_assets, reporting_assets]))),
    asset_checks=[scraper_slo],
    jobs=[season_pipeline_job, season_backfill_job, all_seasons_outputs_job],
    schedules=[daily_season_refresh],
    sensors=[alert_on_run_failure, manual_import_sensor, all_seasons_outputs_automation],
    # The http resource reads PFR_BASE_URL, SPOTRAC_BASE_URL, NFLVERSE_GAMES_URL, ANALYTICS_STANDINGS_SOURCES,
    # ANALYTICS_HTTP_* and ANALYTICS_ARCHIVE_DIR at run time.
    resources={"duckdb": AnalyticsDuckDB(), "http": LiveSourcesResource()},
    # Steps share one process: no per-step interpreter start-up, and one DuckDB writer at a time.
    executor=dg.in_process_executor,
)
