"""Every quality rule, each declared once: its table, severity, what it guards, its check, the
columns that show a failing row, and how it says what it expected and what it saw.

Adding a rule means adding one `Rule(...)` here (and its test). The checks use pandas only when
they run, so the code location can declare its asset checks from this module without importing
pandas or Pandera; `rules.validate()` runs them through Pandera.

A check takes the season's rows and its `SeasonContext` and returns a boolean Series (one per row:
False marks a failing row) or one boolean for the whole season.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analytics_assets.partitions import regular_season_games
from analytics_assets.teams import season_codes

if TYPE_CHECKING:
    import pandas as pd

ERROR, WARN = "ERROR", "WARN"
ROWS, SOURCE = "rows", "source"  # when a rule runs: on parsed rows, or on the page before parsing

# --- Thresholds, each checked against the real 2011-2025 history (README "Quality gates") -------------
# A season's win_pct spread below this is not football: the real minimum 2011-2025 is 0.16.
MIN_WIN_PCT_STD = 0.05
# Completed seasons whose schedule lost games (2022: BUF at CIN cancelled).
CANCELLED_GAMES = {2022: 1}
# Spearman correlation of win_pct with point differential once every team has played 4 games.
# Real seasons: 0.77 at the least when complete (2016), 0.57 at the least after 4+ games (2022,
# week 6); a season with wins and losses exchanged scores about -0.9.
MIN_RECORD_POINTS_RHO = 0.30
MIN_GAMES_FOR_RECORD_CHECK = 4
# Dead money: the most teams sharing one value (to $10k) is 2 in any real season.
MAX_TEAMS_SHARING_DEAD_MONEY = 8
# Allocations / league cap: real 0.73 (TB 2011) to 1.19 (KC 2012). WARN outside 25%, ERROR outside
# the physical band below (a team cannot be committed to half or to 1.5 times the cap).
ALLOCATION_TOLERANCE = 0.25
ALLOCATION_BOUNDS = (0.5, 1.5)
# Units: amounts in millions put the median team's allocations near 1x the cap (real 0.96x-1.04x)
# and its dead money between these shares of the cap (real median team: 0.04x-0.20x).
MIN_MEDIAN_DEAD_MONEY_SHARE = 0.002
MAX_MEDIAN_DEAD_MONEY_SHARE = 0.6
# Teams whose whole line equals another known season's line (stored, or shipped with the package):
# 0 between any two real seasons, standings and dead money (at most 7 teams share a W-L-T, 1 its dead
# money alone); a copied season matches all 32.
MAX_ROWS_EQUAL_TO_OTHER_SEASON = 16
# The column of `SeasonContext.others` saying where each season's version came from
# (ingestion/known_seasons.py): this run, the DuckDB file, or the package's embedded facts.
KNOWN_AS = "known_as"
KNOWN_AS_TEXT = {
    "in this run": "rows in this run",
    "stored": "stored rows",
    "embedded facts": "facts shipped with the package",
}
# Drift, per season of distance to the nearest other known season (stored or shipped). Real
# year-over-year changes: league points per team-game at most 2.0 (2.9 for a season in progress after
# 4+ games), mean dead-cap % at most 3.5 points, its spread at most 3.3 points.
MAX_POINTS_PER_GAME_CHANGE = 5.0
MAX_DEAD_CAP_PCT_MEAN_CHANGE = 7.0
MAX_DEAD_CAP_PCT_STD_CHANGE = 7.0


@dataclass(frozen=True)
class SourceIdentity:
    """What a page or file says about itself, read before its rows are parsed."""

    requested_url: str | None = None
    final_url: str | None = None  # where the response actually came from (after any redirect)
    claimed_season: int | None = None  # the season the page states; None: it states none
    evidence: str = ""  # what on the page says so (title, links, the cap it prints)
    page_read: bool = True  # False: no page was read (the server redirected elsewhere)


@dataclass
class SeasonContext:
    """What a rule may know besides the season's own rows."""

    table: str
    season: int
    completed: bool
    identity: SourceIdentity | None = None
    # This table's rows of every other season the platform knows, one version each (this run's, else
    # the stored one, else the embedded facts), with KNOWN_AS saying which.
    others: pd.DataFrame | None = None
    stored_same: pd.DataFrame | None = None  # the rows stored now for this season
    # Live standings: how the second source was consulted (ingestion/standings_sources.CrossCheck).
    cross_check: Any = None

    @property
    def reconciliation(self) -> Any:
        """The team-by-team comparison of both sources; None unless both answered."""
        return self.cross_check.reconciliation if self.cross_check is not None else None

    def has(self, need: str) -> bool:
        if need == "page":
            return self.identity is not None and self.identity.page_read
        value = getattr(self, need)
        return value is not None and not (hasattr(value, "empty") and value.empty)


@dataclass(frozen=True)
class Finding:
    expected: str
    seen: str


def rows_finding(rule: Rule, failures: list[dict]) -> Finding:
    """What a row-level failure saw when its rule states nothing more: the first failing rows."""
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in f.items()) for f in failures[:5])
    return Finding(rule.guards, f"{len(failures)} failing row(s): {shown}")


Check = Callable[["pd.DataFrame", SeasonContext], Any]
Explain = Callable[["pd.DataFrame", SeasonContext], Finding]
Observe = Callable[["pd.DataFrame", SeasonContext], str]  # what the rule saw, with its threshold


@dataclass(frozen=True)
class Rule:
    table: str
    name: str
    severity: str
    guards: str  # what the rule protects against, as the UI shows it
    check: Check | None = None  # None: the table's Pandera model (the schema rule)
    evidence: tuple[str, ...] = ()  # columns that explain a failing row
    explain: Explain | None = None  # expected and seen for a season-wide failure
    structural: bool = True  # break glass never applies to a structural rule
    stage: str = ROWS
    needs: tuple[str, ...] = ()  # context the rule needs; without it the rule is not evaluated
    # What the rule saw and the threshold it holds it to ("rho 0.77, needs >= 0.30"), pass or fail.
    observe: Observe | None = None

    @property
    def description(self) -> str:
        return self.guards

    @property
    def acceptable(self) -> bool:
        return not self.structural


# --- Shared helpers for the checks ----------------------------------------------------------------------
def _f(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def _schedule_bounds(season: int) -> tuple[int, int]:
    per_team = regular_season_games(season)
    return per_team, 32 * per_team - 2 * CANCELLED_GAMES.get(season, 0)


def _thirty_two(df: pd.DataFrame, ctx: SeasonContext):
    ok_codes = df["team"].isin(season_codes(ctx.season))
    return ok_codes & (df["team"].nunique() == 32) & (len(df) == 32)


def _thirty_two_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    invalid = sorted(set(df["team"]) - season_codes(ctx.season))
    return Finding(
        f"32 unique teams with codes valid in {ctx.season}",
        f"{df['team'].nunique()} unique teams in {len(df)} rows; codes not valid in {ctx.season}: {invalid or 'none'}",
    )


def _schedule(df: pd.DataFrame, ctx: SeasonContext):
    per_team, total = _schedule_bounds(ctx.season)
    within = df["games"] <= per_team
    if not ctx.completed:
        return within
    cancelled = CANCELLED_GAMES.get(ctx.season, 0)
    return within & (df["games"] >= per_team - cancelled) & (df["games"].sum() == total)


def _schedule_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    per_team, total = _schedule_bounds(ctx.season)
    state = "completed" if ctx.completed else "in progress (at most)"
    return Finding(
        f"season {ctx.season} {state}: {per_team} games per team, league total {total}",
        f"found total {int(df['games'].sum())} (per team {int(df['games'].min())}-{int(df['games'].max())})",
    )


def _win_pct_std(df: pd.DataFrame) -> float:
    return float(df["win_pct"].std(ddof=0))


def _degenerate_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    values = df["win_pct"].round(3).value_counts()
    return Finding(
        f"win_pct standard deviation >= {MIN_WIN_PCT_STD}",
        f"win_pct standard deviation {_win_pct_std(df):.3f}; most common value {values.index[0]:.3f} on "
        f"{values.iloc[0]} of {len(df)} teams",
    )


def _record_points_rho(df: pd.DataFrame) -> float:
    diff = (df["points_for"] - df["points_against"]).rank()
    return float(df["win_pct"].rank().corr(diff))


def _record_points(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    if df["games"].min() < MIN_GAMES_FOR_RECORD_CHECK:
        return True  # too early in a season for the record to follow the points
    rho = _record_points_rho(df)
    return math.isnan(rho) or rho >= MIN_RECORD_POINTS_RHO  # NaN: one record for all, not_degenerate's case


def _record_points_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    diff = df["points_for"] - df["points_against"]
    gap = (df["win_pct"].rank(pct=True) - diff.rank(pct=True)).abs()
    worst = df.assign(diff=diff, gap=gap).sort_values("gap", ascending=False).head(5)
    shown = "; ".join(
        f"{r.team} {int(r.wins)}-{int(r.losses)}-{int(r.ties)} with points "
        f"{int(r.points_for)}-{int(r.points_against)} ({int(r.diff):+d})"
        for r in worst.itertuples()
    )
    return Finding(
        f"win_pct rising with point differential (Spearman correlation >= {MIN_RECORD_POINTS_RHO}; real seasons "
        f"0.57-0.94)",
        f"Spearman correlation {_record_points_rho(df):.2f}; teams whose record contradicts their points most: "
        f"{shown}. "
        "Wins and losses (or points for and against) may be exchanged",
    )


def _dead_money_spread(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    return int(df["dead_money_musd"].round(2).value_counts().iloc[0]) <= MAX_TEAMS_SHARING_DEAD_MONEY


def _dead_money_spread_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    counts = df["dead_money_musd"].round(2).value_counts()
    return Finding(
        f"dead money that differs by team (at most {MAX_TEAMS_SHARING_DEAD_MONEY} of 32 teams on one value; real "
        f"seasons: 2)",
        f"{counts.iloc[0]} of {len(df)} teams at ${counts.index[0]:.2f}M",
    )


def _unit_of(ratio: float) -> str | None:
    """Which unit a ratio to the expected magnitude points at: 1e6 -> dollars, 1e3 -> thousands."""
    if not ratio or math.isnan(ratio) or ratio <= 0:
        return None
    power = round(math.log10(ratio) / 3)
    return {
        2: "dollars (not millions)",
        1: "thousands of dollars (not millions)",
        -1: "amounts 1,000 times too small (thousands read as dollars?)",
        -2: "amounts 1,000,000 times too small",
    }.get(power)


def _units(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    cap = df["league_salary_cap_musd"]
    alloc = float((df["total_cap_allocations_musd"] / cap).median())
    dead = float((df["dead_money_musd"] / cap).median())
    alloc_ok = ALLOCATION_BOUNDS[0] / 2 <= alloc <= ALLOCATION_BOUNDS[1] * 2
    return alloc_ok and MIN_MEDIAN_DEAD_MONEY_SHARE <= dead <= MAX_MEDIAN_DEAD_MONEY_SHARE


def _units_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    cap = float(df["league_salary_cap_musd"].iloc[0])
    alloc = float(df["total_cap_allocations_musd"].median())
    dead = float(df["dead_money_musd"].median())
    seen = [f"median allocations {alloc:,.4g} and median dead money {dead:,.4g} against a league cap of {cap:,.4g}"]
    for label, ratio in (("allocations look like", alloc / cap), ("dead money looks like", dead / (0.1 * cap))):
        unit = _unit_of(ratio)
        if unit:
            seen.append(f"{label} {unit}")
    return Finding(
        f"amounts in millions of USD: median allocations near the league cap (${cap:.1f}M), median dead money "
        f"{MIN_MEDIAN_DEAD_MONEY_SHARE:.1%}-{MAX_MEDIAN_DEAD_MONEY_SHARE:.0%} of it",
        "; ".join(seen),
    )


def _allocations_explain(low: float, high: float):
    def explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
        ratio = _allocation_ratio(df)
        outside = df.assign(ratio=ratio)[~ratio.between(low, high)].sort_values("team")
        shown = "; ".join(
            f"{r.team} allocations {r.ratio:.0%} of the cap (${r.total_cap_allocations_musd:.1f}M of "
            f"${r.league_salary_cap_musd:.1f}M)"
            for r in outside.itertuples()
        )
        return Finding(f"every team's allocations {low:.0%}-{high:.0%} of the league cap", shown)

    return explain


def _allocation_ratio(df: pd.DataFrame):
    return df["total_cap_allocations_musd"] / df["league_salary_cap_musd"]


def _others_equal(df: pd.DataFrame, ctx: SeasonContext, columns: list[str]) -> tuple[int, int | None]:
    """The most teams whose line equals another known season's, and that season (the earliest on a tie)."""
    assert ctx.others is not None  # season_context always gives the other seasons (possibly none)
    mine = df.set_index("franchise")[columns].round(2)
    theirs = ctx.others[["season", "franchise", *columns]].round({c: 2 for c in columns})
    # One join over every other season at once: each (season, franchise) line beside this season's.
    joined = theirs.merge(mine, left_on="franchise", right_index=True, suffixes=("", "_mine"), how="inner")
    equal = (joined[columns].to_numpy() == joined[[f"{c}_mine" for c in columns]].to_numpy()).all(axis=1)
    per_season = joined.loc[equal, "season"].value_counts().sort_index()
    if per_season.empty:
        return 0, None
    return int(per_season.max()), int(per_season.idxmax())


def _distinct(columns: list[str]):
    def check(df: pd.DataFrame, ctx: SeasonContext) -> bool:
        return _others_equal(df, ctx, columns)[0] <= MAX_ROWS_EQUAL_TO_OTHER_SEASON

    def explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
        same, other = _others_equal(df, ctx, columns)
        return Finding(
            f"season {ctx.season}'s own figures (at most {MAX_ROWS_EQUAL_TO_OTHER_SEASON} of 32 teams equal to another "
            "season the platform knows, stored or shipped with the package)",
            f"rows match season {other} on {same} of {len(df)} teams ({', '.join(columns)} equal to season {other}'s "
            f"{_known_as(ctx, other)}): this looks like season {other}'s data delivered as {ctx.season}",
        )

    return check, explain


def _known_as(ctx: SeasonContext, season: int | None) -> str:
    """Which version of `season` the rules compared with: this run's rows, the stored ones, the package's facts."""
    assert ctx.others is not None
    if KNOWN_AS not in ctx.others.columns:
        return "rows"
    found = ctx.others.loc[ctx.others["season"] == season, KNOWN_AS]
    return KNOWN_AS_TEXT.get(str(found.iloc[0]), "rows") if len(found) else "rows"


def _nearest(
    ctx: SeasonContext, figure: Callable[[pd.DataFrame], dict[str, float]]
) -> list[tuple[int, dict[str, float]]]:
    """The nearest other known season below and above this one, with their league figures."""
    assert ctx.others is not None  # season_context always gives the other seasons (possibly none)
    seasons = sorted(int(s) for s in ctx.others["season"].unique())
    below = [s for s in seasons if s < ctx.season][-1:]
    above = [s for s in seasons if s > ctx.season][:1]
    return [(s, figure(ctx.others[ctx.others["season"] == s])) for s in below + above]


def _points_per_game(df: pd.DataFrame) -> dict[str, float]:
    games = float(df["games"].sum())
    return {"points per team-game": float(df["points_for"].sum()) / games if games else float("nan")}


def _dead_cap_figures(df: pd.DataFrame) -> dict[str, float]:
    pct = 100 * df["dead_money_musd"] / df["league_salary_cap_musd"]
    return {"mean dead-cap %": float(pct.mean()), "spread (std) of dead-cap %": float(pct.std(ddof=0))}


def _drift(figure, limits: dict[str, tuple[float, bool]]):
    """Refuse a jump in a league figure beyond its limit (per season of distance when `scales`)."""

    def jumps(df: pd.DataFrame, ctx: SeasonContext) -> list[str]:
        mine = figure(df)
        out = []
        for season, theirs in _nearest(ctx, figure):
            gap = abs(season - ctx.season)
            for name, (limit, scales) in limits.items():
                allowed = limit * gap if scales else limit
                if abs(mine[name] - theirs[name]) > allowed:
                    out.append(
                        f"{name} {mine[name]:.2f} against {theirs[name]:.2f} in {season} (change "
                        f"{mine[name] - theirs[name]:+.2f}, allowed {allowed:.1f})"
                    )
        return out

    def check(df: pd.DataFrame, ctx: SeasonContext) -> bool:
        return not jumps(df, ctx)

    def explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
        allowed = "; ".join(f"{n} within {lim}{' per season apart' if s else ''}" for n, (lim, s) in limits.items())
        return Finding(f"league figures close to the nearest other seasons ({allowed})", "; ".join(jumps(df, ctx)))

    return check, explain


def _progress(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    if ctx.completed:
        return True
    assert ctx.stored_same is not None  # season_context gives the stored rows of the season (possibly none)
    return int(df["games"].sum()) >= int(ctx.stored_same["games"].sum())


def _progress_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    assert ctx.stored_same is not None
    return Finding(
        f"season {ctx.season} in progress: at least the {int(ctx.stored_same['games'].sum())} team-games "
        "already stored",
        f"{int(df['games'].sum())} team-games: an older copy of the season (a stale page or cache)",
    )


# --- What each rule saw, pass or fail: the value and the threshold --------------------------------------
def _range_seen(column: str, low: float, high: float, digits: int = 3):
    def observe(df: pd.DataFrame, ctx: SeasonContext) -> str:
        return f"{column} {df[column].min():.{digits}f} to {df[column].max():.{digits}f} (needs {low:g} to {high:g})"

    return observe


def _formula_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    gap = (df["win_pct"] - (df["wins"] + df["ties"] / 2) / df["games"].where(df["games"] > 0)).abs().max()
    return f"largest difference from (W + T/2) / G {gap:.1e} (needs <= 1e-9)"


def _schedule_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    per_team, total = _schedule_bounds(ctx.season)
    needs = f"{per_team} per team, league total {total}" if ctx.completed else f"at most {per_team} per team"
    return (
        f"games {int(df['games'].min())}-{int(df['games'].max())} per team, league total "
        f"{int(df['games'].sum())} (needs {needs})"
    )


def _teams_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    valid = int(df["team"].isin(season_codes(ctx.season)).sum())
    return f"{df['team'].nunique()} unique teams in {len(df)} rows, {valid} with codes valid in {ctx.season} (needs 32)"


def _record_points_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    if df["games"].min() < MIN_GAMES_FOR_RECORD_CHECK:
        return (
            f"not judged yet: a team has played {int(df['games'].min())} games (needs "
            f"{MIN_GAMES_FOR_RECORD_CHECK} each)"
        )
    return f"rho {_record_points_rho(df):.2f}, needs >= {MIN_RECORD_POINTS_RHO:.2f}"


def _distinct_seen(columns: list[str]):
    def observe(df: pd.DataFrame, ctx: SeasonContext) -> str:
        same, other = _others_equal(df, ctx, columns)
        nearest = f" (season {other})" if other is not None else ""
        return (
            f"at most {same} of {len(df)} teams equal to another known season{nearest}; limit "
            f"{MAX_ROWS_EQUAL_TO_OTHER_SEASON}"
        )

    return observe


def _drift_seen(figure, limits: dict[str, tuple[float, bool]]):
    def observe(df: pd.DataFrame, ctx: SeasonContext) -> str:
        mine = figure(df)
        parts = []
        for season, theirs in _nearest(ctx, figure):
            gap = abs(season - ctx.season)
            for name, (limit, scales) in limits.items():
                allowed = limit * gap if scales else limit
                parts.append(
                    f"{name} {mine[name]:.2f}, {mine[name] - theirs[name]:+.2f} against {season}, limit {allowed:.1f}"
                )
        return "; ".join(parts) or "no other season to compare with"

    return observe


def _progress_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    if ctx.completed:
        return f"season {ctx.season} is completed: nothing to compare"
    assert ctx.stored_same is not None
    return (
        f"{int(df['games'].sum())} team-games, stored copy {int(ctx.stored_same['games'].sum())} (needs at least that)"
    )


def _units_seen(df: pd.DataFrame, ctx: SeasonContext) -> str:
    cap = df["league_salary_cap_musd"]
    alloc = float((df["total_cap_allocations_musd"] / cap).median())
    dead = float((df["dead_money_musd"] / cap).median())
    return (
        f"median allocations {alloc:.2f}x the cap (needs "
        f"{ALLOCATION_BOUNDS[0] / 2:g}x-{ALLOCATION_BOUNDS[1] * 2:g}x), median dead money "
        f"{dead:.3f}x (needs {MIN_MEDIAN_DEAD_MONEY_SHARE:g}x-{MAX_MEDIAN_DEAD_MONEY_SHARE:g}x)"
    )


def _allocations_seen(low: float, high: float):
    def observe(df: pd.DataFrame, ctx: SeasonContext) -> str:
        ratio = _allocation_ratio(df)
        return f"allocations {ratio.min():.2f}x to {ratio.max():.2f}x the league cap (needs {low:g}x-{high:g}x)"

    return observe


def _page_season_seen(df, ctx: SeasonContext) -> str:
    ident = _identity(ctx)
    claim = f"season {ident.claimed_season}" if ident.claimed_season is not None else "no season"
    return f"the page states {claim} (needs {ctx.season}): {ident.evidence}"[:300]


def _no_redirect_seen(df, ctx: SeasonContext) -> str:
    ident = _identity(ctx)
    return f"served from {ident.final_url or ident.requested_url} (needs {ident.requested_url})"


def _identity(ctx: SeasonContext) -> SourceIdentity:
    # Identity rules are evaluated only for a page that said something about itself (check_source).
    assert ctx.identity is not None
    return ctx.identity


def _page_season(df, ctx: SeasonContext) -> bool:
    return _identity(ctx).claimed_season == ctx.season


def _page_season_explain(df, ctx: SeasonContext) -> Finding:
    ident = _identity(ctx)
    claim = f"season {ident.claimed_season}" if ident.claimed_season is not None else "no season at all"
    return Finding(
        f"a page for season {ctx.season}",
        f"the page at {ident.final_url or ident.requested_url} states {claim}: {ident.evidence}",
    )


def _no_redirect(df, ctx: SeasonContext) -> bool:
    ident = _identity(ctx)
    return ident.final_url is None or ident.final_url == ident.requested_url


def _no_redirect_explain(df, ctx: SeasonContext) -> Finding:
    ident = _identity(ctx)
    return Finding(f"the page at {ident.requested_url}", f"a redirect to {ident.final_url}")


# --- Cross-source: live standings from two independent sources (ingestion/standings_sources.py) ----------
def _sources_agree(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    return ctx.reconciliation.passed


def _sources_agree_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    rec = ctx.reconciliation
    return Finding(f"{rec.names[0]} and {rec.names[1]} agree on every team", rec.refusal())


def _cross_checked(df: pd.DataFrame, ctx: SeasonContext) -> bool:
    return ctx.cross_check.reconciliation is not None


def _cross_checked_explain(df: pd.DataFrame, ctx: SeasonContext) -> Finding:
    check = ctx.cross_check
    return Finding("a second source confirming the rows", f"served by {check.served_by} alone: {check.skipped_reason}")


def _identity_rules(table: str) -> tuple[Rule, ...]:
    distinct_cols = (
        ["wins", "losses", "ties", "points_for", "points_against"]
        if table == "standings"
        else ["dead_money_musd", "total_cap_allocations_musd"]
    )
    check, explain = _distinct(distinct_cols)
    return (
        Rule(
            table,
            "page_season",
            ERROR,
            "Identity: the page states the season asked for (its title, its team-season links, the cap it prints).",
            _page_season,
            explain=_page_season_explain,
            stage=SOURCE,
            needs=("identity", "page"),
            observe=_page_season_seen,
        ),
        Rule(
            table,
            "no_redirect",
            ERROR,
            "Identity: the response came from the URL asked for, not a redirect to another page.",
            _no_redirect,
            explain=_no_redirect_explain,
            stage=SOURCE,
            needs=("identity",),
            observe=_no_redirect_seen,
        ),
        Rule(
            table,
            "distinct_from_other_seasons",
            ERROR,
            f"Identity: the season's rows are its own (at most {MAX_ROWS_EQUAL_TO_OTHER_SEASON} teams equal to "
            f"another season the platform knows, stored or shipped with the package).",
            check,
            explain=explain,
            needs=("others",),
            observe=_distinct_seen(distinct_cols),
        ),
    )


_dead_cap_drift, _dead_cap_drift_explain = _drift(
    _dead_cap_figures,
    {
        "mean dead-cap %": (MAX_DEAD_CAP_PCT_MEAN_CHANGE, True),
        "spread (std) of dead-cap %": (MAX_DEAD_CAP_PCT_STD_CHANGE, True),
    },
)
_dead_cap_drift_seen = _drift_seen(
    _dead_cap_figures,
    {
        "mean dead-cap %": (MAX_DEAD_CAP_PCT_MEAN_CHANGE, True),
        "spread (std) of dead-cap %": (MAX_DEAD_CAP_PCT_STD_CHANGE, True),
    },
)
_points_drift, _points_drift_explain = _drift(
    _points_per_game, {"points per team-game": (MAX_POINTS_PER_GAME_CHANGE, False)}
)
_points_drift_seen = _drift_seen(_points_per_game, {"points per team-game": (MAX_POINTS_PER_GAME_CHANGE, False)})


RULES: tuple[Rule, ...] = (
    # --- standings -------------------------------------------------------------------------------------
    Rule(
        "standings",
        "schema",
        ERROR,
        "Columns, types and not-null exactly as the Standings model (no extra columns, one row per team).",
    ),
    Rule(
        "standings",
        "win_pct_range",
        ERROR,
        "0 <= win_pct <= 1.",
        lambda df, ctx: df["win_pct"].between(0.0, 1.0),
        evidence=("win_pct",),
        observe=_range_seen("win_pct", 0, 1),
    ),
    Rule(
        "standings",
        "win_pct_formula",
        ERROR,
        "win_pct = (wins + ties/2) / games.",
        lambda df, ctx: (
            (df["win_pct"] - (df["wins"] + df["ties"] / 2) / df["games"].where(df["games"] > 0)).abs() <= 1e-9
        ),
        evidence=("wins", "ties", "games", "win_pct"),
        observe=_formula_seen,
    ),
    Rule(
        "standings",
        "games_add_up",
        ERROR,
        "wins + losses + ties = games.",
        lambda df, ctx: df["wins"] + df["losses"] + df["ties"] == df["games"],
        evidence=("wins", "losses", "ties", "games"),
        observe=lambda df, ctx: (
            f"{int((df['wins'] + df['losses'] + df['ties'] == df['games']).sum())} of {len(df)} teams with W + L + T "
            f"= G (needs all)"
        ),
    ),
    Rule(
        "standings",
        "wins_equal_losses",
        ERROR,
        "League-wide sum of wins = sum of losses.",
        lambda df, ctx: bool(df["wins"].sum() == df["losses"].sum()),
        explain=lambda df, ctx: Finding(
            "league wins = league losses", f"league wins = {int(df['wins'].sum())}, losses = {int(df['losses'].sum())}"
        ),
        observe=lambda df, ctx: f"league wins {int(df['wins'].sum())}, losses {int(df['losses'].sum())} (needs equal)",
    ),
    Rule(
        "standings",
        "schedule_length",
        ERROR,
        "Games per team match the season's schedule (16 through 2020, 17 from 2021; a completed season's league "
        "total is fixed; a season in progress at most that).",
        _schedule,
        evidence=("games",),
        explain=_schedule_explain,
        observe=_schedule_seen,
    ),
    Rule(
        "standings",
        "thirty_two_teams",
        ERROR,
        "32 unique teams, each with a code valid that season.",
        _thirty_two,
        explain=_thirty_two_explain,
        observe=_teams_seen,
    ),
    Rule(
        "standings",
        "not_degenerate",
        ERROR,
        f"win_pct varies across teams (standard deviation >= {MIN_WIN_PCT_STD}): every team on one record is the "
        f"0.500 bug.",
        lambda df, ctx: _win_pct_std(df) >= MIN_WIN_PCT_STD,
        explain=_degenerate_explain,
        observe=lambda df, ctx: f"win_pct standard deviation {_win_pct_std(df):.3f} (needs >= {MIN_WIN_PCT_STD})",
    ),
    *_identity_rules("standings"),
    Rule(
        "standings",
        "record_agrees_with_points",
        ERROR,
        f"Plausibility: once every team has played {MIN_GAMES_FOR_RECORD_CHECK} games, win_pct rises with point "
        f"differential (Spearman >= {MIN_RECORD_POINTS_RHO}).",
        _record_points,
        explain=_record_points_explain,
        structural=False,
        observe=_record_points_seen,
    ),
    Rule(
        "standings",
        "points_drift",
        ERROR,
        f"Drift: league points per team-game within {MAX_POINTS_PER_GAME_CHANGE} of the nearest other seasons, "
        f"stored or shipped (real changes: at most 2.0).",
        _points_drift,
        explain=_points_drift_explain,
        structural=False,
        needs=("others",),
        observe=_points_drift_seen,
    ),
    Rule(
        "standings",
        "sources_agree",
        ERROR,
        "Cross-source: where nflverse and Pro-Football-Reference both answer, every team's W, L, T, points for and "
        "against agree (the season in progress: one source may be one consistent game ahead for a team, never "
        "contradict a game both count).",
        _sources_agree,
        explain=_sources_agree_explain,
        needs=("reconciliation",),
        observe=lambda df, ctx: ctx.reconciliation.summary(),
    ),
    Rule(
        "standings",
        "sources_cross_checked",
        WARN,
        "Cross-source: a live season's standings are confirmed by a second source (skipped when one source failed or "
        "only one is configured).",
        _cross_checked,
        explain=_cross_checked_explain,
        needs=("cross_check",),
        observe=lambda df, ctx: ctx.cross_check.note()[:300],
    ),
    Rule(
        "standings",
        "season_progress",
        ERROR,
        "Drift: a refresh of the season in progress never has fewer games played than the copy already stored.",
        _progress,
        explain=_progress_explain,
        structural=False,
        needs=("stored_same",),
        observe=_progress_seen,
    ),
    # --- dead_cap --------------------------------------------------------------------------------------
    Rule(
        "dead_cap",
        "schema",
        ERROR,
        "Columns, types and not-null exactly as the DeadCap model (no extra columns, one row per team).",
    ),
    Rule(
        "dead_cap",
        "dead_money_non_negative",
        ERROR,
        "dead_money_musd >= 0.",
        lambda df, ctx: df["dead_money_musd"] >= 0,
        evidence=("dead_money_musd",),
        observe=lambda df, ctx: f"smallest dead money ${df['dead_money_musd'].min():.2f}M (needs >= 0)",
    ),
    Rule(
        "dead_cap",
        "dead_within_allocations",
        ERROR,
        "dead_money_musd <= total_cap_allocations_musd.",
        lambda df, ctx: df["dead_money_musd"] <= df["total_cap_allocations_musd"],
        evidence=("dead_money_musd", "total_cap_allocations_musd"),
        observe=lambda df, ctx: (
            f"dead money at most {(df['dead_money_musd'] / df['total_cap_allocations_musd']).max():.0%} of a team's "
            f"allocations (needs <= 100%)"
        ),
    ),
    Rule(
        "dead_cap",
        "thirty_two_teams",
        ERROR,
        "32 unique teams, each with a code valid that season.",
        _thirty_two,
        explain=_thirty_two_explain,
        observe=_teams_seen,
    ),
    *_identity_rules("dead_cap"),
    Rule(
        "dead_cap",
        "amounts_in_millions",
        ERROR,
        "Units: amounts are millions of USD (median allocations near the league cap, median dead money a plausible "
        "share of it), not dollars or thousands.",
        _units,
        explain=_units_explain,
        observe=_units_seen,
    ),
    Rule(
        "dead_cap",
        "dead_money_not_degenerate",
        ERROR,
        f"Plausibility: dead money differs by team (at most {MAX_TEAMS_SHARING_DEAD_MONEY} teams on one value; all "
        f"zero is the dead-money twin of the 0.500 bug).",
        _dead_money_spread,
        explain=_dead_money_spread_explain,
        observe=lambda df, ctx: (
            f"at most {int(df['dead_money_musd'].round(2).value_counts().iloc[0])} of {len(df)} teams on one "
            f"dead-money value (limit {MAX_TEAMS_SHARING_DEAD_MONEY})"
        ),
    ),
    Rule(
        "dead_cap",
        "allocations_within_bounds",
        ERROR,
        f"Plausibility: every team's allocations between {ALLOCATION_BOUNDS[0]}x and {ALLOCATION_BOUNDS[1]}x the "
        f"league cap (real: 0.73x-1.19x).",
        lambda df, ctx: _allocation_ratio(df).between(*ALLOCATION_BOUNDS),
        evidence=("total_cap_allocations_musd", "league_salary_cap_musd"),
        explain=_allocations_explain(*ALLOCATION_BOUNDS),
        structural=False,
        observe=_allocations_seen(*ALLOCATION_BOUNDS),
    ),
    Rule(
        "dead_cap",
        "allocations_near_cap",
        WARN,
        f"Total cap allocations within {ALLOCATION_TOLERANCE:.0%} of the league salary cap (soft: Spotrac totals "
        f"include carry-over and pending deals).",
        lambda df, ctx: (_allocation_ratio(df) - 1).abs() <= ALLOCATION_TOLERANCE,
        evidence=("total_cap_allocations_musd", "league_salary_cap_musd"),
        explain=_allocations_explain(1 - ALLOCATION_TOLERANCE, 1 + ALLOCATION_TOLERANCE),
        structural=False,
        observe=_allocations_seen(1 - ALLOCATION_TOLERANCE, 1 + ALLOCATION_TOLERANCE),
    ),
    Rule(
        "dead_cap",
        "dead_cap_drift",
        ERROR,
        f"Drift: mean and spread of dead-cap % within {MAX_DEAD_CAP_PCT_MEAN_CHANGE} points per season of the "
        f"nearest other seasons, stored or shipped (real changes: at most 3.5).",
        _dead_cap_drift,
        explain=_dead_cap_drift_explain,
        structural=False,
        needs=("others",),
        observe=_dead_cap_drift_seen,
    ),
    # --- team_season_risk --------------------------------------------------------------------------------
    Rule(
        "team_season_risk",
        "standings_dead_cap_coverage",
        ERROR,
        "Every standings team has a dead-cap row and every dead-cap team a standings row.",
    ),
)


def rules_for(table: str, stage: str | None = None) -> list[Rule]:
    return [r for r in RULES if r.table == table and (stage is None or r.stage == stage)]


def rules_version(table: str) -> str:
    """The code_version of an asset gated by these rules: a short hash of each rule's name, severity,
    kind and guard (thresholds included), so the UI shows stored seasons as stale once a rule changes."""
    text = "\n".join(f"{r.name}|{r.severity}|{r.structural}|{r.stage}|{r.guards}" for r in rules_for(table))
    return "rules-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def rule_named(table: str, name: str) -> Rule:
    for r in rules_for(table):
        if r.name == name:
            return r
    raise KeyError(f"{table} has no rule {name!r}; its rules: {', '.join(r.name for r in rules_for(table))}")


@dataclass(frozen=True)
class Acceptance:
    """A person's written acceptance of a flagged non-structural rule for one season."""

    accepted_by: str
    reason: str
    run_id: str | None = None
    earlier: bool = False  # True: stored by an earlier run for the same content


@dataclass
class RuleResult:
    rule: Rule
    passed: bool
    failures: list[dict] = field(default_factory=list)  # failing rows or values, as records
    message: str = ""
    evaluated: bool = True  # False when an earlier failure (the schema) or missing context made the rule meaningless
    finding: Finding | None = None
    accepted: Acceptance | None = None
    observed: str = ""  # the rule's `observe`: the value it saw and its threshold

    @property
    def blocking(self) -> bool:
        return not self.passed and self.rule.severity == ERROR and self.accepted is None


@dataclass
class ValidationReport:
    table: str
    season: int
    results: list[RuleResult]
    source: str = ""
    source_ref: str = ""
    raw_path: str | None = None
    content_sha256: str | None = None

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        lines = []
        for r in self.failed():
            shown = "; ".join(_describe(f) for f in r.failures[:5])
            more = f" (+{len(r.failures) - 5} more)" if len(r.failures) > 5 else ""
            failing = f" Failing: {shown}{more}" if shown else ""
            accepted = f" Accepted by {r.accepted.accepted_by}: {r.accepted.reason}" if r.accepted else ""
            lines.append(
                f"[{r.rule.severity}] {self.table}.{r.rule.name} failed for season {self.season}: {r.rule.guards} "
                f"{r.message}{failing}{accepted}".strip()
            )
        return "\n".join(lines)


def _describe(record: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in record.items())
