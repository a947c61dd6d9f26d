"""The data dictionary describes every core and marts column; the warehouse README is generated from it; the ten
example questions run against a seeded warehouse and answer something."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.marts.dictionary import undescribed
from pipelines.marts.docs import example_files, write_warehouse_readme
from pipelines.warehouse import apply_ddl
from tests.test_marts_seed import build_seeded


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = duckdb.connect(str(tmp_path_factory.mktemp("docs") / "w.duckdb"))
    build_seeded(connection)
    yield connection
    connection.close()


def test_every_core_and_marts_column_is_described(tmp_path):
    # all DDL files, whoever owns them: a column added anywhere in core or marts must be documented
    con = duckdb.connect(str(tmp_path / "ddl.duckdb"))
    try:
        apply_ddl(con)
        assert undescribed(con) == []
        con.execute("alter table marts.group_exposure add column mystery integer")
        assert undescribed(con) == [("marts", "group_exposure", "mystery")]
    finally:
        con.close()


def test_dictionary_tables_are_filled_with_catalogue_types(con):
    tables = con.execute("select table_schema || '.' || table_name, grain from meta.table_dictionary").fetchall()
    names = {t for t, _ in tables}
    assert {"core.fact_payment", "core.dim_date", "marts.keep_it_local_scorecard", "marts.sourcing_events"} <= names
    assert all(grain for _, grain in tables)
    types = dict(con.execute("""select column_name, data_type from meta.column_dictionary
                                where table_schema = 'core' and table_name = 'fact_payment'""").fetchall())
    assert types["amount"] == "DECIMAL(18,2)" and types["payment_date"] == "DATE"
    described = con.execute("select count(*) from meta.column_dictionary where coalesce(description, '') = ''").fetchall()[0][0]
    assert described == 0


def test_readme_explains_layout_access_marts_and_examples(con, tmp_path):
    path = write_warehouse_readme(con, tmp_path / "warehouse" / "README.md")
    text = path.read_text(encoding="utf-8")
    published = (tmp_path / "warehouse" / "keepitlocal.duckdb").as_posix()
    for needle in ("work/", "build/", "raw/", "extracts/", "keepitlocal.duckdb", "read_only=True",
                   f"duckdb -readonly {published}", f"attach '{published}' as kil (read_only)",
                   "### `marts.sourcing_events`", "`min_run_months`", "HHI", "v1.4.0", "pip install duckdb-cli"):
        assert needle in text, needle
    # the guide names the file beside it, not the default warehouse/ (the demo publishes to warehouse/demo/)
    assert "warehouse/keepitlocal.duckdb\"" not in text.replace(published, "")
    marts = [r[0] for r in con.execute("select table_name from meta.table_dictionary where table_schema = 'marts'").fetchall()]
    assert all(f"### `marts.{m}`" in text for m in marts)
    assert text.count("```sql") == len(example_files()) + 1  # the examples plus the ATTACH snippet


def test_readme_under_the_project_names_the_file_relative_to_it(con):
    from pipelines.marts.docs import PROJECT_ROOT, display_path, render_warehouse_readme

    assert display_path(PROJECT_ROOT / "warehouse" / "demo" / "keepitlocal.duckdb") == "warehouse/demo/keepitlocal.duckdb"
    text = render_warehouse_readme(con, "warehouse/demo/keepitlocal.duckdb")
    assert "duckdb -readonly warehouse/demo/keepitlocal.duckdb" in text
    assert "## What lands in `warehouse/demo/`" in text
    assert "warehouse/keepitlocal.duckdb" not in text


def test_there_are_ten_examples(con):
    files = example_files()
    assert len(files) == 10
    assert [f.name[:3] for f in files] == [f"{i:02d}_" for i in range(1, 11)]


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.stem)
def test_each_example_answers_with_named_columns(con, path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("-- ")
    rel = con.sql(text)
    columns = rel.columns
    rows = rel.fetchall()
    assert rows, f"{path.name} returned nothing on the seeded warehouse"
    assert len(columns) >= 2 and all(c.isidentifier() for c in columns)
    assert all(any(v is not None for v in col) for col in zip(*rows)), "a column is null on every row"
