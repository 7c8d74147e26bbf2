"""One polite HTTP client for every live source, and the Dagster resource that configures it.

Polite by construction:
- connect and read timeouts on every request;
- retries with exponential backoff and jitter on 429, 5xx, timeouts, connection errors and
  truncated pages, honouring Retry-After;
- a per-host rate limit shared by every client in the process: at least `min_interval_s` from the
  end of one response to the start of the next request to the same host, one request at a time.
  Pro-Football-Reference bans clients above 20 requests a minute, so its host never goes below
  3 s whatever the configuration says;
- an identifying User-Agent;
- HTTP 403 (bot protection) is never retried: hammering a site that refused us gets us banned;
- bounded: every attempt has a wall-clock deadline (`total_timeout_s`, for connecting, the headers
  and the whole body together) and a size cap (`max_response_bytes`), enforced while the body is
  streamed (see bounded_read), so a trickling or endless server costs at most the deadline and
  the cap, never the run;
- a caller may inspect a complete 200 body (`get(url, inspect=...)`): a bot challenge is treated
  like a 403, an error page like a 5xx.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from analytics_assets.ingestion import bounded_read
from analytics_assets.ingestion.errors import (
    BotProtectionError,
    ChallengePageError,
    HttpStatusError,
    RedirectedError,
    ResponseTooLargeError,
    RetriesExhaustedError,
)
from analytics_assets.ingestion.http_resource import (  # noqa: F401 (HttpClientResource: re-exported)
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOTAL_TIMEOUT_S,
    DEFAULT_USER_AGENT,
    HttpClientResource,
)

if TYPE_CHECKING:  # page_checks is the caller's; only its type is needed here
    from analytics_assets.ingestion.page_checks import PageProblem

PFR_HOST_SUFFIX = "pro-football-reference.com"
PFR_MIN_INTERVAL_S = 3.0  # PFR: more than 20 requests a minute gets a client banned
# Bounds per attempt. The real pages take well under a second from the sites and weigh 467 KB
# (PFR 2017) and 567 KB (Spotrac 2024); nflverse's games file is a few MB. 60 s leaves room for a
# slow site; 20 MB is over 30 times the largest page, and caps what one attempt can hold in memory.

# How long past the deadline an attempt's thread is waited for: the watchdog reports a deadline
# within milliseconds; only a DNS lookup (no socket yet to shut) keeps the thread longer.
_REPORT_GRACE_S = 0.5

# Attempt.kind: why an attempt that got a response is not the page.
TOO_LARGE, DEADLINE = "too_large", "deadline"


@dataclass
class Attempt:
    """One HTTP attempt: a row of nfl.scrape_log, plus the body for the raw archive."""

    url: str
    attempt: int
    fetched_at: datetime
    status: int | None
    ok: bool
    error: str | None
    latency_ms: float
    body: bytes | None = field(default=None, repr=False)
    kind: str | None = None  # TOO_LARGE, DEADLINE, or a page_checks kind (bot_protection, bad_page)

    @property
    def size(self) -> int | None:
        return None if self.body is None else len(self.body)

    @property
    def sha256(self) -> str | None:
        return None if self.body is None else hashlib.sha256(self.body).hexdigest()

    def describe(self) -> str:
        what = f"HTTP {self.status}" if self.status is not None else "no response"
        if self.error:
            what += f" ({self.error})"
        return f"attempt {self.attempt}: {what} after {self.latency_ms:.0f} ms"


@dataclass
class FetchResult:
    url: str
    status: int
    body: bytes
    attempts: list[Attempt]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]


class _HostGate:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_end = float("-inf")


_GATES: dict[str, _HostGate] = {}
_GATES_LOCK = threading.Lock()


def _gate(url: str) -> _HostGate:
    host = urlsplit(url).netloc.lower()
    with _GATES_LOCK:
        return _GATES.setdefault(host, _HostGate())


@contextlib.contextmanager
def _shared_gate(folder: Path | None, url: str) -> Iterator[list[float]]:
    """The host's spacing across processes: one season per run means several runs, one after another
    or at once, may ask the same site. A file per host holds the wall-clock end of its last request;
    its lock is held from the wait to the end of the request, so other processes queue behind it."""
    if folder is None:
        yield [float("-inf")]
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (urlsplit(url).netloc.lower().replace(":", "_") + ".last")
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            try:
                last = [float(handle.read().strip() or "-inf")]
            except ValueError:
                last = [float("-inf")]
            yield last
            handle.seek(0)
            handle.truncate()
            handle.write(repr(last[0]))
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def min_interval_for(url: str, configured_s: float) -> float:
    """The spacing actually applied to `url`'s host: never below 3 s for Pro-Football-Reference."""
    host = (urlsplit(url).hostname or "").lower()
    if host == PFR_HOST_SUFFIX or host.endswith("." + PFR_HOST_SUFFIX):
        return max(configured_s, PFR_MIN_INTERVAL_S)
    return max(configured_s, 0.0)


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of min(max_s, base_s * 2^(attempt-1))."""
    ceiling = min(max_s, base_s * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds to wait: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def truncation_problem(body: bytes, content_type: str | None) -> str | None:
    """An HTML page that stops before `</html>` was cut off in transit: worth another try."""
    looks_html = "html" in (content_type or "").lower() or body.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    )
    if looks_html and b"</html>" not in body[-65536:].lower():
        return f"truncated page: {len(body)} bytes without a closing </html>"
    return None


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _is_read_timeout(exc: Exception) -> bool:
    # requests reports a read timeout during the body as a ConnectionError.
    return isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()


class PoliteClient:
    """A requests.Session with timeouts, bounds, retries, rate limiting and an identifying User-Agent."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 30.0,
        total_timeout_s: float = DEFAULT_TOTAL_TIMEOUT_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_attempts: int = 4,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 60.0,
        min_interval_s: float = 3.0,
        max_retry_after_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        spacing_dir: Path | None = None,
    ):
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if total_timeout_s <= 0 or max_response_bytes <= 0:
            raise ValueError(
                f"total_timeout_s and max_response_bytes must be positive, got {total_timeout_s} and "
                f"{max_response_bytes}"
            )
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.total_timeout_s, self.max_response_bytes = total_timeout_s, max_response_bytes
        self.max_attempts = max_attempts
        self.backoff_base_s, self.backoff_max_s = backoff_base_s, backoff_max_s
        self.min_interval_s, self.max_retry_after_s = min_interval_s, max_retry_after_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.spacing_dir = spacing_dir  # per-host spacing shared with other processes (None: this process only)
        self.session = self._new_session(
            {"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
        )

    def close(self) -> None:
        self.session.close()

    def _deadline_error(self, seen: str, elapsed_s: float) -> str:
        return (
            f"deadline passed: no complete response within total_timeout_s={self.total_timeout_s:g} s (wall clock per "
            f"attempt); {seen} in {elapsed_s:.1f} s"
        )

    @staticmethod
    def _received(response: requests.Response | None, received: int) -> str:
        """What had arrived when the deadline passed."""
        if response is None:
            return "no response headers arrived"
        declared = bounded_read.declared_length(response)
        of = f" of {declared:,} (Content-Length)" if declared is not None else ""
        return f"HTTP {response.status_code} headers arrived, then {received:,} bytes{of} of the body"

    def _too_large_error(self, exc: bounded_read.BodyTooLarge) -> str:
        limit = f"max_response_bytes={self.max_response_bytes:,} ({_megabytes(self.max_response_bytes)})"
        if exc.received == 0 and exc.declared is not None:
            return (
                f"response too large: Content-Length {exc.declared:,} ({_megabytes(exc.declared)}) is over "
                f"{limit}; not downloaded"
            )
        return f"response too large: over {limit}; stopped after {exc.received:,} bytes"

    def _exchange(self, url: str) -> tuple[requests.Response | None, bytes | None, str | None, str | None]:
        """One bounded request: (response, body, error, kind).

        The request runs in a thread of its own, and this one waits for it at most the deadline (and
        a moment for the watchdog's own report). That bounds the one wait the watchdog cannot end:
        the host name's DNS lookup, which happens before there is a socket to shut. An attempt
        still resolving is abandoned (its thread ends with the system resolver's own timeout) and
        the next one gets a fresh session.
        """
        start = time.monotonic()
        outcome: list[tuple[requests.Response | None, bytes | None, str | None, str | None]] = []
        failure: list[BaseException] = []

        def attempt() -> None:
            try:
                outcome.append(self._exchange_watched(url))
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=attempt, name=f"fetch {urlsplit(url).hostname}", daemon=True)
        worker.start()
        worker.join(self.total_timeout_s + _REPORT_GRACE_S)
        if failure:
            raise failure[0]
        if outcome:
            return outcome[0]
        self.session = self._new_session(self.session.headers)
        resolving = f"the host name {urlsplit(url).hostname!r} was still being resolved (DNS)"
        return None, None, self._deadline_error(resolving, time.monotonic() - start), DEADLINE

    @staticmethod
    def _new_session(headers) -> requests.Session:
        session = bounded_read.watched_session()
        session.headers.update(headers)
        return session

    def _exchange_watched(self, url: str) -> tuple[requests.Response | None, bytes | None, str | None, str | None]:
        """The request itself, its sockets shut by a watchdog when the deadline passes."""
        start = time.monotonic()
        deadline = start + self.total_timeout_s
        # Connect and per-read timeouts never exceed the deadline; the watchdog ends anything slower.
        timeout = (min(self.connect_timeout_s, self.total_timeout_s), min(self.read_timeout_s, self.total_timeout_s))
        response, body, error, kind = None, None, None, None
        progress = [0]
        with bounded_read.Watchdog(self.total_timeout_s) as watchdog:
            try:
                response = self.session.get(url, timeout=timeout, stream=True, allow_redirects=False)
                body = bounded_read.read_body(
                    response, deadline=deadline, max_bytes=self.max_response_bytes, progress=progress
                )
                if watchdog.expired:  # a body without Content-Length "ends" when the watchdog closes it
                    raise bounded_read.DeadlinePassed(progress[0])
            except bounded_read.BodyTooLarge as exc:
                body, error, kind = None, self._too_large_error(exc), TOO_LARGE
            except (
                bounded_read.DeadlinePassed,
                requests.RequestException,
                urllib3.exceptions.HTTPError,
                OSError,
                ValueError,
            ) as exc:
                body = None
                if watchdog.expired or isinstance(exc, bounded_read.DeadlinePassed) or time.monotonic() >= deadline:
                    error, kind = (
                        self._deadline_error(self._received(response, progress[0]), time.monotonic() - start),
                        DEADLINE,
                    )
                elif _is_read_timeout(exc):
                    error = (
                        f"timed out (connect timeout {self.connect_timeout_s:g} s, read timeout "
                        f"{self.read_timeout_s:g} s): {type(exc).__name__}"
                    )
                elif isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError)):
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    raise
            finally:
                if response is not None:
                    response.close()  # an unfinished body: the connection is dropped, never reused
        return response, body, error, kind

    def _attempt(
        self, url: str, number: int, inspect: Callable[[bytes], PageProblem | None] | None = None
    ) -> tuple[Attempt, requests.Response | None]:
        gate = _gate(url)
        interval = min_interval_for(url, self.min_interval_s)
        # One request at a time per host, spaced from the end of the previous one (in this process, and
        # in any other sharing the spacing folder).
        with gate.lock, _shared_gate(self.spacing_dir, url) as shared:
            pause = max(gate.last_end + interval - time.monotonic(), shared[0] + interval - time.time())
            if pause > 0:
                self._sleep(pause)
            fetched_at = datetime.now(UTC)
            start = time.monotonic()
            try:
                response, body, error, kind = self._exchange(url)
            finally:
                gate.last_end = time.monotonic()
                shared[0] = time.time()
            latency_ms = (gate.last_end - start) * 1000
        status = response.status_code if response is not None else None
        if body is not None and response is not None and status is not None and 200 <= status < 300:
            error = truncation_problem(body, response.headers.get("Content-Type"))
            if error is None and inspect is not None:
                problem = inspect(body)  # a page_checks.PageProblem
                if problem is not None:
                    error, kind = problem.describe(), problem.kind
        ok = error is None and status is not None and 200 <= status < 300
        return Attempt(url, number, fetched_at, status, ok, error, latency_ms, body, kind), response

    def get(self, url: str, inspect: Callable[[bytes], PageProblem | None] | None = None) -> FetchResult:
        """GET `url`, retrying what is worth retrying; raises a FetchError carrying every attempt.

        `inspect(body)` returns None for the expected page, or a page_checks.PageProblem: a bot
        challenge is not retried (like a 403), an error page is (like a 5xx).
        """
        attempts: list[Attempt] = []
        for number in range(1, self.max_attempts + 1):
            attempt, response = self._attempt(url, number, inspect)
            attempts.append(attempt)
            if attempt.ok:
                assert attempt.status is not None and attempt.body is not None  # ok means a 2xx with its body
                return FetchResult(url, attempt.status, attempt.body, attempts)
            status = attempt.status
            if status == 403:
                raise BotProtectionError(
                    f"GET {url} returned HTTP 403 Forbidden: the site's bot protection refused the request. It is not "
                    "retried: repeating it would only risk a longer ban.",
                    url,
                    attempts,
                    status=403,
                )
            if attempt.kind == "bot_protection":
                raise ChallengePageError(
                    f"GET {url} returned HTTP {status} with a {attempt.error}. It is not retried: repeating it would "
                    f"only "
                    "risk a longer ban.",
                    url,
                    attempts,
                    status=status,
                )
            if status is not None and 300 <= status < 400 and response is not None:
                location = urljoin(url, response.headers.get("Location", ""))
                raise RedirectedError(
                    f"GET {url} returned HTTP {status}, a redirect to {location}. Redirects are not followed: the page "
                    "must come from the URL asked for.",
                    url,
                    attempts,
                    location=location,
                    status=status,
                )
            if attempt.kind == TOO_LARGE:
                raise ResponseTooLargeError(
                    f"GET {url} returned HTTP {status}, {attempt.error}. It is not retried: the same URL would send "
                    f"the "
                    "same body.",
                    url,
                    attempts,
                    status=status,
                    max_response_bytes=self.max_response_bytes,
                )
            retryable = status is None or status == 429 or status >= 500 or attempt.error is not None
            if not retryable:
                raise HttpStatusError(
                    f"GET {url} returned HTTP {status}; that status is not retried.", url, attempts, status=status
                )
            if number == self.max_attempts:
                break
            delay = backoff_delay(number, self.backoff_base_s, self.backoff_max_s, self._rng)
            retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            if retry_after is not None:
                if retry_after > self.max_retry_after_s:
                    raise RetriesExhaustedError(
                        f"GET {url} returned HTTP {status} asking us to wait {retry_after:.0f} s (Retry-After), longer "
                        f"than max_retry_after_s={self.max_retry_after_s:g}; gave up after {number} attempt(s). "
                        + "; ".join(a.describe() for a in attempts)
                        + ".",
                        url,
                        attempts,
                        attempts_made=number,
                        last_status=status,
                    )
                delay = max(delay, retry_after)
            self._sleep(delay)
        last = attempts[-1]
        raise RetriesExhaustedError(
            f"GET {url} failed on all {len(attempts)} attempts (max_attempts={self.max_attempts}); last status: "
            f"{last.status if last.status is not None else 'no response'}"
            f"{f' ({last.error})' if last.error and last.status is not None else ''}. "
            + "; ".join(a.describe() for a in attempts)
            + ".",
            url,
            attempts,
            attempts_made=len(attempts),
            last_status=last.status,
        )
