"""Safety verdicts: what the evidence and the regulators say about a risk the page names.

Design decisions:

* **Stances.** A page *denies* a risk ("not addictive", "no side effects", or "safe" in
  absolute wording such as "100% safe": contradicted by any documented report or regulatory
  finding), *minimises* it ("minimal risk", "safe", "well tolerated"), says it is *transient*,
  *compares* it between products or uses ("more of a factor with compounded ketamine"), or
  *acknowledges* it. Certainty comes from :func:`ketlit.claims.grade.grade_studies`, so a design
  tag alone never gives "high".
* **Stored rows, not a rescan.** A PubMed record documents a harm only if its stored study profile
  lists adverse events in its results or conclusions (``adverse_events``, read once at tagging
  time); a risk named only in an abstract's background or methods ("ketamine has abuse
  liability") is no report of it. Records without a profile (registry entries) are read as before.
* **Only results report harms.** A report counts only from a result or conclusion sentence (as
  the study profiles read roles): "ketamine was initially used as an anesthetic which could induce
  cognitive impairment" in an introduction is background, not a finding.
* **Denials are about therapeutic use.** A page denying or minimising a harm ("does not cause
  long-term memory problems", "no risk of addiction") speaks of treatment. Reports from people who
  misuse the drug (a record about recreational users only, or a sentence about users, abuse or
  street use) and from experiments in healthy volunteers (ketamine as a model psychosis) are
  indirect: named and cited as such, never decisive. A denial of *lasting* harm
  ("long-term", "permanent") is contradicted only by reports of persistent harm, or of a harm that
  lasts by nature (``lasting_risks``: dependence, bladder damage), not by effects that pass within
  the session.
* **Transience with a time.** "Side effects go away within an hour" is supported by reports of
  transient effects only if they resolve that fast: studies describing resolution within a longer
  time make it partly supported ("an hour or two" is read as two hours).
* **A group's safety is its own.** "Safe during pregnancy", "safe for teens": only evidence naming the
  group is weighed, and only of the claim's form and route ("Spravato is safe for adolescents" is not
  decided by IV racemic-ketamine trials in adolescents: with nothing else, insufficient evidence).
* **A harm restricted to misuse** ("only reported with daily recreational use") is supported when
  the harm is documented in misuse and no study of treated patients reports it, contradicted when
  one does; regulatory lists of risks do not say in which use they arise, so they are context.
* **Facts match the claim's subject.** A regulatory fact decides a safety claim only about its own
  product: a fact limited to some routes applies to a claim about one of them, and the FDA's
  warning about compounded products only to a claim about compounded, at-home or those routes'
  products — never to "ketamine is safe" in general.
* **"Safe" for an approved use.** A plain or hedged claim that the drug is safe (or used for its
  safety) for a use the regulator approved (ketamine as an anaesthetic) is supported by the
  approval, which weighed its risks for that use; partly supported when the label carries a boxed
  warning or a REMS, or the wording is intensified. Absolute wording ("completely safe", "no side
  effects") is a denial and is judged as one.
* **Comparisons need a comparison.** A claim that a risk is greater or smaller with one product or
  use than another is insufficient evidence unless a source compares them: a warning about one
  product, or trials against placebo, document the risk, not the difference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from ketlit.claims.assertion import attributed
from ketlit.claims.claim_rate import rate_in
from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import Assessed, Cited, Verdict, as_tested, cite, cite_fact, exclusion_reason, finish
from ketlit.claims.model import Claim
from ketlit.claims.numbers import AdverseFinding, find_times, human_duration, upper_hours
from ketlit.claims.policy import VerdictPolicy, packaged_policy
from ketlit.claims.regulatory_verdict import approvals_for_use
from ketlit.claims.rules import RegulatoryFact, Rules
from ketlit.claims.synthesis import profile_of
from ketlit.claims.timing import result_sentence

GENERIC = frozenset({"side_effects", "general_safety"})
# "go away within an hour", "resolve in 1-2 hours", "wear off after about an hour".
_WITHIN = re.compile(r"\b(?:within|in|after|by)\s+(?:about |around |approximately |roughly |less than |under )?(?=\S)",
                     re.IGNORECASE)
# Regulatory kinds that put a product's risks on its label or restrict its use.
_LABEL_RISK_KINDS = frozenset({"label_warning", "rems"})

Report = tuple[Assessed, AdverseFinding]


def facts_about(claim: Claim, rules: Rules) -> list[RegulatoryFact]:
    """The regulatory facts about the claim's subject: its molecule, a compatible route, and for a
    product-specific warning (compounding) a claim about that product (see the module docstring)."""
    molecules = claim.molecule or (rules.molecule_default,)
    out = []
    for f in rules.facts:
        if not any(f.covers_molecule(m) for m in molecules):
            continue
        if claim.route and f.route and not set(f.route) & set(claim.route):
            continue
        if f.kind == "compounding" and not (
            "compounded" in claim.product or "at_home" in claim.scope or set(f.route) & set(claim.route)
        ):
            continue
        out.append(f)
    return out


def harm_reports(a: Assessed) -> tuple[AdverseFinding, ...]:
    """A record's adverse-event statements, if its stored profile says its results or conclusions
    report adverse events at all (see the module docstring)."""
    profile = profile_of(a.record)
    if profile is not None and not profile.get("adverse_events"):
        return ()
    return tuple(f for f in a.findings.adverse if result_sentence(a.record, f.sentence))


def indirect_source(a: Assessed, f: AdverseFinding, rules: Rules) -> str | None:
    """"misuse" for a report from people misusing the drug, "experimental" for one from an
    experiment in a group that is not treated (healthy volunteers), None for therapeutic use (see
    ``misuse_indications`` and ``indirect_populations`` in the claim rules)."""
    indications = set(a.record.axis("indication"))
    misuse = rules.misuse_indications
    if f.recreational or (misuse and misuse[0] in indications and indications <= set(misuse)):
        return "misuse"
    if set(a.record.axis("population")) & set(rules.indirect_populations) and not indications:
        return "experimental"
    return None


@dataclass(slots=True)
class _Judged:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    cited: list[Cited] = field(default_factory=list)
    used: list[Assessed] = field(default_factory=list)


def _ae_text(f: AdverseFinding) -> str:
    pct = f" {f.pct:g}%" if f.pct is not None else ""
    flag = " (absent)" if f.absent else " (recreational use)" if f.recreational else ""
    return f"{f.category}{pct}{flag}: “{f.sentence}”"


def _indirect(c: Cited) -> Cited:
    return replace(c, direct=False)


def _distinct(pairs: Sequence[Report]) -> list[Assessed]:
    return list({id(a): a for a, _ in pairs}.values())



_MILD: Final = re.compile(r"\b(mild|minor|brief|short[- ]lived|transient|temporary|fleeting)\b", re.IGNORECASE)
# Clauses of a sentence: a group named in one clause ("…, and your child will never take any medication
# home") is not the population of a harm claimed in another.
# A clause ends at a semicolon, or where a conjunction opens one with a subject of its own.
_CLAUSE: Final = re.compile(
    r";|,?\s+\b(?:and|but|while|whereas|so)\s+(?=(?:your|the|our|you|we|they|it|he|she|patients|people|children|"
    r"teens?|adolescents|parents)\b)",
    re.IGNORECASE,
)


def groups_in_claim(text: str, rules: Rules) -> list[str]:
    """The special populations ("children", "pregnancy") a safety sentence makes its claim about: those
    named in a clause that also names a harm or safety ("safe for children", "no risk in pregnancy")."""
    topics = list(rules.safety_topics.values())
    clauses = [c for c in _CLAUSE.split(text) if any(p.any(c) for p in topics)]
    return [name for name, pats in rules.safety_populations.items() if any(pats.any(c) for c in clauses)]


def judge_safety(
    claim: Claim, assessed: list[Assessed], rules: Rules, policy: VerdictPolicy | None = None
) -> Verdict:
    """The verdict on a safety claim (see the module docstring)."""
    policy = policy or packaged_policy()
    tested = as_tested(claim, rules)
    topics = set(claim.safety_topics)
    stance = claim.safety_stance or "assertion"
    if stance == "minimising" and claim.strength == "absolute":
        # "100% safe", "totally harmless": no risk at all is claimed, so it is judged as a denial.
        stance = "denial"
    specific = topics - GENERIC
    reasons = exclusion_reason(assessed)
    counted = [a for a in assessed if a.counted or (a.exclusion or "").startswith("other indication")]
    # A claim naming harms of its own ("never causes weight gain or sexual side effects") is about them,
    # as the reports weighed are: a regulator's word on side effects in general does not answer it.
    facts = [f for f in facts_about(claim, rules) if set(f.risks) & (specific or topics)]
    groups = groups_in_claim(claim.text, rules)
    if groups and stance in ("denial", "minimising", "assertion"):
        # "Safe during pregnancy", or "not safe during pregnancy": what holds for adults in trials says nothing about
        # that group either way.
        def names_group(text: str) -> bool:
            return any(rules.safety_populations[g].any(text) for g in groups)

        counted = [a for a in counted if names_group(f"{a.record.title} {a.record.abstract}")]
        # Safety in general in that group ("safe during pregnancy") is answered by any regulator's warning for the
        # group, whatever harm it names (a label's "may cause fetal harm; not recommended during pregnancy").
        pool = facts if specific else [f for f in facts_about(claim, rules) if f.risks]
        facts = [f for f in pool if names_group(f.statement)]
        # Nor does another form or route of the drug in that group ("Spravato is safe for
        # adolescents" from IV racemic-ketamine trials in adolescents): named, not weighed.
        other_form = [a for a in counted if any(i.startswith(("molecule ", "route ")) for i in a.indirect)]
        if other_form and len(other_form) == len(counted) and not facts:
            reasons.append(
                f"the {len(other_form)} stud(ies) in {', '.join(groups)} are of another form or route of the drug "
                f"({'; '.join(sorted({i for a in other_form for i in a.indirect}))}); not weighed"
            )
            return finish("insufficient_evidence", None, reasons, [cite(a, "another form or route") for a in
                                                                   other_form[:3]], rules, tested)
        if not counted and not facts:
            reasons.append(
                f"no study or regulatory source in the cache reports on safety in {', '.join(groups)}; "
                "evidence from other groups does not carry over"
            )
            return finish("insufficient_evidence", None, reasons, [], rules, tested)
        reasons.append(f"only evidence that names {', '.join(groups)} was weighed")

    def relevant(f: AdverseFinding) -> bool:
        return f.category in specific or (not specific and bool(topics & GENERIC))

    every_report = [(a, f) for a in counted for f in harm_reports(a)]
    reports = [(a, f) for a, f in every_report if relevant(f)]
    misuse: list[Report] = []
    experimental: list[Report] = []
    if stance in ("denial", "minimising", "restriction"):
        # A claim about treatment: reports from misuse or experiments are indirect (module docstring).
        source = [indirect_source(a, f, rules) for a, f in reports]
        misuse = [r for r, s in zip(reports, source, strict=True) if s == "misuse"]
        experimental = [r for r, s in zip(reports, source, strict=True) if s == "experimental"]
        reports = [r for r, s in zip(reports, source, strict=True) if s is None]
    if stance == "restriction" and facts:
        in_treatment = rules.safety_terms.get("in_treatment")
        if treated := [f for f in facts if in_treatment is not None and in_treatment.any(f.statement)]:
            # "Urinary problems only happen with daily recreational use": a label that reports the harm in its own
            # trials, or with therapeutic use, says otherwise.
            reasons.append(
                "the page limits the harm to misuse, but a regulator documents it in treatment ("
                + ", ".join(f.id for f in treated) + ")"
            )
            return finish("contradicted", "moderate", reasons, [cite_fact(f) for f in treated], rules, tested)
        reasons.append(
            "regulatory sources name the risk without saying in which use it arises ("
            + ", ".join(f.id for f in facts)
            + "); not weighed"
        )
        facts = []
    if ruled_out := _ruled_out(claim, stance, rules):
        reasons.append(ruled_out[0])
        return finish("contradicted", "moderate", reasons, [cite_fact(f) for f in ruled_out[1]], rules, tested)
    safe_claim = topics == {"general_safety"} and stance in ("minimising", "assertion") and not groups
    approved = _approved_use(claim, rules) if safe_claim else []
    if approved:
        judged = _safe_for_approved_use(claim, approved, reports, rules)
    elif stance == "comparative":
        judged = _comparative(claim, facts, reports)
    elif stance == "restriction":
        judged = _restriction(reports, misuse)
    elif stance in ("denial", "minimising"):
        lasting = _denies_lasting(claim, rules)
        # "Addiction has been rare in clinical studies": what trials observed, not a risk called minimal.
        # "In a pooled analysis of trials, one dose did not lead to misuse": what trials observed, not a risk denied.
        observed = stance in ("minimising", "denial") and (
            claim.strength == "attributed" or attributed(claim.clause or claim.text, rules)
        )
        tiny = _tiny_share_against_reports(claim, reports) if stance == "minimising" else None
        # Said to be mild or to pass ("mild dizziness that fades within an hour"): the words the rule for effects
        # that pass needs (not "safe for everyone, including guests with high blood pressure").
        passing_words = rules.safety_stances["transience"].any(claim.text) or bool(_MILD.search(claim.text))
        uncommon = _uncommon(specific, reports, every_report, rules, policy) if stance == "denial" else None
        judged = tiny or _denial_or_minimising(
            stance, specific, facts, reports, rules, lasting=lasting, observed=observed, passing_words=passing_words,
            uncommon=uncommon,
            absolute=claim.strength == "absolute" and not any(
                rules.safety_topics[t].any(claim.clause or claim.text) for t in specific if t in rules.safety_topics
            ),
        )
    elif stance == "transience":
        judged = _transience(reports, claim.clause or claim.text)
    else:
        judged = _assertion(topics, specific, facts, reports, group_warning=bool(groups) and not specific)
    reasons += judged.reasons
    aside = [*(misuse if stance != "restriction" else []), *experimental]
    if aside:
        who = [
            f"{len(_distinct(group))} stud(ies) {name}"
            for group, name in (
                (misuse if stance != "restriction" else [], "of recreational or illicit use"),
                (experimental, "in healthy volunteers"),
            )
            if group
        ]
        reasons.append(f"{' and '.join(who)} report it: indirect for therapeutic use, not weighed")
        judged.cited += [_indirect(cite(a, _ae_text(f))) for a, f in aside if not f.absent]
    cited = [cite_fact(f) for f in facts if not approved] + judged.cited
    certainty: str | None
    if approved or facts:
        certainty = "moderate" if judged.verdict != "insufficient_evidence" else None
        if facts and not approved:
            reasons.append(f"regulatory sources: {', '.join(f.id for f in facts)}")
    elif judged.used:
        certainty, greasons = grade_studies(
            judged.used, rules, imprecision=None if len(judged.used) >= 3 else f"{len(judged.used)} report(s)"
        )
        reasons.extend(greasons)
    else:
        certainty = None
    return finish(judged.verdict, certainty, reasons, cited, rules, tested,
                  stances=_sides(claim, stance, reports, [] if approved else facts, rules))


def _denies_lasting(claim: Claim, rules: Rules) -> bool:
    """The sentence is about harm that lasts ("no lasting cognitive impairment"), not harm at all."""
    return "lasting" in rules.safety_terms and rules.safety_terms["lasting"].any(claim.clause or claim.text)


def _sides(
    claim: Claim, stance: str, reports: Sequence[Report], facts: Sequence[RegulatoryFact], rules: Rules
) -> dict[str, str]:
    """What each cited record says of the sentence, where that follows from the sentence alone: a
    denial ("no risk of addiction") is borne out by reports of absence and a label that does not warn,
    and gone against by reports of the harm and a label that warns; an assertion ("it can raise blood
    pressure") the other way round. A minimising, passing or comparative sentence ("side effects are
    mild") is borne out or not by how large and how lasting the harm is, not by whether it occurs:
    its records take the verdict's side, as do those of a denial of *lasting* harm ("no lasting cognitive
    impairment"), which a report of passing impairment bears out."""
    if stance not in ("denial", "assertion") or _denies_lasting(claim, rules):
        return {}
    denies = stance == "denial"
    sides: dict[str, str] = {}
    for a, f in reports:
        side = "against" if (not f.absent) == denies else "for"
        if not f.absent or a.record.id not in sides:  # a record reporting the harm at all: that decides
            sides[a.record.id] = side
    for fact in facts:
        sides[fact.id] = "against" if denies else "for"
    return sides


# The sentence itself denies the setting or its safety there ("Spravato is not safe to take at home", "safe only
# under supervision, not at home", "should never be taken at home", "unlike at-home lozenges"): it agrees with the
# restriction. The negation must govern "safe" or "at home" itself: in "Unlike IV ketamine, Spravato is safe to take
# at home" or "not just effective, it is safe at home" it governs something else, and the sentence calls home use
# safe.
_SETTING_DENIED = re.compile(
    r"\b(?:not|never|isn.t|aren.t|no longer)\s+(?:(?:be|been|considered|recommended|approved|allowed|meant|designed|"
    r"intended)\s+)?(?:\w+ly\s+)?(?:safe\b|(?:to\s+be\s+)?(?:taken|used|given|administered|self-administered)\s+"
    r"(?:at[- ]home|in\s+the\s+home)\b|at[- ]home\b|(?:for|in)\s+(?:the\s+)?home\b)"
    r"|\b(?:unlike|rather\s+than|instead\s+of)\s+(?:[\w-]+\s+){0,2}?(?:at[- ]home|home)\b",
    re.IGNORECASE)


def _ruled_out(claim: Claim, stance: str, rules: Rules) -> tuple[str, list[RegulatoryFact]] | None:
    """A restriction that rules out the setting the sentence calls safe ("Spravato is safe to take at home"
    against a REMS that allows use only under supervision in a certified setting): the reason and the facts,
    or None. Only a sentence that plays the risk down there; one that states a risk is not contradicted."""
    if stance not in ("minimising", "denial"):
        return None
    if _SETTING_DENIED.search(claim.text):  # "not safe to take at home", "in our clinic, never at home"
        return None
    facts = [f for f in facts_about(claim, rules) if set(f.rules_out) & set(claim.scope)]
    if not facts:
        return None
    ruled = {s for f in facts for s in f.rules_out} & set(claim.scope)
    settings = ", ".join(sorted(s.replace("_", " ") for s in ruled))
    return (f"the sentence calls it safe {settings}; the regulator's restriction rules that use out: "
            + " ".join(f.statement for f in facts)), facts


def _approved_use(claim: Claim, rules: Rules) -> list[RegulatoryFact]:
    """Approvals for the use a "safe" claim names, when the claim is not absolute."""
    if claim.strength == "absolute":
        return []
    # Only a use the sentence itself names: one inferred from the rest of the page would give the
    # same sentence different verdicts on an anaesthesia and a depression clinic's page.
    named = [i for i in claim.indication if i in rules.indications and rules.indications[i].any(claim.text)]
    return [f for ind in named for f in approvals_for_use(claim, ind, rules)]


def _safe_for_approved_use(
    claim: Claim, approved: Sequence[RegulatoryFact], reports: Sequence[Report], rules: Rules
) -> _Judged:
    products = sorted({f.product for f in approved})
    molecules = {m for f in approved for m in f.molecule}
    label = [f for f in facts_about(claim, rules) if f.kind in _LABEL_RISK_KINDS and set(f.molecule) & molecules]
    uses = ", ".join(sorted({i for f in approved for i in f.indication} & set(claim.indication)))
    out = _Judged("supported")
    out.reasons.append(
        f"the regulator approved {'; '.join(products)} for {uses}, weighing its risks for that use; "
        "the claim is read as safe for that use"
    )
    if label:
        out.verdict = "partly_supported"
        out.reasons.append("but its label restricts or warns: " + "; ".join(f.statement for f in label))
    if claim.strength == "intensified":
        out.verdict = "partly_supported"
        out.reasons.append(
            f"the intensified wording ({', '.join(claim.strength_cues)}) says more than an approval shows"
        )
    if reports:
        out.reasons.append(f"{len(_distinct(reports))} stud(ies) report adverse events (listed for context)")
    out.cited = [cite_fact(f) for f in [*approved, *label]] + [cite(a, _ae_text(f)) for a, f in reports]
    return out


def _comparative(claim: Claim, facts: Sequence[RegulatoryFact], reports: Sequence[Report]) -> _Judged:
    about = f" ({', '.join(claim.product)})" if claim.product else ""
    out = _Judged("insufficient_evidence")
    out.reasons.append(
        f"the page compares a risk between products or uses{about}; "
        + (
            "the sources found document the risk ("
            + ", ".join([f.id for f in facts] + sorted({a.record.id for a, _ in reports})[:5])
            + "), not a difference between them"
            if facts or reports
            else "no source compares them"
        )
    )
    return out


# The page's share as an upper bound ("fewer than 1%", "less than 1 in 100", "only 2% of patients").
_AT_MOST = re.compile(
    r"\b(?:fewer|less) than\s*(?:about |around )?$|\bonly\s*(?:about |around )?$|\bunder\s*$", re.IGNORECASE
)


def _tiny_share_against_reports(claim: Claim, reports: Sequence[Report]) -> _Judged | None:
    """A minimising sentence that states how few patients have the harm ("fewer than 1% of patients experience any
    side effects"), against studies of treated patients that report its rate: contradicted where two or more report
    it at three times the page's bound or more (and 5 points above it). None where the sentence states no such share
    or too few studies give a rate."""
    rate = rate_in(claim.clause or claim.text)
    if rate is None or not _AT_MOST.search((claim.clause or claim.text)[max(0, rate[2] - 30) : rate[2]]):
        return None
    bound = rate[0]
    above = [(a, f) for a, f in reports if not f.absent and f.pct is not None and f.pct >= max(3 * bound, bound + 5)]
    if len(_distinct(above)) < 2:
        return None
    out = _Judged("contradicted")
    shown = sorted({f.pct for _, f in above if f.pct is not None})
    out.reasons.append(
        f"the page says at most {bound:g}% of patients; {len(_distinct(above))} stud(ies) report rates of "
        f"{shown[0]:g}%" + (f" to {shown[-1]:g}%" if len(shown) > 1 else "")
    )
    out.cited = [cite(a, _ae_text(f)) for a, f in above]
    out.used = _distinct(above)
    return out


def _weighed(regulated: Sequence[RegulatoryFact]) -> str:
    return "regulators treat the risk as significant (" + ", ".join(f.id for f in regulated) + ")"


def _observed_denial(out: _Judged, n_absent: int, regulated: Sequence[RegulatoryFact]) -> None:
    """The page reports what trials saw ("did not lead to cravings over three months of follow-up"), no study
    reporting the harm: borne out by studies that observed none, short of a denial where a regulator weighs the
    risk."""
    if n_absent or regulated:
        out.verdict = "supported" if n_absent and not regulated else "partly_supported"
    out.reasons.append(
        "the page reports what studies observed; "
        + (f"{n_absent} stud(ies) report no such events" if n_absent else "no counted study reports on it")
        + (f"; {_weighed(regulated)}, which trials of short courses cannot rule out" if regulated else "")
    )


def _observed_minimising(out: _Judged, regulated: Sequence[RegulatoryFact], n_passing: int) -> bool:
    """A minimising sentence the page attributes to trials: whether it is decided here (and how). ``n_passing``:
    the studies describing a named effect passing or absent (0 where facts weigh the risk or the topic is safety in
    general: "trials have established it is safe" is no such observation)."""
    if regulated:
        # True of supervised trials, short of the risk regulators weigh.
        out.verdict = "partly_supported"
        out.reasons.append(
            f"the page reports what studies observed under supervision; {_weighed(regulated)}, which trials of short "
            "courses cannot rule out"
        )
        return True
    if n_passing:
        # "Well tolerated in the trials; the dissociation wore off": what trials saw, and they describe it passing.
        out.verdict = "supported"
        out.reasons.append(
            f"the page reports what studies observed; {n_passing} stud(ies) describe the effects as passing or absent"
        )
        return True
    return False


def _lasting_split(present: Sequence[Report], rules: Rules) -> tuple[list[Report], list[Report]]:
    """The reports of a harm that lasts, and those of one that passes: "no long-term memory problems" is not
    contradicted by effects that pass within the session."""
    long_ = rules.safety_terms.get("lasting_report")

    def lasts(f: AdverseFinding) -> bool:
        if f.category in rules.lasting_risks:
            return not f.transient
        return f.persistent and long_ is not None and long_.any(f.sentence)

    lasting_harm = [(a, f) for a, f in present if lasts(f)]
    return lasting_harm, [r for r in present if r not in lasting_harm]


def _denial_or_minimising(
    stance: str,
    specific: set[str],
    facts: Sequence[RegulatoryFact],
    reports: Sequence[Report],
    rules: Rules,
    *,
    lasting: bool = False,
    observed: bool = False,
    passing_words: bool = False,
    absolute: bool = False,
    uncommon: str | None = None,
) -> _Judged:
    """The verdict on a harm denied or called minimal. ``absolute``: denied absolutely, with no harm named in the
    sentence itself ("has no long-term side effects")."""
    present = [(a, f) for a, f in reports if not f.absent]
    passing: list[Report] = []
    if lasting and stance == "denial":
        present, passing = _lasting_split(present, rules)
    absent = [(a, f) for a, f in reports if f.absent]
    n_present = len({a.record.id for a, _ in present})
    n_absent = len({a.record.id for a, _ in absent})
    n_lasting = len({a.record.id for a, f in present if f.persistent})
    n_passing = len({a.record.id for a, f in present + absent if f.transient or f.absent})
    regulated = [f for f in facts if set(f.risks) & specific & set(rules.regulated_risks)]
    out = _Judged("insufficient_evidence")
    if stance == "denial" and observed and not present:
        _observed_denial(out, n_absent, regulated)
    elif stance == "denial":
        if present and not facts and uncommon:
            out.verdict = "partly_supported"
            out.reasons.append(uncommon)
        elif facts or present:
            out.verdict = "contradicted"
            out.reasons.append("the page denies a risk that " + _who(facts, present))
        elif absent or passing:
            # "Ketamine has no long-term side effects": an absolute denial of every lasting harm would need long
            # follow-up to bear it out, which studies that saw none over weeks do not give. (A harm named, "does
            # not cause memory loss", is answered by the studies that looked for it.)
            out.verdict = "insufficient_evidence" if lasting and absolute else "partly_supported"
            out.reasons.append(
                ("studies report no such events" if absent else "")
                + (" and " if absent and passing else "")
                + (f"{len(_distinct(passing))} stud(ies) report only short-lived effects" if passing else "")
                + ", but absence in small trials does not show absence of lasting harm"
            )
    elif observed and _observed_minimising(out, regulated, n_passing if not facts and specific else 0):
        pass
    elif regulated:
        # A regulator scheduled the drug or put the risk in a warning: calling it minimal is the opposite finding.
        out.verdict = "contradicted"
        out.reasons.append(
            f"{_weighed(regulated)}; "
            + (f"{n_absent} stud(ies) observed no such events under supervision, but " if n_absent else "")
            + "that does not make the risk minimal"
        )
    elif n_lasting and n_lasting * 2 > n_passing:
        out.verdict = "contradicted"
        out.reasons.append(f"{n_lasting} stud(ies) report lasting harm")
    elif passing_words and specific and n_passing >= 2 and n_passing >= 3 * n_lasting:
        # "Side effects such as dizziness are mild and fade within an hour": the effects named are documented
        # (a label may name them too: a transient rise in blood pressure is what it describes), and studies of
        # treated patients report them passing, far more than report them lasting. (Not "safe for teens": a harm
        # named, not safety in general; and never a denial, judged above.)
        out.verdict = "supported"
        out.reasons.append(
            f"the effects are documented ({_who(facts, present)}) and {n_passing} stud(ies) report them passing; "
            + (f"{n_lasting} report them lasting" if n_lasting else "none reports them lasting")
        )
    elif facts or n_present:
        out.verdict = "partly_supported" if n_passing else "contradicted" if facts else "partly_supported"
        out.reasons.append(
            "the risk is documented (" + _who(facts, present) + "); its size at clinical doses is uncertain"
        )
    elif n_absent:
        out.verdict = "supported"
        out.reasons.append("counted studies report no such events")
    out.cited = [cite(a, _ae_text(f)) for a, f in present + absent + passing]
    out.used = _distinct(present + absent + passing)
    return out


def _uncommon(
    specific: set[str], reports: Sequence[Report], every_report: Sequence[Report], rules: Rules, policy: VerdictPolicy
) -> str | None:
    """Why a named harm is uncommon in the studies of treated patients, or None: fewer than
    ``uncommon_harm_share`` of those that report any harm report it, no regulator documents it as a risk
    of the drug (``regulated_risks``), and it is not a harm the drug is known to produce
    (``uncommon_harm_exempt``, verdict_rules.toml). "Ketamine does not trigger mania" against two studies that saw
    a switch is an overreach, not a falsehood; "does not cause dissociation" against most of them is
    contradicted. (A regulator's warning on the harm decides before this: see the caller.)"""
    if not specific or specific & {*rules.regulated_risks, *policy.uncommon_harm_exempt}:
        return None
    # The studies of treated patients that report any harm: how common the named one is among them.
    harmed = len({a.record.id for a, f in every_report if not f.absent and indirect_source(a, f, rules) is None})
    if not harmed:
        return None
    n = len({a.record.id for a, f in reports if not f.absent})
    if not n or n >= policy.uncommon_harm_share * harmed:
        return None
    return (
        f"only {n} of the {harmed} stud(ies) of treated patients that report any harm report this one: it is "
        "uncommon in them, which does not show that it never happens"
    )


def _restriction(therapeutic: Sequence[Report], misuse: Sequence[Report]) -> _Judged:
    """A harm said to be limited to misuse (see the module docstring)."""
    present = [(a, f) for a, f in therapeutic if not f.absent]
    absent = [(a, f) for a, f in therapeutic if f.absent]
    seen = [(a, f) for a, f in misuse if not f.absent]
    out = _Judged("insufficient_evidence")
    n_seen = len(_distinct(seen))
    if present:
        out.verdict = "contradicted"
        out.reasons.append(
            f"the page limits the harm to misuse, but {len(_distinct(present))} stud(ies) of treated patients report it"
        )
    elif seen and absent:
        out.verdict = "supported"
        out.reasons.append(
            f"documented in misuse ({n_seen} stud(ies)); studies of treated patients report no such events"
        )
    elif seen:
        out.verdict = "partly_supported"
        out.reasons.append(
            f"documented in misuse ({n_seen} stud(ies)); no study of treated patients in the cache reports it, "
            "but no report is not evidence that it does not occur"
        )
    elif absent:
        out.reasons.append(
            "studies of treated patients report no such events, but no study in the cache documents the harm in misuse"
        )
    else:
        out.reasons.append("no study in the cache reports this harm, in misuse or in treatment")
    out.cited = [cite(a, _ae_text(f)) for a, f in present + absent] + [_indirect(cite(a, _ae_text(f))) for a, f in seen]
    out.used = _distinct(present + absent + seen)
    return out


def _within(text: str) -> float | None:
    """The time a clause says effects pass within ("go away within an hour": 1.0), in hours."""
    m = _WITHIN.search(text)
    # "an hour or two", "1-2 hours": the upper end of what follows the word.
    after = text[m.end() : m.end() + 30] if m else ""
    times = [t for t in find_times(after) if t.start < 20]
    if not times:
        return None
    # "an hour or two": the second number in the first one's unit.
    return max(max(t.hours for t in times), upper_hours(after, times[0]))


def _transience(reports: Sequence[Report], clause: str = "") -> _Judged:
    present = [(a, f) for a, f in reports if not f.absent]
    transient = [(a, f) for a, f in present if f.transient]
    persistent = [(a, f) for a, f in present if f.persistent and not f.transient]
    n_tr = len({a.record.id for a, _ in transient})
    n_pe = len({a.record.id for a, f in persistent if not f.recreational})
    out = _Judged("insufficient_evidence")
    if n_tr and n_tr >= 3 * n_pe:
        out.verdict = "supported"
        out.reasons.append(f"described as transient or resolving within hours in {n_tr} stud(ies)")
        if n_pe:
            out.reasons.append(f"persistent effects in {n_pe} stud(ies)")
    elif transient and persistent:
        out.verdict = "partly_supported"
        out.reasons.append(
            "most reports describe transient effects, but some describe persistent harm "
            "(e.g. with repeated or long-term use)"
        )
    elif persistent:
        out.verdict = "contradicted"
        out.reasons.append("reports describe persistent rather than transient effects")
    else:
        out.reasons.append("no report on how long these effects last was found")
    claimed = _within(clause) if out.verdict == "supported" else None
    # How long each transient report says the effects last, read once.
    said = {id(f): h for _, f in transient if claimed is not None and (h := _within(f.sentence)) is not None}
    longer = [(a, f) for a, f in transient if claimed is not None and said.get(id(f), 0.0) > claimed]
    if claimed is not None and longer:
        # "go away within an hour" against effects that "resolved within 2 hours": transient, but
        # not as fast as the page says.
        out.verdict = "partly_supported"
        out.reasons.append(
            f"the page says within {human_duration(claimed)}; {len(_distinct(longer))} stud(ies) describe them "
            f"resolving within {human_duration(max(said[id(f)] for _, f in longer))}"
        )
    out.cited = [cite(a, _ae_text(f)) for a, f in transient + persistent]
    out.used = _distinct(transient + persistent)
    return out


def _assertion(
    topics: set[str],
    specific: set[str],
    facts: Sequence[RegulatoryFact],
    reports: Sequence[Report],
    *,
    group_warning: bool = False,
) -> _Judged:
    """A harm asserted: documented by the reports or a regulator. ``group_warning``: the sentence says the drug is
    unsafe for a group ("not safe during pregnancy") and names no harm, so a regulator's warning for that group
    (``facts``, already those naming it), whatever harm it names, documents it."""
    present = [(a, f) for a, f in reports if not f.absent]
    covered = {f.category for _, f in present} | {r for fact in facts for r in fact.risks}
    wanted = specific or topics
    if group_warning and facts:
        covered |= wanted
    hit = wanted & covered
    out = _Judged("supported" if hit == wanted else "partly_supported" if hit else "insufficient_evidence")
    if group_warning and facts:
        ids = ", ".join(f.id for f in facts)
        out.reasons.append(f"a regulator warns about use in the group the page names ({ids})")
    elif hit and hit != wanted:
        out.reasons.append(f"documented: {', '.join(sorted(hit))}; not found: {', '.join(sorted(wanted - hit))}")
    elif hit:  # the why a summary row shows: what is documented, and by whom
        who = _who([f for f in facts if hit & set(f.risks)], [(a, f) for a, f in present if f.category in hit])
        out.reasons.append(f"documented: {', '.join(sorted(hit))}" + (f" ({who})" if who else ""))
    else:
        out.reasons.append(f"not found in the counted studies: {', '.join(sorted(wanted))}")
    out.cited = [cite(a, _ae_text(f)) for a, f in present]
    out.used = _distinct(present)
    return out


def _who(facts: Sequence[RegulatoryFact], present: Sequence[Report]) -> str:
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
