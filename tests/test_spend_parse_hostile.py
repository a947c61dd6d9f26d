"""Hostile files (issue 11, file side): each parse finishes quickly with a specific rejection, and memory stays
bounded (measured in a child process where a naive reader would blow up). Inputs are generated here, small
on disk: a bomb is small compressed."""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import textwrap
import zipfile
from decimal import Decimal

import pytest
import xlsxwriter

from pipelines.spend.parse import parse_spend
from pipelines.spend.readers import ParserLimits

HEADER = b"Supplier Name,Payment Date,Amount\r\n"
GOOD = HEADER + b"A Ltd,01/05/2024,10.00\r\nB Ltd,02/05/2024,20.00\r\n"


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def _zip_bomb(member_bytes: int) -> bytes:
    """One member of `member_bytes` zeros, streamed into the archive (a few hundred KB compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("payments.csv", "w", force_zip64=True) as fh:
            fh.write(HEADER)
            chunk = b"\x00" * (1 << 20)
            for _ in range(member_bytes >> 20):
                fh.write(chunk)
    return buf.getvalue()


def _lie_about_size(archive: bytes, declared: int) -> bytes:
    """Rewrite every declared uncompressed size (local and central headers) to `declared` bytes."""
    data = bytearray(archive)
    at = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, at + 22, declared)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


# Appended to the measured code: the child reports its own peak RSS (VmHWM). The wait4 rusage of a child is not
# usable here: Linux folds the pre-exec (forked) image's high-water mark into it, so a child started from a large
# pytest process would report the parent's size, and the result would depend on which tests ran before.
_REPORT_PEAK = """
import sys
with open("/proc/self/status") as _status:
    _peak_kb = next(int(line.split()[1]) for line in _status if line.startswith("VmHWM:"))
print(_peak_kb, file=sys.stderr)
"""


def _measured(code: str) -> tuple[dict, float]:
    """Run `code` (which prints one JSON line) in a child interpreter; (its output, its own peak RSS in MB)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code) + _REPORT_PEAK], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    peak_kb = int(proc.stderr.decode().strip().splitlines()[-1])
    return json.loads(proc.stdout.decode().strip().splitlines()[-1]), peak_kb / 1024


def test_zip_bomb_refused_by_ratio_before_inflating():
    bomb = _zip_bomb(64 << 20)
    assert len(bomb) < 200_000
    result = parse_spend(bomb, filename="q1.zip")
    assert (result.kind, result.reason_code) == ("rejected", "zip_bomb")
    assert "payments.csv" in result.reason


def test_zip_member_lying_about_its_size_stops_at_the_declared_size():
    archive = _zip({"payments.csv": HEADER + b"\x00" * (8 << 20)})
    bomb = _lie_about_size(archive, 1000)  # declares 1 KB, holds 8 MB: never inflated past 1 KB
    result = parse_spend(bomb, filename="q1.zip")
    assert (result.kind, result.reason_code) == ("rejected", "zip_member_mismatch")


def test_zip_over_the_total_size_limit():
    archive = _zip({"a.csv": GOOD * 2000, "b.csv": GOOD * 2000})
    result = parse_spend(archive, filename="q1.zip", limits=ParserLimits(max_uncompressed_bytes=100_000))
    assert (result.kind, result.reason_code) == ("rejected", "zip_too_large")


def test_zip_with_too_many_members():
    archive = _zip({f"m{i}.csv": GOOD for i in range(30)})
    result = parse_spend(archive, filename="q1.zip", limits=ParserLimits(max_zip_members=20))
    assert (result.kind, result.reason_code) == ("rejected", "zip_too_many_members")


def test_zip_member_names_that_climb_out_are_refused():
    for name in ("../../etc/cron.d/evil.csv", "/abs/evil.csv", "ok/../../evil.csv", "C:/evil.csv"):
        result = parse_spend(_zip({"fine.csv": GOOD, name: GOOD}), filename="q1.zip")
        assert (result.kind, result.reason_code) == ("rejected", "zip_unsafe_member_name"), name


def _far_cell_workbook() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Payments")
    for r, row in enumerate([["Supplier Name", "Payment Date", "Amount"], ["A Ltd", "01/05/2024", 10]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    ws.write(1048575, 16383, "x")  # XFD1048576: the last cell Excel allows
    wb.close()
    return buf.getvalue()


def test_xlsx_far_cell_refused_before_the_excel_reader():
    result = parse_spend(_far_cell_workbook(), filename="spend.xlsx")
    assert (result.kind, result.reason_code) == ("rejected", "workbook_too_large")
    assert "1,048,576" in result.reason


@pytest.mark.parametrize("far", [
    b'<row r="2"><c r="XFD5000" t="inlineStr"><is><t>x</t></is></c></row>',          # 16,384 x 5,000 cells
    b'<x:row r="2"><x:c s="0" t="inlineStr" r="XFD5000"><x:is><x:t>x</x:t></x:is></x:c></x:row>',  # prefixed, r last
    b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>',                           # past Excel's last row
])
def test_xlsx_far_cell_found_when_the_dimension_lies(far):
    """The <dimension> says A1:C2, but one row or cell reference reaches far: every reference is read, whatever
    the element's namespace prefix or the order of its attributes."""
    base = io.BytesIO(_far_cell_workbook())
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:C2"/>', body)
                body = re.sub(rb'<row r="1048576".*?</row>', b"", body, flags=re.S)
                body = body.replace(b"</sheetData>", far + b"</sheetData>")
                assert b"1048576" not in body
            dst.writestr(info.filename, body)
    result = parse_spend(out.getvalue(), filename="spend.xlsx")
    assert (result.kind, result.reason_code) == ("rejected", "workbook_too_large")


def test_xlsx_far_cell_past_the_checks_costs_one_child_not_the_process():
    """With the dimension check switched off, the Excel reader's runaway allocation happens in the child
    process under its memory limit: this process gets a reason code and goes on."""
    limits = ParserLimits(max_sheet_cells=10**12, max_sheet_rows=10**7, max_columns=10**6,
                          workbook_memory_bytes=1 << 30, workbook_timeout_s=120)
    result = parse_spend(_far_cell_workbook(), filename="spend.xlsx", limits=limits)
    assert result.kind == "rejected"
    assert result.reason_code in ("workbook_memory_limit", "workbook_crashed")


def test_xlsx_bomb_refused_by_ratio():
    """A workbook whose sheet XML inflates a thousandfold (padding in the XML) is refused unread."""
    base = io.BytesIO(_far_cell_workbook())
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData>", b"<sheetData>" + b" " * (48 << 20), 1)
            dst.writestr(info.filename, body)
    result = parse_spend(out.getvalue(), filename="spend.xlsx")
    assert (result.kind, result.reason_code) == ("rejected", "zip_bomb")


def test_a_50mb_line_is_refused_quickly_with_bounded_memory_and_reason():
    """A 50 MB line of commas once drove a parse past 14 GB and was echoed whole into the reason."""
    info, rss_mb = _measured("""
        import json, time
        from pipelines.spend.parse import parse_spend
        data = b"Supplier Name,Payment Date,Amount\\r\\n" + b"," * 50_000_000 + b"\\r\\nA Ltd,01/05/2024,1\\r\\n"
        start = time.perf_counter()
        r = parse_spend(data, filename="x.csv")
        print(json.dumps({"kind": r.kind, "code": r.reason_code, "reason": r.reason,
                          "seconds": time.perf_counter() - start}))
    """)
    assert (info["kind"], info["code"]) == ("rejected", "line_too_long")
    assert len(info["reason"]) < 1000
    assert rss_mb < 1000  # the 50 MB of bytes, the interpreter and the libraries, nothing per field


def test_lines_padded_to_thousands_of_empty_columns_cost_their_cells_not_their_commas():
    """An export that pads every line to its sheet's formatted width (here 8,000 empty fields on 4,000 lines,
    64 MB of commas) is read as the lines it holds. Each empty column was cleaned and carried cell by cell:
    a 20,000-line month padded to 16,000 columns took 91 s and 8.5 GB."""
    info, rss_mb = _measured("""
        import json
        from pipelines.spend.parse import parse_spend
        pad = b"," * 8000
        lines = [b"Supplier Name,Payment Date,Amount" + pad]
        lines += [b"Firm %d Ltd,%02d/05/2024,%d.50" % (i % 97, 1 + i % 28, 600 + i) + pad for i in range(4000)]
        r = parse_spend(b"\\r\\n".join(lines) + b"\\r\\n", filename="2024-05.csv")
        print(json.dumps({"kind": r.kind, "rows": r.rows.height, "total": str(r.rows.get_column("amount").sum()),
                          "width": r.rows.width}))
    """)
    assert info["kind"] == "spend" and info["rows"] == 4000
    assert info["total"] == f"{sum(600 + i for i in range(4000)) + 2000}.00"
    assert rss_mb < 900  # 1,285 MB before; about 600 now, 128 MB of it the input held twice


def test_a_text_grid_is_bounded_in_filled_cells():
    """Short filled cells cost tens of bytes of memory per byte of text (a 92 MB file of 48 million one-letter
    cells took 3.4 GB): a text grid is bounded in cells as a worksheet is, and padding does not count."""
    cells = b"\r\n".join([b"Supplier Name,Payment Date,Amount,x,x,x"] + [b"A Ltd,01/05/2024,1.00,x,x,x"] * 300)
    limits = ParserLimits(max_sheet_cells=1500)
    refused = parse_spend(cells + b"\r\n", filename="x.csv", limits=limits)
    assert (refused.kind, refused.reason_code) == ("rejected", "too_many_cells")
    padded = b"\r\n".join([b"Supplier Name,Payment Date,Amount" + b"," * 50]
                          + [b"A Ltd,01/05/2024,1.00" + b"," * 50] * 300)
    assert parse_spend(padded + b"\r\n", filename="x.csv", limits=limits).kind == "spend"


def test_unparseable_line_is_not_echoed_whole_into_the_reason():
    line = b"x" * 500_000  # under the line limit, one field of words: no header, no amount
    result = parse_spend(line + b"\r\n" + line + b"\r\n", filename="x.csv")
    assert result.kind == "rejected"
    assert len(result.reason) < 1000


def test_a_field_over_the_limit_is_refused():
    data = HEADER + b'A Ltd,01/05/2024,"' + b"9" * 300_000 + b'"\r\n'
    result = parse_spend(data, filename="x.csv", limits=ParserLimits(max_line_bytes=1 << 20, max_field_bytes=100_000))
    assert (result.kind, result.reason_code) == ("rejected", "field_too_long")


def test_a_zip_of_csv_lines_over_the_limit_is_bounded_in_memory():
    """A ZIP holding more CSV than the limit (2 GB in the wild) stops at the limit, in bounded memory."""
    info, rss_mb = _measured("""
        import io, json, zipfile
        from pipelines.spend.parse import parse_spend
        from pipelines.spend.readers import ParserLimits
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("big.csv", "w", force_zip64=True) as fh:
                fh.write(b"Supplier Name,Payment Date,Amount\\r\\n")
                for _ in range(3000):
                    fh.write(b"A Ltd,01/05/2024,10.00\\r\\n" * 4000)
        r = parse_spend(buf.getvalue(), filename="big.zip", limits=ParserLimits(max_uncompressed_bytes=64 << 20))
        print(json.dumps({"kind": r.kind, "code": r.reason_code}))
    """)
    assert (info["kind"], info["code"]) == ("rejected", "zip_too_large")
    assert rss_mb < 900


def test_decimal_comma_semicolon_file_read_correctly():
    data = ("Supplier Name;Payment Date;Amount\r\nA Ltd;01/05/2024;1.234,56\r\nB Ltd;02/05/2024;10,50\r\n"
            "C Ltd;03/05/2024;-7,00\r\n").encode()
    result = parse_spend(data, filename="x.csv")
    assert result.kind == "spend"
    assert result.rows.get_column("amount").to_list() == [Decimal("1234.56"), Decimal("10.50"), Decimal("-7.00")]
    assert any("decimal comma" in w for w in result.warnings)


def test_mixed_decimal_separators_rejected_never_scaled():
    data = ("Supplier Name;Payment Date;Amount\r\nA Ltd;01/05/2024;1.234,56\r\nB Ltd;02/05/2024;10.50\r\n"
            "C Ltd;03/05/2024;-7,00\r\nD Ltd;04/05/2024;3.25\r\n").encode()
    result = parse_spend(data, filename="x.csv")
    assert (result.kind, result.reason_code) == ("rejected", "amount_decimal_ambiguous")


def test_some_unreadable_amounts_are_warned_and_flagged():
    data = HEADER + b"A Ltd,01/05/2024,10.00\r\nB Ltd,02/05/2024,TBC\r\nC Ltd,03/05/2024,5.00\r\n"
    result = parse_spend(data, filename="x.csv")
    assert result.kind == "spend"
    assert any(w.startswith("amount_unparsed") for w in result.warnings)
    assert result.rows.filter(result.rows.get_column("row_flags") == "amount_unparsed").height == 1


def test_html_served_as_csv_stays_quarantined():
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf</body></html>"
    assert parse_spend(page, filename="spend-2024-05.csv").reason_code == "html_page"


def test_stray_quotes_and_cr_only_line_ends():
    """Polars refuses a quote inside an unquoted field; the reader falls back without losing a row."""
    data = HEADER.replace(b"\r\n", b"\r") + b'O"Brien Ltd,01/05/2024,10.00\rSmith"s Ltd,02/05/2024,5\r'
    result = parse_spend(data, filename="x.csv")
    assert result.kind == "spend", result.reason
    assert result.rows.get_column("supplier_name").to_list() == ['O"Brien Ltd', 'Smith"s Ltd']
