"""The HTTP edge against a hostile loopback server: allow-list by registrable domain, every redirect hop checked,
private addresses refused after resolution, caps, deadlines, bounded retries, per-host spacing, robots.txt."""

from __future__ import annotations

import time

import pytest

from pipelines.edge import (
    AddressRefused, AllowList, DeadlineExceeded, EdgeLimits, HostDown, HostNotAllowed, IncompleteBody,
    PoliteSession, RedirectLoop, RedirectNotAllowed, RobotsDisallowed, TooLarge, TooManyRedirects,
    TransferTimeout, registrable_domain,
)
from pipelines.edge.domains import address_refusal
from pipelines.rawstore import blob_path, sha256_hex
from tests.hostile import HostileServer, Reply

BODY = b"Date,Supplier,Amount\n01/04/2024,Acme Ltd,600.00\n"
FAST = EdgeLimits(connect_timeout_s=1, read_timeout_s=1, page_deadline_s=5, download_deadline_s=5, retries=2,
                  backoff_s=0.01, max_retry_after_s=2, min_interval_s=0.0, host_failure_budget=3)


@pytest.fixture()
def server():
    with HostileServer(max_stall_s=6) as s:
        yield s


def session_for(server, **changes) -> PoliteSession:
    return PoliteSession(AllowList.from_urls([server.base]), limits=FAST).with_limits(**changes)


@pytest.mark.parametrize("host, domain", [
    ("www.leeds.gov.uk", "leeds.gov.uk"),
    ("Democracy.Leeds.Gov.UK.", "leeds.gov.uk"),
    ("files.acct.blob.core.windows.net", "acct.blob.core.windows.net"),  # a shared suffix: one account only
    ("council.github.io", "council.github.io"),
    ("www.contractsfinder.service.gov.uk", "contractsfinder.service.gov.uk"),
    ("data.gov.uk", "data.gov.uk"),
    ("example.co.uk:8443", "example.co.uk"),
    ("127.0.0.1", "127.0.0.1"),
    ("localhost", "localhost"),
])
def test_registrable_domain(host, domain):
    assert registrable_domain(host) == domain


def test_allow_list_is_by_registrable_domain_and_exact_ip_endpoint():
    allow = AllowList.from_urls(["https://www.leeds.gov.uk/council/spending", "http://127.0.0.1:8000/"])
    assert allow.allows("https://cdn.leeds.gov.uk/files/2024-04.csv")       # the council's own CDN
    assert not allow.allows("https://leeds.gov.uk.evil.example/x.csv")
    assert not allow.allows("https://bradford.gov.uk/x.csv")                  # gov.uk is a public suffix
    assert allow.allows("http://127.0.0.1:8000/a") and not allow.allows("http://127.0.0.1:8001/a")
    assert not allow.allows("file:///etc/passwd") and not allow.allows("ftp://www.leeds.gov.uk/x")
    assert "www.leeds.gov.uk" in allow and "127.0.0.1:8000" in allow and "127.0.0.1:9" not in allow


@pytest.mark.parametrize("ip", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "::1",
                                "fe80::1", "100.64.0.1", "0.0.0.0", "::ffff:10.0.0.1", "224.0.0.1"])
def test_non_public_addresses_are_refused_unless_configured(ip):
    assert address_refusal(ip, 80, set())
    assert address_refusal(ip, 80, {(ip, 80)}) is None or ip.startswith("::ffff")


def test_public_address_is_fine():
    assert address_refusal("151.101.0.1", 443, set()) is None


def test_redirect_to_another_host_is_refused_at_the_hop(server):
    with HostileServer() as other:
        other.route("/secret.csv", lambda req, n: Reply.file(req, b"secret"))
        url = server.route("/moved", server.redirect(other.url("/secret.csv")))
        with pytest.raises(RedirectNotAllowed) as info:
            session_for(server).get(url)
        assert info.value.reason_code == "redirect_not_allowed"
        assert other.hits == {}  # the other server was never contacted


def test_redirect_within_the_allowed_host_is_followed(server):
    server.route("/file.csv", lambda req, n: Reply.file(req, BODY))
    url = server.route("/old", server.redirect("/file.csv", 301))
    response = session_for(server).get(url)
    assert response.status_code == 200 and response.content == BODY and response.url.endswith("/file.csv")


def test_redirect_loop_and_too_many_redirects(server):
    server.route("/a", server.redirect("/b"))
    server.route("/b", server.redirect("/a"))
    with pytest.raises(RedirectLoop):
        session_for(server).get(server.url("/a"))
    for i in range(10):
        server.route(f"/hop{i}", server.redirect(f"/hop{i + 1}"))
    with pytest.raises(TooManyRedirects):
        session_for(server, max_redirects=3).get(server.url("/hop0"))


def test_name_resolving_to_loopback_is_refused_in_live_mode(server):
    server.route("/file.csv", lambda req, n: Reply.file(req, BODY))
    live = PoliteSession(AllowList(domains={"localhost"}), limits=FAST)  # allowed by name, not by address
    with pytest.raises(AddressRefused) as info:
        live.get(f"http://localhost:{server.port}/file.csv")
    assert info.value.reason_code == "private_address" and "not a public address" in str(info.value)
    assert server.hits == {}


def test_retry_after_over_the_cap_is_not_waited_for(server):
    url = server.route("/busy", server.status(503, retry_after="3600"))
    started = time.monotonic()
    response = session_for(server).get(url)
    assert time.monotonic() - started < 2
    assert response.status_code == 503 and response.edge_reason == "retry_after_too_long"
    assert server.hits["/busy"] == 1


def test_short_retry_after_is_honoured_then_succeeds(server):
    url = server.route("/busy", server.fail_then(1, 503, BODY, retry_after="1"))
    waits = []
    session = session_for(server)
    session.sleep = lambda s: (waits.append(s), time.sleep(s))
    assert session.get(url).content == BODY
    assert 1.0 in waits and server.hits["/busy"] == 2


def test_500_is_retried_a_bounded_number_of_times(server):
    url = server.route("/broken", server.status(500))
    response = session_for(server).get(url)
    assert response.status_code == 500 and server.hits["/broken"] == 3  # first try + 2 retries


def test_reset_mid_body_is_retried_from_scratch(server, tmp_path):
    url = server.route("/flaky.csv", server.reset_mid_body(BODY * 100, times=1))
    download = session_for(server).download(url, tmp_path)
    assert download.status == 200 and download.sha256 == sha256_hex(BODY * 100)
    assert blob_path(tmp_path, download.sha256).read_bytes() == BODY * 100


def test_body_shorter_than_content_length_is_an_incomplete_body(server, tmp_path):
    url = server.route("/short.csv", server.short_body(BODY))
    download = session_for(server).download(url, tmp_path)
    assert download.sha256 is None and download.reason_code == "incomplete_body"
    assert not list(tmp_path.glob("*/*")) or not list((tmp_path / ".incoming").glob("*"))


def test_stall_times_out_within_the_read_timeout(server):
    url = server.route("/stall.csv", server.stall())
    started = time.monotonic()
    with pytest.raises(TransferTimeout):
        session_for(server, retries=0).get(url)
    assert time.monotonic() - started < 3


def test_dripping_server_is_cut_at_the_whole_transfer_deadline(server, tmp_path):
    # one byte every 0.3 s never trips the 1 s read timeout; the 2 s deadline on the whole transfer does
    url = server.route("/drip.csv", server.drip(0.3))
    started = time.monotonic()
    download = session_for(server, download_deadline_s=2).download(url, tmp_path)
    assert download.reason_code == "deadline"
    assert time.monotonic() - started < 4
    with pytest.raises(DeadlineExceeded):
        session_for(server, page_deadline_s=1.5).get(url)


def test_declared_multi_gigabyte_body_is_refused_before_reading(server, tmp_path):
    url = server.route("/huge.csv", server.huge())
    started = time.monotonic()
    download = session_for(server, max_download_bytes=1024 ** 2).download(url, tmp_path)
    assert download.reason_code == "too_large" and "declared 5,368,709,120 bytes" in download.error
    assert time.monotonic() - started < 2
    assert not list((tmp_path / ".incoming").glob("*"))


def test_undeclared_endless_body_is_cut_at_the_cap(server, tmp_path):
    url = server.route("/endless.csv", server.huge(chunked=True))
    download = session_for(server, max_download_bytes=2 * 1024 ** 2).download(url, tmp_path)
    assert download.reason_code == "too_large" and download.sha256 is None
    assert not list((tmp_path / ".incoming").glob("*"))
    with pytest.raises(TooLarge):
        session_for(server, max_page_bytes=1024 ** 2).get(url)


@pytest.mark.parametrize("declared", [True, False], ids=["content_length", "unsized"])
def test_an_error_status_with_a_large_body_is_that_status_retried_not_too_large(server, tmp_path, declared):
    """A 503 whose maintenance page is 2 MB is a 503 (retried, http_5xx, transient), never `too_large` with
    status 0; its page is cut at the error-body cap and the rest left unread."""
    page = b"<html>" + b"down for maintenance " * 100_000 + b"</html>"

    def busy(req, _count):
        if declared:
            Reply.send(req, 503, page, {"Content-Type": "text/html"})
            return
        req.send_response(503)  # no Content-Length: the body runs until the connection closes
        req.send_header("Content-Type", "text/html")
        req.send_header("Connection", "close")
        req.end_headers()
        try:
            req.wfile.write(page)
        except OSError:
            pass
        req.close_connection = True

    url = server.route("/October-2024.csv", busy)
    download = session_for(server, max_download_bytes=8 * 1024 ** 2).download(url, tmp_path)
    assert (download.status, download.reason_code, download.sha256) == (503, "http_5xx", None)
    assert server.hits["/October-2024.csv"] == 3  # the first try and 2 retries: a 5xx is worth retrying
    response = session_for(server).get(url)
    assert response.status_code == 503 and 0 < len(response.content) <= 1024 ** 2
    assert not list((tmp_path / ".incoming").glob("*"))

    later = server.route("/November-2024.csv", lambda req, n: busy(req, n) if n == 1 else Reply.file(req, BODY))
    assert session_for(server).download(later, tmp_path).sha256 == sha256_hex(BODY)  # waited out the same night


def test_requests_to_one_host_are_spaced(server):
    server.route("/p", lambda req, n: Reply.file(req, b"ok", etag=False))
    session = session_for(server, min_interval_s=0.3)
    for _ in range(3):
        session.get(server.url("/p"))
    times = [entry["t"] for entry in server.log]
    assert all(b - a >= 0.28 for a, b in zip(times, times[1:]))


def test_user_agent_names_the_project_and_the_contact(server):
    server.route("/p", lambda req, n: Reply.file(req, b"ok"))
    session_for(server, contact="data-team@example.org").get(server.url("/p"))
    assert server.log[0]["ua"].startswith("keepitlocal/") and "data-team@example.org" in server.log[0]["ua"]


def test_robots_txt_is_honoured_and_read_once(server):
    server.route("/robots.txt", lambda req, n: Reply.file(
        req, b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.2\n", "text/plain"))
    server.route("/public.csv", lambda req, n: Reply.file(req, BODY))
    server.route("/private/a.csv", lambda req, n: Reply.file(req, BODY))
    session = session_for(server, robots=True)
    assert session.get(server.url("/public.csv")).status_code == 200
    with pytest.raises(RobotsDisallowed):
        session.get(server.url("/private/a.csv"))
    assert session.get(server.url("/public.csv")).status_code == 200
    assert server.hits["/robots.txt"] == 1 and "/private/a.csv" not in server.hits


def test_a_host_that_keeps_failing_is_skipped_for_the_rest_of_the_run(server):
    url = server.route("/stall.csv", server.stall())
    session = session_for(server, retries=0, host_failure_budget=2)
    for _ in range(2):
        with pytest.raises(TransferTimeout):
            session.get(url)
    started = time.monotonic()
    with pytest.raises(HostDown):
        session.get(url)
    assert time.monotonic() - started < 0.5 and server.hits["/stall.csv"] == 2


def test_a_host_outside_the_allow_list_is_refused(server):
    with pytest.raises(HostNotAllowed):
        PoliteSession(AllowList(domains={"leeds.gov.uk"}), limits=FAST).get(server.url("/p"))
    assert server.hits == {}


def test_incomplete_body_error_class_is_transient():
    assert IncompleteBody.transient and not TooLarge.transient and not RedirectLoop.transient


def test_hosts_are_fetched_concurrently_but_one_host_one_request_at_a_time(server):
    """The per-host lock and spacing are per host: threads on different hosts overlap, threads on one host
    take turns (what a parallel scheduler on top of the session relies on)."""
    from concurrent.futures import ThreadPoolExecutor

    def slow(req, n):
        server.sleep(0.6)
        Reply.file(req, b"ok", etag=False)

    with HostileServer(max_stall_s=6) as second:
        def slow_second(req, n):
            second.sleep(0.6)
            Reply.file(req, b"ok", etag=False)

        server.route("/slow", slow)
        second.route("/slow", slow_second)
        session = PoliteSession(AllowList.from_urls([server.base, second.base]), limits=FAST)
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(session.get, [server.url("/slow"), second.url("/slow")]))
        across_hosts = time.monotonic() - started
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(session.get, [server.url("/slow"), server.url("/slow")]))
        one_host = time.monotonic() - started
    assert across_hosts < 1.1 and one_host >= 1.2


def test_a_stall_is_tried_twice_not_retries_times(server):
    url = server.route("/stall.csv", server.stall())
    with pytest.raises(TransferTimeout):
        session_for(server, retries=3).get(url)
    assert server.hits["/stall.csv"] == 2
