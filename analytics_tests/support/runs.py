"""Real Dagster materializations of the season assets, one season per run as a backfill runs them,
and what a run's events say (failures, skipped steps, check results)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from analytics_assets.definitions import defs
from analytics_assets.defs.resources import environment_resources
from analytics_assets.ingestion.http_client import HttpClientResource
from analytics_assets.storage import AnalyticsDuckDB

SEASON_ASSETS = ["standings", "dead_cap", "team_season_risk"]


RAW_OF = {"standings": ["raw_nflverse_games", "raw_pfr_season_page"], "dead_cap": ["raw_spotrac_cap_page"]}


class SeasonRuns:
    """The runs of a range of seasons, one season per run (as a backfill runs them), read as one result."""

    def __init__(self, results: list):
        self.results = results

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def all_events(self) -> list:
        return [e for r in self.results for e in r.all_events]

    @property
    def run_id(self) -> str:
        return self.results[-1].run_id

    def __getattr__(self, name: str):
        if len(self.results) != 1:
            raise AttributeError(f"{name}: a result of {len(self.results)} runs; read .results[i]")
        return getattr(self.results[0], name)


def season_assets(names=SEASON_ASSETS) -> tuple[list, dg.AssetSelection]:
    """The definitions a run of `names` needs (with their raw pages' fetches), and what it selects."""
    raws = list(dict.fromkeys(raw for name in names for raw in RAW_OF.get(name, [])))
    checks = [c for c in defs.asset_checks or [] if any(k.asset_key.to_user_string() in raws for k in c.check_keys)]
    from analytics_assets.defs.raw.assets import raw_assets

    assets = [defs.get_assets_def(name) for name in names] + [
        spec for spec in raw_assets if spec.key.to_user_string() in raws
    ]
    selection = (
        dg.AssetSelection.assets(*names) | dg.AssetSelection.checks_for_assets(*raws)
        if raws
        else dg.AssetSelection.assets(*names)
    )
    return [*assets, *checks], selection


def materialize_names(names, partition_key: str, **kwargs):
    """dg.materialize of the season assets `names` (with their raw pages' fetches) for one season."""
    assets, selection = season_assets(names)
    return dg.materialize(assets, selection=selection, partition_key=partition_key, **kwargs)


def resources_for(db_path: Path, http: HttpClientResource | None = None) -> dict:
    """The code location's resources as the environment has them now, on the DuckDB file `db_path`."""
    return {
        **environment_resources(),
        "duckdb": AnalyticsDuckDB(database=str(db_path)),
        **({"http": http} if http else {}),
    }


_JOBS: dict[tuple, dg.JobDefinition] = {}
EPHEMERAL_JOB = "__ephemeral_asset_job__"  # the name dg.materialize gives its job


def season_job(names, resources: dict) -> dg.JobDefinition:
    """The job dg.materialize would build for `names` on `resources`, built once per such pair: running
    it again is the same run as a new dg.materialize call, without building the definitions again."""
    key = (tuple(names), tuple(sorted((k, repr(v)) for k, v in resources.items())))
    if key not in _JOBS:
        assets, selection = season_assets(names)
        defs = dg.Definitions(
            jobs=[dg.define_asset_job(EPHEMERAL_JOB, selection=selection)], assets=assets, resources=resources
        )
        _JOBS[key] = defs.resolve_job_def(EPHEMERAL_JOB)
    return _JOBS[key]


def materialize_seasons(
    db_path: Path,
    first: int,
    last: int | None = None,
    names=SEASON_ASSETS,
    instance=None,
    raise_on_error=True,
    http=None,
    tags=None,
):
    """Materialize the per-season assets for each season of [first, last], one run per season as a backfill
    runs them, against `db_path` (plus any run `tags`); stops at the first failed run."""
    last = first if last is None else last
    results = []
    for season in range(first, last + 1):
        job = season_job(names, resources_for(db_path, http))
        result = job.execute_in_process(
            partition_key=str(season), tags=tags, instance=instance, raise_on_error=raise_on_error
        )
        results.append(result)
        if not result.success:
            break
    return SeasonRuns(results)


def step_failures(result) -> dict[str, str]:
    """Each failed step's error as the UI shows it, followed by the failure's `detail` metadata (the full
    text of what each source answered) when it has one."""
    out = {}
    for e in result.all_events:
        if e.event_type_value != "STEP_FAILURE":
            continue
        user = e.event_specific_data.user_failure_data
        detail = user.metadata.get("detail") if user is not None else None
        out[e.step_key] = e.event_specific_data.error.message + (
            f"\nDetail: {detail.value}" if detail is not None else ""
        )
    return out


def step_failure_descriptions(result) -> dict[str, str]:
    """Each failed step's description alone: what the person on call reads first."""
    return {
        e.step_key: e.event_specific_data.user_failure_data.description
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.event_specific_data.user_failure_data is not None
    }


def skipped_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}


def check_evaluations(result) -> dict[tuple[str, str], bool]:
    return {
        (
            e.event_specific_data.asset_key.to_user_string(),
            e.event_specific_data.check_name,
        ): e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
