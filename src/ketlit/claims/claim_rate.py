"""How a clinic sentence states a rate of patients ("over 60%", "7 out of 10 veterans", "half of patients"), and
whether a clause holds one that is a share of patients helped, not a change in risk or in scores.

Split from :mod:`ketlit.claims.extract`, which asks it of every clause.
"""

from __future__ import annotations

import re

from ketlit.claims.numbers import parse_count
from ketlit.claims.rules import Rules
from ketlit.numwords import PERCENT_WORDS, word_number

_PCT = re.compile(
    r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(\d{1,3}(?:\.\d+)?)\s*)?(?:%|percent\b|per cent\b)", re.IGNORECASE
)
# "7 out of 10 (veterans)", "one of every three", "8 in 10 patients": "out of" and "of every" are a
# proportion with or without a noun after; "in" only before who is counted ("1 in 3 people").
_WHO = (r"(?:patients|people|clients|individuals|adults|users|cases|veterans|participants|subjects|sufferers"
               r"|women|men|teens|adolescents|children|responders)")
_OUT_OF = re.compile(
    rf"\b(\w+(?:-\w+)?)\s+(?:(?:out\s+of|of\s+every)\s+(\w+)\b|in\s+(\w+)\s+(?:\w+\s+)?{_WHO}\b)",
    re.IGNORECASE,
)
# Rates in words: "half of patients", "two-thirds of people".
_FRACTIONS = {"half": 50.0, "a third": 33.3, "one third": 33.3, "two thirds": 66.7, "a quarter": 25.0,
              "one quarter": 25.0, "three quarters": 75.0}  # fmt: skip
_FRACTION = re.compile(
    r"\b(half|a third|one[- ]third|two[- ]thirds|a quarter|one[- ]quarter|three[- ]quarters)\s+(of\s+)?(the\s+|all\s+)?"
    r"(patients|people|clients|individuals|adults|participants|users|those|them|sufferers)\b"
    # The share as the subject of what happens to patients ("About half go on to reach remission").
    r"|(?<![\w-])(?<!the )(half|a third|one[- ]third|two[- ]thirds|a quarter|one[- ]quarter|three[- ]quarters)\s+"
    r"(?=(?:go on to|goes on to|went on to|reach|reached|achieve|achieved|respond|responded|remit|remitted|recover"
    r"|recovered|improve|improved|experience|experienced|feel|felt|report|reported|see|saw|get|got)\b)",
    re.IGNORECASE,
)

# A percentage in words ("Seventy percent of patients", "about sixty-five per cent"): as its digits would be. Without
# it the sentence lost its figure and was judged as a plain "it works" claim (a paraphrase test, stop 48).
_PCT_WORDS = re.compile(
    rf"\b({PERCENT_WORDS})\s*(?:percent\b|per cent\b|%)",
    re.IGNORECASE,
)


def rate_in(text: str) -> tuple[float, float | None, int, int] | None:
    """The first rate on the page: (value, upper value of a range, start, end)."""
    m = _PCT.search(text)
    if m:
        high = float(m.group(2)) if m.group(2) else None
        return float(m.group(1)), high, m.start(), m.end()
    w = _PCT_WORDS.search(text)
    if w and (value := word_number(w.group(1))) is not None:
        return float(value), None, w.start(), w.end()
    f = _FRACTION.search(text)
    if f:
        # "More than half of patients …": a rate in words ("more than" is read by _op_before).
        return _FRACTIONS[re.sub(r"[- ]+", " ", (f.group(1) or f.group(5)).lower())], None, f.start(), f.end()
    o = _OUT_OF.search(text)
    if o:
        a, b = parse_count(o.group(1)), parse_count(o.group(2) or o.group(3))
        if a is not None and b and 0 < a <= b:
            return round(100.0 * a / b, 1), None, o.start(), o.end()
    return None


_RELATIVE_BEFORE = re.compile(
    r"\b(?:reduc|lower|cut|decreas|halv|increas|rais)\w* (?:the |their |a patient.s )?(?:risk|odds|likelihood|chances?|"
    r"hazard|rate) of (?:[\w-]+ ){0,4}by (?:about |approximately |nearly |almost |roughly |around |up to |over )?$",
    re.IGNORECASE,
)


_CHANGE_BY = re.compile(
    r"\b(?:fall|falls|fell|drop|drops|dropped|declin\w*|reduc\w*|cut|decreas\w*|improv\w*|lower\w*|halv\w*) by "
    r"(?:about |approximately |nearly |almost |roughly |around |up to |over |more than |at least )?$",
    re.IGNORECASE,
)


def has_rate(clause: str, rules: Rules) -> bool:
    rate = rate_in(clause)
    if rate is None:
        return False
    if "relative_risk" in rules.cues and rules.cues["relative_risk"].any(clause[rate[3] :]):
        return False  # "51% less likely to relapse": a relative change in risk, not a rate of patients
    if _RELATIVE_BEFORE.search(clause[max(0, rate[2] - 80) : rate[2]]):
        return False  # "reduced the risk of relapse by 51%": the same change, stated before its size
    if _CHANGE_BY.search(clause[max(0, rate[2] - 40) : rate[2]]):
        return False  # "scores fall by about 50%": how far symptoms fell, not a share of patients
    window = clause[max(0, rate[2] - 60) : rate[3] + 80]
    adverse = rules.cues["safety"].any(window) and not rules.cues["efficacy"].any(window)
    return not adverse and (rules.cues["efficacy"].any(clause) or any(o.patterns.any(clause) for o in rules.outcomes))
