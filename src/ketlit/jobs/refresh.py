"""The refresh job: query files → fetch → tag → check → render, unattended.

Design decisions:
- Gathering a report's data is :mod:`ketlit.report.gather`; rendering is
  :mod:`ketlit.report.render`. This module fetches for every query first, tags once, then
  renders each query, so every report sees everything this run fetched, whatever the order
  of the query files.
- **Unattended and safe to interrupt.** A lock file prevents overlapping runs; every fetch is
  incremental and upserts page by page, reports are written atomically (temp file + rename),
  and the report state is saved only after its Markdown is in place — a ``kill -9`` anywhere
  leaves a rerun to produce exactly what an uninterrupted run would have.
- **A dead source is asked once.** A source that fails after all retries, or cannot be reached
  at all (:class:`~ketlit.errors.UnreachableError`, raised at once by :mod:`ketlit.http`), is not
  asked again for the other queries of the run; its failure is one line, not one per query.
- **Partial is not failure, nothing is.** If one source cannot be refreshed, the reports are
  still rendered from the cache with a banner naming what is stale, and the exit code is 3. If
  nothing at all could be fetched (offline, every service down), no report is written or
  rewritten — an empty report would look like "no evidence" — and the exit code is 1. A query
  whose own fetches all failed and that has nothing in the cache is not rendered either.
- **A report whose content did not change is left alone**, stamp line included, so a
  scheduled job can commit only when something moved (the README's recipes rely on it).
- **A clinic page that cannot be read costs only its own claims**: the report is written,
  says the page was not checked, and the run is partial (3). ``ketlit report`` (interactive)
  refuses such a page instead (:func:`unreadable_pages`).
- **A query file that cannot be used costs only itself**: the caller names it and refreshes the
  others; with their reports written the run is partial (3), as for a failed source, so a scheduled
  job still commits them; with no report written it is an error (1).
- **Progress**: each long step (a query's fetch per source, tagging, a query's rendering) is
  announced through ``steps`` (:class:`Steps`); the CLI draws it on stderr.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ketlit.claims.text import read_page
from ketlit.config import Settings
from ketlit.errors import ExitCode, InputError, KetlitError, ServiceError, StoreError
from ketlit.files import ensure_dir
from ketlit.http import make_client
from ketlit.jobs.ingest import Progress, fetch_ctgov, fetch_pubmed
from ketlit.jobs.lock import RunLock
from ketlit.jobs.tag import TagRunner
from ketlit.queries import QueryFile
from ketlit.report.gather import gather, query_record_ids
from ketlit.report.model import StaleSource
from ketlit.report.plots import figure_svgs, remove_figures, write_atomic, write_figures
from ketlit.report.render import STAMP_PREFIX, render_report
from ketlit.store import Store, utcnow
from ketlit.store.runs import query_keys

__all__ = ["REPORT_FORMATS", "QueryOutcome", "RefreshResult", "Rendered", "Steps", "check_out_dir", "no_steps",
           "refresh", "render",
           "render_query", "unreadable_pages"]


class Steps(Protocol):
    """Announces one long step; the context's callback takes the step's progress events
    ``(event, total, advance)`` as :data:`ketlit.jobs.ingest.Progress` does. ``forks``: the step
    may fork worker processes, so whatever draws the progress must not run a thread then."""

    def __call__(self, label: str, *, forks: bool = False) -> AbstractContextManager[Progress]: ...


@contextmanager
def no_steps(label: str, *, forks: bool = False) -> Iterator[Progress]:
    """The :class:`Steps` that shows nothing."""
    yield lambda event, total, advance: None


@dataclass
class QueryOutcome:
    """What the run did for one query file."""

    name: str
    path: Path | None
    stale: list[StaleSource] = field(default_factory=list)
    error: str | None = None
    fetched: list[str] = field(default_factory=list)
    unchanged: bool = False  # the report already held this content and was left as it was
    skipped: str | None = None  # why no report was written
    warnings: list[str] = field(default_factory=list)  # e.g. a clinic page that could not be read
    attempted: int = 0  # fetches tried for this query (sources not given up on earlier)
    succeeded: int = 0


@dataclass
class RefreshResult:
    """Every query's outcome, and the sources given up on during the run (source → the error)."""

    outcomes: list[QueryOutcome]
    down: dict[str, ServiceError] = field(default_factory=dict)
    unusable: int = 0  # query files that could not be used, so were not refreshed (the caller names them)

    @property
    def nothing_fetched(self) -> bool:
        """Fetching was tried and not one fetch succeeded: no report was written."""
        return any(o.attempted for o in self.outcomes) and not any(o.succeeded for o in self.outcomes)

    @property
    def exit_code(self) -> ExitCode:
        """1 if nothing could be fetched, a report failed, or query files were unusable and no report was
        written; 3 if anything was stale, skipped, unread or unusable; else 0."""
        if self.nothing_fetched or any(o.error for o in self.outcomes):
            return ExitCode.ERROR
        if self.unusable and not any(o.path for o in self.outcomes):
            return ExitCode.ERROR
        if self.unusable or any(o.stale or o.skipped or o.warnings for o in self.outcomes):
            return ExitCode.PARTIAL
        return ExitCode.OK


@dataclass(frozen=True)
class Rendered:
    """A report written (``changed``) or found already up to date apart from its stamp line."""

    path: Path
    changed: bool


def check_out_dir(out_dir: Path) -> None:
    """Refuse ``-`` as a report directory: reports are Markdown files with figures beside them,
    not a stream, and a directory named ``-`` is never what was meant."""
    if str(out_dir).strip() == "-":
        raise InputError("--out-dir - is not supported: reports are files (Markdown and figures); "
                         "give a directory, e.g. --out-dir reports")


def unreadable_pages(query: QueryFile) -> list[tuple[Path, str]]:
    """The query's clinic pages that cannot be read, each with the one-line reason."""
    bad = []
    for page in query.check.pages:
        try:
            read_page(page)
        except KetlitError as exc:
            bad.append((page, str(exc)))
    return bad


REPORT_FORMATS = ("md", "html")


def render(store: Store, settings: Settings, query: QueryFile, out_dir: Path, *,
           stale: Sequence[StaleSource] = (), runner: TagRunner | None = None, fmt: str = "md") -> Rendered:
    """Write ``<out_dir>/<name>.md`` (and its figures) for one query — or, with ``fmt="html"``, one
    self-contained ``<name>.html`` with the figures embedded — unless the file already holds the
    same report apart from the stamp line (then it is left untouched)."""
    if fmt not in REPORT_FORMATS:
        raise InputError(f"unknown report format {fmt!r}: use md or html")
    check_out_dir(out_dir)
    ensure_dir(out_dir, "report folder")
    runner = runner or TagRunner(settings)
    data, state = gather(store, query, runner.claim_rules, runner.rules_sha, stale=stale)
    path = out_dir / f"{query.name}.{fmt}"
    if fmt == "html":
        from ketlit.report.render_html import render_report_html  # here: only HTML runs load Jinja2

        svgs = figure_svgs(data)
        text = render_report_html(dataclasses.replace(data, figures={k: "embedded" for k in svgs}), svgs)
    else:
        if query.report.plots:
            data = dataclasses.replace(data, figures=write_figures(data, out_dir, stem=query.name))
        text = render_report(data)
    changed = not _same_but_stamp(path, text)
    if changed:
        write_atomic(path, text.encode("utf-8"))
    if fmt == "md":  # an HTML report embeds its figures: the Markdown report's files are not its own
        remove_figures(out_dir, query.name, data.figures)
    # Only after the report is in place: an interrupted run must not consume the change.
    store.save_report_state(query.name, state, utcnow())
    return Rendered(path, changed)


def render_query(store: Store, settings: Settings, query: QueryFile, out_dir: Path, *,
                 stale: Sequence[StaleSource] = (), runner: TagRunner | None = None) -> Path:
    """Write ``<out_dir>/<name>.md`` (and its figures) for one query; returns the Markdown path."""
    return render(store, settings, query, out_dir, stale=stale, runner=runner).path


def _same_but_stamp(path: Path, text: str) -> bool:
    """Whether ``path`` holds ``text`` except for its last line, the stamp."""
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    old_body, _, old_stamp = old.rstrip("\n").rpartition("\n")
    new_body, _, _ = text.rstrip("\n").rpartition("\n")
    # The HTML report's last line is its stamp paragraph (render_html.HTML_STAMP_PREFIX + "Generated: ").
    return old_stamp.startswith((STAMP_PREFIX, f'<p id="stamp">{STAMP_PREFIX}')) and old_body == new_body


def refresh(store: Store, settings: Settings, queries: Sequence[QueryFile], out_dir: Path, *,
            offline: bool = False, steps: Steps | None = None, runner: TagRunner | None = None) -> RefreshResult:
    """Incremental fetch of every query from both sources, then tag, check and render each.

    ``runner`` carries the configured rules (built from ``settings`` if not given); ``steps``
    is told about each long step (see :class:`Steps`)."""
    check_out_dir(out_dir)
    step: Steps = steps or no_steps
    result = RefreshResult([QueryOutcome(q.name, None) for q in queries])
    with RunLock(settings.db, purpose="refresh"):
        runner = runner or TagRunner(settings)
        # Read (and so checked) before anything is fetched: a malformed user rules file stops
        # the run here rather than failing every query's report after its fetch.
        _ = runner.claim_rules
        ensure_dir(out_dir, "report folder")  # before any fetch: a bad --out-dir fails at once, once
        if not offline:
            for query, outcome in zip(queries, result.outcomes, strict=True):
                _fetch_sources(store, settings, query, outcome, step, result.down)
            if result.nothing_fetched:
                for outcome in result.outcomes:
                    outcome.skipped = "nothing could be fetched"
                return result
        with step("tagging", forks=True) as progress:
            runner.tag_pending(store, progress=progress)
        for query, outcome in zip(queries, result.outcomes, strict=True):
            _render_one(store, settings, query, outcome, out_dir, runner, step)
    return result


def _render_one(store: Store, settings: Settings, query: QueryFile, outcome: QueryOutcome, out_dir: Path,
                runner: TagRunner, step: Steps) -> None:
    if outcome.attempted and not outcome.succeeded and not any(query_record_ids(store, query).values()):
        outcome.skipped = "nothing fetched for it and nothing cached"
        return
    for page, reason in unreadable_pages(query):
        outcome.warnings.append(f"clinic page {page.name} not checked: {reason}")
    try:
        with step(f"{query.name}: report"):
            done = render(store, settings, query, out_dir, stale=outcome.stale, runner=runner)
    except StoreError:
        raise  # the cache itself failed (read-only, busy, damaged): so would every query
    except KetlitError as exc:
        outcome.error = str(exc)
        return
    outcome.path, outcome.unchanged = done.path, not done.changed


def _fetch_sources(store: Store, settings: Settings, query: QueryFile, outcome: QueryOutcome,
                   step: Steps, down: dict[str, ServiceError]) -> None:
    fetchers: list[tuple[str, str, Callable[[Progress], tuple[str, int, int, int]]]] = []
    if query.pubmed is not None:
        pm = query.pubmed

        def pubmed(progress: Progress) -> tuple[str, int, int, int]:
            with make_client(settings, "ncbi") as http:
                r = fetch_pubmed(store, http, settings, pm.term, mindate=pm.mindate, maxdate=pm.maxdate,
                                 progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("pubmed", "PubMed", pubmed))
    if query.ctgov is not None:
        c = query.ctgov

        def ctgov(progress: Progress) -> tuple[str, int, int, int]:
            with make_client(settings, "ctgov") as http:
                r = fetch_ctgov(store, http, settings, c.term, cond=c.cond, intr=c.intr, statuses=list(c.status),
                                progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("ctgov", "ClinicalTrials.gov", ctgov))
    for source, label, fetch in fetchers:
        if source in down:
            reason = f"not tried: failed earlier in this run ({down[source]})"
            outcome.stale.append(_stale(store, source, query, reason))
            continue
        outcome.attempted += 1
        try:
            with step(f"{query.name}: {label}") as progress:
                status, run_id, new, updated = fetch(progress)
        except ServiceError as exc:
            # Down (or unreachable): the other queries of this run do not ask it again.
            down[source] = exc
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        except StoreError:
            raise  # not a stale source: the cache cannot be written, so the run stops here
        except KetlitError as exc:
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        outcome.succeeded += 1
        outcome.fetched.append(f"{label}: {status}, {new} new, {updated} updated")
        if status != "complete":
            outcome.stale.append(_stale(store, source, query, f"run {run_id} was {status}"))


def _stale(store: Store, source: str, query: QueryFile, message: str) -> StaleSource:
    key = query_keys(query)[source]
    return StaleSource(source=source, failed_at=utcnow()[:10], data_as_of=store.watermark(source, key),
                       message=message)
