"""``kill -9`` and SIGTERM on a refresh (and an import) that tags ≥ 2,000 records (issue 11, item 1).

Before the fix, killing ``ketlit refresh`` while its forked workers tagged left them alive for
good, blocked on a pipe and holding the lock: every later refresh exited 4 naming a dead pid.
Here the real CLI runs as a subprocess over a cache of synthetic records (written by this test,
imported with ``ketlit import``; nothing is fetched except the ten offline fixture records that
give the report its content), and is killed at random points, ten times in a row. After each
kill: no process of the killed run lives on, the next refresh runs to exit 0, and at the end the
tagging data and the report equal an uninterrupted run's.

Every process a test starts carries a marker in its environment, which forked workers inherit:
that is how a worker left behind by a dead run is found (``psutil`` if installed, else ``/proc``).
Each killed refresh uses its own tagging-rule variant (the packaged rules plus a user file that
holds only a comment, a different one each time): a new rules digest makes every record due
again, so each killed run has all ≥ 2,000 records to tag, in worker processes. The last refresh
goes back to the packaged rules, which the uninterrupted reference used throughout.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from ketlit.jobs.lock import lock_path_for, pid_alive
from ketlit.jobs.tag import PARALLEL_MIN_RECORDS
from ketlit.jobs.workers import can_fork
from tests.conftest import FIXTURES, REPO
from tests.standins.eutils import EutilsStandin

pytestmark = pytest.mark.skipif(not can_fork() or not Path("/proc/self/environ").exists(),
                                reason="forked workers and /proc (Linux)")

# At least 2,000 records, and enough that tagging uses worker processes.
N_RECORDS = max(2000, PARALLEL_MIN_RECORDS)
KILLS = 10
MARK = "KETLIT_KILL_TEST_MARK"
PUBMED_FIXTURE = FIXTURES / "offline" / "efetch_offline_ketamine_set.xml"

QUERY = """
name = "killed"
title = "Ketamine for depression (kill -9 test)"

[pubmed]
term = "ketamine OR esketamine"

[focus]
indication = ["depression", "treatment_resistant_depression"]

[check]
claims = ["Over 90% of patients with treatment-resistant depression respond to ketamine infusions."]

[report]
plots = false
"""

_ROUTES = ("Intravenous ketamine", "Intranasal esketamine", "Oral ketamine", "Ketamine")
_TARGETS = ("treatment-resistant depression", "major depressive disorder", "suicidal ideation", "chronic pain")
_DESIGNS = ("a randomized, double-blind, placebo-controlled trial", "an open-label case series",
            "a systematic review and meta-analysis", "a retrospective cohort study")


def synthetic_article(i: int) -> str:
    pmid, target, n = 91000000 + i, _TARGETS[(i // 4) % 4], 40 + i % 60
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f'<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>{2000 + i % 25}'
        "</Year></PubDate></JournalIssue><Title>Journal of Synthetic Fixtures</Title></Journal>"
        f"<ArticleTitle>{_ROUTES[i % 4]} for {target}: {_DESIGNS[(i // 16) % 4]} (synthetic {i}).</ArticleTitle>"
        f"<Abstract><AbstractText>We enrolled {n} adults with {target}. {i % 30 + 5} of {n} patients responded "
        "at 24 hours.</AbstractText></Abstract><Language>eng</Language><PublicationTypeList>"
        '<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList></Article>'
        f'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        "</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


@dataclass
class Setup:
    root: Path
    xml: Path
    pristine: Path  # imported and tagged with the packaged rules; never written after setup
    queries: Path
    user_rules: list[Path]  # variant k (k ≥ 1) adds user_rules[k - 1]; variant 0 is the packaged rules
    tag_seconds: float  # how long tagging N_RECORDS took during the import
    worker_seconds: float = 0.0  # how long the import's tagging workers lived (tagging also reads
    # evidence profiles in the main process after them, so this window is shorter than tag_seconds)


@dataclass
class Run:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path
    started: float

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")


class Ketlit:
    """Starts the real CLI as a subprocess with a marker in its environment."""

    def __init__(self, setup: Setup, db: Path) -> None:
        self.setup, self.db, self.mark = setup, db, uuid.uuid4().hex
        # No developer settings (the module fixture runs before the per-test clean_env does).
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("KETLIT_", "NCBI_"))}
        self.env = {**inherited, "PYTHONPATH": str(REPO / "src"), "NCBI_EMAIL": "kill-tests@example.org",
                    MARK: self.mark}
        self.count = 0

    def start(self, *args: str, variant: int = 0) -> Run:
        env = dict(self.env)
        if variant:
            env["KETLIT_TAGGING_RULES"] = str(self.setup.user_rules[variant - 1])
        self.count += 1
        # Files, not pipes: a process left behind would hold a pipe open and hang the reader.
        out, err = (self.setup.root / f"{self.mark}-{self.count}.{ext}" for ext in ("out", "err"))
        with out.open("wb") as o, err.open("wb") as e:
            proc = subprocess.Popen([sys.executable, "-m", "ketlit", "--db", str(self.db), *args],
                                    stdout=o, stderr=e, env=env, cwd=self.setup.root)  # no ketlit.toml there
        return Run(proc, out, err, time.monotonic())

    def run(self, *args: str, variant: int = 0, timeout: float = 120) -> Run:
        run = self.start(*args, variant=variant)
        run.proc.wait(timeout=timeout)
        return run

    def refresh_args(self, out_dir: Path) -> tuple[str, ...]:
        return ("refresh", "--offline", "--queries-dir", str(self.setup.queries), "--out-dir", str(out_dir))

    def processes(self) -> list[int]:
        """Live (not zombie) processes carrying this instance's marker: CLI runs and their workers."""
        return marked_processes(self.mark)

    def kill_all(self) -> None:
        for pid in self.processes():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def marked_processes(mark: str) -> list[int]:
    """Live (not zombie) processes whose environment holds ``MARK=mark``."""
    try:
        import psutil
    except ImportError:
        psutil = None
    found = []
    if psutil is not None:
        for proc in psutil.process_iter():
            with suppress(psutil.Error):
                if proc.environ().get(MARK) == mark and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
        return sorted(found)
    marker = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0") and pid_alive(int(entry.name)):
                    found.append(int(entry.name))
    return sorted(found)


def left_behind(ketlit: Ketlit, wait: float = 5.0) -> list[int]:
    """Marked processes still alive after ``wait`` seconds (the kernel needs a moment to reap)."""
    deadline = time.monotonic() + wait
    while (alive := ketlit.processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def wait_for_workers(run: Run, ketlit: Ketlit, timeout: float = 60) -> bool:
    """Wait until the run has forked its workers (True), or has ended without (False)."""
    deadline = time.monotonic() + timeout
    while run.proc.poll() is None and time.monotonic() < deadline:
        if [pid for pid in ketlit.processes() if pid != run.proc.pid]:
            return True
        time.sleep(0.02)
    return False


def sleep_while_workers(run: Run, ketlit: Ketlit, seconds: float) -> None:
    """Sleep up to ``seconds``, but no longer than the run's workers all live: back as soon as one of
    them has gone (fewer than the most seen), the pool finishing. A random point in a lifetime
    measured earlier can fall after the end of this one on a machine whose load changed since;
    this keeps the kill at a random point while the workers tag."""
    deadline = time.monotonic() + seconds
    most = 0
    while time.monotonic() < deadline and run.proc.poll() is None:
        alive = len([pid for pid in ketlit.processes() if pid != run.proc.pid])
        if alive < most:
            return
        most = max(most, alive)
        time.sleep(0.01)


def worker_lifetime(run: Run, ketlit: Ketlit) -> float:
    """Seconds between the run's workers appearing and the last of them going (0 if none did)."""
    first = last = None
    while run.proc.poll() is None:
        if [pid for pid in ketlit.processes() if pid != run.proc.pid]:
            first = first or time.monotonic()
            last = time.monotonic()
        time.sleep(0.02)
    return (last - first) if first is not None and last is not None else 0.0


def copy_db(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def tagging_data(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything tagging writes: tag rows with their evidence, per-record state, extracted numbers."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        data = {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in ("tags", "tag_state", "findings")}
    conn.close()
    return data


def without_stamp(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("Generated:"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("lock-kill")
    xml = root / "synthetic.xml"
    xml.write_text('<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
                   + "".join(synthetic_article(i) for i in range(N_RECORDS)) + "</PubmedArticleSet>\n")
    queries = root / "queries"
    queries.mkdir()
    (queries / "killed.toml").write_text(QUERY, encoding="utf-8")
    user_rules = [root / f"rules-variant-{k}.toml" for k in range(1, KILLS + 1)]
    for k, path in enumerate(user_rules, 1):
        path.write_text(f"# Variant {k}: the same rules, another digest, so every record is due again.\n",
                        encoding="utf-8")
    setup = Setup(root, xml, root / "pristine.db", queries, user_rules, 0.0)
    ketlit = Ketlit(setup, setup.pristine)
    with EutilsStandin([PUBMED_FIXTURE], rate_limit=None) as eu:
        ketlit.env["KETLIT_EUTILS_URL"] = eu.base_url
        fetched = ketlit.run("fetch", "pubmed", "ketamine OR esketamine")
        assert fetched.proc.returncode == 0, fetched.stderr()
    imported = ketlit.run("import", str(xml))
    assert imported.proc.returncode == 0, imported.stderr()
    # The tagging workers' lifetime in a refresh (the import's workers also parse, so it is no guide).
    # The shortest of three: under a loaded suite one run's workers can live twice as long as the
    # next one's, and a window taken from a slow sample lets "kill while the workers tag" land after
    # they are gone (CI once saw 4 of 10 kills hit them).
    measure_db = root / "measure.db"
    copy_db(setup.pristine, measure_db)
    measure = Ketlit(setup, measure_db)
    lifetimes: list[float] = []
    for variant in (1, 2, 3):  # each variant changes the rules digest, so every record is due again
        measured = measure.start(*measure.refresh_args(root / "measure-reports"), variant=variant)
        lifetimes.append(worker_lifetime(measured, measure))
        assert measured.proc.wait(timeout=120) == 0, measured.stderr()
    assert min(lifetimes) > 0, f"a refresh forked no workers: {lifetimes}"
    setup.worker_seconds = min(lifetimes)
    tagged = re.search(rf"tagged {N_RECORDS} record\(s\) in ([\d.]+)s", imported.stderr())
    assert tagged, imported.stderr()
    setup.tag_seconds = float(tagged.group(1))
    yield setup
    ketlit.kill_all()


def lock_owner(db: Path) -> int | None:
    """The pid the run lock's owner record names, if any."""
    with suppress(OSError, ValueError):
        record = json.loads(lock_path_for(db).read_text(encoding="utf-8").strip() or "{}")
        return int(record["pid"]) if isinstance(record, dict) and "pid" in record else None
    return None


def wait_for_lock(run: Run, db: Path, timeout: float = 60) -> bool:
    """Wait until the run holds the lock (its record names it): it runs, it did not exit 4."""
    deadline = time.monotonic() + timeout
    while run.proc.poll() is None and time.monotonic() < deadline:
        if lock_owner(db) == run.proc.pid:
            return True
        time.sleep(0.02)
    return False


def test_kill_9_ten_times_in_a_row_never_wedges_or_leaks(setup: Setup, tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    db, baseline_db = tmp_path / "killed.db", tmp_path / "baseline.db"
    copy_db(setup.pristine, db)
    copy_db(setup.pristine, baseline_db)
    ketlit = Ketlit(setup, db)
    out_dir, baseline_out = tmp_path / "reports", tmp_path / "baseline-reports"
    try:
        # The uninterrupted reference: two refreshes, so that its report compares with a previous
        # one as the killed chain's last report does. (Nothing to tag: the pristine cache is tagged.)
        reference = Ketlit(setup, baseline_db)
        for _ in range(2):
            done = reference.run(*reference.refresh_args(baseline_out))
            assert done.proc.returncode == 0, done.stderr()
        untagged_seconds = time.monotonic() - done.started

        killed_pids: list[int] = []
        killed_with_workers = 0
        for trial in range(KILLS):
            context = f"trial {trial} (seed {seed})"
            # A new variant each time: every record is due in every killed run.
            run = ketlit.start(*ketlit.refresh_args(out_dir), variant=trial + 1)
            # The refresh after a kill runs: it takes the lock at once, taking over from the dead run.
            assert wait_for_lock(run, db), f"{context}: exit {run.proc.poll()}: {run.stderr()}"
            if trial % 2:
                # Anywhere from the lock on: loading, tagging, writing, rendering (about half of
                # a refresh with nothing to tag is start-up, before the lock).
                time.sleep(rng.uniform(0.0, setup.tag_seconds + untagged_seconds / 2))
            else:
                # While the workers tag: somewhere in the first 80% of their lifetime (the shortest of
                # the three refreshes measured in the setup; not tag_seconds, which includes reading
                # profiles after them), and never after the first of them has gone: the pool's
                # finishing is left to the odd trials, whose window runs to the end of the refresh.
                assert wait_for_workers(run, ketlit), f"{context}: no workers started: {run.stderr()}"
                sleep_while_workers(run, ketlit, rng.uniform(0.0, 0.8 * setup.worker_seconds))
            workers = [pid for pid in ketlit.processes() if pid != run.proc.pid]
            killed_with_workers += bool(workers and run.proc.poll() is None)
            run.proc.send_signal(signal.SIGKILL)
            run.proc.wait(timeout=30)
            killed_pids.append(run.proc.pid)
            # Whether it died holding the lock, read from what it left (a clean release empties the
            # owner record): a refresh with little to do can finish inside the random delay, or be
            # killed after releasing the lock on its way out, and then the next run has nothing to
            # take over. (Whether it was alive just before the kill did not tell: it could release
            # the lock between that look and the signal, a race CI once hit.)
            held_at_death = lock_owner(db) == run.proc.pid
            assert left_behind(ketlit) == [], f"{context}: processes outlived the killed refresh"
            err = run.stderr()
            assert "Traceback" not in err and "already running" not in err, f"{context}: {err}"
            if "taking over the lock" in err:
                assert f"(pid {killed_pids[-2]}," in err, err  # only ever the run killed before
        assert killed_with_workers >= KILLS // 2, f"too few kills hit the workers (seed {seed})"

        # Back to the packaged rules, as the reference: everything the kills touched is due again.
        final = ketlit.run(*ketlit.refresh_args(out_dir))
        err = final.stderr()
        assert final.proc.returncode == 0, f"the refresh after the last kill exited {final.proc.returncode}: {err}"
        assert "Traceback" not in err
        if held_at_death:
            assert f"(pid {killed_pids[-1]}," in err, err  # it said whose lock it took over
        assert left_behind(ketlit, 0) == []

        assert tagging_data(db) == tagging_data(baseline_db)
        report, reference_report = (d / "killed.md" for d in (out_dir, baseline_out))
        assert without_stamp(report.read_text(encoding="utf-8")) == \
            without_stamp(reference_report.read_text(encoding="utf-8"))
        assert "PMID 90300003" in report.read_text(encoding="utf-8")  # a report with content, not an empty one
    finally:
        ketlit.kill_all()


def test_sigterm_stops_the_workers_and_releases_the_lock(setup: Setup, tmp_path: Path) -> None:
    db = tmp_path / "terminated.db"
    copy_db(setup.pristine, db)
    ketlit = Ketlit(setup, db)
    out_dir = tmp_path / "reports"
    try:
        run = ketlit.start(*ketlit.refresh_args(out_dir), variant=1)
        assert wait_for_workers(run, ketlit), run.stderr()
        time.sleep(random.uniform(0.0, 0.5 * setup.worker_seconds))
        # Only while the workers run does SIGTERM have anything to stop (outside that window it keeps
        # its default action, by design); on a loaded machine they may already be done.
        assert [p for p in ketlit.processes() if p != run.proc.pid], "the workers ended before the signal"
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(timeout=30) == 128 + signal.SIGTERM
        # Stopped and joined by the main process: gone the moment it is, with no grace period.
        assert left_behind(ketlit, 0) == []
        assert "Traceback" not in run.stderr()
        after = ketlit.run(*ketlit.refresh_args(out_dir), variant=1)
        assert after.proc.returncode == 0, after.stderr()
        # Released on the way out, not merely abandoned: nothing to take over.
        assert "taking over" not in after.stderr()
    finally:
        ketlit.kill_all()


def test_killed_import_leaves_no_workers(setup: Setup, tmp_path: Path) -> None:
    db = tmp_path / "imported.db"
    ketlit = Ketlit(setup, db)
    rng = random.Random()
    try:
        for attempt in range(3):
            run = ketlit.start("import", str(setup.xml))
            # Parsing workers first, then tagging workers: kill somewhere in either.
            assert wait_for_workers(run, ketlit), f"attempt {attempt}: {run.stderr()}"
            time.sleep(rng.uniform(0.0, setup.tag_seconds))
            run.proc.send_signal(signal.SIGKILL)
            run.proc.wait(timeout=30)
            assert left_behind(ketlit) == [], f"attempt {attempt}: workers outlived the killed import"
        done = ketlit.run("import", str(setup.xml))
        assert done.proc.returncode == 0, done.stderr()
        # The same records and tags as an import that was never interrupted (the pristine cache's).
        mine = tagging_data(db)
        reference = {table: [row for row in rows if str(row[1]).startswith("91")]
                     for table, rows in tagging_data(setup.pristine).items()}
        assert mine == reference
        assert len({row[1] for row in mine["tag_state"]}) == N_RECORDS
    finally:
        ketlit.kill_all()
