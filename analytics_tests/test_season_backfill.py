"""A live backfill for real, one season per run, as the daemon runs it: each run in its own process
(`dg.execute_job`), scraping two seasons from local servers at the real URL paths, on an instance
whose pools admit one step each, as `make dev` runs it.

Each page is fetched once: the games file by the first run (the second replays it from the archive),
each season's PFR and Spotrac pages by that season's run; a second backfill replays everything.
"""

from __future__ import annotations

import dagster as dg
import pytest

from analytics_tests.support.data import read_table, shared_file

pytestmark = pytest.mark.integration

SEASONS = (2016, 2017)  # both in the nflverse export the benchmark pages are built from


@pytest.fixture
def servers(tmp_path, monkeypatch):
    shared_file("pages", "pfr_years_2017_index.html")
    from benchmarks import pages

    pfr_pages, spotrac_pages = pages.pages_for(SEASONS)
    with (
        pages.PageServer({pages.GAMES_PATH: pages.games_file()}) as nfl,
        pages.PageServer(pfr_pages) as pfr,
        pages.PageServer(spotrac_pages) as spotrac,
    ):
        # The run processes read their settings from the environment, as under the daemon.
        for name, value in {
            "ANALYTICS_SOURCE": "live",
            "ANALYTICS_DUCKDB_PATH": str(tmp_path / "analytics.duckdb"),
            "ANALYTICS_ARCHIVE_DIR": str(tmp_path / "archive"),
            "ANALYTICS_HTTP_MIN_INTERVAL_S": "0",
            "PFR_BASE_URL": pfr.base_url,
            "SPOTRAC_BASE_URL": spotrac.base_url,
            "NFLVERSE_GAMES_URL": nfl.base_url + pages.GAMES_PATH,
        }.items():
            monkeypatch.setenv(name, value)
        yield (nfl, pfr, spotrac)


# One run, in a process of its own (as the run launcher starts it), on the instance in $DAGSTER_HOME.
RUN = (
    "import sys, dagster as dg\n"
    "from analytics_assets.definitions import defs\n"
    "result = defs.resolve_job_def('season_pipeline').execute_in_process(instance=dg.DagsterInstance.get(), "
    "partition_key=sys.argv[1], raise_on_error=False)\n"
    "print(result.run_id)\n"
    "sys.exit(0 if result.success else 1)\n"
)


def run_backfill(home) -> list[str]:
    import os
    import subprocess
    import sys

    run_ids = []
    for season in SEASONS:
        proc = subprocess.run(
            [sys.executable, "-c", RUN, str(season)],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        run_ids.append(proc.stdout.strip().splitlines()[-1])
    return run_ids


@pytest.mark.slow
def test_a_live_backfill_fetches_each_page_once_and_replays_it_afterwards(tmp_path, servers):
    from analytics_tests.support.data import REPO

    nfl, pfr, spotrac = servers
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    run_ids = run_backfill(home)
    assert (nfl.requests(), pfr.requests(), spotrac.requests()) == (1, len(SEASONS), len(SEASONS))
    stored = read_table(
        tmp_path / "analytics.duckdb",
        "SELECT season, count(*) AS teams FROM nfl.team_season_risk GROUP BY season ORDER BY season",
    )
    assert stored.values.tolist() == [[season, 32] for season in SEASONS]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        seasons = [instance.get_run_by_id(run_id).tags["dagster/partition"] for run_id in run_ids]
    assert seasons == [str(s) for s in SEASONS]
    # Completed seasons are archived: the same backfill again fetches nothing.
    run_backfill(home)
    assert (nfl.requests(), pfr.requests(), spotrac.requests()) == (1, len(SEASONS), len(SEASONS))
