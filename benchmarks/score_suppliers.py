"""Score supplier grouping and typing against the hand-labelled real payee names (not in `make test`).

    .venv/bin/python benchmarks/score_suppliers.py [--part dev|holdout|all] [--with-ids] [--errors N]
                                                   [--labels benchmarks/data/supplier_labels.csv]
                                                   [--corpus ../shared/corpus] [--json OUT.json]

For every labelled name the scorer parses the corpus file it cites with the project's own parser, checks the
name still occurs there (a label whose name is gone is an error, not a skip) and sums the money paid to it.
Then it runs the supplier matcher exactly as `keepitlocal match-suppliers` does with no warehouse (only the
reference data the package ships) on the names, each with its council (the file's folder), and reports per
part:

* grouping: B-cubed precision, recall and F1 of `supplier_key` against the labelled organisations;
* `org_type` accuracy by count and by money (|sum of the name's amounts|), overall and per labelled type,
  side by side with a plain keyword baseline measured on the same names.

`--with-ids` also passes the supplier id, VAT number and creditor type the file gives for the name.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "benchmarks" / "data" / "supplier_labels.csv"
CORPUS = ROOT.parent / "shared" / "corpus"
TYPES = ["company", "charity", "cic", "public_body", "individual", "redacted", "other", "unknown"]


def corpus_rows(corpus: Path, files: list[str]) -> pl.DataFrame:
    """Every parsed row of the cited files: file, name (trimmed), amount, supplier_id, vat_number, creditor_type."""
    from pipelines.spend.parse import parse_spend

    frames = []
    for rel in sorted(set(files)):
        path = corpus / rel
        if not path.is_file():
            raise SystemExit(f"labelled file missing from the corpus: {rel}")
        result = parse_spend(path.read_bytes(), filename=path.name)
        rows = result.rows
        if rows is None or rows.height == 0:
            raise SystemExit(f"the parser read no rows from {rel}: {getattr(result, 'reason', '')}")

        def col(name: str) -> pl.Expr:
            return pl.col(name).cast(pl.String) if name in rows.columns else pl.lit(None, dtype=pl.String)

        frames.append(rows.select(
            file=pl.lit(rel),
            name=col("supplier_name").str.strip_chars(),
            amount=pl.col("amount"),
            supplier_id=col("supplier_id"),
            vat_number=col("supplier_vat_reg"),
            creditor_type=col("creditor_type"),
        ))
    return pl.concat(frames, how="vertical_relaxed")


def keyword_baseline(name: str) -> str:
    """A plain keyword rule, the yardstick the issue compares with."""
    n = f" {re.sub(r'[^A-Z0-9&]+', ' ', name.upper())} "
    if re.search(r" REDACTED | WITHHELD |^ THIRD PARTY ", n):
        return "redacted"
    if re.search(r" (LTD|LIMITED|PLC|LLP|CO) ", n):
        return "company"
    if re.search(r" CIC ", n):
        return "cic"
    if re.search(r" (COUNCIL|NHS|POLICE|CONSTABULARY|FIRE|UNIVERSITY|COLLEGE|SCHOOL|ACADEMY|DEPARTMENT|HMRC|MINISTRY|AUTHORITY|AGENCY|OFFICE) ", n):
        return "public_body"
    if re.search(r" (CHARITY|TRUST|FOUNDATION|SOCIETY|ASSOCIATION|CHURCH) ", n):
        return "charity"
    if re.search(r"^ (MR|MRS|MS|MISS|DR) ", n):
        return "individual"
    return "company"


def bcubed(pred: list[str], true: list[str]) -> tuple[float, float, float]:
    by_pred: dict[str, set[int]] = defaultdict(set)
    by_true: dict[str, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(pred, true)):
        by_pred[p].add(i)
        by_true[t].add(i)
    precision = recall = 0.0
    for i, (p, t) in enumerate(zip(pred, true)):
        both = len(by_pred[p] & by_true[t])
        precision += both / len(by_pred[p])
        recall += both / len(by_true[t])
    n = len(pred)
    precision, recall = precision / n, recall / n
    return precision, recall, 2 * precision * recall / (precision + recall)


def match(frame: pl.DataFrame) -> pl.DataFrame:
    """The matcher as `keepitlocal match-suppliers` runs it without a warehouse."""
    from pipelines.suppliers.cli import match_frame

    return match_frame(frame, None)


def score(part: pl.DataFrame, typed: pl.DataFrame) -> dict:
    out: dict = {"names": part.height, "organisations": part["organisation"].n_unique()}
    p, r, f = bcubed(typed["supplier_key"].to_list(), part["organisation"].to_list())
    out["grouping"] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
    frame = part.with_columns(
        predicted=typed["org_type"], baseline=part["name"].map_elements(keyword_baseline, return_dtype=pl.String),
        weight=part["money"].abs(),
    )

    def accuracy(sub: pl.DataFrame, col: str) -> tuple[float, float]:
        hit = sub[col] == sub["org_type"]
        money = sub["weight"].sum()
        by_money = float(sub.filter(hit)["weight"].sum() / money) if money else float("nan")
        return round(float(hit.mean()), 4), round(by_money, 4)

    out["type_accuracy"] = dict(zip(("count", "money"), accuracy(frame, "predicted")))
    out["baseline_accuracy"] = dict(zip(("count", "money"), accuracy(frame, "baseline")))
    out["per_type"] = {}
    for t in TYPES:
        sub = frame.filter(pl.col("org_type") == t)
        if sub.height:
            count, money = accuracy(sub, "predicted")
            b_count, _ = accuracy(sub, "baseline")
            predicted = dict(sub.group_by("predicted").len().sort("len", descending=True).iter_rows())
            out["per_type"][t] = {"n": sub.height, "count": count, "money": money, "baseline_count": b_count, "predicted_as": predicted}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--part", choices=["dev", "holdout", "all"], default="all")
    parser.add_argument("--with-ids", action="store_true", help="also pass supplier id, VAT number and creditor type")
    parser.add_argument("--errors", type=int, default=0, help="print up to N mistyped names per part")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    labels = pl.read_csv(args.labels, infer_schema=False)
    if args.part != "all":
        labels = labels.filter(pl.col("part") == args.part)
    started = time.perf_counter()
    rows = corpus_rows(args.corpus, labels["file"].to_list())
    per_name = rows.group_by("file", "name").agg(
        money=pl.col("amount").sum().cast(pl.Float64),
        supplier_id=pl.col("supplier_id").drop_nulls().first(),
        vat_number=pl.col("vat_number").drop_nulls().first(),
        creditor_type=pl.col("creditor_type").drop_nulls().first(),
    )
    labelled = labels.join(per_name, on=["file", "name"], how="left")
    missing = labelled.filter(pl.col("money").is_null())
    if missing.height:
        for r in missing.head(20).iter_rows(named=True):
            print(f"NOT IN CORPUS: {r['name']!r} in {r['file']}", file=sys.stderr)
        print(f"{missing.height} labelled names no longer occur in the files they cite", file=sys.stderr)
        return 1
    parse_s = time.perf_counter() - started

    report: dict = {"labels": str(args.labels), "with_ids": args.with_ids, "parts": {}}
    for part_name in sorted(labelled["part"].unique().to_list()):
        part = labelled.filter(pl.col("part") == part_name)
        frame = part.select(name="name", council_gss=pl.col("file").str.extract(r"^[^/]+/([^/]+)/", 1))
        if args.with_ids:
            frame = frame.with_columns(part.select("supplier_id", "vat_number", "creditor_type"))
        t0 = time.perf_counter()
        typed = match(frame)
        result = score(part, typed)
        result["match_seconds"] = round(time.perf_counter() - t0, 2)
        report["parts"][part_name] = result
        if args.errors:
            wrong = part.with_columns(predicted=typed["org_type"], key=typed["supplier_key"], basis=typed.get_column("org_type_basis") if "org_type_basis" in typed.columns else pl.lit("")).filter(pl.col("predicted") != pl.col("org_type"))
            print(f"--- {part_name}: {wrong.height} mistyped")
            for r in wrong.sort("org_type").head(args.errors).iter_rows(named=True):
                print(f"  {r['org_type']:>11} <- {r['predicted']:<11} {r['basis']:<22} {r['name']}  [{r['money']:.0f}]")
    report["parse_seconds"] = round(parse_s, 1)

    for part_name, r in report["parts"].items():
        g, a, b = r["grouping"], r["type_accuracy"], r["baseline_accuracy"]
        print(f"\n== {part_name}: {r['names']} names, {r['organisations']} organisations (matched in {r['match_seconds']} s)")
        print(f"grouping B-cubed  precision {g['precision']:.3f}  recall {g['recall']:.3f}  F1 {g['f1']:.3f}")
        print(f"org_type accuracy count {a['count']:.3f}  money {a['money']:.3f}   (keyword baseline: count {b['count']:.3f}, money {b['money']:.3f})")
        print(f"{'type':>12} {'n':>5} {'count':>7} {'money':>7} {'baseline':>9}  predicted as")
        for t, v in r["per_type"].items():
            print(f"{t:>12} {v['n']:>5} {v['count']:>7.3f} {v['money']:>7.3f} {v['baseline_count']:>9.3f}  {v['predicted_as']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
