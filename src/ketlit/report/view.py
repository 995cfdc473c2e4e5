"""The report as a document: :class:`ReportData` → sections of blocks of text runs, for every format.

:func:`build_document` decides what a report says — which sections, tables, sentences, links
and figures, in which order — and :mod:`ketlit.report.render` (Markdown) and
:mod:`ketlit.report.render_html` (HTML, through a Jinja2 template) only write it out. So the two
formats cannot drift apart: a test renders the Markdown with a CommonMark parser and compares its
text with the HTML's.

Design decisions:
- **Plain text here, escaping at the writer.** Every string in a :class:`Run` is plain text (record
  titles, sponsor names and claim sentences pass :func:`clip`, which drops bidi and control
  characters and puts them on one line); the Markdown writer escapes with
  :func:`ketlit.markdown.md_text`, the HTML template auto-escapes. Neither format is built from
  the other.
- **Links only from validated identifiers.** :func:`record_link` builds PubMed and
  ClinicalTrials.gov URLs from identifiers that match :mod:`ketlit.ids`; nothing from a record or
  a page ever becomes a URL. An invalid identifier is shown as text.
- **Deterministic.** Every list is sorted here with an explicit key that ends in a natural key
  (record ID, slug, claim ID), whatever order the caller passes; the only wall-clock values are in
  :attr:`Document.stamp`.
- **Collapsible is a block, not a format.** :class:`Details` is ``<details>`` in HTML and, in
  Markdown, its summary as a paragraph followed by its blocks, so both carry the same text.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ketlit.claims.numbers import NO_TIMEPOINT
from ketlit.claims.policy import least_certain
from ketlit.ids import NCT_ID, PMID
from ketlit.markdown import CTGOV_URL, PUBMED_URL, one_line, shift_headings
from ketlit.report.derive import (
    bucket_years,
    is_overdue,
    parse_partial_date,
    pooled_reason,
    pooling_rule,
    sorted_studies,
    study_interval,
)
from ketlit.report.labels import (
    design_rank,
    label,
    labels,
    report_labels,
    route_short,
    source_name,
    verdict_text,
)
from ketlit.report.model import (
    UNTAGGED,
    ArticleRef,
    Changes,
    ClaimCheck,
    ClaimMarkdown,
    EvidenceMap,
    MapRow,
    PooledEstimate,
    ReportData,
    ReportOutcome,
    SourceCoverage,
    TrialRow,
    VerdictChange,
)
from ketlit.words import plural, settle_plurals

STAMP_PREFIX = "Generated: "

# -- the document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of inline text: plain, strong, code, or a link ketlit built (``url``)."""

    text: str
    style: str = ""  # "" | "strong" | "code" | "small" (secondary detail; plain text in Markdown)
    url: str | None = None


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Cell:
    """A table cell; ``css`` is an HTML class (heat-map shade, verdict) that Markdown ignores."""

    runs: Runs
    css: str = ""


@dataclass(frozen=True)
class Para:
    kind: ClassVar[str] = "para"
    runs: Runs


@dataclass(frozen=True)
class Quote:
    kind: ClassVar[str] = "quote"
    paragraphs: tuple[Runs, ...]


@dataclass(frozen=True)
class Bullets:
    kind: ClassVar[str] = "bullets"
    items: tuple[Runs, ...]


@dataclass(frozen=True)
class CodeBlock:
    kind: ClassVar[str] = "code"
    text: str


@dataclass(frozen=True)
class Figure:
    kind: ClassVar[str] = "figure"
    key: str  # publications_per_year | forest (ReportData.figures)
    alt: str


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    header: tuple[str, ...]
    align: tuple[str, ...]  # l | r | c per column
    rows: tuple[tuple[Cell, ...], ...]
    id: str = ""


@dataclass(frozen=True)
class Raw:
    """Markdown the claim checker produced itself (it escapes its inputs), headings already demoted."""

    kind: ClassVar[str] = "raw"
    markdown: str


@dataclass(frozen=True)
class Details:
    """Collapsible in HTML (``<details>``); in Markdown the summary is a paragraph before the blocks."""

    kind: ClassVar[str] = "details"
    summary: Runs
    blocks: tuple[Block, ...]
    open: bool = False


Block = Para | Quote | Bullets | CodeBlock | Figure | Table | Raw | Details


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    level: int
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Document:
    title: str
    intro: tuple[Block, ...]  # stale-data banner and the query's description
    sections: tuple[Section, ...]
    stamp: str  # the one line with wall-clock values; starts with STAMP_PREFIX


# -- inline helpers ------------------------------------------------------------------------------


def clip(text: object, limit: int | None = None) -> str:
    """Untrusted text on one line (bidi and control characters dropped), cut to ``limit`` with an ellipsis."""
    s = one_line(text)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s


def t(text: object, limit: int | None = None) -> Run:
    """A run of untrusted text (see :func:`clip`); one leading or trailing space is kept, as a separator."""
    raw = str(text)
    lead = " " if raw[:1].isspace() else ""
    trail = " " if raw[-1:].isspace() else ""
    return Run(lead + clip(raw, limit) + trail)


def strong(text: str) -> Run:
    return Run(clip(text), "strong")


def record_link(source: str, record_id: str) -> Run:
    """A link to a PubMed or ClinicalTrials.gov record, built only from a valid identifier; a record of
    another source (a regulatory fact) is named by its ID, without a link."""
    ident = str(record_id).strip()
    if source not in ("pubmed", "ctgov") and not PMID.match(ident) and not NCT_ID.match(ident.upper()):
        return t(ident)
    if source == "ctgov" or ident.upper().startswith("NCT"):
        nct = ident.upper()
        return Run(nct, url=CTGOV_URL.format(nct)) if NCT_ID.match(nct) else t(record_id)
    return Run(f"PMID {ident}", url=PUBMED_URL.format(ident)) if PMID.match(ident) else t(f"PMID {record_id}")


def joined(parts: Sequence[Runs], sep: str) -> Runs:
    out: list[Run] = []
    for i, part in enumerate(parts):
        if i:
            out.append(Run(sep))
        out.extend(part)
    return tuple(out)


def _pct(p: float | None) -> str:
    return "—" if p is None else f"{p * 100:.0f}%"


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _cell(*runs: Run, css: str = "") -> Cell:
    return Cell(tuple(runs), css)


def _text_cell(text: str) -> Cell:
    return Cell((Run(text),))


# -- ordering ---------------------------------------------------------------------------------


def _slug_rank(slug: str, focus: Sequence[str]) -> tuple[int, int, str]:
    # Focus slugs first in the query file's order, then the rest alphabetically; "other" and untagged last.
    if slug in focus:
        return (0, focus.index(slug), "")
    if slug == "other":
        return (2, 0, "")
    if slug == UNTAGGED:
        return (3, 0, "")
    return (1, 0, slug)


def natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text))


def record_sort_key(source: str, record_id: str) -> tuple[int, int, str]:
    digits = re.sub(r"\D", "", record_id)
    return (0 if source == "pubmed" else 1, int(digits) if digits else 0, record_id)


def _outcome_sort_key(o: ReportOutcome) -> tuple[Any, ...]:
    # Every field, so two outcomes of one measure and timepoint never keep the caller's order.
    return (o.measure, o.timepoint or "", o.proportion is None, o.proportion or 0.0, o.events is None, o.events or 0,
            o.total is None, o.total or 0, o.text or "")


# -- formatting -------------------------------------------------------------------------------


def outcome_text(o: ReportOutcome) -> str:
    """"response 64% (30/47), 24 h"; a rate without a timepoint says so rather than inventing one."""
    parts = [clip(o.measure.replace("_", " "))]
    if o.proportion is not None:
        parts.append(_pct(o.proportion))
    if o.events is not None and o.total is not None:
        parts.append(f"({o.events}/{o.total})")
    elif o.total is not None:
        parts.append(f"(n = {o.total})")
    if o.text:
        parts.append(clip(o.text, 160))
    text = " ".join(parts)
    if o.timepoint:
        return f"{text}, {clip(o.timepoint)}"
    return f"{text}, {NO_TIMEPOINT}" if o.proportion is not None else text


def pooled_text(p: PooledEstimate) -> str:
    text = f"{_pct(p.estimate)} (95% CI {_pct(p.ci_low)}–{_pct(p.ci_high)}"
    if p.pi_low is not None and p.pi_high is not None:
        text += f"; prediction interval {_pct(p.pi_low)}–{_pct(p.pi_high)}"
    text += f"), k = {p.k}, N = {p.n:,}"
    if p.i2 is not None:
        text += f", I² = {p.i2:.0f}%"
    return text + f"; {clip(p.method)}"


def _phases(phases: Sequence[str]) -> str:
    names = [p.replace("EARLY_PHASE1", "Early 1").replace("PHASE", "").replace("NA", "n/a") for p in phases]
    return "/".join(clip(n) for n in names) or "—"


def _status(status: str | None) -> str:
    return clip(status.replace("_", " ").lower()) if status else "—"


def _search(c: SourceCoverage) -> str:
    """The latest search's status, with what it got of what it expected when it fell short."""
    if c.search_status is None:
        return "never run"
    text = clip(c.search_status)
    if c.search_status != "complete" and c.search_retrieved is not None:
        text += f" ({_num(c.search_retrieved)} of {_num(c.search_expected)} retrieved)"
    return text


def _enrollment(tr: TrialRow) -> str:
    if tr.enrollment is None:
        return "—"
    kind = {"ACTUAL": "actual", "ESTIMATED": "estimated"}.get((tr.enrollment_type or "").upper())
    return f"{tr.enrollment:,} ({kind})" if kind else f"{tr.enrollment:,}"


def _value(field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field_name == "overall_status":
        return _status(str(value))
    if isinstance(value, list | tuple):
        return _phases([str(v) for v in value]) if field_name == "phases" else clip(", ".join(map(str, value)))
    if isinstance(value, str) and field_name == "phases" and value.startswith("["):
        # trial_versions keeps phases as JSON text
        try:
            return _phases([str(v) for v in json.loads(value)])
        except (ValueError, TypeError):
            return clip(value)
    return clip(value)


# -- sections ---------------------------------------------------------------------------------


def _banner(data: ReportData) -> tuple[Block, ...]:
    paragraphs: list[Runs] = []
    for s in sorted(data.stale, key=lambda x: (x.source, x.failed_at, x.data_as_of or "", x.message or "")):
        what = "trial data" if s.source == "ctgov" else "article data" if s.source == "pubmed" else "its data"
        # Without a complete run there may still be what a partial run stored: shown, but not all of it.
        since = (f"{what} are from {clip(s.data_as_of)}" if s.data_as_of
                 else f"no complete {what} have been retrieved yet (what earlier runs stored is shown)")
        reason = f" ({clip(s.message, 200)})" if s.message else ""
        paragraphs.append((strong("Stale data:"), t(f" {source_name(s.source)} could not be refreshed on "
                                                     f"{clip(s.failed_at)}; {since}{reason}.")))
    return (Quote(tuple(paragraphs)),) if paragraphs else ()


def _summary(data: ReportData, overdue: int) -> Section:
    tot = data.totals
    items: list[Runs] = [(strong(f"{tot.articles:,}"), Run(" PubMed articles and "), strong(f"{tot.trials:,}"),
                          Run(" ClinicalTrials.gov trials match the queries."))]
    designs = [(d, n) for d, n in tot.by_design.items() if n]
    if designs:
        parts = [f"{label(d, design=True)} {n:,}" for d, n in sorted(designs, key=lambda x: design_rank(x[0]))]
        items.append((Run("By design (each record once, under its strongest design; the evidence map counts every "
                          "design a record has): " + ", ".join(parts) + "."),))
    if tot.unindexed:
        items.append((Run(f"{tot.unindexed:,} articles are not yet MEDLINE-indexed; their tags come from title and "
                          "abstract text only."),))
    if tot.retracted:
        one = tot.retracted == 1
        items.append((strong(f"{tot.retracted:,} retracted"),
                      Run(" article is among the results; it is marked wherever it appears." if one else
                          " articles are among the results; they are marked wherever they appear."),))
    if overdue:
        has = "trial has" if overdue == 1 else "trials have"
        items.append((strong(f"{overdue:,}"), Run(
            f" completed {has} neither posted results nor a linked publication "
            f"{plural(data.query.report.overdue_years, 'year')} after completion (flagged in the trials table).")))
    return Section("summary", "Summary", 2, (Bullets(tuple(items)),))


def _verdict_side(verdict: str | None, certainty: str | None) -> str:
    if verdict is None:
        return "—"
    text = verdict_text(verdict)
    return text + (f" ({clip(certainty.replace('_', ' '))})" if certainty else "")


def _changes(changes: Changes | None, limit: int) -> Section:
    def section(*blocks: Block, children: tuple[Section, ...] = ()) -> Section:
        return Section("changes", "Changes since last run", 2, blocks, children)

    if changes is None:
        return section(Para((Run("Not tracked for this report."),)))
    if changes.first_run:
        # Also shown while nothing has changed since the first run: the report compares with the last state
        # that differed, so that an unchanged report stays byte for byte what it was.
        return section(Para((Run("Nothing to compare with yet: this is the first run, or nothing has changed "
                                 "since it."),)))
    if not (changes.new_articles or changes.new_trials or changes.trial_changes or changes.retractions
            or changes.verdicts or changes.revised_articles or changes.removed_articles or changes.removed_trials):
        return section(Para((Run("No changes since the last run."),)))
    status = [c for c in changes.trial_changes if c.field == "overall_status"]
    results = [c for c in changes.trial_changes if c.field == "has_results" and c.after]
    other = [c for c in changes.trial_changes
             if c.field not in ("overall_status", "new") and not (c.field == "has_results" and c.after)]
    children: list[Section] = []

    def block(slug: str, title: str, items: Sequence[Any], render: Any) -> None:
        if not items:
            return
        lines = [render(x) for x in items[:limit]]
        if len(items) > limit:
            lines.append((Run(f"… and {len(items) - limit:,} more"),))
        children.append(Section(f"changes-{slug}", f"{title} ({len(items):,})", 3, (Bullets(tuple(lines)),)))

    def by_pmid(refs: Sequence[ArticleRef]) -> list[ArticleRef]:
        return sorted(refs, key=lambda a: record_sort_key("pubmed", a.pmid))

    def article(a: ArticleRef, untitled: str = "") -> Runs:
        title = f" {clip(a.title, 200)}" if a.title or not untitled else f" {untitled}"
        return record_link("pubmed", a.pmid), t(title + (f" ({a.year})" if a.year else ""))

    block("articles", "New articles", by_pmid(changes.new_articles), article)
    block("revised", "Revised articles (title or abstract)", by_pmid(changes.revised_articles), article)
    # One shape with the new ones, year included; one no longer cached has no title (nor year) to show.
    block("removed-articles", "Articles no longer in the results", by_pmid(changes.removed_articles),
          lambda a: article(a, "(no longer cached)"))
    trials = sorted(changes.new_trials, key=lambda x: x.nct_id)
    block("trials", "New trials", trials,
          lambda x: (record_link("ctgov", x.nct_id), t(f" {clip(x.title, 200)} — {_status(x.status)}")))
    block("removed-trials", "Trials no longer in the results", sorted(changes.removed_trials, key=lambda x: x.nct_id),
          lambda x: (record_link("ctgov", x.nct_id), t(f" {clip(x.title, 200)}")))
    key = lambda c: (c.nct_id, c.field)  # noqa: E731
    block("status", "Status changes", sorted(status, key=key),
          lambda c: (record_link("ctgov", c.nct_id),
                     Run(f": {_value(c.field, c.before)} → {_value(c.field, c.after)}")))
    block("results", "Results posted", sorted(results, key=key), lambda c: (record_link("ctgov", c.nct_id),))
    block("registry", "Other registry changes", sorted(other, key=key),
          lambda c: (record_link("ctgov", c.nct_id), Run(f": {clip(c.field.replace('_', ' '))} "
                                                         f"{_value(c.field, c.before)} → {_value(c.field, c.after)}")))
    block("retractions", "Retractions", by_pmid(changes.retractions),
          lambda a: (record_link("pubmed", a.pmid), t(f" {clip(a.title, 200)}")))

    def verdict(v: VerdictChange) -> Runs:
        return (Run(f"{clip(v.claim_id)} “{clip(v.text, 200)}”: {_verdict_side(v.before, v.certainty_before)} → "
                    f"{_verdict_side(v.after, v.certainty_after)}"),)

    block("verdicts", "Verdicts that moved", sorted(changes.verdicts, key=lambda v: natural(v.claim_id)), verdict)
    return section(children=tuple(children))


def _map_rows(emap: EvidenceMap, focus: Sequence[str]) -> list[MapRow]:
    def key(r: MapRow) -> tuple[Any, ...]:
        in_focus = r.indication in focus
        return (not in_focus, focus.index(r.indication) if in_focus else 0, r.indication == UNTAGGED,
                -r.records, r.indication)

    return sorted((r for r in emap.rows if r.records), key=key)


def _indication(slug: str) -> str:
    return {UNTAGGED: "no indication tag", "other": "other indications"}.get(slug) or label(slug)


def _map_cell(n: int, routes: Mapping[str, int], focus: Sequence[str], shade: int) -> Cell:
    if not n:
        return _text_cell("")
    limit = report_labels().map_max_routes
    ordered = sorted(((r, k) for r, k in routes.items() if k), key=lambda x: (-x[1], _slug_rank(x[0], focus)))
    named = ", ".join(f"{route_short(r)} {k:,}" for r, k in ordered[:limit])
    if len(ordered) > limit:
        named += f", +{len(ordered) - limit}"
    routes_run = (Run(f" ({named})", "small"),) if named else ()
    return _cell(Run(f"{n:,}"), *routes_run, css=f"heat{shade}")


def _evidence_map(data: ReportData) -> Section:
    emap = data.evidence_map
    rows = _map_rows(emap, data.query.focus.indication) if emap else []
    if emap is None or not rows:
        # No records at all: the query has not been fetched into this cache (an import's records
        # belong to no query), which "no tagged records" would misstate.
        empty = ("No record of this query is in the cache yet: ketlit refresh (or ketlit fetch) retrieves "
                 "them, or ketlit import --query adds an export of its search (other imports belong to no query)."
                 if not (data.totals.articles or data.totals.trials) else "No tagged records yet.")
        return Section("evidence", "Evidence map", 2, (Para((Run(empty),)),))
    rules = report_labels()
    shown, rest = rows[: rules.map_max_rows], rows[rules.map_max_rows:]
    columns = [c for c in emap.columns if any(c in r.cells for r in shown)]
    biggest = max((cell.records for r in shown for cell in r.cells.values()), default=1) or 1
    focus_routes = data.query.focus.route
    table_rows = []
    for r in shown:
        cells = [_cell(Run(_indication(r.indication))),
                 _cell(strong(f"{r.records:,}"))]
        for col in columns:
            cell = r.cells.get(col)
            n = cell.records if cell else 0
            cells.append(_map_cell(n, cell.routes if cell else {}, focus_routes, -(-4 * n // biggest)))
        table_rows.append(tuple(cells))
    trials = f", of which {emap.trials:,} registered trials" if emap.trials else ""
    blocks: list[Block] = [
        Para((Run(f"{emap.records:,} distinct records{trials}, by indication and design. Each number counts "
                  "distinct records: a record with several indications, designs or routes counts in each, so "
                  "cells do not add up to a row's total, nor routes (in brackets, the commonest first) to "
                  "their cell."),)),
        Table(("Indication", "All", *columns), ("l", "r", *["l"] * len(columns)), tuple(table_rows),
              id="evidence-map"),
    ]
    if rest:
        names = ", ".join(f"{_indication(r.indication)} {r.records:,}" for r in rest)
        blocks.append(Para((Run(f"{len(rest)} more indications (records): {names}."),)))
    return Section("evidence", "Evidence map", 2, tuple(blocks))


def _per_year(data: ReportData) -> Section:
    earlier, rows = bucket_years(data.publications_per_year, data.query.report.years)
    if not rows:
        return Section("per-year", "Publications per year", 2, (Para((Run("No dated publications."),)),))
    blocks: list[Block] = []
    if "publications_per_year" in data.figures:
        blocks.append(Figure("publications_per_year", "Publications per year"))
    table_rows = [(_text_cell(f"before {rows[0][0]}"), _text_cell(_num(earlier)))] if earlier else []
    table_rows += [(_text_cell(str(y)), _text_cell(_num(n))) for y, n in rows]
    table = Table(("Year", "Articles"), ("l", "r"), tuple(table_rows))
    blocks.append(Details((Run(f"Articles per year, {rows[0][0]}–{rows[-1][0]}, as a table."),), (table,)))
    return Section("per-year", "Publications per year", 2, tuple(blocks))


def _key_evidence(data: ReportData) -> Section:
    items = sorted(data.key_evidence, key=lambda e: (design_rank(e.design), -(e.year or 0), -(e.n or 0),
                                                     *record_sort_key(e.source, e.id)))
    if not items:
        return Section("key-evidence", "Key evidence", 2, (Para((Run(
            "No meta-analyses, systematic reviews or randomised trials in focus yet."),)),))
    limit = data.query.report.key_evidence_limit
    groups = list(report_labels().key_evidence)
    grouped = {d for _, ds in groups for d in ds}
    groups.append(("Other designs", tuple(sorted({e.design for e in items} - grouped, key=design_rank))))
    children = []
    for n, (title, designs) in enumerate(groups):
        chosen = [e for e in items if e.design in designs]
        if not chosen:
            continue
        rows = []
        for e in chosen[:limit]:
            name = ((strong("RETRACTED"), Run(" ")) if e.retracted else ()) + (t(e.title, 220),)
            links = [(record_link("pubmed" if e.source == "ctgov" else "ctgov", x),) for x in sorted(e.linked)]
            record = (record_link(e.source, e.id), *((Run(" ("), *joined(links, " "), Run(")")) if links else ()))
            outcomes = "; ".join(outcome_text(o) for o in sorted(e.outcomes, key=_outcome_sort_key))
            tags = "; ".join(x for x in (labels(e.indication), labels(e.route), labels(e.molecule)) if x != "—")
            rows.append((Cell(record), _text_cell(str(e.year) if e.year else "—"),
                         _text_cell(label(e.design, design=True)), _text_cell(_num(e.n)), _text_cell(tags or "—"),
                         _text_cell(outcomes or "—"), Cell(name)))
        blocks: list[Block] = [Table(("Record", "Year", "Design", "n", "Tags", "Outcomes", "Title"),
                                     ("l", "r", "l", "r", "l", "l", "l"), tuple(rows))]
        if len(chosen) > limit:
            more = f"{len(chosen) - limit:,} more not shown (report.key_evidence_limit = {limit})."
            blocks.append(Para((Run(more),)))
        children.append(Section(f"key-evidence-{n + 1}", title, 3, tuple(blocks)))
    return Section("key-evidence", "Key evidence", 2, children=tuple(children))


def _forest(data: ReportData) -> Section | None:
    f = data.forest
    if f is None or not f.studies:
        return None
    what = clip(f.outcome.replace("_", " "))
    blocks: list[Block] = []
    if "forest" in data.figures:
        blocks.append(Figure("forest", f"Forest plot of {what} rates"))
    if f.timepoint:
        blocks.append(Para((Run(f"Timepoint: {clip(f.timepoint)}."),)))
    rows = []
    for s in sorted_studies(f.studies):
        lo, hi = study_interval(s)
        rows.append((_text_cell(clip(s.label, 80)), Cell((record_link(s.source, s.id),)),
                     _text_cell(f"{s.events}/{s.total}"), _text_cell(_pct(s.events / s.total if s.total else None)),
                     _text_cell(f"{_pct(lo)}–{_pct(hi)}")))
    blocks.append(Table(("Study", "Record", "Events/n", "Rate", "95% CI"), ("l", "l", "r", "r", "r"), tuple(rows)))
    if f.pooled:
        why = pooled_reason(f.pooled)
        blocks.append(Para((Run(f"Pooled: {pooled_text(f.pooled)}." if why is None
                                else f"Not pooled: {why} ({pooling_rule()})."),)))
    if f.reference is not None:
        ref = clip(f.reference_label) if f.reference_label else "claimed value"
        blocks.append(Para((Run(f"Dashed reference line at {_pct(f.reference)}: {ref}."),)))
    blocks.append(Para((Run("Per-study intervals are Wilson score intervals unless the source reported its own."),)))
    return Section("forest", f"Extracted {what} rates", 2, tuple(blocks))


def _trial_sort_key(tr: TrialRow) -> tuple[Any, ...]:
    day = parse_partial_date(tr.completion_date or tr.primary_completion_date, end=True)
    return (day is None, -(day.toordinal() if day else 0), tr.nct_id)


def _trials(data: ReportData) -> tuple[Section, int]:
    if not data.trials:
        return Section("trials", "Registered trials", 2, (Para((Run(
            "No registered trials matched the ClinicalTrials.gov query."),)),)), 0
    years = data.query.report.overdue_years
    rows, overdue = [], 0
    for tr in sorted(data.trials, key=_trial_sort_key):
        flag = is_overdue(tr, data.reference_date, years)
        overdue += flag
        results = ("yes" + (f" ({clip(tr.results_first_posted)})" if tr.results_first_posted else "")
                   if tr.has_results else "no")
        pubs = [(record_link("pubmed", p),)
                for p in sorted(set(tr.linked_pmids), key=lambda p: record_sort_key("pubmed", p))]
        rows.append((Cell((record_link("ctgov", tr.nct_id),)), _text_cell(clip(tr.title, 160)),
                     _text_cell(_phases(tr.phases)), _text_cell(_status(tr.status)), _text_cell(_enrollment(tr)),
                     _text_cell(clip(tr.completion_date or tr.primary_completion_date or "—")),
                     _text_cell(results), Cell(joined(pubs, " ") or (Run("—"),)),
                     _cell(strong("overdue"), css="flag") if flag else _text_cell("")))
    summary = (Run(f"{len(rows):,} trials, latest completion first; "), strong("overdue"),
               Run(f" ({overdue:,}): completed more than {years} years ago with neither posted results nor a linked "
                   "publication."))
    table = Table(("Trial", "Title", "Phase", "Status", "Enrollment", "Completion", "Results", "Publications", "Flag"),
                  ("l", "l", "l", "l", "r", "l", "l", "l", "l"), tuple(rows), id="trials")
    return Section("trials", "Registered trials", 2, (Details(summary, (table,), open=len(rows) <= 20),)), overdue


def _why(c: ClaimCheck) -> str:
    """The claim's reason in one line: its first reason that is not bookkeeping, and the pooled
    estimate when it can carry weight (else why it cannot)."""
    rules = report_labels()

    def bookkeeping(reason: str) -> bool:
        low = reason.casefold()
        return (any(low.startswith(p.casefold()) for p in rules.skip_reasons_starting)
                or any(p.casefold() in low for p in rules.skip_reasons_containing))

    chosen = next((r for r in c.reasons if not bookkeeping(r)), c.reasons[0] if c.reasons else "")
    text = clip(settle_plurals(chosen), 220)  # the engine's "18 stud(ies)" is the audit trail's wording
    if c.pooled is not None:
        why = pooled_reason(c.pooled)
        pooled = f"pooled {pooled_text(c.pooled)}" if why is None else f"pooled estimate not shown: {why}"
        # A reason that already gives the pooled figure needs no second copy; a thin one always says so.
        if why is not None or "pooled" not in text.casefold():
            text = f"{text} · {pooled}" if text else pooled
    return text or "—"


def _key_citations(c: ClaimCheck, limit: int = 3) -> Runs:
    """Up to ``limit`` cited records, strongest design first; one entry per record."""
    best: dict[tuple[str, str], str | None] = {}
    for cite in c.citations:
        kind = "ctgov" if cite.source == "ctgov" or cite.id.upper().startswith("NCT") else cite.source or "pubmed"
        key = (kind, cite.id)
        if key not in best or (cite.design and design_rank(cite.design) < design_rank(best[key] or "")):
            best[key] = cite.design
    ordered = sorted(best.items(), key=lambda kv: (design_rank(kv[1] or ""), *record_sort_key(*kv[0])))
    parts = [(record_link(*key), *((Run(f" ({label(design, design=True)})"),) if design else ()))
             for key, design in ordered[:limit]]
    runs = joined(parts, "; ")
    if len(ordered) > limit:
        runs += (Run(f"; +{len(ordered) - limit} more"),)
    return runs or (Run("—"),)


def _sentences(checks: Sequence[ClaimCheck]) -> list[list[ClaimCheck]]:
    """The claims grouped by the sentence they were read from, in claim order (a claim whose sentence is
    not known stands alone)."""
    groups: dict[str, list[ClaimCheck]] = {}
    for c in checks:
        groups.setdefault(f"c:{c.id}" if c.sentence is None else f"s:{c.sentence}", []).append(c)
    return list(groups.values())


def _certainty(c: ClaimCheck) -> str:
    return clip(c.certainty.replace("_", " ")) if c.certainty else "—"


def _claim_table(checks: Sequence[ClaimCheck]) -> list[Block]:
    """One row per sentence, as ``ketlit check`` shows it: a sentence read as several claims carries its one
    reconciled verdict (every part has it) and its least certain part's certainty, as the check's row does;
    its parts, each with its own verdict, certainty, why and records, are listed beneath the table."""
    rows = []
    parts: list[Runs] = []
    for sentence in _sentences(checks):
        c = sentence[0]
        why, cited = _why(c), c
        if len(sentence) > 1:
            kinds = ", ".join(f"{clip(p.id)} {label(p.kind or 'claim')}" for p in sentence)
            why = f"one verdict for {len(sentence)} parts ({kinds}): each part below the table"
            cited = dataclasses.replace(c, citations=tuple(x for p in sentence for x in p.citations))
            parts += [(Run(f"{clip(p.id)} · {label(p.kind or 'claim')}: "),
                       Run(verdict_text(p.part_verdict or p.verdict)), Run(f", {_certainty(p)} — {_why(p)} — "),
                       *_key_citations(p)) for p in sentence]
        rows.append((_text_cell(", ".join(clip(p.id) for p in sentence)), _text_cell(f"“{clip(c.text, 200)}”"),
                     _cell(Run(verdict_text(c.verdict)), css=f"verdict {clip(c.verdict)}"),
                     _text_cell(_certainty(least_certain(sentence, lambda p: p.certainty))),
                     _text_cell(why), Cell(_key_citations(cited))))
    table = Table(("ID", "Claim (page words)", "Verdict", "Certainty", "Why, in one line", "Key evidence"),
                  ("l", "l", "l", "l", "l", "l"), tuple(rows))
    if not parts:
        return [table]
    return [table, Para((Run("Sentences read as several claims, part by part (a part's own verdict):"),)),
            Bullets(tuple(parts))]


def _claims(data: ReportData) -> Section | None:
    groups = sorted(data.claims, key=lambda g: g.source)
    if not groups:
        if data.query.check.pages or data.query.check.claims:
            return Section("claim-checks", "Claim checks", 2, (Para((Run(
                "Claims were listed but have not been checked yet."),)),))
        return None
    intro = Para((Run("Claims are weighed against every record in the cache, not only this query's matches: a "
                      "claim's verdict should rest on all the evidence ketlit holds. Verdicts: ✓ supported, "
                      "◐ partly supported, ✗ contradicted, ? insufficient evidence, – not checkable. Each claim's "
                      "full reasoning and every record weighed: "), Run("ketlit check", "code"), Run(".")))
    children = []
    for n, group in enumerate(groups):
        checks = sorted((i for i in group.items if isinstance(i, ClaimCheck)), key=lambda c: natural(c.id))
        blocks: list[Block] = _claim_table(checks) if checks else []
        # The checker's headings go below this report's "### Claims from …".
        blocks += [Raw(shift_headings(i.markdown.strip(), 3)) for i in group.items if isinstance(i, ClaimMarkdown)]
        children.append(Section(f"claims-{n + 1}", f"Claims from {clip(group.source)}", 3, tuple(blocks)))
    return Section("claim-checks", "Claim checks", 2, (intro,), tuple(children))


def _appendix(data: ReportData) -> Section:
    q = data.query
    query_blocks: list[Block] = [Para((Run("Query file: "), Run(clip(q.path.name), "code"), Run(" (name "),
                                       Run(clip(q.name), "code"), Run(")."),))]
    if q.pubmed:
        bounds = ""
        if q.pubmed.mindate or q.pubmed.maxdate:
            bounds = f" (publication dates {q.pubmed.mindate or 'any'} – {q.pubmed.maxdate or 'any'})"
        query_blocks += [Para((Run(clip(f"PubMed term{bounds}:")),)), CodeBlock(q.pubmed.term)]
    if q.ctgov:
        params = [(k, v) for k, v in (("query.term", q.ctgov.term), ("query.cond", q.ctgov.cond),
                                       ("query.intr", q.ctgov.intr),
                                       ("filter.overallStatus", ",".join(q.ctgov.status) or None)) if v]
        query_blocks += [Para((Run("ClinicalTrials.gov parameters:"),)),
                         CodeBlock("\n".join(f"{k} = {v}" for k, v in params))]
    focus = q.focus.filters()
    if focus:
        query_blocks.append(Para((Run("Focus: " + "; ".join(f"{axis} {labels(values, keep_order=True)}"
                                                            for axis, values in focus.items()) + "."),)))
    children = [Section("queries", "Queries", 3, tuple(query_blocks))]
    if data.coverage:
        order = {"pubmed": 0, "ctgov": 1}
        coverage = sorted(data.coverage, key=lambda c: (order.get(c.source, 9), c.source))
        rows = tuple((_text_cell(source_name(c.source)), _text_cell(_num(c.expected)), _text_cell(_num(c.records)),
                      _text_cell(_num(c.unindexed) if c.source == "pubmed" else "—"), _text_cell(_search(c)))
                     for c in coverage)
        # The source's count comes from the latest full search: an incremental one counts only what changed.
        blocks: list[Block] = [Table(("Source", "Reported by source (latest full search)", "In cache",
                                      "Not yet indexed", "Latest search"),
                                     ("l", "r", "r", "r", "l"), rows)]
        blocks += [Para((t(f"{source_name(c.source)} on the latest full search: {clip(c.notes, 400)}"),))
                   for c in coverage if c.notes]
        blocks.append(Para((Run("When each source was last checked is on the last line; "),
                            Run("ketlit status --runs 20", "code"), Run(" lists the fetch runs themselves."))))
        children.append(Section("coverage", "Coverage", 3, tuple(blocks)))
    tool = [(t(f"ketlit {data.tool_version}"),)]
    tool += [(t(f"{k}: {v}"),) for k, v in sorted(data.provenance.items())]
    children.append(Section("tool", "Tool", 3, (Bullets(tuple(tool)),)))
    return Section("appendix", "Appendix: coverage and provenance", 2, children=tuple(children))


def stamp_line(data: ReportData) -> str:
    """The one line with wall-clock values; always starts with ``Generated: ``."""
    order = {"pubmed": 0, "ctgov": 1}
    checked = sorted(data.stamp.last_checked.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    parts = [f"{STAMP_PREFIX}{clip(data.stamp.generated_at)}"]
    if checked:
        parts.append("last checked: " + ", ".join(f"{source_name(s)} {clip(v)}" for s, v in checked))
    parts.append(f"trial flags as of {data.reference_date.isoformat()}")
    return " · ".join(parts)


def build_document(data: ReportData) -> Document:
    """Everything the report says, in order, for any output format."""
    q = data.query
    intro = _banner(data) + ((Para((t(q.description),)),) if q.description else ())
    trials, overdue = _trials(data)
    # The evidence map straight after the summary: what the evidence is, before what changed.
    sections = [_summary(data, overdue), _evidence_map(data), _changes(data.changes, q.report.changes_limit),
                _per_year(data), _key_evidence(data), _forest(data), trials, _claims(data), _appendix(data)]
    return Document(clip(q.title), intro, tuple(s for s in sections if s is not None), stamp_line(data))


__all__ = ["STAMP_PREFIX", "Document", "Run", "Section", "build_document", "clip", "record_link", "stamp_line"]
