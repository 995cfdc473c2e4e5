"""A report's "Changes since last run" lists articles whose title or abstract PubMed revised (a corrected
abstract, an abstract added after publication), not only new ones: a scheduled job's reader must learn that
a record the report cites now says something else. A state saved before texts were tracked is completed in
place, so upgrading changes no report."""

from __future__ import annotations

import json
from pathlib import Path

from ketlit.store import open_store
from tests.conftest import FIXTURES, cli_ok

QUERY = 'name = "k"\ntitle = "Ketamine"\n[pubmed]\nterm = "ketamine"\n'
XML = FIXTURES / "offline" / "efetch_offline_ketamine_set.xml"
OLD = "About a third of adults with major depression do not respond to two or more antidepressants."


def _run(db: Path, *args: str) -> None:
    cli_ok(db, *args)


def _changes(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("## Changes since last run", 1)[1].split("\n## ", 1)[0]


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    db, query, out = tmp_path / "k.db", tmp_path / "k.toml", tmp_path / "reports"
    query.write_text(QUERY, encoding="utf-8")
    _run(db, "import", str(XML), "--query", str(query))
    _run(db, "report", str(query), "--out-dir", str(out))
    return db, query, out


def test_a_revised_abstract_is_listed_and_an_unchanged_rerun_keeps_the_report(tmp_path: Path) -> None:
    db, query, out = _setup(tmp_path)
    revised = tmp_path / "revised.xml"
    text = XML.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    revised.write_text(text.replace(OLD, "Half of adults with major depression do not respond."), encoding="utf-8")
    _run(db, "import", str(revised), "--query", str(query))
    _run(db, "report", str(query), "--out-dir", str(out))
    changes = _changes(out / "k.md")
    assert "### Revised articles (title or abstract) (1)" in changes
    assert "90300001" in changes and "New articles" not in changes
    before = (out / "k.md").read_text(encoding="utf-8")
    _run(db, "report", str(query), "--out-dir", str(out))  # nothing moved: the same section, the same file
    assert (out / "k.md").read_text(encoding="utf-8") == before


def test_a_state_saved_before_texts_were_tracked_is_completed_not_rolled_over(tmp_path: Path) -> None:
    db, query, out = _setup(tmp_path)
    store = open_store(db)
    previous, current = store.report_state("k")
    assert current is not None and "article_text" in current
    del current["article_text"]  # as an earlier version saved it
    store.db.execute("UPDATE report_state SET current = ?", [json.dumps(current, sort_keys=True)])
    store.db.conn.commit()
    before = (out / "k.md").read_text(encoding="utf-8")
    _run(db, "report", str(query), "--out-dir", str(out))
    assert (out / "k.md").read_text(encoding="utf-8") == before
    again_previous, again_current = open_store(db).report_state("k")
    assert again_previous == previous and again_current is not None and "article_text" in again_current


def test_records_that_left_the_results_are_listed() -> None:
    """A query's term or date range changed, or PubMed withdrew a record: the report listed what came in and
    said nothing of what went (115 → 107 articles with no word in "Changes since last run")."""
    import dataclasses

    from ketlit.report.gather import _changes
    from ketlit.report.render import render_report
    from tests.test_report import minimal_data

    before = {"articles": ["1", "2", "3"], "trials": {"NCT00000001": ["COMPLETED", True, 40, "Old trial"]},
              "retracted": [], "verdicts": {}}
    after = {"articles": ["1", "4"], "trials": {}, "retracted": [], "verdicts": {}}
    cached = {"2": {"title": "Still cached", "year": 2020}, "4": {"title": "New", "year": 2024}}
    changes = _changes(before, after, cached)
    assert [a.pmid for a in changes.removed_articles] == ["2", "3"]
    assert [t.nct_id for t in changes.removed_trials] == ["NCT00000001"]
    assert [a.pmid for a in changes.new_articles] == ["4"]
    text = render_report(dataclasses.replace(minimal_data(), changes=changes))
    section = text.split("## Changes since last run", 1)[1].split("\n## ", 1)[0]
    assert "### Articles no longer in the results (2)" in section
    # With its year, as the new articles are listed (it was left out).
    assert "Still cached (2020)\n" in section and "New (2024)\n" in section
    assert "/3/) (no longer cached)\n" in section  # PMID 3: withdrawn, its title and year gone with it
    assert "### Trials no longer in the results (1)" in section and "Old trial" in section
