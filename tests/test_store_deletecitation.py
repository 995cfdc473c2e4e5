"""PubMed ``DeleteCitation``: a withdrawn PMID leaves the cache on import and on fetch.

Real-format fixtures (``tests/fixtures/efetch_deletecitation*.xml``: a PubMed update file with
a record and a ``DeleteCitation``, and one that only withdraws a record); no ``../shared``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.config import Settings
from ketlit.http import RateLimiter, make_client
from ketlit.jobs.ingest import fetch_pubmed, import_file, query_key
from ketlit.jobs.tag import TagRunner
from ketlit.store import Store, open_store, prepare_page
from tests.conftest import FIXTURES

ODDITIES = FIXTURES / "efetch_oddities.xml"
UPDATE = FIXTURES / "efetch_deletecitation.xml"  # adds 90000004, withdraws 90000001 (and never-cached 90000077)
DELETE_ONLY = FIXTURES / "efetch_deletecitation_only.xml"  # withdraws 90000002
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows_about(store: Store, pmid: str) -> dict[str, int]:
    """How many rows anywhere still derive from the article ``pmid``."""
    counts = {
        table: store.db.execute(f"SELECT count(*) FROM {table} WHERE pmid = ?", [pmid]).fetchone()[0]
        for table in ("articles", "article_authors", "article_mesh", "article_pubtypes", "article_chemicals",
                      "article_corrections")
    }
    counts["pubmed links"] = store.db.execute(
        "SELECT count(*) FROM links WHERE pmid = ? AND origin LIKE 'pubmed_%'", [pmid]).fetchone()[0]
    for table in ("tags", "tag_state", "findings", "query_records"):
        counts[table] = store.db.execute(
            f"SELECT count(*) FROM {table} WHERE source != 'ctgov' AND record_id = ?", [pmid]).fetchone()[0]
    return counts


def test_the_page_carries_its_deletions() -> None:
    assert prepare_page(UPDATE.read_bytes(), []).deleted == ("90000001", "90000077")
    assert prepare_page(DELETE_ONLY.read_bytes(), []).deleted == ("90000002",)
    assert prepare_page(ODDITIES.read_bytes(), []).deleted == ()


def test_import_removes_a_deleted_citation_everywhere(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "k.db")
    store = open_store(settings.db)
    import_file(store, ODDITIES)
    TagRunner(settings).tag_pending(store)
    before = rows_about(store, "90000001")
    assert before["articles"] == 1 and before["pubmed links"] == 2 and before["tag_state"] == 1
    assert before["article_corrections"] == 1 and before["findings"] == 1
    assert [r["id"] for r in store.search("untersucht")] == ["90000001"]

    report = import_file(store, UPDATE)
    assert (report.records, report.new) == (1, 1)
    assert all(n == 0 for n in rows_about(store, "90000001").values()), rows_about(store, "90000001")
    assert store.search("untersucht") == []
    assert [r["id"] for r in store.search("zygomorphic")] == ["90000004"]  # the same page's record is kept
    assert [a["pmid"] for a in store.iter_articles()] == ["90000002", "90000003", "90000004"]
    assert all(link["pmid"] != "90000001" for link in store.iter_links())
    assert store.counts()["articles"] == 3 and store.counts()["retracted_articles"] == 0
    assert ("pubmed", "90000001") not in store.all_record_ids()
    # The FTS index is consistent after the deletes (its triggers kept it in step).
    store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    # The raw page that withdrew it stays: the record of what NCBI sent.
    assert store.db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 2
    store.close()


def test_a_file_that_only_deletes_is_imported(tmp_path: Path) -> None:
    store = open_store(tmp_path / "k.db")
    import_file(store, ODDITIES)
    report = import_file(store, DELETE_ONLY)
    assert (report.records, report.new, report.updated) == (0, 0, 0)
    assert store.recent_runs()[0].status == "complete"
    assert [a["pmid"] for a in store.iter_articles()] == ["90000001", "90000003"]
    again = import_file(store, DELETE_ONLY)  # nothing left to delete: harmless
    assert again.records == 0 and store.counts()["articles"] == 2
    store.close()


def test_deleted_citation_is_gone_from_search_exports_and_status(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert run("--db", db, "import", str(ODDITIES))[0] == 0
    assert "90000001" in run("--db", db, "search", "untersucht")[1]
    assert run("--db", db, "import", str(UPDATE))[0] == 0
    code, out, _ = run("--db", db, "status", "--json")
    assert code == 0 and json.loads(out)["counts"]["articles"] == 3
    code, out, _ = run("--db", db, "export", "articles", "--format", "jsonl")
    assert code == 0 and [json.loads(line)["pmid"] for line in out.splitlines()] == ["90000002", "90000003",
                                                                                  "90000004"]
    code, out, _ = run("--db", db, "export", "tags", "--format", "jsonl")
    assert code == 0 and "90000001" not in out
    code, out, _ = run("--db", db, "export", "links", "--format", "jsonl")
    assert code == 0 and "90000001" not in out
    code, out, _ = run("--db", db, "search", "untersucht")
    assert "90000001" not in out


BASE = "https://eutils.test/entrez/eutils/"


def esearch_body(ids: list[str]) -> str:
    return (
        f"<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(ids)}</RetMax><RetStart>0</RetStart><IdList>"
        + "".join(f"<Id>{i}</Id>" for i in ids)
        + "</IdList><TranslationSet/><QueryTranslation>ketamine[All Fields]</QueryTranslation></eSearchResult>"
    )


def test_fetch_removes_a_deleted_citation_from_the_query(tmp_path: Path) -> None:
    """An EFetch body with a ``DeleteCitation`` (served by a scripted E-utilities)."""
    bodies = {"first": (["90000003", "90000002", "90000001"], ODDITIES), "second": (["90000004"], UPDATE)}
    step = ["first"]

    def eutils(request: httpx.Request) -> httpx.Response:
        ids, body = bodies[step[0]]
        if request.url.path.endswith("esearch.fcgi"):
            return httpx.Response(200, text=esearch_body(ids))
        return httpx.Response(200, content=body.read_bytes(), headers={"content-type": "text/xml; charset=UTF-8"})

    settings = Settings(eutils_url=BASE, ncbi_email="me@example.org", db=tmp_path / "k.db")
    store = open_store(settings.db)
    http = make_client(settings, "ncbi", transport=httpx.MockTransport(eutils), sleep=lambda s: None,
                       limiter=RateLimiter(1000.0), rng=random.Random(0))
    key = query_key("ketamine", None, None)
    assert fetch_pubmed(store, http, settings, "ketamine").status == "complete"
    assert store.runs.query_record_ids("pubmed", key) == ["90000001", "90000002", "90000003"]
    step[0] = "second"
    report = fetch_pubmed(store, http, settings, "ketamine", full=True)
    assert report.status == "complete" and report.new == 1
    assert store.runs.query_record_ids("pubmed", key) == ["90000002", "90000003", "90000004"]
    assert store.stored_pmids(["90000001", "90000004"]) == {"90000004"}
    assert all(n == 0 for n in rows_about(store, "90000001").values())
    http.close()
    store.close()
