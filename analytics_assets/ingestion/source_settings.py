"""The live sources' settings: the HTTP client's fields plus which standings sources to ask.

`LiveSourcesResource` is the `http` resource of the code location: everything
`HttpClientResource` configures, and the nflverse games URL and the standings sources' order.
Unset fields come from the environment when a run starts. Code that is handed a plain
`HttpClientResource` reads these two settings from the environment.
"""

from __future__ import annotations

from pydantic import Field

from analytics_assets import settings
from analytics_assets.ingestion.http_client import HttpClientResource


class LiveSourcesResource(HttpClientResource):
    nflverse_games_url: str | None = Field(
        default=None, description="nflverse's games file (default: $NFLVERSE_GAMES_URL or nflverse/nfldata data/games.csv on GitHub)."
    )
    standings_sources: str | None = Field(
        default=None,
        description="Live standings sources in order of preference, comma-separated (default: $ANALYTICS_STANDINGS_SOURCES or nflverse,pfr).",
    )


def games_url(http: HttpClientResource) -> str:
    return getattr(http, "nflverse_games_url", None) or settings.nflverse_games_url()


def standings_order(http: HttpClientResource) -> list[str]:
    return settings.standings_sources(getattr(http, "standings_sources", None))
