"""A course stated by its count of administrations ("a series of six infusions over two to three weeks", "most people
need four to six infusions"), judged against the courses the counted studies gave.

A page's schedule names no mg figure, so the dose judge has nothing to compare (it said "no dose could be read" for
every such sentence). What a schedule claim asserts is that this is the course patients get, or the one research
used: the studies of the same condition, drug and route that state how many administrations their course had answer
it. Design decisions:

- **Counts, read the same way on both sides.** A count is a number (digits, or two to twelve in words) of
  infusions, injections, sessions, treatments or administrations, a range allowed ("four to six infusions"); "twice a
  week" and other frequencies are the dosing-schedule rules' business, not a count.
- **Only studies that gave a course.** A study that states no count (most single-infusion trials) neither supports
  nor contradicts a course; a study whose count lies in the page's range supports it.
- **The bar is the dose judge's** (``[dose] min_studies`` in ``verdict_rules.toml``): that many studies whose course
  is the page's make it supported, fewer partly supported. Studies that gave courses, none of them the page's, leave it
  insufficient rather than contradicted: a clinic's course may be its maintenance plan, which studies rarely test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import Assessed, Verdict, cite, decisive_of, finish
from ketlit.claims.model import Claim
from ketlit.claims.policy import VerdictPolicy
from ketlit.claims.rules import Rules
from ketlit.numwords import word_number

_NUM: Final = r"(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
# A count of administrations, not a count of people or of doses per unit of time ("two infusions a week").
_COUNT: Final = re.compile(
    rf"\b{_NUM}(?:\s*(?:to|or|-|–|and)\s*{_NUM})?\s+(?:[a-z-]+\s+)?"
    r"(infusions|injections|sessions|treatments|administrations)\b(?!\s+(?:a|per|each|every)\s+(?:day|week|month)\b)",
    re.IGNORECASE,
)


def _int(token: str) -> int | None:
    return int(token) if token.isdigit() else word_number(token.lower())


def course_counts(text: str) -> list[tuple[int, int, str]]:
    """Every course stated in ``text``: (fewest, most administrations, the sentence that states it)."""
    out: list[tuple[int, int, str]] = []
    for m in _COUNT.finditer(text):
        low = _int(m.group(1))
        high = _int(m.group(2)) if m.group(2) else low
        if low is not None and high is not None and 2 <= low <= high <= 40:
            start = text.rfind(". ", 0, m.start()) + 2 if ". " in text[: m.start()] else 0
            end = text.find(". ", m.end())
            out.append((low, high, text[start : end + 1 if end >= 0 else len(text)].strip()))
    return out


def judge_course(claim: Claim, assessed: Sequence[Assessed], rules: Rules, policy: VerdictPolicy, tested: str,
                 reasons: list[str]) -> Verdict | None:
    """The verdict on a course the sentence states by its count, or None when it states none."""
    stated = course_counts(claim.text)
    if not stated:
        return None
    low, high, _ = stated[0]
    routes = set(claim.route)
    molecules = set(claim.molecule or (rules.molecule_default,))
    courses: list[tuple[Assessed, int, int, str]] = []
    for a in assessed:
        if not a.counted or not molecules & set(a.record.axis("molecule")):
            continue
        if routes and not routes & set(a.record.axis("route")):
            continue
        found = course_counts(a.record.abstract)
        if found:
            lo, hi, said = found[0]
            courses.append((a, lo, hi, said))
    same = [c for c in courses if low <= c[2] and c[1] <= high]
    what = f"a course of {low}" + (f"–{high}" if high != low else "") + " administrations"
    reasons = [*reasons, f"the page states {what}"]
    if not courses:
        reasons.append("no counted study of this condition, form and route states how many administrations it gave")
        return finish("insufficient_evidence", None, reasons, [], rules, tested)
    cited = [cite(a, f"course of {lo}" + (f"–{hi}" if hi != lo else "") + f": “{said}”") for a, lo, hi, said in courses]
    verdict = (
        "supported" if len(same) >= policy.dose_min_studies else "partly_supported" if same else "insufficient_evidence"
    )
    reasons.append(
        f"{len(same)} of {len(courses)} counted stud(ies) that state their course gave {what}"
        + ("" if verdict == "supported" else f"; {policy.dose_min_studies} are needed for supported")
    )
    used = [a for a, *_ in same]
    certainty, greasons = grade_studies(used, rules) if used else (None, [])
    decisive = [
        decisive_of(a, "for", f"course of {lo}" + (f"–{hi}" if hi != lo else ""), said) for a, lo, hi, said in same[:3]
    ]
    return finish(verdict, certainty, [*reasons, *greasons], cited, rules, tested, decisive=decisive or None)
