import pandas as pd
import pytest

from analytics_assets import teams
from analytics_tests.support.data import shared_file

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "source", "season", "franchise", "team"),
    [
        ("STL", "nflverse", 2015, "LAR", "STL"),
        ("LA", "nflverse", 2016, "LAR", "LA"),
        ("LAR", "spotrac", 2016, "LAR", "LA"),
        ("STL", "spotrac", 2015, "LAR", "STL"),
        ("ram", "pfr_code", 2011, "LAR", "STL"),
        ("ram", "pfr_code", 2024, "LAR", "LA"),
        ("sdg", "pfr_code", 2016, "LAC", "SD"),
        ("sdg", "pfr_code", 2017, "LAC", "LAC"),
        ("rai", "pfr_code", 2019, "LV", "OAK"),
        ("rai", "pfr_code", 2020, "LV", "LV"),
        ("nwe", "pfr_code", 2017, "NE", "NE"),
        ("kan", "pfr_code", 2017, "KC", "KC"),
        ("San Diego Chargers", "pfr_name", 2016, "LAC", "SD"),
        ("Los Angeles Chargers", "pfr_name", 2017, "LAC", "LAC"),
        ("Oakland Raiders", "pfr_name", 2019, "LV", "OAK"),
        ("Las Vegas Raiders", "pfr_name", 2020, "LV", "LV"),
        ("Washington Football Team", "pfr_name", 2021, "WAS", "WAS"),
        ("Washington Commanders", "pfr_name", 2022, "WAS", "WAS"),
        ("LV", "franchise", 2012, "LV", "OAK"),
    ],
)
def test_every_source_code_resolves(code, source, season, franchise, team):
    resolved = teams.resolve(code, source, season)
    assert (resolved.franchise_id, resolved.team) == (franchise, team)


@pytest.mark.parametrize(
    ("code", "source", "season"),
    [
        ("LV", "nflverse", 2019),
        ("OAK", "nflverse", 2020),
        ("Las Vegas Raiders", "pfr_name", 2019),
        ("XYZ", "spotrac", 2024),
        ("LAR", "nflverse", 2016),
    ],
)
def test_unknown_code_names_code_source_and_season(code, source, season):
    with pytest.raises(teams.UnknownTeamError) as exc:
        teams.resolve(code, source, season)
    message = str(exc.value)
    assert repr(code) in message and repr(source) in message and str(season) in message


def test_registry_covers_every_reference_row():
    standings = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    dead = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    for row in standings.itertuples():
        by_code = teams.resolve(row.team, "nflverse", row.season)
        by_pfr = teams.resolve(row.pfr_code, "pfr_code", row.season)
        assert by_code == by_pfr
        assert (by_code.franchise_id, by_code.conference, by_code.division) == (
            row.franchise,
            row.conference,
            row.division,
        )
    for row in dead.itertuples():
        assert teams.resolve(row.team, "spotrac", row.season).franchise_id == row.franchise
    for season in range(2011, 2027):
        assert len(teams.season_codes(season)) == 32
