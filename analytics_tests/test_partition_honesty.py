"""What a range run reports per season: each partition's own metadata, and a season whose source
cannot be read failing on its own message without taking the stored seasons or unrun rules with it."""

from __future__ import annotations

from analytics_assets.quality.catalog import rules_for
from analytics_tests.conftest import check_evaluations, materialize_seasons, read_table, step_failures, table_hash


def _by_partition(result, asset: str) -> dict[str, dict]:
    return {m.partition: m.metadata for m in result.asset_materializations_for_node(asset)}


def test_each_season_of_a_range_run_carries_its_own_row_count_and_source(db_path):
    result = materialize_seasons(db_path, 2016, 2017)
    assert result.success
    for asset in ("standings", "dead_cap", "team_season_risk"):
        meta = _by_partition(result, asset)
        assert set(meta) == {"2016", "2017"}
        for season in ("2016", "2017"):
            assert meta[season]["dagster/row_count"].value == 32, (asset, season)
            assert meta[season]["season"].value == season
            assert meta[season]["changed"].value is True
            assert meta[season]["run_seasons"].value == "2016, 2017"  # the run's seasons, named as such
            shown = {line.split("|")[1].strip() for line in meta[season]["preview"].value.splitlines()[2:]}
            assert shown == {season}, (asset, season)
    standings = _by_partition(result, "standings")
    assert standings["2017"]["source"].value == "embedded"
    sha = read_table(db_path, "SELECT content_sha256 FROM nfl.partition_versions WHERE table_name = 'standings' AND season = 2017")
    assert standings["2017"]["content_sha256"].value == sha["content_sha256"].item()
    assert standings["2017"]["content_sha256"].value != standings["2016"]["content_sha256"].value
    # Nothing changed the second time: each season says so.
    again = materialize_seasons(db_path, 2016, 2017)
    assert {p: m["changed"].value for p, m in _by_partition(again, "standings").items()} == {"2016": False, "2017": False}


def _drop_season(season: int):
    def change(standings, dead):
        # (the edit works in place: the rows move to a season no run asks for)
        standings.loc[standings["season"] == str(season), "season"] = "1990"

    return change


def test_a_stored_season_whose_source_is_gone_is_kept_in_a_range_run_and_fails_alone(db_path, embedded_copy):
    assert materialize_seasons(db_path, 2023, 2024).success
    season_2024 = "SELECT * FROM nfl.standings WHERE season = 2024 ORDER BY team"
    before = read_table(db_path, season_2024)
    embedded_copy(_drop_season(2024))  # the source no longer answers for 2024 (offline, blocked, gone)

    # In a range, the stored 2024 is served as stored; 2023 is refreshed; nothing fails.
    result = materialize_seasons(db_path, 2023, 2024)
    assert result.success
    meta = _by_partition(result, "standings")
    assert meta["2024"]["source"].value == "stored rows kept: source unavailable in this run"
    assert "No embedded standings for season 2024" in meta["2024"]["source_error"].value
    assert meta["2024"]["dagster/row_count"].value == 32 and meta["2023"]["source"].value == "embedded"
    # (2023 is rewritten: the edited facts file is its new provenance.)
    assert read_table(db_path, season_2024).equals(before)
    after_range = table_hash(db_path, "standings")
    # The rules ran for 2023 only, and say so.
    evaluations = check_evaluations(result)
    assert {name for (asset, name) in evaluations if asset == "standings"} == {r.name for r in rules_for("standings")}
    assert all(evaluations.values())

    # Alone (the daily refresh, a click on that season), it fails: an unreachable source must alert.
    alone = materialize_seasons(db_path, 2024, names=["standings"], raise_on_error=False)
    assert not alone.success
    assert "No embedded standings for season 2024" in step_failures(alone)["standings"]
    assert table_hash(db_path, "standings") == after_range


def test_an_unstored_season_whose_source_is_gone_fails_with_one_message_and_reports_only_rules_that_ran(db_path, embedded_copy):
    assert materialize_seasons(db_path, 2023, names=["standings"]).success
    before = table_hash(db_path, "standings")
    embedded_copy(_drop_season(2024))
    result = materialize_seasons(db_path, 2022, 2024, names=["standings"], raise_on_error=False)
    assert not result.success
    message = step_failures(result)["standings"]
    assert message.count("No embedded standings") == 1 and "standings season 2024" in message
    assert "Nothing was written" in message and "2022, 2023" in message
    assert table_hash(db_path, "standings") == before
    # Every rule ran on 2022 and 2023 and reported it; none is left "execution failed".
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.asset_key.to_user_string() == "standings"]
    assert {c.check_name for c in checks} == {r.name for r in rules_for("standings")}
    assert all(c.passed for c in checks), [(c.check_name, c.description) for c in checks if not c.passed]
    checked = {c.check_name: set(c.metadata["seasons_checked"].value.split(", ")) for c in checks if "seasons_checked" in c.metadata}
    assert checked["win_pct_formula"] == {"2022", "2023"} and all(s <= {"2022", "2023"} for s in checked.values())


def test_a_warning_check_states_the_value_seen_and_the_rule(db_path, embedded_copy):
    def inflate(standings, dead):
        row = (dead["season"] == "2024") & (dead["team"] == "TB")
        dead.loc[row, "total_cap_allocations_musd"] = "357.6"  # 140% of the 2024 cap of $255.4M

    embedded_copy(inflate)
    result = materialize_seasons(db_path, 2023, 2024, names=["dead_cap"])
    assert result.success  # a WARN rule writes and flags
    checks = {e.event_specific_data.check_name: e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    warn = checks["allocations_near_cap"]
    assert not warn.passed
    assert warn.description.startswith("2024: ") and "TB" in warn.description and "357.6" in warn.description
    assert "rule: " in warn.description
    assert checks["dead_money_non_negative"].passed and checks["dead_money_non_negative"].description == "Passed for seasons 2023, 2024."
