"""Arms named by letters ("group E", "the C group"): which arm each letter stands for, and the result sentences with
that arm's name put before each letter, so that the readers, which tell arms apart by the drug's and the comparators'
names, can tell these apart too.

Many trials (most perioperative trials reported from China among them) define their arms once in the methods and
then speak only of letters: "randomized to esketamine 0.2 mg/kg (group E) or normal saline (group S)", then "Group S
had a higher incidence of postpartum blues than group E". Read as it stands, that sentence names no arm the readers
know, so its comparison is either lost or read the wrong way round. With the names put in ("saline Group S had a
higher incidence ... than esketamine group E") it reads as any other.

A letter's arm is read only where the abstract defines it outside its results (the methods or objective):

- a bracket after the arm's description: "esketamine 0.2 mg/kg (group E)", "or not (Group C)", "the control group
  (group C ...)"; the description is what comes after the previous definition and after the last "or", "and", "to",
  ";" or ":" before the bracket, so each arm's words are its own;
- the arm after the letter: "group E (esketamine)", "group C receiving an equal volume of saline";
- a clause opening with the letter: "In group E, patients were given 0.5 mg/kg of esketamine";
- the drug or a comparator named right before "X group": "the esketamine HS group".

An arm whose description names the drug is the drug's (an add-on arm, "propofol plus esketamine", included); one
naming a comparator, that comparator; "not", "no", "without", "control" make a control arm. A letter defined both
ways is left alone, and so are all of them unless some letter is a comparator: with the drug's arms only (doses of
it), a comparison of letters is not the drug against anything.

Only insertions are made, so a finding's clause is mapped back to the words the abstract prints (:func:`original`):
what an editor is shown as the rationale is never the rewritten text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from ketlit.evidence.arms import ArmRules, first_comparator
from ketlit.evidence.other_drugs import mentions as drug_mentions
from ketlit.evidence.other_drugs import other_drugs
from ketlit.evidence.roles import FINDING_ROLES, RoledSentence

# A letter, or two to four letters and digits, as printed: "E", "K", "HS", "PE", "K1". Case-sensitive: "group a" of a
# sentence's prose is no name.
_LETTER: Final = r"(?-i:[A-Z][A-Z0-9]{0,3})"
# "esketamine 0.2 mg/kg (group E", "(esketamine group, Group E)": the arm's words before the bracket or inside it.
# "... (ED group)": the letter before "group" inside the bracket (read by the same loop, its letter in group 3).
_DEFINED_AFTER_PAREN: Final = re.compile(
    r"\(\s*(?:((?:(?!\bgroups?\s+(?-i:[A-Z][A-Z0-9]{0,3})\b)[^()]){1,60}?)[,;]\s*)?(?:the\s+)?(?:groups?\s+("
    + _LETTER
    + r")\b(?![-\w])|("
    + _LETTER
    + r")\s+groups?\b)",
    re.I,
)
# "esketamine (E) group", "control (C) group", "an E1 group (0.1 mg/kg esketamine ...)"; and a short form an arm is
# given in brackets ("propofol-esketamine (PE) versus propofol-sufentanil (PS)", "propofol (P) or propofol+esketamine
# (PK)"): only letters the results then call groups are ever named, and a short form of anything else ("Emergence
# delirium (ED)", "treatment-resistant depression (TRD)") names no arm.
_LETTER_IN_PAREN: Final = re.compile(r"\b((?:[\w+-]+ ){0,2}[\w+-]+)\s+\((" + _LETTER + r")\)", re.I)
_GROUP_THEN_ARM: Final = re.compile(r"\b(" + _LETTER + r")\s+groups?\s*\(([^()]{3,80})\)", re.I)
# "Group E (esketamine)", "group C receiving saline", "Group K (n = 99) received ketamine", "group S, n = 30, received".
_ARM_AFTER_LETTER: Final = re.compile(
    # "group E" or "the E group", then what it was given: in brackets, after a verb, or after a colon ("group ES:
    # esketamine + sufentanil").
    r"\b(?:groups?\s+(" + _LETTER + r")\b(?![-\w])|(" + _LETTER + r")\s+groups?\b)"
    r"(?:\s*\(\s*n\s*=\s*\d+\s*\)|,\s*n\s*=\s*\d+\s*,?)?"
    r"\s*(?:\(([^()]{3,80})\)|[:=]\s*((?:(?!\bgroups?\b)(?:[^,;.()]|\.(?=\d))){3,80})|,?\s+(?:who\s+)?(?:received|"
    r"receiving|(?:was|were)\s+given|given|(?:was|were)\s+(?:treated|administered|infused)\s+with|treated\s+with|"
    r"(?:was|were)\s+administered)\s+((?:(?!\bgroups?\b)(?:[^,;.()]|\.(?=\d))){3,80}))",
    re.I,
)
_CLAUSE_OPENS: Final = re.compile(r"(?:^|[.;:]\s+)In\s+group\s+(" + _LETTER + r"),\s+((?:[^.;]|\.(?=\d)){3,160})", re.I)
_NAMED_BEFORE: Final = re.compile(r"\b([\w-]+)\s+(" + _LETTER + r")\s+groups?\b")
# Where an arm's own words start, reading back from its bracket: after the last of these ("randomized to", "into three
# groups:"), and after the word that joins it to the arm before ("..., or normal saline (group S)"). An "and" inside an
# arm's words is the arm's ("ketamine and propofol (group KP)").
_ARM_START: Final = re.compile(r"\b(?:to|into)\s+|[;:(]\s*", re.I)
_JOINED: Final = re.compile(r"\W*(?:(?:and|or|versus|vs\.?)\s+)?(?:the\s+|an?\s+)?", re.I)
# Letters the results speak of as groups: "group E", "groups K and D", "the C group", "the HS and LS groups".
_USED: Final = re.compile(
    r"(?i:groups?)\s+" + _LETTER + r"\b(?:(?:\s*,\s*|\s*,?\s+(?:and|or|&)\s+)" + _LETTER + r"\b)*"
    r"|\b" + _LETTER + r"\b(?:(?:\s*,\s*|\s*,?\s+(?:and|or|&)\s+)" + _LETTER + r"\b)*\s+(?i:groups?)\b"
)
_LETTER_TOKEN: Final = re.compile(r"\b" + _LETTER + r"\b")
# A control arm, or the regimen every arm gets given alone ("sufentanil alone (group S)", "propofol only").
_CONTROL: Final = re.compile(r"\b(?:control|not|no|without|none|nothing|alone|only)\b", re.I)
_GENERIC: Final = re.compile(
    r"\b(?:infusions?|injections?|doses?|dosage|single|bolus|loading|maintenance|continuous|intravenous(?:ly)?|"
    r"intranasal|oral|iv|i\.v|im|mg|kg|ml|µg|μg|ug|mcg|h|hr|hours?|min|minutes|of|a|an|the|and|or|with|at|per|"
    r"followed|by|then|each|same|equal|volume|given|received|receiving|low|high|over|body|weight|patients|group|n)\b"
    r"|[\d./=,()%+×x-]",
    re.I,
)
_NAMED_THING: Final = re.compile(r"[A-Za-z]{5,}")
_GIVEN: Final = re.compile(
    r"\b(?:\d+(?:\.\d+)?\s?(?:mg|µg|μg|ug|mcg|ml|mL)\b|infusions?\b|injections?\b|doses?\b)", re.I
)


@dataclass(frozen=True, slots=True)
class Arm:
    """What a letter stands for: whose arm, and the words put before the letter."""

    intervention: bool
    name: str


def _arm_of(words: str, rules: ArmRules) -> Arm | None:
    """The arm a description names: the drug's if it names the drug (or the drug's arm by its role, "experimental
    group"), else the comparator it names, else a control. The name is the words matched, as the readers match them."""
    drug = rules.drug.search(words)
    if drug is not None:
        return Arm(True, drug.group(0))
    role = rules.intervention_arm.search(words) if rules.intervention_arm is not None else None
    if role is not None:
        return Arm(True, role.group(0))
    comparator = first_comparator(words, rules)
    if comparator is not None:
        return Arm(False, comparator[0])
    if _CONTROL.search(words):
        return Arm(False, "control")
    # Another treatment the comparator words do not know ("a single dose of dexamethasone", "lidocaine infusion"):
    # an arm given something else, named as the readers' word for an unnamed comparator. Not a dose alone ("0.5 mg/kg
    # (group L)", the drug's other arm): a word must be left that names what was given.
    if _GIVEN.search(words) and _NAMED_THING.search(_GENERIC.sub(" ", words)):
        return Arm(False, "comparator")
    return None


def _definitions(text: str, rules: ArmRules) -> list[tuple[str, Arm]]:
    found: list[tuple[str, Arm]] = []
    previous_end = 0
    for m in _DEFINED_AFTER_PAREN.finditer(text):
        before = text[previous_end : m.start()]
        starts = list(_ARM_START.finditer(before))
        own = before[starts[-1].end() :] if starts else before
        joined = _JOINED.match(own)
        arm = (_arm_of(m.group(1), rules) if m.group(1) else None) or _arm_of(
            own[joined.end() :] if joined else own, rules
        )
        if arm is not None:
            found.append((m.group(2) or m.group(3), arm))
        close = text.find(")", m.end())
        previous_end = close + 1 if close >= 0 else m.end()
    for pattern, letter_at, words_at in _LETTER_THEN_WORDS:
        for m in pattern.finditer(text):
            words = next((m.group(g) for g in words_at if m.group(g)), None)
            arm = _arm_of(words, rules) if words else None
            # "the control group" before a letter names no arm by itself ("the control C group" of a result).
            if arm is not None and not (pattern is _NAMED_BEFORE and arm.name == "control"):
                found.append((next(m.group(g) for g in letter_at if m.group(g)), arm))
    return found


# Each of the other definitions: the pattern, its groups that hold the letter and those that hold the arm's words.
_LETTER_THEN_WORDS: Final[tuple[tuple[re.Pattern[str], tuple[int, ...], tuple[int, ...]], ...]] = (
    (_ARM_AFTER_LETTER, (1, 2), (3, 4, 5)),
    (_CLAUSE_OPENS, (1,), (2,)),
    (_GROUP_THEN_ARM, (1,), (2,)),
    (_LETTER_IN_PAREN, (2,), (1,)),
    (_NAMED_BEFORE, (2,), (1,)),
)


def letter_arms(sentences: Sequence[RoledSentence], rules: ArmRules) -> dict[str, Arm]:
    """Each letter's arm, as the sentences outside the results define it (see the module docstring), for the letters
    the results call groups."""
    # Only letters the results speak of as groups can be named, so a record whose results name none (nearly all) is
    # done with one search of its result sentences that say "group".
    used = {
        letter.group(0)
        for rs in sentences
        if rs.role in FINDING_ROLES and "group" in rs.sentence.text.lower()
        for m in _USED.finditer(rs.sentence.text)
        for letter in _LETTER_TOKEN.finditer(m.group(0))
    }
    if not used:
        return {}
    seen: dict[str, list[Arm]] = {}
    for rs in sentences:
        text = rs.sentence.text
        if rs.role in FINDING_ROLES or not any(letter in text for letter in used):
            continue
        for letter, arm in _definitions(text, rules):
            if letter in used:
                seen.setdefault(letter, []).append(arm)
    # The first definition's name ("saline" of "group C receiving saline" read before "the control group (group C")
    # where a letter is defined twice the same way.
    arms = {letter: got[0] for letter, got in seen.items() if len({a.intervention for a in got}) == 1}
    if not any(not arm.intervention for arm in arms.values()) or not any(arm.intervention for arm in arms.values()):
        return {}
    return arms


@dataclass(frozen=True, slots=True)
class Named:
    """A sentence with arms' names put in: the new text, and where each insertion went in the old one."""

    old: str
    new: str
    insertions: tuple[tuple[int, int], ...]  # (old offset, length inserted there), in order
    # Each name put in, with the words it was put before ("control" -> "group C"): a finding's comparator read from
    # a name the abstract does not print is given as the abstract's words for that arm.
    mentions: tuple[tuple[str, str], ...] = ()


def _mentions(letters: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Where a sentence names letters as groups, and each letter inside such a mention."""
    one = "(?:" + "|".join(sorted(map(re.escape, letters), key=len, reverse=True)) + r")\b(?![-\w])"
    listed = one + r"(?:\s*,\s*" + one + r")*(?:\s*,?\s+(?:and|or|&)\s+" + one + ")?"
    # "Group E", "groups K and D", "the E group", "the HS and LS groups" (a letter alone is not looked for: "E" is also
    # a word's capital).
    mention = re.compile(r"\b[Gg]roups?\s+" + listed + r"|\b" + listed + r"\s+[Gg]roups?\b")
    return mention, re.compile(r"\b" + one)


def with_arm_names(
    sentences: Sequence[RoledSentence], rules: ArmRules, design: str = ""
) -> tuple[list[RoledSentence], dict[int, Named]]:
    """The sentences with each result sentence's letters named (see the module docstring), and, by sentence index,
    what was inserted where. Sentences without a defined letter are returned as they are (the same objects).

    ``design`` (title, objective and methods): the other drugs it sets against the drug that the comparator words do
    not know (:mod:`ketlit.evidence.other_drugs`) get the readers' word for an unnamed comparator put before them too
    ("Patients receiving comparator lidocaine reported better sleep quality than those receiving ketamine")."""
    arms = letter_arms(sentences, rules)
    drugs = other_drugs(design, rules) if design else ()
    if not arms and not drugs:
        return list(sentences), {}
    mention, letter_at = _mentions(list(arms)) if arms else (None, None)
    by_name = drug_mentions(drugs) if drugs else None
    out: list[RoledSentence] = []
    named: dict[int, Named] = {}
    for rs in sentences:
        text = rs.sentence.text
        if rs.role not in FINDING_ROLES:
            out.append(rs)
            continue
        places = _letter_places(text, mention, letter_at, arms) if mention is not None and letter_at else []
        if by_name is not None:
            places += [(m.start(), "comparator", m.group(0)) for m in by_name.finditer(text)]
        if not places:
            out.append(rs)
            continue
        parts: list[str] = []
        insertions: list[tuple[int, int]] = []
        last = 0
        for at, name, _ in sorted(places):
            words = name + " "
            parts += [text[last:at], words]
            insertions.append((at, len(words)))
            last = at
        new = "".join([*parts, text[last:]])
        named[rs.sentence.index] = Named(
            text, new, tuple(insertions), tuple((n, shown) for _, n, shown in sorted(places))
        )
        out.append(replace(rs, sentence=replace(rs.sentence, text=new)))
    return out, named


def _letter_places(
    text: str, mention: re.Pattern[str], letter_at: re.Pattern[str], arms: dict[str, Arm]
) -> list[tuple[int, str, str]]:
    """Where each arm's name goes before its letters in ``text``: (offset, name, the letters' mention)."""
    places: list[tuple[int, str, str]] = []
    for m in mention.finditer(text):
        letters = [x for x in letter_at.finditer(text, m.start(), m.end()) if x.group(0) in arms]
        if not letters:
            continue
        # "Group E" -> "esketamine Group E", "groups L and H" -> "esketamine groups L and H": one name for letters
        # of one arm, before the mention, as the readers meet an arm ("the esketamine groups"); letters of
        # different arms ("groups K and D") each their own.
        if len({arms[x.group(0)] for x in letters}) == 1:
            at_letters = [(m.start() if m.group(0)[0] in "Gg" else letters[0].start(), letters[0].group(0))]
        else:
            at_letters = [(x.start(), x.group(0)) for x in letters]
        places += [(at, arms[letter].name, m.group(0)) for at, letter in at_letters]
    return places


def printed_name(words: str | None, named: Named) -> str | None:
    """A finding's comparator as the abstract names it: the letters' mention ("group C") for a name put in."""
    if words is None or words in named.old:
        return words
    folded = words.lower()
    return next((mention for name, mention in named.mentions if name.lower() in folded), words)


def original(clause: str, named: Named) -> str:
    """The words of the old sentence that ``clause`` (a part of the new one) was read from."""
    at = named.new.find(clause)
    if at < 0:
        return clause
    return named.old[_old_offset(at, named) : _old_offset(at + len(clause), named)]


def _old_offset(new: int, named: Named) -> int:
    """Where offset ``new`` of the new text falls in the old one (inside an insertion: where it was inserted)."""
    shift = 0
    for old_at, length in named.insertions:
        start = old_at + shift
        if new < start:
            break
        if new < start + length:
            return old_at
        shift += length
    return new - shift
