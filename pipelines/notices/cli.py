"""`keepitlocal parse-ocds PATH [--json] [--out DIR]`: flatten a local OCDS file.

PATH is a release package (`.json`), a record package, or a JSON Lines file of releases or packages
(`.jsonl`, optionally `.gz`). With `--json` one JSON object is printed with these keys:

  releases               release objects read
  distinct_release_ids   distinct release `id`s
  ocids                  distinct `ocid`s
  award_releases         releases whose `tag` contains "award"
  awards                 distinct (ocid, award id) across award releases, each kept from its latest-`date` release
  award_supplier_pairs   award x supplier reference on those kept awards
  sum_award_value_gbp    sum of `value.amount` of the kept awards in GBP (decimal string, 2 places)
  suppliers_sme / suppliers_large / suppliers_vcse_true
                         distinct supplier party ids (parties referenced by `awards[].suppliers[]`) whose
                         `details.scale` is "sme" / "large", or `details.vcse` is true
  suppliers_with_gb_coh  distinct supplier parties with a GB-COH identifier or additional identifier
  buyers                 distinct buyer names

Exit 0 on success, 3 on unreadable input (message on stderr), 2 on usage errors. `--out DIR` writes the
deduplicated releases, awards and award suppliers as parquet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.cli import input_problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a .json package or a .jsonl / .jsonl.gz file")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument("--out", metavar="DIR", help="write the flattened tables as parquet into DIR")
    parser.add_argument("--source", default="file", help="source label for the rows (default: file)")


def run(args: argparse.Namespace) -> int:
    from pipelines.notices.flatten import figures, latest, walk
    from pipelines.notices.read import UnreadableInput, read_path

    path = Path(args.path)
    if problem := input_problem(path):
        print(f"keepitlocal parse-ocds: {problem}", file=sys.stderr)
        return 2
    try:
        frames = walk((args.source, release, None) for release in read_path(path))
    except UnreadableInput as exc:
        print(f"keepitlocal parse-ocds: {path}: {exc}", file=sys.stderr)
        return 3
    result = figures(frames)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in latest(frames).items():
            frame.drop("page_sha256", "has_gb_coh", strict=False).write_parquet(out / f"{name}.parquet")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"{path.name}: {result['releases']} releases ({result['award_releases']} award), "
              f"{result['awards']} awards worth £{result['sum_award_value_gbp']}, "
              f"{result['award_supplier_pairs']} award-supplier pairs, {result['buyers']} buyers")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="parse-ocds")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
