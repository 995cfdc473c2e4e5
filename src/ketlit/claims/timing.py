"""Onset and duration verdicts, judged only where efficacy is established.

Design decisions (failure mode E of the expert review):

* **Efficacy first.** For each condition the claim names, the efficacy synthesis
  (:mod:`ketlit.claims.efficacy`) runs first. Where it does not find efficacy for that product and
  condition (insufficient evidence or contradicted), how fast or how long the drug works is not
  judged: that part is insufficient evidence, with the reason. Efficacy is *established* by an
  approval, by evidence meeting the supported bar, or by a review that states its certainty and
  finds the effect (even below the bar of a plain efficacy claim: the timing claim asserts the
  time course, not the size of the effect), with no larger trial against it. Where efficacy
  rests only on small trials, an ungraded review or indirect evidence, a timing part is at most
  partly supported.
* **Only results and conclusions.** A reported time counts only from a study the synthesis
  counted (its question answers "does it work") and only when the sentence carrying it is one
  the study's profile reads as a result or conclusion, so introductions ("ketamine has rapid
  effects") and methods ("assessed at 4 hours", "six infusions over 2 weeks") never count.
* The parts are reconciled into one verdict per sentence, as for efficacy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ketlit.claims.cited_study import closest, kind_fits, names_no_detail, one_study_certainty, reports_one_study
from ketlit.claims.efficacy import (
    UNREAD_TARGET,
    Component,
    combine_claim,
    decisive_parts,
    efficacy_established,
    grade_source,
    unread_target,
    wording_carried,
)
from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import (
    HIGH_DESIGNS,
    Assessed,
    AssessMemo,
    Verdict,
    as_tested,
    assess_all,
    cite,
    cite_fact,
    decisive_fact,
    decisive_of,
    finish,
    threshold_hours,
)
from ketlit.claims.model import Claim
from ketlit.claims.numbers import Findings, TimeFinding, format_hours
from ketlit.claims.policy import VerdictPolicy
from ketlit.claims.regulatory_verdict import label_times
from ketlit.claims.rules import Rules
from ketlit.claims.synthesis import profile_of
from ketlit.evidence.roles import FINDING_ROLES, assign_roles
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection

_SPACE = re.compile(r"\s+")
# Roles per abstract, bounded: a long-running process checking many pages must not grow without
# limit (the oldest entry goes first; an abstract read again is simply re-read).
_ROLES: dict[tuple[str, int], list[tuple[str, str]]] = {}
_ROLES_MAX = 4096


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _roles(record: EvidenceRecord) -> list[tuple[str, str]]:
    """(normalised sentence, role) for the record's abstract: the roles its stored study profile
    assigned, one per sentence, where the profile's sentences are the abstract's; otherwise read now
    as the study profiles read them."""
    key = (record.id, hash(record.abstract))
    if key not in _ROLES:
        sentences = abstract_sentences([AbstractSection(None, None, record.abstract)]) if record.abstract else []
        stored = [str(r) for r in (record.profile or {}).get("roles") or []]
        if stored and len(stored) == len(sentences):
            roles = stored
        else:
            roles = [rs.role for rs in assign_roles(sentences, packaged_rules().roles)]
        if len(_ROLES) >= _ROLES_MAX:
            del _ROLES[next(iter(_ROLES))]
        _ROLES[key] = [(_norm(s.text), role) for s, role in zip(sentences, roles, strict=True)]
    return _ROLES[key]


def from_results(a: Assessed, t: TimeFinding) -> bool:
    """Whether the time's sentence is a result or conclusion of the study, not its introduction,
    aims or methods (registry records: posted results only, so always)."""
    return result_sentence(a.record, t.sentence)


def result_sentence(record: EvidenceRecord, text: str) -> bool:
    """Whether ``text`` is (in) a result or conclusion sentence of the record's abstract, as the
    study profiles read roles; registry records hold posted results only, so always."""
    if record.source != "pubmed":
        return True
    sentence = _norm(text)
    return any(role in FINDING_ROLES for t, role in _roles(record) if t and (sentence in t or t in sentence))


def benefit_reading(a: Assessed, t: TimeFinding, policy: VerdictPolicy) -> TimeFinding | None:
    """The time as a time of benefit, or None when its sentence is about a physiological, laboratory
    or adverse-effect measure ("plasma TNF-α … higher in the placebo group within 24 h"), read from the
    sentence itself and from the study profile's findings in it. A sentence whose efficacy results
    all find no difference ("no significant interaction … at 24 h") reports no effect at that time,
    whatever the time reader's cue words said."""
    if policy.not_efficacy_text(t.sentence):
        return None
    profile = profile_of(a.record)
    if profile is None:
        return t
    sentence = _norm(t.sentence)
    found = [
        f
        for f in profile.get("findings") or []
        if (clause := _norm(str(f.get("clause", "")))) and (clause in sentence or sentence in clause)
    ]
    if not found:
        return t
    efficacy = [f for f in found if f.get("outcome_kind") == "efficacy"]
    if not efficacy:
        return None  # only safety or other (non-efficacy) results in the sentence
    if all(f.get("direction") == "no_difference" for f in efficacy):
        return replace(t, effect=False)
    return t


def _classify(
    claim: Claim, use: Sequence[tuple[Assessed, TimeFinding]]
) -> tuple[list[tuple[Assessed, TimeFinding]], ...]:
    """(support, against, neutral) for the claim's threshold."""
    thr = claim.threshold
    support: list[tuple[Assessed, TimeFinding]] = []
    against: list[tuple[Assessed, TimeFinding]] = []
    neutral: list[tuple[Assessed, TimeFinding]] = []
    for a, t in use:
        if thr is None:
            support.append((a, t))
            continue
        limit = threshold_hours(thr)
        if claim.kind == "onset":
            # An effect seen by the claimed time supports it; no effect by then argues against it;
            # an effect first measured later says nothing about earlier onset.
            if t.hours is None:
                (support if thr.op in ("<=", "<") and limit >= 24 else neutral).append((a, t))
            elif t.hours <= limit:
                (support if t.effect else against).append((a, t))
            else:
                neutral.append((a, t))
        elif t.hours is None:
            neutral.append((a, t))
        elif thr.op in (">=", ">"):
            if t.bound == "at_least" and t.hours >= limit:
                support.append((a, t))
            elif t.bound == "at_most" and t.hours < limit:
                against.append((a, t))
            elif t.bound == "at_least":
                neutral.append((a, t))
            else:
                (support if t.hours >= limit else against).append((a, t))
        elif thr.op == "~" and t.bound == "at_least" and t.hours * 1.5 < limit:
            # "About a week" is not borne out by a benefit seen to last at least two hours: that report
            # stops well short of the page's time and says nothing either way.
            neutral.append((a, t))
        else:
            (support if t.hours <= limit * 1.5 else against).append((a, t))
    return support, against, neutral


# Where a consequence of the claim begins (", so most plans start with six infusions").
_CONSEQUENCE = re.compile(r",\s*(?:and so|so|which is why|that.s why|that is why|therefore|hence)\b", re.IGNORECASE)


def _span_reasons(
    claim: Claim,
    label: str,
    shorter: Sequence[tuple[Assessed, TimeFinding]],
    use: Sequence[tuple[Assessed, TimeFinding]],
) -> list[str]:
    """What the reported spans say beside the verdict: the longest benefit when the page's time goes beyond
    every report (``shorter``), and the median time at which benefit ended."""
    reasons: list[str] = []
    if shorter:
        longest = max(t.hours or 0.0 for _, t in shorter)
        reasons.append(
            f"{label}: the longest benefit studies report is {format_hours(longest)}; the page's "
            f"{format_hours(threshold_hours(claim.threshold))} goes beyond the evidence"
            if claim.threshold is not None
            else f"{label}: the longest benefit studies report is {format_hours(longest)}"
        )
    ends = sorted(t.hours for _, t in use if t.kind == "duration" and t.bound == "at_most" and t.hours is not None)
    if ends:
        reasons.append(
            f"{label}: where studies report when benefit ended, the median is {format_hours(ends[len(ends) // 2])}"
        )
    return reasons


def _same_administration(
    claim: Claim, use: list[tuple[Assessed, TimeFinding]], rules: Rules
) -> tuple[list[tuple[Assessed, TimeFinding]], int]:
    """For a claim about how long ONE dose helps, the times from single-dose studies, and how many
    studies of repeated doses were set aside (their benefit is counted from the last of a series, so
    "a single infusion helps for about a week" is not contradicted by a series lasting months). When
    every study timed a series, they all stay: the verdict then says what they found."""
    cues = rules.cues
    if claim.kind != "duration" or "single_administration" not in cues or "repeated_administration" not in cues:
        return use, 0
    # The claim's own clause, before a consequence: "a single infusion helps for a week, so plans start with
    # six infusions" times one infusion; a clause naming a series as well ("one infusion or a series of
    # six") is about both.
    said = _CONSEQUENCE.split(claim.clause or claim.text, maxsplit=1)[0]
    repeated = cues["repeated_administration"]
    if not cues["single_administration"].any(said) or repeated.any(said):
        return use, 0
    # A record's title and abstract are read once, however many of its times are in ``use``.
    records = {a.record.id: a.record for a, _ in use}
    series = {rid for rid, r in records.items() if repeated.any(r.title) or repeated.any(r.abstract)}
    series |= {a.record.id for a, t in use if a.record.id not in series and repeated.any(t.sentence)}
    single = [(a, t) for a, t in use if a.record.id not in series]
    return (single, len(series)) if single else (use, 0)


def _text(t: TimeFinding) -> str:
    h = format_hours(t.hours) if t.hours is not None else "rapid (no time given)"
    bound = {"at_least": "lasted at least", "at_most": "ended by", "about": "at"}[t.bound]
    return f"{t.kind} {bound} {h}: “{t.sentence}”"


def _time_part(
    claim: Claim, efficacy: Component, assessed: Sequence[Assessed], rules: Rules, policy: VerdictPolicy
) -> Component:
    label = efficacy.label
    body = efficacy.body
    # Approved for this use (no body): every counted study may report the timing (an approved
    # anaesthetic's onset is in anaesthetic studies); sentences about other measures never count.
    counted_ids = {v.id for v in (body.votes + body.reviews)} if body else {a.record.id for a in assessed if a.counted}
    found = [
        (a, read)
        for a in assessed
        if a.counted and a.record.id in counted_ids
        for t in a.findings.times
        if t.kind == claim.kind and from_results(a, t) and (read := benefit_reading(a, t, policy)) is not None
    ]
    use = [(a, t) for a, t in found if a.direct] or found
    if not use:
        return Component(
            label,
            "insufficient_evidence",
            None,
            [f"{label}: no {claim.kind} time in the results of the {len(counted_ids)} counted stud(ies)"],
        )
    use, set_aside = _same_administration(claim, use, rules)
    support, against, neutral = _classify(claim, use)
    reported = _reported_time(claim, label, support, against, rules)
    if reported is not None:
        return reported
    n_for = len({a.record.id for a, _ in support})
    n_against = len({a.record.id for a, _ in against})
    verdict = time_verdict(n_for, n_against, possible=_possible(claim, rules))
    shorter = _shorter_durations(claim, neutral)
    if verdict == "insufficient_evidence" and shorter:
        # The effect is established and lasted as long as the studies followed it, but no study
        # reports it lasting as long as the page says: the legend's overstated duration.
        verdict = "partly_supported"
        support = shorter
    if verdict == "supported" and not efficacy.established:
        verdict = "partly_supported"
    used = list({id(a): a for a, _ in support + against}.values())
    mixed = bool(n_for and n_against and n_for < 3 * n_against)
    certainty, notes = (
        grade_studies(
            used,
            rules,
            inconsistency="reports point both ways" if mixed else None,
            imprecision=f"{len(used)} stud(ies)" if len(used) < 3 else None,
        )
        if used
        else (None, [])
    )
    reasons = [
        f"{label}: {n_for} stud(ies) for, {n_against} against, "
        f"{len({a.record.id for a, _ in neutral})} not decisive"
    ]
    reasons += [f"{label}: {n}" for n in notes]
    if set_aside:
        reasons.append(
            f"{label}: {set_aside} stud(ies) timing the benefit of repeated doses set aside: the page speaks of one"
        )
    reasons += _span_reasons(claim, label, shorter if support is shorter else [], use)
    cited = [cite(a, _text(t)) for a, t in support + against + neutral]
    decisive = [decisive_of(a, "for", _number(t), t.sentence, part=label) for a, t in _one_each(support)[:3]]
    decisive += [decisive_of(a, "against", _number(t), t.sentence, part=label) for a, t in _one_each(against)[:2]]
    source = grade_source("studies reporting the time", notes) if certainty else None
    return Component(label, verdict, certainty, reasons, cited, decisive=decisive, certainty_source=source)


def _label_time(claim: Claim, ind: str, efficacy: Component, rules: Rules) -> Component | None:
    """An onset in a use the regulator approved, judged on the time the label gives (an anaesthetic's
    label says it acts within seconds to minutes; the studies of a psychiatric cache never time it):
    the page's "within" bound against the label's earliest and latest time, over the routes the claim
    allows. None where efficacy does not rest on an approval, no label gives the time, or the page gives
    another kind of bound ("after at least", "about"): the studies decide those."""
    if claim.kind != "onset" or efficacy.body is not None or not efficacy.established or not ind:
        return None
    thr = claim.threshold
    if thr is not None and thr.op not in ("<", "<="):
        return None
    facts = label_times(claim, ind, "label_onset", rules)
    if not facts:
        return None
    low, high = min(f.hours[0] for f in facts), max(f.hours[1] for f in facts)
    limit = threshold_hours(thr) if thr is not None else None
    if limit is None or high <= limit:
        verdict, side = "supported", "for"
    elif low > limit:
        verdict, side = "contradicted", "against"
    else:
        verdict, side = "partly_supported", "for"
    told = _brief_time(low) if low == high else f"{_brief_time(low)} to {_brief_time(high)}"
    page = f" (the page: within {_brief_time(limit)})" if limit is not None else ""
    return Component(
        efficacy.label,
        verdict,
        "high",
        [f"{efficacy.label}: the label gives the onset as {told}{page} — " + " ".join(f.statement for f in facts)],
        [cite_fact(f) for f in facts],
        established=True,
        decisive=[decisive_fact(f, side, efficacy.label) for f in facts[:2]],
        certainty_source=f"regulatory:{facts[0].id}",
    )


def _brief_time(hours: float) -> str:
    """Seconds where minutes would round to 0 ("30 s", not "0 min"), else as every time is shown."""
    return f"{round(hours * 3600)} s" if hours * 60 < 1.5 else format_hours(hours)


def _reported_time(
    claim: Claim,
    label: str,
    support: Sequence[tuple[Assessed, TimeFinding]],
    against: Sequence[tuple[Assessed, TimeFinding]],
    rules: Rules,
) -> Component | None:
    """A sentence that reports one study's timing ("in a 2014 trial of 41 veterans, symptoms eased
    within a day") is judged on the time that study reports, found by the size or year the page gives
    (:mod:`ketlit.claims.cited_study`): supported or contradicted at one study's certainty, whatever
    the other studies report. None where no reporting study matches or the best matches disagree."""
    if not reports_one_study(claim, rules):
        return None
    details = closest(claim, rules, ((a.record, a.design in HIGH_DESIGNS) for a, _ in (*support, *against)))
    if not details and names_no_detail(claim):
        # No size or year to find it by: any counted study of the kind the page names that reports a time
        # (every one agreeing decides; disagreeing, the page's study is unknown).
        details = {a.record.id: ["no size or year given; every reporting study of that kind agrees"]
                   for a, _ in (*support, *against) if kind_fits(claim, rules, a.design in HIGH_DESIGNS)}
    ids = set(details)
    sup = [(a, t) for a, t in support if a.record.id in ids]
    ag = [(a, t) for a, t in against if a.record.id in ids]
    if not ids or (sup and ag):
        return None
    verdict, side = ("supported", "for") if sup else ("contradicted", "against")
    a, t = (sup or ag)[0]
    certainty, notes = one_study_certainty(a, rules, "study")
    reasons = [
        f"{label}: {verdict} — the page reports one study: {a.record.id} matches it on "
        f"{', '.join(details[a.record.id])} and reports {_text(t)}",
        *(f"{label}: {n}" for n in notes),
    ]
    return Component(
        label,
        verdict,
        certainty,
        reasons,
        [cite(b, _text(u)) for b, u in (*sup, *ag)],
        decisive=[decisive_of(b, side, _number(u), u.sentence, part=label) for b, u in _one_each([*sup, *ag])[:3]],
        certainty_source=grade_source("the one study the page reports", notes),
    )


def _shorter_durations(
    claim: Claim, neutral: Sequence[tuple[Assessed, TimeFinding]]
) -> list[tuple[Assessed, TimeFinding]]:
    """Benefit reported to last at least some time shorter than the page's "lasts at least X" (the
    studies followed it no longer): the direction holds, the duration is overstated."""
    thr = claim.threshold
    if claim.kind != "duration" or thr is None or thr.op not in (">=", ">"):
        return []
    limit = threshold_hours(thr)
    return [
        (a, t) for a, t in neutral if t.effect and t.bound == "at_least" and t.hours is not None and t.hours < limit
    ]


def _one_each(found: Sequence[tuple[Assessed, TimeFinding]]) -> list[tuple[Assessed, TimeFinding]]:
    """One finding per study: a stated time before "rapid" without one, then larger designs first
    (the ones that weigh most decide)."""
    seen: dict[str, tuple[Assessed, TimeFinding]] = {}
    for a, t in sorted(found, key=lambda at: (at[1].hours is None, -at[0].rank, at[0].record.id)):
        seen.setdefault(a.record.id, (a, t))
    return list(seen.values())


def _number(t: TimeFinding) -> str:
    h = format_hours(t.hours) if t.hours is not None else "rapid, no time given"
    return f"{t.kind} {h}"


def time_verdict(n_for: int, n_against: int, *, possible: bool) -> str:
    """The verdict from the studies whose times bear the page's out and those whose times refute it. As a time is
    borne out when most reports agree with it, it is refuted when most disagree: nine studies seeing the benefit end
    within weeks outweigh two that saw it last a year. A time said to be possible ("can last for months") claims
    only that some get it, which the few reports for it bear out in part."""
    if n_for and n_for >= 2 * n_against:
        return "supported"
    if n_against and (not n_for or (n_against >= 3 * n_for and not possible)):
        return "contradicted"
    return "partly_supported" if n_for or n_against else "insufficient_evidence"


def _possible(claim: Claim, rules: Rules) -> bool:
    """The page says the time can be reached, not that it usually is ("can last for months")."""
    hedges = rules.cues.get("hedges")
    return claim.strength == "hedged" or (hedges is not None and hedges.any(claim.clause or claim.text))


def judge_time(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    policy: VerdictPolicy,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    """The reconciled onset or duration verdict (see the module docstring)."""
    if unread_target(claim, rules, policy, wording=False):
        return finish("insufficient_evidence", None, [UNREAD_TARGET], [], rules, as_tested(claim, rules))
    parts: list[Component] = []
    for ind in claim.indication or ("",):
        efficacy = efficacy_established(claim, ind, records, rules, policy, cache, memo)
        if efficacy.verdict not in ("supported", "partly_supported"):
            parts.append(
                Component(
                    efficacy.label,
                    "insufficient_evidence",
                    None,
                    [
                        f"{efficacy.label}: efficacy for this product and condition is not established "
                        f"({efficacy.verdict.replace('_', ' ')}), so its {claim.kind} is not judged",
                        *efficacy.reasons[:1],
                    ],
                    efficacy.cited[:3],
                )
            )
            continue
        sub = replace(claim, indication=(ind,) if ind else ())
        labelled = _label_time(claim, ind, efficacy, rules)
        if labelled is not None:
            parts.append(labelled)
            continue
        parts.append(_time_part(claim, efficacy, assess_all(sub, records, rules, cache, memo), rules, policy))
    verdict, certainty, why = combine_claim(claim, parts)
    decisive, source = decisive_parts(parts, certainty, verdict)
    reasons = [r for p in parts for r in p.reasons] + why
    # "Works immediately", "instant relief", "long-lasting results": the efficacy rule for intensified wording holds
    # for the time course too ("immediate relief" and "works immediately" were judged apart).
    verdict = wording_carried(verdict, claim.strength, certainty, policy, reasons)
    if claim.threshold is not None and any(n.startswith("'") for n in claim.notes):
        reasons.append("the claim's wording is vague; the threshold is ketlit's reading (see 'as tested')")
    cited = [c for p in parts for c in p.cited]
    return finish(
        verdict, certainty, reasons, cited, rules, as_tested(claim, rules), decisive=decisive, certainty_source=source
    )
