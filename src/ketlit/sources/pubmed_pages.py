"""Cutting a large PubMed XML file into standalone pages of records, for ``ketlit import``.

``ketlit import`` of a large file stores it the way a fetch stores EFetch responses: in
pages of a few hundred records, each a standalone document (the file's own prolog and
root start tag + a run of top-level records + a root end tag), each parsed, kept as a
raw page and written in its own transaction. The splitter only finds cut points; it never
interprets content, so the parser still sees every byte of the file exactly once, in
order, and reports damage itself. Cuts are made only between top-level elements, found
by ``bytes.find`` (memchr speed: ~30 ms per 100 MB) while stepping over comments, CDATA
sections and processing instructions. Whenever the layout is not the plain one (an
internal DTD subset, a root it does not know, a record nested in itself, text at the top
level, a truncated record), it stops cutting: the rest of the file becomes one last page,
which is exactly the whole-file parse of before, errors included.

Bytes in, bytes out: nothing here parses a record (that is :mod:`ketlit.sources.pubmed_parse`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

IMPORT_PAGE_RECORDS = 500
_READ_CHUNK = 1 << 20
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[<>]*>", re.S)
_ATTRS = rb"""(?:\s+[^\s=/<>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*"""
_ROOT_START = re.compile(rb"<(PubmedArticleSet|MedlineCitationSet)" + _ATTRS + rb">")
_START_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*)" + _ATTRS + rb"(/?)>")
_SPACE = re.compile(rb"\s*")
_NAME_END = b" \t\r\n>"
_NAME_END_OR_SLASH = _NAME_END + b"/"
_MARKUP = re.compile(rb"<[!?]")  # comment, CDATA section, PI (or a declaration)


class _Buffer:
    """A growing window on a byte stream, for ``find`` with read-ahead."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.data = bytearray()  # amortised appends: a long search reads on without quadratic copying
        self.eof = False

    def more(self) -> bool:
        """Read the next chunk; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(_READ_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    def find(self, sub: bytes, start: int) -> int:
        """``data.find(sub, start)``, reading on until found or the stream ends."""
        while True:
            found = self.data.find(sub, start)
            if found != -1 or not self.more():
                return found

    def at_least(self, end: int) -> bool:
        """Make ``data[:end]`` available if the stream has it."""
        while len(self.data) < end:
            if not self.more():
                return False
        return True

    def rest(self, start: int) -> bytes:
        """Everything from ``start`` to the end of the stream."""
        self.eof = True
        return bytes(self.data[start:]) + self.stream.read()


def _skip(buf: _Buffer, start: int, opener: bytes, closer: bytes) -> int:
    """End of a comment / CDATA / PI starting at ``start``, or -1 if it never closes."""
    found = buf.find(closer, start + len(opener))
    return -1 if found == -1 else found + len(closer)


def _element_end(buf: _Buffer, start: int) -> int:
    """End offset of the top-level element starting at ``start``; -1 when it cannot be
    found with certainty (then the caller stops cutting)."""
    buf.at_least(start + 4096)
    tag = _START_TAG.match(buf.data, start)
    if tag is None:
        return -1
    if tag.group(2):
        return tag.end()  # <Empty/>
    name = tag.group(1)
    close = b"</" + name
    content = pos = tag.end()  # before pos: no comment, CDATA or PI left that could hide "</name"
    end = -1
    while True:
        if end < pos:
            end = buf.find(close, pos)
            if end == -1 or not buf.at_least(end + len(close) + 1):
                return -1
        markup = _MARKUP.search(buf.data, pos, end)
        if markup is None:
            if buf.data[end + len(close)] in _NAME_END:
                break
            pos = end + 1  # e.g. </PubmedArticleSet while looking for </PubmedArticle
            continue
        at = markup.start()
        if buf.data.startswith(b"<?", at):
            pos = _skip(buf, at, b"<?", b"?>")
        elif buf.data.startswith(b"<!--", at):
            pos = _skip(buf, at, b"<!--", b"-->")
        elif buf.data.startswith(b"<![CDATA[", at):
            pos = _skip(buf, at, b"<![CDATA[", b"]]>")
        else:
            return -1
        if pos == -1:
            return -1
    # An element of the same name opening inside would close first: give up rather than guess.
    opener = b"<" + name
    nested = buf.data.find(opener, content, end)
    while nested != -1:
        if buf.data[nested + len(opener)] in _NAME_END_OR_SLASH:
            return -1
        nested = buf.data.find(opener, nested + 1, end)
    gt = buf.find(b">", end)
    return -1 if gt == -1 else gt + 1


def split_xml_pages(stream: IO[bytes], records_per_page: int = IMPORT_PAGE_RECORDS) -> Iterator[bytes]:
    """Cut a PubMed XML document into standalone documents of ``records_per_page`` top-level
    records each (see the module docstring); a document it cannot cut is yielded whole."""
    buf = _Buffer(stream)
    buf.at_least(64 * 1024)
    pos = 3 if buf.data.startswith(b"\xef\xbb\xbf") else 0
    root = None
    while root is None:
        item = _PROLOG_ITEM.match(buf.data, pos)
        if item is not None and item.end() < len(buf.data):
            pos = item.end()
            continue
        root = _ROOT_START.match(buf.data, pos)
        if root is None:
            yield buf.rest(0)  # not a layout we cut: the parser decides what it is
            return
    head = bytes(buf.data[: root.end()])
    close = b"</" + root.group(1) + b">\n"
    page_start = pos = root.end()
    records = 0
    while True:
        pos = _SPACE.match(buf.data, pos).end()  # type: ignore[union-attr]
        if not buf.at_least(pos + 9):
            break
        data = buf.data
        if data.startswith(b"<!--", pos):
            pos = _skip(buf, pos, b"<!--", b"-->")
        elif data.startswith(b"<?", pos):
            pos = _skip(buf, pos, b"<?", b"?>")
        elif data[pos] == 0x3C and data[pos + 1] not in b"/!":  # "<" of an element
            if records == records_per_page:
                yield head + data[page_start:pos] + close
                del data[:pos]
                page_start = pos = 0
                records = 0
            pos = _element_end(buf, pos)
            records += 1
        else:
            break  # the root end tag, or something the parser must judge
        if pos == -1:
            break
    yield head + buf.rest(page_start)
