"""Benchmark: the core build, marts and checks over a generated staging table, this tree against a baseline
commit, side by side in one run.

Staging: N payment lines over 40 councils, 36 months, 2,000 suppliers and a dozen departments, one publication per
council and month (a tenth of them republished), plus one council whose redacted lines carry one label
("REDACTED") with thousands of supplier ids, the shape that made the old core build join every such line with every
id of the label (`--redacted-ids` x `--redacted-lines` intermediate rows).

Each variant runs in its own child processes (seed, then build) with the same DuckDB bounds (`--memory-limit`,
`--threads`, spilling to a temporary directory), so time and peak RSS compare like for like. Peak RSS is the
process's high-water mark (VmHWM), reset before each stage. The new tree also times a second, no-change build
(the incremental path a quiet night takes). Run:

    .venv/bin/python benchmarks/marts_build.py [--lines 2000000] [--baseline 6ae7015] [--redacted-ids 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import io
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COUNCILS, MONTHS, SUPPLIERS = 40, 36, 2000
DEPARTMENTS = ["Environment - Waste Management", "Highways and Transport", "Adult Social Care", "Children's Services",
               "Housing Services", "Leisure and Culture", "ICT Services", "Facilities Management",
               "Capital Programme - Construction", "Corporate Consultancy", "Corporate Finance", "Libraries"]
DEFAULT_BASELINE = "6ae7015"  # main before the incremental, key-joined core build


# ---- run inside a child process (with PYTHONPATH at the tree being measured) --------------------------------

def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _connect(path: str, args: dict):
    import duckdb

    return duckdb.connect(path, config={"memory_limit": args["memory_limit"], "threads": args["threads"],
                                        "temp_directory": args["temp_directory"]})


def child_seed(args: dict) -> dict:
    from pipelines.warehouse import apply_ddl

    con = _connect(args["db"], args)
    apply_ddl(con)
    params = {"councils": COUNCILS, "months": MONTHS}
    con.execute("""insert into staging.spend_publications by name
        select md5(c || '|' || m || '|' || v) as publication_id, 'E06' || lpad(cast(c as varchar), 6, '0') as council_gss,
               'spend' as dataset_kind, strftime(cast(date '2022-04-01' + to_months(m) as date), '%Y-%m') as period_key,
               cast(date '2022-04-01' + to_months(m) as date) as period_start,
               cast(date '2022-04-01' + to_months(m + 1) as date) - 1 as period_end,
               timestamp '2022-05-10' + to_months(m) + to_days(v * 20) as fetched_at, timestamp '2025-01-01' as loaded_at,
               v = 1 or (c + m) % 10 <> 0 as is_current
        from range($councils) as a(c), range($months) as b(m), range(2) as d(v)
        where v = 0 or (c + m) % 10 = 0""", params)
    # ordinary lines, then the redacted lines of council 0: one label, many supplier ids
    con.execute("""insert into staging.spend_lines by name
        with l as (select i, i % $councils as c, (i // $councils) % $months as m from range($n) as t(i))
        select 'E06' || lpad(cast(c as varchar), 6, '0') as council_gss, p.publication_id, p.period_key,
               cast(i as integer) as row_number, p.period_start + cast(i % 28 as integer) as payment_date, 'day' as date_precision,
               cast(i as varchar) as transaction_id, '1' as line_no, cast(((i * 7919) % 2000000) / 100.0 + 5 as decimal(18,2)) as amount,
               'Supplier ' || ((i * 31) % $suppliers) as supplier_name, 'S' || ((i * 31) % $suppliers) as supplier_id,
               $departments[1 + i % 12] as department, 'Expense ' || (i % 5) as expense_type, 'none' as redaction_kind,
               p.source_url, p.publication_id as source_sha256, md5(cast(i as varchar)) as row_fingerprint, p.is_current
        from l join staging.spend_publications as p
          on p.council_gss = 'E06' || lpad(cast(l.c as varchar), 6, '0') and p.period_start = cast(date '2022-04-01' + to_months(l.m) as date)""",
                {**params, "n": args["lines"], "suppliers": SUPPLIERS, "departments": DEPARTMENTS})
    con.execute("""insert into staging.spend_lines by name
        with l as (select i, i % $months as m from range($r) as t(i))
        select 'E06000000' as council_gss, p.publication_id, p.period_key, cast(10000000 + i as integer) as row_number,
               p.period_start + cast(i % 28 as integer) as payment_date, 'day' as date_precision,
               cast(10000000 + i as varchar) as transaction_id, '1' as line_no, cast(600 + i % 1000 as decimal(18,2)) as amount,
               'REDACTED' as supplier_name, 'R' || (i % $ids) as supplier_id, 'Adult Social Care' as department,
               'Care Package' as expense_type, 'personal' as redaction_kind, p.source_url, p.publication_id as source_sha256,
               md5('r' || i) as row_fingerprint, p.is_current
        from l join staging.spend_publications as p
          on p.council_gss = 'E06000000' and p.period_start = cast(date '2022-04-01' + to_months(l.m) as date)""",
                {"months": MONTHS, "r": args["redacted_lines"], "ids": args["redacted_ids"]})
    # publications record their parsed rows and total, as the loader does (older trees ignore these columns)
    publication_columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'staging' and table_name = 'spend_publications'").fetchall()}
    if {"rows", "net_total"} <= publication_columns:
        con.execute("""update staging.spend_publications as p set rows = s.n, net_total = s.total
                       from (select publication_id, count(*) as n, sum(amount) as total from staging.spend_lines group by 1) as s
                       where p.publication_id = s.publication_id""")
    con.execute("""insert into core.suppliers by name
        select 's' || k as supplier_key, 'SUPPLIER ' || k as canonical_name, 'GB-COH-' || lpad(cast(k as varchar), 8, '0') as org_id,
               'company' as org_type, case when k % 3 = 0 then 'large' else 'sme' end as size, k % 7 = 0 as vcse,
               'E06' || lpad(cast(k % $councils as varchar), 6, '0') as lad_gss, 'E1200000' || (k % 9 + 1) as region_gss,
               case when k % 50 = 0 then 'g' || (k % 4) end as group_key
        from range($suppliers) as t(k)
        union all select 'redacted', 'REDACTED', null, 'redacted', 'unknown', false, null, null, null""",
                {"councils": COUNCILS, "suppliers": SUPPLIERS})
    con.execute("""insert into core.supplier_names by name
        select distinct supplier_name as raw_name, council_gss, supplier_id, 'spend' as source,
               case when supplier_name = 'REDACTED' then 'redacted' else 's' || split_part(supplier_name, ' ', 2) end as supplier_key
        from staging.spend_lines""")
    counts = con.execute("""select (select count(*) from staging.spend_lines),
                                   (select count(*) from core.supplier_names where raw_name = 'REDACTED')""").fetchone()
    con.execute("checkpoint")
    con.close()
    return {"staged_lines": counts[0], "redacted_ids": counts[1]}


def child_build(args: dict) -> dict:
    import datetime as dt

    import polars as pl

    from pipelines.marts.build import build_core, build_marts
    from pipelines.marts.checks import blocking_checks

    councils = pl.DataFrame({
        "gss": [f"E06{i:06d}" for i in range(COUNCILS)], "name": [f"Council {i}" for i in range(COUNCILS)],
        "type": ["unitary"] * COUNCILS, "region_gss": [f"E1200000{i % 9 + 1}" for i in range(COUNCILS)],
        "county_gss": [None] * COUNCILS, "start_date": ["1996-04-01"] * COUNCILS, "end_date": [None] * COUNCILS,
    })
    con = _connect(args["db"], args)
    stages: dict[str, dict] = {}

    def stage(name, fn):
        _reset_peak()
        t0 = time.perf_counter()
        out = fn()
        stages[name] = {"s": round(time.perf_counter() - t0, 2), "peak_mb": round(_peak_mb())}
        return out

    core = stage("build_core", lambda: build_core(con, councils))
    stage("build_marts", lambda: build_marts(con, {"as_of": dt.date(2025, 4, 1)}))
    failures = stage("blocking_checks", lambda: blocking_checks(con))
    if args.get("again"):
        again = stage("build_core_no_change", lambda: build_core(con, councils))
        stages["build_core_no_change"]["councils_rebuilt"] = again.get("councils_rebuilt")
    facts = con.execute("select count(*), sum(amount) from core.fact_payment").fetchone()
    con.close()
    return {"stages": stages, "fact_rows": facts[0], "fact_total": str(facts[1]), "core": {k: v for k, v in core.items() if isinstance(v, int)},
            "failures": failures[:5]}


# ---- the parent: one child per variant and step ---------------------------------------------------------------

def _tree(ref: str, into: Path) -> Path:
    """The baseline's pipelines/ and sql/ extracted from git into a temporary folder."""
    archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", ref, "pipelines", "sql"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _child(tree: Path, step: str, args: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{PROJECT_ROOT / 'benchmarks'}"}
    code = (f"import json, sys; sys.path.insert(0, {str(tree)!r}); import marts_build as b; "
            f"print(json.dumps(b.child_{step}(json.loads(sys.argv[1]))))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], env=env, cwd=tree, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--redacted-ids", type=int, default=2000)
    parser.add_argument("--redacted-lines", type=int, default=12000)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref of the baseline tree ('' to skip)")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    opts = parser.parse_args()
    load = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"this tree": PROJECT_ROOT}
        if opts.baseline:
            variants = {f"baseline {opts.baseline}": _tree(opts.baseline, Path(tmp) / "baseline"), **variants}
        for label, tree in variants.items():
            work = Path(tmp) / label.replace(" ", "_")
            work.mkdir()
            args = {"db": str(work / "bench.duckdb"), "lines": opts.lines, "redacted_ids": opts.redacted_ids,
                    "redacted_lines": opts.redacted_lines, "memory_limit": opts.memory_limit, "threads": opts.threads,
                    "temp_directory": str(work / "spill"), "again": tree == PROJECT_ROOT}
            t0 = time.perf_counter()
            seeded = _child(tree, "seed", args)
            seed_s = time.perf_counter() - t0
            built = _child(tree, "build", args) if "error" not in seeded else {"error": f"seed: {seeded['error']}"}
            results[label] = {"seed": seeded, "seed_s": round(seed_s, 1), **built}
            (work / "bench.duckdb").unlink(missing_ok=True)
    print(f"core build at scale: {opts.lines:,} lines + {opts.redacted_lines:,} redacted lines under one label with "
          f"{opts.redacted_ids:,} supplier ids; DuckDB memory_limit {opts.memory_limit}, {opts.threads} threads; "
          f"load average at start {load[0]:.1f}")
    stages = ["build_core", "build_marts", "blocking_checks", "build_core_no_change"]
    print(f"{'stage':24}" + "".join(f"{label:>34}" for label in results))
    for name in stages:
        cells = []
        for r in results.values():
            s = r.get("stages", {}).get(name)
            cells.append(f"{s['s']:>9.1f} s {s['peak_mb']:>8,.0f} MB peak" if s else f"{'-':>34}")
        print(f"{name:24}" + "".join(f"{c:>34}" for c in cells))
    for label, r in results.items():
        print(f"{label}: fact rows {r.get('fact_rows')}, total {r.get('fact_total')}, failures {r.get('failures')}, "
              f"error {r.get('error')}")
    labels = list(results)
    if len(labels) == 2 and all("stages" in results[l] for l in labels):
        a, b = (results[l]["stages"]["build_core"] for l in labels)
        print(f"build_core: {a['s'] / max(b['s'], 0.01):.1f}x faster, peak RSS {a['peak_mb'] / max(b['peak_mb'], 1):.1f}x lower")


if __name__ == "__main__":
    main()
