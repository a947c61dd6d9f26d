"""One council end to end: discover -> fetch (conditional GET) -> parse new bodies -> load -> supersession.

The caller loops over councils. Inside a council, one broken page or file is recorded (quarantine, errors)
and the rest go on; this function returns a stage report and does not raise for a council's trouble.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines import rawstore, sqlfiles
from pipelines.config import SourcesConfig
from pipelines.http import PoliteSession
from pipelines.registry import council_hints
from pipelines.spend.discover import discover_council, file_name_of
from pipelines.spend.fetch import fetch_file
from pipelines.spend.load import apply_supersession, load_publication, quarantine
from pipelines.warehouse import Warehouse


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


def ingest_council(council: dict, *, session: PoliteSession, warehouse: Warehouse, config: SourcesConfig,
                   parse: Callable[..., Any] | None = None, progress: Callable[[str], None] = print) -> dict:
    """Stage report {council_gss, council_name, discovered, fetched, not_modified, parsed, quarantined, rows,
    error}. `parse(data, filename=, council_gss=, hints=, source_url=)` returns a SpendParseResult."""
    parse = parse or _default_parse()
    gss, name = council["gss"], council.get("name") or council["gss"]
    report = {"council_gss": gss, "council_name": name, "discovered": 0, "fetched": 0, "not_modified": 0,
              "parsed": 0, "quarantined": 0, "rows": 0, "error": None}
    try:
        discovery = discover_council(council, session, config)
    except Exception as exc:  # a discovery bug must not stop the night
        report["error"] = f"discovery: {type(exc).__name__}: {exc}"
        progress(f"{name}: discovery failed: {exc}")
        return report
    report["discovered"] = len(discovery.links)
    if discovery.errors and not discovery.links:
        report["error"] = "; ".join(discovery.errors[:3])
    try:
        with warehouse.connect() as con:
            for link in discovery.links:
                _ingest_link(con, warehouse, council, link, session, parse, report)
            apply_supersession(con, gss)
    except Exception as exc:  # the warehouse itself failed: report it, the caller goes on to the next council
        report["error"] = f"{type(exc).__name__}: {exc}"
    progress(f"{name}: {report['discovered']} links, {report['fetched']} fetched, {report['not_modified']} unchanged, "
             f"{report['parsed']} parsed, {report['quarantined']} quarantined, {report['rows']} rows"
             + (f" ({report['error']})" if report["error"] else ""))
    return report


def _ingest_link(con, warehouse: Warehouse, council: dict, link, session, parse, report: dict) -> None:
    gss = council["gss"]
    outcome = fetch_file(link, session, con, warehouse.raw_dir, gss)
    if not outcome.ok:
        report["quarantined"] += 1
        return
    if outcome.not_modified:
        report["not_modified"] += 1
        return
    report["fetched"] += 1
    handled = sqlfiles.execute(con, "spend/body_already_handled", {"council_gss": gss, "sha256": outcome.sha256}).fetchone()[0]
    if handled:
        return  # the same bytes under another URL, or unchanged despite no validators: parsed before
    data = outcome.data if outcome.data is not None else rawstore.read(warehouse.raw_dir, outcome.sha256)
    try:
        result = parse(data, filename=file_name_of(link.url), council_gss=gss, hints=_parser_hints(council, link),
                       source_url=link.url)
    except Exception as exc:  # a parser crash quarantines this file only
        _quarantine(con, gss, link, outcome.sha256, "parse_error", f"{type(exc).__name__}: {exc}")
        report["quarantined"] += 1
        return
    if getattr(result, "kind", "spend") != "spend":
        _quarantine(con, gss, link, outcome.sha256, result.reason_code or "rejected", result.reason)
        report["quarantined"] += 1
        return
    try:
        loaded = load_publication(con, gss, link.period_label, result, {
            "sha256": outcome.sha256, "source_url": link.url, "link_text": link.link_text,
            "landing_page": link.landing_page, "fetched_at": outcome.fetched_at, "dataset_kind": link.dataset_kind,
        })
    except Exception as exc:
        _quarantine(con, gss, link, outcome.sha256, "load_error", f"{type(exc).__name__}: {exc}")
        report["quarantined"] += 1
        return
    report["parsed"] += 1
    report["rows"] += loaded["rows"]


def _quarantine(con, gss, link, sha256, reason_code, reason) -> None:
    quarantine(con, council_gss=gss, source_url=link.url, source_sha256=sha256, reason_code=reason_code,
               reason=reason, link_text=link.link_text, period_label=link.period_label)
