"""Every page written (the report, each chart page, every team page, the season page) in one headless
Chromium at 1280 px: no console error, not even while the league history plays through every frame;
no request off the machine; no word broken inside a table cell; no table wider than its column."""

from __future__ import annotations

import pytest

from analytics_tests.support.outputs import MID_WORD_BREAKS, OVERFLOWING_TABLES

pytestmark = pytest.mark.browser

HISTORY = "chart_league_history"
TITLE = "document.querySelector('#{div} .gtitle').textContent"


def _seasons(page, div: str) -> list[str]:
    return page.evaluate(f"() => document.getElementById('{div}').layout.sliders[0].steps.map(s => s.label)")


def play(watched, div: str = HISTORY) -> list[str]:
    """Click Play and wait for each season in turn to name itself in the title (the frames' own
    layout): the animation has played every frame. Returns the titles seen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = watched.page
    seasons = _seasons(page, div)
    page.locator(f"#{div} .updatemenu-button", has_text="Play").click()
    titles = []
    for season in seasons:
        try:
            page.wait_for_function(
                f"s => {TITLE.format(div=div)}.startsWith('League history, ' + s + ':')", arg=season, timeout=60000
            )
        except PlaywrightTimeout:
            title = page.evaluate(f"() => {TITLE.format(div=div)}")
            raise AssertionError(
                f"the title never named {season} while playing (it reads {title!r}); {len(watched.errors)} console "
                f"errors"
            ) from None
        titles.append(page.evaluate(f"() => {TITLE.format(div=div)}"))
    return titles


def slide(page, div: str) -> list[str]:
    """Move the season slider through every step, as a click on each step does (the step's own animate
    arguments), and return the title after each."""
    return page.evaluate(
        """async (div) => {
            const gd = document.getElementById(div), titles = [];
            for (const step of gd.layout.sliders[0].steps) {
                await Plotly.animate(gd, ...step.args);
                titles.push(gd.querySelector('.gtitle').textContent);
            }
            return titles;
        }""",
        div,
    )


def test_every_page_at_1280_px_plays_without_console_errors_and_breaks_no_word(outputs, chromium):
    out = outputs.out_dir
    pages = sorted(out.glob("*.html")) + sorted((out / "teams").glob("*.html"))
    names = {p.name for p in pages}
    assert {"risk_report.html", "league_history.html", "season_in_progress.html", "LV.html"} <= names and len(
        pages
    ) == 7 + 32
    problems: dict[str, dict] = {}
    played: dict[str, list[str]] = {}
    for path in pages:
        watched = chromium.open(path.as_uri())
        page = watched.page
        if path.name == "league_history.html":
            played[path.name] = play(watched)
        elif path.name == "risk_report.html":
            played[path.name] = slide(page, "report-" + HISTORY)
        seen = {
            "errors": watched.errors,
            "remote": watched.remote_requests(),
            "broken words": page.evaluate(MID_WORD_BREAKS),
            "overflowing tables": page.evaluate(OVERFLOWING_TABLES),
        }
        if path.parent.name == "teams" or path.name != "season_in_progress.html":
            # plotly.js came from the folder (../plotly.min.js for team pages) and drew every chart.
            seen["undrawn charts"] = (
                page.evaluate(
                    "() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => "
                    "!d.querySelector('.main-svg')).length"
                )
                or []
            )
        if any(seen.values()):
            problems[path.name] = {k: v for k, v in seen.items() if v}
    assert problems == {}
    seasons = [str(s) for s in range(2011, 2026)]
    for name, titles in played.items():
        assert [t.split(",")[1].split(":")[0].strip() for t in titles] == seasons, (name, titles)
        assert all(f"split at the {s} median" in t for s, t in zip(seasons, titles)), name
