"""Literal screens: substring tests that prove a case-insensitive regex cannot match a text.

Design decisions:

* **Why.** The number reader (:mod:`ketlit.claims.numbers`) runs at ingest on every record, and
  most sentences name no time, dose or pooled figure. A plain ``word in text`` test is several times
  cheaper than a regex scan; a screen only ever answers "cannot match" (then the regex is not run)
  or "may match" (then the regex decides, as before), so the findings stay exactly the same. The
  screens are written by hand next to their regexes; the claim rules' lists are searched through
  anchored matchers instead (:mod:`ketlit.claims.anchored`).
* **Folding.** A regex compiled with IGNORECASE matches an ASCII letter exactly in the
  characters whose lower case is that letter, plus four: "İ" and "ı" for "i", "ſ" for "s" and the
  Kelvin sign for "k". :func:`fold` maps those four, then lower-cases: wherever such a regex
  matches an ASCII literal, the folded text holds that literal in lower case. Folding keeps every
  character's offset and whether it is a word character, so a slice of a folded text screens the
  same slice of the text. The tests check all three claims on every code point.
"""

from __future__ import annotations

from typing import Final

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
