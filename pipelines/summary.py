"""The short, readable summary printed at the end of `keepitlocal run` and `keepitlocal demo`, and the run's
exit status.

It reads the published warehouse read-only, like an analyst would; with the sample world's truth it also
says which planted answers the warehouse recovered.

Exit status of `keepitlocal run` (`run_outcome`):
  0  this run published, and nothing was held back and no council failed;
  4  this run published, but publications were held back by a failed check (listed, with the reason) or a
     council's ingest failed (its stage report has an error: discovery failed or found no file link where it
     had files, or every one of its file fetches failed): the release is partial, and the summary says what
     is missing;
  1  the run failed or did not publish (a step failed, or a global check blocked the publish: the previous
     release stays).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines import sqlfiles
from pipelines.warehouse import Warehouse

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 4  # 3: another run holds the warehouse (nightly.EXIT_BUSY)


MAX_EVENTS_PRINTED = 60  # the summary lists every event up to this many, and says how many it left out


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    try:
        return con.execute(sql, params or {}).fetchall()
    except duckdb.Error:
        return []  # a table a later stage owns may not exist when an earlier stage failed


def _money(value) -> str:
    return f"£{Decimal(value or 0):,.0f}"


def run_outcome(root: Path, run_id: str | None, success: bool) -> dict:
    """How the run ended, from the published warehouse: {exit_code, status, published (by this run), held_back
    (list of publications with council, period, source, checks, reason), failed_councils (name, error)}."""
    outcome = {"exit_code": EXIT_FAILED, "status": "failed", "published": False, "held_back": [],
               "failed_councils": []}
    path = Warehouse(Path(root)).published_path
    if not path.exists():
        return outcome
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = _rows(con, "select status from meta.runs where run_id = $run_id", {"run_id": run_id})
        outcome["published"] = bool(row)
        outcome["held_back"] = [
            dict(zip(("council_name", "period_key", "source_url", "checks", "reason"), r))
            for r in _rows(con, "select council_name, period_key, source_url, checks, reason from ("
                           + sqlfiles.load("meta/held_back_publications") + ")")]
        outcome["failed_councils"] = _rows(con, """select coalesce(council_name, council_gss), error from meta.stage_report
                                                   where run_id = $run_id and error is not null order by 1""",
                                           {"run_id": run_id})
    finally:
        con.close()
    if success and outcome["published"]:
        partial = outcome["held_back"] or outcome["failed_councils"]
        outcome["exit_code"] = EXIT_PARTIAL if partial else EXIT_OK
        outcome["status"] = "published_with_holds" if partial else "published"
    elif outcome["published"]:
        outcome["status"] = "published, then a later step failed"
    return outcome


def print_summary(root: Path, *, run_id: str | None = None, truth: dict | None = None,
                  elapsed_s: float | None = None, requests_served: int | None = None,
                  success: bool | None = None) -> dict:
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
    if success is not None:
        facts["outcome"] = _print_outcome(run_outcome(root, run_id, success))
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


def _print_outcome(outcome: dict) -> dict:
    held, failed = outcome["held_back"], outcome["failed_councils"]
    if held:
        print(f"Held back from this release ({len(held)} publication(s); everything else is published):")
        for h in held[:20]:
            print(f"  {h['council_name']} {h['period_key']}: {h['checks']}: {str(h['reason'])[:160]}")
            print(f"    {h['source_url']}")
        if len(held) > 20:
            print(f"  ... and {len(held) - 20} more (meta.publication_holds)")
    for name, error in failed[:20]:
        print(f"  council failed: {name}: {str(error)[:120]}")
    messages = {
        EXIT_OK: "published; nothing held back",
        EXIT_PARTIAL: f"published with {len(held)} publication(s) held back and {len(failed)} council(s) failed",
        EXIT_FAILED: "not published by this run" if not outcome["published"] else outcome["status"],
    }
    print(f"Status: {messages[outcome['exit_code']]} (exit {outcome['exit_code']})")
    return outcome


def _print_sections(con, run_id, truth) -> dict:
    facts: dict = {}
    stage = _rows(con, """
        select council_name, discovered, fetched, not_modified, parsed, quarantined, rows, error, held_back
        from meta.stage_report where run_id = $run_id order by council_name""", {"run_id": run_id})
    if stage:
        print("Council spending files (this run)")
        print(f"  {'council':34} {'found':>5} {'fetched':>7} {'304':>4} {'parsed':>6} {'quar.':>5} {'rows':>7} {'held':>4}")
        for name, disc, fetched, nm, parsed, quar, rows, error, held in stage:
            line = (f"  {str(name)[:34]:34} {disc or 0:5} {fetched or 0:7} {nm or 0:4} {parsed or 0:6} {quar or 0:5} "
                    f"{rows or 0:7} {held or 0:4}")
            print(line + (f"  ERROR {error[:60]}" if error else ""))
        facts["stage"] = stage
    losses = _rows(con, """
        select council_name, pages_failed, links_refused, links_deferred from meta.stage_report
        where run_id = $run_id and coalesce(pages_failed, 0) + coalesce(links_refused, 0)
                                   + coalesce(links_deferred, 0) > 0
        order by council_name""", {"run_id": run_id})
    if losses:  # never silent: what discovery could not follow tonight (staging.quarantine discovery:* names it)
        print("Discovery losses (this run; staging.quarantine reason discovery:*)")
        for name, pages, refused, deferred in losses:
            parts = [f"{pages} listing page(s) failed (asked again next night)" if pages else "",
                     f"{refused} link(s) refused (another council's or an unknown host)" if refused else "",
                     f"{deferred} link(s) over the cap (taken on later nights)" if deferred else ""]
            print(f"  {str(name)[:34]}: " + "; ".join(p for p in parts if p))
        facts["discovery_losses"] = losses
    derived = _rows(con, sqlfiles.load("stage_state/run_statuses"), {"run_id": run_id})
    if derived:  # pipelines/stage_state.py: what the derived stages did (the extracts report in their metadata)
        by_status: dict[str, list[str]] = {}
        for stage_name, status in derived:
            by_status.setdefault(status, []).append(stage_name.replace("mart:", "marts."))
        print("Derived stages (this run): " + "; ".join(
            f"{'inputs unchanged, not rebuilt' if status == 'unchanged' else status}: {', '.join(names)}"
            for status, names in sorted(by_status.items())))
        facts["derived_stages"] = dict(derived)
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
    events = _rows(con, """select council_name, service, event_type, strftime(start_month, '%Y-%m'), from_supplier,
                                  to_supplier, confidence
                           from marts.sourcing_events order by start_month, council_name, service""")
    if events:
        shown = events[:MAX_EVENTS_PRINTED]
        print(f"Sourcing events detected ({len(events)}):")
        for council, service, kind, month, a, b, confidence in shown:
            print(f"  {month} {council}: {kind} of {service} ({a or '-'} -> {b or '-'}), "
                  f"confidence {float(confidence or 0):.2f}")
        if len(events) > len(shown):
            print(f"  ... and {len(events) - len(shown)} more, not printed (all in marts.sourcing_events)")
        facts["events"] = len(events)
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
