"""Tagging through the CLI: tags after import, explain, export tags, search filters, re-tag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from tests.conftest import shared

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "k.db")
    xml = shared("pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")
    result = runner.invoke(app, ["--db", path, "import", str(xml)])
    assert result.exit_code == 0 and "tagged 3 record(s)" in result.stderr
    return path


def test_export_tags_shape(db: str) -> None:
    result = runner.invoke(app, ["--db", db, "export", "tags"])
    rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"31166571", "31290965", "32316080"}
    for row in rows.values():
        assert list(row) == ["source", "id", "indication", "route", "molecule", "design", "population"]
        assert row["source"] == "pubmed"
        assert "esketamine" in row["molecule"] and "intranasal" in row["route"]
        assert "treatment_resistant_depression" in row["indication"]
        assert "intravenous" not in row["route"]
    # SUSTAIN-1 and TRANSFORM-1 are RCTs; SUSTAIN-2 is an open-label single-arm phase 3 study.
    assert "rct" in rows["31166571"]["design"] and "rct" in rows["31290965"]["design"]
    assert rows["32316080"]["design"] == ["non_randomized_trial"]


def test_explain_shows_rule_field_and_span(db: str) -> None:
    result = runner.invoke(app, ["--db", db, "explain", "31166571", "--json"])
    payload = json.loads(result.stdout)
    tags = {(t["axis"], t["value"]): t for t in payload["tags"]}
    ev = tags[("molecule", "esketamine")]["evidence"]
    assert ev and all(e["rule_id"] and e["field"] and e["span"] for e in ev)
    text = runner.invoke(app, ["--db", db, "explain", "31166571"]).stdout
    assert "route: intranasal" in text and " in " in text
    bad = runner.invoke(app, ["--db", db, "explain", "NCT99999999"])
    assert bad.exit_code == 1 and "not in the cache" in bad.stderr
    # A check's cards cite "PMID 31166571": pasted back, it used to be "not a PMID or NCT ID".
    pasted = runner.invoke(app, ["--db", db, "explain", "PMID 31166571"])
    assert pasted.exit_code == 0 and pasted.stdout.splitlines()[0] == "PMID 31166571"
    # As a browser copies the address: with the page's query string (it used to be "not a PMID or NCT ID").
    copied = runner.invoke(app, ["--db", db, "explain", "https://pubmed.ncbi.nlm.nih.gov/31166571/?from=x#abstract"])
    assert copied.exit_code == 0 and copied.stdout.splitlines()[0] == "PMID 31166571"
    trial = runner.invoke(app, ["--db", db, "explain", "https://clinicaltrials.gov/study/NCT99999999?tab=results"])
    assert trial.exit_code == 1 and trial.stderr == "Error: NCT99999999 is not in the cache\n"
    nonsense = runner.invoke(app, ["--db", db, "explain", "PMID x"])
    assert nonsense.exit_code == 1 and nonsense.stderr == "Error: not a PMID or NCT ID: 'PMID x'\n"


def test_search_filters(db: str) -> None:
    hits = runner.invoke(app, ["--db", db, "search", "esketamine", "--json", "--route", "intranasal"]).stdout
    assert len(hits.splitlines()) == 3
    none = runner.invoke(app, ["--db", db, "search", "esketamine", "--json", "--route", "intravenous"]).stdout
    assert none.strip() == ""


def test_retag_after_rule_change(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('disable = ["molecule.text.esketamine"]\n')
    monkeypatch.setenv("KETLIT_TAGGING_RULES", str(rules))
    result = runner.invoke(app, ["--db", db, "tag"])
    assert result.exit_code == 0 and "tagged 3 record(s)" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\nid = 1\n")
    monkeypatch.setenv("KETLIT_TAGGING_RULES", str(bad))
    result = runner.invoke(app, ["--db", db, "tag"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_worker_processes_tag_exactly_like_one_process(tmp_path: Path) -> None:
    from ketlit.config import Settings
    from ketlit.jobs.ingest import import_file
    from ketlit.jobs.tag import TagRunner
    from ketlit.store.core import open_store

    results = []
    for workers in (0, 2):
        settings = Settings(db=tmp_path / f"w{workers}.db")
        store = open_store(settings.db)
        import_file(store, shared("replay", "pubmed", "psynamic_all.xml"))
        runner_ = TagRunner(settings)
        assert runner_.tag_records(store, store.all_record_ids(), workers=workers) == 1580
        tags = list(store.iter_tag_summaries())
        findings = store.db.execute("SELECT source, record_id, data FROM findings ORDER BY 1, 2").fetchall()
        evidence = store.db.execute("SELECT * FROM tags ORDER BY 1, 2, 3, 4, 5").fetchall()
        profiles = store.db.execute("SELECT pmid, data FROM study_profiles ORDER BY 1").fetchall()
        store.close()
        results.append((tags, findings, evidence, profiles))
    assert results[0] == results[1]
    # Numbers and profiles are read for the records that can be evidence for the drug only (issue 15).
    assert 0 < len(results[0][1]) < 1580
    assert 0 < len(results[0][3]) < 1580
