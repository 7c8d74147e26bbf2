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


def check_results(table: str, reports: Iterable[ValidationReport]) -> list[dg.AssetCheckResult]:
    """One result per rule, over every season of the run."""
    reports = list(reports)
    results = []
    for rule in rules_for(table):
        per_season = [(rep.season, r) for rep in reports for r in rep.results if r.rule.name == rule.name and r.evaluated]
        if not per_season:
            continue
        failing = {season: r for season, r in per_season if not r.passed}
        metadata = {
            "seasons_checked": dg.MetadataValue.text(", ".join(str(s) for s, _ in per_season)),
            "failing_seasons": dg.MetadataValue.text(", ".join(str(s) for s in failing) or "none"),
            "rule": dg.MetadataValue.text(rule.description),
        }
        if failing:
            sample = [{"season": s, **f} for s, r in failing.items() for f in r.failures[:10]]
            metadata["failures"] = dg.MetadataValue.json(sample[:50])
            metadata["failure_count"] = dg.MetadataValue.int(sum(len(r.failures) for r in failing.values()))
        results.append(
            dg.AssetCheckResult(
                asset_key=table,
                check_name=rule.name,
                passed=not failing,
                severity=dg.AssetCheckSeverity.ERROR if rule.severity == ERROR else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
                description=None if not failing else f"Failed for season(s) {', '.join(map(str, failing))}: {rule.description}",
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
