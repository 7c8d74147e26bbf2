"""Output assets: one asset per chart file (a multi-asset) and the risk report, group "outputs".

Files land in $ANALYTICS_OUTPUT_DIR (read when the run starts; default data/reports/). The work is in
`outputs` (pandas, Plotly), imported when a step runs so that loading the code location stays fast.
"""

from collections.abc import Iterator

import dagster as dg

from analytics_assets.defs.marts.assets import ALL_SEASONS_AUTOMATION, report_automation
from analytics_assets.defs.monitoring.operations import OPERATIONS_ASSETS
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.reporting.catalog import CHART_INFO
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import DUCKDB_WRITER_TAGS, AnalyticsDuckDB

FIT_CHARTS = ("chart_dead_cap_vs_win_pct", "chart_league_history")


def _chart_specs() -> list[dg.AssetSpec]:
    # Built in a function: a module-level list of specs would be loaded from the defs folder as
    # external assets beside the multi-asset that materializes them.
    return [
        dg.AssetSpec(
            chart.key,
            group_name="outputs",
            description=f"{chart.title}: {chart.description} ({chart.filename} in $ANALYTICS_OUTPUT_DIR)",
            # The two scatters draw the season-fair fit, which league_risk_summary stores.
            deps=["team_season_risk", "league_risk_summary"] if chart.key in FIT_CHARTS else ["team_season_risk"],
            kinds={"plotly", "html"},
            owners=OWNERS,
            tags=layer_tags("outputs"),
            automation_condition=ALL_SEASONS_AUTOMATION,
        )
        for chart in CHART_INFO
    ]


@dg.multi_asset(specs=_chart_specs(), name="risk_charts", pool="duckdb", op_tags=DUCKDB_WRITER_TAGS, can_subset=True)
def risk_charts(
    context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, settings: AnalyticsSettings
) -> Iterator[dg.MaterializeResult]:
    from analytics_assets.reporting import outputs

    yield from outputs.build_charts(context, duckdb, settings)


@dg.asset(
    group_name="outputs",
    pool="duckdb",
    op_tags=DUCKDB_WRITER_TAGS,
    kinds={"html"},
    owners=OWNERS,
    tags=layer_tags("outputs"),
    deps=[
        *(c.key for c in CHART_INFO),
        "league_risk_summary",
        "team_season_risk",
        "standings",
        "dead_cap",
        *OPERATIONS_ASSETS,
    ],
    automation_condition=report_automation(OPERATIONS_ASSETS),
    description=(
        "One HTML page, risk_report.html in $ANALYTICS_OUTPUT_DIR: a first paragraph for a general manager and "
        "headline findings computed from the data, the charts, a sortable per-team table of the latest complete "
        "season, the league by season, failed refreshes (from Dagster's run history), every quality rule's latest "
        "result, recent incidents, the scraper SLO and the provenance of every season; plus risk_report.md beside "
        "it, a page per franchise in teams/ (linked from the team table) and season_in_progress.html (the season in "
        "progress by snapshot date, with failed refreshes, incidents and the SLO)."
    ),
)
def risk_report(
    context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, settings: AnalyticsSettings
) -> dg.MaterializeResult:
    from analytics_assets.reporting import outputs

    return outputs.build_report(context, duckdb, settings)
