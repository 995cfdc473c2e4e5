"""Evidence reports as one self-contained HTML file, from the same document as the Markdown.

:func:`render_report_html` writes :func:`ketlit.report.view.build_document` through the Jinja2
templates shipped in ``ketlit/data/templates/`` (``report.html``, ``report_blocks.html``,
``report.css``).

Design decisions:
- **A template engine with auto-escaping, not string concatenation.** The environment has
  ``autoescape=True``; the document holds plain text, so every title, sentence and finding is
  escaped by Jinja2, and the only ``href`` values are the PubMed / ClinicalTrials.gov URLs the
  document built from validated identifiers.
- **Self-contained and script-free.** CSS is inlined; figures are embedded as
  ``data:image/svg+xml;base64`` URIs in ``<img>`` (vector, so they print sharply, and an SVG
  loaded as an image cannot run script or fetch anything). No JavaScript is needed: long parts
  are ``<details>`` and a print stylesheet opens them on paper.
- **Same text as the Markdown.** Both formats write the same document; a test renders the
  Markdown with CommonMark and compares its text with this file's.
- **The stamp is the last line** (``<p id="stamp">Generated: …``), so a refresh can tell an
  unchanged report apart as it does for Markdown.
- Pre-rendered claim Markdown (:class:`~ketlit.report.view.Raw`) is converted by markdown-it
  with raw HTML disabled, so even that trusted text cannot carry markup.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from importlib import resources

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from ketlit.report.model import ReportData
from ketlit.report.view import build_document

HTML_STAMP_PREFIX = '<p id="stamp">'


def _template_source(name: str) -> str | None:
    path = resources.files("ketlit.data").joinpath("templates").joinpath(name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


@functools.cache
def _environment() -> Environment:
    return Environment(loader=FunctionLoader(_template_source), autoescape=True, undefined=StrictUndefined,
                       keep_trailing_newline=True)


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _raw(markdown: str) -> Markup:
    # markdown-it escapes text and, with html disabled, raw HTML too; its output is markup.
    return Markup(_markdown().render(markdown))


def data_uri(svg: bytes) -> str:
    """An SVG as a ``data:`` URI for ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_report_html(data: ReportData, figures: Mapping[str, bytes] | None = None) -> str:
    """The report as one HTML file (ends with a newline; the last line is the stamp).

    ``figures`` maps figure keys (as in ``ReportData.figures``) to SVG bytes to embed; a figure
    the document names but ``figures`` lacks is left out."""
    doc = build_document(data)
    uris = {key: data_uri(svg) for key, svg in (figures or {}).items()}
    html = _environment().get_template("report.html").render(
        doc=doc, figures=uris, raw=_raw, version=data.tool_version)
    return html.rstrip("\n") + "\n"


__all__ = ["HTML_STAMP_PREFIX", "data_uri", "render_report_html"]
