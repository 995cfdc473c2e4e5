"""The CLI as a user runs it: import, status, export, search, and one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, stdout: str, stderr: str, fragment: str) -> None:
    assert code != 0
    assert "Traceback" not in stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert fragment.lower() in lines[0].lower()


def test_import_status_export_search(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    code, _, err = run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))
    assert code == 0 and "imported 3 record(s)" in err
    code, _, err = run("--db", db, "import", str(FIXTURES / "medline_esketamine.nbib"))
    assert code == 0 and "imported 1 record(s)" in err and "(medline)" in err
    code, _, err = run("--db", db, "import", str(FIXTURES / "medline_esketamine.nbib"))
    assert "0 new, 0 updated, 1 unchanged" in err

    code, out, _ = run("--db", db, "status", "--json")
    status = json.loads(out)
    assert status["counts"]["articles"] == 4 and status["counts"]["unindexed_articles"] == 2
    assert [r["status"] for r in status["runs"]] == ["complete"] * 3

    code, out, _ = run("--db", db, "export", "articles", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["pmid"] for r in records] == ["90000001", "90000002", "90000003", "90000010"]
    assert records[3]["nct_ids"] == ["NCT02417064"]
    out_csv = tmp_path / "a.csv"
    code, _, _ = run("--db", db, "export", "articles", "--format", "csv", "--out", str(out_csv))
    assert code == 0 and out_csv.read_text().splitlines()[0].startswith("pmid,title,abstract")
    assert len(out_csv.read_text().splitlines()) >= 5

    code, out, _ = run("--db", db, "search", "esketamine nasal", "--json")
    hits = [json.loads(line) for line in out.splitlines()]
    assert [h["id"] for h in hits] == ["90000010"]
    code, out, _ = run("--db", db, "search", 'weird "(syntax*')
    assert code == 0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"this is not a pubmed file", "unrecognised file"),
        (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>", "malformed or truncated"),
        (b"<html><body>Service unavailable</body></html>", "not PubMed XML"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
        (b"PMID- \nTI  - nothing\n", "no MEDLINE records"),
    ],
)
def test_corrupt_import_file_is_one_line_and_keeps_data(tmp_path: Path, content: bytes, fragment: str) -> None:
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    assert_one_line_error(*run("--db", db, "import", str(bad)), fragment)
    _code, out, _ = run("--db", db, "status", "--json")
    assert json.loads(out)["counts"]["articles"] == 3


def test_missing_file_and_directory(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert_one_line_error(*run("--db", db, "import", str(tmp_path / "nope.nbib")), "no such file")
    assert_one_line_error(*run("--db", db, "import", str(tmp_path)), "is a directory")


def test_unwritable_db_path(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert_one_line_error(*run("--db", str(blocker / "k.db"), "status"), "cannot")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    assert_one_line_error(*run("--db", str(junk), "status"), "cannot open database")


def test_bad_options_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert_one_line_error(*run("--db", db, "fetch", "pubmed", "ketamine", "--mindate", "last week"), "--mindate")
    assert_one_line_error(*run("--db", db, "fetch", "pubmed", "   "), "empty")
    assert_one_line_error(*run("--db", db, "fetch", "pubmed", "ketamine", "--max", "0"), "--max")


def test_bad_config_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_NCBI_RATE", "lots")
    assert_one_line_error(*run("--db", str(tmp_path / "k.db"), "status"), "KETLIT_NCBI_RATE")


def test_gzipped_xml_import(tmp_path: Path) -> None:
    gz = tmp_path / "set.xml.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "efetch_oddities.xml").read_bytes()))
    code, _, err = run("--db", str(tmp_path / "k.db"), "import", str(gz))
    assert code == 0 and "imported 3" in err


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("ketlit ")
    code, out, _ = run("--help")
    for command in ("fetch", "import", "status", "export", "search"):
        assert command in out
