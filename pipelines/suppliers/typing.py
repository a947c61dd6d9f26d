"""Supplier types: the vocabulary of types, the evidence each identifier and register gives, and the
name-evidence step of the cascade (after identifiers and registers, before the prior).

Types: `company`, `charity`, `cic`, `public_body`, `individual`, `redacted`, `other` (a real type: sundry and
refund accounts, clubs, trade bodies) and `unknown` (no evidence at all). Every typed row carries a basis (what
decided it) and a confidence in 0..1; a heuristic never overrides an identifier or a register match.

Name evidence, strongest first (pipelines.normalise.vocabulary holds the words):
1. generic labels for payments to people ("FOSTER CARE - BACS") -> individual; the councils and bodies of the
   church ("X PCC", a parochial church council, unless X is a police force area: resolve.police_areas;
   "DIOCESAN", "PARISH CHURCH") -> charity, before any public word;
2. legal forms PLC and LLP -> company; CIC -> cic; CIO/SCIO -> charity;
3. public-sector names (councils of every tier, NHS, police, fire, departments, schools, academy trusts,
   universities, pension funds) -> public_body, unless a legal form says company ("NHS PROFESSIONALS LTD");
   academy trusts are public bodies although they are companies;
4. a listed charity's name followed only by place and branch words ("L'ARCHE PRESTON"; resolve.charity_stems)
   -> charity, without a legal form; charity and voluntary-sector names (trust, foundation, church, hospice,
   housing association, scouts, "Friends of") -> charity, a "Ltd" notwithstanding (charitable companies), but
   not a society, institute or association of an occupation or a pastime ("PLANNING OFFICERS SOCIETY": step 6)
   nor a co-operative or rights society ("PERFORMING RIGHT SOCIETY LTD": its legal form);
5. LTD (including truncated "LIMI") -> company; then weaker charity words (causes and local branches of
   national networks: "HOME-START", "MIND IN", refugees, autism, "... ASSOCIATION"), without a legal form and
   yielding to club and trade-body words ("MEETINGS INDUSTRY ASSOCIATION" is `other`);
6. clubs, trade bodies and ledger entries (refunds, sundries, petty cash) -> other;
7. person-name shapes (initials + surname, forename + surname) and sole traders ("J SMITH T/A SMITH
   PLUMBING") -> individual;
8. weak public words (a college, an agency, an authority) -> public_body;
9. card-merchant strings ("AMAZON*", "WWW.", ".CO.UK") -> company;
10. the prior: a name that reads as an organisation's is most often a company (low confidence); a name with
    no letters to read (codes, numbers) is `unknown`.
"""

from __future__ import annotations

import polars as pl

from pipelines.normalise.people import person_shape
from pipelines.normalise.vocabulary import (
    BUSINESS_SOCIETY,
    CHARITY_BEFORE_FORM,
    CHARITY_FIRST,
    CHARITY_STRONG,
    CHARITY_WEAK,
    NOT_OTHER,
    OTHER,
    PAROCHIAL_PCC,
    PEOPLE_LABELS,
    POLICE_WORDS,
    PUBLIC_STRONG,
    PUBLIC_WEAK,
    TRADE_BODIES,
)

ORG_TYPES = ("company", "charity", "cic", "public_body", "individual", "redacted", "other", "unknown")

# confidence of each basis of the cascade (register and identifier bases are set where they are decided)
CONFIDENCE = {
    "identifier": 0.99, "register": 0.95, "reference": 0.95, "creditor_type": 0.85, "legal_form": 0.9,
    "people_label": 0.7, "public_vocabulary": 0.9, "charity_vocabulary": 0.75, "charity_name_stem": 0.8, "other_vocabulary": 0.7,
    "person_title": 0.9, "person_counsel": 0.85, "person_initials": 0.75, "person_forename": 0.7, "sole_trader": 0.75,
    "public_weak_vocabulary": 0.6, "merchant": 0.6, "prior": 0.4, "none": 0.0,
}

# org-id schemes -> the type an identifier of that scheme gives when no list says otherwise
SCHEME_TYPES = {
    "GB-COH": "company", "GB-CHC": "charity", "GB-SC": "charity", "GB-NIC": "charity", "GB-EDU": "public_body",
    "GB-UKPRN": "public_body", "GB-NHS": "public_body", "GB-GOR": "public_body", "GB-LAE": "public_body",
    "GB-LAS": "public_body", "GB-LANI": "public_body", "GB-PLA": "public_body", "GB-SHPE": "charity", "GB-MPR": "company",
}

# A council's own creditor codes (Devon) and the long text some ERPs write ("DCC Business Entities (Sole Trade,
# Partnership, Ltd)"), as type evidence. SOLE and business codes only say "a business": the name decides
# whether it is a person.
# Only a council's own payee-type codes count, never a spend category that happens to sit in the same column
# (Lancashire Fire's "Supplier Classification" says "Government" for a company selling to government;
# parsing.md §7.2): whole-cell codes and the few long texts that name a legal form.
CREDITOR_TYPES = [
    (r"^(LTD|PLC|LLP|BUSN|B|COMPANY|BUSINESS)$|^DCC BUSINESS ENTIT|^LIMITED COMPANY$", "company"),
    (r"^(CHTY|CHARITY|CHU|CHURCH|VOL|VCS|VCSE|CHARITIES)$", "charity"),
    (r"^(CIC|COMMUNITY INTEREST COMPANY)$", "cic"),
    (r"^(INDV|INDIVIDUAL|INDIVIDUALS|EMP|EMPLOYEE|FOSTER|FC)$", "individual"),
    (r"^(WGA|EDUC|PRSH|PARISH|GOV|NHS|SCHOOL|ACADEMY|LOCAL AUTHORITY|PUBLIC BODY)$", "public_body"),
]


def scheme_type(org_id: pl.Expr) -> pl.Expr:
    scheme = org_id.str.extract(r"^(GB-[A-Z]+)-", 1)
    out = pl.lit(None, dtype=pl.String)
    for prefix, kind in SCHEME_TYPES.items():
        out = pl.when(scheme == prefix).then(pl.lit(kind)).otherwise(out)
    return out


def creditor_type(code: pl.Expr) -> pl.Expr:
    text = code.cast(pl.String).str.strip_chars().str.to_uppercase().fill_null("")
    out = pl.lit(None, dtype=pl.String)
    for pattern, kind in reversed(CREDITOR_TYPES):
        out = pl.when(text.str.contains(pattern)).then(pl.lit(kind)).otherwise(out)
    return out


def _any(patterns: list[str], words: pl.Expr) -> pl.Expr:
    """One regex pass: the alternation of the patterns."""
    return words.str.contains("|".join(f"(?:{p})" for p in patterns))


def name_evidence(df: pl.DataFrame) -> pl.DataFrame:
    """Add `_ne_type`, `_ne_basis` for every row from its name alone (see the module docstring).

    Needs `name_clean`, `legal_name`, `legal_form`, `alias_key` (normalise_names) and `_creditor_type`.
    """
    from pipelines.normalise.names import words

    c = pl.col
    lf = df.lazy().with_columns(
        # vocabulary: initials joined, abbreviations folded (normalise_names already made them)
        _kw=c("name_words") if "name_words" in df.columns else words(c("name_clean")),
        _uw=words(c("name_clean"), join_initials=False),               # vocabulary again, initials apart ("C OF E P SCHL")
    )
    if "_pwords" not in df.columns:
        lf = lf.with_columns(_pwords=words(c("legal_name").fill_null(""), join_initials=False))  # person shapes
    lf = lf.with_columns(
        _people_label=_any(PEOPLE_LABELS, c("_kw")) | _any(PEOPLE_LABELS, c("_pwords")),
        _public=_any(PUBLIC_STRONG, c("_kw")) | _any(PUBLIC_STRONG, c("_uw")),
        _public_weak=_any(PUBLIC_WEAK, c("_kw")),
        _charity_first=_any(CHARITY_FIRST, c("_kw")),
        # a charitable company names itself a trust, foundation or society before its "Ltd" ("KENWARD TRUST LTD")
        _charity=(_any(CHARITY_STRONG, c("_kw")) | c("name_key").fill_null("").str.contains(CHARITY_BEFORE_FORM))
        # a society of an occupation or a pastime is a membership body; a co-operative (but a housing one) or a
        # rights society is a business: neither is a charity by its SOCIETY, INSTITUTE or ASSOCIATION
        & ~_any(TRADE_BODIES, c("_kw"))
        & ~(c("_kw").str.contains(BUSINESS_SOCIETY) & ~c("_kw").str.contains(r"\bHOUSING\b")),
        _charity_weak=_any(CHARITY_WEAK, c("_kw")),
        _other=_any(OTHER, c("_kw")) & ~c("_kw").str.contains(NOT_OTHER),
        _academy=c("_kw").str.contains(r"\bACADEMY TRUST\b|\bMULTI ACADEMY\b|\bSCHOOLS TRUST\b|\bLEARNING TRUST\b|\bEDUCATION TRUST\b"),
        _person=c("_pshape") if "_pshape" in df.columns else person_shape(c("_pwords")),
        # card-merchant strings: "AMAZON* NW9K80K24", "PAYPAL *SHORTFILMCO", "WWW.BALLICOM.CO.UK"
        _merchant=c("name_clean").str.contains(r"^\S+ ?\*\s?[A-Z0-9]|^WWW\.|\.(CO\.UK|COM|ORG|NET|UK)\b"),
        _letters=c("name_clean").str.count_matches(r"[A-Z]"),
        _creditor=creditor_type(c("_creditor_type")),
        _stem_charity=c("_stem_charity") if "_stem_charity" in df.columns else pl.lit(False),
        _police_area=c("_police_area") if "_police_area" in df.columns else pl.lit(False),
    )
    lf = lf.with_columns(
        _church_pcc=c("_kw").str.contains(PAROCHIAL_PCC) & ~c("_kw").str.contains(POLICE_WORDS)
        & ~c("_police_area"),
    )
    form = c("legal_form")
    # a sole trader: a person's name trading as a business ("MR M NAIEM T/A SCHOOL TRANSPORT SOL")
    sole_trader = c("alias_key").is_not_null() & c("_person").is_not_null()
    decisions: list[tuple[pl.Expr, str, str]] = [
        (c("_people_label"), "individual", "people_label"),
        (c("_charity_first") | c("_church_pcc"), "charity", "charity_vocabulary"),
        (form.is_in(["PLC", "LLP"]), "company", "legal_form"),
        (form == "CIC", "cic", "legal_form"),
        (form == "CIO", "charity", "legal_form"),
        (c("_public") & (form.is_null() | c("_academy")), "public_body", "public_vocabulary"),
        # the council's own code for the payee, when it says more than "a business"
        (c("_creditor").is_not_null() & (c("_creditor") != "company"), c("_creditor"), "creditor_type"),
        # a branch or part of a listed charity ("BIRTENSHAW HALL", "MIND IN BRADFORD"; resolve.charity_stems)
        (c("_stem_charity") & form.is_null(), "charity", "charity_name_stem"),
        (c("_charity") & ~c("_public"), "charity", "charity_vocabulary"),
        (form == "LTD", "company", "legal_form"),
        # a weak charity word yields to club, trade-body and ledger words ("STAFF ASSOCIATION", "CARERS CLUB")
        (c("_charity_weak") & ~c("_public") & ~c("_other"), "charity", "charity_vocabulary"),
        (c("_other"), "other", "other_vocabulary"),
        (sole_trader, "individual", "sole_trader"),
        (c("_person").is_not_null(), "individual", pl.concat_str(pl.lit("person_"), c("_person"))),
        (c("_creditor") == "company", "company", "creditor_type"),
        (c("_public_weak"), "public_body", "public_weak_vocabulary"),
        (c("_merchant"), "company", "merchant"),
        (c("_letters") >= 2, "company", "prior"),
    ]
    kind = pl.lit("unknown")
    basis = pl.lit("none")
    for cond, kind_value, basis_value in reversed(decisions):
        kind_expr = kind_value if isinstance(kind_value, pl.Expr) else pl.lit(kind_value)
        basis_expr = basis_value if isinstance(basis_value, pl.Expr) else pl.lit(basis_value)
        kind = pl.when(cond.fill_null(False)).then(kind_expr).otherwise(kind)
        basis = pl.when(cond.fill_null(False)).then(basis_expr).otherwise(basis)
    out = lf.with_columns(_ne_type=kind, _ne_basis=basis).collect()
    return out.drop("_kw", "_uw", "_people_label", "_public", "_public_weak", "_charity_first", "_charity", "_charity_weak", "_other", "_academy", "_person",
                    "_merchant", "_letters", "_creditor", "_stem_charity", "_police_area", "_church_pcc")


# The schools snapshot has no establishment type: that a name is on it says "an establishment", mostly a state
# school but also independent and non-maintained special schools run by companies and charities. Its word is
# weaker than a legal form or a charity's name.
WEAK_REFERENCES = {"reference:gias_establishments": 0.7, "reference:gias_links": 0.7}


def confidence(basis: pl.Expr) -> pl.Expr:
    """The confidence of a basis (`reference:hesa_providers` -> the `reference` confidence)."""
    head = basis.str.extract(r"^([a-z_]+)", 1)
    out = pl.lit(0.0)
    for key, value in WEAK_REFERENCES.items():
        out = pl.when(basis == key).then(pl.lit(value)).otherwise(out)
    weak = basis.is_in(list(WEAK_REFERENCES))
    for key, value in CONFIDENCE.items():
        out = pl.when((head == key) & ~weak).then(pl.lit(value)).otherwise(out)
    return out
