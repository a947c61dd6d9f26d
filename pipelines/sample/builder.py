"""Write the offline sample world: `site/` (what the server serves, by URL path), `site_edition2/` (files that change
in the second edition), `notices/` (CF and FTS releases as raw bytes), `ckan/`, `site_index.json`, `registry.csv`
and `truth.json`.

Deterministic: one seed gives byte-identical files (no clock, fixed zip and workbook timestamps, sorted JSON).
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import html
import io
import json
import random
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from pipelines.sample import notices as notices_mod
from pipelines.sample import registers
from pipelines.sample.plan import DEMO_OPTIONS, MONTH_KEYS, Plan, WorldOptions, plan_world
from pipelines.sample.spendfiles import MONTH_NAME, Namer, Published, cornwall_month, hyndburn, write_council
from pipelines.sample.world import (
    CARRICK_CONTRACTS, COLLAPSE_MONTH, ERROR_MONTH, LATE_MONTH, COUNCIL_BY_GSS, COUNCILS, Council, Line, Supplier, SupplierFactory,
    build_lines, build_suppliers, financial_year, months, month_key,
)

REGISTRY_COLUMNS = ["gss", "name", "type", "region_gss", "county_gss", "website", "start_date", "end_date",
                    "landing_urls", "discovery", "ckan_package", "link_include", "link_exclude", "threshold",
                    "amount_basis", "cadence", "parser_hints"]
LEEDS_PACKAGE = "leeds-city-council-spending"
REPUBLISHED = ("E06000052", "2024-06")  # Cornwall June 2024 republished with corrections in edition 2
EDITION2_DATE = dt.date(2025, 5, 20)
CADENCE = {"exeter_quarterly_csv": "quarterly", "bristol_yearly_xlsx": "annual", "lambeth_quarterly_zip": "quarterly"}
CONTENT_TYPES = {".csv": "text/csv; charset={enc}", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".zip": "application/zip", ".pdf": "application/pdf", ".html": "text/html; charset=utf-8",
                 ".json": "application/json; charset=utf-8"}


def http_date(d: dt.date, hour: int = 9) -> str:
    return email.utils.format_datetime(dt.datetime(d.year, d.month, d.day, hour, tzinfo=dt.timezone.utc), usegmt=True)


class Site:
    """Files written under one root plus the index the server uses (URL -> file, type, Last-Modified)."""

    def __init__(self, root: Path):
        self.root = root
        self.index: dict[str, dict] = {}

    def put(self, url: str, body: bytes, content_type: str, last_modified: dt.date, file_path: str | None = None) -> None:
        rel = (file_path or url).lstrip("/")
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        self.index[url] = {"file": rel, "content_type": content_type, "last_modified": http_date(last_modified)}


def page(council: Council, title: str, body_html: str) -> bytes:
    """A council web page with real-looking chrome: nav with an "Open data" link, footer with policies."""
    slug = council.slug
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>{html.escape(title)} - {html.escape(council.name)}</title>
<link rel="stylesheet" href="/councils/{slug}/assets/site.css"></head>
<body>
<header class="site-header"><a class="logo" href="/councils/{slug}/">{html.escape(council.name)}</a>
<nav aria-label="Main"><ul>
<li><a href="/councils/{slug}/">Home</a></li>
<li><a href="/councils/{slug}/council-and-democracy">Council and democracy</a></li>
<li><a href="/councils/{slug}/open-data">Open data</a></li>
<li><a href="/councils/{slug}/contact-us">Contact us</a></li>
</ul></nav></header>
<main id="main-content">
<nav class="breadcrumb"><a href="/councils/{slug}/">Home</a> &gt; <a href="/councils/{slug}/council-and-democracy">Council and democracy</a> &gt; {html.escape(title)}</nav>
<h1>{html.escape(title)}</h1>
{body_html}
</main>
<footer><ul>
<li><a href="/councils/{slug}/accessibility-statement">Accessibility statement</a></li>
<li><a href="/councils/{slug}/privacy-notice">Privacy notice</a></li>
<li><a href="/councils/{slug}/cookies">Cookies</a></li>
</ul><p>&copy; {html.escape(council.name)}</p></footer>
</body></html>
""".encode("utf-8")


def link_text(p: Published, dash: str = "-") -> str:
    kb = max(1, round(len(p.body) / 1024))
    label = {"csv": "CSV", "xlsx": "XLSX", "zip": "ZIP"}[p.format]
    return f"Spending over £500 {dash} {p.period_label} ({label}, {kb}KB)"


def link_list(items: list[tuple[str, str]]) -> str:
    return "<ul class=\"downloads\">\n" + "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in items) + "\n</ul>"


INTRO = ("<p>We publish details of every payment to suppliers of £500 or more, in line with the Local Government "
         "Transparency Code 2015. Personal data of individuals has been redacted.</p>")


def council_pages(council: Council, files: list[Published], site: Site, decoys: list[str],
                  error_link: tuple[str, str] | None, modified: dt.date) -> None:
    """Landing page(s) for one council's published files, newest first, with decoys in the page."""
    slug = council.slug
    files = sorted(files, key=lambda p: p.period_key, reverse=True)
    links = [(p.url_path, link_text(p, "–" if slug == "lancashire" else "-")) for p in files]
    if error_link:
        links.append(error_link)
        links.sort(key=lambda lt: lt[0] if slug != "devon" else lt[0][-10:-4], reverse=True)
    base = council.landing_path
    if slug == "devon":  # paginated: twelve links a page, `?page=n`
        chunks = [links[i:i + 12] for i in range(0, len(links), 12)]
        contracts = f"/councils/{slug}/documents/contracts-register-2024-25.csv"
        decoys.append(contracts)
        for n, chunk in enumerate(chunks, start=1):
            extra = (f'<h2>Related information</h2><ul><li><a href="{contracts}">Contracts register 2024-25 (CSV)'
                     f'</a></li></ul>') if n == 1 else ""
            nav = '<nav class="pagination">' + " ".join(
                f'<a href="{base}?page={k}">{"Next page" if k == n + 1 else k}</a>'
                for k in range(1, len(chunks) + 1) if k != n) + "</nav>"
            body = page(council, "Spending over £500", INTRO + link_list(chunk) + nav + extra)
            if n == 1:
                site.put(base, body, CONTENT_TYPES[".html"], modified, base + "/index.html")
            else:
                site.put(f"{base}?page={n}", body, CONTENT_TYPES[".html"], modified, f"{base}/page-{n}.html")
        return
    if slug == "manchester":  # one sub-page per financial year, one level down
        new_base = "/councils/manchester/payments-to-suppliers"
        by_year: dict[str, list] = defaultdict(list)
        for p, lt in zip(files, links):
            by_year[financial_year(int(p.period_key[:4]), int(p.period_key[5:7]))].append(lt)
        year_links = []
        for fy in sorted(by_year, reverse=True):
            sub = f"{new_base}/{fy}"
            year_links.append((sub, f"Payments over £500 in {fy[:4]}/{fy[5:]}"))
            site.put(sub, page(council, f"Payments over £500 {fy}", INTRO + link_list(by_year[fy])),
                     CONTENT_TYPES[".html"], modified, sub + "/index.html")
        site.put(new_base, page(council, "Payments to suppliers", INTRO + link_list(year_links)),
                 CONTENT_TYPES[".html"], modified, new_base + "/index.html")
        return
    extra = ""
    if slug == "exeter":
        minutes = f"/councils/exeter/media/{'5f2e1a90c3'}/executive-minutes-2024-03-12.pdf"
        decoys.append(minutes)
        extra = f'<p>See also <a href="{minutes}">Executive committee minutes 12 March 2024 (PDF, 1KB)</a>.</p>'
    if slug == "lambeth":
        grants = "/councils/lambeth/sites/default/files/grants-to-voluntary-organisations-2023-24.csv"
        decoys.append(grants)
        extra = f'<h2>Grants</h2><ul><li><a href="{grants}">Grants to voluntary organisations 2023-24 (CSV)</a></li></ul>'
    site.put(base, page(council, "Spending over £500", INTRO + link_list(links) + extra), CONTENT_TYPES[".html"],
             modified, base + "/index.html")


def common_pages(council: Council, site: Site, decoys: list[str]) -> None:
    for suffix, title, text in [
        ("accessibility-statement", "Accessibility statement", "<p>This website is run by the council.</p>"),
        ("open-data", "Open data", "<p>Our datasets are listed on <a href=\"/councils/{s}/open-data/catalogue\">"
                                   "the open data catalogue</a>.</p>"),
    ]:
        url = f"/councils/{council.slug}/{suffix}"
        site.put(url, page(council, title, text.replace("{s}", council.slug)), CONTENT_TYPES[".html"],
                 dt.date(2024, 1, 10), url + "/index.html")
        decoys.append(url)


def error_page(council: Council) -> bytes:
    return page(council, "Page not found", "<p>Sorry, we couldn't find that page.</p><p>It may have been moved or "
                                           "deleted. <a href=\"/\">Go to the homepage</a>.</p>")


def decoy_files(site: Site, rng: random.Random, suppliers: dict[str, Supplier]) -> None:
    names = [s.variants[0] for s in suppliers.values() if s.org_type == "company"][:12]
    contracts = [["Contract Reference", "Title", "Supplier Name", "Contract Value", "Start Date", "End Date",
                  "SME supplier", "VCSE supplier"]]
    for i, n in enumerate(names):
        contracts.append([f"DCC-{2400 + i}", "Highway maintenance lot", n, f"{rng.randint(50, 900) * 1000}",
                          "01/04/2024", "31/03/2027", "Yes" if i % 2 else "No", "No"])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(contracts)
    site.put("/councils/devon/documents/contracts-register-2024-25.csv", buf.getvalue().encode("utf-8"),
             "text/csv; charset=utf-8", dt.date(2024, 6, 3))
    grants = [["Identifier", "Title", "Recipient Org:Name", "Recipient Org:Charity Number", "Amount Awarded",
               "Award Date"]]
    for i, s in enumerate(x for x in suppliers.values() if x.charity_number):
        grants.append([f"360G-LBH-{i:04d}", "Community grant", s.variants[0], s.charity_number,
                       f"{rng.randint(2, 40) * 500}", "2023-07-01"])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(grants)
    site.put("/councils/lambeth/sites/default/files/grants-to-voluntary-organisations-2023-24.csv",
             buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8", dt.date(2024, 5, 2))
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF\n")
    site.put("/councils/exeter/media/5f2e1a90c3/executive-minutes-2024-03-12.pdf", pdf, "application/pdf",
             dt.date(2024, 3, 20))
    site.put("/councils/leeds/files/spend-2024-03.pdf", pdf, "application/pdf", dt.date(2024, 4, 16))


def content_type(p: Published) -> str:
    if p.format == "csv":
        return "text/csv; charset=" + {"cp1252": "windows-1252", "utf-8-sig": "utf-8"}.get(p.encoding, p.encoding)
    return CONTENT_TYPES["." + p.format]


def ckan_package(files: list[Published]) -> dict:
    resources = []
    for p in sorted(files, key=lambda p: p.period_key):
        y, m = int(p.period_key[:4]), int(p.period_key[5:])
        resources.append({"id": f"res-{p.period_key}", "url": "{base}" + p.url_path, "format": "CSV",
                          "name": f"Spending over £500 {MONTH_NAME[m]} {y}",
                          "description": f"Payments to suppliers over £500, {MONTH_NAME[m]} {y}",
                          "created": f"{p.published_on.isoformat()}T09:00:00.000000",
                          "last_modified": f"{p.published_on.isoformat()}T09:00:00.000000",
                          "package_id": LEEDS_PACKAGE, "state": "active", "mimetype": "text/csv"})
    resources.append({"id": "res-2024-03-pdf", "url": "{base}/councils/leeds/files/spend-2024-03.pdf",
                      "format": "PDF", "name": "Spending over £500 March 2024 (PDF copy)",
                      "description": "PDF copy of the March 2024 file", "created": "2024-04-16T09:00:00.000000",
                      "last_modified": "2024-04-16T09:00:00.000000", "package_id": LEEDS_PACKAGE, "state": "active",
                      "mimetype": "application/pdf"})
    return {"id": LEEDS_PACKAGE, "name": LEEDS_PACKAGE, "title": "Leeds City Council spending over £500",
            "notes": "Monthly payments to suppliers over £500 (spend, expenditure, transparency).",
            "organization": {"name": "leeds-city-council", "title": "Leeds City Council"},
            "metadata_modified": "2025-04-15T09:00:00.000000", "num_resources": len(resources),
            "resources": resources, "state": "active", "type": "dataset"}


# --- truth ---------------------------------------------------------------------------------------------------

def pct(part: Decimal, total: Decimal) -> float:
    return float((part * 100 / total).quantize(Decimal("0.0001"))) if total else 0.0


def shares(lines: list[Line], suppliers: dict[str, Supplier]) -> list[dict]:
    """Scorecard shares exactly as docs/architecture.md defines them, per council and financial year."""
    groups: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for ln in lines:
        d = ln.payment_date
        groups[(ln.council_gss, financial_year(d.year, d.month))].append(ln)
    out = []
    for (gss, fy), group in sorted(groups.items()):
        council = COUNCIL_BY_GSS[gss]
        sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for ln in group:
            s = suppliers[ln.supplier_key]
            a = ln.amount
            sums["total"] += a
            # located only through a register entry, as the pipeline must (architecture.md: "registered
            # postcode"): unregistered firms and public bodies have no register postcode to look up
            area = s.area if (s.company_number or s.charity_number) else None
            if area is None:
                sums["unknown_location"] += a
            else:
                if area.lad_gss == gss or (council.type == "county" and area.county_gss == gss):
                    sums["local_authority"] += a
                if (area.county_gss or area.lad_gss) == council.county_area:
                    sums["local_county"] += a
                if area.region_gss == council.region_gss:
                    sums["local_region"] += a
            if s.size == "sme":
                sums["sme"] += a
            if s.vcse:
                sums["vcse"] += a
            if s.org_type == "public_body":
                sums["public"] += a
            if s.org_type == "company" and s.size == "large":
                sums["large_private"] += a
            if s.org_type in ("individual", "redacted"):
                sums["individual_redacted"] += a
            if s.org_id is None and s.org_type not in ("public_body", "individual", "redacted"):
                sums["unresolved"] += a
            if s.org_type in ("company", "cic", "charity", "other") and s.size == "unknown":
                sums["unknown_size"] += a
        total = sums["total"]
        row = {"council_gss": gss, "financial_year": fy, "total_spend": str(total), "lines": len(group)}
        for name in ("local_authority", "local_county", "local_region", "sme", "vcse", "public", "large_private",
                     "individual_redacted", "unresolved", "unknown_size", "unknown_location"):
            row[f"{name}_share"] = pct(sums[name], total)
        out.append(row)
    return out


def file_truth(p: Published, edition: int) -> dict:
    return {"council_gss": p.council_gss, "path": p.url_path, "period_key": p.period_key, "rows": p.rows,
            "net_total": str(p.net_total), "format": p.format, "encoding": p.encoding, "edition": edition,
            "members": p.members, "link_period": p.period_label, "published_on": p.published_on.isoformat()}


def supplier_truth(s: Supplier) -> dict:
    return {"key": s.key, "canonical_name": s.canonical_name, "variants": sorted(s.published), "org_type": s.org_type,
            "org_id": s.org_id, "size": s.size, "vcse": s.vcse, "company_number": s.company_number,
            "charity_number": s.charity_number, "vat_number": s.vat_number, "postcode": s.postcode,
            "lad_gss": s.lad_gss, "county_gss": s.county_gss, "region_gss": s.region_gss, "group": s.group,
            "council_owned_by": s.council_owned_by, "service": s.service}


def events_truth(plan: Plan, suppliers: dict[str, Supplier]) -> list[dict]:
    """The planted sourcing events, first the named demo insourcing and outsourcing."""
    out = []
    for e in plan.events:
        out.append({
            "event_type": e.event_type, "council_gss": e.council_gss, "service": e.service,
            "start_month": MONTH_KEYS[e.start], "from_supplier": e.from_key, "to_supplier": e.to_key,
            "from_name": suppliers[e.from_key].canonical_name if e.from_key else None,
            "to_name": suppliers[e.to_key].canonical_name if e.to_key else None,
            "from_group": (suppliers[e.from_key].group if e.from_key else None),
            "successor_kind": e.successor_kind,
        })
    return out


# --- main ----------------------------------------------------------------------------------------------------

def generate(out_dir: Path, seed: int = 2026, options: WorldOptions | None = None) -> dict:
    """Write the world (see the module docstring) and return its truth. `options` sets what is planted and how
    noisy the background is: `plan.DEMO_OPTIONS` by default, `plan.EVALUATION_OPTIONS` for the evaluation world."""
    options = options or DEMO_OPTIONS
    out_dir = Path(out_dir)
    for sub in ("site", "site_edition2", "notices", "ckan"):
        if (out_dir / sub).exists():
            shutil.rmtree(out_dir / sub)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    suppliers = build_suppliers(rng)
    plan = plan_world(rng, SupplierFactory.resume(rng, suppliers), options)
    lines_by_council = build_lines(rng, suppliers, plan, options)
    notice_builder = notices_mod.build_notices(rng, suppliers)  # may give charities a size signal
    namer = Namer(rng, suppliers)
    site, site2 = Site(out_dir / "site"), Site(out_dir / "site_edition2")

    published: dict[str, list[Published]] = {}
    for council in COUNCILS:
        lines = lines_by_council[council.gss]
        if council.gss == LATE_MONTH[0]:
            lines = [ln for ln in lines if ln.month != LATE_MONTH[1]]
        never = plan.unpublished.get(council.gss, set())  # months the council never published
        lines = [ln for ln in lines if ln.month not in never]
        files = write_council(council.gss, lines, namer, rng)
        published[council.gss] = files

    files_truth, decoys = [], []
    error = None
    for council in COUNCILS:
        files = published[council.gss]
        error_link = None
        if council.gss == ERROR_MONTH[0]:
            broken = next(p for p in files if p.period_key == ERROR_MONTH[1])
            files.remove(broken)
            site.put(broken.url_path, error_page(council), CONTENT_TYPES[".html"], broken.published_on)
            error_link = (broken.url_path, link_text(broken))
            error = {"council_gss": council.gss, "path": broken.url_path, "period_key": broken.period_key}
        for p in files:
            site.put(p.url_path, p.body, content_type(p), p.published_on)
            files_truth.append(file_truth(p, 1))
        newest = max(p.published_on for p in files)
        if council.discovery == "html":
            council_pages(council, files, site, decoys, error_link, newest)
        else:
            site.put(council.landing_path, page(council, "Council spending", "<p>Our spending data is published on "
                     "Data Mill North.</p>"), CONTENT_TYPES[".html"], newest, council.landing_path + "/index.html")
        common_pages(council, site, decoys)
    decoy_files(site, rng, suppliers)
    decoys.append("/councils/leeds/files/spend-2024-03.pdf")
    redirects = {"/councils/manchester/spending-over-500": "/councils/manchester/payments-to-suppliers"}

    # edition 2: one month republished with corrections, one late month published
    cornwall_files = published[REPUBLISHED[0]]
    old = next(p for p in cornwall_files if p.period_key == REPUBLISHED[1])
    corrected = [Line(**{**ln.__dict__}) for ln in old.lines]
    for i in (2, 7, 11):
        corrected[i].amount = (corrected[i].amount * Decimal("1.1")).quantize(Decimal("0.01"))
    removed = corrected.pop(5)
    new = Published(old.council_gss, old.url_path, old.period_key, old.period_label, "csv", "utf-8",
                    cornwall_month(old.period_key, corrected, namer, rng), corrected, EDITION2_DATE)
    site2.put(new.url_path, new.body, content_type(new), EDITION2_DATE)
    hyndburn_late = [ln for ln in lines_by_council[LATE_MONTH[0]] if ln.month == LATE_MONTH[1]]
    late = hyndburn(hyndburn_late, namer, rng)[0]
    site2.put(late.url_path, late.body, content_type(late), late.published_on)
    hyn = COUNCIL_BY_GSS[LATE_MONTH[0]]
    council_pages(hyn, published[hyn.gss] + [late], site2, [], None, late.published_on)
    files_truth += [file_truth(new, 2), file_truth(late, 2)]

    # CKAN
    (out_dir / "ckan").mkdir()
    leeds = next(c for c in COUNCILS if c.discovery == "ckan")
    (out_dir / "ckan" / "packages.json").write_text(
        json.dumps([ckan_package(published[leeds.gss])], indent=1, sort_keys=True, ensure_ascii=False), "utf-8")

    # notices
    nd = out_dir / "notices"
    nd.mkdir()
    for name, entries in (("contracts_finder", notice_builder.cf), ("find_a_tender", notice_builder.fts)):
        (nd / f"{name}.jsonl").write_bytes(b"".join(raw + b"\n" for _, raw in entries))
        (nd / f"{name}_index.json").write_text(json.dumps([e for e, _ in entries], indent=0), "utf-8")

    # registers
    sup = sorted(suppliers.values(), key=lambda s: s.key)
    reg_date = dt.date(2025, 4, 1)
    ch_zip = registers.companies_house(sup)
    site.put(f"/registers/companies_house/BasicCompanyDataAsOneFile-{registers.REGISTER_DATE}.zip", ch_zip,
             "application/zip", reg_date)
    site.put("/registers/companies_house/en_output.html", register_page(
        "Free Company Data Product", f"BasicCompanyDataAsOneFile-{registers.REGISTER_DATE}.zip", len(ch_zip)),
        CONTENT_TYPES[".html"], reg_date)
    psc_zip = registers.psc(suppliers)
    site.put(f"/registers/companies_house/persons-with-significant-control-snapshot-{registers.REGISTER_DATE}.zip",
             psc_zip, "application/zip", reg_date)
    site.put("/registers/companies_house/en_pscdata.html", register_page(
        "People with significant control (PSC) snapshot",
        f"persons-with-significant-control-snapshot-{registers.REGISTER_DATE}.zip", len(psc_zip)),
        CONTENT_TYPES[".html"], reg_date)
    site.put("/registers/charity_commission/publicextract.charity.zip", registers.charity_commission(sup),
             "application/zip", reg_date)
    postcodes = {s.postcode: s.lad_gss for s in sup if s.postcode}
    site.put("/registers/ons/NSPL21_FEB_2025_UK.zip", registers.nspl(postcodes), "application/zip", reg_date)
    site.put("/registers/public_bodies/local-authority.csv", registers.local_authorities(), "text/csv; charset=utf-8",
             reg_date)

    # truth
    current1 = [ln for files in published.values() for p in files for ln in p.lines]
    current2 = [ln for ln in current1 if not (ln.council_gss == REPUBLISHED[0] and ln.month == REPUBLISHED[1])]
    current2 += new.lines + late.lines
    carrick_keys = {k for k, s in suppliers.items() if s.group == "Carrick Group"}
    collapse_spend: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    for ln in current1:
        if ln.supplier_key in carrick_keys:
            collapse_spend[ln.council_gss][financial_year(ln.payment_date.year, ln.payment_date.month)] += ln.amount
    first, last = months()[0], months()[-1]
    all_cf = [e for e, _ in notice_builder.cf]
    all_fts = [e for e, _ in notice_builder.fts]
    awards = notices_mod.awards_truth(notice_builder)
    truth = {
        "seed": seed,
        "period": {"start": f"{month_key(*first)}-01", "end": f"{month_key(*last)}-31"},
        "period_key_convention": "YYYY-MM month; YYYY-Qn financial-year quarter (YYYY = FY start, Q1 = Apr-Jun); "
                                 "YYYY-YY financial year",
        "councils": [{"gss": c.gss, "name": c.name, "type": c.type, "region_gss": c.region_gss,
                      "county_gss": c.county_gss, "slug": c.slug, "layout": c.layout, "discovery": c.discovery,
                      "landing_path": c.landing_path, "cadence": CADENCE.get(c.layout, "monthly"),
                      "ckan_package": LEEDS_PACKAGE if c.discovery == "ckan" else None} for c in COUNCILS],
        "suppliers": [supplier_truth(s) for s in sup],
        "world": options.name,
        "events": events_truth(plan, suppliers),
        "background": plan.decoys,
        "collapse": {"group_name": "Carrick Group", "parent": "carrick_group",
                     "subsidiaries": sorted(k for k in carrick_keys if k != "carrick_group"),
                     "collapse_month": COLLAPSE_MONTH, "councils": sorted(CARRICK_CONTRACTS),
                     "spend_by_council_fy": {g: {fy: str(v) for fy, v in sorted(d.items())}
                                             for g, d in sorted(collapse_spend.items())}},
        "shares": shares(current1, suppliers),
        "shares_edition2": shares(current2, suppliers),
        "files": files_truth,
        "republication": {"council_gss": REPUBLISHED[0], "period_key": REPUBLISHED[1], "path": old.url_path,
                          "edition1": {"rows": old.rows, "net_total": str(old.net_total)},
                          "edition2": {"rows": new.rows, "net_total": str(new.net_total)},
                          "removed_transaction_id": removed.transaction_id},
        "late_publication": {"council_gss": LATE_MONTH[0], "period_key": LATE_MONTH[1], "path": late.url_path,
                             "rows": late.rows, "net_total": str(late.net_total)},
        "decoys": sorted(set(decoys)),
        "error_page": error,
        "redirects": redirects,
        "notices": {
            "contracts_finder_releases": len(all_cf), "find_a_tender_releases": len(all_fts),
            "distinct_awards": len(awards),
            "cross_source_duplicates": sum(1 for a in awards if a["source"] == "find_a_tender" and a["duplicate_of"]),
            "first_release_date": min(e["date_utc"] for e in all_cf + all_fts)[:10],
            "last_release_date": max(e["date_utc"] for e in all_cf + all_fts)[:10],
            "fts_busy_day": "2025-03-12",
            "awards": awards,
        },
    }
    index = {"edition1": site.index, "edition2": site2.index, "redirects": redirects}
    (out_dir / "site_index.json").write_text(json.dumps(index, indent=1, sort_keys=True), "utf-8")
    (out_dir / "registry.csv").write_text(registry_csv(), "utf-8")
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False), "utf-8")
    return truth


def register_page(title: str, filename: str, size: int) -> bytes:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><title>{title}</title></head><body><h1>{title}</h1>"
            f"<ul><li><a href=\"{filename}\">{filename} ({size / 1024:.0f}KB)</a></li></ul></body></html>").encode()


def registry_csv() -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, REGISTRY_COLUMNS, lineterminator="\n")
    w.writeheader()
    hints = {
        "devon_monthly_csv": {"encoding": "utf-8-sig"}, "exeter_quarterly_csv": {"encoding": "cp1252"},
        "bristol_yearly_xlsx": {"sheets": "all"}, "manchester_monthly_cr_csv": {"line_endings": "cr"},
        "leeds_lga_csv": {"encoding": "cp1252"}, "lambeth_quarterly_zip": {"container": "zip"},
        "cornwall_padded_csv": {}, "hyndburn_cp1252_csv": {"encoding": "cp1252"}, "lancashire_monthly_csv": {},
    }
    for c in COUNCILS:
        w.writerow({
            "gss": c.gss, "name": c.name, "type": c.type, "region_gss": c.region_gss, "county_gss": c.county_gss or "",
            "website": "{base}/councils/" + c.slug, "start_date": "", "end_date": "",
            "landing_urls": "" if c.discovery == "ckan" else ("{base}/councils/manchester/spending-over-500"
                                                              if c.slug == "manchester" else "{base}" + c.landing_path),
            "discovery": c.discovery, "ckan_package": LEEDS_PACKAGE if c.discovery == "ckan" else "",
            "link_include": r"(?i)(spend|payment|expenditure)",
            "link_exclude": r"(?i)(contracts? register|grant|minutes|accessibility|pdf)",
            "threshold": "500", "amount_basis": "net", "cadence": CADENCE.get(c.layout, "monthly"),
            "parser_hints": json.dumps({"layout": c.layout, **hints[c.layout]}, sort_keys=True),
        })
    return buf.getvalue()
