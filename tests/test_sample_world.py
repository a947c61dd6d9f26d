"""The sample world generator: determinism, and truth.json agreeing with the files it describes.

The files are re-read here with the standard library (csv, zipfile) and openpyxl, independently of the
generator's own writers, so a writer bug shows up as a disagreement with truth.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from pipelines.sample import generate

AMOUNT_HEADERS = {"amount", "net amount", "amount (£)", "net amount £", "amount paid", "invoice nett amount",
                  "net amount (£)"}
TOTAL_LABELS = {"total", "grand total"}


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def parse_amount(text: str) -> Decimal:
    t = text.replace("£", "").replace(",", "").strip()
    negative = t.startswith("(") and t.endswith(")") or t.endswith("-") or t.startswith("-")
    t = t.strip("()-")
    value = Decimal(t).quantize(Decimal("0.01"))
    return -value if negative else value


def csv_table(text: str) -> list[tuple[list[str], list[str]]]:
    """(header, data row) pairs: header found by its amount column; totals and blank rows skipped."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    h = next(i for i, r in enumerate(rows) if any(c.strip().lower() in AMOUNT_HEADERS for c in r))
    header = rows[h]
    amount_col = next(i for i, c in enumerate(header) if c.strip().lower() in AMOUNT_HEADERS)
    out = []
    for r in rows[h + 1:]:
        cells = [c for c in r if c.strip()]
        if not cells or len(r) <= amount_col or not r[amount_col].strip():
            continue
        if cells[0].strip().lower() in TOTAL_LABELS or len(cells) == 1:  # labelled or unlabelled total row
            continue
        out.append((header, r))
    return out


def read_published(world: Path, entry: dict) -> dict[str, list[tuple[list[str], list[str]]]]:
    """Period/member -> data rows of one published file, read independently of the generator."""
    root = world / ("site_edition2" if entry["edition"] == 2 else "site")
    data = (root / entry["path"].lstrip("/")).read_bytes()
    if entry["format"] == "csv":
        return {entry["period_key"]: csv_table(data.decode(entry["encoding"]))}
    if entry["format"] == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {m: csv_table(zf.read(m).decode("utf-8")) for m in zf.namelist()}
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        header = [str(c or "") for c in rows[2]]
        out[ws.title] = [(header, ["" if c is None else str(c) for c in r]) for r in rows[3:] if any(r)]
    return out


def amount_of(header: list[str], row: list[str]) -> Decimal:
    col = next(i for i, c in enumerate(header) if c.strip().lower() in AMOUNT_HEADERS)
    return parse_amount(row[col])


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    generate(tmp_path / "a", seed=2026)
    generate(tmp_path / "b", seed=2026)
    generate(tmp_path / "c", seed=7)
    a, b, c = digests(tmp_path / "a"), digests(tmp_path / "b"), digests(tmp_path / "c")
    assert len(a) > 250
    assert a == b
    assert a["truth.json"] != c["truth.json"]
    assert sum(1 for k in a if a[k] != c.get(k)) > 100


def test_councils_cover_every_type_with_real_codes(truth):
    councils = {c["gss"]: c for c in truth["councils"]}
    assert len(councils) >= 8
    assert {c["type"] for c in councils.values()} == {"county", "district", "unitary", "metropolitan",
                                                      "london_borough"}
    assert councils["E07000120"]["county_gss"] == "E10000017"
    assert councils["E07000041"]["county_gss"] == "E10000008"
    assert councils["E08000035"]["discovery"] == "ckan"
    assert all(re.fullmatch(r"E12\d{6}", c["region_gss"]) for c in councils.values())


def test_every_file_matches_its_rows_and_net_total(world, truth):
    assert len(truth["files"]) > 200
    for entry in truth["files"]:
        tables = read_published(world, entry)
        rows = [(h, r) for t in tables.values() for h, r in t]
        assert len(rows) == entry["rows"], entry["path"]
        assert sum((amount_of(h, r) for h, r in rows), Decimal("0.00")) == Decimal(entry["net_total"]), entry["path"]
        for member in entry["members"]:  # zip members and workbook sheets reconcile one by one
            member_rows = tables[member["name"]]
            assert len(member_rows) == member["rows"]
            assert sum((amount_of(h, r) for h, r in member_rows), Decimal("0.00")) == Decimal(member["net_total"])


def test_layouts_carry_the_messy_cases(world, truth):
    files = {(f["council_gss"], f["period_key"], f["edition"]): f for f in truth["files"]}
    raw = lambda gss, period: (world / "site" / files[(gss, period, 1)]["path"].lstrip("/")).read_bytes()
    assert raw("E10000008", "2023-04").startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    assert b"\xa3" in raw("E07000041", "2023-Q1")  # cp1252 pound sign
    assert b"\r" in raw("E08000003", "2023-05") and b"\n" not in raw("E08000003", "2023-05")  # CR only
    assert raw("E07000120", "2022-05").startswith(b",,,,")  # comma-only preamble row
    assert b"Department Area,,Service Area" in raw("E07000120", "2024-05")  # spacer columns
    assert b"Grand Total" in zipfile.ZipFile(io.BytesIO(raw("E09000022", "2023-Q2"))).read(
        "Lambeth-payments-2023-07.csv")
    cornwall = raw("E06000052", "2023-05").decode()
    assert re.search(r",[^,]{50},GB", cornwall)  # names padded to 50 characters
    assert b"Supplier Name" in raw("E06000052", "2023-05") and b"Beneficiary Name" in raw("E06000052", "2024-05")
    bristol = openpyxl.load_workbook(io.BytesIO(raw("E06000023", "2023-24")), read_only=True)
    assert len(bristol.sheetnames) == 12
    variants = {s["key"]: s["variants"] for s in truth["suppliers"]}
    assert len(variants["acme"]) >= 3
    assert "Redactive Publishing Ltd" in variants["redactive"] or "REDACTIVE PUBLISHING LIMITED" in variants["redactive"]
    assert variants["redacted_blank"] == [""]


NAME_HEADERS = {"supplier name", "supplier", "beneficiary name", "name:", "name"}
_ROWS: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}


def supplier_rows(world, truth, gss: str) -> dict[str, list[tuple[str, str]]]:
    """Period (YYYY-MM) -> (payee name, whole row) of every line paid that month at one council, upper-cased,
    from the edition-1 files (cached per world and council: the files are read once)."""
    if (str(world), gss) in _ROWS:
        return _ROWS[(str(world), gss)]
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in truth["files"]:
        if entry["council_gss"] != gss or entry["edition"] != 1:
            continue
        for member, rows in read_published(world, entry).items():
            for header, row in rows:
                date_col = next(i for i, c in enumerate(header) if "date" in c.lower() and "effective" not in c.lower())
                name_col = next(i for i, c in enumerate(header) if c.strip().lower() in NAME_HEADERS)
                month = re.search(r"(20\d\d)-(\d\d)", member) or None
                key = month.group(0) if month else None
                if key is None:
                    key = month_of(row[date_col])
                out[key].append((row[name_col].replace("\u00a0", " ").strip().upper(), " ".join(row).upper()))
    _ROWS[(str(world), gss)] = out
    return out


MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"], start=1)}


def month_of(value: str) -> str:
    if m := re.match(r"(\d{4})-(\d\d)", value):
        return m.group(0)
    if m := re.match(r"\d{1,2}/(\d\d)/(\d{4})", value):
        return f"{m.group(2)}-{m.group(1)}"
    if m := re.match(r"\d{1,2}[- ]([A-Za-z]{3})[- ](\d{2,4})", value):
        year = m.group(2) if len(m.group(2)) == 4 else "20" + m.group(2)
        return f"{year}-{MONTHS[m.group(1).upper()]:02d}"
    raise AssertionError(f"unexpected date {value!r}")


def month_shift(month: str, n: int) -> str:
    y, m = divmod(int(month[:4]) * 12 + int(month[5:]) - 1 + n, 12)
    return f"{y}-{m + 1:02d}"


def test_planted_events_are_in_the_files(world, truth):
    """Every planted event is in the files: the predecessor paid up to the month before the event (a re-let or an
    insourcing may overlap or leave a month), then never again; the successor paid from the event's month and
    never before."""
    names = {s["key"]: s for s in truth["suppliers"]}
    first, last = truth["period"]["start"][:7], truth["period"]["end"][:7]
    kinds = {e["event_type"] for e in truth["events"]}
    assert kinds == {"outsourcing", "insourcing", "relet", "exit", "supplier_failure"}
    assert truth["events"][0]["event_type"] == "insourcing" and truth["events"][1]["event_type"] == "outsourcing"

    def paid(rows, key: str, month: str) -> bool:
        spellings = {v.upper() for v in names[key]["variants"]} | {names[key]["canonical_name"].upper()}
        return any(name in spellings for name, _ in rows.get(month, []))

    for event in truth["events"]:
        rows = supplier_rows(world, truth, event["council_gss"])
        start = event["start_month"]
        months_after = [m for m in rows if m > start]
        if event["from_supplier"]:
            key = event["from_supplier"]
            assert any(paid(rows, key, month_shift(start, d)) for d in (-2, -1)), event
            assert not any(paid(rows, key, m) for m in months_after), event
            if event["event_type"] in ("exit", "supplier_failure"):
                assert not paid(rows, key, start), event
        if event["to_supplier"]:
            key = event["to_supplier"]
            assert paid(rows, key, start) and not any(paid(rows, key, m) for m in rows if m < start), event
            assert names[key]["council_owned_by"] == (event["council_gss"] if event["successor_kind"] == "council_company"
                                                     else None)
        assert first < start <= last

    outsourcing = truth["events"][1]
    manchester = supplier_rows(world, truth, outsourcing["council_gss"])
    before = [m for m in manchester if m < outsourcing["start_month"]]
    assert not any("LEISURE AND CULTURE" in row for m in before for _, row in manchester[m])

    collapse = truth["collapse"]
    assert len(collapse["councils"]) >= 4
    for gss in collapse["councils"]:
        rows = supplier_rows(world, truth, gss)
        carrick = lambda m: any(paid(rows, k, m) for k in collapse["subsidiaries"])
        assert carrick("2024-12") and not carrick("2025-01") and not carrick("2025-02")
        assert Decimal(collapse["spend_by_council_fy"][gss]["2023-24"]) > 0


def test_background_noise_is_in_the_files(world, truth):
    """The patterns that look like events but are not: seasonal contractors, a pause, months never published, a
    ledger recoding and a change of spelling."""
    names = {s["key"]: s for s in truth["suppliers"]}
    patterns = {b["pattern"]: b for b in truth["background"]}
    assert set(patterns) == {"seasonal", "pause", "name_switch", "recode", "publication_gap"}

    def paid_months(gss: str, key: str) -> set[str]:
        spellings = {v.upper() for v in names[key]["variants"]}
        return {m for m, rows in supplier_rows(world, truth, gss).items() if any(n in spellings for n, _ in rows)}

    for b in truth["background"]:
        if b["pattern"] == "seasonal":
            months = paid_months(b["council_gss"], b["supplier"])
            assert len(months) >= 12 and {int(m[5:]) for m in months} == set(b["calendar_months"])
        elif b["pattern"] == "pause":
            months = paid_months(b["council_gss"], b["supplier"])
            first, last = b["unpaid"]
            unpaid = {m for m in supplier_rows(world, truth, b["council_gss"]) if first <= m <= last}
            assert len(unpaid) == 3 and not months & unpaid
            assert month_shift(first, -1) in months and month_shift(last, 1) in months
        elif b["pattern"] == "publication_gap":
            published = supplier_rows(world, truth, b["council_gss"])
            assert not set(b["months"]) & set(published) and month_shift(b["months"][0], -1) in published
        elif b["pattern"] == "recode":
            rows = supplier_rows(world, truth, b["council_gss"])
            before = " ".join(r.replace(n, "") for m in rows if m < b["from_month"] for n, r in rows[m])
            after = " ".join(r.replace(n, "") for m in rows if m >= b["from_month"] for n, r in rows[m])
            assert "PLACE DIRECTORATE" in after and "PLACE DIRECTORATE" not in before
            assert "WASTE" not in after and "HIGHWAY" not in after
        elif b["pattern"] == "name_switch":
            rows = supplier_rows(world, truth, b["council_gss"])
            supplier = names[b["supplier"]]
            spelt = {m: {n for n, _ in rows[m] if n in {v.upper() for v in supplier["variants"]}} for m in rows}
            before = set().union(*(v for m, v in spelt.items() if m < b["from_month"]))
            after = set().union(*(v for m, v in spelt.items() if m >= b["from_month"]))
            assert before and after and not before & after


def test_shares_follow_the_metric_definitions(truth):
    nets: dict[str, Decimal] = defaultdict(Decimal)
    for f in truth["files"]:
        if f["edition"] == 1:
            nets[f["council_gss"]] += Decimal(f["net_total"])
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for s in truth["shares"]:
        totals[s["council_gss"]] += Decimal(s["total_spend"])
        assert 0 <= s["local_authority_share"] <= s["local_county_share"] <= s["local_region_share"] <= 100
        assert s["sme_share"] + s["large_private_share"] + s["unknown_size_share"] <= 100.001
        assert s["individual_redacted_share"] > 0 and s["public_share"] > 0 and s["vcse_share"] > 0
    assert totals == nets  # every current line counted once
    assert len({(s["council_gss"], s["financial_year"]) for s in truth["shares"]}) == 27
    changed = {(a["council_gss"], a["financial_year"]) for a, b in zip(truth["shares"], truth["shares_edition2"])
               if a["total_spend"] != b["total_spend"]}
    assert changed == {("E06000052", "2024-25"), ("E07000120", "2024-25")}


def test_republication_and_late_month(world, truth):
    rep = truth["republication"]
    assert rep["edition2"]["rows"] == rep["edition1"]["rows"] - 1
    assert rep["edition2"]["net_total"] != rep["edition1"]["net_total"]
    assert (world / "site" / rep["path"].lstrip("/")).read_bytes() != (world / "site_edition2" / rep["path"].lstrip("/")).read_bytes()
    late = truth["late_publication"]
    assert not (world / "site" / late["path"].lstrip("/")).exists()
    assert (world / "site_edition2" / late["path"].lstrip("/")).exists()


def test_registers_cover_every_supplier_and_postcode(world, truth):
    reg = world / "site" / "registers"
    ch = zipfile.ZipFile(reg / "companies_house" / "BasicCompanyDataAsOneFile-2025-04-01.zip")
    ch_rows = list(csv.DictReader(io.StringIO(ch.read(ch.namelist()[0]).decode("utf-8"), newline="")))
    numbers = {r[" CompanyNumber"] for r in ch_rows}
    assert "Accounts.AccountCategory" in ch_rows[0] and " PreviousName_1.CompanyName" in ch_rows[0]
    cc = zipfile.ZipFile(reg / "charity_commission" / "publicextract.charity.zip")
    charities = {line.split("\t")[2] for line in cc.read("publicextract.charity.txt").decode().splitlines()[1:]}
    nspl = zipfile.ZipFile(reg / "ons" / "NSPL21_FEB_2025_UK.zip")
    pcs = {r["pcds"]: r for r in csv.DictReader(io.StringIO(nspl.read("Data/NSPL21_FEB_2025_UK.csv").decode(), newline=""))}
    for s in truth["suppliers"]:
        if s["company_number"]:
            assert s["company_number"] in numbers, s["key"]
        if s["charity_number"]:
            assert s["charity_number"] in charities, s["key"]
        if s["postcode"]:
            row = pcs[s["postcode"]]
            assert row["laua"] == s["lad_gss"] and row["rgn"] == s["region_gss"]
            assert row["cty"] == (s["county_gss"] or "E99999999")
    psc_zip = zipfile.ZipFile(reg / "companies_house" / "persons-with-significant-control-snapshot-2025-04-01.zip")
    records = [json.loads(line) for line in psc_zip.read(psc_zip.namelist()[0]).decode().splitlines()]
    owners = {r["company_number"]: r["data"]["name"] for r in records
              if r["data"].get("kind") == "corporate-entity-person-with-significant-control"}
    by_key = {s["key"]: s for s in truth["suppliers"]}
    for sub in truth["collapse"]["subsidiaries"]:
        assert owners[by_key[sub]["company_number"]].upper() == "CARRICK GROUP PLC"
    assert owners[by_key[truth["events"][0]["to_supplier"]]["company_number"]] == "Bristol City Council"
    assert records[-1]["data"]["kind"].startswith("totals#")


def test_notices_truth_is_consistent(world, truth):
    n = truth["notices"]
    cf_index = json.loads((world / "notices" / "contracts_finder_index.json").read_text())
    fts_index = json.loads((world / "notices" / "find_a_tender_index.json").read_text())
    assert n["contracts_finder_releases"] == len(cf_index) and n["find_a_tender_releases"] == len(fts_index)
    assert len({e["id"] for e in cf_index}) == len(cf_index)
    assert len({e["ocid"] for e in cf_index}) < len(cf_index)  # amendments repeat an ocid
    assert n["cross_source_duplicates"] >= 3
    post_act = [e for e in cf_index if e["date_utc"] >= "2025-02-24" and "award" in e["tags"]]
    assert post_act  # framework call-offs continue on CF
    dup_pairs = [a for a in n["awards"] if a["source"] == "find_a_tender" and a["duplicate_of"]]
    by_id = {f"{a['source']}:{a['ocid']}:{a['award_id']}": a for a in n["awards"]}
    for a in dup_pairs:
        other = by_id[a["duplicate_of"]]
        assert (other["buyer_gss"], other["supplier_key"], other["value"], other["award_date"]) == \
               (a["buyer_gss"], a["supplier_key"], a["value"], a["award_date"])
        assert a["award_date"] < "2025-01-01"
