"""The short, readable summary printed at the end of `keepitlocal run` and `keepitlocal demo`.

It reads the published warehouse read-only, like an analyst would; with the sample world's truth it also
says which planted answers the warehouse recovered.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.warehouse import Warehouse


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    try:
        return con.execute(sql, params or {}).fetchall()
    except duckdb.Error:
        return []  # a table a later stage owns may not exist when an earlier stage failed


def _money(value) -> str:
    return f"£{Decimal(value or 0):,.0f}"


def print_summary(root: Path, *, run_id: str | None = None, truth: dict | None = None,
                  elapsed_s: float | None = None, requests_served: int | None = None) -> dict:
    warehouse = Warehouse(Path(root))
    path = warehouse.published_path
    print()
    print("=" * 78)
    if not path.exists():
        print(f"No published warehouse at {path}: the run did not reach publishing (see errors above).")
        print("=" * 78)
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        facts = _print_sections(con, run_id, truth)
    finally:
        con.close()
    tail = []
    if elapsed_s is not None:
        tail.append(f"took {elapsed_s:.0f} s")
    if requests_served is not None:
        tail.append(f"{requests_served} HTTP requests served by the sample world")
    if tail:
        print("Run: " + ", ".join(tail))
    print(f"Warehouse (open read-only): {path}")
    latest = warehouse.extracts_dir / "latest"
    if latest.exists():
        print(f"Extracts and catalogue page: {latest.resolve()}/index.html")
    print("=" * 78)
    return facts


def _print_sections(con, run_id, truth) -> dict:
    facts: dict = {}
    stage = _rows(con, """
        select council_name, discovered, fetched, not_modified, parsed, quarantined, rows, error
        from meta.stage_report where run_id = $run_id order by council_name""", {"run_id": run_id})
    if stage:
        print("Council spending files (this run)")
        print(f"  {'council':34} {'found':>5} {'fetched':>7} {'304':>4} {'parsed':>6} {'quar.':>5} {'rows':>7}")
        for name, disc, fetched, nm, parsed, quar, rows, error in stage:
            line = f"  {str(name)[:34]:34} {disc or 0:5} {fetched or 0:7} {nm or 0:4} {parsed or 0:6} {quar or 0:5} {rows or 0:7}"
            print(line + (f"  ERROR {error[:60]}" if error else ""))
        facts["stage"] = stage
    quarantine = _rows(con, "select reason_code, count(*) from staging.quarantine group by 1 order by 2 desc, 1")
    if quarantine:
        print("  quarantined: " + ", ".join(f"{code} x{n}" for code, n in quarantine))
    payments = _rows(con, "select count(*), sum(amount), count(distinct council_gss) from core.fact_payment")
    if payments and payments[0][0]:
        n, total, councils = payments[0]
        print(f"Payments in core.fact_payment: {n:,} lines, {_money(total)} across {councils} councils")
        facts["payments"] = payments[0]
    awards = _rows(con, "select source, count(*) from staging.awards group by 1 order by 1")
    if awards:
        print("Contract awards: " + ", ".join(f"{src} {n:,}" for src, n in awards))
    coverage = _rows(con, """
        select sum(distinct_names * names_resolved_share) / nullif(sum(distinct_names), 0),
               sum(amount * amount_resolved_share) / nullif(sum(amount), 0)
        from core.supplier_coverage where run_at = (select max(run_at) from core.supplier_coverage)""")
    if coverage and coverage[0][0] is not None:
        names_pct, money_pct = coverage[0]
        print(f"Suppliers resolved: {float(names_pct):.1f}% of names (per council), {float(money_pct or 0):.1f}% of money")
        facts["coverage"] = coverage[0]
    events = _rows(con, """select council_name, service, event_type, strftime(start_month, '%Y-%m'), from_supplier, to_supplier
                           from marts.sourcing_events order by start_month, council_name""")
    if events:
        print("Sourcing events detected:")
        for council, service, kind, month, a, b in events[:12]:
            print(f"  {month} {council}: {kind} of {service} ({a or '-'} -> {b or '-'})")
    exposure = _rows(con, """select group_name, count(distinct council_gss), sum(spend) from marts.group_exposure
                             group by 1 order by 3 desc limit 3""")
    if exposure:
        print("Largest group exposures: " + "; ".join(f"{g} ({n} councils, {_money(s)})" for g, n, s in exposure))
    if truth:
        facts["truth"] = _print_truth_check(con, truth)
    return facts


def _print_truth_check(con, truth: dict) -> dict:
    """Compare the warehouse with the sample world's planted answers."""
    from pipelines.sample.truth import check_truth

    results = check_truth(con, truth)
    print("Planted truths recovered:")
    for name, ok, detail in results:
        print(f"  [{'ok' if ok else 'MISSED'}] {name}: {detail}")
    return {name: ok for name, ok, _ in results}
