"""`keepitlocal parse-spend` through the installed console script: JSON keys, exit codes, stable output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl

SCRIPT = Path(sys.executable).with_name("keepitlocal")
KEYS = {"kind", "rows", "net_total", "min_date", "max_date", "redacted_rows", "encoding", "sheets", "header",
        "warnings", "reason"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "parse-spend", *args], capture_output=True, text=True, timeout=120)


def test_spend_file_json(corpus):
    path = corpus / "spend" / "lambeth" / "2012-06-payments.csv"
    first = run(str(path), "--json", "--council", "E09000022")
    assert first.returncode == 0, first.stderr
    info = json.loads(first.stdout)
    assert KEYS <= set(info)
    assert info["kind"] == "spend" and info["reason"] is None
    assert info["rows"] == 3155  # csv-module count, see test_spend_parse_corpus.py
    assert info["net_total"] == "40292334.84"
    assert (info["min_date"], info["max_date"]) == ("2010-10-20", "2012-06-29")
    assert info["header"]["Invoice Nett Amount"] == "amount"
    # row accounting and mapping evidence (CONTRACTS interface 1)
    assert info["rows_in"] == 3171
    assert info["dropped_by_reason"] == {"blank": 5, "header": 1, "preamble": 9, "total": 1}
    assert info["dropped_rows"] == sum(info["dropped_by_reason"].values())
    assert info["rows_in"] == info["rows"] + info["dropped_rows"]
    assert info["mapping"]["amount"] == {"header": "Invoice Nett Amount", "basis": "alias", "score": 1.0}
    assert info["amount_basis"] == "net"
    second = run(str(path), "--json", "--council", "E09000022")
    assert second.stdout == first.stdout


def test_zip_members_all_counted(tmp_path):
    import zipfile

    archive = tmp_path / "q1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", "Supplier Name,Payment Date,Amount\r\nA Ltd,01/04/2024,10.00\r\nREDACTED,02/04/2024,-1.5\r\n")
        zf.writestr("b.csv", "Supplier Name,Payment Date,Amount\r\nB Ltd,01/05/2024,0\r\n,03/05/2024,2\r\n")
    info = json.loads(run(str(archive), "--json").stdout)
    assert info["rows"] == 4 and info["net_total"] == "10.50"
    assert info["sheets"] == ["a.csv", "b.csv"]
    assert info["redacted_rows"] == 2  # one labelled, one blank payee (unlabelled_blank counts)
    assert info["redaction_kinds"] == {"none": 2, "personal": 1, "unlabelled_blank": 1}


def test_rejected_exit_3(corpus, tmp_path):
    pdf = run(str(corpus / "spend" / "sutton_coldfield_tc" / "Payments-over-250-2017-18-Q1.pdf"), "--json")
    assert pdf.returncode == 3
    info = json.loads(pdf.stdout)
    assert KEYS <= set(info)
    assert info["kind"] == "rejected" and info["reason_code"] == "pdf" and info["reason"]
    assert info["rows"] == 0
    grants = run(str(corpus / "spend" / "trafford" / "trafford_council_voluntary_sector_grants.csv"), "--json")
    assert grants.returncode == 3 and json.loads(grants.stdout)["reason_code"] == "not_spend:grants"
    page = tmp_path / "spend.csv"
    page.write_bytes(b"<html><body>Access denied</body></html>")
    human = run(str(page))
    assert human.returncode == 3 and "html_page" in human.stdout


def test_usage_errors_exit_2(tmp_path):
    missing = run(str(tmp_path / "missing.csv"), "--json")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    directory = run(str(tmp_path), "--json")  # named as a directory, not as missing
    assert directory.returncode == 2 and "is a directory, not a file" in directory.stderr
    good = tmp_path / "ok.csv"
    good.write_text("Supplier Name,Payment Date,Amount\nA,01/05/2024,1\n")
    assert run(str(good), "--council", "Devon").returncode == 2
    assert run(str(good), "--no-such-flag").returncode == 2
    assert run().returncode == 2


def test_out_parquet_keeps_decimals(corpus, tmp_path):
    out = tmp_path / "rows.parquet"
    path = corpus / "spend" / "devon" / "DCCSpendingOver500_202504.csv"
    result = run(str(path), "--out", str(out))
    assert result.returncode == 0 and "237 rows" in result.stdout
    rows = pl.read_parquet(out)
    assert rows.schema["amount"] == pl.Decimal(18, 2)
    assert rows.height == 237 and rows.get_column("amount").sum() == Decimal("2845421.21")


def test_same_bytes_same_output_across_processes(corpus, tmp_path):
    """Determinism (issue 10 item 4): two processes with different hash seeds give byte-identical JSON and
    identical rows, on a file mapped by its headers and on the same file mapped by its content alone."""
    import os

    source = corpus / "spend_series" / "salford" / "2016-10.csv"
    headerless = tmp_path / "headerless.csv"
    headerless.write_bytes(source.read_bytes().split(b"\n", 1)[1])
    for path in (source, headerless):
        outputs = []
        for seed in ("1", "2"):
            out = tmp_path / f"{path.stem}-{seed}.parquet"
            env = {**os.environ, "PYTHONHASHSEED": seed}
            proc = subprocess.run([str(SCRIPT), "parse-spend", str(path), "--json", "--out", str(out)],
                                  capture_output=True, text=True, timeout=120, env=env)
            assert proc.returncode == 0, proc.stderr
            outputs.append((proc.stdout, pl.read_parquet(out)))
        assert outputs[0][0] == outputs[1][0]
        assert outputs[0][1].equals(outputs[1][1])


def test_command_sets_the_lean_allocator_before_polars_loads(corpus):
    """The allocators read their settings when Polars is first loaded (jemalloc) and when a process starts (the
    C library's): the command puts them in the environment before any subcommand module (and so Polars) is
    imported; an operator's own settings win. (Polars puts its own defaults in front of the variable's value
    when it loads; the last setting of an option wins.)"""
    from pipelines import allocator

    path = corpus / "spend" / "lambeth" / "2012-06-payments.csv"
    probe = ("import os, sys\nfrom pipelines import cli\nassert 'polars' not in sys.modules\n"
             f"code = cli.main(['parse-spend', {str(path)!r}, '--json'])\n"
             f"print(code, os.environ[{allocator.C_ARENAS_ENV!r}], os.environ[{allocator.ALLOCATOR_ENV!r}])")
    env = {k: v for k, v in os.environ.items() if k not in (allocator.ALLOCATOR_ENV, allocator.C_ARENAS_ENV)}

    def settings(env: dict) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        code, arenas, jemalloc = done.stdout.strip().splitlines()[-1].split(" ", 2)
        assert code == "0"
        return arenas, jemalloc

    arenas, jemalloc = settings(env)
    assert jemalloc.endswith("," + allocator.LEAN_ALLOCATOR) and arenas == allocator.LEAN_C_ARENAS
    arenas, jemalloc = settings({**env, allocator.ALLOCATOR_ENV: "dirty_decay_ms:5000", allocator.C_ARENAS_ENV: "4"})
    assert jemalloc.endswith(",dirty_decay_ms:5000") and "narenas" not in jemalloc and arenas == "4"


def test_threads_share_one_c_arena_under_the_lean_setting():
    """Threads started after the setting allocate Python's large buffers from one arena of the C library (the
    read-ahead thread's freed pieces are then reused, not kept aside), where each thread otherwise gets its
    own. Counted from glibc's own report of its arenas."""
    probe = ("import ctypes, sys, threading\nfrom pipelines import allocator\n"
             "if sys.argv[1] == 'lean':\n    assert allocator.use_lean_allocator() is None\n"
             "def work():\n    pieces = [bytes(1 << 20) for _ in range(4)]\n"
             "threads = [threading.Thread(target=work) for _ in range(3)]\n"
             "[t.start() for t in threads]\n[t.join() for t in threads]\n"
             "ctypes.CDLL(None).malloc_stats()\n")
    from pipelines import allocator

    env = {k: v for k, v in os.environ.items() if k != allocator.C_ARENAS_ENV}

    def arenas(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, env=env,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return sum(line.startswith("Arena ") for line in done.stderr.splitlines())

    assert arenas("lean") == 1
    assert arenas("plain") > 1


def test_the_benchmark_measures_the_workers_allocator_setting():
    """The parse benchmark's worker runs carry the setting as a literal (a baseline revision may predate
    pipelines.allocator): it must be the product's."""
    import importlib.util

    from pipelines import allocator

    path = Path(__file__).parent.parent / "benchmarks" / "parse_spend.py"
    spec = importlib.util.spec_from_file_location("parse_benchmark", path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    assert benchmark.WORKER_ALLOCATOR == {allocator.ALLOCATOR_ENV: allocator.LEAN_ALLOCATOR,
                                          allocator.C_ARENAS_ENV: allocator.LEAN_C_ARENAS}
