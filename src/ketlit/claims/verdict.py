"""Verdicts an editor can defend: what the evidence says about one claim, how sure, and why.

Design decisions:

* **Five verdicts, GRADE-like certainty.** ``supported``, ``partly_supported``, ``contradicted``,
  ``insufficient_evidence`` and ``not_checkable``. Certainty starts from the best design that
  contributed (meta-analysis / systematic review / RCT: high; non-randomised or observational:
  low; case reports: very low) and drops one level per domain with a problem: risk of bias
  (functional unblinding — RCTs against an inert placebo although the drug's dissociation
  reveals allocation), inconsistency (I² above the rules' limit, a prediction interval crossing
  the claimed threshold, studies pointing both ways), indirectness (another route, molecule or
  population than the claim's — esketamine nasal spray cited for an IV clinic), imprecision
  (few participants, a confidence interval crossing the threshold). Each drop is a visible
  reason. Regulatory facts are decisions by the regulator, so they carry high certainty.
* **Direct evidence first.** Records whose indication, route and molecule match the claim are
  used alone when they exist; indirect records are used only when nothing direct is available,
  and then the indirectness downgrade applies. Records for another indication (anaesthesia
  data for a depression claim), animal and in-vitro work, and narrative reviews / protocols
  never count; how many were set aside, and why, is a reason too.
* **Per kind.**
  - ``efficacy_rate``: active-arm response/remission proportions at a common timepoint are
    pooled (:mod:`ketlit.claims.stats`) and the claim's threshold is compared with the pooled
    estimate: the whole CI on the claimed side → supported; the estimate on the claimed side
    but the CI crossing → partly supported; the estimate on the other side → contradicted
    (with an imprecision downgrade when the CI still reaches the threshold). "Up to X%" is
    met when the best studies (upper prediction bound, or the best single study) reach X;
    when the typical result is far lower the claim is only partly supported.
  - ``efficacy``: per indication. A regulator's approval of the claimed molecule for that use
    (by a compatible route) supports it with high certainty — approval rests on adequate,
    well-controlled trials. Otherwise the direction of effect in the conclusions of counted
    studies decides: positive meta-analyses or ≥ 2 positive RCTs without more than half as many
    null RCTs → supported (only partly when all of it is indirect); positive findings only from
    weaker designs, or mixed → partly supported; only null results from RCTs / reviews →
    contradicted. A claim naming several indications is supported only if all are; the reasons
    list each one.
  - ``onset`` / ``duration``: reported times against the claimed bound. For durations, "lasted
    at least X" supports a claim of ≥ X and "relapsed / back to baseline by X" argues against it.
  - ``safety``: a claim that denies or minimises a risk ("not addictive", "addiction risk is
    minimal") needs evidence of the opposite to be contradicted. Denials are contradicted by any
    such evidence: a regulatory finding (Schedule III, boxed warning, FDA warning) or a report of
    the harm. For the risks listed in ``[safety] regulated_risks`` (addiction), a regulator's
    finding is itself the opposite of "minimal", so a minimising claim is contradicted even when
    supervised trials saw few cases (the reason says so); for other risks, minimising is
    contradicted by reports of lasting harm and otherwise partly supported. "Side effects
    subside quickly" needs reports that they are transient (supported when those outnumber
    reports of persistent effects at least 3 : 1). Claims that acknowledge a risk are supported
    when the evidence documents the same risk.
  - ``regulatory``: checked against ``regulatory.toml`` only (approval per molecule and
    indication, schedule, off-label legality, REMS), citing the source of each fact.
  - ``dosing``: the stated dose against doses used in counted studies of the same route.
* **Every verdict other than insufficient_evidence / not_checkable cites a record or a
  regulatory source**; a verdict that would not is downgraded to insufficient evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ketlit.claims.evidence import EvidenceRecord, design_of, design_rank, is_preclinical, sort_key
from ketlit.claims.extract import molecules_in
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.numbers import (
    AdverseFinding,
    Findings,
    RateFinding,
    TimeFinding,
    abstract_findings,
    ctgov_rates,
    format_hours,
    sample_size,
)
from ketlit.claims.rules import Patterns, RegulatoryFact, Rules
from ketlit.claims.stats import Pooled, StudyProportion, pool_proportions
from ketlit.claims.text import split_sentences

CERTAINTY = ("very_low", "low", "moderate", "high")
VERDICTS = ("supported", "partly_supported", "insufficient_evidence", "contradicted", "not_checkable")
_BUCKETS: tuple[tuple[float, str], ...] = (
    (36.0, "within 36 hours"),
    (240.0, "2–10 days"),
    (24.0 * 49, "2–7 weeks"),
    (math.inf, "after 7 weeks"),
)
_HIGH_DESIGNS = ("meta_analysis", "systematic_review")


@dataclass(frozen=True, slots=True)
class Cited:
    """One piece of evidence shown with a verdict."""

    source: str  # "pubmed" | "ctgov" | "regulatory"
    id: str
    design: str
    finding: str
    url: str | None
    year: int | None = None
    direct: bool = True
    title: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one claim."""

    verdict: str
    certainty: str | None
    reasons: tuple[str, ...]
    evidence: tuple[Cited, ...] = ()
    pooled: Pooled | None = None
    as_tested: str = ""


@dataclass(slots=True)
class Assessed:
    """A candidate record judged against a claim."""

    record: EvidenceRecord
    design: str
    rank: int
    findings: Findings
    exclusion: str | None = None
    indirect: list[str] = field(default_factory=list)
    unblinded: bool | None = None

    @property
    def counted(self) -> bool:
        return self.exclusion is None

    @property
    def direct(self) -> bool:
        return not self.indirect


# ------------------------------------------------------------------ assessing records


def _findings(record: EvidenceRecord, design: str, rules: Rules) -> Findings:
    f = abstract_findings(record.title, record.abstract, rules, summary=design in _HIGH_DESIGNS)
    if record.results:
        f = replace(f, rates=f.rates + tuple(ctgov_rates(record.results, rules)))
    return f


def assess(claim: Claim, record: EvidenceRecord, rules: Rules, cache: dict[str, Findings] | None = None) -> Assessed:
    """Whether a record counts for a claim, how directly, and what it reports."""
    design = design_of(record, rules)
    key = f"{record.source}:{record.id}"
    if cache is not None and key in cache:
        findings = cache[key]
    else:
        findings = _findings(record, design, rules)
        if cache is not None:
            cache[key] = findings
    a = Assessed(record=record, design=design, rank=design_rank(record, rules), findings=findings)
    if is_preclinical(record, rules):
        a.exclusion = "animal or in-vitro study (never counts for clinical claims)"
        return a
    if design in rules.not_evidence or a.rank == 0:
        a.exclusion = (
            "design not identified" if design == "other" else f"{design.replace('_', ' ')} (not evidence of effect)"
        )
        return a
    rec_ind = _effective_indications(record, rules)
    if claim.kind != "safety" and claim.indication:
        direct = any(rec_ind & set(rules.family(c).direct) for c in claim.indication)
        related = any(rec_ind & set(rules.family(c).indirect) for c in claim.indication)
        if not rec_ind:
            # Untagged records count only if their text names the claimed condition.
            text = f"{record.title} {record.abstract}"
            named = [c for c in claim.indication if c in rules.indications and rules.indications[c].any(text)]
            if not named:
                a.exclusion = "indication not tagged and the claimed condition not named"
                return a
            a.indirect.append("indication read from text (record not tagged)")
        elif not direct and not related:
            a.exclusion = f"other indication ({', '.join(sorted(rec_ind))})"
            return a
        elif not direct:
            a.indirect.append(
                f"related population ({', '.join(sorted(rec_ind))}) for a claim about {', '.join(claim.indication)}"
            )
    rec_route, rec_mol = set(record.axis("route")), set(record.axis("molecule"))
    if claim.route and rec_route and not rec_route & set(claim.route):
        a.indirect.append(f"route {', '.join(sorted(rec_route))} for a claim about {', '.join(claim.route)}")
    if claim.molecule and rec_mol and not rec_mol & set(claim.molecule):
        a.indirect.append(f"molecule {', '.join(sorted(rec_mol))} for a claim about {', '.join(claim.molecule)}")
    pop = set(record.axis("population"))
    if claim.kind != "safety" and pop == {"healthy_volunteers"}:
        a.indirect.append("healthy volunteers")
    if design == "rct" and set(claim.indication) & set(rules.unblinding_indications):
        text = " ".join([record.title, record.abstract, *(str(r.get("groups") or "") for r in record.results)])
        if rules.arms["active_placebo"].any(text):
            a.unblinded = False
        elif rules.arms["inert_placebo"].any(text):
            a.unblinded = True
    return a


def _effective_indications(record: EvidenceRecord, rules: Rules) -> set[str]:
    """The record's indications without roll-up parents that a tagged child explains."""
    tags = set(record.axis("indication"))
    for parent, children in rules.rollup_parents.items():
        if parent in tags and tags & set(children):
            tags.discard(parent)
    return tags


# Assessments of one claim reading against one candidate list, shared by claims that differ only in
# what is judged afterwards (a threshold, a timepoint): assess() reads kind, indication, route and
# molecule of the claim and nothing else. Never mutated after assess() returns, so safe to share.
AssessMemo = dict[tuple[object, ...], list[Assessed]]


def _assess_all(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> list[Assessed]:
    key: tuple[object, ...] = ()
    if memo is not None:
        key = (claim.kind, claim.indication, claim.route, claim.molecule, *((r.source, r.id) for r in records))
        if key in memo:
            return list(memo[key])
    seen: set[tuple[str, str]] = set()
    out: list[Assessed] = []
    for r in sorted(records, key=lambda r: sort_key(r, rules)):
        if (r.source, r.id) in seen:
            continue
        seen.add((r.source, r.id))
        out.append(assess(claim, r, rules, cache))
    if memo is not None:
        memo[key] = list(out)
    return out


def _exclusion_reason(assessed: Sequence[Assessed]) -> list[str]:
    counts = Counter(a.exclusion for a in assessed if a.exclusion)
    if not counts:
        return []
    parts = [f"{n} × {why}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))]
    return [f"not counted: {'; '.join(parts)}"]


# ------------------------------------------------------------------ certainty


def _start_level(designs: Sequence[str], rules: Rules) -> int:
    best = max((rules.design_rank.get(d, 0) for d in designs), default=0)
    rct = rules.design_rank.get("rct", 5)
    if best >= rct:
        return 3
    if best >= rules.design_rank.get("observational", 3):
        return 1
    return 0


def _grade(
    used: Sequence[Assessed], rules: Rules, *, inconsistency: str | None = None, imprecision: str | None = None
) -> tuple[str, list[str]]:
    """Certainty and the reasons for each downgrade."""
    reasons: list[str] = []
    level = _start_level([a.design for a in used], rules)
    designs = {a.design for a in used}
    if level < 3:
        reasons.append(
            "no randomised trials or systematic reviews among the counted studies" if designs else "no counted studies"
        )
    rcts = [a for a in used if a.design == "rct"]
    unblinded = [a for a in rcts if a.unblinded]
    if rcts and len(unblinded) == len(rcts):
        reasons.append(
            f"risk of bias: functional unblinding — {len(unblinded)} of {len(rcts)} RCTs used an inert placebo, "
            "and the drug's dissociative effects let participants guess their allocation"
        )
        level -= 1
    if inconsistency:
        reasons.append(f"inconsistency: {inconsistency}")
        level -= 1
    if used and all(a.indirect for a in used):
        why = sorted({w for a in used for w in a.indirect})
        reasons.append(f"indirectness: {'; '.join(why)}")
        level -= 1
    if imprecision:
        reasons.append(f"imprecision: {imprecision}")
        level -= 1
    unindexed = [a for a in used if a.record.source == "pubmed" and not a.record.indexed]
    if unindexed:
        reasons.append(
            f"{len(unindexed)} counted record(s) not yet MEDLINE-indexed: "
            "design read from title/abstract, not publication types"
        )
    return CERTAINTY[max(0, level)], reasons


def _participants(used: Sequence[Assessed]) -> int:
    """Participants across studies: enrolment, else the largest denominator, else the stated sample size."""
    total = 0
    for a in used:
        ns = [r.n for r in a.findings.rates if r.n and r.arm != "comparator" and not r.summary]
        if a.record.enrollment:
            total += a.record.enrollment
        elif ns:
            total += max(ns)
        elif a.design not in _HIGH_DESIGNS:
            total += sample_size(a.record.abstract) or 0
    return total


# ------------------------------------------------------------------ citing


def _short(text: str, limit: int = 220) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cite(a: Assessed, finding: str) -> Cited:
    r = a.record
    return Cited(
        source=r.source,
        id=r.id,
        design=a.design,
        finding=_short(finding),
        url=r.url,
        year=r.year,
        direct=a.direct,
        title=_short(r.title, 160),
    )


def _cite_fact(fact: RegulatoryFact) -> Cited:
    src = fact.sources[0]
    return Cited(
        source="regulatory",
        id=fact.id,
        design="regulatory",
        finding=_short(fact.statement, 400),
        url=src.url,
        year=fact.year or None,
        title=_short(f"{src.publisher}: {src.title}", 200),
    )


def _rate_text(r: RateFinding) -> str:
    n = (
        f" ({r.events}/{r.n}{', n inferred' if r.n_inferred else ''})"
        if r.n is not None and r.events is not None
        else ""
    )
    when = f" at {format_hours(r.timepoint_hours)}" if r.timepoint_hours is not None else ""
    where = "posted results: " if r.origin == "ctgov" else ""
    return f"{where}{r.construct} {r.pct:.1f}%{n}{when}" + ("" if r.arm == "active" else f" [{r.arm} arm]")


def _finish(
    verdict: str,
    certainty: str | None,
    reasons: list[str],
    cited: list[Cited],
    rules: Rules,
    as_tested: str,
    pooled: Pooled | None = None,
) -> Verdict:
    cited = sorted(
        {(c.source, c.id, c.finding): c for c in cited}.values(),
        key=lambda c: (
            # Regulators' decisions first (never cut by max_cited), then direct evidence by design rank.
            c.source != "regulatory",
            not c.direct,
            -rules.design_rank.get(c.design, 0),
            -(c.year or 0),
            c.source,
            c.id,
            c.finding,
        ),
    )
    if verdict not in ("insufficient_evidence", "not_checkable") and not cited:
        reasons = [*reasons, "no record or regulatory source could be cited, so no verdict is given"]
        verdict, certainty = "insufficient_evidence", "very_low"
    if verdict == "insufficient_evidence" and certainty is None:
        certainty = "very_low"
    return Verdict(
        verdict=verdict,
        certainty=certainty,
        reasons=tuple(dict.fromkeys(reasons)),
        evidence=tuple(cited[: rules.max_cited]),
        pooled=pooled,
        as_tested=as_tested,
    )


# ------------------------------------------------------------------ as tested


def as_tested(claim: Claim, rules: Rules) -> str:
    """One line saying exactly what is being tested."""
    parts: list[str] = []
    mol = ", ".join(claim.molecule) or "the drug"
    route = f" ({', '.join(claim.route)})" if claim.route else " (any route)"
    ind = ", ".join(claim.indication) or "any indication"
    if claim.kind == "efficacy_rate":
        t = claim.threshold.describe() if claim.threshold else "?"
        when = f" at {format_hours(claim.timepoint_hours)}" if claim.timepoint_hours is not None else ""
        parts.append(
            f"proportion of patients with {claim.outcome or rules.outcome_default} on {mol}{route} for {ind}{when}: {t}"
        )
    elif claim.kind == "efficacy":
        parts.append(f"{mol}{route} improves outcomes in {ind} compared with control or baseline")
    elif claim.kind == "onset":
        t = f"{claim.threshold.op} {format_hours(claim.threshold.value)}" if claim.threshold else "any onset"
        parts.append(f"time to onset of benefit of {mol}{route} for {ind}: {t}")
    elif claim.kind == "duration":
        t = _time_threshold_text(claim.threshold) if claim.threshold else "any duration"
        parts.append(f"duration of benefit of {mol}{route} for {ind}: {t}")
    elif claim.kind == "safety":
        parts.append(f"{claim.safety_stance or 'assertion'} about {', '.join(claim.safety_topics)} with {mol}{route}")
    elif claim.kind == "regulatory" and claim.regulatory:
        reg = claim.regulatory
        what = ", ".join(reg.topics)
        extra = f" for {', '.join(reg.approval_indications)}" if reg.approval_indications else ""
        neg = " (negated)" if reg.negated else ""
        parts.append(f"US regulatory status of {mol}: {what}{extra}{neg}")
    elif claim.kind == "dosing" and claim.dose:
        parts.append(
            f"dose {claim.dose.low:g}–{claim.dose.high:g} {claim.dose.unit} of {mol}{route} as used in studies"
        )
    else:
        parts.append("not tested")
    notes = "; ".join(claim.notes)
    return parts[0] + (f" — {notes}" if notes else "")


def _time_threshold_text(t: Threshold) -> str:
    hours = t.value * (24.0 if t.unit == "days" else 1.0)
    return f"{t.op} {format_hours(hours)}"


def _threshold_hours(t: Threshold) -> float:
    return t.value * (24.0 if t.unit == "days" else 1.0)


# ------------------------------------------------------------------ efficacy_rate


def _bucket(hours: float | None) -> str:
    if hours is None:
        return "timepoint not stated"
    return next(label for limit, label in _BUCKETS if hours <= limit)


def _judge_rate(claim: Claim, assessed: list[Assessed], rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    construct = claim.outcome if claim.outcome in ("response", "remission") else "response"
    reasons = _exclusion_reason(assessed)
    if claim.outcome == "improvement":
        reasons.append("the page claims 'improvement'; tested against response rates, the nearest defined outcome")
    counted = [a for a in assessed if a.counted]
    candidates: list[tuple[Assessed, RateFinding]] = [
        (a, r) for a in counted for r in a.findings.rates if r.construct == construct and r.poolable
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
        buckets = Counter(_bucket(r.timepoint_hours) for _, r in pool_from)
        timed = Counter({b: n for b, n in buckets.items() if b != "timepoint not stated"}) or buckets
        target = min(timed, key=lambda b: (-timed[b], order.index(b))) if timed else ""
    chosen: dict[str, tuple[Assessed, RateFinding]] = {}
    for a, r in pool_from:
        if _bucket(r.timepoint_hours) == target and f"{a.record.source}:{a.record.id}" not in chosen:
            chosen[f"{a.record.source}:{a.record.id}"] = (a, r)
    summaries = [
        (a, r)
        for a in counted
        for r in a.findings.rates
        if r.construct == construct and r.summary and r.arm != "comparator" and not r.range
    ]
    thr = claim.threshold
    if thr is None:
        return _finish(
            "insufficient_evidence", None, [*reasons, "no number could be read from the claim"], [], rules, tested
        )
    if not chosen and not summaries:
        n_counted = len(counted)
        return _finish(
            "insufficient_evidence",
            None,
            [*reasons, f"no {construct} rates for the drug arm could be extracted from {n_counted} counted record(s)"],
            [],
            rules,
            tested,
        )
    if not chosen:
        a, r = max(summaries, key=lambda ar: (ar[0].rank, ar[1].n or 0))
        verdict = _compare(thr, r.pct, r.pct, r.pct, None, None, rules)
        certainty, greasons = _grade(
            [a], rules, imprecision="review estimate without a confidence interval read from the abstract"
        )
        return _finish(
            verdict,
            certainty,
            [*reasons, f"a review reports {construct} {r.pct:.1f}% (not re-pooled)", *greasons],
            [_cite(a, _rate_text(r) + f" — “{r.sentence}”")],
            rules,
            tested,
        )
    items = sorted(chosen.values(), key=lambda ar: sort_key(ar[0].record, rules))
    pooled = pool_proportions(
        [StudyProportion(f"{a.record.source}:{a.record.id}", r.events or 0, r.n or 0) for a, r in items]
    )
    est, lo, hi = pooled.estimate * 100, pooled.ci_low * 100, pooled.ci_high * 100
    pi_lo = pooled.pi_low * 100 if pooled.pi_low is not None else None
    pi_hi = pooled.pi_high * 100 if pooled.pi_high is not None else None
    best_single = max(r.pct for _, r in items)
    verdict = _compare(thr, est, lo, hi, pi_hi if pi_hi is not None else best_single, best_single, rules)
    reasons.append(
        f"pooled {construct} {est:.1f}% (95% CI {lo:.1f}–{hi:.1f}%"
        + (f"; prediction interval {pi_lo:.1f}–{pi_hi:.1f}%" if pi_lo is not None and pi_hi is not None else "")
        + f") from k={pooled.k} studies, N={pooled.n}, {target}; claim {thr.describe()}"
    )
    if pooled.corrected:
        reasons.append(f"continuity correction (0.5) applied to {', '.join(pooled.corrected)} (0 or all events)")
    if not direct:
        reasons.append("no direct evidence for this route/molecule/indication; indirect studies were pooled")
    inconsistency = None
    if pooled.i2 is not None and pooled.i2 > rules.i2_inconsistency:
        inconsistency = f"I² = {pooled.i2:.0f}%"
    if pi_lo is not None and pi_hi is not None and thr.op in (">", ">=", "<", "<=") and pi_lo < thr.value < pi_hi:
        inconsistency = (
            inconsistency + "; " if inconsistency else ""
        ) + "the prediction interval crosses the claimed threshold"
    imprecision_bits = []
    if lo < thr.value < hi:
        imprecision_bits.append("the confidence interval crosses the claimed threshold")
    if pooled.n < rules.optimal_information_size:
        imprecision_bits.append(f"N = {pooled.n} < {rules.optimal_information_size}")
    used = [a for a, _ in items]
    certainty, greasons = _grade(
        used, rules, inconsistency=inconsistency, imprecision="; ".join(imprecision_bits) or None
    )
    reasons.extend(greasons)
    if claim.outcome_defined is False:
        reasons.append(
            "the page does not say what counts as success, so the verdict rests on the usual response definition"
        )
    cited = [_cite(a, _rate_text(r)) for a, r in items]
    cited += [_cite(a, _rate_text(r) + " (review estimate, not re-pooled)") for a, r in summaries[:3]]
    return _finish(verdict, certainty, reasons, cited, rules, tested, pooled)


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
    if hi < v - tol or lo > v + tol:
        return "contradicted"
    return "partly_supported"


# ------------------------------------------------------------------ efficacy


def _judge_efficacy(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    tested = as_tested(claim, rules)
    indications = claim.indication or ("",)
    results: list[tuple[str, str, str | None, list[str], list[Cited]]] = []
    all_excluded: list[Assessed] = []
    for ind in indications:
        sub = replace(claim, indication=(ind,) if ind else ())
        assessed = _assess_all(sub, records, rules, cache, memo)
        all_excluded.extend(a for a in assessed if not a.counted)
        counted = [a for a in assessed if a.counted and a.findings.direction]
        direct = [a for a in counted if a.direct]
        used = direct or counted
        label = ind or "unspecified indication"
        approvals = _approvals_for_use(claim, ind, rules) if ind else []
        if approvals:
            # An approval rests on the regulator's review of adequate and well-controlled trials.
            results.append(
                (
                    label,
                    "supported",
                    "high",
                    [
                        f"{label}: the regulator approved "
                        f"{', '.join(sorted({f.product for f in approvals}))} for this use"
                    ],
                    [_cite_fact(f) for f in approvals],
                )
            )
            continue
        if not used:
            results.append(
                (label, "insufficient_evidence", None, [f"{label}: no counted study with a stated result"], [])
            )
            continue
        strong = [a for a in used if a.rank >= rules.design_rank.get("rct", 5)]
        pos = [a for a in used if a.findings.direction == "positive"]
        nul = [a for a in used if a.findings.direction in ("null", "negative")]
        strong_pos = [a for a in strong if a.findings.direction == "positive"]
        strong_nul = [a for a in strong if a.findings.direction in ("null", "negative")]
        reviews_pos = [a for a in strong_pos if a.design in _HIGH_DESIGNS]
        if (reviews_pos or len(strong_pos) >= 2) and len(strong_nul) <= len(strong_pos) // 2:
            verdict = "supported"
        elif strong_nul and not pos:
            verdict = "contradicted"
        elif pos:
            verdict = "partly_supported"
        elif nul:
            verdict = "contradicted" if strong_nul else "insufficient_evidence"
        else:
            verdict = "insufficient_evidence"
        # Inconsistency: null results make up at least a third of the directional studies.
        directional = len(pos) + len(nul)
        mixed = (bool(pos) and 3 * len(nul) >= directional) or sum(
            a.findings.direction == "mixed" for a in used
        ) * 3 >= len(used) > 0
        n_total = _participants(used)
        imprecision = None
        has_review = any(a.design in _HIGH_DESIGNS for a in used)
        if len(used) < 3 or (not has_review and n_total < rules.optimal_information_size):
            imprecision = f"{len(used)} stud{'y' if len(used) == 1 else 'ies'}, about {n_total} participants"
        certainty, greasons = _grade(
            used,
            rules,
            inconsistency="studies disagree on whether it works" if mixed else None,
            imprecision=imprecision,
        )
        if verdict == "supported" and not direct:
            # Evidence from related populations, routes or molecules shows plausibility, not this claim.
            verdict = "partly_supported"
        designs = ", ".join(sorted({a.design for a in used}))
        summary = f"{label}: {len(pos)} positive, {len(nul)} null/negative of {len(used)} counted ({designs})"
        cited = [_cite(a, f"{a.findings.direction}: “{a.findings.direction_sentence or a.record.title}”") for a in used]
        results.append((label, verdict, certainty, [summary, *(f"{label}: {g}" for g in greasons)], cited))
    verdicts = [v for _, v, _, _, _ in results]
    checked = [v for v in verdicts if v != "insufficient_evidence"]
    if not checked:
        verdict = "insufficient_evidence"
    elif all(v == "supported" for v in verdicts):
        verdict = "supported"
    elif all(v == "contradicted" for v in checked) and len(checked) == len(verdicts):
        verdict = "contradicted"
    elif any(v in ("supported", "partly_supported") for v in checked):
        verdict = "partly_supported"
    else:
        verdict = (
            "contradicted"
            if len(checked) == len(verdicts)
            else "partly_supported"
            if checked
            else "insufficient_evidence"
        )
    levels = [CERTAINTY.index(c) for _, v, c, _, _ in results if c and v != "insufficient_evidence"]
    overall: str | None = CERTAINTY[min(levels)] if levels else None
    reasons: list[str] = []
    for _, _, _, rs, _ in results:
        reasons.extend(rs)
    reasons.extend(_exclusion_reason(all_excluded))
    if claim.hedged:
        reasons.append("the page hedges this claim ('may', 'could', 'can'); it was tested as a claim of benefit")
    if claim.implied:
        reasons.append("the page describes use, which readers take as a claim that it works; tested as such")
    cited = [c for _, _, _, _, cs in results for c in cs]
    return _finish(verdict, overall, reasons, cited, rules, tested)


# ------------------------------------------------------------------ onset and duration


def _judge_time(claim: Claim, assessed: list[Assessed], rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    reasons = _exclusion_reason(assessed)
    counted = [a for a in assessed if a.counted]
    found = [(a, t) for a in counted for t in a.findings.times if t.kind == claim.kind]
    direct = [(a, t) for a, t in found if a.direct]
    use = direct or found
    if not use:
        return _finish(
            "insufficient_evidence",
            None,
            [*reasons, f"no {claim.kind} times reported in {len(counted)} counted record(s)"],
            [],
            rules,
            tested,
        )
    thr = claim.threshold
    support: list[tuple[Assessed, TimeFinding]] = []
    against: list[tuple[Assessed, TimeFinding]] = []
    neutral: list[tuple[Assessed, TimeFinding]] = []
    for a, t in use:
        if thr is None:
            support.append((a, t))
            continue
        limit = _threshold_hours(thr)
        if claim.kind == "onset":
            # An effect seen by the claimed time supports it; no effect by then argues against it;
            # an effect first measured later says nothing about earlier onset.
            if t.hours is None:
                (support if thr.op in ("<=", "<") and limit >= 24 else neutral).append((a, t))
            elif t.hours <= limit:
                (support if t.effect else against).append((a, t))
            else:
                neutral.append((a, t))
        else:
            if t.hours is None:
                neutral.append((a, t))
            elif thr.op in (">=", ">"):
                if t.bound == "at_least" and t.hours >= limit:
                    support.append((a, t))
                elif t.bound == "at_most" and t.hours < limit:
                    against.append((a, t))
                elif t.bound == "at_least":
                    neutral.append((a, t))
                else:
                    support.append((a, t)) if t.hours >= limit else against.append((a, t))
            else:
                (support if t.hours <= limit * 1.5 else against).append((a, t))
    n_for = len({a.record.id for a, _ in support})
    n_against = len({a.record.id for a, _ in against})
    if n_for and n_for >= 2 * n_against:
        verdict = "supported"
    elif n_against and not n_for:
        verdict = "contradicted"
    elif n_for or n_against:
        verdict = "partly_supported"
    else:
        verdict = "insufficient_evidence"
    used = [a for a, _ in support + against]
    used_unique = list({id(a): a for a in used}.values())
    certainty, greasons = (
        _grade(
            used_unique,
            rules,
            inconsistency="reports point both ways" if n_for and n_against and n_for < 3 * n_against else None,
            imprecision=f"{len(used_unique)} stud{'y' if len(used_unique) == 1 else 'ies'}"
            if len(used_unique) < 3
            else None,
        )
        if used_unique
        else (None, [])
    )

    def studies(items: list[tuple[Assessed, TimeFinding]]) -> int:
        return len({a.record.id for a, _ in items})

    reasons.append(
        f"{studies(support)} stud(ies) consistent with the claim, {studies(against)} against, "
        f"{studies(neutral)} not decisive"
    )
    ends = sorted(t.hours for _, t in use if t.kind == "duration" and t.bound == "at_most" and t.hours is not None)
    if ends:
        reasons.append(
            "where studies report when benefit ended or relapse came, "
            f"the median is {format_hours(ends[len(ends) // 2])}"
        )
    if thr is not None and any(n.startswith("'") for n in claim.notes):
        reasons.append("the claim's wording is vague; the threshold is ketlit's reading (see 'as tested')")
    reasons.extend(greasons)

    def text(t: TimeFinding) -> str:
        h = format_hours(t.hours) if t.hours is not None else "rapid (no time given)"
        bound = {"at_least": "lasted at least", "at_most": "ended by", "about": "at"}[t.bound]
        return f"{t.kind} {bound} {h}: “{t.sentence}”"

    cited = [_cite(a, text(t)) for a, t in support + against + neutral]
    return _finish(verdict, certainty, reasons, cited, rules, tested)


# ------------------------------------------------------------------ safety


def _facts_for(claim: Claim, rules: Rules) -> list[RegulatoryFact]:
    molecules = claim.molecule or (rules.molecule_default,)
    return [f for f in rules.facts if any(f.covers_molecule(m) for m in molecules)]


def _judge_safety(claim: Claim, assessed: list[Assessed], rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    topics = set(claim.safety_topics)
    stance = claim.safety_stance or "assertion"
    generic = bool(topics & {"side_effects", "general_safety"})
    specific = topics - {"side_effects", "general_safety"}
    reasons = _exclusion_reason(assessed)
    counted = [a for a in assessed if a.counted or (a.exclusion or "").startswith("other indication")]
    facts = [f for f in _facts_for(claim, rules) if set(f.risks) & topics]
    groups = [name for name, pats in rules.safety_populations.items() if pats.any(claim.text)]
    if groups and stance in ("denial", "minimising"):
        # "Safe during pregnancy": what holds for adults in trials says nothing about that group.
        def names_group(text: str) -> bool:
            return any(rules.safety_populations[g].any(text) for g in groups)

        counted = [a for a in counted if names_group(f"{a.record.title} {a.record.abstract}")]
        facts = [f for f in facts if names_group(f.statement)]
        if not counted and not facts:
            reasons.append(
                f"no study or regulatory source in the cache reports on safety in {', '.join(groups)}; "
                "evidence from other groups does not carry over"
            )
            return _finish("insufficient_evidence", None, reasons, [], rules, tested)
        reasons.append(f"only evidence that names {', '.join(groups)} was weighed")

    def relevant(f: AdverseFinding) -> bool:
        return f.category in specific or (generic and not specific)

    reports = [(a, f) for a in counted for f in a.findings.adverse if relevant(f)]
    present = [(a, f) for a, f in reports if not f.absent]
    absent = [(a, f) for a, f in reports if f.absent]
    transient = [(a, f) for a, f in present if f.transient]
    persistent = [(a, f) for a, f in present if f.persistent and not f.transient]
    cited: list[Cited] = [_cite_fact(f) for f in facts]

    def ae_text(f: AdverseFinding) -> str:
        pct = f" {f.pct:g}%" if f.pct is not None else ""
        flag = " (absent)" if f.absent else " (recreational use)" if f.recreational else ""
        return f"{f.category}{pct}{flag}: “{f.sentence}”"

    if stance in ("denial", "minimising"):
        n_present = len({a.record.id for a, _ in present})
        n_absent = len({a.record.id for a, _ in absent})
        n_lasting = len({a.record.id for a, f in present if f.persistent})
        n_passing = len({a.record.id for a, f in present + absent if f.transient or f.absent})
        regulated = [f for f in facts if set(f.risks) & specific & set(rules.regulated_risks)]
        if stance == "denial":
            if facts or present:
                verdict = "contradicted"
                reasons.append("the page denies a risk that " + _who(facts, present))
            elif absent:
                verdict = "partly_supported"
                reasons.append(
                    "studies report no such events, but absence in small trials does not show absence of risk"
                )
            else:
                verdict = "insufficient_evidence"
        elif regulated:
            # A regulator scheduled the drug or put the risk in a warning: calling it minimal is the opposite finding.
            verdict = "contradicted"
            reasons.append(
                "regulators treat this risk as significant ("
                + ", ".join(f.id for f in regulated)
                + "); "
                + (f"{n_absent} stud(ies) observed no such events under supervision, but " if n_absent else "")
                + "that does not make the risk minimal"
            )
        elif n_lasting and n_lasting * 2 > n_passing:
            verdict = "contradicted"
            reasons.append(f"{n_lasting} stud(ies) report lasting harm")
        elif facts or n_present:
            verdict = "partly_supported" if n_passing else "contradicted" if facts else "partly_supported"
            reasons.append(
                "the risk is documented (" + _who(facts, present) + "); its size at clinical doses is uncertain"
            )
        elif n_absent:
            verdict = "supported"
            reasons.append("counted studies report no such events")
        else:
            verdict = "insufficient_evidence"
        cited += [_cite(a, ae_text(f)) for a, f in present + absent]
        used = list({id(a): a for a, _ in present + absent}.values())
    elif stance == "transience":
        n_tr = len({a.record.id for a, _ in transient})
        n_pe = len({a.record.id for a, f in persistent if not f.recreational})
        if n_tr and n_tr >= 3 * n_pe:
            verdict = "supported"
            reasons.append(f"{n_tr} stud(ies) describe these effects as transient or resolving within hours")
            if n_pe:
                reasons.append(f"{n_pe} stud(ies) describe persistent effects")
        elif transient and persistent:
            verdict = "partly_supported"
            reasons.append(
                "most reports describe transient effects, but some describe persistent harm "
                "(e.g. with repeated or long-term use)"
            )
        elif persistent:
            verdict = "contradicted"
            reasons.append("reports describe persistent rather than transient effects")
        else:
            verdict = "insufficient_evidence"
            reasons.append("no report on how long these effects last was found")
        cited += [_cite(a, ae_text(f)) for a, f in transient + persistent]
        used = list({id(a): a for a, _ in transient + persistent}.values())
    else:
        covered = {f.category for _, f in present} | {r for fact in facts for r in fact.risks}
        wanted = specific or topics
        hit = wanted & covered
        if hit == wanted:
            verdict = "supported"
        elif hit:
            verdict = "partly_supported"
            reasons.append(f"documented: {', '.join(sorted(hit))}; not found: {', '.join(sorted(wanted - hit))}")
        else:
            verdict = "insufficient_evidence"
        cited += [_cite(a, ae_text(f)) for a, f in present]
        used = list({id(a): a for a, _ in present}.values())
    if facts:
        certainty = "moderate" if verdict != "insufficient_evidence" else None
        reasons.append(f"regulatory sources: {', '.join(f.id for f in facts)}")
    elif used:
        certainty, greasons = _grade(used, rules, imprecision=None if len(used) >= 3 else f"{len(used)} report(s)")
        reasons.extend(greasons)
    else:
        certainty = None
    return _finish(verdict, certainty, reasons, cited, rules, tested)


def _who(facts: Sequence[RegulatoryFact], present: Sequence[tuple[Assessed, AdverseFinding]]) -> str:
    parts = []
    if facts:
        parts.append(
            "regulators document ("
            + ", ".join(sorted({f.agency + " " + f.kind.replace("_", " ") for f in facts}))
            + ")"
        )
    if present:
        parts.append(f"{len({a.record.id for a, _ in present})} stud(ies) report")
    return " and ".join(parts)


# ------------------------------------------------------------------ regulatory


def _approved(molecule: str, indication: str, rules: Rules) -> tuple[bool | None, list[RegulatoryFact]]:
    """(approved?, the facts that decide) — None when the regulatory file cannot tell."""
    approvals = [f for f in rules.facts if f.kind == "approval" and f.covers_molecule(molecule)]
    family = set(rules.family(indication).direct) | {indication}
    hits = [f for f in approvals if set(f.indication) & family]
    if hits:
        return True, hits
    denials = [
        f
        for f in rules.facts
        if f.kind == "not_approved" and f.covers_molecule(molecule) and indication in f.indication
    ]
    exhaustive = [f for f in approvals if f.exhaustive]
    if denials or exhaustive:
        return False, denials + exhaustive
    return None, []


def _other_form_approved(claim: Claim, molecule: str, indication: str, rules: Rules) -> list[RegulatoryFact]:
    """Approvals of another molecule of the drug for ``indication``, when the claim names the
    drug only by its generic name (so it was read as ``molecule``, the default form)."""
    if molecule != rules.molecule_default or not rules.molecule_generic.any(claim.text):
        return []
    if any(p.any(claim.text) for p in rules.molecules.values()):
        return []
    out: list[RegulatoryFact] = []
    for other in rules.molecules:
        if other != molecule:
            approved, facts = _approved(other, indication, rules)
            if approved:
                out += [f for f in facts if f.kind == "approval"]
    return out


def _by_claim_route(facts: Sequence[RegulatoryFact], claim: Claim) -> list[RegulatoryFact]:
    """The facts whose route the claim's route (if any) is compatible with."""
    return [f for f in facts if not claim.route or not f.route or set(f.route) & set(claim.route)]


def _approvals_for_use(claim: Claim, indication: str, rules: Rules) -> list[RegulatoryFact]:
    """Approvals of the claim's molecule, by a compatible route, for exactly this indication family."""
    out: list[RegulatoryFact] = []
    for m in claim.molecule or (rules.molecule_default,):
        approved, facts = _approved(m, indication, rules)
        if approved:
            out += _by_claim_route(facts, claim)
    return out


def _judge_regulatory(claim: Claim, rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    reg = claim.regulatory
    if reg is None:
        return _finish("insufficient_evidence", None, ["no regulatory assertion was read"], [], rules, tested)
    molecules = claim.molecule or (rules.molecule_default,)
    outcomes: list[str] = []
    reasons: list[str] = []
    cited: list[Cited] = []
    topics = list(reg.topics)
    if "approval" in topics:
        indications = reg.approval_indications
        if not indications:
            approvals = [f for m in molecules for f in rules.facts if f.kind == "approval" and f.covers_molecule(m)]
            ok = bool(approvals) != reg.negated
            outcomes.append("supported" if ok else "contradicted")
            cited += [_cite_fact(f) for f in approvals]
            reasons.append(
                f"{', '.join(molecules)} has US approvals: " + "; ".join(sorted({f.product for f in approvals}))
                if approvals
                else f"no US approval recorded for {', '.join(molecules)}"
            )
        for m in molecules:
            for ind in indications:
                approved, facts = _approved(m, ind, rules)
                cited += [_cite_fact(f) for f in facts]
                if approved is None:
                    reasons.append(f"the regulatory file has no entry deciding approval of {m} for {ind}")
                    continue
                ok = approved != reg.negated
                other = _other_form_approved(claim, m, ind, rules) if not approved else []
                # Only a form given the way the page gives it blurs the claim: on an infusion
                # clinic's page "ketamine is FDA-approved" stays wrong although a nasal spray is.
                same_route = _by_claim_route(other, claim)
                if same_route and not reg.negated:
                    other = same_route
                    # "Ketamine is FDA-approved for depression": the generic name, and another form
                    # of the drug (esketamine) is approved for it while this one is not.
                    outcomes.append("partly_supported")
                    products = sorted({f"{f.product} ({', '.join(f.route) or 'any route'})" for f in other})
                    scopes = sorted({", ".join(f.indication) for f in other})
                    reasons.append(
                        f"{m} for {ind}: not FDA-approved; another form of the drug is: {'; '.join(products)} "
                        f"for {'; '.join(scopes)} — the page's generic name blurs the two"
                    )
                    cited += [_cite_fact(f) for f in other]
                    continue
                outcomes.append("supported" if ok else "contradicted")
                if other:
                    products = sorted({f.product for f in other})
                    reasons.append(f"caveat: another form of the drug is approved ({'; '.join(products)})")
                    cited += [_cite_fact(f) for f in other]
                scope = "; ".join(sorted({", ".join(f.indication) for f in facts if f.kind == "approval"}))
                reasons.append(
                    f"{m} for {ind}: "
                    + (f"FDA-approved ({scope})" if approved else "not FDA-approved")
                    + ("" if ok else " — the page says otherwise")
                )
                if approved:
                    products = sorted({f"{f.product} ({', '.join(f.route) or 'any route'})" for f in facts})
                    reasons.append(
                        f"approved product: {'; '.join(products)}; the approval covers no other form or route"
                    )
                if reg.year is not None and approved:
                    first = min(f.year for f in facts if f.kind == "approval")
                    if reg.year_relation in ("by", "in", "since") and reg.year < first:
                        outcomes[-1] = "contradicted"
                        reasons.append(f"approval came in {first}, after {reg.year}")
                    else:
                        reasons.append(f"approved in {first}")
        if reg.approval_inferred:
            reasons.append("the sentence names no use; the page's conditions were assumed (see 'as tested')")
    if "schedule" in topics or "controlled" in topics:
        facts = [f for f in rules.facts if f.kind == "schedule" and any(f.covers_molecule(m) for m in molecules)]
        cited += [_cite_fact(f) for f in facts]
        if facts:
            if reg.schedule:
                ok = all(f.schedule == reg.schedule for f in facts) != reg.negated
                outcomes.append("supported" if ok else "contradicted")
                reasons.append(f"US schedule: {facts[0].schedule}" + ("" if ok else f" (page says {reg.schedule})"))
            else:
                outcomes.append("contradicted" if reg.negated else "supported")
                reasons.append(f"a Schedule {facts[0].schedule} controlled substance in the US")
    if "off_label" in topics or ("legal" in topics and "approval" not in topics):
        facts = [f for f in rules.facts if f.kind == "off_label"]
        # Off-label use presupposes an approved product of the molecule.
        approved_somewhere = [
            f for m in molecules for f in rules.facts if f.kind == "approval" and f.covers_molecule(m)
        ]
        cited += [_cite_fact(f) for f in facts]
        if facts and approved_somewhere:
            outcomes.append("contradicted" if reg.negated else "supported")
            reasons.append("off-label prescribing of an approved drug is legal for licensed prescribers")
        elif facts:
            reasons.append(
                f"no approved product of {', '.join(molecules)} is recorded, so off-label use does not apply"
            )
    if "compounded" in topics:
        facts = [f for f in rules.facts if f.kind == "compounding"]
        cited += [_cite_fact(f) for f in facts]
        if facts:
            reasons += [f"caveat ({f.id}): {f.statement}" for f in facts]
    if "rems" in topics:
        facts = [f for m in molecules for f in rules.facts if f.kind == "rems" and f.covers_molecule(m)]
        cited += [_cite_fact(f) for f in facts]
        if facts:
            outcomes.append("contradicted" if reg.negated else "supported")
            reasons.append("a REMS applies: " + facts[0].statement)
    if not outcomes:
        return _finish(
            "insufficient_evidence",
            None,
            [*reasons, "the regulatory file has no entry for this assertion"],
            cited,
            rules,
            tested,
        )
    if all(o == "supported" for o in outcomes):
        verdict = "supported"
    elif all(o == "contradicted" for o in outcomes):
        verdict = "contradicted"
    else:
        verdict = "partly_supported"
    if any(not s.verified for f in rules.facts for s in f.sources if f.id in {c.id for c in cited}):
        reasons.append(
            "regulatory sources are cited as compiled in regulatory.toml; re-check the URLs before publishing"
        )
    return _finish(verdict, "high", reasons, cited, rules, tested)


# ------------------------------------------------------------------ dosing


def _judge_dosing(claim: Claim, assessed: list[Assessed], rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    dose = claim.dose
    reasons = _exclusion_reason(assessed)
    if dose is None:
        return _finish("insufficient_evidence", None, [*reasons, "no dose could be read"], [], rules, tested)
    counted = [a for a in assessed if a.counted]
    found = [(a, d) for a in counted for d in a.findings.doses if d.unit == dose.unit]
    direct = [(a, d) for a, d in found if a.direct] or found
    if not direct:
        return _finish(
            "insufficient_evidence",
            None,
            [*reasons, f"no doses in {dose.unit} reported by counted studies"],
            [],
            rules,
            tested,
        )
    lo = min(d.low for _, d in direct)
    hi = max(d.high for _, d in direct)
    inside = lo <= dose.low and dose.high <= hi
    overlap = dose.low <= hi and dose.high >= lo
    verdict = "supported" if inside else "partly_supported" if overlap else "contradicted"
    reasons.append(f"studies used {lo:g}–{hi:g} {dose.unit}; the page states {dose.low:g}–{dose.high:g} {dose.unit}")
    used = list({id(a): a for a, _ in direct}.values())
    certainty, greasons = _grade(used, rules)
    reasons.extend(greasons)
    cited = [_cite(a, f"dose {d.low:g}–{d.high:g} {d.unit}: “{d.sentence}”") for a, d in direct]
    return _finish(verdict, certainty, reasons, cited, rules, tested)


# ------------------------------------------------------------------ entry point


# ------------------------------------------------------------------ head-to-head

def _comparison(claim: Claim, rules: Rules) -> tuple[str, str, str] | None:
    """(comparator, "better" | "equal", the drug's molecule) when the claim sets the drug against
    another named treatment ("IV ketamine is more effective than Spravato"); None otherwise. The
    comparator is named after the comparison words, the drug before them."""
    cues = rules.comparative
    for relation, pats in (("better", cues["claim_better"]), ("equal", cues["claim_equal"])):
        m = pats.search(claim.text)
        if m is None:
            continue
        subject, rest = claim.text[: m.start()], claim.text[m.start() :]
        named = [(n, x.start()) for n, p in rules.comparators.items() for x in p.finditer(rest)]
        if not named:
            continue
        comparator = min(named, key=lambda item: item[1])[0]
        # The drug as the extractor reads a name (a specific form, else the generic default).
        read = molecules_in(subject, rules) or list(claim.molecule) or [rules.molecule_default]
        return comparator, relation, read[0]
    return None


def _head_to_head(text: str, drug: Patterns, comparator: Patterns, rules: Rules) -> tuple[str, str] | None:
    """What a study's text says of the drug against the comparator: ("ahead" | "behind" | "equal",
    the sentence), from the last sentence that names both and compares them (conclusions come last).
    A comparison counts only as "A <word> than/to B" with A and B the two treatments."""
    found: tuple[str, str] | None = None
    cues = rules.comparative
    for sentence in (s.text for s in split_sentences(text)):
        drugs = [(m.start(), m.end()) for m in drug.finditer(sentence)]
        others = [(m.start(), m.end()) for m in comparator.finditer(sentence)]
        if not drugs or not others or cues["hypothetical"].any(sentence):
            continue
        verdict: str | None = None
        for m in cues["no_difference"].finditer(sentence):
            # "ketamine and ECT did not differ", "no difference between ketamine and ECT"
            before, after = sentence[max(0, m.start() - 80) : m.start()], sentence[m.end() : m.end() + 80]
            if (drug.any(before) and comparator.any(before)) or (
                re.match(r"\s*(\w+\s+){0,3}?between\b", after) and drug.any(after) and comparator.any(after)
            ):
                verdict = "equal"
                break
        for kind, pats in (("ahead", cues["ahead"]), ("behind", cues["behind"]), ("equal", cues["no_difference"])):
            if verdict is not None:
                break
            for m in pats.finditer(sentence):
                before_d = max((a for a, _ in drugs if a < m.start()), default=-1)
                before_c = max((a for a, _ in others if a < m.start()), default=-1)
                if before_d < 0 and before_c < 0:
                    continue
                drug_first = before_d > before_c
                # The other treatment must be what the comparison is made with.
                link = cues["object_link"].search(sentence[m.end() :])
                if link is None:
                    continue
                tail = sentence[m.end() + link.end() : m.end() + link.end() + 60]
                if not (comparator if drug_first else drug).any(tail):
                    continue
                if kind == "equal" or cues["negated"].any(sentence[max(0, m.start() - 20) : m.start()]):
                    verdict = "equal"
                else:
                    verdict = "ahead" if (kind == "ahead") == drug_first else "behind"
                break
        if verdict is not None:
            found = (verdict, sentence)
    return found


def _judge_comparative(
    claim: Claim,
    comparison: tuple[str, str, str],
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    comparator, relation, molecule = comparison
    tested = (
        as_tested(claim, rules)
        + f" — a head-to-head claim against {comparator}: only studies naming {comparator} count, and only "
        "what they say of the two"
    )
    # The default form is what clinics call plain "ketamine": look for the generic name.
    drug = (
        rules.molecule_generic
        if molecule == rules.molecule_default
        else rules.molecules.get(molecule, rules.molecule_generic)
    )
    other = rules.comparators[comparator]
    combined = rules.comparator_combined.get(comparator)
    assessed = _assess_all(claim, records, rules, cache, memo)
    reasons = _exclusion_reason(assessed)
    findings: list[tuple[Assessed, str, str]] = []
    for a in assessed:
        if not a.counted:
            continue
        text = f"{a.record.title}. {a.record.abstract}"
        if not other.any(text) or (combined is not None and combined.any(text)):
            continue
        said = _head_to_head(text, drug, other, rules)
        if said is not None:
            findings.append((a, said[0], said[1]))
    cited = [_cite(a, f"{kind}: “{sentence}”") for a, kind, sentence in findings]
    if not findings:
        reasons.append(f"no counted study in the cache compares {molecule} with {comparator} head to head")
        return _finish("insufficient_evidence", None, reasons, cited, rules, tested)
    ahead = [a for a, kind, _ in findings if kind == "ahead"]
    behind = [a for a, kind, _ in findings if kind == "behind"]
    equal = [a for a, kind, _ in findings if kind == "equal"]
    reasons.append(
        f"head to head with {comparator}: {len(ahead)} stud(ies) favour {molecule}, {len(behind)} favour "
        f"{comparator}, {len(equal)} find no difference"
    )
    if relation == "better":
        agree, disagree = ahead, behind + equal
    else:
        # Differences that point both ways partly cancel: only the dominant direction disputes a tie.
        agree, disagree = equal, max(ahead, behind, key=len)
    # A clear majority (3 to 1) decides; anything closer is partly supported.
    if agree and len(agree) >= 3 * len(disagree):
        verdict = "supported"
    elif len(disagree) >= 3 * len(agree):
        verdict = "contradicted"
    else:
        verdict = "partly_supported"
    used = [a for a, _, _ in findings]
    certainty, greasons = _grade(
        used,
        rules,
        inconsistency="studies disagree on which is better" if agree and disagree else None,
        imprecision=None if len(used) >= 3 else f"{len(used)} head-to-head stud(ies)",
    )
    reasons.extend(greasons)
    return _finish(verdict, certainty, reasons, cited, rules, tested)


def judge(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings] | None = None,
    memo: AssessMemo | None = None,
) -> Verdict:
    """The verdict on one claim from candidate records and the regulatory facts.

    ``memo`` (optional, one per page) shares record assessments between claims read alike."""
    cache = {} if cache is None else cache
    if claim.kind == "not_checkable":
        reason = claim.not_checkable_reason or "not a checkable assertion"
        reasons = [reason] + (
            ["anecdote: a personal or clinic-reported experience is not evidence of effect"] if claim.anecdote else []
        )
        return Verdict("not_checkable", None, tuple(reasons), as_tested="not tested")
    if claim.kind == "regulatory":
        return _judge_regulatory(claim, rules)
    if claim.kind == "efficacy":
        comparison = _comparison(claim, rules)
        if comparison is not None:
            return _judge_comparative(claim, comparison, records, rules, cache, memo)
        return _judge_efficacy(claim, records, rules, cache, memo)
    assessed = _assess_all(claim, records, rules, cache, memo)
    if claim.kind == "efficacy_rate":
        return _judge_rate(claim, assessed, rules)
    if claim.kind in ("onset", "duration"):
        return _judge_time(claim, assessed, rules)
    if claim.kind == "safety":
        return _judge_safety(claim, assessed, rules)
    if claim.kind == "dosing":
        return _judge_dosing(claim, assessed, rules)
    return _finish(
        "insufficient_evidence",
        None,
        [f"no method for claims of kind {claim.kind}"],
        [],
        rules,
        as_tested(claim, rules),
    )
