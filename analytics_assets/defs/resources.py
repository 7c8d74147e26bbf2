"""The resources every asset, check and sensor asks for by key, bound to the environment.

Each field's default and environment variable are declared on the resource class (see settings.py);
a variable that is set when the code location loads is bound as `dg.EnvVar` and resolved when a run
starts, so the launchpad shows which variable a run reads.
"""

import dagster as dg

from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.settings import AnalyticsSettings, from_environment
from analytics_assets.storage import AnalyticsDuckDB


def environment_resources(*, bind: bool = True) -> dict[str, dg.ConfigurableResource]:
    """The code location's resources (bind=False: with the variables read now, for code outside a run)."""
    return {
        "duckdb": from_environment(AnalyticsDuckDB, bind=bind),
        "http": from_environment(HttpClientResource, bind=bind),
        "settings": from_environment(AnalyticsSettings, bind=bind),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=environment_resources())
