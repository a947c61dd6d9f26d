"""`datapackage.json` for a release: a Frictionless Data Package (v2 profile, readable by v1 tools).

One resource per extract. Standard properties carry what the spec defines (`path`, `format`, `mediatype`,
`bytes`, `hash`, `schema.fields`, `licenses`, `sources`); the rest is under the `keepitlocal:` prefix, as the
spec allows for custom properties:

* `keepitlocal:rows` - row count (the spec has no row-count property).
* `keepitlocal:files` - for every file: path, bytes, sha256 and rows. Partitioned resources list several paths;
  their `bytes` is the total and their `hash` is the sha256 of the files' bytes concatenated in `path` order,
  which is what a Frictionless multipart reader streams.
* `keepitlocal:partition_columns` - hive partition columns, whose values are in the directory names.
* `keepitlocal:duckdb_type` on each field - the exact warehouse type (decimal(18,2) money, etc.).

Spec: https://datapackage.org/standard/data-package/ (v2) and https://specs.frictionlessdata.io/ (v1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from pipelines.extracts.build import Column, Extract, Release

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PACKAGE_NAME = "keepitlocal-observatory"
PACKAGE_TITLE = "Keep it Local observatory: English councils' spending and contract awards, suppliers classified"
PACKAGE_DESCRIPTION = (
    "English councils' spending over 500 pounds and Contracts Finder / Find a Tender award notices, with every "
    "supplier resolved and classified (local, SME, VCSE, public body, large private), and the marts built on "
    "them: the Keep it Local scorecard, supplier group exposure and detected sourcing events. Money is in pounds "
    "to the penny; financial years run 1 April to 31 March."
)
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
OGL = {
    "name": "OGL-UK-3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "title": "Open Government Licence v3.0",
}
# the two notice services are sources of every release; council landing pages are passed in per build
NOTICE_SOURCES = [
    {"title": "Contracts Finder (Crown Commercial Service), OCDS search API",
     "path": "https://www.contractsfinder.service.gov.uk/"},
    {"title": "Find a Tender service (Cabinet Office), OCDS release packages API",
     "path": "https://www.find-tender.service.gov.uk/"},
]
MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


def frictionless_type(duckdb_type: str) -> str:
    """The Table Schema field type for a DuckDB column type."""
    t = duckdb_type.upper().strip()
    if t.endswith("]"):
        return "array"
    if t.startswith(("STRUCT", "MAP")):
        return "object"
    if t.startswith(("DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL")):
        return "number"
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT", "INT", "INT1", "INT2", "INT4", "INT8"}:
        return "integer"
    if t in {"BOOLEAN", "BOOL"}:
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t.startswith("TIME"):
        return "time"
    if t == "JSON":
        # JSON text may hold an object, an array or a scalar: no single Table Schema type fits
        return "any"
    return "string"


def field_descriptor(column: Column) -> dict:
    descriptor = {"name": column.name, "type": frictionless_type(column.duckdb_type),
                  "keepitlocal:duckdb_type": column.duckdb_type.lower()}
    if column.description:
        descriptor["description"] = column.description
    if column.partition:
        descriptor["keepitlocal:partition"] = True
    return descriptor


def resource_descriptor(extract: Extract, release_dir: Path) -> dict:
    paths = [f.path for f in extract.files]
    descriptor: dict = {
        "name": extract.name,
        "type": "table",
        "title": extract.title,
        "description": extract.description,
        "path": paths[0] if len(paths) == 1 and not extract.partition_columns else paths,
        "format": extract.format,
        "mediatype": MEDIA_TYPES[extract.format],
    }
    if extract.format == "csv":
        descriptor["encoding"] = "utf-8"
        descriptor["dialect"] = {"header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True}
    descriptor["bytes"] = extract.bytes
    descriptor["hash"] = "sha256:" + concatenated_sha256([release_dir / p for p in paths])
    descriptor["keepitlocal:rows"] = extract.rows
    descriptor["keepitlocal:source_table"] = extract.source_table
    if extract.grain:
        descriptor["keepitlocal:grain"] = extract.grain
    if extract.partition_columns:
        descriptor["keepitlocal:partition_columns"] = extract.partition_columns
    descriptor["keepitlocal:files"] = [
        {"path": f.path, "bytes": f.bytes, "sha256": f.sha256, "rows": f.rows} for f in extract.files
    ]
    descriptor["schema"] = {"fields": [field_descriptor(c) for c in extract.columns]}
    return descriptor


def package_descriptor(release: Release, release_dir: Path) -> dict:
    return {
        "$schema": PROFILE,
        "name": PACKAGE_NAME,
        "title": PACKAGE_TITLE,
        "description": PACKAGE_DESCRIPTION,
        "version": release.release_id,
        "created": release.created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [dict(OGL)],
        "keepitlocal:attribution": ATTRIBUTION,
        "sources": NOTICE_SOURCES + [normalise_source(s) for s in release.sources],
        "keepitlocal:pipeline_version": release.pipeline_version,
        "keepitlocal:release": release.release_id,
        "resources": [resource_descriptor(e, release_dir) for e in release.extracts],
    }


def normalise_source(source: dict) -> dict:
    """A council landing page as a package source: {title, path} (accepts name/url spellings too)."""
    title = source.get("title") or source.get("name") or source.get("council_name") or source.get("path") or ""
    path = source.get("path") or source.get("url") or source.get("landing_page") or ""
    out = {"title": str(title)}
    if path:
        out["path"] = str(path)
    return out


def write_datapackage(release_dir: Path, release: Release) -> Path:
    target = release_dir / "datapackage.json"
    text = json.dumps(package_descriptor(release, release_dir), indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def concatenated_sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
