"""Freshness of the season in progress.

`daily_season_refresh` rebuilds the season in progress at 09:00 New York time every day, and the
season assets are expected to have been materialized again by 11:00. Dagster's freshness policies
are per asset, not per partition: completed seasons never change, so in practice the daily refresh
of the season in progress is what keeps these assets fresh, and a FAIL state in the UI means that
refresh did not land (a failed or stuck run, a stopped schedule or daemon).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from analytics_assets.partitions import LEAGUE_TIMEZONE

SEASON_ASSETS = frozenset({"standings", "dead_cap", "team_season_risk"})

SEASON_IN_PROGRESS_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 11 * * *",
    lower_bound_delta=timedelta(hours=2),
    timezone=LEAGUE_TIMEZONE,
)


def with_season_freshness_spec(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec, carrying the season-in-progress freshness policy if it is a season asset."""
    if spec.key.to_user_string() in SEASON_ASSETS:
        return dg.apply_freshness_policy(spec, SEASON_IN_PROGRESS_FRESHNESS)
    return spec
