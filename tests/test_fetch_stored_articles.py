"""A fetch tags each page from the rows it just stored, not from the page read back: those rows must
give exactly the records :meth:`load_articles` reads back (what the tagging after a fetch tags)."""

from __future__ import annotations

from pathlib import Path

from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.store import prepare_page
from ketlit.store.core import open_store
from tests.conftest import shared


def test_stored_rows_rebuild_what_load_articles_reads_back(tmp_path: Path) -> None:
    body = shared("replay", "pubmed", "psynamic_all.xml").read_bytes()
    articles = parse_pubmed_xml(body)
    store = open_store(tmp_path / "k.db")
    run = store.start_run("pubmed", "q", "q", {}, "full", None)
    page = prepare_page(body, articles)
    pmids = [r.article["pmid"] for r in page.rows]
    # A link only the CT.gov side states, and one the record states too: both are read as loaded.
    store.db.execute("INSERT INTO links VALUES (?, 'NCT00000001', 'ctgov_reference', NULL)", [pmids[3]])
    linked = next(r for r in page.rows if r.links)
    store.db.execute("INSERT INTO links VALUES (?, 'NCT00000002', 'ctgov_reference', NULL)", [linked.article["pmid"]])
    store.save_prepared(run_id=run, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                        page=page, query_key="q")
    # Pages larger than the 500 PMIDs load_articles reads at a time, in page order.
    rebuilt = store.stored_articles(page.rows)
    assert rebuilt == store.load_articles(pmids)
    assert len(rebuilt) == len(pmids) > 1000
    assert any(a.nct_links for a in rebuilt) and any(a.mesh and a.mesh[0].qualifiers for a in rebuilt)
    assert any(a.sections and a.sections[0].label for a in rebuilt)
    assert [a.pmid for a in store.stored_articles(page.rows[:7])] == [a.pmid for a in store.load_articles(pmids[:7])]
