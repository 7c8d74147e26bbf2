from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics_assets.partitions import is_completed, regular_season_games, season_in_progress, season_partitions

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (datetime(2026, 11, 26), "2026"),  # season in progress is included
        (datetime(2026, 2, 8), "2025"),  # Super Bowl of the 2025 season: still its league year
        (datetime(2027, 2, 28, 23), "2026"),
        (datetime(2027, 3, 1, 6), "2027"),  # new league year: a new key, no code change
        (datetime(2031, 9, 10), "2031"),
    ],
)
def test_partition_keys_extend_each_league_year(now, last):
    keys = season_partitions.get_partition_keys(current_time=now)
    assert keys[0] == "2011"
    assert keys[-1] == last
    assert keys == [str(s) for s in range(2011, int(last) + 1)]
    assert season_in_progress(now) == int(last)


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 2, 28, 23, 59, 59, tzinfo=NEW_YORK),
        datetime(2026, 3, 1, 0, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 1, 4, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 5, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 4, 59, 59),
        datetime(2026, 3, 1, 0, 0),
        datetime(2026, 2, 28, 23, 59),  # naive
        datetime(2011, 3, 1, 0, 0, tzinfo=NEW_YORK),
        datetime(2026, 11, 27, 12, tzinfo=UTC),
    ],
)
def test_the_season_in_progress_is_the_newest_partition_key(now):
    # Looked up from the window holding `now`: the same as the last of Dagster's keys, across the
    # league year's turn, in any time zone and for naive times.
    assert season_in_progress(now) == int(season_partitions.get_partition_keys(current_time=now)[-1])


def test_completed_seasons_and_schedule_length():
    now = datetime(2026, 11, 26)
    assert is_completed(2025, now) and not is_completed(2026, now)
    assert [regular_season_games(s) for s in (2011, 2020, 2021, 2025)] == [16, 16, 17, 17]
