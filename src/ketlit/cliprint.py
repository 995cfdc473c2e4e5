"""The tables ``ketlit`` prints with Rich (kept out of ``cli.py``, which maps commands to jobs)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ketlit.cliutil import cell
from ketlit.jobs.lookup import CacheStatus


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
        table.add_row(Text(key.replace("_", " ")), Text(str(value)))
    print_table(out, table)
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
