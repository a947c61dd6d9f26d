"""Loaders for the national reference registers, from their real published formats, into `reference.*`.

Each loader takes the raw bytes the pipeline landed (or a path, for the multi-GB files) and replaces its table in
one transaction: a failed load leaves yesterday's register in place. Formats and traps:
../shared/corpus/registry/REFERENCE_DATASETS.md.

* `load_companies_house`: BasicCompanyData CSV or its zip (~2.5 GB CSV): scanned lazily, streamed.
* `load_charities`: Charity Commission E&W `publicextract.charity` (TSV, no quoting) or its zip; Charity Commission
  for Northern Ireland CSV (Windows-1252).
* `load_postcodes`: ONS NSPL/ONSPD zip or CSV (release columns by pattern), or the Open Geography hosted export.
* `load_public_bodies`: the DLUHC local-authority register (councils -> GB-LAE-<code>, GSS) and, optionally, the
  academy-trust list (WGA CPID) whose trusts are public bodies registered as companies.
* `load_psc`: Companies House PSC snapshot (JSON Lines, or the JSON arrays of the samples), keeping only current
  corporate and legal-person owners with control (>50% shares or votes, or the right to appoint directors).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from pipelines import sqlfiles
from pipelines.warehouse import atomic
from pipelines.normalise import identifiers
from pipelines.normalise.names import list_name_keys, name_key
from pipelines.normalise.text import clean_text

Source = bytes | str | Path



# ---------------------------------------------------------------------------------------------- shared helpers

# Identifier rules live in the one normalisation module; these names stay for the loaders and their callers.
normalise_postcode = identifiers.postcode
postcode_in_text = identifiers.postcode_in_text
normalise_company_number = identifiers.company_number
normalise_charity_number = identifiers.charity_number


def _require(columns: list[str], wanted: list[str], what: str) -> None:
    """A register file without a column the loader reads is refused with the columns named (never loaded as
    zero rows)."""
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(f"not a complete {what}: missing column(s) {missing}; found {columns[:15]}")


@contextmanager
def _as_file(source: Source, member_pattern: str) -> Iterator[Path]:
    """A filesystem path to the data: the file itself, or a zip member (matched by regex) streamed to a temp file."""
    with tempfile.TemporaryDirectory(prefix="kil_register_") as tmp:
        if isinstance(source, (bytes, bytearray)):
            path = Path(tmp) / "source.bin"
            path.write_bytes(source)
        else:
            path = Path(source)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if re.search(member_pattern, n, re.IGNORECASE)]
                if not names:
                    raise ValueError(f"no member matching {member_pattern!r} in the zip: {zf.namelist()[:10]}")
                # The shortest matching name is the whole-UK file, not a per-area part (NSPL Data/multi_csv/...).
                member = min(names, key=len)
                out = Path(tmp) / "member.csv"
                with zf.open(member) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, length=16 * 1024 * 1024)
                path = out
        yield path


def _replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Delete and re-insert a reference table in one transaction. An empty frame is refused: a register that
    yields no rows is a broken download or a changed format, and replacing the table with nothing would silently
    untype every supplier it used to type; the previous table is kept and the failure is reported."""
    if frame.height == 0:
        raise ValueError(f"the {table} register yielded no rows; reference.{table} is kept as it was")
    with atomic(con):
        con.register("register_frame", frame)
        sqlfiles.execute(con, f"suppliers/delete_{table}")
        sqlfiles.execute(con, f"suppliers/insert_{table}")
        con.unregister("register_frame")
    return frame.height


# ------------------------------------------------------------------------------------------------ Companies House

_CH_WANTED = {
    "CompanyName": "name",
    "CompanyNumber": "company_number",
    "RegAddress.PostCode": "postcode",
    "CompanyCategory": "category",
    "CompanyStatus": "status",
    "Accounts.AccountCategory": "accounts_category",
}


def read_companies_house(path: Path) -> pl.LazyFrame:
    """BasicCompanyData CSV as a lazy frame of `reference.companies` columns (header names carry leading spaces)."""
    lf = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
    columns = lf.collect_schema().names()
    stripped = {c: c.strip() for c in columns}
    lf = lf.rename(stripped)
    names = set(stripped.values())
    missing = [c for c in _CH_WANTED if c not in names]
    if missing:
        raise ValueError(f"not a Companies House BasicCompanyData file: missing columns {missing}")
    previous = sorted((c for c in names if re.fullmatch(r"PreviousName_\d+\.CompanyName", c)), key=lambda c: int(re.findall(r"\d+", c)[0]))
    sic = sorted(c for c in names if re.fullmatch(r"SICCode\.SicText_\d+", c))

    def text(col: str) -> pl.Expr:
        return pl.col(col).fill_null("").str.replace_all("\x00", "").str.strip_chars()

    prev_list = pl.concat_list([text(c) for c in previous]).list.eval(pl.element().filter(pl.element() != "")) if previous else pl.lit([], dtype=pl.List(pl.String))
    sic_list = (
        pl.concat_list([text(c).str.extract(r"^(\d{4,5})\b", 1) for c in sic]).list.drop_nulls()
        if sic
        else pl.lit([], dtype=pl.List(pl.String))
    )
    return lf.select(
        company_number=normalise_company_number(text("CompanyNumber")),
        name=text("CompanyName"),
        previous_names=prev_list,
        status=text("CompanyStatus"),
        category=text("CompanyCategory"),
        postcode=normalise_postcode(text("RegAddress.PostCode")),
        accounts_category=text("Accounts.AccountCategory").str.to_uppercase().replace("", None),
        sic_codes=sic_list,
    ).filter(pl.col("company_number").is_not_null() & (pl.col("name") != ""))


def load_companies_house(source: Source, con: duckdb.DuckDBPyConnection) -> int:
    """Replace `reference.companies` from a BasicCompanyData CSV or zip (bytes or path). Returns rows loaded."""
    with _as_file(source, r"\.csv$") as path:
        frame = read_companies_house(path).collect(engine="streaming")
    frame = frame.unique("company_number", keep="first", maintain_order=True)
    frame = frame.with_columns(name_key=name_key(frame["name"]), previous_name_keys=list_name_keys(frame["previous_names"]))
    return _replace_table(con, "companies", frame)


# ------------------------------------------------------------------------------------------------------ charities


def _read_ccew(path: Path) -> pl.DataFrame:
    raw = path.read_bytes()
    # Free-text fields can hold CR/LF; a record break is CRLF followed by a date, so glue the rest.
    raw = raw.replace(b"\r\n\t", b"\t")
    df = pl.read_csv(io.BytesIO(raw), separator="\t", quote_char=None, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
    df = df.rename({c: c.strip() for c in df.columns})
    _require(df.columns, ["registered_charity_number", "linked_charity_number", "charity_name", "charity_company_registration_number",
                          "charity_contact_postcode", "latest_income", "charity_registration_status"], "Charity Commission E&W extract")
    main = df.filter(pl.col("linked_charity_number").str.strip_chars().is_in(["0", ""]) | pl.col("linked_charity_number").is_null())
    return main.select(
        charity_number=normalise_charity_number(pl.col("registered_charity_number")),
        name=clean_text(pl.col("charity_name")),
        company_number=normalise_company_number(pl.col("charity_company_registration_number")),
        postcode=normalise_postcode(pl.col("charity_contact_postcode")),
        income=pl.col("latest_income").str.strip_chars().cast(pl.Decimal(18, 2), strict=False),
        register=pl.lit("ccew"),
        _removed=pl.col("charity_registration_status").fill_null("") == "Removed",
    )


def _read_ccni(path: Path) -> pl.DataFrame:
    df = pl.read_csv(path, infer_schema=False, encoding="windows-1252", truncate_ragged_lines=True)
    _require(df.columns, ["Reg charity number", "Charity name", "Company number", "Public address", "Total income", "Status"],
             "Charity Commission for Northern Ireland download")
    return df.select(
        charity_number=pl.concat_str(pl.lit("NIC"), pl.col("Reg charity number").str.strip_chars()),
        name=clean_text(pl.col("Charity name")),
        company_number=normalise_company_number(pl.col("Company number")),
        postcode=postcode_in_text(pl.col("Public address")),
        income=pl.col("Total income").str.replace_all(r"[£,\s]", "").cast(pl.Decimal(18, 2), strict=False),
        register=pl.lit("ccni"),
        _removed=pl.col("Status").fill_null("") == "Removed",
    )


def load_charities(sources: Source | list[Source], con: duckdb.DuckDBPyConnection) -> int:
    """Replace `reference.charities` from one or more register files (CCEW TSV/zip, CCNI CSV), sniffed by header."""
    frames = []
    for source in sources if isinstance(sources, list) else [sources]:
        with _as_file(source, r"charity\.(txt|csv|tsv)$|\.txt$|\.csv$") as path:
            with path.open("rb") as fh:
                head = fh.read(4096)
            if b"registered_charity_number" in head:
                frames.append(_read_ccew(path))
            elif b"Reg charity number" in head:
                frames.append(_read_ccni(path))
            else:
                raise ValueError("not a Charity Commission register file (E&W extract or NI download)")
    frame = (
        pl.concat(frames, how="vertical_relaxed")
        .filter(pl.col("charity_number").is_not_null())
        # A removed charity stays findable by number; keep one row per charity, registered rows first.
        .sort("_removed")
        .unique("charity_number", keep="first")
        .drop("_removed")
        .with_columns(name_key=name_key(pl.col("name")))
    )
    return _replace_table(con, "charities", frame)


# ------------------------------------------------------------------------------------------------------ postcodes


def _pick(columns: list[str], pattern: str) -> str | None:
    for c in columns:
        if re.fullmatch(pattern, c, re.IGNORECASE):
            return c
    return None


def read_postcodes(path: Path) -> pl.LazyFrame:
    """NSPL/ONSPD (any release naming) or the hosted-table export, as `reference.postcodes` columns."""
    lf = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
    columns = lf.collect_schema().names()
    columns_clean = {c: c.lstrip("\ufeff").strip() for c in columns}
    lf = lf.rename(columns_clean)
    cols = list(columns_clean.values())
    wanted = {
        "pcds": _pick(cols, r"pcds"),
        "lad": _pick(cols, r"laua|oslaua|lad\d\dcd"),
        "cty": _pick(cols, r"cty|oscty|cty\d\dcd"),
        "rgn": _pick(cols, r"rgn|rgn\d\dcd"),
        "ctry": _pick(cols, r"ctry|ctry\d\dcd"),
        "doterm": _pick(cols, r"doterm"),
    }
    if not wanted["pcds"] or not wanted["lad"]:
        raise ValueError(f"not an ONS postcode lookup: columns {cols[:12]}")

    def code(key: str) -> pl.Expr:
        col = wanted[key]
        if col is None:
            return pl.lit(None, dtype=pl.String)
        value = pl.col(col).str.strip_chars()
        # Pseudo codes (E99999999 = no county, W99999999 = no English region ...) mean "not applicable".
        return pl.when((value == "") | value.str.contains(r"^[A-Z]9{8}$")).then(None).otherwise(value)

    return lf.select(
        postcode=normalise_postcode(pl.col(wanted["pcds"])),
        lad_gss=code("lad"),
        # Only E10 shire counties are two-tier counties; NSPL puts Inner/Outer London (E13) in the same column.
        county_gss=pl.when(code("cty").str.starts_with("E10")).then(code("cty")),
        region_gss=code("rgn"),
        country_gss=code("ctry"),
        terminated=code("doterm"),
    ).filter(pl.col("postcode").is_not_null())


def load_postcodes(source: Source, con: duckdb.DuckDBPyConnection) -> int:
    """Replace `reference.postcodes` from an NSPL/ONSPD zip or CSV (bytes or path). Returns rows loaded."""
    with _as_file(source, r"^Data/(NSPL|ONSPD)[^/]*\.csv$|\.csv$") as path:
        frame = read_postcodes(path).collect(engine="streaming")
    # Live rows first so a postcode listed twice keeps its current geography.
    frame = frame.sort(pl.col("terminated").is_not_null()).unique("postcode", keep="first")
    return _replace_table(con, "postcodes", frame)


# -------------------------------------------------------------------------------------------------- public bodies


def read_local_authorities(source: Source) -> pl.DataFrame:
    """DLUHC local-authority.csv: every English council with org_id GB-LAE-<reference> and its GSS code."""
    data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    df = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
    _require(df.columns, ["reference", "name", "statistical-geography"], "local-authority register")
    return df.filter(pl.col("reference").is_not_null() & pl.col("name").is_not_null()).select(
        org_id=pl.concat_str(pl.lit("GB-LAE-"), pl.col("reference").str.strip_chars()),
        name=pl.col("name").str.strip_chars(),
        kind=pl.lit("local_authority"),
        gss=pl.col("statistical-geography").str.strip_chars().replace("", None),
    )


def read_academy_trusts(source: Source) -> pl.DataFrame:
    data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    df = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
    _require(df.columns, ["Entity", "Company Number"], "academy trusts list")
    return df.select(
        org_id=pl.concat_str(pl.lit("GB-COH-"), normalise_company_number(pl.col("Company Number"))),
        name=pl.col("Entity").str.strip_chars(),
        kind=pl.lit("academy_trust"),
        gss=pl.lit(None, dtype=pl.String),
    ).filter(pl.col("org_id").is_not_null())


def load_public_bodies(local_authority_csv: Source, con: duckdb.DuckDBPyConnection, academy_trusts_csv: Source | None = None) -> int:
    """Replace `reference.public_bodies`: councils from the DLUHC register, plus academy trusts if given."""
    frames = [read_local_authorities(local_authority_csv)]
    if academy_trusts_csv is not None:
        frames.append(read_academy_trusts(academy_trusts_csv))
    frame = pl.concat(frames).unique("org_id", keep="first").with_columns(name_key=name_key(pl.col("name")))
    return _replace_table(con, "public_bodies", frame)


# ---------------------------------------------------------------------------------------------------------- PSC

_CONTROLLING = re.compile(r"(shares|voting-rights)-(50-to-75|75-to-100|more-than-50)|right-to-appoint-and-remove-directors")
_OWNER_KINDS = {
    "corporate-entity-person-with-significant-control": "corporate",
    "legal-person-person-with-significant-control": "legal_person",
}


def _psc_records(path: Path) -> Iterator[dict]:
    """Yield PSC records from JSON Lines (the snapshot) or from a JSON array (the re-wrapped samples)."""
    with path.open("rb") as fh:
        first = fh.read(1).lstrip()
        fh.seek(0)
        if first == b"[":
            for record in json.load(fh):
                yield record
            return
        for line in fh:
            # Cheap byte filter first: only a few percent of 12 M lines are corporate or legal-person PSCs.
            if b"corporate-entity-person" not in line and b"legal-person-person" not in line:
                continue
            yield json.loads(line.rstrip(b",\r\n"))


def read_psc(path: Path) -> pl.DataFrame:
    rows = []
    for record in _psc_records(path):
        data = record.get("data") or {}
        kind = _OWNER_KINDS.get(data.get("kind", ""))
        company = record.get("company_number")
        if not kind or not company or data.get("ceased_on"):
            continue
        controls = [c for c in data.get("natures_of_control") or [] if isinstance(c, str)]
        if not any(_CONTROLLING.search(c) for c in controls):
            continue
        ident = data.get("identification") or {}
        where = " ".join(str(ident.get(k) or "") for k in ("country_registered", "place_registered", "legal_authority")).upper()
        uk = bool(re.search(r"ENGLAND|WALES|SCOTLAND|UNITED KINGDOM|\bUK\b|COMPANIES HOUSE|COMPANIES ACT", where))
        rows.append(
            {
                "company_number": company,
                "owner_name": data.get("name"),
                "owner_registration": ident.get("registration_number") if uk else None,
                "owner_kind": kind,
                "controls": ",".join(controls),
            }
        )
    schema = {k: pl.String for k in ("company_number", "owner_name", "owner_registration", "owner_kind", "controls")}
    df = pl.DataFrame(rows, schema=schema)
    return df.select(
        company_number=normalise_company_number(pl.col("company_number")),
        owner_name=pl.col("owner_name").str.strip_chars(),
        owner_company_number=normalise_company_number(pl.col("owner_registration")),
        owner_kind="owner_kind",
        controls="controls",
    ).filter(pl.col("company_number").is_not_null())


def load_psc(sources: Source | list[Source], con: duckdb.DuckDBPyConnection) -> int:
    """Replace `reference.psc_corporate_owners` from PSC snapshot files (zip, JSON Lines or JSON arrays)."""
    frames = []
    for source in sources if isinstance(sources, list) else [sources]:
        with _as_file(source, r"\.(json|txt)$") as path:
            frames.append(read_psc(path))
    frame = pl.concat(frames).unique()
    return _replace_table(con, "psc_corporate_owners", frame)


# ------------------------------------------------------------------------------ public bodies and charities lists


def load_reference_list(name: str, reader: str, sources: Source | list[Source], con: duckdb.DuckDBPyConnection) -> int:
    """Replace list `name`'s rows of `reference.organisations` (read by pipelines.reference.sources.READERS[reader]) from
    its refreshed download(s): the pages of a paged API, or one file (zips are opened). The typing cascade then
    uses these rows instead of the shipped copy of the same list."""
    from pipelines.reference.sources import read_parts

    parts = [s if isinstance(s, (bytes, bytearray)) else Path(s).read_bytes() for s in (sources if isinstance(sources, list) else [sources])]
    frame = read_parts(reader, parts).with_columns(source=pl.lit(name))
    if frame.is_empty():
        raise ValueError(f"the {reader} download held no organisations")
    return _replace_table(con, "organisations", frame.unique(["ref_id", "name"], keep="first", maintain_order=True))
