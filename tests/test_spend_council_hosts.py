"""One council's page never loads another council's files: each council's requests reach only its own hosts, the
registry's shared platforms and (for CKAN councils) the CKAN host; the manifest keeps where a fetch ended."""

from __future__ import annotations

import pytest

from pipelines.config import SourcesConfig
from pipelines.edge import AllowList, PoliteSession
from pipelines.spend.concurrent import ingest_councils
from pipelines.spend.hosts import HostOwners, host_key
from pipelines.warehouse import Warehouse
from tests.hostile import HostileServer, Reply
from tests.test_spend_load import csv_body, stand_in_parse

A, B = "E06999101", "E06999102"


def _page(*links: tuple[str, str]) -> bytes:
    return ("<html><body>" + "".join(f'<a href="{u}">{t}</a>' for u, t in links) + "</body></html>").encode()


@pytest.fixture()
def world():
    with HostileServer() as a, HostileServer() as b, HostileServer() as api, HostileServer() as platform:
        yield a, b, api, platform


def _council(gss: str, server: HostileServer, **extra) -> dict:
    return {"gss": gss, "name": f"Council {gss[-1]}", "website": server.base + "/",
            "landing_urls": server.base + "/spending", "discovery": "html", **extra}


def _serve(world) -> tuple[list[dict], SourcesConfig, PoliteSession]:
    """A links its own file, B's file, a redirect to the API host and a file on a platform both name."""
    a, b, api, platform = world
    b_file = csv_body("01/05/2024,B Only Ltd,1234.56")
    b.route("/files/May-2024.csv", lambda r, n: Reply.file(r, b_file))
    b.route("/spending", lambda r, n: Reply.send(r, 200, _page(("/files/May-2024.csv", "Spending May 2024 (CSV)")),
                                                 {"Content-Type": "text/html"}))
    api.route("/dataset/September-2024.csv", lambda r, n: Reply.file(r, csv_body("01/09/2024,Api Host Ltd,99.00")))
    platform.route("/a/July-2024.csv", lambda r, n: Reply.file(r, csv_body("01/07/2024,Platform Ltd,70.00")))
    a.route("/files/April-2024.csv", lambda r, n: Reply.file(r, csv_body("01/04/2024,A Own Ltd,600.00")))
    a.route("/files/September-2024.csv",
            lambda r, n: Reply.send(r, 302, b"", {"Location": api.base + "/dataset/September-2024.csv"}))
    a.route("/spending", lambda r, n: Reply.send(r, 200, _page(
        ("/files/April-2024.csv", "Spending April 2024 (CSV)"),
        (b.base + "/files/May-2024.csv", "Spending May 2024 (CSV)"),
        ("/files/September-2024.csv", "Spending September 2024 (CSV)"),
        (platform.base + "/a/July-2024.csv", "Spending July 2024 (CSV)")), {"Content-Type": "text/html"}))
    # the platform is named for both councils: a shared publishing platform, no one council's host
    councils = [_council(A, a, data_hosts=platform.base), _council(B, b, data_hosts=platform.base)]
    config = SourcesConfig(ckan_url=api.base + "/api/action", contracts_finder_url=api.base,
                           find_a_tender_url=api.base, ocdr_url=api.base, registers={})
    urls = [s.base for s in (a, b, platform)]
    session = PoliteSession(config.allowed_hosts(urls), retries=0, backoff=0, min_interval_s=0)
    return councils, config, session


def test_a_council_page_linking_or_redirecting_to_another_councils_host_is_not_loaded_as_its_own(world, tmp_path):
    for parallel in (False, True):
        councils, config, session = _serve(world)
        warehouse = Warehouse(tmp_path / ("parallel" if parallel else "sequential"))
        ingest_councils(councils, session=session, warehouse=warehouse, config=config, parse=stand_in_parse,
                        progress=lambda _m: None, fetch_concurrency=4 if parallel else 1, parse_workers=0)
        with warehouse.connect() as con:
            suppliers = con.execute("select council_gss, supplier_name from staging.spend_lines "
                                    "order by 1, 2").fetchall()
            redirected = con.execute("select http_status, final_url from raw.fetch_manifest "
                                     "where url like '%September-2024.csv'").fetchall()
            final = con.execute("select url = final_url from raw.fetch_manifest "
                                "where http_status = 200").fetchall()
            quarantined = con.execute("select reason_code from staging.quarantine "
                                      "where source_url like '%September-2024.csv'").fetchall()
        # A keeps its own file and the shared platform's; B's file is B's only; nothing from the API host
        assert suppliers == [(A, "A Own Ltd"), (A, "Platform Ltd"), (B, "B Only Ltd")]
        api_base = world[2].base
        assert redirected == [(0, api_base + "/dataset/September-2024.csv")]
        assert quarantined == [("fetch_error:redirect_not_allowed",)]
        assert final and all(row[0] for row in final)


def test_host_owners_tell_own_shared_and_other_councils_hosts():
    councils = [{"gss": A, "name": "A", "website": "https://www.a.gov.uk",
                 "landing_urls": "https://github.com/a/x", "discovery": "html"},
                {"gss": B, "name": "B", "website": "https://b.gov.uk/", "landing_urls": "https://github.com/b/y",
                 "data_hosts": "files.b-cdn.net", "discovery": "html"},
                {"gss": "E06999103", "name": "C", "website": "http://127.0.0.1:8000/", "discovery": "ckan",
                 "ckan_package": "c-spend"}]
    owners = HostOwners(councils)
    config = SourcesConfig(ckan_url="https://data.gov.uk/api/action")
    assert owners.shared() == {"github.com"}
    allow_a = owners.allow_list(councils[0], config)
    assert allow_a.allows("https://data.a.gov.uk/f.csv") and allow_a.allows("https://github.com/z/f.csv")
    assert not allow_a.allows("https://b.gov.uk/f.csv") and not allow_a.allows("https://cdn.b-cdn.net/f.csv")
    assert not allow_a.allows("https://data.gov.uk/f.csv")  # an API host is no council's site
    allow_c = owners.allow_list(councils[2], config)
    assert allow_c.allows("https://data.gov.uk/api/action/package_show")
    assert allow_c.allows("http://127.0.0.1:8000/x")
    assert not allow_c.allows("http://127.0.0.1:8001/x")
    assert owners.describe_refusal("https://files.b-cdn.net/x.csv", A)[0] == "other_council_host"
    assert owners.describe_refusal("https://data.gov.uk/x.csv", A, config)[0] == "other_council_host"
    assert owners.describe_refusal("https://elsewhere.example/x.csv", A, config)[0] == "host_not_allowed"
    assert host_key("http://127.0.0.1:8000/x") == "127.0.0.1:8000" and host_key("www.a.gov.uk") == "a.gov.uk"


def test_a_council_view_shares_the_sessions_host_state():
    session = PoliteSession(AllowList.from_urls(["https://a.gov.uk", "https://b.gov.uk"]), min_interval_s=0)
    view = session.restricted_to(AllowList.from_urls(["https://a.gov.uk", "https://c.gov.uk"]))
    assert view.allows("https://www.a.gov.uk/x") and not view.allows("https://b.gov.uk/x")
    assert not view.allows("https://c.gov.uk/x")  # never more than the session it narrows
    assert view._hosts is session._hosts and view.limits == session.limits
