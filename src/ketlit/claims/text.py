"""Page input → clean text → sentences that remember where they came from.

Design decisions:

* **Bytes in, text out, no I/O.** :func:`page_from_bytes` takes the raw bytes and a name (file
  name or ``-``); the caller reads the file. :func:`read_page` is the one convenience that
  touches the file system, and it reads at most ``max_bytes + 1`` bytes so a huge file or an
  endless pipe is refused without being loaded.
* **Decoding is explicit and reported.** UTF-8 (a BOM is dropped) first. If that fails, an HTML
  page's own ``<meta charset>`` is tried, and then Windows-1252 with replacement characters —
  the usual encoding of legacy web pages, and a decoder that never fails. The report records
  which decoder was used, so a garbled sentence can be traced to its cause. Bytes with NULs in
  the first 8 KiB are refused as binary: text decoders would accept them and produce noise.
* **HTML is reduced, never rendered.** lxml parses with ``no_network=True``; ``script``, ``style``,
  ``noscript``, ``template``, ``iframe``, ``object``, ``embed``, ``svg``, ``canvas`` and ``head``
  are dropped with their content, comments and processing instructions are removed, nothing is
  fetched or executed. Only text nodes survive, so no markup can reach the report. Block
  elements become paragraph breaks and ``<br>`` a line break, which keeps headings, list items
  and FAQ answers apart.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import lxml.etree
import lxml.html

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
        "object",
        "embed",
        "svg",
        "canvas",
        "head",
        "math",
        "form",
        "select",
        "button",
        "input",
        "textarea",
    }
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
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Abbreviations whose trailing period does not end a sentence.
_ABBREV: Final = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|Dr|Mr|Mrs|Ms|Prof|St|No|Fig|al|ca|cf|min|max|mg|hr|hrs|Inc|Ltd|Co|Jr|Sr)"
    r"|\b[A-Z](?:\.[A-Z])+|\bU\.S)\.$",
)
_SENT_END: Final = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+|$)""")


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


def _decode(data: bytes, html: bool) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if html:
        m = _META_CHARSET.search(data[:4096])
        if m:
            name = m.group(1).decode("ascii", "replace")
            try:
                codec = codecs.lookup(name).name
            except LookupError:
                codec = ""
            # A page may only pick a text codec; utf-7 and friends can smuggle markup.
            if (
                codec
                and codec not in ("utf-7", "utf-8")
                and not codec.startswith("utf-16")
                and not codec.startswith("utf-32")
            ):
                try:
                    return data.decode(codec), f"{codec} (from <meta charset>)"
                except UnicodeDecodeError:
                    pass
    return data.decode("cp1252", errors="replace"), "cp1252 (fallback, with replacement)"


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    return b"\x00" in head


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return _CONTROL.sub("", text)


# ------------------------------------------------------------------ HTML and Markdown


def _html_to_text(markup: str) -> str:
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, recover=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        # An empty or whitespace-only document has no root; that is an empty page, not an error here.
        return ""
    parts: list[str] = []

    def walk(el: lxml.html.HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in _DROP_TAGS or not tag:
            # Comments/PIs have non-string tags; dropped elements lose their content, but text
            # after them (their tail) belongs to the parent and is kept.
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n\n")
        if tag == "li":
            parts.append("• ")  # a list item stays one (see split_sentences: not a heading)
        if tag == "br":
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    text = "".join(parts)
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_MD_RULES: Final = (
    (re.compile(r"(?is)<(script|style|noscript|template|iframe)\b.*?</\1\s*>"), ""),
    (re.compile(r"(?s)<!--.*?-->"), ""),
    (re.compile(r"<[^>\n]{0,500}>"), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"(?m)^\s{0,3}\[[^\]]+\]:\s*\S+.*$"), ""),
    (re.compile(r"(?m)^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$"), r"\1"),
    (re.compile(r"(?m)^\s{0,3}>\s?"), ""),
    (re.compile(r"(?m)^\s*([-*+])\s+"), "• "),
    (re.compile(r"(?m)^\s*([-*_]\s*){3,}$"), ""),
    (re.compile(r"`{1,3}([^`]*)`{1,3}"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"\1"),
)


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


def page_from_bytes(data: bytes, name: str = "-", *, max_bytes: int = MAX_BYTES) -> Page:
    """Decode and clean a page (``.txt``, ``.md``, ``.html`` or sniffed); InputError if unusable."""
    if len(data) > max_bytes:
        raise InputError(f"{name}: page is larger than {max_bytes:,} bytes; save only the page text")
    if _looks_binary(data):
        raise InputError(f"{name}: looks like a binary file, not a text, Markdown or HTML page")
    sniff = data[:4096].decode("latin-1")
    kind = _kind(name, sniff)
    text, encoding = _decode(data, kind == "html")
    text = _normalise(text)
    if kind == "html":
        text = _html_to_text(text)
    elif kind == "markdown":
        text = _markdown_to_text(text)
    text = text.strip()
    if not text:
        raise InputError(f"{name}: page is empty (no text left after cleaning)")
    return Page(name=name, text=text, kind=kind, encoding=encoding, size=len(data))


def read_page(path: str | Path, stdin: BinaryIO | None = None, *, max_bytes: int = MAX_BYTES) -> Page:
    """Read a page from a file, or from stdin when ``path`` is ``-`` (InputError if unusable)."""
    name = str(path)
    if name == "-":
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


def _split_sentences(par: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(par):
        end = m.end()
        before = par[start : m.start() + 1]
        if m.group().startswith(".") and _ABBREV.search(before):
            continue
        # A list number ("1. Anesthetic and Pain Management") is not a sentence of its own.
        if re.fullmatch(r"\s*(\d{1,2}|[a-zA-Z])\.", before):
            continue
        # "52.3%" never reaches here (no whitespace after the dot); "No. 5" is an abbreviation.
        nxt = par[end:].lstrip()
        if nxt and not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"“'‘(["):
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


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of clean text with their locations; short unpunctuated lines are headings."""
    out: list[Sentence] = []
    for p_index, (p_start, p_end) in enumerate(paragraphs(text)):
        par = text[p_start:p_end]
        bullet = _BULLET.match(par)
        if bullet:
            # The marker is not part of the statement; the item is not a heading.
            p_start += bullet.end()
            par = par[bullet.end() :]
        spans = _split_sentences(par)
        single_line = "\n" not in par.strip()
        for s_index, (s, e) in enumerate(spans):
            raw = par[s:e]
            sent = re.sub(r"\s+", " ", raw).strip()
            heading = (
                not bullet
                and single_line
                and len(spans) == 1
                and not re.search(r"[.!?…:]['\"”’)]*$", sent)
                and len(sent.split()) <= 14
            )
            out.append(
                Sentence(
                    text=sent,
                    location=Location(paragraph=p_index, sentence=s_index, start=p_start + s, end=p_start + e),
                    heading=heading,
                    question=sent.rstrip('"”’)').endswith("?"),
                    list_item=bool(bullet),
                )
            )
    return out
