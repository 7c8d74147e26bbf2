"""The naive baseline's code location: the product's assets, checks, resources and `season_pipeline`
job with Dagster's default executor (multiprocess: every step in a process of its own), run one
season per run from the CLI, a new process each:

    dagster job execute -m benchmarks.naive_definitions -j season_pipeline --tags '{"dagster/partition": "2011"}'
"""

import dagster as dg

from analytics_assets import definitions as product_location
from analytics_assets.run_pipeline import SEASON_JOB

defs = dg.Definitions(
    assets=list(product_location.defs.assets or []),
    asset_checks=list(product_location.defs.asset_checks or []),
    resources=dict(product_location.defs.resources or {}),
    # The same job (the same selection: each raw page's fetch, the core tables, the mart).
    jobs=[job for job in product_location.defs.jobs or [] if job.name == SEASON_JOB],
    # No executor: Dagster's default, the multiprocess executor.
)
