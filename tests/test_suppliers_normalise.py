"""Name normalisation: a table of real messy spellings and the keys they must share (or not)."""

import polars as pl
import pytest

from pipelines.suppliers.normalise import name_key, normalise_names


def _one(name: str) -> dict:
    return normalise_names(pl.DataFrame({"n": [name]}), "n").row(0, named=True)


@pytest.mark.parametrize(
    "variants",
    [
        ["Bureau Veritas Uk Ltd", "BUREAU VERITAS UK LIMITED", "Bureau Veritas (UK) Ltd."],
        ["A B C Services Limited", "ABC SERVICES LTD", "A.B.C. Services Ltd"],
        ["The Lowry Centre Trust", "LOWRY CENTRE TRUST THE", "Lowry\u00a0Centre  Trust"],
        ["J SAINSBURY PLC", "J Sainsbury Public Limited Company", "J. Sainsbury P.L.C."],
        ["Smith & Sons Ltd", "SMITH AND SONS LIMITED", "Smith+Sons Ltd"],
        ["Foo\u2020Bar Ltd", "FOO BAR LTD\x00"],
    ],
)
def test_variants_share_one_key(variants):
    keys = set(name_key(pl.Series(variants)).to_list())
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    "left,right",
    [
        ("S & W TLP (PROJECT CO ONE) LTD", "S & W TLP (PROJECT CO TWO) LTD"),
        ("ABC CARE LTD", "ABC CARS LTD"),
        ("T/A Cundall", "T/A Sage Care Ltd"),
    ],
)
def test_different_organisations_keep_different_keys(left, right):
    keys = name_key(pl.Series([left, right])).to_list()
    assert keys[0] != keys[1]


def test_columns_split_out():
    row = _one("YOUNG DEVON (IVYBRIDGE)****5215")
    assert row["pseudonym"] == "5215" and "*" not in row["name_clean"]
    row = _one("Bright Futures Care Ltd T/A Cosy Homes")
    assert row["legal_form"] == "LTD" and row["alias"] == "COSY HOMES" and row["name_key"] == "BRIGHT FUTURES CARE"
    assert _one("SAFEBREAKS DEVON CIC")["legal_form"] == "CIC"
    assert _one("Hope Community Interest Company")["legal_form"] == "CIC"
    assert _one("Hope Charitable Incorporated Organisation")["legal_form"] == "CIO"
    assert _one("Smith & Jones LLP")["legal_form"] == "LLP"
    assert _one("Alliance Disposables Limi")["legal_form"] == "LTD"
    row = _one("TWIL CIVILS SOUTH WEST (Taylor Woodrow Construction Ltd)")
    assert row["name_key"] == "TWIL CIVILS SOUTH WEST" and row["alias"].startswith("TAYLOR WOODROW")
    assert _one("")["name_key"] == "" and _one("Redactive Publishing Ltd")["name_key"] == "REDACTIVE PUBLISHING"
