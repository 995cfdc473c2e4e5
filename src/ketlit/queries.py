"""Query files: a named evidence question in ``queries/*.toml``.

A query file says what to fetch (a PubMed term, ClinicalTrials.gov parameters), what the
question is about (indication / route / molecule tag slugs), what to check (clinic pages,
claim sentences) and how to report it::

    name = "ptsd"
    title = "Ketamine for post-traumatic stress disorder"
    description = "..."

    [pubmed]
    term = '("Ketamine"[Mesh] OR ketamine[tiab]) AND ("Stress Disorders, Post-Traumatic"[Mesh] OR PTSD[tiab])'
    mindate = "2000"

    [ctgov]
    cond = "PTSD"
    intr = "ketamine OR esketamine"
    status = ["COMPLETED", "Active, not recruiting"]   # API value or website name, any case

    [focus]
    indication = ["ptsd"]
    route = ["intravenous", "intranasal"]
    molecule = ["racemic_ketamine", "esketamine"]

    [check]
    pages = ["pages/clinic.html"]           # relative to this file
    claims = ["Ketamine is effective for PTSD."]

    [report]
    key_evidence_limit = 20

Design decisions:
- **Strict schema.** Unknown keys, wrong types and unknown slugs are errors, not warnings:
  a typo such as ``[pubmed] trem = …`` would otherwise silently fetch nothing, every night.
  Each error is one line naming the file and the dotted key (``ptsd.toml: focus.route: …``).
- **Same normalisation as the CLI.** Dates become ``YYYY[/MM[/DD]]`` as ``ketlit fetch``
  normalises them, and statuses go through the one parser ``ketlit fetch ctgov --status``
  uses (:func:`ketlit.sources.ctgov_vocab.parse_statuses`: API enum or website name, any
  case, ``|`` or ``,`` between several), so a query file and the equivalent command line
  share one watermark (``ingest.query_key`` / ``ingest.ctgov_query_key``).
- **Slugs come from the tagging rules.** ``[focus]`` slugs are checked against the
  vocabularies of the tagging rules (:mod:`ketlit.tagging.vocab`), never against a list of our own:
  the caller passes the effective (possibly user-extended) vocabularies, and without them
  the packaged tagging rules decide, so a slug added to the tagging rules is accepted here
  without a code change.
- **Pages are resolved and checked at load time** (relative to the query file), so a moved
  clinic page fails at ``ketlit report`` start, not half-way through a scheduled refresh.
- Pure data in, frozen dataclasses out; the only I/O is reading the TOML file itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketlit.errors import ConfigError, InputError, KetlitError
from ketlit.sources.ctgov_vocab import parse_statuses
from ketlit.tagging.vocab import tag_vocabularies
from ketlit.tomlfile import Table, describe, read_user

FOCUS_AXES = ("indication", "route", "molecule")

# Query names become report file names, so they are restricted to portable path characters.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DATE_FORMATS = ("%Y/%m/%d", "%Y/%m", "%Y")


@dataclass(frozen=True)
class PubmedQuery:
    """The PubMed side: an E-utilities search term and optional publication-date bounds."""

    term: str
    mindate: str | None = None
    maxdate: str | None = None


@dataclass(frozen=True)
class CtgovQuery:
    """The ClinicalTrials.gov side: ``query.term`` / ``query.cond`` / ``query.intr`` and statuses."""

    term: str | None = None
    cond: str | None = None
    intr: str | None = None
    status: tuple[str, ...] = ()


@dataclass(frozen=True)
class Focus:
    """Tag slugs the question is about; an empty axis means "any"."""

    indication: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    molecule: tuple[str, ...] = ()

    def filters(self) -> dict[str, list[str]]:
        """Non-empty axes as ``{axis: [slugs]}`` (the shape ``Store.records_with_tags`` takes)."""
        return {axis: list(values) for axis in FOCUS_AXES if (values := getattr(self, axis))}


@dataclass(frozen=True)
class CheckSpec:
    """Clinic pages (absolute, resolved paths) and claim sentences to check."""

    pages: tuple[Path, ...] = ()
    claims: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportOptions:
    """How the report is drawn.

    ``key_evidence_limit``: rows per key-evidence table. ``years``: the publications-per-year
    chart shows this many most recent years (counted back from the latest year with a
    publication, never from the clock) and folds the rest into one "earlier" bar.
    ``overdue_years``: a completed trial with neither results nor a linked publication this
    many years after completion is flagged. ``plots``: draw the SVG figures.
    ``changes_limit``: items listed per kind in "Changes since last run".
    """

    key_evidence_limit: int = 20
    years: int | None = None
    overdue_years: int = 2
    plots: bool = True
    changes_limit: int = 50


@dataclass(frozen=True)
class QueryFile:
    """One evidence question, as loaded and validated from ``queries/NAME.toml``."""

    name: str
    title: str
    path: Path
    description: str = ""
    pubmed: PubmedQuery | None = None
    ctgov: CtgovQuery | None = None
    focus: Focus = field(default_factory=Focus)
    check: CheckSpec = field(default_factory=CheckSpec)
    report: ReportOptions = field(default_factory=ReportOptions)


# -- validation helpers -----------------------------------------------------------------------
# Type checks and error wording are ketlit.tomlfile's (one validator for every user TOML file);
# what is particular to query files is here: whitespace collapsed, list items stripped and
# de-duplicated, dates normalised.


def _text(table: Table, key: str) -> str | None:
    value = table.string(key, None, nonblank=True)
    # Multi-line TOML strings keep long PubMed terms readable; the services, the run
    # log and ``ingest.query_key`` all see the term with its whitespace collapsed.
    return None if value is None else " ".join(value.split())


def _required_text(table: Table, key: str) -> str:
    return " ".join(table.string(key, nonblank=True).split())


def _strings(table: Table, key: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.strip() for item in table.strings(key, nonblank=True)))


def _date(table: Table, key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    # An unquoted TOML date (mindate = 2000-01-01) arrives as a date object: accept it.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d")
    if not isinstance(value, str):
        raise table.error(key, f'must be a date string such as "2000" or "2000/01/31", got {describe(value)}')
    text = value.strip().replace("-", "/")
    for fmt in _DATE_FORMATS:
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return text
    raise table.error(key, f"must be YYYY, YYYY/MM or YYYY/MM/DD, got {value!r}")


def _date_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("/"))


# -- loading --------------------------------------------------------------------------------

_TOP_KEYS = ("name", "title", "description", "pubmed", "ctgov", "focus", "check", "report")
_PUBMED_KEYS = ("term", "mindate", "maxdate")
_CTGOV_KEYS = ("term", "cond", "intr", "status")
_CHECK_KEYS = ("pages", "claims")
# Years are added to completion dates (report.derive.is_overdue): beyond this, dates overflow.
MAX_OVERDUE_YEARS = 100
_REPORT_KEYS = ("key_evidence_limit", "years", "overdue_years", "plots", "changes_limit")


def _pubmed(section: Table) -> PubmedQuery:
    section.known_keys(_PUBMED_KEYS)
    term = _required_text(section, "term")
    mindate = _date(section, "mindate")
    maxdate = _date(section, "maxdate")
    if mindate and maxdate and _date_key(mindate) > _date_key(maxdate):
        raise section.error("maxdate", f"{maxdate} is before pubmed.mindate {mindate}")
    return PubmedQuery(term, mindate, maxdate)


def _focus(section: Table, vocab: Mapping[str, Collection[str]]) -> Focus:
    section.known_keys(FOCUS_AXES)
    values: dict[str, tuple[str, ...]] = {}
    for axis in FOCUS_AXES:
        slugs = _strings(section, axis)
        allowed = tuple(vocab.get(axis, ()))
        for i, slug in enumerate(slugs):
            if slug not in allowed:
                raise section.error(f"{axis}[{i}]",
                                    f"unknown {axis} slug {slug!r} (expected one of: {', '.join(allowed)})")
        values[axis] = slugs
    return Focus(**values)


def _check(section: Table, path: Path, check_pages: bool) -> CheckSpec:
    section.known_keys(_CHECK_KEYS)
    pages = []
    for i, rel in enumerate(_strings(section, "pages")):
        page = (path.parent / rel).resolve()
        if check_pages and not page.is_file():
            raise section.error(f"pages[{i}]", f"no such file: {rel} (paths are relative to the query file)")
        pages.append(page)
    return CheckSpec(tuple(pages), _strings(section, "claims"))


def _report(section: Table) -> ReportOptions:
    section.known_keys(_REPORT_KEYS)
    given: dict[str, Any] = {
        "key_evidence_limit": section.integer("key_evidence_limit", None, minimum=1),
        "years": section.integer("years", None, minimum=1),
        "overdue_years": section.integer("overdue_years", None, minimum=1, maximum=MAX_OVERDUE_YEARS),
        "plots": section.boolean("plots", None),
        "changes_limit": section.integer("changes_limit", None, minimum=1),
    }
    return ReportOptions(**{k: v for k, v in given.items() if v is not None})


def parse_query(
    data: Mapping[str, Any],
    path: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> QueryFile:
    """Validate parsed TOML ``data`` from ``path`` into a :class:`QueryFile` (no file reads
    except, when ``check_pages``, checking that each listed page exists).

    ``vocabularies`` ({axis: slugs}) are the effective tagging rules' (see :mod:`ketlit.tagging.vocab`);
    without them the packaged tagging rules' slugs are allowed."""
    c = Table(data, str(path))  # the file's top-level table; errors name the file and the dotted key
    vocab = tag_vocabularies() if vocabularies is None else vocabularies
    c.known_keys(_TOP_KEYS)

    name = _text(c, "name") or path.stem
    if not _NAME.match(name):
        raise c.error("name", f"{name!r} must be lower-case letters, digits, '-' or '_' (it names the report file)")
    title = _text(c, "title") or name
    description = _text(c, "description") or ""

    section = c.table("pubmed")
    pubmed = None if section is None else _pubmed(section)

    ctgov = None
    section = c.table("ctgov")
    if section is not None:
        section.known_keys(_CTGOV_KEYS)
        ct_term = _text(section, "term")
        cond = _text(section, "cond")
        intr = _text(section, "intr")
        if not (ct_term or cond or intr):
            # The API would return the whole registry (~500,000 studies) for an empty query.
            raise c.error("ctgov", "needs at least one of term, cond or intr")
        statuses: list[str] = []
        for i, raw in enumerate(_strings(section, "status")):
            try:
                parsed = parse_statuses(raw)  # the same spellings as `ketlit fetch ctgov --status`
            except InputError as exc:
                raise c.error(f"ctgov.status[{i}]", str(exc)) from None
            statuses.extend(s for s in parsed if s not in statuses)
        ctgov = CtgovQuery(ct_term, cond, intr, tuple(statuses))

    if pubmed is None and ctgov is None:
        raise c.error(None, "needs a [pubmed] or a [ctgov] section (or both)")

    section = c.table("focus")
    focus = Focus() if section is None else _focus(section, vocab)
    section = c.table("check")
    check = CheckSpec() if section is None else _check(section, path, check_pages)
    section = c.table("report")
    options = ReportOptions() if section is None else _report(section)
    return QueryFile(name, title, path, description, pubmed, ctgov, focus, check, options)


def load_query(
    path: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> QueryFile:
    """Read and validate one query file; one-line :class:`ConfigError` naming the file."""
    path = Path(path)
    document = read_user(path, "query file")
    return parse_query(document.data, path, vocabularies=vocabularies, check_pages=check_pages)


def load_queries(
    directory: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> list[QueryFile]:
    """Every ``*.toml`` in ``directory`` (sorted by file name), validated; names must be unique. The
    first bad file raises its one-line :class:`ConfigError`."""
    queries, bad = load_queries_apart(directory, vocabularies=vocabularies, check_pages=check_pages)
    if bad:
        raise bad[0][1]
    return queries


def load_queries_apart(
    directory: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> tuple[list[QueryFile], list[tuple[Path, KetlitError]]]:
    """Every valid ``*.toml`` in ``directory`` (sorted by file name), and each file that could not be
    used with its error (unreadable, invalid, or a name another file holds): a scheduled ``refresh``
    goes on with the others, so one colleague's typo does not freeze every report. A missing or
    empty directory still raises: then nothing at all is configured.

    A name claimed by several files belongs to the file it is the default name of (``NAME.toml``);
    the others are refused. If none is ``NAME.toml``, all are refused: whichever sorted first would
    otherwise overwrite that report with another question's records and roll its state over."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"no such queries directory: {directory}")
    paths = sorted(p for p in directory.glob("*.toml") if p.is_file())
    if not paths:
        raise InputError(f"no query files (*.toml) in {directory}")
    loaded: list[tuple[Path, QueryFile]] = []
    bad: list[tuple[Path, KetlitError]] = []
    for path in paths:
        try:
            loaded.append((path, load_query(path, vocabularies=vocabularies, check_pages=check_pages)))
        except KetlitError as exc:  # ConfigError, or InputError for a clinic page it names
            bad.append((path, exc))
    claimants: dict[str, list[Path]] = {}
    for path, query in loaded:
        claimants.setdefault(query.name, []).append(path)
    queries: list[QueryFile] = []
    for path, query in loaded:
        others = [p for p in claimants[query.name] if p != path]
        owner = next((p for p in claimants[query.name] if p.stem == query.name), None)
        if not others or path == owner:
            queries.append(query)
            continue
        holder = owner or ", ".join(str(p) for p in others)
        why = "report files would collide" + ("" if owner else "; none is written until one is renamed")
        bad.append((path, ConfigError(f"{path}: name: {query.name!r} is already used by {holder} ({why})")))
    bad.sort(key=lambda item: item[0])
    return queries, bad


__all__ = [
    "CheckSpec",
    "CtgovQuery",
    "Focus",
    "PubmedQuery",
    "QueryFile",
    "ReportOptions",
    "load_queries",
    "load_queries_apart",
    "load_query",
    "parse_query",
]
