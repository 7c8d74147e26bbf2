"""Break glass tied to a signed-in identity, in the compose deployment (deploy/README.md).

There, the authenticating proxy writes every GraphQL mutation to an audit log (JSON lines: the
signed-in user, their role, when, from where, the request body), mounted read-only into run
containers, and `ANALYTICS_AUDIT_LOG` points at it. An acceptance (`GateOverride`) is then only
taken when the log holds a launch, within the last `ANALYTICS_AUDIT_WINDOW_S` seconds (6 h by
default), by the signed-in operator whose user name is `accepted_by`, whose request carries the
same `accept_rules` and `reason`. Without `ANALYTICS_AUDIT_LOG` (a local run) nothing changes.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

AUDIT_LOG_ENV = "ANALYTICS_AUDIT_LOG"
WINDOW_ENV = "ANALYTICS_AUDIT_WINDOW_S"
DEFAULT_WINDOW = timedelta(hours=6)
OPERATOR = "operator"
# The newest part of the log is read: a launch older than the window is not wanted anyway.
TAIL_BYTES = 32 * 1024 * 1024
_LAUNCH = re.compile(r"\blaunch\w*\s*\(", re.IGNORECASE)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditEntry:
    """One logged launch: who (as signed in at the proxy), when, from where."""

    time: datetime
    user: str
    addr: str
    request_id: str

    def reference(self) -> str:
        return (
            f"audit log: launch by operator {self.user} at {self.time.isoformat()} from {self.addr} (request "
            f"{self.request_id})"
        )


def audit_log_path() -> Path | None:
    value = os.environ.get(AUDIT_LOG_ENV, "").strip()
    return Path(value) if value else None


def _window() -> timedelta:
    value = os.environ.get(WINDOW_ENV, "").strip()
    return timedelta(seconds=float(value)) if value else DEFAULT_WINDOW


def _lines_newest_first(path: Path) -> list[str]:
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - TAIL_BYTES))
        text = f.read().decode("utf-8", errors="replace")
    lines = text.splitlines()
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first line read may be cut
    return lines[::-1]


def _overrides(value: Any) -> Iterator[dict]:
    """Every mapping holding `accept_rules` in a request's variables; run config sent as a YAML or
    JSON string (the launchpad sends its editor's text) is parsed first."""
    if isinstance(value, dict):
        if "accept_rules" in value:
            yield value
        for item in value.values():
            yield from _overrides(item)
    elif isinstance(value, list):
        for item in value:
            yield from _overrides(item)
    elif isinstance(value, str) and "accept_rules" in value:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return
        if not isinstance(parsed, str):
            yield from _overrides(parsed)


def _carries(body: Any, rules: set[str], reason: str) -> bool:
    requests = body if isinstance(body, list) else [body]
    for request in requests:
        if not isinstance(request, dict) or not _LAUNCH.search(str(request.get("query") or "")):
            continue
        for override in _overrides(request.get("variables")):
            logged_rules = override.get("accept_rules")
            if (
                isinstance(logged_rules, list)
                and {str(r) for r in logged_rules} == rules
                and str(override.get("reason", "")).strip() == reason
            ):
                return True
    return False


def find_launch(
    path: Path, accepted_by: str, rules: list[str], reason: str, now: datetime, window: timedelta
) -> AuditEntry | None:
    """The newest logged launch by the signed-in operator `accepted_by` carrying `rules` and `reason`,
    within `window` of `now`."""
    wanted = {str(r) for r in rules}
    for line in _lines_newest_first(path):
        try:
            entry = json.loads(line)
            when = datetime.fromisoformat(entry["time"])
        except (ValueError, KeyError, TypeError):
            continue
        if when < now - window:
            break  # older entries follow
        if when > now + timedelta(minutes=5):
            continue
        if (
            entry.get("user") != accepted_by
            or entry.get("role") != OPERATOR
            or str(entry.get("status")) != "200"
            or entry.get("method") != "POST"
        ):
            continue
        try:
            body = json.loads(entry.get("body") or "")
        except ValueError:
            continue
        if _carries(body, wanted, reason):
            return AuditEntry(when, entry["user"], str(entry.get("addr", "")), str(entry.get("request_id", "")))
    return None


def verify(
    table: str,
    rules: list[str],
    accepted_by: str,
    reason: str,
    *,
    path: Path | None = None,
    now: datetime | None = None,
) -> AuditEntry | None:
    """None where no audit log is configured; else the audit entry that backs the acceptance, or a
    refusal saying what to do."""
    path = path or audit_log_path()
    if path is None or not rules:
        return None
    now = now or datetime.now(UTC)
    window = _window()
    found = None
    if path.is_file():
        found = find_launch(path, accepted_by.strip(), rules, reason.strip(), now, window)
    if found is None:
        refusal = (
            f"{table}: break glass refused: accepting {', '.join(rules)} as accepted_by {accepted_by.strip()!r} "
            f"needs a launch of this run "
            f"by the signed-in operator {accepted_by.strip()!r}, carrying the same accept_rules and reason, in the "
            f"audit log ({path}) "
            f"within the last {window.total_seconds() / 3600:g} h; none was found. Sign in to the UI as an operator "
            f"(analysts cannot "
            "launch), set accepted_by to your user name exactly as you signed in, and launch the run again from the "
            "launchpad."
        )
        logger.warning(refusal)
        raise dg.Failure(description=refusal)
    logger.info(
        f"break glass: {table} accepts {', '.join(rules)} by {found.user}, checked against the {found.reference()}"
    )
    return found


def audited_reason(reason: str, entry: AuditEntry | None) -> str:
    """The reason as stored with an acceptance: with a reference to the audit entry when there is one."""
    return f"{reason} [{entry.reference()}]" if entry else reason
