"""The spend parser against every real file in the shared corpus (read in place, never copied).

Expected values were established WITHOUT the parser, per file, by a throw-away script:
* CSV: bytes decoded utf-8-sig, else cp1252; `csv.reader` (universal newlines); the header line found by eye
  (line 10 for Lambeth 2012, line 3 for the OpenlyLocal title-row fixture, line 2 for Hyndburn April/May 2023,
  else line 1); every later record with any non-blank cell counted, except Lambeth 2012's literal "Total" row;
  amounts summed with `Decimal` after removing "," and "£" (a trailing "-" moved to the front); dates read with
  the one strptime format visible in the file (Hyndburn April 2023 also has one "14-Mar-23" row, found with
  grep, so its minimum is 2023-03-14).
* XLSX (Lancashire Fire / PCC): openpyxl, every non-empty row after row 1; Fire's second block header row
  ("Transaction Number" again, row 2745) skipped and, where "Amount" is empty, the "Supplier Classification"
  cell used (165 rows); float cells rounded half-even to 2 dp.
* Sutton Coldfield XLSX (openpyxl cannot open it: invalid colour XML): cells via calamine, rows whose first
  cell is a dd/mm/yyyy date counted, amounts "1,100" summed (column F on Page 1, E on Page 2).
* Redacted rows: supplier cells equal (case-insensitively) to the redaction labels listed in MANIFEST.tsv /
  parsing.md §8, plus blank suppliers (the CLI's `redacted_rows` counts `unlabelled_blank` too), plus Devon's
  "****NNNN" pseudonyms (regex over the supplier column: 18 in 202304) and 590 "REDACTED..." payees there.

| file | rows | net total | min date | max date | redacted |
|---|---|---|---|---|---|
| lambeth/2011-01-payments.csv | 1072 | 38447618.14 | - | - | 0 |
| lambeth/2012-06-payments.csv | 3155 | 40292334.84 | 2010-10-20 | 2012-06-29 | 0 |
| oxford/expenditure-over-500-apr-jun-2014.csv | 3836 | 14165887.28 | - | - | 81 |
| oxford/expenditure-over-500-oct-dec-2016.csv | 3847 | 18748991.21 | 2016-10-01 | 2016-12-29 | 1 (blank) |
| oxford/procurement-card-spending-august-2017.csv | 278 | 10474.71 | 2017-07-31 | 2017-08-30 | 3 (blank) |
| hyndburn/1701.csv | 180 | 538272.19 | 2017-01-04 | 2017-01-31 | 0 |
| hyndburn/October-2021-csv.csv | 224 | 436960.25 | 2021-09-17 | 2021-10-31 | 0 |
| hyndburn/September-2022.csv | 14 | 14309.72 | 2022-08-11 | 2022-09-30 | 0 |
| hyndburn/April-2023.csv | 502 | 1216217.07 | 2023-03-14 | 2023-04-30 | 0 |
| hyndburn/1700664724wpdm_May-2023-csv.csv | 572 | 1214631.73 | 2023-04-14 | 2023-05-31 | 0 |
| hyndburn/Oct-24-CSV.csv | 587 | 7466614.05 | 2024-10-01 | 2024-10-31 | 0 |
| devon/DCCSpendingOver500_201101.csv | 7012 | 28663931.81 | 2011-01-04 | 2011-01-31 | 91 |
| devon/DCCSpendingOver500_202304.csv | 10597 | 82543740.28 | 2023-04-03 | 2023-04-28 | 608 |
| devon/DCCSpendingOver500_202504.csv | 237 | 2845421.21 | 2025-04-09 | 2025-04-30 | 0 |
| leeds/2010-12.csv | 10303 | 77179009.24 | 2010-11-01 | 2010-12-31 | 696 |
| leeds/2020-06.csv | 16176 | 104445727.45 | 2020-02-25 | 2020-06-30 | 1157 |
| trafford/government_procurement_card_transactions_2026-27.csv | 2024 | 494906.66 | 2026-04-01 | 2026-05-29 | 0 |
| _fixtures_openlylocal/file_with_extra_lines_at_top.csv | 19 | 34135.36 | 2010-02-01 | 2010-03-31 | 0 |
| _fixtures_openlylocal/windows_file_with_pound_signs_in_heading.csv | 28 | 319647.27 | 2010-04-01 | 2010-08-12 | 5 |
| lancashire_fire/fire-2022-23.xlsx | 2908 | 15094614.84 | 2022-04-01 | 2023-03-08 | 30 |
| lancashire_pcc/pcc-2018-19.xlsx | 7974 | 62208683.77 | 2018-04-03 | 2019-03-29 | 200 |
| sutton_coldfield_tc/Payments-over-250-2017-18-Q1.xlsx | 72 | 280677.00 | 2017-03-31 | 2017-07-02 | 0 |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

import polars as pl
import pytest

from pipelines.spend.parse import LINE_COLUMNS, parse_spend

D = dt.date
EXPECTED = {
    "lambeth/2011-01-payments.csv": (1072, "38447618.14", None, None, 0),
    "lambeth/2012-06-payments.csv": (3155, "40292334.84", D(2010, 10, 20), D(2012, 6, 29), 0),
    "oxford/expenditure-over-500-apr-jun-2014.csv": (3836, "14165887.28", None, None, 81),
    "oxford/expenditure-over-500-oct-dec-2016.csv": (3847, "18748991.21", D(2016, 10, 1), D(2016, 12, 29), 1),
    "oxford/procurement-card-spending-august-2017.csv": (278, "10474.71", D(2017, 7, 31), D(2017, 8, 30), 3),
    "hyndburn/1701.csv": (180, "538272.19", D(2017, 1, 4), D(2017, 1, 31), 0),
    "hyndburn/October-2021-csv.csv": (224, "436960.25", D(2021, 9, 17), D(2021, 10, 31), 0),
    "hyndburn/September-2022.csv": (14, "14309.72", D(2022, 8, 11), D(2022, 9, 30), 0),
    "hyndburn/April-2023.csv": (502, "1216217.07", D(2023, 3, 14), D(2023, 4, 30), 0),
    "hyndburn/1700664724wpdm_May-2023-csv.csv": (572, "1214631.73", D(2023, 4, 14), D(2023, 5, 31), 0),
    "hyndburn/Oct-24-CSV.csv": (587, "7466614.05", D(2024, 10, 1), D(2024, 10, 31), 0),
    "devon/DCCSpendingOver500_201101.csv": (7012, "28663931.81", D(2011, 1, 4), D(2011, 1, 31), 91),
    "devon/DCCSpendingOver500_202304.csv": (10597, "82543740.28", D(2023, 4, 3), D(2023, 4, 28), 608),
    "devon/DCCSpendingOver500_202504.csv": (237, "2845421.21", D(2025, 4, 9), D(2025, 4, 30), 0),
    "leeds/2010-12.csv": (10303, "77179009.24", D(2010, 11, 1), D(2010, 12, 31), 696),
    "leeds/2020-06.csv": (16176, "104445727.45", D(2020, 2, 25), D(2020, 6, 30), 1157),
    "trafford/government_procurement_card_transactions_2026-27.csv": (2024, "494906.66", D(2026, 4, 1), D(2026, 5, 29), 0),
    "_fixtures_openlylocal/file_with_extra_lines_at_top.csv": (19, "34135.36", D(2010, 2, 1), D(2010, 3, 31), 0),
    "_fixtures_openlylocal/windows_file_with_pound_signs_in_heading.csv": (28, "319647.27", D(2010, 4, 1), D(2010, 8, 12), 5),
    "lancashire_fire/fire-2022-23.xlsx": (2908, "15094614.84", D(2022, 4, 1), D(2023, 3, 8), 30),
    "lancashire_pcc/pcc-2018-19.xlsx": (7974, "62208683.77", D(2018, 4, 3), D(2019, 3, 29), 200),
    "sutton_coldfield_tc/Payments-over-250-2017-18-Q1.xlsx": (72, "280677.00", D(2017, 3, 31), D(2017, 7, 2), 0),
}
REJECTED = {
    "norfolk_contracts/NCC164467.csv": "not_spend:contracts_register",
    "trafford/trafford_council_voluntary_sector_grants.csv": "not_spend:grants",
    "nwod_gmca_derived/salford_2019.csv": "not_spend:derived",
    "sutton_coldfield_tc/Payments-over-250-2017-18-Q1.pdf": "pdf",
}


@pytest.fixture(scope="module")
def parsed(corpus):
    @cache
    def parse(relative: str, threshold=500):
        path = corpus / "spend" / relative
        return parse_spend(path.read_bytes(), filename=path.name, hints={"threshold": threshold})

    return parse


def test_every_corpus_file_is_covered(corpus):
    files = {str(p.relative_to(corpus / "spend")) for p in (corpus / "spend").rglob("*")
             if p.is_file() and p.name != "MANIFEST.tsv"}
    assert files == set(EXPECTED) | set(REJECTED)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_rows_total_dates_redactions(parsed, relative):
    rows_expected, net_expected, min_date, max_date, redacted = EXPECTED[relative]
    result = parsed(relative)
    assert result.kind == "spend", result.reason
    rows = result.rows
    assert rows.columns == [name for name, _ in LINE_COLUMNS]
    assert rows.height == rows_expected
    assert rows.get_column("amount").dtype == pl.Decimal(18, 2)
    assert rows.get_column("amount").sum() == Decimal(net_expected)
    dates = rows.get_column("payment_date").drop_nulls()
    assert (dates.min() if dates.len() else None) == min_date
    assert (dates.max() if dates.len() else None) == max_date
    assert rows.filter(pl.col("redaction_kind") != "none").height == redacted
    assert rows.get_column("amount").null_count() == 0
    assert rows.select(pl.struct("sheet", "row_number").is_unique().all()).item()


@pytest.mark.parametrize("relative", sorted(REJECTED))
def test_corpus_lookalikes_rejected(parsed, relative):
    result = parsed(relative)
    assert result.kind == "rejected"
    assert result.reason_code == REJECTED[relative]
    assert result.reason


def test_lambeth_aggregate_grain_and_dagger(parsed):
    result = parsed("lambeth/2011-01-payments.csv")
    assert result.grain == "supplier_month"
    names = result.rows.get_column("supplier_name")
    assert not names.str.contains("\u2020").any()
    assert names.str.contains("Bupa Care Homes Seabrooke").any()
    assert set(result.rows.get_column("date_precision")) == {"month"}


def test_lambeth_preamble_total_reconciled(parsed):
    result = parsed("lambeth/2012-06-payments.csv")
    assert result.declared_total == Decimal("40292334.84")
    assert result.declared_total_reconciled is True
    totals = result.dropped_rows.filter(pl.col("reason") == "total")
    assert totals.height == 1 and totals.item(0, "row_number") == 3167
    assert result.rows.get_column("row_number").min() == 11  # first line under the header on line 10
    assert result.rows.filter(pl.col("payment_date") < D(2012, 6, 1)).height > 0  # earlier invoice dates kept


def test_oxford_2014_lost_dates_quarter_precision(parsed):
    rows = parsed("oxford/expenditure-over-500-apr-jun-2014.csv").rows
    assert set(rows.get_column("date_precision")) == {"quarter"}
    assert rows.get_column("row_flags").str.contains("date_lost").all()
    assert rows.get_column("transaction_id").str.ends_with("_1").sum() > 1000
    assert not rows.get_column("supplier_name").str.ends_with(" ").any()  # 50-char padding gone
    kinds = dict(rows.group_by("redaction_kind").len().iter_rows())
    assert kinds["personal"] == 81


def test_oxford_2016_redactive_is_a_supplier(parsed):
    rows = parsed("oxford/expenditure-over-500-oct-dec-2016.csv").rows
    redactive = rows.filter(pl.col("supplier_name").str.to_uppercase().str.starts_with("REDACTIVE"))
    assert redactive.height > 0
    assert set(redactive.get_column("redaction_kind")) == {"none"}
    assert rows.filter(pl.col("supplier_name").is_null()).get_column("redaction_kind").to_list() == ["unlabelled_blank"]
    assert rows.filter(pl.col("amount") == Decimal("-0.01")).height >= 1  # tiny credits kept


def test_card_files_are_card_lines(parsed):
    oxford = parsed("oxford/procurement-card-spending-august-2017.csv").rows
    assert oxford.get_column("is_card").all()
    trafford = parsed("trafford/government_procurement_card_transactions_2026-27.csv").rows
    assert trafford.get_column("is_card").all()
    leeds = parsed("leeds/2020-06.csv").rows
    assert leeds.get_column("is_card").sum() == 3993  # Procurement Card = Yes (csv module count)
    devon = parsed("devon/DCCSpendingOver500_201101.csv").rows
    assert not devon.get_column("is_card").any()


def test_hyndburn_cp1252_and_threshold(parsed):
    result = parsed("hyndburn/1701.csv", threshold=250)
    assert result.encoding == "cp1252"
    assert result.header["Net Amount(£)"] == "amount"
    assert result.rows.get_column("below_threshold").sum() == 0  # 0 rows under £250 (csv module count)
    assert parsed("hyndburn/1701.csv").rows.get_column("below_threshold").sum() > 0


def test_hyndburn_layout_eras(parsed):
    april = parsed("hyndburn/April-2023.csv")
    assert len(april.header) == 7  # ~70 trailing empty columns dropped before mapping
    assert april.rows.get_column("supplier_name").str.contains("Gb Mot Training Ltd").any()
    may = parsed("hyndburn/1700664724wpdm_May-2023-csv.csv")
    assert may.encoding == "utf-8-sig"
    assert may.rows.get_column("period_key").unique().to_list() == ["2023-05"]
    october = parsed("hyndburn/October-2021-csv.csv")
    assert october.rows.get_column("payment_date").null_count() == 0  # dd-Mon-yy
    assert october.header["Service Cost Centre"] == "department"  # the "+" cell, named by a known layout
    assert any("corrupted header cell '+'" in w for w in october.warnings)
    september = parsed("hyndburn/September-2022.csv")
    assert "RecId" not in september.header
    assert any(w.startswith("few_rows") for w in september.warnings)
    oct24 = parsed("hyndburn/Oct-24-CSV.csv")
    assert oct24.header["Line"] == "line_no"
    assert oct24.rows.get_column("line_no").null_count() == 0
    assert oct24.rows.filter(pl.col("amount") < 0).height == 8  # the trailing-minus credits


def test_fire_months_from_a_second_system_read_by_their_own_header(parsed):
    """The last 165 lines (from December 2022) come from another finance system, under a header of their own
    on row 2745 (no "Supplier Classification"; the amount moves to its place). They are a second table, read
    by that header: not lines whose amounts shifted, repaired."""
    result = parsed("lancashire_fire/fire-2022-23.xlsx")
    assert result.sheets == ["Data to upload"]
    assert set(result.header) == {"Data to upload (rows 1-2744)", "Data to upload (rows 2745-2910)"}
    assert result.header["Data to upload (rows 2745-2910)"]["Subjective Description"] == "expense_type"
    assert result.dropped_by_reason == {"header": 2}
    second = result.rows.filter(pl.col("row_number") > 2745)
    assert second.height == 165 and second.get_column("amount").null_count() == 0
    assert second.get_column("creditor_type").null_count() == 165
    assert result.rows.get_column("row_flags").null_count() == result.rows.height
    assert set(result.rows.get_column("sheet")) == {"Data to upload"}
    assert second.item(0, "amount") == Decimal("2135.20") and second.item(0, "row_number") == 2746
    assert result.rows.filter(pl.col("row_number") == 3).item(0, "amount") == Decimal("610.81")  # 610.80999...


def test_pcc_twelve_sheets(parsed):
    result = parsed("lancashire_pcc/pcc-2018-19.xlsx")
    assert len(result.sheets) == 12 and result.sheets[0] == "Apr 18" and result.sheets[-1] == "Mar 19"
    assert set(result.rows.get_column("sheet")) == set(result.sheets)
    headers = result.header.values() if "Apr 18" not in result.header else [h for s in result.header.values() for h in s]
    assert "Column1" not in set(headers)
    third = result.rows.filter(pl.col("supplier_name") == "THIRD PARTY SUPPLIER")
    assert third.get_column("redaction_kind").to_list() == ["personal"]


def test_devon_eras(parsed):
    old = parsed("devon/DCCSpendingOver500_201101.csv").rows
    assert set(old.get_column("body_code")) == {"18"}
    assert old.filter(pl.col("invoice_number") == "REDACTED UNDER DP ACT").height == 2596
    kept_names = old.filter((pl.col("invoice_number") == "REDACTED UNDER DP ACT")
                            & (pl.col("supplier_name") != "REDACTED UNDER DP ACT"))
    assert set(kept_names.get_column("redaction_kind")) == {"none"}  # only the invoice number is redacted
    new = parsed("devon/DCCSpendingOver500_202304.csv")
    assert new.encoding == "utf-8-sig"
    assert new.rows.filter(pl.col("redaction_kind") == "pseudonymised").height == 18
    assert new.rows.get_column("below_threshold").sum() == 246  # |amount| < 500 (csv module count)
    erp = parsed("devon/DCCSpendingOver500_202504.csv")
    assert "invoice_number" not in erp.header.values()
    assert erp.rows.filter(pl.col("amount") == Decimal("1496.00")).height >= 1


def test_leeds_eras(parsed):
    old = parsed("leeds/2010-12.csv").rows
    assert old.get_column("body_code").str.contains("00DA").all()
    kinds = dict(old.group_by("redaction_kind").len().iter_rows())
    assert kinds["personal"] == 692 and kinds["commercial"] == 4
    new = parsed("leeds/2020-06.csv")
    assert new.encoding == "cp1252"
    assert new.header["Effective Date"] == "period"
    assert new.rows.get_column("other_attributes").str.contains("Effective Date").all()
    kinds = dict(new.rows.group_by("redaction_kind").len().iter_rows())
    assert kinds["personal"] == 1118 and kinds["commercial"] == 39
    assert not new.rows.get_column("supplier_name").str.contains("\u00a0").any()


def test_sutton_split_header_and_notes(parsed):
    result = parsed("sutton_coldfield_tc/Payments-over-250-2017-18-Q1.xlsx")
    page1 = result.header["Page 1"] if "Page 1" in result.header else result.header
    # "Unrecoverabl" / "e VAT" join into one header; the column has no data, so it is then dropped as empty.
    assert "sheet 'Page 1': header split over rows 3-4" in result.warnings
    assert page1["£ (net)"] == "amount" and page1["Inv Date"] == "payment_date" and page1["Payee"] == "supplier_name"
    assert result.dropped_rows.filter(pl.col("reason") == "note").height >= 4
    assert result.rows.filter(pl.col("amount") == 0).height == 2  # the two "removed from list" lines


def test_same_bytes_same_rows(parsed, corpus):
    path = corpus / "spend" / "hyndburn" / "Oct-24-CSV.csv"
    first = parse_spend(path.read_bytes(), filename=path.name)
    second = parse_spend(path.read_bytes(), filename=path.name)
    assert first.rows.equals(second.rows)
    assert first.rows.get_column("row_fingerprint").n_unique() > 500


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_corpus_row_accounting_identity(parsed, relative):
    """Every record read is a line or a dropped record with a reason (CONTRACTS interface 1)."""
    result = parsed(relative)
    assert result.rows_in == result.rows.height + sum(result.dropped_by_reason.values())
    assert all(n > 0 for n in result.dropped_by_reason.values())
    assert result.rows_in > result.rows.height  # at least the header record was read and not output


def test_corpus_mapping_bases(parsed):
    leeds = parsed("leeds/2020-06.csv")
    assert leeds.mapping["supplier_name"] == {"header": "Beneficiary Name", "basis": "alias", "score": 1.0}
    assert leeds.mapping["period"]["header"] == "Effective Date"
    lambeth = parsed("lambeth/2012-06-payments.csv")
    assert lambeth.dropped_by_reason == {"preamble": 9, "header": 1, "total": 1, "blank": 5}
    assert lambeth.amount_basis == "net"  # "Invoice Nett Amount"


HEADERLESS = ["leeds/2020-06.csv", "leeds/2010-12.csv", "devon/DCCSpendingOver500_202304.csv",
              "devon/DCCSpendingOver500_201101.csv", "oxford/expenditure-over-500-oct-dec-2016.csv",
              "hyndburn/Oct-24-CSV.csv", "hyndburn/1701.csv"]


@pytest.mark.parametrize("relative", HEADERLESS)
def test_corpus_file_without_its_header_row_maps_by_content(corpus, relative):
    """The header line is cut from the real bytes here; the values alone must give the same lines, total and
    dates (content mapping, issue 10 item 1)."""
    rows_expected, net_expected, min_date, max_date, _ = EXPECTED[relative]
    data = (corpus / "spend" / relative).read_bytes()
    cut = data.split(b"\n", 1)[1]
    result = parse_spend(cut, filename="no-header.csv", hints={"threshold": 500})
    assert result.kind == "spend", result.reason
    assert result.rows.height == rows_expected
    assert result.rows.get_column("amount").sum() == Decimal(net_expected)
    dates = result.rows.get_column("payment_date").drop_nulls()
    assert (dates.min(), dates.max()) == (min_date, max_date)
    assert {result.mapping[f]["basis"] for f in ("amount", "payment_date", "supplier_name")} == {"content"}
    assert result.rows_in == result.rows.height + sum(result.dropped_by_reason.values())


def test_corpus_card_file_without_header_is_ambiguous_not_misread(corpus):
    """Trafford's card file without its header: school names (the card holder's unit) and merchants look
    alike; the parser says it cannot tell rather than guessing."""
    data = (corpus / "spend" / "trafford" / "government_procurement_card_transactions_2026-27.csv").read_bytes()
    result = parse_spend(data.split(b"\n", 1)[1], filename="no-header.csv")
    assert (result.kind, result.reason_code) == ("rejected", "ambiguous_column")
    assert "supplier name" in result.reason and "candidates" in result.reason
