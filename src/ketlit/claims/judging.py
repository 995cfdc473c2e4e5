"""Shared pieces of the verdict engine: the verdict and citation records, how a candidate record
is assessed against a claim (counted or set aside, and why; direct or indirect), and the one
place a verdict is finished (citations sorted, no verdict without a citation).

Split from :mod:`ketlit.claims.verdict` so the per-kind judges (efficacy synthesis, regulatory,
safety, onset/duration, rates, dosing) can each live in a module a reader can hold in mind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ketlit.claims.evidence import EvidenceRecord, design_of, design_rank, is_preclinical, sort_key
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.numbers import (
    Findings,
    RateFinding,
    abstract_findings,
    ctgov_rates,
    format_dose,
    format_hours,
)
from ketlit.claims.rules import RegulatoryFact, Rules, record_mentions
from ketlit.claims.stats import Pooled

CERTAINTY = ("very_low", "low", "moderate", "high")
VERDICTS = ("supported", "partly_supported", "insufficient_evidence", "contradicted", "not_checkable")
HIGH_DESIGNS = ("meta_analysis", "systematic_review")

RECONCILE_RULE = (
    "one verdict per sentence: all parts alike → that verdict; a part whose number lies outside the "
    "evidence is contradicted and so is the sentence; otherwise some parts hold (supported or partly "
    "supported) and others do not → partly supported (only some parts hold); no part holds and one is "
    "contradicted → contradicted; else insufficient evidence"
)


def reconcile(verdicts: Sequence[str], wrong_number: bool = False) -> str:
    """One verdict for a sentence (or a claim naming several conditions) from its parts' verdicts,
    by :data:`RECONCILE_RULE` — the one rule for every compound, whether its parts are conditions of
    one claim or kinds of claim in one sentence. A part that holds beside a contradicted one makes
    the sentence partly supported (the legend's "only some parts hold"), except that a contradicted
    number (``wrong_number``: "over 90% respond within a day" when the pool is 40%) is what the
    sentence asserts, so the sentence is contradicted whatever its other parts say."""
    tested = [v for v in verdicts if v in VERDICTS and v != "not_checkable"]
    if not tested:
        return "not_checkable"
    if len(set(tested)) == 1:
        return tested[0]
    if wrong_number and "contradicted" in tested:
        return "contradicted"
    if any(v in ("supported", "partly_supported") for v in tested):
        return "partly_supported"
    if "contradicted" in tested:
        return "contradicted"
    return "insufficient_evidence"


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
class Decisive:
    """One record that decided a verdict: the regulator fact applied, the review or reference
    standard whose estimate was used, or a trial whose vote made it — never a record merely listed."""

    source: str  # "pubmed" | "ctgov" | "regulatory"
    id: str
    role: str  # "regulator" | "reference" | "review" | "trial" | "study"
    stance: str  # "for" (the record bears the claim out) | "against"
    number: str  # the key number (effect, rate, time, n), "" when the record states none
    sentence: str  # the sentence carrying it
    part: str = ""  # the claim part (condition) it decided, when the claim has several
    design: str = ""
    url: str | None = None

    def line(self) -> str:
        """One line for a report: id, role, for/against, number."""
        number = f", {self.number}" if self.number else ""
        part = f" [{self.part}]" if self.part else ""
        return f"{self.source}:{self.id} ({self.role}, {self.stance}{number}){part}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one claim."""

    verdict: str
    certainty: str | None
    reasons: tuple[str, ...]
    evidence: tuple[Cited, ...] = ()
    pooled: Pooled | None = None
    as_tested: str = ""
    # The 1–5 records that decided the verdict, and where its certainty comes from: "regulatory:<fact
    # id>", "review pubmed:<PMID> states <level>" (or "reference standard …"), "GRADE from …: <downgrades>".
    decisive: tuple[Decisive, ...] = ()
    certainty_source: str | None = None


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
    f = abstract_findings(record.title, record.abstract, rules, summary=design in HIGH_DESIGNS)
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
    if record.retracted:
        a.exclusion = "retracted (never counts)"
        return a
    if is_preclinical(record, rules):
        a.exclusion = "animal or in-vitro study (never counts for clinical claims)"
        return a
    if design in rules.not_evidence or a.rank == 0:
        a.exclusion = (
            "design not identified" if design == "other" else f"{design.replace('_', ' ')} (not evidence of effect)"
        )
        return a
    rec_ind = effective_indications(record, rules)
    if claim.kind != "safety" and claim.indication:
        direct = any(rec_ind & set(rules.family(c).direct) for c in claim.indication)
        related = any(rec_ind & set(rules.family(c).indirect) for c in claim.indication)
        if not rec_ind:
            # Untagged records count only if their text names the claimed condition.
            text = f"{record.title} {record.abstract}"
            named = [c for c in claim.indication if c in rules.indications
                     and record_mentions(rules.indications[c], text)]
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
        if record_mentions(rules.arms["active_placebo"], text):
            a.unblinded = False
        elif record_mentions(rules.arms["inert_placebo"], text):
            a.unblinded = True
    return a


def effective_indications(record: EvidenceRecord, rules: Rules) -> set[str]:
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


def assess_all(
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


def exclusion_reason(assessed: Sequence[Assessed]) -> list[str]:
    counts = Counter(a.exclusion for a in assessed if a.exclusion)
    if not counts:
        return []
    parts = [f"{n} × {why}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))]
    return [f"not counted: {'; '.join(parts)}"]


# ------------------------------------------------------------------ citing


def short(text: str, limit: int = 220) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cite(a: Assessed, finding: str) -> Cited:
    r = a.record
    return Cited(
        source=r.source,
        id=r.id,
        design=a.design,
        finding=short(finding),
        url=r.url,
        year=r.year,
        direct=a.direct,
        title=short(r.title, 160),
    )


def cite_fact(fact: RegulatoryFact) -> Cited:
    src = fact.sources[0]
    return Cited(
        source="regulatory",
        id=fact.id,
        design="regulatory",
        finding=short(fact.statement, 400),
        url=src.url,
        year=fact.year or None,
        title=short(f"{src.publisher}: {src.title}", 200),
    )


def rate_text(r: RateFinding) -> str:
    n = (
        f" ({r.events}/{r.n}{', n inferred' if r.n_inferred else ''})"
        if r.n is not None and r.events is not None
        else ""
    )
    when = f" at {format_hours(r.timepoint_hours)}" if r.timepoint_hours is not None else ""
    where = "posted results: " if r.origin == "ctgov" else ""
    return f"{where}{r.construct} {r.pct:.1f}%{n}{when}" + ("" if r.arm == "active" else f" [{r.arm} arm]")


MAX_DECISIVE = 5


def decisive_of(a: Assessed, stance: str, number: str, sentence: str, role: str = "", part: str = "") -> Decisive:
    """A decisive entry for an assessed record."""
    r = a.record
    if not role:
        role = "review" if a.design in HIGH_DESIGNS else "trial" if a.design == "rct" else "study"
    return Decisive(r.source, r.id, role, stance, number, short(sentence, 300), part, a.design, r.url)


def decisive_fact(fact: RegulatoryFact, stance: str, part: str = "") -> Decisive:
    """A decisive entry for a regulator's fact."""
    return Decisive(
        "regulatory",
        fact.id,
        "regulator",
        stance,
        "",
        short(fact.statement, 300),
        part,
        "regulatory",
        fact.sources[0].url,
    )


def _default_decisive(
    verdict: str, cited: Sequence[Cited], stances: Mapping[str, str] | None = None
) -> tuple[Decisive, ...]:
    """For judges that name no decisive records (regulatory, safety): the regulator facts they
    applied, else their first cited records; none for a verdict of insufficient evidence.

    ``stances`` (record id → "for" / "against") is what the judge found each record says of the
    sentence; a record it does not name takes the verdict's side. A partly supported "ketamine is
    FDA-approved for depression" cites the FDA's "not approved for any psychiatric disorder" against
    it and Spravato's approval for it: shown as one side, the denial would read as support."""
    if verdict in ("insufficient_evidence", "not_checkable"):
        return ()
    stance = "against" if verdict == "contradicted" else "for"
    regulators = [c for c in cited if c.source == "regulatory"]
    chosen = regulators or [c for c in cited if c.direct] or list(cited)
    role = "regulator" if regulators else "study"
    side = stances or {}
    return tuple(
        Decisive(c.source, c.id, role, side.get(c.id, stance), "", c.finding, "", c.design, c.url) for c in chosen[:3]
    )


def _default_certainty_source(certainty: str | None, decisive: Sequence[Decisive]) -> str | None:
    if certainty is None:
        return None
    regulators = [d for d in decisive if d.role == "regulator"]
    if regulators:
        return f"regulatory:{regulators[0].id}"
    return "GRADE from studies by design (see reasons)"


def finish(
    verdict: str,
    certainty: str | None,
    reasons: list[str],
    cited: list[Cited],
    rules: Rules,
    as_tested: str,
    pooled: Pooled | None = None,
    *,
    decisive: Sequence[Decisive] | None = None,
    certainty_source: str | None = None,
    stances: Mapping[str, str] | None = None,
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
        verdict, certainty, decisive = "insufficient_evidence", "very_low", ()
    if verdict == "insufficient_evidence" and certainty not in (None, "very_low"):
        # Evidence too thin to judge the claim is very low certainty about it, whatever grade the
        # few studies read would start from ("Insufficient · Moderate" read as a contradiction).
        certainty = "very_low"
    chosen = _default_decisive(verdict, cited, stances) if decisive is None else tuple(decisive)
    unique: dict[tuple[str, str], Decisive] = {}
    for d in chosen:
        unique.setdefault((d.source, d.id), d)  # a record deciding two parts is named once
    chosen = tuple(unique.values())[:MAX_DECISIVE]
    source = certainty_source or _default_certainty_source(certainty, chosen)
    if verdict == "insufficient_evidence" and certainty is None:
        certainty = "very_low"
        source = source or "none: no body of evidence could be graded for this claim"
    return Verdict(
        verdict=verdict,
        certainty=certainty,
        reasons=tuple(dict.fromkeys(reasons)),
        evidence=tuple(cited[: rules.max_cited]),
        pooled=pooled,
        as_tested=as_tested,
        decisive=chosen,
        certainty_source=source,
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
        t = time_threshold_text(claim.threshold) if claim.threshold else "any duration"
        parts.append(f"duration of benefit of {mol}{route} for {ind}: {t}")
    elif claim.kind == "safety":
        parts.append(f"{claim.safety_stance or 'assertion'} about {', '.join(claim.safety_topics)} with {mol}{route}")
    elif claim.kind == "regulatory" and claim.regulatory:
        reg = claim.regulatory
        what = ", ".join(reg.topics)
        extra = f" for {', '.join(reg.approval_indications)}" if reg.approval_indications else ""
        neg = " (negated)" if reg.negated else ""
        # The regulatory judge passes the jurisdiction it judged by (the sentence's, else the default).
        where = f"{claim.jurisdiction[0]} " if claim.jurisdiction else ""
        parts.append(f"{where}regulatory status of {mol}: {what}{extra}{neg}")
    elif claim.kind == "dosing" and claim.dose:
        parts.append(
            f"dose {format_dose(claim.dose.low, claim.dose.high, claim.dose.unit)} of {mol}{route} as used in studies"
        )
    else:
        parts.append("not tested")
    notes = "; ".join(claim.notes)
    return parts[0] + (f" — {notes}" if notes else "")


def time_threshold_text(t: Threshold) -> str:
    hours = t.value * (24.0 if t.unit == "days" else 1.0)
    return f"{t.op} {format_hours(hours)}"


def threshold_hours(t: Threshold) -> float:
    return t.value * (24.0 if t.unit == "days" else 1.0)
