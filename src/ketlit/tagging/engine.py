"""Tag records on five axes (indication, route, molecule, design, population), with evidence.

Design decisions:

* **Generic engine, domain knowledge in data.** Everything about ketamine (and about the
  medicine of the five axes) lives in the packaged ``data/tagging_rules.toml``: the axis
  vocabularies, every pattern, every context cue, the drug anchors and all weights. This
  module only knows how to run rules over a source-neutral :class:`TagDoc`, so a user can
  change behaviour without touching code and the same engine can serve another drug.
* **One view of every source.** :func:`doc_from_article` and :func:`doc_from_study` turn a
  PubMed :class:`~ketlit.sources.models.Article` and a ClinicalTrials.gov
  :class:`~ketlit.sources.ctgov_parse.Study` into a :class:`TagDoc`: free-text fields as
  ``(field, text)`` pairs plus structured signals (publication types, MeSH, supplementary
  concepts, CT.gov design enums, ages). Structured signals are exposed to rules as fields
  too (``pt``, ``mesh``, ``chemical``, ``allocation`` …), so one rule format covers both.
* **Signals are weighted, not voted.** Each match becomes evidence whose weight is
  ``rule strength × field weight × sentence factor × context factors``. Sentence factors
  come from abstract section labels (BACKGROUND low, METHODS high, EXCLUSION CRITERIA
  zero) or, for unlabelled prose, from cue phrases: sentences before the first one that
  speaks about *this* study, and sentences citing prior work ("has been shown",
  "previous studies"), count little. Context factors come from cue phrases just before
  or after the match within its clause: negation/exclusion (factor 0: the evidence is
  rejected), comparators ("compared with intravenous ketamine": heavily discounted),
  populations ("patients with …": boosted). Route rules also look at the nearest drug
  anchor: "oral antidepressant" next to another drug barely counts.
* **Per-axis decisions.** Scores are summed per value (children roll up into parents,
  e.g. ``treatment_resistant_depression`` → ``depression``; overlapping spans of one value
  count once). A value is tagged when its score reaches the axis ``min_score`` and
  ``relative`` × the axis' best score, so a passing mention cannot sit next to what the
  study is about; ``rule_cap`` lets repeated mentions saturate. With ``exclusive_tiers``
  (used for design) only the strongest tier that yields a tag counts: publication types
  beat text when a record is indexed, text decides when it is not. Evidence of a rule with
  ``unless`` is dropped when one of the listed values is tagged on the full evidence, and
  the axis is decided again (plain "ketamine" means racemic unless es-/arketamine is
  tagged); ``requires``/``excluded_by`` make a rule depend on another one having fired.
* **Explainable.** Every :class:`Tag` carries :class:`TagEvidence` (rule id, field, span,
  offsets in that field's text, weight, and a note on the factors applied);
  :meth:`Tagger.analyse` also returns every candidate with its status (tagged, negation,
  below threshold, unless …) for ``ketlit explain`` and error analysis.
* **Fast** (≥ 2,000 records/s, see ``bench/tagging_accuracy.py``). Patterns run on a
  lower-cased copy of each field (length-preserving, so offsets stay valid) without
  ``re.IGNORECASE``. Each pattern is analysed once for the few "grams" a match can start
  with; one trie regex per field finds where those grams start words, and each rule is
  tried only there (details at "pattern planning" below). Sentence cues are evaluated only
  for sentences that hold a match; evidence objects are built only for reported evidence.
  Matches must start and end on word boundaries (a rule with ``boundary = false`` opts out
  and is scanned in full).

Rules file format and merge semantics (see the packaged file for the full reference):

* Top-level tables ``settings``, ``fields``, ``field_groups``, ``sentences``, ``contexts``,
  ``anchors`` and ``axes`` are merged key by key, recursively; a user value replaces the
  packaged value, except ``axes.<axis>.values``, which is the union (a user file can add
  slugs but never remove the fixed ones).
* ``[[rule]]`` and ``[[mask]]`` entries are keyed by ``id``: a user entry with a packaged id
  replaces that entry as a whole (the axis ``defaults`` still apply), a new id is appended.
  ``disable = ["id", …]`` at top level removes packaged rules or masks; ``enabled = false``
  on an entry does the same. ``[[zones]]`` in a user file replace the packaged list (their
  order matters: the first zone whose label pattern matches wins).
* Unknown keys, unknown axes/values/fields/contexts/anchors, bad regexes and wrong types
  are errors: :func:`load_rules` raises :class:`~ketlit.errors.ConfigError` with a
  one-line message naming the file and the problem.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import hashlib
import importlib
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ketlit.errors import ConfigError
from ketlit.sources.models import AbstractSection, Article, Study

__all__ = [
    "AXES",
    "TEXT_FIELDS",
    "Analysis",
    "Candidate",
    "MeshTerm",
    "Rules",
    "Tag",
    "TagDoc",
    "TagEvidence",
    "Tagger",
    "age_groups",
    "doc_from_article",
    "doc_from_study",
    "load_rules",
    "split_labelled_abstract",
    "tags_by_axis",
    "vocabularies",
]

AXES: Final = ("indication", "route", "molecule", "design", "population")
RULES_RESOURCE: Final = "tagging_rules.toml"

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


# ----------------------------------------------------------------------------- records


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
class Analysis:
    """The tags of a record plus every candidate match, for ``explain`` and error analysis."""

    tags: tuple[Tag, ...]
    candidates: tuple[Candidate, ...]


def tags_by_axis(tags: Iterable[Tag]) -> dict[str, list[str]]:
    """``{axis: [values…]}`` for every axis (empty lists included), values sorted."""
    out: dict[str, list[str]] = {axis: [] for axis in AXES}
    for t in tags:
        out.setdefault(t.axis, []).append(t.value)
    return {axis: sorted(values) for axis, values in out.items()}


# ------------------------------------------------------------------- building docs

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
        mesh=tuple(
            MeshTerm(m.descriptor, m.ui, m.is_major, tuple(q.name for q in m.qualifiers)) for m in a.mesh
        ),
        publication_types=tuple(name for _, name in a.publication_types),
        chemicals=tuple((c.ui, c.name) for c in a.chemicals),
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


# -------------------------------------------------------------------- rules: loading

_TOP_KEYS: Final = frozenset(
    {
        "schema", "settings", "fields", "field_groups", "sentences", "contexts", "anchors", "substances", "axes",
        "zones", "mask", "rule", "disable",
    }
)
_RULE_KEYS: Final = frozenset(
    {
        "id", "axis", "value", "fields", "pattern", "terms", "strength", "tier", "contexts", "near", "near_window",
        "far_factor", "other", "other_factor", "case", "boundary", "unless", "requires", "excluded_by", "unmasked",
        "when", "enabled", "description",
    }
)
_RULE_DEFAULT_KEYS: Final = frozenset(
    {"fields", "strength", "tier", "contexts", "near", "near_window", "far_factor", "other", "other_factor", "case",
     "boundary"}
)
_MASK_KEYS: Final = frozenset({"id", "pattern", "fields", "enabled", "description", "case"})
_AXIS_KEYS: Final = frozenset(
    {"values", "min_score", "relative", "exclusive_tiers", "rule_cap", "parents", "defaults", "damp", "description"}
)
_DAMP_KEYS: Final = frozenset({"when", "factor", "fields", "description"})
_CONTEXT_KEYS: Final = frozenset({"before", "after", "factor", "window", "scope_break", "description"})
_ZONE_KEYS: Final = frozenset({"name", "labels", "factor", "study_factor", "cues", "description"})
_SENTENCE_KEYS: Final = frozenset(
    {"prose_fields", "study", "background", "outlook", "leading_background_factor", "background_factor",
     "outlook_factor", "min_sentences_for_leading", "description"}
)
_SETTINGS_KEYS: Final = frozenset({"max_evidence", "near_window", "scope_break", "description"})
# Fields whose substances are the record's focal ones (see _Text.substances).
_FOCAL_FIELDS: Final = frozenset({"title", "official_title", "intervention"})
_ANCHOR_KEYS: Final = frozenset({"pattern", "substances", "description"})
# What an anchor adds of the record's substances (see [substances] in the packaged rules).
_ANCHOR_SUBSTANCES: Final = ("none", "focal", "other")


class _Problem(Exception):
    """A problem in a rules document; turned into a one-line ConfigError by the loader."""


def _merge_tables(base: dict[str, Any], over: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge_tables(dict(out[key]), value, here)
        elif here.startswith("axes.") and here.endswith(".values") and isinstance(out.get(key), list):
            if not isinstance(value, list):
                raise _Problem(f"{here} must be a list")
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_entries(base: list[Any], over: Any, kind: str) -> list[Any]:
    if not isinstance(over, list) or not all(isinstance(e, dict) for e in over):
        raise _Problem(f"[[{kind}]] entries must be tables")
    out: dict[str, Any] = {}
    for entry in base:
        out[str(entry.get("id"))] = entry
    seen: set[str] = set()
    for entry in over:
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid:
            raise _Problem(f"a [[{kind}]] entry has no id")
        if rid in seen:
            raise _Problem(f"duplicate {kind} id {rid!r}")
        seen.add(rid)
        out[rid] = copy.deepcopy(entry)
    return list(out.values())


def _merge_documents(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a user rules document over the packaged one (semantics in the module docstring)."""
    unknown = set(user) - _TOP_KEYS
    if unknown:
        raise _Problem(f"unknown top-level key {sorted(unknown)[0]!r}")
    merged = {k: copy.deepcopy(v) for k, v in base.items()}
    tables = {k: v for k, v in user.items() if k not in ("rule", "mask", "disable", "zones", "schema")}
    merged = _merge_tables(merged, tables)
    if "zones" in user:
        merged["zones"] = copy.deepcopy(user["zones"])  # zones are ordered: a user list replaces the packaged one
    for kind in ("rule", "mask"):
        if kind in user:
            merged[kind] = _merge_entries(list(merged.get(kind, [])), user[kind], kind)
    disable = user.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        raise _Problem("disable must be a list of rule ids")
    known = {str(e.get("id")) for kind in ("rule", "mask") for e in merged.get(kind, [])}
    for rid in disable:
        if rid not in known:
            raise _Problem(f"disable names unknown rule {rid!r}")
    if disable:
        for kind in ("rule", "mask"):
            merged[kind] = [e for e in merged.get(kind, []) if e.get("id") not in disable]
    return merged


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None


def _packaged_text() -> str:
    return resources.files("ketlit").joinpath("data", RULES_RESOURCE).read_text(encoding="utf-8")


def load_rules(user_file: Path | None = None) -> Rules:
    """The packaged tagging rules, merged with ``user_file`` if given (ConfigError if malformed)."""
    base = _read_toml(_packaged_text(), f"packaged {RULES_RESOURCE}")
    if user_file is None:
        return Rules.from_dict(base, source=f"packaged {RULES_RESOURCE}")
    where = str(user_file)
    try:
        text = Path(user_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read rules file: {exc}") from None
    user = _read_toml(text, where)
    try:
        merged = _merge_documents(base, user)
    except _Problem as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return Rules.from_dict(merged, source=where)


def vocabularies(rules: Rules) -> dict[str, tuple[str, ...]]:
    """The slugs of every axis of ``rules``, in their file order: what query files and
    claim rules may name (a slug a user's rules file adds is valid everywhere)."""
    return {name: axis.values for name, axis in rules.axes.items()}


# ----------------------------------------------------------------- pattern planning
#
# Python's regex engine is fast only when a pattern starts with a literal; rule patterns
# mostly do not (alternations, optional modifiers, lookbehinds), and a full scan of an
# abstract then costs 10-60 µs per rule: over a hundred rules would be ~5 ms a record.
# So every pattern is analysed once, with the standard library's own regex parser:
#
# * Its *first grams*: the strings a match can begin with, cut at 4 alphanumerics or at
#   the first non-alphanumeric ("ketamine" → "keta", "\(iv\)" → "(iv", digits read as
#   "0"). Rule matches start on a word boundary, so a rule can only match where one of its
#   grams starts a word. One regex (a trie of all wanted grams) lists those positions per
#   field; each rule is then tried with ``regex.match`` at its positions only.
# * For a pattern whose grams cannot be enumerated (``\w+ly``, classes of letters) a
#   fallback plan: the literals every match must contain and the maximum match width;
#   the regex then runs only in windows around those literals.
#
# Both give exactly the leftmost, non-overlapping matches a full scan would give; what the
# analysis cannot bound (unbounded repeats, inline flags, internal API surprises) falls back
# to a full scan. The analysis is an optimisation, never a change of meaning.

_MAX_LITERALS: Final = 24
_MAX_WIDTH: Final = 400


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """Literals every match contains (``None``: no prefilter) and the maximum match width."""

    literals: tuple[str, ...] | None
    width: int | None


def _sre() -> tuple[Any, Any] | None:
    """The standard library's regex parser and constants (internal modules, hence Any)."""
    try:
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:  # pragma: no cover - other Python implementations
        return None


def _better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(6, min(map(len, a))), -len(a))
    kb = (min(6, min(map(len, b))), -len(b))
    return a if ka >= kb else b


def _required(seq: Any, c: Any) -> set[str] | None:
    """Literals of which every match of the parsed sequence contains at least one."""
    best: set[str] | None = None
    run: list[str] = []
    for op, av in [*list(seq), (None, None)]:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            best = _better(best, {"".join(run)})
            run = []
        if op is None:
            break
        if op is c.SUBPATTERN:
            if not av[1] & re.IGNORECASE:
                best = _better(best, _required(av[3], c))
        elif op is c.BRANCH:
            alts = [_required(alt, c) for alt in av[1]]
            if all(x is not None for x in alts):
                best = _better(best, set().union(*[x for x in alts if x is not None]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _better(best, _required(av[2], c))
        elif op is c.ATOMIC_GROUP:
            best = _better(best, _required(av, c))
    return best


def _width(seq: Any, c: Any) -> int:
    """Maximum chars a match reads from its start (lookaheads included); > _MAX_WIDTH: unbounded."""
    total = 0
    for op, av in seq:
        if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
            total += 1
        elif op is c.AT:
            pass
        elif op is c.SUBPATTERN:
            total += _width(av[3], c)
        elif op is c.ATOMIC_GROUP:
            total += _width(av, c)
        elif op is c.BRANCH:
            total += max(_width(alt, c) for alt in av[1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if av[1] is c.MAXREPEAT or av[1] > _MAX_WIDTH:
                return _MAX_WIDTH + 1
            total += av[1] * _width(av[2], c)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if av[0] > 0:  # lookahead: the chars it reads count; lookbehind reads before the start
                total += _width(av[1], c)
        else:
            return _MAX_WIDTH + 1
        if total > _MAX_WIDTH:
            return _MAX_WIDTH + 1
    return total


class _GiveUp(Exception):
    pass


_GRAM_LEN: Final = 4
_MAX_GRAMS: Final = 512


def _gram_add(s: str, ch: str) -> tuple[str, bool]:
    """Extend a gram by one char; True when the gram is complete."""
    if ch in "0123456789":
        ch = "0"  # grams compare digits as 0 (text grams are normalised the same way)
    if not s:
        if ch.isspace():
            raise _GiveUp
        return ch, False
    if ch.isalnum():
        s += ch
        return s, len(s) >= _GRAM_LEN
    return s, True


def _charset(av: Any, c: Any, s: str) -> list[str]:
    """The chars of a small class; a space/non-word class ends a started gram (returns [" "])."""
    chars: list[str] = []
    for op, v in av:
        if op is c.LITERAL:
            chars.append(chr(v))
        elif op is c.RANGE and v[1] - v[0] < 16:
            chars.extend(chr(x) for x in range(v[0], v[1] + 1))
        elif op is c.CATEGORY and v is c.CATEGORY_DIGIT:
            chars.extend("0123456789")
        elif op is c.CATEGORY and v in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD) and s:
            chars.append(" ")
        else:
            raise _GiveUp
    return chars


def _grow(items: list[Any], s: str, c: Any) -> set[str]:
    """The grams reachable from the partial gram ``s`` through the parsed ``items``."""
    if not items:
        if not s:
            raise _GiveUp
        return {s}
    op, av = items[0]
    rest = items[1:]
    out: set[str] = set()
    if op is c.LITERAL or op is c.IN:
        for ch in [chr(av)] if op is c.LITERAL else _charset(av, c, s):
            ns, done = _gram_add(s, ch)
            out |= {ns} if done else _grow(rest, ns, c)
    elif op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT:
        out = _grow(rest, s, c)
    elif op is c.SUBPATTERN:
        if av[1] & re.IGNORECASE:
            raise _GiveUp
        out = _grow(list(av[3]) + rest, s, c)
    elif op is c.BRANCH:
        for alt in av[1]:
            out |= _grow(list(alt) + rest, s, c)
    elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, hi, item = av
        if item.getwidth()[0] == 0:
            raise _GiveUp
        for k in range(lo, min(hi, lo + _GRAM_LEN) + 1):
            out |= _grow(list(item) * k + rest, s, c)
    else:
        raise _GiveUp
    if len(out) > _MAX_GRAMS:
        raise _GiveUp
    return out


def first_grams(pattern: str) -> frozenset[str] | None:
    """The grams a match of ``pattern`` can start with (``None``: unknown, always scan)."""
    sre = _sre()
    if sre is None:
        return None
    parser, c = sre
    try:
        tree = parser.parse(pattern)
        if tree.state.flags & re.IGNORECASE:
            return None
        return frozenset(g.lower() for g in _grow(list(tree), "", c))
    except (_GiveUp, RecursionError):
        return None
    except Exception:  # an internal API: any surprise only means "no gram filter"
        return None


def _punct_gram_re(grams: Iterable[str]) -> re.Pattern[str] | None:
    """A regex for the punctuation grams rules can start with (most punctuation never starts one)."""
    chars = sorted({g[0] for g in grams if g and not g[0].isalnum()})
    if not chars:
        return None
    return re.compile("[" + "".join(re.escape(ch) for ch in chars) + r"][^\W_]{0,3}")


def scan_plan(pattern: str) -> ScanPlan:
    """The fallback plan for a pattern without first grams (see the comment above)."""
    sre = _sre()
    if sre is None:
        return ScanPlan(None, None)
    parser, c = sre
    try:
        tree = parser.parse(pattern)
        if tree.state.flags & re.IGNORECASE:
            return ScanPlan(None, None)
        lits = _required(tree, c)
        width = _width(tree, c)
    except Exception:  # an internal API: any surprise only means "full scan"
        return ScanPlan(None, None)
    if lits is not None and (len(lits) > _MAX_LITERALS or min(map(len, lits)) < 2):
        lits = None
    return ScanPlan(tuple(sorted(lits)) if lits else None, width if width <= _MAX_WIDTH else None)


class _Occurrences:
    """Positions of literals in one text, found once and shared by all rules."""

    __slots__ = ("_cache", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._cache: dict[str, list[int]] = {}

    def of(self, literal: str) -> list[int]:
        found = self._cache.get(literal)
        if found is None:
            found = []
            find = self.text.find
            i = find(literal)
            while i >= 0:
                found.append(i)
                i = find(literal, i + 1)
            self._cache[literal] = found
        return found


def _match_at_grams(regex: re.Pattern[str], starts: list[int], hay: str) -> Iterator[re.Match[str]]:
    """Leftmost non-overlapping matches that start at one of ``starts`` (sorted), in order."""
    end = 0
    for p in starts:
        if p < end:
            continue
        m = regex.match(hay, p)
        if m is not None and m.end() > p:
            end = m.end()
            yield m


def _scan(regex: re.Pattern[str], plan: ScanPlan, occ: _Occurrences) -> Iterator[re.Match[str]]:
    """Leftmost non-overlapping matches, searched only in windows around the plan's literals."""
    hay = occ.text
    if plan.literals is None:
        yield from regex.finditer(hay)
        return
    hits: list[int] = []
    for lit in plan.literals:
        hits.extend(occ.of(lit))
    if not hits:
        return
    width = plan.width
    n = len(hay)
    if width is None or len(hits) * width >= n:
        yield from regex.finditer(hay)
        return
    hits.sort()
    windows: list[list[int]] = []
    for p in hits:  # candidate match starts lie in [p - width, p]
        lo = p - width if p > width else 0
        if windows and lo <= windows[-1][1] + 1:
            windows[-1][1] = p
        else:
            windows.append([lo, p])
    floor = 0
    for lo, hi in windows:
        pos = lo if lo > floor else floor
        end = hi + width + 1
        if end > n:
            end = n
        while pos <= hi:
            m = regex.search(hay, pos, end)
            if m is None or m.start() > hi:
                break
            yield m
            pos = m.end() if m.end() > m.start() else m.end() + 1
            floor = pos


_DIGITS_TO_0 = str.maketrans("0123456789", "0000000000")


def _trie(grams: Iterable[str]) -> str:
    """An alternation matching the longest of ``grams`` (a gram shorter than 4 ends its word)."""
    root: dict[str, Any] = {}
    for g in grams:
        node = root
        for ch in g:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any], depth: int) -> str:
        alts = [
            (r"\d" if ch == "0" else re.escape(ch)) + build(sub, depth + 1) for ch, sub in sorted(node.items()) if ch
        ]
        if "" in node:
            alts.append("" if depth >= _GRAM_LEN else r"(?![^\W_])")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(root, 0) if root else ""


def _gram_trie_re(grams: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching the longest of ``grams`` at word starts (punctuation grams anywhere)."""
    words = [g for g in grams if g]
    punct = [g for g in words if not g[0].isalnum()]
    words = [g for g in words if g[0].isalnum()]
    parts = []
    if words:
        parts.append(r"(?<![^\W_])" + _trie(words))
    if punct:
        parts.append(_trie(punct))
    if not parts:
        return None
    return re.compile(parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")")


@dataclass(frozen=True, slots=True)
class _Matcher:
    """A compiled pattern with its first grams (``None``: no gram filter), a trie regex that
    finds those grams at word starts, and the fallback scan plan."""

    regex: re.Pattern[str]
    grams: frozenset[str] | None
    plan: ScanPlan
    trie: re.Pattern[str] | None = None
    anchored: bool = False  # pattern starts with ^: one match attempt at the window start
    literals: tuple[str, ...] | None = None  # anchored: one of these must occur in the window

    def search(self, text: str, lo: int, hi: int) -> re.Match[str] | None:
        """The first match starting in [lo, hi) and ending by ``hi`` (a window of ``text``)."""
        if self.anchored:
            if self.literals is not None and all(text.find(x, lo, hi) < 0 for x in self.literals):
                return None
            return self.regex.match(text, lo, hi)
        if self.trie is None:
            return self.regex.search(text, lo, hi)
        match = self.regex.match
        for x in self.trie.finditer(text, lo, hi):
            m = match(text, x.start(), hi)
            if m is not None:
                return m
        return None

    def finditer(self, text: str, lo: int, hi: int, end: int) -> Iterator[re.Match[str]]:
        """Matches starting in [lo, hi) (at word starts when there is a trie) and ending by ``end``."""
        if self.trie is None:
            for m in self.regex.finditer(text, lo, end):
                if m.start() >= hi:
                    return
                yield m
            return
        match = self.regex.match
        for x in self.trie.finditer(text, lo, min(hi + _GRAM_LEN, end)):
            if x.start() >= hi:
                return
            y = match(text, x.start(), end)
            if y is not None:
                yield y


def _matcher(regex: re.Pattern[str], boundary: bool = True) -> _Matcher:
    if regex.pattern.startswith("^"):
        # "^" only matches at the real start of a string, not at a window's start position:
        # an anchored cue is compiled without it and tried once, with match(), at the window start.
        body = regex.pattern[1:]
        literals = scan_plan(body).literals
        if literals is not None and len(literals) > 8:  # too many to pre-check cheaply
            literals = None
        return _Matcher(re.compile(body), None, ScanPlan(None, None), None, True, literals)
    grams = first_grams(regex.pattern) if boundary else None
    trie = _gram_trie_re(grams) if grams is not None else None
    return _Matcher(regex, grams, scan_plan(regex.pattern) if grams is None else ScanPlan(None, None), trie)


# ------------------------------------------------------------------ rules: validated


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise _Problem(f"{what}: bad regex: {exc}") from None


_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
# Appended to text-rule patterns: a match that ends on a letter or digit must end its word. In
# the regex (not only checked afterwards) so that "infus(?:ion|ions)" backtracks to "infusions".
_WORD_END = r"(?:(?<=[^\W_])(?![^\W_])|(?<![^\W_]))"


def _word_end(pattern: str) -> str:
    flags = _GLOBAL_FLAGS.match(pattern)
    head = flags.group() if flags else ""
    return f"{head}(?:{pattern[len(head):]}){_WORD_END}"


_TYPE_WORDS: Final[dict[type, str]] = {
    float: "a number", int: "an integer", bool: "true or false", str: "a string", list: "a list", dict: "a table"
}


def _get(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, default: Any = None) -> Any:
    value = d.get(key, default)
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and kind in (int, float):
        raise _Problem(f"{what}: {key} must be a number")
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        name = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        raise _Problem(f"{what}: {key} must be {name}")
    return value


def _str_list(d: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(f"{what}: {key} must be a list of strings")
    return tuple(value)


def _check_keys(d: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise _Problem(f"{what} must be a table")
    unknown = set(d) - allowed
    if unknown:
        raise _Problem(f"{what}: unknown key {sorted(unknown)[0]!r}")


@dataclass(frozen=True, slots=True)
class ContextSpec:
    name: str
    before: _Matcher | None
    after: _Matcher | None
    factor: float
    window: int
    scope_break: re.Pattern[str]

    @property
    def note(self) -> str:
        return f"{self.name}×{_fmt(self.factor)}"


@dataclass(frozen=True, slots=True)
class AxisSpec:
    name: str
    values: tuple[str, ...]
    min_score: float
    relative: float
    exclusive_tiers: bool
    parents: Mapping[str, str]
    rule_cap: float = 0.0  # > 0: one rule adds at most this much to a value (repeated mentions saturate)
    damp: tuple[DampSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class DampSpec:
    """``[[axes.X.damp]]``: when the record has tag ``when_axis``/``when_value``, evidence on
    this axis from ``fields`` counts ``factor`` times (e.g. a study in healthy volunteers is
    rarely about a condition its abstract mentions; its title still counts in full)."""

    when_axis: str
    when_value: str
    factor: float
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    labels: re.Pattern[str]
    factor: float
    study_factor: float
    cues: bool = True


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    axis: str
    value: str
    fields: frozenset[str]
    regex: re.Pattern[str] | None
    terms: tuple[str, ...]
    strength: float
    tier: int
    contexts: tuple[str, ...]
    near: str | None
    near_window: int
    far_factor: float
    other: str | None
    other_factor: float
    case: bool
    boundary: bool
    unless: tuple[str, ...]
    requires: tuple[str, ...]
    excluded_by: tuple[str, ...]
    unmasked: bool
    when: str
    matcher: _Matcher | None = None

    @property
    def grams(self) -> frozenset[str] | None:
        return self.matcher.grams if self.matcher is not None else None


@dataclass(frozen=True, slots=True)
class MaskSpec:
    id: str
    matcher: _Matcher
    fields: frozenset[str]
    case: bool


@dataclass(frozen=True, slots=True)
class SentenceSpec:
    prose_fields: frozenset[str]
    study: re.Pattern[str] | None
    background: re.Pattern[str] | None
    outlook: re.Pattern[str] | None
    leading_background_factor: float
    background_factor: float
    outlook_factor: float
    min_sentences_for_leading: int


@dataclass(frozen=True, slots=True)
class Rules:
    """Validated tagging rules: axes, weights, contexts, anchors, zones, masks and rules."""

    source: str
    axes: Mapping[str, AxisSpec]
    field_weights: Mapping[str, float]
    contexts: Mapping[str, ContextSpec]
    anchors: Mapping[str, _Matcher]
    zones: tuple[ZoneSpec, ...]
    sentences: SentenceSpec
    masks: tuple[MaskSpec, ...]
    rules: tuple[RuleSpec, ...]
    max_evidence: int
    # [substances]: one alternation with an outer group per substance (None: none defined), and
    # per anchor, which of a record's substances it also matches.
    substance_regex: _Matcher | None = None
    substance_groups: Mapping[int, int] = field(default_factory=dict)  # outer group number → substance index
    anchor_substances: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    # Section label → zone, filled on use (labels repeat across records: "METHODS", "RESULTS").
    zone_cache: dict[str, ZoneSpec | None] = field(repr=False, compare=False, default_factory=dict)

    @property
    def digest(self) -> str:
        """A short stable hash of the effective (merged) rules: store it with the tags, and a
        different digest means the tags are stale (``ketlit tag`` can re-tag just those)."""
        canonical = json.dumps(self.raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<rules>") -> Rules:
        """Validate a (merged) rules document; ConfigError with a one-line message if it is wrong."""
        try:
            return cls._build(data, source)
        except _Problem as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @classmethod
    def _build(cls, data: Mapping[str, Any], source: str) -> Rules:
        _check_keys(data, _TOP_KEYS, "rules file")
        settings = data.get("settings", {})
        _check_keys(settings, _SETTINGS_KEYS, "[settings]")
        max_evidence = _get(settings, "max_evidence", int, "[settings]", 8)
        default_near_window = _get(settings, "near_window", int, "[settings]", 60)
        default_break = _compile(_get(settings, "scope_break", str, "[settings]", r"[;:]"), "[settings] scope_break")

        groups_raw = data.get("field_groups", {})
        if not isinstance(groups_raw, Mapping):
            raise _Problem("[field_groups] must be a table")
        groups: dict[str, tuple[str, ...]] = {}
        for g in groups_raw:
            names = _str_list(groups_raw, g, "[field_groups]")
            for n in names:
                if n not in ALL_FIELDS:
                    raise _Problem(f"[field_groups] {g}: unknown field {n!r}")
            groups[g] = names

        def expand(names: Sequence[str], what: str) -> frozenset[str]:
            out: set[str] = set()
            for n in names:
                if n in groups:
                    out.update(groups[n])
                elif n in ALL_FIELDS:
                    out.add(n)
                else:
                    raise _Problem(f"{what}: unknown field or field group {n!r}")
            return frozenset(out)

        default_fields = expand(("text",), "[field_groups]") if "text" in groups else frozenset(TEXT_FIELDS)

        weights_raw = data.get("fields", {})
        if not isinstance(weights_raw, Mapping):
            raise _Problem("[fields] must be a table")
        field_weights: dict[str, float] = {}
        for f in weights_raw:
            if f not in ALL_FIELDS:
                raise _Problem(f"[fields]: unknown field {f!r}")
            field_weights[f] = _get(weights_raw, f, float, "[fields]")

        contexts: dict[str, ContextSpec] = {}
        contexts_raw = data.get("contexts", {})
        if not isinstance(contexts_raw, Mapping):
            raise _Problem("[contexts] must be a table")
        for name, c in contexts_raw.items():
            what = f"[contexts.{name}]"
            _check_keys(c, _CONTEXT_KEYS, what)
            before = _get(c, "before", str, what)
            after = _get(c, "after", str, what)
            if before is None and after is None:
                raise _Problem(f"{what}: needs before or after")
            brk = _get(c, "scope_break", str, what)
            contexts[name] = ContextSpec(
                name=name,
                before=_matcher(_compile(before, f"{what} before")) if before else None,
                after=_matcher(_compile(after, f"{what} after")) if after else None,
                factor=_get(c, "factor", float, what, 1.0),
                window=_get(c, "window", int, what, 40),
                scope_break=_compile(brk, f"{what} scope_break") if brk else default_break,
            )

        anchors: dict[str, _Matcher] = {}
        anchors_raw = data.get("anchors", {})
        if not isinstance(anchors_raw, Mapping):
            raise _Problem("[anchors] must be a table")
        anchor_substances: dict[str, str] = {}
        for name, spec in anchors_raw.items():
            what = f"[anchors] {name}"
            if isinstance(spec, Mapping):
                _check_keys(spec, _ANCHOR_KEYS, what)
                pat = _get(spec, "pattern", str, what)
                adds = _get(spec, "substances", str, what, "none")
                if adds not in _ANCHOR_SUBSTANCES:
                    raise _Problem(f"{what}: substances must be one of {', '.join(_ANCHOR_SUBSTANCES)}")
                if adds != "none":
                    anchor_substances[name] = adds
            else:
                pat = spec
            if not isinstance(pat, str):
                raise _Problem(f"{what} must be a regex string or a table with a pattern")
            # An empty pattern is allowed: an anchor that only stands for the record's substances.
            anchors[name] = _matcher(_compile(pat or "(?!)", what))

        substances_raw = data.get("substances", {})
        if not isinstance(substances_raw, Mapping):
            raise _Problem("[substances] must be a table")
        substance_parts: list[str] = []
        substance_groups: dict[int, int] = {}
        group = 1
        for name, pat in substances_raw.items():
            if not isinstance(pat, str) or not pat:
                raise _Problem(f"[substances] {name} must be a regex string")
            if _GLOBAL_FLAGS.match(pat):
                raise _Problem(f"[substances] {name}: inline global flags are not allowed here")
            inner = _compile(pat, f"[substances] {name}").groups
            substance_groups[group] = len(substance_parts)
            group += 1 + inner
            substance_parts.append(f"({_word_end(pat)})")
        # One alternation finds every substance in one pass; substance_groups maps the outer
        # group that matched (``lastindex``) to its substance, whatever groups a pattern has.
        substance_regex = _matcher(re.compile("|".join(substance_parts))) if substance_parts else None
        if anchor_substances and substance_regex is None:
            raise _Problem("[anchors] use substances, but [substances] defines none")

        zones: list[ZoneSpec] = []
        zones_raw = data.get("zones", [])
        if not isinstance(zones_raw, list):
            raise _Problem("[[zones]] must be an array of tables")
        for z in zones_raw:
            _check_keys(z, _ZONE_KEYS, "[[zones]]")
            name = _get(z, "name", str, "[[zones]]")
            labels = _get(z, "labels", str, f"[[zones]] {name}")
            if not name or not labels:
                raise _Problem("[[zones]] entries need name and labels")
            factor = _get(z, "factor", float, f"[[zones]] {name}", 1.0)
            zones.append(
                ZoneSpec(
                    name,
                    _compile(labels, f"[[zones]] {name}"),
                    factor,
                    _get(z, "study_factor", float, f"[[zones]] {name}", factor),
                    _get(z, "cues", bool, f"[[zones]] {name}", True),
                )
            )

        s = data.get("sentences", {})
        _check_keys(s, _SENTENCE_KEYS, "[sentences]")

        def opt_re(key: str) -> re.Pattern[str] | None:
            p = _get(s, key, str, "[sentences]")
            return _compile(p, f"[sentences] {key}") if p else None

        sentences = SentenceSpec(
            prose_fields=expand(_str_list(s, "prose_fields", "[sentences]"), "[sentences] prose_fields"),
            study=opt_re("study"),
            background=opt_re("background"),
            outlook=opt_re("outlook"),
            leading_background_factor=_get(s, "leading_background_factor", float, "[sentences]", 1.0),
            background_factor=_get(s, "background_factor", float, "[sentences]", 1.0),
            outlook_factor=_get(s, "outlook_factor", float, "[sentences]", 1.0),
            min_sentences_for_leading=_get(s, "min_sentences_for_leading", int, "[sentences]", 3),
        )

        axes: dict[str, AxisSpec] = {}
        axis_defaults: dict[str, Mapping[str, Any]] = {}
        axes_raw = data.get("axes", {})
        if not isinstance(axes_raw, Mapping):
            raise _Problem("[axes] must be a table")
        damp_raw: dict[str, Any] = {}
        for name, a in axes_raw.items():
            what = f"[axes.{name}]"
            _check_keys(a, _AXIS_KEYS, what)
            values = _str_list(a, "values", what)
            if not values:
                raise _Problem(f"{what}: values must not be empty")
            parents_raw = a.get("parents", {})
            if not isinstance(parents_raw, Mapping):
                raise _Problem(f"{what}: parents must be a table")
            parents: dict[str, str] = {}
            for child, parent in parents_raw.items():
                if child not in values or not isinstance(parent, str) or parent not in values:
                    raise _Problem(f"{what}: parents {child!r} = {parent!r} names an unknown value")
                parents[child] = parent
            for child in parents:  # no cycles
                seen = {child}
                cur = child
                while cur in parents:
                    cur = parents[cur]
                    if cur in seen:
                        raise _Problem(f"{what}: parents form a cycle at {child!r}")
                    seen.add(cur)
            defaults = a.get("defaults", {})
            _check_keys(defaults, _RULE_DEFAULT_KEYS, f"{what} defaults")
            axis_defaults[name] = defaults
            axes[name] = AxisSpec(
                name=name,
                values=values,
                min_score=_get(a, "min_score", float, what, 1.0),
                relative=_get(a, "relative", float, what, 0.0),
                exclusive_tiers=_get(a, "exclusive_tiers", bool, what, False),
                parents=parents,
                rule_cap=_get(a, "rule_cap", float, what, 0.0),
            )
            damp_raw[name] = a.get("damp", [])
        for name, entries in damp_raw.items():
            what = f"[[axes.{name}.damp]]"
            if not isinstance(entries, list):
                raise _Problem(f"{what} must be an array of tables")
            damps: list[DampSpec] = []
            for d in entries:
                if not isinstance(d, Mapping):
                    raise _Problem(f"{what} must be an array of tables")
                _check_keys(d, _DAMP_KEYS, what)
                when = _get(d, "when", str, what, "")
                when_axis, _, when_value = when.partition(".")
                if when_axis not in axes or when_value not in axes[when_axis].values:
                    raise _Problem(f"{what}: when must name a tag as axis.value, not {when!r}")
                if when_axis == name:
                    raise _Problem(f"{what}: when must name a tag of another axis")
                factor = _get(d, "factor", float, what, 1.0)
                if factor < 0:
                    raise _Problem(f"{what}: factor must be >= 0")
                if not d.get("fields"):
                    raise _Problem(f"{what}: needs fields")
                damps.append(DampSpec(when_axis, when_value, factor, expand(_str_list(d, "fields", what), what)))
            if damps:
                axes[name] = dataclasses.replace(axes[name], damp=tuple(damps))
        try:
            _decide_order(axes, list(axes))
        except ConfigError as exc:
            raise _Problem(str(exc)) from None

        masks: list[MaskSpec] = []
        for m in data.get("mask", []):
            _check_keys(m, _MASK_KEYS, "[[mask]]")
            mid = _get(m, "id", str, "[[mask]]")
            what = f"mask {mid!r}"
            if not mid:
                raise _Problem("a [[mask]] entry has no id")
            if not _get(m, "enabled", bool, what, True):
                continue
            pattern = _get(m, "pattern", str, what)
            if not pattern:
                raise _Problem(f"{what}: needs a pattern")
            case = _get(m, "case", bool, what, False)
            fields_ = expand(_str_list(m, "fields", what), what) if m.get("fields") else default_fields
            masks.append(MaskSpec(mid, _matcher(_compile(pattern, what)), fields_, case))

        rules: list[RuleSpec] = []
        ids: set[str] = set()
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise _Problem("[[rule]] must be an array of tables")
        for r in raw_rules:
            _check_keys(r, _RULE_KEYS, "[[rule]]")
            rid = _get(r, "id", str, "[[rule]]")
            if not rid:
                raise _Problem("a [[rule]] entry has no id")
            what = f"rule {rid!r}"
            if rid in ids:
                raise _Problem(f"duplicate rule id {rid!r}")
            ids.add(rid)
            if not _get(r, "enabled", bool, what, True):
                continue
            axis = _get(r, "axis", str, what)
            value = _get(r, "value", str, what)
            if axis is None:
                raise _Problem(f"{what}: needs an axis")
            if axis not in axes:
                raise _Problem(f"{what}: unknown axis {axis!r}")
            if value not in axes[axis].values:
                raise _Problem(f"{what}: value {value!r} is not in [axes.{axis}] values")
            d = {**axis_defaults[axis], **r}
            pattern = _get(d, "pattern", str, what)
            terms = _str_list(d, "terms", what)
            if (pattern is None) == (not terms):
                raise _Problem(f"{what}: needs exactly one of pattern or terms")
            case = _get(d, "case", bool, what, False)
            fields_ = expand(_str_list(d, "fields", what), what) if d.get("fields") else default_fields
            ctx = _str_list(d, "contexts", what)
            for c in ctx:
                if c not in contexts:
                    raise _Problem(f"{what}: unknown context {c!r}")
            near = _get(d, "near", str, what)
            other = _get(d, "other", str, what)
            for anchor in (near, other):
                if anchor is not None and anchor not in anchors:
                    raise _Problem(f"{what}: unknown anchor {anchor!r}")
            when = _get(d, "when", str, what, "any")
            if when not in ("any", "indexed", "unindexed"):
                raise _Problem(f"{what}: when must be any, indexed or unindexed")
            unless = _str_list(d, "unless", what)
            for u in unless:
                if u not in axes[axis].values:
                    raise _Problem(f"{what}: unless names unknown value {u!r}")
            boundary = _get(d, "boundary", bool, what, True)
            if pattern is not None:
                _compile(pattern, what)  # report errors against the pattern as written
                regex: re.Pattern[str] | None = _compile(_word_end(pattern) if boundary else pattern, what)
            elif fields_ & TEXT_FIELDS:
                ordered = sorted(terms, key=len, reverse=True)
                alternation = "|".join(re.escape(t if case else t.lower()) for t in ordered)
                regex = _compile(_word_end(f"(?:{alternation})") if boundary else alternation, what)
            else:
                regex = None
            rules.append(
                RuleSpec(
                    id=rid,
                    axis=axis,
                    value=value,
                    fields=fields_,
                    regex=regex,
                    terms=tuple(dict.fromkeys(t.lower() for t in terms)),
                    strength=_get(d, "strength", float, what, 1.0),
                    tier=_get(d, "tier", int, what, 3),
                    contexts=ctx,
                    near=near,
                    near_window=_get(d, "near_window", int, what, default_near_window),
                    far_factor=_get(d, "far_factor", float, what, 1.0),
                    other=other,
                    other_factor=_get(d, "other_factor", float, what, 1.0),
                    case=case,
                    boundary=_get(d, "boundary", bool, what, True),
                    unless=unless,
                    requires=_str_list(d, "requires", what),
                    excluded_by=_str_list(d, "excluded_by", what),
                    unmasked=_get(r, "unmasked", bool, what, False),
                    when=when,
                    matcher=_matcher(regex, boundary) if regex is not None else None,
                )
            )
        all_ids = {r.id for r in rules}
        for r in rules:
            for ref in (*r.requires, *r.excluded_by):
                if ref not in all_ids:
                    raise _Problem(f"rule {r.id!r}: refers to unknown rule {ref!r}")
        for name, w in field_weights.items():
            if w < 0:
                raise _Problem(f"[fields] {name}: weight must be >= 0")
        return cls(
            source=source,
            axes=axes,
            field_weights=field_weights,
            contexts=contexts,
            anchors=anchors,
            zones=tuple(zones),
            sentences=sentences,
            masks=tuple(masks),
            rules=tuple(rules),
            max_evidence=max_evidence,
            substance_regex=substance_regex,
            substance_groups=substance_groups,
            anchor_substances=anchor_substances,
            raw=dict(data),
        )


# ------------------------------------------------------------------------- engine

# Lower-casing must keep offsets: map dash/space variants to ASCII one-for-one, and fall
# back to per-character lowering when str.lower() would change the length (e.g. "İ").
_FOLD = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ad": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    }
)
_FOLD_NEEDED = re.compile("[" + "".join(chr(k) for k in _FOLD) + "]")


_FOLD_CHARS: Final = {chr(k): v if isinstance(v, str) else chr(v) for k, v in _FOLD.items() if v is not None}


def _fold_case(text: str) -> str:
    if _FOLD_NEEDED.search(text) is None:
        return text
    for ch in set(_FOLD_NEEDED.findall(text)):  # a few str.replace beat translate() on long text
        text = text.replace(ch, _FOLD_CHARS[ch])
    return text


def _fold(text: str) -> str:
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _fold_case(low)


# No top-level alternation: it would cost the regex engine its first-character fast path.
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9(\[\"'])")
_LABEL_BEFORE_COLON = re.compile(r"(?:^|\s)([A-Z][A-Z0-9 &/,()'-]{1,60}[A-Z)])$")
_TITLE_LABEL = re.compile(r"([A-Z][A-Za-z]+(?:[ -][A-Za-z&]+){0,3}):\s")
# A sentence that ends in a colon is not a section label ("This analysis assessed: 1) …").
_NOT_LABEL_START = frozenset({"the", "this", "these", "those", "our", "we", "a", "an", "in", "to", "for", "it", "they",
                              "here", "there", "two", "three", "all", "each", "both"})


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    factor: float
    zone: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.zone:
            self.note = f"{self.zone}×{_fmt(self.factor)}"


class _Raw:
    """A candidate match (internal, mutable status); TagEvidence is built only when reported."""

    __slots__ = ("end", "field", "notes", "rule", "span", "start", "status", "weight")

    def __init__(
        self, rule: RuleSpec, field: str, span: str, start: int, end: int, weight: float, notes: tuple[str, ...],
        status: str,
    ) -> None:
        self.rule = rule
        self.field = field
        self.span = span
        self.start = start
        self.end = end
        self.weight = weight
        self.notes = notes
        self.status = status

    def evidence(self) -> TagEvidence:
        return TagEvidence(
            self.rule.id, self.field, self.span, self.start, self.end, round(self.weight, 4), "; ".join(self.notes)
        )


class _Part:
    """One field of the record inside the joined text: [start, end) of ``_Text.text``."""

    __slots__ = ("end", "kind", "label", "name", "start", "weight")

    def __init__(self, name: str, kind: str, label: str | None, start: int, end: int, weight: float) -> None:
        self.name = name
        self.kind = kind
        self.label = label
        self.start = start
        self.end = end
        self.weight = weight


class _Text:
    """All text fields of a record, joined by newlines and matched as one text.

    Matching one joined text costs one fold, one gram scan and one mask pass per record
    instead of one per field (a structured abstract has 5-10 sections, a CT.gov record
    dozens of fields); each match is mapped back to its field and offsets, and no match
    may cross from one field into the next.
    """

    __slots__ = (
        "_cased", "_occ", "_sentences", "_substances", "folded", "masked", "part_starts", "parts", "positions", "text"
    )

    def __init__(self, fields: Sequence[tuple[str, str]], engine: Tagger) -> None:
        parts: list[_Part] = []
        chunks: list[str] = []
        pos = 0
        weights = engine.rules.field_weights
        for name, text in fields:
            kind, _, label = name.partition(":")
            parts.append(_Part(name, kind, label or None, pos, pos + len(text), weights.get(kind, 1.0)))
            chunks.append(text)
            pos += len(text) + 1
        self.parts = parts
        self.part_starts = [p.start for p in parts]
        self.text = "\n".join(chunks)
        # Dash/space variants folded once (case kept, for case-sensitive rules), then lower-cased.
        cased = _fold_case(self.text)
        folded = cased.lower()
        if len(folded) != len(cased):
            folded = _fold(self.text)
        self.folded = folded
        self.positions = engine._gram_positions(folded)
        self._cased: str | None = cased
        self._occ: dict[str, _Occurrences] = {}
        self._sentences: _Sentences | None = None
        self._substances: list[tuple[int, int, bool]] | None = None
        spans: list[tuple[int, int]] = []
        for matcher, kinds, case in engine._masks:
            hay = self.cased if case else self.folded
            for m in self.find(matcher, hay):
                if self.part_at(m.start()).kind in kinds:
                    spans.append((m.start(), m.end()))
        if spans:
            chars = list(self.folded)
            for a, b in spans:
                chars[a:b] = " " * (b - a)
            self.masked = "".join(chars)
        else:
            self.masked = self.folded

    def part_at(self, pos: int) -> _Part:
        return self.parts[bisect.bisect_right(self.part_starts, pos) - 1]

    def search(self, m: _Matcher, lo: int, hi: int) -> bool:
        """Whether ``m`` matches starting in [lo, hi) and ending by ``hi`` (a cue window)."""
        return m.search(self.folded, lo, hi) is not None

    @property
    def cased(self) -> str:
        if self._cased is None:
            self._cased = _fold_case(self.text)
        return self._cased

    def find(self, m: _Matcher, hay: str, starts: list[int] | None = None) -> Iterable[re.Match[str]]:
        """Leftmost non-overlapping matches of ``m`` in ``hay`` (the folded, masked or cased text)."""
        if m.grams is None:
            occ = self._occ.get(hay)
            if occ is None:
                occ = self._occ[hay] = _Occurrences(hay)
            return _scan(m.regex, m.plan, occ)
        if starts is None:
            positions = self.positions
            starts = sorted({p for g in positions.keys() & m.grams for p in positions[g]})
        return _match_at_grams(m.regex, starts, hay) if starts else ()

    def nearest(self, anchor: _Matcher, lo: int, hi: int, a: int, b: int, end: int) -> int | None:
        """Distance from span (a, b) to the nearest match of ``anchor`` starting in [lo, hi)
        (the match itself may run on up to ``end``, the end of the sentence)."""
        best: int | None = None
        for m in anchor.finditer(self.folded, lo, hi, end):
            d = _gap((a, b), (m.start(), m.end()))
            if best is None or d < best:
                best = d
        return best

    def substances(self, rules: Rules) -> list[tuple[int, int, bool]]:
        """Every mention of a [substances] entry as (start, end, focal): focal are the
        substances the record is about, not those it merely mentions.

        Focal are the substances the title names (a CT.gov record: also its interventions);
        when those name none, the ones the text names most often, and any named at least half
        as often. So in a psilocybin study "oral" next to psilocybin is the study drug's route
        and "intravenous ketamine" in its background is another drug's; in a ketamine study it
        is the other way round."""
        if self._substances is None:
            found: list[tuple[int, int, int]] = []
            regex = rules.substance_regex
            if regex is not None:
                groups = rules.substance_groups
                # Through the record's one gram scan (the substance grams are wanted by the
                # Tagger), so only word starts that can begin a substance are tried.
                for m in self.find(regex, self.folded):
                    if m.end() > m.start():
                        found.append((m.start(), m.end(), groups[m.lastindex or 0]))
            focal: set[int] = set()
            if found:
                counts: dict[int, int] = {}
                for a, _b, k in found:
                    if self.part_at(a).kind in _FOCAL_FIELDS:
                        focal.add(k)
                    counts[k] = counts.get(k, 0) + 1
                if not focal:
                    most = max(counts.values())
                    focal = {k for k, n in counts.items() if 2 * n >= most}
            self._substances = [(a, b, k in focal) for a, b, k in found]
        return self._substances

    def nearest_substance(self, rules: Rules, focal: bool, lo: int, hi: int, a: int, b: int, end: int) -> int | None:
        """:meth:`nearest` for the record's focal (or other) substances."""
        best: int | None = None
        for start, stop, is_focal in self.substances(rules):
            if start >= hi:
                break
            if start >= lo and stop <= end and is_focal == focal:
                d = _gap((a, b), (start, stop))
                if best is None or d < best:
                    best = d
        return best

    def sentences(self, engine: Tagger) -> _Sentences:
        if self._sentences is None:
            self._sentences = _Sentences(self, engine)
        return self._sentences


def _zone_for(label: str, rules: Rules) -> ZoneSpec | None:
    cache = rules.zone_cache
    if label in cache:
        return cache[label]
    low = label.strip().lower()
    zone = next((z for z in rules.zones if z.labels.search(low)), None)
    if len(cache) < 4096:
        cache[label] = zone
    return zone


def _split_sentences(text: str, lo: int, hi: int) -> list[int]:
    """Sentence starts in text[lo:hi] (absolute positions)."""
    cuts = {m.end() for m in _SENTENCE_END.finditer(text, lo, hi)}
    nl = text.find("\n", lo, hi)
    while nl >= 0:
        cuts.add(nl + 1)
        nl = text.find("\n", nl + 1, hi)
    return [lo, *sorted(c for c in cuts if lo < c < hi)]


class _Sentences:
    """Sentence spans of a record's text; a sentence's weight factor is computed on first use.

    Factors need the sentence cues, which are the costly part, so they are only evaluated
    for sentences that hold a match (and, for the leading-background rule, for the
    sentences up to the first one in the field that speaks about this study).
    """

    __slots__ = ("_cache", "_cue_pos", "_first_study", "_hits", "_leading", "_part", "_text", "_zones", "ends",
                 "engine", "starts")

    def __init__(self, t: _Text, engine: Tagger) -> None:
        self.engine = engine
        self._text = t
        self._cache: dict[int, _Sentence] = {}
        self._hits: dict[tuple[int, int], bool] = {}
        self._cue_pos: list[list[int]] | None = None
        self._first_study: dict[int, int | None] = {}
        rules = engine.rules
        spec = rules.sentences
        text = t.text
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._part: list[int] = []  # index of the part each sentence belongs to
        self._zones: list[ZoneSpec | bool | None] = []  # False: not prose (factor 1, no cues)
        self._leading: list[bool] = []  # per part: leading-background rule applies
        for pi, part in enumerate(t.parts):
            if part.kind not in spec.prose_fields:
                self.starts.append(part.start)
                self.ends.append(part.end)
                self._part.append(pi)
                self._zones.append(False)
                self._leading.append(False)
                continue
            starts = _split_sentences(text, part.start, part.end)
            ends = [*starts[1:], part.end]
            # Zones: from the section label, or from inline labels ("METHODS:", "Results:").
            fixed = _zone_for(part.label, rules) if part.label else None
            marks: list[tuple[int, ZoneSpec | None]] = []
            if part.label is None and text.find(":", part.start, part.end) >= 0:
                colon = text.find(":", part.start, part.end)
                while colon > 0:
                    m = _LABEL_BEFORE_COLON.search(text, max(part.start, colon - 64), colon)
                    if m is not None and colon + 1 < part.end and text[colon + 1].isspace():
                        marks.append((m.start(1), _zone_for(m.group(1), rules)))
                    colon = text.find(":", colon + 1, part.end)
                for a in starts:
                    colon = text.find(":", a, min(a + 50, part.end))
                    m = _TITLE_LABEL.match(text, a, part.end) if colon > a else None
                    if m and not m.group(1).isupper() and m.group(1).split()[0].lower() not in _NOT_LABEL_START:
                        z = _zone_for(m.group(1), rules)
                        if z is not None:
                            marks.append((a, z))
                marks.sort(key=lambda x: x[0])
            mark_pos = [p for p, _ in marks]
            for a, b in zip(starts, ends, strict=True):
                self.starts.append(a)
                self.ends.append(b)
                self._part.append(pi)
                if marks:
                    i = bisect.bisect_right(mark_pos, b - 1) - 1
                    self._zones.append(marks[i][1] if i >= 0 else None)
                else:
                    self._zones.append(fixed)
            self._leading.append(len(starts) >= spec.min_sentences_for_leading and not marks and fixed is None)

    def at(self, pos: int) -> _Sentence:
        """The sentence holding ``pos``, with its factor."""
        k = bisect.bisect_right(self.starts, pos) - 1
        if k < 0:
            k = 0
        sent = self._cache.get(k)
        if sent is None:
            sent = self._cache[k] = self._make(k)
        return sent

    def _cue_positions(self) -> list[list[int]]:
        """Candidate start positions of each cue (from the text's gram positions)."""
        if self._cue_pos is None:
            positions = self._text.positions
            self._cue_pos = []
            for m in self.engine._cues:
                pos: list[int] = []
                if m is not None and m.grams is not None:
                    for g in m.grams:
                        found = positions.get(g)
                        if found is not None:
                            pos.extend(found)
                    pos.sort()
                self._cue_pos.append(pos)
        return self._cue_pos

    def _cue(self, k: int, which: int) -> bool:
        key = (k, which)
        hit = self._hits.get(key)
        if hit is None:
            m = self.engine._cues[which]
            hit = False
            if m is not None:
                folded = self._text.folded
                a, b = self.starts[k], self.ends[k]
                if m.grams is None:
                    hit = m.regex.search(folded, a, b) is not None
                else:
                    pos = self._cue_positions()[which]
                    regex = m.regex
                    i = bisect.bisect_left(pos, a)
                    while i < len(pos) and pos[i] < b:
                        if regex.match(folded, pos[i]) is not None:
                            hit = True
                            break
                        i += 1
            self._hits[key] = hit
        return hit

    def _first_study_sentence(self, pi: int) -> int | None:
        if pi not in self._first_study:
            self._first_study[pi] = next(
                (k for k in range(len(self.starts)) if self._part[k] == pi and self._cue(k, 0) and not self._cue(k, 2)),
                None,
            )
        return self._first_study[pi]

    def _make(self, k: int) -> _Sentence:
        a, b = self.starts[k], self.ends[k]
        zone = self._zones[k]
        if zone is False:
            return _Sentence(a, b, 1.0, "")
        spec = self.engine.rules.sentences
        factor = zone.factor if isinstance(zone, ZoneSpec) else 1.0
        zname = zone.name if isinstance(zone, ZoneSpec) else ""
        if factor == 0 or (isinstance(zone, ZoneSpec) and not zone.cues):
            return _Sentence(a, b, factor, zname)
        # An outlook ("future studies should … to evaluate …") is never a study sentence.
        outlook = self._cue(k, 2)
        if not outlook and self._cue(k, 0):
            if isinstance(zone, ZoneSpec):
                # e.g. a study sentence inside a BACKGROUND section ("We designed a study to …").
                factor = zone.study_factor
            return _Sentence(a, b, factor, zname)
        pi = self._part[k]
        if self._leading[pi]:
            first = self._first_study_sentence(pi)
            if (first is None or k < first) and factor > spec.leading_background_factor:
                factor = spec.leading_background_factor
                zname = zname or "leading-background"
        # Cues only matter when they would lower the factor further.
        if outlook:
            if factor > spec.outlook_factor:
                factor = spec.outlook_factor
                zname = zname or "outlook-cue"
        elif factor > spec.background_factor and self._cue(k, 1):
            factor = spec.background_factor
            zname = zname or "background-cue"
        return _Sentence(a, b, factor, zname)


def _in_context(
    ctx: ContextSpec, t: _Text, sent: _Sentence, start: int, end: int, before: dict[str, list[int]] | None = None
) -> bool:
    """Whether a cue of ``ctx`` is within its window before/after the match, in the same clause.

    ``before``: per context, the positions of its cue grams in the widest before-window, found
    by one scan for all contexts of a rule (see ``Tagger._weigh``)."""
    if ctx.before is not None:
        lo = start - ctx.window
        if lo < sent.start:
            lo = sent.start
        hits = None if before is None else before.get(ctx.name, ())
        if lo < start and _before_hit(ctx.before, t, lo, start, hits):
            # A cue is there; it counts only if no clause break separates it from the match.
            for cut in ctx.scope_break.finditer(t.folded, lo, start):
                lo = cut.end()
            if lo < start and _before_hit(ctx.before, t, lo, start, hits):
                return True
    if ctx.after is not None:
        hi = end + ctx.window
        if hi > sent.end:
            hi = sent.end
        if end < hi and t.search(ctx.after, end, hi):
            brk = ctx.scope_break.search(t.folded, end, hi)
            if brk is not None:
                hi = brk.start()
            if end < hi and t.search(ctx.after, end, hi):
                return True
    return False


def _before_hit(m: _Matcher, t: _Text, lo: int, hi: int, hits: Sequence[int] | None) -> bool:
    if hits is None or m.grams is None or m.anchored:
        return t.search(m, lo, hi)
    if not hits:
        return False
    match = m.regex.match
    folded = t.folded
    return any(p >= lo and match(folded, p, hi) is not None for p in hits)


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    if b[1] <= a[0]:
        return a[0] - b[1]
    if b[0] >= a[1]:
        return b[0] - a[1]
    return 0


_FMT_CACHE: dict[float, str] = {}


def _fmt(x: float) -> str:
    text = _FMT_CACHE.get(x)
    if text is None:
        text = f"{x:.2f}".rstrip("0").rstrip(".")
        if len(_FMT_CACHE) < 4096:
            _FMT_CACHE[x] = text
    return text


class Tagger:
    """Runs compiled :class:`Rules` over :class:`TagDoc` records. Pure and thread-safe."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._struct_terms: dict[str, dict[str, list[RuleSpec]]] = {}
        self._struct_regex: dict[str, list[RuleSpec]] = {}
        # Text rules: gram → indexes of rules that can start with it; rules without grams always run.
        self._text_kinds: set[str] = set()
        self._rule_list = rules.rules
        self._gram_index: dict[str, list[int]] = {}  # gram → indexes of rules that can start with it
        self._plain_rules: list[int] = []  # text rules without grams: scanned in full
        for i, r in enumerate(rules.rules):
            for f in sorted(r.fields - TEXT_FIELDS):
                if r.terms:
                    table = self._struct_terms.setdefault(f, {})
                    for t in r.terms:
                        table.setdefault(t, []).append(r)
                elif r.regex is not None:
                    self._struct_regex.setdefault(f, []).append(r)
            if r.regex is None or not r.fields & TEXT_FIELDS:
                continue
            self._text_kinds.update(r.fields & TEXT_FIELDS)
            if r.grams is not None:
                for g in r.grams:
                    self._gram_index.setdefault(g, []).append(i)
            else:
                self._plain_rules.append(i)
        spec = rules.sentences
        # study, background, outlook (indexes used by _Sentences)
        self._cues: tuple[_Matcher | None, ...] = tuple(
            _matcher(p) if p is not None else None for p in (spec.study, spec.background, spec.outlook)
        )
        # Cue grams are common words ("we", "the", numbers): cues are looked for sentence by
        # sentence with their own trie, not indexed for the whole field. None: plain search.
        wanted: set[str] = set(self._gram_index)
        # Context cues ("no", "for", "patients") and drug anchors are only needed around some
        # matches: they are searched in their small window with their own trie, not indexed.
        helpers = [mask.matcher for mask in rules.masks]
        helpers.extend(m for m in self._cues if m is not None)
        if rules.substance_regex is not None:
            helpers.append(rules.substance_regex)
        for m in helpers:
            if m.grams is not None:
                wanted.update(m.grams)
        self._wanted = frozenset(wanted)
        # Masks with the same fields and case run as one alternation (one pass instead of several).
        groups: dict[tuple[frozenset[str], bool], list[MaskSpec]] = {}
        for mask in rules.masks:
            groups.setdefault((mask.fields, mask.case), []).append(mask)
        self._masks: list[tuple[_Matcher, frozenset[str], bool]] = []
        for (kinds, case), masks in groups.items():
            if len(masks) == 1:
                self._masks.append((masks[0].matcher, kinds, case))
            else:
                joined = re.compile("|".join(f"(?:{m.matcher.regex.pattern})" for m in masks))
                self._masks.append((_matcher(joined), kinds, case))
        before = [c.before for c in rules.contexts.values() if c.before is not None and not c.before.anchored]
        self._ctx_owners: dict[str, tuple[str, ...]] = {}
        if before and all(m.grams is not None for m in before):
            owners: dict[str, list[str]] = {}
            for c in rules.contexts.values():
                if c.before is not None and not c.before.anchored:
                    for g in c.before.grams or ():
                        owners.setdefault(g, []).append(c.name)
            self._ctx_owners = {g: tuple(names) for g, names in owners.items()}
            self._ctx_trie: re.Pattern[str] | None = _gram_trie_re(self._ctx_owners)
        else:
            self._ctx_trie = None
        self._ctx_window = max((c.window for c in rules.contexts.values()), default=0)
        self._punct = _punct_gram_re(wanted)
        # Word grams are found after a consumed separator char (the text is scanned with a leading
        # space): the regex engine can then skip ahead by its first-character fast path.
        words = [g for g in wanted if g[0].isalnum()]
        self._word_grams = re.compile(r"[\W_](" + _trie(words) + ")") if words else None
        self._combos = self._build_combos()
        self._axis_order = sorted(rules.axes, key=_axis_rank)
        self._decide_order = _decide_order(rules.axes, self._axis_order)
        self._lineage = {
            name: {v: _lineage(axis, v) for v in axis.values} for name, axis in rules.axes.items()
        }

    def _build_combos(self) -> dict[str, list[tuple[int, re.Pattern[str], tuple[int, ...]]]]:
        """Per first gram: one regex per text variant (0 masked, 1 folded, 2 case-preserving)
        that tries every rule starting with that gram at once, each in a capturing lookahead
        ``(?:(?=(rule)))?``: one ``match`` call at a position reports every rule that matches
        there, with exactly the span its own ``match`` would give. Rules whose patterns have
        capturing groups of their own keep their own regex (group numbers would shift)."""
        combos: dict[str, list[tuple[int, re.Pattern[str], tuple[int, ...]]]] = {}
        for g, ids in self._gram_index.items():
            by_hay: dict[int, list[int]] = {}
            for i in ids:
                r = self._rule_list[i]
                if r.regex is None:
                    continue
                hay = 2 if r.case else (1 if r.unmasked else 0)
                if r.regex.groups == 0:
                    by_hay.setdefault(hay, []).append(i)
                else:
                    combos.setdefault(g, []).append((hay, r.regex, (i,)))
            for hay, members in sorted(by_hay.items()):
                members = sorted(set(members))
                if len(members) == 1:
                    regex = self._rule_list[members[0]].regex
                    assert regex is not None
                    combos.setdefault(g, []).append((hay, re.compile(f"({regex.pattern})"), tuple(members)))
                    continue
                joined = "".join(f"(?:(?=({self._rule_list[i].regex.pattern})))?" for i in members)  # type: ignore[union-attr]
                combos.setdefault(g, []).append((hay, re.compile(joined), tuple(members)))
        return combos

    # -- public API ---------------------------------------------------------------

    def tag(self, doc: TagDoc) -> list[Tag]:
        """The tags of ``doc``, sorted by axis order then value."""
        return list(self._decide(self._match(doc), with_candidates=False).tags)

    def analyse(self, doc: TagDoc) -> Analysis:
        """Tags plus every candidate match with its status (for ``explain`` and error analysis)."""
        return self._decide(self._match(doc), with_candidates=True)

    # -- matching -----------------------------------------------------------------

    def _gram_positions(self, text: str) -> dict[str, list[int]]:
        """Start positions of the grams some rule, mask or cue can start with (digits as 0).

        The word part is one regex (a trie of the wanted grams), so the C engine skips every
        word no rule can start with.
        """
        wanted = self._wanted
        out: dict[str, list[int]] = {}
        if self._word_grams is not None:
            for m in self._word_grams.finditer(" " + text):
                g = m.group(1)
                if not g.isalpha():
                    g = g.translate(_DIGITS_TO_0)
                    if g not in wanted:
                        continue
                found = out.get(g)
                if found is None:
                    out[g] = [m.start(1) - 1]
                else:
                    found.append(m.start(1) - 1)
        if self._punct is not None:
            for m in self._punct.finditer(text):
                g = m.group()
                if not g.isalpha():
                    g = g.translate(_DIGITS_TO_0)
                if g in wanted:
                    out.setdefault(g, []).append(m.start())
        return out

    @staticmethod
    def _applies(r: RuleSpec, doc: TagDoc) -> bool:
        return r.when == "any" or (r.when == "indexed") == doc.indexed

    def _match(self, doc: TagDoc) -> list[_Raw]:
        raws: list[_Raw] = []
        for name, value in doc.structured():
            low = value.lower()
            terms = self._struct_terms.get(name)
            if terms is not None:
                for r in terms.get(low, ()):
                    if self._applies(r, doc):
                        raws.append(_Raw(r, name, value, 0, len(value), r.strength, (), "tagged"))
            for r in self._struct_regex.get(name, ()):
                if self._applies(r, doc) and r.regex is not None:
                    m = r.regex.search(value if r.case else low)
                    if m:
                        raws.append(
                            _Raw(r, name, value[m.start() : m.end()], m.start(), m.end(), r.strength, (), "tagged")
                        )
        fields = [(n, x) for n, x in doc.fields if x and n.partition(":")[0] in self._text_kinds]
        if fields:
            self._match_text(_Text(fields, self), doc, raws)
        return raws

    def _match_text(self, t: _Text, doc: TagDoc, raws: list[_Raw]) -> None:
        folded = t.folded
        hays = (t.masked, folded)
        hits: list[tuple[int, int, int]] = []  # (rule index, start, end)
        for g, positions in t.positions.items():
            combos = self._combos.get(g)
            if combos is None:
                continue
            for hay_kind, regex, members in combos:
                hay = hays[hay_kind] if hay_kind < 2 else t.cased
                match = regex.match
                if len(members) == 1:
                    i = members[0]
                    for p in positions:
                        m = match(hay, p)
                        if m is not None and m.end() > p:
                            hits.append((i, p, m.end()))
                    continue
                for p in positions:
                    m = match(hay, p)
                    if m is None:
                        continue
                    for k, i in enumerate(members, 1):
                        e = m.end(k)
                        if e > p:
                            hits.append((i, p, e))
        n = len(folded)
        for i in self._plain_rules:  # rules without first grams: scanned in full, boundaries checked here
            r = self._rule_list[i]
            if r.matcher is None:
                continue
            hay = t.cased if r.case else (folded if r.unmasked else t.masked)
            for m in t.find(r.matcher, hay):
                a, b = m.start(), m.end()
                if r.boundary and (
                    (a > 0 and folded[a - 1].isalnum() and folded[a].isalnum())
                    or (b < n and folded[b].isalnum() and folded[b - 1].isalnum())
                ):
                    continue
                hits.append((i, a, b))
        if not hits:
            return
        # Per rule, leftmost non-overlapping matches (what a plain finditer of the rule gives).
        # Gram candidates start words and compiled patterns end on word ends: no boundary check.
        hits.sort()
        single = len(t.parts) == 1
        sentences: _Sentences | None = None
        rules = self._rule_list
        rule_index = -1
        last = 0
        r = rules[hits[0][0]]
        for i, a, b in hits:
            if i != rule_index:
                rule_index, last, r = i, 0, rules[i]
            if a < last:
                continue
            last = b
            if r.when != "any" and not self._applies(r, doc):
                continue
            part = t.parts[0] if single else t.part_at(a)
            if b > part.end or part.kind not in r.fields:
                continue
            if sentences is None:
                sentences = t.sentences(self)
            raws.append(self._weigh(r, t, part, sentences.at(a), a, b))

    def _weigh(self, r: RuleSpec, t: _Text, part: _Part, sent: _Sentence, a: int, b: int) -> _Raw:
        weight = r.strength * part.weight * sent.factor
        notes: tuple[str, ...] = (sent.note,) if sent.note else ()
        status = "tagged"
        contexts = self.rules.contexts
        before: dict[str, list[int]] | None = None
        if r.contexts and self._ctx_trie is not None:
            # One scan of the widest "before" window finds the cue grams of every context.
            lo = a - self._ctx_window
            if lo < sent.start:
                lo = sent.start
            before = {}
            owners = self._ctx_owners
            for x in self._ctx_trie.finditer(t.folded, lo, a):
                g = x.group()
                for cname in owners.get(g if g.isalpha() else g.translate(_DIGITS_TO_0), ()):
                    found = before.get(cname)
                    if found is None:
                        before[cname] = [x.start()]
                    else:
                        found.append(x.start())
        for cname in r.contexts:
            ctx = contexts[cname]
            if _in_context(ctx, t, sent, a, b, before):
                weight *= ctx.factor
                notes += (ctx.note,)
                if ctx.factor == 0:
                    status = cname
                    break
        if status == "tagged" and r.near is not None and weight > 0:
            lo = max(sent.start, a - r.near_window)
            hi = min(sent.end, b + r.near_window)
            d_near = self._nearest(t, r.near, lo, hi, a, b, sent.end)
            d_other: int | None = None
            if r.other is not None:
                # Only another drug closer than the study drug matters: search that close only.
                olo, ohi = (lo, hi) if d_near is None else (max(lo, a - d_near), min(hi, b + d_near))
                if olo < ohi:
                    d_other = self._nearest(t, r.other, olo, ohi, a, b, sent.end)
            if d_other is not None and d_other <= r.near_window and (d_near is None or d_other < d_near):
                weight *= r.other_factor
                notes += (f"other-drug×{_fmt(r.other_factor)}",)
            elif d_near is None or d_near > r.near_window:
                weight *= r.far_factor
                notes += (f"no-anchor×{_fmt(r.far_factor)}",)
        if weight <= 0 and status == "tagged":
            status = "zero weight"
        return _Raw(r, part.name, t.text[a:b], a - part.start, b - part.start, weight, notes, status)

    def _nearest(self, t: _Text, anchor: str, lo: int, hi: int, a: int, b: int, end: int) -> int | None:
        """Distance from (a, b) to the nearest match of ``anchor``: its pattern, plus the
        record's focal or other substances when the anchor says so."""
        rules = self.rules
        d = t.nearest(rules.anchors[anchor], lo, hi, a, b, end)
        adds = rules.anchor_substances.get(anchor)
        if adds is not None:
            d2 = t.nearest_substance(rules, adds == "focal", lo, hi, a, b, end)
            if d2 is not None and (d is None or d2 < d):
                d = d2
        return d

    # -- deciding -----------------------------------------------------------------

    def _decide(self, raws: list[_Raw], with_candidates: bool) -> Analysis:
        if not raws:
            return Analysis((), ())
        # A rule "fired" when it matched and was not rejected by context; zero-strength helper
        # rules (e.g. the Humans check tag) exist only to be named in requires/excluded_by.
        fired = {x.rule.id for x in raws if x.status == "tagged" or x.status == "zero weight"}
        by_axis: dict[str, list[_Raw]] = {}
        for x in raws:
            r = x.rule
            if x.status == "tagged":
                if r.requires and not any(q in fired for q in r.requires):
                    x.status = "requires unmet"
                elif r.excluded_by and any(q in fired for q in r.excluded_by):
                    x.status = "excluded by rule"
            by_axis.setdefault(r.axis, []).append(x)
        decided: dict[str, list[Tag]] = {}
        for axis in self._decide_order:
            spec = self.rules.axes[axis]
            items = by_axis.get(axis)
            if items and spec.damp:
                self._damp(spec, items, decided)
            decided[axis] = self._decide_axis(spec, items) if items else []
        tags = [t for axis in self._axis_order for t in decided[axis]]
        if not with_candidates:
            return Analysis(tuple(tags), ())
        candidates = tuple(
            Candidate(x.rule.axis, x.rule.value, x.evidence(), x.status)
            for x in sorted(raws, key=lambda x: (_axis_rank(x.rule.axis), x.rule.value, x.field, x.start, x.rule.id))
        )
        return Analysis(tuple(tags), candidates)

    def _damp(self, spec: AxisSpec, items: list[_Raw], decided: dict[str, list[Tag]]) -> None:
        """Apply ``spec.damp`` to ``items``: their weights shrink where the record has the
        named tag (``_decide_order`` decides that axis first)."""
        for d in spec.damp:
            if not any(t.value == d.when_value for t in decided[d.when_axis]):
                continue
            note = f"{d.when_axis} {d.when_value}×{_fmt(d.factor)}"
            for x in items:
                if x.status == "tagged" and x.field.partition(":")[0] in d.fields:
                    x.weight *= d.factor
                    x.notes += (note,)

    def _pick(self, axis: AxisSpec, items: list[_Raw]) -> dict[str, float]:
        """Scores per value (overlapping spans of one value count once) over the thresholds."""
        lineage = self._lineage[axis.name]
        spans: dict[str, list[_Raw]] = {}
        for x in items:
            for v in lineage[x.rule.value]:
                found = spans.get(v)
                if found is None:
                    spans[v] = [x]
                else:
                    found.append(x)
        if not spans:
            return {}
        cap = axis.rule_cap
        totals = {v: _span_score(xs, cap) for v, xs in spans.items()}
        floor = max(axis.min_score, axis.relative * max(totals.values()))
        return {v: t for v, t in totals.items() if t >= floor}

    def _decide_axis(self, axis: AxisSpec, items: list[_Raw]) -> list[Tag]:
        live = [x for x in items if x.status == "tagged"]
        if not live:
            return []
        tiers: list[int | None] = [*sorted({x.rule.tier for x in live})] if axis.exclusive_tiers else [None]
        chosen: dict[str, float] = {}
        used: list[_Raw] = []
        for tier in tiers:
            pool = live if tier is None else [x for x in live if x.rule.tier == tier]
            first = self._pick(axis, pool)
            dropped = False
            kept: list[_Raw] = []
            for x in pool:
                hit = [u for u in x.rule.unless if u in first] if x.rule.unless else ()
                if hit:
                    x.status = "unless " + ",".join(hit)
                    dropped = True
                else:
                    kept.append(x)
            if dropped:
                pool = kept
                first = self._pick(axis, pool)
            if first:
                chosen, used = first, pool
                break
        used_ids = {id(x) for x in used}
        lineage = self._lineage[axis.name]
        per: dict[str, list[_Raw]] = {}
        for x in live:
            if x.status != "tagged":
                continue
            if id(x) not in used_ids:
                x.status = "weaker tier" if axis.exclusive_tiers and chosen else "below threshold"
                continue
            counted = False
            for v in lineage[x.rule.value]:
                if v in chosen:
                    counted = True
                    found = per.get(v)
                    if found is None:
                        per[v] = [x]
                    else:
                        found.append(x)
            if not counted:
                x.status = "below threshold"
        out: list[Tag] = []
        limit = self.rules.max_evidence
        for value in sorted(chosen, key=axis.values.index):
            # Strongest first; the same span found by two rules is reported once per rule.
            top = sorted(per.get(value, ()), key=lambda x: (-x.weight, x.field, x.start, x.rule.id))
            seen: set[tuple[str, int, int, str]] = set()
            evidence: list[TagEvidence] = []
            for x in top:
                key = (x.field, x.start, x.end, x.rule.id)
                if key not in seen:
                    seen.add(key)
                    evidence.append(x.evidence())
                    if len(evidence) == limit:
                        break
            out.append(Tag(axis.name, value, tuple(evidence), round(chosen[value], 4)))
        return out


def _span_score(xs: list[_Raw], cap: float = 0.0) -> float:
    """Sum of weights, where overlapping spans in one field (two rules, or a child and its
    parent matching the same words) count once, with their highest weight; with ``cap`` > 0
    the weights credited to one rule are summed up to ``cap`` at most."""
    if len(xs) == 1:
        return min(xs[0].weight, cap) if cap > 0 else xs[0].weight
    kept: list[_Raw] = []
    field = ""
    end = -1
    for x in sorted(xs, key=lambda x: (x.field, x.start)):
        if kept and x.field == field and x.start < end:
            if x.weight > kept[-1].weight:
                kept[-1] = x
            if x.end > end:
                end = x.end
            continue
        kept.append(x)
        field, end = x.field, x.end
    if cap <= 0:
        return sum(x.weight for x in kept)
    per_rule: dict[str, float] = {}
    for x in kept:
        per_rule[x.rule.id] = per_rule.get(x.rule.id, 0.0) + x.weight
    return sum(min(w, cap) for w in per_rule.values())


def _decide_order(axes: Mapping[str, AxisSpec], order: Sequence[str]) -> list[str]:
    """``order``, except that an axis comes after the axes its ``damp`` entries look at."""
    out: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in out:
            return
        if name in visiting:
            raise ConfigError(f"[axes.{name}] damp entries form a cycle")
        visiting.add(name)
        for d in axes[name].damp:
            visit(d.when_axis)
        visiting.discard(name)
        out.append(name)

    for name in order:
        visit(name)
    return out


def _axis_rank(axis: str) -> tuple[int, str]:
    return (AXES.index(axis), "") if axis in AXES else (len(AXES), axis)


def _lineage(axis: AxisSpec, value: str) -> tuple[str, ...]:
    out = [value]
    while out[-1] in axis.parents:
        out.append(axis.parents[out[-1]])
    return tuple(out)
