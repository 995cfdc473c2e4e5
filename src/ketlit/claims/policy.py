"""The verdict rules and the reference standard, loaded from their data files.

Design decisions:

* **Rules in data, printed verbatim.** Every threshold the verdict engine applies lives in
  ``data/verdict_rules.toml``; its ``[legend]`` is the text every report prints, with the numbers
  of the same file filled in, so the legend can never drift from what the engine did.
* **User-overridable like the regulatory facts.** A user verdict-rules file is merged over the
  packaged one table by table (a key it sets replaces the packaged value); a user reference
  standard replaces packaged entries with the same ``id`` and adds the others.
* **The reference standard is a switch.** ``use_reference_standard`` (or ``--no-reference``)
  turns the pinned entries off, so the checker can be measured with and without them; the
  engine must give sound verdicts either way.
* Malformed values are one-line :class:`~ketlit.errors.ConfigError` naming the file and key.
* **Unknown keys are refused.** Every table the engine reads by fixed names accepts only those
  names (:meth:`~ketlit.tomlfile.Table.known_keys`), and the study questions in ``[questions]``
  must be the reader's (:data:`~ketlit.evidence.questions.QUESTIONS`): because a user file is
  merged over the packaged one, a misspelt ``adequate_rtc_n`` or ``[verdicts]`` would otherwise
  leave the packaged value in force without a word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TypeVar

from ketlit.evidence.questions import QUESTIONS
from ketlit.tomlfile import Table, merge_documents, read_packaged, read_user

T = TypeVar("T")

VERDICT_RULES_RESOURCE: Final = "verdict_rules.toml"
REFERENCE_RESOURCE: Final = "reference_standard.toml"
CERTAINTY: Final = ("very_low", "low", "moderate", "high")
STRENGTHS: Final = ("hedged", "plain", "attributed", "intensified", "absolute")
LEGEND_ORDER: Final = (
    "supported",
    "partly_supported",
    "insufficient_evidence",
    "contradicted",
    "certainty",
    "one_vote",
)
_DIRECTIONS: Final = ("favours_drug", "no_difference", "favours_control")
# The keys of each table of the verdict rules that the engine reads by name ("" is the top level;
# [outcomes] is a map of construct names the user chooses, each with _OUTCOME_KEYS).
_RULES_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "": ("schema", "verdict", "dose", "questions", "jurisdictions", "conditions", "findings", "regulatory",
         "legend", "outcomes"),
    "verdict": ("use_reference_standard", "adequate_rct_n", "adequate_total_n", "min_independent_rcts",
                "powered_null_n", "review_certainty", "review_certainty_hedged", "review_certainty_unstated",
                "intensified_certainty", "max_synthesised_certainty", "min_pool_arms", "number_match_points",
                "unpublished_min", "unpublished_share", "inconsistency_share", "uncommon_harm_share",
                "uncommon_harm_exempt"),
    "dose": ("min_studies", "low_quantile", "high_quantile"),
    "questions": ("counts", "counts_with_control_arm", "low_weight", "not_counted", "review_not_counted"),
    "jurisdictions": ("default",),
    "conditions": ("named_target", "not_in_vocabulary", "promised_faculty"),
    "findings": ("not_efficacy", "symptom_outcome", "review_answer", "stated_certainty"),
    "regulatory": ("off_label_words",),
    "legend": LEGEND_ORDER,
}
_OUTCOME_KEYS: Final = ("why", "claim", "study", "questions")
_REFERENCE_KEYS: Final = ("schema", "entry")
_ENTRY_KEYS: Final = ("id", "source", "pmid", "quote", "search_date", "molecule", "route", "indication", "outcome",
                      "timepoint", "comparator", "direction", "measure", "value", "ci", "k", "n", "certainty")


def level(certainty: str | None) -> int:
    """Certainty as a number (very_low 0 … high 3; unknown -1)."""
    return CERTAINTY.index(certainty) if certainty in CERTAINTY else -1


def least_certain(parts: Sequence[T], certainty: Callable[[T], str | None]) -> T:
    """The part whose certainty a sentence of ``parts`` carries: the least certain graded one (the
    sentence holds only if every part does, so it is no surer than its weakest part), else the first."""
    graded = [p for p in parts if level(certainty(p)) >= 0]
    return min(graded, key=lambda p: level(certainty(p))) if graded else parts[0]


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    """One pinned evidence profile (see ``reference_standard.toml``)."""

    id: str
    source: str
    pmid: str
    quote: str
    search_date: str
    molecule: tuple[str, ...]
    route: tuple[str, ...]
    indication: tuple[str, ...]
    outcome: str
    timepoint: str
    comparator: str
    direction: str
    measure: str
    value: float
    ci: tuple[float, float]
    k: int | None
    n: int | None
    certainty: str

    @property
    def search_year(self) -> int:
        """The year of the search the entry reflects."""
        return int(self.search_date[:4])

    def describe(self) -> str:
        """One line: estimate, interval, size, certainty, source."""
        size = ", ".join(p for p in (f"k = {self.k}" if self.k else "", f"N = {self.n}" if self.n else "") if p)
        return (
            f"{self.outcome} at {self.timepoint} vs {self.comparator}: {self.measure} {self.value:g} "
            f"(95% CI {self.ci[0]:g} to {self.ci[1]:g}){'; ' + size if size else ''}; "
            f"{self.certainty.replace('_', ' ')} certainty as stated by {self.source}, searched to {self.search_date}"
        )


@functools.lru_cache(maxsize=65_536)
def _any_search(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    """Whether any of ``patterns`` occurs in ``text``, remembered: a check asks it of the same finding
    sentences once per claim of the page (about 145,000 asks at 150,000 cached records)."""
    return any(p.search(text) for p in patterns)


@dataclass(frozen=True, slots=True)
class OutcomeConstruct:
    """An outcome that symptom trials of the drug against a control do not measure (``[outcomes]``):
    a claim naming it is judged only on studies whose title names it."""

    name: str
    why: str
    claim: tuple[re.Pattern[str], ...]
    study: tuple[re.Pattern[str], ...]
    # Study questions (and review topics) that are this outcome's controlled evidence although they are set aside
    # for a claim that the drug treats the condition: peri-operative prevention trials, for a claim about
    # prevention around an operation or childbirth.
    questions: tuple[str, ...] = ()

    def in_claim(self, text: str) -> bool:
        return any(p.search(text) for p in self.claim)

    def in_study(self, title: str) -> bool:
        return any(p.search(title) for p in self.study)


@dataclass(frozen=True, slots=True)
class VerdictPolicy:
    """Thresholds, question relevance, the default jurisdiction, legend and reference entries."""

    use_reference: bool
    adequate_rct_n: int
    adequate_total_n: int
    min_independent_rcts: int
    powered_null_n: int
    review_certainty: str
    review_certainty_hedged: str
    review_certainty_unstated: str
    intensified_certainty: str
    max_synthesised_certainty: str
    min_pool_arms: int
    number_match_points: float
    unpublished_min: int
    unpublished_share: float
    inconsistency_share: float
    uncommon_harm_share: float
    uncommon_harm_exempt: tuple[str, ...]
    dose_min_studies: int
    dose_low_quantile: float
    dose_high_quantile: float
    counts: tuple[str, ...]
    low_weight: tuple[str, ...]
    not_counted: Mapping[str, str]
    default_jurisdiction: str
    off_label_words: tuple[re.Pattern[str], ...]
    named_target: tuple[re.Pattern[str], ...]
    legend: tuple[tuple[str, str], ...]
    reference: tuple[ReferenceEntry, ...] = ()
    outcomes: tuple[OutcomeConstruct, ...] = ()
    # Conditions ketlit holds no vocabulary or studies for ("long COVID", "tinnitus", "ADHD"): an efficacy
    # claim about one is insufficient evidence for it, never judged on the page's other conditions.
    not_in_vocabulary: tuple[re.Pattern[str], ...] = ()
    # A faculty or state promised as the drug's effect ("sharpens focus and memory"): the sentence's own
    # target when it names no condition; beside a condition it is that condition's symptom, not a part.
    promised_faculty: tuple[re.Pattern[str], ...] = ()
    not_efficacy: tuple[re.Pattern[str], ...] = ()
    symptom_outcome: tuple[re.Pattern[str], ...] = ()
    review_answer: tuple[re.Pattern[str], ...] = ()
    stated_certainty: tuple[re.Pattern[str], ...] = ()
    # A review whose topic (``ketlit explain``: "review topic") is one of these keys is listed with the reason,
    # not counted for an "it works" claim ([questions.review_not_counted]).
    review_not_counted: Mapping[str, str] = field(default_factory=dict)
    # Questions counted as controlled evidence when the study has a control arm, on its findings against that arm
    # ([questions] counts_with_control_arm: a dose-ranging trial with a placebo arm).
    counts_with_control_arm: tuple[str, ...] = ()

    def states_certainty(self, text: str) -> bool:
        """Whether an abstract speaks of the certainty or quality of the evidence (``[findings]``)."""
        return any(p.search(text) for p in self.stated_certainty)

    def names_effect(self, text: str) -> bool:
        """Whether a review finding names an effect or a symptom outcome (``[findings]``)."""
        return any(p.search(text) for p in self.review_answer + self.symptom_outcome)

    def not_efficacy_text(self, text: str) -> bool:
        """Whether a finding's text is about a physiological, laboratory or adverse-effect measure
        and names no symptom outcome (``[findings]``): no efficacy stance or time of benefit."""
        return _any_search(self.not_efficacy, text) and not _any_search(self.symptom_outcome, text)

    def construct_of(self, text: str) -> OutcomeConstruct | None:
        """The first outcome construct the claim's sentence names, if any."""
        return next((o for o in self.outcomes if o.in_claim(text)), None)

    def entries(self) -> tuple[ReferenceEntry, ...]:
        """The reference entries in force (none when the switch is off)."""
        return self.reference if self.use_reference else ()

    def legend_lines(self) -> list[str]:
        """The legend as printed: the rules file's text, in its order."""
        lines = [text for _, text in self.legend]
        state = "on" if self.use_reference and self.reference else "off"
        count = len(self.reference)
        lines.append(f"reference standard: {state} ({count} pinned entr{'y' if count == 1 else 'ies'})")
        return lines


def _optional_patterns(t: Table, key: str) -> tuple[re.Pattern[str], ...]:
    """:func:`_patterns` for a list a user's rules file written before it existed may lack."""
    return _patterns(t, key) if key in t.names() else ()


def _patterns(t: Table, key: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in t.strings(key):
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error as e:
            raise t.error(key, f"bad regex {p!r}: {e}") from None
    return tuple(out)


def _certainty(t: Table, key: str) -> str:
    return t.choice(key, CERTAINTY)


def _legend(root: Table, values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    table = root.sub("legend")
    out = []
    for key in LEGEND_ORDER:
        text = table.string(key, nonblank=True)
        try:
            out.append((key, text.format(**values)))
        except (KeyError, IndexError, ValueError) as e:
            raise table.error(key, f"names an unknown value {e}") from None
    return tuple(out)


def _check_keys(root: Table) -> None:
    """Refuse a table or key the engine does not read (see the module docstring)."""
    for path, keys in _RULES_KEYS.items():
        (root.sub(path) if path else root).known_keys(keys)
    root.sub("questions").sub("not_counted").known_keys(QUESTIONS)
    root.sub("questions").sub("review_not_counted").known_keys(QUESTIONS)
    outcomes = root.sub("outcomes")
    for name in outcomes.names():
        outcomes.sub(name).known_keys(_OUTCOME_KEYS)


def _policy_from(root: Table) -> VerdictPolicy:
    _check_keys(root)
    v = root.sub("verdict")
    values: dict[str, Any] = {
        "use_reference": v.boolean("use_reference_standard"),
        "adequate_rct_n": v.integer("adequate_rct_n", minimum=1),
        "adequate_total_n": v.integer("adequate_total_n", minimum=1),
        "min_independent_rcts": v.integer("min_independent_rcts", minimum=1),
        "powered_null_n": v.integer("powered_null_n", minimum=1),
        "review_certainty": _certainty(v, "review_certainty"),
        "review_certainty_hedged": _certainty(v, "review_certainty_hedged"),
        "review_certainty_unstated": _certainty(v, "review_certainty_unstated"),
        "intensified_certainty": _certainty(v, "intensified_certainty"),
        "max_synthesised_certainty": _certainty(v, "max_synthesised_certainty"),
        "min_pool_arms": v.integer("min_pool_arms", minimum=1),
        "number_match_points": v.number("number_match_points"),
        "unpublished_min": v.integer("unpublished_min", minimum=1),
        "unpublished_share": v.number("unpublished_share"),
        "inconsistency_share": v.number("inconsistency_share"),
        "uncommon_harm_share": v.number("uncommon_harm_share"),
        "uncommon_harm_exempt": v.strings("uncommon_harm_exempt"),
    }
    d = root.sub("dose")
    q = root.sub("questions")
    nc = q.sub("not_counted")
    rnc = q.sub("review_not_counted")
    j = root.sub("jurisdictions")
    return VerdictPolicy(
        **values,
        dose_min_studies=d.integer("min_studies", minimum=1),
        dose_low_quantile=d.number("low_quantile"),
        dose_high_quantile=d.number("high_quantile"),
        counts=q.choices("counts", QUESTIONS),
        low_weight=q.choices("low_weight", QUESTIONS),
        not_counted={k: nc.string(k, nonblank=True) for k in nc.names()},
        default_jurisdiction=j.string("default", nonblank=True),
        off_label_words=_patterns(root.sub("regulatory"), "off_label_words"),
        named_target=_patterns(root.sub("conditions"), "named_target"),
        not_in_vocabulary=_optional_patterns(root.sub("conditions"), "not_in_vocabulary"),
        promised_faculty=_optional_patterns(root.sub("conditions"), "promised_faculty"),
        legend=_legend(root, values),
        outcomes=_outcomes(root),
        not_efficacy=_patterns(root.sub("findings"), "not_efficacy"),
        symptom_outcome=_patterns(root.sub("findings"), "symptom_outcome"),
        review_answer=_patterns(root.sub("findings"), "review_answer"),
        stated_certainty=_patterns(root.sub("findings"), "stated_certainty"),
        review_not_counted={k: rnc.string(k, nonblank=True) for k in rnc.names()},
        counts_with_control_arm=q.choices("counts_with_control_arm", QUESTIONS)
        if q.get("counts_with_control_arm") is not None
        else (),
    )


def _outcomes(root: Table) -> tuple[OutcomeConstruct, ...]:
    table = root.sub("outcomes")
    out = []
    for name in table.names():
        t = table.sub(name)
        questions = t.choices("questions", QUESTIONS) if t.get("questions") is not None else ()
        why = t.string("why", nonblank=True)
        out.append(OutcomeConstruct(name, why, _patterns(t, "claim"), _patterns(t, "study"), questions))
    return tuple(out)


def _entry(t: Table) -> ReferenceEntry:
    t.known_keys(_ENTRY_KEYS)
    ci = t.get("ci")
    if not (isinstance(ci, list) and len(ci) == 2 and all(isinstance(x, int | float) for x in ci)):
        raise t.error("ci", "must be [low, high]")
    date = t.string("search_date", nonblank=True)
    if not re.fullmatch(r"\d{4}(-\d{2}){0,2}", date):
        raise t.error("search_date", "must be YYYY, YYYY-MM or YYYY-MM-DD")
    return ReferenceEntry(
        id=t.string("id", nonblank=True),
        source=t.string("source", nonblank=True),
        pmid=t.string("pmid", nonblank=True),
        quote=t.string("quote", nonblank=True),
        search_date=date,
        molecule=t.strings("molecule"),
        route=t.strings("route"),
        indication=t.strings("indication"),
        outcome=t.string("outcome", nonblank=True),
        timepoint=t.string("timepoint", ""),
        comparator=t.string("comparator", "control"),
        direction=t.choice("direction", _DIRECTIONS),
        measure=t.string("measure", nonblank=True),
        value=t.number("value"),
        ci=(float(ci[0]), float(ci[1])),
        k=t.integer("k", None, minimum=1),
        n=t.integer("n", None, minimum=1),
        certainty=_certainty(t, "certainty"),
    )


def _entries(base: Mapping[str, Any], user: Mapping[str, Any] | None, where: str) -> tuple[ReferenceEntry, ...]:
    items = [dict(e) for e in base.get("entry", []) if isinstance(e, Mapping)]
    if user is not None:
        index = {e.get("id"): i for i, e in enumerate(items)}
        for e in user.get("entry", []):
            if isinstance(e, Mapping) and e.get("id") in index:
                items[index[e.get("id")]] = dict(e)
            elif isinstance(e, Mapping):
                items.append(dict(e))
    root = Table({"entry": items}, where)
    return tuple(_entry(t) for t in root.tables("entry"))


def load_policy(
    user_rules: Path | None = None, user_reference: Path | None = None, *, use_reference: bool | None = None
) -> VerdictPolicy:
    """The packaged verdict rules and reference standard, each merged with a user file if given;
    ``use_reference`` (when not None) overrides the rules file's switch."""
    if user_rules is None and user_reference is None:
        policy = packaged_policy()
    else:
        doc = read_packaged(VERDICT_RULES_RESOURCE)
        data, where = doc.data, doc.where
        if user_rules is not None:
            user = read_user(user_rules, "verdict rules")
            data, where = merge_documents(data, user.data), user.where
        policy = _policy_from(Table(data, where))
        ref = read_packaged(REFERENCE_RESOURCE)
        user_ref = read_user(user_reference, "reference standard") if user_reference is not None else None
        if user_ref is not None:
            # Only the user's top level needs this: its entries are checked one by one in _entry.
            user_ref.root().known_keys(_REFERENCE_KEYS)
        policy = replace(
            policy,
            reference=_entries(
                ref.data, user_ref.data if user_ref else None, user_ref.where if user_ref else ref.where
            ),
        )
    return policy if use_reference is None else replace(policy, use_reference=use_reference)


@functools.cache
def packaged_policy() -> VerdictPolicy:
    """The shipped verdict rules and reference standard (read once per process)."""
    doc = read_packaged(VERDICT_RULES_RESOURCE)
    ref = read_packaged(REFERENCE_RESOURCE)
    return replace(_policy_from(doc.root()), reference=_entries(ref.data, None, ref.where))
