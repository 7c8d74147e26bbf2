"""The manual-import sensor: picks up CSV files dropped into $ANALYTICS_LANDING_DIR (see manual_import)."""

from pathlib import Path

import dagster as dg

from analytics_assets import settings


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
        "Loads standings_<season>.csv / dead_cap_<season>.csv dropped into $ANALYTICS_LANDING_DIR: validated like "
        "any source, then one run per season; a bad file is left in place with <file>.rejected.txt beside it."
    ),
)
def manual_import_sensor(context: dg.SensorEvaluationContext):
    from analytics_assets.ingestion import manual_import  # pandas and the gates: loaded per tick, not at start-up

    landing = settings.landing_dir()
    files, misnamed = manual_import.scan(landing)
    rejections = []
    for path, message in misnamed:
        manual_import.write_rejection(path, message)
        rejections.append(message)
    accepted: dict[int, list] = {}
    for file in files:
        problem = manual_import.check(file)
        if problem:
            manual_import.write_rejection(file.path, problem)
            rejections.append(problem)
        else:
            manual_import.clear_rejection(file.path)
            accepted.setdefault(file.season, []).append(file)
    for message in rejections:
        context.log.error(message)
    run_requests = []
    for season, chosen in sorted(accepted.items()):
        tables = sorted(f.table for f in chosen)
        # The risk rows need both tables; with one table the next pipeline run refreshes them.
        selection = tables + (["team_season_risk"] if tables == ["dead_cap", "standings"] else [])
        tags = {"trigger": "manual_import_sensor"}
        for f in chosen:
            tags.update(f.tags())
        # One run per file content and modification time: touching a file whose run failed for
        # another reason (a busy database, say) requests it again.
        key = "-".join(f"{f.table}_{f.season}_{f.sha256[:16]}_{_mtime_ns(f.path)}" for f in sorted(chosen, key=lambda f: f.table))
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
    if rejections:
        return dg.SkipReason("\n".join(rejections))
    return dg.SkipReason(f"No standings_<season>.csv or dead_cap_<season>.csv in {landing}.")
