"""Is a 200 response the source's page at all? Bot challenges and error pages are not data.

Sites behind bot protection (Cloudflare and the like) answer a scraper with HTTP 200 and a page
that says "Just a moment..." or asks for a captcha; a site in trouble may answer 200 with an error
page. Parsed, such a page looks like a changed layout and sends people to fix the parser; archived
as the season's page, it would be replayed for ever. So every fetched (and every replayed) body is
checked before it counts as the season's page:

- it holds what the source's page always holds (PFR: the AFC/NFC standings tables; Spotrac: the
  Dead Cap column; a CSV source: not HTML) -> it is the page, whatever words it also contains;
- otherwise, a bot-protection marker -> `bot_protection` (not retried: hammering a challenge gets
  the client banned);
- otherwise, an error-page marker, or a page too small to be the source's -> `bad_page` (retried
  like a server error);
- otherwise it is left to the parser, whose error describes the layout it found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from analytics_assets.ingestion.source_catalog import LIVE_SOURCES

BOT_PROTECTION = "bot_protection"
BAD_PAGE = "bad_page"

CHALLENGE_MARKERS = (
    "just a moment...",
    "cf-chl",
    "cf_chl",
    "challenge-platform",
    "cf-browser-verification",
    "attention required",
    "captcha",
    "access denied",
    "enable javascript and cookies",
    "verify you are human",
    "are you a robot",
    "unusual traffic",
    "ddos protection",
)
ERROR_MARKERS = (
    "page not found",
    "404 not found",
    "internal server error",
    "service unavailable",
    "bad gateway",
    "gateway timeout",
    "temporarily unavailable",
    "under maintenance",
    "site maintenance",
    "rate limited",
    "too many requests",
)
SMALLEST_PAGE_BYTES = 16 * 1024  # the real pages are 467 KB (PFR 2017) and 567 KB (Spotrac 2024)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class PageProblem:
    kind: str  # BOT_PROTECTION | BAD_PAGE
    reason: str  # what was seen, for the error message and the archive index

    def describe(self) -> str:
        label = "bot-protection challenge page" if self.kind == BOT_PROTECTION else "error page, not the source's page"
        return f"{label}: {self.reason}"


def _looks_html(body: bytes) -> bool:
    head = body.lstrip()[:512].lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<")) or b"<html" in head


def _title(body: bytes) -> str | None:
    match = _TITLE.search(body[:65536])
    if not match:
        return None
    return " ".join(match.group(1).decode("utf-8", errors="replace").split())[:120] or None


def problem(source: str, body: bytes) -> PageProblem | None:
    """Why `body` is not `source`'s page, or None when it may be (the parser has the last word)."""
    lowered = body.lower()
    marker = LIVE_SOURCES[source].page_marker
    if marker is not None:
        pattern, what = marker
        if re.search(pattern, lowered):
            return None
        missing = f"it lacks {what}"
    else:
        if not _looks_html(body):
            return None  # a data file (CSV, JSON): no page furniture to mistake for data
        missing = "it is an HTML page where a data file was expected"
    text = lowered.decode("utf-8", errors="replace")
    title = _title(body)
    seen = f"{len(body):,} bytes" + (f", title {title!r}" if title else "")
    found = [m for m in CHALLENGE_MARKERS if m in text]
    if found:
        return PageProblem(BOT_PROTECTION, f"{missing}; found {', '.join(repr(m) for m in found[:4])} ({seen})")
    found = [m for m in ERROR_MARKERS if m in text]
    if found:
        return PageProblem(BAD_PAGE, f"{missing}; found {', '.join(repr(m) for m in found[:4])} ({seen})")
    if len(body) < SMALLEST_PAGE_BYTES:
        return PageProblem(BAD_PAGE, f"{missing}; only {seen}, far smaller than the real page")
    return None


def inspector(source: str) -> Callable[[bytes], PageProblem | None]:
    return lambda body: problem(source, body)
