"""The CLI as a user runs it: import, status, export, search, and one-line errors."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.errors import InputError
from ketlit.jobs.export import RECORDS, ExportFormat, flat_value, write_records
from ketlit.jobs.lookup import version_changes
from ketlit.store import open_store
from tests.conftest import FIXTURES, REPO

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


def test_search_refuses_a_not_with_nothing_before_it(tmp_path: Path) -> None:
    """'NOT esketamine depression' listed the esketamine record: the excluded word was made required."""
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "medline_esketamine.nbib"))[0] == 0
    code, out, err = run("--db", db, "search", "NOT esketamine depression")
    assert_one_line_error(code, out, err, 'NOT needs a term before it (e.g. "depression NOT esketamine")')
    assert code == 1 and out == ""  # bad input, as an empty search text or an unknown --route value
    code, out, _ = run("--db", db, "search", "depression", "--json")
    assert code == 0 and "90000010" in out
    code, out, _ = run("--db", db, "search", "depression NOT esketamine", "--json")
    assert code == 0 and out == ""


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"this is not a pubmed file", "unrecognised file"),
        (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>", "malformed or truncated"),
        (b"<html><body>Service unavailable</body></html>", "not PubMed XML"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
        (b"PMID- \nTI  - nothing\n", "no MEDLINE records"),
        # A ClinicalTrials.gov study, or its website's "Download JSON" (a bare array of studies).
        (b'{"protocolSection": {"identificationModule": {"nctId": "NCT02417064"}}}', "ketlit fetch ctgov"),
        (b'[{"protocolSection": {}}]', "this is JSON"),
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


def test_truncated_medline_import_keeps_the_stored_record(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    whole = (FIXTURES / "medline_esketamine.nbib").read_text(encoding="utf-8")
    assert run("--db", db, "import", str(FIXTURES / "medline_esketamine.nbib"))[0] == 0
    before = run("--db", db, "export", "articles")[1]
    cut = tmp_path / "cut.nbib"
    cut.write_text(whole[: whole.index("MH  - Humans")], encoding="utf-8")  # a download stopped mid-record
    assert_one_line_error(*run("--db", db, "import", str(cut)), "looks truncated")
    assert run("--db", db, "export", "articles")[1] == before  # MeSH, DOI, … not replaced by the cut copy


def _cut_medline() -> bytes:
    whole = (FIXTURES / "medline_esketamine.nbib").read_bytes()
    return whole[: whole.index(b"MH  - Humans")]  # a download stopped mid-record


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(_cut_medline(), "looks truncated"), (gzip.compress(_cut_medline()), "looks truncated"),
     (b"PMID- \nPMID- \n", "without a PMID"), (b"PMID- \nTI  - nothing\n", "no MEDLINE records"),
     (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>", "malformed or truncated"),
     (b"<PubmedArticleSet></PubmedArticleSet>", "no PubMed records")],
)
@pytest.mark.parametrize("stdin", [False, True])
def test_import_with_nothing_to_import_creates_no_cache(tmp_path: Path, content: bytes, fragment: str,
                                                        stdin: bool) -> None:
    """A truncated MEDLINE file into a new --db said 'nothing imported' yet left an empty cache, which
    `status` then showed as 0 articles instead of 'no cache'."""
    db = tmp_path / "new.db"
    bad = tmp_path / "export.nbib"
    bad.write_bytes(content)
    args = ("--db", str(db), "import", "-" if stdin else str(bad))
    result = runner.invoke(app, list(args), input=content if stdin else None)
    assert_one_line_error(result.exit_code, result.stdout, result.stderr, fragment)
    assert list(tmp_path.iterdir()) == [bad]  # no cache, no -wal or -shm beside it
    assert_one_line_error(*run("--db", str(db), "status"), "no cache at")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert_one_line_error(*run("--db", db, "import", str(tmp_path / "nope.nbib")), "no such file")
    assert_one_line_error(*run("--db", db, "import", str(tmp_path)), "is a directory")


def test_unwritable_db_path(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert_one_line_error(*run("--db", str(blocker / "k.db"), "import", str(FIXTURES / "efetch_oddities.xml")),
                          "cannot")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    assert_one_line_error(*run("--db", str(junk), "status"), "is not a ketlit cache or is damaged")


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


# -- the job functions the commands call ---------------------------------------------------------


def test_export_streams_records_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    lines_before: list[int] = []

    def records() -> Iterator[dict[str, Any]]:
        for i in range(3):
            lines_before.append(len(stdout.getvalue().splitlines()))
            yield {"id": i}

    assert write_records(records(), ExportFormat.jsonl, None) == 3
    # Each record was asked for only after the one before it had been written: nothing is held.
    assert lines_before == [0, 1, 2]
    assert stdout.getvalue() == '{"id": 0}\n{"id": 1}\n{"id": 2}\n'
    assert write_records(iter([]), ExportFormat.csv, tmp_path / "empty.csv") == 0
    assert (tmp_path / "empty.csv").read_text() == ""


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ([{"descriptor": "Ketamine", "major": True}, {"name": "esketamine"}, {"x": 1}],
         'Ketamine; esketamine; {"x": 1}'),
        (["NCT02417064", 3], "NCT02417064; 3"),
        ({"é": 1}, '{"é": 1}'),
        ("text", "text"),
        (None, None),
        # Text a spreadsheet would run as a formula is neutralised; numbers stay numbers.
        ('=HYPERLINK("http://x/?"&A1)', '\'=HYPERLINK("http://x/?"&A1)'),
        ("+1-555", "'+1-555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        (["=1+1", "b"], "'=1+1; b"),
        (-3, -3),
        ("a=b", "a=b"),
    ],
)
def test_csv_cells(value: object, cell: object) -> None:
    assert flat_value(value) == cell


def test_csv_export_keeps_crlf_rows_and_the_first_records_header(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    write_records(iter([{"a": "x", "b": ["p", "q"]}, {"a": "y\nz", "b": []}]), ExportFormat.csv, dest)
    assert dest.read_bytes() == b'a,b\r\nx,p; q\r\n"y\nz",\r\n'


@pytest.mark.parametrize("what", ["articles", "trials", "links", "tags"])
def test_csv_export_of_no_records_is_its_header(tmp_path: Path, what: str) -> None:
    db = tmp_path / "k.db"
    open_store(db).close()
    code, out, err = run("--db", str(db), "export", what, "--format", "csv")
    assert code == 0 and "exported 0 " in err
    assert out.splitlines() == [",".join(RECORDS[what][2])]
    # JSON Lines of no records stay an empty file: a header line would be a bogus record.
    code, out, _ = run("--db", str(db), "export", what, "--format", "jsonl")
    assert code == 0 and out == ""


def test_exported_records_have_the_header_keys(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    for what in ("articles", "links", "tags"):
        code, out, _ = run("--db", db, "export", what)
        records = [json.loads(line) for line in out.splitlines()]
        assert code == 0 and records
        assert all(tuple(r) == RECORDS[what][2] for r in records), what
        code, out, _ = run("--db", db, "export", what, "--format", "csv")
        assert out.splitlines()[0] == ",".join(RECORDS[what][2])


@pytest.mark.parametrize("args", [["articles", "--format", "csv"], ["tags"], ["citations", "--format", "ris"]])
def test_out_dash_is_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    monkeypatch.chdir(tmp_path)
    code, to_stdout, _ = run("--db", db, "export", *args)
    code_dash, out, err = run("--db", db, "export", *args, "--out", "-")
    assert code == code_dash == 0 and "exported 3 " in err
    assert out == to_stdout and out
    assert not (tmp_path / "-").exists()  # no file named "-" in the working directory


@pytest.mark.parametrize("args", [["articles", "--format", "csv"], ["articles"], ["citations", "--format", "ris"]])
def test_export_to_stdout_is_utf8_whatever_the_locale(tmp_path: Path, args: list[str]) -> None:
    """An ASCII or Latin-1 locale stopped the export at its first non-ASCII character
    (an internal error); stdout now gets the same UTF-8 bytes as --out FILE."""
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    assert run("--db", db, "export", *args, "--out", str(tmp_path / "out"))[0] == 0
    expected = (tmp_path / "out").read_bytes()
    assert any(b > 127 for b in expected)  # the fixture's titles are not all ASCII
    for encoding in ("ascii", "latin-1"):
        env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONIOENCODING": encoding}
        done = subprocess.run([sys.executable, "-m", "ketlit", "--db", db, "export", *args], capture_output=True,
                              env=env, cwd=tmp_path, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_search_survives_a_narrow_locale(tmp_path: Path, encoding: str) -> None:
    """Printing "α" (or "–", "…") in an ASCII or Latin-1 locale was an internal error halfway through
    the results; such characters are now escaped, and --json lines stay the same JSON."""
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONIOENCODING": encoding}

    def ketlit(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "ketlit", "--db", db, *args], capture_output=True, env=env,
                              cwd=tmp_path, timeout=120, check=False)

    code, wide, _ = run("--db", db, "search", "receptor", "--json")
    assert code == 0 and "α" in wide  # a character neither locale has
    done = ketlit("search", "receptor", "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.decode(encoding).splitlines()] == [
        json.loads(line) for line in wide.splitlines()
    ]
    done = ketlit("search", "receptor")
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.decode(encoding).strip() == "PMID 90000003 (1990) Characters by reference: an \\u03b1-receptor"


def test_escapes_in_a_narrow_locale_read_back_as_the_same_json() -> None:
    import codecs

    from ketlit.cliutil import json_escape

    codecs.register_error("ketlit-json-escape", json_escape)
    line = json.dumps({"title": "α-receptor – 😀 é"}, ensure_ascii=False)
    for encoding in ("ascii", "latin-1"):
        narrow = line.encode(encoding, errors="ketlit-json-escape").decode(encoding)
        assert json.loads(narrow) == json.loads(line)


def test_unwritable_export_destination_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        write_records(iter([{"a": 1}]), ExportFormat.jsonl, tmp_path / "missing" / "out.jsonl")


def test_version_changes_name_each_moved_field() -> None:
    base = {"overall_status": "RECRUITING", "enrollment_count": 40, "enrollment_type": "ESTIMATED",
            "has_results": False, "primary_completion_date": "2020-01", "phases": ["PHASE2"]}
    later = {**base, "overall_status": "COMPLETED", "enrollment_count": 38, "enrollment_type": "ACTUAL"}
    assert version_changes([base, later, later]) == [
        [],
        ["overall_status RECRUITING → COMPLETED", "enrollment_count 40 → 38", "enrollment_type ESTIMATED → ACTUAL"],
        [],
    ]


def test_history_of_an_uncached_trial_is_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(FIXTURES / "efetch_oddities.xml"))[0] == 0
    assert_one_line_error(*run("--db", db, "history", "nct00000001"), "NCT00000001 is not in")


@pytest.mark.parametrize("name", ["missing.xml", "notes.txt", "study.json"])
def test_an_import_that_cannot_start_creates_no_cache(tmp_path: Path, name: str) -> None:
    """A mistyped path or a file that is no PubMed export into a new --db left an empty 1.3 MB cache behind,
    which reading commands then took for a real one ("0 articles" instead of "no cache")."""
    (tmp_path / "notes.txt").write_text("just some notes\n")
    (tmp_path / "study.json").write_text('{"protocolSection": {}}')
    db = tmp_path / "new.db"
    code, _, err = run("--db", str(db), "import", str(tmp_path / name))
    assert code == 1 and err.count("\n") == 1 and "Error:" in err, err
    assert not any(tmp_path.glob("new.db*"))
    assert "no cache" in run("--db", str(db), "status")[2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("u", b"just notes\n", "unrecognised file: expected"), ("m", b"just notes\n", "unrecognised file: expected"),
     ("e", b"just notes\n", "unrecognised file: expected"),
     ("unrecognised file", b"just notes\n", "unrecognised file: expected"),
     ("malformed or truncated XML", b"<PubmedArticleSet><PubmedArticle>", "malformed or truncated XML: "),
     ("x.gz", b"\x1f\x8b\x08\x00garbage", "corrupt gzip file"),  # named by the gzip reader: not twice
     ("none.xml", b"<PubmedArticleSet></PubmedArticleSet>", "no PubMed records found")],
)
def test_an_import_error_names_a_file_named_like_its_message_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, message: str
) -> None:
    """'ketlit import u' said 'Error: unrecognised file: …', naming no file: the message started with 'u'."""
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(content)
    code, _, err = run("--db", "k.db", "import", name)
    assert code == 1 and err.startswith(f"Error: {name}: {message}"), err


def test_a_truncated_xml_import_names_the_file_and_its_position_once(tmp_path: Path) -> None:
    cut = tmp_path / "cut.xml"
    cut.write_bytes(b'<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>')
    code, _, err = run("--db", str(tmp_path / "k.db"), "import", str(cut))
    assert code == 1 and err.count("\n") == 1, err
    assert f"{cut}: malformed or truncated XML" in err and "line 1, column" in err and "line 1, line 1" not in err
    # A file whose name is a word of the message ("file" in "unrecognised file") is still named.
    named = tmp_path / "file"
    named.write_text("just notes\n")
    code, _, err = run("--db", str(tmp_path / "k.db"), "import", str(named))
    assert code == 1 and err.startswith(f"Error: {named}: unrecognised file"), err
