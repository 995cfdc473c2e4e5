"""Literal screens: substring tests that prove a case-insensitive regex cannot match a text.

Design decisions:

* **Why.** The number reader (:mod:`ketlit.claims.numbers`) runs at ingest on every record and asks
  of every sentence whether a dozen pattern lists match it. Most sentences match none, and Python's
  regex engine scans the whole sentence once per asked alternation; a plain ``word in text`` test
  is several times cheaper. A screen only ever answers "cannot match" (then the regex is not run)
  or "may match" (then the regex decides, as before), so the findings stay exactly the same.
* **Folding.** A regex compiled with IGNORECASE matches an ASCII letter exactly in the
  characters whose lower case is that letter, plus four: "İ" and "ı" for "i", "ſ" for "s" and the
  Kelvin sign for "k". :func:`fold` maps those four, then lower-cases: wherever such a regex
  matches an ASCII literal, the folded text holds that literal in lower case. Folding keeps every
  character's offset and whether it is a word character, so a slice of a folded text screens the
  same slice of the text (clauses reuse their sentence's fold). The tests check all three claims
  on every code point.
* **The words of a pattern** are read from its parsed form (the standard library's own regex
  parser, so escapes, flags and verbose mode are understood as the engine understands them): a run
  of consecutive ASCII literals at the top level of the pattern, or a group each of whose
  alternatives has such words, which every match contains. A quantified or optional part ends a
  run; a pattern with neither (a top-level alternation, say) has no screen, and its list is then
  always scanned.
"""

from __future__ import annotations

import re

# The parser the engine itself uses (private, hence no stub); Python 3.11+ has it as re._parser.
from re import _constants as _sre_constants  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]
from typing import Final

from ketlit.claims.rules import Patterns

# The four characters an IGNORECASE regex matches to an ASCII letter beyond that letter's cases.
# "İ" must go before lower-casing, which makes two characters of it ("i" and a combining dot).
_FOLD_FIX: Final = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))


def fold(text: str) -> str:
    """``text`` lower-cased for the literal screens (see the module docstring)."""
    if not text.isascii():
        # str.replace of a character that is mostly absent costs a scan; str.translate, a dict
        # look-up per character (a hundred times more on an abstract).
        for char, letter in _FOLD_FIX:
            if char in text:
                text = text.replace(char, letter)
    return text.lower()


def _required(items: object) -> tuple[str, ...] | None:
    """Lower-case words one of which every match of the parsed sequence ``items`` contains.

    Candidates are the runs of consecutive ASCII literals ("dependen" in ``dependen(ce|cy)``) and
    groups whose alternatives each have such words ("opioid", "cocaine" … in
    ``(opioid|cocaine)s? use``); the candidate whose shortest word is longest is kept, since longer
    words are rarer. Anything else (a class, a repeat, a lookaround) ends a run and is skipped."""
    candidates: list[tuple[str, ...]] = []
    run = ""
    for op, arg in items:  # type: ignore[attr-defined]
        if op is _sre_constants.LITERAL and chr(arg).isascii():
            run += chr(arg).lower()
            continue
        if run:
            candidates.append((run,))
            run = ""
        if op is _sre_constants.SUBPATTERN:
            body = arg[-1]
            if len(body) == 1 and body[0][0] is _sre_constants.BRANCH:
                alternatives = [_required(branch) for branch in body[0][1][1]]
                if all(alternatives):
                    candidates.append(tuple(dict.fromkeys(w for alt in alternatives if alt for w in alt)))
            else:
                inner = _required(body)
                if inner:
                    candidates.append(inner)
    if run:
        candidates.append((run,))
    if not candidates:
        return None
    return max(candidates, key=lambda ws: (min(len(w) for w in ws), -len(ws)))


def _pattern_words(rx: re.Pattern[str]) -> tuple[str, ...] | None:
    """Words one of which every match of ``rx`` contains (None: no screen for it)."""
    try:
        return _required(_sre_parser.parse(rx.pattern, rx.flags))
    except Exception:  # any surprise from a private parser means: no screen
        return None


# The words of each list, by the list's id (hashing a list hashes every pattern's source, which
# costs more than the screen saves); the list is held so its id stays unique. Lists live as long
# as their rules object, so this grows only when a process loads new rules.
_WORDS: dict[int, tuple[Patterns, tuple[str, ...] | None]] = {}


def words(pats: Patterns) -> tuple[str, ...] | None:
    """Lower-case words one of which every match of ``pats`` contains; None when some pattern of
    the list has no such word (the list cannot be screened)."""
    held = _WORDS.get(id(pats))
    if held is not None and held[0] is pats:
        return held[1]
    found: list[str] = []
    for rx in pats.regexes:
        ws = _pattern_words(rx)
        if ws is None:
            found = []
            break
        found.extend(w for w in ws if w not in found)
    result = tuple(found) if found else None
    if len(_WORDS) > 10_000:  # a process that loads many rule sets stays bounded
        _WORDS.clear()
    _WORDS[id(pats)] = (pats, result)
    return result


def may_match(pats: Patterns, folded: str) -> bool:
    """False only when no pattern of ``pats`` can match the text whose :func:`fold` is ``folded``."""
    ws = words(pats)
    # ``map`` over the bound ``__contains__`` runs the loop in C: a generator expression here cost a
    # Python frame step per word (lists hold a dozen words or more, asked ~60 times per abstract).
    return ws is None or any(map(folded.__contains__, ws))


def screened_any(pats: Patterns, text: str, folded: str) -> bool:
    """``pats.any(text)``, skipping the scan when the screen proves there is no match."""
    return may_match(pats, folded) and pats.any(text)


def screened_search(pats: Patterns, text: str, folded: str) -> re.Match[str] | None:
    """``pats.search(text)``, skipping the scans when the screen proves there is no match."""
    return pats.search(text) if may_match(pats, folded) else None
