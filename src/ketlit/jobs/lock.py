"""A run lock so two ``ketlit refresh`` runs never overlap on one cache.

Usage::

    with RunLock(db_path, purpose="refresh"):
        ...   # raises LockedError (exit code 4) at once if a live process holds it

Design decisions:
- **An OS file lock on ``<db>.lock``, non-blocking, through ``filelock.lock_descriptor``.**
  That is ``flock`` on POSIX and ``LockFileEx`` on byte 0 on Windows: the same primitive
  ``filelock.FileLock`` uses, on a descriptor this module owns (so it can record the owner and
  close copies in forked children, below). The CLI must import where ``fcntl`` does not exist,
  so nothing here names ``fcntl`` or ``msvcrt``. The kernel drops the lock when the holder's
  last descriptor closes, including under ``kill -9``, so a dead run normally leaves nothing to
  clean up. Non-blocking: a cron job that piles up behind another is worse than one that says
  "already running".
- **The lock file records its owner**: pid, host, purpose and start time, as one JSON line
  written after locking and cleared on release. A refusal names that owner. The record starts
  at byte 1 because Windows file locks are mandatory: a refused process could not read byte 0.
  A record left behind in an unlocked file means the last run died without releasing; the next
  run takes over and says so (a warning on the ``ketlit.lock`` logger).
- **A lock still held for a dead owner is taken over.** A process that inherited the lock's
  descriptor can keep the kernel lock alive after the owner died: that is how orphaned workers
  once wedged every later refresh. Workers no longer outlive their parent
  (:mod:`ketlit.jobs.workers`) and close the lock in the child (below), but if the recorded
  owner is on this host and its pid is dead, whatever still holds the lock is not a ketlit run:
  the acquirer puts a fresh lock file, already locked by itself, in place of the old one
  (``os.replace``). An owner that is alive, on another host, or not recorded still gives
  :class:`LockedError` at once.
- **Acquisitions are serialised by a gate**, ``<db>.lock.gate``, locked for the few
  milliseconds of an acquisition only. Without it two processes could both judge the owner
  dead and each install its own file, or one could lock the old file just as another replaced
  it; under the gate, deciding and replacing are one step. Neither file is ever deleted (a
  takeover swaps the lock file atomically, and acquirers open it only under the gate), so
  no two processes ever lock different inodes of the same name. On Windows a held file cannot
  be replaced, but there a lock cannot outlive its owner either: handles die with the
  process, and there is no fork to copy them.
- No child process keeps a lock alive after the run dies. A helper started with ``exec``
  (``subprocess``) does not inherit the descriptor: Python opens files non-inheritable. A
  ``fork()`` without ``exec`` copies every descriptor, and ketlit does fork: the import and
  tagging workers of :mod:`ketlit.jobs.workers`, during a refresh that holds this lock. So
  each held descriptor is closed in a forked child (``os.register_at_fork``). Closing a copy
  does not release the lock (only an unlock or closing the last copy does), so the parent
  keeps it.
- "Is the owner dead" is asked of the OS (``kill(pid, 0)`` and ``/proc`` for zombies on
  POSIX, ``OpenProcess`` on Windows). A reused pid looks alive: the lock is then refused,
  never stolen from a live process. Two machines sharing a cache on a network file system
  each see the other's record as "another host" and never take over.
- An in-memory database (``:memory:``) has nothing to protect; the lock is a no-op there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from filelock import lock_descriptor, unlock_descriptor

from ketlit.errors import LockedError, StoreError

log = logging.getLogger("ketlit.lock")

# Descriptors of the locks this process holds, closed in forked children (see the module docstring).
_HELD: set[int] = set()
# Where the owner record starts: byte 0 is the byte Windows locks (see the module docstring).
_RECORD_AT = 1
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
# How long an acquisition waits for another one in progress (they take milliseconds).
GATE_WAIT = 5.0


def _close_held_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)  # never unlock here: that would release the parent's lock too
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
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
        # The record of the run this lock took over (one that died without releasing), if any.
        self.taken_over: dict[str, object] | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockedError` immediately; never waits for a run."""
        if self.path is None or self._fd is not None:
            return
        path = self.path
        with _gate(path.with_name(path.name + ".gate")):
            fd = _open(path)
            try:
                # Read after the attempt: a holder may release (and clear its record) in between.
                locked = _try_lock(fd, path)
                previous = _read_record(fd)
                if not locked:
                    if not _owner_gone(previous):
                        raise LockedError(_locked_message(path, previous))
                    fd = _replace_held(fd, path)
                _write_record(fd, self.purpose)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
        self._fd = fd
        _HELD.add(fd)
        if previous.get("pid"):
            self.taken_over = previous
            log.warning(_takeover_message(path, previous, replaced=not locked))

    def release(self) -> None:
        """Release the lock, clearing the owner record (the file stays; see the module docstring)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(fd)
        try:
            os.ftruncate(fd, 0)  # an empty file: released cleanly
        except OSError:
            pass
        finally:
            # Closing the descriptor releases the lock; the explicit unlock first makes the
            # release independent of any other descriptor sharing this open file.
            try:
                unlock_descriptor(fd)
            except OSError:
                pass
            finally:
                os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, _OPEN_FLAGS, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create lock file {path}: {exc.strerror or exc}") from None


def _try_lock(fd: int, path: Path) -> bool:
    try:
        return lock_descriptor(fd, blocking=False)
    except OSError as exc:
        raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _gate(path: Path) -> Iterator[None]:
    """Hold ``path`` locked while one acquisition decides and acts (see the module docstring)."""
    fd = _open(path)
    _HELD.add(fd)
    try:
        deadline = time.monotonic() + GATE_WAIT
        while not _try_lock(fd, path):
            if time.monotonic() > deadline:
                raise LockedError(f"another ketlit process has been taking the lock on this cache for "
                                  f"{GATE_WAIT:.0f}s; try again (gate: {path})")
            time.sleep(0.01)
        yield
    finally:
        _HELD.discard(fd)
        with contextlib.suppress(OSError):
            unlock_descriptor(fd)
        os.close(fd)


def _replace_held(old_fd: int, path: Path) -> int:
    """Put a fresh lock file, locked by this process, where ``path`` is; returns its descriptor.

    ``old_fd`` (the old file, still locked by someone who is not its recorded owner) is closed."""
    fresh = path.with_name(f"{path.name}.{os.getpid()}.new")
    with contextlib.suppress(OSError):
        fresh.unlink()  # a leftover of an earlier takeover by a process with our pid
    fd = _open(fresh)
    try:
        if not _try_lock(fd, fresh):
            raise StoreError(f"cannot lock a fresh lock file {fresh}")
        os.replace(fresh, path)
    except OSError as exc:
        os.close(fd)
        with contextlib.suppress(OSError):
            fresh.unlink()
        raise StoreError(f"cannot take over the lock {path}: {exc.strerror or exc}") from None
    except BaseException:
        os.close(fd)
        raise
    os.close(old_fd)
    return fd


def _write_record(fd: int, purpose: str) -> None:
    record = {"pid": os.getpid(), "purpose": purpose, "host": socket.gethostname(),
              "started_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")}
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b"\n" + json.dumps(record).encode() + b"\n")
    except OSError:
        pass  # the record is for refusals and takeovers; the lock itself is already held


def _read_record(fd: int) -> dict[str, object]:
    try:
        os.lseek(fd, _RECORD_AT, os.SEEK_SET)
        data = os.read(fd, 4096)
        record = json.loads(data.decode().strip() or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _owner_gone(record: dict[str, object]) -> bool:
    """Whether the recorded owner is a process of this host that no longer runs."""
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    if record.get("host") != socket.gethostname():
        return False  # another machine's process: we cannot tell, so never take over
    return not pid_alive(pid)


if sys.platform == "win32":
    import ctypes

    def pid_alive(pid: int) -> bool:
        """Whether a process with this pid exists (and has not exited)."""
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists, it is not ours
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)

else:

    def pid_alive(pid: int) -> bool:
        """Whether a process with this pid exists and is not a zombie."""
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True  # EPERM: it exists, it belongs to someone else
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                # A zombie has exited but is not reaped yet: "pid (name) Z ..."; name may hold ")".
                return stat.read().rsplit(b")", 1)[-1].split()[:1] != [b"Z"]
        except OSError:
            return True  # no /proc here: kill() said it exists


def _describe(record: dict[str, object]) -> str:
    details = []
    if record.get("pid"):
        details.append(f"pid {record['pid']}")
    if record.get("host") and record.get("host") != socket.gethostname():
        details.append(f"on {record['host']}")
    if record.get("started_at"):
        details.append(f"started {record['started_at']}")
    return f" ({', '.join(details)})" if details else ""


def _locked_message(path: Path, record: dict[str, object]) -> str:
    purpose = record.get("purpose") or "run"
    return (f"another ketlit {purpose} is already running on this cache{_describe(record)}; "
            f"try again when it has finished (lock: {path})")


def _takeover_message(path: Path, record: dict[str, object], *, replaced: bool) -> str:
    purpose = record.get("purpose") or "run"
    why = ("is no longer running, but a process it left behind still held the lock" if replaced
           else "ended without releasing the lock (it was killed or crashed)")
    return f"taking over the lock of a ketlit {purpose}{_describe(record)} that {why} (lock: {path})"


__all__ = ["GATE_WAIT", "RunLock", "lock_path_for", "pid_alive"]
