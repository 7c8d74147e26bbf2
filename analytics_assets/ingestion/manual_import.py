"""Manual import: a CSV dropped into the landing folder loads one table for one season.

File names say what they hold: `standings_<season>.csv` or `dead_cap_<season>.csv` in
$ANALYTICS_LANDING_DIR (default data/landing/). The sensor makes only cheap checks (the name, the
size against $ANALYTICS_LANDING_MAX_BYTES, the header line) and hands each file to its own run
(the file travels by run tags, with its sha256). The run validates the file exactly as the assets
validate any source; after the season is stored the file moves to `loaded/`. A file that fails,
in the sensor or in its run, stays where it is with the reason beside it in `<file>.rejected.txt`.

standings: team, wins, losses, ties (optional), points_for, points_against, games (optional).
PFR's own CSV export headers (Tm, W, L, T, PF, PA, G) are accepted, as are its `*`/`+` markers and
division rows. dead_cap: team, dead_money_musd, total_cap_allocations_musd (millions; a "$..."
amount is read as full dollars), and league_salary_cap_musd when the package does not know the
season's cap. Teams may be season codes (LA, LV), Spotrac codes (LAR) or full names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analytics_assets import partitions, teams
from analytics_assets.ingestion import embedded
from analytics_assets.ingestion.errors import ManualImportError
from analytics_assets.ingestion.normalize import Provenance
from analytics_assets.ingestion.sources import SourceRows
from analytics_assets.ingestion.spotrac import dollars
from analytics_assets.quality import rules

TAG_PREFIX = "analytics/manual_"  # + table: "<path>", + table + "_sha256": "<digest>"
LOADED_DIR = "loaded"
REJECTED_SUFFIX = ".rejected.txt"
HEADER_PROBE_BYTES = 64 * 1024  # the header line must end within this many bytes
TEAM_VOCABULARIES = ("nflverse", "spotrac", "pfr_name", "pfr_code", "franchise")
_DIVISION_ROW = re.compile(r"^(AFC|NFC) (East|North|South|West)$")
_MARKERS = re.compile(r"[\s*+]+$")


@dataclass(frozen=True)
class FileFormat:
    """What a landing file of one table holds."""

    aliases: dict[str, str]  # header (lower case) -> column; headers not listed are ignored
    required: tuple[str, ...]
    whole_numbers: tuple[str, ...] = ()
    millions: tuple[str, ...] = ()  # amounts in millions (a "$..." amount is read as full dollars)
    needs_cap: bool = False  # the season's league cap: a league_salary_cap_musd column, else the package's figure


# One format per core table a file can load, declared once.
FORMATS: dict[str, FileFormat] = {
    "standings": FileFormat(
        aliases={
            "team": "team",
            "tm": "team",
            "wins": "wins",
            "w": "wins",
            "losses": "losses",
            "l": "losses",
            "ties": "ties",
            "t": "ties",
            "points_for": "points_for",
            "pf": "points_for",
            "points_against": "points_against",
            "pa": "points_against",
            "games": "games",
            "g": "games",
            "season": "season",
        },
        required=("team", "wins", "losses", "points_for", "points_against"),
        whole_numbers=("wins", "losses", "ties", "points_for", "points_against", "games"),
    ),
    "dead_cap": FileFormat(
        aliases={
            c: c for c in ("team", "dead_money_musd", "total_cap_allocations_musd", "league_salary_cap_musd", "season")
        },
        required=("team", "dead_money_musd", "total_cap_allocations_musd"),
        millions=("dead_money_musd", "total_cap_allocations_musd", "league_salary_cap_musd"),
        needs_cap=True,
    ),
}
TABLES = tuple(FORMATS)
FILE_NAME = re.compile(rf"^({'|'.join(TABLES)})_(\d{{4}})\.csv$")


@dataclass(frozen=True)
class LandingFile:
    path: Path
    table: str
    season: int
    sha256: str

    @property
    def loaded_path(self) -> Path:
        """Where the file is kept once its season is stored (the rows' source_ref)."""
        return self.path.parent / LOADED_DIR / f"{self.path.stem}.{self.sha256[:12]}.csv"

    def tags(self) -> dict[str, str]:
        return {f"{TAG_PREFIX}{self.table}": str(self.path), f"{TAG_PREFIX}{self.table}_sha256": self.sha256}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _size_text(n: int) -> str:
    return f"{n:,} bytes ({n / 1024 / 1024:.1f} MB)" if n >= 1024 * 1024 else f"{n:,} bytes"


def header_problem(path: Path, table: str) -> str | None:
    """What is wrong with the file's header line, reading at most HEADER_PROBE_BYTES; None if it is fine."""
    with path.open("rb") as f:
        head = f.read(HEADER_PROBE_BYTES)
    if not head.strip():
        return "it is not a readable CSV file (it is empty)."
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) == HEADER_PROBE_BYTES:
        return (
            f"its first {HEADER_PROBE_BYTES // 1024} KB hold no line break: it is not a CSV export with a header line."
        )
    try:
        text = line.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return "it is not a readable CSV file (its header line is not UTF-8 text)."
    columns = [c.strip() for c in next(csv.reader([text]), [])]
    aliases = FORMATS[table].aliases
    present = {aliases[c.lower()] for c in columns if c.lower() in aliases}
    missing = [c for c in FORMATS[table].required if c not in present]
    if missing:
        return (
            f"missing column(s) {', '.join(missing)} in the header line {text[:200]!r}; a {table} file needs "
            f"{', '.join(FORMATS[table].required)}."
        )
    return None


def scan(landing: Path, max_bytes: int) -> tuple[list[LandingFile], list[tuple[Path, str]]]:
    """The landing folder's CSV files, with cheap checks only (name, size, header line): the files
    to hand to runs, and the rejected ones with the reason. A file over `max_bytes` is never read."""
    found: list[LandingFile] = []
    rejected: list[tuple[Path, str]] = []
    if not landing.is_dir():
        return found, rejected
    newest = partitions.season_in_progress()
    for path in sorted(p for p in landing.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        match = FILE_NAME.match(path.name)
        if not match:
            rejected.append(
                (
                    path,
                    f"Rejected {path}: the name must be standings_<season>.csv or dead_cap_<season>.csv (e.g. "
                    f"standings_{newest}.csv).",
                )
            )
            continue
        table, season = match.group(1), int(match.group(2))
        if not partitions.FIRST_SEASON <= season <= newest:
            rejected.append(
                (
                    path,
                    f"Rejected {path}: season {season} is outside {partitions.FIRST_SEASON}-{newest}, the seasons "
                    f"this platform holds.",
                )
            )
            continue
        try:
            size = path.stat().st_size
            problem = None if size > max_bytes else header_problem(path, table)
        except OSError as exc:
            rejected.append((path, f"Rejected {path}: it cannot be read ({exc}); it is picked up again once it can."))
            continue
        if size > max_bytes:
            problem = (
                f"it is {_size_text(size)}, over the {_size_text(max_bytes)} limit for a landing file "
                "(ANALYTICS_LANDING_MAX_BYTES); a season's file is a few KB. It was not read."
            )
        if problem:
            rejected.append((path, str(_fail(LandingFile(path, table, season, ""), problem))))
            continue
        found.append(LandingFile(path, table, season, sha256_of(path)))
    return found, rejected


def _fail(file: LandingFile, problem: str) -> ManualImportError:
    return ManualImportError(
        f"Rejected {file.path} ({file.table}, season {file.season}): {problem} The file was left in place; fix it "
        "(or replace it) and the sensor picks it up again.",
        path=str(file.path),
        season=file.season,
        table=file.table,
    )


def _read_csv(file: LandingFile, body: bytes) -> pd.DataFrame:
    try:
        df = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _fail(file, f"it is not a readable CSV file ({exc}).") from exc
    df.columns = [str(c).strip() for c in df.columns]
    form = FORMATS[file.table]
    renamed = {c: form.aliases[c.lower()] for c in df.columns if c.lower() in form.aliases}
    df = df[list(renamed)].rename(columns=renamed)
    if df.columns.duplicated().any():
        raise _fail(file, f"columns {sorted(set(df.columns[df.columns.duplicated()]))} appear twice.")
    missing = [c for c in form.required if c not in df.columns]
    if missing:
        raise _fail(
            file, f"missing column(s) {', '.join(missing)}; a {file.table} file needs {', '.join(form.required)}."
        )
    df["team"] = df["team"].map(lambda t: _MARKERS.sub("", t.strip()))
    keep = (df["team"] != "") & ~df["team"].str.fullmatch(_DIVISION_ROW.pattern) & (df["team"].str.lower() != "tm")
    df = df[keep].copy()
    df.index = df.index + 2  # CSV line numbers (line 1 is the header)
    if "season" in df.columns:
        other = sorted(set(df["season"]) - {str(file.season)})
        if other:
            raise _fail(file, f"its season column holds {other}, but the file name says {file.season}.")
        df = df.drop(columns="season")
    return df


def _integers(df: pd.DataFrame, file: LandingFile, columns: list[str]) -> None:
    for col in columns:
        bad = df[~df[col].str.fullmatch(r"\d+")]
        if len(bad):
            shown = ", ".join(f"line {i}: {v!r}" for i, v in bad[col].head(5).items())
            raise _fail(file, f"column {col} must hold whole numbers; found {shown}.")
        df[col] = df[col].astype("int64")


def _millions(df: pd.DataFrame, file: LandingFile, columns: list[str]) -> None:
    for col in columns:
        values, bad = [], []
        for line, text in df[col].items():
            try:
                values.append(dollars(text) / 1e6 if "$" in text else float(text.replace(",", "")))
            except ValueError:
                bad.append(f"line {line}: {text!r}")
                values.append(float("nan"))
        if bad:
            raise _fail(
                file, f'column {col} must hold amounts in millions (or "$" full dollars); found {", ".join(bad[:5])}.'
            )
        df[col] = pd.Series(values, index=df.index, dtype="float64")


def _team_vocabulary(df: pd.DataFrame, file: LandingFile) -> str:
    for vocabulary in TEAM_VOCABULARIES:
        try:
            for team in df["team"]:
                teams.resolve(team, vocabulary, file.season)
        except teams.UnknownTeamError:
            continue
        return vocabulary
    unknown = []
    for line, team in df["team"].items():
        try:
            teams.resolve(team, "nflverse", file.season)
        except teams.UnknownTeamError:
            unknown.append(f"line {line}: {team!r}")
    raise _fail(
        file,
        f"its teams are not all season codes (e.g. {', '.join(sorted(teams.season_codes(file.season))[:4])}), Spotrac "
        f"codes or full names valid in {file.season}; not season codes: {', '.join(unknown[:6])}.",
    )


def read_rows(file: LandingFile, body: bytes | None = None) -> SourceRows:
    """The file's rows as a source (in the file's own team vocabulary); raises ManualImportError."""
    body = file.path.read_bytes() if body is None else body
    if hashlib.sha256(body).hexdigest() != file.sha256:
        raise _fail(file, "it changed after the sensor read it; the sensor requests a new run for the new version.")
    df = _read_csv(file, body)
    if df.empty:
        raise _fail(file, "it holds no team rows.")
    cap = None
    form = FORMATS[file.table]
    _integers(df, file, [c for c in form.whole_numbers if c in df.columns])
    _millions(df, file, [c for c in form.millions if c in df.columns])
    if form.needs_cap:
        if "league_salary_cap_musd" in df.columns:
            caps = sorted(set(df.pop("league_salary_cap_musd").round(6)))
            if len(caps) != 1:
                raise _fail(file, f"league_salary_cap_musd must be one value for the season; found {caps}.")
            cap = float(caps[0])
        else:
            cap = embedded.league_salary_cap(file.season)
        if cap is None:
            raise _fail(
                file,
                f"no league salary cap is known for {file.season}: add a league_salary_cap_musd column (the official "
                "per-team cap in millions).",
            )
    vocabulary = _team_vocabulary(df, file)
    provenance = Provenance("manual", str(file.loaded_path), file.sha256, datetime.now(UTC))
    return SourceRows(df.reset_index(drop=True), vocabulary, provenance, league_cap_musd=cap, raw_path=str(file.path))


def to_table_rows(file: LandingFile, rows: SourceRows) -> pd.DataFrame:
    from analytics_assets.ingestion.table_sources import (
        CORE_TABLES,
    )  # imports the live sources, only when a file is checked

    return CORE_TABLES[file.table].to_rows(rows, file.season)


def _validated(file: LandingFile, rows: SourceRows) -> SourceRows:
    """Raise ManualImportError naming every blocking rule the file's rows fail."""
    report = rules.validate(file.table, to_table_rows(file, rows), file.season, partitions.is_completed(file.season))
    if not report.passed:
        raise _fail(file, f"it fails the quality gate:\n{report.summary()}\n")
    return rows


def check(file: LandingFile) -> str | None:
    """None when the file would load; otherwise the reason it is rejected (every blocking rule).

    The whole validation, as its run does it: for tests and tools, never in the sensor's tick."""
    try:
        _validated(file, read_rows(file))
    except ManualImportError as exc:
        return str(exc)
    return None


def note_path(path: Path) -> Path:
    return path.with_name(path.name + REJECTED_SUFFIX)


def clear_stale_rejection(path: Path) -> None:
    """Drop a note written about an older version of the file (the note is older than the file)."""
    note = note_path(path)
    try:
        if note.stat().st_mtime_ns < path.stat().st_mtime_ns:
            note.unlink(missing_ok=True)
    except OSError:
        pass


def write_rejection(path: Path, message: str) -> None:
    note = path.with_name(path.name + REJECTED_SUFFIX)
    try:
        if not note.exists() or note.read_text() != message + "\n":
            note.write_text(message + "\n")
    except OSError:
        pass  # the sensor's tick carries the message too


def clear_rejection(path: Path) -> None:
    path.with_name(path.name + REJECTED_SUFFIX).unlink(missing_ok=True)


def from_tags(tags: dict[str, str], table: str, season: int) -> LandingFile | None:
    """The landing file a run was asked to load for `table`, if any."""
    path = tags.get(f"{TAG_PREFIX}{table}")
    if not path:
        return None
    match = FILE_NAME.match(Path(path).name)
    if not match or int(match.group(2)) != season:
        return None
    return LandingFile(Path(path), table, season, tags.get(f"{TAG_PREFIX}{table}_sha256", ""))


def load(file: LandingFile, max_bytes: int) -> SourceRows:
    """Rows of a file a run was asked to load: from the landing folder, or from loaded/ on a re-run.

    Read and parsed here, in the run: a file that cannot be read gets its reason written beside it
    (`<file>.rejected.txt`) and fails the run's step, with nothing stored. The quality rules run in
    the step's gate, with every other season as context; a refusal there writes the note too
    (`reject_refused`).
    """
    try:
        if file.path.exists():
            size, limit = file.path.stat().st_size, max_bytes
            if size > limit:
                raise _fail(
                    file, f"it is {_size_text(size)}, over the {_size_text(limit)} limit (ANALYTICS_LANDING_MAX_BYTES)."
                )
            return read_rows(file)
    except ManualImportError as exc:
        write_rejection(file.path, str(exc))
        raise
    if file.loaded_path.exists():
        return read_rows(file, file.loaded_path.read_bytes())
    raise _fail(file, "the file is gone from the landing folder (and was not loaded before).")


def reject_refused(file: LandingFile, gate_message: str) -> None:
    """The season's quality gate refused the file's rows: say so beside the file."""
    write_rejection(file.path, str(_fail(file, f"it fails the quality gate:\n{gate_message}\n")))


def mark_loaded(file: LandingFile) -> Path:
    """After the season is stored: move the file to loaded/ (its rows' source_ref) and drop any rejection note."""
    clear_rejection(file.path)
    if file.path.exists() and sha256_of(file.path) == file.sha256:
        file.loaded_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(file.path), file.loaded_path)
    return file.loaded_path
