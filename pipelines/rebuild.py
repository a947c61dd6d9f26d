"""`keepitlocal rebuild spend|notices`: rebuild staging from the raw store alone, downloading nothing.

* `spend`: re-parse every stored spending file whose publication came from another parser version, and every
  body the parser set aside, then reload it (`pipelines.spend.rebuild`). `--all` re-parses every publication.
* `notices`: walk every landed notice page again into the notice staging tables.

Holds the warehouse like a nightly run does: it fails at once while another run is writing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.config import DEFAULT_WAREHOUSE, SourcesConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["spend", "notices"], help="which staging tables to rebuild")
    parser.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE), help="warehouse root (default: warehouse/)")
    parser.add_argument("--sources", default="", help="a SourcesConfig JSON file (for the council registry)")
    parser.add_argument("--all", action="store_true", help="spend: re-parse every publication, not only stale ones")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(args: argparse.Namespace) -> int:
    from pipelines.nightly import EXIT_BUSY
    from pipelines.runlock import WarehouseBusy, warehouse_run_lock
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(Path(args.warehouse).resolve())
    progress = (lambda m: print(m, file=sys.stderr)) if args.json else print
    try:
        with warehouse_run_lock(warehouse.root, f"rebuild {args.what}"):
            if args.what == "spend":
                from pipelines.spend.rebuild import reparse_spend

                stats = reparse_spend(warehouse, SourcesConfig.load(args.sources or None), everything=args.all,
                                      progress=progress)
            else:
                from pipelines.notices.ingest import rebuild_notice_staging

                with warehouse.connect() as con:
                    stats = rebuild_notice_staging(con, warehouse.raw_store)
                progress(f"rebuild notices: {stats}")
    except WarehouseBusy as exc:
        print(f"keepitlocal rebuild: {exc}", file=sys.stderr)
        return EXIT_BUSY
    if args.json:
        print(json.dumps(stats, sort_keys=True, default=str))
    return 0
