"""Benchmark: sourcing-event detection (marts.sourcing_events and its working tables) over N payment lines.

Synthetic core facts are generated in DuckDB: 300 councils x 36 months; per council 90 contractors paid every month
in one service (a tenth of them stop for good at a random month, a twentieth are replaced by a new contractor,
one month in twenty is a dip) and the rest of each month's lines spread over 20,000 sporadic suppliers with a
skewed frequency; a few hundred suppliers rolled up into groups. Only the event detection is timed
(`pipelines.marts.build.build_sourcing_events`), after the facts exist. Target: 25,000,000 lines in under 2 minutes
on the project machine (2 cores). Run:

    .venv/bin/python benchmarks/events_detection.py [n_lines ...]     # default: 2500000 25000000

Each size is printed with its time and lines per second, so the sizes compare within one run (note `uptime`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.marts.build import build_sourcing_events
from pipelines.warehouse import apply_ddl

COUNCILS, MONTHS, CONTRACTORS, SPORADIC = 300, 36, 90, 20_000
SERVICES = ["waste", "highways", "adult_social_care", "childrens_services", "housing", "leisure", "ict",
            "facilities", "construction", "consultancy", "other"]


def seed(con: duckdb.DuckDBPyConnection, n_lines: int) -> None:
    apply_ddl(con)
    params = {"councils": COUNCILS, "months": MONTHS, "contractors": CONTRACTORS, "sporadic": SPORADIC,
              "n": n_lines, "services": SERVICES}
    con.execute("""insert into core.dim_council (council_gss, council_name, council_type)
                   select 'E06' || lpad(cast(c as varchar), 6, '0'), 'Council ' || c, 'unitary'
                   from range($councils) as t(c)""", {"councils": COUNCILS})
    con.execute("""insert into core.dim_supplier by name
        select 'k' || c || '_' || j as supplier_key, 'CONTRACTOR ' || c || '_' || j as canonical_name,
               'GB-COH-' || lpad(cast(c * 100 + j as varchar), 8, '0') as org_id, 'company' as org_type,
               case when j % 97 = 0 then 'g' || (j % 7) else 'k' || c || '_' || j end as group_key,
               true as is_external
        from range($councils) as a(c), range($contractors) as b(j)
        union all
        select 's' || s, 'SUPPLIER ' || s, null, 'company', 's' || s, true from range($sporadic) as t(s)""",
                {"councils": COUNCILS, "contractors": CONTRACTORS, "sporadic": SPORADIC})
    con.execute("""insert into core.fact_payment by name
        with l as (
            select i, i % $councils as c, (i // $councils) % $months as m, i // ($councils * $months) as j,
                   hash(i) as h
            from range($n) as t(i)
        ),
        assigned as (
            select *,
                -- contractor j of council c: a tenth stop at a random month, a twentieth are relet to j + 1000
                case
                    when j >= $contractors then null
                    when hash(c, j, m) % 20 = 0 then null
                    when hash(c, j) % 10 = 0 and m > 12 + hash(c, j, 1) % 20 then null
                    when hash(c, j) % 20 = 1 and m > 12 + hash(c, j, 2) % 20 then 'k' || c || '_' || (j + 1000)
                    else 'k' || c || '_' || j
                end as contractor
            from l
        )
        select
            cast(i as varchar) as payment_key,
            'E06' || lpad(cast(c as varchar), 6, '0') as council_gss,
            'p' || c || '_' || m as publication_id,
            cast(date '2022-04-01' + to_months(cast(m as integer)) + to_days(cast(h % 28 as integer)) as date) as payment_date,
            cast(date '2022-04-01' + to_months(cast(m as integer)) as date) as month_start,
            cast(case when contractor is not null then 5000 + h % 60000 else 50 + h % 5000 end as decimal(18, 2)) as amount,
            coalesce(contractor, 's' || cast(floor(pow((h % 10000) / 10000.0, 2) * $sporadic) as bigint)) as supplier_key,
            $services[1 + cast(case when contractor is not null then j % 1000 else h % 7919 end as bigint) % 11] as service,
            'p' || c || '_' || m as source_sha256,
            cast(i % 100000 as integer) as row_number
        from assigned""", params)
    # the relet successors are suppliers too
    con.execute("""insert into core.dim_supplier by name
        select distinct f.supplier_key, 'CONTRACTOR ' || f.supplier_key as canonical_name, 'company' as org_type,
               f.supplier_key as group_key, true as is_external
        from core.fact_payment as f anti join core.dim_supplier as s using (supplier_key)""")


def run(n_lines: int) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        try:
            t0 = time.perf_counter()
            seed(con, n_lines)
            t1 = time.perf_counter()
            events = build_sourcing_events(con, {"as_of": None})
            t2 = time.perf_counter()
            lines = con.execute("select count(*) from core.fact_payment").fetchone()[0]
        finally:
            con.close()
    print(f"{lines:>12,} lines: generated in {t1 - t0:6.1f} s; event detection {t2 - t1:6.1f} s "
          f"({lines / (t2 - t1):,.0f} lines/s), {events:,} events", flush=True)
    return t2 - t1, events, lines


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [2_500_000, 25_000_000]
    print(f"load: {os.getloadavg()[0]:.1f} (1-minute), {os.cpu_count()} cores", flush=True)
    for n in sizes:
        run(n)


if __name__ == "__main__":
    main(sys.argv[1:])
