"""The other drug a trial sets against the drug, named in its design text but unknown to the comparator vocabulary.

"Intravenous ketamine versus lidocaine for refractory neuropathic pain", "patients were randomized to ketamine 1 mg/kg
or haloperidol 5 mg": the results then speak of lidocaine or haloperidol by name ("Patients receiving lidocaine
reported better sleep quality than those receiving ketamine"). The readers tell arms apart by the drug's names and
the comparators' (the rules file's ``[comparators]``), which cannot list every drug a trial may compare with; read
without it, such a sentence names one arm only and is taken the wrong way round. :func:`other_drugs` finds these
names, and :func:`ketlit.evidence.group_names.with_arm_names` puts the readers' word for an unnamed comparator
("comparator") before each one in the results, as it does for arms named by letters.

Design decisions:
- **Only where the design sets it against the drug**: right after the drug and a few words (a dose, a route, a
  bracket) comes "versus", "vs", "or" or "compared with" (or a list's comma before an "or") and then the name; or the
  name comes right before such a word and the drug; or two groups are named ("a ketamine group and a haloperidol
  group"), or two drugs compared ("Comparison of ketamine and lidocaine"). "Ketamine and lidocaine were given" or
  "ketamine added to propofol" set nothing against it.
- **A drug's name, not any word**: a single word of five letters or more, with an ending drug names have ("-ine",
  "-ol", "-am", "-one", "-ide", ...), not a word every arm or sentence may use ("control", "protocol", "routine",
  "baseline", "medicine"), and not a name the vocabulary already reads (which needs no help).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Final

from ketlit.evidence.arms import ArmRules

_ROUTE: Final = (
    r"(?:(?:intravenous|intranasal|intramuscular|subcutaneous|sublingual|oral|inhaled|nebuli[sz]ed|topical|epidural|"
    r"intrathecal|iv|im|in|sc|low-dose|high-dose|single-dose|standard-dose|conventional|continuous)\s+)?"
)
# The other arm's name: one word, no hyphen ("pre-infusion scores" is no arm; of "haloperidol-midazolam" the first).
_NAME: Final = r"([A-Za-z][A-Za-z]{4,})\b(?!-(?:infusion|operative|treatment|dose|op)\b)"
# After the drug: a bracket, or up to six short words (a dose, a unit, a route, "over 15 minutes"), then the word that
# sets one arm against the other (or a comma of a list that ends in "or": "ketamine 0.5 mg/kg, lidocaine 1.5 mg/kg, or
# saline"), then the other arm's name.
_AFTER: Final = re.compile(
    r"(?:\s*\([^()]{0,60}\))?(?:\s+(?!(?:and|or|versus|vs|with|plus)\b)[\w./%-]+){0,6}?\s*"
    r"(?:,?\s+(?:versus|vs\.?|or|compared (?:with|to))\s+|,\s+(?=(?:[^.;]|\.(?=\d)){0,60}\bor\b))"
    r"(?:(?:an?|the|either)\s+)?" + _ROUTE + _NAME,
    re.IGNORECASE,
)
# Two arms named as groups: "allocated to a ketamine group (n = 30) and a haloperidol group (n = 30)".
_GROUPS_AFTER: Final = re.compile(
    r"\s+groups?(?:\s*\([^()]{0,30}\))?\s*,?\s+(?:and|or|versus|vs\.?)\s+(?:an?\s+|the\s+)?"
    + _NAME
    + r"(?=\s+groups?\b)",
    re.IGNORECASE,
)
# Two drugs compared, joined by "and": "Comparison of ketamine and lidocaine for ...", "comparing the effects of
# ketamine and magnesium".
_COMPARING_BEFORE: Final = re.compile(
    r"\b(?:comparison|comparing|compared|compare|between)\s+(?:of\s+)?(?:the\s+)?(?:(?:effects?|efficacy)\s+of\s+)?"
    r"(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
_AND_AFTER: Final = re.compile(r"(?:\s+[\w./%-]+){0,3}?\s+and\s+(?:(?:an?|the)\s+)?" + _ROUTE + _NAME, re.IGNORECASE)
# Before the drug: the other arm's name, then (up to three words later) the setting-against word, then the drug.
_BEFORE: Final = re.compile(
    r"\b" + _NAME + r"(?:\s*\([^()]{0,60}\))?(?:\s+[\w./%-]+){0,3}?\s*,?\s+(?:versus|vs\.?|or|compared "
    r"(?:with|to))\s+(?:(?:an?|the)\s+)?" + _ROUTE + r"$",
    re.IGNORECASE,
)
_DRUG_ENDING: Final = re.compile(
    r"(?:ine|ol|am|one|ide|ate|il|an|ium|in|ene|ane|yl|en|on|ac|ex|ox|ix|um|ir|ib|ab|azole|pam|lam|cin)$", re.IGNORECASE
)
# Words with a drug's ending that name no drug: arms, designs, people, measures, common words.
# fmt: off
_NOT_A_DRUG: Final = frozenset((
    "control", "controls", "protocol", "routine", "baseline", "medicine", "medicines", "machine", "alcohol",
    "cocaine", "nicotine", "caffeine", "children", "women", "between", "given", "often", "then", "when", "plan",
    "program", "regimen", "regimens", "regimes", "examine", "determine", "combination", "combined", "sedation",
    "anaesthesia", "anesthesia", "analgesia", "solution", "saline", "placebo", "vehicle", "intervention",
    "medication", "medications", "treatment", "session", "sessions", "infusion", "infusions", "injection",
    "injections", "admission", "condition", "conditions", "question", "population", "volume", "opinion", "person",
    "version", "option", "region", "emotion", "function", "cognition", "depression", "remission", "ideation",
    "agitation", "operation", "induction", "emulsion", "delusion", "attention", "mean", "median", "design",
    "mixture", "nothing", "standard", "usual", "common", "several", "similar", "either", "neither", "another",
    "whether", "protein", "vitamin", "insulin", "heparin", "morphine-sparing", "morphine-equivalent",
))
# fmt: on


def other_drugs(design: str, rules: ArmRules) -> tuple[str, ...]:
    """The names ``design`` (title, objective and methods) sets against the drug that the vocabulary does not read,
    lower-cased, in order of first mention."""
    found: list[str] = []
    comparator = rules.any_comparator
    folded = design.lower()
    # Where a word that sets one arm against another is: found once, so each of the drug's mentions asks only whether
    # one is near it (most mentions have none, and the regexes would be tried at every character).
    near = [m.start() for m in _SETS_AGAINST.finditer(folded)]
    if not near:
        return ()
    for drug in rules.drug.finditer(design):
        start, end = drug.start(), drug.end()
        after = _AFTER.match(design, end) if _within(near, end, end + 120) else None
        before = _BEFORE.search(design, max(0, start - 90), start) if _within(near, start - 90, start) else None
        groups = _GROUPS_AFTER.match(design, end) if _within(near, end, end + 12) else None
        compared = _within(near, start - 60, start) and _COMPARING_BEFORE.search(design, max(0, start - 60), start)
        joined = _AND_AFTER.match(design, end) if compared else None
        for m in (after, before, groups, joined):
            if m is None:
                continue
            name = m.group(1)
            low = name.lower()
            if (
                low in found
                or low in _NOT_A_DRUG
                or not _DRUG_ENDING.search(low)
                or rules.drug.search(name)
                or (comparator is not None and comparator.search(name))
            ):
                continue
            found.append(low)
    return tuple(found)


# The words that set one arm against another (and "group", which names two arms).
_SETS_AGAINST: Final = re.compile(r" versus | vs| or |compar| between | group")


def _within(positions: list[int], start: int, end: int) -> bool:
    """Whether one of ``positions`` (ascending) is in ``[start, end)``."""
    i = bisect_left(positions, start)
    return i < len(positions) and positions[i] < end


def mentions(names: tuple[str, ...]) -> re.Pattern[str]:
    """Where a sentence names one of ``names`` (whole words, any case)."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b", re.IGNORECASE)
