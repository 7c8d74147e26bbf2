"""The chart files: offline pages holding the expected traces, checked against the reference facts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from analytics_assets import settings
from analytics_assets.reporting import charts
from analytics_tests.conftest import read_table
from analytics_tests.outputs_support import figure_from_html, open_pages, require_chromium

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
        assert {"%{customdata[0]}", "%{customdata[2]}", "%{customdata[3]:.1f}"} <= set(re.findall(r"%\{[^}]+\}", trace["hovertemplate"]))
        first = trace["customdata"][0]
        row = rows.iloc[0]
        assert first[0] == row["team"] and first[1] == row["season"] and first[2] == f"{row['wins']}-{row['losses']}"
        assert first[3] == pytest.approx(row["dead_money_musd"])


def test_scatter_has_every_team_season_in_its_quadrant_and_the_pooled_fit(outputs, reference):
    fig = figure(outputs, "chart_dead_cap_vs_win_pct")
    quadrant_traces, fit_line = fig["data"][:4], fig["data"][4]
    assert sum(len(t["x"]) for t in quadrant_traces) == 480
    for trace, (name, _) in zip(quadrant_traces, charts.QUADRANT_STYLE.items()):
        high = name.startswith(("Cap hell", "Winning through it"))
        winning = name.startswith(("Winning through it", "Healthy"))
        expected = reference[(reference["high"] == high) & (reference["winning"] == winning)]
        assert len(trace["x"]) == len(expected), name
        assert np.allclose(sorted(trace["x"]), sorted(expected["pct"]), atol=1e-9)
    shapes = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert len(shapes) == 4  # the shaded quadrants
    x = reference["pct"].to_numpy()
    slope, intercept = np.polyfit(x, reference["win_pct"].to_numpy(), 1)
    assert fit_line["mode"] == "lines" and "Pooled OLS" in fit_line["name"]
    assert np.allclose(fit_line["y"], intercept + slope * np.asarray(fit_line["x"]), atol=1e-9)


def test_animation_has_one_frame_per_season_every_team_on_hover_and_the_season_on_the_slider(outputs, reference):
    fig = figure(outputs, "chart_league_history")
    frames = fig["frames"]
    assert [f["name"] for f in frames] == [str(s) for s in SEASONS]
    for frame in frames:
        season = int(frame["name"])
        (trace,) = frame["data"]
        expected = reference[reference["season"] == season].sort_values("franchise")
        assert trace["text"] == expected["team"].tolist()
        assert np.allclose(trace["x"], expected["pct"], atol=1e-9)
        assert np.allclose(trace["y"], expected["win_pct"], atol=1e-12)
        assert trace["mode"] == "markers"  # no labels to overlap; the hover names the team
        assert "layout" not in frame or "title" not in frame["layout"]
    # The title names no single season (it would stay on the first while playing); the slider does.
    assert fig["layout"]["title"]["text"].endswith(f"{SEASONS[0]}-{SEASONS[-1]} season by season")
    (slider,) = fig["layout"]["sliders"]
    assert slider["currentvalue"]["prefix"] == "Season "
    assert [s["label"] for s in slider["steps"]] == [str(s) for s in SEASONS]
    (menu,) = fig["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == ["Play", "Pause"]
    assert outputs.metadata["chart_league_history"]["frames"] == len(SEASONS)


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
    assert list(lv.customdata[:, 0][lv.x == 2019]) == ["OAK"] and list(lv.customdata[:, 0][lv.x == 2020]) == ["LV"]


def test_the_same_data_gives_byte_identical_pages(full_db):
    risk = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    for chart in charts.CHARTS:
        pages = {charts.chart_page(chart.build(risk.sample(frac=1, random_state=i), ["SEA", "NE"], None), chart) for i in range(2)}
        assert len(pages) == 1, chart.key


def test_chart_pages_render_in_chromium_without_errors_or_network(outputs):
    """Every chart page shares one wrapper; the report test draws all five figures in Chromium too."""
    require_chromium()
    seen = {}

    def inspect(page):
        seen[page.url] = page.evaluate(
            "() => { const d = document.querySelector('.plotly-graph-div');"
            " return {svg: d.querySelectorAll('.main-svg').length, frames: (d._transitionData._frames || []).length,"
            " points: d.querySelectorAll('.point').length}; }"
        )

    urls = [(outputs.out_dir / name).as_uri() for name in ("league_history.html", "dead_cap_heatmap.html")]
    pages = open_pages(urls, inspect)
    for url, page in zip(urls, pages):
        assert page.errors == [], (url, page.errors)
        assert page.remote_requests() == [], (url, page.remote_requests())
        assert seen[url]["svg"] >= 1
    animation = seen[(outputs.out_dir / "league_history.html").as_uri()]
    assert animation["frames"] == len(SEASONS) and animation["points"] == 32
