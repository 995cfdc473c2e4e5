"""Fast, exact search of a rules group: an alternation of case-insensitive patterns.

The evidence reader searches every clause with some forty groups of patterns from the rules
file, each compiled as ``(?:p1)|(?:p2)|…`` with ``re.IGNORECASE``. Python's ``re`` cannot skip
ahead for such a pattern (no literal prefix under IGNORECASE), so it tries every alternative at
every position: 20-150 µs per group per sentence, which held reading to ~100 records/s.
:class:`Matcher` gives the same answers at a fraction of that cost (measured on 724 cached
ketamine records: the group searches of one record take ~0.4 ms instead of ~3.5 ms).

Design decisions:
- **Exact, not approximate.** ``Matcher.search(text, pos, endpos)`` returns the same span as the
  alternation's ``re.search``: the leftmost start, and among patterns matching there the first
  listed (Python's alternation takes the first alternative that matches at the leftmost
  position; nothing follows the alternation, so each pattern's own first match there is the
  group's). ``finditer`` gives the same sequence of spans. Property-tested against ``re`` over
  every group of the packaged rules (``tests/test_evidence_matcher.py``). The Match returned
  is the pattern's own, so only its span and ``group(0)`` are the group's (group numbers are
  the pattern's), which is all the reader uses.
- **Required literals ("anchors").** Each pattern is parsed with Python's own regex parser
  (``re._parser``) and given a set of literal strings one of which any match must contain,
  with the offset range of that literal from the match's start: the best literal run of its
  top-level sequence (literals, small character classes, optional or alternative literals
  expanded to at most :data:`_MAX_STRINGS` strings), or the anchors of each alternative of a
  required group. A pattern without one (``.``, ``\\d+``) is always run. Characters under
  ``(?-i:…)`` are checked as written where the literal was found, so ``(?-i:ECT)`` does not run
  on every "effect".
- **One scan per text for all groups.** All groups compiled together share an
  :class:`AnchorIndex`: a text is case-folded once and scanned once (an Aho-Corasick automaton
  from ``pyahocorasick``; a regex trie when that is not installed, e.g. on a platform without a
  wheel), the result kept for the next searches of the same text (the ~40 groups read per
  clause). The scan keeps only which anchors occur (collected in C); an anchor's starts are
  found with ``str.find`` when a search first needs them (most never are). Only patterns whose
  anchor occurs are run, and only where it occurs: with a fixed offset, ``pattern.match`` at
  ``occurrence - offset`` (lookbehinds and ``\\b`` still see the text before, as in
  ``search``); with a variable one, ``pattern.search`` from the first possible start.
- **Case folding is the regex engine's**, per character and length-preserving: its simple
  lower-case mapping plus its extra equivalences (``ſ``/``s``, ``ı``/``i``, ``µ``/``μ``…), so
  offsets in the folded text are offsets in the text and a case-insensitive match of a literal
  always shows as the folded literal. Plain ``str.lower()`` is used where it agrees (always for
  ASCII text).
- **Anything the analysis does not cover runs as plain ``re``**: a pattern with a
  backreference or conditional group is always run, a group with a pattern that may match the
  empty string leaves ``finditer`` to ``re``, and out-of-range ``pos``/``endpos`` go to ``re``.
  Exactness never depends on the analysis being clever, only on it being sound.
- **The same analysis serves regexes run alone** (:class:`Gate`: the reader's sample-size,
  number and certainty regexes): ``in``/``find`` on the folded text rule a text out or say where
  a match can first start. :class:`AnyOf` rules out several groups with one set test, and
  :meth:`Matcher.exists` answers "any match?" without finding the leftmost.
- ``re._parser`` is CPython's internal module (3.11+); a release that changes its shape would
  show in the property tests, which compare against ``re`` itself.
"""

from __future__ import annotations

import functools
import importlib
import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

ahocorasick: Any
try:  # no type stubs: imported by name, used through its documented Automaton API
    ahocorasick = importlib.import_module("ahocorasick")
except ImportError:  # pragma: no cover - a platform without a wheel: the regex-trie scanner serves
    ahocorasick = None

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
_CACHE_TEXTS: Final = 256  # scans kept: a record's sentences, clauses and question texts


class TextPattern(Protocol):
    """What the reader needs of a compiled group: ``re.Pattern[str]`` and :class:`Matcher` both are."""

    @property
    def pattern(self) -> str: ...

    def search(self, string: str, pos: int = 0, endpos: int = ...) -> re.Match[str] | None: ...

    def finditer(self, string: str, pos: int = 0, endpos: int = ...) -> Iterator[re.Match[str]]: ...


# ------------------------------------------------------------------ case folding


@functools.lru_cache(maxsize=4096)
def fold_char(c: str) -> str:
    """One character as the regex engine compares it under IGNORECASE (a class representative)."""
    lower = int(_sre.unicode_tolower(ord(c)))
    return chr(min((lower, *_EXTRA_CASES.get(lower, ()))))


_LOWER_IS_FOLD: dict[str, bool] = {}


def fold(text: str) -> str:
    """``text`` case-folded character by character (same length, same offsets)."""
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
        key = "".join(c if not cs else fold_char(c) for c, cs in t)
        strings.append(key)
        # Runs of case-sensitive characters as (offset, text), each checked with one startswith.
        runs: list[tuple[int, str]] = []
        for k, (c, cs) in enumerate(t):
            if not cs:
                continue
            if runs and runs[-1][0] + len(runs[-1][1]) == k:
                runs[-1] = (runs[-1][0], runs[-1][1] + c)
            else:
                runs.append((k, c))
        checks.append((key, tuple(runs)))
    return Anchor(frozenset(strings), lo, hi, tuple(sorted(set(checks))))


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


def anchors_of(state: Any, items: Sequence[tuple[Any, Any]], ci: bool) -> list[Anchor] | None:
    """The best anchors of a parsed sequence: every match contains one of them; None if none."""
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
            found = anchors_of(state, alt, alt_ci)
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
    return max(candidates, key=_score)


def analyse(pattern: str, flags: int) -> tuple[list[Anchor] | None, bool]:
    """Anchors of one pattern (None when it must always be run), and whether it may match ""."""
    parsed = _parser.parse(pattern, flags)
    may_be_empty = parsed.getwidth()[0] == 0
    try:
        return anchors_of(parsed.state, parsed.data, bool(parsed.state.flags & _IGNORECASE)), may_be_empty
    except _Unanchorable:
        return None, may_be_empty


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

    __slots__ = ("_at", "regex", "sets")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        # Sets whose shortest literal is longest first: long literals are the rare ones.
        found = sorted(required_literals(regex.pattern, regex.flags), key=lambda s: -min(map(len, s[0])))
        self.sets = tuple((tuple(sorted(strings)), hi) for strings, hi in found)
        # Where the regex's anchors (as a Matcher chooses them) sit a few characters after a
        # match's start, and are not short (a short one is in most words): a search tries
        # ``match`` only there, as :class:`Matcher` does, instead of ``re`` trying every
        # position from the first possible start to the end (~20 ns a character).
        anchors, _ = analyse(regex.pattern, regex.flags)
        self._at: tuple[tuple[str, int, int, tuple[tuple[int, str], ...]], ...] = ()
        if anchors and all(a.hi - a.lo <= _MAX_SPAN and min(map(len, a.strings)) >= 3 for a in anchors):
            self._at = tuple((s, a.lo, a.hi, checks) for a in anchors for s, checks in a.checks)

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
        for strings, hi in self.sets:
            if hi >= cap:  # where it is says nothing: only whether it is there
                for s in strings:
                    if s in folded:
                        break
                else:
                    return -1
                continue
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
        if self._at:
            return self._search_at(text, folded)
        start = self.start(folded)
        return None if start < 0 else self.regex.search(text, start)

    def _search_at(self, text: str, folded: str) -> re.Match[str] | None:
        """:meth:`search` by ``match`` where an anchor says a match may start: the least start
        that matches is the search's (leftmost) match, and every match starts at one of them."""
        starts: set[int] = set()
        for word, lo, hi, checks in self._at:
            at = folded.find(word)
            while at >= 0:
                if all(text.startswith(w, at + k) for k, w in checks):
                    starts.update(range(max(at - hi, 0), at - lo + 1))
                at = folded.find(word, at + 1)
        regex = self.regex
        for start in sorted(starts):
            m = regex.match(text, start)
            if m is not None:
                return m
        return None

    def finditer(self, text: str, folded: str) -> Iterator[re.Match[str]]:
        """``regex.finditer(text)``, where ``folded`` is ``fold(text)``."""
        start = self.start(folded)
        return iter(()) if start < 0 else self.regex.finditer(text, start)


# ------------------------------------------------------------------ scanning


class _TrieScanner:
    """All occurrences of many literals in one pass of ``re``, where pyahocorasick is missing.

    A trie-shaped regex in a lookahead finds, at each position, the longest literal starting
    there; the shorter ones starting there are its prefixes, listed beforehand.
    """

    def __init__(self, words: Sequence[str]) -> None:
        trie: dict[str, Any] = {}
        for w in words:
            node = trie
            for c in w:
                node = node.setdefault(c, {})
            node[""] = True
        self._regex = re.compile(f"(?=({self._node(trie)}))", re.DOTALL)
        ids = {w: i for i, w in enumerate(words)}
        self._prefixes = {w: tuple(ids[w[:k]] for k in range(1, len(w) + 1) if w[:k] in ids) for w in words}

    def _node(self, node: dict[str, Any]) -> str:
        parts = [re.escape(c) + self._node(child) for c, child in sorted(node.items()) if c]
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        # Greedy optional: the longer literal is tried first; the shorter is a prefix of it.
        return f"(?:{body})?" if "" in node else body

    def scan(self, folded: str) -> list[tuple[int, int]]:
        """(word id, start) pairs, by start."""
        return [(i, m.start()) for m in self._regex.finditer(folded) for i in self._prefixes[m.group(1)]]


class _Scan:
    """One text's scan: its folded form, the anchors it contains, their starts when asked for.

    The automaton only says which anchors occur (collected without a Python step per
    occurrence); the starts of an anchor are found with ``str.find`` the first time a search
    needs them. Most anchors found are never asked for: the groups they belong to are not
    searched in that text, or another anchor's occurrence already decided.
    """

    __slots__ = ("_occ", "_words", "_written", "folded", "ids", "text")

    def __init__(self, text: str, folded: str, ids: frozenset[int], words: Sequence[str]) -> None:
        self.text = text
        self.folded = folded
        self.ids = ids
        self._words = words
        self._occ: dict[int, list[int]] = {}
        self._written: dict[str, list[int]] = {}

    def starts(self, aid: int) -> list[int]:
        """Every start of anchor ``aid`` in the text, ascending (overlapping ones too)."""
        got = self._occ.get(aid)
        if got is None:
            word, folded = self._words[aid], self.folded
            got = self._occ[aid] = []
            at = folded.find(word)
            while at >= 0:
                got.append(at)
                at = folded.find(word, at + 1)
        return got

    def written_starts(self, word: str) -> list[int]:
        """Every start of ``word`` as written (case-sensitive) in the text, ascending.

        For a literal every character of which is case-sensitive (``(?-i:OR)``): these are the
        starts of its folded form ("or", in every "for" and "more") where the check passes.
        """
        got = self._written.get(word)
        if got is None:
            text = self.text
            got = self._written[word] = []
            at = text.find(word)
            while at >= 0:
                got.append(at)
                at = text.find(word, at + 1)
        return got


_SECOND: Final = operator.itemgetter(1)


class AnchorIndex:
    """The anchors of every :class:`Matcher` compiled with it, and the last texts' scans.

    The cache is a plain dict keyed by the text: under the GIL a race between threads can only
    repeat a scan, never mix two texts' results.
    """

    def __init__(self, *, use_pyahocorasick: bool = True) -> None:
        self._ids: dict[str, int] = {}
        self._words: list[str] = []
        self._scanner: Any = None
        self._use_ac = use_pyahocorasick and ahocorasick is not None
        self._cache: dict[str, _Scan] = {}

    def anchor_id(self, literal: str) -> int:
        if literal not in self._ids:
            self._ids[literal] = len(self._ids)
            self._words.append(literal)
            self._scanner = None
            self._cache.clear()
        return self._ids[literal]

    def _build(self) -> Any:
        words = list(self._ids)
        if not self._use_ac:
            return _TrieScanner(words)
        automaton = ahocorasick.Automaton()
        for w, i in self._ids.items():
            automaton.add_word(w, i)
        if words:
            automaton.make_automaton()
        return automaton

    def scan(self, text: str) -> _Scan:
        """The anchors ``text`` contains (and their starts on demand); cached per text."""
        got = self._cache.get(text)
        if got is not None:
            return got
        scanner = self._scanner
        if scanner is None:
            scanner = self._scanner = self._build()
        folded = fold(text)
        if not self._ids:
            ids: frozenset[int] = frozenset()
        elif self._use_ac:
            ids = frozenset(map(_SECOND, scanner.iter(folded)))  # (end, id) pairs, read in C
        else:
            ids = frozenset(aid for aid, _ in scanner.scan(folded))
        if len(self._cache) >= _CACHE_TEXTS:
            self._cache.clear()
        result = self._cache[text] = _Scan(text, folded, ids, self._words)
        return result


# ------------------------------------------------------------------ matcher


class Matcher:
    """An alternation of patterns, searched as ``re`` would search ``(?:p1)|(?:p2)|…``."""

    __slots__ = (
        "_always",
        "_by_anchor",
        "_index",
        "_keys",
        "_may_be_empty",
        "_regexes",
        "_single",
        "_which",
        "flags",
        "pattern",
        "regex",
    )

    def __init__(self, patterns: Sequence[str], flags: int, index: AnchorIndex) -> None:
        self.pattern = "|".join(f"(?:{p})" for p in patterns)
        self.flags = flags
        self.regex = re.compile(self.pattern, flags)
        self._index = index
        self._regexes = tuple(re.compile(p, flags) for p in patterns)
        self._which: dict[int, int] = {}
        for i, r in enumerate(self._regexes):
            self._which.setdefault(id(r), i)  # ``re`` caches: equal patterns are one object, the first wins
        self._may_be_empty = False
        by_anchor: dict[int, list[tuple[int, int, int, tuple[tuple[int, str], ...], str | None]]] = {}
        always: list[int] = []
        for i, p in enumerate(patterns):
            found, empty = analyse(p, flags)
            # finditer's rules for empty matches are left to ``re`` itself.
            self._may_be_empty = self._may_be_empty or empty
            if found is None:
                always.append(i)
                continue
            for a in found:
                for s, checks in a.checks:
                    # A literal all of whose characters are case-sensitive ("OR", "ECT") is looked
                    # for as written: its folded form is in many words ("for", "effect").
                    whole = checks[0][1] if len(checks) == 1 and len(checks[0][1]) == len(s) else None
                    by_anchor.setdefault(index.anchor_id(s), []).append((i, a.lo, a.hi, checks, whole))
        self._by_anchor = {k: tuple(v) for k, v in by_anchor.items()}
        self._single = {
            k: (v[0][0], v[0][1]) for k, v in by_anchor.items() if len(v) == 1 and v[0][1] == v[0][2] and not v[0][3]
        }
        self._keys = frozenset(self._by_anchor)
        self._always = tuple(always)

    def __repr__(self) -> str:
        return f"Matcher({self.pattern!r})"

    def which(self, m: re.Match[str]) -> int:
        """The index of the pattern a match of :meth:`search` / :meth:`finditer` is of.

        What a named group per alternative would tell: the first pattern that matches where
        ``m`` starts (the alternation's choice).
        """
        i = self._which.get(id(m.re))
        if i is not None:
            return i
        # A match of the whole alternation (the ``re`` fallbacks): find the alternative again.
        return next(i for i, r in enumerate(self._regexes) if r.match(m.string, m.start(), m.endpos) is not None)

    def search(self, string: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        """The leftmost match in ``string[pos:endpos]``, as ``re.Pattern.search``."""
        scan = self._index._cache.get(string)
        if scan is None:
            scan = self._index.scan(string)
        if self._keys.isdisjoint(scan.ids) and not self._always:
            return None  # the common case (85%): no literal of this group anywhere in the text
        hit = self._keys & scan.ids
        n = len(string)
        end = n if endpos is None or endpos > n else endpos
        if pos < 0 or pos > end:
            # Out-of-range bounds: whatever ``re`` makes of them.
            return self.regex.search(string, pos, n if endpos is None else endpos)
        if len(hit) == 1 and not self._always:
            (aid,) = hit
            single = self._single.get(aid)
            if single is not None:
                # The usual hit: one literal, of one pattern, at a fixed offset, with no case to
                # check. Its starts are ascending: the first that matches is the leftmost match.
                i, lo = single
                rx = self._regexes[i]
                for o in scan.starts(aid):
                    if o - lo >= pos:
                        m = rx.match(string, o - lo, end)
                        if m is not None:
                            return m
                return None
        pairs, wide = self._candidates(scan, string, pos)
        if wide:
            return self._search_with_wide(string, pos, end, pairs, wide)
        # Leftmost start first, then the first listed: the first that matches is re's answer.
        pairs.sort()
        regexes = self._regexes
        for start, i in pairs:
            if start >= pos:
                m = regexes[i].match(string, start, end)
                if m is not None:
                    return m
        return None

    def exists(self, string: str) -> bool:
        """Whether :meth:`search` finds a match: for callers that only ask whether (role cues).

        Any candidate that matches answers, so a pattern whose literal sits at a variable
        offset (searched from its first possible start) is run only when no other matches.
        """
        scan = self._index._cache.get(string)
        if scan is None:
            scan = self._index.scan(string)
        if not self._always and self._keys.isdisjoint(scan.ids):
            return False
        regexes = self._regexes
        n = len(string)
        if not self._always:
            hit = self._keys & scan.ids
            if len(hit) == 1:
                (aid,) = hit
                single = self._single.get(aid)
                if single is not None:  # one literal of one pattern at a fixed offset (as in search)
                    i, lo = single
                    rx = regexes[i]
                    return any(o >= lo and rx.match(string, o - lo, n) is not None for o in scan.starts(aid))
        pairs, wide = self._candidates(scan, string, 0)
        for start, i in pairs:
            if start >= 0 and regexes[i].match(string, start, n) is not None:
                return True
        return any(regexes[i].search(string, max(start, 0), n) is not None for i, start in wide.items())

    def _candidates(self, scan: _Scan, string: str, pos: int) -> tuple[list[tuple[int, int]], dict[int, int]]:
        """(start, pattern) pairs where a fixed-offset literal says a pattern may match there, and
        for the patterns whose literal is at a variable offset, the first start to search from."""
        pairs: list[tuple[int, int]] = []
        wide: dict[int, int] = dict.fromkeys(self._always, pos) if self._always else {}
        by_anchor = self._by_anchor
        n = len(string)
        for aid in self._keys & scan.ids:
            found: list[int] | None = None
            for i, lo, hi, checks, whole in by_anchor[aid]:
                if whole is not None:
                    starts = scan.written_starts(whole)
                else:
                    starts = found = scan.starts(aid) if found is None else found
                    if len(checks) == 1:  # case-sensitive characters of the literal, checked where it was found
                        k, written = checks[0]
                        starts = [o for o in found if string.startswith(written, o + k)]
                    elif checks:
                        starts = [o for o in found if all(string.startswith(w, o + k) for k, w in checks)]
                if lo == hi:
                    pairs.extend([(o - lo, i) for o in starts])
                elif hi - lo <= _MAX_SPAN:
                    for o in starts:
                        for start in range(o - hi, o - lo + 1):
                            pairs.append((start, i))
                elif starts:
                    first = starts[0] - hi
                    if first < wide.get(i, n + 1):
                        wide[i] = first
        return pairs, wide

    def _search_with_wide(
        self, string: str, pos: int, end: int, pairs: list[tuple[int, int]], wide: dict[int, int]
    ) -> re.Match[str] | None:
        """:meth:`search` when some patterns can only be searched from a first possible start."""
        for start, i in pairs:
            if i in wide and start < wide[i]:
                wide[i] = start
        entries = [(i, start, False) for start, i in pairs if i not in wide]
        entries.extend((i, start, True) for i, start in wide.items())
        entries.sort()
        best: re.Match[str] | None = None
        limit = end + 1  # a later pattern wins only by starting strictly earlier
        done = -1  # the pattern whose first match is known
        regexes = self._regexes
        for i, start, is_wide in entries:
            if i == done or start >= limit:
                continue
            if is_wide:
                done = i
                m = regexes[i].search(string, max(start, pos), end)
                if m is not None and m.start() < limit:
                    best, limit = m, m.start()
            elif start >= pos:
                m = regexes[i].match(string, start, end)
                if m is not None:
                    best, limit, done = m, start, i
        return best

    def finditer(self, string: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        """Successive non-overlapping matches, as ``re.Pattern.finditer``."""
        end = len(string) if endpos is None else endpos
        if self._may_be_empty:
            yield from self.regex.finditer(string, pos, end)
            return
        scan = self._index._cache.get(string)
        if scan is None:
            scan = self._index.scan(string)
        if not self._always and self._keys.isdisjoint(scan.ids):
            return
        if not self._always and 0 <= pos <= end <= len(string):
            pairs, wide = self._candidates(scan, string, pos)
            if not wide:
                # The candidates do not depend on ``pos``: sorted once, walked once. After a
                # match, the next is the first candidate from its end on that matches, which
                # is what :meth:`search` from there returns.
                pairs.sort()
                regexes = self._regexes
                for start, i in pairs:
                    if start >= pos:
                        m = regexes[i].match(string, start, end)
                        if m is not None:
                            yield m
                            pos = m.end()
                return
        while True:
            m = self.search(string, pos, end)
            if m is None:
                return
            yield m
            pos = m.end()


class AnyOf:
    """Whether any of several groups can match a text at all: one set test on the text's scan.

    False only when no literal of any group occurs (and every group is a :class:`Matcher` of
    one index whose patterns all have literals): then none of them can match, and a caller
    that would search them one by one can skip them all. True says nothing more.
    """

    __slots__ = ("_index", "_keys")

    def __init__(self, groups: Sequence[TextPattern]) -> None:
        matchers = [g for g in groups if isinstance(g, Matcher)]
        index = matchers[0]._index if matchers else None
        exact = len(matchers) == len(groups) and all(m._index is index and not m._always for m in matchers)
        self._index = index if exact else None
        self._keys = frozenset().union(*(m._keys for m in matchers))

    def may_match(self, text: str) -> bool:
        """Whether a group may match ``text`` (False: none can)."""
        index = self._index
        if index is None:
            return True
        scan = index._cache.get(text)
        if scan is None:
            scan = index.scan(text)
        return not self._keys.isdisjoint(scan.ids)
