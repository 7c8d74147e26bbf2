"""Every season the platform knows of a core table: what the rules compare a season with.

A season's rows are judged against the other seasons (`distinct_from_other_seasons`, the drift
rules). The platform knows more seasons than the DuckDB file holds: the package ships every
completed season's facts (`embedded`). So the comparison set is, for each other season, the newest
version the platform has: this run's rows, else the stored rows, else the embedded facts. A file or
page of another season is then recognised on a DuckDB file holding one season as on one holding
them all. Each row says where that version came from (`KNOWN_AS`), so a refusal can say it.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from analytics_assets import partitions
from analytics_assets.ingestion import embedded
from analytics_assets.quality.catalog import KNOWN_AS, KNOWN_AS_TEXT

IN_RUN, STORED, EMBEDDED = tuple(KNOWN_AS_TEXT)  # the versions of a season the platform may know, newest first
# Where the rows of a season came from: not part of what the season's figures are.
_PROVENANCE = ("source", "source_ref", "raw_sha256", "loaded_at", "cross_check")


def embedded_rows(table: str) -> pd.DataFrame:
    """Every season of `table` the package ships, as the table's rows (the embedded source's own rows)."""
    files = (embedded.STANDINGS_FILE, embedded.DEAD_MONEY_FILE, embedded.SALARY_CAP_FILE)
    return _embedded_rows(table, tuple(embedded.load(name).sha256 for name in files))


@cache
def _embedded_rows(table: str, files_sha256: tuple[str, ...]) -> pd.DataFrame:
    # Keyed by the files' digests: a changed file (a test's copy of the facts) is read afresh.
    from analytics_assets.ingestion.table_sources import (
        CORE_TABLES,
    )  # the sources' modules, only when a season is judged

    source = CORE_TABLES[table]
    # Only the platform's seasons (its partitions, from 2011): a row of an earlier year is no season it knows.
    years = embedded.load(embedded.STANDINGS_FILE).frame["season"].unique()
    seasons = sorted(int(s) for s in years if int(s) >= partitions.FIRST_SEASON)
    frames = [source.to_rows(source.embedded(s), s) for s in seasons if source.has_embedded(s)]
    rows = pd.concat(frames, ignore_index=True)
    return rows.drop(columns=[c for c in _PROVENANCE if c in rows.columns])


def other_seasons(table: str, season: int, stored: pd.DataFrame, frames: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Every season of `table` other than `season` that the platform knows, one version each: this
    run's rows (`frames`) where the run has the season, else the stored rows, else the embedded facts."""
    known = embedded_rows(table)
    columns = list(known.columns)
    parts = [df.reindex(columns=columns).assign(**{KNOWN_AS: IN_RUN}) for s, df in frames.items() if s != season]
    taken = set(frames) | {season}
    kept = stored[~stored["season"].isin(sorted(taken))]
    parts.append(kept.reindex(columns=columns).assign(**{KNOWN_AS: STORED}))
    taken |= {int(s) for s in kept["season"].unique()}
    parts.append(known[~known["season"].isin(sorted(taken))].assign(**{KNOWN_AS: EMBEDDED}))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return known.iloc[0:0].assign(**{KNOWN_AS: pd.Series(dtype="object")})
    return pd.concat(parts, ignore_index=True)
