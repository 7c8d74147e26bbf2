"""Gates of meaning in real runs: inputs of the right shape and the wrong meaning, built from the
real saved pages and reference files, are refused before anything is written.

Each test runs a real materialization against a DuckDB file already holding good seasons and
asserts that the run fails naming the season, the rule, what was expected and what was seen,
that an incident was recorded, and that the stored rows are byte-identical afterwards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from analytics_assets.ingestion.core_tables import build_season, season_context
from analytics_assets.ingestion.manual_import import LandingFile, sha256_of
from analytics_assets.quality import rules
from analytics_assets.quality.catalog import RULES
from analytics_tests.conftest import materialize_seasons, read_table, resources_for, season_assets, shared_file, step_failures, table_hash
from analytics_tests.http_server import PFR_2017_PATH, SPOTRAC_2024_PATH, Reply, page_server  # noqa: F401
from analytics_tests.test_live_ingestion import http_for
from analytics_tests.test_manual_import import landing, pfr_export, spotrac_dead_cap  # noqa: F401 (fixture)

STORED = ["standings", "dead_cap", "partition_versions", "team_season_risk"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """Good seasons already stored: standings 2016-2018, dead cap 2023-2025 (and their risk rows where both exist)."""
    path = tmp_path_factory.mktemp("meaning") / "analytics.duckdb"
    assert materialize_seasons(path, 2016, 2018, names=["standings"]).success
    assert materialize_seasons(path, 2023, 2025, names=["dead_cap"]).success
    return path


@pytest.fixture
def live(monkeypatch):
    monkeypatch.setenv("ANALYTICS_SOURCE", "live")


def stored(db: Path) -> dict:
    return {t: table_hash(db, t) for t in STORED}


def refused(result, table: str, rule: str, season: int) -> str:
    assert not result.success
    message = step_failures(result)[table]
    assert f"{table}.{rule} failed for season {season}" in message, message
    assert "Expected" in message and "seen" in message
    assert "nothing was written" in message
    return message


def incident(db: Path, table: str, rule: str, season: int) -> dict:
    rows = read_table(
        db, "SELECT * FROM nfl.incidents WHERE table_name = ? AND rule = ? AND season = ? ORDER BY incident_at DESC",
        [table, rule, season],
    )
    assert len(rows) >= 1, f"no incident recorded for {table}.{rule} {season}"
    return rows.iloc[0].to_dict()


def landing_run(db: Path, landing: Path, table: str, season: int, body: str, run_config: dict | None = None):
    path = landing / f"{table}_{season}.csv"
    path.write_text(body)
    return dg.materialize(
        season_assets([table]),
        partition_key=str(season),
        tags=LandingFile(path, table, season, sha256_of(path)).tags(),
        resources=resources_for(db),
        run_config=run_config,
        raise_on_error=False,
    )


def spotrac_rows(html: str, change) -> str:
    """Rewrite each team row's dollar amounts of the real Spotrac page with `change(team, amount) -> amount`."""
    pieces = html.split("<tr")
    for i, piece in enumerate(pieces):
        team = re.search(r'<span class="d-none">([A-Z]{2,3})</span>', piece)
        if team:
            code = team.group(1)
            pieces[i] = re.sub(r"\$([\d,]+)", lambda m, code=code: change(code, m), piece)
    return "<tr".join(pieces)


# --- Identity --------------------------------------------------------------------------------------------

def test_pfr_page_of_another_season_is_refused(db, tmp_path, page_server, live):
    """A stale cache answers the 2018 URL with the real 2017 page."""
    page_server.serve("/years/2018/index.htm", page_server.pages[PFR_2017_PATH])
    before = stored(db)
    result = materialize_seasons(db, 2018, names=["standings"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "standings", "page_season", 2018)
    assert "a page for season 2018" in message and "states season 2017" in message and "2017 NFL Standings" in message
    assert stored(db) == before
    record = incident(db, "standings", "page_season", 2018)
    assert record["outcome"] == "refused" and record["source_ref"] == page_server.url("/years/2018/index.htm")
    assert "season 2017" in record["seen"] and Path(record["raw_path"]).exists()


def test_a_redirect_to_another_seasons_page_is_refused_and_not_followed(db, tmp_path, page_server, live):
    page_server.always_reply("/years/2018/index.htm", Reply(status=302, body=b"", headers={"Location": PFR_2017_PATH}))
    before = stored(db)
    http = http_for(page_server, tmp_path / "archive")
    result = materialize_seasons(db, 2018, names=["standings"], http=http, raise_on_error=False)
    message = refused(result, "standings", "no_redirect", 2018)
    assert f"a redirect to {page_server.url(PFR_2017_PATH)}" in message
    assert "page_season" not in step_failures(result)["standings"].split("Quality gate failed")[1].split("\n", 1)[0]
    assert [r.path for r in page_server.requests()] == ["/years/2018/index.htm"]  # the target was never requested
    assert stored(db) == before
    assert incident(db, "standings", "no_redirect", 2018)["outcome"] == "refused"
    # Once the site answers properly the season is fetched again, with no force flag.
    page_server.always.pop("/years/2018/index.htm")
    page_server.serve("/years/2018/index.htm", page_server.pages[PFR_2017_PATH].replace(b"2017", b"2018"))
    materialize_seasons(db, 2018, names=["standings"], http=http, raise_on_error=False)
    assert [r.path for r in page_server.requests()] == ["/years/2018/index.htm"] * 2


def test_spotrac_page_of_another_season_is_refused_by_its_title_and_cap(db, tmp_path, page_server, live):
    page_server.serve("/nfl/cap/2025/", page_server.pages[SPOTRAC_2024_PATH])
    before = stored(db)
    result = materialize_seasons(db, 2025, names=["dead_cap"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "dead_cap", "page_season", 2025)
    assert "states season 2024" in message and "the cap of 2024" in message
    assert stored(db) == before


def test_landing_file_holding_another_seasons_rows_is_refused_naming_both(db, landing):
    """standings_2018.csv with no season column, holding 2017's records."""
    before = stored(db)
    result = landing_run(db, landing, "standings", 2018, pfr_export(2017))
    message = refused(result, "standings", "distinct_from_other_seasons", 2018)
    assert "32 of 32 teams" in message and "season 2017's" in message and "delivered as 2018" in message
    assert stored(db) == before
    assert incident(db, "standings", "distinct_from_other_seasons", 2018)["source"] == "manual"


# --- Plausibility ----------------------------------------------------------------------------------------

def test_wins_and_losses_exchanged_on_the_pfr_page_are_refused(db, tmp_path, page_server, live):
    page = page_server.pages[PFR_2017_PATH].decode()
    swapped = page.replace('data-stat="wins"', "data-stat=\"__w\"").replace('data-stat="losses"', 'data-stat="wins"').replace("data-stat=\"__w\"", 'data-stat="losses"')
    page_server.serve(PFR_2017_PATH, swapped.encode())
    db_path = db  # 2017 is stored from the embedded facts; the live page would replace it
    before = stored(db_path)
    result = materialize_seasons(db_path, 2017, names=["standings"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "standings", "record_agrees_with_points", 2017)
    assert "Spearman correlation -0.9" in message
    assert "CLE 16-0-0 with points 234-410" in message  # the 0-16 Browns shown as unbeaten
    assert stored(db_path) == before
    evidence = incident(db_path, "standings", "record_agrees_with_points", 2017)
    assert "expected" in evidence and "win_pct rising with point differential" in evidence["expected"]


def test_every_dead_money_zero_is_refused(db, tmp_path, page_server, live):
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    page = page_server.pages[SPOTRAC_2024_PATH].decode()
    dead = {r.team: r.dead_money_musd for r in reference[reference["season"] == 2024].itertuples()}

    def zero_dead(team, match):
        amount = int(match.group(1).replace(",", "")) / 1e6
        return "$0" if abs(amount - dead.get(team, -1)) < 0.05 else match.group(0)

    page_server.serve(SPOTRAC_2024_PATH, spotrac_rows(page, zero_dead).encode())
    before = stored(db)
    result = materialize_seasons(db, 2024, names=["dead_cap"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "dead_cap", "dead_money_not_degenerate", 2024)
    assert "32 of 32 teams at $0.00M" in message
    assert stored(db) == before


def test_allocations_far_above_the_cap_are_refused_naming_the_team_and_ratio(db, tmp_path, page_server, live):
    """TB's 2024 cap allocations on the real Spotrac page raised from $244.5M to $408.6M: 160% of the
    $255.4M cap, beyond the 150% no real team came near (the highest: KC 2012, 119%)."""
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    allocations = reference.set_index(["season", "team"]).loc[(2024, "TB"), "total_cap_allocations_musd"]
    page = page_server.pages[SPOTRAC_2024_PATH].decode()

    def inflate_tb(team, match):
        amount = int(match.group(1).replace(",", "")) / 1e6
        return "$408,640,000" if team == "TB" and abs(amount - allocations) < 0.005 else match.group(0)

    inflated = spotrac_rows(page, inflate_tb)
    assert inflated.count("$408,640,000") == 1
    page_server.serve(SPOTRAC_2024_PATH, inflated.encode())
    before = stored(db)
    result = materialize_seasons(db, 2024, names=["dead_cap"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "dead_cap", "allocations_within_bounds", 2024)
    assert "every team's allocations 50%-150% of the league cap" in message
    assert "TB allocations 160% of the cap ($408.6M of $255.4M)" in message
    assert stored(db) == before
    record = incident(db, "dead_cap", "allocations_within_bounds", 2024)
    assert record["outcome"] == "refused" and record["severity"] == "ERROR"
    assert record["expected"] == "every team's allocations 50%-150% of the league cap"
    assert record["seen"] == "TB allocations 160% of the cap ($408.6M of $255.4M)"
    assert record["source_ref"] == page_server.url(SPOTRAC_2024_PATH) and Path(record["raw_path"]).exists()
    assert [row["team"] for row in json.loads(record["evidence"])] == ["TB"]
    # A plausibility rule: a person could accept it with a reason (break glass); the error says how.
    assert "accept allocations_within_bounds" in message


def test_spotrac_amounts_in_thousands_are_refused_naming_the_unit(db, tmp_path, page_server, live):
    page = page_server.pages[SPOTRAC_2024_PATH].decode()
    thousands = spotrac_rows(page, lambda team, m: f"${int(m.group(1).replace(',', '')) // 1000:,}")
    page_server.serve(SPOTRAC_2024_PATH, thousands.encode())
    before = stored(db)
    result = materialize_seasons(db, 2024, names=["dead_cap"], http=http_for(page_server, tmp_path / "archive"), raise_on_error=False)
    message = refused(result, "dead_cap", "amounts_in_millions", 2024)
    assert "allocations look like amounts 1,000 times too small" in message
    assert stored(db) == before


def test_landing_dead_cap_in_dollars_is_refused_before_any_risk_row(db, landing):
    body = pd.read_csv(pd.io.common.StringIO(spotrac_dead_cap(2024)))
    body[["dead_money_musd", "total_cap_allocations_musd"]] = (body[["dead_money_musd", "total_cap_allocations_musd"]] * 1e6).round(0).astype("int64")
    before = stored(db)
    result = landing_run(db, landing, "dead_cap", 2024, body.to_csv(index=False))
    message = refused(result, "dead_cap", "amounts_in_millions", 2024)
    assert "allocations look like dollars (not millions)" in message and "dead money looks like dollars" in message
    assert stored(db) == before
    assert read_table(db, "SELECT max(dead_cap_pct) AS m FROM nfl.team_season_risk")["m"].fillna(0).item() < 100


# --- Drift and break glass ---------------------------------------------------------------------------------

def drifted_2024() -> str:
    body = pd.read_csv(pd.io.common.StringIO(spotrac_dead_cap(2024)))
    body["dead_money_musd"] = (body["dead_money_musd"] * 1.8).round(2)  # still within allocations, in millions
    return body.to_csv(index=False)


def test_a_jump_far_outside_history_is_refused(db, landing):
    before = stored(db)
    result = landing_run(db, landing, "dead_cap", 2024, drifted_2024())
    message = refused(result, "dead_cap", "dead_cap_drift", 2024)
    assert "mean dead-cap % 34.33 against 17.18 in 2023" in message and "allowed 7.0" in message
    assert "can accept dead_cap_drift with a reason" in message
    assert stored(db) == before


def test_break_glass_accepts_a_named_rule_with_a_reason_and_keeps_the_record(db, landing):
    override = {"ops": {"dead_cap": {"config": {
        "accept_rules": ["dead_cap_drift"], "reason": "League-wide restructures after the new CBA", "accepted_by": "analyst@example.com",
    }}}}
    result = landing_run(db, landing, "dead_cap", 2024, drifted_2024(), run_config=override)
    assert result.success
    accepted = read_table(db, "SELECT * FROM nfl.gate_acceptances WHERE season = 2024")
    assert accepted[["table_name", "rule", "accepted_by", "reason"]].values.tolist() == [
        ["dead_cap", "dead_cap_drift", "analyst@example.com", "League-wide restructures after the new CBA"]
    ]
    assert "mean dead-cap % 34.33" in accepted["seen"].item()
    assert incident(db, "dead_cap", "dead_cap_drift", 2024)["outcome"] == "accepted"
    stored_mean = read_table(db, "SELECT avg(dead_money_musd) AS m FROM nfl.dead_cap WHERE season = 2024")["m"].item()
    assert stored_mean > 80
    checks = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert not checks["dead_cap_drift"].passed and checks["dead_cap_drift"].severity == dg.AssetCheckSeverity.WARN
    assert "analyst@example.com" in checks["dead_cap_drift"].metadata["accepted"].value


def test_break_glass_never_opens_a_structural_rule(db, landing):
    before = stored(db)
    override = {"ops": {"dead_cap": {"config": {"accept_rules": ["amounts_in_millions"], "reason": "trust me", "accepted_by": "someone"}}}}
    result = landing_run(db, landing, "dead_cap", 2024, spotrac_dead_cap(2024), run_config=override)
    assert not result.success
    assert "amounts_in_millions are structural and can never be accepted" in step_failures(result)["dead_cap"]
    no_reason = {"ops": {"dead_cap": {"config": {"accept_rules": ["dead_cap_drift"]}}}}
    result = landing_run(db, landing, "dead_cap", 2024, spotrac_dead_cap(2024), run_config=no_reason)
    assert "needs a written reason and accepted_by" in step_failures(result)["dead_cap"]
    assert stored(db) == before


# --- Real history passes every rule ---------------------------------------------------------------------------

def test_every_real_season_2011_2025_passes_every_rule_of_meaning():
    for table in ("standings", "dead_cap"):
        frames = {season: build_season(table, season)[0] for season in range(2011, 2026)}
        empty = frames[2011].iloc[0:0]
        for season, frame in frames.items():
            ctx = season_context(table, season, empty, frames)
            report = rules.validate(table, frame, season, True, ctx)
            failed = {r.rule.name for r in report.failed()}
            known = {"allocations_near_cap"} if (table, season) == ("dead_cap", 2011) else set()  # TB 2011: 0.73x, a WARN
            assert failed == known, report.summary()
            ran = {r.rule.name for r in report.results if r.evaluated}
            assert {"distinct_from_other_seasons", "points_drift" if table == "standings" else "dead_cap_drift"} <= ran


def test_every_rule_is_declared_once_with_its_guard_and_severity():
    names = [(r.table, r.name) for r in RULES]
    assert len(names) == len(set(names))
    for r in RULES:
        assert r.severity in ("ERROR", "WARN") and r.guards.endswith(".")
        assert r.check is not None or r.name in ("schema", "standings_dead_cap_coverage")
    assert json.dumps([r.name for r in RULES])  # names are plain strings


def partial_standings(season_of_games: int, last_week: int) -> str:
    """Standings after `last_week` of a real season's games (nflverse games-file layout), as a landing CSV."""
    games = pd.read_csv(shared_file("reference", "nflverse_schedules_2016_2025.csv"))
    games = games[(games["season"] == season_of_games) & (games["game_type"] == "REG") & (games["week"] <= last_week) & games["home_score"].notna()]
    home = pd.DataFrame({"team": games["home_team"], "pf": games["home_score"], "pa": games["away_score"]})
    away = pd.DataFrame({"team": games["away_team"], "pf": games["away_score"], "pa": games["home_score"]})
    lines = pd.concat([home, away])
    lines = lines.assign(wins=lines["pf"] > lines["pa"], losses=lines["pf"] < lines["pa"], ties=lines["pf"] == lines["pa"])
    table = lines.groupby("team").agg(wins=("wins", "sum"), losses=("losses", "sum"), ties=("ties", "sum"), points_for=("pf", "sum"), points_against=("pa", "sum"))
    table = table.astype("int64").reset_index().replace({"team": {"LAR": "LA"}})
    return table.to_csv(index=False)


def test_a_stale_copy_of_the_season_in_progress_is_refused(db, landing):
    """2026 in progress (2025's games stand in): stored after week 6, then a copy from week 4 arrives."""
    assert landing_run(db, landing, "standings", 2026, partial_standings(2025, 6)).success
    before = stored(db)
    result = landing_run(db, landing, "standings", 2026, partial_standings(2025, 4))
    message = refused(result, "standings", "season_progress", 2026)
    assert "at least the 186 team-games already stored" in message and "seen 128 team-games" in message
    assert stored(db) == before


def test_the_report_shows_an_acceptance_beside_its_season_and_the_recent_incidents(db, landing, tmp_path):
    from analytics_tests.outputs_support import materialize_outputs

    assert materialize_seasons(db, 2023, 2024, names=["standings"]).success
    assert not landing_run(db, landing, "dead_cap", 2024, drifted_2024()).success  # refused first: an incident
    override = {"ops": {"dead_cap": {"config": {
        "accept_rules": ["dead_cap_drift"], "reason": "Checked <against> the filings", "accepted_by": "analyst@example.com",
    }}}}
    assert landing_run(db, landing, "dead_cap", 2024, drifted_2024(), run_config=override).success
    assert materialize_seasons(db, 2023, 2024, names=["team_season_risk"]).success
    out = tmp_path / "reports"
    materialize_outputs(db, out)
    html = (out / "risk_report.html").read_text()
    acceptances = html[html.index('id="acceptance-table"'):]
    acceptances = acceptances[: acceptances.index("</table>")]
    assert "dead_cap_drift" in acceptances and "analyst@example.com" in acceptances
    assert "Checked &lt;against&gt; the filings" in acceptances  # escaped, never raw markup
    provenance_2024 = [row for row in html.split("<tr>") if "<td data-sort=\"2024\"" in row and ">dead_cap<" in row]
    assert any("dead_cap_drift by analyst@example.com" in row for row in provenance_2024)
    incidents = re.sub(r'<span class="nb">([^<]*)</span>', r"\1", html[html.index('id="incident-table"'):])  # hyphenated words kept whole
    assert ">refused<" in incidents and ">accepted<" in incidents and "mean dead-cap % 34.33" in incidents
    assert "accepted by analyst@example.com" in (out / "risk_report.md").read_text()
    quality_row = next(row for row in html[html.index('id="quality-table"'):].split("<tr>") if "<code>dead_cap_drift</code>" in row)
    assert 'class="status-accepted">accepted<' in quality_row and "ACCEPTED by analyst@example.com" in quality_row


def test_points_far_outside_history_are_refused_as_drift(db, landing):
    """2017's real records with every score doubled (a feed counting both halves twice): the shape is fine."""
    reference = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    body = reference[reference["season"] == 2017][["team", "wins", "losses", "ties", "points_for", "points_against"]].copy()
    body[["points_for", "points_against"]] *= 2
    before = stored(db)
    result = landing_run(db, landing, "standings", 2019, body.to_csv(index=False))
    assert not result.success
    message = step_failures(result)["standings"]
    assert "standings.points_drift failed for season 2019" in message and "points per team-game 43.44 against" in message
    assert stored(db) == before
