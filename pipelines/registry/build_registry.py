"""Regenerate `pipelines/registry/councils.csv` from the registers in the shared corpus and the committed evidence.

    .venv/bin/python -m pipelines.registry.build_registry [--corpus ../shared/corpus/registry] [--today 2026-12-06]

Bodies (every code comes from a register; nothing is invented):

* `digital-land_dluhc-datasets/local-authority.csv`: every English local authority current on `--today` or ended
  on/after 2010-04-01 (ABOLISHED_SINCE). GSS, name, type, region, website, start/end dates. Rows sharing a GSS are
  one body under successive names; mySociety's name for that GSS wins.
* `mysociety_uk_local_authority_names_and_codes/uk_local_authorities_future.csv`: districts' counties
  (`county-la`), successors of abolished bodies (`replaced-by`, local-authority codes -> GSS), former GSS codes
  (`former-gss-codes`), and combined authorities the DLUHC register does not list yet (Hull and East Yorkshire,
  Greater Lincolnshire). ONS `ons_lad_lookups/la_all_codes.csv` (`LADCD_ACTIVE`) fills successors mySociety lacks;
  a county with no successor of its own gets the successors of its districts; `successions.csv` (committed, with
  its legal source) covers the combined authorities no register links.
* Police force areas (ONS PFA Dec 2019, E23), fire and rescue authorities (ONS FRA Dec 2019, E31) and national
  park authorities (digital-land, E26): `other_bodies.csv` (committed) adds each one's region, governance notes,
  the Hampshire/Isle of Wight merger, and `same_body_as` where the council is the fire authority.

Landing pages come only from evidence (sources.md §9: never guessed):

* `evidence.csv` (committed): every page seen in a look-up (`lookups.csv`), with what the page says.
* ODI Leeds indexes (`odileeds_council-spending-data/<body>/index.json`): landing URLs (`src.urls`), the months of
  the files listed (first/last period), header aliases (kept in `parser_hints`).
* `hdurand_uk-public-spending/publishers-sample.csv`: data.gov.uk organisation ids (`parser_hints.ckan_organization`).

Each row's `landing_status` is the best evidence kind seen (see `pipelines.registry.LANDING_STATUSES`); `landing_urls`
holds the verified, transparency and captured pages (best first, at most MAX_LANDING_URLS). Cited pages (URL seen
in someone else's list, page not seen) and news stay in the evidence columns only. Re-running rewrites the file
deterministically (sorted by GSS) for a given `--today`.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.registry import (
    ALL_COLUMNS, DEFAULT_REGISTRY_PATH, EVIDENCE_PATH, KIND_RANK, KIND_STATUS, REGISTRY_DIR,
)
from pipelines.spend.periods import (
    cy_key, fy_period_key, fy_quarter_key, is_period_key, period_precision, period_range, upgrade_period_key,
)

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "registry"
DEFAULT_TODAY = date(2026, 12, 6)  # the date the committed file was built for (pass --today to rebuild for another)
ABOLISHED_SINCE = date(2010, 4, 1)
MAX_LANDING_URLS = 3
ODILEEDS_COMMIT = "791774c"

REGISTER_TYPES = {
    "NMD": "district", "UA": "unitary", "MD": "metropolitan", "LBO": "london_borough",
    # The City of London carries a London-borough code (E09000001) and the borough functions.
    "CC": "london_borough", "CTY": "county", "COMB": "combined_authority", "SRA": "gla",
}

# odileeds body folder -> GSS. cabinetoffice, networkrail and tfl are not local authorities.
ODILEEDS_BODIES = {
    "bradford": "E08000032", "calderdale": "E08000033", "darlington": "E06000005", "gateshead": "E08000037",
    "harrogate": "E07000165", "kirklees": "E08000034", "leeds": "E08000035",
    # ODI Leeds' "liverpool" index points at the Liverpool City Region files in northwestopendata's GitHub repo.
    "liverpool": "E47000004", "london": "E12000007", "manchester": "E08000003", "newcastle": "E08000021",
    "northtyneside": "E08000022", "salford": "E08000006", "sheffield": "E08000039", "wakefield": "E08000036",
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _in_scope(row: dict[str, str], today: date) -> bool:
    end = row.get("end-date") or ""
    start = row.get("start-date") or ""
    if start and date.fromisoformat(start) > today:
        return False
    return not end or date.fromisoformat(end) >= ABOLISHED_SINCE


def _ended(end: str, today: date) -> bool:
    return bool(end) and date.fromisoformat(end) < today


def _threshold_from(text: str) -> str:
    lowered = text.lower()
    if re.search(r"(?:over|exceeding|above)[-_ %a-z]*250|[^0-9]250[-_ ]report|f250|ps250", lowered):
        return "250"
    if re.search(r"(?:over|exceeding|above)[-_ %a-z]*500|\b500[-_ ]", lowered):
        return "500"
    return ""


def _discovery_for(urls: list[str]) -> str:
    if any("/api/action/package_show" in u or "/api/3/action/package_show" in u for u in urls):
        return "ckan"
    if any(u.startswith("https://github.com/") for u in urls):
        return "github"
    return "html"


# ------------------------------------------------------------------------------------------------------------
# evidence

def odileeds_evidence(corpus: Path) -> tuple[list[dict[str, str]], dict[str, dict]]:
    """Evidence rows and parser hints from each ODI Leeds body index."""
    rows: list[dict[str, str]] = []
    hints: dict[str, dict] = {}
    for folder, gss in ODILEEDS_BODIES.items():
        index = json.loads((corpus / "odileeds_council-spending-data" / folder / "index.json").read_text(encoding="utf-8"))
        urls = [u.strip() for u in index.get("src", {}).get("urls", []) if u.strip()]
        files = index.get("files", [])
        periods = [k for k in (_odileeds_period(f.get("month") or "") for f in files) if k]
        first, last = _period_bounds(periods)
        formats = sorted({(f.get("format") or "").lower() for f in files if f.get("format")})
        file_urls = " ".join(f.get("url", "") for f in files[-6:])
        ckan_package = ""
        for u in urls:
            match = re.search(r"package_show\?id=([\w-]+)", u)
            if match:
                ckan_package = match.group(1)
        precision = {period_precision(k) for k in periods}
        cadence = {"month": "monthly", "quarter": "quarterly", "year": "annual"}.get(precision.pop(), "") \
            if len(precision) == 1 and len(periods) >= 3 else ""
        for url in urls:
            rows.append({
                # an index with files is a snapshot of the page's files; one without is only a citation
                "gss": gss, "lookup_id": f"corpus:odileeds/{folder}@{ODILEEDS_COMMIT}", "url": url,
                "seen": period_range(last)[1].isoformat() if last else "", "kind": "corpus_index" if files else "cited",
                "threshold": _threshold_from(" ".join(urls) + " " + file_urls), "amount_basis": "",
                "cadence": cadence, "formats": ";".join(formats), "first_period": first, "last_period": last,
                "ckan_package": ckan_package,
                "note": f"ODI Leeds source index ({len(files)} files listed; seen = end of the last period listed)",
            })
        aliases = {k: v for k, v in index.get("columns", {}).get("map", {}).items() if v}
        hints[gss] = {"source_index": f"odileeds/{folder}", **({"header_aliases": aliases} if aliases else {})}
    return rows, hints


def _odileeds_period(label: str) -> str:
    """ODI Leeds `month` labels -> period keys: 2022-08, 2014-Q1 (financial-year quarter), 2013-P01 (GLA period
    of the financial year starting that April), 2019 (calendar year)."""
    label = label.strip()
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return label
    match = re.fullmatch(r"(\d{4})-Q([1-4])", label)
    if match:
        return fy_quarter_key(int(match.group(1)), int(match.group(2)))
    match = re.fullmatch(r"(\d{4})-P(\d{2})", label)
    if match and 1 <= int(match.group(2)) <= 13:
        return fy_period_key(int(match.group(1)), int(match.group(2)))
    if re.fullmatch(r"\d{4}", label):
        return cy_key(int(label))
    return ""


def ckan_organizations(corpus: Path) -> dict[str, str]:
    """Lower-cased publisher title -> data.gov.uk organisation id, for councils only."""
    rows = _read_csv(corpus / "hdurand_uk-public-spending" / "publishers-sample.csv")
    return {r["title"].lower(): r["id"] for r in rows if r.get("type") == "local-council"}


def load_evidence(path: Path = EVIDENCE_PATH) -> list[dict[str, str]]:
    return _read_csv(path)


def _period_bounds(keys: list[str]) -> tuple[str, str]:
    good = [upgrade_period_key(k) for k in keys if k and is_period_key(k)]
    if not good:
        return "", ""
    first = min(good, key=lambda k: period_range(k)[0])
    last = max(good, key=lambda k: period_range(k)[1])
    return first, last


def _normal_threshold(value: str) -> str:
    value = value.strip().lower()
    if value in ("all", "none", "0"):
        return "none"
    return value if re.fullmatch(r"\d+", value) else ""


def summarise_evidence(items: list[dict[str, str]]) -> dict[str, str]:
    """The registry columns one body's evidence supports: landing pages, status, what the pages say."""
    ranked = sorted(enumerate(items), key=lambda p: (-KIND_RANK.get(p[1]["kind"], -1), p[0]))
    ordered = [item for _, item in ranked]
    landing = [e for e in ordered if KIND_STATUS.get(e["kind"]) in ("verified", "transparency", "captured") and e["url"]]
    urls = list(dict.fromkeys(e["url"] for e in landing))[:MAX_LANDING_URLS]
    best = landing[0] if landing else next((e for e in ordered if e["url"] and e["kind"] in KIND_STATUS), None)
    useful = [e for e in ordered if e["kind"] in KIND_STATUS]

    def first_value(field: str) -> str:
        return next((e[field] for e in useful if e.get(field)), "")

    first, _ = _period_bounds([e.get("first_period", "") for e in useful] + [e.get("last_period", "") for e in useful])
    _, last = _period_bounds([e.get("last_period", "") for e in useful])  # only what a page said was its latest
    formats = sorted({f for e in useful for f in (e.get("formats") or "").split(";") if f})
    ckan_package = first_value("ckan_package")
    return {
        "landing_urls": "|".join(urls),
        "landing_status": KIND_STATUS[best["kind"]] if best else "",
        "evidence_url": best["url"] if best else "",
        "evidence_source": best["lookup_id"] if best else "",
        "evidence_date": best["seen"] if best else "",
        "ckan_package": ckan_package,
        "threshold": next((_normal_threshold(e["threshold"]) for e in useful if _normal_threshold(e.get("threshold", ""))), ""),
        "amount_basis": first_value("amount_basis"),
        "cadence": first_value("cadence"),
        "formats": ";".join(formats),
        "first_period": first,
        "last_period": last,
    }


# ------------------------------------------------------------------------------------------------------------
# bodies

def _split_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[,|;\s]+", text or "") if c]


def local_authorities(corpus: Path, today: date) -> list[dict[str, str]]:
    register = _read_csv(corpus / "digital-land_dluhc-datasets" / "local-authority.csv")
    mysociety = _read_csv(corpus / "mysociety_uk_local_authority_names_and_codes" / "uk_local_authorities_future.csv")
    ms_by_gss = {r["gss-code"]: r for r in mysociety if r["gss-code"]}
    gss_by_code = {r["local-authority-code"]: r["gss-code"] for r in mysociety}
    county_by_district = {r["gss-code"]: gss_by_code.get(r["county-la"], "") for r in mysociety if r["county-la"]}
    for r in _read_csv(corpus / "ons_lad_lookups" / "030.csv"):
        county_by_district.setdefault(r["LAD20CD"], r["CTY20CD"])
    active = {r["LADCD"]: r["LADCD_ACTIVE"] for r in _read_csv(corpus / "ons_lad_lookups" / "la_all_codes.csv")}
    extra_successors = {r["gss"]: r["successor_gss"] for r in _read_csv(REGISTRY_DIR / "successions.csv")}

    by_gss: dict[str, dict[str, str]] = {}
    for r in register:
        if not _in_scope(r, today):
            continue
        gss = r["statistical-geography"]
        mysoc_name = ms_by_gss.get(gss, {}).get("official-name")
        if gss in by_gss and by_gss[gss]["name"] == mysoc_name:
            continue  # the same body listed again under a former name
        by_gss[gss] = {"gss": gss, "name": r["name"], "type": REGISTER_TYPES[r["local-authority-type"]],
                       "region_gss": r["region"], "website": r["website"], "start_date": r["start-date"],
                       "end_date": r["end-date"], "code_source": "dluhc_register"}
    # combined authorities mySociety lists that the DLUHC register does not (yet)
    for gss, r in ms_by_gss.items():
        if gss.startswith("E47") and gss not in by_gss and _in_scope({"start-date": r["start-date"], "end-date": r["end-date"]}, today):
            lad = next((x for x in _read_csv(corpus / "ons_lad_lookups" / "cauth_all_codes.csv") if x["CAUTHCD"] == gss), None)
            by_gss[gss] = {"gss": gss, "name": r["official-name"], "type": "combined_authority",
                           "region_gss": lad["RGNCD"] if lad else _region_of_members(gss, corpus),
                           "website": "", "start_date": r["start-date"], "end_date": r["end-date"],
                           "code_source": "mysociety_register"}

    for gss, row in by_gss.items():
        row["county_gss"] = county_by_district.get(gss, "") if row["type"] == "district" else ""
        ms = ms_by_gss.get(gss, {})
        row["former_gss"] = "|".join(c for c in _split_codes(ms.get("former-gss-codes", "")) if c != gss)
        successors: list[str] = []
        if _ended(row["end_date"], today):
            successors = [gss_by_code.get(c, "") for c in _split_codes(ms.get("replaced-by", ""))]
            successors = [s for s in successors if s]
            if not successors and active.get(gss) and active[gss] != gss:
                successors = [active[gss]]
            if not successors and gss in extra_successors:
                successors = [extra_successors[gss]]
        row["successor_gss"] = "|".join(dict.fromkeys(successors))
    # a county with no successor of its own: the successors of its districts
    for gss, row in by_gss.items():
        if row["type"] == "county" and _ended(row["end_date"], today) and not row["successor_gss"]:
            succ = [s for d in by_gss.values() if d["county_gss"] == gss for s in d["successor_gss"].split("|") if s]
            row["successor_gss"] = "|".join(sorted(set(succ)))
    return list(by_gss.values())


def _region_of_members(ca_gss: str, corpus: Path) -> str:
    regions = {r["RGNCD"] for r in _read_csv(corpus / "ons_lad_lookups" / "la_all_codes.csv") if r["CAUTHCD"] == ca_gss}
    return regions.pop() if len(regions) == 1 else ""


def other_bodies(corpus: Path) -> list[dict[str, str]]:
    """Police force areas, fire and rescue authorities and national park authorities (codes from the corpus)."""
    pfa = {r["PFA19CD"] for r in _read_csv(corpus / "public_bodies_uk" / "ons_names_codes_2019" / "244_police_force_areas_dec2019.csv")}
    fra = {r["FRA19CD"] for r in _read_csv(corpus / "public_bodies_uk" / "ons_names_codes_2019" / "264_fire_rescue_authorities_dec2019.csv")}
    npa = {r["national-park"]: r for r in _read_csv(corpus / "public_bodies_uk" / "digital-land_organisation-collection" / "national-park-authority.csv")}
    rows = []
    for r in _read_csv(REGISTRY_DIR / "other_bodies.csv"):
        listed = {"police": pfa, "fire": fra, "national_park": set(npa)}[r["type"]]
        if r["gss"] not in listed and r["code_source"] != "ons_rgc_may2023_range":
            raise ValueError(f"other_bodies.csv: {r['gss']} is not in the corpus register for {r['type']}")
        website = r["website"] or (npa.get(r["gss"], {}).get("website", ""))
        rows.append({"gss": r["gss"], "name": r["name"], "type": r["type"], "region_gss": r["region_gss"],
                     "county_gss": "", "website": website, "start_date": r["start_date"], "end_date": r["end_date"],
                     "successor_gss": r["successor_gss"], "former_gss": "", "code_source": r["code_source"],
                     "same_body_as": r["same_body_as"], "note": r["note"]})
    return rows


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Evidence kinds whose URL is a page on the body's own site (a cited URL, news, a CKAN dataset or a repository is
# someone else's host).
OWN_SITE_KINDS = ("corpus_index", "spend_page", "portal", "capture", "transparency_page", "other_page")


def _own_site(items: list[dict[str, str]]) -> str:
    """The body's own site as seen on its best own-site evidence page, for bodies the registers give no website."""
    own = [e for e in items if e.get("url") and e["kind"] in OWN_SITE_KINDS]
    if not own:
        return ""
    best = min(enumerate(own), key=lambda p: (-KIND_RANK[p[1]["kind"]], p[0]))[1]
    return _origin(best["url"])


# ------------------------------------------------------------------------------------------------------------
# the registry

def build_rows(corpus: Path, today: date | None = None, evidence_path: Path = EVIDENCE_PATH) -> list[dict[str, str]]:
    today = today or DEFAULT_TODAY
    bodies = local_authorities(corpus, today) + other_bodies(corpus)
    corpus_evidence, hints_by_gss = odileeds_evidence(corpus)
    evidence: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in corpus_evidence + load_evidence(evidence_path):
        evidence[e["gss"]].append(e)
    organisations = ckan_organizations(corpus)
    registered_sites = {b["gss"]: b["website"] for b in bodies if b["website"]}

    rows = []
    for body in sorted(bodies, key=lambda b: b["gss"]):
        gss = body["gss"]
        summary = summarise_evidence(evidence.get(gss, []))
        summary_items = evidence.get(gss, [])
        note = body.get("note", "")
        if not summary["landing_urls"] and body.get("same_body_as"):
            # the council is the fire authority: its spending pages carry the fire spend
            for other in body["same_body_as"].split("|"):
                inherited = summarise_evidence(evidence.get(other, []))
                if inherited["landing_urls"]:
                    summary = inherited
                    summary_items = evidence.get(other, [])
                    summary["evidence_source"] = f"{inherited['evidence_source']} via {other}"
                    break
        ended = _ended(body["end_date"], today)
        website = body["website"] or _own_site(summary_items) or _own_site(evidence.get(gss, []))
        if not website and body.get("same_body_as"):
            # the council is the fire authority: deep discovery starts from the council's site
            website = next((registered_sites[o] for o in body["same_body_as"].split("|") if o in registered_sites), "")
        status = summary["landing_status"]
        if status not in ("verified", "transparency", "captured"):
            status = "none" if ended or not website else "fallback"
        urls = summary["landing_urls"].split("|") if summary["landing_urls"] else []
        if status in ("none",) and not urls:
            discovery = "none"
        elif summary["ckan_package"] and not any("package_show" in u for u in urls):
            discovery = "ckan"
        else:
            discovery = _discovery_for(urls) if urls else "html"
        hints = dict(hints_by_gss.get(gss, {}))
        organisation = organisations.get(body["name"].lower())
        if organisation:
            hints["ckan_organization"] = organisation
        if note:
            hints["note"] = note
        rows.append({
            "gss": gss, "name": body["name"], "type": body["type"], "region_gss": body["region_gss"],
            "county_gss": body["county_gss"], "website": website, "start_date": body["start_date"],
            "end_date": body["end_date"], "landing_urls": summary["landing_urls"], "discovery": discovery,
            "ckan_package": summary["ckan_package"], "link_include": "", "link_exclude": "",
            "threshold": summary["threshold"], "amount_basis": summary["amount_basis"] or "unknown",
            "cadence": summary["cadence"] or "unknown",
            "parser_hints": json.dumps(hints, sort_keys=True, ensure_ascii=False) if hints else "",
            "successor_gss": body["successor_gss"], "former_gss": body["former_gss"],
            "code_source": body["code_source"], "landing_status": status,
            "evidence_url": summary["evidence_url"], "evidence_source": summary["evidence_source"],
            "evidence_date": summary["evidence_date"], "formats": summary["formats"],
            "first_period": summary["first_period"], "last_period": summary["last_period"],
        })
    return rows


def write_registry(rows: list[dict[str, str]], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ALL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus registry folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_REGISTRY_PATH)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help=f"the date that decides which authorities are current (default {DEFAULT_TODAY})")
    args = parser.parse_args(argv)
    rows = build_rows(args.corpus, args.today)
    write_registry(rows, args.out)
    counts = defaultdict(int)
    for r in rows:
        counts[r["landing_status"]] += 1
    print(f"wrote {len(rows)} bodies to {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
