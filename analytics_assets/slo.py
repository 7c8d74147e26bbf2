"""The scraper's SLO: 99.9% of scrape attempts succeed, measured over a rolling 30 days.

Every HTTP attempt against a live source is a row of nfl.scrape_log (retries included, so a page
fetched on the second try counts one failure). The error budget is the failures the target allows
over the window: (1 - 0.999) x attempts. `error_budget_remaining` is the fraction of it left, 1.0
untouched, 0 spent, negative overspent.

The functions here are pure (counts in, numbers out) or read the table and nothing else; the report
calls `scrape_slo` / `scrape_slo_by_source` / `slo_markdown`, and the asset check `scraper_slo`
(analytics_assets/defs/monitoring/slo.py) shows them in the Dagster UI on `standings`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb as duckdb_lib

from analytics_assets.storage import SCHEMA

SLO_TARGET = 0.999
SLO_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ScrapeSlo:
    window_start: datetime
    window_end: datetime
    attempts: int
    successes: int
    target: float = SLO_TARGET

    @property
    def failures(self) -> int:
        return self.attempts - self.successes

    @property
    def success_rate(self) -> float | None:
        """Successful attempts / attempts; None when nothing was attempted in the window."""
        return self.successes / self.attempts if self.attempts else None

    @property
    def allowed_failures(self) -> float:
        """The error budget in attempts: how many may fail in the window with the SLO still met."""
        return (1.0 - self.target) * self.attempts

    @property
    def failures_remaining(self) -> float:
        return self.allowed_failures - self.failures

    @property
    def error_budget_remaining(self) -> float:
        """Fraction of the error budget left: 1.0 untouched, 0.0 spent, below 0 overspent."""
        if self.failures == 0:
            return 1.0
        if self.allowed_failures == 0:
            return -math.inf
        return 1.0 - self.failures / self.allowed_failures

    @property
    def met(self) -> bool:
        return self.success_rate is None or self.success_rate >= self.target

    def as_dict(self) -> dict:
        return {
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "attempts": self.attempts,
            "successes": self.successes,
            "failures": self.failures,
            "success_rate": self.success_rate,
            "target": self.target,
            "allowed_failures": self.allowed_failures,
            "error_budget_remaining": self.error_budget_remaining,
            "met": self.met,
        }


def _window(now: datetime | None, window: timedelta) -> tuple[datetime, datetime]:
    end = now or datetime.now(UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end - window, end


def slo_from_attempts(
    attempts: Iterable[tuple[datetime, bool]],
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
) -> ScrapeSlo:
    """The SLO over (fetched_at, ok) pairs: only attempts in (now - window, now] count."""
    start, end = _window(now, window)
    total = ok = 0
    for fetched_at, success in attempts:
        at = fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)
        if start < at <= end:
            total += 1
            ok += bool(success)
    return ScrapeSlo(start, end, total, ok, target)


_COUNTS_SQL = f"""
SELECT {{group}} count(*) AS attempts, count(*) FILTER (WHERE ok) AS successes
FROM {SCHEMA}.scrape_log
WHERE fetched_at > ?::TIMESTAMPTZ AND fetched_at <= ?::TIMESTAMPTZ {{filter}}
{{group_by}}
"""


def scrape_slo(
    conn: duckdb_lib.DuckDBPyConnection,
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
    source: str | None = None,
) -> ScrapeSlo:
    """The SLO of every scrape attempt in nfl.scrape_log (or one source's) over the window."""
    start, end = _window(now, window)
    sql = _COUNTS_SQL.format(group="", filter="AND source = ?" if source else "", group_by="")
    row = conn.execute(sql, [start, end] + ([source] if source else [])).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    attempts, successes = row
    return ScrapeSlo(start, end, int(attempts), int(successes), target)


def scrape_slo_by_source(
    conn: duckdb_lib.DuckDBPyConnection,
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
) -> dict[str, ScrapeSlo]:
    start, end = _window(now, window)
    sql = _COUNTS_SQL.format(group="source,", filter="", group_by="GROUP BY source ORDER BY source")
    return {src: ScrapeSlo(start, end, int(n), int(ok), target) for src, n, ok in conn.execute(sql, [start, end]).fetchall()}


def format_pct(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def format_budget(slo: ScrapeSlo) -> str:
    if slo.attempts == 0:
        return "100% (no attempts)"
    if slo.error_budget_remaining == -math.inf:
        return "exhausted"
    return f"{slo.error_budget_remaining * 100:.1f}%"


def slo_markdown(overall: ScrapeSlo, by_source: Mapping[str, ScrapeSlo] | None = None) -> str:
    """A Markdown table of the SLO, overall and per source, for the report and the UI."""
    days = round((overall.window_end - overall.window_start).total_seconds() / 86400)
    lines = [
        f"Scraper SLO: {format_pct(overall.target, 1)} of scrape attempts succeed over {days} days.",
        "",
        "| source | attempts | failures | success rate | error budget left | SLO |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, slo in [("all sources", overall), *sorted((by_source or {}).items())]:
        status = "met" if slo.met else "BREACHED"
        lines.append(f"| {name} | {slo.attempts} | {slo.failures} | {format_pct(slo.success_rate)} | {format_budget(slo)} | {status} |")
    return "\n".join(lines)
