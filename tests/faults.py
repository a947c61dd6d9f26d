"""The fault cases of the fault suite, each run as an operator would meet it: a council (or a notices window)
served by the hostile loopback server, ingested for one night with the real parser and the real edge, then a
second night after the server heals (or not, for faults that are not transient).

`python -m tests.faults CASE WORKDIR` runs one case in its own process and prints one JSON line: what the
pipeline recorded, how long the first night took and the process's peak memory (VmHWM), so the suite can
check each case ran bounded and `benchmarks/fault_table.py` can print the table.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from tests.hostile import HostileServer, Reply

GSS = "E06999998"
GOOD = (b"Body Name,Date,Supplier Name,Amount,Expense Type\n"
        b"Demo Council,01/04/2024,Acme Ltd,600.00,Services\nDemo Council,02/04/2024,Bolt Ltd,37.57,Services\n")
MAY = (b"Body Name,Date,Supplier Name,Amount,Expense Type\n"
       b"Demo Council,01/05/2024,Acme Ltd,1200.00,Services\n")
MAY_EDITED = (b"Body Name,Date,Supplier Name,Amount,Expense Type\n"
              b"Demo Council,01/05/2024,Acme Ltd,1250.00,Services\n")
HTML = b"<!DOCTYPE html><html><head><title>Spending</title></head><body><p>Moved</p></body></html>"


def _config(**changes):
    from pipelines.config import SourcesConfig

    return replace(SourcesConfig(
        http_connect_timeout_s=1, http_read_timeout_s=1, http_page_deadline_s=4, http_file_deadline_s=3,
        http_retries=1, http_backoff_s=0.05, http_max_retry_after_s=2, http_max_file_bytes=8 * 1024 ** 2,
        http_max_page_bytes=8 * 1024 ** 2, http_min_interval_s=0.0, http_robots=True, http_contact="tests@example.org",
        max_requests_per_council=40), **changes)


# name -> (what the server does to /files/May-2024.csv on night 1, on night 2, description)
def _cases(server: HostileServer, other: HostileServer) -> dict:
    may = lambda req, n: Reply.file(req, MAY)  # noqa: E731
    return {
        "http_500": (server.status(500), may, "500 on every request"),
        "http_503_retry_after_3600": (server.status(503, "3600"), may, "503 with Retry-After: 3600"),
        "http_503_retry_after_1": (server.fail_then(1, 503, MAY, "1"), may, "503 with Retry-After: 1, then the file"),
        "http_503_no_retry_after": (server.status(503), may, "503 without Retry-After on every request"),
        "reset_mid_body": (server.reset_mid_body(MAY * 2000), may, "connection reset a third of the way in"),
        "short_body": (server.short_body(MAY), may, "body shorter than its Content-Length"),
        "stall": (server.stall(), may, "headers, four bytes, then silence"),
        "drip": (server.drip(0.3), may, "one byte every 0.3 s (each read inside the read timeout)"),
        "redirect_other_host": (server.redirect(other.url("/May-2024.csv")), None,
                                "302 to another loopback server (not allowed)"),
        "redirect_loop": (server.redirect("/files/May-2024.csv"), None, "302 to itself"),
        "huge_declared": (server.huge(), None, "Content-Length: 5 GiB"),
        "huge_chunked": (server.huge(chunked=True), None, "endless chunked body, no length"),
        "html_as_csv": (lambda req, n: Reply.file(req, HTML, "text/csv"), None, "an HTML page served as text/csv, 200"),
        "file_changes": (server.changing([MAY, MAY_EDITED]), None, "a different body on the next request"),
    }


def _zip(members: list[tuple[str, bytes | None, int]]) -> bytes:
    """A zip in memory; a member with body None is `size` bytes of one repeated CSV line (a ratio bomb)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, body, size in members:
            if body is not None:
                archive.writestr(name, body)
                continue
            line = b"Demo Council,01/05/2024,Acme Ltd,1.00,Services\n"
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(MAY.split(b"\n", 1)[0] + b"\n")
                block = line * (1024 * 1024 // len(line))
                for _ in range(size // len(block)):
                    member.write(block)
    return buffer.getvalue()


def _xlsx_far_cell() -> bytes:
    """A workbook whose only cell sits at XFD1048576 (the sheet claims the whole grid)."""
    import io
    import zipfile

    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1048576">'
             '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
        '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
        'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
        '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas'
        '.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


DECIMAL_COMMA = ("Body Name;Date;Supplier Name;Amount;Expense Type\n"
                 "Demo Council;01/05/2024;Acme Ltd;1.234,56;Services\n"
                 "Demo Council;02/05/2024;Bolt Ltd;2.000,00;Services\n").encode()


# file-side faults (the parser's guards): served as May's file, name -> (file name, body factory, description)
FILE_CASES = {
    "zip_bomb": ("May-2024.zip", lambda: _zip([("May-2024.csv", None, 600 * 1024 ** 2)]),
                 "a 600 MB CSV compressed into a small zip"),
    "zip_traversal": ("May-2024.zip", lambda: _zip([("../../../../tmp/keepitlocal-escape.csv", MAY, 0)]),
                      "a zip member named ../../../../tmp/keepitlocal-escape.csv"),
    "xlsx_far_cell": ("May-2024.xlsx", _xlsx_far_cell, "an XLSX whose one cell is XFD1048576"),
    "decimal_comma": ("May-2024.csv", lambda: DECIMAL_COMMA, "1.234,56 amounts in a semicolon file"),
}


def file_case(name: str, workdir: Path) -> dict:
    """One hostile file linked beside a good one, through discovery, fetch, the real parser and the load."""
    from pipelines.warehouse import Warehouse

    file_name, body_of, description = FILE_CASES[name]
    body = body_of()
    warehouse = Warehouse(workdir / "warehouse")
    escape = Path("/tmp/keepitlocal-escape.csv")
    escape.unlink(missing_ok=True)
    with HostileServer() as server:
        page = ('<html><head><title>Spending over £500</title></head><body>'
                '<a href="/files/April-2024.csv">Spending over £500 April 2024 (CSV)</a>'
                f'<a href="/files/{file_name}">Spending over £500 May 2024</a></body></html>').encode()
        server.route("/spending", lambda req, n: Reply.file(req, page, "text/html; charset=utf-8", etag=False))
        server.route("/files/April-2024.csv", lambda req, n: Reply.file(req, GOOD))
        server.route(f"/files/{file_name}", lambda req, n: Reply.file(req, body, "application/octet-stream"))
        council = {"gss": GSS, "name": "Hostile Council", "website": server.base + "/",
                   "landing_urls": server.url("/spending"), "discovery": "html"}
        report, seconds = _night(council, _config(ckan_url=server.url("/api/action")), warehouse)
    return {"case": name, "description": description, "seconds": round(seconds, 2), "bytes": len(body),
            "report1": _brief(report), "after1": _state(warehouse), "escaped": escape.exists()}


def _landing(server: HostileServer) -> None:
    page = ('<html><head><title>Spending over £500</title></head><body>'
            '<a href="/files/April-2024.csv">Spending over £500 April 2024 (CSV)</a>'
            '<a href="/files/May-2024.csv">Spending over £500 May 2024 (CSV)</a></body></html>').encode()
    server.route("/spending", lambda req, n: Reply.file(req, page, "text/html; charset=utf-8", etag=False))
    server.route("/files/April-2024.csv", lambda req, n: Reply.file(req, GOOD))
    server.route("/robots.txt", lambda req, n: Reply.file(req, b"User-agent: *\nDisallow: /private/\n", "text/plain"))


def _night(council: dict, config, warehouse) -> tuple[dict, float]:
    from pipelines.edge import PoliteSession
    from pipelines.spend.ingest import ingest_council

    session = PoliteSession(config.allowed_hosts([council.get("website", ""), council.get("landing_urls", "")]),
                            limits=config.edge_limits("council_file", robots=config.http_robots),
                            host_intervals=config.host_intervals())
    started = time.monotonic()
    try:
        report = ingest_council(council, session=session, warehouse=warehouse, config=config,
                                progress=lambda _: None)
    finally:
        session.close()
    return report, time.monotonic() - started


def _state(warehouse) -> dict:
    with warehouse.connect(read_only=True) as con:
        periods = con.execute("select period_key, count(*), sum(amount) from staging.spend_lines where is_current "
                              "group by 1 order by 1").fetchall()
        history = con.execute("select count(*) from staging.spend_publications where not is_current").fetchone()[0]
        reasons = sorted(r[0] for r in con.execute("select reason_code from staging.quarantine").fetchall())
    return {"current": {k: [n, str(t)] for k, n, t in periods}, "superseded": history, "quarantine": reasons}


def council_case(name: str, workdir: Path) -> dict:
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(workdir / "warehouse")
    with HostileServer(max_stall_s=8) as server, HostileServer(max_stall_s=2) as other:
        other.route("/May-2024.csv", lambda req, n: Reply.file(req, MAY))
        _landing(server)
        night1, night2, description = _cases(server, other)[name]
        server.route("/files/May-2024.csv", night1)
        council = {"gss": GSS, "name": "Hostile Council", "website": server.base + "/",
                   "landing_urls": server.url("/spending"), "discovery": "html"}
        config = _config(ckan_url=server.url("/api/action"))
        report1, seconds = _night(council, config, warehouse)
        after1 = _state(warehouse)
        if night2 is not None:
            server.route("/files/May-2024.csv", night2)
        report2, seconds2 = _night(council, config, warehouse)
        after2 = _state(warehouse)
        other_hits = sum(other.hits.values())
    return {"case": name, "description": description, "seconds": round(seconds, 2),
            "seconds_night2": round(seconds2, 2), "report1": _brief(report1), "report2": _brief(report2),
            "after1": after1, "after2": after2, "other_server_hits": other_hits}


def private_address_case(workdir: Path) -> dict:
    """A council whose site name resolves to a loopback address, in live mode (no configured endpoint)."""
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(workdir / "warehouse")
    with HostileServer() as server:
        _landing(server)
        server.route("/files/May-2024.csv", lambda req, n: Reply.file(req, MAY))
        base = f"http://localhost:{server.port}"
        council = {"gss": GSS, "name": "Rebinding Council", "website": base + "/", "landing_urls": base + "/spending",
                   "discovery": "html"}
        report, seconds = _night(council, _config(ckan_url=base + "/api/action"), warehouse)
        hits = sum(server.hits.values())
    return {"case": "private_address", "description": "site name resolving to 127.0.0.1 in live mode",
            "seconds": round(seconds, 2), "report1": _brief(report), "server_hits": hits,
            "after1": _state(warehouse)}


def _notice_page(releases: list[dict], next_url: str | None = None) -> bytes:
    package = {"uri": "x", "version": "1.1", "releases": releases}
    if next_url:
        package["links"] = {"next": next_url}
    return json.dumps(package).encode()


def notices_case(name: str, workdir: Path) -> dict:
    """Contracts Finder windows against a scripted server: the second window's page is hostile on night 1."""
    from datetime import datetime

    from pipelines.edge import PoliteSession
    from pipelines.notices.clients import ContractsFinderClient
    from pipelines.notices.ingest import NoticeWindowsFailed, ingest_notices
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(workdir / "warehouse")
    release = {"ocid": "ocds-b5fd17-1", "id": "r1", "date": "2024-05-02T10:00:00Z", "tag": ["award"]}
    deep = b"[" * 100_000 + b"]" * 100_000
    state = {"hostile": True}

    def search(req, n):
        query = req.path.split("?", 1)[1]
        second_window = "publishedFrom=2024-05-16" in query
        if second_window and state["hostile"]:
            if name == "notice_deep_json":
                Reply.send(req, 200, b'{"releases": ' + deep + b"}", {"Content-Type": "application/json"})
            else:
                Reply.send(req, 500, b"error", {"Content-Type": "text/plain"})
            return
        Reply.send(req, 200, _notice_page([release]), {"Content-Type": "application/json"})

    with HostileServer() as server:
        server.route("/Published/Notices/OCDS/Search", search)
        config = _config(contracts_finder_url=server.base)
        session = PoliteSession(config.allowed_hosts(), limits=config.edge_limits())
        outcomes = []
        for night in (1, 2):
            client = ContractsFinderClient.from_config(config, session)
            started = time.monotonic()
            try:
                ingest_notices("contracts_finder", client, warehouse, datetime(2024, 5, 1), datetime(2024, 6, 1),
                               progress=lambda _: None)
                error = None
            except NoticeWindowsFailed as exc:
                error = str(exc)[:300]
            seconds = time.monotonic() - started
            with warehouse.connect(read_only=True) as con:
                mark = con.execute("select last_window_end from raw.notice_watermarks").fetchone()
            outcomes.append({"error": error, "watermark": str(mark[0]) if mark else None, "seconds": round(seconds, 2)})
            state["hostile"] = False
    return {"case": name, "description": {"notice_deep_json": "an OCDS page nested 100,000 deep",
                                          "notice_500": "a window's only page answers 500"}[name],
            "seconds": outcomes[0]["seconds"], "nights": outcomes}


HOLDER = """
import sys, time
from pathlib import Path
from pipelines.runlock import warehouse_run_lock
with warehouse_run_lock(Path(sys.argv[1]), "nightly run"):
    print("held", flush=True)
    time.sleep(60)
"""


def two_runs_case(workdir: Path) -> dict:
    """A second `keepitlocal run` on a warehouse another live run holds: refused at once, exit 3."""
    import subprocess

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(workdir / "warehouse")], stdout=subprocess.PIPE,
                              text=True)
    try:
        holder.stdout.readline()
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--warehouse",
                                 str(workdir / "warehouse")], capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    return {"case": "two_runs", "description": "a second run on a warehouse a live run holds",
            "seconds": round(seconds, 2), "exit_code": second.returncode, "stderr": second.stderr.strip()[-300:]}


def _brief(report: dict) -> dict:
    return {k: report.get(k) for k in ("discovered", "fetched", "not_modified", "parsed", "quarantined", "rows",
                                       "fetch_failed", "retryable", "error")}


def run(name: str, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "private_address":
        out = private_address_case(workdir)
    elif name == "two_runs":
        out = two_runs_case(workdir)
    elif name.startswith("notice_"):
        out = notices_case(name, workdir)
    elif name in FILE_CASES:
        # a guard against the shared machine: a bomb the parser does not stop fails here, not in the kernel
        limit = 3 * 1024 ** 3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        out = file_case(name, workdir)
    else:
        out = council_case(name, workdir)
    out["peak_rss_mb"] = round(_own_peak_kib() / 1024, 1)
    return out


def _own_peak_kib() -> int:
    """This process's high-water RSS since exec (VmHWM); getrusage's ru_maxrss would also count the image of
    the pytest process this case was forked from."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


COUNCIL_CASES = ["http_500", "http_503_retry_after_3600", "http_503_retry_after_1", "http_503_no_retry_after",
                 "reset_mid_body", "short_body", "stall", "drip", "redirect_other_host", "redirect_loop",
                 "huge_declared", "huge_chunked", "html_as_csv", "file_changes"]
ALL_CASES = [*COUNCIL_CASES, "private_address", "notice_deep_json", "notice_500", "two_runs", *FILE_CASES]

if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2])), default=str))
    sys.stdout.flush()
    _ = Decimal  # money in results is carried as text
