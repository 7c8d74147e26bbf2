"""Every DuckDB table of the nfl schema, in one place: name -> DDL body (columns and keys).

storage.ensure_tables creates the missing ones and adds columns a later version declared. A new
table is one entry here, plus the code that writes it.
"""

# standings.cross_check: for live seasons, the second source that confirmed the rows, or why the
# cross-check was skipped (null for embedded and manual rows).
DDL: dict[str, str] = {
    "standings": """
        season INTEGER NOT NULL, team VARCHAR NOT NULL, franchise VARCHAR NOT NULL,
        conference VARCHAR NOT NULL, division VARCHAR NOT NULL, games INTEGER NOT NULL,
        wins INTEGER NOT NULL, losses INTEGER NOT NULL, ties INTEGER NOT NULL, win_pct DOUBLE NOT NULL,
        points_for INTEGER NOT NULL, points_against INTEGER NOT NULL,
        source VARCHAR NOT NULL, source_ref VARCHAR NOT NULL, raw_sha256 VARCHAR NOT NULL,
        loaded_at TIMESTAMPTZ NOT NULL, cross_check VARCHAR, PRIMARY KEY (season, team)""",
    "dead_cap": """
        season INTEGER NOT NULL, team VARCHAR NOT NULL, franchise VARCHAR NOT NULL,
        dead_money_musd DOUBLE NOT NULL, total_cap_allocations_musd DOUBLE NOT NULL,
        league_salary_cap_musd DOUBLE NOT NULL,
        source VARCHAR NOT NULL, source_ref VARCHAR NOT NULL, raw_sha256 VARCHAR NOT NULL,
        loaded_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (season, team)""",
    # One row per stored (table, season): what is stored and when it last changed.
    "partition_versions": """
        table_name VARCHAR NOT NULL, season INTEGER NOT NULL, content_sha256 VARCHAR NOT NULL,
        row_count INTEGER NOT NULL, run_id VARCHAR, written_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (table_name, season)""",
    # Every quality rule evaluated for every season, pass or fail, newest last (read by the report).
    "quality_results": """
        checked_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, table_name VARCHAR NOT NULL, season INTEGER NOT NULL,
        rule VARCHAR NOT NULL, severity VARCHAR NOT NULL, passed BOOLEAN NOT NULL, failure_count INTEGER NOT NULL,
        detail VARCHAR NOT NULL""",
    # Every refusal by a quality gate (and every acceptance of a flagged rule): enough to answer
    # "how did this data get in, or why was it kept out?" from the record alone.
    "incidents": """
        incident_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, table_name VARCHAR NOT NULL, season INTEGER NOT NULL,
        rule VARCHAR NOT NULL, severity VARCHAR NOT NULL, outcome VARCHAR NOT NULL, source VARCHAR, source_ref VARCHAR,
        raw_path VARCHAR, expected VARCHAR NOT NULL, seen VARCHAR NOT NULL, evidence JSON, message VARCHAR NOT NULL""",
    # A person's acceptance of a flagged non-structural rule for one season's content (break glass).
    "gate_acceptances": """
        accepted_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, table_name VARCHAR NOT NULL, season INTEGER NOT NULL,
        rule VARCHAR NOT NULL, accepted_by VARCHAR NOT NULL, reason VARCHAR NOT NULL, content_sha256 VARCHAR NOT NULL,
        seen VARCHAR NOT NULL""",
    # Every HTTP attempt against a live source (one row per attempt, retries included).
    "scrape_log": """
        fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, season INTEGER, source VARCHAR NOT NULL, url VARCHAR NOT NULL,
        attempt INTEGER NOT NULL, status INTEGER, ok BOOLEAN NOT NULL, error VARCHAR, latency_ms DOUBLE,
        bytes BIGINT, sha256 VARCHAR""",
}


# Dated copies of the season in progress: every refresh keeps the rows it stored under the day it
# ran (`as_of`), one copy per day, so what a daily refresh replaces in standings/dead_cap is kept.
SNAPSHOT_TABLES = {"standings": "standings_snapshots", "dead_cap": "dead_cap_snapshots"}
for _table, _snapshots in SNAPSHOT_TABLES.items():
    DDL[_snapshots] = "as_of DATE NOT NULL, " + DDL[_table].replace("PRIMARY KEY (season, team)", "PRIMARY KEY (as_of, season, team)")

# The marts (written by defs/marts: analytics/risk.py and analytics/summary.py compute them).
DDL["team_season_risk"] = """
    season INTEGER NOT NULL, team VARCHAR NOT NULL, franchise VARCHAR NOT NULL, conference VARCHAR NOT NULL,
    division VARCHAR NOT NULL, games INTEGER NOT NULL, wins INTEGER NOT NULL, losses INTEGER NOT NULL,
    ties INTEGER NOT NULL, win_pct DOUBLE NOT NULL, dead_money_musd DOUBLE NOT NULL,
    total_cap_allocations_musd DOUBLE NOT NULL, league_salary_cap_musd DOUBLE NOT NULL,
    dead_cap_pct DOUBLE NOT NULL, dead_cap_rank INTEGER NOT NULL, dead_cap_percentile DOUBLE NOT NULL,
    dead_cap_zscore DOUBLE NOT NULL, risk_tier VARCHAR NOT NULL, quadrant VARCHAR NOT NULL,
    next_season_win_pct DOUBLE, next_season_win_pct_change DOUBLE, season_median_dead_cap_pct DOUBLE NOT NULL,
    season_quadrant VARCHAR NOT NULL, PRIMARY KEY (season, team)"""
DDL["league_risk_summary"] = """
    season INTEGER NOT NULL PRIMARY KEY, teams INTEGER NOT NULL, dead_cap_pct_min DOUBLE NOT NULL,
    dead_cap_pct_q1 DOUBLE NOT NULL, dead_cap_pct_median DOUBLE NOT NULL, dead_cap_pct_q3 DOUBLE NOT NULL,
    dead_cap_pct_max DOUBLE NOT NULL, dead_cap_pct_mean DOUBLE NOT NULL, dead_cap_pct_std DOUBLE NOT NULL,
    extreme_fence_pct DOUBLE NOT NULL, win_pct_mean DOUBLE NOT NULL, spearman_rho DOUBLE, spearman_p DOUBLE,
    teams_low INTEGER NOT NULL, teams_moderate INTEGER NOT NULL, teams_high INTEGER NOT NULL,
    teams_extreme INTEGER NOT NULL, teams_cap_hell INTEGER NOT NULL,
    run_id VARCHAR, computed_at TIMESTAMPTZ NOT NULL"""
DDL["league_risk_fit"] = """
    model VARCHAR NOT NULL, first_season INTEGER NOT NULL, last_season INTEGER NOT NULL, seasons INTEGER NOT NULL,
    n INTEGER NOT NULL, slope DOUBLE NOT NULL, slope_ci_low DOUBLE NOT NULL, slope_ci_high DOUBLE NOT NULL,
    slope_stderr DOUBLE NOT NULL, slope_p DOUBLE NOT NULL, intercept DOUBLE NOT NULL,
    intercept_ci_low DOUBLE NOT NULL, intercept_ci_high DOUBLE NOT NULL, r_squared DOUBLE NOT NULL,
    spearman_rho DOUBLE, spearman_p DOUBLE, confidence DOUBLE NOT NULL,
    interval_method VARCHAR NOT NULL, clusters INTEGER NOT NULL, slope_cluster_stderr DOUBLE NOT NULL,
    slope_cluster_ci_low DOUBLE NOT NULL, slope_cluster_ci_high DOUBLE NOT NULL,
    fe_model VARCHAR NOT NULL, fe_slope DOUBLE NOT NULL, fe_slope_stderr DOUBLE NOT NULL, fe_slope_ci_low DOUBLE NOT NULL,
    fe_slope_ci_high DOUBLE NOT NULL, fe_slope_p DOUBLE NOT NULL, fe_within_r_squared DOUBLE,
    next_model VARCHAR NOT NULL, next_n INTEGER NOT NULL, next_slope DOUBLE, next_slope_stderr DOUBLE,
    next_slope_ci_low DOUBLE, next_slope_ci_high DOUBLE, next_slope_p DOUBLE, next_win_pct_coef DOUBLE,
    next_win_pct_coef_ci_low DOUBLE, next_win_pct_coef_ci_high DOUBLE, next_unadjusted_slope DOUBLE,
    next_unadjusted_slope_ci_low DOUBLE, next_unadjusted_slope_ci_high DOUBLE, next_unadjusted_slope_p DOUBLE,
    run_id VARCHAR, computed_at TIMESTAMPTZ NOT NULL"""
