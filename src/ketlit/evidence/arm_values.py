"""Two arms' values of a continuous outcome, each with its arm named, read as which arm had more.

"Median time to adequate sedation was 5 minutes (IQR 3-8) with ketamine and 13 minutes (IQR 8-20) with
haloperidol-midazolam (P < .001)", "Morphine consumption was 12 mg in the ketamine group and 20 mg in the
control group (P = 0.003)": no word says which way, the two values do. Rates (percentages) and counts of people
have their own readers (:func:`ketlit.evidence.arms.from_rates`, :mod:`ketlit.evidence.harm_rates`); this one
reads plain values, and only where the reader has nothing else to go on: a significant p printed (the caller's
condition), no change or evaluation word in the clause (a change's size is no level: "fell by 15 points with
ketamine and 8 with placebo" is a greater fall, which the change words read), no baseline or demographic
characteristic, and exactly one value for each of the two arms.

Design decisions:
- **Which numbers are values.** Numbers in brackets (spreads, intervals, ranges, group sizes) are blanked first;
  a number after a timepoint word ("at 24 h", "day 1", "week 4"), after ``=``/``<``/``>`` (test statistics, p, n),
  before a percent sign, "of" or "/" (rates and counts), or before a dose per weight ("0.5 mg/kg") is not a value.
- **Arms named after their values** (see :func:`_arms`), not before them as a rate's may be: a drug named before the
  values is most often the outcome ("morphine consumption").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Protocol

from ketlit.evidence.arms import ArmRules, arm_near, arms_in_order
from ketlit.evidence.matcher import TextPattern


class ValueRules(ArmRules, Protocol):
    """What reading arms' values needs of the finding rules: the arms, and the words that say a change."""

    @property
    def increase(self) -> TextPattern: ...
    @property
    def decrease(self) -> TextPattern: ...
    @property
    def improve(self) -> TextPattern: ...
    @property
    def worsen(self) -> TextPattern: ...
    @property
    def superior(self) -> TextPattern: ...


_BRACKETED: Final = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# A signed value keeps its sign ("mean change -19.6 with esketamine and -15.7 with placebo"); a hyphen after a word
# or a number is a range or a compound, not a minus.
_NUMBER: Final = re.compile(
    r"(?:(?<![\w.,/:=<>≤≥±−–-])[−–-]|(?<![\w.,/:=<>≤≥±−–-]))\d+(?:\.\d+)?(?![\w.,/:%-]*\d)"
    r"(?!\s*(?:%|percent\b|of\b|out of\b|/))"
    # Not a count of people ("16 ketamine-treated participants", "12 patients").
    r"(?!\s+(?:[\w-]+\s+)?(?:participants?|patients?|subjects?|children|women|men|adults|individuals|cases|people)\b)"
)
# A word just before a number that makes it a timepoint, an ordinal or a statistic, not a value.
_NOT_A_VALUE_BEFORE: Final = re.compile(
    r"\b(?:at|after|within|before|by|over|for|during|until|from|to|on|day|days|week|weeks|month|months|hour|hours|"
    r"visit|session|sessions|infusion|infusions|dose|doses|grade|phase|stage|n|N|aged?|of|in|among|than)\s+$"
    r"|[=<>≤≥±]\s*$",
)
_PER_WEIGHT_AFTER: Final = re.compile(r"\s*(?:mg|µg|μg|mcg|g|ml|mL)\s*/\s*kg\b")
# Values before the drug (baseline, screening, pre-infusion or pre-operative scores, who the patients were), and a p
# that is not the arms' comparison (within a group, over time, against pre-treatment values).
_BASELINE: Final = re.compile(
    r"\b(?:baseline|ages?d?|years?|BMI|body mass|weight|height|education|demographics?|characteristics?|"
    r"sex|gender|duration of (?:illness|disease|depression)|screening|enrol?lment|admission|ASA|"
    r"since (?:diagnosis|onset)|"
    r"pre-?(?:infusion|treatment|operative|op|randomi[sz]ation|dose|intervention|surgery|procedure)|preoperatively|"
    r"within[- ](?:groups?|subjects?|patients?)|for time|time effects?|over time|prior|previous|history)\b"
    r"|\b(?:vs\.?|versus|compared (?:with|to)|relative to|from) (?:the )?(?:pre|baseline)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Value:
    """One arm's value of the outcome: where it is printed and what it is."""

    start: int
    value: float


def values(text: str) -> list[Value]:
    """The plain values printed in ``text`` outside brackets (see the module docstring for what is not one)."""
    plain = _BRACKETED.sub(lambda m: " " * len(m.group(0)), text)
    out: list[Value] = []
    for m in _NUMBER.finditer(plain):
        timepoint = _NOT_A_VALUE_BEFORE.search(plain, max(0, m.start() - 12), m.start())
        if timepoint is not None or _PER_WEIGHT_AFTER.match(plain, m.end()):
            continue
        out.append(Value(m.start(), float(m.group(0).replace("−", "-").replace("–", "-"))))
    return out


def from_values(text: str, rules: ValueRules) -> int | None:
    """+1 / -1 when the clause prints one value for the drug's arm and one for the comparator's and the drug's is
    higher / lower; None when it does not, or when a change, evaluation or comparison word or a baseline
    characteristic is in the clause."""
    words = (rules.increase, rules.decrease, rules.improve, rules.worsen, rules.superior)
    if _BASELINE.search(text) or any(w.search(text) for w in words):
        return None
    found = values(text)
    if len(found) != 2 or found[0].value == found[1].value:
        return None
    a1, a2 = _arms(text, found[0].start, found[1].start, rules)
    if a1 is None or a2 is None or a1 == a2:
        return None
    mine, theirs = (found[0], found[1]) if a1 == "intervention" else (found[1], found[0])
    return 1 if mine.value > theirs.value else -1


def _arms(text: str, first: int, second: int, rules: ArmRules) -> tuple[str | None, str | None]:
    """Each value's arm, named after it: "5 minutes with ketamine and 13 minutes with haloperidol", or in order before
    "respectively" ("12 mg and 20 mg in the ketamine and control groups, respectively"). An arm named before the values
    is not theirs: it is most often the outcome ("Morphine consumption was 12 mg in the ketamine group and ...")."""
    respectively = text.lower().find("respectively", second)
    if respectively >= 0:
        named = arms_in_order(text, second, respectively, rules)
        return (named[0], named[1]) if len(named) >= 2 else (None, None)
    return arm_near(text, first, second, rules, last=False), arm_near(text, second, len(text), rules, last=False)
