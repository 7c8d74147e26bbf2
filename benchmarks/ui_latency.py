"""Latency in the UI: what a user waits for after a click, through the real webserver and daemon.

`make dev`'s processes (`dg dev`: the webserver, the daemon, the code server) on a temporary
instance and DuckDB file; every launch is the GraphQL mutation the UI sends when the user clicks
(LaunchRun for one season from the job page, LaunchPartitionBackfill for a range from the asset
page). Measured from the moment the mutation is sent to the moment the webserver reports the run
(or backfill) done, against the runs' own durations from Dagster's run records:

- one season materialized: click to run success, and the run itself, with where the wait went
  (the webserver creating the run, the run queue, the run worker's process start);
- a 15-season backfill, which is 15 runs (one season per run): launch to backfill completed,
  against its runs from the first one's start to the last one's end;
- charts and report: from the end of a run that changed a season to the end of the automation
  sensor's run that rebuilt them; from the end of the backfill's last run to the end of the last
  rebuild it caused; and whether storing identical rows again starts any rebuild.

(A range of seasons as one run with the range tags is refused by every season step, so there is
no such launch to measure.)

Usage: python benchmarks/ui_latency.py [--config PATH] [--from 2011 --to 2025] (prints JSON);
`benchmarks/run.py --only ui` runs it with the repo's instance config and with Dagster's defaults
for the same settings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SEASON = 2024
FIRST, LAST = 2011, 2025
SEASON_ASSETS = ("standings", "dead_cap", "team_season_risk")
AUTOMATION_SENSOR = "all_seasons_outputs_automation"

LAUNCH_RUN = """mutation($p: ExecutionParams!) { launchPipelineExecution(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on InvalidSubsetError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
LAUNCH_BACKFILL = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
RUN_STATUS = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status startTime endTime } } }"""
BACKFILL_STATUS = """query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { __typename ... on PartitionBackfill { status } } }"""
RUNS = """query($f: RunsFilter) { runsOrError(filter: $f, limit: 50) {
  ... on Runs { results { runId status startTime endTime tags { key value } } } } }"""

# Dagster's defaults for the settings deploy/dagster.local.yaml changes (the "before" side).
DAGSTER_DEFAULTS_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`make dev` (scripts/dev_server.py around dg dev) on a temporary instance, DuckDB file and outputs
    (`env` overrides the environment, e.g. the sources)."""

    def __init__(self, root: Path, config: str, env: dict[str, str] | None = None):
        self.root = root
        self.port = _free_port()
        home = root / "home"
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text(config)
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "ANALYTICS_DUCKDB_PATH": str(root / "analytics.duckdb"),
            "ANALYTICS_OUTPUT_DIR": str(root / "reports"),
            "ANALYTICS_ARCHIVE_DIR": str(root / "archive"),
            "ANALYTICS_LANDING_DIR": str(root / "landing"),
            "ANALYTICS_SOURCE": "embedded",  # completed seasons only: no network
            "VIRTUAL_ENV": str(VENV_BIN.parent),
            **(env or {}),
        }
        self.log = (root / "dev.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "scripts" / "dev_server.py"),
                "--",
                str(VENV_BIN / "dg"),
                "dev",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_up(self, timeout: float = 600) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dg dev exited: see {self.root / 'dev.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        # The code location is loaded once the repository answers.
        while time.monotonic() - started < timeout:
            data = self.gql("query { repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }")
            if data.get("repositoriesOrError", {}).get("nodes"):
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError("the code location did not load")

    def gql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.loads(r.read())
        if out.get("errors"):
            raise RuntimeError(out["errors"])
        return out["data"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _wait_run(server: Server, run_id: str, timeout: float = 300) -> dict:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        run = server.gql(RUN_STATUS, {"id": run_id})["runOrError"]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            if run["status"] != "SUCCESS":
                raise RuntimeError(f"run {run_id} ended {run['status']}")
            return run
        time.sleep(0.1)
    raise RuntimeError(f"run {run_id} did not finish in {timeout} s")


def launch_run(server: Server, tags: dict[str, str]) -> dict:
    """The click on "Materialize" (or "Launch run") on the season_pipeline job page with these tags."""
    params = {
        "selector": {
            "repositoryLocationName": "analytics_assets",
            "repositoryName": "__repository__",
            "pipelineName": "season_pipeline",
        },
        "mode": "default",
        "runConfigData": "{}",
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    clicked = time.time()
    out = server.gql(LAUNCH_RUN, {"p": params})["launchPipelineExecution"]
    if out["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(out)
    run = _wait_run(server, out["run"]["runId"])
    done = time.time()
    return {
        "run_id": out["run"]["runId"],
        "clicked": clicked,
        "click_to_done_s": done - clicked,
        "run_s": run["endTime"] - run["startTime"],
        "queued_s": run["startTime"] - clicked,
        "run_end": run["endTime"],
    }


def launch_season(server: Server, season: int) -> dict:
    """One season, as the job page's partition picker launches it."""
    return launch_run(server, {"dagster/partition": str(season)})


def run_phases(home: Path, runs: dict[str, dict]) -> None:
    """Where the wait before each run went, from the instance's records (seconds after the click):
    the run created and queued by the webserver, dequeued by the daemon, the run worker's process
    up (its first event), the run started."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    try:
        for result in runs.values():
            marks: dict[str, float] = {}
            for entry in instance.all_logs(result["run_id"]):
                kind = entry.dagster_event.event_type_value if entry.dagster_event else None
                if kind == "PIPELINE_ENQUEUED":
                    marks.setdefault("queued", entry.timestamp)
                elif kind == "PIPELINE_STARTING":
                    marks.setdefault("dequeued", entry.timestamp)
                elif kind == "ENGINE_EVENT" and "dequeued" in marks:
                    marks.setdefault("worker_up", entry.timestamp)
                elif kind == "PIPELINE_START":
                    marks.setdefault("started", entry.timestamp)
            result["phases_s"] = {k: round(v - result["clicked"], 3) for k, v in marks.items()}
    finally:
        instance.dispose()


def launch_backfill(server: Server, first: int, last: int) -> dict:
    """The click on "Launch backfill" for a season range on an asset page (the three season assets):
    one run per season. Times are seconds after the click unless said otherwise."""
    params = {
        "partitionsByAssets": [
            {"assetKey": {"path": [name]}, "partitions": {"range": {"start": str(first), "end": str(last)}}}
            for name in SEASON_ASSETS
        ]
    }
    clicked = time.time()
    out = server.gql(LAUNCH_BACKFILL, {"p": params})["launchPartitionBackfill"]
    if out["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(out)
    backfill_id = out["backfillId"]
    while True:
        status = server.gql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
        if status in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"):
            break
        if time.time() - clicked > 600:
            raise RuntimeError(f"backfill {backfill_id} still {status} after 600 s")
        time.sleep(0.2)
    done = time.time()
    if status not in ("COMPLETED", "COMPLETED_SUCCESS"):
        raise RuntimeError(f"backfill {backfill_id} ended {status}")
    runs = server.gql(RUNS, {"f": {"tags": [{"key": "dagster/backfill", "value": backfill_id}]}})["runsOrError"][
        "results"
    ]
    seasons = last - first + 1
    if len(runs) != seasons or any(r["status"] != "SUCCESS" for r in runs):
        raise RuntimeError(
            f"backfill {backfill_id} of {seasons} seasons ran {[r['status'] for r in runs]}, expected {seasons} "
            f"successful runs"
        )
    first_start, last_end = min(r["startTime"] for r in runs), max(r["endTime"] for r in runs)
    return {
        "backfill_id": backfill_id,
        "runs": len(runs),
        "click_to_done_s": done - clicked,
        "run_s": sum(r["endTime"] - r["startTime"] for r in runs),  # the runs' own times, summed
        "span_s": last_end - first_start,  # from the first run's start to the last run's end
        "max_concurrent_runs": max_overlap([(r["startTime"], r["endTime"]) for r in runs]),
        "first_run_start_s": first_start - clicked,
        "last_run_end_s": last_end - clicked,
        "completed_after_last_run_s": done - last_end,
        "run_end": last_end,
        "clicked": clicked,
    }


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """How many of these (start, end) intervals were open at once, at most."""
    edges = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda e: (e[0], e[1])
    )
    open_now = most = 0
    for _, change in edges:
        open_now += change
        most = max(most, open_now)
    return most


def automation_runs(server: Server) -> list[dict]:
    runs = server.gql(RUNS, {"f": {"tags": [{"key": "dagster/sensor_name", "value": AUTOMATION_SENSOR}]}})[
        "runsOrError"
    ]["results"]
    return sorted(runs, key=lambda r: r["startTime"] or 0)


def wait_refresh(server: Server, after: float, timeout: float = 120) -> float | None:
    """Seconds from `after` (a season run's end) to the end of the automation run it caused."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for run in automation_runs(server):
            if run["startTime"] and run["startTime"] >= after - 0.5 and run["status"] == "SUCCESS":
                return run["endTime"] - after
        time.sleep(0.25)
    return None


def wait_rebuilds_settle(server: Server, known: set[str], quiet: float = 15, timeout: float = 300) -> list[dict]:
    """The automation sensor's runs other than `known`, once none is running and none has started or
    ended for `quiet` seconds (three of the sensor's 5 s ticks)."""
    started = time.monotonic()
    last_change = time.time()
    seen: dict[str, str] = {}
    while time.monotonic() - started < timeout:
        runs = [r for r in automation_runs(server) if r["runId"] not in known]
        states = {r["runId"]: r["status"] for r in runs}
        if states != seen:
            seen, last_change = states, time.time()
        running = [r for r in runs if r["status"] not in ("SUCCESS", "FAILURE", "CANCELED")]
        if not running and time.time() - max([last_change, *(r["endTime"] or 0 for r in runs)]) >= quiet:
            return runs
        time.sleep(0.5)
    raise RuntimeError(f"the rebuilds after the backfill did not settle in {timeout} s")


def measure(config: str, root: Path, first: int = FIRST, last: int = LAST) -> dict:
    server = Server(root, config)
    try:
        result: dict = {"startup_s": server.wait_up()}
        one = launch_season(server, SEASON)
        result["season"] = one
        result["refresh_after_change_s"] = wait_refresh(server, one["run_end"])
        known = {r["runId"] for r in automation_runs(server)}
        result["backfill"] = launch_backfill(server, first, last)
        # The charts and report are current once the last rebuild the backfill caused has ended
        # (the sensor may rebuild between the backfill's runs, and does after the last).
        rebuilds = wait_rebuilds_settle(server, known)
        result["rebuilds_since_backfill_launch"] = len(rebuilds)
        if any(r["status"] != "SUCCESS" for r in rebuilds):
            raise RuntimeError(f"a rebuild after the backfill ended {[r['status'] for r in rebuilds]}")
        last_rebuild = max((r["endTime"] for r in rebuilds if r["endTime"]), default=None)
        result["refresh_after_backfill_s"] = (
            None if last_rebuild is None else last_rebuild - result["backfill"]["run_end"]
        )
        before = len(automation_runs(server))
        again = launch_season(server, SEASON)  # identical rows: nothing should be rebuilt
        time.sleep(15)
        result["season_again"] = again
        result["rebuilds_after_identical_rows"] = len(automation_runs(server)) - before
    finally:
        server.stop()
    run_phases(root / "home", {k: result[k] for k in ("season", "season_again")})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config",
        default=str(REPO / "deploy" / "dagster.local.yaml"),
        help="instance config; 'defaults' for Dagster's defaults",
    )
    parser.add_argument(
        "--from", dest="first", type=int, default=FIRST, help="the backfill's first season (default %(default)s)"
    )
    parser.add_argument(
        "--to", dest="last", type=int, default=LAST, help="the backfill's last season (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    config = DAGSTER_DEFAULTS_YAML if args.config == "defaults" else Path(args.config).read_text()
    root = Path(tempfile.mkdtemp(prefix="analytics-ui-bench-"))
    try:
        print(json.dumps(measure(config, root, args.first, args.last), indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
