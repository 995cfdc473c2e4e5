"""Evidence records, the index that supplies them, and how much each design counts.

Design decisions:

* **One record shape for both sources.** :class:`EvidenceRecord` carries what the verdict engine
  needs from a PubMed article or a ClinicalTrials.gov study: text, year, tags on the five axes
  (the tagger's slugs), whether MEDLINE indexing was available (designs of unindexed records
  come from text and are flagged), trial fields, and posted results rows shaped like the
  ``trial_results`` table. Linked identifiers (NCT IDs in an abstract, PMIDs of a trial) let the
  engine avoid counting one trial twice. A PubMed record also carries its stored **study
  profile** (question, size, blinding, findings, trial group) when it has one; the verdict
  engine reads a profile from the abstract on the spot for records without one (fixtures).
* **The index is a Protocol.** :class:`EvidenceIndex` has one method, ``candidates(claim)``. The
  cache-backed implementation (tags + FTS) lives with the store; :class:`InMemoryIndex` here is
  the same contract over a list, for tests and for fixtures. Candidates may be generous: every
  exclusion (animal study, other indication, narrative review) is decided — and reported — by
  the verdict engine, not hidden in retrieval.
* **Ranking by design** comes from ``[evidence.design_rank]`` in the rules (meta-analysis /
  systematic review > RCT > non-randomised trial > observational > case report). Animal and
  in-vitro studies never count for clinical claims; narrative reviews, protocols and guidelines
  are listed but do not count as evidence of effect. A retracted article (``retracted``: a
  RetractionIn notice or the publication type) never counts either, for or against: the verdict
  engine sets it aside and says so, as the report marks it wherever it lists it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules
from ketlit.ids import NCT_ID, PMID

_PMID = PMID
_NCT = NCT_ID


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """A PubMed article or CT.gov study as the claim checker sees it."""

    source: str  # "pubmed" | "ctgov"
    id: str  # PMID or NCT ID
    title: str
    abstract: str = ""
    year: int | None = None
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    indexed: bool = True
    phase: str | None = None
    status: str | None = None
    enrollment: int | None = None
    has_results: bool = False
    results: tuple[Mapping[str, Any], ...] = ()
    linked_ids: tuple[str, ...] = ()
    # The stored study profile (``ketlit.evidence.profile.profile_to_dict`` plus its trial
    # ``group``), when the record has one; the verdict engine reads findings from it.
    profile: Mapping[str, Any] | None = None
    # Retracted (a RetractionIn notice or the publication type): listed, never counted.
    retracted: bool = False

    def axis(self, name: str) -> tuple[str, ...]:
        """The record's tags on one axis (indication, route, molecule, design, population)."""
        return tuple(self.tags.get(name, ()))

    @property
    def url(self) -> str | None:
        """PubMed or ClinicalTrials.gov page, only for well-formed identifiers."""
        if self.source == "pubmed" and _PMID.match(self.id):
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.id}/"
        if self.source == "ctgov" and _NCT.match(self.id):
            return f"https://clinicaltrials.gov/study/{self.id}"
        return None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EvidenceRecord:
        """Build from a plain dict (fixtures, JSON); unknown keys are ignored."""
        tags = {str(k): tuple(str(x) for x in v) for k, v in (d.get("tags") or {}).items()}
        results = tuple(r for r in d.get("results") or () if isinstance(r, Mapping))
        year = d.get("year")
        enrollment = d.get("enrollment")
        return cls(
            source=str(d["source"]),
            id=str(d["id"]),
            title=str(d.get("title") or ""),
            abstract=str(d.get("abstract") or ""),
            year=int(year) if year is not None else None,
            tags=tags,
            indexed=bool(d.get("indexed", True)),
            phase=d.get("phase"),
            status=d.get("status"),
            enrollment=int(enrollment) if enrollment is not None else None,
            has_results=bool(d.get("has_results", bool(results))),
            results=results,
            linked_ids=tuple(str(x) for x in d.get("linked_ids") or ()),
            profile=d.get("profile") if isinstance(d.get("profile"), Mapping) else None,
            retracted=bool(d.get("retracted", False)),
        )


class EvidenceIndex(Protocol):
    """Supplies candidate evidence for a claim."""

    def candidates(self, claim: Claim) -> list[EvidenceRecord]:
        """Records that may bear on the claim (the verdict engine filters and explains)."""
        ...


def design_of(record: EvidenceRecord, rules: Rules) -> str:
    """The record's strongest design tag by the rules' ranking ('other' when untagged)."""
    designs = record.axis("design")
    if not designs:
        return "other"
    for d in designs:
        if d in rules.preclinical:
            return d
    return max(designs, key=lambda d: (rules.design_rank.get(d, 0), d))


def design_rank(record: EvidenceRecord, rules: Rules) -> int:
    """How much the record's design counts (0: not evidence of effect)."""
    return rules.design_rank.get(design_of(record, rules), 0)


def is_preclinical(record: EvidenceRecord, rules: Rules) -> bool:
    """Animal or in-vitro work (by design or population tag)."""
    return design_of(record, rules) in rules.preclinical or (
        "animals" in record.axis("population") and "adults" not in record.axis("population")
    )


def sort_key(record: EvidenceRecord, rules: Rules) -> tuple[int, int, str, str]:
    """Strongest design first, then newest, then source and id (deterministic)."""
    return (-design_rank(record, rules), -(record.year or 0), record.source, record.id)


class InMemoryIndex:
    """An :class:`EvidenceIndex` over a list of records (tests, fixtures)."""

    def __init__(self, records: Iterable[EvidenceRecord], rules: Rules) -> None:
        self.records = list(records)
        self.rules = rules

    def candidates(self, claim: Claim) -> list[EvidenceRecord]:
        """Records sharing an indication family with the claim; all records for safety claims."""
        if claim.kind in ("safety", "regulatory", "dosing") or not claim.indication:
            chosen = list(self.records)
        else:
            wanted: set[str] = set()
            for ind in claim.indication:
                fam = self.rules.family(ind)
                wanted.update((ind, *fam.direct, *fam.indirect))
            # Records of other indications are passed on too when they mention one in text,
            # exactly like an FTS hit would be: the engine decides and says why it excludes them.
            chosen = [r for r in self.records if wanted & set(r.axis("indication")) or not r.axis("indication")]
        return sorted(chosen, key=lambda r: sort_key(r, self.rules))


def records_from_dicts(items: Sequence[Mapping[str, Any]]) -> list[EvidenceRecord]:
    """Records from a list of plain dicts (fixture files)."""
    return [EvidenceRecord.from_dict(d) for d in items]
