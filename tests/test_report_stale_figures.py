"""A figure the Markdown report no longer shows is deleted once the new report is in place: a forest plot
whose studies left the query (or every figure, after ``plots = false``) otherwise stayed beside the report,
out of date, for a scheduled job to commit. An HTML report embeds its figures and leaves the files alone."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES, cli_ok

XML = FIXTURES / "offline" / "efetch_offline_ketamine_set.xml"
QUERY = 'name = "k"\n[pubmed]\nterm = "ketamine"\n'


def _run(db: Path, *args: str) -> None:
    cli_ok(db, *args)


def test_figures_the_report_no_longer_shows_are_removed(tmp_path: Path) -> None:
    db, query, out = tmp_path / "k.db", tmp_path / "k.toml", tmp_path / "reports"
    query.write_text(QUERY, encoding="utf-8")
    _run(db, "import", str(XML), "--query", str(query))
    _run(db, "report", str(query), "--out-dir", str(out))
    drawn = sorted(p.name for p in out.glob("k-*.svg"))
    assert "k-publications.svg" in drawn
    (out / "k-forest.svg").write_text("<svg>an old forest plot</svg>", encoding="utf-8")  # no forest now
    (out / "other-forest.svg").write_text("<svg>another report's</svg>", encoding="utf-8")
    _run(db, "report", str(query), "--out-dir", str(out), "--format", "html")
    assert (out / "k-forest.svg").exists()  # the HTML report does not own the Markdown report's files
    _run(db, "report", str(query), "--out-dir", str(out))
    assert sorted(p.name for p in out.glob("k-*.svg")) == drawn
    query.write_text(QUERY + "[report]\nplots = false\n", encoding="utf-8")
    _run(db, "report", str(query), "--out-dir", str(out))
    assert list(out.glob("k-*.svg")) == [] and ".svg" not in (out / "k.md").read_text(encoding="utf-8")
    assert (out / "other-forest.svg").exists()
