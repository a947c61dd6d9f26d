"""Benchmark: resolve 500,000 supplier names against a 5,000,000-row company register (not in `make test`).

    .venv/bin/python benchmarks/resolve_suppliers.py [--names 500000] [--register 5000000] [--db PATH] [--keep]

The register is synthetic but shaped like Companies House BasicCompanyData: 8-character numbers, names built
from a vocabulary of several thousand words with a long-tailed frequency (so the first-word blocks are as
uneven as the real register's), legal forms, categories, previous names on a few percent of rows, and its
`name_key` computed by the project's own normalisation at load (that load is timed separately). The payee
names are the spellings councils use: case changes, LTD/LIMITED, "&"/AND, a dropped letter, truncation to a
fixed width, qualifiers after a dash, brackets, names the register does not hold, people and redactions.

The resolution runs in a child process against the DuckDB file (as the nightly job and `match-suppliers
--warehouse` do), so its wall time and peak RSS are its own. Side by side, in the same run: a plain DuckDB exact
join of the same names' keys to the register (the floor any resolver pays). Load average is printed with the
numbers; compare ratios, the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORMS = ["LIMITED", "LTD", "LIMITED", "LIMITED", "PLC", "LLP", "CIC", "COMMUNITY INTEREST COMPANY", ""]
CATEGORIES = ["Private Limited Company"] * 8 + ["PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
              "Community Interest Company", "Limited Liability Partnership", "Public Limited Company"]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """Pronounceable made-up words plus real trade words, ranked so a few are very common (Zipf-like)."""
    trades = ("CARE HOMECARE BUILDERS ROOFING PLUMBING ELECTRICAL CLEANING SECURITY TRANSPORT TAXIS CATERING CONSULTING "
              "SOLUTIONS SERVICES SUPPLIES FOODS PRINT SIGNS LANDSCAPES GROUNDS SCAFFOLDING HIGHWAYS SURFACING NURSERY "
              "TRAINING PROPERTIES HOLDINGS INVESTMENTS DEVELOPMENTS TECHNOLOGY SYSTEMS DESIGN MEDIA GROUP UK").split()
    consonants, vowels = "BCDFGHKLMNPRSTVW", "AEIOU"
    words = set(trades)
    while len(words) < size:
        n = rng.choice([2, 2, 3, 3, 4])
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(n)))
    ranked = sorted(words)
    rng.shuffle(ranked)
    return ranked


def zipf_choice(rng: random.Random, items: list[str], s: float = 1.1) -> str:
    # inverse-CDF sample of a Zipf-like rank: index ~ n ** u
    n = len(items)
    return items[min(n - 1, int(n ** rng.random() ** s) - 1)]


def register_names(n: int, rng: random.Random) -> list[str]:
    words = vocabulary(rng)
    names: set[str] = set()
    while len(names) < n:
        k = rng.choice([1, 2, 2, 3, 3, 4])
        core = " ".join(zipf_choice(rng, words) for _ in range(k))
        names.add(f"{core} {rng.choice(FORMS)}".strip())
    return sorted(names)


def spend_spelling(name: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        return name.title().replace("Limited", "Ltd")
    if r < 0.35:
        return name.replace(" AND ", " & ")
    if r < 0.45 and len(name) > 12:
        i = rng.randrange(3, len(name) - 3)
        return name[:i] + name[i + 1 :]  # a dropped letter
    if r < 0.50:
        return name[:25]  # fixed-width truncation
    if r < 0.55:
        return f"{name} - {rng.randint(10**7, 10**8)} CONSOLIDATED"  # a qualifier after a dash
    if r < 0.60:
        return f"{name} (BACS)"
    if r < 0.70:
        return f"UNLISTED {name}"  # not on the register in this form
    if r < 0.73:
        return f"MR {rng.choice('ABCDEFGHJKLMNPRSTW')} {name.split()[0]}"  # a person
    if r < 0.74:
        return "REDACTED PERSONAL DATA"
    return name


def build_register(db: Path, n_register: int, rng: random.Random) -> dict:
    import duckdb
    import polars as pl

    from pipelines.normalise.names import list_name_keys, name_key
    from pipelines.warehouse import apply_ddl

    started = time.perf_counter()
    names = register_names(n_register, rng)
    generated = time.perf_counter() - started
    frame = pl.DataFrame({
        "company_number": [f"{i:08d}" for i in range(1, len(names) + 1)],
        "name": names,
        "category": [rng.choice(CATEGORIES) for _ in names],
        "status": "Active",
    })
    previous = [[f"OLD {names[i]}"] if rng.random() < 0.03 else [] for i in range(len(names))]
    t0 = time.perf_counter()
    frame = frame.with_columns(name_key=name_key(frame["name"]), previous_names=pl.Series(previous, dtype=pl.List(pl.String)))
    frame = frame.with_columns(previous_name_keys=list_name_keys(frame["previous_names"]))
    keyed = time.perf_counter() - t0
    if db.exists():
        db.unlink()
    con = duckdb.connect(str(db))
    apply_ddl(con)
    con.register("f", frame)
    con.execute("insert into reference.companies by name select * from f")
    con.close()
    return {"register_rows": len(names), "generate_s": round(generated, 1), "key_s": round(keyed, 1),
            "load_total_s": round(time.perf_counter() - started, 1), "register_sample": names[:: max(1, len(names) // 200_000)]}


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage: Linux carries ru_maxrss across exec, so a child
    would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db: str, names_file: str, mode: str) -> None:
    """Runs in a fresh process: resolve (or the exact-join floor) and report time and peak RSS as JSON."""
    import duckdb
    import polars as pl

    names = pl.read_parquet(names_file)
    con = duckdb.connect(db, read_only=True)
    started = time.perf_counter()
    if mode == "resolve":
        from pipelines.suppliers.resolve import resolve_suppliers

        out = resolve_suppliers(names, con, overrides=pl.DataFrame(schema={"name_key": pl.String, "council_gss": pl.String, "action": pl.String, "org_id": pl.String}))
        extra = {"methods": dict(out["match_method"].value_counts().sort("count", descending=True).iter_rows()),
                 "types": dict(out["org_type"].value_counts().sort("count", descending=True).iter_rows()),
                 "suppliers": out["supplier_key"].n_unique()}
    else:
        from pipelines.normalise.names import name_key

        keys = names.select(key=name_key(pl.col("name"))).unique()
        con.register("q", keys)
        matched = con.execute("select count(*) from q join reference.companies c on c.name_key = q.key").fetchone()[0]
        extra = {"exact_matches": matched}
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = peak_rss_mb()
    print(json.dumps({"mode": mode, "seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(peak_mb), **extra}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=500_000)
    parser.add_argument("--register", type=int, default=5_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/kil_bench_register.duckdb"))
    parser.add_argument("--keep", action="store_true", help="reuse the register file if it exists")
    parser.add_argument("--child", nargs=3, metavar=("DB", "NAMES", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    import polars as pl

    rng = random.Random(2026)
    print(f"load average before: {os.getloadavg()}")
    if args.keep and args.db.exists():
        import duckdb

        con = duckdb.connect(str(args.db), read_only=True)
        sample = [r[0] for r in con.sql("select name from reference.companies using sample 200000 rows (reservoir, 7)").fetchall()]
        n_reg = con.execute("select count(*) from reference.companies").fetchone()[0]
        con.close()
        built = {"register_rows": n_reg, "reused": True}
    else:
        built = build_register(args.db, args.register, rng)
        sample = built.pop("register_sample")
    print(f"register: {json.dumps(built)}")
    names = sorted({spend_spelling(rng.choice(sample), rng) for _ in range(args.names * 2)})
    rng.shuffle(names)
    names = names[: args.names]
    councils = [f"E0{rng.randint(6000001, 6000099)}" for _ in names]
    names_file = args.db.with_suffix(".names.parquet")
    pl.DataFrame({"name": names, "council_gss": councils}).write_parquet(names_file)
    print(f"{len(names):,} distinct payee names")
    results = []
    for mode in ("exact_join_floor", "resolve"):
        proc = subprocess.run([sys.executable, __file__, "--child", str(args.db), str(names_file), mode], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(proc.stderr[-4000:])
            return 1
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"load average after: {os.getloadavg()}")
    floor, full = results
    print(f"\n{'':>22} {'wall s':>9} {'CPU s':>9} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['mode']:>22} {r['seconds']:>9} {r['cpu_seconds']:>9} {r['peak_rss_mb']:>12}")
    print(f"\nresolve / exact-join floor: time x{full['seconds'] / max(floor['seconds'], 0.1):.1f}, RSS x{full['peak_rss_mb'] / max(floor['peak_rss_mb'], 1):.1f}")
    print(f"targets: under 60 s ({'met' if full['seconds'] < 60 else 'NOT met'}), peak RSS under 6 GB ({'met' if full['peak_rss_mb'] < 6144 else 'NOT met'})")
    print(f"methods: {full['methods']}\ntypes: {full['types']}\nsuppliers: {full['suppliers']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
