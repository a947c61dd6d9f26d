"""Organisation-name normalisation as vectorised Polars expressions (parsing.md §7.3), for payee names and
register names alike, so that exact joins on the keys are the first matching step after identifiers.

Every council spells a supplier its own way ("Bureau Veritas Uk Ltd", "BUREAU VERITAS UK LIMITED",
"Bureau Veritas (UK) Ltd."). `normalise_names` adds, for a name column:

* `name_clean`: the cleaned, upper-cased name, pseudonym suffix removed (kept for display);
* `pseudonym`: the number of a `****1234` suffix (a pseudonymised person);
* `legal_form`: LTD | PLC | LLP | CIC | CIO | null, from the name or its brackets (truncated "LIMI" counts);
* `alias`: trading-as names, bracketed aliases and the part after a dash, joined by "; ";
* `name_key`: the stable matching key of the legal name (below);
* `base_key`: `name_key` without qualifiers that do not change the organisation (a trailing bracket, UK/GB,
  payment-channel words); equal to `name_key` for most names;
* `alias_key`: the key of the trading-as name (or of the part after a dash), for matching only.

`name_key` steps, in order:
1. text clean-up (normalise.text); a pseudonym suffix split off;
2. payment-channel brackets at the start ("(DD ONLY)", "(BACS)") and "C/O" dropped;
3. the trading-as tail (`T/A`, `T/AS`, `TRADING AS`) moved to `alias`; a name starting with it keeps the
   trading name; text after " - " (account numbers, branches, a long form) moved to `alias`;
4. bracketed aliases (another organisation: 4+ words or a legal form inside) moved to `alias`; a bracket that
   spells the initials of the words before it ("(RTPI)") dropped; other brackets are qualifiers and stay as
   plain words ("(UK)", "(NORTHERN)", "(PROJECT CO ONE)");
5. `&`, `+` -> AND; apostrophes and dots glued (O'NEILLS = ONEILLS, J.C.A = JCA); other punctuation -> space;
6. spaced initials joined ("A B C SERVICES" -> "ABC SERVICES");
7. abbreviations folded to one spelling (SERVS -> SERVICES, TELECOM -> TELECOMMUNICATIONS, SAINT -> ST,
   DIST COUN -> DISTRICT COUNCIL, MBC -> METROPOLITAN BOROUGH COUNCIL ...);
8. legal forms removed (LIMITED, LTD, PLC, LLP, CIC, CIO, "& CO", foreign GMBH/INC/BV ...), and whatever
   follows the last legal form is a qualifier and goes too ("LTD(NRSNG)", "LTD 01", "LTD WILLOW");
9. trailing payment-channel words (BACS, DIRECT DEBIT) and codes (a token with 3+ digits: store numbers,
   account numbers) dropped, and a last word that repeats the initials of the others ("BRITISH TELECOM BT");
10. a leading and a trailing THE dropped (Devon writes "CROFT THE").
"""

from __future__ import annotations

import polars as pl

from pipelines.normalise.redaction import PSEUDONYM_PATTERN
from pipelines.normalise.text import clean_text, squish

# "T/A", "T / A", "T\A", "T/AS", "TRADING AS", "TRADING AS:" ... everything after it is the trading name.
_TRADING_AS = r"\s*(?:\bT\s*[/\\]\s*AS?\b|\bTRADING\s+AS\b:?)\s*(.*)$"
# After a legal form a bare "TA" is trading-as too ("D SINGH PROPERTIES LTD TA DS PROPERTIES").
_TA_AFTER_FORM = r"\b(LTD|LIMITED|PLC|LLP)\.?\s+TA\s+"
# " - " (spaced dash) separates a name from a qualifier or a long form.
_DASH = r"\s+[-\u2013\u2014]+\s+|\s+[-\u2013\u2014]+$"
# Payment channels written around the payee, not part of it.
_CHANNEL_PREFIX = r"^\s*(?:\((?:DD|D/D|DD ONLY|DIRECT DEBIT|BACS|CHAPS|CHEQUE|CHQ|SO|S/O)\)\s*|C/O\s+|C/O:\s*)"
_CHANNEL_WORDS = r"(?:BACS|DD|D D|DIRECT DEBIT(?: PAYMENTS?)?|CHAPS|CHEQUES?|CHQ|PAYMENTS? ONLY|DD ONLY|BILL PAYMENTS?|BILL PAYMNTS)"
# Brackets that name another organisation (4+ words, or a legal form inside) are aliases.
_ALIAS_BRACKET = (
    r"\s*[\(\[](?:[^\)\]\s]+\s+){3,}[^\)\]]*(?:[\)\]]|$)"
    r"|\s*[\(\[][^\)\]]*\b(?:LTD|LIMITED|PLC|LLP|T/A|TRADING AS)\b[^\)\]]*(?:[\)\]]|$)"
)
_LEGAL_FORMS: list[tuple[str, str]] = [
    # (canonical form, whole-token pattern on punctuation-free words); the first that matches names the form.
    ("PLC", r"\b(?:PUBLIC LIMITED COMPANY|PLC)\b"),
    ("CIC", r"\b(?:COMMUNITY INTEREST COMPANY|CIC)\b"),
    ("CIO", r"\b(?:CHARITABLE INCORPORATED ORGANI[SZ]ATION|CIO|SCIO)\b"),
    ("LLP", r"\b(?:LIMITED LIABILITY PARTNERSHIP|LLP)\b"),
    ("LTD", r"\b(?:LIMITED|LTD|LIMTED|LIMITIED|LTED)\b"),
]
# A legal form cut short by a fixed-width column: only at the end of a long name ("ALLIANCE DISPOSABLES LIMI",
# "DAVID MARLOW BUILDING CONTRACTOR LT", "LAING O'ROURKE CONSTRUCTION NORTH L").
_TRUNCATED_FORM = r"\s(?:LIMI|LIMIT|LIMITE|LIM|LT|L)$"
_TRUNCATED_MIN_CHARS = 20
_FOREIGN_FORMS = r"\s(?:GMBH|INC|INCORPORATED|BV|NV|LLC|SARL|SAS|SPA|AG|AB|OY|PTY)$"
_ANY_LEGAL_FORM = "|".join(f"(?:{pattern})" for _, pattern in _LEGAL_FORMS)
# Abbreviations folded to one spelling on both sides of every join (whole words, after punctuation removal).
# Abbreviations folded to one spelling on both sides of every join, whole words (after punctuation removal).
# WORD_FOLDS are literal word sequences, replaced in one Aho-Corasick pass (str.replace_many on the name padded
# with spaces); END_FOLDS only apply at the end of a name ("CALDERDALE MBC", "RIBBLE VALLEY BC").
WORD_FOLDS: dict[str, str] = {
    # multi-word legal forms, so "PUBLIC LIMITED COMPANY" is one form and not LIMITED + two words
    "PUBLIC LIMITED COMPANY": "PLC", "COMMUNITY INTEREST COMPANY": "CIC", "LIMITED LIABILITY PARTNERSHIP": "LLP",
    "CHARITABLE INCORPORATED ORGANISATION": "CIO", "CHARITABLE INCORPORATED ORGANIZATION": "CIO",
    "SAINT": "ST", "P AND CC FOR": "POLICE AND CRIME COMMISSIONER FOR", "CENTER": "CENTRE", "ORGANIZATION": "ORGANISATION",
    "SERVS": "SERVICES", "SERV": "SERVICES", "SVCS": "SERVICES", "SRVS": "SERVICES", "SERVCS": "SERVICES", "SERVICE": "SERVICES",
    "ASSOC": "ASSOCIATION", "ASSN": "ASSOCIATION", "ASSOCN": "ASSOCIATION", "ASSOCS": "ASSOCIATES", "DEPT": "DEPARTMENT",
    "UNIV": "UNIVERSITY", "INTL": "INTERNATIONAL", "MGMT": "MANAGEMENT", "MGT": "MANAGEMENT", "TELECOM": "TELECOMMUNICATIONS",
    "TELECOMS": "TELECOMMUNICATIONS", "BROS": "BROTHERS", "NATL": "NATIONAL", "HLTH": "HEALTH", "MNTL": "MENTAL", "STH": "SOUTH",
    "NTH": "NORTH", "SCHL": "SCHOOL", "HSG": "HOUSING", "FDN": "FOUNDATION", "GOVT": "GOVERNMENT", "CNL": "COUNCIL", "CNCL": "COUNCIL",
    "CNCIL": "COUNCIL", "COUN": "COUNCIL", "COUNCL": "COUNCIL", "CNCLL": "COUNCIL", "DIST": "DISTRICT", "DST": "DISTRICT",
    "BORO": "BOROUGH", "MET BOROUGH": "METROPOLITAN BOROUGH", "MET DISTRICT": "METROPOLITAN DISTRICT", "MET COUNCIL": "METROPOLITAN COUNCIL",
    "RESID": "RESIDENTIAL", "RESDNTL": "RESIDENTIAL", "RESIDNTL": "RESIDENTIAL", "RES HOME": "RESIDENTIAL HOME", "RES CARE": "RESIDENTIAL CARE",
    "HME": "HOME", "NRSNG": "NURSING", "YORKS": "YORKSHIRE", "LANCS": "LANCASHIRE",
}
END_FOLDS: list[tuple[str, str]] = [
    (r"^P AND CC\b", "POLICE AND CRIME COMMISSIONER"),
    (r" NHS FT$", " NHS FOUNDATION TRUST"),
    (r" MBC$", " METROPOLITAN BOROUGH COUNCIL"),
    (r" BC$", " BOROUGH COUNCIL"),
    (r" DC$", " DISTRICT COUNCIL"),
    (r" SOC$", " SOCIETY"),
]
_ARTICLES = r"^THE\s+|\s+THE$"
_PSEUDONYM_LIKE = r"\*\s*\d+\s*\*?\s*$"
# A closing bracket that qualifies a name (a branch, a department, an account): dropped from base_key; one
# with a number in it ("(PROJECT CO ONE)", "(2006)") names a different organisation and stays.
_QUALIFIER_BRACKET = r"\s*[\(\[](?:[^\)\]]*)[\)\]]?\s*$"
_NUMBERED = r"\b(ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN|NO|NUMBER|PHASE|[IVX]+)\b|^\W*(19|20)\d\d\W*$"
# base_key also drops words that qualify rather than name, in names written without a legal form: a trailing
# generic business word ("HEATHCOTES GROUP", "BEVAN BRITTAN LAWYERS", "BRITISH GAS BUSINESS"), a trailing region
# ("ROYAL MAIL NORTH EAST"), while at least BASE_MIN_CHARS remain; and "OF" ("CHARTERED INSTITUTE HOUSING").
_GENERIC_TAIL = r"\s+(?:GROUP|SERVICES|SOLICITORS|LAWYERS|HOLDINGS|BUSINESS|TRADING|COMPANY|CHARITY|CHARITIES)$"
_REGION_TAIL = r"\s+(?:(?:NORTH|SOUTH)(?: EAST| WEST)?|EAST|WEST|NORTHERN|SOUTHERN|EASTERN|WESTERN|MIDLANDS|(?:EAST|WEST) MIDLANDS|NORTH WEST|NORTH EAST|SOUTH WEST|SOUTH EAST|SCOTLAND|WALES|NORTHERN IRELAND)$"
BASE_MIN_CHARS = 6
_TRAILING_CO = r"\s+(?:AND\s+)?(?:CO|COMPANY)$"
_CODE_TOKEN = r"\s+[A-Z]*[0-9]{3,}[A-Z0-9]*$"
_UK = r"\b(?:UK|GB|U K|GREAT BRITAIN|UNITED KINGDOM)\b"
_MARK = "\x01"


def _punctuation_to_words(expr: pl.Expr) -> pl.Expr:
    """AND for ampersands, apostrophes and dots glued, remaining punctuation to spaces."""
    return squish(
        expr.str.replace_all(r"\s*[&+]\s*", " AND ")
        .str.replace_all(r"['’‘`´.]", "")
        .str.replace_all(r"[^A-Z0-9 ]", " ")
    )


def _join_initials(expr: pl.Expr) -> pl.Expr:
    """"A B C SERVICES" -> "ABC SERVICES" without look-around (the Rust regex engine has none): single
    characters are marked on both sides, and a space between two marks goes."""
    marked = expr.str.replace_all(r"\b([A-Z0-9])\b", _MARK + "${1}" + _MARK)
    return marked.str.replace_all(_MARK + " " + _MARK, "").str.replace_all(_MARK, "")


def _fold(expr: pl.Expr) -> pl.Expr:
    # padding with spaces makes a literal " SERVS " match whole words only; a word shared by two adjacent
    # matches would lose its second match, so every word gets two spaces on each side first
    padded = pl.lit("  ") + expr.str.replace_all(" ", "    ") + pl.lit("  ")
    folded = padded.str.replace_many([" " + k.replace(" ", "    ") + " " for k in _FOLD_KEYS], [f" {WORD_FOLDS[k]} " for k in _FOLD_KEYS])
    out = squish(folded)
    for pattern, replacement in END_FOLDS:
        out = out.str.replace(pattern, replacement)
    return out


# longest first, so "MET BOROUGH" is folded before "MET"-less rules could split it
_FOLD_KEYS = sorted(WORD_FOLDS, key=lambda k: (-len(k), k))


def words(expr: pl.Expr, join_initials: bool = True) -> pl.Expr:
    """Steps 5-7: the punctuation-free, (initial-joined,) abbreviation-folded words of a cleaned name."""
    plain = _punctuation_to_words(expr)
    return _fold(_join_initials(plain) if join_initials else plain)


def legal_form(words_col: str) -> pl.Expr:
    """LTD | PLC | LLP | CIC | CIO | null from a column of words (a truncated "LIMI" at the end counts)."""
    w = pl.col(words_col)
    form = pl.lit(None, dtype=pl.String)
    for canonical, pattern in reversed(_LEGAL_FORMS):
        form = pl.when(w.str.contains(pattern)).then(pl.lit(canonical)).otherwise(form)
    truncated = w.str.contains(_TRUNCATED_FORM) & (w.str.len_chars() >= _TRUNCATED_MIN_CHARS)
    return pl.when(form.is_null() & truncated).then(pl.lit("LTD")).otherwise(form)


# The steps below run as successive columns of a lazy frame: each step reads materialised columns, so a
# column used several times is computed once (one nested expression would repeat its sub-expressions).


def _strip_steps(lf: pl.LazyFrame, src: str, dst: str) -> pl.LazyFrame:
    """Steps 8-10 on a column of folded words; never "" for a non-empty input."""
    k = pl.col("_k")
    # whatever follows the last legal form is a qualifier ("LTD NRSNG", "LTD 01", "LTD WILLOW"); brackets
    # before the form stay ("HAVENCARE (PLYMOUTH) LTD")
    lf = lf.with_columns(_k=pl.col(src).str.replace(rf"^(.*\b(?:{_ANY_LEGAL_FORM}))\s.*$", "${1}"))
    lf = lf.with_columns(_k=squish(k.str.replace_all(_ANY_LEGAL_FORM, " ")))
    lf = lf.with_columns(_k=pl.when(k.str.len_chars() >= _TRUNCATED_MIN_CHARS).then(k.str.replace(_TRUNCATED_FORM, "")).otherwise(k))
    lf = lf.with_columns(_k=k.str.replace(_FOREIGN_FORMS, "").str.replace(_TRAILING_CO, ""))
    for _ in range(2):
        lf = lf.with_columns(_k=k.str.replace(rf"\s+{_CHANNEL_WORDS}$", "").str.replace(_CODE_TOKEN, ""))
    # a last word spelling the initials of the words before it ("BRITISH TELECOMMUNICATIONS BT"): string ops only
    head = k.str.replace(r"\s+\S+$", "")
    lf = lf.with_columns(
        _k=pl.when((k.str.count_matches(" ") >= 2) & (k.str.extract(r"(\S+)$", 1) == head.str.replace_all(r"(\S)\S*\s*", "$1")))
        .then(head).otherwise(k)
    )
    lf = lf.with_columns(_k=squish(k.str.replace_all(_ARTICLES, " ")))
    return lf.with_columns(pl.when(k == "").then(pl.col(src)).otherwise(k).alias(dst)).drop("_k")


def _legal_steps(lf: pl.LazyFrame, src: str) -> pl.LazyFrame:
    """Steps 2-4: `_legal` (the legal name, brackets still in), `_trading` and `_dash` (tails) from `src`."""
    c = pl.col
    lf = lf.with_columns(_unprefixed=c(src).str.replace(_CHANNEL_PREFIX, "").str.replace(_TA_AFTER_FORM, "$1 T/A "))
    # card-merchant strings: "AMAZON* NW9K80K24" (a reference after the star) is Amazon, "PAYPAL *SHORTFILMCO" and
    # "AMZ*AMAZON.CO.UK" (a name after it) are that name; web addresses lose their www. and domain suffix
    merchant = c("_unprefixed").str.extract_groups(r"^([^*]{2,}?)\s*\*+\s*([^*]+)$")
    head_part, tail_part = merchant.struct.field("1"), merchant.struct.field("2")
    lf = lf.with_columns(
        _unprefixed=pl.when(head_part.is_not_null() & tail_part.str.contains(r"[0-9]")).then(head_part)
        .when(head_part.is_not_null() & ~c("_unprefixed").str.contains(_PSEUDONYM_LIKE)).then(tail_part)
        .otherwise(c("_unprefixed"))
        .str.replace(r"^WWW\.", "").str.replace_all(r"\.(?:CO\.UK|ORG\.UK|GOV\.UK|AC\.UK|COM|ORG|NET|UK)\b", " ")
    )
    lf = lf.with_columns(
        _trading=c("_unprefixed").str.extract(_TRADING_AS, 1).str.strip_chars().replace("", None),
        _no_trading=c("_unprefixed").str.replace(_TRADING_AS, ""),
    )
    # a name that *starts* with the trading-as marker ("T/A CUNDALL") is its trading name
    lf = lf.with_columns(_text=pl.when(c("_no_trading").str.strip_chars() == "").then(c("_trading")).otherwise(c("_no_trading")).fill_null(""))
    lf = lf.with_columns(_split=c("_text").str.split_exact(" - ", 1))
    lf = lf.with_columns(
        _head=c("_split").struct.field("field_0").str.replace(_DASH, " "),
        _dash=c("_split").struct.field("field_1").str.strip_chars().replace("", None),
    )
    lf = lf.with_columns(_head=pl.when(c("_head").str.strip_chars() == "").then(c("_text")).otherwise(c("_head")))
    lf = lf.with_columns(_legal=squish(c("_head").str.replace_all(_ALIAS_BRACKET, " ")))
    # a closing bracket that spells the initials of the words before it ("... INSTITUTE (RTPI)") goes
    lf = lf.with_columns(
        _acr=c("_legal").str.extract(r"\(([A-Z]{2,8})\)\s*$", 1),
        _before=c("_legal").str.replace(r"\s*\([A-Z]{2,8}\)\s*$", ""),
    )
    before = _punctuation_to_words(c("_before"))
    lf = lf.with_columns(
        _init=before.str.replace_all(r"(\S)\S*\s*", "$1"),
        _init2=squish(before.str.replace_all(r"\b(?:OF|AND|THE|FOR)\b", " ")).str.replace_all(r"(\S)\S*\s*", "$1"),
    )
    acronym = c("_acr").is_not_null() & ((c("_acr") == c("_init")) | (c("_acr") == c("_init2")))
    lf = lf.with_columns(_legal=pl.when(acronym).then(c("_before")).otherwise(c("_legal")))
    return lf.drop("_unprefixed", "_no_trading", "_text", "_split", "_head", "_acr", "_before", "_init", "_init2")


def _key_steps(lf: pl.LazyFrame, src: str, full: bool) -> pl.LazyFrame:
    c = pl.col
    lf = lf.with_columns(_clean=clean_text(c(src)))
    lf = lf.with_columns(pseudonym=c("_clean").str.extract(PSEUDONYM_PATTERN, 1), name_clean=squish(c("_clean").str.replace(PSEUDONYM_PATTERN, "")))
    lf = _legal_steps(lf, "name_clean")
    lf = lf.with_columns(
        _lw=words(c("_legal").str.replace_all(r"[\(\)\[\]]", " ")),
        # the legal name's trailing bracket is a qualifier for base_key ("ACTION FOR CHILDREN(LONDON)")
        _bw=squish(words(
            pl.when(c("_legal").str.extract(r"[\(\[]([^\)\]]*)[\)\]]?\s*$", 1).fill_null("").str.to_uppercase().str.contains(_NUMBERED))
            .then(c("_legal")).otherwise(c("_legal").str.replace(_QUALIFIER_BRACKET, ""))
        ).str.replace_all(_UK, " ")),
    )
    lf = _strip_steps(lf, "_lw", "name_key")
    lf = _strip_steps(lf, "_bw", "base_key")
    # a name registered with a legal form is exact: "CAPSTONE FOSTER CARE (NORTH) LTD" is its own company
    registered = c("_lw").str.contains(_ANY_LEGAL_FORM) | (c("_lw").str.contains(_TRUNCATED_FORM) & (c("_lw").str.len_chars() >= _TRUNCATED_MIN_CHARS))
    for tail in (_GENERIC_TAIL, _REGION_TAIL):
        trimmed = c("base_key").str.replace(tail, "")
        lf = lf.with_columns(base_key=pl.when(~registered & (trimmed.str.len_chars() >= BASE_MIN_CHARS)).then(trimmed).otherwise(c("base_key")))
    lf = lf.with_columns(base_key=squish(c("base_key").str.replace_all(r"\bOF\b", " ")))
    lf = lf.with_columns(base_key=pl.when(c("base_key") == "").then(c("name_key")).otherwise(c("base_key")))
    drop = ["_clean", "_lw", "_bw"]
    if full:
        brackets = c("name_clean").str.extract_all(_ALIAS_BRACKET).list.eval(pl.element().str.replace_all(r"[\(\)\[\]]", "").str.strip_chars())
        lf = lf.with_columns(_all_words=words(c("name_clean")), _brackets=brackets.list.join("; ").replace("", None))
        lf = lf.with_columns(
            legal_form=legal_form("_all_words"),
            alias=pl.concat_str([c("_brackets"), c("_trading"), c("_dash")], separator="; ", ignore_nulls=True).replace("", None),
            _tw=words(c("_trading").str.replace_all(r"[\(\)\[\]]", " ")),
            _dw=words(c("_dash").str.replace_all(r"[\(\)\[\]]", " ")),
        )
        lf = _strip_steps(lf, "_tw", "_tkey")
        lf = _strip_steps(lf, "_dw", "_dkey")
        lf = lf.with_columns(alias_key=pl.coalesce("_tkey", "_dkey"), trading_key=c("_tkey"))
        lf = lf.with_columns(name_words=c("_all_words"))
        drop += ["_all_words", "_brackets", "_tw", "_dw", "_tkey", "_dkey"]
        lf = lf.rename({"_legal": "legal_name"})
    else:
        drop.append("_legal")
    return lf.drop(*drop, "_trading", "_dash")


def name_key(expr: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """The stable matching key of a name: the whole pipeline, aliases and pseudonyms removed.

    Accepts a Series (returns a Series of the same length) or an expression (returns an expression that
    computes the keys of its input batch).
    """
    if isinstance(expr, pl.Series):
        frame = pl.LazyFrame({"_n": expr.cast(pl.String)})
        return _key_steps(frame, "_n", full=False).select("name_key").collect().to_series().alias(expr.name or "name_key")
    return expr.map_batches(lambda s: name_key(s), return_dtype=pl.String)


def list_name_keys(lists: pl.Series) -> pl.Series:
    """The name keys of every name in a list column (previous company names), keeping each row's list."""
    rows = pl.DataFrame({"_l": lists}).with_row_index("_r")
    items = rows.explode("_l").filter(pl.col("_l").is_not_null())
    items = items.with_columns(_k=name_key(items["_l"]))
    keyed = items.group_by("_r", maintain_order=True).agg(pl.col("_k"))
    out = rows.select("_r").join(keyed, on="_r", how="left").sort("_r")
    return out["_k"].fill_null(pl.lit([], dtype=pl.List(pl.String))).alias(lists.name)


def normalise_names(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Add name_clean, pseudonym, legal_name (the cleaned legal part: no trading-as, dash tail or alias
    brackets), name_words (name_clean's punctuation-free, folded words), legal_form, alias, name_key, base_key,
    alias_key and trading_key for column `col`."""
    return _key_steps(df.lazy(), col, full=True).collect()
