"""Validated tagging rules as typed objects: what :mod:`ketlit.tagging.rules` builds from the
TOML and what :class:`~ketlit.tagging.engine.Tagger` runs.

Design decisions:

* **Compiled once.** Every pattern in a spec is already a :class:`~ketlit.tagging.patterns.Matcher`
  (or a compiled regex); the engine never parses the rules document.
* **No behaviour but small derived facts** (a context's evidence note, the order axes are decided
  in), so the loader and the engine can both read these types without importing each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ketlit.errors import ConfigError
from ketlit.tagging.patterns import Matcher


@dataclass(frozen=True, slots=True)
class ContextSpec:
    """``[contexts.<name>]``: a cue before or after a match, within ``window`` chars of its clause."""

    name: str
    before: Matcher | None
    after: Matcher | None
    factor: float
    window: int
    scope_break: re.Pattern[str]

    @property
    def note(self) -> str:
        """How evidence notes name this context and its factor (``negation×0``)."""
        return f"{self.name}×{format_factor(self.factor)}"


@dataclass(frozen=True, slots=True)
class AxisSpec:
    """``[axes.<name>]``: the axis' values, thresholds, parents and damping."""

    name: str
    values: tuple[str, ...]
    min_score: float
    relative: float
    exclusive_tiers: bool
    parents: Mapping[str, str]
    rule_cap: float = 0.0  # > 0: one rule adds at most this much to a value (repeated mentions saturate)
    damp: tuple[DampSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class DampSpec:
    """``[[axes.X.damp]]``: when the record has tag ``when_axis``/``when_value``, evidence on
    this axis from ``fields`` counts ``factor`` times (e.g. a study in healthy volunteers is
    rarely about a condition its abstract mentions; its title still counts in full)."""

    when_axis: str
    when_value: str
    factor: float
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """``[[zones]]``: section labels (``labels``) whose sentences count ``factor`` times."""

    name: str
    labels: re.Pattern[str]
    factor: float
    study_factor: float
    cues: bool = True


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One enabled ``[[rule]]`` with its axis defaults applied and its pattern compiled."""

    id: str
    axis: str
    value: str
    fields: frozenset[str]
    regex: re.Pattern[str] | None
    terms: tuple[str, ...]
    strength: float
    tier: int
    contexts: tuple[str, ...]
    near: str | None
    near_window: int
    far_factor: float
    other: str | None
    other_factor: float
    case: bool
    boundary: bool
    unless: tuple[str, ...]
    requires: tuple[str, ...]
    excluded_by: tuple[str, ...]
    unmasked: bool
    when: str
    matcher: Matcher | None = None

    @property
    def grams(self) -> frozenset[str] | None:
        """The grams a match can start with (``None``: the rule is scanned in full)."""
        return self.matcher.grams if self.matcher is not None else None


@dataclass(frozen=True, slots=True)
class MaskSpec:
    """``[[mask]]``: spans blanked before rules match (e.g. "respiratory depression", scale names)."""

    id: str
    matcher: Matcher
    fields: frozenset[str]
    case: bool


@dataclass(frozen=True, slots=True)
class SentenceSpec:
    """``[sentences]``: the cues and factors that weigh sentences of unlabelled prose."""

    prose_fields: frozenset[str]
    study: re.Pattern[str] | None
    background: re.Pattern[str] | None
    outlook: re.Pattern[str] | None
    leading_background_factor: float
    background_factor: float
    outlook_factor: float
    min_sentences_for_leading: int


@dataclass(frozen=True, slots=True)
class TaggingRules:
    """Validated tagging rules: axes, weights, contexts, anchors, zones, masks and rules."""

    source: str
    axes: Mapping[str, AxisSpec]
    field_weights: Mapping[str, float]
    contexts: Mapping[str, ContextSpec]
    anchors: Mapping[str, Matcher]
    zones: tuple[ZoneSpec, ...]
    sentences: SentenceSpec
    masks: tuple[MaskSpec, ...]
    rules: tuple[RuleSpec, ...]
    max_evidence: int
    # [substances]: one alternation with an outer group per substance (None: none defined), and
    # per anchor, which of a record's substances it also matches.
    substance_regex: Matcher | None = None
    substance_groups: Mapping[int, int] = field(default_factory=dict)  # outer group number → substance index
    anchor_substances: Mapping[str, str] = field(default_factory=dict)
    # Section label → zone, filled on use (labels repeat across records: "METHODS", "RESULTS").
    zone_cache: dict[str, ZoneSpec | None] = field(repr=False, compare=False, default_factory=dict)


def decide_order(axes: Mapping[str, AxisSpec], order: Sequence[str]) -> list[str]:
    """``order``, except that an axis comes after the axes its ``damp`` entries look at."""
    out: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in out:
            return
        if name in visiting:
            raise ConfigError(f"[axes.{name}] damp entries form a cycle")
        visiting.add(name)
        for d in axes[name].damp:
            visit(d.when_axis)
        visiting.discard(name)
        out.append(name)

    for name in order:
        visit(name)
    return out


_FMT_CACHE: dict[float, str] = {}


def format_factor(x: float) -> str:
    """A weight factor as evidence notes write it (``0.5``, ``1``, ``0.25``)."""
    text = _FMT_CACHE.get(x)
    if text is None:
        text = f"{x:.2f}".rstrip("0").rstrip(".")
        if len(_FMT_CACHE) < 4096:
            _FMT_CACHE[x] = text
    return text
