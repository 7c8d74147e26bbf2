"""Charts: pure functions from nfl.team_season_risk rows to Plotly figures, and figures to HTML pages.

Every string that came from a source (team codes, franchise ids, divisions) is HTML-escaped before
it enters a figure: Plotly renders hover text and labels as a subset of HTML. Colours are the
Okabe-Ito palette (distinguishable with every common colour-vision deficiency), the heatmap uses
Cividis, and the quadrants also differ by marker shape.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics_assets.analytics.risk import HIGH_DEAD_CAP_PCT, QUADRANTS, WINNING_PCT
from analytics_assets.reporting.catalog import CHART_INFO

# Okabe & Ito (2008), "Color Universal Design"; yellow left out (too faint on white).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
GREY = "#8C8C8C"
QUADRANT_STYLE = {  # name -> (colour, marker symbol)
    QUADRANTS[(True, False)]: ("#D55E00", "x"),
    QUADRANTS[(True, True)]: ("#E69F00", "diamond"),
    QUADRANTS[(False, True)]: ("#009E73", "circle"),
    QUADRANTS[(False, False)]: ("#0072B2", "square"),
}
CONFERENCE_COLOURS = {"AFC": "#D55E00", "NFC": "#0072B2"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"  # local fonts only
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

DEAD_CAP_AXIS = "Dead cap (% of the league salary cap)"
WIN_AXIS = "Win % ((wins + ties / 2) / games)"
HOVER = (
    "<b>%{customdata[0]}</b> %{customdata[1]}<br>"
    "Record %{customdata[2]} (win %{customdata[5]:.1%})<br>"
    "Dead money $%{customdata[3]:.1f}M = %{customdata[4]:.1f}% of the cap<br>"
    "%{customdata[6]}, %{customdata[7]} tier<extra></extra>"
)


def _ordered(risk: pd.DataFrame) -> pd.DataFrame:
    """One canonical row order: the same rows in any order give byte-identical pages."""
    return risk.sort_values(["season", "team"], kind="stable").reset_index(drop=True)


def esc(values: pd.Series) -> pd.Series:
    return values.astype(str).map(html.escape)


def record(df: pd.DataFrame) -> pd.Series:
    """"W-L" or "W-L-T" when the team tied."""
    wl = df["wins"].astype(str) + "-" + df["losses"].astype(str)
    return wl.where(df["ties"] == 0, wl + "-" + df["ties"].astype(str))


def _customdata(df: pd.DataFrame) -> np.ndarray:
    cols = [esc(df["team"]), df["season"], record(df), df["dead_money_musd"], df["dead_cap_pct"], df["win_pct"],
            df["quadrant"].map(html.escape), esc(df["risk_tier"])]
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
            x=stats.index.tolist(), q1=stats[0.25].tolist(), median=stats[0.5].tolist(), q3=stats[0.75].tolist(),
            lowerfence=by_season.min().tolist(), upperfence=within.reindex(stats.index).tolist(), mean=by_season.mean().tolist(),
            name="League: quartiles, whiskers to the furthest team within 1.5 IQR", boxmean=True,
            marker_color=GREY, line_color=GREY, fillcolor="rgba(140,140,140,0.15)",
        )
    )
    # Every team-season as a point, jittered deterministically so re-runs give identical files.
    jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(df))
    fig.add_trace(
        go.Scatter(
            x=df["season"] + jitter, y=df["dead_cap_pct"], mode="markers", name="Team-season",
            marker={"color": GREY, "size": 5, "opacity": 0.55}, customdata=_customdata(df), hovertemplate=HOVER,
        )
    )
    for i, franchise in enumerate(f for f in highlight if (df["franchise"] == f).any()):
        rows = df[df["franchise"] == franchise]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_trace(
            go.Scatter(
                x=rows["season"], y=rows["dead_cap_pct"], mode="lines+markers", name=html.escape(franchise),
                line={"color": colour, "width": 2.5}, marker={"color": colour, "size": 9, "symbol": i % 10},
                customdata=_customdata(rows), hovertemplate=HOVER,
            )
        )
    seasons = sorted(df["season"].unique())
    return _layout(
        fig, "Dead cap % by season: the league and highlighted franchises", 560,
        xaxis={"title": {"text": "Season"}, "tickmode": "array", "tickvals": seasons, "range": [min(seasons) - 0.6, max(seasons) + 0.6]},
        yaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.15},
    )


def _quadrant_backdrop(fig: go.Figure, x_max: float) -> None:
    """Shaded quadrants, dashed cut-offs and a label in each corner."""
    spans = {  # (high, winning) -> x span, y span
        (True, False): ((HIGH_DEAD_CAP_PCT, x_max), (0, WINNING_PCT)),
        (True, True): ((HIGH_DEAD_CAP_PCT, x_max), (WINNING_PCT, 1)),
        (False, True): ((0, HIGH_DEAD_CAP_PCT), (WINNING_PCT, 1)),
        (False, False): ((0, HIGH_DEAD_CAP_PCT), (0, WINNING_PCT)),
    }
    for key, ((x0, x1), (y0, y1)) in spans.items():
        name = QUADRANTS[key]
        colour = QUADRANT_STYLE[name][0]
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=colour, opacity=0.08, line_width=0, layer="below")
        fig.add_annotation(
            x=x1 if key[0] else x0, y=y1 if key[1] else y0, xanchor="right" if key[0] else "left",
            yanchor="top" if key[1] else "bottom", text=name.split(" (")[0], showarrow=False,
            font={"color": colour, "size": 13}, bgcolor="rgba(255,255,255,0.7)",
        )
    fig.add_vline(x=HIGH_DEAD_CAP_PCT, line_dash="dash", line_color=GREY, layer="below")
    fig.add_hline(y=WINNING_PCT, line_dash="dash", line_color=GREY, layer="below")


def _x_max(risk: pd.DataFrame) -> float:
    return float(np.ceil(max(risk["dead_cap_pct"].max(), HIGH_DEAD_CAP_PCT) / 5) * 5 + 2)


def dead_cap_vs_win_pct(risk: pd.DataFrame, fit: dict | None = None) -> go.Figure:
    """Every team-season, one trace per quadrant over shaded quadrants, plus the pooled OLS line when given."""
    risk = _ordered(risk)
    x_max = _x_max(risk)
    fig = go.Figure()
    _quadrant_backdrop(fig, x_max)
    for name, (colour, symbol) in QUADRANT_STYLE.items():
        rows = risk[risk["quadrant"] == name].sort_values(["season", "team"])
        fig.add_trace(
            go.Scatter(
                x=rows["dead_cap_pct"], y=rows["win_pct"], mode="markers", name=html.escape(name),
                marker={"color": colour, "symbol": symbol, "size": 8, "opacity": 0.8, "line": {"width": 0.5, "color": "white"}},
                customdata=_customdata(rows), hovertemplate=HOVER,
            )
        )
    if fit:
        xs = np.array([0.0, x_max])
        label = (
            f"Pooled OLS fit, {fit['first_season']}-{fit['last_season']}: {fit['slope'] * 1000:+.1f} win-% points per "
            f"10 pp of dead cap (95% CI {fit['slope_ci_low'] * 1000:+.1f} to {fit['slope_ci_high'] * 1000:+.1f})"
        )
        fig.add_trace(
            go.Scatter(
                x=xs, y=fit["intercept"] + fit["slope"] * xs, mode="lines", name=label,
                line={"color": "#000000", "width": 2}, hovertemplate="Fitted win %{y:.1%} at %{x:.1f}% dead cap<extra></extra>",
            )
        )
    seasons = f"{int(risk['season'].min())}-{int(risk['season'].max())}"
    return _layout(
        fig, f"Dead cap % against win %, every team-season {seasons}", 640,
        xaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "range": [0, x_max]},
        yaxis={"title": {"text": WIN_AXIS}, "tickformat": ".0%", "range": [-0.02, 1.02]},
        legend={"orientation": "h", "y": -0.15},
    )


def league_history_animation(risk: pd.DataFrame) -> go.Figure:
    """The dead cap against win % scatter season by season: one frame per season, play/pause and a slider."""
    risk = _ordered(risk)
    x_max = _x_max(risk)
    seasons = sorted(int(s) for s in risk["season"].unique())

    def scatter(season: int) -> go.Scatter:
        rows = risk[risk["season"] == season].sort_values("franchise")
        colours = rows["quadrant"].map(lambda q: QUADRANT_STYLE[q][0])
        symbols = rows["quadrant"].map(lambda q: QUADRANT_STYLE[q][1])
        return go.Scatter(
            x=rows["dead_cap_pct"], y=rows["win_pct"], ids=esc(rows["franchise"]), text=esc(rows["team"]),
            # Markers only: 32 labels in one scatter overlap wherever teams cluster; hover names the team.
            mode="markers",
            marker={"color": colours.tolist(), "symbol": symbols.tolist(), "size": 10, "line": {"width": 0.5, "color": "white"}},
            customdata=_customdata(rows), hovertemplate=HOVER, name=str(season), showlegend=False,
        )

    # The season shown is the slider's ("Season 2017"), which moves with every frame; a season in
    # the title would stay at the first one while the animation plays (frames skip the relayout).
    title = f"League history: dead cap % against win %, {seasons[0]}-{seasons[-1]} season by season"

    fig = go.Figure(data=[scatter(seasons[0])], frames=[go.Frame(name=str(s), data=[scatter(s)]) for s in seasons])
    _quadrant_backdrop(fig, x_max)
    step_args = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons", "direction": "left", "x": 0.0, "y": -0.12, "xanchor": "left", "yanchor": "top",
                "pad": {"r": 10, "t": 10}, "showactive": False,
                "buttons": [
                    {"label": "Play", "method": "animate",
                     "args": [None, {"frame": {"duration": 900, "redraw": False}, "fromcurrent": True, "transition": {"duration": 400}}]},
                    {"label": "Pause", "method": "animate", "args": [[None], step_args]},
                ],
            }
        ],
        sliders=[
            {
                "active": 0, "x": 0.12, "y": -0.08, "len": 0.88, "xanchor": "left", "yanchor": "top",
                "currentvalue": {"prefix": "Season ", "font": {"size": 14}},
                "steps": [{"label": str(s), "method": "animate", "args": [[str(s)], step_args]} for s in seasons],
            }
        ],
    )
    return _layout(
        fig, title, 680,
        xaxis={"title": {"text": DEAD_CAP_AXIS}, "ticksuffix": "%", "range": [0, x_max]},
        yaxis={"title": {"text": WIN_AXIS}, "tickformat": ".0%", "range": [-0.04, 1.06]},
    ).update_layout(margin={"b": 150})


def dead_cap_heatmap(risk: pd.DataFrame) -> go.Figure:
    """Franchise x season grid of dead_cap_pct (Cividis), the season's team code and record on hover."""
    risk = _ordered(risk)
    df = risk.assign(franchise=esc(risk["franchise"]), team=esc(risk["team"]), record=record(risk))
    franchises = sorted(df["franchise"].unique(), reverse=True)  # A at the top
    seasons = sorted(df["season"].unique())

    def grid(column: str, dtype=object) -> np.ndarray:
        return df.pivot(index="franchise", columns="season", values=column).reindex(index=franchises, columns=seasons).to_numpy(dtype)

    custom = np.dstack([grid("team"), grid("dead_money_musd"), grid("record")])
    fig = go.Figure(
        go.Heatmap(
            z=grid("dead_cap_pct", float), x=seasons, y=franchises, customdata=custom,
            colorscale="Cividis", colorbar={"title": {"text": "Dead cap<br>(% of cap)"}, "ticksuffix": "%"},
            texttemplate="%{z:.0f}", textfont={"size": 10}, xgap=1, ygap=1,
            hovertemplate="<b>%{customdata[0]}</b> %{x} (franchise %{y})<br>Dead cap %{z:.1f}% of the cap, $%{customdata[1]:.1f}M<br>Record %{customdata[2]}<extra></extra>",
        )
    )
    return _layout(
        fig, "Dead cap % by franchise and season", 860,
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
                x=rows["season"], y=rows["mean"], mode="lines+markers", name=name,
                line={"color": colour, "width": 2.5, "dash": "solid" if i % 2 == 0 else "dash"},
                marker={"color": colour, "size": 8, "symbol": "circle" if i % 2 == 0 else "square"},
                customdata=np.column_stack([rows["median"], rows["size"]]),
                hovertemplate=f"<b>{name}</b> %{{x}}<br>Mean dead cap %{{y:.1f}}% of the cap<br>Median %{{customdata[0]:.1f}}%, %{{customdata[1]}} teams<extra></extra>",
            )
        )
    seasons = sorted(risk["season"].unique())
    return _layout(
        fig, "AFC against NFC: mean dead cap % per season", 480,
        xaxis={"title": {"text": "Season"}, "tickmode": "array", "tickvals": seasons},
        yaxis={"title": {"text": "Mean dead cap (% of the league salary cap)"}, "ticksuffix": "%", "rangemode": "tozero"},
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
    "chart_league_history": lambda risk, highlight, fit: league_history_animation(risk),
    "chart_dead_cap_heatmap": lambda risk, highlight, fit: dead_cap_heatmap(risk),
    "chart_conference_dead_cap": lambda risk, highlight, fit: conference_dead_cap(risk),
}
CHARTS: tuple[Chart, ...] = tuple(Chart(i.key, i.filename, i.title, i.description, _BUILDERS[i.key]) for i in CHART_INFO)


def chart_div(fig: go.Figure | dict, div_id: str, include_plotlyjs: bool | str = False) -> str:
    """The figure as an HTML fragment with a fixed id (identical input gives identical bytes). A dict
    is a figure already validated part by part (drilldown_charts.FranchiseHistories)."""
    height = fig["layout"].get("height") if isinstance(fig, dict) else fig.layout.height
    return pio.to_html(
        fig, full_html=False, include_plotlyjs=include_plotlyjs, div_id=div_id, auto_play=False, validate=not isinstance(fig, dict),
        config=PLOTLY_CONFIG, default_height=f"{height or 600}px", default_width="100%",
    )


def chart_page(fig: go.Figure, chart: Chart) -> str:
    """A whole offline page: plotly.js comes from plotly.min.js in the same folder, never from a CDN."""
    div = chart_div(fig, chart.key, include_plotlyjs="directory")
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(chart.title)}</title>\n"
        f"<style>body{{margin:0 auto;padding:12px;max-width:1400px;font-family:{FONT}}}</style>\n"
        f"</head>\n<body>\n{div}\n</body>\n</html>\n"
    )
