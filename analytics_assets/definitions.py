"""The Dagster code location: everything under analytics_assets/defs/, plus the executor.

Each area's folder (raw, core, marts, outputs, monitoring) declares its assets, checks and sensors;
jobs and schedules are in defs/jobs.py, the resources in defs/resources.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import dagster as dg

from analytics_assets.defs.monitoring.freshness import with_season_freshness_spec
from analytics_assets.partitions import describe_season_partition_spec


def _catalog_spec(spec: dg.AssetSpec) -> dg.AssetSpec:
    return describe_season_partition_spec(with_season_freshness_spec(spec))


def code_location() -> dg.Definitions:
    """The definitions, with the resources bound to the environment as it is now."""
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
    return dg.Definitions(
        # Every asset as the defs folder declares it, with its partitions in words and the season
        # assets' freshness policy (dg.map_asset_specs: Definitions.map_asset_specs is still in preview).
        assets=dg.map_asset_specs(_catalog_spec, cast("list[dg.AssetsDefinition]", list(loaded.assets or []))),
        asset_checks=loaded.asset_checks,
        jobs=loaded.jobs,
        schedules=loaded.schedules,
        sensors=loaded.sensors,
        resources=loaded.resources,
        # Steps share one process: no per-step interpreter start-up, and one DuckDB writer at a time.
        executor=dg.in_process_executor,
    )


# Built once at import (not a lazy @dg.definitions function): tests and benchmarks use `defs` directly;
# `make run` calls code_location() so the resources follow the environment it starts with.
defs = code_location()
