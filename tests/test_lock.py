"""The run lock: a second acquirer fails at once with a clear message (exit code 4); the lock
dies with its holder, even under ``kill -9``, and is not kept alive by the holder's children;
a lock still held for a recorded owner that is dead is taken over, one that is alive or on
another host never is; and it imports where ``fcntl`` does not exist (Windows)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from filelock import lock_descriptor

from ketlit.errors import LockedError
from ketlit.jobs.lock import RunLock, lock_path_for, pid_alive
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
elif sys.argv[2] == "leak":
    # A process that kept a copy of the descriptor (as orphaned workers once did) outlives us.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], pass_fds=[lock._fd])
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
        # The dead run's record was left behind; the new holder says whose lock it took over.
        assert lock.taken_over is not None and lock.taken_over["pid"] == proc.pid
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


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@contextmanager
def held_by(db: Path, record: dict[str, object]) -> Iterator[int]:
    """The lock file locked through a descriptor of its own, carrying ``record`` as its owner."""
    path = lock_path_for(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        assert lock_descriptor(fd, blocking=False)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"\n" + json.dumps(record).encode() + b"\n", 0)
        yield fd
    finally:
        os.close(fd)


def test_lock_held_for_a_dead_owner_is_taken_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "ketlit.db"
    with holder(db, "leak") as (proc, leftover):
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert pid_alive(leftover)  # the process that still holds the old lock file
        with caplog.at_level(logging.WARNING, logger="ketlit.lock"), RunLock(db) as lock:
            assert lock.held and lock.taken_over is not None and lock.taken_over["pid"] == proc.pid
            message = caplog.text
            assert f"taking over the lock of a ketlit refresh (pid {proc.pid}" in message
            assert "no longer running" in message and "\n" not in message.strip()
            # The lock taken over is a real one: the next acquirer is refused, naming us.
            with pytest.raises(LockedError, match=rf"refresh is already running .*pid {os.getpid()}"):
                RunLock(db).acquire()
        with RunLock(db) as again:  # released normally: free again, nothing taken over
            assert again.taken_over is None


def test_live_or_foreign_owner_is_never_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    here, dead = socket.gethostname(), _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cases = [({"pid": live.pid, "host": here, "purpose": "report"}, rf"ketlit report .*pid {live.pid}"),
                 ({"pid": dead, "host": "elsewhere.example", "purpose": "refresh"}, rf"pid {dead}, on elsewhere"),
                 ({}, r"another ketlit run is already running")]
        for record, expected in cases:
            with held_by(db, record):
                start = time.monotonic()
                with pytest.raises(LockedError, match=expected) as info:
                    RunLock(db).acquire()
                assert time.monotonic() - start < 1.0 and info.value.exit_code == 4
        # The same record with a dead pid on this host is taken over.
        with held_by(db, {"pid": dead, "host": here, "purpose": "refresh"}), RunLock(db) as lock:
            assert lock.taken_over is not None and lock.taken_over["pid"] == dead
    finally:
        live.kill()
        live.wait()


def test_racing_takeovers_leave_exactly_one_holder(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    outcomes: list[object] = []
    barrier = threading.Barrier(6)

    def take() -> None:
        lock = RunLock(db)
        barrier.wait()
        try:
            lock.acquire()
            outcomes.append(lock)
        except LockedError as exc:
            outcomes.append(exc)

    with held_by(db, {"pid": _dead_pid(), "host": socket.gethostname(), "purpose": "refresh"}):
        threads = [threading.Thread(target=take) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    holders = [o for o in outcomes if isinstance(o, RunLock)]
    assert len(outcomes) == 6 and len(holders) == 1
    holders[0].release()


def test_a_zombie_owner_counts_as_dead() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{proc.pid}/stat").exists() and time.monotonic() < deadline:
            state = Path(f"/proc/{proc.pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
            if state == b"Z":
                break
            time.sleep(0.01)
        else:
            pytest.skip("no /proc zombie state to observe here")
        assert not pid_alive(proc.pid)  # exited, not reaped: kill(pid, 0) alone would say alive
    finally:
        proc.wait()
    assert pid_alive(os.getpid())


NO_FCNTL = """
import sys

class NoFcntl:
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ModuleNotFoundError("No module named 'fcntl'", name="fcntl")
        return None

sys.meta_path.insert(0, NoFcntl())
import ketlit.cli, ketlit.jobs.lock, ketlit.jobs.refresh, ketlit.jobs.workers
assert "fcntl" not in sys.modules
print("imported")
"""


def test_the_cli_imports_where_fcntl_does_not_exist() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", NO_FCNTL], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"
