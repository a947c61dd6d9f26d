"""The loopback sample server: HTTP semantics, paging and the real services' limiter quirks, over `requests`."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from pipelines.sample import generate, sources_config
from pipelines.sample.server import SampleServer, ServerLimits

RELAXED = ServerLimits(cf_max_requests=10_000, fts_min_interval_s=0.0, council_max_per_s=10_000)


@pytest.fixture()
def server(world):
    with SampleServer(world, RELAXED) as s:
        yield s


def file_path(truth, gss, period, fmt=None):
    return next(f["path"] for f in truth["files"]
                if f["council_gss"] == gss and f["period_key"] == period and f["edition"] == 1)


def test_content_types_and_lengths(server, truth):
    cases = {
        file_path(truth, "E10000008", "2023-04"): "text/csv; charset=utf-8",
        file_path(truth, "E07000041", "2023-Q1"): "text/csv; charset=windows-1252",
        file_path(truth, "E06000023", "2023-24"): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_path(truth, "E09000022", "2023-Q1"): "application/zip",
        "/councils/exeter/media/5f2e1a90c3/executive-minutes-2024-03-12.pdf": "application/pdf",
        truth["councils"][0]["landing_path"]: "text/html; charset=utf-8",
    }
    for path, expected in cases.items():
        r = requests.get(server.base_url + path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == expected
        assert int(r.headers["Content-Length"]) == len(r.content)
    ckan = requests.get(server.base_url + "/api/action/package_show", params={"id": "leeds-city-council-spending"})
    assert ckan.headers["Content-Type"].startswith("application/json")
    result = ckan.json()["result"]
    leeds_files = sum(1 for f in truth["files"] if f["council_gss"] == "E08000035" and f["edition"] == 1)
    assert ckan.json()["success"] is True and len(result["resources"]) == leeds_files + 1  # and the PDF copy
    assert all(res["url"].startswith(server.base_url) for res in result["resources"])
    search = requests.get(server.base_url + "/api/action/package_search", params={"q": "spending"}).json()
    assert search["result"]["count"] == 1


def test_error_page_is_html_where_a_csv_should_be(server, truth):
    r = requests.get(server.base_url + truth["error_page"]["path"])
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Sorry, we couldn't find that page" in r.text


def test_etag_and_conditional_get(server, truth):
    url = server.base_url + file_path(truth, "E06000052", "2023-05")
    r = requests.get(url)
    assert r.headers["ETag"] == '"' + hashlib.sha256(r.content).hexdigest() + '"'
    assert requests.get(url, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert requests.get(url, headers={"If-Modified-Since": r.headers["Last-Modified"]}).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"}).status_code == 200


def test_redirect_and_not_found(server, truth):
    old = "/councils/manchester/spending-over-500"
    r = requests.get(server.base_url + old, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"] == truth["redirects"][old]
    followed = requests.get(server.base_url + old)
    assert followed.status_code == 200 and "Payments over £500 in 2023/24" in followed.text
    assert requests.get(server.base_url + "/councils/nowhere/spend.csv").status_code == 404


def test_devon_landing_is_paginated(server):
    first = requests.get(server.base_url + "/councils/devon/spending-over-500").text
    second = requests.get(server.base_url + "/councils/devon/spending-over-500?page=2").text
    assert "?page=2" in first and "Spending over £500 - " in second
    assert first != second


def test_cf_paging_visits_every_release_once(server, truth):
    url = server.base_url + "/Published/Notices/OCDS/Search?limit=17"
    seen, pages, invalid_utf8 = [], 0, 0
    while url:
        r = requests.get(url)
        assert r.status_code == 200
        try:
            r.content.decode("utf-8")
        except UnicodeDecodeError:
            invalid_utf8 += 1
        package = json.loads(r.content.decode("utf-8", errors="replace"))
        dates = [rel["date"] for rel in package["releases"]]
        seen += [rel["id"] for rel in package["releases"]]
        pages += 1
        url = package.get("links", {}).get("next")
    assert len(seen) == len(set(seen)) == truth["notices"]["contracts_finder_releases"]
    assert pages == -(-len(seen) // 17)
    assert invalid_utf8 == 1


def test_cf_filters_by_date_and_stage(server):
    r = requests.get(server.base_url + "/Published/Notices/OCDS/Search",
                     params={"publishedFrom": "2023-01-01", "publishedTo": "2023-06-30", "stages": "award",
                             "limit": 100})
    releases = json.loads(r.content.decode("utf-8", errors="replace"))["releases"]
    assert releases and all("award" in rel["tag"] for rel in releases)
    assert all("2023-01-01" <= rel["date"][:10] <= "2023-06-30" for rel in releases)
    assert [rel["date"] for rel in releases] == sorted((rel["date"] for rel in releases), reverse=True)


def test_cf_403_after_burst_then_recovers(world):
    limits = ServerLimits(cf_max_requests=3, cf_window_s=5.0, cf_block_s=0.5)
    with SampleServer(world, limits) as s:
        url = s.base_url + "/Published/Notices/OCDS/Search?limit=1"
        statuses = [requests.get(url).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [403, 403]
        assert "rate limit may have been exceeded" in requests.get(url).text
        time.sleep(0.6)
        assert requests.get(url).status_code == 200


def test_fts_429_without_retry_after_when_too_fast(world):
    with SampleServer(world, ServerLimits(fts_min_interval_s=0.5)) as s:
        url = s.base_url + "/api/1.0/ocdsReleasePackages?limit=1"
        assert requests.get(url).status_code == 200
        too_fast = requests.get(url)
        assert too_fast.status_code == 429 and "Retry-After" not in too_fast.headers
        time.sleep(0.6)
        ok = requests.get(url)
        assert ok.status_code == 200
        assert b"1e9999" in b"".join(raw for raw in s.fts.raw) and b" 000," in b"".join(s.fts.raw)
        time.sleep(0.6)
        assert requests.get(url + "&statuses=award").status_code == 400


def test_fts_wide_window_is_silently_truncated(server, truth):
    day = truth["notices"]["fts_busy_day"]
    base = server.base_url + "/api/1.0/ocdsReleasePackages"
    wide = json.loads(requests.get(base, params={"updatedFrom": f"{day}T00:00:00", "updatedTo": f"{day}T23:59:59",
                                                 "limit": 5}).content)
    assert len(wide["releases"]) == 5 and "next" not in wide.get("links", {})
    collected = []
    for start in range(0, 24, 6):  # 6-hour windows page properly and together hold more than the wide page
        url = base + f"?limit=2&updatedFrom={day}T{start:02d}:00:00&updatedTo={day}T{start + 5:02d}:59:59"
        while url:
            package = json.loads(requests.get(url).content.replace(b"1e9999", b"9999999").replace(b" 000,", b" 0,"))
            collected += [rel["id"] for rel in package["releases"]]
            url = package.get("links", {}).get("next")
    assert len(collected) == len(set(collected)) > 5


def test_edition_switch_republishes_one_file(server, truth):
    rep, late = truth["republication"], truth["late_publication"]
    other = file_path(truth, "E06000052", "2024-05")
    before = {p: requests.get(server.base_url + p).headers.get("ETag") for p in (rep["path"], other)}
    assert requests.get(server.base_url + late["path"]).status_code == 404
    server.edition = 2
    after = {p: requests.get(server.base_url + p).headers.get("ETag") for p in (rep["path"], other)}
    assert before[rep["path"]] != after[rep["path"]] and before[other] == after[other]
    r = requests.get(server.base_url + rep["path"], headers={"If-None-Match": before[rep["path"]]})
    assert r.status_code == 200
    assert requests.get(server.base_url + late["path"]).status_code == 200
    landing = requests.get(server.base_url + "/councils/hyndburn/download/expenditure-over-500").text
    assert late["path"] in landing


def test_council_burst_gets_429_with_retry_after(world):
    with SampleServer(world, ServerLimits(council_max_per_s=3)) as s:
        responses = [requests.get(s.base_url + "/councils/cornwall/accessibility-statement") for _ in range(6)]
        limited = [r for r in responses if r.status_code == 429]
        assert limited and all(r.headers["Retry-After"] == "1" for r in limited)


def test_request_log_records_everything(server):
    session = requests.Session()
    session.headers["User-Agent"] = "keepitlocal-test/1.0"
    session.get(server.base_url + "/councils/lambeth/about-council/transparency/payments-over-500",
                headers={"If-None-Match": '"x"'})
    session.get(server.base_url + "/missing")
    log = server.request_log.snapshot()
    assert [e["status"] for e in log[-2:]] == [200, 404]
    assert log[-2]["headers"] == {"If-None-Match": '"x"', "User-Agent": "keepitlocal-test/1.0"}
    assert log[-1]["path"] == "/missing" and log[-1]["method"] == "GET" and log[-1]["t"] >= log[-2]["t"]


def test_sources_config_points_at_the_server(server, world, truth):
    config = sources_config(world, server.base_url)
    resolved = Path(config.registry_csv).read_text()
    assert "{base}" not in resolved and server.base_url + "/councils/devon/spending-over-500" in resolved
    assert config.contracts_finder_url == server.base_url and config.ckan_url == server.base_url + "/api/action"
    last_notice = truth["notices"]["last_release_date"][:10]
    assert config.as_of > max(truth["period"]["end"], last_notice) and config.fts_min_interval_s > RELAXED.fts_min_interval_s - 1e-9
    for url in config.registers.values():
        assert requests.get(url).status_code == 200
    allow = config.allowed_hosts()
    assert allow.endpoints == {("127.0.0.1", urlsplit(server.base_url).port)} and not allow.domains
