"""``ketlit import FILE --query Q``: a PubMed export saved from a query's search counts as that query's
results, so its report shows the records (a cache built by import alone reported none of them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.queries import load_query
from ketlit.report.gather import query_record_ids
from ketlit.store import open_store
from tests.conftest import FIXTURES

QUERY = 'name = "esk"\ntitle = "Esketamine"\n[pubmed]\nterm = "esketamine"\n'


def _query(tmp_path: Path, text: str = QUERY) -> Path:
    path = tmp_path / "esk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_imported_records_become_the_querys_and_its_report_shows_them(tmp_path: Path) -> None:
    db, query = str(tmp_path / "k.db"), _query(tmp_path)
    plain = CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "medline_esketamine.nbib")])
    assert plain.exit_code == 0, plain.output
    store = open_store(Path(db))
    assert query_record_ids(store, load_query(query))["pubmed"] == []  # an import belongs to no query
    attached = CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "medline_esketamine.nbib"),
                                        "--query", str(query)])
    assert attached.exit_code == 0, attached.output
    pmids = query_record_ids(store, load_query(query))["pubmed"]
    cached = [r[0] for r in store.db.execute("SELECT pmid FROM articles ORDER BY pmid")]
    assert pmids == cached and pmids
    assert f"{len(pmids)} counted as results of query esk" in attached.output
    out = tmp_path / "reports"
    report = CliRunner().invoke(app, ["--db", db, "report", str(query), "--out-dir", str(out)])
    assert report.exit_code == 0, report.output
    assert f"**{len(pmids)}** PubMed articles" in (out / "esk.md").read_text(encoding="utf-8")


def test_a_query_without_a_pubmed_search_is_refused_before_importing(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    query = _query(tmp_path, 'name = "trials"\ntitle = "Trials"\n[ctgov]\nintr = "ketamine"\n')
    result = CliRunner().invoke(app, ["--db", str(db), "import", str(FIXTURES / "medline_esketamine.nbib"),
                                      "--query", str(query)])
    assert result.exit_code == 1
    assert "has no [pubmed] search" in result.output and "Traceback" not in result.output
    assert not db.exists()


@pytest.mark.parametrize("text", ["name = \n", 'name = "x"\n[pubmed]\nterm = "k"\ncolour = 1\n'])
def test_a_bad_query_file_fails_before_anything_is_stored(tmp_path: Path, text: str) -> None:
    db = tmp_path / "k.db"
    result = CliRunner().invoke(app, ["--db", str(db), "import", str(FIXTURES / "medline_esketamine.nbib"),
                                      "--query", str(_query(tmp_path, text))])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert not db.exists()
