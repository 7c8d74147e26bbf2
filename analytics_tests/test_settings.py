"""The one settings model: typed resource fields, each with its default and its environment variable."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from analytics_assets import settings
from analytics_assets.definitions import code_location
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.settings import AnalyticsSettings, from_environment
from analytics_tests.support.data import REPO
from analytics_tests.support.settings import setting_variables


@pytest.mark.unit
def test_every_variable_sets_exactly_one_field_and_is_documented():
    variables = setting_variables()
    assert len(variables) == 16  # each declared once: a repeat would collapse here
    configuration = (REPO / "docs" / "using.md").read_text()  # the Configuration section
    undocumented = [var for var in variables if f"`{var}`" not in configuration]
    assert not undocumented, f"docs/using.md does not document {undocumented}"
    # And no code reads the environment behind the resources' back.
    code = "\n".join(p.read_text() for p in (REPO / "analytics_assets").rglob("*.py"))
    stray = set(re.findall(r"os\.environ(?:\.get)?[\[(]\"([A-Z_]+)\"", code)) - {"DAGSTER_HOME"}
    assert not stray, stray


@pytest.mark.unit
def test_the_code_location_binds_set_variables_as_env_vars_and_keeps_defaults_for_the_rest(monkeypatch, tmp_path):
    for var in setting_variables():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("ANALYTICS_HTTP_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("ANALYTICS_HTTP_MIN_INTERVAL_S", "4.5")
    resources = code_location().resources
    assert (
        isinstance(resources["duckdb"].database, dg.EnvVar)
        and resources["duckdb"].database.env_var_name == "ANALYTICS_DUCKDB_PATH"
    )
    http = resources["http"]
    assert http.min_interval_s == 4.5  # fractional: read when the code location loads
    assert http.pfr_base_url == "https://www.pro-football-reference.com"
    assert resources["settings"].source == "auto"
    resolved = from_environment(HttpClientResource, bind=False)
    assert (resolved.max_attempts, resolved.min_interval_s) == (2, 4.5)


@pytest.mark.integration
def test_a_run_resolves_the_variables_when_it_starts(monkeypatch, tmp_path):
    """Bound when the code location loads, read when the run starts: the run writes where the variable says then."""
    from analytics_tests.support.runs import materialize_names

    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(tmp_path / "first.duckdb"))
    resources = code_location().resources
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(tmp_path / "second.duckdb"))
    assert materialize_names(["standings"], "2019", resources=resources).success
    assert (tmp_path / "second.duckdb").exists() and not (tmp_path / "first.duckdb").exists()


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("ANALYTICS_HTTP_MIN_INTERVAL_S", "three", "ANALYTICS_HTTP_MIN_INTERVAL_S='three' is not a number."),
        ("ANALYTICS_LANDING_MAX_BYTES", "5MB", "ANALYTICS_LANDING_MAX_BYTES='5MB' is not a whole number."),
    ],
)
@pytest.mark.unit
def test_a_malformed_number_is_named(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    cls = HttpClientResource if var.startswith("ANALYTICS_HTTP") else AnalyticsSettings
    with pytest.raises(ValueError, match=re.escape(message)):
        from_environment(cls, bind=False)


@pytest.mark.unit
def test_source_mode_and_standings_order_are_checked_where_used():
    assert AnalyticsSettings(source=" LIVE ").source_mode == "live"
    with pytest.raises(ValueError, match="not one of embedded, live, auto"):
        _ = AnalyticsSettings(source="web").source_mode
    assert settings.standings_sources(" PFR ", ["nflverse", "pfr"]) == ["pfr"]
    with pytest.raises(ValueError, match="espn"):
        settings.standings_sources("pfr,espn", ["nflverse", "pfr"])
    assert AnalyticsSettings(highlight_franchises=" kc, LV ,kc,").highlighted == ["KC", "LV"]
