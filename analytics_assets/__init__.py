"""NFL dead-cap risk platform: season-partitioned Dagster assets over DuckDB."""
