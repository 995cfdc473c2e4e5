"""GRADE certainty for a body of evidence, with one footnote per downgrade.

Design decisions:

* **Inherit before computing.** When the decisive evidence is a systematic review (or a pinned
  reference-standard entry) that states a GRADE certainty, that certainty is the answer: the
  review's authors graded the same body with more information than an abstract gives.
* **Otherwise start by design, then downgrade per domain.** Randomised evidence starts high,
  observational or single-arm evidence low; each domain with a problem lowers it one level and
  adds one footnote: risk of bias (every RCT open-label; every RCT against an inert placebo where
  the drug's dissociation unblinds; no control group at all), inconsistency (null trials make up
  a set share of the directional ones), imprecision (fewer participants than the optimal
  information size), indirectness (every study differs from the claim in population, product,
  route, outcome or comparator), publication bias (completed registered trials with neither
  posted results nor a linked publication).
* **Never "high" from a design tag alone.** A synthesis is capped at the verdict rules'
  ``max_synthesised_certainty``; only a review or a regulator that states "high" gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.judging import CERTAINTY, HIGH_DESIGNS, Assessed
from ketlit.claims.numbers import sample_size
from ketlit.claims.policy import VerdictPolicy, level, packaged_policy
from ketlit.claims.rules import Rules


@dataclass(frozen=True, slots=True)
class StudyFacts:
    """What grading needs of one counted study (one vote)."""

    assessed: Assessed
    controlled: bool
    n: int | None
    blinding: str | None
    comparator_kind: str | None


def unpublished_trials(records: Sequence[EvidenceRecord]) -> list[EvidenceRecord]:
    """Completed registered trials with no posted results and no linked publication."""
    return [
        r
        for r in records
        if r.source == "ctgov"
        and (r.status or "").upper() == "COMPLETED"
        and not r.has_results
        and not any(x.isdigit() for x in r.linked_ids)
    ]


def _publication_bias(records: Sequence[EvidenceRecord], policy: VerdictPolicy) -> str | None:
    completed = [r for r in records if r.source == "ctgov" and (r.status or "").upper() == "COMPLETED"]
    silent = unpublished_trials(records)
    if len(silent) >= policy.unpublished_min and len(silent) >= policy.unpublished_share * len(completed):
        ids = ", ".join(r.id for r in silent[:5])
        return (
            f"publication bias: {len(silent)} of {len(completed)} completed registered trials have neither posted "
            f"results nor a linked publication ({ids})"
        )
    return None


def _unblinding(inert: int, rcts: int) -> str:
    """The functional-unblinding downgrade in one phrase (a footnote on a card)."""
    return (f"risk of bias: functional unblinding — {inert} of {rcts} RCTs had an inert placebo, "
            "which dissociation gives away")


def _risk_of_bias(studies: Sequence[StudyFacts], unblinding: bool) -> str | None:
    rcts = [s for s in studies if s.controlled]
    if not rcts:
        return "risk of bias: no control group — uncontrolled studies cannot separate the drug from expectation"
    if all(s.blinding == "open" for s in rcts):
        return f"risk of bias: all {len(rcts)} controlled stud(ies) open-label"
    inert = [s for s in rcts if s.comparator_kind == "inert_placebo" or s.assessed.unblinded]
    if unblinding and len(inert) == len(rcts):
        return _unblinding(len(inert), len(rcts))
    return None


def grade_body(
    studies: Sequence[StudyFacts],
    rules: Rules,
    policy: VerdictPolicy,
    *,
    candidates: Sequence[EvidenceRecord] = (),
    inconsistency: str | None = None,
    unblinding: bool = False,
) -> tuple[str | None, list[str]]:
    """Certainty of a body of studies without a review that states one, and the footnotes."""
    if not studies:
        return None, ["no counted studies"]
    notes: list[str] = []
    controlled = [s for s in studies if s.controlled]
    start = 3 if controlled else 1
    if not controlled:
        notes.append("starts low: no randomised controlled evidence")
    downgrades = [
        _risk_of_bias(controlled or studies, unblinding),
        f"inconsistency: {inconsistency}" if inconsistency else None,
    ]
    weighed = controlled or studies
    total = sum(s.n or 0 for s in weighed)
    if total < rules.optimal_information_size:
        # A study whose abstract gives no n adds nothing to the total; say so rather than print
        # "about 0 participants", which reads as an empty study.
        unknown = sum(1 for s in weighed if not s.n)
        size = (f"about {total} participants" if not unknown
                else "participants not reported" if unknown == len(weighed)
                else f"about {total} participants in the {len(weighed) - unknown} that report n")
        downgrades.append(f"imprecision: {len(weighed)} stud(ies), {size} (< {rules.optimal_information_size})")
        if 0 < total < rules.optimal_information_size / 4:
            # Very serious imprecision (GRADE): a body of a few dozen participants loses two levels.
            quarter = rules.optimal_information_size // 4
            downgrades.append(f"imprecision, very serious: fewer than {quarter} participants")
    if all(s.assessed.indirect for s in studies):
        why = sorted({w for s in studies for w in s.assessed.indirect})
        downgrades.append(f"indirectness: {'; '.join(why)}")
    downgrades.append(_publication_bias(candidates, policy))
    found = [d for d in downgrades if d]
    notes.extend(found)
    value = max(0, start - len(found))
    cap = level(policy.max_synthesised_certainty)
    if value > cap:
        value = cap
        notes.append(f"capped at {policy.max_synthesised_certainty}: no review or regulator states a higher certainty")
    return CERTAINTY[value], notes


def start_level(designs: Sequence[str], rules: Rules) -> int:
    """Where certainty starts for the best design among ``designs``."""
    best = max((rules.design_rank.get(d, 0) for d in designs), default=0)
    if best >= rules.design_rank.get("rct", 5):
        return 3
    if best >= rules.design_rank.get("observational", 3):
        return 1
    return 0


def grade_studies(
    used: Sequence[Assessed],
    rules: Rules,
    *,
    inconsistency: str | None = None,
    imprecision: str | None = None,
    policy: VerdictPolicy | None = None,
) -> tuple[str, list[str]]:
    """Certainty of studies counted by design (rates, times, safety, dosing), with footnotes; never
    above the synthesis cap, since a design tag alone is no grade."""
    policy = policy or packaged_policy()
    reasons: list[str] = []
    value = start_level([a.design for a in used], rules)
    designs = {a.design for a in used}
    if value < 3:
        reasons.append(
            "no randomised trials or systematic reviews among the counted studies" if designs else "no counted studies"
        )
    rcts = [a for a in used if a.design == "rct"]
    unblinded = [a for a in rcts if a.unblinded]
    if rcts and len(unblinded) == len(rcts):
        reasons.append(_unblinding(len(unblinded), len(rcts)))
        value -= 1
    if inconsistency:
        reasons.append(f"inconsistency: {inconsistency}")
        value -= 1
    if used and all(a.indirect for a in used):
        reasons.append(f"indirectness: {'; '.join(sorted({w for a in used for w in a.indirect}))}")
        value -= 1
    if imprecision:
        reasons.append(f"imprecision: {imprecision}")
        value -= 1
    unindexed = [a for a in used if a.record.source == "pubmed" and not a.record.indexed]
    if unindexed:
        reasons.append(
            f"{len(unindexed)} counted record(s) not yet MEDLINE-indexed: "
            "design read from title/abstract, not publication types"
        )
    cap = level(policy.max_synthesised_certainty)
    if value > cap:
        value = cap
        reasons.append(
            f"capped at {policy.max_synthesised_certainty}: no review or regulator states a higher certainty"
        )
    return CERTAINTY[max(0, value)], reasons


def participants(used: Sequence[Assessed]) -> int:
    """Participants across studies: enrolment, else the largest denominator, else the stated sample size."""
    total = 0
    for a in used:
        ns = [r.n for r in a.findings.rates if r.n and r.arm != "comparator" and not r.summary]
        if a.record.enrollment:
            total += a.record.enrollment
        elif ns:
            total += max(ns)
        elif a.design not in HIGH_DESIGNS:
            total += sample_size(a.record.abstract) or 0
    return total
