"""Landing files built from the reference facts: PFR's own CSV export, Spotrac's figures."""

from __future__ import annotations

import pandas as pd

from analytics_assets import teams
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
            lines.append(f"{name},{r.wins},{r.losses},{r.ties},{pct:.3f},{r.points_for},{r.points_against},{r.points_for - r.points_against}")
    return "\n".join(lines) + "\n"


def spotrac_dead_cap(season: int) -> str:
    ref = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    ref = ref[ref["season"] == season]
    return ref[["team", "dead_money_musd", "total_cap_allocations_musd"]].to_csv(index=False)

