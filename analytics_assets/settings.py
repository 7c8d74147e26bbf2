"""Runtime settings, each read from one environment variable with a default.

Paths default to folders inside the repository so a fresh clone runs with nothing configured.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value).expanduser().resolve() if value else default


def duckdb_path() -> Path:
    """ANALYTICS_DUCKDB_PATH: the DuckDB file every table lives in."""
    return _path("ANALYTICS_DUCKDB_PATH", REPO_ROOT / "data" / "analytics.duckdb")


def output_dir() -> Path:
    """ANALYTICS_OUTPUT_DIR: where charts and the report are written."""
    return _path("ANALYTICS_OUTPUT_DIR", REPO_ROOT / "data" / "reports")


def landing_dir() -> Path:
    """ANALYTICS_LANDING_DIR: where manual CSV imports are dropped."""
    return _path("ANALYTICS_LANDING_DIR", REPO_ROOT / "data" / "landing")


def archive_dir() -> Path:
    """ANALYTICS_ARCHIVE_DIR: content-addressed store of every fetched source page."""
    return _path("ANALYTICS_ARCHIVE_DIR", REPO_ROOT / "data" / "archive")
