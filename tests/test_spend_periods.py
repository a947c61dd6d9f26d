"""Period keys: labels read into keys that cannot be misread, ranges of current and legacy keys, keys from dates."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.spend import discover
from pipelines.spend.periods import (
    is_period_key,
    parse_period_label,
    period_key_for_dates,
    period_label_for,
    period_precision,
    period_range,
    upgrade_period_key,
)


@pytest.mark.parametrize("text, key", [
    ("Spending over £500 - April 2023", "2023-04"), ("Sept 2022", "2022-09"), ("Janurary 2021", "2021-01"),
    ("apr23", "2023-04"), ("DCCSpendingOver500_202304.csv", "2023-04"), ("Payments Data 2019.11.csv", "2019-11"),
    ("1700664724wpdm_expenditure-over-250-2023-10.csv", "2023-10"), ("spend 2023-04-15", "2023-04"),
    # financial years: the old reading made "2010/11" and "April 2010 to March 2011" November 2010
    ("2010/11", "FY2010-11"), ("Spending 2010/11", "FY2010-11"), ("April 2010 to March 2011", "FY2010-11"),
    ("2010 to 2011", "FY2010-11"), ("2010-2011", "FY2010-11"), ("Financial year 2010-11", "FY2010-11"),
    ("FY 2011-12", "FY2011-12"), ("2023/24", "FY2023-24"), ("2019-20", "FY2019-20"),
    ("April to March 2024", "FY2023-24"), ("annual spend 2012-13", "FY2012-13"),
    # a hyphenated pair that is also a month, with nothing saying "year", is the month
    ("spend_2010-11.csv", "2010-11"), ("2011_12.csv", "2011-12"),
    # quarters
    ("2023-24 Q2", "FY2023-24-Q2"), ("Q1 2026/27", "FY2026-27-Q1"), ("Quarter 3 2010-11", "FY2010-11-Q3"),
    ("jan-mar-2024", "FY2023-24-Q4"), ("expenditure-over-500-apr-jun-2014.csv", "FY2014-15-Q1"),
    ("October to December 2019", "FY2019-20-Q3"), ("Q2 2024", "FY2024-25-Q2"),
    # a marker joined to the year or the name by "_" or nothing (a real council's "..._2009_q1.csv" was no
    # period, and "Q1_2009" was January)
    ("wandm_supplier_payments_2009_q1.csv", "FY2009-10-Q1"), ("spend_2009quarter1.csv", "FY2009-10-Q1"),
    ("payments_2009q1.csv", "FY2009-10-Q1"), ("Q1_2009.csv", "FY2009-10-Q1"), ("spend_q1_2016-17.csv", "FY2016-17-Q1"),
    ("spend_2019-20_p05.csv", "FY2019-20-P05"), ("hq2 2016-17", "FY2016-17"), ("spend-2016-17-q11.csv", "FY2016-17"),
    # four-weekly periods and calendar years
    ("Period 12 2021/22 (06 February 2022 – 05 March 2022)", "FY2021-22-P12"), ("P05 2019-20", "FY2019-20-P05"),
    ("January to December 2019", "CY2019"), ("Calendar year 2018", "CY2018"),
    # no period
    ("Marketing update", None), ("Mayor's report", None), ("2019", None), ("April to June", None),
    ("Feb-Apr 2020", None), ("", None),
])
def test_labels(text, key):
    assert parse_period_label(text) == key
    if key:
        assert is_period_key(key)


def test_period_of_a_link_falls_back_to_file_name_and_url():
    assert period_label_for("Download", "https://x.gov.uk/f/spend-2022-03.csv") == "2022-03"
    assert period_label_for("August", "https://x.gov.uk/files/2022/August.csv") == "2022-08"
    assert period_label_for("CSV", "https://x.gov.uk/?wpdmdl=1&filename=1701.csv") is None
    assert period_label_for("", "https://x.gov.uk/dl?filename=spend-2021-22.csv") == "FY2021-22"


@pytest.mark.parametrize("key, start, end, precision", [
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
    ("FY2010-11", date(2010, 4, 1), date(2011, 3, 31), "year"),
    ("FY2024-25-Q1", date(2024, 4, 1), date(2024, 6, 30), "quarter"),
    ("FY2023-24-Q4", date(2024, 1, 1), date(2024, 3, 31), "quarter"),
    ("FY2021-22-P01", date(2021, 4, 1), date(2021, 4, 28), "period"),
    ("FY2021-22-P13", date(2022, 3, 3), date(2022, 3, 31), "period"),
    ("CY2019", date(2019, 1, 1), date(2019, 12, 31), "year"),
    # legacy keys still read (older warehouses)
    ("2024-Q1", date(2024, 4, 1), date(2024, 6, 30), "quarter"),
    ("2023-24", date(2023, 4, 1), date(2024, 3, 31), "year"),
    ("2010-11", date(2010, 11, 1), date(2010, 11, 30), "month"),
    ("2021-22-P12", date(2022, 2, 3), date(2022, 3, 2), "period"),
])
def test_ranges_and_precision(key, start, end, precision):
    assert period_range(key) == (start, end)
    assert period_precision(key) == precision


@pytest.mark.parametrize("bad", ["2024-13", "FY2010-12", "FY2010-11-Q5", "FY2021-22-P14", "CY19", "2024", "", None,
                                 "2023-26"])
def test_bad_keys_are_refused(bad):
    with pytest.raises(ValueError):
        period_range(bad)
    assert period_precision(bad) == "none"
    assert not is_period_key(bad)


def test_legacy_keys_upgrade():
    assert upgrade_period_key("2023-24") == "FY2023-24"
    assert upgrade_period_key("2023-Q4") == "FY2023-24-Q4"
    assert upgrade_period_key("2021-22-P12") == "FY2021-22-P12"
    assert upgrade_period_key("2010-11") == "2010-11"
    assert upgrade_period_key("FY2010-11") == "FY2010-11"
    assert not is_period_key("2023-Q4") and is_period_key("FY2023-24-Q4")


@pytest.mark.parametrize("first, last, key", [
    (date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    (date(2024, 1, 3), date(2024, 3, 29), "FY2023-24-Q4"),
    (date(2023, 5, 3), date(2024, 3, 29), "FY2023-24"),
    (date(2019, 1, 5), date(2019, 12, 20), "CY2019"),
    (date(2024, 3, 29), date(2024, 1, 3), "FY2023-24-Q4"),
])
def test_keys_from_payment_dates(first, last, key):
    assert period_key_for_dates(first, last) == key
    start, end = period_range(key)
    assert start <= min(first, last) and max(first, last) <= end


def test_dates_over_several_years_take_the_last_financial_year():
    assert period_key_for_dates(date(2018, 6, 1), date(2020, 2, 1)) == "FY2019-20"


def test_discover_re_exports_the_period_functions():
    assert discover.parse_period_label is parse_period_label
    assert discover.period_range is period_range
    assert discover.period_key_for_dates is period_key_for_dates


MONTH_CELLS = [
    ("2017-01", date(2017, 1, 1)), ("201610", date(2016, 10, 1)), ("2017/1", date(2017, 1, 1)),
    ("01/2017", date(2017, 1, 1)), ("Jan-17", date(2017, 1, 1)), (" January  2017 ", date(2017, 1, 1)),
    ("Sept 2017", date(2017, 9, 1)), ("septe-17", date(2017, 9, 1)), ("2017 Jun", date(2017, 6, 1)),
    ("2016/17 P08", date(2016, 11, 1)), ("2016/17 P01", date(2016, 4, 1)), ("2016/17 P09", date(2016, 12, 1)),
    ("2016/17 P10", date(2017, 1, 1)), ("2016/17 P12", date(2017, 3, 1)), ("2016/17 P13", date(2017, 3, 1)),
    ("P8 2016-17", date(2016, 11, 1)), ("2016/17 Period 8", date(2016, 11, 1)), ("2039/40 P12", None),
    ("2016/18 P01", None), ("2016/17 P14", None), ("2017-13", None), ("mayb 2017", None), ("2040-01", None),
    ("١٢/2017", None), ("24/01/2017", None), ("Acme 2017 Ltd", None), (None, None),
]


QUARTER_CELLS = [
    ("Q1 2016/17", date(2016, 4, 1)), ("2016/17 Q1", date(2016, 4, 1)), ("Quarter 1 2016-17", date(2016, 4, 1)),
    ("Qtr 4 2016/2017", date(2017, 1, 1)), ("q3 2016-17", date(2016, 10, 1)), ("2016/17Q2", date(2016, 7, 1)),
    ("FY2016-17 Q3", date(2016, 10, 1)),
    ("Q2 2016", date(2016, 7, 1)), ("2016 Q2", date(2016, 7, 1)), ("Apr-Jun 2016", date(2016, 4, 1)),
    ("July 2010-September 2010", date(2010, 7, 1)), ("Apr 16 - Jun 16", date(2016, 4, 1)),
    ("jan-mar 17", date(2017, 1, 1)), ("April \u2013 June 2016", date(2016, 4, 1)),
    ("Oct to Dec 2016", date(2016, 10, 1)),
    ("Feb-Apr 2016", None), ("Nov 2016 - Jan 2017", None), ("Apr 2016 - Jun 2017", None), ("Apr-Jun", None),
    ("Q5 2016/17", None), ("Q1 2016/18", None), ("Q1 2045/46", None), ("Acme Q1 Ltd", None), ("2016-11", None),
    ("Jan-17", None), ("01/04/2016", None), (None, None),
]


def test_quarter_cells():
    """Every quarter form the parser reads (a financial-year quarter, Q1 = April to June; three months starting a
    quarter), and what is not a quarter: other spans of months, impossible quarters and years, months, days."""
    from pipelines.spend import values

    cells = pl.DataFrame({"v": [cell for cell, _ in QUARTER_CELLS]}, schema={"v": pl.String})
    got = values.quarter_starts(cells.get_column("v")).to_list()
    assert got == [quarter for _, quarter in QUARTER_CELLS]
    # the hint that spares other cells the quarter forms wakes for none of the usual dates
    assert not pl.Series(["01/04/2016", "2016-04-01", "1-Apr-16", "201610", "Jan-17"]).str.contains(
        values.QUARTER_HINT).any()
    # a cell is a month or a quarter, never both
    every = pl.Series([c for c, _ in MONTH_CELLS + QUARTER_CELLS], dtype=pl.String)
    months = pl.DataFrame({"v": every}).select(values.month_expr(pl.col("v"))).to_series()
    assert not (months.is_not_null() & values.quarter_starts(every).is_not_null()).any()
    assert values.period_starts(every).to_list() == months.fill_null(values.quarter_starts(every)).to_list()


def test_month_cells():
    """Every month form the parser reads, the financial periods' calendar (P01 April, P12 and P13 March), and
    what is not a month: impossible periods, other words, dates outside the window, whole days."""
    from pipelines.spend import values

    cells = pl.DataFrame({"v": [cell for cell, _ in MONTH_CELLS]}, schema={"v": pl.String})
    got = cells.select(values.month_expr(pl.col("v"))).to_series().to_list()
    assert got == [month for _, month in MONTH_CELLS]


def test_month_shape_spares_only_cells_no_month_form_reads():
    """month_starts reads with the month forms only the cells of a month's shape (values.MONTH_SHAPE): on 40,000
    cells made by editing month cells (a character dropped, doubled or swapped, digits and spaces put in, case
    changed) and other cells of spend files, it gives what month_expr gives every cell."""
    import random

    from pipelines.spend import values

    rng = random.Random(7)
    seeds = [c for c, _ in MONTH_CELLS + QUARTER_CELLS if c] + [
        "05/04/2017", "2017-04-05", "1500.00", "2047.5", "ACME LTD", "K9534", "46281108_1", "Unit 12", "00:00:00",
        "P 12 2016 - 17", "Per. 3 2019/2020", "2019 / 20 period 4", "DEC '18", "x" * 70 + " 2017-01"]
    alphabet = "0123456789/-. 'PQpqJanSeptMy \t"

    def edit(cell: str) -> str:
        chars = list(cell)
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(chars) + 1)
            kind = rng.randrange(4)
            if kind == 0 and chars:
                del chars[min(i, len(chars) - 1)]
            elif kind == 1:
                chars.insert(i, rng.choice(alphabet))
            elif kind == 2 and chars:
                chars[min(i, len(chars) - 1)] = rng.choice(alphabet)
            else:
                chars = list("".join(chars).upper() if rng.random() < 0.5 else "".join(chars).lower())
        return "".join(chars)

    cells = pl.Series("v", [edit(rng.choice(seeds)) for _ in range(40_000)] + [None], dtype=pl.String)
    expected = pl.DataFrame({"v": cells}).select(values.month_expr(values.short_cells(pl.col("v")))).to_series()
    got = values.month_starts(cells)
    assert got.to_list() == expected.to_list()
    assert 0.05 < got.is_not_null().mean() < 0.9  # both kinds of cell were made
