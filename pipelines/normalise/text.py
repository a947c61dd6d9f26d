"""Text clean-up shared by every name and identifier rule: one definition of a space, a control character and
case (parsing.md §7.3 step 1)."""

from __future__ import annotations

import polars as pl

# Characters that stand for a space in published files: NBSP, the U+2000-U+200A spaces, U+2020 (a dagger
# that stands in for a space in some Lambeth files), narrow and ideographic spaces, tabs and line breaks.
SPACE_LIKE = r"[\u00A0\u2000-\u200A\u2020\u202F\u205F\u3000\t\r\n]"
# NUL and the other C0/C1 controls (tab and line breaks are space-like above).
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"


def squish(expr: pl.Expr) -> pl.Expr:
    """Runs of whitespace to one space, trimmed."""
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def clean_text(expr: pl.Expr, upper: bool = True) -> pl.Expr:
    """NFKC, space-likes to space, controls dropped, (upper-cased,) whitespace squished; null -> ""."""
    text = (
        expr.cast(pl.String)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all(SPACE_LIKE, " ")
        .str.replace_all(CONTROL, "")
    )
    return squish(text.str.to_uppercase() if upper else text)
