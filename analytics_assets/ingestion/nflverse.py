"""nflverse's games file -> regular-season standings per season (pure functions, no network).

The file (`nflverse/nfldata`, `data/games.csv`) holds one row per game of every season: game_type
REG for the regular season, away_team/home_team with away_score/home_score. A game not yet played
has empty scores and does not count, so during the season the standings are what has been played.
One file serves every season. Teams are nflverse codes, either the code of the day (STL, SD, OAK,
LA) or modern codes for every season (LAR, LAC, LV), mapped through the registry as
`nflverse_games`.
"""

from __future__ import annotations

import io

import pandas as pd

from analytics_assets.ingestion.errors import LayoutChangedError
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES

LABEL = LIVE_SOURCES["nflverse"].label
CODE_SOURCE = "nflverse_games"
REQUIRED_COLUMNS = ("season", "game_type", "away_team", "away_score", "home_team", "home_score")
REGULAR_SEASON = "REG"
COLUMNS = ["team", "games", "wins", "losses", "ties", "points_for", "points_against"]


def parse_games(text: str, season: int, url: str) -> pd.DataFrame:
    """The file's regular-season games with both scores (played games), every season."""
    try:
        games = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, usecols=lambda c: c in REQUIRED_COLUMNS
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise LayoutChangedError(
            LABEL, season, url, f"a CSV file with columns {', '.join(REQUIRED_COLUMNS)}", f"unreadable CSV ({exc})"
        ) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in games.columns]
    if missing:
        raise LayoutChangedError(
            LABEL,
            season,
            url,
            f"a CSV file with columns {', '.join(REQUIRED_COLUMNS)}",
            f"no column {', '.join(missing)} (columns: {', '.join(games.columns) or 'none'})",
        )
    games = games[games["game_type"].str.strip() == REGULAR_SEASON]
    played = games[(games["away_score"].str.strip() != "") & (games["home_score"].str.strip() != "")].copy()
    for col in ("season", "away_score", "home_score"):
        values = pd.to_numeric(played[col].str.strip(), errors="coerce")
        bad = played.loc[values.isna() | (values % 1 != 0) | (values < 0), col]
        if len(bad):
            raise LayoutChangedError(
                LABEL, season, url, f"whole numbers >= 0 in {col}", f"{bad.iloc[0]!r} (and {len(bad) - 1} more)"
            )
        played[col] = values.astype("int64")
    return played


def season_standings(games: pd.DataFrame, season: int) -> pd.DataFrame:
    """Regular-season records from the played games of `games` (as `parse_games` returns them)."""
    one = games[games["season"] == season]
    sides = [
        pd.DataFrame(
            {"team": one["home_team"].str.strip(), "points_for": one["home_score"], "points_against": one["away_score"]}
        ),
        pd.DataFrame(
            {"team": one["away_team"].str.strip(), "points_for": one["away_score"], "points_against": one["home_score"]}
        ),
    ]
    per_game = pd.concat(sides, ignore_index=True)
    per_game["wins"] = (per_game["points_for"] > per_game["points_against"]).astype("int64")
    per_game["losses"] = (per_game["points_for"] < per_game["points_against"]).astype("int64")
    per_game["ties"] = (per_game["points_for"] == per_game["points_against"]).astype("int64")
    per_game["games"] = 1
    table = per_game.groupby("team", as_index=False)[
        ["games", "wins", "losses", "ties", "points_for", "points_against"]
    ].sum()
    return table[COLUMNS].sort_values("team").reset_index(drop=True)


def seasons_played(games: pd.DataFrame) -> list[int]:
    return sorted(int(s) for s in games["season"].unique())
