"""Evidence reports as Markdown: :class:`~ketlit.report.model.ReportData` → the document of
:mod:`ketlit.report.view` → Markdown text.

What a report says (sections, tables, sentences, order) is decided once in
:func:`ketlit.report.view.build_document`; this module and :mod:`ketlit.report.render_html` only
write that document out, so the Markdown and the HTML carry the same text. Rendering is a pure
function: no database, no clock, no file system.

Design decisions:
- **Deterministic.** The document is sorted and formatted with fixed precision, so a diff between
  two nightly reports shows only what changed. The *only* wall-clock values (generation time,
  when each source was last checked, the date the overdue flags are computed for) are gathered
  into the single last line, which starts with ``Generated: ``; fetch runs themselves are not
  listed (they depend on the order the query files were fetched in, not on the data).
- **The stamp line is rewritten on every run**, even when nothing else changed: it says when
  each source was last checked. Whoever commits reports compares them without it
  (``git diff -I '^Generated: '``).
- **Text is escaped at one choke point** (:func:`ketlit.markdown.md_text`), only where a
  character would change the rendering; links exist only where the document has a ketlit-built
  URL (PubMed / ClinicalTrials.gov from a validated identifier).
- **Pre-rendered claim sections are trusted** (:class:`~ketlit.report.view.Raw`): Markdown from
  ketlit's own claim checker, which escapes its inputs; the document has demoted its headings
  below this report's.
"""

from __future__ import annotations

from collections.abc import Sequence

from ketlit.markdown import code_block, code_span, image_link, md_text
from ketlit.report.model import ReportData
from ketlit.report.view import (
    STAMP_PREFIX,
    Block,
    Bullets,
    CodeBlock,
    Document,
    Figure,
    Para,
    Quote,
    Raw,
    Run,
    Section,
    Table,
    build_document,
    stamp_line,
)


def _run(r: Run) -> str:
    # md_text puts text on one line and trims it: the separating spaces around a run are kept apart.
    core = r.text.strip()
    lead = " " if r.text[:1].isspace() else ""
    trail = " " if r.text[-1:].isspace() and core else ""
    if r.url is not None:
        body = f"[{md_text(core)}]({r.url})"
    elif r.style == "code":
        body = code_span(core)
    elif r.style == "strong" and core:
        body = f"**{md_text(core)}**"
    else:
        body = md_text(core)
    return lead + body + trail


def _runs(runs: Sequence[Run]) -> str:
    return "".join(_run(r) for r in runs)


def _table(table: Table) -> list[str]:
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(md_text(h) for h in table.header) + " |",
             "| " + " | ".join(marks[a] for a in table.align) + " |"]
    lines += ["| " + " | ".join(_runs(c.runs) for c in row) + " |" for row in table.rows]
    return lines


def _block(block: Block, figures: dict[str, str]) -> list[str]:
    if isinstance(block, Para):
        return [_runs(block.runs)]
    if isinstance(block, Quote):
        lines: list[str] = []
        for paragraph in block.paragraphs:
            lines += ["> " + _runs(paragraph), ">"]
        return lines[:-1]
    if isinstance(block, Bullets):
        return ["- " + _runs(item) for item in block.items]
    if isinstance(block, CodeBlock):
        return [code_block(block.text)]
    if isinstance(block, Figure):
        path = figures.get(block.key)
        return [image_link(block.alt, path)] if path else []
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Raw):
        return [block.markdown]
    out = [_runs(block.summary)]
    for inner in block.blocks:
        out += ["", *_block(inner, figures)]
    return out


def _section(section: Section, figures: dict[str, str]) -> list[str]:
    lines = [f"{'#' * section.level} {md_text(section.title)}", ""]
    for block in section.blocks:
        rendered = _block(block, figures)
        if rendered:
            lines += [*rendered, ""]
    for child in section.children:
        lines += _section(child, figures)
    return lines


def render_document(doc: Document, figures: dict[str, str]) -> str:
    """A document as Markdown (ends with a newline; the last line is the stamp)."""
    lines = [f"# {md_text(doc.title)}", ""]
    for block in doc.intro:
        lines += [*_block(block, figures), ""]
    for section in doc.sections:
        lines += _section(section, figures)
    lines += ["---", "", md_text(doc.stamp)]
    return "\n".join(lines) + "\n"


def render_report(data: ReportData) -> str:
    """The report as Markdown (ends with a newline; the last line is the stamp)."""
    return render_document(build_document(data), dict(data.figures))


__all__ = ["STAMP_PREFIX", "render_document", "render_report", "stamp_line"]
