"""The evidence reader's rules, read from ``data/evidence_rules.toml`` (or a user's copy).

Read through :mod:`ketlit.tomlfile` like every other rules file, so a mistake reads the same way
(``FILE: roles.cue[2].patterns[0]: …``). Compiled once per document: the reader runs on
thousands of records per second and must not re-parse TOML or regexes per record. Each group of
patterns is compiled as one :class:`~ketlit.evidence.matcher.Matcher` (the same answers as the
alternation ``(?:p1)|(?:p2)|…`` under IGNORECASE, much faster), all sharing one
:class:`~ketlit.evidence.matcher.AnchorIndex` so a text is scanned once for every group.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ketlit.evidence.anchors import AnyInWindow
from ketlit.evidence.arms import COMPARATOR_KINDS
from ketlit.evidence.findings import FindingRules
from ketlit.evidence.matcher import AnchorIndex, Cues, Matcher
from ketlit.evidence.model import packaged_model_bytes
from ketlit.evidence.questions import QUESTIONS, WHERE, QuestionRule
from ketlit.evidence.role_model import packaged_role_model, packaged_role_model_bytes
from ketlit.evidence.roles import ORDER, Role, RoleRules
from ketlit.tagging.rules import PACKAGED_SOURCE
from ketlit.tagging.rules import load_rules as load_tagging_rules
from ketlit.tagging.specs import TaggingRules
from ketlit.tomlfile import Document, Table, read_packaged, read_user

_LABEL_ROLES: tuple[Role, ...] = ("other", "conclusions", "results", "methods", "objective", "background")
_FILE = "evidence_rules.toml"
_NO_CONTEXT: Final = AnyInWindow(())  # a rules file without comparator contexts: every mention is an arm


@dataclass(frozen=True, slots=True)
class EvidenceRules:
    """All rules of the evidence reader, compiled; ``digest`` changes when the file does."""

    roles: RoleRules
    findings: FindingRules
    questions: tuple[QuestionRule, ...]
    molecules: tuple[str, ...]
    digest: str
    # What a systematic review is about when its title says (``[[review_topic]]``): a review of the drug as an ECT
    # anaesthetic or of peri-operative prevention answers another question than one of the drug against a control.
    review_topics: tuple[QuestionRule, ...] = ()
    # A comparator mention that is no arm of the study (see ``[comparators] not_an_arm_*``): the
    # words just before it (matched ending where it starts) and just after it.
    not_an_arm_before: AnyInWindow = _NO_CONTEXT
    not_an_arm_after: re.Pattern[str] = re.compile(r"(?!x)x")
    # ``[adverse_events]`` (optional, ketlit.evidence.adverse): harm words beyond the outcome vocabulary's safety
    # list, and what makes a clause that names harms no report of them (a call for research, a correlation).
    harms: Matcher | None = None
    not_a_harm_report: Matcher | None = None
    # Words around a harm word that make it a treated condition ("alcohol dependence", "abuse of cocaine").
    treated_use: Matcher | None = None
    # Harm words that name safety as a topic ("safety", "tolerability"): a report only where a cue says something.
    harm_topics: Matcher | None = None
    # ``[relation]`` (optional): a title, or an objective or methods sentence, that says the record is a secondary
    # report of a study (ketlit.evidence.profile reads the report relation from them).
    relation_title: Matcher | None = None
    relation_methods: Matcher | None = None


# An empty alternative ("(?:temporal||frontal)", "(?:a|)") matches the empty string, so a lookahead built on it
# rules out every text and a pattern built on it matches everywhere: a typo, never meant in a rules file.
_EMPTY_ALTERNATIVE: Final = re.compile(r"(?<!\\)\|(?=\||\))|\((?:\?(?:[:=!]|<[=!]))?\|")


def _regex(table: Table, key: str, pattern: str) -> re.Pattern[str]:
    if "{drug}" in pattern:
        raise table.error(key, "uses {drug}, which this list does not stand for the drug's names")
    if _EMPTY_ALTERNATIVE.search(pattern):
        raise table.error(key, "has an empty alternative ('||', '(|' or '|)'), which matches anywhere")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise table.error(key, f"not a valid regular expression: {exc}") from None


def _roles(root: Table, index: AnchorIndex) -> RoleRules:
    roles = root.sub("roles")
    if roles.get("position") is not None:
        # The position prior of earlier rules files: positions are now features of the trained role model.
        raise roles.error("position", "is no longer read: sentence positions are part of the trained role model "
                          "(data/evidence_role_model.json); remove this table")
    roles.known_keys(("order", "labels", "cue"))
    labels = roles.sub("labels")
    label_words = tuple((role, tuple(w.upper() for w in labels.strings(role))) for role in _LABEL_ROLES)
    cues: list[tuple[Role, float, Matcher]] = []
    for cue in roles.tables("cue"):
        role_name = cue.choice("role", ORDER)
        role = next(r for r in ORDER if r == role_name)
        weight = cue.number("weight")
        patterns = cue.strings("patterns")
        for i, pattern in enumerate(patterns):
            _regex(cue, f"patterns[{i}]", pattern)  # each checked alone so an error names its index
        # One alternation per cue group: a sentence matches a group or not, and one regex search
        # per group (not per pattern) is what keeps role inference fast.
        _regex(cue, "patterns", "|".join(f"(?:{p})" for p in patterns))
        cues.append((role, weight, Matcher(patterns, re.IGNORECASE, index)))
    together = Cues([m for _, _, m in cues]) if cues else None
    return RoleRules(label_words=label_words, model=packaged_role_model(), cues=tuple(cues), together=together)


def _alternation(
    table: Table, key: str, index: AnchorIndex, drug: Matcher | None = None, *, not_drug: Matcher | None = None
) -> Matcher:
    """The patterns of ``key`` as one alternation; ``{drug}`` in a pattern stands for the drug's names.

    ``not_drug``: no pattern matches where one of these names starts. The comparators list other drugs a study sets
    against the configured one ("psilocybin", "methylphenidate"); configured for one of them (a user's ``[reading]
    molecules``), its own name is the intervention, not a comparator ("Psilocybin decreased anxiety" had "Psilocybin" as
    the comparator and the finding was the other arm's)."""
    patterns = table.strings(key)
    if drug is not None:
        patterns = tuple(p.replace("{drug}", f"(?:{drug.pattern})") for p in patterns)
    if not_drug is not None:
        patterns = tuple(f"(?!{not_drug.pattern})(?:{p})" for p in patterns)
    if not patterns:
        raise table.error(key, "must list at least one pattern")
    for i, pattern in enumerate(patterns):
        _regex(table, f"{key}[{i}]", pattern)
    _regex(table, key, "|".join(f"(?:{p})" for p in patterns))
    return Matcher(patterns, re.IGNORECASE, index)


def _drug_pattern(root: Table, molecules: tuple[str, ...], tagging: TaggingRules, index: AnchorIndex) -> Matcher:
    """The tagging rules' text patterns of the configured molecules, as one pattern.

    The drug's names live in one place, the tagging vocabulary; the reader reuses them rather
    than keeping a second list that could drift.
    """
    known = set(tagging.axes["molecule"].values) if "molecule" in tagging.axes else set()
    for m in molecules:
        if m not in known:
            raise root.sub("reading").error("molecules", f"{m!r} is not a molecule of the tagging rules")
    patterns = [
        r.regex.pattern for r in tagging.rules if r.axis == "molecule" and r.value in molecules and r.regex is not None
    ]
    if not patterns:
        raise root.sub("reading").error("molecules", "no text pattern in the tagging rules names these molecules")
    return Matcher(patterns, re.IGNORECASE, index)


def _findings(root: Table, drug: Matcher, index: AnchorIndex) -> FindingRules:
    f = root.sub("findings")
    o = root.sub("outcomes")
    c = root.sub("comparators")
    comparators = tuple((kind, _alternation(c, kind, index, not_drug=drug)) for kind in COMPARATOR_KINDS)
    return FindingRules(
        drug=drug,
        no_difference=_alternation(f, "no_difference", index, drug),
        increase=_alternation(f, "increase", index),
        decrease=_alternation(f, "decrease", index),
        improve=_alternation(f, "improve", index, drug),
        worsen=_alternation(f, "worsen", index),
        superior=_alternation(f, "superior", index),
        induce=_alternation(f, "induce", index),
        correlation_positive=_alternation(f, "correlation_positive", index, drug),
        correlation_negative=_alternation(f, "correlation_negative", index),
        association_more=_alternation(f, "association_more", index, drug),
        association_less=_alternation(f, "association_less", index, drug),
        significant=_alternation(f, "significant", index),
        clause_split=_alternation(f, "clause_split", index),
        not_a_finding=_alternation(f, "not_a_finding", index),
        not_a_result=_alternation(f, "not_a_result", index),
        negative_outcome=_alternation(o, "negative", index),
        positive_outcome=_alternation(o, "positive", index),
        safety_outcome=_alternation(o, "safety", index),
        other_outcome=_alternation(o, "other", index),
        comparators=comparators,
        any_comparator=Matcher([p for _, m in comparators for p in m.patterns], re.IGNORECASE, index),
        intervention_arm=_alternation(c, "intervention_arm", index) if c.strings("intervention_arm") else None,
        restates=_alternation(f, "restates", index) if f.get("restates") is not None else None,
        blunted=_alternation(f, "blunted", index, drug) if f.get("blunted") is not None else None,
        correlation_unsigned=(
            _alternation(f, "correlation_unsigned", index) if f.get("correlation_unsigned") is not None else None
        ),
        performed=_alternation(f, "performed", index) if f.get("performed") is not None else None,
    )


def _context_patterns(root: Table, key: str, drug: Matcher) -> list[tuple[str, str]]:
    """``[comparators] key``'s patterns with the drug's names in, each with its key for errors."""
    table = root.sub("comparators")
    if table.get(key) is None:  # optional: a rules file without it takes every mention as an arm
        return []
    patterns = [(f"{key}[{i}]", p.replace("{drug}", f"(?:{drug.pattern})")) for i, p in enumerate(table.strings(key))]
    for where, pattern in patterns:
        _regex(table, where, pattern)
    return patterns


def _context_before(root: Table, drug: Matcher) -> AnyInWindow:
    """``not_an_arm_before``: each pattern ending where the mention starts, asked alternative by alternative."""
    table = root.sub("comparators")
    return AnyInWindow(
        [_regex(table, where, f"(?:{p})$") for where, p in _context_patterns(root, "not_an_arm_before", drug)]
    )


def _context_after(root: Table, drug: Matcher) -> re.Pattern[str]:
    """``not_an_arm_after`` as one regex, matched right after the mention."""
    patterns = _context_patterns(root, "not_an_arm_after", drug)
    if not patterns:
        return re.compile(r"(?!x)x")
    return _regex(root.sub("comparators"), "not_an_arm_after", "|".join(f"(?:{p})" for _, p in patterns))


_QUESTION_KEYS: Final = (
    "value",
    "where",
    "patterns",
    "requires",
    "unless",
    "unless_results",
    "designs",
    "unless_designs",
)


def _questions(
    root: Table, drug: Matcher, index: AnchorIndex, name: str = "question", required: bool = True
) -> tuple[QuestionRule, ...]:
    """The ``[[question]]`` rules (or another list of the same shape: ``[[review_topic]]``, optional)."""
    out = []
    for i, q in enumerate(root.tables(name)):
        q.known_keys(_QUESTION_KEYS)  # a misspelt veto ("unless_result") would silently veto nothing
        value = next(v for v in QUESTIONS if v == q.choice("value", QUESTIONS))
        where = next(w for w in WHERE if w == q.choice("where", WHERE))
        unless = _alternation(q, "unless", index, drug) if q.get("unless") is not None else None
        designs = frozenset(q.strings("designs")) if q.get("designs") is not None else frozenset()
        not_designs = frozenset(q.strings("unless_designs")) if q.get("unless_designs") is not None else frozenset()
        patterns = _alternation(q, "patterns", index, drug)
        by_design = bool(designs) and q.strings("patterns") == (".",)
        reported = _alternation(q, "unless_results", index, drug) if q.get("unless_results") is not None else None
        requires = _alternation(q, "requires", index, drug) if q.get("requires") is not None else None
        out.append(QuestionRule(value, where, patterns, unless, designs, not_designs, i, by_design, reported, requires))
    if not out and required:
        raise root.error(name, f"at least one [[{name}]] rule is required")
    return tuple(out)


# The reading code's version, part of the profiles' digest: a release whose reader reads the same
# rules differently (a new gate, a fixed pattern in code) bumps it, so that stored profiles are
# re-read after an upgrade instead of keeping what the old code read.
READER_VERSION: Final = 99  # 99: "Seventy-nine percent of subjects" is no sample size
# 98: any count of people stated, last; a case report is of one patient
# 97: arms printed one "n =" each add up to the sample
# 96: "no longer met criteria" is fewer
# 95: acute effects on the mind in the laboratory, a mechanism question
# 94: nulls of rounds 25-29 ("no gender effects", "unlikely to be effective")
# 93: a results cue for short unstructured abstracts ("We show that")
# 92: the configured drug never its own comparator; "Key results:", "Significance:"
# 91: performance "worse"/"poorer" than an arm, "performed more poorly"
# 90: a review's fixes (qualitative titles, open-label trials, two-role labels)
# 89: round 16-26 nulls ("None of the substances altered", "performed equally")
# 88: qualified cognition no harm; "versus healthy humans"; predictors in volunteers
# 87: "more errors than the placebo group"; direction model retrained on 86's roles
# 86: multi-word inline labels ("Results and Conclusion:"), a label's colon unspaced
# 85: a question rule's "requires" (users and non-users; qualitative trial studies)
# 84: "X users" no arm when the drug is not named; names inside words no #drug
# 83: rounds 21-22: denials ("correlated with no other"), harms absent after a setting
# 82: "less effective" and performance verbs moved from code to the rules file
# 81: round 20: denied correlations, other drugs' users as arms, title protocols
# 80: the direction model reads the drug as one feature; causatives, mediators
# 79: round 19's nulls ("did not further impair", "left unaffected"), traits more sensitive
# 78: economic evaluations alongside a trial; "functional gains"
# 77: round 18: "no more effective", "produced comparable effects", economic evaluations
# 76: harms said absent with no arms compared are no finding
# 75: "no firm evidence for effects", treatments' gains, "absence of significant differences"
# 74: round 17 (real, other drugs): unsigned correlations last, performance, users
# 73: round 16 (real records): results veto a protocol tag, ECT sessions, blunted benefits
# 72: a predicate comparative's own arm after its "with" ("more common with placebo")
# 71: round 15's families (anatomical "lower", mania symptoms, "elevations", "was same")
# 70: a second review: other drugs named in lists, groups and comparisons; narrower cues
# 69: correction notices and measures taken within another trial are secondary reports
# 68: round 14's families (later times denied, pharmacovigilance, drugs named as outcomes)
# 67: the other drug the design sets against the drug, as a comparator in the results
# 66: clauses read with their subject, arms' values, the drug opening a clause as the reference
# 65: the report relation's cues read from the rules file ([relation])
# 64: a sentence that restates an earlier result carries its direction; lesser falls
# 63: secondary reports: a trial's data put to a new question, a measure's findings from a trial
# 62: round 10: words of change in mechanism studies, nulls, infusion rates
# 61: "N of M had a reduction of at least 50%"; a value moved "from X to Y" kept
# 60: the review of stop 39's rules; round 9: people counted, reviews' nulls
# 59: rounds 7-8: markers after the drug, baselines, pooled harms, coefficients, nulls
# 58: set j: shares improved by a threshold, definitions, "not found to"
# 57: a boundary's "cut..." group; an effect made to last; d and g as a benefit's size
# 56: a clause boundary's "keep..." group opens the next clause
# 55: people counted in each arm as a finding; "associated with ... than {drug}" is two arms compared
# 54: arms named by letters ("group E"); harms by arm rates; "17.6 and 8.2%"
# 53: harms: "reported no X", "did not occur", odds and likelihoods, denied increases
# 52: effects past a time point, in unlabelled brackets, "effect size", log ratios
# 51: "patients on placebo", "those taking midazolam" name the arm a harm cue is said of
# 50: ... unless the drug is what goes with the harm
# 49: the harm-ratio reading of 47-48 withdrawn; no harm test in association sentences
# 48: ... only before the next outcome the clause names
# 47: a harm's own ratio with its 95% CI says more, less or no difference
# 46: a second reviewer: comparators as design or history, "unrelated to" what
# 45: a reviewer's findings: share-of-patients, associations, "by" differences, RR/HR
# 44: harms judged unrelated to the drug are absent; dose-dependent harms more
# 43: a harm cue is said of the comparator named before it as the subject
# 42: a harm printed with its own non-significant test did not differ between arms
# 41: the share of patients whose symptoms fell is a rate that rose
# 40: differences after "by", in units, past compound numbers ("1-week")
# 39: a re-analysis names its source study by design words; harm rows carry their rates
# 38: a re-analysis that names its source study's data or patients is secondary
# 37: every primary report (cohort, protocol too) is its study's main report
# 36: adverse events read clause by clause, a row per harm (ketlit.evidence.adverse)
# 35: a re-analysis named in the objective or methods is a secondary report
# 34: adverse-event presence (absent, more, less) read in more wordings
# 33: review topics narrowed; 32: who benefits more is no finding; 31: review topics
# 30: a rule deciding by design tags alone names them as its cue
# 29: no-result and no-difference wordings, up/down-regulation, "this article
# briefly reviews"
# 28: values with units in words, "95%CIs", a second value after a unit and p
# 27: review fixes (aims before methods only, run-in labels that name a role, study
# names in the record's own sentences, no comparative before a bare value)
# 26: trial keys (other registries' IDs, study acronyms) in the profile
# 25: "showed comparable efficacy"; "⩾" in a responder definition
# 24: "advantage over", "relieved", "favoring IN ketamine", "or longer", "95%, CI"
# 23: a section label run into the sentence before opens its section
# 22: the aim is the sentence that states it; literature searches are reviews;
# a bare "(value, 95% CI)" after a change is a mean difference
# 21: a tilde between interval bounds; "significantly greater"
# 20: predictor titles with markers (rule R1); reviews and letters saying so anywhere
# 19: a finding with the same numbers listed once per sentence; "absent in all"
# 18: bracketed intervals without a label; cognition around an operation is perioperative
# 17: roles by a trained model (role_model.py); "than those of the control group"
# 16: a systematic review joins no trial group by a registry ID it prints
# 15: speed work (same readings) and "confident interval" in declared headers
# 14: safety-and-tolerability titles; drugs used together
# 13: an aside against an outside figure; "more frequently"
# 12: "p = 0.05" significant; superior/inferior before anatomy
# 11: intervals declared with the name (95%), "confident interval", "favoring the drug"
# 10: reference words as whole words, negated changes, previous studies
# 9: "relief" as the condition's fall, a counted good outcome that is its own verb
# 8: a section labelled with both methods and results read sentence by sentence
# 7: a record naming the drug nowhere in title or abstract is "other"
# 6: ratio abbreviations (aPR, aRR, aHR), bare "CI" intervals, change words in points
# 5: "v." read as "versus" by the sentence splitter
# 4: heterogeneity p beside I², lists, predictions, arms by role (review round 5)
# 3: declared effect intervals, control arm as subject, comparator arms (stop 23)


def _identity(doc: Document, tagging: TaggingRules | None) -> tuple[str, tuple[str, ...]]:
    """(digest, molecules) of a rules document: what decides whether stored profiles are stale.
    ``tagging`` None: the packaged tagging rules, named without compiling them."""
    molecules = doc.root().sub("reading").strings("molecules", nonblank=True)
    source = PACKAGED_SOURCE if tagging is None else tagging.source
    # The direction and role models' weights read findings too: new weights must re-read stored profiles.
    digest = hashlib.sha256(
        doc.raw
        + source.encode()
        + packaged_model_bytes()
        + packaged_role_model_bytes()
        + f"reader {READER_VERSION}".encode()
    ).hexdigest()[:16]
    return digest, molecules


_ADVERSE_KEYS: Final = ("harms", "not_a_report", "treated_use", "topics")


def _adverse_events(root: Table, index: AnchorIndex) -> tuple[Matcher | None, ...]:
    """``[adverse_events]``: (harms, not_a_report, treated_use, topics), each None where the file lists none."""
    if root.get("adverse_events") is None:
        return None, None, None, None
    table = root.sub("adverse_events")
    table.known_keys(_ADVERSE_KEYS)
    return tuple(_alternation(table, key, index) if table.get(key) is not None else None for key in _ADVERSE_KEYS)


def _relation(root: Table, key: str, index: AnchorIndex) -> Matcher | None:
    """``[relation] key``, None where the file has no such table."""
    if root.get("relation") is None:
        return None
    table = root.sub("relation")
    table.known_keys(("title", "methods"))
    return _alternation(table, key, index)


def compile_rules(doc: Document, tagging: TaggingRules | None = None) -> EvidenceRules:
    """Validate and compile a parsed rules document (drug names from ``tagging``)."""
    root = doc.root()
    tagging = tagging or load_tagging_rules(None)
    digest, molecules = _identity(doc, tagging)
    # One index for every group of this document: a text is scanned once for all of them.
    index = AnchorIndex()
    drug = _drug_pattern(root, molecules, tagging, index)
    harms, not_a_harm_report, treated_use, harm_topics = _adverse_events(root, index)
    return EvidenceRules(
        roles=_roles(root, index),
        findings=_findings(root, drug, index),
        questions=_questions(root, drug, index),
        review_topics=_questions(root, drug, index, "review_topic", required=False),
        molecules=molecules,
        digest=digest,
        not_an_arm_before=_context_before(root, drug),
        not_an_arm_after=_context_after(root, drug),
        harms=harms,
        not_a_harm_report=not_a_harm_report,
        treated_use=treated_use,
        harm_topics=harm_topics,
        relation_title=_relation(root, "title", index),
        relation_methods=_relation(root, "methods", index),
    )


class LazyRules:
    """The rules' digest and molecules at once, the compiled rules on first use.

    Why: compiling the reader's patterns costs about a second, and most commands that bring the
    cache up to date first (``check``, ``report``, ``refresh`` with nothing new) find no stale
    profile, so they need only the digest to know that. The file is still parsed and its reading
    section validated up front, so a malformed user file fails before any work."""

    def __init__(self, path: Path | None, tagging: TaggingRules | None = None) -> None:
        self._path, self._tagging = path, tagging
        self._doc = read_packaged(_FILE) if path is None else read_user(path, "evidence rules")
        self.digest, self.molecules = _identity(self._doc, tagging)
        self._compiled: EvidenceRules | None = None

    # Kept in an attribute, not ``functools.cached_property``: compiled by mypyc (ketlit.native) a class has no
    # instance ``__dict__`` to cache in, and the rules would be compiled again (~1 s) at every use.
    @property
    def compiled(self) -> EvidenceRules:
        if self._compiled is None:
            if self._path is None and self._tagging is None:
                self._compiled = packaged_rules()
            else:
                self._compiled = compile_rules(self._doc, self._tagging)
        return self._compiled

    @property
    def is_compiled(self) -> bool:
        """Whether :attr:`compiled` has been made (it costs about a second)."""
        return self._compiled is not None


@functools.cache
def packaged_rules() -> EvidenceRules:
    """The shipped rules (compiled once per process)."""
    return compile_rules(read_packaged(_FILE))


def load_rules(path: Path | None, tagging: TaggingRules | None = None) -> EvidenceRules:
    """A user's rules file, or the shipped one when ``path`` is None."""
    if path is None and tagging is None:
        return packaged_rules()
    doc = read_packaged(_FILE) if path is None else read_user(path, "evidence rules")
    return compile_rules(doc, tagging)
