"""Organisation identifiers as they are written in spend files, notices and registers, normalised once.

* company numbers: 8 characters ("123456" -> "00123456", "SC1234" -> "SC001234", a ninth leading zero
  dropped, `GB-COH-` dropped);
* charity numbers: digits (England and Wales), `NIC`+digits (Northern Ireland), `SC`+6 digits (Scotland);
* VAT numbers: the 9 digits (`GB` and branch suffixes dropped);
* postcodes: "AB1 2CD";
* schools (URN, 6 digits), higher and further education (UKPRN, 8 digits from 1000...), NHS (ODS codes);
* org-ids (org-id.guide): `GB-COH-`, `GB-CHC-`, `GB-SC-`, `GB-NIC-`, `GB-EDU-` (URN), `GB-UKPRN-`, `GB-NHS-`,
  `GB-SHPE-`, `GB-LAE-`, `GB-GOR-`, `GB-PPON-`... from a (scheme, identifier) pair.

Every rule is a Polars expression; `scalar()` evaluates one for a single value (notices, tests).
"""

from __future__ import annotations

import polars as pl

_POSTCODE_IN_TEXT = r"([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})"


def _alnum(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def company_number(expr: pl.Expr) -> pl.Expr:
    """Companies House numbers as 8 characters; junk (and 0) -> null."""
    raw = _alnum(expr).str.replace(r"^GBCOH", "")
    digits = raw.str.replace(r"^0+", "")
    prefixed = raw.str.contains(r"^[A-Z]{2}[0-9]{1,6}[A-Z]?$")
    # Mutual societies carry a suffix letter (IP10002R); pad the digits only.
    suffix = raw.str.extract(r"^[A-Z]{2}[0-9]+([A-Z]?)$", 1).fill_null("")
    prefixed_padded = pl.concat_str(
        raw.str.slice(0, 2), raw.str.extract(r"^[A-Z]{2}([0-9]+)", 1).str.zfill(6 - suffix.str.len_chars()), suffix
    )
    return (
        # up to 8 significant digits; a lost leading zero (7 digits) or an extra one (9 digits) is common
        pl.when(raw.str.contains(r"^[0-9]{1,9}$") & (digits != "") & (digits.str.len_chars() <= 8))
        .then(digits.str.zfill(8))
        .when(prefixed)
        .then(prefixed_padded)
        .otherwise(None)
    )


def charity_number(expr: pl.Expr) -> pl.Expr:
    """Charity numbers: E&W digits (leading zeros and GB-CHC-/CHC- dropped), NIC<digits>, SC<6 digits>."""
    raw = _alnum(expr).str.replace(r"^(GBCHC|CHC|RCN)", "").str.replace(r"^GBNIC", "NIC").str.replace(r"^GBSC", "SC")
    digits = raw.str.replace(r"^0+", "")
    return (
        pl.when(raw.str.contains(r"^[0-9]{3,8}$") & (digits != ""))
        .then(digits)
        .when(raw.str.contains(r"^NIC[0-9]{3,8}$"))
        .then(raw)
        .when(raw.str.contains(r"^SC0[0-9]{5}$"))
        .then(raw)
        .otherwise(None)
    )


def vat_number(expr: pl.Expr) -> pl.Expr:
    """UK VAT registration numbers as their 9 digits ("GB 123 4567 89" -> "123456789"; a 3-digit branch
    suffix dropped); anything else, and all-zero or all-same-digit placeholders, -> null."""
    raw = _alnum(expr).str.replace(r"^GB", "")
    nine = pl.when(raw.str.contains(r"^[0-9]{9}([0-9]{3})?$")).then(raw.str.slice(0, 9))
    return pl.when(nine.str.contains(r"^(0{9}|1{9}|2{9}|3{9}|4{9}|5{9}|6{9}|7{9}|8{9}|9{9})$")).then(None).otherwise(nine)


def postcode(expr: pl.Expr) -> pl.Expr:
    """Upper-case, one space before the inward code ("ex2 4qd" -> "EX2 4QD"); null when it is not a postcode."""
    squeezed = _alnum(expr)
    return pl.when(squeezed.str.contains(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")).then(
        squeezed.str.replace(r"^(.+)([0-9][A-Z]{2})$", "${1} ${2}")
    )


def postcode_in_text(expr: pl.Expr) -> pl.Expr:
    """The last UK postcode written inside a free-text address, normalised."""
    return postcode(expr.cast(pl.String).str.to_uppercase().str.extract_all(_POSTCODE_IN_TEXT).list.last())


def urn(expr: pl.Expr) -> pl.Expr:
    """A school's unique reference number (GIAS): 6 digits, 100000-999999."""
    raw = _alnum(expr).str.replace(r"^(GBEDU|URN)", "")
    return pl.when(raw.str.contains(r"^[1-9][0-9]{5}$")).then(raw)


def ukprn(expr: pl.Expr) -> pl.Expr:
    """A UK provider reference number (education and training providers): 8 digits starting 10."""
    raw = _alnum(expr).str.replace(r"^(GBUKPRN|UKPRN)", "")
    return pl.when(raw.str.contains(r"^10[0-9]{6}$")).then(raw)


def ods_code(expr: pl.Expr) -> pl.Expr:
    """An NHS Organisation Data Service code of an organisation (trust RA7, CCG 00L, ICB QE1): 3-5 characters
    with a digit (upper-cased)."""
    raw = _alnum(expr).str.replace(r"^GBNHS", "")
    return pl.when(raw.str.contains(r"^[A-Z0-9]{3,5}$") & raw.str.contains(r"[0-9]")).then(raw)


# org-id prefixes we recognise, and how their identifier part is normalised (None: kept, upper-cased, spaces out)
_SCHEMES: dict[str, object] = {
    "GB-COH": company_number,
    "GB-CHC": charity_number,
    "GB-SC": None,
    "GB-NIC": None,
    "GB-EDU": urn,
    "GB-UKPRN": ukprn,
    "GB-NHS": ods_code,
    "GB-SHPE": None,
    "GB-LAE": None,
    "GB-LAS": None,
    "GB-LANI": None,
    "GB-PLA": None,
    "GB-GOR": None,
    "GB-MPR": None,
    "GB-PPON": None,
}
ORG_ID_SCHEMES = tuple(_SCHEMES)


def org_id(scheme: pl.Expr, identifier: pl.Expr) -> pl.Expr:
    """An org-id from a (scheme, identifier) pair; null for schemes that are not organisation registers (a
    buyer's own supplier codes, Contracts Finder's GB-CFS)."""
    scheme = scheme.cast(pl.String).str.strip_chars().str.to_uppercase()
    ident = identifier.cast(pl.String).str.to_uppercase().str.replace_all(r"\s+", "")
    out = pl.lit(None, dtype=pl.String)
    for name, rule in reversed(_SCHEMES.items()):
        bare = ident.str.replace(f"^{name}-", "")
        value = rule(bare) if rule is not None else pl.when(bare != "").then(bare)
        out = pl.when(scheme == name).then(pl.concat_str(pl.lit(name + "-"), value)).otherwise(out)
    return out


def org_id_from_text(expr: pl.Expr) -> pl.Expr:
    """An org-id written whole ("GB-COH-01234567", "gb-chc-1053962"), normalised; null otherwise."""
    text = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    parts = text.str.extract_groups(r"^(GB-[A-Z]{2,5})-(\S+)$")
    return org_id(parts.struct.field("1"), parts.struct.field("2"))


def scalar(rule, *values):
    """Evaluate one rule on single values: `scalar(company_number, "123456")` -> "00123456"."""
    frame = pl.DataFrame({f"v{i}": pl.Series([v], dtype=pl.String) for i, v in enumerate(values)})
    return frame.select(rule(*(pl.col(f"v{i}") for i in range(len(values))))).item()
