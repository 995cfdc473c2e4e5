"""`ketlit report`: write the report (Markdown, or HTML) of one query file, or of every one, from the cache.

Two steps, so that the command fails before it opens the cache when the tagging rules or a
query file are wrong: :func:`plan_reports` compiles the rules once and loads the query files
(their tag filters are checked against the rules' vocabularies), then :meth:`ReportPlan.write`
brings the cache's tags up to date and renders each query in turn, yielding each path as it
is written (so the CLI reports every finished file even if a later one fails). No fetching:
``ketlit refresh`` is the job that fetches first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ketlit.config import Settings
from ketlit.errors import InputError
from ketlit.jobs.refresh import REPORT_FORMATS, Rendered, Steps, check_out_dir, no_steps, render, unreadable_pages
from ketlit.jobs.tag import TagRunner
from ketlit.queries import QueryFile, load_queries, load_query
from ketlit.store.core import Store
from ketlit.tagging.vocab import Vocabularies


@dataclass(frozen=True)
class ReportPlan:
    """The compiled rules and the query files whose reports are to be written."""

    settings: Settings
    runner: TagRunner
    queries: list[QueryFile]
    out_dir: Path
    fmt: str = "md"  # md | html

    def write(self, store: Store, steps: Steps | None = None) -> Iterator[Rendered]:
        """Tag what is pending, then write each query's report; yields each one as it is done.

        ``steps`` hears about tagging and each report (see :class:`ketlit.jobs.refresh.Steps`).
        Unlike a scheduled refresh, which notes an unreadable clinic page in the report and goes
        on, this interactive command stops at it with its one-line error."""
        step: Steps = steps or no_steps
        with step("tagging", forks=True) as progress:
            self.runner.tag_pending(store, progress=progress)
        for query in self.queries:
            for _, reason in unreadable_pages(query)[:1]:
                raise InputError(reason)
            with step(f"{query.name}: report"):
                done = render(store, self.settings, query, self.out_dir, runner=self.runner, fmt=self.fmt)
            yield done


def plan_reports(
    settings: Settings, query_file: Path | None, all_queries: bool, queries_dir: Path, out_dir: Path,
    fmt: str = "md",
) -> ReportPlan:
    """Compile the rules and load one query file, or (``all_queries``) every one in ``queries_dir``;
    ``fmt`` is ``md`` (Markdown and SVG figures) or ``html`` (one self-contained file per query)."""
    if fmt not in REPORT_FORMATS:
        raise InputError(f"unknown report format {fmt!r}: use md or html")
    check_out_dir(out_dir)
    runner = TagRunner(settings)
    queries = select_queries(query_file, all_queries, queries_dir, runner.vocabularies)
    return ReportPlan(settings=settings, runner=runner, queries=queries, out_dir=out_dir, fmt=fmt)


def select_queries(query_file: Path | None, all_queries: bool, queries_dir: Path,
                   vocabularies: Vocabularies) -> list[QueryFile]:
    """Exactly one of QUERY_FILE or --all: that file, or every query file in ``queries_dir``."""
    if all_queries == (query_file is not None):
        raise InputError("give one QUERY_FILE or --all")
    if query_file is None:
        return load_queries(queries_dir, vocabularies=vocabularies)
    return [load_query(query_file, vocabularies=vocabularies)]
