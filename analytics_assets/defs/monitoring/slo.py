"""The scraper SLO as an asset check on `standings` (the computation is in analytics_assets/slo.py)."""

from __future__ import annotations

import math

import dagster as dg

from analytics_assets.slo import SLO_TARGET, SLO_WINDOW, format_budget, format_pct, scrape_slo, scrape_slo_by_source, slo_markdown
from analytics_assets.storage import DUCKDB_WRITER_TAGS, AnalyticsDuckDB


@dg.asset_check(
    asset="standings",
    name="scraper_slo",
    blocking=False,
    pool="duckdb",
    op_tags=DUCKDB_WRITER_TAGS,
    description=(
        f"Scraper SLO: at least {SLO_TARGET:.1%} of scrape attempts (nfl.scrape_log, every source, retries "
        f"included) succeed over the last {SLO_WINDOW.days} days; reports the error budget left. Warns when breached."
    ),
)
def scraper_slo(duckdb: AnalyticsDuckDB) -> dg.AssetCheckResult:
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
        passed=overall.met,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=None
        if overall.met
        else f"Scrape success rate {format_pct(overall.success_rate)} is below the {format_pct(overall.target, 1)} SLO over {SLO_WINDOW.days} days; error budget {format_budget(overall)}.",
    )
