"""Notice staging in the warehouse: pages landed raw, flattened once, deduplicated with the latest release
winning whatever order the pages arrive in, rebuilt identically from raw, cross-source duplicates linked; and
the field rules (org-ids, postcodes in run-together addresses, Find a Tender money on contracts[], calendar
dates) on synthetic releases and on the real corpus pages."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from pipelines.notices.clients import RecordedNoticeClient
from pipelines.notices.flatten import normalise_org_id, postcode_of, walk
from pipelines.notices.ingest import flatten_new_pages, ingest_notices, load_bulk_jsonl, rebuild_notice_staging

WINDOW = (datetime(2024, 1, 1), datetime(2024, 12, 31))
STAGING = ("staging.notice_releases", "staging.awards", "staging.award_suppliers")


def _supplier_party(pid="GB-COH-01234567", name="ACME LIMITED", number="1234567", scale="sme", vcse=False):
    return {"id": pid, "name": name, "roles": ["supplier"], "identifier": {"scheme": "GB-COH", "id": number},
            "address": {"streetAddress": "1 High StreetEXETERDEVONEX1 1AAGB"},
            "details": {"scale": scale, "vcse": vcse}}


def _award_release(rid, ocid, when, amount, *, tag="award", buyer="Devon County Council", award_date=None,
                   party=None, suppliers=None):
    party = party or _supplier_party()
    refs = suppliers if suppliers is not None else [{"id": party["id"], "name": party["name"]}]
    return {"id": rid, "ocid": ocid, "date": when, "tag": [tag], "buyer": {"id": "B1", "name": buyer},
            "parties": [party, {"id": "B1", "name": buyer, "roles": ["buyer"]}],
            "awards": [{"id": f"{ocid}-1", "date": award_date or when, "value": {"amount": amount, "currency": "GBP"},
                        "suppliers": refs}]}


def _land(tmp_path, warehouse, source, *packages):
    files = []
    for number, releases in enumerate(packages):
        path = tmp_path / f"{source}_{len(list(tmp_path.glob('*.json')))}_{number}.json"
        path.write_text(json.dumps({"releases": releases}), encoding="utf-8")
        files.append(path)
    return ingest_notices(source, RecordedNoticeClient(source, files), warehouse, *WINDOW, progress=lambda _: None)


def _snapshot(warehouse):
    with warehouse.connect(read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in STAGING}


@pytest.mark.parametrize("order", ["older_page_first", "newer_page_first"])
def test_latest_release_wins_whatever_order_pages_land(tmp_path, warehouse, order):
    old = _award_release("r1", "ocds-x-1", "2024-03-01T10:00:00Z", 1000)
    new = _award_release("r2", "ocds-x-1", "2024-04-01T10:00:00+01:00", 1500.5, tag="awardUpdate",
                         party=_supplier_party("GB-COH-07654321", "OTHER LTD", "7654321", "large"))
    pages = [[old], [new]] if order == "older_page_first" else [[new], [old]]
    _land(tmp_path, warehouse, "contracts_finder", *pages)
    with warehouse.connect(read_only=True) as con:
        awards = con.execute("select release_id, value_amount, award_date from staging.awards").fetchall()
        suppliers = con.execute("select supplier_party_id, org_id, scale from staging.award_suppliers").fetchall()
        releases = con.execute("select count(*) from staging.notice_releases").fetchone()[0]
    assert awards == [("r2", Decimal("1500.50"), date(2024, 4, 1))]
    # only the winning release's supplier: the earlier one was replaced, not added to
    assert suppliers == [("GB-COH-07654321", "GB-COH-07654321", "large")]
    assert releases == 2


def test_relanding_and_rebuilding_change_nothing(tmp_path, warehouse, corpus):
    pages = sorted((corpus / "contracts_finder").glob("cf_search_*.json"))
    client = RecordedNoticeClient("contracts_finder", pages)
    first = ingest_notices("contracts_finder", client, warehouse, *WINDOW, progress=lambda _: None)
    before = _snapshot(warehouse)
    again = ingest_notices("contracts_finder", RecordedNoticeClient("contracts_finder", pages), warehouse, *WINDOW,
                           progress=lambda _: None)
    assert again["new_pages_flattened"] == 0 and _snapshot(warehouse) == before
    with warehouse.connect() as con:
        rebuilt = rebuild_notice_staging(con, warehouse.raw_dir)
        manifest = con.execute("select count(*), count(distinct sha256) from raw.fetch_manifest").fetchone()
    assert rebuilt["new_pages_flattened"] == len(pages) and _snapshot(warehouse) == before
    assert manifest == (2 * len(pages), len(pages))  # every fetch recorded, every body stored once
    # 100 + 100 + 5 + 1 releases on the four search pages, all with distinct ids (see test_parse_ocds_cli)
    assert first["distinct_releases"] == 206


def test_real_page_fields(warehouse, corpus):
    page = corpus / "contracts_finder" / "cf_search_2022-10-18_limit1.json"
    ingest_notices("contracts_finder", RecordedNoticeClient("contracts_finder", [page]), warehouse, *WINDOW,
                   progress=lambda _: None)
    with warehouse.connect(read_only=True) as con:
        award = con.execute("""select buyer_name, value_amount, currency, award_date, cpv_code, procedure
                               from staging.awards""").fetchall()
        supplier = con.execute("""select org_id, company_number, scale, vcse, postcode
                                  from staging.award_suppliers""").fetchall()
    # values as printed in sources.md §7.1 for this very release
    assert award == [("THE FINANCIAL CONDUCT AUTHORITY", Decimal("44341.25"), "GBP", date(2022, 10, 6), "48000000",
                      "Call-off from a framework agreement")]
    assert supplier == [("GB-COH-01616977", "01616977", "large", False, "KT22 7TW")]


def test_cross_source_duplicate_is_linked_to_the_contracts_finder_copy(tmp_path, warehouse):
    cf = _award_release("cf1", "ocds-b5fd17-1", "2024-06-03T09:00:00Z", 250000, award_date="2024-06-01T00:00:00Z")
    # Find a Tender: another ocid, value on contracts[] only, buyer in other case, supplier by a padded number
    fts = _award_release("fts1", "ocds-h6vhtk-1", "2024-06-05T09:00:00Z", None, buyer="DEVON COUNTY COUNCIL ",
                         award_date="2024-06-04T00:00:00Z",
                         party=_supplier_party("GB-COH-01234567-x", "Acme Ltd", "01234567"))
    fts["contracts"] = [{"awardID": "ocds-h6vhtk-1-1", "value": {"amount": 250000, "currency": "GBP"}}]
    other_value = _award_release("fts2", "ocds-h6vhtk-2", "2024-06-05T09:00:00Z", 250001)
    after_act = _award_release("fts3", "ocds-h6vhtk-3", "2025-03-05T09:00:00Z", 250000, award_date="2025-03-04")
    cf_after = _award_release("cf3", "ocds-b5fd17-3", "2025-03-05T09:00:00Z", 250000, award_date="2025-03-03")
    _land(tmp_path, warehouse, "contracts_finder", [cf, cf_after])
    _land(tmp_path, warehouse, "find_a_tender", [fts, other_value, after_act])
    with warehouse.connect(read_only=True) as con:
        links = dict(con.execute("select ocid, duplicate_of from staging.awards where source = 'find_a_tender'")
                     .fetchall())
        kept = con.execute("select count(*), sum(value_amount) from staging.awards_deduplicated").fetchone()
        basis = con.execute("select value_source from staging.awards where ocid = 'ocds-h6vhtk-1'").fetchone()[0]
    assert links == {"ocds-h6vhtk-1": "contracts_finder:ocds-b5fd17-1:ocds-b5fd17-1-1",
                     "ocds-h6vhtk-2": None, "ocds-h6vhtk-3": None}
    assert basis == "contracts"
    assert kept == (4, Decimal(250000 + 250000 + 250001 + 250000))  # the linked copy counted once


def test_bulk_jsonl_file_lands_once(tmp_path, warehouse):
    lines = [json.dumps(_award_release(f"r{n}", f"ocds-b{n}", "2024-02-01T00:00:00Z", n * 10)) for n in range(1, 4)]
    lines.append(json.dumps({"releases": [_award_release("r9", "ocds-b9", "2024-02-02T00:00:00Z", 90)]}))
    path = tmp_path / "2024.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    first = load_bulk_jsonl(path, "contracts_finder", warehouse, progress=lambda _: None)
    again = load_bulk_jsonl(path, "contracts_finder", warehouse, progress=lambda _: None)
    assert (first["new_pages_flattened"], first["distinct_releases"], first["awards"]) == (1, 4, 4)
    assert again["new_pages_flattened"] == 0 and again["awards"] == 4
    with warehouse.connect() as con:
        assert flatten_new_pages(con, warehouse.raw_dir)["new_pages_flattened"] == 0


@pytest.mark.parametrize("scheme, given, expected", [
    ("GB-COH", "7689604", ("GB-COH-07689604", "07689604")),       # leading zero lost
    ("GB-COH", "012345678", ("GB-COH-12345678", "12345678")),     # nine digits, an extra leading zero
    ("GB-COH", "sc 123456", ("GB-COH-SC123456", "SC123456")),
    ("GB-COH", "1234567890", (None, None)),                       # not a company number
    ("GB-CHC", "1012345", ("GB-CHC-1012345", None)),
    ("GB-PPON", "PABC-1234-XYZA", ("GB-PPON-PABC-1234-XYZA", None)),
    ("GB-CFS", "123", (None, None)),                              # Contracts Finder's own ids are not org-ids
])
def test_org_ids(scheme, given, expected):
    assert normalise_org_id(scheme, given) == expected


@pytest.mark.parametrize("address, expected", [
    ({"streetAddress": "Randalls WayLEATHERHEADSURREYKT22 7TWGB"}, "KT22 7TW"),
    ({"streetAddress": "12 Endeavour Square\nLondon\nE20 1JN"}, "E20 1JN"),
    ({"postalCode": "E201JN", "streetAddress": "somewhere SW1A 1AA"}, "E20 1JN"),
    ({"streetAddress": "Frederiksberggade 11, 1459 Kobenhavn K"}, None),
])
def test_postcodes(address, expected):
    assert postcode_of(address) == expected


def test_legacy_supplier_flags():
    release = _award_release("r1", "o1", "2021-05-01T00:00:00Z", 10, suppliers=[
        {"id": "GB-CFS-1", "name": "Old Style Ltd", "sme": True, "vco": True}])
    release["parties"] = []  # pre-Oct-2022 pages carry the flags on the award's supplier reference
    frames = walk([("contracts_finder", release, None)])
    assert frames["award_suppliers"].select("scale", "vcse").rows() == [("sme", True)]
