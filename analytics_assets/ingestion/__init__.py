"""Ingestion: where each season's standings and dead money come from, and the core assets."""
