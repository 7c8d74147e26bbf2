"""The `season_backfill` job for real: its multiprocess executor (forkserver, a process per step)
scraping two live seasons from local servers at the real URL paths, on an instance whose pools
admit one step each, as `make dev` runs it.

The DuckDB writers of the run never overlap, and they are held back by the executor (the
`analytics/duckdb` op tag, limit 1) rather than by the `duckdb` pool, which would make each of
them poll for the slot; a second run replays the archive without a request.
"""

from __future__ import annotations

import dagster as dg
import pytest

from analytics_assets.run_tags import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from analytics_assets.storage import DUCKDB_WRITER_TAGS
from analytics_tests.conftest import read_table, shared_file

SEASONS = (2016, 2017)  # both in the nflverse export the benchmark pages are built from


def season_backfill() -> dg.JobDefinition:
    """The job as the code location defines it; module level, so each step process can rebuild it."""
    from analytics_assets.definitions import defs

    return defs.resolve_job_def("season_backfill")


def writer_steps() -> set[str]:
    job = season_backfill()
    return {
        node.name for node in job.graph.node_dict.values()
        if all(node.tags.get(k) == v for k, v in DUCKDB_WRITER_TAGS.items())
    }


@pytest.fixture
def servers(tmp_path, monkeypatch):
    shared_file("pages", "pfr_years_2017_index.html")
    from benchmarks import pages

    pfr_pages, spotrac_pages = pages.pages_for(SEASONS)
    with pages.PageServer({pages.GAMES_PATH: pages.games_file()}) as nfl, pages.PageServer(pfr_pages) as pfr, pages.PageServer(spotrac_pages) as spotrac:
        # The step processes read their settings from the environment, as under the daemon.
        for name, value in {
            "ANALYTICS_SOURCE": "live", "ANALYTICS_DUCKDB_PATH": str(tmp_path / "analytics.duckdb"),
            "ANALYTICS_ARCHIVE_DIR": str(tmp_path / "archive"), "ANALYTICS_HTTP_MIN_INTERVAL_S": "0",
            "PFR_BASE_URL": pfr.base_url, "SPOTRAC_BASE_URL": spotrac.base_url, "NFLVERSE_GAMES_URL": nfl.base_url + pages.GAMES_PATH,
        }.items():
            monkeypatch.setenv(name, value)
        yield (nfl, pfr, spotrac)


def run_backfill(instance: dg.DagsterInstance) -> dg.ExecutionResult:
    tags = {PARTITION_RANGE_START_TAG: str(SEASONS[0]), PARTITION_RANGE_END_TAG: str(SEASONS[-1])}
    return dg.execute_job(dg.reconstructable(season_backfill), instance=instance, tags=tags, raise_on_error=False)


def step_windows(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[int, int]]:
    """Each step's (STEP_START, STEP_SUCCESS) positions in the run's event log, which is ordered."""
    starts, windows = {}, {}
    for i, entry in enumerate(instance.all_logs(run_id)):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = i
        elif event.event_type_value == "STEP_SUCCESS":
            windows[event.step_key] = (starts[event.step_key], i)
    return windows


def test_season_backfill_writes_one_step_at_a_time_without_polling_the_pool(tmp_path, servers):
    nfl, pfr, spotrac = servers
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        result = run_backfill(instance)
        assert result.success
        windows = step_windows(instance, result.run_id)
        writers = writer_steps()
        assert writers == {"standings", "dead_cap", "team_season_risk"}
        assert writers | {"raw_nflverse_games", "raw_pfr_season_page", "raw_spotrac_cap_page"} == set(windows)
        spans = sorted(windows[step] for step in writers)
        assert all(end < next_start for (_, end), (next_start, _) in zip(spans, spans[1:])), spans
        blocked = [e.user_message for e in instance.all_logs(result.run_id) if "blocked by limit for pool" in (e.user_message or "")]
        assert blocked == []
        assert (nfl.requests(), pfr.requests(), spotrac.requests()) == (1, len(SEASONS), len(SEASONS))
        stored = read_table(tmp_path / "analytics.duckdb", "SELECT season, count(*) AS teams FROM nfl.team_season_risk GROUP BY season ORDER BY season")
        assert stored.values.tolist() == [[season, 32] for season in SEASONS]

        # Completed seasons are archived: the same run again fetches nothing.
        assert run_backfill(instance).success
        assert (nfl.requests(), pfr.requests(), spotrac.requests()) == (1, len(SEASONS), len(SEASONS))
