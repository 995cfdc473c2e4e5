"""The fork worker pool: forked worker processes produce, the main process writes.

Two jobs use it: ``ketlit import`` (workers parse pages of a PubMed XML file; the producer,
:func:`prepared_xml_pages`, lives here) and tagging (workers tag and read numbers from
articles; the producer is :meth:`ketlit.jobs.tag.TagRunner.tag_articles`). A refresh may run
both while it holds the run lock; :mod:`ketlit.jobs.lock` closes the lock's descriptor in
every forked child, so a worker never keeps that lock alive.

Ingesting a large PubMed file is two kinds of CPU work that do not depend on each other
page by page: parsing XML into rows (lxml + Python, ~2/3 of the CPU) and writing rows
(SQLite, ~1/3). In one process they cannot overlap: SQLite releases the GIL only for each
short ``sqlite3_step``, so a parsing thread and a writing thread just take turns (measured:
no gain). So :func:`run_in_workers` runs the producer in forked worker processes, each
taking every n-th page, and the main process, which owns the only database connection,
does nothing but write. bench/README.md has the numbers.

- Items travel pickled through one pipe per worker. ``send`` blocks until the main process
  takes the item, so each worker runs at most one item ahead and memory stays bounded (a
  few pages of rows), however large the input.
- Order is kept: item ``i`` is read from worker ``i % n``. An exception in a worker (a
  :class:`ketlit.errors.KetlitError` such as a ``ParseError``, or a bug) is re-raised in
  the main process where the item it interrupted would have arrived, so callers see the
  same errors, after the same items, as when the producer runs inline.
- ``fork``, not ``spawn``: a worker starts in ~10 ms with lxml already imported, and the
  producer's arguments need no pickling. A child never touches the parent's SQLite
  connection and leaves through multiprocessing's ``os._exit``, so no finaliser of the
  parent's objects runs twice. (Forking a process that runs other threads is unsafe;
  imports run none.) Where ``fork`` is unavailable, or with ``workers=0``, the producer
  runs inline.
- **Workers die with the main process**, however it ends, because an orphaned worker once
  sat forever in ``send`` (each worker had inherited the read ends of its own pipe and of its
  elders', so the pipe never broke) and wedged the cache. Three layers, each enough alone:
  the kernel kills a worker when its parent dies (Linux ``PR_SET_PDEATHSIG`` via ``prctl``,
  set first thing in the child; a parent that died before that is caught by comparing
  ``os.getppid()`` with the pid recorded before the fork); the child closes every inherited
  read end, so the moment the main process is gone its next ``send`` fails with a broken pipe;
  and before each ``send`` the worker checks that its parent is still the one that started it,
  which also covers a platform without ``prctl``. (The death signal follows the *thread* that
  forked: run the generator from the thread that lives as long as the run, as the CLI does.)
- **SIGTERM and Ctrl-C stop the workers before the main process exits.** While workers run,
  SIGTERM raises ``SystemExit(143)`` in the main thread, so the generator's cleanup terminates
  and joins them (and a caller's ``with`` blocks release the run lock and the database) just as
  Ctrl-C's ``KeyboardInterrupt`` does; workers ignore SIGINT, which the terminal sends to the
  whole process group. Outside that window SIGTERM keeps its default (there is nothing to stop).
  If a worker dies, ``recv`` fails and the main process raises. Leaving the generator early (an
  error while writing) terminates the workers too.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import gzip
import itertools
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import pickle
import signal
import sys
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any, TypeVar, cast

from ketlit.errors import FileParseError, InputError, KetlitError
from ketlit.files import GunzipLimited, open_limited
from ketlit.sources.pubmed_pages import IMPORT_PAGE_RECORDS, split_xml_pages
from ketlit.sources.pubmed_parse import iter_set, parse_pubmed_xml
from ketlit.store.core import PreparedPage, prepare_page

T = TypeVar("T")

_ITEM, _DONE, _ERROR = 0, 1, 2


def can_fork() -> bool:
    """Whether :func:`run_in_workers` will really use worker processes here."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    # A daemonic multiprocessing worker may not start children of its own.
    return not multiprocessing.current_process().daemon


def run_in_workers(
    produce: Callable[..., Iterable[T]], *args: Any, workers: int = 1
) -> Generator[T, None, None]:
    """Yield the items of ``produce(*args, part, parts)`` for ``part`` in ``range(parts)``,
    interleaved: item ``i`` comes from part ``i % parts``. Each part runs in its own worker
    process (see the module docstring); ``workers=0``, or no ``fork`` here, runs the single
    part ``produce(*args, 0, 1)`` inline."""
    if workers < 1 or not can_fork():
        yield from produce(*args, 0, 1)
        return
    ctx = multiprocessing.get_context("fork")
    parent = os.getpid()
    receivers: list[multiprocessing.connection.Connection] = []
    processes: list[multiprocessing.process.BaseProcess] = []
    # What the parent holds now (modules, compiled rules: hundreds of thousands of objects) is
    # moved out of the cyclic collector's sight before the fork, as the gc docs advise: a
    # collection, in a worker or in this process, then walks only what was allocated since, and
    # never writes to those objects' pages, which the fork shares until someone writes to them.
    gc.freeze()
    with _sigterm_exits():
        try:
            for part in range(workers):
                receiver, sender = ctx.Pipe(duplex=False)
                receivers.append(receiver)
                process = ctx.Process(
                    target=_work, args=(parent, sender, list(receivers), produce, (*args, part, workers)),
                    daemon=True, name=f"ketlit-worker-{part}",
                )
                process.start()
                sender.close()  # the child holds the only write end, so its death is seen as EOF here
                processes.append(process)
            for index in itertools.count():
                part = index % workers
                try:
                    kind, payload = receivers[part].recv()
                except EOFError:
                    processes[part].join(5)
                    raise KetlitError(
                        f"a worker process ended unexpectedly (exit code {processes[part].exitcode})"
                    ) from None
                if kind == _ITEM:
                    yield payload
                elif kind == _DONE:
                    break
                else:
                    raise payload
        finally:
            _stop(processes, receivers)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for the block, restored whatever happens: around a
    main process that stores what it parses or what workers send (fetch, import, tagging).

    Storing pages makes millions of small acyclic objects (parsed records, their rows, the tags
    coming back from the workers): the collector walked them again and again, about a tenth of the
    main process's CPU in a fetch (1.2 s of 11 for 14,440 records), ~0.2 s per 20,000 imported
    records and ~0.5 s in the tagging after that import, while a whole fetch leaves a few hundred
    objects in cycles (596 for 3,610 records)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stop(processes: Sequence[multiprocessing.process.BaseProcess],
          receivers: Sequence[multiprocessing.connection.Connection]) -> None:
    """Close our ends, then terminate and join every worker (killing one that will not go)."""
    for receiver in receivers:
        receiver.close()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``SystemExit(128 + SIGTERM)`` in the main thread
    instead of ending the process on the spot, so ``finally`` blocks stop the workers."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the workers still die with the process
        return

    def exit_now(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        # None: a handler installed outside Python, which cannot be put back from here.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


# prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this worker when ``parent`` dies, and leave now if it already has."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            # A failure (a sandbox that forbids prctl) leaves the checks below and in _work.
            libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0))
    # The parent may have died between fork and prctl: then we were already handed to another.
    if os.getppid() != parent:
        os._exit(0)


def _work(parent: int, sender: multiprocessing.connection.Connection,
          inherited: Sequence[multiprocessing.connection.Connection],
          produce: Callable[..., Iterable[Any]], args: Any) -> None:
    _die_with_parent(parent)
    # Read ends copied by the fork (ours and older workers'). While any process holds the read
    # end of our pipe, a send after the main process died would block forever instead of failing.
    for connection in inherited:
        connection.close()
    # Ctrl-C reaches the whole process group: the main process handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler (_sigterm_exits) is copied by the fork; terminate() must simply end us.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The worker allocates many short-lived objects and creates no reference cycles worth
    # collecting; the cyclic GC would only walk its young objects over and over.
    gc.disable()
    try:
        try:
            for item in produce(*args):
                if os.getppid() != parent:
                    return  # the main process is gone: nobody will read this
                sender.send((_ITEM, item))
                del item  # sent: not kept alive while the producer makes the next one
        except Exception as exc:
            # Re-raised in the main process: a KetlitError as the one-line error it is, and
            # anything else (a bug) as itself, or described if it cannot be pickled.
            try:
                sender.send((_ERROR, exc))
            except (pickle.PicklingError, TypeError, AttributeError):
                sender.send((_ERROR, KetlitError(f"worker process failed: {type(exc).__name__}: {exc}")))
            return
        sender.send((_DONE, None))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the main process is gone (or stopped reading): nothing left to do
    finally:
        sender.close()


# -- PubMed XML import -----------------------------------------------------------------------


MAX_IMPORT_BYTES = 2 * 1024**3


def open_import(path: Path) -> IO[bytes]:
    """A binary stream of an import file's content, gunzipped on the fly if it is gzip and then
    limited to :data:`ketlit.files.MAX_DECOMPRESSED_BYTES` (a bomb is refused with one line while
    it is read, never slurped); the same one-line errors as :func:`ketlit.jobs.ingest.read_import_file`."""
    stream = open_limited(path, MAX_IMPORT_BYTES, "file")
    try:
        gzipped = stream.read(2) == b"\x1f\x8b"
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return cast(IO[bytes], GunzipLimited(stream, path)) if gzipped else stream


def import_head(path: Path) -> bytes:
    """The first 4 KiB of an import file's content (to tell its format)."""
    with _import_errors(path), open_import(path) as stream:
        return stream.read(4096)


@contextlib.contextmanager
def _import_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FileParseError(f"{path}: corrupt gzip file ({exc})") from None
    except KetlitError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def prepared_xml_pages(
    path: Path, records_per_page: int = IMPORT_PAGE_RECORDS, part: int = 0, parts: int = 1
) -> Iterator[PreparedPage]:
    """The worker side of a PubMed XML import: stream the file, cut it into pages
    (:func:`split_xml_pages`), parse each page numbered ``part`` modulo ``parts`` and make it
    ready to store (:func:`prepare_page`). Every part cuts the whole file (~0.25 s per 100 MB):
    cheaper than shipping page bodies from one process to the others.

    A PMID repeated within a page keeps its last occurrence, as across pages (where the later
    page's upsert wins)."""
    with _import_errors(path), open_import(path) as stream:
        for number, body in enumerate(split_xml_pages(stream, records_per_page)):
            if number % parts == part:
                articles = iter_set(parse_pubmed_xml(body))
                yield prepare_page(body, articles.values())
