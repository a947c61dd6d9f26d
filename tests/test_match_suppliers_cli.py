"""`keepitlocal match-suppliers` round trip through the installed console script."""

import subprocess
from pathlib import Path

import duckdb
import polars as pl

from pipelines.suppliers import registers
from pipelines.warehouse import apply_ddl

ROOT = Path(__file__).resolve().parent.parent
EXE = ROOT / ".venv" / "bin" / "keepitlocal"
ADDED = ["supplier_key", "canonical_name", "org_id", "org_type", "org_type_basis", "org_type_confidence", "match_method", "match_score"]


def _run(*args):
    return subprocess.run([str(EXE), "match-suppliers", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_round_trip_without_and_with_registers(tmp_path, corpus):
    src = tmp_path / "in.csv"
    src.write_text(
        "name,company_number,amount,extra\n"
        "Zeta Widgets Ltd,123456,10.50,a\n"
        "REDACTED UNDER DP ACT,,99.00,b\n"
        "Devon County Council,,5.00,c\n"
        "ZETA WIDGETS LIMITED,,1.00,d\n"
        "Mr J Smith,,2.00,e\n"
        "\"=HYPERLINK(\"\"http://x\"\")\",,-5.00,@f\n"
    )
    out = tmp_path / "out.csv"
    result = _run(src, "--out", out, "--no-registers")
    assert result.returncode == 0, result.stderr
    df = pl.read_csv(out, infer_schema=False)
    assert df.columns == ["name", "company_number", "amount", "extra", *ADDED]
    assert df["extra"].to_list() == ["a", "b", "c", "d", "e", "'@f"]  # order kept; formula-like text quoted
    assert df["company_number"][0] == "123456"  # input kept verbatim
    assert df["org_id"][0] == df["org_id"][3] == "GB-COH-00123456"
    assert df["org_type"].to_list()[:5] == ["company", "redacted", "public_body", "company", "individual"]
    # typed from the shipped reference data with no warehouse, with the basis and its confidence
    assert df["org_id"][2] == "GB-LAE-DEV" and df["org_type_basis"][2] == "reference:local_authorities"
    assert df["org_type_basis"][4] == "person_title" and 0 < float(df["org_type_confidence"][4]) <= 1
    # a cell a spreadsheet would run gets a leading quote; a negative amount stays a number
    assert df["name"][5].startswith("'=HYPERLINK") and df["amount"][5] == "-5.00"

    wh = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    apply_ddl(con)
    registers.load_public_bodies(corpus / "registry" / "digital-land_dluhc-datasets" / "local-authority.csv", con)
    con.close()
    result = _run(src, "--out", out, "--warehouse", wh)
    assert result.returncode == 0, result.stderr
    df = pl.read_csv(out, infer_schema=False)
    assert df["org_id"][2] == "GB-LAE-DEV" and df.height == 6


def test_usage_errors(tmp_path):
    missing = _run(tmp_path / "nope.csv", "--out", tmp_path / "o.csv")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("supplier,amount\nAcme,1\n")
    no_name = _run(bad, "--out", tmp_path / "o.csv")
    assert no_name.returncode == 2 and "no `name` column" in no_name.stderr
