"""Relative dose claims: "given at 1/10 to 1/20th the dose for anesthesia" read as a dose.

Design decisions (CLAIMS_REVIEW §3 J, a dose claim stated as a fraction of another dose):

* **A fraction of a named reference dose becomes a dose.** Clinic pages state the treatment dose
  as a fraction of the anaesthetic dose more often than in mg/kg. The fraction alone cannot be
  tested; multiplied by the reference dose the label states, it is an ordinary dose the dosing
  judge compares with what trials used. The reference (``[dosing_reference]`` in
  ``claim_rules.toml``, user-overridable) is data with its source, and the claim's note quotes
  the reading ("'1/10 to 1/20th the dose for anesthesia' read as 0.1–0.2 mg/kg …"), so a reader
  can disagree with it.
* **Only a stated fraction of a named reference.** "A fraction of the dose" states no number, and
  "1/10 of the dose" with no anaesthetic (or other reference) named says nothing about which dose:
  neither is read.
"""

from __future__ import annotations

import re

from ketlit.claims.model import Dose
from ketlit.claims.rules import Rules

# A dose in milligrams or mg/kg ("0.5 mg/kg", "56 to 84 mg"): what a dosing claim states.
# Alternatives are a range too ("56 mg or 84 mg", "56 or 84 mg"): the unit may follow each number.
# "5 mg per kg" and "0.5 milligrams per kilogram" are mg/kg as "0.5 mg/kg" is (a paraphrase test, stop 49: they
# were read as 5 mg).
_UNIT = (
    r"(?:mg\s*/\s*kg|mg/kg|(?:mg|milligrams?)\s+(?:per|a|for each|for every)\s+(?:kg|kilograms?|kilos?)"
    r"|mg|milligrams?)"
)
DOSE = re.compile(
    rf"(?<![\d.])(?P<low>\d+(?:\.\d+)?)\s*(?:(?:(?P<first_unit>{_UNIT})\s*)?(?:to|-|–|and|or)\s*"
    rf"(?P<high>\d+(?:\.\d+)?)\s*)?(?P<unit>{_UNIT})\b",
    re.IGNORECASE,
)


# A weight-based dose in words ("half a milligram of ketamine per kilogram of body weight"): patient pages spell
# out what abstracts print as "0.5 mg/kg".
_AMOUNTS = {"half a": 0.5, "half of a": 0.5, "a half": 0.5, "one half": 0.5, "a quarter of a": 0.25,
            "a quarter": 0.25, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0}  # fmt: skip
WORD_DOSE = re.compile(
    r"\b(?P<amount>half(?: of)? a|a half|one half|a quarter(?: of)? a|a quarter|one|two|three|four|five)\s+"
    r"(?:milligrams?|mg)\s+(?:of\s+[\w-]+\s+)?(?:per|a|for each|for every)\s+(?:kilograms?|kilos?|kg)\b",
    re.IGNORECASE,
)


def word_dose(text: str) -> Dose | None:
    """A weight-based dose ``text`` states in words, read as mg/kg."""
    m = WORD_DOSE.search(text)
    if m is None:
        return None
    value = _AMOUNTS[re.sub(r"\s+", " ", m.group("amount").lower())]
    return Dose(value, value, "mg/kg")


def stated_dose(text: str) -> Dose | None:
    """The first dose ``text`` states in mg or mg/kg, a range when it gives two ("56 mg or 84 mg");
    two numbers in different units ("2 mg or 0.5 mg/kg") are not a range: the first is read. A dose
    in words ("half a milligram per kilogram") is read where no figure is given."""
    m = DOSE.search(text)
    if m is None:
        return word_dose(text)
    unit, first = _per_kg(m.group("unit")), _per_kg(m.group("first_unit") or m.group("unit"))
    low = float(m.group("low"))
    if unit != first:
        return Dose(low, low, "mg/kg" if first else "mg")
    high = float(m.group("high")) if m.group("high") else low
    return Dose(min(low, high), max(low, high), "mg/kg" if unit else "mg")


def _per_kg(unit: str) -> bool:
    """Whether a unit DOSE matched is per kilogram of body weight."""
    unit = unit.lower()
    return "kg" in unit or "kilo" in unit


_WORDS = {"half": 2, "third": 3, "quarter": 4, "fifth": 5, "tenth": 10, "twentieth": 20, "hundredth": 100}
_ONE = r"(?:(\d+)\s*/\s*(\d+)(?:th|st|nd|rd)?|\b(?:one|a)[- ](half|third|quarter|fifth|tenth|twentieth|hundredth))"
_FRACTION = re.compile(
    rf"{_ONE}(?:\s*(?:to|-|–|or)\s*{_ONE})?\s*(?:of\s+)?(?:the\s+|a\s+|an\s+)?(?:usual\s+|typical\s+|standard\s+)?"
    r"(?P<what>(?:\w+\s+){0,2})doses?\b(?P<after>[^.;]{0,40})",
    re.IGNORECASE,
)


def _fraction(num: str | None, den: str | None, word: str | None) -> float | None:
    if word:
        return 1.0 / _WORDS[word.lower()]
    if num and den and int(den) > 0:
        return int(num) / int(den)
    return None


def relative_dose(clause: str, rules: Rules) -> tuple[Dose, str] | None:
    """The dose ``clause`` states as a fraction of a reference dose, with the note saying how it
    was read; None when it states none."""
    for m in _FRACTION.finditer(clause):
        g = m.groups()
        first = _fraction(g[0], g[1], g[2])
        second = _fraction(g[3], g[4], g[5])
        if first is None:
            continue
        after = m.group("after")
        ref, hit = next(
            ((r, h) for r in rules.dose_references if (h := r.patterns.search(f"{m.group('what')} dose{after}"))),
            (None, None),
        )
        if ref is None or hit is None:
            continue
        parts = [first] if second is None else [first, second]
        low, high = min(parts) * ref.dose, max(parts) * ref.dose
        # The words read, up to the reference they name ("1/10 to 1/20th the dose for anesthesia").
        reach = max(0, hit.end() - len(m.group("what")) - len(" dose"))
        quoted = (clause[m.start() : m.end() - len(after)] + after[:reach]).strip()
        amount = f"{low:.3g}" if low == high else f"{low:.3g}–{high:.3g}"
        note = (
            f"'{quoted}' read as {amount} {ref.unit} "
            f"(that fraction of the {ref.name} dose, {ref.dose:g} {ref.unit}: {ref.source})"
        )
        return Dose(round(low, 4), round(high, 4), ref.unit), note
    return None
