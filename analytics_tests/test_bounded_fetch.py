"""Bounded fetches against misbehaving servers: a wall-clock deadline per attempt and a size cap.

The local server answers at PFR's real URL path with a body trickled one byte a second, headers
then silence, and a body that never ends. Each fetch must end soon after its deadline (never after
the read timeout, which a trickle resets on every byte) with an error naming the URL, the limit and
what was seen; memory must stay near the cap; stored seasons must stay as they were.
"""

from __future__ import annotations

import random
import threading
import time
import tracemalloc

import pytest

from analytics_assets.ingestion.errors import ResponseTooLargeError, RetriesExhaustedError
from analytics_assets.ingestion.http_client import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOTAL_TIMEOUT_S,
    HttpClientResource,
    PoliteClient,
)
from analytics_assets.settings import from_environment
from analytics_tests.support.data import read_table, shared_file, table_hash
from analytics_tests.support.http_server import PFR_2017_PATH, Reply
from analytics_tests.support.runs import materialize_seasons, step_failures

STORED = ["standings", "dead_cap", "partition_versions"]
DEADLINE_S = 2.0
# A bound the fetch must end within. The trickled page would take 467,236 s and the read timeout
# below is 30 s: ending before this proves the deadline ended it (the slack is for a loaded machine).
ENDS_WITHIN_S = DEADLINE_S + 8.0


def client(**overrides) -> PoliteClient:
    config = dict(
        user_agent="analytics-assets-tests/1.0 (+tests)",
        connect_timeout_s=5.0,
        read_timeout_s=30.0,
        total_timeout_s=DEADLINE_S,
        max_attempts=1,
        backoff_base_s=0.01,
        backoff_max_s=0.02,
        min_interval_s=0.0,
    )
    config.update(overrides)
    return PoliteClient(sleep=lambda s: None, rng=random.Random(3), **config)


def timed_failure(polite: PoliteClient, url: str, error=RetriesExhaustedError):
    start = time.monotonic()
    with pytest.raises(error) as caught:
        polite.get(url)
    return caught.value, time.monotonic() - start


@pytest.mark.unit
def test_the_real_pages_fit_the_default_bounds():
    """The defaults leave ample room for the real pages: 20 MB against 467 KB and 567 KB."""
    sizes = [
        shared_file("pages", name).stat().st_size for name in ("pfr_years_2017_index.html", "spotrac_nfl_cap_2024.html")
    ]
    assert max(sizes) * 30 < DEFAULT_MAX_RESPONSE_BYTES
    assert DEFAULT_TOTAL_TIMEOUT_S == 60.0
    built = HttpClientResource().build_client()
    assert (built.total_timeout_s, built.max_response_bytes) == (DEFAULT_TOTAL_TIMEOUT_S, DEFAULT_MAX_RESPONSE_BYTES)


@pytest.mark.unit
def test_the_bounds_come_from_the_environment_when_unset(monkeypatch):
    monkeypatch.setenv("ANALYTICS_HTTP_TOTAL_TIMEOUT_S", "12.5")
    monkeypatch.setenv("ANALYTICS_HTTP_MAX_RESPONSE_BYTES", "1000000")
    built = from_environment(HttpClientResource, bind=False).build_client()
    assert (built.total_timeout_s, built.max_response_bytes) == (12.5, 1_000_000)
    assert HttpClientResource(total_timeout_s=5, max_response_bytes=10).build_client().max_response_bytes == 10


@pytest.mark.unit
def test_a_body_trickled_one_byte_a_second_ends_at_the_deadline(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(trickle_s=1.0))
    exc, elapsed = timed_failure(client(), page_server.url(PFR_2017_PATH))
    print(f"trickle (1 byte/s): gave up after {elapsed:.2f} s (deadline {DEADLINE_S} s, read timeout 30 s)")
    assert elapsed < ENDS_WITHIN_S
    message = str(exc)
    assert page_server.url(PFR_2017_PATH) in message
    assert f"total_timeout_s={DEADLINE_S:g} s (wall clock per attempt)" in message
    assert "HTTP 200 headers arrived, then" in message and "of 467,236 (Content-Length)" in message
    (attempt,) = exc.attempts
    assert attempt.kind == "deadline" and attempt.body is None and attempt.status == 200


@pytest.mark.unit
def test_headers_then_silence_ends_at_the_deadline_not_the_read_timeout(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(silence_after_headers=True))
    exc, elapsed = timed_failure(client(), page_server.url(PFR_2017_PATH))
    print(f"headers then silence: gave up after {elapsed:.2f} s (deadline {DEADLINE_S} s, read timeout 30 s)")
    assert elapsed < ENDS_WITHIN_S
    assert "HTTP 200 headers arrived, then 0 bytes of 467,236 (Content-Length)" in str(exc)


@pytest.mark.unit
def test_no_headers_at_all_ends_at_the_deadline(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(delay_s=30.0))
    exc, elapsed = timed_failure(client(), page_server.url(PFR_2017_PATH))
    print(f"no headers: gave up after {elapsed:.2f} s (deadline {DEADLINE_S} s, read timeout 30 s)")
    assert elapsed < ENDS_WITHIN_S
    assert "no response headers arrived" in str(exc)


SLOW_HOST = "slow-dns.test"


@pytest.fixture
def hanging_resolver(monkeypatch):
    """A lookup of SLOW_HOST hangs (as a dead name server does) until the test ends; every other name
    resolves as usual. The system resolver cannot be slowed here, so its call is."""
    import socket

    released = threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == SLOW_HOST:
            released.wait(120)
            raise socket.gaierror("released by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield SLOW_HOST
    released.set()


def _on_host(server, host: str) -> str:
    """The server's base URL with its address replaced by `host` (same port)."""
    return f"http://{host}:{server.base_url.rsplit(':', 1)[1]}"


@pytest.mark.unit
def test_a_host_name_that_does_not_resolve_in_time_ends_at_the_deadline(page_server, hanging_resolver):
    polite = client()
    exc, elapsed = timed_failure(polite, _on_host(page_server, hanging_resolver) + PFR_2017_PATH)
    print(f"DNS lookup that never answers: gave up after {elapsed:.2f} s (deadline {DEADLINE_S} s)")
    assert elapsed < ENDS_WITHIN_S
    message = str(exc)
    assert f"total_timeout_s={DEADLINE_S:g} s (wall clock per attempt)" in message
    assert "the host name 'slow-dns.test' was still being resolved (DNS)" in message
    (attempt,) = exc.attempts
    assert attempt.kind == "deadline" and attempt.body is None
    # The client goes on with a fresh session: the next page arrives whole.
    page_server.always_reply(PFR_2017_PATH, Reply())
    assert (
        polite.get(page_server.url(PFR_2017_PATH)).body
        == shared_file("pages", "pfr_years_2017_index.html").read_bytes()
    )


@pytest.mark.unit
def test_a_deadline_is_retried_like_a_timeout(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(silence_after_headers=True))
    exc, _ = timed_failure(client(total_timeout_s=0.5, max_attempts=2), page_server.url(PFR_2017_PATH))
    assert [a.kind for a in exc.attempts] == ["deadline", "deadline"] and len(page_server.requests()) == 2
    assert "failed on all 2 attempts" in str(exc)


@pytest.mark.unit
def test_an_endless_body_stops_at_the_size_cap_with_flat_memory_and_is_not_retried(page_server):
    cap = 4 * 1024 * 1024
    page_server.always_reply(PFR_2017_PATH, Reply(endless=True))
    tracemalloc.start()
    try:
        exc, elapsed = timed_failure(
            client(max_response_bytes=cap, max_attempts=3), page_server.url(PFR_2017_PATH), ResponseTooLargeError
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(
        f"endless body: stopped after {elapsed:.2f} s; peak traced memory {peak / 2**20:.1f} MB for a "
        f"{cap / 2**20:.0f} MB cap; "
        f"server had sent {page_server.sent_bytes / 2**20:.1f} MB"
    )
    assert peak < 2 * cap  # the cap, a chunk and bookkeeping: never the stream
    assert len(page_server.requests()) == 1  # the same URL would send the same body: not retried
    message = str(exc)
    assert page_server.url(PFR_2017_PATH) in message and "not retried" in message
    assert "over max_response_bytes=4,194,304 (4.0 MB); stopped after" in message


@pytest.mark.unit
def test_a_declared_length_over_the_cap_is_not_downloaded(page_server):
    exc, _ = timed_failure(client(max_response_bytes=100_000), page_server.url(PFR_2017_PATH), ResponseTooLargeError)
    assert "Content-Length 467,236 (0.4 MB) is over max_response_bytes=100,000" in str(exc) and "not downloaded" in str(
        exc
    )


@pytest.mark.unit
def test_the_page_within_the_bounds_is_fetched_whole(page_server):
    result = client(max_response_bytes=len(page_server.pages[PFR_2017_PATH])).get(page_server.url(PFR_2017_PATH))
    assert result.body == page_server.pages[PFR_2017_PATH]


# Through a real run: the error names the season and the limit, and nothing stored changes.


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2017, names=["standings"]).success
    return path


@pytest.mark.parametrize(
    ("reply", "overrides", "expected"),
    [
        (Reply(trickle_s=1.0), {}, [f"total_timeout_s={DEADLINE_S:g} s", "headers arrived"]),
        (Reply(silence_after_headers=True), {}, [f"total_timeout_s={DEADLINE_S:g} s", "then 0 bytes"]),
        (
            Reply(endless=True),
            {"max_response_bytes": 2_000_000},
            ["is too large", "max_response_bytes=2,000,000", "not retried"],
        ),
    ],
    ids=["trickle", "silence", "endless"],
)
@pytest.mark.integration
def test_a_run_against_a_misbehaving_server_fails_clearly_and_keeps_stored_data(
    db, tmp_path, page_server, monkeypatch, reply, overrides, expected
):
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")
    monkeypatch.setenv(
        "ANALYTICS_STANDINGS_SOURCES", "pfr"
    )  # PFR's server misbehaves: no second source to fail over to
    page_server.always_reply(PFR_2017_PATH, reply)
    http = from_environment(
        HttpClientResource,
        bind=False,
        pfr_base_url=page_server.base_url,
        spotrac_base_url=page_server.base_url,
        min_interval_s=0.0,
        max_attempts=1,
        read_timeout_s=30.0,
        total_timeout_s=DEADLINE_S,
        archive_dir=str(tmp_path / "archive"),
        **overrides,
    )
    before = {t: table_hash(db, t) for t in STORED}
    start = time.monotonic()
    result = materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False)
    elapsed = time.monotonic() - start
    assert not result.success
    message = " ".join(step_failures(result).values())
    assert (
        "season 2017" in message and page_server.url(PFR_2017_PATH) in message and "nothing stored changed" in message
    )
    for text in expected:
        assert text in message
    assert elapsed < ENDS_WITHIN_S + 15  # the run's own start-up on top of one bounded attempt
    assert {t: table_hash(db, t) for t in STORED} == before
    log = read_table(db, "SELECT status, ok, error, bytes FROM nfl.scrape_log")
    assert log["ok"].tolist() == [False] and log["status"].tolist() == [200] and log["bytes"].isna().all()
    assert not (tmp_path / "archive" / "objects").exists()  # nothing partial is archived


@pytest.mark.integration
def test_a_run_against_a_host_name_that_never_resolves_fails_clearly_and_keeps_stored_data(
    db, tmp_path, page_server, monkeypatch, hanging_resolver
):
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")
    monkeypatch.setenv("ANALYTICS_STANDINGS_SOURCES", "pfr")
    http = from_environment(
        HttpClientResource,
        bind=False,
        pfr_base_url=_on_host(page_server, hanging_resolver),
        spotrac_base_url=page_server.base_url,
        min_interval_s=0.0,
        max_attempts=1,
        total_timeout_s=DEADLINE_S,
        archive_dir=str(tmp_path / "archive"),
    )
    before = {t: table_hash(db, t) for t in STORED}
    start = time.monotonic()
    result = materialize_seasons(db, 2017, names=["standings"], http=http, raise_on_error=False)
    elapsed = time.monotonic() - start
    assert not result.success
    message = " ".join(step_failures(result).values())
    assert "season 2017" in message and "nothing stored changed" in message
    assert (
        f"total_timeout_s={DEADLINE_S:g} s" in message
        and "the host name 'slow-dns.test' was still being resolved (DNS)" in message
    )
    assert elapsed < ENDS_WITHIN_S + 15  # the run's own start-up on top of one bounded attempt
    assert {t: table_hash(db, t) for t in STORED} == before
    log = read_table(db, "SELECT status, ok FROM nfl.scrape_log")
    assert log["ok"].tolist() == [False] and log["status"].isna().all()
    assert page_server.requests() == []  # no request reached the server
    assert not (tmp_path / "archive" / "objects").exists()
