"""Generate `warehouse/README.md`: the analyst's guide to the published warehouse.

Everything table-specific comes from the warehouse itself (`meta.table_dictionary`, `meta.column_dictionary`)
and from the committed example queries in `sql/examples/`, so the guide cannot drift from what was built.

    with warehouse.connect() as con:
        write_warehouse_readme(con, warehouse.root / "README.md")
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import sqlfiles
from pipelines.marts.build import DEFAULT_MART_PARAMS, MART_PARAMETER_DOCS

EXAMPLES_DIR = sqlfiles.SQL_DIR / "examples"

LAYOUT = """\
## What lands in `warehouse/`

| path | what it is |
|---|---|
| `keepitlocal.duckdb` | **the published warehouse**: open it read-only. Replaced whole by each nightly publish (`os.replace`), so a connection you hold keeps its consistent snapshot and a new connection sees the new data |
| `work/keepitlocal.duckdb` | the pipeline's private working database (single writer). Do not open it while the pipeline runs |
| `build/` | a copy of the working file being checked before it is published; deleted after each publish |
| `raw/<aa>/<sha256>` | every downloaded file, stored once by content hash; `source_sha256` in the facts points here |
| `extracts/<release>/` | researchers' parquet/CSV extracts and the catalogue page (`extracts/latest/index.html`) |
"""

OPENING = """\
## Opening it read-only

DuckDB allows one writer *or* many readers per file; analysts are always readers.

```python
import duckdb
con = duckdb.connect("warehouse/keepitlocal.duckdb", read_only=True)
con.sql("select * from marts.keep_it_local_scorecard where period_grain = 'year'").pl()
```

```sh
duckdb -readonly warehouse/keepitlocal.duckdb
```

```sql
-- from any DuckDB session, e.g. an in-memory one beside other data
attach 'warehouse/keepitlocal.duckdb' as kil (read_only);
select * from kil.marts.group_exposure limit 10;
```

The file is written by DuckDB 2.x; DuckDB 1.x clients cannot open it (use the parquet extracts instead).
"""

DEFINITIONS = """\
## Definitions used everywhere

* **Current lines only**: for each council and period, the latest publication wins; lines of superseded
  publications stay in `staging` (history) but never reach `core.fact_payment`. A payment repeated by a later
  current file (an annual file over monthly ones) is counted once, from the later file.
* **Money** is `decimal(18,2)`, net of VAT, credits negative and included. **Shares** are percentages (0-100).
* **Financial year** is the UK one, 1 April to 31 March, written `2023-24`; quarters `Q1` = April to June.
  Undated lines take their publication's period start.
* **Metric definitions** (local authority / county / region, SME, VCSE, public, large private, individual or
  redacted, unresolved, unknown size / location) are those of `docs/architecture.md` "Metric definitions".
* **Lineage**: every payment carries `source_url`, `source_sha256` (the raw file under `raw/`), `sheet` and
  `row_number`; `payment_key` is the md5 of the last three.
"""


def _table_sections(con: duckdb.DuckDBPyConnection) -> str:
    tables = sqlfiles.execute(con, "marts/dictionary/readme_tables").fetchall()
    columns = sqlfiles.execute(con, "marts/dictionary/readme_columns").fetchall()
    by_table: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for schema, table, column, data_type, description in columns:
        by_table.setdefault((schema, table), []).append((column, data_type, description or ""))
    out = ["## Tables", "", "| table | grain | definition |", "|---|---|---|"]
    for schema, table, grain, definition, _source in tables:
        out.append(f"| `{schema}.{table}` | {grain or ''} | {definition or ''} |")
    out.append("")
    for schema, table, grain, definition, source in tables:
        if schema != "marts":
            continue
        out += [f"### `{schema}.{table}`", "", f"{definition or ''}", "", f"Grain: {grain or ''}. Built by `{source or ''}`.", "",
                "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c}` | {t} | {d.replace('|', '/')} |" for c, t, d in by_table.get((schema, table), [])]
        out.append("")
    out.append("Core tables' columns are in `meta.column_dictionary` "
               "(`select * from meta.column_dictionary where table_schema = 'core'`).")
    return "\n".join(out) + "\n"


def _parameters() -> str:
    out = ["### Sourcing-event parameters", "", "| parameter | default | meaning |", "|---|---|---|"]
    for name, default in DEFAULT_MART_PARAMS.items():
        out.append(f"| `{name}` | {default if default is not None else 'build date'} | {MART_PARAMETER_DOCS[name]} |")
    out += ["", "A supplier is *recurring* in a council's service line when it is paid in at least `min_run_months` "
            "months (skipping at most `allowed_missing_months` at a time), with at least `min_monthly_share` of the "
            "line's spend each month and monthly amounts varying no more than `max_amount_cv`. **Outsourcing**: an "
            "external supplier's recurring run begins with no other recurring external supplier in the previous "
            "`lookback_months`. **Insourcing**: a contractor's run stops and nobody starts within `max_gap_months`, "
            "or the successor is a public body or a company owned by that council. **Re-let**: supplier A stops and "
            "external supplier B starts within `max_gap_months`. Starts and stops count only where the council "
            "published `confirm_months` months either side. `confidence` (0-1) weighs run length, regularity and share.", ""]
    return "\n".join(out)


def example_files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.sql"))


def _examples() -> str:
    out = ["## Ten questions answered in SQL", "",
           "Each query is a file in `sql/examples/`; paste it into any read-only session.", ""]
    for path in example_files():
        text = path.read_text(encoding="utf-8").strip()
        first, _, body = text.partition("\n")
        title = first.removeprefix("--").strip()
        out += [f"### {path.stem[:2]}. {title[:1].upper() + title[1:]}", "", "```sql", body.strip(), "```", ""]
    return "\n".join(out)


def render_warehouse_readme(con: duckdb.DuckDBPyConnection) -> str:
    """The README text for the warehouse `con` is connected to (its dictionary must have been built)."""
    parts = [
        "# The Keep it Local warehouse\n\n"
        "Generated by `pipelines.marts.docs.write_warehouse_readme` from the warehouse's own data dictionary and "
        "`sql/examples/`; do not edit by hand.\n",
        LAYOUT, OPENING, DEFINITIONS, _table_sections(con), _parameters(), _examples(),
    ]
    return "\n".join(parts)


def write_warehouse_readme(con: duckdb.DuckDBPyConnection, path: str | Path) -> Path:
    """Write the README atomically (a reader never sees half a file) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(render_warehouse_readme(con), encoding="utf-8")
    tmp.replace(path)
    return path
