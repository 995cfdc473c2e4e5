"""Loopback stand-in for NCBI E-utilities (ESearch + EFetch on PubMed) for end-to-end tests.

The server speaks real HTTP on 127.0.0.1 so that ketlit's own HTTP stack (retries, rate limiting, POST for
long ID lists, parsing of in-band errors) is exercised exactly as against eutils.ncbi.nlm.nih.gov.  Response
shapes, headers and error texts are copied from recorded NCBI traffic and from issue threads of peer tools
(see shared/data/PROVENANCE.md and API_FACTS.md 1.1/1.2); where NCBI's exact wording is not on record the
message is marked "not verified" next to where it is produced.

Only the standard library and lxml are used so the stand-in cannot drift with ketlit's own dependencies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import random
import re
import sys
import threading
import time
import traceback
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as _xml_escape

from lxml import etree

__all__ = ["EutilsStandin", "Fault", "QuerySyntaxError", "RequestRecord"]

# --------------------------------------------------------------------------------------------------------------
# Wire constants (copied from real responses: biopython_esearch*.xml, the biocommons cassettes, peer-tool notes)
# --------------------------------------------------------------------------------------------------------------

BASE_PATH = "/entrez/eutils/"
ESEARCH_PATH = BASE_PATH + "esearch.fcgi"
EFETCH_PATH = BASE_PATH + "efetch.fcgi"

ESEARCH_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_PROLOG = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
# NCBI really spells the doctype "eEfetchResult" in efetch error documents.
EFETCH_ERROR_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)

XML_CT = "text/xml; charset=UTF-8"
JSON_CT = "application/json; charset=UTF-8"
HTML_CT = "text/html"

ESEARCH_DEFAULT_RETMAX = 20
ESEARCH_MAX_RETMAX = 10_000  # NBK25499; the PubMed cap (retstart_cap) then trims it to 9,999
EFETCH_DEFAULT_RETMAX = 20
EFETCH_MAX_RETMAX = 10_000
GET_ID_LIMIT = 200  # NBK25499: "more than about 200 UIDs ... should be made using the HTTP POST method"

FAULT_KINDS = ("500", "502", "503", "429", "truncated", "html")

_HTTP_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    414: "Request-URI Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


# --------------------------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """Injected faults; drawn per request from a seeded RNG so a failing test can be replayed exactly."""

    rate: float = 0.0  # probability that a request gets a fault
    kinds: tuple[str, ...] = FAULT_KINDS  # which kinds to draw from
    latency: float = 0.0  # seconds added to every response
    seed: int = 0

    def __post_init__(self) -> None:
        # Fail at construction: a typo in a kind would otherwise silently never fire.
        unknown = [k for k in self.kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {FAULT_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("Fault.rate must be within [0, 1]")
        if self.rate > 0 and not self.kinds:
            raise ValueError("Fault.rate > 0 needs at least one kind")
        if self.latency < 0:
            raise ValueError("Fault.latency must be >= 0")


@dataclass
class RequestRecord:
    """One request as the server saw it; tests assert on these (e.g. 'was POST used for 500 IDs?')."""

    method: str
    path: str
    params: dict[str, str]  # GET query and POST form merged (form wins); repeated keys joined with ","
    status: int
    fault: str | None
    client: str = ""  # rate-limit bucket: "key:<api_key>" or "ip:<address>"
    timestamp: float = 0.0  # time.time() when the request was answered


class QuerySyntaxError(ValueError):
    """Raised by matching_pmids() for a term the real service would reject (unbalanced parentheses etc.)."""


# --------------------------------------------------------------------------------------------------------------
# Text normalisation shared by the index and the query parser
# --------------------------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    # PubMed search is case- and accent-insensitive; NFKD + dropping combining marks mirrors that well enough.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(_fold(text)))


# (token text, is_prefix) -- a trailing "*" in the query turns the token into a prefix pattern.
_Pattern = tuple[str, bool]


def _patterns(raw: str) -> tuple[_Pattern, ...]:
    """Tokenise a query word/phrase; '*' directly after a token makes that token a prefix."""
    out: list[_Pattern] = []
    for m in re.finditer(r"[^\W_]+(\*)?", _fold(raw)):
        out.append((m.group(0).rstrip("*"), m.group(1) is not None))
    return tuple(out)


def _tok_match(tok: str, pat: _Pattern) -> bool:
    return tok.startswith(pat[0]) if pat[1] else tok == pat[0]


# --------------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
# Seasons appear in real PubDate/Month; map to the first month of the season (PubMed sorts them that way).
_SEASONS = {"winter": 1, "spring": 4, "summer": 7, "fall": 10, "autumn": 10}


def _month_number(text: str | None) -> int:
    if not text:
        return 1
    t = text.strip().lower()
    if t.isdigit():
        n = int(t)
        return n if 1 <= n <= 12 else 1
    if t[:3] in _MONTHS:
        return _MONTHS[t[:3]]
    return _SEASONS.get(t, 1)


def _safe_date(year: int, month: int, day: int) -> dt.date:
    # Real records carry impossible dates such as 2005-09-31 (API_FACTS 1.5); clamp rather than crash.
    month = min(max(month, 1), 12)
    for d in (day, 30, 29, 28):
        try:
            return dt.date(year, month, max(d, 1))
        except ValueError:
            continue
    return dt.date(year, month, 1)


def _element_date(el: etree._Element | None) -> dt.date | None:
    """Year/Month/Day children -> date (month may be a name, a number or a season)."""
    if el is None:
        return None
    year = el.findtext("Year")
    if year and year.strip().isdigit():
        day_text = (el.findtext("Day") or "1").strip()
        day = int(day_text) if day_text.isdigit() else 1
        return _safe_date(int(year), _month_number(el.findtext("Month") or el.findtext("Season")), day)
    medline = el.findtext("MedlineDate")
    if medline:
        # "1990 May-Jun", "Winter 2003-2004": the brief (and PubMed's own date parser) takes the first year.
        m = re.search(r"\b(\d{4})\b", medline)
        if m:
            return dt.date(int(m.group(1)), 1, 1)
    return None


_QDATE_RE = re.compile(r"^(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?$")


def _query_period(text: str) -> tuple[dt.date, dt.date] | None:
    """'2020' -> whole year, '2020/03' -> March, '2020/03/05' -> that day; None if not a date."""
    m = _QDATE_RE.match(text.strip())
    if not m:
        return None
    year = int(m.group(1))
    if year < 1:
        return None
    if m.group(2) is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    if m.group(3) is None:
        nxt = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return dt.date(year, month, 1), nxt - dt.timedelta(days=1)
    try:
        day = dt.date(year, month, int(m.group(3)))
    except ValueError:
        return None
    return day, day


def _fmt_date(d: dt.date) -> str:
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


# --------------------------------------------------------------------------------------------------------------
# Records and index
# --------------------------------------------------------------------------------------------------------------

# "contains" fields: a term matches when its tokens occur contiguously inside one segment (title, one abstract
# section, one keyword, one heading ...), so phrases never span two fields -- as in PubMed's phrase index.
_TEXT_FIELDS = ("ti", "ab", "ot", "au", "mh", "sh", "nm", "pt", "ta")
# "exact" fields: heading-like indexes where PubMed matches the whole heading ("ketamine"[mh] is the heading
# Ketamine, not any heading that contains the word).
_NAME_FIELDS = ("mh", "majr", "sh", "pt", "nm", "ta")

_COMPOSITE: dict[str, tuple[str, ...]] = {
    "ti": ("ti",),
    # PubMed [tiab] covers title, abstract, other abstract and author keywords.
    "tiab": ("ti", "ab", "ot"),
    "ot": ("ot",),
    "au": ("au",),
    "tw": ("ti", "ab", "ot", "mh", "sh", "nm", "pt"),
    "all": _TEXT_FIELDS,
}
_DATE_FIELDS = ("crdt", "edat", "pdat", "mdat")

# Query tag (lower-case, modifiers after ':' removed) -> canonical field.
_TAGS: dict[str, str] = {
    "tiab": "tiab",
    "title/abstract": "tiab",
    "ti": "ti",
    "title": "ti",
    "mh": "mh",
    "mesh": "mh",
    "mesh terms": "mh",
    "mesh term": "mh",
    "majr": "majr",
    "mesh major topic": "majr",
    "sh": "sh",
    "subheading": "sh",
    "mesh subheading": "sh",
    "pt": "pt",
    "publication type": "pt",
    "nm": "nm",
    "substance name": "nm",
    "supplementary concept": "nm",
    "ot": "ot",
    "other term": "ot",
    "kw": "ot",
    "keyword": "ot",
    "ta": "ta",
    "jour": "ta",
    "journal": "ta",
    "au": "au",
    "author": "au",
    "uid": "uid",
    "pmid": "uid",
    "all": "all",
    "all fields": "all",
    "tw": "tw",
    "text word": "tw",
    "crdt": "crdt",
    "date - create": "crdt",
    "edat": "edat",
    "date - entry": "edat",
    "dp": "pdat",
    "pdat": "pdat",
    "date - publication": "pdat",
    "publication date": "pdat",
    "mdat": "mdat",
    "lr": "mdat",
    "date - modification": "mdat",
}
_FIELD_DISPLAY = {
    "tiab": "Title/Abstract",
    "ti": "Title",
    "mh": "MeSH Terms",
    "majr": "MeSH Major Topic",
    "sh": "MeSH Subheading",
    "pt": "Publication Type",
    "nm": "Supplementary Concept",
    "ot": "Other Term",
    "ta": "Journal",
    "au": "Author",
    "uid": "UID",
    "all": "All Fields",
    "tw": "Text Word",
    "crdt": "Date - Create",
    "edat": "Date - Entry",
    "pdat": "Date - Publication",
    "mdat": "Date - Modification",
}

_DERIVED_MARK = b"ketlit-replay DERIVED"
# Replicas get PMIDs from here up: far above any real PMID (~40 million today), so they never collide.
REPLICA_PMID_BASE = 900_000_000
_OWN_PMID = re.compile(rb"(<MedlineCitation[^>]*>\s*<PMID[^>]*>)(\d+)(</PMID>)")


@dataclass
class _Record:
    pmid: str
    xml: bytes
    derived: bool  # synthetic replay record (carries the DERIVED comment); a real one wins on load
    segments: dict[str, list[tuple[str, ...]]]
    names: dict[str, set[str]]
    mesh_pairs: set[tuple[str, str]]  # (descriptor, qualifier) as normalised names, for "x/y"[mh]
    edat: dt.date | None
    pdates: list[dt.date]
    date_revised: dt.date | None


def _text(el: etree._Element) -> str:
    # itertext keeps the words inside <i>/<sup>/<b> (API_FACTS 1.5: naive .text loses them).
    return "".join(str(t) for t in el.itertext())


def _norm_name(text: str) -> str:
    return " ".join(_tokens(text))


def _build_record(art: etree._Element, xml: bytes) -> _Record | None:
    mc = art.find("MedlineCitation")
    if mc is None:
        return None
    pmid = (mc.findtext("PMID") or "").strip()
    if not pmid.isdigit():
        return None
    article = mc.find("Article")
    seg: dict[str, list[tuple[str, ...]]] = {f: [] for f in _TEXT_FIELDS}
    names: dict[str, set[str]] = {f: set() for f in _NAME_FIELDS}

    def add(fieldname: str, text: str, as_name: bool = False) -> None:
        toks = _tokens(text)
        if toks:
            seg[fieldname].append(toks)
            if as_name:
                names[fieldname].add(" ".join(toks))

    if article is not None:
        for t in article.findall("ArticleTitle"):
            add("ti", _text(t))
        for t in article.findall("Abstract/AbstractText"):
            add("ab", _text(t))
        for pt in article.findall("PublicationTypeList/PublicationType"):
            add("pt", _text(pt), as_name=True)
        for path in ("Journal/Title", "Journal/ISOAbbreviation"):
            for j in article.findall(path):
                add("ta", _text(j), as_name=True)
        for au in article.findall("AuthorList/Author"):
            last = au.findtext("LastName") or ""
            if last:
                add("au", f"{last} {au.findtext('Initials') or ''}")
                add("au", f"{last} {au.findtext('ForeName') or ''}")
            coll = au.findtext("CollectiveName")
            if coll:
                add("au", coll)
    for t in mc.findall("OtherAbstract/AbstractText"):
        add("ab", _text(t))
    for kw in mc.findall("KeywordList/Keyword"):
        add("ot", _text(kw))
    for ta in mc.findall("MedlineJournalInfo/MedlineTA"):
        add("ta", _text(ta), as_name=True)
    for path in ("ChemicalList/Chemical/NameOfSubstance", "SupplMeshList/SupplMeshName"):
        for nm in mc.findall(path):
            add("nm", _text(nm), as_name=True)
    pairs: set[tuple[str, str]] = set()
    for mh in mc.findall("MeshHeadingList/MeshHeading"):
        desc = mh.find("DescriptorName")
        if desc is None:
            continue
        dname = _norm_name(_text(desc))
        add("mh", _text(desc), as_name=True)
        major = desc.get("MajorTopicYN") == "Y"
        for q in mh.findall("QualifierName"):
            add("sh", _text(q), as_name=True)
            pairs.add((dname, _norm_name(_text(q))))
            major = major or q.get("MajorTopicYN") == "Y"
        if major and dname:
            names["majr"].add(dname)

    history = {p.get("PubStatus"): p for p in art.findall("PubmedData/History/PubMedPubDate")}
    edat = _element_date(history.get("entrez")) or _element_date(history.get("pubmed"))
    pdates: list[dt.date] = []
    if article is not None:
        pd = _element_date(article.find("Journal/JournalIssue/PubDate"))
        if pd:
            pdates.append(pd)
        # PubMed's [dp] also matches the electronic publication date, which is why slicing by [dp]
        # double-counts e-pub-ahead-of-print records (API_FACTS 1.2); keep that property.
        for ad in article.findall("ArticleDate"):
            d = _element_date(ad)
            if d:
                pdates.append(d)
    return _Record(
        pmid=pmid,
        xml=xml,
        derived=_DERIVED_MARK in xml,
        segments={f: s for f, s in seg.items() if s},
        names={f: n for f, n in names.items() if n},
        mesh_pairs=pairs,
        edat=edat,
        pdates=pdates,
        date_revised=_element_date(mc.find("DateRevised")),
    )


def _serialize(el: etree._Element) -> bytes:
    return etree.tostring(el, encoding="UTF-8", xml_declaration=False, with_tail=False)


def _safe_parser() -> etree.XMLParser:
    # Never fetch the DTD or any entity from the network: tests must stay offline and deterministic.
    return etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False, huge_tree=False)


def _iter_articles_file(path: Path) -> Iterator[tuple[etree._Element, bytes]]:
    ctx = etree.iterparse(
        str(path),
        events=("end",),
        tag="PubmedArticle",
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=False,
    )
    for _event, el in ctx:
        yield el, _serialize(el)
        # Free what has been consumed; the corpus can be large.
        el.clear(keep_tail=True)
        parent = el.getparent()
        while parent is not None and el.getprevious() is not None:
            del parent[0]


def _iter_articles_bytes(data: bytes) -> Iterator[tuple[etree._Element, bytes]]:
    root = etree.fromstring(data, _safe_parser())
    arts = [root] if root.tag == "PubmedArticle" else root.findall(".//PubmedArticle")
    for el in arts:
        yield el, _serialize(el)


# --------------------------------------------------------------------------------------------------------------
# Query language: lexer, left-to-right parser, evaluator
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Tok:
    kind: str  # "(", ")", ":", "WORD", "QUOTED", "TAG"
    value: str
    pos: int


def _lex(term: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(term)
    while i < n:
        c = term[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c == ":":
            toks.append(_Tok(":", c, i))
            i += 1
        elif c == '"':
            j = term.find('"', i + 1)
            if j < 0:
                raise QuerySyntaxError(f"unbalanced quotation marks at position {i}")
            toks.append(_Tok("QUOTED", term[i + 1 : j], i))
            i = j + 1
        elif c == "[":
            j = term.find("]", i + 1)
            if j < 0:
                raise QuerySyntaxError(f"unbalanced square brackets at position {i}")
            toks.append(_Tok("TAG", term[i + 1 : j].strip(), i))
            i = j + 1
        elif c == "]":
            raise QuerySyntaxError(f"unbalanced square brackets at position {i}")
        else:
            j = i
            while j < n and not term[j].isspace() and term[j] not in '()"[]':
                j += 1
            word = term[i:j]
            # Leading/trailing ':' belong to a spaced range ("2020[dp]: 2021[dp]"), inner ones stay in the
            # word so that "2020/01/01:2020/06/30[crdt]" and "1:7500[uid]" reach the parser intact.
            lead = len(word) - len(word.lstrip(":"))
            core = word.strip(":")
            for k in range(lead):
                toks.append(_Tok(":", ":", i + k))
            if core:
                toks.append(_Tok("WORD", core, i + lead))
            for k in range(len(word) - lead - len(core)):
                toks.append(_Tok(":", ":", i + lead + len(core) + k))
            i = j
    return toks


_OPS = ("AND", "OR", "NOT")


@dataclass
class _Node:
    grouped: bool = field(default=False, init=False)  # was written in parentheses (for QueryTranslation)


@dataclass
class _Text(_Node):
    raw: str
    pats: tuple[_Pattern, ...]
    fieldname: str  # canonical field
    quoted: bool
    tagged: bool
    prox: int | None = None


@dataclass
class _DateRange(_Node):
    fieldname: str
    start: dt.date
    end: dt.date


@dataclass
class _UidRange(_Node):
    lo: int
    hi: int


@dataclass
class _HistoryRef(_Node):
    key: str


@dataclass
class _Bool(_Node):
    op: str
    left: _Node
    right: _Node


@dataclass
class _Parsed:
    root: _Node
    fields_not_found: list[str]


class _Parser:
    """PubMed evaluates Boolean operators strictly left to right with equal precedence (PubMed User Guide),
    so "a OR b AND c" is "(a OR b) AND c"; adjacent terms without an operator are ANDed."""

    def __init__(self, term: str, default_field: str) -> None:
        self.toks = _lex(term)
        self.i = 0
        self.default_field = default_field
        self.fields_not_found: list[str] = []

    def parse(self) -> _Parsed:
        if not self.toks:
            raise QuerySyntaxError("empty query")
        node = self._expr(top=True)
        if self.i < len(self.toks):  # only a stray ')' can stop the top-level loop early
            raise QuerySyntaxError(f"unbalanced parentheses at position {self.toks[self.i].pos}")
        return _Parsed(node, self.fields_not_found)

    def _peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _is_op(self, tok: _Tok | None) -> bool:
        return tok is not None and tok.kind == "WORD" and tok.value in _OPS

    def _expr(self, top: bool = False) -> _Node:
        node = self._unit()
        while True:
            tok = self._peek()
            if tok is None or tok.kind == ")":
                if tok is not None and top:
                    raise QuerySyntaxError(f"unbalanced parentheses at position {tok.pos}")
                return node
            op = "AND"
            if self._is_op(tok):
                op = tok.value
                self.i += 1
                nxt = self._peek()
                if nxt is None or nxt.kind == ")" or self._is_op(nxt):
                    raise QuerySyntaxError(f"operator {op} without a right-hand operand at position {tok.pos}")
            node = _Bool(op, node, self._unit())

    def _unit(self) -> _Node:
        tok = self._peek()
        if tok is None:
            raise QuerySyntaxError("unexpected end of query")
        if tok.kind == "(":
            self.i += 1
            if (nxt := self._peek()) is not None and nxt.kind == ")":
                raise QuerySyntaxError(f"empty parentheses at position {tok.pos}")
            if nxt is None:
                raise QuerySyntaxError(f"unbalanced parentheses at position {tok.pos}")
            inner = self._expr()
            close = self._peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError(f"unbalanced parentheses at position {tok.pos}")
            self.i += 1
            inner.grouped = True
            # "(a OR b)[tiab]" is not PubMed syntax; tolerate and ignore a tag here rather than guess.
            if (t := self._peek()) is not None and t.kind == "TAG":
                self.i += 1
            return inner
        if tok.kind == ")":
            raise QuerySyntaxError(f"unbalanced parentheses at position {tok.pos}")
        if tok.kind in (":", "TAG"):
            raise QuerySyntaxError(f"unexpected '{tok.value}' at position {tok.pos}")
        if self._is_op(tok):
            raise QuerySyntaxError(f"operator {tok.value} without a left-hand operand at position {tok.pos}")
        return self._term()

    def _atom(self) -> tuple[str, bool, str | None, int] | None:
        """One quoted phrase or a run of bare words, plus its tag. A tag after several bare words applies to
        them as one phrase (PubMed: 'kidney allograft[tw]' is a phrase search); without a tag only the first
        word is taken and the caller ANDs the rest."""
        tok = self._peek()
        if tok is None:
            return None
        if tok.kind == "QUOTED":
            self.i += 1
            tag = self._tag()
            return tok.value, True, tag, tok.pos
        if tok.kind != "WORD" or tok.value in _OPS:
            return None
        j = self.i
        while j < len(self.toks) and self.toks[j].kind == "WORD" and self.toks[j].value not in _OPS:
            j += 1
        if j < len(self.toks) and self.toks[j].kind == "TAG":
            raw = " ".join(t.value for t in self.toks[self.i : j])
            self.i = j
            return raw, False, self._tag(), tok.pos
        self.i += 1
        return tok.value, False, None, tok.pos

    def _tag(self) -> str | None:
        tok = self._peek()
        if tok is not None and tok.kind == "TAG":
            self.i += 1
            return tok.value
        return None

    def _resolve_tag(self, tag: str | None) -> tuple[str, int | None, bool]:
        """-> (canonical field, proximity, tagged)."""
        if tag is None:
            return self.default_field, None, False
        name, _, modifier = tag.partition(":")
        key = " ".join(name.lower().split())
        prox = None
        m = re.fullmatch(r"\s*~\s*(\d+)\s*", modifier)
        if m:
            prox = int(m.group(1))
        canonical = _TAGS.get(key)
        if canonical is None:
            # Real PubMed reports an unknown tag in FieldNotFound and searches the text in all fields.
            self.fields_not_found.append(name.strip())
            return "all", prox, False
        return canonical, prox, True

    def _term(self) -> _Node:
        first = self._atom()
        assert first is not None  # _unit checked the token kind
        raw, quoted, tag, pos = first
        fieldname, prox, tagged = self._resolve_tag(tag)
        nxt = self._peek()
        if nxt is not None and nxt.kind == ":":
            # Spaced range: "2020/01/01"[crdt] : "2020/06/30"[crdt]
            self.i += 1
            second = self._atom()
            if second is None:
                raise QuerySyntaxError(f"incomplete range at position {nxt.pos}")
            raw2, _q2, tag2, _pos2 = second
            field2, _p2, tagged2 = self._resolve_tag(tag2)
            rng_field = field2 if tagged2 else fieldname
            return self._range(rng_field, raw, raw2, pos)
        if fieldname in _DATE_FIELDS or fieldname == "uid":
            if ":" in raw:
                lo, _, hi = raw.partition(":")
                return self._range(fieldname, lo, hi, pos)
            return self._range(fieldname, raw, raw, pos)
        m = re.fullmatch(r"#(\d+)", raw.strip())
        if m and not quoted and not tagged:
            return _HistoryRef(m.group(1))
        pats = _patterns(raw)
        if not pats:
            raise QuerySyntaxError(f"term without searchable characters at position {pos}")
        return _Text(raw=raw, pats=pats, fieldname=fieldname, quoted=quoted, tagged=tagged, prox=prox)

    @staticmethod
    def _range(fieldname: str, lo: str, hi: str, pos: int) -> _Node:
        if fieldname == "uid":
            if not (lo.strip().isdigit() and hi.strip().isdigit()):
                raise QuerySyntaxError(f"invalid UID range at position {pos}")
            a, b = int(lo), int(hi)
            return _UidRange(min(a, b), max(a, b))
        if fieldname not in _DATE_FIELDS:
            raise QuerySyntaxError(f"range on a field that is not a date or UID field at position {pos}")
        p1, p2 = _query_period(lo), _query_period(hi)
        if p1 is None or p2 is None:
            raise QuerySyntaxError(f"invalid date at position {pos}")
        return _DateRange(fieldname, p1[0], p2[1])


def _translate(node: _Node) -> str:
    """A QueryTranslation in PubMed's style (no automatic term mapping: the stand-in has no MeSH thesaurus)."""
    if isinstance(node, _Text):
        disp = _FIELD_DISPLAY.get(node.fieldname, "All Fields")
        body = f'"{node.raw}"' if (node.quoted or " " in node.raw) else node.raw
        s = f"{body}[{disp}]"
    elif isinstance(node, _DateRange):
        s = f"{_fmt_date(node.start)}:{_fmt_date(node.end)}[{_FIELD_DISPLAY[node.fieldname]}]"
    elif isinstance(node, _UidRange):
        s = f"{node.lo}:{node.hi}[UID]" if node.lo != node.hi else f"{node.lo}[UID]"
    elif isinstance(node, _HistoryRef):
        s = f"#{node.key}"
    elif isinstance(node, _Bool):
        s = f"{_translate(node.left)} {node.op} {_translate(node.right)}"
    else:  # pragma: no cover - exhaustive
        raise TypeError(node)
    return f"({s})" if node.grouped else s


class _HistoryError(Exception):
    pass


@dataclass
class _EvalNotes:
    phrases_not_found: list[str] = field(default_factory=list)
    quoted_not_found: list[str] = field(default_factory=list)


class _Index:
    """Records plus inverted indexes. Not thread-safe by itself: EutilsStandin holds its lock around it."""

    def __init__(self) -> None:
        self.records: dict[str, _Record] = {}
        self.postings: dict[str, dict[str, set[str]]] = {f: {} for f in _TEXT_FIELDS}
        self.name_index: dict[str, dict[str, set[str]]] = {f: {} for f in _NAME_FIELDS}
        self.revised: dict[str, dt.date] = {}

    # -- maintenance ------------------------------------------------------------------------------------------
    def put(self, rec: _Record) -> None:
        if rec.pmid in self.records:
            self.remove(rec.pmid)
        self.records[rec.pmid] = rec
        for f, segs in rec.segments.items():
            post = self.postings[f]
            for tok in {t for s in segs for t in s}:
                post.setdefault(tok, set()).add(rec.pmid)
        for f, ns in rec.names.items():
            idx = self.name_index[f]
            for nm in ns:
                idx.setdefault(nm, set()).add(rec.pmid)

    def remove(self, pmid: str) -> None:
        rec = self.records.pop(pmid)
        for f, segs in rec.segments.items():
            post = self.postings[f]
            for tok in {t for s in segs for t in s}:
                bucket = post.get(tok)
                if bucket is not None:
                    bucket.discard(pmid)
                    if not bucket:
                        del post[tok]
        for f, ns in rec.names.items():
            idx = self.name_index[f]
            for nm in ns:
                bucket = idx.get(nm)
                if bucket is not None:
                    bucket.discard(pmid)
                    if not bucket:
                        del idx[nm]

    def mdat(self, rec: _Record) -> dt.date | None:
        dates = [d for d in (rec.edat, rec.date_revised, self.revised.get(rec.pmid)) if d is not None]
        return max(dates) if dates else None

    def record_dates(self, rec: _Record, fieldname: str) -> list[dt.date]:
        if fieldname in ("crdt", "edat"):
            return [rec.edat] if rec.edat else []
        if fieldname == "pdat":
            return rec.pdates
        m = self.mdat(rec)
        return [m] if m else []

    # -- evaluation -------------------------------------------------------------------------------------------
    def evaluate(
        self,
        node: _Node,
        notes: _EvalNotes,
        history: dict[str, list[str]] | None,
        drop_unfound: bool,
    ) -> set[str] | None:
        """Set of matching PMIDs; None means 'term ignored' (only with drop_unfound, like real PubMed)."""
        if isinstance(node, _Bool):
            left = self.evaluate(node.left, notes, history, drop_unfound)
            right = self.evaluate(node.right, notes, history, drop_unfound)
            if left is None or right is None:
                return right if left is None else left
            if node.op == "AND":
                return left & right
            if node.op == "OR":
                return left | right
            return left - right
        if isinstance(node, _UidRange):
            return {p for p in self.records if node.lo <= int(p) <= node.hi}
        if isinstance(node, _DateRange):
            return {
                p
                for p, r in self.records.items()
                if any(node.start <= d <= node.end for d in self.record_dates(r, node.fieldname))
            }
        if isinstance(node, _HistoryRef):
            if history is None or node.key not in history:
                raise _HistoryError(node.key)
            return set(history[node.key]) & self.records.keys()
        assert isinstance(node, _Text)
        hits = self._match_text(node)
        if not hits:
            label = node.raw if not node.tagged else f"{node.raw}[{_FIELD_DISPLAY[node.fieldname]}]"
            (notes.quoted_not_found if node.quoted else notes.phrases_not_found).append(label)
            if drop_unfound:
                return None
        return hits

    def _postings_for(self, fieldname: str, pat: _Pattern) -> set[str]:
        post = self.postings[fieldname]
        if not pat[1]:
            return post.get(pat[0], set())
        out: set[str] = set()
        for tok, pmids in post.items():
            if tok.startswith(pat[0]):
                out |= pmids
        return out

    def _match_text(self, node: _Text) -> set[str]:
        f = node.fieldname
        if f in _NAME_FIELDS:
            return self._match_name(node)
        out: set[str] = set()
        if f == "all" and not node.quoted and node.raw.strip().isdigit() and node.raw.strip() in self.records:
            # A bare number is also looked up as a PMID (PubMed's automatic term mapping does this).
            out.add(node.raw.strip())
        for sub in _COMPOSITE[f]:
            cand: set[str] | None = None
            for pat in node.pats:
                s = self._postings_for(sub, pat)
                cand = set(s) if cand is None else cand & s
                if not cand:
                    break
            if not cand:
                continue
            if len(node.pats) == 1 and node.prox is None:
                out |= cand
                continue
            out |= {
                p
                for p in cand
                if any(_segment_match(s, node.pats, node.prox) for s in self.records[p].segments.get(sub, ()))
            }
        return out

    def _match_name(self, node: _Text) -> set[str]:
        f = node.fieldname
        if f in ("mh", "majr") and "/" in node.raw:
            # "ketamine/therapeutic use"[mh]: descriptor with that qualifier.
            d_raw, _, q_raw = node.raw.partition("/")
            dname, qname = _norm_name(d_raw), _norm_name(q_raw.lstrip("*"))
            return {
                p
                for p, r in self.records.items()
                if (dname, qname) in r.mesh_pairs and (f == "mh" or dname in r.names.get("majr", ()))
            }
        idx = self.name_index[f]
        words = [p[0] for p in node.pats]
        target = " ".join(words)
        if not node.pats[-1][1]:
            return set(idx.get(target, set()))
        out: set[str] = set()
        for nm, pmids in idx.items():
            if nm.startswith(target):
                out |= pmids
        return out


def _segment_match(seg: tuple[str, ...], pats: tuple[_Pattern, ...], prox: int | None) -> bool:
    k = len(pats)
    if prox is None or prox == 0:
        return any(all(_tok_match(seg[i + j], pats[j]) for j in range(k)) for i in range(len(seg) - k + 1))
    # Proximity [tiab:~N]: all tokens inside a window of k + N consecutive tokens, any order.
    width = k + prox
    for i in range(max(1, len(seg) - width + 1)):
        win = seg[i : i + width]
        if all(any(_tok_match(t, p) for t in win) for p in pats):
            return True
    return False


# --------------------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Response:
    status: int
    content_type: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


class _EsearchFail(Exception):
    """An in-band ESearch error document (HTTP 200 with <ERROR> by default)."""

    def __init__(self, message: str, status: int = 200, raw_newlines: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.raw_newlines = raw_newlines


class _EfetchFail(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _html_page(status: int, title: str, text: str) -> bytes:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1>\n<p>{text}</p>\n</body></html>\n"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    standin: ClassVar[EutilsStandin]
    protocol_version = "HTTP/1.1"  # keep-alive like the real host; every response carries Content-Length
    timeout = 10  # close idle keep-alive connections so stop() never waits on a parked client
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle + delayed ACK adds ~40 ms to
    # every keep-alive response, which would make rate-limit tests depend on timing luck.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return "Finatra"  # what eutils.ncbi.nlm.nih.gov sends (cassettes)

    def log_message(self, format: str, *args: Any) -> None:
        return  # silence: the request log lives in EutilsStandin.requests

    def do_GET(self) -> None:
        self._serve("GET", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(length) if length > 0 else b"")

    def _serve(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.path)
        params = _merge_params(parts.query, body if method == "POST" else b"")
        resp, delay = self.standin._dispatch(method, parts.path, params, self.client_address[0])
        if delay > 0:
            time.sleep(delay)  # outside the lock: other clients keep being served meanwhile
        self.send_response(resp.status, _HTTP_REASONS.get(resp.status))
        self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        # The client may have given up (e.g. its timeout fired during injected latency).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(resp.body)


def _merge_params(query: str, form: bytes) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for source in (query, form.decode("utf-8", "replace")):
        seen: dict[str, list[str]] = {}
        for k, v in parse_qsl(source, keep_blank_values=True):
            seen.setdefault(k, []).append(v)
        merged.update(seen)  # POST form overrides the query string, key by key
    return {k: ",".join(v) for k, v in merged.items()}


# --------------------------------------------------------------------------------------------------------------
# The stand-in
# --------------------------------------------------------------------------------------------------------------


class EutilsStandin:
    """Serves ESearch and EFetch for db=pubmed from a corpus of efetch XML files.

    Extra keyword arguments beyond the agreed API (all defaulted, all optional):
    ``esearch_cap_status``/``efetch_cap_status`` -- HTTP status of the retstart-cap error documents (peer notes
    disagree whether NCBI sends 200 or 400 for ESearch; EFetch fakes in peer tools use 400);
    ``drop_unfound_terms`` -- real PubMed silently drops a term it cannot find and searches the rest ("A AND
    zzqx" behaves like "A", with zzqx in PhraseNotFound); default False makes such a term match nothing;
    ``max_get_ids`` -- GET id lists longer than this get HTTP 414.
    """

    def __init__(
        self,
        corpus_files: list[Path],
        *,
        retstart_cap: int = 9999,
        rate_limit: float | None = 3.0,
        keyed_rate_limit: float = 10.0,
        fault: Fault | None = None,
        esearch_cap_status: int = 200,
        efetch_cap_status: int = 400,
        drop_unfound_terms: bool = False,
        max_get_ids: int = GET_ID_LIMIT,
    ) -> None:
        if retstart_cap < 1:
            raise ValueError("retstart_cap must be >= 1")
        self.retstart_cap = retstart_cap
        self.rate_limit = rate_limit
        self.keyed_rate_limit = keyed_rate_limit
        self.fault = fault or Fault()
        self.esearch_cap_status = esearch_cap_status
        self.efetch_cap_status = efetch_cap_status
        self.drop_unfound_terms = drop_unfound_terms
        self.max_get_ids = max_get_ids
        self.requests: list[RequestRecord] = []

        self._lock = threading.RLock()
        self._index = _Index()
        self._rng = random.Random(self.fault.seed)
        self._windows: dict[str, deque[float]] = {}
        self._history: dict[str, dict[str, list[str]]] = {}
        self._webenv_counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sid = hashlib.sha1(f"ketlit-standin-{self.fault.seed}".encode()).hexdigest()[:16].upper()

        for path in corpus_files:
            for el, xml in _iter_articles_file(Path(path)):
                rec = _build_record(el, xml)
                if rec is None:
                    continue
                old = self._index.records.get(rec.pmid)
                # A PMID present in both a real and a DERIVED replay file is served from the real record,
                # whatever order the files were given in (PROVENANCE 7: PMID 32316080).
                if old is not None and rec.derived and not old.derived:
                    continue
                self._index.put(rec)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> str:
        if self._server is not None:
            raise RuntimeError("EutilsStandin already started")
        handler = type("_BoundHandler", (_Handler,), {"standin": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        # A short poll interval keeps stop() fast (shutdown waits for the next poll), which matters for tests
        # that start many servers.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="eutils-standin", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("EutilsStandin not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{BASE_PATH}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EutilsStandin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- corpus manipulation ----------------------------------------------------------------------------------
    def add_records(self, xml_bytes: bytes) -> None:
        """Add PubmedArticle records (a PubmedArticleSet or a single PubmedArticle); an existing PMID is replaced,
        which is how a revised record looks to a client that fetches it again."""
        with self._lock:
            for el, xml in _iter_articles_bytes(xml_bytes):
                rec = _build_record(el, xml)
                if rec is not None:
                    self._index.put(rec)

    def replicate(self, copies: int, pmid_base: int = REPLICA_PMID_BASE) -> int:
        """Serve ``copies`` copies of every record (the original counts as the first), each further copy
        under a new PMID from ``pmid_base`` up (rewritten in ``MedlineCitation/PMID`` and the record's own
        ``ArticleId IdType="pubmed"``), with the same text, dates and index entries: a large corpus for
        benchmarks without parsing it again. Returns how many records are served."""
        if copies < 1:
            raise ValueError("copies must be >= 1")
        with self._lock:
            originals = sorted(self._index.records.values(), key=lambda r: int(r.pmid))
            serial = pmid_base
            for _ in range(copies - 1):
                for rec in originals:
                    new = str(serial)
                    serial += 1
                    xml = _OWN_PMID.sub(rb"\g<1>" + new.encode() + rb"\g<3>", rec.xml, count=1)
                    xml = xml.replace(
                        b'<ArticleId IdType="pubmed">' + rec.pmid.encode() + b"</ArticleId>",
                        b'<ArticleId IdType="pubmed">' + new.encode() + b"</ArticleId>",
                    )
                    self._index.put(dataclasses.replace(rec, pmid=new, xml=xml))
            return len(self._index.records)

    def revise(self, pmid: str, date: dt.date) -> None:
        """Mark a record revised on ``date``: its mdat moves forward and the served XML's DateRevised follows,
        so an incremental refresh sees both a new [mdat] hit and a changed record."""
        with self._lock:
            rec = self._index.records.get(pmid)
            if rec is None:
                raise KeyError(pmid)
            prev = self._index.revised.get(pmid)
            self._index.revised[pmid] = max(date, prev) if prev else date
            new_date = max(d for d in (date, rec.date_revised) if d is not None)
            art = etree.fromstring(rec.xml, _safe_parser())
            mc = art.find("MedlineCitation")
            assert mc is not None
            dr = mc.find("DateRevised")
            if dr is None:
                # DTD order: PMID, DateCompleted?, DateRevised?, Article ...
                dr = etree.Element("DateRevised")
                anchor = mc.find("DateCompleted")
                if anchor is None:
                    anchor = mc.find("PMID")
                if anchor is not None:
                    anchor.addnext(dr)
                else:
                    mc.insert(0, dr)
            for child in list(dr):
                dr.remove(child)
            for tag, val in (
                ("Year", f"{new_date.year:04d}"),
                ("Month", f"{new_date.month:02d}"),
                ("Day", f"{new_date.day:02d}"),
            ):
                etree.SubElement(dr, tag).text = val
            new = _build_record(art, _serialize(art))
            assert new is not None
            new.derived = rec.derived
            self._index.put(new)

    def matching_pmids(self, term: str) -> set[str]:
        """What ESearch would count for ``term`` (same parser and evaluator). Raises QuerySyntaxError."""
        with self._lock:
            parsed = _Parser(term, "all").parse()
            try:
                hits = self._index.evaluate(parsed.root, _EvalNotes(), None, self.drop_unfound_terms)
            except _HistoryError as exc:
                raise QuerySyntaxError(f"history reference #{exc} needs a WebEnv") from None
            return set(hits or ())

    @property
    def pmids(self) -> set[str]:
        """All PMIDs currently served."""
        with self._lock:
            return set(self._index.records)

    # -- request dispatch (called from handler threads) ------------------------------------------------------
    def _dispatch(self, method: str, path: str, params: dict[str, str], ip: str) -> tuple[_Response, float]:
        with self._lock:
            fault_kind: str | None = None
            api_key = params.get("api_key") or ""
            client = f"key:{api_key}" if api_key else f"ip:{ip}"
            try:
                resp = self._too_long(method, path, params)
                if resp is None:
                    count, limit, limited = self._count_request(client, bool(api_key))
                    if limited:
                        resp = self._rate_limited(count, limit)
                    else:
                        fault_kind = self._draw_fault()
                        if fault_kind in (None, "truncated"):
                            resp = self._route(path, params)
                            if resp.status != 404:
                                resp.headers += self._limit_headers(limit, count)
                            if fault_kind == "truncated":
                                resp = self._truncate(resp)
                        else:
                            # Proxy/gateway failures: the request never reached the E-utilities backend.
                            resp = self._faulty(fault_kind, count, limit)
            except Exception:  # a bug in the stand-in must show up as a 500, not a hung client
                traceback.print_exc(file=sys.stderr)
                resp = _Response(500, HTML_CT, _html_page(500, "500 Internal Server Error", "stand-in crashed"))
            self.requests.append(
                RequestRecord(method, path, dict(params), resp.status, fault_kind, client, time.time())
            )
            return resp, self.fault.latency

    def _too_long(self, method: str, path: str, params: dict[str, str]) -> _Response | None:
        # NCBI's front end refuses long GET URLs before the API sees them (rentrez#97), so no rate-limit
        # accounting and no fault draw for these.
        if method == "GET" and path == EFETCH_PATH:
            ids = [x for x in re.split(r"[,\s]+", params.get("id", "")) if x]
            if len(ids) > self.max_get_ids:
                body = (
                    b"<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n"
                    b"<center><h1>414 Request-URI Too Large</h1></center>\r\n</body>\r\n</html>\r\n"
                )
                return _Response(414, HTML_CT, body)
        return None

    def _count_request(self, client: str, keyed: bool) -> tuple[int, float, bool]:
        """Sliding one-second window per client; every arriving request (even a refused one) counts, which is
        what makes hammering after a 429 keep failing until the client backs off."""
        now = time.monotonic()
        win = self._windows.setdefault(client, deque())
        while win and win[0] <= now - 1.0:
            win.popleft()
        win.append(now)
        limit = self.keyed_rate_limit if keyed else (self.rate_limit if self.rate_limit is not None else 3.0)
        limited = self.rate_limit is not None and len(win) > limit
        return len(win), limit, limited

    def _limit_headers(self, limit: float, count: int) -> list[tuple[str, str]]:
        # With limiting disabled the headers stay (clients may log them) but never read as exhausted, so a
        # client that paces itself on X-RateLimit-Remaining does not slow down for nothing.
        remaining = int(limit) - 1 if self.rate_limit is None else max(0, int(limit) - count)
        return [("X-RateLimit-Limit", str(int(limit))), ("X-RateLimit-Remaining", str(remaining))]

    def _rate_limited(self, count: int, limit: float) -> _Response:
        # Body and headers as NCBI sends them (API_FACTS 1.1); deliberately no Retry-After.
        body = json.dumps({"error": "API rate limit exceeded", "count": str(count)}, separators=(",", ":"))
        return _Response(429, "application/json", body.encode(), self._limit_headers(limit, max(count, 0)))

    def _draw_fault(self) -> str | None:
        f = self.fault
        if f.rate <= 0 or not f.kinds:
            return None
        if self._rng.random() < f.rate:
            return self._rng.choice(f.kinds)
        return None

    def _faulty(self, kind: str | None, count: int, limit: float) -> _Response:
        if kind == "429":
            return self._rate_limited(max(count, int(limit) + 1), limit)
        if kind == "html":
            # The classic "200 OK but an HTML error page" that breaks XML parsers (ReCiter#166).
            page = (
                b'<!DOCTYPE html>\n<html lang="en"><head><title>Error - NCBI</title></head>\n<body>\n'
                b"<h1>Error</h1>\n<p>The service is temporarily unavailable. Please try again later.</p>\n"
                b"</body></html>\n"
            )
            return _Response(200, HTML_CT, page)
        titles = {"500": "500 Internal Server Error", "502": "502 Bad Gateway", "503": "503 Service Unavailable"}
        assert kind in titles
        return _Response(int(kind), HTML_CT, _html_page(int(kind), titles[kind], "Error: please try again later."))

    def _truncate(self, resp: _Response) -> _Response:
        # Content-Length matches the cut body, so the HTTP layer sees a complete message whose payload is a
        # broken document -- the truncated-page failure clients must detect by parsing, not by transport errors.
        if len(resp.body) > 1:
            resp.body = resp.body[: self._rng.randint(1, len(resp.body) - 1)]
        return resp

    def _route(self, path: str, params: dict[str, str]) -> _Response:
        if path == ESEARCH_PATH:
            return self._esearch(params)
        if path == EFETCH_PATH:
            return self._efetch(params)
        return _Response(404, HTML_CT, _html_page(404, "404 Not Found", f"{path} is not served by the stand-in"))

    def _success_headers(self) -> list[tuple[str, str]]:
        return [
            ("Cache-Control", "private"),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "X-RateLimit-Limit,X-RateLimit-Remaining"),
            ("NCBI-SID", f"{self._sid}_0000SID"),
            ("NCBI-PHID", f"{self._sid}{len(self.requests):016X}"),
        ]

    # -- ESearch ----------------------------------------------------------------------------------------------
    def _esearch(self, params: dict[str, str]) -> _Response:
        as_json = params.get("retmode", "xml").lower() == "json"
        try:
            return self._esearch_inner(params, as_json)
        except _EsearchFail as fail:
            if as_json:
                text = json.dumps(
                    {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {"ERROR": fail.message}},
                    separators=(",", ":"),
                    ensure_ascii=False,
                )
                if fail.raw_newlines:
                    # NCBI puts the message's newline into the JSON string unescaped, so strict JSON decoders
                    # fail with "Invalid control character at: line 1 column 105 (char 104)" (paperscraper#40).
                    text = text.replace("\\n", "\n")
                return _Response(fail.status, JSON_CT, text.encode(), self._success_headers())
            body = f"{ESEARCH_PROLOG}<eSearchResult><ERROR>{_xml_escape(fail.message)}</ERROR></eSearchResult>\n"
            return _Response(fail.status, XML_CT, body.encode(), self._success_headers())

    def _check_db(self, params: dict[str, str]) -> str | None:
        db = params.get("db", "pubmed").strip() or "pubmed"  # E-utilities default db is pubmed
        return None if db.lower() == "pubmed" else db

    @staticmethod
    def _int_param(params: dict[str, str], name: str, default: int) -> int:
        raw = params.get(name, "").strip()
        if raw == "":
            return default
        try:
            return max(0, int(raw))
        except ValueError:
            raise _EsearchFail(f"Invalid {name} parameter: {raw}") from None  # wording not verified

    def _date_filter(self, params: dict[str, str]) -> _Node | None:
        mindate, maxdate = params.get("mindate", "").strip(), params.get("maxdate", "").strip()
        reldate = params.get("reldate", "").strip()
        if not (mindate or maxdate or reldate):
            return None
        datetype = params.get("datetype", "pdat").strip().lower() or "pdat"
        fieldname = _TAGS.get(datetype)
        if fieldname not in _DATE_FIELDS:
            raise _EsearchFail(f"Invalid datetype: {datetype}")  # wording not verified
        if reldate and not (mindate or maxdate):
            if not reldate.isdigit():
                raise _EsearchFail(f"Invalid reldate: {reldate}")
            today = dt.date.today()
            return _DateRange(fieldname, today - dt.timedelta(days=int(reldate)), today)
        lo = _query_period(mindate) if mindate else (dt.date(1, 1, 1), dt.date(1, 1, 1))
        hi = _query_period(maxdate) if maxdate else (dt.date(9999, 12, 31), dt.date(9999, 12, 31))
        if lo is None or hi is None:
            raise _EsearchFail(f"Invalid date format: {mindate if lo is None else maxdate}")
        return _DateRange(fieldname, lo[0], hi[1])

    def _esearch_inner(self, params: dict[str, str], as_json: bool) -> _Response:
        bad_db = self._check_db(params)
        if bad_db is not None:
            raise _EsearchFail(f"Invalid db name specified: {bad_db}")  # real wording (2012 JSON sample)
        term = params.get("term", "").strip()
        webenv = params.get("WebEnv", params.get("webenv", "")).strip()
        query_key = params.get("query_key", "").strip()
        if not term and not query_key:
            raise _EsearchFail("Empty term and query_key - nothing todo")
        history: dict[str, list[str]] | None = None
        if webenv:
            history = self._history.get(webenv)
            if history is None:
                raise _EsearchFail(f"Cannot retrieve history data. WebEnv: {webenv}")  # wording not verified

        default_field = "all"
        if params.get("field"):
            default_field = _TAGS.get(" ".join(params["field"].lower().split()), "all")
        fields_not_found: list[str] = []
        root: _Node
        if term:
            try:
                parsed = _Parser(term, default_field).parse()
            except QuerySyntaxError as exc:
                # Wording not verified against NCBI; shape (HTTP 200, <ERROR>/"ERROR") is the real one.
                raise _EsearchFail(f"Search Backend failed: Exception: Query syntax error: {exc}") from None
            root = parsed.root
            fields_not_found = parsed.fields_not_found
            if query_key:
                root = _Bool("AND", _HistoryRef(query_key), root)
        else:
            root = _HistoryRef(query_key)
        date_node = self._date_filter(params)
        if date_node is not None:
            root.grouped = root.grouped or isinstance(root, _Bool)
            root = _Bool("AND", root, date_node)

        notes = _EvalNotes()
        try:
            hits = self._index.evaluate(root, notes, history, self.drop_unfound_terms)
        except _HistoryError as exc:
            raise _EsearchFail(
                f"Cannot retrieve history data. query_key: {exc}, WebEnv: {webenv or '(none)'}"
            ) from None
        ids = sorted(hits or (), key=int, reverse=True)  # E-utilities default order: newest PMIDs first
        if params.get("sort", "").lower() in ("pub_date", "pub+date", "pub date"):
            recs = self._index.records
            ids.sort(key=lambda p: (max(recs[p].pdates) if recs[p].pdates else dt.date.min, int(p)), reverse=True)

        retstart = self._int_param(params, "retstart", 0)
        retmax = min(self._int_param(params, "retmax", ESEARCH_DEFAULT_RETMAX), ESEARCH_MAX_RETMAX)
        cap = self.retstart_cap
        messages: list[str] = []
        if retstart > cap - 1:
            raise _EsearchFail(self._cap_message(cap), status=self.esearch_cap_status, raw_newlines=True)
        if retstart + retmax > cap:
            retmax = cap - retstart
            messages.append(f"Restrictions achieved. start and count adjusted to {retstart}, {retmax}")

        querykey_out = webenv_out = None
        if params.get("usehistory", "").lower() == "y":
            webenv_out = webenv or self._new_webenv()
            env = self._history.setdefault(webenv_out, {})
            querykey_out = str(len(env) + 1)
            env[querykey_out] = ids  # NCBI stores the whole set; the cap bites when it is paged out

        page = ids[retstart : retstart + retmax]
        count = len(ids)
        if count == 0:
            messages.append("No items found.")
        translation = _translate(root)

        if params.get("rettype", "").lower() == "count":
            if as_json:
                doc = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {"count": str(count)}}
                return _Response(200, JSON_CT, json.dumps(doc, separators=(",", ":")).encode(), self._success_headers())
            body = f"{ESEARCH_PROLOG}<eSearchResult><Count>{count}</Count></eSearchResult>\n"
            return _Response(200, XML_CT, body.encode(), self._success_headers())

        if as_json:
            res: dict[str, Any] = {"count": str(count), "retmax": str(len(page)), "retstart": str(retstart)}
            if querykey_out is not None:
                res["querykey"] = querykey_out
                res["webenv"] = webenv_out
            res["idlist"] = page
            res["translationset"] = []
            res["querytranslation"] = translation
            if notes.phrases_not_found or fields_not_found:
                res["errorlist"] = {"phrasesnotfound": notes.phrases_not_found, "fieldsnotfound": fields_not_found}
            if messages or notes.quoted_not_found:
                res["warninglist"] = {
                    "phrasesignored": [],
                    "quotedphrasesnotfound": notes.quoted_not_found,
                    "outputmessages": messages,
                }
            doc = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": res}
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
            return _Response(200, JSON_CT, text.encode(), self._success_headers())

        parts = [f"<eSearchResult><Count>{count}</Count><RetMax>{len(page)}</RetMax><RetStart>{retstart}</RetStart>"]
        if querykey_out is not None:
            parts.append(f"<QueryKey>{querykey_out}</QueryKey><WebEnv>{webenv_out}</WebEnv>")
        if page:
            parts.append("<IdList>\n" + "".join(f"<Id>{p}</Id>\n" for p in page) + "</IdList>")
        else:
            parts.append("<IdList/>")
        parts.append(f"<TranslationSet/><QueryTranslation>{_xml_escape(translation)}</QueryTranslation>")
        if notes.phrases_not_found or fields_not_found:
            parts.append(
                "<ErrorList>"
                + "".join(f"<PhraseNotFound>{_xml_escape(p)}</PhraseNotFound>" for p in notes.phrases_not_found)
                + "".join(f"<FieldNotFound>{_xml_escape(f)}</FieldNotFound>" for f in fields_not_found)
                + "</ErrorList>"
            )
        if messages or notes.quoted_not_found:
            parts.append(
                "<WarningList>"
                + "".join(
                    f"<QuotedPhraseNotFound>{_xml_escape(q)}</QuotedPhraseNotFound>" for q in notes.quoted_not_found
                )
                + "".join(f"<OutputMessage>{_xml_escape(m)}</OutputMessage>" for m in messages)
                + "</WarningList>"
            )
        parts.append("</eSearchResult>\n")
        return _Response(200, XML_CT, (ESEARCH_PROLOG + "".join(parts)).encode(), self._success_headers())

    @staticmethod
    def _cap_message(cap: int) -> str:
        # Real text (triplea notes, paperscraper#40), with the numbers derived from the configured cap. The
        # single "\n" after "Exception:" is really there and is sent raw inside JSON strings.
        return (
            "Search Backend failed: Exception:\n"
            f"'retstart' cannot be larger than {cap - 1}. For PubMed, ESearch can only retrieve the first "
            f"{cap:,} records matching the query. To obtain more than {cap:,} PubMed records, consider using "
            "EDirect that contains additional logic to batch PubMed search results automatically so that an "
            "arbitrary number can be retrieved. For details see https://www.ncbi.nlm.nih.gov/books/NBK25499/"
        )

    def _new_webenv(self) -> str:
        self._webenv_counter += 1
        digest = hashlib.sha1(f"{self._sid}-{self._webenv_counter}-{time.time_ns()}".encode()).hexdigest()
        return "MCID_" + digest[:24]

    # -- EFetch -----------------------------------------------------------------------------------------------
    def _efetch(self, params: dict[str, str]) -> _Response:
        try:
            return self._efetch_inner(params)
        except _EfetchFail as fail:
            error = _xml_escape(fail.message)
            body = f"{EFETCH_ERROR_PROLOG}<eFetchResult>\n\t<ERROR>{error}</ERROR>\n</eFetchResult>\n"
            return _Response(fail.status, XML_CT, body.encode(), self._success_headers())

    def _efetch_inner(self, params: dict[str, str]) -> _Response:
        bad_db = self._check_db(params)
        if bad_db is not None:
            raise _EfetchFail(f"Invalid db name specified: {bad_db}")
        rettype = params.get("rettype", "").strip().lower()
        retmode = params.get("retmode", "").strip().lower()
        if rettype not in ("", "xml", "full") or retmode not in ("", "xml"):
            # The stand-in serves XML only; MEDLINE/abstract text would need a renderer nobody asked for.
            raise _EfetchFail(f"stand-in serves only XML (rettype={rettype!r}, retmode={retmode!r})")
        id_param = params.get("id", "").strip()
        if id_param:
            ids: list[str] = []
            seen: set[str] = set()
            for x in re.split(r"[,\s]+", id_param):
                if x and x not in seen:
                    seen.add(x)
                    ids.append(x)
        else:
            webenv = params.get("WebEnv", params.get("webenv", "")).strip()
            query_key = params.get("query_key", "").strip() or "1"
            if not webenv:
                raise _EfetchFail("Empty id list - nothing todo")  # real wording
            retstart = self._fetch_int(params, "retstart", 0)
            retmax = min(self._fetch_int(params, "retmax", EFETCH_DEFAULT_RETMAX), EFETCH_MAX_RETMAX)
            stored = self._history.get(webenv, {}).get(query_key)
            if stored is None:
                # Real wording (recorded in a peer tool's notes).
                raise _EfetchFail(
                    f"Cannot retrieve history data. query_key: {query_key}, WebEnv: {webenv}, "
                    f"retstart: {retstart}, retmax: {retmax}"
                )
            cap = self.retstart_cap
            if retstart > cap - 1:
                raise _EfetchFail(
                    "Search backend cannot retrieve history data. Reason: Exception: "
                    f"'retstart' cannot be larger than {cap - 1}. For PubMed, ESearch can only retrieve the "
                    f"first {cap:,} records matching the query.",
                    status=self.efetch_cap_status,
                )
            # A window crossing the cap is clamped without any warning (peer notes: 9950+50 -> 49 records).
            ids = stored[retstart : min(retstart + retmax, cap)]
        recs = self._index.records
        # Unknown or deleted PMIDs are silently left out, as the real service does.
        arts = [recs[p].xml for p in ids if p in recs]
        body = EFETCH_PROLOG.encode() + b"<PubmedArticleSet>\n" + b"\n".join(arts) + b"</PubmedArticleSet>"
        return _Response(200, XML_CT, body, self._success_headers())

    @staticmethod
    def _fetch_int(params: dict[str, str], name: str, default: int) -> int:
        raw = params.get(name, "").strip()
        if raw == "":
            return default
        try:
            return max(0, int(raw))
        except ValueError:
            raise _EfetchFail(f"Invalid {name} parameter: {raw}") from None
