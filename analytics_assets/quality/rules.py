"""Running the quality gates: the table's Pandera model, then every rule of `catalog.py` as a
named Pandera check, lazily (all failures at once), returning one `RuleResult` per rule.

The assets report the results as Dagster asset checks and block the write when an ERROR rule
fails; nothing here raises for bad data.
"""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from analytics_assets.quality.catalog import (  # noqa: F401 (re-exported: callers import them from here too)
    ALLOCATION_TOLERANCE,
    CANCELLED_GAMES,
    ERROR,
    MIN_WIN_PCT_STD,
    ROWS,
    RULES,
    SOURCE,
    WARN,
    Finding,
    Rule,
    RuleResult,
    SeasonContext,
    SourceIdentity,
    ValidationReport,
    rows_finding,
    rules_for,
)
from analytics_assets.quality.schemas import DeadCap, Standings

MODELS = {"standings": Standings, "dead_cap": DeadCap}


def _missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and pd.isna(value))


def _plain(value):
    """numpy scalars -> Python values (anything else -> text), so failures serialize as JSON."""
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _failure_cases(error: pandera.errors.SchemaErrors | pandera.errors.SchemaError) -> pd.DataFrame:
    if isinstance(error, pandera.errors.SchemaErrors):
        return error.failure_cases
    return pd.DataFrame(
        [
            {
                "column": getattr(error.schema, "name", None),
                "check": str(error.check),
                "failure_case": str(error),
                "index": None,
            }
        ]
    )


def _finding(rule: Rule, df: pd.DataFrame, ctx: SeasonContext, failures: list[dict]) -> Finding:
    if rule.explain is not None:
        try:
            return rule.explain(df, ctx)
        except Exception as exc:  # an explanation must never hide the failure itself
            return Finding(rule.guards, f"(could not describe: {exc})")
    return rows_finding(rule, failures)


def _observed(rule: Rule, df: pd.DataFrame, ctx: SeasonContext) -> str:
    if rule.observe is None:
        return ""
    try:
        return rule.observe(df, ctx)
    except Exception as exc:  # describing what was seen must never hide the rule's verdict
        return f"(could not describe what was seen: {type(exc).__name__}: {exc})"


def evaluate(rules: list[Rule], df: pd.DataFrame, ctx: SeasonContext, schema_failed: bool = False) -> list[RuleResult]:
    """Run `rules` on one season's rows as Pandera checks named after the rules."""
    key_cols = [c for c in ("season", "team") if c in df.columns]
    runnable = [r for r in rules if r.check is not None and not schema_failed and all(ctx.has(n) for n in r.needs)]
    failures: dict[str, dict] = {r.name: {} for r in runnable}
    if runnable:
        schema = pa.DataFrameSchema(checks=[pa.Check(lambda d, r=r: r.check(d, ctx), name=r.name) for r in runnable])
        try:
            schema.validate(df, lazy=True)
        except (pandera.errors.SchemaErrors, pandera.errors.SchemaError) as exc:
            for _, case in _failure_cases(exc).iterrows():
                name = str(case.get("check"))
                if name not in failures:
                    continue
                rule = next(r for r in runnable if r.name == name)
                idx = case.get("index")
                if key_cols and not _missing(idx) and idx in df.index:
                    cols = key_cols + [c for c in rule.evidence if c in df.columns]
                    failures[name][("row", idx)] = {k: _plain(v) for k, v in df.loc[idx, cols].items()}
                else:  # a season-wide rule (or a check that raised): one failure, explained by the rule
                    failures[name][("season",)] = {"value": _plain(case.get("failure_case"))}
    results = []
    for r in rules:
        if r.name not in failures:
            results.append(RuleResult(r, True, evaluated=False))
            continue
        found = [f for f in failures[r.name].values() if set(f) != {"value"} or f["value"] not in (False, "False")]
        failed = bool(failures[r.name])
        finding = _finding(r, df, ctx, found) if failed else None
        message = f"Expected {finding.expected}; seen {finding.seen}." if finding else ""
        results.append(RuleResult(r, not failed, found, message, True, finding, observed=_observed(r, df, ctx)))
    return results


def validate(
    table: str, df: pd.DataFrame, season: int, completed: bool, context: SeasonContext | None = None
) -> ValidationReport:
    """Run every rule of `table` on one season's rows; never raises for bad data."""
    ctx = context or SeasonContext(table, season, completed)
    rules = rules_for(table)
    schema_rule = next(r for r in rules if r.check is None)
    schema_failures: dict = {}
    if df.empty:
        schema_failures[("empty",)] = {"rows": 0, "check": "one row per team"}
    else:
        key_cols = [c for c in ("season", "team") if c in df.columns]
        try:
            MODELS[table].to_schema().validate(df, lazy=True)
        except (pandera.errors.SchemaErrors, pandera.errors.SchemaError) as exc:
            for _, case in _failure_cases(exc).iterrows():
                idx = case.get("index")
                record = {
                    "column": case.get("column"),
                    "check": str(case.get("check")),
                    "value": case.get("failure_case"),
                }
                if key_cols and not _missing(idx) and idx in df.index:
                    record = {**df.loc[idx, key_cols].to_dict(), **record}
                record = {k: _plain(v) for k, v in record.items() if not _missing(v)}
                schema_failures[tuple(sorted(record.items()))] = record
    model = MODELS[table].__name__
    observed = (
        f"{len(df)} rows with exactly the {model} model's columns, types and keys"
        if not schema_failures
        else f"{len(schema_failures)} problem(s) against the {model} model"
    )
    schema_result = RuleResult(schema_rule, not schema_failures, list(schema_failures.values()), observed=observed)
    others = evaluate([r for r in rules if r.check is not None], df, ctx, schema_failed=bool(schema_failures))
    return ValidationReport(table, season, [schema_result, *others])


def check_source(table: str, season: int, completed: bool, identity: SourceIdentity) -> ValidationReport:
    """The rules a page must pass before it is parsed into rows (what season it says it holds)."""
    ctx = SeasonContext(table, season, completed, identity=identity)
    results = evaluate(rules_for(table, stage=SOURCE), pd.DataFrame(index=[0]), ctx)
    return ValidationReport(table, season, results, source_ref=identity.requested_url or "")
