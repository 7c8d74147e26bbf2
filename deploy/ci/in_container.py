"""Run by deploy_test.py inside the project's user_code container (`docker exec -i ... python -`), with
that container's Dagster instance (PostgreSQL), volumes and environment. Prints one JSON line.

  rows SEASON...                  per table and season: rows, distinct teams, writing run(s)
  season-rows SEASON              rows of nfl.standings for one season
"""

import json
import os
import sys

TABLES = ("standings", "dead_cap", "team_season_risk")


def duckdb_read(fn):
    import duckdb

    try:
        con = duckdb.connect(os.environ["ANALYTICS_DUCKDB_PATH"], read_only=True)
    except duckdb.IOException as error:  # another run holds the writer lock: the caller retries
        return {"ok": False, "error": str(error)}
    try:
        return {"ok": True, **fn(con)}
    finally:
        con.close()


def rows(seasons):
    def read(con):
        out = {}
        for table in TABLES:
            out[table] = {}
            for season in seasons:
                count, teams = con.execute(f"SELECT count(*), count(DISTINCT team) FROM nfl.{table} WHERE season = ?", [season]).fetchone()
                writers = [r[0] for r in con.execute("SELECT run_id FROM nfl.partition_versions WHERE table_name = ? AND season = ?", [table, season]).fetchall()]
                out[table][str(season)] = [count, teams, writers]
        return {"tables": out}

    return duckdb_read(read)


def season_rows(season):
    return duckdb_read(lambda con: {"standings": con.execute("SELECT count(*) FROM nfl.standings WHERE season = ?", [season]).fetchone()[0]})


def main(command, *args):
    if command == "rows":
        return rows([int(a) for a in args])
    if command == "season-rows":
        return season_rows(int(args[0]))
    raise SystemExit(f"unknown command {command!r}")


print(json.dumps(main(*sys.argv[1:])))
