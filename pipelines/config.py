"""Where the pipeline reads from and writes to.

`SourcesConfig` names every upstream: the council registry file, the notice APIs, data.gov.uk CKAN and the
register downloads. The live defaults point at the real services; the demo writes a JSON file pointing the
same fields at the loopback sample world, and every code path stays the same.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = Path(__file__).resolve().parent / "registry" / "councils.csv"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse"

LIVE_REGISTERS = {
    # Companies House "Free Company Data Product" (monthly; one zip of CSVs)
    "companies_house": "https://download.companieshouse.gov.uk/en_output.html",
    # Charity Commission for England and Wales full register extract
    "charity_commission": "https://ccewuksprdoneregsadata1.blob.core.windows.net/data/txt/publicextract.charity.zip",
    # ONS National Statistics Postcode Lookup (NSPL), via the ONS Open Geography portal
    "ons_postcodes": "https://www.arcgis.com/sharing/rest/content/items/nspl/data",
    # Companies House persons with significant control snapshot (corporate owners)
    "companies_house_psc": "https://download.companieshouse.gov.uk/en_pscdata.html",
    # Register of English local authorities (DLUHC / planning.data.gov.uk)
    "public_bodies": "https://files.planning.data.gov.uk/organisation-collection/dataset/local-authority.csv",
}


@dataclass(frozen=True)
class SourcesConfig:
    registry_csv: str = str(DEFAULT_REGISTRY)
    contracts_finder_url: str = "https://www.contractsfinder.service.gov.uk"
    find_a_tender_url: str = "https://www.find-tender.service.gov.uk"
    ckan_url: str = "https://data.gov.uk/api/action"
    # Open Contracting Data Registry: yearly bulk files of both services, for backfills (sources.md §3.6, §4.4)
    ocdr_url: str = "https://data.open-contracting.org"
    registers: dict[str, str] = field(default_factory=lambda: dict(LIVE_REGISTERS))
    # politeness (sources.md): CF 403 -> wait 300 s; FTS >= 10 s between calls, >= 30 s after a 429
    cf_rate_limit_wait_s: float = 300.0
    cf_min_interval_s: float = 1.0
    fts_min_interval_s: float = 10.0
    fts_after_429_wait_s: float = 30.0
    http_backoff_s: float = 1.0
    # notices: first day of the backfill, and the trailing window the nightly run re-fetches
    contracts_finder_start: str = "2015-01-01"
    find_a_tender_start: str = "2021-01-01"
    trailing_days: int = 7
    # "today" for the nightly window; None = the real date (the demo pins it to the sample world's end)
    as_of: str | None = None

    @classmethod
    def load(cls, path: str | Path | None) -> "SourcesConfig":
        if not path:
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return replace(cls(), **data)

    def dump(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")

    def allowed_hosts(self, council_urls: list[str] = ()) -> set[str]:
        """Hosts an outbound request may go to: the APIs, the registers and the registry's council sites."""
        urls = [self.contracts_finder_url, self.find_a_tender_url, self.ckan_url, self.ocdr_url, *self.registers.values(), *council_urls]
        return {urlsplit(u).netloc.lower() for u in urls if u and urlsplit(u).netloc}
