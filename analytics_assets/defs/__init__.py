"""Dagster definitions only, one folder per area, loaded by `dg.load_from_defs_folder` (see definitions.py)."""
