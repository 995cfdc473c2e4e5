"""How abstracts print numbers: signs and decimal points made plain, percentages with the counts beside them.

Split from :mod:`ketlit.evidence.numbers` (which re-exports :func:`normalise`, :class:`Rate` and :func:`rates`):
the text normalisation every number reading starts from, and the per-arm rates, which need no measure's name.

- **Minus signs are normalised** (U+2212, en dash before a digit at a number's start) before reading, since
  abstracts use them interchangeably; ranges "2.5-22.8" keep the hyphen as a separator only between two numbers.
  A middle-dot decimal point ("19·45%") becomes a full stop. Lengths are kept, so offsets hold.
- **A rate is a printed percentage** that is not a confidence level or bound, with its events/n when printed right
  by it ("64% (16/25)", "16/25 (64%)"); "53% less likely" is marked relative, not an arm's rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ketlit.evidence.matcher import fold
from ketlit.numwords import PERCENT_WORDS, word_number

_PERCENT: Final = re.compile(
    r"(?<![\d.])(?P<pct>\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b)(?!\s*(?:CI|confidence|CrI|HDI))"
    rf"|\b(?P<words>{PERCENT_WORDS})[- ]percent\b",
    re.IGNORECASE,
)
# The first alternative of _PERCENT alone, its lookbehind moved after the first digit so that
# ``re`` can skip to digits (it cannot with a lookbehind first): the same matches, for text
# without "percent", where the second alternative cannot match.
_PERCENT_DIGITS: Final = re.compile(
    r"(?P<pct>\d(?<![\d.]\d)\d{0,2}(?:\.\d+)?)\s*(?:%|percent\b)(?!\s*(?:CI|confidence|CrI|HDI))", re.IGNORECASE
)


def _word_percent(words: str) -> float:
    value = word_number(words)
    if value is None:  # not reached: _PERCENT's words alternative spells only numbers word_number reads
        raise ValueError(f"not a number: {words!r}")
    return float(value)


# "64% (16/25)" after a percentage, or "16/25 (64%)" / "16 of 25 (64%)" before it.
# Also "64% (n = 16/25)" and "(16/25, 64%)".
_EVENTS_AFTER: Final = re.compile(r"\s*[\[(]\s*(?:n\s*=\s*)?(?P<events>\d+)\s*(?:/|of|out of)\s*(?P<n>\d+)\s*[)\]]")
_EVENTS_BEFORE: Final = re.compile(
    r"(?:(?P<events>\d+)\s*(?:/|of|out of)\s*(?P<n>\d+)\s*(?:patients|participants|subjects)?\s*[\[(]"
    r"|(?<=[\[(])(?P<events2>\d+)\s*/\s*(?P<n2>\d+)\s*[,;])\s*$"
)
_RELATIVE_AFTER: Final = re.compile(
    r"\s*(?:\w+\s+)?(?:less|lower|more|higher|greater|fewer|smaller|larger|reduction|decrease|increase|improvement|"
    r"reduced|increased|decreased|relative)\b",
    re.IGNORECASE,
)
# A percentage inside a confidence interval ("95% CI 2%, 30%") is a bound, not a rate.
_CI_BEFORE: Final = re.compile(r"\b(?:CI|confidence interval|CrI|HDI)\b[^;)\]]{0,20}$", re.IGNORECASE)
# What a match of _CI_BEFORE contains (folded), and the last character before the trailing whitespace of
# a text that _EVENTS_BEFORE matches the end of: cheap tests on a window before a percentage that rule
# out those searches, each tried at every position of the window.
_CI_NEEDS: Final = ("ci", "cri", "hdi", "confidence interval")
# Two arms' rates with the sign printed once, after the second ("17.6 and 8.2% (p < 0.05), ..., respectively", "45
# vs. 20%"): the first number is a percentage too. Only where the words say the two are set side by side: "vs" or
# "versus", or "and" in a sentence that ends the list with "respectively". Not a number that is something else by
# the word before it (a time point, an age, a test, a ratio, a score, a range's end: "at week 2 and 45%", "aged 18 to
# 65 and 60%", "p = 0.03 and", "from 32 to 15 and 40%", "between approximately 20 and 40%"), nor a count with its
# unit ("12 patients and 8%"): the number stands right before the word that joins them.
_PAIRED_BEFORE: Final = re.compile(
    r"(?<![\d.,/])(?P<pct>\d{1,3}(?:\.\d+)?)\s+(?P<join>and|vs\.?|versus)\s+$", re.IGNORECASE
)
_NOT_A_RATE_BEFORE: Final = re.compile(
    r"(?:[=<>≤≥:]\s*|\b(?:days?|weeks?|months?|years?|hours?|h|min|minutes?|time|T|visits?|sessions?|infusions?|age|aged|"
    r"ages|ratio|HR|OR|RR|score|scores|points?|from|to|between|approximately|about|around|reached|n|N|doses?|mg|"
    r"grade|stage|level|step|phase|than)\s+)$",
    re.IGNORECASE,
)
_EVENTS_BEFORE_ENDS: Final = ("(", "[", ",", ";")
_MINUS: Final = re.compile(r"[−‒–—‐‑](?=\d|\.\d)")  # (U+2010 and U+2011, hyphens some publishers print as minus signs)
# U+2212 is a minus sign whatever follows: "− 1.0" is "- 1.0" (then moved onto its number, below). A dash
# followed by a space is left alone: it is as often a range or an aside.
_MINUS_SPACED: Final = re.compile(r"−(?= (?:\d|\.\d))")
# A middle dot between digits is a decimal point ("19·45%", "p=0·92": the Lancet's house style).
_MIDDLE_DOT: Final = re.compile(r"(?<=\d)·(?=\d)")
# "SMD = - 0.89; 95% CI - 1.24; - 0.53": a minus sign set apart from its number, after "=", ":", a
# separator, a bracket or "CI". Moved onto the number (" -0.89", same length, so offsets hold); a
# range's hyphen between two numbers ("2.5 - 22.8") is left alone.
# Starts with a character class (not a lookbehind) so that ``re`` can skip to candidates.
_SPACED_MINUS: Final = re.compile(r"([=:;,(\[I] ?)- (?=\d|\.\d)")


@dataclass(frozen=True, slots=True)
class Rate:
    """A percentage printed in the sentence, with its events/n when given, at its offset."""

    percent: float
    events: int | None
    n: int | None
    start: int
    # "53% less likely", "58.1% lower": a relative change, not an arm's rate.
    relative: bool = False


def normalise(text: str) -> str:
    """Unicode minus signs and dashes before digits become hyphen-minus; a middle-dot decimal point, a full stop."""
    if not text.isascii():
        text = _MIDDLE_DOT.sub(".", _MINUS_SPACED.sub("-", _MINUS.sub("-", text)))
    return _SPACED_MINUS.sub(_move_minus, text) if "- " in text else text


def _move_minus(m: re.Match[str]) -> str:
    """The minus sign moved onto its number ("= - 0.89" to "=  -0.89"), the length kept; "I" only as in "CI"."""
    before = m.group(1)
    if before[0] == "I" and m.string[max(0, m.start() - 1) : m.start() + 1] != "CI":
        return m.group(0)
    return before + " -"


def _events2(m: re.Match[str]) -> tuple[int, int]:
    return int(m.group("events2")), int(m.group("n2"))


def rates(text: str) -> list[Rate]:
    """Percentages in ``text`` that are not CI levels, with events/n printed right by them."""
    out: list[Rate] = []
    has_word = "percent" in fold(text)
    if "%" not in text and not has_word:
        return out  # _PERCENT needs one or the other
    text = normalise(text)
    folded = fold(text)
    for m in (_PERCENT if has_word else _PERCENT_DIGITS).finditer(text):
        start = m.start()
        window = folded[max(0, start - 30) : start]
        if any(map(window.__contains__, _CI_NEEDS)) and _CI_BEFORE.search(text, max(0, start - 30), start):
            continue
        ev = _EVENTS_AFTER.match(text, m.end())
        if ev is None and text[max(0, start - 40) : start].rstrip().endswith(_EVENTS_BEFORE_ENDS):
            ev = _EVENTS_BEFORE.search(text, max(0, start - 40), start)
        events = n = None
        if ev:
            events, n = (int(ev.group("events")), int(ev.group("n"))) if ev.group("events") else _events2(ev)
        pct = float(m.group("pct")) if m.group("pct") else _word_percent(m.group("words"))
        relative = bool(_RELATIVE_AFTER.match(text, m.end()))
        pair = _PAIRED_BEFORE.search(text, max(0, start - 24), start) if ev is None and m.group("pct") else None
        if (
            pair is not None
            and (pair.group("join").lower() != "and" or "respectively" in folded[m.end() :])
            and not _NOT_A_RATE_BEFORE.search(text, max(0, pair.start() - 16), pair.start())
        ):
            out.append(Rate(float(pair.group("pct")), None, None, pair.start("pct"), relative))
        out.append(Rate(pct, events, n, m.start(), relative))
    return out
