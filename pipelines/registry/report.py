"""How well the registry covers the authorities: `keepitlocal registry report [--json] [--as-of DATE]`.

Per authority type and region (current bodies; abolished ones counted apart): how many have a verified landing
page (`landing_status` verified: a spend page, portal, CKAN dataset or repository seen with evidence), only a
transparency page leading to it, only a third-party capture, only a citation, only the website to start deep
discovery from (fallback), or nothing; how many have a CKAN package. Stale rows: the last period the evidence saw
ended more than six months before `as_of`. With a warehouse, deep discovery's best candidate per council too.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.registry import DEFAULT_REGISTRY_PATH, LANDING_STATUSES, PRINCIPAL_TYPES, load_registry
from pipelines.spend.periods import is_period_key, period_range

STALE_MONTHS = 6
# Issue 12's targets: a verified landing page for at least 300 current principal councils and for at least 80% of
# the fire, police and combined authorities.
TARGET_PRINCIPAL_VERIFIED = 300
TARGET_OTHERS_VERIFIED_PCT = 80.0
EVIDENCED = ("verified", "transparency", "captured")
REGION_NAMES = {
    "E12000001": "North East", "E12000002": "North West", "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands", "E12000005": "West Midlands", "E12000006": "East of England",
    "E12000007": "London", "E12000008": "South East", "E12000009": "South West",
}
TYPE_GROUPS = {t: "principal council" for t in PRINCIPAL_TYPES}


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


def stale_rows(df: pl.DataFrame, as_of: date) -> list[dict]:
    """Current bodies whose last period seen ended more than STALE_MONTHS months before `as_of`."""
    cutoff = _months_before(as_of, STALE_MONTHS)
    out = []
    for row in df.filter(pl.col("end_date").is_null() & pl.col("last_period").is_not_null()).iter_rows(named=True):
        if not is_period_key(row["last_period"]):
            continue
        ended = period_range(row["last_period"])[1]
        if ended < cutoff:
            out.append({"gss": row["gss"], "name": row["name"], "type": row["type"], "last_period": row["last_period"],
                        "period_end": ended.isoformat(), "landing_status": row["landing_status"]})
    return sorted(out, key=lambda r: (r["period_end"], r["gss"]))


def without_page(current: pl.DataFrame) -> list[dict]:
    """Current bodies with no evidenced page (cited, fallback or none): what the night can only reach by deep
    discovery from the website, or not at all."""
    rest = current.filter(~pl.col("landing_status").fill_null("fallback").is_in(list(EVIDENCED)))
    return [{"gss": r["gss"], "name": r["name"], "type": r["type"], "region_gss": r["region_gss"],
             "landing_status": r["landing_status"] or "fallback", "website": r["website"],
             "evidence_url": r["evidence_url"]}
            for r in rest.sort(["type", "gss"]).iter_rows(named=True)]


def _table(rows: pl.DataFrame, key: str) -> list[dict]:
    out = []
    for value, group in sorted(rows.group_by(key), key=lambda g: str(g[0][0])):
        counts = Counter(group["landing_status"].fill_null("fallback").to_list())
        entry = {key: value[0], "bodies": group.height, **{s: counts.get(s, 0) for s in LANDING_STATUSES},
                 "ckan_package": int(group["ckan_package"].is_not_null().sum())}
        if key == "region_gss":
            entry["region"] = REGION_NAMES.get(value[0] or "", value[0] or "unknown")
        out.append(entry)
    return out


def registry_report(df: pl.DataFrame, as_of: date | None = None, candidates: list[dict] | None = None) -> dict:
    """The coverage report as a JSON-ready dict."""
    as_of = as_of or date.today()
    current = df.filter(pl.col("end_date").is_null() | (pl.col("end_date") >= as_of.isoformat()))
    abolished = df.filter(pl.col("end_date").is_not_null() & (pl.col("end_date") < as_of.isoformat()))
    principal = current.filter(pl.col("type").is_in(PRINCIPAL_TYPES))
    others = current.filter(pl.col("type").is_in(["police", "fire", "combined_authority"]))

    def share(frame: pl.DataFrame, statuses=("verified",)) -> dict:
        n = int(frame["landing_status"].is_in(list(statuses)).sum())
        return {"with_page": n, "bodies": frame.height, "pct": round(100 * n / frame.height, 1) if frame.height else 0.0}

    by_region: dict[str, list[dict]] = defaultdict(list)
    for entry in _table(principal, "region_gss"):
        by_region["principal councils"].append(entry)
    stale = stale_rows(df, as_of)
    principal_verified = share(principal)
    others_verified = share(others)
    return {
        "as_of": as_of.isoformat(),
        "bodies": df.height,
        "current": current.height,
        "abolished_since_2010": abolished.height,
        "abolished_with_successor": int(abolished["successor_gss"].is_not_null().sum()),
        "statuses": list(LANDING_STATUSES),
        "targets": {
            "principal_verified": principal_verified,
            "principal_verified_or_transparency": share(principal, ("verified", "transparency")),
            "principal_any_page": share(principal, ("verified", "transparency", "captured")),
            "fire_police_combined_verified": others_verified,
            "fire_police_combined_any_page": share(others, ("verified", "transparency", "captured")),
        },
        "targets_met": {
            "principal_verified": {"target": TARGET_PRINCIPAL_VERIFIED,
                                   "met": principal_verified["with_page"] >= TARGET_PRINCIPAL_VERIFIED},
            "fire_police_combined_verified": {"target_pct": TARGET_OTHERS_VERIFIED_PCT,
                                              "met": others_verified["pct"] >= TARGET_OTHERS_VERIFIED_PCT},
        },
        "by_type": _table(current, "type"),
        "by_region": by_region["principal councils"],
        "abolished_by_type": _table(abolished, "type"),
        "stale_months": STALE_MONTHS,
        "stale": stale,
        "candidates": candidates or [],
        "without_page": without_page(current),
    }


def _fmt_table(rows: list[dict], key: str, label: str) -> list[str]:
    head = f"{label:<28}{'bodies':>7}" + "".join(f"{s:>13}" for s in LANDING_STATUSES) + f"{'ckan':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        name = r.get("region") or r[key] or "unknown"
        lines.append(f"{name:<28}{r['bodies']:>7}" + "".join(f"{r[s]:>13}" for s in LANDING_STATUSES) + f"{r['ckan_package']:>6}")
    return lines


def format_report(report: dict) -> str:
    t = report["targets"]
    lines = [
        f"Council source registry, as of {report['as_of']}: {report['bodies']} bodies ({report['current']} current, "
        f"{report['abolished_since_2010']} abolished since April 2010, {report['abolished_with_successor']} of them "
        "with a successor)",
        "",
        "landing_status: verified = spend page/portal/CKAN/repository seen with evidence; transparency = a "
        "transparency page that links the spend data; captured = a third party's capture lists the page; cited = "
        "URL known, page not seen; fallback = deep discovery from the website; none = nothing to start from",
        "",
        f"Principal councils with a verified page: {t['principal_verified']['with_page']}/{t['principal_verified']['bodies']}"
        f" ({t['principal_verified']['pct']}%); verified or transparency: "
        f"{t['principal_verified_or_transparency']['with_page']} ({t['principal_verified_or_transparency']['pct']}%);"
        f" any evidenced page: {t['principal_any_page']['with_page']} ({t['principal_any_page']['pct']}%)",
        f"Fire, police and combined authorities with a verified page: {t['fire_police_combined_verified']['with_page']}/"
        f"{t['fire_police_combined_verified']['bodies']} ({t['fire_police_combined_verified']['pct']}%); any evidenced "
        f"page: {t['fire_police_combined_any_page']['with_page']} ({t['fire_police_combined_any_page']['pct']}%)",
        f"Targets: principal verified >= {report['targets_met']['principal_verified']['target']}: "
        f"{'met' if report['targets_met']['principal_verified']['met'] else 'NOT met'}; fire, police and combined "
        f"verified >= {report['targets_met']['fire_police_combined_verified']['target_pct']:g}%: "
        f"{'met' if report['targets_met']['fire_police_combined_verified']['met'] else 'NOT met'}",
        "",
        "By type (current bodies):",
        *_fmt_table(report["by_type"], "type", "type"),
        "",
        "Principal councils by region:",
        *_fmt_table(report["by_region"], "region_gss", "region"),
        "",
        "Abolished since April 2010, by type:",
        *_fmt_table(report["abolished_by_type"], "type", "type"),
        "",
        f"Stale (last period seen ended more than {report['stale_months']} months before {report['as_of']}): "
        f"{len(report['stale'])}",
    ]
    for r in report["stale"][:40]:
        lines.append(f"  {r['gss']} {r['name']}: last period {r['last_period']} (ended {r['period_end']})")
    if len(report["stale"]) > 40:
        lines.append(f"  ... and {len(report['stale']) - 40} more (see --json)")
    rest = report["without_page"]
    by_status = Counter(r["landing_status"] for r in rest)
    lines += ["", f"Current bodies without an evidenced page: {len(rest)} ("
              + ", ".join(f"{s} {by_status[s]}" for s in LANDING_STATUSES if by_status.get(s)) + "; listed in --json)"]
    for r in rest:
        if r["landing_status"] == "none":
            lines.append(f"  {r['gss']} {r['name']}: nothing to start from")
    if report["candidates"]:
        lines += ["", f"Deep-discovery candidates awaiting review: {len(report['candidates'])}"]
        for c in report["candidates"][:40]:
            lines.append(f"  {c['council_gss']}: {c['page_url']} ({c['files']} files, {c['depth']} clicks)")
    return "\n".join(lines)


def metadata_summary(report: dict) -> dict:
    """The few numbers the `councils` asset shows in Dagster (JSON-safe scalars and small tables)."""
    t = report["targets"]
    return {
        "registry/as_of": report["as_of"],
        "registry/principal_verified": t["principal_verified"]["with_page"],
        "registry/principal_any_page": t["principal_any_page"]["with_page"],
        "registry/principal_councils": t["principal_verified"]["bodies"],
        "registry/fire_police_combined_any_page_pct": t["fire_police_combined_any_page"]["pct"],
        "registry/abolished_since_2010": report["abolished_since_2010"],
        "registry/stale": len(report["stale"]),
        "registry/by_type": {r["type"]: {s: r[s] for s in LANDING_STATUSES} for r in report["by_type"]},
    }


# ------------------------------------------------------------------------------------------------------------
# keepitlocal registry ...

def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="registry_command", metavar="SUBCOMMAND")
    report = sub.add_parser("report", help="coverage of the council source registry, stale rows, candidates")
    report.add_argument("--registry", type=Path, default=DEFAULT_REGISTRY_PATH, help="the registry CSV")
    report.add_argument("--as-of", type=date.fromisoformat, default=None, help="the date staleness is measured from")
    report.add_argument("--warehouse", type=Path, default=None,
                        help="a warehouse .duckdb file: also list deep-discovery candidates")
    report.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    if args.registry_command != "report":
        print("usage: keepitlocal registry report [--json] [--as-of YYYY-MM-DD] [--registry CSV] [--warehouse FILE]")
        return 2
    candidates: list[dict] = []
    if args.warehouse:
        import duckdb

        from pipelines.registry.candidates import best_candidates

        with duckdb.connect(str(args.warehouse), read_only=True) as con:
            candidates = best_candidates(con)
        for c in candidates:
            c["discovered_at"] = str(c.get("discovered_at"))
    report = registry_report(load_registry(args.registry), args.as_of, candidates)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
