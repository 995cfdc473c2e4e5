"""English number words as integers ("seven", "twenty-one", "Forty two", "one hundred").

One table for every reader that meets numbers written as words: the evidence reader's sample
sizes, study counts and percentages ("Sixty-seven percent responded"). Only the words a count in an
abstract is written with (zero to ninety-nine, and one hundred); anything else is not a number.
"""

from __future__ import annotations

import re
from typing import Final

_ONES: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS: Final = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUES: Final[dict[str, int]] = {w: i for i, w in enumerate(_ONES)} | {
    w: 10 * (i + 2) for i, w in enumerate(_TENS)
}
_PARTS: Final = re.compile(r"[- ]")
# A percentage written in words, as pages and abstracts spell them ("Seventy percent", "sixty-seven
# percent", "one hundred per cent"): tens with an optional unit, and the round small ones. One pattern
# fragment for every reader that meets them (the claim reader's rates, the evidence reader's arm rates),
# so that they agree on which words are a figure. A fragment, not a compiled pattern: each reader adds its
# own boundaries and "percent" spellings. Every match is a number word_number reads.
PERCENT_WORDS: Final = (
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|ten|eleven|twelve|fifteen|one hundred"
)


def word_number(words: str) -> int | None:
    """The value of a number written in words, or None.

    Parts joined by a hyphen or a space add up ("twenty-one" 21, as "twenty one"); "one hundred" is
    100. Case does not matter. The caller's pattern decides which word sequences reach here.
    """
    parts = _PARTS.split(words.lower())
    if parts == ["one", "hundred"]:
        return 100
    total = 0
    for part in parts:
        value = WORD_VALUES.get(part)
        if value is None:
            return None
        total += value
    return total
