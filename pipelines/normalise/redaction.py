"""What is redacted (parsing.md §8): one set of whole-phrase rules for staging, the resolver and the marts.

A cell is a redaction only when the whole cell *is* a label ("REDACTED PERSONAL DATA", "THIRD PARTY
SUPPLIER", "Redacted - commercial sensitivity"), never because it contains a word: "Redactive Publishing Ltd",
"CONFIDENTIAL WASTE REMOVAL", "PRIVATE RESIDENTIAL CARE" and "THIRD PARTY FORENSIC SERVICES" are suppliers.
Kinds: `pseudonymised` (a `****1234` suffix: a person, name partly kept), `commercial`, `personal`,
`unlabelled_blank` (no payee at all: not the same as redacted) and `none`.
"""

from __future__ import annotations

import polars as pl

from pipelines.normalise.text import clean_text

_REDACT_WORD = r"(redacted|withheld|witheld|removed|not disclosed|undisclosed|not for publication)"
COMMERCIAL_PATTERNS = [
    rf"^{_REDACT_WORD}\b.*\bcommercial",
    r"^commercial(ly)? (sensitive|sensitivity|confidential|in confidence)( (information|data|supplier|payee))?( redacted| withheld)?$",
    r"^commercial confidentiality$",
]
PERSONAL_PATTERNS = [
    rf"^{_REDACT_WORD}($|[\s\-:(/,.*])",
    r"^(personal|private|sensitive|confidential) (data|information|details)( redacted| withheld| removed)?$",
    rf"^(name|payee|supplier|recipient|beneficiary|creditor)( name)? {_REDACT_WORD}$",
    # a person's claim under its kind: "Personal expenses name witheld", "Personal Expense, Name Witheld"
    rf"^(personal|staff|employee|officer)s?'? (expenses?|payments?|claims?)[\s,\-:]*(name|payee)s? {_REDACT_WORD}$",
    r"^(private|individual|private individual|an individual|personal|personal data)$",
    r"^private (and|&) confidential$",
    r"^third party( supplier| payee| payment)?$",
    r"^(data protection( act)?|dpa|gdpr)( redaction| redacted| exempt(ion)?)?$",
    r"^(sensitive|confidential) (payee|supplier|recipient)$",
]
# A pseudonymised person: the name (or part of it) then stars and a number, "YOUNG DEVON (IVYBRIDGE)****5215",
# "ROYAL MAIL GROUP LTD_****3201".
PSEUDONYM_PATTERN = r"[\s_]*\*{3,}\s*(\d+)\s*$"
REDACTION_KINDS = ("personal", "commercial", "pseudonymised", "unlabelled_blank", "none")


def redaction_kind_expr(supplier: pl.Expr, extra_personal: list[str] | None = None) -> pl.Expr:
    """The redaction kind of a payee cell. `extra_personal`: a source's own whole-cell labels (any case)."""
    return redaction_kind_of_clean(clean_text(supplier, upper=False), extra_personal)


def redaction_kind_of_clean(text: pl.Expr, extra_personal: list[str] | None = None) -> pl.Expr:
    """redaction_kind_expr on text already through text.clean_text (either case): the same rules, one clean-up."""
    key = text.str.to_lowercase()
    # one pass per kind: the alternation of the whole-phrase patterns (each anchored at the start)
    personal = key.str.contains("|".join(f"(?:{p})" for p in PERSONAL_PATTERNS))
    if extra_personal:
        personal = personal | key.is_in([" ".join(p.split()).lower() for p in extra_personal])
    commercial = key.str.contains("|".join(f"(?:{p})" for p in COMMERCIAL_PATTERNS))
    return (
        pl.when(key == "").then(pl.lit("unlabelled_blank"))
        .when(text.str.contains(PSEUDONYM_PATTERN)).then(pl.lit("pseudonymised"))
        .when(commercial).then(pl.lit("commercial"))
        .when(personal).then(pl.lit("personal"))
        .otherwise(pl.lit("none"))
    )


def is_redaction_label(supplier: pl.Expr) -> pl.Expr:
    """True for a personal or commercial redaction label or a blank payee (a pseudonymised name is a person)."""
    return redaction_kind_expr(supplier).is_in(["personal", "commercial", "unlabelled_blank"])
