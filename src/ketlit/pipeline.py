"""Run a producer in a worker process and consume its items here, in order.

Bulk ingest is two kinds of CPU work that do not depend on each other page by page:
parsing XML into rows (lxml + Python) and writing rows (SQLite). In one process they
cannot overlap: SQLite releases the GIL only for each short ``sqlite3_step``, so a parsing
thread and a writing thread just take turns (measured: no gain). So the producer runs in
a forked worker process, and the main process, which owns the only database connection,
does nothing but write.

- Items travel pickled through a pipe. ``send`` blocks while the main process has not
  taken the previous item, so the worker runs at most one item ahead and memory stays
  bounded (a page or two of rows), however large the input.
- Order is kept; an exception in the worker (a :class:`ketlit.errors.KetlitError` such as
  a ``ParseError``) is re-raised in the main process at the point where the item it
  interrupted would have arrived, so callers see the same errors as when running inline.
- ``fork``, not ``spawn``: the worker starts in ~10 ms with the modules (lxml) already
  imported. The child never touches the parent's SQLite connection and leaves with
  ``os._exit`` (multiprocessing's own exit), so no finaliser of the parent's objects runs
  twice. Where ``fork`` is unavailable, or when the caller asks, the producer runs inline.
- If the main process dies (``kill -9``), the worker's next ``send`` fails (broken pipe)
  and it exits; if the worker dies, ``recv`` fails and the main process raises.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from ketlit.errors import KetlitError

T = TypeVar("T")

_ITEM, _DONE, _ERROR = 0, 1, 2


def can_fork() -> bool:
    """Whether :func:`run_in_worker` will really use a second process here."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    # A daemonic multiprocessing worker may not start children of its own.
    return not multiprocessing.current_process().daemon


def run_in_worker(produce: Callable[..., Iterable[T]], *args: Any, inline: bool = False) -> Iterator[T]:
    """Yield ``produce(*args)``'s items, computed in a worker process (see module docstring)."""
    if inline or not can_fork():
        yield from produce(*args)
        return
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, args=(sender, produce, args), daemon=True, name="ketlit-worker")
    worker.start()
    sender.close()  # the child holds the only write end, so its death is seen as EOF here
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                worker.join(5)
                raise KetlitError(f"the worker process ended unexpectedly (exit code {worker.exitcode})") from None
            if kind == _ITEM:
                yield payload
            elif kind == _DONE:
                break
            else:
                raise payload
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


def _work(sender: multiprocessing.connection.Connection, produce: Callable[..., Iterable[Any]], args: Any) -> None:
    # Ctrl-C reaches the whole process group: the main process handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The worker allocates many short-lived objects and creates no reference cycles worth
    # collecting; the cyclic GC would only walk its young objects over and over.
    gc.disable()
    try:
        try:
            for item in produce(*args):
                sender.send((_ITEM, item))
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
