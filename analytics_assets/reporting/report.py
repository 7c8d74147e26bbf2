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

from analytics_assets.analytics.risk import (
    AT_500,
    CAP_HELL,
    CLASS_KEYS,
    HIGH_DEAD_CAP_PCT,
    LOSING,
    QUADRANTS,
    RECORD_WORDS,
    SEASON_QUADRANTS,
    TIERS,
    WINNING,
    record_side,
    short_name,
)
from analytics_assets.reporting import status, templating
from analytics_assets.reporting.charts import FONT, Chart, chart_div, record
from analytics_assets.reporting.team_pages import SEASON_FILE, TEAMS_DIR, team_href
from analytics_assets.reporting.templating import Cell, cell, missing, num, when
from analytics_assets.slo import ScrapeSlo, alert_text, format_budget, format_burn, format_pct, slo_markdown

REPORT_FILE = "risk_report.html"
SUMMARY_FILE = "risk_report.md"
PLOTLY_JS = "plotly.min.js"


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
    failed_refreshes: pd.DataFrame | None = None  # refreshes.failed_refreshes: seasons whose latest refresh failed
    refreshed_seasons: Sequence[int] = ()  # seasons with any refresh in the instance's run history (failed ones too)


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


# ---------------------------------------------------------------- the first paragraph


def _record_split(rows: pd.DataFrame) -> str:
    """ "9 finished below .500, 2 at .500 and 5 above" for a group of teams."""
    sides = pd.Series(record_side(rows["wins"], rows["losses"])).value_counts()
    parts = [f"{int(sides.get(LOSING, 0))} finished below .500"]
    if sides.get(AT_500, 0):
        parts.append(f"{int(sides[AT_500])} at .500")
    parts.append(f"{int(sides.get(WINNING, 0))} above .500")
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def gm_paragraph(risk: pd.DataFrame, fit: dict | None, latest: int) -> str:
    """The report's first paragraph, in plain words for a general manager, computed from the data:
    what a dead-money decision has gone with in wins, how the latest season's teams split on either
    side of its median, and what dead cap says about next season."""
    season = risk[risk["season"] == latest]
    if season.empty:
        return f"No team-season of {latest} is stored, so there is nothing to say about it yet."
    games = int(season["games"].max())
    cap = float(season["league_salary_cap_musd"].iloc[0])
    median = float(season["season_median_dead_cap_pct"].iloc[0])
    above = season[season["dead_cap_pct"] >= median]
    below = season[season["dead_cap_pct"] < median]
    sentences = []
    if fit and not missing(fit.get("fe_slope")):
        per_10m = 10 / cap * 100  # $10M as points of the latest cap
        wins = [
            -fit[k] * per_10m * games for k in ("fe_slope", "fe_slope_ci_high", "fe_slope_ci_low")
        ]  # fewer wins: low, high
        if fit["fe_slope_ci_high"] < 0:
            share = fit.get("fe_within_r_squared")
            explains = (
                (
                    f" It is a real but small drag: dead money accounts for {share:.0%} of the differences in records "
                    "within a season, so most of a record is something else."
                )
                if not missing(share)
                else ""
            )
            sentences.append(
                f"Dead money goes with fewer wins, but not many. Within the same season, every $10M of dead money "
                f"({per_10m:.1f}% of "
                f"the {latest} cap of ${cap:.1f}M) has gone with about {wins[0]:.2f} fewer wins over {games} games "
                f"(95% interval {wins[1]:.2f} to {wins[2]:.2f}).{explains}"
            )
        elif fit["fe_slope_ci_low"] > 0:
            sentences.append(
                f"Within the same season, teams with more dead money have won slightly more: every $10M "
                f"({per_10m:.1f}% of the "
                f"{latest} cap) has gone with about {-wins[0]:.2f} more wins over {games} games (95% interval "
                f"{-wins[2]:.2f} to {-wins[1]:.2f})."
            )
        else:
            sentences.append(
                "Within the same season, dead money has shown no clear link with winning: the 95% interval of its "
                "effect "
                f"runs from {wins[2]:+.2f} to {wins[1]:+.2f} wins per $10M over {games} games, either way."
            )
    sentences.append(
        f"In {latest}, of the {len(above)} teams at or above the league's median dead money ({median:.1f}% of the "
        f"cap), "
        f"{_record_split(above)}; of the {len(below)} below it, {_record_split(below)}."
    )
    if fit and not missing(fit.get("next_slope")):
        per_10m = 10 / cap * 100
        lo, hi = (
            fit[k] * per_10m * games for k in ("next_slope_ci_low", "next_slope_ci_high")
        )  # wins next season per $10M
        if lo <= 0 <= hi:
            sentences.append(
                "Once this season's record is known, dead money has said nothing measurable about next season "
                f"(95% interval {lo:+.2f} to {hi:+.2f} wins per $10M): no evidence that carrying it deepens a slide, "
                "or that clearing it brings a rebound."
            )
        else:
            direction = "better" if lo > 0 else "worse"
            sentences.append(
                f"Given this season's record, teams with more dead money have done {direction} the next season "
                f"(95% interval {lo:+.2f} to {hi:+.2f} wins per $10M)."
            )
    sentences.append("These are associations across teams, not the measured effect of any one decision.")
    return " ".join(sentences)


# ---------------------------------------------------------------- findings


def headline_findings(inputs: ReportInputs) -> list[Finding]:
    risk, latest = inputs.risk, inputs.latest_season
    season = risk[risk["season"] == latest]
    findings: list[Finding] = []
    fit = inputs.fit
    summary = inputs.summary.sort_values("season")
    if fit and not missing(fit.get("fe_slope")):
        findings.append(_season_fair_finding(fit, summary, latest))  # the headline
    if not season.empty:
        top = season.sort_values(["dead_cap_pct", "franchise"], ascending=[False, True]).iloc[0]
        side = record_side([top["wins"]], [top["losses"]])[0]
        findings.append(
            Finding(
                "top_dead_cap",
                f"In {latest}, {top['franchise']} carried the most dead money: ${top['dead_money_musd']:.1f}M, "
                f"{top['dead_cap_pct']:.1f}% of the ${top['league_salary_cap_musd']:.1f}M cap, and went "
                f"{record(season.loc[[top.name]]).iloc[0]} ({RECORD_WORDS[side]}).",
                f"{top['franchise']} {top['dead_cap_pct']:.1f}%",
            )
        )
        findings.append(_season_relative_finding(risk, season, latest))
        hell = season[season["quadrant"] == CAP_HELL].sort_values(
            ["dead_cap_pct", "franchise"], ascending=[False, True]
        )
        names = ", ".join(
            f"{r.franchise} ({r.dead_cap_pct:.1f}%, {rec})" for r, rec in zip(hell.itertuples(), record(hell))
        )
        findings.append(
            Finding(
                "cap_hell_teams",
                f"Absolute view ({HIGH_DEAD_CAP_PCT:g}% of the cap and .500, whatever the season): {len(hell)} of "
                f"{len(season)} teams "
                f"were in cap hell in {latest} (dead cap {HIGH_DEAD_CAP_PCT:g}%+ and below .500)"
                + (f": {names}." if len(hell) else "."),
                int(len(hell)),
            )
        )
    if len(summary) >= 2:
        first, last = summary.iloc[0], summary[summary["season"] == latest]
        last = last.iloc[0] if not last.empty else summary.iloc[-1]
        verb = "rose" if last["dead_cap_pct_mean"] > first["dead_cap_pct_mean"] else "fell"
        findings.append(
            Finding(
                "league_mean_trend",
                f"The league's mean dead cap {verb} from {first['dead_cap_pct_mean']:.1f}% of the cap in "
                f"{int(first['season'])} to {last['dead_cap_pct_mean']:.1f}% in {int(last['season'])} "
                f"(median {first['dead_cap_pct_median']:.1f}% to {last['dead_cap_pct_median']:.1f}%).",
                round(float(last["dead_cap_pct_mean"] - first["dead_cap_pct_mean"]), 2),
            )
        )
    if fit:
        per10, lo, hi = fit["slope"] * 1000, fit["slope_ci_low"] * 1000, fit["slope_ci_high"] * 1000
        direction = "fewer" if per10 < 0 else "more"
        verdict = (
            "The interval excludes zero: more dead cap goes with " + ("losing." if hi < 0 else "winning.")
            if lo > 0 or hi < 0
            else "The interval includes zero: no clear linear link between dead cap and winning."
        )
        findings.append(
            Finding(
                "pooled_fit",
                "Pooled over all seasons, which mixes the league-wide drift into the team effect: "
                f"across {fit['n']} team-seasons ({fit['first_season']}-{fit['last_season']}), each extra 10 points of "
                f"dead cap went with {abs(per10):.1f} win-% points {direction} (95% CI {lo:+.1f} to {hi:+.1f}; "
                f"p = {fit['slope_p']:.2g}; R² = {fit['r_squared']:.3f}). {verdict}",
                round(per10, 3),
            )
        )
    rho = summary.dropna(subset=["spearman_rho"])
    if not rho.empty:
        negative = int((rho["spearman_rho"] < 0).sum())
        significant = int(((rho["spearman_rho"] < 0) & (rho["spearman_p"] < 0.05)).sum())
        latest_rho = rho[rho["season"] == latest]
        tail = f" In {latest}, rho = {latest_rho['spearman_rho'].iloc[0]:+.2f}." if not latest_rho.empty else ""
        findings.append(
            Finding(
                "spearman_seasons",
                f"Within a season, more dead cap ranked with a worse record (negative Spearman rho) in {negative} of "
                f"{len(rho)} seasons, significantly (p under 0.05) in {significant}.{tail}",
                negative,
            )
        )
    nxt = risk.dropna(subset=["next_season_win_pct_change"])
    heavy = nxt["risk_tier"].isin(TIERS[2:])
    if heavy.any() and (~heavy).any():
        a, b = (
            nxt.loc[heavy, "next_season_win_pct_change"].mean() * 100,
            nxt.loc[~heavy, "next_season_win_pct_change"].mean() * 100,
        )
        findings.append(
            Finding(
                "next_season_change",
                f"The season after, teams in the high or extreme dead-cap tier changed their win % by {a:+.1f} "
                f"points on "
                f"average ({int(heavy.sum())} team-seasons); teams in the low or moderate tier by {b:+.1f} "
                f"({int((~heavy).sum())}). "
                "This raw comparison ignores regression to the mean (heavy dead cap goes with losing, and losing "
                "teams improve).",
                round(a - b, 2),
            )
        )
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
        drift = (
            f" the league's mean dead cap moved from {first['dead_cap_pct_mean']:.1f}% to "
            f"{last['dead_cap_pct_mean']:.1f}% of the cap while its mean win % is .500 every season, so"
        )
    verdict = (
        "The interval excludes zero."
        if lo > 0 or hi < 0
        else "The interval includes zero: no clear within-season link."
    )
    return Finding(
        "season_fe_fit",
        f"Season-fair headline: within the same season, each extra 10 points of dead cap went with {abs(per10):.1f} "
        f"win-% "
        f"points {direction} (95% CI {lo:+.1f} to {hi:+.1f}, team-clustered; p = {fit['fe_slope_p']:.2g}; OLS with "
        f"season "
        f"fixed effects over {fit['n']} team-seasons of {fit['clusters']} franchises, "
        f"{fit['first_season']}-{fit['last_season']}). "
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
    above = season[season["dead_cap_pct"] >= median]
    hell = int((season["season_quadrant"] == SEASON_QUADRANTS[(True, LOSING)]).sum())
    return Finding(
        "season_relative_quadrant",
        f"Season-relative view: of the {len(above)} teams at or above {latest}'s median dead cap ({median:.1f}% of "
        f"the cap), "
        f"{_record_split(above)}. The fixed {HIGH_DEAD_CAP_PCT:g}% line, by contrast, had {over} of {len(season)} "
        f"teams "
        f"above it in {latest} against {over_first} of {len(first)} in {first_season}.",
        hell,
    )


def _next_season_finding(fit: dict) -> Finding:
    per10, lo, hi = _per10(fit, "next_slope")
    raw, raw_lo, raw_hi = _per10(fit, "next_unadjusted_slope")
    back = -fit["next_win_pct_coef"]
    verdict = "the interval includes zero" if lo <= 0 <= hi else "the interval excludes zero"
    return Finding(
        "next_season_given_record",
        f"Next season, given this season's record: each extra 10 points of dead cap went with a {per10:+.1f} win-% "
        f"point "
        f"change (95% CI {lo:+.1f} to {hi:+.1f}, team-clustered; {verdict}; {fit['next_n']} team-seasons with a next "
        f"season, "
        f"season fixed effects). Without the record it looks like {raw:+.1f} ({raw_lo:+.1f} to {raw_hi:+.1f}), "
        f"because teams below "
        f".500 improve whatever their dead cap (regression to the mean: a team's distance from .500 shrank by "
        f"{back:.0%} "
        "on average the next season) and heavy dead cap goes with losing.",
        round(per10, 3),
    )


# ---------------------------------------------------------------- data quality and provenance


def quality_overview(quality: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (table, rule): its latest result over every season checked, declared rules never run included.

    quality: the latest nfl.quality_results row per (table_name, rule, season).
    """
    cols = [
        "table_name",
        "rule",
        "severity",
        "description",
        "status",
        "seasons_checked",
        "seasons_failing",
        "failing_seasons",
        "detail",
        "checked_at",
    ]
    q = quality.assign(failed=~quality["passed"].astype(bool)).sort_values(["table_name", "rule", "season"])
    q["accepted"] = q["failed"] & q["detail"].astype(str).str.startswith(ACCEPTED_PREFIX)
    grouped = q.groupby(["table_name", "rule"], sort=False)
    out = grouped.agg(
        severity=("severity", "last"),
        seasons_checked=("season", "nunique"),
        seasons_failing=("failed", "sum"),
        seasons_accepted=("accepted", "sum"),
        checked_at=("checked_at", "max"),
    )
    failing = q[q["failed"]]
    out["failing_seasons"] = failing.groupby(["table_name", "rule"])["season"].agg(lambda s: ", ".join(map(str, s)))
    out["detail"] = (
        failing.sort_values("checked_at")
        .groupby(["table_name", "rule"])["detail"]
        .agg(lambda d: " | ".join(f"{s}: {t}" for s, t in zip(failing.loc[d.index, "season"], d)))
    )
    out = out.reset_index()
    if rules is not None and not rules.empty:
        out = rules[["table_name", "rule", "severity", "description"]].merge(
            out, on=["table_name", "rule"], how="outer", suffixes=("_declared", "")
        )
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
    """The latest season's teams on the season-relative basis only: tier and class both come from the season."""
    rows = []
    ordered = season.sort_values(["dead_cap_rank", "franchise"])
    for r, rec in zip(ordered.itertuples(), record(ordered)):
        change = r.next_season_win_pct_change
        rows.append(
            [
                cell(r.dead_cap_rank, r.dead_cap_rank, True),
                cell(r.franchise, tag="b", href=team_href(r.franchise)),
                cell(r.conference),
                cell(r.division, cls="nowrap"),
                cell(rec, r.win_pct),
                cell(num(r.win_pct, ".3f"), r.win_pct, True),
                cell(num(r.dead_money_musd, ".1f"), r.dead_money_musd, True),
                cell(num(r.dead_cap_pct, ".1f"), r.dead_cap_pct, True),
                cell(num(r.dead_cap_percentile, ".0f"), r.dead_cap_percentile, True),
                cell(num(r.dead_cap_zscore, "+.2f"), r.dead_cap_zscore, True),
                cell(
                    r.risk_tier, TIERS.index(r.risk_tier) if r.risk_tier in TIERS else None, cls=f"tier-{r.risk_tier}"
                ),
                cell(
                    short_name(r.season_quadrant),
                    title=r.season_quadrant,
                    cls="nowrap" + (" q-hell" if r.season_quadrant == SEASON_QUADRANTS[(True, LOSING)] else ""),
                ),
                cell(num(change * 100 if not missing(change) else None, "+.1f"), change, True),
            ]
        )
    return rows


def _absolute_rows(season: pd.DataFrame) -> list[list[Cell]]:
    """The latest season on the absolute basis: each class, how many teams and which."""
    rows = []
    for key in CLASS_KEYS:
        name = QUADRANTS[key]
        members = season[season["quadrant"] == name].sort_values(["dead_cap_pct", "franchise"], ascending=[False, True])
        rows.append(
            [
                cell(short_name(name), title=name, cls="q-hell" if name == CAP_HELL else ""),
                cell(len(members), len(members), True),
                cell(", ".join(members["franchise"]) or "none"),
            ]
        )
    return rows


def _absolute_by_season_rows(risk: pd.DataFrame) -> list[list[Cell]]:
    """Per season on the absolute basis: the teams at 15%+ and their records."""
    rows = []
    for season, g in risk.groupby("season"):
        counts = g["quadrant"].value_counts()
        high = [int(counts.get(QUADRANTS[(True, side)], 0)) for side in (LOSING, AT_500, WINNING)]
        rows.append(
            [
                cell(season, season, True),
                cell(len(g), len(g), True),
                cell(sum(high), sum(high), True),
                *(cell(n, n, True) for n in high),
            ]
        )
    return rows


TEAM_HEADERS = [
    "Rank",
    "Team",
    "Conf.",
    "Division",
    "Record",
    "Win %",
    "Dead money ($M)",
    "Dead cap %",
    "Percentile",
    "z-score",
    "Tier",
    "Season-relative class",
    "Win % change next season (points)",
]
ABSOLUTE_HEADERS = ["Absolute class", "Teams", "Which"]
ABSOLUTE_BY_SEASON_HEADERS = [
    "Season",
    "Teams",
    f"Teams at {HIGH_DEAD_CAP_PCT:g}%+",
    "15%+, below .500 (cap hell)",
    "15%+, .500",
    "15%+, above .500",
]
FIT_HEADERS = [
    "Model",
    "What it estimates",
    "Team-seasons",
    "Win-% points per 10 points of dead cap",
    "95% interval",
    "Interval method",
    "p-value",
]
SUMMARY_HEADERS = [
    "Season",
    "Teams",
    "Min %",
    "Q1 %",
    "Median %",
    "Q3 %",
    "Max %",
    "Mean %",
    "Extreme above %",
    "Spearman rho",
    "p-value",
    *(t.capitalize() for t in TIERS),
    "Above median, losing",
]
QUALITY_HEADERS = [
    "Table",
    "Rule",
    "Severity",
    "Latest result",
    "Seasons checked",
    "Failing seasons",
    "Rule description",
    "Failure detail",
    "Last checked",
]
SLO_HEADERS = ["Source", "Attempts", "Failures", "Success rate", "Error budget left", "SLO"]
SLO_ALERT_HEADERS = [
    "Alert",
    "Long window: burn rate",
    "Short window: burn rate",
    "Threshold (both windows above it)",
    "Firing",
]
PROVENANCE_HEADERS = ["Season", "Table", "Source", "File or URL", "sha256", "Rows", "Loaded at", "Accepted by a person"]
INCIDENT_HEADERS = status.INCIDENT_HEADERS
ACCEPTANCE_HEADERS = ["Season", "Table", "Rule", "Accepted by", "When", "Reason", "Value seen"]


def _summary_rows(summary: pd.DataFrame, risk: pd.DataFrame, notes: dict[int, str]) -> list:
    """One row per season; a season whose last refresh failed is followed by the failure (status.with_notes)."""
    losing_above = (risk["season_quadrant"] == SEASON_QUADRANTS[(True, LOSING)]).groupby(risk["season"]).sum()
    rows = []
    ordered = summary.sort_values("season")
    for r in ordered.itertuples():
        n = int(losing_above.get(r.season, 0))
        rows.append(
            [
                cell(r.season, r.season, True),
                cell(r.teams, r.teams, True),
                *(
                    cell(num(getattr(r, c), ".1f"), getattr(r, c), True)
                    for c in (
                        "dead_cap_pct_min",
                        "dead_cap_pct_q1",
                        "dead_cap_pct_median",
                        "dead_cap_pct_q3",
                        "dead_cap_pct_max",
                        "dead_cap_pct_mean",
                        "extreme_fence_pct",
                    )
                ),
                cell(num(r.spearman_rho, "+.3f"), r.spearman_rho, True),
                cell(num(r.spearman_p, ".3g"), r.spearman_p, True),
                *(cell(getattr(r, f"teams_{t}"), getattr(r, f"teams_{t}"), True) for t in TIERS),
                cell(n, n, True),
            ]
        )
    return status.with_notes(rows, [int(s) for s in ordered["season"]], notes)


def _fit_rows(fit: dict) -> list[list[Cell]]:
    """The fits of nfl.league_risk_fit side by side, slopes per 10 points of dead cap."""
    method = "team-clustered (CR1), t with G - 1 df"
    specs = [
        (
            "Season fixed effects (headline)",
            "win % against dead cap within the same season",
            "n",
            "fe_slope",
            method,
            "fe_slope_p",
        ),
        (
            "Pooled OLS",
            "win % against dead cap across all seasons at once",
            "n",
            "slope",
            "classical OLS, t with n - 2 df",
            "slope_p",
        ),
        ("Pooled OLS", "the same slope", "n", "slope", method, None),
        (
            "Next season, given the record",
            "next season's win % change, controlling for this season's win % and the season",
            "next_n",
            "next_slope",
            method,
            "next_slope_p",
        ),
        (
            "Next season, record not controlled",
            "next season's win % change, controlling for the season only",
            "next_n",
            "next_unadjusted_slope",
            method,
            "next_unadjusted_slope_p",
        ),
    ]
    rows = []
    for i, (name, what, n, prefix, how, p) in enumerate(specs):
        low, high = (
            (f"{prefix}_ci_low", f"{prefix}_ci_high") if i != 2 else ("slope_cluster_ci_low", "slope_cluster_ci_high")
        )
        if missing(fit.get(prefix)):
            continue
        per10 = fit[prefix] * 1000
        rows.append(
            [
                cell(name),
                cell(what),
                cell(fit[n], fit[n], True),
                cell(num(per10, "+.2f"), per10, True),
                cell(f"{fit[low] * 1000:+.2f} to {fit[high] * 1000:+.2f}"),
                cell(how),
                cell(num(fit[p], ".2g") if p else None, fit[p] if p else None, True),
            ]
        )
    return rows


def _quality_rows(overview: pd.DataFrame) -> list[list[Cell]]:
    rows = []
    for r in overview.itertuples():
        rows.append(
            [
                cell(r.table_name),
                cell(r.rule, cls="nowrap", tag="code"),
                cell(r.severity),
                cell(r.status, cls="status-" + str(r.status).split()[0]),
                cell(r.seasons_checked, r.seasons_checked, True),
                cell(r.failing_seasons if r.seasons_failing else "none"),
                cell(r.description),
                cell(r.detail if r.seasons_failing else ""),
                cell(when(r.checked_at)),
            ]
        )
    return rows


def _accepted_by_season(acceptances: pd.DataFrame | None) -> dict[tuple[int, str], str]:
    if acceptances is None or acceptances.empty:
        return {}
    notes: dict[tuple[int, str], list[str]] = {}
    for r in acceptances.sort_values("accepted_at").itertuples():
        notes.setdefault((int(r.season), r.table_name), []).append(f"{r.rule} by {r.accepted_by}: {r.reason}")
    return {key: "; ".join(dict.fromkeys(v)) for key, v in notes.items()}


def _provenance_rows(provenance: pd.DataFrame, acceptances: pd.DataFrame | None, notes: dict[int, str]) -> list:
    """Where each stored season came from; a season whose last refresh failed is followed by the failure."""
    accepted = _accepted_by_season(acceptances)
    ordered = provenance.sort_values(["season", "table_name", "source_ref"])
    rows = [
        [
            cell(r.season, r.season, True),
            cell(r.table_name),
            cell(r.source),
            cell(r.source_ref, tag="code", tag_class="ref"),
            cell(r.raw_sha256, tag="code", tag_class="hash"),
            cell(r.rows, r.rows, True),
            cell(when(r.loaded_at), cls="nowrap"),
            cell(accepted.get((int(r.season), r.table_name), "")),
        ]
        for r in ordered.itertuples()
    ]
    return status.with_notes(rows, [int(s) for s in ordered["season"]], notes)


def _acceptance_rows(acceptances: pd.DataFrame | None) -> list[list[Cell]]:
    if acceptances is None:
        return []
    return [
        [
            cell(r.season, r.season, True),
            cell(r.table_name),
            cell(r.rule, cls="nowrap", tag="code"),
            cell(r.accepted_by),
            cell(when(r.accepted_at), cls="nowrap"),
            cell(r.reason),
            cell(r.seen),
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
        return {
            "slo_rows": [],
            "slo_target": None,
            "slo_days": None,
            "slo_alert_headers": SLO_ALERT_HEADERS,
            "slo_alert_rows": [],
            "slo_alert_line": "",
        }
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
    return ", ".join(
        f"{int(counts.get(s, 0))} {s}"
        for s in ("passed", "warning", "accepted", "failed", "not evaluated yet")
        if counts.get(s, 0)
    )


def render_html(inputs: ReportInputs, findings: Sequence[Finding]) -> str:
    """The report page from templates/report.html (every value escaped by the template)."""
    risk = inputs.risk
    seasons = sorted(int(s) for s in risk["season"].unique())
    latest = inputs.latest_season
    season = risk[risk["season"] == latest]
    overview = quality_overview(inputs.quality, inputs.rules)
    notes = status.refresh_notes(inputs.failed_refreshes)
    refreshed = {int(s) for s in inputs.refreshed_seasons}
    charts = [
        {
            "key": chart.key,
            "div": Markup(chart_div(fig, "report-" + chart.key)),
            "description": chart.description,
            "filename": chart.filename,
        }
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
        latest_median=num(season["season_median_dead_cap_pct"].iloc[0], ".1f") if len(season) else None,
        generated_at=when(inputs.generated_at),
        quality_line=quality_line(overview),
        summary_file=SUMMARY_FILE,
        gm_paragraph=gm_paragraph(risk, inputs.fit, latest),
        failure_notes=[text for _, text in sorted(notes.items())],
        findings=findings,
        high_dead_cap_pct=f"{HIGH_DEAD_CAP_PCT:g}",
        highlight=", ".join(inputs.highlight) or "none",
        charts=charts,
        team_headers=TEAM_HEADERS,
        team_rows=_team_rows(season),
        absolute_headers=ABSOLUTE_HEADERS,
        absolute_rows=_absolute_rows(season),
        absolute_by_season_headers=ABSOLUTE_BY_SEASON_HEADERS,
        absolute_by_season_rows=_absolute_by_season_rows(risk),
        fit=inputs.fit,
        fit_headers=FIT_HEADERS,
        fit_rows=_fit_rows(inputs.fit) if inputs.fit and "fe_slope" in inputs.fit else [],
        season_file=SEASON_FILE,
        teams_dir=TEAMS_DIR,
        snapshot_season=inputs.snapshot_season,
        snapshot_dates=list(inputs.snapshot_dates),
        summary_headers=SUMMARY_HEADERS,
        summary_rows=_summary_rows(inputs.summary, risk, notes),
        failed_headers=status.FAILED_HEADERS,
        failed_rows=status.failed_rows(inputs.failed_refreshes),
        refresh_history=bool(refreshed),
        quality_headers=QUALITY_HEADERS,
        quality_rows=_quality_rows(overview),
        slo_headers=SLO_HEADERS,
        **_slo_context(inputs.scraper_slo),
        provenance_headers=PROVENANCE_HEADERS,
        provenance_rows=_provenance_rows(inputs.provenance, inputs.acceptances, notes),
        incident_headers=INCIDENT_HEADERS,
        incident_rows=status.incident_rows(inputs.incidents),
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
    notes = status.refresh_notes(inputs.failed_refreshes)
    lines = [
        "# NFL dead-cap risk report",
        "",
        f"Seasons {seasons[0]}-{seasons[-1]}, latest complete season {latest}. Generated {when(inputs.generated_at)}. "
        f"Full report with charts: [{REPORT_FILE}]({REPORT_FILE}).",
        "",
        md(gm_paragraph(inputs.risk, inputs.fit, latest)),
        "",
    ]
    if notes:
        lines += ["## Failed refreshes", "", *(f"- {md(text)}" for _, text in sorted(notes.items())), ""]
    lines += [
        "## Headline findings",
        "",
        *(f"- {md(f.text)}" for f in findings),
        "",
        f"## {latest}: the {top} teams with the most dead cap",
        "",
        "Season-relative basis: tier from the season's quartiles, class from its median dead cap and the record.",
        "",
        "| Rank | Team | Record | Dead money ($M) | Dead cap % | Tier | Season-relative class |",
        "|---:|---|---|---:|---:|---|---|",
    ]
    season = inputs.risk[inputs.risk["season"] == latest].sort_values(["dead_cap_rank", "franchise"]).head(top)
    for r, rec in zip(season.itertuples(), record(season)):
        lines.append(
            f"| {r.dead_cap_rank} | {md(r.franchise)} | {md(rec)} | {r.dead_money_musd:.1f} | {r.dead_cap_pct:.1f} | "
            f"{md(r.risk_tier)} "
            f"| {md(short_name(r.season_quadrant))} |"
        )
    lines += [
        "",
        "## Data quality",
        "",
        ", ".join(
            f"{int(counts.get(s, 0))} {s}"
            for s in ("passed", "warning", "accepted", "failed", "not evaluated yet")
            if counts.get(s, 0)
        )
        + " (rules, latest result per season).",
        "",
    ]
    for r in overview[overview["status"].isin(["failed", "warning"])].itertuples():
        lines.append(f"- {md(r.status)}: `{md(r.table_name)}.{md(r.rule)}` in season(s) {md(r.failing_seasons)}")
    if inputs.acceptances is not None and not inputs.acceptances.empty:
        lines += ["", "Accepted by a person (break glass):", ""]
        for r in inputs.acceptances.sort_values(["season", "accepted_at"]).itertuples():
            lines.append(
                f"- {r.season} `{md(r.table_name)}.{md(r.rule)}` accepted by {md(r.accepted_by)}: {md(r.reason)}"
            )
    lines += ["", "## Recent incidents", ""]
    if inputs.incidents is not None and not inputs.incidents.empty:
        lines += [
            f"- {when(r.incident_at)}, season {r.season}, `{md(r.table_name)}.{md(r.rule)}` {md(r.outcome)}: "
            f"{md(r.message)}"
            for r in inputs.incidents.itertuples()
        ]
    else:
        lines.append("None recorded in nfl.incidents.")
    if inputs.scraper_slo:
        lines += ["", "## Scraper SLO", "", slo_markdown(inputs.scraper_slo[0][1], dict(inputs.scraper_slo[1:]))]
    lines += ["", "## Charts", "", *(f"- [{md(chart.title)}]({chart.filename})" for chart, _ in inputs.charts), ""]
    return "\n".join(lines)


def build(inputs: ReportInputs) -> Report:
    findings = headline_findings(inputs)
    return Report(html=render_html(inputs, findings), markdown=render_markdown(inputs, findings), findings=findings)


def utc_now() -> datetime:
    return datetime.now(UTC)


# The season page shows the same SLO table (measured up to the latest scrape attempt, not the clock).
slo_table_rows = _slo_rows
