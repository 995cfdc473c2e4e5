"""The tables ``ketlit`` prints with Rich (kept out of ``cli.py``, which maps commands to jobs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ketlit.cliutil import cell, scrub
from ketlit.errors import UnreachableError
from ketlit.jobs.lookup import CacheStatus

if TYPE_CHECKING:
    from ketlit.jobs.refresh import RefreshResult


def print_status(out: Console, status: CacheStatus) -> None:
    """``ketlit status``'s tables: the record counts and the recent runs."""
    out.print(f"cache: {status.db}", markup=False)
    # Cells are Text, never console markup: a term's "[tiab]" would otherwise vanish as a style tag.
    # On a terminal a long term is cut to fit; piped, nothing is cut or wrapped (a log or a grep
    # needs the whole line, and Rich would otherwise assume 80 columns).
    table = Table(title="records", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in status.counts.items():
        table.add_row(Text(key.replace("_", " ")), Text("unknown" if value is None else str(value)))
    print_table(out, table)
    for warning in status.warnings:
        out.print(f"warning: {warning}", markup=False)
    if status.counts.get("untagged_records"):
        # An import or fetch stopped during its tagging step, or the rules changed: the records are
        # stored, but search filters and reports see no tags or stale ones until they are tagged.
        out.print(f"{status.counts['untagged_records']} record(s) are not tagged yet, or changed (or the tagging "
                  "rules did) since they were: `ketlit tag` tags them (search filters and reports miss them "
                  "until then)", markup=False)
    runs_table = Table(title="recent runs", title_justify="left")
    for col in ("id", "source", "status", "mode", "term", "expected", "retrieved", "new", "upd", "missing",
                "requests", "started"):
        if col == "term" and out.is_terminal:
            runs_table.add_column(col, max_width=40, no_wrap=True, overflow="ellipsis")
        else:
            runs_table.add_column(col, no_wrap=not out.is_terminal)
    for r in status.runs:
        cells = (str(r.id), r.source, r.status, cell(r.mode), r.term or r.query_key, cell(r.expected),
                 cell(r.retrieved), cell(r.new_records), cell(r.updated_records), str(len(r.missing_ids)),
                 cell(r.requests), cell(r.started_at))
        runs_table.add_row(*(Text(c) for c in cells))
    print_table(out, runs_table)


def print_table(out: Console, table: Table) -> None:
    """A table on stdout: fitted to a terminal, at its natural width when piped."""
    if out.is_terminal:
        out.print(table)
    else:
        # Wide enough for any row (print's own width= cannot exceed the console's): a table
        # that does not expand is drawn at its natural width.
        Console(file=out.file, width=1 << 16, highlight=False, color_system=None).print(table)


def print_refresh(err: Console, result: RefreshResult, secrets: list[str], *, quiet: bool) -> None:
    """``ketlit refresh``'s stderr: one line per source given up on, then each query's outcome; errors
    even with ``quiet``, and every line scrubbed of ``secrets`` (a service may echo a key back)."""
    def problem(line: str) -> None:
        err.print(scrub(line, secrets), markup=False)

    def info(line: str) -> None:
        if not quiet:
            err.print(line, markup=False)

    for source, exc in result.down.items():
        # "… unreachable (host: reason) — what to do" says it all; other failures get their source.
        problem(str(exc) if isinstance(exc, UnreachableError) else f"{source} not refreshed: {exc}")
    for outcome in result.outcomes:
        for line in outcome.fetched:
            info(f"{outcome.name}: {line}")
        for stale in outcome.stale:
            if stale.source not in result.down:  # a source given up on was named once, above
                problem(f"{outcome.name}: {stale.source} not refreshed: {stale.message or ''}")
        for warning in outcome.warnings:
            problem(f"{outcome.name}: {warning}")
        if outcome.error:
            problem(f"Error: {outcome.name}: {outcome.error}")
        elif outcome.path:
            info(f"{outcome.name}: {'unchanged' if outcome.unchanged else 'wrote'} {outcome.path}")
        elif outcome.skipped and not result.nothing_fetched:
            problem(f"{outcome.name}: no report written ({outcome.skipped})")
    if result.nothing_fetched:
        problem("Error: nothing could be fetched; no report was written or changed")
