"""Many councils at once, still polite: fetcher threads across hosts, parse worker processes, one writer.

`ingest_councils` does what `ingest.ingest_council` does for each council, with the work spread three ways:

* **fetching** runs in up to `fetch_concurrency` threads, one council per thread at a time. Every request goes
  through the one shared `PoliteSession`, whose per-host lock, spacing, robots.txt rules, retry and failure
  budgets hold across threads: two councils on different hosts download at the same time, two councils on one
  host take turns exactly as they would one after the other. Fetcher threads never touch the warehouse: the
  validators for conditional GETs come from a snapshot of the manifest read before they start, and bodies
  stream into the raw store (hashed, renamed into place) as before.
* **parsing** runs in `parse_workers` worker processes (the parser is pure: bytes in, result out). A worker
  reads the body from the raw store itself, so bodies never cross the process boundary; at most
  `2 * parse_workers` parses are in flight or waiting to be loaded, which bounds the memory results hold.
* **loading** stays with one writer: the calling thread holds the only warehouse connection. It records each
  fetch in the manifest, decides whether the body is already handled, and loads (or quarantines) results in
  each council's link order, with the same transaction per publication as the one-at-a-time path; a council's
  supersession runs once all its links are done. A body counts as handled only when its publication or
  quarantine row is written, so a run killed anywhere leaves work the next night picks up.

Parsing starts as soon as a body arrives (speculatively: the writer checks "already handled?" when the fetch is
recorded and again, authoritatively, when the result's turn to load comes, exactly where the one-at-a-time path
checks), so the outcome per council is the same as `ingest_council`'s whatever the timing: the same staging rows,
publications, quarantine rows and reports. Councils are independent (every staging row is keyed by council), so
the order in which councils finish does not matter. `fetch_concurrency=1, parse_workers=0` runs `ingest_council`
council by council (the sequential path).
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import sqlfiles
from pipelines.allocator import use_lean_allocator
from pipelines.config import SourcesConfig
from pipelines.spend import fetch as fetch_mod
from pipelines.spend import ingest
from pipelines.spend.hosts import HostOwners, council_session
from pipelines.spend.load import apply_supersession
from pipelines.warehouse import Warehouse

INFLIGHT_PER_WORKER = 2     # parses submitted or parsed-but-not-loaded per worker process
PARENT_CHECK_S = 1.0       # how often a parse worker looks for its parent
TASKS_PER_WORKER = 500      # a worker process is replaced after this many files (bounds slow memory growth)


def parse_worker_count(config: SourcesConfig, councils: int) -> int:
    """Worker processes for parsing: the configured number, else one per CPU core (at most 4); none for a
    single council (its files are parsed by the writer, no process start-up)."""
    if councils <= 1:
        return 0
    if config.parse_workers is not None:
        return max(0, int(config.parse_workers))
    return max(1, min(4, os.cpu_count() or 1))


def ingest_councils(councils: Iterable[dict], *, session, warehouse: Warehouse, config: SourcesConfig,
                    parse: Callable[..., Any] | None = None, progress: Callable[[str], None] = print,
                    fetch_concurrency: int | None = None, parse_workers: int | None = None,
                    registry: Iterable[dict] | None = None) -> list[dict]:
    """Ingest every council; one stage report per council, in the order given. One council's failure is
    recorded in its report and never stops the others. Each council's requests reach only its own hosts and
    the platforms `registry` (default: `councils`) names for several councils (pipelines/spend/hosts.py)."""
    councils = list(councils)
    owners = HostOwners(councils if registry is None else registry)
    concurrency = max(1, int(fetch_concurrency if fetch_concurrency is not None else config.fetch_concurrency))
    workers = parse_worker_count(config, len(councils)) if parse_workers is None else max(0, int(parse_workers))
    if concurrency <= 1 and workers == 0:
        return [_sequential(council, session, warehouse, config, parse, progress, owners) for council in councils]
    return _Run(councils, session, warehouse, config, parse, progress, concurrency, workers, owners).run()


def _sequential(council, session, warehouse, config, parse, progress, owners=None) -> dict:
    try:
        return ingest.ingest_council(council, session=session, warehouse=warehouse, config=config, parse=parse,
                                     progress=progress, owners=owners)
    except Exception as exc:  # one council never fails the night: record it and go on
        progress(f"{council.get('name') or council['gss']}: failed: {exc}")
        return {**ingest.new_report(council), "error": f"{type(exc).__name__}: {exc}"[:ingest.MAX_REASON_CHARS]}


# ------------------------------------------------------------------------------------------ parse workers

def _parse_in_worker(raw, sha256: str, kwargs: dict, parse) -> tuple[str, Any]:
    """Runs in a worker process: parse the stored body (ingest.parse_stored: hash-checked). ("corrupt",
    message) when the stored blob no longer matches its hash (the council fails loudly, as in the writer), else
    ("ok", the result or the exception the parser raised)."""
    try:
        return "ok", ingest.parse_stored(raw, sha256, kwargs, parse)
    except ValueError as exc:
        return "corrupt", f"{type(exc).__name__}: {exc}"


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _warm_worker(parent: int) -> None:
    # A pool worker waits on a queue whose write end it holds itself, so when the run is killed (SIGKILL, OOM)
    # it would wait forever, ~190 MB each, night after night: a daemon thread ends it once its parent is gone.
    # `parent` is the run's pid, passed in: a worker still starting when the run died already has another parent.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True).start()
    ingest._default_parse()  # import the parser (Polars, readers) once per worker, before the first file


class ParsePool:
    """Worker processes for parsing (spawned: the parent has threads and an open DuckDB connection)."""

    def __init__(self, workers: int):
        self.workers = workers
        # Read by the allocators when a process starts, so it is set before any worker starts: it reaches the
        # processes this one starts from now on (parse workers, workbook readers); of this one's, only the C
        # library's arena limit (for threads started from now on).
        use_lean_allocator()
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_warm_worker, initargs=(os.getpid(),),
                                             max_tasks_per_child=TASKS_PER_WORKER)

    def submit(self, raw, sha256: str, kwargs: dict, parse) -> Future:
        """`raw`: the raw store (a local Path or a rawstore.RawStore); the worker reads the body from it."""
        return self._executor.submit(_parse_in_worker, raw, sha256, kwargs, parse)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------------------------ the run

@dataclass(eq=False)
class _Slot:
    link: Any
    outcome: Any
    future: Future | None = None
    queued: bool = False            # waiting for a parse worker
    done: bool = False


@dataclass(eq=False)
class _Council:
    council: dict
    report: dict
    links: list = field(default_factory=list)
    slots: list[_Slot] = field(default_factory=list)
    total: int | None = None        # links to follow, once discovery is done
    next: int = 0                   # the next slot to load, in link order
    speculating: set = field(default_factory=set)  # bodies (sha256) already sent to a parse worker
    recorded: bool = False          # discovery candidates written
    failed: bool = False            # the warehouse failed for this council: the rest of it is skipped
    finished: bool = False


class _Run:
    def __init__(self, councils, session, warehouse, config, parse, progress, concurrency, workers, owners=None):
        self.councils = councils
        self.owners = owners if owners is not None else HostOwners(councils)
        self.session = session
        self.warehouse = warehouse
        self.raw = warehouse.raw_store
        self.config = config
        self.parse = parse
        self.progress = progress
        self.concurrency = concurrency
        self.workers = workers
        self.events: queue.Queue = queue.Queue()
        self.state = {c["gss"]: _Council(c, ingest.new_report(c)) for c in councils}
        self.waiting: collections.deque = collections.deque()  # (council, slot) ready to parse, FIFO
        self.inflight = 0
        self.stop = threading.Event()
        self.previous: dict[str, tuple] = {}
        self.seen: dict[str, tuple] = {}  # every council file URL: (last asked for, last body), for the link cap
        # a parse callable the workers cannot import (a closure, a lambda) runs in the writer instead
        self.pool_parse = parse
        if parse is not None and workers:
            try:
                pickle.dumps(parse)
            except Exception:
                self.workers = 0

    # -- fetcher threads: network only
    def _fetch_council(self, gss: str) -> None:
        st = self.state[gss]
        try:
            if self.stop.is_set():
                self.events.put(("discovered", gss, None))
                return
            problems = ingest.hint_problems(st.council)
            if problems:
                st.report["error"] = "; ".join(problems)
                self.progress(f"{st.report['council_name']}: not ingested: {st.report['error']}")
                self.events.put(("discovered", gss, None))
                return
            session = council_session(self.session, st.council, self.owners, self.config)
            links = ingest.discover_links(st.council, session, self.config, st.report, self.progress,
                                          owners=self.owners, seen=self.seen)
            self.events.put(("discovered", gss, links))
            for index, link in enumerate(links or []):
                if self.stop.is_set():
                    return
                outcome, record = fetch_mod.download_link(
                    link, session, self.raw, self.previous.get(link.url),
                    revalidate_after_days=self.config.revalidate_after_days)
                self.events.put(("fetched", gss, index, outcome, record))
        except BaseException as exc:  # a bug in a fetcher thread fails its council, never the night
            self.events.put(("fetcher_failed", gss, exc))

    # -- the writer
    def run(self) -> list[dict]:
        pool = ParsePool(self.workers) if self.workers else None
        fetchers = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fetch")
        try:
            with self.warehouse.connect() as con:
                self.con, self.pool = con, pool
                self.previous = {row[0]: tuple(row[1:]) for row in
                                 sqlfiles.execute(con, "spend/last_fetches").fetchall()}
                self.seen = ingest.urls_seen(con)
                for gss in self.state:
                    fetchers.submit(self._fetch_council, gss)
                remaining = len(self.state)
                while remaining:
                    event = self.events.get()
                    st = self.state[event[1]]
                    if st.finished:
                        continue
                    try:
                        self._handle(st, event)
                    except Exception as exc:  # the warehouse failed for this council: report it, go on
                        self._fail(st, exc)
                    if not st.finished and st.total is not None and st.next >= st.total:
                        self._finish(st)
                    if st.finished:
                        remaining -= 1
                    self._pump()
        finally:
            self.stop.set()
            fetchers.shutdown(wait=True, cancel_futures=True)
            if pool is not None:
                pool.close()
        return [self.state[c["gss"]].report for c in self.councils]

    def _handle(self, st: _Council, event: tuple) -> None:
        kind, gss = event[0], event[1]
        if kind == "discovered":
            links = event[2]
            if links is None:  # not ingestable tonight: the report says why (already said), nothing is written
                st.total, st.recorded, st.finished = 0, True, True
                return
            st.links, st.total = links, len(links)
            ingest.record_discovery(self.con, st.council, st.report)
            st.recorded = True
        elif kind == "fetched":
            _, _, index, outcome, record = event
            if st.failed:
                return
            slot = _Slot(link=st.links[index], outcome=outcome)
            fetch_mod.record_fetch(self.con, slot.link, outcome, record, gss)
            if not ingest.count_fetch(outcome, st.report) or ingest.body_handled(self.con, gss, outcome.sha256):
                slot.done = True
            elif self.workers and outcome.sha256 not in st.speculating:
                st.speculating.add(outcome.sha256)
                slot.queued = True
                self.waiting.append((st, slot))
            st.slots.append(slot)
            self._flush(st)
        elif kind == "parsed":
            self._flush(st)
        elif kind == "fetcher_failed":
            exc = event[2]
            self.progress(f"{st.report['council_name']}: failed: {exc}")
            st.report["error"] = f"{type(exc).__name__}: {exc}"[:ingest.MAX_REASON_CHARS]
            self._flush(st)
            st.failed = True
            self._finish(st)

    def _flush(self, st: _Council) -> None:
        """Load the council's parsed bodies in link order, as far as results are in."""
        while not st.failed and st.next < len(st.slots):
            slot = st.slots[st.next]
            if not slot.done:
                if slot.future is not None:
                    if not slot.future.done():
                        return
                    result = self._result(slot)
                elif slot.queued:
                    return  # its parse has not started yet
                else:
                    # the same bytes as an earlier link of this council, or no parse workers: decide here,
                    # where the one-at-a-time path decides
                    if ingest.body_handled(self.con, st.council["gss"], slot.outcome.sha256):
                        slot.done = True
                        st.next += 1
                        continue
                    result = ingest.parse_stored(self.raw, slot.outcome.sha256,
                                                 ingest.parse_arguments(st.council, slot.link), self.parse)
                ingest.load_parsed(self.con, st.council, slot.link, slot.outcome, result, st.report)
                slot.done = True
            st.next += 1

    def _result(self, slot: _Slot):
        self.inflight -= 1
        future, slot.future = slot.future, None
        try:
            status, value = future.result()
        except Exception as exc:  # the worker process died (killed, out of memory): this file only
            return RuntimeError(f"parse worker failed: {type(exc).__name__}: {exc}")
        if status == "corrupt":
            raise ValueError(value)
        return value

    def _pump(self) -> None:
        """Start waiting parses while fewer than INFLIGHT_PER_WORKER per worker are in flight."""
        while self.waiting and self.inflight < self.workers * INFLIGHT_PER_WORKER:
            st, slot = self.waiting.popleft()
            slot.queued = False
            if st.failed or st.finished:
                continue
            slot.future = self.pool.submit(self.raw, slot.outcome.sha256,
                                           ingest.parse_arguments(st.council, slot.link), self.pool_parse)
            self.inflight += 1
            gss = st.council["gss"]
            slot.future.add_done_callback(lambda _f, gss=gss: self.events.put(("parsed", gss)))

    def _fail(self, st: _Council, exc: Exception) -> None:
        st.report["error"] = f"{type(exc).__name__}: {exc}"[:ingest.MAX_REASON_CHARS]
        st.failed = True
        self._finish(st)

    def _finish(self, st: _Council) -> None:
        if st.finished:
            return
        st.finished = True
        for slot in st.slots:  # results nobody will load give their place back
            if slot.future is not None:
                slot.future.cancel()
                self.inflight -= 1
                slot.future = None
        if not st.failed:
            try:
                apply_supersession(self.con, st.council["gss"])
            except Exception as exc:
                st.report["error"] = f"{type(exc).__name__}: {exc}"[:ingest.MAX_REASON_CHARS]
        ingest.finish_report(st.report)
        self.progress(ingest.council_summary(st.report["council_name"], st.report))


# ------------------------------------------------------- one council in two steps: fetch+parse, then load

STAGED = "staged"
MANIFEST = "bundle.pkl"


def published_snapshot(warehouse: Warehouse, council_gss: str) -> tuple[dict[str, tuple], set[str]]:
    """(validators by URL, bodies handled for the council) from the PUBLISHED file, which any process may read
    while a writer holds the working file. Empty without a published file. A stale snapshot costs only work
    (an unconditional GET, a parse the loader then skips), never correctness: the loader decides on the
    working file."""
    if not warehouse.published_path.exists():
        return {}, set()
    from pipelines.published import connect_published

    con = connect_published(warehouse.published_path)
    try:
        previous = {row[0]: tuple(row[1:]) for row in sqlfiles.execute(con, "spend/last_fetches").fetchall()}
        handled = {row[0] for row in sqlfiles.execute(con, "spend/handled_bodies", {
            "council_gss": council_gss, "transient_reasons": sorted(ingest.TRANSIENT_REASONS)}).fetchall()}
        return previous, handled
    except Exception:  # an old or partial published file: fetch unconditionally, the loader still decides
        return {}, set()
    finally:
        con.close()


def published_urls_seen(warehouse: Warehouse, council_gss: str) -> dict[str, tuple]:
    """The council's file URLs in the PUBLISHED manifest (ingest.urls_seen); empty without a readable one."""
    if not warehouse.published_path.exists():
        return {}
    from pipelines.published import connect_published

    con = connect_published(warehouse.published_path)
    try:
        return ingest.urls_seen(con, council_gss)
    except Exception:  # an old or partial published file: the cap keeps page order, nothing is lost
        return {}
    finally:
        con.close()


def stage_council(council: dict, *, session, warehouse: Warehouse, config: SourcesConfig, bundle_dir: Path,
                  parse: Callable[..., Any] | None = None, progress: Callable[[str], None] = print,
                  registry: Iterable[dict] | None = None) -> Path:
    """The network and CPU half of `ingest_council`, touching no working warehouse file: discover, download
    (conditional GETs from the published snapshot), parse every body the snapshot does not know as handled, and
    write it all to `bundle_dir` for `load_staged`. Run outside the warehouse_writer pool, so council partitions
    fetch and parse side by side while their loads take turns."""
    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    previous, handled = published_snapshot(warehouse, council["gss"])
    raw = warehouse.raw_store
    report = ingest.new_report(council)
    items: list[dict] = []
    links = None
    problems = ingest.hint_problems(council)
    if problems:
        report["error"] = "; ".join(problems)
        progress(f"{report['council_name']}: not ingested: {report['error']}")
    else:
        owners = HostOwners(registry or [council])
        session = council_session(session, council, owners, config)
        links = ingest.discover_links(council, session, config, report, progress, owners=owners,
                                      seen=lambda: published_urls_seen(warehouse, council["gss"]))
    parsed: set[str] = set()
    for index, link in enumerate(links or []):
        outcome, record = fetch_mod.download_link(link, session, raw, previous.get(link.url),
                                                  revalidate_after_days=config.revalidate_after_days)
        item = {"link": link, "outcome": outcome, "record": record, "result": None}
        if outcome.ok and outcome.sha256 not in handled and outcome.sha256 not in parsed:
            parsed.add(outcome.sha256)
            try:  # a parser crash is its result (the loader quarantines it as parse_error)
                result = ingest.parse_stored(raw, outcome.sha256, ingest.parse_arguments(council, link), parse)
            except ValueError:  # a corrupt blob: the loader reads it again and fails the council loudly
                result = None
            if result is not None:
                item["result"] = f"{index}.pkl"
                (bundle_dir / item["result"]).write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        items.append(item)
    bundle = {"council": council, "report": report, "links": None if links is None else items}
    tmp = bundle_dir / (MANIFEST + ".tmp")
    tmp.write_bytes(pickle.dumps(bundle, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(bundle_dir / MANIFEST)
    return bundle_dir


def load_staged(bundle_dir: Path, *, warehouse: Warehouse, parse: Callable[..., Any] | None = None,
                progress: Callable[[str], None] = print) -> dict:
    """The writer half: record every fetch, then load (or quarantine) each body in link order, deciding
    "already handled?" on the working file exactly where `ingest_council` does; a body the staging step did
    not parse is parsed here. Returns the council's stage report; the bundle is removed once loaded."""
    import shutil

    bundle_dir = Path(bundle_dir)
    bundle = pickle.loads((bundle_dir / MANIFEST).read_bytes())
    council, report, items = bundle["council"], bundle["report"], bundle["links"]
    if items is None:  # not ingestable tonight: the report says why, nothing is written
        shutil.rmtree(bundle_dir, ignore_errors=True)
        return report
    gss = council["gss"]
    raw = warehouse.raw_store
    try:
        with warehouse.connect() as con:
            ingest.record_discovery(con, council, report)
            for item in items:
                link, outcome = item["link"], item["outcome"]
                fetch_mod.record_fetch(con, link, outcome, item["record"], gss)
                if not ingest.count_fetch(outcome, report) or ingest.body_handled(con, gss, outcome.sha256):
                    continue
                if item["result"] and (bundle_dir / item["result"]).is_file():
                    result = pickle.loads((bundle_dir / item["result"]).read_bytes())
                else:
                    result = ingest.parse_stored(raw, outcome.sha256, ingest.parse_arguments(council, link), parse)
                ingest.load_parsed(con, council, link, outcome, result, report)
            apply_supersession(con, gss)
    except Exception as exc:  # the warehouse itself failed: report it
        report["error"] = f"{type(exc).__name__}: {exc}"[:ingest.MAX_REASON_CHARS]
    ingest.finish_report(report)
    progress(ingest.council_summary(report["council_name"], report))
    shutil.rmtree(bundle_dir, ignore_errors=True)
    return report


def sweep_staged(warehouse: Warehouse, older_than_s: float = 86400.0) -> int:
    """Remove bundles a killed run left behind (their bodies are in the raw store; the next night redoes them)."""
    import shutil
    import time

    root = warehouse.root / "work" / STAGED
    removed = 0
    if root.is_dir():
        for entry in root.iterdir():
            try:
                if time.time() - entry.stat().st_mtime > older_than_s:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
            except OSError:
                pass
    return removed
