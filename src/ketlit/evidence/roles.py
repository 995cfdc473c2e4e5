"""The role of each abstract sentence: background, objective, methods, results or conclusions.

Only results and conclusions sentences may carry findings (the expert review counted
introductions read as onset findings and methods read as durations), so the role decides what
the finding reader may look at.

Design decisions:
- **Structured abstracts use their own labels.** A section's ``NlmCategory`` decides; without
  one, keywords of the label (``AUTHORS' CONCLUSIONS``, ``CONCLUSIONS AND RELEVANCE``, ``MAIN
  RESULTS``…) from the rules file do. A label printed inside a section's text
  ("... AUTHORS' CONCLUSIONS: Our findings ...", as Cochrane abstracts often arrive) starts a
  new section for the sentences that follow, and so does a mixed-case inline label
  ("Results: ..."), which PsycINFO-style records carry.
- **Unstructured abstracts: cue scores + position prior + order.** Each sentence gets a score
  per role from cue patterns and from where it sits in the abstract; the best sequence that
  never goes backwards in the order background → objective → methods → results → conclusions
  is found by dynamic programming (5 states, linear in sentences). The order constraint is what
  keeps an isolated "ketamine has rapid antidepressant effects" in the first line from becoming
  a result. The cue groups of a sentence are asked in one pass over its scan
  (:class:`~ketlit.evidence.matcher.Cues`). Measured against structured abstracts with their
  labels removed (``bench/evidence_reading.py``), not assumed.
- Rules, not a trained model: a model would need the cache's structured abstracts as training
  data, which live outside the repo (``../shared``) and may not be copied in; these cues are
  few enough to read and edit.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ketlit.evidence.matcher import Cues, Matcher, TextPattern
from ketlit.evidence.sentences import AbstractSentence

Role = Literal["background", "objective", "methods", "results", "conclusions", "other"]
ORDER: Final[tuple[Role, ...]] = ("background", "objective", "methods", "results", "conclusions")
FINDING_ROLES: Final = frozenset({"results", "conclusions"})

_PIN_BONUS: Final = 100.0
_MIXED: Final[frozenset[Role]] = frozenset({"methods", "results"})
_ROLE_INDEX: Final[dict[str, int]] = {r: i for i, r in enumerate(ORDER)}
_CATEGORY: Final[dict[str, Role]] = {
    "BACKGROUND": "background",
    "OBJECTIVE": "objective",
    "METHODS": "methods",
    "RESULTS": "results",
    "CONCLUSIONS": "conclusions",
}
# "AUTHORS' CONCLUSIONS: ..." or "Results: ..." at the start of a sentence. The upper-case form
# may contain spaces and punctuation; the mixed-case form must be one known word so that
# "Outcome: ..." inside a methods sentence is not read as a label.
_INLINE_UPPER: Final = re.compile(r"^([A-Z][A-Z'’ ,/&-]{2,60}[A-Z]):\s")
_INLINE_WORD: Final = re.compile(
    r"^(Background|Introduction|Objectives?|Aims?|Purpose|Methods?|Design|Results?|Findings|"
    r"Conclusions?|Interpretation|Discussion):\s"
)


@dataclass(frozen=True, slots=True)
class RoleRules:
    """Label keywords per role (checked in order) and cue patterns per role, compiled."""

    label_words: tuple[tuple[Role, tuple[str, ...]], ...]
    cues: tuple[tuple[Role, float, TextPattern], ...]  # one alternation per cue group
    position: dict[Role, tuple[float, float, float]]
    # The cue groups asked together (one pass over a sentence's scan); None: each group alone.
    together: Cues | None = None


@dataclass(frozen=True, slots=True)
class RoledSentence:
    """A sentence with the role it plays; ``labelled`` is False when the role was inferred."""

    sentence: AbstractSentence
    role: Role
    labelled: bool


def role_of_label(label: str | None, category: str | None, rules: RoleRules) -> Role | None:
    """A structured section's role, from its NLM category or its label's words; None if unknown."""
    if category and category.upper() in _CATEGORY:
        return _CATEGORY[category.upper()]
    if not label:
        return None
    upper = label.upper()
    for role, words in rules.label_words:
        if any(w in upper for w in words):
            return role
    return None


def _inline_label(text: str) -> str | None:
    if ":" not in text:
        return None  # both forms end in a colon
    m = _INLINE_UPPER.match(text) or _INLINE_WORD.match(text)
    return m.group(1) if m else None


def assign_roles(sentences: Sequence[AbstractSentence], rules: RoleRules) -> list[RoledSentence]:
    """Each sentence with its role: labelled sections by label, the rest by cues and order."""
    known: list[Role | None] = []
    current: dict[int, Role | None] = {}
    mixed: set[int] = set()  # sections whose label names both methods and results
    between: set[int] = set()  # sentences of such a section whose role is unknown: methods or results
    for i, s in enumerate(sentences):
        inline = _inline_label(s.text)
        if inline is not None:
            role = role_of_label(inline, None, rules)
            if role is not None:
                current[s.section] = role
        if s.section not in current:
            # "MEASUREMENTS AND MAIN RESULTS" (NLM files it under METHODS), "METHODOLOGY/PRINCIPAL
            # FINDINGS": a section that names both holds both; each sentence is read for which.
            if _MIXED.issubset(_named_roles(s.label, rules)):
                mixed.add(s.section)
                current[s.section] = None
            else:
                current[s.section] = role_of_label(s.label, s.category, rules)
        if current[s.section] is None and s.section in mixed:
            between.add(i)
        known.append(current[s.section])
    if all(r is not None for r in known):
        return [RoledSentence(s, r, True) for s, r in zip(sentences, known, strict=True) if r is not None]
    inferred = _infer(sentences, known, rules, between)
    return [
        RoledSentence(s, k if k is not None else g, k is not None)
        for s, k, g in zip(sentences, known, inferred, strict=True)
    ]


def _scores(text: str, rel: float, rules: RoleRules) -> list[float]:
    out = []
    for role in ORDER:
        centre, width, bias = rules.position[role]
        out.append(bias - ((rel - centre) / width) ** 2)
    if rules.together is not None:
        for (cue_role, weight, _), hit in zip(rules.cues, rules.together.matching(text), strict=True):
            if hit:
                out[_ROLE_INDEX[cue_role]] += weight
        return out
    for cue_role, weight, pattern in rules.cues:
        if pattern.exists(text) if isinstance(pattern, Matcher) else pattern.search(text):
            out[_ROLE_INDEX[cue_role]] += weight
    return out


def _named_roles(label: str | None, rules: RoleRules) -> frozenset[Role]:
    """Every role whose label words ``label`` contains."""
    if not label:
        return frozenset()
    upper = label.upper()
    return frozenset(role for role, words in rules.label_words if any(w in upper for w in words))


def _infer(
    sentences: Sequence[AbstractSentence],
    known: Sequence[Role | None],
    rules: RoleRules,
    between: Collection[int] = (),
) -> list[Role]:
    """Best non-decreasing role sequence (Viterbi over the five ordered roles).

    Sentences whose role is known from a label get a large bonus for it rather than a hard pin,
    so an unlabelled tail after a labelled RESULTS section cannot go back to background, while
    labels printed out of order cannot leave the search with no path.
    """
    n = len(sentences)
    if n == 0:
        return []
    k = len(ORDER)
    neg = float("-inf")
    best = [[neg] * k for _ in range(n)]
    back = [[0] * k for _ in range(n)]
    for i, s in enumerate(sentences):
        rel = i / (n - 1) if n > 1 else 1.0
        emit = _scores(s.text, rel, rules)
        pinned = known[i]
        if pinned is not None and pinned != "other":
            emit[_ROLE_INDEX[pinned]] += _PIN_BONUS
        if i in between:
            for role in _MIXED:  # one of the roles its section names: cues and order decide
                emit[_ROLE_INDEX[role]] += _PIN_BONUS
        if i == 0:
            best[0] = emit
            continue
        row, last, links = best[i], best[i - 1], back[i]
        prev = 0  # the best of last[0..j], the first of equals (as max() picks)
        for j in range(k):
            if last[j] > last[prev]:
                prev = j
            row[j] = last[prev] + emit[j]
            links[j] = prev
    j = max(range(k), key=lambda p: best[n - 1][p])
    path = [j]
    for i in range(n - 1, 0, -1):
        j = back[i][j]
        path.append(j)
    path.reverse()
    return [ORDER[p] for p in path]
