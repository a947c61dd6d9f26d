"""One council end to end: discover -> fetch (conditional GET) -> parse unhandled bodies -> load -> supersession.

The caller loops over councils. Inside a council, one broken page or file is recorded (quarantine, errors)
and the rest go on; this function returns a stage report and does not raise for a council's trouble.

A body is parsed whenever it is not yet handled (no publication row, no lasting quarantine row), whether it
was downloaded now or answered with a 304: a run killed between fetch and load, or a body quarantined for a
transient reason (a load error), is taken up again by the next night from the raw store. Discovery spends at
most `max_requests_per_council` requests and at most `max_links_per_council` links are followed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines import sqlfiles
from pipelines.config import SourcesConfig
from pipelines.edge import TRANSIENT_REASONS, PoliteSession
from pipelines.registry import council_hints
from pipelines.registry.candidates import record_candidates
from pipelines.spend.discover import discover_council, file_name_of
from pipelines.spend.fetch import fetch_file
from pipelines.spend.hosts import HostOwners, council_session
from pipelines.spend.load import apply_supersession, load_publication, quarantine
from pipelines.warehouse import Warehouse

MAX_REASON_CHARS = 1000  # a reason is a sentence, never the offending input echoed whole


def _default_parse():
    # Imported on use: the parser is its own module and must not be loaded just to import this one.
    from pipelines.spend.parse import parse_spend

    return parse_spend


def _parser_hints(council: dict, link) -> dict:
    hints = dict(council_hints(council))
    for key in ("threshold", "amount_basis", "cadence"):
        if council.get(key):
            hints.setdefault(key, council[key])
    hints.update({"period_label": link.period_label, "link_text": link.link_text, "dataset_kind": link.dataset_kind})
    return hints


def hint_problems(council: dict) -> list[str]:
    """Registry hints that cannot mean what they say (a threshold that is not an amount): an error, never a
    silent fallback to a default."""
    problems = []
    threshold = council.get("threshold")
    if threshold not in (None, "") and str(threshold).strip().lower() != "none":
        try:
            Decimal(str(threshold).replace("£", "").replace(",", "").strip())
        except InvalidOperation:
            problems.append(f"registry hint threshold={str(threshold)[:40]!r} is not an amount")
    return problems


def ingest_council(council: dict, *, session: PoliteSession, warehouse: Warehouse, config: SourcesConfig,
                   parse: Callable[..., Any] | None = None, progress: Callable[[str], None] = print,
                   owners: HostOwners | None = None) -> dict:
    """Stage report {council_gss, council_name, discovered, fetched, not_modified, parsed, quarantined, rows,
    fetch_failed, retryable, error}. `parse(data, filename=, council_gss=, hints=, source_url=)` returns a
    SpendParseResult. Requests reach only the council's own hosts and the registry's shared platforms (`owners`:
    the whole registry's HostOwners; None = this council's hosts alone)."""
    gss, name = council["gss"], council.get("name") or council["gss"]
    report = new_report(council)
    problems = hint_problems(council)
    if problems:
        report["error"] = "; ".join(problems)
        progress(f"{name}: not ingested: {report['error']}")
        return report
    session = council_session(session, council, owners, config)
    links = discover_links(council, session, config, report, progress)
    if links is None:
        return report
    try:
        with warehouse.connect() as con:
            record_discovery(con, council, report)
            for link in links:
                _ingest_link(con, warehouse, council, link, session, parse, report, config)
            apply_supersession(con, gss)
    except Exception as exc:  # the warehouse itself failed: report it, the caller goes on to the next council
        report["error"] = f"{type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]
    progress(council_summary(name, report))
    return report


def new_report(council: dict) -> dict:
    return {"council_gss": council["gss"], "council_name": council.get("name") or council["gss"], "discovered": 0,
            "fetched": 0, "not_modified": 0, "parsed": 0, "quarantined": 0, "rows": 0, "fetch_failed": 0,
            "retryable": 0, "error": None}


def council_summary(name: str, report: dict) -> str:
    return (f"{name}: {report['discovered']} links, {report['fetched']} fetched, {report['not_modified']} unchanged, "
            f"{report['parsed']} parsed, {report['quarantined']} quarantined, {report['rows']} rows"
            + (f" ({report['error']})" if report["error"] else ""))


def discover_links(council: dict, session, config: SourcesConfig, report: dict,
                   progress: Callable[[str], None]) -> list | None:
    """Discovery for one council within its request budget: the links to follow (capped), or None when the
    council cannot be ingested tonight (`report["error"]` says why). Network only: no warehouse access.
    Deep discovery's candidates are kept in `report["_candidates"]` for `record_discovery`."""
    name = report["council_name"]
    budgeted = session.budgeted(config.max_requests_per_council) if hasattr(session, "budgeted") else session
    try:
        discovery = discover_council(council, budgeted, config)
    except Exception as exc:  # a discovery bug must not stop the night
        report["error"] = f"discovery: {type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]
        progress(f"{name}: discovery failed: {exc}")
        return None
    links = discovery.links
    if len(links) > config.max_links_per_council:
        progress(f"{name}: {len(links)} links found, following the first {config.max_links_per_council}")
        links = links[:config.max_links_per_council]
    report["discovered"] = len(discovery.links)
    if discovery.errors and not discovery.links:
        report["error"] = "; ".join(discovery.errors[:3])[:MAX_REASON_CHARS]
    report["_candidates"] = discovery.candidates
    return links


def record_discovery(con, council: dict, report: dict) -> None:
    """Deep discovery's finds, for the registry (reference.discovery_candidates)."""
    candidates = report.pop("_candidates", None) or []
    if candidates or council.get("landing_status") == "fallback":
        record_candidates(con, council["gss"], candidates)


def _ingest_link(con, warehouse: Warehouse, council: dict, link, session, parse, report: dict,
                 config: SourcesConfig) -> None:
    gss = council["gss"]
    outcome = fetch_file(link, session, con, warehouse.raw_store, gss,
                         revalidate_after_days=config.revalidate_after_days)
    if not count_fetch(outcome, report) or body_handled(con, gss, outcome.sha256):
        return  # a failed fetch (quarantined by fetch_file), or bytes loaded (or set aside for good) before
    # a corrupt blob fails the council loudly (never quarantined for good); a parser crash quarantines this file
    result = parse_stored(warehouse.raw_store, outcome.sha256, parse_arguments(council, link), parse)
    load_parsed(con, council, link, outcome, result, report)


def count_fetch(outcome, report: dict) -> bool:
    """Count one fetch in the stage report; False for a failure (nothing to parse)."""
    if not outcome.ok:
        report["quarantined"] += 1
        report["fetch_failed"] += 1
        report["retryable"] += outcome.transient
        return False
    report["not_modified" if outcome.not_modified else "fetched"] += 1
    return True


def body_handled(con, gss: str, sha256: str) -> bool:
    """Loaded (or set aside for good) before: the same bytes under another URL, or unchanged."""
    return bool(sqlfiles.execute(con, "spend/body_already_handled", {
        "council_gss": gss, "sha256": sha256, "transient_reasons": sorted(TRANSIENT_REASONS)}).fetchone()[0])


def parse_stored(raw, sha256: str, kwargs: dict, parse: Callable[..., Any] | None = None) -> Any:
    """Parse a body from the raw store: the parser's result, or the exception a parser raised (the loader
    quarantines it as parse_error). The product's parser is given the blob's path, so it reads a large file a
    batch at a time (never whole) and hashes it on the way; a caller's own `parse` is given the bytes. Raises
    ValueError when the blob no longer matches its hash (the council fails loudly; never quarantined for good)."""
    from pipelines import rawstore

    if parse is not None:
        data = rawstore.read(raw, sha256)
        try:
            return parse(data, **kwargs)
        except Exception as exc:
            return exc
    try:
        with rawstore.readable_path(raw, sha256) as path:
            result = _default_parse()(path, **kwargs)
    except OSError as exc:  # the blob is missing or unreadable
        raise ValueError(f"raw blob {sha256} cannot be read: {type(exc).__name__}: {exc}") from exc
    if result.publication_id != sha256:
        raise ValueError(f"raw blob {sha256} is corrupt: its content no longer matches its hash")
    return result


def parse_arguments(council: dict, link) -> dict:
    """The keyword arguments of `parse(data, ...)` for one link (picklable: parse workers receive them)."""
    return {"filename": file_name_of(link.url), "council_gss": council["gss"], "hints": _parser_hints(council, link),
            "source_url": link.url}


def load_parsed(con, council: dict, link, outcome, result, report: dict) -> None:
    """Load one parsed body, or quarantine it with its reason: `result` is the parser's result, or the
    exception the parser raised. The body is handled (publication or quarantine row) when this returns."""
    gss = council["gss"]
    if isinstance(result, BaseException):  # a parser crash quarantines this file only
        _quarantine(con, gss, link, outcome.sha256, "parse_error", f"{type(result).__name__}: {result}")
        report["quarantined"] += 1
        return
    if getattr(result, "kind", "spend") != "spend":
        _quarantine(con, gss, link, outcome.sha256, result.reason_code or "rejected", result.reason)
        report["quarantined"] += 1
        return
    try:
        loaded = load_publication(con, gss, link.period_label, result, {
            "sha256": outcome.sha256, "source_url": link.url, "link_text": link.link_text,
            "landing_page": link.landing_page, "fetched_at": outcome.body_fetched_at or outcome.fetched_at,
            "dataset_kind": link.dataset_kind,
        })
    except Exception as exc:  # transient: a later night loads it again from the raw store
        _quarantine(con, gss, link, outcome.sha256, "load_error", f"{type(exc).__name__}: {exc}")
        report["quarantined"] += 1
        report["retryable"] += 1
        return
    _clear_transient(con, gss, outcome.sha256)
    report["parsed"] += 1
    report["rows"] += loaded["rows"]


def _clear_transient(con, gss: str, sha256: str) -> None:
    sqlfiles.execute(con, "spend/clear_transient_quarantine", {
        "council_gss": gss, "sha256": sha256, "transient_reasons": sorted(TRANSIENT_REASONS)})


def _quarantine(con, gss, link, sha256, reason_code, reason) -> None:
    quarantine(con, council_gss=gss, source_url=link.url, source_sha256=sha256, reason_code=reason_code,
               reason=(reason or "")[:MAX_REASON_CHARS], link_text=link.link_text, period_label=link.period_label)
    if sha256 and reason_code.rsplit(":", 1)[-1] not in TRANSIENT_REASONS:
        _clear_transient(con, gss, sha256)
