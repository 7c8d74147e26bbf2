"""`make run`: materialize every asset for a range of seasons, as one run per part of the graph.

    python -m analytics_assets.run_pipeline [--from 2011] [--to 2025]

The per-season assets run once over the whole range (one run with Dagster's range tags); the all-season
assets (summary, charts, report) run after them. Runs are recorded in $DAGSTER_HOME, so they
show up in the Dagster UI.
"""

from __future__ import annotations

import argparse
import sys

import dagster as dg

from analytics_assets.definitions import code_location
from analytics_assets.ingestion import embedded
from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from analytics_assets.settings import AnalyticsSettings, from_environment
from analytics_assets.storage import AnalyticsDuckDB

PIPELINE_JOBS = ("season_pipeline", "all_seasons_outputs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shipped = embedded.seasons_available()
    parser.add_argument("--from", dest="first", default=str(min(shipped)), help="first season (default %(default)s)")
    parser.add_argument("--to", dest="last", default=str(max(shipped)), help="last season (default %(default)s)")
    args = parser.parse_args(argv)

    instance = dg.DagsterInstance.get()
    tags = {PARTITION_RANGE_START_TAG: args.first, PARTITION_RANGE_END_TAG: args.last, "trigger": "make run"}
    defs = code_location()
    for job in (defs.resolve_job_def(name) for name in PIPELINE_JOBS):
        result = job.execute_in_process(
            instance=instance,
            tags=tags if job.partitions_def else {"trigger": "make run"},
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=False,
        )
        if not result.success:
            print(f"Run {result.run_id} of {job.name} failed; see the errors above or the run in the Dagster UI (make dev).", file=sys.stderr)
            return 1
        print(f"{job.name}: run {result.run_id} succeeded")
    # The values the runs resolved from the same environment.
    print(f"DuckDB file: {from_environment(AnalyticsDuckDB, bind=False).path}")
    print(f"Charts and report: {from_environment(AnalyticsSettings, bind=False).output_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
