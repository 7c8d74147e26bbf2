"""The manual-import sensor: picks up CSV files dropped into $ANALYTICS_LANDING_DIR (see manual_import).

A tick must stay far inside Dagster's 60 s limit whatever lands in the folder, so it makes only
cheap checks (name, size, header line; a file over the size limit is never read) and hands each
file to its own run, where the file is validated like any source. One bad or huge file is rejected
on its own and never delays another.
"""

from pathlib import Path

import dagster as dg

from analytics_assets.settings import AnalyticsSettings


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@dg.sensor(
    name="manual_import_sensor",
    target=dg.AssetSelection.assets("standings", "dead_cap", "team_season_risk"),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Loads standings_<season>.csv / dead_cap_<season>.csv dropped into $ANALYTICS_LANDING_DIR: cheap checks "
        "(name, size, header) here, then one run per file that validates it like any source; a rejected file is "
        "left in place with <file>.rejected.txt beside it."
    ),
)
def manual_import_sensor(context: dg.SensorEvaluationContext, settings: AnalyticsSettings):
    from analytics_assets.ingestion import manual_import

    landing = settings.landing_path
    files, rejected = manual_import.scan(landing, settings.landing_max_bytes)
    for path, message in rejected:
        manual_import.write_rejection(path, message)
        context.log.error(message)
    tables_of: dict[int, set[str]] = {}
    for file in files:
        tables_of.setdefault(file.season, set()).add(file.table)
    run_requests = []
    for file in files:
        manual_import.clear_stale_rejection(file.path)
        # Both tables of a season landed together: each run also rebuilds the season's risk rows.
        # The runs' steps take the duckdb pool one at a time, so the last risk step sees both tables.
        # With one table, the next pipeline run refreshes them.
        both = tables_of[file.season] == set(manual_import.TABLES)
        selection = [file.table] + (["team_season_risk"] if both else [])
        # One run per file content and modification time: touching a file whose run failed for
        # another reason (a busy database, say) requests it again.
        run_requests.append(
            dg.RunRequest(
                run_key=f"manual-{file.table}_{file.season}_{file.sha256[:16]}_{_mtime_ns(file.path)}",
                partition_key=str(file.season),
                asset_selection=[dg.AssetKey(name) for name in selection],
                tags={"trigger": "manual_import_sensor", **file.tags()},
            )
        )
    if run_requests:
        return dg.SensorResult(run_requests=run_requests)
    if rejected:
        return dg.SkipReason("\n".join(message for _, message in rejected))
    return dg.SkipReason(f"No standings_<season>.csv or dead_cap_<season>.csv in {landing}.")
