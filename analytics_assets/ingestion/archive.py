"""The raw archive: every fetched page, content-addressed, with how and when it was fetched.

Layout under the archive folder ($ANALYTICS_ARCHIVE_DIR, default data/archive/):

    objects/<sha256[:2]>/<sha256>.html   the exact bytes the server sent (written once, never changed)
    index.jsonl                          one JSON line per response: url, source, season, status,
                                         fetched_at, attempts, latency_ms, bytes, sha256, path, run_id,
                                         ok, rejected
    _rejected/<sha256>.html              200 responses that were not the page (a bot challenge, an
                                         error page), kept for inspection, never replayed
    _rejected/quarantine/                archived objects whose bytes no longer match their sha256,
                                         moved aside when a replay found them (quarantine.jsonl says why)

Error pages (403, 5xx, truncated bodies) are kept too, so a failure can be inspected afterwards;
only complete 200 pages (`ok`) are ever parsed. The index is append-only; the newest ok line for
a URL whose bytes still verify is that URL's current page (`replay`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from analytics_assets.ingestion import page_checks
from analytics_assets.ingestion.http_client import Attempt

REJECTED_DIR = "_rejected"
QUARANTINE_DIR = "quarantine"
REJECTED_KINDS = (page_checks.BOT_PROTECTION, page_checks.BAD_PAGE)
LOG = logging.getLogger("analytics_assets.archive")


@dataclass(frozen=True)
class ArchivedPage:
    url: str
    source: str  # pfr | spotrac
    season: int
    status: int | None
    ok: bool  # a complete 2xx page, fit to parse
    fetched_at: str  # ISO 8601, UTC
    attempts: int  # attempts made for this URL up to and including this response
    latency_ms: float
    bytes: int
    sha256: str
    path: str
    run_id: str | None
    rejected: str | None = None  # why a 200 response is not the page (bot challenge, error page)


@dataclass
class Replay:
    """The outcome of looking for a URL's archived page: the page and its verified bytes, or None,
    and what was wrong with the copies passed over (altered or missing bytes, a challenge page)."""

    page: ArchivedPage | None = None
    body: bytes | None = None
    problems: list[str] = field(default_factory=list)


def _atomic_write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _append_line(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    # One write on an O_APPEND descriptor: concurrent writers never interleave within a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class RawArchive:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        # What `latest` found wrong with a URL's archived copies (for the error if the re-fetch fails too).
        self.replay_problems: dict[str, list[str]] = {}
        self._verified: dict[str, bytes] = {}  # sha256 -> bytes `latest` just verified, handed over by `read`

    @property
    def index_path(self) -> Path:
        return self.root / "index.jsonl"

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / f"{sha256}.html"

    @property
    def rejected_dir(self) -> Path:
        return self.root / REJECTED_DIR

    def rejected_path(self, sha256: str) -> Path:
        return self.rejected_dir / f"{sha256}.html"

    def store(self, body: bytes) -> tuple[str, Path]:
        """Write `body` under its sha256 (atomically, once); returns the digest and the path."""
        digest = _sha256(body)
        path = self.object_path(digest)
        if path.exists():
            try:
                intact = _sha256(path.read_bytes()) == digest
            except OSError:
                intact = False
            if intact:
                return digest, path
            self.quarantine(path, f"its bytes no longer matched sha256 {digest} when the same page was fetched again")
        _atomic_write(path, body)
        return digest, path

    def put(self, attempt: Attempt, *, source: str, season: int, run_id: str | None) -> ArchivedPage | None:
        """Archive one response (nothing to keep when no response arrived).

        A 200 response that is not the page (attempt.kind a page_checks kind) is kept under
        _rejected/, apart from the pages that are replayed.
        """
        if attempt.body is None:
            return None
        rejected = attempt.error if attempt.kind in REJECTED_KINDS else None
        if rejected:
            digest, path = _sha256(attempt.body), self.rejected_path(_sha256(attempt.body))
            if not path.exists():
                _atomic_write(path, attempt.body)
        else:
            digest, path = self.store(attempt.body)
        page = ArchivedPage(
            url=attempt.url,
            source=source,
            season=season,
            status=attempt.status,
            ok=attempt.ok,
            fetched_at=attempt.fetched_at.isoformat(),
            attempts=attempt.attempt,
            latency_ms=round(attempt.latency_ms, 3),
            bytes=len(attempt.body),
            sha256=digest,
            path=str(path),
            run_id=run_id,
            rejected=rejected,
        )
        _append_line(self.index_path, asdict(page))
        return page

    def pages(self, url: str | None = None) -> list[ArchivedPage]:
        if not self.index_path.exists():
            return []
        found = []
        for line in self.index_path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                page = ArchivedPage(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut short by a crash: skip it, the object is still on disk
            if url is None or page.url == url:
                found.append(page)
        return found

    def quarantine(self, path: Path, reason: str) -> Path | None:
        """Move an archived object aside (it is never replayed again); returns where it went."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.rejected_dir / QUARANTINE_DIR / f"{stamp}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return None  # another run moved it first
        _append_line(
            self.rejected_dir / "quarantine.jsonl",
            {"at": stamp, "from": str(path), "to": str(target), "reason": reason},
        )
        return target

    def replay(
        self,
        url: str,
        run_id: str | None = None,
        inspect: Callable[[str, bytes], page_checks.PageProblem | None] | None = page_checks.problem,
    ) -> Replay:
        """The newest complete page fetched from `url` (in run `run_id`, if given) whose bytes verify.

        Every candidate's bytes are hashed against the sha256 the index recorded; a copy that was
        altered on disk, or that `inspect(source, body)` finds is not the source's page (a challenge
        page archived before pages were checked), is quarantined and logged, and the next older one
        is tried.
        """
        found = Replay()
        for page in reversed(self.pages(url)):
            if not page.ok or page.rejected or (run_id is not None and page.run_id != run_id):
                continue
            path = self.object_path(page.sha256)
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                problem = f"archived page {path} for {url} (fetched {page.fetched_at}) is missing"
                found.problems.append(problem)
                LOG.warning(problem)
                continue
            digest = _sha256(body)
            if digest != page.sha256:
                moved = self.quarantine(path, f"sha256 {digest} instead of {page.sha256}")
                problem = (
                    f"archived page {path} for {url} (fetched {page.fetched_at}) no longer matches its sha256: the "
                    f"index "
                    f"records {page.sha256}, the file hashes to {digest}; it was altered on disk and is quarantined "
                    f"at {moved}"
                )
            elif inspect is not None and (verdict := inspect(page.source, body)) is not None:
                moved = self.quarantine(path, verdict.describe())
                problem = (
                    f"archived page {path} for {url} (fetched {page.fetched_at}) is a {verdict.describe()}; "
                    f"quarantined at {moved}"
                )
            else:
                found.page, found.body = page, body
                return found
            found.problems.append(problem)
            LOG.warning(problem)
        return found

    def latest(self, url: str, run_id: str | None = None) -> ArchivedPage | None:
        """The newest complete page fetched from `url` (in run `run_id`, if given) whose bytes verify
        and pass the page checks; what was wrong with newer copies is kept in `replay_problems`."""
        found = self.replay(url, run_id)
        if found.problems:
            self.replay_problems[url] = found.problems
        if found.page is not None:
            assert found.body is not None  # a replayed page comes with its verified bytes
            self._verified[found.page.sha256] = found.body
        return found.page

    def verify(self, page: ArchivedPage) -> bool:
        path = self.object_path(page.sha256)
        return path.exists() and _sha256(path.read_bytes()) == page.sha256

    def read(self, page: ArchivedPage) -> bytes:
        body = self._verified.pop(page.sha256, None)
        if body is not None:
            return body  # verified by `latest` a moment ago: not read and hashed twice
        body = self.object_path(page.sha256).read_bytes()
        if _sha256(body) != page.sha256:
            raise ValueError(
                f"Archived object {self.object_path(page.sha256)} no longer matches its sha256 {page.sha256}."
            )
        return body
