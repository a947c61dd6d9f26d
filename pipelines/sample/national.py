"""The sample world at national size, for the scale rehearsal (benchmarks/national_rehearsal.py); demo and
benchmarks only, never the library.

`generate_national(out_dir, options)` writes one site per authority of the real registry
(`pipelines/registry/councils.csv`: every authority still current, or the first `options.councils`), each with
`options.months` months of spending files in one of the sample world's layouts (the same file writers as
`pipelines.sample.generate`, which this module does not change), a landing page linking them, and a latency
drawn per host. `NationalServer` (or `python -m pipelines.sample.national serve WORLD HOSTS_JSON`) serves every
site on 127.0.0.1 from its own port, so every authority is a distinct host to the edge's per-host politeness,
answers conditional GETs (strong ETag, Last-Modified, 304) after the host's latency, and counts requests.

Deterministic: one seed and one set of options give byte-identical files (each authority draws from its own
`random.Random(seed:gss)`, so the size of the world does not change an authority's files).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import html
import io
import json
import random
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipelines.config import DEFAULT_REGISTRY

LAYOUT_HINTS = {  # what the sample registry says of each layout (pipelines/sample/builder.py registry_csv)
    "devon_monthly_csv": {"encoding": "utf-8-sig"}, "exeter_quarterly_csv": {"encoding": "cp1252"},
    "bristol_yearly_xlsx": {"sheets": "all"}, "manchester_monthly_cr_csv": {"line_endings": "cr"},
    "leeds_lga_csv": {"encoding": "cp1252"}, "lambeth_quarterly_zip": {"container": "zip"},
    "cornwall_padded_csv": {}, "hyndburn_cp1252_csv": {"encoding": "cp1252"}, "lancashire_monthly_csv": {},
}
CADENCE = {"exeter_quarterly_csv": "quarterly", "bristol_yearly_xlsx": "annual", "lambeth_quarterly_zip": "quarterly"}
REGISTRY_COLUMNS = ["gss", "name", "type", "region_gss", "county_gss", "website", "start_date", "end_date",
                    "landing_urls", "discovery", "ckan_package", "link_include", "link_exclude", "threshold",
                    "amount_basis", "cadence", "parser_hints"]
LANDING = "/spending-over-500"


@dataclass(frozen=True)
class NationalOptions:
    councils: int | None = None             # None = every current authority; N = N spread over the registry
    months: int = 36                        # from April 2022
    lines_per_month: tuple[int, int] = (1500, 4500)  # ~0.25-0.8 MB a monthly CSV (real files: ~0.2-5 MB)
    latency_ms: tuple[int, int] = (30, 250)  # time to first byte, drawn once per host
    seed: int = 2026
    registry_csv: str = str(DEFAULT_REGISTRY)
    processes: int = 2                      # generator processes


def current_authorities(registry_csv: str, limit: int | None = None) -> list[dict]:
    from pipelines.registry import load_registry

    import polars as pl

    frame = load_registry(registry_csv).filter(pl.col("end_date").is_null())
    rows = frame.select("gss", "name", "type", "region_gss", "county_gss").to_dicts()
    if not limit or limit >= len(rows):
        return rows
    # a smaller world keeps the mix of authority types: evenly spaced rows of the registry (sorted by GSS code)
    return [rows[i * len(rows) // limit] for i in range(limit)]


def _layouts() -> list[str]:
    from pipelines.sample.spendfiles import WRITERS

    return sorted(WRITERS)


def _council_lines(rng: random.Random, gss: str, months: list[tuple[int, int]], per_month: tuple[int, int],
                   suppliers: dict) -> list:
    from pipelines.sample.world import SERVICES, Line, draw_amount, month_key

    keys = sorted(suppliers)
    panel = rng.sample(keys, k=min(len(keys), rng.randint(60, 110)))
    weights = [rng.randint(1, 20) for _ in panel]
    lines, txn = [], rng.randint(3_000_000, 5_000_000)
    for y, m in months:
        days = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.date(y, m, 1)).days
        month_lines = []
        for key in rng.choices(panel, weights, k=rng.randint(*per_month)):
            service = suppliers[key].service
            department, expenses = SERVICES[service]
            amount = draw_amount(rng)
            if rng.random() < 0.025:
                amount = -amount
            month_lines.append(Line(gss, month_key(y, m), dt.date(y, m, rng.randint(1, days)), key, amount, service,
                                    department, rng.choice(expenses), ""))
        month_lines.sort(key=lambda ln: (ln.payment_date, ln.supplier_key, ln.amount))
        for ln in month_lines:
            txn += rng.randint(1, 40)
            ln.transaction_id = str(txn)
        lines.extend(month_lines)
    return lines


def _write_council(args: tuple) -> dict:
    """One authority's site: files, landing page, routes. Runs in a generator process."""
    from pipelines.sample.builder import content_type, http_date, link_text
    from pipelines.sample.spendfiles import WRITERS, Namer
    from pipelines.sample.world import build_suppliers, months as all_months

    authority, layout, options, out_dir = args
    gss = authority["gss"]
    rng = random.Random(f"{options.seed}:{gss}")
    suppliers = build_suppliers(random.Random(options.seed))
    month_list = all_months()[:options.months]
    lines = _council_lines(rng, gss, month_list, options.lines_per_month, suppliers)
    files = WRITERS[layout](lines, Namer(rng, suppliers), rng)
    root = Path(out_dir) / "hosts" / gss
    routes, total, rows, size = {}, Decimal("0.00"), 0, 0
    for p in files:
        target = root / p.url_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.body)
        routes[p.url_path] = {"file": p.url_path.lstrip("/"), "content_type": content_type(p),
                              "last_modified": http_date(p.published_on)}
        total += p.net_total
        rows += p.rows
        size += len(p.body)
    items = "\n".join(f'<li><a href="{html.escape(p.url_path)}">{html.escape(link_text(p))}</a></li>'
                      for p in sorted(files, key=lambda p: p.period_key, reverse=True))
    landing = (f"<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Spending over £500 - "
               f"{html.escape(authority['name'])}</title></head><body><main><h1>Spending over £500</h1><p>We publish "
               f"every payment to suppliers of £500 or more (Local Government Transparency Code 2015).</p>"
               f"<ul class=\"downloads\">\n{items}\n</ul></main></body></html>").encode("utf-8")
    (root / "landing.html").write_bytes(landing)
    newest = max(p.published_on for p in files)
    routes[LANDING] = {"file": "landing.html", "content_type": "text/html; charset=utf-8",
                       "last_modified": http_date(newest)}
    latency = rng.randint(*options.latency_ms) / 1000
    return {"gss": gss, "layout": layout, "latency_s": latency, "files": len(files), "rows": rows,
            "net_total": str(total), "bytes": size, "routes": routes}


def generate_national(out_dir: Path, options: NationalOptions = NationalOptions()) -> dict:
    """Write the national world; returns its summary (also in `national.json`)."""
    import multiprocessing
    import shutil

    out_dir = Path(out_dir)
    if (out_dir / "hosts").exists():
        shutil.rmtree(out_dir / "hosts")
    out_dir.mkdir(parents=True, exist_ok=True)
    authorities = current_authorities(options.registry_csv, options.councils)
    layouts = _layouts()
    jobs = [(a, layouts[int(hashlib.sha256(a["gss"].encode()).hexdigest()[:8], 16) % len(layouts)], options,
             str(out_dir)) for a in authorities]
    if options.processes > 1:
        with multiprocessing.get_context("spawn").Pool(options.processes) as pool:
            sites = pool.map(_write_council, jobs, chunksize=4)
    else:
        sites = [_write_council(job) for job in jobs]
    summary = {"options": {**asdict(options), "lines_per_month": list(options.lines_per_month),
                           "latency_ms": list(options.latency_ms)},
               "authorities": len(sites), "files": sum(s["files"] for s in sites),
               "rows": sum(s["rows"] for s in sites), "bytes": sum(s["bytes"] for s in sites),
               "net_total": str(sum((Decimal(s["net_total"]) for s in sites), Decimal("0.00")))}
    (out_dir / "national.json").write_text(json.dumps({**summary, "sites": sites}, sort_keys=True), "utf-8")
    template = io.StringIO()
    writer = csv.DictWriter(template, REGISTRY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    by_gss = {a["gss"]: a for a in authorities}
    for site in sites:
        a = by_gss[site["gss"]]
        writer.writerow({
            "gss": a["gss"], "name": a["name"], "type": a["type"], "region_gss": a["region_gss"],
            "county_gss": a["county_gss"] or "", "website": "{base:%s}/" % a["gss"], "start_date": "", "end_date": "",
            "landing_urls": "{base:%s}%s" % (a["gss"], LANDING), "discovery": "html", "ckan_package": "",
            "link_include": r"(?i)(spend|payment|expenditure)", "link_exclude": "", "threshold": "500",
            "amount_basis": "net", "cadence": CADENCE.get(site["layout"], "monthly"),
            "parser_hints": json.dumps({"layout": site["layout"], **LAYOUT_HINTS[site["layout"]]}, sort_keys=True)})
    (out_dir / "registry.csv").write_text(template.getvalue(), "utf-8")
    return summary


def resolve_registry(world_dir: Path, bases: dict[str, str]) -> Path:
    """`registry.csv` with every `{base:GSS}` replaced by that authority's server."""
    text = (Path(world_dir) / "registry.csv").read_text("utf-8")
    for gss, base in bases.items():
        text = text.replace("{base:%s}" % gss, base.rstrip("/"))
    path = Path(world_dir) / "registry.resolved.csv"
    path.write_text(text, "utf-8")
    return path


# ------------------------------------------------------------------------------------------------ serving

class _Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_status: dict[str, int] = {}
        self.bytes = 0

    def add(self, status: int, size: int) -> None:
        with self.lock:
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            self.bytes += size

    def snapshot(self) -> dict:
        with self.lock:
            return {"requests": sum(self.by_status.values()), "by_status": dict(self.by_status), "bytes": self.bytes}


class NationalServer:
    """Every authority's site on its own loopback port, with its latency; a control port answers `/stats`."""

    def __init__(self, world_dir: Path):
        self.world_dir = Path(world_dir)
        self.sites = json.loads((self.world_dir / "national.json").read_text("utf-8"))["sites"]
        self.stats = _Stats()
        self.servers: list[ThreadingHTTPServer] = []
        self.bases: dict[str, str] = {}
        self.control_url = ""

    def _handler(self, site: dict | None):
        from pipelines.sample.server import SampleServer

        root = self.world_dir / "hosts" / site["gss"] if site else None
        stats, server = self.stats, self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server naming)
                if site is None:  # the control port
                    body = json.dumps(stats.snapshot()).encode()
                    return self._send(200, {"Content-Type": "application/json"}, body)
                time.sleep(site["latency_s"])
                entry = site["routes"].get(self.path.split("?", 1)[0])
                if entry is None:
                    stats.add(404, 0)
                    return self._send(404, {"Content-Type": "text/plain"}, b"Not Found")
                body = (root / entry["file"]).read_bytes()
                status, headers, body = SampleServer.conditional(self.headers, body, entry["content_type"],
                                                                 entry["last_modified"])
                stats.add(status, len(body) if status != 304 else 0)
                self._send(status, headers, body)

            def _send(self, status, headers, body):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body) if status != 304 else 0))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "NationalServer":
        for site in [None, *self.sites]:
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(site))
            httpd.daemon_threads = True
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self.servers.append(httpd)
            url = f"http://127.0.0.1:{httpd.server_address[1]}"
            if site is None:
                self.control_url = url
            else:
                self.bases[site["gss"]] = url
        return self

    def stop(self) -> None:
        # shut every server down at once: one after another, each waits out its poll interval (0.5 s), which
        # at national size is minutes
        stoppers = [threading.Thread(target=httpd.shutdown) for httpd in self.servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for httpd in self.servers:
            httpd.server_close()
        self.servers.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sample.national")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the national world")
    gen.add_argument("out")
    gen.add_argument("--councils", type=int, default=None)
    gen.add_argument("--months", type=int, default=36)
    gen.add_argument("--lines", type=int, nargs=2, default=list(NationalOptions.lines_per_month))
    gen.add_argument("--latency-ms", type=int, nargs=2, default=list(NationalOptions.latency_ms))
    gen.add_argument("--processes", type=int, default=2)
    serve = sub.add_parser("serve", help="serve it; writes {bases, control} to HOSTS_JSON once listening")
    serve.add_argument("world")
    serve.add_argument("hosts_json")
    args = parser.parse_args(argv)
    if args.command == "generate":
        summary = generate_national(Path(args.out), NationalOptions(
            councils=args.councils, months=args.months, lines_per_month=tuple(args.lines),
            latency_ms=tuple(args.latency_ms), processes=args.processes))
        print(json.dumps(summary, indent=1))
        return 0
    server = NationalServer(Path(args.world)).start()
    tmp = Path(args.hosts_json).with_suffix(".tmp")
    tmp.write_text(json.dumps({"bases": server.bases, "control": server.control_url}), "utf-8")
    tmp.replace(args.hosts_json)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
