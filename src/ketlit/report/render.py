"""Evidence reports: :class:`ReportData` (everything a report shows) → Markdown.

The caller gathers a :class:`ReportData` from the cache (counts, key evidence, trials, claim
checks, changes, runs) and :func:`render_report` turns it into Markdown. Rendering is a pure
function: no database, no clock, no file system.

Design decisions:
- **Deterministic.** Every list is sorted here with an explicit key, whatever order the
  caller passes, and numbers are formatted with fixed precision; so a diff between two
  nightly reports shows only what changed. The *only* wall-clock values (generation time,
  when each source was last checked, the date the overdue flags are computed for) are
  gathered into the single last line, which starts with ``Generated: ``. Runs that changed
  nothing are not listed in the appendix for the same reason: a nightly no-op check would
  otherwise make every report differ.
- **Untrusted text is escaped at one choke point** (:func:`md_text`): titles, sponsor names,
  claim sentences and extracted findings come from PubMed, ClinicalTrials.gov and clinic
  web pages. Markdown punctuation is backslash-escaped, ``& < >`` become entities (so no raw
  HTML, comment or autolink can be opened), line breaks collapse (so a table cell cannot end
  a row), and control and bidi-override characters are dropped. Links are built only from
  validated identifiers (digits for PMIDs, ``NCT`` + 8 digits), never from source URLs.
- **Pre-rendered claim sections are trusted**: :class:`ClaimMarkdown` is Markdown produced by
  ketlit's own claim checker (which escapes its inputs); it is inserted with its headings
  demoted below this report's.
- Counts by design × indication × route count *distinct records per cell*; a record with two
  indications appears in two cells, so cells are not summed (:func:`count_rows` builds them).
- The overdue-trial flag is a pure function of the trial row and a reference date
  (:func:`is_overdue`); partial completion dates count from the *end* of the period so a
  trial is never flagged early.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ketlit.ids import NCT_ID, PMID
from ketlit.queries import QueryFile

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"
CTGOV_URL = "https://clinicaltrials.gov/study/{}"
SOURCE_NAMES = {"pubmed": "PubMed", "ctgov": "ClinicalTrials.gov", "import": "Import"}
STAMP_PREFIX = "Generated: "

# Strongest evidence first; the order of key-evidence tables and of the evidence map.
DESIGN_ORDER = (
    "meta_analysis", "systematic_review", "rct", "non_randomized_trial", "observational", "case_report",
    "narrative_review", "protocol", "guideline", "animal", "in_vitro", "other",
)
DESIGN_LABELS = {
    "meta_analysis": "Meta-analysis", "systematic_review": "Systematic review", "rct": "RCT",
    "non_randomized_trial": "Non-randomised trial", "observational": "Observational", "case_report": "Case report",
    "narrative_review": "Narrative review", "protocol": "Protocol", "guideline": "Guideline", "animal": "Animal",
    "in_vitro": "In vitro", "other": "Other",
}
SLUG_LABELS = {"ptsd": "PTSD", "ocd": "OCD", "crps": "CRPS", "treatment_resistant_depression": "TRD"}
UNTAGGED = ""  # an axis with no tag; shown as an em dash and sorted last
Z95 = 1.959963984540054


# -- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """The wall-clock values, all rendered in the one ``Generated: …`` line."""

    generated_at: str
    last_checked: Mapping[str, str] = field(default_factory=dict)  # source → ISO time of its latest check


@dataclass(frozen=True)
class Totals:
    """Records the query's searches returned (distinct), for the summary."""

    articles: int = 0
    trials: int = 0
    by_design: Mapping[str, int] = field(default_factory=dict)  # design slug → distinct records
    unindexed: int = 0  # PubMed records not yet MEDLINE-indexed (tagged from text only)
    retracted: int = 0


@dataclass(frozen=True)
class CountRow:
    """Distinct records carrying this design, indication and route ("" = no tag on that axis)."""

    design: str
    indication: str
    route: str
    articles: int = 0
    trials: int = 0


@dataclass(frozen=True)
class Outcome:
    """A number extracted from an abstract or CT.gov results (a proportion in 0..1)."""

    measure: str  # response | remission | improvement | adverse_event | ...
    proportion: float | None = None
    events: int | None = None
    total: int | None = None
    timepoint: str | None = None
    text: str | None = None  # the finding as extracted, when it is not a proportion


@dataclass(frozen=True)
class EvidenceItem:
    """One key-evidence record (meta-analysis, systematic review, RCT, ...)."""

    source: str  # pubmed | ctgov
    id: str
    title: str
    design: str
    year: int | None = None
    journal: str | None = None
    n: int | None = None
    indication: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    molecule: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    linked: tuple[str, ...] = ()  # NCT IDs of an article, PMIDs of a trial
    retracted: bool = False


@dataclass(frozen=True)
class ForestStudy:
    """One study's proportion for the forest plot (CI computed by Wilson's method if not given)."""

    label: str
    source: str
    id: str
    events: int
    total: int
    year: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class PooledEstimate:
    """A pooled proportion (from the claim checker's random-effects model)."""

    estimate: float
    ci_low: float
    ci_high: float
    k: int
    n: int
    pi_low: float | None = None
    pi_high: float | None = None
    i2: float | None = None
    method: str = "random effects, logit scale"


@dataclass(frozen=True)
class ForestData:
    """The studies and pooled estimate behind the forest plot."""

    outcome: str  # e.g. "response"
    studies: tuple[ForestStudy, ...]
    pooled: PooledEstimate | None = None
    timepoint: str | None = None
    reference: float | None = None  # a claimed value to draw as a line, e.g. 0.70 for "70% respond"
    reference_label: str | None = None


@dataclass(frozen=True)
class TrialRow:
    """A row of the trials table."""

    nct_id: str
    title: str
    status: str | None = None
    phases: tuple[str, ...] = ()
    enrollment: int | None = None
    enrollment_type: str | None = None  # ACTUAL | ESTIMATED
    has_results: bool = False
    results_first_posted: str | None = None
    linked_pmids: tuple[str, ...] = ()  # publications of this trial (not BACKGROUND references)
    completion_date: str | None = None  # YYYY[-MM[-DD]]
    primary_completion_date: str | None = None
    sponsor: str | None = None


@dataclass(frozen=True)
class Citation:
    """A record a claim verdict cites."""

    source: str
    id: str
    design: str | None = None
    finding: str | None = None


@dataclass(frozen=True)
class ClaimCheck:
    """A checked claim (the claim checker's JSON shape, or a simpler dict)."""

    id: str
    text: str
    verdict: str
    certainty: str | None = None
    kind: str | None = None
    reasons: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    pooled: PooledEstimate | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimCheck:
        """Accept ``{"id", "text", "verdict", "certainty", "reasons", "citations" | "evidence", "pooled"}``;
        citations may be ``"PMID"`` / ``"NCT…"`` strings or ``{"source", "id", ...}`` dicts."""
        citations = []
        for item in [*data.get("evidence", []), *data.get("citations", [])]:
            if isinstance(item, str):
                ident = item.strip()
                citations.append(Citation("ctgov" if ident.upper().startswith("NCT") else "pubmed", ident))
            else:
                citations.append(Citation(str(item.get("source", "pubmed")), str(item["id"]),
                                          _opt_str(item.get("design")), _opt_str(item.get("finding"))))
        pooled = data.get("pooled")
        # The check JSON states proportions in percent ("unit": "%"); the report works in 0–1.
        scale = 100.0 if pooled and pooled.get("unit") == "%" else 1.0

        def prop(key: str) -> float | None:
            value = _opt_float(pooled.get(key)) if pooled else None
            return None if value is None else value / scale

        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            verdict=str(data["verdict"]),
            certainty=_opt_str(data.get("certainty")),
            kind=_opt_str(data.get("kind")),
            reasons=tuple(str(r) for r in data.get("reasons", [])),
            citations=tuple(citations),
            pooled=PooledEstimate(
                estimate=float(pooled["estimate"]) / scale, ci_low=float(pooled["ci_low"]) / scale,
                ci_high=float(pooled["ci_high"]) / scale, k=int(pooled["k"]), n=int(pooled["n"]),
                pi_low=prop("pi_low"), pi_high=prop("pi_high"), i2=_opt_float(pooled.get("i2")),
                method=str(pooled.get("method") or "random effects, logit scale"),
            ) if pooled else None,
        )


@dataclass(frozen=True)
class ClaimMarkdown:
    """A claim-check section already rendered as Markdown by the claim checker."""

    markdown: str


@dataclass(frozen=True)
class ClaimGroup:
    """The claims checked from one source: a clinic page or the query file's claim list."""

    source: str  # e.g. "pages/clinic.html" or "query file"
    items: tuple[ClaimCheck | ClaimMarkdown, ...]


@dataclass(frozen=True)
class ArticleRef:
    pmid: str
    title: str
    year: int | None = None
    journal: str | None = None


@dataclass(frozen=True)
class TrialRef:
    nct_id: str
    title: str
    status: str | None = None


@dataclass(frozen=True)
class FieldChange:
    """A registry field that moved (same fields as ``store_trials.TrialChange``)."""

    nct_id: str
    field: str  # overall_status | has_results | enrollment_count | ...
    before: Any
    after: Any


@dataclass(frozen=True)
class VerdictChange:
    claim_id: str
    text: str
    before: str | None  # None: the claim is new
    after: str | None  # None: the claim is gone
    certainty_before: str | None = None
    certainty_after: str | None = None


@dataclass(frozen=True)
class Changes:
    """What changed since the previous run."""

    first_run: bool = False
    new_articles: tuple[ArticleRef, ...] = ()
    new_trials: tuple[TrialRef, ...] = ()
    trial_changes: tuple[FieldChange, ...] = ()
    retractions: tuple[ArticleRef, ...] = ()
    verdicts: tuple[VerdictChange, ...] = ()


@dataclass(frozen=True)
class SourceCoverage:
    """One source's coverage for the query."""

    source: str
    records: int  # records of this query in the cache
    expected: int | None = None  # what the source reports for the query (latest total count)
    unindexed: int | None = None


@dataclass(frozen=True)
class RunInfo:
    """A fetch run (``runs`` table)."""

    id: int
    source: str
    mode: str | None
    status: str
    started_at: str
    finished_at: str | None = None
    expected: int | None = None
    retrieved: int | None = None
    new_records: int = 0
    updated_records: int = 0
    message: str | None = None


@dataclass(frozen=True)
class StaleSource:
    """A source that could not be refreshed; the report shows older data for it."""

    source: str
    failed_at: str
    data_as_of: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows. Sequences may arrive in any order."""

    query: QueryFile
    stamp: Stamp
    reference_date: dt.date  # "today" for the overdue-trial flag
    tool_version: str
    totals: Totals = field(default_factory=Totals)
    counts: Sequence[CountRow] = ()
    publications_per_year: Mapping[int, int] = field(default_factory=dict)
    key_evidence: Sequence[EvidenceItem] = ()
    forest: ForestData | None = None
    trials: Sequence[TrialRow] = ()
    claims: Sequence[ClaimGroup] = ()
    changes: Changes | None = None
    coverage: Sequence[SourceCoverage] = ()
    runs: Sequence[RunInfo] = ()
    stale: Sequence[StaleSource] = ()
    figures: Mapping[str, str] = field(default_factory=dict)  # publications_per_year | forest → relative path
    provenance: Mapping[str, str] = field(default_factory=dict)  # extra appendix lines, e.g. tagging rules hash


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


# -- escaping ---------------------------------------------------------------------------------

# Bidi embeddings/overrides/isolates can make text display in a different order than it
# reads (a "Trojan source" trick); they have no place in a title.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Unicode categories Cc (C0, DEL, C1), Zl and Zp: line breaks and control characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# Line-start markers that would open a block: a heading ("# " / "#" alone), a list item
# ("- ", "+ ", "1. ", "1) ") or a thematic break ("---"). "#hashtag" and "0.1.0" stay as they are.
_LEADING_BLOCK = re.compile(r"^(#{1,6}(?=\s|$)|[-+]|\d{1,9}[.)](?=\s|$))")


def md_text(text: object, limit: int | None = None) -> str:
    """Untrusted text → one line of inert Markdown (safe in paragraphs, lists and table cells)."""
    s = str(text).translate(_BIDI)
    s = " ".join(_CONTROL.sub(" ", s).split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _INLINE_SPECIAL.sub(r"\\\1", s)
    # A line-start marker (heading, list item, thematic break) stays literal even when the
    # text is the first thing on a line or in a list item.
    return _LEADING_BLOCK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], s)


def code_span(text: str) -> str:
    """Inline code: contents are literal (no escapes needed); the backtick run is longer than
    any inside ``text``."""
    one_line = " ".join(_CONTROL.sub(" ", str(text).translate(_BIDI)).split()) or " "
    longest = max((len(m) for m in re.findall(r"`+", one_line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{ticks}{pad}{one_line}{pad}{ticks}"


def code_block(text: str, info: str = "") -> str:
    """A fenced code block that ``text`` cannot close (the fence is longer than any backtick run)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


_PMID = PMID
_NCT = NCT_ID


def pmid_link(pmid: str) -> str:
    """``[PMID n](https://pubmed.ncbi.nlm.nih.gov/n/)``; an invalid ID is shown, not linked."""
    pmid = str(pmid).strip()
    if _PMID.match(pmid):
        return f"[PMID {pmid}]({PUBMED_URL.format(pmid)})"
    return md_text(f"PMID {pmid}")


def nct_link(nct_id: str) -> str:
    """``[NCT…](https://clinicaltrials.gov/study/NCT…)``; an invalid ID is shown, not linked."""
    nct = str(nct_id).strip().upper()
    if _NCT.match(nct):
        return f"[{nct}]({CTGOV_URL.format(nct)})"
    return md_text(nct_id)


def record_link(source: str, record_id: str) -> str:
    """A link to a PubMed or ClinicalTrials.gov record."""
    if source == "ctgov" or str(record_id).upper().startswith("NCT"):
        return nct_link(record_id)
    return pmid_link(record_id)


_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


def _figure_link(alt: str, path: str) -> str:
    # Figure paths come from plots.py; anything unexpected goes in <…> with brackets
    # percent-encoded, so it cannot end the link early.
    if _SAFE_PATH.match(path) and ".." not in path.split("/"):
        return f"![{alt}]({path})"
    safe = path.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E").replace("\n", "")
    return f"![{alt}](<{safe}>)"


def shift_headings(markdown: str, by: int) -> str:
    """Demote ATX headings by ``by`` levels (capped at 6), leaving fenced code untouched."""
    out = []
    fence: str | None = None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        match = re.match(r"^(`{3,}|~{3,})", stripped)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        elif fence is None and re.match(r"^#{1,6}(\s|$)", line):
            level = len(line) - len(line.lstrip("#"))
            line = "#" * min(6, level + by) + line[level:]
        out.append(line)
    return "\n".join(out)


# -- pure helpers -----------------------------------------------------------------------------


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (behaves at 0 and 100%, unlike the Wald interval)."""
    if total <= 0:
        raise ValueError("total must be positive")
    p = events / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    # At 0% and 100% the bound is exactly 0 or 1; say so rather than 0.9999999999999999.
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == total else min(1.0, centre + half)
    return low, high


def study_interval(study: ForestStudy) -> tuple[float, float]:
    """The study's 95% CI: as given, else Wilson's."""
    if study.ci_low is not None and study.ci_high is not None:
        return study.ci_low, study.ci_high
    return wilson_interval(study.events, study.total)


def sorted_studies(studies: Iterable[ForestStudy]) -> list[ForestStudy]:
    """Forest-plot order: by year, then label and ID (so the plot and the table agree)."""
    return sorted(studies, key=lambda s: (s.year or 0, s.label.casefold(), s.source, s.id))


def parse_partial_date(text: str | None, *, end: bool = True) -> dt.date | None:
    """``2021`` / ``2021-05`` / ``2021-05-14`` → a date (the end of the period when ``end``)."""
    if not text:
        return None
    match = re.match(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", text.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if not 1 <= month <= 12:
        return None
    try:
        if match.group(3):
            return dt.date(year, month, int(match.group(3)))
        if end:
            first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
            return first_of_next - dt.timedelta(days=1)
        return dt.date(year, month, 1)
    except ValueError:
        return None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def is_overdue(trial: TrialRow, reference: dt.date, years: int = 2) -> bool:
    """Completed more than ``years`` before ``reference`` with neither posted results nor a
    linked publication. Undated trials are not flagged (nothing to count from)."""
    if (trial.status or "").upper() != "COMPLETED" or trial.has_results or trial.linked_pmids:
        return False
    completed = parse_partial_date(trial.completion_date or trial.primary_completion_date, end=True)
    if completed is None:
        return False
    return _add_years(completed, years) < reference


def bucket_years(counts: Mapping[int, int], years: int | None) -> tuple[int | None, list[tuple[int, int]]]:
    """Publications per year for display: ``(earlier, [(year, count), ...])``.

    Rows run from the first shown year to the latest year with a publication, gaps filled
    with 0. With ``years``, only that many years are shown (counted back from the latest
    year with a publication, never from the clock) and ``earlier`` is the count before them
    (``None`` when there is nothing earlier)."""
    present = sorted(y for y, n in counts.items() if n > 0)
    if not present:
        return None, []
    last = present[-1]
    first = present[0] if years is None else max(present[0], last - years + 1)
    earlier = sum(n for y, n in counts.items() if y < first)
    rows = [(y, int(counts.get(y, 0))) for y in range(first, last + 1)]
    return (earlier if earlier else None), rows


def count_rows(records: Iterable[Mapping[str, Any]]) -> list[CountRow]:
    """Design × indication × route cells from per-record tag summaries, the shape of
    ``Store.iter_tag_summaries()`` (``{"source", "id", "design": [...], "indication": [...],
    "route": [...]}``); a record counts once per cell it falls in."""
    cells: Counter[tuple[str, str, str, str]] = Counter()
    for rec in records:
        source = str(rec["source"])
        designs = sorted(set(rec.get("design") or [])) or [UNTAGGED]
        indications = sorted(set(rec.get("indication") or [])) or [UNTAGGED]
        routes = sorted(set(rec.get("route") or [])) or [UNTAGGED]
        for d in designs:
            for i in indications:
                for r in routes:
                    cells[(d, i, r, source)] += 1
    merged: dict[tuple[str, str, str], list[int]] = {}
    for (d, i, r, source), n in cells.items():
        slot = merged.setdefault((d, i, r), [0, 0])
        slot[0 if source == "pubmed" else 1] += n
    return [CountRow(d, i, r, a, t) for (d, i, r), (a, t) in merged.items()]


def _design_rank(design: str) -> tuple[int, str]:
    return (DESIGN_ORDER.index(design), "") if design in DESIGN_ORDER else (len(DESIGN_ORDER), design or "~")


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


def select_runs(runs: Iterable[RunInfo], limit: int = 20) -> list[RunInfo]:
    """Runs worth listing: those that added or revised records, or did not complete; newest first."""
    chosen = [r for r in runs if r.new_records or r.updated_records or r.status != "complete"]
    return sorted(chosen, key=lambda r: -r.id)[:limit]


# -- formatting -------------------------------------------------------------------------------


def _pct(p: float | None) -> str:
    return "—" if p is None else f"{p * 100:.0f}%"


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _label(slug: str, design: bool = False) -> str:
    if slug == UNTAGGED:
        return "—"
    if design and slug in DESIGN_LABELS:
        return DESIGN_LABELS[slug]
    return SLUG_LABELS.get(slug) or md_text(slug.replace("_", " "))


def _labels(slugs: Iterable[str], keep_order: bool = False) -> str:
    unique = list(dict.fromkeys(slugs))
    return ", ".join(_label(s) for s in (unique if keep_order else sorted(unique))) or "—"


def _source_name(source: str) -> str:
    return SOURCE_NAMES.get(source) or md_text(source)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["l"] * len(header)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _outcome(o: Outcome) -> str:
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
        text += f", I² = {p.i2 * 100 if p.i2 <= 1 else p.i2:.0f}%"
    return text + f"; {md_text(p.method)}"


def _phases(phases: Sequence[str]) -> str:
    names = [p.replace("EARLY_PHASE1", "Early 1").replace("PHASE", "").replace("NA", "n/a") for p in phases]
    return "/".join(md_text(n) for n in names) or "—"


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
    for s in sorted(stale, key=lambda x: (x.source, x.failed_at)):
        name = _source_name(s.source)
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
        parts = [f"{_label(d, design=True)} {n:,}" for d, n in sorted(designs, key=lambda x: _design_rank(x[0]))]
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
    rows.sort(key=lambda r: (_design_rank(r.design), _slug_rank(r.indication, focus.indication),
                             _slug_rank(r.route, focus.route)))
    lines.append("Distinct records per design × indication × route; a record with several tags appears in several "
                 "rows, so rows do not add up to the totals.")
    lines.append("")
    lines += _table(
        ["Design", "Indication", "Route", "Articles", "Trials"],
        ([_label(r.design, design=True), _label(r.indication), _label(r.route), _num(r.articles),
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
        lines += [_figure_link("Publications per year", data.figures["publications_per_year"]), ""]
    table_rows = []
    if earlier:
        table_rows.append([f"before {rows[0][0]}", _num(earlier)])
    table_rows += [[str(y), _num(n)] for y, n in rows]
    lines += _table(["Year", "Articles"], table_rows, ["l", "r"])
    return [*lines, ""]


def _key_evidence(data: ReportData) -> list[str]:
    lines = ["## Key evidence", ""]
    items = sorted(data.key_evidence, key=lambda e: (_design_rank(e.design), -(e.year or 0), -(e.n or 0),
                                                     *_record_sort_key(e.source, e.id)))
    if not items:
        return [*lines, "No meta-analyses, systematic reviews or randomised trials in focus yet.", ""]
    limit = data.query.report.key_evidence_limit
    groups = [
        ("Meta-analyses and systematic reviews", ("meta_analysis", "systematic_review")),
        ("Randomised controlled trials", ("rct",)),
    ]
    grouped = {d for _, ds in groups for d in ds}
    groups.append(("Other designs", tuple(sorted({e.design for e in items} - grouped, key=_design_rank))))
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
            outcomes = "; ".join(_outcome(o) for o in sorted(e.outcomes, key=lambda o: (o.measure, o.timepoint or "")))
            tags = "; ".join(x for x in (_labels(e.indication), _labels(e.route), _labels(e.molecule)) if x != "—")
            rows.append([
                record_link(e.source, e.id) + (f" ({links})" if links else ""),
                str(e.year) if e.year else "—",
                _label(e.design, design=True),
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
        lines += [_figure_link(f"Forest plot of {what} rates", data.figures["forest"]), ""]
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
        label = md_text(f.reference_label) if f.reference_label else "claimed value"
        lines += [f"Dashed reference line at {_pct(f.reference)}: {label}.", ""]
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
    cites = sorted(c.citations, key=lambda x: _record_sort_key(x.source, x.id))
    for cite in cites:
        text = f"- Evidence: {record_link(cite.source, cite.id)}"
        if cite.design:
            text += f" ({_label(cite.design, design=True)})"
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
        lines.append("Focus: " + "; ".join(f"{axis} {_labels(values, keep_order=True)}"
                                           for axis, values in focus.items()) + ".")
        lines.append("")
    if data.coverage:
        order = {"pubmed": 0, "ctgov": 1}
        lines += ["### Coverage", ""]
        rows = []
        for c in sorted(data.coverage, key=lambda c: (order.get(c.source, 9), c.source)):
            rows.append([_source_name(c.source), _num(c.expected), _num(c.records),
                         _num(c.unindexed) if c.source == "pubmed" else "—"])
        lines += _table(["Source", "Reported by source", "In cache", "Not yet indexed"], rows,
                        ["l", "r", "r", "r"])
        lines.append("")
    runs = select_runs(data.runs)
    lines += ["### Runs that changed the data", ""]
    if runs:
        rows = []
        for r in runs:
            rows.append([str(r.id), _source_name(r.source), md_text(r.mode or "—"), md_text(r.status),
                         md_text(r.started_at), md_text(r.finished_at or "—"), _num(r.expected), _num(r.retrieved),
                         _num(r.new_records), _num(r.updated_records), md_text(r.message or "", 160)])
        lines += _table(["Run", "Source", "Mode", "Status", "Started", "Finished", "Expected", "Retrieved", "New",
                         "Updated", "Message"], rows, ["r", "l", "l", "l", "l", "l", "r", "r", "r", "r", "l"])
    else:
        lines.append("None recorded.")
    lines += ["", "Runs that found nothing new are not listed; the time of the latest check is on the last line.", ""]
    lines += ["### Tool", "", f"- ketlit {md_text(data.tool_version)}"]
    lines += [f"- {md_text(k)}: {md_text(v)}" for k, v in sorted(data.provenance.items())]
    return [*lines, ""]


def stamp_line(data: ReportData) -> str:
    """The one line with wall-clock values; always starts with ``Generated: ``."""
    order = {"pubmed": 0, "ctgov": 1}
    checked = sorted(data.stamp.last_checked.items(), key=lambda kv: (order.get(kv[0], 9), kv[0]))
    parts = [f"{STAMP_PREFIX}{md_text(data.stamp.generated_at)}"]
    if checked:
        parts.append("last checked: " + ", ".join(f"{_source_name(s)} {md_text(t)}" for s, t in checked))
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


__all__ = [
    "ArticleRef", "Changes", "Citation", "ClaimCheck", "ClaimGroup", "ClaimMarkdown", "CountRow", "EvidenceItem",
    "FieldChange", "ForestData", "ForestStudy", "Outcome", "PooledEstimate", "ReportData", "RunInfo",
    "SourceCoverage", "StaleSource", "Stamp", "Totals", "TrialRef", "TrialRow", "VerdictChange", "bucket_years",
    "code_block", "code_span", "count_rows", "is_overdue", "md_text", "nct_link", "parse_partial_date", "pmid_link",
    "record_link", "render_report", "select_runs", "shift_headings", "stamp_line", "study_interval",
    "wilson_interval",
]
