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
  headers), `ckan_organization` (data.gov.uk publisher id), `encoding`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

DEFAULT_REGISTRY_PATH = Path(__file__).resolve().parent / "councils.csv"

REGISTRY_COLUMNS = [
    "gss", "name", "type", "region_gss", "county_gss", "website", "start_date", "end_date", "landing_urls",
    "discovery", "ckan_package", "link_include", "link_exclude", "threshold", "amount_basis", "cadence",
    "parser_hints",
]
COUNCIL_TYPES = {"county", "district", "unitary", "metropolitan", "london_borough", "combined_authority", "gla",
                 "fire", "police", "other"}
DISCOVERY_METHODS = {"html", "ckan", "direct", "github"}
THRESHOLDS = {"250", "500", "none", ""}
AMOUNT_BASES = {"net", "gross", "unknown"}
CADENCES = {"monthly", "quarterly", "annual", "unknown"}

# GSS prefixes each council type may carry (ONS Register of Geographic Codes); the GLA is E12000007 in the
# DLUHC register and E61000001 at mySociety, so both are accepted.
GSS_PREFIXES = {
    "county": ("E10",), "district": ("E07",), "unitary": ("E06",), "metropolitan": ("E08",),
    "london_borough": ("E09",), "combined_authority": ("E47",), "gla": ("E12000007", "E61"),
    "fire": ("E31",), "police": ("E23",), "other": ("E",),
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
    if base_url is not None:
        base = base_url.rstrip("/")
        df = df.with_columns(pl.col("website", "landing_urls").str.replace_all("{base}", base, literal=True))
    return df.select(REGISTRY_COLUMNS, *[c for c in df.columns if c not in REGISTRY_COLUMNS])


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


def validate_registry(df: pl.DataFrame) -> list[str]:
    """Every problem found, one message each (empty = valid)."""
    errors: list[str] = []
    missing = [c for c in REGISTRY_COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns: {missing}"]
    duplicated = df.filter(pl.col("gss").is_duplicated())["gss"].unique().sort().to_list()
    if duplicated:
        errors.append(f"duplicate gss codes: {duplicated}")
    for row in df.iter_rows(named=True):
        gss, who = row["gss"], f"{row['gss']} {row['name']}"
        if not gss or not GSS_PATTERN.match(gss):
            errors.append(f"{who}: malformed gss code")
        if not row["name"]:
            errors.append(f"{who}: no name")
        if row["type"] not in COUNCIL_TYPES:
            errors.append(f"{who}: unknown type {row['type']!r}")
        elif gss and not gss.startswith(GSS_PREFIXES[row["type"]]):
            errors.append(f"{who}: gss prefix does not fit type {row['type']}")
        if row["region_gss"] and not re.match(r"^E12\d{6}$", row["region_gss"]):
            errors.append(f"{who}: region_gss {row['region_gss']!r} is not a region code")
        if row["type"] == "district" and not (row["county_gss"] or "").startswith("E10"):
            errors.append(f"{who}: district without a county_gss")
        if row["type"] != "district" and row["county_gss"]:
            errors.append(f"{who}: county_gss is only for districts")
        for column in ("start_date", "end_date"):
            if not _date_ok(row[column]):
                errors.append(f"{who}: {column} {row[column]!r} is not an ISO date")
        urls = ([row["website"]] if row["website"] else []) + (row["landing_urls"] or "").split("|")
        for url in filter(None, urls):
            if not _url_ok(url):
                errors.append(f"{who}: malformed URL {url!r}")
        if row["discovery"] not in DISCOVERY_METHODS:
            errors.append(f"{who}: unknown discovery {row['discovery']!r}")
        if row["discovery"] in ("direct", "github") and not row["landing_urls"]:
            errors.append(f"{who}: discovery {row['discovery']} needs landing_urls")
        for column in ("link_include", "link_exclude"):
            if row[column]:
                try:
                    re.compile(row[column])
                except re.error as exc:
                    errors.append(f"{who}: {column} does not compile: {exc}")
        if (row["threshold"] or "") not in THRESHOLDS:
            errors.append(f"{who}: threshold {row['threshold']!r} not in 250|500|none")
        if (row["amount_basis"] or "unknown") not in AMOUNT_BASES:
            errors.append(f"{who}: amount_basis {row['amount_basis']!r}")
        if (row["cadence"] or "unknown") not in CADENCES:
            errors.append(f"{who}: cadence {row['cadence']!r}")
        if row["parser_hints"]:
            try:
                if not isinstance(json.loads(row["parser_hints"]), dict):
                    errors.append(f"{who}: parser_hints is not a JSON object")
            except json.JSONDecodeError as exc:
                errors.append(f"{who}: parser_hints is not JSON: {exc}")
    return errors


def council_hints(council: dict) -> dict:
    """The council's parser_hints as a dict (empty when absent)."""
    raw = council.get("parser_hints")
    if not raw:
        return {}
    return raw if isinstance(raw, dict) else json.loads(raw)
