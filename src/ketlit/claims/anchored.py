"""Pattern lists of the claim rules searched through the evidence reader's anchored matcher.

Design decisions:

* **Why.** The number reader (:mod:`ketlit.claims.numbers`) runs at ingest on every record and asks
  of every sentence whether some thirty lists of the claim rules match it (the harms, the
  conditions, the cues of time, onset and persistence…). A :class:`~ketlit.claims.rules.Patterns`
  list answers with a scan of its alternation per question (the word screens this replaces tested
  each list's words with ``in`` first, one pass over the sentence per word, a third of reading an
  abstract). :class:`~ketlit.evidence.matcher.Matcher` (read its module docstring) finds
  the required literals of every list in one Aho-Corasick pass per text, kept for the next
  questions about the same text, and runs a pattern only where its literal occurs.
* **Exactly the answers of Patterns.** :class:`AnchoredPatterns` answers ``any``, ``search`` and
  ``finditer`` as the list it wraps does, which are not all the alternation's answers:

  - ``any``: whether the alternation matches somewhere, :meth:`Matcher.exists`.
  - ``search``: the earliest match of any pattern, the longest there (the first listed among equals),
    where the alternation takes the first listed. The alternation's leftmost start is every
    pattern's earliest start, so each pattern is matched at that start and the longest kept: a
    pattern's ``match`` at its first start is its ``search`` (lookbehinds and ``\\b`` see the text
    before ``pos`` alike).
  - ``finditer``: every match of every pattern, overlapping across patterns, by position: each
    pattern has its own one-pattern :class:`Matcher` (whose ``finditer`` is the pattern's), read in
    list order and sorted as :meth:`Patterns.finditer` sorts.

  A list is wrapped only when every pattern is compiled with the flags its alternation is (``re.I``):
  otherwise :func:`anchored` gives the list itself. ``tests/test_claims_anchored.py`` compares
  every list of the packaged rules against :class:`Patterns` on fixture text.
* **One index per rules object**, so a sentence is scanned once for all its lists; the scans of the
  last texts are kept by the index (a record's sentences, their clauses and masked forms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from ketlit.claims.rules import Patterns, Rules
from ketlit.evidence.matcher import AnchorIndex, AnyOf, Matcher

_FLAGS: Final = re.IGNORECASE | re.UNICODE  # what Patterns.any compiles its alternation with


def _by_position(m: re.Match[str]) -> tuple[int, int]:
    return m.start(), -m.end()


class PatternList(Protocol):
    """What the number reader asks of a list: :class:`Patterns` and :class:`AnchoredPatterns` both answer."""

    def any(self, text: str) -> bool: ...

    def any_alone(self, text: str) -> bool: ...

    def may_match(self, text: str) -> bool: ...

    def search(self, text: str) -> re.Match[str] | None: ...

    def finditer(self, text: str) -> list[re.Match[str]]: ...


class AnchoredPatterns:
    """A :class:`Patterns` list answering as it does, through anchored matchers (module docstring)."""

    __slots__ = ("_each", "_group", "_index", "_literals", "_regexes")

    def __init__(self, patterns: Patterns, index: AnchorIndex) -> None:
        self._regexes = patterns.regexes
        self._index = index
        self._group = Matcher([rx.pattern for rx in patterns.regexes], _FLAGS, index)
        self._literals = AnyOf([self._group])
        # One matcher per pattern, for finditer: made when first asked (most lists never are, and
        # analysing every pattern again was half of building the lists).
        self._each: tuple[Matcher, ...] | None = None

    def any(self, text: str) -> bool:
        """``Patterns.any``: whether any pattern occurs in ``text``."""
        return self._group.exists(text)

    def any_alone(self, text: str) -> bool:
        """:meth:`any` for a text no other list is asked about (not scanned for every list's literals)."""
        return self._group.search_alone(text) is not None

    def may_match(self, text: str) -> bool:
        """False only when no pattern can match ``text`` or any part of it: none of their required
        literals occurs in it (a part's match holds its literal, so the whole text does too)."""
        return self._literals.may_match(text)

    def search(self, text: str) -> re.Match[str] | None:
        """``Patterns.search``: the earliest match of any pattern (ties: the longest, then the first listed)."""
        first = self._group.search(text)
        if first is None:
            return None
        start = first.start()
        best: re.Match[str] | None = None
        for rx in self._regexes:
            m = rx.match(text, start)
            if m is not None and (best is None or m.end() > best.end()):
                best = m
        return best

    def finditer(self, text: str) -> list[re.Match[str]]:
        """``Patterns.finditer``: all matches of all patterns, by position (ties: the longest first)."""
        each = self._each
        if each is None:
            each = self._each = tuple(Matcher([rx.pattern], _FLAGS, self._index) for rx in self._regexes)
        found = [m for one in each for m in one.finditer(text)]
        found.sort(key=_by_position)  # stable, as sorted() in Patterns.finditer: equal keys keep list order
        return found


def anchored(patterns: Patterns, index: AnchorIndex) -> PatternList:
    """``patterns`` wrapped for ``index``; read as plain :class:`Patterns` when it is empty or one of
    its patterns has other flags than its alternation (the matcher compiles every pattern with those)."""
    if not patterns.regexes or any(rx.flags != _FLAGS for rx in patterns.regexes):
        return PlainPatterns(patterns)
    return AnchoredPatterns(patterns, index)


class PlainPatterns:
    """A :class:`Patterns` list behind the :class:`PatternList` face, for a list that cannot be anchored."""

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Patterns) -> None:
        self._patterns = patterns

    def any(self, text: str) -> bool:
        return self._patterns.any(text)

    def any_alone(self, text: str) -> bool:
        return self._patterns.any(text)

    def may_match(self, text: str) -> bool:
        return True

    def search(self, text: str) -> re.Match[str] | None:
        return self._patterns.search(text)

    def finditer(self, text: str) -> list[re.Match[str]]:
        return self._patterns.finditer(text)


def _union(lists: Iterable[Patterns]) -> Patterns:
    return Patterns(tuple(rx for p in lists for rx in p.regexes))


@dataclass(frozen=True, slots=True)
class RuleLists:
    """The lists of a rules object the number reader asks about, sharing one :class:`AnchorIndex`.

    The unions (every condition, every harm, every response/remission cue) answer in one question
    what the lists they join would in several: most sentences name none."""

    rules: Rules  # held so its id stays unique while cached
    indications: PatternList  # the union of the conditions
    indication_lists: tuple[PatternList, ...]
    harms: PatternList  # the union of the adverse categories
    adverse: tuple[tuple[str, PatternList], ...]
    constructs: PatternList  # the union of the construct cues
    construct_cues: tuple[tuple[str, PatternList], ...]
    active: PatternList
    comparator: PatternList
    direction: dict[str, PatternList]
    numbers: dict[str, PatternList]
    other_treatments: PatternList


_LISTS: dict[int, RuleLists] = {}


def rule_lists(rules: Rules) -> RuleLists:
    """The :class:`RuleLists` of ``rules`` (built once per rules object)."""
    held = _LISTS.get(id(rules))
    if held is not None and held.rules is rules:
        return held
    if len(_LISTS) > 8:  # a long-lived process that loads many rule sets keeps a few
        _LISTS.clear()
    index = AnchorIndex()

    def wrap(p: Patterns) -> PatternList:
        return anchored(p, index)

    held = _LISTS[id(rules)] = RuleLists(
        rules=rules,
        indications=wrap(_union(rules.indications.values())),
        indication_lists=tuple(wrap(p) for p in rules.indications.values()),
        harms=wrap(_union(rules.adverse.values())),
        adverse=tuple((name, wrap(p)) for name, p in rules.adverse.items()),
        constructs=wrap(_union(rules.construct_cues.values())),
        construct_cues=tuple((name, wrap(p)) for name, p in rules.construct_cues.items()),
        active=wrap(rules.arms["active"]),
        comparator=wrap(rules.arms["comparator"]),
        direction={name: wrap(p) for name, p in rules.direction.items()},
        numbers={name: wrap(p) for name, p in rules.numbers.items()},
        other_treatments=wrap(rules.other_treatments_evidence),
    )
    return held
