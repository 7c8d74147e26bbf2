"""The cross-source rules on live standings, as rule results beside the row rules.

`sources_agree` (ERROR): where both sources answered, a disagreement refuses the season, listing
each team, field and both values. `sources_cross_checked` (WARN): a live season served by one
source says why the other did not confirm it. Embedded and manual seasons have neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics_assets.quality.catalog import RuleResult, rules_for

if TYPE_CHECKING:
    from analytics_assets.ingestion.standings_sources import CrossCheck


def _rule(name: str):
    return next(r for r in rules_for("standings") if r.name == name)


def results(check: CrossCheck | None) -> list[RuleResult]:
    if check is None:  # not a live season: nothing to cross-check
        return []
    rec = check.reconciliation
    if rec is None:
        failures = [{"source": s, "error": m} for s, m in check.failures.items()] or [{"configured": ",".join(check.configured)}]
        return [RuleResult(_rule("sources_cross_checked"), False, failures,
                           f"Season {check.season} was stored from {check.served_by} alone: {check.skipped_reason}.")]
    return [
        RuleResult(_rule("sources_agree"), rec.passed, rec.records(), "" if rec.passed else rec.refusal()),
        RuleResult(_rule("sources_cross_checked"), True),
    ]


def not_applicable(table: str, reported: list, seasons: list[int]) -> list:
    """Dagster requires a result for every declared check: a run with no live season gets a passing
    one that says the rule did not apply, and why (nothing in nfl.quality_results)."""
    import dagster as dg

    from analytics_assets.quality.catalog import CROSS_SOURCE_RULES, ERROR

    done = {r.check_name for r in reported}
    return [
        dg.AssetCheckResult(
            asset_key=table, check_name=rule.name, passed=True,
            severity=dg.AssetCheckSeverity.ERROR if rule.severity == ERROR else dg.AssetCheckSeverity.WARN,
            description="Not applicable: no season of this run came from the live sources (embedded facts and manual imports have one source by nature).",
            metadata={"seasons_checked": dg.MetadataValue.text("none"), "seasons_in_run": dg.MetadataValue.text(", ".join(map(str, seasons)))},
        )
        for rule in rules_for(table)
        if rule.name in CROSS_SOURCE_RULES and rule.name not in done
    ]
