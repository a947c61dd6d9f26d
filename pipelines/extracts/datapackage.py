"""`datapackage.json` for a release: a Frictionless Data Package (v2 profile, readable by v1 tools) that
`frictionless validate datapackage.json` passes, data included.

One resource per data file. A partitioned table (payments by financial year and council, awards by year) is one
resource per partition file, all carrying the same `schema` and `keepitlocal:table`, because every file holds its
partition values as columns and stands alone; a validator reads each file whole (a multi-file `path` would be
read as one byte stream, which is not how parquet works).

Standard properties carry what the spec defines (`path`, `format`, `mediatype`, `schema.fields`, `licenses`,
`sources`; `bytes` and `hash` on CSV resources). Parquet resources leave `bytes` and `hash` out of the standard
properties: the validator reads parquet through pyarrow and cannot count its bytes, so a declared size fails
validation. Their size and sha256 are under `keepitlocal:files`. The rest is under the `keepitlocal:` prefix, as
the spec allows for custom properties:

* `keepitlocal:rows` - row count (the spec has no row-count property).
* `keepitlocal:table` - the extract the resource belongs to (e.g. `fact_payment`), and
  `keepitlocal:partition` - that file's partition values (`{"financial_year": "2023-24", "council_gss": ...}`).
* `keepitlocal:files` - path, bytes, sha256 and rows of the resource's file.
* `keepitlocal:partition_columns` - hive partition columns (folder names, and columns inside the files).
* `keepitlocal:duckdb_type` on each field - the exact warehouse type (decimal(18,2) money, etc.).

Spec: https://datapackage.org/standard/data-package/ (v2) and https://specs.frictionlessdata.io/ (v1).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipelines.extracts.build import Column, Extract, Release, resource_name

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


# Frictionless reads parquet through pandas, which turns a null integer or number into the float NaN and a null
# timestamp into NaT, and then compares the text of the cell with the field's missing values. Declaring those
# spellings missing on those fields only (a string field keeps "nan" as text) keeps nulls null.
PANDAS_MISSING = {"integer": ["", "nan"], "number": ["", "nan"], "datetime": ["", "NaT"], "date": ["", "NaT"]}


def _pandas_missing_values(descriptor: dict) -> dict:
    missing = PANDAS_MISSING.get(descriptor["type"])
    return {**descriptor, "missingValues": missing} if missing else descriptor


def resource_descriptors(extract: Extract) -> list[dict]:
    """The package resources of one extract: one per file (a partitioned extract has several)."""
    partitioned = bool(extract.partition_columns)
    out = []
    for f in extract.files:
        name, title = extract.name, extract.title
        if partitioned:
            values = [f.partition.get(c) for c in extract.partition_columns]
            name = resource_name("-".join([extract.name, *("null" if v is None else v for v in values)]))
            title = f"{extract.source_table}, " + ", ".join(
                f"{c} {'(none)' if v is None else v}" for c, v in zip(extract.partition_columns, values))
        descriptor: dict = {
            "name": name,
            "type": "table",
            "title": title,
            "description": extract.description,
            "path": f.path,
            "format": extract.format,
            "mediatype": MEDIA_TYPES[extract.format],
        }
        if extract.format == "csv":
            descriptor["encoding"] = "utf-8"
            descriptor["dialect"] = {"header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True}
            # the validator counts and hashes a CSV's bytes as it reads them; it cannot for parquet
            descriptor["bytes"] = f.bytes
            descriptor["hash"] = "sha256:" + f.sha256
        descriptor["keepitlocal:rows"] = f.rows
        descriptor["keepitlocal:source_table"] = extract.source_table
        descriptor["keepitlocal:table"] = extract.name
        if extract.grain:
            descriptor["keepitlocal:grain"] = extract.grain
        if partitioned:
            descriptor["keepitlocal:partition_columns"] = extract.partition_columns
            descriptor["keepitlocal:partition"] = dict(f.partition)
        descriptor["keepitlocal:files"] = [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256, "rows": f.rows}]
        fields = [field_descriptor(c) for c in extract.columns]
        if extract.format == "parquet":
            fields = [_pandas_missing_values(f) for f in fields]
        descriptor["schema"] = {"fields": fields}
        out.append(descriptor)
    return out


def _unique_names(resources: list[dict]) -> list[dict]:
    # partition values are folded to resource-name characters, so two could meet: number the later ones
    seen: dict[str, int] = {}
    for r in resources:
        base = r["name"]
        if base in seen:
            seen[base] += 1
            r["name"] = f"{base}-{seen[base]}"
        else:
            seen[base] = 1
    return resources


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
        # what the release holds (pipelines/extracts/build.py): a night with the same signature keeps this release
        **({"keepitlocal:content_signature": release.content_signature} if release.content_signature else {}),
        "resources": _unique_names([r for e in release.extracts for r in resource_descriptors(e)]),
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

