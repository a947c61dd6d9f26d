"""The one metadata helper every asset reports through: table size, column schema with dictionary descriptions,
rows added this run as its own entry, a small preview."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from pipelines.asset_metadata import PREVIEW_COLUMNS, table_metadata


@pytest.fixture()
def con():
    connection = duckdb.connect()
    connection.execute("create schema core")
    connection.execute("create table core.dim_council (council_gss varchar not null, council_name varchar, "
                       "valid_from date)")
    connection.execute("insert into core.dim_council select 'E0600000' || i, 'Council | ' || i, null "
                       "from range(7) t(i)")
    connection.execute("create table core.wide as select " + ", ".join(f"{i} as c{i}" for i in range(20)))
    yield connection
    connection.close()


def test_row_count_is_the_table_size_and_rows_added_is_separate(con):
    metadata = table_metadata(con, "core.dim_council", rows_added=2, extra={"dagster/row_count": 99, "files": 3})
    assert metadata["dagster/row_count"] == 7, "the table's size, whatever the caller passes as extra"
    assert metadata["rows_added_this_run"] == 2
    assert metadata["files"] == 3
    assert metadata["dagster/table_name"] == "core.dim_council"
    assert "rows_added_this_run" not in table_metadata(con, "core.dim_council")


def test_column_schema_carries_types_nullability_and_dictionary_descriptions(con):
    schema = table_metadata(con, "core.dim_council")["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    columns = {c.name: c for c in schema.columns}
    assert list(columns) == ["council_gss", "council_name", "valid_from"]
    assert columns["valid_from"].type == "date"
    assert columns["council_gss"].constraints.nullable is False
    assert columns["council_gss"].description.startswith("GSS code of the council")


def test_preview_is_a_small_markdown_table(con):
    preview = table_metadata(con, "core.dim_council")["preview"].value
    lines = preview.splitlines()
    assert lines[0] == "| council_gss | council_name | valid_from |"
    assert len(lines) == 2 + 5, "header, rule and five rows"
    assert "Council \\| 0" in preview, "pipes inside cells are escaped"
    wide = table_metadata(con, "core.wide")["preview"].value
    assert wide.splitlines()[0].count("|") == PREVIEW_COLUMNS + 1
    assert f"{20 - PREVIEW_COLUMNS} more columns" in wide


def test_unqualified_tables_are_refused_and_missing_ones_reported(con):
    with pytest.raises(ValueError):
        table_metadata(con, "dim_council")
    missing = table_metadata(con, "core.nothing_here", rows_added=0)
    assert missing == {"dagster/table_name": "core.nothing_here", "dagster/row_count": 0, "table_exists": False,
                       "rows_added_this_run": 0}


def test_an_asset_writing_several_tables_reports_each_size(con):
    metadata = table_metadata(con, "core.dim_council", also=["core.wide", "core.not_built_yet"])
    assert metadata["table_rows"].value == {"core.dim_council": 7, "core.wide": 1}
