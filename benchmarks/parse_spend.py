"""Time the spend parser on every corpus file (best of 3) and print file, kind, rows, net total, seconds.

Run: .venv/bin/python benchmarks/parse_spend.py [corpus_dir]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipelines.spend.cli import summary
from pipelines.spend.parse import parse_spend

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "spend"


def main(corpus: Path = DEFAULT_CORPUS, repeats: int = 3) -> int:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
    print(f"{'file':66s} {'kind / reason':32s} {'rows':>6s} {'net_total':>15s} {'bytes':>9s} {'seconds':>8s}")
    for path in files:
        data = path.read_bytes()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            result = parse_spend(data, filename=path.name)
            best = min(best, time.perf_counter() - start)
        info = summary(result)
        kind = info["kind"] if info["kind"] == "spend" else f"rejected:{info['reason_code']}"
        print(f"{str(path.relative_to(corpus)):66s} {kind:32s} {info['rows']:6d} {info['net_total']:>15s} "
              f"{len(data):9d} {best:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS))
