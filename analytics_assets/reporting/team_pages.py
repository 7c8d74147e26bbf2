"""The drill-down pages: one per franchise (teams/<franchise>.html) and the season in progress.

Pure functions from stored rows to HTML, rendered from templates/team.html and
templates/season_in_progress.html (autoescaped). Nothing on these pages depends on the clock, so
the same data gives byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from markupsafe import Markup

from analytics_assets.analytics.risk import (
    CAP_HELL,
    CLASS_KEYS,
    HIGH_DEAD_CAP_PCT,
    LOSING,
    QUADRANTS,
    SEASON_QUADRANTS,
    short_name,
)
from analytics_assets.reporting import status, templating
from analytics_assets.reporting.charts import FONT, chart_div, record
from analytics_assets.reporting.drilldown_charts import FranchiseHistories, season_in_progress
from analytics_assets.reporting.templating import cell, missing, num, when
from analytics_assets.slo import ScrapeSlo
from analytics_assets.teams import FRANCHISES

TEAMS_DIR = "teams"
SEASON_FILE = "season_in_progress.html"
REPORT_FILE = "risk_report.html"
_FRANCHISE_ID = re.compile(r"[A-Z0-9]{2,4}")

SEASON_HEADERS = [
    "Season",
    "Record",
    "Win %",
    "Dead money ($M)",
    "Dead cap %",
    "League median %",
    "Percentile",
    "Tier",
    "Season-relative class",
    "Win % change next season (points)",
]
CLASS_HEADERS = ["Class", "Seasons", "Which"]
PROVENANCE_HEADERS = ["Season", "Table", "Source", "File or URL", "sha256", "Loaded at"]
SNAPSHOT_HEADERS = [
    "Team",
    "First snapshot",
    "Record then",
    "Latest snapshot",
    "Record now",
    "Win % now",
    "Win % change (points)",
    "Dead money then ($M)",
    "Dead money now ($M)",
    "Dead money change ($M)",
]
SLO_HEADERS = ["Source", "Attempts", "Failures", "Success rate", "Error budget left", "SLO"]
_REGISTRY = {f.franchise_id: f for f in FRANCHISES}


def page_name(franchise: str) -> str:
    """The file name of a franchise's page; ids come from the team registry (two to four capitals)."""
    if not _FRANCHISE_ID.fullmatch(str(franchise)):
        raise ValueError(
            f"Franchise id {franchise!r} is not two to four capital letters or digits, so it cannot name a page file; "
            "franchise ids come from analytics_assets/teams.py: fix the registry or the stored rows."
        )
    return f"{franchise}.html"


def team_href(franchise: str) -> str:
    """Link from the report (beside teams/) to a franchise's page."""
    return f"{TEAMS_DIR}/{page_name(franchise)}"


def _spans(pairs: pd.DataFrame, column: str) -> str:
    """ "OAK 2011-2019, LV 2020-2025": each value of `column` with the seasons it covers, in order."""
    spans = pairs.groupby(column, sort=False)["season"].agg(["min", "max"]).sort_values("min")
    return ", ".join(f"{value} {lo}" + (f"-{hi}" if hi != lo else "") for value, (lo, hi) in spans.iterrows())


def _codes(rows: pd.DataFrame, provenance: pd.DataFrame) -> str:
    """The codes the sources used for the franchise, by season ("OAK 2011-2019, LV 2020-2025"); the
    standings and dead-cap sources can differ (LA against LAR for the Rams)."""
    pairs = pd.concat([rows[["season", "team"]], provenance[["season", "team"]]]).drop_duplicates()
    return _spans(pairs.sort_values(["season", "team"]), "team")


def _names(franchise: str, rows: pd.DataFrame) -> str:
    """ "Oakland Raiders 2011-2019, Las Vegas Raiders 2020-2025" from the team registry."""
    known = _REGISTRY.get(franchise)
    if known is None:
        return f"Franchise {franchise}"
    names = pd.DataFrame({"season": rows["season"].astype(int)})
    eras = [known.era(s) for s in names["season"]]
    names["name"] = [era.name if era else franchise for era in eras]
    return _spans(names, "name")


def _class_rows(rows: pd.DataFrame, column: str, names: dict) -> list:
    out = []
    for key in CLASS_KEYS:
        name = names[key]
        seasons = sorted(int(s) for s in rows.loc[rows[column] == name, "season"])
        hell = name in (CAP_HELL, SEASON_QUADRANTS[(True, LOSING)])
        out.append(
            [
                cell(short_name(name), title=name, cls="q-hell" if hell else ""),
                cell(len(seasons), len(seasons), True),
                cell(", ".join(map(str, seasons)) or "none"),
            ]
        )
    return out


def _season_rows(rows: pd.DataFrame) -> list:
    out = []
    for r, rec in zip(rows.itertuples(), record(rows)):
        change = r.next_season_win_pct_change
        out.append(
            [
                cell(r.season, r.season, True),
                cell(rec, r.win_pct),
                cell(num(r.win_pct, ".3f"), r.win_pct, True),
                cell(num(r.dead_money_musd, ".1f"), r.dead_money_musd, True),
                cell(num(r.dead_cap_pct, ".1f"), r.dead_cap_pct, True),
                cell(num(r.season_median_dead_cap_pct, ".1f"), r.season_median_dead_cap_pct, True),
                cell(num(r.dead_cap_percentile, ".0f"), r.dead_cap_percentile, True),
                cell(r.risk_tier, cls=f"tier-{r.risk_tier}"),
                cell(
                    short_name(r.season_quadrant),
                    title=r.season_quadrant,
                    cls="nowrap" + (" q-hell" if r.season_quadrant == SEASON_QUADRANTS[(True, LOSING)] else ""),
                ),
                cell(num(change * 100 if not missing(change) else None, "+.1f"), change, True),
            ]
        )
    return out


def _provenance_rows(provenance: pd.DataFrame) -> list:
    return [
        [
            cell(r.season, r.season, True),
            cell(r.table_name),
            cell(r.source),
            cell(r.source_ref, tag="code", tag_class="ref"),
            cell(r.raw_sha256, tag="code", tag_class="hash"),
            cell(when(r.loaded_at), cls="nowrap"),
        ]
        for r in provenance.sort_values(["season", "table_name"]).itertuples()
    ]


def team_page(
    franchise: str, risk: pd.DataFrame, provenance: pd.DataFrame, histories: FranchiseHistories | None = None
) -> str:
    """One franchise's page. risk: every nfl.team_season_risk row (the league band needs them all);
    provenance: season, table_name, franchise, team, source, source_ref, raw_sha256, loaded_at;
    histories: the league's part of the chart, when several pages share it."""
    rows = risk[risk["franchise"] == franchise].sort_values("season")
    if rows.empty:
        raise ValueError(f"Franchise {franchise!r} has no rows in nfl.team_season_risk.")
    latest = rows.iloc[-1]
    franchises = sorted(risk["franchise"].unique())
    own = provenance[provenance["franchise"] == franchise]
    return templating.render(
        "team.html",
        font=Markup(FONT),
        plotly_js="../plotly.min.js",
        report_file=REPORT_FILE,
        franchise=franchise,
        names=_names(franchise, rows),
        codes=_codes(rows, own),
        division=latest["division"],
        season_count=len(rows),
        first_season=int(rows["season"].min()),
        last_season=int(rows["season"].max()),
        chart=Markup(chart_div((histories or FranchiseHistories(risk)).figure(franchise), "franchise-history")),
        high_dead_cap_pct=f"{HIGH_DEAD_CAP_PCT:g}",
        class_headers=CLASS_HEADERS,
        season_class_rows=_class_rows(rows, "season_quadrant", SEASON_QUADRANTS),
        absolute_class_rows=_class_rows(rows, "quadrant", QUADRANTS),
        season_headers=SEASON_HEADERS,
        season_rows=_season_rows(rows),
        provenance_headers=PROVENANCE_HEADERS,
        provenance_rows=_provenance_rows(own),
        franchises=[{"name": f, "href": page_name(f)} for f in franchises if f != franchise],
    )


def team_pages(risk: pd.DataFrame, provenance: pd.DataFrame) -> dict[str, str]:
    """File name (under teams/) -> page, for every franchise with risk rows."""
    histories = FranchiseHistories(risk)
    return {page_name(f): team_page(f, risk, provenance, histories) for f in sorted(risk["franchise"].unique())}


def _snapshot_rows(standings: pd.DataFrame, dead_cap: pd.DataFrame) -> list:
    out = []
    for franchise in sorted(set(standings["franchise"]) | set(dead_cap["franchise"])):
        s = standings[standings["franchise"] == franchise].sort_values("as_of")
        d = dead_cap[dead_cap["franchise"] == franchise].sort_values("as_of")
        # None when the franchise has no rows of that table; every use below is guarded by len(s) / len(d).
        first: Any
        last: Any
        first, last = (s.iloc[[0]], s.iloc[[-1]]) if len(s) else (None, None)
        win_change = (last["win_pct"].iloc[0] - first["win_pct"].iloc[0]) * 100 if len(s) else None
        dead_then: Any = d["dead_money_musd"].iloc[0] if len(d) else None
        dead_now: Any = d["dead_money_musd"].iloc[-1] if len(d) else None
        out.append(
            [
                cell(franchise, tag="b", href=team_href(franchise)),
                cell(str(s["as_of"].iloc[0]) if len(s) else None),
                cell(record(first).iloc[0] if len(s) else None),
                cell(str(s["as_of"].iloc[-1]) if len(s) else None),
                cell(record(last).iloc[0] if len(s) else None),
                cell(
                    num(last["win_pct"].iloc[0], ".3f") if len(s) else None,
                    last["win_pct"].iloc[0] if len(s) else None,
                    True,
                ),
                cell(num(win_change, "+.1f"), win_change, True),
                cell(num(dead_then, ".1f"), dead_then, True),
                cell(num(dead_now, ".1f"), dead_now, True),
                cell(
                    num(dead_now - dead_then, "+.1f") if len(d) else None,
                    dead_now - dead_then if len(d) else None,
                    True,
                ),
            ]
        )
    return out


def latest_snapshot_season(standings: pd.DataFrame, dead_cap: pd.DataFrame) -> int | None:
    seasons = pd.concat([standings["season"], dead_cap["season"]])
    return int(seasons.max()) if len(seasons) else None


def season_page(
    standings: pd.DataFrame,
    dead_cap: pd.DataFrame,
    failed: pd.DataFrame | None = None,
    refreshed: bool = False,
    incidents: pd.DataFrame | None = None,
    slos: Sequence[tuple[str, ScrapeSlo]] = (),
    slo_rows: Sequence = (),
) -> str:
    """The season in progress by snapshot date (the newest season with snapshots, every one of its
    dates), and the pipeline's state beside it: failed refreshes (refreshes.failed_refreshes), whether
    the instance holds any refresh at all, recent incidents and the scraper SLO (`slos`, measured up
    to the latest scrape attempt by the caller so that the page does not depend on the clock, and
    `slo_rows`, the report's SLO table of them)."""
    season = latest_snapshot_season(standings, dead_cap)
    if season is not None:
        standings, dead_cap = standings[standings["season"] == season], dead_cap[dead_cap["season"] == season]
    dates = sorted({str(d) for d in pd.concat([standings["as_of"], dead_cap["as_of"]])})
    title = f"Season {season} in progress, by snapshot date" if season is not None else "Season in progress"
    figure = season_in_progress(standings, dead_cap)
    notes = status.refresh_notes(failed)
    return templating.render(
        "season_in_progress.html",
        font=Markup(FONT),
        plotly_js="plotly.min.js",
        report_file=REPORT_FILE,
        title=title,
        dates=dates,
        chart=Markup(chart_div(figure, "season-in-progress")) if figure is not None else None,
        headers=SNAPSHOT_HEADERS,
        rows=_snapshot_rows(standings, dead_cap),
        failure_notes=[text for _, text in sorted(notes.items())],
        failed_headers=status.FAILED_HEADERS,
        failed_rows=status.failed_rows(failed),
        refresh_history=refreshed,
        incident_headers=status.INCIDENT_HEADERS,
        incident_rows=status.incident_rows(incidents),
        slo_sentence=status.slo_sentence(slos),
        slo_headers=SLO_HEADERS,
        slo_rows=list(slo_rows),
    )
