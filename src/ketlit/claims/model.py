"""The claim as found on the page and as it will be tested.

Kept apart from the extractor so that the evidence index, the verdict engine and the renderers
depend on a small, stable record rather than on extraction internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketlit.claims.text import Location


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number a claim commits to: ``{op, value, unit}`` ("over 60%" → ``>``, 60, ``%``)."""

    op: str
    value: float
    unit: str

    def describe(self) -> str:
        """Human form, e.g. "> 60 %"."""
        value = f"{self.value:g}"
        return f"{self.op} {value} {self.unit}".strip()


@dataclass(frozen=True, slots=True)
class RegulatoryAssertion:
    """What a regulatory sentence asserts."""

    topics: tuple[str, ...]  # approval, schedule, controlled, off_label, legal, compounded, rems
    negated: bool = False
    schedule: str | None = None
    year: int | None = None
    year_relation: str | None = None  # "by" | "in" | "since" | "until"
    approval_indications: tuple[str, ...] = ()  # what the approval is said to be for
    approval_inferred: bool = False  # indications taken from the page, not the sentence
    # The approved use is one condition in people with another ("depressive symptoms in adults who have
    # suicidal thoughts"): the narrower use, claiming no effect on the qualifying condition itself.
    approval_qualified: bool = False


@dataclass(frozen=True, slots=True)
class Dose:
    """A dose or dose range stated on the page."""

    low: float
    high: float
    unit: str


@dataclass(frozen=True, slots=True)
class Claim:
    """One checkable (or explicitly uncheckable) assertion, operationalised."""

    id: str
    text: str
    kind: str
    location: Location
    clause: str = ""
    indication: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    molecule: tuple[str, ...] = ()
    outcome: str | None = None
    outcome_defined: bool = False
    timepoint_hours: float | None = None
    threshold: Threshold | None = None
    hedged: bool = False
    implied: bool = False
    anecdote: bool = False
    heading: bool = False
    drug_named: bool = True
    not_checkable_reason: str | None = None
    safety_topics: tuple[str, ...] = ()
    safety_stance: str | None = None
    regulatory: RegulatoryAssertion | None = None
    dose: Dose | None = None
    # How the claim was read: what was inferred from context, how vague words were operationalised.
    notes: tuple[str, ...] = field(default=())
    # Claims as assertions (ketlit.claims.assertion): the checkability code ("claim" or why not),
    # the asserted strength with the words that show it, and the parts beyond indication/route/
    # molecule/outcome/time/magnitude.
    checkability: str = "claim"
    # hedged | plain | attributed | intensified | absolute
    strength: str = "plain"
    strength_cues: tuple[str, ...] = ()
    product: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    comparator: str | None = None
    jurisdiction: tuple[str, ...] = ()
    # The country the page speaks from (ketlit.claims.context.page_jurisdiction), for a sentence that
    # names none.
    page_jurisdiction: str | None = None
    # The sentence denies that the benefit has been shown ("has not been shown to prevent suicide"):
    # judged as the benefit's claim with the verdict turned round (ketlit.claims.verdict).
    denied: bool = False

    @property
    def checkable(self) -> bool:
        """Whether the claim is tested at all."""
        return self.kind != "not_checkable"
