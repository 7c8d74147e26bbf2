"""Manual import: CSV files in the landing folder, picked up by the sensor and loaded by real runs."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from analytics_assets import settings
from analytics_assets.defs.core.sensors import manual_import_sensor
from analytics_assets.ingestion.manual_import import REJECTED_SUFFIX
from analytics_tests.support.data import read_table, table_hash
from analytics_tests.support.landing import pfr_export, reference_standings, spotrac_dead_cap
from analytics_tests.support.runs import materialize_names, materialize_seasons, resources_for, step_failures

STORED = ["standings", "dead_cap", "partition_versions"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2017, names=["standings", "dead_cap"]).success
    return path


def evaluate():
    return manual_import_sensor(dg.build_sensor_context(resources={"settings": settings.current()}))


def run(request: dg.RunRequest, db: Path, raise_on_error: bool = True):
    names = [key.to_user_string() for key in request.asset_selection]
    return materialize_names(
        names,
        request.partition_key,
        tags=request.tags,
        resources=resources_for(db),
        raise_on_error=raise_on_error,
    )


def stored(db: Path) -> dict:
    return {t: table_hash(db, t) for t in STORED}


@pytest.mark.integration
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


@pytest.mark.integration
def test_both_tables_of_a_season_load_in_one_run_with_the_risk_rows(landing, db):
    """Two runs could race: the first one's risk step would miss the other table. One run holds both."""
    (landing / "standings_2017.csv").write_text(pfr_export(2017))
    (landing / "dead_cap_2017.csv").write_text(spotrac_dead_cap(2017))
    (request,) = evaluate().run_requests
    assert sorted(k.to_user_string() for k in request.asset_selection) == ["dead_cap", "standings", "team_season_risk"]
    assert request.tags["analytics/manual_standings"] == str(landing / "standings_2017.csv")
    assert request.tags["analytics/manual_dead_cap"] == str(landing / "dead_cap_2017.csv")
    assert run(request, db).success
    assert (
        not (landing / "standings_2017.csv").exists() and not (landing / "dead_cap_2017.csv").exists()
    )  # both moved to loaded/
    sources = read_table(db, "SELECT DISTINCT source FROM nfl.dead_cap WHERE season = 2017")
    assert sources["source"].tolist() == ["manual"]
    risk = read_table(
        db,
        "SELECT r.team, r.win_pct, s.source FROM nfl.team_season_risk r JOIN nfl.standings s USING (season, team) "
        "WHERE season = 2017",
    )
    assert len(risk) == 32 and set(risk["source"]) == {"manual"}


@pytest.mark.integration
def test_a_file_failing_the_quality_gate_fails_its_run_with_a_note_and_is_left_in_place(landing, db):
    csv = landing / "standings_2017.csv"
    text = pfr_export(2017).replace("New England Patriots,13,3,0,0.812", "New England Patriots,14,3,0,0.812")
    assert text != pfr_export(2017)
    csv.write_text(text)
    (request,) = evaluate().run_requests  # the sensor's checks are cheap: name, size, header
    before = stored(db)
    result = run(request, db, raise_on_error=False)
    message = " ".join(step_failures(result).values())
    assert not result.success and "standings season 2017 not stored: refused by rule" in message
    assert "standings.wins_equal_losses failed" in message and "nothing stored changed" in message
    assert stored(db) == before and csv.read_text() == text
    note = (landing / f"standings_2017.csv{REJECTED_SUFFIX}").read_text()
    assert note.startswith(f"Rejected {csv} (standings, season 2017): it fails the quality gate")
    assert "league wins = 257, losses = 256" in note and "left in place" in note
    # The same file is not requested again (same run key), and its note stays.
    (again,) = evaluate().run_requests
    assert again.run_key == request.run_key and (landing / f"standings_2017.csv{REJECTED_SUFFIX}").exists()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("standings_2017.csv", "team,wins,losses\nNE,13,3\n", "missing column(s) points_for, points_against"),
        ("standings_2017.csv", "", "not a readable CSV file"),
        ("standings_2017.csv", "\xff\xfe\x00t\x00e\x00a\x00m\n", "not a readable CSV file"),
        ("standings-2017.csv", "team\n", "the name must be standings_<season>.csv or dead_cap_<season>.csv"),
        ("standings_1999.csv", "team\n", "season 1999 is outside 2011-"),
        ("dead_cap_2017.csv", "x" * 70_000, "hold no line break"),
    ],
)
@pytest.mark.unit
def test_files_failing_the_cheap_checks_are_rejected_by_the_sensor_with_the_reason(landing, name, body, reason):
    csv = landing / name
    csv.write_bytes(body.encode("latin-1"))
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert reason in result.skip_message and str(csv) in result.skip_message
    assert csv.exists() and reason in (landing / f"{name}{REJECTED_SUFFIX}").read_text()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        (
            "standings_2017.csv",
            "team,wins,losses,points_for,points_against\nNE,thirteen,3,458,296\n",
            "column wins must hold whole numbers; found line 2: 'thirteen'",
        ),
        (
            "standings_2017.csv",
            "team,wins,losses,points_for,points_against\nXYZ,13,3,458,296\n",
            "not season codes: line 2: 'XYZ'",
        ),
        (
            "dead_cap_2017.csv",
            "team,dead_money_musd,total_cap_allocations_musd\nNE,lots,200\n",
            "column dead_money_musd must hold amounts in millions",
        ),
    ],
)
@pytest.mark.integration
def test_files_with_bad_rows_fail_their_own_run_with_a_note(landing, db, name, body, reason):
    csv = landing / name
    csv.write_text(body)
    (request,) = evaluate().run_requests
    before = stored(db)
    result = run(request, db, raise_on_error=False)
    assert not result.success and reason in " ".join(step_failures(result).values())
    assert stored(db) == before and csv.exists()
    note = (landing / f"{name}{REJECTED_SUFFIX}").read_text()
    assert note.startswith(f"Rejected {csv}") and reason in note


@pytest.mark.integration
def test_dead_cap_for_a_season_without_a_known_cap_needs_the_cap_column(landing, db):
    # 2026's figures: 2025's, each team's moved (a plain copy of 2025 is refused as 2025's rows).
    frame = pd.read_csv(io.StringIO(spotrac_dead_cap(2025)))
    frame["dead_money_musd"] = (frame["dead_money_musd"] * (0.8 + 0.4 * (frame.index % 7) / 6)).round(2)
    frame["total_cap_allocations_musd"] = (frame["total_cap_allocations_musd"] * 1.05).round(2)
    body = frame.to_csv(index=False)
    csv = landing / "dead_cap_2026.csv"
    csv.write_text(body)
    (request,) = evaluate().run_requests
    result = run(request, db, raise_on_error=False)
    assert "no league salary cap is known for 2026" in " ".join(step_failures(result).values())
    note = landing / f"dead_cap_2026.csv{REJECTED_SUFFIX}"
    assert "no league salary cap is known for 2026" in note.read_text()
    frame = pd.read_csv(csv)
    frame["league_salary_cap_musd"] = 301.2
    frame.to_csv(csv, index=False)
    os.utime(csv, ns=(note.stat().st_mtime_ns + 1_000_000_000,) * 2)  # the new version is newer than its note
    (request,) = evaluate().run_requests
    assert request.partition_key == "2026"
    assert not note.exists()  # the old note goes once the file has changed
    assert run(request, db).success
    caps = read_table(db, "SELECT DISTINCT league_salary_cap_musd, source FROM nfl.dead_cap WHERE season = 2026")
    assert caps.values.tolist() == [[301.2, "manual"]]


@pytest.mark.integration
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


@pytest.mark.integration
def test_a_bad_file_beside_a_good_one_of_the_same_season_fails_alone(landing, db):
    """One run per season: the good file's table is stored and moved; the bad one gets its note and stays."""
    lines = pfr_export(2017).splitlines()
    first_team = lines[2].split(",")  # line 0 is the header, line 1 a division row
    lines[2] = ",".join([first_team[0], "ten", *first_team[2:]])
    (landing / "standings_2017.csv").write_text("\n".join(lines) + "\n")
    (landing / "dead_cap_2017.csv").write_text(spotrac_dead_cap(2017))
    before = table_hash(db, "standings")
    (request,) = evaluate().run_requests
    result = run(request, db, raise_on_error=False)
    assert not result.success and set(step_failures(result)) == {"standings"}
    assert not result.is_node_success("team_season_risk")  # not run: one of its tables failed
    assert set(read_table(db, "SELECT source FROM nfl.dead_cap WHERE season = 2017")["source"]) == {"manual"}
    assert table_hash(db, "standings") == before
    assert (landing / f"standings_2017.csv{REJECTED_SUFFIX}").exists() and not (landing / "dead_cap_2017.csv").exists()


@pytest.mark.unit
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


@pytest.mark.integration
def test_a_huge_junk_file_is_rejected_unread_and_never_delays_a_good_one(landing, db, monkeypatch):
    """50 MB of junk beside a good file: one cheap tick requests the good file's run, which loads;
    the junk is rejected by its size with a note, without being read."""
    junk = landing / "dead_cap_2017.csv"
    with junk.open("wb") as f:
        block = bytes(range(256)) * 4096  # 1 MB of binary junk
        for _ in range(50):
            f.write(block)
    good = landing / "standings_2017.csv"
    good.write_text(pfr_export(2017))
    read_bytes = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        if self == junk:
            read_bytes.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    start = time.perf_counter()
    result = evaluate()
    tick_s = time.perf_counter() - start
    print(f"sensor tick with a 50 MB junk file beside a good one: {tick_s * 1000:.1f} ms")
    monkeypatch.setattr(Path, "open", real_open)
    (request,) = result.run_requests
    assert [k.to_user_string() for k in request.asset_selection] == ["standings"]
    assert request.tags["analytics/manual_standings"] == str(good)
    assert read_bytes == []  # the junk was judged by its size alone
    note = (landing / f"dead_cap_2017.csv{REJECTED_SUFFIX}").read_text()
    assert f"Rejected {junk} (dead_cap, season 2017)" in note
    assert (
        "52,428,800 bytes (50.0 MB), over the 5,242,880 bytes (5.0 MB) limit" in note
        and "ANALYTICS_LANDING_MAX_BYTES" in note
    )
    before_dead_cap = table_hash(db, "dead_cap")
    assert run(request, db).success
    assert set(read_table(db, "SELECT source FROM nfl.standings WHERE season = 2017")["source"]) == {"manual"}
    assert table_hash(db, "dead_cap") == before_dead_cap and junk.stat().st_size == 50 * 2**20
    # The junk stays rejected on every tick, and nothing else is asked for.
    assert isinstance(evaluate(), dg.SkipReason)
    # A run forced to load it refuses it by its size too, before reading it.
    forced = dg.RunRequest(
        partition_key="2017",
        asset_selection=[dg.AssetKey("dead_cap")],
        tags={"analytics/manual_dead_cap": str(junk), "analytics/manual_dead_cap_sha256": "0" * 64},
    )
    result = run(forced, db, raise_on_error=False)
    assert "over the 5,242,880 bytes (5.0 MB) limit" in " ".join(step_failures(result).values())
    assert table_hash(db, "dead_cap") == before_dead_cap


@pytest.mark.unit
def test_the_size_limit_comes_from_the_environment(landing, monkeypatch):
    monkeypatch.setenv("ANALYTICS_LANDING_MAX_BYTES", "100")
    (landing / "standings_2017.csv").write_text(pfr_export(2017))
    result = evaluate()
    assert isinstance(result, dg.SkipReason) and "it is 1,508 bytes, over the 100 bytes limit" in result.skip_message
