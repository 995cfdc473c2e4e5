"""The CLI's first-run edges (issue 11, "The first run"): global options after the command,
reading commands that never create an empty cache, `status` that shows field tags and does not
cut piped output, no Python ``None`` in `history` / `search`, validated `search` filters, and
`import -` reading a pipe (streamed, not slurped)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.cli import app, hoist_global_options
from ketlit.jobs.ingest import import_stream
from ketlit.store import open_store
from tests.conftest import FIXTURES, REPO
from tests.standins.ctgov import CtgovStandin
from tests.standins.eutils import EutilsStandin

runner = CliRunner()

OFFLINE = FIXTURES / "offline"
PUBMED_XML = OFFLINE / "efetch_offline_ketamine_set.xml"
NBIB = OFFLINE / "medline_offline_esketamine.nbib"
RECORDS = PUBMED_XML.read_bytes().count(b"<PubmedArticle>")


def run(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input, env=env)
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, stderr: str, fragment: str) -> None:
    assert code != 0 and "Traceback" not in stderr
    (line,) = stderr.splitlines()
    assert line.startswith("Error: ") and fragment in line, stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "k.db")
    code, _, err = run("--db", path, "import", str(PUBMED_XML))
    assert code == 0, err
    return path


# -- global options after the command -----------------------------------------------------------


def test_db_after_the_command(db: str) -> None:
    code, out, err = run("status", "--json", "--db", db)
    assert code == 0, err
    assert json.loads(out)["counts"]["articles"] == RECORDS
    code, out, _ = run("export", "articles", f"--db={db}", "-q")
    assert code == 0 and len(out.splitlines()) == RECORDS


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["status", "--db", "x.db"], ["--db", "x.db", "status"]),
        (["-q", "fetch", "pubmed", "k", "--db", "x", "-v"], ["-q", "--db", "x", "-v", "fetch", "pubmed", "k"]),
        (["--db", "a", "search", "k", "--config=c.toml"], ["--db", "a", "--config=c.toml", "search", "k"]),
        (["search", "--", "--db"], ["search", "--", "--db"]),  # after --, words are words
        (["status", "--db"], ["status", "--db"]),  # no value: left for the parser to refuse
    ],
)
def test_hoist_global_options(args: list[str], hoisted: list[str]) -> None:
    assert hoist_global_options(args) == hoisted


# -- reading commands need a cache ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["status"], ["status", "--json"], ["history", "NCT09930001"], ["search", "ketamine"],
        ["export", "articles"], ["export", "citations"], ["explain", "90300001"], ["tag"],
        ["report", "--all"], ["refresh", "--offline"],
    ],
)
def test_reading_commands_never_create_an_empty_cache(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "q.toml").write_text('[pubmed]\nterm = "ketamine"\n')
    code, out, err = run(*args)  # the default cache, cache/ketlit.db, in an empty folder
    one_line_error(code, err, "no cache at cache/ketlit.db; run `ketlit fetch` or pass --db")
    assert out == ""
    assert not (tmp_path / "cache").exists() and not (tmp_path / "reports").exists()


def test_check_without_a_cache_checks_regulatory_claims_and_creates_nothing(tmp_path: Path) -> None:
    page = "Esketamine nasal spray is FDA-approved for treatment-resistant depression.\n"
    code, out, err = run("check", "-", "--format", "json", input=page.encode())
    assert code == 0, err
    assert "no cache at cache/ketlit.db" in err
    (claim,) = json.loads(out)["claims"]
    assert claim["kind"] == "regulatory" and claim["verdict"] == "supported"
    assert not (tmp_path / "cache").exists()


# -- status: field tags shown, nothing cut when piped -------------------------------------------

LONG_TERM = ("(ketamine[tiab] OR esketamine[tiab]) AND (depression[tiab] OR depressive[tiab] OR "
             "anhedonia[tiab] OR mood[tiab])")


def test_status_shows_field_tags_and_whole_terms_when_piped(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu:
        code, _, err = run("--db", db, "fetch", "pubmed", LONG_TERM,
                           env={"KETLIT_EUTILS_URL": eu.base_url, "NCBI_EMAIL": "t@example.org"})
    assert code == 0, err
    code, out, _ = run("--db", db, "status")
    assert code == 0
    assert LONG_TERM in out  # not "ketamine OR esketamine)…", and "[tiab]" not eaten as markup
    assert max(len(line) for line in out.splitlines()) > len(LONG_TERM) > 80
    assert "…" not in out


# -- no None in history and search ----------------------------------------------------------------


def test_history_and_search_show_no_python_none(tmp_path: Path) -> None:
    study = json.loads((OFFLINE / "ctgov_study_NCT09930002_esketamine.json").read_text(encoding="utf-8"))
    study["protocolSection"]["designModule"].pop("enrollmentInfo")
    study["protocolSection"]["descriptionModule"].pop("briefSummary")
    db = str(tmp_path / "k.db")
    with CtgovStandin([study]) as ct:
        code, _, err = run("--db", db, "fetch", "ctgov", "esketamine",
                           env={"KETLIT_CTGOV_URL": ct.base_url, "KETLIT_CTGOV_RATE": "50"})
    assert code == 0, err
    code, history, _ = run("--db", db, "history", "NCT09930002")
    assert code == 0 and "enrollment — (—)" in history and "None" not in history
    code, hits, _ = run("--db", db, "search", "esketamine")
    assert code == 0 and "NCT09930002" in hits and "None" not in hits


# -- search filters are checked -----------------------------------------------------------------


def test_search_filters_are_validated(db: str) -> None:
    code, _, err = run("--db", db, "search", "ketamine", "--route", "intravenus")
    one_line_error(code, err, "--route 'intravenus' is not a route the tagging rules know; valid values: ")
    assert "intravenous" in err and "intranasal" in err
    code, _, err = run("--db", db, "search", "ketamine", "--design", "RCT", "--json")
    assert code == 0, err


# -- import - -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (PUBMED_XML.read_bytes(), "xml"),
        (gzip.compress(PUBMED_XML.read_bytes()), "xml"),
        (NBIB.read_bytes(), "medline"),
    ],
)
def test_import_dash_reads_stdin(tmp_path: Path, data: bytes, fmt: str) -> None:
    db = str(tmp_path / "k.db")
    code, _, err = run("--db", db, "import", "-", input=data)
    assert code == 0, err
    assert f"from stdin ({fmt})" in err
    status = json.loads(run("--db", db, "status", "--json")[1])
    assert status["counts"]["articles"] >= 1 and status["runs"][0]["query_key"] == "import:stdin"


@pytest.mark.parametrize(("data", "fragment"), [(b"", "stdin: no input"),
                                                (b"\x1f\x8b\x08\x00broken", "stdin: corrupt gzip"),
                                                (b"hello\n", "unrecognised file")])
def test_import_dash_bad_input_is_one_line(tmp_path: Path, data: bytes, fragment: str) -> None:
    code, _, err = run("--db", str(tmp_path / "k.db"), "import", "-", input=data)
    one_line_error(code, err, fragment)


@pytest.mark.parametrize("target", ["-", "/dev/stdin"])
def test_import_from_a_real_pipe(tmp_path: Path, target: str) -> None:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "ketlit", "--db", str(tmp_path / "k.db"), "import", target]
    feeder = subprocess.Popen(["cat", str(PUBMED_XML)], stdout=subprocess.PIPE)
    try:
        done = subprocess.run(cmd, stdin=feeder.stdout, capture_output=True, text=True, env=env, timeout=120,
                              check=False)
    finally:
        assert feeder.stdout is not None
        feeder.stdout.close()
        feeder.wait()
    assert done.returncode == 0, done.stderr
    assert f"imported {RECORDS} record(s) from stdin (xml)" in done.stderr


class Recorder(io.RawIOBase):
    """A pipe's worth of bytes that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data[self.pos : self.pos + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_import_stream_is_streamed_not_slurped(tmp_path: Path) -> None:
    xml = PUBMED_XML.read_bytes()
    head, _, rest = xml.partition(b"<PubmedArticle>")
    first = b"<PubmedArticle>" + rest.partition(b"</PubmedArticle>")[0] + b"</PubmedArticle>\n"
    pmid = first.split(b"<PMID")[1].split(b">")[1].split(b"<")[0]
    # Enough records that the document is several times the reader's 1 MiB read-ahead.
    copies = [first.replace(pmid, str(80000000 + i).encode()) for i in range(1, 3001)]
    data = head + b"".join(copies) + b"</PubmedArticleSet>\n"
    assert len(data) > 4 * (1 << 20)
    source = Recorder(data)
    store = open_store(tmp_path / "k.db")
    seen: list[int] = []
    real_save = store.save_prepared

    def save_prepared(**kwargs: Any) -> Any:
        seen.append(source.pos)
        return real_save(**kwargs)

    store.save_prepared = save_prepared  # type: ignore[method-assign]
    try:
        report = import_stream(store, io.BufferedReader(source), "stdin", records_per_page=500)
    finally:
        store.close()
    assert report.records == 3000 and len(seen) == 6
    assert seen[0] < len(data) / 2  # the first page was stored long before the end was read


def test_medline_from_a_pipe_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ketlit.jobs.ingest

    data = gzip.compress(NBIB.read_bytes())
    monkeypatch.setattr(ketlit.jobs.ingest, "MAX_MEDLINE_STREAM_BYTES", len(NBIB.read_bytes()) - 1)
    code, _, err = run("--db", str(tmp_path / "k.db"), "import", "-", input=data)
    one_line_error(code, err, "stdin: MEDLINE text over")
    monkeypatch.setattr(ketlit.jobs.ingest, "MAX_MEDLINE_STREAM_BYTES", len(NBIB.read_bytes()))
    assert run("--db", str(tmp_path / "k.db"), "import", "-", input=data)[0] == 0
