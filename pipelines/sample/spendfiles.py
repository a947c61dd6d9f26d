"""Writers for each council's "spending over £500" layout.

Each writer turns a council's lines into published files (bytes plus what truth needs: rows, net total,
period, format, encoding). The layouts copy what real councils do (parsing.md): encodings, preambles, total
rows, spacer columns, date and amount formats, one sheet per month, zips of monthly CSVs, header drift.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import random
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

import xlsxwriter

from pipelines.sample.world import COUNCIL_BY_GSS, Line, Supplier, financial_year, fy_quarter

MONTH_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH_NAME = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


@dataclass
class Published:
    council_gss: str
    url_path: str
    period_key: str
    period_label: str  # the period as the link text names it
    format: str  # csv | xlsx | zip
    encoding: str | None
    body: bytes
    lines: list[Line]
    published_on: dt.date
    members: list[dict] = field(default_factory=list)  # zip members / xlsx sheets: name, period_key, rows, net

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def net_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0.00"))


def hashed(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def csv_text(rows: list[list[str]], newline: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def money(amount: Decimal, style: str) -> str:
    neg = amount < 0
    a = -amount if neg else amount
    if style == "plain":
        return f"{amount:.2f}"
    if style == "pound_commas_brackets":
        return f"(£{a:,.2f})" if neg else f"£{a:,.2f}"
    if style == "commas_brackets":
        return f"({a:,.2f})" if neg else f"£{a:,.2f}"
    if style == "commas":
        return f"-{a:,.2f}" if neg else f"{a:,.2f}"
    if style == "trailing_minus":
        return f"{a:.2f}-" if neg else f"{a:.2f}"
    raise ValueError(style)


def first_of_next(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


class Namer:
    """Chooses the spelling each council uses for each supplier, and records every string published."""

    def __init__(self, rng: random.Random, suppliers: dict[str, Supplier]):
        self.rng = rng
        self.suppliers = suppliers
        self.choice: dict[tuple[str, str], str] = {}

    def line_name(self, ln: Line, style: str = "as_is") -> str:
        """The name one line is published under: its own variant when the spelling changed, else the usual."""
        return self.name(ln.council_gss, ln.supplier_key, style, base=ln.name_variant)

    def name(self, council_gss: str, key: str, style: str = "as_is", base: str | None = None) -> str:
        s = self.suppliers[key]
        base = base or self.choice.get((council_gss, key))
        if base is None:
            base = self.choice[(council_gss, key)] = self.rng.choice(s.variants)
        if style == "upper":
            out = base.upper()
        elif style == "title":
            out = base.title().replace("'S", "'s")
        elif style == "nbsp" and " " in base and s.org_type == "charity":
            out = base.upper().replace(" ", "\u00a0", 1)  # Leeds exports carry NBSPs inside names
        elif style == "nbsp":
            out = base.upper()
        else:
            out = base
        s.published.add(out)
        return out


def creditor_type(s: Supplier) -> str:
    return {"company": "PLC" if s.canonical_name.endswith("PLC") else "LTD", "charity": "CHTY", "cic": "CIC",
            "public_body": "WGA", "individual": "INDV", "redacted": "INDV", "other": "SOLE"}[s.org_type]


def by_month(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    return [(k, list(g)) for k, g in groupby(lines, key=lambda ln: ln.month)]


def ym(month: str) -> tuple[int, int]:
    return int(month[:4]), int(month[5:])


# --- one writer per layout ----------------------------------------------------------------------------------

def devon(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        drift = month >= "2024-10"  # a new export: body name and expense area headers renamed
        header = ["Body", "Body Name" if drift else "Name of Body", "Date", "Transaction Number", "Invoice Number",
                  "Amount", "Supplier Name", "Supplier ID", "Vat Reg No",
                  "Service Area" if drift else "Expense Area", "Expense Type", "Expense Code", "Creditor Type"]
        rows = [header]
        for ln in mlines:
            s = namer.suppliers[ln.supplier_key]
            amount = f"{ln.amount:.2f}"
            if rng.random() < 0.04 and amount.endswith(("1", "3", "7")):
                amount += "0000000000004"  # float artefact from the ledger export
            personal = s.org_type in ("individual", "redacted")
            rows.append(["18", "Devon County Council", f"{ln.payment_date.isoformat()} 00:00:00", ln.transaction_id,
                         "REDACTED UNDER DP ACT" if personal else f"INV{rng.randint(10000, 99999)}", amount,
                         namer.line_name(ln), str(100000 + abs(hash_key(s.key)) % 90000),
                         s.vat_number or "", ln.department, ln.expense_type, str(2000 + len(ln.expense_type)),
                         creditor_type(s)])
        body = ("\ufeff" + csv_text(rows)).encode("utf-8")
        out.append(Published(ln.council_gss, f"/councils/devon/documents/DCCSpendingOver500_{y}{m:02d}.csv", month,
                             f"{MONTH_NAME[m]} {y}", "csv", "utf-8-sig", body, mlines,
                             first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=17)))
    return out


def hash_key(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def exeter(lines, namer, rng):
    out = []
    for quarter, qlines in groupby(lines, key=lambda ln: fy_quarter(*ym(ln.month))):
        qlines = list(qlines)
        start, q = quarter.split("-Q")
        fy = f"{start}/{(int(start) + 1) % 100:02d}"
        drift = quarter >= "2024-Q1"
        header = (["Date", "Transaction Number", "Expense Type", "Service Area", "Supplier", "Net Amount £"] if drift
                  else ["Trans Date", "Trans Ref/No", "Expense Description", "Service", "Supplier Name", "Amount (£)"])
        rows = [[f"Exeter City Council - Payments over £500 - Quarter {q} {fy}", "", "", "", "", ""],
                [""] * 6, header]
        for ln in qlines:
            d = ln.payment_date
            rows.append([f"{d.day:02d}-{MONTH_ABBR[d.month]}-{d.year % 100:02d}", ln.transaction_id,
                         ln.expense_type, ln.department, namer.line_name(ln),
                         money(ln.amount, "pound_commas_brackets")])
        total = sum((ln.amount for ln in qlines), Decimal("0.00"))
        rows.append(["Total", "", "", "", "", money(total, "pound_commas_brackets")])
        body = csv_text(rows).encode("cp1252")
        last = qlines[-1].payment_date
        out.append(Published(qlines[0].council_gss,
                             f"/councils/exeter/media/{hashed('exeter', quarter)}/spend-q{q}-{start}-{int(start) + 1}.csv",
                             quarter, f"Quarter {q} {fy}", "csv", "cp1252", body, qlines,
                             first_of_next(last) + dt.timedelta(days=24)))
    return out


def bristol(lines, namer, rng):
    out = []
    for fy, flines in groupby(lines, key=lambda ln: financial_year(*ym(ln.month))):
        flines = list(flines)
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        wb.set_properties({"created": dt.datetime(2025, 1, 1), "author": "Bristol City Council"})
        date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
        money_fmt = wb.add_format({"num_format": "£#,##0.00;(£#,##0.00)"})
        bold = wb.add_format({"bold": True})
        drift = fy >= "2024-25"
        header = (["Directorate", "Expense Type", "Payment Date", "Transaction Number", "Supplier Name",
                   "Supplier ID", "Net Amount"] if drift else
                  ["Service Area", "Expense Type", "Payment Date", "Transaction Number", "Supplier Name",
                   "Supplier ID", "Amount"])
        members = []
        for month, mlines in by_month(flines):
            y, m = ym(month)
            sheet = f"{MONTH_NAME[m]} {y}" if drift else f"{MONTH_ABBR[m]} {y % 100:02d}"
            ws = wb.add_worksheet(sheet)
            ws.write(0, 0, f"Bristol City Council - Spend over £500 - {MONTH_NAME[m]} {y}", bold)
            ws.write_row(2, 0, header, bold)
            for r, ln in enumerate(mlines, start=3):
                serial = (ln.payment_date - dt.date(1899, 12, 30)).days
                if rng.random() < 0.15:
                    serial += 1 / 24  # timestamps exported at 01:00 BST: fractional serials, same day
                ws.write_string(r, 0, ln.department)
                ws.write_string(r, 1, ln.expense_type)
                ws.write_number(r, 2, serial, date_fmt)
                ws.write_string(r, 3, ln.transaction_id)
                ws.write_string(r, 4, namer.line_name(ln))
                ws.write_string(r, 5, f"S{hash_key(ln.supplier_key) % 100000:05d}")
                ws.write_number(r, 6, float(ln.amount), money_fmt)
            members.append({"name": sheet, "period_key": month, "rows": len(mlines),
                            "net_total": str(sum((ln.amount for ln in mlines), Decimal("0.00")))})
        wb.close()
        start = int(fy[:4])
        out.append(Published(flines[0].council_gss, f"/councils/bristol/files/spend-over-500-{fy}.xlsx", fy,
                             f"{start}/{start + 1}", "xlsx", None, buf.getvalue(), flines,
                             dt.date(start + 1, 4, 20), members))
    return out


def manchester(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        drift = month >= "2023-07"
        header = ["Directorate", "Service", "Expense Type", "Paid Date" if drift else "Payment Date",
                  "Transaction Number", "Supplier Name", "Amount Paid" if drift else "Net Amount"]
        rows = [header]
        for ln in mlines:
            rows.append([ln.department.split(" - ")[0], ln.department, ln.expense_type,
                         ln.payment_date.strftime("%d/%m/%Y"), ln.transaction_id,
                         namer.line_name(ln), money(ln.amount, "commas_brackets")])
        body = csv_text(rows, newline="\r").encode("utf-8")  # CR-only line endings (old Mac export)
        out.append(Published(mlines[0].council_gss,
                             f"/councils/manchester/downloads/payments-over-500-{MONTH_NAME[m].lower()}-{y}.csv",
                             month, f"{MONTH_NAME[m]} {y}", "csv", "utf-8", body, mlines,
                             first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=20)))
    return out


def leeds(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        month_end = first_of_next(dt.date(y, m, 1)) - dt.timedelta(days=1)
        header = ["Organisation Code", "Organisation Label", "Effective Date", "Organisational Unit",
                  "Service Division Label", "Category Internal Name", "Purpose", "Detailed Expenditure Code",
                  "Payment Date", "Transaction Number", "Irrecoverable VAT Amount", "Amount", "Capital Or Revenue",
                  "Beneficiary Name", "Procurement Card"]
        rows = [header]
        for ln in mlines:
            amount = f"{ln.amount:.2f}"
            if rng.random() < 0.05:
                amount = f" {amount} "  # space-padded amounts
            rows.append(["Http://opendatacommunities.org/id/metropolitan-district-council/leeds", "Leeds City Council",
                         month_end.strftime("%d/%m/%Y"), ln.department, ln.service_label or ln.service, ln.expense_type,
                         ln.expense_type, str(500 + len(ln.service)), ln.payment_date.strftime("%d/%m/%Y"),
                         f"{y % 100:02d}{m:02d}-{ln.transaction_id[-5:]}", "0.00", amount,
                         "C" if ln.service == "Construction" else "R",
                         namer.line_name(ln, "nbsp"), "No"])
        body = csv_text(rows).encode("cp1252")
        out.append(Published(mlines[0].council_gss, f"/councils/leeds/files/spend-{month}.csv", month,
                             f"{MONTH_NAME[m]} {y}", "csv", "cp1252", body, mlines,
                             first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=14)))
    return out


def lambeth(lines, namer, rng):
    out = []
    for quarter, qlines in groupby(lines, key=lambda ln: fy_quarter(*ym(ln.month))):
        qlines = list(qlines)
        start, q = quarter.split("-Q")
        buf = io.BytesIO()
        members = []
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for month, mlines in by_month(qlines):
                y, m = ym(month)
                drift = month >= "2024-04"
                rows = [["Lambeth Invoices Over Specified Nett Amount", "", "", "", "", ""], [""] * 6,
                        [f"Report Date: {first_of_next(dt.date(y, m, 1)).strftime('%d/%m/%Y')}", "", "", "", "", ""],
                        [""] * 6,
                        ["Department", "Subj Description", "Payment Date" if drift else "Invoice Creation Date",
                         "Trans No", "Supplier Name", "Invoice Nett Amount"]]
                for ln in mlines:
                    d = ln.payment_date
                    rows.append([ln.department, ln.expense_type,
                                 d.isoformat() if drift else d.strftime("%d/%m/%Y"), ln.transaction_id,
                                 namer.line_name(ln), f"{ln.amount:.2f}"])
                total = sum((ln.amount for ln in mlines), Decimal("0.00"))
                rows.append(["Grand Total", "", "", "", "", f"{total:.2f}"])
                name = f"Lambeth-payments-{month}.csv"
                info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, csv_text(rows).encode("utf-8"))
                members.append({"name": name, "period_key": month, "rows": len(mlines), "net_total": str(total)})
        last = qlines[-1].payment_date
        out.append(Published(qlines[0].council_gss,
                             f"/councils/lambeth/sites/default/files/payments-over-500-{start}-{int(start) + 1}-q{q}.zip",
                             quarter, f"Q{q} {start}/{(int(start) + 1) % 100:02d}", "zip", "utf-8", buf.getvalue(),
                             qlines, first_of_next(last) + dt.timedelta(days=30), members))
    return out


def cornwall_month(month: str, mlines: list[Line], namer: Namer, rng: random.Random) -> bytes:
    drift = month >= "2023-10"
    header = (["Directorate", "Expenditure Category", "Date Paid", "Trans No", "Beneficiary Name", "VAT Reg No",
               "Amount"] if drift else
              ["Service Area", "Expense Type", "Payment Date", "Transaction Number", "Supplier Name", "VAT Reg no",
               "Net Amount"])
    rows = [header]
    for ln in mlines:
        s = namer.suppliers[ln.supplier_key]
        d = ln.payment_date
        name = namer.line_name(ln)
        rows.append([ln.department, ln.expense_type, f"{d.day} {MONTH_ABBR[d.month]} {d.year}", ln.transaction_id,
                     name.ljust(50), f"GB{s.vat_number}" if s.vat_number else "", money(ln.amount, "trailing_minus")])
    return csv_text(rows, newline="\n").encode("utf-8")


def cornwall(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        out.append(Published(mlines[0].council_gss,
                             f"/councils/cornwall/media/{hashed('cornwall', month)}/Spend-over-500-{MONTH_NAME[m]}-{y}.csv",
                             month, f"{MONTH_NAME[m]} {y}", "csv", "utf-8", cornwall_month(month, mlines, namer, rng),
                             mlines, first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=21)))
    return out


HYNDBURN_WIDTH = 70  # trailing empty columns of the old export


def hyndburn_month(month: str, mlines: list[Line], namer: Namer, rng: random.Random) -> bytes:
    y, m = ym(month)
    total = sum((ln.amount for ln in mlines), Decimal("0.00"))
    if month < "2023-10":
        pad = [""] * (HYNDBURN_WIDTH - 7)
        rows = [[""] * HYNDBURN_WIDTH,
                ["Service Cost Centre", "Account Detail", "Description", "HBC ref no", "Name", "Payment Date",
                 "Net Amount (£)"] + pad]
        for ln in mlines:
            d = ln.payment_date
            rows.append([ln.department.upper(), ln.expense_type, ln.expense_type.upper(),
                         f"B0000{ln.transaction_id[-5:]}/{rng.randint(10000, 99999)}",
                         namer.line_name(ln, "upper"),
                         f"{d.day} {MONTH_ABBR[d.month]} {d.year}", f"{ln.amount:.2f}"] + pad)
        rows.append(["", "", "", "", "", "", f"{total:.2f}"] + pad)  # the unlabelled total row
        return csv_text(rows).encode("cp1252")
    # new export with interleaved spacer columns from merged cells
    rows = [["Department Area", "", "Service Area", "", "Description", "", "", "Line", "", "HBC Ref No.", "",
             "Name:  ", "", "", "Payment Date", "", "Amount Paid"]]
    for i, ln in enumerate(mlines):
        description = ln.expense_type if i != 3 else f"{ln.expense_type}\nsee attached schedule"
        rows.append([ln.department, "", ln.service_label or ln.service, "", description, "", "", str(ln.line_no), "",
                     f"CRINV{ln.transaction_id[-7:]}", "", namer.line_name(ln, "title"), "",
                     "", ln.payment_date.strftime("%d/%m/%Y"), "", f"{ln.amount:.2f}"])
    rows.append(["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", f"{total:.2f}"])
    return csv_text(rows).encode("cp1252")


def hyndburn(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        published_on = first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=12)
        # WordPress Download Manager prefixes uploads with their unix time (UTC, so the bytes do not depend on TZ)
        stamp = calendar.timegm((published_on.year, published_on.month, published_on.day, 10, 0, 0))
        out.append(Published(mlines[0].council_gss,
                             f"/councils/hyndburn/wp-content/uploads/{stamp}wpdm_{MONTH_NAME[m]}-{y}.csv", month,
                             f"{MONTH_NAME[m]} {y}", "csv", "cp1252", hyndburn_month(month, mlines, namer, rng),
                             mlines, published_on))
    return out


def lancashire(lines, namer, rng):
    out = []
    for month, mlines in by_month(lines):
        y, m = ym(month)
        rows = [["Body Name", "Service Area", "Expense Type", "Payment Date", "Transaction Number", "Net Amount",
                 "Supplier Name", "Company Number", "Charity Number", "Irrecoverable VAT"]]
        for ln in mlines:
            s = namer.suppliers[ln.supplier_key]
            d = ln.payment_date
            # mixed date formats inside one column
            date = d.strftime("%d/%m/%Y") if rng.random() < 0.85 else f"{d.day:02d}-{MONTH_ABBR[d.month]}-{d.year % 100:02d}"
            number = s.company_number or ""
            if number and rng.random() < 0.3:
                number = number.lstrip("0")  # exported through a spreadsheet: leading zeros lost
            rows.append(["Lancashire County Council", ln.department, ln.expense_type, date, ln.transaction_id,
                         money(ln.amount, "commas"), namer.line_name(ln), number,
                         s.charity_number or "", "0.00"])
        body = csv_text(rows).encode("utf-8")
        out.append(Published(mlines[0].council_gss,
                             f"/councils/lancashire/media/{hashed('lancashire', month)}/spending-over-500-{y}-{m:02d}.csv",
                             month, f"{MONTH_NAME[m]} {y}", "csv", "utf-8", body, mlines,
                             first_of_next(dt.date(y, m, 1)) + dt.timedelta(days=19)))
    return out


WRITERS = {
    "devon_monthly_csv": devon, "exeter_quarterly_csv": exeter, "bristol_yearly_xlsx": bristol,
    "manchester_monthly_cr_csv": manchester, "leeds_lga_csv": leeds, "lambeth_quarterly_zip": lambeth,
    "cornwall_padded_csv": cornwall, "hyndburn_cp1252_csv": hyndburn, "lancashire_monthly_csv": lancashire,
}


def write_council(gss: str, lines: list[Line], namer: Namer, rng: random.Random) -> list[Published]:
    return WRITERS[COUNCIL_BY_GSS[gss].layout](lines, namer, rng)
