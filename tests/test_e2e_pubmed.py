"""End to end: `ketlit fetch pubmed` against the loopback E-utilities stand-in serving the
replay corpus (real HTTP on 127.0.0.1): the cap split, faults, kill -9, incremental runs,
secrets, and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.store import open_store
from tests.conftest import REPO, shared
from tests.standins.eutils import EutilsStandin, Fault

SECRET = "SECRETKEY0123456789abcdef"
runner = CliRunner()


def corpus() -> list[Path]:
    return [
        shared("replay", "pubmed", "psynamic_all.xml"),
        shared("replay", "pubmed", "meta-harness_efetch_esketamine_trd_3records.xml"),
    ]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NCBI_API_KEY", SECRET)  # 10 requests/s, and a secret to look for
    monkeypatch.setenv("NCBI_EMAIL", "tests@example.org")
    monkeypatch.setenv("KETLIT_BACKOFF_BASE", "0.05")
    monkeypatch.setenv("KETLIT_BACKOFF_CAP", "0.5")
    yield


def fetch(base: str, db: Path, *args: str) -> tuple[int, str, str]:
    os.environ["KETLIT_EUTILS_URL"] = base
    try:
        result = runner.invoke(app, ["--db", str(db), "fetch", "pubmed", *args])
    finally:
        del os.environ["KETLIT_EUTILS_URL"]
    return result.exit_code, result.stdout, result.stderr


def stored_pmids(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    rows = [r[0] for r in conn.execute("SELECT pmid FROM articles ORDER BY pmid")]
    conn.close()
    return rows


def last_run(db: Path) -> dict[str, object]:
    store = open_store(db)
    run = store.recent_runs(1)[0]
    store.close()
    return run.__dict__


def content_hash(db: Path) -> str:
    store = open_store(db)
    try:
        return store.content_hash()
    finally:
        store.close()


def test_cap_200_retrieves_every_match_exactly_once(tmp_path: Path, env: None) -> None:
    with EutilsStandin(corpus(), retstart_cap=200, keyed_rate_limit=10.0) as standin:
        expected = standin.matching_pmids("ketamine")
        code, _, err = fetch(standin.base_url, tmp_path / "k.db", "ketamine")
        windows = sum(1 for r in standin.requests if r.path.endswith("esearch.fcgi"))
        assert all(r.status != 429 for r in standin.requests), "the client outran the rate limit"
    assert code == 0, err
    assert len(expected) > 200 * 3
    assert stored_pmids(tmp_path / "k.db") == sorted(expected)
    run = last_run(tmp_path / "k.db")
    assert run["status"] == "complete" and run["expected"] == run["retrieved"] == len(expected)
    assert run["missing_ids"] == []
    # The query really was split, with no more searches than needed: each lists up to 200 new IDs.
    assert windows == -(-len(expected) // 200) > 1
    assert f"expected {len(expected)}, retrieved {len(expected)}" in err


def test_faults_do_not_change_the_result(tmp_path: Path, env: None) -> None:
    with EutilsStandin(corpus(), retstart_cap=200, keyed_rate_limit=10.0) as clean:
        assert fetch(clean.base_url, tmp_path / "clean.db", "ketamine")[0] == 0
    fault = Fault(rate=0.2, kinds=("500", "502", "503", "429", "truncated"), seed=7)
    with EutilsStandin(corpus(), retstart_cap=200, keyed_rate_limit=10.0, fault=fault) as faulty:
        code, _, err = fetch(faulty.base_url, tmp_path / "faulty.db", "ketamine")
        faults = [r.fault for r in faulty.requests if r.fault]
    assert code == 0, err
    assert len(faults) >= 5 and {"truncated"} & set(faults)
    assert content_hash(tmp_path / "faulty.db") == content_hash(tmp_path / "clean.db")
    assert stored_pmids(tmp_path / "faulty.db") == stored_pmids(tmp_path / "clean.db")
    run = last_run(tmp_path / "faulty.db")
    assert run["status"] == "complete" and int(run["retries"]) >= len(faults)  # type: ignore[call-overload]


def test_html_error_page_is_a_one_line_error(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "2")
    with EutilsStandin(corpus()[1:], fault=Fault(rate=1.0, kinds=("html",))) as standin:
        code, out, err = fetch(standin.base_url, tmp_path / "k.db", "ketamine")
    assert code == 1 and "Traceback" not in out + err
    (line,) = [x for x in err.splitlines() if x.startswith("Error:")]
    assert "HTML error page instead of XML" in line and SECRET not in err


def test_unbalanced_query_shows_the_service_message(tmp_path: Path, env: None) -> None:
    with EutilsStandin(corpus()[1:]) as standin:
        code, out, err = fetch(standin.base_url, tmp_path / "k.db", "(ketamine AND depression")
        esearches = [r for r in standin.requests if r.path.endswith("esearch.fcgi")]
    assert code == 1 and "Traceback" not in out + err
    (line,) = [x for x in err.splitlines() if x.startswith("Error:")]
    assert "unbalanced parentheses" in line
    assert len(esearches) == 1  # a rejected query is not retried


def test_incremental_run_fetches_only_what_changed(tmp_path: Path, env: None) -> None:
    db = tmp_path / "k.db"
    with EutilsStandin(corpus(), keyed_rate_limit=10.0) as standin:
        assert fetch(standin.base_url, db, "ketamine")[0] == 0
        first = content_hash(db)
        standin.requests.clear()
        # Nothing changed upstream: the second run asks only for changes and fetches nothing.
        assert fetch(standin.base_url, db, "ketamine")[0] == 0
        assert [r.path.rsplit("/", 1)[-1] for r in standin.requests] == ["esearch.fcgi"]
        assert standin.requests[0].params["datetype"] == "mdat"
        assert content_hash(db) == first
        # One record revised today, one new record: exactly those two are fetched.
        revised = sorted(standin.matching_pmids("ketamine"))[0]
        standin.revise(revised, date.today())
        new_record = (corpus()[1].read_bytes().split(b"<PubmedArticle>")[1].split(b"</PubmedArticle>")[0])
        new_record = new_record.replace(b">31166571<", b">99999999<")
        standin.add_records(b"<PubmedArticle>" + new_record + b"</PubmedArticle>")
        standin.revise("99999999", date.today())  # a record added today carries today's dates
        standin.requests.clear()
        code, _, err = fetch(standin.base_url, db, "ketamine")
        fetched = [r.params["id"] for r in standin.requests if r.path.endswith("efetch.fcgi")]
    assert code == 0, err
    assert [sorted(f.split(",")) for f in fetched] == [sorted([revised, "99999999"])]
    run = last_run(db)
    assert (run["mode"], run["new_records"], run["updated_records"]) == ("incremental", 1, 1)


def test_secret_never_stored_logged_or_printed(tmp_path: Path, env: None) -> None:
    db = tmp_path / "k.db"
    with EutilsStandin(corpus()[1:], fault=Fault(rate=0.3, kinds=("500", "truncated"), seed=3)) as standin:
        os.environ["KETLIT_EUTILS_URL"] = standin.base_url
        try:
            result = runner.invoke(app, ["--db", str(db), "--verbose", "fetch", "pubmed", "esketamine"])
            status = runner.invoke(app, ["--db", str(db), "status", "--json"])
            export = runner.invoke(app, ["--db", str(db), "export", "articles"])
        finally:
            del os.environ["KETLIT_EUTILS_URL"]
        assert any(r.params.get("api_key") == SECRET for r in standin.requests)  # it was sent
    assert result.exit_code == 0, result.stderr
    for text in (result.stdout, result.stderr, status.stdout, export.stdout):
        assert SECRET not in text
    assert "api_key=REDACTED" in result.stderr  # the verbose log shows requests, redacted
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    conn = sqlite3.connect(db)
    for (body,) in conn.execute("SELECT body FROM raw_pages"):
        assert SECRET.encode() not in zlib.decompress(body)
    conn.close()


def test_kill_9_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    files = corpus()
    with EutilsStandin(files, rate_limit=None, keyed_rate_limit=1000.0) as clean:
        env = {**os.environ, "KETLIT_EUTILS_URL": clean.base_url, "NCBI_EMAIL": "t@example.org",
               "KETLIT_BATCH_SIZE": "50", "PYTHONPATH": str(REPO / "src")}
        done = subprocess.run([sys.executable, "-m", "ketlit", "--db", str(tmp_path / "clean.db"), "-q", "fetch",
                               "pubmed", "ketamine"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    killed_db = tmp_path / "killed.db"
    with EutilsStandin(files, rate_limit=None, fault=Fault(latency=0.15)) as slow:
        env["KETLIT_EUTILS_URL"] = slow.base_url
        proc = subprocess.Popen([sys.executable, "-m", "ketlit", "--db", str(killed_db), "-q", "fetch", "pubmed",
                                 "ketamine"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if killed_db.exists() and 100 <= _count(killed_db) < 600:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert 0 < _count(killed_db) < len(stored_pmids(tmp_path / "clean.db"))
    conn = sqlite3.connect(killed_db)
    assert conn.execute("SELECT count(*) FROM watermarks").fetchone()[0] == 0
    assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
    conn.close()
    with EutilsStandin(files, rate_limit=None) as again:
        env["KETLIT_EUTILS_URL"] = again.base_url
        rerun = subprocess.run([sys.executable, "-m", "ketlit", "--db", str(killed_db), "-q", "fetch", "pubmed",
                                "ketamine"], env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert content_hash(killed_db) == content_hash(tmp_path / "clean.db")
    store = open_store(killed_db)
    statuses = [r.status for r in store.recent_runs()]
    store.close()
    assert statuses == ["complete", "interrupted"]


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=1)
        try:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_status_json_lists_runs(tmp_path: Path, env: None) -> None:
    db = tmp_path / "k.db"
    with EutilsStandin(corpus()[1:]) as standin:
        fetch(standin.base_url, db, "esketamine", "--max", "2")
    result = runner.invoke(app, ["--db", str(db), "status", "--json"])
    payload = json.loads(result.stdout)
    (run,) = payload["runs"]
    assert run["status"] == "limited" and run["retrieved"] == 2 and run["expected"] == 3
    assert payload["counts"]["articles"] == 2 and payload["counts"]["links"] >= 2


def test_fetch_tags_what_it_fetched(tmp_path: Path, env: None) -> None:
    db = tmp_path / "k.db"
    with EutilsStandin(corpus()[1:]) as standin:
        code, _, err = fetch(standin.base_url, db, "esketamine")
    assert code == 0 and "tagged 3 record(s)" in err
    tags = [json.loads(x) for x in runner.invoke(app, ["--db", str(db), "export", "tags"]).stdout.splitlines()]
    assert all("esketamine" in t["molecule"] for t in tags) and len(tags) == 3
