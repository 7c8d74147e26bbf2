"""The second standings source: nflverse's games file, reconciled with Pro-Football-Reference.

The real games-file export (../shared/data/reference/nflverse_schedules_2016_2025.csv) and the real
PFR 2017 page are served by the local HTTP server at their real URL paths; every run is a real
`dg.materialize` against a DuckDB file that already holds good seasons.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from analytics_assets import teams
from analytics_assets.definitions import defs
from analytics_assets.defs.jobs import season_pipeline_job
from analytics_assets.ingestion import nflverse
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.ingestion.reconcile import reconcile
from analytics_assets.settings import from_environment
from analytics_tests.support.data import read_table, shared_file, table_hash
from analytics_tests.support.http_server import PFR_2017_PATH, Reply
from analytics_tests.support.runs import check_evaluations, materialize_seasons, step_failures

GAMES_PATH = "/nflverse/nfldata/master/data/games.csv"
RECORD = ["games", "wins", "losses", "ties", "points_for", "points_against"]
STORED = ["standings", "partition_versions"]


def games_csv() -> bytes:
    return shared_file("reference", "nflverse_schedules_2016_2025.csv").read_bytes()


def reference() -> pd.DataFrame:
    return pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))


def http_for(server, archive: Path, **overrides) -> HttpClientResource:
    config = dict(
        pfr_base_url=server.base_url,
        spotrac_base_url=server.base_url,
        nflverse_games_url=server.url(GAMES_PATH),
        min_interval_s=0.0,
        max_attempts=2,
        backoff_base_s=0.01,
        backoff_max_s=0.02,
        read_timeout_s=5.0,
        archive_dir=str(archive),
    )
    config.update(overrides)
    return from_environment(HttpClientResource, bind=False, **config)


@pytest.fixture
def server(page_server):
    page_server.serve(GAMES_PATH, games_csv())
    return page_server


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A DuckDB file already holding the embedded 2016-2018 standings."""
    path = tmp_path_factory.mktemp("seeded") / "analytics.duckdb"
    assert materialize_seasons(path, 2016, 2018, names=["standings"]).success
    return path


@pytest.fixture
def live(monkeypatch):
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")
    monkeypatch.delenv("ANALYTICS_STANDINGS_SOURCES", raising=False)


def stored(db: Path) -> dict:
    return {table: table_hash(db, table) for table in STORED}


def failure(result) -> str:
    assert not result.success
    return " ".join(step_failures(result).values())


def to_code_of_the_day(text: bytes) -> bytes:
    """The export writes modern codes for every season; nflverse's own file the code of the day."""
    games = pd.read_csv(io.BytesIO(text), dtype=str, keep_default_na=False)
    season = games["season"].astype(int)
    for side in ("away_team", "home_team"):
        games.loc[games[side] == "LAR", side] = "LA"
        games.loc[(games[side] == "LAC") & (season <= 2016), side] = "SD"
        games.loc[(games[side] == "LV") & (season <= 2019), side] = "OAK"
    return games.to_csv(index=False).encode()


# --- The parser, pure ----------------------------------------------------------------------


@pytest.mark.parametrize("codes", ["modern", "of the day"])
@pytest.mark.unit
def test_the_games_file_gives_the_reference_standings_for_every_team_season_2016_2025(codes):
    text = games_csv() if codes == "modern" else to_code_of_the_day(games_csv())
    games = nflverse.parse_games(text.decode(), 2016, "games.csv")
    ref = reference()
    matching = 0
    for season in range(2016, 2026):
        got = nflverse.season_standings(games, season)
        got["team"] = [teams.resolve(code, nflverse.CODE_SOURCE, season).team for code in got["team"]]
        expected = ref[ref["season"] == season].set_index("team")[RECORD].sort_index()
        matching += int((got.set_index("team")[RECORD].sort_index() == expected).all(axis=1).sum())
    assert matching == 320


@pytest.mark.unit
def test_unplayed_games_do_not_count_and_playoffs_are_left_out():
    games = nflverse.parse_games(games_csv().decode(), 2022, "games.csv")
    s2022 = nflverse.season_standings(games, 2022).set_index("team")
    # The cancelled BUF-CIN game has no score: both played 16.
    assert s2022.loc["BUF", "games"] == 16 and s2022.loc["CIN", "games"] == 16
    assert s2022["games"].sum() == 2 * 271


@pytest.mark.unit
def test_a_file_without_the_score_columns_is_a_layout_change_naming_them():
    from analytics_assets.ingestion.errors import LayoutChangedError

    with pytest.raises(LayoutChangedError, match="no column away_score, home_score"):
        nflverse.parse_games(
            "game_id,season,game_type,away_team,home_team\n1,2017,REG,NE,KC\n", 2017, "https://x/games.csv"
        )


# --- Reconciliation, pure ------------------------------------------------------------------


def _frame(records: dict[str, tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"team": t, **dict(zip(RECORD, r))} for t, r in records.items()])


@pytest.mark.unit
def test_reconcile_names_each_team_field_and_both_values():
    a = _frame({"NE": (16, 13, 3, 0, 458, 296), "KC": (16, 10, 6, 0, 415, 339)})
    b = _frame({"NE": (16, 12, 4, 0, 458, 296), "KC": (16, 10, 6, 0, 415, 339)})
    rec = reconcile(a, b, 2017, in_progress=False)
    assert not rec.passed and rec.agreed == ["KC"]
    assert rec.records() == [
        {"team": "NE", "field": "wins", "nflverse": 13, "pfr": 12},
        {"team": "NE", "field": "losses", "nflverse": 3, "pfr": 4},
    ]
    assert "NE wins: nflverse 13, pfr 12" in rec.refusal() and "disagree on 1 of 2 teams (NE)" in rec.refusal()


@pytest.mark.unit
def test_in_progress_one_source_may_be_one_consistent_game_ahead_never_more_or_contradicting():
    behind = _frame({"NE": (10, 7, 3, 0, 250, 200)})
    win_ahead = _frame({"NE": (11, 8, 3, 0, 277, 210)})
    assert reconcile(win_ahead, behind, 2026, in_progress=True).lagging == ["NE"]
    assert reconcile(behind, win_ahead, 2026, in_progress=True).passed
    # Completed seasons allow no lag at all.
    assert not reconcile(win_ahead, behind, 2025, in_progress=False).passed
    # A "win" that adds fewer points than it concedes contradicts itself.
    assert not reconcile(_frame({"NE": (11, 8, 3, 0, 251, 230)}), behind, 2026, in_progress=True).passed
    # Two games apart is more than a game week.
    assert not reconcile(_frame({"NE": (12, 9, 3, 0, 300, 220)}), behind, 2026, in_progress=True).passed
    # Same games, different record: a contradiction in a game both count.
    assert not reconcile(_frame({"NE": (10, 6, 4, 0, 250, 200)}), behind, 2026, in_progress=True).passed


# --- Real runs -----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.slow
def test_one_fetch_of_the_games_file_serves_2016_2025_and_equals_the_reference(db, tmp_path, server, live, monkeypatch):
    monkeypatch.setenv("ANALYTICS_STANDINGS_SOURCES", "nflverse")
    http = http_for(server, tmp_path / "archive")
    assert materialize_seasons(db, 2016, 2025, names=["standings"], http=http).success
    assert [s.path for s in server.requests()] == [GAMES_PATH]
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season BETWEEN 2016 AND 2025")
    merged = rows.merge(reference(), on=["season", "team"], suffixes=("", "_ref"), validate="one_to_one")
    matching = (merged[RECORD].values == merged[[f"{c}_ref" for c in RECORD]].values).all(axis=1)
    assert len(merged) == 320 and matching.sum() == 320
    # One season per run: the first run fetches the file, every later run replays it from the archive.
    assert rows.groupby("season")["source"].first().to_dict() == {
        2016: "live",
        **{s: "archive" for s in range(2017, 2026)},
    }
    assert set(rows["source_ref"]) == {server.url(GAMES_PATH)}
    assert set(rows["cross_check"]) == {"not cross-checked: ANALYTICS_STANDINGS_SOURCES names nflverse alone"}
    # Completed seasons whose file is archived: no request the second time.
    assert materialize_seasons(db, 2016, 2025, names=["standings"], http=http).success
    assert len(server.requests()) == 1
    assert set(read_table(db, "SELECT source FROM nfl.standings WHERE season = 2020")["source"]) == {"archive"}


@pytest.mark.integration
def test_2017_reconciles_32_of_32_with_the_real_pfr_page(db, tmp_path, server, live):
    result = materialize_seasons(db, 2017, names=["standings"], http=http_for(server, tmp_path / "archive"))
    assert result.success
    assert sorted(s.path for s in server.requests()) == sorted([GAMES_PATH, PFR_2017_PATH])
    checks = check_evaluations(result)
    assert checks[("standings", "sources_agree")] and checks[("standings", "sources_cross_checked")]
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017")
    assert len(rows) == 32 and set(rows["source_ref"]) == {server.url(GAMES_PATH)}
    (note,) = set(rows["cross_check"])
    assert note.startswith(f"cross-checked with pfr {server.url(PFR_2017_PATH)} (sha256 ") and note.endswith(
        "32 of 32 teams agree"
    )
    logged = read_table(db, "SELECT source, status FROM nfl.scrape_log ORDER BY source")
    assert logged.values.tolist() == [["nflverse", 200], ["pfr", 200]]


@pytest.mark.integration
def test_a_pfr_page_with_one_team_altered_is_refused_naming_the_team_and_both_values(db, tmp_path, server, live):
    html = server.pages[PFR_2017_PATH].decode()
    ne = re.compile(
        r'(New England Patriots</a>\*</th><td class="right " data-stat="wins" >)13(</td><td class="right " '
        r'data-stat="losses" >)3<'
    )
    assert len(ne.findall(html)) == 1
    server.serve(PFR_2017_PATH, ne.sub(r"\g<1>12\g<2>4<", html).encode())
    before = stored(db)
    result = materialize_seasons(
        db, 2017, names=["standings"], http=http_for(server, tmp_path / "archive"), raise_on_error=False
    )
    message = failure(result)
    assert "standings.sources_agree failed for season 2017" in message
    assert "NE wins: nflverse 13, pfr 12" in message and "NE losses: nflverse 3, pfr 4" in message
    assert "disagree on 1 of 32 teams (NE)" in message and "nothing stored changed" in message
    assert check_evaluations(result)[("standings", "sources_agree")] is False
    assert stored(db) == before


@pytest.mark.integration
def test_pfr_answering_403_stores_the_season_from_nflverse_with_the_skipped_cross_check_warning(
    db, tmp_path, server, live
):
    server.always_reply(PFR_2017_PATH, Reply(403, b"<html><body>Forbidden</body></html>"))
    result = materialize_seasons(db, 2017, names=["standings"], http=http_for(server, tmp_path / "archive"))
    assert result.success
    checks = check_evaluations(result)
    assert checks[("standings", "sources_cross_checked")] is False  # the WARN
    assert checks[("raw_pfr_season_page", "fetched")] is False
    assert len(server.requests(PFR_2017_PATH)) == 1  # 403 is never retried
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2017 ORDER BY team")
    assert len(rows) == 32 and set(rows["source_ref"]) == {server.url(GAMES_PATH)}
    (note,) = set(rows["cross_check"])
    assert note.startswith("not cross-checked: Pro-Football-Reference did not answer:") and "HTTP 403" in note
    warned = read_table(
        db, "SELECT passed, severity, detail FROM nfl.quality_results WHERE rule = 'sources_cross_checked'"
    )
    assert warned.values.tolist()[0][:2] == [False, "WARN"] and "HTTP 403" in warned["detail"].iloc[0]


@pytest.mark.integration
def test_both_sources_down_fails_the_season_naming_both_and_writes_nothing(db, tmp_path, server, live):
    server.always_reply(PFR_2017_PATH, Reply(403, b"<html><body>Forbidden</body></html>"))
    server.always_reply(GAMES_PATH, Reply(503, b"unavailable"))
    before = stored(db)
    message = failure(
        materialize_seasons(
            db, 2017, names=["standings"], http=http_for(server, tmp_path / "archive"), raise_on_error=False
        )
    )
    assert "No standings source answered for season 2017" in message
    assert "(1) nflverse games file:" in message and "last status: 503" in message
    assert "(2) Pro-Football-Reference:" in message and "HTTP 403" in message
    assert stored(db) == before


def mid_season_file(after_week: int) -> bytes:
    """The 2025 regular season relabelled as the season in progress (2026), later weeks not yet played."""
    games = pd.read_csv(io.BytesIO(games_csv()), dtype=str, keep_default_na=False)
    season = games[(games["season"] == "2025") & (games["game_type"] == "REG")].copy()
    season["season"] = "2026"
    season["game_id"] = season["game_id"].str.replace("2025_", "2026_", n=1)
    later = season["week"].astype(int) > after_week
    season.loc[later, ["away_score", "home_score", "result", "total"]] = ""
    return pd.concat([games, season]).to_csv(index=False).encode()


@pytest.mark.integration
def test_a_mid_season_file_gives_partial_standings_for_the_season_in_progress_that_pass_the_gates(
    db, tmp_path, server, live
):
    server.serve(GAMES_PATH, mid_season_file(after_week=11))
    result = materialize_seasons(db, 2026, names=["standings"], http=http_for(server, tmp_path / "archive"))
    assert result.success
    checks = check_evaluations(result)
    assert all(
        passed
        for (asset, rule), passed in checks.items()
        if asset == "standings" and rule not in ("sources_cross_checked", "scraper_slo")
    )
    # PFR has no 2026 page here (404): a failed scrape attempt, which the scraper SLO counts (WARN).
    assert checks[("standings", "scraper_slo")] is False
    rows = read_table(db, "SELECT * FROM nfl.standings WHERE season = 2026")
    assert len(rows) == 32 and rows["games"].between(9, 11).all() and rows["games"].max() == 11
    assert rows["wins"].sum() + rows["ties"].sum() / 2 == rows["games"].sum() / 2
    # PFR has no 2026 page on this server: served by nflverse alone, the skip said.
    assert set(rows["cross_check"]) == {
        f"not cross-checked: Pro-Football-Reference did not answer: Pro-Football-Reference has no page for season "
        f"2026: GET {server.base_url}/years/2026/index.htm returned HTTP 404; that status is not retried"
    }
    # The season in progress is fetched again by the next run (the daily refresh).
    assert materialize_seasons(db, 2026, names=["standings"], http=http_for(server, tmp_path / "archive")).success
    assert len(server.requests(GAMES_PATH)) == 2


@pytest.mark.integration
def test_embedded_seasons_skip_the_raw_steps_with_no_request_and_no_failure(db, tmp_path, server, monkeypatch):
    monkeypatch.setenv("ANALYTICS_SOURCE", "auto")
    result = materialize_seasons(db, 2017, http=http_for(server, tmp_path / "archive"))
    assert result.success and server.requests() == []
    checks = check_evaluations(result)
    assert (
        checks[("raw_nflverse_games", "fetched")]
        and checks[("raw_pfr_season_page", "fetched")]
        and checks[("raw_spotrac_cap_page", "fetched")]
    )
    outcomes = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata["outcome"].value
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.to_user_string().startswith("raw_")
    }
    # Declared not needed: the raw asset is reported for the season, saying why no page was fetched.
    assert all("not needed: embedded" in text for text in outcomes.values()) and len(outcomes) == 3
    assert read_table(
        db, "SELECT DISTINCT source, cross_check FROM nfl.standings WHERE season = 2017"
    ).values.tolist() == [["embedded", None]]


@pytest.mark.unit
def test_the_daily_refresh_fetches_both_standings_sources_and_spotrac():
    graph = defs.resolve_asset_graph()
    selected = {k.to_user_string() for k in season_pipeline_job.selection.resolve(graph)}
    assert {"standings", "dead_cap"} <= selected
    fetches = {
        k.asset_key.to_user_string() for k in season_pipeline_job.selection.resolve_checks(graph) if k.name == "fetched"
    }
    assert fetches == {"raw_nflverse_games", "raw_pfr_season_page", "raw_spotrac_cap_page"}
    job = defs.resolve_job_def("season_pipeline")
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools == {
        "fetch_nflverse": "nflverse",
        "fetch_pfr": "pfr",
        "fetch_spotrac": "spotrac",
        "standings": "duckdb",
        "dead_cap": "duckdb",
        "team_season_risk": "duckdb",
    }
