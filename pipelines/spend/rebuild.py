"""Parse stored spend files again after a parser change, without downloading anything.

`PARSER_VERSION` changes whenever the parser's output for the same bytes changes. `reparse_spend` finds every
publication whose lines came from another parser version, and every body the parser set aside (rejections,
crashes, transient load errors), reads each body from the raw store (verified against its hash), parses it
with the council's registry hints and loads it through `load_publication` (which replaces a publication in one
transaction, so a rebuild killed part-way simply continues next time). Supersession is recomputed for every
council touched.

A loaded publication the new parser rejects is kept as it was and reported (`kept_rejected`): loaded data is
never dropped by a rebuild without a person looking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines import rawstore, sqlfiles
from pipelines.config import SourcesConfig
from pipelines.spend.discover import DiscoveredLink
from pipelines.spend.ingest import MAX_REASON_CHARS, _clear_transient, _quarantine, parse_arguments, parse_stored
from pipelines.spend.load import apply_supersession, load_publication
from pipelines.warehouse import Warehouse


def reparse_needed(warehouse: Warehouse, parser_version: str | None = None) -> bool:
    """Whether the stored files were last re-parsed by another parser version (or never)."""
    from pipelines.spend.parse import PARSER_VERSION

    with warehouse.connect() as con:
        row = sqlfiles.execute(con, "spend/last_reparse_version").fetchone()
    return row is None or row[0] != (parser_version or PARSER_VERSION)


def _kind_of(text: str, url: str) -> str:
    # discovery's own rule for procurement-card files (a quarantine row does not record the dataset kind)
    from pipelines.spend.discover import _kind

    return _kind(text or "", url or "")


def reparse_spend(warehouse: Warehouse, config: SourcesConfig, *, parse: Callable[..., Any] | None = None,
                  parser_version: str | None = None, everything: bool = False,
                  progress: Callable[[str], None] = print) -> dict:
    """Re-parse stale publications and set-aside bodies from the raw store; returns counts."""
    from pipelines.registry import load_registry
    from pipelines.spend.parse import PARSER_VERSION

    parser_version = parser_version or PARSER_VERSION
    councils = {row["gss"]: row for row in load_registry(config.registry_csv).iter_rows(named=True)}
    stats = {"candidates": 0, "reloaded": 0, "rows": 0, "quarantined": 0, "kept_rejected": 0, "missing_raw": 0,
             "unknown_council": 0}
    touched: set[str] = set()
    with warehouse.connect() as con:
        candidates = sqlfiles.execute(con, "spend/bodies_to_reparse",
                                      {"parser_version": parser_version, "everything": everything}).fetchall()
        columns = ["council_gss", "sha256", "source_url", "link_text", "landing_page", "fetched_at",
                   "dataset_kind", "period_label", "origin"]
        for values in candidates:
            item = dict(zip(columns, values))
            stats["candidates"] += 1
            council = councils.get(item["council_gss"])
            if council is None:
                stats["unknown_council"] += 1
                continue
            if not rawstore.exists(warehouse.raw_store, item["sha256"]):
                stats["missing_raw"] += 1
                progress(f"{item['council_gss']}: body {item['sha256'][:12]} is not in the raw store; skipped")
                continue
            link = DiscoveredLink(url=item["source_url"] or "", link_text=item["link_text"] or "",
                                  landing_page=item["landing_page"] or "", period_label=item["period_label"],
                                  format_hint="", dataset_kind=item["dataset_kind"]
                                  or _kind_of(item["link_text"], item["source_url"]))
            outcome = _reparse_one(con, warehouse.raw_store, council, item, link, parse)
            stats[outcome[0]] += 1
            stats["rows"] += outcome[1]
            touched.add(item["council_gss"])
        for gss in sorted(touched):
            apply_supersession(con, gss)
        sqlfiles.execute(con, "spend/record_reparse", {
            "parser_version": parser_version, "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
            "candidates": stats["candidates"], "reloaded": stats["reloaded"]})
    progress(f"rebuild spend ({parser_version}): {stats['candidates']} bodies, {stats['reloaded']} reloaded "
             f"({stats['rows']} lines), {stats['quarantined']} set aside, {stats['kept_rejected']} kept although "
             f"now rejected, {stats['missing_raw']} missing from the raw store")
    return stats


def _reparse_one(con, raw_dir: Path, council: dict, item: dict, link: DiscoveredLink, parse) -> tuple[str, int]:
    gss, sha = item["council_gss"], item["sha256"]
    result = parse_stored(raw_dir, sha, parse_arguments(council, link), parse)
    if isinstance(result, Exception):
        reason_code, reason = "parse_error", f"{type(result).__name__}: {result}"
        result = None
    else:
        reason_code, reason = (result.reason_code or "rejected"), result.reason
    if result is None or getattr(result, "kind", "spend") != "spend":
        if item["origin"] == "publication":
            _quarantine(con, gss, link, None, f"rebuild_rejected:{reason_code}",
                        f"kept the loaded publication {sha[:12]}: the new parser rejects it: {reason}"[:MAX_REASON_CHARS])
            return "kept_rejected", 0
        _quarantine(con, gss, link, sha, reason_code, reason)
        return "quarantined", 0
    loaded = load_publication(con, gss, link.period_label, result, {
        "sha256": sha, "source_url": link.url, "link_text": link.link_text, "landing_page": link.landing_page,
        "fetched_at": item["fetched_at"], "dataset_kind": link.dataset_kind})
    _clear_transient(con, gss, sha)
    # the body is loaded now: its earlier set-aside rows are history
    sqlfiles.execute(con, "spend/clear_body_quarantine", {"council_gss": gss, "sha256": sha})
    return "reloaded", loaded["rows"]
