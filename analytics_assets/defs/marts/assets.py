"""Mart assets: team-season risk (per season) and the league risk summary (all seasons).

The computations (`risk`, `summary`: pandas, numpy, scipy) are imported when a step runs, so that
loading the code location stays fast.
"""

from collections.abc import Iterator

import dagster as dg

from analytics_assets import partitions, storage
from analytics_assets.metadata import content_version, season_metadata, table_metadata
from analytics_assets.ownership import OWNERS, layer_tags
from analytics_assets.partitions import season_partitions
from analytics_assets.quality import gate
from analytics_assets.quality.catalog import RuleResult, ValidationReport, rules_for, rules_version
from analytics_assets.storage import AnalyticsDuckDB
from analytics_assets.tables import column_schema

_SEASONS = "(SELECT unnest(?::INTEGER[]))"

JOINED_SQL = f"""
SELECT s.season, s.team, s.franchise, s.conference, s.division, s.games, s.wins, s.losses, s.ties, s.win_pct,
       d.dead_money_musd, d.total_cap_allocations_musd, d.league_salary_cap_musd,
       n.win_pct AS next_season_win_pct
FROM nfl.standings s
JOIN nfl.dead_cap d USING (season, team)
LEFT JOIN nfl.standings n ON n.franchise = s.franchise AND n.season = s.season + 1
WHERE s.season IN {_SEASONS}
"""

COVERAGE_SQL = f"""
SELECT coalesce(s.season, d.season) AS season, coalesce(s.team, d.team) AS team,
       s.season AS in_standings, d.season AS in_dead_cap
FROM (SELECT season, team FROM nfl.standings WHERE season IN {_SEASONS}) s
FULL OUTER JOIN (SELECT season, team FROM nfl.dead_cap WHERE season IN {_SEASONS}) d USING (season, team)
"""


def _coverage_report(conn, season: int) -> ValidationReport:
    from analytics_assets.analytics import risk

    outer = conn.execute(COVERAGE_SQL, [[season], [season]]).df()
    failures = risk.coverage_failures(outer)
    (rule,) = rules_for("team_season_risk")
    if outer.empty:
        failures.append({"season": season, "missing_from": "standings and dead_cap: materialize them first"})
    both = int((outer["in_standings"].notna() & outer["in_dead_cap"].notna()).sum())
    observed = (
        f"{both} teams in both standings and dead_cap, {len(outer) - both} in only one (needs every team in both)"
    )
    return ValidationReport("team_season_risk", season, [RuleResult(rule, not failures, failures, observed=observed)])


@dg.asset(
    group_name="marts",
    partitions_def=season_partitions,
    backfill_policy=partitions.SEASON_BACKFILL_POLICY,
    pool="duckdb",
    op_tags=storage.DUCKDB_WRITER_TAGS,
    kinds={"duckdb", "pandas"},
    deps=["standings", "dead_cap"],
    check_specs=gate.check_specs("team_season_risk"),
    owners=OWNERS,
    tags=layer_tags("marts"),
    metadata={"dagster/column_schema": column_schema("team_season_risk")},
    code_version=rules_version("team_season_risk"),
    description=(
        "Standings joined to dead cap per team-season: dead_cap_pct (dead money / league cap, %), rank, "
        "percentile and z-score within the season, risk tier, quadrant and next-season win_pct change "
        "(nfl.team_season_risk)."
    ),
)
def team_season_risk(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB) -> Iterator:
    from analytics_assets.analytics import risk

    season = partitions.only_season(context.partition_keys, "team_season_risk")
    seasons = [season]
    with duckdb.get_connection() as conn:
        reports = [_coverage_report(conn, season)]
        yield from gate.enforce(context, "team_season_risk", reports, conn)
        # The season before each one written gains its next-season change, so refresh it too.
        stored = {r[0] for r in conn.execute("SELECT DISTINCT season FROM nfl.team_season_risk").fetchall()}
        targets = sorted(set(seasons) | {s - 1 for s in seasons if s - 1 in stored})
        frame = risk.team_season_risk(conn.execute(JOINED_SQL, [targets]).df())
        frames = {s: frame[frame["season"] == s] for s in targets}
        writes = storage.replace_seasons(conn, "team_season_risk", frames, run_id=context.run.run_id)
        metadata = table_metadata(conn, "team_season_risk", seasons, writes)
        metadata.update(season_metadata(conn, "team_season_risk", seasons, writes)[season])
        version = content_version(conn, "team_season_risk", season)
    yield dg.MaterializeResult(
        metadata=metadata, check_results=gate.check_results("team_season_risk", reports), data_version=version
    )


# The all-season assets refresh whenever the content of any season they read changes. Plain
# eager() also waits until no upstream partition is missing, and one always is (the season in
# progress before its data exists, or seasons never backfilled), so that clause is dropped. And
# eager() reacts to any new materialization, even one that stored identical rows: here a dependency
# counts as updated only when its data version (a hash of its content) changed.
_DEPS_CONTENT_CHANGED = dg.AutomationCondition.any_deps_match(
    (dg.AutomationCondition.data_version_changed() & ~dg.AutomationCondition.executed_with_root_target())
    | dg.AutomationCondition.will_be_requested()
).with_label("any_deps_content_changed")
# eager() also waits while a dependency is "in progress", which counts a backfill until the
# backfill daemon marks it complete, up to 30 s after its last run ended (the daemon's fixed loop).
# Waiting for the dependencies' runs is enough: each run writes whole seasons in one transaction,
# so a rebuild never reads a season half-written (a backfill with the season in progress has two
# runs, and the outputs may be rebuilt after each).
_DEPS_RUN_IN_PROGRESS = dg.AutomationCondition.any_deps_match(dg.AutomationCondition.run_in_progress()).with_label(
    "any_deps_run_in_progress"
)
ALL_SEASONS_AUTOMATION = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .replace("any_deps_updated", _DEPS_CONTENT_CHANGED)
    .replace("any_deps_in_progress", _DEPS_RUN_IN_PROGRESS)
    .with_label("eager on content (runs when any stored season's content changes)")
)


def report_automation(operations_assets: tuple[str, ...]) -> dg.AutomationCondition:
    """The report's condition: the all-season one, and also any new record of what happened (a scrape
    attempt, an incident, a failed refresh), so a failure reaches the report within one tick."""
    happened = (
        dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated())
        .allow(dg.AssetSelection.assets(*operations_assets))
        .with_label("any_operations_record_added")
    )
    # Nothing to report on before the league summary exists (no season stored yet).
    summarised = ~dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.missing() & ~dg.AutomationCondition.will_be_requested()
    ).allow(dg.AssetSelection.assets("league_risk_summary")).with_label("league_risk_summary exists or is requested")
    return (
        dg.AutomationCondition.eager()
        .without(~dg.AutomationCondition.any_deps_missing())
        .replace("any_deps_updated", _DEPS_CONTENT_CHANGED | happened)
        .replace("any_deps_in_progress", _DEPS_RUN_IN_PROGRESS)
        & summarised
    ).with_label("eager on content or on a new scrape attempt, incident or failed refresh")


@dg.asset(
    group_name="marts",
    pool="duckdb",
    op_tags=storage.DUCKDB_WRITER_TAGS,
    kinds={"duckdb", "pandas", "scipy"},
    owners=OWNERS,
    tags=layer_tags("marts"),
    metadata={"dagster/column_schema": column_schema("league_risk_summary")},
    deps=["team_season_risk"],
    automation_condition=ALL_SEASONS_AUTOMATION,
    description=(
        "League-wide risk over every stored season: per season the quartiles, mean and spread of dead_cap_pct, "
        "Spearman rho of dead_cap_pct against win_pct with its p-value and teams per risk tier "
        "(nfl.league_risk_summary); plus one row of fits (nfl.league_risk_fit): the pooled OLS fit of win_pct on "
        "dead_cap_pct, the season fixed-effects fit, and the next-season change given this season's record, "
        "with 95% intervals (team-clustered for the season-fair fits)."
    ),
)
def league_risk_summary(context: dg.AssetExecutionContext, duckdb: AnalyticsDuckDB) -> dg.MaterializeResult:
    import pandas as pd

    from analytics_assets.analytics import summary

    with duckdb.get_connection() as conn:
        rows = conn.execute("SELECT * FROM nfl.team_season_risk ORDER BY season, team").df()
        if rows.empty:
            raise dg.Failure(
                description=(
                    "nfl.team_season_risk has no rows, so there is nothing to summarise; nfl.league_risk_summary "
                    "and nfl.league_risk_fit were left unchanged. Materialize standings, dead_cap and "
                    "team_season_risk for at least one season first."
                )
            )
        per_season = summary.season_summary(rows).assign(run_id=context.run.run_id)
        # Its data version is its content, so the charts and report follow only real changes.
        version = storage.content_sha256(per_season.drop(columns=["run_id"]), ["season"])
        fit = pd.DataFrame([summary.league_fit(rows)]).assign(run_id=context.run.run_id)
        with storage.transaction(conn):
            for table, frame in (("league_risk_summary", per_season), ("league_risk_fit", fit)):
                conn.execute(f"DELETE FROM {storage.SCHEMA}.{table}")
                storage.insert_frame(conn, table, frame, ", now() AS computed_at")
        seasons = per_season["season"].tolist()
        metadata = table_metadata(conn, "league_risk_summary", seasons)
        metadata["dagster/row_count"] = dg.MetadataValue.int(len(per_season))
        metadata["preview"] = dg.MetadataValue.md(per_season.drop(columns=["run_id"]).head(20).to_markdown(index=False))
    f = fit.iloc[0]
    metadata.update(
        {
            "pooled_fit_table": dg.MetadataValue.text(f"{storage.SCHEMA}.league_risk_fit"),
            "pooled_n": dg.MetadataValue.int(int(f["n"])),
            "pooled_slope_per_pct_point": dg.MetadataValue.float(float(f["slope"])),
            "pooled_slope_ci95": dg.MetadataValue.text(f"[{f['slope_ci_low']:.5f}, {f['slope_ci_high']:.5f}]"),
            "pooled_slope_p": dg.MetadataValue.float(float(f["slope_p"])),
            "pooled_spearman_rho": dg.MetadataValue.float(float(f["spearman_rho"])),
            "season_fe_slope_per_pct_point": dg.MetadataValue.float(float(f["fe_slope"])),
            "season_fe_slope_ci95": dg.MetadataValue.text(
                f"[{f['fe_slope_ci_low']:.5f}, {f['fe_slope_ci_high']:.5f}] ({f['interval_method']})"
            ),
            "next_season_slope_given_record": dg.MetadataValue.float(float(f["next_slope"])),
        }
    )
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(version[:24]))
