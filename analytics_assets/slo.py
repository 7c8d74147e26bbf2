"""The scraper's SLO: 99.9% of scrape attempts succeed, measured over a rolling 30 days, and its burn-rate alerts.

Every HTTP attempt against a live source is a row of nfl.scrape_log (retries included, so a page
fetched on the second try counts one failure). The error budget is the failures the target allows
over the window: (1 - 0.999) x attempts. The budget left is a share of it between 100% (untouched)
and 0%: once the failures reach the allowance the budget is "exhausted", said in words with the
counts, never as a negative percentage. Without attempts there is no budget and nothing to judge:
"n/a, no attempts".

Whether anyone should act is a separate question, answered by burn rates (`BURN_RATE_ALERTS`).

Arithmetic is exact (fractions: 1 - 0.999 is 1/1000 here, not 0.0010000000000000009), and every
figure is rounded once, when shown, towards the worse side: a success rate and the budget left are
rounded down, a burn rate up. So a rounded figure never looks better than the truth and never
contradicts the verdict beside it (99.8996% reads 99.899%, below a 99.9% target; a burn rate of
14.41 reads 14.5x, above a 14.4x threshold). Success rates show 3 decimals of a percent, the budget
left 1, burn rates 1 (a trailing .0 dropped); allowed failures are exact ((1 - 0.999) x 12 = 0.012).
Metadata floats carry the same rounded figures (as fractions of 1 where the text shows a percent).

The functions here are pure (counts and timestamps in, numbers out) or read the table and nothing
else; the report calls `scrape_slo` / `scrape_slo_by_source` / `slo_markdown`, and the asset check
`scraper_slo` (analytics_assets/defs/monitoring/slo.py) shows them in the Dagster UI on `standings`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import duckdb as duckdb_lib

from analytics_assets.storage import SCHEMA

SLO_TARGET = 0.999
SLO_WINDOW = timedelta(days=30)
NO_ATTEMPTS = "n/a, no attempts"


@dataclass(frozen=True)
class BurnRateAlert:
    """An alert that fires when the burn rate over `long` AND over `short` both exceed `threshold`.

    A multiwindow, multi-burn-rate alert of the Google SRE workbook, chapter "Alerting on SLOs"
    (https://sre.google/workbook/alerting-on-slos/): the long window makes it precise (a short
    blip spends too little budget to fire it), the short one makes it reset soon after the failures
    stop. The threshold is the burn rate that spends `budget_share` of the whole SLO window's error
    budget within the long window: budget_share x SLO window / long window (2% in 1 h: 14.4x).
    """

    severity: str  # "page" fails the scraper_slo check; "ticket" is reported beside it
    long: timedelta
    short: timedelta
    budget_share: str  # a decimal string, kept exact

    @property
    def threshold(self) -> Fraction:
        return Fraction(self.budget_share) * Fraction(
            SLO_WINDOW // timedelta(seconds=1), self.long // timedelta(seconds=1)
        )


# Multiwindow, multi-burn-rate alerts, as recommended for a 99.9% SLO over 30 days by the Google SRE
# workbook, chapter "Alerting on SLOs" (https://sre.google/workbook/alerting-on-slos/, table
# "Recommended parameters"). Burn rate = the error rate in a window / (1 - SLO target): 1x spends
# the budget exactly over the 30 days, 14.4x spends 2% of it in an hour. A long window alone is
# precise but slow to reset (an outage keeps it firing for up to an hour after recovery); the short
# window, 1/12 of the long one, must burn too, so the alert stops soon after the failures stop.
#
# This scraper is low-traffic (a daily run makes a few attempts), which the workbook warns about:
# one failed attempt among four is a 25% error rate, a 250x burn rate. So:
# - a window without attempts burns nothing (0x): no traffic, no evidence of a problem;
# - an alert needs failures inside its short window, i.e. among the latest attempts: it fires in the
#   run where they happen (the check is evaluated at the end of each standings step), and an
#   isolated failure followed by recovery (successes, or silence, for 5 minutes / 30 minutes) stops
#   firing by itself: the next evaluation passes, while the 30-day SLO and budget keep the failure;
# - the ticket pair would fire for 6 hours after any failure at this traffic, so it is reported
#   (description, metadata, report) but only a page fails the check.
BURN_RATE_ALERTS: tuple[BurnRateAlert, ...] = (
    BurnRateAlert("page", timedelta(hours=1), timedelta(minutes=5), budget_share="0.02"),  # 14.4x
    BurnRateAlert("page", timedelta(hours=6), timedelta(minutes=30), budget_share="0.05"),  # 6x
    BurnRateAlert("ticket", timedelta(days=3), timedelta(hours=6), budget_share="0.10"),  # 1x
)
FAILING_SEVERITY = "page"  # the severity whose alerts fail the scraper_slo check
ALERT_WINDOWS: tuple[timedelta, ...] = tuple(sorted({w for a in BURN_RATE_ALERTS for w in (a.long, a.short)}))


def _allowance(target: float) -> Fraction:
    """1 - target, exact: the share of attempts allowed to fail."""
    return 1 - Fraction(repr(target))


def _exact(value: float | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(repr(value))


def _fixed(value: Fraction, digits: int, up: bool = False) -> str:
    """`value` with `digits` decimals, rounded down (or up)."""
    scaled = value * 10**digits
    return f"{Decimal(math.ceil(scaled) if up else math.floor(scaled)).scaleb(-digits):f}"


def _decimal(value: Fraction) -> str:
    """An exact decimal, no trailing zeros (allowed failures: (1 - 0.999) x attempts terminates)."""
    return f"{(Decimal(value.numerator) / Decimal(value.denominator)).normalize():f}"


def window_label(window: timedelta) -> str:
    """5 min, 1 h, 3 d."""
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@dataclass(frozen=True)
class WindowBurn:
    """The attempts and failures of one alert window ending now, and its burn rate."""

    window: timedelta
    attempts: int
    failures: int
    target: float = SLO_TARGET

    @property
    def burn_rate(self) -> Fraction:
        """Error rate in the window / (1 - target); 0 for a window without attempts (no burn)."""
        if not self.attempts:
            return Fraction(0)
        return Fraction(self.failures, self.attempts) / _allowance(self.target)

    @property
    def burn_rate_rounded(self) -> float:
        """The burn rate rounded up to 0.1 (as shown)."""
        return float(Fraction(math.ceil(self.burn_rate * 10), 10))

    def text(self) -> str:
        """ "1 h 250x", or "5 min 0x (no attempts)"."""
        return f"{window_label(self.window)} {format_burn(self.burn_rate)}" + (
            "" if self.attempts else " (no attempts)"
        )


@dataclass(frozen=True)
class AlertState:
    """One burn-rate alert evaluated: the burn of its long and short windows against its threshold."""

    alert: BurnRateAlert
    long: WindowBurn
    short: WindowBurn

    @property
    def firing(self) -> bool:
        return self.long.burn_rate > self.alert.threshold and self.short.burn_rate > self.alert.threshold

    def text(self) -> str:
        """ "1 h 250x and 5 min 250x, page threshold 14.4x"."""
        return (
            f"{self.long.text()} and {self.short.text()}, {self.alert.severity} threshold "
            f"{format_burn(self.alert.threshold)}"
        )


def alert_states(
    burn: Sequence[WindowBurn], alerts: Sequence[BurnRateAlert] = BURN_RATE_ALERTS
) -> tuple[AlertState, ...]:
    """Every alert against the windows' burn (an alert whose windows were not counted is left out)."""
    by_window = {b.window: b for b in burn}
    return tuple(
        AlertState(a, by_window[a.long], by_window[a.short])
        for a in alerts
        if a.long in by_window and a.short in by_window
    )


@dataclass(frozen=True)
class ScrapeSlo:
    window_start: datetime
    window_end: datetime
    attempts: int
    successes: int
    target: float = SLO_TARGET
    burn: tuple[WindowBurn, ...] = ()  # the alert windows, each ending at window_end

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise ValueError(
                f"an SLO target is between 0 and 1 exclusive (a 100% target has no error budget), got {self.target}"
            )

    @property
    def failures(self) -> int:
        return self.attempts - self.successes

    @property
    def days(self) -> int:
        return round((self.window_end - self.window_start).total_seconds() / 86400)

    @property
    def success_ratio(self) -> Fraction | None:
        """Successful attempts / attempts, exact; None when nothing was attempted in the window."""
        return Fraction(self.successes, self.attempts) if self.attempts else None

    @property
    def success_rate(self) -> float | None:
        """Successful attempts / attempts, rounded down to 0.001% (as shown); None without attempts."""
        ratio = self.success_ratio
        return None if ratio is None else float(Fraction(math.floor(ratio * 10**5), 10**5))

    @property
    def allowed(self) -> Fraction:
        """The error budget in attempts, exact: (1 - target) x attempts."""
        return _allowance(self.target) * self.attempts

    @property
    def allowed_failures(self) -> float:
        """The error budget in attempts: how many may fail in the window with the SLO still met."""
        return float(self.allowed)

    @property
    def failures_remaining(self) -> float:
        """Failures the budget still allows, never below 0."""
        return float(max(self.allowed - self.failures, Fraction(0)))

    @property
    def budget_exhausted(self) -> bool:
        """The failures reached the allowance (at exactly the allowance the SLO is still met, the budget spent)."""
        return self.failures > 0 and self.failures >= self.allowed

    @property
    def error_budget_remaining(self) -> float | None:
        """Share of the error budget left, 1.0 untouched to 0.0 spent (never below), rounded down to
        0.1%; None without attempts (no budget: nothing spent, nothing to judge)."""
        if not self.attempts:
            return None
        if not self.failures:
            return 1.0
        left = max(1 - self.failures / self.allowed, Fraction(0))
        return float(Fraction(math.floor(left * 1000), 1000))

    @property
    def met(self) -> bool | None:
        """The SLO over the window; None without attempts (not evaluable, not "met" by default)."""
        ratio = self.success_ratio
        return None if ratio is None else ratio >= Fraction(repr(self.target))

    @property
    def status(self) -> str:
        return {True: "met", False: "BREACHED", None: NO_ATTEMPTS}[self.met]

    @property
    def alerts(self) -> tuple[AlertState, ...]:
        return alert_states(self.burn)

    @property
    def alert_firing(self) -> bool:
        """A page: the check's verdict."""
        return any(s.firing for s in self.alerts if s.alert.severity == FAILING_SEVERITY)

    def burn_of(self, window: timedelta) -> WindowBurn | None:
        return next((b for b in self.burn if b.window == window), None)

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
            "error_budget": format_budget(self),
            "status": self.status,
            "burn_rates": {window_label(b.window): b.burn_rate_rounded for b in self.burn},
            "alerts": [{"severity": s.alert.severity, "text": s.text(), "firing": s.firing} for s in self.alerts],
        }


def _window(now: datetime | None, window: timedelta) -> tuple[datetime, datetime]:
    end = now or datetime.now(UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end - window, end


def burn_from_attempts(
    attempts: Iterable[tuple[datetime, bool]],
    now: datetime,
    windows: Sequence[timedelta] = ALERT_WINDOWS,
    target: float = SLO_TARGET,
) -> tuple[WindowBurn, ...]:
    """Each window's attempts and failures among (fetched_at, ok) pairs: those in (now - window, now]."""
    end = now if now.tzinfo else now.replace(tzinfo=UTC)
    seen = [(at if at.tzinfo else at.replace(tzinfo=UTC), bool(ok)) for at, ok in attempts]
    burn = []
    for window in windows:
        inside = [ok for at, ok in seen if end - window < at <= end]
        burn.append(WindowBurn(window, len(inside), inside.count(False), target))
    return tuple(burn)


def slo_from_attempts(
    attempts: Iterable[tuple[datetime, bool]],
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
) -> ScrapeSlo:
    """The SLO over (fetched_at, ok) pairs: only attempts in (now - window, now] count; with the
    alert windows' burn rates, ending at now too."""
    start, end = _window(now, window)
    attempts = list(attempts)
    (overall,) = burn_from_attempts(attempts, end, [window], target)
    return ScrapeSlo(
        start,
        end,
        overall.attempts,
        overall.attempts - overall.failures,
        target,
        burn_from_attempts(attempts, end, ALERT_WINDOWS, target),
    )


def _counts_sql(windows: Sequence[timedelta], by_source: bool, source: bool) -> str:
    counts = ", ".join(
        "count(*) FILTER (WHERE fetched_at > ?::TIMESTAMPTZ), count(*) FILTER (WHERE ok AND fetched_at > "
        "?::TIMESTAMPTZ)"
        for _ in windows
    )
    return (
        f"SELECT {'source, ' if by_source else ''}{counts} FROM {SCHEMA}.scrape_log "
        f"WHERE fetched_at > ?::TIMESTAMPTZ AND fetched_at <= ?::TIMESTAMPTZ{' AND source = ?' if source else ''}"
        + (
            " GROUP BY source HAVING count(*) FILTER (WHERE fetched_at > ?::TIMESTAMPTZ) > 0 ORDER BY source"
            if by_source
            else ""
        )
    )


def _read_counts(
    conn: duckdb_lib.DuckDBPyConnection,
    end: datetime,
    window: timedelta,
    target: float,
    source: str | None,
    by_source: bool,
) -> list[tuple[str | None, ScrapeSlo]]:
    """One query: the SLO window's and every alert window's attempts and successes (per source if asked)."""
    windows = [window, *ALERT_WINDOWS]
    starts = [end - w for w in windows]
    params: list = (
        [s for s in starts for _ in range(2)]
        + [min(starts), end]
        + ([source] if source else [])
        + ([end - window] if by_source else [])
    )
    rows = conn.execute(_counts_sql(windows, by_source, bool(source)), params).fetchall()
    out = []
    for row in rows:
        name, counts = (row[0], row[1:]) if by_source else (None, row)
        pairs = [(int(counts[2 * i]), int(counts[2 * i + 1])) for i in range(len(windows))]
        (attempts, successes), alert_pairs = pairs[0], pairs[1:]
        burn = tuple(WindowBurn(w, n, n - ok, target) for w, (n, ok) in zip(ALERT_WINDOWS, alert_pairs, strict=True))
        out.append((name, ScrapeSlo(end - window, end, attempts, successes, target, burn)))
    return out


def scrape_slo(
    conn: duckdb_lib.DuckDBPyConnection,
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
    source: str | None = None,
) -> ScrapeSlo:
    """The SLO of every scrape attempt in nfl.scrape_log (or one source's) over the window, with the
    alert windows' burn rates."""
    _, end = _window(now, window)
    ((_, slo),) = _read_counts(
        conn, end, window, target, source, by_source=False
    )  # an aggregate without GROUP BY: one row
    return slo


def scrape_slo_by_source(
    conn: duckdb_lib.DuckDBPyConnection,
    now: datetime | None = None,
    window: timedelta = SLO_WINDOW,
    target: float = SLO_TARGET,
) -> dict[str, ScrapeSlo]:
    """Each source with attempts in the window: its SLO and burn rates."""
    _, end = _window(now, window)
    return {str(name): slo for name, slo in _read_counts(conn, end, window, target, None, by_source=True)}


def format_pct(value: float | Fraction | None, digits: int = 3) -> str:
    """A share as a percentage, rounded down to `digits` decimals; "n/a" for None."""
    return "n/a" if value is None else f"{_fixed(_exact(value) * 100, digits)}%"


def format_burn(rate: float | Fraction) -> str:
    """A burn rate rounded up to 0.1, a trailing .0 dropped: 250x, 14.4x, 333.4x, 0x."""
    return _fixed(_exact(rate), 1, up=True).rstrip("0").rstrip(".") + "x"


def _failed_attempts(n: int) -> str:
    return f"{n} failed attempt{'' if n == 1 else 's'}"


def format_budget(slo: ScrapeSlo) -> str:
    """The error budget left: "60.0%", "exhausted: 12 failed attempts against 0.012 allowed over 30
    days", or "n/a, no attempts"."""
    if not slo.attempts:
        return NO_ATTEMPTS
    if slo.budget_exhausted:
        return (
            f"exhausted: {_failed_attempts(slo.failures)} against {_decimal(slo.allowed)} allowed over {slo.days} days"
        )
    return format_pct(slo.error_budget_remaining, 1)


def slo_text(slo: ScrapeSlo) -> str:
    """The SLO over its window in one sentence, with the budget left."""
    head = f"SLO over {slo.days} days (target {format_pct(slo.target, 1)}):"
    if not slo.attempts:
        return f"{head} {NO_ATTEMPTS}, so no error budget spent."
    rate = f"{format_pct(slo.success_ratio)} of {slo.attempts} attempts succeeded, {slo.status}"
    if slo.budget_exhausted:
        return f"{head} {rate}; error budget {format_budget(slo)}."
    return (
        f"{head} {rate}; error budget {format_budget(slo)} left ({_failed_attempts(slo.failures)} against "
        f"{_decimal(slo.allowed)} allowed)."
    )


def alert_text(slo: ScrapeSlo) -> str:
    """What the burn-rate alerts saw: "Alert: burn rate 1 h 250x and 5 min 250x, page threshold 14.4x."
    or "No alert: burn rate 1 h 0x and 5 min 0x, page threshold 14.4x; ..."."""
    states = slo.alerts
    pages = [s for s in states if s.firing and s.alert.severity == FAILING_SEVERITY]
    others = [s for s in states if s.firing and s.alert.severity != FAILING_SEVERITY]
    quiet = [s for s in states if not s.firing]
    parts = []
    if pages:
        parts.append("Alert: burn rate " + "; ".join(s.text() for s in pages) + ".")
    for s in others:
        parts.append(f"{s.alert.severity.capitalize()}: burn rate {s.text()}.")
    if quiet:
        lead = "No alert" if not (pages or others) else "Not firing" if pages else "No page alert"
        parts.append(f"{lead}: burn rate " + "; ".join(s.text() for s in quiet) + ".")
    return " ".join(parts)


def slo_markdown(overall: ScrapeSlo, by_source: Mapping[str, ScrapeSlo] | None = None) -> str:
    """A Markdown table of the SLO, overall and per source, and of the burn-rate alerts, for the report and the UI."""
    lines = [
        f"Scraper SLO: {format_pct(overall.target, 1)} of scrape attempts succeed over {overall.days} days.",
        "",
        "| source | attempts | failures | success rate | error budget left | SLO |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, slo in [("all sources", overall), *sorted((by_source or {}).items())]:
        lines.append(
            f"| {name} | {slo.attempts} | {slo.failures} | {format_pct(slo.success_ratio)} | {format_budget(slo)} | "
            f"{slo.status} |"
        )
    if overall.alerts:
        lines += [
            "",
            f"Burn-rate alerts, all sources (burn rate = error rate in the window / (1 - "
            f"{format_pct(overall.target, 1)}); "
            "an alert fires when both its windows exceed the threshold; a window without attempts burns nothing):",
            "",
            "| alert | long window | short window | threshold | firing |",
            "|---|---|---|---:|---|",
        ]
        for s in overall.alerts:
            lines.append(
                f"| {s.alert.severity} | {s.long.text()} | {s.short.text()} | {format_burn(s.alert.threshold)} | "
                f"{'yes' if s.firing else 'no'} |"
            )
    return "\n".join(lines)
