"""Alerts on failed runs: a run-failure sensor that POSTs one JSON message per failed run.

ANALYTICS_ALERT_WEBHOOK_URL is where it goes (a Slack or Teams incoming webhook, or any HTTP
endpoint taking JSON: the payload has Slack's `text` plus structured fields). When it is unset the
alert is only logged, as a warning in the sensor's tick log and on the daemon's stderr, so nothing
is lost silently. ANALYTICS_WEBSERVER_URL (optional) makes the message link to the run in the UI.

Delivery is retried (connection errors, 429 and 5xx; three attempts with backoff). A webhook that
still fails makes the sensor tick fail: Dagster shows the failed tick under Automation and records
the error, with the alert's text, in the failed run's own event log, so the alert is not lost.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import dagster as dg

from analytics_assets.json_logs import partition_label
from analytics_assets.run_failures import step_failure_summary
from analytics_assets.run_tags import BACKFILL_TAG, IMPLICIT_ASSET_JOB, PARTITION_RANGE_START_TAG, PARTITION_TAG

WEBHOOK_ENV = "ANALYTICS_ALERT_WEBHOOK_URL"
WEBSERVER_URL_ENV = "ANALYTICS_WEBSERVER_URL"

logger = logging.getLogger(__name__)


class AlertDeliveryError(RuntimeError):
    pass


def run_target(run: dg.DagsterRun) -> str:
    """What the run was, in words: its job, or, for a run of Dagster's implicit job (launched from an
    asset's page, an asset backfill, an automation condition), the assets it was to materialize."""
    if run.job_name != IMPLICIT_ASSET_JOB:
        return f"job `{run.job_name}`"
    assets = sorted(key.to_user_string() for key in run.asset_selection or ())
    shown = ", ".join(assets[:4]) + (f" and {len(assets) - 4} more" if len(assets) > 4 else "")
    return f"assets {shown}" if assets else "assets"


def failure_payload(
    run: dg.DagsterRun,
    step_failures: Sequence[dict[str, str]],
    run_failure_message: str | None,
    webserver_url: str | None = None,
) -> dict[str, Any]:
    """The alert for one failed run (pure: everything it says comes from the arguments)."""
    tags = dict(run.tags)
    partition = partition_label(tags)
    run_url = f"{webserver_url.rstrip('/')}/runs/{run.run_id}" if webserver_url else None
    first = step_failures[0] if step_failures else None
    error = first["error"] if first else (run_failure_message or "The run failed before any step ran.")
    where = f"step `{first['step_key']}`" if first else "before or between steps"
    about = [f"season {partition}" if "..." not in partition else f"seasons {partition}"] if partition else []
    if BACKFILL_TAG in tags:
        about.append(f"backfill {tags[BACKFILL_TAG]}")
    target = run_target(run)
    context = f" ({', '.join(about)})" if about else ""
    text = (
        f"Dagster run {run.run_id[:8]} of {target}{context} failed at {where}: {error.splitlines()[0] if error else ''}"
    )
    if run_url:
        text += f"\n{run_url}"
    return {
        "text": text,
        "run_id": run.run_id,
        "job_name": run.job_name,
        "target": target,
        "status": str(run.status.value),
        "partition": partition,
        "failed_steps": list(step_failures),
        "failing_step": first["step_key"] if first else None,
        "error": error,
        "run_failure_message": run_failure_message,
        "trigger": {
            k: v
            for k, v in tags.items()
            if k in ("trigger", "dagster/schedule_name", "dagster/sensor_name", "dagster/backfill")
        },
        "run_url": run_url,
    }


def post_alert(url: str, payload: dict[str, Any], attempts: int = 3, timeout: float = 10.0) -> int:
    """POST the payload as JSON, retrying connection errors and 5xx; returns the HTTP status."""
    import requests  # imported when an alert is sent: loading the code location stays light

    last: str = ""
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(url, json=payload, timeout=timeout)
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 400:
                return response.status_code
            last = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code < 500 and response.status_code != 429:
                break
        if attempt < attempts:
            time.sleep(2 ** (attempt - 1))
    raise AlertDeliveryError(
        f"Could not deliver the alert for run {payload.get('run_id')} to {WEBHOOK_ENV} after {attempts} attempts "
        f"({last}). The alert: {payload.get('text')}"
    )


def is_season_refresh(run: dg.DagsterRun) -> bool:
    """A run that was to refresh a season: every season-partitioned asset is one (raw pages, core
    tables, risk rows), so a run with a season's partition tag is one. Its failure is a failed refresh
    the report shows; a failed report run is not (it would rebuild itself)."""
    return PARTITION_TAG in run.tags or PARTITION_RANGE_START_TAG in run.tags


def record_failed_refresh(context: dg.RunFailureSensorContext, payload: dict[str, Any]) -> None:
    """The failed refresh as a materialization of the `failed_refreshes` asset (recorded before the
    alert is sent, so a webhook that fails cannot lose it): the report rebuilds on it."""
    from analytics_assets.defs.monitoring.operations import RUN_FAILURES_ASSET

    context.instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RUN_FAILURES_ASSET,
            metadata={
                "run_id": dg.MetadataValue.text(payload["run_id"]),
                "target": dg.MetadataValue.text(payload["target"]),
                "season": dg.MetadataValue.text(payload["partition"] or ""),
                "failing_step": dg.MetadataValue.text(payload["failing_step"] or ""),
                "first_line": dg.MetadataValue.text(
                    (payload["error"] or "").splitlines()[0][:300] if payload["error"] else ""
                ),
            },
        )
    )


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    description=f"Posts every failed run (run, job, failing step, error) to {WEBHOOK_ENV}; logs it when unset. A "
    f"failed refresh of "
    "seasons is also recorded as the failed_refreshes asset, which the report reads.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    steps = [step_failure_summary(e) for e in context.get_step_failure_events()]
    payload = failure_payload(
        context.dagster_run, steps, context.failure_event.message, os.environ.get(WEBSERVER_URL_ENV) or None
    )
    if is_season_refresh(context.dagster_run):
        record_failed_refresh(context, payload)
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        message = f"{WEBHOOK_ENV} is unset, so this alert is only logged: {json.dumps(payload)}"
        context.log.warning(message)
        logger.warning(message)
        return
    status = post_alert(url, payload)
    context.log.info(f"Alert for run {context.dagster_run.run_id} posted to the webhook (HTTP {status}).")
