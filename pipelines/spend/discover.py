"""Find a council's spending files: scrape its landing pages (HTML) or resolve its CKAN dataset.

Strategy (sources.md §9-§10): the registry's verified landing pages first; for each page follow pagination
(`rel=next`, a "Next" link, `?page=N`) and ONE level of sub-pages (per-year or archive pages linked from the
landing page); keep links that are data files (csv/xlsx/xls/ods/zip) and look like spend, drop decoys (contracts
registers, grants, minutes, PDFs, accessibility pages). CKAN (`discovery = ckan`): `package_show` for the
registry's package, else `package_search`. A council without a verified page falls back to DEEP DISCOVERY from
its website (`deep_discover`: breadth-first, up to DEEP_MAX_DEPTH clicks, DEEP_MAX_PAGES pages, following only
links whose text or URL speaks of spending/payments/transparency/open data, on the council's registrable domain or
its known data hosts), then a data.gov.uk `package_search`. What deep discovery finds is recorded as candidates
(`DiscoveryResult.candidates`) for the registry (`reference.discovery_candidates`, `keepitlocal registry report`),
never written back to the registry by itself. The period comes from the link text first, then the file name, then
the URL.

Every request goes through `PoliteSession`, which refuses hosts outside the registry/config allow-list.

Periods: every link's `period_label` is a key from `pipelines.spend.periods` (`YYYY-MM`, `FYYYYY-YY`,
`FYYYYY-YY-Qn`, `FYYYYY-YY-Pnn`, `CYYYYY`); the period functions live there and are re-exported here for callers
written before the move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from pipelines.config import SourcesConfig
from pipelines.http import HostNotAllowed, PoliteSession, status_reason

from pipelines.http import registrable_domain  # the edge workstream owns the public-suffix logic
from pipelines.registry import council_hints
from pipelines.spend.periods import (  # noqa: F401  (re-exported: callers import these from here)
    file_name_of,
    parse_period_label,
    period_key_for_dates,
    period_label_for,
    period_precision,
    period_range,
)

DATA_FORMATS = ("csv", "xlsx", "xls", "ods", "zip")
NOT_DATA_FORMATS = ("pdf", "doc", "docx", "odt", "rtf", "txt", "xml", "json", "html", "htm", "aspx", "php",
                    "jpg", "png", "gif", "svg")
MAX_PAGES_PER_LANDING = 40
MAX_SUB_PAGES = 10
DEEP_MAX_DEPTH = 3   # clicks from the website's home page
DEEP_MAX_PAGES = 60  # pages fetched per council by deep discovery

SPEND_WORDS = re.compile(
    r"spend|spent|expenditure|payments?\b|payments?[-_ ]to|supplier|invoice|over[-_ ]?(?:£|%c2%a3|ps|f)?\s?(?:500|250)"
    r"|\b(?:500|250)[-_ ]?(?:report|spend)|transparency|purchas(?:e|ing)[-_ ]card|procurement[-_ ]card|p[-_ ]?card",
    re.IGNORECASE,
)
DECOY_WORDS = re.compile(
    r"contracts?[-_ ]?(?:register|over|award|list|finder)|\btenders?\b|\bgrants?\b|minutes|agenda|accessib|privacy"
    r"|cookie|salar|pay[-_ ]polic|organisation[-_ ]chart|trade[-_ ]union|land[-_ ]and[-_ ](?:building|asset)"
    r"|parking|fraud|senior[-_ ]staff|councillor|allowances|business[-_ ]rates|pension",
    re.IGNORECASE,
)
CARD_WORDS = re.compile(r"purchas(?:e|ing)[-_ ]card|procurement[-_ ]card|\bp[-_ ]?card|card[-_ ](?:payment|spend|transaction)|gpc",
                        re.IGNORECASE)
# A link to another page worth one level of crawling: a year or archive page about spend.
SUB_PAGE_WORDS = re.compile(r"archive|previous|older|\b20\d\d\b|spend|expenditure|payments|over[-_ ]?(?:£)?(?:500|250)",
                            re.IGNORECASE)
NEXT_WORDS = re.compile(r"^\s*(?:next(?:\s+page)?|›|»|>|older(?: entries)?)\s*[›»>]?\s*$", re.IGNORECASE)
# A link deep discovery follows: its text or URL speaks of spending, payments, transparency or open data.
LEAD_WORDS = re.compile(
    r"spend|spent|expenditure|payments?|suppliers?|invoices?|transparen|open[-_ ]?data|data[-_ ]?(?:set|store|hub|portal)"
    r"|over[-_ ]?(?:£|%c2%a3|ps)?\s?(?:500|250)|(?:your|the)[-_ ]council|council[-_ ]?(?:and[-_ ]democracy|information)"
    r"|budgets?|finance|accounts|freedom[-_ ]of[-_ ]information|publication[-_ ]scheme|about[-_ ]us",
    re.IGNORECASE,
)


@dataclass
class DiscoveredLink:
    url: str
    link_text: str
    landing_page: str
    period_label: str | None
    format_hint: str
    dataset_kind: str = "spend"  # spend | pcard (procurement-card files are a separate series per period)


@dataclass
class DiscoveryResult:
    council_gss: str
    links: list[DiscoveredLink] = field(default_factory=list)
    pages_visited: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {url, link_text, reason}
    errors: list[str] = field(default_factory=list)
    # listing pages (landing, pagination, sub-pages, CKAN calls) that did not answer: {url, reason_code, error};
    # their links are missing tonight, so the caller records them and the next night's discovery asks again
    failed_pages: list[dict] = field(default_factory=list)
    # deep discovery: pages found to list spend files, for the registry to review
    # {council_gss, page_url, depth, trail (|-joined pages from the home page), files, sample_link, score}
    candidates: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------------------
# link classification

def format_of(url: str, link_text: str = "") -> str | None:
    """The file format a link points at: from the URL's file name, else from the link text ("(CSV, 45KB)")."""
    name = file_name_of(url).lower()
    if "." in name:
        ext = name.rsplit(".", 1)[-1]
        if ext in DATA_FORMATS or ext in NOT_DATA_FORMATS:
            return ext
    text = (link_text or "").lower()
    for fmt, pattern in (("csv", r"\bcsv\b"), ("xlsx", r"\bxlsx\b|\bexcel\b"), ("xls", r"\bxls\b"),
                         ("ods", r"\bods\b"), ("zip", r"\bzip\b"), ("pdf", r"\bpdf\b")):
        if re.search(pattern, text):
            return fmt
    return None


def classify_link(url: str, link_text: str, *, spend_context: bool, include: re.Pattern | None = None,
                  exclude: re.Pattern | None = None) -> tuple[str | None, str | None]:
    """(format, None) for a spend file, else (None, reason). `spend_context` = the page itself is about spend,
    so a data file named only by its period ("July 2022") counts."""
    haystack = f"{link_text} {unquote(url)}"
    fmt = format_of(url, link_text)
    if fmt in NOT_DATA_FORMATS:
        return None, f"not_data_file:{fmt}"
    if exclude is not None and exclude.search(haystack):
        return None, "excluded_by_registry"
    if include is not None:
        if not include.search(haystack):
            return None, "not_included_by_registry"
    elif DECOY_WORDS.search(haystack):
        return None, "decoy:" + DECOY_WORDS.search(haystack).group(0).lower()
    if fmt is None:
        # Jadu / hashed media links carry no extension: accept only a download-looking URL with a period.
        download_like = re.search(r"/download|getresource|/media/|/files?/|/documents?/", url, re.IGNORECASE)
        if not (download_like and period_label_for(link_text, url)):
            return None, "no_data_extension"
        fmt = "unknown"
    if include is None and not SPEND_WORDS.search(haystack):
        if not (spend_context and period_label_for(link_text, url)):
            return None, "not_spend"
    return fmt, None


def _council_patterns(council: dict) -> tuple[re.Pattern | None, re.Pattern | None]:
    include = re.compile(council["link_include"], re.IGNORECASE) if council.get("link_include") else None
    exclude = re.compile(council["link_exclude"], re.IGNORECASE) if council.get("link_exclude") else None
    return include, exclude


# --------------------------------------------------------------------------------------------------------------
# HTML crawl

def _get(session: PoliteSession, url: str, result: DiscoveryResult, *, listing: bool = True, **kwargs):
    """GET one page; failures are recorded on the result, never raised (one bad page never stops a council).
    A `listing` page's failure (one whose links the council's files may be on) is also a failed page."""
    failure = None
    try:
        response = session.get(url, **kwargs)
    except HostNotAllowed as exc:
        result.errors.append(f"{url}: {exc}")
        result.rejected.append({"url": url, "link_text": "", "reason": "host_not_allowed"})
        failure = (exc.reason_code, str(exc))
    except Exception as exc:  # connection errors after the session's retries
        result.errors.append(f"{url}: {type(exc).__name__}: {exc}")
        failure = (getattr(exc, "reason_code", "network"), f"{type(exc).__name__}: {exc}")
    else:
        if response.status_code == 200:
            return response
        result.errors.append(f"{url}: HTTP {response.status_code}")
        failure = (status_reason(response), f"HTTP {response.status_code}")
    if listing:
        result.failed_pages.append({"url": url, "reason_code": failure[0], "error": failure[1][:500]})
    return None


def _anchors(html: str, page_url: str) -> tuple[list[tuple[str, str, list[str]]], str]:
    """(absolute url, text, rel) of every <a href> on a page, and the page's title text."""
    soup = BeautifulSoup(html, "html.parser")
    base = soup.find("base", href=True)
    base_url = urljoin(page_url, base["href"]) if base else page_url
    anchors = []
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url, _ = urldefrag(urljoin(base_url, href))
        text = " ".join(a.get_text(" ", strip=True).split()) or a.get("title", "") or a.get("aria-label", "")
        anchors.append((url, text, [r.lower() for r in (a.get("rel") or [])]))
    for link in soup.find_all("link", href=True, rel=True):
        if "next" in [r.lower() for r in link["rel"]]:
            anchors.append((urldefrag(urljoin(base_url, link["href"]))[0], "", ["next"]))
    title = " ".join(t.get_text(" ", strip=True) for t in soup.find_all(["title", "h1"]))
    return anchors, title


def _is_next(url: str, text: str, rel: list[str], page_url: str) -> bool:
    if "next" in rel or NEXT_WORDS.match(text or ""):
        return True
    # ?page=N links to the same path are pagination even when labelled with bare numbers
    here, there = urlsplit(page_url), urlsplit(url)
    return (here.path == there.path and "page" in parse_qs(there.query)
            and re.fullmatch(r"\d+", text or "") is not None)


def _crawl(session: PoliteSession, start_url: str, council: dict, result: DiscoveryResult, seen_pages: set[str],
           found: dict[str, DiscoveredLink], *, verified: bool, depth: int) -> None:
    include, exclude = _council_patterns(council)
    queue = [start_url]
    sub_pages: list[str] = []
    pages = 0
    start_host = urlsplit(start_url).netloc.lower()
    while queue and pages < MAX_PAGES_PER_LANDING:
        url = queue.pop(0)
        if url in seen_pages:
            continue
        seen_pages.add(url)
        response = _get(session, url, result)
        if response is None:
            continue
        pages += 1
        page_url = response.url or url  # after redirects: relative links resolve against the final page
        seen_pages.add(page_url)
        result.pages_visited.append(page_url)
        content_type = response.headers.get("Content-Type", "")
        if "html" not in content_type and format_of(page_url) in DATA_FORMATS:
            # a landing URL that is itself a file (direct link or redirect to one)
            found.setdefault(page_url, DiscoveredLink(page_url, "", url, period_label_for("", page_url),
                                                      format_of(page_url) or "unknown", _kind("", page_url)))
            continue
        anchors, title = _anchors(response.text, page_url)
        spend_context = verified or bool(SPEND_WORDS.search(f"{title} {page_url}"))
        for link_url, text, rel in anchors:
            if urlsplit(link_url).scheme not in ("http", "https"):
                continue
            if _is_next(link_url, text, rel, page_url):
                if link_url not in seen_pages:
                    queue.append(link_url)
                continue
            fmt, reason = classify_link(link_url, text, spend_context=spend_context, include=include, exclude=exclude)
            if fmt is not None and not _host_allowed(session, link_url):
                # a file on a host the registry does not name would be refused at fetch: say so here
                result.rejected.append({"url": link_url, "link_text": text, "reason": "host_not_allowed"})
                continue
            if fmt is not None:
                if link_url not in found:
                    found[link_url] = DiscoveredLink(link_url, text, page_url, period_label_for(text, link_url),
                                                     fmt, _kind(text, link_url))
                continue
            if reason in ("no_data_extension", "not_spend") and depth == 0 and _looks_like_sub_page(
                    link_url, text, start_host):
                sub_pages.append(link_url)
            elif reason and reason not in ("no_data_extension", "not_spend"):
                result.rejected.append({"url": link_url, "link_text": text, "reason": reason})
    for sub in dict.fromkeys(sub_pages):
        if len([p for p in sub_pages if p in seen_pages]) >= MAX_SUB_PAGES:
            break
        if sub not in seen_pages:
            _crawl(session, sub, council, result, seen_pages, found, verified=False, depth=depth + 1)


def _host_allowed(session: PoliteSession, url: str) -> bool:
    if hasattr(session, "allows"):  # a council's view of the session (pipelines/spend/hosts.py) narrows it
        return session.allows(url)
    allowed = getattr(session, "allowed_hosts", None)
    return allowed is None or urlsplit(url).netloc.lower() in allowed


def _looks_like_sub_page(url: str, text: str, host: str) -> bool:
    parts = urlsplit(url)
    if parts.netloc.lower() != host or format_of(url) in DATA_FORMATS + NOT_DATA_FORMATS:
        return False
    haystack = f"{text} {unquote(parts.path)}"
    return bool(SUB_PAGE_WORDS.search(haystack)) and not DECOY_WORDS.search(haystack)


def _kind(text: str, url: str) -> str:
    return "pcard" if CARD_WORDS.search(f"{text} {unquote(url)}") else "spend"


# --------------------------------------------------------------------------------------------------------------
# deep discovery

def known_data_hosts(council: dict) -> set[str]:
    """Registrable domains deep discovery may follow for a council: its website's, its landing pages' (e.g. a data
    portal on another domain), the optional registry column `data_hosts` and `parser_hints.data_hosts` (the same
    hosts the council session is allowed to reach)."""
    urls = [council.get("website") or ""]
    urls += (council.get("landing_urls") or "").split("|") + (council.get("data_hosts") or "").split("|")
    urls += [str(h) for h in council_hints(council).get("data_hosts") or []]
    # a data host may be written as a bare host name ("files.example.net") or as a URL
    domains = {registrable_domain(urlsplit(u if "//" in u else f"//{u}").netloc) for u in urls if u and u.strip()}
    return {d for d in domains if d}


def _lead_score(url: str, text: str) -> int:
    """How strongly a link points towards spending data (0 = not a lead)."""
    haystack = f"{text} {unquote(urlsplit(url).path)} {unquote(urlsplit(url).query)}"
    if DECOY_WORDS.search(haystack) and not SPEND_WORDS.search(haystack):
        return 0
    score = 0
    if re.search(r"spend|expenditure|payments?[-_ ]to|over[-_ ]?(?:£|%c2%a3|ps)?\s?(?:500|250)|suppliers?", haystack, re.I):
        score += 3
    if re.search(r"transparen|open[-_ ]?data|data[-_ ]?(?:set|store|hub|portal)|publication[-_ ]scheme", haystack, re.I):
        score += 2
    if LEAD_WORDS.search(haystack):
        score += 1
    return score


def deep_discover(council: dict, session: PoliteSession, result: DiscoveryResult, found: dict[str, DiscoveredLink],
                  *, max_depth: int = DEEP_MAX_DEPTH, max_pages: int = DEEP_MAX_PAGES,
                  seen_pages: set[str] | None = None) -> list[dict]:
    """Breadth-first from the council's website, best leads first, up to `max_depth` clicks and `max_pages` pages;
    only the council's registrable domain and known data hosts. Spend files found are added to `found`; each page
    that lists them becomes a candidate landing page (also appended to `result.candidates`)."""
    start = council.get("website")
    if not start:
        return []
    include, exclude = _council_patterns(council)
    domains = known_data_hosts(council)
    seen_pages = seen_pages if seen_pages is not None else set()
    frontier: list[tuple[int, str, list[str]]] = [(0, start, [])]  # (depth, url, trail)
    queued = {start}
    candidates: list[dict] = []
    pages = 0
    while frontier and pages < max_pages:
        depth, url, trail = frontier.pop(0)
        if url in seen_pages:
            continue
        seen_pages.add(url)
        # deep discovery follows guesses: only the website itself failing is a lost listing
        response = _get(session, url, result, listing=depth == 0 and url == start)
        if response is None:
            continue
        pages += 1
        page_url = response.url or url
        seen_pages.add(page_url)
        result.pages_visited.append(page_url)
        if "html" not in response.headers.get("Content-Type", "html"):
            continue
        anchors, title = _anchors(response.text, page_url)
        spend_context = bool(SPEND_WORDS.search(f"{title} {unquote(page_url)}"))
        files: list[DiscoveredLink] = []
        leads: list[tuple[int, str]] = []
        for link_url, text, rel in anchors:
            if urlsplit(link_url).scheme not in ("http", "https"):
                continue
            domain = registrable_domain(urlsplit(link_url).netloc)
            if spend_context and _is_next(link_url, text, rel, page_url):
                if link_url not in queued and domain in domains:
                    queued.add(link_url)  # the next page of a spend listing: same depth, first in line
                    frontier.insert(0, (depth, link_url, trail))
                continue
            fmt, reason = classify_link(link_url, text, spend_context=spend_context, include=include, exclude=exclude)
            if fmt is not None:
                if domain not in domains or not _host_allowed(session, link_url):
                    result.rejected.append({"url": link_url, "link_text": text, "reason": "host_not_allowed"})
                    continue
                link = found.get(link_url) or DiscoveredLink(link_url, text, page_url, period_label_for(text, link_url),
                                                             fmt, _kind(text, link_url))
                found.setdefault(link_url, link)
                files.append(link)
                continue
            if reason not in ("no_data_extension", "not_spend"):
                result.rejected.append({"url": link_url, "link_text": text, "reason": reason})
                continue
            if depth >= max_depth or link_url in queued:
                continue
            if domain not in domains or format_of(link_url) in DATA_FORMATS + NOT_DATA_FORMATS:
                continue
            score = _lead_score(link_url, text)
            if not score and spend_context and _looks_like_sub_page(link_url, text, urlsplit(page_url).netloc.lower()):
                score = 1  # a year or archive page of a spend listing
            if score:
                leads.append((score, link_url))
        if files:
            spend_files = [f for f in files if f.dataset_kind == "spend"]
            candidate = {
                "council_gss": council["gss"], "page_url": page_url, "depth": depth,
                "trail": "|".join(trail + [page_url]), "files": len(files),
                "sample_link": (spend_files or files)[0].url,
                # more spend files, fewer clicks and a spend-looking page rank first
                "score": round(len(spend_files) + 0.5 * len(files) + (2 if spend_context else 0) - 0.5 * depth, 2),
            }
            candidates.append(candidate)
        for _score, link_url in sorted(leads, key=lambda p: -p[0]):
            queued.add(link_url)
            frontier.append((depth + 1, link_url, trail + [page_url]))
        # best leads of the shallowest depth first (breadth-first, ordered by lead strength within a depth)
        frontier.sort(key=lambda item: item[0])
    candidates.sort(key=lambda c: (-c["score"], c["depth"], c["page_url"]))
    result.candidates.extend(candidates)
    return candidates


# --------------------------------------------------------------------------------------------------------------
# CKAN

CKAN_SEARCH_TERMS = '(spend OR spending OR expenditure OR payments OR "over 500" OR "over 250")'


def _ckan_base(config: SourcesConfig) -> str:
    return config.ckan_url.rstrip("/")


def _ckan_resources(session: PoliteSession, package: dict, council: dict, result: DiscoveryResult, found: dict[str, DiscoveredLink],
                    landing: str) -> None:
    include, exclude = _council_patterns(council)
    for resource in package.get("resources") or []:
        url = (resource.get("download_url") or resource.get("url") or "").strip()
        if not url:
            continue
        text = " ".join(filter(None, [resource.get("name"), resource.get("description")])).strip()
        declared = (resource.get("format") or "").strip().lower()
        fmt, reason = classify_link(url, f"{text} {declared}", spend_context=True, include=include, exclude=exclude)
        if fmt is None:
            result.rejected.append({"url": url, "link_text": text, "reason": reason})
            continue
        if not _host_allowed(session, url):
            result.rejected.append({"url": url, "link_text": text, "reason": "host_not_allowed"})
            continue
        if url not in found:
            found[url] = DiscoveredLink(url, text, landing, period_label_for(resource.get("name") or text, url), fmt,
                                        _kind(text, url))


def _ckan_json(session: PoliteSession, url: str, params: dict, result: DiscoveryResult) -> dict | None:
    response = _get(session, url, result, params=params)
    if response is None:
        return None
    result.pages_visited.append(response.url)
    try:
        body = response.json()
    except ValueError:
        result.errors.append(f"{url}: CKAN answer is not JSON")
        return None
    if not body.get("success"):
        result.errors.append(f"{url}: CKAN error {body.get('error')}")
        return None
    return body.get("result")


def _ckan_show(session, council, config, result, found) -> bool:
    """package_show for a package_show URL in landing_urls (another portal, e.g. Data Mill North) or for the
    registry's `ckan_package` on the configured CKAN. True when a package was read."""
    targets: list[tuple[str, dict]] = []
    for url in (council.get("landing_urls") or "").split("|"):
        if "package_show" in url:
            parts = urlsplit(url)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            targets.append((url.split("?", 1)[0], params))
    if not targets and council.get("ckan_package"):
        targets.append((f"{_ckan_base(config)}/package_show", {"id": council["ckan_package"]}))
    read = False
    for endpoint, params in targets:
        package = _ckan_json(session, endpoint, params, result)
        if package:
            read = True
            _ckan_resources(session, package, council, result, found, f"{endpoint}?id={params.get('id', '')}")
    return read


def _ckan_search(session, council, config, result, found) -> None:
    """data.gov.uk package_search: one publisher's datasets when its organisation is known, else the council's
    name; packages must look like spend and belong to the council."""
    hints = council_hints(council)
    organisation = hints.get("ckan_organization")
    params = {"q": CKAN_SEARCH_TERMS, "rows": 100}
    if organisation:
        params["fq"] = f"organization:{organisation}"
    else:
        params["q"] = f'"{council["name"]}" AND {CKAN_SEARCH_TERMS}'
    endpoint = f"{_ckan_base(config)}/package_search"
    answer = _ckan_json(session, endpoint, params, result)
    if not answer:
        return
    name = council["name"].lower()
    for package in answer.get("results") or []:
        org = package.get("organization") or {}
        belongs = (org.get("name") == organisation) if organisation else (org.get("title") or "").lower() == name
        about_spend = SPEND_WORDS.search(" ".join(str(package.get(k) or "") for k in ("title", "name", "notes")))
        if not belongs or not about_spend:
            result.rejected.append({"url": f"{endpoint}#{package.get('name')}", "link_text": package.get("title", ""),
                                    "reason": "ckan_package_not_council_spend"})
            continue
        _ckan_resources(session, package, council, result, found, f"{_ckan_base(config)}/package_show?id={package.get('name')}")


# --------------------------------------------------------------------------------------------------------------
# entry point

def discover_council(council: dict, session: PoliteSession, config: SourcesConfig) -> DiscoveryResult:
    """Every spend-file link the council publishes, with the pages visited and the links rejected (and why)."""
    result = DiscoveryResult(council_gss=council["gss"])
    found: dict[str, DiscoveredLink] = {}
    method = council.get("discovery") or "html"
    landing_urls = [u for u in (council.get("landing_urls") or "").split("|") if u]
    seen_pages: set[str] = set()
    if method == "ckan":
        if not _ckan_show(session, council, config, result, found):
            _ckan_search(session, council, config, result, found)
    elif method == "direct":
        for url in landing_urls:
            found[url] = DiscoveredLink(url, "", url, period_label_for("", url), format_of(url) or "unknown",
                                        _kind("", url))
    elif method == "none":
        pass  # abolished with no page, or nothing to start from (the registry says so)
    elif landing_urls:
        for url in landing_urls:
            _crawl(session, url, council, result, seen_pages, found, verified=True, depth=0)
        if not found and council.get("landing_status") in ("transparency", "captured"):
            # an index page that no longer leads to files: look for them from the website
            deep_discover(council, session, result, found, seen_pages=seen_pages)
    else:
        # No verified landing page: deep discovery from the council's own website, then CKAN.
        deep_discover(council, session, result, found, seen_pages=seen_pages)
        if not found:
            _ckan_search(session, council, config, result, found)
    result.links = list(found.values())
    return result

