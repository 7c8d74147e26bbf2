"""Run by deploy_test.py inside the project's user_code container (`docker exec -i ... python -`), with
that container's Dagster instance (PostgreSQL), volumes and environment. Prints one JSON line.

  rows SEASON...                  per table and season: rows, distinct teams, writing run(s)
  season-rows SEASON              rows of nfl.standings for one season
  drifted-standings SEASON PATH   a landing file of SEASON's embedded standings with every score
                                  doubled (points drift, an acceptable rule) at PATH; its sha256
  acceptances TABLE SEASON        nfl.gate_acceptances rows of one table and season
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


def drifted_standings(season, path):
    import csv
    import hashlib
    import io
    from importlib.resources import files
    from pathlib import Path

    rows = csv.DictReader(io.StringIO(files("analytics_assets").joinpath("embedded/nfl_standings_2011_2025.csv").read_text()))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["team", "wins", "losses", "ties", "points_for", "points_against"])
    for r in rows:
        if int(r["season"]) == season:
            writer.writerow([r["team"], r["wins"], r["losses"], r["ties"], int(r["points_for"]) * 2, int(r["points_against"]) * 2])
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue())
    return {"ok": True, "path": str(target), "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}


def acceptances(table, season):
    return duckdb_read(lambda con: {"rows": [list(map(str, r)) for r in con.execute(
        "SELECT rule, accepted_by, reason, run_id FROM nfl.gate_acceptances WHERE table_name = ? AND season = ?", [table, season]).fetchall()]})


def main(command, *args):
    if command == "rows":
        return rows([int(a) for a in args])
    if command == "season-rows":
        return season_rows(int(args[0]))
    if command == "drifted-standings":
        return drifted_standings(int(args[0]), args[1])
    if command == "acceptances":
        return acceptances(args[0], int(args[1]))
    raise SystemExit(f"unknown command {command!r}")


print(json.dumps(main(*sys.argv[1:])))
