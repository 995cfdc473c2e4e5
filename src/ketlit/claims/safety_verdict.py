"""Safety verdicts: what the evidence and the regulators say about a risk the page names.

Moved unchanged from :mod:`ketlit.claims.verdict` when the engine was split; see its docstring
for the rules (denial, minimising, transience, acknowledgement). Certainty comes from
:func:`ketlit.claims.grade.grade_studies`, so a design tag alone never gives "high".
"""

from __future__ import annotations

from collections.abc import Sequence

from ketlit.claims.grade import grade_studies
from ketlit.claims.judging import Assessed, Cited, Verdict, as_tested, cite, cite_fact, exclusion_reason, finish
from ketlit.claims.model import Claim
from ketlit.claims.numbers import AdverseFinding
from ketlit.claims.rules import RegulatoryFact, Rules


def _facts_for(claim: Claim, rules: Rules) -> list[RegulatoryFact]:
    molecules = claim.molecule or (rules.molecule_default,)
    return [f for f in rules.facts if any(f.covers_molecule(m) for m in molecules)]


def judge_safety(claim: Claim, assessed: list[Assessed], rules: Rules) -> Verdict:
    tested = as_tested(claim, rules)
    topics = set(claim.safety_topics)
    stance = claim.safety_stance or "assertion"
    generic = bool(topics & {"side_effects", "general_safety"})
    specific = topics - {"side_effects", "general_safety"}
    reasons = exclusion_reason(assessed)
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
            return finish("insufficient_evidence", None, reasons, [], rules, tested)
        reasons.append(f"only evidence that names {', '.join(groups)} was weighed")

    def relevant(f: AdverseFinding) -> bool:
        return f.category in specific or (generic and not specific)

    reports = [(a, f) for a in counted for f in a.findings.adverse if relevant(f)]
    present = [(a, f) for a, f in reports if not f.absent]
    absent = [(a, f) for a, f in reports if f.absent]
    transient = [(a, f) for a, f in present if f.transient]
    persistent = [(a, f) for a, f in present if f.persistent and not f.transient]
    cited: list[Cited] = [cite_fact(f) for f in facts]

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
        cited += [cite(a, ae_text(f)) for a, f in present + absent]
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
        cited += [cite(a, ae_text(f)) for a, f in transient + persistent]
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
        cited += [cite(a, ae_text(f)) for a, f in present]
        used = list({id(a): a for a, _ in present}.values())
    if facts:
        certainty = "moderate" if verdict != "insufficient_evidence" else None
        reasons.append(f"regulatory sources: {', '.join(f.id for f in facts)}")
    elif used:
        certainty, greasons = grade_studies(
            used, rules, imprecision=None if len(used) >= 3 else f"{len(used)} report(s)"
        )
        reasons.extend(greasons)
    else:
        certainty = None
    return finish(verdict, certainty, reasons, cited, rules, tested)


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
