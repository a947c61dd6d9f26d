"""Benchmark: build core, marts and the blocking checks over a generated staging table of N payment lines.

Lines are spread over 40 councils, 36 months, 2,000 suppliers and a dozen departments, one publication per council
and month (a tenth of them superseded by a re-publication). Target on a laptop: 1,000,000 lines through core,
marts and checks in under 60 s. Run:
    .venv/bin/python benchmarks/marts_build.py [n_lines]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from pipelines.marts.build import build_core, build_marts
from pipelines.marts.checks import blocking_checks
from pipelines.warehouse import apply_ddl

COUNCILS, MONTHS, SUPPLIERS = 40, 36, 2000
DEPARTMENTS = ["Environment - Waste Management", "Highways and Transport", "Adult Social Care", "Children's Services",
               "Housing Services", "Leisure and Culture", "ICT Services", "Facilities Management",
               "Capital Programme - Construction", "Corporate Consultancy", "Corporate Finance", "Libraries"]


def seed(con: duckdb.DuckDBPyConnection, n_lines: int) -> pl.DataFrame:
    apply_ddl(con)
    councils = pl.DataFrame({
        "gss": [f"E06{i:06d}" for i in range(COUNCILS)], "name": [f"Council {i}" for i in range(COUNCILS)],
        "type": ["unitary"] * COUNCILS, "region_gss": [f"E1200000{i % 9 + 1}" for i in range(COUNCILS)],
        "county_gss": [None] * COUNCILS, "start_date": ["1996-04-01"] * COUNCILS, "end_date": [None] * COUNCILS,
    })
    con.execute("""insert into staging.spend_publications by name
        select md5(c || '|' || m || '|' || v) as publication_id, 'E06' || lpad(cast(c as varchar), 6, '0') as council_gss,
               'spend' as dataset_kind, strftime(cast(date '2022-04-01' + to_months(m) as date), '%Y-%m') as period_key,
               cast(date '2022-04-01' + to_months(m) as date) as period_start,
               cast(date '2022-04-01' + to_months(m + 1) as date) - 1 as period_end,
               timestamp '2022-05-10' + to_months(m) + to_days(v * 20) as fetched_at, now() as loaded_at,
               v = 1 or (c + m) % 10 <> 0 as is_current
        from range($councils) as a(c), range($months) as b(m), range(2) as d(v)
        where v = 0 or (c + m) % 10 = 0""", {"councils": COUNCILS, "months": MONTHS})
    con.execute("""insert into staging.spend_lines by name
        with l as (select i, i % $councils as c, (i // $councils) % $months as m from range($n) as t(i))
        select 'E06' || lpad(cast(c as varchar), 6, '0') as council_gss, p.publication_id, p.period_key,
               cast(i as integer) as row_number, p.period_start + cast(i % 28 as integer) as payment_date, 'day' as date_precision,
               cast(i as varchar) as transaction_id, '1' as line_no, cast(((i * 7919) % 2000000) / 100.0 + 5 as decimal(18,2)) as amount,
               'Supplier ' || ((i * 31) % $suppliers) as supplier_name, $departments[1 + i % 12] as department,
               'Expense ' || (i % 5) as expense_type, 'none' as redaction_kind, p.source_url, p.publication_id as source_sha256,
               md5(cast(i as varchar)) as row_fingerprint, p.is_current
        from l join staging.spend_publications as p
          on p.council_gss = 'E06' || lpad(cast(l.c as varchar), 6, '0') and p.period_start = cast(date '2022-04-01' + to_months(l.m) as date)""",
                {"councils": COUNCILS, "months": MONTHS, "n": n_lines, "suppliers": SUPPLIERS, "departments": DEPARTMENTS})
    con.execute("""insert into core.suppliers by name
        select 's' || k as supplier_key, 'SUPPLIER ' || k as canonical_name, 'GB-COH-' || lpad(cast(k as varchar), 8, '0') as org_id,
               'company' as org_type, case when k % 3 = 0 then 'large' else 'sme' end as size, k % 7 = 0 as vcse,
               'E06' || lpad(cast(k % $councils as varchar), 6, '0') as lad_gss, 'E1200000' || (k % 9 + 1) as region_gss,
               case when k % 50 = 0 then 'g' || (k % 4) end as group_key
        from range($suppliers) as t(k)""", {"councils": COUNCILS, "suppliers": SUPPLIERS})
    con.execute("""insert into core.supplier_names by name
        select distinct supplier_name as raw_name, council_gss, 'spend' as source,
               's' || split_part(supplier_name, ' ', 2) as supplier_key
        from staging.spend_lines""")
    return councils


def main(n_lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        t0 = time.perf_counter()
        councils = seed(con, n_lines)
        t1 = time.perf_counter()
        core = build_core(con, councils)
        t2 = time.perf_counter()
        marts = build_marts(con, {"as_of": dt.date(2025, 4, 1)})
        t3 = time.perf_counter()
        failures = blocking_checks(con)
        t4 = time.perf_counter()
        con.close()
    print(f"{n_lines:,} staged lines (seeded in {t1 - t0:.1f} s); fact_payment {core['fact_payment']:,} rows")
    print(f"build_core {t2 - t1:.1f} s, build_marts {t3 - t2:.1f} s, blocking_checks {t4 - t3:.1f} s "
          f"(total {t4 - t1:.1f} s); marts rows {marts}; failures {failures}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
