"""What a harm's printed per-arm rates say of it when no word compares the arms (split from
:mod:`ketlit.evidence.adverse`, which asks it of every harm it would otherwise call "present")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal

from ketlit.evidence import numbers as nums
from ketlit.evidence.arms import ArmRules, arm_opening, arms_of, from_rates
from ketlit.numwords import word_number

Compared = Literal["more", "less", "no_difference"]

# A rate that is no arm's: the whole sample's ("15% of patients (ketamine 20%, placebo 10%)", "18% overall") or a
# subgroup's ("12% of ketamine recipients, of whom 50% also had vomiting").
_WHOLE_SAMPLE_AFTER: Final = re.compile(
    r"\s*(?:overall\b|of (?:all )?(?:the )?(?:patients|participants|subjects|children|adults)\b(?: overall)?"
    r"(?!\s+(?:in|receiving|given|treated|who|on|allocated|assigned|randomi[sz]ed)\b))",
    re.I,
)
_SUBGROUP_BEFORE: Final = re.compile(r"\b(?:of|among) (?:whom|these|them|those)\s*,?\s*$", re.I)
_SAID_NOT_SIGNIFICANT: Final = re.compile(
    r"\bnot (?:statistically )?significant\b|\((?:NS|n\.s\.)\)|\bno (?:statistically )?significant difference\b|"
    r"\bdid not (?:reach|achieve) (?:statistical )?significance\b",
    re.I,
)


_RATE_TOKEN: Final = re.compile(r"\d+(?:\.\d+)?\s*(?:%|percent\b)?", re.I)


def _not_an_arms_rate(text: str, rate: nums.Rate) -> bool:
    if _SUBGROUP_BEFORE.search(text, max(0, rate.start - 20), rate.start):
        return True
    token = _RATE_TOKEN.match(text, rate.start)
    return token is not None and _WHOLE_SAMPLE_AFTER.match(text, token.end()) is not None


def by_arm_rates(text: str, rates: Sequence[nums.Rate], rules: ArmRules) -> Compared | None:
    """What a harm's rates say when no word compares the arms: two rates, each tied to a named arm ("in 4.6% of the
    esketamine arm and 1.4% of the placebo arm", "25% of ECT-treated and 6% of ketamine-treated patients"), are more
    or less with the drug, as the labels read a difference printed without a test (a test that is not significant
    was read before this: no difference); the same rate in both arms is no difference. The arms are read as the
    direction reader reads them (:func:`ketlit.evidence.arms.from_rates`): a rate's arm is the one named right
    after it, else right before it, so two rates of one arm at two times compare nothing."""
    usable = [r for r in rates if not r.relative and not _not_an_arms_rate(text, r)]
    if len(usable) < 2:
        return None
    if _SAID_NOT_SIGNIFICANT.search(text, usable[0].start):
        return "no_difference"  # "20% vs 18% (not significant)", "...; this difference was not significant"
    sign = from_rates(text, usable, rules)
    if sign is not None:
        return "more" if sign > 0 else "less"
    if usable[0].percent == usable[1].percent and sorted(map(str, arms_of(text, usable[:2], rules))) == [
        "comparator",
        "intervention",
    ]:
        return "no_difference"
    return None


# People counted in each arm, the harm's only numbers ("Hypoxemia occurred in 3 patients in group S and 11 patients in
# group P", "in 9 children receiving ketamine and in none receiving dexmedetomidine", "No child in the ketamine group
# developed hypotension, while 5 children receiving dexmedetomidine did"): the count, then the arm named right after it.
_COUNTED_ARM: Final = re.compile(
    r"\b(?P<n>\d+|no|none|zero|one|two|three|four|five|six|seven|eight|nine|ten)(?! ?%)(?:\s*\(\d+(?:\.\d+)?\s*%\))?"
    r"(?: of (?:the )?\d+)?(?: (?:patients?|child(?:ren)?|participants?|parturients?|wom[ae]n|m[ae]n|subjects?|cases?|"
    r"infants?|adults?))?(?: (?:in|receiving|given|treated with|of|from|after|with))? (?:the )?",
    re.I,
)


def by_arm_counts(text: str, rules: ArmRules) -> Compared | None:
    """More or less by the people counted in each arm, where the sentence counts them in both (equal arms assumed, as
    a trial's are by design; a count of none in both is no comparison). None: not two arms counted."""
    counted: dict[str, int] = {}
    for m in _COUNTED_ARM.finditer(text):
        arm = arm_opening(text[m.end() : m.end() + 40], rules, reach=0)
        if arm is None or arm in counted:
            continue
        word = m.group("n").lower()
        counted[arm] = int(word) if word.isdigit() else 0 if word in ("no", "none", "zero") else word_number(word) or 0
    if len(counted) < 2 or counted["intervention"] == counted["comparator"] == 0:
        return None
    if counted["intervention"] == counted["comparator"]:
        return "no_difference"
    return "more" if counted["intervention"] > counted["comparator"] else "less"


# People counted: "3 patients", "13 of 17"; the denominators of "n of N" counts; what makes a count no event count.
_PEOPLE: Final = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten) (?:of (?:the )?\d+ )?"
    r"(?:patients?|participants?|subjects?|children|women|men|cases|parturients?|infants?|adults?)\b"
    r"|\b\d+ (?:of|out of) \d+\b",
    re.IGNORECASE,
)
_DENOMINATOR: Final = re.compile(r"\b\d+ (?:of|out of) (\d+)\b", re.IGNORECASE)
_NOT_EVENTS: Final = re.compile(r"\b(?:not|no|without|failed|none)\b|\bby \d|\bpoints?\b", re.IGNORECASE)


def counts_people(text: str) -> bool:
    """Whether a clause counts people in each arm as its result (for the finding reader, which also asks that no
    change word decides it: "Among 22 patients given ketamine and 18 given midazolam, MADRS scores fell more" gives the
    arms' sizes). Not changes by points ("fell by 15 after ketamine and by 7 after midazolam"), not a denied event,
    and with one denominator ("10 of 40 ... and 8 of 16" are rates the counts alone misstate)."""
    if not _PEOPLE.search(text) or _NOT_EVENTS.search(text):
        return False
    return len(set(_DENOMINATOR.findall(text))) <= 1
