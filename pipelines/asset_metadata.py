"""What every asset reports about the table it wrote, in the metadata keys Dagster's UI and checks understand.

One helper for every asset, so the numbers mean the same everywhere:

* `dagster/table_name`: the warehouse table (`schema.table`) the asset's rows live in;
* `dagster/row_count`: the table's size after the run (what the UI plots, and what
  `build_metadata_bounds_checks` bounds), never "rows processed";
* `rows_added_this_run`: what this run added (or replaced), as the library reported it, when it knows;
* `dagster/column_schema`: every column with its DuckDB type and, for core and marts tables, the description
  from the committed data dictionary (so `build_column_schema_change_checks` can watch it);
* `preview`: the first rows as a small Markdown table.

    with warehouse.get().connect() as con:
        metadata = table_metadata(con, "core.fact_payment", rows_added=stats["payments"])
    return dg.MaterializeResult(metadata=metadata)

Plain functions of a DuckDB connection; Dagster types only for the metadata values.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines import sqlfiles

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 12
PREVIEW_CELL_CHARS = 40
DICTIONARY_COLUMNS = Path(__file__).resolve().parent / "marts" / "dictionary_columns.csv"


@cache
def _descriptions() -> dict[tuple[str, str, str], str]:
    with open(DICTIONARY_COLUMNS, encoding="utf-8", newline="") as fh:
        return {(r["table_schema"], r["table_name"], r["column_name"]): r["description"] for r in csv.DictReader(fh)}


def _split(table: str) -> tuple[str, str]:
    schema, _, name = table.partition(".")
    if not name:
        raise ValueError(f"table {table!r} must be schema-qualified (schema.table)")
    return schema, name


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """The table's columns in order, typed, described from the data dictionary where it has them."""
    schema, name = _split(table)
    rows = sqlfiles.execute(con, "metadata/table_columns", {"schema": schema, "table": name}).fetchall()
    if not rows:
        raise ValueError(f"no table {table} in this warehouse")
    described = _descriptions()
    return dg.TableSchema(columns=[
        dg.TableColumn(name=column, type=data_type.lower(), description=described.get((schema, name, column)),
                       constraints=dg.TableColumnConstraints(nullable=nullable == "YES"))
        for column, data_type, nullable in rows])


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(sqlfiles.execute(con, "metadata/count_rows", {"table": table}).fetchone()[0])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[:PREVIEW_CELL_CHARS - 1] + "…"


def preview_markdown(con: duckdb.DuckDBPyConnection, table: str, rows: int = PREVIEW_ROWS) -> str:
    """The first `rows` rows and `PREVIEW_COLUMNS` columns as a Markdown table (cells cut to a readable width)."""
    result = sqlfiles.execute(con, "metadata/preview_rows", {"table": table, "rows": rows})
    columns = [d[0] for d in result.description][:PREVIEW_COLUMNS]
    records = [record[:PREVIEW_COLUMNS] for record in result.fetchall()]
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in record) + " |" for record in records]
    hidden = len(result.description) - len(columns)
    if hidden > 0:
        lines.append(f"\n{hidden} more columns: see the column schema.")
    return "\n".join(lines)


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, *, rows_added: int | None = None,
                   extra: Mapping[str, Any] | None = None, preview: bool = True,
                   also: Sequence[str] = ()) -> dict[str, Any]:
    """Materialisation metadata for `table` (schema-qualified) as it stands on `con` after the run.

    `rows_added` is what this run added or replaced, when the caller knows it; `extra` adds asset-specific
    entries (run statistics) but cannot override the standard keys. An asset that writes several tables names
    its main one as `table` and the others in `also`: `table_rows` then gives every table's size.
    """
    metadata: dict[str, Any] = dict(extra or {})
    schema, name = _split(table)
    if not sqlfiles.execute(con, "metadata/table_columns", {"schema": schema, "table": name}).fetchall():
        # e.g. a first night with nothing to flatten: report the absence, never fail the asset over metadata
        metadata.update({"dagster/table_name": table, "dagster/row_count": 0, "table_exists": False})
        if rows_added is not None:
            metadata["rows_added_this_run"] = int(rows_added)
        return metadata
    if also:
        present = [t for t in (table, *also)
                   if sqlfiles.execute(con, "metadata/table_columns", dict(zip(("schema", "table"), _split(t)))).fetchall()]
        metadata["table_rows"] = dg.MetadataValue.json({t: row_count(con, t) for t in present})
    columns = column_schema(con, table)
    metadata.update({
        "dagster/table_name": table,
        "dagster/row_count": row_count(con, table),
        "dagster/column_schema": columns,
    })
    if rows_added is not None:
        metadata["rows_added_this_run"] = int(rows_added)
    if preview:
        metadata["preview"] = dg.MetadataValue.md(preview_markdown(con, table))
    return metadata


def scalar_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The plain numbers and strings of a library stats dict (Dagster metadata takes those as they are)."""
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str, bool)) and not k.startswith("dagster/")}
