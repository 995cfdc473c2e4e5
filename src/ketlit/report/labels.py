"""How reports order and name tag slugs: read once from the packaged ``data/report.toml``.

Design decisions:
- **Data, not code.** The design order (strongest evidence first), the key-evidence groups and the
  display labels live in ``report.toml`` so there is one list to change; anything else that ranks
  designs (e.g. choosing one design per record for the summary counts) should import
  :func:`design_order` / :func:`key_designs` rather than keep its own tuple.
- It is package data, not a user file: a malformed file is a packaging bug, so the reader checks
  only the shape it relies on and raises ``ValueError``; tests load it on every run.
- **Labels are plain text.** Escaping happens once, where a format is written (the Markdown
  renderer through :func:`ketlit.markdown.md_text`, the HTML template by auto-escaping), so a slug
  from a user's tagging rules cannot inject Markdown or HTML whichever format it lands in.
- :data:`VERDICT_SYMBOLS` / :data:`VERDICT_LABELS` are read from the ``[verdicts]`` table of
  ``data/check_view.toml`` (through :func:`ketlit.claims.vocab.vocab`), the one place `ketlit check`
  also takes them from, so a report and a check cannot name or mark a verdict differently. A symbol
  must survive black-and-white printing (no colour carries meaning on its own).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from ketlit.claims.vocab import vocab
from ketlit.report.model import UNTAGGED

# One symbol and label per claim verdict, readable in black and white: check_view.toml's [verdicts].
VERDICT_SYMBOLS: Final[Mapping[str, str]] = MappingProxyType(
    {slug: symbol for slug, (_, symbol, _) in vocab().verdicts.items()}
)
VERDICT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {slug: label for slug, (label, _, _) in vocab().verdicts.items()}
)


@dataclass(frozen=True)
class ReportLabels:
    """The contents of ``report.toml``."""

    design_order: tuple[str, ...]
    design_overriding: tuple[str, ...]  # designs a record counts as whatever else it is tagged with
    design_labels: Mapping[str, str]
    key_evidence: tuple[tuple[str, tuple[str, ...]], ...]  # (table title, designs)
    slug_labels: Mapping[str, str]
    source_labels: Mapping[str, str]
    route_short: Mapping[str, str]
    map_columns: tuple[tuple[str, tuple[str, ...]], ...]  # (column title, designs)
    map_max_rows: int
    map_max_routes: int
    pool_min_studies: int
    pool_min_participants: int
    skip_reasons_starting: tuple[str, ...]
    skip_reasons_containing: tuple[str, ...]


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


def _groups(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, list) or not all(isinstance(g, Mapping) and isinstance(g.get("title"), str)
                                              for g in value):
        raise ValueError(f"report.toml: [[{where}]] must be tables with a title")
    return tuple((g["title"], _strings(g.get("designs"), f"{where}.designs")) for g in value)


def _int(data: Mapping[str, Any], section: str, key: str) -> int:
    value = data.get(section, {}).get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"report.toml: {section}.{key} must be a positive integer")
    return value


@functools.cache
def report_labels() -> ReportLabels:
    """The packaged report labels and display rules (read once per process)."""
    data = tomllib.loads(resources.files("ketlit.data").joinpath("report.toml").read_text(encoding="utf-8"))
    verdicts = data.get("verdicts", {})
    return ReportLabels(
        design_order=_strings(data.get("designs", {}).get("order"), "designs.order"),
        design_overriding=_strings(data.get("designs", {}).get("overriding", []), "designs.overriding"),
        design_labels=_table(data, "designs", "labels"),
        key_evidence=_groups(data.get("key_evidence"), "key_evidence"),
        slug_labels=_table(data, "slugs", "labels"),
        source_labels=_table(data, "sources", "labels"),
        route_short=_table(data, "routes", "short"),
        map_columns=_groups(data.get("evidence_map", {}).get("columns"), "evidence_map.columns"),
        map_max_rows=_int(data, "evidence_map", "max_rows"),
        map_max_routes=_int(data, "evidence_map", "max_routes"),
        pool_min_studies=_int(data, "pooling", "min_studies"),
        pool_min_participants=_int(data, "pooling", "min_participants"),
        skip_reasons_starting=_strings(verdicts.get("skip_reasons_starting"), "verdicts.skip_reasons_starting"),
        skip_reasons_containing=_strings(verdicts.get("skip_reasons_containing"),
                                         "verdicts.skip_reasons_containing"),
    )


def design_order() -> tuple[str, ...]:
    """Design slugs, strongest evidence first."""
    return report_labels().design_order


def counted_designs(designs: Sequence[str]) -> list[str]:
    """The designs a record counts under: the first of its designs that overrides the others
    (``designs.overriding``: the protocol of a randomised trial is tagged rct too, but reports no
    results), alone; otherwise all of them."""
    return [d for d in report_labels().design_overriding if d in designs][:1] or list(designs)


def key_designs() -> tuple[str, ...]:
    """The designs that get their own key-evidence table, in table order."""
    return tuple(d for _, designs in report_labels().key_evidence for d in designs)


def design_rank(design: str) -> tuple[int, str]:
    """Sort key: the listed order first, then unknown designs alphabetically, untagged last."""
    order = design_order()
    return (order.index(design), "") if design in order else (len(order), design or "~")


def label(slug: str, design: bool = False) -> str:
    """A slug for display (plain text): the table's label, else the slug with spaces; untagged is a dash."""
    if slug == UNTAGGED:
        return "—"
    labels = report_labels()
    if design and slug in labels.design_labels:
        return labels.design_labels[slug]
    return labels.slug_labels.get(slug) or slug.replace("_", " ")


def labels(slugs: Iterable[str], keep_order: bool = False) -> str:
    """Several slugs for display, comma-separated (sorted unless ``keep_order``); a dash for none."""
    unique = list(dict.fromkeys(slugs))
    return ", ".join(label(s) for s in (unique if keep_order else sorted(unique))) or "—"


def source_name(source: str) -> str:
    """A source's display name (plain text)."""
    return report_labels().source_labels.get(source) or source


def route_short(slug: str) -> str:
    """A route's short name for evidence-map cells ("IV", "nasal"); else its label."""
    return report_labels().route_short.get(slug) or label(slug)


def verdict_text(verdict: str) -> str:
    """``"✓ Supported"``: the verdict's symbol and words (an unknown verdict: its slug in words)."""
    words = VERDICT_LABELS.get(verdict) or verdict.replace("_", " ").capitalize()
    symbol = VERDICT_SYMBOLS.get(verdict)
    return f"{symbol} {words}" if symbol else words
