"""The polite HTTP client against a real local server: retries, Retry-After, timeouts, rate limit."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from analytics_assets.ingestion.errors import BotProtectionError, HttpStatusError, RetriesExhaustedError
from analytics_assets.ingestion.http_client import (
    PFR_MIN_INTERVAL_S,
    HttpClientResource,
    PoliteClient,
    backoff_delay,
    min_interval_for,
    parse_retry_after,
    truncation_problem,
)
from analytics_tests.support.http_server import PFR_2017_PATH, Reply, closed_port_url


class Sleeps(list):
    """A sleep that records instead of waiting (for the retry tests; the rate-limit test sleeps for real)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleep=None, **overrides) -> PoliteClient:
    config = dict(
        user_agent="analytics-assets-tests/1.0 (+tests)",
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.02,
        min_interval_s=0.0,
        max_retry_after_s=30.0,
    )
    config.update(overrides)
    return PoliteClient(sleep=Sleeps() if sleep is None else sleep, rng=random.Random(7), **config)


@pytest.mark.unit
def test_a_page_is_fetched_with_an_identifying_user_agent(page_server):
    result = client().get(page_server.url(PFR_2017_PATH))
    assert result.status == 200 and result.body == page_server.pages[PFR_2017_PATH]
    assert [a.ok for a in result.attempts] == [True]
    (seen,) = page_server.requests()
    assert seen.headers["User-Agent"] == "analytics-assets-tests/1.0 (+tests)"


@pytest.mark.unit
def test_default_user_agent_names_the_project():
    built = HttpClientResource().build_client()
    assert built.session.headers["User-Agent"].startswith("analytics-assets/")


@pytest.mark.unit
def test_429_with_retry_after_waits_that_long_then_succeeds(page_server):
    page_server.script(PFR_2017_PATH, Reply(429, b"slow down", {"Retry-After": "7"}))
    sleeps = Sleeps()
    result = client(sleeps).get(page_server.url(PFR_2017_PATH))
    assert [a.status for a in result.attempts] == [429, 200]
    assert max(sleeps) >= 7  # the server's Retry-After, not the (much shorter) backoff
    assert len(page_server.requests()) == 2


@pytest.mark.unit
def test_retry_after_longer_than_the_limit_fails_instead_of_hanging(page_server):
    page_server.script(PFR_2017_PATH, Reply(429, b"come back tomorrow", {"Retry-After": "86400"}))
    with pytest.raises(RetriesExhaustedError, match=r"wait 86400 s \(Retry-After\), longer than max_retry_after_s=30"):
        client().get(page_server.url(PFR_2017_PATH))
    assert len(page_server.requests()) == 1


@pytest.mark.unit
def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == pytest.approx(90)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.unit
def test_backoff_doubles_with_jitter_and_a_cap():
    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (8, 60.0)]:
        delays = [backoff_delay(attempt, 2.0, 60.0, rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        assert len({round(d, 6) for d in delays}) > 100  # jittered, not a fixed delay


@pytest.mark.unit
def test_server_errors_are_retried_until_attempts_run_out(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(500, b"<html>oops</html>"))
    sleeps = Sleeps()
    with pytest.raises(RetriesExhaustedError) as caught:
        client(sleeps, max_attempts=3).get(page_server.url(PFR_2017_PATH))
    assert [a.status for a in caught.value.attempts] == [500, 500, 500]
    assert "failed on all 3 attempts" in str(caught.value) and "last status: 500" in str(caught.value)
    assert len(page_server.requests()) == 3
    assert len([s for s in sleeps if s > 0]) == 2  # a backoff between attempts, none after the last


@pytest.mark.unit
def test_a_read_timeout_is_retried_then_reported(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(delay_s=1.0))
    with pytest.raises(RetriesExhaustedError) as caught:
        client(read_timeout_s=0.2, max_attempts=2).get(page_server.url(PFR_2017_PATH))
    assert [a.status for a in caught.value.attempts] == [None, None]
    assert all("timed out" in a.error for a in caught.value.attempts)
    assert "last status: no response" in str(caught.value)


@pytest.mark.unit
def test_connection_refused_is_retried_then_reported():
    with pytest.raises(RetriesExhaustedError) as caught:
        client(max_attempts=2).get(closed_port_url() + PFR_2017_PATH)
    assert len(caught.value.attempts) == 2
    assert all(a.error.startswith("ConnectionError") for a in caught.value.attempts)


@pytest.mark.unit
def test_403_is_not_retried_and_says_bot_protection(page_server):
    page_server.always_reply(PFR_2017_PATH, Reply(403, b"<html><body>Access denied</body></html>"))
    with pytest.raises(BotProtectionError, match="bot protection"):
        client().get(page_server.url(PFR_2017_PATH))
    assert len(page_server.requests()) == 1


@pytest.mark.unit
def test_404_is_not_retried(page_server):
    with pytest.raises(HttpStatusError, match="HTTP 404"):
        client().get(page_server.url("/years/1899/index.htm"))
    assert len(page_server.requests()) == 1


@pytest.mark.unit
def test_a_truncated_page_is_retried_and_the_complete_one_accepted(page_server):
    page_server.script(PFR_2017_PATH, Reply(truncate_to=100_000))
    result = client().get(page_server.url(PFR_2017_PATH))
    assert result.attempts[0].error.startswith("truncated page: 100000 bytes")
    assert result.attempts[1].ok and result.body == page_server.pages[PFR_2017_PATH]


@pytest.mark.unit
def test_truncation_check():
    assert truncation_problem(b"<!DOCTYPE html><html><body>x</body></html>\n", "text/html") is None
    assert truncation_problem(b"<!DOCTYPE html><html><body>x", "text/html").startswith("truncated")
    assert truncation_problem(b'{"json": true}', "application/json") is None


@pytest.mark.unit
def test_pfr_is_never_asked_more_than_once_every_3_seconds():
    assert min_interval_for("https://www.pro-football-reference.com/years/2017/index.htm", 0.1) == PFR_MIN_INTERVAL_S
    assert min_interval_for("https://www.pro-football-reference.com/x", 5.0) == 5.0
    assert min_interval_for("http://127.0.0.1:8000/years/2017/index.htm", 0.1) == 0.1


@pytest.mark.unit
def test_rate_limit_spacing_measured_at_the_server(page_server):
    """Two threads share one host: every request reaches the server at least the interval after the last."""
    interval = 0.4
    polite = client(min_interval_s=interval, sleep=__import__("time").sleep)
    errors = []

    def fetch_twice():
        try:
            for _ in range(2):
                polite.get(page_server.url(PFR_2017_PATH))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=fetch_twice) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    arrivals = [s.at for s in page_server.requests()]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(arrivals) == 4
    print(f"request spacing at the server (interval {interval} s): {', '.join(f'{g:.3f}' for g in gaps)} s")
    assert min(gaps) >= interval


@pytest.mark.integration
def test_rate_limit_spacing_holds_across_processes(page_server, tmp_path):
    """One season per run: two runs (two processes) may ask one site at once. Sharing the spacing folder,
    their requests still reach the server at least the interval apart."""
    import subprocess
    import sys

    interval = 0.5
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from analytics_assets.ingestion.http_client import PoliteClient\n"
        'c = PoliteClient(user_agent="analytics-assets-test", min_interval_s=float(sys.argv[2]), max_attempts=1, '
        "spacing_dir=Path(sys.argv[3]))\n"
        "for _ in range(2):\n"
        "    c.get(sys.argv[1])\n"
    )
    args = [page_server.url(PFR_2017_PATH), str(interval), str(tmp_path / "_hosts")]
    procs = [subprocess.Popen([sys.executable, "-c", script, *args]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    arrivals = sorted(s.at for s in page_server.requests())
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(arrivals) == 4
    print(
        f"request spacing at the server across two processes (interval {interval} s): "
        f"{', '.join(f'{g:.3f}' for g in gaps)} s"
    )
    assert min(gaps) >= interval * 0.95  # the server stamps arrivals a moment after the client's own clock
