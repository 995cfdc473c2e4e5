"""Tagging a fetch's pages while the fetch goes on, in the worker pool.

Tagging (and the numbers read at tagging time) costs far more CPU per record than parsing and
storing it, and it used to start only once the last page was stored. :class:`PageTagging` tags
each stored page meanwhile: the records a page added or changed are taken from the rows just
stored, in plain values (:meth:`ketlit.store.tags.TagStore.stored_parts`), sent to a worker
process that rebuilds them (:func:`ketlit.store.tags.rebuild_articles`: exactly what
:meth:`TagRunner.tag_pending` would load, without reading the page back), and their tags and
findings written by this process when they come back, in page order.
With worker processes a fetch takes about max(network, CPU / cores).

- **Only an optimisation.** What it writes is what ``tag_pending`` would have written for those
  records (same rules digest, same content digest), so the tagging that still follows every
  fetch finds them done and tags only the rest: records it did not get to, records unchanged by
  this fetch but tagged with older rules. If anything goes wrong in it (a worker dies, a rule
  raises), it stops, quietly, and leaves the rest to that tagging, which then meets the same
  error where it always did: the fetch's run record, exit code and messages never depend on it.
- **Forked before any thread.** The workers are forked when the block is entered, which the
  fetch does before its prefetch thread starts (forking a process that runs threads can
  deadlock the child); the pool (:func:`ketlit.jobs.workers.run_in_workers`) is the one
  ``ketlit import`` and ``ketlit tag`` use, with its guarantees: workers die with this process,
  Ctrl-C and SIGTERM stop them. Each worker gets its pages through its own pipe; each first
  answers "ready", so the fork is known to be done before the block's body runs.
- **Bounded.** At most one page per worker is in flight: before a page goes to a worker whose
  last page is not back, that page's result is taken and written first. Storing then waits
  for tagging, the prefetch queue fills, and requests wait too: memory stays flat.
- Without ``fork`` (or with ``workers=0``) each page is tagged here, between pages, which still
  overlaps with the requests the prefetch thread is making.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
from collections.abc import Callable, Generator, Iterator, Sequence
from types import TracebackType

from ketlit.config import Settings
from ketlit.errors import KetlitError
from ketlit.jobs.tag import ArticleBatch, TagRunner
from ketlit.jobs.workers import can_fork, run_in_workers
from ketlit.sources.models import Article
from ketlit.store.core import PreparedPage, Store
from ketlit.store.tags import StoredParts, rebuild_articles

_READY = "ready"
Connection = multiprocessing.connection.Connection


def _tag_pages(runner: TagRunner, readers: Sequence[Connection], writers: Sequence[Connection],
               part: int, parts: int) -> Iterator[ArticleBatch | str]:
    """The worker side: answer ready, then tag each page of articles that arrives on our pipe."""
    own = readers[part]
    for connection in [*writers, *(r for r in readers if r is not own)]:
        connection.close()  # so our pipe reports EOF once the main process closes its end
    yield _READY
    while True:
        try:
            articles = rebuild_articles(own.recv())  # rebuilt here, not in the main process
        except EOFError:
            return
        batch: ArticleBatch = []
        for chunk in runner.tag_articles(articles):
            batch.extend(chunk)
        del articles
        yield batch
        # The pool pauses the cyclic GC in its workers, which suits a worker that ends after a few
        # thousand records; this one lives as long as the fetch, so what tagging leaves in cycles
        # is collected after each page, and its memory stays flat however many pages come. After
        # the page is sent and dropped: the collector walks every live object allocated since
        # the last collection, and a page's results still held (~10^5 objects) cost ~0.1 s a
        # walk; without them, milliseconds.
        del batch
        gc.collect()


def fetch_tagger(settings: Settings) -> TagRunner | None:
    """The tagger for a fetch to tag with as it goes, or None when its rules cannot be read: the
    tagging after the fetch then reports that, with the one-line error and exit code it always had."""
    try:
        return TagRunner(settings)
    except KetlitError:
        return None


class PageTagging:
    """Tags and findings for the records of each stored page, in ``workers`` worker processes
    (see the module docstring). Use as a context manager around the fetch."""

    def __init__(self, store: Store, runner: TagRunner, workers: int) -> None:
        self.store = store
        self.runner = runner
        self.workers = workers if workers > 0 and can_fork() else 0
        self.tagged = 0
        self.stopped = False
        self._results: Generator[ArticleBatch | str, None, None] | None = None
        self._writers: list[Connection] = []
        self._in_flight: list[dict[str, str]] = []  # content digests per page sent, oldest first
        self._sent = 0

    def __enter__(self) -> PageTagging:
        self._guard(self._start)
        return self

    def _start(self) -> None:
        self.runner.prepare()  # compiled once here, not once per worker (a bad rules file: stop)
        if not self.workers:
            return
        self.runner.warm_up()
        ctx = multiprocessing.get_context("fork")
        pipes = [ctx.Pipe(duplex=False) for _ in range(self.workers)]
        readers = [r for r, _ in pipes]
        self._writers = [w for _, w in pipes]
        self._results = run_in_workers(_tag_pages, self.runner, readers, self._writers, workers=self.workers)
        try:
            for _ in range(self.workers):
                if next(self._results) != _READY:
                    raise RuntimeError("a tagging worker did not start")
        finally:
            for reader in readers:
                reader.close()  # the worker holds the only read end: a dead worker fails our send

    def add(self, before: dict[str, str], pmids: Sequence[str], page: PreparedPage) -> None:
        """Tag the records of a page just stored (``page``, as stored) that it added or changed
        (``before``: their content digests before the page was stored)."""
        if self.stopped:
            return
        # What the cache holds now, known without asking it: the page's rows were just written
        # (a PMID listed twice: its last row, as the upsert keeps), less what the page withdrew.
        rows = {r.article["pmid"]: r for r in page.rows}
        for pmid in page.deleted:
            rows.pop(pmid, None)
        changed = [p for p in pmids if p in rows and before.get(p) != rows[p].article["content_sha256"]]
        if not changed:
            return
        parts = self.store.stored_parts([rows[p] for p in changed])
        contents = {pmid: rows[pmid].article["content_sha256"] for (pmid, *_), *_ in parts}
        if not self.workers:
            self._guard(lambda: self._tag_here(rebuild_articles(parts), contents))
            return
        if len(self._in_flight) == self.workers:
            self._guard(self._take)
        if not self.stopped:
            self._guard(lambda: self._send(parts, contents))

    def _tag_here(self, articles: list[Article], contents: dict[str, str]) -> None:
        for batch in self.runner.tag_articles(articles):
            self._write(batch, contents)

    def _send(self, parts: list[StoredParts], contents: dict[str, str]) -> None:
        self._writers[self._sent % self.workers].send(parts)
        self._sent += 1
        self._in_flight.append(contents)

    def _take(self) -> None:
        assert self._results is not None
        batch = next(self._results)
        assert isinstance(batch, list)
        self._write(batch, self._in_flight.pop(0))

    def _write(self, batch: ArticleBatch, contents: dict[str, str]) -> None:
        self.tagged += self.runner.store_batch(self.store, batch, contents)

    def _guard(self, step: Callable[[], object]) -> None:
        """Run ``step``; on any failure stop tagging here (the tagging after the fetch redoes it)."""
        try:
            step()
        except Exception:
            self._stop()

    def _stop(self) -> None:
        self.stopped = True
        for writer in self._writers:
            writer.close()
        self._writers = []
        self._in_flight = []
        if self._results is not None:
            self._results.close()  # terminates and joins the workers
            self._results = None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None and not self.stopped:
            # Drain: the pages still in flight are written (the fetch is done, so nothing waits).
            while self._in_flight and not self.stopped:
                self._guard(self._take)
        self._stop()

