"""The naive baseline's code location: the product's assets and resources with Dagster's default
executor (multiprocess: every step in its own process), for one run per season from the CLI:

    dagster asset materialize -m benchmarks.naive_definitions --select standings,dead_cap,team_season_risk --partition 2011
"""

import dagster as dg

from analytics_assets import definitions as product_location

defs = dg.Definitions(
    assets=list(product_location.defs.assets or []),
    asset_checks=list(product_location.defs.asset_checks or []),
    resources=dict(product_location.defs.resources or {}),
    # No executor: Dagster's default, the multiprocess executor.
)
