"""Rate claims ("70% of patients respond"): pooled only from enough comparable arms.

Design decisions:

* **Pool only what is comparable** (failure mode L): active-arm response or remission proportions
  at the same timepoint band are pooled (:mod:`ketlit.claims.stats`) only when at least the
  verdict rules' ``min_pool_arms`` studies report one; with fewer, the best review's figure is
  quoted if there is one, and otherwise the claim is insufficient evidence — a pool of one or
  two small studies never drives a verdict.
* **Where the page's number comes from** (item 5 of the issue): a study whose own figure matches
  the page's number (within ``number_match_points``) is named with what kind of study it is
  (single-arm open-label series, controlled trial …) next to the pooled or controlled estimate.
* The threshold comparison: the whole CI on the claimed side → supported; the estimate on the
  claimed side but the CI crossing → partly supported; the estimate on the other side →
  contradicted. "Up to X%" is met when the best studies reach X; when the typical result is far
  lower the claim is only partly supported.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Final

from ketlit.claims.cited_study import (
    match_score,
    matching_details,
    names_no_detail,
    one_study_certainty,
    reports_one_study,
)
from ketlit.claims.efficacy import grade_source
from ketlit.claims.evidence import sort_key
from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import (
    Assessed,
    Decisive,
    Verdict,
    as_tested,
    cite,
    decisive_of,
    exclusion_reason,
    finish,
    rate_text,
)
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.numbers import RateFinding, percents
from ketlit.claims.policy import VerdictPolicy
from ketlit.claims.rules import Rules
from ketlit.claims.stats import Pooled, StudyProportion, pool_proportions
from ketlit.claims.synthesis import profile_of
from ketlit.claims.timing import result_sentence

# A percentage of studies, not of patients: "the vast majority of studies (88.8%)", "60% of the
# included trials".
_UNITS = r"(?:studies|trials|RCTs|articles|papers|reports|reviews|publications)"
_OF_STUDIES = re.compile(
    rf"(\d+(?:\.\d+)?)\s*%\)?\s*(?:of|in)\s+(?:the\s+)?(?:\w+\s+){{0,2}}{_UNITS}\b"
    rf"|\b{_UNITS}\s*\(\s*(\d+(?:\.\d+)?)\s*%",
    re.IGNORECASE,
)

_BUCKETS: tuple[tuple[float, str], ...] = (
    (36.0, "within 36 hours"),
    (240.0, "2–10 days"),
    (24.0 * 49, "2–7 weeks"),
    (math.inf, "after 7 weeks"),
)


def _bucket(hours: float | None) -> str:
    if hours is None:
        return "timepoint not stated"
    return next(label for limit, label in _BUCKETS if hours <= limit)


def patient_rate(a: Assessed, r: RateFinding) -> bool:
    """Whether a rate is a result about patients: read from a result or conclusion sentence (not the
    background's "25–30% of patients do not respond to SSRIs") and not a share of studies."""
    if r.origin == "ctgov":
        return True
    shares = {float(m.group(1) or m.group(2)) for m in _OF_STUDIES.finditer(r.sentence)}
    if any(abs(x - r.pct) < 0.05 for x in shares):
        return False
    return result_sentence(a.record, r.sentence)


def _arms(
    claim: Claim, counted: Sequence[Assessed], construct: str, rules: Rules
) -> tuple[list[tuple[Assessed, RateFinding]], str, bool]:
    """(one arm per study at the target timepoint band, the band, whether they are direct)."""
    candidates = [
        (a, r)
        for a in counted
        for r in a.findings.rates
        if r.construct == construct and r.poolable and patient_rate(a, r)
    ]
    # A trial reported in PubMed and with posted results is counted once (the posted results win).
    ctgov_ids = {a.record.id for a, r in candidates if r.origin == "ctgov"}
    candidates = [
        (a, r) for a, r in candidates if not (a.record.source == "pubmed" and set(a.record.linked_ids) & ctgov_ids)
    ]
    direct = [(a, r) for a, r in candidates if a.direct]
    pool_from = direct or candidates
    order = [label for _, label in _BUCKETS] + ["timepoint not stated"]
    if claim.timepoint_hours is not None:
        target = _bucket(claim.timepoint_hours)
    else:
        # The timepoint most studies report; stated timepoints beat unstated ones, earlier beats later.
        buckets = Counter(_bucket(r.timepoint_hours) for _, r in {a.record.id: (a, r) for a, r in pool_from}.values())
        timed = Counter({b: n for b, n in buckets.items() if b != "timepoint not stated"}) or buckets
        target = min(timed, key=lambda b: (-timed[b], order.index(b))) if timed else ""
    chosen: dict[str, tuple[Assessed, RateFinding]] = {}
    for a, r in pool_from:
        if _bucket(r.timepoint_hours) == target and f"{a.record.source}:{a.record.id}" not in chosen:
            chosen[f"{a.record.source}:{a.record.id}"] = (a, r)
    # Comparable arms share the regimen too: one product by one route. Direct arms share the
    # claim's; indirect ones (or a claim naming no route) may not, so the largest group is pooled.
    # A record tagged with no route (a registry entry, say) is not known to differ: it joins the group.
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[Assessed, RateFinding]]] = {}
    untagged = [(a, r) for a, r in chosen.values() if not a.record.axis("route")]
    for a, r in chosen.values():
        if a.record.axis("route"):
            groups.setdefault(_regimen(a), []).append((a, r))
    largest = max(groups.values(), key=lambda g: (len(g), sum(r.n or 0 for _, r in g)), default=[])
    items = sorted(largest + untagged, key=lambda ar: sort_key(ar[0].record, rules))
    return items, target, bool(direct)


def _regimen(a: Assessed) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(molecules, routes) of a study's drug arm, as tagged."""
    return tuple(sorted(a.record.axis("molecule"))), tuple(sorted(a.record.axis("route")))


def number_source(thr: Threshold, counted: Sequence[Assessed], policy: VerdictPolicy) -> list[str]:
    """Studies whose own figure matches the page's number, named with their kind."""
    out = []
    for a in counted:
        for r in a.findings.rates:
            if r.arm == "comparator" or abs(r.pct - thr.value) > policy.number_match_points:
                continue
            profile = profile_of(a.record) or {}
            kind = str((profile.get("question") or {}).get("value") or a.design).replace("_", " ")
            n = f", n = {r.n}" if r.n else ""
            out.append(
                f"where the page's {thr.value:g}% may come from: {a.record.id} ({kind}{n}) reports {r.construct} "
                f"{r.pct:.1f}%: “{r.sentence}”"
            )
            break
    return out[:3]


_COMPARATOR_FIGURE: Final = "the comparator arm's figure"


def _is_secondary(a: Assessed) -> bool:
    """Whether the study's profile reads it as a secondary report of a trial (post hoc, pooled, predictor)."""
    profile = profile_of(a.record) or {}
    return str((profile.get("question") or {}).get("value")) == "predictor_or_secondary"


def _details(
    a: Assessed, claim: Claim, thr: Threshold, policy: VerdictPolicy, matched: RateFinding | None = None
) -> list[str]:
    """What else the page says of its one trial that this study matches: its size, its year, the
    comparator arm's figure (an arm read as the comparator's, or another figure of the sentence that gave the
    drug's: "63.4% vs. 49.5%", whose arms the number reader could not tell)."""
    out = matching_details(a.record, claim.text)
    others = [x for x in percents(claim.text) if abs(x - thr.value) > 0.05]
    control = [
        r.pct
        for r in a.findings.rates
        if r.arm == "comparator"
        or (matched is not None and r.arm == "unknown" and r.sentence == matched.sentence and r.pct != matched.pct)
    ]
    if any(abs(x - c) <= policy.number_match_points for x in others for c in control):
        out.append(_COMPARATOR_FIGURE)
    return out


def _cited_trial(
    claim: Claim, thr: Threshold, counted: Sequence[Assessed], rules: Rules, policy: VerdictPolicy, reasons: list[str]
) -> Verdict | None:
    """A rate the page gives for one trial it names ("In a 2006 trial of 18 patients, 71% responded"):
    a counted controlled study reporting that figure for the drug's arm, and matching one more detail
    the page gives (size, year, the comparator arm's figure), is the trial described, and the page
    reports it right: supported, at the certainty one trial gives. Otherwise None (the usual rule)."""
    if not reports_one_study(claim, rules):
        return None
    found: list[tuple[Assessed, RateFinding, list[str]]] = []
    figure_only: list[tuple[Assessed, RateFinding, list[str]]] = []
    for a in counted:
        # A trial with a control arm, its question efficacy or head to head; or a secondary report of a trial that
        # gives both of the page's arms ("63.4% vs 49.5%"), as a pooled or NNT analysis restates the pivotal trial.
        controlled = _controlled(a, policy) or a.design == "rct"
        if not controlled and not _is_secondary(a):
            continue
        rate = next(
            (
                r
                for r in a.findings.rates
                if r.arm != "comparator" and not r.summary and abs(r.pct - thr.value) <= policy.number_match_points
            ),
            None,
        )
        details = _details(a, claim, thr, policy, rate) if rate is not None else []
        if rate is not None and details and (controlled or _COMPARATOR_FIGURE in details):
            found.append((a, rate, details))
        elif rate is not None and controlled:
            figure_only.append((a, rate, ["the page's figure (it gives no size or year)"]))
    if not found and names_no_detail(claim) and len({a.record.id for a, _, _ in figure_only}) == 1:
        # No size or year to tell the trial by ("In the first placebo-controlled trial for OCD, half responded"):
        # the one counted controlled trial whose drug arm reports the page's figure is the trial described. With
        # two or more such trials, the figure could be any of theirs, and the usual rule decides.
        found = figure_only[:1]
    if not found:
        return None
    a, r, details = max(found, key=lambda x: (match_score(x[2]), x[0].rank))
    certainty, greasons = one_study_certainty(a, rules)
    return finish(
        "supported",
        certainty,
        [
            *reasons,
            f"the page reports one trial: {a.record.id} reports {r.construct} {r.pct:.1f}% for the drug's arm "
            f"and matches the page on {', '.join(details)}",
            *greasons,
        ],
        [cite(a, rate_text(r) + f" — “{r.sentence}”")],
        rules,
        as_tested(claim, rules),
        decisive=_decisive("supported", [(a, r)]),
        certainty_source=grade_source("the one trial the page reports", greasons),
    )


def _few_arms(
    claim: Claim,
    thr: Threshold,
    items: Sequence[tuple[Assessed, RateFinding]],
    summaries: Sequence[tuple[Assessed, RateFinding]],
    target: str,
    rules: Rules,
    policy: VerdictPolicy,
    reasons: list[str],
    reached: Sequence[float] = (),
) -> Verdict:
    """Fewer comparable arms than the rules pool: quote the best review's figure, else no verdict."""
    tested = as_tested(claim, rules)
    if summaries:
        a, r = max(summaries, key=lambda ar: (ar[0].rank, ar[1].n or 0))
        # "Up to 70%" is met by the best comparable arm even where the review's typical figure is lower (partly,
        # not contradicted): the arms read here, too few to pool, still show how high rates reach.
        best_arm = max([q.pct for _, q in items] + list(reached), default=None)
        top = None if best_arm is None else max(best_arm, r.pct)
        verdict = _compare(thr, r.pct, r.pct, r.pct, top, best_arm, rules)
        certainty, greasons = grade_studies(
            [a], rules, imprecision="review estimate without a confidence interval read from the abstract"
        )
        return finish(
            verdict,
            certainty,
            [*reasons, f"a review reports {r.construct} {r.pct:.1f}% (not re-pooled)", *greasons],
            [
                cite(a, rate_text(r) + f" — “{r.sentence}”"),
                *(cite(b, rate_text(q) + " (not pooled)") for b, q in items),
            ],
            rules,
            tested,
            decisive=_decisive(verdict, [(a, r)]),
            certainty_source=grade_source("the review's figure", greasons),
        )
    if not items:
        reasons.append(
            f"no {claim.outcome if claim.outcome in ('response', 'remission') else 'response'} rates "
            "for the drug arm could be extracted from the counted records"
        )
        return finish("insufficient_evidence", None, reasons, [], rules, tested)
    reasons.append(
        f"only {len(items)} comparable arm(s) at {target or 'any timepoint'}: rates are pooled only from "
        f"{policy.min_pool_arms} or more, so no pooled estimate decides this claim"
    )
    return finish("insufficient_evidence", None, reasons, [cite(a, rate_text(r)) for a, r in items], rules, tested)


def _controlled(a: Assessed, policy: VerdictPolicy) -> bool:
    """Whether the study compares the drug with a control (its profile's question; else its design)."""
    profile = profile_of(a.record)
    if profile is None:
        return a.design == "rct"
    return str((profile.get("question") or {}).get("value")) in policy.counts


def _best_direct_arms(counted: Sequence[Assessed], construct: str) -> list[tuple[Assessed, RateFinding]]:
    """Each record's highest drug-arm rate of the outcome, from direct evidence only: another product's or
    population's arms say nothing of a claim's figure."""
    best: dict[str, tuple[Assessed, RateFinding]] = {}
    for a in counted:
        for r in a.findings.rates:
            if r.construct != construct or r.arm != "active" or r.summary or r.range or not patient_rate(a, r):
                continue
            if a.record.id not in best or r.pct > best[a.record.id][1].pct:
                best[a.record.id] = (a, r)
    return [ar for ar in best.values() if ar[0].direct]


def _reported_arms(
    claim: Claim, thr: Threshold, counted: Sequence[Assessed], rules: Rules, policy: VerdictPolicy, reasons: list[str]
) -> Verdict | None:
    """A rate claim without a pool or a review's figure ("up to 70%", "70–80% of patients"): it says
    rates reach X. Independent controlled trials (``min_independent_rcts``, direct evidence) whose drug
    arms reach X (within the tolerance) bear out that they can, not that X is typical — partly
    supported; when at least ``min_pool_arms`` studies report a drug-arm rate and none comes near X,
    the claim overstates every result — contradicted.
    Otherwise (None) the claim is left to the usual rule (insufficient evidence)."""
    construct = claim.outcome if claim.outcome in ("response", "remission") else "response"
    direct = _best_direct_arms(counted, construct)
    tol = rules.approx_tolerance_pct
    top = sorted(direct, key=lambda ar: (-ar[1].pct, ar[0].record.id))
    controlled = [ar for ar in top if _controlled(ar[0], policy) and ar[1].pct >= thr.value - tol]
    if len(controlled) >= policy.min_independent_rcts:
        verdict = "partly_supported"
        decisive = controlled[:3]
        reasons.append(
            f"the page says rates reach {thr.value:g}%: the drug arm of {len(controlled)} controlled trial(s) "
            f"reaches it (highest {controlled[0][1].pct:.1f}%), but too few comparable arms to show it is typical"
        )
    elif len(top) >= policy.min_pool_arms and top[0][1].pct < thr.value - tol:
        verdict = "contradicted"
        decisive = top[:3]
        reasons.append(
            f"the page says rates reach {thr.value:g}%: none of {len(top)} studies reporting a drug-arm rate comes "
            f"near it (highest {top[0][1].pct:.1f}%)"
        )
    else:
        return None
    used = [a for a, _ in decisive]
    certainty, greasons = grade_studies(
        used,
        rules,
        inconsistency="figures from different timepoints and regimens",
        imprecision="figures of single arms, not pooled",
    )
    return finish(
        verdict,
        certainty,
        [*reasons, *greasons],
        [cite(a, rate_text(r) + f" — “{r.sentence}”") for a, r in top[:8]],
        rules,
        as_tested(claim, rules),
        decisive=_decisive(verdict, decisive),
        certainty_source=grade_source("single-arm figures", greasons),
    )


def _grade_pool(pooled: Pooled, thr: Threshold, used: Sequence[Assessed], rules: Rules) -> tuple[str, list[str]]:
    lo, hi = pooled.ci_low * 100, pooled.ci_high * 100
    inconsistency = None
    if pooled.i2 is not None and pooled.i2 > rules.i2_inconsistency:
        inconsistency = f"I² = {pooled.i2:.0f}%"
    pi_lo, pi_hi = pooled.pi_low, pooled.pi_high
    crosses = pi_lo is not None and pi_hi is not None and pi_lo * 100 < thr.value < pi_hi * 100
    if crosses and thr.op in (">", ">=", "<", "<="):
        inconsistency = (
            inconsistency + "; " if inconsistency else ""
        ) + "the prediction interval crosses the claimed threshold"
    imprecision = []
    if lo < thr.value < hi:
        imprecision.append("the confidence interval crosses the claimed threshold")
    if pooled.n < rules.optimal_information_size:
        imprecision.append(f"N = {pooled.n} < {rules.optimal_information_size}")
    return grade_studies(used, rules, inconsistency=inconsistency, imprecision="; ".join(imprecision) or None)


def judge_rate(claim: Claim, assessed: list[Assessed], rules: Rules, policy: VerdictPolicy) -> Verdict:
    """The verdict on a rate claim (see the module docstring)."""
    tested = as_tested(claim, rules)
    construct = claim.outcome if claim.outcome in ("response", "remission") else "response"
    reasons = exclusion_reason(assessed)
    if claim.outcome == "improvement":
        reasons.append("the page claims 'improvement'; tested against response rates, the nearest defined outcome")
    counted = [a for a in assessed if a.counted]
    thr = claim.threshold
    if thr is None:
        return finish(
            "insufficient_evidence", None, [*reasons, "no number could be read from the claim"], [], rules, tested
        )
    items, target, direct = _arms(claim, counted, construct, rules)
    summaries = [
        (a, r)
        for a in counted
        for r in a.findings.rates
        if r.construct == construct and r.summary and r.arm != "comparator" and not r.range and patient_rate(a, r)
    ]
    reasons += number_source(thr, counted, policy)
    cited_trial = _cited_trial(claim, thr, counted, rules, policy, reasons)
    if cited_trial is not None:
        return cited_trial
    if len(items) < policy.min_pool_arms and not summaries:
        reached = _reported_arms(claim, thr, counted, rules, policy, reasons)
        if reached is not None:
            return reached
    if len(items) < policy.min_pool_arms:
        tops = _drug_arm_rates(counted, construct, policy)
        return _few_arms(claim, thr, items, summaries, target, rules, policy, reasons, tops)
    pooled = pool_proportions(
        [StudyProportion(f"{a.record.source}:{a.record.id}", r.events or 0, r.n or 0) for a, r in items]
    )
    est, lo, hi = pooled.estimate * 100, pooled.ci_low * 100, pooled.ci_high * 100
    pi = (
        (pooled.pi_low * 100, pooled.pi_high * 100)
        if pooled.pi_low is not None and pooled.pi_high is not None
        else None
    )
    best_single = max(r.pct for _, r in items)
    verdict = _compare(thr, est, lo, hi, pi[1] if pi else best_single, best_single, rules)
    reasons.append(
        f"pooled {construct} {est:.1f}% (95% CI {lo:.1f}–{hi:.1f}%"
        + (f"; prediction interval {pi[0]:.1f}–{pi[1]:.1f}%" if pi else "")
        + f") from k={pooled.k} studies, N={pooled.n}, {target}; claim {thr.describe()}"
    )
    if pooled.corrected:
        reasons.append(f"continuity correction (0.5) applied to {', '.join(pooled.corrected)} (0 or all events)")
    if not direct:
        reasons.append("no direct evidence for this route/molecule/indication; indirect studies were pooled")
    certainty, greasons = _grade_pool(pooled, thr, [a for a, _ in items], rules)
    reasons.extend(greasons)
    if claim.outcome_defined is False:
        reasons.append(
            "the page does not say what counts as success, so the verdict rests on the usual response definition"
        )
    cited = [cite(a, rate_text(r)) for a, r in items]
    cited += [cite(a, rate_text(r) + " (review estimate, not re-pooled)") for a, r in summaries[:3]]
    largest = sorted(items, key=lambda ar: (-(ar[1].n or 0), ar[0].record.id))
    return finish(
        verdict,
        certainty,
        reasons,
        cited,
        rules,
        tested,
        pooled,
        decisive=_decisive(verdict, largest[:4]),
        certainty_source=grade_source(f"a pool of {pooled.k} arms", greasons),
    )


def _drug_arm_rates(counted: Sequence[Assessed], construct: str, policy: VerdictPolicy) -> list[float]:
    """The drug-arm rates of the outcome that counted controlled trials of the claim's own population, drug and route
    report, at any time: how high single trials reach, beside a review's typical figure ("70% respond" where trials
    report 64-71% and a review 52%). Indirect trials never lift a page's figure (as in :func:`_reported_arms`)."""
    # Only the highest is used: each record's best arm serves, from a stored profile asking a controlled question.
    return [
        r.pct
        for a, r in _best_direct_arms(counted, construct)
        if profile_of(a.record) is not None and _controlled(a, policy)
    ]


def _decisive(verdict: str, used: Sequence[tuple[Assessed, RateFinding]]) -> list[Decisive]:
    """The arms or review figure a rate verdict rests on: for the claim unless it is contradicted."""
    stance = "against" if verdict == "contradicted" else "for"
    return [decisive_of(a, stance, rate_text(r), r.sentence) for a, r in used]


def _compare(
    thr: Threshold, est: float, lo: float, hi: float, upper: float | None, best: float | None, rules: Rules
) -> str:
    v, op, tol = thr.value, thr.op, rules.approx_tolerance_pct
    if op in (">", ">="):

        def ok(x: float) -> bool:
            return x > v if op == ">" else x >= v

        if ok(lo):
            return "supported"
        return "partly_supported" if ok(est) else "contradicted"
    if op in ("<", "<="):
        # "Up to 70%": the claim is that rates reach X — met by the best studies, misleading if typical is far lower.
        top = upper if upper is not None else hi
        if top < v - tol:
            return "contradicted"
        return "supported" if est >= v - tol else "partly_supported"
    if abs(est - v) <= tol:
        return "supported" if lo >= v - 2 * tol and hi <= v + 2 * tol else "partly_supported"
    if hi < v - tol:
        # Above the typical rate: partly when the best single trial reaches the page's figure ("70% respond" where
        # trials report 64-71%), contradicted when none does.
        return "partly_supported" if best is not None and best >= v - tol else "contradicted"
    if lo > v + tol:
        return "contradicted"
    return "partly_supported"
