"""Readers for the public lists of UK public bodies, schools, universities, housing providers and large
charities that type payees without a warehouse (docs: ../shared/corpus/registry/public_bodies_uk/README.md).

Each reader takes the bytes of one published file (the snapshot the package was built from, or the live
download the registers refresh lands) and returns rows of `COLUMNS`:

* `ref_id`: a stable id of the organisation: its org-id where the list gives one (`GB-GOR-D25`, `GB-NHS-RA7`,
  `GB-UKPRN-10007773`, `GB-EDU-100000`, `GB-SHPE-C3489`, `GB-CHC-1000328`, `GB-LAE-DEV`), else the list's own
  code with the source as prefix (`ons-pfa:E23000007`);
* `org_id`: the org-id when it is one (null for list-scoped codes);
* `canonical`: the organisation's name as the list writes it; `name`: one name to match (the canonical name,
  an abbreviation, a name built from an area: "POLICE AND CRIME COMMISSIONER FOR LANCASHIRE");
* `org_type` (`public_body`, `charity`, `company`, or `unknown` when the list knows the body but not its
  type: the name then decides), `kind` (`central_government`, `nhs`, `university`,
  `school`, `police`, `fire`, `parish`, `housing_provider`, `charity`, ...), `source`, `active`.

A reader raises `ValueError` naming the missing columns when a file is not the list it expects.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable

import polars as pl

COLUMNS = {
    "ref_id": pl.String, "org_id": pl.String, "canonical": pl.String, "name": pl.String,
    "org_type": pl.String, "kind": pl.String, "source": pl.String, "active": pl.Boolean,
}
_LEGAL_FORM = r"(?i)\b(ltd|limited|plc|llp)\b"


def _frame(rows: list[dict] | pl.DataFrame) -> pl.DataFrame:
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, schema=COLUMNS)
    return frame.select([pl.col(c).cast(t) for c, t in COLUMNS.items()]).filter(
        pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != "")
    )


def _csv(data: bytes, **kwargs) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy", **kwargs)


def _need(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"not {what}: missing columns {missing} (columns: {frame.columns[:12]})")


def _strip_bom(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename({c: c.lstrip("\ufeff").strip().strip('"') for c in frame.columns})


# ----------------------------------------------------------------------------------------- central government


def govuk_organisations(data: bytes) -> pl.DataFrame:
    """GOV.UK organisations: the full dump (a JSON array) or one page of the live API (`{"results": [...]}`).

    Closed public corporations are left out: they were privatised (Royal Mail) or wound up, and a payee of the
    same name today is a company. Every other organisation, live or closed, is a public body; its
    abbreviation is a second name.
    """
    doc = json.loads(data)
    records = doc.get("results", []) if isinstance(doc, dict) else doc
    if not isinstance(records, list) or (records and "title" not in records[0]):
        raise ValueError("not a GOV.UK organisations file: no records with a title")
    rows = []
    for org in records:
        details = org.get("details") or {}
        status = details.get("govuk_status") or ""
        if org.get("format") == "Public corporation" and status == "closed":
            continue
        code = org.get("analytics_identifier") or details.get("slug")
        if not code or not org.get("title"):
            continue
        ref_id = f"GB-GOR-{code}"
        base = {"ref_id": ref_id, "org_id": ref_id, "canonical": org["title"], "org_type": "public_body",
                "kind": "central_government", "source": "govuk_organisations", "active": status != "closed"}
        rows.append({**base, "name": org["title"]})
        abbreviation = (details.get("abbreviation") or "").strip()
        if len(abbreviation) >= 2 and abbreviation.upper() != org["title"].upper():
            # kind "abbreviation": "SIS" is the Secret Intelligence Service, "SIS (UK) LTD" is not
            rows.append({**base, "name": abbreviation, "kind": "abbreviation"})
    return _frame(rows)


# ------------------------------------------------------------------------------------------------------- NHS


def nhs_ods(data: bytes) -> pl.DataFrame:
    """NHS ODS organisation extracts (etr trusts, eccg CCGs and ICB sub-locations, ect, ...): header-less CSV in
    the standard ODS layout (code, name, ..., open date, close date), or the ODS API's JSON `{report: csv}`."""
    text = data.decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        text = "\n".join(str(v) for v in json.loads(text).values())
    frame = pl.read_csv(io.StringIO(text), has_header=False, infer_schema=False, truncate_ragged_lines=True)
    if frame.width < 12:
        raise ValueError(f"not an NHS ODS extract: {frame.width} columns, the ODS layout has 27")
    cols = frame.columns  # positional: code, name, ..., open date (11th), close date (12th)
    frame = frame.select(code=pl.col(cols[0]).str.strip_chars(), name=pl.col(cols[1]).str.strip_chars(),
                         closed=pl.col(cols[11]).fill_null("").str.strip_chars() != "")
    # "NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L" is a sub-location of the ICB: its name without the code.
    frame = frame.with_columns(name=pl.col("name").str.replace(r"\s+-\s+[0-9A-Z]{3,5}$", ""))
    return _frame(frame.select(
        ref_id=pl.concat_str(pl.lit("GB-NHS-"), "code"), org_id=pl.concat_str(pl.lit("GB-NHS-"), "code"),
        canonical="name", name="name", org_type=pl.lit("public_body"), kind=pl.lit("nhs"), source=pl.lit("nhs_ods"),
        active=~pl.col("closed"),
    ))


def ons_names_and_codes(data: bytes) -> pl.DataFrame:
    """ONS names-and-codes lists (any year): Integrated Care Boards (`ICBnnCD, ICBnnCDH, ICBnnNM`), Welsh local
    health boards (`LHBnnCD, LHBnnNM`), police force areas (`PFAnnCD, PFAnnNM`), fire and rescue authorities
    (`FRAnnCD, FRAnnNM`) and parishes (`PARnnCD, PARnnNM`). Areas become the names of their bodies."""
    frame = _strip_bom(_csv(data))
    cols = {re.sub(r"\d\d", "", c.upper()): c for c in frame.columns}
    if "ICBCD" in cols and "ICBNM" in cols:
        ods = cols.get("ICBCDH")
        ref = pl.concat_str(pl.lit("GB-NHS-"), pl.col(ods)) if ods else pl.concat_str(pl.lit("ons-icb:"), pl.col(cols["ICBCD"]))
        return _frame(frame.select(
            ref_id=ref, org_id=ref if ods else pl.lit(None, dtype=pl.String), canonical=pl.col(cols["ICBNM"]),
            name=pl.col(cols["ICBNM"]), org_type=pl.lit("public_body"), kind=pl.lit("nhs"), source=pl.lit("ons_icb"), active=pl.lit(True),
        ))
    if "LHBCD" in cols and "LHBNM" in cols:
        return _frame(frame.select(
            ref_id=pl.concat_str(pl.lit("ons-lhb:"), pl.col(cols["LHBCD"])), org_id=pl.lit(None, dtype=pl.String),
            canonical=pl.col(cols["LHBNM"]), name=pl.col(cols["LHBNM"]), org_type=pl.lit("public_body"), kind=pl.lit("nhs"),
            source=pl.lit("ons_lhb"), active=pl.lit(True),
        ))
    for prefix, kind, patterns in (
        ("PFA", "police", ["{a} Police", "{a} Constabulary", "{a} Police Authority", "{a} Police Force",
                           "Police and Crime Commissioner for {a}", "{a} Police and Crime Commissioner", "{a} PCC",
                           "PCC for {a}", "Office of the Police and Crime Commissioner for {a}", "Chief Constable of {a}"]),
        ("FRA", "fire", ["{a} Fire and Rescue Service", "{a} Fire and Rescue Authority", "{a} Fire and Rescue",
                         "{a} Fire Authority", "{a} Fire Service", "{a} Combined Fire Authority", "{a} Fire Brigade"]),
        ("PAR", "parish", ["{a} Parish Council", "{a} Town Council", "{a} Community Council"]),
    ):
        if f"{prefix}CD" in cols and f"{prefix}NM" in cols:
            areas = frame.select(code=pl.col(cols[f"{prefix}CD"]), area=pl.col(cols[f"{prefix}NM"]).str.strip_chars()).filter(
                pl.col("code").is_not_null() & pl.col("area").is_not_null() & (pl.col("area") != "")
            )
            rows = []
            for code, area in areas.iter_rows():
                # a name that already names the body ("London Fire and Emergency Planning Authority") is kept
                own = re.search(r"(?i)\b(authority|police|constabulary|service|brigade)\b", area)
                names = [area] if own else [p.format(a=area) for p in patterns]
                if prefix == "PAR":
                    names = [n for n in names if ("Community" in n) == code.startswith("W")]
                for name in names:
                    rows.append({"ref_id": f"ons-{prefix.lower()}:{code}", "org_id": None, "canonical": names[0] if not own else area,
                                 "name": name, "org_type": "public_body", "kind": kind, "source": f"ons_{prefix.lower()}", "active": True})
            return _frame(rows)
    raise ValueError(f"not an ONS names-and-codes list this reader knows: columns {frame.columns}")


# ------------------------------------------------------------------------------------------------- education


def hesa_providers(data: bytes) -> pl.DataFrame:
    """HESA's list of higher and further education providers (`UKPRN, ProviderName, CategoryName, Rescinded`).
    Universities and colleges are public bodies; a provider whose name carries a legal form is a company."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["UKPRN", "ProviderName"], "HESA's provider list")
    ref = pl.concat_str(pl.lit("GB-UKPRN-"), pl.col("UKPRN").str.strip_chars())
    rescinded = pl.col("Rescinded").fill_null("0").str.strip_chars() if "Rescinded" in frame.columns else pl.lit("0")
    return _frame(frame.filter(pl.col("UKPRN").str.contains(r"^\s*10\d{6}\s*$")).select(
        ref_id=ref, org_id=ref, canonical="ProviderName", name="ProviderName",
        org_type=pl.when(pl.col("ProviderName").str.contains(_LEGAL_FORM)).then(pl.lit("company")).otherwise(pl.lit("public_body")),
        kind=pl.when(pl.col("CategoryName").fill_null("").str.contains("(?i)further education")).then(pl.lit("college")).otherwise(pl.lit("university")),
        source=pl.lit("hesa_providers"), active=rescinded == "0",
    ))


# Words every state school's name carries in one form or another (English and Welsh).
_SCHOOL_WORDS = (
    r"(?i)\b(schools?|academy|academies|colleges?|primary|infants?|junior|juniors|nursery|nurseries|high|grammar|secondary"
    r"|sixth|pru|pupil|referral|education|educational|learning|centre|center|federation|studio|tuition|kindergarten|prep"
    r"|preparatory|institute|university|campus|technical|utc|ysgol|ysgolion|coleg|y ?g|ygg|yggg"
    r"|eotas|pathway)\b"
)


def gias_establishments(data: bytes) -> pl.DataFrame:
    """Schools and academies from Get Information About Schools: the DfE list (`urn, name, close_date`), the
    full daily extract (`URN, EstablishmentName, TypeOfEstablishment (name), EstablishmentStatus (name)`) or the
    links file (`URN, LinkURN, LinkName`: names of successor academies). State schools are public bodies;
    independent schools (by type, where the extract gives it) are charities unless a legal form says company."""
    frame = _strip_bom(_csv(data))
    kind_col = None
    if "LinkURN" in frame.columns and "LinkName" in frame.columns:
        frame = frame.select(urn=pl.col("LinkURN"), name=pl.col("LinkName"), independent=pl.lit(False), active=pl.lit(True))
    elif "EstablishmentName" in frame.columns:
        _need(frame, ["URN", "EstablishmentName"], "a GIAS establishments extract")
        kind_col = next((c for c in frame.columns if c.startswith("TypeOfEstablishment")), None)
        status_col = next((c for c in frame.columns if c.startswith("EstablishmentStatus")), None)
        frame = frame.select(
            urn=pl.col("URN"), name=pl.col("EstablishmentName"),
            independent=pl.col(kind_col).fill_null("").str.contains("(?i)independent") if kind_col else pl.lit(False),
            active=~pl.col(status_col).fill_null("").str.contains("(?i)^closed") if status_col else pl.lit(True),
        )
    else:
        _need(frame, ["urn", "name"], "a GIAS schools list")
        closed = pl.col("close_date").fill_null("").str.strip_chars() != "" if "close_date" in frame.columns else pl.lit(False)
        frame = frame.select(urn=pl.col("urn"), name=pl.col("name"), independent=pl.lit(False), active=~closed)
    ref = pl.concat_str(pl.lit("GB-EDU-"), pl.col("urn").str.strip_chars())
    typed = pl.lit(kind_col is not None)
    org_type = (
        pl.when(pl.col("name").str.contains(_LEGAL_FORM)).then(pl.lit("company"))
        .when(pl.col("independent")).then(pl.lit("charity"))
        # with no establishment type, a name with no word of a school ("Avocet House", "New Directions": children's
        # homes and independent providers) says nothing of who runs it: the payee's own name decides
        .when(~typed & ~pl.col("name").str.contains(_SCHOOL_WORDS)).then(pl.lit("unknown"))
        .otherwise(pl.lit("public_body"))
    )
    return _frame(frame.filter(pl.col("urn").str.contains(r"^\s*\d{6}\s*$")).select(
        ref_id=ref, org_id=ref, canonical="name", name="name", org_type=org_type,
        kind=pl.when(pl.col("independent")).then(pl.lit("independent_school")).otherwise(pl.lit("school")),
        source=pl.lit("gias"), active="active",
    ))


def independent_schools(data: bytes) -> pl.DataFrame:
    """Independent schools of England and Wales with their charity and company numbers (`URN,
    EstablishmentName, charity_number, company_number`): a charity when it has a charity number, a company when
    it has only a company number, and `unknown` when it has neither (the list found no number: that says "not a
    state school", not what the proprietor is, so the name decides). Their URNs override the state-school
    reading of the same URN."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["URN", "EstablishmentName"], "the independent schools list")
    charity = pl.col("charity_number").fill_null("").str.strip_chars() if "charity_number" in frame.columns else pl.lit("")
    company = pl.col("company_number").fill_null("").str.strip_chars() if "company_number" in frame.columns else pl.lit("")
    ref = pl.concat_str(pl.lit("GB-EDU-"), pl.col("URN").str.strip_chars())
    active = pl.col("active").fill_null("True").str.to_lowercase() != "false" if "active" in frame.columns else pl.lit(True)
    return _frame(frame.select(
        ref_id=ref, org_id=ref, canonical="EstablishmentName", name="EstablishmentName",
        org_type=pl.when(charity != "").then(pl.lit("charity")).when(company != "").then(pl.lit("company")).otherwise(pl.lit("unknown")),
        kind=pl.lit("independent_school"), source=pl.lit("independent_schools"), active=active,
    ))


def university_charity_numbers(data: bytes) -> pl.DataFrame:
    """Universities that are registered charities (`org_name, org_id_a, org_id_b`): their charity org-ids name a
    university, a public body (a charity number on a spend line must not make a university a charity)."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["org_name", "org_id_b"], "the university charity-number list")
    ids = pl.col("org_id_b").str.strip_chars().str.to_uppercase()
    return _frame(frame.filter(ids.str.contains(r"^GB-(CHC|SC|NIC)-")).select(
        ref_id=ids, org_id=ids, canonical="org_name", name="org_name", org_type=pl.lit("public_body"),
        kind=pl.lit("university"), source=pl.lit("university_charity_numbers"), active=pl.lit(True),
    ))


def university_royal_charters(data: bytes) -> pl.DataFrame:
    """Universities and colleges incorporated by Royal Charter (`URN, Name, CompanyNumber` RC...)."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["Name", "CompanyNumber"], "the royal-charter universities list")
    ref = pl.concat_str(pl.lit("GB-COH-"), pl.col("CompanyNumber").str.strip_chars().str.to_uppercase())
    return _frame(frame.filter(pl.col("CompanyNumber").str.contains(r"^\s*RC\d{6}\s*$")).select(
        ref_id=ref, org_id=ref, canonical="Name", name="Name", org_type=pl.lit("public_body"), kind=pl.lit("university"),
        source=pl.lit("royal_charters"), active=pl.lit(True),
    ))


def academy_trusts(data: bytes) -> pl.DataFrame:
    """Academy trusts with company numbers (Whole of Government Accounts list `Entity, Company Number`): public
    bodies registered as companies."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["Entity", "Company Number"], "the academy trusts list")
    number = pl.col("Company Number").str.strip_chars().str.zfill(8)
    ref = pl.concat_str(pl.lit("GB-COH-"), number)
    return _frame(frame.filter(pl.col("Company Number").str.contains(r"^\s*\d{6,8}\s*$")).select(
        ref_id=ref, org_id=ref, canonical="Entity", name="Entity", org_type=pl.lit("public_body"), kind=pl.lit("academy_trust"),
        source=pl.lit("academy_trusts"), active=pl.lit(True),
    ))


# --------------------------------------------------------------------------------------------- local bodies

_COUNCIL_TYPE_WORDS = r"(?i)\b(metropolitan borough|metropolitan district|borough|district|county|city|metropolitan|unitary)\b"


def local_authorities(data: bytes) -> pl.DataFrame:
    """English local authorities (planning.data.gov.uk `local-authority.csv`: `reference, name, end-date`), with
    the other names spend files use for them ("Kirklees Council", "Calderdale MBC", "City of York Council",
    "London Borough of Lambeth", "Lambeth Council")."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["reference", "name"], "the local-authority register")
    ended = pl.col("end-date").fill_null("").str.strip_chars() != "" if "end-date" in frame.columns else pl.lit(False)
    rows = []
    for ref, name, is_ended in frame.select("reference", "name", ended.alias("e")).iter_rows():
        if not ref or not name:
            continue
        base = {"ref_id": f"GB-LAE-{ref.strip()}", "org_id": f"GB-LAE-{ref.strip()}", "canonical": name, "org_type": "public_body",
                "kind": "local_authority", "source": "local_authorities", "active": not is_ended}
        names = {name}
        place = re.sub(r"(?i)^(london borough of|royal borough of|city of|borough of|council of the)\s+", "", name)
        place = re.sub(r"(?i)\s+(council|corporation)$", "", place)
        place = re.sub(_COUNCIL_TYPE_WORDS + r"$", "", place).strip(" ,")
        if place and place.lower() != name.lower():
            kinds = ["", "borough ", "district ", "city ", "county ", "metropolitan borough ", "metropolitan "]
            names |= {f"{place} {k}council" for k in kinds}
            names |= {f"London Borough of {place}", f"Royal Borough of {place}", f"City of {place} Council", f"{place} MBC"}
        rows.extend({**base, "name": n} for n in sorted(names))
    return _frame(rows)


def combined_authorities(data: bytes) -> pl.DataFrame:
    """ONS combined authority codes (`CAUTHnnCD, CAUTHnnNM`): "<area> Combined Authority"."""
    frame = _strip_bom(_csv(data))
    cols = {re.sub(r"\d\d", "", c.upper()): c for c in frame.columns}
    if "CAUTHCD" not in cols or "CAUTHNM" not in cols:
        raise ValueError(f"not the ONS combined-authority list: columns {frame.columns}")
    rows = []
    for code, area in frame.select(cols["CAUTHCD"], cols["CAUTHNM"]).iter_rows():
        if code and area:
            own = "authority" in area.lower()
            for name in ([area] if own else [f"{area} Combined Authority", f"{area} Mayoral Combined Authority"]):
                rows.append({"ref_id": f"ons-cauth:{code}", "org_id": None, "canonical": area if own else f"{area} Combined Authority",
                             "name": name, "org_type": "public_body", "kind": "combined_authority", "source": "ons_cauth", "active": True})
    return _frame(rows)


def digital_land_organisations(data: bytes, kind: str = "public_body") -> pl.DataFrame:
    """planning.data.gov.uk organisation lists (national park, waste and regional park authorities, passenger
    transport executives, development corporations): `name, reference, end-date`."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["name", "reference"], "a planning.data.gov.uk organisation list")
    prefix = frame.get_column("prefix").drop_nulls().first() if "prefix" in frame.columns else "dl"
    ended = pl.col("end-date").fill_null("").str.strip_chars() != "" if "end-date" in frame.columns else pl.lit(False)
    return _frame(frame.select(
        ref_id=pl.concat_str(pl.lit(f"dl-{prefix}:"), pl.col("reference")), org_id=pl.lit(None, dtype=pl.String),
        canonical="name", name="name", org_type=pl.lit("public_body"), kind=pl.lit(kind), source=pl.lit("digital_land"), active=~ended,
    ))


# -------------------------------------------------------------------------------- housing and charities


def _rsh_records(data: bytes) -> pl.DataFrame:
    head = data[:4096].lstrip()
    if head.startswith(b"PK"):
        sheets = pl.read_excel(io.BytesIO(data), sheet_id=0, infer_schema_length=0, raise_if_empty=False)
        for sheet in sheets.values():
            frame = sheet.rename({c: str(c).strip().lower().replace(" ", "_") for c in sheet.columns})
            if "organisation_name" in frame.columns and "registration_number" in frame.columns:
                return frame
        raise ValueError("no sheet of the registered-providers workbook has organisation name and registration number")
    text = data.decode("utf-8", errors="replace")
    start, end = text.find("= [") + 2, text.rfind("]")
    if "organisation_name" not in text or start < 2:
        raise ValueError("not a registered-providers list: no organisation_name records")
    body = text[start : end + 1]
    body = re.sub(r",\s*([\]}])", r"\1", body)  # trailing commas are legal TypeScript, not JSON
    return pl.DataFrame(json.loads(body))


def registered_providers(data: bytes) -> pl.DataFrame:
    """Regulator of Social Housing registered providers (the monthly XLSX, or the JSON array of a snapshot):
    non-profit providers (housing associations, co-operatives, almshouses) are charities (VCSE), for-profit
    providers companies, local-authority providers public bodies."""
    frame = _rsh_records(data)
    _need(frame, ["organisation_name", "registration_number"], "the registered providers list")
    designation = pl.col("designation").fill_null("").str.to_lowercase() if "designation" in frame.columns else pl.lit("")
    ref = pl.concat_str(pl.lit("GB-SHPE-"), pl.col("registration_number").cast(pl.String).str.strip_chars())
    return _frame(frame.select(
        ref_id=ref, org_id=ref, canonical="organisation_name", name="organisation_name",
        org_type=pl.when(designation.str.contains("local authority")).then(pl.lit("public_body"))
        .when(designation.str.contains("^profit|for-profit|for profit")).then(pl.lit("company")).otherwise(pl.lit("charity")),
        kind=pl.lit("housing_provider"), source=pl.lit("rsh_providers"), active=pl.lit(True),
    ))


def registered_provider_numbers(data: bytes) -> pl.DataFrame:
    """Registered providers' company/mutuals and charity numbers (`GB-SHPE-x, company_number, charity_number`):
    those identifiers name a housing provider (a VCSE), whatever register they come from."""
    text = data.decode("utf-8-sig", errors="replace").splitlines()
    if not text or "org_id_a" not in text[0]:
        raise ValueError("not the registered-provider numbers list: no org_id_a column")
    rows = []
    for parts in csv.reader(text[1:]):
        if not parts or not str(parts[0] or "").startswith("GB-SHPE-"):
            continue
        for value, scheme in ((parts[1] if len(parts) > 1 else None, "GB-COH"), (parts[2] if len(parts) > 2 else None, "GB-CHC")):
            if value and str(value).strip():
                ident = str(value).strip().upper()
                ident = ident if scheme == "GB-CHC" else (ident.zfill(8) if ident.isdigit() else ident)
                rows.append({"ref_id": f"{scheme}-{ident}", "org_id": f"{scheme}-{ident}", "canonical": parts[0], "name": parts[0],
                             "org_type": "charity", "kind": "housing_provider", "source": "rsh_numbers", "active": True})
    return _frame(rows)


def top_charities(data: bytes) -> pl.DataFrame:
    """UK-CAT's largest charities (`org_id, reg_number, name, company_number, active`): charities, with their
    company numbers as a second identifier (a charitable company paid by company number is the charity)."""
    frame = _strip_bom(_csv(data))
    _need(frame, ["org_id", "name"], "the UK-CAT top charities list")
    ids = pl.col("org_id").str.strip_chars().str.to_uppercase()
    active = pl.col("active").fill_null("True").str.to_lowercase() != "false" if "active" in frame.columns else pl.lit(True)
    main = frame.select(ref_id=ids, org_id=ids, canonical="name", name="name", org_type=pl.lit("charity"), kind=pl.lit("charity"),
                        source=pl.lit("ukcat_top_charities"), active=active)
    if "company_number" in frame.columns:
        number = pl.col("company_number").fill_null("").str.strip_chars().str.to_uppercase()
        companies = frame.filter(number != "").select(
            ref_id=ids, org_id=pl.concat_str(pl.lit("GB-COH-"), pl.when(number.str.contains(r"^\d+$")).then(number.str.zfill(8)).otherwise(number)),
            canonical="name", name="name", org_type=pl.lit("charity"), kind=pl.lit("charity"), source=pl.lit("ukcat_top_charities"), active=active,
        )
        main = pl.concat([main, companies])
    return _frame(main.filter(pl.col("ref_id").str.contains(r"^GB-(CHC|SC|NIC)-")))


# --------------------------------------------------------------------------------------- the list of lists

READERS: dict[str, Callable[[bytes], pl.DataFrame]] = {
    "govuk_organisations": govuk_organisations,
    "nhs_ods": nhs_ods,
    "ons_names_and_codes": ons_names_and_codes,
    "hesa_providers": hesa_providers,
    "gias_establishments": gias_establishments,
    "independent_schools": independent_schools,
    "university_charity_numbers": university_charity_numbers,
    "university_royal_charters": university_royal_charters,
    "academy_trusts": academy_trusts,
    "local_authorities": local_authorities,
    "combined_authorities": combined_authorities,
    "digital_land_organisations": digital_land_organisations,
    "registered_providers": registered_providers,
    "registered_provider_numbers": registered_provider_numbers,
    "top_charities": top_charities,
}


def read_parts(reader: str, parts: list[bytes]) -> pl.DataFrame:
    """Read every part of one list (the pages of a paged API, the members of a zip) with one reader."""
    frames = []
    for data in parts:
        if data[:2] == b"PK" and reader != "registered_providers":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                frames.extend(READERS[reader](zf.read(n)) for n in zf.namelist() if not n.endswith("/"))
        else:
            frames.append(READERS[reader](data))
    return pl.concat(frames) if frames else _frame([])
