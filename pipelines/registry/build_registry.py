"""Regenerate `pipelines/registry/councils.csv` from the real registers in the shared corpus.

    .venv/bin/python -m pipelines.registry.build_registry [--corpus ../shared/corpus/registry] [--out councils.csv]

Inputs (all read in place, never copied):

* `digital-land_dluhc-datasets/local-authority.csv`: the official register of English local authorities. Every
  authority with no end date (or an end date in the future) becomes one row: GSS (`statistical-geography`), name,
  type, region, website, start/end dates. Rows sharing a GSS are one body under successive names (the register
  lists "Sheffield City Region" and "South Yorkshire Mayoral Combined Authority" as entity 283); the name mySociety
  uses for that GSS wins.
* `mysociety_uk_local_authority_names_and_codes/uk_local_authorities_future.csv`: `county-la` gives each
  two-tier district its county; ONS `ons_lad_lookups/030.csv` (district -> county, April 2020) is the fallback.
* `odileeds_council-spending-data/<body>/index.json`: verified landing pages (`src.urls`), cadence (files carry a
  `month`) and header aliases (`columns.map`, kept in `parser_hints`).
* `hdurand_uk-public-spending/publishers-sample.csv`: data.gov.uk organisation ids of councils (kept in
  `parser_hints.ckan_organization` so the CKAN fallback can search one publisher's datasets).

Police and fire bodies are not in any of these registers (only their code ranges E23/E31 are), so they are not
generated; hand-verified rows for them may be appended later with type `police` / `fire`.

Landing pages are never guessed (sources.md §9): a council without a verified page keeps `landing_urls` empty and
discovery falls back to its website and a data.gov.uk `package_search`. Re-running the script rewrites the file
deterministically (sorted by GSS).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import date
from pathlib import Path

from pipelines.registry import REGISTRY_COLUMNS, DEFAULT_REGISTRY_PATH

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "registry"

REGISTER_TYPES = {
    "NMD": "district",
    "UA": "unitary",
    "MD": "metropolitan",
    "LBO": "london_borough",
    # The City of London carries a London-borough code (E09000001) and the borough functions, so it is peered
    # with the boroughs.
    "CC": "london_borough",
    "CTY": "county",
    "COMB": "combined_authority",
    "SRA": "gla",
}

# odileeds body folder -> exact name in the official register. Bodies that are not current English local
# authorities are left out: cabinetoffice, networkrail and tfl are not councils; Harrogate ended on 2023-03-31.
ODILEEDS_BODIES = {
    "bradford": "City of Bradford Metropolitan District Council",
    "calderdale": "Calderdale Metropolitan Borough Council",
    "darlington": "Darlington Borough Council",
    "gateshead": "Gateshead Metropolitan Borough Council",
    "kirklees": "Kirklees Council",
    "leeds": "Leeds City Council",
    # ODI Leeds' "liverpool" index points at the Liverpool City Region files in northwestopendata's GitHub repo.
    "liverpool": "Liverpool City Region",
    "london": "Greater London Authority",
    "manchester": "Manchester City Council",
    "newcastle": "Newcastle City Council",
    "northtyneside": "North Tyneside Council",
    "salford": "Salford City Council",
    "sheffield": "Sheffield City Council",
    "wakefield": "Wakefield Metropolitan District Council",
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _is_current(row: dict[str, str], today: date) -> bool:
    end = (row.get("end-date") or "").strip()
    return not end or date.fromisoformat(end) > today


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


def odileeds_sources(corpus: Path) -> dict[str, dict[str, str]]:
    """Register name -> source fields taken from each ODI Leeds body index."""
    out: dict[str, dict[str, str]] = {}
    for folder, register_name in ODILEEDS_BODIES.items():
        index = json.loads((corpus / "odileeds_council-spending-data" / folder / "index.json").read_text(encoding="utf-8"))
        urls = [u.strip() for u in index.get("src", {}).get("urls", []) if u.strip()]
        files = index.get("files", [])
        file_urls = " ".join(f.get("url", "") for f in files[-6:])
        months = [f.get("month") for f in files if f.get("month")]
        header_aliases = {k: v for k, v in index.get("columns", {}).get("map", {}).items() if v}
        ckan_package = ""
        for u in urls:
            match = re.search(r"package_show\?id=([\w-]+)", u)
            if match:
                ckan_package = match.group(1)
        hints = {"source_index": f"odileeds/{folder}"}
        if header_aliases:
            hints["header_aliases"] = header_aliases
        out[register_name] = {
            "landing_urls": "|".join(urls),
            "discovery": _discovery_for(urls),
            "ckan_package": ckan_package,
            "threshold": _threshold_from(" ".join(urls) + " " + file_urls),
            "cadence": "monthly" if len(set(months)) >= 3 else "unknown",
            "parser_hints": hints,
        }
    return out


def ckan_organizations(corpus: Path) -> dict[str, str]:
    """Lower-cased publisher title -> data.gov.uk organisation id, for councils only."""
    rows = _read_csv(corpus / "hdurand_uk-public-spending" / "publishers-sample.csv")
    return {r["title"].strip().lower(): r["id"].strip() for r in rows if r.get("type") == "local-council"}


def build_rows(corpus: Path, today: date | None = None) -> list[dict[str, str]]:
    today = today or date.today()
    register = [r for r in _read_csv(corpus / "digital-land_dluhc-datasets" / "local-authority.csv") if _is_current(r, today)]
    mysociety = _read_csv(corpus / "mysociety_uk_local_authority_names_and_codes" / "uk_local_authorities_future.csv")
    mysociety_name_by_gss = {r["gss-code"]: r["official-name"] for r in mysociety if r.get("gss-code")}
    gss_by_mysociety_code = {r["local-authority-code"]: r["gss-code"] for r in mysociety}
    county_by_district = {r["gss-code"]: gss_by_mysociety_code.get(r["county-la"], "")
                          for r in mysociety if r.get("county-la")}
    for r in _read_csv(corpus / "ons_lad_lookups" / "030.csv"):
        county_by_district.setdefault(r["LAD20CD"], r["CTY20CD"])
    sources = odileeds_sources(corpus)
    organisations = ckan_organizations(corpus)

    by_gss: dict[str, dict[str, str]] = {}
    for r in register:
        gss = r["statistical-geography"].strip()
        if gss in by_gss and by_gss[gss]["name"] == mysociety_name_by_gss.get(gss):
            continue  # the same body listed again under a former name
        by_gss[gss] = {"gss": gss, "name": r["name"].strip(), "register_type": r["local-authority-type"],
                       "region_gss": r["region"].strip(), "website": r["website"].strip(),
                       "start_date": r["start-date"].strip(), "end_date": r["end-date"].strip()}

    rows = []
    for gss, base in sorted(by_gss.items()):
        council_type = REGISTER_TYPES[base["register_type"]]
        source = sources.get(base["name"], {})
        hints = dict(source.get("parser_hints", {}))
        organisation = organisations.get(base["name"].lower())
        if organisation:
            hints["ckan_organization"] = organisation
        rows.append({
            "gss": gss,
            "name": base["name"],
            "type": council_type,
            "region_gss": base["region_gss"],
            "county_gss": county_by_district.get(gss, "") if council_type == "district" else "",
            "website": base["website"],
            "start_date": base["start_date"],
            "end_date": base["end_date"],
            "landing_urls": source.get("landing_urls", ""),
            "discovery": source.get("discovery", "html"),
            "ckan_package": source.get("ckan_package", ""),
            # Link filters are per-council overrides; the generic spend filter in discover.py applies when empty.
            "link_include": "",
            "link_exclude": "",
            "threshold": source.get("threshold", ""),
            "amount_basis": "unknown",
            "cadence": source.get("cadence", "unknown"),
            "parser_hints": json.dumps(hints, sort_keys=True, ensure_ascii=False) if hints else "",
        })
    return rows


def write_registry(rows: list[dict[str, str]], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus registry folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_REGISTRY_PATH)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the date that decides which authorities are current (default: today)")
    args = parser.parse_args(argv)
    rows = build_rows(args.corpus, args.today)
    write_registry(rows, args.out)
    with_landing = sum(1 for r in rows if r["landing_urls"])
    print(f"wrote {len(rows)} councils ({with_landing} with verified landing pages) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
