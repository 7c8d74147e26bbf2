"""Dagster's own run-tag strings that we set (make run's single-run backfill) or read (JSON logs, backfill runs).

They are the documented tags of a partitioned run ("dagster/partition", and for a range run
"dagster/asset_partition_range_start"/"_end"); Dagster exports them only from a private module, so
they are spelled here, and a test checks them against Dagster's values.
"""

PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "dagster/backfill"  # set on every run a backfill launches (its value is the backfill's id)
