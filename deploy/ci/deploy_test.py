"""make deploy-test: build the compose deployment, start it for real and check it end to end.

Phases (each logged with its wall time; any failure prints every container's logs, tears down and
exits non-zero):
  engine  Debian's docker.io, docker-compose and debootstrap installed if missing; dockerd started
          if it is not running (and stopped at the end only if this script started it).
  bases   a Debian 12 image from debootstrap (skipped when it exists), a Python 3.11 base, and the
          PostgreSQL and proxy images built on it: no registry is needed. The sign-in files (one
          operator, one analyst, random passwords) and a self-signed TLS certificate are generated.
  images  the project image from uv.lock, through docker-compose's own build section.
  up      `docker-compose up -d`; waits for every service's health check.
  checks  against the real containers, through the authenticating proxy and the webservers' GraphQL API
          (one printed line per check, starting `check:` and naming the role):
          0. sign-in: no credentials or a wrong password are refused on the UI, /graphql and its
             websocket; /healthz answers; the webservers are not published; the analyst's webserver
             is read-only (its queries answer, its mutations are refused) and has no Docker socket;
             the operator's websocket on /graphql works through the proxy;
          1. a two-season backfill, executed by the daemon through the Docker run launcher, each
             run in its own container from the project image; rows checked in the DuckDB volume;
          2. a second two-season backfill with the daemon container killed while it runs; while it
             is down, the schedule is stopped and started again with the `dagster schedule` CLI in a
             one-off container of the code server's service, the start run on a clock reading an
             hour before the last 09:00 tick (Debian's faketime); then the daemon restarted: the
             backfill completes with one run and no duplicate rows;
          3. the missed daily tick: recorded as a success with its run, which ends (the season in
             progress comes from live sites, pointed at a closed local port here: no internet in CI);
          4. the audit log holds the operator's launches and the analyst's refused attempts, with
             user, role, time, address and request body;
          5. a run's container killed while its step executes: run monitoring fails the run, run
             retries re-run it, the retry succeeds, the DuckDB file is intact;
          6. break glass on a landing file with every score doubled (points_drift): the analyst
             cannot launch one; an operator's launch naming someone else in accepted_by fails in the
             gate; one naming the operator is stored in nfl.gate_acceptances with the operator's
             name and the audit entry's reference.
  down    run containers removed, `docker-compose down -v`; nothing of the deployment is left.

Standard library only: it runs before and without the project's environment.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE_FILE = REPO / "docker-compose.yml"
IN_CONTAINER = HERE / "in_container.py"
BUILD_CA_DIR = REPO / "deploy" / "build-ca"
STAGED_CA = BUILD_CA_DIR / "host-ca-certificates.crt"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

PROJECT = "nfldeploytest"
DEBIAN_IMAGE = "nfl-local/debian:bookworm"
PYTHON_IMAGE = "nfl-local/python:3.11-bookworm"
APP_IMAGE = "nfl-analytics:latest"
POSTGRES_IMAGE = "nfl-postgres:15"
PROXY_IMAGE = "nfl-proxy:latest"
OPERATOR, ANALYST = "olga", "ana"
AUDIT_LOG = "/var/log/nginx/audit/audit.jsonl"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SECURITY = "http://deb.debian.org/debian-security"
APT_PACKAGES = {"docker": "docker.io", "dockerd": "docker.io", "docker-compose": "docker-compose", "debootstrap": "debootstrap", "faketime": "faketime"}

SERVICES = ("postgres", "user_code", "webserver", "webserver_readonly", "daemon", "proxy")
LOCATION = {"repositoryLocationName": "analytics_assets", "repositoryName": "__repository__"}
SEASON_ASSETS = ("standings", "dead_cap", "team_season_risk")
FIRST_BACKFILL = (2011, 2012)
SECOND_BACKFILL = (2013, 2014)
SCHEDULE = "daily_season_refresh"
LEAGUE_TZ = ZoneInfo("America/New_York")
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""
BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""
RUNS = """
query($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId status jobName tags { key value } } }
    ... on PythonError { message }
  }
}"""
SCHEDULE_TICKS = """
query($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule { scheduleState { status typeSpecificData { ... on ScheduleData { startTimestamp } } ticks(limit: 5) { tickId status timestamp runIds error { message } } } }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""


TERMINATE_RUN = """
mutation($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""
LAUNCH_RUN = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""
RUN_LOGS = """
query($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { message } ... on ExecutionStepFailureEvent { error { message } } } }
    ... on PythonError { message }
  }
}"""

CHECKS_PASSED: list[str] = []


def passed(role: str, what: str) -> None:
    """One line per check that passed, starting `check:` and naming the role it ran as."""
    line = f"check: [{role}] {what}"
    CHECKS_PASSED.append(line)
    print(line, flush=True)


class CheckFailed(Exception):
    """A phase or check failed; the message says what was expected and what was seen."""


class Fatal(CheckFailed):
    """A failure no amount of waiting fixes (a container exited): stops a wait at once."""


def log(message: str) -> None:
    print(f"[deploy-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], *, env: dict | None = None, capture: bool = False, input: str | None = None, timeout: float = 1800, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess:
    """Run a command; output streams to the log unless captured. A failure names the command."""
    shown = " ".join(cmd)
    if not quiet:
        log(f"$ {shown[:300]}")
    try:
        result = subprocess.run(cmd, env=env, text=True, input=input, timeout=timeout, capture_output=capture)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"`{shown[:300]}` did not finish within {timeout:.0f} s") from None
    if check and result.returncode != 0:
        detail = f"\n{(result.stdout or '')[-3000:]}{(result.stderr or '')[-3000:]}" if capture else ""
        raise CheckFailed(f"`{shown[:300]}` exited with {result.returncode}{detail}")
    return result


def output(cmd: list[str], **kw) -> str:
    return run(cmd, capture=True, quiet=True, **kw).stdout.strip()


def wait_for(probe, timeout: float, what: str, interval: float = 3.0):
    """Poll `probe` until it returns something truthy; the timeout names what was awaited and the last value seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
        except Fatal:
            raise
        except CheckFailed as error:
            last = f"error: {error}"
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r}")
        time.sleep(interval)


class Phases:
    """Times each phase; prints the table at the end."""

    def __init__(self):
        self.times: list[tuple[str, float, str]] = []

    @contextlib.contextmanager
    def __call__(self, name: str):
        log(f"=== phase {name}: start")
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.times.append((name, time.monotonic() - started, "FAILED"))
            log(f"=== phase {name}: FAILED after {time.monotonic() - started:.1f} s")
            raise
        self.times.append((name, time.monotonic() - started, "ok"))
        log(f"=== phase {name}: ok in {time.monotonic() - started:.1f} s")

    def table(self) -> str:
        rows = [f"  {name:<8} {seconds:8.1f} s  {status}" for name, seconds, status in self.times]
        total = sum(seconds for _, seconds, _ in self.times)
        return "\n".join(["phase times:", *rows, f"  {'total':<8} {total:8.1f} s"])


# --- engine -------------------------------------------------------------------------------------


def as_root(cmd: list[str]) -> list[str]:
    return cmd if os.geteuid() == 0 else ["sudo", *cmd]


def install_missing_tools() -> None:
    missing = sorted({pkg for tool, pkg in APT_PACKAGES.items() if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()})
    if not missing:
        log("docker, dockerd, docker-compose, debootstrap and faketime are installed")
        return
    if not shutil.which("apt-get"):
        raise CheckFailed(f"missing {', '.join(missing)} and no apt-get to install them: install Docker, docker-compose, debootstrap and faketime")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(as_root(["apt-get", "update", "-qq"]), env=env)
    run(as_root(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]), env=env)


def engine_running() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0


def start_engine(workdir: Path) -> subprocess.Popen | None:
    """Start dockerd unless one already answers; return the process only if this script started it."""
    if engine_running():
        log("a Docker engine is already running; it is left running at the end")
        return None
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    log_file = open(workdir / "dockerd.log", "w")
    process = subprocess.Popen(as_root([dockerd]), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    log(f"started dockerd (pid {process.pid}, log {workdir / 'dockerd.log'})")
    try:
        wait_for(lambda: process.poll() is None and engine_running() or (process.poll() is not None and "exited"), 90, "dockerd to answer", interval=1)
    except CheckFailed:
        stop_engine(process)
        raise
    if process.poll() is not None:
        raise CheckFailed(f"dockerd exited with {process.returncode}:\n{(workdir / 'dockerd.log').read_text()[-3000:]}")
    return process


def stop_engine(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    log(f"stopping the dockerd this run started (pid {process.pid})")
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# --- bases and images ---------------------------------------------------------------------------


def image_exists(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0


def build_debian_base(workdir: Path) -> None:
    """Debian 12 minbase from the Debian mirror, with bookworm-updates and security in its sources."""
    if image_exists(DEBIAN_IMAGE):
        log(f"{DEBIAN_IMAGE} exists; debootstrap skipped (docker rmi it to rebuild)")
        return
    rootfs = workdir / "rootfs"
    run(as_root(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR]))
    (rootfs / "etc/apt/sources.list").write_text(
        f"deb {DEBIAN_MIRROR} bookworm main\ndeb {DEBIAN_MIRROR} bookworm-updates main\ndeb {DEBIAN_SECURITY} bookworm-security main\n"
    )
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / cache).glob("*.deb" if "archives" in cache else "*_*"):
            item.unlink()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
    log(f"$ tar -C {rootfs} -c . | docker import - {DEBIAN_IMAGE}")
    imported = subprocess.run(["docker", "import", "--change", 'CMD ["bash"]', "-", DEBIAN_IMAGE], stdin=tar.stdout, capture_output=True, text=True)
    tar.stdout.close()
    if tar.wait() != 0 or imported.returncode != 0:
        raise CheckFailed(f"docker import of the debootstrapped Debian failed: {imported.stderr[-2000:]}")
    shutil.rmtree(rootfs, ignore_errors=True)


def build_python_base() -> None:
    run(["docker", "build", "-f", str(REPO / "deploy/images/python.Dockerfile"), "--build-arg", f"BASE_IMAGE={DEBIAN_IMAGE}",
         "-t", PYTHON_IMAGE, str(REPO / "deploy/images")])


@contextlib.contextmanager
def staged_ca_bundle():
    """The host's CA bundle in the build context for the duration of the build, never longer."""
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, STAGED_CA)
        log(f"staged {HOST_CA_BUNDLE} as {STAGED_CA.relative_to(REPO)} (trusted by the image build, removed after)")
    try:
        yield
    finally:
        STAGED_CA.unlink(missing_ok=True)


def image_sizes() -> str:
    lines = []
    for name in (DEBIAN_IMAGE, PYTHON_IMAGE, POSTGRES_IMAGE, PROXY_IMAGE, APP_IMAGE):
        size = output(["docker", "image", "inspect", "--format", "{{.Size}}", name])
        lines.append(f"  {name:<32} {int(size) / 1e6:8.0f} MB")
    return "image sizes:\n" + "\n".join(lines)


# --- the running deployment ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    def __init__(self, workdir: Path):
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "ANALYTICS_", "PFR_", "SPOTRAC_", "POSTGRES_", "COMPOSE_"))}
        self.port = free_port()
        self.env = {
            **clean,
            "DAGSTER_PG_USERNAME": "dagster",
            "DAGSTER_PG_PASSWORD": secrets.token_hex(16),
            "DAGSTER_PG_DB": "dagster",
            "DAGSTER_PROXY_BIND": "127.0.0.1",
            "DAGSTER_PROXY_PORT": str(self.port),
            "ANALYTICS_BASE_IMAGE": PYTHON_IMAGE,
            "POSTGRES_BASE_IMAGE": DEBIAN_IMAGE,
            "PROXY_BASE_IMAGE": DEBIAN_IMAGE,
            "ANALYTICS_IMAGE": APP_IMAGE,
            "POSTGRES_IMAGE": POSTGRES_IMAGE,
            "PROXY_IMAGE": PROXY_IMAGE,
            # The sign-in files and the TLS certificate: generated below, removed with the workdir.
            "ANALYTICS_AUTH_DIR": str(workdir / "secrets" / "auth"),
            "ANALYTICS_TLS_DIR": str(workdir / "secrets" / "tls"),
            # No internet here: the season in progress (live sites) fails at once instead of after retries.
            "PFR_BASE_URL": "http://127.0.0.1:9",
            "SPOTRAC_BASE_URL": "http://127.0.0.1:9",
            "ANALYTICS_HTTP_MAX_ATTEMPTS": "1",
        }
        self.url = f"https://127.0.0.1:{self.port}"
        self.containers: dict[str, str] = {}
        self.passwords = {OPERATOR: secrets.token_urlsafe(18), ANALYST: secrets.token_urlsafe(18)}
        self.ssl: ssl.SSLContext | None = None

    def make_secrets(self) -> None:
        """One operator and one analyst (htpasswd lines, SHA-512 crypt from the proxy image's openssl)
        and a self-signed certificate for 127.0.0.1, as an operator would supply them (deploy/README.md)."""
        auth, tls = Path(self.env["ANALYTICS_AUTH_DIR"]), Path(self.env["ANALYTICS_TLS_DIR"])
        auth.mkdir(parents=True, exist_ok=True)
        tls.mkdir(parents=True, exist_ok=True)
        for user, role in ((OPERATOR, "operator"), (ANALYST, "analyst")):
            hashed = output(["docker", "run", "--rm", "-i", "--entrypoint", "openssl", PROXY_IMAGE, "passwd", "-6", "-stdin"], input=self.passwords[user])
            (auth / f"{role}s.htpasswd").write_text(f"# {role}s: NAME:HASH\n{user}:{hashed}\n")
        run(["docker", "run", "--rm", "-v", f"{tls}:/out", "--entrypoint", "openssl", PROXY_IMAGE, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", "/out/key.pem", "-out", "/out/cert.pem"], capture=True)
        self.ssl = ssl.create_default_context(cafile=str(tls / "cert.pem"))
        log(f"sign-in files for operator {OPERATOR} and analyst {ANALYST} (random passwords) and a self-signed certificate in {auth.parent}")

    def auth_header(self, user: str | None, password: str | None = None) -> dict[str, str]:
        if user is None:
            return {}
        token = base64.b64encode(f"{user}:{password or self.passwords[user]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(self, path: str, *, user: str | None, password: str | None = None, body: bytes | None = None) -> tuple[int, bytes]:
        """An HTTPS request through the proxy; returns the status and body, whatever the status."""
        headers = {"Content-Type": "application/json", **self.auth_header(user, password)} if body is not None else self.auth_header(user, password)
        request = urllib.request.Request(f"{self.url}{path}", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60, context=self.ssl) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            raise CheckFailed(f"request to {self.url}{path} failed: {error}") from None

    def graphql_as(self, user: str | None, query: str, variables: dict | None = None, password: str | None = None) -> tuple[int, dict]:
        status, raw = self.request("/graphql", user=user, password=password, body=json.dumps({"query": query, "variables": variables or {}}).encode())
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"raw": raw[:300].decode(errors="replace")}

    def websocket(self, user: str | None, password: str | None = None) -> tuple[str, str | None]:
        """Opens the UI's GraphQL websocket (/graphql, Upgrade) through the proxy: the status line, and the
        server's answer to `connection_init` when the upgrade was accepted."""
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        assert self.ssl is not None
        with self.ssl.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            key = base64.b64encode(os.urandom(16)).decode()
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.auth_header(user, password).items())
            sock.sendall((f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-ws\r\n{extra}\r\n").encode())
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            status = head.split(b"\r\n", 1)[0].decode(errors="replace")
            if " 101 " not in f"{status} ":
                return status, None
            payload = json.dumps({"type": "connection_init", "payload": {}}).encode()
            mask = os.urandom(4)
            sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

            def exactly(n: int) -> bytes:
                nonlocal buffer
                while len(buffer) < n:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise CheckFailed("the websocket closed before answering connection_init")
                    buffer += chunk
                out, buffer = buffer[:n], buffer[n:]
                return out

            first, second = exactly(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", exactly(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", exactly(8))[0]
            return status, exactly(length).decode(errors="replace")

    def compose(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return run(["docker-compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args], env=self.env, **kw)

    def set_docker_gid(self) -> None:
        # The webserver and daemon run as an unprivileged user; the socket's group lets them launch runs.
        self.env["DOCKER_GID"] = str(os.stat("/var/run/docker.sock").st_gid)

    def container(self, service: str) -> str:
        if service not in self.containers:
            cid = self.compose("ps", "-q", service, capture=True, quiet=True).stdout.strip()
            if not cid:
                raise CheckFailed(f"no container for service {service}")
            self.containers[service] = cid
        return self.containers[service]

    def state(self, service: str) -> dict:
        return json.loads(output(["docker", "inspect", "--format", "{{json .State}}", self.container(service)]))

    def wait_healthy(self, services=SERVICES, timeout: float = 600) -> None:
        """Until every service has passed its health check (each at least once: on a loaded machine a
        health check may time out now and then after it first passed); a service that exits fails at once."""
        seen_healthy: set[str] = set()

        def unhealthy():
            states = {s: self.state(s) for s in services}
            for s, st in states.items():
                if st.get("Status") in ("exited", "dead"):
                    raise Fatal(f"service {s} exited with {st.get('ExitCode')} while starting")
            seen_healthy.update(s for s, st in states.items() if (st.get("Health") or {}).get("Status") == "healthy")
            return [s for s in services if s not in seen_healthy]

        wait_for(lambda: not unhealthy() or None, timeout, f"services {', '.join(services)} to be healthy", interval=3)
        log(f"every service passed its health check: {', '.join(services)}")

    def graphql(self, query: str, variables: dict | None = None, user: str = OPERATOR) -> dict:
        """A GraphQL request through the proxy, signed in as `user` (the operator unless said)."""
        status, payload = self.graphql_as(user, query, variables)
        if status != 200:
            raise CheckFailed(f"GraphQL request as {user} to {self.url}: HTTP {status} {payload}")
        if payload.get("errors"):
            raise CheckFailed(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def audit_log(self) -> list[dict]:
        text = output(["docker", "exec", self.container("proxy"), "cat", AUDIT_LOG])
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def runs(self, **tags: str) -> list[dict]:
        found = self.graphql(RUNS, {"filter": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}})["runsOrError"]
        if found["__typename"] != "Runs":
            raise CheckFailed(f"runsOrError: {found}")
        return found["results"]

    def in_container(self, *args: str, service: str = "user_code") -> dict:
        """Run deploy/ci/in_container.py in a service's container (its instance, volumes and env)."""
        out = output(["docker", "exec", "-i", self.container(service), "python", "-", *args], input=IN_CONTAINER.read_text(), timeout=300)
        return json.loads(out.splitlines()[-1])

    def start_schedule_at(self, name: str, when: datetime) -> None:
        """`dagster schedule stop NAME`, then `dagster schedule start NAME` on a clock reading `when`, in a
        one-off container of the code server's service (its instance, network and workspace file).

        Dagster records a schedule's start as the moment it is started: the restarted daemon catches up
        the ticks since `when` it has not evaluated. The clock is Debian's libfaketime, the host's
        (Debian 12, as the images are), mounted read-only into the one-off container only."""
        libs = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
        if not libs:
            raise CheckFailed("libfaketime.so.1 not found under /usr/lib/*/faketime: apt-get install faketime")
        offset = f"{when.timestamp() - time.time():+.0f}"  # seconds, relative to now
        workspace = "/opt/dagster/app/workspace.yaml"
        script = (
            f"dagster schedule stop {name} -w {workspace} && "
            f"LD_PRELOAD=/opt/faketime/{libs[0].name} FAKETIME={offset} dagster schedule start {name} -w {workspace}"
        )
        self.compose("run", "--rm", "--no-deps", "-T", "-v", f"{libs[0].parent}:/opt/faketime:ro", "user_code", "sh", "-c", script, capture=True, timeout=300)

    def run_containers(self) -> list[str]:
        return output(["docker", "ps", "-aq", "--filter", "label=dagster/run_id", "--filter", f"ancestor={APP_IMAGE}"]).split()

    def print_logs(self) -> None:
        print("\n==================== logs of every container ====================", flush=True)
        subprocess.run(["docker", "ps", "-a"])
        ids = subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True).stdout.split()
        for cid in ids:
            name = subprocess.run(["docker", "inspect", "--format", "{{.Name}} {{.Config.Image}} {{.State.Status}} exit={{.State.ExitCode}}", cid], capture_output=True, text=True).stdout.strip()
            print(f"\n---------- {name} ----------", flush=True)
            subprocess.run(["docker", "logs", "--tail", "400", cid], stderr=subprocess.STDOUT)
        sys.stdout.flush()

    def down(self) -> None:
        # Stop launching runs first, then remove the run containers (they hold the network and volumes).
        self.compose("stop", "-t", "20", "daemon", check=False)
        leftovers = self.run_containers()
        if leftovers:
            run(["docker", "rm", "-f", *leftovers], capture=True)
        self.compose("down", "-v", "--remove-orphans", "-t", "20")
        remaining = output(["docker", "volume", "ls", "-q", "--filter", "name=nfl_"]).split()
        if remaining:
            raise CheckFailed(f"volumes left after down -v: {remaining}")


# --- the checks ---------------------------------------------------------------------------------


def launch_backfill(d: Deployment, first: int, last: int) -> str:
    params = {
        "partitionsByAssets": [
            {"assetKey": {"path": [name]}, "partitions": {"range": {"start": str(first), "end": str(last)}}} for name in SEASON_ASSETS
        ],
        "tags": [{"key": "trigger", "value": "deploy-test"}],
    }
    launched = d.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise CheckFailed(f"launchPartitionBackfill {first}-{last} was refused: {launched}")
    log(f"backfill {launched['backfillId']} launched for seasons {first}-{last} through GraphQL")
    return launched["backfillId"]


def backfill_status(d: Deployment, backfill_id: str) -> str:
    found = d.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
    if found["__typename"] != "PartitionBackfill":
        raise CheckFailed(f"partitionBackfillOrError({backfill_id}): {found}")
    return found["status"]


def wait_backfill_done(d: Deployment, backfill_id: str, timeout: float) -> None:
    status = wait_for(lambda: (s := backfill_status(d, backfill_id)) not in ("REQUESTED", "CANCELING", "FAILING") and s, timeout, f"backfill {backfill_id} to finish")
    if status not in ("COMPLETED", "COMPLETED_SUCCESS"):
        raise CheckFailed(f"backfill {backfill_id} ended {status}, expected COMPLETED_SUCCESS; runs: {d.runs(**{'dagster/backfill': backfill_id})}")


def check_backfill_runs(d: Deployment, backfill_id: str, first: int, last: int) -> dict[int, dict]:
    """One successful run per season (a season's failure is its own), each in its own container from
    the project image; never a range.

    A daemon killed in the instant it launches a run leaves that run failed by run monitoring and
    retried (run_retries); the retry is then the season's one successful run, and the log says so."""
    runs = d.runs(**{"dagster/backfill": backfill_id})
    by_season: dict[int, dict] = {}
    for run_ in runs:
        tags = {t["key"]: t["value"] for t in run_["tags"]}
        start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
        season = tags.get("dagster/partition") or start
        if start != end or season is None:
            raise CheckFailed(f"backfill {backfill_id}: run {run_['runId']} covers {start}-{end}, expected one season per run")
        if run_["status"] == "SUCCESS":
            if int(season) in by_season:
                raise CheckFailed(f"backfill {backfill_id}: two successful runs of {season}: {by_season[int(season)]['runId']}, {run_['runId']}")
            by_season[int(season)] = run_
    if sorted(by_season) != list(range(first, last + 1)):
        raise CheckFailed(f"backfill {backfill_id}: successful runs for {sorted(by_season)}, expected one for each of {first}-{last}; runs {[(r['runId'], r['status']) for r in runs]}")
    retried = {r["runId"] for r in runs if r["status"] != "SUCCESS"}
    for season, run_ in by_season.items():
        parent = {t["key"]: t["value"] for t in run_["tags"]}.get("dagster/parent_run_id")
        if parent:
            if parent not in retried:
                raise CheckFailed(f"backfill {backfill_id}: run {run_['runId']} of {season} retries {parent}, which is not one of its failed runs")
            log(f"backfill {backfill_id}: run {parent[:8]} of {season} failed (killed while launching) and its retry {run_['runId'][:8]} succeeded")
            retried.discard(parent)
        check_run_container(run_["runId"], expect_exit=0)
    if retried:
        raise CheckFailed(f"backfill {backfill_id}: failed runs {sorted(retried)} that no successful run retries")
    return by_season


def check_run_container(run_id: str, expect_exit: int | None) -> None:
    cids = output(["docker", "ps", "-aq", "--filter", f"label=dagster/run_id={run_id}"]).split()
    if len(cids) != 1:
        raise CheckFailed(f"run {run_id}: expected one run container from the Docker run launcher, found {cids}")
    info = json.loads(output(["docker", "inspect", "--format", "{{json .}}", cids[0]]))
    networks = set(info["NetworkSettings"]["Networks"])
    mounts = {m.get("Name") for m in info["Mounts"]}
    problems = []
    if info["Config"]["Image"] != APP_IMAGE:
        problems.append(f"image {info['Config']['Image']} (expected {APP_IMAGE})")
    if "nfl_dagster" not in networks:
        problems.append(f"networks {sorted(networks)} (expected nfl_dagster)")
    if "nfl_analytics_data" not in mounts:
        problems.append(f"volumes {sorted(m for m in mounts if m)} (expected nfl_analytics_data)")
    if expect_exit is not None and info["State"]["ExitCode"] != expect_exit:
        problems.append(f"exit code {info['State']['ExitCode']} (expected {expect_exit})")
    if problems:
        raise CheckFailed(f"run {run_id}'s container {cids[0][:12]}: " + "; ".join(problems))
    log(f"run {run_id[:8]} ran in container {info['Name'].lstrip('/')} ({APP_IMAGE}, network nfl_dagster, volume nfl_analytics_data), exit {info['State']['ExitCode']}")


def check_rows(d: Deployment, seasons: dict[int, str], risk_writers: dict[int, str] | None = None) -> None:
    """32 teams per season per table, no duplicate, each season written by the expected run.

    `risk_writers`: seasons whose team_season_risk rows a later run rewrote (the season before
    each one written gains its next-season change)."""
    found = wait_for(lambda: (r := d.in_container("rows", *map(str, seasons))).get("ok") and r, 180, "a read of the DuckDB volume (another run may hold the writer lock)", interval=5)
    for table in SEASON_ASSETS:
        for season, run_id in seasons.items():
            allowed = {run_id}
            if table == "team_season_risk":  # the run of the next season rewrites a season's risk rows
                allowed = {(risk_writers or {})[season]} if season in (risk_writers or {}) else {run_id, seasons.get(season + 1, run_id)}
            rows, teams, writer = found["tables"][table][str(season)]
            if (rows, teams) != (32, 32) or len(writer) != 1 or writer[0] not in allowed:
                raise CheckFailed(f"nfl.{table} season {season}: {rows} rows, {teams} distinct teams, written by run {writer}; expected 32, 32, one of runs {sorted(allowed)}")
    log(f"DuckDB volume: seasons {sorted(seasons)} hold 32 rows and 32 distinct teams in each of {', '.join(SEASON_ASSETS)}, written by their backfill's run")


def last_daily_tick(now: datetime) -> datetime:
    local = now.astimezone(LEAGUE_TZ)
    tick = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return tick if tick <= local else (tick - timedelta(days=1)).replace(hour=9)


def schedule_state(d: Deployment) -> dict:
    """The schedule's state as the webserver serves it: status, stored start (null until the daemon stores it), ticks."""
    found = d.graphql(SCHEDULE_TICKS, {"selector": {**LOCATION, "scheduleName": SCHEDULE}})["scheduleOrError"]
    if found["__typename"] != "Schedule":
        raise CheckFailed(f"scheduleOrError({SCHEDULE}): {found}")
    return found["scheduleState"]


def schedule_ticks(d: Deployment) -> list[dict]:
    return schedule_state(d)["ticks"]


def schedule_start(d: Deployment) -> float | None:
    return schedule_state(d)["typeSpecificData"]["startTimestamp"]


def backfill_params(first: int, last: int) -> dict:
    return {
        "params": {
            "partitionsByAssets": [
                {"assetKey": {"path": [name]}, "partitions": {"range": {"start": str(first), "end": str(last)}}} for name in SEASON_ASSETS
            ],
            "tags": [{"key": "trigger", "value": "deploy-test"}],
        }
    }


def refused(status: int, payload: dict, field: str) -> str:
    """How a mutation was refused by the read-only webserver (UnauthorizedError, or for terminateRun a
    TerminateRunFailure for want of permission); a CheckFailed when it was not."""
    if status != 200:
        raise CheckFailed(f"{field}: HTTP {status} {payload}, expected the webserver's refusal")
    result = (payload.get("data") or {}).get(field) or {}
    if result.get("__typename") == "UnauthorizedError":
        return f"UnauthorizedError: {result.get('message', '')[:120]}"
    if result.get("__typename") == "TerminateRunFailure" and "permission" in str(result.get("message")):
        return f"TerminateRunFailure: {result['message'][:120]}"
    errors = " ".join(str(e.get("message")) for e in payload.get("errors") or [])
    if errors and any(word in errors.lower() for word in ("permission", "read-only", "unauthorized")):
        return f"error: {errors[:120]}"
    raise CheckFailed(f"{field} was not refused: {payload}")


def check_sign_in(d: Deployment) -> None:
    """0. Sign-in in front of every UI; the webservers unpublished; the analyst's one read-only, without the Docker socket."""
    status, body = d.request("/healthz", user=None)
    if (status, body.strip()) != (200, b"ok"):
        raise CheckFailed(f"/healthz without sign-in: HTTP {status} {body[:100]!r}, expected 200 ok")
    passed("anonymous", "GET /healthz answers 200 without sign-in (the one path that does)")
    seen = {path: d.request(path, user=None)[0] for path in ("/", "/runs", "/assets")}
    seen["POST /graphql"] = d.graphql_as(None, "query { version }")[0]
    line = d.websocket(None)[0]
    seen["websocket /graphql"] = 401 if " 401 " in f"{line} " else line
    if set(seen.values()) != {401}:
        raise CheckFailed(f"requests without credentials: {seen}, expected 401 everywhere")
    passed("anonymous", f"no credentials: UI pages, POST /graphql and the /graphql websocket refused with 401 ({', '.join(seen)})")
    wrong = {"/": d.request("/", user=OPERATOR, password="not-the-password")[0], "POST /graphql": d.graphql_as(OPERATOR, "query { version }", password="not-the-password")[0]}
    if set(wrong.values()) != {401}:
        raise CheckFailed(f"the operator's name with a wrong password: {wrong}, expected 401")
    passed("anonymous", "an operator's name with a wrong password: UI and /graphql refused with 401")

    published = {}
    for service in SERVICES:
        ports = json.loads(output(["docker", "inspect", "--format", "{{json .NetworkSettings.Ports}}", d.container(service)])) or {}
        bound = [f"{b['HostIp']}:{b['HostPort']}" for bindings in ports.values() for b in bindings or []]
        if bound:
            published[service] = bound
    if set(published) != {"proxy"}:
        raise CheckFailed(f"published ports: {published}, expected the proxy's only")
    passed("deployment", f"only the proxy is published ({', '.join(published['proxy'])}); both webservers are on the compose network only")
    mounts = {s: {m["Destination"] for m in json.loads(output(["docker", "inspect", "--format", "{{json .Mounts}}", d.container(s)]))} for s in ("webserver", "webserver_readonly")}
    if "/var/run/docker.sock" in mounts["webserver_readonly"] or "/var/run/docker.sock" not in mounts["webserver"]:
        raise CheckFailed(f"Docker socket mounts: {mounts}, expected in the operators' webserver only")
    passed("analyst", "the analysts' read-only webserver has no Docker socket (the operators' has it: terminating a run stops its container)")

    status, page = d.request("/", user=ANALYST)
    if status != 200 or b"<html" not in page.lower():
        raise CheckFailed(f"the analyst's UI page: HTTP {status}")
    found = d.graphql(RUNS, {"filter": {}}, user=ANALYST)["runsOrError"]
    if found["__typename"] != "Runs":
        raise CheckFailed(f"the analyst's runsOrError query: {found}")
    passed("analyst", "signed in: the UI page and GraphQL queries (runsOrError) answer")
    for user, role in ((ANALYST, "analyst"), (OPERATOR, "operator")):
        line, answer = d.websocket(user)
        if " 101 " not in f"{line} " or not answer or json.loads(answer).get("type") != "connection_ack":
            raise CheckFailed(f"the {role}'s websocket on /graphql: {line!r}, answer {answer!r}; expected 101 and connection_ack")
        passed(role, "the UI's GraphQL websocket (/graphql, Upgrade) works through the proxy: 101, then connection_ack")


def check_analyst_mutations_refused(d: Deployment, run_id: str) -> None:
    why = refused(*d.graphql_as(ANALYST, LAUNCH_BACKFILL, backfill_params(2015, 2015)), "launchPartitionBackfill")
    passed("analyst", f"launchPartitionBackfill refused by the read-only webserver ({why})")
    why = refused(*d.graphql_as(ANALYST, TERMINATE_RUN, {"runId": run_id}), "terminateRun")
    passed("analyst", f"terminateRun of run {run_id[:8]} refused by the read-only webserver ({why})")
    if [r for r in d.runs() if "2015" in {t["value"] for t in r["tags"]}]:
        raise CheckFailed("a run of 2015 exists after the analyst's refused backfill")


def check_audit_log(d: Deployment, backfill_id: str) -> None:
    """4. The operator's launch (who, when, from where, what) and the analyst's attempts are in the audit log; queries are not."""
    entries = d.audit_log()
    launches = [e for e in entries if e["user"] == OPERATOR and e["role"] == "operator" and e["status"] == "200" and "launchPartitionBackfill" in e["body"]]
    if not launches or not all(e["time"] and e["addr"] and e["method"] == "POST" for e in launches):
        raise CheckFailed(f"the audit log lacks the operator's launchPartitionBackfill: {entries[-5:]}")
    variables = json.loads(launches[0]["body"])["variables"]
    if json.dumps(variables).count('"2011"') < 1:
        raise CheckFailed(f"the audit entry of the operator's launch lacks its variables: {launches[0]}")
    attempts = {m for e in entries if e["user"] == ANALYST and e["role"] == "analyst" for m in ("launchPartitionBackfill", "terminateRun") if m in e["body"]}
    if attempts != {"launchPartitionBackfill", "terminateRun"}:
        raise CheckFailed(f"the audit log lacks the analyst's refused attempts (found {attempts})")
    if any("runsOrError" in e["body"] and "mutation" not in e["body"] for e in entries):
        raise CheckFailed("the audit log holds queries; it should hold mutations only")
    first = launches[0]
    passed("operator", f"the audit log holds the operator's launch (backfill {backfill_id}): user {first['user']}, role {first['role']}, "
                       f"{first['time']}, from {first['addr']}, launchPartitionBackfill with its variables; {len(entries)} entries, mutations only")
    passed("analyst", "the audit log holds the analyst's refused launchPartitionBackfill and terminateRun attempts, with user and role")


BREAK_GLASS_SEASON = "2016"
BREAK_GLASS_REASON = "deploy-test: the league corrected the points"


BREAK_GLASS_FILE = f"/data/landing/deploy-test/standings_{BREAK_GLASS_SEASON}.csv"  # a subfolder: the landing sensor does not pick it up


def break_glass_launch(accepted_by: str, case: str, landing: dict | None = None) -> dict:
    """season_pipeline's standings step for one season loading a landing file (as the landing sensor's
    runs do), with the gate's break-glass config, as the launchpad sends it."""
    tags = {"dagster/partition": BREAK_GLASS_SEASON, "trigger": case}
    if landing:
        tags |= {"analytics/manual_standings": landing["path"], "analytics/manual_standings_sha256": landing["sha256"]}
    return {"executionParams": {
        "selector": {**LOCATION, "pipelineName": "season_pipeline", "assetSelection": [{"path": ["standings"]}]},
        "runConfigData": {"ops": {"standings": {"config": {"accept_rules": ["points_drift"], "reason": BREAK_GLASS_REASON, "accepted_by": accepted_by}}}},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }}


def run_messages(d: Deployment, run_id: str) -> str:
    found = d.graphql(RUN_LOGS, {"runId": run_id})["logsForRun"]
    if found["__typename"] != "EventConnection":
        raise CheckFailed(f"logsForRun({run_id}): {found}")
    return "\n".join(str(e.get("message") or "") + " " + str((e.get("error") or {}).get("message") or "") for e in found["events"])


def launched_run(d: Deployment, accepted_by: str, case: str, landing: dict) -> tuple[dict, str]:
    launched = d.graphql(LAUNCH_RUN, break_glass_launch(accepted_by, case, landing))["launchPipelineExecution"]
    if launched["__typename"] != "LaunchRunSuccess":
        raise CheckFailed(f"the operator's break-glass launch ({case}) was refused: {launched}")
    run_id = launched["run"]["runId"]
    finished = wait_for(lambda: (r := [x for x in d.runs(trigger=case) if x["runId"] == run_id]) and r[0]["status"] in FINISHED and r[0], 420, f"break-glass run {run_id} to finish")
    return finished, run_messages(d, run_id)


def check_break_glass(d: Deployment) -> None:
    """6. Break glass tied to the signed-in identity (analytics_assets/quality/audited_identity.py)."""
    why = refused(*d.graphql_as(ANALYST, LAUNCH_RUN, break_glass_launch(ANALYST, "deploy-test-break-glass-analyst")), "launchPipelineExecution")
    passed("analyst", f"a break-glass launch (accept_rules points_drift, accepted_by {ANALYST}) refused by the read-only webserver ({why})")
    # A landing file whose scores are all doubled: the gate flags points_drift, which a person may accept.
    landing = d.in_container("drifted-standings", BREAK_GLASS_SEASON, BREAK_GLASS_FILE)
    run_, messages = launched_run(d, ANALYST, "deploy-test-break-glass-impersonated", landing)
    if run_["status"] != "FAILURE" or "break glass refused" not in messages or f"signed-in operator '{ANALYST}'" not in messages:
        raise CheckFailed(f"break glass naming {ANALYST} launched by {OPERATOR}: run {run_['runId']} {run_['status']}, expected FAILURE refusing it; log: {messages[-1500:]}")
    passed("analyst", f"an acceptance naming the analyst ({ANALYST}), launched by someone else, is refused in the gate: run {run_['runId'][:8]} FAILURE, "
                      "'break glass refused ... needs a launch of this run by the signed-in operator'")
    run_, messages = launched_run(d, OPERATOR, "deploy-test-break-glass-operator", landing)
    expected = f"accepts points_drift by {OPERATOR}, checked against the audit log: launch by operator {OPERATOR} at "
    if run_["status"] != "SUCCESS" or expected not in messages:
        raise CheckFailed(f"break glass by {OPERATOR}: run {run_['runId']} {run_['status']}, expected SUCCESS with {expected!r} in its log; log: {messages[-1500:]}")
    stored = wait_for(lambda: (r := d.in_container("acceptances", "standings", BREAK_GLASS_SEASON)).get("ok") and r, 180, "a read of the DuckDB volume", interval=5)["rows"]
    mine = [r for r in stored if r[0] == "points_drift" and r[1] == OPERATOR and r[3] == run_["runId"]]
    if not mine or f"[audit log: launch by operator {OPERATOR} at " not in mine[0][2]:
        raise CheckFailed(f"nfl.gate_acceptances for standings {BREAK_GLASS_SEASON}: {stored}; expected points_drift accepted by {OPERATOR} in run {run_['runId']} with the audit reference")
    passed("operator", f"the operator's acceptance is stored with the operator's identity: run {run_['runId'][:8]} SUCCESS; nfl.gate_acceptances: "
                       f"points_drift by {mine[0][1]}, reason '{mine[0][2][:220]}'")


KILLED_SEASON = "2015"
STEP_STARTED = """
query($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on ExecutionStepStartEvent { stepKey } } }
  }
}"""


def check_run_container_killed(d: Deployment) -> None:
    """5. A run's container killed (SIGKILL) while its step writes: run monitoring fails the run, run
    retries (deploy/dagster.yaml) launch it again, the retry succeeds and the DuckDB file is intact."""
    params = {"executionParams": {
        "selector": {**LOCATION, "pipelineName": "season_pipeline"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": KILLED_SEASON}, {"key": "trigger", "value": "deploy-test-kill"}]},
    }}
    launched = d.graphql(LAUNCH_RUN, params)["launchPipelineExecution"]
    if launched["__typename"] != "LaunchRunSuccess":
        raise CheckFailed(f"season_pipeline {KILLED_SEASON} was refused: {launched}")
    run_id = launched["run"]["runId"]

    def writing_step():
        found = d.graphql(STEP_STARTED, {"runId": run_id})["logsForRun"]
        steps = [e["stepKey"] for e in found.get("events", []) if e["__typename"] == "ExecutionStepStartEvent" and e.get("stepKey") in SEASON_ASSETS]
        return steps and steps[-1]

    step = wait_for(writing_step, 420, f"run {run_id}'s first core step to start", interval=0.5)
    cid = wait_for(lambda: output(["docker", "ps", "-q", "--filter", f"label=dagster/run_id={run_id}"]), 30, f"run {run_id}'s container", interval=0.5)
    run(["docker", "kill", cid], capture=True)
    log(f"killed run {run_id[:8]}'s container {cid[:12]} (SIGKILL) while its step {step} was executing")

    def retried():
        runs = d.runs(trigger="deploy-test-kill")
        original = [r for r in runs if r["runId"] == run_id]
        retries = [r for r in runs if {t["key"]: t["value"] for t in r["tags"]}.get("dagster/parent_run_id") == run_id]
        if retries and retries[0]["status"] in FINISHED:
            return original[0], retries[0]
        return None

    original, retry = wait_for(retried, 600, f"run monitoring to fail run {run_id} and run retries to run it again", interval=5)
    if original["status"] != "FAILURE" or retry["status"] != "SUCCESS":
        raise CheckFailed(f"killed run {run_id}: {original['status']}, its retry {retry['runId']}: {retry['status']}; expected FAILURE then SUCCESS")
    # The retry re-executes from the failure: a step that had finished before the kill is not run
    # again, so each table's rows were written once, by the killed run or by its retry.
    found = wait_for(lambda: (r := d.in_container("rows", KILLED_SEASON)).get("ok") and r, 180, "a read of the DuckDB volume", interval=5)
    writers = {}
    for table in SEASON_ASSETS:
        rows, teams, writer = found["tables"][table][KILLED_SEASON]
        if (rows, teams) != (32, 32) or len(writer) != 1 or writer[0] not in (run_id, retry["runId"]):
            raise CheckFailed(f"nfl.{table} season {KILLED_SEASON} after the kill: {rows} rows, {teams} teams, written by {writer}; expected 32, 32, by {run_id} or its retry {retry['runId']}")
        writers[table] = "the killed run" if writer[0] == run_id else "the retry"
    passed("operator", f"fault: run {run_id[:8]}'s container killed during step {step}: run monitoring failed it, run retries re-ran it as "
                       f"{retry['runId'][:8]} (SUCCESS); the DuckDB file opens and holds 32 rows, 32 teams per table for {KILLED_SEASON}, each written once "
                       f"({', '.join(f'{t} by {w}' for t, w in writers.items())})")


def checks(d: Deployment) -> None:
    check_sign_in(d)
    # 1. A backfill of two seasons through GraphQL, executed by the daemon in a run container.
    started = time.monotonic()
    first = launch_backfill(d, *FIRST_BACKFILL)
    passed("operator", f"launchPartitionBackfill {FIRST_BACKFILL[0]}-{FIRST_BACKFILL[1]} accepted (backfill {first})")
    wait_backfill_done(d, first, 600)
    runs_a = check_backfill_runs(d, first, *FIRST_BACKFILL)
    check_rows(d, {s: r["runId"] for s, r in runs_a.items()})
    passed("operator", f"backfill {FIRST_BACKFILL[0]}-{FIRST_BACKFILL[1]} completed in {time.monotonic() - started:.1f} s by {len(runs_a)} runs, one per season, "
                       "each in its own container; 32 rows per season and table")
    check_analyst_mutations_refused(d, runs_a[FIRST_BACKFILL[0]]["runId"])
    check_audit_log(d, first)

    # The daemon records the schedule's state (with its start) on its first pass.
    wait_for(lambda: schedule_start(d), 120, f"the daemon to record {SCHEDULE}'s state")

    # 2. A second backfill; the daemon container is killed as soon as the backfill has its run.
    started = time.monotonic()
    second = launch_backfill(d, *SECOND_BACKFILL)
    # Killed while the backfill's first run is started (its step writing in its own container), or
    # at the latest once it has ended, should it have been quicker than this poll.
    runs_at_kill = wait_for(lambda: [x for x in d.runs(**{"dagster/backfill": second}) if x["status"] not in ("QUEUED", "NOT_STARTED", "STARTING")],
                            240, f"backfill {second}'s run to start", interval=1)
    daemon = d.container("daemon")
    run(["docker", "kill", daemon], capture=True)
    log(f"killed the daemon container {daemon[:12]} (SIGKILL) while run {runs_at_kill[0]['runId'][:8]} was {runs_at_kill[0]['status']}")
    wait_for(lambda: not d.state("daemon").get("Running") or None, 30, "the daemon container to stop", interval=1)
    status = backfill_status(d, second)
    if status != "REQUESTED":
        raise CheckFailed(f"backfill {second} is {status} right after the daemon was killed, expected REQUESTED")
    # 3 (set-up). While the daemon is down, its downtime covers the last 09:00 tick: the schedule is
    # started again as of an hour before that tick.
    tick_time = last_daily_tick(datetime.now(ZoneInfo("UTC")))
    down_since = tick_time - timedelta(hours=1)
    d.start_schedule_at(SCHEDULE, down_since)
    state = schedule_state(d)
    start = state["typeSpecificData"]["startTimestamp"]
    if state["status"] != "RUNNING" or start is None or not down_since.timestamp() <= start < tick_time.timestamp():
        raise CheckFailed(f"{SCHEDULE} started again as of {down_since}: the webserver shows {state['status']} from {start}, expected RUNNING from before {tick_time}")
    log(f"{SCHEDULE} started again as of {datetime.fromtimestamp(start, LEAGUE_TZ):%Y-%m-%d %H:%M %Z}, before the {tick_time:%Y-%m-%d %H:%M %Z} tick")
    d.compose("start", "daemon")
    log("daemon container restarted")
    wait_backfill_done(d, second, 600)
    runs_b = check_backfill_runs(d, second, *SECOND_BACKFILL)
    seasons = {s: r["runId"] for s, r in runs_a.items()} | {s: r["runId"] for s, r in runs_b.items()}
    # 2012's risk rows gain 2013's win_pct change: the run of 2013 rewrites them.
    check_rows(d, seasons, risk_writers={SECOND_BACKFILL[0] - 1: runs_b[SECOND_BACKFILL[0]]["runId"]})
    passed("operator", f"fault: daemon killed (SIGKILL) while run {runs_at_kill[0]['runId'][:8]} was {runs_at_kill[0]['status']}: backfill "
                       f"{SECOND_BACKFILL[0]}-{SECOND_BACKFILL[1]} completed after the restart in {time.monotonic() - started:.1f} s, one run per season, no duplicate rows")

    # 3. The missed daily tick, caught up by the restarted daemon.
    def tick_with_run():
        ticks = [t for t in schedule_ticks(d) if t["status"] == "SUCCESS" and t["runIds"]]
        return ticks and ticks[0]

    tick = wait_for(tick_with_run, 240, f"a successful {SCHEDULE} tick with a run")
    # The missed tick (or a later one, should 09:00 New York time pass while the test runs).
    if tick["timestamp"] < tick_time.timestamp() - 1:
        raise CheckFailed(f"{SCHEDULE} ticked for {datetime.fromtimestamp(tick['timestamp'], LEAGUE_TZ)}, expected the missed {tick_time}")
    run_id = tick["runIds"][0]
    finished = wait_for(lambda: (r := [x for x in d.runs(**{"dagster/schedule_name": SCHEDULE}) if x["runId"] == run_id]) and r[0]["status"] in FINISHED and r[0], 300, f"the scheduled run {run_id} to finish")
    tags = {t["key"]: t["value"] for t in finished["tags"]}
    season = tags.get("dagster/partition")
    if finished["jobName"] != "season_pipeline" or tags.get("trigger") != SCHEDULE:
        raise CheckFailed(f"scheduled run {run_id}: job {finished['jobName']}, tags {tags}")
    check_run_container(run_id, expect_exit=None)
    stored = d.in_container("season-rows", season)
    expected = 32 if finished["status"] == "SUCCESS" else 0
    if stored["standings"] != expected:
        raise CheckFailed(f"scheduled run {run_id} ended {finished['status']} but nfl.standings holds {stored['standings']} rows for {season}, expected {expected}")
    passed("operator", f"{SCHEDULE} ticked for the missed {tick_time:%Y-%m-%d %H:%M %Z}; its run {run_id[:8]} for season {season} ended {finished['status']} "
                       f"({'live sites unreachable from CI' if expected == 0 else 'stored'}); DuckDB holds {stored['standings']} rows of it")

    check_run_container_killed(d)
    # Last: the accepted, drifted season it stores would make any later season of the pipeline drift.
    check_break_glass(d)


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    phases = Phases()
    workdir = Path(tempfile.mkdtemp(prefix="deploy-test-"))
    engine = None
    deployment = None
    failure: BaseException | None = None
    total = time.monotonic()
    try:
        with phases("engine"):
            install_missing_tools()
            engine = start_engine(workdir)
            log(output(["docker", "version", "--format", "engine {{.Server.Version}}, client {{.Client.Version}}"]) + "; " + output(["docker-compose", "version", "--short"]).join(["docker-compose ", ""]))
        deployment = Deployment(workdir)
        deployment.set_docker_gid()
        with phases("bases"):
            build_debian_base(workdir)
            build_python_base()
            deployment.compose("build", "postgres", "proxy")
            deployment.make_secrets()
        with phases("images"):
            with staged_ca_bundle():
                deployment.compose("build", "user_code")
            log(image_sizes())
        with phases("up"):
            # Leftovers of an interrupted earlier run would hold the fixed-name volumes.
            deployment.down()
            deployment.compose("up", "-d", "--no-build")
            deployment.wait_healthy()
            # Healthy webserver, but its code location may still be loading: wait until it serves the schedule.
            wait_for(lambda: schedule_ticks(deployment) is not None, 180, "the webserver to serve the code location")
            log(f"every service is healthy and the operators' webserver, through the proxy on {deployment.url}, serves the code location")
        with phases("checks"):
            checks(deployment)
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - every failure is reported the same way
        failure = error
        log(f"FAILED: {type(error).__name__}: {error}")
        if deployment is not None and engine_running():
            deployment.print_logs()
    finally:
        try:
            if deployment is not None and engine_running():
                with phases("down"):
                    deployment.down()
        except Exception as error:  # noqa: BLE001
            failure = failure or error
            log(f"FAILED during teardown: {error}")
        stop_engine(engine)
        shutil.rmtree(workdir, ignore_errors=True)
    print(phases.table(), flush=True)
    print(f"{len(CHECKS_PASSED)} checks passed" + "".join(f"\n  {line}" for line in CHECKS_PASSED), flush=True)
    log(f"{'FAILED' if failure else 'passed'} in {time.monotonic() - total:.1f} s")
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
