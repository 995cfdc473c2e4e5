"""Worker processes never outlive the process that started them (:mod:`ketlit.jobs.workers`).

Each case runs a small program that starts two workers through ``run_in_workers``, prints their
pids, and then is killed: with ``kill -9`` (the kernel's parent-death signal must take the
workers down, or, where ``prctl`` is unavailable, the broken pipe and the parent check), or with
SIGTERM (the program must stop and join its workers before it exits). Without those, a worker
sleeping or blocked in ``send`` lived on for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from ketlit.jobs.lock import pid_alive
from ketlit.jobs.workers import can_fork
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes need fork (Linux)")

PROGRAM = """
import os, sys, time
from ketlit.jobs import workers

behaviour, prctl = sys.argv[1], sys.argv[2]
if prctl == "no-prctl":
    workers._PR_SET_PDEATHSIG = 0x7FFF  # an option the kernel does not know: prctl fails, as in a sandbox

def produce(behaviour, part, parts):
    yield os.getpid()
    if behaviour == "quiet":      # busy for a long time without sending anything
        time.sleep(120)
    else:                         # "chatty": sends far more than the pipe holds while nobody reads
        while True:
            yield b"x" * 1_000_000

def main():
    # Keep the generator open (workers running) while we sit here, like a main process busy writing.
    items = workers.run_in_workers(produce, behaviour, workers=2)
    pids = [next(items), next(items)]
    print(*pids, flush=True)
    time.sleep(120)

main()
"""


@contextmanager
def program(behaviour: str, prctl: str = "prctl") -> Iterator[tuple[subprocess.Popen[str], list[int], Path]]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # stderr to a file, not a pipe: a surviving worker would hold a pipe open and hang the reader.
    err = Path(tempfile.mkstemp(prefix="ketlit-workers-", suffix=".err")[1])
    with err.open("w") as err_file:
        proc = subprocess.Popen([sys.executable, "-c", PROGRAM, behaviour, prctl], stdout=subprocess.PIPE,
                                stderr=err_file, text=True, env=env)
    pids: list[int] = []
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        proc.stdout.close()
        assert len(pids) == 2, f"program failed to start (exit {proc.poll()}): {err.read_text()}"
        yield proc, pids, err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for pid in pids:  # never leave a stray process behind, whatever the test found
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        err.unlink()


def survivors(pids: list[int], wait: float) -> list[int]:
    deadline = time.monotonic() + wait
    while True:
        alive = [pid for pid in pids if pid_alive(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


@pytest.mark.parametrize("behaviour", ["quiet", "chatty"])
def test_kill_9_of_the_parent_takes_the_workers_down(behaviour: str) -> None:
    with program(behaviour) as (proc, pids, _):
        assert survivors(pids, 0) == pids  # running while the parent lives
        proc.kill()
        proc.wait(timeout=10)
        assert survivors(pids, 5) == [], "workers outlived their parent"


def test_without_prctl_a_worker_still_leaves_when_the_parent_is_gone() -> None:
    # Only the broken pipe (all inherited read ends closed) and the parent check remain; a worker
    # blocked in send on a full pipe is the case that used to hang forever.
    with program("chatty", "no-prctl") as (proc, pids, _):
        time.sleep(0.3)  # let both workers fill their pipes and block in send
        assert survivors(pids, 0) == pids
        proc.kill()
        proc.wait(timeout=10)
        assert survivors(pids, 5) == [], "workers outlived their parent without prctl"


@pytest.mark.parametrize("behaviour", ["quiet", "chatty"])
def test_sigterm_stops_and_joins_the_workers_before_the_parent_exits(behaviour: str) -> None:
    with program(behaviour, "no-prctl") as (proc, pids, err):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 128 + signal.SIGTERM
        assert "Traceback" not in err.read_text()
        # Joined, not merely signalled: gone the moment the parent is (no grace period).
        assert survivors(pids, 0) == []
