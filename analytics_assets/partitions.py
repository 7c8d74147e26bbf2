"""Season partitions: one per NFL season from 2011, extending itself every league year.

A season's window opens when its league year starts (March 1 here: free agency, cap figures and
the new season's pages appear in March) and `end_offset=1` keeps the window still open, the
season in progress, in the list. On 2026-11-26 the keys run "2011".."2026"; "2027" appears on
2027-03-01 with no code change.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

FIRST_SEASON = 2011
LEAGUE_TIMEZONE = "America/New_York"

season_partitions = dg.TimeWindowPartitionsDefinition(
    start=datetime(FIRST_SEASON, 3, 1),
    cron_schedule="0 0 1 3 *",
    fmt="%Y",
    end_offset=1,
    timezone=LEAGUE_TIMEZONE,
)


# Dagster's UI shows the definition itself as "0 0 1 3 *, starting 2011 America/New_York. End
# offsetted by 1 partition."; every season-partitioned asset also carries this plain description.
SEASONS_IN_WORDS = (
    f"One partition per NFL season, named by its year: {FIRST_SEASON} to the season in progress. "
    "A new season is added every March 1, when the league year starts."
)


def describe_season_partition_spec(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec; if it is season-partitioned, it says in words what its partitions are."""
    if spec.partitions_def != season_partitions:
        return spec
    return spec.replace_attributes(
        description=f"{spec.description or ''} Partitions: {SEASONS_IN_WORDS}".strip()
    ).merge_attributes(metadata={"partitions": SEASONS_IN_WORDS})


# The last window looked up (its start and end as timestamps, and its season): a 15-season step
# asks about 200 times, and every answer but one a year falls in the same window.
_last_window: tuple[float, float, int] | None = None


def season_in_progress(now: datetime | None = None) -> int:
    """The newest season key at `now` (the league year in progress).

    That is the key of the window holding `now` (end_offset=1 keeps it in the list), looked up
    directly rather than by listing every key. A naive `now` is New York time, as Dagster reads it.
    """
    global _last_window
    when = datetime.now(ZoneInfo(LEAGUE_TIMEZONE)) if now is None else now
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(LEAGUE_TIMEZONE))
    ts = when.timestamp()
    if _last_window is not None and _last_window[0] <= ts < _last_window[1]:
        return _last_window[2]
    key = season_partitions.get_partition_key_for_timestamp(ts)
    window = season_partitions.time_window_for_partition_key(key)
    _last_window = (window.start.timestamp(), window.end.timestamp(), int(key))
    return int(key)


def season_span(seasons: list[int]) -> str:
    """Sorted seasons in words: "2011-2025" for three or more consecutive ones, else "2017, 2019"."""
    if len(seasons) > 2 and seasons == list(range(seasons[0], seasons[-1] + 1)):
        return f"{seasons[0]}-{seasons[-1]}"
    return ", ".join(map(str, seasons))


def is_completed(season: int, now: datetime | None = None) -> bool:
    """A season is completed once the next league year has started."""
    return season < season_in_progress(now)


AS_OF_TAG = "nfl/as_of"  # a run's snapshot date (YYYY-MM-DD); the daily schedule sets it to its tick's day


def league_today(now: datetime | None = None) -> date:
    """Today's date in the league's time zone (New York), the day a refresh files its snapshot under."""
    return (now or datetime.now(ZoneInfo(LEAGUE_TIMEZONE))).astimezone(ZoneInfo(LEAGUE_TIMEZONE)).date()


def snapshot_date(tags: Mapping[str, str], now: datetime | None = None) -> date:
    """The run's `nfl/as_of` tag if it has one, else today in New York."""
    value = tags.get(AS_OF_TAG)
    if value is None:
        return league_today(now)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"Run tag {AS_OF_TAG}={value!r} is not a date: expected YYYY-MM-DD, for example 2026-11-27."
        ) from exc


def regular_season_games(season: int) -> int:
    """Games per team: 16 through 2020, 17 from 2021."""
    return 16 if season <= 2020 else 17


# One season per run. A season's results (its raw pages, its rows, each rule's verdict) are then its
# own: Dagster reports a step's materialization and check results for every partition of the step,
# and a per-season asset check (AssetCheckSpec(partitions_def=...)) gets a season only when the step
# has exactly one partition; a range step's check results carry no partition at all (Dagster 1.13).
# So "All" offline is sixteen runs, fifteen that store and one (the season in progress) that fails
# alone, and nothing of the one run shows on the others. Dagster flags `backfill_policy` as beta; we
# rely on it knowingly, so that one notice (and only it) is silenced.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=dg.BetaWarning)
SEASON_BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
# Per-season check results are a preview in Dagster 1.13 (the UI shows them on the asset's
# partitions); we rely on it knowingly, so that one notice (and only it) is silenced.
warnings.filterwarnings(
    "ignore", message=r"Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)


class RangeRunError(dg.Failure):
    """A run of more than one season reached a step that judges one season at a time."""


def only_season(partition_keys: Sequence[str], what: str) -> int:
    """The season of a one-season step; a range run is refused before anything is read or written."""
    keys = sorted(partition_keys)
    if len(keys) != 1:
        raise RangeRunError(
            description=f"{what} runs one season per run, and this run asks for {len(keys)} ({keys[0]}-{keys[-1]}). "
            f"Nothing was read or "
            "written. Launch the seasons as a backfill (each season is then a run of its own, with its own "
            "results), or "
            "from a shell: python -m analytics_assets.run_pipeline --from FIRST --to LAST."
        )
    return int(keys[0])
