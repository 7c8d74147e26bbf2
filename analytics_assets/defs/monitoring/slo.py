"""The scraper SLO as an asset check on `standings` (the computation is in analytics_assets/slo.py).

The check's pass/fail is the page-level burn-rate alert (`BURN_RATE_ALERTS`: a long window AND its
short window both burning the error budget faster than the threshold), not the 30-day SLO itself:
one failed attempt spends a low-traffic scraper's whole 30-day budget, and a check that stayed
failed for 30 days after it would say nothing about now. The description and metadata still show
the SLO over 30 days, the budget left (never below 0%) and every alert window's burn rate.

The check is evaluated at the end of every `standings` step, whether the step stores its seasons or
fails: a failed scrape is what the SLO counts, so it is reported then too, and a run that could not
read a season never leaves the check "Execution failed". Evaluating it in the step costs a query,
where a step of its own cost a process start (about 0.5 s a run).
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from analytics_assets.slo import (
    BURN_RATE_ALERTS,
    FAILING_SEVERITY,
    NO_ATTEMPTS,
    SLO_TARGET,
    SLO_WINDOW,
    ScrapeSlo,
    alert_text,
    format_budget,
    format_burn,
    format_pct,
    scrape_slo,
    scrape_slo_by_source,
    slo_markdown,
    slo_text,
    window_label,
)
from analytics_assets.storage import AnalyticsDuckDB

_PAGES = "; ".join(
    f"{window_label(a.long)} and {window_label(a.short)} above {format_burn(a.threshold)}"
    for a in BURN_RATE_ALERTS
    if a.severity == FAILING_SEVERITY
)

SCRAPER_SLO = dg.AssetCheckSpec(
    name="scraper_slo",
    asset="standings",
    blocking=False,
    description=(
        f"[WARN] Scraper SLO: at least {format_pct(SLO_TARGET, 1)} of scrape attempts (nfl.scrape_log, every source, "
        f"retries "
        f"included) succeed over the last {SLO_WINDOW.days} days. Fails when a page-level burn-rate alert fires "
        f"(burn rate = "
        f"error rate / (1 - target), both windows of a pair: {_PAGES}); reports the SLO, the error budget left and "
        f"every "
        "window's burn rate. Evaluated in every standings step, including one that fails."
    ),
)


def _metadata(overall: ScrapeSlo, by_source: dict[str, ScrapeSlo]) -> dict[str, dg.MetadataValue]:
    def pct_or_none(value: float | None) -> dg.MetadataValue:
        return dg.MetadataValue.text(NO_ATTEMPTS) if value is None else dg.MetadataValue.float(value)

    metadata: dict[str, dg.MetadataValue] = {
        "alert": dg.MetadataValue.text(alert_text(overall)),
        "page_alert": dg.MetadataValue.bool(overall.alert_firing),
        **{
            f"{s.alert.severity}_alert_{window_label(s.alert.long).replace(' ', '')}": dg.MetadataValue.bool(s.firing)
            for s in overall.alerts
        },
        **{
            f"burn_rate_{window_label(b.window).replace(' ', '')}": dg.MetadataValue.float(b.burn_rate_rounded)
            for b in overall.burn
        },
        "attempts": dg.MetadataValue.int(overall.attempts),
        "failures": dg.MetadataValue.int(overall.failures),
        "target": dg.MetadataValue.float(overall.target),
        "success_rate": pct_or_none(overall.success_rate),
        "slo": dg.MetadataValue.text(overall.status),
        "allowed_failures": dg.MetadataValue.float(overall.allowed_failures),
        "failures_remaining": dg.MetadataValue.float(overall.failures_remaining),
        "error_budget_remaining": pct_or_none(overall.error_budget_remaining),
        "error_budget": dg.MetadataValue.text(format_budget(overall)),
        "window": dg.MetadataValue.text(
            f"{overall.window_start.isoformat(timespec='seconds')} .. "
            f"{overall.window_end.isoformat(timespec='seconds')}"
        ),
        "by_source": dg.MetadataValue.md(slo_markdown(overall, by_source)),
    }
    return metadata


def scraper_slo_result(duckdb: AnalyticsDuckDB, now: datetime | None = None) -> dg.AssetCheckResult:
    """The burn-rate alert as a WARN check result: failed while a page fires; the SLO over 30 days,
    the budget left and the burn rates in the description and metadata."""
    with duckdb.get_connection() as conn:
        overall = scrape_slo(conn, now=now)
        by_source = scrape_slo_by_source(conn, now=overall.window_end)
    return dg.AssetCheckResult(
        asset_key=SCRAPER_SLO.asset_key,
        check_name=SCRAPER_SLO.name,
        passed=not overall.alert_firing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=_metadata(overall, by_source),
        description=f"{alert_text(overall)} {slo_text(overall)}",
    )
