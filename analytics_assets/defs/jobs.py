"""Jobs and the daily schedule."""

import dagster as dg

from analytics_assets.ingestion.source_catalog import LIVE_SOURCES
from analytics_assets.partitions import AS_OF_TAG, LEAGUE_TIMEZONE, season_in_progress

# The per-season part of the graph, one season per run: each raw page's fetch (the raw assets'
# `fetched` checks), the core tables and the risk mart. The fetches request only what the season
# needs (nothing for embedded seasons). Steps run one after the other in the run's process: a run
# starts no other process.
SEASON_SELECTION = dg.AssetSelection.checks_for_assets(
    *(s.raw_asset for s in LIVE_SOURCES.values())
) | dg.AssetSelection.assets("standings", "dead_cap", "team_season_risk")
season_pipeline_job = dg.define_asset_job(
    "season_pipeline",
    selection=SEASON_SELECTION,
    description="For one season: fetch the live sources' pages where the season needs them, ingest, validate and "
    "store it, then rebuild its risk rows.",
)

# The all-season part: the league summary over every stored season, the charts and the report.
all_seasons_outputs_job = dg.define_asset_job(
    "all_seasons_outputs",
    selection=dg.AssetSelection.assets("league_risk_summary", "risk_report") | dg.AssetSelection.groups("outputs"),
    description="Summarise every stored season, then write the charts and the risk report to $ANALYTICS_OUTPUT_DIR.",
)

# Runs the all-season assets' automation conditions: after any season changes (the daily refresh, a
# backfill, a manual import), the summary, charts and report are rebuilt once. On by default.
all_seasons_outputs_automation = dg.AutomationConditionSensorDefinition(
    "all_seasons_outputs_automation",
    target=dg.AssetSelection.assets("league_risk_summary", "risk_report") | dg.AssetSelection.groups("outputs"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    # Every 5 s (Dagster's default is 30 s): the charts and report follow a change within seconds.
    minimum_interval_seconds=5,
    description="Refresh the league summary, the charts and the report after any stored season changes.",
)


@dg.schedule(
    job=season_pipeline_job,
    cron_schedule="0 9 * * *",
    execution_timezone=LEAGUE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 09:00 New York time, refresh the season in progress.",
)
def daily_season_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    season = str(season_in_progress(context.scheduled_execution_time))
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    # The snapshot is filed under the tick's day, so a run that starts late or is retried still keeps its day.
    return dg.RunRequest(
        run_key=f"daily-{season}-{day}", partition_key=season, tags={"trigger": "daily_season_refresh", AS_OF_TAG: day}
    )
