"""The rule catalog and result types: what each quality gate checks and how a check came out.

Kept free of pandas and Pandera so the code location can declare its asset checks without
importing them; `rules.validate()` does the checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARN = "ERROR", "WARN"

# A season's win_pct spread below this is not football: the real minimum 2011-2025 is 0.16.
MIN_WIN_PCT_STD = 0.05
# Spotrac allocations sit within a few percent of the cap; carry-over and rookies explain more.
ALLOCATION_TOLERANCE = 0.25
# Completed seasons whose schedule lost games (2022: BUF at CIN cancelled).
CANCELLED_GAMES = {2022: 1}


@dataclass(frozen=True)
class Rule:
    table: str
    name: str
    severity: str
    description: str


RULES: tuple[Rule, ...] = (
    Rule("standings", "schema", ERROR, "Columns, types and not-null exactly as the Standings model (no extra columns, one row per team)."),
    Rule("standings", "win_pct_range", ERROR, "0 <= win_pct <= 1."),
    Rule("standings", "win_pct_formula", ERROR, "win_pct = (wins + ties/2) / games."),
    Rule("standings", "games_add_up", ERROR, "wins + losses + ties = games."),
    Rule("standings", "wins_equal_losses", ERROR, "League-wide sum of wins = sum of losses."),
    Rule("standings", "schedule_length", ERROR, "Games per team match the season's schedule (16 through 2020, 17 from 2021; a completed season's league total is fixed; a season in progress at most that)."),
    Rule("standings", "thirty_two_teams", ERROR, "32 unique teams, each with a code valid that season."),
    Rule("standings", "not_degenerate", ERROR, f"win_pct varies across teams (standard deviation >= {MIN_WIN_PCT_STD}): every team on one record is the 0.500 bug."),
    # Evaluated from the live sources' cross-check (quality/cross_source.py), not from the rows alone.
    Rule("standings", "sources_agree", ERROR, "Where nflverse and Pro-Football-Reference both answer, every team's W, L, T, points for and against agree (the season in progress: one source may be one game ahead for a team, never contradict a game both count)."),
    Rule("standings", "sources_cross_checked", WARN, "A live season's standings were confirmed by a second source (skipped when one source failed or only one is configured)."),
    Rule("dead_cap", "schema", ERROR, "Columns, types and not-null exactly as the DeadCap model (no extra columns, one row per team)."),
    Rule("dead_cap", "dead_money_non_negative", ERROR, "dead_money_musd >= 0."),
    Rule("dead_cap", "dead_within_allocations", ERROR, "dead_money_musd <= total_cap_allocations_musd."),
    Rule("dead_cap", "thirty_two_teams", ERROR, "32 unique teams, each with a code valid that season."),
    Rule("dead_cap", "allocations_near_cap", WARN, f"Total cap allocations within {ALLOCATION_TOLERANCE:.0%} of the league salary cap (soft: Spotrac totals include carry-over and pending deals)."),
    Rule("team_season_risk", "standings_dead_cap_coverage", ERROR, "Every standings team has a dead-cap row and every dead-cap team a standings row."),
)


# Rules judged from how the rows were sourced, not from the rows: `rules.validate` leaves them out.
CROSS_SOURCE_RULES = ("sources_agree", "sources_cross_checked")


def rules_for(table: str) -> list[Rule]:
    return [r for r in RULES if r.table == table]


@dataclass
class RuleResult:
    rule: Rule
    passed: bool
    failures: list[dict] = field(default_factory=list)  # failing rows or values, as records
    message: str = ""
    evaluated: bool = True  # False when an earlier failure (the schema) made the rule meaningless

    @property
    def blocking(self) -> bool:
        return not self.passed and self.rule.severity == ERROR


@dataclass
class ValidationReport:
    table: str
    season: int
    results: list[RuleResult]

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        lines = []
        for r in self.failed():
            shown = "; ".join(_describe(f) for f in r.failures[:5])
            more = f" (+{len(r.failures) - 5} more)" if len(r.failures) > 5 else ""
            lines.append(f"[{r.rule.severity}] {self.table}.{r.rule.name} failed for season {self.season}: {r.rule.description} {r.message} Failing: {shown}{more}".strip())
        return "\n".join(lines)


def _describe(record: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in record.items())
