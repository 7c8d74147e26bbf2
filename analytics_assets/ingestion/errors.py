"""Failures of the live and manual sources.

Every one is raised before anything is written, so the stored seasons stay as they were. Each
message names the season, the URL or file, what was expected, where the raw page is archived and
what to do; `metadata()` carries the same facts for the Dagster UI.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not supply a season; the message says why and what to do."""

    def __init__(self, message: str, **facts):
        super().__init__(message)
        self.facts = {k: v for k, v in facts.items() if v is not None}

    def metadata(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.facts.items()}


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
            season=season, url=url, expected=expected, found=found,
        )


class ManualImportError(SourceError):
    """A CSV in the landing folder cannot be loaded; it stays where it is."""
