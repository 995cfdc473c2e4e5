"""The ketlit command line: parse arguments → resolve config → one library call → render.

Only this module imports typer and rich. Library errors (:class:`KetlitError`) become a
one-line ``Error: …`` on stderr and the documented exit code; secrets are scrubbed from
every message. Exit codes: 0 ok · 1 error (for ``refresh``: nothing could be fetched) ·
2 usage · 3 partial (a run retrieved less than expected; ``refresh`` wrote reports while a
source, query or clinic page failed) · 4 locked (another run holds the lock, or keeps the
database busy) · 130 interrupted.

Data goes to stdout, everything else to stderr: progress (a transient bar per long step, only
when stderr is a terminal, never with ``--quiet``), chatter and errors. Global options may
follow the command (:func:`hoist_global_options`). Commands that only read the cache refuse a
missing one instead of creating it empty (``_store(..., reading=True)``).

The work of each command lives in a ``ketlit.jobs`` module; this module parses, calls and
renders. Job modules whose dependencies are heavy (the fetchers, tagging, claim checking,
reports with their statistics and plotting libraries) are imported inside the commands that
use them, so ``ketlit --help``, ``status``, ``search`` and ``export`` start without loading
scipy, statsmodels, pandas or matplotlib (tests/test_layering.py holds that line).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from ketlit import __version__, native
from ketlit.cliprint import print_refresh, print_status
from ketlit.cliutil import (
    CheckCards,
    CheckFormat,
    ReportFormat,
    cell,
    hoist_global_options,
    scrub,
    survive_narrow_stdout,
    unexpected_error,
)
from ketlit.config import Settings, load_settings, pubmed_cap, traceback_wanted
from ketlit.errors import ExitCode, InputError, KetlitError
from ketlit.files import cache_files, refuse_overwrite
from ketlit.jobs.export import RECORDS, CitationFormat, ExportFormat, export_citations, export_records, write_text
from ketlit.jobs.lookup import cache_status, explain_payload, search_cache, stored_tags_differ, trial_history
from ketlit.store import Store, open_store

if TYPE_CHECKING:
    from ketlit.jobs.ingest import RunReport, TrialRunReport
    from ketlit.jobs.tag import TagRunner
    from ketlit.queries import QueryFile

class _KetlitGroup(TyperGroup):
    """The top-level command group: global options are accepted before or after the command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: Typer's own click Context
        return super().parse_args(ctx, hoist_global_options(list(args)))


app = typer.Typer(
    cls=_KetlitGroup,
    help="ketlit: turn PubMed and ClinicalTrials.gov records into checkable evidence.",
    no_args_is_help=True,
    add_completion=False,
    # Typer prints local variables in tracebacks by default: an API key could leak that way.
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
fetch_app = typer.Typer(help="Fetch records from a source into the cache.", no_args_is_help=True)
export_app = typer.Typer(help="Export cached records (JSON Lines or CSV).", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")
app.add_typer(export_app, name="export")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@dataclass
class State:
    overrides: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    quiet: bool = False
    secrets: list[str] = field(default_factory=list)

    def settings(self, **more: Any) -> Settings:
        settings = load_settings(
            {**self.overrides, **{k: v for k, v in more.items() if v is not None}}, config_file=self.config_file
        )
        self.secrets = settings.secrets()
        return settings


STATE = State()


F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Map library errors to one line on stderr and an exit code; never a traceback.

    The library raises KetlitErrors for everything it expects. Anything else reaching here is a
    safety net, not a substitute for those: a stray SQLite error gets the store's wording, an
    OSError its system message, and a programming error one "internal error" line with a hint to
    rerun with ``KETLIT_TRACEBACK=1``, which lets the traceback through for a bug report.
    Click's own exits (``typer.Exit``, usage errors) and a closed stdout pipe, which Click ends
    quietly as Unix tools do, pass through untouched.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KetlitError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            err.print("Interrupted.", markup=False)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except BrokenPipeError:
            raise
        except Exception as exc:
            # typer.Exit, usage errors…: the framework's own exceptions (typer vendors its Click).
            if traceback_wanted() or type(exc).__module__.split(".")[0] in ("typer", "click"):
                raise
            _fail(unexpected_error(exc))

    return wrapper  # type: ignore[return-value]


def _fail(exc: KetlitError) -> NoReturn:
    err.print(f"Error: {scrub(str(exc), STATE.secrets)}", markup=False)
    raise typer.Exit(exc.exit_code) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"ketlit {__version__}; reader {native.build_note()}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite cache (default $KETLIT_DB or cache/ketlit.db).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file (default: ./ketlit.toml).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or chatter on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log HTTP requests (keys redacted).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")] = False,
) -> None:
    """Global options (before or after the command)."""
    STATE.overrides = {"db": db}
    STATE.config_file = config
    STATE.quiet = quiet
    _configure_logging(verbose)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at emit time (so test runners can capture it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _configure_logging(verbose: bool) -> None:
    """--verbose logs every HTTP attempt (URLs redacted by ketlit.http's filter) to stderr."""
    logger = logging.getLogger("ketlit")
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    if verbose:
        logger.addHandler(_StderrHandler())
        logger.setLevel(logging.DEBUG)
    else:
        logger.setLevel(logging.WARNING)


def _info(message: str) -> None:
    if not STATE.quiet:
        err.print(message, markup=False)


def _existing_cache(settings: Settings) -> Path:
    """The cache a reading command reads; a missing one is an error, never created empty."""
    db = Path(settings.db)
    if str(db) != ":memory:" and not db.exists():
        raise InputError(f"no cache at {db}; run `ketlit fetch` or pass --db")
    return db


@contextmanager
def _store(settings: Settings, *, reading: bool = False) -> Iterator[Store]:
    """The cache, opened (created and migrated if needed; ``reading``: it must exist)."""
    store = open_store(_existing_cache(settings) if reading else settings.db)
    try:
        yield store
    finally:
        store.close()


Update = Callable[[str, int | None, int], None]  # (event, total, advance): the jobs' progress callback


def _no_update(event: str, total: int | None, advance: int) -> None:
    pass


@contextmanager
def _step(label: str, *, forks: bool = False) -> Iterator[Update]:
    """Progress of one long step on stderr: a transient Rich bar (total from the source's own
    count) on a terminal; nothing with --quiet or when stderr is not a terminal (a log keeps the
    one-line outcomes, not redraws). ``forks``: the step may fork worker processes, so the bar
    is redrawn on each event instead of by a thread (forking a process that runs threads can
    deadlock the child)."""
    if STATE.quiet or not err.is_terminal:
        yield _no_update
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        auto_refresh=not forks,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(event: str, total: int | None, advance: int) -> None:
            if event == "total":
                bar.update(task, total=total)
            elif event == "window":
                bar.update(task, description=f"{label} (splitting over the cap)")
            else:
                bar.advance(task, advance)
            if forks:
                bar.refresh()

        yield update


def _tag_after(store: Store, settings: Settings, runner: TagRunner | None = None, already: int = 0) -> None:
    """Tagging runs after every fetch/import, on new and changed records only (``already``: the
    fetch tagged that many as it went, and this tags the rest)."""
    from ketlit.jobs.tag import TagRunner  # here, not at the top: see the module docstring

    try:
        with _step("tagging", forks=True) as progress:
            tagged = (runner or TagRunner(settings)).tag_pending(store, progress=progress)
    except KeyboardInterrupt:
        # The records are stored (their run is complete), but untagged ones are invisible to search
        # filters and reports until tagged: say so, as `ketlit status` will.
        err.print("the records are stored, but tagging stopped: `ketlit tag` finishes it", markup=False)
        raise
    if already:
        _info(f"tagged {tagged.records + already} record(s), {already} of them while fetching; "
              f"{tagged.seconds:.1f}s after it")
    elif tagged.records:
        _info(f"tagged {tagged.records} record(s) in {tagged.seconds:.1f}s")


def _warn_no_email(settings: Settings) -> None:
    if not settings.ncbi_email:
        _info("warning: NCBI_EMAIL is not set; NCBI asks every client to send a contact email "
              "(set NCBI_EMAIL or ncbi_email in ketlit.toml).")


def _print_run(report: RunReport) -> None:
    since = f" since {report.since}" if report.since else ""
    _info(
        f"run {report.run_id}: {report.status} ({report.mode}{since}) — expected {report.expected}, "
        f"retrieved {report.retrieved} ({report.new} new, {report.updated} updated), "
        f"{report.requests} requests ({report.retries} retries), {report.windows} window(s), "
        f"{report.seconds:.1f}s"
    )
    for warning in report.warnings:
        _info(f"warning: {warning}")
    if report.missing:
        shown = ", ".join(report.missing[:20]) + (" …" if len(report.missing) > 20 else "")
        err.print(f"incomplete: {len(report.missing)} record(s) not retrieved: {shown}", markup=False)


@fetch_app.command("pubmed")
@guarded
def fetch_pubmed_cmd(
    term: Annotated[str, typer.Argument(help="PubMed query, e.g. 'ketamine AND depression'.")],
    mindate: Annotated[str | None, typer.Option(help="Earliest publication date (YYYY[/MM[/DD]]).")] = None,
    maxdate: Annotated[str | None, typer.Option(help="Latest publication date (YYYY[/MM[/DD]]).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Refetch everything, ignoring the watermark.")] = False,
    max_records: Annotated[int | None, typer.Option("--max", help="Fetch at most N records (a partial run).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="EFetch batch size (default 500).")] = None,
    rate: Annotated[float | None, typer.Option(help="Max NCBI requests/s (clamped to 3, or 10 with a key).")] = None,
) -> None:
    """Fetch PubMed records matching TERM (incremental after the first complete run).

    Example: ketlit fetch pubmed "ketamine AND depression" --mindate 2015
    """
    from ketlit.http import make_client  # here, not at the top: see the module docstring
    from ketlit.jobs.fetch_tags import fetch_tagger
    from ketlit.jobs.ingest import fetch_pubmed

    settings = STATE.settings(batch_size=batch_size, ncbi_rate=rate)
    _warn_no_email(settings)
    with _store(settings) as store:
        tagger = fetch_tagger(settings)
        # forks: pages are tagged in worker processes while the fetch goes on (no progress thread).
        with make_client(settings, "ncbi") as http, _step("PubMed", forks=True) as progress:
            report = fetch_pubmed(
                store, http, settings, term, mindate=mindate, maxdate=maxdate, full=full, max_records=max_records,
                cap=pubmed_cap(), progress=progress, tagger=tagger,
            )
        # What the fetch did not tag (and the study profiles), after the progress display has stopped.
        _tag_after(store, settings, tagger, report.tagged)
    _print_run(report)
    if report.status == "incomplete":
        raise typer.Exit(ExitCode.PARTIAL)


@fetch_app.command("ctgov")
@guarded
def fetch_ctgov_cmd(
    term: Annotated[str, typer.Argument(help="Search terms (query.term); leave out for --cond/--intr only.")] = "",
    cond: Annotated[str | None, typer.Option("--cond", help="Condition or disease (query.cond).")] = None,
    intr: Annotated[str | None, typer.Option("--intr", help="Intervention or treatment (query.intr).")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Overall status filter: API value or website name (any case), repeatable "
                                      "or several separated by '|' or ','."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Refetch everything, ignoring the watermark.")] = False,
    rate: Annotated[float | None, typer.Option(help="Max CT.gov requests/s (default 1).")] = None,
) -> None:
    """Fetch ClinicalTrials.gov studies (API v2), keeping every version seen.

    Example: ketlit fetch ctgov ketamine --cond depression --status completed,terminated
    """
    from ketlit.http import make_client  # here, not at the top: see the module docstring
    from ketlit.jobs.ingest import fetch_ctgov

    settings = STATE.settings(ctgov_rate=rate)
    with _store(settings) as store:
        with make_client(settings, "ctgov") as http, _step("CT.gov") as progress:
            report = fetch_ctgov(store, http, settings, term, cond=cond, intr=intr, statuses=status or [],
                                 full=full, progress=progress)
        _tag_after(store, settings)
    _print_trial_run(report)
    if report.status == "incomplete":
        raise typer.Exit(ExitCode.PARTIAL)


def _print_trial_run(report: TrialRunReport) -> None:
    since = f" since {report.since}" if report.since else ""
    _info(
        f"run {report.run_id}: {report.status} ({report.mode}{since}) — expected {report.expected}, "
        f"retrieved {report.retrieved} ({report.new} new, {report.updated} updated, {report.unchanged} unchanged), "
        f"{report.pages} page(s), {report.requests} requests ({report.retries} retries), {report.seconds:.1f}s"
    )
    for change in report.changes:
        _info(f"changed: {change}")
    for warning in report.warnings:
        _info(f"warning: {warning}")


@app.command("import")
@guarded
def import_cmd(
    file: Annotated[Path, typer.Argument(help="PubMed XML (.xml, .xml.gz) or MEDLINE/.nbib export; - for stdin.")],
    query_file: Annotated[Path | None, typer.Option(
        "--query", help="Count the records as this query file's PubMed results (an export of its search).")] = None,
) -> None:
    """Import a PubMed export (XML or MEDLINE/.nbib, or - to read a pipe) into the cache.

    Example: ketlit import pubmed-ketamine-set.nbib --query queries/depression.toml
    (or: esearch … | efetch -format xml | ketlit import -)
    """
    from ketlit.jobs.ingest import attach_to_query, prepare_import, pubmed_key  # see module doc

    settings = STATE.settings()
    query = _query(settings, query_file) if query_file else None
    key = pubmed_key(query) if query else None  # a query file that cannot take them fails before the import
    # Read up to the first record before the cache is opened: a file or pipe with nothing to import
    # then leaves no new, empty cache behind.
    with prepare_import(file) as pending, _store(settings) as store:
        with _step(f"importing {file}", forks=True):
            report = pending.store_into(store)
        attached = attach_to_query(store, report, key) if key else 0
        _tag_after(store, settings)
    _info(
        f"imported {report.records} record(s) from {report.path} ({report.format}): {report.new} new, "
        f"{report.updated} updated, {report.unchanged} unchanged"
        + (f"; {attached} counted as results of query {query.name}" if query else "")
    )


def _query(settings: Settings, path: Path) -> QueryFile:
    """One query file, checked against the configured tagging vocabularies (a one-line error if it is not valid)."""
    from ketlit.queries import load_query
    from ketlit.tagging.vocab import tag_vocabularies

    return load_query(path, vocabularies=tag_vocabularies(settings.tagging_rules))


@app.command("status")
@guarded
def status_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    runs: Annotated[int, typer.Option(help="How many recent runs to show.")] = 10,
) -> None:
    """Show what the cache holds and the recent runs (expected vs retrieved).

    Example: ketlit status --runs 5
    """
    settings = STATE.settings()
    with _store(settings, reading=True) as store:
        status = cache_status(store, settings.db, runs, with_hash=as_json, tagging_rules=settings.tagging_rules)
    if as_json:
        out.print_json(json.dumps(status.payload(), default=str))
        return
    print_status(out, status)


def _out_path(value: Path | None) -> Path | None:
    # `--out -` is standard output, as `-` is standard input for import and check; it used to
    # write a file named "-" in the current directory.
    return None if value is not None and str(value) == "-" else value


FormatOption = Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to FILE instead of stdout (- for stdout).", callback=_out_path)
]


def _read_files(settings: Settings, *more: tuple[Path, str]) -> list[tuple[Path, str]]:
    """Every file a command reads, for :func:`refuse_overwrite`: the cache's, the user's config and rules."""
    return [*cache_files(settings.db), *settings.user_files(), *more]


def _export(what: str, fmt: ExportFormat, dest: Path | None) -> None:
    """Shared body of the export commands: open the cache, stream records, report the count."""
    settings = STATE.settings()
    refuse_overwrite(dest, _read_files(settings))
    with _store(settings, reading=True) as store:
        count = export_records(store, what, fmt, dest)
    _info(f"exported {count} {RECORDS[what][1]}(s)")


@export_app.command("articles")
@guarded
def export_articles_cmd(fmt: FormatOption = ExportFormat.jsonl, out_file: OutOption = None) -> None:
    """Export every cached PubMed article with MeSH, publication types and trial links.

    Example: ketlit export articles --format csv --out articles.csv
    """
    _export("articles", fmt, out_file)


@export_app.command("trials")
@guarded
def export_trials_cmd(fmt: FormatOption = ExportFormat.jsonl, out_file: OutOption = None) -> None:
    """Export every cached trial with interventions, outcomes and linked PMIDs.

    Example: ketlit export trials --format csv --out trials.csv
    """
    _export("trials", fmt, out_file)


@export_app.command("links")
@guarded
def export_links_cmd(fmt: FormatOption = ExportFormat.jsonl, out_file: OutOption = None) -> None:
    """Export PubMed ↔ ClinicalTrials.gov links (where each was found, and what is cached).

    Example: ketlit export links --format csv
    """
    _export("links", fmt, out_file)


@app.command("history")
@guarded
def history_cmd(
    nct_id: Annotated[str, typer.Argument(help="An NCT ID, e.g. NCT02417064.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show every stored version of a trial and what changed between them.

    Example: ketlit history NCT02417064
    """
    settings = STATE.settings()
    with _store(settings, reading=True) as store:
        history = trial_history(store, nct_id)
    if as_json:
        out.print_json(json.dumps({"nct_id": history.nct_id, "versions": history.versions}, default=str))
        return
    for version, moved in zip(history.versions, history.changes, strict=True):
        v = {key: cell(value, "—") for key, value in version.items()}  # a field the registry left empty: "—"
        out.print(
            f"{v['last_update_posted']}  {v['overall_status']}  enrollment {v['enrollment_count']} "
            f"({v['enrollment_type']})  results {'yes' if version['has_results'] else 'no'}"
            + (f"  [{'; '.join(moved)}]" if moved else ""),
            markup=False,
        )


@app.command("search")
@guarded
def search_cmd(
    text: Annotated[str, typer.Argument(help="Words to find in titles, abstracts, keywords and trial fields.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines output.")] = False,
    limit: Annotated[int, typer.Option(help="Maximum number of results.")] = 20,
    indication: Annotated[list[str] | None, typer.Option(help="Only records tagged with this indication.")] = None,
    route: Annotated[list[str] | None, typer.Option(help="Only records tagged with this route.")] = None,
    molecule: Annotated[list[str] | None, typer.Option(help="Only records tagged with this molecule.")] = None,
    design: Annotated[list[str] | None, typer.Option(help="Only records tagged with this design.")] = None,
) -> None:
    """Full-text search over the cache: all words must match; OR, NOT, "phrases", (groups), 'word*' as in PubMed.

    Example: ketlit search '(ketamine OR esketamine) "nasal spray"' --indication ptsd --design rct
    """
    settings = STATE.settings()
    filters = {"indication": indication, "route": route, "molecule": molecule, "design": design}
    vocabularies = None
    if any(filters.values()):
        from ketlit.tagging import load_rules  # only when filtering: see the module docstring
        from ketlit.tagging import vocabularies as slugs

        vocabularies = slugs(load_rules(settings.tagging_rules))
    with _store(settings, reading=True) as store:
        hits = search_cache(store, text, limit=limit, tags=filters, vocabularies=vocabularies)
    if as_json:
        for hit in hits:
            sys.stdout.write(json.dumps(hit, ensure_ascii=False) + "\n")
        return
    for hit in hits:
        label = "PMID" if hit["source"] == "pubmed" else "trial"
        out.print(f"{label} {hit['id']} ({hit['year'] or 'n.d.'}) {cell(hit['title'], '(no title)')}", markup=False)
        if hit["snippet"]:
            out.print(f"    {hit['snippet']}", markup=False)
    if not hits:
        _info("no matches")


@app.command("check")
@guarded
def check_cmd(
    page: Annotated[str, typer.Argument(help="A .txt, .md or .html clinic page, or - for stdin.")],
    fmt: Annotated[
        CheckFormat, typer.Option("--format", help="md (Markdown), json (with the full audit trail) or html.")
    ] = CheckFormat.md,
    out_file: OutOption = None,
    brief: Annotated[
        bool, typer.Option("--brief", help="Only the header and the two summary tables (md and html).")
    ] = False,
    cards: Annotated[
        CheckCards, typer.Option(
            "--cards", help="Cards for the sentences that need attention (default) or for all (md and html).")
    ] = CheckCards.attention,
    no_reference: Annotated[
        bool, typer.Option("--no-reference", help="Judge from the cache alone, without the pinned reference standard.")
    ] = False,
) -> None:
    """Check the claims on a clinic page against the cached evidence: a verdict per claim.

    Your own claim rules and regulatory facts: KETLIT_CLAIM_RULES, KETLIT_REGULATORY (or ketlit.toml);
    verdict rules and reference standard: KETLIT_VERDICT_RULES, KETLIT_REFERENCE_STANDARD.

    Example: ketlit check clinic_page.html --format html --out verdicts.html
    """
    from ketlit.jobs.check import run_check  # here, not at the top: see the module docstring

    settings = STATE.settings()
    page_read = [(Path(page), "the page being checked")] if page != "-" else []
    refuse_overwrite(out_file, _read_files(settings, *page_read))
    if str(settings.db) != ":memory:" and not Path(settings.db).exists():
        # Regulatory claims need no cache; an empty in-memory one, rather than a new file here.
        _info(f"note: no cache at {settings.db}; only regulatory facts can support a verdict "
              "(run `ketlit fetch` or pass --db)")
        settings = dataclasses.replace(settings, db=Path(":memory:"))
    with _store(settings) as store:
        text, rendered = run_check(
            store, settings, page, fmt=fmt.value, brief=brief, cards=cards.value,
            reference=False if no_reference else None,
        )
    write_text(rendered, out_file)
    _info(text)


@app.command("report")
@guarded
def report_cmd(
    query_file: Annotated[Path | None, typer.Argument(help="A query file (queries/*.toml).")] = None,
    all_queries: Annotated[bool, typer.Option("--all", help="Every query file in --queries-dir.")] = False,
    queries_dir: Annotated[Path, typer.Option(help="Where query files live.")] = Path("queries"),
    out_dir: Annotated[Path, typer.Option(help="Where reports are written.")] = Path("reports"),
    fmt: Annotated[ReportFormat, typer.Option(
        "--format", help="md (Markdown + SVG figures) or html (one self-contained file).")] = ReportFormat.md,
) -> None:
    """Write the evidence report of a query (or --all) from the cache, without fetching.

    Example: ketlit report queries/ptsd.toml --out-dir reports/
    """
    from ketlit.jobs.report import plan_reports  # here, not at the top: see the module docstring

    settings = STATE.settings()
    plan = plan_reports(settings, query_file, all_queries, queries_dir, out_dir, fmt=fmt.value)
    with _store(settings, reading=True) as store:
        for done in plan.write(store, steps=_step):
            _info(f"{'wrote' if done.changed else 'unchanged'} {done.path}")


@app.command("refresh")
@guarded
def refresh_cmd(
    queries_dir: Annotated[Path, typer.Option(help="Where query files live.")] = Path("queries"),
    out_dir: Annotated[Path, typer.Option(help="Where reports are written.")] = Path("reports"),
    offline: Annotated[bool, typer.Option("--offline", help="Render from the cache only; fetch nothing.")] = False,
) -> None:
    """For every query file: incremental fetch from both sources, re-tag, re-check, re-render.

    Exit codes: 0 ok, 1 error (nothing could be fetched: no report written), 3 partial (a source, a
    clinic page or a query file failed; the other reports written), 4 another refresh is running.
    A report whose content did not change is left untouched.

    Example: ketlit refresh --queries-dir queries/ --out-dir reports/
    """
    # Here, not at the top: see the module docstring.
    from ketlit.jobs.refresh import check_out_dir, refresh
    from ketlit.jobs.tag import TagRunner
    from ketlit.queries import load_queries_apart

    check_out_dir(out_dir)
    settings = STATE.settings()
    # One set of compiled rules serves the query files' slugs and the whole run. A page that
    # cannot be read costs only its own claims (noted in the report), not the whole run; nor
    # does a query file that cannot be used cost the others' reports (the run is partial: exit 3).
    runner = TagRunner(settings)
    queries, bad = load_queries_apart(queries_dir, vocabularies=runner.vocabularies, check_pages=False)
    for _, exc in bad:
        err.print(scrub(f"Error: {exc}", STATE.secrets), markup=False)
    if not queries:
        raise typer.Exit(ExitCode.ERROR)
    if not offline and any(q.pubmed for q in queries):
        _warn_no_email(settings)
    with _store(settings, reading=offline) as store:
        result = refresh(store, settings, queries, out_dir, offline=offline, runner=runner, steps=_step)
    result.unusable = len(bad)
    print_refresh(err, result, STATE.secrets, quiet=STATE.quiet)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@export_app.command("citations")
@guarded
def export_citations_cmd(
    fmt: Annotated[CitationFormat, typer.Option("--format", help="ris or bibtex.")] = CitationFormat.ris,
    query_file: Annotated[Path | None, typer.Option("--query", help="Only the articles of this query file.")] = None,
    out_file: OutOption = None,
) -> None:
    """Export articles as RIS or BibTeX for Zotero / EndNote (all, or one query's).

    Example: ketlit export citations --format ris --query queries/ptsd.toml --out ptsd.ris
    """
    settings = STATE.settings()
    query_read = [(query_file, "the query file")] if query_file else []
    refuse_overwrite(out_file, _read_files(settings, *query_read))
    with _store(settings, reading=True) as store:
        text, count = export_citations(store, settings, fmt, query_file)
    write_text(text, out_file)
    _info(f"exported {count} citation(s)")


@app.command("tag")
@guarded
def tag_cmd() -> None:
    """Re-tag the whole cache offline (after changing the tagging rules).

    Example: ketlit tag   (with KETLIT_TAGGING_RULES=my_rules.toml to use your own rules)
    """
    from ketlit.jobs.tag import TagRunner  # here, not at the top: see the module docstring

    settings = STATE.settings()
    with _store(settings, reading=True) as store, _step("tagging", forks=True) as progress:
        report = TagRunner(settings).tag_all(store, progress=progress)
    _info(f"tagged {report.records} record(s) in {report.seconds:.1f}s (rules {report.rules_sha256[:12]})")


@app.command("explain")
@guarded
def explain_cmd(
    record_id: Annotated[str, typer.Argument(help="A PMID or an NCT ID (as a check prints it: PMID 31166571 works).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="All evidence, and matches that did not count.")] = False,
) -> None:
    """Show each tag of a record and why (rule, field, matched text), and its study profile.

    Example: ketlit explain 31166571 --rejected
    """
    # here, not at the top: see the module docstring
    from ketlit.evidence.explain import profile_lines
    from ketlit.jobs.evidence import stored_profile
    from ketlit.jobs.tag import TagRunner

    settings = STATE.settings()
    with _store(settings, reading=True) as store:
        source, rid, analysis, stored = TagRunner(settings).explain(store, record_id)
        profile, sentences = stored_profile(store, rid) if source == "pubmed" else (None, [])
    if as_json:
        payload = explain_payload(source, rid, analysis, stored, rejected=rejected)
        payload["profile"] = profile
        out.print_json(json.dumps(payload, default=str))
        return
    out.print(f"{'PMID' if source == 'pubmed' else 'trial'} {rid}", markup=False)
    if not analysis.tags:
        out.print("  no tags", markup=False)
    for tag in analysis.tags:
        out.print(f"  {tag.axis}: {tag.value}  (score {tag.score:.2f})", markup=False)
        shown = tag.evidence if rejected else tag.evidence[:3]  # strongest first
        for ev in shown:
            note = f" — {ev.note}" if ev.note else ""
            out.print(f"      {ev.rule_id} in {ev.field}: \"{ev.span}\"{note}", markup=False)
        if len(shown) < len(tag.evidence):
            out.print(f"      (+{len(tag.evidence) - len(shown)} more; --rejected shows all)", markup=False)
    if rejected:
        for c in analysis.candidates:
            if c.status != "tagged":
                out.print(f"  not counted {c.axis}: {c.value} — {c.status} ({c.evidence.rule_id} in "
                          f"{c.evidence.field}: \"{c.evidence.span}\")", markup=False)
    if profile is not None:
        for line in profile_lines(profile, sentences):
            out.print(line, markup=False, soft_wrap=True)
    elif source == "pubmed":
        out.print("  no study profile: not tagged with a molecule the evidence rules read", markup=False)
    if stored_tags_differ(analysis, stored):
        _info("note: the stored tags differ from the current rules; run `ketlit tag` to update them")


@export_app.command("tags")
@guarded
def export_tags_cmd(fmt: FormatOption = ExportFormat.jsonl, out_file: OutOption = None) -> None:
    """Export tags, one line per record: source, id and the values on each axis.

    Example: ketlit export tags --format csv --out tags.csv
    """
    _export("tags", fmt, out_file)


def main() -> None:
    """Console-script entry point."""
    survive_narrow_stdout()
    try:
        app()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    raise SystemExit(_flush_stdout(code))


def _flush_stdout(code: Any) -> Any:
    """Flush stdout while errors can still be reported: output redirected to a full disk must
    end in one ``Error:`` line, not in Python's multi-line complaint at exit."""
    if sys.stdout is None:  # started with standard output closed: nothing to flush
        return code
    try:
        sys.stdout.flush()
    except OSError as exc:
        if not isinstance(exc, BrokenPipeError) and code in (0, None):
            err.print(f"Error: cannot write to standard output: {exc.strerror or exc}", markup=False)
            code = ExitCode.ERROR
        elif code in (0, None):
            code = ExitCode.ERROR  # as Click does for a closed pipe
        # Python flushes stdout once more at exit; let that go nowhere instead of failing again.
        with suppress(OSError, ValueError):  # no file descriptor: nothing more to protect
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
    return code
