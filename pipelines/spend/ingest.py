"""One council end to end: discover -> fetch (conditional GET) -> parse unhandled bodies -> load -> supersession.

The caller loops over councils. Inside a council, one broken page or file is recorded (quarantine, errors)
and the rest go on; this function returns a stage report and does not raise for a council's trouble.

A body is parsed whenever it is not yet handled (no publication row, no lasting quarantine row), whether it
was downloaded now or answered with a 304: a run killed between fetch and load, or a body quarantined for a
transient reason (a load error), is taken up again by the next night from the raw store. Discovery spends at
most `max_requests_per_council` requests and at most `max_links_per_council` links are followed: links never
fetched first (newest period first), then those asked for longest ago, so the same first N are not taken every
night.

What discovery loses is recorded where the fetch failures are (`record_discovery`): `staging.quarantine` rows
`discovery:<reason>` (a listing page that failed, with the edge's reason: transient ones count as retryable and
the next night's discovery asks again; a link refused because its host is another council's or unknown; the
links left over the cap; no file link at all), replaced each night, and the stage report's `pages_failed`,
`links_refused` and `links_deferred`. A council whose pages yield no file link while it had files before (or
while links were refused), or whose every file fetch failed, has `error` set: a failed council (exit 4).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines import sqlfiles
from pipelines.config import SourcesConfig
from pipelines.edge import TRANSIENT_REASONS, PoliteSession
from pipelines.registry import council_hints
from pipelines.registry.candidates import record_candidates
from pipelines.spend.discover import discover_council, file_name_of
from pipelines.spend.periods import period_range
from pipelines.spend.fetch import fetch_file
from pipelines.spend.hosts import HostOwners, council_session
from pipelines.spend.load import apply_supersession, load_publication, quarantine
from pipelines.warehouse import Warehouse

MAX_REASON_CHARS = 1000  # a reason is a sentence, never the offending input echoed whole
MAX_REFUSED_RECORDED = 50  # refused links quarantined one by one per council and night (the count says the rest)
DISCOVERY = "discovery"


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
    links = discover_links(council, session, config, report, progress, owners=owners,
                           seen=lambda: _urls_seen(warehouse, gss))
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
    finish_report(report)
    progress(council_summary(name, report))
    return report


def _urls_seen(warehouse: Warehouse, gss: str | None = None) -> dict[str, tuple]:
    with warehouse.connect() as con:
        return urls_seen(con, gss)


def urls_seen(con, gss: str | None = None) -> dict[str, tuple]:
    """{url: (last asked for, last gave a body)} from the manifest (one council's, or every council's)."""
    return {row[0]: (row[1], row[2]) for row in
            sqlfiles.execute(con, "spend/file_urls_seen", {"council_gss": gss}).fetchall()}


def new_report(council: dict) -> dict:
    return {"council_gss": council["gss"], "council_name": council.get("name") or council["gss"], "discovered": 0,
            "fetched": 0, "not_modified": 0, "parsed": 0, "quarantined": 0, "rows": 0, "fetch_failed": 0,
            "retryable": 0, "error": None, "pages_failed": 0, "links_refused": 0, "links_deferred": 0}


def council_summary(name: str, report: dict) -> str:
    lost = [f"{report[key]} {what}" for key, what in (("pages_failed", "listing pages failed"),
                                                       ("links_refused", "links refused"),
                                                       ("links_deferred", "links over the cap"))
            if report.get(key)]
    return (f"{name}: {report['discovered']} links, {report['fetched']} fetched, {report['not_modified']} unchanged, "
            f"{report['parsed']} parsed, {report['quarantined']} quarantined, {report['rows']} rows"
            + (f"; {', '.join(lost)}" if lost else "") + (f" ({report['error']})" if report["error"] else ""))


def finish_report(report: dict) -> None:
    """A council whose every file fetch failed tonight failed, even though discovery worked: say so in `error`
    (the run then exits 4 and lists it) instead of counting it a success."""
    tried = report["fetched"] + report["not_modified"] + report["fetch_failed"]
    if report["error"] or not report["fetch_failed"] or report["fetched"] + report["not_modified"]:
        return
    reasons = Counter(report.get("_fetch_reasons") or {})
    said = ", ".join(f"{code} x{n}" for code, n in reasons.most_common(5))
    report["error"] = (f"every file fetch failed: {report['fetch_failed']} of {tried} ({said}; "
                       f"{report['retryable']} retryable)")[:MAX_REASON_CHARS]


def discover_links(council: dict, session, config: SourcesConfig, report: dict,
                   progress: Callable[[str], None], *, owners: HostOwners | None = None,
                   seen: dict | Callable[[], dict] | None = None) -> list | None:
    """Discovery for one council within its request budget: the links to follow (capped), or None when the
    council cannot be ingested tonight (`report["error"]` says why). Network only: no warehouse access (`seen`,
    the manifest's {url: (last asked for, last body)}, is given, or fetched by calling it when the cap bites).
    What discovery lost is kept in `report["_discovery"]` and deep discovery's candidates in
    `report["_candidates"]`, for `record_discovery`."""
    name = report["council_name"]
    budgeted = session.budgeted(config.max_requests_per_council) if hasattr(session, "budgeted") else session
    try:
        discovery = discover_council(council, budgeted, config)
    except Exception as exc:  # a discovery bug must not stop the night
        report["error"] = f"discovery: {type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]
        progress(f"{name}: discovery failed: {exc}")
        return None
    links = discovery.links
    deferred = 0
    if len(links) > config.max_links_per_council:
        links = links_to_follow(links, seen() if callable(seen) else (seen or {}), config.max_links_per_council)
        deferred = len(discovery.links) - len(links)
        progress(f"{name}: {len(discovery.links)} links found, following {len(links)} (new files first); "
                 f"{deferred} left for later nights")
    report["discovered"] = len(discovery.links)
    if discovery.errors and not discovery.links:
        report["error"] = "; ".join(discovery.errors[:3])[:MAX_REASON_CHARS]
    report["_candidates"] = discovery.candidates
    report["_discovery"] = discovery_losses(council, discovery, deferred, owners, config)
    report["pages_failed"] = len(report["_discovery"]["failed_pages"])
    report["links_refused"] = len(report["_discovery"]["refused"])
    report["links_deferred"] = deferred
    # a listing page that failed for a transient reason is asked for again by the next night's discovery
    report["retryable"] += sum(page["reason_code"] in TRANSIENT_REASONS
                               for page in report["_discovery"]["failed_pages"])
    return links


def _period_end(link) -> str:
    try:
        return period_range(link.period_label)[1].isoformat() if link.period_label else ""
    except ValueError:
        return ""


def links_to_follow(links: list, seen: dict[str, tuple], cap: int) -> list:
    """At most `cap` links: those that never gave a body first (the newest period first, then page order),
    then those asked for longest ago, so the links over the cap take turns instead of never being fetched."""
    order = {link.url: index for index, link in enumerate(links)}
    new = [link for link in links if not (seen.get(link.url) or (None, None))[1]]
    new.sort(key=_period_end, reverse=True)  # stable: page order within a period
    known = [link for link in links if (seen.get(link.url) or (None, None))[1]]
    known.sort(key=lambda link: (seen[link.url][0], order[link.url]))
    return (new + known)[:cap]


def discovery_losses(council: dict, discovery, deferred: int, owners: HostOwners | None,
                     config: SourcesConfig) -> dict:
    """What tonight's discovery could not follow: refused links (reason code and sentence), failed listing pages
    and the number of links left over the cap."""
    owners = owners if owners is not None else HostOwners([council])
    failed_urls = {page["url"] for page in discovery.failed_pages}
    refused, listed = [], set()
    for rejection in discovery.rejected:
        url = rejection["url"]
        if rejection.get("reason") != "host_not_allowed" or url in listed or url in failed_urls:
            continue
        listed.add(url)
        code, sentence = owners.describe_refusal(url, council["gss"], config)
        refused.append({"url": url, "link_text": rejection.get("link_text"), "reason_code": code,
                        "reason": sentence})
    landing = ((council.get("landing_urls") or "").split("|")[0] or council.get("website") or None)
    return {"refused": refused, "failed_pages": list(discovery.failed_pages), "deferred": deferred,
            "found": len(discovery.links), "landing": landing}


def record_discovery(con, council: dict, report: dict) -> None:
    """Deep discovery's finds, for the registry (reference.discovery_candidates), and what discovery lost
    tonight, as `discovery:*` quarantine rows replacing the council's earlier ones (module docstring)."""
    candidates = report.pop("_candidates", None) or []
    if candidates or council.get("landing_status") == "fallback":
        record_candidates(con, council["gss"], candidates)
    losses = report.pop("_discovery", None)
    if losses is None:
        return
    gss = council["gss"]
    sqlfiles.execute(con, "spend/clear_discovery_quarantine", {"council_gss": gss})
    for page in losses["failed_pages"]:
        quarantine(con, council_gss=gss, source_url=page["url"], source_sha256=None,
                   reason_code=f"{DISCOVERY}:{page['reason_code']}",
                   reason=f"listing page failed; its file links are missing tonight: {page['error']}"[:500],
                   link_text="(listing page)")
    for link in losses["refused"][:MAX_REFUSED_RECORDED]:
        quarantine(con, council_gss=gss, source_url=link["url"], source_sha256=None,
                   reason_code=f"{DISCOVERY}:{link['reason_code']}", reason=link["reason"][:MAX_REASON_CHARS],
                   link_text=link["link_text"])
    refused = len(losses["refused"])
    if refused > MAX_REFUSED_RECORDED:
        quarantine(con, council_gss=gss, source_url=losses["landing"], source_sha256=None,
                   reason_code=f"{DISCOVERY}:links_refused",
                   reason=f"{refused} links refused tonight; the first {MAX_REFUSED_RECORDED} are listed")
    if losses["deferred"]:
        quarantine(con, council_gss=gss, source_url=losses["landing"], source_sha256=None,
                   reason_code=f"{DISCOVERY}:links_deferred",
                   reason=(f"{losses['deferred']} of {losses['found']} file links not followed tonight "
                           f"(max_links_per_council); links never fetched come first, then those asked for "
                           f"longest ago, so they are taken on later nights"))
    if losses["found"] == 0 and not report["error"]:
        had_files = sqlfiles.execute(con, "spend/council_had_files", {"council_gss": gss}).fetchone()[0]
        if had_files or refused:
            why = (f"{refused} links refused ({losses['refused'][0]['reason']})" if refused
                   else "the council had files before")
            report["error"] = f"no file links found on its pages tonight; {why}"[:MAX_REASON_CHARS]
            quarantine(con, council_gss=gss, source_url=losses["landing"], source_sha256=None,
                       reason_code=f"{DISCOVERY}:no_file_links", reason=report["error"])


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
        reasons = report.setdefault("_fetch_reasons", {})
        reasons[outcome.reason_code] = reasons.get(outcome.reason_code, 0) + 1
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
