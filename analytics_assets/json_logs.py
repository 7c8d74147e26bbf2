"""Structured logs: one JSON object per line, for log shippers (Loki, CloudWatch, Datadog, ...).

Use it from dagster.yaml so every run of the deployment logs JSON to stdout (deploy/dagster.yaml):

    python_logs:
      managed_python_loggers: [analytics_assets]
      dagster_handler_config:
        handlers:
          json_stdout: {class: logging.StreamHandler, stream: ext://sys.stdout, formatter: json}
        formatters:
          json: {(): analytics_assets.json_logs.JsonFormatter}

Every line carries the run, job, step and partition Dagster knows about, plus whatever the code
logged as `extra`: the scraper logs each attempt with `extra=scrape_fields(...)`, so a line says
which season, source, URL and attempt it is about.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "dagster_meta", "taskName"}

# The fields of a scrape attempt, in the order they are written.
SCRAPE_FIELDS = ("season", "source", "url", "attempt", "status", "latency_ms", "bytes", "error")


def scrape_fields(
    *,
    season: int | str | None,
    source: str,
    url: str,
    attempt: int,
    **more: Any,
) -> dict[str, Any]:
    """The `extra` of a log line about one fetch attempt: `log.info("...", extra=scrape_fields(...))`."""
    return {"season": season, "source": source, "url": url, "attempt": attempt, **more}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def partition_label(tags: dict[str, str]) -> str | None:
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    start, end = tags.get(PARTITION_RANGE_START_TAG), tags.get(PARTITION_RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}...{end}"
    return None


class JsonFormatter(logging.Formatter):
    """Formats a record (a Dagster run's or a plain Python one) as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": meta.get("orig_message") if meta else record.getMessage(),
        }
        if meta:
            line.update(
                run_id=meta.get("run_id"),
                job=meta.get("job_name"),
                step=meta.get("step_key"),
                partition=partition_label(dict(meta.get("job_tags") or {})),
                event=event.event_type_value if event is not None else None,
            )
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}
        for key in SCRAPE_FIELDS:
            if key in extras:
                line[key] = _jsonable(extras.pop(key))
        line.update({k: _jsonable(v) for k, v in sorted(extras.items())})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in line.items() if v is not None}, ensure_ascii=False)
