"""The parser over the real monthly series (../shared/corpus/spend_series: 36 files, three councils).

Expected rows and net totals are read here WITHOUT the parser: the csv module over the decoded bytes (utf-8,
else cp1252), the header on line 1, every later record with a non-blank cell counted, and the net column of
each council (tests/spend_series.py, by reading the files) summed with Decimal. Salford publishes Gross, VAT and Net:
the Transparency Code figure is Net, so Net is what must be parsed.
"""

from __future__ import annotations


from pipelines.spend.parse import parse_spend
from tests.spend_series import NET_COLUMN, independent_count


def _series_files(corpus):
    return sorted(p for p in (corpus / "spend_series").rglob("*.csv"))


def test_series_every_file_rows_and_net_total(corpus):
    files = _series_files(corpus)
    assert len(files) == 36
    for path in files:
        council = path.parent.name
        rows, total, records = independent_count(path.read_bytes(), NET_COLUMN[council])
        result = parse_spend(path.read_bytes(), filename=path.name)
        assert result.kind == "spend", (path, result.reason)
        assert result.rows.height == rows, path
        assert result.rows.get_column("amount").sum() == total, path
        assert result.rows_in == records, path
        assert result.rows_in == result.rows.height + sum(result.dropped_by_reason.values()), path
        assert result.mapping["amount"]["header"] == NET_COLUMN[council], path
        assert result.amount_basis == "net", path


def test_series_identical_lines_are_kept(corpus):
    """Darlington has no transaction id: byte-identical lines recur within a month and are distinct payments."""
    path = corpus / "spend_series" / "darlington" / "2017-03.csv"
    lines = path.read_bytes().splitlines()[1:]
    repeats = len(lines) - len(set(lines))
    assert repeats > 0  # the file really has identical lines (else this test proves nothing)
    result = parse_spend(path.read_bytes(), filename=path.name)
    assert result.rows.height == len(lines)  # every line, the repeated ones included
    assert result.rows.select("supplier_name", "amount", "department").is_duplicated().sum() >= repeats


def test_series_months_are_month_precision_dates(corpus):
    """Darlington dates its lines only to the month ("2016-04"): the first of that month, month precision."""
    path = corpus / "spend_series" / "darlington" / "2016-04.csv"
    rows = parse_spend(path.read_bytes(), filename=path.name).rows
    assert set(rows.get_column("payment_date")) == {__import__("datetime").date(2016, 4, 1)}
    assert set(rows.get_column("date_precision")) == {"month"}
    assert rows.get_column("row_flags").null_count() == rows.height


def test_series_without_header_rows(corpus):
    """One month of each council with its header line cut: the content alone picks the same columns (Salford's
    Net out of Gross, VAT and Net)."""
    for council, column in NET_COLUMN.items():
        path = corpus / "spend_series" / council / "2016-10.csv"
        data = path.read_bytes()
        rows, total, _ = independent_count(data, column)
        result = parse_spend(data.split(b"\n", 1)[1], filename="2016-10.csv")
        assert result.kind == "spend", (council, result.reason)
        assert (result.rows.height, result.rows.get_column("amount").sum()) == (rows, total), council
