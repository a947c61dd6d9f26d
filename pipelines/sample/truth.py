"""Compare a warehouse with the sample world's planted truths (`truth.json`).

Used by the demo summary and the end-to-end tests: every planted event must be found at the right council, of
the right type, in the right month (within one), with the right suppliers, and no other event detected; the
collapsed group's exposure must match, and the local / SME / VCSE / public / large-private shares must equal the
generator's to 0.1 percentage point.
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


def normalised_name(name: str | None) -> str:
    text = (name or "").upper().replace("LIMITED", "LTD").replace("&", "AND")
    return re.sub(r"[^A-Z0-9]", "", text)


def event_agrees(detected: dict, planted: dict, tolerance: int = 1) -> bool:
    """Same council and type, month within `tolerance`, and the same suppliers where the planted event names one."""
    if detected["council_gss"] != planted["council_gss"] or detected["event_type"] != planted["event_type"]:
        return False
    if abs(_month_index(detected["start_month"]) - _month_index(planted["start_month"])) > tolerance:
        return False
    if planted["from_name"] and normalised_name(detected["from_supplier"]) != normalised_name(planted["from_name"]):
        return False
    return not (planted["to_name"] and normalised_name(detected["to_supplier"]) != normalised_name(planted["to_name"]))


def match_events(detected: list[dict], planted: list[dict], tolerance: int = 1
                 ) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """One-to-one matching, closest month first: (matched pairs, unmatched detected, unmatched planted)."""
    candidates = sorted(
        (abs(_month_index(d["start_month"]) - _month_index(t["start_month"])), i, j)
        for i, d in enumerate(detected) for j, t in enumerate(planted) if event_agrees(d, t, tolerance))
    used_d: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_d and j not in used_t:
            used_d.add(i)
            used_t.add(j)
            pairs.append((detected[i], planted[j]))
    return (pairs, [d for i, d in enumerate(detected) if i not in used_d],
            [t for j, t in enumerate(planted) if j not in used_t])


def check_truth(con: duckdb.DuckDBPyConnection, truth: dict) -> list[tuple[str, bool, str]]:
    return [*check_events(con, truth), *check_collapse(con, truth), *check_shares(con, truth)]


def check_events(con, truth: dict) -> list[tuple[str, bool, str]]:
    """Per event type: every planted event found (council, type, month within one, suppliers), and no event
    detected that nobody planted."""
    rel = con.execute("""select council_gss, service, event_type, start_month, from_supplier, to_supplier
                         from marts.sourcing_events""")
    names = [c[0] for c in rel.description]
    detected = [dict(zip(names, row)) for row in rel.fetchall()]
    pairs, extra, missed = match_events(detected, truth.get("events", []))
    results = []
    for kind in sorted({e["event_type"] for e in truth.get("events", [])} | {d["event_type"] for d in detected}):
        planted = sum(1 for e in truth["events"] if e["event_type"] == kind)
        found = sum(1 for _, t in pairs if t["event_type"] == kind)
        unplanted = [d for d in extra if d["event_type"] == kind]
        detail = f"{found}/{planted} planted found, {len(unplanted)} detected that nobody planted"
        lost = [t for t in missed if t["event_type"] == kind]
        if lost:
            detail += "; missed " + ", ".join(f"{t['council_gss']} {t['service']} {t['start_month']}" for t in lost[:3])
        if unplanted:
            detail += "; extra " + ", ".join(f"{d['council_gss']} {d['service']} {str(d['start_month'])[:7]}"
                                            for d in unplanted[:3])
        results.append((f"{kind} events", found == planted and not unplanted, detail))
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

