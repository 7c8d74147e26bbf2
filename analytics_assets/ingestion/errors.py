"""Failures of the live and manual sources.

Every one is raised before anything is written, so the stored seasons stay as they were. Each
message names the season, the URL or file, what was expected, where the raw page is archived and
what to do; `metadata()` carries the same facts for the Dagster UI.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urlsplit

# The kind of a failure, as the first line of a failed step names it.
UNREACHABLE = "unreachable"  # no response at all: DNS, connection refused, timeouts
UNAVAILABLE = "unavailable"  # responses, but errors: 5xx, 429, error pages, a deadline mid-body
BLOCKED = "blocked"  # HTTP 403 or a bot-protection challenge
NO_PAGE = "no page"  # 404 and other 4xx
TOO_LARGE = "too large"
LAYOUT_CHANGED = "layout changed"
UNKNOWN_TEAM = "unknown team"
NO_DATA = "no data"  # no source has the season (embedded facts absent, nothing archived)
FAILED = "failed"


class SourceError(Exception):
    """A source could not supply a season; the message says why and what to do.

    `kind` (one of the kinds above) and `brief` (one line: what the source answered, repeated
    attempts folded) are what a failed step's first lines show; the message is the full detail.
    Both travel in `facts`, so they survive the raw step's fetch record.
    """

    def __init__(self, message: str, **facts):
        super().__init__(message)
        self.facts = {k: v for k, v in facts.items() if v is not None}

    @property
    def kind(self) -> str:
        return str(self.facts.get("kind", FAILED))

    @property
    def brief(self) -> str:
        return str(self.facts.get("brief") or first_sentence(str(self)))

    def metadata(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.facts.items()}


def first_sentence(text: str, limit: int = 160) -> str:
    sentence = text.strip().split(". ")[0].split("\n")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 3] + "..."


class _Attempt(Protocol):
    url: str
    status: int | None
    error: str | None


_DNS = re.compile(
    r"NameResolutionError|Name or service not known|Temporary failure in name resolution|nodename nor "
    r"servname|getaddrinfo failed"
)


def short_error(attempt: _Attempt) -> str:
    """What one attempt got, in a few words (the scrape log keeps the whole error)."""
    error, status = attempt.error or "", attempt.status
    parts = urlsplit(attempt.url)
    host = parts.hostname or attempt.url
    if "still being resolved (DNS)" in error:
        return f"DNS lookup of {host} did not finish within the deadline"
    if _DNS.search(error):
        return f"DNS lookup failed for {host}"
    if "Connection refused" in error or "ConnectionRefusedError" in error:
        return f"connection refused by {parts.netloc}"
    if error.startswith("deadline passed"):
        return error.split(";")[0].replace("deadline passed: ", "")
    if error.startswith("timed out"):
        return "timed out"
    if status is not None:
        detail = f" ({first_sentence(error, 60)})" if error else ""
        return f"HTTP {status}{detail}"
    if "ConnectionError" in error or "Connection aborted" in error or "RemoteDisconnected" in error:
        return f"connection to {parts.netloc} failed"
    return first_sentence(error, 80) or "no response"


def fold_attempts(attempts: Iterable[_Attempt]) -> str:
    """Repeated attempts folded: "4 attempts, DNS lookup failed for example.org"."""
    seen = Counter(short_error(a) for a in attempts)
    n = sum(seen.values())
    if not n:
        return "no request made"
    if len(seen) == 1:
        return f"{n} attempt{'s' if n > 1 else ''}, {next(iter(seen))}"
    return f"{n} attempts: " + ", ".join(f"{what} ({count})" for what, count in seen.most_common())


def fetch_kind(exc: FetchError) -> str:
    if isinstance(exc, BotProtectionError):
        return BLOCKED
    if isinstance(exc, ResponseTooLargeError):
        return TOO_LARGE
    if isinstance(exc, HttpStatusError):
        return NO_PAGE
    if all(a.status is None for a in exc.attempts):  # not one response: DNS, connection, timeouts
        return UNREACHABLE
    return UNAVAILABLE


class SourcesFailed(SourceError):
    """Every source asked for a table's season failed: one SourceError per source, by label."""

    def __init__(self, message: str, failures: dict[str, SourceError], **facts):
        kinds = {e.kind for e in failures.values()}
        super().__init__(message, kind=kinds.pop() if len(kinds) == 1 else FAILED, **facts)
        self.failures = failures


class FetchError(SourceError):
    """An HTTP fetch failed. `attempts` holds every attempt (for nfl.scrape_log and the archive)."""

    def __init__(self, message: str, url: str, attempts: list, **facts):
        super().__init__(message, url=url, **facts)
        self.url = url
        self.attempts = attempts

    @property
    def last_status(self) -> int | None:
        return next((a.status for a in reversed(self.attempts) if a.status is not None), None)


class BotProtectionError(FetchError):
    """HTTP 403: the site refused us; retrying would not help and risks a ban."""


class ChallengePageError(BotProtectionError):
    """HTTP 200 carrying a bot-protection challenge instead of the page: treated like a 403."""


class ResponseTooLargeError(FetchError):
    """The body passed max_response_bytes: not retried, the same URL would send the same body."""


class HttpStatusError(FetchError):
    """A status that retrying cannot fix (404 and other 4xx except 429)."""


class RedirectedError(FetchError):
    """The server answered with a redirect to another URL. Redirects are not followed: a page for
    one season is only ever taken from that season's own URL (the identity rule no_redirect)."""

    def __init__(self, message: str, url: str, attempts: list, location: str, **facts):
        super().__init__(message, url, attempts, **facts)
        self.location = location


class RetriesExhaustedError(FetchError):
    """Every attempt failed with a retryable error (429, 5xx, timeout, the per-attempt deadline, a
    connection error, a truncated page, a 200 error page)."""


class LayoutChangedError(SourceError):
    """The page arrived but no longer has the tables and columns the parser expects."""

    def __init__(self, source: str, season: int, url: str, expected: str, found: str):
        self.source, self.season, self.url, self.expected, self.found = source, season, url, expected, found
        super().__init__(
            f"The {source} page for season {season} ({url}) does not have the expected layout: expected "
            f"{expected}; found {found}.",
            season=season,
            url=url,
            expected=expected,
            found=found,
        )


class ManualImportError(SourceError):
    """A CSV in the landing folder cannot be loaded; it stays where it is."""
