"""Reading a regulatory claim: its topics (approval, schedule, legal status …), the schedule and year it
states, whether it denies them, and the uses an approval names.

Design decisions:

* **The statement's own year.** A sentence may date other things ("first synthesized in 1962 and
  approved by the FDA in 1970"): the year is the first after the main topic's cue, else the
  nearest before it.
* **The affirmed schedule.** "not a Schedule II drug; it is Schedule III" claims Schedule III; a
  sentence that only denies a schedule ("is not a Schedule I drug") is a negated schedule claim.
  A schedule is kept as the law's words name it: a Schedule by its numeral ("III", as before),
  any other scheme with its word ("Class B"), so the judge compares it only within its scheme.
* **Uses named where approval is spoken of.** Only the part of the sentence around the approval
  words names approved uses ("approved as an anesthetic, and used off-label for depression"); a
  sentence naming none is read as about the page's conditions only when its subject is the
  clinic's own service (CLAIMS_REVIEW §3 J/K).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ketlit.claims.assertion import checkability_cue
from ketlit.claims.context import PageContext
from ketlit.claims.context import indications_in as _indications
from ketlit.claims.model import RegulatoryAssertion
from ketlit.claims.rules import Rules

_ROMAN: dict[str, str] = {
    "1": "I",
    "2": "II",
    "3": "III",
    "4": "IV",
    "5": "V",
    "I": "I",
    "II": "II",
    "III": "III",
    "IV": "IV",
    "V": "V",
}


def _designation(match: re.Match[str]) -> str:
    """The schedule a match names: a Schedule by its Roman numeral ("Schedule 3" → "III"), any other
    scheme by its word and value ("class B" → "Class B"), whatever the rules' pattern groups."""
    words = match.group(0).split()
    scheme, value = words[0].lower(), words[-1].upper()
    value = _ROMAN.get(value, value)
    return value if scheme == "schedule" else f"{scheme.title()} {value}"


def _approval_indications(sentence: str, rules: Rules) -> tuple[list[str], bool]:
    """Indications in the part of the sentence that speaks of approval ("as an anesthetic agent"),
    and whether one of them is qualified by a later one (see :func:`_narrowed`)."""
    approval = rules.regulatory.get("approval")
    negation = rules.regulatory.get("negation")
    off_label = rules.regulatory.get("off_label")
    # An approval denied ("The FDA has not approved ketamine to treat depression") names its use as one granted does;
    # without the negation's words as cues that use was lost, and the claim read as "not approved for anything".
    cues = [*(approval.finditer(sentence) if approval else []), *(negation.finditer(sentence) if negation else [])]
    if not cues and _REGULATOR.search(sentence):
        # An approval in words the rules do not know ("has the FDA's blessing for depression"): the uses the sentence
        # names are the approval's, not none (checked as "the drug has approvals", it was supported whatever the use).
        # Only where a regulator is named: "Spravato carries a boxed warning for sedation" names no approval's use.
        if found := _indications(sentence, rules):
            narrowed = _narrowed(sentence, found, rules)
            return narrowed, len(narrowed) < len(found)
        return [], False
    parts = re.split(r",|;|\bwhile\b|\bbut\b|\bwhereas\b", sentence)
    pos = 0
    # Every part that speaks of approval: "Because ketamine has been FDA-approved for fifty years, using it for
    # anxiety is fully FDA-sanctioned" names the use in its second approval, not its first.
    for i, part in enumerate(parts):
        start = sentence.find(part, pos)
        end = start + len(part)
        pos = end
        if not any(start <= m.start() < end for m in cues):
            continue
        # "approved for depression, including the depressive episodes of bipolar disorder": the uses the list goes
        # on to name are approved uses the sentence claims too.
        for more in parts[i + 1 :]:
            own_use = _NOT_THE_LIST.search(more) or (off_label is not None and off_label.any(more))
            if not _LIST_GOES_ON.match(more) or own_use:
                break
            part += "," + more
        if found := _indications(part, rules):
            narrowed = _narrowed(part, found, rules)
            return narrowed, len(narrowed) < len(found)
        if _THAT_USE.search(part):
            # "legal to prescribe off-label for depression, even though the FDA has not approved it for that use":
            # the use referred back to is the one the sentence names.
            return _indications(sentence, rules), False
    return [], False


# A regulator named by its name ("FDA", "MHRA", "Health Canada"): a sentence about its decision.
_REGULATOR = re.compile(
    r"\b(?:FDA|food and drug administration|MHRA|EMA|TGA|Health Canada|European Medicines Agency|Therapeutic Goods"
    r" Administration|Medicines and Healthcare products Regulatory Agency)\b",
    re.IGNORECASE,
)
# A part that goes on with the list of uses an approval names.
_LIST_GOES_ON = re.compile(
    r"\s*(?:including|such as|especially|particularly|in particular|as well as)\b", re.IGNORECASE
)
# A part about the clinic's own use, not the regulator's list ("…, as well as used for depression"; an off-label
# use, by the rules' off_label words, is not the list either).
_NOT_THE_LIST = re.compile(r"\b(?:we|our)\b|\bused\b", re.IGNORECASE)
# An approval's use named by reference to one the sentence already gave.
_THAT_USE = re.compile(r"\bfor (?:that|this|such|the same) (?:use|purpose|indication|condition)\b", re.IGNORECASE)


# What makes a later condition qualify an earlier one: "depression in adults WITH suicidal thoughts".
_QUALIFIER = re.compile(r"\b(with|who (have|has|are|is)|experiencing|at (imminent )?risk of)\b", re.IGNORECASE)


def _narrowed(part: str, found: list[str], rules: Rules) -> list[str]:
    """The uses an approval names, a condition qualified by a later one read as the narrower use:
    "for depressive symptoms in adults with major depressive disorder who have acute suicidal
    thoughts" names the suicidality indication, not depression at large ("for depression and
    anxiety" names both)."""
    first = {slug: m.start() for slug in found if slug in rules.indications
             and (m := rules.indications[slug].search(part)) is not None}
    return [a for a in found if not any(
        b != a and a in first and b in first and first[a] < first[b] and _QUALIFIER.search(part[first[a]:first[b]])
        for b in found
    )]


_NOT_BEFORE = re.compile(r"\b(?:not|never|isn.t|no longer)\s+(?:an?\s+)?$", re.IGNORECASE)


def _regulatory_year(sentence: str, topics: Sequence[str], rules: Rules) -> re.Match[str] | None:
    """The year the regulatory statement gives: the first after its cue ("first synthesized in 1962
    and approved by the FDA in 1970" is approved in 1970), else the nearest before it ("In 2019 the
    FDA approved …"). A sentence's first year may date something else entirely."""
    years = list(rules.year_rx.finditer(sentence))
    if len(years) < 2 or not topics:
        return years[0] if years else None
    # The cue of the statement's main topic (a schedule when one is named, as judged).
    main = topics[0]
    cue = rules.schedule_rx.search(sentence) if main == "schedule" else (
        rules.regulatory[main].search(sentence) if main in rules.regulatory else None)
    if cue is None:
        return years[0]
    after = [y for y in years if y.start() >= cue.start()]
    return after[0] if after else years[-1]


def read_regulatory(clause: str, sentence: str, ctx: PageContext, rules: Rules) -> RegulatoryAssertion:
    """What a regulatory clause asserts (see the module docstring)."""
    reg = rules.regulatory
    # "hta": a health-technology-assessment body's decision is its own topic, never a default approval claim.
    names = ("approval", "controlled", "off_label", "legal", "compounded", "rems", "hta", "combination")
    topics: list[str] = [name for name in names if name in reg and reg[name].any(clause)]
    # "not a Schedule II drug; it is Schedule III": the schedule the sentence affirms is its claim;
    # a sentence that only denies one ("is not a Schedule I drug") is a negated schedule claim.
    scheds = list(rules.schedule_rx.finditer(clause))
    denied = [_NOT_BEFORE.search(clause[max(0, m.start() - 12) : m.start()]) is not None for m in scheds]
    sched = next((m for m, d in zip(scheds, denied, strict=True) if not d), scheds[0] if scheds else None)
    schedule = None
    if sched:
        topics.insert(0, "schedule")
        schedule = _designation(sched)
    year = _regulatory_year(sentence, topics, rules)
    negated = ("negation" in reg and reg["negation"].any(clause)) or bool(scheds and all(denied))
    # No topic of its own is an approval claim (the default below): "The FDA has not approved ketamine to treat
    # depression" has only the negation's words, and its use must still be read.
    about_approval = "approval" in topics or not topics
    approval_for, qualified = _approval_indications(sentence, rules) if about_approval else ([], False)
    inferred = False
    # An approval sentence naming no use is read as about the page's conditions only when its
    # subject is the clinic's own service ("Our ketamine treatment is FDA-approved" on a depression
    # clinic's page); "Ketamine is FDA-approved" imports nothing (CLAIMS_REVIEW §3 J/K).
    service = checkability_cue("service_reference", sentence, rules)
    if about_approval and not approval_for and ctx.indications and service:
        approval_for, inferred = list(ctx.indications), True
    return RegulatoryAssertion(
        topics=tuple(dict.fromkeys(topics)) or ("approval",),
        negated=negated,
        schedule=schedule,
        year=int(year.group(2)) if year else None,
        year_relation=year.group(1).lower() if year else None,
        approval_indications=tuple(approval_for),
        approval_inferred=inferred,
        approval_qualified=qualified,
    )
