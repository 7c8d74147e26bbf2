"""Failed refreshes: each season's latest refresh as Dagster's run storage recorded it (public API only).

A refresh of a season is a finished run that planned `standings` or `dead_cap` for it: the daily
schedule, a backfill, `make run`'s range run, a click in the UI. `latest_refreshes` reads them from
the instance and returns plain rows; `failed_refreshes` (pure) keeps the seasons whose latest
refresh failed and adds when their stored rows were last written ("last good", from
nfl.partition_versions). The report and the season page take these rows as data.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from analytics_assets.run_failures import step_failure_summary
from analytics_assets.run_tags import PARTITION_RANGE_START_TAG, PARTITION_TAG

REFRESH_TABLES = frozenset({"standings", "dead_cap"})
FIRST_LINE_CHARS = 300  # a live failure's one line can run to 2,000 characters; the run keeps all of it
RECENT_RUNS = 200  # the newest finished runs read: months of daily refreshes
REFRESH_COLUMNS = ["season", "run_id", "status", "ended_at", "step", "error"]
FAILED_COLUMNS = ["season", "run_id", "failed_at", "step", "error", "last_good_at", "last_good_run"]
SUCCEEDED, FAILED = "succeeded", "failed"


def first_line(text: str, limit: int = FIRST_LINE_CHARS) -> str:
    """The failure's first non-empty line; when longer than `limit`, its first sentence if that fits,
    else the line cut at a word with an ellipsis."""
    line = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    if len(line) <= limit:
        return line
    end = line.find(". ")
    if 0 < end < limit:
        return line[: end + 1]
    return line[:limit].rsplit(" ", 1)[0] + " …"


def latest_refreshes(instance: dg.DagsterInstance, limit: int = RECENT_RUNS) -> list[dict]:
    """Per season, its newest refresh among the `limit` newest succeeded or failed runs: season, run_id,
    status ("succeeded" or "failed"), ended_at (UTC), and for a failure the step and the first line of
    its error. Seasons are read from the runs' planned materializations, so single-partition runs,
    range runs and job runs all count; a run of the all-season assets is not a refresh."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS]), limit=limit
    )  # newest first
    latest: dict[int, dict] = {}
    for record in records:
        run = record.dagster_run
        if PARTITION_TAG not in run.tags and PARTITION_RANGE_START_TAG not in run.tags:
            continue  # no season in it: the summary, charts and report
        events = instance.all_logs(
            run.run_id, of_type={dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, dg.DagsterEventType.STEP_FAILURE}
        )
        seasons: set[int] = set()
        failure = None
        for entry in events:
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_FAILURE:
                failure = failure or event
            elif event.asset_key and event.asset_key.to_user_string() in REFRESH_TABLES and event.partition:
                seasons.add(int(event.partition))
        new = seasons - latest.keys()
        if not new:
            continue
        failed = run.status == dg.DagsterRunStatus.FAILURE
        summary = step_failure_summary(failure) if failed and failure is not None else {"step_key": "", "error": ""}
        ended = record.end_time or record.update_timestamp.timestamp()
        row = {
            "run_id": run.run_id,
            "status": FAILED if failed else SUCCEEDED,
            "ended_at": datetime.fromtimestamp(ended, UTC),
            "step": summary["step_key"],
            # A run can fail with no step failing (its launch or the run worker broke): say so.
            "error": first_line(summary["error"]) or ("the run failed before any step failed" if failed else ""),
        }
        for season in new:
            latest[season] = {"season": season, **row}
    return [latest[s] for s in sorted(latest)]


def failed_refreshes(refreshes: pd.DataFrame | list[dict], versions: pd.DataFrame) -> pd.DataFrame:
    """The seasons whose latest refresh failed (columns FAILED_COLUMNS), oldest season first.

    refreshes: `latest_refreshes` rows; versions: nfl.partition_versions rows (table_name, season,
    run_id, written_at). last_good_at is when the season's stored rows were last written (any table;
    NaT when nothing of the season is stored), last_good_run the run that wrote them.
    """
    frame = pd.DataFrame(refreshes, columns=REFRESH_COLUMNS)
    failed = frame[frame["status"] == FAILED].rename(columns={"ended_at": "failed_at"})
    stored = versions[versions["table_name"].isin(REFRESH_TABLES)].sort_values(["season", "written_at", "table_name"])
    last = stored.groupby("season").tail(1)[["season", "written_at", "run_id"]]
    last = last.rename(columns={"written_at": "last_good_at", "run_id": "last_good_run"})
    out = failed.merge(last, on="season", how="left")
    return out.reindex(columns=FAILED_COLUMNS).sort_values("season").reset_index(drop=True)
