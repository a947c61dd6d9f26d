"""Nothing discovery loses is silent: a failed listing page, links refused for their host, links over the cap and a
landing page that stops yielding files are recorded (staging.quarantine `discovery:*`, the stage report) and the
next night takes them up; a council whose every file fails is a failed council."""

from __future__ import annotations

import pytest

from pipelines.config import SourcesConfig
from pipelines.edge import PoliteSession
from pipelines.spend.concurrent import ingest_councils
from pipelines.warehouse import Warehouse
from tests.hostile import HostileServer, Reply
from tests.test_spend_load import csv_body, stand_in_parse

GSS = "E06999111"
MONTHS = ["January", "February", "March", "April", "May"]


def _page(*links: tuple[str, str], base: str = "") -> bytes:
    head = f'<base href="{base}">' if base else ""
    return (f"<html><head>{head}</head><body>" + "".join(f'<a href="{u}">{t}</a>' for u, t in links)
            + "</body></html>").encode()


def _html(req, body: bytes) -> None:
    Reply.send(req, 200, body, {"Content-Type": "text/html"})


class Council:
    """One council on a loopback server; `night` lets handlers change between runs."""

    def __init__(self, server: HostileServer, tmp_path, **config):
        self.server, self.night = server, 1
        self.council = {"gss": GSS, "name": "Lossy Council", "website": server.base + "/",
                        "landing_urls": server.base + "/spending", "discovery": "html"}
        self.config = SourcesConfig(ckan_url=server.base + "/api/action", **config)
        self.warehouse = Warehouse(tmp_path / "warehouse")
        for n, month in enumerate(MONTHS, start=1):
            body = csv_body(f"01/{n:02d}/2024,Acme Ltd,{n}00.00")
            server.route(f"/files/{month}-2024.csv", lambda r, _n, body=body: Reply.file(r, body))

    def run(self, parallel: bool = False) -> dict:
        session = PoliteSession(self.config.allowed_hosts([self.server.base]), retries=0, backoff=0,
                                min_interval_s=0)
        return ingest_councils([self.council], session=session, warehouse=self.warehouse, config=self.config,
                               parse=stand_in_parse, progress=lambda _m: None,
                               fetch_concurrency=2 if parallel else 1, parse_workers=0)[0]

    def quarantine(self) -> list[tuple]:
        with self.warehouse.connect() as con:
            return con.execute("select reason_code, source_url from staging.quarantine "
                               "where reason_code like 'discovery:%' order by 1, 2").fetchall()

    def periods(self) -> list[str]:
        with self.warehouse.connect() as con:
            return [r[0] for r in con.execute("select distinct period_key from staging.spend_publications "
                                              "order by 1").fetchall()]


@pytest.fixture()
def server():
    with HostileServer() as s:
        yield s


def link(month: str) -> tuple[str, str]:
    return f"/files/{month}-2024.csv", f"Spending over £500 {month} 2024 (CSV)"


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
def test_a_failed_pagination_page_is_recorded_retryable_and_taken_up_the_next_night(server, tmp_path, parallel):
    site = Council(server, tmp_path)

    def spending(req, _n):
        if "page=2" in req.path:
            if site.night == 1:
                return Reply.send(req, 503, b"busy", {"Content-Type": "text/plain"})
            return _html(req, _page(link("May")))
        _html(req, _page(link("April"), ("/spending?page=2", "Next")))

    server.route("/spending", spending)
    first = site.run(parallel)
    assert (first["discovered"], first["pages_failed"], first["error"]) == (1, 1, None)
    assert first["retryable"] >= 1
    assert site.quarantine() == [("discovery:http_5xx", server.base + "/spending?page=2")]
    site.night = 2
    second = site.run(parallel)
    assert second["pages_failed"] == 0 and site.quarantine() == []
    assert site.periods() == ["2024-04", "2024-05"]


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
def test_links_refused_for_their_host_are_recorded_and_a_page_of_only_refused_links_fails_the_council(
        server, tmp_path, parallel):
    site = Council(server, tmp_path)
    server.route("/spending", lambda r, _n: _html(r, _page(link("May"), link("June"),
                                                           base="https://files.newcdn.example.net/spend/")))
    report = site.run(parallel)
    assert report["links_refused"] == 2 and report["discovered"] == 0
    assert "no file links found" in report["error"] and "2 links refused" in report["error"]
    codes = [code for code, _url in site.quarantine()]
    assert codes.count("discovery:host_not_allowed") == 2 and "discovery:no_file_links" in codes


def test_a_landing_page_that_stops_yielding_files_fails_the_council(server, tmp_path):
    site = Council(server, tmp_path)
    moved = b"<html><body>Our data has moved. <a href='/open-data'>Open data</a></body></html>"
    server.route("/spending", lambda r, _n: _html(r, _page(link("May")) if site.night == 1 else moved))
    assert site.run()["error"] is None
    site.night = 2
    report = site.run()
    assert report["discovered"] == 0 and "had files before" in report["error"]
    assert [code for code, _url in site.quarantine()] == ["discovery:no_file_links"]
    assert site.periods() == ["2024-05"]  # nothing lost: the file loaded before stays


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
def test_links_over_the_cap_take_turns_new_files_and_the_newest_period_first(server, tmp_path, parallel):
    site = Council(server, tmp_path, max_links_per_council=3)
    server.route("/spending", lambda r, _n: _html(r, _page(*[link(m) for m in MONTHS])))  # oldest listed first
    first = site.run(parallel)
    assert (first["discovered"], first["links_deferred"], first["fetched"]) == (5, 2, 3)
    assert site.periods() == ["2024-03", "2024-04", "2024-05"]  # the newest three, though listed last
    assert [code for code, _url in site.quarantine()] == ["discovery:links_deferred"]
    second = site.run(parallel)
    assert second["links_deferred"] == 2 and second["fetched"] == 2  # the two never fetched, then one revisit
    assert site.periods() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
def test_a_council_whose_every_file_fails_is_a_failed_council(server, tmp_path, parallel):
    site = Council(server, tmp_path)
    server.route("/spending", lambda r, _n: _html(r, _page(link("April"), link("May"))))
    server.route("/files/April-2024.csv", lambda r, _n: Reply.send(r, 503, b"busy"))
    server.route("/files/May-2024.csv", lambda r, _n: Reply.send(r, 403, b"forbidden"))
    report = site.run(parallel)
    assert report["fetch_failed"] == 2 and report["retryable"] == 1
    assert report["error"].startswith("every file fetch failed: 2 of 2")
    assert "http_5xx x1" in report["error"] and "http_4xx x1" in report["error"]


def test_one_file_failing_among_good_ones_is_not_a_failed_council(server, tmp_path):
    site = Council(server, tmp_path)
    server.route("/spending", lambda r, _n: _html(r, _page(link("April"), link("May"))))
    server.route("/files/May-2024.csv", lambda r, _n: Reply.send(r, 503, b"busy"))
    report = site.run()
    assert report["fetch_failed"] == 1 and report["fetched"] == 1 and report["error"] is None
