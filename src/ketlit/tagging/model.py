"""Tagging record types: the source-neutral document the tagger reads and the tags it returns.

Design decisions:

* **Types apart from behaviour.** Every tagging module (document building, rule loading, the
  engine) and every caller (jobs, bench, tests) shares these types; keeping them here means no
  caller imports the engine or the rules loader for a type.
* **Structured signals are fields.** :meth:`TagDoc.structured` exposes publication types, MeSH,
  CT.gov design enums and ages as ``(field, value)`` pairs, so one rule format covers text and
  structured data (the field names are :data:`STRUCTURED_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

AXES: Final = ("indication", "route", "molecule", "design", "population")

# Structured signals a TagDoc exposes as fields; everything else is free text.
STRUCTURED_FIELDS: Final = frozenset(
    {
        "pt",
        "mesh",
        "mesh_major",
        "mesh_qualifier",
        "chemical",
        "chemical_ui",
        "phase",
        "study_type",
        "allocation",
        "masking",
        "intervention_type",
        "std_age",
        "age_group",
        "healthy_volunteers",
        "condition_mesh",
        "intervention_mesh",
        "indexed",
    }
)
TEXT_FIELDS: Final = frozenset(
    {
        "title",
        "official_title",
        "abstract",
        "keyword",
        "condition",
        "intervention",
        "intervention_description",
        "arm",
        "summary",
        "description",
        "inclusion",
        "exclusion",
        "outcome",
    }
)
ALL_FIELDS: Final = STRUCTURED_FIELDS | TEXT_FIELDS



@dataclass(frozen=True, slots=True)
class MeshTerm:
    """A MeSH descriptor with its qualifiers (names) and major-topic flag."""

    descriptor: str
    ui: str | None = None
    major: bool = False
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TagDoc:
    """A source-neutral view of one record: what the tagger reads, nothing more.

    ``fields`` holds free text as ``(field, text)``; abstract sections are named
    ``"abstract"`` or ``"abstract:<LABEL>"``. The other attributes are structured signals.
    """

    source: str  # "pubmed" | "ctgov"
    id: str
    fields: tuple[tuple[str, str], ...] = ()
    mesh: tuple[MeshTerm, ...] = ()
    publication_types: tuple[str, ...] = ()
    chemicals: tuple[tuple[str | None, str], ...] = ()  # (ui, name); supplementary concepts included
    phases: tuple[str, ...] = ()
    study_type: str | None = None
    allocation: str | None = None
    masking: str | None = None
    intervention_types: tuple[str, ...] = ()
    std_ages: tuple[str, ...] = ()
    healthy_volunteers: bool | None = None
    min_age_years: float | None = None
    max_age_years: float | None = None
    condition_meshes: tuple[str, ...] = ()
    intervention_meshes: tuple[str, ...] = ()
    indexed: bool = False

    def structured(self) -> Iterator[tuple[str, str]]:
        """The structured signals as ``(field, value)`` pairs, in a fixed order."""
        for pt in self.publication_types:
            yield "pt", pt
        for m in self.mesh:
            yield "mesh", m.descriptor
            if m.major:
                yield "mesh_major", m.descriptor
            for q in m.qualifiers:
                yield "mesh_qualifier", f"{m.descriptor}/{q}"
        for ui, name in self.chemicals:
            yield "chemical", name
            if ui:
                yield "chemical_ui", ui
        for p in self.phases:
            yield "phase", p
        if self.study_type:
            yield "study_type", self.study_type
        if self.allocation:
            yield "allocation", self.allocation
        if self.masking:
            yield "masking", self.masking
        for t in self.intervention_types:
            yield "intervention_type", t
        for a in self.std_ages:
            yield "std_age", a
        for g in age_groups(self.min_age_years, self.max_age_years):
            yield "age_group", g
        if self.healthy_volunteers is not None:
            yield "healthy_volunteers", "yes" if self.healthy_volunteers else "no"
        for c in self.condition_meshes:
            yield "condition_mesh", c
        for i in self.intervention_meshes:
            yield "intervention_mesh", i
        yield "indexed", "yes" if self.indexed else "no"


@dataclass(frozen=True, slots=True)
class TagEvidence:
    """Why a tag was given: the rule, where it matched, and how much it counted."""

    rule_id: str
    field: str
    span: str
    start: int
    end: int
    weight: float = 0.0
    note: str = ""


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag on one axis, with its evidence (strongest first) and total score."""

    axis: str
    value: str
    evidence: tuple[TagEvidence, ...]
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule match considered for a tag; ``status`` is "tagged" or why it did not count."""

    axis: str
    value: str
    evidence: TagEvidence
    status: str


@dataclass(frozen=True, slots=True)
class TagAnalysis:
    """The tags of a record plus every candidate match, for ``explain`` and error analysis."""

    tags: tuple[Tag, ...]
    candidates: tuple[Candidate, ...]




def age_groups(min_age: float | None, max_age: float | None) -> tuple[str, ...]:
    """Age bands an eligibility range covers; older adults only when the range starts ≥ 60."""
    if min_age is None and max_age is None:
        return ()
    lo = min_age if min_age is not None else 0.0
    hi = max_age if max_age is not None else 200.0
    groups: list[str] = []
    if lo < 12:
        groups.append("children")
    if lo < 18 and hi >= 12:
        groups.append("adolescents")
    if hi >= 18 and lo < 65:
        groups.append("adults")
    if lo >= 60:
        groups.append("older_adults")
    return tuple(groups)
