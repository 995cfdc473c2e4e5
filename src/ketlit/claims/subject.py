"""Whose sentence it is: a condition, treatment in general or another treatment as the subject.

Design decisions:

* **The subject decides, not the words.** A sentence naming no drug on a page about the drug is
  attributed to it unless something else is its subject: a condition ("Bipolar disorder is …"),
  treatment in general ("Treatment has conventionally been …"), or another treatment named before
  the claim ("TMS relieves depression in weeks"). A pronoun after a sentence about a condition
  ("It cannot be cured") is about that condition.
* **A condition that qualifies a noun is not the subject.** "Fibromyalgia patients often see …" is
  about patients, what they gain is the treatment's; "PTSD is …" is about PTSD.
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.claims.assertion import checkability_cue
from ketlit.claims.relative_dose import DOSE
from ketlit.claims.rules import Rules
from ketlit.claims.text import Sentence

# "It …"/"They …" as a subject, not "This treatment …" (which names the drug's treatment).
_PRONOUN_SUBJECT = re.compile(
    r"\s*(it|this|they|these)\b(?!\s+(drug|medication|medicine|treatment|therapy|infusions?))", re.I
)


# A condition naming who is meant ("Fibromyalgia patients often see …", "PTSD sufferers …") or
# whose effect ("The antidepressant effect of a single dose …"): the people or the effect are the
# subject, and what they gain is the treatment's.
# The noun may be part of the condition's own phrase ("antidepressant effect" names depression).
_NOUNS = (
    r"(patients|sufferers|clients|individuals|adults|veterans|people|users|populations?"
    r"|effects?|relief|benefits?|response|action)"
)
_QUALIFIED = re.compile(rf"\s+{_NOUNS}\b", re.IGNORECASE)
_QUALIFIER_END = re.compile(rf"\b{_NOUNS}$", re.IGNORECASE)


def not_about_drug(sentence: str, earlier: list[Sentence], rules: Rules) -> bool:
    """A sentence naming no drug whose subject is a condition or treatment in general.

    "Treatment has conventionally been …", "Bipolar disorder is …", and "It cannot be cured" after
    a sentence whose subject was a condition are about the condition, not the drug."""
    if checkability_cue("generic_subject", sentence, rules) and not DOSE.search(sentence):
        # "Treatment starts with 56 mg …" states the page's dose: not treatment in general.
        return True
    relief = rules.cues.get("relief_subject")  # "Suicidal thoughts fade within a day": the treatment's effect
    if (relief is None or not relief.any(sentence)) and (
        opens_with_condition(sentence, rules) or checkability_cue("condition_description", sentence, rules)
    ):
        return True
    prev = earlier[0].text if earlier else ""
    pronoun = _PRONOUN_SUBJECT.match(sentence)
    if pronoun and prev and not rules.drug_names.any(prev):
        return opens_with_condition(prev, rules) or checkability_cue("generic_subject", prev, rules)
    return False


def opens_with_condition(sentence: str, rules: Rules) -> bool:
    """The sentence's first words name a condition: it is the subject ("PTSD is …", "Bipolar
    disorder affects …"), unlike "Greater reduction of depressive symptoms …"."""
    # A bullet's label is not its subject: "Fibromyalgia: infusions may ease …" is about the infusions. A label
    # is a few words; a clause before a colon ("In 2020 the FDA added a second use: depressive symptoms in …")
    # is the sentence's own subject.
    rest = re.sub(r"^\s*(?:[^\s:.;!?]+\s+){0,4}[^\s:.;!?]+:\s+(?=\S)", "", sentence)
    rest = re.sub(r"^\s*(the|a|an)\s+", "", rest, flags=re.IGNORECASE)
    return any(
        (m := p.search(rest)) is not None
        and m.start() == 0
        and not _QUALIFIED.match(rest, m.end())
        and not _QUALIFIER_END.search(m.group())
        for p in rules.indications.values()
    )


def other_subject(sentence: str, rules: Rules) -> bool:
    """Another treatment is named before the first claim cue: the sentence is about it."""
    # A treatment that failed before ("people who have not responded to two antidepressants") says
    # who the patients are, not what the sentence is about.
    other = next(
        (m for m in rules.other_treatments.finditer(sentence) if not _FAILED.search(sentence, 0, m.start())),
        None,
    )
    if other is None:
        return False
    pronoun = rules.anaphora.search(sentence)
    if pronoun is not None and pronoun.start() < other.start():
        return False
    cue_positions = [
        m.start()
        for name in ("efficacy", "onset", "duration", "safety", "regulatory")
        for m in rules.cues[name].finditer(sentence)
    ]
    if not cue_positions or other.start() < min(cue_positions):
        return True
    # What patients receive, named after the claim verb ("respond to a six-week course of TMS"): the
    # treatment given is the other one, whatever the grammatical subject.
    # A comparator ("unlike a course of antidepressants") leaves the claim about the drug.
    return any(
        _COURSE_OF.search(sentence, 0, m.start()) and not _COMPARED.search(sentence[max(0, m.start() - 40) : m.start()])
        for m in rules.other_treatments.finditer(sentence)
    )


def assisted_by_other(sentence: str, rules: Rules) -> bool:
    """Another treatment is what assists the therapy ("MDMA-assisted therapy is …", "psilocybin assisted
    psychotherapy"): the combination the sentence talks about is that treatment's, not the drug's."""
    return any(_ASSISTED.match(sentence, m.end()) for m in rules.other_treatments.finditer(sentence))


_ASSISTED = re.compile(r"[- ]?assisted\b", re.IGNORECASE)


# Prior treatment failure right before a treatment's name: "who have not responded to (at least) two",
# "that did not improve with", "who failed", "resistant to" (not "tried": "patients who tried TMS improved"
# is about TMS).
_FAILED = re.compile(
    r"\b((not|n.t|never) (yet )?(responded|respond|improved|improve|benefit+ed|benefit) (well |enough |adequately )?"
    r"(to|with|from|on)|failed|failing|resistant to|unresponsive to|refractory to)"
    r"\s+((at least|two|three|four|\d+|one or more|multiple|several|other|prior|previous|standard|conventional"
    r"|first-line|traditional|different|more)\s+)*$",
    re.IGNORECASE,
)
# "a (six-week) course of", "sessions of", "treatment with" right before a treatment's name.
_COMPARED = re.compile(r"\b(than|unlike|versus|vs|compared (with|to)|instead of|rather than|like)\b", re.IGNORECASE)
_COURSE_OF = re.compile(
    r"\b(course|series|round|block|sessions?|treatments?|trials?) (of|with)\s+(\w+\s+){0,1}$", re.IGNORECASE
)


def another_time(kind: str, clause: str, found: dict[str, str], more: list[tuple[str, str]], rules: Rules) -> bool:
    """Whether a later clause's time is a claim of its own about the drug: not the other treatment's ("…,
    while the benefits of ECT last for months"), not a schedule ("…; boosters are given every few weeks
    to keep you well"), and not a clause already read (a repeated clause is one claim)."""
    if rules.other_treatments.search(clause):  # any other treatment named (other_subject asks only where)
        return False
    if ("dosing_schedule" in rules.cues and rules.cues["dosing_schedule"].any(clause)) or _EVERY.search(clause):
        return False
    seen = {_bare(found[kind]), *(_bare(c) for k, c in more if k == kind)}
    return _bare(clause) not in seen


# How often something is given ("boosters every few weeks"): a schedule, whose span is no time of benefit.
_EVERY: Final = re.compile(
    r"\bevery (few |couple of |other |\d+ |two |three |four |six )?(days?|weeks?|months?)\b", re.IGNORECASE
)


def _bare(clause: str) -> str:
    return re.sub(r"[\W_]+", " ", clause).strip().lower()
