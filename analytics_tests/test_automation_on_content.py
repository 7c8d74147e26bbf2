"""The charts and report are rebuilt when a season's content changes, not when identical rows are stored again."""

from __future__ import annotations

import dagster as dg
import pytest

from analytics_assets.definitions import defs
from analytics_tests.support.outputs import OUTPUT_ASSETS
from analytics_tests.support.runs import materialize_seasons, resources_for

pytestmark = pytest.mark.integration

OUTPUTS = {"league_risk_summary", "risk_report"}


def _requested(result) -> set[str]:
    return {name for name in OUTPUTS if result.get_num_requested(dg.AssetKey(name))}


# Dagster's own condition tester passes a beta parameter internally.
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
@pytest.mark.slow
def test_outputs_follow_content_changes_only(db_path, embedded_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYTICS_OUTPUT_DIR", str(tmp_path / "reports"))
    with dg.instance_for_test() as instance:
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert materialize_seasons(db_path, 2023, 2024, instance=instance).success
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
        assert OUTPUTS <= _requested(first)
        # The outputs are built (as the automation sensor's run would); nothing is left to do.
        assert dg.materialize(OUTPUT_ASSETS, resources=resources_for(db_path), instance=instance).success
        settled = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert not (_requested(settled) & OUTPUTS)

        # The same seasons stored again with identical content: no rebuild.
        assert materialize_seasons(db_path, 2024, instance=instance).success
        same = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
        assert not (_requested(same) & OUTPUTS), _requested(same)

        # A season whose content changed: rebuilt.
        def more_dead_money(standings, dead):
            row = (dead["season"] == "2024") & (dead["team"] == "TB")
            dead.loc[row, "dead_money_musd"] = f"{float(dead.loc[row, 'dead_money_musd'].item()) + 1:.2f}"

        embedded_copy(more_dead_money)
        assert materialize_seasons(db_path, 2024, instance=instance).success
        changed = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=same.cursor)
        assert OUTPUTS <= _requested(changed)


@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_outputs_wait_for_a_season_run_in_progress_then_follow_it(db_path, embedded_copy, tmp_path, monkeypatch):
    # The outputs wait for their dependencies' runs (not for a backfill's bookkeeping, which the
    # backfill daemon closes up to 30 s after its one run ended): a run still going holds them back.
    monkeypatch.setenv("ANALYTICS_OUTPUT_DIR", str(tmp_path / "reports"))
    with dg.instance_for_test() as instance:
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert materialize_seasons(db_path, 2024, instance=instance).success
        going = instance.create_run_for_job(
            defs.resolve_job_def("season_pipeline"),
            tags={"dagster/partition": "2023"},
            asset_selection=frozenset(dg.AssetKey(name) for name in ("standings", "dead_cap", "team_season_risk")),
        )
        waiting = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
        assert not (_requested(waiting) & OUTPUTS), _requested(waiting)
        instance.report_run_failed(going)
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=waiting.cursor)
        assert OUTPUTS <= _requested(after)
