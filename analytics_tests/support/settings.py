"""Every setting's environment variable, read off the resources that declare them."""

from __future__ import annotations

from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.settings import AnalyticsSettings, env_var_of
from analytics_assets.storage import AnalyticsDuckDB

RESOURCES = {"duckdb": AnalyticsDuckDB, "http": HttpClientResource, "settings": AnalyticsSettings}


def setting_variables() -> dict[str, str]:
    """Every environment variable a setting reads -> the resource field it sets."""
    return {
        var: f"{key}.{field}"
        for key, cls in RESOURCES.items()
        for field in cls.model_fields
        if (var := env_var_of(cls, field))
    }
