"""The quality gates: every invariant as a named Pandera check, run before a season is stored.

`validate()` runs the table's Pandera model plus the season-dependent checks lazily (all failures
at once) and returns one `RuleResult` per rule, which the assets report as Dagster asset checks
and which block the write when an ERROR rule fails.
"""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from analytics_assets.partitions import regular_season_games
from analytics_assets.quality.catalog import (  # noqa: F401 (re-exported: callers import them from here too)
    ALLOCATION_TOLERANCE,
    CANCELLED_GAMES,
    CROSS_SOURCE_RULES,
    ERROR,
    MIN_WIN_PCT_STD,
    RULES,
    WARN,
    Rule,
    RuleResult,
    ValidationReport,
    rules_for,
)
from analytics_assets.quality.schemas import DeadCap, Standings
from analytics_assets.teams import season_codes


def _missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and pd.isna(value))


def _plain(value):
    """numpy scalars -> Python values (anything else -> text), so failures serialize as JSON."""
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _thirty_two(df: pd.DataFrame, season: int) -> pd.Series | bool:
    valid = season_codes(season)
    ok_codes = df["team"].isin(valid)
    return ok_codes & (df["team"].nunique() == 32) & (len(df) == 32)


def _schedule_check(season: int, completed: bool):
    per_team = regular_season_games(season)

    def check(df: pd.DataFrame) -> pd.Series:
        within = df["games"] <= per_team
        if not completed:
            return within
        expected_total = 32 * per_team - 2 * CANCELLED_GAMES.get(season, 0)
        return within & (df["games"] >= per_team - CANCELLED_GAMES.get(season, 0)) & (df["games"].sum() == expected_total)

    return check


def _season_schema(table: str, season: int, completed: bool) -> pa.DataFrameSchema:
    checks = [pa.Check(lambda df: _thirty_two(df, season), name="thirty_two_teams")]
    if table == "standings":
        checks += [
            pa.Check(_schedule_check(season, completed), name="schedule_length"),
            pa.Check(lambda df: pd.Series(df["win_pct"].std(ddof=0) >= MIN_WIN_PCT_STD, index=df.index), name="not_degenerate"),
        ]
    else:
        checks.append(
            pa.Check(
                lambda df: (df["total_cap_allocations_musd"] / df["league_salary_cap_musd"] - 1).abs() <= ALLOCATION_TOLERANCE,
                name="allocations_near_cap",
            )
        )
    return pa.DataFrameSchema(checks=checks)


_COLUMN_RULES = {("standings", "win_pct"): "win_pct_range", ("dead_cap", "dead_money_musd"): "dead_money_non_negative"}


def _rule_name(table: str, case: pd.Series, named: set[str]) -> str:
    check = str(case.get("check"))
    if check in named:
        return check
    rule = _COLUMN_RULES.get((table, case.get("column")))
    if rule and ("greater_than" in check or "less_than" in check or "in_range" in check):
        return rule
    return "schema"


def _failure_cases(error: pandera.errors.SchemaErrors | pandera.errors.SchemaError) -> pd.DataFrame:
    if isinstance(error, pandera.errors.SchemaErrors):
        return error.failure_cases
    return pd.DataFrame([{"column": getattr(error.schema, "name", None), "check": str(error.check), "failure_case": str(error), "index": None}])


# The columns that explain a failing row, per rule (shown instead of every column of the row).
EVIDENCE = {
    "games_add_up": ["wins", "losses", "ties", "games"],
    "win_pct_formula": ["wins", "ties", "games", "win_pct"],
    "wins_equal_losses": ["wins", "losses"],
    "schedule_length": ["games"],
    "thirty_two_teams": [],
    "not_degenerate": ["win_pct"],
    "dead_within_allocations": ["dead_money_musd", "total_cap_allocations_musd"],
    "allocations_near_cap": ["total_cap_allocations_musd", "league_salary_cap_musd"],
}


def _season_message(rule: str, df: pd.DataFrame, season: int, completed: bool) -> str:
    """One line on what a season-wide rule saw, so the error says why and not only where."""
    if rule == "wins_equal_losses":
        return f"League wins = {int(df['wins'].sum())}, losses = {int(df['losses'].sum())}."
    if rule == "not_degenerate":
        values = df["win_pct"].round(3).value_counts()
        return f"win_pct standard deviation {df['win_pct'].std(ddof=0):.3f}; most common value {values.index[0]:.3f} on {values.iloc[0]} of {len(df)} teams."
    if rule == "thirty_two_teams":
        invalid = sorted(set(df["team"]) - season_codes(season))
        return f"{df['team'].nunique()} unique teams in {len(df)} rows; codes not valid in {season}: {invalid or 'none'}."
    if rule == "schedule_length":
        per_team = regular_season_games(season)
        expected = 32 * per_team - 2 * CANCELLED_GAMES.get(season, 0)
        state = "completed" if completed else "in progress (at most)"
        return f"Season {season} is {state}: {per_team} games per team, league total {expected}; found total {int(df['games'].sum())}."
    return ""


def validate(table: str, df: pd.DataFrame, season: int, completed: bool) -> ValidationReport:
    """Run every rule of `table` on one season's rows; never raises for bad data."""
    model = {"standings": Standings, "dead_cap": DeadCap}[table]
    rules = [r for r in rules_for(table) if r.name not in CROSS_SOURCE_RULES]
    named = {r.name for r in rules}
    failures: dict[str, dict] = {r.name: {} for r in rules}  # rule -> {dedupe key: record}
    key_cols = [c for c in ("season", "team") if c in df.columns]

    def collect(schema) -> None:
        try:
            schema.validate(df, lazy=True)
        except (pandera.errors.SchemaErrors, pandera.errors.SchemaError) as exc:
            for _, case in _failure_cases(exc).iterrows():
                rule = _rule_name(table, case, named)
                idx = case.get("index")
                has_row = key_cols and not _missing(idx) and idx in df.index
                if rule in EVIDENCE and has_row:
                    cols = key_cols + [c for c in EVIDENCE[rule] if c in df.columns]
                    failures[rule][("row", idx)] = {k: _plain(v) for k, v in df.loc[idx, cols].items()}
                    continue
                record = {"column": case.get("column"), "check": str(case.get("check")), "value": case.get("failure_case")}
                if has_row:
                    record = {**df.loc[idx, key_cols].to_dict(), **record}
                record = {k: _plain(v) for k, v in record.items() if not _missing(v)}
                failures[rule][tuple(sorted(record.items()))] = record

    if df.empty:
        failures["schema"][("empty",)] = {"rows": 0, "check": "one row per team"}
    else:
        collect(model.to_schema())
    # Season-level rules need well-typed columns: after a schema failure they are not evaluated.
    season_level = {"thirty_two_teams", "schedule_length", "not_degenerate", "allocations_near_cap"}
    evaluated = not failures["schema"]
    if evaluated:
        collect(_season_schema(table, season, completed))
    results = []
    for r in rules:
        found = list(failures[r.name].values())
        message = _season_message(r.name, df, season, completed) if found and evaluated else ""
        results.append(RuleResult(r, not found, found, message, evaluated or r.name not in season_level))
    return ValidationReport(table, season, results)
