"""Which hosts one council's discovery and downloads may reach, so one council's page never loads another's files.

The nightly session's allow-list names every council's sites and every API together; a link or redirect from
council A to council B's host (or to the CKAN/notice API host) passed it and was loaded as A's spending. Each
council is therefore given a view of the session (`PoliteSession.restricted_to`: the same per-host spacing,
locks and robots.txt) allowed to reach only:

* its own hosts: the registrable domain (or exact IP endpoint) of its website and landing pages, its registry
  `data_hosts` column and `parser_hints.data_hosts`;
* shared publishing platforms: hosts the registry names for two councils or more (GitHub, Data Mill North, a
  joint council's site, the loopback sample world), which identify no single council;
* the CKAN API host, for a council discovered through CKAN (`discovery = ckan`, or no landing page: deep discovery
  falls back to data.gov.uk's package_search).

A host the registry names for another council only is refused, and `owners` tells the refusal whose it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from pipelines.config import SourcesConfig
from pipelines.edge import AllowList, registrable_domain
from pipelines.edge.domains import _host_port, _ip
from pipelines.registry import council_hints

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url_or_host: str) -> str | None:
    """What owns a URL or host in the allow-list's terms: its registrable domain, or `ip:port` for an IP
    literal (the loopback sample server is one endpoint, not every port)."""
    text = (url_or_host or "").strip()
    if not text:
        return None
    host, port = _host_port(text)
    if not host:
        return None
    if _ip(host) is not None:
        scheme = urlsplit(text).scheme if "//" in text else ""
        port = port or DEFAULT_PORTS.get(scheme)
        return f"{host.strip('[]')}:{port}" if port else host.strip("[]")
    return registrable_domain(host)


def council_urls(council: dict) -> list[str]:
    """The council's own sites as the registry names them: website, landing pages, data hosts."""
    urls = [council.get("website") or ""]
    urls += (council.get("landing_urls") or "").split("|") + (council.get("data_hosts") or "").split("|")
    urls += [str(h) for h in council_hints(council).get("data_hosts") or []]
    return [u.strip() for u in urls if u and u.strip()]


class HostOwners:
    """Which councils the registry names each host for (by `host_key`)."""

    def __init__(self, councils: Iterable[dict]):
        self.owners: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for council in councils:
            self.names[council["gss"]] = council.get("name") or council["gss"]
            for url in council_urls(council):
                key = host_key(url)
                if key:
                    self.owners.setdefault(key, set()).add(council["gss"])

    def shared(self) -> set[str]:
        """Hosts named for two councils or more: publishing platforms no one council owns."""
        return {key for key, gss in self.owners.items() if len(gss) > 1}

    def owners_of(self, url: str) -> set[str]:
        key = host_key(urlsplit(url).netloc if "//" in url else url)
        return set(self.owners.get(key, ())) if key else set()

    def describe_refusal(self, url: str, council_gss: str, config: SourcesConfig | None = None) -> tuple[str, str]:
        """(reason code, sentence) for a link to a host outside the council's list: `other_council_host` when the
        registry names the host for other councils, or it is an API host; else `host_not_allowed`."""
        host = urlsplit(url).netloc or url
        others = sorted(self.owners_of(url) - {council_gss})
        if others:
            named = ", ".join(f"{g} ({self.names.get(g, g)})" for g in others[:3])
            return "other_council_host", f"{host} is another council's host ({named}): not loaded as this one's"
        if config is not None and host_key(host) in {host_key(u) for u in _api_urls(config)}:
            return "other_council_host", f"{host} is an API host, not this council's site: not loaded as its data"
        return "host_not_allowed", f"{host} is not among the council's hosts (registry website, landing_urls, " \
                                   "data_hosts)"

    def allow_list(self, council: dict, config: SourcesConfig) -> AllowList:
        """The hosts the council's requests may reach (module docstring)."""
        allow = AllowList.from_urls(council_urls(council))
        for key in self.shared():
            allow.add(key)
        method = council.get("discovery") or "html"
        if method == "ckan" or (method in ("html", "github") and not council.get("landing_urls")):
            allow.add(config.ckan_url)
        return allow


def _api_urls(config: SourcesConfig) -> list[str]:
    return [u for u in (config.contracts_finder_url, config.find_a_tender_url, config.ckan_url, config.ocdr_url,
                        *config.registers.values()) if u]


def council_session(session, council: dict, owners: HostOwners | None, config: SourcesConfig):
    """A view of `session` that reaches only the council's hosts (module docstring); `session` itself when it
    cannot be restricted (a test's stand-in)."""
    if not hasattr(session, "restricted_to"):
        return session
    owners = owners if owners is not None else HostOwners([council])
    return session.restricted_to(owners.allow_list(council, config))
