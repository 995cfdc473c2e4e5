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
  on every "effect"; a literal all of whose characters are so (``(?-i:OR)``) is looked for as
  written in the text itself, not among the folded "or" of every "for" and "more". The analysis
  lives in :mod:`ketlit.evidence.anchors` (re-exported here).
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
  a match can first start.
  :class:`AnyOf` rules out several groups with one set test, :meth:`Matcher.exists` answers
  "any match?" without finding the leftmost, and :class:`Cues` answers it for several groups
  in one pass over the text's anchors (role cues: each group settled by its first match).
- ``re._parser`` is CPython's internal module (3.11+); a release that changes its shape would
  show in the property tests, which compare against ``re`` itself.
"""

from __future__ import annotations

import importlib
import operator
import re
import sys
from collections.abc import Iterator, Sequence
from itertools import islice, repeat
from typing import Any, Final, Protocol

from ketlit.evidence.anchors import (
    _MAX_SPAN,
    Anchor,
    Gate,
    PresenceStep,
    analyse,
    fixed_anchors,
    fold,
    fold_char,
    presence_plan,
    present,
    required_literals,
)

# Anchor, Gate, analyse, fold, fold_char and required_literals live in ketlit.evidence.anchors; re-exported here,
# where the reader and the tests have always imported them from.
__all__ = [
    "Anchor",
    "AnchorIndex",
    "AnyOf",
    "Cues",
    "Gate",
    "Matcher",
    "TextPattern",
    "analyse",
    "fold",
    "fold_char",
    "required_literals",
]

ahocorasick: Any
try:  # no type stubs: imported by name, used through its documented Automaton API
    ahocorasick = importlib.import_module("ahocorasick")
except ImportError:  # pragma: no cover - a platform without a wheel: the regex-trie scanner serves
    ahocorasick = None

_CACHE_TEXTS: Final = 256  # scans kept: a record's sentences, clauses and question texts


class TextPattern(Protocol):
    """What the reader needs of a compiled group: ``re.Pattern[str]`` and :class:`Matcher` both are."""

    @property
    def pattern(self) -> str: ...

    # ``re``'s own defaults (not ``...``: compiled by mypyc, a protocol's defaults are evaluated and type-checked).
    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None: ...

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]: ...


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

    def scan(self, folded: str, start: int = 0) -> list[tuple[int, int]]:
        """(word id, start) pairs of the words starting at ``start`` or after, by start."""
        return [(i, m.start()) for m in self._regex.finditer(folded, start) for i in self._prefixes[m.group(1)]]


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
_RECENT: Final = 4  # scans whose text a new text is checked to extend


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
        self._recent: list[_Scan] = []  # the last few scans, whose text a new one may extend
        self._longest = 0

    def anchor_id(self, literal: str) -> int:
        if literal not in self._ids:
            self._ids[literal] = len(self._ids)
            self._words.append(literal)
            self._longest = max(self._longest, len(literal))
            self._scanner = None
            self._cache.clear()
            self._recent.clear()
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
        # A text that extends one just scanned (the question texts: title, then title + aim,
        # then + methods) is scanned from where an anchor not wholly inside that one can start:
        # folding is per character, so the anchors of the prefix are the earlier scan's.
        base: _Scan | None = None
        for prev in self._recent:
            longer = base is None or len(prev.text) > len(base.text)
            if longer and len(prev.text) < len(text) and text.startswith(prev.text):
                base = prev
        start = 0 if base is None else max(0, len(base.text) - self._longest + 1)
        if not self._ids:
            ids: frozenset[int] = frozenset()
        elif self._use_ac:
            ids = frozenset(map(_SECOND, scanner.iter(folded, start)))  # (end, id) pairs, read in C
        else:
            ids = frozenset(aid for aid, _ in scanner.scan(folded, start))
        if base is not None:
            ids |= base.ids
        cache = self._cache
        if len(cache) >= _CACHE_TEXTS:
            # The older half goes (a dict keeps insertion order): the record being read keeps its
            # sentences' scans, which a clear of every scan made its clauses and question texts redo.
            for old in list(islice(cache, _CACHE_TEXTS // 2)):
                del cache[old]
        result = cache[text] = _Scan(text, folded, ids, self._words)
        self._recent = [*self._recent[-(_RECENT - 1) :], result]
        return result


# ------------------------------------------------------------------ matcher


def _literals(a: Anchor, index: AnchorIndex) -> list[tuple[int, tuple[tuple[int, str], ...], str | None]]:
    """An anchor's literals as (id in ``index``, case-sensitive runs, the literal as written when all of it is)."""
    out: list[tuple[int, tuple[tuple[int, str], ...], str | None]] = []
    for s, checks in a.checks:
        # A literal all of whose characters are case-sensitive ("OR", "ECT") is looked for as
        # written: its folded form is in many words ("for", "effect").
        whole = checks[0][1] if len(checks) == 1 and len(checks[0][1]) == len(s) else None
        out.append((index.anchor_id(s), checks, whole))
    return out


def _checked(scan: _Scan, string: str, aid: int, checks: tuple[tuple[int, str], ...], whole: str | None) -> list[int]:
    """The starts of anchor ``aid`` whose case-sensitive characters are as written."""
    if whole is not None:
        return scan.written_starts(whole)
    found = scan.starts(aid)
    return [o for o in found if all(string.startswith(w, o + k) for k, w in checks)] if checks else found


class Matcher:
    """An alternation of patterns, searched as ``re`` would search ``(?:p1)|(?:p2)|…``."""

    __slots__ = (
        "_always",
        "_by_anchor",
        "_disjoint",
        "_fixed",
        "_index",
        "_keys",
        "_may_be_empty",
        "_own",
        "_plan",
        "_regexes",
        "_scanned",
        "_single",
        "_which",
        "flags",
        "pattern",
        "patterns",
        "regex",
    )

    def __init__(self, patterns: Sequence[str], flags: int, index: AnchorIndex) -> None:
        self.patterns = tuple(patterns)
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
        fixed: dict[int, tuple[tuple[int, int, int, tuple[tuple[int, str], ...], str | None], ...]] = {}
        always: list[int] = []
        for i, p in enumerate(patterns):
            found, empty = analyse(p, flags)
            # finditer's rules for empty matches are left to ``re`` itself.
            self._may_be_empty = self._may_be_empty or empty
            if found is None:
                always.append(i)
                continue
            for a in found:
                for aid, checks, whole in _literals(a, index):
                    by_anchor.setdefault(aid, []).append((i, a.lo, a.hi, checks, whole))
            if any(a.hi - a.lo > _MAX_SPAN for a in found) and (alt := fixed_anchors(p, flags)) is not None:
                # A literal that may sit anywhere after the start ("{drug} abuse": " abuse") keeps
                # the pattern unread where it is absent (it is rare), but where it is present the
                # pattern would be searched from there to the text's end, at every character (~90
                # µs in a design text): its anchors at fixed offsets (the drug's names) give the
                # starts to ``match`` at instead (:meth:`_candidates`).
                fixed[i] = tuple(
                    (aid, a.lo, a.hi, checks, whole) for a in alt for aid, checks, whole in _literals(a, index)
                )
        self._by_anchor = {k: tuple(v) for k, v in by_anchor.items()}
        self._single = {
            k: (v[0][0], v[0][1]) for k, v in by_anchor.items() if len(v) == 1 and v[0][1] == v[0][2] and not v[0][3]
        }
        self._keys = frozenset(self._by_anchor)
        self._always = tuple(always)
        self._fixed = fixed
        # What a scan of this group alone must know: its anchors, and the fixed-offset anchors
        # :meth:`_candidates` reads for its patterns with a variable-offset one.
        self._own = self._keys.union(aid for entries in fixed.values() for aid, *_ in entries)
        self._plan: tuple[PresenceStep, ...] | None = None  # for :meth:`search_alone`, made when first needed
        # Bound once: :meth:`search` runs ~60,000 times per 724 records, most ending at the
        # disjointness test (the index's cache is one dict for its life: cleared, never replaced).
        self._scanned = index._cache.get
        self._disjoint = self._keys.isdisjoint

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
        scan = self._scanned(string)
        if scan is None:
            scan = self._index.scan(string)
        if self._disjoint(scan.ids) and not self._always:
            return None  # the common case (85%): no literal of this group anywhere in the text
        return self._search_in(scan, string, pos, endpos)

    def search_alone(self, string: str, folded: str | None = None) -> re.Match[str] | None:
        """``search(string)`` without scanning ``string`` for every group's anchors.

        For a long text searched by this group only (the profile's design text, when the study
        question did not need it): each of this group's anchors is looked for with ``in`` on the
        folded text, a few dozen ``str`` searches in C instead of a pass of the automaton over
        the text for thousands of anchors. The scan so made knows this group's anchors only, so it
        is not cached for the others; a text already scanned uses its scan. Same answer: a search
        reads only the anchors of its own group (``self._keys & scan.ids``) and the fixed-offset
        anchors of its patterns with a variable-offset one (``self._fixed``). The anchors are looked
        for by :func:`presence_plan`'s trie: a beginning several share ("the authors ") once, they
        only where it occurs. ``folded``: ``fold(string)`` when the caller has it (joined from its
        parts' folds: folding is per character).
        """
        scan = self._scan_alone(string, folded)
        if self._keys.isdisjoint(scan.ids) and not self._always:
            return None
        return self._search_in(scan, string, 0, None)

    def _scan_alone(self, string: str, folded: str | None = None) -> _Scan:
        """The text's cached scan, or one of this group's anchors only (not cached: see :meth:`search_alone`)."""
        index = self._index
        scan = index._cache.get(string)
        if scan is None:
            if folded is None:
                folded = fold(string)
            plan = self._plan
            if plan is None:
                words = index._words
                plan = self._plan = presence_plan({k: words[k] for k in self._own})
            scan = _Scan(string, folded, frozenset(present(plan, folded)), index._words)
        return scan

    def spans_alone(self, string: str) -> list[tuple[int, int]]:
        """The spans of ``finditer(string)``, without scanning ``string`` for every group's anchors (as
        :meth:`search_alone`): for a group read alone over a whole sentence whose clauses were scanned, not the
        sentence (the direction model's drug names)."""
        if self._may_be_empty:
            return [m.span() for m in self.regex.finditer(string)]
        scan = self._scan_alone(string)
        if self._keys.isdisjoint(scan.ids) and not self._always:
            return []
        out: list[tuple[int, int]] = []
        pos = 0
        while True:
            m = self._search_in(scan, string, pos, None)
            if m is None:
                return out
            out.append(m.span())
            pos = m.end()

    def _search_in(self, scan: _Scan, string: str, pos: int, endpos: int | None) -> re.Match[str] | None:
        """:meth:`search` once the text's scan is known and has an anchor of this group (or it has unanchored ones)."""
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
        return self._exists_in(scan, string)

    def exists_alone(self, string: str) -> bool:
        """``exists(string)``, without scanning ``string`` for every group's anchors (as :meth:`search_alone`).

        Each anchor of the group is looked for in turn (``in`` on the folded text) and the
        patterns it anchors are tried where it occurs; the first that matches answers. A match
        contains an anchor of its pattern where the analysis says, so trying every anchor found
        misses none; most texts are settled by the first few (a drug's name), not by all of them.
        """
        index = self._index
        scan = index._cache.get(string)
        if scan is not None:
            return self._exists_in(scan, string)
        folded = fold(string)
        words = index._words
        if self._always or self._fixed:
            # Unanchored patterns, or candidates from other anchors than a pattern's own: all at once.
            present = frozenset(k for k in self._own if words[k] in folded)
            return self._exists_in(_Scan(string, folded, present, words), string)
        return any(
            words[k] in folded and self._exists_in(_Scan(string, folded, frozenset((k,)), words), string)
            for k in self._by_anchor
        )

    def _exists_in(self, scan: _Scan, string: str) -> bool:
        """:meth:`exists` once the text's scan is known."""
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
        refixed: set[int] = set()
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
                if lo == hi:  # (o - lo, i) for each start o, made in C
                    pairs.extend(zip(map((-lo).__add__, starts) if lo else starts, repeat(i)))
                elif hi - lo <= _MAX_SPAN:
                    for o in starts:
                        for start in range(o - hi, o - lo + 1):
                            pairs.append((start, i))
                elif starts and i in self._fixed:
                    if i not in refixed:  # its fixed-offset anchors, once, give its candidate starts
                        refixed.add(i)
                        for aid2, lo2, hi2, checks2, whole2 in self._fixed[i]:
                            if aid2 in scan.ids:
                                for o in _checked(scan, string, aid2, checks2, whole2):
                                    pairs.extend([(start, i) for start in range(o - hi2, o - lo2 + 1)])
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


class Cues:
    """Which of several groups match a text at all, in one pass over the text's scan.

    For role cues (the groups a user's rules file adds, asked about every sentence of an
    unstructured abstract; the packaged rules leave roles to the trained model): the
    anchors of all groups are walked once, a group is settled by its first candidate that
    matches and not tried again, and the patterns searched from a first possible start run
    last, only for groups still unsettled. The answer of each group is :meth:`Matcher.exists`'s;
    a group that is not a :class:`Matcher` of the shared index is asked directly.
    """

    __slots__ = ("_always", "_by_anchor", "_groups", "_index", "_keys", "_other")

    def __init__(self, groups: Sequence[TextPattern]) -> None:
        self._groups = tuple(groups)
        matchers = [g for g in groups if isinstance(g, Matcher)]
        self._index = matchers[0]._index if matchers else None
        by_anchor: dict[int, list[tuple[int, re.Pattern[str], int, int, tuple[tuple[int, str], ...], str | None]]] = {}
        self._always: list[tuple[int, re.Pattern[str]]] = []
        self._other: list[int] = []
        for g, group in enumerate(groups):
            if not isinstance(group, Matcher) or group._index is not self._index or group._may_be_empty:
                self._other.append(g)
                continue
            self._always.extend((g, group._regexes[i]) for i in group._always)
            for aid, entries in group._by_anchor.items():
                for i, lo, hi, checks, whole in entries:
                    by_anchor.setdefault(aid, []).append((g, group._regexes[i], lo, hi, checks, whole))
        self._by_anchor = {k: tuple(v) for k, v in by_anchor.items()}
        self._keys = frozenset(by_anchor)

    def matching(self, text: str) -> list[bool]:
        """For each group, whether it matches somewhere in ``text``."""
        found = [False] * len(self._groups)
        for g in self._other:
            found[g] = self._groups[g].search(text) is not None
        index = self._index
        if index is None:
            return found
        scan = index._cache.get(text)
        if scan is None:
            scan = index.scan(text)
        n = len(text)
        wide: dict[tuple[int, re.Pattern[str]], int] = {(g, rx): 0 for g, rx in self._always}
        for aid in self._keys & scan.ids:
            occurrences: list[int] | None = None
            for g, rx, lo, hi, checks, whole in self._by_anchor[aid]:
                if found[g]:
                    continue
                if whole is not None:
                    starts = scan.written_starts(whole)
                else:
                    starts = occurrences = scan.starts(aid) if occurrences is None else occurrences
                    if checks:
                        starts = [o for o in starts if all(text.startswith(w, o + k) for k, w in checks)]
                if hi - lo > _MAX_SPAN:
                    if starts and starts[0] - hi < wide.get((g, rx), n + 1):
                        wide[(g, rx)] = starts[0] - hi
                    continue
                if lo == hi:  # the usual entry: one start per occurrence, tried without a generator
                    for o in starts:
                        if o >= lo and rx.match(text, o - lo, n) is not None:
                            found[g] = True
                            break
                    continue
                found[g] = any(
                    rx.match(text, start, n) is not None for o in starts for start in range(max(o - hi, 0), o - lo + 1)
                )
        for (g, rx), first in wide.items():
            if not found[g]:
                found[g] = rx.search(text, max(first, 0), n) is not None
        return found
