"""Findings of one study: (intervention, comparator, outcome) → direction, from its sentences.

Only sentences whose role is results or conclusions are read (:mod:`ketlit.evidence.roles`). A
sentence is read clause by clause ("…reduced depression, but not anxiety" is two results), and
each clause gives at most one :class:`Finding`, or none (the reader abstains rather than guess).

How a clause is read, in order; the first step that decides wins and is recorded as ``basis``:
1. **Not a finding**: future work, aims, hedged needs ("further trials are needed").
2. **No difference** by wording ("no significant difference", "did not differ", "not more
   efficacious than", "non-inferior", "comparable") — checked first, so the "significant" in
   "no significant difference" never reads as a positive result (the expert review's polarity
   errors).
3. **Numbers**: a named effect with a 95% CI decides by its CI (excludes no effect → its sign;
   includes it → no difference); a printed non-significant p with no asserted change → no
   difference; two arm rates with their arms named → which is higher.
4. **Change words** ("reduced", "higher", "greater reduction") applied to the outcome they
   concern; "improved"/"superior" without a direction word take the outcome's valence.
Then the **subject**: when the comparator is the clause's subject ("ECT was superior to
ketamine", "placebo produced a greater reduction than ketamine"), the result is turned round so
it is always about the intervention. ``favours`` follows from direction × outcome valence
(a decrease of symptoms is good news; a decrease of remission is not).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from ketlit.evidence import numbers as nums
from ketlit.evidence.arm_values import from_values
from ketlit.evidence.arms import (
    ComparatorKind,
    comparator_is_subject,
    first_comparator,
    from_rates,
    other_arms_only,
    pair_sign,
    subject_before,
)
from ketlit.evidence.definitions import DEFINITION as _DEFINITION
from ketlit.evidence.definitions import blank_definitions
from ketlit.evidence.definitions import may_define as _may_define
from ketlit.evidence.effect_size import Decision as _Decision
from ketlit.evidence.effect_size import Direction as Direction
from ketlit.evidence.effect_size import effect_sign as _effect_sign
from ketlit.evidence.effect_size import effect_size as _effect_size
from ketlit.evidence.effect_size import lesser_fall
from ketlit.evidence.harm_rates import by_arm_counts, counts_people
from ketlit.evidence.matcher import AnyOf, Matcher, TextPattern, fold
from ketlit.evidence.model import (
    ANSWERS,
    Answer,
    DirectionModel,
    Thresholds,
    packaged_model,
    sentence_features,
)
from ketlit.evidence.restates import restates
from ketlit.evidence.roles import FINDING_ROLES, RoledSentence
from ketlit.evidence.sentences import clause_spans
from ketlit.evidence.shares import COUNT_WORD, share_improved, treatment_before

Favours = Literal["intervention", "comparator", "neither"]
OutcomeKind = Literal["efficacy", "safety", "other"]


@dataclass(frozen=True, slots=True)
class FindingRules:
    """Compiled finding rules (see ``[findings]``, ``[outcomes]``, ``[comparators]`` in the rules file)."""

    drug: TextPattern
    no_difference: TextPattern
    increase: TextPattern
    decrease: TextPattern
    improve: TextPattern
    worsen: TextPattern
    superior: TextPattern
    induce: TextPattern
    correlation_positive: TextPattern
    correlation_negative: TextPattern
    association_more: TextPattern
    association_less: TextPattern
    significant: TextPattern
    clause_split: TextPattern
    not_a_finding: TextPattern
    not_a_result: TextPattern
    negative_outcome: TextPattern
    positive_outcome: TextPattern
    safety_outcome: TextPattern
    other_outcome: TextPattern
    comparators: tuple[tuple[ComparatorKind, TextPattern], ...]
    # Every comparator pattern, kinds in order, as one group: the first comparator a clause names
    # is this group's leftmost match (see :func:`first_comparator`).
    any_comparator: Matcher | None = None
    # The drug's arm named by its role, not the drug ("in the intervention and control groups").
    intervention_arm: TextPattern | None = None
    # A sentence that says an earlier result held again (:mod:`ketlit.evidence.restates`); None: none is read so.
    restates: TextPattern | None = None
    # A benefit lessened by what the study added ("Naltrexone attenuated the antidepressant effect of ketamine");
    # None: none is read so.
    blunted: TextPattern | None = None
    # A correlation with no sign said, read when nothing else in the clause decides; None: none is read so.
    correlation_unsigned: TextPattern | None = None
    # Verbs that make an evaluation a performance ("performed worse"): good when higher; None: none are.
    performed: TextPattern | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of the study, about the intervention, with the sentence that carries it."""

    sentence: int
    clause: str
    direction: Direction
    favours: Favours
    outcome: str | None
    outcome_kind: OutcomeKind
    comparator: str | None
    comparator_kind: ComparatorKind | None
    basis: str
    effect: nums.Effect | None = None
    rates: tuple[nums.Rate, ...] = field(default_factory=tuple)
    p: nums.PValue | None = None


# People counted as having an outcome ("Four of seven patients experienced a response", "28
# participants achieved remission", "None of 10 subjects responded"): one arm's count of a good
# outcome, read like its rate.
_COUNT_WORD: Final = COUNT_WORD
_COUNTED: Final = re.compile(
    rf"\b(none|no|all|both|{_COUNT_WORD})(?: \(\d+(?:\.\d+)? ?%\))?(?: (?:of|out of) (?:the )?(?:{_COUNT_WORD}))?"
    r"(?: \w+){0,3}? (?:patients|participants|subjects|individuals|veterans|women|men|adults|adolescents|children"
    r"|cases)"
    r"\b(?: \w+){0,6}? (?:achieved|experienced|had|showed|met|reached|attained|were|was|responded|remitted)\b",
    re.IGNORECASE,
)

# The good outcome, then the people it happened in ("Response occurred in 7 of 16 patients", "was seen in 13 patients").
_COUNTED_IN: Final = re.compile(
    rf"\b(?:occurred|was (?:seen|observed|achieved|reached)|were (?:seen|observed)) in (?:{_COUNT_WORD})"
    rf"(?: (?:of|out of) (?:the )?(?:{_COUNT_WORD}))?(?: \w+){{0,2}}? (?:patients|participants|subjects|individuals"
    r"|veterans|women|men|adults|adolescents|children|cases)\b",
    re.IGNORECASE,
)


_FROM_TO: Final = re.compile(
    r"\bfrom (?:an? (?:mean|median|baseline) (?:of )?)?[-−]?\d+(?:\.\d+)?\b[^.;]{0,50}?"
    r"\bto (?:an? (?:mean|median) (?:of )?)?[-−]?\d+(?:\.\d+)?\b"
)


def _as_share(
    text: str, rules: FindingRules, direction: Direction, kind: str, word: re.Match[str], good_if: int | None = None
) -> _Decision:
    """The decision of a change or evaluation ``word`` (``kind``), or the rise of the share of patients who improved
    where the clause counts it (above).

    Only a fall that is good news is counted so: a symptom measure's, or the condition's when an evaluation
    names none. A good outcome's fall in a share of patients ("memory declined in 20%") stays a decrease.
    """
    at = word.end()
    decision = _Decision(direction, f"{kind}: {word.group(0)!r}", at, good_if=good_if)
    if direction != "decreased" or "%" not in text or good_if == -1:
        return decision
    if good_if is None and _outcome(text, at, rules)[1] >= 0:
        return decision
    share = share_improved(text, word.start(), at)
    if share is None:
        return decision
    return _Decision("increased", f"share improved: {share.group(0)!r}", at, good_if=1)


_WITH_RESPECT_TO: Final = re.compile(r"\b(?:with respect to|in terms of|with regard to|regarding)\s", re.IGNORECASE)
# After "more effective" / "superior" (and its reference): "in reducing", "to placebo for lowering".
_REDUCING: Final = re.compile(
    r"(?: (?:to|than) [\w-]+(?: [\w-]+)?)? (?:in|for|at|when) (?:the )?"
    r"(?:reduc|decreas|lower|prevent|allevia|attenuat|diminish)",
    re.IGNORECASE,
)


def _outcome(text: str, at: int, rules: FindingRules, *, object_first: bool = False) -> tuple[str | None, int]:
    """The outcome words nearest ``at`` and their valence (+1 good when higher, -1 good when lower, 0 unknown).
    ``object_first``: any outcome after ``at`` before one ahead of it (the outcome a comparison names "with respect
    to", not the "depression" its subject's patients have)."""
    best: tuple[int, str, int] | None = None
    for valence, pattern in ((1, rules.positive_outcome), (-1, rules.negative_outcome)):
        for m in pattern.finditer(text):
            dist = abs(m.start() - at)
            # Prefer outcomes after the change word ("reduction in depression"): the object.
            if m.start() < at:
                dist += len(text) if object_first else 8
            if best is None or dist < best[0]:
                best = (dist, m.group(0), valence)
    if best is None:
        return None, 0
    return best[1], best[2]


def _kind(text: str, rules: FindingRules) -> OutcomeKind:
    if rules.safety_outcome.search(text):
        return "safety"
    if rules.other_outcome.search(text):
        return "other"
    return "efficacy"


def _by_numbers(
    text: str,
    effect: nums.Effect | None,
    p_values: Sequence[nums.PValue],
    rates: Sequence[nums.Rate],
    rules: FindingRules,
) -> _Decision | None:
    """Steps 2-3 of the module docstring: null wording, then what the numbers say (arms' rates, values, counts)."""
    null = rules.no_difference.search(text)
    if null:
        return _Decision("no_difference", f"wording: {null.group(0)!r}", null.start())
    p = p_values[0] if p_values else None
    if effect is not None and effect.spans_null:
        return _Decision("no_difference", "CI includes no effect", 0)
    if p is not None and not p.significant and not rules.significant.search(text):
        return _Decision("no_difference", f"p {p.text}", 0)
    # Every printed p is not significant and no word says "significant": the assertion words
    # ("resulted in a lower response …, all ps > 0.05") do not outweigh the numbers.
    if p is not None and not any(q.significant for q in p_values) and "ignifican" not in text:
        return _Decision("no_difference", f"p {p.text}", 0)
    by_rates = from_rates(text, rates, rules)
    if by_rates is not None and (p is None or p.significant):
        return _Decision("increased" if by_rates > 0 else "decreased", "arm rates", rates[0].start, per_arm=True)
    by_values = from_values(text, rules) if by_rates is None and effect is None and p and p.significant else None
    if by_values is not None:
        return _Decision("increased" if by_values > 0 else "decreased", "arm values", 0, per_arm=True)
    if (
        by_rates is None
        and p is not None
        and p.significant
        and counts_people(text)
        and not (rules.increase.search(text) or rules.decrease.search(text))
    ):
        # People counted in each arm, no rate printed ("Clinical response occurred in 13 of 17 participants after
        # ketamine and 6 of 17 after midazolam (P = .03)", "rescue was needed in 3 patients in group K compared to 15
        # in group S"): a tested difference between the counts, as the harm reader reads them.
        counted = by_arm_counts(text, rules)
        if counted in ("more", "less"):
            return _Decision("increased" if counted == "more" else "decreased", "arm counts", 0, per_arm=True)
    return None


# The reference of two arms compared after an association cue ("... greater reduction than / compared with ketamine").
_THAN: Final = re.compile(r"\b(?:than|compared (?:with|to)|versus|vs\.?|relative to)(?!\w)", re.IGNORECASE)


def _association(text: str, rules: FindingRules) -> _Decision | None:
    """A characteristic (not the drug) associated with more or less of the outcome ("Family history was associated
    with greater improvement"). Not an "associated with" said of the comparator against the drug ("ECT was associated
    with a greater reduction in depression severity than ketamine"): two arms compared, which the comparative words
    decide, turned round for the comparator as the subject."""
    characteristics: tuple[tuple[TextPattern, Direction], ...] = (
        (rules.association_more, "increased"),
        (rules.association_less, "decreased"),
    )
    for pattern, sign in characteristics:
        m = pattern.search(text)
        if m and not rules.drug.search(text, 0, m.start()) and not treatment_before(text, m, rules):
            comparator = rules.any_comparator
            if comparator is not None and comparator.search(text, 0, m.start()):
                than = _THAN.search(text, m.end())
                if than is not None and rules.drug.search(text, than.end()):
                    return None
            return _Decision(sign, f"association: {m.group(0)!r}", m.end(), good_if=0)
    return None


# Evaluation words that name the condition's fall ("pain relief was observed"), whatever rate they are counted as.
_NAMES_THE_FALL: Final = frozenset({"relief"})


def _performed(evaluation: str, rules: FindingRules) -> bool:
    """Whether an evaluation's words start with a performance verb of ``[findings] performed`` ("performed worse")."""
    if rules.performed is None:
        return False
    m = rules.performed.search(evaluation)
    return m is not None and m.start() == 0


def _by_words(text: str, rates: Sequence[nums.Rate], rules: FindingRules) -> _Decision | None:
    """Step 4: correlations, change words, evaluations, one arm's good-outcome rate, "produced/induced"."""
    associations: tuple[tuple[TextPattern, Direction], ...] = (
        (rules.correlation_positive, "increased"),
        (rules.correlation_negative, "decreased"),
    )
    for pattern, sign in associations:
        m = pattern.search(text)
        if m:
            return _Decision(sign, f"association: {m.group(0)!r}", m.end(), good_if=0)
    associated = _association(text, rules)
    if associated is not None:
        return associated
    blunted = rules.blunted.search(text) if rules.blunted is not None else None
    if blunted:
        # Less of the benefit with the intervention ("less effective than ECT", "naltrexone attenuated the
        # antidepressant effect"): an inferiority, read as "inferior" (the condition's burden higher), not a fall of
        # anything the change words below would read.
        return _Decision("increased", f"evaluation: {blunted.group(0)!r}", blunted.end(), good_if=-1)
    superior = rules.superior.search(text)
    if superior:
        return _superiority(text, superior, rules)
    # A response definition in brackets ("(≥50% decrease in MADRS)") is not a change the study found.
    if _may_define(text):
        text = blank_definitions(text)
    up = rules.increase.search(text)
    down = rules.decrease.search(text)
    if up or down:
        first = min((m for m in (up, down) if m), key=lambda m: m.start())
        direction: Direction = "increased" if first is up else "decreased"
        # "greater reduction" is a reduction: a comparative adjective before a change noun.
        if first is up and down and down.start() - first.end() < 3:
            direction = "decreased"
            first = down
        less = _lesser(text, first, rules) if direction == "decreased" else None
        return less or _effect_size(text, first) or _as_share(text, rules, direction, "change", first)
    better = rules.improve.search(text)
    worse = rules.worsen.search(text)
    if better or worse:
        first = min((m for m in (better, worse) if m), key=lambda m: m.start())
        good = first is better
        smaller = _lesser(text, first, rules) if good else None
        if smaller:  # "improved to a lesser extent with X than with Y"
            return smaller
        _, valence = _outcome(text, first.end(), rules)
        if valence == 0 and _performed(first.group(0), rules):
            valence = 1  # "performed worse", "scored better": how well they performed, good when higher
        if valence == 0 or "anti" in first.group(0).lower() or first.group(0).lower() in _NAMES_THE_FALL:
            # No outcome named, or the evaluation names the effect on the condition ("a rapid and
            # robust antidepressant response", "an antisuicidal effect", whatever rates follow): the
            # condition's symptoms, whose burden falls when the treatment is good.
            direction = "decreased" if good else "increased"
        else:
            direction = "increased" if good == (valence > 0) else "decreased"
        return _as_share(text, rules, direction, "evaluation", first, 1 if good else -1)
    # One arm's rate of a good outcome ("Remission was achieved in 75%", "5 (38%) met criteria
    # for response"): the drug brought that about (compared with baseline).
    good_rate = rules.positive_outcome.search(text)
    if good_rate and not rules.negative_outcome.search(text, max(0, good_rate.start() - 25), good_rate.start()):
        # Up to the good outcome's end: it may be the verb itself ("All three patients responded").
        counted = _COUNTED.search(text, 0, good_rate.end())
        if counted and counted.group(1).lower() in ("none", "no"):
            # "None of 10 subjects experienced a response": the good outcome did not happen.
            return _Decision("no_difference", f"none had {good_rate.group(0)!r}", good_rate.end())
        if rates or counted or _COUNTED_IN.search(text, good_rate.end()):
            return _Decision("increased", f"rate of {good_rate.group(0)!r}", good_rate.end(), good_if=1)
    induced = rules.induce.search(text)
    if induced:
        harm = -1 if _kind(text, rules) == "safety" else None
        return _Decision("increased", f"induced: {induced.group(0)!r}", induced.end(), good_if=harm)
    unsigned = rules.correlation_unsigned.search(text) if rules.correlation_unsigned is not None else None
    if unsigned:
        return _Decision("increased", f"association: {unsigned.group(0)!r}", unsigned.end(), good_if=0)
    return None


def _superiority(text: str, superior: re.Match[str], rules: FindingRules) -> _Decision:
    """A comparative evaluation ("more effective", "superior"), by the evaluative-wording convention (as for
    "improved"): the direction is that of the measure named. "more effective in reducing pain": the pain fell;
    "superior … response rates": a rate that is good when higher rose; no measure named ("more effective than
    midazolam", "superior effects on suicidal symptoms"): the condition's burden fell."""
    reducing = _REDUCING.match(text, superior.end())
    # The outcome the comparison names ("superior to quetiapine XR ... with respect to remission"), else the nearest.
    named = _WITH_RESPECT_TO.search(text, superior.end())
    at = named.end() if named else superior.end()
    _, valence = _outcome(text, at, rules, object_first=named is not None)
    direction: Direction = "increased" if valence > 0 and not reducing else "decreased"
    return _Decision(direction, f"comparison: {superior.group(0)!r}", superior.end(), good_if=1)


def _lesser(text: str, word: re.Match[str], rules: FindingRules) -> _Decision | None:
    return lesser_fall(text, word, lambda at: _outcome(text, at, rules)[1], rules.drug, rules.any_comparator)


_DECIDERS: dict[int, tuple[FindingRules, AnyOf]] = {}


def _may_decide(text: str, rules: FindingRules) -> bool:
    """False when no step of :func:`read_clause` can decide ``text``: a fast exact shortcut.

    Every decision needs a number (a 95% CI, a p value's operator, a percentage) or a literal
    of one of the deciding groups; a response definition's blanking can make new text, so a
    clause it applies to is read in full. About a fifth of result clauses have none of these.
    """
    if "95" in text or "%" in text or any(op in text for op in "<=>≤≥&") or _may_define(text):
        return True
    got = _DECIDERS.get(id(rules))
    if got is None or got[0] is not rules:
        groups = (
            rules.no_difference,
            rules.significant,
            rules.correlation_positive,
            rules.correlation_negative,
            rules.association_more,
            rules.association_less,
            rules.superior,
            rules.increase,
            rules.decrease,
            rules.improve,
            rules.worsen,
            rules.positive_outcome,
            rules.induce,
            *((rules.blunted,) if rules.blunted is not None else ()),
            *((rules.correlation_unsigned,) if rules.correlation_unsigned is not None else ()),
        )
        got = _DECIDERS[id(rules)] = (rules, AnyOf(groups))
    return "percent" in fold(text) or got[1].may_match(text)


def read_clause(text: str, sentence: int, rules: FindingRules) -> Finding | None:
    """The (first) finding one clause reports, or None when it reports none the reader can tell."""
    found = clause_findings(text, sentence, rules)
    return found[0] if found else None


def clause_findings(
    text: str, sentence: int, rules: FindingRules, declared: nums.Measure | None = None
) -> list[Finding]:
    """The findings one clause reports: one, or one per result where it prints several (:func:`nums.results`).
    ``declared``: the effect measure an earlier clause of the sentence declared (:func:`nums.declared_measure`)."""
    # A value pair under a measure declared earlier in the sentence can decide a clause no cue is in.
    declared_effects = nums.effects(text, declared) if declared is not None else []
    if not declared_effects and not _may_decide(text, rules):
        return []
    effects = declared_effects or nums.effects(text)
    p_values = nums.p_values(text, effects)
    rates = tuple(nums.rates(text))
    effect = effects[0] if effects else None
    p = p_values[0] if p_values else None
    decision = _by_numbers(text, effect, p_values, rates, rules) or _by_words(text, rates, rules)
    if (
        decision is not None
        and decision.basis.startswith("rate of")
        and len(rates) > 1
        and effect is not None
        and effect.measure in nums.RATIO_MEASURES
        and effect.sign
        and effect.excludes_null
    ):
        # Two groups' rates of a good outcome, the groups no arms ("28% in benzodiazepine users and 49% in non-users
        # (adjusted odds ratio 0.39, 95% CI 0.17 to 0.88)"): the ratio printed for them says which way, not the rise
        # of one arm's rate.
        decision = _effect_sign(text, effect)
    # Last: a named effect whose CI excludes no effect, with no word saying which way. Its sign
    # is only trusted here, because abstracts subtract either way round ("mean difference 12.7"
    # for a reduction).
    if decision is None and effect is not None and effect.sign:
        decision = _effect_sign(text, effect)
    results = nums.results(text, effects, p_values) if len(effects) + len(p_values) > 1 or " vs" in text else []
    # "Not a finding" (aims, hedges, future work) is asked only of clauses that would give one.
    if (decision is None and not results) or rules.not_a_finding.search(text) or rules.not_a_result.search(text):
        return []
    kind = _kind(text, rules)  # only now: most clauses without a decision end above
    if decision is None:
        # "8 vs. 3 (P<0.05), at t=180min 6 vs. 2 (ns) … in the ketamine and midazolam groups,
        # respectively": the counts, with their arms in order, say which way each result went.
        return [f for f in (_result_finding(text, sentence, r, None, rules, kind) for r in results) if f]
    if decision.direction == "no_difference" and other_arms_only(text, rules):
        return []
    base = _finding(text, sentence, decision, rules, kind, effect, rates, p)
    if len(results) < 2:
        return [base]
    out = [replace(base, effect=results[0].effect or effect, p=results[0].p or p)]
    if base.direction == "no_difference":
        # The first result's numbers read "no difference": a later significant one takes the words' direction.
        worded = _by_words(text, rates, rules)
        base = _finding(text, sentence, worded, rules, kind, effect, rates, p) if worded else base
    for r in results[1:]:
        if r.effect is not None and r.effect is out[0].effect and r.p is None and r.pair is None:
            # "(P = 0.036), with a Cohen's d of 1.1 (95% CI …)": a p printed before the clause's only effect
            # is that effect's; the first finding already carries both.
            continue
        # "… were decreased (P < 0.001), and mood was increased (P = 0.006)": a change word of its
        # own, between the previous result's numbers and this one's, is this result's direction.
        own = _change_between(text, r.words_from, _start_of(r), rules) if r.words_from > 0 else None
        extra = _result_finding(text, sentence, r, base, rules, kind, own)
        if extra is None:
            continue
        out.append(extra)
        # ... and is carried on down the list: "a lower threshold (p = 0.01), charge (p < 0.001),
        # higher suppression (p < 0.001), amplitude (p = 0.04)": amplitude is higher, not lower.
        if own is not None and own[0] != "no_difference" != base.direction and extra.basis == own[1]:
            base = replace(base, direction=own[0], basis=own[1], favours=extra.favours)
    return out


def _finding(
    text: str,
    sentence: int,
    decision: _Decision,
    rules: FindingRules,
    kind: OutcomeKind,
    effect: nums.Effect | None,
    rates: tuple[nums.Rate, ...],
    p: nums.PValue | None,
) -> Finding:
    """The finding a decision makes: turned round when the comparator is the subject, with its favours."""
    comp = first_comparator(text, rules)
    comp_words, comp_kind = (comp[0], comp[1]) if comp else (None, None)
    outcome, valence = _outcome(text, decision.at, rules)
    direction = decision.direction
    # Arm rates are already the intervention's against the comparator's: never turned round.
    flipped = (
        not decision.per_arm
        and comp is not None
        and direction != "no_difference"
        and comparator_is_subject(text, comp, rules, association=decision.good_if == 0)
    )
    if flipped:
        direction = "decreased" if direction == "increased" else "increased"
    favours: Favours = "neither"
    if direction != "no_difference" and decision.good_if != 0:  # 0: an association favours nobody
        if decision.good_if is not None:
            good = (decision.good_if > 0) != flipped
        elif valence:
            good = (direction == "increased") == (valence > 0)
        else:
            good = True
        favours = "intervention" if good else "comparator"
    return Finding(
        sentence, text, direction, favours, outcome, kind, comp_words, comp_kind, decision.basis, effect, rates, p
    )


def _start_of(r: nums.Result) -> int:
    return min(x.start for x in (r.effect, r.p) if x is not None) if (r.effect or r.p) else r.words_from


def _change_between(text: str, start: int, end: int, rules: FindingRules) -> tuple[Direction, str] | None:
    """The direction a result's own words give (no difference, or a change word), between two offsets."""
    if end - start < 4:
        return None
    null = rules.no_difference.search(text, start, end)
    if null:
        return "no_difference", f"wording: {null.group(0)!r}"
    up = rules.increase.search(text, start, end)
    down = rules.decrease.search(text, start, end)
    if up is None and down is None:
        return None
    if up is not None and (down is None or up.start() < down.start()) and not (down and down.start() - up.end() < 3):
        return "increased", f"change: {up.group(0)!r}"
    assert down is not None
    return "decreased", f"change: {down.group(0)!r}"


def _result_finding(
    text: str,
    sentence: int,
    r: nums.Result,
    base: Finding | None,
    rules: FindingRules,
    kind: OutcomeKind,
    own: tuple[Direction, str] | None = None,
) -> Finding | None:
    """The finding of one result of a clause that prints several; ``base`` is the clause's own reading.

    A result whose own numbers say "not significant" (CI spanning no effect, p ≥ .05, "ns", equal
    counts) is no difference whatever the clause's words say; a significant one takes its own change
    word (``own``, read only where ``base`` is given), or the clause's direction, or its count pair's
    when the clause has none.
    """
    null = r.not_significant
    direction: Direction | None = "no_difference" if null else None
    basis = "this result's numbers: not significant" if null else ""
    if direction is None and base is not None and own is not None:
        direction, basis = own
    if direction is None and base is not None and base.direction != "no_difference":
        direction, basis = base.direction, base.basis
    if direction is None and r.pair is not None and (r.p is None or r.p.significant):
        sign = pair_sign(text, r.pair, rules)
        if sign is not None and r.p is not None:
            direction, basis = ("increased" if sign > 0 else "decreased"), "arm counts in order, significant p"
    if direction is None and r.effect is not None and r.effect.sign:
        signed = _effect_sign(text, r.effect)
        direction, basis = signed.direction, signed.basis
    if direction is None:
        return None
    # A count pair of people "showing a reduction in pain >50%" or "responders": more is good news.
    counts_good = r.pair is not None and bool(
        rules.positive_outcome.search(text) or (_may_define(text) and _DEFINITION.search(text))
    )
    at = r.effect.start if r.effect else 0
    decision = _Decision(direction, basis, at, good_if=1 if counts_good else None, per_arm=r.pair is not None)
    found = _finding(text, sentence, decision, rules, kind, r.effect, (), r.p)
    if base is not None and direction == base.direction:
        found = replace(found, favours=base.favours)
    return found


def _favours(direction: Direction, valence: int) -> Favours:
    if direction == "no_difference":
        return "neither"
    good = (direction == "increased") == (valence > 0) if valence else True
    return "intervention" if good else "comparator"


def _model_findings(text: str, sentence: int, direction: Direction, p: float, rules: FindingRules) -> list[Finding]:
    """A finding the rules did not read but the model is sure of: the whole sentence carries it.

    Where the sentence prints several results ("… general activity (P=0.03) and enjoyment of life
    (P=0.004)"), one finding each: the model's direction, or no difference where a result's own
    numbers say so.
    """
    effects = nums.effects(text)
    p_values = nums.p_values(text, effects)
    comp = first_comparator(text, rules)
    outcome, valence = _outcome(text, 0, rules)
    first = Finding(
        sentence,
        text,
        direction,
        _favours(direction, valence),
        outcome,
        _kind(text, rules),
        comp[0] if comp else None,
        comp[1] if comp else None,
        f"model: {direction} (p {p:.2f}) where no rule read a direction",
        effects[0] if effects else None,
        tuple(nums.rates(text)),
        p_values[0] if p_values else None,
    )
    results = nums.results(text, effects, p_values) if len(effects) + len(p_values) > 1 else []
    if len(results) < 2:
        return [first]
    out = [replace(first, effect=results[0].effect or first.effect, p=results[0].p or first.p)]
    for r in results[1:]:
        d: Direction = "no_difference" if r.not_significant else direction
        out.append(replace(first, direction=d, favours=_favours(d, valence), effect=r.effect, rates=(), p=r.p))
    return out


def decide(rs: RoledSentence, found: list[Finding], rules: FindingRules, model: DirectionModel) -> list[Finding]:
    """The findings of one sentence once the model has weighed the rules' reading of it."""
    p = model.scores(sentence_features(rs.sentence.text, rs.role, rules.drug))
    return apply_scores(rs, found, p, rules, model.thresholds)


def apply_scores(
    rs: RoledSentence, found: list[Finding], p: Mapping[Answer, float], rules: FindingRules, thresholds: Thresholds
) -> list[Finding]:
    """The rules' findings of a sentence, kept, turned, dropped or joined by one, by the model's scores ``p``.

    They stand unless the model's answer differs and it is sure enough: then the first finding is
    turned to the model's direction (p ≥ ``override``), a finding is added where the rules read
    none (p ≥ ``add``), or the rules' findings are dropped as not a result (p(none) ≥ ``drop``).
    """
    best = max(ANSWERS, key=p.__getitem__)
    if best == "none":
        # A value printed moving "from 72 ... to 44" with the change word that moved it is a result, however unlike the
        # model's results the sentence's other words are ("at admission", "at discharge").
        kept = [f for f in found if f.basis.startswith("change:") and _FROM_TO.search(f.clause)]
        return kept if found and p["none"] >= thresholds.drop else found
    if any(f.direction == best for f in found):
        return found
    text = rs.sentence.text
    if not found:
        # A limitation, future work or a recommendation is not a result however sure the model is:
        # it learnt directions from results, and their words ("reducing", "benefit") are a result's.
        if p[best] < thresholds.add or rules.not_a_result.search(text):
            return []
        return _model_findings(text, rs.sentence.index, best, p[best], rules)
    if p[best] < thresholds.override:
        return found
    first = found[0]
    _, valence = _outcome(first.clause, 0, rules)
    turned = replace(
        first,
        direction=best,
        favours=_favours(best, valence),
        basis=f"model: {best} (p {p[best]:.2f}) over the rules' {first.direction} ({first.basis})",
    )
    return [turned, *found[1:]]


def rule_findings(sentences: Sequence[RoledSentence], rules: FindingRules) -> list[tuple[RoledSentence, list[Finding]]]:
    """Each results or conclusions sentence with the findings the phrase rules read in it."""
    out: list[tuple[RoledSentence, list[Finding]]] = []
    for rs in sentences:
        if rs.role not in FINDING_ROLES:
            continue
        found: list[Finding] = []
        text = rs.sentence.text
        clauses = clause_spans(text, rules.clause_split)
        declared: nums.Measure | None = None
        last: list[Finding] = []  # the previous clause's findings
        for i, (a, b) in enumerate(clauses):
            # Cut before its verb, after a clause that read nothing and names no arm, a clause is read with that one:
            # its subject ("Physical function, measured with the SF-36, | improved more with ketamine").
            joined = i and not last and subject_before(text, clauses[i - 1], a, rules)
            clause = text[clauses[i - 1][0] if joined else a : b]
            cur = clause_findings(clause, rs.sentence.index, rules, declared) if len(clause) >= 12 else []
            if last and _null_of_rates(cur, last):
                # "… rates were 82% and 73% in group KP, and 81% and 69% in group P; there was no
                # statistical difference between groups": the null is what the rates before it show.
                found[-len(last) :] = [
                    replace(f, direction="no_difference", favours="neither", basis=cur[0].basis) for f in last
                ]
                cur = []
            found.extend(cur)
            last = cur
            if len(clauses) > 1:
                declared = nums.declared_measure(clause) or declared
        if found and len(clauses) > 1:
            found = _before_not_a_result(text, found, rules)
        out.append((rs, _once(found) if len(found) > 1 else found))
    return out


def _once(found: list[Finding]) -> list[Finding]:
    """``found`` without a finding that repeats an earlier one's reading and numbers. A clause that prints several
    results ("... at 20 min (difference, -0.41; 95% CI ...; P = .0001) and 30 min (...)") is read per effect, and the
    first effect can come back from the clause's reading as a whole with the same numbers: an editor would count two
    results. Only findings with numbers are merged: two clauses read alike without them ("lower at 1 h", "lower at
    24 h") may be two results."""
    seen: set[tuple[object, ...]] = set()
    out: list[Finding] = []
    for f in found:
        if f.effect is not None or f.p is not None or f.rates:
            # Where the numbers were printed is part of the key: two items of a list with the same p ("stimulation
            # charge (p < 0.001), ..., EEG coherence (p < 0.001)") are two results.
            where = (f.effect.start if f.effect else None, f.p.start if f.p else None, tuple(r.start for r in f.rates))
            key: tuple[object, ...] = (f.direction, f.favours, f.outcome, f.outcome_kind, f.comparator, f.basis)
            key += (f.effect, f.rates, f.p, where)
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


def _null_of_rates(cur: list[Finding], last: list[Finding]) -> bool:
    """Whether ``cur`` is a bare no difference (no numbers of its own) after findings read only from rates."""
    return (
        len(cur) == 1
        and cur[0].direction == "no_difference"
        and cur[0].p is None
        and cur[0].effect is None
        and not cur[0].rates
        and all(
            f.rates and f.p is None and f.effect is None and f.basis.startswith(("rate of", "arm rates")) for f in last
        )
    )


def _before_not_a_result(text: str, found: list[Finding], rules: FindingRules) -> list[Finding]:
    """The findings of clauses before a prediction, limitation or call for research in ``text``: the clauses after one
    go on with it ("we predicted that ketamine would produce reduced activity in limbic regions, and increased activity
    in dorsal ones"). One search per multi-clause sentence with findings, not one per clause."""
    m = rules.not_a_result.search(text)
    if m is None:
        return found
    return [f for f in found if text.find(f.clause) < m.start()]


def read_findings(
    sentences: Sequence[RoledSentence],
    rules: FindingRules,
    model: DirectionModel | Literal["packaged"] | None = "packaged",
) -> list[Finding]:
    """Every finding in the results and conclusions sentences, in sentence order. ``model``: the direction model that
    weighs the rules' reading (the shipped one by default; None reads with the rules alone, as training does)."""
    chosen = packaged_model() if model == "packaged" else model
    out: list[Finding] = []
    previous: list[Finding] = []  # the findings of the last sentence that had any, for one that restates them
    for rs, found in rule_findings(sentences, rules):
        kept = found if chosen is None else decide(rs, found, rules, chosen)
        if previous and restates(rs.sentence.text, kept, rules.restates):
            basis, at, clause = f"restates sentence {previous[0].sentence + 1}", rs.sentence.index, rs.sentence.text
            kept = [
                replace(f, sentence=at, clause=clause, basis=basis, effect=None, p=None, rates=()) for f in previous
            ]
        out.extend(kept)
        previous = kept or previous
    return out
