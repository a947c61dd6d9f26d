"""The generated data dictionary: `meta.table_dictionary` and `meta.column_dictionary`.

The descriptions are committed data (`dictionary_tables.csv`, `dictionary_columns.csv` beside this module), the
single source of truth; data types come from the warehouse's own catalogue, so the dictionary can never disagree
with the tables it describes. A test fails when any core or marts column lacks a description.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import sqlfiles

HERE = Path(__file__).resolve().parent
TABLES_CSV = HERE / "dictionary_tables.csv"
COLUMNS_CSV = HERE / "dictionary_columns.csv"


def _paths() -> dict[str, str]:
    return {"tables_csv": str(TABLES_CSV), "columns_csv": str(COLUMNS_CSV)}


def build_dictionary(con: duckdb.DuckDBPyConnection) -> dict:
    """Replace the meta dictionary tables for every core and marts table present; return row counts.

    Runs inside the caller's transaction when there is one (build_marts opens it).
    """
    sqlfiles.execute(con, "marts/dictionary/delete_table_dictionary")
    sqlfiles.execute(con, "marts/dictionary/delete_column_dictionary")
    sqlfiles.execute(con, "marts/dictionary/insert_table_dictionary", {"tables_csv": str(TABLES_CSV)})
    sqlfiles.execute(con, "marts/dictionary/insert_column_dictionary", {"columns_csv": str(COLUMNS_CSV)})
    tables, columns = sqlfiles.execute(con, "marts/dictionary/count_dictionary").fetchall()[0]
    return {"tables": tables, "columns": columns}


def undescribed(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Core and marts tables or columns in the warehouse that the committed dictionary does not describe.

    Tables come back with an empty column name.
    """
    rows = sqlfiles.execute(con, "marts/dictionary/undescribed", _paths()).fetchall()
    return [tuple(r) for r in rows]
