"""Deep discovery's candidate landing pages, kept in `reference.discovery_candidates` for review.

A candidate is a page, reached from a council's website within a few clicks, that lists spend files. The registry
never adopts one by itself: a person checks it and adds it to `evidence.csv` (with the look-up that saw it), then
rebuilds the registry. `keepitlocal registry report` lists the best candidate of each council.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines import sqlfiles

CANDIDATE_SCHEMA = {"council_gss": pl.String, "page_url": pl.String, "depth": pl.Int32, "trail": pl.String,
                    "files": pl.Int32, "sample_link": pl.String, "score": pl.Float64}


def record_candidates(con: duckdb.DuckDBPyConnection, council_gss: str, candidates: list[dict]) -> int:
    """Replace the council's candidates with these (an empty list clears them); returns how many were kept."""
    frame = pl.DataFrame([{k: c.get(k) for k in CANDIDATE_SCHEMA} for c in candidates], schema=CANDIDATE_SCHEMA)
    sqlfiles.execute(con, "registry/delete_discovery_candidates", {"council_gss": council_gss})
    if frame.height:
        con.register("candidates_df", frame.to_arrow())
        try:
            sqlfiles.execute(con, "registry/insert_discovery_candidates")
        finally:
            con.unregister("candidates_df")
    return frame.height


def best_candidates(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The best candidate page of each council (empty when the table is absent, e.g. an older warehouse)."""
    try:
        cursor = sqlfiles.execute(con, "registry/select_discovery_candidates")
    except duckdb.CatalogException:
        return []
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
