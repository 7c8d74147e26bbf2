"""The live sources' HTTP client for tests against the local page server: short waits, its own archive."""

from __future__ import annotations

from pathlib import Path

from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.settings import from_environment


def http_for(server, archive: Path, **overrides) -> HttpClientResource:
    """Short intervals and backoff for the tests (the rate limit itself is measured in test_http_client)."""
    config = dict(
        pfr_base_url=server.base_url,
        spotrac_base_url=server.base_url,
        min_interval_s=0.0,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.02,
        read_timeout_s=2.0,
        archive_dir=str(archive),
    )
    config.update(overrides)
    return from_environment(HttpClientResource, bind=False, **config)
