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

from pipelines.edge import AllowList, EdgeLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = Path(__file__).resolve().parent / "registry" / "councils.csv"
# a source checkout keeps its outputs in warehouse/ beside the code; an installed wheel (no pyproject.toml above
# the package) in ./warehouse of wherever it is run, never inside site-packages
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" if (PROJECT_ROOT / "pyproject.toml").is_file() else Path("warehouse")

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
    # Lists that type payees (pipelines/reference; shipped with the package, refreshed here into
    # reference.organisations). GOV.UK's organisations API is paged: follow `next_page_url`.
    "govuk_organisations": "https://www.gov.uk/api/organisations",
    "nhs_trusts": "https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=etr",
    "nhs_ccgs_icbs": "https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=eccg",
    "hesa_providers": "https://www.hesa.ac.uk/collection/sharedfiles/providerallhesa.csv",
    # GIAS: the downloads page links the dated daily extract edubasealldataYYYYMMDD.csv
    "gias_establishments": "https://get-information-schools.service.gov.uk/Downloads",
    # Regulator of Social Housing: the publication page links the monthly XLSX
    "registered_providers": "https://www.gov.uk/government/publications/current-registered-providers-of-social-housing",
    "ukcat_top_charities": "https://raw.githubusercontent.com/charity-classification/ukcat/main/data/top2000.csv",
    "national_park_authorities": "https://files.planning.data.gov.uk/organisation-collection/dataset/national-park-authority.csv",
    "passenger_transport_executives": "https://files.planning.data.gov.uk/organisation-collection/dataset/passenger-transport-executive.csv",
    "waste_authorities": "https://files.planning.data.gov.uk/organisation-collection/dataset/waste-authority.csv",
    "development_corporations": "https://files.planning.data.gov.uk/organisation-collection/dataset/development-corporation.csv",
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
    # the network edge (pipelines.edge): politeness, bounds and who we are
    http_contact: str = ""                 # the operator's contact address, sent in the User-Agent: set it
    http_min_interval_s: float = 1.0       # spacing between two requests to one host (council sites, registers)
    host_min_interval_s: dict[str, float] = field(default_factory=dict)  # per host (or host:port) overrides
    ckan_min_interval_s: float = 0.5       # data.gov.uk CKAN documents at most 5 requests a second
    http_robots: bool = True               # honour council sites' robots.txt (the documented APIs are exempt)
    http_connect_timeout_s: float = 10.0
    http_read_timeout_s: float = 30.0      # one silent gap in a stream
    http_page_deadline_s: float = 120.0    # one page or API answer, retries and waits included
    http_file_deadline_s: float = 900.0    # one council file or bulk year
    http_register_deadline_s: float = 3600.0
    http_max_page_bytes: int = 64 * 1024 ** 2
    http_max_file_bytes: int = 512 * 1024 ** 2      # a council spending file
    http_max_bulk_bytes: int = 2 * 1024 ** 3        # one year of notices from the data registry
    http_max_register_bytes: int = 8 * 1024 ** 3    # one register part (Companies House, PSC, NSPL)
    http_retries: int = 3
    http_max_retry_after_s: float = 120.0  # a longer Retry-After is not waited for; a later night retries
    http_max_redirects: int = 5
    http_host_failure_budget: int = 3      # consecutive transport failures before a host is skipped tonight
    # a stored file is fetched once without its validators (no If-None-Match / If-Modified-Since) when its last
    # unconditional fetch is this many days old: a server that keeps its ETag or Last-Modified while the bytes
    # change is read again within this bound; the body's sha256 decides whether anything changed (the raw store
    # is content-addressed, so an unchanged body is stored and parsed no second time). 0 = never conditional
    revalidate_after_days: float = 30.0
    # per council: requests made while discovering, and file links followed
    max_requests_per_council: int = 300
    max_links_per_council: int = 1000
    # parallel ingestion (pipelines/spend/concurrent.py): councils fetched at once, each host still polite
    # (its own lock, spacing, robots.txt and budgets in the one PoliteSession); 1 = one council after another
    fetch_concurrency: int = 8
    # parse worker processes; None = one per CPU core (at most 4), 0 = parse in the writer thread
    parse_workers: int | None = None
    # the council-ingest asset fails (after recording every report) when more than this share of councils fail
    max_failed_council_share: float = 0.5
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

    def allowed_hosts(self, council_urls: list[str] = ()) -> AllowList:
        """Who an outbound request may reach: the APIs, the registers and the councils' sites and data hosts,
        each by registrable domain (a council's CDN or subdomain is its own); IP literals only as the exact
        host:port configured (the loopback sample server)."""
        urls = [self.contracts_finder_url, self.find_a_tender_url, self.ckan_url, self.ocdr_url,
                *self.registers.values(), *council_urls]
        return AllowList.from_urls(u for u in urls if u)

    def edge_limits(self, kind: str = "page", **changes) -> EdgeLimits:
        """The edge's bounds for one kind of transfer: page | council_file | bulk | register."""
        max_bytes = {"register": self.http_max_register_bytes, "bulk": self.http_max_bulk_bytes}.get(
            kind, self.http_max_file_bytes)
        deadline = self.http_register_deadline_s if kind == "register" else self.http_file_deadline_s
        limits = EdgeLimits(
            connect_timeout_s=self.http_connect_timeout_s, read_timeout_s=self.http_read_timeout_s,
            page_deadline_s=self.http_page_deadline_s, download_deadline_s=deadline,
            max_page_bytes=self.http_max_page_bytes, max_download_bytes=max_bytes, retries=self.http_retries,
            backoff_s=self.http_backoff_s, max_retry_after_s=self.http_max_retry_after_s,
            max_redirects=self.http_max_redirects, host_failure_budget=self.http_host_failure_budget,
            min_interval_s=self.http_min_interval_s, robots=False, contact=self.http_contact)
        return replace(limits, **changes)

    def api_hosts(self) -> set[str]:
        """Hosts of the documented APIs and downloads (exempt from robots.txt, which governs crawling)."""
        urls = [self.contracts_finder_url, self.find_a_tender_url, self.ckan_url, self.ocdr_url,
                *self.registers.values()]
        return {urlsplit(u).netloc.lower() for u in urls if u and urlsplit(u).netloc}

    def host_intervals(self) -> dict[str, float]:
        """Per-host spacing: CKAN under its documented rate, then any configured overrides."""
        intervals = {}
        ckan = urlsplit(self.ckan_url).netloc.lower()
        if ckan:
            intervals[ckan] = self.ckan_min_interval_s
        intervals.update({k.lower(): v for k, v in self.host_min_interval_s.items()})
        return intervals
