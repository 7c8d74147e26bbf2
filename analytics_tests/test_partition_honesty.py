"""What a range run reports per season: each partition's own metadata, and a season whose source
cannot be read failing on its own message without taking the stored seasons or unrun rules with it."""

from __future__ import annotations

import dagster as dg

from analytics_assets import partitions
from analytics_assets.definitions import defs
from analytics_assets.partitions import season_partitions
from analytics_assets.quality.catalog import rules_for
from analytics_assets.run_tags import BACKFILL_TAG
from analytics_tests.conftest import check_evaluations, materialize_seasons, read_table, step_failures, table_hash
from analytics_tests.test_snapshots import in_progress  # noqa: F401 (fixture)

# The standings step reports its rules and the scraper SLO, which it evaluates whether it stores or fails.
STANDINGS_RULES = {r.name for r in rules_for("standings")}
SLO = "scraper_slo"


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
    assert {name for (asset, name) in evaluations if asset == "standings"} == STANDINGS_RULES | {SLO}
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
    assert {c.check_name for c in checks} == STANDINGS_RULES | {SLO}
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


SEASON = partitions.season_in_progress()


def _drop_in_progress(standings, dead):
    # (moved to a season no run asks for: the source no longer has the season in progress)
    for frame in (standings, dead):
        frame.loc[frame["season"].astype(str) == str(SEASON), "season"] = "1990"


def test_a_backfill_puts_every_completed_season_in_one_run_and_the_season_in_progress_in_its_own():
    # "All" (2011 to the season in progress) is two runs: the completed seasons, then the season in
    # progress alone, so that season failing offline never marks a stored season failed.
    assert partitions.SEASONS_PER_RUN == SEASON - partitions.FIRST_SEASON == len(season_partitions.get_partition_keys()) - 1
    for name in ("raw_nflverse_games", "raw_pfr_season_page", "raw_spotrac_cap_page", "standings", "dead_cap", "team_season_risk"):
        assert defs.get_assets_def(name).backfill_policy == partitions.SEASON_BACKFILL_POLICY, name


def test_the_season_in_progress_alone_fails_on_one_message_and_its_rules_restate_the_stored_results(db_path):
    # Stored: 2011-2012, where dead_cap's WARN rule allocations_near_cap flags TB 2011 (73% of the cap).
    assert materialize_seasons(db_path, 2011, 2012).success
    before = {t: table_hash(db_path, t) for t in ("standings", "dead_cap", "team_season_risk", "partition_versions")}
    # The season in progress was never stored and no source has it (embedded facts only: as offline).
    result = materialize_seasons(db_path, SEASON, raise_on_error=False)
    assert not result.success
    failures = step_failures(result)
    assert set(failures) == {"standings", "dead_cap"}
    for table, message in failures.items():
        # One message, about that season alone (the advice to run other seasons has none to name).
        assert f"{table} season {SEASON}: No embedded" in message and message.count(f"{table} season ") == 1, message
        assert "Nothing was written" in message and "other seasons of the run" not in message
    assert not result.asset_materializations_for_node("team_season_risk")  # never run: its inputs failed
    assert {t: table_hash(db_path, t) for t in before} == before
    # Every rule of both tables reports (none is left "Execution failed"), says it judged nothing,
    # and restates what the stored seasons showed: a warning stays a warning, a pass a pass.
    checks = {(e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and e.event_specific_data.asset_key.to_user_string() in ("standings", "dead_cap")}
    # The scraper SLO is evaluated even so (a failed scrape is what it counts; none was attempted here).
    slo = checks.pop(("standings", SLO))
    assert slo.passed and slo.metadata["attempts"].value == 0
    assert set(checks) == {(t, r.name) for t in ("standings", "dead_cap") for r in rules_for(t)}
    for check in checks.values():
        assert check.metadata["evaluated_in_this_run"].value is False
        assert check.description.startswith(f"Not evaluated in this run: {check.asset_key.to_user_string()} season {SEASON} could not be read")
    near = checks[("dead_cap", "allocations_near_cap")]
    assert not near.passed and near.severity == dg.AssetCheckSeverity.WARN
    assert "2011: " in near.description and "TB allocations 73% of the cap" in near.description
    assert near.metadata["stored_seasons_failing"].value == "2011"
    formula = checks[("standings", "win_pct_formula")]
    assert formula.passed and formula.description.endswith("passed for seasons 2011, 2012.")


def test_a_backfill_serves_the_stored_season_in_progress_when_its_source_is_gone(db_path, in_progress, embedded_copy):
    in_progress(games=5)  # the season in progress after 5 games, as the sources had it
    assert materialize_seasons(db_path, SEASON - 1, SEASON).success
    season_rows = f"SELECT * FROM nfl.standings WHERE season = {SEASON} ORDER BY team"
    before, tables = read_table(db_path, season_rows), {t: table_hash(db_path, t) for t in ("standings", "dead_cap", "team_season_risk")}
    embedded_copy(_drop_in_progress)  # offline: no source answers for it any more

    # "All" offline: the backfill's run of the season in progress alone serves it as stored.
    result = materialize_seasons(db_path, SEASON, tags={BACKFILL_TAG: "allseasons"})
    assert result.success
    for table in ("standings", "dead_cap"):
        meta = _by_partition(result, table)[str(SEASON)]
        assert meta["source"].value == "stored rows kept: source unavailable in this run"
        assert f"season {SEASON}" in meta["source_error"].value and meta["dagster/row_count"].value == 32
    assert read_table(db_path, season_rows).equals(before)
    assert {t: table_hash(db_path, t) for t in tables} == tables
    # Every rule reports that it judged nothing in this run and what the stored season showed.
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and e.event_specific_data.asset_key.to_user_string() == "standings" and e.event_specific_data.check_name != SLO]
    assert {c.check_name for c in checks} == STANDINGS_RULES
    assert all(c.description.startswith(f"Not evaluated in this run: standings season {SEASON} could not be read, so this rule "
                                         "judged nothing and the stored rows are kept.") for c in checks)
    formula = next(c for c in checks if c.check_name == "win_pct_formula")
    assert formula.passed and formula.description.endswith(f"passed for seasons {SEASON - 1}, {SEASON}.")

    # The same season alone outside a backfill (the daily refresh, a click) fails: a blocked source alerts.
    alone = materialize_seasons(db_path, SEASON, names=["standings"], raise_on_error=False)
    assert not alone.success and f"No embedded standings for season {SEASON}" in step_failures(alone)["standings"]
    assert read_table(db_path, season_rows).equals(before)
