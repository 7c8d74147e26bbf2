"""Writing the outputs: every chart file and the risk report (the work behind reporting/assets.py).

Files land in the settings resource's output_dir ($ANALYTICS_OUTPUT_DIR; default data/reports/). plotly.js is
written once beside them as plotly.min.js, so every page opens offline. Each file is written to a
temporary name and renamed, so a reader never sees half a page.
"""

import numbers
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from plotly.offline import get_plotlyjs

from analytics_assets import partitions, slo
from analytics_assets.analytics.risk import QUADRANTS, SEASON_QUADRANTS
from analytics_assets.reporting import charts, refreshes, report, team_pages
from analytics_assets.settings import AnalyticsSettings
from analytics_assets.storage import SCHEMA, AnalyticsDuckDB

PLOTLY_BUNDLE = "plotly.min.js"

LATEST_QUALITY_SQL = f"""
SELECT table_name, season, rule, severity, passed, failure_count, detail, checked_at, run_id
FROM {SCHEMA}.quality_results
QUALIFY row_number() OVER (PARTITION BY table_name, rule, season ORDER BY checked_at DESC, rowid DESC) = 1
ORDER BY table_name, rule, season
"""

PROVENANCE_SQL = f"""
SELECT season, 'standings' AS table_name, source, source_ref, raw_sha256, count(*) AS rows, max(loaded_at) AS loaded_at
FROM {SCHEMA}.standings GROUP BY ALL
UNION ALL
SELECT season, 'dead_cap' AS table_name, source, source_ref, raw_sha256, count(*) AS rows, max(loaded_at) AS loaded_at
FROM {SCHEMA}.dead_cap GROUP BY ALL
ORDER BY season, table_name, source_ref
"""


RECENT_INCIDENTS = 20

TEAM_PROVENANCE_SQL = f"""
SELECT season, 'standings' AS table_name, franchise, team, source, source_ref, raw_sha256, loaded_at
FROM {SCHEMA}.standings
UNION ALL
SELECT season, 'dead_cap' AS table_name, franchise, team, source, source_ref, raw_sha256, loaded_at
FROM {SCHEMA}.dead_cap
ORDER BY franchise, season, table_name
"""

# Every snapshot of the newest season that has any (the season in progress, or the one just completed);
# as_of as "YYYY-MM-DD" text, how the pages show it.
SNAPSHOTS_SQL = """
SELECT * REPLACE (strftime(as_of, '%Y-%m-%d') AS as_of) FROM {schema}.{table}
WHERE season = (
    SELECT max(season)
    FROM (SELECT season FROM {schema}.standings_snapshots UNION ALL SELECT season FROM {schema}.dead_cap_snapshots)
)
ORDER BY as_of, team
"""


def read_snapshots(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tuple(
        conn.execute(SNAPSHOTS_SQL.format(schema=SCHEMA, table=t)).df()
        for t in ("standings_snapshots", "dead_cap_snapshots")
    )


def write_text_atomic(path: Path, text: str) -> int:
    """Write `text` to a temporary file beside `path`, then rename it over `path`; returns bytes written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = text.encode("utf-8")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def ensure_plotly_bundle(folder: Path) -> Path:
    """plotly.min.js of the installed plotly beside the pages (rewritten only when it differs)."""
    bundle = folder / PLOTLY_BUNDLE
    js = get_plotlyjs()
    if not bundle.exists() or bundle.stat().st_size != len(js.encode("utf-8")) or bundle.read_text("utf-8") != js:
        write_text_atomic(bundle, js)
    return bundle


def read_risk(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute(f"SELECT * FROM {SCHEMA}.team_season_risk ORDER BY season, team").df()


def read_fit(conn: duckdb.DuckDBPyConnection) -> dict | None:
    fit = conn.execute(f"SELECT * FROM {SCHEMA}.league_risk_fit").df()
    return fit.iloc[0].to_dict() if len(fit) else None


def _require_risk(risk: pd.DataFrame, what: str, out: Path) -> None:
    if risk.empty:
        raise dg.Failure(
            description=(
                f"nfl.team_season_risk has no rows, so there is nothing to draw; the {what} in "
                f"{out} were left unchanged. Materialize standings, dead_cap and team_season_risk "
                "for at least one season first."
            )
        )
    stale = sorted(
        (set(risk["quadrant"]) - set(QUADRANTS.values()))
        | (set(risk["season_quadrant"]) - set(SEASON_QUADRANTS.values()))
    )
    if stale:
        old = risk["quadrant"].isin(stale) | risk["season_quadrant"].isin(stale)
        seasons = sorted(int(s) for s in risk.loc[old, "season"].unique())
        raise dg.Failure(
            description=(
                f"nfl.team_season_risk seasons {', '.join(map(str, seasons))} carry quadrant names this version does "
                f"not "
                f"define ({'; '.join(stale)}): they were written by an older version. Re-materialize team_season_risk "
                f"for those seasons; the {what} in {out} were left unchanged."
            )
        )


def _output_dir(config: AnalyticsSettings) -> Path:
    out = config.output_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def _highlight(context: dg.AssetExecutionContext, risk: pd.DataFrame, config: AnalyticsSettings) -> list[str]:
    wanted = config.highlighted
    known = set(risk["franchise"])
    unknown = [f for f in wanted if f not in known]
    if unknown:
        context.log.warning(
            f"ANALYTICS_HIGHLIGHT_FRANCHISES names franchise ids with no stored rows: {', '.join(unknown)}. "
            f"Known ids: {', '.join(sorted(known))}."
        )
    return [f for f in wanted if f in known]


def build_charts(
    context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, config: AnalyticsSettings
) -> Iterator[dg.MaterializeResult]:
    with duckdb.get_connection() as conn:
        risk, fit = read_risk(conn), read_fit(conn)
    _require_risk(risk, "charts", config.output_path)
    highlight = _highlight(context, risk, config)
    out = _output_dir(config)
    bundle = ensure_plotly_bundle(out)
    seasons = f"{int(risk['season'].min())}-{int(risk['season'].max())}"
    for chart in charts.CHARTS:
        if dg.AssetKey(chart.key) not in context.selected_asset_keys:
            continue
        started = time.perf_counter()
        fig = chart.build(risk, highlight, fit)
        path = out / chart.filename
        size = write_text_atomic(path, charts.chart_page(fig, chart))
        yield dg.MaterializeResult(
            asset_key=chart.key,
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "plotly_js": dg.MetadataValue.path(str(bundle)),
                "bytes": dg.MetadataValue.int(size),
                "traces": dg.MetadataValue.int(len(fig.data)),
                "frames": dg.MetadataValue.int(len(fig.frames)),
                "seasons": dg.MetadataValue.text(seasons),
                "team_seasons": dg.MetadataValue.int(len(risk)),
                "highlighted_franchises": dg.MetadataValue.text(", ".join(highlight) or "none"),
                "build_seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
            },
        )


def latest_complete_season(seasons: list[int]) -> int:
    """The newest stored season that is over; the newest stored one when none is."""
    complete = [s for s in seasons if partitions.is_completed(s)]
    return max(complete) if complete else max(seasons)


def declared_rules() -> pd.DataFrame:
    from analytics_assets.quality import rules

    declared = getattr(rules, "RULES", ())
    return pd.DataFrame(
        [(r.table, r.name, r.severity, r.description) for r in declared],
        columns=["table_name", "rule", "severity", "description"],
    )


def scraper_slo(conn: duckdb.DuckDBPyConnection, now: datetime | None) -> list[tuple[str, slo.ScrapeSlo]]:
    """The SLO overall, then per source, over the window ending at `now`."""
    return [("all sources", slo.scrape_slo(conn, now=now)), *slo.scrape_slo_by_source(conn, now=now).items()]


def latest_attempt(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the newest scrape attempt was made: the season page measures the SLO up to it, not up to the
    clock, so that the same data gives the same page."""
    row = conn.execute(f"SELECT max(fetched_at) FROM {SCHEMA}.scrape_log").fetchone()
    return row[0] if row and row[0] is not None else None


def build_report(
    context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB, config: AnalyticsSettings
) -> dg.MaterializeResult:
    started = time.perf_counter()
    generated_at = report.utc_now()
    # Dagster's run history: each season's latest refresh (the failed ones are marked on the pages).
    latest_refreshes = refreshes.latest_refreshes(context.instance)
    with duckdb.get_connection() as conn:
        risk, fit = read_risk(conn), read_fit(conn)
        summary = conn.execute(f"SELECT * FROM {SCHEMA}.league_risk_summary ORDER BY season").df()
        quality = conn.execute(LATEST_QUALITY_SQL).df()
        provenance = conn.execute(PROVENANCE_SQL).df()
        # The report's SLO is as of its "Generated" time, its one clock-dependent text.
        scraper = scraper_slo(conn, generated_at)
        last_attempt = latest_attempt(conn)
        season_slo = scraper_slo(conn, last_attempt) if last_attempt is not None else []
        team_provenance = conn.execute(TEAM_PROVENANCE_SQL).df()
        standings_snapshots, dead_cap_snapshots = read_snapshots(conn)
        incidents = conn.execute(
            f"SELECT * FROM {SCHEMA}.incidents ORDER BY incident_at DESC LIMIT {RECENT_INCIDENTS}"
        ).df()
        acceptances = conn.execute(f"SELECT * FROM {SCHEMA}.gate_acceptances ORDER BY accepted_at").df()
        versions = conn.execute(f"SELECT table_name, season, run_id, written_at FROM {SCHEMA}.partition_versions").df()
    failed = refreshes.failed_refreshes(latest_refreshes, versions)
    refreshed = [int(r["season"]) for r in latest_refreshes]
    _require_risk(risk, "report files", config.output_path)
    if summary.empty:
        context.log.warning(
            "nfl.league_risk_summary is empty: materialize league_risk_summary for the league tables and findings."
        )
    highlight = _highlight(context, risk, config)
    inputs = report.ReportInputs(
        risk=risk,
        summary=summary,
        fit=fit,
        quality=quality,
        provenance=provenance,
        latest_season=latest_complete_season(sorted(int(s) for s in risk["season"].unique())),
        generated_at=generated_at,
        charts=[(chart, chart.build(risk, highlight, fit)) for chart in charts.CHARTS],
        rules=declared_rules(),
        highlight=highlight,
        scraper_slo=scraper,
        snapshot_season=team_pages.latest_snapshot_season(standings_snapshots, dead_cap_snapshots),
        incidents=incidents,
        acceptances=acceptances,
        failed_refreshes=failed,
        refreshed_seasons=refreshed,
        snapshot_dates=sorted({str(d) for d in pd.concat([standings_snapshots["as_of"], dead_cap_snapshots["as_of"]])}),
    )
    built = report.build(inputs)
    pages = team_pages.team_pages(risk, team_provenance)
    season_html = team_pages.season_page(
        standings_snapshots,
        dead_cap_snapshots,
        failed=failed,
        refreshed=bool(refreshed),
        incidents=incidents,
        slos=season_slo,
        slo_rows=report.slo_table_rows(season_slo),
    )
    out = _output_dir(config)
    ensure_plotly_bundle(out)
    teams_dir = out / team_pages.TEAMS_DIR
    teams_dir.mkdir(exist_ok=True)
    # The pages the report links to first, the report last: a reader never follows a link to nothing.
    for name, text in pages.items():
        write_text_atomic(teams_dir / name, text)
    season_path = out / team_pages.SEASON_FILE
    write_text_atomic(season_path, season_html)
    html_path, md_path = out / report.REPORT_FILE, out / report.SUMMARY_FILE
    html_bytes = write_text_atomic(html_path, built.html)
    write_text_atomic(md_path, built.markdown)
    overview = report.quality_overview(quality, inputs.rules)
    metadata = {
        "path": dg.MetadataValue.path(str(html_path)),
        "markdown_path": dg.MetadataValue.path(str(md_path)),
        "bytes": dg.MetadataValue.int(html_bytes),
        "latest_complete_season": dg.MetadataValue.int(inputs.latest_season),
        "seasons": dg.MetadataValue.int(int(risk["season"].nunique())),
        "quality_rules_failing": dg.MetadataValue.int(int((overview["status"] == "failed").sum())),
        "team_pages": dg.MetadataValue.int(len(pages)),
        "team_pages_dir": dg.MetadataValue.path(str(teams_dir)),
        "season_in_progress_path": dg.MetadataValue.path(str(season_path)),
        "snapshot_dates": dg.MetadataValue.int(len(inputs.snapshot_dates)),
        "failed_refreshes": dg.MetadataValue.text(", ".join(str(s) for s in failed["season"]) or "none"),
        "findings": dg.MetadataValue.md("\n".join(f"- {report.md(f.text)}" for f in built.findings)),
        "build_seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
    }
    for finding in built.findings:
        if isinstance(finding.value, bool) or finding.value is None:
            continue
        if isinstance(finding.value, numbers.Integral):
            metadata[f"headline_{finding.key}"] = dg.MetadataValue.int(int(finding.value))
        elif isinstance(finding.value, numbers.Real):
            metadata[f"headline_{finding.key}"] = dg.MetadataValue.float(float(finding.value))
        else:
            metadata[f"headline_{finding.key}"] = dg.MetadataValue.text(str(finding.value))
    return dg.MaterializeResult(metadata=metadata)
