"""Time the sample world generator and report its size (target: < 10 s and < 30 MB)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pipelines.sample import generate


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        truth = generate(Path(tmp) / "world")
        elapsed = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    print(f"generate: {elapsed:.2f} s, {size / 1e6:.2f} MB, {len(truth['files'])} files, "
          f"{sum(f['rows'] for f in truth['files'])} rows")
    return 0 if elapsed < 10 and size < 30e6 else 1


if __name__ == "__main__":
    sys.exit(main())
