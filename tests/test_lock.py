"""The run lock: a second acquirer fails at once with a clear message (exit code 4); the lock
dies with its holder, even under ``kill -9``, and is not kept alive by the holder's children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from ketlit.errors import LockedError
from ketlit.jobs.lock import RunLock, lock_path_for
from tests.conftest import REPO

HOLDER = """
import multiprocessing, subprocess, sys, time
from ketlit.jobs.lock import RunLock

def worker(ready):
    ready.set()  # fork hooks have run by now: without this, a loaded machine could kill the parent first
    time.sleep(60)

lock = RunLock(sys.argv[1], purpose="refresh")
lock.acquire()
child = None
if sys.argv[2] == "spawn":
    # A helper process started while the lock is held must not inherit it.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
elif sys.argv[2] == "fork":
    # Nor a forked worker, as ketlit.jobs.workers starts them (fork, no exec).
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=worker, args=(ready,))
    child.start()
    ready.wait(30)
print("held", child.pid if child else 0, flush=True)
time.sleep(60)
"""


@contextmanager
def holder(db: Path, mode: str = "plain") -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), mode], stdout=subprocess.PIPE, text=True,
                            env=env)
    grandchild = 0
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line and line[0] == "held", f"holder failed to start (exit {proc.poll()})"
        grandchild = int(line[1])
        yield proc, grandchild
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if grandchild:
            with suppress(ProcessLookupError):
                os.kill(grandchild, signal.SIGKILL)


def test_second_acquirer_fails_at_once_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "cache" / "ketlit.db"
    with holder(db) as (proc, _):
        start = time.monotonic()
        with pytest.raises(LockedError) as info:
            RunLock(db).acquire()
        assert time.monotonic() - start < 1.0  # never waits for the holder
        message = str(info.value)
        assert "another ketlit refresh is already running" in message
        assert f"pid {proc.pid}" in message and "started " in message
        assert str(lock_path_for(db)) in message
        assert "\n" not in message
        assert info.value.exit_code == 4


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    with holder(db) as (proc, _):
        with pytest.raises(LockedError):
            RunLock(db).acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        lock = RunLock(db)
        lock.acquire()  # no stale lock after kill -9
        assert lock.held
        lock.release()


@pytest.mark.parametrize("mode", ["spawn", "fork"])
def test_children_of_the_holder_do_not_keep_the_lock(tmp_path: Path, mode: str) -> None:
    db = tmp_path / "ketlit.db"
    with holder(db, mode) as (proc, grandchild):
        assert grandchild > 0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        os.kill(grandchild, 0)  # the helper is still alive...
        with RunLock(db) as lock:  # ...and the lock is free anyway
            assert lock.held


def test_same_process_second_lock_fails_and_release_frees_it(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    first = RunLock(db, purpose="report")
    with first:
        with pytest.raises(LockedError, match=r"another ketlit report is already running .*pid \d+"):
            RunLock(db).acquire()
        assert lock_path_for(db).read_text().lstrip().startswith("{")
    assert not first.held
    # The lock file stays (deleting it would let two processes lock different inodes), empty.
    assert lock_path_for(db).exists() and lock_path_for(db).read_text() == ""
    with RunLock(db) as again:
        assert again.held


def test_release_on_exception_and_idempotence(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    lock = RunLock(db)
    with pytest.raises(RuntimeError), lock:
        raise RuntimeError("boom")
    assert not lock.held
    lock.release()  # releasing twice is harmless
    lock.acquire()
    lock.acquire()  # re-acquiring a held lock is a no-op
    assert lock.held
    lock.release()


def test_memory_database_needs_no_lock() -> None:
    lock = RunLock(":memory:")
    with lock:
        assert lock.path is None and not lock.held


def test_lock_path() -> None:
    assert lock_path_for(Path("cache/ketlit.db")) == Path("cache/ketlit.db.lock")
