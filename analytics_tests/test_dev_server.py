"""`make dev`: dg dev with the webserver and the daemon on a chosen port, stopped whole by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from analytics_tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_members(sid: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "sid=,pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.split(None, 1)[0] == str(sid)]


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "dg").exists(), reason="make env installs dg into .venv")
def test_make_dev_serves_on_port_without_warnings_and_stops_whole_within_10_s(tmp_path):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"), "ANALYTICS_DUCKDB_PATH": str(tmp_path / "a.duckdb")}
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        make = subprocess.Popen(["make", "--no-print-directory", "dev", f"PORT={port}"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
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

        started = time.monotonic()
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=15)
        while _session_members(sid) and time.monotonic() - started < 15:
            time.sleep(0.2)
        stopped = time.monotonic() - started
        assert not _session_members(sid), _session_members(sid)
        assert stopped <= 10, f"stopped in {stopped:.1f} s"
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
