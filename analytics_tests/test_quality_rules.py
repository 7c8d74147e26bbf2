"""One minimal bad input per quality rule, asserting exactly which rule fails and what it names."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics_assets.ingestion.core_tables import build_dead_cap, build_standings
from analytics_assets.quality.rules import RULES, validate

pytestmark = pytest.mark.unit


def failed(report) -> set[str]:
    return {r.rule.name for r in report.failed()}


def blocking(report) -> set[str]:
    return {r.rule.name for r in report.results if r.blocking}


def recompute(df: pd.DataFrame) -> pd.DataFrame:
    df["win_pct"] = (df["wins"] + df["ties"] / 2) / df["games"]
    return df


@pytest.fixture
def standings_2019() -> pd.DataFrame:
    return build_standings(2019)


@pytest.fixture
def dead_2019() -> pd.DataFrame:
    return build_dead_cap(2019)


def test_real_seasons_pass_every_blocking_rule():
    for season in range(2011, 2026):
        assert validate("standings", build_standings(season), season, completed=True).passed
        assert validate("dead_cap", build_dead_cap(season), season, completed=True).passed


def test_every_rule_reports_a_result(standings_2019, dead_2019):
    names = {r.rule.name for r in validate("standings", standings_2019, 2019, True).results}
    names |= {r.rule.name for r in validate("dead_cap", dead_2019, 2019, True).results}
    assert names == {r.name for r in RULES if r.table in ("standings", "dead_cap")}


# --- standings ---------------------------------------------------------------------------------


def test_schema_rejects_an_extra_column(standings_2019):
    standings_2019["scraped_note"] = "x"
    report = validate("standings", standings_2019, 2019, True)
    assert failed(report) == {"schema"}
    assert any(
        f.get("check") == "column_in_schema" and f.get("value") == "scraped_note" for f in report.results[0].failures
    )


def test_schema_rejects_a_null_and_a_missing_column(standings_2019):
    standings_2019.loc[3, "points_for"] = None
    report = validate("standings", standings_2019.drop(columns=["division"]), 2019, True)
    assert failed(report) == {"schema"}
    text = report.summary()
    assert "division" in text and "points_for" in text
    # Season-level rules cannot be judged on a malformed frame: reported as not evaluated.
    assert not next(r for r in report.results if r.rule.name == "not_degenerate").evaluated


def test_schema_rejects_records_that_failed_to_parse(standings_2019):
    standings_2019["wins"] = "?"  # every record unparseable
    report = validate("standings", standings_2019, 2019, True)
    assert "schema" in blocking(report)
    assert "wins" in report.summary()


def test_win_pct_range(standings_2019):
    standings_2019.loc[0, "win_pct"] = 1.25
    report = validate("standings", standings_2019, 2019, True)
    assert {"win_pct_range", "win_pct_formula"} == failed(report)
    (failure,) = next(r for r in report.results if r.rule.name == "win_pct_range").failures
    assert failure["team"] == standings_2019.loc[0, "team"] and failure["win_pct"] == 1.25


def test_win_pct_formula_names_the_row(standings_2019):
    standings_2019.loc[5, "win_pct"] = 0.5 if standings_2019.loc[5, "win_pct"] != 0.5 else 0.25
    report = validate("standings", standings_2019, 2019, True)
    assert failed(report) == {"win_pct_formula"}
    (failure,) = report.failed()[0].failures
    assert failure["team"] == standings_2019.loc[5, "team"] and failure["season"] == 2019
    assert "win_pct_formula failed for season 2019" in report.summary()


def test_games_add_up(standings_2019):
    standings_2019.loc[2, "ties"] += 1
    report = validate("standings", recompute(standings_2019), 2019, True)
    assert failed(report) == {"games_add_up"}


def test_wins_equal_losses(standings_2019):
    wins, losses = int(standings_2019["wins"].sum()), int(standings_2019["losses"].sum())
    i = standings_2019.index[standings_2019["losses"] > 0][0]
    standings_2019.loc[i, "wins"] += 1
    standings_2019.loc[i, "losses"] -= 1
    report = validate("standings", recompute(standings_2019), 2019, True)
    assert failed(report) == {"wins_equal_losses"}
    assert f"league wins = {wins + 1}, losses = {losses - 1}" in report.summary()


def test_schedule_length_completed_season(standings_2019):
    a = standings_2019.index[standings_2019["losses"] > 0][0]
    b = standings_2019.index[standings_2019["wins"] > 0][-1]
    standings_2019.loc[a, ["losses", "games"]] -= 1
    standings_2019.loc[b, ["wins", "games"]] -= 1
    report = validate("standings", recompute(standings_2019), 2019, True)
    assert failed(report) == {"schedule_length"}
    assert "16 games per team, league total 512; seen found total 510" in report.summary()


def test_schedule_length_season_in_progress_allows_fewer_but_not_more(standings_2019):
    partial = standings_2019.copy()
    partial[["wins", "losses", "ties", "games"]] = 0
    partial.loc[:15, ["wins", "games"]] = 1
    partial.loc[16:, ["losses", "games"]] = 1
    assert validate("standings", recompute(partial), 2019, completed=False).passed
    assert "schedule_length" in failed(validate("standings", recompute(partial), 2019, completed=True))
    over = standings_2019.copy()
    over.loc[0, ["wins", "games"]] += 1
    over.loc[1, ["losses", "games"]] += 1
    assert failed(validate("standings", recompute(over), 2019, completed=False)) == {"schedule_length"}


def test_2022_cancelled_game_is_the_only_exception():
    standings = build_standings(2022)
    assert validate("standings", standings, 2022, True).passed
    assert "schedule_length" in failed(validate("standings", standings.assign(season=2023), 2023, True)) - {
        "thirty_two_teams"
    }


def test_thirty_two_teams_with_codes_valid_that_season(standings_2019):
    standings_2019.loc[standings_2019["team"] == "OAK", "team"] = "LV"  # LV is valid from 2020
    report = validate("standings", standings_2019, 2019, True)
    assert failed(report) == {"thirty_two_teams"}
    assert "codes not valid in 2019: ['LV']" in report.summary()
    missing = build_standings(2019).iloc[1:]
    assert "thirty_two_teams" in failed(validate("standings", missing, 2019, True))


def test_not_degenerate_catches_every_team_at_500(standings_2019):
    standings_2019[["wins", "losses", "ties", "games"]] = [8, 8, 0, 16]
    report = validate("standings", recompute(standings_2019), 2019, True)
    assert failed(report) == {"not_degenerate"}
    assert "most common value 0.500 on 32 of 32 teams" in report.summary()


def test_not_degenerate_catches_an_implausibly_small_spread(standings_2019):
    standings_2019[["wins", "losses", "ties", "games"]] = [8, 8, 0, 16]
    standings_2019.loc[0, ["wins", "losses"]] = [9, 7]
    standings_2019.loc[1, ["wins", "losses"]] = [7, 9]
    assert "not_degenerate" in failed(validate("standings", recompute(standings_2019), 2019, True))


def test_empty_season_is_blocked(standings_2019):
    report = validate("standings", standings_2019.iloc[0:0], 2019, True)
    assert blocking(report) == {"schema"}


# --- dead cap ---------------------------------------------------------------------------------


def test_dead_cap_schema_rejects_unconverted_dollar_strings(dead_2019):
    dead_2019["dead_money_musd"] = dead_2019["dead_money_musd"].map(lambda m: f"${m * 1e6:,.0f}")
    report = validate("dead_cap", dead_2019, 2019, True)
    assert "schema" in blocking(report)
    assert "dead_money_musd" in report.summary()


def test_dead_money_non_negative(dead_2019):
    dead_2019.loc[4, "dead_money_musd"] = -1.5
    report = validate("dead_cap", dead_2019, 2019, True)
    assert failed(report) == {"dead_money_non_negative"}
    assert report.failed()[0].failures[0]["team"] == dead_2019.loc[4, "team"]


def test_dead_within_allocations(dead_2019):
    dead_2019.loc[7, "dead_money_musd"] = dead_2019.loc[7, "total_cap_allocations_musd"] + 1
    report = validate("dead_cap", dead_2019, 2019, True)
    assert failed(report) == {"dead_within_allocations"}


def test_dead_cap_thirty_two_teams(dead_2019):
    report = validate("dead_cap", dead_2019.iloc[:31], 2019, True)
    assert failed(report) == {"thirty_two_teams"}
    assert "31 unique teams in 31 rows" in report.summary()


def test_allocations_near_cap_is_a_warning_not_a_block(dead_2019):
    dead_2019.loc[0, "total_cap_allocations_musd"] = dead_2019.loc[0, "league_salary_cap_musd"] * 1.4
    report = validate("dead_cap", dead_2019, 2019, True)
    assert failed(report) == {"allocations_near_cap"}
    assert report.passed and not report.failed()[0].blocking
    assert report.failed()[0].rule.severity == "WARN"


def test_allocations_far_from_the_cap_are_an_error(dead_2019):
    dead_2019.loc[0, "total_cap_allocations_musd"] = dead_2019.loc[0, "league_salary_cap_musd"] * 2
    report = validate("dead_cap", dead_2019, 2019, True)
    assert failed(report) == {"allocations_near_cap", "allocations_within_bounds"}
    assert blocking(report) == {"allocations_within_bounds"}
    assert f"team={dead_2019.loc[0, 'team']}" in report.summary()
