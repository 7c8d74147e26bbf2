"""Charts: pure functions from nfl.team_season_risk rows to Plotly figures, and figures to HTML pages.

Every string that came from a source (franchise ids, divisions) is HTML-escaped before it enters a
figure: Plotly renders hover text and labels as a subset of HTML. Colours are the Okabe-Ito palette
(distinguishable with every common colour-vision deficiency), the heatmap uses Cividis, and the
classes also differ by marker shape. Each chart classifies on one basis and says which: the
season-relative view (the season's median dead cap and .500) or the absolute view (15% and .500).
Teams are named by their franchise id (LAR, LV), the one code every table uses.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics_assets.analytics.risk import (
    AT_500,
    CLASS_KEYS,
    HIGH_DEAD_CAP_PCT,
    LOSING,
    QUADRANTS,
    SEASON_QUADRANTS,
    WINNING,
    WINNING_PCT,
    short_name,
)
from analytics_assets.reporting.catalog import CHART_INFO

# Okabe & Ito (2008), "Color Universal Design"; yellow left out (too faint on white).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
GREY = "#8C8C8C"
# A colour and a marker shape per (dead-cap side, record side): the same six styles in either view.
CLASS_STYLE = {
    (True, LOSING): ("#D55E00", "x"),
    (True, AT_500): ("#CC79A7", "triangle-up"),
    (True, WINNING): ("#E69F00", "diamond"),
    (False, WINNING): ("#009E73", "circle"),
    (False, AT_500): ("#56B4E9", "triangle-down"),
    (False, LOSING): ("#0072B2", "square"),
}
QUADRANT_STYLE = {QUADRANTS[key]: CLASS_STYLE[key] for key in CLASS_KEYS}  # the absolute view's class -> style
SEASON_STYLE = {SEASON_QUADRANTS[key]: CLASS_STYLE[key] for key in CLASS_KEYS}  # the season-relative view's
CONFERENCE_COLOURS = {"AFC": "#D55E00", "NFC": "#0072B2"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"  # local fonts only
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

DEAD_CAP_AXIS = "Dead cap (% of the league salary cap)"
WIN_AXIS = "Win % ((wins + ties / 2) / games)"
ABSOLUTE_VIEW = f"absolute view: {HIGH_DEAD_CAP_PCT:g}% of the cap and .500"
SEASON_VIEW = "season-relative view: the season's median dead cap and .500"
_HOVER_HEAD = (
    "<b>%{customdata[0]}</b> %{customdata[1]}<br>"
    "Record %{customdata[2]} (win %{customdata[5]:.1%})<br>"
    "Dead money $%{customdata[3]:.1f}M = %{customdata[4]:.1f}% of the cap<br>"
)
HOVER = _HOVER_HEAD + "%{customdata[6]} (season-relative), %{customdata[7]} tier<extra></extra>"
HOVER_ABSOLUTE = _HOVER_HEAD + f"%{{customdata[6]}} ({ABSOLUTE_VIEW})<extra></extra>"


def _ordered(risk: pd.DataFrame) -> pd.DataFrame:
    """One canonical row order: the same rows in any order give byte-identical pages."""
    return risk.sort_values(["season", "team"], kind="stable").reset_index(drop=True)


def esc(values: pd.Series) -> pd.Series:
    return values.astype(str).map(html.escape)


def record(df: pd.DataFrame) -> pd.Series:
    """ "W-L" or "W-L-T" when the team tied."""
    wl = df["wins"].astype(str) + "-" + df["losses"].astype(str)
    return wl.where(df["ties"] == 0, wl + "-" + df["ties"].astype(str))


def _customdata(df: pd.DataFrame, classes: str = "season_quadrant") -> np.ndarray:
    """Hover fields: franchise, season, record, dead money, dead cap %, win %, the class of `classes`
    (season_quadrant, or quadrant for the absolute view) by its short name, and the tier."""
    cols = [
        esc(df["franchise"]),
        df["season"],
        record(df),
        df["dead_money_musd"],
        df["dead_cap_pct"],
        df["win_pct"],
        df[classes].map(short_name).map(html.escape),
        esc(df["risk_tier"]),
    ]
    return np.column_stack([np.asarray(c, dtype=object) for c in cols])


def _layout(fig: go.Figure, title: str, height: int, **axes) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        hoverlabel={"font": {"family": FONT}},
        **axes,
    )
    return fig


def dead_cap_by_season(risk: pd.DataFrame, highlight: Sequence[str]) -> go.Figure:
    """League box plot of dead_cap_pct per season, every team-season as a point, highlighted franchises as lines."""
    df = _ordered(risk)
    # Box statistics computed here (numpy's linear quartiles, as the risk tiers use), not by plotly.js:
    # the upper whisker stops at the furthest team within Q3 + 1.5 IQR, so points above it are "extreme".
    by_season = df.groupby("season")["dead_cap_pct"]
    stats = by_season.quantile([0.25, 0.5, 0.75]).unstack()
    fence = stats[0.75] + 1.5 * (stats[0.75] - stats[0.25])
    within = df[df["dead_cap_pct"] <= df["season"].map(fence)].groupby("season")["dead_cap_pct"].max()
    fig = go.Figure()
    fig.add_trace(
        go.Box(
            x=stats.index.tolist(),
            q1=stats[0.25].tolist(),
            median=stats[0.5].tolist(),
            q3=stats[0.75].tolist(),
            lowerfence=by_season.min().tolist(),
            upperfence=within.reindex(stats.index).tolist(),
            mean=by_season.mean().tolist(),
            name="League: quartiles, whiskers to the furthest team within 1.5 IQR",
            boxmean=True,
            marker_color=GREY,
            line_color=GREY,
            fillcolor="rgba(140,140,140,0.15)",
        )
    )
    # Every team-season as a point, jittered deterministically so re-runs give identical files.
    jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(df))
    fig.add_trace(
        go.Scatter(
            x=df["season"] + jitter,
            y=df["dead_cap_pct"],
            mode="markers",
            name="Team-season",
            marker={"color": GREY, "size": 5, "opacity": 0.55},
            customdata=_customdata(df),
            hovertemplate=HOVER,
        )
    )
    for i, franchise in enumerate(f for f in highlight if (df["franchise"] == f).any()):
        rows = df[df["franchise"] == franchise]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_trace(
            go.Scatter(
                x=rows["season"],
                y=rows["dead_cap_pct"],
                mode="lines+markers",
                name=html.escape(franchise),
                line={"color": colour, "width": 2.5},
                marker={"color": colour, "size": 9, "symbol": i % 10},
                customdata=_customdata(rows),
                hovertemplate=HOVER,
            )
        )
    seasons = sorted(df["season"].unique())
    return _layout(
        fig,
        "Dead cap % by season: the league and highlighted franchises",
        560,
        xaxis={
            "title": {"text": "Season"},
            "tickmode": "array",
            "tickvals": seasons,
            "range": [min(seasons) - 0.6, max(seasons) + 0.6],
        },
        yaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.15},
    )


def _backdrop(x_cut: float, x_max: float, names: dict[tuple[bool, str], str]) -> tuple[list[dict], list[dict]]:
    """Shapes and annotations: four shaded corners split at `x_cut` and .500, the dashed cut-offs, and
    each corner's class name (the .500 classes sit on the dashed line; the legend names them)."""
    shapes: list[dict] = []
    annotations: list[dict] = []
    for high, rec in ((True, LOSING), (True, WINNING), (False, WINNING), (False, LOSING)):
        colour = CLASS_STYLE[(high, rec)][0]
        (x0, x1), (y0, y1) = (
            ((x_cut, x_max) if high else (0, x_cut)),
            ((WINNING_PCT, 1) if rec == WINNING else (0, WINNING_PCT)),
        )
        shapes.append(
            {
                "type": "rect",
                "x0": x0,
                "x1": x1,
                "y0": y0,
                "y1": y1,
                "xref": "x",
                "yref": "y",
                "fillcolor": colour,
                "opacity": 0.08,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "x": x1 if high else x0,
                "y": y1 if rec == WINNING else y0,
                "xref": "x",
                "yref": "y",
                "xanchor": "right" if high else "left",
                "yanchor": "top" if rec == WINNING else "bottom",
                "text": html.escape(short_name(names[(high, rec)])),
                "showarrow": False,
                "font": {"color": colour, "size": 13},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    line = {"color": GREY, "dash": "dash", "width": 1}
    shapes.append(
        {
            "type": "line",
            "x0": x_cut,
            "x1": x_cut,
            "y0": 0,
            "y1": 1,
            "xref": "x",
            "yref": "paper",
            "line": line,
            "layer": "below",
        }
    )
    shapes.append(
        {
            "type": "line",
            "x0": 0,
            "x1": 1,
            "y0": WINNING_PCT,
            "y1": WINNING_PCT,
            "xref": "paper",
            "yref": "y",
            "line": line,
            "layer": "below",
        }
    )
    return shapes, annotations


def _x_max(risk: pd.DataFrame) -> float:
    return float(np.ceil(max(risk["dead_cap_pct"].max(), HIGH_DEAD_CAP_PCT) / 5) * 5 + 2)


def _class_trace(
    rows: pd.DataFrame, name: str, style: tuple[str, str], classes: str, hover: str, ids: bool = False
) -> go.Scatter:
    """One class's team-seasons. An empty class keeps one blank point, so that its legend entry stays
    (plotly.js leaves a trace without points out of the legend, which would reshuffle it per frame)."""
    colour, symbol = style
    blank = rows.empty
    return go.Scatter(
        x=[None] if blank else rows["dead_cap_pct"].tolist(),
        y=[None] if blank else rows["win_pct"].tolist(),
        ids=(["none"] if blank else esc(rows["franchise"]).tolist()) if ids else None,
        mode="markers",
        name=html.escape(short_name(name)),
        # The .500 classes sit on the dashed .500 line: larger markers keep them visible on it.
        marker={
            "color": colour,
            "symbol": symbol,
            "size": 12 if symbol.startswith("triangle") else 9,
            "line": {"width": 0.5, "color": "white"},
        },
        customdata=None if blank else _customdata(rows, classes),
        hovertemplate=hover,
    )


def season_fair_line(
    fit: dict | None, x_mean: float, y_mean: float, x_max: float
) -> tuple[list[float], list[float], str] | None:
    """The season fixed-effects fit (the report's headline) as a line through (x_mean, y_mean): its
    slope is the within-season one, so it is drawn through the means of the team-seasons shown (one
    season's in a frame, every season's in the pooled scatter, as Stata's xtreg fe reports the
    average intercept). None without a season-fair fit."""
    if not fit or fit.get("fe_slope") is None or pd.isna(fit.get("fe_slope")):
        return None
    slope = float(fit["fe_slope"])
    xs = [0.0, x_max]
    ys = [y_mean + slope * (x - x_mean) for x in xs]
    label = (
        f"Season-fair fit: {slope * 1000:+.1f} win-% points per 10 points of dead cap "
        f"(95% CI {fit['fe_slope_ci_low'] * 1000:+.1f} to {fit['fe_slope_ci_high'] * 1000:+.1f})"
    )
    return xs, ys, label


def _fit_trace(line: tuple[list[float], list[float], str] | None) -> go.Scatter:
    xs, ys, label = line if line else ([], [], "Season-fair fit: none stored")
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=html.escape(label),
        line={"color": "#000000", "width": 2},
        hovertemplate="Season-fair fit: win %{y:.1%} at %{x:.1f}% dead cap<extra></extra>",
    )


def dead_cap_vs_win_pct(risk: pd.DataFrame, fit: dict | None = None) -> go.Figure:
    """Every team-season in the absolute view (15% and .500), one trace per class with any team, plus
    the season-fair fit when stored (not the pooled one: it mixes the league's drift in)."""
    risk = _ordered(risk)
    x_max = _x_max(risk)
    shapes, annotations = _backdrop(HIGH_DEAD_CAP_PCT, x_max, QUADRANTS)
    fig = go.Figure(layout={"shapes": shapes, "annotations": annotations})
    for key in CLASS_KEYS:
        rows = risk[risk["quadrant"] == QUADRANTS[key]]
        if len(rows):
            fig.add_trace(_class_trace(rows, QUADRANTS[key], CLASS_STYLE[key], "quadrant", HOVER_ABSOLUTE))
    line = season_fair_line(fit, float(risk["dead_cap_pct"].mean()), float(risk["win_pct"].mean()), x_max)
    if line:
        fig.add_trace(_fit_trace(line))
    seasons = f"{int(risk['season'].min())}-{int(risk['season'].max())}"
    return _layout(
        fig,
        f"Dead cap % against win %, every team-season {seasons} ({ABSOLUTE_VIEW})",
        640,
        xaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "range": [0, x_max]},
        yaxis={"title": {"text": WIN_AXIS}, "tickformat": ".0%", "range": [-0.02, 1.02]},
        legend={"orientation": "h", "y": -0.15},
    )


def history_title(season: int, median: float) -> str:
    return (
        f"League history, {season}: dead cap % against win %, split at the {season} median ({median:.1f}% of the "
        f"cap) and .500"
    )


def league_history_animation(risk: pd.DataFrame, fit: dict | None = None) -> go.Figure:
    """The scatter season by season in the season-relative view: one frame per season with its own
    median line, classes, title and season-fair line; play/pause and a season slider.

    Every frame has the same seven traces (the six classes, some empty, then the fit line) and is
    redrawn whole, with no transition: plotly.js interpolates marker paths between frames otherwise,
    and a circle's arc flags interpolated to fractions are invalid SVG (a console error per point).
    """
    risk = _ordered(risk)
    x_max = _x_max(risk)
    seasons = sorted(int(s) for s in risk["season"].unique())

    def frame(season: int) -> tuple[list[go.Scatter], dict]:
        rows = risk[risk["season"] == season].sort_values("franchise")
        median = float(rows["season_median_dead_cap_pct"].iloc[0])
        traces = []
        for key in CLASS_KEYS:
            members = rows[rows["season_quadrant"] == SEASON_QUADRANTS[key]]
            traces.append(
                _class_trace(members, SEASON_QUADRANTS[key], CLASS_STYLE[key], "season_quadrant", HOVER, ids=True)
            )
        line = season_fair_line(fit, float(rows["dead_cap_pct"].mean()), float(rows["win_pct"].mean()), x_max)
        traces.append(_fit_trace(line))
        shapes, annotations = _backdrop(median, x_max, SEASON_QUADRANTS)
        annotations.append(
            {
                "x": median,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"{season} median {median:.1f}%",
                "font": {"color": "#000000", "size": 12},
            }
        )
        layout = {"title": {"text": history_title(season, median)}, "shapes": shapes, "annotations": annotations}
        return traces, layout

    built = {s: frame(s) for s in seasons}
    first_traces, first_layout = built[seasons[0]]
    fig = go.Figure(
        data=first_traces,
        layout=first_layout,
        frames=[go.Frame(name=str(s), data=built[s][0], layout=built[s][1]) for s in seasons],
    )
    # redraw: frames carry layout (title, median line); no transition: see the docstring.
    step_args = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.12,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 10, "t": 10},
                "showactive": False,
                "buttons": [
                    {
                        "label": "Play",
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": 800, "redraw": True},
                                "fromcurrent": True,
                                "mode": "immediate",
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                    {"label": "Pause", "method": "animate", "args": [[None], step_args]},
                ],
            }
        ],
        sliders=[
            {
                "active": 0,
                "x": 0.12,
                "y": -0.08,
                "len": 0.88,
                "xanchor": "left",
                "yanchor": "top",
                "currentvalue": {"prefix": "Season ", "font": {"size": 14}},
                "steps": [{"label": str(s), "method": "animate", "args": [[str(s)], step_args]} for s in seasons],
            }
        ],
    )
    return _layout(
        fig,
        first_layout["title"]["text"],
        720,
        xaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "range": [0, x_max]},
        yaxis={"title": {"text": WIN_AXIS}, "tickformat": ".0%", "range": [-0.04, 1.06]},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
    ).update_layout(margin={"b": 150})


def dead_cap_heatmap(risk: pd.DataFrame) -> go.Figure:
    """Franchise x season grid of dead_cap_pct (Cividis), dead money and record on hover."""
    risk = _ordered(risk)
    df = risk.assign(franchise=esc(risk["franchise"]), record=record(risk))
    franchises = sorted(df["franchise"].unique(), reverse=True)  # A at the top
    seasons = sorted(df["season"].unique())

    def grid(column: str, dtype=object) -> np.ndarray:
        return (
            df.pivot(index="franchise", columns="season", values=column)
            .reindex(index=franchises, columns=seasons)
            .to_numpy(dtype)
        )

    custom = np.dstack([grid("dead_money_musd"), grid("record")])
    fig = go.Figure(
        go.Heatmap(
            z=grid("dead_cap_pct", float),
            x=seasons,
            y=franchises,
            customdata=custom,
            colorscale="Cividis",
            colorbar={"title": {"text": "Dead cap<br>(% of cap)"}, "ticksuffix": "%"},
            texttemplate="%{z:.0f}",
            textfont={"size": 10},
            xgap=1,
            ygap=1,
            hovertemplate="<b>%{y}</b> %{x}<br>Dead cap %{z:.1f}% of the cap, $%{customdata[0]:.1f}M<br>Record "
            "%{customdata[1]}<extra></extra>",
        )
    )
    return _layout(
        fig,
        "Dead cap % by franchise and season",
        860,
        xaxis={"title": {"text": "Season"}, "tickmode": "array", "tickvals": seasons, "side": "top"},
        yaxis={"title": {"text": "Franchise"}, "tickmode": "linear"},
    ).update_layout(margin={"t": 110})


def conference_dead_cap(risk: pd.DataFrame) -> go.Figure:
    """Mean dead_cap_pct per season, AFC against NFC."""
    risk = _ordered(risk)
    means = risk.groupby(["conference", "season"])["dead_cap_pct"].agg(["mean", "median", "size"]).reset_index()
    fig = go.Figure()
    for i, (conference, rows) in enumerate(means.groupby("conference")):
        name = html.escape(str(conference))
        colour = CONFERENCE_COLOURS.get(str(conference), OKABE_ITO[(i + 2) % len(OKABE_ITO)])
        fig.add_trace(
            go.Scatter(
                x=rows["season"],
                y=rows["mean"],
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": 2.5, "dash": "solid" if i % 2 == 0 else "dash"},
                marker={"color": colour, "size": 8, "symbol": "circle" if i % 2 == 0 else "square"},
                customdata=np.column_stack([rows["median"], rows["size"]]),
                hovertemplate=f"<b>{name}</b> %{{x}}<br>Mean dead cap %{{y:.1f}}% of the cap<br>Median "
                f"%{{customdata[0]:.1f}}%, %{{customdata[1]}} teams<extra></extra>",
            )
        )
    seasons = sorted(risk["season"].unique())
    return _layout(
        fig,
        "AFC against NFC: mean dead cap % per season",
        480,
        xaxis={"title": {"text": "Season"}, "tickmode": "array", "tickvals": seasons},
        yaxis={
            "title": {"text": "Mean dead cap (% of the league salary cap)"},
            "ticksuffix": "%",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.18},
    )


@dataclass(frozen=True)
class Chart:
    key: str  # the asset name
    filename: str
    title: str
    description: str
    build: Callable[[pd.DataFrame, Sequence[str], dict | None], go.Figure]


_BUILDERS: dict[str, Callable[[pd.DataFrame, Sequence[str], dict | None], go.Figure]] = {
    "chart_dead_cap_by_season": lambda risk, highlight, fit: dead_cap_by_season(risk, highlight),
    "chart_dead_cap_vs_win_pct": lambda risk, highlight, fit: dead_cap_vs_win_pct(risk, fit),
    "chart_league_history": lambda risk, highlight, fit: league_history_animation(risk, fit),
    "chart_dead_cap_heatmap": lambda risk, highlight, fit: dead_cap_heatmap(risk),
    "chart_conference_dead_cap": lambda risk, highlight, fit: conference_dead_cap(risk),
}
CHARTS: tuple[Chart, ...] = tuple(
    Chart(i.key, i.filename, i.title, i.description, _BUILDERS[i.key]) for i in CHART_INFO
)


def chart_div(fig: go.Figure | dict, div_id: str, include_plotlyjs: bool | str = False) -> str:
    """The figure as an HTML fragment with a fixed id (identical input gives identical bytes). A dict
    is a figure already validated part by part (drilldown_charts.FranchiseHistories)."""
    height = fig["layout"].get("height") if isinstance(fig, dict) else fig.layout.height
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=include_plotlyjs,
        div_id=div_id,
        auto_play=False,
        validate=not isinstance(fig, dict),
        config=PLOTLY_CONFIG,
        default_height=f"{height or 600}px",
        default_width="100%",
    )


def chart_page(fig: go.Figure, chart: Chart) -> str:
    """A whole offline page: plotly.js comes from plotly.min.js in the same folder, never from a CDN."""
    div = chart_div(fig, chart.key, include_plotlyjs="directory")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(chart.title)}</title>\n"
        f"<style>body{{margin:0 auto;padding:12px;max-width:1400px;font-family:{FONT}}}</style>\n"
        f"</head>\n<body>\n{div}\n</body>\n</html>\n"
    )
