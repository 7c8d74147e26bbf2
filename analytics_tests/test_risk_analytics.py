"""nfl.team_season_risk against an independent numpy/scipy computation on the reference facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics_assets.analytics import risk
from analytics_tests.support.data import read_table
from analytics_tests.support.reference import expected_risk
from analytics_tests.support.runs import materialize_seasons


@pytest.fixture(scope="module")
def compared(full_db) -> pd.DataFrame:
    stored = read_table(full_db, "SELECT * FROM nfl.team_season_risk")
    merged = stored.merge(expected_risk(), on=["season", "franchise"], suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(stored) == 480
    return merged


@pytest.mark.integration
def test_columns_are_the_documented_ones(full_db):
    stored = read_table(full_db, "SELECT * FROM nfl.team_season_risk LIMIT 1")
    assert list(stored.columns) == risk.RISK_COLUMNS


@pytest.mark.integration
def test_dead_cap_pct_rank_percentile_and_zscore(compared):
    assert np.allclose(compared["dead_cap_pct"], compared["pct"], rtol=0, atol=1e-9)
    assert (compared["dead_cap_rank"] == compared["rank"]).all()
    assert np.allclose(compared["dead_cap_percentile"], compared["percentile"], atol=1e-9)
    assert np.allclose(compared["dead_cap_zscore"], compared["zscore"], atol=1e-9)
    # Each season's ranks run 1..32 with 1 at the most dead cap.
    top = compared.loc[compared.groupby("season")["pct"].idxmax()]
    assert (top["dead_cap_rank"] == 1).all()


@pytest.mark.integration
def test_risk_tiers_follow_each_seasons_quartiles_and_fence(compared):
    assert (compared["risk_tier"] == compared["tier"]).all(), compared.loc[
        compared["risk_tier"] != compared["tier"], ["season", "team", "pct", "risk_tier", "tier"]
    ]
    per_season = compared.groupby("season")["risk_tier"].value_counts().unstack(fill_value=0)
    # Quartile tiers: about a quarter low, half moderate; "extreme" only above the Q3 + 1.5 IQR fence.
    assert (per_season["low"] >= 8).all() and (per_season["moderate"] >= 14).all()
    assert set(compared["risk_tier"]) == set(risk.TIERS)


@pytest.mark.integration
def test_absolute_classes_use_15_percent_and_the_records_three_sides(compared):
    expected = [risk.QUADRANTS[(h, r)] for h, r in zip(compared["high"], compared["record"])]
    assert (compared["quadrant"] == pd.Series(expected, index=compared.index)).all()
    cap_hell = compared["quadrant"] == risk.CAP_HELL
    assert ((compared.loc[cap_hell, "pct"] >= 15) & (compared.loc[cap_hell, "win_pct"] < 0.5)).all()
    assert cap_hell.sum() == ((compared["pct"] >= 15) & (compared["win_pct"] < 0.5)).sum() > 0
    # Every .500 team (8-8, 8-8-1, ...) is in a ".500" class, never with the winners.
    at_500 = compared["win_pct"] == 0.5
    assert at_500.sum() > 0 and compared.loc[at_500, "quadrant"].str.contains(r", \.500 \(").all()


@pytest.mark.integration
def test_next_season_change_where_the_next_season_is_stored(compared):
    known = compared[compared["season"] < 2025]
    assert known["next_season_win_pct"].notna().all()
    assert np.allclose(known["next_season_win_pct"], known["next"], atol=1e-12)
    assert np.allclose(known["next_season_win_pct_change"], known["next"] - known["win_pct"], atol=1e-12)
    # Relocated franchises carry on by franchise id (STL 2015 -> LA 2016, SD 2016 -> LAC 2017, OAK 2019 -> LV 2020).
    for season, team in [(2015, "STL"), (2016, "SD"), (2019, "OAK")]:
        assert (
            compared.loc[(compared["season"] == season) & (compared["team"] == team), "next_season_win_pct"]
            .notna()
            .item()
        )
    assert (
        compared.loc[compared["season"] == 2025, ["next_season_win_pct", "next_season_win_pct_change"]]
        .isna()
        .all()
        .all()
    )


@pytest.mark.unit
def test_boundaries_ties_and_a_flat_season():
    """Exactly 15% counts as 15%+, exactly .500 is its own side; ties share the best rank."""
    cap = 200.0
    joined = pd.DataFrame(
        {
            "season": [2030] * 4 + [2031] * 3,
            "team": ["A", "B", "C", "D", "A", "B", "C"],
            "franchise": ["A", "B", "C", "D", "A", "B", "C"],
            "conference": "AFC",
            "division": "AFC East",
            "games": 16,
            "wins": [8, 4, 12, 8, 8, 8, 8],
            "losses": [8, 12, 4, 8, 8, 8, 8],
            "ties": 0,
            "win_pct": [0.5, 0.25, 0.75, 0.5, 0.5, 0.5, 0.5],
            "dead_money_musd": [30.0, 30.0, 2.0, 100.0, 10.0, 10.0, 10.0],
            "total_cap_allocations_musd": cap,
            "league_salary_cap_musd": cap,
            "next_season_win_pct": [0.5, 0.5, 0.5, np.nan, np.nan, np.nan, np.nan],
        }
    )
    out = risk.team_season_risk(joined).set_index(["season", "team"])
    assert out.loc[(2030, "A"), "quadrant"] == risk.QUADRANTS[(True, risk.AT_500)]  # 15.0% and 8-8
    assert out.loc[(2030, "B"), "quadrant"] == risk.QUADRANTS[(True, risk.LOSING)] == risk.CAP_HELL
    assert out.loc[(2030, "C"), "quadrant"] == risk.QUADRANTS[(False, risk.WINNING)]
    assert out.loc[(2030, "A"), "dead_cap_rank"] == out.loc[(2030, "B"), "dead_cap_rank"] == 2
    assert out.loc[(2030, "D"), "dead_cap_rank"] == 1
    assert out.loc[(2030, "A"), "dead_cap_percentile"] == pytest.approx(75.0)
    assert out.loc[(2030, "B"), "next_season_win_pct_change"] == pytest.approx(0.25)
    assert np.isnan(out.loc[(2030, "D"), "next_season_win_pct_change"])
    # A season where every team carries the same dead cap: z-scores 0, everyone ranked 1 and "low".
    flat = out.loc[2031]
    assert (
        (flat["dead_cap_zscore"] == 0).all()
        and (flat["dead_cap_rank"] == 1).all()
        and (flat["risk_tier"] == "low").all()
    )


@pytest.mark.integration
def test_storing_the_next_season_fills_in_the_previous_seasons_change(db_path):
    assert materialize_seasons(db_path, 2019).success
    before = read_table(db_path, "SELECT next_season_win_pct_change FROM nfl.team_season_risk WHERE season = 2019")
    assert before["next_season_win_pct_change"].isna().all()
    assert materialize_seasons(db_path, 2020).success
    after = read_table(
        db_path, "SELECT franchise, win_pct, next_season_win_pct_change FROM nfl.team_season_risk WHERE season = 2019"
    )
    ref = expected_risk().query("season == 2019").set_index("franchise")
    after = after.set_index("franchise").join(ref[["next", "win_pct"]].add_suffix("_ref"))
    assert np.allclose(after["next_season_win_pct_change"], after["next_ref"] - after["win_pct_ref"], atol=1e-12)
