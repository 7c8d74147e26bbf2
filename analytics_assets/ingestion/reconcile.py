"""Reconciling two independent standings sources team by team (pure functions).

Where nflverse and Pro-Football-Reference both answer for a season they must agree on every
team's W, L, T, points for and against (and so on games). During the season in progress one
source may lag the other by at most one game week: a team may have one game more in one source,
and that game must be exactly one win, loss or tie whose points explain the difference; a game
both count never differs. Anything else is a disagreement that refuses the season.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FIELDS = ("games", "wins", "losses", "ties", "points_for", "points_against")
MAX_LAG_GAMES = 1  # one game week: a team plays at most one game a week


@dataclass(frozen=True)
class Disagreement:
    team: str
    field: str
    values: tuple  # (first source's value, second source's value); None: the team is missing there

    def record(self, names: tuple[str, str]) -> dict:
        return {"team": self.team, "field": self.field, names[0]: self.values[0], names[1]: self.values[1]}

    def describe(self, names: tuple[str, str]) -> str:
        return f"{self.team} {self.field}: {names[0]} {_show(self.values[0])}, {names[1]} {_show(self.values[1])}"


def _show(value) -> str:
    return "absent" if value is None else str(value)


@dataclass
class Reconciliation:
    season: int
    names: tuple[str, str]
    refs: tuple[str, str]  # where each source's rows came from (URL or file)
    teams: int = 0  # teams compared
    agreed: list[str] = field(default_factory=list)  # teams whose records match (or differ only by the allowed lag)
    lagging: list[str] = field(default_factory=list)  # teams one game apart, the extra game consistent
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.disagreements

    @property
    def disagreeing_teams(self) -> list[str]:
        return sorted({d.team for d in self.disagreements})

    def records(self) -> list[dict]:
        return [d.record(self.names) for d in self.disagreements]

    def summary(self) -> str:
        lag = (
            f"; {len(self.lagging)} one game apart (season in progress: {', '.join(self.lagging)})"
            if self.lagging
            else ""
        )
        return f"{len(self.agreed)} of {self.teams} teams agree{lag}"

    def refusal(self) -> str:
        """The error that refuses the season: every disagreeing team with both values, and what to do."""
        shown = "; ".join(d.describe(self.names) for d in self.disagreements)
        return (
            f"Season {self.season}: {self.names[0]} ({self.refs[0]}) and {self.names[1]} ({self.refs[1]}) disagree on "
            f"{len(self.disagreeing_teams)} of {self.teams} teams ({', '.join(self.disagreeing_teams)}): {shown}. "
            "The season is refused and the stored rows are unchanged. Look at both raw files (archived; paths in the "
            "run's metadata) to see which source is wrong. Once you know, wait for the source to correct itself and "
            f"re-materialize, or set ANALYTICS_STANDINGS_SOURCES to the right source alone (the cross-check then shows "
            "as skipped)."
        )


def _ints(df: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {str(r["team"]): {f: int(r[f]) for f in FIELDS} for _, r in df.iterrows()}


def _one_game_apart(ahead: dict[str, int], behind: dict[str, int]) -> bool:
    """`ahead` is `behind` plus exactly one game, a win, loss or tie matching the points it adds."""
    d = {f: ahead[f] - behind[f] for f in FIELDS}
    if d["games"] != 1 or d["points_for"] < 0 or d["points_against"] < 0:
        return False
    outcome = (d["wins"], d["losses"], d["ties"])
    if outcome == (1, 0, 0):
        return d["points_for"] > d["points_against"]
    if outcome == (0, 1, 0):
        return d["points_for"] < d["points_against"]
    if outcome == (0, 0, 1):
        return d["points_for"] == d["points_against"]
    return False


def reconcile(
    first: pd.DataFrame,
    second: pd.DataFrame,
    season: int,
    in_progress: bool,
    names: tuple[str, str] = ("nflverse", "pfr"),
    refs: tuple[str, str] = ("", ""),
) -> Reconciliation:
    """Compare two standings frames (team in season codes, the FIELDS columns) team by team."""
    a, b = _ints(first), _ints(second)
    result = Reconciliation(season, names, refs, teams=len(set(a) | set(b)))
    for team in sorted(set(a) | set(b)):
        if team not in a or team not in b:
            result.disagreements.append(
                Disagreement(team, "team", ("present" if team in a else None, "present" if team in b else None))
            )
            continue
        ra, rb = a[team], b[team]
        if ra == rb:
            result.agreed.append(team)
            continue
        lag = abs(ra["games"] - rb["games"])
        if in_progress and lag <= MAX_LAG_GAMES and (_one_game_apart(ra, rb) or _one_game_apart(rb, ra)):
            result.agreed.append(team)
            result.lagging.append(team)
            continue
        result.disagreements.extend(Disagreement(team, f, (ra[f], rb[f])) for f in FIELDS if ra[f] != rb[f])
    return result
