"""Bulk import: cutting XML into pages, the worker-process pipeline, and ``import_file`` on
files of many pages (same stored result as one page, crash safety, errors)."""

from __future__ import annotations

import gzip
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketlit.errors import KetlitError, ParseError
from ketlit.jobs.ingest import import_file
from ketlit.jobs.workers import can_fork, run_in_workers
from ketlit.sources.pubmed_pages import split_xml_pages
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.store.core import Store, article_rows, open_store
from tests.conftest import FIXTURES, REPO, SHARED_DATA, shared

ODDITIES = (FIXTURES / "efetch_oddities.xml").read_bytes()
_RECORD = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
_PMID = re.compile(rb"(<PMID[^>]*>)(\d+)(</PMID>)")


def _set(*records: bytes, head: bytes = b'<?xml version="1.0" ?>\n', root: bytes = b"PubmedArticleSet") -> bytes:
    return head + b"<" + root + b">\n" + b"\n".join(records) + b"\n</" + root + b">\n"


def _records(n: int) -> list[bytes]:
    """``n`` records: the fixture's three, repeated with new PMIDs (own PMID only)."""
    base = _RECORD.findall(ODDITIES)
    out = []
    for i in range(n):
        record = base[i % len(base)]
        out.append(_PMID.sub(lambda m, i=i: m.group(1) + str(91_000_000 + i).encode() + m.group(3), record, count=1))
    return out


def _pages(data: bytes, per_page: int) -> list[bytes]:
    return list(split_xml_pages(io.BytesIO(data), per_page))


def _same_parse(data: bytes, per_page: int) -> list[bytes]:
    pages = _pages(data, per_page)
    assert [a for page in pages for a in parse_pubmed_xml(page)] == parse_pubmed_xml(data)
    return pages


# -- cutting -------------------------------------------------------------------------------


@pytest.mark.parametrize(("records", "per_page", "pages"), [(1, 3, 1), (3, 3, 1), (4, 3, 2), (10, 3, 4), (10, 1, 10)])
def test_pages_hold_whole_records_and_every_byte(records: int, per_page: int, pages: int) -> None:
    data = _set(*_records(records))
    cut = _same_parse(data, per_page)
    assert len(cut) == pages
    head = data[: data.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")]
    close = b"</PubmedArticleSet>\n"
    assert all(page.startswith(head) for page in cut)
    assert all(page.endswith(close) for page in cut[:-1])
    # Nothing lost, nothing added: the pages' own parts put back together are the file.
    middle = [page[len(head) : -len(close)] for page in cut[:-1]]
    assert head + b"".join(middle) + cut[-1][len(head) :] == data


def test_real_file_cut_into_pages() -> None:
    data = shared("pubmed", "carrot2_efetch_asthma_100.xml").read_bytes()
    assert len(_same_parse(data, 7)) == 15


def test_markup_that_looks_like_an_end_tag_is_stepped_over() -> None:
    one, two, three = _records(3)
    tricky = [
        one.replace(b"<MedlineCitation", b"<!-- </PubmedArticle> --><?pi </PubmedArticle>?><MedlineCitation", 1),
        two.replace(b"</ArticleTitle>", b"<![CDATA[ </PubmedArticle> ]]></ArticleTitle>", 1),
        b"<!-- between records: <PubmedArticle> -->\n" + three,
    ]
    data = _set(*tricky)
    pages = _same_parse(data, 1)
    assert len(pages) == 3
    assert parse_pubmed_xml(pages[1])[0].title.endswith("</PubmedArticle>")


def test_old_medline_citation_set_bom_and_root_attributes() -> None:
    citation = re.compile(rb"<MedlineCitation .*?</MedlineCitation>", re.S)
    citations = [m.group(0) for r in _records(4) if (m := citation.search(r))]
    data = b"\xef\xbb\xbf" + _set(*citations, root=b"MedlineCitationSet")
    data = data.replace(b"<MedlineCitationSet>", b'<MedlineCitationSet note="a > b">')
    assert len(_same_parse(data, 3)) == 2


@pytest.mark.parametrize(
    "data",
    [
        _set(*_records(4), head=b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]>\n'),
        b"<html><body>Service unavailable</body></html>",
        b"",
        _set(_records(1)[0].replace(b"<MedlineCitation", b"<PubmedArticle><MedlineCitation", 1)
             .replace(b"</PubmedArticle>", b"</PubmedArticle></PubmedArticle>", 1), *_records(3)),
    ],
    ids=["internal-dtd-subset", "not-pubmed", "empty", "nested-record"],
)
def test_layouts_it_does_not_know_are_not_cut(data: bytes) -> None:
    # Handed over whole, so the parser judges the file exactly as before.
    assert _pages(data, 1) == [data]


def test_truncated_file_fails_in_its_last_page() -> None:
    data = _set(*_records(5))[:-200]
    pages = _pages(data, 2)
    assert len(pages) == 3
    for page in pages[:-1]:
        assert len(parse_pubmed_xml(page)) == 2
    with pytest.raises(ParseError, match="malformed or truncated"):
        parse_pubmed_xml(pages[-1])


def test_text_at_top_level_stops_the_cutting() -> None:
    records = _records(4)
    data = _set(records[0], records[1], b"stray text" + records[2], records[3])
    assert len(_same_parse(data, 1)) == 2  # the first record, then the rest as it is


# -- worker processes ----------------------------------------------------------------------


def _numbers(n: int, fail_at: int | None, how: str, part: int, parts: int) -> Iterator[int]:
    for i in range(n):
        if i == fail_at and i % parts == part:
            if how == "ketlit":
                raise ParseError(f"bad item {i}")
            if how == "bug":
                raise ValueError(f"bug at {i}")
            os._exit(3)
        if i % parts == part:
            yield i * i


needs_fork = pytest.mark.skipif(not can_fork(), reason="worker processes need fork (Linux)")


@pytest.mark.parametrize("workers", [0, 1, 2, 3])
def test_items_arrive_in_order(workers: int) -> None:
    if workers and not can_fork():
        pytest.skip("worker processes need fork (Linux)")
    assert list(run_in_workers(_numbers, 50, None, "", workers=workers)) == [i * i for i in range(50)]


@needs_fork
@pytest.mark.parametrize(("how", "error"), [("ketlit", ParseError), ("bug", ValueError), ("exit", KetlitError)])
def test_worker_failure_surfaces_where_its_item_would_be(how: str, error: type[Exception]) -> None:
    got: list[int] = []
    with pytest.raises(error) as raised:
        for item in run_in_workers(_numbers, 50, 17, how, workers=2):
            got.append(item)
    assert got == [i * i for i in range(17)]
    if how == "exit":
        assert "ended unexpectedly (exit code 3)" in str(raised.value)


@needs_fork
def test_leaving_early_stops_the_workers() -> None:
    import multiprocessing

    pages = run_in_workers(_numbers, 10_000, None, "", workers=2)
    assert next(pages) == 0
    pages.close()
    assert multiprocessing.active_children() == []


# -- import_file ---------------------------------------------------------------------------


def _big_file(tmp_path: Path, n: int, *, gz: bool = False) -> Path:
    path = tmp_path / ("big.xml.gz" if gz else "big.xml")
    data = _set(*_records(n))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _one_page_reference(tmp_path: Path, data: bytes) -> tuple[str, list[str]]:
    """Content hash and search hits of ``data`` stored as one page (as before paging)."""
    store = open_store(tmp_path / "reference.db")
    store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                    body=data, articles=parse_pubmed_xml(data))
    found = _found(store)
    store.close()
    return found


def _found(store: Store) -> tuple[str, list[str]]:
    return store.content_hash(), sorted(hit["id"] for hit in store.search("ketamine", limit=1000))


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("gz", [False, True])
def test_paged_import_stores_what_one_page_stores(tmp_path: Path, workers: int, gz: bool) -> None:
    if workers and not can_fork():
        pytest.skip("worker processes need fork (Linux)")
    path = _big_file(tmp_path, 23, gz=gz)
    data = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    store = open_store(tmp_path / "k.db")
    report = import_file(store, path, records_per_page=5, workers=workers)
    assert (report.records, report.new, report.updated, report.unchanged) == (23, 23, 0, 0)
    assert _found(store) == _one_page_reference(tmp_path, data)
    db = store.db
    pages = [store.raw_page(i) for (i,) in db.execute("SELECT id FROM raw_pages ORDER BY id")]
    assert len(pages) == 5 and [len(parse_pubmed_xml(p)) for p in pages] == [5, 5, 5, 5, 3]
    assert db.execute("SELECT count(DISTINCT raw_page_id) FROM articles").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0] == 23
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    run = store.recent_runs(1)[0]
    assert (run.status, run.expected, run.retrieved) == ("complete", 23, 23)
    store.close()


def test_rows_are_those_of_the_parsed_records(tmp_path: Path) -> None:
    path = _big_file(tmp_path, 7)
    from ketlit.jobs.workers import prepared_xml_pages

    rows = [r for page in prepared_xml_pages(path, 3) for r in page.rows]
    assert rows == [article_rows(a) for a in parse_pubmed_xml(path.read_bytes())]


def test_reimport_of_unchanged_records_leaves_the_fts_index_alone(tmp_path: Path) -> None:
    path = _big_file(tmp_path, 12)
    store = open_store(tmp_path / "k.db")
    import_file(store, path, records_per_page=5, workers=0)
    index = store.db.execute("SELECT id, block FROM articles_fts_data ORDER BY id").fetchall()
    again = import_file(store, path, records_per_page=5, workers=0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 12)
    assert store.db.execute("SELECT id, block FROM articles_fts_data ORDER BY id").fetchall() == index
    store.close()


def test_error_in_a_later_page_keeps_the_pages_before(tmp_path: Path) -> None:
    records = _records(12)
    records[8] = records[8].replace(b"</PMID>", b"</PMID><unclosed>", 1)  # page 3 of 3 is broken
    path = tmp_path / "broken.xml"
    path.write_bytes(_set(*records))
    store = open_store(tmp_path / "k.db")
    with pytest.raises(ParseError, match="malformed or truncated"):
        import_file(store, path, records_per_page=4, workers=0)
    run = store.recent_runs(1)[0]
    assert run.status == "failed" and run.retrieved == 8
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 8
    store.close()


def test_error_in_the_first_page_records_no_run(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(_set(*_records(3))[:-300])
    store = open_store(tmp_path / "k.db")
    with pytest.raises(ParseError):
        import_file(store, path, records_per_page=5, workers=0)
    assert store.recent_runs() == []
    store.close()


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from ketlit.jobs.ingest import import_file
    from ketlit.store.core import Store, open_store

    save = Store.save_prepared
    def save_then_die(self, **kwargs):
        result = save(self, **kwargs)
        if kwargs["request"]["page"] == "3":
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    Store.save_prepared = save_then_die
    import_file(open_store(Path(sys.argv[1])), Path(sys.argv[2]), records_per_page=5, workers=int(sys.argv[3]))
    """
)


@pytest.mark.parametrize("workers", [0, 2])
def test_kill_9_mid_import_keeps_whole_pages_and_a_rerun_completes(tmp_path: Path, workers: int) -> None:
    if workers and not can_fork():
        pytest.skip("worker processes need fork (Linux)")
    path = _big_file(tmp_path, 23)
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    killed = subprocess.run([sys.executable, "-c", _KILLER, str(db), str(path), str(workers)], env=env,
                            capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    store = open_store(db)
    assert store.db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 3
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 15
    assert store.db.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0] == 15
    report = import_file(store, path, records_per_page=5, workers=workers)
    assert (report.new, report.unchanged) == (8, 15)
    assert store.recent_runs(2)[1].status == "interrupted"
    assert _found(store) == _one_page_reference(tmp_path, path.read_bytes())
    store.close()


# Content hashes of these files stored by the code before paged imports existed (one
# save_page of the whole file): storing the same records must still give the same hash.
BEFORE = {
    "efetch_oddities.xml": "5011f4cd7bb1321f2ad9bff5eda796ae6bbbef67b80e70d092cdb480da732131",
    "carrot2_efetch_asthma_100.xml": "baacd4a6f6395c6ba9b91db86178ddec4567c84138d875c26107551f3f854c5e",
    "psynamic_all.xml": "9a8be40e47d1389a85e5c1f6c57e396f336a9110a2db1f0e24d93096546c8652",
}


@pytest.mark.parametrize("name", list(BEFORE))
def test_content_hash_is_what_it_was(tmp_path: Path, name: str) -> None:
    path = {
        "efetch_oddities.xml": FIXTURES / name,
        "carrot2_efetch_asthma_100.xml": SHARED_DATA / "pubmed" / name,
        "psynamic_all.xml": SHARED_DATA / "replay" / "pubmed" / name,
    }[name]
    if not path.exists():
        shared(str(path.relative_to(SHARED_DATA)))
    store = open_store(tmp_path / "k.db")
    import_file(store, path, records_per_page=37, workers=2 if can_fork() else 0)
    assert store.content_hash() == BEFORE[name]
    store.close()
