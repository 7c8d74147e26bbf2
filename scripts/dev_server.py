"""`make dev`: run `dg dev` in a process group of its own and stop the whole group on Ctrl-C or SIGTERM.

`dg dev` starts the webserver and the daemon, which start code servers and run workers. Stopped
alone, it leaves code servers behind until their heartbeats time out (30-45 s), and started from
a shell that ignores SIGINT (a background job, a service manager) it ignores SIGTERM as well,
since it maps SIGTERM to the SIGINT handler. Here both signals are caught, passed on as SIGINT
(Dagster's clean shutdown), and whatever is still running in the group after the grace period is
killed, so nothing outlives `make dev`.

Usage: python scripts/dev_server.py [--grace SECONDS] -- COMMAND...
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

GRACE_S = 7.0  # Dagster's own shutdown usually takes 2-4 s; the whole stop stays under 10 s


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str]) -> int:
    grace = GRACE_S
    if argv[:1] == ["--grace"]:
        grace, argv = float(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2

    stop_requested: list[int] = []

    def request_stop(signum: int, _frame) -> None:
        stop_requested.append(signum)

    # Handlers (not "ignore") are reset to the default in the child, so it sees SIGINT normally.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    child = subprocess.Popen(argv, start_new_session=True)
    pgid = child.pid
    while child.poll() is None and not stop_requested:
        time.sleep(0.2)

    if stop_requested:
        print(
            f"\nStopping Dagster (signal {stop_requested[0]}); everything it started ends within {grace:.0f} s.",
            file=sys.stderr,
            flush=True,
        )
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and (child.poll() is None or _group_alive(pgid)):
        # dg dev has finished its own shutdown: the code servers it leaves are ours to stop.
        if child.poll() is not None:
            os.killpg(pgid, signal.SIGTERM)
            deadline = min(deadline, time.monotonic() + 2.0)
        time.sleep(0.2)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    code = child.wait()
    return 0 if stop_requested else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
