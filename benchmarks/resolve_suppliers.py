"""Benchmark: resolve 100,000 distinct supplier names against a 300,000-row generated company register.

Names are built from realistic parts (places, trades, surnames, legal forms) with the spellings councils use:
case changes, LTD/LIMITED, "&"/AND, dropped words, typos, truncation. Run:
    .venv/bin/python benchmarks/resolve_suppliers.py [n_names] [n_register]
"""

from __future__ import annotations

import random
import sys
import time

import duckdb
import polars as pl

from pipelines.normalise.names import name_key
from pipelines.suppliers.resolve import resolve_suppliers
from pipelines.warehouse import apply_ddl

PLACES = "DEVON EXETER PLYMOUTH TORBAY BRISTOL SOMERSET CORNWALL BARNSTAPLE TIVERTON HONITON TOTNES NEWTON CREDITON SALFORD LEEDS OXFORD TRAFFORD HYNDBURN LAMBETH SUTTON NORFOLK LANCASHIRE WESSEX MERCIA PENNINE".split()
TRADES = "CARE HOMECARE BUILDERS ROOFING PLUMBING ELECTRICAL CLEANING SECURITY TRANSPORT TAXIS CATERING CONSULTING SOLUTIONS SERVICES SUPPLIES FOODS PRINT SIGNS LANDSCAPES GROUNDS SCAFFOLDING HIGHWAYS SURFACING NURSERY TRAINING".split()
SURNAMES = "SMITH JONES TAYLOR BROWN WILLIAMS WILSON JOHNSON DAVIES ROBINSON WRIGHT THOMPSON EVANS WALKER WHITE ROBERTS GREEN HALL WOOD JACKSON CLARKE".split()
FORMS = ["LIMITED", "LTD", "PLC", "LLP", "CIC", ""]


def company_names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        shape = rng.random()
        if shape < 0.4:
            core = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
        elif shape < 0.7:
            core = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)} {rng.choice(TRADES)}"
        else:
            core = f"{rng.choice(SURNAMES)} {rng.choice(PLACES)} {rng.choice(TRADES)}"
        names.add(f"{core} {rng.randint(1, 999)} {rng.choice(FORMS)}".strip())
    return sorted(names)


def spend_spelling(name: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return name.title().replace("Limited", "Ltd")
    if r < 0.45:
        return name.replace("&", "AND")
    if r < 0.6 and len(name) > 12:
        i = rng.randrange(3, len(name) - 3)
        return name[:i] + name[i + 1 :]  # a dropped letter
    if r < 0.7:
        return name[:25]  # truncation
    if r < 0.8:
        return f"UNLISTED {name}"  # not on the register in this form
    return name


def main(n_names: int = 100_000, n_register: int = 300_000) -> None:
    rng = random.Random(2026)
    register = company_names(n_register, rng)
    con = duckdb.connect()
    apply_ddl(con)
    companies = pl.DataFrame({"company_number": [f"{i:08d}" for i in range(1, len(register) + 1)], "name": register}).with_columns(
        name_key=name_key(pl.col("name")), previous_name_keys=pl.lit([], dtype=pl.List(pl.String)), category=pl.lit("Private Limited Company")
    )
    con.register("f", companies)
    con.execute("insert into reference.companies by name select * from f")
    sample = rng.sample(register, n_names)
    names = pl.DataFrame({"name": sorted({spend_spelling(s, rng) for s in sample})})
    started = time.perf_counter()
    out = resolve_suppliers(names, con)
    elapsed = time.perf_counter() - started
    methods = out["match_method"].value_counts().sort("count", descending=True)
    print(f"resolved {names.height:,} distinct names against {len(register):,} register rows in {elapsed:.1f} s")
    print(dict(methods.iter_rows()))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
