"""Break glass tied to a signed-in identity: the proxy's audit log backs an acceptance (deploy/README.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from analytics_assets.quality import audited_identity, gate

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
RULES = ["dead_cap_drift"]
REASON = "League-wide restructures after the new CBA"
LAUNCH = (
    "mutation LaunchPipelineExecution($executionParams: ExecutionParams!) { "
    "launchPipelineExecution(executionParams: $executionParams) { __typename } }"
)


def launch_body(run_config, query: str = LAUNCH) -> str:
    return json.dumps(
        {
            "operationName": "LaunchPipelineExecution",
            "query": query,
            "variables": {"executionParams": {"runConfigData": run_config, "selector": {"jobName": "season_pipeline"}}},
        }
    )


def config(rules=RULES, reason=REASON, by="olga") -> dict:
    return {"ops": {"dead_cap": {"config": {"accept_rules": rules, "reason": reason, "accepted_by": by}}}}


def entry(
    body: str, *, user="olga", role="operator", status="200", when=NOW - timedelta(minutes=3), method="POST"
) -> dict:
    return {
        "time": when.isoformat(),
        "user": user,
        "role": role,
        "addr": "10.0.0.7",
        "forwarded_for": "",
        "method": method,
        "uri": "/graphql",
        "status": status,
        "request_id": "abc123",
        "body": body,
    }


def write_log(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def verify(path: Path, by: str = "olga", rules=RULES, reason: str = REASON):
    return audited_identity.verify("dead_cap", rules, by, reason, path=path, now=NOW)


@pytest.mark.unit
def test_a_launch_by_the_signed_in_operator_backs_the_acceptance_and_is_referenced(tmp_path):
    path = write_log(tmp_path, entry(launch_body(config())))
    found = verify(path)
    assert found is not None and found.user == "olga" and found.time == NOW - timedelta(minutes=3)
    stored = audited_identity.audited_reason(REASON, found)
    assert (
        stored.startswith(REASON)
        and "operator olga" in stored
        and found.time.isoformat() in stored
        and "10.0.0.7" in stored
    )


@pytest.mark.unit
def test_the_launchpads_yaml_run_config_is_read(tmp_path):
    yaml_text = (
        f'ops:\n  dead_cap:\n    config:\n      accept_rules: [dead_cap_drift]\n      reason: "{REASON}"\n  '
        f"    accepted_by: olga\n"
    )
    assert verify(write_log(tmp_path, entry(launch_body(yaml_text)))) is not None


@pytest.mark.unit
@pytest.mark.parametrize(
    ("logged", "by"),
    [
        (entry(launch_body(config(by="ana")), user="ana", role="analyst"), "ana"),  # an analyst is never enough
        (entry(launch_body(config())), "ana"),  # accepted_by names someone else than who launched
        (entry(launch_body(config(rules=["dead_cap_jump"]))), "olga"),  # other rules
        (entry(launch_body(config(reason="other"))), "olga"),  # another reason
        (entry(launch_body(config()), status="401"), "olga"),  # sign-in failed
        (entry(launch_body(config()), when=NOW - timedelta(hours=7)), "olga"),  # too old
        (
            entry(launch_body(config(), query="mutation { wipeAssets(assetPartitionRanges: []) { __typename } }")),
            "olga",
        ),  # not a launch
    ],
)
def test_an_acceptance_without_a_matching_operator_launch_is_refused_saying_what_to_do(tmp_path, logged, by):
    with pytest.raises(dg.Failure) as refused:
        verify(write_log(tmp_path, logged), by=by)
    message = refused.value.description or ""
    assert (
        "break glass refused" in message
        and f"signed-in operator {by!r}" in message
        and "Sign in to the UI as an operator" in message
    )


@pytest.mark.unit
def test_a_missing_audit_log_refuses(tmp_path):
    with pytest.raises(dg.Failure, match="none was found"):
        verify(tmp_path / "absent.jsonl")


@pytest.mark.unit
def test_without_an_audit_log_configured_nothing_changes(monkeypatch):
    monkeypatch.delenv(audited_identity.AUDIT_LOG_ENV, raising=False)
    override = gate.GateOverride(accept_rules=RULES, reason=REASON, accepted_by="anyone@example.com")
    assert gate.check_override("dead_cap", override) == RULES
    assert audited_identity.audited_reason(REASON, None) == REASON


@pytest.mark.unit
def test_the_gate_checks_the_identity_when_the_audit_log_is_configured(monkeypatch, tmp_path):
    monkeypatch.setenv(
        audited_identity.AUDIT_LOG_ENV, str(write_log(tmp_path, entry(launch_body(config()), when=datetime.now(UTC))))
    )
    assert (
        gate.check_override("dead_cap", gate.GateOverride(accept_rules=RULES, reason=REASON, accepted_by="olga"))
        == RULES
    )
    with pytest.raises(dg.Failure, match="break glass refused"):
        gate.check_override("dead_cap", gate.GateOverride(accept_rules=RULES, reason=REASON, accepted_by="ana"))
