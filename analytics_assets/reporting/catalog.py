"""The chart catalog: each chart's asset key, file, title and description (no plotting imports).

`charts.CHARTS` pairs each entry with the function that draws it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartInfo:
    key: str  # the asset name
    filename: str
    title: str
    description: str


CHART_INFO: tuple[ChartInfo, ...] = (
    ChartInfo("chart_dead_cap_by_season", "dead_cap_by_season.html", "Dead cap % by season",
              "League box plots of dead cap % per season with the highlighted franchises (ANALYTICS_HIGHLIGHT_FRANCHISES) as lines."),
    ChartInfo("chart_dead_cap_vs_win_pct", "dead_cap_vs_win_pct.html", "Dead cap % against win %",
              "Every team-season over the four shaded quadrants (15% dead cap, .500), with the pooled OLS fit."),
    ChartInfo("chart_league_history", "league_history.html", "League history, season by season",
              "The dead cap against win % scatter animated season by season, each team labelled, with play/pause and a season slider."),
    ChartInfo("chart_dead_cap_heatmap", "dead_cap_heatmap.html", "Dead cap % heatmap",
              "Franchise x season grid of dead cap %."),
    ChartInfo("chart_conference_dead_cap", "conference_dead_cap.html", "AFC against NFC",
              "Mean dead cap % per season in each conference."),
)
