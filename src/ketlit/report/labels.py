"""How reports order and name tag slugs: read once from the packaged ``data/report.toml``.

Design decisions:
- **Data, not code.** The design order (strongest evidence first), the key-evidence groups and the
  display labels live in ``report.toml`` so there is one list to change; anything else that ranks
  designs (e.g. choosing one design per record for the summary counts) should import
  :func:`design_order` / :func:`key_designs` rather than keep its own tuple.
- It is package data, not a user file: a malformed file is a packaging bug, so the reader checks
  only the shape it relies on and raises ``ValueError``; tests load it on every run.
- Label helpers escape whatever is not in the table (:func:`label`), so a slug from a user's
  tagging rules cannot inject Markdown.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ketlit.markdown import md_text
from ketlit.report.model import UNTAGGED


@dataclass(frozen=True)
class ReportLabels:
    """The contents of ``report.toml``."""

    design_order: tuple[str, ...]
    design_labels: Mapping[str, str]
    key_evidence: tuple[tuple[str, tuple[str, ...]], ...]  # (table title, designs)
    slug_labels: Mapping[str, str]
    source_labels: Mapping[str, str]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"report.toml: {where} must be a list of strings")
    return tuple(value)


def _table(data: Mapping[str, Any], *path: str) -> dict[str, str]:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"report.toml: [{'.'.join(path)}] must map slugs to strings")
    return dict(value)


@functools.cache
def report_labels() -> ReportLabels:
    """The packaged report labels (read once per process)."""
    data = tomllib.loads(resources.files("ketlit.data").joinpath("report.toml").read_text(encoding="utf-8"))
    groups = data.get("key_evidence")
    if not isinstance(groups, list) or not all(isinstance(g, Mapping) and isinstance(g.get("title"), str)
                                               for g in groups):
        raise ValueError("report.toml: [[key_evidence]] must be tables with a title")
    return ReportLabels(
        design_order=_strings(data.get("designs", {}).get("order"), "designs.order"),
        design_labels=_table(data, "designs", "labels"),
        key_evidence=tuple((g["title"], _strings(g.get("designs"), "key_evidence.designs")) for g in groups),
        slug_labels=_table(data, "slugs", "labels"),
        source_labels=_table(data, "sources", "labels"),
    )


def design_order() -> tuple[str, ...]:
    """Design slugs, strongest evidence first."""
    return report_labels().design_order


def key_designs() -> tuple[str, ...]:
    """The designs that get their own key-evidence table, in table order."""
    return tuple(d for _, designs in report_labels().key_evidence for d in designs)


def design_rank(design: str) -> tuple[int, str]:
    """Sort key: the listed order first, then unknown designs alphabetically, untagged last."""
    order = design_order()
    return (order.index(design), "") if design in order else (len(order), design or "~")


def label(slug: str, design: bool = False) -> str:
    """A slug for display (Markdown-safe): the table's label, else the slug with spaces; untagged is a dash."""
    if slug == UNTAGGED:
        return "—"
    labels = report_labels()
    if design and slug in labels.design_labels:
        return labels.design_labels[slug]
    return labels.slug_labels.get(slug) or md_text(slug.replace("_", " "))


def labels(slugs: Iterable[str], keep_order: bool = False) -> str:
    """Several slugs for display, comma-separated (sorted unless ``keep_order``); a dash for none."""
    unique = list(dict.fromkeys(slugs))
    return ", ".join(label(s) for s in (unique if keep_order else sorted(unique))) or "—"


def source_name(source: str) -> str:
    """A source's display name (Markdown-safe)."""
    return report_labels().source_labels.get(source) or md_text(source)
