"""The live sources: fetch (or replay from the raw archive), parse, and say where rows came from.

Fetch policy, per page URL:
- a completed season whose page is archived, fetched after the season completed, is never
  fetched again (unless `force_refetch`): its rows are re-parsed from the archived bytes, so a
  parser fix needs no new request; a copy fetched while the season was still being played is not
  reused for the completed season;
- the season in progress is fetched once per run (a second read in the same run replays it).
Every attempt is archived (when a body arrived) and handed to `log_sink` as nfl.scrape_log rows.

Inside a Dagster run the raw assets fetch (`fetch`, under their site's pool) and record what they
did in the run's fetch record; `standings` and `dead_cap` then only read the archive (`read`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

from analytics_assets import partitions
from analytics_assets.ingestion import embedded, nflverse, pfr, spotrac
from analytics_assets.ingestion.archive import ArchivedPage, RawArchive
from analytics_assets.ingestion.errors import (
    LAYOUT_CHANGED,
    NO_DATA,
    BotProtectionError,
    ChallengePageError,
    FetchError,
    HttpStatusError,
    LayoutChangedError,
    RedirectedError,
    ResponseTooLargeError,
    SourceError,
    fetch_kind,
    fold_attempts,
)
from analytics_assets.ingestion.fetch_record import ARCHIVED, FAILED, FETCHED, FetchOutcome, FetchRecord
from analytics_assets.ingestion.http_client import Attempt, HttpClientResource, PoliteClient
from analytics_assets.ingestion.normalize import Provenance
from analytics_assets.ingestion.page_checks import inspector as page_inspector
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES
from analytics_assets.ingestion.sources import SeasonRefused, SourceRows
from analytics_assets.quality.catalog import SourceIdentity


def scrape_log_rows(attempts: list[Attempt], *, run_id: str | None, season: int, source: str) -> list[dict]:
    """nfl.scrape_log rows, one per attempt."""
    return [
        {
            "fetched_at": a.fetched_at,
            "run_id": run_id,
            "season": season,
            "source": source,
            "url": a.url,
            "attempt": a.attempt,
            "status": a.status,
            "ok": a.ok,
            "error": a.error,
            "latency_ms": a.latency_ms,
            "bytes": a.size,
            "sha256": a.sha256,
        }
        for a in attempts
    ]


@dataclass(frozen=True)
class LivePage:
    page: ArchivedPage
    body: bytes
    fresh: bool  # fetched by this run (provenance "live"); False: replayed from the archive

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def final_url(self) -> str | None:
        return None  # where the bytes came from after redirects, when the client reports it

    @property
    def provenance_source(self) -> str:
        return "live" if self.fresh else "archive"


class LiveSources:
    """The live sources of one run: one client, one archive, one scrape log."""

    def __init__(
        self,
        http: HttpClientResource,
        run_id: str | None,
        log_sink: Callable[[list[dict]], None] | None = None,
        client: PoliteClient | None = None,
        landing_dir: str = "the landing folder (ANALYTICS_LANDING_DIR)",
    ):
        self.http = http
        self.landing_dir = landing_dir
        self.run_id = run_id
        self.archive = RawArchive(http.resolved_archive_dir())
        self._log_sink = log_sink
        self._client = client
        self.requests_made = 0
        self.record = FetchRecord(self.archive.root, run_id) if run_id else None
        self._parsed: dict[tuple[str, str], object] = {}  # (source, sha256) -> parsed file, parsed once per run

    @property
    def client(self) -> PoliteClient:
        if self._client is None:
            self._client = self.http.build_client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def manual_hint(self, table: str, season: int) -> str:
        return (
            f"To load the season by hand meanwhile, save it as CSV and drop it into "
            f"{self.landing_dir}/{table}_{season}.csv (format: README, 'Live sources and manual import')."
        )

    def _reusable(self, url: str, season: int) -> ArchivedPage | None:
        if self.http.force_refetch:
            return None
        if partitions.is_completed(season):
            # Only a copy fetched after the season completed holds the whole season.
            prior = self.archive.latest(url)
            if prior is not None and partitions.is_completed(season, datetime.fromisoformat(prior.fetched_at)):
                return prior
            return None
        if self.run_id is None:
            return None  # outside a run the season in progress is always fetched
        return self.archive.latest(url, run_id=self.run_id)

    def _record(self, attempts: list[Attempt], source: str, season: int) -> list[ArchivedPage | None]:
        self.requests_made += len(attempts)
        pages = [self.archive.put(a, source=source, season=season, run_id=self.run_id) for a in attempts]
        if self._log_sink is not None:
            self._log_sink(scrape_log_rows(attempts, run_id=self.run_id, season=season, source=source))
        return pages

    def fetch(self, source: str, season: int, url: str) -> LivePage:
        prior = self._reusable(url, season)
        if prior is not None:
            return LivePage(
                prior, self.archive.read(prior), fresh=self.run_id is not None and prior.run_id == self.run_id
            )
        try:
            result = self.client.get(url, inspect=page_inspector(source))
        except RedirectedError as exc:
            pages = self._record(exc.attempts, source, season)
            raise self._redirect_refusal(exc, source, season, pages) from exc
        except FetchError as exc:
            pages = self._record(exc.attempts, source, season)
            raise self._fetch_failure(exc, source, season, pages) from exc
        pages = self._record(result.attempts, source, season)
        assert pages[-1] is not None  # the successful attempt's page was archived
        return LivePage(pages[-1], result.body, fresh=True)

    def fetch_outcome(self, source: str, season: int, url: str) -> FetchOutcome:
        """What a raw step records: the page fetched or replayed, or why there is none (never raises a SourceError)."""
        try:
            got = self.fetch(source, season, url)
        except SourceError as exc:
            return FetchOutcome(source, season, FAILED, url, message=str(exc), facts=exc.metadata())
        except SeasonRefused as exc:  # a redirect: the core step reports it through the identity rules
            assert exc.identity is not None  # _identity_refusal sets it
            return FetchOutcome(
                source,
                season,
                FAILED,
                url,
                message=str(exc),
                facts={"raw_path": exc.report.raw_path or ""},
                refusal=asdict(exc.identity),
            )
        return FetchOutcome(source, season, FETCHED if got.fresh else ARCHIVED, url, page=asdict(got.page))

    def read(self, source: str, season: int, url: str) -> LivePage:
        """The page a core step parses: the one this run's raw step archived, else an archived one.

        Outside a Dagster run (a direct call) there is no raw step: the page is fetched here.
        """
        outcome = self.record.get(source, season) if self.record else None
        if outcome is not None and outcome.usable:
            assert outcome.page is not None  # a usable outcome carries its page
            page = ArchivedPage(**outcome.page)
            return LivePage(page, self.archive.read(page), fresh=outcome.status == FETCHED)
        if outcome is not None and outcome.refusal:
            raise self._identity_refusal(
                SourceIdentity(**outcome.refusal), source, season, outcome.facts.get("raw_path") or None
            )
        if outcome is not None and outcome.status == FAILED:
            raise SourceError(outcome.message, **outcome.facts)
        if self.run_id is None:
            return self.fetch(source, season, url)
        prior = self._reusable(url, season) if partitions.is_completed(season) else self.archive.latest(url)
        if prior is not None:
            return LivePage(prior, self.archive.read(prior), fresh=False)
        raise SourceError(
            f"No {LIVE_SOURCES[source].label} page for season {season} ({url}) is in the archive and this run did "
            f"not fetch one: "
            f"a run of {LIVE_SOURCES[source].table} alone reads the archive. Run the season_pipeline job for season "
            f"{season} "
            f"(it fetches first, as the daily schedule does). {self.manual_hint(LIVE_SOURCES[source].table, season)}",
            season=season,
            url=url,
            kind=NO_DATA,
            source=LIVE_SOURCES[source].label,
            brief=f"no page archived, and this run (of {LIVE_SOURCES[source].table} without its fetch) did not "
            f"fetch one",
        )

    def parsed(self, source: str, got: LivePage, parse: Callable[[], T]) -> T:
        key = (source, got.page.sha256)
        if key not in self._parsed:
            self._parsed[key] = parse()
        return cast(T, self._parsed[key])

    def _redirect_refusal(
        self, exc: RedirectedError, source: str, season: int, pages: list[ArchivedPage | None]
    ) -> SeasonRefused:
        """A redirect is the identity rule no_redirect failing: reported as a refused season, not a fetch error."""

        identity = SourceIdentity(
            requested_url=exc.url,
            final_url=exc.location,
            evidence=f"HTTP {exc.last_status} redirect to {exc.location}",
            page_read=False,
        )
        last_page = next((p for p in reversed(pages) if p is not None), None)
        return self._identity_refusal(identity, source, season, last_page.path if last_page else None)

    def _identity_refusal(
        self, identity: SourceIdentity, source: str, season: int, raw_path: str | None
    ) -> SeasonRefused:
        from analytics_assets.quality import rules

        report = rules.check_source(LIVE_SOURCES[source].table, season, partitions.is_completed(season), identity)
        report.source, report.source_ref, report.raw_path = "live", identity.requested_url or "", raw_path
        refused = SeasonRefused(report)
        refused.identity = identity  # kept so a raw step can hand the refusal to the core step
        return refused

    def _fetch_failure(
        self, exc: FetchError, source: str, season: int, pages: list[ArchivedPage | None]
    ) -> SourceError:
        label, table = LIVE_SOURCES[source].label, LIVE_SOURCES[source].table
        last_page = next((p for p in reversed(pages) if p is not None), None)
        archived = f" The last response is archived at {last_page.path}." if last_page else ""
        logged = f" Every attempt is recorded in nfl.scrape_log (run {self.run_id})." if self.run_id else ""
        # Why the season was fetched at all: its archived copy could not be used.
        problems = self.archive.replay_problems.get(exc.url)
        unusable = (
            f" The archived copy could not be used, so the page was fetched again: {'; '.join(problems)}."
            if problems
            else ""
        )
        archived += unusable
        if isinstance(exc, ChallengePageError):
            message = (
                f"{label} answered the request for season {season} with a bot-protection challenge instead of the page "
                f"(HTTP {exc.last_status} at {exc.url}): {exc.attempts[-1].error}. This is bot protection, not a "
                f"parser "
                f"problem; it was not retried.{archived} The challenge page is kept for inspection apart from the good "
                f"archive and is never replayed: the next run fetches the page again. Wait a few hours and make sure "
                f"ANALYTICS_USER_AGENT identifies you. {self.manual_hint(table, season)}"
            )
        elif isinstance(exc, ResponseTooLargeError):
            message = (
                f"{label} page for season {season} at {exc.url} is too large: {exc.attempts[-1].error}. It was not "
                f"retried and nothing was kept.{unusable} A real page is well under 1 MB: check the base URL (it may "
                f"point "
                f"at a file or a stream), or raise the http resource's max_response_bytes if the page really grew. "
                f"{self.manual_hint(table, season)}"
            )
        elif isinstance(exc, BotProtectionError):
            message = (
                f"{label} refused the request for season {season} with HTTP 403 (bot protection) at {exc.url}; it was "
                f"not retried.{archived} Do not retry in a loop: wait a few hours and make sure ANALYTICS_USER_AGENT "
                f"identifies you. {self.manual_hint(table, season)}"
            )
        elif isinstance(exc, HttpStatusError):
            message = (
                f"{label} has no page for season {season}: {exc}{archived} Check {source.upper()}_BASE_URL and that "
                f"the season's page exists yet. {self.manual_hint(table, season)}"
            )
        else:
            message = (
                f"{label} page for season {season} could not be fetched: {exc}{archived}{logged} The site may be down, "
                f"slow or throttling us: re-materialize later. A deadline error means the response did not complete "
                f"within the http resource's total_timeout_s. {self.manual_hint(table, season)}"
            )
        return SourceError(
            message,
            season=season,
            url=exc.url,
            attempts=len(exc.attempts),
            last_status=exc.last_status,
            archive_path=last_page.path if last_page else None,
            kind=fetch_kind(exc),
            source=label,
            brief=fold_attempts(exc.attempts),
        )

    def layout_failure(self, exc: LayoutChangedError, got: LivePage, source: str) -> SourceError:
        table = LIVE_SOURCES[source].table
        return SourceError(
            f"{exc} The raw page is archived at {got.page.path} (sha256 {got.page.sha256}, fetched "
            f"{got.page.fetched_at}). If the site changed its layout, fix {LIVE_SOURCES[source].parser} and "
            f"re-materialize: the "
            "archived page is parsed again with no new request. If the page itself is bad, fetch it again with the "
            f"http resource's force_refetch: true. {self.manual_hint(table, exc.season)}",
            season=exc.season,
            url=exc.url,
            expected=exc.expected,
            found=exc.found,
            archive_path=got.page.path,
            kind=LAYOUT_CHANGED,
            source=LIVE_SOURCES[source].label,
            brief=f"layout changed: expected {exc.expected}; found {exc.found}"[:200],
        )


def _now() -> datetime:
    return datetime.now(UTC)


T = TypeVar("T")


def _proven(table: str, season: int, url: str, got: LivePage, claim: tuple[int | None, str]) -> SourceIdentity:
    """The page must say it is the season asked for before its rows are parsed; otherwise the season is refused."""
    from analytics_assets.quality import rules

    identity = SourceIdentity(requested_url=url, final_url=got.final_url, claimed_season=claim[0], evidence=claim[1])
    report = rules.check_source(table, season, partitions.is_completed(season), identity)
    if not report.passed:
        report.source, report.source_ref, report.raw_path = got.provenance_source, url, got.page.path
        raise SeasonRefused(report)
    return identity


def pfr_standings(season: int, live: LiveSources) -> SourceRows:
    url = LIVE_SOURCES["pfr"].url(live.http, season)
    got = live.read("pfr", season, url)
    identity = _proven("standings", season, url, got, pfr.page_season(got.text))
    try:
        raw = pfr.parse_standings(got.text, season, url)
    except LayoutChangedError as exc:
        raise live.layout_failure(exc, got, "pfr") from exc
    provenance = Provenance(got.provenance_source, url, got.page.sha256, _now())
    return SourceRows(raw, pfr.CODE_SOURCE, provenance, raw_path=got.page.path, identity=identity)


def nflverse_standings(season: int, live: LiveSources) -> SourceRows:
    url = LIVE_SOURCES["nflverse"].url(live.http, season)
    got = live.read("nflverse", season, url)
    try:
        games = live.parsed("nflverse", got, lambda: nflverse.parse_games(got.text, season, url))
    except LayoutChangedError as exc:
        raise live.layout_failure(exc, got, "nflverse") from exc
    raw = nflverse.season_standings(games, season)
    if raw.empty:
        played = nflverse.seasons_played(games)
        raise SourceError(
            f"The {LIVE_SOURCES['nflverse'].label} ({url}, archived at {got.page.path}) has no regular-season game "
            f"played in season "
            f"{season}; it has played games for {min(played) if played else '-'}-{max(played) if played else '-'}. "
            f"If the "
            "season has not kicked off yet there is nothing to store; otherwise check NFLVERSE_GAMES_URL.",
            season=season,
            url=url,
            archive_path=got.page.path,
            kind=NO_DATA,
            source=LIVE_SOURCES["nflverse"].label,
            brief=f"the file has no regular-season game of {season} played",
        )
    # One file holds every season: it proves the season by holding its games (and by not being a redirect).
    claim = (
        season,
        f"{int(raw['games'].sum()) // 2} regular-season games of {season} played in the file's season column",
    )
    identity = _proven("standings", season, url, got, claim)
    provenance = Provenance(got.provenance_source, url, got.page.sha256, _now())
    return SourceRows(raw, nflverse.CODE_SOURCE, provenance, raw_path=got.page.path, identity=identity)


def spotrac_dead_cap(season: int, live: LiveSources) -> SourceRows:
    url = LIVE_SOURCES["spotrac"].url(live.http, season)
    got = live.read("spotrac", season, url)
    identity = _proven("dead_cap", season, url, got, spotrac.page_season(got.text, embedded.league_salary_caps()))
    try:
        page = spotrac.parse_dead_cap(got.text, season, url)
    except LayoutChangedError as exc:
        raise live.layout_failure(exc, got, "spotrac") from exc
    # The official figure where the package has it; otherwise the cap the page states.
    cap = embedded.league_salary_cap(season)
    if cap is None:
        cap = page.cap_maximum_musd
    if cap is None:
        raise SourceError(
            f"No league salary cap is known for season {season}: the Spotrac page ({url}, archived at {got.page.path}) "
            f"states no CAP MAXIMUM and analytics_assets/embedded/{embedded.SALARY_CAP_FILE} has no row for {season}. "
            f"Add the official figure to that file, or import the season by hand with a league_salary_cap_musd column. "
            f"{live.manual_hint('dead_cap', season)}",
            season=season,
            url=url,
            archive_path=got.page.path,
            kind=NO_DATA,
            source=LIVE_SOURCES["spotrac"].label,
            brief=f"no league salary cap known for {season} (neither the page nor the package states it)",
        )
    provenance = Provenance(got.provenance_source, url, got.page.sha256, _now())
    return SourceRows(
        page.rows, spotrac.CODE_SOURCE, provenance, league_cap_musd=cap, raw_path=got.page.path, identity=identity
    )
