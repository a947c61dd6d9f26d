"""The spend parser on synthetic files built here, for cases the corpus lacks (parsing.md §11)."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from decimal import Decimal

import polars as pl
import pytest
import xlsxwriter

from pipelines.spend.parse import _clean_cells, parse_spend
from pipelines.spend.readers import sniff


def csv_bytes(lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    return newline.join(lines).encode(encoding)


def parse(data: bytes, **kw):
    return parse_spend(data, filename=kw.pop("filename", "spend.csv"), **kw)


HEADER = "Supplier Name,Payment Date,Amount"


def test_negative_forms_and_float_artefacts():
    data = csv_bytes([HEADER, "A Ltd,01/04/2024,(123.45)", "B Ltd,02/04/2024,123.45-", "C Ltd,03/04/2024,50.00 CR",
                      'D Ltd,04/04/2024,"£1,234.5699999999"', "E Ltd,05/04/2024,0.125", "F Ltd,06/04/2024,-0.135",
                      "G Ltd,07/04/2024, 519.89 ", "H Ltd,08/04/2024,0", "I Ltd,09/04/2024,NA",
                      'J Ltd,10/04/2024," -   "', 'K Ltd,11/04/2024," £ -  "', "L Ltd,12/04/2024,--",
                      "M Ltd,13/04/2024,50.00CR", "N Ltd,14/04/2024,75.10 DR", "O Ltd,15/04/2024,\u221260.00",
                      "P Ltd,16/04/2024,DESCR"])
    rows = parse(data).rows
    amounts = rows.get_column("amount").to_list()
    assert amounts[:8] == [Decimal(x) for x in ("-123.45", "-123.45", "-50.00", "1234.57", "0.12", "-0.14",
                                                 "519.89", "0.00")]
    assert amounts[8] is None  # kept, not dropped
    assert rows.item(8, "row_flags") == "amount_unparsed"
    assert amounts[9:12] == [Decimal("0.00"), Decimal("0.00"), None]  # the accounting format's zero is a dash
    assert amounts[12:] == [Decimal("-50.00"), Decimal("75.10"), Decimal("-60.00"), None]  # CR, DR, minus sign
    assert rows.height == 16


def test_an_amount_read_only_by_a_guess_is_left_unread_and_flagged():
    """A comma before other than three digits is a slip ("1,23" is 1.23 or 123), and euros or dollars are not
    pounds: such a cell was read as 123, 1,234,567 or £1,234.56, silently. It is now kept unread on a flagged
    line, out of the total; thousands commas and pounds read as before."""
    good = ['"1,234.56"', '"£12,345,678.90"', '"(1,234)"', '"1,234 CR"']
    guessed = ['"1,23"', '"12,345,67"', '"1,2345.00"', '"€1,234.56"', '"$99.00"', '"1,234.56 EUR"']
    data = csv_bytes([HEADER] + [f"Firm {i} Ltd,{1 + i:02d}/04/2024,{a}" for i, a in enumerate(good + guessed)])
    result = parse(data)
    amounts = result.rows.get_column("amount").to_list()
    assert amounts == [Decimal("1234.56"), Decimal("12345678.90"), Decimal("-1234.00"), Decimal("-1234.00"),
                       *[None] * len(guessed)]
    assert result.rows.get_column("row_flags").to_list()[len(good):] == ["amount_unparsed"] * len(guessed)
    assert any(w.startswith("amount_unparsed") and f": {len(guessed)} amounts" in w for w in result.warnings)


def test_debit_and_credit_columns_give_one_signed_amount():
    """A ledger export with Debit and Credit columns instead of one signed amount: the debit was taken as the
    amount and a credit-only line was flagged amount_missing, its money lost. The amount is the debit less the
    credit; a Credit column of flags (not money) changes nothing."""
    data = csv_bytes(["Supplier Name,Payment Date,Debit,Credit", "A Ltd,01/05/2024,120.00,", "B Ltd,02/05/2024,,45.50",
                      'C Ltd,03/05/2024,"1,000.00",10.00', "D Ltd,04/05/2024,,"])
    result = parse(data)
    assert result.rows.get_column("amount").to_list() == [Decimal("120.00"), Decimal("-45.50"), Decimal("990.00"), None]
    assert result.rows.get_column("row_flags").to_list() == [None, None, None, "amount_missing"]
    assert result.mapping["amount"]["header"] == "Debit"
    flags = parse(csv_bytes(["Supplier Name,Payment Date,Amount,Credit", "A Ltd,01/05/2024,120.00,N",
                             "B Ltd,02/05/2024,-45.50,Y"]))
    assert flags.rows.get_column("amount").to_list() == [Decimal("120.00"), Decimal("-45.50")]
    assert flags.rows.get_column("other_attributes").to_list() == ['{"Credit":"N"}', '{"Credit":"Y"}']


def test_amounts_read_in_tiers_equal_the_full_clean_up():
    """parse_amounts reads a cell by the cheapest step that can (a cast; "£" and commas dropped and a cast;
    the whole of amount_expr): on cells made of every piece the clean-up knows, in any order, each tier's
    reading equals amount_expr's."""
    import random

    from pipelines.spend import values
    rng = random.Random(10)
    pieces = ["", " ", "£", "-", "(", ")", "CR", " cr.", " DR", "\u2212", ",", "'", "GBP", "+", "€", "\u00c2",
              "1", "23", "456", ".", "7", "00", "x", "E+3"]
    cells = sorted({"".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))) for _ in range(20_000)})
    cells += ["£1,234.56", "(£1,234.56)", "1,234.56 CR", "-50.00 CR", " £ -  ", "--", "\u221260.00", "1.2E+3"]
    series = pl.Series("v", cells)
    full = pl.DataFrame({"v": series}).select(values.amount_expr(pl.col("v"))).to_series()
    tiered = values.parse_amounts(series)
    assert tiered.eq_missing(full).all(), [c for c, a, b in zip(cells, tiered, full) if a != b][:5]
    assert full.drop_nulls().len() > 1000  # the cells are not all unreadable
    assert full.to_list()[-8:] == [Decimal(x) if x else None for x in
                                   ("1234.56", "-1234.56", "-1234.56", "-50.00", "0", None, "-60.00", "1200.00")]


def test_lines_quoted_whole_are_read_as_the_records_they_hold():
    """An export that quoted each line as one field ("Supplier Name,Payment Date,Amount") read as one column:
    the file was refused (no amount column). The cells are read again as records, quotes inside them included;
    a blank line keeps the row numbers in step. One column of prose is left as it is."""
    lines = [HEADER, '"Smith, Jones & Co",01/05/2024,10.00', "", 'B Ltd,02/05/2024,"1,250.00"', "C Ltd,03/05/2024,7.50"]
    quoted = ['"' + line.replace('"', '""') + '"' if line else "" for line in lines]
    result = parse(csv_bytes(quoted))
    assert result.kind == "spend", result.reason
    assert result.rows.select("supplier_name", "amount", "row_number").rows() == [
        ("Smith, Jones & Co", Decimal("10.00"), 2), ("B Ltd", Decimal("1250.00"), 4), ("C Ltd", Decimal("7.50"), 5)]
    assert any("each line was one quoted field" in w for w in result.warnings)
    prose = parse(csv_bytes(["Notes", '"Payments over £500, excluding VAT."', "Contact the finance team"]))
    assert (prose.kind, prose.reason_code) == ("rejected", "unmapped_header")
    assert not any("quoted field" in w for w in prose.warnings)


def test_cr_only_line_endings_and_quoted_newline():
    data = csv_bytes([HEADER, '"Multi\nLine Ltd",01/05/2024,10.00', "Other Ltd,02/05/2024,20.00"], newline="\r")
    result = parse(data)
    assert result.rows.height == 2
    assert result.rows.item(0, "supplier_name") == "Multi Line Ltd"  # whitespace squished, record kept whole
    assert result.rows.get_column("row_number").to_list() == [2, 3]


def test_mixed_line_endings_nul_and_nbsp():
    data = ("Supplier Name,Payment Date,Amount\r\nA\u00a0Ltd,01/05/2024,10.00\nB\u2009Ltd,02/05/2024,5\r\n").encode()
    data = data.replace(b"B", b"B\x00", 1)
    rows = parse(data).rows
    assert rows.get_column("supplier_name").to_list() == ["A Ltd", "B Ltd"]


# Unicode White_Space, what str.strip_chars removes; U+001C-U+001F are not in it (Python's str.strip takes them)
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")


def cleaned_cell(cell: str | None) -> str | None:
    """One cell cleaned by parsing.md's rules, on its own (never depending on the other cells)."""
    if cell is None:
        return None
    if not cell.isascii():
        cell = re.sub("[\u00a0\u2000-\u200a\u2020\u202f\u205f\u3000\ufeff\x00]", " ", cell)
        cell = unicodedata.normalize("NFKC", re.sub("[\u0080-\u009f]", "", cell))
    return cell.strip(WHITE_SPACE) or None


@pytest.mark.parametrize("edge", ["\t", "\n", "\r", "\x0b", "\x0c", " ", "\x1c", "\x1f", "\x01", "\x7f", "\u2028",
                                  "\u1680", "\u0085", "\u00a0", "\u3000", "\u200b", "é"])
def test_a_cell_is_stripped_exactly_when_an_edge_is_white_space(edge):
    """Each cell is cleaned as it would be alone, whatever else its column holds: beside plain ASCII cells
    (stripped when a first or last byte is white space) and beside a cell of non-ASCII text."""
    for cell in (f"{edge}Parks", f"Parks{edge}", edge, f"{edge}Pa{edge}rks{edge}", f"Pa{edge}rks", "", None):
        frame = pl.DataFrame({"c0": ["Parks", cell, "Roads"], "c1": [cell, "Café", None]},
                             schema={"c0": pl.String, "c1": pl.String}).with_row_index("row_number")
        got = _clean_cells(frame)
        for column in ("c0", "c1"):
            assert got.get_column(column).to_list() == [cleaned_cell(c) for c in frame.get_column(column)], \
                (column, cell)


def test_amounts_in_the_payee_or_date_column_stay_where_they_are():
    """A repair takes a shifted amount from descriptive columns only: an amount in the payee or the date column
    stays there (its line flagged), so what the payees and dates say is read once, before any repair."""
    body = [f"0{1 + i % 9}/04/2024,Supplier {i} Ltd,{100 + i}.00,Parks" for i in range(20)]
    data = csv_bytes(["Date,Supplier,Amount,Dept", *body, "10/04/2024,750.00,,Parks", "650.00,Beta Ltd,,Parks",
                      "11/04/2024,Gamma Ltd,,812.50"])
    rows = parse(data).rows.tail(3)
    assert rows.get_column("supplier_name").to_list() == ["750.00", "Beta Ltd", "Gamma Ltd"]
    assert rows.get_column("payment_date").to_list() == [dt.date(2024, 4, 10), None, dt.date(2024, 4, 11)]
    assert rows.get_column("amount").to_list() == [None, None, Decimal("812.50")]
    assert rows.get_column("row_flags").to_list() == ["amount_missing,supplier_numeric",
                                                      "amount_missing,date_unparsed", "shifted_repaired"]


def test_cp1252_pound_in_header_and_value():
    data = csv_bytes(["Supplier Name,Payment Date,Net Amount (£)", "A Ltd,01/05/2024,£322.50"], encoding="cp1252")
    result = parse(data)
    assert result.encoding == "cp1252"
    assert result.header["Net Amount (£)"] == "amount"
    assert result.rows.item(0, "amount") == Decimal("322.50")


def test_header_on_the_last_line():
    data = csv_bytes(["A Ltd,01/05/2024,10.00", "B Ltd,02/05/2024,20.00", HEADER])
    result = parse(data)
    assert result.rows.height == 2
    assert result.rows.get_column("amount").sum() == Decimal("30.00")
    assert any("last line" in w for w in result.warnings)


def test_title_rows_and_header_split_over_two_rows():
    data = csv_bytes(["Payments over £500 - May 2024,,", ",,", "Supplier,Payment,Net", ",Date,Amount",
                      "A Ltd,01/05/2024,10.00"])
    result = parse(data)
    assert result.rows.height == 1
    assert result.header == {"Supplier": "supplier_name", "PaymentDate": "payment_date", "NetAmount": "amount"}


def test_html_served_as_csv_rejected():
    html = b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head><body>challenge</body></html>"
    result = parse(html, filename="spend-2024-05.csv")
    assert (result.kind, result.reason_code) == ("rejected", "html_page")


def test_empty_and_pdf_rejected():
    assert parse(b"").reason_code == "empty"
    assert parse(b"\r\n \r\n").reason_code == "empty"
    assert parse(b"%PDF-1.7\n...").reason_code == "pdf"


def test_unmapped_header_lists_headers():
    result = parse(csv_bytes(["Foo,Bar,Baz", "1,2,3"]))
    assert result.reason_code == "ambiguous_column"  # three number columns and no words: nobody could tell
    assert "Foo" in result.reason and "amount" in result.reason
    result = parse(csv_bytes(["Supplier Name,Widget", "A Ltd,3"]))
    assert result.reason_code == "unmapped_header"


def test_missing_date_column_dated_by_the_files_period_else_rejected():
    """A file with no payment date column (Darlington's "Supplier, Invoice Line Value" under a "Jun-13"
    title) is dated as a person would date it: by the month or quarter its file name or link names, every line
    flagged date_missing. With no such period, or only a year, nobody could date it: rejected."""
    lines = ["Directorate,Supplier,Invoice Line Value (net of VAT)", "People,A Ltd,600.00", "Place,B Ltd,700.50"]
    assert parse(csv_bytes(lines)).reason_code == "unmapped_header"
    yearly = parse(csv_bytes(lines), filename="spend-2024.csv")
    assert yearly.reason_code == "unmapped_header" and "no month or quarter" in yearly.reason
    for name, label, precision in (("spend-2024-05.csv", None, "month"), ("data.csv", "April to June 2024", "quarter")):
        result = parse(csv_bytes(lines), filename=name, hints={"link_text": label} if label else None)
        assert result.kind == "spend", result.reason
        rows = result.rows
        assert rows.get_column("amount").sum() == Decimal("1300.50")
        assert rows.get_column("payment_date").null_count() == 2
        assert set(rows.get_column("date_precision")) == {precision}
        assert set(rows.get_column("row_flags")) == {"date_missing"}
        assert any("no payment date column; lines dated by the file's period" in w for w in result.warnings)


def test_an_undated_sheet_beside_dated_sheets_is_skipped_not_counted_twice():
    """A supplier list with amounts and no dates next to the dated transactions is a summary of them: its money
    must not be added to theirs, period or not. Undated sheets on their own are dated by the period."""
    dated = [["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", 600], ["B Ltd", "02/05/2024", 700]]
    undated = [["Supplier Name", "Amount"], ["A Ltd", 600], ["B Ltd", 700]]
    result = parse(_workbook({"Transactions": dated, "By supplier": undated}), filename="spend-2024-05.xlsx")
    assert result.kind == "spend", result.reason
    assert result.sheets == ["Transactions"] and result.rows.get_column("amount").sum() == Decimal("1300")
    assert result.dropped_by_reason == {"header": 1, "sheet_without_table": 3}
    assert any("'By supplier' skipped: no payment date column" in w for w in result.warnings)
    both = parse(_workbook({"April": undated, "May": undated}), filename="spend-2024-05.xlsx")
    assert both.sheets == ["April", "May"] and both.rows.height == 4


def test_a_table_without_header_or_dates_is_not_dated_by_the_period():
    """MoD's summary of totals per contract under its month, with no header: nothing says these are payments,
    so the file's period does not make them so."""
    lines = ["CONTRACTS WHERE THE GPC IS THE PAYMENT METHOD,", "SUMMARY OF EXPENDITURE,", ",Dec-11",
             "STATIONERY CONTRACT,1234567.89", "DEFENCE TRAVEL CONTRACT - SCHEDULE AIRLINES,2345678.90",
             "PAPER CONTRACT,0"]
    result = parse(csv_bytes(lines), filename="GPC_DATA_DEC_2011.csv")
    assert result.reason_code == "unmapped_header" and "payment date" in result.reason
    assert "no month or quarter" not in result.reason  # there is one; the sheet is refused for having no header


def test_a_file_dated_wholly_outside_its_named_period_is_kept_and_said():
    lines = [HEADER, "A Ltd,01/12/2010,600.00", "B Ltd,13/12/2010,700.00"]
    outside = parse(csv_bytes(lines), filename="August-2010.csv")
    assert outside.kind == "spend" and outside.rows.height == 2
    assert [w for w in outside.warnings if w.startswith("period_mismatch")] == [
        "period_mismatch: no line is dated within the period 2010-08 that the file name or link gives "
        "(lines dated 2010-12-01 to 2010-12-13)"]
    inside = parse(csv_bytes(lines), filename="December-2010.csv")
    assert not any(w.startswith("period_mismatch") for w in inside.warnings)


def test_a_spreadsheet_error_in_a_header_cell_names_nothing():
    """Ofwat's "#NAME?" over its department column read as the alias "Name" (a payee) and beat "Supplier"."""
    data = csv_bytes(["#NAME?,Date,Supplier,Amount", "OFWAT,01/04/2011,DELOITTE,1000.00",
                      "OFWAT,02/04/2011,VIGLEN LTD,2000.00"])
    result = parse(data)
    assert result.header == {"#NAME?": "other_attributes", "Date": "payment_date", "Supplier": "supplier_name",
                             "Amount": "amount"}
    assert result.rows.get_column("supplier_name").to_list() == ["DELOITTE", "VIGLEN LTD"]


def test_a_period_named_file_still_maps_its_date_column_by_content():
    """The period stands in only for a missing date column: an unknown date header is still found by content."""
    result = parse(csv_bytes(["Supplier Name,Settled,Amount"] + _lines("{s},{d},{a}")), filename="spend-2016-10.csv")
    assert result.kind == "spend", result.reason
    assert result.mapping["payment_date"] == {"header": "Settled", "basis": "content",
                                              "score": result.mapping["payment_date"]["score"]}
    assert set(result.rows.get_column("date_precision")) == {"day"}


def test_an_amount_named_like_a_pivot_total_still_has_its_dates_found():
    """"Total" over the amounts can head a pivot of totals per supplier, which needs no date column. The lines
    of a file with a column of days under an unknown header ("Paid") were loaded undated all the same, as
    supplier totals, without a warning (and with no period in the file name, with no date at all)."""
    for filename in ("spend-2016-10.csv", "spend.csv"):
        result = parse(csv_bytes(["Supplier Name,Paid,Total"] + _lines("{s},{d},{a}")), filename=filename)
        assert result.kind == "spend", result.reason
        assert result.grain == "transaction"
        assert result.mapping["payment_date"]["header"] == "Paid"
        assert result.rows.get_column("payment_date").null_count() == 0
        assert set(result.rows.get_column("date_precision")) == {"day"}


def test_missing_date_column_rejected_unless_aggregate():
    assert parse(csv_bytes(["Supplier Name,Amount", "A Ltd,10"])).reason_code == "unmapped_header"
    aggregate = parse(csv_bytes(["Supplier Name,Sum of Net Amount", "A Ltd,10", "B Ltd,5"]), filename="2024-05.csv")
    assert aggregate.kind == "spend" and aggregate.grain == "supplier_month"
    assert set(aggregate.rows.get_column("date_precision")) == {"month"}


def test_header_overrides_and_ignored_columns():
    data = csv_bytes(["Supplier ID(T),Paid On,Value GBP,Junk", "Acme Ltd,01/05/2024,10.00,x"])
    by_content = parse(data)  # names under an id header, an unknown date and amount header: read by content
    assert by_content.kind == "spend", by_content.reason
    assert {f: m["basis"] for f, m in by_content.mapping.items()} == {
        "supplier_name": "content", "payment_date": "content", "amount": "content"}
    result = parse(data, hints={"header_overrides": {"Supplier ID(T)": "supplier_name", "Paid On": "payment_date",
                                                     "Value GBP": "amount"}, "ignore_columns": ["Junk"]})
    assert result.kind == "spend"
    assert result.rows.item(0, "supplier_name") == "Acme Ltd"
    assert result.rows.item(0, "other_attributes") is None


def test_unmapped_extra_columns_kept_as_json():
    data = csv_bytes(["Supplier Name,Payment Date,Amount,Ward", "A Ltd,01/05/2024,10.00,North"])
    rows = parse(data).rows
    assert rows.item(0, "other_attributes") == '{"Ward":"North"}'


def test_repeated_header_names_are_numbered_not_refused():
    """Real exports repeat a name over a code column and its description (Wakefield's "Class Code", Craven's
    "Cost Centre Code"): the file parses and each column keeps its cells under its own numbered name, never
    one already in the header."""
    data = csv_bytes(["Supplier Name,Payment Date,Class Code,Class Code,Class Code (2),Amount,Amount",
                      "A Ltd,01/05/2024,CAT10,Vehicle Hire,x,600.00,720.00"])
    result = parse(data)
    assert result.kind == "spend", result.reason
    assert result.rows.item(0, "amount") == Decimal("600.00")
    assert result.rows.item(0, "other_attributes") == (
        '{"Class Code":"CAT10","Class Code (3)":"Vehicle Hire","Class Code (2)":"x","Amount (2)":"720.00"}')
    assert result.header == {"Supplier Name": "supplier_name", "Payment Date": "payment_date",
                             "Class Code": "other_attributes", "Class Code (3)": "other_attributes",
                             "Class Code (2)": "other_attributes", "Amount": "amount", "Amount (2)": "other_attributes"}
    assert any("repeated" in w and "'Amount', 'Class Code'" in w for w in result.warnings)


def test_repeat_numbers_never_meet_a_published_name():
    from pipelines.spend.parse import _numbered_repeats

    warnings: list[str] = []
    named = _numbered_repeats(["x"] * 4 + ["x (3)", "y", "x (2)"], warnings)
    assert named == ["x", "x (4)", "x (5)", "x (6)", "x (3)", "y", "x (2)"]
    assert warnings == ["header names repeated, later ones numbered: ['x']"]
    assert len(set(_numbered_repeats(["x"] * 20_000, []))) == 20_000


def test_headers_of_real_files_unseen_before():
    """Company and charity numbers, the body and capital/revenue, as Wakefield, Salford and Newcastle name them."""
    data = csv_bytes(["Authority Name,Supplier Name,Payment Date,Amount,Cap/Rev,Company Registration,"
                      "Charity Registration",
                      "Wakefield Council,A Ltd,01/05/2024,600.00,Revenue,06327334,N/A",
                      "Wakefield Council,B Trust,02/05/2024,700.00,Capital,,1012345"])
    result = parse(data)
    assert result.header == {"Authority Name": "body_name", "Supplier Name": "supplier_name",
                             "Payment Date": "payment_date", "Amount": "amount", "Cap/Rev": "capital_revenue",
                             "Company Registration": "supplier_company_no",
                             "Charity Registration": "supplier_charity_no"}
    rows = result.rows
    assert rows.get_column("supplier_company_no").to_list() == ["06327334", None]
    assert rows.item(1, "supplier_charity_no") == "1012345"


def test_zip_of_csvs_reads_every_member():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payments-2024-04.csv", "\r\n".join([HEADER, "A Ltd,01/04/2024,10.00", "B Ltd,02/04/2024,5.00"]))
        zf.writestr("payments-2024-05.csv", "\r\n".join([HEADER, "C Ltd,01/05/2024,1.00", "Grand Total,,1.00"]))
        zf.writestr("readme.pdf", b"%PDF-1.4")
    result = parse(buf.getvalue(), filename="q1.zip")
    assert sniff(buf.getvalue()) == "zip"
    assert result.sheets == ["payments-2024-04.csv", "payments-2024-05.csv"]
    assert result.rows.height == 3
    assert result.rows.get_column("amount").sum() == Decimal("16.00")
    assert result.declared_total == Decimal("1.00") and result.declared_total_reconciled is True
    assert any("readme.pdf" in w for w in result.warnings)


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    date_format = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, tuple):  # (serial, "date") = a date-formatted number cell
                    ws.write_number(r, c, value[0], date_format)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value is not None:
                    ws.write_string(r, c, value)
    wb.close()
    return buf.getvalue()


def test_xlsx_month_sheets_and_fractional_serials():
    serial = (dt.date(2024, 4, 2) - dt.date(1899, 12, 30)).days
    data = _workbook({
        "Apr 24": [["Spend over £500 - April 2024"], [], ["Supplier Name", "Payment Date", "Amount"],
                   ["A Ltd", (serial + 1 / 24, "date"), 100.5], ["B Ltd", serial + 0.5, 200]],
        "May 24": [["Supplier Name", "Payment Date", "Amount"], ["C Ltd", "03/05/2024", 300.999]],
        "Notes": [],
    })
    result = parse(data, filename="spend.xlsx")
    assert result.sheets == ["Apr 24", "May 24"]
    assert result.rows.get_column("payment_date").to_list() == [dt.date(2024, 4, 2)] * 2 + [dt.date(2024, 5, 3)]
    assert result.rows.get_column("amount").to_list() == [Decimal("100.50"), Decimal("200.00"), Decimal("301.00")]
    assert result.rows.get_column("row_number").to_list() == [4, 5, 2]  # spreadsheet rows, title rows counted


def _ods_cell(value) -> str:
    """A text cell, or a typed one as LibreOffice saves it: (value-type, value, displayed text)."""
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    kind, typed, shown = value
    attribute = "office:date-value" if kind == "date" else "office:value"
    currency = ' office:currency="GBP"' if kind == "currency" else ""
    return (f'<table:table-cell office:value-type="{kind}"{currency} {attribute}="{typed}"><text:p>{shown}</text:p>'
            f'</table:table-cell>')


def _ods(rows: list[list], padding_rows: int = 0) -> bytes:
    """A minimal OpenDocument spreadsheet written by hand (no ODS writer is installed); `padding_rows` empty
    rows of 1,024 columns below the table, as a sheet formatted to its end is saved."""
    cells = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    if padding_rows:
        cells += (f'<table:table-row table:number-rows-repeated="{padding_rows}">'
                  '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="May">{cells}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", manifest)
    return buf.getvalue()


def test_ods_workbook():
    data = _ods([["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", "12.50"],
                 ["B Ltd", "02/05/2024", "(2.50)"]])
    assert sniff(data) == "ods"
    result = parse(data, filename="spend.ods")
    assert result.kind == "spend", result.reason
    assert result.rows.get_column("amount").sum() == Decimal("10.00")


def test_ods_typed_cells_read_as_the_sheet_shows_them():
    """LibreOffice saves dates, currency and numbers as typed cells (a float's artefacts included); they read as
    the days and pence the sheet shows, and a sheet formatted down to its last row costs nothing more."""
    data = _ods([["Supplier Name", "Payment Date", "Amount"],
                 ["A Ltd", ("date", "2024-05-01", "01/05/2024"), ("currency", "1234.5", "£1,234.50")],
                 ["B Ltd", ("date", "2024-05-13T00:00:00", "13/05/2024"), ("float", "-2.5", "-2.50")],
                 ["C Ltd", ("date", "2024-05-20", "20 May 2024"), ("float", "0.30000000000000004", "0.30")]],
                padding_rows=1_048_000)
    result = parse(data, filename="May-2024.ods")
    assert result.kind == "spend", result.reason
    assert result.rows.get_column("payment_date").to_list() == [dt.date(2024, 5, 1), dt.date(2024, 5, 13),
                                                                   dt.date(2024, 5, 20)]
    assert result.rows.get_column("amount").to_list() == [Decimal("1234.50"), Decimal("-2.50"), Decimal("0.30")]
    assert result.rows.get_column("row_flags").null_count() == 3


def test_mixed_date_formats_in_one_column():
    data = csv_bytes([HEADER, "A,13/05/2024,1", "B,05-May-24,1", "C,2024-05-06,1", "D,7 May 2024,1",
                      "E,08/05/24,1", "F,45421,1", "G,not a date,1", "H,,1"])
    rows = parse(data).rows
    assert rows.get_column("payment_date").to_list()[:6] == [
        dt.date(2024, 5, 13), dt.date(2024, 5, 5), dt.date(2024, 5, 6), dt.date(2024, 5, 7),
        dt.date(2024, 5, 8), dt.date(2024, 5, 9)]
    assert rows.get_column("row_flags").to_list()[6:] == ["date_unparsed", "date_missing"]
    assert rows.height == 8


def test_day_first_unless_the_data_proves_month_first():
    uk = parse(csv_bytes([HEADER, "A,03/04/2024,1", "B,05/06/2024,1"])).rows
    assert uk.get_column("payment_date").to_list() == [dt.date(2024, 4, 3), dt.date(2024, 6, 5)]
    us = parse(csv_bytes([HEADER, "A,03/04/2024,1", "B,05/26/2024,1", "C,12/31/2024,1"])).rows
    assert us.get_column("payment_date").to_list() == [dt.date(2024, 3, 4), dt.date(2024, 5, 26),
                                                       dt.date(2024, 12, 31)]


@pytest.mark.parametrize("cells, month", [
    (["04/01/2023", "04/05/2023", "04/12/2023", "04/03/2023"], 4),  # month-first: one April, not four months
    (["01/04/2023", "05/04/2023", "12/04/2023", "03/04/2023"], 4),  # day-first: one April
    (["04/01/23", "04/05/23", "04/12/23"], 4),                      # two-digit years alike
])
def test_days_all_twelve_or_under_are_read_in_the_order_that_keeps_them_in_one_month(cells, month):
    """Every day of the first twelve reads both ways; the reading that puts a file's dates in one month, where
    the other spreads them over months, is the one a person would take. Otherwise day-first, the UK's order."""
    rows = parse(csv_bytes([HEADER] + [f"{SUPPLIERS[i]},{c},{i + 1}.00" for i, c in enumerate(cells)])).rows
    dates = rows.get_column("payment_date").to_list()
    assert {d.month for d in dates} == {month} and {d.year for d in dates} == {2023}
    assert rows.get_column("row_flags").null_count() == len(cells)
    annual = parse(csv_bytes([HEADER, "A,03/04/2023,1", "B,05/08/2023,1", "C,10/12/2023,1", "D,02/01/2024,1"])).rows
    assert annual.get_column("payment_date").to_list() == [  # spread over months either way: day-first
        dt.date(2023, 4, 3), dt.date(2023, 8, 5), dt.date(2023, 12, 10), dt.date(2024, 1, 2)]


@pytest.mark.parametrize("filename, day_first", [
    ("spend.csv", False),                               # no period: month-first keeps them in one month (May)
    ("spending-2023-24.csv", True),                     # a year's file: the 5th of each month
    ("payments-january-to-december-2023.csv", True),    # a calendar year's file alike
    ("spend-may-2023.csv", False),                      # May's file: May's payments
    ("spend-september-2023.csv", False),                # September's holds few either way (a mislabel)
    ("spend-august-2023.csv", False),                   # (day-first puts one of nine in it)
])
def test_the_files_period_tells_the_order_of_days_all_twelve_or_under(filename, day_first):
    """Payments on the 5th of April to December read both ways: the 5th of nine months, or May's first to ninth
    days. The period the file's name gives decides: the reading that puts more lines inside it wins, day-first
    when both put as many; with no period, or one holding under half the lines either way, the reading that keeps
    a file in one month."""
    cells = [f"05/{m:02d}/2023" for m in range(4, 13)]
    rows = parse(csv_bytes([HEADER] + [f"{SUPPLIERS[i % 8]},{c},{i + 1}.00" for i, c in enumerate(cells)]),
                 filename=filename).rows
    expected = [dt.date(2023, m, 5) if day_first else dt.date(2023, 5, m) for m in range(4, 13)]
    assert rows.get_column("payment_date").to_list() == expected
    assert rows.get_column("row_flags").null_count() == len(cells)


def test_days_without_a_year_are_read_inside_the_files_period():
    """A date column exported without its year ("03-Apr", "3 April", "03/04", day first) dates its lines by the
    day of that name inside the file's period, in a financial year's either calendar year, with a warning; with
    no period in the file's name no year is guessed (the lines are kept, flagged)."""
    cells = ["03-Apr", "4 April", "05/04", "06-Jan"]
    data = csv_bytes([HEADER] + [f"{SUPPLIERS[i]},{c},{i + 1}.00" for i, c in enumerate(cells)])
    year = parse(data, filename="spending-2023-24.csv")
    assert year.rows.get_column("payment_date").to_list() == [
        dt.date(2023, 4, 3), dt.date(2023, 4, 4), dt.date(2023, 4, 5), dt.date(2024, 1, 6)]
    assert year.rows.get_column("date_precision").unique().to_list() == ["day"]
    assert year.rows.get_column("row_flags").null_count() == 4
    assert any("4 payment dates carry no year" in w for w in year.warnings), year.warnings
    assert not any("holds few payment date values" in w for w in year.warnings), year.warnings
    april = parse(data, filename="spend-2023-04.csv").rows  # January's day is not in April: none guessed
    assert april.get_column("payment_date").to_list()[:3] == [dt.date(2023, 4, 3), dt.date(2023, 4, 4),
                                                              dt.date(2023, 4, 5)]
    assert april.get_column("row_flags").to_list()[3] == "date_unparsed"
    unknown = parse(data, filename="spend.csv")
    assert unknown.rows.get_column("payment_date").null_count() == 4
    assert unknown.rows.get_column("row_flags").to_list() == ["date_unparsed"] * 4
    assert any("give no period to date the lines by" in w for w in unknown.warnings), unknown.warnings


def test_the_first_of_each_month_is_a_column_of_periods_not_januarys_days():
    """A year's lines each dated the first of its month (an accounting period written as a date), in a file whose
    name gives no period: read month-first they would be twelve consecutive days of one January; day-first they
    are the first of twelve months, as a person reads them. Two months are too few to tell (the spread rule)."""
    cells = [f"01/{m:02d}/2023" for m in range(1, 13)]
    rows = parse(csv_bytes([HEADER] + [f"{SUPPLIERS[i % 8]},{c},{i + 1}.00" for i, c in enumerate(cells)]),
                 filename="spend.csv").rows
    assert rows.get_column("payment_date").to_list() == [dt.date(2023, m, 1) for m in range(1, 13)]
    assert rows.get_column("date_precision").unique().to_list() == ["day"]
    two = parse(csv_bytes([HEADER, "A,01/04/2023,1", "B,01/08/2023,1"]), filename="spend.csv").rows
    assert two.get_column("payment_date").to_list() == [dt.date(2023, 1, 4), dt.date(2023, 1, 8)]


@pytest.mark.parametrize("cells, days", [
    (["01-04-23", "13-04-23"], [(2023, 4, 1), (2023, 4, 13)]),                        # dd-mm-yy
    (["01.04.23", "13.04.23"], [(2023, 4, 1), (2023, 4, 13)]),                        # dd.mm.yy
    (['"Saturday, 1 April 2023"', '"Thursday, 13 April 2023"'], [(2023, 4, 1), (2023, 4, 13)]),  # Excel long
    (["Sat 01 Apr 2023", "Wed 12th April 2023"], [(2023, 4, 1), (2023, 4, 12)]),      # weekday, ordinal
    (['"Apr 1, 2023"', '"April 13th, 2023"', '"Sept 3, 2023"'], [(2023, 4, 1), (2023, 4, 13), (2023, 9, 3)]),
])
def test_more_day_forms(cells, days):
    """Day forms of real exports: two-digit years with dashes or dots, a weekday before the day (Excel's long
    date), the month named before the day. Every line is dated, none flagged."""
    result = parse(csv_bytes([HEADER] + [f"{SUPPLIERS[i]},{cell},{i + 1}.00" for i, cell in enumerate(cells)]))
    assert result.rows.get_column("payment_date").to_list() == [dt.date(*d) for d in days]
    assert result.rows.get_column("row_flags").null_count() == len(days)


def test_excel_text_forms_are_read():
    """Exports that keep text as text: Excel's ="..." formula in any column, and its ' prefix on amounts and
    dates. A file of such cells was refused (amount_unparseable); a formula with no text stays unread."""
    data = csv_bytes([HEADER, "A Ltd,'01/04/2023,'500.00", 'B Ltd,02/04/2023,"=""600.00"""',
                      'C Ltd,"=""03/04/2023""",700.00', '"=""D Ltd""",04/04/2023,"=""1,800.00"""',
                      "E Ltd,05/04/2023,=900"])
    result = parse(data)
    assert result.kind == "spend", result.reason
    rows = result.rows
    assert rows.get_column("supplier_name").to_list() == ["A Ltd", "B Ltd", "C Ltd", "D Ltd", "E Ltd"]
    assert rows.get_column("payment_date").to_list() == [dt.date(2023, 4, d) for d in range(1, 6)]
    assert rows.get_column("amount").to_list() == [Decimal(x) for x in ("500.00", "600.00", "700.00", "1800.00")
                                                   ] + [None]
    assert rows.item(4, "row_flags") == "amount_unparsed"


def test_unlabelled_total_row_dropped_and_reconciled():
    data = csv_bytes(["Department,Supplier Name,Payment Date,Amount", "Parks,A Ltd,01/05/2024,10.00",
                      "Parks,B Ltd,02/05/2024,-2.50", ",,,7.50", ",,,"])
    result = parse(data)
    assert result.rows.height == 2
    assert result.declared_total == Decimal("7.50") and result.declared_total_reconciled is True
    assert dict(result.dropped_rows.group_by("reason").len().iter_rows()) == {"unlabelled_total": 1, "blank": 1}


def test_totals_above_the_lines_or_over_subtotals_and_counts_under_them():
    """A total above the lines it sums was "declared total does not match the lines above" (there were none);
    subtotals and their grand total were summed into a declared total twice the file's; a count under the lines
    ("Count,,,3") was kept as a payment of £3 with no payee and no date."""
    lines = ["Parks,A Ltd,01/05/2024,10.00", "Parks,B Ltd,02/05/2024,-2.50", "Roads,C Ltd,03/05/2024,5.00"]
    head = "Department,Supplier Name,Payment Date,Amount"
    top = parse(csv_bytes([head, "Total,,,12.50", *lines]))
    assert (top.declared_total, top.declared_total_reconciled) == (Decimal("12.50"), True)
    assert not any("does not match" in w for w in top.warnings)
    subtotals = parse(csv_bytes([head, *lines[:2], ",Sub Total,,7.50", lines[2], ",Sub Total,,5.00",
                                 ",Grand Total,,12.50", "Count,,,3", "Average,,,4.17"]))
    assert (subtotals.declared_total, subtotals.declared_total_reconciled) == (Decimal("12.50"), True)
    assert subtotals.rows.get_column("supplier_name").to_list() == ["A Ltd", "B Ltd", "C Ltd"]
    assert subtotals.dropped_by_reason == {"header": 1, "total": 3, "summary": 2}
    only_subtotals = parse(csv_bytes([head, *lines[:2], ",Sub Total,,7.50", lines[2], ",Sub Total,,5.00"]))
    assert only_subtotals.declared_total == Decimal("12.50")
    wrong = parse(csv_bytes([head, *lines, ",Total,,99.00"]))
    assert (wrong.declared_total, wrong.declared_total_reconciled) == (Decimal("99.00"), False)


def test_a_note_in_the_payee_column_is_a_note_not_a_payment():
    """Footnotes written in the first column, the payee's, and a report's page title repeated with its header:
    a row with no amount and no date is a note (dropped with its reason and cells); a payee with a date but no
    amount is a line, flagged."""
    data = csv_bytes(["Department,Supplier Name,Payment Date,Amount", "Parks,A Ltd,01/05/2024,10.00",
                      "Parks,B Ltd,,", "Roads,C Ltd,02/05/2024,", ",Notes:,,",
                      ',"Payments to individuals are redacted (personal data, withheld under UK GDPR)",,',
                      "Example Council,Page 2,,", "Department,Supplier Name,Payment Date,Amount",
                      "Roads,D Ltd,03/05/2024,20.00"])
    result = parse(data)
    assert result.rows.get_column("supplier_name").to_list() == ["A Ltd", "C Ltd", "D Ltd"]
    assert result.rows.get_column("row_flags").to_list() == [None, "amount_missing", None]
    notes = result.dropped_rows.filter(pl.col("reason") == "note")
    assert notes.get_column("cells").to_list() == [
        "Parks|B Ltd", "Notes:", "Payments to individuals are redacted (personal data, withheld under UK GDPR)",
        "Example Council|Page 2"]
    assert result.dropped_by_reason["repeated_header"] == 1
    assert result.rows_in == result.rows.height + sum(result.dropped_by_reason.values())


def test_a_page_footer_in_the_date_column_is_a_note():
    """A report printed to CSV repeats its page footer and title in its first column, here the date's ("Page 1
    of 2", "Spending over £500 April 2024"): no amount, no payee and no date read, so a note, not a line; a
    payee whose date cell cannot be read and who has no amount is still a line, flagged."""
    data = csv_bytes(["Payment Date,Supplier Name,Amount", "01/04/2024,A Ltd,10.00", "Page 1 of 2,,",
                      "Spending over £500 April 2024,,", "Payment Date,Supplier Name,Amount",
                      "02/04/2024,B Ltd,20.00", "unknown,C Ltd,"])
    result = parse(data)
    assert result.rows.get_column("supplier_name").to_list() == ["A Ltd", "B Ltd", "C Ltd"]
    assert result.rows.get_column("row_flags").to_list()[2] == "amount_missing,date_unparsed"
    notes = result.dropped_rows.filter(pl.col("reason") == "note").get_column("cells").to_list()
    assert notes == ["Page 1 of 2", "Spending over £500 April 2024"]
    assert result.rows_in == result.rows.height + sum(result.dropped_by_reason.values())


def test_an_amount_to_a_part_of_a_penny_is_rounded_and_said():
    """A published amount of more than two decimals ("1,234.567") is counted rounded to the penny, half to even,
    its line flagged and a warning giving the count; a float's artefact ("473.52000000000004") and trailing
    zeros ("1234.5600") are no part of a penny."""
    data = csv_bytes([HEADER, 'A Ltd,01/05/2024,"1,234.567"', "B Ltd,02/05/2024,1234.5650",
                      "C Ltd,03/05/2024,473.52000000000004", "D Ltd,04/05/2024,1234.5600"])
    result = parse(data)
    assert result.rows.get_column("amount").to_list() == [
        Decimal("1234.57"), Decimal("1234.56"), Decimal("473.52"), Decimal("1234.56")]
    assert result.rows.get_column("row_flags").to_list() == ["amount_rounded", "amount_rounded", None, None]
    assert any(w.startswith("amount_rounded:") and " 2 amounts" in w for w in result.warnings), result.warnings


def test_amount_only_row_that_is_not_a_total_is_kept_and_flagged():
    data = csv_bytes([HEADER, "A Ltd,01/05/2024,10.00", ",,99.00"])
    result = parse(data)
    assert result.rows.height == 2
    assert result.rows.item(1, "row_flags").startswith("amount_only")


def test_whole_cell_total_labels_only():
    data = csv_bytes([HEADER, "Total Gas & Power Ltd,01/05/2024,100.00", "Total Care Ltd,02/05/2024,50.00",
                      "Grand Total,,150.00", "TOTAL,,150.00"])
    result = parse(data)
    assert result.rows.get_column("supplier_name").to_list() == ["Total Gas & Power Ltd", "Total Care Ltd"]
    assert result.dropped_rows.get_column("reason").to_list() == ["total", "total"]


@pytest.mark.parametrize("name,kind", [
    ("Redactive Publishing Ltd", "none"), ("CONFIDENTIAL WASTE REMOVAL", "none"),
    ("PRIVATE RESIDENTIAL CARE", "none"), ("THIRD PARTY SUPPLIER", "personal"), ("REDACTED", "personal"),
    ("Redacted personal information", "personal"), ("REDACTED UNDER DP ACT", "personal"),
    ("REDACTED COMMERCIAL CONFIDENTIALITY", "commercial"), ("Commercially sensitive", "commercial"),
    ("YOUNG DEVON (IVYBRIDGE)****5215", "pseudonymised"), ("", "unlabelled_blank"),
    ("Total Gas & Power Ltd", "none"), ("Withheld", "personal"), ("Personal Data", "personal"),
])
def test_redaction_kinds(name, kind):
    rows = parse(csv_bytes([HEADER, f'"{name}",01/05/2024,600.00'])).rows
    assert rows.item(0, "redaction_kind") == kind


def test_per_source_redaction_label():
    data = csv_bytes([HEADER, "FOSTER CARER,01/05/2024,600.00"])
    assert parse(data).rows.item(0, "redaction_kind") == "none"
    assert parse(data, hints={"redaction_labels": ["Foster Carer"]}).rows.item(0, "redaction_kind") == "personal"


def test_threshold_flag_and_lineage():
    data = csv_bytes([HEADER, "A Ltd,01/05/2024,499.99", "B Ltd,01/05/2024,-600", "C Ltd,01/05/2024,250"])
    result = parse(data, council_gss="E06000052", source_url="http://127.0.0.1/x.csv", hints={"threshold": 250})
    rows = result.rows
    assert rows.get_column("below_threshold").to_list() == [False, False, False]
    assert parse(data).rows.get_column("below_threshold").to_list() == [True, False, True]
    assert parse(data, hints={"threshold": None}).rows.get_column("below_threshold").to_list() == [False] * 3
    assert set(rows.get_column("council_gss")) == {"E06000052"}
    assert set(rows.get_column("source_url")) == {"http://127.0.0.1/x.csv"}
    assert rows.get_column("publication_id").n_unique() == 1
    assert rows.item(0, "publication_id") == rows.item(0, "source_sha256") == result.publication_id
    assert rows.get_column("row_fingerprint").n_unique() == 3


def test_shifted_amount_repaired():
    data = csv_bytes(["Supplier Name,Payment Date,Category,Amount", "A Ltd,01/05/2024,Training,10.00",
                      "B Ltd,01/05/2024,Vehicles,20.00", "C Ltd,01/05/2024,Fuel,30.00", "D Ltd,01/05/2024,45.10,"])
    rows = parse(data).rows
    assert rows.item(3, "amount") == Decimal("45.10")
    assert rows.item(3, "expense_type") is None
    assert rows.item(3, "row_flags") == "shifted_repaired"


def test_pcard_hint_and_card_column():
    data = csv_bytes(["Supplier Name,Payment Date,Amount,Procurement Card", "A,01/05/2024,1,Yes", "B,01/05/2024,1,No"])
    assert parse(data).rows.get_column("is_card").to_list() == [True, False]
    assert parse(data, hints={"dataset_kind": "pcard"}).rows.get_column("is_card").all()


def test_decode_never_latin1():
    data = csv_bytes([HEADER, "Caf\u00e9 \u2018Smart\u2019 Ltd \u20ac,01/05/2024,1"], encoding="cp1252")
    assert parse(data).rows.item(0, "supplier_name") == "Café \u2018Smart\u2019 Ltd €"


def test_rejected_result_shape_and_determinism():
    data = csv_bytes([HEADER, "A Ltd,01/05/2024,10.00"])
    first, second = parse(data), parse(data)
    assert first.rows.equals(second.rows)
    assert first.rows.schema == second.rows.schema
    assert isinstance(first.dropped_rows, pl.DataFrame)


def test_loose_total_labels_only_without_supplier_and_date():
    data = csv_bytes(["Department,Supplier Name,Payment Date,Amount", "Parks,A Ltd,01/05/2024,10.00",
                      "Total for May,,,10.00", "Total Care,B Ltd,02/05/2024,5.00", "Total,Total Gas Ltd,,7.00"])
    result = parse(data)
    assert result.rows.get_column("supplier_name").to_list() == ["A Ltd", "B Ltd", "Total Gas Ltd"]
    assert result.dropped_rows.get_column("reason").to_list() == ["total"]


def test_summary_sheet_beside_transactions_skipped():
    data = _workbook({"Transactions": [["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", 10]],
                      "Pivot": [["Supplier Name", "Sum of Amount"], ["A Ltd", 10]]})
    result = parse(data, filename="spend.xlsx")
    assert result.sheets == ["Transactions"] and result.rows.height == 1


def test_header_only_file_is_empty():
    result = parse(csv_bytes([HEADER, ",,"]))
    assert (result.kind, result.reason_code) == ("rejected", "empty")


def test_utf16_tab_separated_export():
    data = "Supplier Name\tPayment Date\tAmount\r\nA Ltd\t1/5/2024\t£10.00\r\n".encode("utf-16")
    result = parse(data, filename="spend.txt")
    assert result.encoding == "utf-16"
    assert result.rows.item(0, "payment_date") == dt.date(2024, 5, 1)
    assert result.rows.item(0, "amount") == Decimal("10.00")


def test_net_amount_preferred_over_gross_and_payment_over_invoice_date():
    data = csv_bytes(["Invoice Date,Supplier Name,Gross Amount,Net Amount,Payment Date",
                      "01/04/2024,A Ltd,120.00,100.00,15/04/2024"])
    result = parse(data)
    assert result.rows.item(0, "amount") == Decimal("100.00")
    assert result.rows.item(0, "payment_date") == dt.date(2024, 4, 15)
    assert "Gross Amount" in result.rows.item(0, "other_attributes")


def test_irrecoverable_vat_flags_kept_as_text():
    data = csv_bytes(["Supplier Name,Payment Date,Amount,Irrecoverable VAT", "A Ltd,01/05/2024,10.00,N",
                      "B Ltd,01/05/2024,5.00,Y"])
    rows = parse(data).rows
    result = parse(data)
    assert result.header["Irrecoverable VAT"] == "other_attributes"
    assert rows.get_column("irrecoverable_vat").null_count() == 2
    assert rows.get_column("other_attributes").to_list() == ['{"Irrecoverable VAT":"N"}', '{"Irrecoverable VAT":"Y"}']


# --- row accounting, mapping evidence, source hints (contract interface 1) -----------------------------------

def _identity(result) -> bool:
    return result.rows_in == result.rows.height + sum(result.dropped_by_reason.values())


def test_row_accounting_every_record_has_a_reason():
    data = csv_bytes(["Payments over £500,,,", ",,,", "Department,Supplier Name,Payment Date,Amount",
                      "Parks,A Ltd,01/05/2024,10.00", ",,,", "Parks,A Ltd,01/05/2024,10.00",
                      "Department,Supplier Name,Payment Date,Amount", "Total,,,20.00", "Note: figures exclude VAT,,,"])
    result = parse(data)
    assert result.rows_in == 9
    assert result.rows.height == 2  # identical lines are two payments, never one
    assert result.dropped_by_reason == {"preamble": 2, "header": 1, "blank": 1, "repeated_header": 1, "total": 1,
                                        "note": 1}
    assert _identity(result)


@pytest.mark.parametrize("first_table_lines", [20, 4])
def test_tables_stacked_under_headers_of_their_own_are_each_read_by_theirs(first_table_lines):
    """Months from two systems stacked into one sheet: the second table has its columns in another order and one
    more. Read under the first header, its lines took payees for amounts: the sheet was refused when they were
    most of it, and its lines were flagged unreadable when they were few. Each table is now read by its own
    header, its lines keep their row numbers in the sheet, and a repeated identical header splits nothing."""
    def block(n: int, start: int) -> list[str]:
        return [f"{SUPPLIERS[(start + i) % 8]},{1 + (start + i) % 28:02d}/05/2024,{100 + start + i}.25"
                for i in range(n)]
    first = block(first_table_lines, 0)
    second = [f"{a},{s},{d},Parks" for s, d, a in (line.split(",") for line in block(8, first_table_lines))]
    data = csv_bytes(["Supplier Name,Payment Date,Amount", *first[:2], "Supplier Name,Payment Date,Amount",
                      *first[2:], "Amount Paid,Supplier,Date Paid,Service Area", *second])
    result = parse(data)
    assert result.kind == "spend", result.reason
    lines = result.rows
    expected = first + block(8, first_table_lines)
    assert lines.height == len(expected)
    assert [f"{s},{d:%d/%m/%Y},{a}" for s, d, a in lines.select("supplier_name", "payment_date", "amount").rows()
            ] == expected
    assert lines.get_column("row_flags").null_count() == lines.height
    second_header = first_table_lines + 3
    assert lines.get_column("row_number").to_list() == [
        2, 3, *range(5, second_header), *range(second_header + 1, second_header + 9)]
    assert set(lines.get_column("sheet")) == {"spend.csv"}
    assert lines.tail(8).get_column("service_area").to_list() == ["Parks"] * 8
    assert result.dropped_by_reason == {"header": 2, "repeated_header": 1}
    assert result.dropped_rows.get_column("row_number").to_list() == [4]
    assert any(f"2 tables, each under its own header (at rows 1, {second_header})" in w for w in result.warnings)
    assert not any(w.startswith("amount_unparsed") for w in result.warnings)  # (not the repeated "Amount")
    assert _identity(result)


def test_row_accounting_over_sheets_and_skipped_summary():
    data = _workbook({"Transactions": [["Title"], ["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", 10],
                                       ["A Ltd", "01/05/2024", 10]],
                      "Pivot": [["Supplier Name", "Sum of Amount"], ["A Ltd", 20], ["Grand Total", 20]],
                      "Notes": [["These are notes"]]})
    result = parse(data, filename="spend.xlsx")
    assert result.rows.height == 2
    assert result.dropped_by_reason == {"preamble": 1, "header": 1, "supplier_summary_sheet": 3,
                                        "sheet_without_table": 1}
    assert _identity(result)


def test_mapping_records_basis_and_score():
    data = csv_bytes(["Supplier Name,Paymentdate,Net Amount,Expendture Category", "A Ltd,01/05/2024,10.00,Fuel"])
    result = parse(data)
    assert result.mapping["supplier_name"] == {"header": "Supplier Name", "basis": "alias", "score": 1.0}
    assert result.mapping["amount"]["basis"] == "alias"
    assert result.mapping["expense_type"]["basis"] == "fuzzy"
    assert 0.9 <= result.mapping["expense_type"]["score"] < 1.0
    assert result.amount_basis == "net"
    assert result.rows.get_column("amount_basis").to_list() == ["net"]


def test_registry_header_aliases_applied():
    """The registry's hints name canonical fields in its own (odileeds) vocabulary: {canonical: [headers]}."""
    data = csv_bytes(["Supplier ID(T),Paid On,Value GBP", "Acme Ltd,01/05/2024,10.00"])
    hints = {"header_aliases": {"Beneficiary Name": ["Supplier ID(T)"], "Payment Date": ["Paid On"],
                                "Amount": ["Value GBP"], "Not A Field": ["x"]}}
    result = parse(data, hints=hints)
    assert result.kind == "spend", result.reason
    assert result.rows.item(0, "supplier_name") == "Acme Ltd"
    assert {f: m["basis"] for f, m in result.mapping.items()} == {
        "supplier_name": "registry", "payment_date": "registry", "amount": "registry"}
    assert any("Not A Field" in w for w in result.warnings)


def test_registry_gross_alias_does_not_beat_a_net_column():
    """A source that declares its gross column as the amount still gets the net column when the file has one."""
    data = csv_bytes(["Date of Payment,Gross,VAT,Net,Supplier Name", "01/04/2016,120.00,20.00,100.00,A Ltd"])
    result = parse(data, hints={"header_aliases": {"Amount": ["Gross"]}})
    assert result.rows.item(0, "amount") == Decimal("100.00")
    assert result.mapping["amount"]["header"] == "Net"
    assert result.amount_basis == "net"


def test_amount_basis_from_header_words_or_registry():
    gross = parse(csv_bytes(["Supplier Name,Payment Date,Amount inc VAT", "A,01/05/2024,12"]))
    assert gross.amount_basis == "gross"
    plain = csv_bytes(["Supplier Name,Payment Date,Amount", "A,01/05/2024,12"])
    assert parse(plain).amount_basis == "unknown"
    assert parse(plain, hints={"amount_basis": "net"}).amount_basis == "net"


# --- content-based mapping (issue 10 item 1) -----------------------------------------------------------------

SUPPLIERS = ["Acme Services Ltd", "Bright Futures Trust", "Carter & Sons", "Dales Housing Association",
             "Eden Care Homes Limited", "Fylde Coast Womens Aid", "G4S Secure Solutions (UK) Ltd", "Harrogate Borough Council"]


def _lines(template: str, n: int = 24) -> list[str]:
    """n lines from a template with {s} supplier, {d} day, {m} month, {a} amount, {t} transaction id, {i} index."""
    return [template.format(s=SUPPLIERS[i % len(SUPPLIERS)], d=f"{1 + i % 28:02d}/10/2016", m="201610",
                            a=f"{(i * 137.31) % 9000 + 510:.2f}", t=f"{4649381 + i}", i=i) for i in range(n)]


def test_content_maps_an_unknown_payment_date_header():
    """A real rejected header: 'Invoice Payment Date' was no alias, so the file had 'no payment date'."""
    header = "Body Name,Service Area,Expenses Type,Invoice Payment Date,Transaction Number,Net Amount,Supplier Name"
    result = parse(csv_bytes([header] + _lines("Derbyshire County Council,Adult Care,Fees,{d},{t},{a},{s}")))
    assert result.kind == "spend", result.reason
    assert result.mapping["payment_date"]["header"] == "Invoice Payment Date"
    assert result.mapping["payment_date"]["basis"] == "content"
    assert result.rows.get_column("payment_date").null_count() == 0
    assert result.mapping["transaction_id"]["basis"] == "alias"


def test_content_maps_names_under_an_id_header_and_a_month_period():
    """Payee names under 'Supplier ID(T)' and the month as 'Period' (201610): month precision, first of the
    month, never a null date."""
    header = "Strategic Group,Supplier ID(T),Period,Amount"
    result = parse(csv_bytes([header] + _lines("Communities,{s},{m},{a}")))
    assert result.kind == "spend", result.reason
    assert result.mapping["supplier_name"] == {"header": "Supplier ID(T)", "basis": "content",
                                               "score": result.mapping["supplier_name"]["score"]}
    assert result.mapping["payment_date"]["header"] == "Period"
    rows = result.rows
    assert set(rows.get_column("payment_date")) == {dt.date(2016, 10, 1)}
    assert set(rows.get_column("date_precision")) == {"month"}
    assert rows.get_column("row_flags").null_count() == rows.height
    assert rows.get_column("supplier_name").to_list()[:2] == SUPPLIERS[:2]


@pytest.mark.parametrize("header, quarter", [("Date", "July 2016-September 2016"), ("Period", "Q2 2016/17"),
                                             ("Reporting Quarter", "Jul - Sep 16")])
def test_a_column_of_quarters_dates_its_lines_by_the_quarter(header, quarter):
    """A quarterly file whose only date is the quarter each line belongs to (a real council's "Date" column held
    "July 2010-September 2010"): the lines are dated by the quarter's first day with quarter precision, under
    a date header or found by the values under any other, never refused or flagged as unreadable dates."""
    lines = [f"Supplier Name,Directorate,{header},Amount"] + _lines("{s},Adults," + quarter + ",{a}")
    result = parse(csv_bytes(lines), filename="spend.csv")
    assert result.kind == "spend", result.reason
    assert result.mapping["payment_date"]["header"] == header
    rows = result.rows
    assert set(rows.get_column("payment_date")) == {dt.date(2016, 7, 1)}
    assert set(rows.get_column("date_precision")) == {"quarter"}
    assert rows.get_column("row_flags").null_count() == rows.height
    assert f"{rows.height} payment dates are quarters (date_precision quarter)" in " ".join(result.warnings)


def test_day_dates_beside_a_quarter_column_stay_days():
    """A quarter column next to the payment date is a label: the days date the lines."""
    lines = ["Supplier Name,Quarter,Payment Date,Amount"] + _lines("{s},Q3 2016/17,{d},{a}")
    result = parse(csv_bytes(lines))
    assert result.kind == "spend", result.reason
    assert result.mapping["payment_date"]["header"] == "Payment Date"
    assert set(result.rows.get_column("date_precision")) == {"day"}


def test_content_never_takes_codes_for_the_amount_because_the_money_is_smaller():
    """A real council's export: five-digit cost centres (some with a letter, "A1690") beside the amounts under a
    header no alias knows. The amounts are a small fraction of the codes, as VAT is of the net, but the codes do
    not read as money as well: the amounts are taken, not the codes (the total was 8x too large)."""
    header = "supplier_name,cost_centre,service,date_completed,amount_calculated"
    lines = [header] + _lines("{s},C{i},Community Services,{d},{a}")
    lines = [line.replace(f",C{i},", f",{52070 + 37 * i if i % 5 else 'A%04d' % (1000 + i)},") for i, line in
             enumerate(lines[1:])]
    result = parse(csv_bytes([header] + lines))
    assert result.kind == "spend", result.reason
    assert result.mapping["amount"]["header"] == "amount_calculated"
    expected = sum(Decimal(line.rsplit(",", 1)[1]) for line in lines)
    assert result.rows.get_column("amount").sum() == expected
    assert result.rows.get_column("row_flags").null_count() == result.rows.height


def test_the_threshold_a_file_states_flags_the_lines_below_it():
    """With no threshold in the registry, the one the link text or file name states is the publisher's (a real
    council publishing over £250 had a quarter of its lines flagged below a £500 threshold it never had); the
    registry's own threshold wins; with neither, £500."""
    lines = [HEADER] + [f"{SUPPLIERS[i % 8]},0{1 + i % 9}/05/2024,{amount}" for i, amount in
                        enumerate(["300.00", "499.99", "600.00", "30000.00", "260.00"])]
    data = csv_bytes(lines)

    def below(**kw) -> int:
        return parse(data, **kw).rows.get_column("below_threshold").sum()

    assert below(filename="HBC-Spend-OVER-250.00-Mar-22.csv") == 0
    assert below(filename="spend.csv", hints={"link_text": "Payments over £25k, May 2024"}) == 4
    assert below(filename="fera-over+25k+1104.csv") == 4
    assert below(filename="HBC-Spend-OVER-250.00-Mar-22.csv", hints={"threshold": "500"}) == 3
    assert below(filename="HBC-Spend-OVER-250.00-Mar-22.csv", hints={"threshold": None}) == 0
    assert below(filename="May-2024.csv") == below(filename="overtime-2024.csv") == 3


def test_content_maps_a_renamed_amount_and_reads_its_basis():
    header = "Directorate,Supplier Name,Payment Date,Total (excludes VAT)"
    result = parse(csv_bytes([header] + _lines("Adults,{s},{d},{a}")))
    assert result.kind == "spend", result.reason
    assert result.mapping["amount"]["header"] == "Total (excludes VAT)"
    assert result.mapping["amount"]["basis"] == "content"
    assert result.amount_basis == "net"


def test_content_maps_unknown_vocabulary():
    """Headers in Welsh: nothing in the alias table, everything from the values."""
    header = "Dyddiad,Adran,Cyflenwr,Cyfeirnod,Swm"
    result = parse(csv_bytes([header] + _lines("{d},Gwasanaethau,{s},{t},{a}")))
    assert result.kind == "spend", result.reason
    assert {f: (m["header"], m["basis"]) for f, m in result.mapping.items()} == {
        "payment_date": ("Dyddiad", "content"), "supplier_name": ("Cyflenwr", "content"), "amount": ("Swm", "content")}
    assert "Cyfeirnod" in result.rows.item(0, "other_attributes")  # the id column is not the amount


def test_a_header_naming_too_little_by_name_keeps_its_names():
    """A header whose known aliases name neither the payee nor the amount ("Name of Supplier", and "£" over the
    amounts) is not found by name; found by its shape, it keeps its column names and the aliases it does
    hold, and the values decide the roles it leaves (the names were lost as column_1.. and the row dropped as
    a preamble)."""
    header = "Responsible Unit,Date Paid,Name of Supplier,Expenditure Category,£"
    result = parse(csv_bytes([header] + _lines("Adults,{d},{s},Fees,{a}")))
    assert result.kind == "spend", result.reason
    assert result.header == {"Responsible Unit": "department", "Date Paid": "payment_date",
                             "Name of Supplier": "supplier_name", "Expenditure Category": "expense_type",
                             "£": "amount"}
    assert result.mapping["payment_date"]["basis"] == "alias" and result.mapping["amount"]["basis"] == "content"
    assert result.rows.height == 24 and result.dropped_by_reason == {"header": 1}
    assert result.rows.get_column("department").unique().to_list() == ["Adults"]


def test_content_corrects_misleading_headers():
    """'Amount' holds the payee and 'Supplier' the money: the values decide, and the file says so."""
    header = "Date,Amount,Supplier"
    result = parse(csv_bytes([header] + _lines("{d},{s},{a}")))
    assert result.kind == "spend", result.reason
    assert result.mapping["amount"]["header"] == "Supplier" and result.mapping["amount"]["basis"] == "content"
    assert result.mapping["supplier_name"]["header"] == "Amount"
    assert result.rows.get_column("amount").null_count() == 0
    assert any("does not hold" in w for w in result.warnings)


def test_content_picks_net_of_gross_vat_net_and_payment_over_invoice_date():
    header = "Col A,Col B,Col C,Col D,Col E,Col F"
    lines = [f"{1 + i % 20:02d}/09/2016,{5 + i % 20:02d}/10/2016,{SUPPLIERS[i % 8]},{(100 + i) * 1.2:.2f},"
             f"{(100 + i) * 0.2:.2f},{100 + i:.2f}" for i in range(30)]
    result = parse(csv_bytes([header] + lines))
    assert result.kind == "spend", result.reason
    assert result.mapping["amount"]["header"] == "Col F"  # B + ... : net, not gross
    assert result.mapping["payment_date"]["header"] == "Col B"  # never earlier than Col A
    assert result.rows.item(0, "amount") == Decimal("100.00")


def test_words_in_the_amount_column_rejected_not_a_zero_total():
    lines = [f"{SUPPLIERS[i % 8]},01/05/2024,{w}" for i, w in enumerate(["ten pounds", "five", "see invoice"] * 5)]
    result = parse(csv_bytes([HEADER] + lines))
    assert (result.kind, result.reason_code) == ("rejected", "amount_unparseable")
    assert "Amount" in result.reason


def test_codes_that_half_parse_never_stand_in_for_an_unreadable_amount():
    """Amounts the reader cannot take ("Ł45,972.00", a mis-decoded pound sign) beside project codes of which
    half happen to be numbers ("00000000" beside "SE3263"), or a mostly empty code column with one number: the
    file is rejected (amount_unparseable), never totalled from the codes."""
    lines = [f"{SUPPLIERS[i % 8]},{1 + i % 28:02d}/05/2024,\"\u0141{40_000 + 17 * i:,}.00\","
             f"{'00000000' if i % 2 else f'SE{3000 + i}'},{'100876' if i == 3 else ''}" for i in range(30)]
    result = parse(csv_bytes(["Supplier Name,Date,Amount,Project Number,Project Code"] + lines))
    assert (result.kind, result.reason_code) == ("rejected", "amount_unparseable"), result.reason
    assert "'Amount'" in result.reason


def test_a_header_below_a_long_preamble_is_found():
    """A card file's guide to merchant categories ran to row 84 before its header: the search goes past its
    first 60 rows when none of them is a header."""
    guide = [f"Category {i},Examples of what is bought under category {i}" for i in range(80)]
    lines = [f"MOD{i},{1 + i % 28:02d}-May-13,{SUPPLIERS[i % 8]},{500 + i}.50" for i in range(20)]
    result = parse(csv_bytes(guide + ["", "GPC TRANSPARENCY DATA FOR MAY 2013,,,",
                                      "UniqueRef,Transaction Date,Merchant Name,Amount"] + lines))
    assert result.kind == "spend", result.reason
    assert result.rows.height == 20 and result.dropped_by_reason == {"header": 1, "preamble": 82}
    assert result.rows.get_column("supplier_name").to_list()[:2] == SUPPLIERS[:2]
    assert result.rows.get_column("is_card").all()
    wide = ",".join(f"Note {i}" for i in range(2_000))  # 60 rows of 2,003 cells are already past the cell bound
    result = parse(csv_bytes(guide + [f"Supplier Name,Payment Date,Amount,{wide}", "A Ltd,01/05/2024,600.00"]))
    assert result.reason_code == "unmapped_header", result.reason  # refused, not a crash


def test_a_sheet_too_wide_to_map_by_its_values_is_refused_by_name():
    """Telling the roles by the values is bounded (a hostile sheet has 16,384 columns): past the bound a sheet
    without a header, or whose headers leave a role open, is refused with the reason; a named header still maps."""
    from pipelines.spend.parse import CONTENT_MAX_COLUMNS

    notes = ",".join(["n"] * CONTENT_MAX_COLUMNS)
    lines = [f"{SUPPLIERS[i % 8]},0{1 + i % 9}/05/2024,{600 + i}.00,{notes}" for i in range(30)]
    headerless = parse(csv_bytes(lines))
    assert headerless.reason_code == "unmapped_header" and "too many to tell" in headerless.reason
    unknown_date = parse(csv_bytes([f"Supplier Name,When,Amount,{notes}"] + lines))
    assert unknown_date.reason_code == "unmapped_header" and "headers do not name every role" in unknown_date.reason
    named = parse(csv_bytes([f"Supplier Name,Payment Date,Amount,{notes}"] + lines))
    assert named.kind == "spend" and named.rows.height == 30


def test_a_card_files_merchant_beats_its_account_name():
    """In a card file "Account Name" is the card holder's unit and "Merchant Name" the payee."""
    data = csv_bytes(["Account Name,Posted Date,Billing Amount,Merchant Name",
                      'DFT/HS2,11/08/2015,"£1,499.00",IND & PARLIAMENT TRST'])
    result = parse(data)
    assert result.header["Merchant Name"] == "supplier_name" and result.header["Account Name"] == "other_attributes"
    assert parse(csv_bytes(["Account Name,Payment Date,Amount", "Acme Ltd,01/05/2024,600.00"])).rows.item(
        0, "supplier_name") == "Acme Ltd"  # alone, it is the payee's account


def test_two_equal_date_columns_with_no_clue_are_ambiguous():
    header = "Alpha,Beta,Supplier Name,Amount"
    lines = [f"{1 + i % 28:02d}/05/2024,{1 + (i * 7) % 28:02d}/05/2024,{SUPPLIERS[i % 8]},{10 + i}.50" for i in range(30)]
    result = parse(csv_bytes([header] + lines))
    assert (result.kind, result.reason_code) == ("rejected", "ambiguous_column")
    assert "Alpha" in result.reason and "Beta" in result.reason and "payment date" in result.reason


def test_a_record_wider_than_the_prefix_is_read_whole():
    """The width is learnt from a prefix; a wider record far down the file makes the reader widen, never
    truncate (a lost cell would be lost money or a lost name)."""
    lines = [HEADER] + [f"{SUPPLIERS[i % 8]},01/05/2024,{i}.00" for i in range(5000)]
    lines.append("Late Ltd,02/05/2024,7.00,extra note,another")
    result = parse(csv_bytes(lines))
    assert result.kind == "spend", result.reason
    assert result.rows.height == 5001
    last = result.rows.row(5000, named=True)
    assert last["supplier_name"] == "Late Ltd" and last["amount"] == Decimal("7.00")
    assert "extra note" in last["other_attributes"] and "another" in last["other_attributes"]


@pytest.mark.parametrize("cells", [
    ["Highways", "Parks", "Adult Social Care", "Parks"],               # no digit anywhere: nothing to read
    ["03/04/2023", "Parks", "17/04/2023 00:00:00", "2023-04-30", "x"],  # days among names
    ["201610", "Jan-17", "2016/17 P08", "P8 2016-17", "Rents 2"],       # months among text with a digit
    ["04/13/2023", "04/14/2023", "05/01/2023", "12"],                   # month-first proved by the data
    ["45017", "45018.5", "1500", "3M Ltd"],                             # Excel serials
])
def test_content_date_shares_equal_their_plain_definitions(cells):
    """The day and month shares a column is profiled with (computed on the values holding a digit only) equal
    the plain definitions over every value: the column's own vote, then the share read."""
    from pipelines.spend import parse_content, values

    s = pl.Series("v", cells)
    vote = values.vote_date_formats(s)
    day = float(values.by_distinct(s, lambda v: values.date_expr(v, vote)).is_not_null().mean()) if vote.formats else 0.0
    month = float(values.period_starts(s).is_not_null().mean())
    assert parse_content._day_share(s) == day
    assert parse_content._month_share(s) == month


@pytest.mark.parametrize("cells", [
    ["03/04/2023", "17/04/2023 00:00:00", "2023-04-30", "Parks", "05-Oct-21", None, "00:00:00", " 12:30 "] * 3,
    ["04/13/2023", "04/14/2023", "05/01/2023", "12", None],             # month-first proved by the data
    ["45017", "45018.5", "1500", "3M Ltd", "Saturday, 1 April 2023", "April 13, 2023", "1st Apr 2023"],
    [None, None],
])
def test_date_column_read_once_equals_vote_then_parse(cells):
    """A date column's days taken from the vote's own reads (values.read_days, as _read_dates reads a column)
    are what the vote and then date_expr give: the same formats, counts and day per cell."""
    from pipelines.spend import parse, values

    s = pl.Series("v", cells, dtype=pl.String)
    vote, read = parse._read_dates(s, None)
    expected = values.vote_date_formats(s)
    assert (vote.formats, vote.counts, vote.values) == (expected.formats, expected.counts, expected.values)
    days = pl.DataFrame({"v": s}).with_columns(values.date_expr(pl.col("v"), expected).alias("d")).get_column("d")
    assert read.get_column("_date").to_list() == days.to_list()
    assert read.get_column("_time_only").to_list() == pl.DataFrame({"v": s}).select(
        values.time_only_expr(pl.col("v"))).to_series().to_list()


@pytest.mark.parametrize("cells", [
    ["03/04/2023", "17/04/2023 00:00:00", "2023-04-30", "Parks", "05-Oct-21"] * 3,  # mixed forms, a name
    ["04/13/2023", "04/14/2023", "05/01/2023", "04/02/2023"],                       # month-first, proved
    ["04/03/2023", "05/03/2023", "06/03/2023"],                                     # day-first by the rule
    ["2023-04-03T10:15:00Z", "Monday, 3rd April 2023", "2023-04-04 00:00:00.000"],  # times and weekdays
    ["45017", "45018.5", "3 April 2023", "Apr-23"],                                 # serials, named, a month
    ["Highways", "Parks", "Adult Social Care"], ["00:00:00"] * 4, ["1990-01-01", "2999-12-31", "x1"],
])
def test_the_header_checks_short_cut_never_reads_more_days_than_the_columns_own_vote(cells):
    """The header check takes a column for dates when one common form alone reads half its values: the share
    that form reads is never more than the column's own vote reads, so the short cut decides as the vote would."""
    from pipelines.spend import parse_content, values

    s = pl.Series("v", cells)
    assert values.best_form_share(s, parse_content.COMMON_DAY_FORMS) <= parse_content._day_share(s)


def test_every_value_read_as_an_amount_holds_a_digit_or_a_dash():
    """The payee check skips reading money in a column where fewer than half the values hold a digit or a dash:
    no value without one is read as an amount, leniently or strictly (generated from money's own characters)."""
    import random

    from pipelines.spend import parse_content, values

    alphabet = list("-\u2212\u2013\u2014\u00a3$\u20ac().,+ '\"CRDrBPGnilzeoNIL") + ["CR", "DR", "GBP", "nil", "Nil", "zero"]
    rng = random.Random(7)
    cells = pl.Series(sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(60_000)}))
    marked = cells.str.contains(parse_content.AMOUNT_MARK)
    for strict in (False, True):
        read = values.parse_amounts(cells, strict=strict).is_not_null()
        assert read.any() and not (read & ~marked).any(), cells.filter(read & ~marked).head(5).to_list()


def test_every_value_a_day_form_reads_has_the_day_shape(corpus):
    """values.DAY_SHAPE, which spares the profile reading values no day form reads, lets through every value some
    form does read: real cells of corpus files, and generated ones with the forms' parts in any order, widths,
    signs, spacing, weekdays, ordinals and times (the date library reads "2026 8 24" as yyyymmdd)."""
    import random

    from pipelines.spend import values

    rng = random.Random(11)
    months = ["Jan", "January", "APR", "april", "Sept", "dec", "Mar.", "13"]
    seps = ["/", "-", ".", " ", " / ", "- ", "", "  ", "\t"]
    generated = []
    for _ in range(20_000):
        d, m, y = rng.randint(0, 40), rng.randint(0, 14), rng.choice([rng.randint(0, 99), rng.randint(1990, 2045)])
        day = rng.choice([str(d), f"{d:02d}", f"+{d}", f" {d}"]) + rng.choice(["", "st", "th"])
        month = rng.choice([str(m), f"{m:02d}", rng.choice(months)])
        year = rng.choice([str(y), f"{y:02d}", f"+{y}", f"{y:04d}"])
        a, b = rng.choice(seps), rng.choice(seps)
        generated.append(rng.choice([
            day + a + month + b + year, year + a + month + b + day, month + a + day + b + year,
            f"{y:04d}{m:02d}{d:02d}" + rng.choice(["", ".5", " "]), str(rng.randint(0, 999_999)) + rng.choice(["", ".25"]),
            rng.choice(["Mon ", "Saturday, ", ""]) + day + a + month + b + year + rng.choice(["", " 00:00:00", "T12:30Z"]),
            "".join(rng.choice("0123456789/- .:+ADeFnJuly") for _ in range(rng.randint(1, 14))),
        ]))
    real = [c for name in ("devon/DCCSpendingOver500_202304.csv", "oxford/expenditure-over-500-apr-jun-2014.csv",
                           "leeds/2010-12.csv")
            for column in pl.read_csv(corpus / "spend" / name, infer_schema=False, encoding="utf8-lossy",
                                      truncate_ragged_lines=True).iter_columns()
            for c in column.drop_nulls().unique().to_list()]
    cleaned = pl.DataFrame({"v": pl.Series(generated + real, dtype=pl.String).unique()}).select(
        values.clean_date_text(pl.col("v")).alias("c"))
    read = cleaned.select(pl.any_horizontal([e.is_not_null() for e in values.candidate_reads(pl.col("c"))[1:]]))
    shaped = cleaned.select(pl.col("c").str.contains(values.DAY_SHAPE).fill_null(False))
    assert read.to_series().sum() > 1_000
    missed = cleaned.filter(read.to_series() & ~shaped.to_series())
    assert missed.height == 0, missed.head(5).to_series().to_list()


def test_day_shares_of_many_columns_equal_each_columns_own_vote():
    """The day shares of several columns evaluated together equal each column's own vote and read, whatever
    the other columns hold (mixed formats, month-first proved by one column only, serials, times, no digits)."""
    from pipelines.spend import parse_content, values

    columns = {
        "uk": ["03/04/2023", "17/04/2023 00:00:00", "2023-04-30", "Parks", "05-Oct-21"] * 3,
        "us": ["04/13/2023", "04/14/2023", "05/01/2023", "12"],
        "mixed": ["03/04/2023"] * 17 + ["05-Oct-21"] * 3 + ["3 April 2023", "x1"],
        "serial": ["45017", "45018.5", "1500", "3M Ltd"],
        "times": ["00:00:00", "12:30", "0:00"],
        "names": ["Highways", "Parks"],
        "months": ["201610", "Jan-17", "2016/17 P08"],
    }
    series = {name: pl.Series(name, cells) for name, cells in columns.items()}
    expected = {}
    for name, s in series.items():
        vote = values.vote_date_formats(s)
        expected[name] = (float(values.by_distinct(s, lambda v: values.date_expr(v, vote)).is_not_null().mean())
                          if vote.formats else 0.0)
    frame = pl.DataFrame({name: s.extend_constant(None, 22 - s.len()) for name, s in series.items()})
    assert parse_content._day_shares(parse_content._cells(frame)) == expected
    assert expected["us"] == 0.75 and expected["mixed"] > 0.9 and expected["names"] == 0


@pytest.mark.parametrize("cells", [["Acme Ltd", None, "REDACTED", "Acme Ltd", ""], [], [None, None], ["x"] * 5])
def test_by_distinct_equals_evaluating_every_cell(cells):
    """Evaluating once per distinct value and spreading back gives what evaluating every cell gives, nulls
    included (an expression of a null need not be null), for struct, literal and text results."""
    from pipelines.spend import values

    s = pl.Series("supplier_name", cells, dtype=pl.String)
    for expr_of in (lambda v: v.str.len_bytes(), lambda v: pl.struct(v.alias("a"), v.is_null().alias("n")),
                    lambda v: pl.lit("k"), lambda v: values.redaction_kind_expr(v, None)):
        direct = pl.DataFrame({"v": s}).with_columns(expr_of(pl.col("v")).alias("out")).get_column("out")
        spread = values.by_distinct(s, expr_of)
        assert spread.dtype == direct.dtype and spread.to_list() == direct.to_list()


@pytest.mark.parametrize("dates", [
    [dt.date(2024, 5, 1), None, dt.date(2024, 4, 30), dt.date(2024, 5, 1)], [], [None, None],
    [dt.date(1, 1, 1), dt.date(9999, 12, 31)], [dt.date(1969, 12, 31), dt.date(1970, 1, 1), None],
    [dt.date(2024, 5, 1)] * 3, [dt.date(2024, 5, 1)]],
    ids=["month", "empty", "nulls", "span_too_long", "epoch", "one_day", "one_line"])
def test_date_text_expr_is_the_string_cast(dates):
    """ISO text formatted once per day of the span gives what a cast to String gives (nulls, days before the
    epoch, a span too long to list)."""
    from pipelines.spend import values

    s = pl.Series("payment_date", dates, dtype=pl.Date)
    text = pl.DataFrame({"payment_date": s}).select(values.date_text_expr("payment_date", s)).to_series()
    assert text.dtype == pl.String
    assert text.to_list() == s.cast(pl.String).to_list()


def test_time_only_cells_match_the_stripped_definition():
    """A cell is time-only when, stripped, it is a bare time: spaces of any kind around it included."""
    from pipelines.spend import values

    cells = ["00:00:00", " 0:00 ", "\u00a012:30\u2003", "\t1:02:03\n", "01/02/2023 00:00", "12:3", "x 00:00", None,
             "", "00:00:00\u200b"]
    frame = pl.DataFrame({"v": cells})
    stripped = frame.select(pl.col("v").str.strip_chars().str.contains(r"^\d{1,2}:\d{2}(:\d{2})?$").fill_null(False))
    assert frame.select(values.time_only_expr(pl.col("v"))).to_series().to_list() == stripped.to_series().to_list()
    assert stripped.to_series().to_list() == [True] * 4 + [False] * 6


def test_content_profile_equals_column_by_column():
    """The content profile (statistics, day, month and money shares of all columns evaluated together) equals
    profiling each column on its own, the plain way, for columns with nulls, months, days, money and names."""
    from pipelines.spend import parse_content, values

    frame = pl.DataFrame({
        "a": ["201610", "Jan-17", None, "2016/17 P08", "x1"] * 40,
        "b": ["03/04/2023", None, "17/04/2023", "Parks", "2023-04-30"] * 40,
        "c": ["1,234.50", "£12.00", None, "(5.00)", "7"] * 40,
        "d": ["Acme Ltd", "Parks Trust", "J Smith", None, "Acme Ltd"] * 40,
        "e": [None] * 200,
    })
    profiles = parse_content.profile(frame, ["A", "B", "C", "D", "E"])
    for p, column in zip(profiles, frame.columns):
        s = frame.get_column(column).drop_nulls()
        if s.len() == 0:
            assert p.filled == 0 and p.month_share == 0
            continue
        v = pl.DataFrame({"v": s})
        day = parse_content._day_share(s)
        month = float(values.period_starts(s).is_not_null().mean()) if day < parse_content.FIT else 0.0
        stats = v.select(
            pl.col("v").str.contains(r"[.,]\d{1,2}\s*$|^\s*£|[0-9],\d{3}").mean().alias("decimal"),
            pl.col("v").str.contains(r"[A-Za-z]").mean().alias("letters"),
            pl.col("v").str.contains(parse_content.COMPANY_WORDS).mean().alias("company"),
            pl.col("v").str.count_matches(r"\S+").mean().alias("words"),
            pl.col("v").n_unique().alias("distinct"),
        ).row(0, named=True)
        assert (p.filled, p.distinct, p.day_share, p.month_share) == (s.len(), stats["distinct"], day, month), column
        assert (p.decimal_share, p.letter_share, p.company_share, p.mean_words) == (
            stats["decimal"], stats["letters"], stats["company"], stats["words"]), column
        assert p.money_share == float(values.parse_amounts(s).is_not_null().mean()), column
        assert p.id_like == (p.money_share >= parse_content.FIT and parse_content._id_like(s)), column
    assert profiles[0].month_share == 0.75 and profiles[3].company_share > 0


def test_gla_and_tfl_account_headers_map_to_expense_fields():
    """The Greater London Authority's and TfL's exports name the expense account their own way."""
    result = parse(csv_bytes([
        "Vendor ID,Vendor Name,Cost Element,Expenditure Account Code Description,Document No,Amount,Clearing Date,"
        "Directorate,Service Expenditure Analysis",
        "10016524,TRANSPORT FOR LONDON,544071,FUNCTIONAL BODY GRANT PAYMENT,CHAPS649,66253087.00,2016-02-24,"
        "RESOURCES,Highways and transport services"]))
    assert result.kind == "spend", result.reason
    line = result.rows.row(0, named=True)
    assert (line["expense_code"], line["expense_type"], line["service_area"]) == (
        "544071", "FUNCTIONAL BODY GRANT PAYMENT", "Highways and transport services")
    tfl = parse(csv_bytes(["Entity,Vendor Name,Expenditure Account ,Document Number,Clearing Date,Amount (£)",
                           'LONDON UNDERGROUND LTD,ACME LTD,Rates - Central Listed,1005,04 Apr 2018,"39,440.00"']))
    assert tfl.rows.row(0, named=True)["expense_type"] == "Rates - Central Listed"


def test_data_under_no_header_cell_is_kept_by_position_and_said():
    """Cells in a column whose header cell is blank (Hyndburn's spacers; records wider than their header) stay
    in other_attributes under the column's position, and the warnings say which columns."""
    result = parse(csv_bytes([
        "Supplier Name,,Payment Date,Amount",
        "Acme Ltd,note one,01/04/2024,600.00",
        "Bravo Ltd,,02/04/2024,700.00,99,extra"]))
    assert result.kind == "spend", result.reason
    assert any("under no header cell" in w and "'column_2'" in w and "'column_5'" in w and "'column_6'" in w
               for w in result.warnings), result.warnings
    assert "note one" in result.rows.row(0, named=True)["other_attributes"]
    assert "extra" in result.rows.row(1, named=True)["other_attributes"]
    plain = parse(csv_bytes([HEADER, "Acme Ltd,01/04/2024,600.00"]))
    assert not any("under no header cell" in w for w in plain.warnings)


def test_a_transparency_code_grants_register_is_refused_as_grants():
    """The Transparency Code's grants to voluntary bodies (award date, period, department, beneficiary, purpose,
    amount) are awards, not payments: taken as spend they would count the grants' money twice beside the payments
    files. One grant column in a payments file does not make it a register."""
    register = parse(csv_bytes([
        "Date the grant was awarded,Time period for which the grant has been given,Local authority department "
        "which awarded the grant,Beneficiary,Beneficiary registration number,Summary of the purpose of the grant,"
        "Amount",
        '04/12/2015,One-off,Communities Group,Acme Nursery Ltd,200613,Alterations to a children\'s centre,"6,950.09"',
        "25/02/2016,2015-16,Communities Group,Bright Futures Trust,N/A,Setting up a nursery,5000.00"]))
    assert register.kind == "rejected" and register.reason_code == "not_spend:grants"
    assert "grants register" in register.reason and "Summary of the purpose of the grant" in register.reason
    payments = parse(csv_bytes(["Supplier Name,Payment Date,Amount,Grant purpose",
                                "Bright Futures Trust,01/04/2023,500.00,Holiday activities",
                                "Acme Services Ltd,02/04/2023,750.00,"]))
    assert payments.kind == "spend" and payments.rows.height == 2


def test_a_summary_table_beside_the_lines_takes_no_field():
    """A small table set right of an empty column ("Service Area | Total" over the first rows) is no part of
    the lines: its "Service Area" does not become the first lines' department, its "Total" is no second
    amount; its cells stay in other_attributes and a warning says so. A column of the lines right of a blank
    spacer, filled all the way down (Hyndburn's spacers), is still the lines'."""
    areas = ["Adult Care", "Children", "Highways", "Waste", "Libraries"]
    lines = [f"{day:02d}/04/2024,Supplier {day},{areas[day % 5]},{100 * day}.00,T{day},,"
             + (f"{areas[day - 1]},{1000 * day}.00" if day <= 5 else ",") for day in range(1, 29)]
    header = "Payment Date,Supplier Name,Service Area,Amount,Transaction Number,,Service Area,Total"
    result = parse(csv_bytes([header, *lines]))
    assert result.kind == "spend", result.reason
    rows = result.rows
    assert rows.height == 28 and rows["amount"].sum() == Decimal("40600.00")
    assert rows["service_area"].to_list() == [areas[day % 5] for day in range(1, 29)]
    assert rows["department"].null_count() == 28
    assert '"Service Area (side table)":"Adult Care"' in rows.row(0, named=True)["other_attributes"]
    assert any("a table of 5 rows beside the lines" in w for w in result.warnings), result.warnings
    # a report that reprints its whole header on every page, side cells and all: the table is still told
    paged = parse(csv_bytes([header, *lines[:14], header, *lines[14:]]))
    assert paged.rows.height == 28 and paged.rows["department"].null_count() == 28
    assert any("a table of 5 rows beside the lines" in w for w in paged.warnings), paged.warnings
    assert paged.dropped_by_reason == {"header": 1, "repeated_header": 1}
    # a side table whose headers repeat one name keeps each column, numbered
    same_names = parse(csv_bytes([header.replace("Service Area,Total", "Total,Total"), *lines]))
    assert same_names.rows.height == 28 and '"Total (side table) (2)":"1000.00"' in (
        same_names.rows.row(0, named=True)["other_attributes"])
    # the same columns filled on every line are the lines' own (a spacer inside the table)
    full = [f"{day:02d}/04/2024,Supplier {day},{areas[day % 5]},{100 * day}.00,T{day},,{areas[day % 4]},{day}"
            for day in range(1, 29)]
    spaced = parse(csv_bytes(["Payment Date,Supplier Name,Department,Amount,Transaction Number,,Service Area,Code",
                              *full]))
    assert spaced.rows["service_area"].to_list() == [areas[day % 4] for day in range(1, 29)]
    assert not any("beside the lines" in w for w in spaced.warnings)


EXPORTED_PAGE = b"""<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>
<table><tr><td>Payments over \xa3500</td></tr></table>
<table border="1">
<tr><th colspan="4">Anytown Council: payments May 2024</th></tr>
<tr><th>Supplier&nbsp;Name</th><th>Payment<br>Date</th><th>Department</th><th>Amount</th></tr>
<tr><td>Smith &amp; Sons Ltd<td>03/05/2024<td>Highways<td>\xa31,234.50
<tr><td>Bright Futures Trust</td><td>04/05/2024</td><td></td><td>(200.00)</td></tr>
<tr><td>ACME  LTD</td><td>07/05/2024</td><td>Waste</td><td>600</td></tr>
</table></body></html>"""


def test_a_report_exported_as_a_web_page_is_read_as_its_table():
    """Finance systems' "Export to Excel" often writes an HTML table named .xls: Excel opens it as a sheet, so
    a person reads its lines. Each table is a sheet, named by its place in the page (a one-cell title table is
    layout, left out); entities,
    a declared charset, cells HTML leaves open, a header cell split by <br> and a title spanning the columns
    read as they show. A page whose tables hold no lines is still an HTML page (an error or login page)."""
    result = parse(EXPORTED_PAGE, filename="spend-2024-05.xls")
    assert (result.kind, result.format, result.sheets) == ("spend", "html", ["table 2"]), result.reason
    rows = result.rows
    assert rows["supplier_name"].to_list() == ["Smith & Sons Ltd", "Bright Futures Trust", "ACME LTD"]
    assert rows["amount"].to_list() == [Decimal("1234.50"), Decimal("-200.00"), Decimal("600.00")]
    assert rows["payment_date"].to_list() == [dt.date(2024, 5, 3), dt.date(2024, 5, 4), dt.date(2024, 5, 7)]
    assert rows["department"].to_list() == ["Highways", None, "Waste"]
    assert rows["row_number"].to_list() == [3, 4, 5]  # the table's own rows (its title is row 1)
    assert result.rows_in == 5 and result.dropped_by_reason == {"preamble": 1, "header": 1}
    login = (b"<!DOCTYPE html><html><body><form><table><tr><td>User</td><td><input name=u></td></tr>"
             b"<tr><td>Password</td><td><input name=p></td></tr></table></form></body></html>")
    refused = parse(login, filename="spend-2024-05.xls")
    assert (refused.kind, refused.reason_code) == ("rejected", "html_page")
    assert "none of its 1 tables holds payment lines" in refused.reason


SPREADSHEET_2003 = b"""<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Notes"><Table><Row><Cell><Data ss:Type="String">Data published under the OGL</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="May 2024"><Table>
  <Row><Cell><Data ss:Type="String">Payment Date</Data></Cell><Cell><Data ss:Type="String">Supplier Name</Data></Cell>
   <Cell><Data ss:Type="String">Service</Data></Cell><Cell><Data ss:Type="String">Amount</Data></Cell></Row>
  <Row><Cell><Data ss:Type="DateTime">2024-05-03T00:00:00.000</Data></Cell><Cell><Data ss:Type="String">Acme Ltd</Data></Cell>
   <Cell ss:Index="4"><Data ss:Type="Number">1234.5</Data></Cell></Row>
  <Row ss:Index="4"><Cell><Data ss:Type="DateTime">2024-05-09T00:00:00.000</Data></Cell>
   <Cell><Data ss:Type="String">Beta &amp; Co</Data></Cell><Cell><Data ss:Type="String">Libraries</Data></Cell>
   <Cell><Data ss:Type="Number">-50</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>"""


def test_an_excel_2003_xml_workbook_is_read_by_its_worksheets():
    """Excel 2003's XML workbook ("XML Spreadsheet", often named .xls) is a workbook: its worksheets are sheets,
    a cell or row placed by its index leaves the ones it skips empty (rows keep their numbers), and a workbook
    declaring a document type is refused unread (no entity is expanded)."""
    result = parse(SPREADSHEET_2003, filename="spend-2024-05.xls")
    assert (result.kind, result.format) == ("spend", "spreadsheetml"), result.reason
    rows = result.rows
    assert rows["supplier_name"].to_list() == ["Acme Ltd", "Beta & Co"]
    assert rows["amount"].to_list() == [Decimal("1234.50"), Decimal("-50.00")]
    assert rows["payment_date"].to_list() == [dt.date(2024, 5, 3), dt.date(2024, 5, 9)]
    assert rows["service_area"].to_list() == [None, "Libraries"]
    assert rows["row_number"].to_list() == [2, 4] and rows["sheet"].unique().to_list() == ["May 2024"]
    entity = SPREADSHEET_2003.replace(b'<?mso-application progid="Excel.Sheet"?>',
                                      b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>')
    assert parse(entity, filename="spend-2024-05.xls").reason_code == "unreadable"


def test_markup_tables_are_bounded_like_sheets():
    """A page of more cells than a sheet may hold is refused by the same limit, before its grid is built."""
    from pipelines.spend.readers import ParserLimits

    page = ("<table><tr><th>Supplier</th><th>Date</th><th>Amount</th></tr>" + "".join(
        f"<tr><td>Supplier {i} Ltd</td><td>{i % 28 + 1:02d}/05/2024</td><td>{i}.00</td></tr>" for i in range(50))
        + "</table>").encode()
    assert parse_spend(page, filename="x.xls", limits=ParserLimits(max_sheet_cells=100)).reason_code == "too_many_cells"
    assert parse_spend(page, filename="spend-2024-05.xls").rows.height == 50
    many = b"<html>" + b"<table><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>" * 201
    assert parse_spend(many, filename="spend-2024-05.xls").reason_code == "too_many_tables"


def test_subtotals_named_in_the_payee_column_are_not_payments():
    """Excel's Data > Subtotal writes "<payee> Total" (or "<payee> Count") under each group and "Grand Total"
    at the foot, in the grouped column; reports write "Total for Housing". Counted as payments they double the
    money. The label only proposes: such a row (no date) is a subtotal when its amount is the sum of the lines
    since the last total, or for a count their number; a payee whose name carries the words, undated, with an
    amount of its own, is still a payment."""
    subtotals = parse(csv_bytes([
        "Payment Date,Supplier Name,Amount",
        "05/03/2024,Kier Services Ltd,-1885.02", "12/03/2024,Kier Services Ltd,10813.50",
        ",Kier Services Ltd Total,8928.48",
        "24/03/2024,Veolia ES (UK) Ltd,21239.51",
        ",Veolia ES (UK) Ltd Total,21239.51",
        ",Grand Total,30167.99"]), filename="spend-2024-03.csv")
    assert subtotals.rows.height == 3 and subtotals.rows["amount"].sum() == Decimal("30167.99")
    assert subtotals.dropped_by_reason == {"header": 1, "total": 3}
    assert subtotals.declared_total == Decimal("30167.99") and subtotals.declared_total_reconciled
    assert any("2 rows naming a subtotal in the payee column" in w for w in subtotals.warnings), subtotals.warnings
    counts = parse(csv_bytes([
        "Supplier Name,Payment Date,Amount", "Kier Services Ltd,23/03/2024,-815.62",
        "Kier Services Ltd,10/03/2024,-465.30", "Kier Services Ltd Count,,2", "Veolia ES (UK) Ltd,23/03/2024,15694.83",
        "Veolia ES (UK) Ltd Count,,1", "Grand Count,,3"]), filename="spend-2024-03.csv")
    assert counts.rows.height == 3 and counts.dropped_by_reason == {"header": 1, "summary": 3}
    department = parse(csv_bytes([
        "Directorate,Payment Date,Supplier Name,Amount", "Housing,10/03/2024,Kier Services Ltd,-804.22",
        "Housing,22/03/2024,Capita Business Services Ltd,23704.45", "Housing,,Total for Housing,22900.23",
        "Waste,23/03/2024,Biffa Ltd,100.00", "Waste,,Total for Waste,100.00", ",,Total Spend March 2024,23000.23"]),
        filename="spend-2024-03.csv")
    assert department.rows["supplier_name"].to_list() == ["Kier Services Ltd", "Capita Business Services Ltd",
                                                          "Biffa Ltd"]
    assert department.declared_total == Decimal("23000.23") and department.declared_total_reconciled
    payees = parse(csv_bytes([
        "Payment Date,Supplier Name,Amount", "05/03/2024,Kier Services Ltd,100.00", ",Net Total Ltd,250.00",
        "06/03/2024,Mitie Ltd,50.00", ",Head Count,7"]), filename="spend-2024-03.csv")
    assert payees.rows["supplier_name"].to_list() == ["Kier Services Ltd", "Net Total Ltd", "Mitie Ltd", "Head Count"]
    assert payees.rows["amount"].sum() == Decimal("407.00")


def test_a_debit_credit_column_signs_the_amounts_written_positive():
    """A column marking each line a debit or a credit ("Dr/Cr": DR, CR; "Document Type": Invoice, Credit Note)
    beside amounts all written positive: the credits are refunds, counted negative, with a warning. Where the
    credits are already negative the column only repeats the sign; where they carry both signs nothing is
    guessed. Single letters (D, C) count only under a header that speaks of debits and credits."""
    drcr = parse(csv_bytes(["Date,Supplier,Amount,Dr/Cr", "01/03/2024,Kier Services Ltd,1000.00,DR",
                            "02/03/2024,Kier Services Ltd,250.00,CR", "03/03/2024,Mitie Ltd,600.00,DR"]),
                 filename="spend-2024-03.csv")
    assert drcr.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("-250.00"), Decimal("600.00")]
    assert any("1 lines marked as credits in column 'Dr/Cr'" in w for w in drcr.warnings), drcr.warnings
    notes = parse(csv_bytes(["Date,Supplier,Document Type,Amount", "01/03/2024,Kier Ltd,Invoice,1000.00",
                             "02/03/2024,Kier Ltd,Credit Note,250.00"]), filename="spend-2024-03.csv")
    assert notes.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("-250.00")]
    signed = parse(csv_bytes(["Date,Supplier,Amount,D/C", "01/03/2024,Kier Ltd,1000.00,D",
                              "02/03/2024,Kier Ltd,-250.00,C"]), filename="spend-2024-03.csv")
    assert signed.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("-250.00")]
    both = parse(csv_bytes(["Date,Supplier,Amount,Dr/Cr", "01/03/2024,Kier Ltd,1000.00,DR",
                            "02/03/2024,Kier Ltd,-250.00,CR", "03/03/2024,Mitie Ltd,75.00,CR"]),
                 filename="spend-2024-03.csv")
    assert both.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("-250.00"), Decimal("75.00")]
    assert any("1 of their amounts are positive and 1 negative" in w for w in both.warnings), both.warnings
    letters = parse(csv_bytes(["Date,Supplier,Amount,Grade", "01/03/2024,Kier Ltd,1000.00,D",
                               "02/03/2024,Kier Ltd,250.00,C"]), filename="spend-2024-03.csv")
    assert letters.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("250.00")]


def test_a_column_of_supplier_codes_under_a_payee_header_is_not_the_payee():
    """"Vendor" beside "Vendor Name" (or "Creditor" beside "Creditor Name"): the first header maps, but its
    values are codes ("V5001"): the payee is the column of names beside it, whichever comes first."""
    for code, name in (("Vendor", "Vendor Name"), ("Creditor", "Creditor Name")):
        result = parse(csv_bytes([f"{code},{name},Date,Amount", "V5001,Kier Services Ltd,01/03/2024,1000.00",
                                  "V5002,Mitie Ltd,02/03/2024,2000.00", "V5001,Kier Services Ltd,03/03/2024,5.00"]),
                       filename="spend-2024-03.csv")
        assert result.rows["supplier_name"].to_list() == ["Kier Services Ltd", "Mitie Ltd", "Kier Services Ltd"]
        assert result.mapping["supplier_name"]["header"] == name


def test_a_utf8_file_with_a_stray_cp1252_byte_keeps_its_accents():
    """A UTF-8 file holding one byte that is not UTF-8 (a "£" from a cp1252 export joined to it) was read whole
    as cp1252, turning every accented name to mojibake ("CafÃ©"): the stray byte is read as cp1252, the rest as
    UTF-8, with a warning. A cp1252 file (lone accented bytes, none forming UTF-8) is still cp1252."""
    lines = ["Date,Supplier,Description,Amount"] + [f"0{d}/03/2024,Café Nero Ltd,Coffee,{d}00.00" for d in range(1, 4)]
    data = csv_bytes(lines).replace(b"Coffee", b"Fee \xa3 paid", 1)
    result = parse(data, filename="spend-2024-03.csv")
    assert result.encoding == "utf-8+cp1252"
    assert result.rows["supplier_name"].unique().to_list() == ["Café Nero Ltd"]
    assert result.rows["purpose"].to_list()[0] == "Fee £ paid"
    assert any("read as cp1252" in w for w in result.warnings), result.warnings
    cp1252 = parse(csv_bytes(lines, encoding="cp1252").replace(b"Coffee", b"Fee \xa3 paid", 1),
                   filename="s-2024-03.csv")
    assert cp1252.encoding == "cp1252" and cp1252.rows["supplier_name"].unique().to_list() == ["Café Nero Ltd"]


def test_an_amount_split_by_unquoted_thousands_commas_is_joined_again():
    """"16,469.92" written unquoted in a comma-separated line is two cells ("16" | "469.92") and pushes the rest
    of the line one cell right, past the header: the amount is joined again, the cells after it move back, and
    the line is flagged amount_rejoined. When a line reaches past the header for another reason (a payee's
    unquoted comma), or a column under no header cell holds codes beside whole-pound amounts, nothing is
    joined."""
    result = parse(csv_bytes([
        "Date,Supplier,Amount,Department", "01/03/2024,Kier Services Ltd,16,469.92,Highways",
        "02/03/2024,Mitie Ltd,750.00,Waste", "03/03/2024,Capita plc,1,234,567.89,Finance"]),
        filename="spend-2024-03.csv")
    rows = result.rows
    assert rows["amount"].to_list() == [Decimal("16469.92"), Decimal("750.00"), Decimal("1234567.89")]
    assert rows["department"].to_list() == ["Highways", "Waste", "Finance"]
    assert rows["row_flags"].to_list() == ["amount_rejoined", None, "amount_rejoined"]
    assert any("2 amounts written with thousands commas" in w for w in result.warnings), result.warnings
    mixed = parse(csv_bytes(["Date,Supplier,Amount,Department", "01/03/2024,Kier Services Ltd,16,469.92,Highways",
                             "04/03/2024,Smith, John,40.00,Care"]), filename="spend-2024-03.csv")
    assert mixed.rows["amount"].to_list()[0] == Decimal("16.00")
    codes = parse(csv_bytes(["Date,Supplier,Amount", *[f"0{d}/03/2024,{SUPPLIERS[d]},500,{d}23" for d in range(1, 6)]]),
                  filename="spend-2024-03.csv")
    assert codes.rows["amount"].to_list() == [Decimal("500.00")] * 5


def test_a_row_of_units_under_the_header_is_a_note():
    """"(dd/mm/yyyy),,(£)" under the header: no date, no payee, no digit in its amount cell; not a line (it was
    kept as an empty payment flagged amount_unparsed, and counted as an unlabelled redaction). A payee with an
    amount written "TBC" is still a line, flagged."""
    result = parse(csv_bytes(["Payment Date,Supplier Name,Amount", "(dd/mm/yyyy),,(£)",
                              *[f"0{d}/03/2024,{SUPPLIERS[d]},{d}00.00" for d in range(1, 6)],
                              "06/03/2024,Mitie Ltd,TBC"]), filename="spend-2024-03.csv")
    assert result.rows["supplier_name"].to_list() == [*SUPPLIERS[1:6], "Mitie Ltd"]
    assert result.dropped_by_reason == {"header": 1, "note": 1}
    assert result.rows["row_flags"].to_list() == [None] * 5 + ["amount_unparsed"]


def test_a_heading_merged_over_net_vat_and_gross_leaves_each_its_own_header():
    """A workbook's header in two rows, "Amount (£)" merged over "Net", "VAT" and "Gross": the merged text sits
    in the first cell of its span only, so "Amount (£)" + "Net" named nothing and Gross became the amount (20%
    more money). A column's two cells are joined when that names a field, else the one that does is taken."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Spend")
    sheet.merge_range(0, 0, 0, 1, "Payment")
    sheet.merge_range(0, 2, 0, 3, "Supplier")
    sheet.merge_range(0, 4, 0, 6, "Amount (£)")
    sheet.write_row(1, 0, ["Date", "Reference", "Name", "ID", "Net", "VAT", "Gross"])
    for i, (net, vat) in enumerate([(1000, 200), (250, 50), (99.5, 0)], start=2):
        sheet.write_row(i, 0, [f"0{i}/03/2024", f"R{i}", SUPPLIERS[i], f"S{i}", net, vat, net + vat])
    book.close()
    result = parse(buffer.getvalue(), filename="spend-2024-03.xlsx")
    assert result.rows["amount"].to_list() == [Decimal("1000.00"), Decimal("250.00"), Decimal("99.50")]
    assert result.amount_basis == "net" and result.header["Net"] == "amount" and result.header["VAT"] == "vat_amount"
    assert result.rows["supplier_name"].to_list() == SUPPLIERS[2:5]


def test_contracts_and_grants_registers_under_plain_headers_are_refused():
    """A contracts register headed "Start, End, Value" (or "Commencement Date, Expiry Date, Estimated Annual
    Value") is no payments file: read as one, its contract end dates became payment dates and its contract values
    payments. A grants list with "Date Awarded" and "Grant Scheme" likewise (the Transparency Code's grants)."""
    contracts = parse(csv_bytes(["Reference,Description,Supplier,Start,End,Value,Department",
                                 "C0000,Agency staff,Kier Services Ltd,16/01/2023,16/01/2026,160859.19,Adults"]))
    assert contracts.reason_code == "not_spend:contracts_register", contracts.reason
    expiry = parse(csv_bytes(["Ref,Supplier Name,Title,Commencement Date,Expiry Date,Estimated Annual Value",
                              "CR0,Kier Services Ltd,Services,27/09/2022,27/09/2024,48024.27"]))
    assert expiry.reason_code == "not_spend:contracts_register", expiry.reason
    grants = parse(csv_bytes(["Beneficiary,Charity Number,Date Awarded,Amount,Grant Scheme",
                              "Age UK Lancashire,1000000,03/06/2023,19930.06,Community grants"]))
    assert grants.reason_code == "not_spend:grants", grants.reason


def test_one_table_published_twice_in_a_file_is_counted_once():
    """A ZIP holding the month as CSV and as a workbook (or a workbook whose second sheet repeats the first):
    the same lines, in any order, are counted once; the repeat is set aside as `repeated_table`, said in a
    warning. Two different months in one ZIP are both kept."""
    march = ["Payment Date,Supplier Name,Amount", "01/03/2024,Kier Services Ltd,100.00", "02/03/2024,Mitie Ltd,50.00"]
    april = ["Payment Date,Supplier Name,Amount", "01/04/2024,Kier Services Ltd,100.00", "02/04/2024,Mitie Ltd,50.00"]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("March")
    for i, line in enumerate([march[0], march[2], march[1]]):
        sheet.write_row(i, 0, line.split(","))
    book.close()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("spend-2024-03.csv", csv_bytes(march))
        zf.writestr("spend-2024-03.xlsx", buffer.getvalue())
    twice = parse(archive.getvalue(), filename="spend-2024-03.zip")
    assert twice.rows.height == 2 and twice.rows["amount"].sum() == Decimal("150.00")
    assert twice.dropped_by_reason["repeated_table"] == 3 and twice.rows_in == 6
    assert any("the same lines as an earlier sheet" in w for w in twice.warnings), twice.warnings
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("spend-2024-03.csv", csv_bytes(march))
        zf.writestr("spend-2024-04.csv", csv_bytes(april))
    assert parse(archive.getvalue(), filename="spend-2024-q1.zip").rows.height == 4


def test_months_named_without_a_year_are_read_inside_the_files_year():
    """A year's file ("spend-2023-24") whose lines carry only their accounting period ("P01" is April, "P13"
    March) or a month's name ("April", "January") dates each line by the first of that month inside the
    financial year, with month precision, where the file was refused for having no payment date. Periods need
    a financial year; a month's name any period of a year or less; with no period no year is guessed."""
    periods = parse(csv_bytes(["Period,Supplier Name,Amount", "P01,Kier Services Ltd,-1089.72",
                               "P02,Veolia ES (UK) Ltd,1989.69", "P12,Capita plc,13718.16", "P13,Mitie Ltd,5.00"]),
                    filename="spend-2023-24.csv")
    assert periods.kind == "spend", periods.reason
    assert periods.rows["payment_date"].to_list() == [dt.date(2023, 4, 1), dt.date(2023, 5, 1), dt.date(2024, 3, 1),
                                                      dt.date(2024, 3, 1)]
    assert periods.rows["date_precision"].unique().to_list() == ["month"]
    names = parse(csv_bytes(["Month,Supplier Name,Amount", "April,Kier Services Ltd,-964.99",
                             "Sept,Veolia ES (UK) Ltd,1718.29", "January,Capita plc,7900.82"]),
                  filename="spend-2023-24.csv")
    assert names.rows["payment_date"].to_list() == [dt.date(2023, 4, 1), dt.date(2023, 9, 1), dt.date(2024, 1, 1)]
    quarter = parse(csv_bytes(["Month,Supplier Name,Amount", "April,Kier Services Ltd,1.00", "P02,Mitie Ltd,2.00",
                                "May,Capita plc,3.00", "June,Biffa Ltd,4.00"]), filename="spend-apr-jun-2023.csv")
    assert quarter.rows["payment_date"].to_list() == [dt.date(2023, 4, 1), None, dt.date(2023, 5, 1),
                                                       dt.date(2023, 6, 1)]
    assert parse(csv_bytes(["Period,Supplier Name,Amount", "P01,Kier Services Ltd,1.00", "P02,Mitie Ltd,2.00"]),
                 filename="spend.csv").reason_code == "unmapped_header"


def test_a_report_grouped_by_payee_fills_the_payee_down():
    """A report that prints each payee once, on its group's first line, leaves the payee cell of the lines below
    blank: those lines are the payee's (flagged supplier_filled_down), not unlabelled redactions. A file whose
    named payees recur, or that names each payee once beside fewer blank lines (redactions), is not grouped."""
    grouped = parse(csv_bytes(["Supplier Name,Payment Date,Amount", "Kier Services Ltd,14/03/2024,-2231.12",
                               ",18/03/2024,-539.29", ",06/03/2024,16420.27", "Veolia ES (UK) Ltd,08/03/2024,12645.36",
                               ",01/03/2024,9924.03", "Capita plc,01/03/2024,4701.85"]), filename="spend-2024-03.csv")
    assert grouped.rows["supplier_name"].to_list() == ["Kier Services Ltd"] * 3 + ["Veolia ES (UK) Ltd"] * 2 + [
        "Capita plc"]
    assert grouped.rows["row_flags"].to_list() == [None, "supplier_filled_down", "supplier_filled_down", None,
                                                   "supplier_filled_down", None]
    assert grouped.rows["redaction_kind"].unique().to_list() == ["none"]
    scattered = parse(csv_bytes(["Supplier Name,Payment Date,Amount", "Kier Services Ltd,14/03/2024,1.00",
                                 ",18/03/2024,2.00", ",06/03/2024,3.00", "Kier Services Ltd,08/03/2024,4.00",
                                 ",01/03/2024,5.00", "Capita plc,01/03/2024,6.00"]), filename="spend-2024-03.csv")
    assert scattered.rows["supplier_name"].null_count() == 3
    once = parse(csv_bytes(["Supplier Name,Payment Date,Amount",
                            *[f"{SUPPLIERS[d]},0{d + 1}/03/2024,{d}.00" for d in range(6)],
                            ",07/03/2024,7.00", ",08/03/2024,8.00", ",09/03/2024,9.00"]), filename="spend-2024-03.csv")
    assert once.rows["supplier_name"].null_count() == 3


def test_a_file_ending_inside_its_last_record_flags_that_line():
    """A download cut short (a server announcing fewer bytes than it held) ends inside a record: no line end,
    fewer fields than the record before. That line is flagged record_cut_short (its amount may be cut: "12" of
    "1,234.56") and a warning says so; a file merely lacking its last line end is whole."""
    body = "Date,Supplier,Amount,Department\r\n01/03/2024,Kier Services Ltd,100.00,Highways\r\n02/03/2024,Mitie Ltd,12"
    cut = parse(body.encode(), filename="spend-2024-03.csv")
    assert cut.rows["row_flags"].to_list() == [None, "record_cut_short"]
    assert any("ends inside its last record" in w for w in cut.warnings), cut.warnings
    whole = parse((body + "34.56,Waste").encode(), filename="spend-2024-03.csv")
    assert whole.rows["row_flags"].to_list() == [None, None] and not any("ends inside" in w for w in whole.warnings)


def test_a_sheet_of_credit_notes_beside_the_payments_is_counted_negative():
    """A workbook keeping its credit notes on a sheet of their own, written positive: that sheet's amounts are
    credits (counted negative, with a warning). A "Credit Card" sheet is card spending, as written."""
    invoices = [["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", 600], ["B Ltd", "02/05/2024", 700]]
    credits = [["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "09/05/2024", 100]]
    result = parse(_workbook({"Invoices": invoices, "Credit Notes": credits}), filename="spend-2024-05.xlsx")
    assert result.rows["amount"].to_list() == [Decimal("600.00"), Decimal("700.00"), Decimal("-100.00")]
    assert any("'Credit Notes': its 1 amounts are credits" in w for w in result.warnings), result.warnings
    card = parse(_workbook({"Invoices": invoices, "Credit Card": credits}), filename="spend-2024-05.xlsx")
    assert card.rows["amount"].sum() == Decimal("1400.00")
