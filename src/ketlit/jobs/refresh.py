"""The refresh job: query files → (fetch) → tag → check → render, unattended.

Design decisions:
- Gathering a report's data is :mod:`ketlit.report.gather`; rendering is
  :mod:`ketlit.report.render`. This module runs them per query, after the fetches.
- **Unattended and safe to interrupt.** A lock file prevents overlapping runs; every fetch is
  incremental and upserts page by page, reports are written atomically (temp file + rename),
  and the report state is saved only after its Markdown is in place — a ``kill -9`` anywhere
  leaves a rerun to produce exactly what an uninterrupted run would have.
- **Partial is not failure.** If one source cannot be refreshed, the report is still rendered
  from the cache with a banner naming what is stale, and the exit code is 3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketlit.config import Settings
from ketlit.errors import ExitCode, KetlitError, ServiceError, StoreError
from ketlit.files import ensure_dir
from ketlit.http import make_client
from ketlit.jobs.ingest import fetch_ctgov, fetch_pubmed
from ketlit.jobs.lock import RunLock
from ketlit.jobs.tag import TagRunner
from ketlit.queries import QueryFile
from ketlit.report.gather import gather, query_keys
from ketlit.report.model import StaleSource
from ketlit.report.plots import write_atomic, write_figures
from ketlit.report.render import render_report
from ketlit.store import Store, utcnow

__all__ = ["QueryOutcome", "RefreshResult", "refresh", "render_query"]

@dataclass
class QueryOutcome:
    name: str
    path: Path | None
    stale: list[StaleSource] = field(default_factory=list)
    error: str | None = None
    fetched: list[str] = field(default_factory=list)


@dataclass
class RefreshResult:
    outcomes: list[QueryOutcome]

    @property
    def exit_code(self) -> ExitCode:
        if any(o.error for o in self.outcomes):
            return ExitCode.ERROR
        if any(o.stale for o in self.outcomes):
            return ExitCode.PARTIAL
        return ExitCode.OK


def render_query(store: Store, settings: Settings, query: QueryFile, out_dir: Path, *,
                 stale: Sequence[StaleSource] = (), runner: TagRunner | None = None) -> Path:
    """Write ``<out_dir>/<name>.md`` (and its figures) for one query; returns the Markdown path."""
    ensure_dir(out_dir, "report folder")
    runner = runner or TagRunner(settings)
    data, state = gather(store, query, runner.claim_rules, runner.rules_sha, stale=stale)
    if query.report.plots:
        data = dataclasses.replace(data, figures=write_figures(data, out_dir, stem=query.name))
    path = out_dir / f"{query.name}.md"
    write_atomic(path, render_report(data).encode("utf-8"))
    # Only after the report is in place: an interrupted run must not consume the change.
    store.save_report_state(query.name, state, utcnow())
    return path


def refresh(store: Store, settings: Settings, queries: Sequence[QueryFile], out_dir: Path, *,
            offline: bool = False, progress: Any = None, runner: TagRunner | None = None) -> RefreshResult:
    """Incremental fetch of every query from both sources, re-tag, re-check, re-render.

    ``runner`` carries the configured rules (built from ``settings`` if not given)."""
    outcomes: list[QueryOutcome] = []
    with RunLock(settings.db, purpose="refresh"):
        runner = runner or TagRunner(settings)
        # Read (and so checked) before anything is fetched: a malformed user rules file stops
        # the run here rather than failing every query's report after its fetch.
        _ = runner.claim_rules
        ensure_dir(out_dir, "report folder")  # before any fetch: a bad --out-dir fails at once, once
        # A source that failed after all retries is not asked again for the remaining queries of
        # this run: it is down, and every further query would only wait out the same retries.
        down: dict[str, str] = {}
        for query in queries:
            outcome = QueryOutcome(query.name, None)
            if not offline:
                _fetch_sources(store, settings, query, outcome, progress, down)
            runner.tag_pending(store)
            try:
                outcome.path = render_query(store, settings, query, out_dir, stale=outcome.stale, runner=runner)
            except StoreError:
                raise  # the cache itself failed (read-only, busy, damaged): so would every query
            except KetlitError as exc:
                outcome.error = str(exc)
            outcomes.append(outcome)
    return RefreshResult(outcomes)


def _fetch_sources(store: Store, settings: Settings, query: QueryFile, outcome: QueryOutcome,
                   progress: Any, down: dict[str, str]) -> None:
    fetchers: list[tuple[str, str, Callable[[], tuple[str, int, int, int]]]] = []
    if query.pubmed is not None:
        pm = query.pubmed

        def pubmed() -> tuple[str, int, int, int]:
            with make_client(settings, "ncbi") as http:
                r = fetch_pubmed(store, http, settings, pm.term, mindate=pm.mindate, maxdate=pm.maxdate,
                                 progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("pubmed", "PubMed", pubmed))
    if query.ctgov is not None:
        c = query.ctgov

        def ctgov() -> tuple[str, int, int, int]:
            with make_client(settings, "ctgov") as http:
                r = fetch_ctgov(store, http, settings, c.term, cond=c.cond, intr=c.intr, statuses=list(c.status),
                                progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("ctgov", "ClinicalTrials.gov", ctgov))
    for source, label, fetch in fetchers:
        if source in down:
            outcome.stale.append(_not_tried(store, source, query, down))
            continue
        try:
            status, run_id, new, updated = fetch()
        except ServiceError as exc:
            down[source] = str(exc)
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        except StoreError:
            raise  # not a stale source: the cache cannot be written, so the run stops here
        except KetlitError as exc:
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        outcome.fetched.append(f"{label}: {status}, {new} new, {updated} updated")
        if status != "complete":
            outcome.stale.append(_stale(store, source, query, f"run {run_id} was {status}"))


def _not_tried(store: Store, source: str, query: QueryFile, down: dict[str, str]) -> StaleSource:
    return _stale(store, source, query, f"not tried: failed earlier in this run ({down[source]})")


def _stale(store: Store, source: str, query: QueryFile, message: str) -> StaleSource:
    key = query_keys(query)[source]
    return StaleSource(source=source, failed_at=utcnow()[:10], data_as_of=store.watermark(source, key),
                       message=message)
