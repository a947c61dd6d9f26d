"""Sourcing events: what `marts.sourcing_events` calls an event, how sure it is, and how to check it.

The series. Per council, service (taxonomy key) and supplier *group* (`core.dim_supplier.group_key`: the
subsidiaries of one group, and one organisation under several spellings once resolved, are one series), the
months in which the group was paid (a positive line). A council month counts as observed only when the council
published it (at least `min_month_lines_share` of its median monthly lines): months never published, or
published with a handful of late lines, neither confirm nor break anything.

A stop. The month after which a group is not paid in the service. It is an exit only when

* the group was a recurring provider: the council published at least `min_observed_months` of the 12 months up
  to its last payment and the group went unpaid in no more than `12 - min_active_months` of them, and it had at
  least `min_service_share` of the service's spend;
* the absence that follows is observed for long enough, in published months: at least `confirm_months`; more
  than the group's longest gap of the previous 24 months and than its unpaid months of the last 12 (a seasonal
  contractor's off-season is not an exit); and long enough that a run of unpaid months that long would happen by
  chance, at the rate the group goes unpaid (upper end of a 95% Wilson interval over its last 24 months), less
  often than `chance_level`, so a contractor paid every month needs 4 months, a supplier paid 12 months of 18
  needs 15 and a sporadic one never qualifies;
* the group is not paid there again within `lookback_months` (it had paused, not left) and does not turn up,
  new, under another service of the same council within the confirmation window (a ledger recoding: one supplier,
  or many at once when the council changes systems, move label; they have not left).

A start mirrors it: the group was not paid in the service in the `lookback_months` before (of which at least
`min_observed_months` published, and at least as many as a chance gap at its later payment rate would need), is a
recurring, material provider over the next 12 months (at least `start_confirm_months` published), and did not
just stop under another service label.

Types. A stop and a start in the same service, no more than `max_gap_months` published months apart (either
way), are paired (mutual best: closest, then largest): external to external is a `relet`; external to the
council's own company, to the council itself (a public body whose GSS is the council) or to another public body
is an `insourcing` (`successor_kind` says which); in-house to external is an `outsourcing`. An external stop
nobody replaced is an `exit`, not an insourcing: nothing shows the council took the work on. An external start
with no predecessor, where no other external group was recurring in the lookback, is an `outsourcing`. A stop is a
`supplier_failure` when the group is paid nowhere at all within `failure_window_months` after it and either the
register shows the group or its parent insolvent (liquidation, administration, receivership, insolvency,
dissolution, a voluntary arrangement) or `failure_min_councils` councils stopped paying it within that window;
such a stop needs only `failure_confirm_months` published months of absence.

Confidence. Each side's evidence is in decades of chance: -log10(unpaid rate ^ published months of absence), a
failure's stop adding 4 for the register and 2 for each corroborating council (at most 3); the weaker side counts.
The confidence is a logistic curve in that evidence, fitted by `python -m pipelines.sample.evaluate --calibrate`
on calibration worlds (detections at the default settings and at looser ones, each labelled right or wrong
against the planted events); on the evaluation worlds events at confidence >= 0.8 are right at least 9 times in 10
(the evaluation's calibration table says how often at each level).

The consistency check (`check_consistency`, `keepitlocal check-events`, and the warning check
`sql/checks/warning/sourcing_events_contradicted.sql` run with every build) needs no truth: a stop is contradicted
when its group is paid again by that council for that service within the confirmation window, a start when its
group was paid there in the lookback window.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from pipelines import sqlfiles
from pipelines.marts.build import DEFAULT_MART_PARAMS

CHECK = "checks/warning/sourcing_events_contradicted"


def check_consistency(con: duckdb.DuckDBPyConnection, confirm_months: int | None = None,
                      lookback_months: int | None = None) -> dict:
    """Every event in marts.sourcing_events checked against the payments: counts by type, how many events'
    windows reach past the council's last month (not fully checkable yet), and the contradictions found."""
    params = {"event_confirm_months": confirm_months or DEFAULT_MART_PARAMS["confirm_months"],
              "event_lookback_months": lookback_months or DEFAULT_MART_PARAMS["lookback_months"]}
    contradictions = [row[0] for row in sqlfiles.execute(con, CHECK, params).fetchall()]
    counts = sqlfiles.execute(con, "marts/events/consistency_counts", params).fetchall()
    by_type = {kind: {"events": n, "window_past_data": past} for kind, n, past in counts}
    return {"events": sum(v["events"] for v in by_type.values()), "by_type": by_type,
            "contradicted": len(contradictions), "contradictions": contradictions, **params}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("warehouse", type=Path, help="a warehouse DuckDB file (opened read-only)")
    parser.add_argument("--confirm-months", type=int, default=DEFAULT_MART_PARAMS["confirm_months"],
                        help="a stop is contradicted by a payment this many months after it, or within its own "
                             "confirmation window if longer (default %(default)s)")
    parser.add_argument("--lookback-months", type=int, default=DEFAULT_MART_PARAMS["lookback_months"],
                        help="a start is contradicted by a payment this many months before it (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    """`keepitlocal check-events WAREHOUSE`: exit status 1 when an event is contradicted."""
    if not args.warehouse.is_file():
        print(f"no warehouse file at {args.warehouse}")
        return 2
    con = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        result = check_consistency(con, args.confirm_months, args.lookback_months)
    finally:
        con.close()
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{result['events']} sourcing events checked against the payments "
              f"(stops: {result['event_confirm_months']} months after; starts: {result['event_lookback_months']} "
              f"months before): {result['contradicted']} contradicted")
        for kind, v in sorted(result["by_type"].items()):
            print(f"  {kind:16} {v['events']:5}  ({v['window_past_data']} with a window reaching past the data)")
        for line in result["contradictions"]:
            print(f"  CONTRADICTED {line}")
    return 1 if result["contradicted"] else 0
