"""Page input → clean text → sentences that remember where they came from.

Design decisions:

* **Bytes in, text out, no I/O.** :func:`page_from_bytes` takes the raw bytes and a name (file
  name or ``-``); the caller reads the file. :func:`read_page` is the one convenience that
  touches the file system, and it reads at most ``max_bytes + 1`` bytes so a huge file or an
  endless pipe is refused without being loaded.
* **Decoding is explicit and reported.** UTF-8 (a BOM is dropped) first. If that fails, an HTML
  page's own declared charset (``<meta charset>``, ``http-equiv`` content type or ``<?xml
  encoding>``) is tried, and then Windows-1252 with replacement characters — the usual encoding of
  legacy web pages, and a decoder that never fails. A page may only name a *web text encoding*
  (the WHATWG list, as Python spells it): Python's codec registry also answers to ``rot13``,
  ``base64``, ``hex`` or ``zlib``, which are bytes/str transforms that raise on ``bytes.decode``,
  and to ``utf-7`` or ``unicode_escape``, which can turn innocent bytes into markup. Anything else
  falls back to Windows-1252 and the report says which charset was refused. Bytes with NULs in
  the first 8 KiB are refused as binary: text decoders would accept them and produce noise.
* **HTML is reduced, never rendered.** The stdlib tokenizer (:class:`html.parser.HTMLParser`)
  reads the page as a flat stream of tags and text against an explicit stack, so there is no
  nesting limit (libxml2 stopped at 256 levels and silently dropped the rest of the page) and no
  recursion. ``script``, ``style``, ``noscript``, ``template``, ``iframe``, ``svg``, ``canvas``,
  ``math``, ``head``, ``title``, form controls (``select``, ``button``, ``textarea``) and site
  navigation (``nav``, ``menu``, an element with ``role="navigation"``) are dropped with their content;
  comments and processing instructions are ignored; nothing is fetched or
  executed. Only text survives, so no markup can reach the report. Void elements (``embed``,
  ``img``, ``param`` …) never have content, so an ``<embed>`` cannot swallow the page; an end tag
  closes every element left open inside it, so an unclosed dropped element ends with its parent.
  ``<form>`` is read (ASP.NET WebForms pages wrap the whole body in one) and so is ``<object>``:
  its content is the fallback browsers show when the plugin is missing, which today is always.
  Block elements become paragraph breaks and ``<br>`` a line break, which keeps headings, list
  items and FAQ answers apart.
* **Invisible characters are removed.** Bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E/F,
  U+061C), zero-width characters, the word joiner, soft hyphens and BOMs are deleted when text is
  normalised — before and again after HTML reduction, since entities can spell them — so a
  reversed or hidden run of text cannot reach the report or split a drug name.
* **Markdown** keeps its words: headings, emphasis, link and image syntax, inline code and raw
  HTML tags are stripped (link text kept, URLs dropped).
* **Locations.** Sentences carry paragraph index, sentence index within the paragraph and
  character offsets into :attr:`Page.text`, so every claim can be found again on the page.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Final

from ketlit.errors import InputError
from ketlit.files import read_limited

MAX_BYTES: Final = 5 * 1024 * 1024

_DROP_TAGS: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "canvas",
        "head",
        "title",
        "math",
        "select",
        "button",
        "textarea",
    }
)
# Site navigation: menu links ("Ketamine for Addiction", "Spravato") name pages, they assert nothing, and a drug or
# condition named in every menu is no sign of what this page is about. Its text is held back and dropped when it
# has no sentence of prose: a <nav> left unclosed, a whole site wrapped in role="navigation" or a <menu> of
# sentences is content, and is kept.
_NAV_TAGS: Final = frozenset({"nav", "menu"})
# ARIA roles read like <nav>: a menu built of <div>s and <ul>s.
_NAV_ROLES: Final = frozenset({"navigation", "menu", "menubar"})
# SVG and MathML (foreign content), in which "/>" closes an element as XML does.
_FOREIGN_ROOTS: Final = frozenset({"svg", "math"})
# A sentence of prose: eight words or more ending in a full stop (menu links are a few words, no stop).
_END_MARK: Final = re.compile(r"[.!?]")
_PROSE_WORDS: Final = 8


def _holds_prose(text: str) -> bool:
    """Whether ``text`` holds a sentence: eight or more words running into a ".", "!" or "?".

    Read segment by segment between end marks, in one pass: the regex this replaces
    (``(?:[^\\s.!?]+\\s+){7,}[^\\s.!?]+[.!?]``) was retried from every word of a menu without end marks,
    so a 2,500-link ``<nav>`` took a minute (a fuzzing pass)."""
    start = 0
    for m in _END_MARK.finditer(text):
        segment = text[start : m.start()]
        start = m.end()
        if segment and not segment[-1].isspace() and len(segment.split()) >= _PROSE_WORDS:
            return True
    return False


# Elements that never have content (HTML's void elements, plus obsolete ones parsed the same way):
# they are never pushed on the stack, so a missing end tag cannot make them swallow what follows.
_VOID_TAGS: Final = frozenset(
    {
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# What may stand in <head>; any other start tag opens the body, which ends an unclosed <head>.
_HEAD_CONTENT: Final = frozenset(
    {"base", "basefont", "bgsound", "link", "meta", "noscript", "script", "style", "template", "title"}
)
_BLOCK_TAGS: Final = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "nav",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "details",
        "summary",
        "address",
        "hr",
        "title",
        "body",
        "html",
        "caption",
        "label",
        "legend",
        "fieldset",
    }
)
# A charset declared by the page: <meta charset=…>, <meta http-equiv content="…; charset=…">, or
# an XHTML page's <?xml … encoding="…"?>. The first one in the page wins.
_DECLARED_CHARSET: Final = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']\s*([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# The encodings a web page may declare (WHATWG Encoding Standard, minus UTF-16: a page whose
# declaration is readable as ASCII is not UTF-16), resolved to Python's canonical codec names.
# A whitelist, not a blacklist: Python registers codecs that are not text encodings at all.
_WEB_ENCODINGS: Final = frozenset(
    codecs.lookup(label).name
    for label in (
        "utf-8", "ibm866", "iso-8859-1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5",
        "iso-8859-6", "iso-8859-7", "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14",
        "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874",
        "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
        "gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr", "ascii",
    )
)  # fmt: skip
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that change how text is shown without being text: bidi embeddings, overrides and
# isolates, directional marks, zero-width space/joiners, word joiner and invisible operators, soft
# hyphen, BOM. They can reverse a sentence on screen or hide inside a drug name, so they go.
_INVISIBLE: Final = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
     *range(0x2066, 0x206A), 0xFEFF],
)  # fmt: skip
# Abbreviations whose trailing period does not end a sentence.
_ABBREV: Final = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|Dr|Mr|Mrs|Ms|Prof|St|No|Fig|al|ca|cf|min|max|mg|hr|hrs|Inc|Ltd|Co|Jr|Sr|Mt|Ft|Univ|Dept|Assoc|Hosp|Ave)"
    r"|\b[A-Z](?:\.[A-Z])+|\bU\.S)\.$",
)
# Only at the start of a run of end marks, and possessive: a megabyte of "!!!!" or "…" is then read
# once, not once per position (the plain ``+`` backtracked through the rest of the run each time).
# The end mark comes before the lookbehind that says it starts its run (the mark before it is not
# one): a pattern that opens with a character class lets ``re`` skip to the next mark in C instead
# of trying the lookbehind at every character (a sixth of splitting an abstract).
_SENT_END: Final = re.compile(r"""[.!?…](?<![.!?…]{2})[.!?…]*+["'”’)\]]*+(?=\s|$)""")
# How far back from its final period an abbreviation is looked for: "approx." is the longest
# that needs looking for. A longer run of initials ("U.S.A.") ends in one of four characters that
# matches as well ("S.A.", whose "\b" sees the period before it), and whether one matches is all
# that is asked. A longer reach finds the same and costs a scan of it at every period.
_ABBREV_REACH: Final = 7
_LIST_NUMBER: Final = re.compile(r"\s*(\d{1,2}|[a-zA-Z])\.")
_NEXT_CHAR: Final = re.compile(r"\s*(\S)")


@dataclass(frozen=True, slots=True)
class Page:
    """A page reduced to clean text."""

    name: str
    text: str
    kind: str  # "text" | "markdown" | "html"
    encoding: str  # the decoder used, e.g. "utf-8" or "cp1252 (fallback, with replacement)"
    size: int  # bytes read


@dataclass(frozen=True, slots=True)
class Location:
    """Where a sentence sits on the page (indices count from 0)."""

    paragraph: int
    sentence: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (or heading) of a page."""

    text: str
    location: Location
    heading: bool
    question: bool
    list_item: bool = False  # a bullet or numbered item: short, unpunctuated, and still a statement


# ------------------------------------------------------------------ decoding


def _declared_charset(head: bytes) -> tuple[str, str] | None:
    """(charset name, where it was declared) from the start of an HTML page."""
    m = _DECLARED_CHARSET.search(head)
    if m is None:
        return None
    where = "<meta charset>" if m.group(1) else "<?xml encoding>"
    return (m.group(1) or m.group(2)).decode("ascii", "replace"), where


def _web_codec(name: str) -> str | None:
    """Python's codec for a charset a page declares, or None when it is not a web text encoding."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # _is_text_encoding is False for rot13/base64/hex/zlib…; the whitelist also excludes text
    # codecs a page has no business naming (utf-7, unicode_escape, idna, EBCDIC).
    if not getattr(info, "_is_text_encoding", True) or info.name not in _WEB_ENCODINGS:
        return None
    return info.name


def _decode(data: bytes, html: bool) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    fallback = "cp1252 (fallback, with replacement)"
    declared = _declared_charset(data[:4096]) if html else None
    if declared is not None:
        name, where = declared
        codec = _web_codec(name)
        if codec is None:
            # Recorded, so a garbled page can be traced to its declaration.
            fallback = f"cp1252 (fallback, with replacement; {where} {name!r} is not a web text encoding)"
        elif codec != "utf-8":
            try:
                return data.decode(codec), f"{codec} (from {where})"
            except UnicodeDecodeError:
                fallback = f"cp1252 (fallback, with replacement; the page is not valid {codec} as declared)"
    return data.decode("cp1252", errors="replace"), fallback


# Formats a page is never in, by their first bytes: PDF, ZIP (and so DOCX), gzip, PNG, GIF, JPEG, OLE (DOC, XLS).
_BINARY_MAGIC: Final = (b"%PDF-", b"PK\x03\x04", b"\x1f\x8b", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0")
_BINARY_CONTROL: Final = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _looks_binary(data: bytes) -> bool:
    """A NUL, a binary format's signature, or more than 1% control bytes in the first 8 KiB. Text pages
    carry at most a stray control character; a PDF or a ZIP renamed ``.html`` used to be read, and its
    stream text checked ("BT /F1 12 Tf (Ketamine is not addictive.)")."""
    head = data[:8192].lstrip()
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        return True
    return len(_BINARY_CONTROL.findall(head)) > max(4, len(head) // 100)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # A form feed or vertical tab separates what it stands between, as a line break does (deleted, it glued
    # "depression.\fKetamine" into one word).
    text = text.replace("\u00a0", " ").replace("\f", "\n").replace("\v", "\n").translate(_INVISIBLE)
    return _CONTROL.sub("", text)


# ------------------------------------------------------------------ HTML and Markdown


class _TextReducer(HTMLParser):
    """Collects the text of an HTML page as a stream: an explicit stack, no tree, no depth limit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[str] = []
        self._open: Counter[str] = Counter()  # tag -> how many are open: unmatched end tags cost O(1)
        self._drop_at: int | None = None  # stack index of the outermost dropped element
        self._nav_at: int | None = None  # stack index of the outermost navigation element, its text held back
        self._nav_parts: list[str] = []

    def _emit(self, text: str) -> None:
        (self._nav_parts if self._nav_at is not None else self.parts).append(text)

    def finish(self) -> None:
        """At the end of the page: a navigation element never closed is judged as if it ended here."""
        if self._nav_at is not None:
            self.end_navigation()

    def end_navigation(self) -> None:
        """The navigation's text joins the page when it holds prose (:data:`_NAV_TAGS`); else a paragraph break."""
        held, self._nav_parts, self._nav_at = "".join(self._nav_parts), [], None
        self.parts.append(held if _holds_prose(held) else "\n\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open["head"] and tag not in _HEAD_CONTENT and tag != "head":
            self._close("head")  # "<head><title>…</title><body>": the body's first tag ends the head
        reading = self._drop_at is None
        if tag in _VOID_TAGS:
            if reading and tag == "br":
                self._emit("\n")
            elif reading and tag in _BLOCK_TAGS:
                self._emit("\n\n")
            return
        self._stack.append(tag)
        self._open[tag] += 1
        if not reading:
            return
        if tag in _DROP_TAGS:
            self._drop_at = len(self._stack) - 1
            return
        if self._nav_at is None and (
            tag in _NAV_TAGS or any(k == "role" and (v or "").strip().lower() in _NAV_ROLES for k, v in attrs)
        ):
            self._nav_at = len(self._stack) - 1
        if tag in _BLOCK_TAGS or tag in _NAV_TAGS:
            self._emit("\n\n• " if tag == "li" else "\n\n")  # a list item stays one

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<div/>" in HTML is an open <div>; only void elements are really empty, and in SVG and MathML
        # (foreign content) "/>" closes its element: "<svg class="icon"/>" left open swallowed the page.
        self.handle_starttag(tag, attrs)
        if tag in _FOREIGN_ROOTS or self._open["svg"] or self._open["math"]:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open[tag]:
            self._close(tag)
        elif tag == "br" and self._drop_at is None:
            self._emit("\n")  # browsers read a stray </br> as <br>

    def _close(self, tag: str) -> None:
        # Closes the innermost open ``tag`` and everything left open inside it (implied end tags).
        while self._stack:
            top = self._stack.pop()
            self._open[top] -= 1
            depth = len(self._stack)
            if self._drop_at is not None and depth <= self._drop_at:
                self._drop_at = None
            elif self._drop_at is None and top in _BLOCK_TAGS:
                self._emit("\n\n")
            if self._nav_at is not None and depth <= self._nav_at:
                self.end_navigation()
            if top == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._drop_at is None:
            self._emit(data)


def _html_to_text(markup: str) -> str:
    reducer = _TextReducer()
    reducer.feed(markup)
    if reducer.rawdata.lstrip().startswith("<!"):
        # A comment or declaration never closed: a browser hides the rest of the page; HTMLParser.close() would
        # hand it over as text, markup and all ("<!-- Ketamine cures depression …" checked as a claim).
        reducer.rawdata = ""
    reducer.close()
    reducer.finish()
    text = "".join(reducer.parts)
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_MD_RULES: Final = (
    (re.compile(r"(?is)<(script|style|noscript|template|iframe)\b.*?</\1\s*>"), ""),
    (re.compile(r"(?s)<!--.*?-->"), ""),
    (re.compile(r"<[^>\n]{0,500}>"), ""),
    # A link's address may hold balanced parentheses ("…/wiki/Ketamine_(drug)", CommonMark allows one
    # level here): stopping at the first ")" left the rest of the address in the sentence.
    # Link text holds no bracket and is bounded, so that each "[" is tried once: "[^\]]+" ran from every "[" of a
    # long run of them to the end of the page (150,000 "[" took minutes; a fuzzing pass).
    (re.compile(r"!\[([^\[\]]{0,1000})\]\((?:[^()\n]|\([^()\n]*\))*\)"), r"\1"),
    (re.compile(r"\[([^\[\]]{1,1000})\]\((?:[^()\n]|\([^()\n]*\))*\)"), r"\1"),
    # A pipe table (GFM): its delimiter row is layout, and a row is its cells, not "| a | b |" (the
    # check listed both among the page's headings, pipes and dashes included).
    (re.compile(r"(?m)^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$"), ""),
    (re.compile(r"(?m)^[ \t]*\|(.*(?<!\\)\|.*)$"), lambda m: _table_row(m.group(1))),
    (re.compile(r"\[([^\[\]]{1,1000})\]\[[^\[\]]{0,1000}\]"), r"\1"),
    # Line syntax is matched within its line ([ \t], not \s): "\s" also matches the newlines around a
    # heading, so "# Title\n\n## Subtitle\n\nText" lost its blank lines and read as one sentence.
    (re.compile(r"(?m)^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$"), ""),
    (re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]*(.*?)[ \t]*#*[ \t]*$"), r"\1"),
    (re.compile(r"(?m)^[ \t]{0,3}>[ \t]?"), ""),
    (re.compile(r"(?m)^[ \t]*([-*+])[ \t]+"), "• "),
    (re.compile(r"(?m)^[ \t]*([-*_][ \t]*){3,}$"), ""),
    (re.compile(r"`{1,3}([^`]*)`{1,3}"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"\1"),
)


def _table_row(row: str) -> str:
    """The cells of a Markdown table row (the part after its leading pipe), separated as a list is."""
    cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]
    return " · ".join(c for c in cells if c)


def _markdown_to_text(text: str) -> str:
    for rx, repl in _MD_RULES:
        text = rx.sub(repl, text)
    return text


def _kind(name: str, text_head: str) -> str:
    lower = name.lower()
    if lower.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    if lower.endswith(".txt"):
        return "text"
    # stdin or an unknown extension: sniff, because a saved web page is the common case.
    head = text_head.lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml")) or re.search(
        r"<(p|div|h[1-6]|body)\b", head[:2000]
    ):
        return "html"
    return "text"


# UTF-32 first: its little-endian mark starts with UTF-16's.
_UNICODE_BOMS: Final = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _unicode_text(data: bytes, name: str) -> tuple[str, str] | None:
    """A page saved as UTF-16 or UTF-32 with a byte-order mark (Windows Notepad's "Unicode"), decoded:
    its NUL bytes are code units, not a sign of a binary file. None without such a mark."""
    codec = next((c for mark, c in _UNICODE_BOMS if data.startswith(mark)), None)
    if codec is None:
        return None
    try:
        return data.decode(codec), f"{codec} (from its byte-order mark)"
    except UnicodeDecodeError:
        raise InputError(f"{name}: not valid {codec.upper()}, although it starts with a {codec.upper()} "
                         "byte-order mark") from None


def page_from_bytes(data: bytes, name: str = "-", *, max_bytes: int = MAX_BYTES) -> Page:
    """Decode and clean a page (``.txt``, ``.md``, ``.html`` or sniffed); InputError if unusable."""
    if len(data) > max_bytes:
        raise InputError(f"{name}: page is larger than {max_bytes:,} bytes; save only the page text")
    unicode = _unicode_text(data, name)
    if unicode is None and _looks_binary(data):
        raise InputError(f"{name}: looks like a binary file, not a text, Markdown or HTML page")
    sniff = unicode[0][:4096] if unicode else data[:4096].decode("latin-1")
    kind = _kind(name, sniff)
    text, encoding = unicode or _decode(data, kind == "html")
    text = _normalise(text)
    if kind == "html":
        # Again after reduction: entities (&rlm;, &#x202e;, &nbsp;) become characters only now.
        text = _normalise(_html_to_text(text))
    elif kind == "markdown":
        text = _markdown_to_text(text)
    text = text.strip()
    if not text:
        raise InputError(f"{name}: page is empty (no text left after cleaning)")
    return Page(name=name, text=text, kind=kind, encoding=encoding, size=len(data))


def read_page(path: str | Path, stdin: BinaryIO | None = None, *, max_bytes: int = MAX_BYTES) -> Page:
    """Read a page from a file, or from stdin when ``path`` is ``-`` (InputError if unusable)."""
    name = str(path)
    if re.match(r"[a-z][a-z0-9+.-]*://", name, re.I):
        # Path() would fold "https://x" into "https:/x" and report a missing file.
        raise InputError(f"{name}: ketlit reads a saved page, not a web address: save the page (or its text) "
                         "and pass the file")
    if name == "-":
        if stdin is None and sys.stdin is None:  # started with standard input closed (``<&-``)
            raise InputError("cannot read standard input: it is closed")
        stream = stdin if stdin is not None else sys.stdin.buffer
        try:
            data = stream.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None
    else:
        # The size check is page_from_bytes' (it names the limit); read just past it.
        data = read_limited(Path(path), max_bytes + 1, "file")
    return page_from_bytes(data, name, max_bytes=max_bytes)


# ------------------------------------------------------------------ paragraphs and sentences


def _is_soft_wrap(prev: str, nxt: str) -> bool:
    """Whether a single newline between two lines is a wrap inside one paragraph."""
    prev, nxt = prev.rstrip(), nxt.lstrip()
    if not prev or not nxt:
        return False
    if prev[-1] in '.!?:;"”’)':
        return False
    if re.match(r"([-*•+]|\d+[.)])\s", nxt):
        return False
    # A short line without end punctuation is a heading or a label ("Risks and Precautions").
    if len(prev) < 70 and not prev.endswith((",", "-", "–")):
        return False
    return nxt[:1].islower() or prev.endswith((",", "-", "–", "and", "or", "the", "of", "to"))


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of paragraphs: blank-line blocks, split at hard line breaks."""
    pos = 0
    for block in re.split(r"(\n[ \t]*\n+)", text):
        if not block.strip():
            pos += len(block)
            continue
        lines = block.split("\n")
        start = pos
        offset = pos
        for i, line in enumerate(lines):
            end = offset + len(line)
            if i + 1 < len(lines) and not _is_soft_wrap(line, lines[i + 1]):
                if text[start:end].strip():
                    yield start, end
                start = end + 1
            offset = end + 1
        if text[start : pos + len(block)].strip():
            yield start, pos + len(block)
        pos += len(block)


def _opens_sentence(char: str) -> bool:
    """Whether ``char``, the first after an end mark, can start the next sentence: a capital, a digit, an
    opening quote or bracket, an inverted mark ("¿", "¡"), a bullet or emoji ("✅ Ketamine is …"), or a letter
    of a script without case (Chinese, Arabic). A lower-case letter continues ("approx. two", "vs. placebo")."""
    if char.isupper() or char.isdigit() or char in "\"“'‘([¿¡•":
        return True
    return unicodedata.category(char) in ("So", "Lo")


def _split_sentences(par: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    # Positions, not slices: slicing "the sentence so far" and "the rest of the paragraph" at every
    # end mark made one long paragraph quadratic.
    for m in _SENT_END.finditer(par):
        end = m.end()
        dot = m.start() + 1
        if m.group().startswith(".") and _ABBREV.search(par, max(start, dot - _ABBREV_REACH), dot):
            continue
        # A list number ("1. Anesthetic and Pain Management") is not a sentence of its own.
        if _LIST_NUMBER.fullmatch(par, start, dot):
            continue
        # "52.3%" never reaches here (no whitespace after the dot); "No. 5" is an abbreviation.
        nxt = _NEXT_CHAR.match(par, end)
        if nxt and not _opens_sentence(nxt[1]):
            continue
        spans.append((start, end))
        start = end
    if par[start:].strip():
        spans.append((start, len(par)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        seg = par[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if seg.strip():
            out.append((s + lead, s + trail))
    return out


# A list item as the page reductions leave it: "• " for HTML <li>, Markdown and plain-text bullets.
# Numbered lines ("1. Anesthetic and Pain Management") stay as they were: on clinic pages they are
# mostly section headings.
_BULLET: Final = re.compile(r"\s*[•▪●◦‣∙*+-]\s+(?=\S)")


def _paragraph_spans(text: str) -> Iterator[tuple[int, int, bool, str, list[tuple[int, int]]]]:
    """(paragraph index, its start, whether it is a list item, its text, its sentence spans)."""
    for p_index, (p_start, p_end) in enumerate(paragraphs(text)):
        par = text[p_start:p_end]
        bullet = _BULLET.match(par)
        if bullet:
            # The marker is not part of the statement; the item is not a heading.
            p_start += bullet.end()
            par = par[bullet.end() :]
        yield p_index, p_start, bullet is not None, par, _split_sentences(par)


def _collapsed(sentence: str) -> str:
    """``" ".join(sentence.split())`` for a sentence span (its ends already trimmed).

    Most sentences hold no whitespace but single spaces, and are then their own result: every
    whitespace character other than the ASCII space is unprintable (a Unicode separator or control),
    so a printable text without a double space has nothing to collapse."""
    if sentence.isprintable() and "  " not in sentence:
        return sentence
    return " ".join(sentence.split())


def sentence_texts(text: str) -> list[str]:
    """The texts of :func:`split_sentences` alone: for readers that use nothing else of a sentence
    (the number reader runs on every abstract at ingest), without building its location and flags."""
    # Whitespace runs as one space, the ends trimmed, as split_sentences does.
    return [_collapsed(par[s:e]) for _, _, _, par, spans in _paragraph_spans(text) for s, e in spans]


# Typographic apostrophes and the two Unicode hyphens pages print ("isn’t", "non‑addictive" with U+2011), as the
# ASCII a rule is written in; and negated auxiliaries spelled out ("isn't" → "is not", "won't" → "will not").
_TYPOGRAPHIC: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'",
                                      "\u2010": "-", "\u2011": "-"})
_NOT_CONTRACTED: Final = re.compile(
    r"\b(is|are|was|were|does|do|did|has|have|had|could|would|should|must|need|might)n't\b", re.IGNORECASE
)
_IRREGULAR_NOT: Final = {"won't": "will not", "can't": "cannot", "ain't": "is not", "shan't": "shall not"}
_IRREGULAR: Final = re.compile(r"\b(won|can|ain|shan)'t\b", re.IGNORECASE)
# "There's no nausea", "it's not addictive": "is" after the words a page contracts it with (not a possessive's "'s").
_IS_CONTRACTED: Final = re.compile(r"\b(there|it|that|what|here)'s\b", re.IGNORECASE)


def spelled_out(text: str) -> str:
    """``text`` as the claim rules read polarity: negations spelled out and typography folded to ASCII.

    Why: a page's "Ketamine isn’t addictive" must deny addiction as "is not addictive" does; before this, the
    stance and negation patterns (written with "not") missed the contraction and the curly apostrophe, and the
    denial was read as the harm asserted, "supported" by every report of it. Only for matching: the claim's text,
    which editors and the verdict keys quote, stays the page's own."""
    folded = _IS_CONTRACTED.sub(r"\1 is", text.translate(_TYPOGRAPHIC))
    if "'t" not in folded:
        return folded
    folded = _IRREGULAR.sub(lambda m: _cased(m.group(0), _IRREGULAR_NOT[m.group(0).lower()]), folded)
    return _NOT_CONTRACTED.sub(r"\1 not", folded)


def _cased(word: str, replacement: str) -> str:
    return replacement[0].upper() + replacement[1:] if word[:1].isupper() else replacement


_LABELLED_FIGURE = re.compile(
    r"\w\s*(?::|\||\s[-–—])\s*(?:[a-z]+\s+){0,3}\d+(?:\.\d+)?\s*(?:%|percent\b|per cent\b|in \d+\b|out of \d+\b)", re.I
)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of clean text with their locations; short unpunctuated lines are headings."""
    out: list[Sentence] = []
    for p_index, p_start, bullet, par, spans in _paragraph_spans(text):
        single_line = "\n" not in par.strip()
        for s_index, (s, e) in enumerate(spans):
            raw = par[s:e]
            # Whitespace runs as one space, the ends trimmed: ``re.sub(r"\s+", " ", raw).strip()``
            # (``str.split`` and ``\s`` know the same whitespace), without a regex pass per sentence.
            sent = " ".join(raw.split())
            heading = (
                not bullet
                and single_line
                and len(spans) == 1
                and not re.search(r"[.!?…:]['\"”’)*_]*$", sent)
                and len(sent.split()) <= 14
                # A label and its figure ("Response rate: 70%", "Remission | 30%") is a statement, not a heading.
                and not _LABELLED_FIGURE.search(sent)
            )
            out.append(
                Sentence(
                    text=sent,
                    location=Location(paragraph=p_index, sentence=s_index, start=p_start + s, end=p_start + e),
                    heading=heading,
                    # "**Is ketamine FDA-approved?**": Markdown emphasis around a question is still one.
                    question=sent.rstrip('"”’)*_').endswith("?"),
                    list_item=bullet,
                )
            )
    return out
