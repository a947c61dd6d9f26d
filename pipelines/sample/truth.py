"""Compare a warehouse with the sample world's planted truths (`truth.json`).

Used by the demo summary and the end-to-end tests: the events must be found at the right council, service
and month (within one month), the collapsed group's exposure must match, and the local / SME / VCSE / public /
large-private shares must equal the generator's to 0.1 percentage point.
"""

from __future__ import annotations

import re
from decimal import Decimal

import duckdb

SHARE_TOLERANCE_PP = 0.1
SHARE_FIELDS = ("local_authority_share", "local_county_share", "local_region_share", "sme_share", "vcse_share",
                "public_share", "large_private_share", "individual_redacted_share")


def service_key(text: str) -> str:
    """'Children's Services' -> 'childrens_services' (the taxonomy's keys)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'", "")).strip("_")


def _month_index(value) -> int:
    if isinstance(value, str):
        year, month = value[:7].split("-")
        return int(year) * 12 + int(month)
    return value.year * 12 + value.month


def check_truth(con: duckdb.DuckDBPyConnection, truth: dict) -> list[tuple[str, bool, str]]:
    return [*check_events(con, truth), *check_collapse(con, truth), *check_shares(con, truth)]


def check_events(con, truth: dict) -> list[tuple[str, bool, str]]:
    found = con.execute("select council_gss, service, event_type, start_month from marts.sourcing_events").fetchall()
    results = []
    for event in truth.get("events", []):
        want = _month_index(event["start_month"])
        hits = [row for row in found
                if row[0] == event["council_gss"] and service_key(row[1]) == service_key(event["service"])
                and row[2] == event["event_type"] and abs(_month_index(row[3]) - want) <= 1]
        name = f"{event['event_type']} of {event['service']} at {event['council_gss']} in {event['start_month']}"
        detail = f"detected {hits[0][3]}" if hits else "not detected"
        results.append((name, bool(hits), detail))
    return results


def check_collapse(con, truth: dict) -> list[tuple[str, bool, str]]:
    collapse = truth.get("collapse")
    if not collapse:
        return []
    rows = con.execute(
        """select council_gss, financial_year, sum(spend) from marts.group_exposure
           where starts_with(upper(group_name), upper($group)) group by 1, 2""",
        {"group": collapse["group_name"]},
    ).fetchall()
    got = {(gss, fy): Decimal(spend) for gss, fy, spend in rows}
    want = {(gss, fy): Decimal(v) for gss, years in collapse["spend_by_council_fy"].items() for fy, v in years.items()}
    missing = [k for k in want if got.get(k) != want[k]]
    councils = {gss for gss, _ in got}
    ok = not missing and set(collapse["councils"]) <= councils
    detail = (f"{len(councils)} councils exposed, spend matches in {len(want) - len(missing)}/{len(want)} council-years")
    return [(f"exposure to {collapse['group_name']}", ok, detail)]


def check_shares(con, truth: dict) -> list[tuple[str, bool, str]]:
    rows = con.execute(
        f"""select council_gss, financial_year, {', '.join(SHARE_FIELDS)} from marts.keep_it_local_scorecard
            where period_grain = 'year'"""
    ).fetchall()
    got = {(r[0], r[1]): dict(zip(SHARE_FIELDS, r[2:])) for r in rows}
    worst = (0.0, "")
    compared = 0
    for want in truth.get("shares", []):
        have = got.get((want["council_gss"], want["financial_year"]))
        if have is None:
            worst = (float("inf"), f"no scorecard row for {want['council_gss']} {want['financial_year']}")
            break
        for field in SHARE_FIELDS:
            if field not in want:
                continue
            compared += 1
            diff = abs(float(have[field] or 0) - float(want[field]))
            if diff > worst[0]:
                worst = (diff, f"{want['council_gss']} {want['financial_year']} {field}")
    ok = worst[0] <= SHARE_TOLERANCE_PP and compared > 0
    return [("scorecard shares equal the planted truth (0.1 pp)", ok,
             f"{compared} shares compared, largest difference {worst[0]:.3f} pp ({worst[1] or 'none'})")]

