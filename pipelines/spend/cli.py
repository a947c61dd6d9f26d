"""`keepitlocal parse-spend PATH [--council GSS] [--json] [--out rows.parquet]`: parse one local spending file.

Exit codes: 0 = parsed as spend, 3 = rejected (quarantine reason printed), 2 = usage error (missing file, bad
flags). `--json` prints one JSON object (sorted keys, so the output is identical on every run):

* `kind` ("spend" | "rejected"), `reason_code` and `reason` (null for spend files);
* `rows`: payment-line records over every sheet / ZIP member (credits, zero rows and below-threshold rows
  included; blank, total, summary, note and repeated-header rows are not: they are counted in `dropped_rows`);
* `rows_in`: every record read (preamble, header, blank, total and payment rows alike) and
  `dropped_by_reason` ({reason: records}); `rows_in == rows + dropped_rows` and `dropped_rows` is the sum of
  `dropped_by_reason` (flagged lines are inside `rows`, never dropped);
* `mapping`: canonical field -> {"header", "basis" (alias | registry | fuzzy | content), "score"} (per sheet
  when sheets differ, like `header`, and per table, "Sheet (rows 2745-2910)", when a sheet stacks tables under
  headers of their own); `amount_basis`: net | gross | unknown;
* `net_total` (decimal string, 2 places), `min_date`, `max_date` (ISO or null);
* `redacted_rows`: rows whose `redaction_kind` is not `none`. **This includes `unlabelled_blank`** (no payee
  at all), matching the metric `individual_redacted_share` where "redacted includes blank payee";
  `redaction_kinds` gives the count per kind so a blank-free figure is one subtraction away;
* `encoding`, `format`, `sheets`, `header` (raw header -> canonical field, per sheet when sheets differ),
  `warnings`, `grain`, `declared_total` / `declared_total_reconciled`, `below_threshold_rows`,
  `flagged_rows`, `publication_id`, `parser_version`.

`--out` writes the staging.spend_lines rows as parquet (amounts stay decimal(18,2)).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

from pipelines.cli import input_problem

GSS = re.compile(r"^[EWSN]\d{8}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a spending file (CSV, XLSX, XLS, ODS or ZIP; the format is sniffed)")
    parser.add_argument("--council", metavar="GSS", help="the council's GSS code, e.g. E10000008")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("--out", metavar="ROWS.parquet", help="write the parsed rows to this parquet file")
    parser.add_argument("--threshold", help="the publisher's threshold in pounds (default 500; 'none' = no floor)")


def summary(result) -> dict:
    """The JSON-able summary of a SpendParseResult (also used by the benchmark)."""

    from pipelines.spend.parse import PARSER_VERSION

    rows = result.rows
    spend = result.kind == "spend"
    dates = rows.get_column("payment_date").drop_nulls() if spend else None
    net = rows.get_column("amount").sum() if spend and rows.height else Decimal("0")
    kinds = {}
    if spend and rows.height:
        kinds = dict(rows.group_by("redaction_kind").len().sort("redaction_kind").iter_rows())
    return {
        "kind": result.kind,
        "reason_code": result.reason_code,
        "reason": result.reason,
        "rows": rows.height if spend else 0,
        "net_total": f"{Decimal(net or 0).quantize(Decimal('0.01'))}",
        "min_date": dates.min().isoformat() if spend and dates.len() else None,
        "max_date": dates.max().isoformat() if spend and dates.len() else None,
        "redacted_rows": sum(v for k, v in kinds.items() if k != "none"),
        "redaction_kinds": kinds,
        "below_threshold_rows": int(rows.get_column("below_threshold").sum()) if spend and rows.height else 0,
        "flagged_rows": int(rows.get_column("row_flags").is_not_null().sum()) if spend and rows.height else 0,
        "dropped_rows": sum((result.dropped_by_reason or {}).values()) if spend else 0,
        "rows_in": result.rows_in if spend else 0,
        "dropped_by_reason": dict(result.dropped_by_reason or {}) if spend else {},
        "mapping": result.mapping if spend else {},
        "amount_basis": result.amount_basis if spend else None,
        "encoding": result.encoding,
        "format": result.format,
        "sheets": list(result.sheets),
        "header": result.header,
        "warnings": list(result.warnings),
        "grain": result.grain,
        "declared_total": None if result.declared_total is None else f"{result.declared_total:.2f}",
        "declared_total_reconciled": result.declared_total_reconciled,
        "publication_id": result.publication_id,
        "parser_version": PARSER_VERSION,
    }


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if problem := input_problem(path):
        print(f"parse-spend: {problem}", file=sys.stderr)
        return 2
    if args.council and not GSS.match(args.council):
        print(f"parse-spend: --council must be a GSS code like E10000008, not {args.council!r}", file=sys.stderr)
        return 2
    hints = {}
    if args.threshold is not None:
        if args.threshold.lower() != "none" and not re.fullmatch(r"\d+(\.\d+)?", args.threshold):
            print(f"parse-spend: --threshold must be a number or 'none', not {args.threshold!r}", file=sys.stderr)
            return 2
        hints["threshold"] = None if args.threshold.lower() == "none" else args.threshold
    from pipelines.spend.parse import parse_spend

    result = parse_spend(path, filename=path.name, council_gss=args.council, hints=hints)
    info = summary(result)
    if args.out and result.kind == "spend":
        result.rows.write_parquet(args.out)
    if args.json:
        print(json.dumps(info, sort_keys=True, ensure_ascii=False))
    elif result.kind == "spend":
        print(f"{path.name}: spend ({info['grain']}), {info['rows']} rows, net {info['net_total']}, "
              f"dates {info['min_date']}..{info['max_date']}, {info['redacted_rows']} redacted, "
              f"encoding {info['encoding']}, sheets {', '.join(info['sheets'])}")
        for warning in info["warnings"]:
            print(f"  warning: {warning}")
    else:
        print(f"{path.name}: rejected ({info['reason_code']}): {info['reason']}")
    return 0 if result.kind == "spend" else 3
