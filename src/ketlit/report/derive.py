"""Pure derivations from report data, shared by the Markdown (:mod:`.render`) and the figures (:mod:`.plots`).

Design decisions:
- **One order for table and figure.** :func:`sorted_studies` and :func:`bucket_years` are the only
  places that order forest-plot studies and bucket publication years, so a figure and the table
  beside it always agree.
- **No clock.** Everything here takes its reference date or year from the data: the overdue flag
  counts from the caller's reference date, year buckets from the latest year with a publication.
- Partial completion dates (``2021``, ``2021-05``) count from the *end* of the period, so a trial
  is never flagged overdue early.
- The evidence map counts *distinct records* in every cell, row total and route (:func:`evidence_map`):
  a record with two indications is in two rows and one with two routes under both, so neither
  rows nor routes add up, and a row's total is not the sum of its cells.
- Whether a pooled estimate is shown is decided here (:func:`pooled_reason`, thresholds in
  ``report.toml``), so the Markdown, the HTML and the forest plot's diamond agree.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ketlit.report.labels import counted_designs, report_labels
from ketlit.report.model import UNTAGGED, EvidenceMap, ForestStudy, MapCell, MapRow, PooledEstimate, TrialRow

Z95 = 1.959963984540054


def wilson_interval(events: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (behaves at 0 and 100%, unlike the Wald interval)."""
    if total <= 0:
        raise ValueError("total must be positive")
    p = events / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    # At 0% and 100% the bound is exactly 0 or 1; say so rather than 0.9999999999999999.
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == total else min(1.0, centre + half)
    return low, high


def study_interval(study: ForestStudy) -> tuple[float, float]:
    """The study's 95% CI: as given, else Wilson's."""
    if study.ci_low is not None and study.ci_high is not None:
        return study.ci_low, study.ci_high
    return wilson_interval(study.events, study.total)


def sorted_studies(studies: Iterable[ForestStudy]) -> list[ForestStudy]:
    """Forest-plot order: by year, then label and ID (so the plot and the table agree)."""
    return sorted(studies, key=lambda s: (s.year or 0, s.label.casefold(), s.source, s.id))


def parse_partial_date(text: str | None, *, end: bool = True) -> dt.date | None:
    """``2021`` / ``2021-05`` / ``2021-05-14`` → a date (the end of the period when ``end``)."""
    if not text:
        return None
    match = re.match(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", text.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if not 1 <= month <= 12:
        return None
    try:
        if match.group(3):
            return dt.date(year, month, int(match.group(3)))
        if end:
            first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
            return first_of_next - dt.timedelta(days=1)
        return dt.date(year, month, 1)
    except ValueError:
        return None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def is_overdue(trial: TrialRow, reference: dt.date, years: int = 2) -> bool:
    """Completed more than ``years`` before ``reference`` with neither posted results nor a
    linked publication. Undated trials are not flagged (nothing to count from)."""
    if (trial.status or "").upper() != "COMPLETED" or trial.has_results or trial.linked_pmids:
        return False
    completed = parse_partial_date(trial.completion_date or trial.primary_completion_date, end=True)
    if completed is None:
        return False
    return _add_years(completed, years) < reference


def bucket_years(counts: Mapping[int, int], years: int | None) -> tuple[int | None, list[tuple[int, int]]]:
    """Publications per year for display: ``(earlier, [(year, count), ...])``.

    Rows run from the first shown year to the latest year with a publication, gaps filled
    with 0. With ``years``, only that many years are shown (counted back from the latest
    year with a publication, never from the clock) and ``earlier`` is the count before them
    (``None`` when there is nothing earlier)."""
    present = sorted(y for y, n in counts.items() if n > 0)
    if not present:
        return None, []
    last = present[-1]
    first = present[0] if years is None else max(present[0], last - years + 1)
    earlier = sum(n for y, n in counts.items() if y < first)
    rows = [(y, int(counts.get(y, 0))) for y in range(first, last + 1)]
    return (earlier if earlier else None), rows


def evidence_map(records: Iterable[Mapping[str, Any]],
                 columns: Sequence[tuple[str, Sequence[str]]] | None = None) -> EvidenceMap:
    """The indication × design pivot from per-record tag summaries, the shape of
    ``Store.iter_tag_summaries()`` (``{"source", "id", "design": [...], "indication": [...],
    "route": [...]}``).

    Every number counts distinct records: a record counts once in each row (indication) it has,
    once in each column (group of designs, ``report.toml`` [[evidence_map.columns]]) it falls in,
    and once under each route it has. A design no column lists, and a record with no design tag,
    fall in the column that lists ``other``; a record with a design that overrides the others
    (``report.toml`` ``designs.overriding``: a protocol) falls in that design's column alone."""
    groups = list(columns if columns is not None else report_labels().map_columns)
    column_of = {d: title for title, designs in groups for d in designs}
    fallback = column_of.get("other", groups[-1][0] if groups else "")
    rows: Counter[str] = Counter()
    cells: Counter[tuple[str, str]] = Counter()
    routes: Counter[tuple[str, str, str]] = Counter()
    seen: set[tuple[str, str]] = set()
    trials = 0
    for rec in records:
        key = (str(rec["source"]), str(rec["id"]))
        if key in seen:
            continue
        seen.add(key)
        trials += key[0] == "ctgov"
        indications = set(rec.get("indication") or []) or {UNTAGGED}
        cols = {column_of.get(d, fallback) for d in counted_designs(rec.get("design") or [])} or {fallback}
        record_routes = set(rec.get("route") or []) - {UNTAGGED}
        for ind in indications:
            rows[ind] += 1
            for col in cols:
                cells[(ind, col)] += 1
                for route in record_routes:
                    routes[(ind, col, route)] += 1
    by_cell: dict[tuple[str, str], dict[str, int]] = {}
    for (ind, col, route), n in routes.items():
        by_cell.setdefault((ind, col), {})[route] = n
    map_rows = tuple(
        MapRow(ind, total, {col: MapCell(n, by_cell.get((i, col), {})) for (i, col), n in cells.items() if i == ind})
        for ind, total in rows.items()
    )
    return EvidenceMap(columns=tuple(title for title, _ in groups), rows=map_rows, records=len(seen), trials=trials)


def pooled_reason(pooled: PooledEstimate) -> str | None:
    """None when a pooled estimate can carry weight (``report.toml`` [pooling]); otherwise why
    not, in one phrase: ``"1 study, 4 participants: too few to pool"``."""
    rules = report_labels()
    if pooled.k >= rules.pool_min_studies and pooled.n >= rules.pool_min_participants:
        return None
    studies = "1 study" if pooled.k == 1 else f"{pooled.k:,} studies"
    people = "1 participant" if pooled.n == 1 else f"{pooled.n:,} participants"
    return f"{studies}, {people}: too few to pool"


def pooling_rule() -> str:
    """The pooling rule in words, for the one place a report states it."""
    rules = report_labels()
    return (f"a pooled estimate is shown only from at least {rules.pool_min_studies} studies and "
            f"{rules.pool_min_participants:,} participants")
