"""Required literals of a regex, from Python's own parser; case folding as the regex engine does it.

The analysis behind :class:`~ketlit.evidence.matcher.Matcher` (split from it so that neither
module outgrows a reading; its docstring gives the design): each pattern is parsed with
``re._parser`` and given a set of literal strings one of which any match must contain, with
the offset range of that literal from the match's start. :class:`Gate` uses the same analysis
for a regex run alone: ``in``/``find`` on the folded text rule a text out or say where a match
can first start.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, TypeAlias

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_sre: Any = importlib.import_module("_sre")

_LITERAL: Final = _constants.LITERAL
_IN: Final = _constants.IN
_AT: Final = _constants.AT
_ASSERT: Final = _constants.ASSERT
_ASSERT_NOT: Final = _constants.ASSERT_NOT
_SUBPATTERN: Final = _constants.SUBPATTERN
_ATOMIC_GROUP: Final = _constants.ATOMIC_GROUP
_BRANCH: Final = _constants.BRANCH
_REPEATS: Final = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)
_GROUPREFS: Final = (_constants.GROUPREF, _constants.GROUPREF_EXISTS)
_MAXREPEAT: Final = _constants.MAXREPEAT
# The regex engine's case-insensitive equivalences beyond simple lower-casing (s/ſ, i/ı, …).
_EXTRA_CASES: Final[dict[int, tuple[int, ...]]] = importlib.import_module("re._compiler")._EXTRA_CASES

_MAX_STRINGS: Final = 32  # literal strings one anchor may expand to ("p <", "p<", "p =", …)
_MAX_SPAN: Final = 4  # widest offset range still tried start by start with ``match``
_MANY_LITERALS: Final = 6  # a literal set this large is found by one regex pass, not a ``find`` each (Gate)

# ------------------------------------------------------------------ case folding


@functools.lru_cache(maxsize=4096)
def fold_char(c: str) -> str:
    """One character as the regex engine compares it under IGNORECASE (a class representative)."""
    lower = int(_sre.unicode_tolower(ord(c)))
    return chr(min((lower, *_EXTRA_CASES.get(lower, ()))))


_LOWER_IS_FOLD: dict[str, bool] = {}
# The last texts folded: the reader folds the same sentence or clause for several steps (its
# scan, the profile's gates, the number readers, the definition check); over half the calls are
# repeats. Bounded like the scan cache, so it holds one record's texts, not a corpus.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX: Final = 256


def fold(text: str) -> str:
    """``text`` case-folded character by character (same length, same offsets)."""
    got = _FOLDED.get(text)
    if got is None:
        got = _fold(text)
        if len(_FOLDED) >= _FOLDED_MAX:
            for old in list(islice(_FOLDED, _FOLDED_MAX // 2)):  # the older half (as the scan cache)
                del _FOLDED[old]
        _FOLDED[text] = got
    return got


def _fold(text: str) -> str:
    """:func:`fold` without the memo."""
    if text.isascii():
        return text.lower()
    for c in set(text):
        ok = _LOWER_IS_FOLD.get(c)
        if ok is None:
            # Also catches Σ, whose str.lower() depends on its neighbours (final sigma).
            ok = _LOWER_IS_FOLD[c] = c.lower() == fold_char(c)
        if not ok:
            return "".join(map(fold_char, text))
    return text.lower()


# ------------------------------------------------------------------ anchors


# A literal as the analysis builds it: (character, case-sensitive) pairs. Case-insensitive
# characters are stored folded; case-sensitive ones as written, to be checked in the text
# ("ECT" must not fire on every "effect").
_Lit = tuple[tuple[str, bool], ...]
_Runs = tuple[tuple[int, str], ...]  # (offset, text) runs of a literal's case-sensitive characters
_Endings = tuple[tuple[str, ...], tuple[tuple[str, _Runs], ...]]  # plain endings; endings with characters to check
_IGNORECASE: Final = int(re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Anchor:
    """Literals, one of which a match contains starting ``lo..hi`` characters after its start.

    ``strings`` are folded (as found in the folded text); ``checks`` gives for each string the
    (offset, text) runs of its case-sensitive characters, which must appear as written.
    """

    strings: frozenset[str]
    lo: int
    hi: int
    checks: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = ()


class _Unanchorable(Exception):
    """The pattern uses something the analysis leaves to plain ``re``."""


def _prefix_widths(state: Any, items: Sequence[tuple[Any, Any]]) -> list[tuple[int, int]]:
    """(min, max) width of ``items[:k]`` for each k, as the parser computes widths."""
    cap = int(_parser.MAXWIDTH)
    out = [(0, 0)]
    for item in items:
        lo, hi = _parser.SubPattern(state, [item]).getwidth()
        out.append((min(out[-1][0] + int(lo), cap), min(out[-1][1] + int(hi), cap)))
    return out


def _char(code: int, ci: bool) -> tuple[str, bool]:
    c = chr(code)
    return (fold_char(c), False) if ci or not _sre.unicode_iscased(code) else (c, True)


def _inner_ci(av: Any, ci: bool) -> bool:
    """Whether IGNORECASE holds inside ``(?flags-flags:…)``."""
    _, add, remove, _ = av
    return bool((ci or add & _IGNORECASE) and not remove & _IGNORECASE)


def _item_strings(op: Any, av: Any, ci: bool) -> set[_Lit] | None:
    """The few literals one item can consume, or None if not few or not literal."""
    if op is _LITERAL:
        return {(_char(av, ci),)}
    if op is _IN:
        chars: set[_Lit] = set()
        for o, a in av:
            if o is not _LITERAL:
                return None
            chars.add((_char(a, ci),))
        return chars if len(chars) <= _MAX_STRINGS else None
    if op is _AT or op is _ASSERT or op is _ASSERT_NOT:
        return {()}  # zero width: the literal run goes on through it
    if op is _SUBPATTERN:
        return _seq_strings(av[3].data, _inner_ci(av, ci))
    if op is _ATOMIC_GROUP:
        return _seq_strings(av.data, ci)
    if op is _BRANCH:
        out: set[_Lit] = set()
        for alt in av[1]:
            s = _seq_strings(alt.data, ci)
            if s is None:
                return None
            out |= s
        return out if len(out) <= _MAX_STRINGS else None
    if op in _REPEATS:
        return _repeat_strings(av, ci)
    if op in _GROUPREFS:
        raise _Unanchorable(str(op))
    return None


def _repeat_strings(av: Any, ci: bool) -> set[_Lit] | None:
    lo, hi, sub = av
    if hi is _MAXREPEAT or hi > 3:
        return None
    one = _seq_strings(sub.data, ci)
    if one is None:
        return None
    out: set[_Lit] = set()
    level: set[_Lit] = {()}
    for k in range(hi + 1):
        if k >= lo:
            out |= level
        if k < hi:
            level = {a + b for a in level for b in one}
            if len(level) > _MAX_STRINGS:
                return None
    return out if len(out) <= _MAX_STRINGS else None


def _seq_strings(items: Sequence[tuple[Any, Any]], ci: bool) -> set[_Lit] | None:
    out: set[_Lit] = {()}
    for op, av in items:
        s = _item_strings(op, av, ci)
        if s is None:
            return None
        out = {a + b for a in out for b in s}
        if len(out) > _MAX_STRINGS:
            return None
    return out


def _anchor(lits: set[_Lit], lo: int, hi: int) -> Anchor | None:
    """An anchor of ``lits`` with those longer than another of them dropped (same start)."""
    if not lits or min(len(t) for t in lits) == 0:
        return None
    kept: list[_Lit] = []
    for t in sorted(lits):  # a literal sorts right after its kept prefix, if it has one
        if not kept or t[: len(kept[-1])] != kept[-1]:
            kept.append(t)
    strings: list[str] = []
    checks: list[tuple[str, tuple[tuple[int, str], ...]]] = []
    for t in kept:
        key, runs = _key_and_runs(t)
        strings.append(key)
        checks.append((key, runs))
    return Anchor(frozenset(strings), lo, hi, tuple(sorted(set(checks))))


def _key_and_runs(t: _Lit) -> tuple[str, _Runs]:
    """A literal as found in the folded text, and its case-sensitive characters as (offset, text)
    runs, each checked with one ``startswith``."""
    key = "".join(c if not cs else fold_char(c) for c, cs in t)
    runs: list[tuple[int, str]] = []
    for k, (c, cs) in enumerate(t):
        if not cs:
            continue
        if runs and runs[-1][0] + len(runs[-1][1]) == k:
            runs[-1] = (runs[-1][0], runs[-1][1] + c)
        else:
            runs.append((k, c))
    return key, tuple(runs)


def _score(anchors: Sequence[Anchor]) -> tuple[int, int, int, int]:
    """Higher is better: long literals (rare in text), fixed offsets, few strings."""
    shortest = min(len(s) for a in anchors for s in a.strings)
    fixed = all(a.hi - a.lo <= _MAX_SPAN for a in anchors)
    return (min(shortest, 4), int(fixed), shortest, -sum(len(a.strings) for a in anchors))


def _runs(state: Any, items: Sequence[tuple[Any, Any]], ci: bool) -> list[list[Anchor]]:
    """Candidate anchors from the literal runs of a sequence (each a one-anchor list).

    A run is tried from each of its items to its longest end, so that a leading optional item
    (`` ?%``) does not double the strings to look for.
    """
    sets = [_item_strings(op, av, ci) for op, av in items]
    widths = _prefix_widths(state, items)
    out: list[list[Anchor]] = []
    for start in range(len(items)):
        before = sets[start - 1] if start else None
        if sets[start] is None or (before is not None and len(before) == 1 and () not in before):
            continue  # the run from the item before has the same strings, only longer
        run: set[_Lit] = {()}
        for s in sets[start:]:
            if s is None:
                break
            grown = {a + b for a in run for b in s}
            if len(grown) > _MAX_STRINGS:
                break
            run = grown
        anchor = _anchor(run, *widths[start])
        if anchor is not None:
            out.append([anchor])
    return out


def _group_alternatives(op: Any, av: Any, ci: bool) -> list[tuple[Sequence[tuple[Any, Any]], bool]] | None:
    """The alternatives of a group every match passes through at least once, else None."""
    if op is _BRANCH:
        return [(alt.data, ci) for alt in av[1]]
    if op is _SUBPATTERN:
        return [(av[3].data, _inner_ci(av, ci))]
    if op is _ATOMIC_GROUP:
        return [(av.data, ci)]
    if op in _REPEATS and av[0] >= 1:
        return [(av[2].data, ci)]
    return None


def _score_fixed(anchors: Sequence[Anchor]) -> tuple[int, int, int, int, int]:
    """:func:`_score` with fixed offsets outranking literals longer than three characters."""
    shortest, fixed, longest_first, strings = _score(anchors)
    return (min(shortest, 3), fixed, shortest, longest_first, strings)


def anchors_of(
    state: Any, items: Sequence[tuple[Any, Any]], ci: bool, score: Callable[[Sequence[Anchor]], Any] = _score
) -> list[Anchor] | None:
    """The best anchors of a parsed sequence by ``score``: every match contains one of them; None if none."""
    candidates = _runs(state, items, ci)
    if candidates and _score(max(candidates, key=_score))[:3] >= (4, 1, 6):
        return max(candidates, key=_score)  # good enough: skip the groups (compile time)
    widths: list[tuple[int, int]] | None = None
    for i, (op, av) in enumerate(items):
        alternatives = _group_alternatives(op, av, ci)
        if alternatives is None:
            continue
        inner: list[Anchor] = []
        for alt, alt_ci in alternatives:
            found = anchors_of(state, alt, alt_ci, score)
            if found is None:
                inner = []
                break
            inner.extend(found)
        if inner:
            widths = widths or _prefix_widths(state, items)
            lo, hi = widths[i]
            cap = int(_parser.MAXWIDTH)
            candidates.append([Anchor(a.strings, a.lo + lo, min(a.hi + hi, cap), a.checks) for a in inner])
    if not candidates:
        return None
    return max(candidates, key=score)


def analyse(pattern: str, flags: int) -> tuple[list[Anchor] | None, bool]:
    """Anchors of one pattern (None when it must always be run), and whether it may match ""."""
    parsed = _parser.parse(pattern, flags)
    may_be_empty = parsed.getwidth()[0] == 0
    try:
        return anchors_of(parsed.state, parsed.data, bool(parsed.state.flags & _IGNORECASE)), may_be_empty
    except _Unanchorable:
        return None, may_be_empty


def fixed_anchors(pattern: str, flags: int) -> list[Anchor] | None:
    """Anchors of one pattern each at a fixed offset (within :data:`_MAX_SPAN`) and of three
    characters or more, if it has such; None otherwise.

    For a pattern whose best anchors (:func:`analyse`) may sit anywhere after its start ("{drug}
    abuse", "no <words> showed ... change"): searched from its literal's first possible start to
    the text's end, it is tried at every character, where an anchor of its own at a fixed offset
    (the drug's names, "no ") costs one ``match`` per occurrence. Not the rule for every pattern:
    short literals at fixed offsets are more often found, and measured slower overall.
    """
    parsed = _parser.parse(pattern, flags)
    try:
        found = anchors_of(parsed.state, parsed.data, bool(parsed.state.flags & _IGNORECASE), _score_fixed)
    except _Unanchorable:
        return None
    if found is None:
        return None
    _, fixed, shortest, _ = _score(found)
    return found if fixed and shortest >= 3 else None


def required_literals(pattern: str, flags: int) -> tuple[tuple[frozenset[str], int], ...]:
    """Sets of folded literals, each with how far after a match's start it may begin at most.

    Every match of the pattern contains one literal of each set, beginning at most that many
    characters after the match's start (:data:`re._parser.MAXWIDTH`: no bound known). Every
    literal run of the top-level sequence is such a set (every match consumes the run), and so
    are the anchors :func:`analyse` picks. An empty tuple: nothing is known.
    """
    parsed = _parser.parse(pattern, flags)
    ci = bool(parsed.state.flags & _IGNORECASE)
    try:
        runs = _runs(parsed.state, parsed.data, ci)
        best = anchors_of(parsed.state, parsed.data, ci)
    except _Unanchorable:
        return ()
    found = [(a.strings, a.hi) for run in runs for a in run]
    if best is not None:
        found.append((frozenset(s for a in best for s in a.strings), max(a.hi for a in best)))
    return tuple(dict.fromkeys(found))


class Gate:
    """A regex run outside a :class:`Matcher`, tried only from where a match can start.

    For the regexes the reader runs on whole sentences (sample size, blinding, certainty,
    numbers): ``re`` cannot skip ahead in them (no literal prefix under IGNORECASE), so it tries
    every position, ~20 ns a character. Each literal set of :func:`required_literals` is looked
    for in the case-folded text (``str.find``, fast): a set absent means no match; a set found
    first at ``i`` with at most ``hi`` characters before it means no match starts before
    ``i - hi``. The search then starts there, which gives ``re``'s own answer (the leftmost
    match; lookbehinds and ``\\b`` still see the text before). Sound for the reasons the
    anchors are; a regex with nothing required is searched whole.
    """

    __slots__ = ("_firsts", "_plan", "regex", "sets")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        # Sets of few literals first, then those whose shortest literal is longest (long literals
        # are the rare ones): a set costs a ``find`` per literal, and the first absent one ends the
        # search. "(?:blind|mask)" after "double-" rules a design text out with 2 finds, not 14.
        # The order changes no answer: the start is the latest any set allows.
        found = sorted(required_literals(regex.pattern, regex.flags), key=lambda s: (len(s[0]), -min(map(len, s[0]))))
        self.sets = tuple((tuple(sorted(strings)), hi) for strings, hi in found)
        # Where a set of many literals first occurs, found in one pass: the leftmost match of their
        # alternation (plain, case-sensitive: the text is folded) is the first occurrence of any of
        # them. Measured ~2x faster than a ``find`` per literal from 6 literals on (the certainty
        # gate's 30). None: the ``find`` loop.
        self._firsts = tuple(
            re.compile("|".join(map(re.escape, strings))) if len(strings) >= _MANY_LITERALS else None
            for strings, _ in self.sets
        )
        self._plan = tuple((strings, hi, firsts) for (strings, hi), firsts in zip(self.sets, self._firsts, strict=True))

    def __call__(self, folded: str) -> bool:
        """Whether ``fold(text)`` contains a literal of every set (else the regex cannot match)."""
        for strings, _ in self.sets:
            for s in strings:
                if s in folded:
                    break
            else:
                return False
        return True

    def start(self, folded: str) -> int:
        """The first position a match can start at in the text ``folded`` is of; -1: none."""
        start = 0
        cap = _parser.MAXWIDTH
        for strings, hi, firsts in self._plan:
            if hi >= cap:  # where it is says nothing: only whether it is there
                for s in strings:
                    if s in folded:
                        break
                else:
                    return -1
                continue
            if firsts is not None:
                m = firsts.search(folded)
                first = -1 if m is None else m.start()
            else:
                first = -1
                for s in strings:
                    at = folded.find(s, 0, first + len(s) if first >= 0 else len(folded))
                    if at >= 0:
                        first = at
            if first < 0:
                return -1
            if hi < cap and first - hi > start:
                start = first - hi
        return start

    def search(self, text: str, folded: str) -> re.Match[str] | None:
        """``regex.search(text)``, where ``folded`` is ``fold(text)``."""
        start = self.start(folded)
        return None if start < 0 else self.regex.search(text, start)

    def finditer(self, text: str, folded: str) -> Iterator[re.Match[str]]:
        """``regex.finditer(text)``, where ``folded`` is ``fold(text)``."""
        start = self.start(folded)
        return iter(()) if start < 0 else self.regex.finditer(text, start)


_AT_END: Final = _constants.AT_END
_MULTILINE: Final = int(re.MULTILINE)


def _suffix_strings(items: Sequence[tuple[Any, Any]], ci: bool) -> set[_Lit]:
    """Literals one of which every string ``items`` consume ends with; ``{()}``: none known.

    The mirror of :func:`_seq_strings`, read from the end: the last items' literal sets are
    joined while they stay few; a group with no set of its own gives the endings of its
    alternatives (a repeat at least once: its body's), and the walk stops there.
    """
    out: set[_Lit] = {()}
    for op, av in reversed(items):
        s = _item_strings(op, av, ci)
        if s is None:
            alternatives = _group_alternatives(op, av, ci)
            if alternatives is None:
                return out
            ends: set[_Lit] = set()
            for alt, alt_ci in alternatives:
                e = _suffix_strings(alt, alt_ci)
                if () in e:
                    return out
                ends |= e
            grown = {a + b for a in ends for b in out}
            return grown if len(grown) <= _MAX_STRINGS else out
        grown = {a + b for a in s for b in out}
        if len(grown) > _MAX_STRINGS:
            return out
        out = grown
    return out


def required_endings(regex: re.Pattern[str]) -> tuple[tuple[str, _Runs], ...]:
    """For a regex that ends with ``$``: the folded literals one of which every match ends with.

    Each with the (offset, text) runs of its case-sensitive characters, to check as written
    (as :class:`Anchor` ``checks``). Empty: nothing known (no final ``$``, MULTILINE, a pattern
    the analysis leaves to ``re``, or an ending that may be empty).
    """
    if regex.flags & _MULTILINE:
        return ()
    parsed = _parser.parse(regex.pattern, regex.flags)
    items = list(parsed.data)
    if not items or items[-1][0] is not _AT or items[-1][1] is not _AT_END:
        return ()
    try:
        ends = _suffix_strings(items[:-1], bool(parsed.state.flags & _IGNORECASE))
    except _Unanchorable:
        return ()
    if () in ends:
        return ()
    return tuple(sorted({_key_and_runs(t) for t in ends}))


class AnyInWindow:
    """Whether any of several regexes matches within ``text[pos:endpos]``, each behind its :class:`Gate`.

    For the comparator contexts (``[comparators] not_an_arm_before``), asked of the ~90 characters
    before every comparator mention with patterns that must end where the window does: ``re``
    tries the whole alternation (the drug's names among it) at each position of the window, ~40
    µs a mention, which was ~6% of reading a profile. Most alternatives' literals are absent from
    a window, so each is ruled out by ``in`` on the folded window, and the rest run from where
    their literal allows. Same answer as ``re.compile("|".join(patterns)).search(text, pos,
    endpos) is not None`` (tested against it): a match lies inside the window, so its literals do.
    """

    __slots__ = ("_endings", "_gates")

    def __init__(self, regexes: Sequence[re.Pattern[str]]) -> None:
        self._gates = tuple(Gate(r) for r in regexes)
        # What each match ends with, where the pattern's final ``$`` says (:func:`required_endings`):
        # the window must end so. The literal the gate knows may sit anywhere ("{drug} ... in the":
        # a drug name searched from the window's first character, ~30 µs); the ending is one
        # ``endswith``. Plain endings, and those with case-sensitive characters to check as written.
        self._endings = tuple(self._split(required_endings(r)) for r in regexes)

    @staticmethod
    def _split(endings: tuple[tuple[str, _Runs], ...]) -> _Endings | None:
        if not endings:
            return None
        return tuple(key for key, runs in endings if not runs), tuple((key, runs) for key, runs in endings if runs)

    def exists(self, text: str, pos: int, endpos: int) -> bool:
        """Whether a regex matches somewhere in ``text[pos:endpos]`` (lookbehinds see before ``pos``)."""
        window = _fold(text[pos:endpos])
        # ``$`` also matches before a final newline: then a match may end one character early.
        newline = window.endswith("\n")
        for gate, endings in zip(self._gates, self._endings, strict=True):
            if endings is not None and not newline and not _ends_with(window, text, endpos, endings):
                continue
            start = gate.start(window)
            if start >= 0 and gate.regex.search(text, pos + start, endpos) is not None:
                return True
        return False


def _ends_with(window: str, text: str, end: int, endings: _Endings) -> bool:
    """Whether the folded ``window`` (``text`` up to ``end``) ends with a plain ending, or with a
    checked one whose case-sensitive characters are in ``text`` as written."""
    plain, checked = endings
    if plain and window.endswith(plain):
        return True
    return any(
        window.endswith(key) and all(text.startswith(w, end - len(key) + k) for k, w in runs) for key, runs in checked
    )


# ------------------------------------------------------------------ looking up one group's anchors

# A step of :func:`present`: a string to look for, the anchor it is (None: only a shared beginning of the
# anchors below it), and the steps that need it.
PresenceStep: TypeAlias = tuple[str, "int | None", tuple["PresenceStep", ...]]


def presence_plan(anchors: Mapping[int, str]) -> tuple[PresenceStep, ...]:
    """The anchors (id -> literal) as a trie of ``in`` tests, each asked only when the test above it passed.

    A text holds an anchor only if it holds every beginning of it: where several anchors share one ("the
    authors discuss", "the authors review", ...), that beginning is looked for once and the anchors only
    when it is there. Most such beginnings are rare, so most texts need a few tests, not one per anchor.
    Only beginnings where the trie branches (or an anchor ends) are tested.
    """
    trie: dict[str, Any] = {}
    for aid, word in anchors.items():
        node = trie
        for c in word:
            node = node.setdefault(c, {})
        node.setdefault("", []).append(aid)

    def steps(node: dict[str, Any], prefix: str) -> tuple[PresenceStep, ...]:
        out: list[PresenceStep] = []
        for c, child in sorted((c, n) for c, n in node.items() if c):
            word = prefix + c
            while len(child) == 1 and "" not in child:  # no branch and no anchor ends here: nothing to test
                ((c2, child),) = child.items()
                word += c2
            ends: list[int] = child.get("", [])  # at most one: an index gives each literal one id
            out.append((word, ends[0] if ends else None, steps(child, word)))
        return tuple(out)

    return steps(trie, "")


def present(plan: tuple[PresenceStep, ...], folded: str) -> set[int]:
    """The ids of the anchors of ``plan`` that occur in ``folded`` (each ``word in folded``, by the trie)."""
    out: set[int] = set()
    todo = list(plan)
    while todo:
        word, aid, below = todo.pop()
        if word in folded:
            if aid is not None:
                out.add(aid)
            todo.extend(below)
    return out
