"""PubMed through NCBI E-utilities: ESearch (counts, IDs, window splitting) and EFetch.

Network only: every call goes through :class:`ketlit.http.HttpClient` and every body is
validated by a ``parse`` callback, so a truncated page, an HTML error page or a backend
failure is retried and never read as "no results". Parsing of records lives in
:mod:`ketlit.sources.pubmed_parse`; storing in :mod:`ketlit.store.core`.

The 10,000 cap: ESearch lists at most the first 9,999 IDs of a query. When ``Count`` is
above what the first search listed, the query is *peeled* by PMID range, which needs the
fewest searches possible: ESearch lists IDs newest first (by PMID), so the first answer is
the top of the set, and the next search asks only for what lies below its lowest PMID
(``term AND 1:low-1[uid]``), whose answer is again the top of what is left, and so on:
ceil(Count / 9,999) searches in all, each listing new IDs only (14,440 records: 2 searches;
the creation-date bisection used before took 12). Nothing is assumed: the counts prove it.
The range from the lowest listed PMID up holds Count(window) − Count(below) records; if
that is more than were listed (a service that does not order by PMID), that range is cut at
the median of the listed PMIDs and each half is searched, and peeled, in turn. PMID ranges
cannot double-count (one record, one PMID), unlike publication-date windows, and a single
day over the cap needs no special case. IDs are de-duplicated across searches anyway.
The effective cap is whatever the service lists: a service capping lower than asked
(``retmax``) just means more, smaller peels.

Every answer is checked before it is believed: an ESearch that reports a Count but lists no
ID (asked for some), or lists something that is not a PMID, is retried like a truncated page
and then fails with one line, instead of sending the window splitting into an endless bisection.

GET or POST: a request goes as a POST once its GET URL, percent-encoded, would pass
:data:`ketlit.http.MAX_GET_URL_BYTES` (bytes, not characters: a non-ASCII term is 6 bytes per
character on the wire), and EFetch also above 200 IDs, as NCBI asks.

EFetch uses explicit ID lists rather than WebEnv paging: an ID list lets us check that every
requested PMID came back and re-request exactly the missing ones, and does not depend on a
history session that expires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import httpx
from lxml import etree

from ketlit.errors import ParseError, QueryError, ServiceError
from ketlit.http import BadResponse, HttpClient
from ketlit.ids import PMID
from ketlit.sources.models import Article
from ketlit.sources.pubmed_parse import parse_pubmed_xml

DEFAULT_CAP = 9999
# The upper end of an open PMID range in a query (PMIDs have 8 digits today).
UNBOUNDED_UID = 99_999_999_999
GET_ID_LIMIT = 200
_PARSER = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False, huge_tree=True)
# NCBI wraps both query errors and backend trouble in "Search Backend failed: …", so the
# query-error patterns are checked first; only what is left and looks transient is retried.
_QUERY_ERROR = re.compile(r"syntax|unbalanced|invalid|cannot be larger|unknown field|not found", re.I)
_TRANSIENT_ERROR = re.compile(r"backend|temporar|timeout|timed out|unavailable|try again|internal", re.I)


@dataclass(frozen=True)
class SearchResult:
    """One ESearch answer: the hit count, the PMIDs returned, NCBI's warnings and its query translation."""

    count: int
    ids: list[str]
    warnings: list[str] = field(default_factory=list)
    translation: str | None = None


@dataclass(frozen=True)
class Window:
    """A slice of a query: PMIDs ``uid_lo``..``uid_hi`` inclusive (``None``: no upper bound)."""

    uid_lo: int
    uid_hi: int | None = None

    def term(self, base: str) -> str:
        """``base`` restricted to this window's PMIDs."""
        return f"({base}) AND ({self.uid_lo}:{self.uid_hi or UNBOUNDED_UID}[uid])"

    def holds(self, pmid: int) -> bool:
        return self.uid_lo <= pmid and (self.uid_hi is None or pmid <= self.uid_hi)

    def describe(self) -> str:
        return f"PMIDs {self.uid_lo}..{self.uid_hi or ''}"


def _is_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:200].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def parse_esearch(body: bytes) -> SearchResult:
    """ESearch XML → :class:`SearchResult`; a query error → :class:`QueryError`."""
    if body.lstrip()[:1] == b"{":
        raise BadResponse("JSON where XML was requested")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(f"truncated or malformed ESearch XML ({exc.msg})") from None
    if root.tag != "eSearchResult":
        raise BadResponse(f"unexpected ESearch root <{root.tag}>")
    error = " ".join((root.findtext("ERROR") or "").split())
    count_text = root.findtext("Count")
    if error:
        if _TRANSIENT_ERROR.search(error) and not _QUERY_ERROR.search(error):
            raise BadResponse(f"service error: {error}")
        raise QueryError(f"PubMed rejected the query: {error}")
    if count_text is None or not count_text.strip().isdigit():
        raise BadResponse("ESearch response without Count")
    warnings = []
    for node in root.iterfind("ErrorList/*"):
        warnings.append(f"{node.tag}: {' '.join((node.text or '').split())}")
    for node in root.iterfind("WarningList/*"):
        warnings.append(f"{node.tag}: {' '.join((node.text or '').split())}")
    ids = [i.text.strip() for i in root.iterfind("IdList/Id") if i.text and i.text.strip()]
    bad = next((i for i in ids if not PMID.match(i)), None)
    if bad is not None:
        raise BadResponse(f"ESearch listed {bad[:20]!r}, which is not a PMID")
    return SearchResult(int(count_text), ids, warnings, root.findtext("QueryTranslation"))


def parse_efetch(response: httpx.Response) -> list[Article]:
    """EFetch body → articles; anything short of a complete record set is retried."""
    if _is_html(response):
        raise BadResponse("HTML error page instead of XML")
    body = response.content
    if not body.strip():
        raise BadResponse("empty body")
    try:
        return parse_pubmed_xml(body)
    except ParseError as exc:
        raise BadResponse(str(exc)) from None


# The end of a complete EFetch document. A body cut short (proxy, reset, truncation) cannot end so.
_EFETCH_END = re.compile(rb"</(?:PubmedArticleSet|MedlineCitationSet)>\s*$")


def check_efetch(response: httpx.Response) -> tuple[bytes, str | None]:
    """The cheap half of :func:`parse_efetch`, for a caller that parses the body later: an HTML
    page, an empty body or one that does not end its document is retried like a bad body.
    (A body complete at its end but damaged inside is left to that caller's parse.)"""
    if _is_html(response):
        raise BadResponse("HTML error page instead of XML")
    body = response.content
    if not body.strip():
        raise BadResponse("empty body")
    if not _EFETCH_END.search(body[-256:]):
        raise BadResponse("EFetch page cut short (no closing tag)")
    return body, response.headers.get("content-type")


class PubMedClient:
    """E-utilities calls for PubMed on top of an :class:`HttpClient`."""

    def __init__(self, http: HttpClient, base_url: str, cap: int = DEFAULT_CAP) -> None:
        self.http = http
        self.base_url = base_url
        self.cap = cap

    def esearch(self, term: str, *, retmax: int = 0, extra: dict[str, str] | None = None) -> SearchResult:
        """One ESearch request (``retmax`` IDs from the start); HTML or broken XML is retried."""
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "retstart": "0", **(extra or {})}

        def parse(response: httpx.Response) -> SearchResult:
            if _is_html(response):
                raise BadResponse("HTML error page instead of XML")
            result = parse_esearch(response.content)
            if retmax > 0 and result.count > 0 and not result.ids:
                raise BadResponse(f"ESearch reported Count={result.count} but listed no IDs")
            return result

        url = self.base_url + "esearch.fcgi"
        return self.http.request(self.http.method_for(url, params), url, parse, params=params)

    def efetch(self, pmids: list[str], on_body: Callable[[bytes, str | None], None] | None = None) -> list[Article]:
        """Fetch records by PMID (POST for long lists); ``on_body`` receives the accepted raw body."""

        def parse(response: httpx.Response) -> list[Article]:
            articles = parse_efetch(response)
            if on_body is not None:
                on_body(response.content, response.headers.get("content-type"))
            return articles

        method, url, params = self._efetch_request(pmids)
        return self.http.request(method, url, parse, params=params)

    def efetch_body(self, pmids: list[str]) -> tuple[bytes, str | None]:
        """Fetch records by PMID as (raw body, content type), checked by :func:`check_efetch` only:
        the caller parses it (with :func:`efetch` to fall back on if that fails)."""
        method, url, params = self._efetch_request(pmids)
        return self.http.request(method, url, check_efetch, params=params)

    def _efetch_request(self, pmids: list[str]) -> tuple[Literal["GET", "POST"], str, dict[str, str]]:
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml", "rettype": "xml"}
        url = self.base_url + "efetch.fcgi"
        method: Literal["GET", "POST"] = "POST" if len(pmids) > GET_ID_LIMIT else self.http.method_for(url, params)
        return method, url, params

    # -- splitting ----------------------------------------------------------------------
    def collect_ids(
        self,
        term: str,
        extra: dict[str, str],
        *,
        on_window: Callable[[Window, int], None] | None = None,
    ) -> tuple[int, list[str], int, list[str]]:
        """All PMIDs matching ``term``: (total count, ids newest first, searches that listed IDs, warnings).

        Past the cap the query is peeled by PMID range (see the module docstring)."""
        first = self.esearch(term, retmax=min(self.cap, 10000), extra=extra)
        warnings = list(first.warnings)
        if first.count <= len(first.ids) or first.count == 0:
            return first.count, first.ids, 1, warnings
        seen: dict[str, None] = {}
        searches = 0
        for window, result in self._peel(term, extra, Window(1, None), first):
            searches += 1
            seen.update(dict.fromkeys(result.ids))
            if on_window is not None:
                on_window(window, result.count)
        return first.count, sorted(seen, key=int, reverse=True), searches, warnings

    def _search(self, term: str, extra: dict[str, str], window: Window) -> SearchResult:
        return self.esearch(window.term(term), retmax=min(self.cap, 10000), extra=extra)

    def _peel(self, term: str, extra: dict[str, str], window: Window,
              known: SearchResult) -> Iterator[tuple[Window, SearchResult]]:
        """Every search needed to list all of ``window`` (whose own answer is ``known``), with its answer."""
        todo: list[tuple[Window, SearchResult | None]] = [(window, known)]
        while todo:
            window, result = todo.pop()
            if result is None:
                result = self._search(term, extra, window)
            yield window, result
            if result.count <= len(result.ids):
                continue  # everything in the window was listed
            inside = sorted(int(i) for i in result.ids if window.holds(int(i)))
            if not inside:
                raise ServiceError(f"NCBI E-utilities: ESearch listed no PMID inside {window.describe()} of the query")
            low = inside[0]
            upper = Window(low, window.uid_hi)
            below = window.uid_lo < low
            lower = self._search(term, extra, Window(window.uid_lo, low - 1)) if below else None
            above = result.count - (lower.count if lower else 0)
            if above > len(inside):
                # The listed IDs are not the top of the window: the service did not order by PMID,
                # so what lies from the lowest listed PMID up is split at the listed IDs' median
                # and searched again (each half holds about half of a capped list).
                todo.extend((half, None) for half in _halves(upper, inside))
            if lower is not None:
                todo.append((Window(window.uid_lo, low - 1), lower))


def _halves(window: Window, inside: list[int]) -> list[Window]:
    """Two windows covering ``window``, cut at the median of the PMIDs listed inside it."""
    mid = inside[len(inside) // 2]
    if mid <= window.uid_lo:
        hi = window.uid_hi or UNBOUNDED_UID
        if hi <= window.uid_lo:
            raise QueryError(f"cannot split the query below the PubMed cap at PMID {window.uid_lo}")
        mid = window.uid_lo + (hi - window.uid_lo + 1) // 2
    return [Window(window.uid_lo, mid - 1), Window(mid, window.uid_hi)]
