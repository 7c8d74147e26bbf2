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


def highlight_franchises() -> list[str]:
    """ANALYTICS_HIGHLIGHT_FRANCHISES: comma-separated franchise ids the charts single out (default SEA,NE)."""
    value = os.environ.get("ANALYTICS_HIGHLIGHT_FRANCHISES", "").strip() or "SEA,NE"
    return list(dict.fromkeys(code.strip().upper() for code in value.split(",") if code.strip()))


def landing_dir() -> Path:
    """ANALYTICS_LANDING_DIR: where manual CSV imports are dropped."""
    return _path("ANALYTICS_LANDING_DIR", REPO_ROOT / "data" / "landing")


def archive_dir() -> Path:
    """ANALYTICS_ARCHIVE_DIR: content-addressed store of every fetched source page."""
    return _path("ANALYTICS_ARCHIVE_DIR", REPO_ROOT / "data" / "archive")


# Live sources. Everything below is read when a run starts, so a changed variable needs no restart.
SOURCE_MODES = ("embedded", "live", "auto")


def analytics_source() -> str:
    """ANALYTICS_SOURCE: embedded | live | auto (embedded facts where they exist, live otherwise)."""
    value = os.environ.get("ANALYTICS_SOURCE", "").strip().lower() or "auto"
    if value not in SOURCE_MODES:
        raise ValueError(f"ANALYTICS_SOURCE={value!r} is not one of {', '.join(SOURCE_MODES)}.")
    return value


def pfr_base_url() -> str:
    """PFR_BASE_URL: where Pro-Football-Reference season pages are fetched from."""
    return os.environ.get("PFR_BASE_URL", "").strip().rstrip("/") or "https://www.pro-football-reference.com"


def spotrac_base_url() -> str:
    """SPOTRAC_BASE_URL: where Spotrac team cap pages are fetched from."""
    return os.environ.get("SPOTRAC_BASE_URL", "").strip().rstrip("/") or "https://www.spotrac.com"


def _number(var: str, default: float) -> float:
    value = os.environ.get(var, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{var}={value!r} is not a number.") from None


def http_min_interval_s() -> float:
    """ANALYTICS_HTTP_MIN_INTERVAL_S: at least this many seconds between two requests to one host."""
    return _number("ANALYTICS_HTTP_MIN_INTERVAL_S", 3.0)


def http_max_attempts() -> int:
    """ANALYTICS_HTTP_MAX_ATTEMPTS: attempts per page (the first try plus retries)."""
    return int(_number("ANALYTICS_HTTP_MAX_ATTEMPTS", 4))


def http_total_timeout_s(default: float) -> float:
    """ANALYTICS_HTTP_TOTAL_TIMEOUT_S: wall-clock deadline of one HTTP attempt, body included."""
    return _number("ANALYTICS_HTTP_TOTAL_TIMEOUT_S", default)


def http_max_response_bytes(default: int) -> int:
    """ANALYTICS_HTTP_MAX_RESPONSE_BYTES: the largest response body a fetch accepts."""
    return int(_number("ANALYTICS_HTTP_MAX_RESPONSE_BYTES", default))


def landing_max_bytes() -> int:
    """ANALYTICS_LANDING_MAX_BYTES: landing files larger than this are rejected unread (default 5 MB)."""
    return int(_number("ANALYTICS_LANDING_MAX_BYTES", 5 * 1024 * 1024))


def user_agent() -> str:
    """ANALYTICS_USER_AGENT: how the scraper identifies itself (put a contact address in it)."""
    return os.environ.get("ANALYTICS_USER_AGENT", "").strip() or "analytics-assets/0.1 (NFL dead-cap risk platform; polite scraper, 1 request per 3 s)"


# Standings come from two independent sources, reconciled where both answer.
STANDINGS_SOURCES = ("nflverse", "pfr")


def nflverse_games_url() -> str:
    """NFLVERSE_GAMES_URL: nflverse's games file (every game of every season, one CSV)."""
    return os.environ.get("NFLVERSE_GAMES_URL", "").strip() or "https://raw.githubusercontent.com/nflverse/nfldata/master/data/games.csv"


def standings_sources(value: str | None = None) -> list[str]:
    """ANALYTICS_STANDINGS_SOURCES: the live standings sources, in order of preference (default nflverse,pfr).

    The first source that answers supplies the stored rows; the next one cross-checks them.
    """
    raw = value if value is not None else os.environ.get("ANALYTICS_STANDINGS_SOURCES", "")
    names = [n.strip().lower() for n in raw.split(",") if n.strip()] or list(STANDINGS_SOURCES)
    unknown = [n for n in names if n not in STANDINGS_SOURCES]
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"ANALYTICS_STANDINGS_SOURCES={raw!r}: expected a comma-separated ordering of {', '.join(STANDINGS_SOURCES)} "
            f"without repeats (for example 'nflverse,pfr', or 'pfr' alone); found {', '.join(unknown) or 'a repeat'}."
        )
    return names
