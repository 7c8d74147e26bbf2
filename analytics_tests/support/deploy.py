"""The production topology without containers, for the deployment and browser tests.

PostgreSQL on 127.0.0.1:5432 holds Dagster's run, event and schedule storage (a fresh database per
test session, dropped at the end); the code server, the webserver and the daemon run as separate
processes, each with its own process group, reading deploy/dagster.local-processes.yaml verbatim
from a temporary DAGSTER_HOME. Also: a local HTTP server that records webhook POSTs, and helpers
to hold the DuckDB file's lock from another process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
LOCATION = "analytics_assets"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_USER = os.environ.get("ANALYTICS_TEST_PG_USER", "postgres")
PG_PASSWORD = os.environ.get("ANALYTICS_TEST_PG_PASSWORD", "")

T = TypeVar("T")


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    probe: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.5,
    on_timeout: Callable[[], str] | None = None,
) -> T:
    """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except Exception as exc:  # a server not up yet, a table not created yet
            last_error, value = exc, None
        if value:
            return value
        time.sleep(interval)
    detail = f" (last error: {last_error!r})" if last_error else ""
    extra = f"\n{on_timeout()}" if on_timeout else ""
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}{detail}{extra}")


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_connect(dbname: str = "postgres"):
    import psycopg2

    return psycopg2.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, password=PG_PASSWORD, dbname=dbname, connect_timeout=5
    )


def postgres_unreachable_reason() -> str | None:
    try:
        _pg_connect().close()
    except Exception as exc:
        return (
            f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} as {PG_USER!r} ({str(exc).strip()}); .ci/run starts it"
        )
    return None


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database for one test session; dropped (connections and all) afterwards."""
    name = f"dagster_test_{uuid.uuid4().hex[:10]}"
    conn = _pg_connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


# --- webhook sink -------------------------------------------------------------------------------


class WebhookSink:
    """An HTTP server on 127.0.0.1 that records every JSON body POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.received.append(
                    {"path": self.path, "content_type": self.headers.get("Content-Type"), "json": json.loads(body)}
                )
                self.send_response(sink.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/alerts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def payloads_for(self, run_id: str) -> list[dict[str, Any]]:
        return [r["json"] for r in self.received if r["json"].get("run_id") == run_id]


# --- DuckDB lock held by another process --------------------------------------------------------


@contextmanager
def duckdb_locked_by_other_process(db_path: Path) -> Iterator[int]:
    """Hold a read-write connection to `db_path` in another process (an analyst's open notebook)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline().strip()
        assert line == "locked", f"the lock holder did not start: {line!r}"
        yield holder.pid
    finally:
        try:
            os.killpg(holder.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        holder.wait(timeout=10)


# --- reading DuckDB while the deployment runs ---------------------------------------------------


def read_duckdb(db: Path, sql: str, params: list | None = None, timeout: float = 120) -> list[tuple]:
    """A read-only query. DuckDB admits one writing process per file, so while a run (the outputs'
    automation, say) holds the file, wait for it rather than fail."""
    import duckdb

    if not db.exists():
        return []
    deadline = time.monotonic() + timeout
    while True:
        try:
            with duckdb.connect(str(db), read_only=True) as conn:
                if not conn.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'nfl' AND table_name = "
                    "'partition_versions'"
                ).fetchall():
                    return []
                return conn.execute(sql, params or []).fetchall()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --- the deployment -----------------------------------------------------------------------------


@dataclass
class Deployment:
    root: Path
    home: Path
    env: dict[str, str]
    database: str
    code_port: int
    web_port: int
    webhook: WebhookSink
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _instance: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def duckdb_path(self) -> Path:
        return Path(self.env["ANALYTICS_DUCKDB_PATH"])

    def log_path(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def logs_tail(self, lines: int = 25) -> str:
        out = []
        for name in ("code_server", "webserver", "daemon"):
            path = self.log_path(name)
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name} ({path}) ---\n" + "\n".join(tail))
        return "\n".join(out)

    # processes

    COMMANDS = {
        "code_server": lambda d: [
            str(BIN / "dagster"),
            "code-server",
            "start",
            "-h",
            "127.0.0.1",
            "-p",
            str(d.code_port),
            "-m",
            "analytics_assets.definitions",
            "--location-name",
            LOCATION,
        ],
        "webserver": lambda d: [
            str(BIN / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(d.web_port),
            "-w",
            str(d.home / "workspace.yaml"),
        ],
        "daemon": lambda d: [str(BIN / "dagster-daemon"), "run", "-w", str(d.home / "workspace.yaml")],
    }

    def start(self, name: str) -> subprocess.Popen:
        self.log_path(name).parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path(name), "ab")
        proc = subprocess.Popen(
            self.COMMANDS[name](self),
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL, grace: float = 5.0) -> None:
        """Signal the process group; SIGKILL whatever is left after `grace` seconds."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # children (run workers, the code server's server) too
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in ("daemon", "webserver", "code_server"):
            self.kill(name, signal.SIGTERM, grace=3.0)

    # Dagster's storage, read the way the webserver and daemon read it

    def instance(self):
        if self._instance is None:
            import dagster as dg

            saved = {k: os.environ.get(k) for k in self.env if k.startswith("DAGSTER_PG_")}
            os.environ.update({k: v for k, v in self.env.items() if k.startswith("DAGSTER_PG_")})
            try:
                self._instance = dg.DagsterInstance.from_config(str(self.home))
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        return self._instance

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    # readiness

    def wait_code_server(self, timeout: float = 600) -> None:
        """`dagster api grpc-health-check`, the compose file's health check of the code server, passes."""
        check = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(self.code_port), "-h", "127.0.0.1"]

        def serving() -> bool:
            return subprocess.run(check, env=self.env, capture_output=True, timeout=60).returncode == 0

        wait_for(serving, timeout, "the code server to answer gRPC", on_timeout=self.logs_tail)

    def wait_location_loaded(self, timeout: float = 600) -> None:
        query = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
            name loadStatus locationOrLoadError { __typename } } } } }"""

        def loaded() -> bool:
            entries = self.graphql(query, timeout=10)["workspaceOrError"]["locationEntries"]
            return any(
                e["name"] == LOCATION
                and e["loadStatus"] == "LOADED"
                and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
                for e in entries
            )

        wait_for(loaded, timeout, "the webserver to load the code location", on_timeout=self.logs_tail)

    def wait_daemon_healthy(self, since: float, timeout: float = 600) -> None:
        """Every daemon the instance needs has sent a heartbeat after `since` (a Unix time)."""
        instance = self.instance()

        def beating() -> bool:
            required = set(instance.get_required_daemon_types())
            beats = instance.get_daemon_heartbeats()
            return required <= {t for t, hb in beats.items() if hb.timestamp >= since}

        wait_for(beating, timeout, "fresh heartbeats from every daemon", on_timeout=self.logs_tail)

    def restart_daemon(self) -> None:
        started = time.time()
        self.start("daemon")
        self.wait_daemon_healthy(started)

    def start_schedule_at(self, name: str, when: datetime) -> None:
        """`dagster schedule stop`, then `dagster schedule start` run on a clock reading `when` (Debian's
        faketime), on this deployment's instance and workspace. Dagster records a schedule's start as
        the moment it is started: a daemon that evaluates it later catches up the ticks since then."""
        faketime = shutil.which("faketime")
        assert faketime, "faketime is absent: .ci/run installs Debian's faketime"
        cli = [str(BIN / "dagster"), "schedule"]
        target = [name, "-w", str(self.home / "workspace.yaml")]
        offset = f"{when.timestamp() - time.time():+.0f}"  # seconds, relative to now
        for cmd in ([*cli, "stop", *target], [faketime, "-f", offset, *cli, "start", *target]):
            done = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}"

    def wait_run_finished(self, run_id: str, timeout: float = 900):
        instance = self.instance()

        def finished():
            run = instance.get_run_by_id(run_id)
            return run if run is not None and run.is_finished else None

        return wait_for(finished, timeout, f"run {run_id} to finish", on_timeout=self.logs_tail)


def _workspace_yaml(code_port: int) -> str:
    return f"""load_from:
  - grpc_server:
      host: 127.0.0.1
      port: {code_port}
      location_name: {LOCATION}
"""


@contextmanager
def running_deployment(root: Path) -> Iterator[Deployment]:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_database() as database, WebhookSink() as webhook:
        home = root / "dagster_home"
        home.mkdir(parents=True)
        shutil.copyfile(DEPLOY / "dagster.local-processes.yaml", home / "dagster.yaml")
        code_port, web_port = free_port(), free_port()
        while web_port == code_port:
            web_port = free_port()
        (home / "workspace.yaml").write_text(_workspace_yaml(code_port))
        closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: no request leaves the machine
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "ANALYTICS_", "PFR_", "SPOTRAC_"))},
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_USERNAME": PG_USER,
            "DAGSTER_PG_PASSWORD": PG_PASSWORD,
            "DAGSTER_PG_DB": database,
            "ANALYTICS_DUCKDB_PATH": str(root / "data" / "analytics.duckdb"),
            "ANALYTICS_OUTPUT_DIR": str(root / "data" / "reports"),
            "ANALYTICS_ARCHIVE_DIR": str(root / "data" / "archive"),
            "ANALYTICS_LANDING_DIR": str(root / "data" / "landing"),
            # The production default source; live pages for the season in progress fail at once.
            "ANALYTICS_HTTP_MAX_ATTEMPTS": "1",
            "PFR_BASE_URL": closed,
            "SPOTRAC_BASE_URL": closed,
            "ANALYTICS_ALERT_WEBHOOK_URL": webhook.url,
            "ANALYTICS_WEBSERVER_URL": f"http://127.0.0.1:{web_port}",
            "PYTHONUNBUFFERED": "1",
        }
        deployment = Deployment(root, home, env, database, code_port, web_port, webhook)
        try:
            started = time.time()
            for name in ("code_server", "webserver", "daemon"):
                deployment.start(name)
            deployment.wait_code_server()
            deployment.wait_location_loaded()
            deployment.wait_daemon_healthy(started)
            yield deployment
        finally:
            deployment.stop_all()
            if deployment._instance is not None:
                deployment._instance.dispose()
