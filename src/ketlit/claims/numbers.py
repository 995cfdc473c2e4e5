"""Numbers from evidence: rates, onset and duration times, adverse events, doses, direction.

Design decisions:

* **Rule-based and conservative.** A number becomes a pooled rate only when its construct
  (response / remission), its arm (the drug vs a comparator) and its denominator are all
  clear; everything else is kept as a finding for the evidence table but never pooled. A
  wrong number in a pooled estimate is worse than a missing one.
* **Arm attribution.** With no comparator named in the sentence, a rate belongs to the drug
  (single-arm reports). When a comparator is named, the arm mention right next to the number
  decides ("52% in the ketamine group and 18% in the placebo group", "ketamine (52%) vs
  placebo (18%)"); otherwise the arm is ``unknown`` and the rate is not pooled.
* **Not a rate.** Percentages that are change scores ("85% reduction in MADRS"), responder
  definitions ("≥50% reduction"), confidence levels ("95% CI") and review ranges ("ranged from
  25% to 85%") are recognised by the patterns in ``claim_rules.toml`` and skipped or kept
  unpooled.
* **Denominators.** From "23/44", "12 of 30", "(n = 44)", or — only for a single-arm abstract —
  the study's stated sample size ("in 10 medication-free patients"); the finding says when
  the denominator was inferred.
* **CT.gov posted results** are read from rows shaped like the ``trial_results`` table (JSON
  columns already decoded or still strings): outcome measures titled response/remission with a
  count-of-participants or percentage parameter, per group, with the class-level denominator
  when one is posted.
* Every finding keeps its sentence and character span so the report can quote it.
* **Speed without changing a finding.** This runs at ingest on every record, and most sentences
  name no rate, time, harm or dose. The rules' lists are asked through anchored matchers
  (:mod:`ketlit.claims.anchored`: one Aho-Corasick scan per sentence finds every list's required
  literals, and a list runs its patterns only where one occurs), with the answers of
  :class:`~ketlit.claims.rules.Patterns`. The number regexes written here are preceded by a
  substring test on the sentence's fold (:mod:`ketlit.claims.screens`) for the words they cannot
  match without, and open with a lookahead for the characters a match can start with. What a
  record needs only sometimes (the single-arm sample size, a sentence's times) is read once, when
  first needed. The snapshot of every cached record's findings and
  ``tests/test_numbers_speed_equivalence.py`` hold the findings identical;
  ``NUMBERS_READER_VERSION`` is therefore unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ketlit.claims.anchored import RuleLists, rule_lists
from ketlit.claims.rules import Rules
from ketlit.claims.screens import fold
from ketlit.claims.text import sentence_texts
from ketlit.numwords import WORD_VALUES

_UNITS_TO_HOURS: Final = {
    "second": 1 / 3600,
    "sec": 1 / 3600,
    "s": 1 / 3600,
    "minute": 1 / 60,
    "min": 1 / 60,
    "mins": 1 / 60,
    "m": 1 / 60,
    "hour": 1.0,
    "hr": 1.0,
    "hrs": 1.0,
    "h": 1.0,
    "day": 24.0,
    "d": 24.0,
    "week": 168.0,
    "wk": 168.0,
    "wks": 168.0,
    "month": 730.0,
    "mo": 730.0,
    "year": 8760.0,
    "yr": 8760.0,
}
# The number words of ketlit.numwords, plus the words pages count with: "a"/"an" (one), "several"
# and "few" (about three), "half" (no count of its own).
_SMALL: Final = {w: v for w, v in WORD_VALUES.items() if v < 20} | {"a": 1, "an": 1, "half": 0, "several": 3, "few": 3}
_TENS: Final = {w: v for w, v in WORD_VALUES.items() if v >= 20}
# The number regexes below run over every sentence, where ``re`` tries them at every position. Each
# alternative that opens with a word (or a digit) is preceded by a lookahead for the characters those
# words can begin with (under IGNORECASE, the same characters the words' first letters match): one
# class test rejects most positions where the alternation would try thirty words, and the matches
# are the same (``tests/test_numbers_speed_equivalence.py`` compares them with the lookaheads removed).
_NUMWORD_FIRST: Final = r"(?=[\dtfsenzoa])"
_WORDNUM_FIRST: Final = r"(?=[tfsenoa])"
_PCT_WORD_FIRST: Final = r"(?=[tfsen])"
_DIGIT_FIRST: Final = r"(?=\d)"
_UNIT2_FIRST: Final = r"(?=[dwmh])"
_VERB_FIRST: Final = r"(?=[mraos])"
_FIRST_CHARACTERS: Final = (_NUMWORD_FIRST, _WORDNUM_FIRST, _PCT_WORD_FIRST, _DIGIT_FIRST, _UNIT2_FIRST, _VERB_FIRST)
_NUMWORD: Final = (
    _NUMWORD_FIRST + r"(?:\d+(?:\.\d+)?|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|an?|several|few)"
)
_WORDNUM: Final = (
    _WORDNUM_FIRST
    + r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|an?|several|few)"
)
# Single-letter units only after digits ("24 h", "7 d"); "s"/"m" never (years like "1960s", metres).
_UNIT_LONG: Final = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?)"
_UNIT_ANY: Final = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mo|years?|yrs?)"
# "24 hours", "24-hour", "24 h", "2 weeks", "an hour", "a few days", "day 7", "week 4"
_TIME_RX: Final = re.compile(
    rf"{_DIGIT_FIRST}(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s*-?\s*(?P<unit>{_UNIT_ANY})\b"
    rf"|\b(?P<wnum>{_WORDNUM})(?:\s+few|\s+full|\s+whole|\s+entire)?[\s-]+(?P<wunit>{_UNIT_LONG})\b"
    rf"|\b{_UNIT2_FIRST}(?P<unit2>day|week|month|hour)\s+(?P<num2>\d+(?:\.\d+)?)\b",
    re.IGNORECASE,
)
# A percentage in digits, or in words before "percent" ("Sixty-seven percent of participants"); read
# with :func:`parse_count`.
_PCT_WORDS: Final = (
    _PCT_WORD_FIRST
    + r"(?<![\w-])(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_PCT_RX: Final = re.compile(
    rf"{_DIGIT_FIRST}(?<![\d.])(\d{{1,3}}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)"
    rf"|({_PCT_WORDS})\s+(?:percent|per cent)\b",
    re.IGNORECASE,
)


def pct_of(m: re.Match[str]) -> float:
    """The value of a :data:`_PCT_RX` match."""
    return float(m.group(1)) if m.group(1) else parse_count(m.group(2)) or 0.0


def percents(text: str) -> list[float]:
    """Every percentage in ``text``, in order ("64% … compared with 28%" → [64.0, 28.0])."""
    return [pct_of(m) for m in _PCT_RX.finditer(text)]
_FRACTION_RX: Final = re.compile(
    r"(?<![\d/.])(\d{1,5})\s*/\s*(\d{1,5})(?![\d/.])(?!\s*(?:mg|kg|ml|mm|h\b))", re.IGNORECASE
)
_OF_RX: Final = re.compile(
    rf"\b(?P<a>{_NUMWORD})\s+(?:\(\d+(?:\.\d+)?%\)\s+)?(?:of|out of|in)\s+(?:the\s+)?(?P<b>{_NUMWORD})\b"
    r"(?!\s*(?:%|mg|days?|weeks?|hours?))",
    re.IGNORECASE,
)
_N_EQ_RX: Final = re.compile(r"\b[nN]\s*=\s*(\d{1,5})\b")
_SAMPLE_RX: Final = re.compile(
    rf"\b(?P<n>{_NUMWORD})\s+(?:[\w-]+\s+){{0,4}}?(?:patients|participants|subjects|adults|individuals|veterans|outpatients|inpatients|people|volunteers)\b",
    re.IGNORECASE,
)
_COUNT_MET_RX: Final = re.compile(
    rf"\b{_VERB_FIRST}(?:met|achieved|reached|attained|observed|seen)\s+(?:by|in)\s+(?P<a>{_NUMWORD})\s+"
    rf"(?:of\s+(?:the\s+)?(?P<b>{_NUMWORD})\s+)?(?:patients|participants|subjects)\b"
    rf"|\b(?P<a2>{_NUMWORD})\s+(?:of\s+(?:the\s+)?(?P<b2>{_NUMWORD})\s+)?(?:patients|participants|subjects)\s+"
    r"(?:responded|remitted|met|achieved|were responders|were remitters)\b",
    re.IGNORECASE,
)
_DOSE_RX: Final = re.compile(
    _DIGIT_FIRST
    + r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:(?:to|-|–|and)\s*(\d+(?:\.\d+)?)\s*)?(mg\s*/\s*kg|mg/kg|mg|milligrams?)\b",
    re.IGNORECASE,
)
# Every _COUNT_MET_RX match holds one of these (the verbs of its two alternatives).
_COUNT_VERBS: Final = (
    "met", "achieved", "reached", "attained", "observed", "seen", "responded", "remitted", "responders", "remitters",
)  # fmt: skip
_COMPARE_RX: Final = re.compile(r"\b(compared (with|to)|versus|vs\.?|than|relative to)\b", re.IGNORECASE)

# A regex without IGNORECASE can screen a folded text (:func:`ketlit.claims.screens.fold` keeps every
# character's place and whether it is a word character). Every _TIME_RX match holds a
# unit word that no letter precedes (a digit, a space, a hyphen or a word boundary comes first;
# "hour", "hrs", "minutes" and "day 7" all start with one of these words) or a digit right before a
# one-letter or "mo" unit ("24 h", "7-d", "3 mo"). "min" alone is in "administration", "hr" in
# "three": the letter before is what makes the screen worth its scan (it passes a fifth of the
# sentences, the bare words half of them).
_TIME_SCREEN_RX: Final = re.compile(r"(?<![a-z])(?:sec|min|hour|hr|day|week|wk|month|year|yr)|\d\s*-?\s*(?:h|d|mo)\b")


def parse_count(token: str) -> float | None:
    """A number written in digits or words ("23", "nine", "twenty-three", "an")."""
    t = token.strip().lower().replace("–", "-")
    try:
        return float(t)
    except ValueError:
        pass
    if t in _SMALL:
        return float(_SMALL[t])
    parts = re.split(r"[- ]", t)
    if parts and parts[0] in _TENS:
        value = _TENS[parts[0]]
        if len(parts) == 2 and parts[1] in _SMALL:
            value += _SMALL[parts[1]]
        return float(value)
    return None


# Compiled once, like the patterns above: the module-level ``re`` functions pay a cache look-up per
# call, and these run per time, per clause or per abstract at ingest.
_FEW_RX: Final = re.compile(r"\b(few|several)\b", re.IGNORECASE)
_NOT_AN_ONSET_AFTER_RX: Final = re.compile(r"\s*(infusions?|sessions?|period|intervals?|apart)\b", re.I)
_NOT_AN_ONSET_BEFORE_RX: Final = re.compile(r"\b(over|for|during|every)\s*$", re.I)
_ENDED_RX: Final = re.compile(r"relaps|returned to baseline|waned|no longer|dissipat", re.I)
_MEDIAN_RX: Final = re.compile(r"\b(median|mean|average|on average)\b", re.I)
_RANDOMISED_RX: Final = re.compile(r"\brandomi[sz]", re.I)


@dataclass(frozen=True, slots=True)
class TimeMention:
    """A time quantity in text, in hours."""

    start: int
    end: int
    hours: float
    text: str


def find_times(text: str) -> list[TimeMention]:
    """Time quantities ("24 hours", "day 7", "an hour", "2-week") with their offsets."""
    out: list[TimeMention] = []
    for m in _TIME_RX.finditer(text):
        num = m.group("num") or m.group("wnum") or m.group("num2")
        unit = (m.group("unit") or m.group("wunit") or m.group("unit2") or "").lower()
        value = parse_count(num) if num else None
        if value is None:
            continue
        if unit.startswith("sec") and (m.group("wnum") or "").lower() in ("a", "an"):
            continue  # "a second dose / infusion / study": the ordinal, not one second
        if _FEW_RX.search(m.group()):
            value = 3.0
        per = _UNITS_TO_HOURS.get(unit, _UNITS_TO_HOURS.get(unit.rstrip("s")))
        if per is None:
            continue
        # "a few hours" / "several days": word quantities are approximate but still usable bounds.
        out.append(TimeMention(m.start(), m.end(), value * per, m.group()))
    return out


_OR_MORE_RX: Final = re.compile(r"\s*(?:or|to)\s+(two|three|four|five|six|\d+)\b", re.IGNORECASE)


def upper_hours(text: str, t: TimeMention) -> float:
    """The upper end of a time given as a range of counts ("an hour or two", "a week or two", "1 to 2
    weeks"): the second count in the first one's unit; ``t.hours`` when none follows."""
    more = _OR_MORE_RX.match(text, t.end)
    upper = parse_count(more.group(1)) if more else None
    if upper is None:
        return t.hours
    unit = t.hours / (parse_count(t.text.split()[0]) or 1.0)
    return max(t.hours, upper * unit)


def format_hours(hours: float) -> str:
    """Hours as a human unit ("45 min", "24 h", "7 days", "4 weeks")."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:g} h"
    if hours < 24 * 28 or hours % 168:
        return f"{hours / 24:g} days"
    return f"{hours / 168:g} weeks"


def format_dose(low: float, high: float, unit: str) -> str:
    """A dose or dose range as read ("0.5 mg/kg", "0.5–1 mg/kg"): a single dose is not a range of itself."""
    amount = f"{low:g}" if low == high else f"{low:g}–{high:g}"
    return f"{amount} {unit}"


NO_TIMEPOINT: Final = "no timepoint given"


def _amount(value: float, unit: str) -> str:
    # At most one decimal, none when it is whole ("1.8 h", "3 days"); singular for exactly one.
    shown = f"{round(value, 1):g}"
    return f"{shown} {unit}" if shown != "1" else f"1 {unit.removesuffix('s')}"


def human_duration(hours: float | None) -> str:
    """A timepoint or duration for a reader: "40 min", "1.8 h", "3 days", "2 weeks", "6 months",
    "1 year"; :data:`NO_TIMEPOINT` for none.

    Unlike :func:`format_hours` (kept byte-stable for the claim checker's output) it rounds to one
    decimal, and it treats anything under half a minute as no timepoint: no response or remission
    rate is measured seconds after a dose, so such a value is a misread word ("a second
    induction"), and "0 min" would be a made-up number. Whole weeks, months and years are said as such;
    other values are days up to eight weeks, weeks up to six months, months beyond."""
    if hours is None or hours < 1 / 120:
        return NO_TIMEPOINT
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 48:
        return _amount(hours, "h")
    days, months = hours / 24, hours / 730

    def whole(x: float) -> bool:
        return abs(x - round(x)) < 1e-6

    if whole(hours / 8760):
        return _amount(hours / 8760, "years")
    if hours >= 26 * 168 or (months >= 2 and whole(months)):
        return _amount(months, "months")
    if (not whole(days / 7) and days < 8 * 7) or days < 7:
        return _amount(days, "days")
    return _amount(days / 7, "weeks")


# ------------------------------------------------------------------ findings


@dataclass(frozen=True, slots=True)
class RateFinding:
    """A response/remission proportion in one arm."""

    construct: str  # "response" | "remission"
    events: int | None
    n: int | None
    pct: float
    arm: str  # "active" | "comparator" | "unknown"
    timepoint_hours: float | None
    sentence: str
    span: tuple[int, int]
    summary: bool = False  # a pooled figure from a review: reported, never re-pooled
    range: bool = False  # "ranged from 25% to 85%"
    n_inferred: bool = False
    origin: str = "abstract"  # "abstract" | "ctgov"

    @property
    def poolable(self) -> bool:
        """Whether this finding can enter a single-arm pool."""
        return (
            self.arm == "active"
            and not self.summary
            and not self.range
            and self.n is not None
            and self.n > 0
            and self.events is not None
            and 0 <= self.events <= self.n
        )


@dataclass(frozen=True, slots=True)
class TimeFinding:
    """An onset or duration of effect, in hours (None: "rapid" without a number)."""

    kind: str  # "onset" | "duration"
    hours: float | None
    bound: str  # "about" | "at_least" | "at_most"
    sentence: str
    span: tuple[int, int]
    effect: bool = True  # False: the sentence reports no effect at that time


@dataclass(frozen=True, slots=True)
class AdverseFinding:
    """An adverse-event statement."""

    category: str
    pct: float | None
    transient: bool
    persistent: bool
    absent: bool
    recreational: bool
    sentence: str
    span: tuple[int, int]
    therapeutic: bool = False  # reported in patients treated with the drug


@dataclass(frozen=True, slots=True)
class DoseFinding:
    """A dose or dose range."""

    low: float
    high: float
    unit: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Findings:
    """Everything read from one record."""

    rates: tuple[RateFinding, ...] = ()
    times: tuple[TimeFinding, ...] = ()
    adverse: tuple[AdverseFinding, ...] = ()
    doses: tuple[DoseFinding, ...] = ()
    direction: str | None = None  # "positive" | "null" | "negative" | "mixed" | None
    direction_sentence: str | None = None


# ------------------------------------------------------------------ abstracts


def _nearest_arm(sentence: str, pos: int, end: int, rules: Rules) -> str:
    lists = rule_lists(rules)
    active = [(m.start(), m.end()) for m in lists.active.finditer(sentence)]
    comparator = [(m.start(), m.end()) for m in lists.comparator.finditer(sentence)]
    if not comparator:
        # No control named in the sentence: a single-arm statement about the drug.
        return "active"
    mentions = [(s, e, "active") for s, e in active] + [(s, e, "comparator") for s, e in comparator]
    # "placebo+ketamine": a combination names both; the comparator word wins only alone.
    prefix = sentence[:pos].rstrip()
    if prefix.endswith("("):
        # "ketamine (52%)": the arm named right before the bracket, with no other number in between.
        before = [
            (pos - e, arm)
            for s, e, arm in mentions
            if e <= pos and pos - e <= 40 and not re.search(r"[\d%]", sentence[e:pos])
        ]
        if before:
            return min(before)[1]
    # An arm named past a comparison is the other side's ("Among patients receiving ECT, 63% remitted
    # compared with 46% receiving ketamine": ketamine is the 46%'s arm, not the 63%'s); "69.2% and 61.5%
    # after esketamine" and "54% … 72 h following ketamine" keep theirs.
    after = [(s - end, arm) for s, e, arm in mentions
             if s >= end and s - end <= 40 and not _COMPARED_RX.search(sentence, end, s)]
    if after:
        return min(after)[1]
    before = [(pos - e, arm) for s, e, arm in mentions if e <= pos and pos - e <= 60]
    if before:
        return min(before)[1]
    return "unknown"


_COMPARED_RX: Final = re.compile(r"\b(?:compared (?:with|to)|versus|vs\b|than|while|whereas)", re.IGNORECASE)


def _construct_near(sentence: str, start: int, end: int, rules: Rules) -> str | None:
    # At equal distance a cue right after the number, with no punctuation between, names it: in "71% met
    # response and 29% met remission" the 29% is remission, not the response cue as close before it;
    # in "response (47.8% versus 51.2%, p > 0.05) and remission (…)" the 51.2% stays response.
    best: tuple[int, bool, str] | None = None
    for name, pats in rule_lists(rules).construct_cues:
        for m in pats.finditer(sentence):
            before = m.end() <= start
            dist = start - m.end() if before else m.start() - end
            if not -5 <= dist <= 90 or (best is not None and abs(dist) > best[0]):
                continue
            loose = before or _PUNCT_RX.search(sentence, end, max(end, m.start())) is not None
            if best is None or (abs(dist), loose) < best[:2]:
                best = (abs(dist), loose, name)
    return best[2] if best else None


_PUNCT_RX: Final = re.compile(r"[,;()]")


_RESPECTIVELY_RX: Final = re.compile(r"\brespectively\b", re.IGNORECASE)
_CLAUSE_BREAK_RX: Final = re.compile(r";|\b(?:while|whereas|but)\b", re.IGNORECASE)
_LISTED_RX: Final = re.compile(r"\s*(?:%|percent)?\s*(?:,|and|,\s*and|vs\.?|versus)\s*$", re.IGNORECASE)


def _respective_arms(sentence: str, pcts: list[re.Match[str]], lists: RuleLists) -> dict[int, str]:
    """Arms of percentages listed "…, respectively" ("greater with ketamine than with midazolam, with
    response rates of 64% and 28%, respectively"): the k-th number belongs to the k-th arm named before
    the list. By start offset; empty when the sentence does not pair them so."""
    said = _RESPECTIVELY_RX.search(sentence) if "respectively" in sentence.lower() else None
    if said is None:
        return {}
    listed = [m for m in pcts if m.end() <= said.start()]
    group: list[re.Match[str]] = []
    for m in reversed(listed):  # the run of numbers joined by "and" / "," just before "respectively"
        if group and not _LISTED_RX.match(sentence[m.end() : group[0].start()]):
            break
        group.insert(0, m)
    if len(group) < 2:
        return {}
    first = group[0].start()
    # Arms named between the list and "respectively" ("64% and 28% in the ketamine and midazolam groups,
    # respectively") are the ones it lists, whatever the clause named before it.
    arms = _arms_named(sentence[group[-1].end() : said.start()], lists)
    if not arms:
        # Else only arms named in the list's own clause: in "63% for KetECT and 22% for ELEKT-D, while the
        # rates for ketamine were 46% and 38%, respectively" the pair is two trials of one arm.
        # (A ";" inside brackets, "(odds ratio, 2.18; 95% CI …)", breaks no clause.)
        since = max((m.end() for m in _CLAUSE_BREAK_RX.finditer(sentence, 0, first)
                     if sentence.count("(", 0, m.start()) <= sentence.count(")", 0, m.start())), default=0)
        clause = sentence[since:first]
        # "Compared with midazolam, ketamine …" / "Versus placebo, …": the fronted comparator comes first
        # in the text but not in the list, so the order says nothing (the nearest arm is read instead).
        # Nor does it when the clause lists outcomes ("response and remission rates were 64% and 40%,
        # respectively": :func:`_paired_constructs`) that the numbers follow.
        if _FRONTED_RX.match(clause) or _construct_pairs(clause, lists):
            return {}
        # "superior to midazolam at 24 hours and at 7 days, with response rates of 64% and 55%, respectively":
        # the list follows the times, and which arm each is cannot be read.
        if len(_timepoints(clause)) >= len(group):
            return {m.start(): "unknown" for m in group}
        arms = _arms_named(clause, lists)
    if len(arms) != len(group):
        return {}
    return {m.start(): arm for m, arm in zip(group, arms, strict=True)}


def _construct_pairs(text: str, lists: RuleLists) -> list[tuple[int, tuple[str, str]]]:
    """Two different outcomes named as a pair ("response and remission", "remission or response"): (end, names)."""
    cues = sorted((m.start(), m.end(), name) for name, pats in lists.construct_cues for m in pats.finditer(text))
    return [(b[1], (a[2], b[2])) for a, b in itertools.pairwise(cues)
            if a[2] != b[2] and _PAIR_JOIN_RX.fullmatch(text, a[1], b[0])]


_PAIR_LIST_RX: Final = re.compile(r"\s*(?:%|percent)?\s*(?:,|and|,\s*and)\s*$", re.IGNORECASE)
_PAIR_JOIN_RX: Final = re.compile(r"\s*(?:,?\s*and|or|/|&)\s*(?:the\s+)?", re.IGNORECASE)


def _paired_constructs(sentence: str, pcts: list[re.Match[str]], lists: RuleLists) -> dict[int, str]:
    """Outcomes of percentages listed in pairs after the outcomes are named as a pair: "Response and remission
    rates at 24 h and day 7 were 52.2% and 20.6%; and 55.7% and 23.8%" (each pair is response, then remission).
    By start offset; a pair is two numbers joined by "and" / "," / "versus" with no outcome named between the named
    pair and them. Empty when the sentence names no pair of outcomes."""
    pairs = _construct_pairs(sentence, lists) if len(pcts) > 1 else []
    out: dict[int, str] = {}
    for end, names in pairs:
        after = [m for m in pcts if m.start() >= end]
        stop = min((m.start() for _, pats in lists.construct_cues for m in pats.finditer(sentence) if m.start() >= end),
                   default=None)
        runs: list[list[re.Match[str]]] = []
        for m in after:
            if stop is not None and m.start() > stop:
                break
            # Two outcomes take numbers joined by "and" or a comma; "64% versus 28%" is two arms of one outcome.
            if runs and _PAIR_LIST_RX.match(sentence[runs[-1][-1].end() : m.start()]) and len(runs[-1]) < 3:
                runs[-1].append(m)
            else:
                runs.append([m])
        for run in runs:
            if len(run) == 2:
                out.update({run[0].start(): names[0], run[1].start(): names[1]})
    return out


# A comparison put before the subject: "Compared with midazolam, ketamine …", "Unlike placebo, …".
_FRONTED_RX: Final = re.compile(r"\W*(?:(?:in\s+|when\s+)?compared\s+(?:with|to)|versus|vs\.?|unlike|relative\s+to|"
                                r"against|as\s+opposed\s+to|in\s+contrast\s+to)\s+[^,]*,", re.IGNORECASE)
# "placebo-controlled", "midazolam-controlled": the design, not an arm named in the list.
_DESIGN_RX: Final = re.compile(r"-\s*controlled\b|\s+controlled\s+(?:trial|study|design)", re.IGNORECASE)


def _arms_named(text: str, lists: RuleLists) -> list[str]:
    """The arms (active / comparator) named in ``text``, in order of first mention; a drug named only as
    the design ("placebo-controlled") is not an arm."""
    named = sorted([(m.start(), "active") for m in lists.active.finditer(text) if not _DESIGN_RX.match(text, m.end())]
                   + [(m.start(), "comparator") for m in lists.comparator.finditer(text)
                      if not _DESIGN_RX.match(text, m.end())])
    return list(dict.fromkeys(arm for _, arm in named))


_NOT_A_TIMEPOINT_RX: Final = re.compile(r"\s*(infusion|session|period)", re.I)


def _timepoints(sentence: str) -> list[TimeMention]:
    """The times of a sentence a rate can be measured at ("40-minute infusion" is not one)."""
    return [t for t in find_times(sentence) if not _NOT_A_TIMEPOINT_RX.match(sentence[t.end : t.end + 12])]


def _timepoint_near(times: list[TimeMention], start: int, end: int) -> float | None:
    """The timepoint of the number at ``start:end`` among its sentence's :func:`_timepoints`."""
    if not times:
        return None
    after = [t for t in times if t.start >= end]
    chosen = min(after, key=lambda t: t.start - end) if after else min(times, key=lambda t: abs(t.start - start))
    return chosen.hours


# Every _SAMPLE_RX match ends in one of these words ("outpatients" holds "patients").
_PEOPLE: Final = ("patients", "participants", "subjects", "adults", "individuals", "veterans", "people", "volunteers")


def sample_size(abstract: str) -> int | None:
    m = _N_EQ_RX.search(abstract) if "=" in abstract else None
    if m:
        return int(m.group(1))
    folded = fold(abstract)
    if not any(w in folded for w in _PEOPLE):
        return None
    # Overlapping scan: a match that starts on a word that is no count ("a total of 30 patients", "a study
    # of 400 veterans") must not swallow the count after it, so the next try starts one character on.
    pos = 0
    while (m := _SAMPLE_RX.search(abstract, pos)) is not None:
        value = parse_count(m.group("n"))
        if value is not None and value >= 2 and value == int(value):
            return int(value)
        pos = m.start() + 1
    return None


def _is_not_a_rate(sentence: str, start: int, end: int, rules: Rules) -> bool:
    after, before = sentence[end : end + 60], sentence[max(0, start - 40) : start]
    return rules.numbers["not_a_rate_after"].any(after) or rules.numbers["not_a_rate_before"].any(before)


def rates_in_sentence(
    sentence: str, rules: Rules, *, single_arm_n: int | None = None, summary: bool = False
) -> list[RateFinding]:
    """Response/remission proportions stated in one sentence."""
    out: list[RateFinding] = []
    # Every rate below needs a construct cue near its number (_construct_near), and a sentence with
    # no cue anywhere has none near anything: one scan of the cues' union ends nine sentences in ten
    # here, before the number regexes run.
    lists = rule_lists(rules)
    if not lists.constructs.any(sentence):
        return out
    return _rates_in(sentence, lists, single_arm_n=lambda: single_arm_n, summary=summary)


def _rates_in(
    sentence: str, lists: RuleLists, *, single_arm_n: Callable[[], int | None], summary: bool
) -> list[RateFinding]:
    """:func:`rates_in_sentence` once the sentence is known to hold a construct cue; ``single_arm_n``
    gives the abstract's single-arm sample size when a rate needs it (most never do)."""
    out: list[RateFinding] = []
    rules = lists.rules
    used: list[tuple[int, int]] = []
    is_range = lists.numbers["range_cues"].any(sentence)
    n_eq = _N_EQ_RX.search(sentence)

    def overlaps(s: int, e: int) -> bool:
        return any(s < ue and e > us for us, ue in used)

    # The sentence's times and percentages, read once for all its numbers (most have one or none).
    times: list[TimeMention] | None = None

    def timepoint(s: int, e: int) -> float | None:
        nonlocal times
        if times is None:
            times = _timepoints(sentence)
        return _timepoint_near(times, s, e)

    pcts = list(_PCT_RX.finditer(sentence))
    respective = _respective_arms(sentence, pcts, lists) if len(pcts) > 1 else {}
    paired = _paired_constructs(sentence, pcts, lists)

    # Fractions first ("23/44", "12 of 30"): they carry their own denominator.
    fractions: list[tuple[int, int, int, int]] = []
    # Two literal guards (exact: each regex needs its literal) spare most sentences two slow scans.
    for m in _FRACTION_RX.finditer(sentence) if "/" in sentence else ():
        num, den = int(m.group(1)), int(m.group(2))
        if 0 <= num <= den and den > 0:
            fractions.append((m.start(), m.end(), num, den))
    for m in _OF_RX.finditer(sentence):
        fa, fb = parse_count(m.group("a")), parse_count(m.group("b"))
        if fa is not None and fb is not None and fa == int(fa) and fb == int(fb) and 0 <= fa <= fb and fb >= 2:
            fractions.append((m.start(), m.end(), int(fa), int(fb)))
    for s, e, a, b in sorted(fractions):
        if overlaps(s, e):
            continue
        construct = _construct_near(sentence, s, e, rules)
        if construct is None:
            continue
        used.append((s, e))
        # A percentage right beside the fraction is the same number.
        for pm in pcts:
            if abs(pm.start() - e) <= 4 or abs(s - pm.end()) <= 4:
                used.append((pm.start(), pm.end()))
        out.append(
            RateFinding(
                construct=construct,
                events=a,
                n=b,
                pct=100.0 * a / b,
                arm=_nearest_arm(sentence, s, e, rules),
                timepoint_hours=timepoint(s, e),
                sentence=sentence,
                span=(s, e),
                summary=summary,
                range=is_range,
            )
        )
    for m in pcts:
        s, e = m.start(), m.end()
        if overlaps(s, e) or _is_not_a_rate(sentence, s, e, rules):
            continue
        pct = pct_of(m)
        if pct > 100:
            continue
        construct = paired.get(s) or _construct_near(sentence, s, e, rules)
        if construct is None:
            continue
        arm = respective.get(s) or _nearest_arm(sentence, s, e, rules)
        n: int | None = int(n_eq.group(1)) if n_eq else None
        inferred = False
        if n is None and arm == "active" and (stated := single_arm_n()) is not None:
            n, inferred = stated, True
        events = round(pct * n / 100) if n else None
        used.append((s, e))
        out.append(
            RateFinding(
                construct=construct,
                events=events,
                n=n,
                pct=pct,
                arm=arm,
                timepoint_hours=timepoint(s, e),
                sentence=sentence,
                span=(s, e),
                summary=summary,
                range=is_range,
                n_inferred=inferred,
            )
        )
    folded = sentence.casefold()  # casefold, as IGNORECASE folds ("ſ" is "s")
    people = any(w in folded for w in ("patients", "participants", "subjects"))
    # Each alternative of _COUNT_MET_RX also needs one of its verbs (a screen on the exact fold).
    counted = people and any(map(fold(sentence).__contains__, _COUNT_VERBS))
    for m in _COUNT_MET_RX.finditer(sentence) if counted else ():
        if overlaps(m.start(), m.end()):
            continue
        a_tok, b_tok = m.group("a") or m.group("a2"), m.group("b") or m.group("b2")
        ca = parse_count(a_tok) if a_tok else None
        cb = parse_count(b_tok) if b_tok else None
        construct = _construct_near(sentence, m.start(), m.end(), rules)
        if ca is None or construct is None:
            continue
        inferred = False
        if cb is None and (stated := single_arm_n()) is not None:
            cb, inferred = float(stated), True
        if cb is None or ca > cb or cb <= 0:
            continue
        out.append(
            RateFinding(
                construct=construct,
                events=int(ca),
                n=int(cb),
                pct=100.0 * ca / cb,
                arm=_nearest_arm(sentence, m.start(), m.end(), rules),
                timepoint_hours=timepoint(m.start(), m.end()),
                sentence=sentence,
                span=(m.start(), m.end()),
                summary=summary,
                range=is_range,
                n_inferred=inferred,
            )
        )
    return sorted(out, key=lambda r: r.span)


_CLAUSE_RX: Final = re.compile(r";\s+|,\s*(?:however|whereas|while|but)\b|\s+whereas\s+", re.IGNORECASE)


def _clauses(sentence: str) -> list[tuple[int, str]]:
    """(offset, clause) pieces at contrastive joints ("…; however, ketamine …")."""
    out: list[tuple[int, str]] = []
    pos = 0
    for m in _CLAUSE_RX.finditer(sentence):
        out.append((pos, sentence[pos : m.start()]))
        pos = m.end()
    out.append((pos, sentence[pos:]))
    return [(o, c) for o, c in out if c.strip()]


def _about_the_drug(clause: str, lists: RuleLists) -> bool:
    """False when the clause names another treatment and not the drug (rTMS, psilocybin, ECT)."""
    return lists.active.any(clause) or not lists.other_treatments.any(clause)


_RAPID_RX: Final = re.compile(r"\brapid(ly)?\b", re.IGNORECASE)


def _times_in(sentence: str, folded: str, rules: Rules) -> list[TimeFinding]:
    """The first onset and the first duration of benefit the sentence states (onset first).

    Both kinds read the same clauses, so the sentence is screened and split once for the two.
    ``folded`` is the sentence's :func:`~ketlit.claims.screens.fold`, for the hand-written screens."""
    lists = rule_lists(rules)
    cues = lists.numbers
    # An onset needs both its cue and an effect in a clause, a duration its cue: the literals of
    # neither in the sentence (so in none of its clauses) rule it out before the time screens.
    if not (cues["onset_cues"].may_match(sentence) and cues["onset_effect"].may_match(sentence)) and not cues[
        "duration_cues"
    ].may_match(sentence):
        return []
    timed = _TIME_SCREEN_RX.search(folded) is not None and _TIME_RX.search(sentence) is not None
    # Every finding below stands on a time in the clause (an onset also on "rapid"): the screens for
    # one reject most sentences before the cue lists are tried (a quarter of reading an abstract otherwise).
    if not timed and ("rapid" not in folded or _RAPID_RX.search(sentence) is None):
        return []
    # Plans, protocols and side-effect durations are not durations of benefit.
    if cues["time_exclusions"].any(sentence):
        return []
    onset: list[TimeFinding] = []
    duration: list[TimeFinding] = []
    for offset, clause in _clauses(sentence):
        if not _about_the_drug(clause, lists) or lists.numbers["side_effect_words"].any(clause):
            continue
        # A duration needs a time: without one only the onset's "rapid" can be read.
        found = _onset_in(clause, lists) + (_duration_in(clause, lists) if timed else [])
        for t in found:
            (onset if t.kind == "onset" else duration).append(
                TimeFinding(t.kind, t.hours, t.bound, sentence, (t.span[0] + offset, t.span[1] + offset), t.effect)
            )
    return onset[:1] + duration[:1]


def _onset_in(clause: str, lists: RuleLists) -> list[TimeFinding]:
    if not (lists.numbers["onset_cues"].any(clause) and lists.numbers["onset_effect"].any(clause)):
        return []
    times = [
        t
        for t in find_times(clause)
        if not _NOT_AN_ONSET_AFTER_RX.match(clause[t.end : t.end + 14])
        and not _NOT_AN_ONSET_BEFORE_RX.search(clause[max(0, t.start - 10) : t.start])
        and t.hours <= 24 * 7
    ]
    if times:
        first = min(times, key=lambda t: t.hours)
        no_effect = lists.direction["null"].any(clause) and not lists.direction["positive"].any(clause)
        return [TimeFinding("onset", first.hours, "about", clause, (first.start, first.end), effect=not no_effect)]
    m = _RAPID_RX.search(clause)
    if m:
        return [TimeFinding("onset", None, "about", clause, (m.start(), m.end()))]
    return []


def _duration_in(clause: str, lists: RuleLists) -> list[TimeFinding]:
    cue = lists.numbers["duration_cues"].search(clause)
    if cue is None:
        return []
    # "remained without relapse for 8 months" is a lower bound on the benefit, not its end.
    ended = _ENDED_RX.search(cue.group()) is not None
    if ended and lists.numbers["no_relapse"].any(clause):
        ended = False
    times = [t for t in find_times(clause) if t.start >= cue.start() - 40]
    if not times:
        return []
    median = _MEDIAN_RX.search(clause)
    if median:
        after = [t for t in times if t.start >= median.end()]
        times = after or times
        t = times[0]
    else:
        t = min(times, key=lambda t: abs(t.start - cue.end()))
    return [TimeFinding("duration", t.hours, "at_most" if ended else "at_least", clause, (t.start, t.end))]


def _masked(text: str, lists: RuleLists) -> str:
    """``text`` with every match of a condition blanked (offsets preserved). The conditions' union
    is asked first: most sentences name none, and then ``text`` itself is returned."""
    if not lists.indications.any(text):
        return text
    chars = list(text)
    for p in lists.indication_lists:
        for m in p.finditer(text):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class _Cues:
    """What a sentence says of its harms as a whole (the same for every harm it names)."""

    transient: bool
    persistent: bool
    recreational: bool
    absent: bool
    therapeutic: bool


def _cues(sentence: str, lists: RuleLists) -> _Cues:
    def said(name: str) -> bool:
        return lists.numbers[name].any(sentence)

    transient = said("transient_cues")
    recreational = said("recreational_cues")
    return _Cues(
        transient=transient,
        persistent=said("persistent_cues") and not said("negated_persistence") and not transient,
        recreational=recreational,
        absent=said("absence_cues"),
        therapeutic=not recreational and said("therapeutic_cues"),
    )


def _adverse_in(sentence: str, rules: Rules) -> list[AdverseFinding]:
    out: list[AdverseFinding] = []
    lists = rule_lists(rules)
    # "alcohol dependence" and "heroin addiction" are what a study treats, not harms it reports.
    # Masking only blanks text, so a sentence that names no harm has none once masked either: the one
    # check for a harm comes first, before the longer one for the conditions (most sentences stop here).
    if not lists.harms.any(sentence):
        return out
    masked = _masked(sentence, lists)
    # Blanking makes spaces, and a harm word may hold one ("blood pressure"): the masked text is read anew.
    if masked is not sentence and not lists.harms.any(masked):
        return out
    drug = [(d.start(), d.end()) for d in lists.active.finditer(sentence)]
    cues: _Cues | None = None  # read once, for the first harm found
    for category, pats in lists.adverse:
        m = pats.search(masked)
        if m is None:
            continue
        if category in rules.drug_bound_adverse and not any(
            abs(ds - m.end()) <= 60 or abs(m.start() - de) <= 60 for ds, de in drug
        ):
            # Abuse words far from the drug's name are about something else ("order dependency").
            continue
        pct: float | None = None
        for pm in _PCT_RX.finditer(sentence):
            if abs(pm.start() - m.end()) <= 40 or abs(m.start() - pm.end()) <= 40:
                pct = pct_of(pm)
                break
        cues = cues or _cues(sentence, lists)
        out.append(
            AdverseFinding(
                category=category,
                pct=pct,
                transient=cues.transient,
                persistent=cues.persistent,
                absent=cues.absent,
                recreational=cues.recreational,
                sentence=sentence,
                span=(m.start(), m.end()),
                therapeutic=cues.therapeutic,
            )
        )
    return out


def _doses_in(sentence: str, folded: str) -> list[DoseFinding]:
    out: list[DoseFinding] = []
    # Every unit _DOSE_RX reads is spelt with "mg" or "milligram".
    if "mg" not in folded and "milligram" not in folded:
        return out
    for m in _DOSE_RX.finditer(sentence):
        low = float(m.group(1))
        high = float(m.group(2)) if m.group(2) else low
        unit = "mg/kg" if "kg" in m.group(3).lower() else "mg"
        out.append(DoseFinding(min(low, high), max(low, high), unit, sentence))
    return out


# Compiled once: these run for every line and sentence of every abstract read at ingest, where the
# module-level ``re.match`` paid a cache look-up per call.
_CONCLUSION_LABEL_RX: Final = re.compile(r"(conclusion|interpretation|discussion)", re.I)
_RESULTS_LABEL_RX: Final = re.compile(r"(results?|findings?|outcomes?)", re.I)
_LABEL_LINE_RX: Final = re.compile(r"\s*([A-Z][A-Za-z /&-]{2,40}):\s+(.*)$")


def _direction(sentences: Sequence[tuple[str | None, str, str]], rules: Rules) -> tuple[str | None, str | None]:
    """Direction of effect from conclusions (labelled, else the last two sentences), then results.

    ``sentences`` are (label, sentence, its :func:`~ketlit.claims.screens.fold`)."""
    conclusions = [s for label, s, _ in sentences if label and _CONCLUSION_LABEL_RX.match(label)]
    if not conclusions:
        conclusions = [s for _, s, _ in sentences[-2:]]
    results = [s for label, s, _ in sentences if label and _RESULTS_LABEL_RX.match(label)]
    lists = rule_lists(rules)
    positive, null, negative = lists.direction["positive"], lists.direction["null"], lists.direction["negative"]
    for group in (conclusions, results):
        pos_of = {s: positive.any(s) for s in group}  # read once, used twice
        pos = [s for s in group if pos_of[s]]
        nul = [s for s in group if null.any(s)]
        neg = [s for s in group if negative.any(s) and not pos_of[s]]
        if neg and not pos:
            return "negative", neg[0]
        if pos and nul:
            return "mixed", nul[0]
        if nul:
            return "null", nul[0]
        if pos:
            return "positive", pos[0]
    return None, None


def _labelled_sentences(abstract: str) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for line in abstract.split("\n"):
        m = _LABEL_LINE_RX.match(line)
        label: str | None = None
        body = line
        if m and (m.group(1).isupper() or len(m.group(1).split()) <= 3):
            label, body = m.group(1), m.group(2)
        if not body.strip():
            continue
        out.extend((label, text) for text in sentence_texts(body))
    return out


_POOLED_RX: Final = re.compile(r"\bpooled\b", re.IGNORECASE)


def _comparator_named(abstract: str, lists: RuleLists) -> bool:
    """Whether the abstract randomises or names a control (then no rate is single-arm)."""
    # "randomi" is a cheaper test than the comparator list: asked first (either answer decides alike).
    # The abstract is asked about this list alone: not scanned for every list's literals.
    return ("randomi" in fold(abstract) and _RANDOMISED_RX.search(abstract) is not None) or lists.comparator.any_alone(
        abstract
    )


def abstract_findings(title: str, abstract: str, rules: Rules, *, summary: bool = False) -> Findings:
    """Rates, times, adverse events, doses and direction of effect stated in an abstract."""
    # Each sentence is folded once, for every reader's literal screens (ketlit.claims.screens).
    sentences = [(label, sent, fold(sent)) for label, sent in _labelled_sentences(abstract)]
    lists = rule_lists(rules)

    @functools.cache
    def single_arm_n() -> int | None:
        # Read when a rate first needs a denominator it does not state: most abstracts never ask.
        return None if summary or _comparator_named(abstract, lists) else sample_size(abstract)

    constructs = lists.constructs
    rates: list[RateFinding] = []
    times: list[TimeFinding] = []
    adverse: list[AdverseFinding] = []
    doses: list[DoseFinding] = []
    for _, sent, folded in sentences:
        if constructs.any(sent):  # rates_in_sentence reads none without a cue
            is_summary = summary or ("pooled" in folded and _POOLED_RX.search(sent) is not None)
            rates.extend(_rates_in(sent, lists, single_arm_n=single_arm_n, summary=is_summary))
        times.extend(_times_in(sent, folded, rules))
        adverse.extend(_adverse_in(sent, rules))
        doses.extend(_doses_in(sent, folded))
    direction, why = _direction(sentences, rules)
    return Findings(tuple(rates), tuple(times), tuple(adverse), tuple(doses), direction, why)


# ------------------------------------------------------------------ CT.gov posted results


def _as_obj(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def classify_arm(text: str, rules: Rules) -> str:
    """'active' when the group names the drug, 'comparator' when it names only a control."""
    active = rules.arms["active"].any(text)
    comparator = rules.arms["comparator"].any(text)
    if active and not comparator:
        return "active"
    if comparator and not active:
        return "comparator"
    if active and comparator:
        # "Esketamine + placebo tablet" is the drug arm; "Placebo then ketamine" (crossover) is not clear.
        first_active = rules.arms["active"].search(text)
        first_comp = rules.arms["comparator"].search(text)
        if (
            first_active
            and first_comp
            and first_active.start() < first_comp.start()
            and not re.search(r"\bthen\b", text, re.I)
        ):
            return "active"
        return "unknown"
    return "unknown"


def _denominators(denoms: Any) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    overall: dict[str, float] = {}
    by_class: dict[tuple[str, str], float] = {}
    obj = _as_obj(denoms)
    if isinstance(obj, list):
        obj = {"overall": obj, "classes": []}
    if not isinstance(obj, Mapping):
        return overall, by_class
    for d in obj.get("overall") or []:
        if not isinstance(d, Mapping):
            continue
        units = str(d.get("units") or "participants").lower()
        if "participant" not in units and overall:
            continue
        for c in d.get("counts") or []:
            if isinstance(c, Mapping):
                v = _num(c.get("value"))
                gid = c.get("group_id") or c.get("groupId")
                if v is not None and gid:
                    overall.setdefault(str(gid), v)
    for d in obj.get("classes") or []:
        if not isinstance(d, Mapping):
            continue
        title = str(d.get("class_title") or "")
        for c in d.get("counts") or []:
            if isinstance(c, Mapping):
                v = _num(c.get("value"))
                gid = c.get("group_id") or c.get("groupId")
                if v is not None and gid:
                    by_class.setdefault((title, str(gid)), v)
    return overall, by_class


def ctgov_rates(rows: Sequence[Mapping[str, Any]], rules: Rules) -> list[RateFinding]:
    """Response/remission proportions per group from posted CT.gov outcome measures."""
    out: list[RateFinding] = []
    for row in rows:
        title = str(row.get("title") or "")
        construct = next((name for name, pats in rules.ctgov_rate_titles.items() if pats.any(title)), None)
        if construct is None:
            continue
        param = str(row.get("param_type") or "").upper()
        unit = str(row.get("unit") or "")
        is_pct = rules.ctgov_percent_units.any(unit)
        if param not in rules.ctgov_count_param_types and not is_pct:
            continue
        groups_raw = _as_obj(row.get("groups")) or []
        groups = {
            str(g.get("id")): f"{g.get('title') or ''} {g.get('description') or ''}".strip()
            for g in groups_raw
            if isinstance(g, Mapping) and g.get("id")
        }
        overall, by_class = _denominators(row.get("denoms"))
        time_frame = str(row.get("time_frame") or "")
        for m in _as_obj(row.get("measurements")) or []:
            if not isinstance(m, Mapping):
                continue
            category = str(m.get("category_title") or "")
            if category and (rules.ctgov_no.any(category) or not rules.ctgov_yes.any(category)):
                continue
            gid = str(m.get("group_id") or m.get("groupId") or "")
            value = _num(m.get("value"))
            class_title = str(m.get("class_title") or "")
            n = by_class.get((class_title, gid), overall.get(gid))
            if value is None or n is None or n <= 0:
                continue
            events = round(value * n / 100) if is_pct else round(value)
            if events > n:
                continue
            times = find_times(class_title) or find_times(time_frame)
            label = groups.get(gid, gid)
            sentence = (
                f"{title} — {label}"
                + (f" — {class_title}" if class_title else "")
                + (f" ({time_frame})" if time_frame else "")
            )
            out.append(
                RateFinding(
                    construct=construct,
                    events=int(events),
                    n=int(n),
                    pct=100.0 * events / n,
                    arm=classify_arm(label, rules),
                    timepoint_hours=times[0].hours if times else None,
                    sentence=sentence,
                    span=(0, len(sentence)),
                    origin="ctgov",
                )
            )
    return out


# ------------------------------------------------------------------ persistence

_FINDING_TYPES: Final = {"rates": RateFinding, "times": TimeFinding, "adverse": AdverseFinding, "doses": DoseFinding}


# Field names per finding class, in declaration order (what ``dataclasses.asdict`` would walk).
_FIELD_NAMES: Final = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _FINDING_TYPES.values()}
_to_json: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _as_dict(finding: RateFinding | TimeFinding | AdverseFinding | DoseFinding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in _FIELD_NAMES[type(finding)]}


def findings_to_json(findings: Findings) -> str:
    """Findings as JSON, so extraction runs once per record version and is read back by reports.

    Written out rather than through ``dataclasses.asdict``, which deep-copies every value and cost
    a tenth of reading an abstract at ingest: the findings hold only numbers, strings, booleans and
    spans (tuples, which JSON writes as arrays, as it did), so the text is the same, byte for byte."""
    data: dict[str, Any] = {name: [_as_dict(f) for f in getattr(findings, name)] for name in _FINDING_TYPES}
    data["direction"] = findings.direction
    data["direction_sentence"] = findings.direction_sentence
    return _to_json(data)


def findings_from_json(text: str) -> Findings:
    """Inverse of :func:`findings_to_json`."""
    data = json.loads(text)
    parts: dict[str, Any] = {}
    for name, cls in _FINDING_TYPES.items():
        items = []
        for item in data.get(name, []):
            if "span" in item and item["span"] is not None:
                item["span"] = tuple(item["span"])
            items.append(cls(**item))
        parts[name] = tuple(items)
    return Findings(**parts, direction=data.get("direction"), direction_sentence=data.get("direction_sentence"))
