"""Records passed between stages (parse → store → tag → report) as plain dataclasses.

Parsers build these without touching the network or the database, so every stage can be
tested on recorded payloads alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AbstractSection:
    """One ``AbstractText`` element: label and NLM category kept, inline markup flattened."""

    label: str | None
    category: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Qualifier:
    ui: str | None
    name: str
    major: bool


@dataclass(frozen=True, slots=True)
class MeshHeading:
    ui: str | None
    descriptor: str
    major: bool
    qualifiers: tuple[Qualifier, ...] = ()

    @property
    def is_major(self) -> bool:
        """Major topic on the descriptor or on any qualifier (PubMed's own rule)."""
        return self.major or any(q.major for q in self.qualifiers)


@dataclass(frozen=True, slots=True)
class Chemical:
    ui: str | None
    name: str
    registry_number: str | None
    kind: str  # "chemical" (ChemicalList) or "supplementary" (SupplMeshList)


@dataclass(frozen=True, slots=True)
class Author:
    last_name: str | None
    fore_name: str | None
    initials: str | None
    collective: str | None
    affiliation: str | None


@dataclass(frozen=True, slots=True)
class Correction:
    """A ``CommentsCorrections`` link, e.g. RetractionIn / ErratumIn / ExpressionOfConcernIn."""

    ref_type: str
    pmid: str | None
    ref_source: str | None


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
        if self.year is None:
            return None
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


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
        return sorted({nct for nct, _ in self.nct_links})
