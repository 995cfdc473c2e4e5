"""Regulatory verdicts: a claim against the facts in ``regulatory.toml``, nothing else.

Design decisions:

* **The sentence alone.** The molecules, routes and uses are read from the sentence itself, never
  from elsewhere on the page, so the same sentence on two pages always gets the same verdict (a
  sentence naming no drug at all, "it", takes the drug the extractor resolved from the page);
  an approval sentence that names no use is checked as "has approvals" (the page's conditions
  are never imported into it).
* **Jurisdiction honoured.** The regulator a sentence is about is read with the verdict rules'
  ``[jurisdictions]`` words (a sentence naming none is about the default); only facts of that
  jurisdiction are used, and a statement about a country the file has no facts for is not
  judged (insufficient evidence), never contradicted by another country's rules.
* **"Legal" is not "off-label".** The off-label fact answers a sentence only when it speaks of
  off-label use or prescribing; "legal" alone is checked against the schedule (legal as a
  prescription drug).
* **Label limitations are facts.** A label limitation (``kind = "label_limitation"``) qualifies an
  approval for that use and contradicts an efficacy claim for it (see :func:`label_limits`).
* **Approved vs approved for this use.** An approval covers the use it names and its subtypes
  (:func:`covers_use`), never the broader use: "approved for depression" when the approval is for
  treatment-resistant depression is partly supported, the approved subgroups named
  (:func:`subgroup_approvals`, also read by the efficacy judge for usage statements).
* **Each use read on its own.** A sentence that affirms one use and denies another ("approved as an
  anesthetic and not as a treatment for depression") is judged per use (:func:`use_negated`, the
  claim rules' ``negated_use``), so a correct denial is not read as a false approval claim.
* **Decisions named by their words.** Facts with ``terms`` (an FDA breakthrough designation, the
  WHO Essential Medicines list) answer a sentence that names them: held by the sentence's form of
  the drug → supported unless the year given is earlier; held by another form → partly supported
  when the sentence names no form, contradicted when it names the wrong one.
* **Schedules within their scheme.** A fact's schedule is written as its law names it ("Schedule III",
  "Class B", "Schedule 8"); a sentence's is compared only with facts of the same scheme, numerals
  Roman or Arabic alike (:func:`~ketlit.claims.rules.schedule_key`), so a UK "Schedule 2" is not
  contradicted by the UK's "Class B".
* **Health-technology appraisals.** A sentence naming an HTA body or what it governs ("NICE
  recommends …", "available on the NHS") is checked against that body's decision
  (``kind = "hta_recommendation"``, :func:`_hta`): the page says the body recommends the product
  unless the claim rules' ``not_recommended`` words deny it, and the decision's ``recommended``
  supports or contradicts that. It answers the sentence's form of the drug and a related use;
  a generic name is read as the appraised form when the route allows (as with approvals).
* **Other claims, other places.** Efficacy and safety claims cite the facts of the default
  jurisdiction and of any the sentence names (:func:`in_scope`), so a US page's Spravato claim is
  not answered by every country's approval.
* **Caveats never decide.** Facts cited as a caveat (another form is approved, the compounding
  warning) are listed as context (``direct = False``), after the facts that decide the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from ketlit.claims.context import indications_in
from ketlit.claims.extract import molecules_in
from ketlit.claims.judging import Cited, Verdict, as_tested, cite_fact, finish
from ketlit.claims.model import Claim, RegulatoryAssertion
from ketlit.claims.numbers import find_times
from ketlit.claims.policy import VerdictPolicy, packaged_policy
from ketlit.claims.rules import RegulatoryFact, Rules, schedule_key, schedule_label


@dataclass(slots=True)
class _Parts:
    """What each topic of the sentence found: outcomes, reasons, citations."""

    outcomes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    cited: list[Cited] = field(default_factory=list)
    # What each deciding fact says of the sentence (fact id → "for" / "against"), so that a partly
    # supported sentence shows which facts bear it out and which do not. A fact that bears out one
    # topic and goes against another ("approved for chronic pain and anesthesia": the anaesthetic
    # approval, exhaustive, decides both) takes no side of its own: it is shown on the verdict's.
    stances: dict[str, str] = field(default_factory=dict)
    mixed: set[str] = field(default_factory=set)

    def add(
        self, outcome: str | None, reason: str, facts: Sequence[RegulatoryFact] = (), *, deciding: bool | None = None
    ) -> None:
        """Record a topic's outcome (None: a caveat) and its facts; a caveat's facts are cited as
        context (``direct=False``), after the facts that decide, so the decisive citation is one
        that answers the sentence, never a caveat about another product."""
        if outcome:
            self.outcomes.append(outcome)
        self.reasons.append(reason)
        decides = bool(outcome) if deciding is None else deciding
        self.cited += [cite_fact(f) if decides else replace(cite_fact(f), direct=False) for f in facts]
        if outcome in _SIDE:
            for f in facts:
                self.side(f.id, _SIDE[outcome])

    def side(self, fact_id: str, side: str) -> None:
        """Record the side a fact takes on one topic; two topics taking it both ways make it mixed."""
        if self.stances.setdefault(fact_id, side) != side:
            self.mixed.add(fact_id)

    def sides(self) -> dict[str, str]:
        """The facts that take one side on every topic they decide."""
        return {k: v for k, v in self.stances.items() if k not in self.mixed}


# The side a fact takes when the topic it decides has this outcome (a part that holds: for).
_SIDE: Final = {"supported": "for", "partly_supported": "for", "contradicted": "against"}


def covers_use(fact: RegulatoryFact, indication: str, rules: Rules) -> bool:
    """Whether a decision about ``fact.indication`` is one about ``indication``: the same use or a
    broader one that contains it (an approval for depression covers treatment-resistant
    depression). A narrower use never covers the broader one: an approval for treatment-resistant
    depression is not an approval for depression."""
    return any(i == indication or indication in rules.family(i).direct for i in fact.indication)


def _approved(molecule: str, indication: str, rules: Rules) -> tuple[bool | None, list[RegulatoryFact]]:
    """(approved?, the facts that decide) — None when the regulatory file cannot tell."""
    approvals = [f for f in rules.facts if f.kind == "approval" and f.covers_molecule(molecule)]
    hits = [f for f in approvals if covers_use(f, indication, rules)]
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
            else:
                # Approved for a narrower use (TRD for "depression") blurs the claim the same way.
                out += subgroup_approvals(replace(claim, molecule=(other,), route=()), indication, rules)
    return out


def _by_claim_route(facts: Sequence[RegulatoryFact], claim: Claim) -> list[RegulatoryFact]:
    """The facts whose route the claim's route (if any) is compatible with."""
    return [f for f in facts if not claim.route or not f.route or set(f.route) & set(claim.route)]


def approvals_for_use(claim: Claim, indication: str, rules: Rules) -> list[RegulatoryFact]:
    """Approvals of the claim's molecule, by a compatible route, for exactly this indication family."""
    out: list[RegulatoryFact] = []
    for m in claim.molecule or (rules.molecule_default,):
        approved, facts = _approved(m, indication, rules)
        if approved:
            out += _by_claim_route(facts, claim)
    return out


def label_times(claim: Claim, indication: str, kind: str, rules: Rules) -> list[RegulatoryFact]:
    """The label's own times of ``kind`` ("label_onset") for the claim's molecule, by a compatible
    route, in a use that covers ``indication``: what the regulator says of how soon it acts there."""
    molecules = claim.molecule or (rules.molecule_default,)
    facts = [
        f for f in rules.facts
        if f.kind == kind and any(f.covers_molecule(m) for m in molecules) and covers_use(f, indication, rules)
    ]
    return _by_claim_route(facts, claim)


def subgroup_approvals(claim: Claim, indication: str, rules: Rules) -> list[RegulatoryFact]:
    """Approvals of the claim's molecule (compatible route) only for narrower uses inside
    ``indication`` (its family's direct members), when none covers ``indication`` itself:
    "approved for depression" when the approval is for treatment-resistant depression."""
    if approvals_for_use(claim, indication, rules):
        return []
    narrower = set(rules.family(indication).direct) - {indication}
    molecules = claim.molecule or (rules.molecule_default,)
    facts = [
        f
        for f in rules.facts
        if f.kind == "approval" and set(f.indication) & narrower and any(f.covers_molecule(m) for m in molecules)
    ]
    return _by_claim_route(facts, claim)


def label_limits(claim: Claim, indication: str, rules: Rules) -> list[RegulatoryFact]:
    """Label limitations of the claim's molecule (compatible route) for exactly this indication."""
    molecules = claim.molecule or (rules.molecule_default,)
    facts = [
        f
        for f in rules.facts
        if f.kind == "label_limitation" and indication in f.indication and any(f.covers_molecule(m) for m in molecules)
    ]
    return _by_claim_route(facts, claim)


def jurisdiction_of(claim: Claim, policy: VerdictPolicy) -> tuple[str, bool]:
    """(jurisdiction, whether the sentence names it): the first the extractor read in the sentence
    (:func:`ketlit.claims.assertion.assertion_parts`), else the page's (a page from Sydney that names no
    country in the sentence speaks of Australia's facts), else the verdict rules' default."""
    if claim.jurisdiction:
        return claim.jurisdiction[0], True
    return claim.page_jurisdiction or policy.default_jurisdiction, False


# Scoped rules per (rules object, places): one object per scope, so what is built once per rules
# object (the evidence reader's rule lists) is not rebuilt for every claim.
_SCOPED: dict[tuple[int, tuple[str, ...]], tuple[Rules, Rules]] = {}


def in_scope(claim: Claim, rules: Rules, policy: VerdictPolicy) -> Rules:
    """``rules`` with the facts a claim that is not a regulatory statement may cite: those of the
    default jurisdiction and of any jurisdiction the sentence names (see the module docstring)."""
    page = (claim.page_jurisdiction,) if claim.page_jurisdiction else ()
    places = tuple(sorted({policy.default_jurisdiction, *claim.jurisdiction, *page}))
    key = (id(rules), places)
    held = _SCOPED.get(key)
    if held is not None and held[0] is rules:
        return held[1]
    facts = tuple(f for f in rules.facts if f.jurisdiction in places)
    scoped = rules if len(facts) == len(rules.facts) else replace(rules, facts=facts)
    if len(_SCOPED) > 32:  # a long-lived process that loads many rule sets keeps a few
        _SCOPED.clear()
    _SCOPED[key] = (rules, scoped)
    return scoped


def use_negated(text: str, indication: str, rules: Rules) -> bool:
    """Whether the sentence denies this one use ("approved as an anesthetic and not as a
    treatment for depression"): a ``negated_use`` pattern of the claim rules' ``[regulatory]``
    ends just before a mention of the use, in the same clause."""
    names, negation = rules.indications.get(indication), rules.regulatory.get("negated_use")
    if names is None or negation is None:
        return False
    for m in names.finditer(text):
        before = re.split(r"[;:]", text[max(0, m.start() - 80) : m.start()])[-1]
        if negation.any(before):
            return True
    return False


def _subgroup_only(claim: Claim, m: str, ind: str, rules: Rules, out: _Parts) -> bool:
    """An approval said to be for ``ind`` that the regulator gave only for narrower uses within it
    (treatment-resistant depression for "depression"): partly supported, the subgroups named."""
    narrower = subgroup_approvals(replace(claim, molecule=(m,)), ind, rules)
    if not narrower:
        return False
    uses = sorted({i for f in narrower for i in f.indication})
    products = sorted({f.product for f in narrower})
    out.add(
        "partly_supported",
        f"{m} for {ind}: approved only for {', '.join(uses)} ({'; '.join(products)}), "
        f"not for {ind} as a whole — the page broadens the approved use",
        narrower,
    )
    return True


def _approval_names(text: str, ind: str, rules: Rules) -> bool:
    """Whether an approval word governs a mention of ``ind`` after it ("approved by the FDA as an anesthetic
    and as a treatment for depression"): the sentence then claims that approval, off-label words or not."""
    approval, pats = rules.regulatory.get("approval"), rules.indications.get(ind)
    if approval is None or pats is None:
        return False
    return any(0 <= u.start() - a.end() <= 80 for a in approval.finditer(text) for u in pats.finditer(text))


def _approval_one(claim: Claim, reg: RegulatoryAssertion, m: str, ind: str, rules: Rules, out: _Parts) -> None:
    approved, facts = _approved(m, ind, rules)
    # A sentence that calls a use off-label says it is not approved ("IM ketamine for depression is an
    # off-label use of an FDA-approved anesthetic"): an unapproved use named there is as the page says.
    off_label = "off_label" in reg.topics and approved is False and not _approval_names(claim.text, ind, rules)
    negated = reg.negated or use_negated(claim.text, ind, rules) or off_label
    if not approved and not negated and _subgroup_only(claim, m, ind, rules, out):
        return
    out.cited += [cite_fact(f) for f in facts]
    if approved is None:
        out.add(None, f"the regulatory file has no entry deciding approval of {m} for {ind}")
        return
    ok = approved != negated
    # The facts deciding approval of this form bear the page out exactly when it is right about it;
    # another form's approval, cited below, is the part of a blurred sentence that holds.
    for f in facts:
        out.side(f.id, "for" if ok else "against")
    other = _other_form_approved(claim, m, ind, rules) if not approved else []
    # Only a form given the way the page gives it blurs the claim: on an infusion clinic's page
    # "ketamine is FDA-approved" stays wrong although a nasal spray is.
    same_route = _by_claim_route(other, claim)
    if same_route and not negated:
        products = sorted({f"{f.product} ({', '.join(f.route) or 'any route'})" for f in same_route})
        scopes = sorted({", ".join(f.indication) for f in same_route})
        out.add(
            "partly_supported",
            f"{m} for {ind}: not approved; another form of the drug is: {'; '.join(products)} "
            f"for {'; '.join(scopes)} — the page's generic name blurs the two",
            same_route,
        )
        return
    outcome = "supported" if ok else "contradicted"
    if other:
        out.add(
            None,
            f"caveat: another form of the drug is approved ({'; '.join(sorted({f.product for f in other}))})",
            other,
        )
    scope = "; ".join(sorted({", ".join(f.indication) for f in facts if f.kind == "approval"}))
    out.reasons.append(
        f"{m} for {ind}: "
        + (f"approved ({scope})" if approved else "not approved")
        + (" — as the page says" if negated and ok else "" if ok else " — the page says otherwise")
    )
    if approved:
        products = sorted({f"{f.product} ({', '.join(f.route) or 'any route'})" for f in facts})
        out.reasons.append(f"approved product: {'; '.join(products)}; the approval covers no other form or route")
        limits = label_limits(replace(claim, molecule=(m,)), ind, rules)
        # An approval for one condition in people with another ("depressive symptoms in adults who
        # have suicidal thoughts") claims no effect on the qualifying condition: its limitation is moot.
        denied_by_label = [f for f in limits if f.denies.any(claim.text)]
        if denied_by_label and ok and not negated:
            # The page says the approval is for the very effect the label says is not shown.
            outcome = "contradicted"
            out.add(None, f"label limitation: {denied_by_label[0].statement}", denied_by_label, deciding=True)
        elif denied_by_label and negated:
            # "It has not been shown to prevent suicide and is not approved for that": the page denies the
            # approval for the very effect the label says is not shown, as the label does; the approval for
            # the condition itself (depressive symptoms in people with suicidal thoughts) is another use.
            outcome = "supported"
            out.add(
                None,
                f"label limitation, as the page says: {denied_by_label[0].statement}",
                denied_by_label,
                deciding=True,
            )
        elif limits and ok and not reg.approval_qualified:
            outcome = "partly_supported"
            out.add(None, f"label limitation: {limits[0].statement}", limits, deciding=True)
        # A year of 0 is one the source does not give: no year is checked against it.
        first = min((f.year for f in facts if f.kind == "approval" and f.year), default=None)
        if first is not None and reg.year is not None and reg.year_relation in ("by", "in", "since") \
                and reg.year < first:
            outcome = "contradicted"
            out.reasons.append(f"approval came in {first}, after {reg.year}")
        elif first is not None and reg.year is not None:
            out.reasons.append(f"approved in {first}")
    out.outcomes.append(outcome)


# Populations an approval "in adults" leaves out; an approval naming no age covers every age.
_MINORS = ("children", "adolescents")
_ADULTS = re.compile(r"\badults?\b", re.IGNORECASE)


def _form_or_setting(
    claim: Claim,
    reg: RegulatoryAssertion,
    molecules: Sequence[str],
    approvals: Sequence[RegulatoryFact],
    rules: Rules,
    out: _Parts,
) -> bool:
    """An approval sentence naming no use but a form or a setting ("ketamine lozenges are FDA-approved", "Spravato
    is approved for use at home"): judged on whether an approval covers that route, and on a restriction that rules
    the setting out. Whether it decided. The routes are the sentence's own (:func:`judge_regulatory`)."""
    if not approvals:
        return False
    routed = _by_claim_route(approvals, claim)
    if not routed:
        products = "; ".join(sorted({f"{f.product} ({', '.join(f.route) or 'any route'})" for f in approvals}))
        out.add(
            "supported" if reg.negated else "contradicted",
            f"no approval of {', '.join(molecules)} covers this form ({', '.join(claim.route)}); approved: {products}",
            approvals,
        )
        return True
    ruled = [f for m in molecules for f in rules.facts if f.covers_molecule(m) and set(f.rules_out) & set(claim.scope)]
    if ruled and not reg.negated:
        why = "the approval does not extend to that setting: " + ruled[0].statement
        out.add("contradicted", why, [*routed, *ruled])
        return True
    return False


def _approval(claim: Claim, reg: RegulatoryAssertion, molecules: Sequence[str], rules: Rules, out: _Parts) -> None:
    # Uses the page names elsewhere are never imported into a sentence that names none.
    indications = () if reg.approval_inferred else reg.approval_indications
    if not indications:
        approvals = [f for m in molecules for f in rules.facts if f.kind == "approval" and f.covers_molecule(m)]
        minors = [g for g in _MINORS if g in rules.safety_populations and rules.safety_populations[g].any(claim.text)]
        adult_only = [f for f in approvals if _ADULTS.search(f.statement)]
        if minors and approvals and len(adult_only) == len(approvals):
            # "Spravato is not approved for children": every approval is for adults, so none covers them.
            out.add(
                "supported" if reg.negated else "contradicted",
                f"{', '.join(molecules)} is approved for adults only ("
                + "; ".join(sorted({f.product for f in approvals}))
                + f"): no approval covers {', '.join(minors)}",
                approvals,
            )
            return
        denied = [
            f
            for m in molecules
            for f in rules.facts
            if f.kind == "label_limitation" and f.covers_molecule(m) and f.denies.any(claim.text)
        ]
        if reg.negated and denied:
            # "It has not been shown to prevent suicide, and it is not approved for that use": the use
            # denied is the effect a label limitation says is not shown, not every use of the drug.
            out.add("supported", f"label limitation, as the page says: {denied[0].statement}", denied)
            return
        if _form_or_setting(claim, reg, molecules, approvals, rules, out):
            return
        first = min((f.year for f in approvals if f.year), default=None)
        # "Approved in 2017" / "since 1960" for a drug first approved later is wrong however it is read.
        stated = reg.year if reg.year_relation in ("by", "in", "since") else None
        too_early = first is not None and stated is not None and stated < first
        out.add(
            "contradicted" if too_early or bool(approvals) == reg.negated else "supported",
            f"{', '.join(molecules)} has approvals: " + "; ".join(sorted({f.product for f in approvals}))
            + (f" — first in {first}, after {reg.year}" if too_early else "")
            if approvals
            else f"no approval recorded for {', '.join(molecules)}",
            approvals,
        )
        if reg.approval_inferred:
            out.reasons.append("the sentence names no use, so none was assumed from the rest of the page")
    for m in molecules:
        for ind in indications:
            _approval_one(claim, reg, m, ind, rules, out)


_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


def named_facts(text: str, rules: Rules) -> list[RegulatoryFact]:
    """Facts the sentence names by their own words (``terms`` in regulatory.toml)."""
    return [f for f in rules.facts if f.terms.regexes and f.terms.any(text)]


def _named(claim: Claim, molecules: Sequence[str], facts: Sequence[RegulatoryFact], rules: Rules, out: _Parts) -> None:
    """A decision the sentence names ("a breakthrough therapy", "on the WHO Essential Medicines
    list"): held by the sentence's form of the drug → supported, unless the year the sentence
    gives it is earlier; held only by another form → partly supported when the sentence names no
    form (the generic name or a pronoun blurs the two), contradicted when it names the wrong one."""
    names_form = any(p.any(claim.text) for p in rules.molecules.values())
    for f in facts:
        what = f"{f.agency} {f.kind.replace('_', ' ')} ({f.product}, {f.year})"
        if not any(f.covers_molecule(m) for m in molecules):
            outcome = "contradicted" if names_form else "partly_supported"
            out.add(
                outcome,
                f"the {what} belongs to another form of the drug, not {', '.join(molecules)}"
                + ("" if names_form else " — the page's generic wording blurs the two"),
                [f],
            )
            continue
        term = f.terms.search(claim.text)
        years = [(abs(y.start() - term.start()), int(y.group(1))) for y in _YEAR.finditer(claim.text)] if term else []
        stated = min(years)[1] if years else None
        if stated is not None and stated < f.year:
            out.add("contradicted", f"the {what} came in {f.year}, not {stated}", [f])
        else:
            out.add("supported", f"{what}: {f.statement}", [f])


def _hta_answers(f: RegulatoryFact, claim: Claim, molecules: Sequence[str], uses: Sequence[str],
                 rules: Rules) -> str | None:
    """Why the HTA decision ``f`` does not answer the sentence, or None when it does: it is about the
    sentence's form of the drug (a generic name is read as the appraised form when its route allows,
    and an ``exhaustive`` decision covers every form), and about a use related to one the sentence
    names (a body that declined the licensed use declined the broader one too)."""
    names_form = any(p.any(claim.text) for p in rules.molecules.values())
    held = any(f.covers_molecule(m) for m in molecules)
    blurred = not names_form and bool(_by_claim_route([f], claim))
    if not (held or blurred or f.exhaustive):
        return f"the {f.agency} decision on file is about {f.product}, not {', '.join(molecules)}"
    related = [i for i in uses if covers_use(f, i, rules) or set(rules.family(i).direct) & set(f.indication)]
    if uses and not related:
        return f"the {f.agency} decision on file is about {', '.join(f.indication)}, not {', '.join(uses)}"
    return None


def _hta(claim: Claim, molecules: Sequence[str], facts: Sequence[RegulatoryFact], rules: Rules, out: _Parts) -> None:
    """Sentences naming a health-technology-assessment body's decision (see the module docstring):
    supported when what the page says (recommends, funds, available through the service — unless
    the ``not_recommended`` words deny it) matches the body's ``recommended``, contradicted when not;
    a recommendation claimed for a broader use than the one recommended is partly supported."""
    denial = rules.regulatory.get("not_recommended")
    says = not (denial is not None and denial.any(claim.text))
    uses = [i for i in indications_in(claim.text, rules) if i in rules.indications]
    for f in facts:
        why_not = _hta_answers(f, claim, molecules, uses, rules)
        if why_not is not None:
            out.add(None, why_not, [f])
            continue
        ok = says == f.recommended
        broader = bool(f.recommended and uses and not any(covers_use(f, i, rules) for i in uses))
        read_as = "" if any(f.covers_molecule(m) for m in molecules) else (
            " — the page's generic name read as the appraised form" if not f.exhaustive
            else " — the body recommended no form of the drug for this use")
        decision = "recommended" if f.recommended else "did not recommend"
        out.add(
            ("partly_supported" if broader else "supported") if ok else "contradicted",
            f"{f.agency} {decision} {f.product} for {', '.join(f.indication) or 'its uses'}"
            + (f" ({f.year})" if f.year else "")
            + ("" if ok else f" — the page says it {'does' if says else 'does not'}")
            + (f", not for {', '.join(uses)} as a whole" if ok and broader else "") + read_as,
            [f],
        )


def _schedule(reg: RegulatoryAssertion, molecules: Sequence[str], rules: Rules, jur: str, out: _Parts) -> None:
    facts = [f for f in rules.facts if f.kind == "schedule" and any(f.covers_molecule(m) for m in molecules)]
    if not facts:
        return
    label = schedule_label(facts[0].schedule)
    if reg.schedule:
        scheme = schedule_key(reg.schedule)[0]
        same = [f for f in facts if schedule_key(f.schedule)[0] == scheme]
        if not same:
            # Another scheme of the same law's controls (a UK "Schedule 2" beside its "Class B"):
            # the file records none, so it decides nothing.
            out.add(None, f"{jur}: the file records {label}; it holds no {scheme} to compare the page's "
                          f"{schedule_label(reg.schedule)} with", facts)
            return
        ok = all(schedule_key(f.schedule) == schedule_key(reg.schedule) for f in same) != reg.negated
        out.add(
            "supported" if ok else "contradicted",
            f"{jur}: {schedule_label(same[0].schedule)}"
            + ("" if ok else f" (page says {schedule_label(reg.schedule)})"),
            same,
        )
    else:
        out.add(
            "contradicted" if reg.negated else "supported",
            f"a {label} controlled substance ({jur})",
            facts,
        )


def _legal(
    claim: Claim, reg: RegulatoryAssertion, molecules: Sequence[str], rules: Rules, policy: VerdictPolicy, out: _Parts
) -> None:
    says_off_label = "off_label" in reg.topics or any(p.search(claim.text) for p in policy.off_label_words)
    if says_off_label:
        facts = [f for f in rules.facts if f.kind == "off_label"]
        approved = [f for m in molecules for f in rules.facts if f.kind == "approval" and f.covers_molecule(m)]
        if facts and approved:
            # The sentence's negation may belong to the approval ("not FDA-approved for pain, so its
            # use is off-label"): off-label use is denied only by a negation on the words themselves.
            negation = rules.regulatory.get("negation")
            # So is off-label use called unlawful ("using ketamine off-label for depression is illegal").
            denied = reg.negated and negation is not None and any(
                "label" in m.group(0).lower() or _UNLAWFUL.search(m.group(0)) for m in negation.finditer(claim.text))
            out.add(
                "contradicted" if denied else "supported",
                "off-label prescribing of an approved drug is legal for licensed prescribers",
                facts,
            )
        elif facts:
            out.add(
                None,
                f"no approved product of {', '.join(molecules)} is recorded, so off-label use does not apply",
                facts,
            )
        return
    schedule = [f for f in rules.facts if f.kind == "schedule" and any(f.covers_molecule(m) for m in molecules)]
    if not schedule:
        return
    lawful = (f"a {schedule_label(schedule[0].schedule)} controlled substance (lawful only when prescribed and "
              "dispensed under that schedule)")
    not_legal, no_rx = rules.regulatory.get("not_legal"), rules.regulatory.get("no_prescription")
    denied = reg.negated or (not_legal is not None and not_legal.any(claim.text))
    if no_rx is not None and no_rx.any(claim.text):
        # "No prescription is needed" is wrong of a prescription-only drug; "illegal without a prescription" is right.
        out.add("supported" if denied else "contradicted", f"needs a prescription: {lawful}", schedule)
    elif not denied:
        out.add("supported", f"legal as a prescription drug: {lawful}", schedule)
    elif _RECREATIONAL.search(claim.text):
        # "Recreational ketamine use is not legal": unlawful without a prescription, as the schedule says.
        out.add("supported", f"unlawful outside a prescription: {lawful}", schedule)
    elif _TREATMENT.search(claim.text):
        # "Ketamine therapy for depression is not legally available here": treatment on a prescription is lawful.
        out.add("contradicted", f"legal as a prescribed treatment: {lawful}", schedule)
    else:
        out.add(None, "the file cannot tell which use the page calls illegal", schedule)


# What a sentence calling the drug illegal speaks of: treatment (lawful on prescription) or recreational use.
_TREATMENT: Final = re.compile(r"\b(therapy|therapies|treatments?|infusions?|prescri\w+|clinics?)\b", re.IGNORECASE)
_RECREATIONAL: Final = re.compile(r"\b(recreational(ly)?|street|party|club|illicit|non-?medical)\b", re.IGNORECASE)


def _others(
    reg: RegulatoryAssertion, text: str, molecules: Sequence[str], rules: Rules, out: _Parts, *, compounded: bool
) -> None:
    """Compounding, REMS and combination topics. ``compounded``: the approval spoken of is a compounded product's
    (:func:`_compounded_subject`)."""
    if "compounded" in reg.topics:
        # A page reporting the regulator's warning about compounded products states the fact on file;
        # anything else said about compounding is only given the warning as a caveat.
        warning = rules.regulatory.get("warning")
        warned = warning is not None and warning.any(text) and not reg.negated and "approval" not in reg.topics
        for f in rules.facts:
            if f.kind == "compounding":
                if compounded:
                    # A compounded product is never an approved one (regulatory.toml, kind compounding).
                    outcome = "supported" if reg.negated else "contradicted"
                    out.add(outcome, f"compounded products are not approved ({f.id}): {f.statement}", [f])
                elif warned:
                    out.add("supported", f"the regulator's warning is on file ({f.id}): {f.statement}", [f])
                else:
                    out.add(None, f"caveat ({f.id}): {f.statement}", [f])
    if "rems" in reg.topics:
        facts = [f for m in molecules for f in rules.facts if f.kind == "rems" and f.covers_molecule(m)]
        if facts:
            timed = _observation_time(text, facts[0])
            if timed is not None and not reg.negated:
                out.add(timed[0], timed[1] + facts[0].statement, facts)
            else:
                out.add("contradicted" if reg.negated else "supported", "a REMS applies: " + facts[0].statement, facts)
    if "combination" in reg.topics and "approval" not in reg.topics:
        _combination(text, molecules, rules, out)


_AT_LEAST: Final = re.compile(r"\bat least\s+$", re.IGNORECASE)
_HALF: Final = re.compile(r"\bhalf\s+$", re.IGNORECASE)


def _times(text: str) -> list[tuple[float, bool]]:
    """(hours, said as a minimum) of each time in ``text``, read by the claims' time reader (``find_times``);
    "half an hour" is half of the hour it reads."""
    out = []
    for t in find_times(text):
        before = text[max(0, t.start - 12) : t.start]
        out.append((t.hours / 2 if _HALF.search(before) else t.hours, _AT_LEAST.search(before) is not None))
    return out


def _observation_time(text: str, fact: RegulatoryFact) -> tuple[str, str] | None:
    """(verdict, why) where the sentence states how long patients are watched and the REMS fact states its minimum
    ("monitored for at least 2 hours"): "the FDA requires just one hour" is wrong however the REMS is named."""
    said = next((h for h, _ in _times(text)), None)
    floor = next((h for h, minimum in _times(fact.statement) if minimum), None)
    if said is None or floor is None:
        return None
    if said < floor:
        return "contradicted", f"the page states {said:g} h of observation; the REMS requires at least {floor:g} h: "
    if said > floor:
        return "partly_supported", f"the page states {said:g} h; the REMS's minimum is {floor:g} h: "
    return "supported", f"the page states the REMS's {floor:g} h: "


_UNLAWFUL: Final = re.compile(
    r"\b(?:illegal|unlawful|against the law|not legal|isn.t legal|prohibited|banned|forbidden"
    r"|not (?:allowed|permitted))\b",
    re.IGNORECASE,
)
_DENIED_BEFORE: Final = re.compile(r"\b(?:not|never|isn.t|aren.t|rather than|instead of)\s+(?:\w+\s+)?$", re.IGNORECASE)


def _compounded_subject(text: str, reg: RegulatoryAssertion, rules: Rules) -> bool:
    """Whether the approval a sentence speaks of is a compounded product's: compounding named before the approval
    words, and not denied ("Compounded ketamine products are not FDA-approved"; not "we use FDA-approved ketamine,
    never compounded products", whose approval is the drug's own)."""
    comp, approval = rules.regulatory.get("compounded"), rules.regulatory.get("approval")
    if "compounded" not in reg.topics or "approval" not in reg.topics or comp is None or approval is None:
        return False
    first, cue = comp.search(text), approval.search(text)
    return (
        first is not None and cue is not None and first.start() < cue.start()
        and not _DENIED_BEFORE.search(text[max(0, first.start() - 30) : first.start()])
    )


def _combination(text: str, molecules: Sequence[str], rules: Rules, out: _Parts) -> None:
    """A product said to be taken with another medicine ("always taken together with an oral antidepressant"),
    or alone ("can be used on its own"), judged on the approvals that say which (regulatory.toml ``alone``).
    An approval sentence that names the combination ("approved … used together with an oral antidepressant")
    is judged as an approval: it reports how that approval was given, not that every use needs it."""
    approvals = [f for m in molecules for f in rules.facts if f.kind == "approval" and f.covers_molecule(m)]
    known = [f for f in approvals if f.alone is not None]
    if not known:
        return
    solo = [f for f in known if f.alone]
    paired = [f for f in known if not f.alone]
    alone = rules.regulatory.get("alone")
    if alone is not None and alone.any(text):
        if solo:
            out.add("supported", "approved for use on its own: " + "; ".join(f.statement for f in solo), solo)
        else:
            out.add("contradicted", "every approval on file is for use with another medicine", paired)
        return
    if paired:
        out.add("supported", "approved with another medicine: " + "; ".join(f.statement for f in paired), paired)
    if solo:
        # Where one use is approved alone, "always with" holds for the others only: partly supported.
        out.add("contradicted", "but not always: " + "; ".join(f.statement for f in solo), solo)


_CLASS_OF: Final = re.compile(
    r"\b(?:forms?|versions?|types?|kinds?|formulations?|variants?|products?|preparations?) of\s+[\w-]+", re.IGNORECASE
)


def judge_regulatory(claim: Claim, rules: Rules, policy: VerdictPolicy | None = None) -> Verdict:
    """The verdict on a regulatory sentence (see the module docstring)."""
    policy = policy or packaged_policy()
    jur, named = jurisdiction_of(claim, policy)
    tested = as_tested(replace(claim, jurisdiction=(jur,)), rules)
    reg = claim.regulatory
    if reg is None:
        return finish("insufficient_evidence", None, ["no regulatory assertion was read"], [], rules, tested)
    local = replace(rules, facts=tuple(f for f in rules.facts if f.jurisdiction == jur))
    if not local.facts:
        reasons = [
            f"the sentence is about {jur}; the regulatory file holds no {jur} facts, and another country's "
            "rules do not decide it"
        ]
        return finish("insufficient_evidence", None, reasons, [], rules, tested)
    # The sentence alone decides the reading, so the same sentence gets the same verdict on any page;
    # a sentence that does not name the drug at all ("the FDA also approved it for …") is about the
    # drug the page speaks of, as the extractor resolved it (not the default form, which would
    # judge a Spravato page's "it" by racemic ketamine's facts).
    # "The only form of ketamine the FDA has approved" names the drug as a class, not the racemic product.
    drug_text = _CLASS_OF.sub(" ", claim.clause or claim.text)
    molecules = molecules_in(drug_text, rules)
    if not molecules and claim.molecule and not rules.molecule_generic.any(drug_text):
        molecules = list(claim.molecule)
    molecules = molecules or [rules.molecule_default]
    routes = tuple(r for r, p in rules.routes.items() if p.any(claim.text))
    sentence = replace(claim, molecule=tuple(molecules), route=routes)
    out = _Parts()
    if named:
        out.reasons.append(f"jurisdiction: {jur}")
    elif claim.page_jurisdiction:
        out.reasons.append(f"jurisdiction: {jur} (the sentence names none; the page speaks from {jur})")
    decisions = named_facts(claim.text, local)
    appraisals = [f for f in decisions if f.kind == "hta_recommendation"]
    if appraisals:
        _hta(sentence, molecules, appraisals, rules, out)
    if len(appraisals) < len(decisions):
        _named(sentence, molecules, [f for f in decisions if f.kind != "hta_recommendation"], rules, out)
    # A sentence naming a decision and no approval words ("listed on the Essential Medicines
    # list") is not also read as an approval claim.
    approval_words = rules.regulatory.get("approval")
    only_named = bool(decisions) and approval_words is not None and not approval_words.any(claim.text)
    # "Compounded ketamine products are not FDA-approved": the approval asked about is the compounded product's,
    # which the regulator's statement on compounding answers (_others), not the approvals of the drug itself.
    compounded = _compounded_subject(claim.text, reg, rules)
    on_file = any(f.kind == "compounding" for f in local.facts)
    if "approval" in reg.topics and not only_named and not (compounded and on_file):
        _approval(sentence, reg, molecules, local, out)
    if "schedule" in reg.topics or "controlled" in reg.topics:
        _schedule(reg, molecules, local, jur, out)
    if "off_label" in reg.topics or ("legal" in reg.topics and "approval" not in reg.topics):
        _legal(sentence, reg, molecules, local, policy, out)
    _others(reg, claim.text, molecules, local, out, compounded=compounded)
    if not out.outcomes:
        return finish(
            "insufficient_evidence",
            None,
            [*out.reasons, "the regulatory file has no entry for this assertion"],
            out.cited,
            rules,
            tested,
        )
    if all(o == "supported" for o in out.outcomes):
        verdict = "supported"
    elif all(o == "contradicted" for o in out.outcomes):
        verdict = "contradicted"
    else:
        verdict = "partly_supported"
    if any(not s.verified for f in local.facts for s in f.sources if f.id in {c.id for c in out.cited}):
        out.reasons.append(
            "regulatory sources are cited as compiled in regulatory.toml; re-check the URLs before publishing"
        )
    return finish(verdict, "high", out.reasons, out.cited, rules, tested, stances=out.sides())
