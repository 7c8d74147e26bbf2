"""Dagster's own run-tag strings that we set (make run's range run) or read (JSON logs, backfill runs, alerts).

They are the documented tags of a partitioned run ("dagster/partition", and for a range run
"dagster/asset_partition_range_start"/"_end"); Dagster exports them only from a private module, so
they are spelled here, and analytics_tests/test_operations.py checks each against what Dagster does:
the tags it writes on a run and on a backfill's runs, the range it reads, the name of its implicit job.
"""

PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "dagster/backfill"  # set on every run a backfill launches (its value is the backfill's id)

# Not a tag: the name of Dagster's implicit job, which runs everything launched from an asset's page
# or the catalog, every asset backfill and every automation-condition run. The UI never shows it as a
# job ("Jobless asset materializations"); only Dagster's own run-log lines name it.
IMPLICIT_ASSET_JOB = "__ASSET_JOB"
