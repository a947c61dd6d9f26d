"""`keepitlocal sample generate OUT [--seed N]` and `keepitlocal sample serve WORLD [--port P]`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sample_command", metavar="ACTION", required=True)
    gen = sub.add_parser("generate", help="write the deterministic sample world to OUT")
    gen.add_argument("out", type=Path, help="directory to write the world into")
    gen.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same bytes)")
    serve = sub.add_parser("serve", help="serve a generated world on 127.0.0.1 until Ctrl-C")
    serve.add_argument("world", type=Path, help="a directory written by `sample generate`")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.add_argument("--edition", type=int, choices=(1, 2), default=1, help="which edition to serve")


def run(args: argparse.Namespace) -> int:
    if args.sample_command == "generate":
        from pipelines.sample.builder import generate

        started = time.perf_counter()
        truth = generate(args.out, args.seed)
        size = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
        print(f"sample world (seed {truth['seed']}) written to {args.out}: {len(truth['councils'])} councils, "
              f"{len(truth['files'])} spend files, {len(truth['suppliers'])} suppliers, "
              f"{size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
        return 0
    from pipelines.sample.server import SampleServer

    if not (args.world / "site_index.json").is_file():
        print(f"{args.world} is not a generated sample world (no site_index.json)")
        return 2
    with SampleServer(args.world, port=args.port) as server:
        server.edition = args.edition
        print(server.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
