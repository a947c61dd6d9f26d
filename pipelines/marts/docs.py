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
from pipelines.config import PROJECT_ROOT
from pipelines.marts.build import DEFAULT_MART_PARAMS, MART_PARAMETER_DOCS
from pipelines.published import PUBLISHED_STORAGE_VERSION

# the committed warehouse/README.md describes the default location
DEFAULT_PUBLISHED = "warehouse/keepitlocal.duckdb"
PUBLISHED_NAME = "keepitlocal.duckdb"

EXAMPLES_DIR = sqlfiles.SQL_DIR / "examples"

LAYOUT = """\
## What lands in `{root}/`

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
con = duckdb.connect("{published}", read_only=True)
con.sql("select * from marts.keep_it_local_scorecard where period_grain = 'year'").pl()
```

```sh
pip install duckdb-cli      # the DuckDB CLI (1.5.x); any DuckDB from 1.4 on opens the file
duckdb -readonly {published}
```

```sql
-- from any DuckDB session, e.g. an in-memory one beside other data
attach '{published}' as kil (read_only);
select * from kil.marts.group_exposure limit 10;
```

The file is written in DuckDB storage format `{storage_version}`, so DuckDB 1.4 LTS, every 1.5.x (including the
CLI that `pip install duckdb-cli` gives) and 2.x open it.

**A long-running Python process** (a notebook, a web app): DuckDB caches one database per file path per process,
so a second `duckdb.connect(path, read_only=True)` while an earlier connection to the same path is still open
returns that earlier connection's snapshot, not the file a later publish put there. Close the old connection
first, or open each session fresh with `attach`, as `pipelines.published.connect_published(path)` does:

```python
con = duckdb.connect()                                   # a new in-memory session: no cached instance
con.execute("attach '{published}' as kil (read_only); use kil")
```
"""

DEFINITIONS = """\
## Definitions used everywhere

* **Current lines only**: for each council and period, the latest publication wins; lines of superseded
  publications stay in `staging` (history) but never reach `core.fact_payment`. A month republished after the
  annual file that covered it replaces that month's lines of the annual file. Identical lines are distinct
  payments: nothing is merged by content. Publications held back by a failed check are not in the release
  (`meta.publication_holds` says which and why).
* **Money** is `decimal(18,2)`, net of VAT, credits negative and included. **Shares** are percentages (0-100).
* **Financial year** is the UK one, 1 April to 31 March, written `2023-24`; quarters `Q1` = April to June.
  Undated lines take their publication's period start.
* **Metric definitions** (local authority / county / region, SME, VCSE, public, large private, individual or
  redacted, unresolved, unknown size / location) are those of `docs/architecture.md` "Metric definitions".
* **Lineage**: every payment carries `source_url`, `source_sha256` (the raw file under `raw/`), `sheet` and
  `row_number`; `payment_key` is the md5 of `council_gss` and those three.
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


def display_path(path: str | Path) -> str:
    """How the README names a file: relative to the project root when it is under it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def render_warehouse_readme(con: duckdb.DuckDBPyConnection, published: str = DEFAULT_PUBLISHED) -> str:
    """The README text for the warehouse `con` is connected to (its dictionary must have been built).

    `published` is the path the examples open (as the reader should type it).
    """
    root = published.rsplit("/", 1)[0] if "/" in published else "."
    parts = [
        "# The Keep it Local warehouse\n\n"
        "Generated by `pipelines.marts.docs.write_warehouse_readme` from the warehouse's own data dictionary and "
        "`sql/examples/`; do not edit by hand.\n",
        LAYOUT.format(root=root), OPENING.format(published=published, storage_version=PUBLISHED_STORAGE_VERSION), DEFINITIONS,
        _table_sections(con), _parameters(), _examples(),
    ]
    return "\n".join(parts)


def write_warehouse_readme(con: duckdb.DuckDBPyConnection, path: str | Path) -> Path:
    """Write the README atomically (a reader never sees half a file) and return its path.

    The examples open the published file beside it (`<README's folder>/keepitlocal.duckdb`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(render_warehouse_readme(con, display_path(path.parent / PUBLISHED_NAME)), encoding="utf-8")
    tmp.replace(path)
    return path
