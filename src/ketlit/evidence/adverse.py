"""Adverse-event statements of a study: each harm a result sentence names, and what it says of it.

A result sentence often says several things about harms at once: "None of the subjects had serious side
effects, and the side effects were similar between the groups"; "Ketamine was well tolerated, with transient
dissociation as the main side effect"; "Serious and long-lasting AEs were more common with ECT, while
treatment-emergent AEs led to more dropouts in the ketamine group". Read as one statement, the first cue in the
sentence decided for every harm in it (a "no … serious" made the similar side effects absent, "well tolerated"
made the dissociation absent). So the sentence is cut into clauses (the finding reader's boundaries, plus the
clause a tolerability or safety statement opens with ", with …") and each clause says its own presence of the
harms it names:

- **absent**: the harm did not occur ("no serious adverse events", "did not impair driving", "well tolerated":
  no poor tolerability; "safe and effective": no safety concern);
- **no_difference**: as often as in the comparison ("similar", "did not increase the rate of");
- **more** / **less**: more or less often with the drug than in the comparison; a comparison whose other side is
  named ("more common with ECT", "higher in the placebo group") is the drug's less, and the other way round;
- **present**: the harm occurred ("transient dissociation", "mild and transient adverse effects").

What is no report of harm is left out: a call for research ("larger trials are needed to establish its
safety"), a note on how harms were (not) studied, a correlation of ratings. The harm words are the outcome
vocabulary's safety list plus ``[adverse_events] harms`` of the evidence rules (words only a harm statement
uses: a finding's outcome kind is decided by the safety list alone).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ketlit.evidence import numbers as nums
from ketlit.evidence.anchors import Gate, fold
from ketlit.evidence.arms import ComparatorKind, arm_opening, comparators_in, first_comparator
from ketlit.evidence.harm_rates import by_arm_counts, by_arm_rates
from ketlit.evidence.matcher import AnchorIndex, Matcher, TextPattern
from ketlit.evidence.roles import FINDING_ROLES, RoledSentence
from ketlit.evidence.rules import EvidenceRules
from ketlit.evidence.sentences import clause_spans

Presence = Literal["present", "absent", "more", "less", "no_difference"]

# At most this many harm rows per sentence: a list of twenty events in one sentence is one statement, and the
# rows are what a safety check selects records by, not an inventory.
MAX_EVENTS_PER_SENTENCE: Final = 8


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """An adverse-event statement: the event words, presence, and the rates printed for that event."""

    sentence: int
    event: str
    presence: Presence
    rates: tuple[nums.Rate, ...] = ()


# "No reports of serious adverse events", "no new safety signal", "not associated with significant
# adverse effects", "no case of interstitial cystitis", "devoid of adverse neurocognitive effects",
# "dissociation was nearly absent", "none experienced an adverse event": the event did not occur,
# however the negation is phrased. A few words may qualify the events ("no cognitive adverse
# effects", "no considerable long-term side effects", "no serious cardiac adverse events").
_SEVERITY: Final = r"(?:serious |severe |significant |major |clinically significant |persistent )*"
# A "no" that compares rather than denies ("no significant between-group difference", "no increase", "no more"): the
# start of an alternation its users close.
_COMPARES: Final = (
    r"(?:statistical(?:ly)? |clinically )?(?:significant )?(?:between-group |inter-?group |group )?"
    r"(?:differen|more\b|increase|greater|higher|lower|fewer|less\b|change"
)
_ABSENT: Final = re.compile(
    r"\bno (?:reports? of |cases? of |incidents? of |instances? of |evidence of (?:an? )?|occurrences? of |"
    r"new |reported )?"
    + _SEVERITY
    # The words between may qualify the events, never count, compare or withdraw ("no more than two adverse
    # events", "no increase in side effects", "no data on adverse events", "no patient withdrew for adverse events").
    + r"(?:(?!differen|more\b|increase|greater|than\b|data\b|information\b|withdr|discontinu|drop|effect|impact|"
    r"influence|free\b)[\w-]+ ){0,3}?"
    r"(?:adverse|side[- ]?effects?|safety|AEs?\b|SAEs?\b)|"
    r"\bno cases? of\b|(?<!not )\bdevoid of\b|\b(?:nearly|virtually|almost|completely) absent\b|"
    r"\bnone (?:of (?:the |them |these )?(?:\w+ )?)?(?:experienced|developed|reported|had|showed|required)\b|"
    r"\bno (?:clinically )?(?:significant |relevant |meaningful )?changes? in (?:blood pressure|heart rate|vital signs|"
    r"ECGs?|electrocardiogra\w*|laboratory)|"
    # A clause that opens with "no" and names harms ("No sequelae were observed", "No hepatic, cognitive or
    # urinary changes were observed"), unless it compares ("No significant difference in complications") or
    # counts ("No patient was free of side effects").
    r"(?:^\W*|\bthere (?:were|was|is|are) )no (?!(?:statistical(?:ly)? |clinically )?(?:significant )?"
    r"(?:between-group |inter-?group |group )?"
    r"(?:differen|more\b|increase|greater|change in (?:the )?(?:rate|incidence)))"
    r"(?!(?:[\w-]+ ){0,3}?(?:than\b|data\b|information\b|withdr|discontinu|drop|free\b))|"
    r"\bnot associated with (?!(?:an? |the )?(?:increased|higher|more|greater|differen)\w*)|"
    r"\b(?:did|does|do|was|were) not (?:significantly |adversely )?(?:impair|induce|cause|produce|worsen|lead to|"
    r"result in|affect|impact)\b|\bwas not impaired\b|\bnot adversely affected\b|"
    # Nobody had it, zero cases, neither this nor that was observed (a count or both denied, for the clause; the
    # comparator's arm alone is read by _absent_in_one_arm). "No" after a subject is read per harm (_NO_BEFORE).
    r"\bnobody\b|\bno one\b|\bzero (?:cases|patients|events|incidents|episodes)\b|"
    r"\bneither\b[^.;]{0,60}\bnor\b[^.;]{0,60}\b(?:(?:was|were) (?:observed|reported|detected|noted|seen)|occurred|"
    r"developed|emerged|appeared)\b|"
    # "Neither drug was associated with respiratory depression": both arms, so no arm's excess.
    r"\bneither (?:drug|treatment|group|arm|agent|regimen)\b[^.;]{0,20}\b"
    r"(?:was|were|caused|produced|induced|had|showed)\b(?: associated with)?|"
    r"\bno (?:\w+ )?evidence of (?:\w+ ){0,3}?(?:negative|adverse|harmful|deleterious)\b|"
    r"\b(?:were|was) absent\b|"
    r"(?<!not )(?<!n't )\b(?:appears?|seems?|to be|were|was|are|is) (?:to be )?(?:generally |relatively |well )?"
    r"(?:tolerable|acceptable)\b|"
    r"(?<!not )(?<!less )(?<!poorly )\bwell[- ]tolerated\b|"
    r"\b(?:good|excellent|favou?rable|acceptable) (?:safety(?: and |/)?)?(?:tolerability|safety)\b|"
    # The drug called safe: "an effective and safe treatment", "was safe and well tolerated", "safe overall",
    # "support for the safety and tolerability of ketamine" (a conclusion of no safety concern); not "may not be
    # safe".
    r"(?<!not )(?<!n't )\b(?:is|was|are|were|be|being|as|remains?|appears?|appeared|seems?|seemed) (?:to be )?"
    r"(?:an? )?(?:(?:generally |relatively |overall )?"
    r"(?:effective|efficacious|rapid|feasible|well[- ]tolerated|promising|fast|potentially)(?:,| and) )*"
    r"(?:generally |relatively |overall )?safe\b|"
    r"\bsafe(?:ly)? and (?:well[- ]tolerated|effective|efficacious|feasible|tolerable)\b|"
    r"\bsupports? (?:for )?the (?:\w+ )?safety\b|\brelative safety\b|"
    r"\b(?:suggests?|suggesting|supports?|demonstrates?|confirms?|underscores?|shows?|showed|indicates?|indicating) "
    r"(?:the |an? )?(?:\w+ ){0,4}?safety\b|"
    r"\bsafe (?:profile|option|alternative|treatment|intervention|drug|medication|choice)\b|"
    # "Significant differences were not observed" is no difference, not an absence.
    r"(?<!differences )(?<!difference )\b(?:were|was) not (?:observed|reported|noted|found|detected|seen)\b"
    r"(?! to differ)|"
    r"\bnone of\b",
    re.I,
)
# Poor tolerability said outright: a harm present, however the words around it read ("not well tolerated: 8 of
# 20 patients withdrew", "poorly tolerated", "not devoid of adverse effects", "may not be safe").
_NOT_TOLERATED: Final = re.compile(
    r"\b(?:not|poorly|badly) (?:well[- ])?tolera(?:ted|ble)\b|\bnot devoid of\b|\bnot (?:\w+ )?safe\b", re.I
)
# More of the event with the drug ("the incidence of dizziness was higher in the esketamine group",
# "increased the risk of hallucinations", "more intense dissociative symptoms", "twice the incidence"). Which arm a
# cue that names one is said of ("higher in the placebo group") is read after (:func:`_side`).
_MORE: Final = re.compile(
    r"\bmore (?:frequent|common|often|intense|severe|pronounced|adverse|dropouts?|lightheaded|[a-z]+ (?:and|or) )|"
    r"\bhigher (?:rates?|incidences?|frequency|risks?|adverse)|"
    r"\bincreased? (?:the )?(?:risks?|incidences?|rates?|adverse|frequency)|"
    r"\b(?:was|were) (?:significantly |also )?(?:higher|greater|more frequent|more common) (?:in|with|among|for|by) |"
    # "… in the esketamine group were higher than those of control group": more, unless the drug is after "than".
    r"\b(?:was|were) (?:significantly |also )?(?:higher|greater|more frequent|more common) than\b|"
    r"\bgreater (?!reduc|decreas|improv|relief)(?:\w+ ){0,2}?(?:dissociat\w*|adverse|side|risks?)|"
    r"\btwice the (?:incidence|rate|risk)\b|"
    # "Treatment-emergent adverse events were dose dependent": more at the higher dose.
    r"\b(?:were|was|are|is) dose[- ](?:dependent|related)\b|(?<!no )\bdose-response (?:profile|relationship)\b|"
    r"\b(?:lower|poorer|worse) tolerability\b|\bless tolerable\b|"
    r"\bcaused? more\b|\bexperienced more\b|\bincrease in\b|"
    # "Dissociation was significantly increased in the ketamine group", "... greater after ketamine than after
    # midazolam". (Who had more, or its odds, are not cues of the clause: "a higher proportion of excellent analgesia
    # and a lower incidence of nausea", "women were more likely to have nausea".)
    r"\b(?:was|were) (?:significantly )?increased (?:in|with|among|after) (?!(?:patients|those|participants) who\b)|"
    r"\b(?:was|were) (?:significantly )?(?:higher|greater|more frequent|more common) after\b",
    re.I,
)
# Harms judged not the drug's ("Two deaths were reported; neither was considered related to esketamine", "…, none of
# which was deemed attributable to the study drug"): no harm of the drug's, said of the harms of the clause before.
_UNRELATED: Final = re.compile(
    r"\b(?:neither|none)(?: of (?:which|them|these|those|the \w+))? (?:was|were|is|are) "
    r"(?:considered |deemed |judged |thought |assessed (?:as )?|believed )?(?:to (?:be|have been) )?"
    r"(?:(?:possibly|probably|directly) )?(?:related|attributable|attributed|due)\b|"
    r"\b(?:was|were|is|are) (?:considered |deemed |judged |thought |assessed (?:as )?|believed )?"
    r"(?:to (?:be|have been) )?(?:unrelated|not related|not attributable|not attributed) to\b",
    re.I,
)
# What a harm must be judged unrelated to for the judgement to clear the drug: the drug itself (named right after) or
# the study's treatment ("not related to the study drug"); not "unrelated to antidepressant response", "to age", "to
# dose", which say nothing of whose the harm was.
_STUDY_TREATMENT: Final = re.compile(
    r"\s*(?:to )?(?:the )?(?:study|trial|investigational) (?:drug|medication|treatment|product)|"
    r"(?:the )?(?:treatment|intervention|infusions?|dosing)\b",
    re.I,
)
_DRUG_REACH: Final = 9
# Less of it ("reduced the risk of hypotension", "lower risks for headache", "was lower in the … group").
_LESS: Final = re.compile(
    r"\bless (?:frequent|common|often)|\blower (?:rates?|incidences?|frequency|risks?)|(?<!no )\bfewer\b|"
    r"\b(?:reduced|decreased|lowered|attenuated|prevented) (?:the )?(?:risks?|incidences?|rates?|occurrence)?\b|"
    r"\b(?:reduc|decreas|lower|attenuat|prevent)(?:e|es|ing|s)? (?:the )?(?:risks?|incidences?|rates?|occurrence)\b|"
    r"\b(?:was|were) (?:significantly )?(?:lower|less frequent|less common) than\b|"
    r"\b(?:was|were) (?:significantly )?(?:lower|reduced|decreased|less frequent|less common) "
    r"(?:in|with|among|for|by) ",
    re.I,
)
# "Without (significantly) increasing/more/greater": no difference, in _SAME; not the absence _WITHOUT reads.
_AN_INCREASE: Final = (
    r"(?:an? |any )?(?:(?:significant|significantly|statistically) )*(?:increas\w*|more\b|greater|higher)"
)
_SAME: Final = re.compile(
    r"\bsimilar\b|\bcomparable\b|\bno (?:statistical(?:ly)? )?(?:significant )?differen|\bdid not differ|"
    r"\bnot (?:found|shown) to differ|\bno (?:more(?! than)|increased?|greater|higher|less|fewer)\b|"
    r"\bno (?:statistically )?(?:significant )?(?:effect|impact|influence) on\b|"
    r"\b(?:was|were) not (?:statistically |significantly )*different\b|"
    r"\bnot (?:statistically )?significant(?:ly)? different|"
    r"\bnot associated with (?:an? |any )?(?:increased|higher|more|greater|differen\w*)|"
    # "did not show significant differences between the two groups", "did not reveal any difference".
    r"\b(?:did|does|do) not (?:show|reveal|demonstrate|yield|find) (?:any )?(?:statistically )?(?:significant )?"
    r"differen|"
    r"\b(?:did|does|do) not (?:significantly )?increase\b|"
    r"\bwithout " + _AN_INCREASE + "|"
    r"\bnot (?:significantly )?(?:different|differ)\b|"
    r"\bdifferences? (?:\w+ ){0,3}?(?:was|were) not (?:observed|found|detected|seen|noted)\b|"
    # "no significant between-group differences", "no significant increase", "no excess risk", "did not significantly
    # alter the incidence", "did not have more dissociation than", "was not increased", "non-significant", "equally
    # frequent", "evenly distributed", "neither ... nor ... differed", "non-inferior".
    r"\bno (?:statistically )?(?:significant )?(?:between-group |inter-?group |group )differen|"
    r"\bno (?:statistically )?significant (?:increase|rise|excess)|\bno excess\b|"
    r"\b(?:did|does|do) not (?:have|show|experience|report|develop) (?:significantly )?(?:more|higher|greater)\b|"
    r"\b(?:was|were) not (?:significantly )?(?:more frequent|more common)\b|"
    # (Not wordings efficacy shares: "non-inferior", "did not alter", "(non-significant)", "not significant" say
    # nothing of a harm named beside them: "was non-inferior to ECT and caused more dissociation".)
    r"\b(?:equally|evenly) (?:frequent|common|distributed)\b|\bneither\b[^.;]{0,80}\bdiffer",
    re.I,
)


def alternatives(regex: re.Pattern[str]) -> list[str]:
    """The top-level alternatives of ``regex``: "a|(b|c)|[|]d" gives "a", "(b|c)", "[|]d". Made for the cue patterns
    below (no inline flags, no verbose mode, no backreferences: refused rather than split wrong)."""
    pattern = regex.pattern
    if regex.flags & re.VERBOSE or "(?P=" in pattern or re.search(r"\(\?[aiLmsux]", pattern):
        raise ValueError(f"alternatives() cannot split {pattern[:40]!r}")
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            # A "]" first in a class ("[]x]", "[^]x]") is a literal, not its end.
            i += 2 if pattern.startswith("^]", i + 1) else 1 if pattern.startswith("]", i + 1) else 0
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    for part in out:
        re.compile(part, regex.flags)  # each alternative stands alone (raises if the split was wrong)
    return out


# The four presence cues are long alternations tried on every harm clause: ``re`` tries each alternative at every
# character. As Matchers (one literal scan of the clause for all four, shared; the same leftmost match as the
# alternation: tests/test_evidence_speed.py compares them) they cost a scan and a few anchored matches.
_CUE_INDEX: Final = AnchorIndex()
_ABSENT_CUE: Final = Matcher(alternatives(_ABSENT), _ABSENT.flags, _CUE_INDEX)
_SAME_CUE: Final = Matcher(alternatives(_SAME), _SAME.flags, _CUE_INDEX)
_MORE_CUE: Final = Matcher(alternatives(_MORE), _MORE.flags, _CUE_INDEX)
_LESS_CUE: Final = Matcher(alternatives(_LESS), _LESS.flags, _CUE_INDEX)

# Where a harm clause ends besides the finding reader's boundaries (``[findings] clause_split``, which has ", but",
# ", whereas", ", while", ", although"): the statement a tolerability or safety word opens, followed by the harms that
# did occur ("was well tolerated, with transient dissociation …"); a second subject after ", and" ("…serious side
# effects, and the side effects were similar …", "…, and dissociation (30%) and nausea (20%) were the most common");
# a second verb phrase after a bare "and" ("… was well tolerated … and was not associated with …", "was well
# tolerated and transient dissociation occurred"); what a list of harms is said to be after it ("…, none of which
# were serious"); the harm a statement is made despite ("appeared safe despite transient hypertension").
_BOUNDARY: Final = re.compile(
    r", with (?!(?:a|an|the|respect|regard|reference)\b)| with (?=no\b)|"
    r", (?=(?:suggesting|indicating|demonstrating|supporting|confirming)\b)|"
    r", and (?=(?:the |all |most |no |none )?(?:[\w/%.,()-]+ ){0,8}?"
    r"(?:was|were|had|did|occurred|experienced|developed)\b)|"
    r" and (?=(?:was|were) (?:not )?(?:associated|observed|reported|noted|well)\b)|"
    r"(?<=tolerated) and |(?<=safe) and (?!(?:well|effective|efficacious|feasible|tolerable)\b)|"
    r", (?=(?:none|neither|all|both|most|some|each) of (?:which|these|them)\b)|"
    r", (?:however|though),? |,? (?=despite\b)|"
    # "…, with no serious adverse events and transient dissociation in 20% of patients": a harm counted after "and"
    # is no part of the "no" before it.
    r" and (?=(?:[\w-]+ ){1,4}?(?:in|of) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b)",
    re.I,
)
# A tolerability or safety statement and the harms that did occur after it, without a comma: "was well tolerated in
# both studies with adverse effects being mild and transient" (group 1 is where the second clause starts).
_TOLERATED_WITH: Final = re.compile(
    r"\b(?:tolerated|tolerable|safe)\b[^,;.]{0,40}? with (?!(?:a|an|respect|regard|reference|no)\b|the exception)()",
    re.I,
)
# The harms a statement excepts: "Apart from transient dissociation, no adverse events were observed", "no serious
# adverse events apart from one case of delirium", "Side effects, with the exception of dissociation, were
# similar". They occurred, whatever the rest says of the others (the except phrase runs to the next comma).
_EXCEPT: Final = re.compile(
    r"\b(?:apart from|other than|aside from|except(?: for)?|with the exception of|besides|save for)\s+([^,;]*)", re.I
)


# The regexes run on every harm clause, each tried only where the literals it needs are (see ``Gate``).
_BOUNDARY_GATE: Final = Gate(_BOUNDARY)
_TOLERATED_WITH_GATE: Final = Gate(_TOLERATED_WITH)
_EXCEPT_GATE: Final = Gate(_EXCEPT)
_NOT_TOLERATED_GATE: Final = Gate(_NOT_TOLERATED)


def _clause_spans(text: str, boundary: TextPattern) -> list[tuple[int, int]]:
    """Where each clause of ``text`` starts and ends (the finding reader's clauses, cut again at ``_BOUNDARY`` and
    after a tolerability statement)."""
    out: list[tuple[int, int]] = []
    for start, end in clause_spans(text, boundary):
        clause = text[start:end]
        parts = clause_spans(clause, _BOUNDARY) if _BOUNDARY_GATE.search(clause, fold(clause)) else [(0, len(clause))]
        for a, b in parts:
            part = clause[a:b]
            m = _TOLERATED_WITH_GATE.search(part, fold(part))
            cut = [a, a + m.start(1), b] if m else [a, b]
            out.extend((start + x, start + y) for x, y in itertools.pairwise(cut))
    return out


# Where a cue's arm is named: right after it ("was higher in the placebo group"), or a few words on ("were more common
# with ECT", "reported more often by placebo recipients"); not across "compared with" or "than", after which comes
# the reference, not where the harm was.
_ARM_AFTER: Final = re.compile(
    # A rate in brackets may come between ("reported in fewer patients (<7%) treated with placebo").
    r"\s*(?:(?:(?!compared\b|relative\b|than\b|versus\b|vs\b)[\w-]+|\([^()]{1,20}\)) ){0,4}?"
    r"(?:in|with|among|for|after|following|by) "
    r"(?:the |patients |those |participants )?",
    re.I,
)
_ENDS_WITH_ARM_WORD: Final = re.compile(r"\b(?:in|with|among|for|by) $", re.I)
_DRUG, _OTHER, _UNKNOWN = 0, 1, 2


# A reference named before a cue ("compared with placebo, ketamine caused more nausea", "unlike ECT, ..."): the arm
# named next after these words is the one the comparison is made against, not the one the cue is said of.
_REFERENCE_BEFORE: Final = re.compile(
    r"\b(?:compared (?:with|to)|relative to|than|versus|vs\.?|unlike|in contrast (?:with|to)|as opposed to)\s", re.I
)
_REFERENCE_REACH: Final = 40
# A comparator named as a design, a background, a history or a co-medication, not as an arm: "placebo-controlled",
# "placebo lead-in", "midazolam premedication", "under propofol", "previously received ECT", "rescue opioids".
# "Healthy controls" are people compared with patients, both given the drug. ("On" and "taking" name an arm as often:
# "patients on placebo", "those taking midazolam"; a co-medication is "concomitant" or "stable".)
_NOT_ARM_AFTER: Final = re.compile(
    r"(?:[- ]\w+)?[- ](?:controlled|lead-in|run-in|phase|period|premedication|exposure|an(?:a)?esthe\w*|induction|"
    r"based|prophylaxis|sessions?)\b",
    re.I,
)
_NOT_ARM_BEFORE: Final = re.compile(
    r"\b(?:previously|prior|history of|concomitant|stable|rescue|under|an(?:a)?esthe\w+ with|switch\w* from|"
    r"crossed over from|as with|like|similar to|required|healthy|normal)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)


def _named_as_arm(before: str, comparator: tuple[str, ComparatorKind, int]) -> bool:
    words, _, at = comparator
    after = _NOT_ARM_AFTER.match(before, at + len(words))
    return not (after or _NOT_ARM_BEFORE.search(before[max(0, at - 40) : at]))


def _subject_side(clause: str, upto: int, rules: EvidenceRules) -> int:
    """The arm a cue that names none after it is said of, read before it: the comparison's (``_OTHER``) when a
    comparator is named before the cue as the clause's subject or setting and the drug is not ("In the ECT group,
    headache was more frequent", "Patients given midazolam had higher rates of nausea", "ECT: lower risks for
    vertigo", "Placebo patients reported more headaches than ketamine patients"); ``_UNKNOWN`` when the clause
    never names the drug and sets two comparators against each other ("dexmedetomidine induced less amnesia than
    did midazolam"); else the drug's. A comparator named as a reference ("compared with placebo, ketamine caused
    more nausea") or beside the drug ("ketamine plus midazolam") leaves it the drug's."""
    before = clause[:upto]
    comparators = [c for c in comparators_in(before, rules.findings) if _named_as_arm(before, c)]
    if not comparators:
        return _DRUG
    drugs = [m.start() for m in rules.findings.drug.finditer(before)]
    # Each reference takes the first arm named after it: "compared with ketamine, placebo caused less nausea".
    references: set[int] = set()
    for ref in _REFERENCE_BEFORE.finditer(before):
        named = [at for at in (*drugs, *(c[2] for c in comparators)) if ref.end() <= at <= ref.end() + _REFERENCE_REACH]
        if named:
            references.add(min(named))
    if any(at not in references for at in drugs):
        return _DRUG
    if not any(at not in references for _, _, at in comparators):
        return _DRUG
    others = {words.lower() for words, _, _ in comparators_in(clause, rules.findings)}
    if rules.findings.drug.search(clause) is None and len(others) > 1:
        return _UNKNOWN
    return _OTHER


def _side(clause: str, cue: re.Match[str], rules: EvidenceRules) -> int:
    """Which arm a more/less cue is said of: the drug's (``_DRUG``: "higher in the esketamine group", or no arm
    named), the comparison's (``_OTHER``: "more common with ECT", "lower in the placebo group"), or ``_UNKNOWN``
    (an arm that is neither the drug nor a comparator the rules know, or two comparators and no drug: a trial of
    two other drugs)."""
    rest = clause[cue.end() : cue.end() + 80]
    if cue.group(0).lower().endswith("than"):
        drug = rules.findings.drug.search(rest, 0, 30)
        return _OTHER if drug is not None else _DRUG  # "higher than (in) the ketamine group": the other arm's more
    arm = (
        re.match(r"(?:the |patients |those |participants )?", rest, re.I)
        if _ENDS_WITH_ARM_WORD.search(cue.group(0))
        else _ARM_AFTER.match(rest)
    )
    if arm is None:
        return _subject_side(clause, cue.start(), rules)
    after = rest[arm.end() :]
    drug = rules.findings.drug.search(after)
    if drug is not None and drug.start() <= 3:
        return _DRUG
    comp = first_comparator(after, rules.findings)
    if comp is None or comp[2] > 3:
        if drug is not None:
            return _UNKNOWN
        return _subject_side(clause, cue.start(), rules)
    if rules.findings.drug.search(clause) is None and first_comparator(after[comp[2] + len(comp[0]) :], rules.findings):
        return _UNKNOWN
    return _OTHER


# "Midazolam was better tolerated than ketamine" (the drug's harms were more), "ketamine was better tolerated
# than ECT" (less); "less well tolerated than" the other way round: the side the drug is on decides.
_BETTER_TOLERATED: Final = re.compile(r"\b(?:better|more easily) tolerated than\b|\bmore tolerable than\b", re.I)
_WORSE_TOLERATED: Final = re.compile(r"\bless (?:well |easily )?tolera(?:ted|ble) than\b", re.I)
# A harm reported against a comparison with no word of more or less ("caused nausea (RR 2.16) compared to no
# esketamine use", "the risk of hallucinations was highest …; compared with controls, the OR was 2.32"): a harm
# set against a comparison is reported as the drug's excess.
_COMPARED: Final = re.compile(
    r"\bcompared (?:to|with)\b|\brelative to\b|\bthan (?:in )?(?:the )?(?:placebo|control)", re.I
)
_COMPARED_GATE: Final = Gate(_COMPARED)
# "Without (any) memory deficiency", "nausea without vomiting": an absence only of the harm it names, which follows
# it within a few words. "Without increasing the incidence" is no difference (``_SAME``).
_WITHOUT: Final = re.compile(
    r"\bwithout (?!" + _AN_INCREASE + r"|(?:an? |any )?change in (?:the )?(?:rate|incidence))", re.I
)
_WITHOUT_REACH: Final = 60
# A harm named right after a word of more or less ("more headaches with ketamine", "fewer side effects",
# "increase intraoperative adverse reactions"), where no clause-level cue says which.
_MORE_BEFORE: Final = re.compile(r"\b(?:more|greater|increased?|higher)\s+(?:[\w-]+\s+)?$", re.I)
_LESS_BEFORE: Final = re.compile(r"(?<!no )\b(?:fewer|less|reduced?|decreased?|lower)\s+(?:[\w-]+\s+)?$", re.I)
_FLIP: Final[dict[Presence, Presence]] = {"more": "less", "less": "more"}
# Each comparison of tolerability with what it says of the drug when the drug is named after it.
_TOLERATED_THAN: Final[tuple[tuple[re.Pattern[str], Presence], ...]] = (
    (_BETTER_TOLERATED, "more"),
    (_WORSE_TOLERATED, "less"),
)


def _tolerated_than(clause: str, folded: str, rules: EvidenceRules) -> Presence | None:
    if "tolera" not in folded:  # both patterns need it
        return None
    for pattern, drug_after in _TOLERATED_THAN:
        m = pattern.search(clause)
        if m is not None:
            return drug_after if rules.findings.drug.search(clause, m.end(), m.end() + 30) else _FLIP[drug_after]
    return None


def _absent_in_one_arm(clause: str, m: re.Match[str], rules: EvidenceRules) -> bool:
    """Whether an absence cue is said of the comparison's arm only: "none of the placebo patients", "No
    placebo-treated patient developed hypertension, compared with 8 esketamine-treated patients"."""
    # Not the drug called safe or tolerated: "a safe anaesthetic for ECT", "well tolerated, as was midazolam" name the
    # comparator as no arm.
    if _SAFE_OR_TOLERATED.search(m.group(0)):
        return False
    return _comparator_only(clause[m.start() : m.end() + 30], rules)


def _comparator_only(words: str, rules: EvidenceRules) -> bool:
    """Whether ``words`` (what an absence is said of) name a comparator and not the drug."""
    return first_comparator(words, rules.findings) is not None and rules.findings.drug.search(words) is None


_SAFE_OR_TOLERATED: Final = re.compile(r"safe|tolera", re.I)
_MORE_OR_LESS: Final[tuple[tuple[Matcher, Presence], ...]] = ((_MORE_CUE, "more"), (_LESS_CUE, "less"))


# The one arm a harm happened in ("occurred only in the dexmedetomidine group", "exclusively in the ECT arm"), and the
# arm it did not happen in, said after it ("..., which did not occur with ECT"): whose arm decides more or less.
_ONLY_IN: Final = re.compile(
    r"\b(?:only|exclusively|solely) (?:in|with|among|after|on) (?:the )?(?:patients |participants |children |those )?"
    r"(?:(?:receiving|given|treated with|in) (?:the )?)?",
    re.I,
)
_NOT_IN: Final = re.compile(
    r"\b(?:did not occur|(?:was|were) not (?:seen|observed|reported|noted)|(?:was|were) absent) "
    r"(?:with|in|after|among) (?:the )?(?:patients |participants |those )?"
    r"(?:(?:receiving|given|treated with) (?:the )?)?",
    re.I,
)


def _one_arm(clause: str, m: re.Match[str] | None, rules: EvidenceRules) -> int | None:
    """Whose arm the words right after ``m`` name: ``_DRUG``, ``_OTHER`` (a comparator), or None (neither, or no
    match)."""
    if m is None:
        return None
    arm = arm_opening(clause[m.end() : m.end() + 40], rules.findings, reach=3)
    return None if arm is None else _DRUG if arm == "intervention" else _OTHER


def _by_cue(clause: str, folded: str, rules: EvidenceRules) -> Presence | None:
    """The presence a clause-level cue gives every harm of the clause; None: no such cue."""
    than = _tolerated_than(clause, folded, rules)
    if than is not None:
        return than
    if "only" in folded or "exclusively" in folded or "solely" in folded:
        arm = _one_arm(clause, _ONLY_IN.search(clause), rules)
        if arm is not None:
            return "more" if arm == _DRUG else "less"
    if _NOT_TOLERATED_GATE.search(clause, folded):
        return "present"
    absent = _ABSENT_CUE.search(clause)
    if absent is not None:
        return "more" if _absent_in_one_arm(clause, absent, rules) else "absent"
    if _SAME_CUE.search(clause):
        return "no_difference"
    for cues, said in _MORE_OR_LESS:
        m = cues.search(clause)
        if m is not None:
            side = _side(clause, m, rules)
            return None if side == _UNKNOWN else (_FLIP[said] if side == _OTHER else said)
    return None


def _starts_at(pattern: Matcher, text: str, at: int) -> bool:
    m = pattern.search(text, at)
    return m is not None and m.start() == at


# "No" said of the harm itself, right before it, after its subject ("Patients reported no dissociation", "During
# follow-up, no hallucinations were reported", "The children had no episodes of vomiting"): read per harm, after any cue
# of the clause, so "no prior exposure to ketamine" or "no antiemetic prophylaxis" decides nothing of another harm.
# Not a comparison denied ("no higher rate of dissociation", "no significant difference in"), nor withdrawals ("No
# patient withdrew for adverse events" says nothing of the events). After the harm: "Complex hallucinations did not
# occur".
_NO_BEFORE: Final = re.compile(
    # Not who had none of it, a subgroup ("Patients who had no dissociation showed a greater response").
    r"(?<!who had )(?<!who developed )(?<!who experienced )(?<!who reported )(?<!those with )(?<!patients with )"
    rf"\bno (?!{_COMPARES}))(?!(?:[\w-]+ ){{0,3}}?(?:withdr|discontinu|drop|stopp|left|need|requir))"
    r"(?:[\w-]+ ){0,3}$",
    re.I,
)
_NOT_OCCURRED_AFTER: Final = re.compile(r"[\w-]*(?:\s+[\w-]+){0,2}?\s+did not occur\b", re.I)


def _denied_here(clause: str, at: int, rules: EvidenceRules) -> Presence | None:
    """ "absent" when the harm at ``at`` is denied where it is named (see :data:`_NO_BEFORE`), "more" when it is denied
    of the comparator's arm only ("Patients in the placebo group had no dissociation, compared with 30% ...",
    "Hallucinations did not occur in the placebo group"); None when it is not denied there."""
    denied = None
    if "no " in clause[max(0, at - 40) : at].lower():
        denied = _NO_BEFORE.search(clause, max(0, at - 40), at)
    if denied is not None:
        return "more" if _subject_side(clause, denied.start(), rules) == _OTHER else "absent"
    after = _NOT_OCCURRED_AFTER.match(clause, at) if "not occur" in clause else None
    if after is None:
        return None
    return "more" if _comparator_only(clause[after.end() : after.end() + 30], rules) else "absent"


def _presences(clause: str, starts: Sequence[int], rules: EvidenceRules) -> list[Presence | None]:
    """What ``clause`` says of each harm that starts at ``starts``; None: the harm is a topic only (``[adverse_events]
    topics``: "safety", "tolerability") and no cue says anything of it ("efficacy and safety outcomes", "a
    manageable safety profile"), so no report."""
    folded = fold(clause)
    cue = _by_cue(clause, folded, rules)
    withouts = [w.end() for w in _WITHOUT.finditer(clause)] if "without" in folded else []
    excepted = [(m.start(1), m.end(1)) for m in _EXCEPT.finditer(clause)] if _EXCEPT_GATE(folded) else []
    out: list[Presence | None] = []
    for at in starts:
        if any(a <= at < b for a, b in excepted):
            out.append("present")
        elif any(end <= at <= end + _WITHOUT_REACH for end in withouts):
            out.append("absent")
        elif cue is not None:
            out.append(cue)
        elif denied := _denied_here(clause, at, rules):
            out.append(denied)
        elif word := (
            _MORE_BEFORE.search(clause, max(0, at - 30), at) or _LESS_BEFORE.search(clause, max(0, at - 30), at)
        ):
            said: Presence = "more" if word.re is _MORE_BEFORE else "less"
            side = _subject_side(clause, word.start(), rules)
            out.append("present" if side == _UNKNOWN else _FLIP[said] if side == _OTHER else said)
        elif rules.harm_topics is not None and _starts_at(rules.harm_topics, clause, at):
            out.append(None)
        else:
            out.append("more" if _COMPARED_GATE.search(clause, folded) else "present")
    return out


def _harms(text: str, rules: EvidenceRules) -> list[tuple[int, int]]:
    """Where ``text`` names harms: (start, end), in order. Of two that overlap ("adverse" and "adverse reactions"),
    the longer; two side by side are one ("serious adverse", "dissociative psychotomimetic"). A word that names a
    substance-use condition the drug may treat ("alcohol dependence", "abuse of cocaine": ``[adverse_events]
    treated_use``) is that condition, not a harm. Read on the whole sentence once (each group is one scan of it),
    then shared out among its clauses."""
    found = [(m.start(), m.end()) for m in rules.findings.safety_outcome.finditer(text)]
    if rules.harms is not None:
        found += [(m.start(), m.end()) for m in rules.harms.finditer(text)]
    spans: list[list[int]] = []
    for start, end in sorted(found, key=lambda se: (se[0], -se[1])):
        if spans and start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)  # overlapping: the longer reach
        elif spans and not text[spans[-1][1] : start].strip(" -"):
            spans[-1][1] = end  # side by side: one harm
        else:
            spans.append([start, end])
    treated = [(m.start(), m.end()) for m in rules.treated_use.finditer(text)] if rules.treated_use else []
    return [(start, end) for start, end in spans if not any(a < end and start < b for a, b in treated)]


# A clause that is only the harms a comparison before it does not extend to: "…, but not agitation".
_NOT_THESE: Final = re.compile(r"\W*(?:but )?not\b(?! (?:only|just)\b)", re.I)
# Rows kept first when a sentence names more harms than are kept: the harms that occurred.
_KEEP_FIRST: Final[dict[Presence, int]] = {"present": 0, "more": 0, "less": 1, "no_difference": 2, "absent": 3}


def _names_an_outcome(clause: str, rules: EvidenceRules) -> bool:
    f = rules.findings
    return any(p.search(clause) for p in (f.negative_outcome, f.positive_outcome, f.other_outcome))


def _vetoed(clause: str, start: int, end: int, vetoes: Sequence[tuple[int, int]], rules: EvidenceRules) -> bool:
    """Whether the clause is no report of harm (``[adverse_events] not_a_report``): a match found in the sentence
    lies wholly inside it; one that runs across its edge ("…additional fluids while data on nausea…") is looked for
    again in the clause alone, as if the clause were all there is."""
    if any(start <= a and b <= end for a, b in vetoes):
        return True
    crossing = any(a < end and start < b for a, b in vetoes)
    return crossing and rules.not_a_harm_report is not None and rules.not_a_harm_report.search(clause) is not None


_Rows = dict[tuple[str, Presence], tuple[nums.Rate, ...]]


def _rates_of(rates: Sequence[nums.Rate], starts: Sequence[int], i: int, end: int) -> tuple[nums.Rate, ...]:
    """The rates printed for the ``i``-th harm of a clause: those after it and before the next harm ("dizziness
    (17.0%), blurred vision (5%)"); a clause's only harm has every rate of the clause ("in 12% of patients, nausea")."""
    if len(starts) == 1:
        return tuple(rates)
    return tuple(r for r in rates if starts[i] <= r.start < _harm_end(starts, i, end))


def _harm_end(starts: Sequence[int], i: int, end: int) -> int:
    """Where what a clause prints for its ``i``-th harm ends: at the next harm, or the clause's ``end``."""
    return starts[i + 1] if i + 1 < len(starts) else end


# Where a harm's own test ends and another subject's begins ("and the change in MADRS was", "in whom", "peaking at"),
# or a test that says what else it tests ("p = 0.07 for the change", "(r = 0.1, p = 0.6)", "P = .08 for time").
_OTHER_TEST: Final = re.compile(
    r"\b(?:and|,) (?:the|its|their|mean|median) [\w-]+ (?:[\w-]+ ){0,3}?(?:was|were|did|had)\b|\bin whom\b|\bpeak\w*|"
    r"\bdid not (?:predict|correlate)|\([^()]*\b(?:r|rho|β) ?=|[pP] ?[=<>] ?[\d.]+ (?:for|vs\.? baseline)\b",
    re.I,
)


def _clears_the_drug(clause: str, rules: EvidenceRules) -> bool:
    """Whether ``clause`` judges the harms before it not the drug's: "neither was considered related to esketamine",
    "…unrelated to the study drug" (see :data:`_STUDY_TREATMENT`)."""
    unrelated = _UNRELATED.search(clause)
    if unrelated is None:
        return False
    drug = rules.findings.drug.search(clause, unrelated.end())
    if drug is not None and drug.start() <= unrelated.end() + _DRUG_REACH:
        return True
    return _STUDY_TREATMENT.match(clause, unrelated.end()) is not None


# A sentence about what goes with a harm ("Age was associated with nausea (p = 0.3)", "a risk factor for
# delirium"): its tests compare patients by a characteristic, not the drug with its comparator.
_ASSOCIATION_FRAME: Final = re.compile(
    r"\b(?:associat\w*|predict\w*|risk factors?|correlat\w*|per (?:year|unit|point))\b", re.I
)


def _not_significant(text: str, starts: Sequence[int], i: int, end: int, rules: EvidenceRules) -> bool:
    """Whether the ``i``-th harm of a clause is printed with its own test and the test is not significant
    ("headache 3.3 and 4.1% (p = 0.755), nausea 5.9 and 8.2% (p = 0.481)"): the arms did not differ. A harm
    with no cue of its own is otherwise "present"; a significant test says which arm had more only with the
    arms named, which the cues read."""
    segment = text[starts[i] : _harm_end(starts, i, end)]
    other = _OTHER_TEST.search(segment)  # only the harm's own test
    if other is not None:
        segment = segment[: other.start()]
    if "p" not in segment.lower():
        return False
    frame = _ASSOCIATION_FRAME.search(text)
    if frame is not None and rules.findings.drug.search(text, frame.end(), frame.end() + 40) is None:
        return False  # what goes with the harm is not the drug (it is: "not associated with ketamine (19% vs 17%)")
    tests = nums.p_values(segment)
    return bool(tests) and not any(p.significant for p in tests)


def _sentence_rows(text: str, rules: EvidenceRules) -> _Rows:
    """(harm words, presence) -> the rates printed for it, for every harm statement of one sentence."""
    rows: _Rows = {}
    hits = _harms(text, rules)
    if not hits:
        return rows
    rates = nums.rates(text)
    vetoes = [m.span() for m in rules.not_a_harm_report.finditer(text)] if rules.not_a_harm_report else []
    last: Presence | None = None
    last_events: list[str] = []
    counted: list[Presence | None] = []
    for start, end in _clause_spans(text, rules.findings.clause_split):
        clause = text[start:end]
        if _vetoed(clause, start, end, vetoes, rules):
            continue
        events: dict[str, int] = {}  # each harm once a clause: words -> where it starts in the clause
        for a, b in hits:
            if start <= a < end:
                events.setdefault(text[a:b].lower(), a - start)
        if not events:
            if last == "present" and (gone := _one_arm(clause, _NOT_IN.search(clause), rules)) is not None:
                # "Ketamine was associated with dissociation during infusions, which did not occur with ECT".
                said: Presence = "more" if gone == _OTHER else "less"
                for event in last_events:
                    rows.setdefault((event, said), rows.pop((event, "present"), ()))
                last = said
                continue
            if last == "present" and _clears_the_drug(clause, rules):
                for event in last_events:
                    rows.setdefault((event, "absent"), rows.pop((event, "present"), ()))
                last = "absent"
                continue
            if last in ("more", "less") and _SAME_CUE.search(clause) and not _names_an_outcome(clause, rules):
                # "higher adverse reactions … 5 minutes post-administration, but no significant differences were
                # observed upon leaving the operating room": the same harms, at another time. (Not "…, but
                # depression scores were similar": another outcome's.)
                for event in last_events:
                    rows.setdefault((event, "no_difference"), ())
            continue
        presences = _presences(clause, list(events.values()), rules)
        if last in ("more", "less") and _NOT_THESE.match(clause):
            # "higher rates of confusion …, but not agitation, hypertension or affective switches".
            presences = ["no_difference"] * len(events)
        last = next((p for p in presences if p in ("more", "less")), presences[-1])
        last_events = list(events)
        starts = [start + at for at in events.values()]
        in_clause = [r for r in rates if start <= r.start < end]
        for i, (event, presence) in enumerate(zip(events, presences, strict=True)):
            harm_rates = _rates_of(in_clause, starts, i, end)
            if presence == "present" and _not_significant(text, starts, i, end, rules):
                presence = "no_difference"
            elif presence == "present":
                presence = by_arm_rates(text, harm_rates, rules.findings) or presence
            if presence in ("present", "absent") and not in_clause:
                # No rate printed: the people counted in each arm, where the sentence counts both (read once).
                if not counted:
                    counted.append(by_arm_counts(text, rules.findings))
                presence = counted[0] or presence
            if presence is not None:
                rows.setdefault((event, presence), harm_rates)
    return rows


def read_adverse_events(sentences: Sequence[RoledSentence], rules: EvidenceRules) -> tuple[AdverseEvent, ...]:
    """Every harm statement of the results and conclusions, a row per harm and clause (see the module docstring)."""
    out: list[AdverseEvent] = []
    for rs in sentences:
        if rs.role not in FINDING_ROLES:
            continue
        text = rs.sentence.text
        # One search of each group rules most sentences out before any clause is cut.
        if rules.findings.safety_outcome.search(text) is None and (
            rules.harms is None or rules.harms.search(text) is None
        ):
            continue
        rows = _sentence_rows(text, rules)
        if rows:
            kept = sorted(rows, key=lambda row: _KEEP_FIRST[row[1]])[:MAX_EVENTS_PER_SENTENCE]
            for event, presence in sorted(kept, key=list(rows).index):
                out.append(AdverseEvent(rs.sentence.index, event, presence, rows[event, presence]))
    return tuple(out)
