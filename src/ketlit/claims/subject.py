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


def not_what_it_treats(clause: str, drug_at: int, after: str, rules: Rules) -> bool:
    """The drug named before a condition (``after`` is the clause after the drug), yet the condition is not what it
    is said to treat: a service's name ("Ketamine infusions for depression at Oakwood") or a harm or caution
    ("Spravato carries a warning about suicidal thoughts")."""
    return _service_name(clause, drug_at, after, rules) or _HARM_BEFORE_CONDITION.search(after) is not None


# "Spravato carries a warning about suicidal thoughts", "can worsen psychosis", "is contraindicated in …": the
# condition is a harm or a caution, not what the drug treats (a paraphrase test, stop 49: read as an efficacy claim
# and contradicted by the label). Not "causes" or "induces": "ketamine causes deep sedation" is the anaesthetic
# effect.
_HARM_BEFORE_CONDITION = re.compile(
    r"^[^.;]{0,60}?\b(?:warnings?|boxed|black[- ]box|risks? of|worsen(?:s|ed|ing)?|side[- ]effects?|contraindicat\w+"
    r"|not (?:recommended|suitable|safe))\b",
    re.IGNORECASE,
)


def _service_name(clause: str, drug_at: int, after: str, rules: Rules) -> bool:
    """"Ketamine infusions for depression at Oakwood.", "IV ketamine for PTSD": a service's name, the drug
    first and no verb after the condition, which asserts nothing (it was judged as an efficacy claim)."""
    if not _LEAD.fullmatch(clause[:drug_at]):
        return False
    found = [m for p in rules.indications.values() if (m := p.search(after))]
    first = min(found, key=lambda m: m.start(), default=None)
    if first is None or not _SERVICE_NAME.match(after[: first.start()]):
        return False
    rest = after[first.end() :]
    # A word right after the condition is its verb, "-s" or not ("Ketamine infusions for depression work.");
    # a name goes on only with a place, another condition or punctuation ("… at Oakwood", "…, PTSD").
    return bool(_NAME_GOES_ON.match(rest)) and not _has_verb(rest)


# Before the drug in a service's name: a bullet mark, a route, "our", "the".
_LEAD = re.compile(r"\s*(\W\s*)?((IV|intravenous|intranasal|nasal|oral|our|the)\s+)*", re.IGNORECASE)
# Between the drug and the condition in a service's name ("Ketamine infusions for", "Spravato treatment for").
_SERVICE_NAME = re.compile(
    r"\s*((IV|intravenous|intranasal|nasal|oral|sublingual|IM|-?assisted)\s+)*(infusions?|therapy|therapies|"
    r"treatments?|injections?|sessions?|spray|care|services?|programs?|programmes?)?\s*(for|in|and)\s+(\w+\s+)?$",
    re.IGNORECASE,
)
_NAME_GOES_ON = re.compile(r"\s*($|[^\w\s]|(at|in|near|from|with|by|on|and|or)\b)", re.IGNORECASE)
_AUXILIARY = re.compile(r"\b(is|are|was|were|has|have|had|can|could|may|might|will|would|should|does|do|did)\b", re.I)
# "-s"/"-ed" words read as verbs unless a preposition, article or possessive makes them nouns ("in veterans").
_VERB_FORM = re.compile(r"(\w+\s+)?\b([a-z]{3,}(s|ed))\b", re.IGNORECASE)
_NOUN_BEFORE = re.compile(r"at|in|for|of|with|and|or|the|a|an|our|your|their|its|to|from|by|on", re.IGNORECASE)


def _has_verb(text: str) -> bool:
    if _AUXILIARY.search(text):
        return True
    return any(
        not (m.group(1) and _NOUN_BEFORE.fullmatch(m.group(1).strip()))
        and not m.group(2).lower().endswith(("ness", "ous"))
        for m in _VERB_FORM.finditer(text)
    )
