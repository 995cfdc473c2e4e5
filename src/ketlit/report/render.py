"""Evidence reports: :class:`~ketlit.report.model.ReportData` (everything a report shows) → Markdown.

The caller gathers a ``ReportData`` from the cache (counts, key evidence, trials, claim checks,
changes, runs) and :func:`render_report` turns it into Markdown, one section function each.
Rendering is a pure function: no database, no clock, no file system. The data model lives in
:mod:`ketlit.report.model`, the derivations shared with the figures in :mod:`ketlit.report.derive`,
slug order and labels in :mod:`ketlit.report.labels` (from ``data/report.toml``), and escaping in
:mod:`ketlit.markdown`.

Design decisions:
- **Deterministic.** Every list is sorted here with an explicit key, whatever order the
  caller passes, and numbers are formatted with fixed precision; so a diff between two
  nightly reports shows only what changed. The *only* wall-clock values (generation time,
  when each source was last checked, the date the overdue flags are computed for) are
  gathered into the single last line, which starts with ``Generated: ``. The fetch runs
  themselves (ids, times, "new" counts) are not listed: they depend on the order the query
  files were fetched in and on interrupted runs, not on the data; the appendix gives only the
  latest search's status per source. So a report depends on the cache's content alone.
- **The stamp line is rewritten on every run**, even when nothing else changed: it says when
  each source was last checked, which a reader needs (data confirmed last night, not a month
  ago). Whoever commits reports compares them without it (``git diff -I '^Generated: '``).
- **Total orders.** Every sort key ends in a natural key (record ID, slug, claim ID), so ties
  never fall back to the order the caller happened to pass.
- **Untrusted text is escaped at one choke point** (:func:`ketlit.markdown.md_text`): titles,
  sponsor names, claim sentences and extracted findings come from PubMed, ClinicalTrials.gov and
  clinic web pages. Links are built only from validated identifiers, never from source URLs.
- **Pre-rendered claim sections are trusted**: :class:`ClaimMarkdown` is Markdown produced by
  ketlit's own claim checker (which escapes its inputs); it is inserted with its headings
  demoted below this report's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ketlit.markdown import (
    code_block,
    code_span,
    image_link,
    md_text,
    nct_link,
    pmid_link,
    record_link,
    shift_headings,
)
from ketlit.report.derive import (
    bucket_years,
    is_overdue,
    parse_partial_date,
    sorted_studies,
    study_interval,
)
from ketlit.report.labels import design_rank, label, labels, report_labels, source_name
from ketlit.report.model import (
    UNTAGGED,
    Changes,
    ClaimCheck,
    ClaimMarkdown,
    PooledEstimate,
    ReportData,
    ReportOutcome,
    SourceCoverage,
    StaleSource,
    TrialRow,
    VerdictChange,
)

STAMP_PREFIX = "Generated: "


# -- ordering ---------------------------------------------------------------------------------


def _slug_rank(slug: str, focus: Sequence[str]) -> tuple[int, int, str]:
    # Focus slugs first in the query file's order, then the rest alphabetically;
    # "other" and untagged last.
    if slug in focus:
        return (0, focus.index(slug), "")
    if slug == "other":
        return (2, 0, "")
    if slug == UNTAGGED:
        return (3, 0, "")
    return (1, 0, slug)


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text))


def _record_sort_key(source: str, record_id: str) -> tuple[int, int, str]:
    digits = re.sub(r"\D", "", record_id)
    return (0 if source == "pubmed" else 1, int(digits) if digits else 0, record_id)


def _outcome_sort_key(o: ReportOutcome) -> tuple[Any, ...]:
    # Every field, so two outcomes of one measure and timepoint never keep the caller's order.
    return (o.measure, o.timepoint or "", o.proportion is None, o.proportion or 0.0, o.events is None, o.events or 0,
            o.total is None, o.total or 0, o.text or "")


# -- formatting -------------------------------------------------------------------------------


def _pct(p: float | None) -> str:
    return "—" if p is None else f"{p * 100:.0f}%"


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["l"] * len(header)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _outcome(o: ReportOutcome) -> str:
    parts = [md_text(o.measure.replace("_", " "))]
    if o.proportion is not None:
        parts.append(_pct(o.proportion))
    if o.events is not None and o.total is not None:
        parts.append(f"({o.events}/{o.total})")
    elif o.total is not None:
        parts.append(f"(n = {o.total})")
    if o.text:
        parts.append(md_text(o.text, 160))
    text = " ".join(parts)
    return f"{text}, {md_text(o.timepoint)}" if o.timepoint else text


def _pooled(p: PooledEstimate) -> str:
    text = f"{_pct(p.estimate)} (95% CI {_pct(p.ci_low)}–{_pct(p.ci_high)}"
    if p.pi_low is not None and p.pi_high is not None:
        text += f"; prediction interval {_pct(p.pi_low)}–{_pct(p.pi_high)}"
    text += f"), k = {p.k}, N = {p.n:,}"
    if p.i2 is not None:
        text += f", I² = {p.i2:.0f}%"
    return text + f"; {md_text(p.method)}"


def _phases(phases: Sequence[str]) -> str:
    names = [p.replace("EARLY_PHASE1", "Early 1").replace("PHASE", "").replace("NA", "n/a") for p in phases]
    return "/".join(md_text(n) for n in names) or "—"


def _search(c: SourceCoverage) -> str:
    """The latest search's status, with what it got of what it expected when it fell short."""
    if c.search_status is None:
        return "never run"
    text = md_text(c.search_status)
    if c.search_status != "complete" and c.search_retrieved is not None:
        text += f" ({_num(c.search_retrieved)} of {_num(c.search_expected)} retrieved)"
    return text


def _status(status: str | None) -> str:
    return md_text(status.replace("_", " ").lower()) if status else "—"


def _enrollment(t: TrialRow) -> str:
    if t.enrollment is None:
        return "—"
    kind = {"ACTUAL": "actual", "ESTIMATED": "estimated"}.get((t.enrollment_type or "").upper())
    return f"{t.enrollment:,} ({kind})" if kind else f"{t.enrollment:,}"


def _value(field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field_name == "overall_status":
        return _status(str(value))
    if isinstance(value, list | tuple):
        return _phases([str(v) for v in value]) if field_name == "phases" else md_text(", ".join(map(str, value)))
    if isinstance(value, str) and field_name == "phases" and value.startswith("["):
        # trial_versions keeps phases as JSON text
        try:
            return _phases([str(v) for v in json.loads(value)])
        except (ValueError, TypeError):
            return md_text(value)
    return md_text(value)


# -- sections ---------------------------------------------------------------------------------


def _banner(stale: Sequence[StaleSource]) -> list[str]:
    lines: list[str] = []
    for s in sorted(stale, key=lambda x: (x.source, x.failed_at, x.data_as_of or "", x.message or "")):
        name = source_name(s.source)
        what = "trial data" if s.source == "ctgov" else "article data" if s.source == "pubmed" else "its data"
        since = f"{what} are from {md_text(s.data_as_of)}" if s.data_as_of else f"no {what} have been retrieved yet"
        reason = f" ({md_text(s.message, 200)})" if s.message else ""
        lines += [f"> **Stale data:** {name} could not be refreshed on {md_text(s.failed_at)}; {since}{reason}.",
                  ">"]
    return [*lines[:-1], ""] if lines else []


def _summary(data: ReportData, overdue: int) -> list[str]:
    t = data.totals
    lines = ["## Summary", ""]
    lines.append(f"- **{t.articles:,}** PubMed articles and **{t.trials:,}** ClinicalTrials.gov trials match the "
                 "queries.")
    designs = [(d, n) for d, n in t.by_design.items() if n]
    if designs:
        parts = [f"{label(d, design=True)} {n:,}" for d, n in sorted(designs, key=lambda x: design_rank(x[0]))]
        lines.append("- By design (a record can have more than one): " + ", ".join(parts) + ".")
    if t.unindexed:
        lines.append(f"- {t.unindexed:,} articles are not yet MEDLINE-indexed; their tags come from title and abstract "
                     "text only.")
    if t.retracted:
        lines.append(f"- **{t.retracted:,} retracted** article(s) are among the results; they are marked wherever "
                     "they appear.")
    if overdue:
        lines.append(f"- **{overdue:,}** completed trial(s) have neither posted results nor a linked publication "
                     f"{data.query.report.overdue_years} years after completion (flagged in the trials table).")
    return [*lines, ""]


def _changes(changes: Changes | None, limit: int) -> list[str]:
    lines = ["## Changes since last run", ""]
    if changes is None:
        return [*lines, "Not tracked for this report.", ""]
    if changes.first_run:
        return [*lines, "First run: there is no earlier run to compare with.", ""]
    status = [c for c in changes.trial_changes if c.field == "overall_status"]
    results = [c for c in changes.trial_changes if c.field == "has_results" and c.after]
    other = [c for c in changes.trial_changes
             if c.field not in ("overall_status", "new") and not (c.field == "has_results" and c.after)]
    if not (changes.new_articles or changes.new_trials or changes.trial_changes or changes.retractions
            or changes.verdicts):
        return [*lines, "No changes since the last run.", ""]

    def more(items: Sequence[Any]) -> list[str]:
        return [f"- … and {len(items) - limit:,} more"] if len(items) > limit else []

    def block(title: str, items: Sequence[Any], render: Any) -> None:
        if not items:
            return
        lines.extend([f"### {title} ({len(items):,})", ""])
        lines.extend(render(x) for x in items[:limit])
        lines.extend([*more(items), ""])

    arts = sorted(changes.new_articles, key=lambda a: _record_sort_key("pubmed", a.pmid))
    block("New articles", arts, lambda a: f"- {pmid_link(a.pmid)} {md_text(a.title, 200)}"
          + (f" ({a.year})" if a.year else ""))
    trials = sorted(changes.new_trials, key=lambda t: t.nct_id)
    block("New trials", trials, lambda t: f"- {nct_link(t.nct_id)} {md_text(t.title, 200)} — {_status(t.status)}")
    key = lambda c: (c.nct_id, c.field)  # noqa: E731
    block("Status changes", sorted(status, key=key),
          lambda c: f"- {nct_link(c.nct_id)}: {_value(c.field, c.before)} → {_value(c.field, c.after)}")
    block("Results posted", sorted(results, key=key), lambda c: f"- {nct_link(c.nct_id)}")
    block("Other registry changes", sorted(other, key=key),
          lambda c: f"- {nct_link(c.nct_id)}: {md_text(c.field.replace('_', ' '))} "
          f"{_value(c.field, c.before)} → {_value(c.field, c.after)}")
    retracted = sorted(changes.retractions, key=lambda a: _record_sort_key("pubmed", a.pmid))
    block("Retractions", retracted, lambda a: f"- {pmid_link(a.pmid)} {md_text(a.title, 200)}")

    def verdict(v: VerdictChange) -> str:
        def side(verdict: str | None, certainty: str | None) -> str:
            if verdict is None:
                return "—"
            text = md_text(verdict.replace("_", " "))
            return text + (f" ({md_text(certainty.replace('_', ' '))})" if certainty else "")
        return (f"- {md_text(v.claim_id)} “{md_text(v.text, 200)}”: {side(v.before, v.certainty_before)} → "
                f"{side(v.after, v.certainty_after)}")

    block("Verdicts that moved", sorted(changes.verdicts, key=lambda v: _natural(v.claim_id)), verdict)
    return lines


def _evidence_map(data: ReportData) -> list[str]:
    lines = ["## Evidence map", ""]
    rows = [r for r in data.counts if r.articles or r.trials]
    if not rows:
        return [*lines, "No tagged records yet.", ""]
    focus = data.query.focus
    rows.sort(key=lambda r: (design_rank(r.design), _slug_rank(r.indication, focus.indication),
                             _slug_rank(r.route, focus.route)))
    lines.append("Distinct records per design × indication × route; a record with several tags appears in several "
                 "rows, so rows do not add up to the totals.")
    lines.append("")
    lines += _table(
        ["Design", "Indication", "Route", "Articles", "Trials"],
        ([label(r.design, design=True), label(r.indication), label(r.route), _num(r.articles),
          _num(r.trials)] for r in rows),
        ["l", "l", "l", "r", "r"],
    )
    return [*lines, ""]


def _per_year(data: ReportData) -> list[str]:
    lines = ["## Publications per year", ""]
    earlier, rows = bucket_years(data.publications_per_year, data.query.report.years)
    if not rows:
        return [*lines, "No dated publications.", ""]
    if "publications_per_year" in data.figures:
        lines += [image_link("Publications per year", data.figures["publications_per_year"]), ""]
    table_rows = []
    if earlier:
        table_rows.append([f"before {rows[0][0]}", _num(earlier)])
    table_rows += [[str(y), _num(n)] for y, n in rows]
    lines += _table(["Year", "Articles"], table_rows, ["l", "r"])
    return [*lines, ""]


def _key_evidence(data: ReportData) -> list[str]:
    lines = ["## Key evidence", ""]
    items = sorted(data.key_evidence, key=lambda e: (design_rank(e.design), -(e.year or 0), -(e.n or 0),
                                                     *_record_sort_key(e.source, e.id)))
    if not items:
        return [*lines, "No meta-analyses, systematic reviews or randomised trials in focus yet.", ""]
    limit = data.query.report.key_evidence_limit
    groups = list(report_labels().key_evidence)
    grouped = {d for _, ds in groups for d in ds}
    groups.append(("Other designs", tuple(sorted({e.design for e in items} - grouped, key=design_rank))))
    for title, designs in groups:
        chosen = [e for e in items if e.design in designs]
        if not chosen:
            continue
        lines += [f"### {title}", ""]
        rows = []
        for e in chosen[:limit]:
            name = md_text(e.title, 220)
            if e.retracted:
                name = "**RETRACTED** " + name
            links = " ".join(record_link("pubmed" if e.source == "ctgov" else "ctgov", x) for x in sorted(e.linked))
            outcomes = "; ".join(_outcome(o) for o in sorted(e.outcomes, key=_outcome_sort_key))
            tags = "; ".join(x for x in (labels(e.indication), labels(e.route), labels(e.molecule)) if x != "—")
            rows.append([
                record_link(e.source, e.id) + (f" ({links})" if links else ""),
                str(e.year) if e.year else "—",
                label(e.design, design=True),
                _num(e.n),
                tags or "—",
                outcomes or "—",
                name,
            ])
        lines += _table(["Record", "Year", "Design", "n", "Tags", "Outcomes", "Title"], rows,
                        ["l", "r", "l", "r", "l", "l", "l"])
        if len(chosen) > limit:
            lines.append(f"\n{len(chosen) - limit:,} more not shown (report.key_evidence_limit = {limit}).")
        lines.append("")
    return lines


def _forest(data: ReportData) -> list[str]:
    f = data.forest
    if f is None or not f.studies:
        return []
    what = md_text(f.outcome.replace("_", " "))
    lines = [f"## Extracted {what} rates", ""]
    if "forest" in data.figures:
        lines += [image_link(f"Forest plot of {what} rates", data.figures["forest"]), ""]
    if f.timepoint:
        lines += [f"Timepoint: {md_text(f.timepoint)}.", ""]
    rows = []
    for s in sorted_studies(f.studies):
        lo, hi = study_interval(s)
        rows.append([md_text(s.label, 80), record_link(s.source, s.id), f"{s.events}/{s.total}",
                     _pct(s.events / s.total if s.total else None), f"{_pct(lo)}–{_pct(hi)}"])
    lines += _table(["Study", "Record", "Events/n", "Rate", "95% CI"], rows, ["l", "l", "r", "r", "r"])
    lines.append("")
    if f.pooled:
        lines += [f"Pooled: {_pooled(f.pooled)}.", ""]
    if f.reference is not None:
        ref = md_text(f.reference_label) if f.reference_label else "claimed value"
        lines += [f"Dashed reference line at {_pct(f.reference)}: {ref}.", ""]
    lines += ["Per-study intervals are Wilson score intervals unless the source reported its own.", ""]
    return lines


def _trial_sort_key(t: TrialRow) -> tuple[Any, ...]:
    day = parse_partial_date(t.completion_date or t.primary_completion_date, end=True)
    return (day is None, -(day.toordinal() if day else 0), t.nct_id)


def _trials(data: ReportData) -> tuple[list[str], int]:
    lines = ["## Registered trials", ""]
    if not data.trials:
        return [*lines, "No registered trials matched the ClinicalTrials.gov query.", ""], 0
    years = data.query.report.overdue_years
    rows, overdue = [], 0
    for t in sorted(data.trials, key=_trial_sort_key):
        flag = is_overdue(t, data.reference_date, years)
        overdue += flag
        results = "yes" + (f" ({md_text(t.results_first_posted)})" if t.results_first_posted else "") \
            if t.has_results else "no"
        pubs = " ".join(pmid_link(p) for p in sorted(set(t.linked_pmids), key=lambda p: _record_sort_key("pubmed", p)))
        rows.append([
            nct_link(t.nct_id), md_text(t.title, 160), _phases(t.phases), _status(t.status), _enrollment(t),
            md_text(t.completion_date or t.primary_completion_date or "—"), results, pubs or "—",
            "**overdue**" if flag else "",
        ])
    lines.append(f"Sorted by completion date, latest first. **overdue**: completed more than {years} years ago with "
                 "neither posted results nor a linked publication.")
    lines.append("")
    lines += _table(["Trial", "Title", "Phase", "Status", "Enrollment", "Completion", "Results", "Publications",
                     "Flag"], rows, ["l", "l", "l", "l", "r", "l", "l", "l", "l"])
    return [*lines, ""], overdue


def _claim(c: ClaimCheck, level: int) -> list[str]:
    lines = [f"{'#' * level} {md_text(c.id)}: “{md_text(c.text, 400)}”", ""]
    verdict = f"- Verdict: **{md_text(c.verdict.replace('_', ' '))}**"
    if c.certainty:
        verdict += f" (certainty: {md_text(c.certainty.replace('_', ' '))})"
    lines.append(verdict)
    if c.kind:
        lines.append(f"- Kind: {md_text(c.kind.replace('_', ' '))}")
    if c.pooled:
        lines.append(f"- Pooled estimate: {_pooled(c.pooled)}")
    for reason in c.reasons:
        lines.append(f"- Reason: {md_text(reason, 400)}")
    cites = sorted(c.citations, key=lambda x: (*_record_sort_key(x.source, x.id), x.design or "", x.finding or ""))
    for cite in cites:
        text = f"- Evidence: {record_link(cite.source, cite.id)}"
        if cite.design:
            text += f" ({label(cite.design, design=True)})"
        if cite.finding:
            text += f" — {md_text(cite.finding, 300)}"
        lines.append(text)
    return [*lines, ""]


def _claims(data: ReportData) -> list[str]:
    groups = sorted(data.claims, key=lambda g: g.source)
    if not groups:
        if data.query.check.pages or data.query.check.claims:
            return ["## Claim checks", "", "Claims were listed but have not been checked yet.", ""]
        return []
    lines = [
        "## Claim checks",
        "",
        "Claims are weighed against every record in the cache, not only this query's matches: a claim's verdict "
        "should rest on all the evidence ketlit holds.",
        "",
    ]
    for group in groups:
        lines += [f"### Claims from {md_text(group.source)}", ""]
        checks = sorted((i for i in group.items if isinstance(i, ClaimCheck)), key=lambda c: _natural(c.id))
        for check in checks:
            lines += _claim(check, 4)
        for item in group.items:
            if isinstance(item, ClaimMarkdown):
                lines += [shift_headings(item.markdown.strip(), 3), ""]
    return lines


def _appendix(data: ReportData) -> list[str]:
    q = data.query
    lines = ["## Appendix: coverage and provenance", "", "### Queries", ""]
    lines.append(f"Query file: {code_span(q.path.name)} (name {code_span(q.name)}).")
    lines.append("")
    if q.pubmed:
        bounds = ""
        if q.pubmed.mindate or q.pubmed.maxdate:
            bounds = f" (publication dates {q.pubmed.mindate or 'any'} – {q.pubmed.maxdate or 'any'})"
        lines += [f"PubMed term{bounds}:", "", code_block(q.pubmed.term), ""]
    if q.ctgov:
        params = [(k, v) for k, v in (("query.term", q.ctgov.term), ("query.cond", q.ctgov.cond),
                                       ("query.intr", q.ctgov.intr),
                                       ("filter.overallStatus", ",".join(q.ctgov.status) or None)) if v]
        lines += ["ClinicalTrials.gov parameters:", "",
                  code_block("\n".join(f"{k} = {v}" for k, v in params)), ""]
    focus = q.focus.filters()
    if focus:
        lines.append("Focus: " + "; ".join(f"{axis} {labels(values, keep_order=True)}"
                                           for axis, values in focus.items()) + ".")
        lines.append("")
    if data.coverage:
        order = {"pubmed": 0, "ctgov": 1}
        coverage = sorted(data.coverage, key=lambda c: (order.get(c.source, 9), c.source))
        lines += ["### Coverage", ""]
        rows = []
        for c in coverage:
            rows.append([source_name(c.source), _num(c.expected), _num(c.records),
                         _num(c.unindexed) if c.source == "pubmed" else "—", _search(c)])
        lines += _table(["Source", "Reported by source", "In cache", "Not yet indexed", "Latest search"], rows,
                        ["l", "r", "r", "r", "l"])
        lines.append("")
        for c in coverage:
            if c.notes:
                lines += [f"{source_name(c.source)} on the latest full search: {md_text(c.notes, 400)}", ""]
        lines += ["When each source was last checked is on the last line; `ketlit status --runs 20` lists the "
                  "fetch runs themselves.", ""]
    lines += ["### Tool", "", f"- ketlit {md_text(data.tool_version)}"]
    lines += [f"- {md_text(k)}: {md_text(v)}" for k, v in sorted(data.provenance.items())]
    return [*lines, ""]


def stamp_line(data: ReportData) -> str:
    """The one line with wall-clock values; always starts with ``Generated: ``."""
    order = {"pubmed": 0, "ctgov": 1}
    checked = sorted(data.stamp.last_checked.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    parts = [f"{STAMP_PREFIX}{md_text(data.stamp.generated_at)}"]
    if checked:
        parts.append("last checked: " + ", ".join(f"{source_name(s)} {md_text(t)}" for s, t in checked))
    parts.append(f"trial flags as of {data.reference_date.isoformat()}")
    return " · ".join(parts)


def render_report(data: ReportData) -> str:
    """The report as Markdown (ends with a newline; the last line is the stamp)."""
    q = data.query
    lines = [f"# {md_text(q.title)}", ""]
    lines += _banner(data.stale)
    if q.description:
        lines += [md_text(q.description), ""]
    trial_lines, overdue = _trials(data)
    lines += _summary(data, overdue)
    lines += _changes(data.changes, q.report.changes_limit)
    lines += _evidence_map(data)
    lines += _per_year(data)
    lines += _key_evidence(data)
    lines += _forest(data)
    lines += trial_lines
    lines += _claims(data)
    lines += _appendix(data)
    lines += ["---", "", stamp_line(data)]
    return "\n".join(lines) + "\n"


__all__ = ["STAMP_PREFIX", "render_report", "stamp_line"]
