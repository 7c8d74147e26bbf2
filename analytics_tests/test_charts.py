"""The chart files: offline pages holding the expected traces, checked against the reference facts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from analytics_assets import settings
from analytics_assets.analytics import risk
from analytics_assets.reporting import charts
from analytics_tests.support.data import read_table
from analytics_tests.support.outputs import figure_from_html

pytestmark = pytest.mark.integration

SEASONS = list(range(2011, 2026))
PALETTE = {c.upper() for c in charts.OKABE_ITO} | {charts.GREY.upper(), "#000000"}


def figure(outputs, key: str) -> dict:
    chart = next(c for c in charts.CHARTS if c.key == key)
    return figure_from_html((outputs.out_dir / chart.filename).read_text(), key)


@pytest.mark.parametrize("chart", charts.CHARTS, ids=lambda c: c.key)
def test_each_chart_is_an_offline_page_whose_asset_metadata_carries_its_path(outputs, chart):
    path = outputs.out_dir / chart.filename
    assert outputs.metadata[chart.key]["path"] == str(path)
    text = path.read_text()
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", text)
    assert scripts == ["plotly.min.js"], scripts  # plotly.js from beside the page, nothing else
    assert "cdn.plot.ly" not in text and "https://" not in text.split("Plotly.newPlot")[0]
    fig = figure_from_html(text, chart.key)
    layout = fig["layout"]
    assert layout["title"]["text"]
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["title"]["text"], f"{chart.key} {axis} has no title"
    assert outputs.metadata[chart.key]["traces"] == len(fig["data"])


def test_plotly_js_is_written_once_beside_the_charts(outputs):
    bundles = list(outputs.out_dir.rglob("plotly*.js"))
    assert bundles == [outputs.out_dir / "plotly.min.js"]
    assert bundles[0].read_text("utf-8") == get_plotlyjs()


def test_box_plots_per_season_and_highlighted_franchises(outputs, reference):
    fig = figure(outputs, "chart_dead_cap_by_season")
    box, points, *lines = fig["data"]
    assert box["type"] == "box" and box["x"] == SEASONS
    for season, q1, median, q3 in zip(box["x"], box["q1"], box["median"], box["q3"]):
        x = reference.loc[reference["season"] == season, "pct"].to_numpy()
        assert np.allclose([q1, median, q3], np.percentile(x, [25, 50, 75]), atol=1e-9)
    assert len(points["y"]) == 480
    assert [t["name"] for t in lines] == settings.current().highlighted == ["SEA", "NE"]
    for trace in lines:
        rows = reference[reference["franchise"] == trace["name"]].sort_values("season")
        assert trace["x"] == rows["season"].tolist()
        assert np.allclose(trace["y"], rows["pct"], atol=1e-9)
        # Hover: team, season, record and dead money for every point.
        assert {"%{customdata[0]}", "%{customdata[2]}", "%{customdata[3]:.1f}"} <= set(
            re.findall(r"%\{[^}]+\}", trace["hovertemplate"])
        )
        first = trace["customdata"][0]
        row = rows.iloc[0]
        # One code per franchise: the franchise id (LV in every season, never OAK beside it).
        assert (
            first[0] == row["franchise"] and first[1] == row["season"] and first[2] == f"{row['wins']}-{row['losses']}"
        )
        assert first[3] == pytest.approx(row["dead_money_musd"])


def _season_fair_slope(reference) -> float:
    """The season fixed-effects slope by the within transformation (numpy least squares)."""
    demean = lambda col: reference[col] - reference.groupby("season")[col].transform("mean")  # noqa: E731
    (slope,), *_ = np.linalg.lstsq(demean("pct").to_numpy()[:, None], demean("win_pct").to_numpy(), rcond=None)
    return float(slope)


def _class_of(names: dict, side: bool, record: str) -> str:
    return risk.short_name(names[(side, record)])


def test_scatter_is_the_absolute_view_with_the_season_fair_fit_not_the_pooled_one(outputs, reference):
    fig = figure(outputs, "chart_dead_cap_vs_win_pct")
    *class_traces, fit_line = fig["data"]
    assert "absolute view: 15% of the cap and .500" in fig["layout"]["title"]["text"]
    assert sum(len(t["x"]) for t in class_traces) == 480
    expected = reference.assign(
        name=[_class_of(risk.QUADRANTS, h, r) for h, r in zip(reference["high"], reference["record"])]
    )
    assert {t["name"] for t in class_traces} == set(expected["name"])
    for trace in class_traces:
        rows = expected[expected["name"] == trace["name"]]
        assert np.allclose(sorted(trace["x"]), sorted(rows["pct"]), atol=1e-9), trace["name"]
        assert sorted(c[0] for c in trace["customdata"]) == sorted(rows["franchise"]), trace["name"]
    # An 8-8 team is on the .500 line in a ".500" class, never among the winners.
    at_500 = [t for t in class_traces if t["name"].endswith(".500")]
    assert at_500 and all(y == 0.5 for t in at_500 for y in t["y"])
    assert all(y > 0.5 for t in class_traces if t["name"].endswith("winning") for y in t["y"])
    # The line is the season-fair slope (the headline), drawn through the mean of every team-season.
    slope = _season_fair_slope(reference)
    assert fit_line["mode"] == "lines" and fit_line["name"].startswith(
        f"Season-fair fit: {slope * 1000:+.1f} win-% points"
    )
    x = np.asarray(fit_line["x"])
    assert np.allclose(fit_line["y"], reference["win_pct"].mean() + slope * (x - reference["pct"].mean()), atol=1e-9)
    assert not any("Pooled" in t["name"] for t in fig["data"])


def test_animation_plays_the_season_relative_view_naming_each_season_in_its_title(outputs, reference):
    fig = figure(outputs, "chart_league_history")
    frames = fig["frames"]
    assert [f["name"] for f in frames] == [str(s) for s in SEASONS]
    slope = _season_fair_slope(reference)
    for frame in frames:
        season = int(frame["name"])
        rows = reference[reference["season"] == season]
        median = float(np.median(rows["pct"]))
        *class_traces, fit_line = frame["data"]
        # Every frame has the same traces (six classes, then the fit), so the legend never reshuffles.
        assert [t["name"] for t in class_traces] == [risk.short_name(risk.SEASON_QUADRANTS[k]) for k in risk.CLASS_KEYS]
        drawn = {f: t["name"] for t in class_traces for f in (t.get("ids") or []) if f != "none"}
        expected = {r.franchise: _class_of(risk.SEASON_QUADRANTS, r.pct >= median, r.record) for r in rows.itertuples()}
        assert drawn == expected, season
        assert all(t["mode"] == "markers" for t in class_traces)  # no labels to overlap; the hover names the team
        # The title names the frame's season and its median, and the median line moves with it.
        assert frame["layout"]["title"]["text"] == charts.history_title(season, median)
        assert frame["layout"]["title"]["text"].startswith(f"League history, {season}: ")
        lines = [s for s in frame["layout"]["shapes"] if s["type"] == "line" and s["x0"] == s["x1"]]
        assert len(lines) == 1 and lines[0]["x0"] == pytest.approx(median, abs=1e-9)
        # The season-fair line, through the season's means.
        x = np.asarray(fit_line["x"])
        assert np.allclose(fit_line["y"], rows["win_pct"].mean() + slope * (x - rows["pct"].mean()), atol=1e-9)
    assert fig["layout"]["title"]["text"] == frames[0]["layout"]["title"]["text"]
    (slider,) = fig["layout"]["sliders"]
    assert slider["currentvalue"]["prefix"] == "Season "
    assert [s["label"] for s in slider["steps"]] == [str(s) for s in SEASONS]
    (menu,) = fig["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == ["Play", "Pause"]
    # Each frame is redrawn whole, never interpolated: plotly.js interpolating marker paths writes invalid SVG.
    for args in [menu["buttons"][0]["args"][1], *(s["args"][1] for s in slider["steps"])]:
        assert args["frame"]["redraw"] is True and args["transition"]["duration"] == 0
    assert outputs.metadata["chart_league_history"]["frames"] == len(SEASONS)


def test_chart_descriptions_promise_only_what_is_drawn(outputs):
    """The captions (the catalog's descriptions, shown under each chart in the report) match the figures."""
    for chart in charts.CHARTS:
        fig = figure(outputs, chart.key)
        text = chart.description.lower()
        modes = {t.get("mode") for t in fig["data"] + [t for f in fig["frames"] for t in f["data"]]}
        if "labelled" in text:
            assert any(m and "text" in m for m in modes), (chart.key, "labels promised, none drawn")
        if "pooled" in text:
            assert any("Pooled" in t.get("name", "") for t in fig["data"]), chart.key
        if "season-fair fit" in text:
            assert any(t.get("name", "").startswith("Season-fair fit") for t in fig["data"]), chart.key
    history = next(c for c in charts.CHARTS if c.key == "chart_league_history")
    assert "each team labelled" not in history.description and "names the season in its title" in history.description


def test_heatmap_is_franchise_by_season(outputs, reference):
    (heat,) = figure(outputs, "chart_dead_cap_heatmap")["data"]
    expected = reference.pivot(index="franchise", columns="season", values="pct").loc[heat["y"], heat["x"]]
    assert heat["x"] == SEASONS and sorted(heat["y"]) == sorted(reference["franchise"].unique())
    assert np.allclose(np.array(heat["z"], dtype=float), expected.to_numpy(), atol=1e-9)
    assert heat["colorscale"][0][1] != heat["colorscale"][-1][1]  # Cividis, sequential


def test_afc_against_nfc_means(outputs, reference):
    traces = figure(outputs, "chart_conference_dead_cap")["data"]
    assert [t["name"] for t in traces] == ["AFC", "NFC"]
    for trace in traces:
        means = reference[reference["conference"] == trace["name"]].groupby("season")["pct"].mean()
        assert trace["x"] == SEASONS and np.allclose(trace["y"], means.loc[SEASONS], atol=1e-9)


def _colours(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_colours(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_colours(v) for v in value)) if value else set()
    return {value.upper()} if isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else set()


def test_data_colours_come_from_the_colour_blind_safe_palette(outputs):
    for chart in charts.CHARTS:
        fig = figure(outputs, chart.key)
        drawn = [fig["data"], fig["frames"], fig["layout"].get("shapes", []), fig["layout"].get("annotations", [])]
        used = _colours(drawn)
        if chart.key == "chart_dead_cap_heatmap":
            assert fig["data"][0]["colorscale"] == figure_colorscale("Cividis")
        else:
            assert used and used <= PALETTE, (chart.key, used - PALETTE)


def figure_colorscale(name: str) -> list:
    import plotly.graph_objects as go

    return [list(step) for step in go.Figure(go.Heatmap(z=[[0]], colorscale=name)).data[0].colorscale]


def test_highlighted_franchises_are_configurable(monkeypatch, full_db):
    monkeypatch.setenv("ANALYTICS_HIGHLIGHT_FRANCHISES", " kc, LV ,kc,")
    assert settings.current().highlighted == ["KC", "LV"]
    monkeypatch.delenv("ANALYTICS_HIGHLIGHT_FRANCHISES")
    assert settings.current().highlighted == ["SEA", "NE"]
    risk = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    fig = charts.dead_cap_by_season(risk, ["KC", "LV", "XXX"])
    assert [t.name for t in fig.data[2:]] == ["KC", "LV"]
    lv = fig.data[3]
    assert list(lv.customdata[:, 0][lv.x == 2019]) == ["LV"] and list(lv.customdata[:, 0][lv.x == 2020]) == ["LV"]


def test_the_same_data_gives_byte_identical_pages(full_db):
    risk = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    for chart in charts.CHARTS:
        pages = {
            charts.chart_page(chart.build(risk.sample(frac=1, random_state=i), ["SEA", "NE"], None), chart)
            for i in range(2)
        }
        assert len(pages) == 1, chart.key
