"""The `http` resource: the live sources' settings and the HTTP client's, with their defaults.

Apart from the client itself (http_client.py, built when a step fetches), so that loading the
code location does not import requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from analytics_assets import settings
from analytics_assets.settings import setting

if TYPE_CHECKING:
    from analytics_assets.ingestion.http_client import PoliteClient

DEFAULT_TOTAL_TIMEOUT_S = 60.0
DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
DEFAULT_USER_AGENT = "analytics-assets/0.1 (NFL dead-cap risk platform; polite scraper, 1 request per 3 s)"


class HttpClientResource(dg.ConfigurableResource):
    """The live sources: where each site's pages are, which standings sources to ask, and the HTTP
    client every fetch uses (politeness, retries, deadlines, size cap)."""

    pfr_base_url: str = setting(
        "https://www.pro-football-reference.com",
        "PFR_BASE_URL",
        "Where Pro-Football-Reference season pages are fetched from.",
    )
    spotrac_base_url: str = setting(
        "https://www.spotrac.com", "SPOTRAC_BASE_URL", "Where Spotrac team cap pages are fetched from."
    )
    nflverse_games_url: str = setting(
        "https://raw.githubusercontent.com/nflverse/nfldata/master/data/games.csv",
        "NFLVERSE_GAMES_URL",
        "nflverse's games file (every game of every season, one CSV).",
    )
    standings_sources: str = setting(
        settings.DEFAULT_STANDINGS_SOURCES,
        "ANALYTICS_STANDINGS_SOURCES",
        "Live standings sources in order of preference, comma-separated: the first that answers is stored, the next "
        "cross-checks it.",
    )
    archive_dir: str = setting(
        str(settings.DATA_DIR / "archive"), "ANALYTICS_ARCHIVE_DIR", "Content-addressed store of every fetched page."
    )
    user_agent: str = setting(
        DEFAULT_USER_AGENT, "ANALYTICS_USER_AGENT", "How the scraper identifies itself (put a contact address in it)."
    )
    min_interval_s: float = setting(
        3.0,
        "ANALYTICS_HTTP_MIN_INTERVAL_S",
        "At least this many seconds between two requests to one host (never below 3 for PFR).",
    )
    max_attempts: int = setting(4, "ANALYTICS_HTTP_MAX_ATTEMPTS", "Attempts per page, the first try included.")
    connect_timeout_s: float = Field(default=10.0, description="Connect timeout per request, seconds.")
    read_timeout_s: float = Field(default=30.0, description="Read timeout per request (between bytes), seconds.")
    total_timeout_s: float = setting(
        DEFAULT_TOTAL_TIMEOUT_S,
        "ANALYTICS_HTTP_TOTAL_TIMEOUT_S",
        "Wall-clock deadline per attempt (connect, headers and the whole body), seconds.",
    )
    max_response_bytes: int = setting(
        DEFAULT_MAX_RESPONSE_BYTES,
        "ANALYTICS_HTTP_MAX_RESPONSE_BYTES",
        "Largest response body accepted, bytes; a larger one stops the download and is not retried.",
    )
    backoff_base_s: float = Field(
        default=2.0, description="First retry waits between half and all of this; doubles each retry."
    )
    backoff_max_s: float = Field(default=60.0, description="Cap on one backoff wait, seconds.")
    max_retry_after_s: float = Field(
        default=300.0, description="Longest Retry-After honoured; a longer one fails the fetch."
    )
    force_refetch: bool = Field(
        default=False, description="Fetch completed seasons again even when their page is archived."
    )

    def resolved_pfr_base_url(self) -> str:
        return self.pfr_base_url.strip().rstrip("/")

    def resolved_spotrac_base_url(self) -> str:
        return self.spotrac_base_url.strip().rstrip("/")

    def resolved_archive_dir(self) -> str:
        return str(settings.as_path(self.archive_dir))

    def build_client(self, sleep: Callable[[float], None] = time.sleep) -> PoliteClient:
        from analytics_assets.ingestion.http_client import PoliteClient

        return PoliteClient(
            user_agent=self.user_agent.strip() or DEFAULT_USER_AGENT,
            connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s,
            total_timeout_s=self.total_timeout_s,
            max_response_bytes=self.max_response_bytes,
            max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            min_interval_s=self.min_interval_s,
            max_retry_after_s=self.max_retry_after_s,
            sleep=sleep,
            spacing_dir=Path(self.resolved_archive_dir()) / "_hosts",
        )
