"""Reference registers: download (conditional GET, raw landing by sha256) and load into `reference.*`.

Companies House and its PSC snapshot are published as an HTML page linking the current zip file(s); the other
registers are direct downloads. A register is re-fetched once its last load is older than `refresh_days`
(they are published monthly) and reloaded only when its bytes changed; a 304 or an identical body costs
nothing more.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import duckdb
from bs4 import BeautifulSoup

from pipelines import rawstore, sqlfiles
from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.fetch import FetchOutcome, fetch_file
from pipelines.suppliers import registers as loaders
from pipelines.warehouse import Warehouse

REFRESH_DAYS = 28

def _load_companies_house(paths: list[Path], con) -> int:
    """One BasicCompanyData file, or its numbered parts joined into one CSV (each part repeats the header)."""
    if len(paths) == 1:
        return loaders.load_companies_house(paths[0], con)
    with tempfile.TemporaryDirectory(prefix="kil_companies_") as tmp:
        joined = Path(tmp) / "BasicCompanyData.csv"
        with joined.open("wb") as out:
            for index, path in enumerate(paths):
                with zipfile.ZipFile(path) as archive:
                    members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                    if len(members) != 1:
                        raise ValueError(f"Companies House part {path.name} holds {len(members)} CSV files, not one")
                    with archive.open(members[0]) as member:
                        header = member.readline()
                        if index == 0:
                            out.write(header)
                        shutil.copyfileobj(member, out, length=16 * 1024 * 1024)
        return loaders.load_companies_house(joined, con)


# register name -> (loader, file extension of the parts a landing page links to)
LOADERS: dict[str, tuple[Callable, str]] = {
    "companies_house": (_load_companies_house, ".zip"),
    "companies_house_psc": (lambda paths, con: loaders.load_psc(paths, con), ".zip"),
    "charity_commission": (lambda paths, con: loaders.load_charities(paths[0], con), ".zip"),
    "ons_postcodes": (lambda paths, con: loaders.load_postcodes(paths[0], con), ".zip"),
    "public_bodies": (lambda paths, con: loaders.load_public_bodies(paths[0], con), ".csv"),
    # lists that type payees (pipelines/reference/sources.py readers) -> reference.organisations
    "govuk_organisations": (lambda paths, con: loaders.load_reference_list("govuk_organisations", "govuk_organisations", paths, con), ".json"),
    "nhs_trusts": (lambda paths, con: loaders.load_reference_list("nhs_trusts", "nhs_ods", paths, con), ".csv"),
    "nhs_ccgs_icbs": (lambda paths, con: loaders.load_reference_list("nhs_ccgs_icbs", "nhs_ods", paths, con), ".csv"),
    "hesa_providers": (lambda paths, con: loaders.load_reference_list("hesa_providers", "hesa_providers", paths, con), ".csv"),
    "gias_establishments": (lambda paths, con: loaders.load_reference_list("gias_establishments", "gias_establishments", paths, con), ".csv"),
    "registered_providers": (lambda paths, con: loaders.load_reference_list("registered_providers", "registered_providers", paths, con), ".xlsx"),
    "ukcat_top_charities": (lambda paths, con: loaders.load_reference_list("ukcat_top_charities", "top_charities", paths, con), ".csv"),
    "national_park_authorities": (lambda paths, con: loaders.load_reference_list("national_park_authorities", "digital_land_organisations", paths, con), ".csv"),
    "passenger_transport_executives": (lambda paths, con: loaders.load_reference_list("passenger_transport_executives", "digital_land_organisations", paths, con), ".csv"),
    "waste_authorities": (lambda paths, con: loaders.load_reference_list("waste_authorities", "digital_land_organisations", paths, con), ".csv"),
    "development_corporations": (lambda paths, con: loaders.load_reference_list("development_corporations", "digital_land_organisations", paths, con), ".csv"),
}


def _fetch(url: str, name: str, session: PoliteSession, con, warehouse: Warehouse, landing: str) -> FetchOutcome:
    link = DiscoveredLink(url=url, link_text=name, landing_page=landing, period_label=None, format_hint="")
    return fetch_file(link, session, con, warehouse.raw_store, None, source_kind="register")


# numbered parts of one release: Companies House "BasicCompanyData-2024-06-01-part3_7.zip", PSC "..._3of31.zip"
_PART = re.compile(r"(?:part(\d+)_(\d+)|_(\d+)of(\d+))\.[a-z]+$", re.IGNORECASE)
_DATE = re.compile(r"(20\d\d)-?(\d\d)-?(\d\d)")


def _part_links(html: bytes, page_url: str, extension: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    hrefs = (urljoin(page_url, a["href"]) for a in soup.find_all("a", href=True))
    return sorted({h for h in hrefs if h.lower().split("?")[0].endswith(extension)})


def pick_register_files(urls: list[str]) -> list[str]:
    """The files of one register release a landing page links to: the newest single file when there is one,
    else the newest complete set of numbered parts (all of 1..N, in order). Never one part of a set, never a
    single file and its parts together; an incomplete set or two candidates of the same date is an error."""
    def name(url: str) -> str:
        return url.split("?")[0].rsplit("/", 1)[-1]

    def date_of(url: str) -> str:
        match = _DATE.search(name(url))
        return "".join(match.groups()) if match else ""

    singles = [u for u in urls if not _PART.search(name(u))]
    if singles:
        newest = max(date_of(u) for u in singles)
        chosen = [u for u in singles if date_of(u) == newest]
        if len(chosen) > 1:
            raise RuntimeError(f"two candidate files for one release: {[name(u) for u in chosen]}")
        return chosen
    parts: dict[tuple[str, int], dict[int, str]] = {}
    for url in urls:
        match = _PART.search(name(url))
        index, total = (int(match.group(1)), int(match.group(2))) if match.group(1) else (
            int(match.group(3)), int(match.group(4)))
        parts.setdefault((date_of(url), total), {})[index] = url
    if not parts:
        raise RuntimeError("no file to download")
    (newest, total), found = max(parts.items(), key=lambda item: item[0])
    missing = sorted(set(range(1, total + 1)) - set(found))
    if missing:
        raise RuntimeError(f"incomplete set of {total} parts dated {newest or 'undated'}: parts {missing} missing")
    return [found[i] for i in range(1, total + 1)]


def refresh_register(name: str, url: str, *, session: PoliteSession, warehouse: Warehouse,
                     refresh_days: int = REFRESH_DAYS, now: datetime | None = None,
                     progress: Callable[[str], None] = print) -> dict:
    """Fetch one register (following a landing page to its parts) and reload its table if the bytes changed."""
    load, extension = LOADERS[name]
    now = now or datetime.utcnow()
    with warehouse.connect() as con:
        last = sqlfiles.execute(con, "registers/last_load", {"register": name}).fetchone()
        if last and last[2] and now - last[2] < timedelta(days=refresh_days):
            return {"register": name, "status": "fresh", "rows": last[3]}
        page = _fetch(url, name, session, con, warehouse, url)
        if not page.ok:
            raise RuntimeError(f"register {name}: {page.error} from {url}")
        body = page.body(warehouse.raw_store)
        parts = [page]
        if "html" in (page.content_type or "") or body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
            part_urls = _part_links(body, url, extension)
            if not part_urls:
                raise RuntimeError(f"register {name}: the page {url} links no {extension} file")
            try:
                part_urls = pick_register_files(part_urls)
            except RuntimeError as exc:
                raise RuntimeError(f"register {name}: {exc} (from {url})") from exc
            parts = [_fetch(u, name, session, con, warehouse, url) for u in part_urls]
            failed = [p for p in parts if not p.ok]
            if failed:
                raise RuntimeError(f"register {name}: {failed[0].error} from {failed[0].url}")
        digest = parts[0].sha256 if len(parts) == 1 else rawstore.sha256_hex("".join(p.sha256 for p in parts).encode())
        if last and last[1] == digest:
            sqlfiles.execute(con, "registers/record_load", {"register": name, "url": url, "sha256": digest,
                                                            "loaded_at": now, "rows": last[3]})
            return {"register": name, "status": "unchanged", "rows": last[3]}
        paths = [rawstore.local_path(warehouse.raw_store, p.sha256) for p in parts]
        # the loader replaces its table in its own transaction; recorded after, so a crash in between only
        # means the same bytes are loaded again next time
        rows = load(paths, con)
        if not rows:
            # a changed format (a renamed column, an empty part) must not pass as "no companies": say so
            raise RuntimeError(f"register {name}: the new files loaded no rows (format changed?); {url}")
        sqlfiles.execute(con, "registers/record_load", {"register": name, "url": url, "sha256": digest,
                                                        "loaded_at": now, "rows": rows})
    progress(f"register {name}: loaded {rows:,} rows")
    return {"register": name, "status": "loaded", "rows": rows}


def refresh_registers(config: SourcesConfig, *, session: PoliteSession, warehouse: Warehouse,
                      progress: Callable[[str], None] = print) -> list[dict]:
    """Refresh every configured register; a failing register is reported and the others still load."""
    results = []
    for name, url in sorted(config.registers.items()):
        if name not in LOADERS:
            results.append({"register": name, "status": "unknown register", "rows": 0})
            continue
        try:
            results.append(refresh_register(name, url, session=session, warehouse=warehouse, progress=progress))
        except (RuntimeError, duckdb.Error, ValueError, OSError) as exc:
            progress(f"register {name}: FAILED {exc}")
            results.append({"register": name, "status": f"failed: {exc}", "rows": 0})
    return results
