"""Benchmark of the spend parser, side by side with plain readers of the same bytes (not part of `make test`).

Four modes:

* `scale` (default): a real corpus file (default: Leeds, June 2020, cp1252, 16k lines) and the same file with
  its data rows repeated to about 50 MB and 200 MB, generated in a temporary folder. For each file, each of
  these runs in its own child process, which reports its own time and its own peak RSS (VmHWM, so the size of
  the forking parent is never counted):
    - `parse_spend`: the product's parser (`pipelines.spend.parse.parse_spend`) on the file's path, as the
      nightly and `parse-spend` call it, with the default allocator settings;
    - `parse_spend(worker)`: the same, with the allocator setting the `keepitlocal` command and the nightly's
      parse workers run with (`pipelines.allocator`: Polars' allocator with one arena and freed memory
      returned after 50 ms, the C library's with one arena);
    - `polars`: `pl.read_csv(path, infer_schema=False)` (all columns as strings), utf-8 else windows-1252;
    - `duckdb`: `read_csv(..., all_varchar=true)` into a Polars frame (latin-1 for non-UTF-8 bytes: DuckDB has
      no cp1252 without an extension);
    - `pandas`: a typical clean-up script on the file's bytes (read as strings, strip, amounts and dates typed,
      blank rows dropped). pandas is only in the `bench` extra (`pip install -e '.[bench]'`); skipped when
      absent.
  Prints a table with time and RSS ratios (time against the Polars read, RSS against the file size).
* `corpus`: every file of the corpus, best of three, with its outcome (the per-file regression view).
* `profile`: cProfile of one `parse_spend` call on the largest generated file, top functions by own and
  cumulative time.
* `compare`: old against new. Every spend file of the corpus (`spend/` and `spend_series/`, read in place),
  plus the scaled source files of `--sizes`, parsed by the code of a git revision (`--ref`, default `main`,
  exported to a temporary folder) and by this checkout, each in its own process; every field of the result
  (rows and dropped rows with their schema, row accounting, mapping, header, warnings, reasons, encoding,
  totals) must be identical. Exit 1 on any difference.

`scale --baseline REV` adds `parse_spend@REV`, the parser of another git revision, interleaved with the rest
(before/after in one run).

Run: .venv/bin/python benchmarks/parse_spend.py [scale|corpus|profile|compare] [--source FILE] [--sizes 50,200]
     [--ref REV] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "spend"
DEFAULT_SOURCE = CORPUS / "leeds" / "2020-06.csv"
WORKER_TOOL = "parse_spend(worker)"
TOOLS = ("parse_spend", WORKER_TOOL, "polars", "duckdb", "pandas")
# the lean allocator settings (pipelines.allocator), as literals: a baseline revision may not have them
WORKER_ALLOCATOR = {"_RJEM_MALLOC_CONF": "narenas:1,dirty_decay_ms:50,muzzy_decay_ms:0", "MALLOC_ARENA_MAX": "1"}


# --- children: each does one job on one file and prints {"seconds": s, "rows": n, "peak_kib": k} -------------

def _own_peak_kib() -> int:
    """This process's high-water RSS since exec; wait4's ru_maxrss would also count the forking parent's image."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _child(tool: str, path: str, columns: str) -> None:
    if tool == "noop":
        import duckdb  # noqa: F401  (the interpreter with the libraries loaded: the RSS floor)
        import polars  # noqa: F401

        print(json.dumps({"seconds": 0.0, "rows": 0, "peak_kib": _own_peak_kib()}))
        return
    # Each tool starts from what it naturally reads: the parser and the readers a path, the pandas script the
    # bytes (read before the clock starts; they count in its peak, as they would in the script). Libraries are
    # imported before the clock starts too (Polars alone takes ~0.14 s to import): the clock times the work.
    _import_for(tool)
    start = time.perf_counter()
    if tool == "parse_spend":
        from pipelines.spend import readers
        from pipelines.spend.parse import parse_spend

        result = parse_spend(_parser_input(readers, path), filename=Path(path).name)
        rows = result.rows.height
        assert result.kind == "spend", result.reason
    elif tool == "polars":
        import polars as pl

        try:
            frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
        except pl.exceptions.ComputeError:
            frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True, encoding="windows-1252")
        rows = frame.height
    elif tool == "duckdb":
        import codecs

        import duckdb

        encoding = "utf-8"
        with open(path, "rb") as handle:
            decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                while piece := handle.read(1 << 20):
                    decoder.decode(piece)
            except UnicodeDecodeError:
                encoding = "latin-1"
        con = duckdb.connect()
        frame = con.sql("select * from read_csv($path, all_varchar = true, encoding = $encoding)",
                        params={"path": path, "encoding": encoding}).pl()
        rows = frame.height
    elif tool == "pandas":
        data = Path(path).read_bytes()
        start = time.perf_counter()
        rows = _pandas_script(data, json.loads(columns))
    else:
        raise SystemExit(f"unknown tool {tool}")
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "peak_kib": _own_peak_kib()}))


def _parser_input(readers, path: str):
    """What the parser is given: the file's path, as the nightly reads stored files, or its bytes for a revision
    (a `--baseline` or `--ref`) from before the parser read paths, as its callers did then."""
    return Path(path) if hasattr(readers, "source_size") else Path(path).read_bytes()


def _import_for(tool: str) -> None:
    import importlib

    modules = {"parse_spend": ["numpy", "pipelines.spend.parse"], "polars": ["polars"], "duckdb": ["duckdb", "polars"],
               "pandas": ["pandas"]}
    for name in modules.get(tool, []):
        importlib.import_module(name)


def _pandas_script(data: bytes, columns: dict) -> int:
    """What an analyst would write for one known file layout: strings in, typed amount and date out."""
    import io

    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="cp1252")
    for name in frame.columns:
        frame[name] = frame[name].str.strip()
    frame = frame[(frame != "").any(axis=1)]
    amount = frame[columns["amount"]].str.replace(r"[£,\s]", "", regex=True)
    amount = amount.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    frame["amount"] = pd.to_numeric(amount, errors="coerce").round(2)
    frame["payment_date"] = pd.to_datetime(frame[columns["payment_date"]], format="%d/%m/%Y", errors="coerce")
    frame["supplier_name"] = frame[columns["supplier_name"]].str.replace(r"\s+", " ", regex=True)
    return len(frame)


BASELINES: dict[str, Path] = {}  # "parse_spend@REV" -> a folder holding that revision's pipelines/ and sql/


def _export(ref: str, folder: Path) -> Path:
    """The parser code (pipelines/, sql/) of git revision `ref`, extracted into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", ref, "pipelines", "sql"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    _compile(folder)
    return folder


def _compile(root: Path) -> None:
    """Byte-compile a tree's `pipelines` once, as a checkout is after its first run: no child then spends its
    clock compiling the modules it imports."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "pipelines")], check=True,
                   stdout=subprocess.DEVNULL)


def _measure(tool: str, path: Path, columns: dict) -> dict:
    """Run one child; it reports its own time and peak RSS. `parse_spend@REV` runs the parser of that
    revision (same child code, that revision's `pipelines` first on the path)."""
    root = BASELINES.get(tool, ROOT)
    child_tool = "parse_spend" if tool in BASELINES or tool == WORKER_TOOL else tool
    env = {**os.environ, "PYTHONPATH": str(root)}
    for name in WORKER_ALLOCATOR:
        env.pop(name, None)
    if tool == WORKER_TOOL:  # the parser as the nightly's parse workers run it (their allocator settings)
        env.update(WORKER_ALLOCATOR)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "child", child_tool, str(path), json.dumps(columns)],
                          capture_output=True, cwd=root, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        return {"error": proc.stderr.decode(errors="replace")[-400:], "wall": wall, "rss_mb": float("nan")}
    info = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    info.update(wall=wall, rss_mb=info.pop("peak_kib") / 1024)
    return info


# --- inputs -------------------------------------------------------------------------------------------------

def _repeated(source: Path, target_mb: int, folder: Path) -> Path:
    """The header line, then the source's data rows (blank trailing rows left out) repeated to ~target_mb."""
    data = source.read_bytes()
    newline = b"\r\n" if b"\r\n" in data[:65536] else b"\n"
    header, _, body = data.partition(newline)
    lines = body.split(newline)
    while lines and not lines[-1].strip(b", \t\r"):
        lines.pop()
    block = newline.join(lines) + newline
    copies = max(1, round(target_mb * 1_000_000 / len(block)))
    path = folder / f"{source.stem}-x{copies}.csv"
    with path.open("wb") as fh:
        fh.write(header + newline)
        for _ in range(copies):
            fh.write(block)
    return path


def _columns_of(source: Path) -> dict:
    """Raw headers of the amount, payment date and supplier columns, for the pandas script."""
    from pipelines.spend.parse import parse_spend

    result = parse_spend(source, filename=source.name)
    header = result.header if all(isinstance(v, str) for v in result.header.values()) else next(iter(result.header.values()))
    wanted = {}
    for raw, field in header.items():
        if field in ("amount", "payment_date", "supplier_name") and field not in wanted:
            wanted[field] = raw
    return wanted


# --- old against new -----------------------------------------------------------------------------------------

SCALAR_FIELDS = ("kind", "reason_code", "reason", "encoding", "sheets", "header", "warnings", "grain",
                 "declared_total", "declared_total_reconciled", "format", "publication_id", "rows_in",
                 "dropped_by_reason", "mapping", "amount_basis")


def corpus_spend_files(root: Path = CORPUS.parent) -> list[Path]:
    """Every spend file of the corpus: council files (spend/) and the monthly series (spend_series/)."""
    return sorted(p for folder in ("spend", "spend_series") for p in (root / folder).rglob("*")
                  if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def _dump(out: Path, batch_bytes: int, council: str | None, paths: list[str]) -> None:
    """Child of `compare`: parse each file with whatever `pipelines` is first on the path (text read
    `batch_bytes` at a time when not 0 and that code has the limit); write its fields (JSON) and frames
    (parquet) under out/<index>."""
    from pipelines.spend import readers
    from pipelines.spend.parse import parse_spend

    limits = readers.ParserLimits(read_batch_bytes=batch_bytes) if batch_bytes else None
    for index, path in enumerate(paths):
        result = parse_spend(_parser_input(readers, path), filename=Path(path).name, limits=limits, council_gss=council)
        fields = {name: getattr(result, name) for name in SCALAR_FIELDS}
        fields["declared_total"] = str(fields["declared_total"])
        fields["schema"] = [f"{k}:{v}" for k, v in result.rows.schema.items()]
        (out / f"{index}.json").write_text(json.dumps(fields, sort_keys=True, default=str), encoding="utf-8")
        result.rows.write_parquet(out / f"{index}.rows.parquet")
        result.dropped_rows.write_parquet(out / f"{index}.dropped.parquet")


def _differences(old: Path, new: Path, index: int) -> list[str]:
    import polars as pl

    found = []
    a = json.loads((old / f"{index}.json").read_text(encoding="utf-8"))
    b = json.loads((new / f"{index}.json").read_text(encoding="utf-8"))
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            found.append(f"{key}: {str(a.get(key))[:200]!r} != {str(b.get(key))[:200]!r}")
    for part in ("rows", "dropped"):
        x = pl.read_parquet(old / f"{index}.{part}.parquet")
        y = pl.read_parquet(new / f"{index}.{part}.parquet")
        if x.schema != y.schema or x.height != y.height:
            found.append(f"{part}: schema/height {x.height} vs {y.height}")
        elif not x.equals(y, null_equal=True):
            bad = [c for c in x.columns if not x.get_column(c).equals(y.get_column(c), null_equal=True)]
            found.append(f"{part}: values differ in {bad}")
    return found


def compare(ref: str, sizes: list[int], source: Path, batch_bytes: int = 0, council: str | None = None) -> int:
    """Old (git `ref`) against new (this checkout, reading text `batch_bytes` at a time when given: small
    batches put batch edges everywhere) on every corpus spend file and the scaled source files."""
    with tempfile.TemporaryDirectory(prefix="parse-compare-") as tmp:
        tmp_path = Path(tmp)
        old_root = _export(ref, tmp_path / "old")
        files = corpus_spend_files() + [_repeated(source, mb, tmp_path) for mb in sizes]
        outputs = {}
        for label, root in (("old", old_root), ("new", ROOT)):
            out = tmp_path / label
            out.mkdir(exist_ok=True)
            started = time.perf_counter()
            batch = str(batch_bytes if label == "new" else 0)
            subprocess.run([sys.executable, __file__, "dump", str(out), batch, council or "-", *map(str, files)], check=True,
                           cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
            print(f"{label} ({ref if label == 'old' else 'this checkout'}): {len(files)} files parsed in "
                  f"{time.perf_counter() - started:.1f} s")
            outputs[label] = out
        failures = 0
        for index, path in enumerate(files):
            found = _differences(outputs["old"], outputs["new"], index)
            shown = path.name if path.is_relative_to(tmp_path) else path.relative_to(CORPUS.parent)
            print(f"{'SAME' if not found else 'DIFFERENT':9s} {shown}")
            for line in found:
                print(f"          {line}")
            failures += bool(found)
    print(f"{len(files) - failures} of {len(files)} files identical")
    return 1 if failures else 0


# --- modes --------------------------------------------------------------------------------------------------

def scale(source: Path, sizes: list[int], tools: list[str], repeat: int = 3, baseline: str | None = None) -> int:
    if baseline:  # the parser of another revision, measured interleaved with this one (before/after)
        tools = ["parse_spend", f"parse_spend@{baseline}", *[t for t in tools if t != "parse_spend"]]
        BASELINES[tools[1]] = _export(baseline, Path(tempfile.mkdtemp(prefix="parse-baseline-")))
    try:
        import pandas  # noqa: F401
    except ImportError:
        if "pandas" in tools:
            print("pandas is not installed (pip install -e '.[bench]'): the pandas column is skipped")
            tools = [t for t in tools if t != "pandas"]
    _compile(ROOT)
    columns = _columns_of(source)
    print(f"best of {repeat} interleaved runs per tool; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} cpus; source {source}")
    floor = _measure("noop", source, columns)
    print(f"interpreter with polars+duckdb loaded: {floor['rss_mb']:.0f} MB RSS")
    header = (f"{'file':28s} {'MB':>7s} {'tool':20s} {'rows':>9s} {'seconds':>8s} {'x polars':>8s} {'peak MB':>8s} "
              f"{'x file':>7s} {'net x file':>10s}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="parse-bench-") as tmp:
        files = [source] + [_repeated(source, mb, Path(tmp)) for mb in sizes]
        for path in files:
            size_mb = path.stat().st_size / 1e6
            # Round-robin repeats, best time and highest peak per tool: on a shared, loaded machine one run per
            # tool compares moments of different load; the minimum of interleaved runs compares the tools.
            results: dict[str, dict] = {}
            for _ in range(repeat):
                for tool in tools:
                    r = _measure(tool, path, columns)
                    best = results.get(tool)
                    if best is None or "error" in r:
                        results[tool] = r
                    elif "error" not in best:
                        best["seconds"] = min(best["seconds"], r["seconds"])
                        best["rss_mb"] = max(best["rss_mb"], r["rss_mb"])
            polars_s = results.get("polars", {}).get("seconds")
            for tool in tools:
                r = results[tool]
                if "error" in r:
                    print(f"{path.name[:28]:28s} {size_mb:7.1f} {tool:20s} ERROR {r['error']!r}")
                    continue
                ratio = f"{r['seconds'] / polars_s:8.1f}" if polars_s else f"{'-':>8s}"
                net = (r["rss_mb"] - floor["rss_mb"]) / size_mb  # above the interpreter with the libraries loaded
                print(f"{path.name[:28]:28s} {size_mb:7.1f} {tool:20s} {r['rows']:9d} {r['seconds']:8.2f} {ratio} "
                      f"{r['rss_mb']:8.0f} {r['rss_mb'] / size_mb:7.1f} {net:10.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def corpus(folder: Path = CORPUS, repeats: int = 3) -> int:
    from pipelines.spend.cli import summary
    from pipelines.spend.parse import parse_spend

    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
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
        print(f"{str(path.relative_to(folder)):66s} {kind:32s} {info['rows']:6d} {info['net_total']:>15s} "
              f"{len(data):9d} {best:8.3f}")
    return 0


def profile(source: Path, size_mb: int) -> int:
    import cProfile
    import pstats

    from pipelines.spend.parse import parse_spend

    with tempfile.TemporaryDirectory(prefix="parse-bench-") as tmp:
        path = _repeated(source, size_mb, Path(tmp)) if size_mb else source
        print(f"profile of parse_spend on {path.name} ({path.stat().st_size / 1e6:.1f} MB), read from its path")
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        result = parse_spend(path, filename=path.name)
        profiler.disable()
        print(f"{result.kind}, {result.rows.height} rows in {time.perf_counter() - start:.2f} s")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(r"pipelines/spend", 30)
        stats.sort_stats("tottime").print_stats(15)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "child":
        _child(argv[1], argv[2], argv[3])
        return 0
    if argv and argv[0] == "dump":
        _dump(Path(argv[1]), int(argv[2]), None if argv[3] == "-" else argv[3], argv[4:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="scale", choices=["scale", "corpus", "profile", "compare"])
    parser.add_argument("--ref", default="main", help="compare: the git revision whose parser is the baseline")
    parser.add_argument("--council", help="compare: parse every file as this council's (GSS code)")
    parser.add_argument("--baseline", help="scale: also measure the parser of this git revision (before/after)")
    parser.add_argument("--batch-bytes", type=int, default=0,
                        help="compare: the new parser reads text this many bytes at a time (0 = its default)")
    parser.add_argument("--source", type=lambda text: Path(text).resolve(), default=DEFAULT_SOURCE,
                        help="a spend file (its absolute path is used: a --baseline runs from another folder)")
    parser.add_argument("--sizes", default="50,200", help="generated file sizes in MB, comma-separated")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per tool and file (best time kept)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.mode == "corpus":
        return corpus()
    if args.mode == "compare":
        return compare(args.ref, sizes, args.source, args.batch_bytes, args.council)
    if args.mode == "profile":
        return profile(args.source, sizes[-1] if sizes else 0)
    return scale(args.source, sizes, [t for t in args.tools.split(",") if t], args.repeat, args.baseline)


if __name__ == "__main__":
    sys.exit(main())
