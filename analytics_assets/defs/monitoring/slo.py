"""The scraper SLO as an asset check on `standings` (the computation is in analytics_assets/slo.py).

The check is evaluated at the end of every `standings` step, whether the step stores its seasons or
fails: a failed scrape is what the SLO counts, so it is reported then too, and a run that could not
read a season never leaves the check "Execution failed". Evaluating it in the step costs a query,
where a step of its own cost a process start (about 0.5 s a run).
"""

from __future__ import annotations

import math

import dagster as dg

from analytics_assets.slo import SLO_TARGET, SLO_WINDOW, format_budget, format_pct, scrape_slo, scrape_slo_by_source, slo_markdown
from analytics_assets.storage import AnalyticsDuckDB

SCRAPER_SLO = dg.AssetCheckSpec(
    name="scraper_slo",
    asset="standings",
    blocking=False,
    description=(
        f"[WARN] Scraper SLO: at least {SLO_TARGET:.1%} of scrape attempts (nfl.scrape_log, every source, retries "
        f"included) succeed over the last {SLO_WINDOW.days} days; reports the error budget left. Evaluated in every "
        "standings step, including one that fails."
    ),
)


def scraper_slo_result(duckdb: AnalyticsDuckDB) -> dg.AssetCheckResult:
    """The SLO over the window ending now, with the error budget left, as a WARN check result."""
    with duckdb.get_connection() as conn:
        overall = scrape_slo(conn)
        by_source = scrape_slo_by_source(conn)
    budget = overall.error_budget_remaining
    metadata = {
        "attempts": dg.MetadataValue.int(overall.attempts),
        "failures": dg.MetadataValue.int(overall.failures),
        "target": dg.MetadataValue.float(overall.target),
        "success_rate": dg.MetadataValue.float(overall.success_rate) if overall.success_rate is not None else dg.MetadataValue.text("no attempts in the window"),
        "error_budget_remaining": dg.MetadataValue.float(budget) if math.isfinite(budget) else dg.MetadataValue.text("exhausted"),
        "failures_remaining": dg.MetadataValue.float(overall.failures_remaining),
        "window": dg.MetadataValue.text(f"{overall.window_start.isoformat()} .. {overall.window_end.isoformat()}"),
        "by_source": dg.MetadataValue.md(slo_markdown(overall, by_source)),
    }
    return dg.AssetCheckResult(
        asset_key=SCRAPER_SLO.asset_key,
        check_name=SCRAPER_SLO.name,
        passed=overall.met,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=f"Scrape success rate {format_pct(overall.success_rate)} over {SLO_WINDOW.days} days "
        f"({overall.attempts} attempts); error budget {format_budget(overall)}."
        if overall.met
        else f"Scrape success rate {format_pct(overall.success_rate)} is below the {format_pct(overall.target, 1)} SLO over {SLO_WINDOW.days} days; error budget {format_budget(overall)}.",
    )
