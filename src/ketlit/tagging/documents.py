"""Building the tagger's view of a record: a PubMed article or a CT.gov study → :class:`TagDoc`.

Design decisions:

* **One view of every source.** :func:`doc_from_article` and :func:`doc_from_study` turn a
  PubMed :class:`~ketlit.sources.models.Article` and a ClinicalTrials.gov
  :class:`~ketlit.sources.models.Study` into a :class:`~ketlit.tagging.model.TagDoc`: free-text
  fields as ``(field, text)`` pairs plus structured signals, so the engine never knows which
  source a record came from.
* **Pure.** No I/O and no rules here: what a field is worth is decided by the rules file, not
  by how the document is built.
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.sources.models import AbstractSection, Article, Study
from ketlit.tagging.model import MeshTerm, TagDoc

_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\b", re.IGNORECASE)
_AGE_UNIT_YEARS: Final = {
    "year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, "hour": 0.0, "minute": 0.0
}
_EXCLUSION_HEAD = re.compile(r"^\s*exclusion criteria\s*:?", re.IGNORECASE | re.MULTILINE)


def _age_years(text: str | None) -> float | None:
    """Years from a registry age such as ``"18 Years"`` or ``"6 Months"``; ``None`` if absent."""
    if not text:
        return None
    m = _AGE_RE.match(text)
    if m is None:
        return None
    return float(m.group(1)) * _AGE_UNIT_YEARS[m.group(2).lower()]


def doc_from_article(a: Article) -> TagDoc:
    """A :class:`TagDoc` from a PubMed record (title, abstract sections, keywords, MeSH, PTs)."""
    fields: list[tuple[str, str]] = []
    if a.title:
        fields.append(("title", a.title))
    for s in a.sections:
        if s.text:
            fields.append((f"abstract:{s.label}" if s.label else "abstract", s.text))
    fields.extend(("keyword", k) for k in a.keywords if k)
    return TagDoc(
        source="pubmed",
        id=a.pmid,
        fields=tuple(fields),
        # Lists made into tuples: a generator costs a frame switch per item, and every record stored is tagged.
        mesh=tuple([MeshTerm(m.descriptor, m.ui, m.is_major, tuple([q.name for q in m.qualifiers])) for m in a.mesh]),
        publication_types=tuple([name for _, name in a.publication_types]),
        chemicals=tuple([(c.ui, c.name) for c in a.chemicals]),
        indexed=a.indexed,
    )


def _split_eligibility(criteria: str) -> tuple[str, str]:
    m = _EXCLUSION_HEAD.search(criteria)
    if m is None:
        return criteria, ""
    return criteria[: m.start()], criteria[m.start() :]


def doc_from_study(s: Study) -> TagDoc:
    """A :class:`TagDoc` from a ClinicalTrials.gov study (titles, conditions, arms, design enums)."""
    fields: list[tuple[str, str]] = []

    def add(name: str, text: str | None) -> None:
        if text and text.strip():
            fields.append((name, text))

    add("title", s.brief_title)
    add("official_title", s.official_title)
    for c in s.conditions:
        add("condition", c)
    for k in s.keywords:
        add("keyword", k)
    for i in s.interventions:
        add("intervention", i.name)
        for other in i.other_names:
            add("intervention", other)
        add("intervention_description", i.description)
    for arm in s.arm_groups:
        add("arm", arm.label)
        add("arm", arm.description)
    add("summary", s.brief_summary)
    add("description", s.detailed_description)
    for o in (*s.primary_outcomes, *s.secondary_outcomes):
        add("outcome", o.measure)
    elig = s.eligibility
    if elig is not None and elig.criteria:
        inclusion, exclusion = _split_eligibility(elig.criteria)
        add("inclusion", inclusion)
        add("exclusion", exclusion)
    return TagDoc(
        source="ctgov",
        id=s.nct_id,
        fields=tuple(fields),
        phases=s.phases,
        study_type=s.study_type,
        allocation=s.allocation,
        masking=s.masking,
        intervention_types=tuple(sorted({i.type for i in s.interventions if i.type})),
        std_ages=elig.std_ages if elig is not None else (),
        healthy_volunteers=elig.healthy_volunteers if elig is not None else None,
        min_age_years=_age_years(elig.minimum_age) if elig is not None else None,
        max_age_years=_age_years(elig.maximum_age) if elig is not None else None,
        condition_meshes=tuple(m.term for m in s.condition_meshes if m.term),
        intervention_meshes=tuple(m.term for m in s.intervention_meshes if m.term),
        indexed=bool(s.condition_meshes or s.intervention_meshes),
    )


_UPPER_LABEL = re.compile(r"(?:^|(?<=\s))([A-Z][A-Z0-9 &/,()'-]{1,60}[A-Z)]):\s+")


def split_labelled_abstract(text: str, min_labels: int = 2) -> list[AbstractSection]:
    """Split ``"BACKGROUND: … METHODS: …"`` into labelled sections (upper-case labels only).

    Text with fewer than ``min_labels`` labels, or not starting with one, stays one
    unlabelled section: the tagger then finds title-case labels and cue sentences itself.
    """
    marks = [m for m in _UPPER_LABEL.finditer(text) if any(c.isalpha() for c in m.group(1))]
    if len(marks) < min_labels or text[: marks[0].start()].strip():
        return [AbstractSection(None, None, text.strip())] if text.strip() else []
    sections: list[AbstractSection] = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[m.end() : end].strip()
        if body:
            sections.append(AbstractSection(m.group(1).strip(), None, body))
    return sections
