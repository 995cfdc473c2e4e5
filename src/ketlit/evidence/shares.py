"""Two readings the direction reader (:mod:`ketlit.evidence.findings`) asks of a clause: whether a fall is counted
as the share of patients who improved, and whether a treatment is named before an association cue.

Kept apart from the reader so each stays within the module size the layering test holds us to; both are pure
functions of the clause (and, for the treatment, the comparator rules).
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.evidence.arms import ArmRules, first_comparator

# The share of patients in whom the symptoms fell ("scores had dropped to mild in 67% of patients", "70% of patients
# showed at least a 50% reduction", "70% of participants experienced 50% or greater reduction", "effective for 80% of
# the patients"): how many improved, a rate of a good outcome (the convention for response rates: increased), not the
# symptoms' mean fall. The share must be the change word's
# own (right after it, or counting those who had "at least a 50% reduction"), not a percentage of another statement
# in the clause ("anxiety decreased, and nausea occurred in 25% of patients").
_PEOPLE: Final = r"(?:patients|participants|subjects|individuals|children|adolescents|adults|women|men|veterans)"
_SHARE_AFTER: Final = re.compile(
    r"(?:(?!and\b|while\b|whereas\b|but\b)[\w-]+ ){0,7}?(?:in|for|among) \d+(?:\.\d+)? ?% of (?:the )?(?:[\w-]+ )?"
    + _PEOPLE
    + r"\b",
    re.IGNORECASE,
)
# A number of people, in figures or words ("28", "seven", "twenty-one"); also the direction reader's (findings.py).
COUNT_WORD: Final = (
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|(?:twenty|thirty|forty|fifty|sixty"
    r"|seventy|eighty|ninety)(?:-\w+)?"
)
# People counted rather than a percentage ("Nine of the 14 patients reported at least a 30% reduction", "Eight of the
# fourteen completers had a reduction of at least 50%").
_COUNT: Final = f"(?:{COUNT_WORD})"
# How a share of patients is said to have got there ("70% of patients showed / experienced / achieved ...").
_IMPROVED_VERB: Final = r" (?:experienced|demonstrated|achieved|showed|had|reported|attained|reached)"
_SHARE_BEFORE: Final = re.compile(
    r"\b(?:\d+(?:\.\d+)? ?%\)?|" + _COUNT + r" (?:of|out of) (?:the )?" + _COUNT + r"(?: [\w-]+)?)"
    r"(?: of (?:the )?(?:[\w-]+ )?"
    + _PEOPLE
    + r")?"
    + _IMPROVED_VERB
    + r" (?:an? )?(?:(?:at least|≥|>=|>|more than|over) ?(?:an? )?\d+ ?%|\d+ ?% or (?:greater|more|higher|larger))"
    r" (?:[\w-]+ )?$",
    re.IGNORECASE,
)
# A clause about how often something happened (an incidence, a rate, events) or about a harm or a vital sign: a share
# there counts the event, not the patients who improved ("the incidence of delirium was reduced in 8% of patients").
_NOT_A_SHARE_IMPROVED: Final = re.compile(
    r"\b(?:incidences?|rates?|occurr\w*|occurred|events?|adverse|side effects?|blood pressure|heart rate|dropouts?|"
    r"delirium|weight|respiratory|withdraw\w*|discontinu\w*)\b",
    re.IGNORECASE,
)


# The threshold said after the change word ("had a reduction of at least 50% in HADS depression score"), the people
# counted before it.
_COUNTED_BEFORE: Final = re.compile(
    r"\b(?:\d+(?:\.\d+)? ?%|"
    + _COUNT
    + r" (?:of|out of) (?:the )?"
    + _COUNT
    + r")(?: [\w-]+)?"
    + _IMPROVED_VERB
    + r" (?:an? )?$",
    re.IGNORECASE,
)
_THRESHOLD_AFTER: Final = re.compile(r" (?:of|by) (?:at least|≥|>=|>|more than|over) ?\d+ ?%")


def share_improved(text: str, start: int, end: int) -> re.Match[str] | None:
    """The share of patients the change word at ``start``-``end`` counts (above), or None."""
    share = _SHARE_AFTER.match(text, end + (text[end : end + 1] == " "))
    if share is None:
        share = _SHARE_BEFORE.search(text, max(0, start - 90), start)
    if share is None and _THRESHOLD_AFTER.match(text, end):
        share = _COUNTED_BEFORE.search(text, max(0, start - 90), start)
    if share is None or _NOT_A_SHARE_IMPROVED.search(text):
        return None
    return share


# A treatment named before "associated with": "Psilocybin was associated with improvements", "Repeated infusions were
# associated with improved outcomes", "Treatment was associated with response in 62%": a treatment's effect (read by
# the evaluative words), not a characteristic's association with the outcome. The configured drug is one such; any
# other drug the comparator lists name, or a word for a treatment, is another. A dose is not: "higher doses were
# associated with greater improvement" is a dose-response association (the labels code it so).
_TREATMENT_WORDS: Final = re.compile(
    r"\b(?:therapy|therapies|treatments?|infusions?|premedication|interventions?|group|arm|"
    r"administration|injections?|sessions?|regimens?)\b",
    re.IGNORECASE,
)
# A comparative says how much of the outcome goes with the characteristic ("higher scores when receiving midazolam
# were associated with less improvement"): an association whatever treatment is named before it.
_COMPARATIVE: Final = re.compile(
    r"\b(?:greater|larger|more|higher|better|faster|stronger|rapid|sustained|less|lower|smaller|poorer|worse|"
    r"slower|weaker|reduced)\b",
    re.IGNORECASE,
)


def treatment_before(text: str, cue: re.Match[str], rules: ArmRules) -> bool:
    """Whether a treatment is named before an association cue without a comparative (above)."""
    if _COMPARATIVE.search(cue.group(0)):
        return False
    end = cue.start()
    return _TREATMENT_WORDS.search(text, 0, end) is not None or first_comparator(text[:end], rules) is not None
