"""Every DuckDB table of the nfl schema, in one place: name -> DDL body (columns and keys).

storage.ensure_tables creates the missing ones and adds columns a later version declared. A new
table is one entry here, plus the code that writes it.
"""

import re

import dagster as dg

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
    DDL[_snapshots] = "as_of DATE NOT NULL, " + DDL[_table].replace(
        "PRIMARY KEY (season, team)", "PRIMARY KEY (as_of, season, team)"
    )

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
    fe_model VARCHAR NOT NULL, fe_slope DOUBLE NOT NULL, fe_slope_stderr DOUBLE NOT NULL,
    fe_slope_ci_low DOUBLE NOT NULL,
    fe_slope_ci_high DOUBLE NOT NULL, fe_slope_p DOUBLE NOT NULL, fe_within_r_squared DOUBLE,
    next_model VARCHAR NOT NULL, next_n INTEGER NOT NULL, next_slope DOUBLE, next_slope_stderr DOUBLE,
    next_slope_ci_low DOUBLE, next_slope_ci_high DOUBLE, next_slope_p DOUBLE, next_win_pct_coef DOUBLE,
    next_win_pct_coef_ci_low DOUBLE, next_win_pct_coef_ci_high DOUBLE, next_unadjusted_slope DOUBLE,
    next_unadjusted_slope_ci_low DOUBLE, next_unadjusted_slope_ci_high DOUBLE, next_unadjusted_slope_p DOUBLE,
    run_id VARCHAR, computed_at TIMESTAMPTZ NOT NULL"""


# What each column means, for the declared table schema of each asset (shown in the Dagster UI).
COLUMN_DESCRIPTIONS: dict[str, str] = {
    "season": "NFL season (the year it starts).",
    "team": "Team abbreviation as of that season (e.g. OAK before 2020, LV from 2020).",
    "franchise": "Stable franchise code across relocations and renames (teams.py).",
    "conference": "AFC or NFC.",
    "division": "Division within the conference (e.g. AFC East).",
    "games": "Regular-season games played.",
    "wins": "Regular-season wins.",
    "losses": "Regular-season losses.",
    "ties": "Regular-season ties.",
    "win_pct": "(wins + ties / 2) / games.",
    "points_for": "Points scored in the regular season.",
    "points_against": "Points allowed in the regular season.",
    "source": "Where the rows came from: embedded, live (a site) or manual (an imported file).",
    "source_ref": "The source's own reference: URL, file path or embedded file name.",
    "raw_sha256": "sha256 of the raw page or file the rows were parsed from.",
    "loaded_at": "When the rows were stored.",
    "cross_check": "Live standings: the second source that confirmed the rows, or why the cross-check was skipped.",
    "dead_money_musd": "Dead money charged to the team's cap, millions of USD.",
    "total_cap_allocations_musd": "Total cap allocations of the team, millions of USD.",
    "league_salary_cap_musd": "The league salary cap of the season, millions of USD.",
    "dead_cap_pct": "Dead money as a percentage of the league salary cap.",
    "dead_cap_rank": "Rank of dead_cap_pct within the season (1 = most dead money).",
    "dead_cap_percentile": "Share of the season's teams at or below this dead_cap_pct, in %.",
    "dead_cap_zscore": "z-score of dead_cap_pct within the season.",
    "risk_tier": "Risk tier from the season's quartiles of dead_cap_pct: low <= Q1 < moderate <= Q3 < high <= Q3 + "
    "1.5 IQR < extreme.",
    "quadrant": "The absolute view: dead cap 15%+ of the cap or under, and the record below, exactly or above .500 "
    "(six classes).",
    "next_season_win_pct": "The franchise's win % the following season (null for the newest season).",
    "next_season_win_pct_change": "Next season's win % minus this season's.",
    "season_median_dead_cap_pct": "Median dead_cap_pct of the season.",
    "season_quadrant": "The season-relative view: dead cap at or above the season's median or below it, and the "
    "record below, exactly or above .500 (six classes).",
    "teams": "Teams in the season.",
    "dead_cap_pct_min": "Smallest dead_cap_pct of the season.",
    "dead_cap_pct_q1": "First quartile of dead_cap_pct.",
    "dead_cap_pct_median": "Median dead_cap_pct.",
    "dead_cap_pct_q3": "Third quartile of dead_cap_pct.",
    "dead_cap_pct_max": "Largest dead_cap_pct of the season.",
    "dead_cap_pct_mean": "Mean dead_cap_pct.",
    "dead_cap_pct_std": "Standard deviation of dead_cap_pct.",
    "extreme_fence_pct": "Upper outlier fence of dead_cap_pct (Q3 + 1.5 IQR).",
    "win_pct_mean": "Mean win % of the season.",
    "spearman_rho": "Spearman correlation of dead_cap_pct with win %.",
    "spearman_p": "p-value of the Spearman correlation.",
    "teams_low": "Teams in the low risk tier.",
    "teams_moderate": "Teams in the moderate risk tier.",
    "teams_high": "Teams in the high risk tier.",
    "teams_extreme": "Teams in the extreme risk tier.",
    "teams_cap_hell": "Teams in the cap-hell quadrant (high dead cap, losing record).",
    "run_id": "The Dagster run that wrote the row.",
    "computed_at": "When the row was computed.",
}


def column_schema(table: str) -> dg.TableSchema:
    """The declared schema of a table: its columns, DuckDB types and meanings."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, kind, description=COLUMN_DESCRIPTIONS.get(name))
            for name, kind in declared_columns(DDL[table])
        ]
    )


def declared_columns(ddl: str) -> list[tuple[str, str]]:
    """(name, type) of each column in a DDL body, table constraints left out."""
    columns = []
    for part in re.split(r",(?![^()]*\))", ddl):  # commas outside parentheses
        words = part.split()
        if words and words[0].upper() not in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            columns.append((words[0], words[1]))
    return columns
