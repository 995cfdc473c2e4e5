"""Efficacy verdicts from evidence profiles, by the rules written in ``verdict_rules.toml``.

One component per claimed condition: a regulator's approval or label limitation decides first;
then the pinned reference-standard entry or the best review; then the independent adequately
sized RCTs (one vote per trial); then weaker evidence. The decision reads as the rules file's
legend says (see :func:`decide`), and the claim's asserted strength is weighed last: hedged
claims need less, intensified or absolute wording needs the certainty the rules name. A
sentence naming several conditions gets one reconciled verdict with each part's reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.grade import StudyFacts, grade_body
from ketlit.claims.judging import (
    CERTAINTY,
    Assessed,
    AssessMemo,
    Cited,
    Verdict,
    as_tested,
    assess_all,
    cite,
    cite_fact,
    exclusion_reason,
    finish,
)
from ketlit.claims.model import Claim
from ketlit.claims.numbers import Findings
from ketlit.claims.policy import OutcomeConstruct, VerdictPolicy, level
from ketlit.claims.regulatory_verdict import approvals_for_use, label_limits, subgroup_approvals
from ketlit.claims.rules import Rules
from ketlit.claims.synthesis import Body, Stance, Vote, build_body, match_reference, reference_excludes_null


@dataclass(slots=True)
class Component:
    """The verdict on one part of a claim (one condition)."""

    label: str
    verdict: str
    certainty: str | None
    reasons: list[str] = field(default_factory=list)
    cited: list[Cited] = field(default_factory=list)
    body: Body | None = None
    # Efficacy is established for judging onset and duration: an approval, the supported bar met,
    # or a review that states its certainty finding the effect (even below a plain claim's bar),
    # with no larger trial against it. Small trials or an ungraded review alone do not establish it.
    established: bool = False


def _vote_line(v: Vote) -> str:
    n = f"n = {v.n}" if v.n else "n not stated"
    what = {"for": "favours the drug", "null": "no difference", "against": "favours the control"}.get(
        v.stance, v.stance
    )
    kind = {"controlled": "controlled trial", "uncontrolled": v.question.replace("_", " "), "review": "review"}[v.role]
    cert = f"; {v.certainty.replace('_', ' ')} certainty stated" if v.certainty else ""
    effect = f" — {v.effect}" if v.effect else ""
    return f"{what} ({kind}, {n}{cert}){effect}: “{v.rationale}”"


def _grade(
    body: Body, rules: Rules, policy: VerdictPolicy, candidates: Sequence[EvidenceRecord], unblinding: bool
) -> tuple[str | None, list[str]]:
    studies = [StudyFacts(v.assessed, v.role == "controlled", v.n, v.blinding, v.comparator_kind) for v in body.votes]
    pos = [v for v in body.controlled if v.stance == "for"]
    nul = [v for v in body.controlled if v.stance != "for"]
    mixed = bool(pos) and len(nul) >= policy.inconsistency_share * (len(pos) + len(nul))
    return grade_body(
        studies,
        rules,
        policy,
        candidates=candidates,
        inconsistency=f"{len(nul)} of {len(pos) + len(nul)} controlled trials find no benefit" if mixed else None,
        unblinding=unblinding,
    )


def decide(body: Body, hedged: bool, policy: VerdictPolicy) -> tuple[str, str, Vote | None]:
    """(verdict, which rule decided, the decisive review if any) — the legend's rules, in order."""
    # A pinned reference-standard entry is the best estimate; otherwise the best-graded review.
    review = body.reviews[0] if body.reference is not None else _best_review(body, policy)
    rcts = body.controlled
    pos = [v for v in rcts if v.stance == "for"]
    neg = [v for v in rcts if v.stance in ("null", "against")]
    largest_pos = max((v.n or 0 for v in pos), default=0)
    larger_null = [v for v in neg if (v.n or 0) > largest_pos and (v.n or 0) >= policy.adequate_rct_n]
    adequate = [v for v in pos if (v.n or 0) >= policy.adequate_rct_n]
    need = policy.review_certainty_hedged if hedged else policy.review_certainty
    review_cert = (review.certainty or policy.review_certainty_unstated) if review else None
    if review and review.stance == "for" and level(review_cert) >= level(need):
        return "supported", f"a review finds an effect in the claimed direction at {review_cert} certainty", review
    many = len(pos) >= policy.min_independent_rcts and sum(v.n or 0 for v in pos) >= policy.adequate_total_n
    if not larger_null and (len(adequate) >= policy.min_independent_rcts or many):
        return "supported", f"{len(pos)} independent RCTs favour the drug ({len(adequate)} adequately sized)", None
    # A review contradicts only when no review finds an effect and no two trials do.
    if review and review.stance != "for" and not any(v.stance == "for" for v in body.reviews) and len(pos) < 2:
        return "contradicted", "a review finds no effect (or the opposite)", review
    powered = [v for v in larger_null if (v.n or 0) >= policy.powered_null_n]
    if powered and not (review and review.stance == "for"):
        return "contradicted", f"an RCT of {powered[0].n} finds no benefit and is larger than every positive RCT", None
    some = (review and review.stance == "for") or adequate or len(pos) >= 2
    if some:
        rule = "some controlled evidence points the claimed way without meeting the supported bar"
        if larger_null:
            rule += f"; a larger RCT (n = {larger_null[0].n}) finds no benefit"
        if hedged and not larger_null:
            return "supported", rule + " — enough for a hedged claim", review
        return "partly_supported", rule, review
    if pos:
        return "insufficient_evidence", "a single small RCT", None
    if neg:
        return "insufficient_evidence", "only small controlled trials, finding no benefit", None
    return "insufficient_evidence", "only uncontrolled, observational or case data, or nothing relevant", None


def _best_review(body: Body, policy: VerdictPolicy) -> Vote | None:
    ranked = sorted(
        body.reviews,
        key=lambda v: (-level(v.certainty or policy.review_certainty_unstated), -(v.n or 0), v.id),
    )
    return ranked[0] if ranked else None


def _reference_vote(body: Body) -> list[str]:
    """Reasons naming the pinned entry and the newer cached studies that might change it."""
    e = body.reference
    if e is None:
        return []
    reasons = [f"reference standard ({e.id}): {e.describe()}; PMID {e.pmid}: “{e.quote}”"]
    newer = [v for v in body.votes + body.reviews if (v.assessed.record.year or 0) > e.search_year]
    if newer:
        ids = ", ".join(v.id for v in newer[:8])
        reasons.append(
            f"{len(newer)} cached stud(ies) published after the reference's search ({e.search_date}) might change it: "
            f"{ids}"
        )
    return reasons


def _with_reference(body: Body, assessed: Sequence[Assessed]) -> None:
    """The pinned entry enters the body as its best review, cited through its source record."""
    e = body.reference
    if e is None:
        return
    anchor = next((a for a in assessed if a.record.id == e.pmid), None)
    if anchor is None:
        body.reference = None  # the entry's source must be in the cache to be cited
        return
    stance: Stance = (
        "for"
        if e.direction == "favours_drug" and reference_excludes_null(e)
        else ("against" if e.direction == "favours_control" else "null")
    )
    effect = f"{e.measure} {e.value:g} (95% CI {e.ci[0]:g} to {e.ci[1]:g})"
    pinned = Vote(anchor, "systematic_review", "review", stance, e.n, None, e.comparator, e.quote, effect, e.certainty)
    body.reviews = [pinned, *(v for v in body.reviews if v.id != e.pmid)]
    body.set_aside = [(a, why) for a, why in body.set_aside if a.record.id != e.pmid]


def _subgroup_component(claim: Claim, label: str, ind: str, rules: Rules) -> Component | None:
    """Approved only for a narrower use within the claimed one (TRD for "depression"): partly
    supported on the regulator's word, the approved use named."""
    narrower = subgroup_approvals(claim, ind, rules)
    if not narrower:
        return None
    uses = ", ".join(sorted({i for f in narrower for i in f.indication}))
    return Component(
        label,
        "partly_supported",
        "high",
        [f"{label}: the regulator approved {narrower[0].product} only for {uses}, not for {label} as a whole"],
        [cite_fact(f) for f in narrower],
        established=True,
    )


def component(
    claim: Claim,
    ind: str,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    policy: VerdictPolicy,
    cache: dict[str, Findings],
    memo: AssessMemo | None,
) -> Component:
    """The verdict on one condition of an efficacy claim (before the claim's strength is weighed)."""
    label = ind or "unspecified indication"
    # A label limitation is the regulator's word on exactly this use, so it is read before the approval.
    limits = label_limits(claim, ind, rules) if ind else []
    if limits:
        return Component(
            label,
            "contradicted",
            "high",
            [f"{label}: the label says otherwise — {limits[0].statement}"],
            [cite_fact(f) for f in limits],
        )
    construct = policy.construct_of(claim.text)
    approvals = approvals_for_use(claim, ind, rules) if ind and construct is None else []
    if approvals:
        products = ", ".join(sorted({f.product for f in approvals}))
        return Component(
            label,
            "supported",
            "high",
            [f"{label}: the regulator approved {products} for this use"],
            [cite_fact(f) for f in approvals],
            established=True,
        )
    if (subgroup := _subgroup_component(claim, label, ind, rules) if ind and construct is None else None) is not None:
        return subgroup
    if not ind:
        # No condition read (or one outside the vocabulary, "tinnitus"): there is no evidence
        # profile to compare with, and evidence about other conditions says nothing about it.
        return Component(
            label,
            "insufficient_evidence",
            None,
            [f"{label}: no condition could be read, so no body of evidence matches the claim"],
        )
    sub = replace(claim, indication=(ind,))
    assessed = assess_all(sub, records, rules, cache, memo)
    molecules = claim.molecule or (rules.molecule_default,)
    if construct is None:
        body = build_body(label, assessed, molecules, rules, policy)
        body.reference = match_reference(ind, molecules, claim.route, policy)
        _with_reference(body, assessed)
    else:
        body = _construct_body(label, construct, assessed, molecules, rules, policy)
    verdict, rule, review = decide(body, tested_strength(claim) == "hedged", policy)
    unblinding = bool(set(sub.indication) & set(rules.unblinding_indications))
    if review is None and body.reference is not None:
        review = body.reviews[0]  # certainty is the pinned entry's, whichever rule decided
    if review is not None:
        certainty: str | None = review.certainty or policy.review_certainty_unstated
        notes = [
            f"certainty as stated by the review {review.id}"
            if review.certainty
            else f"the review {review.id} states no certainty; taken as {certainty}"
        ]
    else:
        certainty, notes = _grade(body, rules, policy, records, unblinding)
    if verdict == "supported" and not body.direct:
        verdict, rule = "partly_supported", rule + "; but only indirect evidence (another population, route or form)"
    reasons = [f"{label}: {verdict.replace('_', ' ')} — {rule}", *(f"{label}: {n}" for n in notes)]
    if construct is not None:
        reasons.insert(1, f"{label}: outcome '{construct.name.replace('_', ' ')}' — {construct.why}")
    reasons += _reference_vote(body)
    reasons += _tally(body)
    cited = [cite(v.assessed, _vote_line(v)) for v in (([review] if review else []) + body.reviews + body.votes)]
    # A graded review finding the effect establishes the direction, whatever the bar of a plain claim.
    graded = review is not None and review.stance == "for" and review.certainty is not None
    established = (verdict == "supported" or (verdict == "partly_supported" and graded)) and body.direct
    if "larger RCT" in rule:
        established = False
    return Component(label, verdict, certainty, reasons, cited, body, established)


def _construct_body(
    label: str,
    construct: OutcomeConstruct,
    assessed: Sequence[Assessed],
    molecules: Sequence[str],
    rules: Rules,
    policy: VerdictPolicy,
) -> Body:
    """The body for a claim about an outcome symptom trials do not measure: only studies whose
    title names it; a review counts only when it pools an estimate or states a certainty (a
    narrative summary of such studies gives no direction of its own). No pinned entry applies."""
    about = [a for a in assessed if construct.in_study(a.record.title)]
    body = build_body(label, about, molecules, rules, policy)
    narrative = [v for v in body.reviews if not (v.certainty or v.effect)]
    body.reviews = [v for v in body.reviews if v not in narrative]
    why = "review without a pooled estimate or stated certainty for this outcome"
    body.set_aside += [(v.assessed, why) for v in narrative]
    return body


def _tally(body: Body) -> list[str]:
    c = body.controlled
    parts = [
        f"{body.label}: {len(c)} controlled trial(s) counted once each "
        f"({sum(v.stance == 'for' for v in c)} favour the drug, {sum(v.stance != 'for' for v in c)} do not), "
        f"{len(body.reviews)} review(s), {len(body.votes) - len(c)} uncontrolled stud(ies)"
    ]
    reasons: dict[str, int] = {}
    for _, why in body.set_aside:
        key = why.split(" (")[0] if why.startswith(("same trial", "indirect")) else why
        reasons[key] = reasons.get(key, 0) + 1
    if reasons:
        listed = "; ".join(f"{n} × {why}" for why, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        parts.append(f"{body.label}: not counted for efficacy — {listed}")
    return parts


def combine(parts: Sequence[Component]) -> tuple[str, str | None]:
    """One verdict for a sentence: supported only if every part is; contradicted only if every part
    is; otherwise partly supported when any part holds, else insufficient evidence."""
    verdicts = [p.verdict for p in parts]
    checked = [v for v in verdicts if v != "insufficient_evidence"]
    if not checked:
        verdict = "insufficient_evidence"
    elif all(v == "supported" for v in verdicts):
        verdict = "supported"
    elif all(v == "contradicted" for v in verdicts):
        verdict = "contradicted"
    elif any(v in ("supported", "partly_supported") for v in checked):
        verdict = "partly_supported"
    else:
        verdict = "contradicted" if len(checked) == len(verdicts) else "insufficient_evidence"
    levels = [level(p.certainty) for p in parts if p.certainty and p.verdict != "insufficient_evidence"]
    return verdict, (CERTAINTY[min(levels)] if levels else None)


def _unread_target(claim: Claim, rules: Rules, policy: VerdictPolicy) -> bool:
    """Whether the conditions were taken from the page although the sentence names a target of its own."""
    inferred = any(n.startswith("indication ") and "inferred from the page" in n for n in claim.notes)
    if not inferred or any(p.any(claim.text) for p in rules.indications.values()):
        return False
    return any(p.search(claim.text) for p in policy.named_target)


def tested_strength(claim: Claim) -> str:
    """The strength the evidence must carry. A usage statement ("the most significant surge in
    interest has come from its use in depression") implies only that the drug works: its
    intensifiers describe the interest or the use, so the implied claim is tested as plain."""
    if claim.implied and claim.strength == "intensified":
        return "plain"
    return claim.strength


def judge_efficacy(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    policy: VerdictPolicy,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    """The reconciled verdict on an efficacy claim (see the module docstring)."""
    if _unread_target(claim, rules, policy):
        reasons = [
            "the sentence names its own condition, which the claim rules cannot read; the page's other "
            "conditions were not substituted for it"
        ]
        return finish("insufficient_evidence", None, reasons, [], rules, as_tested(claim, rules))
    parts = [component(claim, ind, records, rules, policy, cache, memo) for ind in claim.indication or ("",)]
    verdict, certainty = combine(parts)
    reasons = [r for p in parts for r in p.reasons]
    strength = tested_strength(claim)
    if strength != claim.strength:
        reasons.append(
            f"the {claim.strength} wording ({', '.join(claim.strength_cues)}) qualifies the use the page describes, "
            "not the effect: the implied claim that it works is tested at plain strength"
        )
    if (
        verdict == "supported"
        and strength in ("intensified", "absolute")
        and level(certainty) < level(policy.intensified_certainty)
    ):
        verdict = "partly_supported"
        reasons.insert(0, f"the page's wording is {strength}; the evidence's certainty ({certainty}) does not carry it")
    if strength != "plain":
        reasons.append(f"asserted strength: {strength}")
    if claim.implied:
        reasons.append("the page describes use, which readers take as a claim that it works; tested as such")
    excluded = [
        a
        for ind in claim.indication or ("",)
        for a in assess_all(replace(claim, indication=(ind,) if ind else ()), records, rules, cache, memo)
        if not a.counted
    ]
    reasons.extend(exclusion_reason(excluded))
    cited = [c for p in parts for c in p.cited]
    return finish(verdict, certainty, reasons, cited, rules, as_tested(claim, rules))


def efficacy_established(
    claim: Claim,
    ind: str,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    policy: VerdictPolicy,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Component:
    """Whether efficacy for this product and condition is established (for onset and duration)."""
    return component(claim, ind, records, rules, policy, cache, memo)
