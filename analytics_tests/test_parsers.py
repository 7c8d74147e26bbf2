"""The parsers are pure functions: saved pages in, rows out, no network."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from analytics_assets.ingestion import pfr, spotrac
from analytics_assets.ingestion.errors import LayoutChangedError
from analytics_assets.ingestion.html_tables import parse_page
from analytics_assets.ingestion.normalize import Provenance, dead_cap_rows, standings_rows
from analytics_tests.support.data import shared_file
from analytics_tests.support.http_server import pfr_2017_page, spotrac_2024_page

pytestmark = pytest.mark.unit

PFR_URL = "https://www.pro-football-reference.com/years/2017/index.htm"
SPOTRAC_URL = "https://www.spotrac.com/nfl/cap/2024/"
PROVENANCE = Provenance("live", PFR_URL, "0" * 64, datetime(2026, 1, 1, tzinfo=UTC))
STANDINGS_COLS = [
    "team",
    "franchise",
    "conference",
    "division",
    "games",
    "wins",
    "losses",
    "ties",
    "points_for",
    "points_against",
]


@pytest.fixture(scope="module")
def pfr_html() -> str:
    return pfr_2017_page().decode("utf-8")


@pytest.fixture(scope="module")
def spotrac_html() -> str:
    return spotrac_2024_page().decode("utf-8")


def _table_span(html: str, table_id: str) -> tuple[int, int]:
    start = html.index(f'<table class="sortable stats_table" id="{table_id}"')
    return start, html.index("</table>", start) + len("</table>")


def _reference_standings(season: int) -> pd.DataFrame:
    ref = pd.read_csv(shared_file("reference", "nfl_standings_2011_2025.csv"))
    return ref[ref["season"] == season][STANDINGS_COLS].sort_values("team").reset_index(drop=True)


def _stored_form(raw: pd.DataFrame, season: int) -> pd.DataFrame:
    return standings_rows(raw, season, pfr.CODE_SOURCE, PROVENANCE)[STANDINGS_COLS]


def test_pfr_2017_parses_to_the_reference_standings_32_of_32(pfr_html):
    raw = pfr.parse_standings(pfr_html, 2017, PFR_URL)
    assert len(raw) == 32
    assert not raw["team"].str.contains(r"[*+]").any()  # division-winner and wild-card markers stripped
    assert not raw["team"].str.fullmatch(r"(AFC|NFC) (East|North|South|West)").any()  # division rows skipped
    parsed, reference = _stored_form(raw, 2017), _reference_standings(2017)
    matching = (parsed.astype(str) == reference.astype(str)).all(axis=1)
    assert matching.sum() == 32, parsed[~matching]
    pd.testing.assert_frame_equal(parsed, reference.astype(parsed.dtypes.to_dict()))


def test_pfr_tables_inside_html_comments_parse_the_same(pfr_html):
    html = pfr_html
    for table_id in ("AFC", "NFC"):
        start, end = _table_span(html, table_id)
        html = html[:start] + "<!--\n" + html[start:end] + "\n-->" + html[end:]
    page = parse_page(html)
    assert [t.commented for t in page.tables_with_id("AFC")] == [True]  # only a commented copy is left
    commented = pfr.parse_standings(html, 2017, PFR_URL)
    pd.testing.assert_frame_equal(commented, pfr.parse_standings(pfr_html, 2017, PFR_URL))


def test_pfr_page_holding_live_and_commented_copies_counts_each_team_once(pfr_html):
    start, end = _table_span(pfr_html, "AFC")
    html = pfr_html + "<!--\n" + pfr_html[start:end] + "\n-->"
    both = pfr.parse_standings(html, 2017, PFR_URL)
    assert len(both) == 32 and both["team"].is_unique


def _with_ties_column(html: str, ties: dict[str, int]) -> str:
    """The 2017 tables as PFR prints a tie season: a T column after L."""
    html = html.replace(
        '<th aria-label="Losses" data-stat="losses" scope="col" class=" poptip center" data-tip="Games Lost" >L</th>',
        '<th aria-label="Losses" data-stat="losses" scope="col" class=" poptip center" data-tip="Games Lost" >L</th>'
        '<th aria-label="Ties" data-stat="ties" scope="col" class=" poptip center" data-tip="Games Tied" >T</th>',
    )

    def add_tie(match: re.Match) -> str:
        row = match.group(0)
        team = re.search(r'data-stat="team"[^>]*><a [^>]*>([^<]+)</a>', row)
        if team is None or 'data-stat="win_loss_perc"' not in row:
            return row  # rows of other tables
        n = ties.get(team.group(1), 0)
        return row.replace(
            '<td class="right " data-stat="win_loss_perc"',
            f'<td class="right " data-stat="ties" >{n}</td><td class="right " data-stat="win_loss_perc"',
        )

    return re.sub(r"<tr ><th scope=\"row\".*?</tr>", add_tie, html, flags=re.S)


def test_pfr_tie_season_reads_the_t_column(pfr_html):
    html = _with_ties_column(pfr_html, {"Pittsburgh Steelers": 1, "Cleveland Browns": 1})
    raw = pfr.parse_standings(html, 2017, PFR_URL).set_index("team")
    assert raw.loc["Pittsburgh Steelers", "ties"] == 1 and raw.loc["Cleveland Browns", "ties"] == 1
    assert raw["ties"].sum() == 2
    assert raw.loc["Pittsburgh Steelers", "wins"] == 13  # the columns after T are still read by name


def test_pfr_page_without_the_afc_table_is_a_layout_change(pfr_html):
    start, end = _table_span(pfr_html, "AFC")
    with pytest.raises(LayoutChangedError) as caught:
        pfr.parse_standings(pfr_html[:start] + pfr_html[end:], 2017, PFR_URL)
    message = str(caught.value)
    assert "season 2017" in message and PFR_URL in message and 'id="AFC"' in message


def test_pfr_missing_column_is_a_layout_change(pfr_html):
    html = re.sub(r'<th aria-label="Points Allowed"[^>]*>PA</th>', "", pfr_html)
    html = re.sub(r'<td class="right " data-stat="points_opp" >\d+</td>', "", html)
    with pytest.raises(LayoutChangedError, match=r"PA \(points_opp\)"):
        pfr.parse_standings(html, 2017, PFR_URL)


def test_pfr_fewer_than_32_teams_is_a_layout_change(pfr_html):
    start, end = _table_span(pfr_html, "NFC")
    nfc = pfr_html[start:end]
    west = nfc.index("NFC West</td></tr>")
    cut = nfc[:west] + "</tbody></table>"
    with pytest.raises(LayoutChangedError) as caught:
        pfr.parse_standings(pfr_html[:start] + cut + pfr_html[end:], 2017, PFR_URL)
    assert "16 in the AFC table and 12 in the NFC table" in str(caught.value)
    assert "16 teams in each" in str(caught.value)


def test_spotrac_2024_parses_to_the_reference_dead_money(spotrac_html):
    page = spotrac.parse_dead_cap(spotrac_html, 2024, SPOTRAC_URL)
    assert len(page.rows) == 32 and page.rows["team"].is_unique
    assert not page.rows["team"].str.lower().isin(["totals", "averages"]).any()
    assert page.cap_maximum_musd == pytest.approx(255.4)
    reference = pd.read_csv(shared_file("reference", "nfl_team_dead_money_2011_2025.csv"))
    reference = reference[reference["season"] == 2024]
    rows = dead_cap_rows(page.rows, 2024, spotrac.CODE_SOURCE, 255.4, PROVENANCE)
    merged = rows.merge(reference, on=["season", "franchise"], suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == 32
    assert (merged["dead_money_musd"] - merged["dead_money_musd_ref"]).abs().max() < 0.05
    # Full dollars to millions: San Francisco's "$30,442,060" is 30.44206.
    assert rows.set_index("team").loc["SF", "dead_money_musd"] == pytest.approx(30.44206)


def test_spotrac_parses_from_the_cap_figures_on_and_reads_what_the_whole_page_holds(spotrac_html):
    region = spotrac._from_cap_figures(spotrac_html)
    assert len(region) < len(spotrac_html) / 2 and region.startswith("<div") and 'id="cap_maximum"' in region
    whole = parse_page(spotrac_html, capture_ids=(spotrac.CAP_MAXIMUM_ID,))
    part = parse_page(region, capture_ids=(spotrac.CAP_MAXIMUM_ID,))
    assert part.captured == whole.captured
    assert [[r.texts() for r in t.rows] for t in part.tables] == [[r.texts() for r in t.rows] for t in whole.tables]
    # A start inside a comment or a script is not cut there: the whole page is parsed.
    at = spotrac_html.index('<div id="cap_maximum"')
    for opener in ("<!-- ", "<script>var x = '"):
        html = spotrac_html[:at] + opener + spotrac_html[at:]
        assert spotrac._from_cap_figures(html) == html


def test_spotrac_page_without_a_dead_cap_column_is_a_layout_change(spotrac_html):
    html = re.sub(
        r'<span class="info">Dead</span>\s*<span class="info2">Cap</span>', "<span>Other</span>", spotrac_html
    )
    with pytest.raises(LayoutChangedError) as caught:
        spotrac.parse_dead_cap(html, 2024, SPOTRAC_URL)
    assert "Dead Cap" in str(caught.value) and "season 2024" in str(caught.value) and SPOTRAC_URL in str(caught.value)


def test_spotrac_page_missing_teams_is_a_layout_change(spotrac_html):
    start = spotrac_html.index("<tbody>")
    first_rows_end = [m.end() for m in re.finditer(r"</tr>", spotrac_html[start:])][9] + start
    html = spotrac_html[:first_rows_end] + "</tbody></table></body></html>"
    with pytest.raises(LayoutChangedError, match=r"32 team rows .*found 10 rows"):
        spotrac.parse_dead_cap(html, 2024, SPOTRAC_URL)


@pytest.mark.parametrize(
    ("text", "value"),
    [("$30,442,060", 30442060.0), ("$0", 0.0), ("-$1,250", -1250.0), ("$-1,250", -1250.0), ("1234.5", 1234.5)],
)
def test_dollar_strings(text, value):
    assert spotrac.dollars(text) == value


@pytest.mark.parametrize("text", ["", "-", "$1,2", "n/a", "$1,000,00"])
def test_non_dollar_strings_are_refused(text):
    with pytest.raises(ValueError):
        spotrac.dollars(text)
