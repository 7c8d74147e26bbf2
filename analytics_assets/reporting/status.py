"""The pipeline's state as table rows and sentences, shown by the report and by the season page: failed
refreshes, recent incidents (nfl.incidents) and the scraper SLO in words. Pure: rows in, cells out."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics_assets.reporting.templating import Cell, Note, cell, missing, when
from analytics_assets.slo import ScrapeSlo, format_budget, format_pct

FAILED_HEADERS = ["Season", "Failed at", "First line of the failure", "Step", "Run", "Last good"]
INCIDENT_HEADERS = ["When", "Season", "Table", "Rule", "Outcome", "Source", "Expected", "Seen", "Raw page or file"]


def last_good(row) -> str:
    if missing(row.last_good_at):
        return "never: nothing of this season is stored"
    run = f" (run {str(row.last_good_run)[:8]})" if not missing(row.last_good_run) else ""
    return f"stored rows written {when(row.last_good_at)}{run}"


def refresh_note(row) -> str:
    """One failed refresh in a sentence: when, the first line of the failure, and when the season was last good."""
    return (
        f"Season {int(row.season)}: the last refresh failed {when(row.failed_at)} (run {str(row.run_id)[:8]}): "
        f"{str(row.error).rstrip('.')}. Last good: {last_good(row)}."
    )


def refresh_notes(failed: pd.DataFrame | None) -> dict[int, str]:
    """Season -> its failed-refresh sentence."""
    if failed is None:
        return {}
    return {int(r.season): refresh_note(r) for r in failed.itertuples()}


def with_notes(rows: list[list[Cell]], seasons: list[int], notes: dict[int, str]) -> list:
    """`rows` (one per entry of `seasons`) with a full-width note after the last row of each season that
    has one: the failed refresh beside the figures it left standing."""
    out: list = []
    for i, (row, season) in enumerate(zip(rows, seasons)):
        if season in notes:
            row[0] = Cell(row[0].text, row[0].sort, row[0].numeric, (row[0].cls + " status-failed").strip())
        out.append(row)
        if season in notes and (i + 1 == len(seasons) or seasons[i + 1] != season):
            out.append(Note(notes[season], "status-failed"))
    return out


def failed_rows(failed: pd.DataFrame | None) -> list[list[Cell]]:
    if failed is None:
        return []
    return [
        [
            cell(r.season, r.season, True),
            cell(when(r.failed_at), cls="status-failed"),
            cell(r.error),
            cell(r.step or "–", tag="code"),
            cell(str(r.run_id)[:8], tag="code"),
            cell(last_good(r)),
        ]
        for r in failed.sort_values("season").itertuples()
    ]


def incident_rows(incidents: pd.DataFrame | None) -> list[list[Cell]]:
    if incidents is None:
        return []
    return [
        [
            cell(when(r.incident_at), cls="nowrap"),
            cell(r.season, r.season, True),
            cell(r.table_name),
            cell(r.rule, cls="nowrap", tag="code"),
            cell(r.outcome, cls="status-" + ("failed" if r.outcome == "refused" else "warning")),
            cell(f"{r.source or ''} {r.source_ref or ''}".strip(), tag="code", tag_class="ref"),
            cell(r.expected),
            cell(r.seen),
            cell(r.raw_path or "", tag="code", tag_class="ref"),
        ]
        for r in incidents.itertuples()
    ]


def slo_sentence(slos: Sequence[tuple[str, ScrapeSlo]]) -> str:
    """The SLO's state in words: target, window, attempts, and met or breached."""
    if not slos:
        return "No live scrape attempt is recorded in nfl.scrape_log, so the scraper SLO has nothing to measure."
    overall = slos[0][1]
    days = round((overall.window_end - overall.window_start).total_seconds() / 86400)
    if not overall.attempts:
        return (
            f"No live scrape attempt in the {days} days to {when(overall.window_end)}: the SLO "
            f"({format_pct(overall.target, 1)} of attempts succeed) has nothing to measure."
        )
    state = "met" if overall.met else "BREACHED"
    return (
        f"Scraper SLO {state}: {format_pct(overall.success_rate)} of {overall.attempts} scrape attempts succeeded in "
        f"the {days} days to "
        f"{when(overall.window_end)} (target {format_pct(overall.target, 1)}; error budget left "
        f"{format_budget(overall)})."
    )
