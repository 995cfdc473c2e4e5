"""Records passed between stages (parse → store → tag → report) as plain dataclasses.

Two families, one module, so that the store, the tagger and the report import a *type*
without importing a parser:

- **PubMed** (:mod:`ketlit.sources.pubmed_parse`): :class:`Article` and its parts
  (abstract sections, MeSH headings, chemicals, authors, corrections) and
  :class:`PartialDate`, a publication date of year/season/month/day precision.
- **ClinicalTrials.gov** (:mod:`ketlit.sources.ctgov_parse`): :class:`Study` and its parts
  (sponsors, interventions, arms, registered outcomes, eligibility, references, MeSH,
  posted results with their groups, measurements, analyses and adverse events) and
  :class:`RegistryDate`, a registry date with its precision and ACTUAL/ESTIMATED type.
  The registry's types carry registry-specific names (``RegistryDate``,
  ``RegisteredOutcome``, ``ResultAnalysis``) so no name here means two things.

Parsers build these without touching the network or the database, so every stage can be
tested on recorded payloads alone. Registry records are frozen, slotted and hold tuples, so
a parsed study can be hashed and shared; an :class:`Article` is filled in field by field
while its XML streams past and is therefore mutable.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar

_C = TypeVar("_C", bound=type)


def _quick_pickle(cls: _C) -> _C:
    """Pickle a slotted dataclass as the tuple of its field values.

    Articles travel to and from worker processes by pickle (:mod:`ketlit.jobs.workers`), a hundred
    small objects each (MeSH headings, qualifiers, sections). The state methods ``dataclass``
    writes for slotted classes call ``dataclasses.fields`` for every object, which was half of
    pickling an article; these read the field names once. Same objects after the round trip."""
    names = tuple(f.name for f in fields(cls))
    values: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names) if len(names) > 1 else (
        lambda obj: (getattr(obj, names[0]),))
    put = object.__setattr__  # frozen classes refuse plain assignment, as in the dataclass's own

    def getstate(self: Any) -> tuple[Any, ...]:
        return values(self)

    def setstate(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            put(self, name, value)

    setattr(cls, "__getstate__", getstate)  # noqa: B010 (mypy refuses the plain assignment on a type)
    setattr(cls, "__setstate__", setstate)  # noqa: B010
    return cls


@_quick_pickle
@dataclass(frozen=True, slots=True)
class AbstractSection:
    """One ``AbstractText`` element: label and NLM category kept, inline markup flattened."""

    label: str | None
    category: str | None
    text: str


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Qualifier:
    """A MeSH qualifier (subheading) of one heading; ``major`` marks a major topic."""

    ui: str | None
    name: str
    major: bool


@_quick_pickle
@dataclass(frozen=True, slots=True)
class MeshHeading:
    """A MeSH descriptor with its qualifiers, as indexed on a PubMed record."""

    ui: str | None
    descriptor: str
    major: bool
    qualifiers: tuple[Qualifier, ...] = ()

    @property
    def is_major(self) -> bool:
        """Major topic on the descriptor or on any qualifier (PubMed's own rule)."""
        return self.major or any(q.major for q in self.qualifiers)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Chemical:
    """A substance from the record's ChemicalList or SupplMeshList."""

    ui: str | None
    name: str
    registry_number: str | None
    kind: str  # "chemical" (ChemicalList) or "supplementary" (SupplMeshList)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Author:
    """One author: a person's name parts, or a collective (group) name."""

    last_name: str | None
    fore_name: str | None
    initials: str | None
    collective: str | None
    affiliation: str | None


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Correction:
    """A ``CommentsCorrections`` link, e.g. RetractionIn / ErratumIn / ExpressionOfConcernIn."""

    ref_type: str
    pmid: str | None
    ref_source: str | None


@_quick_pickle
@dataclass(frozen=True, slots=True)
class PartialDate:
    """A publication date with its precision: 'day', 'month', 'season' or 'year'."""

    year: int | None
    month: int | None = None
    day: int | None = None
    season: str | None = None
    precision: str | None = None
    raw: str | None = None
    end: str | None = None  # ISO end of a range ("1990 May-Jun" → 1990-06)

    @property
    def iso(self) -> str | None:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` to the known precision; ``None`` without a year."""
        if self.year is None:
            return None
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@_quick_pickle
@dataclass(slots=True)
class Article:
    """One PubMed record (journal article or book/chapter)."""

    pmid: str
    record_type: str = "article"  # "article" | "book"
    version: str | None = None
    title: str = ""
    vernacular_title: str | None = None
    sections: list[AbstractSection] = field(default_factory=list)
    abstract_source: str | None = None  # "abstract" | "other_abstract" | None
    abstract_language: str | None = None
    journal: str | None = None
    journal_abbrev: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pub_date: PartialDate = field(default_factory=lambda: PartialDate(None))
    languages: list[str] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    publication_types: list[tuple[str | None, str]] = field(default_factory=list)
    mesh: list[MeshHeading] = field(default_factory=list)
    chemicals: list[Chemical] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    doi: str | None = None
    pmcid: str | None = None
    pii: str | None = None
    databanks: list[tuple[str, str]] = field(default_factory=list)  # (bank, accession)
    nct_links: list[tuple[str, str]] = field(default_factory=list)  # (NCT id, origin)
    corrections: list[Correction] = field(default_factory=list)
    citation_status: str | None = None
    date_completed: str | None = None
    date_revised: str | None = None
    entrez_date: str | None = None

    @property
    def abstract(self) -> str:
        """The abstract as one text, section labels kept ("METHODS: …"), one section per line."""
        return "\n".join(f"{s.label}: {s.text}" if s.label else s.text for s in self.sections)

    @property
    def indexed(self) -> bool:
        """MEDLINE-indexed (has MeSH / reliable publication types). Unindexed records are
        tagged from text alone and flagged in reports."""
        return self.citation_status == "MEDLINE" or bool(self.mesh)

    @property
    def nct_ids(self) -> list[str]:
        """The linked NCT IDs, whatever their origin, sorted and de-duplicated."""
        return sorted({nct for nct, _ in self.nct_links})


# ------------------------------------------------------------- ClinicalTrials.gov

Precision = Literal["day", "month", "year"]


@dataclass(frozen=True, slots=True)
class RegistryDate:
    """A registry date: ISO text as given, its precision, and ACTUAL/ESTIMATED if stated."""

    date: str
    precision: Precision
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Sponsor:
    """A lead sponsor or collaborator; ``agency_class`` is e.g. INDUSTRY, NIH, OTHER."""

    name: str
    agency_class: str | None = None


@dataclass(frozen=True, slots=True)
class Intervention:
    """One registered intervention (``type`` e.g. DRUG, BEHAVIORAL)."""

    type: str | None
    name: str | None
    description: str | None
    other_names: tuple[str, ...]
    arm_group_labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArmGroup:
    """One registered arm; ``intervention_names`` look like ``"Drug: placebo"``."""

    label: str | None
    type: str | None
    description: str | None
    intervention_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegisteredOutcome:
    """A registered (protocol) outcome: primary, secondary or other."""

    measure: str | None
    description: str | None
    time_frame: str | None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Eligibility summary; ages are the registry's text (``"18 Years"``)."""

    minimum_age: str | None
    maximum_age: str | None
    sex: str | None
    healthy_volunteers: bool | None
    std_ages: tuple[str, ...]
    criteria: str | None


@dataclass(frozen=True, slots=True)
class Reference:
    """A literature reference; ``type`` is RESULT, BACKGROUND or DERIVED."""

    pmid: str | None
    type: str | None
    citation: str | None


@dataclass(frozen=True, slots=True)
class Mesh:
    """A derived MeSH heading (``id`` like ``D000003550``)."""

    id: str | None
    term: str | None


@dataclass(frozen=True, slots=True)
class ResultGroup:
    """An arm/group as reported in results (``id`` like ``OG000``)."""

    id: str | None
    title: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class DenomCount:
    """Number analysed in one group, as the posted string."""

    group_id: str | None
    value: str | None


@dataclass(frozen=True, slots=True)
class Denom:
    """ResultAnalysis population for a measure, or for one class when ``class_title`` is set."""

    units: str | None
    counts: tuple[DenomCount, ...]
    class_title: str | None = None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One cell of an outcome-measure table; all numbers are the posted strings."""

    class_title: str | None
    category_title: str | None
    group_id: str | None
    value: str | None
    spread: str | None
    lower: str | None
    upper: str | None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ResultAnalysis:
    """A statistical analysis; ``p_value`` is kept exactly as posted (``"<0.0001"``)."""

    group_ids: tuple[str, ...]
    group_description: str | None
    p_value: str | None
    statistical_method: str | None
    param_type: str | None
    param_value: str | None
    ci_pct: str | None
    ci_num_sides: str | None
    ci_lower: str | None
    ci_upper: str | None
    non_inferiority_type: str | None
    dispersion_type: str | None
    dispersion_value: str | None
    estimate_comment: str | None


@dataclass(frozen=True, slots=True)
class OutcomeMeasure:
    """A results outcome measure with its groups, denominators, cells and analyses."""

    type: str | None
    title: str | None
    description: str | None
    population_description: str | None
    time_frame: str | None
    unit: str | None
    param_type: str | None
    dispersion_type: str | None
    reporting_status: str | None
    groups: tuple[ResultGroup, ...]
    denoms: tuple[Denom, ...]
    class_denoms: tuple[Denom, ...]
    measurements: tuple[Measurement, ...]
    analyses: tuple[ResultAnalysis, ...]


@dataclass(frozen=True, slots=True)
class EventGroup:
    """Adverse-event totals for one group (``id`` like ``EG000``)."""

    id: str | None
    title: str | None
    description: str | None
    serious_num_affected: int | None
    serious_num_at_risk: int | None
    other_num_affected: int | None
    other_num_at_risk: int | None
    deaths_num_affected: int | None
    deaths_num_at_risk: int | None


@dataclass(frozen=True, slots=True)
class EventStat:
    """Counts for one adverse-event term in one group."""

    group_id: str | None
    num_events: int | None
    num_affected: int | None
    num_at_risk: int | None


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One serious or other adverse-event term with per-group stats."""

    term: str | None
    organ_system: str | None
    source_vocabulary: str | None
    assessment_type: str | None
    notes: str | None
    stats: tuple[EventStat, ...]


@dataclass(frozen=True, slots=True)
class AdverseEvents:
    """The adverse-events module of the results section."""

    frequency_threshold: str | None
    time_frame: str | None
    description: str | None
    groups: tuple[EventGroup, ...]
    serious: tuple[AdverseEvent, ...]
    other: tuple[AdverseEvent, ...]


@dataclass(frozen=True, slots=True)
class Results:
    """The parts of ``resultsSection`` ketlit uses."""

    outcome_measures: tuple[OutcomeMeasure, ...]
    adverse_events: AdverseEvents | None
    flow_group_count: int | None


@dataclass(frozen=True, slots=True)
class Study:
    """One ClinicalTrials.gov study (latest version), flattened for ketlit."""

    nct_id: str
    brief_title: str | None
    official_title: str | None
    acronym: str | None
    overall_status: str | None
    why_stopped: str | None
    phases: tuple[str, ...]
    study_type: str | None
    allocation: str | None
    masking: str | None
    intervention_model: str | None
    primary_purpose: str | None
    enrollment_count: int | None
    enrollment_type: str | None
    start: RegistryDate | None
    primary_completion: RegistryDate | None
    completion: RegistryDate | None
    first_posted: RegistryDate | None
    results_first_posted: RegistryDate | None
    last_update_posted: RegistryDate | None
    status_verified: RegistryDate | None
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]
    interventions: tuple[Intervention, ...]
    arm_groups: tuple[ArmGroup, ...]
    primary_outcomes: tuple[RegisteredOutcome, ...]
    secondary_outcomes: tuple[RegisteredOutcome, ...]
    other_outcomes: tuple[RegisteredOutcome, ...]
    lead_sponsor: Sponsor | None
    collaborators: tuple[Sponsor, ...]
    countries: tuple[str, ...]
    has_results: bool
    brief_summary: str | None
    detailed_description: str | None
    eligibility: Eligibility | None
    results: Results | None
    references: tuple[Reference, ...]
    condition_meshes: tuple[Mesh, ...]
    intervention_meshes: tuple[Mesh, ...]
