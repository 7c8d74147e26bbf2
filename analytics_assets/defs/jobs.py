"""Jobs and the daily schedule."""

import dagster as dg

from analytics_assets import storage
from analytics_assets.partitions import AS_OF_TAG, LEAGUE_TIMEZONE, season_in_progress
from analytics_assets.run_tags import PARTITION_RANGE_START_TAG, PARTITION_TAG

# The per-season part of the graph: raw pages, core tables and the risk mart. The raw steps fetch
# only what the seasons need (nothing for embedded seasons). Steps run one after the other in the
# run's process: a one-season run (the daily refresh) starts no other process.
_SEASON_SELECTION = dg.AssetSelection.groups("raw") | dg.AssetSelection.assets("standings", "dead_cap", "team_season_risk")
season_pipeline_job = dg.define_asset_job(
    "season_pipeline",
    selection=_SEASON_SELECTION,
    description="Fetch the live sources' pages where a season needs them, ingest, validate and store one or more seasons, then rebuild their risk rows.",
)

# The same steps with the raw steps of different sites fetching at the same time, each step in its
# own process forked from a server that has imported the code and the steps' libraries once (each
# site's pool still admits one fetcher across all runs, and "duckdb" one writer). Process start-up
# costs a few seconds a run, repaid many times over by a live scrape of several seasons (two paced
# sites at once: about half the time).
STEP_PRELOAD = [
    "analytics_assets.definitions", "analytics_assets.ingestion.core_tables", "analytics_assets.ingestion.raw_pages",
    "analytics_assets.analytics.risk",
    # What every step process would otherwise import on its own: SQLAlchemy and Alembic under
    # Dagster's SQLite storage (about 0.3 s a step), Pandera and tabulate in the core steps.
    "sqlalchemy", "alembic", "pandera.pandas", "tabulate",
]
# The DuckDB writers of one run wait for each other here, in the executor, and start the moment the
# previous one ends. Left to the "duckdb" pool alone, a writer that finds the slot taken polls
# for it every 1 s or more (Dagster's fixed back-off), about 1 s lost per hand-over.
ONE_DUCKDB_WRITER = [{"key": k, "value": v, "limit": 1} for k, v in storage.DUCKDB_WRITER_TAGS.items()]
season_backfill_job = dg.define_asset_job(
    "season_backfill",
    selection=_SEASON_SELECTION,
    executor_def=dg.multiprocess_executor.configured(
        {"max_concurrent": 3, "tag_concurrency_limits": ONE_DUCKDB_WRITER, "start_method": {"forkserver": {"preload_modules": STEP_PRELOAD}}},
        name="sites_in_parallel",
    ),
    description="season_pipeline with the live sites fetched in parallel: for live scrapes of many seasons.",
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


# A failed refresh changes no stored season, so the automation above leaves the report as it was, and
# the report would go on saying nothing failed. This rebuilds it after every failed run of one or more
# seasons: the report and the season page then show the failure and when the season was last good.
@dg.run_failure_sensor(
    name="outputs_after_failed_refresh",
    request_job=all_seasons_outputs_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="After a run of one or more seasons fails, rebuild the report and the season page so that they show the failure.",
)
def outputs_after_failed_refresh(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    if PARTITION_TAG not in run.tags and PARTITION_RANGE_START_TAG not in run.tags:
        return dg.SkipReason(f"Run {run.run_id} ({run.job_name}) ran no season: nothing for the report to mark.")
    return dg.RunRequest(run_key=f"after-failed-{run.run_id}", tags={"trigger": "outputs_after_failed_refresh"})


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
