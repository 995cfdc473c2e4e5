"""Fetching ahead: the next page is requested while the last one is stored.

A fetch alternates two kinds of work that do not wait for each other page by page: asking the
service for a page (mostly waiting: the rate limit, the round trip) and storing it (CPU and
SQLite). Done in turn, the run takes their sum; :func:`prefetched` overlaps them, so it takes
about the larger of the two.

- **One producer thread** sends the requests, in order, one at a time: the services want serial
  requests (one token bucket per host, :mod:`ketlit.http`), and a thread is enough to wait on a
  socket. It should do little else: whatever it does between an answer and the next request
  delays that request (a PubMed fetch only checks each body there and parses it in the
  consumer, :func:`ketlit.jobs.ingest._store_batch`). The caller's thread consumes: it parses,
  stores, reports progress and decides what the run was, as when it fetched the pages itself.
- **Bounded.** At most ``depth`` fetched pages wait in the queue, plus the one being fetched
  and the one being stored: memory stays flat however long the run (a page is a few MB).
- **Same errors, same place.** An exception in the producer (a one-line :class:`KetlitError`
  after retries, or a bug) is queued after the pages fetched before it and raised in the
  caller's thread when it gets there: the same exception object, so the CLI prints the same
  line with the same exit code, and every page before it has been stored, as before. The
  producer stops at its first error.
- **Stopping early.** When the consumer leaves (an error while storing, Ctrl-C, the generator
  closed), the producer sends no further request and is joined for at most
  :data:`JOIN_SECONDS`; a request already on the wire is left to end on its own (the thread is a
  daemon and its result is dropped). Nothing is stored by the producer, so ``kill -9`` leaves
  what it always left: whole pages, each in its own transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Fetched pages waiting to be stored. Two absorb a slow page on either side; more only hold memory.
DEPTH = 2
# How long a consumer that stops early waits for the producer's request in flight.
JOIN_SECONDS = 1.0
_POLL_SECONDS = 0.1

_ITEM, _ERROR, _DONE = 0, 1, 2


def prefetched(fetch: Callable[[T], R], items: Sequence[T], *, depth: int = DEPTH,
               name: str = "ketlit-prefetch") -> Generator[tuple[T, R], None, None]:
    """Yield ``(item, fetch(item))`` for each of ``items``, in order, with ``fetch`` running in
    a producer thread up to ``depth`` items ahead (see the module docstring)."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    if not items:
        return
    ready: queue.Queue[tuple[int, Any, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(entry: tuple[int, Any, Any]) -> bool:
        """Queue ``entry`` unless the consumer has left; whether it was queued."""
        while not stop.is_set():
            try:
                ready.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        for item in items:
            if stop.is_set():
                return
            try:
                entry = (_ITEM, item, fetch(item))
            except BaseException as exc:  # raised again in the consumer's thread, in order
                hand_over((_ERROR, item, exc))
                return
            if not hand_over(entry):
                return
        hand_over((_DONE, None, None))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, item, payload = ready.get()
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise payload
            yield item, payload
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)
