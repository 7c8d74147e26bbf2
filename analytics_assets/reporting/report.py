"""The risk report: pure functions from stored data to one HTML page and a Markdown summary.

Every finding is computed from the data passed in; nothing about the data is typed by hand. Every
value that reaches the page goes through `html.escape` (team codes, divisions, source references,
quality details can all come from a scraped page). The page needs nothing but plotly.min.js in its
own folder: no CDN, no web fonts, and a Content-Security-Policy that forbids network connections.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
import plotly.graph_objects as go

from analytics_assets.marts.risk import HIGH_DEAD_CAP_PCT, QUADRANTS, TIERS, WINNING_PCT
from analytics_assets.ops.slo import ScrapeSlo, format_budget, format_pct, slo_markdown
from analytics_assets.reporting.charts import FONT, Chart, chart_div, record

REPORT_FILE = "risk_report.html"
SUMMARY_FILE = "risk_report.md"
CAP_HELL = QUADRANTS[(True, False)]
# No fetch/XHR/WebSocket, no remote images, fonts or frames; scripts only from the page's own folder.
CSP = (
    "default-src 'none'; script-src 'self' file: 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
)


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


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def e(value) -> str:
    """Escaped text of any value; missing values as an en dash."""
    return "–" if _missing(value) else html.escape(str(value))


def _num(value, fmt: str) -> str:
    return "–" if _missing(value) else format(value, fmt)


def _when(value) -> str:
    if _missing(value):
        return "–"
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


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
    if fit:
        per10, lo, hi = fit["slope"] * 1000, fit["slope_ci_low"] * 1000, fit["slope_ci_high"] * 1000
        direction = "fewer" if per10 < 0 else "more"
        verdict = (
            "The interval excludes zero: more dead cap goes with " + ("losing." if hi < 0 else "winning.")
            if lo > 0 or hi < 0 else "The interval includes zero: no clear linear link between dead cap and winning."
        )
        findings.append(Finding(
            "pooled_fit",
            f"Across {fit['n']} team-seasons ({fit['first_season']}-{fit['last_season']}), each extra 10 points of "
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
            f"average ({int(heavy.sum())} team-seasons); teams in the low or moderate tier by {b:+.1f} ({int((~heavy).sum())}).",
            round(a - b, 2),
        ))
    return findings


# ---------------------------------------------------------------- data quality and provenance


def quality_overview(quality: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (table, rule): its latest result over every season checked, declared rules never run included.

    quality: the latest nfl.quality_results row per (table_name, rule, season).
    """
    cols = ["table_name", "rule", "severity", "description", "status", "seasons_checked", "seasons_failing", "failing_seasons", "detail", "checked_at"]
    q = quality.assign(failed=~quality["passed"].astype(bool)).sort_values(["table_name", "rule", "season"])
    grouped = q.groupby(["table_name", "rule"], sort=False)
    out = grouped.agg(
        severity=("severity", "last"), seasons_checked=("season", "nunique"), seasons_failing=("failed", "sum"),
        checked_at=("checked_at", "max"),
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


STYLE = f"""
body {{ font-family: {FONT}; color: #1b1b1b; margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; line-height: 1.45; }}
h1 {{ margin-bottom: 0.2em; }} h2 {{ margin-top: 2em; border-bottom: 2px solid #e3e3e3; padding-bottom: 0.2em; }}
.meta {{ color: #555; }} .findings li {{ margin: 0.4em 0; }}
table {{ border-collapse: collapse; font-size: 0.88em; width: 100%; margin: 0.6em 0; }}
th, td {{ border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
table.sortable th {{ cursor: pointer; user-select: none; background: #f4f4f4; position: sticky; top: 0; }}
table.sortable th:hover, table.sortable th:focus {{ background: #e6eef6; }}
th[aria-sort=ascending]::after {{ content: " ▲"; }} th[aria-sort=descending]::after {{ content: " ▼"; }}
code {{ font-size: 0.92em; }} code.hash, code.ref {{ word-break: break-all; }} .nowrap {{ white-space: nowrap; }}
.status-passed {{ color: #00734f; font-weight: 600; }} .status-failed {{ color: #b23c00; font-weight: 600; }}
.status-warning {{ color: #8a5a00; font-weight: 600; }} .status-not {{ color: #555; }}
.tier-extreme, .q-hell {{ color: #b23c00; font-weight: 600; }}
figure {{ margin: 1.5em 0; }} figcaption {{ color: #555; font-size: 0.9em; }}
.scroll {{ overflow-x: auto; }}
"""

SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.tabIndex = 0;
    function key(row) { var c = row.cells[col]; return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent.trim(); }
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }
        var d = isNaN(nx) ? x.localeCompare(y) : nx - ny;
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); } });
  });
});
"""


def _cell(text: str, sort=None, numeric: bool = False, cls: str = "") -> str:
    attrs = ""
    if sort is not None:
        attrs += f' data-sort="{"" if _missing(sort) else html.escape(str(sort), quote=True)}"'
    classes = " ".join(c for c in ("n" if numeric else "", cls) if c)
    if classes:
        attrs += f' class="{classes}"'
    return f"<td{attrs}>{text}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], table_id: str, sortable: bool = True, caption: str = "") -> str:
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    body = "\n".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    cls = ' class="sortable"' if sortable else ""
    return f'<div class="scroll"><table id="{table_id}"{cls}>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>'


def _team_rows(season: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r, rec in zip(season.sort_values("dead_cap_rank").itertuples(), record(season.sort_values("dead_cap_rank"))):
        rows.append([
            _cell(e(r.dead_cap_rank), r.dead_cap_rank, True),
            _cell(f"<b>{e(r.team)}</b>"), _cell(e(r.franchise)), _cell(e(r.conference)), _cell(e(r.division), cls="nowrap"),
            _cell(e(rec), r.win_pct), _cell(_num(r.win_pct, ".3f"), r.win_pct, True),
            _cell(_num(r.dead_money_musd, ".1f"), r.dead_money_musd, True),
            _cell(_num(r.dead_cap_pct, ".1f"), r.dead_cap_pct, True),
            _cell(_num(r.dead_cap_percentile, ".0f"), r.dead_cap_percentile, True),
            _cell(_num(r.dead_cap_zscore, "+.2f"), r.dead_cap_zscore, True),
            _cell(e(r.risk_tier), TIERS.index(r.risk_tier) if r.risk_tier in TIERS else None, cls=f"tier-{e(r.risk_tier)}"),
            f'<td title="{e(r.quadrant)}" class="nowrap{" q-hell" if r.quadrant == CAP_HELL else ""}">{e(_quadrant_short(r.quadrant))}</td>',
            _cell(_num(r.next_season_win_pct_change * 100 if not _missing(r.next_season_win_pct_change) else None, "+.1f"), r.next_season_win_pct_change, True),
        ])
    return rows


TEAM_HEADERS = ["Rank", "Team", "Franchise", "Conf.", "Division", "Record", "Win %", "Dead money ($M)", "Dead cap %",
                "Percentile", "z-score", "Tier", "Quadrant", "Next season: win % change (points)"]
SUMMARY_HEADERS = ["Season", "Teams", "Min %", "Q1 %", "Median %", "Q3 %", "Max %", "Mean %", "Extreme above %",
                   "Spearman rho", "p-value", *(t.capitalize() for t in TIERS), "Cap hell"]


def _summary_rows(summary: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in summary.sort_values("season").itertuples():
        rows.append([
            _cell(e(r.season), r.season, True), _cell(e(r.teams), r.teams, True),
            *(_cell(_num(getattr(r, c), ".1f"), getattr(r, c), True) for c in
              ("dead_cap_pct_min", "dead_cap_pct_q1", "dead_cap_pct_median", "dead_cap_pct_q3", "dead_cap_pct_max", "dead_cap_pct_mean", "extreme_fence_pct")),
            _cell(_num(r.spearman_rho, "+.3f"), r.spearman_rho, True), _cell(_num(r.spearman_p, ".3g"), r.spearman_p, True),
            *(_cell(e(getattr(r, f"teams_{t}")), getattr(r, f"teams_{t}"), True) for t in TIERS),
            _cell(e(r.teams_cap_hell), r.teams_cap_hell, True),
        ])
    return rows


def _fit_html(fit: dict | None) -> str:
    if not fit:
        return "<p>No pooled fit stored yet (materialize <code>league_risk_summary</code>).</p>"
    return (
        f"<p>Pooled fit over {e(fit['n'])} team-seasons, {e(fit['first_season'])}-{e(fit['last_season'])} "
        f"({e(fit['model'])}): win_pct = {fit['intercept']:.4f} {'+' if fit['slope'] >= 0 else '−'} "
        f"{abs(fit['slope']):.5f} × dead_cap_pct. Slope 95% CI [{fit['slope_ci_low']:.5f}, {fit['slope_ci_high']:.5f}], "
        f"p = {fit['slope_p']:.3g}, R² = {fit['r_squared']:.4f}; intercept 95% CI "
        f"[{fit['intercept_ci_low']:.4f}, {fit['intercept_ci_high']:.4f}]. Pooled Spearman rho = {_num(fit['spearman_rho'], '+.3f')} "
        f"(p = {_num(fit['spearman_p'], '.3g')}).</p>"
    )


def _quality_rows(overview: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in overview.itertuples():
        status_cls = "status-" + str(r.status).split()[0]
        rows.append([
            _cell(e(r.table_name)), _cell(f"<code>{e(r.rule)}</code>", cls="nowrap"), _cell(e(r.severity)),
            _cell(e(r.status), cls=status_cls),
            _cell(e(r.seasons_checked), r.seasons_checked, True), _cell(e(r.failing_seasons if r.seasons_failing else "none")),
            _cell(e(r.description)), _cell(e(r.detail if r.seasons_failing else "")), _cell(e(_when(r.checked_at)), cls="nowrap"),
        ])
    return rows


def _provenance_rows(provenance: pd.DataFrame) -> list[list[str]]:
    return [
        [
            _cell(e(r.season), r.season, True), _cell(e(r.table_name)), _cell(e(r.source)), _cell(f'<code class="ref">{e(r.source_ref)}</code>'),
            _cell(f'<code class="hash">{e(r.raw_sha256)}</code>'), _cell(e(r.rows), r.rows, True), _cell(e(_when(r.loaded_at)), cls="nowrap"),
        ]
        for r in provenance.sort_values(["season", "table_name", "source_ref"]).itertuples()
    ]


def render_html(inputs: ReportInputs, findings: Sequence[Finding]) -> str:
    risk = inputs.risk
    seasons = sorted(int(s) for s in risk["season"].unique())
    latest = inputs.latest_season
    overview = quality_overview(inputs.quality, inputs.rules)
    counts = overview["status"].value_counts()
    quality_line = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("passed", "warning", "failed", "not evaluated yet") if counts.get(s, 0))
    charts_html = "\n".join(
        f'<figure id="fig-{e(chart.key)}">{chart_div(fig, "report-" + chart.key)}'
        f'<figcaption>{e(chart.description)} Stand-alone page: <a href="{e(chart.filename)}">{e(chart.filename)}</a>.</figcaption></figure>'
        for chart, fig in inputs.charts
    )
    highlight = ", ".join(inputs.highlight) or "none"
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>NFL dead-cap risk report, {seasons[0]}-{seasons[-1]}</title>",
        f"<style>{STYLE}</style>",
        '<script charset="utf-8" src="plotly.min.js"></script>',
        "</head>",
        "<body>",
        "<header>",
        "<h1>NFL dead-cap risk report</h1>",
        f'<p class="meta">Seasons {seasons[0]}-{seasons[-1]} ({len(seasons)} stored, {len(risk)} team-seasons); latest complete season '
        f"<b>{latest}</b>. Generated {e(_when(inputs.generated_at))}. Data quality: {e(quality_line)}. "
        f'Summary in Markdown: <a href="{SUMMARY_FILE}">{SUMMARY_FILE}</a>.</p>',
        "</header>",
        "<main>",
        '<section id="findings"><h2>Headline findings</h2><ul class="findings">',
        *(f'<li data-key="{e(f.key)}">{e(f.text)}</li>' for f in findings),
        "</ul>",
        f"<p class=\"meta\">Dead cap % is dead money divided by that season's league salary cap. Risk tiers come from each season's "
        f"quartiles: low up to Q1, moderate up to Q3, high up to Q3 + 1.5 × IQR, extreme above. Quadrants split at "
        f"{HIGH_DEAD_CAP_PCT:g}% dead cap and a {WINNING_PCT:.3f} win rate (.500 counts as .500 or better).</p>",
        "</section>",
        f'<section id="charts"><h2>Charts</h2><p class="meta">Highlighted franchises: {e(highlight)}. Hover any point for team, season, record and dead money.</p>',
        charts_html,
        "</section>",
        f'<section id="teams"><h2>Teams in {latest}</h2><p class="meta">Click a column heading to sort; hover a quadrant for its '
        f"definition. The next-season change shows \u2013 until season {latest + 1} is stored.</p>",
        _table(TEAM_HEADERS, _team_rows(risk[risk["season"] == latest]), "team-table"),
        "</section>",
        '<section id="league"><h2>League by season</h2>',
        _fit_html(inputs.fit),
        _table(SUMMARY_HEADERS, _summary_rows(inputs.summary), "summary-table"),
        "</section>",
        '<section id="quality"><h2>Data quality</h2>'
        "<p class=\"meta\">Every rule's latest result for every season it checked (nfl.quality_results). A failed ERROR rule "
        "blocked that season's write, so the stored rows are the last ones that passed.</p>",
        _table(["Table", "Rule", "Severity", "Latest result", "Seasons checked", "Failing seasons", "Rule description", "Failure detail", "Last checked"],
               _quality_rows(overview), "quality-table"),
        "</section>",
        _slo_html(inputs.scraper_slo),
        '<section id="provenance"><h2>Provenance</h2><p class="meta">Where every stored season came from: source, file or URL, '
        "sha256 of the raw bytes, rows and load time.</p>",
        _table(["Season", "Table", "Source", "File or URL", "sha256", "Rows", "Loaded at"], _provenance_rows(inputs.provenance), "provenance-table"),
        "</section>",
        "</main>",
        f"<script>{SORT_JS}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _slo_rows(slos: Sequence[tuple[str, ScrapeSlo]]) -> list[list[str]]:
    return [
        [
            _cell(name),
            _cell(str(slo.attempts), slo.attempts, numeric=True),
            _cell(str(slo.failures), slo.failures, numeric=True),
            _cell(format_pct(slo.success_rate), slo.success_rate if slo.success_rate is not None else -1, numeric=True),
            _cell(format_budget(slo)),
            _cell("met" if slo.met else "BREACHED", cls="status-passed" if slo.met else "status-failed"),
        ]
        for name, slo in slos
    ]


def _slo_html(slos: Sequence[tuple[str, ScrapeSlo]]) -> str:
    if not slos:
        return ""
    overall = slos[0][1]
    days = round((overall.window_end - overall.window_start).total_seconds() / 86400)
    return "\n".join([
        '<section id="scraper-slo"><h2>Scraper SLO</h2>',
        f'<p class="meta">Target: {e(format_pct(overall.target, 1))} of scrape attempts succeed over {days} days '
        "(nfl.scrape_log, every live request, retries included). The error budget is the failures the target allows.</p>",
        _table(["Source", "Attempts", "Failures", "Success rate", "Error budget left", "SLO"], _slo_rows(slos), "slo-table"),
        "</section>",
    ])


# ---------------------------------------------------------------- Markdown


def md(value) -> str:
    """Markdown-safe text: HTML escaped (renderers pass HTML through) and table pipes escaped."""
    text = "–" if _missing(value) else html.escape(str(value), quote=False)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(inputs: ReportInputs, findings: Sequence[Finding], top: int = 10) -> str:
    latest = inputs.latest_season
    seasons = sorted(int(s) for s in inputs.risk["season"].unique())
    overview = quality_overview(inputs.quality, inputs.rules)
    counts = overview["status"].value_counts()
    lines = [
        "# NFL dead-cap risk report",
        "",
        f"Seasons {seasons[0]}-{seasons[-1]}, latest complete season {latest}. Generated {_when(inputs.generated_at)}. "
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
        ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("passed", "warning", "failed", "not evaluated yet") if counts.get(s, 0)) + " (rules, latest result per season).",
        "",
    ]
    for r in overview[overview["status"].isin(["failed", "warning"])].itertuples():
        lines.append(f"- {md(r.status)}: `{md(r.table_name)}.{md(r.rule)}` in season(s) {md(r.failing_seasons)}")
    if inputs.scraper_slo:
        lines += ["", "## Scraper SLO", "", slo_markdown(inputs.scraper_slo[0][1], dict(inputs.scraper_slo[1:]))]
    lines += ["", "## Charts", "", *(f"- [{md(chart.title)}]({chart.filename})" for chart, _ in inputs.charts), ""]
    return "\n".join(lines)


def build(inputs: ReportInputs) -> Report:
    findings = headline_findings(inputs)
    return Report(html=render_html(inputs, findings), markdown=render_markdown(inputs, findings), findings=findings)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
