"""The one normalisation module: a table of real messy spellings per rule (names, identifiers, redactions,
people), each asserting what the rule must give, including the traps where it must not fire."""

import polars as pl
import pytest

from pipelines.normalise import identifiers, names, people, redaction, text


def _one(col_rule, value):
    return pl.DataFrame({"v": [value]}, schema={"v": pl.String}).select(col_rule(pl.col("v"))).item()


def _names(values: list[str]) -> pl.DataFrame:
    return names.normalise_names(pl.DataFrame({"n": values}), "n")


# ------------------------------------------------------------------------------------------------ name keys

@pytest.mark.parametrize(
    "variants",
    [
        ["Bureau Veritas Uk Ltd", "BUREAU VERITAS UK LIMITED", "Bureau Veritas (UK) Ltd."],
        ["A B C Services Limited", "ABC SERVICES LTD", "A.B.C. Services Ltd", "ABC SERVS LTD"],
        ["The Lowry Centre Trust", "LOWRY CENTRE TRUST THE", "Lowry\u00a0Centre  Trust", "Lowry\u2003Centre\tTrust"],
        ["J SAINSBURY PLC", "J Sainsbury Public Limited Company", "J. Sainsbury P.L.C."],
        ["Smith & Sons Ltd", "SMITH AND SONS LIMITED", "Smith+Sons Ltd"],
        ["Foo\u2020Bar Ltd", "FOO BAR LTD\x00"],
        ["Egbert H Taylor & Co Ltd", "EGBERT H TAYLOR & COMPANY LIMITED", "EGBERT H TAYLOR"],
        ["EASTLEIGH CARE HOMES LTD(NRSNG)", "Eastleigh Care Homes Ltd", "EASTLEIGH CARE HOMES LIMITED (CF PAYMENTS)"],
        ["Red Rose Windscreens Ltd 01", "RED ROSE WINDSCREENS LTD"],
        ["Alliance Disposables Limi", "ALLIANCE DISPOSABLES LTD"],
        ["British Telecom Bt/Bacs", "BRITISH TELECOMMUNICATIONS PLC", "British Telecommunications Plc"],
        ["SEFE Energy - 10174064 Consolidated", "SEFE ENERGY LTD"],
        ["Water Plus - 4083296151 Market Hall", "WATER PLUS LTD", "Water Plus - 4206400451 CVMU"],
        ["HALFORDS 0788", "Halfords"],
        ["(DD ONLY) Ribble Valley Borough Council", "RIBBLE VALLEY BOROUGH COUNCIL", "Ribble Valley B.C."],
        ["Royal Town Planning Institute (RTPI)", "THE ROYAL TOWN PLANNING INSTITUTE"],
        ["C/O Danshell Healthcare Limited", "DANSHELL HEALTHCARE LTD"],
        ["ST JOHN AMBULANCE", "Saint John Ambulance"],
        ["CALDERDALE MBC", "Calderdale Metropolitan Borough Council"],
    ],
)
def test_variants_share_one_key(variants):
    keys = set(names.name_key(pl.Series(variants)).to_list())
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    "left,right",
    [
        ("S & W TLP (PROJECT CO ONE) LTD", "S & W TLP (PROJECT CO TWO) LTD"),
        ("ABC CARE LTD", "ABC CARS LTD"),
        ("T/A Cundall", "T/A Sage Care Ltd"),
        ("HAVENCARE (PLYMOUTH) LTD", "HAVENCARE (EXETER) LTD"),
        ("Capita Business Services Ltd", "Capita Translation & Interpreting Ltd"),
        ("BIFFA WASTE SERVICES LTD", "BIFFA MUNICIPAL LTD"),
    ],
)
def test_different_organisations_keep_different_keys(left, right):
    keys = names.name_key(pl.Series([left, right])).to_list()
    assert keys[0] != keys[1]


def test_columns_split_out():
    df = _names([
        "YOUNG DEVON (IVYBRIDGE)****5215", "Bright Futures Care Ltd T/A Cosy Homes", "SAFEBREAKS DEVON CIC",
        "Hope Community Interest Company", "Hope Charitable Incorporated Organisation", "Smith & Jones LLP",
        "TWIL CIVILS SOUTH WEST (Taylor Woodrow Construction Ltd)", "UCLAN - UNIVERSITY OF CENTRAL LANCASHIRE",
        "ACTION FOR CHILDREN(LONDON)", "D Singh Properties Ltd TA DS Properties", "", "Redactive Publishing Ltd",
        "ROYAL MAIL GROUP LTD_****3201", "Laing O'Rourke Construction North L",
    ])
    rows = df.to_dicts()
    assert rows[0]["pseudonym"] == "5215" and "*" not in rows[0]["name_clean"] and rows[0]["base_key"] == "YOUNG DEVON"
    assert (rows[1]["legal_form"], rows[1]["alias"], rows[1]["name_key"], rows[1]["alias_key"]) == ("LTD", "COSY HOMES", "BRIGHT FUTURES CARE", "COSY HOMES")
    assert [r["legal_form"] for r in rows[2:6]] == ["CIC", "CIC", "CIO", "LLP"]
    assert rows[6]["name_key"] == "TWIL CIVILS SOUTH WEST" and rows[6]["alias"].startswith("TAYLOR WOODROW")
    assert (rows[7]["name_key"], rows[7]["alias_key"]) == ("UCLAN", "UNIVERSITY OF CENTRAL LANCASHIRE")
    assert (rows[8]["name_key"], rows[8]["base_key"]) == ("ACTION FOR CHILDREN LONDON", "ACTION FOR CHILDREN")
    assert (rows[9]["name_key"], rows[9]["alias_key"]) == ("D SINGH PROPERTIES", "DS PROPERTIES")
    assert rows[10]["name_key"] == "" and rows[11]["name_key"] == "REDACTIVE PUBLISHING"
    assert (rows[12]["name_key"], rows[12]["pseudonym"]) == ("ROYAL MAIL GROUP", "3201")
    assert (rows[13]["name_key"], rows[13]["legal_form"]) == ("LAING OROURKE CONSTRUCTION NORTH", "LTD")


def test_space_likes_and_controls():
    assert _one(text.clean_text, "  a\u00a0b\u2009c\u2020d\x00e\x7f  ") == "A B C DE"


# ----------------------------------------------------------------------------------------------- identifiers

@pytest.mark.parametrize(
    "rule,given,expected",
    [
        (identifiers.company_number, "123456", "00123456"),
        (identifiers.company_number, " 08209948 ", "08209948"),
        (identifiers.company_number, "012345678", "12345678"),        # an extra leading zero
        (identifiers.company_number, "SC1234", "SC001234"),
        (identifiers.company_number, "IP10002R", "IP10002R"),          # mutual society suffix letter
        (identifiers.company_number, "GB-COH-7689604", "07689604"),
        (identifiers.company_number, "0", None),
        (identifiers.company_number, "1234567890", None),
        (identifiers.company_number, "junk!", None),
        (identifiers.charity_number, "GB-CHC-01053962", "1053962"),
        (identifiers.charity_number, "NIC100012", "NIC100012"),
        (identifiers.charity_number, "SC012345", "SC012345"),
        (identifiers.charity_number, "0", None),
        (identifiers.vat_number, "GB 123 4567 89", "123456789"),
        (identifiers.vat_number, "123456789001", "123456789"),          # branch suffix
        (identifiers.vat_number, "000000000", None),
        (identifiers.vat_number, "12345", None),
        (identifiers.postcode, "ex2 4qd", "EX2 4QD"),
        (identifiers.postcode, "EX24QD", "EX2 4QD"),
        (identifiers.postcode, "not a postcode", None),
        (identifiers.postcode_in_text, "County Hall, Topsham Road, Exeter EX2 4QD", "EX2 4QD"),
        (identifiers.urn, "URN 113512", "113512"),
        (identifiers.urn, "12345", None),
        (identifiers.ukprn, "10007767", "10007767"),
        (identifiers.ukprn, "20007767", None),
        (identifiers.org_id_from_text, "gb-chc-1053962", "GB-CHC-1053962"),
        (identifiers.org_id_from_text, "GB-COH-123", "GB-COH-00000123"),
        (identifiers.org_id_from_text, "GB-CFS-123", None),
    ],
)
def test_identifiers(rule, given, expected):
    assert _one(rule, given) == expected


@pytest.mark.parametrize("scheme, given, expected", [
    ("GB-COH", "7689604", "GB-COH-07689604"),
    ("gb-coh", "sc 123456", "GB-COH-SC123456"),
    ("GB-CHC", "1012345", "GB-CHC-1012345"),
    ("GB-PPON", "PABC-1234-XYZA", "GB-PPON-PABC-1234-XYZA"),
    ("GB-NHS", "ra7", "GB-NHS-RA7"),
    ("GB-CFS", "123", None),                       # Contracts Finder's own ids are not org-ids
    (None, "123", None),
])
def test_org_ids(scheme, given, expected):
    assert identifiers.scalar(identifiers.org_id, scheme, given) == expected


# --------------------------------------------------------------------------------------------- redactions

@pytest.mark.parametrize(
    "cell,kind",
    [
        ("REDACTED PERSONAL DATA", "personal"),
        ("Redacted personal information", "personal"),
        ("REDACTED UNDER DP ACT", "personal"),
        ("Redacted", "personal"),
        ("REDACTED - PERSONAL DATA", "personal"),
        ("THIRD PARTY SUPPLIER", "personal"),
        ("THIRD PARTY", "personal"),
        ("Private and confidential", "personal"),
        ("Personal expenses name witheld", "personal"),  # IPO, BIS (as spelt)
        ("Personal Expense, Name Witheld", "personal"),
        ("Staff expenses - name withheld", "personal"),
        ("Supplier name witheld", "personal"),
        ("REDACTED COMMERCIAL CONFIDENTIALITY", "commercial"),
        ("REDACTED - COMMERCIAL SENSITIVITY", "commercial"),
        ("YOUNG DEVON (IVYBRIDGE)****5215", "pseudonymised"),
        ("ROYAL MAIL GROUP LTD_****3201", "pseudonymised"),
        ("", "unlabelled_blank"),
        (None, "unlabelled_blank"),
        ("\u00a0 ", "unlabelled_blank"),
        # traps: real suppliers that merely contain a redaction word
        ("Redactive Publishing Ltd", "none"),
        ("CONFIDENTIAL WASTE REMOVAL", "none"),
        ("PRIVATE RESIDENTIAL CARE", "none"),
        ("THIRD PARTY FORENSIC SERVICES", "none"),
        ("REMOVALS DIRECT LTD", "none"),
        ("Personal Expenses Insurance Ltd", "none"),
    ],
)
def test_redaction_kinds(cell, kind):
    assert _one(redaction.redaction_kind_expr, cell) == kind


def test_source_specific_redaction_label():
    frame = pl.DataFrame({"v": ["Foster Carer", "foster  carer", "Foster Carers Ltd"]})
    kinds = frame.select(redaction.redaction_kind_expr(pl.col("v"), ["Foster Carer"])).to_series().to_list()
    assert kinds == ["personal", "personal", "none"]


# ------------------------------------------------------------------------------------------------- people

@pytest.mark.parametrize(
    "name,shape",
    [
        ("Mr J Smith", "title"), ("MRS A JONES", "title"), ("Dr. Elaine N Tamkin", "title"), ("Dr A K Smith", "title"),
        ("M.R, MRS D & K WILSON", "title"), ("PROFESSOR G T CRAIG", "title"), ("ANTHONY CREAN QC", "counsel"),
        ("J SMITH", "initials"), ("A Holdsworth", "initials"), ("SMITH J A", "initials"),
        ("JO PULLIN", "forename"), ("Natalie Jackson", "forename"), ("CATHERINE O SULLIVAN", "forename"),
        ("Alex Ruck Keene", "forename"), ("BAKER DAMIAN", "forename"), ("POWE FAYE", "forename"),
        # two people (partners); a surname with its particles is one surname
        ("B & J OVERFIELD", "initials"), ("A W & D HAMMOND", "initials"), ("A LAMBERT & D THOMAS", "initials"),
        ("M R Hyman & J S Hyman", "initials"), ("AGNES CAROLINE VAN DER VELDE", "forename"),
        ("LYNNE DE NOBREGA", "forename"),
        # ... but two initials before a plural are a trade ("C & S MINIBUSES")
        ("C & S MINIBUSES", None), ("S & I STRUCTURES", None), ("P & O FERRIES", None), ("B&Q DIRECT", None),
        # organisations named like people, or with a person's name in them
        ("John Lewis plc", None), ("DR SMITH AND PARTNERS", None), ("M S HEATING", None), ("GORDON VILLA", None),
        ("CATHERINE HOUSE", None), ("JAMES FLETCHER MARQUEES", None), ("K M ELECTRICAL SERVICES", None),
        ("COXON BROTHERS", None), ("PETER ISHERWOOD LTD", None), ("GRANT THORNTON", None), ("JAMES BUTTON & CO", None),
    ],
)
def test_person_shapes(name, shape):
    frame = pl.DataFrame({"n": [name]}).with_columns(w=names.words(text.clean_text(pl.col("n")), join_initials=False))
    assert frame.select(people.person_shape(pl.col("w"))).item() == shape
