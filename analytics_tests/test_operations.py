"""Structured JSON logs (as deploy/dagster.yaml configures them) and the season-in-progress freshness policy."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml

from analytics_assets.definitions import defs
from analytics_assets.defs.monitoring.freshness import SEASON_ASSETS, SEASON_IN_PROGRESS_FRESHNESS
from analytics_assets.json_logs import JsonFormatter, scrape_fields
from analytics_assets.partitions import LEAGUE_TIMEZONE, season_partitions
from analytics_tests.support.deploy import DEPLOY


@pytest.mark.unit
def test_plain_record_with_scrape_fields_is_one_json_line():
    record = logging.makeLogRecord(
        {
            "name": "analytics_assets.ingestion.http",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "retrying %s",
            "args": ("pfr",),
        }
    )
    for key, value in scrape_fields(
        season=2026, source="pfr", url="https://example.test/years/2026/", attempt=2, status=503
    ).items():
        setattr(record, key, value)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert (
        data["message"] == "retrying pfr"
        and data["level"] == "WARNING"
        and data["logger"] == "analytics_assets.ingestion.http"
    )
    assert (data["season"], data["source"], data["url"], data["attempt"], data["status"]) == (
        2026,
        "pfr",
        "https://example.test/years/2026/",
        2,
        503,
    )
    assert list(data)[:4] == ["ts", "level", "logger", "message"]


@dg.asset(partitions_def=season_partitions)
def fetch_probe(context) -> None:
    """Logs like the scraper does: through Dagster's logger and through a managed Python logger."""
    context.log.info(
        "fetched page",
        extra=scrape_fields(
            season=int(context.partition_key), source="pfr", url="http://127.0.0.1:9/years/2019/", attempt=1
        ),
    )
    logging.getLogger("analytics_assets.ingestion.live").warning(
        "page missing table",
        extra=scrape_fields(
            season=int(context.partition_key), source="spotrac", url="http://127.0.0.1:9/nfl/cap/2019/", attempt=3
        ),
    )


# Dagster flags yaml-defined log handlers as beta; the deployment relies on them knowingly.
@pytest.mark.filterwarnings("ignore:Handling yaml-defined logging:dagster.BetaWarning")
@pytest.mark.integration
def test_deployment_logging_config_writes_json_lines_with_run_step_and_scrape_fields(tmp_path: Path):
    # The python_logs section of the deployment's instance, with the handler pointed at a file.
    python_logs = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["python_logs"]
    log_file = tmp_path / "run.jsonl"
    python_logs["dagster_handler_config"]["handlers"]["json_stdout"] = {
        "class": "logging.FileHandler",
        "level": "INFO",
        "filename": str(log_file),
        "formatter": "json",
    }
    with dg.instance_for_test(overrides={"python_logs": python_logs}) as instance:
        result = dg.materialize([fetch_probe], partition_key="2019", instance=instance)
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert lines and all(line["run_id"] == result.run_id for line in lines)
    by_message = {line["message"]: line for line in lines}
    fetched = by_message["fetched page"]
    assert (fetched["season"], fetched["source"], fetched["url"], fetched["attempt"]) == (
        2019,
        "pfr",
        "http://127.0.0.1:9/years/2019/",
        1,
    )
    assert fetched["step"] == "fetch_probe" and fetched["partition"] == "2019" and fetched["level"] == "INFO"
    missing = by_message["page missing table"]
    assert (missing["source"], missing["attempt"], missing["level"]) == ("spotrac", 3, "WARNING")


@pytest.mark.unit
def test_season_assets_carry_the_season_in_progress_freshness_policy():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        if key.to_user_string() in SEASON_ASSETS:
            assert policy == SEASON_IN_PROGRESS_FRESHNESS, key
    policy = SEASON_IN_PROGRESS_FRESHNESS
    assert isinstance(policy, dg.FreshnessPolicy)
    # Refreshed by 11:00 New York time, counting materializations since the 09:00 schedule.
    assert policy.deadline_cron == "0 11 * * *" and policy.timezone == LEAGUE_TIMEZONE
    assert policy.lower_bound_delta == timedelta(hours=2)


SEEN: dict[str, dg.PartitionKeyRange] = {}


@dg.asset(partitions_def=season_partitions)
def partition_probe(context) -> None:
    """Records the seasons Dagster hands the step."""
    SEEN["seasons"] = context.partition_key_range


@pytest.mark.integration
def test_run_tags_spell_dagsters_own_tags():
    """run_tags.py spells Dagster's tags; here Dagster itself writes and reads them."""
    from analytics_assets import run_tags

    # Dagster's implicit asset job: what the UI launches from an asset's page, and what asset backfills
    # and automation conditions run.
    job = dg.Definitions(assets=[partition_probe]).resolve_implicit_global_asset_job_def()
    assert defs.resolve_implicit_global_asset_job_def().name == job.name == run_tags.IMPLICIT_ASSET_JOB
    with dg.instance_for_test() as instance:
        # One season: Dagster writes the partition tag on the run.
        one = job.execute_in_process(partition_key="2019", instance=instance)
        run = instance.get_run_by_id(one.run_id)
        assert run is not None and run.job_name == run_tags.IMPLICIT_ASSET_JOB
        assert run.tags[run_tags.PARTITION_TAG] == "2019"
        assert SEEN["seasons"] == dg.PartitionKeyRange("2019", "2019")
        # A range (make run sets these tags; a backfill's single run carries them): Dagster reads them
        # as the seasons of the run, and without both it refuses the run.
        job.execute_in_process(
            tags={run_tags.PARTITION_RANGE_START_TAG: "2019", run_tags.PARTITION_RANGE_END_TAG: "2021"},
            instance=instance,
        )
        assert SEEN["seasons"] == dg.PartitionKeyRange("2019", "2021")
        assert instance.get_materialized_partitions(dg.AssetKey("partition_probe")) == {"2019", "2020", "2021"}
        with pytest.raises(dg.DagsterInvariantViolationError):
            job.execute_in_process(tags={run_tags.PARTITION_RANGE_START_TAG: "2019"}, instance=instance)


@pytest.mark.integration
def test_a_backfills_runs_carry_the_backfill_tag(tmp_path: Path):
    """A backfill of season_pipeline with `dagster job backfill`: its run, queued (no daemon here) on a
    temporary instance, carries the backfill's id under run_tags.BACKFILL_TAG."""
    from analytics_assets import run_tags

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster\n  class: QueuedRunCoordinator\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    cli = [
        str(Path(sys.executable).parent / "dagster"),
        "job",
        "backfill",
        "-m",
        "analytics_assets.definitions",
        "-j",
        "season_pipeline",
    ]
    done = subprocess.run(
        [*cli, "--partitions", "2019", "--noprompt"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    launched = re.search(r"Launched backfill job `(\w+)`", done.stdout)
    assert launched, done.stdout
    backfill_id = launched.group(1)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert [
        (r.job_name, r.status, r.tags.get(run_tags.BACKFILL_TAG), r.tags.get(run_tags.PARTITION_TAG)) for r in runs
    ] == [("season_pipeline", dg.DagsterRunStatus.QUEUED, backfill_id, "2019")]
