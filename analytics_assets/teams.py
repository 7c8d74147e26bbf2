"""Franchise registry: every source's team code or name -> stable franchise id and season code.

Franchise ids are the modern team codes (LAR, LAC, LV). The *season code* is the nflverse-style
code the team used that season (STL until 2015, LA from 2016; SD until 2016, LAC from 2017; OAK
until 2019, LV from 2020); it is the `team` column of every table, so joins across sources are on
(season, team) and always complete.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    first_season: int
    last_season: int | None  # None: still current
    code: str  # nflverse-style season code
    name: str  # full name as Pro-Football-Reference and Spotrac print it
    spotrac_code: str

    def covers(self, season: int) -> bool:
        return self.first_season <= season and (self.last_season is None or season <= self.last_season)


@dataclass(frozen=True)
class Franchise:
    franchise_id: str
    pfr_code: str  # Pro-Football-Reference URL code, stable across relocations
    conference: str
    division: str
    eras: tuple[Era, ...]

    def era(self, season: int) -> Era | None:
        return next((e for e in self.eras if e.covers(season)), None)


def _one(fid: str, pfr: str, conf: str, div: str, name: str) -> Franchise:
    return Franchise(fid, pfr, conf, f"{conf} {div}", (Era(1920, None, fid, name, fid),))


FRANCHISES: tuple[Franchise, ...] = (
    _one("ARI", "crd", "NFC", "West", "Arizona Cardinals"),
    _one("ATL", "atl", "NFC", "South", "Atlanta Falcons"),
    _one("BAL", "rav", "AFC", "North", "Baltimore Ravens"),
    _one("BUF", "buf", "AFC", "East", "Buffalo Bills"),
    _one("CAR", "car", "NFC", "South", "Carolina Panthers"),
    _one("CHI", "chi", "NFC", "North", "Chicago Bears"),
    _one("CIN", "cin", "AFC", "North", "Cincinnati Bengals"),
    _one("CLE", "cle", "AFC", "North", "Cleveland Browns"),
    _one("DAL", "dal", "NFC", "East", "Dallas Cowboys"),
    _one("DEN", "den", "AFC", "West", "Denver Broncos"),
    _one("DET", "det", "NFC", "North", "Detroit Lions"),
    _one("GB", "gnb", "NFC", "North", "Green Bay Packers"),
    _one("HOU", "htx", "AFC", "South", "Houston Texans"),
    _one("IND", "clt", "AFC", "South", "Indianapolis Colts"),
    _one("JAX", "jax", "AFC", "South", "Jacksonville Jaguars"),
    _one("KC", "kan", "AFC", "West", "Kansas City Chiefs"),
    Franchise(
        "LAC",
        "sdg",
        "AFC",
        "AFC West",
        (
            Era(1961, 2016, "SD", "San Diego Chargers", "SD"),
            Era(2017, None, "LAC", "Los Angeles Chargers", "LAC"),
        ),
    ),
    Franchise(
        "LAR",
        "ram",
        "NFC",
        "NFC West",
        (
            Era(1995, 2015, "STL", "St. Louis Rams", "STL"),
            Era(2016, None, "LA", "Los Angeles Rams", "LAR"),
        ),
    ),
    Franchise(
        "LV",
        "rai",
        "AFC",
        "AFC West",
        (
            Era(1995, 2019, "OAK", "Oakland Raiders", "OAK"),
            Era(2020, None, "LV", "Las Vegas Raiders", "LV"),
        ),
    ),
    _one("MIA", "mia", "AFC", "East", "Miami Dolphins"),
    _one("MIN", "min", "NFC", "North", "Minnesota Vikings"),
    _one("NE", "nwe", "AFC", "East", "New England Patriots"),
    _one("NO", "nor", "NFC", "South", "New Orleans Saints"),
    _one("NYG", "nyg", "NFC", "East", "New York Giants"),
    _one("NYJ", "nyj", "AFC", "East", "New York Jets"),
    _one("PHI", "phi", "NFC", "East", "Philadelphia Eagles"),
    _one("PIT", "pit", "AFC", "North", "Pittsburgh Steelers"),
    _one("SEA", "sea", "NFC", "West", "Seattle Seahawks"),
    _one("SF", "sfo", "NFC", "West", "San Francisco 49ers"),
    _one("TB", "tam", "NFC", "South", "Tampa Bay Buccaneers"),
    _one("TEN", "oti", "AFC", "South", "Tennessee Titans"),
    # Same code throughout; only the name changed.
    Franchise(
        "WAS",
        "was",
        "NFC",
        "NFC East",
        (
            Era(1937, 2019, "WAS", "Washington Redskins", "WAS"),
            Era(2020, 2021, "WAS", "Washington Football Team", "WAS"),
            Era(2022, None, "WAS", "Washington Commanders", "WAS"),
        ),
    ),
)

# "nflverse_games": nflverse's games file writes the code of the day (STL, SD, OAK, LA), while
# exports of it (and nflverse's newer files) write modern codes (LAR, LAC, LV) for every season;
# both spellings resolve, and no code of one franchise is the other spelling of another.
SOURCES = ("nflverse", "nflverse_games", "spotrac", "pfr_name", "pfr_code", "franchise")


class UnknownTeamError(ValueError):
    """A source named a team the registry cannot place in the given season."""

    def __init__(self, code: str, source: str, season: int):
        self.code, self.source, self.season = code, source, season
        super().__init__(
            f"Unknown team {code!r} from source {source!r} for season {season}: no franchise in "
            f"analytics_assets/teams.py uses that {source} code or name in {season}. If a team "
            "relocated or was renamed, add an Era to its Franchise in the registry."
        )


@dataclass(frozen=True)
class TeamSeason:
    franchise_id: str
    team: str  # season code
    name: str
    conference: str
    division: str


def _keys(franchise: Franchise, era: Era, source: str) -> set[str]:
    if source == "nflverse":
        return {era.code}
    if source == "nflverse_games":
        return {era.code, franchise.franchise_id}
    if source == "spotrac":
        return {era.spotrac_code}
    if source == "pfr_name":
        return {era.name.lower()}
    if source == "pfr_code":
        return {franchise.pfr_code}
    return {franchise.franchise_id}


def resolve(code: str, source: str, season: int) -> TeamSeason:
    """Map one source's team code (or full name) in a season to the franchise and season code."""
    if source not in SOURCES:
        raise ValueError(f"Unknown team source {source!r}; expected one of {', '.join(SOURCES)}")
    needle = code.strip().lower() if source == "pfr_name" else code.strip().upper()
    if source == "pfr_code":
        needle = needle.lower()
    for franchise in FRANCHISES:
        era = franchise.era(season)
        if era is not None and needle in _keys(franchise, era, source):
            return TeamSeason(franchise.franchise_id, era.code, era.name, franchise.conference, franchise.division)
    raise UnknownTeamError(code, source, season)


def season_codes(season: int) -> set[str]:
    """The 32 season codes valid in a season."""
    return {era.code for f in FRANCHISES if (era := f.era(season)) is not None}
