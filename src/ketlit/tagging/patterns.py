"""Pattern planning: compile a rule's regex once into a :class:`Matcher` that is fast to run.

Python's regex engine is fast only when a pattern starts with a literal; rule patterns
mostly do not (alternations, optional modifiers, lookbehinds), and a full scan of an
abstract then costs 10-60 µs per rule: over a hundred rules would be ~5 ms a record.
So every pattern is analysed once, with the standard library's own regex parser:

* Its *first grams*: the strings a match can begin with, cut at 4 alphanumerics or at
  the first non-alphanumeric ("ketamine" → "keta", "\\(iv\\)" → "(iv", digits read as
  "0"). Rule matches start on a word boundary, so a rule can only match where one of its
  grams starts a word. One regex (a trie of all wanted grams, :class:`GramScanner`) lists
  those positions per record; each rule is then tried with ``regex.match`` at its positions only.
* For a pattern whose grams cannot be enumerated (``\\w+ly``, classes of letters) a
  fallback plan: the literals every match must contain and the maximum match width;
  the regex then runs only in windows around those literals.

Both give exactly the leftmost, non-overlapping matches a full scan would give; what the
analysis cannot bound (unbounded repeats, inline flags, internal API surprises) falls back
to a full scan. The analysis is an optimisation, never a change of meaning.

This module knows regexes only: nothing about rules files, records or weights.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import filterfalse
from operator import itemgetter
from typing import Any, Final

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


GRAM_LEN: Final = 4
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
        return s, len(s) >= GRAM_LEN
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
        for k in range(lo, min(hi, lo + GRAM_LEN) + 1):
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


def punct_gram_re(grams: Iterable[str]) -> re.Pattern[str] | None:
    """A regex for the punctuation grams rules can start with (most punctuation never starts one)."""
    chars = sorted({g[0] for g in grams if g and not g[0].isalnum()})
    if not chars:
        return None
    return re.compile("[" + "".join(re.escape(ch) for ch in chars) + r"][^\W_]{0,3}")


def scan_plan(pattern: str) -> ScanPlan:
    """The fallback plan for a pattern without first grams (see the module docstring)."""
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


class Occurrences:
    """Positions of literals in one text, found once and shared by all rules."""

    __slots__ = ("_cache", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._cache: dict[str, list[int]] = {}

    def of(self, literal: str) -> list[int]:
        """Every position of ``literal`` in the text (found on first ask)."""
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


def match_at_grams(regex: re.Pattern[str], starts: list[int], hay: str) -> Iterator[re.Match[str]]:
    """Leftmost non-overlapping matches that start at one of ``starts`` (sorted), in order."""
    end = 0
    for p in starts:
        if p < end:
            continue
        m = regex.match(hay, p)
        if m is not None and m.end() > p:
            end = m.end()
            yield m


def scan(regex: re.Pattern[str], plan: ScanPlan, occ: Occurrences) -> Iterator[re.Match[str]]:
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


DIGITS_TO_0 = str.maketrans("0123456789", "0000000000")


def trie(grams: Iterable[str]) -> str:
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
            alts.append("" if depth >= GRAM_LEN else r"(?![^\W_])")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(root, 0) if root else ""


def gram_trie_re(grams: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching the longest of ``grams`` at word starts (punctuation grams anywhere)."""
    words = [g for g in grams if g]
    punct = [g for g in words if not g[0].isalnum()]
    words = [g for g in words if g[0].isalnum()]
    parts = []
    if words:
        parts.append(r"(?<![^\W_])" + trie(words))
    if punct:
        parts.append(trie(punct))
    if not parts:
        return None
    return re.compile(parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")")


# A separator first tested as "not an ASCII letter or digit" (a cheap class the regex engine's
# fast path skips by), then as \W or _ (the real test, for non-ASCII letters).
_SEPARATOR: Final = r"[^a-zA-Z0-9](?<![^\W_])"


def sep_trie_re(grams: Iterable[str]) -> re.Pattern[str] | None:
    """What :func:`gram_trie_re` finds, for word grams only, as a separator char followed by the
    gram (group 1): run from the char before a window (``lo - 1``, ``lo > 0``), the engine skips
    ahead to separators instead of trying a lookbehind at every char. ``None`` when a gram is
    punctuation (it needs no separator before it). A word gram never ends on a separator, so the
    consumed separators hide no gram: both find the same grams, at ``start(1)``."""
    words = [g for g in grams if g]
    if not words or not all(g[0].isalnum() for g in words):
        return None
    return re.compile(_SEPARATOR + "(" + trie(words) + ")")


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled pattern with its first grams (``None``: no gram filter), a trie regex that
    finds those grams at word starts, and the fallback scan plan."""

    regex: re.Pattern[str]
    grams: frozenset[str] | None
    plan: ScanPlan
    trie: re.Pattern[str] | None = None
    anchored: bool = False  # pattern starts with ^: one match attempt at the window start
    literals: tuple[str, ...] | None = None  # anchored: one of these must occur in the window
    # The literals as one alternation: one C search per window instead of a find per literal
    # (the same test: some literal lies wholly inside the window).
    literal_re: re.Pattern[str] | None = None
    sep_trie: re.Pattern[str] | None = None  # the trie after a separator (see sep_trie_re)

    def search(self, text: str, lo: int, hi: int) -> re.Match[str] | None:
        """The first match starting in [lo, hi) and ending by ``hi`` (a window of ``text``)."""
        if self.anchored:
            if self.literal_re is not None and self.literal_re.search(text, lo, hi) is None:
                return None
            return self.regex.match(text, lo, hi)
        if self.trie is None:
            return self.regex.search(text, lo, hi)
        match = self.regex.match
        if self.sep_trie is not None and lo > 0:
            found, shift = self.sep_trie.finditer(text, lo - 1, hi), 1
        else:
            found, shift = self.trie.finditer(text, lo, hi), 0
        for x in found:
            m = match(text, x.start() + shift, hi)
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
        stop = min(hi + GRAM_LEN, end)
        if self.sep_trie is not None and lo > 0:
            found, shift = self.sep_trie.finditer(text, lo - 1, stop), 1
        else:
            found, shift = self.trie.finditer(text, lo, stop), 0
        for x in found:
            p = x.start() + shift
            if p >= hi:
                return
            y = match(text, p, end)
            if y is not None:
                yield y


def make_matcher(regex: re.Pattern[str], boundary: bool = True) -> Matcher:
    """The :class:`Matcher` for ``regex`` (``boundary=False``: no gram filter, the rule opts out of word starts)."""
    if regex.pattern.startswith("^"):
        # "^" only matches at the real start of a string, not at a window's start position:
        # an anchored cue is compiled without it and tried once, with match(), at the window start.
        body = regex.pattern[1:]
        literals = scan_plan(body).literals
        if literals is not None and len(literals) > 8:  # too many to pre-check cheaply
            literals = None
        literal_re = re.compile("|".join(map(re.escape, literals)) or "(?!)") if literals is not None else None
        return Matcher(re.compile(body), None, ScanPlan(None, None), None, True, literals, literal_re)
    grams = first_grams(regex.pattern) if boundary else None
    if grams is None:
        return Matcher(regex, None, scan_plan(regex.pattern))
    return Matcher(regex, grams, ScanPlan(None, None), gram_trie_re(grams), sep_trie=sep_trie_re(grams))




GLOBAL_FLAGS: Final = re.compile(r"^\(\?[aiLmsux]+\)")
# Appended to text-rule patterns: a match that ends on a letter or digit must end its word. In
# the regex (not only checked afterwards) so that "infus(?:ion|ions)" backtracks to "infusions".
_WORD_END: Final = r"(?:(?<=[^\W_])(?![^\W_])|(?<![^\W_]))"


def word_end(pattern: str) -> str:
    """``pattern`` made to end on a word end (inline global flags kept in front)."""
    flags = GLOBAL_FLAGS.match(pattern)
    head = flags.group() if flags else ""
    return f"{head}(?:{pattern[len(head):]}){_WORD_END}"


class GramScanner:
    """Finds where the wanted grams (those some rule, mask, cue or substance can start with)
    start in a text: one trie regex for word grams, one for punctuation grams."""

    __slots__ = ("_punct", "_wanted", "_word_grams")

    def __init__(self, wanted: frozenset[str]) -> None:
        self._wanted = wanted
        self._punct = punct_gram_re(wanted)
        # Word grams are found after a consumed separator char (the text is scanned with a leading
        # space): the regex engine can then skip ahead by its first-character fast path.
        words = [g for g in wanted if g[0].isalnum()]
        self._word_grams = re.compile(_SEPARATOR + "(" + trie(words) + ")") if words else None

    def positions(self, text: str) -> dict[str, list[int]]:
        """Start positions of the wanted grams in ``text`` (digits as 0).

        The word part is one regex (a trie of the wanted grams), so the C engine skips every
        word no rule can start with. Its matches are read in C (``map`` over the match list):
        a record holds ~100 grams, and two method calls a gram in Python cost a third of the scan.
        A match starts at the separator before its gram, which is the gram's position in
        ``text`` (the scanned copy has one char more in front).
        """
        wanted = self._wanted
        out: dict[str, list[int]] = {}
        if self._word_grams is not None:
            found_grams = list(self._word_grams.finditer(" " + text))
            if found_grams:
                for g, p in zip(map(_GROUP_1, found_grams), map(_START, found_grams), strict=True):
                    found = out.get(g)
                    if found is None:
                        out[g] = [p]
                    else:
                        found.append(p)
                _digits_as_zero(out, wanted)
        if self._punct is not None:
            for m in self._punct.finditer(text):
                g = m.group()
                if not g.isalpha():
                    g = g.translate(DIGITS_TO_0)
                if g in wanted:
                    out.setdefault(g, []).append(m.start())
        return out


_GROUP_1: Final = itemgetter(1)
_START: Final = re.Match.start


def _digits_as_zero(out: dict[str, list[int]], wanted: frozenset[str]) -> None:
    """Re-key grams read with digits ("5mg", "1mg") under their gram with digits as 0 ("0mg"),
    dropping those not wanted so; positions stay in order."""
    for g in list(filterfalse(str.isalpha, out)):  # filtered in C: most grams are letters only
        norm = g.translate(DIGITS_TO_0)
        if norm == g and norm in wanted:
            continue
        found = out.pop(g)
        if norm in wanted:
            have = out.get(norm)
            out[norm] = found if have is None else sorted(have + found)
