"""Ingest runs: query → fetch → parse → store, with run records and watermarks.

A run is recorded before the first request and closed at the end with what was expected
(ESearch Count), what was retrieved and which IDs are missing. Only a run that retrieved
everything is ``complete`` and moves the query's watermark; an interrupted, limited
(``--max``) or short run leaves it where it was, so the next run asks again for
everything since the last complete one. Records are stored page by page, so work done
before an interruption is kept, and upserts make re-fetching it harmless.

A PubMed fetch overlaps the network with the CPU: the next EFetch page is requested while the
last is stored (:mod:`ketlit.jobs.prefetch`), and, given a tagger, each stored page is tagged in
worker processes meanwhile (:mod:`ketlit.jobs.fetch_tags`), so it takes about the larger of the
two rather than their sum. Neither changes what is stored, recorded or raised.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import os
import stat
import sys
import time
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from ketlit.config import Settings
from ketlit.errors import FileParseError, InputError, KetlitError, ParseError
from ketlit.files import GunzipLimited, gunzip_limited, read_limited
from ketlit.http import HttpClient, redact
from ketlit.jobs.prefetch import prefetched
from ketlit.jobs.workers import gc_paused, import_head, prepared_xml_pages, run_in_workers
from ketlit.queries import QueryFile
from ketlit.sources.ctgov import CtgovClient, search_params
from ketlit.sources.ctgov_parse import parse_study
from ketlit.sources.ctgov_vocab import parse_statuses
from ketlit.sources.models import Article
from ketlit.sources.pubmed import PubMedClient, Window
from ketlit.sources.pubmed_pages import IMPORT_PAGE_RECORDS, split_xml_pages
from ketlit.sources.pubmed_parse import iter_set, parse_medline_text, parse_pubmed_xml
from ketlit.store import PreparedPage, SaveResult, Store, prepare_page, utcnow
from ketlit.store.runs import ctgov_query_key, query_key, query_keys

if TYPE_CHECKING:
    from ketlit.jobs.tag import TagRunner

Progress = Callable[[str, int | None, int], None]  # (event, total, advance)


@dataclass
class RunReport:
    """What a run did; rendered by the CLI and kept in the ``runs`` table."""

    run_id: int
    status: str
    term: str
    mode: str
    since: str | None
    expected: int
    retrieved: int
    new: int
    updated: int
    missing: list[str]
    requests: int
    retries: int
    windows: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    tagged: int = 0  # records tagged while fetching (see ``tagger``)

    @property
    def complete(self) -> bool:
        return self.status == "complete"


def _validate_date(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    text = value.strip().replace("-", "/")
    for fmt in ("%Y/%m/%d", "%Y/%m", "%Y"):
        try:
            datetime.strptime(text, fmt)
            return text
        except ValueError:
            continue
    raise InputError(f"{flag} must be YYYY, YYYY/MM or YYYY/MM/DD (got {value!r})")


def build_term(term: str, mindate: str | None, maxdate: str | None) -> str:
    """The user's term with publication-date bounds in PubMed syntax (``[dp]``)."""
    if not term.strip():
        raise InputError("the search term is empty")
    if mindate is None and maxdate is None:
        return term
    lo = mindate or "1000"
    hi = maxdate or "3000"
    return f'({term}) AND ("{lo}"[dp] : "{hi}"[dp])'


def _stop_import(store: Store, run_id: int, exc: BaseException, retrieved: int, saved: SaveResult,
                 clock: float) -> None:
    """Record an import that ``exc`` ended before it finished (failed, or interrupted)."""
    store.finish_run(
        run_id, status=_stopped(exc), expected=None, retrieved=retrieved, new_records=saved.new,
        updated_records=saved.updated, missing_ids=[], requests=0, retries=0,
        duration_s=time.monotonic() - clock, message=_why(exc),
    )


def _stopped(exc: BaseException) -> str:
    """The run status a run left by ``exc`` gets: ``interrupted`` for Ctrl-C or SIGTERM (the next
    run would otherwise find it ``running`` until it checks the pid), else ``failed``."""
    return "failed" if isinstance(exc, KetlitError) else "interrupted"


def _why(exc: BaseException) -> str:
    # SIGTERM arrives as SystemExit only while worker processes run (ketlit.jobs.workers); otherwise it ends
    # the process at once, and the next run finds this one's process gone.
    if isinstance(exc, KetlitError):
        return str(exc)
    return "stopped by the user (Ctrl-C, or SIGTERM during a parallel step)"


def fetch_pubmed(
    store: Store,
    http: HttpClient,
    settings: Settings,
    term: str,
    *,
    mindate: str | None = None,
    maxdate: str | None = None,
    full: bool = False,
    max_records: int | None = None,
    cap: int = 9999,
    progress: Progress | None = None,
    tagger: TagRunner | None = None,
) -> RunReport:
    """Fetch every PubMed record matching ``term`` (only what changed since the last
    complete run unless ``full``) into ``store``; with a ``tagger``, tag it meanwhile."""
    mindate = _validate_date(mindate, "--mindate")
    maxdate = _validate_date(maxdate, "--maxdate")
    if max_records is not None and max_records < 1:
        raise InputError("--max must be at least 1")
    full_term = build_term(term, mindate, maxdate)
    key = query_key(term, mindate, maxdate)
    since_date = _since_date(None if full else store.watermark("pubmed", key), settings.overlap_days)
    since = since_date.isoformat() if since_date else None
    # Records added *or revised* (``mdat``) since then.
    extra: dict[str, str] = {}
    if since_date:
        extra = {"datetype": "mdat", "mindate": since_date.strftime("%Y/%m/%d"), "maxdate": "3000/12/31"}
    mode = "incremental" if since_date else "full"
    params = redact({"term": full_term, **extra, "batch_size": settings.batch_size, "max": max_records or "",
                     "eutils_url": settings.eutils_url})
    run_id = store.start_run("pubmed", key, term, params, mode, since)
    started_at = store.run_started_at(run_id)
    clock = time.monotonic()
    client = PubMedClient(http, settings.eutils_url, cap=cap)
    saved = SaveResult()
    retrieved: set[str] = set()
    expected = 0
    windows = 0
    warnings: list[str] = []
    missing: list[str] = []
    try:
        count, ids, windows, warnings = client.collect_ids(
            full_term,
            extra,
            on_window=(lambda w, n: progress("window", None, 0)) if progress else None,
        )
        expected = count
        wanted = ids[:max_records] if max_records else ids
        if progress:
            progress("total", len(wanted), 0)
        tagged = _fetch_all(client, store, run_id, key, wanted, settings.batch_size, saved, retrieved, progress,
                            tagger)
        missing = [p for p in wanted if p not in retrieved]
        if len(ids) < count:
            warnings.append(f"ESearch listed {len(ids)} IDs for a Count of {count}")
        if missing or len(ids) < count:
            status = "incomplete"
        elif max_records and len(wanted) < len(ids):
            status = "limited"
        else:
            status = "complete"
        message = "; ".join(warnings) or None
    except (KetlitError, KeyboardInterrupt, SystemExit) as exc:
        store.finish_run(
            run_id, status=_stopped(exc), expected=expected or None, retrieved=len(retrieved), new_records=saved.new,
            updated_records=saved.updated, missing_ids=[], requests=http.requests_made, retries=http.retries,
            duration_s=time.monotonic() - clock, windows=windows or None, message=_why(exc),
        )
        raise
    seconds = time.monotonic() - clock
    store.finish_run(
        run_id, status=status, expected=expected, retrieved=len(retrieved), new_records=saved.new,
        updated_records=saved.updated, missing_ids=missing, requests=http.requests_made, retries=http.retries,
        duration_s=seconds, windows=windows, message=message,
        watermark=started_at if status == "complete" else None,
    )
    return RunReport(
        run_id, status, term, mode, since, expected, len(retrieved), saved.new, saved.updated, missing,
        http.requests_made, http.retries, windows, seconds, warnings, tagged,
    )


def _since_date(watermark: str | None, overlap_days: int) -> date | None:
    """The first date an incremental run asks for: the watermark's day less the overlap (None: full run).

    The overlap catches records the services date in the past (indexing lag, time zones)."""
    if not watermark:
        return None
    return datetime.fromisoformat(watermark.replace("Z", "+00:00")).date() - timedelta(days=overlap_days)


def _fetch_all(
    client: PubMedClient, store: Store, run_id: int, key: str, wanted: list[str], batch_size: int,
    saved: SaveResult, retrieved: set[str], progress: Progress | None, tagger: TagRunner | None = None,
) -> int:
    """EFetch ``wanted`` in batches into ``store``, then once more for any that did not arrive.
    ``saved`` and ``retrieved`` grow as pages are stored, so a failure leaves what was done.

    The next batch is requested while the last is stored (:func:`ketlit.jobs.prefetch.prefetched`):
    requests go out in the same order, one at a time, and pages are stored in that order. With a
    ``tagger``, what each page added or changed is tagged meanwhile, in worker processes forked
    before the prefetch thread starts (:mod:`ketlit.jobs.fetch_tags`). Returns how many it tagged."""
    with gc_paused(), _tagging(store, tagger, len(wanted)) as tagging:
        for attempt in range(2):
            todo = [p for p in wanted if p not in retrieved]
            batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
            for batch, page in prefetched(lambda batch: _request_batch(client, batch), batches):
                before = store.content_shas("pubmed", batch) if tagging else {}
                articles, stored = _store_batch(client, store, run_id, key, batch, page, saved)
                got = {a.pmid for a in articles} & set(batch)
                if progress:
                    progress("advance", None, len(got - retrieved))
                retrieved |= got
                if tagging:
                    tagging.add(before, [p for p in batch if p in got], stored)
            if attempt == 0 and len(retrieved) == len(wanted):
                break
    return tagging.tagged if tagging else 0


# Tagging workers during a fetch, as for ``ketlit tag``: one per core, at most 4; one core: none
# (each page is then tagged between pages, still overlapping the requests).
_TAG_WORKERS = 0 if (os.cpu_count() or 1) < 2 else min(4, os.cpu_count() or 1)


def _tagging(store: Store, tagger: TagRunner | None, records: int) -> contextlib.AbstractContextManager[Any]:
    """Tagging of each stored page while the fetch goes on (:mod:`ketlit.jobs.fetch_tags`), or nothing."""
    if tagger is None or not records:
        return contextlib.nullcontext()
    from ketlit.jobs.fetch_tags import PageTagging  # the tagging rules and workers only when asked for

    return PageTagging(store, tagger, workers=_TAG_WORKERS)


@dataclass(frozen=True)
class _Page:
    """One accepted EFetch answer: the raw body and its content type."""

    body: bytes
    content_type: str | None


def _request_batch(client: PubMedClient, batch: list[str]) -> _Page:
    """EFetch one batch (network only: runs in the prefetch thread, touches no database). The body
    is only checked there (:func:`ketlit.sources.pubmed.check_efetch`); parsing it waits for
    :func:`_store_batch`, so the next request need not wait for this page's parse."""
    return _Page(*client.efetch_body(batch))


def _store_batch(
    client: PubMedClient, store: Store, run_id: int, key: str, batch: list[str], page: _Page, saved: SaveResult
) -> tuple[list[Article], PreparedPage]:
    """Parse and store one EFetch page: (the articles it held, the page as stored)."""
    try:
        articles = parse_pubmed_xml(page.body)
    except ParseError:
        # Complete at its end but damaged inside: asked again, and parsed as it arrives, so it is
        # retried like any bad body and fails, if it does, with the same one line as ever.
        pages: list[tuple[bytes, str | None]] = []
        articles = client.efetch(batch, on_body=lambda body, ctype: pages.append((body, ctype)))
        page = _Page(*pages[-1])
    wanted = set(batch)
    prepared = prepare_page(page.body, [a for a in articles if a.pmid in wanted])
    saved += store.save_prepared(
        run_id=run_id,
        source="pubmed",
        endpoint="efetch",
        request={"db": "pubmed", "id": f"{batch[0]}..{batch[-1]} ({len(batch)} ids)"},
        content_type=page.content_type,
        page=prepared,
        query_key=key,
    )
    return articles, prepared


# -- import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    run_id: int
    path: str
    format: str
    records: int
    new: int
    updated: int
    unchanged: int


MAX_IMPORT_BYTES = 2 * 1024**3


def detect_format(data: bytes) -> str:
    """'xml' for PubMed XML, 'medline' for MEDLINE/.nbib text."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    text = head.decode("utf-8", errors="replace")
    if any(line.startswith("PMID-") for line in text.splitlines()):
        return "medline"
    if head.startswith((b"{", b"[")):
        # ClinicalTrials.gov's "Download JSON" (or an API page) is the JSON a user is likeliest to try.
        raise ParseError("unrecognised file: this is JSON (a ClinicalTrials.gov download?), but import reads PubMed "
                         "XML or MEDLINE/.nbib text; `ketlit fetch ctgov` fetches trials")
    raise ParseError("unrecognised file: expected PubMed XML or MEDLINE/.nbib text (PMID- lines)")


def read_import_file(path: Path) -> bytes:
    data = read_limited(path, MAX_IMPORT_BYTES, "file")
    if data[:2] == b"\x1f\x8b":
        data = gunzip_limited(data, path)  # capped: a .nbib.gz bomb is refused, not expanded whole
    return data


# Below this size an XML import runs in this process: a worker costs a fork (~10-20 ms) and
# there is no second page to overlap with.
WORKER_MIN_BYTES = 1 << 20
# Parsing needs about twice the CPU of writing (bench/README.md), so two workers keep the
# writer busy even on 2 cores; a third helps only where there is a core for it, and past
# that the single SQLite writer is the limit. One core: no worker at all.
_CPUS = os.cpu_count() or 1
IMPORT_WORKERS = 0 if _CPUS < 2 else min(3, _CPUS)


def import_file(
    store: Store,
    path: Path,
    *,
    records_per_page: int = IMPORT_PAGE_RECORDS,
    workers: int | None = None,
) -> ImportReport:
    """Import a PubMed XML or MEDLINE/.nbib export into the same tables as fetched records.

    PMIDs a page withdraws (``<DeleteCitation>``, as in PubMed update files) are removed
    from the cache when that page is stored (:mod:`ketlit.store.articles`).

    PubMed XML is streamed, never read whole: cut into pages of ``records_per_page``
    records (:func:`ketlit.sources.pubmed_pages.split_xml_pages`), and each page is stored
    like an EFetch page, raw body included, in its own transaction (``kill -9`` leaves whole
    pages; importing the file again completes it, upserts making the rest harmless). Pages
    are parsed and made ready by ``workers`` worker processes while this one only writes
    (:mod:`ketlit.jobs.workers`); by default :data:`IMPORT_WORKERS` for files over
    :data:`WORKER_MIN_BYTES`, else none (0: parse here, between writes). Errors in the first
    page (not XML, not PubMed, truncated, no records) are raised before a run is recorded;
    an error in a later page marks the run ``failed`` and keeps the pages before it.
    MEDLINE/.nbib files are parsed whole and stored as one page, as before.

    ``-`` is standard input, and a pipe or other non-seekable file (``/dev/stdin``, a FIFO) is
    read the same way: once, front to back (:func:`import_stream`).
    """
    with prepare_import(path, records_per_page=records_per_page, workers=workers) as pending:
        return pending.store_into(store)


@dataclass
class PendingImport:
    """An import read as far as its first record (XML) or whole (MEDLINE), and not yet stored."""

    path: Path  # as given ("-": standard input), to name it in errors
    name: str  # the run's name
    shown: str  # how messages name it
    data: bytes = b""  # MEDLINE: the text, parsed whole into ``articles``
    articles: list[Article] = field(default_factory=list)
    ready: list[PreparedPage] = field(default_factory=list)  # XML: the pages up to the first record
    pages: Generator[PreparedPage, None, None] | None = None  # XML: the pages after them

    def store_into(self, store: Store) -> ImportReport:
        """Store it as one import run."""
        with _naming(self.path):
            if self.pages is None:
                return _store_medline(store, self)
            # The rows arriving from the workers are millions of small acyclic objects (see gc_paused).
            with gc_paused():
                return _store_xml_pages(store, self, self.pages)

    def close(self) -> None:
        """Stop the workers of XML pages not stored to the end."""
        if self.pages is not None:
            self.pages.close()


@contextlib.contextmanager
def prepare_import(path: Path, *, records_per_page: int = IMPORT_PAGE_RECORDS,
                   workers: int | None = None) -> Iterator[PendingImport]:
    """Read an import (file or stream, see :func:`import_file`) up to its first record, before the cache
    is opened: a file or pipe with nothing to import (missing, no PubMed export, truncated, no record)
    fails here, so it never leaves behind a new, empty cache, which later reading commands took for a
    real one. Leaving the block stops the workers of an XML file not stored to the end."""
    with _naming(path):
        if is_stream(path):
            name = STDIN_NAME if str(path) == "-" else path.name
            pending = _prepare_stream(path, _open_stream(path), name, records_per_page)
        elif detect_format(import_head(path)) == "medline":
            data = read_import_file(path)
            pending = PendingImport(path, path.name, str(path), data, _read_medline(data, str(path)))
        else:
            if workers is None:
                workers = IMPORT_WORKERS if path.stat().st_size > WORKER_MIN_BYTES else 0
            pages = run_in_workers(prepared_xml_pages, path, records_per_page, workers=workers)
            pending = _pending_xml(path, path.name, str(path), pages)
    with contextlib.closing(pending):
        yield pending


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Which file, when a parser's message does not say ("malformed or truncated XML: …"). The run was
    marked failed (and the pages before the fault kept) where the error arose."""
    try:
        yield
    except FileParseError:
        raise
    except ParseError as exc:
        # Told by its class, not by how the message starts: a file named "u", "e" or "unrecognised file"
        # went unnamed, "unrecognised file: …" starting with its name.
        shown = STDIN_NAME if str(path) == "-" else str(path)
        raise FileParseError(f"{shown}: {exc}") from None


def _pending_xml(path: Path, name: str, shown: str, pages: Generator[PreparedPage, None, None]) -> PendingImport:
    """XML pages read up to the first that holds a record: pages before it (none, in a PubMed file) wait
    with it, so a file that fails early or holds no record leaves no run, and no new cache, behind. A
    ``DeleteCitation`` counts: an update file may only withdraw records."""
    ready = []
    try:
        with gc_paused():
            for page in pages:
                ready.append(page)
                if page.rows or page.deleted:
                    break
        if not any(page.rows or page.deleted for page in ready):
            raise FileParseError(f"{shown}: no PubMed records found")
    except BaseException:
        pages.close()
        raise
    return PendingImport(path, name, shown, ready=ready, pages=pages)


def _store_xml_pages(store: Store, pending: PendingImport, pages: Generator[PreparedPage, None, None]) -> ImportReport:
    run_id = store.start_run("import", "import:" + pending.name, None, {"path": pending.shown, "format": "xml"},
                             "import", None)
    clock = time.monotonic()
    saved = SaveResult()
    pmids: set[str] = set()
    try:
        for number, page in enumerate(itertools.chain(pending.ready, pages), start=1):
            saved += store.save_prepared(
                run_id=run_id,
                source="import",
                endpoint="xml",
                request={"path": pending.name, "page": str(number)},
                content_type="text/xml",
                page=page,
            )
            pmids.update(r.article["pmid"] for r in page.rows)
    except (KetlitError, KeyboardInterrupt, SystemExit) as exc:
        _stop_import(store, run_id, exc, len(pmids), saved, clock)
        raise
    return _finish_import(store, run_id, pending.shown, "xml", len(pmids), saved, clock)


def pubmed_key(query: QueryFile) -> str:
    """The key ``query``'s PubMed results are kept under (one-line error if it searches no PubMed)."""
    key = query_keys(query).get("pubmed")
    if key is None:
        raise InputError(f"{query.path}: the query has no [pubmed] search to count PubMed records under")
    return key


def attach_to_query(store: Store, report: ImportReport, key: str) -> int:
    """Count an import's records as results of the PubMed search ``key`` (:func:`pubmed_key`;
    ``ketlit import --query``): a PubMed export saved from a query's search then belongs to the query,
    and its report shows it, as if the query had fetched it. Returns how many records were attached."""
    return store.runs.attach_run_records(report.run_id, "pubmed", key)


def _read_medline(data: bytes, shown: str) -> list[Article]:
    """MEDLINE/.nbib text → records (Bio.Medline); a ParseError when there is none, or the text is cut."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # PubMed exports are UTF-8; older tools wrote Latin-1. Documented fallback.
        text = data.decode("latin-1")
    articles = parse_medline_text(text)
    if not articles:
        raise FileParseError(f"{shown}: no PubMed records found")
    return articles


def _store_medline(store: Store, pending: PendingImport) -> ImportReport:
    """MEDLINE: stored as one page."""
    run_id = store.start_run("import", "import:" + pending.name, None, {"path": pending.shown, "format": "medline"},
                             "import", None)
    clock = time.monotonic()
    try:
        saved = store.save_page(
            run_id=run_id,
            source="import",
            endpoint="medline",
            request={"path": pending.name},
            content_type="text/plain",
            body=pending.data,
            articles=pending.articles,
        )
    except (KetlitError, KeyboardInterrupt, SystemExit) as exc:
        _stop_import(store, run_id, exc, 0, SaveResult(), clock)
        raise
    records = len({a.pmid for a in pending.articles})
    return _finish_import(store, run_id, pending.shown, "medline", records, saved, clock)


# -- import from a pipe -----------------------------------------------------------------------

STDIN_NAME = "stdin"
# MEDLINE is parsed whole, so what a pipe may bring is held in memory: far above PubMed's
# 10,000-record "Save" limit (~50 MB), far below what a decompression bomb would expand to.
MAX_MEDLINE_STREAM_BYTES = 256 * 1024**2


def is_stream(path: Path) -> bool:
    """Whether ``path`` is read as a stream: ``-`` (standard input), or anything that exists but is
    neither a regular file nor a directory (a pipe, a FIFO, ``/dev/stdin`` fed by a pipe)."""
    if str(path) == "-":
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False  # the file path gives the usual one-line error
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _open_stream(path: Path) -> IO[bytes]:
    if str(path) == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("`ketlit import -` reads standard input: pipe a PubMed export into it, e.g. "
                             "efetch -format xml | ketlit import -")
        return sys.stdin.buffer
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class _OnePass(io.RawIOBase):
    """A stream read once, front to back, whose first bytes can be looked at first (:meth:`head`)
    and that refuses to deliver more than ``limit`` bytes: a pipe cannot be sized, or rewound."""

    def __init__(self, source: IO[bytes], name: str, limit: int) -> None:
        super().__init__()
        self._source, self._name, self._limit = source, name, limit
        self._head = b""
        self._count = 0

    def readable(self) -> bool:
        return True

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer if the stream is shorter), still to be read."""
        while len(self._head) < size:
            chunk = self._take(size - len(self._head))
            if not chunk:
                break
            self._head += chunk
        return self._head[:size]

    def _take(self, size: int) -> bytes:
        try:
            chunk = self._source.read(size) or b""
        except OSError as exc:
            raise InputError(f"cannot read {self._name}: {exc.strerror or exc}") from None
        self._count += len(chunk)
        if self._count > self._limit:
            raise InputError(f"{self._name}: more than {self._limit >> 30} GiB; is this really a PubMed export?")
        return chunk

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._head[: len(view)] if self._head else self._take(len(view))
        self._head = self._head[len(chunk):] if self._head else b""
        view[: len(chunk)] = chunk
        return len(chunk)


def import_stream(store: Store, source: IO[bytes], name: str, *,
                  records_per_page: int = IMPORT_PAGE_RECORDS) -> ImportReport:
    """Import PubMed XML or MEDLINE read once from ``source`` (see :func:`_prepare_stream`)."""
    with contextlib.closing(_prepare_stream(Path(name), source, name, records_per_page)) as pending:
        return pending.store_into(store)


def _prepare_stream(path: Path, source: IO[bytes], name: str, records_per_page: int) -> PendingImport:
    """PubMed XML or MEDLINE read once from ``source`` (a pipe such as standard input:
    ``efetch -format xml | ketlit import -``), gunzipped on the fly if it is gzip.

    XML is streamed page by page as from a file, and parsed in this process: worker processes
    each read the file themselves, which a pipe cannot offer. Both the bytes read and the bytes
    they decompress to are capped (:data:`MAX_IMPORT_BYTES`, :data:`ketlit.files.MAX_DECOMPRESSED_BYTES`)."""
    raw = _OnePass(source, name, MAX_IMPORT_BYTES)
    stream = raw
    if raw.head(2) == b"\x1f\x8b":
        # The same decompression cap as a .gz file import (files.MAX_DECOMPRESSED_BYTES): a small
        # piped bomb is refused once its output passes the cap, never inflated whole.
        unzipped = GunzipLimited(cast(IO[bytes], raw), name)
        stream = _OnePass(cast(IO[bytes], unzipped), name, MAX_IMPORT_BYTES)
    with _stream_errors(name):
        head = stream.head(4096)
    if not head.strip():
        raise InputError(f"{name}: no input (expected PubMed XML or MEDLINE/.nbib text)")
    reader = io.BufferedReader(stream, buffer_size=1 << 20)
    if detect_format(head) == "medline":
        with _stream_errors(name):
            data = reader.read(MAX_MEDLINE_STREAM_BYTES + 1)
        if len(data) > MAX_MEDLINE_STREAM_BYTES:
            raise InputError(f"{name}: MEDLINE text over {MAX_MEDLINE_STREAM_BYTES >> 20} MiB (it is parsed whole); "
                             "pipe PubMed XML instead (efetch -format xml), which is streamed")
        return PendingImport(path, name, name, data, _read_medline(data, name))
    return _pending_xml(path, name, name, _stream_xml_pages(reader, name, records_per_page))


def _stream_xml_pages(reader: IO[bytes], name: str, records_per_page: int) -> Generator[PreparedPage, None, None]:
    with _stream_errors(name):
        for body in split_xml_pages(reader, records_per_page):
            yield prepare_page(body, iter_set(parse_pubmed_xml(body)).values())


@contextlib.contextmanager
def _stream_errors(name: str) -> Iterator[None]:
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FileParseError(f"{name}: corrupt gzip stream ({exc})") from None


def _finish_import(
    store: Store, run_id: int, shown: str, fmt: str, records: int, saved: SaveResult, clock: float
) -> ImportReport:
    """Close a completed import run (everything in the file was stored) and report it."""
    store.finish_run(
        run_id, status="complete", expected=records, retrieved=records, new_records=saved.new,
        updated_records=saved.updated, missing_ids=[], requests=0, retries=0, duration_s=time.monotonic() - clock,
    )
    return ImportReport(run_id, shown, fmt, records, saved.new, saved.updated, saved.unchanged)


__all__ = [
    "ImportReport",
    "RunReport",
    "Window",
    "attach_to_query",
    "ctgov_query_key",
    "fetch_pubmed",
    "import_file",
    "import_stream",
    "is_stream",
    "prepare_import",
    "pubmed_key",
    "query_key",
]


# -- ClinicalTrials.gov -------------------------------------------------------------------


@dataclass
class TrialRunReport:
    run_id: int
    status: str
    mode: str
    since: str | None
    expected: int | None
    retrieved: int
    new: int
    updated: int
    unchanged: int
    pages: int
    requests: int
    retries: int
    seconds: float
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fetch_ctgov(
    store: Store,
    http: HttpClient,
    settings: Settings,
    term: str | None,
    *,
    cond: str | None = None,
    intr: str | None = None,
    statuses: list[str] | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> TrialRunReport:
    """Fetch every matching study (only those updated since the last complete run unless
    ``full``), keeping each distinct version."""
    status_list = list(parse_statuses(statuses or []))
    key = ctgov_query_key(term, cond, intr, status_list)
    since_date = _since_date(None if full else store.watermark("ctgov", key), settings.overlap_days)
    since = since_date.isoformat() if since_date else None
    params = search_params(term, cond, intr, status_list, since)
    mode = "incremental" if since_date else "full"
    run_id = store.start_run("ctgov", key, term or cond or intr, redact({**params, "ctgov_url": settings.ctgov_url}),
                             mode, since)
    started_at = store.run_started_at(run_id)
    clock = time.monotonic()
    client = CtgovClient(http, settings.ctgov_url)
    seen: set[str] = set()
    totals = {"new": 0, "updated": 0, "unchanged": 0}
    expected: int | None = None
    pages = 0
    warnings: list[str] = []
    try:
        for page in client.pages(params):
            pages += 1
            if pages == 1:
                expected = page.total_count
                if progress:
                    progress("total", expected, 0)
            parsed = []
            for raw in page.studies:
                try:
                    study = parse_study(raw)
                except ParseError as exc:
                    warnings.append(f"skipped a study: {exc}")
                    continue
                parsed.append((study, raw))
            fresh = [(s, raw) for s, raw in parsed if s.nct_id not in seen]
            saved = store.save_trial_page(
                run_id=run_id, endpoint="studies", request={**params, "page": str(pages)},
                body=page.body, studies=fresh, query_key=key, fetched_at=utcnow(),
            )
            totals["new"] += saved.new
            totals["updated"] += saved.updated
            totals["unchanged"] += saved.unchanged
            seen.update(s.nct_id for s, _ in fresh)
            if progress:
                progress("advance", None, len(fresh))
    except (KetlitError, KeyboardInterrupt, SystemExit) as exc:
        store.finish_run(
            run_id, status=_stopped(exc), expected=expected, retrieved=len(seen), new_records=totals["new"],
            updated_records=totals["updated"], missing_ids=[], requests=http.requests_made, retries=http.retries,
            duration_s=time.monotonic() - clock, windows=pages or None, message=_why(exc),
        )
        raise
    status = "complete"
    if expected is not None and len(seen) != expected:
        warnings.append(f"the API reported {expected} studies but {len(seen)} arrived")
        status = "incomplete" if len(seen) < expected else "complete"
    seconds = time.monotonic() - clock
    store.finish_run(
        run_id, status=status, expected=expected, retrieved=len(seen), new_records=totals["new"],
        updated_records=totals["updated"], missing_ids=[], requests=http.requests_made, retries=http.retries,
        duration_s=seconds, windows=pages, message="; ".join(warnings) or None,
        watermark=started_at if status == "complete" else None,
    )
    changes = [c.describe() for c in store.trial_changes(run_id=run_id) if c.field != "new" or mode == "incremental"]
    return TrialRunReport(
        run_id, status, mode, since, expected, len(seen), totals["new"], totals["updated"], totals["unchanged"],
        pages, http.requests_made, http.retries, seconds, changes, warnings,
    )
