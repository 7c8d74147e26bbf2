"""Landing files built from the reference facts: PFR's own CSV export, Spotrac's figures."""

from __future__ import annotations

import pandas as pd

from analytics_assets import partitions, teams
from analytics_tests.support.data import shared_file


def reference_standings(season: int) -> pd.DataFrame:
    ref = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    return ref[ref["season"] == season].reset_index(drop=True)


def pfr_export(season: int) -> str:
    """Standings the way PFR's "Get table as CSV" gives them: full names, * and + markers, division rows."""
    ref = reference_standings(season)
    lines = ["Tm,W,L,T,W-L%,PF,PA,PD"]
    for division, rows in ref.groupby("division"):
        lines.append(f"{division},,,,,,,")
        for i, r in enumerate(rows.itertuples()):
            name = teams.resolve(r.team, "nflverse", season).name + ("*" if i == 0 else "")
            pct = (r.wins + r.ties / 2) / r.games
            lines.append(
                f"{name},{r.wins},{r.losses},{r.ties},{pct:.3f},{r.points_for},{r.points_against},"
                f"{r.points_for - r.points_against}"
            )
    return "\n".join(lines) + "\n"


def spotrac_dead_cap(season: int) -> str:
    ref = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    ref = ref[ref["season"] == season]
    return ref[["team", "dead_money_musd", "total_cap_allocations_musd"]].to_csv(index=False)


SEASON = partitions.season_in_progress()


def in_progress_week(
    standings: pd.DataFrame, dead: pd.DataFrame, games: int, dead_scale: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The completed seasons plus the season in progress after `games` (3 or more) games per team: the
    first 16 franchises (by id) lost one game and won the rest, the others won one and lost the rest
    (league wins equal losses); dead money is last season's, varied by team, times `dead_scale`."""
    last = standings[standings["season"] == SEASON - 1].sort_values("franchise").reset_index(drop=True)
    wins = 1 + (last.index < 16) * (games - 2)
    margin = 7 * (2 * wins - games)
    now = last.assign(
        season=SEASON,
        games=games,
        wins=wins,
        losses=games - wins,
        ties=0,
        points_for=20 * games + margin,
        points_against=20 * games - margin,
    )
    money = dead[dead["season"] == SEASON - 1].sort_values("franchise").reset_index(drop=True).assign(season=SEASON)
    # Each team's figures move differently from last season's (a copy of last season is refused as such).
    spread = 0.8 + 0.4 * ((money.index * 7) % 32) / 31
    money["dead_money_musd"] = (money["dead_money_musd"] * spread * dead_scale).round(3)
    money["total_cap_allocations_musd"] = (money["total_cap_allocations_musd"] * 1.03).round(3)
    return pd.concat([standings, now], ignore_index=True), pd.concat([dead, money], ignore_index=True)
