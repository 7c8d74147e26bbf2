"""`make dev`: dg dev with the webserver and the daemon on a chosen port, stopped whole by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from analytics_tests.support.data import REPO

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RESOURCE = """query($s: ResourceSelector!) { topLevelResourceDetailsOrError(resourceSelector: $s) {
  __typename ... on ResourceDetails { configuredValues { key value type } } } }"""
LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"""


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())["data"]


def _configured(port: int, location: str, resource: str) -> dict[str, tuple[str, str]]:
    selector = {"repositoryLocationName": location, "repositoryName": "__repository__", "resourceName": resource}
    details = _graphql(port, RESOURCE, {"s": selector})["topLevelResourceDetailsOrError"]
    assert details["__typename"] == "ResourceDetails", details
    return {v["key"]: (v["type"], v["value"]) for v in details["configuredValues"]}


def _session_members(sid: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "sid=,pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.split(None, 1)[0] == str(sid)]


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "dg").exists(), reason="make env installs dg into .venv")
@pytest.mark.slow
def test_make_dev_serves_on_port_without_warnings_and_stops_whole(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ANALYTICS_DUCKDB_PATH": str(tmp_path / "a.duckdb"),
        "ANALYTICS_HTTP_MAX_ATTEMPTS": "2",
    }
    env.pop("ANALYTICS_OUTPUT_DIR", None)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"PORT={port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert make.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)
        # dg dev and everything it started share one session, led by the wrapper's child.
        wrapper = subprocess.run(["pgrep", "-P", str(make.pid)], capture_output=True, text=True).stdout.split()
        leader = int(subprocess.run(["pgrep", "-P", wrapper[0]], capture_output=True, text=True).stdout.split()[0])
        sid = os.getsid(leader)
        assert any("dagster_webserver" in m and f"--port {port}" in m for m in _session_members(sid))
        assert any("dagster._daemon run" in m for m in _session_members(sid))

        # The resources page (and the run's config) name the variables a run reads, never their values;
        # an unset variable leaves the field's default in plain sight.
        (location,) = [e["name"] for e in _graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]]
        assert _configured(port, location, "duckdb")["database"] == ("ENV_VAR", "ANALYTICS_DUCKDB_PATH")
        http = _configured(port, location, "http")
        assert http["max_attempts"] == ("ENV_VAR", "ANALYTICS_HTTP_MAX_ATTEMPTS")
        assert http["min_interval_s"][0] == "VALUE"
        assert _configured(port, location, "settings")["output_dir"] == (
            "VALUE",
            json.dumps(str(REPO / "data" / "reports")),
        )

        started = time.monotonic()
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=120)
        while _session_members(sid) and time.monotonic() - started < 120:
            time.sleep(0.2)
        stopped = time.monotonic() - started
        # Every process of the session ends (the time it takes is measured, not asserted: `make bench`).
        assert not _session_members(sid), _session_members(sid)
        print(f"\nmake dev stopped whole in {stopped:.1f} s")
    finally:
        if make.poll() is None:  # a failed assertion: stop dg dev's whole session, not only make
            make.send_signal(signal.SIGTERM)
            try:
                make.wait(timeout=15)
            except subprocess.TimeoutExpired:
                make.kill()
    # No warning while starting and serving (on a loaded machine the shutdown may be cut short by the
    # wrapper's grace period, which is what bounds the stop to 10 s).
    started_text = log.read_text().split("Stopping Dagster")[0]
    assert "WARNING" not in started_text and "Warning" not in started_text, started_text
    assert "Serving dagster-webserver" in started_text
