"""Charts for the drill-down pages: one franchise over time, and the season in progress by snapshot date.

Pure functions from rows to Plotly figures, in the style of `charts` (its palette, fonts, layout
and escaping: every string from a source is HTML-escaped before it enters a figure).
"""

from __future__ import annotations

import copy
import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics_assets.analytics.risk import WINNING_PCT, short_name
from analytics_assets.reporting.charts import GREY, HOVER, OKABE_ITO, SEASON_STYLE, _customdata, _layout, record

BAND = "rgba(140,140,140,0.22)"


def _band(
    fig: go.Figure,
    seasons: list[int],
    low: pd.Series,
    high: pd.Series,
    median: pd.Series,
    name: str,
    row: int,
    fmt: str,
) -> None:
    """The league's middle half (Q1 to Q3) as a shaded band, its median as a dotted line."""
    legend = row == 1  # one legend entry for the band and the median
    fig.add_trace(
        go.Scatter(
            x=seasons,
            y=high.tolist(),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup="band",
        ),
        row=row,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=seasons,
            y=low.tolist(),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND,
            name="League: middle half of teams (Q1 to Q3)",
            legendgroup="band",
            showlegend=legend,
            hoverinfo="skip",
        ),
        row=row,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=seasons,
            y=median.tolist(),
            mode="lines",
            line={"color": GREY, "dash": "dot", "width": 1.5},
            name="League median",
            legendgroup="median",
            showlegend=legend,
            hovertemplate=f"League median {name} %{{y:{fmt}}} in %{{x}}<extra></extra>",
        ),
        row=row,
        col=1,
    )


def _league_history(risk: pd.DataFrame) -> go.Figure:
    """Everything of a franchise's chart but the franchise: the league's bands, the quadrant legend
    keys, the reference lines, the axes and the layout (its title is set per franchise)."""
    seasons = sorted(int(s) for s in risk["season"].unique())
    by_season = risk.groupby("season")
    pct = by_season["dead_cap_pct"].quantile([0.25, 0.5, 0.75]).unstack().reindex(seasons)
    win = by_season["win_pct"].quantile([0.25, 0.5, 0.75]).unstack().reindex(seasons)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("Dead cap (% of the league salary cap)", "Win %"),
    )
    _band(fig, seasons, pct[0.25], pct[0.75], pct[0.5], "dead cap", 1, ".1f")
    _band(fig, seasons, win[0.25], win[0.75], win[0.5], "win %", 2, ".1%")
    # Legend keys for the marker colours and shapes: the season-relative classes, as the bands are the season's.
    for name, (qcolour, symbol) in SEASON_STYLE.items():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=html.escape(short_name(name)),
                legendgroup="quadrants",
                marker={"color": qcolour, "symbol": symbol, "size": 10},
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    fig.add_hline(y=WINNING_PCT, line_dash="dash", line_color=GREY, row=2, col=1)
    fig.update_yaxes(ticksuffix="%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", range=[-0.03, 1.03], row=2, col=1)
    fig.update_xaxes(tickmode="array", tickvals=seasons, range=[min(seasons) - 0.5, max(seasons) + 0.5])
    fig.update_xaxes(title_text="Season", row=2, col=1)
    return _layout(fig, "", 720, legend={"orientation": "h", "y": -0.1, "traceorder": "normal"})


class FranchiseHistories:
    """Each franchise's dead cap % (top) and win % (bottom) by season against the league's band.

    The league's part is built (and validated by Plotly) once; each franchise adds its two traces to
    a copy of it, so the 32 team pages do not rebuild the same figure 32 times."""

    _BAND_TRACES = 6  # the franchise's traces go after the bands, before the legend keys

    def __init__(self, risk: pd.DataFrame):
        self.risk = risk.sort_values(["season", "team"], kind="stable")
        self.league = _league_history(self.risk).to_plotly_json()
        # The axes each row's band is drawn on: the franchise's row 1 and row 2 traces use the same ones.
        data = self.league["data"]
        self.axes = [(data[0]["xaxis"], data[0]["yaxis"]), (data[3]["xaxis"], data[3]["yaxis"])]

    def figure(self, franchise: str) -> dict:
        """The chart as a Plotly figure dict (chart_div renders it)."""
        rows = self.risk[self.risk["franchise"] == franchise]
        name = html.escape(franchise)
        markers = {
            "color": [SEASON_STYLE[q][0] for q in rows["season_quadrant"]],
            "symbol": [SEASON_STYLE[q][1] for q in rows["season_quadrant"]],
            "size": 10,
            "line": {"width": 1, "color": "white"},
        }
        traces = [
            go.Scatter(
                x=rows["season"].tolist(),
                y=rows[column].tolist(),
                mode="lines+markers",
                name=name,
                legendgroup="team",
                showlegend=row == 0,
                line={"color": OKABE_ITO[0], "width": 2.5},
                marker=markers,
                customdata=_customdata(rows),
                hovertemplate=HOVER,
                xaxis=self.axes[row][0],
                yaxis=self.axes[row][1],
            ).to_plotly_json()
            for row, column in enumerate(("dead_cap_pct", "win_pct"))
        ]
        fig = copy.deepcopy(self.league)
        fig["data"][self._BAND_TRACES : self._BAND_TRACES] = traces
        fig["layout"]["title"]["text"] = f"{name}: dead cap % and win % by season, against the league"
        return fig


def season_in_progress(standings: pd.DataFrame, dead_cap: pd.DataFrame) -> go.Figure | None:
    """Win % (top) and dead money (bottom) per team by snapshot date: one line per team, toggled together.
    None without any snapshot: the page says so in a sentence instead of drawing empty axes."""
    if standings.empty and dead_cap.empty:
        return None
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("Win % by snapshot date", "Dead money ($M) by snapshot date"),
    )
    standings = standings.sort_values(["franchise", "as_of"], kind="stable")
    dead_cap = dead_cap.sort_values(["franchise", "as_of"], kind="stable")
    franchises = sorted(set(standings["franchise"]) | set(dead_cap["franchise"]))
    for i, franchise in enumerate(franchises):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        dash = ("solid", "dash", "dot", "dashdot", "longdash")[(i // len(OKABE_ITO)) % 5]
        name = html.escape(str(franchise))
        s = standings[standings["franchise"] == franchise]
        d = dead_cap[dead_cap["franchise"] == franchise]
        style = {"line": {"color": colour, "dash": dash, "width": 1.8}, "marker": {"color": colour, "size": 6}}
        if len(s):
            custom = np.column_stack([s["franchise"].astype(str).map(html.escape), record(s), s["games"]])
            fig.add_trace(
                go.Scatter(
                    x=s["as_of"].astype(str).tolist(),
                    y=s["win_pct"].tolist(),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    customdata=custom,
                    hovertemplate="<b>%{customdata[0]}</b> on %{x}<br>Record %{customdata[1]} after %{customdata[2]} "
                    "games (win %{y:.1%})<extra></extra>",
                    **style,
                ),
                row=1,
                col=1,
            )
        if len(d):
            custom = np.column_stack(
                [d["franchise"].astype(str).map(html.escape), d["dead_money_musd"] / d["league_salary_cap_musd"] * 100]
            )
            fig.add_trace(
                go.Scatter(
                    x=d["as_of"].astype(str).tolist(),
                    y=d["dead_money_musd"].tolist(),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=not len(s),
                    customdata=custom,
                    hovertemplate="<b>%{customdata[0]}</b> on %{x}<br>Dead money $%{y:.1f}M = %{customdata[1]:.1f}% "
                    "of the cap<extra></extra>",
                    **style,
                ),
                row=2,
                col=1,
            )
    fig.update_yaxes(tickformat=".0%", range=[-0.03, 1.03], row=1, col=1)
    fig.update_yaxes(tickprefix="$", ticksuffix="M", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(type="category", categoryorder="category ascending")
    fig.update_xaxes(title_text="Snapshot date (as_of)", row=2, col=1)
    season = int(pd.concat([standings["season"], dead_cap["season"]]).max())
    return _layout(
        fig,
        f"Season {season} in progress, by snapshot date",
        820,
        legend={"title": {"text": "Franchise (click to hide)"}},
    )
