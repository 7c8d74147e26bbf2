"""What a failed step said, read from its STEP_FAILURE event: shared by the failure alerts and the
report's list of failed refreshes."""

from __future__ import annotations

from typing import Any

import dagster as dg

ERROR_CHARS = 2000


def _root_error(error: Any) -> Any:
    """The innermost cause of a serialized error: the user's exception, not Dagster's wrapper."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    return error


def step_failure_summary(event: dg.DagsterEvent) -> dict[str, str]:
    """Step key, error type and error message of one STEP_FAILURE event."""
    data = event.event_specific_data
    error = _root_error(getattr(data, "error", None))
    user = getattr(data, "user_failure_data", None)
    message = (user.description if user is not None and user.description else None) or (
        error.message.strip() if error is not None else event.message or ""
    )
    return {
        "step_key": event.step_key or "",
        "error_type": error.cls_name if error is not None and error.cls_name else "Failure",
        "error": message[:ERROR_CHARS],
    }
