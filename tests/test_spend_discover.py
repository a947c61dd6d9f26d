"""Discovery against a small loopback site: pagination, one sub-page level, decoys, relative links, a redirect,
CKAN JSON, and refusal of hosts outside the allow-list."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.config import SourcesConfig
from pipelines.http import HostNotAllowed, PoliteSession
from pipelines.spend.discover import discover_council


class Site:
    """A loopback HTTP server answering from a dict path(+query) -> (status, headers, body)."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def html(body: str, title: str = "Page") -> tuple:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


LANDING = """
<h1>Spending over £500</h1>
<a href="files/spend-april-2023.csv">Spending over £500 - April 2023 (CSV, 45KB)</a>
<a href="/councils/demo/files/2023-24-q2.xlsx">2023-24 Q2</a>
<a href="files/jan-mar-2024.csv">Expenditure jan-mar-2024</a>
<a href="files/1700664724wpdm_expenditure-over-250-2023-10.csv">1700664724wpdm_expenditure-over-250-2023-10.csv</a>
<a href="files/minutes-april-2023.pdf">Cabinet minutes April 2023</a>
<a href="files/contracts-register-2023.csv">Contracts register 2023</a>
<a href="files/grants-2023.csv">Grants to voluntary organisations 2023</a>
<a href="/accessibility">Accessibility statement</a>
<a href="/councils/demo/spending/archive">Spending archive (previous years)</a>
<a href="/councils/demo/spending?page=2" rel="next">Next</a>
<a href="/old-file">Old link moved</a>
"""
PAGE_2 = """<a href="files/spend-may-2023.csv">May 2023</a>
<a href="https://elsewhere.example/spend-june-2023.csv">Spending June 2023 (mirror)</a>"""
ARCHIVE = """<h1>Spending archive</h1><a href="files/2022/August.csv">August 2022</a>
<a href="/councils/demo/spending/archive/deeper">Archive 2019 (deeper page)</a>"""
DEEPER = """<a href="files/2019/spend-may-2019.csv">Spending May 2019</a>"""


@pytest.fixture()
def site():
    routes: dict = {}
    s = Site(routes)
    routes.update({
        "/councils/demo/spending": html(LANDING, "Spending over £500"),
        "/councils/demo/spending?page=2": html(PAGE_2, "Spending over £500 - page 2"),
        "/councils/demo/spending/archive": html(ARCHIVE, "Archive"),
        "/councils/demo/spending/archive/deeper": html(DEEPER, "Deeper"),
        "/old-landing": (301, {"Location": "/councils/demo/spending"}, b""),
    })
    yield s
    s.close()


def council(base: str, **overrides) -> dict:
    row = {"gss": "E06999999", "name": "Demo Council", "type": "unitary", "website": f"{base}/",
           "landing_urls": f"{base}/councils/demo/spending", "discovery": "html", "ckan_package": None,
           "link_include": None, "link_exclude": None, "parser_hints": None}
    row.update(overrides)
    return row


def session_for(c: dict, config: SourcesConfig) -> PoliteSession:
    urls = [c["website"], *(c.get("landing_urls") or "").split("|")]
    return PoliteSession(allowed_hosts=config.allowed_hosts([u for u in urls if u]), retries=0, backoff=0, min_interval_s=0)


def test_html_discovery_follows_pagination_one_sub_page_level_and_drops_decoys(site):
    config = SourcesConfig(ckan_url=f"{site.base}/api/action")
    c = council(site.base, landing_urls=f"{site.base}/old-landing")
    result = discover_council(c, session_for(c, config), config)
    by_url = {link.url.removeprefix(site.base): link for link in result.links}
    assert set(by_url) == {
        "/councils/demo/files/spend-april-2023.csv", "/councils/demo/files/2023-24-q2.xlsx",
        "/councils/demo/files/jan-mar-2024.csv",
        "/councils/demo/files/1700664724wpdm_expenditure-over-250-2023-10.csv",
        "/councils/demo/files/spend-may-2023.csv", "/councils/demo/spending/files/2022/August.csv",
    }
    labels = {u: link.period_label for u, link in by_url.items()}
    assert labels["/councils/demo/files/spend-april-2023.csv"] == "2023-04"
    assert labels["/councils/demo/files/2023-24-q2.xlsx"] == "FY2023-24-Q2"
    assert labels["/councils/demo/files/jan-mar-2024.csv"] == "FY2023-24-Q4"
    assert labels["/councils/demo/files/1700664724wpdm_expenditure-over-250-2023-10.csv"] == "2023-10"
    assert labels["/councils/demo/spending/files/2022/August.csv"] == "2022-08"
    assert by_url["/councils/demo/files/2023-24-q2.xlsx"].format_hint == "xlsx"
    # the redirect was followed and relative links resolved against the final page
    assert by_url["/councils/demo/files/spend-april-2023.csv"].landing_page == f"{site.base}/councils/demo/spending"
    reasons = {r["url"].removeprefix(site.base): r["reason"] for r in result.rejected}
    assert reasons["/councils/demo/files/minutes-april-2023.pdf"].startswith("not_data_file")
    assert reasons["/councils/demo/files/contracts-register-2023.csv"].startswith("decoy")
    assert reasons["/councils/demo/files/grants-2023.csv"].startswith("decoy")
    # only one sub-page level: the archive's own sub-page is never requested
    assert "/councils/demo/spending/archive/deeper" not in site.requests
    assert "/accessibility" not in site.requests
    # a file on a host the registry does not name is rejected, never requested
    assert reasons["https://elsewhere.example/spend-june-2023.csv"] == "host_not_allowed"


def test_session_refuses_hosts_outside_the_allow_list(site):
    config = SourcesConfig(ckan_url=f"{site.base}/api/action")
    c = council(site.base)
    session = session_for(c, config)
    with pytest.raises(HostNotAllowed):
        session.get("https://elsewhere.example/spend-june-2023.csv")
    # a registry landing page on a host the session was not built for is recorded, not requested
    other = council("http://localhost:1", landing_urls="http://localhost:1/spending")
    result = discover_council(other, session, config)
    assert result.links == [] and any(r["reason"] == "host_not_allowed" for r in result.rejected)


def _ckan_package(name: str, org: str, resources: list[dict]) -> dict:
    return {"name": name, "title": "Spending over £500", "notes": "Payments over £500",
            "organization": {"name": org, "title": "Demo Council"}, "resources": resources}


def test_ckan_package_show_and_search(site):
    resources = [
        {"url": f"{site.base}/ckan/files/a.csv", "name": "Spend March 2024", "format": "CSV"},
        {"url": f"{site.base}/ckan/files/a.pdf", "name": "Spend March 2024", "format": "PDF"},
        {"url": f"{site.base}/ckan/files/b", "download_url": f"{site.base}/ckan/files/b.xlsx",
         "name": "April 2024", "format": "xlsx"},
    ]
    show = {"success": True, "result": _ckan_package("demo-spend", "demo-council", resources)}
    site.routes["/api/action/package_show?id=demo-spend"] = (200, {"Content-Type": "application/json"},
                                                             json.dumps(show).encode())
    search = {"success": True, "result": {"count": 2, "results": [
        _ckan_package("demo-spend", "demo-council", resources[:1]),
        _ckan_package("other-spend", "other-council", [{"url": f"{site.base}/x.csv", "name": "May 2024"}]),
    ]}}
    site.routes["/api/action/package_search?q=%28spend+OR+spending+OR+expenditure+OR+payments+OR+%22over+500%22"
                "+OR+%22over+250%22%29&rows=100&fq=organization%3Ademo-council"] = (
        200, {"Content-Type": "application/json"}, json.dumps(search).encode())
    config = SourcesConfig(ckan_url=f"{site.base}/api/action")

    c = council(site.base, discovery="ckan", ckan_package="demo-spend", landing_urls=None)
    result = discover_council(c, session_for(c, config), config)
    assert {(l.url.removeprefix(site.base), l.period_label) for l in result.links} == {
        ("/ckan/files/a.csv", "2024-03"), ("/ckan/files/b.xlsx", "2024-04")}

    # no package in the registry: package_search over the council's data.gov.uk organisation
    c = council(site.base, discovery="ckan", ckan_package=None, landing_urls=None,
                parser_hints='{"ckan_organization": "demo-council"}')
    result = discover_council(c, session_for(c, config), config)
    assert [l.url.removeprefix(site.base) for l in result.links] == ["/ckan/files/a.csv"]
    assert any(r["reason"] == "ckan_package_not_council_spend" for r in result.rejected)


def test_unknown_landing_page_falls_back_to_website_sub_pages(site):
    site.routes["/"] = html('<a href="/councils/demo/spending">Council spending and transparency</a>'
                            '<a href="/bins">Bins</a>', "Demo Council")
    config = SourcesConfig(ckan_url=f"{site.base}/api/action")
    c = council(site.base, landing_urls=None)
    result = discover_council(c, session_for(c, config), config)
    assert any(l.url.endswith("spend-april-2023.csv") for l in result.links)
    assert "/bins" not in site.requests


# --------------------------------------------------------------------------------------------------------------
# deep discovery: a spending page three clicks from the home page, behind decoys

DEEP_HOME = """<a href="/about">About us</a> <a href="/bins">Bins and recycling</a> <a href="/news">News</a>
<a href="/your-council">Your council</a> <a href="/contact">Contact us</a>
<a href="http://localhost:{port}/your-council/transparency">Transparency (other host)</a>"""
DEEP_COUNCIL = """<a href="/your-council/transparency">Transparency and open data</a>
<a href="/your-council/councillors">Councillors and allowances</a>
<a href="/your-council/contracts">Contracts register</a> <a href="/parking">Parking</a>"""
DEEP_TRANSPARENCY = """<a href="/your-council/transparency/spending-over-500">Spending over £500</a>
<a href="/your-council/transparency/grants">Grants to voluntary organisations</a>
<a href="/your-council/transparency/pay-policy">Pay policy statement</a>"""
DEEP_SPENDING = """<h1>Spending over £500</h1>
<a href="/files/payments-over-500-april-2024.csv">April 2024 (CSV)</a>
<a href="/files/payments-over-500-may-2024.csv">May 2024 (CSV)</a>
<a href="/files/contracts-register-2024.csv">Contracts register 2024</a>
<a href="http://localhost:{port}/files/mirror-june-2024.csv">June 2024 (mirror)</a>
<a href="/your-council/transparency/spending-over-500/archive-2019">Spending archive 2019</a>"""
DEEP_ARCHIVE = """<a href="/files/payments-over-500-april-2019.csv">April 2019</a>"""
DEEP_GRANTS = """<a href="/files/grants-2024.csv">Grants 2024</a>"""
DEEP_CONTRACTS = """<a href="/files/contracts-2024.csv">Contracts over £5,000 (CSV)</a>"""


@pytest.fixture()
def deep_site():
    routes: dict = {}
    s = Site(routes)
    port = s.server.server_address[1]
    routes.update({
        "/": html(DEEP_HOME.format(port=port), "Demo Council"),
        "/about": html('<a href="/about/history">History</a>', "About us"),
        "/news": html('<a href="/news/1">Budget news</a>', "News"),
        "/your-council": html(DEEP_COUNCIL, "Your council"),
        "/your-council/transparency": html(DEEP_TRANSPARENCY, "Transparency"),
        "/your-council/transparency/spending-over-500": html(DEEP_SPENDING.format(port=port), "Spending over £500"),
        "/your-council/transparency/spending-over-500/archive-2019": html(DEEP_ARCHIVE, "Archive 2019"),
        "/your-council/transparency/grants": html(DEEP_GRANTS, "Grants"),
        "/your-council/contracts": html(DEEP_CONTRACTS, "Contracts"),
        "/bins": html('<a href="/files/bin-calendar.csv">Bin calendar</a>', "Bins"),
    })
    yield s
    s.close()


def test_deep_discovery_finds_a_page_three_clicks_deep_and_records_it_as_a_candidate(deep_site):
    from pipelines.spend.discover import deep_discover, DiscoveryResult

    config = SourcesConfig(ckan_url=f"{deep_site.base}/api/action")
    c = council(deep_site.base, landing_urls=None, landing_status="fallback")
    session = PoliteSession(allowed_hosts={deep_site.base.split("//")[1], f"localhost:{deep_site.server.server_address[1]}"},
                            retries=0, backoff=0)
    result = discover_council(c, session, config)
    urls = sorted(l.url.rsplit("/", 1)[-1] for l in result.links)
    assert urls == ["payments-over-500-april-2024.csv", "payments-over-500-may-2024.csv"]
    candidate = result.candidates[0]
    assert candidate["page_url"].endswith("/your-council/transparency/spending-over-500")
    assert candidate["depth"] == 3 and candidate["files"] == 2
    assert candidate["trail"].split("|")[1:] == [f"{deep_site.base}/your-council", f"{deep_site.base}/your-council/transparency",
                                                 f"{deep_site.base}/your-council/transparency/spending-over-500"]
    # decoys: no lead words (bins, news pages are never opened), other host, a fourth click, grants/contracts
    assert "/bins" not in deep_site.requests and "/your-council/councillors" not in deep_site.requests
    assert "/your-council/transparency/spending-over-500/archive-2019" not in deep_site.requests
    assert not any("localhost" in u for u in result.pages_visited)
    reasons = {r["url"].rsplit("/", 1)[-1]: r["reason"] for r in result.rejected}
    assert reasons["contracts-register-2024.csv"].startswith("decoy")
    assert reasons["mirror-june-2024.csv"] == "host_not_allowed"
    assert "grants-2024.csv" not in urls

    # bounded: with a page budget of 3 the spending page (the fifth fetched) is never reached
    small = DiscoveryResult(council_gss=c["gss"])
    found: dict = {}
    deep_discover(c, session, small, found, max_pages=3)
    assert not found and len(small.pages_visited) == 3


def test_deep_discovery_stays_on_the_registrable_domain():
    from pipelines.spend.discover import known_data_hosts, registrable_domain

    assert registrable_domain("www.leeds.gov.uk") == "leeds.gov.uk"
    assert registrable_domain("data.bristol.gov.uk") == "bristol.gov.uk"
    assert registrable_domain("opendata.camden.gov.uk") == "camden.gov.uk"
    assert registrable_domain("datamillnorth.org") == "datamillnorth.org"
    c = {"website": "https://www.leeds.gov.uk", "landing_urls": "https://datamillnorth.org/dataset/x",
         "evidence_url": None, "parser_hints": '{"data_hosts": ["opendata.example.org"]}'}
    assert known_data_hosts(c) == {"leeds.gov.uk", "datamillnorth.org", "example.org"}


def test_abolished_council_with_no_page_is_not_crawled(deep_site):
    config = SourcesConfig(ckan_url=f"{deep_site.base}/api/action")
    c = council(deep_site.base, landing_urls=None, discovery="none", landing_status="none")
    result = discover_council(c, session_for(c, config), config)
    assert result.links == [] and deep_site.requests == []
