"""Who we may talk to: registrable domains, the allow-list, and which resolved addresses are refused.

* `registrable_domain(host)`: the domain an organisation registers, one label under its public suffix
  (`www.leeds.gov.uk` -> `leeds.gov.uk`; `files.x.blob.core.windows.net` -> `x.blob.core.windows.net`, because
  `blob.core.windows.net` is itself a suffix shared by strangers). The Public Suffix List comes from the
  `publicsuffixlist` package, which bundles a snapshot of the list and never downloads it at run time.
* `AllowList`: a request may go to a host whose registrable domain is allowed (a council's CDN or subdomain
  is its own), or to an exactly named host; an IP literal is allowed only as an exact `host:port`.
* `address_refusal`: after name resolution, private, loopback, link-local, multicast and reserved addresses
  are refused, unless that exact address and port were configured (the loopback sample server).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=1)
def _psl():
    # Loaded on first use (never at import): parsing the bundled list takes a few hundred milliseconds.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """The registrable domain of a host name (lower case, no port, no trailing dot).

    An IP address, a single-label name (`localhost`) or a name that is itself a public suffix is returned
    unchanged: each is its own owner.
    """
    host = (host or "").strip().lower().rstrip(".")
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if _ip(host) is not None:
        return host
    if ":" in host:  # a netloc's port ("127.0.0.1:8000", "www.x.gov.uk:443"): the owner is the host's
        host = host.rsplit(":", 1)[0].rstrip(".")
        if _ip(host) is not None:
            return host
    if "." not in host:
        return host
    return _psl().privatesuffix(host) or host


def _host_port(netloc_or_url: str) -> tuple[str, int | None]:
    text = netloc_or_url.strip()
    parts = urlsplit(text if "//" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower().rstrip("."), port


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


class AllowList:
    """Hosts an outbound request may reach.

    Built from URLs or bare host names: a name contributes its registrable domain; an IP literal contributes
    itself with its port (so `127.0.0.1:8000` allows that one server, not every loopback port). Membership
    (`"host:port" in allow`) keeps the old set-of-netlocs interface working.
    """

    def __init__(self, domains: Iterable[str] = (), endpoints: Iterable[tuple[str, int | None]] = ()):
        self.domains = {d.lower() for d in domains if d}
        self.endpoints = {(h.lower(), p) for h, p in endpoints}

    @classmethod
    def from_urls(cls, urls: Iterable[str]) -> "AllowList":
        allow = cls()
        for url in urls:
            allow.add(url)
        return allow

    def add(self, url_or_host: str) -> None:
        if not url_or_host or not url_or_host.strip():
            return
        text = url_or_host.strip()
        scheme = urlsplit(text).scheme if "//" in text else ""
        host, port = _host_port(text)
        if not host:
            return
        if _ip(host) is not None:
            self.endpoints.add((host.strip("[]"), port or _default_port(scheme)))
        else:
            self.domains.add(registrable_domain(host))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        host, port = _host_port(url)
        if not host:
            return False
        if _ip(host) is not None:
            ip = host.strip("[]")
            return (ip, port or _default_port(parts.scheme)) in self.endpoints or (ip, None) in self.endpoints
        return registrable_domain(host) in self.domains

    def __contains__(self, netloc: str) -> bool:
        return self.allows(f"http://{netloc}") or self.allows(f"https://{netloc}")

    def private_endpoints(self) -> set[tuple[str, int | None]]:
        """Exactly configured IP endpoints: the only non-public addresses a request may connect to."""
        return set(self.endpoints)

    def __repr__(self) -> str:
        return f"AllowList(domains={sorted(self.domains)}, endpoints={sorted(self.endpoints, key=str)})"


def address_refusal(ip_text: str, port: int, allowed_endpoints: set[tuple[str, int | None]]) -> str | None:
    """Why a resolved address may not be connected to (None = it may).

    Public unicast addresses are fine. Anything else (private, loopback, link-local, carrier-grade NAT,
    multicast, reserved, unspecified; an IPv4 address mapped into IPv6 is judged as IPv4) is refused unless
    that exact address and port were configured.
    """
    ip = _ip(ip_text)
    if ip is None:
        return f"unparseable address {ip_text!r}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (str(ip), port) in allowed_endpoints or (str(ip), None) in allowed_endpoints:
        return None
    shared = ipaddress.ip_network("100.64.0.0/10")
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in shared)):
        return f"{ip} is not a public address"
    return None
