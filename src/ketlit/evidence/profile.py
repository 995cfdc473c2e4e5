"""A study profile: what one record studied and found, read once per record version.

Everything a verdict needs from a study, so that claim checks read stored profiles instead of
rescanning abstracts: the study question, its population / condition / molecule / route (from
the record's tags, which are about the study, not its background), comparator, size, blinding,
timepoints, findings with the sentence that carries each, adverse events, a review's pooled
estimates and stated certainty, and the trial it reports (for one trial, one vote).

A record that can be evidence is never dropped: when nothing can be read from it the profile
says ``readable = False`` and why, and it is listed as such.

Speed (the reader runs at ingest on every candidate record): each sentence is case-folded once,
and every regex run on whole sentences goes through a :class:`~ketlit.evidence.matcher.Gate`
(``re`` tries such patterns at every character; the literals they need rule most sentences
out with ``in``). Where a regex was rewritten for speed the comment says why its answers are
the same; ``tests/test_evidence_speed.py`` compares each with the form it replaced, and reads
whole profiles with every shortcut replaced by plain ``re``: byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from ketlit.evidence.adverse import AdverseEvent, read_adverse_events
from ketlit.evidence.arms import ComparatorKind, comparators_in, first_comparator
from ketlit.evidence.findings import Finding, read_findings
from ketlit.evidence.group_names import Named, original, printed_name, with_arm_names
from ketlit.evidence.groups import trial_keys
from ketlit.evidence.matcher import Gate, Matcher, fold
from ketlit.evidence.questions import StudyQuestion, classify
from ketlit.evidence.roles import FINDING_ROLES, RoledSentence, assign_roles
from ketlit.evidence.rules import EvidenceRules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.numwords import word_number
from ketlit.sources.models import Article

Relation = Literal["main", "secondary"]
Certainty = Literal["high", "moderate", "low", "very_low"]
PROFILE_VERSION: Final = 1

_NUMBER: Final = (
    r"(\d[\d,]*|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|"
    r"eight|nine))?|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen))"
)
_PEOPLE: Final = (
    r"(?:patients|participants|subjects|adults|individuals|veterans|women|men|inpatients|outpatients|volunteers|"
    r"people|persons|children|adolescents|youths?|cases)"
)
# Not a share ("Seventy-nine percent of subjects responded" counts no one: it was read as 79 participants).
_N3_TAIL: Final = rf"{_NUMBER}(?!\s+(?:percent|per cent)\b)\s+(?:\w+[- ]){{0,3}}(?:\w+[- ]?)?{_PEOPLE}\b"
_N_PATTERNS: Final = (
    re.compile(r"\b[nN]\s*=\s*(\d[\d,]*)"),
    re.compile(rf"\b(?:a total of|total of|in total,?|overall,?)\s+{_NUMBER}\s+(?:\w+\s+){{0,3}}?{_PEOPLE}\b", re.I),
    re.compile(rf"\brandomi[sz]ed\s+{_NUMBER}\s+(?:\w+\s+){{0,3}}?{_PEOPLE}\b", re.I),
    # Up to four words (or parts of words) between the number and the people: written as
    # "(?:\w+[- ]?){0,4}?", the regex engine tried every way of cutting those words into four
    # pieces (~70 µs a sentence). This form accepts the same strings, one way each; only the
    # number (group 1) is read from the match, and which number matches first is unchanged.
    re.compile(rf"(?:^|[.;:]\s+|\b(?:of|in|among|with)\s+){_N3_TAIL}", re.I),
)
# The words between the count and "studies" are words, not numbers: "until January 20, 2021, yielded 27
# reports" counts 27 reports, not 2021.
_K: Final = re.compile(
    rf"\b{_NUMBER}\s+(?:[a-z][\w-]*\s+){{0,3}}?(?:studies|trials|RCTs|articles|publications|reports)\b", re.I
)
_REVIEW_N: Final = re.compile(rf"\b{_NUMBER}\s+(?:\w+\s+){{0,2}}?{_PEOPLE}\b|\b[nN]\s*=\s*(\d[\d,]*)", re.I)
_POOLED_K: Final = re.compile(r"\b(?:studies|trials|k)\s*=\s*(\d+)|\b(\d+)\s+(?:studies|trials|RCTs)\b", re.I)
_POOLED_N: Final = re.compile(r"\b[nN]\s*=\s*(\d[\d,]*)|\b(\d[\d,]*)\s+(?:participants|patients)\b")
_BLINDING: Final = (
    ("double", re.compile(r"\b(?:double|triple|quadruple)[- ](?:blind|mask)", re.I)),
    ("single", re.compile(r"\bsingle[- ](?:blind|mask)", re.I)),
    ("open", re.compile(r"\bopen[- ]label\b|\bunblinded\b|\bnon-?blinded\b", re.I)),
)
_TIMEPOINT: Final = re.compile(
    r"\b(\d+(?:\.\d+)?|one|two|three|four|six|eight|twelve)[\s-]*"
    r"(minutes?|min|hours?|h|days?|weeks?|wk|months?|years?)\b",
    re.I,
)
# The certainty a review states of its evidence ("low-certainty evidence", "the evidence was of very low
# quality"), not the quality of studies ("nine high-quality studies", "we need larger high-quality
# studies", trials "classified as 'low quality' with regard to safety" by a reporting checklist).
_CERTAINTY: Final = re.compile(
    r"\b(high|moderate|low|very low)[- ]certainty\b|"
    r"\b(high|moderate|low|very low)[- ]quality (?:of )?evidence\b|"
    r"\bevidence (?:(?:[\w-]+ ){0,4}?(?:was|is|were) )?(?:of |rated (?:as )?)?"
    r"(high|moderate|low|very low)[- ]quality\b|"
    r"\b(?:certainty|quality) of (?:the )?evidence (?:was |is )?(?:rated )?(?:as )?(high|moderate|low|very low)\b|"
    r"\bGRADE[^.]{0,40}?\b(high|moderate|low|very low)\b",
    re.I,
)
# Each regex run per sentence with its gate: the literals it needs, tested on the folded
# sentence first (``re`` tries such a pattern at every position, ~20 ns a character).


class _SplitGate(Gate):
    """The last sample-size regex searched as two, with the same matches: its "^" alternative (a match at 0 only),
    then the others with their first character consumed from a case-sensitive class (".;:" and the first letters of
    "of", "in", "among", "with" in every case IGNORECASE gives them: i also matches İ and ı) and the rest checked
    behind it. A class first is what lets ``re`` skip to the characters a match can start at; the alternation led by
    "^" and "\\b" is tried at every character (~25% of the regex's time on methods sentences)."""

    __slots__ = ("_after", "_at_start")

    def __init__(self, regex: re.Pattern[str], at_start: re.Pattern[str], after: re.Pattern[str]) -> None:
        super().__init__(regex)
        self._at_start = at_start
        self._after = after

    def search(self, text: str, folded: str) -> re.Match[str] | None:
        start = self.start(folded)
        if start < 0:
            return None
        return (self._at_start.match(text) if start == 0 else None) or self._after.search(text, start)


_N3_AFTER: Final = re.compile(
    rf"(?-i:[.;:OoIi\u0130\u0131AaWw])(?:(?<=[.;:])|(?<=\bo)f|(?<=\bi)n|(?<=\ba)mong|(?<=\bw)ith)\s+{_N3_TAIL}", re.I
)
_N_EQUALS: Final = re.compile(r"\b[nN]\s*=\s*(\d[\d,]*)")
_ALLOCATED: Final = re.compile(
    r"\b(?:randomi[sz]|assign|allocat|receiv|compar|arms?\b|groups?\b|either\b|placebo|control|versus\b|vs\b)", re.I
)
# Words, not numbers, between the count and the people: "26 of 28 subjects" counts 28.
_PEOPLE_COUNT: Final = re.compile(rf"\b{_NUMBER}\s+(?:[a-z][\w-]*\s+){{0,3}}?{_PEOPLE}\b", re.I)
# Last, any count of people the sentence states ("In this crossover study, 24 healthy controls were given …",
# "We enrolled 65 patients with TRD"), but not those screened for the study ("502 subjects were screened and 330
# were randomly allocated") nor a number after a sign ("≥ 60 participants"): words, not numbers or prepositions, between
# ("at day 28 in patients with depression" counts no one).
_N_ANY: Final = re.compile(
    rf"(?<![-–≥>≤<±])\b{_NUMBER}\s+(?:(?!(?:in|of|with|among|at|on|for|to|from|and|or|per|by)\b)[a-z][\w-]*\s+){{0,3}}?"
    rf"(?:{_PEOPLE}|controls|users|respondents|parturients|mothers|infants|neonates|males|females|smokers|drinkers)\b"
    r"(?!\s+(?:(?:were|was|had been)\s+)?(?:screened|assessed|approached|contacted|invited|excluded))",
    re.I,
)
_N_GATES: Final[tuple[Gate, ...]] = (
    *(Gate(p) for p in _N_PATTERNS[:3]),
    _SplitGate(_N_PATTERNS[3], re.compile(_N3_TAIL, re.I), _N3_AFTER),
    Gate(_N_ANY),
)
_K_GATE: Final = Gate(_K)
_REVIEW_N_GATE: Final = Gate(_REVIEW_N)
_CERTAINTY_GATE: Final = Gate(_CERTAINTY)
_BLINDING_GATES: Final = tuple((value, Gate(pattern)) for value, pattern in _BLINDING)


@dataclass(frozen=True, slots=True)
class Review:
    """What a systematic review reports: studies, participants, and the certainty it states."""

    k: int | None
    n: int | None
    certainty: Certainty | None
    certainty_sentence: int | None
    # What the review is about when its title says so (``[[review_topic]]``: the drug as an ECT anaesthetic,
    # peri-operative prevention, against another treatment ...); None: the drug's effect in general.
    topic: StudyQuestion | None = None


@dataclass(frozen=True, slots=True)
class StudyProfile:
    """Everything read from one record; see the module docstring."""

    pmid: str
    question: StudyQuestion
    roles: tuple[str, ...]
    roles_labelled: bool
    conditions: tuple[str, ...]
    populations: tuple[str, ...]
    molecules: tuple[str, ...]
    routes: tuple[str, ...]
    designs: tuple[str, ...]
    comparator: str | None
    comparator_kind: str | None
    n: int | None
    blinding: str | None
    timepoints: tuple[str, ...]
    findings: tuple[Finding, ...]
    adverse_events: tuple[AdverseEvent, ...]
    review: Review | None
    nct_ids: tuple[str, ...]
    relation: Relation | None
    readable: bool
    unreadable_reason: str | None = None
    certainty_by_sentence: Mapping[int, Certainty] = field(default_factory=dict)
    # Other registries' IDs and study acronyms the record prints (ketlit.evidence.groups.trial_keys).
    trial_keys: tuple[str, ...] = ()


def _to_int(token: str) -> int | None:
    token = token.replace(",", "")
    return int(token) if token.isdigit() else word_number(token)


def _sample_size(sentences: Sequence[RoledSentence], folded: Sequence[str]) -> int | None:
    """Participants as the abstract states them: methods first, then results; largest stated total."""
    for roles in (("methods", "objective"), ("results",), ("background", "conclusions", "other")):
        texts = [(rs.sentence.text, f) for rs, f in zip(sentences, folded, strict=True) if rs.role in roles]
        if not texts:
            continue
        joined = " ".join(f for _, f in texts)  # a literal absent here is absent from each sentence
        for gate in _N_GATES:
            if not gate(joined):
                continue
            for text, f in texts:
                m = gate.search(text, f)
                if m:
                    value = _to_int(next(g for g in m.groups() if g))
                    if value is not None and gate is _N_GATES[0]:
                        value = _total_of_arms(text, value)
                    if value is not None and 1 <= value <= 10_000_000:
                        return value
    return None


def _total_of_arms(text: str, first: int) -> int:
    """The sample of a sentence whose first "n = …" is ``first``: arms listed one "n =" each ("ketamine 0.1 mg/kg
    (n = 18), … midazolam (n = 19)") add up, unless the first is already their total ("N = 99 (n = 50 ketamine,
    n = 49 placebo)"); a count of people the sentence states ("Ninety patients were randomly assigned to … (n=30)")
    that is at least that is the sample."""
    values = [int(v.replace(",", "")) for v in _N_EQUALS.findall(text)]
    rest = sum(values[1:])
    # Summed only where the sentence divides people among arms: "analysed at 230 minutes (n = 108), at day 1 (n = 82)"
    # counts the same people at each timepoint, and "data were obtained in patients (n = 10)" adds another sample.
    # Two equal values are two arms ("dexmedetomidine (n = 32) and ketamine (n = 32)"); a first value above a single
    # second one may be a total and its subgroup ("N = 84, … n = 34 women") or two overlapping samples ("n = 858 with
    # MDD, n = 792 with TRD"), so it is read alone.
    arms = (
        len(values) > 1
        and (first < rest or (len(values) == 2 and first == rest))
        and _ALLOCATED.search(text) is not None
    )
    total = first + rest if arms else first
    stated = [_to_int(m.group(1)) for m in _PEOPLE_COUNT.finditer(text)]
    return max([total, *(v for v in stated if v is not None and v <= 10_000_000)])


def _blinding(text: str) -> str | None:
    folded = fold(text)
    for value, gate in _BLINDING_GATES:
        if gate.search(text, folded):
            return value
    return None


# _TIMEPOINT for text without its number words: its digit alternative alone, the word boundary
# written as a lookbehind after the first digit, so that ``re`` skips ahead to digits (a
# leading ``\b`` makes it try the pattern at every character). Same matches, same groups.
_TIMEPOINT_DIGITS: Final = re.compile(
    r"(\d(?<!\w\d)\d*(?:\.\d+)?)[\s-]*(minutes?|min|hours?|h|days?|weeks?|wk|months?|years?)\b", re.I
)
_TIME_WORDS: Final = ("one", "two", "three", "four", "six", "eight", "twelve")


def _timepoint_matches(text: str, folded: str, words: bool = True) -> Iterator[re.Match[str]]:
    """``_TIMEPOINT.finditer(text)``; ``folded`` is ``fold(text)`` (IGNORECASE's view of the words).
    ``words=False``: the caller knows ``folded`` has none of the number words."""
    if words and any(w in folded for w in _TIME_WORDS):
        return _TIMEPOINT.finditer(text)
    return _TIMEPOINT_DIGITS.finditer(text)


def _timepoints(sentences: Sequence[RoledSentence], folded: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    read = [(rs.sentence.text, f) for rs, f in zip(sentences, folded, strict=True) if rs.role in FINDING_ROLES]
    # A number word absent from the sentences joined is absent from each: their digits alone are read,
    # without asking each sentence for the words (most abstracts' results name none).
    joined = " ".join(f for _, f in read)
    words = any(w in joined for w in _TIME_WORDS)
    for text, f in read:
        for m in _timepoint_matches(text, f, words):
            # "(age 18-85 years)", "aged 65 years or older": ages, not times.
            around = text[max(0, m.start() - 12) : m.end() + 8].lower()
            if "age" in around or " old" in around:
                continue
            unit = m.group(2).lower().rstrip("s")
            unit = {"h": "hour", "min": "minute", "wk": "week"}.get(unit, unit)
            amount = m.group(1).lower()
            label = f"{amount} {unit}"
            if label not in seen:
                seen.append(label)
    return tuple(seen[:8])


def _says_secondary(title: str, sentences: Sequence[RoledSentence], rules: EvidenceRules) -> bool:
    """Whether the title, or an objective or methods sentence (where a study says what it is), calls the record a
    secondary report of a study (``[relation]`` in the rules file)."""
    if rules.relation_title is not None and rules.relation_title.search(title) is not None:
        return True
    cue = rules.relation_methods
    return cue is not None and any(
        rs.role in ("objective", "methods") and cue.search(rs.sentence.text) is not None for rs in sentences
    )


def _certainty(text: str, folded: str) -> Certainty | None:
    m = _CERTAINTY_GATE.search(text, folded)
    if not m:
        return None
    word = next(g for g in m.groups() if g).lower()
    return "very_low" if word == "very low" else word  # type: ignore[return-value]


def _review(sentences: Sequence[RoledSentence], folded: Sequence[str]) -> tuple[Review, dict[int, Certainty]]:
    k = n = None
    by_sentence: dict[int, Certainty] = {}
    overall: Certainty | None = None
    overall_at: int | None = None
    for rs, f in zip(sentences, folded, strict=True):
        text = rs.sentence.text
        if rs.role in ("methods", "results") and k is None:
            m = _K_GATE.search(text, f)
            if m:
                k = _to_int(m.group(1))
        if rs.role in ("methods", "results") and n is None:
            m = _REVIEW_N_GATE.search(text, f)
            if m:
                n = _to_int(next(g for g in m.groups() if g))
        # The role first: a certainty is kept only from a results or conclusions sentence, and its
        # regex (a gate of some thirty literals) need not read the others.
        c = _certainty(text, f) if rs.role in FINDING_ROLES else None
        if c is not None:
            by_sentence[rs.sentence.index] = c
            if overall is None:
                overall, overall_at = c, rs.sentence.index
    return Review(k, n, overall, overall_at), by_sentence


_EVERY_ARM: Final = re.compile(
    r"\b(?:both|all|each of the) (?:groups|arms|patients|participants|subjects)\b", re.IGNORECASE
)


# An abbreviation in brackets right after a mention ("electroconvulsive therapy (ECT)") is that mention.
_SAME_IN_BRACKETS: Final = re.compile(r"[\w -]{0,12}\($")


def _study_comparator(text: str, rules: EvidenceRules) -> tuple[str, ComparatorKind, int] | None:
    """The first comparator the design text names as an arm of the study.

    A mention of a comparator's words is no arm when its context says so (``[comparators]
    not_an_arm_*``): the procedure every arm undergoes ("patients undergoing ECT", "anaesthesia for
    ECT", "ECT under propofol anaesthesia"), a treatment the patients failed before, the add-on
    every arm gets ("in conjunction with a new oral antidepressant"), or words that describe the
    drug ("as a rapid-acting antidepressant").
    """
    first = first_comparator(text, rules.findings, alone=True)
    if first is None or not _not_an_arm(text, first, rules):
        return first  # the common case: one search, no scan of every mention
    skipped_end = -1
    for mention in comparators_in(text, rules.findings):
        words, _, start = mention
        if skipped_end >= 0 and _SAME_IN_BRACKETS.match(text, skipped_end, start) and start - skipped_end <= 13:
            skipped_end = start + len(words)
            continue
        if not _not_an_arm(text, mention, rules):
            return mention
        skipped_end = start + len(words)
    return None


def _not_an_arm(text: str, mention: tuple[str, ComparatorKind, int], rules: EvidenceRules) -> bool:
    words, _, start = mention
    if rules.not_an_arm_before.exists(text, max(0, start - 90), start):
        return True
    return rules.not_an_arm_after.match(text, start + len(words)) is not None


def _an_arm_in(f: Finding, rules: EvidenceRules) -> bool:
    """Whether a finding's comparator is named as an arm in its clause (not "in an ECT clinic")."""
    if f.comparator is None or f.comparator_kind is None or (at := f.clause.find(f.comparator)) < 0:
        return True
    return not _not_an_arm(f.clause, (f.comparator, f.comparator_kind, at), rules)


def _active_placebo(
    text: str, found: tuple[str, ComparatorKind, int] | None, rules: EvidenceRules
) -> tuple[str, ComparatorKind, int] | None:
    """The study's placebo as the methods name it: an active one when they name one.

    "A placebo-controlled trial ... randomized to ketamine or active placebo (midazolam)": the
    first "placebo" is the midazolam arm, not saline. Only when the design text names no inert
    placebo of its own (saline) alongside, which would make a three-arm design the first word
    already describes.
    """
    if found is None or found[1] != "inert_placebo":
        return found
    patterns = dict(rules.findings.comparators)
    active = patterns["active_placebo"].search(text)
    if active is None:
        return found
    # A drug every arm receives ("patients in both groups were sedated with ... midazolam") is
    # the setting, not the comparator.
    start, end = text.rfind(". ", 0, active.start()) + 1, text.find(". ", active.end())
    if _EVERY_ARM.search(text, start, end if end >= 0 else len(text)):
        return found
    # An inert placebo named by what it is ("saline"), not by the word "placebo", is an arm of its own.
    if any(m.group(0).lower() != "placebo" for m in patterns["inert_placebo"].finditer(text)):
        return found
    return (active.group(0), "active_placebo", active.start())


# A record tagged with the drug only through its keywords or indexing ("ketamine" among the substances an
# ecstasy study's users took) is not a study of the drug: the labels' "other" (off-topic, as a narrative or
# recreational-use record is), whatever its design.
_NOT_THE_DRUGS: Final = StudyQuestion("other", -1, "the drug is named in neither the title nor the abstract")


def _names_the_drug(title: str, sentences: Sequence[RoledSentence], rules: EvidenceRules) -> bool:
    """Whether the title or an abstract sentence names the configured drug (the title first: it is
    scanned for the study question anyway; the abstract only when the title does not)."""
    drug = rules.findings.drug
    if not isinstance(drug, Matcher):
        return drug.search(title) is not None or drug.search(" ".join(rs.sentence.text for rs in sentences)) is not None
    if drug.exists(title):
        return True
    # One group asked of a long text: its own anchors looked up in turn, not a scan for every group's.
    return drug.exists_alone(" ".join(rs.sentence.text for rs in sentences))


def read_profile(article: Article, tags: Mapping[str, Sequence[str]], rules: EvidenceRules) -> StudyProfile:
    """Read one record's profile; ``tags`` are its tag values by axis (indication, route, ...)."""
    sentences = assign_roles(abstract_sentences(article.sections), rules.roles)
    folded = [fold(rs.sentence.text) for rs in sentences]  # once, for the gates of every regex below
    designs = frozenset(tags.get("design", ()))
    question = (
        classify(article.title, sentences, designs, rules.questions)
        if _names_the_drug(article.title, sentences, rules)
        else _NOT_THE_DRUGS
    )
    design_text = " ".join(
        [article.title, *(rs.sentence.text for rs in sentences if rs.role in ("objective", "methods"))]
    )
    # A protocol has no results to read: what a role guesser places late in its abstract is the
    # design ("to examine the efficacy … in producing a reduction") or the background ("has not
    # yet been tested"), never a finding (the labels give protocols none).
    is_protocol = question.value == "protocol"
    # Arms named by letters ("group E") read with their names put in; each finding's clause is the abstract's words.
    reading, named = with_arm_names(sentences, rules.findings, design_text)
    findings = () if is_protocol else _as_printed(read_findings(reading, rules.findings), named)
    comparator = next((f for f in findings if f.comparator_kind and _an_arm_in(f, rules)), None)
    # The design text is scanned for every group only when the question needed it (2 records in 5).
    comp_design = _active_placebo(design_text, _study_comparator(design_text, rules), rules)
    review = None
    certainty: dict[int, Certainty] = {}
    if question.value == "systematic_review":
        review, certainty = _review(sentences, folded)
        topic = classify(article.title, sentences, designs, rules.review_topics) if rules.review_topics else None
        if topic is not None and topic.rule >= 0:
            review = replace(review, topic=topic)
    relation: Relation | None = None
    # A study's primary report is its main report, a cohort's or a protocol's as much as a trial's (a cohort's
    # predictor analysis is its secondary report). A review pools others' studies, a case report is no study of a
    # group, and a record about something else ("other") reports nothing of the drug: they have none.
    if question.value not in ("systematic_review", "case_report", "other"):
        secondary = question.value == "predictor_or_secondary" or _says_secondary(article.title, sentences, rules)
        relation = "secondary" if secondary else "main"
    readable = bool(findings) or bool(review and review.certainty)
    reason = None
    if not article.sections:
        reason = "no abstract"
    elif question.value == "protocol":
        reason = "protocol: no results yet"
    elif not readable:
        reason = "no result sentence the reader can tell the direction of"
    return StudyProfile(
        pmid=article.pmid,
        question=question,
        roles=tuple(rs.role for rs in sentences),
        roles_labelled=all(rs.labelled for rs in sentences),
        conditions=tuple(tags.get("indication", ())),
        populations=tuple(tags.get("population", ())),
        molecules=tuple(tags.get("molecule", ())),
        routes=tuple(tags.get("route", ())),
        designs=tuple(sorted(designs)),
        comparator=comp_design[0] if comp_design else (comparator.comparator if comparator else None),
        comparator_kind=comp_design[1] if comp_design else (comparator.comparator_kind if comparator else None),
        # A case report that prints no count is of one patient.
        n=_sample_size(sentences, folded) or (1 if question.value == "case_report" else None),
        blinding=_blinding(design_text),
        timepoints=_timepoints(sentences, folded),
        findings=findings,
        adverse_events=() if is_protocol else read_adverse_events(reading, rules),
        review=review,
        nct_ids=tuple(article.nct_ids),
        trial_keys=trial_keys(
            article.title,
            article.abstract,
            " ".join([article.title, *(rs.sentence.text for rs in sentences if rs.role != "background")]),
        ),
        relation=relation,
        readable=readable,
        unreadable_reason=reason,
        certainty_by_sentence=certainty,
    )


def _as_printed(findings: Sequence[Finding], named: Mapping[int, Named]) -> tuple[Finding, ...]:
    """``findings`` with each clause read from a sentence whose letters were named given back as the abstract prints
    it (:func:`ketlit.evidence.group_names.original`)."""
    if not named:
        return tuple(findings)
    return tuple(
        replace(
            f,
            clause=original(f.clause, named[f.sentence]),
            comparator=printed_name(f.comparator, named[f.sentence]),
        )
        if f.sentence in named
        else f
        for f in findings
    )


def profile_to_dict(p: StudyProfile) -> dict[str, Any]:
    """JSON-ready form for the store (``study_profiles.data``)."""

    def finding(f: Finding) -> dict[str, Any]:
        d: dict[str, Any] = {
            "s": f.sentence,
            "clause": f.clause,
            "direction": f.direction,
            "favours": f.favours,
            "outcome": f.outcome,
            "outcome_kind": f.outcome_kind,
            "comparator": f.comparator,
            "comparator_kind": f.comparator_kind,
            "basis": f.basis,
        }
        if f.effect:
            d["effect"] = {"measure": f.effect.measure, "value": f.effect.value, "ci": [f.effect.lo, f.effect.hi]}
            if not f.effect.level_printed:  # a bare "CI": shown as printed, never as a 95% interval
                d["effect"]["ci_level"] = "unstated"
        if f.rates:
            d["rates"] = [{"percent": r.percent, "events": r.events, "n": r.n} for r in f.rates]
        if f.p:
            d["p"] = f.p.text
        if f.sentence in p.certainty_by_sentence:
            d["certainty"] = p.certainty_by_sentence[f.sentence]
        if p.review is not None and f.effect is not None:
            # A review's pooled estimate carries its own k and N ("n = 185, studies = 7").
            k = _POOLED_K.search(f.clause)
            n = _POOLED_N.search(f.clause)
            if k:
                d["k"] = _to_int(next(g for g in k.groups() if g))
            if n:
                d["n"] = _to_int(next(g for g in n.groups() if g))
        return d

    return {
        "version": PROFILE_VERSION,
        "pmid": p.pmid,
        "question": {"value": p.question.value, "rule": p.question.rule, "words": p.question.words},
        "roles": list(p.roles),
        "roles_labelled": p.roles_labelled,
        "conditions": list(p.conditions),
        "populations": list(p.populations),
        "molecules": list(p.molecules),
        "routes": list(p.routes),
        "designs": list(p.designs),
        "comparator": p.comparator,
        "comparator_kind": p.comparator_kind,
        "n": p.n,
        "blinding": p.blinding,
        "timepoints": list(p.timepoints),
        "findings": [finding(f) for f in p.findings],
        "adverse_events": [
            {
                "s": a.sentence,
                "event": a.event,
                "presence": a.presence,
                "rates": [{"percent": r.percent, "events": r.events, "n": r.n} for r in a.rates],
            }
            for a in p.adverse_events
        ],
        "review": None
        if p.review is None
        else {
            "k": p.review.k,
            "n": p.review.n,
            "certainty": p.review.certainty,
            "certainty_s": p.review.certainty_sentence,
            "topic": p.review.topic.value if p.review.topic else None,
            "topic_words": p.review.topic.words if p.review.topic else None,
        },
        "nct_ids": list(p.nct_ids),
        "trial_keys": list(p.trial_keys),
        "relation": p.relation,
        "readable": p.readable,
        "unreadable_reason": p.unreadable_reason,
    }
