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
        "(name, size, header) here, then one run per season that validates its files like any source; a rejected "
        "file is "
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
    by_season: dict[int, list] = {}
    for file in files:
        manual_import.clear_stale_rejection(file.path)
        by_season.setdefault(file.season, []).append(file)
    run_requests = []
    for season, landed in sorted(by_season.items()):
        # The files of one season load in one run: with both tables there, its risk step runs after
        # both are stored (two runs could race, the first one's risk step missing the other table).
        # With one table, the next pipeline run refreshes the risk rows.
        both = {f.table for f in landed} == set(manual_import.TABLES)
        selection = [f.table for f in landed] + (["team_season_risk"] if both else [])
        tags = {"trigger": "manual_import_sensor"}
        for f in landed:
            tags.update(f.tags())
        # One run per file content and modification time: touching a file whose run failed for
        # another reason (a busy database, say) requests it again.
        key = "+".join(f"{f.table}_{f.season}_{f.sha256[:16]}_{_mtime_ns(f.path)}" for f in landed)
        run_requests.append(
            dg.RunRequest(
                run_key=f"manual-{key}",
                partition_key=str(season),
                asset_selection=[dg.AssetKey(name) for name in selection],
                tags=tags,
            )
        )
    if run_requests:
        return dg.SensorResult(run_requests=run_requests)
    if rejected:
        return dg.SkipReason("\n".join(message for _, message in rejected))
    return dg.SkipReason(f"No standings_<season>.csv or dead_cap_<season>.csv in {landing}.")
