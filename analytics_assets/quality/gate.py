"""The gate in a run: report rule results as Dagster asset checks, keep the record (quality results,
incidents, acceptances), and stop the step before anything is written when a blocking rule fails.

Break glass: a person may accept a flagged non-structural rule for the seasons of one run by
launching it with `GateOverride` config (rule names, a reason, who accepts); each gated asset's
config class types the rule names by its table's acceptable rules (`override_config`), and every
refusal ends with the config that accepts it (`next_step`). The acceptance is stored with the
season's content hash, so a re-run of the same content stays accepted; a changed season is judged
afresh. Structural rules can never be accepted.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import dagster as dg
import duckdb
from pydantic import Field

from analytics_assets.partitions import season_partitions
from analytics_assets.quality import audited_identity
from analytics_assets.quality.catalog import ERROR, Acceptance, RuleResult, ValidationReport, rows_finding, rules_for
from analytics_assets.storage import SCHEMA, insert_rows


class QualityGateError(dg.Failure):
    pass


class GateOverride(dg.Config):
    """Launchpad config of the core assets: accept flagged rules for this run's seasons (break glass)."""

    accept_rules: list[str] = Field(
        default_factory=list,
        description="Non-structural rules to accept for this run's seasons when they flag them (e.g. "
        "dead_cap_drift). Leave empty for normal runs.",
    )
    reason: str = Field(default="", description="Why the flagged data is right (stored and shown in the report).")
    accepted_by: str = Field(default="", description="Who accepts (name or e-mail; stored and shown in the report).")


# What a refusal's ready-to-paste config leaves for the person to fill in; left as is, it is refused.
REASON_PLACEHOLDER, ACCEPTED_BY_PLACEHOLDER = "<why the data is right>", "<you>"


def acceptable_rules(table: str) -> list[str]:
    """The rules of `table` a person may accept (the catalog's non-structural rules), in catalog order."""
    return [r.name for r in rules_for(table) if r.acceptable]


def _class_name(table: str) -> str:
    return "".join(part.title() for part in table.split("_"))


@cache  # one config class (and one enum of rule names) per table: Dagster keys config types by name
def override_config(table: str) -> type[GateOverride]:
    """`GateOverride` for one table, its `accept_rules` typed by the table's acceptable rules: Dagster's
    config schema (the launchpad's completion, its type documentation and its validation) lists exactly
    them, and a rule outside them is refused when the run is launched."""
    names = acceptable_rules(table)
    # Member name = value = the rule's name: the launchpad writes the names, the step compares them as text.
    rule_type = cast(Any, enum.StrEnum)(f"{_class_name(table)}AcceptableRule", {n: n for n in names})
    accept: Any = Field(
        default=[],  # a default (not a factory): the launchpad's default config then shows the field
        description=f"{table} rules to accept for this run's seasons when they flag them: {', '.join(names)} (the only "
        "rules of this table a person may accept; structural rules never can). Set reason and accepted_by with them. "
        "Leave empty for normal runs.",
    )
    namespace = {
        "__module__": __name__,
        "__qualname__": f"{_class_name(table)}GateOverride",
        "__doc__": f"Launchpad config of {table}: accept flagged rules for this run's seasons (break glass).",
        "__annotations__": {"accept_rules": list.__class_getitem__(rule_type)},
        "accept_rules": accept,
    }
    return cast(type[GateOverride], type(f"{_class_name(table)}GateOverride", (GateOverride,), namespace))


# The config classes of the two gated assets (defs/core/assets.py), built from the catalog's acceptable rules.
if TYPE_CHECKING:
    StandingsGateOverride = GateOverride
    DeadCapGateOverride = GateOverride
else:
    StandingsGateOverride = override_config("standings")
    DeadCapGateOverride = override_config("dead_cap")


def check_override(table: str, override: GateOverride | None) -> list[str]:
    """The rules the run accepts for `table`; raises before any work when the override is invalid.

    The launchpad already refuses a rule outside the table's acceptable ones (the config's type); this
    also covers an override built in Python, and a reason or accepted_by left out or left as placeholders."""
    if override is None or not override.accept_rules:
        return []
    accepted = [str(n) for n in override.accept_rules]
    valid = f"Rules of {table} that can be accepted: {', '.join(acceptable_rules(table))}."
    names = {r.name: r for r in rules_for(table)}
    unknown = [n for n in accepted if n not in names]
    if unknown:
        raise dg.Failure(description=f"{table}: cannot accept unknown rule(s) {', '.join(unknown)}. {valid}")
    structural = [n for n in accepted if names[n].structural]
    if structural:
        raise dg.Failure(
            description=f"{table}: rule(s) {', '.join(structural)} are structural and can never be accepted: fix the "
            f"data. {valid}"
        )
    if not override.reason.strip() or not override.accepted_by.strip():
        raise dg.Failure(
            description=f"{table}: accepting {', '.join(accepted)} needs a written reason and accepted_by "
            f"(both are stored and shown in the report). {valid}"
        )
    if override.reason.strip() == REASON_PLACEHOLDER or override.accepted_by.strip() == ACCEPTED_BY_PLACEHOLDER:
        raise dg.Failure(
            description=f"{table}: accepting {', '.join(accepted)} needs your own words: replace "
            f"{REASON_PLACEHOLDER!r} with why the "
            f"data is right and {ACCEPTED_BY_PLACEHOLDER!r} with your name or e-mail (both are stored and shown in "
            f"the report)."
        )
    # In the deployment: accepted_by must be the signed-in operator who launched it (the proxy's audit log).
    audited_identity.verify(table, accepted, override.accepted_by, override.reason)
    return accepted


def launchpad_config(op_name: str, rules: list[str]) -> str:
    """The launchpad config that accepts `rules` for the step `op_name`, ready to paste."""
    return (
        f"ops:\n  {op_name}:\n    config:\n      accept_rules: [{', '.join(rules)}]\n"
        f'      reason: "{REASON_PLACEHOLDER}"\n      accepted_by: "{ACCEPTED_BY_PLACEHOLDER}"'
    )


def _what_to_fix(rep: ValidationReport) -> str:
    if rep.source == "manual":
        return f"fix the landing file {rep.raw_path or rep.source_ref} (or replace it) and the sensor loads it again"
    if rep.source in ("live", "archive") or rep.source_ref.startswith(
        ("http://", "https://")
    ):  # a page (refused before parsing: no source yet)
        return (
            f"check the source page {rep.source_ref}{f' (kept at {rep.raw_path})' if rep.raw_path else ''}; once the "
            f"site "
            "is right re-materialize with force_refetch: true, or fix its parser and re-materialize"
        )
    return "fix the source (or the parser) and re-materialize"


def next_step(table: str, op_name: str, blocking: list[ValidationReport]) -> str:
    """How a refusal ends: a structural refusal says it cannot be accepted and what to fix; one on
    acceptable rules only ends with the launchpad config that accepts them."""
    lines = []
    for rep in blocking:
        structural = [r.rule.name for r in rep.results if r.blocking and not r.rule.acceptable]
        if structural:
            lines.append(
                f"Season {rep.season}: {', '.join(f'{table}.{n}' for n in structural)} "
                f"{'is' if len(structural) == 1 else 'are'} structural and cannot be accepted: {_what_to_fix(rep)}."
            )
    acceptable = sorted({r.rule.name for rep in blocking for r in rep.results if r.blocking and r.rule.acceptable})
    if lines:
        if acceptable:  # often a consequence of the structural failure (amounts in dollars also drift): judged afresh
            lines.append(f"The other rules that refused ({', '.join(acceptable)}) are judged again once that is fixed.")
        return "\n".join(lines)
    if not acceptable:
        return ""
    return (
        f"If the data is right after all, a person can accept {', '.join(acceptable)} with a reason (README 'Break "
        f"glass'): "
        "paste this into the launchpad's config (shift-click Materialize, or Open launchpad), replace the two "
        "placeholders "
        f"with why the data is right and who you are, and launch:\n{launchpad_config(op_name, acceptable)}"
    )


def check_specs(table: str) -> list[dg.AssetCheckSpec]:
    """One check per rule, per season. Not Dagster-blocking: an ERROR rule stops its step before
    anything is written (the step fails), and a blocking check would have to report in every run,
    while a rule that did not judge the season must report nothing (shown skipped, never passed)."""
    return [
        dg.AssetCheckSpec(
            name=rule.name,
            asset=table,
            description=f"[{rule.severity}{'' if rule.structural else ', can be accepted'}] {rule.guards}",
            partitions_def=season_partitions,
        )
        for rule in rules_for(table)
    ]


def _seen(season: int, r: RuleResult) -> str:
    if r.finding is not None:
        return f"{season}: {r.finding.seen}"
    return f"{season}: " + "; ".join(", ".join(f"{k}={v}" for k, v in f.items()) for f in r.failures[:3])


def check_results(table: str, reports: Iterable[ValidationReport]) -> list[dg.AssetCheckResult]:
    """One result per rule that judged the run's season; a rule that did not (missing context, the
    schema failed first, the season could not be read) reports nothing."""
    results = []
    for rep in reports:
        for r in rep.results:
            if not r.evaluated:
                continue
            metadata: dict[str, dg.MetadataValue] = {
                "season": dg.MetadataValue.text(str(rep.season)),
                "rule": dg.MetadataValue.text(r.rule.guards),
            }
            if r.observed:
                metadata["seen"] = dg.MetadataValue.text(r.observed)
            if not r.passed:
                sample = [{"season": rep.season, **f} for f in r.failures[:50]]
                metadata["seen"] = dg.MetadataValue.text(_seen(rep.season, r))
                if sample:
                    metadata["failures"] = dg.MetadataValue.json(sample)
                metadata["failure_count"] = dg.MetadataValue.int(max(len(r.failures), 1))
            if r.accepted:
                metadata["accepted"] = dg.MetadataValue.text(
                    f"accepted by {r.accepted.accepted_by}: {r.accepted.reason}"
                )
            if r.passed:
                description = f"Passed for {rep.season}: {r.observed}." if r.observed else f"Passed for {rep.season}."
            else:
                description = (_seen(rep.season, r)[:900] + f" (rule: {r.rule.guards})").strip()
            results.append(
                dg.AssetCheckResult(
                    asset_key=table,
                    check_name=r.rule.name,
                    passed=r.passed,
                    # An accepted rule still failed, but no longer blocks: it shows as a warning.
                    severity=dg.AssetCheckSeverity.ERROR
                    if r.rule.severity == ERROR and r.accepted is None
                    else dg.AssetCheckSeverity.WARN,
                    metadata=metadata,
                    description=description,
                )
            )
    return results


def only_selected(events: Iterable, selected: set[str]) -> Iterator:
    """A step's events with the check results the run did not select left out (a subset run)."""
    for event in events:
        if isinstance(event, dg.AssetCheckResult):
            if event.check_name in selected:
                yield event
        elif isinstance(event, dg.MaterializeResult):
            yield dg.MaterializeResult(
                metadata=event.metadata,
                data_version=event.data_version,
                tags=event.tags,
                check_results=[r for r in event.check_results if r.check_name in selected],
            )
        else:
            yield event


def apply_acceptances(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    reports: list[ValidationReport],
    accept: list[str],
    by: str,
    reason: str,
    run_id: str | None,
) -> None:
    """Mark failing results as accepted: by this run's override, or by an earlier acceptance of the same content.
    In the deployment the stored reason ends with a reference to the audit entry of the launch."""
    if accept:
        reason = audited_identity.audited_reason(reason, audited_identity.verify(table, accept, by, reason))
    for rep in reports:
        for r in rep.failed():
            if not r.rule.acceptable:
                continue
            if r.rule.name in accept:
                r.accepted = Acceptance(by, reason, run_id)
                continue
            if rep.content_sha256:
                earlier = conn.execute(
                    f"SELECT accepted_by, reason, run_id FROM {SCHEMA}.gate_acceptances WHERE table_name = ? AND "
                    f"season = ? "
                    "AND rule = ? AND content_sha256 = ? ORDER BY accepted_at DESC LIMIT 1",
                    [table, rep.season, r.rule.name, rep.content_sha256],
                ).fetchone()
                if earlier:
                    r.accepted = Acceptance(earlier[0], earlier[1], earlier[2], earlier=True)


def _expected_seen(r: RuleResult) -> tuple[str, str]:
    finding = r.finding or rows_finding(r.rule, r.failures)
    return finding.expected, finding.seen


def _detail(r: RuleResult) -> str:
    """nfl.quality_results' detail: what was seen (and who accepted it), with the first failing rows."""
    if r.passed:
        return ""
    accepted = f"ACCEPTED by {r.accepted.accepted_by}: {r.accepted.reason}. " if r.accepted else ""
    rows = f" {json.dumps(r.failures[:5], default=str)}" if r.failures else ""
    return f"{accepted}{r.message}{rows}".strip()


INCIDENTS_ASSET = "incidents"  # nfl.incidents as an asset: the report reads it (defs/monitoring)


def record(conn: duckdb.DuckDBPyConnection, run_id: str | None, table: str, reports: list[ValidationReport]) -> int:
    """Append every evaluated rule's outcome to nfl.quality_results, and every refusal or acceptance
    to nfl.incidents (new acceptances also to nfl.gate_acceptances)."""
    rows = [
        (run_id, table, rep.season, r.rule.name, r.rule.severity, r.passed, len(r.failures), _detail(r))
        for rep in reports
        for r in rep.results
        if r.evaluated
    ]
    insert_rows(conn, "quality_results", rows)
    incidents, acceptances = [], []
    for rep in reports:
        for r in rep.failed():
            if r.rule.severity != ERROR:
                continue
            expected, seen = _expected_seen(r)
            outcome = "refused" if r.accepted is None else ("accepted earlier" if r.accepted.earlier else "accepted")
            message = f"{table}.{r.rule.name} season {rep.season}: expected {expected}; seen {seen}."
            if r.accepted:
                message += f" Accepted by {r.accepted.accepted_by}: {r.accepted.reason}"
            incidents.append(
                (
                    run_id,
                    table,
                    rep.season,
                    r.rule.name,
                    r.rule.severity,
                    outcome,
                    rep.source or None,
                    rep.source_ref or None,
                    rep.raw_path,
                    expected,
                    seen,
                    json.dumps(r.failures[:50], default=str),
                    message,
                )
            )
            if r.accepted and not r.accepted.earlier:
                acceptances.append(
                    (
                        run_id,
                        table,
                        rep.season,
                        r.rule.name,
                        r.accepted.accepted_by,
                        r.accepted.reason,
                        rep.content_sha256 or "",
                        seen,
                    )
                )
    insert_rows(conn, "incidents", incidents)
    insert_rows(conn, "gate_acceptances", acceptances)
    return len(incidents)


def enforce(
    context: dg.AssetExecutionContext, table: str, reports: list[ValidationReport], conn: duckdb.DuckDBPyConnection
) -> Iterator[dg.AssetCheckResult]:
    """Record and yield the check results; raise if any blocking rule failed (nothing written yet)."""
    incidents = record(conn, context.run.run_id, table, reports)
    if incidents:
        context.log_event(
            dg.AssetMaterialization(
                asset_key=INCIDENTS_ASSET,
                metadata={
                    "incidents_appended": dg.MetadataValue.int(incidents),
                    "table": dg.MetadataValue.text(table),
                    "seasons": dg.MetadataValue.text(", ".join(str(rep.season) for rep in reports)),
                },
            )
        )
    for rep in reports:
        for r in rep.failed():
            if r.accepted:
                context.log.warning(
                    f"[ACCEPTED] {table}.{r.rule.name} season {rep.season}: {r.message} Accepted by "
                    f"{r.accepted.accepted_by}: {r.accepted.reason}"
                )
            elif not r.blocking:
                context.log.warning(
                    f"[WARN] {table}.{r.rule.name} season {rep.season}: {r.message or r.rule.guards} Failing: "
                    f"{r.failures[:5]}"
                )
    blocking = [rep for rep in reports if not rep.passed]
    if blocking:
        yield from check_results(table, reports)
        detail = "\n".join(rep.summary() for rep in blocking)
        seasons = ", ".join(str(rep.season) for rep in blocking)
        names = sorted({r.rule.name for rep in blocking for r in rep.results if r.blocking})
        raise QualityGateError(
            description=(
                f"{table} season {seasons} not stored: refused by rule {', '.join(names)}; nothing stored changed. "
                f"The refusal is recorded in "
                f"nfl.incidents.\n{detail}\n{next_step(table, context.op_def.name, blocking)}"
            ),
            metadata={"failed_rules": dg.MetadataValue.text(detail)},
        )
