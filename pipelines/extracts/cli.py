"""`keepitlocal extract`: write a release of researchers' extracts from the published warehouse.

    keepitlocal extract [--release ID] [--warehouse DIR] [--keep-last N | --keep-all] [--no-month-ends]

Releases beyond the retention policy (default: the last 7 and the last release of every month) are deleted
after the new one is in place; `latest` is never touched. Prints the release directory and a one-line summary. Exit 0 on success; 2 when there is no published
warehouse or when an explicit --release id already exists (releases are never overwritten).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import __version__
from pipelines.config import DEFAULT_WAREHOUSE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", metavar="ID",
                        help="release id (default: today's date, then -2, -3 ... if taken); an existing id is refused")
    parser.add_argument("--warehouse", metavar="DIR", default=str(DEFAULT_WAREHOUSE),
                        help=f"warehouse root holding the published file (default: {DEFAULT_WAREHOUSE})")
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--keep-last", metavar="N", type=int, default=7,
                      help="keep the newest N releases (default 7), besides every month's last")
    keep.add_argument("--keep-all", action="store_true", help="delete no old release")
    parser.add_argument("--no-month-ends", action="store_true",
                        help="do not keep each month's last release beyond the newest N")


def run(args: argparse.Namespace) -> int:
    # imported here so that `keepitlocal --help` does not load DuckDB and Polars
    from pipelines.extracts.build import (NoPublishedWarehouse, ReleaseExists, RetentionPolicy, build_release,
                                          release_inputs)
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(Path(args.warehouse))
    if not warehouse.published_path.is_file():
        print(f"keepitlocal extract: no published warehouse at {warehouse.published_path}; "
              "run the pipeline (keepitlocal run, or keepitlocal demo) to publish one first", file=sys.stderr)
        return 2
    try:
        retention = RetentionPolicy(keep_last=None if getattr(args, "keep_all", False) else getattr(args, "keep_last", 7),
                                    keep_month_ends=not getattr(args, "no_month_ends", False))
        version, sources = release_inputs(warehouse.published_path, default_version=__version__)
        release = build_release(warehouse.published_path, warehouse.extracts_target, args.release,
                                pipeline_version=version, sources=sources, retention=retention)
    except ReleaseExists as exc:
        print(f"keepitlocal extract: {exc}", file=sys.stderr)
        return 2
    except NoPublishedWarehouse as exc:
        print(f"keepitlocal extract: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a malformed --release id
        print(f"keepitlocal extract: {exc}", file=sys.stderr)
        return 2
    print(release.path)
    print(release.summary)
    return 0
