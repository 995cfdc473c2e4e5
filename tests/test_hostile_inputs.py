"""Hostile inputs to every command: one line on stderr, a non-zero exit, no traceback, no lost data.

Issue 11, item 7: the README promises one ``Error: …`` line for bad input, yet a read-only cache,
a busy or damaged database, an unwritable or full output target, a Latin-1 TOML file, an
out-of-range number or a NUL byte in an argument each gave a traceback. Every case here runs the
real CLI (Typer's runner, in process; a subprocess where the operating system must be involved)
and asserts the same three things: the exit code is not 0, stderr is exactly one ``Error:`` line
and nothing escaped as an exception, and the stored data (the database, an earlier export or
report) is byte for byte what it was.

How the hostile conditions are made, portably:
- **Read-only cache**: ``sqlite3.connect`` is wrapped to open the file with ``mode=ro``, which
  gives SQLite's own SQLITE_READONLY exactly as a read-only file does, also when the tests run
  as root (root ignores file permissions). One test uses real permissions where it can.
- **Busy cache**: a child process holds a write transaction; the busy timeout is shortened.
- **Full disk**: the raw file type of :mod:`ketlit.files` is replaced by one that fails with
  ENOSPC after a few bytes, so the write fails half-way as on a full disk; ``/dev/full`` (Linux)
  stands for a full standard output in a subprocess.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ketlit.cli
import ketlit.files
import ketlit.store.core
from ketlit.cli import app
from ketlit.errors import ExitCode
from tests.conftest import FIXTURES, REPO

runner = CliRunner()

OFFLINE = FIXTURES / "offline"
PUBMED_XML = OFFLINE / "efetch_offline_ketamine_set.xml"
NBIB = OFFLINE / "medline_offline_esketamine.nbib"
QUERY_NAME = "offline_ketamine"
HUGE = str(10**30)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run(*args: str) -> Outcome:
    result = runner.invoke(app, list(args))
    return Outcome(result.exit_code, result.stdout, result.stderr, result.exception)


def error_line(o: Outcome) -> str:
    """The one ``Error:`` line of a failed run (asserting there is exactly one and no traceback)."""
    assert o.code != 0, (o.stdout, o.stderr)
    # The runner catches what would have been a traceback; only SystemExit is a clean exit.
    assert o.exception is None or isinstance(o.exception, SystemExit), repr(o.exception)
    assert "Traceback" not in o.stdout + o.stderr
    lines = [line for line in o.stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    assert len(lines) == 1, o.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


def assert_one_line(o: Outcome, *fragments: str, code: int | None = None) -> None:
    line = error_line(o)
    for fragment in fragments:
        assert fragment.lower() in line.lower(), line
    if code is not None:
        assert o.code == code, line


def snapshot(db: Path) -> bytes:
    """The database's bytes (main file and write-ahead log): what "data unchanged" compares."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture(autouse=True)
def no_traceback_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's KETLIT_TRACEBACK=1 would let the safety net's tracebacks through."""
    monkeypatch.delenv("KETLIT_TRACEBACK", raising=False)


# -- a small cache, built once ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("pristine") / "k.db"
    with pytest.MonkeyPatch.context() as mp:
        for var in ("KETLIT_CONFIG", "KETLIT_TAGGING_RULES", "KETLIT_CLAIM_RULES", "KETLIT_REGULATORY"):
            mp.delenv(var, raising=False)
        mp.chdir(db.parent)
        o = run("--db", str(db), "import", str(PUBMED_XML))
    assert o.code == 0, o.stderr
    return db


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small cache (eleven tagged PubMed records) in this test's folder."""
    copy = tmp_path / "cache" / "k.db"
    copy.parent.mkdir()
    shutil.copyfile(pristine, copy)
    return copy


@pytest.fixture
def queries(tmp_path: Path) -> Path:
    """The offline query file and the clinic page it names, as a queries folder."""
    shutil.copytree(OFFLINE / "queries", tmp_path / "queries")
    shutil.copytree(OFFLINE / "pages", tmp_path / "pages")
    return tmp_path / "queries"


def query_with(queries: Path, extra: str, section: str = "report") -> Path:
    """The offline query file with the line ``extra`` (``key = value``) in its ``[section]``."""
    text = (queries / f"{QUERY_NAME}.toml").read_text(encoding="utf-8")
    key = extra.split("=")[0].strip()
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(f"{key} ="))
    path = queries / "edited.toml"
    path.write_text(text.replace(f"[{section}]\n", f"[{section}]\n{extra}\n", 1), encoding="utf-8")
    return path


# -- read-only cache --------------------------------------------------------------------------------


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache opens read-only (SQLite's ``mode=ro``), as a file without write permission does."""
    real = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.pop("uri", None)
        return real(Path(database).resolve().as_uri() + "?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


WRITERS: dict[str, Callable[[Path, Path], list[str]]] = {
    "import": lambda db, q: ["import", str(NBIB)],
    "tag": lambda db, q: ["tag"],
    "fetch": lambda db, q: ["fetch", "pubmed", "ketamine"],
    "refresh": lambda db, q: ["refresh", "--offline", "--queries-dir", str(q), "--out-dir", str(db.parent / "r")],
    "report": lambda db, q: ["report", str(q / f"{QUERY_NAME}.toml"), "--out-dir", str(db.parent / "r")],
}


@pytest.mark.parametrize("command", list(WRITERS))
def test_read_only_cache_is_one_line_and_untouched(
    command: str, db: Path, queries: Path, read_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fetch stores its run before it asks the service; nothing listens here, so a fetch that got
    # past the cache would fail on the network instead (and say so).
    monkeypatch.setenv("KETLIT_EUTILS_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "0")
    before = snapshot(db)
    o = run("--db", str(db), *WRITERS[command](db, queries))
    assert_one_line(o, "cannot write to the cache", str(db), "read-only", code=ExitCode.ERROR)
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "args",
    [["status"], ["search", "ketamine"], ["export", "articles"], ["explain", "90300001"]],
    ids=["status", "search", "export", "explain"],
)
def test_read_only_cache_still_serves_reads(args: list[str], db: Path, read_only: None) -> None:
    o = run("--db", str(db), *args)
    assert o.code == 0 and o.exception is None, o.stderr
    assert o.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="needs a user that file permissions apply to (root ignores them)")
def test_read_only_file_and_folder_by_permissions(db: Path, queries: Path, tmp_path: Path) -> None:
    db.chmod(0o444)
    try:
        before = snapshot(db)
        assert_one_line(run("--db", str(db), "tag"), "read-only")
        assert snapshot(db) == before
    finally:
        db.chmod(0o644)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    o = run("--db", str(db), "refresh", "--offline", "--queries-dir", str(queries), "--out-dir", str(locked))
    assert_one_line(o, f"cannot write to report folder {locked}")
    assert_one_line(run("--db", str(db), "export", "articles", "--out", str(locked / "a.jsonl")), "a.jsonl")


@pytest.fixture
def cache_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache is as large as it may get (``max_page_count``): SQLite's own "disk is full"."""
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)


def article_rows(db: Path) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM articles ORDER BY pmid").fetchall()
    finally:
        conn.close()


def test_full_disk_under_the_cache_is_one_line(db: Path, cache_full: None) -> None:
    before = article_rows(db)
    o = run("--db", str(db), "import", str(PUBMED_XML.with_name("medline_offline_esketamine.nbib")))
    assert_one_line(o, "cannot write to the cache", str(db), "disk is full")
    assert article_rows(db) == before


@pytest.mark.parametrize("target", ["folder", "device"])
def test_a_cache_path_that_is_not_a_file(target: str, tmp_path: Path) -> None:
    if target == "device" and not Path(os.devnull).exists():
        pytest.skip("needs /dev/null")
    path = str(tmp_path) if target == "folder" else os.devnull
    assert_one_line(run("--db", path, "status"), f"cannot use {path} as the cache")


def test_every_public_store_method_translates_sqlite_errors(tmp_path: Path) -> None:
    """The facade and every area it is built from: a new method cannot forget the translation."""
    import inspect

    from ketlit.store import open_store

    store = open_store(tmp_path / "k.db")
    try:
        areas = [type(v) for v in vars(store).values() if hasattr(v, "db") and v is not store]
        assert len(areas) >= 6
        for cls in [type(store), *areas]:
            for name, value in vars(cls).items():
                if inspect.isfunction(value) and not name.startswith("_"):
                    assert getattr(value, "__ketlit_translated__", False), f"{cls.__name__}.{name}"
    finally:
        store.close()


def test_a_stray_sqlite_error_inside_the_store_is_a_store_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raised from deep inside an area method (here: reading the runs), it leaves as a StoreError."""
    import sqlite_utils

    real = sqlite_utils.Database.execute

    def execute(self: sqlite_utils.Database, sql: str, *args: Any, **kwargs: Any) -> Any:
        if "FROM runs ORDER BY id DESC" in sql:
            raise sqlite3.OperationalError("no such column: surprise")
        return real(self, sql, *args, **kwargs)

    monkeypatch.setattr(sqlite_utils.Database, "execute", execute)
    o = run("--db", str(db), "status")
    assert_one_line(o, f"cache {db}: no such column: surprise")
    assert "internal error" not in o.stderr


# -- another process is writing -----------------------------------------------------------------------

_HOLD = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE'); c.execute('DELETE FROM tags')\n"
    "print('held', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')\n"
)


@pytest.fixture
def busy(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A child process holds a write transaction on ``db`` until the test ends."""
    monkeypatch.setattr(ketlit.store.core, "BUSY_TIMEOUT_S", 0.2)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        yield db
    finally:
        holder.communicate("done\n", timeout=30)


def content(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize("args", [["tag"], ["import", str(NBIB)]], ids=["tag", "import"])
def test_busy_cache_names_the_other_writer(args: list[str], busy: Path) -> None:
    before = content(busy)  # what is committed; the holder's transaction is not
    o = run("--db", str(busy), *args)
    assert_one_line(o, "another ketlit process is writing to", str(busy), "try again", code=ExitCode.LOCKED)
    assert content(busy) == before


def test_reads_do_not_wait_for_the_other_writer(busy: Path) -> None:
    o = run("--db", str(busy), "search", "ketamine", "--json")
    assert o.code == 0 and o.exception is None, o.stderr
    assert o.stdout.strip()


# -- damaged, foreign or not-a-database files ------------------------------------------------------


def _flip(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 0xFF
    return bytes(out)


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('my own data')")
    conn.commit()
    conn.close()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random bytes": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3]),
    # Byte 20 of the header is the reserved space per page: every page is then read wrongly.
    "bit-flipped header": lambda p: p.write_bytes(_flip(p.read_bytes(), 20)),
}


# A flipped header byte spoils only the pages that are read: the full-text index (search) and the
# tags (tag) are; a plain export of this cache's rows still works, so it is not asserted here.
@pytest.mark.parametrize(
    ("damage", "args"),
    [(d, ["search", "ketamine"]) for d in DAMAGE] + [(d, ["tag"]) for d in DAMAGE]
    + [(d, ["export", "trials"]) for d in ("random bytes", "truncated")],
)
def test_damaged_cache_is_one_line_and_never_rewritten(damage: str, args: list[str], db: Path) -> None:
    DAMAGE[damage](db)
    before = snapshot(db)
    assert_one_line(run("--db", str(db), *args), str(db), "is not a ketlit cache or is damaged")
    assert snapshot(db) == before


@pytest.mark.parametrize("args", [["status"], ["tag"], ["import", str(NBIB)]], ids=["status", "tag", "import"])
def test_someone_elses_database_is_not_migrated_over(args: list[str], tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    _foreign(other)
    before = snapshot(other)
    assert_one_line(run("--db", str(other), *args), str(other), "is not a ketlit cache", "notes")
    assert snapshot(other) == before


def test_a_damaged_cache_is_not_migrated(tmp_path: Path) -> None:
    """An older cache that needs a migration is checked first: a damaged one is refused as it is."""
    from ketlit.store.migrations import MIGRATIONS

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE _ketlit_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.commit()
    import sqlite_utils

    legacy = sqlite_utils.Database(conn)
    for name, fn in MIGRATIONS[:-1]:
        fn(legacy)
        conn.execute("INSERT INTO _ketlit_migrations VALUES (?, 'then')", [name])
    conn.commit()
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'article_authors'").fetchone()[0]
    conn.close()
    data = bytearray(old.read_bytes())
    data[(root - 1) * 4096] = 0x55  # not a B-tree page type: the table's root page is garbage
    old.write_bytes(bytes(data))
    before = snapshot(old)
    assert_one_line(run("--db", str(old), "status"), "is not a ketlit cache or is damaged")
    assert snapshot(old) == before


def test_a_cache_from_a_newer_ketlit_is_refused(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _ketlit_migrations VALUES ('m999_from_the_future', 'later')")
    conn.commit()
    conn.close()
    before = snapshot(db)
    assert_one_line(run("--db", str(db), "tag"), "newer ketlit", "m999_from_the_future")
    assert snapshot(db) == before


# -- output targets: a file where a folder belongs and vice versa, a full disk -----------------------


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def test_report_into_a_file_is_one_line(db: Path, queries: Path, afile: Path) -> None:
    for out_dir in (afile, afile / "sub"):
        o = run("--db", str(db), "report", str(queries / f"{QUERY_NAME}.toml"), "--out-dir", str(out_dir))
        assert_one_line(o, str(out_dir))
    assert afile.read_text(encoding="utf-8") == "not a folder\n"


def test_refresh_into_a_file_is_one_line(db: Path, queries: Path, afile: Path) -> None:
    o = run("--db", str(db), "refresh", "--offline", "--queries-dir", str(queries), "--out-dir", str(afile))
    assert_one_line(o, str(afile))


@pytest.mark.parametrize(
    "command",
    [["export", "articles"], ["export", "citations"], ["check", "PAGE"]],
    ids=["export", "citations", "check"],
)
def test_export_into_a_folder_or_under_a_file_is_one_line(
    command: list[str], db: Path, queries: Path, afile: Path, tmp_path: Path
) -> None:
    args = [str(queries.parent / "pages" / "clinic_offline_ketamine.html") if a == "PAGE" else a for a in command]
    for dest in (tmp_path, afile / "x.out"):
        assert_one_line(run("--db", str(db), *args, "--out", str(dest)), str(dest))


class _FullDisk(io.FileIO):
    """A file on a disk that fills up after a few hundred bytes."""

    room = 300

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ketlit.files, "RAW_FILE", _FullDisk)


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.parametrize(
    "command",
    [["export", "articles"], ["export", "tags", "--format", "csv"], ["export", "citations", "--format", "bibtex"],
     ["check", "PAGE"]],
    ids=["articles", "tags-csv", "citations", "check"],
)
def test_full_disk_keeps_the_previous_output_whole(
    command: list[str], db: Path, queries: Path, tmp_path: Path, full_disk: None
) -> None:
    out = tmp_path / "out" / "result.txt"
    out.parent.mkdir()
    out.write_text("the previous, complete export\n", encoding="utf-8")
    args = [str(queries.parent / "pages" / "clinic_offline_ketamine.html") if a == "PAGE" else a for a in command]
    o = run("--db", str(db), *args, "--out", str(out))
    assert_one_line(o, str(out), os.strerror(errno.ENOSPC))
    assert out.read_text(encoding="utf-8") == "the previous, complete export\n"
    assert _leftovers(out.parent, {"result.txt"}) == []  # no temporary file left behind


def test_full_disk_leaves_no_new_file(db: Path, tmp_path: Path, full_disk: None) -> None:
    out = tmp_path / "new.jsonl"
    assert_one_line(run("--db", str(db), "export", "articles", "--out", str(out)), "new.jsonl")
    assert _leftovers(tmp_path, {"cache"}) == []


def test_full_disk_keeps_the_previous_report(db: Path, queries: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reports = tmp_path / "reports"
    assert run("--db", str(db), "report", str(queries / f"{QUERY_NAME}.toml"), "--out-dir", str(reports)).code == 0
    previous = {p.name: p.read_bytes() for p in reports.iterdir()}
    (queries / f"{QUERY_NAME}.toml").write_text(
        (queries / f"{QUERY_NAME}.toml").read_text(encoding="utf-8").replace("(offline fixtures)", "(edited)"),
        encoding="utf-8")
    monkeypatch.setattr(ketlit.files, "RAW_FILE", _FullDisk)
    o = run("--db", str(db), "report", str(queries / f"{QUERY_NAME}.toml"), "--out-dir", str(reports))
    assert_one_line(o, str(reports), os.strerror(errno.ENOSPC))
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == previous


def test_written_files_get_the_usual_permissions(db: Path, queries: Path, tmp_path: Path) -> None:
    """Atomic writes go through a temporary file; the result must not keep a private 0600 mode."""
    umask = os.umask(0o022)
    try:
        out = tmp_path / "a.jsonl"
        assert run("--db", str(db), "export", "articles", "--out", str(out)).code == 0
        reports = tmp_path / "reports"
        assert run("--db", str(db), "report", str(queries / f"{QUERY_NAME}.toml"), "--out-dir", str(reports)).code == 0
    finally:
        os.umask(umask)
    for path in (out, reports / f"{QUERY_NAME}.md"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_export_to_a_device_writes_through(db: Path) -> None:
    """``--out /dev/null`` (or /dev/stdout) is written to, never replaced by a regular file."""
    if not Path(os.devnull).exists() or os.name != "posix":
        pytest.skip("needs /dev/null")
    before = os.stat(os.devnull)
    assert run("--db", str(db), "export", "articles", "--out", os.devnull).code == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and os.stat(os.devnull).st_ino == before.st_ino


def _cli_subprocess(db: Path, *args: str, stdout: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-c", "from ketlit.cli import main; main()", "--db", str(db), *args],
        stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=60, check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "args", [["export", "articles"], ["status"], ["search", "ketamine"], ["status", "--json"]],
    ids=["export", "status", "search", "status-json"],
)
def test_full_standard_output_is_one_line(args: list[str], db: Path) -> None:
    with open("/dev/full", "w") as full:
        done = _cli_subprocess(db, *args, stdout=full)
    assert done.returncode == ExitCode.ERROR, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert os.strerror(errno.ENOSPC) in lines[0]


# -- files that are not UTF-8 --------------------------------------------------------------------------

LATIN1 = "# réglages du café\n".encode("latin-1")


def _offset_of_bad_byte(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    raise AssertionError("the file is UTF-8")


def test_latin1_config_file(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ketlit.toml"
    config.write_bytes(b"timeout = 5\n" + LATIN1)
    offset = _offset_of_bad_byte(config.read_bytes())
    o = run("--db", str(db), "--config", str(config), "status")
    assert_one_line(o, str(config), "not utf-8", f"byte {offset}", "line 2")


def test_latin1_query_file(db: Path, queries: Path) -> None:
    path = queries / "latin.toml"
    path.write_bytes(LATIN1 + (queries / f"{QUERY_NAME}.toml").read_bytes())
    offset = _offset_of_bad_byte(path.read_bytes())
    assert_one_line(run("--db", str(db), "report", str(path)), str(path), "not utf-8", f"byte {offset}")


def test_latin1_claim_rules_file(db: Path, queries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_bytes(LATIN1)
    monkeypatch.setenv("KETLIT_CLAIM_RULES", str(rules))
    o = run("--db", str(db), "check", str(queries.parent / "pages" / "clinic_offline_ketamine.html"))
    assert_one_line(o, str(rules), "not utf-8", f"byte {_offset_of_bad_byte(LATIN1)}")


@pytest.mark.parametrize(
    "body", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{x = " * 3000 + "1" + "}" * 3000,
             "a = " + "[" * 40 + "]" * 40],
    ids=["arrays", "inline-tables", "just-too-deep"],
)
def test_deeply_nested_toml(body: str, db: Path, tmp_path: Path) -> None:
    config = tmp_path / "deep.toml"
    config.write_text(body + "\n", encoding="utf-8")
    o = run("--db", str(db), "--config", str(config), "status")
    assert_one_line(o, str(config), "nested more than")


# -- numbers out of range --------------------------------------------------------------------------------


# A million is a sane count, but not a number of years to add to a date (beyond 9999 they overflow).
@pytest.mark.parametrize(
    ("key", "value"),
    [(key, value) for key in ("overdue_years", "key_evidence_limit", "years", "changes_limit")
     for value in (HUGE, "9223372036854775807")] + [("overdue_years", str(10**6))],
)
def test_huge_report_numbers_in_a_query_file(key: str, value: str, db: Path, queries: Path) -> None:
    path = query_with(queries, f"{key} = {value}")
    assert_one_line(run("--db", str(db), "report", str(path)), str(path), f"report.{key}")


@pytest.mark.parametrize(
    "line",
    [f"overlap_days = {HUGE}", f"max_retries = {HUGE}", f"batch_size = {HUGE}", "overlap_days = 1000000",
     "backoff_cap = inf", "ncbi_rate = nan", "backoff_base = 1e308", "ctgov_rate = 1e-300", "max_retries = -1"],
)
def test_out_of_range_config_values(line: str, db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ketlit.toml"
    config.write_text(line + "\n", encoding="utf-8")
    assert_one_line(run("--db", str(db), "--config", str(config), "status"), line.split(" =")[0])


@pytest.mark.parametrize(
    ("var", "value"),
    [("KETLIT_BACKOFF_CAP", "1e308"), ("KETLIT_NCBI_RATE", "nan"), ("KETLIT_OVERLAP_DAYS", HUGE),
     ("KETLIT_MAX_RETRIES", HUGE)],
)
def test_out_of_range_environment_values(var: str, value: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(var, value)
    assert_one_line(run("--db", str(db), "status"), var)


@pytest.mark.parametrize(
    "rules",
    ["[thresholds]\napprox_tolerance_pct = nan\n", f"[evidence]\nmax_cited = {HUGE}\n",
     "[evidence]\ni2_inconsistency = inf\n"],
    ids=["nan", "huge", "inf"],
)
def test_out_of_range_claim_rules(rules: str, db: Path, queries: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(rules, encoding="utf-8")
    monkeypatch.setenv("KETLIT_CLAIM_RULES", str(path))
    o = run("--db", str(db), "check", str(queries.parent / "pages" / "clinic_offline_ketamine.html"))
    assert_one_line(o, str(path))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["search", "ketamine", "--limit", HUGE], "limit"), (["search", "ketamine", "--limit", "-5"], "limit"),
     (["search", "ketamine", "--limit", "0"], "limit"), (["status", "--runs", HUGE], "runs"),
     (["status", "--runs", "-1"], "runs")],
    ids=["limit-huge", "limit-negative", "limit-zero", "runs-huge", "runs-negative"],
)
def test_integer_flags_that_reach_sqlite(args: list[str], fragment: str, db: Path) -> None:
    assert_one_line(run("--db", str(db), *args), fragment)


# -- odd arguments ---------------------------------------------------------------------------------------


def test_nul_byte_in_a_page_path(db: Path) -> None:
    assert_one_line(run("--db", str(db), "check", "page\x00.html"), "nul")


def test_nul_and_control_bytes_in_search_text(db: Path) -> None:
    o = run("--db", str(db), "search", "ket\x00amine\x01", "--json")
    assert o.code == 0 and o.exception is None, (o.stderr, o.exception)


# Bytes in argv that are not UTF-8 (a Latin-1 terminal) reach Python as lone surrogates.
@pytest.mark.parametrize(
    "args",
    [["search", "caf\udce9"], ["history", "NCT\udcff"], ["fetch", "pubmed", "caf\udce9", "--max", "1"]],
    ids=["search", "history", "fetch"],
)
def test_an_argument_that_is_not_utf8(args: list[str], db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_EUTILS_URL", "http://127.0.0.1:9/")
    before = snapshot(db)
    o = run("--db", str(db), *args)
    assert_one_line(o, "not valid UTF-8")
    assert "internal error" not in o.stderr
    assert snapshot(db) == before


# -- the safety net for what no root fix foresaw -------------------------------------------------------


def _explode(exc: BaseException) -> Callable[..., Any]:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return boom


def test_an_unexpected_error_is_one_line_with_a_hint(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ketlit.cli, "cache_status", _explode(RuntimeError("boom\nsecond line")))
    o = run("--db", str(db), "status")
    assert_one_line(o, "internal error", "RuntimeError: boom", "KETLIT_TRACEBACK=1", code=ExitCode.ERROR)


def test_the_traceback_on_request(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ketlit.cli, "cache_status", _explode(RuntimeError("boom")))
    monkeypatch.setenv("KETLIT_TRACEBACK", "1")
    o = run("--db", str(db), "status")
    assert isinstance(o.exception, RuntimeError)


@pytest.mark.parametrize(
    ("exc", "fragment", "code"),
    [(sqlite3.OperationalError("database is locked"), "another ketlit process", ExitCode.LOCKED),
     (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), os.strerror(errno.ENOSPC), ExitCode.ERROR),
     (OSError(errno.EACCES, os.strerror(errno.EACCES), "x.txt"), "x.txt", ExitCode.ERROR)],
    ids=["sqlite", "enospc", "eacces"],
)
def test_stray_database_and_system_errors_are_one_line(
    exc: BaseException, fragment: str, code: int, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ketlit.cli, "cache_status", _explode(exc))
    o = run("--db", str(db), "status")
    assert_one_line(o, fragment, code=code)
    assert "internal error" not in o.stderr
