"""Which arm a clause's words and numbers belong to: the comparator it names, whether that comparator is
what the clause says something about, and which arm each printed rate or count is.

Split from :mod:`ketlit.evidence.findings` (which reads the directions) to keep each module readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal, Protocol, get_args

from ketlit.evidence import numbers as nums
from ketlit.evidence.matcher import Matcher, TextPattern
from ketlit.evidence.sentences import verb_first

ComparatorKind = Literal["inert_placebo", "active_placebo", "usual_care", "active_treatment", "unspecified"]
COMPARATOR_KINDS: Final[tuple[ComparatorKind, ...]] = get_args(ComparatorKind)


class ArmRules(Protocol):
    """What reading arms needs of the finding rules (:class:`ketlit.evidence.findings.ArmRules`)."""

    @property
    def drug(self) -> TextPattern: ...
    @property
    def comparators(self) -> tuple[tuple[ComparatorKind, TextPattern], ...]: ...
    @property
    def any_comparator(self) -> Matcher | None: ...
    @property
    def intervention_arm(self) -> TextPattern | None: ...


def _arm_patterns(rules: ArmRules) -> list[tuple[str, TextPattern]]:
    """Each arm's patterns: the drug's names and its arm by role ("the intervention group"), then the comparators'."""
    own = [("intervention", rules.drug)]
    if rules.intervention_arm is not None:
        own.append(("intervention", rules.intervention_arm))
    return own + [("comparator", p) for _, p in rules.comparators]


# "compared with placebo", "than placebo", "versus placebo": the comparator is the reference.
_REFERENCE_BEFORE: Final = re.compile(
    # \b first: "or" and "to" inside "for", "into" are no reference ("greater for patients receiving placebo").
    r"\b(?:compared (?:with|to)|relative to|versus|vs\.?|than|over|against|and|or|with|to)\s+"
    # "than those of the control group", "compared with that in the placebo arm": the reference's measure, named
    # again before the arm, is not a third word of the arm's name.
    r"(?:(?:those|that)\s+(?:of|in|for|with)\s+)?"
    r"(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


_COMPARATIVE_WITH: Final = re.compile(
    r"\b(?:higher|lower|greater|larger|smaller|longer|shorter|more|less|fewer|faster|slower|worse|better)"
    r"(?:\s+(?!compared\b)\w+){0,3}?\s+with\s+(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_OPENS_AS_REFERENCE: Final = re.compile(
    r"\W*(?:compared (?:with|to)|relative to|versus|vs\.?|in comparison (?:with|to))\s+"
    r"(?:the\s+|an?\s+)?(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_PREDICATE_WITH: Final = re.compile(
    r"\b(?:was|were|is|are)\s+(?:\w+\s+)?(?:higher|lower|greater|larger|smaller|longer|shorter|more|less|fewer|faster|"
    r"slower|worse|better)(?:\s+(?:common|frequent|likely|often|pronounced|severe|marked))?\s+with\s+"
    r"(?:the\s+|an?\s+)?$",
    re.IGNORECASE,
)
_COMPARISON_LINK: Final = re.compile(
    r"\b(?:than|to|versus|vs\.?|compared (?:with|to)|relative to|over|against)\b", re.IGNORECASE
)
# After an association cue a bare "to" names what the outcome is a response to ("Prior ECT was associated with a
# greater response to ketamine": a characteristic, not ECT set against ketamine).
_ASSOCIATION_LINK: Final = re.compile(
    r"\b(?:than|versus|vs\.?|compared (?:with|to)|relative to|over|against)\b", re.IGNORECASE
)


_KINDS: dict[int, tuple[ArmRules, tuple[ComparatorKind, ...]]] = {}


def _kinds_of_patterns(rules: ArmRules) -> tuple[ComparatorKind, ...]:
    """The kind of each pattern of ``rules.any_comparator``, in its order (kinds in order, each's patterns)."""
    got = _KINDS.get(id(rules))
    if got is None or got[0] is not rules:
        kinds = tuple(kind for kind, p in rules.comparators for _ in (p.patterns if isinstance(p, Matcher) else (p,)))
        got = _KINDS[id(rules)] = (rules, kinds)
    return got[1]


def first_comparator(text: str, rules: ArmRules, *, alone: bool = False) -> tuple[str, ComparatorKind, int] | None:
    """The comparator the clause names first: its words, kind and offset.

    One search of all comparator patterns together (kinds in order) where the rules have them:
    the leftmost match of the whole list starts where the earliest kind's does, and at that start
    its first matching pattern is of the first kind that matches there (the loop's tie-break,
    earlier kind first) and matches just as that kind's own search does. ``alone``: a long text
    no other group searches, read without a scan for every group (:meth:`Matcher.search_alone`).
    """
    combined = rules.any_comparator
    if combined is not None:
        m = combined.search_alone(text) if alone else combined.search(text)
        return None if m is None else (m.group(0), _kinds_of_patterns(rules)[combined.which(m)], m.start())
    best: tuple[str, ComparatorKind, int] | None = None
    for kind, pattern in rules.comparators:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[2]):
            best = (m.group(0), kind, m.start())
    return best


def comparators_in(text: str, rules: ArmRules) -> list[tuple[str, ComparatorKind, int]]:
    """Every comparator mention of ``text``, in order: words, kind, offset."""
    combined = rules.any_comparator
    if combined is not None:
        kinds = _kinds_of_patterns(rules)
        return [(m.group(0), kinds[combined.which(m)], m.start()) for m in combined.finditer(text)]
    found = [(m.group(0), kind, m.start()) for kind, p in rules.comparators for m in p.finditer(text)]
    return sorted(found, key=lambda x: x[2])


def comparator_is_subject(
    text: str, comp: tuple[str, ComparatorKind, int], rules: ArmRules, *, association: bool = False
) -> bool:
    """Whether the comparator, not the drug, is what the clause says something about.

    It is when it comes before the drug and is not introduced as the reference ("compared with
    placebo, …", "than ECT"); or, the drug not named, when it is the one arm a comparative is
    said of ("incidence in the control group was higher than in the study group", "longer in
    those who received placebo compared with group K"). ``association``: the clause was decided
    by an association ("X when receiving midazolam was associated with less Y"), which is no arm's.
    """
    comp_at = comp[2]
    drug = rules.drug.search(text)
    if drug is None:
        return not association and _control_arm_compared(text, rules)
    if drug.start() < comp_at:
        # "Compared with esketamine, dexmedetomidine was associated with a longer stay": the drug opens the clause as
        # the reference (named once), the comparator after it is what the clause is about.
        return (
            _OPENS_AS_REFERENCE.match(text, 0, drug.start()) is not None
            and not text.startswith("-", drug.end())  # "Compared with ketamine-naive patients": people, not the drug
            and "," in text[drug.end() : comp_at]
            and rules.drug.search(text, drug.end()) is None
        )
    # "ECT was superior to ketamine", "placebo produced more … than ketamine": the two arms are
    # set against each other. Without such a link ("metabolism after placebo correlated with
    # improvement after ketamine") the comparator is not the subject of a comparison.
    link = _ASSOCIATION_LINK if association else _COMPARISON_LINK
    if not link.search(text, comp_at, drug.start()):
        return False
    before = text[:comp_at]
    # "lower with ECT than with ketamine", "fell less with midazolam than with ketamine": a comparative's own arm
    # after "with", not the reference "compared with" names.
    return not _REFERENCE_BEFORE.search(before) or _COMPARATIVE_WITH.search(before) is not None


# A comparative says one arm had more or less than the other; a verb alone ("decreased in the
# placebo group") may be a change within that arm, so only a clause with a comparative is turned
# round ("the decline … was greater in the control group").
_COMPARATIVE: Final = re.compile(
    r"\b(?:higher|lower|greater|larger|smaller|longer|shorter|more|less|fewer|faster|slower|worse|better)\b"
    r"(?! than \d)",
    re.IGNORECASE,
)
# The comparator named as an arm: "the control group", "placebo-treated", "who received saline".
_ARM_AFTER: Final = re.compile(r"[- ]?(?:groups?|arms?|cohorts?|conditions?|treated|recipients)\b", re.IGNORECASE)
# The same one word later: after the readers' word put before a drug's name ("the comparator lidocaine group").
_NAMED_ARM_AFTER: Final = re.compile(r" [\w-]+?" + _ARM_AFTER.pattern, re.IGNORECASE)
_ARM_BEFORE: Final = re.compile(r"\b(?:received|receiving|given|treated with)\s+(?:the\s+|an?\s+)?$", re.IGNORECASE)


def _control_arm_compared(text: str, rules: ArmRules) -> bool:
    """The drug not named: a comparator is the subject when a comparative decided the clause and
    it is the one comparator named as an arm ("in the control group", "who received placebo";
    not "opioid abusers", not "the other group" of a trajectory analysis), not as the reference."""
    if not _COMPARATIVE.search(text):
        return False
    arms: set[str] = set()
    for _, pattern in rules.comparators:
        for m in pattern.finditer(text):
            words = m.group(0).lower()
            before = text[: m.start()]
            # A predicate comparative's own arm right after its "with" ("Nausea was more common with placebo"); not the
            # reference "compared with" or "than with" names, nor a change's ("improved less with placebo", read as a
            # lesser fall).
            own_arm = _PREDICATE_WITH.search(before) is not None
            named_as_arm = (
                own_arm
                or _ARM_AFTER.match(text, m.end()) is not None
                # "the comparator lidocaine group": the readers' word put before an arm's drug name the vocabulary does
                # not know (:mod:`ketlit.evidence.other_drugs`), one word before the arm's.
                or (words == "comparator" and _NAMED_ARM_AFTER.match(text, m.end()) is not None)
                or _ARM_AFTER.search(words) is not None
                or _ARM_BEFORE.search(text, max(0, m.start() - 30), m.start()) is not None
            )
            if words.startswith("other") or not named_as_arm:
                continue
            if _REFERENCE_BEFORE.search(before) and not own_arm:
                return False
            arms.add(words)
    return len(arms) == 1


def arm_opening(words: str, rules: ArmRules, *, reach: int) -> Literal["intervention", "comparator"] | None:
    """The arm ``words`` open with: the drug's when its name starts within ``reach`` characters and before any
    comparator's, else a comparator's that starts within ``reach``; None when neither does ("in 3 patients in
    group S", "only in the dexmedetomidine group": what follows a count or a cue names whose arm it is)."""
    drug = rules.drug.search(words)
    comparator = first_comparator(words, rules)
    if drug is not None and drug.start() <= reach and (comparator is None or comparator[2] > drug.start()):
        return "intervention"
    if comparator is not None and comparator[2] <= reach:
        return "comparator"
    return None


def subject_before(text: str, before: tuple[int, int], at: int, rules: ArmRules) -> bool:
    """Whether the clause at ``at`` opens with its change verb and the clause ``before`` it is its subject, naming
    neither arm ("Physical function, measured with the SF-36, | improved more with ketamine"). A subject that names one
    ("Morphine requirements, from the end of surgery to 48 h, | decreased with ketamine": an outcome the comparator
    vocabulary names; "The placebo group, however, | improved less") is not joined: the arms' reading would take the
    named drug for the comparator set against the drug."""
    if not verb_first(text, at):
        return False
    start, end = before
    comparator = rules.any_comparator
    named = rules.drug.search(text, start, end) or (comparator is not None and comparator.search(text, start, end))
    return not named


def arm_near(text: str, start: int, end: int, rules: ArmRules, *, last: bool) -> str | None:
    """The arm named in ``text[start:end]``: the first mention (or the last, with ``last``)."""
    best: tuple[int, str] | None = None
    for arm, pattern in _arm_patterns(rules):
        for m in pattern.finditer(text, start, end):
            key = -m.start() if last else m.start()
            if best is None or key < best[0]:
                best = (key, arm)
    return best[1] if best else None


def arms_in_order(text: str, start: int, end: int, rules: ArmRules) -> list[str]:
    """The arms named in ``text[start:end]``, in order of first mention, each once."""
    found: list[tuple[int, str]] = []
    for arm, pattern in _arm_patterns(rules):
        m = pattern.search(text, start, end)
        if m and all(a != arm for _, a in found):
            found.append((m.start(), arm))
        elif m:
            found = [(min(at, m.start()), a) if a == arm else (at, a) for at, a in found]
    return [a for _, a in sorted(found)]


def arms_of(text: str, rates: Sequence[nums.Rate], rules: ArmRules) -> list[str | None]:
    """Which arm each rate belongs to.

    English names the arm right after a rate ("55% for the ketamine group", "79% responded to
    ketamine") or right before it ("receiving ECT, 63% remitted"). So a rate's arm is the first
    arm named between it and the next rate, else the last one named between the previous rate
    and it.
    """
    # "in the ketamine and placebo groups (13% vs. 23%, respectively)": the arms in the order named.
    if "respectively" in text[rates[-1].start :].lower():
        named = arms_in_order(text, 0, rates[0].start, rules)
        if len(named) >= len(rates):
            return list(named[: len(rates)])
    out: list[str | None] = []
    for i, r in enumerate(rates):
        after_end = rates[i + 1].start if i + 1 < len(rates) else len(text)
        before_start = rates[i - 1].start + 1 if i > 0 else 0
        arm = arm_near(text, r.start, after_end, rules, last=False)
        if arm is None:
            arm = arm_near(text, before_start, r.start, rules, last=True)
        out.append(arm)
    return out


def from_rates(text: str, rates: Sequence[nums.Rate], rules: ArmRules) -> int | None:
    """+1 / -1 when two rates with their arms named say the intervention's is higher / lower."""
    rates = [r for r in rates if not r.relative]
    if len(rates) < 2:
        return None
    (a1, a2) = arms_of(text, rates[:2], rules)
    p1, p2 = rates[0].percent, rates[1].percent
    # Both rates must be tied to a named arm: "reduced relapse by 51% … and 70%" are two results, not two arms.
    if a1 is None or a2 is None or a1 == a2 or p1 == p2:
        return None
    if a1 == "intervention" or a2 == "comparator":
        return 1 if p1 > p2 else -1
    if a1 == "comparator" or a2 == "intervention":
        return 1 if p2 > p1 else -1
    return None


def other_arms_only(text: str, rules: ArmRules) -> bool:
    """Two other arms compared, the drug not named ("propofol and thiopental did not differ"): not its finding."""
    if rules.drug.search(text):
        return False
    named = {
        m.group(0).lower()
        for _, pattern in rules.comparators
        for m in pattern.finditer(text)
        if not _AN_OUTCOME_AFTER.match(text, m.end())
    }
    return len(named) >= 2


# A drug named as what was measured, not as an arm: "opioid consumption, expressed as oral morphine equivalents".
_AN_OUTCOME_AFTER: Final = re.compile(
    r"[- ](?:consumption|use|requirements?|equivalents?|doses?|dosage|intake|prescri\w+|levels?|concentrations?|"
    r"sparing|needs?)\b",
    re.IGNORECASE,
)


def pair_sign(text: str, pair: tuple[float, float], rules: ArmRules) -> int | None:
    """+1 / -1 when a count pair's arms are named in order ("… in the ketamine and placebo groups, respectively")."""
    if "respectively" not in text.lower() or pair[0] == pair[1]:
        return None
    arms = arms_in_order(text, 0, len(text), rules)
    if arms[:2] == ["intervention", "comparator"]:
        return 1 if pair[0] > pair[1] else -1
    if arms[:2] == ["comparator", "intervention"]:
        return 1 if pair[1] > pair[0] else -1
    return None
