"""How `ketlit check` names things for an editor: the contents of ``data/check_view.toml`` (verdict
symbols and labels, certainty words, the needs-attention rules, plain-word labels for tag slugs, how
set-aside records are grouped, and the size a check is kept to).

Read once per process; the file is package data, not a user file, so a malformed one is a packaging bug
(tested). ``ketlit report`` reads its verdict vocabulary from here too (:mod:`ketlit.report.labels`).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from ketlit.claims.policy import level

_VIEW_RESOURCE: Final = "check_view.toml"


@dataclass(frozen=True, slots=True)
class AttentionRule:
    """One ``[[attention]]`` rule of ``check_view.toml``."""

    why: str
    verdicts: tuple[str, ...]
    strengths: tuple[str, ...] | None
    max_certainty: str | None

    def matches(self, verdict: str, strength: str, certainty: str | None) -> bool:
        """Whether a sentence with this verdict, asserted strength and certainty falls under the rule."""
        if verdict not in self.verdicts:
            return False
        if self.strengths is not None and strength not in self.strengths:
            return False
        return self.max_certainty is None or level(certainty) <= level(self.max_certainty)

    def describe(self, vocab: Vocab) -> str:
        """The rule in words, for the key ("partly supported or insufficient evidence at low certainty or
        lower, unless hedged")."""
        text = " or ".join(vocab.verdict_label(v).lower() for v in self.verdicts)
        if self.max_certainty is not None:
            text += f" at {vocab.certainty.get(self.max_certainty, self.max_certainty).lower()} certainty or lower"
        if self.strengths is not None:
            left_out = [vocab.strengths.get(s, s) for s in vocab.strengths if s not in self.strengths]
            named = [vocab.strengths.get(s, s) for s in self.strengths]
            fewer = len(left_out) < len(named)
            text += f", unless {' or '.join(left_out)}" if fewer else f", when {' or '.join(named)}"
        return text


@dataclass(frozen=True, slots=True)
class Vocab:
    """The contents of ``check_view.toml``."""

    verdicts: Mapping[str, tuple[str, str, str]]  # slug → (label, symbol, short label for tables)
    certainty: Mapping[str, str]
    attention: tuple[AttentionRule, ...]
    strengths: Mapping[str, str]
    reasons: Mapping[str, str]
    set_aside: tuple[tuple[re.Pattern[str], str], ...]
    labels: Mapping[str, str]
    page_multiple: float  # the Markdown of a check is kept under this many times its page ([size])

    def verdict_label(self, slug: str) -> str:
        return self.verdicts.get(slug, (slug.replace("_", " "), ""))[0]

    def verdict_text(self, slug: str, short: bool = False) -> str:
        """Symbol and label: "✗ Contradicted" (``short``: "◐ Partly")."""
        label, symbol, brief = self.verdicts.get(slug, (slug.replace("_", " "), "·", slug.replace("_", " ")))
        return f"{symbol} {brief if short else label}"

    def label(self, slug: str) -> str:
        return self.labels.get(slug) or slug.replace("_", " ")


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{_VIEW_RESOURCE}: {where} must be a list of strings")
    return tuple(value)


def _str_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{_VIEW_RESOURCE}: [{where}] must map names to strings")
    return dict(value)


@functools.cache
def vocab() -> Vocab:
    """The packaged vocabulary (read once per process; a malformed file is a packaging bug)."""
    data = tomllib.loads(resources.files("ketlit.data").joinpath(_VIEW_RESOURCE).read_text(encoding="utf-8"))
    verdicts = {
        k: (str(v["label"]), str(v["symbol"]), str(v.get("short", v["label"]))) for k, v in data["verdicts"].items()
    }
    attention = tuple(
        AttentionRule(
            why=str(r["why"]),
            verdicts=_strs(r["verdicts"], "attention.verdicts"),
            strengths=_strs(r["strengths"], "attention.strengths") if "strengths" in r else None,
            max_certainty=str(r["max_certainty"]) if "max_certainty" in r else None,
        )
        for r in data["attention"]
    )
    return Vocab(
        verdicts=verdicts,
        certainty=_str_map(data["certainty"], "certainty"),
        attention=attention,
        strengths=_str_map(data["strengths"], "strengths"),
        reasons=_str_map(data["reasons"], "reasons"),
        set_aside=tuple((re.compile(str(g["match"])), str(g["label"])) for g in data["set_aside"]),
        labels=_str_map(data["labels"], "labels"),
        page_multiple=float(data["size"]["page_multiple"]),
    )
