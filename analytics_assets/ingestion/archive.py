"""The raw archive: every fetched page, content-addressed, with how and when it was fetched.

Layout under the archive folder ($ANALYTICS_ARCHIVE_DIR, default data/archive/):

    objects/<sha256[:2]>/<sha256>.html   the exact bytes the server sent (written once, never changed)
    index.jsonl                          one JSON line per response: url, source, season, status,
                                         fetched_at, attempts, latency_ms, bytes, sha256, path, run_id, ok

Error pages (403, 5xx, truncated bodies) are kept too, so a failure can be inspected afterwards;
only complete 200 pages (`ok`) are ever parsed. The index is append-only; the newest ok line for
a URL is that URL's current page.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from analytics_assets.ingestion.http_client import Attempt


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


class RawArchive:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    @property
    def index_path(self) -> Path:
        return self.root / "index.jsonl"

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / f"{sha256}.html"

    def store(self, body: bytes) -> tuple[str, Path]:
        """Write `body` under its sha256 (atomically, once); returns the digest and the path."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.object_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(body)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest, path

    def put(self, attempt: Attempt, *, source: str, season: int, run_id: str | None) -> ArchivedPage | None:
        """Archive one response (nothing to keep when no response arrived)."""
        if attempt.body is None:
            return None
        digest, path = self.store(attempt.body)
        page = ArchivedPage(
            url=attempt.url, source=source, season=season, status=attempt.status, ok=attempt.ok,
            fetched_at=attempt.fetched_at.isoformat(), attempts=attempt.attempt, latency_ms=round(attempt.latency_ms, 3),
            bytes=len(attempt.body), sha256=digest, path=str(path), run_id=run_id,
        )
        self.root.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(page), sort_keys=True) + "\n").encode()
        # One write on an O_APPEND descriptor: concurrent writers never interleave within a line.
        fd = os.open(self.index_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
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

    def latest(self, url: str, run_id: str | None = None) -> ArchivedPage | None:
        """The newest complete page fetched from `url` (in run `run_id`, if given) whose bytes verify."""
        for page in reversed(self.pages(url)):
            if page.ok and (run_id is None or page.run_id == run_id) and self.verify(page):
                return page
        return None

    def verify(self, page: ArchivedPage) -> bool:
        path = self.object_path(page.sha256)
        return path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == page.sha256

    def read(self, page: ArchivedPage) -> bytes:
        body = self.object_path(page.sha256).read_bytes()
        if hashlib.sha256(body).hexdigest() != page.sha256:
            raise ValueError(f"Archived object {self.object_path(page.sha256)} no longer matches its sha256 {page.sha256}.")
        return body
