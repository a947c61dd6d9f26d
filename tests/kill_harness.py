"""Run `keepitlocal ...` and SIGKILL the process at a chosen point, as a hard crash would (test use only).

    python -m tests.kill_harness POINT N keepitlocal-args...

POINT is where the process kills itself, on the Nth time it gets there:
* `fetch`: right after a council file was downloaded and recorded, before it is parsed or loaded;
* `parse`: as a council file starts to be parsed;
* `load`: inside a publication's load transaction, after its lines were inserted, before it commits;
* `publish`: after the build copy passed its checks, just before it is swapped onto the published file.
The production code is untouched: the harness wraps the functions before the command runs.
"""

from __future__ import annotations

import os
import signal
import sys


def _killer(n: int):
    count = {"n": 0}

    def tick() -> None:
        count["n"] += 1
        if count["n"] >= n:
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    return tick


def install(point: str, n: int) -> None:
    tick = _killer(n)
    if point == "fetch":
        # both ingestion paths record a fetch through fetch.record_fetch (fetch_file, and the parallel writer)
        from pipelines.spend import fetch

        real_record = fetch.record_fetch

        def record_fetch(con, link, outcome, *args, **kwargs):
            real_record(con, link, outcome, *args, **kwargs)
            source_kind = args[2] if len(args) > 2 else kwargs.get("source_kind", "council_file")
            if source_kind == "council_file" and outcome.ok and outcome.bytes is not None:
                tick()

        fetch.record_fetch = record_fetch
    elif point == "parse":
        from pipelines.spend import concurrent, parse

        real_parse = parse.parse_spend

        def parse_spend(*args, **kwargs):
            tick()
            return real_parse(*args, **kwargs)

        parse.parse_spend = parse_spend
        # the parallel path parses in worker processes: the run dies as it hands a file to a worker
        real_submit = concurrent.ParsePool.submit

        def submit(self, *args, **kwargs):
            tick()
            return real_submit(self, *args, **kwargs)

        concurrent.ParsePool.submit = submit
    elif point == "load":
        from pipelines import sqlfiles

        real_execute = sqlfiles.execute

        def execute(con, name, params=None):
            if name == "spend/insert_publication":
                tick()
            return real_execute(con, name, params)

        sqlfiles.execute = execute
    elif point == "publish":
        from pipelines import warehouse

        real_replace = warehouse.os.replace

        class _Os:
            def __getattr__(self, name):
                return getattr(os, name)

            @staticmethod
            def replace(src, dst):
                if str(dst).endswith(warehouse.PUBLISHED_NAME) and "build" not in str(dst):
                    tick()
                return real_replace(src, dst)

        warehouse.os = _Os()
    else:
        raise SystemExit(f"unknown kill point {point!r}")


if __name__ == "__main__":
    point, n, *args = sys.argv[1:]
    install(point, int(n))
    from pipelines.cli import main

    sys.exit(main(args))
