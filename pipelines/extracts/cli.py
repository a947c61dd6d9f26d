"""`keepitlocal extract`: write a release of researchers' extracts from the published warehouse.

    keepitlocal extract [--release ID] [--warehouse DIR]

Prints the release directory and a one-line summary. Exit 0 on success; 2 when there is no published
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


def run(args: argparse.Namespace) -> int:
    # imported here so that `keepitlocal --help` does not load DuckDB and Polars
    from pipelines.extracts.build import NoPublishedWarehouse, ReleaseExists, build_release, release_inputs
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(Path(args.warehouse))
    if not warehouse.published_path.is_file():
        print(f"keepitlocal extract: no published warehouse at {warehouse.published_path}; "
              "run the pipeline (keepitlocal run, or keepitlocal demo) to publish one first", file=sys.stderr)
        return 2
    try:
        version, sources = release_inputs(warehouse.published_path, default_version=__version__)
        release = build_release(warehouse.published_path, warehouse.extracts_dir, args.release,
                                pipeline_version=version, sources=sources)
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
