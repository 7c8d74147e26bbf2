"""The framework floor: `make run`'s graph with no-op bodies, run the way `make run` runs it.

The same assets (keys, dependencies, partitions, backfill policies, pools; the raw pages as the
same external specs), the same asset checks (in their assets' steps or in steps of their own: the
raw pages' blocking `fetched` checks are the `fetch_<source>` steps), the same jobs and selections,
the in-process executor and the same Dagster instance, and the same runs: `season_pipeline` once
per season, then `all_seasons_outputs`, in one process. Each step only reports what its real
counterpart reports on success: an asset step its assets materialized and its checks passed, a
fetch step its raw page materialized and its `fetched` check passed (a blocking check must report,
or the steps after it are skipped). What `make run` takes beyond this is our own work (reading,
validating, storing, computing, drawing), the rest is Dagster's.

    python benchmarks/floor_pipeline.py [--from 2011] [--to 2025]

With `--scrape`, the floor of a live scrape instead: the `season_pipeline` runs alone, one per
season, where the fetch step of each paced site only waits out that site's spacing (the rate
limit, ANALYTICS_HTTP_MIN_INTERVAL_S, default 3 s, between two of its requests, counted across the
runs as the HTTP client counts it) and every other step is a no-op. What the live scrape takes beyond
this is our own work (fetching, archiving, parsing, validating, storing); the rest is Dagster's and
the sites' pacing.

    python benchmarks/floor_pipeline.py --scrape [--from 2011] [--to 2025]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402

from analytics_assets.definitions import defs as real_defs  # noqa: E402
from analytics_assets.defs.raw.assets import FETCHED  # noqa: E402
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES  # noqa: E402
from analytics_assets.run_pipeline import PIPELINE_JOBS, SEASON_JOB  # noqa: E402

# The scrape floor's pacing: seconds between two "requests" to a paced site (None: the golden
# path's floor, no pacing), and when each site was last "requested". The runs share this process
# (in-process executor), so a module-level clock spans them, as the spacing files do for the real client.
PACING: dict[str, float | None] = {"interval_s": None}
_last_request: dict[str, float] = {}


def _paced_source(check_key: dg.AssetCheckKey) -> str | None:
    """The live source whose fetch this check is, if that site is paced page by page (not a one-file source)."""
    source = next((s for s in LIVE_SOURCES.values() if dg.AssetKey(s.raw_asset) == check_key.asset_key), None)
    return source.name if source is not None and not source.one_file else None


def _wait_out_spacing(source: str) -> None:
    interval = PACING["interval_s"]
    if interval is None:
        return
    last = _last_request.get(source)
    if last is not None:
        time.sleep(max(0.0, last + interval - time.monotonic()))
    _last_request[source] = time.monotonic()


def _noop(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    specs = [spec.replace_attributes(automation_condition=None) for spec in assets_def.specs]

    @dg.multi_asset(
        specs=specs,
        check_specs=list(assets_def.check_specs),
        name=assets_def.node_def.name,
        can_subset=True,
        pool=getattr(assets_def.node_def, "pool", None),
        op_tags=dict(assets_def.node_def.tags),
        backfill_policy=assets_def.backfill_policy,
    )
    def noop(context):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def _noop_checks(checks_def: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    """A check that is its own step (the raw pages' `fetched`): a fetch reports its raw page
    materialized, as the real one does for a page it fetched, replayed or did not need; every check
    then passes without looking."""

    @dg.multi_asset_check(
        specs=list(checks_def.check_specs),
        name=checks_def.node_def.name,
        can_subset=True,
        pool=getattr(checks_def.node_def, "pool", None),
        op_tags=dict(checks_def.node_def.tags),
    )
    def noop(context):
        for check in context.selected_asset_check_keys:
            if check.name == FETCHED:
                source = _paced_source(check)
                if source is not None:
                    _wait_out_spacing(source)
                op_context = context.op_execution_context
                op_context.log_event(
                    dg.AssetMaterialization(asset_key=check.asset_key, partition=op_context.partition_key)
                )
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return noop


def floor_defs() -> dg.Definitions:
    repository = real_defs.get_repository_def()
    assets: dict[str, dg.AssetsDefinition] = {}
    for assets_def in repository.assets_defs_by_key.values():
        if assets_def.is_executable:
            assets.setdefault(assets_def.node_def.name, _noop(assets_def))
        else:  # the raw pages and the operations records: external specs, as in the product
            assets.setdefault(",".join(sorted(k.to_user_string() for k in assets_def.keys)), assets_def)
    checks = [_noop_checks(c) for c in real_defs.asset_checks or [] if isinstance(c, dg.AssetChecksDefinition)]
    # Each job with the selection it is defined with (a resolved job's own asset_selection is not
    # that: it is empty, and a job defined with it would run every asset).
    defined = {job.name: job for job in real_defs.jobs or [] if hasattr(job, "selection")}  # define_asset_job's
    jobs = [dg.define_asset_job(name, selection=defined[name].selection) for name in PIPELINE_JOBS]
    return dg.Definitions(assets=list(assets.values()), asset_checks=checks, jobs=jobs, executor=dg.in_process_executor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", type=int, default=2011)
    parser.add_argument("--to", dest="last", type=int, default=2025)
    parser.add_argument(
        "--scrape", action="store_true", help="the live scrape's floor (season_pipeline runs alone, paced fetch steps)"
    )
    args = parser.parse_args(argv)
    if args.scrape:
        from analytics_assets.ingestion.http_resource import HttpClientResource
        from analytics_assets.settings import from_environment

        # The rate limit the real scrape would use (ANALYTICS_HTTP_MIN_INTERVAL_S, default 3 s).
        PACING["interval_s"] = from_environment(HttpClientResource, bind=False).min_interval_s
    instance = dg.DagsterInstance.get()
    defs = floor_defs()
    # The console as each real counterpart sets it: `make run` shows warnings and errors, the
    # benchmark worker (the live scrape) every event.
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO" if args.scrape else "WARNING"}}}}
    tags = {"trigger": "framework floor"}
    failed = False
    season_job = defs.resolve_job_def(SEASON_JOB)
    for season in range(args.first, args.last + 1):
        result = season_job.execute_in_process(
            instance=instance, partition_key=str(season), tags=tags, run_config=run_config, raise_on_error=False
        )
        print(
            f"{SEASON_JOB} {season}: run {result.run_id} {'succeeded' if result.success else 'failed'} (no-op bodies)"
        )
        failed = failed or not result.success
    if not args.scrape:
        for name in PIPELINE_JOBS[1:]:
            result = defs.resolve_job_def(name).execute_in_process(
                instance=instance, tags=tags, run_config=run_config, raise_on_error=False
            )
            print(f"{name}: run {result.run_id} {'succeeded' if result.success else 'failed'} (no-op bodies)")
            failed = failed or not result.success
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
