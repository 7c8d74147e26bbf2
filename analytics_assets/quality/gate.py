"""Report validation results as Dagster asset checks and stop the step when a blocking rule fails."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import dagster as dg
import duckdb

from analytics_assets.quality.catalog import ERROR, ValidationReport, rules_for
from analytics_assets.storage import SCHEMA


class QualityGateError(dg.Failure):
    pass


def check_specs(table: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=rule.name,
            asset=table,
            description=f"[{rule.severity}] {rule.description}",
            blocking=rule.severity == ERROR,
        )
        for rule in rules_for(table)
    ]


def _seen(rule: str, failure: dict) -> str:
    """What the rule saw in one failing row, in words (a generic `column=value` list otherwise)."""
    team = failure.get("team", "")
    if rule == "allocations_near_cap" and {"total_cap_allocations_musd", "league_salary_cap_musd"} <= failure.keys():
        alloc, cap = failure["total_cap_allocations_musd"], failure["league_salary_cap_musd"]
        return f"{team} allocations {alloc / cap:.0%} of the cap (${alloc:,.1f}M of ${cap:,.1f}M)"
    if rule == "dead_within_allocations" and {"dead_money_musd", "total_cap_allocations_musd"} <= failure.keys():
        return f"{team} dead money ${failure['dead_money_musd']:,.1f}M against allocations of ${failure['total_cap_allocations_musd']:,.1f}M"
    shown = ", ".join(f"{k}={v}" for k, v in failure.items() if k not in ("season", "team"))
    return f"{team} {shown}".strip()


def _span(seasons: list[int]) -> str:
    if len(seasons) > 2 and seasons == list(range(seasons[0], seasons[-1] + 1)):
        return f"{seasons[0]}-{seasons[-1]}"
    return ", ".join(map(str, seasons))


def _failed_description(rule, failing: dict) -> str:
    """"Season 2024: TB allocations 73% of the cap ...; rule: ...": the values seen, then the rule."""
    parts = []
    for season, r in sorted(failing.items()):
        seen = "; ".join(_seen(rule.name, f) for f in r.failures[:3])
        more = f" (+{len(r.failures) - 3} more)" if len(r.failures) > 3 else ""
        parts.append(f"Season {season}: {' '.join(x for x in (r.message, seen + more) if x)}")
    return f"{'. '.join(parts[:3])}{' ...' if len(parts) > 3 else ''}. Rule: {rule.description}"


def check_results(table: str, reports: Iterable[ValidationReport]) -> list[dg.AssetCheckResult]:
    """One result per rule that ran, over every season of the run (a rule that did not run reports nothing)."""
    reports = list(reports)
    results = []
    for rule in rules_for(table):
        per_season = [(rep.season, r) for rep in reports for r in rep.results if r.rule.name == rule.name and r.evaluated]
        if not per_season:
            continue
        failing = {season: r for season, r in per_season if not r.passed}
        checked = sorted(s for s, _ in per_season)
        metadata = {
            "seasons_checked": dg.MetadataValue.text(", ".join(str(s) for s, _ in per_season)),
            "failing_seasons": dg.MetadataValue.text(", ".join(str(s) for s in failing) or "none"),
            "rule": dg.MetadataValue.text(rule.description),
        }
        if failing:
            sample = [{"season": s, **f} for s, r in failing.items() for f in r.failures[:10]]
            metadata["failures"] = dg.MetadataValue.json(sample[:50])
            metadata["failure_count"] = dg.MetadataValue.int(sum(len(r.failures) for r in failing.values()))
            metadata["seen"] = dg.MetadataValue.text(_failed_description(rule, failing))
        results.append(
            dg.AssetCheckResult(
                asset_key=table,
                check_name=rule.name,
                passed=not failing,
                severity=dg.AssetCheckSeverity.ERROR if rule.severity == ERROR else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
                description=(
                    _failed_description(rule, failing)
                    if failing
                    else f"Passed for season{'s' if len(checked) > 1 else ''} {_span(checked)}."
                ),
            )
        )
    return results


def record(conn: duckdb.DuckDBPyConnection, run_id: str | None, table: str, reports: list[ValidationReport]) -> None:
    """Append every evaluated rule's outcome to nfl.quality_results (failures included)."""
    rows = [
        (run_id, table, rep.season, r.rule.name, r.rule.severity, r.passed, len(r.failures), (r.message + " " + json.dumps(r.failures[:5], default=str)).strip() if not r.passed else "")
        for rep in reports
        for r in rep.results
        if r.evaluated
    ]
    if rows:
        conn.executemany(f"INSERT INTO {SCHEMA}.quality_results VALUES (now(), ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def enforce(
    context: dg.AssetExecutionContext, table: str, reports: list[ValidationReport], conn: duckdb.DuckDBPyConnection
) -> Iterator[dg.AssetCheckResult]:
    """Record and yield the check results; raise if any blocking rule failed (nothing written yet)."""
    record(conn, context.run.run_id, table, reports)
    for rep in reports:
        for r in rep.failed():
            if not r.blocking:
                context.log.warning(f"[WARN] {table}.{r.rule.name} season {rep.season}: {r.rule.description} Failing: {r.failures[:5]}")
    blocking = [rep for rep in reports if not rep.passed]
    if blocking:
        yield from check_results(table, reports)
        detail = "\n".join(rep.summary() for rep in blocking)
        seasons = ", ".join(str(rep.season) for rep in blocking)
        raise QualityGateError(
            description=(
                f"Quality gate failed for {table}, season(s) {seasons}; nothing was written and the stored "
                f"seasons are unchanged. Fix the source (or the parser) and re-materialize.\n{detail}"
            ),
            metadata={"failed_rules": dg.MetadataValue.text(detail)},
        )
