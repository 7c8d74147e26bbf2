"""The framework floor: `make run`'s graph with no-op bodies, run the way `make run` runs it.

The same assets (keys, dependencies, partitions, backfill policies, pools), the same asset checks
(in their assets' steps or in steps of their own), the same jobs and selections, the in-process
executor and the same Dagster instance; each step only reports its assets materialized and its
checks passed. What `make run` takes beyond this is our own work
(reading, validating, storing, computing, drawing), the rest is Dagster's.

    python benchmarks/floor_pipeline.py [--from 2011] [--to 2025]

With `--scrape`, the floor of a live scrape instead: `season_backfill`'s graph and executor (a
process per step, forked from the same preloaded server, the same pools and DuckDB tag limit) in one
run, where each raw step of a paced site only waits out the politeness schedule of its seasons
((seasons - 1) x the rate limit between its first and last request) and every other step is a no-op.
What the live scrape takes beyond this is our own work (fetching, archiving, parsing, validating,
storing); the rest is Dagster's and the sites' pacing.

    python benchmarks/floor_pipeline.py --scrape [--from 2011] [--to 2025]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402

from analytics_assets.definitions import defs as real_defs  # noqa: E402
from analytics_assets.run_pipeline import PIPELINE_JOBS  # noqa: E402

# Seasons of the scrape floor's run (0: the golden path's floor). An environment variable, so that the
# step processes, which rebuild the job from this module, pace their raw steps the same way.
SCRAPE_SEASONS = int(os.environ.get("FLOOR_SCRAPE_SEASONS", "0"))
SCRAPE_JOB = "season_backfill"


def _paced_wait_s(assets_def: dg.AssetsDefinition, seasons: int) -> float:
    """How long a raw step of a paced site spends between its first and last request (0 elsewhere)."""
    from analytics_assets.ingestion.http_resource import HttpClientResource
    from analytics_assets.ingestion.source_catalog import LIVE_SOURCES
    from analytics_assets.settings import from_environment

    source = next((s for s in LIVE_SOURCES.values() if s.raw_asset == assets_def.node_def.name), None)
    if source is None or source.one_file:
        return 0.0
    # The rate limit the real scrape would use (ANALYTICS_HTTP_MIN_INTERVAL_S, default 3 s).
    return (seasons - 1) * from_environment(HttpClientResource, bind=False).min_interval_s


def _noop(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    specs = [spec.replace_attributes(automation_condition=None) for spec in assets_def.specs]
    paced = _paced_wait_s(assets_def, SCRAPE_SEASONS) if SCRAPE_SEASONS else 0.0

    @dg.multi_asset(
        specs=specs,
        check_specs=list(assets_def.check_specs),
        name=assets_def.node_def.name,
        can_subset=True,
        pool=getattr(assets_def.node_def, "pool", None),
        op_tags=dict(assets_def.node_def.tags),  # the DuckDB writers' tag, limited by season_backfill's executor
        backfill_policy=assets_def.backfill_policy,
    )
    def noop(context):
        if paced:
            time.sleep(paced)
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def _noop_checks(checks_def: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    """A check that is its own step (not part of an asset's), passing without looking."""

    @dg.multi_asset_check(
        specs=list(checks_def.check_specs), name=checks_def.node_def.name, can_subset=True,
        pool=getattr(checks_def.node_def, "pool", None), op_tags=dict(checks_def.node_def.tags),
    )
    def noop(context):
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def floor_defs() -> dg.Definitions:
    assets = [_noop(a) for a in real_defs.get_repository_def().assets_defs_by_key.values()]
    unique = {a.node_def.name: a for a in assets}
    checks = [_noop_checks(c) for c in real_defs.asset_checks or [] if isinstance(c, dg.AssetChecksDefinition)]
    # Each job with the selection it is defined with (a resolved job's own asset_selection is not
    # that: it is empty, and a job defined with it would run every asset).
    defined = {job.name: job for job in real_defs.jobs or [] if hasattr(job, "selection")}  # define_asset_job's
    jobs = [dg.define_asset_job(name, selection=defined[name].selection) for name in PIPELINE_JOBS]
    # The scrape's job with its own executor (multiprocess, forkserver, preloads, DuckDB tag limit).
    scrape = defined[SCRAPE_JOB]
    jobs.append(dg.define_asset_job(SCRAPE_JOB, selection=scrape.selection, executor_def=scrape.executor_def))
    return dg.Definitions(assets=list(unique.values()), asset_checks=checks, jobs=jobs, executor=dg.in_process_executor)


def scrape_floor_job() -> dg.JobDefinition:
    """Module level, so that each step process rebuilds the same job."""
    return floor_defs().resolve_job_def(SCRAPE_JOB)


def main(argv: list[str] | None = None) -> int:
    from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", default="2011")
    parser.add_argument("--to", dest="last", default="2025")
    parser.add_argument("--scrape", action="store_true", help="the live scrape's floor (season_backfill, paced raw steps)")
    args = parser.parse_args(argv)
    instance = dg.DagsterInstance.get()
    tags = {PARTITION_RANGE_START_TAG: args.first, PARTITION_RANGE_END_TAG: args.last, "trigger": "framework floor"}
    if args.scrape:
        if SCRAPE_SEASONS != int(args.last) - int(args.first) + 1:
            print(f"--scrape needs FLOOR_SCRAPE_SEASONS={int(args.last) - int(args.first) + 1} in the environment", file=sys.stderr)
            return 2
        result = dg.execute_job(dg.reconstructable(scrape_floor_job), instance=instance, tags=tags, raise_on_error=False,
                                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
        print(f"{SCRAPE_JOB}: run {result.run_id} {'succeeded' if result.success else 'failed'} (paced no-op bodies)")
        return 0 if result.success else 1
    defs = floor_defs()
    for job in (defs.resolve_job_def(name) for name in PIPELINE_JOBS):
        result = job.execute_in_process(instance=instance, tags=tags if job.partitions_def else {"trigger": "framework floor"},
                                        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}}, raise_on_error=False)
        if not result.success:
            print(f"Run {result.run_id} of {job.name} failed", file=sys.stderr)
            return 1
        print(f"{job.name}: run {result.run_id} succeeded (no-op bodies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
