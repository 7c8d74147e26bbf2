"""Challenge and error pages are not data, and archived pages are verified on every replay.

Real Dagster runs against the local server at PFR's real URL path: a 200 bot challenge, then the
site recovers and serves the real 2017 page; an archived page altered on disk; a challenge page
an older version archived as if it were the page.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics_assets.ingestion import page_checks
from analytics_assets.ingestion.archive import RawArchive
from analytics_assets.ingestion.http_client import Attempt, HttpClientResource
from analytics_tests.support.data import read_table, shared_file, table_hash
from analytics_tests.support.http_server import PFR_2017_PATH, Reply
from analytics_tests.support.live import http_for as live_http_for
from analytics_tests.support.runs import materialize_seasons, step_failures

STORED = ["standings", "dead_cap", "partition_versions"]

# What Cloudflare's managed challenge sends with HTTP 200 (abridged; the markers are the real ones).
CLOUDFLARE_CHALLENGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"><meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">www.pro-football-reference.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div>
</noscript>
</div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "www.pro-football-reference.com",cType: 'managed'};
var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>
"""
MAINTENANCE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>Service Unavailable</h1>"
    b"<p>We are under maintenance. Back soon.</p></body></html>"
)


def http_for(server, archive: Path, **overrides) -> HttpClientResource:
    """The live tests' client, with a longer read timeout for these slower replies."""
    return live_http_for(server, archive, **{"read_timeout_s": 5.0, **overrides})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2017, names=["standings"]).success
    return path


@pytest.fixture(autouse=True)
def live(monkeypatch):
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")
    monkeypatch.setenv("ANALYTICS_STANDINGS_SOURCES", "pfr")  # PFR's pages are under test: no second source


def stored(db: Path) -> dict:
    return {t: table_hash(db, t) for t in STORED}


def failure(result) -> str:
    assert not result.success
    return " ".join(step_failures(result).values())


def standings_2017(db: Path):
    return read_table(
        db,
        "SELECT team, wins, losses, ties, points_for, points_against, source, raw_sha256 FROM nfl.standings WHERE "
        "season = 2017 ORDER BY team",
    )


# The classification itself, on the real pages and on real-looking challenge and error pages.


@pytest.mark.unit
def test_the_real_pages_are_pages_even_where_they_mention_captcha():
    pfr_page = shared_file("pages", "pfr_years_2017_index.html").read_bytes()
    spotrac_page = shared_file("pages", "spotrac_nfl_cap_2024.html").read_bytes()
    assert b"captcha" in spotrac_page.lower()  # Spotrac's own page loads a captcha script
    assert page_checks.problem("pfr", pfr_page) is None
    assert page_checks.problem("spotrac", spotrac_page) is None
    # Each is not the other source's page: Spotrac's page where PFR's was expected is refused.
    assert page_checks.problem("pfr", spotrac_page).kind == page_checks.BOT_PROTECTION


@pytest.mark.parametrize(
    ("body", "kind", "seen"),
    [
        (
            CLOUDFLARE_CHALLENGE,
            page_checks.BOT_PROTECTION,
            "'just a moment...', 'cf_chl', 'challenge-platform', 'enable javascript and cookies'",
        ),
        (
            b"<html><head><title>Access Denied</title></head><body>Access denied. Reference #18.5</body></html>",
            page_checks.BOT_PROTECTION,
            "'access denied'",
        ),
        (
            b"<html><body><div id='px-captcha'>Press and hold</div></body></html>",
            page_checks.BOT_PROTECTION,
            "'captcha'",
        ),
        (MAINTENANCE_PAGE, page_checks.BAD_PAGE, "'service unavailable'"),
        (b"<html><body><p>Hello</p></body></html>", page_checks.BAD_PAGE, "only 38 bytes"),
    ],
    ids=["cloudflare", "akamai", "perimeterx", "maintenance", "tiny"],
)
@pytest.mark.unit
def test_challenge_and_error_pages_are_classified(body, kind, seen):
    problem = page_checks.problem("pfr", body)
    assert problem.kind == kind and seen in problem.reason
    assert "it lacks the AFC and NFC standings tables" in problem.reason


@pytest.mark.unit
def test_a_data_file_source_accepts_csv_and_refuses_an_html_page():
    assert page_checks.problem("nflverse", b"game_id,season,game_type\n2017_01_KC_NE,2017,REG\n") is None
    assert page_checks.problem("nflverse", CLOUDFLARE_CHALLENGE).kind == page_checks.BOT_PROTECTION


# Through real runs.


@pytest.mark.integration
def test_a_challenge_page_fails_as_bot_protection_and_the_next_run_fetches_again(db, tmp_path, page_server):
    archive = tmp_path / "archive"
    http = http_for(page_server, archive)
    url = page_server.url(PFR_2017_PATH)
    page_server.always_reply(PFR_2017_PATH, Reply(200, CLOUDFLARE_CHALLENGE))
    before = stored(db)
    message = failure(materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False))
    assert "season 2017" in message and url in message
    assert "bot-protection challenge" in message and "not a parser problem" in message and "not retried" in message
    assert "'just a moment...'" in message and "title 'Just a moment...'" in message
    assert "pfr.py" not in message and "layout" not in message  # never "fix the parser"
    assert "standings_2017.csv" in message
    assert len(page_server.requests()) == 1
    assert stored(db) == before
    # Kept for inspection apart from the good archive, and never offered for replay.
    digest = hashlib.sha256(CLOUDFLARE_CHALLENGE).hexdigest()
    kept = archive / "_rejected" / f"{digest}.html"
    assert kept.read_bytes() == CLOUDFLARE_CHALLENGE and str(kept) in message
    assert not RawArchive(archive).object_path(digest).exists()
    (entry,) = [json.loads(line) for line in (archive / "index.jsonl").read_text().splitlines()]
    assert (
        entry["ok"] is False
        and entry["status"] == 200
        and entry["rejected"].startswith("bot-protection challenge page")
    )
    assert RawArchive(archive).latest(url) is None
    log = read_table(db, "SELECT status, ok, error FROM nfl.scrape_log")
    assert log[["status", "ok"]].values.tolist() == [[200, False]] and log["error"][0].startswith(
        "bot-protection challenge page"
    )

    # The site recovers: the next run, with no force flag, fetches the real page and loads it.
    page_server.always.clear()
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    assert len(page_server.requests()) == 2
    rows = standings_2017(db)
    assert len(rows) == 32 and set(rows["source"]) == {"live"}
    assert set(rows["raw_sha256"]) == {hashlib.sha256(page_server.pages[PFR_2017_PATH]).hexdigest()}


@pytest.mark.integration
def test_a_200_error_page_is_retried_and_the_real_page_loaded(db, tmp_path, page_server):
    page_server.script(PFR_2017_PATH, Reply(200, MAINTENANCE_PAGE))
    archive = tmp_path / "archive"
    assert materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, archive)).success
    log = read_table(db, "SELECT attempt, status, ok, error FROM nfl.scrape_log ORDER BY attempt")
    assert log[["attempt", "status", "ok"]].values.tolist() == [[1, 200, False], [2, 200, True]]
    assert log["error"][0].startswith("error page, not the source's page")
    assert (archive / "_rejected" / f"{hashlib.sha256(MAINTENANCE_PAGE).hexdigest()}.html").exists()


@pytest.mark.integration
def test_a_challenge_page_archived_as_the_page_by_an_older_version_is_quarantined_and_fetched_again(
    db, tmp_path, page_server, caplog
):
    archive = RawArchive(tmp_path / "archive")
    url = page_server.url(PFR_2017_PATH)
    old = Attempt(url, 1, datetime(2026, 11, 1, tzinfo=UTC), 200, True, None, 12.0, CLOUDFLARE_CHALLENGE)
    archived = archive.put(old, source="pfr", season=2017, run_id="an-older-run")
    assert archive.pages(url)[0].ok  # what the archive held before pages were checked
    with caplog.at_level(logging.WARNING, logger="analytics_assets.archive"):
        assert materialize_seasons(db, 2017, names=["standings"], http=http_for(page_server, archive.root)).success
    assert len(page_server.requests()) == 1 and set(standings_2017(db)["source"]) == {"live"}
    assert not Path(archived.path).exists()
    (moved,) = (archive.root / "_rejected" / "quarantine").iterdir()
    assert moved.read_bytes() == CLOUDFLARE_CHALLENGE
    assert any(
        archived.path in r.getMessage() and "bot-protection challenge page" in r.getMessage() for r in caplog.records
    )


@pytest.mark.integration
def test_an_archived_page_altered_on_disk_is_quarantined_logged_and_fetched_again(db, tmp_path, page_server, caplog):
    archive = RawArchive(tmp_path / "archive")
    http = http_for(page_server, archive.root)
    url = page_server.url(PFR_2017_PATH)
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    good = standings_2017(db)
    (page,) = archive.pages(url)
    path = Path(page.path)
    altered = path.read_bytes().replace(b"New England Patriots", b"New England Patriotz", 1)
    path.chmod(0o644)
    path.write_bytes(altered)

    with caplog.at_level(logging.WARNING, logger="analytics_assets.archive"):
        assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    assert len(page_server.requests()) == 2  # fetched again, with no force flag
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "analytics_assets.archive"]
    assert str(path) in warning and "no longer matches its sha256" in warning and page.sha256 in warning
    (moved,) = (archive.root / "_rejected" / "quarantine").iterdir()
    assert moved.read_bytes() == altered and str(moved) in warning
    assert path.read_bytes() == page_server.pages[PFR_2017_PATH]  # the object holds the real bytes again
    again = standings_2017(db)
    assert set(again["source"]) == {"live"}
    assert again.drop(columns="source").equals(good.drop(columns="source"))
    quarantine_log = [
        json.loads(line) for line in (archive.root / "_rejected" / "quarantine.jsonl").read_text().splitlines()
    ]
    assert [(q["from"], q["to"]) for q in quarantine_log] == [(str(path), str(moved))]


@pytest.mark.integration
def test_an_altered_page_that_cannot_be_fetched_again_fails_without_claiming_it_was_archived(db, tmp_path, page_server):
    archive = RawArchive(tmp_path / "archive")
    http = http_for(page_server, archive.root, max_attempts=2)
    assert materialize_seasons(db, 2017, names=["standings"], http=http).success
    before = stored(db)
    (page,) = archive.pages(page_server.url(PFR_2017_PATH))
    Path(page.path).write_bytes(b"<html>tampered</html>")
    page_server.always_reply(PFR_2017_PATH, Reply(503, b"<html><body>busy</body></html>"))
    message = failure(materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False))
    assert "The archived copy could not be used, so the page was fetched again" in message
    assert page.path in message and "no longer matches its sha256" in message
    assert "failed on all 2 attempts" in message and "last status: 503" in message
    assert "not fetched again" not in message
    assert stored(db) == before
