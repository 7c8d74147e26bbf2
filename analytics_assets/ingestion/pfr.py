"""Pro-Football-Reference season page -> standings rows (pure functions, no network).

`/years/{season}/index.htm` holds an AFC and an NFC standings table (`id="AFC"`, `id="NFC"`),
live or inside an HTML comment, sometimes both. Team cells carry `*` (division winner) and `+`
(wild card); division header rows ("AFC East") sit between the teams; seasons with a tie add a
T column. Teams are PFR's full names ("Los Angeles Chargers"), mapped through the registry as
`pfr_name`.
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape

import pandas as pd

from analytics_assets.ingestion.errors import LayoutChangedError
from analytics_assets.ingestion.html_tables import Row, Table, parse_page
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES

LABEL = LIVE_SOURCES["pfr"].label
CODE_SOURCE = "pfr_name"
CONFERENCES = ("AFC", "NFC")
TEAMS_PER_CONFERENCE = 16
# data-stat of each column we read, with the header text PFR shows for it.
REQUIRED = {"team": "Tm", "wins": "W", "losses": "L", "points": "PF", "points_opp": "PA"}
OPTIONAL = {"ties": "T"}
_BY_TEXT = {text: stat for stat, text in {**REQUIRED, **OPTIONAL}.items()}
COLUMNS = ["team", "wins", "losses", "ties", "points_for", "points_against"]
_MARKERS = re.compile(r"[\s*+]+$")
_CONFERENCE_TABLE = re.compile(r'<table\b[^>]*\bid="(AFC|NFC)"[^>]*>.*?</table>', re.S | re.I)


_TITLE = re.compile(r"<title>\s*(\d{4}) NFL[^<]*</title>", re.I)
_TEAM_SEASON_LINK = re.compile(r'href="/teams/[a-z]{3}/(\d{4})\.htm"')


def page_season(html: str) -> tuple[int | None, str]:
    """The season the page says it holds: its title and its links to team-season pages must agree."""
    title = _TITLE.search(html)
    links = Counter(int(y) for y in _TEAM_SEASON_LINK.findall(html))
    linked, count = links.most_common(1)[0] if links else (None, 0)
    said = f"title {unescape(title.group(0)[7:-8].strip())!r}" if title else "no season in its title"
    evidence = (
        f"{said}; {count} of {sum(links.values())} team links point at {linked}"
        if links
        else f"{said}; no team-season links"
    )
    claims = {int(title.group(1))} if title else set()
    if linked is not None:
        claims.add(linked)
    return (claims.pop() if len(claims) == 1 else None), evidence


def _header(table: Table) -> list[str | None]:
    rows = table.header_rows()
    if not rows:
        return []
    return [cell.stat or _BY_TEXT.get(cell.text) for cell in rows[-1].cells]


def _is_team_row(row: Row) -> bool:
    if "thead" in row.classes or "over_header" in row.classes:
        return False  # division header rows ("AFC East") and repeated headers
    return not any(cell.stat == "onecell" for cell in row.cells) and len(row.cells) > 1


def _integer(
    text: str, column: str, team: str, conference: str, season: int, url: str, blank_is_zero: bool = False
) -> int:
    if text == "" and blank_is_zero:
        return 0
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise LayoutChangedError(
        LABEL, season, url, f"a whole number in column {column} for {team} ({conference} table)", repr(text)
    )


def _conference_rows(table: Table, conference: str, season: int, url: str) -> list[dict]:
    header = _header(table)
    missing = [f"{REQUIRED[stat]} ({stat})" for stat in REQUIRED if stat not in header]
    if missing:
        shown = [c.text for r in table.header_rows()[-1:] for c in r.cells]
        raise LayoutChangedError(
            LABEL,
            season,
            url,
            f"columns Tm, W, L, PF, PA (and T in tie seasons) in the {conference} table",
            f"no {', '.join(missing)}; header is {shown or 'empty'}",
        )
    rows = []
    for row in table.data_rows():
        if not _is_team_row(row):
            continue
        by_stat = {cell.stat: cell.text for cell in row.cells if cell.stat}
        if not by_stat:  # no data-stat attributes: fall back to the header's order
            by_stat = {stat: cell.text for stat, cell in zip(header, row.cells, strict=False) if stat}
        team = _MARKERS.sub("", by_stat.get("team", ""))
        if not team:
            continue
        rows.append(
            {
                "team": team,
                "wins": _integer(by_stat.get("wins", ""), "W", team, conference, season, url),
                "losses": _integer(by_stat.get("losses", ""), "L", team, conference, season, url),
                "ties": _integer(by_stat.get("ties", ""), "T", team, conference, season, url, blank_is_zero=True),
                "points_for": _integer(by_stat.get("points", ""), "PF", team, conference, season, url),
                "points_against": _integer(by_stat.get("points_opp", ""), "PA", team, conference, season, url),
            }
        )
    return rows


def _conference_tables(html: str) -> str:
    """Just the AFC and NFC tables (live or commented) when both are there, else the whole page.

    The page holds a dozen other tables, most inside comments; parsing only these two is about ten
    times faster. A page missing one falls back to a full parse, so the error lists every table.
    """
    found = [(m.group(1).upper(), m.group(0)) for m in _CONFERENCE_TABLE.finditer(html)]
    if {conference for conference, _ in found} != set(CONFERENCES):
        return html
    return "\n".join(table for _, table in found)


def parse_standings(html: str, season: int, url: str) -> pd.DataFrame:
    """The 32 teams' records: team (PFR full name), wins, losses, ties, points_for, points_against.

    Raises LayoutChangedError when a table or column is missing or a conference lacks 16 teams.
    """
    page = parse_page(_conference_tables(html))
    rows: list[dict] = []
    counts = {}
    for conference in CONFERENCES:
        tables = page.tables_with_id(conference)
        if not tables:
            ids = sorted({t.id for t in page.tables if t.id})
            raise LayoutChangedError(
                LABEL,
                season,
                url,
                f'a standings table with id="{conference}" (live or inside an HTML comment)',
                f"{len(page.tables)} tables, ids: {', '.join(ids) or 'none'}",
            )
        found = _conference_rows(tables[0], conference, season, url)
        counts[conference] = len(found)
        rows.extend(found)
    if any(n != TEAMS_PER_CONFERENCE for n in counts.values()):
        raise LayoutChangedError(
            LABEL,
            season,
            url,
            f"{TEAMS_PER_CONFERENCE} teams in each of the AFC and NFC tables (32 in all)",
            " and ".join(f"{n} in the {c} table" for c, n in counts.items()),
        )
    df = pd.DataFrame(rows, columns=COLUMNS)
    duplicated = sorted(df.loc[df["team"].duplicated(), "team"])
    if duplicated:
        raise LayoutChangedError(LABEL, season, url, "each team once", f"repeated: {', '.join(duplicated)}")
    return df
