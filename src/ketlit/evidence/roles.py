"""The role of each abstract sentence: background, objective, methods, results or conclusions.

Only results and conclusions sentences may carry findings (the expert review counted
introductions read as onset findings and methods read as durations), so the role decides what
the finding reader may look at.

Design decisions:
- **Structured abstracts use their own labels.** A section's ``NlmCategory`` decides; without
  one, keywords of the label (``AUTHORS' CONCLUSIONS``, ``CONCLUSIONS AND RELEVANCE``, ``MAIN
  RESULTS``…) from the rules file do. A label printed inside a section's text
  ("... AUTHORS' CONCLUSIONS: Our findings ...", as Cochrane abstracts often arrive) starts a
  new section for the sentences that follow, and so do mixed-case inline labels ("Results: ...",
  "Results and Conclusion: ..."), which PsycINFO-style records and conference abstracts carry, where a
  section holds two or more of them. A lone one in an unlabelled section pins its own sentence only.
- **Unstructured abstracts: a trained model + order.** Each sentence gets a log-probability per
  role from a small model trained on the cache's structured abstracts with their labels removed
  (:mod:`ketlit.evidence.role_model`: words, digits, position); cue patterns of the rules file,
  where a user's file has any, add their weight. The best sequence that never goes backwards in
  the order background → objective → methods → results → conclusions is found by dynamic
  programming (5 states, linear in sentences). The order constraint is what keeps an isolated
  "ketamine has rapid antidepressant effects" in the first line from becoming a result.
  Measured against structured abstracts with their labels removed (``bench/evidence_reading.py``),
  not assumed: the model replaced phrase cues and a position prior, which scored 0.80 of roles
  right against the model's 0.86 (results-or-conclusions against the rest: 0.93 against 0.96).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ketlit.evidence.matcher import Cues, Matcher, TextPattern
from ketlit.evidence.role_model import RoleModel, role_features
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
# may contain spaces and punctuation; the mixed-case form must be made of label words (a known first word, then up
# to three more from a closed list: "Results and Conclusion", "Materials and methods", "Main outcome measures",
# "Conclusions and relevance") so that "Outcome: ..." or "Patients receiving ketamine: ..." inside a sentence is not
# read as a label. Without the multi-word forms, a conference abstract's "Results and Conclusion:" left every result
# after it a methods sentence, never read for findings.
_LABEL_FIRST: Final = (
    r"(?:Background|Introduction|Objectives?|Aims?|Purpose|Methods?|Design|Results?|Findings|Conclusions?|"
    r"Interpretation|Discussion|Materials?|Patients?|Participants?|Subjects?|Study|Main|Data|Trial|Secondary|"
    r"Primary|Clinical|Setting|Context|Rationale|Key|Experimental|Limitations?|Measurements|Significance|Importance|"
    r"Summary|Implications|Keywords|Funding|Hypothes[ie]s|Interventions?)"
)
_LABEL_MORE: Final = (
    r"(?:(?: | ?/ ?)(?:and|&|of|(?i:methods?|aims?|objectives?|results?|conclusions?|relevance|measures?|outcomes?|"
    r"design|setting|participants|patients|subjects|sources|selection|extraction|synthesis|registration|main|findings|"
    r"interpretation|implications|discussion|background|purpose|materials|data|rationale|hypothes[ie]s|importance|"
    r"significance|trial|clinical|key|summary|evidence|approach))){0,3}"
)
# A label's colon is followed by a space, or, where an export lost it, directly by the section's first capital
# ("Results:At a 40° adaptation condition, ...").
_COLON: Final = r"(?::\s|:(?=[A-Z]))"
_INLINE_UPPER: Final = re.compile(r"^([A-Z][A-Z'’ ,/&-]{2,60}[A-Z])" + _COLON)
_INLINE_WORD: Final = re.compile(r"^(" + _LABEL_FIRST + _LABEL_MORE + r")" + _COLON)
# The same labels run into the sentence before, the break between them lost ("... than extant
# interventions.Objective: Several trials ...", "... in PTSD treatment.Results: Omnibus findings ..."), as
# abstracts flattened by an export print them: the sentence splitter sees no sentence end there (no space
# follows the stop), so the label opens its section inside a sentence. The last such label in a sentence gives
# the role of the sentence (whose findings follow it) and, where the section holds two or more labels, of those
# after it.
_INLINE_AFTER_STOP: Final = re.compile(
    r"(?<=[a-z0-9)\]%][.!?])([A-Z][A-Z'’ ,/&-]{2,60}[A-Z]|" + _LABEL_FIRST + _LABEL_MORE + r")" + _COLON
)


@dataclass(frozen=True, slots=True)
class RoleRules:
    """Label keywords per role (checked in order), the role model, and a user's cue patterns per role."""

    label_words: tuple[tuple[Role, tuple[str, ...]], ...]
    model: RoleModel
    cues: tuple[tuple[Role, float, TextPattern], ...] = ()  # one alternation per cue group
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
        if any(_names(upper, w) for w in words):
            return role
    return None


def _names(upper: str, word: str) -> bool:
    """Whether an upper-cased label contains a label word; a word written with a leading "^" must open the label
    ("^SIGNIFICANCE": an abstract's closing "Significance:", not "Background and significance:")."""
    return upper.startswith(word[1:]) if word.startswith("^") else word in upper


def _inline_labels(text: str) -> list[str]:
    """The section labels a sentence carries, the one that applies first: the last label run into it, then the
    one it starts with (a run-in word that names no role, "... visit.NOTE: ...", leaves the leading label)."""
    if ":" not in text:
        return []  # both forms end in a colon
    m = _INLINE_UPPER.match(text) or _INLINE_WORD.match(text)
    found = [r.group(1) for r in _INLINE_AFTER_STOP.finditer(text)][::-1]
    return [*found, m.group(1)] if m else found


def _inline_role(label: str, rules: RoleRules) -> Role | None:
    """The role an inline label names; None for one that names both methods and results ("Methods and results:"),
    whose sentences are either: the model reads them, as it reads a labelled section that names both."""
    if _MIXED.issubset(_named_roles(label, rules)):
        return None
    return role_of_label(label, None, rules)


def _inline_roles(sentences: Sequence[AbstractSentence], rules: RoleRules) -> tuple[list[Role | None], Counter[int]]:
    """The role each sentence's inline label names (:func:`_inline_labels`), None where it carries none; and per
    section, how many labels naming a section of the abstract proper its sentences carry (a trailing "Trial
    registration:" names none: it does not make an abstract structured)."""
    out: list[Role | None] = []
    count: Counter[int] = Counter()
    for s in sentences:
        roles = [r for r in (_inline_role(x, rules) for x in _inline_labels(s.text)) if r is not None]
        out.append(roles[0] if roles else None)
        count[s.section] += sum(r != "other" for r in roles)
    return out, count


def assign_roles(sentences: Sequence[AbstractSentence], rules: RoleRules) -> list[RoledSentence]:
    """Each sentence with its role: labelled sections by label, the rest by the role model and order."""
    known: list[Role | None] = []
    current: dict[int, Role | None] = {}
    mixed: set[int] = set()  # sections whose label names both methods and results
    between: set[int] = set()  # sentences of such a section whose role is unknown: methods or results
    inline, labels_in = _inline_roles(sentences, rules)
    # In an unlabelled section, inline labels open sections only where it carries two or more of them (an abstract
    # structured in its text). A lone one ("Background and aim: respiratory adverse events are ..." opening an
    # otherwise unlabelled abstract) pins its own sentence's role, not that of every sentence after it: those are
    # read by the model (in the order, which never goes backwards). In a labelled section one is enough ("...
    # AUTHORS' CONCLUSIONS: ..." run into MAIN RESULTS).
    for i, s in enumerate(sentences):
        role = inline[i]
        if role is not None and labels_in[s.section] < 2 and not s.label and not s.category:
            known.append(role)
            continue
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


def _scores(text: str, position: int, count: int, rules: RoleRules, model: RoleModel) -> list[float]:
    """Score per role (in :data:`ORDER`) of sentence ``position`` of ``count``: the model's log-probability up to
    a constant of the sentence (:meth:`RoleModel.scores`; the path is the same), plus cue weights."""
    out = model.scores(role_features(text, position, count))
    if not rules.cues:
        return out
    if rules.together is not None:
        for (cue_role, weight, _), hit in zip(rules.cues, rules.together.matching(text), strict=True):
            if hit:
                out[_ROLE_INDEX[cue_role]] += weight
        return out
    for cue_role, weight, pattern in rules.cues:
        if pattern.exists(text) if isinstance(pattern, Matcher) else pattern.search(text):
            out[_ROLE_INDEX[cue_role]] += weight
    return out


def infer_roles(sentences: Sequence[AbstractSentence], rules: RoleRules, model: RoleModel | None = None) -> list[Role]:
    """The roles of ``sentences`` read as an unstructured abstract (labels ignored), by ``model`` (default: the
    rules' own). For measuring a model against structured abstracts (``tools/train_role_model.py``)."""
    return _infer(sentences, [None] * len(sentences), rules, (), model)


def _named_roles(label: str | None, rules: RoleRules) -> frozenset[Role]:
    """Every role whose label words ``label`` contains."""
    if not label:
        return frozenset()
    upper = label.upper()
    return frozenset(role for role, words in rules.label_words if any(_names(upper, w) for w in words))


def _infer(
    sentences: Sequence[AbstractSentence],
    known: Sequence[Role | None],
    rules: RoleRules,
    between: Collection[int] = (),
    model: RoleModel | None = None,
) -> list[Role]:
    """Best non-decreasing role sequence (Viterbi over the five ordered roles).

    Sentences whose role is known from a label get a large bonus for it rather than a hard pin,
    so an unlabelled tail after a labelled RESULTS section cannot go back to background, while
    labels printed out of order cannot leave the search with no path.
    """
    n = len(sentences)
    k = len(ORDER)
    scorer = rules.model if model is None else model
    emits: list[list[float]] = []
    for i, s in enumerate(sentences):
        pinned = known[i]
        if pinned is not None and pinned != "other":
            # Known from its label: the model is not asked (the bonus decides; zeros elsewhere).
            emit = [0.0] * k
            emit[_ROLE_INDEX[pinned]] += _PIN_BONUS
        else:
            emit = _scores(s.text, i, n, rules, scorer)
        if i in between:
            for role in _MIXED:  # one of the roles its section names: cues and order decide
                emit[_ROLE_INDEX[role]] += _PIN_BONUS
        emits.append(emit)
    return [ORDER[p] for p in best_path(emits)]


def best_path(emits: Sequence[list[float]]) -> list[int]:
    """The non-decreasing sequence of role indexes with the largest total of ``emits`` (one score per role and
    sentence): Viterbi with a running best of the previous row, ties to the first of equals (as ``max`` picks)."""
    n = len(emits)
    if n == 0:
        return []
    k = len(emits[0])
    neg = float("-inf")
    best = [[neg] * k for _ in range(n)]
    back = [[0] * k for _ in range(n)]
    best[0] = list(emits[0])
    for i in range(1, n):
        emit, row, last, links = emits[i], best[i], best[i - 1], back[i]
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
    return path
