"""The report's data model: :class:`ReportData` and its parts, everything one report shows.

Design decisions:
- **Plain frozen dataclasses, no behaviour.** The caller (the gathering step) fills them from
  the cache; :mod:`ketlit.report.render` and :mod:`ketlit.report.plots` only read them. Sequences
  may arrive in any order: the renderer sorts every list with an explicit key.
- **Proportions are 0–1 here, I² is in percent**, as the pooling computes them. Reports build
  :class:`ClaimCheck` straight from the checker's objects (``report.gather``);
  :meth:`ClaimCheck.from_dict` only reads the check JSON shape (saved ``ketlit check --format
  json`` output, fixtures), whose pooled percentages (``"unit": "%"``) it scales back.
- **No run history.** Run ids, run times and per-run "new records" counts depend on the order the
  query files were fetched in and on interruptions, not on the data; a report carries only the
  latest search's status per source (:class:`SourceCoverage`), and wall-clock values only in
  :class:`Stamp`. ``ketlit status --runs N`` lists the runs themselves.
- :class:`ReportOutcome` is named apart from ``ketlit.claims.rules.Outcome`` (a claim rule's
  outcome vocabulary), so no two types in the project share a name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ketlit.queries import QueryFile

UNTAGGED = ""  # an axis with no tag; shown as an em dash and sorted last



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
class MapCell:
    """Distinct records (articles and trials) with one indication and a design of one map column."""

    records: int
    routes: Mapping[str, int] = field(default_factory=dict)  # route slug → distinct records; untagged left out


@dataclass(frozen=True)
class MapRow:
    """One indication's row of the evidence map ("" = records with no indication tag)."""

    indication: str
    records: int  # distinct records with this indication, whatever their design
    cells: Mapping[str, MapCell] = field(default_factory=dict)  # column title → cell; absent: no records


@dataclass(frozen=True)
class EvidenceMap:
    """The indication × design pivot, every count distinct records (see ``derive.evidence_map``)."""

    columns: tuple[str, ...]  # column titles, in display order
    rows: tuple[MapRow, ...] = ()  # any order: the renderer sorts
    records: int = 0  # distinct records in the map
    trials: int = 0  # of which ClinicalTrials.gov trials


@dataclass(frozen=True)
class ReportOutcome:
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
    outcomes: tuple[ReportOutcome, ...] = ()
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
    i2: float | None = None  # percent (0–100), as the pooling reports it
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
    # Where the claim's sentence starts on its page (None: not known, or a sentence not checked): parts of
    # one sentence carry its one reconciled verdict and are shown as one row.
    sentence: int | None = None
    part_verdict: str | None = None  # the part's own verdict when the sentence's (``verdict``) differs

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
        location = data.get("location") if data.get("checkable", True) else None
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
            sentence=int(location["start"]) if isinstance(location, Mapping) and "start" in location else None,
            part_verdict=_opt_str(data.get("part_verdict")),
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
    """A new or retracted article, as listed under changes."""

    pmid: str
    title: str
    year: int | None = None
    journal: str | None = None


@dataclass(frozen=True)
class TrialRef:
    """A new trial, as listed under changes."""

    nct_id: str
    title: str
    status: str | None = None


@dataclass(frozen=True)
class FieldChange:
    """A registry field that moved (same fields as ``ketlit.store.trials.TrialChange``)."""

    nct_id: str
    field: str  # overall_status | has_results | enrollment_count | ...
    before: Any
    after: Any


@dataclass(frozen=True)
class VerdictChange:
    """A claim whose verdict or certainty moved since the previous run."""

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
    # Articles whose title or abstract PubMed revised (a correction, an abstract added later).
    revised_articles: tuple[ArticleRef, ...] = ()
    # Records in the previous results that are not in these (the query changed, PubMed withdrew one).
    removed_articles: tuple[ArticleRef, ...] = ()
    removed_trials: tuple[TrialRef, ...] = ()


@dataclass(frozen=True)
class SourceCoverage:
    """One source's coverage for the query."""

    source: str
    records: int  # records of this query in the cache
    expected: int | None = None  # what the source reports for the query (latest total count)
    unindexed: int | None = None
    # The query's latest fetch from this source: its status (complete, incomplete, limited, failed,
    # interrupted, running; None when never fetched) and, for a shortfall, what it got of what it expected.
    search_status: str | None = None
    search_retrieved: int | None = None
    search_expected: int | None = None
    notes: str | None = None  # the source's warnings about the query in its latest complete full search


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
    evidence_map: EvidenceMap | None = None
    publications_per_year: Mapping[int, int] = field(default_factory=dict)
    key_evidence: Sequence[EvidenceItem] = ()
    forest: ForestData | None = None
    trials: Sequence[TrialRow] = ()
    claims: Sequence[ClaimGroup] = ()
    changes: Changes | None = None
    coverage: Sequence[SourceCoverage] = ()
    stale: Sequence[StaleSource] = ()
    figures: Mapping[str, str] = field(default_factory=dict)  # publications_per_year | forest → relative path
    provenance: Mapping[str, str] = field(default_factory=dict)  # extra appendix lines, e.g. tagging rules hash


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)

