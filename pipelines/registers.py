"""Reference registers: download (conditional GET, raw landing by sha256) and load into `reference.*`.

Companies House and its PSC snapshot are published as an HTML page linking the current zip file(s); the other
registers are direct downloads. A register is re-fetched once its last load is older than `refresh_days`
(they are published monthly) and reloaded only when its bytes changed; a 304 or an identical body costs
nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
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

# register name -> (loader, file extension of the parts a landing page links to)
LOADERS: dict[str, tuple[Callable, str]] = {
    "companies_house": (lambda paths, con: loaders.load_companies_house(paths[0], con), ".zip"),
    "companies_house_psc": (lambda paths, con: loaders.load_psc(paths, con), ".zip"),
    "charity_commission": (lambda paths, con: loaders.load_charities(paths[0], con), ".zip"),
    "ons_postcodes": (lambda paths, con: loaders.load_postcodes(paths[0], con), ".zip"),
    "public_bodies": (lambda paths, con: loaders.load_public_bodies(paths[0], con), ".csv"),
}


def _fetch(url: str, name: str, session: PoliteSession, con, warehouse: Warehouse, landing: str) -> FetchOutcome:
    link = DiscoveredLink(url=url, link_text=name, landing_page=landing, period_label=None, format_hint="")
    return fetch_file(link, session, con, warehouse.raw_dir, None, source_kind="register")


def _part_links(html: bytes, page_url: str, extension: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    hrefs = (urljoin(page_url, a["href"]) for a in soup.find_all("a", href=True))
    return sorted({h for h in hrefs if h.lower().split("?")[0].endswith(extension)})


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
        body = page.data if page.data is not None else rawstore.read(warehouse.raw_dir, page.sha256)
        parts = [page]
        if "html" in (page.content_type or "") or body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
            part_urls = _part_links(body, url, extension)
            if not part_urls:
                raise RuntimeError(f"register {name}: the page {url} links no {extension} file")
            parts = [_fetch(u, name, session, con, warehouse, url) for u in part_urls]
            failed = [p for p in parts if not p.ok]
            if failed:
                raise RuntimeError(f"register {name}: {failed[0].error} from {failed[0].url}")
        digest = parts[0].sha256 if len(parts) == 1 else rawstore.sha256_hex("".join(p.sha256 for p in parts).encode())
        if last and last[1] == digest:
            sqlfiles.execute(con, "registers/record_load", {"register": name, "url": url, "sha256": digest,
                                                            "loaded_at": now, "rows": last[3]})
            return {"register": name, "status": "unchanged", "rows": last[3]}
        paths = [rawstore.blob_path(warehouse.raw_dir, p.sha256) for p in parts]
        # the loader replaces its table in its own transaction; recorded after, so a crash in between only
        # means the same bytes are loaded again next time
        rows = load(paths, con)
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
