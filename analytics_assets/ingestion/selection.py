"""Which source supplies each season of a run.

- A run started by the manual-import sensor loads the landing file named in its tags.
- Otherwise ANALYTICS_SOURCE decides: `embedded` (the package's facts only), `live` (standings
  from nflverse and PFR, reconciled; dead money from Spotrac; all through the raw archive) or
  `auto` (the default: embedded facts where the package has the season, live otherwise).
Every row carries its provenance: source (embedded | live | archive | manual), source_ref,
raw_sha256.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analytics_assets import settings
from analytics_assets.ingestion import embedded, live, manual_import, sources, standings_sources
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.ingestion.source_settings import standings_order
from analytics_assets.ingestion.sources import SourceRows
from analytics_assets.ingestion.standings_sources import CrossCheck


def embedded_has(table: str, season: int) -> bool:
    if table == "standings":
        return not embedded.standings(season)[0].empty
    return not embedded.dead_money(season)[0].empty and embedded.league_salary_cap(season) is not None


class SourcePlan:
    """The sources of one run (or of one direct call, with everything from the environment)."""

    def __init__(
        self,
        mode: str | None = None,
        http: HttpClientResource | None = None,
        run_id: str | None = None,
        tags: dict[str, str] | None = None,
        log_sink: Callable[[list[dict]], None] | None = None,
    ):
        self.mode = mode or settings.analytics_source()
        if self.mode not in settings.SOURCE_MODES:
            raise ValueError(f"Source mode {self.mode!r} is not one of {', '.join(settings.SOURCE_MODES)}.")
        self.http = http or HttpClientResource()
        self.run_id = run_id
        self.tags = dict(tags or {})
        self._log_sink = log_sink
        self._live: live.LiveSources | None = None
        self._manual: list[manual_import.LandingFile] = []
        self.cross_checks: dict[int, CrossCheck] = {}  # live standings seasons: how they were cross-checked

    @property
    def live(self) -> live.LiveSources:
        if self._live is None:
            self._live = live.LiveSources(self.http, self.run_id, self._log_sink)
        return self._live

    @property
    def requests_made(self) -> int:
        return self._live.requests_made if self._live else 0

    def choose(self, table: str, season: int) -> str:
        if manual_import.from_tags(self.tags, table, season) is not None:
            return "manual"
        if self.mode == "auto":
            return "embedded" if embedded_has(table, season) else "live"
        return self.mode

    def not_needed(self, source: str, season: int) -> str | None:
        """Why a raw step has nothing to fetch for `source` in `season` (None: it is needed)."""
        choice = self.choose(live.TABLE_OF[source], season)
        if choice == "embedded":
            return "not needed: embedded (the package ships this season's facts)"
        if choice == "manual":
            return "not needed: manual import"
        if live.TABLE_OF[source] == "standings" and source not in standings_order(self.http):
            return f"not needed: {source} is not in ANALYTICS_STANDINGS_SOURCES ({','.join(standings_order(self.http))})"
        return None

    def rows(self, table: str, season: int) -> SourceRows:
        choice = self.choose(table, season)
        if choice == "manual":
            file = manual_import.from_tags(self.tags, table, season)
            rows = manual_import.load(file)
            self._manual.append(file)
            return rows
        if choice == "embedded":
            return sources.embedded_standings(season) if table == "standings" else sources.embedded_dead_cap(season)
        if table == "dead_cap":
            return live.dead_cap(season, self.live)
        rows, self.cross_checks[season] = standings_sources.standings(season, self.live)
        return rows

    def after_write(self) -> list[Path]:
        """Once the seasons are stored: move loaded landing files to loaded/."""
        return [manual_import.mark_loaded(f) for f in self._manual]

    def after_refusal(self, seasons: set[int], message: str) -> None:
        """The gate refused these seasons: landing files that supplied them get the reason beside them."""
        for f in self._manual:
            if f.season in seasons:
                manual_import.reject_refused(f, message)

    def close(self) -> None:
        if self._live is not None:
            self._live.close()
