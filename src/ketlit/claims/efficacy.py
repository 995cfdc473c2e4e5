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

from ketlit.claims.cited_study import closest, kind_fits, names_no_detail, one_study_certainty, reports_one_study
from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.grade import StudyFacts, grade_body
from ketlit.claims.judging import (
    CERTAINTY,
    Assessed,
    AssessMemo,
    Cited,
    Decisive,
    Verdict,
    as_tested,
    assess_all,
    cite,
    cite_fact,
    decisive_fact,
    decisive_of,
    exclusion_reason,
    finish,
    reconcile,
)
from ketlit.claims.model import Claim
from ketlit.claims.numbers import Findings
from ketlit.claims.policy import OutcomeConstruct, VerdictPolicy, level
from ketlit.claims.regulatory_verdict import approvals_for_use, label_limits, subgroup_approvals
from ketlit.claims.rules import RegulatoryFact, Rules
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
    decisive: list[Decisive] = field(default_factory=list)
    certainty_source: str | None = None


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


def decide(body: Body, hedged: bool, policy: VerdictPolicy) -> tuple[str, str, Vote | None, list[Vote]]:
    """(verdict, which rule decided, the decisive review if any, the votes that decided) — the
    legend's rules, in order. The deciding votes are the ones the rule that fired counted: the
    review whose estimate was used, the trials whose votes made the bar, the larger null trial."""
    # A pinned reference-standard entry is the best estimate; otherwise the best-graded review.
    review = body.reviews[0] if body.reference is not None else _best_review(body, policy)
    rcts = body.controlled
    pos = _largest([v for v in rcts if v.stance == "for"])
    neg = _largest([v for v in rcts if v.stance in ("null", "against")])
    largest_pos = max((v.n or 0 for v in pos), default=0)
    larger_null = [v for v in neg if (v.n or 0) > largest_pos and (v.n or 0) >= policy.adequate_rct_n]
    adequate = [v for v in pos if (v.n or 0) >= policy.adequate_rct_n]
    need = policy.review_certainty_hedged if hedged else policy.review_certainty
    review_cert = (review.certainty or policy.review_certainty_unstated) if review else None
    if review and review.stance == "for" and level(review_cert) >= level(need):
        rule = f"a review finds an effect in the claimed direction at {review_cert} certainty"
        return "supported", rule, review, [review]
    many = len(pos) >= policy.min_independent_rcts and sum(v.n or 0 for v in pos) >= policy.adequate_total_n
    if not larger_null and (len(adequate) >= policy.min_independent_rcts or many):
        rule = f"{len(pos)} independent RCTs favour the drug ({len(adequate)} adequately sized)"
        return "supported", rule, None, (adequate or pos)[:4]
    # A review contradicts only when no review finds an effect and no two trials do.
    if review and review.stance != "for" and not any(v.stance == "for" for v in body.reviews) and len(pos) < 2:
        return "contradicted", "a review finds no effect (or the opposite)", review, [review, *neg[:2]]
    powered = [v for v in larger_null if (v.n or 0) >= policy.powered_null_n]
    if powered and not (review and review.stance == "for"):
        rule = f"an RCT of {powered[0].n} finds no benefit and is larger than every positive RCT"
        return "contradicted", rule, None, [powered[0], *pos[:1]]
    some = (review and review.stance == "for") or adequate or len(pos) >= 2
    if some:
        # Counted, so the reason says what there is ("a review and 2 RCTs"), in a phrase a table cell holds.
        favour = (["a review"] if review and review.stance == "for" else []) + (
            [f"{len(pos)} RCT{'s' if len(pos) != 1 else ''}"] if pos else [])
        verb = "favour" if len(favour) > 1 or len(pos) > 1 else "favours"
        rule = f"{' and '.join(favour)} {verb} the drug, below the supported bar"
        used = ([review] if review and review.stance == "for" else []) + pos[:2] + larger_null[:1]
        if larger_null:
            rule += f"; a larger RCT (n = {larger_null[0].n}) finds no benefit"
        if hedged and not larger_null:
            return "supported", rule + " — enough for a hedged claim", review, used
        return "partly_supported", rule, review, used
    if pos and hedged and not neg:
        # "May help", "promising": one small positive trial with none against is the research status
        # the page describes, but no more than that.
        return "partly_supported", "a single small RCT favours the drug, and the page hedges the claim", None, pos[:1]
    if pos:
        return "insufficient_evidence", "a single small RCT", None, pos[:1] + neg[:1]
    if neg:
        return "insufficient_evidence", "only small controlled trials, finding no benefit", None, neg[:2]
    return "insufficient_evidence", "only uncontrolled, observational or case data, or nothing relevant", None, []


def _largest(votes: Sequence[Vote]) -> list[Vote]:
    """Votes largest first (the first named is the one that weighs most)."""
    return sorted(votes, key=lambda v: (-(v.n or 0), v.id))


def _best_review(body: Body, policy: VerdictPolicy) -> Vote | None:
    ranked = sorted(
        body.reviews,
        key=lambda v: (v.guessed, -level(v.certainty or policy.review_certainty_unstated), -(v.n or 0), v.id),
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


def _on_regulators_word(
    label: str, verdict: str, why: str, facts: Sequence[RegulatoryFact], stance: str, established: bool
) -> Component:
    """A part the regulator decides: high certainty, the facts cited and decisive, its source named."""
    return Component(
        label,
        verdict,
        "high",
        [f"{label}: {why}"],
        [cite_fact(f) for f in facts],
        established=established,
        decisive=[decisive_fact(f, stance, label) for f in facts[:2]],
        certainty_source=f"regulatory:{facts[0].id}",
    )


def _regulator_component(claim: Claim, ind: str, label: str, symptoms: bool, rules: Rules) -> Component | None:
    """The part a regulator decides (a label limitation, else an approval for this use of the
    product, else an approval only for a narrower use within the claimed one, when the claim is
    about the condition's symptoms), or the part no evidence can decide (no condition read); None
    when the evidence decides."""
    # A label limitation is the regulator's word on exactly this use, so it is read before the approval.
    limits = label_limits(claim, ind, rules) if ind else []
    if limits:
        why = f"the label says otherwise — {limits[0].statement}"
        return _on_regulators_word(label, "contradicted", why, limits, "against", established=False)
    approvals = approvals_for_use(claim, ind, rules) if ind and symptoms else []
    if approvals:
        products = ", ".join(sorted({f.product for f in approvals}))
        why = f"the regulator approved {products} for this use"
        return _on_regulators_word(label, "supported", why, approvals, "for", established=True)
    # Approved only for a narrower use (TRD for "depression"): the benefit is established where the regulator
    # approved it, inside the condition the page names (pages say "depression" for the depression Spravato
    # treats): supported, the approved uses named. A regulatory sentence saying "approved for depression" is
    # judged on the approval's own wording (ketlit.claims.regulatory_verdict).
    # A sentence that names the narrower use beside the broad one ("adults with TRD as well as MDD") claims the
    # broad one as a use of its own: only partly supported.
    narrower = subgroup_approvals(claim, ind, rules) if ind and symptoms else []
    if narrower:
        named = sorted({i for f in narrower for i in f.indication})
        uses = ", ".join(named)
        if any(rules.indications[i].any(claim.text) for i in named if i in rules.indications):
            why = f"the regulator approved {narrower[0].product} only for {uses}, not for {label} as a whole"
            return _on_regulators_word(label, "partly_supported", why, narrower, "for", established=True)
        why = f"the regulator approved {narrower[0].product} for {uses}, within {label}: the benefit is shown there"
        return _on_regulators_word(label, "supported", why, narrower, "for", established=True)
    if not ind:
        # No condition read (or one outside the vocabulary, "tinnitus"): there is no evidence
        # profile to compare with, and evidence about other conditions says nothing about it.
        return Component(
            label,
            "insufficient_evidence",
            None,
            [f"{label}: no condition could be read, so no body of evidence matches the claim"],
        )
    return None


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
    construct = policy.construct_of(claim.text)
    decided = _regulator_component(claim, ind, label, construct is None, rules)
    if decided is not None:
        return decided
    sub = replace(claim, indication=(ind,))
    assessed = assess_all(sub, records, rules, cache, memo)
    molecules = claim.molecule or (rules.molecule_default,)
    if construct is None:
        body = build_body(label, assessed, molecules, rules, policy)
        body.reference = match_reference(ind, molecules, claim.route, policy)
        _with_reference(body, assessed)
    else:
        body = _construct_body(label, construct, assessed, molecules, rules, policy)
    reported = _reported_study(claim, label, body, rules)
    if reported is not None:
        return reported
    verdict, rule, review, deciders = decide(body, tested_strength(claim, rules) == "hedged", policy)
    unblinding = bool(set(sub.indication) & set(rules.unblinding_indications))
    if review is None and body.reference is not None:
        review = body.reviews[0]  # certainty is the pinned entry's, whichever rule decided
        deciders = [*deciders, review]
    if review is not None:
        certainty: str | None = review.certainty or policy.review_certainty_unstated
        notes = [
            f"certainty as stated by the review {review.id}"
            if review.certainty
            else f"the review {review.id} states no certainty; taken as {certainty}"
        ]
        source = _review_source(review, body, certainty)
    else:
        certainty, notes = _grade(body, rules, policy, records, unblinding)
        source = grade_source("trials" if body.controlled else "studies", notes)
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
    unique: dict[str, Vote] = {}
    for v in deciders:
        unique.setdefault(v.id, v)
    decisive = [_decisive_vote(v, label, body) for v in unique.values()]
    return Component(label, verdict, certainty, reasons, cited, body, established, decisive, source)


def _reported_study(claim: Claim, label: str, body: Body, rules: Rules) -> Component | None:
    """A sentence that reports one study ("a 2014 trial of 41 veterans found ...") is judged on that
    study, found among the body's studies by the size or year the page gives: what it found bears the
    report out (supported) or does not (contradicted), at the certainty one study gives. None where no
    study matches, or the studies that match best disagree (the page's study is then unknown)."""
    if not reports_one_study(claim, rules):
        return None
    votes = (*body.reviews, *body.votes)
    best = closest(claim, rules, ((v.assessed.record, v.role == "review") for v in votes))
    top = [(best[v.id], v) for v in votes if v.id in best]
    if not top and names_no_detail(claim):
        # No size or year to find it by: the page's study is one of the counted studies of the kind it names.
        # When every one of them found the benefit, so did the study it reports; when they disagree, it is unknown.
        kind = [v for v in votes if v.role in ("review", "controlled") and kind_fits(claim, rules, v.role == "review")]
        top = [(["no size or year given; every counted study of that kind agrees"], v)
               for v in sorted(kind, key=lambda v: -(v.n or 0))]
    stances = {v.stance for _, v in top}
    if not top or len(stances) != 1 or not stances <= {"for", "null", "against"}:
        return None
    details, vote = top[0]
    verdict = "supported" if vote.stance == "for" else "contradicted"
    certainty, notes = one_study_certainty(vote.assessed, rules, "study")
    if vote.certainty:
        # A review that states its certainty: the page reports that review, at the certainty it states.
        certainty, notes = vote.certainty, [f"certainty as stated by the review {vote.id}"]
    found = "found the benefit" if vote.stance == "for" else "did not find the benefit"
    reasons = [
        f"{label}: {verdict} — the page reports one study: {vote.id} matches it on {', '.join(details)} and "
        f"{found}" + (f" ({len(top) - 1} more studies match as closely and agree)" if len(top) > 1 else ""),
        *(f"{label}: {n}" for n in notes),
    ]
    return Component(
        label,
        verdict,
        certainty,
        reasons,
        [cite(v.assessed, _vote_line(v)) for _, v in top],
        body,
        False,  # one study reported establishes nothing for onset or duration claims
        [_decisive_vote(v, label, body) for _, v in top],
        grade_source("the one study the page reports", notes),
    )


def _decisive_vote(v: Vote, label: str, body: Body) -> Decisive:
    """A deciding vote as a decisive entry: the pinned reference, a review or a trial."""
    pinned = body.reference is not None and v is body.reviews[0]
    role = "reference" if pinned else "review" if v.role == "review" else "trial" if v.role == "controlled" else "study"
    number = v.effect or (f"n = {v.n}" if v.n else "")
    return decisive_of(v.assessed, "for" if v.stance == "for" else "against", number, v.rationale, role, label)


def _review_source(review: Vote, body: Body, certainty: str | None) -> str:
    """Where a review-based certainty comes from."""
    level_text = (certainty or "").replace("_", " ")
    if body.reference is not None and review is body.reviews[0]:
        e = body.reference
        return f"reference standard {e.id} (pubmed:{e.pmid}) states {level_text}"
    if review.certainty:
        return f"review pubmed:{review.id} states {level_text}"
    return f"assumed: review pubmed:{review.id} states no certainty; taken as {level_text}"


def grade_source(what: str, notes: Sequence[str]) -> str:
    """ "GRADE from trials: <downgrades>" from a grading's footnotes."""
    downs = [n.split(":")[0] for n in notes if n.split(":")[0] in _DOMAINS]
    start = "starts low" if any(n.startswith(("starts low", "no randomised")) for n in notes) else ""
    capped = "capped" if any(n.startswith("capped") for n in notes) else ""
    parts = [p for p in (start, *downs, capped) if p]
    return f"GRADE from {what}: " + (", ".join(parts) if parts else "no downgrade")


_DOMAINS = ("risk of bias", "inconsistency", "imprecision", "indirectness", "publication bias")


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
    if construct.questions:  # the outcome's own kind of study counts here, as controlled evidence or a review
        policy = replace(
            policy,
            counts=(*policy.counts, *construct.questions),
            review_not_counted={k: v for k, v in policy.review_not_counted.items() if k not in construct.questions},
        )
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
    """One verdict for a claim's parts (its conditions), by the one reconciliation rule every
    sentence follows (:func:`ketlit.claims.judging.reconcile`), and the lowest certainty among the
    parts that reached a verdict."""
    verdict = reconcile([p.verdict for p in parts])
    levels = [level(p.certainty) for p in parts if p.certainty and p.verdict != "insufficient_evidence"]
    return verdict, (CERTAINTY[min(levels)] if levels else None)


def conditions_from_page(claim: Claim) -> bool:
    """Whether the sentence names no condition of its own: its conditions were read from the page."""
    return any(n.startswith("indication ") and (" taken from " in n or " inferred from " in n) for n in claim.notes)


def combine_claim(claim: Claim, parts: Sequence[Component]) -> tuple[str, str | None, list[str]]:
    """(verdict, certainty, extra reasons) for a claim's parts. A hedged sentence that names no
    condition ("effects may be felt within hours", its conditions read from the page) says that the
    drug can do this, not that it does so for each condition the page mentions: it holds where its
    best-evidenced condition bears it out, unless another contradicts it. Otherwise :func:`combine`."""
    verdict, certainty = combine(parts)
    if len(parts) < 2 or claim.strength != "hedged" or not conditions_from_page(claim):
        return verdict, certainty, []
    if any(p.verdict == "contradicted" for p in parts):
        return verdict, certainty, []
    order = ("supported", "partly_supported", "insufficient_evidence")
    best = min(parts, key=lambda p: (order.index(p.verdict) if p.verdict in order else 3, -level(p.certainty)))
    if best.verdict == verdict:
        return verdict, certainty, []
    why = (
        f"the hedged sentence names no condition (read from the page): judged by its best-evidenced one, "
        f"{best.label} ({best.verdict.replace('_', ' ')})"
    )
    return best.verdict, best.certainty, [why]


# Why a claim naming a target of its own gets no verdict from the page's conditions (efficacy and timing).
UNREAD_TARGET = (
    "the sentence names its own condition, which the claim rules cannot read; the page's other "
    "conditions were not substituted for it"
)


def unread_target(claim: Claim, rules: Rules, policy: VerdictPolicy, *, wording: bool = True) -> bool:
    """Whether the conditions were taken from the page (or the heading above the sentence) although the
    sentence names a target of its own ("effective for tinnitus" under a depression heading, "relieves
    long COVID fatigue" on a chronic-pain page, "the fastest way to reverse burnout"). Timing claims ask
    it too: how fast the drug works for burnout is not how fast it works for the page's depression, but
    only by the lists of targets (``wording=False``): "works for nearly everyone within 24 hours" names
    no target, and the efficacy wording of ``named_target`` would read "everyone" as one."""
    inferred = any(n.startswith("indication ") and ("inferred from the page" in n or "from the heading above" in n)
                   for n in claim.notes)
    if not inferred or any(p.any(claim.text) for p in rules.indications.values()):
        return False
    lists = (*policy.not_in_vocabulary, *policy.promised_faculty)
    return any(p.search(claim.text) for p in (*(policy.named_target if wording else ()), *lists))


def _not_in_vocabulary(claim: Claim, policy: VerdictPolicy) -> list[Component]:
    """A part for each condition the sentence names that ketlit holds no vocabulary or studies for ("treats
    ADHD and depression at the same time"): insufficient evidence, whatever the other parts find."""
    named = dict.fromkeys(m.group().lower() for p in policy.not_in_vocabulary for m in p.finditer(claim.text))
    return [
        Component(
            word,
            "insufficient_evidence",
            None,
            [f"{word}: insufficient evidence — a condition ketlit's vocabulary does not hold: no study is read for it"],
        )
        for word in named
    ]


def tested_strength(claim: Claim, rules: Rules) -> str:
    """The strength the evidence must carry. A usage statement ("the most significant surge in
    interest has come from its use in depression") implies only that the drug works: its
    intensifiers describe the interest or the use, so the implied claim is tested as plain. An
    intensifier of the effect itself (claim_rules.toml [cues] effect_intensifier: "the first proven
    medication for") keeps its strength."""
    of_effect = rules.cues.get("effect_intensifier")
    text = claim.clause or claim.text
    # Only a usage statement's wording qualifies the use: "Ketamine is a miracle treatment for depression" and
    # "produces dramatic results" (read as efficacy claims because the drug is their subject) praise the effect.
    usage = rules.cues["implied"].any(text) or rules.cues["implied"].any(claim.text)
    if claim.implied and usage and claim.strength == "intensified" and not (
        of_effect is not None and of_effect.any(text)
    ):
        return "plain"
    return claim.strength


def wording_carried(
    verdict: str, strength: str, certainty: str | None, policy: VerdictPolicy, reasons: list[str]
) -> str:
    """``verdict``, partly supported instead of supported where intensified or absolute wording ("works immediately",
    "dramatically effective") asks for more certainty than the evidence has (``policy.intensified_certainty``); the
    reason goes first in ``reasons``. One rule for every judge of an effect: efficacy, onset and duration."""
    if (
        verdict == "supported"
        and strength in ("intensified", "absolute")
        and level(certainty) < level(policy.intensified_certainty)
    ):
        reasons.insert(0, f"the page's wording is {strength}; the evidence's certainty ({certainty}) does not carry it")
        return "partly_supported"
    return verdict


def judge_efficacy(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    policy: VerdictPolicy,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    """The reconciled verdict on an efficacy claim (see the module docstring)."""
    if unread_target(claim, rules, policy):
        return finish("insufficient_evidence", None, [UNREAD_TARGET], [], rules, as_tested(claim, rules))
    parts = [component(claim, ind, records, rules, policy, cache, memo) for ind in claim.indication or ("",)]
    parts += _not_in_vocabulary(claim, policy)
    verdict, certainty, why = combine_claim(claim, parts)
    decisive, source = decisive_parts(parts, certainty, verdict)
    reasons = [r for p in parts for r in p.reasons] + why
    strength = tested_strength(claim, rules)
    if strength != claim.strength:
        reasons.append(
            f"the {claim.strength} wording ({', '.join(claim.strength_cues)}) qualifies the use the page describes, "
            "not the effect: the implied claim that it works is tested at plain strength"
        )
    verdict = wording_carried(verdict, strength, certainty, policy, reasons)
    overclaim = _overclaim(claim, rules) if strength == "absolute" else []
    if (
        overclaim
        and verdict in ("supported", "partly_supported")
        and level(certainty) < level(policy.intensified_certainty)
    ):
        # A real but partial effect does not make a promised cure partly true: it is the misleading
        # reading an editor flags (a cure or permanent result is an outcome no trial here measures).
        verdict = "contradicted"
        reasons.insert(
            0,
            f"the page promises an outcome ({', '.join(overclaim)}) that the evidence ({certainty} certainty "
            "of a partial, time-limited effect) does not show: misleading",
        )
    verdict = _certainty_claimed(claim, verdict, certainty, rules, reasons)
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
    return finish(
        verdict,
        certainty,
        reasons,
        cited,
        rules,
        as_tested(claim, rules),
        decisive=decisive,
        certainty_source=source,
    )


def _certainty_claimed(claim: Claim, verdict: str, certainty: str | None, rules: Rules, reasons: list[str]) -> str:
    """A sentence that asserts the evidence is of high certainty ("backed by high-certainty evidence",
    "scientifically proven") claims a certainty level, not just an effect: evidence of the effect below
    that level makes it partly true at moderate certainty and misleading below (where the effect holds)."""
    pats = rules.assertion.get("strength", {}).get("certainty_claim")
    said = pats.search(claim.text) if pats else None
    if said is None or verdict not in ("supported", "partly_supported") or certainty is None or certainty == "high":
        return verdict
    turned = "partly_supported" if certainty == "moderate" else "contradicted"
    reasons.insert(
        0,
        f"the page says the evidence is of high certainty (“{said.group()}”); it is {certainty.replace('_', ' ')}"
        + ("" if turned == "partly_supported" else ": misleading"),
    )
    return turned


def _overclaim(claim: Claim, rules: Rules) -> list[str]:
    """The words of ``claim`` that promise a cure, a permanent result or a benefit for everyone."""
    pats = rules.assertion.get("strength", {}).get("overclaim")
    return list(dict.fromkeys(m.group().lower() for m in pats.finditer(claim.text))) if pats else []


def decisive_parts(
    parts: Sequence[Component], certainty: str | None, verdict: str = ""
) -> tuple[list[Decisive], str | None]:
    """The decisive records of a reconciled claim (each part's; parts whose verdict is the claim's
    first, then parts that reached a verdict) and the certainty source of the part whose certainty
    the claim carries (the lowest)."""
    ordered = sorted(parts, key=lambda p: (p.verdict != verdict, p.verdict == "insufficient_evidence"))
    per_part = [p.decisive for p in ordered if p.decisive]
    decisive: list[Decisive] = []
    # Round-robin so every deciding part is named before any part's second record.
    for i in range(max((len(d) for d in per_part), default=0)):
        decisive += [d[i] for d in per_part if i < len(d)]
    graded = [p for p in parts if p.certainty == certainty and p.verdict != "insufficient_evidence"]
    source = next((p.certainty_source for p in graded + list(parts) if p.certainty_source), None)
    return decisive, source


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
