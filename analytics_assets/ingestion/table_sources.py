"""What supplies each core table, declared once per table.

Every source answers the same question, "this table's rows for this season", as `SourceRows` (the
source's own columns and team codes, plus provenance); `to_rows` turns them into the stored table's
rows. The sources are:
- embedded: the package's facts (`embedded`, `has_embedded`);
- live: the table's live sites (`live`; the sites themselves are declared in live.LIVE_SOURCES);
- manual: a CSV file from the landing folder (its format is declared in manual_import.FORMATS).
Which one serves a season is chosen by configuration (selection.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analytics_assets.ingestion import live, normalize, sources, standings_sources
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.sources import SourceRows


@dataclass(frozen=True)
class CoreTable:
    name: str
    has_embedded: Callable[[int], bool]
    embedded: Callable[[int], SourceRows]  # raises NoSourceDataError when the package lacks the season
    live: Callable[[int, live.LiveSources], SourceRows]
    live_sources: Callable[[HttpClientResource], list[str]]  # the live sites asked, in order
    to_rows: Callable[[SourceRows, int], pd.DataFrame]


def _standings_rows(rows: SourceRows, season: int) -> pd.DataFrame:
    return normalize.standings_rows(rows.raw, season, rows.code_source, rows.provenance, rows.cross_check)


def _dead_cap_rows(rows: SourceRows, season: int) -> pd.DataFrame:
    return normalize.dead_cap_rows(rows.raw, season, rows.code_source, rows.league_cap_musd, rows.provenance)


CORE_TABLES: dict[str, CoreTable] = {
    table.name: table
    for table in (
        CoreTable(
            "standings",
            sources.has_embedded_standings,
            sources.embedded_standings,
            # nflverse and PFR, the first that answers serves and the next cross-checks (ANALYTICS_STANDINGS_SOURCES)
            live=standings_sources.standings,
            live_sources=standings_sources.standings_order,
            to_rows=_standings_rows,
        ),
        CoreTable(
            "dead_cap",
            sources.has_embedded_dead_cap,
            sources.embedded_dead_cap,
            live=live.LIVE_SOURCES["spotrac"].read,
            live_sources=lambda http: ["spotrac"],
            to_rows=_dead_cap_rows,
        ),
    )
}
