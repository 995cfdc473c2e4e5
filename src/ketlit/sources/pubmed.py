"""PubMed through NCBI E-utilities: ESearch (counts, IDs, window splitting) and EFetch.

Network only: every call goes through :class:`ketlit.http.HttpClient` and every body is
validated by a ``parse`` callback, so a truncated page, an HTML error page or a backend
failure is retried and never read as "no results". Parsing of records lives in
:mod:`ketlit.sources.pubmed_parse`; storing in :mod:`ketlit.store.core`.

The 10,000 cap: ESearch returns at most the first 9,999 IDs of a query. When ``Count``
is above the cap, the query is split into creation-date (``[crdt]``) windows, bisected
until each window fits, then by PMID range for a single day that is still too large;
IDs are de-duplicated across windows. ``[crdt]`` and not publication date, because a
record with both an e-pub and a print date would fall into two publication-date windows.
The effective cap is also learnt from the service: if it returns fewer IDs than asked
for and fewer than its Count, the window is split as if it were over the cap.

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
from datetime import date, timedelta
from typing import Literal

import httpx
from lxml import etree

from ketlit.errors import ParseError, QueryError
from ketlit.http import BadResponse, HttpClient
from ketlit.ids import PMID
from ketlit.sources.models import Article
from ketlit.sources.pubmed_parse import parse_pubmed_xml

DEFAULT_CAP = 9999
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
    """A slice of a query: creation dates ``lo``..``hi`` (inclusive) and optionally a PMID range."""

    lo: date
    hi: date
    uid_lo: int | None = None
    uid_hi: int | None = None

    def term(self, base: str) -> str:
        """``base`` restricted to this window's creation dates (and PMID range)."""
        text = f"({base}) AND ({self.lo:%Y/%m/%d}:{self.hi:%Y/%m/%d}[crdt])"
        if self.uid_lo is not None and self.uid_hi is not None:
            text += f" AND ({self.uid_lo}:{self.uid_hi}[uid])"
        return text


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
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml", "rettype": "xml"}

        def parse(response: httpx.Response) -> list[Article]:
            articles = parse_efetch(response)
            if on_body is not None:
                on_body(response.content, response.headers.get("content-type"))
            return articles

        url = self.base_url + "efetch.fcgi"
        method: Literal["GET", "POST"] = "POST" if len(pmids) > GET_ID_LIMIT else self.http.method_for(url, params)
        return self.http.request(method, url, parse, params=params)

    # -- splitting ----------------------------------------------------------------------
    def collect_ids(
        self,
        term: str,
        extra: dict[str, str],
        *,
        today: date,
        on_window: Callable[[Window, int], None] | None = None,
    ) -> tuple[int, list[str], int, list[str]]:
        """All PMIDs matching ``term``: (total count, ids newest first, windows used, warnings)."""
        first = self.esearch(term, retmax=min(self.cap, 10000), extra=extra)
        warnings = list(first.warnings)
        if first.count <= len(first.ids) or first.count == 0:
            return first.count, first.ids, 1, warnings
        if len(first.ids) < min(self.cap, first.count):
            self.cap = max(1, len(first.ids))
        seen: dict[str, None] = {}
        windows = 0
        for window, result in self._split(term, extra, Window(date(1700, 1, 1), today + timedelta(days=1))):
            windows += 1
            for pmid in result.ids:
                seen.setdefault(pmid, None)
            if on_window is not None:
                on_window(window, result.count)
        ids = sorted(seen, key=int, reverse=True)
        return first.count, ids, windows, warnings

    def _split(self, term: str, extra: dict[str, str], window: Window) -> Iterator[tuple[Window, SearchResult]]:
        result = self.esearch(window.term(term), retmax=min(self.cap, 10000), extra=extra)
        if result.count == 0 or result.count <= len(result.ids):
            yield window, result
            return
        if len(result.ids) < min(self.cap, result.count):
            # The service capped us below our setting: learn its cap.
            self.cap = max(1, len(result.ids))
        for half in _halves(window, result.ids):
            yield from self._split(term, extra, half)


def _halves(window: Window, ids: list[str]) -> list[Window]:
    if window.lo < window.hi:
        mid = window.lo + (window.hi - window.lo) // 2
        return [Window(window.lo, mid), Window(mid + timedelta(days=1), window.hi)]
    # One creation day over the cap: split by PMID range.
    lo = window.uid_lo if window.uid_lo is not None else 1
    hi = window.uid_hi if window.uid_hi is not None else max(100_000_000, *(int(i) for i in ids)) * 2
    if lo >= hi:
        raise QueryError(f"cannot split the query below the PubMed cap at PMID {lo} on {window.lo}")
    uid_mid = (lo + hi) // 2
    return [Window(window.lo, window.hi, lo, uid_mid), Window(window.lo, window.hi, uid_mid + 1, hi)]
