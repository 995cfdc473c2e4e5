"""Verdicts an editor can defend: what the evidence says about one claim, how sure, and why.

Design decisions:

* **Five verdicts, rules in a data file.** ``supported``, ``partly_supported``,
  ``insufficient_evidence``, ``contradicted`` and ``not_checkable``. The rules that turn evidence
  into a verdict, and every threshold, are in ``data/verdict_rules.toml``; its legend is printed
  verbatim in every report (:mod:`ketlit.claims.policy`).
* **Evidence from study profiles, not phrase rules.** Efficacy is judged from evidence profiles
  built from the stored study profiles: relevance by the study's question, one vote per trial,
  stance from the profile's findings, the best review's stated certainty first
  (:mod:`ketlit.claims.synthesis`, :mod:`ketlit.claims.efficacy`). Certainty is GRADE:
  inherited from a review that states it, otherwise computed per domain with a footnote each,
  never "high" from a design tag alone (:mod:`ketlit.claims.grade`).
* **Per kind**, each in its own module: efficacy (:mod:`~ketlit.claims.efficacy`), onset and
  duration only where efficacy is established (:mod:`~ketlit.claims.timing`), rates pooled only
  from enough comparable arms (:mod:`~ketlit.claims.rates`), safety
  (:mod:`~ketlit.claims.safety_verdict`), regulatory facts with jurisdiction honoured
  (:mod:`~ketlit.claims.regulatory_verdict`). Here: head-to-head claims, dosing, and the entry
  point.
* ``dosing``: the stated dose against what studies of the *same route and form* typically used (the rules'
  quantiles of per-study doses, from enough studies), so the test can fail — not against the
  range of every dose ever studied by any route. A dose inside an approved product's labelled
  range (a ``label_dose`` fact, same form and route) is supported by the label itself.
* **Every verdict other than insufficient_evidence / not_checkable cites a record or a
  regulatory source**; a verdict that would not is downgraded to insufficient evidence.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

from ketlit.claims.cited_study import matching_details, names_no_detail, reports_one_study
from ketlit.claims.context import second_subject
from ketlit.claims.efficacy import grade_source, judge_efficacy
from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.extract import label_schedules, molecules_in
from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import (
    CERTAINTY,
    VERDICTS,
    Assessed,
    AssessMemo,
    Cited,
    Decisive,
    Verdict,
    as_tested,
    assess,
    assess_all,
    cite,
    cite_fact,
    decisive_fact,
    decisive_of,
    exclusion_reason,
    finish,
)
from ketlit.claims.model import Claim, Dose
from ketlit.claims.numbers import Findings, format_dose
from ketlit.claims.policy import VerdictPolicy, packaged_policy
from ketlit.claims.rates import judge_rate
from ketlit.claims.regulatory_verdict import in_scope, judge_regulatory
from ketlit.claims.rules import Patterns, RegulatoryFact, Rules
from ketlit.claims.safety_verdict import judge_safety
from ketlit.claims.series import judge_course
from ketlit.claims.text import split_sentences
from ketlit.claims.timing import judge_time

__all__ = ["CERTAINTY", "VERDICTS", "AssessMemo", "Assessed", "Cited", "Verdict", "as_tested", "assess", "judge"]


# ------------------------------------------------------------------ dosing


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _label_dose(dose: Dose, molecules: set[str], routes: set[str], rules: Rules) -> RegulatoryFact | None:
    """The label_dose fact whose range holds the stated dose, for the claim's form and route (a page
    naming no route is not matched: a label's dose is one route's)."""
    return next(
        (
            f
            for f in rules.facts
            if f.kind == "label_dose"
            and f.unit == dose.unit
            and len(f.doses) == 2
            and any(f.covers_molecule(m) for m in molecules)
            and routes & set(f.route)
            and f.doses[0] <= dose.low
            and dose.high <= f.doses[1]
        ),
        None,
    )


def _judge_dosing(claim: Claim, assessed: list[Assessed], rules: Rules, policy: VerdictPolicy) -> Verdict:
    tested = as_tested(claim, rules) + " — against what studies of the same route and form typically used"
    dose = claim.dose
    reasons = exclusion_reason(assessed)
    routes = set(claim.route)
    # Another form's doses say nothing of this one's (racemic ketamine's mg are not esketamine's).
    molecules = set(claim.molecule or (rules.molecule_default,))
    if dose is None:
        # No dose, but the label's schedule in the page's words (the label_dose fact's terms).
        named = [f for f in label_schedules(claim.text, rules) if any(f.covers_molecule(m) for m in molecules)]
        if named:
            why = [f"the page states the schedule of the {named[0].agency} label of {named[0].product}"]
            return finish("supported", "high", why, [cite_fact(named[0])], rules, tested,
                          decisive=[decisive_fact(named[0], "for")], certainty_source=f"regulatory:{named[0].id}")
        # A course stated by its count ("a series of six infusions"): the courses the counted studies gave.
        if (course := judge_course(claim, assessed, rules, policy, tested, reasons)) is not None:
            return course
        return finish("insufficient_evidence", None, [*reasons, "no dose could be read"], [], rules, tested)
    if (label := _label_dose(dose, molecules, routes, rules)) is not None:
        # The approved product's own labelled dose: the regulator's label supports it, whatever
        # doses the cached trials happened to test (a trial of 84 mg does not contradict 56 mg).
        labelled = format_dose(label.doses[0], label.doses[1], label.unit)
        said = format_dose(dose.low, dose.high, dose.unit)
        why = [f"the page states {said}, within the {label.agency} label's dose of {label.product} ({labelled})"]
        return finish("supported", "high", why, [cite_fact(label)], rules, tested,
                      decisive=[decisive_fact(label, "for")], certainty_source=f"regulatory:{label.id}")
    same_route = [
        a
        for a in assessed
        if a.counted
        and (not routes or routes & set(a.record.axis("route")))
        and molecules & set(a.record.axis("molecule"))
    ]
    per_study = {a.record.id: (a, [d for d in a.findings.doses if d.unit == dose.unit]) for a in same_route}
    per_study = {k: v for k, v in per_study.items() if v[1]}
    route_text = ", ".join(sorted(routes)) or "any route (the page names none)"
    # Every stated dose of the counted studies, each with its sentence (the audit trail).
    cited = [cite(a, f"dose {format_dose(d.low, d.high, d.unit)}: “{d.sentence}”")
             for a, ds in per_study.values() for d in ds]
    if len(per_study) < policy.dose_min_studies:
        reasons.append(
            f"only {len(per_study)} stud(ies) by {route_text} report doses in {dose.unit}; a typical range needs "
            f"{policy.dose_min_studies}"
        )
        return finish("insufficient_evidence", None, reasons, cited, rules, tested)
    typical = [statistics.median((d.low + d.high) / 2 for d in ds) for _, ds in per_study.values()]
    lo = _quantile(typical, policy.dose_low_quantile)
    hi = _quantile(typical, policy.dose_high_quantile)
    inside = lo <= dose.low and dose.high <= hi
    overlap = dose.low <= hi and dose.high >= lo
    verdict = "supported" if inside else "partly_supported" if overlap else "contradicted"
    reasons.append(
        f"{len(per_study)} studies by {route_text} typically used {format_dose(lo, hi, dose.unit)} "
        f"({policy.dose_low_quantile:g}–{policy.dose_high_quantile:g} quantiles of per-study doses); "
        f"the page states {format_dose(dose.low, dose.high, dose.unit)}"
    )
    used = [a for a, _ in per_study.values()]
    certainty, greasons = grade_studies(used, rules)
    reasons.extend(greasons)
    # The studies whose typical dose lies furthest from the page's decide a contradiction; those
    # nearest it decide a supported verdict.
    stance = "against" if verdict == "contradicted" else "for"
    mid = (dose.low + dose.high) / 2
    nearest = sorted(per_study.values(), key=lambda v: (abs((v[1][0].low + v[1][0].high) / 2 - mid), v[0].record.id))
    ranked = nearest[::-1] if stance == "against" else nearest
    decisive = [
        decisive_of(a, stance, f"dose {format_dose(ds[0].low, ds[0].high, ds[0].unit)}", ds[0].sentence)
        for a, ds in ranked[:3]
    ]
    return finish(
        verdict,
        certainty,
        reasons,
        cited,
        rules,
        tested,
        decisive=decisive,
        certainty_source=grade_source("studies by design", greasons),
    )


# ------------------------------------------------------------------ head-to-head


def _comparison(claim: Claim, rules: Rules) -> tuple[str, str, str] | None:
    """(comparator, "better" | "equal" | "worse", the drug's molecule) when the claim sets the drug against
    another named treatment ("IV ketamine is more effective than Spravato"); None otherwise. The
    comparator is named after the comparison words, the drug before them."""
    cues = rules.comparative
    for relation, pats in (("better", cues["claim_better"]), ("equal", cues["claim_equal"])):
        m = pats.search(claim.text)
        if m is None:
            continue
        subject, rest = claim.text[: m.start()], claim.text[m.start() :]
        named = [(n, x.start()) for n, p in rules.comparators.items() for x in p.finditer(rest)]
        split = second_subject(subject) if not named and relation == "equal" else None
        if split is not None:
            # "IV ketamine and esketamine are equally effective": the comparison is symmetric, the
            # other treatment is the second of the two subjects and the drug the first.
            second = subject[split[1] :]
            named = [(n, x.start()) for n, p in rules.comparators.items() for x in p.finditer(second)]
            if named:
                subject = subject[: split[0]]
        # The same drug by another route ("oral ketamine is as effective as IV infusions"): a comparison
        # of routes, which trials of one route against placebo cannot decide.
        # The page's route is named before the comparison, the other after it (the extractor reads both).
        own = {n for n, p in rules.routes.items() if p.any(subject)} or _page_routes(claim, rest, rules)
        if own:
            named += [(f"{ROUTE_PREFIX}{n}", x.start()) for n, p in rules.routes.items()
                      if n not in own for x in p.finditer(rest)]
        if not named and relation == "better" and (lost := _drug_loses(subject, rest, rules)) is not None:
            return lost
        placebo = cues["placebo_arm"].search(rest)
        if not named or (placebo is not None and placebo.start() < min(at for _, at in named)):
            # Against a placebo arm the other treatment named is what both arms had: no head-to-head.
            continue
        comparator = min(named, key=lambda item: item[1])[0]
        # The drug as the extractor reads a name (a specific form, else the generic default).
        # The generic name before the comparison is the default form, whatever other form the
        # sentence names as the comparator ("IV ketamine is as effective as esketamine").
        generic = [rules.molecule_default] if rules.molecule_generic.any(subject) else []
        read = molecules_in(subject, rules) or generic or list(claim.molecule) or [rules.molecule_default]
        return comparator, relation, read[0]
    return None


def _page_routes(claim: Claim, rest: str, rules: Rules) -> set[str]:
    """The claim's routes not named after the comparison words: the page's own route, for a claim that
    names only the route it is compared with ("Effectiveness: as effective as IV ketamine")."""
    return {r for r in claim.route if r in rules.routes and not rules.routes[r].any(rest)}


def _drug_loses(subject: str, rest: str, rules: Rules) -> tuple[str, str, str] | None:
    """(comparator, "worse", the drug's molecule) when the other treatment is said to beat the drug
    ("ECT produced higher remission rates than ketamine"): a head-to-head result the drug loses, not
    a claim that it works for the page's conditions."""
    named = [(n, x.start()) for n, p in rules.comparators.items() for x in p.finditer(subject)]
    link = rules.comparative["object_link"].search(rest)
    if not named or link is None:
        return None
    obj = rest[link.end() : link.end() + 60]
    if not rules.drug_names.any(obj):
        return None
    comparator = max(named, key=lambda item: item[1])[0]
    read = molecules_in(obj, rules) or [rules.molecule_default]
    return comparator, "worse", read[0]


ROUTE_PREFIX: Final = "route:"  # a comparator that is another route of the same drug


def _compared(
    assessed: Sequence[Assessed], drug: Patterns, other: Patterns, rules: Rules, keep: Callable[[Assessed, str], bool]
) -> list[tuple[Assessed, str, str]]:
    """The counted studies ``keep`` admits (given the study and its title and abstract), each with what it
    says of the drug against the other treatment (:func:`_head_to_head`): (study, kind, sentence)."""
    out = []
    for a in assessed:
        text = f"{a.record.title}. {a.record.abstract}"
        if a.counted and keep(a, text) and (said := _head_to_head(text, drug, other, rules)) is not None:
            out.append((a, said[0], said[1]))
    return out


def _judge_routes(
    claim: Claim,
    other: str,
    relation: str,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings],
    memo: AssessMemo | None = None,
) -> Verdict:
    """A claim that the drug by the page's route matches or beats it by ``other`` ("troches work as
    well as IV infusions"). Only studies of both routes can speak to it (each route's trials against
    placebo say nothing of the two side by side), and only what they say of the two; without one
    in the cache the claim is not shown."""
    cue = rules.comparative["claim_better" if relation == "better" else "claim_equal"].search(claim.text)
    subject = claim.text[: cue.start()] if cue else claim.text
    mine = sorted(n for n, p in rules.routes.items() if n != other and p.any(subject)) or sorted(
        _page_routes(claim, claim.text[cue.end() :] if cue else "", rules) - {other}
    )
    tested = (as_tested(claim, rules) + f" — a comparison of routes, {', '.join(mine)} against {other}: only "
              "studies of both routes count, and only what they say of the two")
    assessed = assess_all(claim, records, rules, cache, memo)
    reasons = exclusion_reason(assessed)
    drug = Patterns(tuple(rx for r in mine for rx in rules.routes[r].regexes))
    def both_routes(a: Assessed, _: str) -> bool:
        routes = set(a.record.axis("route"))
        return bool(drug) and other in routes and bool(routes & set(mine))

    findings = _compared(assessed, drug, rules.routes[other], rules, both_routes)
    cited = [cite(a, f"{kind}: “{sentence}”") for a, kind, sentence in findings]
    if not findings:
        reasons.append(f"no counted study in the cache compares {', '.join(mine)} with {other} head to head")
        return finish("insufficient_evidence", None, reasons, cited, rules, tested)
    agree = [a for a, kind, _ in findings if kind == ("ahead" if relation == "better" else "equal")]
    disagree = [a for a, kind, _ in findings if a not in agree]
    reasons.append(f"{len(findings)} stud(ies) compare the routes: {len(agree)} agree, {len(disagree)} do not")
    verdict = ("supported" if len(agree) >= 3 * len(disagree) else
               "contradicted" if len(disagree) >= 3 * len(agree) else "partly_supported")
    used = [a for a, _, _ in findings]
    certainty, greasons = grade_studies(used, rules, imprecision=None if len(used) >= 3 else
                                        f"{len(used)} head-to-head stud(ies)")
    reasons.extend(greasons)
    reading = {a.record.id: (kind, sentence) for a, kind, sentence in findings}
    deciding = [(a, "for") for a in agree[:3]] + [(a, "against") for a in disagree[:2]]
    decisive = [decisive_of(a, stance, reading[a.record.id][0], reading[a.record.id][1]) for a, stance in deciding]
    return finish(verdict, certainty, reasons, cited, rules, tested, decisive=decisive,
                  certainty_source=grade_source("head-to-head studies", greasons))


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
                # "as effective as B": the cue's own "as" introduces the other treatment.
                start = m.end() + link.end() if link else m.end() if m.group().lower().endswith(" as") else -1
                if start < 0:
                    continue
                tail = sentence[start : start + 60]
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
    assessed = assess_all(claim, records, rules, cache, memo)
    reasons = exclusion_reason(assessed)
    findings = _compared(assessed, drug, other, rules,
                         lambda _, text: other.any(text) and not (combined is not None and combined.any(text)))
    cited = [cite(a, f"{kind}: “{sentence}”") for a, kind, sentence in findings]
    if not findings:
        reasons.append(f"no counted study in the cache compares {molecule} with {comparator} head to head")
        return finish("insufficient_evidence", None, reasons, cited, rules, tested)
    ahead = [a for a, kind, _ in findings if kind == "ahead"]
    behind = [a for a, kind, _ in findings if kind == "behind"]
    equal = [a for a, kind, _ in findings if kind == "equal"]
    reasons.append(
        f"head to head with {comparator}: {len(ahead)} stud(ies) favour {molecule}, {len(behind)} favour "
        f"{comparator}, {len(equal)} find no difference"
    )
    agree, disagree = _sides(relation, claim.text, ahead, behind, equal)
    reported = _reported_trials(claim, agree, rules)
    if reported:
        verdict = "supported"
        agree, disagree = reported, []
        reasons.append(f"the sentence reports one study's result; {len(reported)} counted randomised trial(s) say so")
    # A clear majority (3 to 1) decides; anything closer is partly supported.
    elif agree and len(agree) >= 3 * len(disagree):
        verdict = "supported"
    elif len(disagree) >= 3 * len(agree):
        verdict = "contradicted"
    else:
        verdict = "partly_supported"
    used = [a for a, _, _ in findings]
    certainty, greasons = grade_studies(
        used,
        rules,
        inconsistency="studies disagree on which is better" if agree and disagree else None,
        imprecision=None if len(used) >= 3 else f"{len(used)} head-to-head stud(ies)",
    )
    reasons.extend(greasons)
    reading = {a.record.id: (kind, sentence) for a, kind, sentence in findings}
    deciding = [(a, "for") for a in agree[:3]] + [(a, "against") for a in disagree[:2]]
    if verdict == "contradicted":
        deciding = [(a, "against") for a in disagree[:3]] + [(a, "for") for a in agree[:2]]
    decisive = [decisive_of(a, stance, reading[a.record.id][0], reading[a.record.id][1]) for a, stance in deciding]
    return finish(
        verdict,
        certainty,
        reasons,
        cited,
        rules,
        tested,
        decisive=decisive,
        certainty_source=grade_source("head-to-head studies", greasons),
    )


_AT_LEAST: Final = re.compile(r"\bat least as\b", re.IGNORECASE)


def _sides(
    relation: str, text: str, ahead: list[Assessed], behind: list[Assessed], equal: list[Assessed]
) -> tuple[list[Assessed], list[Assessed]]:
    """The head-to-head studies that agree with the page's comparison, and those that do not."""
    if relation == "better":
        return ahead, behind + equal
    if relation == "worse":
        return behind, ahead + equal
    if _AT_LEAST.search(text):
        # "At least as effective as ECT": a trial finding the drug ahead bears it out as well as one finding a tie.
        return equal + ahead, behind
    # Differences that point both ways partly cancel: only the dominant direction disputes a tie.
    return equal, max(ahead, behind, key=len)


def _reported_trials(claim: Claim, agree: Sequence[Assessed], rules: Rules) -> list[Assessed]:
    """One study's result reported ("a large trial found …", "in the largest head-to-head trial, published in
    2023, …"): the randomised trials among those agreeing that bear it out: the one the page's size or year
    names where it gives one, else any."""
    if not (rules.comparative["single_study"].any(claim.text) or reports_one_study(claim, rules)):
        return []
    trials = [a for a in agree if a.design == "rct"]
    if names_no_detail(claim):
        return trials
    return [a for a in trials if matching_details(a.record, claim.text)]


_FLIP: Final = {"for": "against", "against": "for"}


def _stances_turned(v: Verdict) -> tuple[Decisive, ...]:
    """The benefit's decisive records with their stance turned: for it is against a sentence denying it."""
    return tuple(replace(d, stance=_FLIP.get(d.stance, d.stance)) for d in v.decisive)


def _turned_round(v: Verdict) -> Verdict:
    """The verdict on a sentence denying that a benefit has been shown, from the verdict on the
    benefit's claim: evidence against it or lacking bears the denial out (a label limitation that
    says the benefit "has not been demonstrated" supports the sentence that says so); an
    established benefit contradicts it, unless its certainty is low, where "not shown" is fair
    enough to be partly supported. Decisive records keep their place with their stance turned."""
    strong = v.certainty in ("moderate", "high")
    verdict = {
        "contradicted": "supported",
        "insufficient_evidence": "supported",
        "partly_supported": "partly_supported",
        "supported": "contradicted" if strong else "partly_supported",
    }.get(v.verdict, v.verdict)
    decisive = _stances_turned(v)
    own = v.verdict.replace("_", " ")
    why = f"the sentence denies that the benefit has been shown; the benefit's own claim is {own}"
    return replace(v, verdict=verdict, reasons=(why, *v.reasons), decisive=decisive)


# The studies reported in general ("controlled trials have found it no better than placebo"), not one study.
_STUDIES_IN_GENERAL: Final = re.compile(r"\b(trials|studies|RCTs|research|the evidence)\b", re.IGNORECASE)


def _null_report(v: Verdict, clause: str) -> Verdict:
    """The verdict on a sentence reporting that a study found no benefit, from the verdict on the
    benefit's claim: a body that contradicts the benefit bears it out; a null or negative decisive
    result beside positive ones does in part; otherwise no such result was found, which small
    positive trials neither confirm nor refute (insufficient evidence, never "it works") when the page
    reports one study it may know of, and contradict when it says so of the trials in general: every
    counted result favours the drug."""
    against = any(d.stance == "against" for d in v.decisive)
    positive = any(d.stance == "for" for d in v.decisive)
    own = v.verdict.replace("_", " ")
    in_general = bool(_STUDIES_IN_GENERAL.search(clause))
    if v.verdict == "contradicted":
        verdict, certainty = "supported", v.certainty
    elif against:
        verdict, certainty = "partly_supported", v.certainty
    elif in_general and positive and v.verdict in ("supported", "partly_supported"):
        verdict, certainty = "contradicted", v.certainty
    else:
        verdict, certainty = "insufficient_evidence", "very_low"
    none_null = (
        "" if against or v.verdict == "contradicted" else ", with no null or negative result among the counted studies"
    )
    who = "trials" if in_general else "a study"
    why = f"the sentence reports {who} that found no benefit; the benefit's own claim is {own}{none_null}"
    decisive = _stances_turned(v)
    return replace(v, verdict=verdict, certainty=certainty, reasons=(why, *v.reasons), decisive=decisive)


# "than either alone" (each of the two treatments) as against "than ketamine alone" (the drug by itself).
_EACH: Final = re.compile(r"\b(either|each|both)\b", re.IGNORECASE)


def _against_each_alone(claim: Claim, rules: Rules) -> Verdict | None:
    """Insufficient evidence for a benefit of the drug combined with another treatment over each of
    them alone ("Combining ketamine with TMS works faster than either treatment alone"): studies of
    the drug alone, for or against, say nothing of what adding the other treatment does."""
    if claim.kind not in ("efficacy", "efficacy_rate", "onset", "duration"):
        return None
    each = next(
        (
            m
            for m in rules.comparative["each_alone"].finditer(claim.text)
            if _EACH.search(m.group()) or rules.drug_names.any(m.group())
        ),
        None,
    )
    if each is None:
        return None
    other = [n for n, p in rules.comparators.items() if p.any(claim.text[: each.start()])]
    if not other:
        return None
    alone = "each" if _EACH.search(each.group()) else "the drug"
    tested = as_tested(claim, rules) + f" — the drug combined with {', '.join(other)}, against {alone} alone"
    reason = (
        f"a claim about the drug combined with {', '.join(other)}, against {alone} alone: studies of the "
        "drug alone cannot decide it, and ketlit reads no study of the combination"
    )
    return finish("insufficient_evidence", None, [reason], [], rules, tested)


def _moderator(claim: Claim, rules: Rules) -> Verdict | None:
    """Insufficient evidence for a claim about what changes the drug's effect ("lithium boosts ketamine's
    effect", "the mystical experience is what predicts how much you benefit", "pairing it with CBT may help
    the benefits last longer"): trials of the drug against a control, for or against, do not answer it."""
    if claim.kind not in ("efficacy", "onset", "duration"):
        return None
    cue = rules.comparative.get("moderator")
    m = cue.search(claim.text) if cue is not None else None
    if m is None:
        return None
    reason = (
        f"a claim about what changes the drug's effect (“{m.group()}”: a predictor, an add-on or a setting), not "
        "about whether it works: trials of the drug against a control cannot decide it, and ketlit reads no study "
        "of the moderator"
    )
    return finish("insufficient_evidence", None, [reason], [], rules, as_tested(claim, rules))


def judge(
    claim: Claim,
    records: Sequence[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings] | None = None,
    memo: AssessMemo | None = None,
    policy: VerdictPolicy | None = None,
) -> Verdict:
    """The verdict on one claim from candidate records and the regulatory facts.

    ``memo`` (optional, one per page) shares record assessments between claims read alike;
    ``policy`` is the verdict rules and reference standard (the packaged ones by default)."""
    cache = {} if cache is None else cache
    policy = policy or packaged_policy()
    if claim.kind == "not_checkable":
        reason = claim.not_checkable_reason or "not a checkable assertion"
        reasons = [reason] + (
            ["anecdote: a personal or clinic-reported experience is not evidence of effect"] if claim.anecdote else []
        )
        return Verdict("not_checkable", None, tuple(reasons), as_tested="not tested")
    if claim.kind == "regulatory":
        return judge_regulatory(claim, rules, policy)
    rules = in_scope(claim, rules, policy)
    if (combination := _against_each_alone(claim, rules)) is not None:
        return combination
    if (moderated := _moderator(claim, rules)) is not None:
        return moderated
    if claim.kind == "efficacy":
        comparison = _comparison(claim, rules)
        if comparison is not None and comparison[0].startswith(ROUTE_PREFIX):
            other = comparison[0].removeprefix(ROUTE_PREFIX)
            return _judge_routes(claim, other, comparison[1], records, rules, cache, memo)
        if comparison is not None:
            return _judge_comparative(claim, comparison, records, rules, cache, memo)
        verdict = judge_efficacy(claim, records, rules, policy, cache, memo)
        if claim.denied and rules.cues.get("reported_null", Patterns(())).any(claim.clause):
            return _null_report(verdict, claim.clause)
        return _turned_round(verdict) if claim.denied else verdict
    if claim.kind in ("onset", "duration"):
        return judge_time(claim, records, rules, policy, cache, memo)
    assessed = assess_all(claim, records, rules, cache, memo)
    if claim.kind == "efficacy_rate":
        return judge_rate(claim, assessed, rules, policy)
    if claim.kind == "safety":
        return judge_safety(claim, assessed, rules, policy)
    if claim.kind == "dosing":
        return _judge_dosing(claim, assessed, rules, policy)
    return finish(
        "insufficient_evidence",
        None,
        [f"no method for claims of kind {claim.kind}"],
        [],
        rules,
        as_tested(claim, rules),
    )
