"""Response definitions and thresholds inside a result clause: who counts as a responder, how a scale reads.

"(≥50% decrease in MADRS)", "Remission, defined as a MADRS score of 10 or less, was achieved", "(higher scores
indicate better function)": the change words in them are no change the study found. The direction reader blanks them
(same length, so offsets hold) before it reads change words, and the count-pair reader takes one as the sign that the
pair counts a good outcome. Kept out of :mod:`ketlit.evidence.findings`, which reads with them.
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.evidence.matcher import fold
from ketlit.evidence.shares import COUNT_WORD

DEFINITION: Final = re.compile(
    r"\([^()]*(?:defined|≥|>=|⩾|at least|≤|<=|⩽)[^()]*\)"
    # "Remission, defined as a MADRS score of 10 or less, was achieved": the outcome is the remission, not the MADRS;
    # "(higher = worse sleep)", "(higher scores indicate better function)": how a scale reads, not a result.
    r"|,\s*defined as [^,;()]{1,80},"
    # "classified as acute responders defined as at least 2-point improvement in headache pain": to the clause's end.
    r"|(?<=\w )(?:defined|operationali[sz]ed) (?:as|by) [^,;()]{1,100}"
    # "Regardless of treatment response, ...": a condition the result holds under, not its outcome.
    r"|\bregardless of [^,;()]{1,60},"
    r"|\([^()]*\b(?:higher|lower)\b[^()]*(?:=|indicat\w*|means?|better|worse)[^()]*\)"
    # "patients showing a reduction in pain scores >50%": who counts as a responder, not a result.
    r"|\b(?:showing|with|achieving|had|having) an? (?:reduction|decrease|improvement|drop)\b[^,;()]{0,40}?"
    r"(?:>|≥|>=|at least|more than|of) ?\d+ ?%"
    # "A 30% or greater reduction in pain was achieved by 17 of 33 patients": the threshold a responder passes, said
    # before the people who passed it (the rise of their share is the result, which the counts and rates read).
    r"|\b(?:an? )?(?:≥|>=|⩾) ?\d+ ?% (?:reduction|decrease|improvement|drop|fall)\b(?=[^,;()]{0,60}?\b(?:was|were) "
    r"(?:achieved|reached|attained|reported|observed|seen|obtained) (?:by|in)\b)"
    r"|\b(?:an? )?\d+ ?% or (?:greater|more|higher|larger) (?:reduction|decrease|improvement|drop|fall)\b"
    r"(?=[^,;()]{0,60}?\b(?:was|were) (?:achieved|reached|attained|reported|observed|seen|obtained) (?:by|in)\b)",
    re.IGNORECASE,
)

# What each form of DEFINITION needs: a bracket and a threshold word, or a percent sign and a
# change word. Checked first (``in``, on the folded clause as IGNORECASE compares): most clauses
# have neither, and the regex would be tried at every character.
_DEFINITION_NEEDS: Final = (
    ("(", ("defined", "≥", ">=", "⩾", "at least", "≤", "<=", "⩽", "higher", "lower")),
    (",", ("defined as", "regardless of")),
    ("ined", ("defined as", "defined by", "operationalized", "operationalised")),
    ("%", ("reduction", "decrease", "improvement", "drop", "fall")),
)

# People counted just before "had a reduction of at least 50%" ("Eight of the fourteen completers had a reduction of at
# least 50% in HADS depression score"): how many improved, a result, not who counts as a responder.
_COUNTED_JUST_BEFORE: Final = re.compile(
    rf"\b(?:{COUNT_WORD}) (?:of|out of) (?:the )?(?:{COUNT_WORD})(?: [\w-]+)? $", re.IGNORECASE
)


def counted_share(text: str, definition: re.Match[str]) -> bool:
    """Whether ``definition`` follows the people it counts ("Eight of the fourteen completers had a reduction of at
    least 50%"): a result, kept."""
    return definition.group(0)[:3].lower() == "had" and bool(
        _COUNTED_JUST_BEFORE.search(text, max(0, definition.start() - 60), definition.start())
    )


def may_define(text: str) -> bool:
    """Whether ``text`` may hold a :data:`DEFINITION` (a cheap test before the regex)."""
    folded = ""
    for char, words in _DEFINITION_NEEDS:
        if char in text:
            folded = folded or fold(text)
            if any(w in folded for w in words):
                return True
    return False


def blank_definitions(text: str) -> str:
    """``text`` with each definition in it blanked (spaces, same length), but those that count people (kept)."""
    return DEFINITION.sub(lambda m: m.group(0) if counted_share(text, m) else " " * len(m.group(0)), text)
