"""Source pages for the live benchmarks, and the local servers that serve them.

Real saved pages exist for PFR 2017 and Spotrac 2024 only (../shared/data/pages/). Every other
season's page is the saved page with its season-specific parts rewritten from the embedded facts:
the AFC and NFC standings tables (PFR), the team cap table and the CAP MAXIMUM (Spotrac), the
season in links and titles. The pages keep the saved pages' size and markup, so parsing costs what
it costs on the real sites.

The season in progress has no facts yet; its pages are synthesized from the previous season: a
partial schedule (every team has played the same number of games, every game has a winner and a
loser, so league wins equal losses) and cap figures scaled to a new cap.
"""

from __future__ import annotations

import csv
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from analytics_assets import teams

REPO = Path(__file__).resolve().parent.parent
SHARED_PAGES = REPO.parent / "shared" / "data" / "pages"
EMBEDDED = REPO / "analytics_assets" / "embedded"
PFR_SAVED = ("pfr_years_2017_index.html", 2017)
SPOTRAC_SAVED = ("spotrac_nfl_cap_2024.html", 2024)
# The season in progress: games each team has played so far, and the new league cap it states.
IN_PROGRESS_GAMES = 11
IN_PROGRESS_CAP_USD = 301_200_000


def pfr_path(season: int) -> str:
    return f"/years/{season}/index.htm"


def spotrac_path(season: int) -> str:
    return f"/nfl/cap/{season}/"


def saved_page(name: str) -> str:
    path = SHARED_PAGES / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is absent: the live benchmarks need the saved pages in ../shared/data/pages/.")
    return path.read_text(encoding="utf-8")


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(EMBEDDED / name, newline="") as f:
        return list(csv.DictReader(f))


class Facts:
    """The embedded facts by season: standings rows, dead money rows and league caps."""

    def __init__(self) -> None:
        self.standings: dict[int, list[dict]] = {}
        self.dead_money: dict[int, list[dict]] = {}
        for row in _read_csv("nfl_standings_2011_2025.csv"):
            self.standings.setdefault(int(row["season"]), []).append(row)
        for row in _read_csv("nfl_team_dead_money_2011_2025.csv"):
            self.dead_money.setdefault(int(row["season"]), []).append(row)
        self.caps = {int(r["season"]): float(r["salary_cap_musd"]) for r in _read_csv("nfl_league_salary_cap.csv")}

    @property
    def seasons(self) -> list[int]:
        return sorted(self.standings)


def _era(franchise_id: str, season: int) -> teams.Era:
    franchise = next(f for f in teams.FRANCHISES if f.franchise_id == franchise_id)
    era = franchise.era(season)
    if era is None:
        raise LookupError(f"franchise {franchise_id} has no era in {season}")
    return era


def _pfr_code(franchise_id: str) -> str:
    return next(f.pfr_code for f in teams.FRANCHISES if f.franchise_id == franchise_id)


def _dollars(musd: float) -> str:
    return f"${round(musd * 1e6):,}"


# --- Pro-Football-Reference -------------------------------------------------------------------

_PFR_TIES_HEADER = (
    '<th aria-label="Ties" data-stat="ties" scope="col" class=" poptip center" data-tip="Games Tied" >T</th>'
)
_PFR_LOSSES_HEADER = (
    '<th aria-label="Losses" data-stat="losses" scope="col" class=" poptip center" data-tip="Games Lost" >L</th>'
)


def _pfr_row(season: int, rank: int, r: dict) -> str:
    games, wins, losses, ties = (int(r[k]) for k in ("games", "wins", "losses", "ties"))
    pf, pa = int(r["points_for"]), int(r["points_against"])
    era = _era(r["franchise"], season)
    pct = (wins + ties / 2) / games if games else 0.0
    ties_cell = f'<td class="right " data-stat="ties" >{ties}</td>' if r.get("_tie_season") else ""
    pct_text = f"{pct:.3f}".removeprefix("0")  # PFR prints .375 and 1.000
    mov = (pf - pa) / games if games else 0.0
    return (
        f'<tr ><th scope="row" class="left " data-stat="team" csk="{rank}" ><a '
        f'href="/teams/{_pfr_code(r["franchise"])}/{season}.htm">'
        f'{era.name}</a>{r.get("_marker", "")}</th><td class="right " data-stat="wins" >{wins}</td>'
        f'<td class="right " data-stat="losses" >{losses}</td>{ties_cell}'
        f'<td class="right " data-stat="win_loss_perc" >{pct_text}</td>'
        f'<td class="right " data-stat="points" >{pf}</td><td class="right " data-stat="points_opp" >{pa}</td>'
        f'<td class="right " data-stat="points_diff" >{pf - pa}</td><td class="right " data-stat="mov" >{mov:.1f}</td>'
        '<td class="right " data-stat="sos_total" >0.0</td><td class="right " data-stat="srs_total" >0.0</td>'
        '<td class="right " data-stat="srs_offense" >0.0</td><td class="right " data-stat="srs_defense" >0.0</td></tr>'
    )


def _pfr_tbody(season: int, conference: str, rows: list[dict]) -> str:
    tie_season = any(int(r["ties"]) for r in rows)
    out = ["<tbody>"]
    rank = 0
    for division in ("East", "North", "South", "West"):
        name = f"{conference} {division}"
        members = sorted((r for r in rows if r["division"] == name), key=lambda r: (-float(r["_pct"]), r["team"]))
        out.append(
            f'<tr class="thead onecell" ><td class="right left" data-stat="onecell" colspan="12" > {name}</td></tr>'
        )
        for i, r in enumerate(members):
            rank += 1
            out.append(_pfr_row(season, rank, {**r, "_tie_season": tie_season, "_marker": "*" if i == 0 else ""}))
    out.append("\n</tbody>")
    return "\n".join(out)


def pfr_page(season: int, rows: list[dict]) -> bytes:
    """A PFR season page holding `rows` (embedded standings columns) in its AFC and NFC tables."""
    name, saved_season = PFR_SAVED
    html = saved_page(name)
    rows = [{**r, "_pct": (int(r["wins"]) + int(r["ties"]) / 2) / max(int(r["games"]), 1)} for r in rows]
    for conference in ("AFC", "NFC"):
        start = html.index(f'<table class="sortable stats_table" id="{conference}"')
        body_start = html.index("<tbody>", start)
        body_end = html.index("</tbody>", body_start) + len("</tbody>")
        head = html[start:body_start]
        if any(int(r["ties"]) for r in rows):
            head = head.replace(_PFR_LOSSES_HEADER, _PFR_LOSSES_HEADER + _PFR_TIES_HEADER)
        conf_rows = [r for r in rows if r["conference"] == conference]
        html = html[:start] + head + _pfr_tbody(season, conference, conf_rows) + html[body_end:]
    html = html.replace(f"/{saved_season}.htm", f"/{season}.htm").replace(
        f"/years/{saved_season}/", f"/years/{season}/"
    )
    html = html.replace(f"{saved_season} NFL", f"{season} NFL")
    return html.encode("utf-8")


# --- Spotrac ----------------------------------------------------------------------------------

_SPOTRAC_ROW = """<tr class="">
                <td class="text-center w-50px rank dt-type-numeric">{rank}</td>

                <td class="text-left">
                    <span class="d-none">{code}</span>
                    <a href="https://www.spotrac.com/redirect/team/{rank}/cap/{season}" class="link">
                        <img src="https://d1dglpr230r57l.cloudfront.net/images/thumb/{logo}.png" class="logo-sm me-1" width="25"> {code}                    </a>
                </td>
                <td class="text-center">
                    {record}
                    <div class="ms-1 d-inline-block">
                                                                                            </div>
                </td>
                <td class="text-center w-50px dt-type-numeric">
                    53                 </td>
                <td class="text-center w-75px dt-type-numeric">
                    26.5                </td>
                <td class="text-center dt-type-numeric">
                    {allocations}                </td>
                <td class="text-center dt-type-numeric sorting_1">
                    {space}                </td>
                <td class="text-center dt-type-numeric">
                    {active}                </td>
                <td class="text-center dt-type-numeric">
                    {reserves}                </td>
                <td class="text-center dt-type-numeric">
                    {dead}                </td>
             </tr>"""


def spotrac_page(season: int, rows: list[dict], cap_musd: float, records: dict[str, str] | None = None) -> bytes:
    """A Spotrac cap page listing `rows` (franchise, dead_money_musd, total_cap_allocations_musd)."""
    name, saved_season = SPOTRAC_SAVED
    html = saved_page(name)
    start = html.index('id="DataTables_Table_0"')
    body_start = html.index("<tbody>", start)
    body_end = html.index("</tbody>", body_start) + len("</tbody>")
    ordered = sorted(rows, key=lambda r: -(cap_musd - float(r["total_cap_allocations_musd"])))
    out = []
    for rank, r in enumerate(ordered, start=1):
        code = _era(r["franchise"], season).spotrac_code
        allocations, dead = float(r["total_cap_allocations_musd"]), float(r["dead_money_musd"])
        out.append(
            _SPOTRAC_ROW.format(
                rank=rank,
                code=code,
                season=season,
                logo=code.lower(),
                record=(records or {}).get(r["franchise"], "0-0-0"),
                allocations=_dollars(allocations),
                space=_dollars(cap_musd - allocations),
                active=_dollars(max(allocations - dead, 0) * 0.8),
                reserves=_dollars(max(allocations - dead, 0) * 0.2),
                dead=_dollars(dead),
            )
        )
    html = html[:body_start] + "<tbody>" + "".join(out) + "</tbody>" + html[body_end:]
    html = re.sub(
        r'(<div id="cap_maximum"[^>]*>)\s*\$[\d,]+\s*(</div>)',
        lambda m: f"{m.group(1)}{_dollars(cap_musd)} {m.group(2)}",
        html,
        count=1,
    )
    html = html.replace(f"/cap/{saved_season}", f"/cap/{season}")
    html = html.replace(f"{saved_season} NFL", f"{season} NFL")  # the title: the page states its season
    return html.encode("utf-8")


# --- The season in progress -------------------------------------------------------------------


def in_progress_standings(
    season: int, previous: list[dict], games: int = IN_PROGRESS_GAMES, seed: int = 7
) -> list[dict]:
    return in_progress_season(season, previous, games, seed)[0]


def in_progress_season(
    season: int, previous: list[dict], games: int = IN_PROGRESS_GAMES, seed: int = 7
) -> tuple[list[dict], list[dict]]:
    """`games` rounds of a schedule: each round pairs all 32 teams, the stronger side of the
    previous season winning more often. Every team has played `games` games; wins equal losses.
    Returns the standings rows and the games (nflverse games-file columns, modern codes)."""
    rng = random.Random(seed)
    played: list[dict] = []
    strength = {r["franchise"]: (int(r["wins"]) + int(r["ties"]) / 2) / int(r["games"]) + 0.1 for r in previous}
    wins, losses, pf, pa = Counter(), Counter(), Counter(), Counter()
    ids = sorted(strength)
    for _ in range(games):
        rng.shuffle(ids)
        for a, b in zip(ids[0::2], ids[1::2], strict=True):
            winner, loser = (a, b) if rng.random() < strength[a] / (strength[a] + strength[b]) else (b, a)
            high, low = rng.randint(17, 38), rng.randint(3, 16)
            week = len(played) // 16 + 1
            played.append(
                {
                    "game_id": f"{season}_{week:02d}_{b}_{a}",
                    "season": str(season),
                    "game_type": "REG",
                    "week": str(week),
                    "away_team": b,
                    "away_score": str(high if winner == b else low),
                    "home_team": a,
                    "home_score": str(high if winner == a else low),
                }
            )
            wins[winner] += 1
            losses[loser] += 1
            pf[winner] += high
            pa[winner] += low
            pf[loser] += low
            pa[loser] += high
    out = []
    for r in previous:
        f = r["franchise"]
        era = _era(f, season)
        out.append(
            {
                **r,
                "season": str(season),
                "team": era.code,
                "games": str(games),
                "wins": str(wins[f]),
                "losses": str(losses[f]),
                "ties": "0",
                "points_for": str(pf[f]),
                "points_against": str(pa[f]),
            }
        )
    return out, played


# --- nflverse ---------------------------------------------------------------------------------

GAMES_PATH = "/nflverse/nfldata/master/data/games.csv"
GAMES_EXPORT = REPO.parent / "shared" / "data" / "reference" / "nflverse_schedules_2016_2025.csv"


def games_file(in_progress: int | None = None) -> bytes:
    """The real games-file export (2016-2025), plus the season in progress's games so far (the same
    games as its synthesized PFR page, so the two sources agree)."""
    if not GAMES_EXPORT.exists():
        raise FileNotFoundError(f"{GAMES_EXPORT} is absent: the live benchmarks need ../shared/data/reference/.")
    text = GAMES_EXPORT.read_text(encoding="utf-8")
    if in_progress is None:
        return text.encode()
    facts = Facts()
    _, played = in_progress_season(in_progress, facts.standings[max(facts.seasons)])
    header = text.splitlines()[0].split(",")
    lines = [",".join(g.get(c, "") for c in header) for g in played]
    return (text.rstrip("\n") + "\n" + "\n".join(lines) + "\n").encode()


def in_progress_dead_money(previous: list[dict], previous_cap_musd: float, cap_musd: float) -> list[dict]:
    scale = cap_musd / previous_cap_musd
    return [
        {
            **r,
            "total_cap_allocations_musd": f"{float(r['total_cap_allocations_musd']) * scale:.2f}",
            "dead_money_musd": f"{float(r['dead_money_musd']) * scale * 0.8:.2f}",
        }
        for r in previous
    ]


def pages_for(seasons: Iterable[int], in_progress: int | None = None) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """PFR and Spotrac pages by URL path for `seasons` (embedded facts) and the season in progress."""
    facts = Facts()
    pfr_pages: dict[str, bytes] = {}
    spotrac_pages: dict[str, bytes] = {}
    for season in seasons:
        pfr_pages[pfr_path(season)] = pfr_page(season, facts.standings[season])
        spotrac_pages[spotrac_path(season)] = spotrac_page(season, facts.dead_money[season], facts.caps[season])
    if in_progress is not None:
        last = max(facts.seasons)
        standings = in_progress_standings(in_progress, facts.standings[last])
        records = {r["franchise"]: f"{r['wins']}-{r['losses']}-{r['ties']}" for r in standings}
        cap = IN_PROGRESS_CAP_USD / 1e6
        pfr_pages[pfr_path(in_progress)] = pfr_page(in_progress, standings)
        spotrac_pages[spotrac_path(in_progress)] = spotrac_page(
            in_progress, in_progress_dead_money(facts.dead_money[last], facts.caps[last], cap), cap, records
        )
    return pfr_pages, spotrac_pages


# --- The local servers ------------------------------------------------------------------------


class PageServer:
    """A threaded HTTP server on 127.0.0.1 (a free port, or `port`) serving pages at their real URL paths.

    Every request is counted, with its arrival time, so request counts and spacing are measured at
    the server. A path without a page gets 404.
    """

    def __init__(self, pages: dict[str, bytes] | None = None, port: int = 0) -> None:
        self.pages = dict(pages or {})
        self.seen: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet
                pass

            def do_GET(self):
                with server._lock:
                    server.seen.append((self.path, time.monotonic()))
                body = server.pages.get(self.path)
                status = 200 if body is not None else 404
                body = body if body is not None else b"<html><body>Page not found</body></html>"
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type",
                        "text/plain; charset=utf-8" if self.path.endswith(".csv") else "text/html; charset=utf-8",
                    )
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> int:
        with self._lock:
            return len(self.seen)

    def times(self) -> list[float]:
        with self._lock:
            return [t for _, t in self.seen]

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
