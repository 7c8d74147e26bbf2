"""The risk report: pure functions from stored data to one HTML page and a Markdown summary.

Every finding is computed from the data passed in; nothing about the data is typed by hand. The
page is rendered from Jinja2 templates in `templates/` with autoescaping, so every value (team codes,
divisions, source references, quality details can all come from a scraped page) is escaped there;
this module only shapes the data. The page needs nothing but plotly.min.js in its own folder: no
CDN, no web fonts, and a Content-Security-Policy (in `templates/page.html`) that forbids network
connections.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from analytics_assets.analytics.risk import HIGH_DEAD_CAP_PCT, QUADRANTS, SEASON_QUADRANTS, TIERS, WINNING_PCT
from analytics_assets.reporting import templating
from analytics_assets.reporting.charts import FONT, Chart, chart_div, record
from analytics_assets.reporting.team_pages import SEASON_FILE, TEAMS_DIR, team_href
from analytics_assets.reporting.templating import Cell, cell, missing, num, when
from analytics_assets.slo import ScrapeSlo, alert_text, format_budget, format_burn, format_pct, slo_markdown

REPORT_FILE = "risk_report.html"
SUMMARY_FILE = "risk_report.md"
PLOTLY_JS = "plotly.min.js"
CAP_HELL = QUADRANTS[(True, False)]


ACCEPTED_PREFIX = "ACCEPTED"  # how nfl.quality_results marks a failure a person accepted


@dataclass
class ReportInputs:
    risk: pd.DataFrame  # nfl.team_season_risk, every stored season
    summary: pd.DataFrame  # nfl.league_risk_summary
    fit: dict | None  # the nfl.league_risk_fit row
    quality: pd.DataFrame  # latest nfl.quality_results row per (table_name, rule, season)
    provenance: pd.DataFrame  # per season and table: source, source_ref, raw_sha256, rows, loaded_at
    latest_season: int  # the latest complete season stored
    generated_at: datetime
    charts: Sequence[tuple[Chart, go.Figure]] = ()
    rules: pd.DataFrame | None = None  # declared rules: table_name, rule, severity, description
    highlight: Sequence[str] = ()
    scraper_slo: Sequence[tuple[str, ScrapeSlo]] = ()  # ("all sources", overall), then per source
    snapshot_season: int | None = None  # the season in progress with dated snapshots, if any
    snapshot_dates: Sequence[str] = ()  # its snapshot dates, oldest first
    incidents: pd.DataFrame | None = None  # recent nfl.incidents rows, newest first
    acceptances: pd.DataFrame | None = None  # nfl.gate_acceptances: flagged rules a person accepted


@dataclass(frozen=True)
class Finding:
    key: str
    text: str  # plain text; escaped when rendered
    value: float | int | str | None = None


@dataclass
class Report:
    html: str
    markdown: str
    findings: list[Finding] = field(default_factory=list)


# ---------------------------------------------------------------- formatting


def _quadrant_short(name: str) -> str:
    return name.split(" (")[0]


# ---------------------------------------------------------------- findings


def headline_findings(inputs: ReportInputs) -> list[Finding]:
    risk, latest = inputs.risk, inputs.latest_season
    season = risk[risk["season"] == latest]
    findings: list[Finding] = []
    if not season.empty:
        top = season.sort_values(["dead_cap_pct", "team"], ascending=[False, True]).iloc[0]
        findings.append(Finding(
            "top_dead_cap",
            f"In {latest}, {top['team']} carried the most dead money: ${top['dead_money_musd']:.1f}M, "
            f"{top['dead_cap_pct']:.1f}% of the ${top['league_salary_cap_musd']:.1f}M cap, and went "
            f"{record(season.loc[[top.name]]).iloc[0]} ({_quadrant_short(top['quadrant']).lower()}).",
            f"{top['team']} {top['dead_cap_pct']:.1f}%",
        ))
        hell = season[season["quadrant"] == CAP_HELL].sort_values("dead_cap_pct", ascending=False)
        names = ", ".join(f"{r.team} ({r.dead_cap_pct:.1f}%, {r.wins}-{r.losses}{'-' + str(r.ties) if r.ties else ''})" for r in hell.itertuples())
        findings.append(Finding(
            "cap_hell_teams",
            f"{len(hell)} of {len(season)} teams were in cap hell in {latest} (dead cap {HIGH_DEAD_CAP_PCT:g}%+ "
            f"and below .500)" + (f": {names}." if len(hell) else "."),
            int(len(hell)),
        ))
    summary = inputs.summary.sort_values("season")
    if len(summary) >= 2:
        first, last = summary.iloc[0], summary[summary["season"] == latest]
        last = last.iloc[0] if not last.empty else summary.iloc[-1]
        verb = "rose" if last["dead_cap_pct_mean"] > first["dead_cap_pct_mean"] else "fell"
        findings.append(Finding(
            "league_mean_trend",
            f"The league's mean dead cap {verb} from {first['dead_cap_pct_mean']:.1f}% of the cap in "
            f"{int(first['season'])} to {last['dead_cap_pct_mean']:.1f}% in {int(last['season'])} "
            f"(median {first['dead_cap_pct_median']:.1f}% to {last['dead_cap_pct_median']:.1f}%).",
            round(float(last["dead_cap_pct_mean"] - first["dead_cap_pct_mean"]), 2),
        ))
    fit = inputs.fit
    if fit and not missing(fit.get("fe_slope")):
        findings.insert(0, _season_fair_finding(fit, summary, latest))  # the headline
    if not season.empty and "season_quadrant" in season:
        findings.append(_season_relative_finding(risk, season, latest))
    if fit:
        per10, lo, hi = fit["slope"] * 1000, fit["slope_ci_low"] * 1000, fit["slope_ci_high"] * 1000
        direction = "fewer" if per10 < 0 else "more"
        verdict = (
            "The interval excludes zero: more dead cap goes with " + ("losing." if hi < 0 else "winning.")
            if lo > 0 or hi < 0 else "The interval includes zero: no clear linear link between dead cap and winning."
        )
        findings.append(Finding(
            "pooled_fit",
            "Pooled over all seasons, which mixes the league-wide drift into the team effect: "
            f"across {fit['n']} team-seasons ({fit['first_season']}-{fit['last_season']}), each extra 10 points of "
            f"dead cap went with {abs(per10):.1f} win-% points {direction} (95% CI {lo:+.1f} to {hi:+.1f}; "
            f"p = {fit['slope_p']:.2g}; R² = {fit['r_squared']:.3f}). {verdict}",
            round(per10, 3),
        ))
    rho = summary.dropna(subset=["spearman_rho"])
    if not rho.empty:
        negative = int((rho["spearman_rho"] < 0).sum())
        significant = int(((rho["spearman_rho"] < 0) & (rho["spearman_p"] < 0.05)).sum())
        latest_rho = rho[rho["season"] == latest]
        tail = f" In {latest}, rho = {latest_rho['spearman_rho'].iloc[0]:+.2f}." if not latest_rho.empty else ""
        findings.append(Finding(
            "spearman_seasons",
            f"Within a season, more dead cap ranked with a worse record (negative Spearman rho) in {negative} of "
            f"{len(rho)} seasons, significantly (p under 0.05) in {significant}.{tail}",
            negative,
        ))
    nxt = risk.dropna(subset=["next_season_win_pct_change"])
    heavy = nxt["risk_tier"].isin(TIERS[2:])
    if heavy.any() and (~heavy).any():
        a, b = nxt.loc[heavy, "next_season_win_pct_change"].mean() * 100, nxt.loc[~heavy, "next_season_win_pct_change"].mean() * 100
        findings.append(Finding(
            "next_season_change",
            f"The season after, teams in the high or extreme dead-cap tier changed their win % by {a:+.1f} points on "
            f"average ({int(heavy.sum())} team-seasons); teams in the low or moderate tier by {b:+.1f} ({int((~heavy).sum())}). "
            "This raw comparison ignores regression to the mean (heavy dead cap goes with losing, and losing teams improve).",
            round(a - b, 2),
        ))
    if fit and not missing(fit.get("next_slope")):
        findings.append(_next_season_finding(fit))
    return findings


def _per10(fit: dict, prefix: str) -> tuple[float, float, float]:
    """A slope and its interval in win-% points per 10 points of dead cap."""
    return fit[prefix] * 1000, fit[f"{prefix}_ci_low"] * 1000, fit[f"{prefix}_ci_high"] * 1000


def _season_fair_finding(fit: dict, summary: pd.DataFrame, latest: int) -> Finding:
    per10, lo, hi = _per10(fit, "fe_slope")
    direction = "fewer" if per10 < 0 else "more"
    drift = ""
    if len(summary) >= 2:
        first, last = summary.iloc[0], summary[summary["season"] == latest]
        last = last.iloc[0] if not last.empty else summary.iloc[-1]
        drift = (f" the league's mean dead cap moved from {first['dead_cap_pct_mean']:.1f}% to "
                 f"{last['dead_cap_pct_mean']:.1f}% of the cap while its mean win % is .500 every season, so")
    verdict = "The interval excludes zero." if lo > 0 or hi < 0 else "The interval includes zero: no clear within-season link."
    return Finding(
        "season_fe_fit",
        f"Season-fair headline: within the same season, each extra 10 points of dead cap went with {abs(per10):.1f} win-% "
        f"points {direction} (95% CI {lo:+.1f} to {hi:+.1f}, team-clustered; p = {fit['fe_slope_p']:.2g}; OLS with season "
        f"fixed effects over {fit['n']} team-seasons of {fit['clusters']} franchises, {fit['first_season']}-{fit['last_season']}). "
        f"It is the headline because{drift or ''} only comparisons within a season are fair. {verdict} "
        "An association across teams, not a measured cause.",
        round(per10, 3),
    )


def _season_relative_finding(risk: pd.DataFrame, season: pd.DataFrame, latest: int) -> Finding:
    first_season = int(risk["season"].min())
    first = risk[risk["season"] == first_season]
    over = int((season["dead_cap_pct"] >= HIGH_DEAD_CAP_PCT).sum())
    over_first = int((first["dead_cap_pct"] >= HIGH_DEAD_CAP_PCT).sum())
    median = float(season["season_median_dead_cap_pct"].iloc[0])
    hell = int((season["season_quadrant"] == SEASON_QUADRANTS[(True, False)]).sum())
    return Finding(
        "season_relative_quadrant",
        f"The fixed {HIGH_DEAD_CAP_PCT:g}% line had {over} of {len(season)} teams above it in {latest} against {over_first} of "
        f"{len(first)} in {first_season}. Against {latest}'s own median dead cap ({median:.1f}%), {hell} teams were above "
        "the median and below .500.",
        hell,
    )


def _next_season_finding(fit: dict) -> Finding:
    per10, lo, hi = _per10(fit, "next_slope")
    raw, raw_lo, raw_hi = _per10(fit, "next_unadjusted_slope")
    back = -fit["next_win_pct_coef"]
    verdict = "the interval includes zero" if lo <= 0 <= hi else "the interval excludes zero"
    return Finding(
        "next_season_given_record",
        f"Next season, given this season's record: each extra 10 points of dead cap went with a {per10:+.1f} win-% point "
        f"change (95% CI {lo:+.1f} to {hi:+.1f}, team-clustered; {verdict}; {fit['next_n']} team-seasons with a next season, "
        f"season fixed effects). Without the record it looks like {raw:+.1f} ({raw_lo:+.1f} to {raw_hi:+.1f}), because teams below "
        f".500 improve whatever their dead cap (regression to the mean: a team's distance from .500 shrank by {back:.0%} "
        "on average the next season) and heavy dead cap goes with losing.",
        round(per10, 3),
    )


# ---------------------------------------------------------------- data quality and provenance


def quality_overview(quality: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (table, rule): its latest result over every season checked, declared rules never run included.

    quality: the latest nfl.quality_results row per (table_name, rule, season).
    """
    cols = ["table_name", "rule", "severity", "description", "status", "seasons_checked", "seasons_failing", "failing_seasons", "detail", "checked_at"]
    q = quality.assign(failed=~quality["passed"].astype(bool)).sort_values(["table_name", "rule", "season"])
    q["accepted"] = q["failed"] & q["detail"].astype(str).str.startswith(ACCEPTED_PREFIX)
    grouped = q.groupby(["table_name", "rule"], sort=False)
    out = grouped.agg(
        severity=("severity", "last"), seasons_checked=("season", "nunique"), seasons_failing=("failed", "sum"),
        seasons_accepted=("accepted", "sum"), checked_at=("checked_at", "max"),
    )
    failing = q[q["failed"]]
    out["failing_seasons"] = failing.groupby(["table_name", "rule"])["season"].agg(lambda s: ", ".join(map(str, s)))
    out["detail"] = failing.sort_values("checked_at").groupby(["table_name", "rule"])["detail"].agg(
        lambda d: " | ".join(f"{s}: {t}" for s, t in zip(failing.loc[d.index, "season"], d))
    )
    out = out.reset_index()
    if rules is not None and not rules.empty:
        out = rules[["table_name", "rule", "severity", "description"]].merge(out, on=["table_name", "rule"], how="outer", suffixes=("_declared", ""))
        out["severity"] = out["severity"].fillna(out["severity_declared"])
    else:
        out["description"] = None
    out["seasons_checked"] = out["seasons_checked"].fillna(0).astype(int)
    out["seasons_failing"] = out["seasons_failing"].fillna(0).astype(int)
    status = pd.Series("passed", index=out.index)
    status[out["seasons_failing"] > 0] = "failed"
    status[(out["seasons_failing"] > 0) & (out["severity"] == "WARN")] = "warning"
    status[(out["seasons_failing"] > 0) & (out["seasons_failing"] == out["seasons_accepted"].fillna(0))] = "accepted"
    status[out["seasons_checked"] == 0] = "not evaluated yet"
    out["status"] = status
    # Declared order first (tables as the pipeline runs them, rules as declared), then anything else by name.
    order = {key: i for i, key in enumerate(zip(rules["table_name"], rules["rule"]))} if rules is not None else {}
    tables = {t: i for i, t in enumerate(dict.fromkeys(rules["table_name"]))} if rules is not None else {}
    out["_t"] = out["table_name"].map(tables).fillna(len(tables))
    out["_r"] = [order.get(k, len(order)) for k in zip(out["table_name"], out["rule"])]
    out = out.sort_values(["_t", "table_name", "_r", "rule"]).reset_index(drop=True)
    return out.reindex(columns=cols)


# ---------------------------------------------------------------- HTML


def _team_rows(season: pd.DataFrame) -> list[list[Cell]]:
    rows = []
    ordered = season.sort_values("dead_cap_rank")
    for r, rec in zip(ordered.itertuples(), record(ordered)):
        change = r.next_season_win_pct_change
        rows.append([
            cell(r.dead_cap_rank, r.dead_cap_rank, True),
            cell(r.team, tag="b"), cell(r.franchise, href=team_href(r.franchise)), cell(r.conference), cell(r.division, cls="nowrap"),
            cell(rec, r.win_pct), cell(num(r.win_pct, ".3f"), r.win_pct, True),
            cell(num(r.dead_money_musd, ".1f"), r.dead_money_musd, True),
            cell(num(r.dead_cap_pct, ".1f"), r.dead_cap_pct, True),
            cell(num(r.dead_cap_percentile, ".0f"), r.dead_cap_percentile, True),
            cell(num(r.dead_cap_zscore, "+.2f"), r.dead_cap_zscore, True),
            cell(r.risk_tier, TIERS.index(r.risk_tier) if r.risk_tier in TIERS else None, cls=f"tier-{r.risk_tier}"),
            cell(_quadrant_short(r.quadrant), title=r.quadrant, cls="nowrap" + (" q-hell" if r.quadrant == CAP_HELL else "")),
            cell(_quadrant_short(r.season_quadrant), title=r.season_quadrant, cls="nowrap"),
            cell(num(change * 100 if not missing(change) else None, "+.1f"), change, True),
        ])
    return rows


TEAM_HEADERS = ["Rank", "Team", "Franchise", "Conf.", "Division", "Record", "Win %", "Dead money ($M)", "Dead cap %",
                "Percentile", "z-score", "Tier", "Quadrant", "Season-relative quadrant", "Next season: win % change (points)"]
FIT_HEADERS = ["Model", "What it estimates", "Team-seasons", "Win-% points per 10 points of dead cap", "95% interval",
               "Interval method", "p-value"]
SUMMARY_HEADERS = ["Season", "Teams", "Min %", "Q1 %", "Median %", "Q3 %", "Max %", "Mean %", "Extreme above %",
                   "Spearman rho", "p-value", *(t.capitalize() for t in TIERS), "Cap hell"]
QUALITY_HEADERS = ["Table", "Rule", "Severity", "Latest result", "Seasons checked", "Failing seasons", "Rule description",
                   "Failure detail", "Last checked"]
SLO_HEADERS = ["Source", "Attempts", "Failures", "Success rate", "Error budget left", "SLO"]
SLO_ALERT_HEADERS = ["Alert", "Long window: burn rate", "Short window: burn rate", "Threshold (both windows above it)", "Firing"]
PROVENANCE_HEADERS = ["Season", "Table", "Source", "File or URL", "sha256", "Rows", "Loaded at", "Accepted by a person"]
INCIDENT_HEADERS = ["When", "Season", "Table", "Rule", "Outcome", "Source", "Expected", "Seen", "Raw page or file"]
ACCEPTANCE_HEADERS = ["Season", "Table", "Rule", "Accepted by", "When", "Reason", "Value seen"]


def _summary_rows(summary: pd.DataFrame) -> list[list[Cell]]:
    rows = []
    for r in summary.sort_values("season").itertuples():
        rows.append([
            cell(r.season, r.season, True), cell(r.teams, r.teams, True),
            *(cell(num(getattr(r, c), ".1f"), getattr(r, c), True) for c in
              ("dead_cap_pct_min", "dead_cap_pct_q1", "dead_cap_pct_median", "dead_cap_pct_q3", "dead_cap_pct_max", "dead_cap_pct_mean", "extreme_fence_pct")),
            cell(num(r.spearman_rho, "+.3f"), r.spearman_rho, True), cell(num(r.spearman_p, ".3g"), r.spearman_p, True),
            *(cell(getattr(r, f"teams_{t}"), getattr(r, f"teams_{t}"), True) for t in TIERS),
            cell(r.teams_cap_hell, r.teams_cap_hell, True),
        ])
    return rows


def _fit_rows(fit: dict) -> list[list[Cell]]:
    """The fits of nfl.league_risk_fit side by side, slopes per 10 points of dead cap."""
    method = "team-clustered (CR1), t with G - 1 df"
    specs = [
        ("Season fixed effects (headline)", "win % against dead cap within the same season", "n", "fe_slope", method, "fe_slope_p"),
        ("Pooled OLS", "win % against dead cap across all seasons at once", "n", "slope", "classical OLS, t with n - 2 df", "slope_p"),
        ("Pooled OLS", "the same slope", "n", "slope", method, None),
        ("Next season, given the record", "next season's win % change, controlling for this season's win % and the season", "next_n",
         "next_slope", method, "next_slope_p"),
        ("Next season, record not controlled", "next season's win % change, controlling for the season only", "next_n",
         "next_unadjusted_slope", method, "next_unadjusted_slope_p"),
    ]
    rows = []
    for i, (name, what, n, prefix, how, p) in enumerate(specs):
        low, high = (f"{prefix}_ci_low", f"{prefix}_ci_high") if i != 2 else ("slope_cluster_ci_low", "slope_cluster_ci_high")
        if missing(fit.get(prefix)):
            continue
        per10 = fit[prefix] * 1000
        rows.append([
            cell(name), cell(what), cell(fit[n], fit[n], True), cell(num(per10, "+.2f"), per10, True),
            cell(f"{fit[low] * 1000:+.2f} to {fit[high] * 1000:+.2f}"), cell(how),
            cell(num(fit[p], ".2g") if p else None, fit[p] if p else None, True),
        ])
    return rows


def _quality_rows(overview: pd.DataFrame) -> list[list[Cell]]:
    rows = []
    for r in overview.itertuples():
        rows.append([
            cell(r.table_name), cell(r.rule, cls="nowrap", tag="code"), cell(r.severity),
            cell(r.status, cls="status-" + str(r.status).split()[0]),
            cell(r.seasons_checked, r.seasons_checked, True), cell(r.failing_seasons if r.seasons_failing else "none"),
            cell(r.description), cell(r.detail if r.seasons_failing else ""), cell(when(r.checked_at), cls="nowrap"),
        ])
    return rows


def _accepted_by_season(acceptances: pd.DataFrame | None) -> dict[tuple[int, str], str]:
    if acceptances is None or acceptances.empty:
        return {}
    notes: dict[tuple[int, str], list[str]] = {}
    for r in acceptances.sort_values("accepted_at").itertuples():
        notes.setdefault((int(r.season), r.table_name), []).append(f"{r.rule} by {r.accepted_by}: {r.reason}")
    return {key: "; ".join(dict.fromkeys(v)) for key, v in notes.items()}


def _provenance_rows(provenance: pd.DataFrame, acceptances: pd.DataFrame | None = None) -> list[list[Cell]]:
    accepted = _accepted_by_season(acceptances)
    return [
        [
            cell(r.season, r.season, True), cell(r.table_name), cell(r.source), cell(r.source_ref, tag="code", tag_class="ref"),
            cell(r.raw_sha256, tag="code", tag_class="hash"), cell(r.rows, r.rows, True), cell(when(r.loaded_at), cls="nowrap"),
            cell(accepted.get((int(r.season), r.table_name), "")),
        ]
        for r in provenance.sort_values(["season", "table_name", "source_ref"]).itertuples()
    ]


def _incident_rows(incidents: pd.DataFrame | None) -> list[list[Cell]]:
    if incidents is None:
        return []
    return [
        [
            cell(when(r.incident_at), cls="nowrap"), cell(r.season, r.season, True), cell(r.table_name),
            cell(r.rule, cls="nowrap", tag="code"), cell(r.outcome, cls="status-" + ("failed" if r.outcome == "refused" else "warning")),
            cell(f"{r.source or ''} {r.source_ref or ''}".strip(), tag="code", tag_class="ref"), cell(r.expected), cell(r.seen),
            cell(r.raw_path or "", tag="code", tag_class="ref"),
        ]
        for r in incidents.itertuples()
    ]


def _acceptance_rows(acceptances: pd.DataFrame | None) -> list[list[Cell]]:
    if acceptances is None:
        return []
    return [
        [
            cell(r.season, r.season, True), cell(r.table_name), cell(r.rule, cls="nowrap", tag="code"), cell(r.accepted_by),
            cell(when(r.accepted_at), cls="nowrap"), cell(r.reason), cell(r.seen),
        ]
        for r in acceptances.sort_values(["season", "accepted_at"]).itertuples()
    ]


def _slo_rows(slos: Sequence[tuple[str, ScrapeSlo]]) -> list[list[Cell]]:
    status_class = {True: "status-passed", False: "status-failed", None: "status-not"}
    return [
        [
            cell(name),
            cell(str(slo.attempts), slo.attempts, numeric=True),
            cell(str(slo.failures), slo.failures, numeric=True),
            cell(format_pct(slo.success_ratio), slo.success_rate if slo.success_rate is not None else -1, numeric=True),
            cell(format_budget(slo), slo.error_budget_remaining if slo.error_budget_remaining is not None else -1),
            cell(slo.status, cls=status_class[slo.met]),
        ]
        for name, slo in slos
    ]


def _slo_alert_rows(overall: ScrapeSlo) -> list[list[Cell]]:
    """The burn-rate alerts over every source's attempts: each window's burn rate against the threshold."""
    return [
        [
            cell(state.alert.severity),
            cell(state.long.text()),
            cell(state.short.text()),
            cell(format_burn(state.alert.threshold)),
            cell("firing" if state.firing else "no", cls="status-failed" if state.firing else "status-passed"),
        ]
        for state in overall.alerts
    ]


def _slo_context(slos: Sequence[tuple[str, ScrapeSlo]]) -> dict:
    if not slos:
        return {"slo_rows": [], "slo_target": None, "slo_days": None, "slo_alert_headers": SLO_ALERT_HEADERS, "slo_alert_rows": [], "slo_alert_line": ""}
    overall = slos[0][1]
    return {
        "slo_rows": _slo_rows(slos),
        "slo_target": format_pct(overall.target, 1),
        "slo_days": overall.days,
        "slo_alert_headers": SLO_ALERT_HEADERS,
        "slo_alert_rows": _slo_alert_rows(overall),
        "slo_alert_line": alert_text(overall),
    }


def quality_line(overview: pd.DataFrame) -> str:
    counts = overview["status"].value_counts()
    return ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("passed", "warning", "accepted", "failed", "not evaluated yet") if counts.get(s, 0))


def render_html(inputs: ReportInputs, findings: Sequence[Finding]) -> str:
    """The report page from templates/report.html (every value escaped by the template)."""
    risk = inputs.risk
    seasons = sorted(int(s) for s in risk["season"].unique())
    latest = inputs.latest_season
    overview = quality_overview(inputs.quality, inputs.rules)
    charts = [
        {"key": chart.key, "div": Markup(chart_div(fig, "report-" + chart.key)), "description": chart.description, "filename": chart.filename}
        for chart, fig in inputs.charts
    ]
    return templating.render(
        "report.html",
        font=Markup(FONT),
        plotly_js=PLOTLY_JS,
        first_season=seasons[0],
        last_season=seasons[-1],
        season_count=len(seasons),
        team_seasons=len(risk),
        latest=latest,
        generated_at=when(inputs.generated_at),
        quality_line=quality_line(overview),
        summary_file=SUMMARY_FILE,
        findings=findings,
        high_dead_cap_pct=f"{HIGH_DEAD_CAP_PCT:g}",
        winning_pct=f"{WINNING_PCT:.3f}",
        highlight=", ".join(inputs.highlight) or "none",
        charts=charts,
        team_headers=TEAM_HEADERS,
        team_rows=_team_rows(risk[risk["season"] == latest]),
        fit=inputs.fit,
        fit_headers=FIT_HEADERS,
        fit_rows=_fit_rows(inputs.fit) if inputs.fit and "fe_slope" in inputs.fit else [],
        season_file=SEASON_FILE,
        teams_dir=TEAMS_DIR,
        snapshot_season=inputs.snapshot_season,
        snapshot_dates=list(inputs.snapshot_dates),
        summary_headers=SUMMARY_HEADERS,
        summary_rows=_summary_rows(inputs.summary),
        quality_headers=QUALITY_HEADERS,
        quality_rows=_quality_rows(overview),
        slo_headers=SLO_HEADERS,
        **_slo_context(inputs.scraper_slo),
        provenance_headers=PROVENANCE_HEADERS,
        provenance_rows=_provenance_rows(inputs.provenance, inputs.acceptances),
        incident_headers=INCIDENT_HEADERS,
        incident_rows=_incident_rows(inputs.incidents),
        acceptance_headers=ACCEPTANCE_HEADERS,
        acceptance_rows=_acceptance_rows(inputs.acceptances),
    )


# ---------------------------------------------------------------- Markdown


def md(value) -> str:
    """Markdown-safe text: HTML escaped (renderers pass HTML through) and table pipes escaped."""
    text = "–" if missing(value) else html.escape(str(value), quote=False)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(inputs: ReportInputs, findings: Sequence[Finding], top: int = 10) -> str:
    latest = inputs.latest_season
    seasons = sorted(int(s) for s in inputs.risk["season"].unique())
    overview = quality_overview(inputs.quality, inputs.rules)
    counts = overview["status"].value_counts()
    lines = [
        "# NFL dead-cap risk report",
        "",
        f"Seasons {seasons[0]}-{seasons[-1]}, latest complete season {latest}. Generated {when(inputs.generated_at)}. "
        f"Full report with charts: [{REPORT_FILE}]({REPORT_FILE}).",
        "",
        "## Headline findings",
        "",
        *(f"- {md(f.text)}" for f in findings),
        "",
        f"## {latest}: the {top} teams with the most dead cap",
        "",
        "| Rank | Team | Record | Dead money ($M) | Dead cap % | Tier | Quadrant |",
        "|---:|---|---|---:|---:|---|---|",
    ]
    season = inputs.risk[inputs.risk["season"] == latest].sort_values("dead_cap_rank").head(top)
    for r, rec in zip(season.itertuples(), record(season)):
        lines.append(f"| {r.dead_cap_rank} | {md(r.team)} | {md(rec)} | {r.dead_money_musd:.1f} | {r.dead_cap_pct:.1f} | {md(r.risk_tier)} | {md(r.quadrant)} |")
    lines += [
        "",
        "## Data quality",
        "",
        ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("passed", "warning", "accepted", "failed", "not evaluated yet") if counts.get(s, 0)) + " (rules, latest result per season).",
        "",
    ]
    for r in overview[overview["status"].isin(["failed", "warning"])].itertuples():
        lines.append(f"- {md(r.status)}: `{md(r.table_name)}.{md(r.rule)}` in season(s) {md(r.failing_seasons)}")
    if inputs.acceptances is not None and not inputs.acceptances.empty:
        lines += ["", "Accepted by a person (break glass):", ""]
        for r in inputs.acceptances.sort_values(["season", "accepted_at"]).itertuples():
            lines.append(f"- {r.season} `{md(r.table_name)}.{md(r.rule)}` accepted by {md(r.accepted_by)}: {md(r.reason)}")
    if inputs.incidents is not None and not inputs.incidents.empty:
        lines += ["", f"{len(inputs.incidents)} recent incident(s) in nfl.incidents, newest: {md(inputs.incidents.iloc[0]['message'])}"]
    if inputs.scraper_slo:
        lines += ["", "## Scraper SLO", "", slo_markdown(inputs.scraper_slo[0][1], dict(inputs.scraper_slo[1:]))]
    lines += ["", "## Charts", "", *(f"- [{md(chart.title)}]({chart.filename})" for chart, _ in inputs.charts), ""]
    return "\n".join(lines)


def build(inputs: ReportInputs) -> Report:
    findings = headline_findings(inputs)
    return Report(html=render_html(inputs, findings), markdown=render_markdown(inputs, findings), findings=findings)


def utc_now() -> datetime:
    return datetime.now(UTC)
