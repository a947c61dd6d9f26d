"""The real monthly series in ../shared/corpus/spend_series read independently of the parser (the csv module and
Decimal only), so tests can check the parser and the nightly job against it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

# the column each council publishes its net amount in (the corpus README)
NET_COLUMN = {"darlington": "Invoice Line Value (net of VAT)", "harrogate": "Net Amount", "salford": "Net"}


def independent_count(data: bytes, column: str) -> tuple[int, Decimal, int]:
    """(non-blank body rows, their total in `column`, all CSV records including header and blanks)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, body = records[0], [r for r in records[1:] if any(c.strip() for c in r)]
    index = header.index(column)
    total = sum((Decimal(r[index].replace(",", "").strip() or "0") for r in body), Decimal("0"))
    return len(body), total, len(records)
