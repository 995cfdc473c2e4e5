"""Check a page: extract claims, gather evidence, judge, and keep the audit trail.

Design decisions:

* **Pure.** :func:`check_page` takes clean text, an :class:`~ketlit.claims.evidence.EvidenceIndex`
  and the rules, and returns a :class:`CheckReport`; reading files, opening the cache and writing
  output belong to the CLI. The report carries, for every claim, what became of every candidate
  record (:class:`Candidate`: decisive, cited, read without a usable result, or set aside and why),
  so the JSON is a full audit trail. Rendering is elsewhere: :mod:`ketlit.claims.view` builds the
  one view an editor reads, rendered to Markdown (:mod:`~ketlit.claims.render_md`), HTML
  (:mod:`~ketlit.claims.render_html`) and JSON (:mod:`~ketlit.claims.render_json`, which adds the
  view to :func:`report_to_json`).
* **Deterministic.** Claims keep page order; evidence is sorted by design, directness, year and
  id; numbers are rounded in one place; no clock is read. Equal input gives byte-equal output,
  so report diffs mean something.
* JSON carries text verbatim: it is data, and a consumer displaying it must escape it for its own
  medium.

JSON shape (``schema`` = ``ketlit.check/2``; :mod:`ketlit.claims.render_json` adds the view, and
``data/check.schema.json`` documents the whole)::

    {"schema", "source", "summary": {verdict: count}, "legend": [the verdict rules, verbatim],
     "claims": [{"id", "text", "kind", "indication": [], "route": [], "molecule": [],
                 "threshold": {"op", "value", "unit"} | null, "verdict", "certainty" (null when
                 not_checkable), "reasons": [], "evidence": [{"source", "id", "design", "finding",
                 "url", "year", "direct", "title"}], "decisive": [{"source", "id", "role"
                 (regulator | reference | review | trial | study), "stance" (for | against), "number",
                 "sentence", "part", "design", "url"}] (the 1–5 records that decided the verdict),
                 "certainty_source" ("regulatory:<fact id>" | "review pubmed:<PMID> states <level>" |
                 "reference standard <id> …" | "GRADE from …: <downgrades>" | …),
                 "pooled": {"k", "n", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2",
                 "unit": "%", "method"} | null,
                 "location": {"paragraph", "sentence", "start", "end"}, "as_tested", "outcome",
                 "outcome_defined", "timepoint", "hedged", "implied", "anecdote", "heading",
                 "notes": [], "safety": {"topics", "stance"} | null, "regulatory": {...} | null,
                 "dose": {"low", "high", "unit"} | null,
                 "sentence": {"start", "end", "paragraph"}, "checkable", "checkability",
                 "part_verdict" (the part's own verdict when the sentence's differs, else null),
                 "strength": {"level", "cues"}, "parts": {"drug", "product", "route", "condition",
                 "scope", "comparator", "outcome", "timepoint", "magnitude", "jurisdiction"},
                 "candidates": {"total", "decisive", "cited", "read": [{"record", "indirect"}],
                                "set_aside": [{"reason", "records"}]}}],
     "records": {"<source>:<id>": {"design", "year", "n"}},
     "sentences": [{"index", "text", "start", "end", "checkable", "reason", "strength",
                    "claims": [ids], "verdict"}], "reconcile_rule"}

Every sentence of the page is in ``sentences`` with its checkability decision (``reason`` is
"claim" or why not: heading, booking, procedure, mechanism, anecdote, recommendation, question,
puffery, out_of_scope, research_status, truncated, site, no_claim_wording, too_long). A sentence
read as several parts gets one reconciled verdict (:func:`ketlit.claims.judging.reconcile`, the rule a claim
naming several conditions follows too):
every part carries it as ``verdict`` and keeps its own as ``part_verdict``.

Percentages in ``pooled`` are on the 0–100 scale, rounded to one decimal.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Final

from ketlit.claims.assertion import SentenceReading, asserted_strength, unclaimed_reason
from ketlit.claims.evidence import EvidenceIndex, EvidenceRecord
from ketlit.claims.extract import extract_claims
from ketlit.claims.judging import MAX_DECISIVE, RECONCILE_RULE, Decisive, assess_all, reconcile
from ketlit.claims.model import Claim
from ketlit.claims.numbers import Findings, format_hours
from ketlit.claims.policy import VerdictPolicy, packaged_policy
from ketlit.claims.rules import Rules
from ketlit.claims.text import Location, Sentence, split_sentences
from ketlit.claims.verdict import VERDICTS, AssessMemo, Cited, Verdict, judge
from ketlit.errors import InputError
from ketlit.markdown import md_text

SCHEMA: Final = "ketlit.check/2"
_CERTAINTY_RANK: Final = {"very_low": 0, "low": 1, "moderate": 2, "high": 3}
_NOWHERE: Final = Location(paragraph=0, sentence=0, start=0, end=0)
# Checking costs a few milliseconds per sentence (more per distinct claim); 10,000 sentences is about
# 1 MB of clinic-page prose and 30 times the longest recorded page.
MAX_SENTENCES: Final = 10_000


# How a candidate record was used for a claim: it decided the verdict, was cited with it, was read
# (counted) but gave nothing the verdict used, or was set aside before reading (with the reason).
USES: Final = ("decisive", "cited", "read", "set_aside")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record the index offered for a claim, and what became of it (the JSON audit trail)."""

    source: str
    id: str
    design: str
    year: int | None
    n: int | None  # participants, from the study profile or the registry's enrolment
    use: str  # one of USES
    reason: str  # why set aside, or how indirect ("" when direct and used)


@dataclass(frozen=True, slots=True)
class CheckedClaim:
    """A claim with its verdict."""

    claim: Claim
    verdict: Verdict
    # The claim's own verdict when the sentence's reconciled verdict (``verdict``) differs.
    part_verdict: str | None = None
    # Every candidate record and what became of it (empty for regulatory and not-checkable claims).
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything found on one page."""

    source: str
    claims: tuple[CheckedClaim, ...]
    sentences: tuple[SentenceReading, ...] = ()
    # The verdict rules as printed in the legend (verbatim from verdict_rules.toml).
    legend: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        """Count of claims per verdict, in a fixed order."""
        counts = Counter(c.verdict.verdict for c in self.claims)
        return {v: counts.get(v, 0) for v in VERDICTS}


def check_page(
    text: str,
    source: str,
    index: EvidenceIndex,
    rules: Rules,
    cache: dict[str, Findings] | None = None,
    policy: VerdictPolicy | None = None,
) -> CheckReport:
    """Extract the claims on a page and judge each against the index and the regulatory facts.

    ``cache`` maps ``source:id`` to findings already extracted (e.g. stored at tagging time)."""
    cache = {} if cache is None else cache
    policy = policy or packaged_policy()
    sentences = split_sentences(text)
    if len(sentences) > MAX_SENTENCES:
        # Refused in the time it takes to split the page, rather than minutes of judging a document
        # that is no clinic page (the longest recorded one has a few hundred sentences).
        raise InputError(
            f"{source}: {len(sentences):,} sentences, more than the {MAX_SENTENCES:,} one check reads "
            "(about 1 MB of text); check the page in parts"
        )
    checked: list[CheckedClaim] = []
    # A long page repeats itself (the same FAQ under every heading, one claim per paragraph): a
    # claim read the same way gets the same verdict, so each distinct reading is judged once.
    # Candidates depend only on kind, indication and safety topics; verdicts on everything but
    # the claim's id and location.
    candidates: dict[tuple[object, ...], list[EvidenceRecord]] = {}
    verdicts: dict[Claim, Verdict] = {}
    audits: dict[Claim, tuple[Candidate, ...]] = {}
    assessments: AssessMemo = {}
    for claim in extract_claims(text, rules, sentences):
        key = replace(claim, id="", location=_NOWHERE)
        verdict = verdicts.get(key)
        if verdict is None:
            records: list[EvidenceRecord] = []
            if claim.checkable and claim.kind != "regulatory":
                axes = (claim.kind, claim.indication, claim.safety_topics)
                if axes not in candidates:
                    candidates[axes] = index.candidates(claim)
                records = candidates[axes]
            verdict = verdicts[key] = judge(claim, records, rules, cache, assessments, policy)
            audits[key] = _audit(claim, verdict, records, rules, cache, assessments)
        checked.append(CheckedClaim(claim, verdict, candidates=audits[key]))
    reconciled = _reconcile(checked)
    return CheckReport(
        source=source,
        claims=reconciled,
        sentences=_readings(sentences, reconciled, rules),
        legend=tuple(policy.legend_lines()),
    )


def _participants(record: EvidenceRecord) -> int | None:
    n = (record.profile or {}).get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else record.enrollment


def _audit(
    claim: Claim,
    verdict: Verdict,
    records: list[EvidenceRecord],
    rules: Rules,
    cache: dict[str, Findings],
    memo: AssessMemo,
) -> tuple[Candidate, ...]:
    """What became of every candidate record: the same assessment the judges made (shared through
    ``memo``, so this costs a lookup for most claims), matched with the verdict's decisive and cited
    records."""
    if not records:
        return ()
    decisive = {(d.source, d.id) for d in verdict.decisive}
    cited = {(c.source, c.id) for c in verdict.evidence}
    out: list[Candidate] = []
    for a in assess_all(claim, records, rules, cache, memo):
        r = a.record
        ref = (r.source, r.id)
        use = "decisive" if ref in decisive else "cited" if ref in cited else "read" if a.counted else "set_aside"
        reason = a.exclusion or "; ".join(a.indirect)
        out.append(Candidate(r.source, r.id, a.design, r.year, _participants(r), use, reason))
    return tuple(out)


def _reconcile(checked: list[CheckedClaim]) -> tuple[CheckedClaim, ...]:
    """One verdict per sentence: parts whose verdicts differ all carry the reconciled verdict,
    each keeping its own as ``part_verdict`` (never two unreconciled verdicts for one sentence)."""
    by_sentence: dict[int, list[CheckedClaim]] = {}
    for cc in checked:
        if cc.claim.checkable:
            by_sentence.setdefault(cc.claim.location.start, []).append(cc)
    out: list[CheckedClaim] = []
    for cc in checked:
        parts = by_sentence.get(cc.claim.location.start, []) if cc.claim.checkable else []
        verdicts = [p.verdict.verdict for p in parts]
        if len(set(verdicts)) <= 1:
            out.append(cc)
            continue
        # A rate part carries the sentence's number: contradicted, it contradicts the sentence.
        wrong_number = any(p.claim.kind == "efficacy_rate" and p.verdict.verdict == "contradicted" for p in parts)
        sentence_verdict = reconcile(verdicts, wrong_number)
        levels = [p.verdict.certainty for p in parts if p.verdict.certainty]
        certainty = min(levels, key=lambda c: _CERTAINTY_RANK.get(c, 0)) if levels else None
        shown = "; ".join(f"{p.claim.kind}: {p.verdict.verdict}" for p in parts)
        why = f"sentence verdict reconciled from its parts ({shown}) — {RECONCILE_RULE}"
        decisive, source = _sentence_decisive(parts, certainty)
        verdict = replace(
            cc.verdict,
            verdict=sentence_verdict,
            certainty=certainty,
            reasons=(*cc.verdict.reasons, why),
            decisive=decisive,
            certainty_source=source,
        )
        out.append(CheckedClaim(cc.claim, verdict, part_verdict=cc.verdict.verdict, candidates=cc.candidates))
    return tuple(out)


def _sentence_decisive(parts: list[CheckedClaim], certainty: str | None) -> tuple[tuple[Decisive, ...], str | None]:
    """The records that decided a reconciled sentence: each part's decisive records, parts that reached
    a verdict first, round-robin so every part is named; the certainty source of the part whose
    certainty the sentence carries (the lowest)."""
    ordered = sorted(parts, key=lambda p: p.verdict.verdict == "insufficient_evidence")
    per_part = [p.verdict.decisive for p in ordered if p.verdict.decisive]
    merged: dict[tuple[str, str], Decisive] = {}
    for i in range(max((len(d) for d in per_part), default=0)):
        for d in per_part:
            if i < len(d):
                merged.setdefault((d[i].source, d[i].id), d[i])
    lowest = [p for p in parts if p.verdict.certainty == certainty]
    source = next((p.verdict.certainty_source for p in lowest + parts if p.verdict.certainty_source), None)
    return tuple(merged.values())[:MAX_DECISIVE], source


def _readings(
    sentences: list[Sentence], checked: tuple[CheckedClaim, ...], rules: Rules
) -> tuple[SentenceReading, ...]:
    """The checkability decision, with its reason and strength, for every sentence of the page."""
    by_start: dict[int, list[CheckedClaim]] = {}
    for cc in checked:
        by_start.setdefault(cc.claim.location.start, []).append(cc)
    out: list[SentenceReading] = []
    for i, sent in enumerate(sentences):
        mine = by_start.get(sent.location.start, [])
        tested = [cc for cc in mine if cc.claim.checkable]
        if tested:
            reason, verdict = "claim", tested[0].verdict.verdict
        elif mine:
            reason, verdict = mine[0].claim.checkability, None
        else:
            named = rules.drug_names.any(sent.text)
            last = i == len(sentences) - 1
            reason = unclaimed_reason(sent.text, heading=sent.heading, question=sent.question, last=last, named=named)
            verdict = None
        out.append(
            SentenceReading(
                index=i,
                text=sent.text,
                start=sent.location.start,
                end=sent.location.end,
                checkable=bool(tested),
                reason=reason,
                strength=asserted_strength(sent.text, rules),
                claim_ids=tuple(cc.claim.id for cc in mine),
                verdict=verdict,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------ JSON


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x * 100.0, 1)


def _cited_json(c: Cited) -> dict[str, Any]:
    return {
        "source": c.source,
        "id": c.id,
        "design": c.design,
        "finding": c.finding,
        "url": c.url,
        "year": c.year,
        "direct": c.direct,
        "title": c.title,
    }


def _decisive_json(d: Decisive) -> dict[str, Any]:
    return {
        "source": d.source,
        "id": d.id,
        "role": d.role,
        "stance": d.stance,
        "number": d.number,
        "sentence": d.sentence,
        "part": d.part or None,
        "design": d.design,
        "url": d.url,
    }


def _pooled_json(v: Verdict) -> dict[str, Any] | None:
    p = v.pooled
    if p is None:
        return None
    return {
        "k": p.k,
        "n": p.n,
        "estimate": _pct(p.estimate),
        "ci_low": _pct(p.ci_low),
        "ci_high": _pct(p.ci_high),
        "pi_low": _pct(p.pi_low),
        "pi_high": _pct(p.pi_high),
        "i2": None if p.i2 is None else round(p.i2, 1),
        "tau2": None if p.tau2 is None else round(p.tau2, 4),
        "unit": "%",
        "method": p.method,
    }


def _candidates_json(candidates: tuple[Candidate, ...]) -> dict[str, Any]:
    """Every candidate record by what became of it; set-aside records grouped by the reason."""
    out: dict[str, Any] = {"total": len(candidates), "decisive": [], "cited": [], "read": [], "set_aside": []}
    aside: dict[str, list[str]] = {}
    for c in candidates:
        ref = f"{c.source}:{c.id}"
        if c.use == "set_aside":
            aside.setdefault(c.reason, []).append(ref)
        else:
            out[c.use].append({"record": ref, "indirect": c.reason or None})
    out["set_aside"] = [{"reason": r, "records": refs} for r, refs in sorted(aside.items(), key=lambda kv: -len(kv[1]))]
    return out


def _claim_json(cc: CheckedClaim) -> dict[str, Any]:
    c, v = cc.claim, cc.verdict
    reg = c.regulatory
    return {
        "id": c.id,
        "text": c.text,
        "kind": c.kind,
        "indication": list(c.indication),
        "route": list(c.route),
        "molecule": list(c.molecule),
        "threshold": {"op": c.threshold.op, "value": c.threshold.value, "unit": c.threshold.unit}
        if c.threshold
        else None,
        "verdict": v.verdict,
        "certainty": v.certainty,
        "reasons": list(v.reasons),
        "evidence": [_cited_json(e) for e in v.evidence],
        "decisive": [_decisive_json(d) for d in v.decisive],
        "certainty_source": v.certainty_source,
        "pooled": _pooled_json(v),
        "location": {
            "paragraph": c.location.paragraph,
            "sentence": c.location.sentence,
            "start": c.location.start,
            "end": c.location.end,
        },
        "as_tested": v.as_tested,
        "outcome": c.outcome,
        "outcome_defined": c.outcome_defined if c.outcome else None,
        "timepoint": format_hours(c.timepoint_hours) if c.timepoint_hours is not None else None,
        "hedged": c.hedged,
        "implied": c.implied,
        "anecdote": c.anecdote,
        "heading": c.heading,
        "notes": list(c.notes),
        "safety": {"topics": list(c.safety_topics), "stance": c.safety_stance} if c.kind == "safety" else None,
        "regulatory": None
        if reg is None
        else {
            "topics": list(reg.topics),
            "negated": reg.negated,
            "schedule": reg.schedule,
            "year": reg.year,
            "approval_for": list(reg.approval_indications),
            "approval_inferred": reg.approval_inferred,
        },
        "dose": None if c.dose is None else {"low": c.dose.low, "high": c.dose.high, "unit": c.dose.unit},
        # Claims as assertions (issue 13): the source sentence, checkability, strength and parts.
        "sentence": {"start": c.location.start, "end": c.location.end, "paragraph": c.location.paragraph},
        "part_verdict": cc.part_verdict,
        "checkable": c.checkable,
        "checkability": c.checkability,
        "strength": {"level": c.strength, "cues": list(c.strength_cues)},
        "parts": {
            "drug": list(c.molecule),
            "product": list(c.product),
            "route": list(c.route),
            "condition": list(c.indication),
            "scope": list(c.scope),
            "comparator": c.comparator,
            "outcome": c.outcome,
            "timepoint": format_hours(c.timepoint_hours) if c.timepoint_hours is not None else None,
            "magnitude": None if c.threshold is None else c.threshold.describe(),
            "jurisdiction": list(c.jurisdiction),
        },
        "candidates": _candidates_json(cc.candidates),
    }


def report_to_json(report: CheckReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the module docstring for the shape)."""
    return {
        "schema": SCHEMA,
        "source": report.source,
        "summary": report.summary(),
        "legend": list(report.legend),
        "claims": [_claim_json(c) for c in report.claims],
        "sentences": [
            {
                "index": r.index,
                "text": r.text,
                "start": r.start,
                "end": r.end,
                "checkable": r.checkable,
                "reason": r.reason,
                "strength": {"level": r.strength.level, "cues": list(r.strength.cues)},
                "claims": list(r.claim_ids),
                "verdict": r.verdict,
            }
            for r in report.sentences
        ],
        "reconcile_rule": RECONCILE_RULE,
        # Each candidate record once: what the claims' "candidates" lists refer to.
        "records": {
            f"{c.source}:{c.id}": {"design": c.design, "year": c.year, "n": c.n}
            for cc in report.claims
            for c in cc.candidates
        },
    }


# ------------------------------------------------------------------ Markdown

@functools.lru_cache(maxsize=16384)
def md_escape(text: str) -> str:
    """The strict escaper of :func:`ketlit.markdown.md_text` (every Markdown character escaped, one line).
    The check's own Markdown now escapes only what would change its rendering
    (:func:`ketlit.claims.render_md.md_inline`); this stays for callers that want the strict policy."""
    return md_text(text, strict=True)
