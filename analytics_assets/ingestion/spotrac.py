"""Spotrac team cap page -> dead-cap rows (pure functions, no network).

`/nfl/cap/{season}/` lists every team with full-dollar amounts ("$30,442,060") under columns
"Total Cap Allocations" and "Dead Cap", then Totals and Averages rows that are not teams. Teams
are Spotrac codes (LAR for the Rams), mapped through the registry as `spotrac`. The page also
shows the season's cap ("CAP MAXIMUM").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import pandas as pd

from analytics_assets.ingestion.errors import LayoutChangedError
from analytics_assets.ingestion.html_tables import Table, parse_page
from analytics_assets.ingestion.source_catalog import LIVE_SOURCES

LABEL = LIVE_SOURCES["spotrac"].label
CODE_SOURCE = "spotrac"
TEAMS = 32
NOT_TEAMS = {"totals", "total", "averages", "average", "league average"}
CAP_MAXIMUM_ID = "cap_maximum"
_DOLLARS = re.compile(r"^(-)?\$?(-)?(\d{1,3}(?:,\d{3})*|\d+)(\.\d+)?$")


_TITLE = re.compile(r"<title>\s*(\d{4}) NFL[^<]*</title>", re.I)


_CAP_MAXIMUM = re.compile(r'id="cap_maximum"[^>]*>\s*([^<]+?)\s*<')


def page_season(html: str, official_caps: dict[int, float]) -> tuple[int | None, str]:
    """The season the page says it holds: its title, and the league cap it prints (each season's cap differs)."""
    title = _TITLE.search(html)
    cap_text = _CAP_MAXIMUM.search(html)
    try:
        cap_maximum_musd = dollars(cap_text.group(1)) / 1e6 if cap_text else None
    except ValueError:
        cap_maximum_musd = None
    claims = {int(title.group(1))} if title else set()
    evidence = [f"title {unescape(title.group(0)[7:-8].strip())!r}" if title else "no season in its title"]
    if cap_maximum_musd is not None:
        matching = [s for s, cap in official_caps.items() if abs(cap - cap_maximum_musd) < 0.05]
        evidence.append(f"cap maximum ${cap_maximum_musd:.1f}M" + (f", the cap of {matching[0]}" if matching else ""))
        if matching:
            claims.add(matching[0])
    return (claims.pop() if len(claims) == 1 else None), "; ".join(evidence)


def dollars(text: str) -> float:
    """'$30,442,060' -> 30442060.0; '-$1,000' -> -1000.0. Raises ValueError on anything else."""
    match = _DOLLARS.fullmatch(text.strip().replace(" ", ""))
    if not match:
        raise ValueError(f"not a dollar amount: {text!r}")
    sign = -1.0 if (match.group(1) or match.group(2)) else 1.0
    return sign * float(match.group(3).replace(",", "") + (match.group(4) or ""))


@dataclass(frozen=True)
class CapPage:
    rows: pd.DataFrame  # team (Spotrac code), dead_money_musd, total_cap_allocations_musd
    cap_maximum_musd: float | None  # the season's cap as the page states it, if it does


def _columns(table: Table) -> dict[str, int] | None:
    for row in reversed(table.header_rows() or table.rows[:1]):
        texts = [t.lower() for t in row.texts()]
        team = next((i for i, t in enumerate(texts) if t == "team"), None)
        dead = next((i for i, t in enumerate(texts) if t.startswith("dead")), None)
        total = next((i for i, t in enumerate(texts) if t.startswith("total cap")), None)
        if team is not None and dead is not None and total is not None:
            return {"team": team, "dead": dead, "total": total}
    return None


def _from_cap_figures(html: str) -> str:
    """The page from its CAP MAXIMUM figure or first table, whichever comes first; else the whole page.

    About three quarters of the page (navigation, scripts) comes before them, and parsing only the
    rest is about three times faster. A start inside a comment or a script falls back to the whole
    page, so a table is never read out of its context.
    """
    marks = [i for i in (html.find(f'id="{CAP_MAXIMUM_ID}"'), html.find("<table")) if i >= 0]
    start = html.rfind("<", 0, min(marks) + 1) if marks else -1
    if start <= 0:
        return html
    before = html[:start]
    if before.rfind("<!--") > before.rfind("-->") or before.lower().rfind("<script") > before.lower().rfind("</script"):
        return html
    return html[start:]


def parse_dead_cap(html: str, season: int, url: str) -> CapPage:
    """The 32 teams' dead money and cap allocations in millions of USD; raises LayoutChangedError."""
    page = parse_page(_from_cap_figures(html), capture_ids=(CAP_MAXIMUM_ID,))
    candidates = [
        (t, cols) for t in sorted(page.tables, key=lambda t: t.commented) if (cols := _columns(t)) and t.data_rows()
    ]
    if not candidates:
        headers = [" | ".join(r.texts()) for t in page.tables for r in t.header_rows()[-1:]]
        raise LayoutChangedError(
            LABEL,
            season,
            url,
            "a team cap table with Team, Total Cap Allocations and Dead Cap columns",
            f"{len(page.tables)} tables; headers: {headers or 'none'}",
        )
    table, cols = candidates[0]
    rows = []
    for row in table.data_rows():
        texts = row.texts()
        if len(texts) <= max(cols.values()):
            continue
        team_text = texts[cols["team"]]
        if not team_text or team_text.lower() in NOT_TEAMS:
            continue
        team = team_text.split()[0]  # "SF SF": a hidden code, then the visible one
        values = {}
        for key, column in (("dead_money_musd", "Dead Cap"), ("total_cap_allocations_musd", "Total Cap Allocations")):
            text = texts[cols["dead" if key.startswith("dead") else "total"]]
            try:
                values[key] = dollars(text) / 1e6
            except ValueError:
                raise LayoutChangedError(
                    LABEL, season, url, f"a dollar amount in column {column} for {team}", repr(text)
                ) from None
        rows.append({"team": team, **values})
    df = pd.DataFrame(rows, columns=["team", "dead_money_musd", "total_cap_allocations_musd"])
    if len(df) != TEAMS or df["team"].nunique() != TEAMS:
        repeated = sorted(df.loc[df["team"].duplicated(), "team"])
        raise LayoutChangedError(
            LABEL,
            season,
            url,
            f"{TEAMS} team rows (Totals and Averages excluded)",
            f"{len(df)} rows, {df['team'].nunique()} distinct teams"
            + (f", repeated: {', '.join(repeated)}" if repeated else ""),
        )
    cap_text = page.captured.get(CAP_MAXIMUM_ID)
    try:
        cap = dollars(cap_text) / 1e6 if cap_text else None
    except ValueError:
        cap = None
    return CapPage(df, cap)
