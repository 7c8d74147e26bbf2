"""The framework floor: `make run`'s graph with no-op bodies, run the way `make run` runs it.

The same assets (keys, dependencies, partitions, backfill policies, pools), the same asset checks
(in their assets' steps or in steps of their own), the same jobs and selections, the in-process
executor and the same Dagster instance; each step only reports its assets materialized and its
checks passed. What `make run` takes beyond this is our own work
(reading, validating, storing, computing, drawing), the rest is Dagster's.

    python benchmarks/floor_pipeline.py [--from 2011] [--to 2025]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402

from analytics_assets.definitions import defs as real_defs  # noqa: E402
from analytics_assets.run_pipeline import PIPELINE_JOBS  # noqa: E402


def _noop(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    specs = [spec.replace_attributes(automation_condition=None) for spec in assets_def.specs]

    @dg.multi_asset(
        specs=specs,
        check_specs=list(assets_def.check_specs),
        name=assets_def.node_def.name,
        can_subset=True,
        pool=getattr(assets_def.node_def, "pool", None),
        backfill_policy=assets_def.backfill_policy,
    )
    def noop(context):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def _noop_checks(checks_def: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    """A check that is its own step (not part of an asset's), passing without looking."""

    @dg.multi_asset_check(
        specs=list(checks_def.check_specs), name=checks_def.node_def.name, can_subset=True,
        pool=getattr(checks_def.node_def, "pool", None),
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
    return dg.Definitions(
        assets=list(unique.values()),
        asset_checks=checks,
        jobs=[dg.define_asset_job(name, selection=defined[name].selection) for name in PIPELINE_JOBS],
        executor=dg.in_process_executor,
    )


def main(argv: list[str] | None = None) -> int:
    from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", default="2011")
    parser.add_argument("--to", dest="last", default="2025")
    args = parser.parse_args(argv)
    defs = floor_defs()
    instance = dg.DagsterInstance.get()
    tags = {PARTITION_RANGE_START_TAG: args.first, PARTITION_RANGE_END_TAG: args.last, "trigger": "framework floor"}
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
