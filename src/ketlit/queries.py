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
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketlit.errors import ConfigError, InputError
from ketlit.files import read_limited
from ketlit.sources.ctgov_vocab import parse_statuses
from ketlit.tagging.vocab import tag_vocabularies

FOCUS_AXES = ("indication", "route", "molecule")

# Query names become report file names, so they are restricted to portable path characters.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DATE_FORMATS = ("%Y/%m/%d", "%Y/%m", "%Y")
MAX_QUERY_FILE_BYTES = 1024 * 1024


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


class _Checker:
    """Builds one-line errors that name the file and the dotted key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str | None, message: str) -> ConfigError:
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        return ConfigError(where + " ".join(message.split()))

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
        value = data.get(key.rsplit(".", 1)[-1])
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table ([{key}]), got {_type_name(value)}")
        return value

    def known_keys(self, data: Mapping[str, Any], allowed: Sequence[str], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                dotted = f"{prefix}.{key}" if prefix else key
                raise self.error(dotted, f"unknown key (expected one of: {', '.join(allowed)})")

    def required_string(self, data: Mapping[str, Any], key: str, dotted: str) -> str:
        text = self.string(data, key, dotted)
        if text is None:
            raise self.error(dotted, "is required")
        return text

    def string(self, data: Mapping[str, Any], key: str, dotted: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(dotted, f"must be a string, got {_type_name(value)}")
        # Multi-line TOML strings keep long PubMed terms readable; the services, the run
        # log and ``ingest.query_key`` all see the term with its whitespace collapsed.
        text = " ".join(value.split())
        if not text:
            raise self.error(dotted, "must not be empty")
        return text

    def strings(self, data: Mapping[str, Any], key: str, dotted: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(dotted, f"must be a list of strings, got {_describe_list(value)}")
        out: list[str] = []
        for i, item in enumerate(value):
            text = item.strip()
            if not text:
                raise self.error(f"{dotted}[{i}]", "must not be empty")
            if text not in out:
                out.append(text)
        return tuple(out)

    def integer(self, data: Mapping[str, Any], key: str, dotted: str, minimum: int) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        # bool is an int subclass in Python; `true` is never a sensible count.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(dotted, f"must be an integer, got {_type_name(value)}")
        if value < minimum:
            raise self.error(dotted, f"must be at least {minimum}, got {value}")
        return value

    def boolean(self, data: Mapping[str, Any], key: str, dotted: str) -> bool | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.error(dotted, f"must be true or false, got {_type_name(value)}")
        return value

    def date(self, data: Mapping[str, Any], key: str, dotted: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        # An unquoted TOML date (mindate = 2000-01-01) arrives as a date object: accept it.
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.strftime("%Y/%m/%d")
        if not isinstance(value, str):
            raise self.error(dotted, f'must be a date string such as "2000" or "2000/01/31", got {_type_name(value)}')
        text = value.strip().replace("-", "/")
        for fmt in _DATE_FORMATS:
            try:
                dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return text
        raise self.error(dotted, f"must be YYYY, YYYY/MM or YYYY/MM/DD, got {value!r}")


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def _describe_list(value: object) -> str:
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        return f"a list containing {_type_name(bad)}"
    return _type_name(value)


# -- loading --------------------------------------------------------------------------------

_TOP_KEYS = ("name", "title", "description", "pubmed", "ctgov", "focus", "check", "report")
_PUBMED_KEYS = ("term", "mindate", "maxdate")
_CTGOV_KEYS = ("term", "cond", "intr", "status")
_CHECK_KEYS = ("pages", "claims")
_REPORT_KEYS = ("key_evidence_limit", "years", "overdue_years", "plots", "changes_limit")


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
    c = _Checker(path)
    vocab = tag_vocabularies() if vocabularies is None else vocabularies
    c.known_keys(data, _TOP_KEYS, "")

    name = c.string(data, "name", "name") or path.stem
    if not _NAME.match(name):
        raise c.error("name", f"{name!r} must be lower-case letters, digits, '-' or '_' (it names the report file)")
    title = c.string(data, "title", "title") or name
    description = c.string(data, "description", "description") or ""

    pubmed = None
    section = c.table(data, "pubmed")
    if section is not None:
        c.known_keys(section, _PUBMED_KEYS, "pubmed")
        term = c.required_string(section, "term", "pubmed.term")
        mindate = c.date(section, "mindate", "pubmed.mindate")
        maxdate = c.date(section, "maxdate", "pubmed.maxdate")
        if mindate and maxdate and _date_key(mindate) > _date_key(maxdate):
            raise c.error("pubmed.maxdate", f"{maxdate} is before pubmed.mindate {mindate}")
        pubmed = PubmedQuery(term, mindate, maxdate)

    ctgov = None
    section = c.table(data, "ctgov")
    if section is not None:
        c.known_keys(section, _CTGOV_KEYS, "ctgov")
        ct_term = c.string(section, "term", "ctgov.term")
        cond = c.string(section, "cond", "ctgov.cond")
        intr = c.string(section, "intr", "ctgov.intr")
        if not (ct_term or cond or intr):
            # The API would return the whole registry (~500,000 studies) for an empty query.
            raise c.error("ctgov", "needs at least one of term, cond or intr")
        statuses: list[str] = []
        for i, raw in enumerate(c.strings(section, "status", "ctgov.status")):
            try:
                parsed = parse_statuses(raw)  # the same spellings as `ketlit fetch ctgov --status`
            except InputError as exc:
                raise c.error(f"ctgov.status[{i}]", str(exc)) from None
            statuses.extend(s for s in parsed if s not in statuses)
        ctgov = CtgovQuery(ct_term, cond, intr, tuple(statuses))

    if pubmed is None and ctgov is None:
        raise c.error(None, "needs a [pubmed] or a [ctgov] section (or both)")

    focus_values: dict[str, tuple[str, ...]] = {}
    section = c.table(data, "focus")
    if section is not None:
        c.known_keys(section, FOCUS_AXES, "focus")
        for axis in FOCUS_AXES:
            values = c.strings(section, axis, f"focus.{axis}")
            allowed = tuple(vocab.get(axis, ()))
            for i, slug in enumerate(values):
                if slug not in allowed:
                    raise c.error(f"focus.{axis}[{i}]",
                                  f"unknown {axis} slug {slug!r} (expected one of: {', '.join(allowed)})")
            focus_values[axis] = values
    focus = Focus(**focus_values)

    check = CheckSpec()
    section = c.table(data, "check")
    if section is not None:
        c.known_keys(section, _CHECK_KEYS, "check")
        pages = []
        for i, rel in enumerate(c.strings(section, "pages", "check.pages")):
            page = (path.parent / rel).resolve()
            if check_pages and not page.is_file():
                raise c.error(f"check.pages[{i}]", f"no such file: {rel} (paths are relative to the query file)")
            pages.append(page)
        check = CheckSpec(tuple(pages), c.strings(section, "claims", "check.claims"))

    options = ReportOptions()
    section = c.table(data, "report")
    if section is not None:
        c.known_keys(section, _REPORT_KEYS, "report")
        given: dict[str, Any] = {
            "key_evidence_limit": c.integer(section, "key_evidence_limit", "report.key_evidence_limit", 1),
            "years": c.integer(section, "years", "report.years", 1),
            "overdue_years": c.integer(section, "overdue_years", "report.overdue_years", 1),
            "plots": c.boolean(section, "plots", "report.plots"),
            "changes_limit": c.integer(section, "changes_limit", "report.changes_limit", 1),
        }
        options = ReportOptions(**{k: v for k, v in given.items() if v is not None})

    return QueryFile(name, title, path, description, pubmed, ctgov, focus, check, options)


def _date_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("/"))


def load_query(
    path: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> QueryFile:
    """Read and validate one query file; one-line :class:`ConfigError` / :class:`InputError`."""
    path = Path(path)
    raw = read_limited(path, MAX_QUERY_FILE_BYTES, "query file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_query(data, path, vocabularies=vocabularies, check_pages=check_pages)


def load_queries(
    directory: Path,
    *,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    check_pages: bool = True,
) -> list[QueryFile]:
    """Every ``*.toml`` in ``directory`` (sorted by file name), validated; names must be unique."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"no such queries directory: {directory}")
    paths = sorted(p for p in directory.glob("*.toml") if p.is_file())
    if not paths:
        raise InputError(f"no query files (*.toml) in {directory}")
    queries: list[QueryFile] = []
    seen: dict[str, Path] = {}
    for path in paths:
        query = load_query(path, vocabularies=vocabularies, check_pages=check_pages)
        if query.name in seen:
            raise ConfigError(
                f"{path}: name: {query.name!r} is already used by {seen[query.name]} (report files would collide)"
            )
        seen[query.name] = path
        queries.append(query)
    return queries


__all__ = [
    "CheckSpec",
    "CtgovQuery",
    "Focus",
    "PubmedQuery",
    "QueryFile",
    "ReportOptions",
    "load_queries",
    "load_query",
    "parse_query",
]
