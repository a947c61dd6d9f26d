"""What is a person: one rule for the resolver and the typing cascade (a person is never matched to a
company's name, and its payments count as payments to individuals).

`person_shape(words)` returns, per name, `title` ("MR J SMITH", "Dr. A K Smith", "MR & MRS D WILSON",
"PROFESSOR G T CRAIG"), `counsel` ("ANTHONY CREAN QC"), `initials` ("J SMITH", "A Holdsworth", "SMITH J A",
partners "B & J OVERFIELD", "A LAMBERT & D THOMAS"), `forename` ("JO PULLIN", "Natalie Jackson", "CATHERINE O
SULLIVAN", "AGNES CAROLINE VAN DER VELDE", surname-first "BAKER DAMIAN") or null.
A name with a legal form, an organisation word (CARE, SERVICES, HOUSE, ...), a trade word ending in -ING or
a digit is never a person. `words` are upper-case, punctuation-free words (normalise.names.words).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.normalise.vocabulary import ING_SURNAMES, ORGANISATION_WORDS

FORENAMES_FILE = Path(__file__).resolve().parent / "forenames.txt"
TITLES = r"MR|MRS|MS|MISS|MX|DR|REV|REVD|REVEREND|PROF|PROFESSOR|SIR|DAME|LADY|LORD|CLLR|COUNCILLOR|MASTER"
_TITLED = rf"^(?:{TITLES})(?: AND (?:{TITLES}))?\s+[A-Z]"
_LEGAL = r"\b(LTD|LIMITED|PLC|LLP|CIC|CIO|SCIO|CO|COMPANY|AND CO|INC)\b"
_BUSINESS_JOIN = r"\b(AND|T/A)\b.*\b(PARTNERS|PARTNERSHIP|ASSOCIATES|SONS|DAUGHTERS|CO)\b|\bAND PARTNERS\b"
# the particles of a surname ("VAN DER VELDE", "DE LA RUE"): part of the surname, not words of their own
_PARTICLES = r"VAN|VON|DER|DEN|DE|LA|LE|DA|DI|DEL|DOS|DU|TER|TEN"
# initials then a surname ("A LAMBERT", "M R HYMAN")
_INITIALS_SURNAME = r"(?:[A-Z] )+[A-Z]{2,}"


@lru_cache(maxsize=1)
def forenames() -> list[str]:
    text = FORENAMES_FILE.read_text(encoding="utf-8")
    return sorted({w for line in text.splitlines() if not line.startswith("#") for w in line.split()})


@lru_cache(maxsize=1)
def _ing_surname_pattern() -> str:
    return r"\b(?:" + "|".join(ING_SURNAMES) + r")\b"


@lru_cache(maxsize=1)
def _organisation_word_pattern() -> str:
    return r"\b(?:" + "|".join(sorted(ORGANISATION_WORDS, key=len, reverse=True)) + r")\b"


def person_shape(words: pl.Expr) -> pl.Expr:
    """`title` | `counsel` | `initials` | `forename` | null for each name (see the module docstring).

    Pass a column (not a computed expression): it is read several times. Plain string operations only, so it
    runs at the speed of the regex engine on millions of names.
    """
    n = words.str.count_matches(" ") + 1
    first = words.str.extract(r"^(\S+)", 1)
    second = words.str.extract(r"^\S+ (\S+)", 1)
    last = words.str.extract(r"(\S+)$", 1)
    trade_ing = words.str.contains(r"\b[A-Z]{3,}ING\b") & ~words.str.contains(_ing_surname_pattern())
    not_person = (
        words.str.contains(_LEGAL) | words.str.contains(r"[0-9]") | words.str.contains(_organisation_word_pattern())
        | trade_ing | words.str.contains(_BUSINESS_JOIN)
    )
    alpha = words.str.contains(r"^[A-Z]+( [A-Z]+)*$")
    names = forenames()
    titled = words.str.contains(_TITLED) & ((n <= 6) | ((n <= 9) & words.str.contains(r"\bAND\b")))
    counsel = words.str.contains(r"\b(QC|KC)$") & (n <= 5)
    # "J SMITH", "A K SMITH" (initials, then one surname); "SMITH J", "SMITH J A", "MCSPADDEN JJ" (surname first,
    # initials after it, written apart or as a pair of consonants)
    initials = alpha & (n <= 4) & (
        words.str.contains(r"^([A-Z] )+[A-Z]{2,}$")
        | words.str.contains(r"^[A-Z]{2,}( ([A-Z]|[BCDFGHJKLMNPQRSTVWXZ]{2}))+$") & ~first.str.contains(r"^[BCDFGHJKLMNPQRSTVWXZ]{2}$")
    )
    # two people, partners in a farm or a trade: each initials and a surname ("A LAMBERT AND D THOMAS"), or
    # initials and one shared surname ("B AND J OVERFIELD", "A W AND D HAMMOND"); two initials before a plural
    # are a trade's name ("C AND S MINIBUSES", "P AND O FERRIES"), and a surname ending in S is let go with them
    partners = alpha & (
        words.str.contains(rf"^{_INITIALS_SURNAME} AND {_INITIALS_SURNAME}$")
        | words.str.contains(r"^(?:[A-Z] )+AND(?: [A-Z])+ [A-Z]{2,}$") & ~last.str.ends_with("S")
    )
    # forename + surname(s) ("NATALIE JACKSON", "ALEX RUCK KEENE", "CATHERINE O SULLIVAN", "AGNES CAROLINE VAN DER
    # VELDE": a surname's particles are not counted), or surname-first ("BAKER DAMIAN")
    particle = rf" (?:{_PARTICLES}) "
    n_core = words.str.replace_all(particle, " ").str.replace_all(particle, " ").str.count_matches(" ") + 1
    forename_first = first.is_in(names) & (n >= 2) & (n_core <= 4) & (last.str.len_chars() >= 2)
    surname_first = last.is_in(names) & (n == 2) & ~first.is_in(names) & (first.str.len_chars() >= 2)
    forename = alpha & (forename_first | surname_first | (first.is_in(names) & (n == 3) & (second.str.len_chars() == 1)))
    return (
        pl.when(not_person & ~titled).then(None)
        .when(titled & ~not_person).then(pl.lit("title"))
        .when(counsel).then(pl.lit("counsel"))
        .when(not_person).then(None)
        .when(initials | partners).then(pl.lit("initials"))
        .when(forename).then(pl.lit("forename"))
        .otherwise(None)
    )
