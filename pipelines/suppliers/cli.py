"""`keepitlocal match-suppliers INPUT.csv --out OUTPUT.csv [--warehouse PATH]`.

INPUT needs a `name` column; `council_gss`, `supplier_id`, `company_number`, `charity_number`, `vat_number`,
`postcode`, `amount` (and `creditor_type`) are used when present. OUTPUT keeps every input row, in order, with all
input columns, and adds supplier_key, canonical_name, org_id (empty if unresolved), org_type, org_type_basis,
org_type_confidence, match_method, match_score. Registers come from the published warehouse (opened read-only)
when there is one; without one, the reference lists the package ships type the names exactly as the nightly
job does. Like the CSV extracts, a text cell a spreadsheet would run as a formula (= + - @, a tab or a carriage
return first) is written with a leading `'` (numbers such as -5.00 are left alone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from pipelines.cli import input_problem
from pipelines.config import DEFAULT_WAREHOUSE
from pipelines.warehouse import PUBLISHED_NAME

USAGE_ERROR = 2
_FORMULA_START = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?[0-9][0-9,]*(\.[0-9]+)?$|^[+-]?\.[0-9]+$"


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading quote; numbers are left alone."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    risky = {c: pl.col(c).str.contains(_FORMULA_START) & ~pl.col(c).str.contains(_NUMBER) for c in text}
    return frame.with_columns([pl.when(risky[c]).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="CSV with a `name` column")
    parser.add_argument("--out", type=Path, required=True, help="where to write the matched CSV")
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help=f"DuckDB file whose reference registers to match against (default: {DEFAULT_WAREHOUSE / PUBLISHED_NAME} if present)",
    )
    parser.add_argument("--no-registers", action="store_true", help="match from names and identifiers only")


def match_frame(frame: pl.DataFrame, con=None) -> pl.DataFrame:
    """The matcher behind the command: resolve and type every row of `frame` (a `name` column and optional ids)."""
    from pipelines.suppliers.resolve import resolve_suppliers

    return resolve_suppliers(frame, con)


def run(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.suppliers.resolve import OUTPUT_COLUMNS

    if problem := input_problem(args.input):
        print(f"match-suppliers: {problem}", file=sys.stderr)
        return USAGE_ERROR
    try:
        # Text in, text out: identifiers keep their leading zeros and nothing is re-typed.
        frame = pl.read_csv(args.input, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError) as exc:
        print(f"match-suppliers: cannot read {args.input} as CSV: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if "name" not in frame.columns:
        print(f"match-suppliers: {args.input} has no `name` column (columns: {', '.join(frame.columns)})", file=sys.stderr)
        return USAGE_ERROR
    clashes = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    if clashes:
        print(f"match-suppliers: input already has output column(s) {', '.join(clashes)}", file=sys.stderr)
        return USAGE_ERROR

    warehouse = args.warehouse
    if warehouse is None and not args.no_registers:
        default = DEFAULT_WAREHOUSE / PUBLISHED_NAME
        warehouse = default if default.is_file() else None
    if warehouse is not None and not Path(warehouse).is_file():
        print(f"match-suppliers: warehouse file not found: {warehouse}", file=sys.stderr)
        return USAGE_ERROR

    con = duckdb.connect(str(warehouse), read_only=True) if warehouse is not None and not args.no_registers else None
    try:
        resolved = match_frame(frame, con)
    finally:
        if con is not None:
            con.close()
    out = pl.concat([frame, resolved.select(OUTPUT_COLUMNS)], how="horizontal")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    formula_safe(out).write_csv(args.out)
    resolved_rows = int((resolved["org_id"] != "").sum())
    source = f"registers of {warehouse}" if con is not None else "no registers"
    print(f"match-suppliers: {out.height} rows, {resolved_rows} with an org_id, {resolved['supplier_key'].n_unique()} suppliers ({source}) -> {args.out}")
    return 0
