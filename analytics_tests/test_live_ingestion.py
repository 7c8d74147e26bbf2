"""Live ingestion end to end: real Dagster runs fetching the saved pages from a local HTTP server.

Every fault test checks its outcome, what nfl.scrape_log recorded, and that the stored seasons
(standings, dead_cap and their partition versions) are exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics_assets.ingestion import pfr
from analytics_assets.ingestion.archive import RawArchive
from analytics_assets.ingestion.errors import LayoutChangedError
from analytics_assets.ingestion.live import LiveSources
from analytics_tests.support.data import read_table, shared_file, table_hash
from analytics_tests.support.http_server import PFR_2017_PATH, SPOTRAC_2024_PATH, Reply
from analytics_tests.support.live import http_for
from analytics_tests.support.runs import materialize_seasons, step_failures

STORED = ["standings", "dead_cap", "partition_versions"]
COLS = [
    "season",
    "team",
    "franchise",
    "conference",
    "division",
    "games",
    "wins",
    "losses",
    "ties",
    "points_for",
    "points_against",
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A DuckDB file already holding 2017 standings and 2024 dead cap from the embedded facts."""
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2017, names=["standings"]).success
    assert materialize_seasons(path, 2024, names=["dead_cap"]).success
    return path


@pytest.fixture
def live(monkeypatch):
    """Live sources, PFR alone for standings: these tests are about fetching PFR's and Spotrac's pages
    (test_nflverse_source.py covers the two standings sources together)."""
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")
    monkeypatch.setenv("ANALYTICS_STANDINGS_SOURCES", "pfr")


def stored(db: Path) -> dict:
    return {table: table_hash(db, table) for table in STORED}


def scrape_log(db: Path) -> pd.DataFrame:
    return read_table(db, "SELECT * FROM nfl.scrape_log ORDER BY fetched_at, attempt")


def failure(result) -> str:
    assert not result.success
    return " ".join(step_failures(result).values())


@pytest.mark.integration
def test_live_standings_2017_equal_the_reference_and_the_page_is_archived(db, tmp_path, page_server, live):
    archive = tmp_path / "archive"
    assert materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, archive)).success
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 ORDER BY team")
    reference = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    reference = reference[reference["season"] == 2017][COLS].sort_values("team").reset_index(drop=True)
    matching = (rows[COLS].astype(str).values == reference.astype(str).values).all(axis=1)
    assert matching.sum() == 32
    page = page_server.pages[PFR_2017_PATH]
    digest = hashlib.sha256(page).hexdigest()
    assert set(rows["source"]) == {"live"}
    assert set(rows["source_ref"]) == {page_server.url(PFR_2017_PATH)}
    assert set(rows["raw_sha256"]) == {digest}
    # The archive holds the exact bytes, addressed by their sha256, with how they were fetched.
    assert RawArchive(archive).object_path(digest).read_bytes() == page
    (entry,) = [json.loads(line) for line in (archive / "index.jsonl").read_text().splitlines()]
    assert entry["status"] == 200 and entry["ok"] and entry["bytes"] == len(page) and entry["attempts"] == 1
    assert entry["url"] == page_server.url(PFR_2017_PATH) and entry["latency_ms"] > 0 and entry["fetched_at"]
    log = scrape_log(db)
    assert log[["season", "source", "attempt", "status", "ok", "bytes", "sha256"]].values.tolist() == [
        [2017, "pfr", 1, 200, True, len(page), digest]
    ]


@pytest.mark.integration
def test_a_second_run_issues_no_request_for_an_archived_completed_season(db, tmp_path, page_server, live):
    http = http_for(page_server, tmp_path / "archive")
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    first = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 ORDER BY team")
    assert len(page_server.requests()) == 1
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    assert len(page_server.requests()) == 1  # replayed from the archive
    again = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 ORDER BY team")
    assert set(again["source"]) == {"archive"}
    pd.testing.assert_frame_equal(again[COLS + ["raw_sha256"]], first[COLS + ["raw_sha256"]])
    assert len(scrape_log(db)) == 1  # the scrape log records requests only
    # Forced, the page is fetched again.
    assert materialize_seasons(
        db, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive", force_refetch=True)
    ).success
    assert len(page_server.requests()) == 2


@pytest.mark.integration
def test_a_parser_fix_is_rematerialized_from_the_archive_without_a_request(
    db, tmp_path, page_server, live, monkeypatch
):
    http = http_for(page_server, tmp_path / "archive")
    real_parser = pfr.parse_standings

    def broken(html, season, url):
        raise LayoutChangedError(pfr.LABEL, season, url, "a parser that works", "a bug")

    monkeypatch.setattr(pfr, "parse_standings", broken)
    before = stored(db)
    assert "a parser that works" in failure(
        materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False)
    )
    assert stored(db) == before
    monkeypatch.setattr(pfr, "parse_standings", real_parser)
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    assert len(page_server.requests()) == 1
    assert set(read_table(db, "SELECT source FROM nfl.standings WHERE season = 2017")["source"]) == {"archive"}


@pytest.mark.integration
def test_live_dead_cap_2024_matches_the_reference_dead_money(db, tmp_path, page_server, live):
    assert materialize_seasons(db, 2024, names=["dead_cap"], http=http_for(page_server, tmp_path / "archive")).success
    rows = read_table(db, "SELECT * FROM nfl.dead_cap WHERE season = 2024")
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    merged = rows.merge(
        reference[reference["season"] == 2024], on=["season", "franchise"], suffixes=("", "_ref"), validate="one_to_one"
    )
    assert len(merged) == 32
    assert (merged["dead_money_musd"] - merged["dead_money_musd_ref"]).abs().max() < 0.05
    assert set(rows["league_salary_cap_musd"]) == {255.4}
    assert set(rows["source"]) == {"live"} and set(rows["source_ref"]) == {page_server.url(SPOTRAC_2024_PATH)}
    assert rows.loc[rows["franchise"] == "LAR", "team"].item() == "LA"  # Spotrac's LAR stored under the season code


@pytest.mark.integration
def test_auto_uses_embedded_facts_where_they_exist_and_live_otherwise(db, tmp_path, page_server, monkeypatch):
    monkeypatch.setenv("ANALYTICS_SOURCE", "auto")
    http = http_for(page_server, tmp_path / "archive")
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    assert page_server.requests() == []
    assert set(read_table(db, "SELECT source FROM nfl.standings WHERE season = 2017")["source"]) == {"embedded"}
    # 2026 ships no facts: it is asked of PFR (which has no such page on this server).
    message = failure(materialize_seasons(db, 2026, names=["standings"], http=http, raise_on_error=False))
    assert [s.path for s in page_server.requests()] == ["/years/2026/index.htm"]
    assert "has no page for season 2026" in message and "HTTP 404" in message


@pytest.mark.integration
def test_429_with_retry_after_then_200_loads_the_season(db, tmp_path, page_server, live):
    page_server.script(PFR_2017_PATH, Reply(429, b"<html><body>Too many requests</body></html>", {"Retry-After": "1"}))
    assert materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive")).success
    assert scrape_log(db)[["attempt", "status", "ok"]].values.tolist() == [[1, 429, False], [2, 200, True]]
    assert len(read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 AND source = 'live'")) == 32


@pytest.mark.integration
def test_500_until_retries_run_out_fails_with_the_attempts_and_keeps_stored_data(db, tmp_path, page_server, live):
    page_server.always_reply(PFR_2017_PATH, Reply(500, b"<html><body>Internal error</body></html>"))
    before = stored(db)
    message = failure(
        materialize_seasons(
            db, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False
        )
    )
    assert "season 2017" in message and page_server.url(PFR_2017_PATH) in message
    assert "failed on all 3 attempts" in message and "last status: 500" in message
    assert "nothing stored changed" in message
    assert stored(db) == before
    assert scrape_log(db)[["attempt", "status", "ok"]].values.tolist() == [
        [1, 500, False],
        [2, 500, False],
        [3, 500, False],
    ]


@pytest.mark.integration
def test_a_read_timeout_fails_and_keeps_stored_data(db, tmp_path, page_server, live):
    page_server.always_reply(PFR_2017_PATH, Reply(delay_s=1.0))
    before = stored(db)
    http = http_for(page_server, tmp_path / "archive", read_timeout_s=0.2, max_attempts=2)
    message = failure(materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False))
    assert "timed out" in message and "failed on all 2 attempts" in message and "last status: no response" in message
    assert stored(db) == before
    log = scrape_log(db)
    assert log["status"].isna().all() and log["error"].str.contains("timed out").all() and len(log) == 2


@pytest.mark.integration
def test_a_truncated_page_fails_and_keeps_stored_data(db, tmp_path, page_server, live):
    page_server.always_reply(PFR_2017_PATH, Reply(truncate_to=120_000))
    before = stored(db)
    archive = tmp_path / "archive"
    message = failure(
        materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, archive), raise_on_error=False)
    )
    assert "truncated page: 120000 bytes" in message and "failed on all 3 attempts" in message
    assert stored(db) == before
    assert (scrape_log(db)["ok"] == False).all()  # noqa: E712
    # The cut-off body is archived for inspection but never offered to the parser.
    assert RawArchive(archive).latest(page_server.url(PFR_2017_PATH)) is None
    assert str(archive) in message


@pytest.mark.integration
def test_a_page_without_the_afc_table_fails_naming_season_url_expectation_and_archive(db, tmp_path, page_server, live):
    html = page_server.pages[PFR_2017_PATH].decode()
    start = html.index('<table class="sortable stats_table" id="AFC"')
    end = html.index("</table>", start) + len("</table>")
    changed = (html[:start] + html[end:]).encode()
    page_server.serve(PFR_2017_PATH, changed)
    before = stored(db)
    archive = tmp_path / "archive"
    message = failure(
        materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, archive), raise_on_error=False)
    )
    archived = RawArchive(archive).object_path(hashlib.sha256(changed).hexdigest())
    assert "season 2017" in message and page_server.url(PFR_2017_PATH) in message
    assert 'expected a standings table with id="AFC"' in message
    assert str(archived) in message and archived.read_bytes() == changed
    assert "standings_2017.csv" in message  # what to do meanwhile
    assert stored(db) == before


@pytest.mark.integration
def test_a_403_fails_saying_bot_protection_and_pointing_to_the_manual_import(db, tmp_path, page_server, live):
    page_server.always_reply(PFR_2017_PATH, Reply(403, b"<html><body>Access denied: automated traffic</body></html>"))
    before = stored(db)
    message = failure(
        materialize_seasons(
            db, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False
        )
    )
    assert "HTTP 403 (bot protection)" in message and "not retried" in message
    assert "load the season by hand" in message and "standings_2017.csv" in message
    assert len(page_server.requests()) == 1
    assert stored(db) == before
    assert scrape_log(db)[["status", "ok"]].values.tolist() == [[403, False]]


@pytest.mark.unit
def test_the_season_in_progress_is_fetched_once_per_run(tmp_path, page_server):
    """2026 is in progress (its league year started 2026-03-01): fetched once per run, again in the next run."""
    page_server.serve("/years/2026/index.htm", page_server.pages[PFR_2017_PATH])
    http = http_for(page_server, tmp_path / "archive")
    url = page_server.url("/years/2026/index.htm")
    run_a = LiveSources(http, run_id="run-a")
    first, second = run_a.fetch("pfr", 2026, url), run_a.fetch("pfr", 2026, url)
    assert first.fresh and second.fresh and second.page.sha256 == first.page.sha256
    assert len(page_server.requests()) == 1
    LiveSources(http, run_id="run-b").fetch("pfr", 2026, url)
    assert len(page_server.requests()) == 2
    # A completed season is fetched by the first run only.
    LiveSources(http, run_id="run-c").fetch("pfr", 2017, page_server.url(PFR_2017_PATH))
    replay = LiveSources(http, run_id="run-d").fetch("pfr", 2017, page_server.url(PFR_2017_PATH))
    assert not replay.fresh and len(page_server.requests()) == 3


# Dagster flags yaml-defined log handlers as beta; the deployment relies on them knowingly.
@pytest.mark.filterwarnings("ignore:Handling yaml-defined logging:dagster.BetaWarning")
@pytest.mark.integration
def test_every_attempt_is_a_json_log_line_with_season_source_url_and_attempt(db, tmp_path, page_server, live):
    """The deployment's JSON logging, applied to a real live run that needed a retry."""
    import dagster as dg
    import yaml

    from analytics_tests.support.data import REPO

    python_logs = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["python_logs"]
    log_file = tmp_path / "run.jsonl"
    python_logs["dagster_handler_config"]["handlers"]["json_stdout"] = {
        "class": "logging.FileHandler",
        "level": "INFO",
        "filename": str(log_file),
        "formatter": "json",
    }
    page_server.script(PFR_2017_PATH, Reply(503, b"<html><body>busy</body></html>"))
    with dg.instance_for_test(overrides={"python_logs": python_logs}) as instance:
        result = materialize_seasons(
            db, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive"), instance=instance
        )
    assert result.success
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    attempts = [line for line in lines if line.get("logger") == "analytics_assets.scrape"]
    assert [(a["attempt"], a["status"], a["level"]) for a in attempts] == [(1, 503, "WARNING"), (2, 200, "INFO")]
    for a in attempts:
        assert (a["season"], a["source"], a["run_id"], a["partition"]) == (2017, "pfr", result.run_id, "2017")
        assert a["url"] == page_server.base_url + PFR_2017_PATH
