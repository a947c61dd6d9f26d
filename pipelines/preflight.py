"""Fail a run at once, with a clear message, when the machine cannot reach any of its sources.

Without this, an offline run against the live services spends its time in the layered retries that a flaky
network deserves (HTTP retries, then each asset's RetryPolicy: 30 s, 60 s, 120 s ...) and fails only after many
minutes. Name resolution answers the question in milliseconds: when *none* of the configured API hosts resolves,
nothing will, so the run stops before its first request and says what to do instead. One host failing (an
outage) is left to the retries, as before.

Bounded in time (a resolver that hangs counts as failing); an answer is kept for the process, which is one run.
"""

from __future__ import annotations

import socket
import threading
from functools import cache
from urllib.parse import urlsplit

from pipelines.config import SourcesConfig

LOOKUP_TIMEOUT_S = 10.0


class SourcesUnreachable(RuntimeError):
    """No configured source host resolves: the machine is offline (or its DNS is broken)."""


def source_hosts(config: SourcesConfig) -> list[str]:
    """The API hosts every nightly run needs (the notice services, CKAN, the bulk-data registry)."""
    urls = [config.contracts_finder_url, config.find_a_tender_url, config.ckan_url, config.ocdr_url]
    return sorted({urlsplit(u).hostname for u in urls if u and urlsplit(u).hostname})


def _resolve_all(hosts: list[str]) -> dict[str, str | None]:
    """host -> None when it resolves, else the error; hosts still unanswered after the timeout count as failed."""
    results: dict[str, str | None] = {h: "no answer within %.0f s" % LOOKUP_TIMEOUT_S for h in hosts}

    def lookup(host: str) -> None:
        try:
            socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
            results[host] = None
        except OSError as exc:
            results[host] = exc.strerror or str(exc)

    threads = [threading.Thread(target=lookup, args=(h,), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LOOKUP_TIMEOUT_S)
    return dict(results)


@cache
def _unreachable(hosts: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
    failures = _resolve_all(list(hosts))
    if all(error is not None for error in failures.values()):
        return tuple(sorted((h, str(e)) for h, e in failures.items()))
    return None


def check_sources_reachable(config: SourcesConfig) -> None:
    """Raise SourcesUnreachable when none of the configured API hosts resolves."""
    hosts = source_hosts(config)
    if not hosts:
        return
    failures = _unreachable(tuple(hosts))
    if failures:
        detail = "; ".join(f"{host}: {error}" for host, error in failures)
        raise SourcesUnreachable(
            f"none of the sources can be reached from this machine ({detail}). Check the network, or run the "
            "offline sample world instead: `keepitlocal demo`, or `keepitlocal ui --demo` for the UI.")
