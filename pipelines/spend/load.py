"""Load parsed spend files into staging, keep publication history, and quarantine what cannot be loaded.

* `load_publication` writes one publication (one raw file, `publication_id` = its sha256) in one transaction:
  delete its lines and summary row, insert them again. Re-loading the same file replaces, never duplicates.
* `apply_supersession` decides, per council and dataset kind (spend | pcard), which publications are current.
  Periods are compared as date ranges (`periods.period_range`): a publication is superseded by the latest
  publication fetched after it whose range fully covers its own. So a republished month replaces the earlier
  file of that month, an annual file replaces the months it covers once it arrives, and history is kept
  (superseded rows stay, `is_current = false`, `superseded_by` set). Known limit, kept deliberately simple: a
  month republished *after* an annual file that covers it does not trim the annual file, so that month is
  counted in both until the council republishes the year.
* `quarantine` records a file or fetch set aside with a reason code (architecture.md lists the codes).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl

from pipelines import sqlfiles
from pipelines.spend.periods import period_key_for_dates, period_range
from pipelines.warehouse import atomic

LINE_COLUMNS = [
    "council_gss", "publication_id", "period_key", "sheet", "row_number", "payment_date", "date_precision",
    "body_name", "body_code", "transaction_id", "line_no", "invoice_number", "amount", "irrecoverable_vat",
    "supplier_name", "supplier_id", "supplier_vat_reg", "supplier_company_no", "supplier_charity_no",
    "creditor_type", "department", "service_area", "expense_type", "expense_code", "purpose", "capital_revenue",
    "is_card", "redaction_kind", "below_threshold", "row_flags", "other_attributes", "source_url",
    "source_sha256", "parser_version", "row_fingerprint",
]


def _now() -> datetime:
    return datetime.utcnow()


def resolve_period_key(period_label: str | None, rows: pl.DataFrame) -> tuple[str | None, str]:
    """The publication's period key and where it came from: the link's label, else the payment dates."""
    if period_label:
        try:
            period_range(period_label)
            return period_label, "link"
        except ValueError:
            pass
    if "payment_date" in rows.columns and rows.height:
        dates = rows.get_column("payment_date").drop_nulls()
        if dates.len():
            first, last = dates.min(), dates.max()
            if isinstance(first, date):
                return period_key_for_dates(first, last), "payment_dates"
    return None, "none"


def _lines_frame(rows: pl.DataFrame, council_gss: str, publication_id: str, period_key: str,
                 source_url: str | None) -> pl.DataFrame:
    """The parser's rows with lineage columns set, restricted to staging.spend_lines columns."""
    fixed = {"council_gss": council_gss, "publication_id": publication_id, "period_key": period_key,
             "source_sha256": publication_id}
    frame = rows.with_columns([pl.lit(v, dtype=pl.String).alias(k) for k, v in fixed.items()])
    if source_url and ("source_url" not in frame.columns or frame.get_column("source_url").null_count() == frame.height):
        frame = frame.with_columns(pl.lit(source_url, dtype=pl.String).alias("source_url"))
    return frame.select([c for c in LINE_COLUMNS if c in frame.columns])


def load_publication(con: duckdb.DuckDBPyConnection, council_gss: str, period_key: str | None, result: Any,
                     fetch_meta: dict) -> dict:
    """Replace one publication's lines and summary row in one transaction; returns {publication_id,
    period_key, rows}. `fetch_meta`: sha256 (the publication id), source_url, link_text, landing_page,
    fetched_at, dataset_kind. `period_key` None = derive from the payment dates."""
    publication_id = fetch_meta["sha256"]
    rows: pl.DataFrame = result.rows if result.rows is not None else pl.DataFrame()
    key, source = resolve_period_key(period_key, rows)
    if key is None:
        raise ValueError(f"publication {publication_id[:12]} has no period: no label and no payment dates")
    start, end = period_range(key)
    lines = _lines_frame(rows, council_gss, publication_id, key, fetch_meta.get("source_url"))
    params = {"council_gss": council_gss, "publication_id": publication_id}
    with atomic(con):
        sqlfiles.execute(con, "spend/delete_publication_lines", params)
        sqlfiles.execute(con, "spend/delete_publication", params)
        if lines.height:
            con.register("lines_df", lines.to_arrow())
            try:
                sqlfiles.execute(con, "spend/insert_lines")
            finally:
                con.unregister("lines_df")
        sqlfiles.execute(con, "spend/insert_publication", {
            **params,
            "dataset_kind": fetch_meta.get("dataset_kind") or "spend",
            "period_key": key,
            "period_start": start,
            "period_end": end,
            "period_source": source,
            "source_url": fetch_meta.get("source_url"),
            "link_text": fetch_meta.get("link_text"),
            "landing_page": fetch_meta.get("landing_page"),
            "fetched_at": fetch_meta.get("fetched_at") or _now(),
            "loaded_at": _now(),
            "encoding": getattr(result, "encoding", None),
            "sheets": _text_list(getattr(result, "sheets", None)),
            "grain": _text(getattr(result, "grain", None)),
            "warnings": json.dumps(list(getattr(result, "warnings", None) or []), default=str),
            "dropped_rows": _count(getattr(result, "dropped_rows", None)),
        })
    return {"publication_id": publication_id, "period_key": key, "rows": lines.height}


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _text_list(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def _count(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, pl.DataFrame):
        return value.height
    try:
        return len(value)
    except TypeError:
        return None


def apply_supersession(con: duckdb.DuckDBPyConnection, council_gss: str) -> None:
    """Recompute is_current / superseded_by for one council's publications and copy is_current to the lines."""
    with atomic(con):
        sqlfiles.execute(con, "spend/apply_supersession", {"council_gss": council_gss})
        sqlfiles.execute(con, "spend/mark_current_lines", {"council_gss": council_gss})


def quarantine(con: duckdb.DuckDBPyConnection, *, council_gss: str | None, source_url: str | None,
               source_sha256: str | None, reason_code: str, reason: str | None = None,
               link_text: str | None = None, period_label: str | None = None) -> None:
    """Set a file (or a failed fetch) aside; the same file quarantined again for the same reason replaces the
    earlier row."""
    params = {"council_gss": council_gss, "source_url": source_url, "source_sha256": source_sha256,
              "reason_code": reason_code}
    sqlfiles.execute(con, "spend/delete_quarantine", params)
    sqlfiles.execute(con, "spend/insert_quarantine", {**params, "reason": reason, "link_text": link_text,
                                                      "period_label": period_label, "quarantined_at": _now()})
