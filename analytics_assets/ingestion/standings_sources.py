"""Live standings from two independent sources: the first that answers serves, the next cross-checks.

ANALYTICS_STANDINGS_SOURCES orders them (default nflverse,pfr). Both answer: they are reconciled
team by team (`reconcile.py`); the first source's rows are stored and their `cross_check` names
the second source's page and how many teams agreed; a disagreement is reported through the
`sources_agree` rule and refuses the season. One fails (403, retries exhausted, a changed layout,
an unknown team, ...): the other serves alone, `cross_check` and the `sources_cross_checked` WARN
say the cross-check was skipped and why. Both fail: the season fails naming both failures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from analytics_assets import partitions, settings
from analytics_assets.ingestion import live, normalize
from analytics_assets.ingestion.errors import UNKNOWN_TEAM, SourceError, SourcesFailed
from analytics_assets.ingestion.http_resource import HttpClientResource
from analytics_assets.ingestion.reconcile import Reconciliation, reconcile
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES, sources_of
from analytics_assets.ingestion.sources import SeasonRefused, SourceRows
from analytics_assets.teams import UnknownTeamError

RECORD_COLUMNS = ["team", "games", "wins", "losses", "ties", "points_for", "points_against"]


@dataclass
class CrossCheck:
    """How a live season's standings were cross-checked."""

    season: int
    configured: list[str]
    served_by: str
    refs: dict[str, str] = field(default_factory=dict)  # source -> URL it was read from
    sha256: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # source -> why it did not answer
    reconciliation: Reconciliation | None = None

    @property
    def skipped_reason(self) -> str | None:
        if self.reconciliation is not None:
            return None
        if len(self.configured) == 1:
            return f"ANALYTICS_STANDINGS_SOURCES names {self.served_by} alone"
        return "; ".join(f"{LIVE_SOURCES[s].label} did not answer: {m}" for s, m in self.failures.items())

    def note(self) -> str:
        """The `cross_check` provenance of the stored rows (deterministic: no timestamps)."""
        rec = self.reconciliation
        if rec is None:
            return f"not cross-checked: {_first_sentence(self.skipped_reason or '')}"
        other = next(s for s in rec.names if s != self.served_by)
        return f"cross-checked with {other} {self.refs[other]} (sha256 {self.sha256[other]}): {rec.summary()}"


def _first_sentence(text: str, limit: int = 300) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 3] + "..."


def _records(rows: SourceRows, season: int) -> pd.DataFrame:
    """A source's rows in season codes, for comparing; an unknown team is that source failing."""
    try:
        frame = normalize.standings_rows(rows.raw, season, rows.code_source, rows.provenance)
    except UnknownTeamError as exc:
        kept = f" The raw page or file is kept at {rows.raw_path}." if rows.raw_path else ""
        raise SourceError(
            f"{exc} The team came from {rows.provenance.source_ref}.{kept}",
            season=season,
            url=rows.provenance.source_ref,
            archive_path=rows.raw_path,
            kind=UNKNOWN_TEAM,
            brief=str(exc).split(". ")[0],
        ) from exc
    return frame[RECORD_COLUMNS]


def standings_order(http: HttpClientResource) -> list[str]:
    """The configured standings sources, in order (the http resource's `standings_sources`)."""
    return settings.standings_sources(http.standings_sources, sources_of("standings"))


def standings(season: int, sources: live.LiveSources) -> SourceRows:
    """The season's standings from the first configured source that answers, cross-checked by the next
    (`checked` on the rows says how)."""
    order = standings_order(sources.http)
    answers: dict[str, tuple[SourceRows, pd.DataFrame]] = {}
    failures: dict[str, str] = {}
    errors: dict[str, SourceError] = {}
    refusals: list[SeasonRefused] = []
    for source in order:
        try:
            rows = LIVE_SOURCES[source].read(season, sources)
            answers[source] = (rows, _records(rows, season))
        except SourceError as exc:
            failures[source] = str(exc)
            errors[LIVE_SOURCES[source].label] = exc
        except SeasonRefused as exc:  # not the season asked for: this source fails, the other may serve
            failures[source] = f"its page is not season {season}: {exc}"
            refusals.append(exc)
    if not answers and refusals:
        # A source sent another season: reported through the identity rules, with why the rest did not answer.
        refused = refusals[0]
        others = "; ".join(
            f"{LIVE_SOURCES[s].label}: {_first_sentence(m)}"
            for s, m in failures.items()
            if not m.startswith("its page is not season")
        )
        if others:
            for result in refused.report.failed():
                result.message = f"{result.message} No other standings source answered either ({others}).".strip()
        raise refused
    if not answers:
        detail = " ".join(f"({i}) {LIVE_SOURCES[s].label}: {m}" for i, (s, m) in enumerate(failures.items(), 1))
        raise SourcesFailed(
            f"No standings source answered for season {season} (ANALYTICS_STANDINGS_SOURCES={','.join(order)}). "
            f"{detail}",
            errors,
            season=season,
            sources=",".join(order),
        )
    served_by = next(s for s in order if s in answers)
    check = CrossCheck(
        season,
        order,
        served_by,
        refs={s: a[0].provenance.source_ref for s, a in answers.items()},
        sha256={s: a[0].provenance.raw_sha256 for s, a in answers.items()},
        failures=failures,
    )
    if len(answers) == 2:
        first, second = order
        check.reconciliation = reconcile(
            answers[first][1],
            answers[second][1],
            season,
            in_progress=not partitions.is_completed(season),
            names=(first, second),
            refs=(check.refs[first], check.refs[second]),
        )
    rows = answers[served_by][0]
    # The stored rows are the serving source's, already in season codes.
    return dataclasses.replace(
        rows, raw=answers[served_by][1], code_source="nflverse", cross_check=check.note(), checked=check
    )
