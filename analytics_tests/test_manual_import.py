"""Manual import: CSV files in the landing folder, picked up by the sensor and loaded by real runs."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from analytics_assets import teams
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.ingestion.manual_import import REJECTED_SUFFIX, sha256_of
from analytics_assets.ingestion.sensors import manual_import_sensor
from analytics_assets.storage import AnalyticsDuckDB
from analytics_tests.conftest import materialize_seasons, read_table, season_assets, shared_file, step_failures, table_hash

STORED = ["standings", "dead_cap", "partition_versions"]


@pytest.fixture
def landing(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("ANALYTICS_LANDING_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2017, names=["standings", "dead_cap"]).success
    return path


def reference_standings(season: int) -> pd.DataFrame:
    ref = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    return ref[ref["season"] == season].reset_index(drop=True)


def pfr_export(season: int) -> str:
    """Standings the way PFR's "Get table as CSV" gives them: full names, * and + markers, division rows."""
    ref = reference_standings(season)
    lines = ["Tm,W,L,T,W-L%,PF,PA,PD"]
    for division, rows in ref.groupby("division"):
        lines.append(f"{division},,,,,,,")
        for i, r in enumerate(rows.itertuples()):
            name = teams.resolve(r.team, "nflverse", season).name + ("*" if i == 0 else "")
            pct = (r.wins + r.ties / 2) / r.games
            lines.append(f"{name},{r.wins},{r.losses},{r.ties},{pct:.3f},{r.points_for},{r.points_against},{r.points_for - r.points_against}")
    return "\n".join(lines) + "\n"


def spotrac_dead_cap(season: int) -> str:
    ref = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    ref = ref[ref["season"] == season]
    return ref[["team", "dead_money_musd", "total_cap_allocations_musd"]].to_csv(index=False)


def evaluate():
    return manual_import_sensor(dg.build_sensor_context())


def run(request: dg.RunRequest, db: Path, raise_on_error: bool = True):
    names = [key.to_user_string() for key in request.asset_selection]
    return dg.materialize(
        season_assets(names),
        partition_key=request.partition_key,
        tags=request.tags,
        resources={"duckdb": AnalyticsDuckDB(database=str(db)), "http": HttpClientResource()},
        raise_on_error=raise_on_error,
    )


def stored(db: Path) -> dict:
    return {t: table_hash(db, t) for t in STORED}


def test_a_good_standings_file_becomes_a_run_that_loads_the_season(landing, db):
    csv = landing / "standings_2017.csv"
    csv.write_text(pfr_export(2017))
    (request,) = evaluate().run_requests
    assert request.partition_key == "2017"
    assert [k.to_user_string() for k in request.asset_selection] == ["standings"]
    assert request.tags["analytics/manual_standings"] == str(csv)
    assert run(request, db).success
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 ORDER BY team")
    ref = reference_standings(2017).sort_values("team").reset_index(drop=True)
    cols = ["team", "franchise", "games", "wins", "losses", "ties", "points_for", "points_against"]
    assert (rows[cols].astype(str).values == ref[cols].astype(str).values).all()
    loaded = list((landing / "loaded").iterdir())
    assert set(rows["source"]) == {"manual"} and set(rows["source_ref"]) == {str(loaded[0])}
    assert not csv.exists() and len(loaded) == 1  # moved once stored
    assert isinstance(evaluate(), dg.SkipReason)  # nothing left to load


def test_both_tables_of_a_season_load_in_one_run_with_the_risk_rows(landing, db):
    (landing / "standings_2017.csv").write_text(pfr_export(2017))
    (landing / "dead_cap_2017.csv").write_text(spotrac_dead_cap(2017))
    (request,) = evaluate().run_requests
    assert sorted(k.to_user_string() for k in request.asset_selection) == ["dead_cap", "standings", "team_season_risk"]
    assert run(request, db).success
    sources = read_table(db, "SELECT DISTINCT source FROM nfl.dead_cap WHERE season = 2017")
    assert sources["source"].tolist() == ["manual"]
    assert len(read_table(db, "SELECT * FROM nfl.team_season_risk WHERE season = 2017")) == 32


def test_a_file_failing_the_quality_gate_is_rejected_and_left_in_place(landing, db):
    csv = landing / "standings_2017.csv"
    text = pfr_export(2017).replace("New England Patriots,13,3,0,0.812", "New England Patriots,14,3,0,0.812")
    assert text != pfr_export(2017)
    csv.write_text(text)
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert f"Rejected {csv}" in result.skip_message and "standings.wins_equal_losses failed" in result.skip_message
    assert "league wins = 257, losses = 256" in result.skip_message and "left in place" in result.skip_message
    assert csv.read_text() == text
    assert "wins_equal_losses" in (landing / f"standings_2017.csv{REJECTED_SUFFIX}").read_text()
    # Even a run forced with the file's tags is stopped by the gate, and stored data is kept.
    before = stored(db)
    request = dg.RunRequest(partition_key="2017", asset_selection=[dg.AssetKey("standings")],
                            tags={"analytics/manual_standings": str(csv), "analytics/manual_standings_sha256": sha256_of(csv)})
    result = run(request, db, raise_on_error=False)
    assert not result.success and "Quality gate failed" in " ".join(step_failures(result).values())
    assert stored(db) == before and csv.exists()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("standings_2017.csv", "team,wins,losses\nNE,13,3\n", "missing column(s) points_for, points_against"),
        ("standings_2017.csv", "team,wins,losses,points_for,points_against\nNE,thirteen,3,458,296\n", "column wins must hold whole numbers; found line 2: 'thirteen'"),
        ("standings_2017.csv", "team,wins,losses,points_for,points_against\nXYZ,13,3,458,296\n", "not season codes: line 2: 'XYZ'"),
        ("standings_2017.csv", "", "not a readable CSV file"),
        ("standings-2017.csv", "team\n", "the name must be standings_<season>.csv or dead_cap_<season>.csv"),
        ("standings_1999.csv", "team\n", "season 1999 is outside 2011-"),
        ("dead_cap_2017.csv", "team,dead_money_musd,total_cap_allocations_musd\nNE,lots,200\n", "column dead_money_musd must hold amounts in millions"),
    ],
)
def test_unloadable_files_are_rejected_with_the_reason(landing, name, body, reason):
    csv = landing / name
    csv.write_text(body)
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert reason in result.skip_message and str(csv) in result.skip_message
    assert csv.exists() and (landing / f"{name}{REJECTED_SUFFIX}").exists()


def test_dead_cap_for_a_season_without_a_known_cap_needs_the_cap_column(landing, db):
    body = spotrac_dead_cap(2025)
    csv = landing / "dead_cap_2026.csv"
    csv.write_text(body)
    result = evaluate()
    assert isinstance(result, dg.SkipReason) and "no league salary cap is known for 2026" in result.skip_message
    frame = pd.read_csv(csv)
    frame["league_salary_cap_musd"] = 301.2
    frame.to_csv(csv, index=False)
    (request,) = evaluate().run_requests
    assert request.partition_key == "2026"
    assert not (landing / f"dead_cap_2026.csv{REJECTED_SUFFIX}").exists()  # the old note goes once the file is good
    assert run(request, db).success
    caps = read_table(db, "SELECT DISTINCT league_salary_cap_musd, source FROM nfl.dead_cap WHERE season = 2026")
    assert caps.values.tolist() == [[301.2, "manual"]]


def test_a_file_changed_after_the_sensor_read_it_fails_the_run_and_keeps_stored_data(landing, db):
    csv = landing / "standings_2017.csv"
    csv.write_text(pfr_export(2017))
    (request,) = evaluate().run_requests
    csv.write_text(pfr_export(2017) + "\n")
    before = stored(db)
    result = run(request, db, raise_on_error=False)
    assert "changed after the sensor read it" in " ".join(step_failures(result).values())
    assert stored(db) == before and csv.exists()
    (again,) = evaluate().run_requests  # the new version gets its own run
    assert again.run_key != request.run_key


def test_an_unchanged_file_is_requested_once_and_touching_it_requests_it_again(landing):
    csv = landing / "standings_2017.csv"
    csv.write_text(pfr_export(2017))
    (first,) = evaluate().run_requests
    (same,) = evaluate().run_requests
    assert same.run_key == first.run_key  # Dagster launches one run per run key
    stat = csv.stat()
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    (again,) = evaluate().run_requests
    assert again.run_key != first.run_key
