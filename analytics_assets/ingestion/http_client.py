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
- HTTP 403 (bot protection) is never retried: hammering a site that refused us gets us banned.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import dagster as dg
import requests
from pydantic import Field

from analytics_assets import settings
from analytics_assets.ingestion.errors import BotProtectionError, HttpStatusError, RetriesExhaustedError

PFR_HOST_SUFFIX = "pro-football-reference.com"
PFR_MIN_INTERVAL_S = 3.0  # PFR: more than 20 requests a minute gets a client banned


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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def truncation_problem(body: bytes, content_type: str | None) -> str | None:
    """An HTML page that stops before `</html>` was cut off in transit: worth another try."""
    looks_html = "html" in (content_type or "").lower() or body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    if looks_html and b"</html>" not in body[-65536:].lower():
        return f"truncated page: {len(body)} bytes without a closing </html>"
    return None


def _is_read_timeout(exc: requests.RequestException) -> bool:
    # requests reports a read timeout during the body as a ConnectionError.
    return isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()


class PoliteClient:
    """A requests.Session with timeouts, retries, rate limiting and an identifying User-Agent."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 30.0,
        max_attempts: int = 4,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 60.0,
        min_interval_s: float = 3.0,
        max_retry_after_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.max_attempts = max_attempts
        self.backoff_base_s, self.backoff_max_s = backoff_base_s, backoff_max_s
        self.min_interval_s, self.max_retry_after_s = min_interval_s, max_retry_after_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})

    def close(self) -> None:
        self.session.close()

    def _attempt(self, url: str, number: int) -> tuple[Attempt, requests.Response | None]:
        gate = _gate(url)
        interval = min_interval_for(url, self.min_interval_s)
        with gate.lock:  # one request at a time per host, spaced from the end of the previous one
            pause = gate.last_end + interval - time.monotonic()
            if pause > 0:
                self._sleep(pause)
            fetched_at = datetime.now(timezone.utc)
            start = time.monotonic()
            response, error = None, None
            try:
                response = self.session.get(url, timeout=(self.connect_timeout_s, self.read_timeout_s))
                body = response.content
            except requests.RequestException as exc:
                body = None
                if _is_read_timeout(exc):
                    error = f"timed out (connect timeout {self.connect_timeout_s:g} s, read timeout {self.read_timeout_s:g} s): {type(exc).__name__}"
                else:
                    error = f"{type(exc).__name__}: {exc}"
            finally:
                gate.last_end = time.monotonic()
            latency_ms = (gate.last_end - start) * 1000
        status = response.status_code if response is not None else None
        if response is not None and 200 <= status < 300:
            error = truncation_problem(body, response.headers.get("Content-Type"))
        ok = error is None and status is not None and 200 <= status < 300
        return Attempt(url, number, fetched_at, status, ok, error, latency_ms, body), response

    def get(self, url: str) -> FetchResult:
        """GET `url`, retrying what is worth retrying; raises a FetchError carrying every attempt."""
        attempts: list[Attempt] = []
        for number in range(1, self.max_attempts + 1):
            attempt, response = self._attempt(url, number)
            attempts.append(attempt)
            if attempt.ok:
                return FetchResult(url, attempt.status, attempt.body, attempts)
            status = attempt.status
            if status == 403:
                raise BotProtectionError(
                    f"GET {url} returned HTTP 403 Forbidden: the site's bot protection refused the request. It is not "
                    "retried: repeating it would only risk a longer ban.",
                    url, attempts, status=403,
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
                        + "; ".join(a.describe() for a in attempts) + ".",
                        url, attempts, attempts_made=number, last_status=status,
                    )
                delay = max(delay, retry_after)
            self._sleep(delay)
        last = attempts[-1]
        raise RetriesExhaustedError(
            f"GET {url} failed on all {len(attempts)} attempts (max_attempts={self.max_attempts}); last status: "
            f"{last.status if last.status is not None else 'no response'}"
            f"{f' ({last.error})' if last.error and last.status is not None else ''}. "
            + "; ".join(a.describe() for a in attempts) + ".",
            url, attempts, attempts_made=len(attempts), last_status=last.status,
        )


class HttpClientResource(dg.ConfigurableResource):
    """The HTTP client every live source uses. Unset fields come from the environment at run time."""

    pfr_base_url: str | None = Field(default=None, description="Pro-Football-Reference base URL (default: $PFR_BASE_URL or https://www.pro-football-reference.com).")
    spotrac_base_url: str | None = Field(default=None, description="Spotrac base URL (default: $SPOTRAC_BASE_URL or https://www.spotrac.com).")
    user_agent: str | None = Field(default=None, description="User-Agent header (default: $ANALYTICS_USER_AGENT or the project's own).")
    min_interval_s: float | None = Field(default=None, description="Seconds between requests to one host (default: $ANALYTICS_HTTP_MIN_INTERVAL_S or 3; never below 3 for PFR).")
    max_attempts: int | None = Field(default=None, description="Attempts per page, first try included (default: $ANALYTICS_HTTP_MAX_ATTEMPTS or 4).")
    connect_timeout_s: float = Field(default=10.0, description="Connect timeout per request, seconds.")
    read_timeout_s: float = Field(default=30.0, description="Read timeout per request (between bytes), seconds.")
    backoff_base_s: float = Field(default=2.0, description="First retry waits between half and all of this; doubles each retry.")
    backoff_max_s: float = Field(default=60.0, description="Cap on one backoff wait, seconds.")
    max_retry_after_s: float = Field(default=300.0, description="Longest Retry-After honoured; a longer one fails the fetch.")
    archive_dir: str | None = Field(default=None, description="Raw page archive (default: $ANALYTICS_ARCHIVE_DIR or data/archive/).")
    force_refetch: bool = Field(default=False, description="Fetch completed seasons again even when their page is archived.")

    def resolved_pfr_base_url(self) -> str:
        return (self.pfr_base_url or settings.pfr_base_url()).rstrip("/")

    def resolved_spotrac_base_url(self) -> str:
        return (self.spotrac_base_url or settings.spotrac_base_url()).rstrip("/")

    def resolved_archive_dir(self) -> str:
        return self.archive_dir or str(settings.archive_dir())

    def build_client(self, sleep: Callable[[float], None] = time.sleep) -> PoliteClient:
        return PoliteClient(
            user_agent=self.user_agent or settings.user_agent(),
            connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s,
            max_attempts=self.max_attempts if self.max_attempts is not None else settings.http_max_attempts(),
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            min_interval_s=self.min_interval_s if self.min_interval_s is not None else settings.http_min_interval_s(),
            max_retry_after_s=self.max_retry_after_s,
            sleep=sleep,
        )
