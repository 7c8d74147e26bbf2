"""What each raw step of a run did, per source and season, for the core steps that read the archive.

The raw assets fetch under their site's pool; `standings` and `dead_cap` run later (possibly in
another process) under the DuckDB pool and need to know, per source and season, which archived
page this run fetched or replayed, or why there is none. One JSON line per outcome in
`<archive>/runs/<run_id>.jsonl`; the newest line for a (source, season) wins.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FETCHED, ARCHIVED, FAILED, NOT_NEEDED = "fetched", "archived", "failed", "not needed"


@dataclass(frozen=True)
class FetchOutcome:
    source: str
    season: int
    status: str  # fetched | archived | failed | not needed
    url: str | None = None
    page: dict | None = None  # the ArchivedPage (fetched, archived)
    message: str = ""  # why it failed, or why it was not needed
    facts: dict = field(default_factory=dict)  # the failure's facts, for the UI
    refusal: dict | None = None  # a redirect: the SourceIdentity the identity rules refuse

    @property
    def usable(self) -> bool:
        return self.status in (FETCHED, ARCHIVED)

    def describe(self) -> str:
        page = self.page or {}  # a fetched or replayed outcome always carries its page
        if self.status == FETCHED:
            return f"fetched {self.url} (sha256 {page['sha256'][:12]}, {page['bytes']} bytes)"
        if self.status == ARCHIVED:
            return f"replayed from the archive, fetched {page['fetched_at']} (sha256 {page['sha256'][:12]}), no request"
        return f"{self.status}: {self.message}"


class FetchRecord:
    def __init__(self, archive_root: Path | str, run_id: str):
        self.path = Path(archive_root) / "runs" / f"{run_id}.jsonl"

    def put(self, outcome: FetchOutcome) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(outcome), sort_keys=True, default=str) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # one write per line: no interleaving
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def get(self, source: str, season: int) -> FetchOutcome | None:
        if not self.path.exists():
            return None
        found = None
        for line in self.path.read_text().splitlines():
            try:
                outcome = FetchOutcome(**json.loads(line))
            except (ValueError, TypeError):
                continue
            if outcome.source == source and outcome.season == season:
                found = outcome
        return found
