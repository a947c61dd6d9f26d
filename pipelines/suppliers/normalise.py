"""Deterministic supplier-name normalisation as vectorised Polars expressions (parsing.md §7.3).

Every council spells a supplier its own way ("Bureau Veritas Uk Ltd", "BUREAU VERITAS UK LIMITED",
"Bureau Veritas (UK) Ltd."). `name_key` maps such variants to one stable key, and the same function is applied
to register names, so exact joins on the key are the first matching step after identifiers.

Steps, in order:
1. NFKC; NBSP, U+2000-U+200A and U+2020 (a dagger that stands in for a space in some Lambeth files) -> space;
   NUL and other control characters dropped; upper-case; whitespace squished.
2. A trailing pseudonym suffix `****1234` is split into `pseudonym` (Devon pseudonymises individuals this way).
3. Trading-as (`T/A`, `TRADING AS`) tails and bracketed aliases (4+ words or a legal form inside) are moved into
   `alias`; short brackets ("(UK)", "(NORTHERN)") are qualifiers and stay in the key as plain words.
4. `&` and `+` -> AND; apostrophes and dots dropped (O'NEILLS = ONEILLS, J.C.A = JCA); other punctuation -> space.
5. Spaced initials joined: "A B C SERVICES" -> "ABC SERVICES" (registers write them joined).
6. Legal-form tokens recorded in `legal_form` (LTD, PLC, LLP, CIC, CIO) and removed from the key, including the
   truncated "LIMI" / "LIMITE" left by 25-character columns.
7. A leading THE is dropped, and a trailing THE (Devon writes "ILFRACOMBE ACADEMY THE").
"""

from __future__ import annotations

import polars as pl

# Characters that stand for a space in published files.
_SPACE_LIKE = r"[\u00A0\u2000-\u200A\u2020\u202F\u205F\u3000\t\r\n]"
_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
_PSEUDONYM = r"\s*\*{4}(\d+)\s*$"
# "T/A", "T / A", "T\A", "TRADING AS", "TRADING AS:" ... everything after it is the trading name.
_TRADING_AS = r"\s*(?:\bT\s*[/\\]\s*AS?\b|\bTRADING\s+AS\b:?)\s*(.*)$"
# A bracketed part; the closing bracket may have been lost to truncation.
_BRACKET = r"\s*[\(\[]([^\)\]]*)(?:[\)\]]|$)"
# Brackets that name another organisation (4+ words, or a legal form inside) are aliases and leave the key;
# short ones qualify the name ("(UK)", "(NORTHERN)", "(PROJECT CO ONE)") and stay in it as plain words.
_ALIAS_BRACKET = (
    r"\s*[\(\[](?:[^\)\]\s]+\s+){3,}[^\)\]]*(?:[\)\]]|$)"
    r"|\s*[\(\[][^\)\]]*\b(?:LTD|LIMITED|PLC|LLP|T/A|TRADING AS)\b[^\)\]]*(?:[\)\]]|$)"
)

_LEGAL_FORMS: list[tuple[str, str]] = [
    # (canonical form, whole-token pattern); order matters: the first that matches names the form.
    ("PLC", r"\b(?:PUBLIC LIMITED COMPANY|PLC)\b"),
    ("CIC", r"\b(?:COMMUNITY INTEREST COMPANY|CIC)\b"),
    ("CIO", r"\b(?:CHARITABLE INCORPORATED ORGANI[SZ]ATION|CIO|SCIO)\b"),
    ("LLP", r"\b(?:LIMITED LIABILITY PARTNERSHIP|LLP)\b"),
    ("LTD", r"\b(?:LIMITED|LTD|LIMTED)\b|\b(?:LIMI|LIMIT|LIMITE)$"),
]
_ANY_LEGAL_FORM = "|".join(f"(?:{pattern})" for _, pattern in _LEGAL_FORMS)
# Runs of single characters are joined in passes; each pass halves a run, so 5 passes join runs of 32.
_INITIAL_JOIN_PASSES = 5
_MARK = "\x01"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Step 1: NFKC, space-likes to space, controls dropped, upper-case, whitespace squished (null -> "")."""
    return (
        expr.cast(pl.String)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all(_SPACE_LIKE, " ")
        .str.replace_all(_CONTROL, "")
        .str.to_uppercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _squish(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def _punctuation_to_words(expr: pl.Expr) -> pl.Expr:
    """Step 4: AND for ampersands, apostrophes and dots glued, remaining punctuation to spaces."""
    return _squish(
        expr.str.replace_all(r"\s*[&+]\s*", " AND ")
        .str.replace_all(r"['’‘`´.]", "")
        .str.replace_all(r"[^A-Z0-9 ]", " ")
    )


def _join_initials(expr: pl.Expr) -> pl.Expr:
    """Step 5: "A B C SERVICES" -> "ABC SERVICES" without look-around (the Rust regex engine has none)."""
    marked = expr.str.replace_all(r"\b([A-Z0-9])\b", "${1}" + _MARK)
    for _ in range(_INITIAL_JOIN_PASSES):
        marked = marked.str.replace_all(_MARK + r" ([A-Z0-9])" + _MARK, "${1}" + _MARK)
    return marked.str.replace_all(_MARK, "")


def _legal_form(words: pl.Expr) -> pl.Expr:
    form = pl.lit(None, dtype=pl.String)
    for canonical, pattern in reversed(_LEGAL_FORMS):
        form = pl.when(words.str.contains(pattern)).then(pl.lit(canonical)).otherwise(form)
    return form


def _strip_legal_and_articles(words: pl.Expr) -> pl.Expr:
    stripped = _squish(words.str.replace_all(_ANY_LEGAL_FORM, " "))
    stripped = stripped.str.replace(r"^THE\s+", "").str.replace(r"\s+THE$", "")
    return stripped


def _key_from_words(words: pl.Expr) -> pl.Expr:
    """Steps 6-7 on already punctuation-normalised words; never returns "" for a non-empty input."""
    key = _strip_legal_and_articles(words)
    return pl.when(key == "").then(words).otherwise(key)


def _base_name(clean: pl.Expr) -> pl.Expr:
    """The legal name: trading-as tail and alias brackets removed, short brackets opened.

    When the name *starts* with the trading-as marker ("T/A CUNDALL"), the trading name is all there is.
    """
    without_trading = clean.str.replace(_TRADING_AS, "")
    without_trading = pl.when(without_trading.str.strip_chars() == "").then(clean.str.extract(_TRADING_AS, 1)).otherwise(without_trading)
    return _squish(without_trading.fill_null("").str.replace_all(_ALIAS_BRACKET, " ").str.replace_all(r"[\(\)\[\]]", " "))


def _words(expr: pl.Expr) -> pl.Expr:
    return _join_initials(_punctuation_to_words(expr))


def name_key(expr: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """The stable matching key of a name: the whole pipeline, aliases and pseudonyms removed.

    Accepts an expression (returns an expression) or a Series (returns a Series of the same length).
    """
    if isinstance(expr, pl.Series):
        return pl.DataFrame({"n": expr}).select(name_key(pl.col("n")).alias(expr.name or "name_key")).to_series()
    clean = clean_text(expr).str.replace(_PSEUDONYM, "")
    return _key_from_words(_words(_base_name(clean)))


def normalise_names(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Add name_clean, name_key, legal_form, alias, pseudonym (and alias_key, for matching) for column `col`.

    name_clean: the cleaned, upper-cased name with the pseudonym suffix removed (kept for display).
    legal_form: LTD | PLC | LLP | CIC | CIO | null, found in the name or its brackets.
    alias: trading-as name and bracketed parts joined by "; ", or null.
    """
    clean = clean_text(pl.col(col))
    out = df.with_columns(
        _clean=clean,
        pseudonym=clean.str.extract(_PSEUDONYM, 1),
    ).with_columns(name_clean=pl.col("_clean").str.replace(_PSEUDONYM, ""))
    trading = pl.col("name_clean").str.extract(_TRADING_AS, 1)
    brackets = pl.col("name_clean").str.extract_all(_ALIAS_BRACKET).list.eval(
        pl.element().str.replace_all(r"[\(\)\[\]]", "").str.strip_chars()
    )
    out = out.with_columns(
        _trading=pl.when(trading.str.strip_chars() != "").then(trading.str.strip_chars()),
        _brackets=brackets.list.join("; "),
        _base=_base_name(pl.col("name_clean")),
    )
    words_all = _words(pl.col("name_clean"))
    out = out.with_columns(
        _words_base=_words(pl.col("_base")),
        legal_form=_legal_form(words_all),
        alias=pl.concat_str(
            [pl.col("_brackets").replace("", None), pl.col("_trading")], separator="; ", ignore_nulls=True
        ).replace("", None),
    )
    out = out.with_columns(
        name_key=_key_from_words(pl.col("_words_base")),
        alias_key=pl.when(pl.col("_trading").is_not_null())
        .then(_key_from_words(_words(_base_name(pl.col("_trading")))))
        .otherwise(pl.lit(None, dtype=pl.String)),
    )
    return out.drop("_clean", "_trading", "_brackets", "_base", "_words_base")
