"""What a study tested: its question type, from the title, aim and methods (rules file ``[[question]]``).

The question decides what a study can be evidence for: only ``efficacy_vs_control`` (and, with
low weight, ``single_arm_open_label``) answers "does the drug work"; ketamine as an ECT
anaesthetic, peri-operative prevention, a dose comparison or a biomarker sub-study does not,
however positive its sentences (the expert review found 16 of 50 counted records off-topic in
this way).

Design decision: an ordered list of rules, first match wins, each looking at one of four
texts (title; title + aim; title + aim + methods; the whole abstract), optionally limited to (or barred from) design
tags, or demanding a second pattern of the same text (``requires``); ``{drug}`` in a pattern stands for the
configured drug's names. The order carries the priorities an expert applies: a review is a review whatever it
compares; a post hoc analysis of a placebo-controlled trial is a secondary analysis, not a new trial; a head-to-head
trial is one with an active comparator and no placebo arm.

Principles the rules file follows, so that they hold for abstracts about any drug:
- **The condition treated is not a harm.** Abuse, misuse and dependence make a safety question
  only when they are the study drug's own ("{drug} dependence", "abuse liability"); alcohol or
  cocaine dependence is the condition a trial treats.
- **A harm question is one the study sets out to answer**: safety words count in the aim only
  after an aim verb ("to assess the long-term safety"), not in a background sentence, and not
  when the aim also names the condition's own outcomes (craving, relapse, therapeutic effects).
- **A placebo arm does not make a treatment trial**: volunteer, drug-model, subgroup and
  predictor titles are decided before the rule that reads a placebo arm as efficacy.

Why rules and no trained model here (``tools/question_model_cv.py`` measures it): a tf-idf +
logistic-regression classifier over the title, aim, methods and design tags scored 0.52 in 5-fold
cross-validation on the 145 development records of the time (rules 0.94, written on them), and 0.21
against the rules' 0.83 on the 29 records that reach a catch-all rule, the only place a hybrid would
let it decide. Re-measured on 425 development records (stop 35): the model 0.71, the rules 0.89 on
them and 0.76 on the held-back third they were never written on; at the catch-all rules, model 0.55
against rules 0.84 (88 records). The model still loses where it would decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

from ketlit.evidence.matcher import Matcher, TextPattern, fold
from ketlit.evidence.roles import RoledSentence

Question = Literal[
    "efficacy_vs_control",
    "head_to_head",
    "dose_or_schedule",
    "anaesthetic_or_adjunct",
    "perioperative_prevention",
    "mechanism_or_biomarker",
    "predictor_or_secondary",
    "safety_only",
    "single_arm_open_label",
    "observational",
    "case_report",
    "systematic_review",
    "protocol",
    "other",
]
QUESTIONS: Final[tuple[Question, ...]] = get_args(Question)
Where = Literal["title", "aim", "design", "abstract"]
WHERE: Final[tuple[Where, ...]] = get_args(Where)


@dataclass(frozen=True, slots=True)
class QuestionRule:
    """One ``[[question]]`` entry, compiled."""

    value: Question
    where: Where
    pattern: TextPattern
    unless: TextPattern | None
    designs: frozenset[str]
    unless_designs: frozenset[str]
    index: int
    # The rule decides by design tags alone (its only pattern is "."): what ``explain`` shows as its
    # cue is then the tags, not the title's first character that "." matched.
    by_design: bool = False
    # Patterns that veto the rule when a results or conclusions sentence has one ("unless_results"): what the
    # abstract reports, not how it says it was designed (a protocol-tagged record that reports results is none).
    unless_results: TextPattern | None = None
    # Patterns the same text must also match ("requires"): a rule that needs two things said, each anywhere in the
    # text (users of the drug, and a group that did not use it), as two anchored alternations rather than one
    # lookahead regex that no anchor can skip.
    requires: TextPattern | None = None


@dataclass(frozen=True, slots=True)
class StudyQuestion:
    """The question and the rule (and words) that decided it, for ``ketlit explain``."""

    value: Question
    rule: int
    words: str


_AIM: Final = re.compile(
    r"\b(?:aims?|aimed|objectives?|purpose|goals?) (?:of|was|were|is|to)\b|\b(?:we|this study|the present study|"
    r"this (?:analysis|trial|investigation|report)) (?:sought|seeks?|aim(?:s|ed)?|investigat\w*|examin\w*|evaluat\w*|"
    r"assess\w*|explor\w*|test\w*|hypothesi[sz]ed|compar\w*|determin\w*|report\w*|describ\w*|analy[sz]\w*)\b",
    re.I,
)
# A literal every alternative of _AIM needs, looked for in the folded sentence (``in``, a few in C) before the regex,
# which ``re`` tries at every character (no literal prefix under IGNORECASE): 7 in 10 background sentences have none.
_AIM_NEEDS: Final = ("aim", "objective", "purpose", "goal", "we ", "this ", "the present study ")


def _states_aim(text: str) -> bool:
    """Whether ``text`` says what the study aims at (:data:`_AIM`). ``fold`` is the profile's: its sentences are
    folded already (a memo hit, not a second fold)."""
    folded = fold(text)
    return any(w in folded for w in _AIM_NEEDS) and _AIM.search(text) is not None


def _before_methods(sentences: Sequence[RoledSentence]) -> Iterator[RoledSentence]:
    """The sentences before the first methods, results or conclusions sentence."""
    for rs in sentences:
        if rs.role in ("methods", "results", "conclusions"):
            return
        yield rs


def _texts(title: str, sentences: Sequence[RoledSentence]) -> dict[Where, str]:
    aim = [title]
    design = [title]
    for rs in sentences:
        if rs.role == "objective":
            aim.append(rs.sentence.text)
            design.append(rs.sentence.text)
        elif rs.role == "methods":
            design.append(rs.sentence.text)
    # An abstract with no objective sentence states its aim in a background sentence that says so ("This study
    # aimed to", "We investigated whether"), often the last of a labelled BACKGROUND section; without one, in the
    # first sentence or two. Background before the aim ("there is little information about predictors of response")
    # says what is not known, not what the study asks; methods sentences ("We assessed adverse events at every
    # visit") say how, so only the first such sentence before them counts.
    if len(aim) == 1:
        stated = next(
            (rs.sentence.text for rs in _before_methods(sentences) if _states_aim(rs.sentence.text)),
            None,
        )
        aim.extend([stated] if stated else (rs.sentence.text for rs in sentences[:2] if rs.role != "results"))
    return {"title": title, "aim": " ".join(aim), "design": " ".join(design)}


def _whole(title: str, sentences: Sequence[RoledSentence]) -> str:
    """Title and every sentence: where a review or letter may say what it is ("In this article, we present a
    review ..."), in any role. Joined only for a record a rule asks it of (most are decided before)."""
    return " ".join([title, *(rs.sentence.text for rs in sentences)])


def _search(pattern: TextPattern, text: str, folded: str | None) -> re.Match[str] | None:
    """``pattern.search(text)``. The whole abstract (:func:`_whole`; ``folded``, its folded form, is given for it
    alone), which no other group reads, is not scanned for every group's anchors (~1,500 characters a record):
    the group's own are looked up in it (:meth:`Matcher.search_alone`)."""
    if folded is None or not isinstance(pattern, Matcher):
        return pattern.search(text)
    return pattern.search_alone(text, folded)


def _reports(pattern: TextPattern, sentences: Sequence[RoledSentence]) -> bool:
    """Whether a results or conclusions sentence matches ``pattern`` (each searched alone: a cue never spans two)."""
    return any(rs.role in ("results", "conclusions") and pattern.search(rs.sentence.text) for rs in sentences)


def classify(
    title: str, sentences: Sequence[RoledSentence], designs: frozenset[str], rules: Sequence[QuestionRule]
) -> StudyQuestion:
    """The study's question: the first rule that matches, else ``other``."""
    # The aim and design texts are joined only when a rule asks for them: a record a title rule decides (and a
    # review's topic, read from its title) never needs them.
    texts: dict[Where, str] = {"title": title}
    whole_folded: str | None = None
    for rule in rules:
        if (rule.designs and not (rule.designs & designs)) or (rule.unless_designs & designs):
            continue
        folded = None
        if rule.where == "abstract":
            if whole_folded is None:
                texts["abstract"] = _whole(title, sentences)
                # Joined from its parts' folds, once per record: folding is per character, and the profile has
                # folded the sentences already.
                whole_folded = " ".join([fold(title), *(fold(rs.sentence.text) for rs in sentences)])
            folded = whole_folded
        elif rule.where not in texts:
            texts.update(_texts(title, sentences))
        text = texts[rule.where]
        if rule.requires is not None:
            # A rule with two conditions on a whole abstract (users, and non-users) is asked its veto and its second
            # condition first: a trial's "placebo" or no comparison group settles most records before the users'
            # patterns, whose anchors ("who", "use", the drug's names) occur in nearly every abstract, are searched.
            if (rule.unless is not None and _search(rule.unless, text, folded)) or _search(
                rule.requires, text, folded
            ) is None:
                continue
            m = _search(rule.pattern, text, folded)
            if m is None:
                continue
        else:
            m = _search(rule.pattern, text, folded)
            if m is None or (rule.unless is not None and _search(rule.unless, text, folded)):
                continue
        if rule.unless_results is not None and _reports(rule.unless_results, sentences):
            continue
        if rule.by_design:
            return StudyQuestion(rule.value, rule.index, "design tag " + ", ".join(sorted(rule.designs & designs)))
        return StudyQuestion(rule.value, rule.index, m.group(0))
    return StudyQuestion("other", -1, "")
