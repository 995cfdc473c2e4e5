"""Evidence profiles for one claim component, built from study profiles (not from phrase rules).

For one (molecule, route, condition) the candidate records the assessor counted become a body
of evidence:

* **Relevance by the study's question.** A study answers "does the drug work" only when its
  question is in the verdict rules' ``counts`` (efficacy against a control); single-arm,
  observational and case studies count as uncontrolled evidence only; head-to-head, dose or
  schedule, anaesthetic or adjunct use, peri-operative prevention, mechanism, predictor or
  secondary analyses and safety-only studies are *listed with the reason* and never counted.
  Nothing is dropped silently: a study whose results the reader could not tell is listed as
  "not readable".
* **One vote per trial.** Records of one trial (the profile's trial group) speak once, through
  the group's main report among the candidates; the others are listed as "same trial".
* **Stance from the profile's findings**: efficacy findings that favour the drug, find no
  difference, or favour the control. Conclusion findings speak for the study when it has any
  (they are the authors' reading of their own results); otherwise results findings. For a
  review, findings that name another form of the drug are not its answer for this one, and the
  certainty the review states for the findings in its answer's direction is kept.
* A profile is read on the spot for a record that has none (in-memory fixtures), with the
  packaged evidence rules; registry records have no abstract to read and are listed as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.extract import molecules_in
from ketlit.claims.judging import Assessed
from ketlit.claims.policy import ReferenceEntry, VerdictPolicy, level
from ketlit.claims.rules import Rules
from ketlit.evidence.explain import effect_text
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.evidence.rules import packaged_rules
from ketlit.sources.models import AbstractSection, Article

Stance = Literal["for", "null", "against", "unread"]
Role = Literal["controlled", "uncontrolled", "review"]
# Profiles read on the spot (records without a stored one), bounded: the oldest entry goes first.
_READ: dict[tuple[str, str, int], dict[str, Any]] = {}
# The comparators that make an arm a control (the drug against nothing active): [questions] counts_with_control_arm.
CONTROL_ARMS: Final = ("inert_placebo", "active_placebo", "usual_care")
_READ_MAX = 4096


@dataclass(frozen=True, slots=True)
class Vote:
    """One study (one trial) in a body of evidence, with its stance and the sentence behind it."""

    assessed: Assessed
    question: str
    role: Role
    stance: Stance
    n: int | None
    blinding: str | None
    comparator_kind: str | None
    rationale: str
    effect: str
    certainty: str | None = None
    same_trial: tuple[str, ...] = ()
    # The direction was read only by the statistical model (no rule read it): a review whose
    # answer is a guess never outranks one whose answer the rules read.
    guessed: bool = False

    @property
    def id(self) -> str:
        return self.assessed.record.id


@dataclass(slots=True)
class Body:
    """The evidence profile of one claim component."""

    label: str
    votes: list[Vote] = field(default_factory=list)
    reviews: list[Vote] = field(default_factory=list)
    set_aside: list[tuple[Assessed, str]] = field(default_factory=list)
    reference: ReferenceEntry | None = None
    newer: list[Vote] = field(default_factory=list)
    direct: bool = True

    @property
    def controlled(self) -> list[Vote]:
        return [v for v in self.votes if v.role == "controlled"]


def profile_of(record: EvidenceRecord) -> Mapping[str, Any] | None:
    """The record's stored profile, or one read now from its abstract (PubMed records only)."""
    if record.profile is not None:
        return record.profile
    if record.source != "pubmed":
        return None
    key = (record.id, record.title, hash(record.abstract))
    if key not in _READ:
        sections = [AbstractSection(None, None, record.abstract)] if record.abstract else []
        article = Article(pmid=record.id, title=record.title, sections=sections)
        profile = profile_to_dict(read_profile(article, dict(record.tags), packaged_rules()))
        profile["group"] = {"id": record.id, "main": True}
        if len(_READ) >= _READ_MAX:
            del _READ[next(iter(_READ))]
        _READ[key] = profile
    return _READ[key]


def _about_other_form(clause: str, molecules: Sequence[str], rules: Rules) -> bool:
    named = set(molecules_in(clause, rules))
    return bool(named) and not named & set(molecules)


def _names_effect(clause: str, policy: VerdictPolicy, rules: Rules) -> bool:
    return policy.names_effect(clause) or any(p.any(clause) for p in rules.indications.values())


def stance_of(
    profile: Mapping[str, Any],
    molecules: Sequence[str],
    rules: Rules,
    *,
    review: bool,
    policy: VerdictPolicy | None = None,
) -> tuple[Stance, Mapping[str, Any] | None, str | None]:
    """(stance, the finding that carries it, the certainty stated for it) for an efficacy claim.
    Findings about a physiological, laboratory or adverse-effect measure (the rules' ``[findings]``)
    are no efficacy answer, whatever the reader's outcome label says."""
    roles = list(profile.get("roles") or [])
    question = str((profile.get("question") or {}).get("value", ""))
    # A study counted through its control arm (a dose-ranging trial with a placebo arm) answers only by its findings
    # against that arm: "twice-weekly and thrice-weekly dosing similarly maintained efficacy" compares two doses.
    through_control = policy is not None and not review and question in policy.counts_with_control_arm
    findings = [
        f
        for f in profile.get("findings") or []
        if f.get("outcome_kind") == "efficacy"
        and (not through_control or f.get("comparator_kind") in CONTROL_ARMS)
        and f.get("comparator_kind") != "active_treatment"
        and not (policy is not None and policy.not_efficacy_text(str(f.get("clause", ""))))
    ]
    if review:
        findings = [f for f in findings if not _about_other_form(str(f.get("clause", "")), molecules, rules)]
        if policy is not None:
            # A review's answer names the effect or the condition, not an experience or a process.
            findings = [f for f in findings if _names_effect(str(f.get("clause", "")), policy, rules)]
    concl = [f for f in findings if 0 <= f["s"] < len(roles) and roles[f["s"]] == "conclusions"]
    use = concl or findings
    pos = [f for f in use if f.get("favours") == "intervention"]
    neg = [f for f in use if f.get("favours") == "comparator"]
    # A trial's "no difference" speaks to the drug only when it names the control it was compared
    # with; "no difference between women and men" or "in VEGF levels" is a subgroup or biomarker result.
    nul = [f for f in use if f.get("direction") == "no_difference" and (review or f.get("comparator_kind"))]
    stance: Stance
    if pos and len(pos) >= len(nul) + len(neg):
        stance, chosen = "for", pos
    elif neg and len(neg) > len(pos) and len(neg) >= len(nul):
        stance, chosen = "against", neg
    elif nul:
        stance, chosen = "null", nul
    else:
        return "unread", None, None
    certainty = None
    if review:
        same = [f for f in findings if f in pos] if stance == "for" else [f for f in findings if f in nul + neg]
        stated = [f["certainty"] for f in same if f.get("certainty")]
        certainty = max(stated, key=level) if stated else (profile.get("review") or {}).get("certainty")
    # The sentence shown as the study's answer names the drug where one does ("the pain relief of the
    # placebo group rose from 58%" is no sentence to quote for a trial favouring ketamine).
    chosen = sorted(chosen, key=lambda f: not rules.drug_names.any(str(f.get("clause", ""))))
    return stance, chosen[0], certainty


def _role(question: str, policy: VerdictPolicy, comparator_kind: object = None) -> Role | None:
    if question == "systematic_review":
        return "review"
    if question in policy.counts:
        return "controlled"
    if question in policy.counts_with_control_arm and comparator_kind in CONTROL_ARMS:
        return "controlled"
    if question in policy.low_weight:
        return "uncontrolled"
    return None


def _vote(
    a: Assessed, profile: Mapping[str, Any], molecules: Sequence[str], rules: Rules, policy: VerdictPolicy
) -> Vote | str:
    """The record's vote, or why it is set aside."""
    question = str((profile.get("question") or {}).get("value", "other"))
    role = _role(question, policy, profile.get("comparator_kind"))
    if role is None:
        return policy.not_counted.get(question, question.replace("_", " "))
    # A review about another question (its title: the drug as an ECT anaesthetic, prevention around surgery, the drug
    # against ECT) is set aside like the trials it pools.
    topic = str((profile.get("review") or {}).get("topic") or "") if role == "review" else ""
    if topic in policy.review_not_counted:
        return policy.review_not_counted[topic]
    if not profile.get("readable", True) and role != "review":
        return f"not readable: {profile.get('unreadable_reason') or 'no result sentence'}"
    stance, finding, certainty = stance_of(profile, molecules, rules, review=role == "review", policy=policy)
    if certainty and not policy.states_certainty(a.record.abstract):
        certainty = None  # "high-quality studies" rates the included studies, not the evidence
    if stance == "unread":
        return "not readable: no efficacy result the reader can tell the direction of"
    return Vote(
        assessed=a,
        question=question,
        role=role,
        stance=stance,
        n=profile.get("n") if role != "review" else (profile.get("review") or {}).get("n"),
        blinding=profile.get("blinding"),
        comparator_kind=profile.get("comparator_kind"),
        rationale=str(finding.get("clause", "")).strip() if finding else "",
        effect=effect_text(finding, arms=3, counts=False, certainty=False) if finding else "",
        certainty=certainty,
        guessed=str(finding.get("basis", "")).startswith("model:") if finding else False,
    )


def _speakers(
    counted: Sequence[tuple[Assessed, Mapping[str, Any]]],
) -> dict[str, list[tuple[Assessed, Mapping[str, Any]]]]:
    groups: dict[str, list[tuple[Assessed, Mapping[str, Any]]]] = {}
    for a, p in counted:
        gid = str((p.get("group") or {}).get("id") or a.record.id)
        groups.setdefault(gid, []).append((a, p))
    for members in groups.values():
        members.sort(
            key=lambda ap: (
                not (ap[1].get("group") or {}).get("main", False),
                (ap[1].get("question") or {}).get("value") == "protocol",  # no results: never the group's voice
                ap[1].get("relation") != "main",
                -(ap[1].get("n") or 0),
                ap[0].record.id,
            )
        )
    return groups


def build_body(
    label: str, assessed: Sequence[Assessed], molecules: Sequence[str], rules: Rules, policy: VerdictPolicy
) -> Body:
    """The evidence profile of one component from the assessor's counted records."""
    body = Body(label)
    with_profile: list[tuple[Assessed, Mapping[str, Any]]] = []
    for a in assessed:
        if not a.counted:
            continue
        profile = profile_of(a.record)
        if profile is None:
            body.set_aside.append((a, "registry record: its results are used for rates, not read for direction"))
        else:
            with_profile.append((a, profile))
    for members in _speakers(with_profile).values():
        (a, profile), rest = members[0], members[1:]
        outcome = _vote(a, profile, molecules, rules, policy)
        if isinstance(outcome, str):
            body.set_aside.append((a, outcome))
            body.set_aside.extend((b, f"same trial as {a.record.id}") for b, _ in rest)
            continue
        if rest:
            outcome = Vote(**{**_fields(outcome), "same_trial": tuple(b.record.id for b, _ in rest)})
            body.set_aside.extend(
                (b, f"same trial as {a.record.id} (counted once, at its main report)") for b, _ in rest
            )
        (body.reviews if outcome.role == "review" else body.votes).append(outcome)
    direct_votes = [v for v in body.votes + body.reviews if v.assessed.direct and v.role != "uncontrolled"]
    if direct_votes:
        indirect = [v for v in body.votes + body.reviews if not v.assessed.direct]
        body.set_aside.extend(
            (v.assessed, "indirect: direct evidence exists (" + "; ".join(v.assessed.indirect) + ")") for v in indirect
        )
        body.votes = [v for v in body.votes if v.assessed.direct]
        body.reviews = [v for v in body.reviews if v.assessed.direct]
    else:
        body.direct = not (body.votes or body.reviews)
    return body


def _fields(v: Vote) -> dict[str, Any]:
    return {name: getattr(v, name) for name in Vote.__slots__}


def match_reference(
    indication: str, molecules: Sequence[str], routes: Sequence[str], policy: VerdictPolicy
) -> ReferenceEntry | None:
    """The pinned entry for this component: its indication listed, molecule and route compatible."""
    for e in policy.entries():
        if indication not in e.indication or not set(molecules) & set(e.molecule):
            continue
        if routes and e.route and not set(routes) & set(e.route):
            continue
        return e
    return None


def reference_excludes_null(e: ReferenceEntry) -> bool:
    """Whether the entry's interval excludes no effect (1 for ratios, 0 for differences)."""
    null = 1.0 if e.measure.upper() in ("OR", "RR", "HR", "IRR") else 0.0
    return e.ci[0] > null or e.ci[1] < null
