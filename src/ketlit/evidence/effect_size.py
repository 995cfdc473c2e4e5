"""The treatment's effect as what grew or shrank, and the decision a clause's reading makes (split from
:mod:`ketlit.evidence.findings`, which reads the directions, to keep each module readable).

An effect named ("an enhanced antidepressant effect", "effect sizes were larger", "rapamycin prolonged the
antidepressant effects of ketamine") is the symptoms' fall, as the labels code it: more of it is a decrease of the
symptom burden. An "effect size", Cohen's d or Hedges' g printed for a symptom outcome is the size of that fall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from ketlit.evidence import numbers as nums
from ketlit.evidence.matcher import TextPattern, fold

Direction = Literal["increased", "decreased", "no_difference"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What decided a clause: direction, why, where (for the outcome), and how to read favours."""

    direction: Direction
    basis: str
    at: int
    good_if: int | None = None
    per_arm: bool = False


# The treatment's effect as the thing that grew or shrank ("effect sizes were larger", "an enhanced
# and prolonged drug effect", "a higher mean difference vs placebo"), not an outcome's value.
_MORE: Final = r"larger|greater|higher|stronger|enhanced|bigger|largest|greatest|strongest|biggest"
_LESS: Final = r"smaller|weaker|lower|reduced|diminished|attenuated"
_EFFECT_WORDS: Final = r"effect sizes?|effects?|efficacy|mean differences?"
_EFFECT_SIZE: Final = re.compile(
    rf"\b(?:(?P<more>{_MORE})|{_LESS}) (?:and \w+ )?(?:\w+ )?(?:{_EFFECT_WORDS})\b(?! of\b)"
    rf"|\b(?:effect sizes?|mean differences?|efficacy) (?:(?:was|were|is|are|significantly|substantially|much"
    rf"|nearly|about|\w+ly) ){{1,3}}(?:(?P<more2>{_MORE})|{_LESS})\b"
    # "Antidepressant efficacy increased with dose up to 0.5 mg/kg".
    rf"|\b(?:effect sizes?|efficacy) (?:(?P<more4>increased|rose|grew)|decreased|fell|declined)\b"
    # A treatment's effect made to last or grow, or cut short, by what was added to it ("rapamycin prolonged the
    # antidepressant effects of ketamine", "magnesium potentiated the analgesic effect"): its measure is the symptoms'
    # fall, as the labels code an effect named (the "of" is the treatment whose effect it is).
    rf"|\b(?:(?P<more3>prolong|sustain|extend|augment|potentiat|enhanc|strengthen)\w*|(?:attenuat|block|blunt"
    rf"|diminish|weaken|shorten|abolish|abrogat)\w*) (?:the |its |their )?(?:[\w-]+ ){{0,2}}?(?:(?:antidepressant"
    rf"|analgesic|therapeutic|anti-?suicidal|anxiolytic|antinociceptive) (?:effects?|efficacy|response)|benefits?)\b",
    re.IGNORECASE,
)
_SIDE_EFFECT: Final = re.compile(r"\b(?:side|adverse|dissociative|psychotomimetic|undesirable)\b", re.IGNORECASE)


def effect_sign(text: str, effect: nums.Effect) -> Decision:
    """A named effect's direction from its sign alone (no word says which way).

    An "effect size" / "ES" is printed as the size of the benefit: positive is the symptoms' fall.
    Other measures take their sign as printed.
    """
    sized = effect.measure in _BENEFIT_SIZED and _SYMPTOM.search(text) and not _MARKER.search(text)
    if _ES_NAME.match(text, max(0, effect.start)) or sized:
        good = effect.sign > 0
        return Decision("decreased" if good else "increased", "effect size of benefit", 0, good_if=1 if good else -1)
    return Decision("increased" if effect.sign > 0 else "decreased", f"{effect.measure} CI excludes no effect", 0)


_ES_NAME: Final = re.compile(r"(?i:effect sizes?)|ESs?\b")
# Cohen's d and Hedges' g are printed as the size of the benefit too, where the clause is about symptoms or the
# treatment's effect ("the effect size for the drug difference was very large (d = 1.46 ...)"; the labels code a
# positive d or g on a symptom outcome as its fall, never its rise); elsewhere (a mechanism's marker) as signed.
_BENEFIT_SIZED: Final = frozenset({"d", "g"})
_SYMPTOM: Final = re.compile(
    r"\b(?:effect sizes?|drug (?:difference|effect)|symptoms?|severity|MADRS|HA?M-?D|HDRS|BDI|QIDS"
    r"|suicidal ideation|craving|antidepressant (?:effects?|response)|improvement"
    r"|(?:depression|depressive|anxiety|pain) (?:scores?|ratings?|severity|symptoms))\b",
    re.IGNORECASE,
)
# A brain or body measure named in the clause is what the d or g is of ("Depressed patients showed altered connectivity
# after ketamine (d = -0.9 ...)"): signed as printed, whatever symptom word the sample's description holds.
_MARKER: Final = re.compile(
    r"\b(?:connectivity|glutamate|GABA|BDNF|volumes?|power|activity|activation|heart rate|binding|concentrations?"
    r"|levels?|amplitudes?|potentials?|thickness|metabolites?)\b",
    re.IGNORECASE,
)


def effect_size(text: str, change: re.Match[str]) -> Decision | None:
    """More of the treatment's effect, whose measure is the symptoms' fall (less of it: their rise).

    "Effect sizes were larger for repeat infusions", "an enhanced and prolonged drug effect".
    """
    # Only around the change word the clause was read by (the comparative is part of the match).
    start, end = max(0, change.start() - 50), change.end() + 40
    folded = fold(text[start:end])
    if "effect" not in folded and "effica" not in folded and "mean diff" not in folded:
        return None
    sized = _EFFECT_SIZE.search(text, start, end)
    if sized is None or _SIDE_EFFECT.search(text, max(0, sized.start() - 12), sized.end()):
        return None
    good = any(sized.group(g) is not None for g in ("more", "more2", "more3", "more4"))
    return Decision(
        "decreased" if good else "increased", f"effect size: {sized.group(0)!r}", sized.end(), good_if=1 if good else -1
    )


# A lesser fall in one arm than in another ("MADRS scores fell less with ketamine than with ECT", "a smaller reduction
# than ECT", "improved to a lesser extent"): the intervention's arm kept more of the measure, an increase against the
# comparator, as the labels code arms compared. "less" and "smaller" are fall words of their own in the rules file,
# and "improved less" is read by the change block before the evaluation one, so the phrase is found around that word.
_LESSER: Final = re.compile(
    r"\b(?:smaller|lesser|less(?: pronounced| marked)?) (?:reduction|decrease|decline|drop|fall|improvement)s?\b"
    r"|\b(?:fell|decreased|declined|dropped|reduced|improved|diminished)(?: (?:significantly|slightly|much|far|"
    r"considerably))? less\b(?! than \d)"
    # "lidocaine reduced pain scores less at 1 h": the object named between the verb and "less".
    r"|\b(?:decreased|reduced|improved|diminished|lowered) (?:the )?(?:(?!than\b|and\b|or\b|with\b)[\w-]+ ){1,3}less\b"
    r"(?! than \d| (?:often|frequently|likely)\b)"
    r"|\b(?:fell|decreased|declined|dropped|reduced|improved) to a (?:lesser|smaller) (?:extent|degree)\b",
    re.IGNORECASE,
)
# What the lesser fall is set against: an arm, named by its drug ("than with ECT", "than the midazolam group", "than
# those given propofol"), not patients without a trait ("smaller reductions than those without it", "improved less
# than younger patients", "than the low-CRP group"), whose comparison the labels code as the trait's association with
# the response (read by the rules already), nor an expectation ("fell less than expected in both arms").
_AGAINST: Final = re.compile(r"\b(?:than|compared (?:with|to)|versus|vs\.?)\s")
_OPENS_AGAINST: Final = re.compile(
    r"\W*(?:compared (?:with|to)|relative to|in comparison (?:with|to))\s", re.IGNORECASE
)
_NAMED_WITHIN: Final = 40  # characters after "than" where the other arm's drug is named


def lesser_fall(
    text: str, word: re.Match[str], valence: Callable[[int], int], drug: TextPattern, comparator: TextPattern | None
) -> Decision | None:
    """The direction of a lesser fall of one arm than of another, where the fall word ``word`` belongs to one; else
    None.

    The subject's arm fell less than the other: the measure stayed higher there (an increase). A lesser improvement is
    a lesser fall of a symptom, but a lesser rise of a measure good when higher ("cognitive scores improved less with
    ketamine than with placebo": a decrease): ``valence(at)`` says which the outcome named after ``at`` is (> 0: good
    when higher). The other arm is named by its drug (``drug`` or ``comparator``) just after "than"."""
    m = _LESSER.search(text, max(0, word.start() - 16), word.end() + 40)
    if m is None or not m.start() <= word.start() <= m.end():
        return None
    # The other arm after the comparative, or opening the clause ("Compared with ketamine, placebo produced less ...").
    against = _AGAINST.search(text, m.end()) or _OPENS_AGAINST.match(text)
    if against is None:
        return None
    at, end = against.end(), against.end() + _NAMED_WITHIN
    if drug.search(text, at, end) is None and (comparator is None or comparator.search(text, at, end) is None):
        return None
    # Read of the subject's arm, as every comparative is: the finding is turned round afterwards when the comparator is
    # the subject ("Patients given midazolam had a smaller reduction than those given ketamine").
    higher = not ("improv" in m.group(0).lower() and valence(m.end()) > 0)
    unnamed = comparator is None or not comparator.search(text)
    if against.start() < m.start() and drug.search(text, at, end) and unnamed:
        # The drug opens the clause as the reference and the subject is an arm the vocabulary does not name ("Compared
        # with ketamine, lidocaine reduced pain scores less"): nothing afterwards can turn the reading round, so here.
        higher = not higher
    return Decision("increased" if higher else "decreased", f"change: lesser {m.group(0)!r}", m.end())
