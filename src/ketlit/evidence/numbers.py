"""Effect numbers as abstracts print them: OR/RR/HR/MD/SMD with 95% CIs, per-arm rates, p values.

Pure regex reading of one sentence (or clause). What it returns is shown to the reader next to
the sentence, so it only reports numbers that are printed; nothing is computed here.

Design decisions:
- **Measures are named by the sentence.** "OR 3.94, 95% CI 1.54 to 10.10" and "(mean difference
  in IES-R score, 12.7 [95% CI, 2.5-22.8])" both read; a bare "1.2 (0.8-1.9)" does not, because
  without the measure's name nobody can say whether 1 or 0 is "no effect".
- **Minus signs are normalised** before reading, and per-arm rates read, in :mod:`ketlit.evidence.printing`
  (re-exported here: :func:`normalise`, :class:`Rate`, :func:`rates`).
- ``excludes_null`` knows ratio measures (null 1) from difference measures (null 0).
- **Several results in one sentence** ("SMD -0.97 … on day 1; SMD -0.30 … on day 7", "8 vs. 3
  (P<0.05), 6 vs. 2 (ns)") are grouped by :func:`results`: each value (an effect or a count pair)
  starts one, the first p or "ns" after it is its own. The reader gives each its own finding.
- **Cheap exact prefilters first**: every effect reading needs a "95% CI", every p value an
  operator, every rate a "%" or "percent"; most clauses have none, and ``re`` would otherwise
  try each pattern at every character. Measure names are found by a Matcher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from ketlit.evidence.matcher import AnchorIndex, Matcher, fold
from ketlit.evidence.printing import Rate as Rate
from ketlit.evidence.printing import normalise as normalise
from ketlit.evidence.printing import rates as rates

# A ratio printed on the log scale ("log OR = 0.85 (95% CI 0.2-1.5)") is its own measure: read as the ratio it
# would put "no effect" at 1 and turn an interval that excludes it (0) into one that does not.
Measure = Literal["OR", "RR", "HR", "MD", "SMD", "RD", "g", "d", "logOR", "logRR", "logHR"]
RATIO_MEASURES: Final = frozenset({"OR", "RR", "HR"})

_MEASURE_WORDS: Final[tuple[tuple[str, Measure], ...]] = (
    # "a" before an abbreviation: adjusted ("aOR", "aRR", "aHR"); a prevalence ratio ("PR", "aPR") is a
    # risk ratio of prevalences, an incidence rate ratio ("IRR", "aIRR") one of rates.
    # "O.R. = 2.2": the abbreviation with full stops, as some journals print it.
    # Log ratios first: "log OR" starts before its "OR", so the leftmost name is the log's.
    (r"\b(?:log|ln)[- ]?(?:odds ratios?|\(?(?-i:ORs?)\)?(?![A-Za-z]))", "logOR"),
    (r"\b(?:log|ln)[- ]?(?:risk ratios?|relative risks?|\(?(?-i:RRs?)\)?(?![A-Za-z]))", "logRR"),
    (r"\b(?:log|ln)[- ]?(?:hazard ratios?|\(?(?-i:HRs?)\)?(?![A-Za-z]))", "logHR"),
    (r"odds ratios?|(?-i:\ba?ORs?\b)|(?-i:\bO\.R\.)", "OR"),
    (
        r"risk ratios?|relative risks?(?!\s+(?:reductions?|increases?)\b)|rate ratios?|prevalence ratios?|"
        r"(?-i:\ba?(?:I?RR|PR)s?\b)|(?-i:\bR\.R\.)",
        "RR",
    ),
    (r"hazard ratios?|(?-i:\ba?HRs?\b)|(?-i:\bH\.R\.)", "HR"),
    # "ES = 1.48, 95% CI": an effect size printed as a value is a standardised difference.
    # "a pooled effect size of 0.72 (95% CI ...)": an effect size named in words is a standardised difference too
    # (:data:`_GENERIC`), unless a correlation, variance share or regression coefficient follows as its kind.
    (
        r"standardi[sz]ed mean differences?|(?-i:\bSMDs?\b)|(?-i:\bESs?\b)(?= ?[=:])|"
        r"(?:standardi[sz]ed )?effect sizes?\b(?!\s*[(\[]?\s*(?:β|beta|r|R2|R²|η|eta|ω|omega|φ|phi|w|f)(?![^\W\d_]))",
        "SMD",
    ),
    # "mean (95% CI) difference … was -4.9 (-8.96, -0.89)": the interval declared inside the name.
    (
        r"(?:weighted )?mean (?:\(95\s*%\s*CI\) )?(?:change )?differences?|treatment differences?|"
        r"(?-i:\b(?:W|LS ?)?MDs?\b)",
        "MD",
    ),
    # "difference of least-squares means [SE], -1.17 [0.44]; 95% CI, ...".
    (r"differences? (?:of|in|between) (?:the )?(?:least[- ]squares? |LS )?means", "MD"),
    (r"risk differences?|(?-i:\bRDs?\b)", "RD"),
    (r"hedges'? ?g|(?-i:\bg\b)", "g"),
    (r"cohen'?s ?d|(?-i:\bd\b)", "d"),
)
_NUM: Final = r"-?\d+(?:\.\d+)?|-?\.\d+"
# What joins an interval's bounds: "to", a comma, semicolon, hyphen or dash, or a tilde ("95%CI: 0.33 ~ 0.57", as
# many abstracts from China print it); after a label, also "and" ("95% CI between 0.2 and 0.8"). One definition for
# every interval pattern below, so a separator added is read by all of them.
_BETWEEN: Final = r"(?:to|,|;|-|–|—|~|～)"
_BETWEEN_OR_AND: Final = r"(?:to|,|;|-|–|—|~|～|and)"
# "CI 2.7-6.1" with no level printed (95% by convention): the letters as written, right before the
# interval's numbers, and not after a percentage ("90% CI" is another level) or inside a word.
_BARE_CI: Final = r"(?<![%\w])(?<![%\d] )(?-i:CI)(?=\s*[=:,]?\s*[\[(]?\s*-?\.?\d)"
# A number that is part of a compound word, not a value: "1-week", "6-months", "24-hour" (a time point
# naming what was measured, "the pooled SMD for 1-week change ... was -0.72").
_COMPOUND: Final = r"(?<![\d.])\d{1,3}-(?=[A-Za-z])"
# A time point between a measure's name and its value names when it was measured, not the value: "the mean
# difference in pain intensity at 24 h was -0.94 (95% CI ...)", "OR for response at 1 week was 4.1", "SMD at day 7,
# -0.85". A preposition, then a day, week or visit number or a number with a unit of time, is skipped as one piece.
# A numbered day or visit is one with or without its preposition ("difference at day 7": the preposition may
# be another pattern's); a number with a unit of time only after one ("a difference of 2 days" is a value).
_TIME_POINT: Final = (
    r"(?:\b(?:at|on|by|after|over|through|to|until|from|within|in)\s+(?:the\s+)?(?:end\s+of\s+)?)?"
    r"\b(?:day|week|month|year|visit|session|infusion|dose)\s+\d{1,3}(?![\d.%])"
    r"|\b(?:at|on|by|after|over|through|to|until|from|within|in)\s+(?:the\s+)?"
    r"\d{1,3}(?:\.\d+)?\s*(?:h|hrs?|hours?|min|minutes?|d|days?|wks?|weeks?|mo|months?|years?)\b"
)
# Words that end a result: the filler after a measure's name does not run past them to another quantity's value ("The
# OR at 6 months was not significant, whereas at 12 months the relapse rate was 31% (95% CI ...)").
_CONTRAST: Final = r"(?<![A-Za-z])(?:whereas|but|while|although|however)\b"
# Between an unnamed value and its interval: no number, except a scale's own ("PHQ-9", "HAMD-17") or a
# compound word's.
_NO_NUMBER: Final = rf"(?:[^\d]|(?<=[A-Za-z]-)\d{{1,2}}(?!\d)|{_COMPOUND})"
# The interval's label as printed: "95% CI", "95% confidence interval(s)", "95% CrI", "95% HDI", "CI 95%"; then
# "(95% CI)" or "[CI]" repeated, a separator, a bracket, and "CI," again inside it ("95% confidence interval
# [CI, -1.27, -0.66]").
_CI_LABEL: Final = (
    rf"(?:95\s*%\s*[,-]?\s*(?:CIs?|confiden(?:ce|t) (?:intervals?|limits?)|CrI|HDI)|CI\s*95\s*%|{_BARE_CI})"
    r"\s*(?:[\[(](?:95\s*%\s*)?CIs?[\])]\s*)?[,:=]?\s*[\[(]?\s*(?:CI\s*[,:]\s*)?(?:(?:from|between)\s+)?"
)
# An interval after its label: "95% CI 1.2-3.6", "95% CI: -0.5 to 0.2" (the bounds as ``lo`` and ``hi``).
_LABELLED_BOUNDS: Final = rf"{_CI_LABEL}(?P<lo>{_NUM})%?\s*{_BETWEEN_OR_AND}\s*(?P<hi>{_NUM})"
# The measure names as one Matcher (the alternation's answers: ``re`` alone tried its ~20
# case-insensitive alternatives at every character, ~1 µs a character); ``which`` names the measure.
_MEASURES: Final = Matcher([w for w, _ in _MEASURE_WORDS], re.IGNORECASE, AnchorIndex())
# "Effect size" names no measure of its own: a measure named with it ("Cohen's d effect sizes were large: 2.8",
# "the effect size (Hedges' g) was 1.0") is the value's, whichever comes first.
_GENERIC: Final = re.compile(r"effect size", re.IGNORECASE)
# A value's unit in words: "34.6 seconds", "27.2 mm Hg", "25.7 beats per minute".
_UNIT_WORDS: Final = r"\s*[a-zA-Z/]+(?: [a-zA-Z/]+){0,3}"
_UNIT: Final = rf"(?:{_UNIT_WORDS})?"
# After the measure's name: up to 70 characters of words (not digits), then the value, then a CI.
_AFTER_MEASURE: Final = re.compile(
    # "SMD-0.65": a minus sign right after the name is the value's own.
    rf"(?:(?:{_TIME_POINT})|(?!{_CONTRAST})[^\d.;]|{_COMPOUND}){{0,70}}?(?:=|:|,|\s|\(|\[|(?=-))\s*(?P<value>{_NUM})\s*"
    rf"(?:(?:percentage[- ])?points?\b\s*|%\s*|{_UNIT_WORDS}\s*)?"  # the value's unit: "-4.56 points (95% CI ..."
    rf"(?:±\s*\d+(?:\.\d+)?\s*)?"  # a standard deviation printed after it: "2.1 ± 0.9, 95% CI"
    rf"(?:\s*[\[(]\s*(?:SE\s*)?\d+(?:\.\d+)?\s*[\])]\s*)?"  # a standard error printed after the value
    rf"(?:[,;]?\s*(?:SD|SE)\s*[=:]?\s*\d+(?:\.\d+)?\s*)?"  # or as "sd = 0.13"
    rf"(?:[\[(]\s*(?:SD|SE)\s*[=:,]?\s*\d+(?:\.\d+)?\s*[;,]\s*)?"  # or opening the CI's bracket: "(SE 1.3; 95% CI"
    rf"(?:[,;(\[]\s*)*{_LABELLED_BOUNDS}",
    re.IGNORECASE,
)
# A named value with its interval in square brackets and no label ("Hedges' g = 1.52 [0.98-2.22]", "SMD -0.56
# [-0.75, -0.37]"), as meta-analyses print them: read as an interval of unstated level (shown, never deciding
# against a p), and only where the value lies inside it (a citation "[12]" or a range of another thing does not).
_BRACKET_AFTER: Final = re.compile(
    rf"[^\d.;\[\]]{{0,12}}?(?:=|:|\s)\s*(?P<value>{_NUM})\s*\[\s*(?P<lo>{_NUM})\s*{_BETWEEN}\s*(?P<hi>{_NUM})\s*\]",
    re.IGNORECASE,
)
# The same in round brackets ("hazard ratio of 0.51 (0.35-0.73)", "MD -1.29 (-1.81, -0.77)", "(SMD = 0.75 (0.51-0.99),
# p<0.001)"), which also print a median and its range, a vital sign and its spread or an age and its span: the value
# right after the name (a separator or "of"/"was" between, no other words), the bracket perhaps ending with the p,
# and no unit after it ("HR 72 (64-80) beats/min", "OR time 120 (95-150) min", "MD 5 (0-10) points").
_ROUND_AFTER: Final = re.compile(
    rf"(?:\s*[=:,]\s*|\s+(?:of|was|were|is)\s+|\s+|(?=-))(?P<value>{_NUM})\s*\(\s*(?P<lo>{_NUM})\s*{_BETWEEN}\s*"
    rf"(?P<hi>{_NUM})\s*(?:[,;]\s*[pP]\s*[<=>≤≥]\s*0?\.\d+\s*)?\)"
    r"(?!\s*(?:beats|bpm|breaths|min(?:utes?)?\b|s\b|secs?\b|seconds|h\b|hrs?\b|hours?|days?|weeks?|months?|years?|"
    r"mm|cm|kg|mg|µg|mcg|ml\b|l\b|points?\b|%|/|per\b|patients|participants|subjects))",
    re.IGNORECASE,
)
# What _BRACKET_AFTER's interval needs, searched first: most clauses print no "(lo-hi)", and finding the measures'
# names in every bracketed clause would cost more than the rest of this function.
_BRACKETED_PAIR: Final = re.compile(rf"[\[(]\s*(?:{_NUM})\s*{_BETWEEN}\s*(?:{_NUM})")
# What an "effect size" is when it is not a standardised difference: a correlation, a variance share, a coefficient,
# a ratio, a number needed to treat or an area under a curve named between it and its value.
_NOT_A_DIFFERENCE: Final = re.compile(
    r"\b(?:r|rho|pearson'?s?|spearman'?s?|fisher'?s?|partial|eta|cramer'?s?|v|f|beta|b|coefficients?|correlations?|"
    r"nnt|number needed|auc|area under|odds|risks?|hazard|ratios?|percentages?|proportions?)\b|[ρηβ]",
    re.IGNORECASE,
)
# A second value of the same measure: "(d = .89, 95% CI = .61-1.16, and .98, 95% CI = .64-1.33, respectively)", also
# after the first interval's unit and p ("34.6 seconds (95% CI, 26.4-42.7 seconds; P < 0.001) and 26.6 seconds (95%
# CI, ...)") or a semicolon ("27.2 mm Hg [95% CI, 12.0-42.4 mm Hg; P = 0.001]; 25.7 beats per minute [95% CI, ...").
# What each value is for may be named on either side of the "and" ("2.14 (95% CI ...) for response and 2.71 (95% CI
# ...) for remission", "3.0 (95% CI ...) and for remission 2.6 (95% CI ...)"): a few words without a number.
_FOR_WHAT: Final = r"(?:(?:for|in|on)\s+[^\d;()\[\]=<>]{1,40}?\s+)?"
_AND_NEXT: Final = re.compile(
    rf"{_UNIT}(?:\s*[;,]\s*[pP]\s*[<=>≤≥]\s*0?\.\d+)?\s*[)\]]?\s*{_FOR_WHAT}"
    rf"(?:[,;]?\s*(?:and|or)\s+{_FOR_WHAT}|;\s*)(?P<value>{_NUM})"
    rf"{_UNIT}\s*[,;(\[]?\s*{_LABELLED_BOUNDS}",
    re.IGNORECASE,
)
# The label before the value: "SMD [95% CI] = 0.26 [0.03, 0.48]", "OR (95% CI): 2.1 (1.2-3.6)".
_LABEL_FIRST: Final = re.compile(
    rf"\s*[\[(]\s*95\s*%\s*(?:CI|CrI)\s*[\])]\s*(?:[=:]|\s(?:was|were|is|of))?\s*(?P<value>{_NUM})\s*[\[(]\s*"
    rf"(?P<lo>{_NUM})\s*{_BETWEEN}\s*(?P<hi>{_NUM})\s*[\])]",
    re.IGNORECASE,
)
_CI: Final = rf"{_NO_NUMBER}{{0,80}}?{_LABELLED_BOUNDS}"
# The measure and its interval declared once, the values after: "least-square mean difference [95% CI] based
# on MMRM): BHS, ... [-1.0 (-2.23, 0.21)]; QLDS, ... [-3.1 (-5.21, -1.02)]", "OR (95% CI) 2.1 (1.2-3.6) for
# response and 3.0 (1.5-6.1) for remission". Each "value (lo, hi)" after the declaration and before the next
# measure's name is one estimate; a value after "±" is a standard deviation, not an estimate.
_DECLARED: Final = re.compile(
    r"[^\d;]{0,40}?[\[(]\s*(?:95\s*%\s*(?:CI|CrI|HDI|confiden(?:ce|t) intervals?)|CI\s*95\s*%)\s*[\])]", re.IGNORECASE
)
_TRIPLET: Final = re.compile(
    rf"(?<![\d.±])(?<!± )(?:\+\s?)?(?P<value>{_NUM})\s*[\[(]\s*"
    # The bracket may go on with the test ("-4.9 (-8.96, -0.89; t = -2.4, df = 127)").
    rf"(?P<lo>{_NUM})\s*{_BETWEEN}\s*(?P<hi>{_NUM})\s*[\]);]",
    re.IGNORECASE,
)
# Unnamed differences: "(difference, 14.2 percentage points; 95% CI, 3.9 to 24.2)", "estimate=7.65,
# 95% CI=1.36, 13.94", "4.96 points greater … (95% CI=2.33, 7.59)". Percentage points are a risk
# difference; points on a scale, a mean difference.
_UNNAMED: Final = (
    re.compile(
        # "difference in MADRS change was -4.0 points (95% CI ...)": a few words naming what differed may
        # come between (no digit, bracket or "=" among them, so no other number is skipped).
        # "the estimated treatment effect on the MADRS was -5.7", "estimated difference at day 7, -3.9; 95% CI": a time
        # point among them is one piece (_TIME_POINT), and the words may end at a comma or colon before the value.
        rf"\b(?:difference|estimate|between-group difference|treatment effect)"
        rf"(?:\s+(?:in|between|for|of|on|at)\b(?:(?![;()\[\]=<>]|{_CONTRAST})(?:(?:{_TIME_POINT})|{_NO_NUMBER})){{0,60}}?"
        rf"(?=\s(?:of|was|were|is)\b|\s*[,:]\s*-?\.?\d))?"
        rf"\s*(?:of|was|were|is|=|:|,)?\s*(?P<value>{_NUM})(?:\s*±\s*\d+(?:\.\d+)?)?\s*"
        rf"(?P<unit>percentage points|%|points?)?{_CI}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?P<value>{_NUM})[\s-]*(?P<unit>percentage points?|points?)\s+"
        rf"(?:greater|higher|lower|more|less|reduction|decrease|drop|decline|improvement|increase)\b{_CI}",
        re.IGNORECASE,
    ),
    # "a mean reduction of 4.4 points on the PHQ-9 (CI 2.7-6.1)": a change in points, named by its change word.
    re.compile(
        rf"\b(?:reduction|decrease|drop|decline|improvement|increase|change)\s+(?:of\s+)?(?:about\s+)?"
        rf"(?P<value>{_NUM})\s*(?P<unit>points?)\b{_CI}",
        re.IGNORECASE,
    ),
)
# A unit of measurement, as a change "of 12.61 mm Hg" prints it (not a bare number: "the midazolam group had a
# decrease of 17.22 (95% CI ...)" is one arm's change from baseline).
_MEASURED_UNIT: Final = (
    r"mm ?Hg|beats per minute|bpm|ms|seconds?|minutes?|min|hours?|h|days?|weeks?|months?|kg|mg|cm|mm|"
    r"(?:[nµμp]g|mg)/(?:ml|dl|l)|mmol/l"
)
# Between such a value and its interval only a unit, a bracket or a separator: "by 1.5 points and the risk of relapse
# (95% CI 1.0-2.0)" is another quantity's interval.
_CI_NEAR: Final = rf"\s*[,;(\[]?\s*{_LABELLED_BOUNDS}"
# Differences named by a change or comparison word and printed in other units, or after "by": "an average
# SBP increase of 12.61 mm Hg (95% CI 10.40-14.82)", "lower in the ketamine group ... by 7.95 points (95% CI,
# 3.20 to 12.71)", "reduced by 37.5 percentage points (95% CI: -61.1 to -13.9)". A percentage is not read
# ("reduced by 45% (95% CI ...)" is a relative change, not a difference), and the value (or its negative, the
# sign the wording took) must lie inside its interval: these wordings sit further from the numbers, so an
# interval of another quantity is the likelier misreading.
_UNNAMED_CHECKED: Final = (
    re.compile(
        rf"\b(?:reduction|decrease|drop|decline|improvement|increase|rise|change)\s+(?:of\s+)?(?:about\s+)?"
        rf"(?P<value>{_NUM})\s*(?:{_MEASURED_UNIT})\b(?P<unit>){_CI_NEAR}",
        re.IGNORECASE,
    ),
    # After "by": not a percentage (a relative change), a fold change or a time point ("lower by 2 h after surgery").
    re.compile(
        r"\b(?:lower|higher|greater|less|more|smaller|larger|reduced|decreased|increased|improved|fell|rose|"
        rf"dropped|declined|lowered|raised|differed|superior|inferior)\b(?P<between>(?:(?![;()\[\]=<>]){_NO_NUMBER}){{0,80}}?)\bby\s+(?:about\s+|"
        rf"approximately\s+|an average of\s+|a mean of\s+)?(?P<value>{_NUM})(?!\s*(?:%|percent\b|-?fold\b)|[\d.])"
        r"(?!\s*(?:[a-z]+\s+)?(?:after|post|later|following|from|before)\b)"
        # Points may name their scale ("by 5.7 points on the MADRS"), as an abbreviation: no other quantity's words.
        rf"(?:\s*(?P<unit>percentage points?|points?)\b(?:\s+on\s+(?:the\s+)?(?-i:[A-Z][A-Z0-9-]{{1,12}})\b)?"
        rf"|\s*(?P<measured>{_MEASURED_UNIT})\b)?{_CI_NEAR}",
        re.IGNORECASE,
    ),
)
# A difference after "by" with no unit is one only where the words before name a comparison ("lower in the ketamine
# group than in the midazolam group by 7.95"): "reduced by 8.2 (95% CI ...) in the ketamine group" is one arm's change.
_COMPARISON_WORDS: Final = re.compile(r"\b(?:than|compared|versus|vs\.?|between|relative to)\b", re.IGNORECASE)
_P: Final = re.compile(
    r"\b[pP](?:s|'s)?\s*(?P<op>[<=>≤≥]|&lt;|&gt;)\s*(?P<val>0?\.\d+|[01](?:\.\d+)?(?:\s*[x×]\s*10\s*\^?\s*[-−]\s*\d+)?)"
)
# Cheap exact prefilters: text without these cannot match the readers below, so they are not run
# (most clauses print no CI, no percentage and no p value).
# In every effect reading:
_HAS_CI: Final = re.compile(
    rf"95\s*%\s*[,-]?\s*(?:CI|confiden(?:ce|t) (?:interval|limit)|CrI|HDI)|CI\s*95\s*%|{_BARE_CI}", re.IGNORECASE
)
_P_OPS: Final = "<=>≤≥&"  # every p value has an operator (one ``in`` each: a regex class is ~10x slower)


@dataclass(frozen=True, slots=True)
class Effect:
    """A named effect estimate with its 95% CI."""

    measure: Measure
    value: float
    lo: float
    hi: float
    # Where the measure's name is printed (which result of a sentence it belongs to); not part of its identity.
    start: int = field(default=-1, compare=False)
    # False for an interval printed as a bare "CI": its level is unsaid (95% by convention, but not always), so
    # its numbers are shown while it does not decide significance against a p value (see :attr:`decides_null`).
    level_printed: bool = field(default=True, compare=False)

    @property
    def excludes_null(self) -> bool:
        """Whether the CI excludes "no effect" (1 for ratios, 0 for differences)."""
        null = 1.0 if self.measure in RATIO_MEASURES else 0.0
        return self.lo > null or self.hi < null

    @property
    def spans_null(self) -> bool:
        """Whether the CI, printed as a 95% CI, includes "no effect": the estimate says no difference.
        An interval of unsaid level never does (a bare "CI" beside "P = 0.036" may be a 90% interval)."""
        return self.level_printed and not self.excludes_null

    @property
    def sign(self) -> int:
        """+1 when the estimate is above "no effect", -1 below, 0 at it."""
        null = 1.0 if self.measure in RATIO_MEASURES else 0.0
        return (self.value > null) - (self.value < null)


@dataclass(frozen=True, slots=True)
class PValue:
    """A p value as printed: comparison operator and value."""

    op: str
    value: float
    start: int = field(default=-1, compare=False)

    @property
    def significant(self) -> bool:
        """p below 0.05 (or ≤ 0.05 as printed with "<" or "=")."""
        if self.op in (">", "≥"):
            return False
        return self.value < 0.05 or (self.op in ("<", "≤", "=") and self.value <= 0.05)

    @property
    def text(self) -> str:
        """Normalised print form, e.g. ``< .001``."""
        return f"{self.op} {self.value:g}".replace("0.", ".", 1)


def _float(s: str) -> float:
    return float(s)


def _effect(measure: Measure, m: re.Match[str], start: int) -> Effect:
    value, lo, hi = (_float(m.group(g)) for g in ("value", "lo", "hi"))
    if lo > hi:
        lo, hi = hi, lo
    # "2.5-22.8" read with the hyphen as a minus sign on the upper bound.
    if hi < value and m.group("hi").startswith("-") and -hi > value:
        hi = -hi
    return Effect(measure, _signed(value, lo, hi), lo, hi, start, _level_printed(m))


def _level_printed(m: re.Match[str]) -> bool:
    """Whether the interval's label a match read says its level ("95% CI"), not a bare "CI"."""
    return "95" in m.string[m.end("value") : m.start("lo")] or "95" in m.string[m.start() : m.start("value")]


def _signed(value: float, lo: float, hi: float) -> float:
    """``value`` with the minus sign the wording took ("median difference 17 mm (95% CI -30 to -3)"
    for "17 mm lower"): an estimate lies inside its own interval, so a value outside it whose
    negative is inside is that negative. Any other value is kept as printed."""
    return -value if not lo <= value <= hi and lo <= -value <= hi else value


def _declared_values(measure: Measure, text: str, name: int, pos: int, upto: int) -> list[Effect]:
    """The "value (lo, hi)" estimates in ``text[pos:upto]`` whose value lies in its own interval; the
    first placed at the measure's ``name`` (where its result's words begin), the others at their value."""
    out: list[Effect] = []
    for m in _TRIPLET.finditer(text, pos, upto):
        # Declared as a 95% interval where the measure was named (a header, "[95% CI]" or "mean (95% CI) difference").
        effect = replace(_effect(measure, m, m.start("value") if out else name), level_printed=True)
        if effect.lo <= effect.value <= effect.hi:
            out.append(effect)
    return out


def declared_measure(text: str) -> Measure | None:
    """The measure whose interval ``text`` declares before its values ("mean difference [95% CI] ...: ..."),
    the last one printed; None when there is none. For the later clauses of a sentence cut at ";",
    whose values were declared in its first (see :func:`effects`'s ``declared``)."""
    if "95" not in text:
        return None
    text = normalise(text)
    found: Measure | None = None
    for m in _MEASURES.finditer(text):
        if _AFTER_MEASURE.match(text, m.end()) is None and (
            _LABEL_FIRST.match(text, m.end()) or _DECLARED.match(text, m.end())
        ):
            found = _MEASURE_WORDS[_MEASURES.which(m)][1]
    return found


# A bare "(value, 95% CI lo-hi)" right after a change the clause reports ("scores decreased in both younger (3.3,
# 95% CI = 2.5-4.1) and older (2.8, 95% CI = 1.1-4.6) patients", "a reduction in amygdala reactivation (-0.33, sd =
# 0.13, 95%HDI [-0.56,-0.04])"): the size of that change on its scale, a mean difference. Not a
# percentage (a rate with its interval is a proportion, not a difference), and only where the value lies inside
# its interval and a change word comes first.
_BARE_VALUE: Final = re.compile(
    rf"[\[(]\s*(?P<value>{_NUM})\s*(?P<unit>points?)?\s*(?:[,;]\s*(?:SD|SE)\s*[=:]?\s*\d+(?:\.\d+)?\s*)?[,;]\s*"
    + _LABELLED_BOUNDS,
    re.IGNORECASE,
)
# Change verbs and nouns only: a comparative ("higher in women (12.1, 95% CI 10.2-14.0) than in men (11.5, ...)")
# introduces each group's level, not a change.
_CHANGE_BEFORE: Final = re.compile(
    r"\b(?:de|in)creas\w*|\breduc\w*|\bimprov\w*|\bdifferen\w*|\bchanges?\b|\bdrops?\b|\bdeclin\w*|\bworsen\w*",
    re.IGNORECASE,
)


def _bare_changes(text: str) -> list[Effect]:
    out: list[Effect] = []
    for m in _BARE_VALUE.finditer(text):
        if not _CHANGE_BEFORE.search(text, max(0, m.start() - 120), m.start()):
            continue
        lo, hi = sorted((_float(m.group("lo")), _float(m.group("hi"))))
        value = _float(m.group("value"))
        effect = Effect("MD", value, lo, hi, m.start(), _level_printed(m))
        if lo <= value <= hi and effect not in out:
            out.append(effect)
    return out


_COMPOUND_RE: Final = re.compile(_COMPOUND)
_TIME_POINT_RE: Final = re.compile(_TIME_POINT, re.IGNORECASE)


def _abbreviates_something_else(text: str, m: re.Match[str], before: re.Match[str] | None) -> bool:
    """Whether a measure's abbreviation is the bracketed short form of other words ("heart rate (HR)", "respiratory
    rate (RR)"): alone in its brackets, with no measure's name right before them ("odds ratio (OR)" is the OR). A
    name in words is nobody's short form ("the effect size (Hedges' g) at 24 h was 1.01")."""
    if text[m.start() - 1 : m.start()] != "(" or text[m.end() : m.end() + 1] != ")" or " " in m.group():
        return False
    return before is None or text[before.end() : m.start() - 1].strip() != ""


def _past_a_compound_and_a_name(
    text: str, name: re.Match[str], measure: Measure, after: re.Match[str], names: Sequence[re.Match[str]], k: int
) -> bool:
    """Whether the words between a measure's name and the value it read pass a compound number where they may not.
    The filler may pass one ("the pooled SMD for 1-week change was -0.72"; without it a digit stopped the filler
    there already) unless the next measure's name comes first ("relative risk (RR) favoured X for 6-month response
    (OR 2.756 [95% CI ...])" is the OR's value) or the name is a ratio's bare abbreviation, which vital signs and
    places share ("Mean HR during the 10-minute recovery period was 82 (95% CI 79-85)": a heart rate)."""
    value = after.start("value")
    if _COMPOUND_RE.search(text, name.end(), value) is None:
        # A time point passed is as a compound number for a ratio's bare abbreviation where the value is no ratio's
        # ("Mean HR at 24 h was 82": a heart rate; "RR at day 3, 0.97" is a ratio).
        return (
            _is_abbreviation(name)
            and measure in RATIO_MEASURES
            and not 0 < _float(after.group("value")) < 10
            and _TIME_POINT_RE.search(text, name.end(), value) is not None
        )
    return (_is_abbreviation(name) and measure in RATIO_MEASURES) or (
        k + 1 < len(names) and names[k + 1].start() < value
    )


def _unnamed(text: str) -> list[Effect]:
    """The differences printed with an interval and no measure's name (:data:`_UNNAMED`, :data:`_UNNAMED_CHECKED`)."""
    out: list[Effect] = []
    for checked, patterns in ((False, _UNNAMED), (True, _UNNAMED_CHECKED)):
        for pattern in patterns:
            for m in pattern.finditer(text):
                unit = (m.group("unit") or "").lower()
                kind: Measure = "RD" if unit.startswith("percentage") or unit == "%" else "MD"
                lo, hi = sorted((_float(m.group("lo")), _float(m.group("hi"))))
                effect = Effect(kind, _signed(_float(m.group("value")), lo, hi), lo, hi, m.start(), _level_printed(m))
                # A checked wording's interval already read by another wording is that one's.
                if checked and (not lo <= effect.value <= hi or any((e.lo, e.hi) == (lo, hi) for e in out)):
                    continue
                if effect not in out and not _not_a_difference(text, m, pattern):
                    out.append(effect)
    return out


# What says an unnamed value is no difference between the arms: a characteristic of the sample ("Difference in
# baseline age: 45 (95% CI 40-50)"), one arm's value against the other's ("45 (95% CI 40-50) vs 47"), one arm's
# change ("lowered by 10 points (95% CI 7-13) from baseline", "raised by 12 bpm (95% CI 8-16) in the ketamine arm"),
# or a ratio the sentence names as its kind ("the treatment effect on response was 1.6 (95% CI ...), expressed as a
# risk ratio").
_SAMPLE_WORDS: Final = re.compile(r"\b(?:baseline|ages?|aged)\b", re.IGNORECASE)
_VERSUS_AFTER: Final = re.compile(r"\s*[)\]]?\s*(?:vs\.?|versus)\s*-?\.?\d", re.IGNORECASE)
_ONE_ARM_AFTER: Final = re.compile(
    r"[^;]{0,40}?\b(?:(?:from|over|since|compared (?:with|to)) baseline|in the [\w-]+ (?:arm|group))\b", re.IGNORECASE
)
_RATIO_WORDS: Final = re.compile(r"\b(?:odds|hazards?|risk ratios?|relative risks?|rate ratios?)\b", re.IGNORECASE)


def _not_a_difference(text: str, m: re.Match[str], pattern: re.Pattern[str]) -> bool:
    """Whether an unnamed value read by ``pattern`` is something else than a difference between arms (see above)."""
    if _SAMPLE_WORDS.search(text, m.start(), m.start("value")) or _VERSUS_AFTER.match(text, m.end()):
        return True
    if m.group(0)[:9].lower() in ("treatment", "estimate") and _RATIO_WORDS.search(text):
        return True
    if "between" in pattern.groupindex:  # after "by": one arm's change unless a comparison is worded
        if _COMPARISON_WORDS.search(m.group("between")):
            return False
        return not (m.group("unit") or m.group("measured")) or _ONE_ARM_AFTER.match(text, m.end()) is not None
    return False


def effects(text: str, declared: Measure | None = None) -> list[Effect]:
    """Every named effect estimate with a 95% CI in ``text``. ``declared``: the measure an earlier clause
    of the same sentence declared with its interval, whose "value (lo, hi)" pairs this clause goes on
    printing ("...; QLDS score, ... [-3.1 (-5.21, -1.02)]"); read only where ``text`` names no measure."""
    text = normalise(text)
    out: list[Effect] = []
    found = list(_MEASURES.finditer(text)) if declared is not None else None
    if declared is not None and not found:
        return _declared_values(declared, text, 0, 0, len(text))
    has_ci = ("95" in text or "CI" in text) and _HAS_CI.search(text) is not None
    if not has_ci and _BRACKETED_PAIR.search(text) is None:
        return out  # the named reading (_AFTER_MEASURE), the unnamed one (_CI) and the bracketed one need one
    names = _readable_names(text, list(_MEASURES.finditer(text)) if found is None else found)
    for k, m in enumerate(names):
        measure = _MEASURE_WORDS[_MEASURES.which(m)][1]
        generic = _GENERIC.match(m.group()) is not None
        if generic and k and not any(c.isdigit() for c in text[names[k - 1].end() : m.start()]):
            continue  # "Cohen's d effect sizes were large: 2.8": the d's
        # The value is the nearest name's ("effect size (Hedges' g) was 1.0", "effect size (OR 2.1, 95% CI ...)").
        nearer = next((n.start() for n in names[k + 1 :] if not _GENERIC.match(n.group())), len(text))
        after = (_AFTER_MEASURE.match(text, m.end()) or _LABEL_FIRST.match(text, m.end())) if has_ci else None
        if after is not None and (nearer < after.start("value") or not _plausible(text, m, measure, after, names, k)):
            continue
        if after is None:
            bracketed = _BRACKET_AFTER.match(text, m.end()) or _ROUND_AFTER.match(text, m.end())
            if bracketed is not None:
                if nearer > bracketed.start("value") and _plausible(text, m, measure, bracketed, names, k):
                    effect = replace(_effect(measure, bracketed, m.start()), level_printed=False)
                    if effect.lo <= effect.value <= effect.hi and effect not in out:
                        out.append(effect)
                continue
        if not has_ci:
            continue
        if after is None or after.re is _LABEL_FIRST:
            # The interval declared after the name: every "value (lo, hi)" up to the next name ("effect size" in
            # the list names none: "Hedges' g (95% CI) was 0.8 (0.5-1.1) for depression (a large effect size) and").
            header = after or _DECLARED.match(text, m.end()) or (m if "95" in m.group(0) else None)
            if header is not None:
                first = header.end() if after is None else m.end()
                for effect in _declared_values(measure, text, m.start(), first, nearer):
                    if effect not in out:
                        out.append(effect)
            continue
        out.extend(e for e in _named_values(text, measure, m.start(), after) if e not in out)
    if not out and has_ci:
        out = _unnamed(text)
    if not out and has_ci:
        out = _bare_changes(text)
    return out


def _named_values(text: str, measure: Measure, start: int, after: re.Match[str]) -> list[Effect]:
    """The value a name's filler reached, and each further value of the same measure after "and" (:data:`_AND_NEXT`)
    whose connecting words name no other measure or verb ("... for remission"; not "... and for depressive symptoms
    the SMD was -0.6", "... and for depression the prevalence was 31"), a ratio's only where positive."""
    out: list[Effect] = []
    m: re.Match[str] | None = after
    while m is not None:
        effect = _effect(measure, m, start)
        if effect not in out:  # "odds ratio (OR) 3.9 …" names the measure twice
            out.append(effect)
        start = m.start("value")
        m = _AND_NEXT.match(text, m.end())
        if m is not None:
            words = text[m.start() : m.start("value")]
            # Counted after the last bracket or semicolon: the previous value's unit and p come before it.
            named = [w for w in _WORDS.findall(_LAST_PART.split(words)[-1]) if w.lower() not in _FUNCTION_WORDS]
            if _MEASURES.search(words) or _LINKING_VERB.search(words) or len(named) > 2:
                break
            # A ratio's values in one list are of one order ("... 0.6 (95% CI 0.4-0.9) for ondansetron and 45
            # (95% CI 38-52) patients vomited": a count).
            value = _float(m.group("value"))
            if measure in RATIO_MEASURES and not (value > 0 and 0.1 < value / max(out[-1].value, 1e-9) < 10):
                break
    return out


_WORDS: Final = re.compile(r"[A-Za-z]+")
_LAST_PART: Final = re.compile(r"[)\];]")
_FUNCTION_WORDS: Final = frozenset({"for", "in", "on", "and", "or", "the", "a", "an"})
_LINKING_VERB: Final = re.compile(r"\b(?:was|were|is|are|had|has|have)\b", re.IGNORECASE)
_GLUED: Final = frozenset("-/")


def _readable_names(text: str, names: list[re.Match[str]]) -> list[re.Match[str]]:
    """The measures' names that may name a value: not another thing's bracketed short form ("respiratory rate (RR)",
    "blood loss (g)"), and not a "d" or "g" glued to a word ("d-methadone", "g/L")."""
    out = []
    for k, m in enumerate(names):
        if _abbreviates_something_else(text, m, names[k - 1] if k else None):
            continue
        if len(m.group()) == 1 and text[m.end() : m.end() + 1] in _GLUED:
            continue
        out.append(m)
    return out


def _plausible(
    text: str, name: re.Match[str], measure: Measure, after: re.Match[str], names: Sequence[re.Match[str]], k: int
) -> bool:
    """Whether the value a name reached can be that measure's: no compound number or time point passed where it may
    not be (:func:`_past_a_compound_and_a_name`); a ratio is not a percentage ("OR ... 31% (95% CI ...)"), nor, for a
    bare abbreviation read with unlabelled brackets, 10 or more (a heart or breathing rate: "RR 16 (14-18)"); an
    "effect size" is not a correlation, coefficient or ratio named before its value, nor a percentage."""
    value, tail = after.start("value"), text[after.end("value") : after.end("value") + 2].lstrip()
    generic = _GENERIC.match(name.group()) is not None
    if after.re is _AFTER_MEASURE and _past_a_compound_and_a_name(text, name, measure, after, names, k):
        return False
    if (measure in RATIO_MEASURES or generic) and tail.startswith("%"):
        return False
    if measure in RATIO_MEASURES and after.re is _ROUND_AFTER and _is_abbreviation(name):
        return 0 < _float(after.group("value")) < 10
    if generic:
        return _NOT_A_DIFFERENCE.search(text, name.end(), value) is None
    return True


def _is_abbreviation(name: re.Match[str]) -> bool:
    return name.group(0).isupper() and len(name.group(0)) <= 4


# A heterogeneity test's p ("Cochran Q, P = .15", "I2 = 39%, p = .2", "I(2) = 13%, P = .33",
# "test for heterogeneity, P = .4") says nothing about the effect.
_HETEROGENEITY: Final = re.compile(r"(?:cochran|heterogeneity|\bQ\b|\bI ?(?:[2²]|\(2\)))[^;)\]]{0,25}$", re.IGNORECASE)
# What a match of _HETEROGENEITY contains, as :func:`fold` compares: one ``in`` each on a folded window before
# a p rules its search out (tried at every position of the window, ~5x the cost, for a rare answer).
_HETEROGENEITY_NEEDS: Final = ("q", "cochran", "heterogeneity", "i2", "i 2", "i²", "i ²", "i(2)", "i (2)")
# A p with I² right after it ("95% CI [-0.52, -0.14], P = 0.36, I2 = 2%"): meta-analyses print
# either test's p there, so the effect's own CI says which (:func:`p_values`).
_I2_AFTER: Final = re.compile(r"[^;)\]]{0,8}?[,;] ?I ?(?:[2²]|\(2\)) ?[=<>]")


_SCI: Final = re.compile(r"([\d.]+)[x×]10\^?-(\d+)")


def p_values(text: str, effects: Sequence[Effect] = ()) -> list[PValue]:
    """Every p value in ``text`` except heterogeneity tests'.

    ``effects``: the text's effects (:func:`effects`). A p printed just before an I² whose
    significance disagrees with the CI of the effect before it is that I²'s heterogeneity test.
    """
    out: list[PValue] = []
    if not any(op in text for op in _P_OPS):
        return out
    text = normalise(text)
    folded = fold(text)
    for m in _P.finditer(text):
        window = folded[max(0, m.start() - 40) : m.start()]
        if any(map(window.__contains__, _HETEROGENEITY_NEEDS)) and _HETEROGENEITY.search(
            text, max(0, m.start() - 40), m.start()
        ):
            continue
        op = {"&lt;": "<", "&gt;": ">"}.get(m.group("op"), m.group("op"))
        raw = m.group("val").replace(" ", "")
        sci = _SCI.match(raw) if "10" in raw else None
        try:
            value = float(sci.group(1)) * 10 ** -int(sci.group(2)) if sci else float(raw)
        except ValueError:
            continue
        if not 0.0 <= value <= 1.0:
            continue
        p = PValue(op, value, m.start())
        if effects and _I2_AFTER.match(text, m.end()) and _disagrees(p, effects):
            continue
        out.append(p)
    return out


def _disagrees(p: PValue, effects: Sequence[Effect]) -> bool:
    """Whether the CI of the effect printed last before ``p`` says the opposite of ``p``."""
    before = [e for e in effects if e.start < p.start]
    return bool(before) and before[-1].level_printed and before[-1].excludes_null != p.significant


@dataclass(frozen=True, slots=True)
class Result:
    """One result's numbers in a text that prints several: an effect or a count pair, its p or "ns"."""

    effect: Effect | None = None
    pair: tuple[float, float] | None = None
    p: PValue | None = None
    ns: bool = False
    # Where the words that introduce this result begin: just after the previous result's first number.
    words_from: int = 0

    @property
    def not_significant(self) -> bool:
        """Its own numbers say no difference: a CI spanning no effect, "ns", p ≥ .05, equal counts without a p."""
        return (
            (self.effect is not None and self.effect.spans_null)
            or self.ns
            or (self.p is not None and not self.p.significant)
            or (self.pair is not None and self.pair[0] == self.pair[1] and self.p is None)
        )


# "8 vs. 3", "6 versus 2": two arms' counts or means (percentages are rates, read elsewhere).
# The lookbehind sits after the first digit so that ``re`` can skip to digits.
_PAIR: Final = re.compile(r"(\d(?<![\d.-]\d)\d*(?:\.\d+)?) ?(?:vs\.?|versus) ?(\d+(?:\.\d+)?)(?![\d.%]| ?%)")
# "13.78±3.87 and 13.79±4.78": two arms' means with their SDs, in the order "respectively" names the arms.
_SD_PAIR: Final = re.compile(r"(\d+(?:\.\d+)?) ?± ?\d+(?:\.\d+)? and (\d+(?:\.\d+)?) ?± ?\d+(?:\.\d+)?")
# A result marked not significant without a p value: "(ns)", "(n.s.)", "NS".
_NS: Final = re.compile(r"\((?:ns|n\.s\.?)\)|(?-i:\bNS\b)|\bn\.s\.", re.IGNORECASE)


def results(text: str, effects: Sequence[Effect], p_values: Sequence[PValue]) -> list[Result]:
    """The results a text prints one after another, each an effect or a count pair with its p.

    "SMD -0.97 (95% CI …), P < 0.001 on day 1; SMD -0.65 (…), P = 0.02 on day 3", "decreased (P <
    0.001 and P = 0.005, respectively)", "8 vs. 3 (P<0.05), 6 vs. 2 (ns)": each value starts a
    result and the first p (or "ns") after it is its own; a p with no value before it is a result
    of its own. Fewer than two: the text is one result (an empty list).
    """
    marks: list[tuple[int, str, object]] = [(e.start, "value", e) for e in effects]
    marks += [(p.start, "p", p) for p in p_values]
    if " vs" in text or "versus" in text:
        marks += [(m.start(), "pair", (float(m.group(1)), float(m.group(2)))) for m in _PAIR.finditer(text)]
    elif "±" in text and "respectively" in text:
        marks += [(m.start(), "pair", (float(m.group(1)), float(m.group(2)))) for m in _SD_PAIR.finditer(text)]
    low = text.lower()
    if marks and ("ns)" in low or "n.s" in low or "NS" in text):
        marks += [(m.start(), "ns", True) for m in _NS.finditer(text)]
    out: list[Result] = []
    open_value = False
    last = 0
    for at, what, obj in sorted(marks, key=lambda m: m[0]):
        if what in ("value", "pair"):
            effect = obj if isinstance(obj, Effect) else None
            pair = obj if isinstance(obj, tuple) else None
            out.append(Result(effect=effect, pair=pair, words_from=last))
            open_value = True
            last = at + 1
        elif open_value and out[-1].p is None and not out[-1].ns:
            out[-1] = replace(out[-1], p=obj if isinstance(obj, PValue) else None, ns=what == "ns")
            open_value = False
        else:
            out.append(Result(p=obj if isinstance(obj, PValue) else None, ns=what == "ns", words_from=last))
            open_value = False
            last = at + 1
    return out if len(out) > 1 else []
