"""A run lock so two ``ketlit refresh`` runs never overlap on one cache.

Usage::

    with RunLock(db_path, purpose="refresh"):
        ...   # raises LockedError (exit code 4) at once if another process holds it

Design decisions:
- **``fcntl.flock`` on ``<db>.lock``, non-blocking.** The kernel owns the lock and drops it
  when the holder's file descriptor closes — including when the process is killed with
  ``kill -9`` or the machine reboots — so there is no stale-lock problem and no PID file to
  clean up. ``LOCK_NB`` makes a second run fail at once instead of queueing behind the
  first (a cron job that piles up is worse than one that says "already running").
- **The lock file is never deleted.** Unlinking it on release would let a third process
  lock a fresh inode while a second still waits on the old one, and both would "hold" the
  lock. An empty, unlocked ``.lock`` file is harmless.
- The holder writes its PID, purpose and start time into the file *after* locking, only
  so the refusal message can say who holds it; correctness never depends on that text.
- No child process keeps the lock alive after the run dies. A helper started with ``exec``
  (``subprocess``) does not inherit the descriptor: Python opens files non-inheritable. A
  ``fork()`` without ``exec`` copies every descriptor, and ketlit does fork: the import and
  tagging workers of :mod:`ketlit.jobs.workers`, during a refresh that holds this lock. So
  each held descriptor is closed in a forked child (``os.register_at_fork``). Closing a copy
  does not release the lock (only ``LOCK_UN`` or closing the last copy does), so the parent
  keeps it; but once the parent dies, even with ``kill -9``, a worker still busy on a page
  no longer holds the lock for it.
- Not for network file systems: ``flock`` on NFS is emulated or local-only. The cache is a
  SQLite file, which should not live on NFS either.
- An in-memory database (``:memory:``) has nothing to protect; the lock is a no-op there.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from ketlit.errors import LockedError, StoreError

# Descriptors of the locks this process holds, closed in forked children (see the module docstring).
_HELD: set[int] = set()


def _close_held_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)  # never LOCK_UN here: that would release the parent's lock too
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


def lock_path_for(db_path: Path) -> Path:
    """``cache/ketlit.db`` → ``cache/ketlit.db.lock``."""
    return db_path.with_name(db_path.name + ".lock")


class RunLock:
    """An exclusive, non-blocking, crash-safe lock beside the database file."""

    def __init__(self, db_path: Path | str, purpose: str = "refresh") -> None:
        self.db_path = Path(db_path)
        self.purpose = purpose
        self.path: Path | None = None if str(db_path) == ":memory:" else lock_path_for(self.db_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockedError` immediately; never waits."""
        if self.path is None or self._fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create lock file {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_holder(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockedError(_locked_message(self.path, holder)) from None
            raise StoreError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        self._fd = fd
        _HELD.add(fd)
        info = {"pid": os.getpid(), "purpose": self.purpose, "host": socket.gethostname(),
                "started_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        except OSError:
            pass  # the note is for humans; the lock itself is already held

    def release(self) -> None:
        """Release the lock (the file stays; see the module docstring)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(fd)
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        finally:
            # Closing the descriptor releases the flock; an explicit LOCK_UN first makes the
            # release independent of any other descriptor sharing this open file.
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, object]:
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data.decode() or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _locked_message(path: Path, holder: dict[str, object]) -> str:
    purpose = holder.get("purpose") or "run"
    details = []
    if holder.get("pid"):
        details.append(f"pid {holder['pid']}")
    if holder.get("host") and holder.get("host") != socket.gethostname():
        details.append(f"on {holder['host']}")
    if holder.get("started_at"):
        details.append(f"started {holder['started_at']}")
    who = f" ({', '.join(details)})" if details else ""
    return (f"another ketlit {purpose} is already running on this cache{who}; "
            f"try again when it has finished (lock: {path})")


__all__ = ["RunLock", "lock_path_for"]
