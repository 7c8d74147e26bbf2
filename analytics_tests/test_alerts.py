"""Alerts on failed runs: a real failed run of the season pipeline, the real run-failure sensor, and
a webhook receiver on 127.0.0.1. (The same sensor evaluated by the deployed daemon is covered in
test_deployment_topology.py.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from analytics_assets.definitions import defs
from analytics_assets.defs.jobs import season_pipeline_job
from analytics_assets.defs.monitoring import alerts
from analytics_assets.defs.monitoring.alerts import AlertDeliveryError, alert_on_run_failure, failure_payload
from analytics_assets.partitions import season_in_progress
from analytics_tests.support.deploy import WebhookSink
from analytics_tests.support.runs import resources_for

STORED_SEASON = 2025


def season_pipeline_against(db: Path) -> dg.JobDefinition:
    """The project's own season_pipeline job, writing to `db`."""
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[season_pipeline_job],
        resources=resources_for(db),
        executor=dg.in_process_executor,
    ).resolve_job_def("season_pipeline")


@dataclass
class FailedRun:
    instance: dg.DagsterInstance
    run: dg.DagsterRun
    failure_event: dg.DagsterEvent
    db: Path
    stored_before: list[tuple]
    season: int


def _versions(db: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "SELECT table_name, season, content_sha256, run_id FROM nfl.partition_versions ORDER BY ALL"
        ).fetchall()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> Iterator[FailedRun]:
    """A completed season stored, then a run for the season in progress that fails: no source has it
    (embedded data stops at 2025 and live sites are out of reach in tests)."""
    db = tmp_path_factory.mktemp("alerts") / "analytics.duckdb"
    job = season_pipeline_against(db)
    season = season_in_progress()
    with dg.instance_for_test() as instance:
        ok = job.execute_in_process(instance=instance, partition_key=str(STORED_SEASON))
        assert ok.success
        stored_before = _versions(db)
        result = job.execute_in_process(instance=instance, partition_key=str(season), raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        (record,) = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        yield FailedRun(instance, run, record.event_log_entry.dagster_event, db, stored_before, season)


def _evaluate_sensor(failed: FailedRun) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name=alert_on_run_failure.name,
        dagster_instance=failed.instance,
        dagster_run=failed.run,
        dagster_event=failed.failure_event,
    ).for_run_failure()
    alert_on_run_failure(context)


@pytest.mark.integration
def test_failed_run_posts_run_job_step_and_error_to_the_webhook(failed_run, monkeypatch):
    # Run storage: the run failed, and at the standings / dead-cap steps.
    instance = failed_run.instance
    assert failed_run.run.status == dg.DagsterRunStatus.FAILURE
    step_failures = instance.get_records_for_run(
        failed_run.run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    failed_steps = {r.event_log_entry.dagster_event.step_key for r in step_failures}
    assert failed_steps and failed_steps <= {"standings", "dead_cap"}

    with WebhookSink() as sink:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, sink.url)
        monkeypatch.setenv(alerts.WEBSERVER_URL_ENV, "http://dagster.example:3000/")
        _evaluate_sensor(failed_run)

    assert len(sink.received) == 1
    assert sink.received[0]["content_type"] == "application/json"
    payload = sink.received[0]["json"]
    run_id = failed_run.run.run_id
    assert payload["run_id"] == run_id and payload["job_name"] == "season_pipeline" and payload["status"] == "FAILURE"
    assert payload["failing_step"] in failed_steps
    assert {s["step_key"] for s in payload["failed_steps"]} == failed_steps
    assert str(failed_run.season) in payload["error"] and "nothing stored changed" in payload["error"]
    assert payload["partition"] == str(failed_run.season)
    assert payload["run_url"] == f"http://dagster.example:3000/runs/{run_id}"
    # The Slack-style one-liner names the run, the job, the step and the error.
    text = payload["text"]
    assert (
        run_id[:8] in text
        and "season_pipeline" in text
        and payload["failing_step"] in text
        and str(failed_run.season) in text
    )

    # DuckDB: the failed season wrote nothing; the stored season is exactly as before.
    assert _versions(failed_run.db) == failed_run.stored_before
    assert {season for _, season, _, _ in failed_run.stored_before} == {STORED_SEASON}


@pytest.mark.integration
def test_without_a_webhook_the_alert_is_logged(failed_run, monkeypatch, caplog):
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger=alerts.__name__):
        _evaluate_sensor(failed_run)
    logged = [r.getMessage() for r in caplog.records if r.name == alerts.__name__]
    assert len(logged) == 1
    assert f"{alerts.WEBHOOK_ENV} is unset" in logged[0] and failed_run.run.run_id in logged[0]


@pytest.mark.integration
def test_a_failing_webhook_fails_the_tick_so_the_alert_is_retried(failed_run, monkeypatch):
    with WebhookSink(status=503) as sink:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, sink.url)
        monkeypatch.setattr(alerts.time, "sleep", lambda s: None)
        with pytest.raises(AlertDeliveryError, match="HTTP 503"):
            _evaluate_sensor(failed_run)
    assert len(sink.received) == 3  # 5xx is retried, then the tick fails and Dagster evaluates the run again


@pytest.mark.unit
def test_a_run_that_failed_before_any_step_still_says_why():
    run = dg.DagsterRun(
        job_name="season_pipeline",
        run_id="0123456789abcdef",
        status=dg.DagsterRunStatus.FAILURE,
        tags={"dagster/partition": "2019"},
    )
    payload = failure_payload(run, [], "Run worker exited unexpectedly (OOM killed).", None)
    assert payload["failing_step"] is None and payload["failed_steps"] == []
    assert payload["error"] == "Run worker exited unexpectedly (OOM killed)."
    assert "before or between steps" in payload["text"] and "01234567" in payload["text"]
    assert payload["run_url"] is None


@pytest.mark.unit
def test_a_run_launched_from_the_asset_catalog_is_named_by_its_assets_not_dagsters_implicit_job():
    run = dg.DagsterRun(
        job_name="__ASSET_JOB",
        run_id="1e535e96ffff",
        status=dg.DagsterRunStatus.FAILURE,
        asset_selection=frozenset(dg.AssetKey(k) for k in ("team_season_risk", "standings", "dead_cap")),
        tags={
            "dagster/asset_partition_range_start": "2026",
            "dagster/asset_partition_range_end": "2026",
            "dagster/backfill": "rzjlkuxu",
        },
    )
    payload = failure_payload(
        run, [{"step_key": "standings", "error_type": "Failure", "error": "standings season 2026: offline"}], None
    )
    assert payload["text"] == (
        "Dagster run 1e535e96 of assets dead_cap, standings, team_season_risk (season 2026, backfill rzjlkuxu) "
        "failed at step `standings`: standings season 2026: offline"
    )
    assert payload["target"] == "assets dead_cap, standings, team_season_risk" and payload["job_name"] == "__ASSET_JOB"
