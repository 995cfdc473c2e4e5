"""A page sentence that reports one study it describes ("In a 2014 trial of 41 patients, ketamine cut
PTSD symptoms within a day"): found among the counted records by what the page says of it, and judged
on what that study found, not on the whole body of evidence.

Editors check such a sentence against the study it reports: an accurate report of a real trial is
supported (at the certainty one trial gives), a report that turns a null trial into a positive one is
contradicted, and the body of evidence on the condition does not decide either. A record is the study
described only when it matches a detail the page gives that a coincidence rarely repeats: the sample
size (within 15%, or 2 participants) or the year of publication. Used by rate claims (with the figure
the page quotes as the first detail, :mod:`ketlit.claims.rates`) and efficacy claims
(:mod:`ketlit.claims.efficacy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import Assessed
from ketlit.claims.model import Claim
from ketlit.claims.numbers import sample_size
from ketlit.claims.rules import Rules

_YEAR: Final = re.compile(r"\b(19[6-9]\d|20[0-4]\d)\b")
_REVIEW_WORDS: Final = frozenset({"meta-analysis", "systematic review", "review"})
_TRIAL_WORDS: Final = frozenset({"trial", "rct"})
# One step down the GRADE scale (very serious imprecision takes two in all).
LOWER: Final = {"high": "moderate", "moderate": "low", "low": "very_low"}


def reports_one_study(claim: Claim, rules: Rules) -> bool:
    """Whether the sentence attributes its claim to one study it names ("a 2019 trial", "this
    study") and draws no general conclusion from it."""
    cue = rules.comparative.get("cited_trial")
    beyond = rules.comparative.get("beyond_the_study")
    if beyond is not None and beyond.any(claim.text):
        return False  # "…, proving that it works": a general claim, judged on all the evidence
    return claim.strength == "attributed" and cue is not None and cue.any(claim.text)


def kind_fits(claim: Claim, rules: Rules, review: bool) -> bool:
    """Whether a record (a review or not) is the kind of study the page names: a "meta-analysis" or
    "review" is a review, a "trial" is not, a "study" may be either."""
    cue = rules.comparative.get("cited_trial")
    words = {m.group(m.lastindex or 0).lower() for m in cue.finditer(claim.text)} if cue else set()
    if words and all(w in _REVIEW_WORDS for w in words):
        return review
    if words and all(w in _TRIAL_WORDS for w in words):
        return not review
    return True


def matching_details(record: EvidenceRecord, text: str) -> list[str]:
    """What the page says of its one study that ``record`` matches (its size, its year); empty where
    the record matches none, or contradicts one (another size, a year more than one off: the page's
    study is another). A year one off counts (as half a match, :func:`match_score`): a trial published
    online in December is often cited by its print year."""
    out = []
    # Years out first: "a 2014 trial of 41 patients" would read as 2014 patients.
    said_n = sample_size(_YEAR.sub(" ", text))
    ns = _counts(record)
    if said_n and ns:
        # An abstract states its total and its arms ("676 patients … 336 to esketamine"): any may be the page's.
        near = [n for n in ns if abs(n - said_n) <= max(2, 0.15 * said_n)]
        if not near:
            return []
        out.append(f"n = {near[0]}")
    years = {int(y) for y in _YEAR.findall(text)}
    if years and record.year is not None:
        if record.year in years:
            out.append(f"published {record.year}")
        elif any(abs(record.year - y) == 1 for y in years):
            out.append(f"published {record.year} {_NEAR_YEAR}{'/'.join(str(y) for y in sorted(years))})")
        else:
            return []
    return out


_COUNT: Final = re.compile(
    r"\b[nN]\s*=\s*(\d{1,3}(?:,\d{3})+|\d+)\b|\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:[\w-]+\s+){0,3}?(?:patients|participants"
    r"|subjects|adults|individuals|veterans|people|volunteers|outpatients|inpatients|women|men|children|adolescents)\b",
    re.IGNORECASE,
)


def _counts(record: EvidenceRecord) -> list[int]:
    """Every count of people the record states (its total, its arms, its completers), then the sums of two
    of them (an abstract may give only its arms: "91 of 336 patients … 60 of 340 patients" is a trial of
    676), its registered enrolment last; years are no counts."""
    text = _YEAR.sub(" ", record.abstract)
    found: list[int] = []
    pos = 0
    # Overlapping: "60 of 340 patients" holds two counts, the second inside the first's match.
    while (m := _COUNT.search(text, pos)) is not None:
        n = int((m.group(1) or m.group(2)).replace(",", ""))
        if n >= 2:
            found.append(n)
        pos = m.start() + 1
    first = list(dict.fromkeys(found))[:12]
    sums = [a + b for i, a in enumerate(first) for b in first[i + 1 :]]
    return first + sums + ([record.enrollment] if record.enrollment else [])


_NEAR_YEAR: Final = "(the page says "


def names_no_detail(claim: Claim) -> bool:
    """The page reports one study but gives neither its size nor its year ("In a landmark trial, one infusion
    eased PTSD within a day"): no record can be told to be it, so it is any counted study of the kind it names."""
    return sample_size(_YEAR.sub(" ", claim.text)) is None and _YEAR.search(claim.text) is None


def match_score(details: list[str]) -> float:
    """How closely a record matches the page's study: one per detail, half for a year one off."""
    return sum(0.5 if _NEAR_YEAR in d else 1.0 for d in details)


def closest(claim: Claim, rules: Rules, candidates: Iterable[tuple[EvidenceRecord, bool]]) -> dict[str, list[str]]:
    """The records (``(record, is_review)``) that best match the one study the page reports, of the kind it
    names, by record ID with what they match on; empty when none matches."""
    found = {
        record.id: d
        for record, review in candidates
        if kind_fits(claim, rules, review) and (d := matching_details(record, claim.text))
    }
    best = max((match_score(d) for d in found.values()), default=0.0)
    return {i: d for i, d in found.items() if match_score(d) == best}


def one_study_certainty(a: Assessed, rules: Rules, what: str = "trial") -> tuple[str, list[str]]:
    """Certainty of one study as the page reports it: its design's start, one level for imprecision,
    and one more below the optimal information size."""
    certainty, reasons = grade_studies([a], rules, imprecision=f"one {what}, as the page reports it")
    n = sample_size(a.record.abstract) or a.record.enrollment
    if (n is None or n < rules.optimal_information_size) and certainty in LOWER:
        certainty = LOWER[certainty]
        ois = rules.optimal_information_size
        reasons.append(f"imprecision: one {what} of {n or 'unstated'} participants (< {ois})")
    return certainty, reasons
