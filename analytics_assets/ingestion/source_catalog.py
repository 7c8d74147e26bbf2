"""Every live source, declared once: its site, the core table it supplies, its raw asset, where its
page for a season is, and the function that turns the archived page into rows.

A source is fetch -> raw bytes -> rows: the raw asset `raw_asset` fetches `url(http, season)` into
the archive under the pool named after the source; the core table's step calls `read(season, live)`,
which parses the archived bytes (live.py holds the readers, the parser modules the parsing). The raw
assets, the fetch policy, the failure messages and the table registry (table_sources.py) all read
this. No pandas here: the code location loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics_assets.ingestion.http_resource import HttpClientResource
    from analytics_assets.ingestion.live import LiveSources
    from analytics_assets.ingestion.sources import SourceRows


def _reader(name: str) -> Callable[[int, LiveSources], SourceRows]:
    """A reader in live.py, imported when a step runs (the parsers import pandas)."""

    def read(season: int, sources: LiveSources) -> SourceRows:
        from analytics_assets.ingestion import live

        return getattr(live, name)(season, sources)

    read.__name__ = name
    return read


@dataclass(frozen=True)
class LiveSource:
    name: str  # also the pool its raw asset fetches under
    label: str
    table: str  # the core table it supplies
    parser: str  # the module to fix when the site changes its layout
    raw_asset: str
    description: str  # the raw asset's
    url: Callable[[HttpClientResource, int], str]
    read: Callable[[int, LiveSources], SourceRows]
    # What the real page always holds (a regex on the lower-cased bytes, and its name): a 200 without it is
    # a challenge or error page (page_checks.py). None: a data file, which only must not be an HTML page.
    page_marker: tuple[bytes, str] | None = None
    one_file: bool = False  # one file holds every season: a run fetches (or replays) it once


LIVE_SOURCES: dict[str, LiveSource] = {
    source.name: source
    for source in (
        LiveSource(
            "nflverse",
            "nflverse games file",
            "standings",
            "analytics_assets/ingestion/nflverse.py",
            "raw_nflverse_games",
            "nflverse's games file (NFLVERSE_GAMES_URL), archived by sha256: one fetch serves every season of a run.",
            url=lambda http, season: http.nflverse_games_url.strip(),
            read=_reader("nflverse_standings"),
            one_file=True,
        ),
        LiveSource(
            "pfr",
            "Pro-Football-Reference",
            "standings",
            "analytics_assets/ingestion/pfr.py",
            "raw_pfr_season_page",
            "Pro-Football-Reference's season page /years/{season}/index.htm, archived by sha256.",
            url=lambda http, season: f"{http.resolved_pfr_base_url()}/years/{season}/index.htm",
            read=_reader("pfr_standings"),
            page_marker=(rb'id="(afc|nfc)"', "the AFC and NFC standings tables"),
        ),
        LiveSource(
            "spotrac",
            "Spotrac",
            "dead_cap",
            "analytics_assets/ingestion/spotrac.py",
            "raw_spotrac_cap_page",
            "Spotrac's team cap page /nfl/cap/{season}/, archived by sha256.",
            url=lambda http, season: f"{http.resolved_spotrac_base_url()}/nfl/cap/{season}/",
            read=_reader("spotrac_dead_cap"),
            # the column header: "Dead" and "Cap" sit in separate spans
            page_marker=(rb"dead(\s|<[^>]*>)*cap", "the team table's Dead Cap column"),
        ),
    )
}


def sources_of(table: str) -> list[str]:
    """The live sources that supply `table`, in declaration order."""
    return [s.name for s in LIVE_SOURCES.values() if s.table == table]


def raw_assets_of(table: str) -> list[str]:
    """The raw assets a core table's step reads from."""
    return [LIVE_SOURCES[name].raw_asset for name in sources_of(table)]
