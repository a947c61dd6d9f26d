"""`keepitlocal parse-ocds` on every real page in the corpus, and on the traps real pages contain.

Expected figures were established independently of the code under test, with a throwaway script using only
the json module: award releases by `tag`; for each (ocid, award id) the award from the release with the
latest `date` (datetime.fromisoformat); pairs = distinct supplier ids per kept award; GBP sum with Decimal;
supplier figures from `parties` whose `roles` contain "supplier" (a different path from the code, which
follows `awards[].suppliers[]` references); buyers = distinct `buyer.name`.

| file | releases | ids | ocids | award rel. | awards | pairs | GBP | sme | large | vcse | GB-COH | buyers |
| cf_search_2022-10-18_limit1 | 1 | 1 | 1 | 1 | 1 | 1 | 44341.25 | 0 | 1 | 0 | 1 | 1 |
| cf_search_2022-10-19_limit5 | 5 | 5 | 5 | 2 | 2 | 8 | 4548488.00 | 0 | 6 | 0 | 0 | 4 |
| cf_search_2022-10-20_limit100 | 100 | 100 | 86 | 53 | 48 | 49 | 36114840.02 | 17 | 19 | 0 | 17 | 53 |
| cf_search_2022-10-22_limit100 | 100 | 100 | 88 | 27 | 26 | 26 | 129066144.03 | 5 | 16 | 0 | 8 | 66 |
| cf_release_2019_modified | 1 | 1 | 1 | 0 | 0 | 0 | 0.00 | 0 | 0 | 0 | 0 | 1 |
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

KEEPITLOCAL = str(Path(sys.executable).with_name("keepitlocal"))
KEYS = ("releases", "distinct_release_ids", "ocids", "award_releases", "awards", "award_supplier_pairs",
        "sum_award_value_gbp", "suppliers_sme", "suppliers_large", "suppliers_vcse_true", "suppliers_with_gb_coh",
        "buyers")
EXPECTED = {
    "cf_search_2022-10-18_limit1.json": (1, 1, 1, 1, 1, 1, "44341.25", 0, 1, 0, 1, 1),
    "cf_search_2022-10-19_limit5.json": (5, 5, 5, 2, 2, 8, "4548488.00", 0, 6, 0, 0, 4),
    "cf_search_2022-10-20_limit100.json": (100, 100, 86, 53, 48, 49, "36114840.02", 17, 19, 0, 17, 53),
    "cf_search_2022-10-22_limit100.json": (100, 100, 88, 27, 26, 26, "129066144.03", 5, 16, 0, 8, 66),
    "cf_release_2019_modified.json": (1, 1, 1, 0, 0, 0, "0.00", 0, 0, 0, 0, 1),
}


def parse(path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([KEEPITLOCAL, "parse-ocds", str(path), "--json", *extra], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_pages_exact_figures(corpus, name):
    result = parse(corpus / "contracts_finder" / name)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == dict(zip(KEYS, EXPECTED[name]))
    assert parse(corpus / "contracts_finder" / name).stdout == result.stdout  # same output every run


def test_truncated_find_a_tender_page_is_unreadable(corpus):
    result = parse(corpus / "contracts_finder" / "fts_release_packages_2026-05-06_PARTIAL.txt")
    assert result.returncode == 3
    assert "not valid JSON" in result.stderr and result.stdout == ""


def test_usage_errors_exit_2(tmp_path):
    assert parse(tmp_path / "missing.json").returncode == 2
    assert subprocess.run([KEEPITLOCAL, "parse-ocds"], capture_output=True).returncode == 2


def _release(rid, ocid, date, tag, award_id=None, amount=None, supplier=None, party=None):
    release = {"id": rid, "ocid": ocid, "date": date, "tag": [tag], "buyer": {"id": "B1", "name": "Some Council"}}
    if award_id:
        release["awards"] = [{"id": award_id, "value": {"amount": amount, "currency": "GBP"},
                              "suppliers": [{"id": supplier, "name": "Acme Ltd"}]}]
        release["parties"] = [party]
    return release


def test_jsonl_gz_latest_release_wins_and_find_a_tender_numbers_are_patched(tmp_path):
    party = {"id": "S1", "name": "Acme Ltd", "roles": ["supplier"], "identifier": {"scheme": "GB-COH", "id": "123456"},
             "details": {"scale": "sme", "vcse": True}, "address": {"streetAddress": "1 High St, Exeter EX1 1AA"}}
    first = _release("r1", "o1", "2024-01-01T10:00:00Z", "award", "a1", 100, "S1", party)
    second = _release("r2", "o1", "2024-02-01T10:00:00Z", "awardUpdate", "a1", 250.5, "S1", party)
    lines = [json.dumps({"releases": [first]}), json.dumps(second)]
    # Find a Tender's invalid numbers, as served: must not make the line unreadable
    lines.append('{"id": "r3", "ocid": "o2", "date": "2024-03-01T00:00:00Z", "tag": ["tender"], '
                 '"tender": {"value": {"amount": 1e9999}, "minValue": 000, "x": [000]}}')
    path = tmp_path / "releases.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    result = parse(path, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["releases"], figures["award_releases"], figures["awards"]) == (3, 2, 1)
    assert figures["sum_award_value_gbp"] == "250.50"
    assert (figures["suppliers_sme"], figures["suppliers_vcse_true"], figures["suppliers_with_gb_coh"]) == (1, 1, 1)
    import polars as pl

    suppliers = pl.read_parquet(tmp_path / "out" / "award_suppliers.parquet")
    assert suppliers["org_id"].to_list() == ["GB-COH-00123456"]
    assert suppliers["postcode"].to_list() == ["EX1 1AA"]


def test_invalid_utf8_is_repaired_not_fatal(tmp_path):
    body = ('{"releases": [{"id": "r1", "ocid": "o1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"], '
            '"buyer": {"name": "Rushmere Country Park \u2013 X"}}]}').encode("utf-8")
    body = body.replace("\u2013".encode(), b"\x96")  # a stray cp1252 dash inside otherwise valid UTF-8
    path = tmp_path / "page.json"
    path.write_bytes(body)
    result = parse(path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["buyers"] == 1


def test_micro_scale_counts_as_sme():
    from pipelines.notices.flatten import _scale

    assert [_scale({"scale": s}, {}) for s in ("micro", "sme", "large", None)] == ["sme", "sme", "large", "unknown"]
    assert _scale({}, {"sme": False}) == "large"  # legacy Contracts Finder flag on the supplier reference
