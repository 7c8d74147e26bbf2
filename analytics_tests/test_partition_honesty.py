"""What a season reports, one season per run: its own metadata, its own check results (one per rule
that judged it, with what the rule saw), and a season whose source cannot be read failing on its own
message with no check result at all (Dagster shows "execution failed", never passed)."""

from __future__ import annotations

import dagster as dg
import pytest

from analytics_assets import partitions
from analytics_assets.definitions import defs
from analytics_assets.quality.catalog import rules_for
from analytics_assets.run_tags import BACKFILL_TAG
from analytics_tests.support.data import read_table, table_hash
from analytics_tests.support.runs import (
    check_evaluations,
    materialize_seasons,
    step_failure_descriptions,
    step_failures,
)

STANDINGS_RULES = {r.name for r in rules_for("standings")}
SLO = "scraper_slo"
SEASON = partitions.season_in_progress()


def _materialization(result, asset: str) -> tuple[str, dict]:
    (m,) = result.asset_materializations_for_node(asset)
    return m.partition, m.metadata


def _evaluations(result, asset: str) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.asset_key.to_user_string() == asset
    }


@pytest.mark.integration
def test_each_season_carries_its_own_row_count_and_source(db_path):
    result = materialize_seasons(db_path, 2016, 2017)
    assert result.success
    for asset in ("standings", "dead_cap", "team_season_risk"):
        for run, season in zip(result.results, ("2016", "2017")):
            partition, meta = _materialization(run, asset)
            assert partition == season
            assert meta["dagster/row_count"].value == 32, (asset, season)
            assert meta["season"].value == season
            assert meta["changed"].value is True
            assert meta["run_seasons"].value == season
            shown = {line.split("|")[1].strip() for line in meta["preview"].value.splitlines()[2:]}
            assert shown == {season}, (asset, season)
    standings = {p: m for p, m in (_materialization(r, "standings") for r in result.results)}
    assert standings["2017"]["source"].value == "embedded"
    sha = read_table(
        db_path, "SELECT content_sha256 FROM nfl.partition_versions WHERE table_name = 'standings' AND season = 2017"
    )
    assert standings["2017"]["content_sha256"].value == sha["content_sha256"].item()
    assert standings["2017"]["content_sha256"].value != standings["2016"]["content_sha256"].value
    again = materialize_seasons(db_path, 2016, 2017)
    assert [_materialization(r, "standings")[1]["changed"].value for r in again.results] == [False, False]


@pytest.mark.integration
def test_every_check_result_names_its_season_and_says_what_it_saw(db_path):
    result = materialize_seasons(db_path, 2018)
    assert result.success
    evaluations = _evaluations(result, "standings")
    for name, check in evaluations.items():
        if name == SLO:
            continue
        assert check.partition == "2018", name  # a season's own result, not the asset's
        assert check.passed and check.description.startswith("Passed for 2018: "), (name, check.description)
    assert "rho 0.93, needs >= 0.30" in evaluations["record_agrees_with_points"].description
    drift = _evaluations(result, "dead_cap")["dead_cap_drift"].description
    assert "mean dead-cap %" in drift and "against 2017" in drift and "limit 7.0" in drift
    # Rules with nothing to judge (no page behind embedded facts; one source) report nothing.
    assert {"page_season", "no_redirect", "sources_agree", "sources_cross_checked"}.isdisjoint(evaluations)


def _drop_season(season: int):
    def change(standings, dead):
        # (the edit works in place: the rows move to a season no run asks for)
        standings.loc[standings["season"] == str(season), "season"] = "1990"

    return change


@pytest.mark.integration
def test_a_stored_season_whose_source_is_gone_fails_and_reports_no_check(db_path, embedded_copy):
    assert materialize_seasons(db_path, 2023, 2024).success
    season_2024 = "SELECT * FROM nfl.standings WHERE season = 2024 ORDER BY team"
    before, hashes = read_table(db_path, season_2024), table_hash(db_path, "standings")
    embedded_copy(_drop_season(2024))  # the source no longer answers for 2024 (offline, blocked, gone)
    # Alone or in a backfill, the season fails: its stored rows stay, nothing claims it was refreshed.
    for tags in ({}, {BACKFILL_TAG: "allseasons"}):
        result = materialize_seasons(db_path, 2024, names=["standings"], raise_on_error=False, tags=tags)
        assert not result.success
        first = step_failure_descriptions(result)["standings"].splitlines()[0]
        assert first == "standings season 2024 not refreshed: no source has it; nothing stored changed."
        assert "No embedded standings for season 2024" in step_failures(result)["standings"]
        assert not result.asset_materializations_for_node("standings")
        assert set(_evaluations(result, "standings")) <= {SLO}  # no rule judged the season: none reports
        assert read_table(db_path, season_2024).equals(before)
        assert table_hash(db_path, "standings") == hashes


@pytest.mark.integration
def test_a_warning_check_states_the_value_seen_and_the_rule(db_path, embedded_copy):
    def inflate(standings, dead):
        row = (dead["season"] == "2024") & (dead["team"] == "TB")
        dead.loc[row, "total_cap_allocations_musd"] = "357.6"  # 140% of the 2024 cap of $255.4M

    embedded_copy(inflate)
    result = materialize_seasons(db_path, 2023, 2024, names=["dead_cap"])
    assert result.success  # a WARN rule writes and flags
    checks = _evaluations(result.results[1], "dead_cap")
    warn = checks["allocations_near_cap"]
    assert not warn.passed and warn.partition == "2024"
    assert warn.description.startswith("2024: ") and "TB" in warn.description and "357.6" in warn.description
    assert "rule: " in warn.description
    passed = checks["dead_money_non_negative"]
    assert (
        passed.passed
        and passed.description.startswith("Passed for 2024: smallest dead money $")
        and "(needs >= 0)" in passed.description
    )


@pytest.mark.unit
def test_a_backfill_runs_one_season_per_run():
    for name in ("standings", "dead_cap", "team_season_risk"):
        assert defs.get_assets_def(name).backfill_policy == partitions.SEASON_BACKFILL_POLICY, name
    assert partitions.SEASON_BACKFILL_POLICY.max_partitions_per_run == 1


@pytest.mark.integration
def test_the_season_in_progress_alone_fails_on_one_message_and_no_rule_reports(db_path):
    assert materialize_seasons(db_path, 2011, 2012).success
    before = {t: table_hash(db_path, t) for t in ("standings", "dead_cap", "team_season_risk", "partition_versions")}
    # The season in progress was never stored and no source has it (embedded facts only: as offline).
    result = materialize_seasons(db_path, SEASON, raise_on_error=False)
    assert not result.success
    failures = step_failure_descriptions(result)
    assert set(failures) == {"standings", "dead_cap"}
    for table, message in failures.items():
        first, *rest = message.splitlines()
        assert first == f"{table} season {SEASON} not refreshed: no source has it; nothing stored changed.", first
        assert len(first) < 200
        assert (
            rest[-1].startswith("Now: ") and f"{table}_{SEASON}.csv" in rest[-1] and "ANALYTICS_SOURCE=auto" in rest[-1]
        )
    assert not result.asset_materializations_for_node("team_season_risk")  # never run: its inputs failed
    assert {t: table_hash(db_path, t) for t in before} == before
    evaluations = check_evaluations(result)
    # The rules judged nothing: none reports (Dagster shows them "execution failed" for this season);
    # the scraper SLO is still evaluated, since a failed scrape is what it counts (none was attempted).
    assert {k for k in evaluations if k[0] in ("standings", "dead_cap")} == {("standings", SLO)}
    slo = _evaluations(result, "standings")[SLO]
    assert slo.passed and slo.metadata["attempts"].value == 0


@pytest.mark.integration
def test_a_backfill_of_the_stored_season_in_progress_offline_fails_and_keeps_it(db_path, in_progress, embedded_copy):
    in_progress(games=5)  # the season in progress after 5 games, as the sources had it
    assert materialize_seasons(db_path, SEASON - 1, SEASON).success
    season_rows = f"SELECT * FROM nfl.standings WHERE season = {SEASON} ORDER BY team"
    before, tables = (
        read_table(db_path, season_rows),
        {t: table_hash(db_path, t) for t in ("standings", "dead_cap", "team_season_risk")},
    )
    embedded_copy(_drop_in_progress)  # offline: no source answers for it any more
    # "All" offline: the run of the season in progress fails; the stored copy stays, and nothing
    # reports it refreshed (no materialization, no check result for it).
    result = materialize_seasons(db_path, SEASON, tags={BACKFILL_TAG: "allseasons"}, raise_on_error=False)
    assert not result.success
    assert not result.asset_materializations_for_node("standings")
    assert f"No embedded standings for season {SEASON}" in step_failures(result)["standings"]
    assert read_table(db_path, season_rows).equals(before)
    assert {t: table_hash(db_path, t) for t in tables} == tables


def _drop_in_progress(standings, dead):
    # (moved to a season no run asks for: the source no longer has the season in progress)
    for frame in (standings, dead):
        frame.loc[frame["season"].astype(str) == str(SEASON), "season"] = "1990"


@pytest.mark.integration
def test_a_check_executed_alone_judges_the_season_as_stored_and_writes_nothing(db_path):
    assert materialize_seasons(db_path, 2019).success
    before = {t: table_hash(db_path, t) for t in ("standings", "partition_versions", "quality_results")}
    standings = defs.get_assets_def("standings")
    from analytics_tests.support.runs import resources_for

    # Execute on one check in the UI: a run of that check alone, the asset not selected.
    key = dg.AssetCheckKey(dg.AssetKey("standings"), "record_agrees_with_points")
    job = dg.define_asset_job("one_check", selection=dg.AssetSelection.checks(key))
    one = dg.Definitions(assets=[standings], jobs=[job], resources=resources_for(db_path))
    result = one.resolve_job_def("one_check").execute_in_process(tags={"dagster/partition": "2019"})
    assert result.success
    (check,) = _evaluations(result, "standings").values()
    assert check.check_name == "record_agrees_with_points" and check.passed and check.partition == "2019"
    assert check.description.startswith("Passed for 2019: rho ")
    assert not result.asset_materializations_for_node("standings")
    assert {t: table_hash(db_path, t) for t in before} == before
