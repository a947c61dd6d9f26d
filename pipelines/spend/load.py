"""Load parsed spend files into staging, keep publication history, and quarantine what cannot be loaded.

* `load_publication` writes one publication (one raw file, `publication_id` = its sha256) in one transaction:
  delete its lines and summary row, insert them again. Re-loading the same file replaces, never duplicates.
  The summary row keeps the parser's own account of the file, counted in Python before anything is written:
  `rows_in` (every record read), `dropped_by_reason`, `rows` and `net_total` of the lines output, the column
  mapping and the amount basis. The publication checks (`sql/checks/publication/`) compare staging and the facts
  with these numbers, so a line lost or doubled anywhere between the file and `core.fact_payment` is found.
* `apply_supersession` decides, per council and dataset kind (spend | pcard), which publications and lines are
  current. Replacement is by publication, never by matching line content: identical lines are distinct
  payments. Periods are compared as date ranges (`periods.period_range`):
  - a publication is superseded by the latest publication fetched after it whose range covers its own (a
    republished month replaces the earlier file of that month; an annual file replaces the months it covers);
  - a line of a current publication is trimmed when a publication fetched after it covers the line's own date
    span (its day, or its month / quarter for month- or quarter-precision dates): a month republished after an
    annual file replaces that month's lines of the annual file. Lines without a date span of their own stay
    with their publication (only a later file covering the whole publication replaces them);
  - publications held back by a failed check (`meta.publication_holds`) take no part: they are not current and
    supersede nothing, so the previous file of their period stays in the release.
  History is kept: superseded publications and trimmed lines stay, with `is_current = false`.
* `quarantine` records a file or fetch set aside with a reason code (architecture.md lists the codes).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
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
    "source_sha256", "parser_version", "row_fingerprint", "amount_basis",
]
AMOUNT_BASES = ("net", "gross", "unknown")


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
                 source_url: str | None, amount_basis: str) -> pl.DataFrame:
    """The parser's rows with lineage columns set, restricted to staging.spend_lines columns."""
    fixed = {"council_gss": council_gss, "publication_id": publication_id, "period_key": period_key,
             "source_sha256": publication_id}
    frame = rows.with_columns([pl.lit(v, dtype=pl.String).alias(k) for k, v in fixed.items()])
    if source_url and ("source_url" not in frame.columns or frame.get_column("source_url").null_count() == frame.height):
        frame = frame.with_columns(pl.lit(source_url, dtype=pl.String).alias("source_url"))
    if "amount_basis" not in frame.columns:
        frame = frame.with_columns(pl.lit(amount_basis, dtype=pl.String).alias("amount_basis"))
    return frame.select([c for c in LINE_COLUMNS if c in frame.columns])


def parser_account(result: Any, rows: pl.DataFrame) -> dict:
    """What the parser says it read and output, counted here from its result (not from staging):
    rows_in, dropped_by_reason, dropped_rows, rows, net_total, min_date, max_date, column_mapping, amount_basis,
    parser_version. Fields a parser does not report yet are None (the checks then skip what they cannot compare)."""
    dropped_by_reason = getattr(result, "dropped_by_reason", None)
    if dropped_by_reason is None:
        # a parser that lists its dropped records (sheet, row_number, reason) instead of counting them
        frame = getattr(result, "dropped_rows", None)
        if isinstance(frame, pl.DataFrame) and "reason" in frame.columns:
            dropped_by_reason = dict(frame.group_by("reason").len().sort("reason").iter_rows())
    dropped_by_reason = {str(k): int(v) for k, v in sorted((dropped_by_reason or {}).items())}
    rows_in = getattr(result, "rows_in", None)
    amount_basis = getattr(result, "amount_basis", None) or "unknown"
    if amount_basis not in AMOUNT_BASES:
        raise ValueError(f"amount_basis {amount_basis!r} is not one of {AMOUNT_BASES}")
    summary = {"net_total": Decimal(0), "min_date": None, "max_date": None}
    if rows.height and "amount" in rows.columns:
        summary["net_total"] = Decimal(rows.get_column("amount").sum() or 0)
    if rows.height and "payment_date" in rows.columns:
        summary["min_date"] = rows.get_column("payment_date").min()
        summary["max_date"] = rows.get_column("payment_date").max()
    parser_version = getattr(result, "parser_version", None)
    if parser_version is None and rows.height and "parser_version" in rows.columns:
        parser_version = rows.get_column("parser_version").drop_nulls().first()
    return {
        "rows_in": None if rows_in is None else int(rows_in),
        "dropped_by_reason": json.dumps(dropped_by_reason, sort_keys=True),
        "dropped_rows": sum(dropped_by_reason.values()) if dropped_by_reason else _count(getattr(result, "dropped_rows", None)),
        "rows": rows.height,
        **summary,
        "column_mapping": _mapping_json(result),
        "amount_basis": amount_basis,
        "parser_version": parser_version,
    }


def _mapping_json(result: Any) -> str | None:
    """The parser's column mapping as JSON; from a parser that reports only raw header -> field, that much."""
    mapping = getattr(result, "mapping", None)
    if mapping is None:
        header = getattr(result, "header", None) or {}
        if header and all(isinstance(v, str) for v in header.values()):
            mapping = {field: {"header": raw, "basis": None, "score": None} for raw, field in header.items()}
        elif header:
            mapping = {sheet: {field: {"header": raw, "basis": None, "score": None} for raw, field in cols.items()}
                       for sheet, cols in header.items() if isinstance(cols, dict)}
    return json.dumps(mapping, sort_keys=True, default=str) if mapping else None


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
    account = parser_account(result, rows)
    lines = _lines_frame(rows, council_gss, publication_id, key, fetch_meta.get("source_url"), account["amount_basis"])
    params = {"council_gss": council_gss, "publication_id": publication_id}
    with atomic(con):
        sqlfiles.execute(con, "spend/delete_publication_lines", params)
        sqlfiles.execute(con, "spend/delete_publication", params)
        if lines.height:
            # Arrow string views, as Polars holds them: the default (large strings) would copy every text
            # column, about 2.5x the lines' own memory for a big file
            con.register("lines_df", lines.to_arrow(compat_level=pl.CompatLevel.newest()))
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
            **account,
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
    """Recompute is_current / superseded_by / held_back for one council's publications and is_current for their
    lines (module docstring), in one transaction."""
    with atomic(con):
        supersede(con, [council_gss])


def supersede(con: duckdb.DuckDBPyConnection, councils: list[str], *, force: bool = False) -> list[str]:
    """`apply_supersession` for several councils at once, inside the caller's transaction (the core build
    re-applies it after holding publications back). A council whose publications and holds are unchanged since its
    supersession was last applied is skipped (its lines are up to date: a quiet night costs no scan of them)
    unless `force`. Returns the councils it applied."""
    _register_councils(con, councils)
    try:
        rows = sqlfiles.execute(con, "spend/supersession_signatures",
                                {"sql_signature": _supersession_sql_signature()}).fetchall()
        state = [(gss, sig) for gss, sig, applied_sig in rows if force or sig is None or sig != applied_sig]
        if not state:
            return []
        applied = [gss for gss, _ in state]
        _register_councils(con, applied)
        sqlfiles.execute(con, "spend/apply_supersession")
        sqlfiles.execute(con, "spend/mark_current_lines")
        sqlfiles.execute(con, "spend/forget_supersession_state")
        con.register("supersede_state", pl.DataFrame(state, schema={"council_gss": pl.String, "input_signature": pl.String},
                                                     orient="row"))
        try:
            sqlfiles.execute(con, "spend/record_supersession_state", {"applied_at": _now()})
        finally:
            con.unregister("supersede_state")
        return applied
    finally:
        con.unregister("supersede_councils")


def _register_councils(con: duckdb.DuckDBPyConnection, councils: list[str]) -> None:
    con.register("supersede_councils", pl.DataFrame({"council_gss": list(councils)}, schema={"council_gss": pl.String}))


@cache
def _supersession_sql_signature() -> str:
    """A hash of the supersession statements: new rules re-apply supersession everywhere."""
    text = "".join(sqlfiles.load(n) for n in ("spend/apply_supersession", "spend/mark_current_lines"))
    return hashlib.sha256(text.encode()).hexdigest()


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
