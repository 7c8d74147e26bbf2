"""The production topology, without containers: PostgreSQL storage, a gRPC code server, the webserver
and the daemon as separate processes, with the deployment's own instance configuration.

Proves the uses the platform exists for, through the same doors people use: a season-range
backfill launched through the GraphQL API (and surviving a killed daemon), the daily schedule's
tick, and an alert when a run fails. Every test asserts in DuckDB and in Dagster's run storage.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml

from analytics_assets.partitions import LEAGUE_TIMEZONE, season_in_progress
from analytics_assets.run_tags import BACKFILL_TAG, PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG
from analytics_tests.support.deploy import (
    DEPLOY,
    LOCATION,
    PG_PASSWORD,
    PG_USER,
    REPO,
    fresh_database,
    postgres_unreachable_reason,
    read_duckdb,
    wait_for,
)

SEASON_ASSETS = ("standings", "dead_cap", "team_season_risk")
BACKFILL_FIRST, BACKFILL_LAST = 2011, 2013  # one run per season: three runs across the daemon's restart
SCHEDULE = "daily_season_refresh"
SCHEDULE_NAME_TAG = "dagster/schedule_name"  # Dagster's tag on a schedule's runs (the runs are found by it below)
REPOSITORY = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""

BACKFILL_STATUS = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""

SENSOR_TICKS = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 1) { tickId } } }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""

SCHEDULE_STATE = """
query Schedule($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      scheduleState {
        status typeSpecificData { ... on ScheduleData { startTimestamp } } ticks(limit: 5) { status timestamp runIds }
      }
    }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""

LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""


def _query(db: Path, sql: str, params=None) -> list[tuple]:
    return read_duckdb(db, sql, params)


def _versions(db: Path, season: int) -> list[tuple]:
    """What is stored for a season: (table, content hash, writing run) per table."""
    return read_duckdb(
        db,
        "SELECT table_name, content_sha256, run_id FROM nfl.partition_versions WHERE season = ? ORDER BY 1",
        [season],
    )


def _runs(instance, **tags) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(tags=tags)))


def _backfill_status(deployment, backfill_id: str) -> str:
    found = deployment.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
    assert found["__typename"] == "PartitionBackfill", found
    return found["status"]


def _schedule_state(deployment, name: str) -> dict:
    """The schedule's state as the webserver serves it: status, stored start (None until stored) and last ticks."""
    found = deployment.graphql(SCHEDULE_STATE, {"selector": {**REPOSITORY, "scheduleName": name}})["scheduleOrError"]
    assert found["__typename"] == "Schedule", found
    state = found["scheduleState"]
    return {"status": state["status"], "start": state["typeSpecificData"]["startTimestamp"], "ticks": state["ticks"]}


# --- the two instance files ---------------------------------------------------------------------


def _differences(a, b, path=()) -> list[tuple[str, ...]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), (*path, key))
        return out
    return [] if a == b else [path]


@pytest.mark.unit
def test_local_instance_differs_from_the_compose_one_only_in_run_launcher_and_hostnames():
    compose = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    local = yaml.safe_load((DEPLOY / "dagster.local-processes.yaml").read_text())
    differences = _differences(compose, local)
    assert differences, "the files are identical"
    for path in differences:
        assert path[0] == "run_launcher" or path[-1] == "hostname", f"unexpected difference at {'.'.join(path)}"
    assert compose["storage"]["postgres"]["postgres_db"]["hostname"] == "postgres"
    assert local["storage"]["postgres"]["postgres_db"]["hostname"] == "127.0.0.1"
    assert compose["run_launcher"]["class"] == "DockerRunLauncher"
    assert local["run_launcher"]["class"] == "DefaultRunLauncher"


@pytest.mark.unit
def test_compose_instance_is_valid_dagster_config_with_queue_pools_and_retries(monkeypatch, tmp_path):
    """Dagster loads the compose instance file (its PostgreSQL host aside) into an instance: every part
    of it is validated against its class's config schema and built, the Docker run launcher included."""
    from dagster_docker import DockerRunLauncher

    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    text = (DEPLOY / "dagster.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"]["enabled"] and config["run_retries"]["max_retries"] >= 1
    volumes = config["run_launcher"]["config"]["container_kwargs"]["volumes"]
    assert any(v.startswith("nfl_analytics_data:") for v in volumes), "runs must see the shared DuckDB volume"
    # No credential in the file: every PostgreSQL secret comes from the environment.
    pg = config["storage"]["postgres"]["postgres_db"]
    assert pg["username"] == {"env": "DAGSTER_PG_USERNAME"} and pg["password"] == {"env": "DAGSTER_PG_PASSWORD"}

    # The compose service's hostname is the one thing this machine cannot resolve: PostgreSQL here instead.
    assert text.count("hostname: postgres\n") == 1
    local = text.replace("hostname: postgres\n", "hostname: 127.0.0.1\n")
    bad_launcher = local.replace("    networks:\n", "    network_names:\n")
    assert bad_launcher != local
    with fresh_database() as database:
        for var, value in {
            "DAGSTER_PG_USERNAME": PG_USER,
            "DAGSTER_PG_PASSWORD": PG_PASSWORD,
            "DAGSTER_PG_DB": database,
        }.items():
            monkeypatch.setenv(var, value)
        (tmp_path / "dagster.yaml").write_text(local)
        with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
            assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
            assert isinstance(instance.run_launcher, DockerRunLauncher)
            assert instance.run_launcher.networks == ["nfl_dagster"]
            assert (
                instance.run_retries_enabled
                and instance.run_retries_max_retries == config["run_retries"]["max_retries"]
            )
        # A launcher setting Dagster does not know is refused: the check above can fail.
        (tmp_path / "dagster.yaml").write_text(bad_launcher)
        with (
            dg.DagsterInstance.from_config(str(tmp_path)) as instance,
            pytest.raises(dg.DagsterInvalidConfigError, match="network_names"),
        ):
            instance.run_launcher  # noqa: B018 (built on first use)


@pytest.mark.unit
def test_compose_file_wires_the_services_volumes_and_credentials():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "user_code", "webserver", "daemon"} <= set(services)
    for name in ("postgres", "user_code", "webserver", "daemon"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
        assert services[name].get("restart"), f"{name} has no restart policy"
    # Only the authenticating proxy is published; the webservers sit behind it on the compose network.
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert (
        "--read-only" in services["webserver_readonly"]["command"]
        and "--read-only" not in services["webserver"]["command"]
    )
    assert not any("docker.sock" in str(v) for v in services["webserver_readonly"]["volumes"])
    assert (
        "nfl_audit_log:/audit:ro"
        in yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["config"]["container_kwargs"][
            "volumes"
        ]
    )
    assert services["webserver"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["daemon"]["depends_on"]["user_code"]["condition"] == "service_healthy"
    mounts = " ".join(str(v) for v in services["user_code"]["volumes"])
    assert "nfl_analytics_data:/data" in mounts
    assert compose["volumes"]["nfl_analytics_data"]["name"] == "nfl_analytics_data"
    assert compose["networks"]["nfl_dagster"]["name"] == "nfl_dagster"
    text = (REPO / "docker-compose.yml").read_text()
    for secret in re.findall(r"(?:PASSWORD|USERNAME|USER)\s*:\s*(\S+)", text):
        assert secret.startswith("${"), f"hard-coded credential in docker-compose.yml: {secret}"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile and "COPY deploy/dagster.yaml" in dockerfile


@pytest.mark.unit
def test_every_setting_variable_reaches_the_code_location_and_every_run_container():
    """A variable the code location binds as dg.EnvVar is read again in the run's container: it must be passed there."""
    from analytics_tests.support.settings import setting_variables

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    passed_to_services = set(compose["x-dagster-env"])
    launcher = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["config"]
    passed_to_runs = set(launcher["env_vars"])
    example = (DEPLOY / ".env.example").read_text()
    for var in setting_variables():
        assert var in passed_to_services, f"docker-compose.yml x-dagster-env lacks {var}"
        assert var in passed_to_runs, f"deploy/dagster.yaml run_launcher env_vars lacks {var}"
        assert (
            var in example
            or var in compose["x-dagster-env"]
            and not str(compose["x-dagster-env"][var]).startswith("${")
        ), var


def _apt_installs(dockerfile: Path) -> list[str]:
    """Every package named by an `apt-get install` in a Dockerfile (continuation lines joined)."""
    text = dockerfile.read_text().replace("\\\n", " ")
    packages = []
    for command in re.findall(r"apt-get install ([^&\n]*)", text):
        packages += [word for word in command.split() if not word.startswith("-")]
    return packages


@pytest.mark.unit
def test_images_take_their_base_as_an_argument_and_pin_what_they_install():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    dockerfiles = {
        "project": REPO / "Dockerfile",
        "postgres": DEPLOY / "postgres" / "Dockerfile",
        "python base": DEPLOY / "images" / "python.Dockerfile",
        "proxy": DEPLOY / "proxy" / "Dockerfile",
    }
    for name, dockerfile in dockerfiles.items():
        text = dockerfile.read_text()
        assert re.search(r"^ARG BASE_IMAGE=\S+$", text, re.M) and "FROM ${BASE_IMAGE}" in text, name
        packages = _apt_installs(dockerfile)
        unpinned = [p for p in packages if "=" not in p]
        assert not unpinned, f"{name}: unpinned Debian packages {unpinned}"
    assert _apt_installs(dockerfiles["postgres"]) and _apt_installs(dockerfiles["python base"])
    project = (REPO / "Dockerfile").read_text()
    assert re.search(r"pip install \S* ?uv==\$\{UV_VERSION\}", project) and re.search(
        r"^ARG UV_VERSION=\d+\.\d+\.\d+$", project, re.M
    )
    assert "--frozen" in project and "pip install" not in project.replace("pip install --no-cache-dir uv==", "")
    # Compose passes the bases through; PostgreSQL is built from Debian's package, not pulled.
    assert compose["user_code"]["build"]["args"]["BASE_IMAGE"].startswith("${ANALYTICS_BASE_IMAGE:-")
    assert compose["postgres"]["build"]["context"] == "deploy/postgres"
    assert compose["postgres"]["build"]["args"]["BASE_IMAGE"].startswith("${POSTGRES_BASE_IMAGE:-")
    # The code location's module is named once for the deployment: the image's default command.
    assert "command" not in compose["user_code"] and "analytics_assets.definitions" in project
    # A CA bundle staged for a build is never committed.
    assert (DEPLOY / "build-ca" / ".gitignore").read_text().splitlines()[-2:] == ["*", "!.gitignore"]


def _compose_client() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.integration
def test_compose_file_validates_with_the_compose_client(tmp_path):
    """`compose config` parses, validates and interpolates the file; it needs no Docker engine."""
    client = _compose_client()
    if client is None:
        pytest.skip(
            "no Docker Compose client (docker compose or docker-compose); .ci/run installs Debian's docker-compose"
        )
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    base = [*client, "--env-file", str(env_file), "-f", str(REPO / "docker-compose.yml")]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "ANALYTICS_", "PFR_", "SPOTRAC_"))}

    refused = subprocess.run([*base, "config"], env=clean, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "set DAGSTER_PG_" in refused.stderr + refused.stdout

    env = {**clean, "DAGSTER_PG_USERNAME": "dagster", "DAGSTER_PG_PASSWORD": "from-the-env"}
    resolved = subprocess.run([*base, "config"], env=env, capture_output=True, text=True, timeout=60)
    assert resolved.returncode == 0, resolved.stderr
    config = yaml.safe_load(resolved.stdout)
    assert config["services"]["daemon"]["environment"]["DAGSTER_PG_PASSWORD"] == "from-the-env"
    assert (
        config["services"]["user_code"]["environment"]["DAGSTER_CURRENT_IMAGE"]
        == config["services"]["user_code"]["image"]
    )
    # Only the proxy is published, on port 8443 by default (long or short port syntax).
    assert [name for name, service in config["services"].items() if service.get("ports")] == ["proxy"]
    published = config["services"]["proxy"]["ports"][0]
    if isinstance(published, dict):
        assert (str(published.get("published")), str(published.get("target"))) == ("8443", "8443")
    else:
        assert published.split("/")[0].endswith(":8443:8443")


# --- the running topology -----------------------------------------------------------------------


@pytest.mark.deploy
@pytest.mark.slow
def test_season_backfill_through_graphql_survives_a_killed_daemon(deployment):
    instance = deployment.instance()
    db = deployment.duckdb_path
    seasons = list(range(BACKFILL_FIRST, BACKFILL_LAST + 1))
    assert not _query(
        db, "SELECT 1 FROM nfl.standings WHERE season BETWEEN ? AND ? LIMIT 1", [BACKFILL_FIRST, BACKFILL_LAST]
    )

    started = time.monotonic()
    params = {
        "partitionsByAssets": [
            {
                "assetKey": {"path": [name]},
                "partitions": {"range": {"start": str(BACKFILL_FIRST), "end": str(BACKFILL_LAST)}},
            }
            for name in SEASON_ASSETS
        ],
        "tags": [{"key": "trigger", "value": "deployment-test"}],
    }
    launched = deployment.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    # As soon as the daemon has created the backfill's run, kill it, the way a host crash would.
    first_runs = wait_for(
        lambda: _runs(instance, **{BACKFILL_TAG: backfill_id}),
        900,
        "the backfill's run",
        on_timeout=deployment.logs_tail,
    )
    deployment.kill("daemon", sig=signal.SIGKILL)
    status_at_kill = first_runs[0].status
    assert _backfill_status(deployment, backfill_id) == "REQUESTED"

    deployment.restart_daemon()
    status = wait_for(
        lambda: (s := _backfill_status(deployment, backfill_id)) != "REQUESTED" and s,
        900,
        "the backfill to complete after the daemon restart",
        on_timeout=deployment.logs_tail,
    )
    wall = time.monotonic() - started
    print(
        f"\nbackfill {backfill_id} {BACKFILL_FIRST}-{BACKFILL_LAST}: {wall:.1f} s through the daemon (run was "
        f"{status_at_kill.value} when the daemon was killed)"
    )
    assert status == "COMPLETED_SUCCESS", deployment.logs_tail()

    # Run storage: one run per season (a season's failure is its own), no duplicate after the restart.
    runs = _runs(instance, **{BACKFILL_TAG: backfill_id})
    by_season = {}
    for run in runs:
        start, end = run.tags.get(PARTITION_RANGE_START_TAG), run.tags.get(PARTITION_RANGE_END_TAG)
        season = run.tags.get(PARTITION_TAG) or start
        assert start == end, (run.run_id, start, end)  # never a range
        assert season not in by_season, f"two runs of {season}: {run.run_id}, {by_season[season].run_id}"
        by_season[season] = run
    assert sorted(by_season) == [str(s) for s in seasons], sorted(by_season)
    assert all(run.status == dg.DagsterRunStatus.SUCCESS and run.tags["trigger"] == "deployment-test" for run in runs)
    for run in runs:
        enqueued = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED).records
        assert enqueued, f"run {run.run_id} did not go through the queued run coordinator"
    for pool in ("duckdb", "pfr"):  # one step at a time across all runs
        assert instance.event_log_storage.get_concurrency_info(pool).limit == 1, pool
    for name in SEASON_ASSETS:
        materialized = instance.get_materialized_partitions(dg.AssetKey(name))
        assert {str(s) for s in seasons} <= materialized, name
    record = instance.fetch_materializations(dg.AssetKey("standings"), limit=1).records[0]
    metadata = record.asset_materialization.metadata
    assert {"dagster/row_count", "dagster/column_schema", "preview"} <= set(metadata)

    # DuckDB: 32 teams per season per table, no duplicate rows, every season written by that run.
    for table in SEASON_ASSETS:
        counts = _query(
            db,
            f"SELECT season, count(*), count(DISTINCT team) FROM nfl.{table} WHERE season BETWEEN ? AND ? GROUP BY "
            f"season ORDER BY season",
            [BACKFILL_FIRST, BACKFILL_LAST],
        )
        assert counts == [(s, 32, 32) for s in seasons], table
        writers = _query(
            db,
            "SELECT season, run_id FROM nfl.partition_versions WHERE table_name = ? AND season BETWEEN ? AND ? ORDER "
            "BY season",
            [table, BACKFILL_FIRST, BACKFILL_LAST],
        )
        for (
            season,
            writer,
        ) in writers:  # a season's risk rows: its own run's, or the next season's (which rewrites them)
            allowed = {by_season[str(season)].run_id} | (
                {by_season[str(season + 1)].run_id}
                if table == "team_season_risk" and str(season + 1) in by_season
                else set()
            )
            assert writer in allowed, (table, season, writer)
        assert [w[0] for w in writers] == seasons, table

    # Each run's logs reached the code server's stdout as JSON lines carrying the run and its season.
    lines = [
        json.loads(line) for line in deployment.log_path("code_server").read_text().splitlines() if line.startswith("{")
    ]
    for season, run in by_season.items():
        mine = [line for line in lines if line.get("run_id") == run.run_id]
        assert mine and {line.get("partition") for line in mine} == {season}, (
            season,
            {line.get("partition") for line in mine},
        )


def _sensor_ticked(deployment, name: str) -> bool:
    found = deployment.graphql(SENSOR_TICKS, {"selector": {**REPOSITORY, "sensorName": name}})["sensorOrError"]
    assert found["__typename"] == "Sensor", found
    return bool(found["sensorState"]["ticks"])


@pytest.mark.deploy
def test_failed_run_is_alerted_by_the_daemon_and_not_retried(deployment):
    """A run for the season in progress fails (its live sources are unreachable from here, the way a
    blocked source looks); the deployed sensor posts the alert; stored seasons are untouched."""
    instance = deployment.instance()
    db = deployment.duckdb_path
    season = season_in_progress()
    wait_for(
        lambda: _sensor_ticked(deployment, "alert_on_run_failure"),
        900,
        "the alert sensor's first tick",
        on_timeout=deployment.logs_tail,
    )
    stored_before = {s: _versions(db, s) for s in (BACKFILL_FIRST, BACKFILL_LAST)}

    params = {
        "selector": {**REPOSITORY, "jobName": "season_pipeline"},
        "executionMetadata": {
            "tags": [{"key": PARTITION_TAG, "value": str(season)}, {"key": "trigger", "value": "deployment-test"}]
        },
    }
    launched = deployment.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    run = deployment.wait_run_finished(run_id, 120)

    assert run.status == dg.DagsterRunStatus.FAILURE
    failures = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    failed_steps = {r.event_log_entry.dagster_event.step_key for r in failures}
    assert failed_steps and failed_steps <= {"standings", "dead_cap"}

    alerts = wait_for(
        lambda: deployment.webhook.payloads_for(run_id), 900, "the alert webhook POST", on_timeout=deployment.logs_tail
    )
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["job_name"] == "season_pipeline" and alert["status"] == "FAILURE"
    assert alert["failing_step"] in failed_steps and {s["step_key"] for s in alert["failed_steps"]} == failed_steps
    assert str(season) in alert["error"] and alert["error"] in {s["error"] for s in alert["failed_steps"]}
    assert alert["partition"] == str(season)
    assert alert["run_url"] == f"{deployment.url}/runs/{run_id}"
    assert run_id[:8] in alert["text"] and alert["failing_step"] in alert["text"]

    # A failure inside a step is final (retry_on_asset_or_op_failure: false): Dagster records its
    # decision on the run (the will_retry tag, or the retry pass's engine event), and no retry run exists.
    def declined():
        run = instance.get_run_by_id(run_id)
        if run is not None and run.tags.get("dagster/will_retry") == "false":
            return "tag"
        events = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
        return any("Not retrying run" in (e.event_log_entry.user_message or "") for e in events) and "event"

    wait_for(declined, 600, "Dagster's decision not to retry the run", on_timeout=deployment.logs_tail)
    assert not _runs(instance, **{"dagster/parent_run_id": run_id})
    # DuckDB: nothing of the failed season, and the stored seasons exactly as they were.
    assert _versions(db, season) == []
    assert {s: _versions(db, s) for s in stored_before} == stored_before


def _last_daily_tick(now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(LEAGUE_TIMEZONE))
    tick = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return tick if tick <= local else (tick - timedelta(days=1)).replace(hour=9)


@pytest.mark.deploy
@pytest.mark.slow
def test_daily_schedule_tick_launches_the_season_in_progress(deployment):
    """The daemon was down at 09:00 New York time; when it comes back it runs the missed daily tick."""
    if shutil.which("faketime") is None:
        pytest.skip("faketime is absent: .ci/run installs Debian's faketime")
    instance = deployment.instance()
    tick_time = _last_daily_tick(datetime.now(ZoneInfo("UTC")))
    expected = str(season_in_progress(tick_time))

    # The schedule is RUNNING by default: the daemon records its state, with its start, on its first pass.
    state = wait_for(
        lambda: (s := _schedule_state(deployment, SCHEDULE))["start"] and s,
        900,
        "the daemon to record the daily schedule",
        on_timeout=deployment.logs_tail,
    )
    assert state["status"] == "RUNNING"

    # Down since an hour before the tick: with the daemon stopped, the schedule is started again
    # (dagster schedule stop/start) by a CLI whose clock reads that hour.
    deployment.kill("daemon", sig=signal.SIGKILL)
    down_since = tick_time - timedelta(hours=1)
    deployment.start_schedule_at(SCHEDULE, down_since)
    state = _schedule_state(deployment, SCHEDULE)
    assert state["status"] == "RUNNING" and down_since.timestamp() <= state["start"] < tick_time.timestamp(), state
    deployment.restart_daemon()

    runs = wait_for(
        lambda: _runs(instance, **{SCHEDULE_NAME_TAG: SCHEDULE}),
        900,
        "the schedule's run",
        on_timeout=deployment.logs_tail,
    )
    assert len(runs) == 1
    run = runs[0]
    assert run.job_name == "season_pipeline"
    assert run.tags[PARTITION_TAG] == expected
    assert run.tags["trigger"] == SCHEDULE
    assert run.tags["dagster/run_key"] == f"daily-{expected}-{tick_time:%Y-%m-%d}"

    def tick_recorded():
        return [
            t
            for t in _schedule_state(deployment, SCHEDULE)["ticks"]
            if t["status"] == "SUCCESS" and run.run_id in t["runIds"]
        ]

    (tick,) = wait_for(
        tick_recorded,
        900,
        "the schedule tick to be recorded",
        on_timeout=lambda: repr(_schedule_state(deployment, SCHEDULE)),
    )
    assert abs(tick["timestamp"] - tick_time.timestamp()) < 1, (
        datetime.fromtimestamp(tick["timestamp"], ZoneInfo(LEAGUE_TIMEZONE)),
        tick_time,
    )

    # The run may fail here (the season in progress comes from live sites, unreachable from this
    # machine); either way DuckDB holds all of the season or none of it.
    finished = deployment.wait_run_finished(run.run_id, 180)
    print(
        f"\nschedule tick {tick_time:%Y-%m-%d %H:%M %Z}: run {run.run_id} for season {expected} ended "
        f"{finished.status.value}"
    )
    found = _query(deployment.duckdb_path, "SELECT count(*) FROM nfl.standings WHERE season = ?", [int(expected)])
    rows = found[0][0] if found else 0
    if finished.status == dg.DagsterRunStatus.SUCCESS:
        assert rows == 32
    else:
        assert finished.status == dg.DagsterRunStatus.FAILURE and rows == 0
        wait_for(lambda: deployment.webhook.payloads_for(run.run_id), 900, "the alert for the failed scheduled run")
