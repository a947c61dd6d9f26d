"""The council source registry: one row per English principal authority and how its spend files are found.

`councils.csv` is committed data, regenerated from the official registers by `build_registry.py` and then
hand-verified. Columns (all text in the file):

* `gss`, `name`, `type` (see COUNCIL_TYPES), `region_gss` (E12), `county_gss` (E10, districts only), `website`,
  `start_date`, `end_date` (ISO dates; empty = open).
* `landing_urls`: `|`-separated verified pages listing the spend files (never guessed; empty = unknown).
* `discovery`: `html` (scrape the landing pages), `ckan` (resolve `ckan_package` via `package_show`, or a
  `package_show` URL in `landing_urls`), `direct` (landing URLs are the files themselves), `github` (a repository
  tree page listing the files; scraped like html).
* `link_include` / `link_exclude`: optional per-council regexes over link text + URL that override the generic
  spend-file filter in `pipelines.spend.discover`.
* `threshold` (`250` | `500` | `none` = no floor | empty = not yet verified), `amount_basis` (`net` | `gross` |
  `unknown`), `cadence` (`monthly` | `quarterly` | `annual` | `unknown`).
* `parser_hints`: JSON object of hints for discovery and parsing, e.g. `header_aliases` (canonical -> published
  headers), `ckan_organization` (data.gov.uk publisher id), `encoding`, `note` (governance notes).

Optional columns (OPTIONAL_COLUMNS; `load_registry` adds them empty when a file, e.g. the sample world's, lacks
them):

* `successor_gss` (`|`-separated; abolished bodies), `former_gss` (`|`-separated earlier codes), `code_source`
  (which register the code comes from).
* `landing_status`: `verified` (a spend page, portal, CKAN dataset or repository seen in a look-up or a corpus
  index), `transparency` (a transparency/publication-scheme page seen that links the spend data), `captured` (a
  third party's capture manifest lists the page and the files it downloaded), `cited` (the URL appears in someone
  else's list or in news; page not seen), `fallback` (no evidence: discovery starts from the website), `none`
  (nothing to start from, or abolished with no page).
* `evidence_url`, `evidence_source` (a look-up id in `lookups.csv` or `corpus:<dataset>`), `evidence_date` (the day
  the page was seen, or the snapshot it comes from): the evidence for `landing_status`.
* `formats` (`;`-separated), `first_period`, `last_period` (period keys, `pipelines.spend.periods`): what the
  evidence says was published.

An extra column a hand-kept registry may carry (kept by `load_registry`, never written by `build_registry.py`):

* `data_hosts`: `|`-separated hosts or URLs where the council publishes its files besides its website and landing
  pages (a CDN, a data portal); discovery follows them and the council's session may reach them
  (`pipelines.spend.discover.known_data_hosts`). `parser_hints.data_hosts` (a JSON list) says the same.

`evidence.csv` and `lookups.csv` (documented in README.md beside this file) hold every look-up and every page
seen; `build_registry.py` derives the registry from them and the corpus registers.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

REGISTRY_DIR = Path(__file__).resolve().parent
DEFAULT_REGISTRY_PATH = REGISTRY_DIR / "councils.csv"
EVIDENCE_PATH = REGISTRY_DIR / "evidence.csv"
LOOKUPS_PATH = REGISTRY_DIR / "lookups.csv"

REGISTRY_COLUMNS = [
    "gss", "name", "type", "region_gss", "county_gss", "website", "start_date", "end_date", "landing_urls",
    "discovery", "ckan_package", "link_include", "link_exclude", "threshold", "amount_basis", "cadence",
    "parser_hints",
]
OPTIONAL_COLUMNS = [
    "successor_gss", "former_gss", "code_source", "landing_status", "evidence_url", "evidence_source",
    "evidence_date", "formats", "first_period", "last_period",
]
ALL_COLUMNS = REGISTRY_COLUMNS + OPTIONAL_COLUMNS
DATA_HOSTS_COLUMN = "data_hosts"  # an extra column (see above): kept when present, not added when absent
COUNCIL_TYPES = {"county", "district", "unitary", "metropolitan", "london_borough", "combined_authority", "gla",
                 "fire", "police", "national_park", "other"}
PRINCIPAL_TYPES = ("county", "district", "unitary", "metropolitan", "london_borough")
DISCOVERY_METHODS = {"html", "ckan", "direct", "github", "none"}
AMOUNT_BASES = {"net", "gross", "unknown"}
CADENCES = {"monthly", "quarterly", "annual", "unknown"}
LANDING_STATUSES = ("verified", "transparency", "captured", "cited", "fallback", "none")
# evidence kinds (evidence.csv `kind`) -> the landing status they support, and their rank when choosing
KIND_STATUS = {"spend_page": "verified", "ckan_package": "verified", "portal": "verified", "repository": "verified",
               "corpus_index": "verified", "transparency_page": "transparency", "capture": "captured",
               "cited": "cited", "news": "cited", "other_page": "other"}
KIND_RANK = {"corpus_index": 7, "spend_page": 6, "ckan_package": 6, "portal": 5, "repository": 5, "capture": 4,
             "transparency_page": 3, "cited": 2, "news": 1, "other_page": 0, "none": -1}
EVIDENCE_KINDS = set(KIND_RANK)
EVIDENCE_COLUMNS = ["gss", "lookup_id", "url", "seen", "kind", "threshold", "amount_basis", "cadence", "formats",
                    "first_period", "last_period", "ckan_package", "note"]
LOOKUP_COLUMNS = ["lookup_id", "date", "tool", "query", "results", "note"]

# GSS prefixes each council type may carry (ONS Register of Geographic Codes); the GLA is E12000007 in the
# DLUHC register and E61000001 at mySociety, so both are accepted.
GSS_PREFIXES = {
    "county": ("E10",), "district": ("E07",), "unitary": ("E06",), "metropolitan": ("E08",),
    "london_borough": ("E09",), "combined_authority": ("E47",), "gla": ("E12000007", "E61"),
    "fire": ("E31",), "police": ("E23",), "national_park": ("E26",), "other": ("E",),
}
GSS_PATTERN = re.compile(r"^[EWSNK]\d{8}$")


def load_registry(path: str | Path = DEFAULT_REGISTRY_PATH, base_url: str | None = None) -> pl.DataFrame:
    """Read the registry as all-text columns (nulls for empty cells).

    `base_url` replaces the `{base}` placeholder the sample world writes into its URLs.
    """
    df = pl.read_csv(path, infer_schema=False)
    missing = [c for c in REGISTRY_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"registry {path} lacks columns {missing}")
    df = df.with_columns(pl.col(pl.String).str.strip_chars().replace("", None))
    # optional columns (the sample world writes only REGISTRY_COLUMNS): present, empty
    df = df.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in OPTIONAL_COLUMNS if c not in df.columns)
    if base_url is not None:
        base = base_url.rstrip("/")
        urls = [c for c in ("website", "landing_urls", DATA_HOSTS_COLUMN) if c in df.columns]
        df = df.with_columns(pl.col(urls).str.replace_all("{base}", base, literal=True))
    # one list of names: polars 2 reads `select(list, *names)` as one expression, not as columns
    return df.select([*ALL_COLUMNS, *[c for c in df.columns if c not in ALL_COLUMNS]])


def registry_urls(df: pl.DataFrame) -> list[str]:
    """Every website and landing URL in the registry (the hosts a PoliteSession may reach)."""
    urls: list[str] = []
    for column in ("website", "landing_urls"):
        for value in df[column].drop_nulls().to_list():
            urls.extend(u for u in value.split("|") if u)
    return urls


def _url_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def _date_ok(text: str | None) -> bool:
    if text is None:
        return True
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _threshold_ok(value: str | None) -> bool:
    return not value or value == "none" or re.fullmatch(r"[1-9]\d*", value) is not None


def validate_row(row: dict, known_gss: set[str] | None = None) -> list[str]:
    """Every problem with one registry row (a dict of column -> text or None); `known_gss` checks successors."""
    from pipelines.spend.periods import is_period_key

    errors: list[str] = []
    gss, who = row.get("gss"), f"{row.get('gss')} {row.get('name')}"
    if not gss or not GSS_PATTERN.match(gss):
        errors.append(f"{who}: malformed gss code")
    if not row.get("name"):
        errors.append(f"{who}: no name")
    kind = row.get("type")
    if kind not in COUNCIL_TYPES:
        errors.append(f"{who}: unknown type {kind!r}")
    elif gss and not gss.startswith(GSS_PREFIXES[kind]):
        errors.append(f"{who}: gss prefix does not fit type {kind}")
    if row.get("region_gss") and not re.match(r"^E12\d{6}$", row["region_gss"]):
        errors.append(f"{who}: region_gss {row['region_gss']!r} is not a region code")
    ended = bool(row.get("end_date"))
    if kind == "district" and not ended and not (row.get("county_gss") or "").startswith("E10"):
        errors.append(f"{who}: district without a county_gss")
    if kind != "district" and row.get("county_gss"):
        errors.append(f"{who}: county_gss is only for districts")
    for column in ("start_date", "end_date"):
        if not _date_ok(row.get(column)):
            errors.append(f"{who}: {column} {row.get(column)!r} is not an ISO date")
    if row.get("start_date") and row.get("end_date") and _date_ok(row["start_date"]) and _date_ok(row["end_date"]) \
            and row["end_date"] < row["start_date"]:
        errors.append(f"{who}: ends before it starts")
    urls = ([row["website"]] if row.get("website") else []) + (row.get("landing_urls") or "").split("|")
    if row.get("evidence_url"):
        urls.append(row["evidence_url"])
    for host in filter(None, (row.get(DATA_HOSTS_COLUMN) or "").split("|")):
        if not _url_ok(host if "//" in host else f"https://{host}"):
            errors.append(f"{who}: malformed data host {host!r}")
    for url in filter(None, urls):
        if not _url_ok(url):
            errors.append(f"{who}: malformed URL {url!r}")
    discovery = row.get("discovery")
    if discovery not in DISCOVERY_METHODS:
        errors.append(f"{who}: unknown discovery {discovery!r}")
    if discovery in ("direct", "github") and not row.get("landing_urls"):
        errors.append(f"{who}: discovery {discovery} needs landing_urls")
    if discovery == "ckan" and not (row.get("ckan_package") or "package_show" in (row.get("landing_urls") or "")):
        errors.append(f"{who}: discovery ckan needs a ckan_package or a package_show landing URL")
    for column in ("link_include", "link_exclude"):
        if row.get(column):
            try:
                re.compile(row[column])
            except re.error as exc:
                errors.append(f"{who}: {column} does not compile: {exc}")
    if not _threshold_ok(row.get("threshold")):
        errors.append(f"{who}: threshold {row.get('threshold')!r} not a whole number of pounds or 'none'")
    if (row.get("amount_basis") or "unknown") not in AMOUNT_BASES:
        errors.append(f"{who}: amount_basis {row.get('amount_basis')!r}")
    if (row.get("cadence") or "unknown") not in CADENCES:
        errors.append(f"{who}: cadence {row.get('cadence')!r}")
    if row.get("parser_hints"):
        try:
            if not isinstance(json.loads(row["parser_hints"]), dict):
                errors.append(f"{who}: parser_hints is not a JSON object")
        except json.JSONDecodeError as exc:
            errors.append(f"{who}: parser_hints is not JSON: {exc}")
    # optional columns
    for column in ("successor_gss", "former_gss"):
        for code in filter(None, (row.get(column) or "").split("|")):
            if not GSS_PATTERN.match(code):
                errors.append(f"{who}: {column} {code!r} is not a GSS code")
            elif code == gss:
                errors.append(f"{who}: {column} names the body itself")
            elif column == "successor_gss" and known_gss is not None and code not in known_gss:
                errors.append(f"{who}: successor {code} is not in the registry")
    if row.get("successor_gss") and not ended:
        errors.append(f"{who}: a successor but no end_date")
    status = row.get("landing_status")
    if status is not None and status not in LANDING_STATUSES:
        errors.append(f"{who}: landing_status {status!r}")
    if status in ("verified", "transparency", "captured"):
        if not row.get("landing_urls"):
            errors.append(f"{who}: landing_status {status} without landing_urls")
        if not (row.get("evidence_url") and row.get("evidence_source") and row.get("evidence_date")):
            errors.append(f"{who}: landing_status {status} without evidence (url, source and date)")
    if status in ("fallback", "none", "cited") and row.get("landing_urls"):
        errors.append(f"{who}: landing_urls without verified evidence (status {status})")
    if status == "cited" and not row.get("evidence_url"):
        errors.append(f"{who}: landing_status cited without an evidence_url")
    if row.get("evidence_date") and not re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", row["evidence_date"]):
        errors.append(f"{who}: evidence_date {row['evidence_date']!r} is not a date or month")
    for column in ("first_period", "last_period"):
        if row.get(column) and not is_period_key(row[column]):
            errors.append(f"{who}: {column} {row[column]!r} is not a period key")
    return errors


def validate_registry(df: pl.DataFrame) -> list[str]:
    """Every problem found, one message each (empty = valid)."""
    missing = [c for c in REGISTRY_COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns: {missing}"]
    errors: list[str] = []
    duplicated = df.filter(pl.col("gss").is_duplicated())["gss"].unique().sort().to_list()
    if duplicated:
        errors.append(f"duplicate gss codes: {duplicated}")
    known = set(df["gss"].drop_nulls().to_list())
    for row in df.iter_rows(named=True):
        errors.extend(validate_row(row, known))
    return errors


def validate_evidence(evidence: list[dict], lookups: list[dict], known_gss: set[str]) -> list[str]:
    """Problems in evidence.csv / lookups.csv: every evidence row names a known body, a known look-up (or a corpus
    source), a kind, and a URL unless the kind is `none`."""
    errors: list[str] = []
    ids = [r["lookup_id"] for r in lookups]
    if len(ids) != len(set(ids)):
        errors.append("lookups.csv: duplicate lookup ids")
    for r in lookups:
        if not re.fullmatch(r"L\d{4}", r["lookup_id"]) or not _date_ok(r["date"]) or not r["tool"] or not r["query"]:
            errors.append(f"lookups.csv: malformed row {r}")
    id_set = set(ids)
    for n, r in enumerate(evidence, start=2):
        where = f"evidence.csv line {n}"
        if r["gss"] not in known_gss:
            errors.append(f"{where}: {r['gss']} is not in the registry")
        if r["lookup_id"] not in id_set and not r["lookup_id"].startswith("corpus:"):
            errors.append(f"{where}: unknown lookup {r['lookup_id']!r}")
        if r["kind"] not in EVIDENCE_KINDS:
            errors.append(f"{where}: unknown kind {r['kind']!r}")
        if r["kind"] != "none" and not _url_ok(r["url"]):
            errors.append(f"{where}: malformed url {r['url']!r}")
        if r["kind"] == "none" and r["url"]:
            errors.append(f"{where}: kind none with a url")
        if not re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", r["seen"] or "") and r["kind"] != "none":
            errors.append(f"{where}: seen {r['seen']!r} is not a date")
    return errors


def council_hints(council: dict) -> dict:
    """The council's parser_hints as a dict (empty when absent)."""
    raw = council.get("parser_hints")
    if not raw:
        return {}
    return raw if isinstance(raw, dict) else json.loads(raw)
