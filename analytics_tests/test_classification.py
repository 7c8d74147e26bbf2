"""The classification basis and the report's first paragraph: pure functions, on small frames and on the
real embedded seasons (the session's DuckDB file, built by a real materialization)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics_assets.analytics import risk, summary
from analytics_assets.reporting import report, team_pages
from analytics_tests.support.data import read_table, shared_file
from analytics_tests.support.html import Tables


def _season(wins, losses, dead_money, ties=None, cap: float = 200.0) -> pd.DataFrame:
    n = len(wins)
    ties = ties or [0] * n
    return pd.DataFrame(
        {
            "season": 2030,
            "team": [f"T{i}" for i in range(n)],
            "franchise": [f"T{i}" for i in range(n)],
            "conference": "AFC",
            "division": "AFC East",
            "games": [w + lo + t for w, lo, t in zip(wins, losses, ties)],
            "wins": wins,
            "losses": losses,
            "ties": ties,
            "win_pct": [(w + t / 2) / (w + lo + t) for w, lo, t in zip(wins, losses, ties)],
            "dead_money_musd": dead_money,
            "total_cap_allocations_musd": cap,
            "league_salary_cap_musd": cap,
            "next_season_win_pct": np.nan,
        }
    )


@pytest.mark.unit
def test_a_500_record_is_its_own_side_in_both_views():
    assert list(risk.record_side([8, 8, 9, 7], [8, 8, 8, 9])) == [".500", ".500", "winning", "losing"]
    # 8-8 and 8-8-1 are .500; a team at 15%+ with 8-8 is neither "winning through it" nor losing.
    out = risk.team_season_risk(
        _season([8, 8, 12, 4, 10], [8, 8, 4, 12, 7], [40.0, 10.0, 5.0, 36.0, 2.0], ties=[0, 1, 0, 0, 0])
    )
    out = out.set_index("team")
    assert (
        out.loc["T0", "quadrant"]
        == risk.QUADRANTS[(True, risk.AT_500)]
        == "15%+, .500 (dead cap 15% of the cap or more, exactly .500)"
    )
    assert out.loc["T1", "quadrant"] == risk.QUADRANTS[(False, risk.AT_500)]
    assert out.loc["T0", "season_quadrant"].startswith("Above median, .500 (")
    assert out.loc["T1", "season_quadrant"].startswith("Above median, .500 (")  # 10.0 is this season's median
    # Every class name says its record side the same way, in both views.
    for names in (risk.QUADRANTS, risk.SEASON_QUADRANTS):
        for (_, side), name in names.items():
            assert risk.RECORD_WORDS[side] in name, name
            assert name == risk.CAP_HELL or risk.short_name(name).endswith(side), name


@pytest.mark.unit
def test_a_team_exactly_at_the_seasons_median_counts_as_above_it():
    out = risk.team_season_risk(_season([5, 6, 7, 9, 11], [11, 10, 9, 7, 5], [2.0, 6.0, 10.0, 14.0, 18.0])).set_index(
        "team"
    )
    assert out.loc["T2", "dead_cap_pct"] == out.loc["T2", "season_median_dead_cap_pct"] == 5.0
    assert out.loc["T2", "season_quadrant"] == risk.SEASON_QUADRANTS[(True, risk.LOSING)]
    assert out.loc["T1", "season_quadrant"] == risk.SEASON_QUADRANTS[(False, risk.LOSING)]
    assert out.loc["T3", "season_quadrant"] == risk.SEASON_QUADRANTS[(True, risk.WINNING)]


@pytest.fixture(scope="module")
def stored(full_db) -> tuple[pd.DataFrame, dict]:
    """Every stored team-season, and the fits league_risk_summary stores for them (computed the same way)."""
    rows = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    return rows, summary.league_fit(rows)


@pytest.mark.integration
def test_nyj_2014_is_high_and_above_the_median_on_its_page_and_under_15_only_in_the_absolute_view(stored):
    rows, _ = stored
    nyj = rows[(rows["franchise"] == "NYJ") & (rows["season"] == 2014)].iloc[0]
    assert nyj["dead_cap_pct"] == pytest.approx(14.47, abs=0.01) and (nyj["wins"], nyj["losses"]) == (4, 12)
    assert nyj["risk_tier"] == "high"
    assert nyj["season_quadrant"] == risk.SEASON_QUADRANTS[(True, risk.LOSING)]
    assert nyj["quadrant"] == risk.QUADRANTS[(False, risk.LOSING)]  # under 15%: the absolute view only
    provenance = pd.DataFrame(
        columns=["season", "table_name", "franchise", "team", "source", "source_ref", "raw_sha256", "loaded_at"]
    )
    page = Tables(team_pages.team_page("NYJ", rows, provenance))
    table = page.tables["season-table"]
    row = next(r for r in table["rows"] if r[0]["text"] == "2014")
    assert row[table["headers"].index("Tier")]["text"] == "high"
    assert row[table["headers"].index("Season-relative class")]["text"] == "Above median, losing"
    assert not any("Under 15%" in c["text"] for c in row)
    absolute = {r[0]["text"]: r[2]["text"] for r in page.tables["absolute-class-table"]["rows"]}
    assert "2014" in absolute["Under 15%, losing"].split(", ")
    # Tier and season-relative class never contradict, in any stored season.
    assert rows.loc[rows["risk_tier"].isin(["high", "extreme"]), "season_quadrant"].str.startswith("Above median").all()
    assert rows.loc[rows["risk_tier"] == "low", "season_quadrant"].str.startswith("Below median").all()


@pytest.mark.integration
def test_the_2013_teams_at_8_8_are_500_in_both_views(stored):
    rows, _ = stored
    even = rows[(rows["season"] == 2013) & (rows["wins"] == rows["losses"])]
    assert len(even) == 6 and "NYJ" in set(even["franchise"])
    assert even["quadrant"].map(risk.short_name).str.endswith(", .500").all()
    assert even["season_quadrant"].map(risk.short_name).str.endswith(", .500").all()
    assert even.loc[even["franchise"] == "NYJ", "quadrant"].item() == risk.QUADRANTS[(True, risk.AT_500)]


def _within_slope(rows: pd.DataFrame) -> float:
    demean = lambda col: rows[col] - rows.groupby("season")[col].transform("mean")  # noqa: E731
    (slope,), *_ = np.linalg.lstsq(demean("dead_cap_pct").to_numpy()[:, None], demean("win_pct").to_numpy(), rcond=None)
    return float(slope)


@pytest.mark.parametrize("latest", [2025, 2020])
@pytest.mark.integration
def test_the_general_managers_paragraph_on_the_real_seasons(stored, latest):
    rows, fit = stored
    text = report.gm_paragraph(rows, fit, latest)
    caps = pd.read_csv(shared_file("reference", "nfl_league_salary_cap.csv")).set_index("season")["salary_cap_musd"]
    games = {2025: 17, 2020: 16}[latest]
    per_10m = 10 / caps[latest] * 100
    wins = -_within_slope(rows) * per_10m * games
    assert text.startswith("Dead money goes with fewer wins, but not many.")
    assert (
        f"every $10M of dead money ({per_10m:.1f}% of the {latest} cap of ${caps[latest]:.1f}M) has gone with about "
        f"{wins:.2f} fewer wins over {games} games" in text
    )
    low, high = (-fit[k] * per_10m * games for k in ("fe_slope_ci_high", "fe_slope_ci_low"))
    assert f"(95% interval {low:.2f} to {high:.2f})" in text
    assert f"accounts for {fit['fe_within_r_squared']:.0%} of the differences in records" in text
    season = rows[rows["season"] == latest]
    median = np.median(season["dead_cap_pct"])
    above, below = season[season["dead_cap_pct"] >= median], season[season["dead_cap_pct"] < median]
    losing = lambda g: int((g["wins"] < g["losses"]).sum())  # noqa: E731
    assert (
        f"of the {len(above)} teams at or above the league's median dead money ({median:.1f}% of the cap), "
        f"{losing(above)} finished below .500" in text
    )
    assert f"of the {len(below)} below it, {losing(below)} finished below .500" in text
    assert fit["next_slope_ci_low"] < 0 < fit["next_slope_ci_high"]
    assert "dead money has said nothing measurable about next season" in text
    assert text.endswith("These are associations across teams, not the measured effect of any one decision.")


@pytest.mark.integration
def test_the_paragraph_says_so_when_the_data_show_no_link(stored):
    rows, fit = stored
    flat = {**fit, "fe_slope": -0.0001, "fe_slope_ci_low": -0.003, "fe_slope_ci_high": 0.0028}
    text = report.gm_paragraph(rows, flat, 2025)
    assert "dead money has shown no clear link with winning" in text and "fewer wins" not in text
    text = report.gm_paragraph(rows, None, 2025)  # no fit stored yet: only what the season itself shows
    assert text.startswith("In 2025, of the 16 teams at or above the league's median dead money")
    assert (
        report.gm_paragraph(rows, fit, 2031)
        == "No team-season of 2031 is stored, so there is nothing to say about it yet."
    )
