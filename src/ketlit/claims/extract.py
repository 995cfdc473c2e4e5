"""Find the checkable assertions on a page, classify them and operationalise them.

Design decisions:

* **Sentence → clauses → kinds.** Each sentence is split into clauses at contrastive joints
  (", but", "; ", ", while") so "These effects usually last about an hour, but the therapeutic
  impact … can persist for days" yields a side-effect claim *and* a duration claim. A sentence
  may carry several kinds (efficacy and onset in "can lead to rapid improvement in mood"); each
  becomes its own claim with the same location, so each gets its own verdict.
* **Attribution.** A sentence naming the drug is about the drug. On a page that is about the
  drug (it names it at least ``drug.min_page_mentions`` times), a sentence that names no drug
  ("Effects may be felt within hours.") is attributed to it — unless another treatment is the
  subject ("innovative therapies to treat PTSD") — and the claim says so. "One such treatment
  is ketamine therapy." inherits the previous sentence's claim.
* **Not checkable, but reported.** Booking boilerplate, testimonials (flagged as anecdotes),
  the clinic's own results and mechanism talk are listed with a reason instead of being
  silently dropped, so an editor can see that they were read. Categories marked
  ``overrides`` win even when claim cues are present ("book an appointment … how it could
  help"); the others only when nothing checkable was found. A sentence that names the drug is
  always in the output: as a claim, or listed with the reason it was not checked ("Ketamine cures
  depression." uses no cue word ketlit knows, and a three-word sentence is still a sentence).
  Sentences that name no drug and carry no cue (questions, disease descriptions) are not listed.
* **Work grows with distinct content.** Page-wide mention tests use sorted spans, not pairs; a
  sentence that repeats (text, flags and preceding sentences) is read once; a run of more than
  ``MAX_SENTENCE_CHARS`` characters without a sentence end is listed, not scanned for cues.
* **Checkability and strength (issue 13).** Each not-checkable result carries a reason code
  (:mod:`ketlit.claims.assertion`); mechanism words are a feature, not a gate (a mechanism
  sentence naming a distinct functional outcome is checked); a page naming the drug once but
  dominated by its route is about the drug; sentences whose subject is a condition or treatment
  in general, praise with nothing to test, and a page's truncated last sentence are not claims;
  labels that assert outright ("Immediately Effective") are. Each claim carries its asserted
  strength (``can`` is not a hedge) and parts (product, scope, comparator, jurisdiction); the
  generic drug name given by a route with its own product (``[molecule.by_route]``) is read as
  that product's molecule.
* **Whose words.** A time after another treatment in its own clause ("unlike SSRIs, which take
  4 to 8 weeks") is that treatment's; a comparator implies its condition ("unlike antidepressants"
  → depression); clauses whose subject is drugs in general or the industry ("30% of all prescribed
  medications are not FDA approved for that purpose") are out of scope; an effect in a relative
  clause after regulatory words ("an FDA approved drug that enhances …") is a claim of its own; a
  stated fraction of the anaesthetic dose is a dose (:mod:`ketlit.claims.relative_dose`).
* **Operationalisation is explicit.** Indication, route and molecule come from the clause,
  then the sentence, then the previous sentence, then the page; every step past the sentence
  adds a note ("route intravenous inferred from the page: 'infusion' ×4"). Vague words are read
  through the tables in ``claim_rules.toml`` and the note quotes the choice, so a reader can
  disagree with the reading rather than with a hidden constant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from ketlit.claims.assertion import (
    asserted_strength,
    asserting_heading,
    assertion_parts,
    checkability_cue,
    concedes_to_general_subject,
    is_puffery,
    is_slogan,
    is_truncated,
    mask_general_subject,
    mask_puffery,
    reason_code,
)
from ketlit.claims.claim_rate import has_rate, rate_in
from ketlit.claims.context import (
    PageContext,
    as_page_population,
    implied_by_comparator,
    lead_in,
    page_context,
    second_subject,
    section_of,
    time_of_drug,
    without_compared_routes,
    without_condition_outcomes,
)
from ketlit.claims.context import Spans as _Spans  # noqa: F401  (re-exported: the hostile-page tests use it)
from ketlit.claims.context import indications_in as _indications
from ketlit.claims.context import molecules_in as molecules_in
from ketlit.claims.context import resistant as _resistant
from ketlit.claims.context import routes_in as _routes
from ketlit.claims.model import Claim, Dose, RegulatoryAssertion, Threshold
from ketlit.claims.numbers import find_times, upper_hours
from ketlit.claims.regulatory_claim import read_regulatory
from ketlit.claims.relative_dose import DOSE, relative_dose, stated_dose, word_dose
from ketlit.claims.rules import Patterns, RegulatoryFact, Rules
from ketlit.claims.safety_claim import read_safety
from ketlit.claims.subject import another_time, assisted_by_other, not_about_drug, not_what_it_treats, other_subject
from ketlit.claims.text import Location, Sentence, spelled_out, split_sentences

_CLAUSE_SPLIT = re.compile(r"(?:,\s*but\b|;\s+|,\s*while\b|\s+—\s+|\s+–\s+|,\s*whereas\b)", re.IGNORECASE)
# A fronted adverbial of means ("By rebuilding connections between brain cells, …"): the mechanism
# sits in it, and the main clause after the comma can still assert an outcome.
_FRONTED = re.compile(r"^\s*(by|through|via|because of|thanks to|as a result of)\b[^,]{3,160},\s*", re.IGNORECASE)
# A fragment opening with a verb in the third person ("Reduces suicidal thoughts"): its subject is
# the page's drug, so it is a claim in a few words.
_VERB_FIRST = re.compile(r"^\s*[A-Za-z]+s\b")
_NOWHERE = Location(paragraph=0, sentence=0, start=0, end=0)
# The longest sentence on the recorded clinic pages is 434 characters; five times that is no sentence.
MAX_SENTENCE_CHARS = 2000
_SHOWN_CHARS = 200
_PUFFERY = "praise with nothing to test (no condition, number, time or regulator named)"
_SLOGAN = "a slogan addressed to the reader (an imperative), not an assertion"
_GENERAL = "about drugs in general or the drug industry, not a claim about this drug"


# ------------------------------------------------------------------ kind detection


def _clauses(text: str) -> list[str]:
    parts = [p.strip(" ,;") for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if p] or [text]


def _without_comparator(sentence: str, rules: Rules) -> str:
    """The sentence with the other treatment of a comparison blanked, so that its name is not read as
    the drug's form: "IV ketamine is as effective as esketamine" and "IV ketamine and esketamine are
    equally effective" are about racemic ketamine, compared with esketamine."""
    better = rules.comparative["claim_better"].search(sentence)
    cue = better or rules.comparative["claim_equal"].search(sentence)
    if cue is None:
        return sentence
    start = cue.start()
    split = None if better else second_subject(sentence[:start])
    if split is not None:
        start = split[1]  # the second of two subjects compared symmetrically
    masked = sentence[start:]
    for pats in rules.comparators.values():
        masked = pats.blank(masked)
    return sentence[:start] + masked


def _mask_indications(text: str, rules: Rules) -> str:
    """The text with indication phrases blanked ("addiction treatment" is not an addiction risk)."""
    chars = list(text)
    for pats in rules.indications.values():
        for m in pats.finditer(text):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


def label_schedules(text: str, rules: Rules) -> list[RegulatoryFact]:
    """The label_dose facts whose dosing schedule ``text`` states (their ``terms``)."""
    return [f for f in rules.facts if f.kind == "label_dose" and f.terms.regexes and f.terms.any(text)]


def label_schedule(text: str, rules: Rules) -> bool:
    """Whether ``text`` states a label's dosing schedule."""
    return bool(label_schedules(text, rules))


def _kinds(clause: str, sentence: str, prev_topics: bool, rules: Rules) -> list[str]:
    kinds: list[str] = []
    cues = rules.cues
    if cues["regulatory"].any(clause):
        kinds.append("regulatory")
    masked = _mask_indications(without_condition_outcomes(clause, rules), rules)
    topic_here = any(p.any(masked) for p in rules.safety_topics.values())
    transient = rules.safety_stances["transience"].any(clause)
    if cues["safety"].any(masked) or (transient and (topic_here or prev_topics)):
        kinds.append("safety")
    schedule = "dosing_schedule" in cues and cues["dosing_schedule"].any(clause)
    if (cues["dosing"].any(clause) and DOSE.search(clause)) or word_dose(clause) or schedule or label_schedule(
        clause, rules
    ) or (
        "dosing_relative" in cues and cues["dosing_relative"].any(clause)
    ):
        kinds.append("dosing")
    if has_rate(clause, rules):
        kinds.append("efficacy_rate")
    side_effect_clause = "safety" in kinds and (transient or not cues["efficacy"].any(clause))
    # Onset wording counts next to an effect: an effect word, or any efficacy cue ("lifts depression").
    effect = cues["onset_context"].any(clause) or cues["efficacy"].any(clause)
    # A condition easing within a time is onset, not the end of an effect: its span is no duration.
    lasting = cues["relief_subject"].blank(clause) if "relief_subject" in cues else clause
    ending = "effect_end" in cues and cues["effect_end"].any(lasting)
    if cues["onset"].any(clause) and effect and not side_effect_clause and not ending:
        kinds.append("onset")
    if cues["duration"].any(lasting) and cues["duration_context"].any(lasting) and not side_effect_clause:
        kinds.append("duration")
    temporal = "onset" in kinds or "duration" in kinds
    named_condition = bool(_indications(clause, rules))
    # A temporal claim with no indication of its own is about timing, not about whether it works.
    # How often patients are treated is a schedule: "treated" there is no effect of the drug.
    effect_clause = cues["dosing_schedule"].blank(clause) if schedule else clause
    if "approved_use" in cues:
        effect_clause = cues["approved_use"].blank(effect_clause)
    if (
        cues["efficacy"].any(effect_clause)
        and "efficacy_rate" not in kinds
        and not (side_effect_clause and not named_condition)
        and (not temporal or named_condition)
    ):
        kinds.append("efficacy")
    # "An FDA-approved, effective treatment" describes the approved product: one regulatory claim.
    # A relative clause after the regulatory words gives the product an effect of its own ("an FDA
    # approved drug that drastically enhances the psychotherapeutic process"): two claims.
    if (
        "regulatory" in kinds
        and "efficacy" in kinds
        and not _indications(clause, rules)
        and not _effect_in_relative_clause(clause, rules)
    ):
        kinds.remove("efficacy")
    return kinds


_RELATIVE = re.compile(r"\b(that|which)\b", re.IGNORECASE)


def _effect_in_relative_clause(clause: str, rules: Rules) -> bool:
    """An efficacy cue inside a relative clause ("… that enhances …") opened after the last
    regulatory cue of ``clause``."""
    reg = rules.cues["regulatory"].finditer(clause)
    if not reg:
        return False
    rel = _RELATIVE.search(clause, max(m.end() for m in reg))
    return rel is not None and rules.cues["efficacy"].any(clause[rel.end() :])


# ------------------------------------------------------------------ operationalisation


def _op_before(text: str, start: int, end: int, rules: Rules) -> str:
    before = text[max(0, start - 30) : start]
    after = text[end : end + 20]
    for op, pats in rules.threshold_ops:
        for m in pats.finditer(before):
            if not before[m.end() :].strip(" (") or len(before[m.end() :].split()) <= 2:
                return op
        if op == ">=" and re.match(r"\s*(or more|and above|or higher)\b", after, re.I):
            return op
    return rules.bare_op


def _rate_threshold(clause: str, rules: Rules) -> tuple[Threshold | None, list[str]]:
    rate = rate_in(clause)
    if rate is None:
        return None, []
    value, high, start, end = rate
    notes: list[str] = []
    if high is not None:
        notes.append(f"range {value:g}–{high:g}% tested as ≥ its lower bound")
        return Threshold(">=", value, "%"), notes
    op = _op_before(clause, start, end, rules)
    if op == "~":
        notes.append(f"'{clause[start:end]}' read as about {value:g}% (± {rules.approx_tolerance_pct:g} points)")
    return Threshold(op, value, "%"), notes


def _outcome(clause: str, rules: Rules, at: int | None = None) -> tuple[str, bool, list[str]]:
    """The outcome a clause claims: the first of ``[outcomes] order`` it names, or, for a rate (``at``,
    its position) beside two defined outcomes, the one nearer the number ("About half had a meaningful
    response, and fewer reached remission" gives its half for response)."""
    named = [(o, m) for o in rules.outcomes if o.name in ("response", "remission") for m in o.patterns.finditer(clause)]
    if at is not None and len({o.name for o, _ in named}) > 1:
        o, _ = min(named, key=lambda om: min(abs(om[1].start() - at), abs(om[1].end() - at)))
        return o.name, True, [f"outcome: {o.definition}"]
    for o in rules.outcomes:
        if o.patterns.any(clause):
            if o.name == "improvement" and rules.outcome_undefined.any(clause):
                break
            return o.name, True, [f"outcome: {o.definition}"]
    default = next(o for o in rules.outcomes if o.name == rules.outcome_default)
    word = rules.outcome_undefined.search(clause)
    said = f"'{word.group()}'" if word else "the outcome"
    return default.name, False, [f"the page does not define {said}; tested as {default.definition}"]


# A time after these words is the other treatment's, which the claim compares against ("works in days rather
# than the six to eight weeks antidepressants need"), not the claim's own.
_COMPARED_TIME: Final = re.compile(
    r"\b(rather than|instead of|compared (with|to)|versus|vs\.?|unlike|not)\s+[^,;.]*$", re.IGNORECASE
)


def _time_threshold(clause: str, kind: str, rules: Rules) -> tuple[Threshold | None, list[str]]:
    times = [
        t
        for t in find_times(clause)
        if not re.search(r"\b(19|20)\d\d\b", t.text)
        and time_of_drug(clause, t.start, rules)
        and not _COMPARED_TIME.search(clause, max(0, t.start - 40), t.start)
    ]
    unit = "hours" if kind == "onset" else "days"
    scale = 1.0 if kind == "onset" else 24.0
    if times:
        t = times[0]
        before = clause[max(0, t.start - 25) : t.start].lower()
        if kind == "onset":
            op = (
                "<="
                if re.search(
                    r"\b(within|in|by|after|as early as|as soon as|as little as|under|less than)"
                    r"\s+(just |only |about )?$",
                    before,
                )
                else "~"
            )
        elif (
            # An effect said to end within a time ("fades within two weeks") lasts at most that long; "lasts up to six
            # months" says it can last that long (at least that, in a study), not "any shorter time".
            "effect_end" in rules.cues
            and rules.cues["effect_end"].any(clause[: t.start])
            and re.search(r"\b(within|in|by)\s+(just |only |about |around |roughly )?(\w+ (to|or) )?$", before)
        ):
            op = "<="
        elif re.search(r"\b(about|around|approximately|roughly)\s*$", before):
            op = "~"
        else:
            op = ">="
        # "fades within about a week or two": at most the range's upper end, two weeks.
        hours = upper_hours(clause, t) if op == "<=" else t.hours
        if kind == "duration" and hours < 24:
            unit, scale = "hours", 1.0
        up_to = kind == "duration" and op == ">=" and re.search(r"\bup to\s*$", before) is not None
        return Threshold(op, round(hours / scale, 3), unit), ["'up to': lasting that long in a study"] if up_to else []
    table = rules.vague_onset if kind == "onset" else rules.vague_duration
    for vague in table:
        if vague.pattern.search(clause):
            hours = vague.hours
            return Threshold(vague.op, round(hours / scale, 3), unit), [vague.note]
    return None, [f"no {kind} time stated; tested against any reported {kind}"]


# ------------------------------------------------------------------ the extractor


def _not_checkable(sentence: str, rules: Rules, *, overriding: bool) -> tuple[str, str, bool] | None:
    # What keeps a sentence checked is an effect or a harm, not a condition's name: "addictions" in
    # "a programme for people recovering from addictions" promises nothing about addiction risk.
    unnamed = _mask_indications(sentence, rules)
    for rule in rules.not_checkable:
        if rule.overrides != overriding:
            continue
        if rule.patterns.any(sentence) and not rule.keep_if.any(unnamed):
            if rule.name == "procedure" and _harm_as_reason(sentence, rules):
                continue
            # Mechanism words are a feature, not a gate: "… restores signalling, improving mood"
            # asserts a clinical effect and is checked.
            if rule.name == "mechanism" and (
                checkability_cue("clinical_effect", sentence, rules)
                or _outcome_after_means(sentence, rule.patterns, rules)
            ):
                continue
            return rule.name, rule.reason, rule.anecdote
    return None


# The clinic's step given as the consequence of what went before ("…, so a nurse monitors you", "…, which is
# why we check your blood pressure").
_SO_WE: Final = re.compile(
    r",?\s*\b(?:so|and so|which is why|that.s why|that is why|therefore)\s+(?:we|our|you|your|patients|people|clients|"
    r"everyone|they|every|each|all|a|an|the|staff|nurses?|doctors?|clinicians?)\b",
    re.IGNORECASE,
)


def _harm_as_reason(sentence: str, rules: Rules) -> bool:
    """A harm stated as the reason for the clinic's step ("Blood pressure rises during treatment, so we
    check it every ten minutes"): the harm is a safety claim, the step only its consequence."""
    m = _SO_WE.search(sentence)
    return m is not None and m.start() > 0 and rules.cues["safety"].any(sentence[: m.start()])


def _outcome_after_means(sentence: str, mechanism: Patterns, rules: Rules) -> bool:
    """The mechanism is only the means ("By …, ketamine relieves depression"): the main clause names
    a condition, uses effect wording and no mechanism word."""
    m = _FRONTED.match(sentence)
    if m is None:
        return False
    rest = sentence[m.end() :]
    return not mechanism.any(rest) and rules.cues["efficacy"].any(rest) and bool(_indications(rest, rules))


def _drug_then_condition(sentence: str, rules: Rules) -> bool:
    """The drug is named before a condition in the same clause, and the sentence is not a question
    of research, practice or regulation: its verb, whatever it is, says what the drug does to it."""
    for clause in _clauses(sentence):
        drug = rules.drug_names.search(clause)
        if drug is None:
            continue
        after = clause[drug.end() :]
        if _indications(after, rules) and not rules.other_treatments.search(clause[: drug.start()]):
            if not_what_it_treats(clause, drug.start(), after, rules):
                continue
            return True
    return False


def _verb_first(sentence: str, rules: Rules) -> bool:
    """A fragment whose first word is a third-person verb that opens a claim cue ("Reduces …")."""
    if _VERB_FIRST.match(sentence) is None:
        return False
    lead = len(sentence) - len(sentence.lstrip())
    names = ("efficacy", "onset", "duration", "safety")
    return any(m.start() == lead for name in names for m in rules.cues[name].finditer(sentence))


def extract_claims(text: str, rules: Rules, sentences: Sequence[Sentence] | None = None) -> list[Claim]:
    """Every claim on a page, in page order, with ids ``c1``, ``c2`` …"""
    sents = list(sentences) if sentences is not None else split_sentences(text)
    if any(len(sent.text) > MAX_SENTENCE_CHARS for sent in sents):
        # What the page is about comes from the text that is read: a block that is only listed
        # must not cost every page-wide pattern a pass over megabytes.
        text = "\n\n".join(sent.text for sent in sents if len(sent.text) <= MAX_SENTENCE_CHARS)
    ctx = page_context(text, rules, [sent for sent in sents if len(sent.text) <= MAX_SENTENCE_CHARS])
    claims: list[Claim] = []
    # A sentence's claims depend on its text and flags and on the earlier sentences' text, never on
    # where it stands (the location is copied in): a long page that repeats a paragraph reads it once.
    seen: dict[tuple[object, ...], list[Claim]] = {}
    for i, sent in enumerate(sents):
        # Earlier sentences of the same paragraph, nearest first: they resolve "it" and "these effects".
        earlier = [p for p in reversed(sents[max(0, i - 2) : i]) if p.location.paragraph == sent.location.paragraph]
        # Being last matters only for a sentence that may be cut off (is_truncated); keying on it
        # otherwise would read the final copy of a repeated paragraph again.
        last = i == len(sents) - 1 and is_truncated(sent.text, heading=sent.heading)
        lead = lead_in(sents, i) if sent.list_item and not earlier else None
        section = section_of(sents, i, rules)
        key = (sent.text, sent.heading, sent.question, sent.list_item, last, lead, section, *(e.text for e in earlier))
        found = seen.get(key)
        if found is None:
            found = seen[key] = _claims_for(
                replace(sent, location=_NOWHERE), earlier, ctx, rules, last=last, lead=lead, section=section
            )
        claims.extend(replace(c, location=sent.location) for c in found)
    return [replace(c, id=f"c{n}") for n, c in enumerate(claims, start=1)]


def _claims_for(
    sent: Sentence,
    earlier: list[Sentence],
    ctx: PageContext,
    rules: Rules,
    *,
    last: bool = False,
    lead: str | None = None,
    section: str | None = None,
) -> list[Claim]:
    s = sent.text
    if lead is not None and not earlier:
        # A list item reads as the end of its lead-in: "Possible side effects include:" + "Mild
        # nausea" is a side-effect claim; the lead-in gives the item its topic.
        earlier = [replace(sent, text=lead, list_item=False)]
    prev = earlier[0] if earlier else None
    if len(s) > MAX_SENTENCE_CHARS:
        # Thousands of characters without a sentence end (text stripped of punctuation, a scraped
        # menu): not one claim, and every cue scan would be a pass over all of it. Listed, not read.
        if rules.drug_names.any(s) or ctx.about_drug:
            reason = f"no sentence end in {len(s):,} characters: too long to read as a claim; check it by hand"
            shown = s[:_SHOWN_CHARS].rsplit(" ", 1)[0] + " …"
            return [
                Claim(
                    id="",
                    text=shown,
                    kind="not_checkable",
                    location=sent.location,
                    not_checkable_reason=reason,
                    checkability="too_long",
                )
            ]
        return []
    if sent.question:
        return []
    # The label's own schedule in the page's words names the product as surely as its name ("Treatment starts
    # with two sessions a week for four weeks, then weekly sessions in weeks 5 to 8").
    named = rules.drug_names.any(s) or label_schedule(s, rules)
    strong = rules.cues["regulatory"].any(s) or rules.safety_stances["denial"].any(spelled_out(s)) or has_rate(s, rules)
    # A label that asserts something outright ("Immediately Effective", "Little to No Side Effects")
    # is a claim in a few words; a topic heading ("Side Effects of Treatment") is not.
    label_claim = (
        (sent.heading or sent.list_item)
        and (named or ctx.about_drug)
        and (
            asserted_strength(s, rules).level in ("absolute", "intensified")
            or (sent.heading and asserting_heading(s, rules))
        )
    )
    if sent.heading and not (named and strong) and not label_claim:
        return []
    base = Claim(id="", text=s, kind="not_checkable", location=sent.location, heading=sent.heading, drug_named=named)
    # A list item is unpunctuated by nature: only a dangling last word makes it look cut off.
    if last and is_truncated(s, heading=sent.heading or sent.list_item):
        # The page stops mid-sentence (a saved excerpt): what the sentence would have said is unknown.
        if named or ctx.about_drug:
            reason = "the page text ends mid-sentence; the claim cannot be read whole"
            return [replace(base, not_checkable_reason=reason, checkability="truncated")]
        return []
    hit = _not_checkable(s, rules, overriding=True)
    if hit:
        name, reason, anecdote = hit
        if any(r.hide and r.name == name for r in rules.not_checkable):
            return []
        # Mechanism talk is only worth listing when it is about the drug.
        if name == "mechanism" and not (named or (ctx.about_drug and re.match(r"\s*(it|this|these|they)\b", s, re.I))):
            return []
        if not (named or ctx.about_drug):
            return []
        return [replace(base, not_checkable_reason=reason, anecdote=anecdote, checkability=reason_code(name))]
    combined = checkability_cue("combination", s, rules)
    if not named and not (sent.heading or sent.list_item) and is_slogan(s, rules):
        return [replace(base, not_checkable_reason=_SLOGAN, checkability="puffery")] if ctx.about_drug else []
    if not named and (
        not ctx.about_drug
        # A combination cue keeps a sentence about therapy with the drug ("Assisted therapy pairs the
        # medicine with …"), unless another treatment is the one assisting ("MDMA-assisted therapy").
        or (other_subject(s, rules) and (not combined or assisted_by_other(s, rules)))
        or not_about_drug(s, earlier, rules)
        or checkability_cue("other_treatment_object", s, rules)
    ):
        return []
    prev_text = prev.text if prev else ""
    prev_topics = bool(prev_text) and any(
        p.any(prev_text) for t, p in rules.safety_topics.items() if t != "general_safety"
    )
    if concedes_to_general_subject(s, rules):
        return [replace(base, not_checkable_reason=_GENERAL, checkability="out_of_scope")]
    found: dict[str, str] = {}
    # A time claim in a later clause of its own ("A single infusion helps for about a week, while a
    # series of six brings relief for months"): a second claim of that kind, judged on its own time,
    # so the sentence's verdict is reconciled from both rather than the first clause's alone.
    more_times: list[tuple[str, str]] = []
    general_only = False
    for clause in _clauses(s):
        masked = mask_general_subject(clause, rules)
        for kind in _kinds(masked, s, prev_topics, rules):
            if kind in found and kind in _TIME_KINDS and another_time(kind, clause, found, more_times, rules):
                more_times.append((kind, clause))
            found.setdefault(kind, clause)
        general_only = general_only or (masked != clause and bool(_kinds(clause, s, prev_topics, rules)))
    if general_only and not found:
        # Every cue was in a clause about drugs in general ("30% of all prescribed medications are
        # not FDA approved for that purpose"): listed with the reason, never tested.
        return [replace(base, not_checkable_reason=_GENERAL, checkability="out_of_scope")]
    # An item of a side-effect list is a side-effect claim whatever words it uses ("Feeling detached").
    side_effect_list = lead is not None and rules.cues["safety"].any(lead)
    if side_effect_list and not found and sent.list_item:
        found["safety"] = s
    claim_text = s
    # "The good news is … therapies to treat PTSD. One such treatment is ketamine therapy."
    if (
        not found
        and named
        and prev
        and rules.carry_over.any(s)
        and rules.cues["efficacy"].any(prev_text)
        and _indications(prev_text, rules)
        and not rules.drug_names.any(prev_text)
    ):
        found["efficacy"] = prev_text
        claim_text = f"{prev_text} {s}"
    implied_by_subject = False
    if not found and named and not sent.heading and _drug_then_condition(s, rules):
        # "IV ketamine shortens depressive episodes", "Spravato prevents depression from coming back":
        # the drug as the subject and a condition after it assert an effect, whatever the verb.
        found["efficacy"] = s
        implied_by_subject = True
    if not found:
        hit = _not_checkable(s, rules, overriding=False)
        if hit and (named or ctx.about_drug):
            return [replace(base, not_checkable_reason=hit[1], anecdote=hit[2], checkability=reason_code(hit[0]))]
        if ctx.about_drug and not named and is_puffery(s, rules, specific=False):
            # Praise of the clinic on a page about the drug ("Our caring team …") is listed as such.
            return [replace(base, not_checkable_reason=_PUFFERY, checkability="puffery")]
        if named:
            # A sentence about the drug is never dropped silently: "Ketamine cures depression." has
            # no claim wording ketlit knows, and an editor must still see that it was read.
            code = "puffery" if is_puffery(s, rules, specific=False) else "no_claim_wording"
            return [replace(base, not_checkable_reason=_unread_reason(s, rules), checkability=code)]
        return []
    # A bullet ("FDA-approved medication", "Non-addictive") is a claim in a few words; so is a
    # sentence naming the drug ("Ketamine treats depression."): the minimum is for sentences that
    # lean on the page for their subject ("Relief varies.").
    if (
        len(s.split()) < rules.min_claim_words
        and not named
        and not ((sent.list_item and (strong or side_effect_list or _verb_first(s, rules))) or label_claim)
        # On a page about the drug a figure under its label ("Response rate: 70%"), a denial or a regulatory status
        # ("It is non-addictive.", "It is FDA-approved.") is a claim in three words.
        and not (strong and ctx.about_drug)
    ):
        return []
    weak = _not_checkable(s, rules, overriding=False)
    if weak and weak[0] in ("research_status",) and set(found) <= {"efficacy"} and not rules.cues["hedges"].any(s):
        return [replace(base, not_checkable_reason=weak[1], anecdote=weak[2], checkability=reason_code(weak[0]))]
    specific = bool(_indications(s, rules)) or bool(set(found) - {"efficacy"})
    if specific and is_puffery(s, rules, specific=False):
        # Claim words inside the praise ("a safe and sacred container", "your healing journey") are
        # the praise's, not a claim: what is left once it is blanked out decides.
        masked = mask_puffery(s, rules)
        left = {k for c in _clauses(masked) for k in _kinds(c, masked, prev_topics, rules)} - {"efficacy"}
        specific = bool(left) or bool(_indications(masked, rules))
    if is_puffery(s, rules, specific=specific):
        return [replace(base, not_checkable_reason=_PUFFERY, checkability="puffery")]
    out: list[Claim] = []
    for kind, clause in [*found.items(), *more_times]:
        claim = _operationalise(replace(base, text=claim_text, kind=kind, clause=clause), earlier, ctx, rules,
                                section=section)
        if implied_by_subject:
            note = (
                "no effect wording ketlit knows; the drug as subject of a sentence naming a condition "
                "is read as an efficacy claim"
            )
            claim = replace(claim, implied=True, notes=(*claim.notes, note))
        out.append(claim)
    return out


_TIME_KINDS: Final = frozenset({"onset", "duration"})


def _unread_reason(sentence: str, rules: Rules) -> str:
    conditions = ", ".join(c.replace("_", " ") for c in _indications(sentence, rules))
    said = f"names the drug and {conditions}" if conditions else "names the drug"
    return f"{said}, but in no wording ketlit can test; check it by hand"


def _operationalise(
    claim: Claim, earlier: list[Sentence], ctx: PageContext, rules: Rules, *, section: str | None = None
) -> Claim:
    notes: list[str] = []
    clause, sentence = claim.clause, claim.text
    prev = earlier[0].text if earlier else ""
    if not claim.drug_named:
        notes.append("the sentence does not name the drug; attributed to it from the page")
    indication = as_page_population(_indications(clause, rules) or _indications(sentence, rules), sentence, ctx, rules)
    if not indication and claim.kind in ("efficacy", "efficacy_rate", "onset", "duration"):
        from_prev = next((found for e in earlier if (found := _indications(e.text, rules))), [])
        by_comparator = implied_by_comparator(sentence, rules)
        if by_comparator:
            # The sentence's own comparison says which condition it is about, before any context.
            indication = _resistant(by_comparator, sentence, rules)
            notes.append(f"indication {', '.join(indication)} implied by the comparator the sentence names")
        elif from_prev:
            indication = _resistant(from_prev, sentence, rules)
            notes.append(f"indication {', '.join(indication)} taken from the preceding sentences")
        elif section:
            # The section's heading or question says what its sentences are about before the page at large.
            indication = _resistant(_indications(section, rules), sentence, rules)
            notes.append(f"indication {', '.join(indication)} taken from the heading above (“{section}”)")
        elif ctx.indications:
            indication = _resistant(list(ctx.indications), sentence, rules)
            notes.append(f"indication {', '.join(indication)} inferred from the page's most frequent conditions")
        else:
            notes.append("no indication stated")
    route = _routes(sentence, rules)
    if route and not _routes(without_compared_routes(sentence, rules), rules):
        # The only route named is what the claim compares with ("within hours, just like IV"): the
        # claim's own route is the page's; a head-to-head claim ("as effective as IV ketamine") keeps
        # both, so it is tested as the comparison it is.
        comparison = rules.comparative["claim_better"].any(sentence) or rules.comparative["claim_equal"].any(sentence)
        route = [ctx.route, *route] if comparison and ctx.route and ctx.route not in route else []
    subject = _without_comparator(sentence, rules)
    molecule = molecules_in(subject, rules)
    parts = assertion_parts(sentence, rules, kind=claim.kind)
    if not route and ctx.route and not set(indication) & set(rules.route_page_not_for):
        # A form the sentence names that only one route gives ("esketamine" → intranasal) keeps its
        # route on a page about another ("In the SUSTAIN-1 trial, … esketamine" on an infusion page).
        own = [r for r, m in rules.molecule_by_route.items() if molecule == [m]]
        route = own[:1] if own and ctx.route not in own else [ctx.route]
        notes.append(
            f"route {route[0]}: the form the sentence names" if route != [ctx.route]
            else ctx.route_note or f"route {ctx.route} inferred from the page"
        )
    # The page's form does not replace a generic name set against another form ("ketamine is as
    # effective as esketamine" on a Spravato page compares the two).
    compared = subject != sentence
    if not molecule or (
        molecule == [rules.molecule_default] and ctx.molecule and ctx.molecule != rules.molecule_default
        and not compared
    ):
        if ctx.molecule:
            molecule = [ctx.molecule]
            notes.append(ctx.molecule_note or f"molecule {ctx.molecule} inferred from the page")
    elif not rules.molecules[molecule[0]].any(sentence) and molecule == [rules.molecule_default]:
        by_route = [rules.molecule_by_route.get(r, rules.molecule_default) for r in route]
        # A compounded product ("compounded ketamine nasal spray") is the generic drug made up by a pharmacy,
        # whatever its route: never the branded product the route would otherwise imply.
        if by_route and set(by_route) != {rules.molecule_default} and "compounded" not in parts.product:
            # "ketamine … intranasally": the nasal product is another molecule; each route is
            # tested against its own product's trials, not all against the racemic drug's.
            molecule = list(dict.fromkeys(by_route))
            said = ", ".join(f"{r} → {m}" for r, m in zip(route, by_route, strict=True) if m != rules.molecule_default)
            notes.append(f"generic drug name read by route ({said}; otherwise {rules.molecule_default})")
        else:
            notes.append(f"generic drug name read as {rules.molecule_default}")
    # Strength from the claim's own clause when it carries any strength word, else the sentence's.
    strength = asserted_strength(clause, rules)
    if strength.level == "plain" and clause != sentence:
        strength = asserted_strength(sentence, rules)
    hedged = strength.level == "hedged"
    implied = rules.cues["implied"].any(sentence)
    if implied:
        notes.append("a usage statement, read as an implied efficacy claim")
    outcome: str | None = None
    defined = False
    timepoint: float | None = None
    threshold: Threshold | None = None
    topics: tuple[str, ...] = ()
    stance: str | None = None
    assertion: RegulatoryAssertion | None = None
    dose: Dose | None = None
    if claim.kind in ("efficacy_rate", "efficacy"):
        rate = rate_in(clause) if claim.kind == "efficacy_rate" else None
        outcome, defined, onotes = _outcome(clause, rules, rate[2] if rate else None)
        notes.extend(onotes if claim.kind == "efficacy_rate" or not defined else [])
        times = [t for t in find_times(clause) if not re.search(r"\b(19|20)\d\d\b", t.text)]
        if times:
            timepoint = times[0].hours
        elif claim.kind == "efficacy_rate":
            notes.append("no timepoint stated; tested at the timepoint most studies report")
    if claim.kind == "efficacy_rate":
        threshold, tnotes = _rate_threshold(clause, rules)
        notes.extend(tnotes)
    elif claim.kind in ("onset", "duration"):
        threshold, tnotes = _time_threshold(clause, claim.kind, rules)
        notes.extend(tnotes)
    elif claim.kind == "safety":
        topics, stance = read_safety(spelled_out(clause), spelled_out(prev), rules)
        times = find_times(clause)
        if times and stance == "transience":
            op = "~" if re.search(r"\b(about|around)\b", clause, re.I) else "<="
            threshold = Threshold(op, times[0].hours, "hours")
    elif claim.kind == "regulatory":
        assertion = read_regulatory(spelled_out(clause), spelled_out(sentence), ctx, rules)
        if assertion.approval_inferred:
            said = ", ".join(assertion.approval_indications)
            notes.append(f"approval claim names no use; read as about the page's conditions ({said})")
    elif claim.kind == "dosing":
        dose = stated_dose(clause)
        if dose is None and (relative := relative_dose(clause, rules)):
            dose, note = relative
            notes.append(note)
    return replace(
        claim,
        indication=tuple(indication),
        route=tuple(route),
        molecule=tuple(molecule),
        hedged=hedged,
        implied=implied,
        notes=tuple(notes),
        outcome=outcome,
        outcome_defined=defined,
        timepoint_hours=timepoint,
        threshold=threshold,
        safety_topics=topics,
        safety_stance=stance,
        regulatory=assertion,
        dose=dose,
        strength=strength.level,
        strength_cues=strength.cues,
        product=parts.product,
        scope=parts.scope,
        comparator=parts.comparator,
        jurisdiction=parts.jurisdiction,
        page_jurisdiction=ctx.jurisdiction,
        denied=claim.kind == "efficacy"
        and any(rules.cues.get(k, Patterns(())).any(spelled_out(clause)) for k in ("efficacy_denial", "reported_null")),
    )
