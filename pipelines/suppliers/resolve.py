"""Resolve supplier names to real organisations: the matching cascade (metrics.md §8, §10; parsing.md §7-§8).

`resolve_suppliers(names, con)` takes one row per name occurrence (columns below) and returns the same rows, in
order, with `supplier_key`, `canonical_name`, `org_id`, `org_type`, `match_method`, `match_score` (plus the
normalisation columns). Equal `supplier_key` = same organisation. Keys are stable across runs: the org-id when
resolved (`GB-COH-01234567`, `GB-CHC-1053962`, `GB-LAE-DEV`), else built from the name key.

Cascade (the first step that decides a row wins; overrides are applied last and win over everything):

1. identifiers: company number (zero-padded: "123456" -> "00123456", "SC..." kept) or org-id from notices ->
   `company_number`; charity number -> `charity_number`.
2. redactions by whole phrases ("REDACTED UNDER DP ACT", "THIRD PARTY SUPPLIER"; blank = unlabelled redaction;
   "Redactive Publishing Ltd" is a company) -> `redacted`; people ("Mr J Smith", or creditor type INDV) ->
   `individual`. These run before name matching so that a person is never matched to a company's name.
3. public bodies: exact name against `reference.public_bodies`, then recognisers (councils, NHS, police, fire,
   HMRC and central government, schools and academies) -> `public_body`.
4. exact name keys against the registers' current names (`exact_name`), then previous names (`previous_name`);
   the trading-as name is tried after the legal name.
5. fuzzy: only the unresolved remainder, blocked on the first word of the key; rapidfuzz `ratio` on the keys (token-sorting reorders "DEVON HOME CARE" next to "CARS");
   accepted when the best score >= FUZZY_THRESHOLD and beats the runner-up (a different organisation) by
   >= FUZZY_MARGIN -> `fuzzy`.
6. council supplier ids: names sharing a (council, supplier id) inherit a resolved sibling's org-id
   (`council_supplier_id`) or at least share one key.
7. `overrides.csv` (accept | reject | force) -> `override`.

Without registers (con None or empty tables) steps 1-3 and 6-7 still run, so variants are grouped and typed from
names and identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.normalise.names import normalise_names
from pipelines.normalise.redaction import redaction_kind_expr
from pipelines.suppliers.registers import normalise_charity_number, normalise_company_number, normalise_postcode

OVERRIDES_CSV = Path(__file__).resolve().parent / "overrides.csv"

# Auto-accept band for fuzzy matches (metrics.md §8: centgovspend > 70 with a 10-point margin; AI DOGE >= 0.90 with
# a 0.05 lead). Register names are far more numerous than spend names, so we take the stricter end: many
# legitimately different companies differ by one word ("ABC CARE" / "ABC CARS").
FUZZY_THRESHOLD = 92.0
FUZZY_MARGIN = 4.0
# Caps the score matrix of one block (queries x candidates) to bound memory.
FUZZY_MAX_CELLS = 20_000_000
# A supplier id shared by more distinct names than this is a sundry/one-off payee id (Oxford "20000000").
SUPPLIER_ID_MAX_NAMES = 5

OPTIONAL_COLUMNS = (
    "council_gss",
    "supplier_id",
    "company_number",
    "charity_number",
    "vat_number",
    "postcode",
    "source",
    "creditor_type",
    "scale",
    "org_id",
)
OUTPUT_COLUMNS = ("supplier_key", "canonical_name", "org_id", "org_type", "match_method", "match_score")

_TITLE = r"^(MR|MRS|MS|MISS|MX|DR|REV|REVD|PROF|SIR|DAME|LADY|LORD)\b\.?\s+[A-Z]"
# Words that make a titled name a business ("DR SMITH AND PARTNERS", "MR FIX IT SERVICES").
_BUSINESS_WORDS = (
    r"\b(AND|SERVICES?|SURGERY|PRACTICE|PARTNERS|PARTNERSHIP|ASSOCIATES|CONSULT\w*|SOLUTIONS|GROUP|TRADING|"
    r"COMPANY|CO|LTD|LIMITED|PLC|LLP|CIC|TRUST|CENTRE|CLINIC|DENTAL|STORES?|SHOP|CARE|HOMES?|CLEANING|TAXIS?|CARS)\b"
)
_PUBLIC_RECOGNISERS: list[tuple[str, str]] = [
    # (kind, pattern on the cleaned name). Council words as spend files abbreviate them (Devon: "DST CNL").
    ("local_authority", r"\b(COUNTY|DISTRICT|DIST|DST|BOROUGH|BORO|CITY|TOWN|PARISH|METROPOLITAN|MET)\W+(COUNCIL|CNL|CNCL|CNCIL|COUN|COUNCL)\b"
     r"|^(LONDON|ROYAL) BOROUGH OF\b|^(COUNCIL OF THE|CITY OF) .*\bCOUNCIL\b|\bCOMBINED AUTHORITY\b|\bGREATER LONDON AUTHORITY\b"
     # councils named after their place alone ("CORNWALL COUNCIL", "NORTH SOMERSET COUNCIL"): one place word,
     # so charities such as "FIELD STUDIES COUNCIL" and anything with a legal form are not caught
     r"|^((NORTH|SOUTH|EAST|WEST|MID|CENTRAL) )?[A-Z][A-Z'-]* COUNCIL$"),
    ("nhs", r"\bNHS\b|\bCLINICAL COMMISSIONING GROUP\b|\bCCG\b|\bINTEGRATED CARE BOARD\b|\bAMBULANCE SERVICE\b|\bHEALTH AUTHORITY\b"),
    ("police", r"\bCONSTABULARY\b|\bPOLICE\W+(AND|&)\W+CRIME\W+COMMISSIONER\b|\bPOLICE (AUTHORITY|FORCE|SERVICE)\b|^PCC\b|\bPOLICE$|\bCHIEF CONSTABLE\b"),
    ("fire", r"\bFIRE\W+(AND|&)\W+RESCUE\b|\bFIRE (AUTHORITY|SERVICE|BRIGADE)\b"),
    ("central_government", r"^HMRC\b|\bH\W?M\W? REVENUE\b|\bREVENUE\W+(AND|&)\W+CUSTOMS\b|\bINLAND REVENUE\b|^HM COURTS?\b|^HMCTS\b"
     r"|^DEPARTMENT (FOR|OF)\b|^MINISTRY OF\b|^CABINET OFFICE$|^HOME OFFICE$|\bDVLA\b|^ENVIRONMENT AGENCY$|^HM LAND REGISTRY$"),
    ("school", r"\b(PRIMARY|INFANTS?|JUNIOR|FIRST|MIDDLE|SECONDARY|COMMUNITY|C OF E|CE|RC|CATHOLIC|NURSERY|SPECIAL) SCHOOLS?\b"
     r"|\bACADEMY TRUST\b|\bMULTI\W?ACADEMY\b|\bACADEMIES\b|\bACAD(EMY|MY)?\b|\bSCHOOLS? FEDERATION\b|\bFEDERATION OF SCHOOLS\b"
     r"|\bSCHL\b|\bPRIM(ARY)?$"),
]
# Public-body names are written with abbreviations; expand them on both sides before the exact join.
_PUBLIC_ABBREVIATIONS = [
    (r"\bDIST\b|\bDST\b", "DISTRICT"),
    (r"\bCNL\b|\bCNCL\b|\bCNCIL\b|\bCOUN\b|\bCOUNCL\b", "COUNCIL"),
    (r"\bBORO\b", "BOROUGH"),
    (r"\bMET\b", "METROPOLITAN"),
    (r"\bCC\b$", "COUNTY COUNCIL"),
]


@dataclass(frozen=True)
class Registers:
    """The register columns the cascade needs, as Polars frames (empty when no warehouse is given)."""

    companies: pl.DataFrame
    charities: pl.DataFrame
    public_bodies: pl.DataFrame

    @classmethod
    def empty(cls) -> "Registers":
        return cls(
            companies=pl.DataFrame(schema={"company_number": pl.String, "name": pl.String, "name_key": pl.String, "previous_name_keys": pl.List(pl.String), "category": pl.String}),
            charities=pl.DataFrame(schema={"charity_number": pl.String, "name": pl.String, "name_key": pl.String, "company_number": pl.String}),
            public_bodies=pl.DataFrame(schema={"org_id": pl.String, "name": pl.String, "name_key": pl.String, "kind": pl.String, "gss": pl.String}),
        )

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection | None) -> "Registers":
        if con is None:
            return cls.empty()
        empty = cls.empty()
        frames = {}
        for table, frame in (("companies", empty.companies), ("charities", empty.charities), ("public_bodies", empty.public_bodies)):
            try:
                cols = ", ".join(frame.columns)
                frames[table] = con.sql(f"select {cols} from reference.{table}").pl()  # noqa: S608 - fixed names
            except duckdb.Error:
                frames[table] = frame
        return cls(**frames)


def _register_org_id_for_charity(charity_number: pl.Expr) -> pl.Expr:
    return pl.when(charity_number.str.starts_with("NIC")).then(
        pl.concat_str(pl.lit("GB-NIC-"), charity_number.str.slice(3))
    ).otherwise(pl.concat_str(pl.lit("GB-CHC-"), charity_number))


def _prepare(names: pl.DataFrame) -> pl.DataFrame:
    if "name" not in names.columns:
        raise ValueError("the input needs a `name` column")
    df = names.with_row_index("_row")
    for col in OPTIONAL_COLUMNS:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    df = normalise_names(df, "name")
    given_org = pl.col("org_id").cast(pl.String).str.strip_chars().str.to_uppercase()
    company = pl.coalesce(
        normalise_company_number(pl.col("company_number")),
        pl.when(given_org.str.starts_with("GB-COH-")).then(normalise_company_number(given_org.str.slice(7))),
    )
    charity = pl.coalesce(
        normalise_charity_number(pl.col("charity_number")),
        pl.when(given_org.str.starts_with("GB-CHC-")).then(normalise_charity_number(given_org.str.slice(7))),
    )
    return df.with_columns(
        _company_number=company,
        _charity_number=charity,
        _creditor_type=pl.col("creditor_type").cast(pl.String).str.strip_chars().str.to_uppercase(),
        _postcode=normalise_postcode(pl.col("postcode")),
        _supplier_id=pl.col("supplier_id").cast(pl.String).str.strip_chars().replace("", None),
        _council=pl.col("council_gss").cast(pl.String).str.strip_chars().replace("", None),
        org_id=pl.lit(None, dtype=pl.String),
        _register_name=pl.lit(None, dtype=pl.String),
        org_type=pl.lit(None, dtype=pl.String),
        match_method=pl.lit(None, dtype=pl.String),
        match_score=pl.lit(None, dtype=pl.Float64),
        _special_key=pl.lit(None, dtype=pl.String),
        _public_kind=pl.lit(None, dtype=pl.String),
        _given_org_id=given_org,
    )


def _decide(df: pl.DataFrame, when: pl.Expr, **values: pl.Expr) -> pl.DataFrame:
    """Fill the given columns on undecided rows (match_method null) where `when` holds."""
    open_rows = pl.col("match_method").is_null() & when.fill_null(False)
    return df.with_columns(
        [pl.when(open_rows).then(expr).otherwise(pl.col(name)).alias(name) for name, expr in values.items()]
    )


def _unique_lookup(frame: pl.DataFrame, key: str, value: str, name: str) -> pl.DataFrame:
    """key -> value only where the key names exactly one organisation (ambiguous keys never auto-match)."""
    frame = frame.filter(pl.col(key).is_not_null() & (pl.col(key) != "")).unique([key, value])
    counts = frame.group_by(key).agg(pl.len().alias("_n"), pl.col(value).first(), pl.col(name).first())
    return counts.filter(pl.col("_n") == 1).drop("_n")


def _public_key(expr: pl.Expr) -> pl.Expr:
    for pattern, replacement in _PUBLIC_ABBREVIATIONS:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def _step_identifiers(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    companies = reg.companies.select("company_number", pl.col("name").alias("_ch_name"))
    df = df.join(companies, left_on="_company_number", right_on="company_number", how="left")
    df = _decide(
        df,
        pl.col("_company_number").is_not_null(),
        org_id=pl.concat_str(pl.lit("GB-COH-"), pl.col("_company_number")),
        _register_name=pl.col("_ch_name"),
        match_method=pl.lit("company_number"),
        match_score=pl.lit(1.0),
    ).drop("_ch_name")
    charities = reg.charities.select("charity_number", pl.col("name").alias("_cc_name"))
    df = df.join(charities, left_on="_charity_number", right_on="charity_number", how="left")
    df = _decide(
        df,
        pl.col("_charity_number").is_not_null(),
        org_id=_register_org_id_for_charity(pl.col("_charity_number")),
        _register_name=pl.col("_cc_name"),
        match_method=pl.lit("charity_number"),
        match_score=pl.lit(1.0),
    ).drop("_cc_name")
    return df


def _step_other_scheme_ids(df: pl.DataFrame) -> pl.DataFrame:
    """Other scheme ids from notices (GB-PPON-..., GB-NHS-...) identify what the registers could not: they
    come after the name steps, so a charity winning on Find a Tender with a PPON stays its GB-CHC self."""
    other_id = pl.col("_given_org_id").str.contains(r"^[A-Z]{2}-[A-Z]{2,5}-\S+$")
    return _decide(df, other_id, org_id=pl.col("_given_org_id"), match_method=pl.lit("identifier"), match_score=pl.lit(1.0))


def _step_redacted_and_individuals(df: pl.DataFrame) -> pl.DataFrame:
    clean = pl.col("name_clean")
    # the shared whole-phrase rules (pipelines.normalise.redaction), exactly as staging labels the lines
    kind = redaction_kind_expr(pl.col("name"))
    redacted_kind = (
        pl.when(kind == "unlabelled_blank").then(pl.lit("blank"))
        .when(kind == "commercial").then(pl.lit("commercial"))
        .when(kind == "personal").then(pl.lit("personal"))
    )
    df = df.with_columns(_redacted_kind=redacted_kind)
    df = _decide(
        df,
        pl.col("_redacted_kind").is_not_null(),
        org_type=pl.lit("redacted"),
        match_method=pl.lit("redacted"),
        match_score=pl.lit(1.0),
        _special_key=pl.concat_str(pl.lit("redacted:"), pl.col("_redacted_kind")),
    )
    titled = clean.str.contains(_TITLE) & ~clean.str.contains(_BUSINESS_WORDS) & (clean.str.count_matches(" ") <= 4)
    by_creditor_type = pl.col("_creditor_type").is_in(["INDV", "INDIVIDUAL"])
    person = (titled | by_creditor_type) & pl.col("legal_form").is_null()
    return _decide(
        df,
        person,
        org_type=pl.lit("individual"),
        match_method=pl.lit("individual"),
        match_score=pl.lit(1.0),
        # A person is only "the same" within one council: names like "MRS A JONES" recur across the country.
        _special_key=pl.concat_str(pl.lit("individual:"), pl.col("_council").fill_null(""), pl.lit(":"), pl.col("name_key")),
    )


def _step_public_bodies(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    bodies = reg.public_bodies.with_columns(_pkey=_public_key(pl.col("name_key")))
    lookup = _unique_lookup(bodies, "_pkey", "org_id", "name").rename({"org_id": "_pb_org", "name": "_pb_name"})
    df = df.with_columns(_pkey=_public_key(pl.col("name_key"))).join(lookup, on="_pkey", how="left")
    df = _decide(
        df,
        pl.col("_pb_org").is_not_null(),
        org_id=pl.col("_pb_org"),
        _register_name=pl.col("_pb_name"),
        org_type=pl.lit("public_body"),
        match_method=pl.lit("public_body"),
        match_score=pl.lit(1.0),
    ).drop("_pb_org", "_pb_name")
    kind = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(_PUBLIC_RECOGNISERS):
        # The key catches spaced initials ("H M R C"), the cleaned name catches bracketed words.
        hit = pl.col("name_clean").str.contains(pattern) | pl.col("name_key").str.contains(pattern)
        kind = pl.when(hit).then(pl.lit(name)).otherwise(kind)
    # A limited company named after a public service ("NHS PROFESSIONALS LTD") is a company; academy trusts
    # are public bodies even though they are registered companies.
    academy_trust = pl.col("name_clean").str.contains(r"\bACADEMY TRUST\b|\bACADEMIES\b")
    kind = pl.when(pl.col("legal_form").is_null() | ((kind == "school") & academy_trust)).then(kind)
    df = df.with_columns(_public_kind=kind)
    return _decide(
        df,
        pl.col("_public_kind").is_not_null(),
        org_type=pl.lit("public_body"),
        match_method=pl.lit("public_body"),
        match_score=pl.lit(1.0),
        _special_key=pl.concat_str(pl.lit("public:"), pl.col("_pkey")),
    ).drop("_pkey")


def _name_lookups(reg: Registers) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(current-name lookup, previous-name lookup): key -> org_id, register name; unique keys only."""
    current = pl.concat(
        [
            reg.companies.select(key="name_key", org_id=pl.concat_str(pl.lit("GB-COH-"), "company_number"), reg_name="name"),
            reg.charities.select(key="name_key", org_id=_register_org_id_for_charity(pl.col("charity_number")), reg_name="name"),
        ]
    )
    previous = reg.companies.select(
        key=pl.col("previous_name_keys"), org_id=pl.concat_str(pl.lit("GB-COH-"), "company_number"), reg_name="name"
    ).explode("key")
    previous = previous.filter(~pl.col("key").is_in(current["key"].implode()))
    return _unique_lookup(current, "key", "org_id", "reg_name"), _unique_lookup(previous, "key", "org_id", "reg_name")


def _step_exact_names(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    current, previous = _name_lookups(reg)
    # Names the input itself identified (a company number on another line) count as register names too.
    identified = df.filter(pl.col("match_method").is_in(["company_number", "charity_number"])).select(
        key="name_key", org_id="org_id", reg_name=pl.coalesce("_register_name", "name_clean")
    )
    identified = _unique_lookup(identified, "key", "org_id", "reg_name")
    current = pl.concat([current, identified.filter(~pl.col("key").is_in(current["key"].implode()))])
    for lookup, method in ((current, "exact_name"), (previous, "previous_name")):
        for key_col in ("name_key", "alias_key"):
            joined = df.join(lookup.rename({"key": key_col, "org_id": "_x_org", "reg_name": "_x_name"}), on=key_col, how="left")
            df = _decide(
                joined,
                pl.col("_x_org").is_not_null(),
                org_id=pl.col("_x_org"),
                _register_name=pl.col("_x_name"),
                match_method=pl.lit(method),
                match_score=pl.lit(1.0),
            ).drop("_x_org", "_x_name")
    return df


def fuzzy_candidates(queries: list[str], choices: pl.DataFrame) -> pl.DataFrame:
    """Best register match per query key, blocked on the first word; returns key, org_id, reg_name, score.

    `choices` has columns key, org_id, reg_name. A query is accepted only if its best score >= FUZZY_THRESHOLD
    and the best score of any *other* organisation is at least FUZZY_MARGIN lower.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    empty = pl.DataFrame(schema={"key": pl.String, "org_id": pl.String, "reg_name": pl.String, "score": pl.Float64})
    if not queries or choices.is_empty():
        return empty
    q = pl.DataFrame({"key": queries}).with_columns(block=pl.col("key").str.extract(r"^(\S+)", 1))
    c = choices.unique(["key", "org_id"]).with_columns(block=pl.col("key").str.extract(r"^(\S+)", 1))
    c = c.filter(pl.col("block").is_in(q["block"].unique().implode()))
    c_blocks = c.partition_by("block", as_dict=True)
    accepted: list[dict] = []
    for (block,), q_block in q.partition_by("block", as_dict=True).items():
        cands = c_blocks.get((block,))
        if cands is None:
            continue
        c_keys = cands["key"].to_list()
        c_orgs = cands["org_id"].to_list()
        c_names = cands["reg_name"].to_list()
        q_keys = q_block["key"].to_list()
        step = max(1, FUZZY_MAX_CELLS // max(1, len(c_keys)))
        for start in range(0, len(q_keys), step):
            chunk = q_keys[start : start + step]
            scores = process.cdist(chunk, c_keys, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
            best = scores.argmax(axis=1)
            for i, j in enumerate(best):
                top = float(scores[i, j])
                if top < FUZZY_THRESHOLD:
                    continue
                row = scores[i]
                others = row[[k for k in np.flatnonzero(row >= top - FUZZY_MARGIN) if c_orgs[k] != c_orgs[j]]]
                if others.size:
                    continue
                accepted.append({"key": chunk[i], "org_id": c_orgs[j], "reg_name": c_names[j], "score": top / 100.0})
    return pl.DataFrame(accepted, schema=empty.schema) if accepted else empty


def _step_fuzzy(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    open_keys = (
        df.filter(pl.col("match_method").is_null() & (pl.col("name_key").str.len_chars() >= 4))
        .get_column("name_key")
        .unique()
        .to_list()
    )
    choices = pl.concat(
        [
            reg.companies.select(key="name_key", org_id=pl.concat_str(pl.lit("GB-COH-"), "company_number"), reg_name="name"),
            reg.charities.select(key="name_key", org_id=_register_org_id_for_charity(pl.col("charity_number")), reg_name="name"),
        ]
    ).filter(pl.col("key").is_not_null())
    found = fuzzy_candidates(open_keys, choices).rename({"key": "name_key", "org_id": "_f_org", "reg_name": "_f_name", "score": "_f_score"})
    df = df.join(found, on="name_key", how="left")
    return _decide(
        df,
        pl.col("_f_org").is_not_null(),
        org_id=pl.col("_f_org"),
        _register_name=pl.col("_f_name"),
        match_method=pl.lit("fuzzy"),
        match_score=pl.col("_f_score"),
    ).drop("_f_org", "_f_name", "_f_score")


def _step_supplier_ids(df: pl.DataFrame) -> pl.DataFrame:
    """Within one council, names under the same supplier id are one supplier (unless the id is a sundry id)."""
    has_id = pl.col("_supplier_id").is_not_null() & pl.col("_council").is_not_null() & (pl.col("org_type").fill_null("") != "redacted")
    groups = (
        df.filter(has_id)
        .group_by("_council", "_supplier_id")
        .agg(
            _id_names=pl.col("name_key").n_unique(),
            _id_orgs=pl.col("org_id").drop_nulls().unique(),
            _id_min_key=pl.col("name_key").min(),
            _id_reg_name=pl.col("_register_name").drop_nulls().first(),
        )
        .filter(pl.col("_id_names") <= SUPPLIER_ID_MAX_NAMES)
        .with_columns(
            _id_org=pl.when(pl.col("_id_orgs").list.len() == 1).then(pl.col("_id_orgs").list.first()),
        )
        .drop("_id_orgs")
    )
    df = df.join(groups, on=["_council", "_supplier_id"], how="left")
    df = _decide(
        df,
        pl.col("_id_org").is_not_null(),
        org_id=pl.col("_id_org"),
        _register_name=pl.col("_id_reg_name"),
        match_method=pl.lit("council_supplier_id"),
        match_score=pl.lit(0.9),
    )
    # Unresolved siblings still share one key: the smallest name key of the id's names.
    return _decide(
        df,
        pl.col("_id_min_key").is_not_null() & (pl.col("_id_names") > 1),
        _special_key=pl.concat_str(pl.lit("name:"), pl.col("_id_min_key")),
        match_method=pl.lit("council_supplier_id"),
        match_score=pl.lit(0.0),
    ).drop("_id_names", "_id_min_key", "_id_reg_name", "_id_org")


def read_overrides(path: Path | str | None = None) -> pl.DataFrame:
    """The human review decisions: name_key or name, council_gss (optional), action, org_id, note."""
    path = Path(path) if path else OVERRIDES_CSV
    schema = {"name_key": pl.String, "name": pl.String, "council_gss": pl.String, "action": pl.String, "org_id": pl.String, "note": pl.String}
    if not path.is_file():
        return pl.DataFrame(schema=schema)
    raw = pl.read_csv(path, infer_schema=False, comment_prefix="#")
    for col in schema:
        if col not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    raw = raw.select(list(schema))
    # An explicit name_key wins; otherwise the raw name is normalised exactly as spend names are.
    from_name = normalise_names(raw.select(name=pl.col("name").fill_null("")), "name")["name_key"]
    key = pl.coalesce(
        pl.col("name_key").str.strip_chars().str.to_uppercase().replace("", None),
        pl.when(pl.col("_from_name") != "").then(pl.col("_from_name")),
    )
    raw = raw.with_columns(_from_name=from_name).with_columns(name_key=key).drop("_from_name")
    return raw.with_columns(
        council_gss=pl.col("council_gss").str.strip_chars().replace("", None),
        action=pl.col("action").str.strip_chars().str.to_lowercase(),
        org_id=pl.col("org_id").str.strip_chars().str.to_uppercase().replace("", None),
    ).filter(pl.col("name_key").is_not_null() & pl.col("action").is_in(["accept", "reject", "force"]))


def _step_overrides(df: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(reviewed=pl.lit(False))
    if overrides.is_empty():
        return df
    # A council-specific decision beats a national one for the same name.
    specific = overrides.filter(pl.col("council_gss").is_not_null()).unique(["name_key", "council_gss"], keep="last")
    general = overrides.filter(pl.col("council_gss").is_null()).unique("name_key", keep="last").drop("council_gss")
    cols = {"action": "_o_action", "org_id": "_o_org"}
    df = df.join(specific.select("name_key", "council_gss", *cols).rename(cols | {"council_gss": "_council"}), on=["name_key", "_council"], how="left")
    df = df.join(general.select("name_key", *cols).rename({k: v + "_g" for k, v in cols.items()}), on="name_key", how="left")
    action = pl.coalesce("_o_action", "_o_action_g")
    forced_org = pl.coalesce("_o_org", "_o_org_g")
    df = df.with_columns(_o=action, _o_forced=forced_org)
    force = pl.col("_o") == "force"
    reject = pl.col("_o") == "reject"
    accept = pl.col("_o") == "accept"
    return df.with_columns(
        org_id=pl.when(force).then(pl.col("_o_forced")).when(reject).then(None).otherwise(pl.col("org_id")),
        _register_name=pl.when(force | reject).then(None).otherwise(pl.col("_register_name")),
        match_method=pl.when(force | reject).then(pl.lit("override")).otherwise(pl.col("match_method")),
        match_score=pl.when(force | (accept & pl.col("org_id").is_not_null())).then(pl.lit(1.0)).when(reject).then(pl.lit(0.0)).otherwise(pl.col("match_score")),
        org_type=pl.when(force | reject).then(None).otherwise(pl.col("org_type")),
        _special_key=pl.when(force | reject).then(None).otherwise(pl.col("_special_key")),
        reviewed=pl.col("_o").is_not_null(),
    ).drop("_o_action", "_o_org", "_o_action_g", "_o_org_g", "_o", "_o_forced")


def _canonical_org_ids(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    """A charitable company is one organisation: its GB-COH id is replaced by its charity's GB-CHC id."""
    link = _unique_lookup(
        reg.charities.filter(pl.col("company_number").is_not_null()).select(
            "company_number", org=_register_org_id_for_charity(pl.col("charity_number")), name="name"
        ),
        "company_number",
        "org",
        "name",
    ).select(_coh=pl.concat_str(pl.lit("GB-COH-"), "company_number"), _chc="org")
    if link.is_empty():
        return df
    return df.join(link, left_on="org_id", right_on="_coh", how="left").with_columns(
        org_id=pl.coalesce("_chc", "org_id")
    ).drop("_chc")


def _org_types(df: pl.DataFrame, reg: Registers) -> pl.DataFrame:
    categories = reg.companies.select(_cat_org=pl.concat_str(pl.lit("GB-COH-"), "company_number"), _category="category")
    academies = reg.public_bodies.filter(pl.col("kind") == "academy_trust").select(_ac_org="org_id", _is_public=pl.lit(True))
    df = df.join(categories, left_on="org_id", right_on="_cat_org", how="left").join(academies, left_on="org_id", right_on="_ac_org", how="left")
    org = pl.col("org_id").fill_null("")
    category = pl.col("_category").fill_null("").str.to_lowercase()
    ct = pl.col("_creditor_type").fill_null("")
    derived = (
        pl.when(pl.col("_is_public").fill_null(False) | org.str.contains(r"^GB-(LAE|LAS|LANI|PLA|GOR|NHS)-"))
        .then(pl.lit("public_body"))
        .when(org.str.contains(r"^GB-(CHC|NIC|SC)-") | category.str.contains("charitable incorporated"))
        .then(pl.lit("charity"))
        .when(category.str.contains("community interest") | (pl.col("legal_form") == "CIC"))
        .then(pl.lit("cic"))
        .when(org.str.starts_with("GB-COH-") | pl.col("legal_form").is_in(["LTD", "PLC", "LLP"]))
        .then(pl.lit("company"))
        .when(pl.col("legal_form") == "CIO")
        .then(pl.lit("charity"))
        # Council creditor-type codes (Devon) when the name says nothing.
        .when(ct.is_in(["LTD", "PLC"]))
        .then(pl.lit("company"))
        .when(ct.is_in(["CHTY", "CHARITY"]))
        .then(pl.lit("charity"))
        .when(ct == "CIC")
        .then(pl.lit("cic"))
        .when(ct.is_in(["WGA"]))
        .then(pl.lit("public_body"))
        .otherwise(pl.lit("other"))
    )
    return df.with_columns(org_type=pl.coalesce("org_type", derived)).drop("_category", "_is_public")


def resolve_suppliers(
    names: pl.DataFrame,
    con: duckdb.DuckDBPyConnection | None = None,
    overrides: pl.DataFrame | Path | str | None = None,
) -> pl.DataFrame:
    """Run the cascade over `names` (see the module docstring); rows keep their order.

    `overrides` defaults to the committed `pipelines/suppliers/overrides.csv`; pass an empty frame to disable.
    """
    registers = Registers.from_warehouse(con)
    if overrides is None or isinstance(overrides, (str, Path)):
        overrides = read_overrides(overrides)
    df = _prepare(names)
    df = _step_identifiers(df, registers)
    df = _step_redacted_and_individuals(df)
    df = _step_public_bodies(df, registers)
    df = _step_exact_names(df, registers)
    df = _step_fuzzy(df, registers)
    df = _step_other_scheme_ids(df)
    df = _step_supplier_ids(df)
    df = _step_overrides(df, overrides)
    df = _canonical_org_ids(df, registers)
    df = _org_types(df, registers)
    df = df.with_columns(
        match_method=pl.col("match_method").fill_null("unresolved"),
        match_score=pl.col("match_score").fill_null(0.0),
        supplier_key=pl.coalesce(
            pl.col("org_id"),
            pl.col("_special_key"),
            pl.concat_str(pl.lit("name:"), pl.col("name_key")),
        ),
    )
    # Canonical name: the register's name when resolved, else the most common spelling within the key.
    spelling = (
        df.filter(pl.col("name_clean") != "")
        .group_by("supplier_key", "name_clean")
        .agg(pl.len().alias("_n"))
        .sort(["supplier_key", "_n", "name_clean"], descending=[False, True, False])
        .unique("supplier_key", keep="first")
        .select("supplier_key", _common="name_clean")
    )
    register_name = df.filter(pl.col("_register_name").is_not_null()).group_by("supplier_key").agg(_reg=pl.col("_register_name").first())
    df = df.join(spelling, on="supplier_key", how="left").join(register_name, on="supplier_key", how="left")
    redacted_label = pl.when(pl.col("supplier_key") == "redacted:blank").then(pl.lit("(blank)")).otherwise(pl.lit("(redacted)"))
    df = df.with_columns(
        canonical_name=pl.when(pl.col("org_type") == "redacted").then(redacted_label).otherwise(pl.coalesce("_reg", "_common", pl.col("name_key"))),
        org_id=pl.col("org_id").fill_null(""),
    )
    df = df.sort("_row").drop("_common", "_reg")
    internal = [c for c in df.columns if c.startswith("_") and c not in ("_company_number", "_charity_number", "_postcode", "_public_kind", "_redacted_kind")]
    return df.drop(internal).rename(
        {"_company_number": "company_number_norm", "_charity_number": "charity_number_norm", "_postcode": "postcode_norm", "_public_kind": "public_kind", "_redacted_kind": "redacted_kind"}
    )
