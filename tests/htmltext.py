"""Text of rendered HTML as a reader sees it, for the tests that compare the Markdown and the HTML
outputs of ``check`` and ``report`` (one parser for both, so both comparisons mean the same)."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

_HIDDEN = ("head", "style", "script", "title")
# Where a browser breaks the line: a space there keeps words of neighbouring cells apart.
_BLOCK_START = ("p", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "summary", "pre", "br", "tr")
_BLOCK_END = ("p", "td", "th", "li", "summary", "pre")


class HtmlText(HTMLParser):
    """``parts``: the text nodes outside head/style/script/title, as they are; ``spaced``: the same
    with a space at each block boundary; ``tags``: every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.spaced: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in _HIDDEN
        if tag in _BLOCK_START:
            self.spaced.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in _HIDDEN
        if tag in _BLOCK_END:
            self.spaced.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
            self.spaced.append(data)


def parse_html(html: str) -> HtmlText:
    page = HtmlText()
    page.feed(html)
    page.close()
    return page


def commonmark(markdown: str) -> str:
    """Markdown rendered as CommonMark with tables (what GitHub and most viewers do)."""
    return MarkdownIt("commonmark").enable("table").render(markdown)
