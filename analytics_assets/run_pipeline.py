"""`make run`: materialize every asset for a range of seasons.

    python -m analytics_assets.run_pipeline [--from 2011] [--to 2025]

The per-season assets run one season per run, as a backfill runs them, so that each season's
results (its pages, its rows, each rule's verdict) are its own and a season that cannot be read
fails alone. The all-season assets (summary, charts, report) run after them, over whatever was
stored, even when every season run failed: the report and the season page then say which refresh
failed and when the season was last good. Runs are recorded in $DAGSTER_HOME, so they show up in the
Dagster UI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dagster as dg

from analytics_assets import partitions
from analytics_assets.definitions import code_location
from analytics_assets.ingestion import embedded
from analytics_assets.settings import AnalyticsSettings, from_environment
from analytics_assets.storage import AnalyticsDuckDB

SEASON_JOB, OUTPUTS_JOB = PIPELINE_JOBS = ("season_pipeline", "all_seasons_outputs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shipped = embedded.seasons_available()
    parser.add_argument("--from", dest="first", default=str(min(shipped)), help="first season (default %(default)s)")
    parser.add_argument("--to", dest="last", default=str(max(shipped)), help="last season (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        first, last = int(args.first), int(args.last)
    except ValueError:
        parser.error(f"--from and --to take seasons (years), got {args.first!r} and {args.last!r}")
    current = partitions.season_in_progress()
    if not partitions.FIRST_SEASON <= first <= last <= current:
        parser.error(
            f"seasons run from {partitions.FIRST_SEASON} to the season in progress ({current}); got {first} to {last}"
        )

    instance = dg.DagsterInstance.get()
    defs = code_location()
    # One line per season from here; Dagster's console shows warnings and errors (the UI has every event).
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    failed: list[str] = []
    seasons = list(range(first, last + 1))
    job = defs.resolve_job_def(SEASON_JOB)
    for season in seasons:
        result = job.execute_in_process(
            instance=instance,
            partition_key=str(season),
            tags={"trigger": "make run"},
            run_config=run_config,
            raise_on_error=False,
        )
        if result.success:
            print(f"{SEASON_JOB} {season}: run {result.run_id} succeeded")
        else:
            failed.append(f"season {season} (run {result.run_id})")
            print(
                f"Run {result.run_id} of {SEASON_JOB} for {season} failed; see the errors above or the run in the "
                f"Dagster UI (make dev).",
                file=sys.stderr,
            )
    if len(failed) < len(seasons) or _anything_stored():
        # The summary, charts and report over what is stored, including the seasons just written; after
        # a failure too, so that the report tells it.
        result = defs.resolve_job_def(OUTPUTS_JOB).execute_in_process(
            instance=instance, tags={"trigger": "make run"}, run_config=run_config, raise_on_error=False
        )
        if not result.success:
            print(
                f"Run {result.run_id} of {OUTPUTS_JOB} failed; see the errors above or the run in the Dagster UI "
                f"(make dev).",
                file=sys.stderr,
            )
            return 1
        print(f"{OUTPUTS_JOB}: run {result.run_id} succeeded")
    if failed:
        print(f"Failed: {'; '.join(failed)}.", file=sys.stderr)
        return 1
    # The values the runs resolved from the same environment.
    print(f"DuckDB file: {from_environment(AnalyticsDuckDB, bind=False).path}")
    print(f"Charts and report: {from_environment(AnalyticsSettings, bind=False).output_path}")
    return 0


def _anything_stored() -> bool:
    """Whether nfl.team_season_risk holds any row (the outputs have something to draw)."""
    db = from_environment(AnalyticsDuckDB, bind=False)
    if db.path != ":memory:" and not Path(db.path).exists():
        return False
    with db.get_connection() as conn:
        row = conn.execute("SELECT count(*) FROM nfl.team_season_risk").fetchone()
    return bool(row and row[0])


if __name__ == "__main__":
    sys.exit(main())
