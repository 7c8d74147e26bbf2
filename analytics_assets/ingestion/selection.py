"""Which source supplies each season of a run.

- A run started by the manual-import sensor loads the landing file named in its tags.
- Otherwise ANALYTICS_SOURCE decides: `embedded` (the package's facts only), `live` (standings
  from nflverse and PFR, reconciled; dead money from Spotrac; all through the raw archive) or
  `auto` (the default: embedded facts where the package has the season, live otherwise).
Every row carries its provenance: source (embedded | live | archive | manual), source_ref,
raw_sha256.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from analytics_assets import settings
from analytics_assets.ingestion import live, manual_import
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.sources import SourceRows
from analytics_assets.ingestion.table_sources import CORE_TABLES
from analytics_assets.settings import AnalyticsSettings


class SourcePlan:
    """The sources of one run (or of one direct call, with the settings the environment has now)."""

    def __init__(
        self,
        http: HttpClientResource | None = None,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        log_sink: Callable[[list[dict]], None] | None = None,
        config: AnalyticsSettings | None = None,
    ):
        self.config = config or settings.current()
        self.mode = self.config.source_mode
        self.http = http or settings.from_environment(HttpClientResource, bind=False)
        self.run_id = run_id
        self.tags = dict(tags or {})
        self._log_sink = log_sink
        self._live: live.LiveSources | None = None
        self._manual: list[manual_import.LandingFile] = []

    @property
    def live(self) -> live.LiveSources:
        if self._live is None:
            self._live = live.LiveSources(
                self.http, self.run_id, self._log_sink, landing_dir=str(self.config.landing_path)
            )
        return self._live

    @property
    def requests_made(self) -> int:
        return self._live.requests_made if self._live else 0

    def choose(self, table: str, season: int) -> str:
        if manual_import.from_tags(self.tags, table, season) is not None:
            return "manual"
        if self.mode == "auto":
            return "embedded" if CORE_TABLES[table].has_embedded(season) else "live"
        return self.mode

    def not_needed(self, source: str, season: int) -> str | None:
        """Why a raw step has nothing to fetch for `source` in `season` (None: it is needed); the raw
        step reports it as "not needed: <why>"."""
        table = CORE_TABLES[live.LIVE_SOURCES[source].table]
        choice = self.choose(table.name, season)
        if choice == "embedded":
            return "embedded (the package ships this season's facts)"
        if choice == "manual":
            return "manual import"
        asked = table.live_sources(self.http)
        if source not in asked:
            return f"{source} is not among the {table.name} sources this run asks ({','.join(asked)})"
        return None

    def rows(self, table: str, season: int) -> SourceRows:
        choice = self.choose(table, season)
        if choice == "manual":
            file = manual_import.from_tags(self.tags, table, season)
            assert file is not None  # choose() picks "manual" only for a run that names a landing file
            rows = manual_import.load(file, self.config.landing_max_bytes)
            self._manual.append(file)
            return rows
        if choice == "embedded":
            return CORE_TABLES[table].embedded(season)
        return CORE_TABLES[table].live(season, self.live)

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
