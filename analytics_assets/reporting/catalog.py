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
    ChartInfo(
        "chart_dead_cap_by_season",
        "dead_cap_by_season.html",
        "Dead cap % by season",
        "League box plots of dead cap % per season with the highlighted franchises (ANALYTICS_HIGHLIGHT_FRANCHISES) "
        "as lines.",
    ),
    ChartInfo(
        "chart_dead_cap_vs_win_pct",
        "dead_cap_vs_win_pct.html",
        "Dead cap % against win %",
        "Every team-season in the absolute view (15% of the cap and .500; the .500 teams on the dashed line), with the "
        "season-fair fit (season fixed effects) drawn through the mean of all team-seasons.",
    ),
    ChartInfo(
        "chart_league_history",
        "league_history.html",
        "League history, season by season",
        "The same scatter one season at a time in the season-relative view: each frame splits at that season's median "
        "dead cap and .500, draws the season-fair fit through the season's means and names the season in its title; "
        "play/pause and a season slider; hover a point for the team.",
    ),
    ChartInfo(
        "chart_dead_cap_heatmap",
        "dead_cap_heatmap.html",
        "Dead cap % heatmap",
        "Franchise x season grid of dead cap %.",
    ),
    ChartInfo(
        "chart_conference_dead_cap",
        "conference_dead_cap.html",
        "AFC against NFC",
        "Mean dead cap % per season in each conference.",
    ),
)
