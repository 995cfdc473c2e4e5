"""Candidate selection in SQL through indexes, shared per process, and streaming exports (issue 15).

The cache-backed evidence index used to read every ``tags`` and ``findings`` row of the cache
into Python and filter there; it now asks the tags index (molecule, molecule × indication) and
``study_adverse_events``. These tests pin that the records chosen are the ones the old Python
filter chose, written out here from raw SQL over the same fixture cache (real-format PubMed
records from tests/fixtures, tagged and profiled by ketlit itself; no ``../shared``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules
from ketlit.claims.text import Location
from ketlit.config import Settings
from ketlit.jobs.ingest import import_file
from ketlit.jobs.tag import TagRunner
from ketlit.store import Store, open_store
from ketlit.store.evidence import EFFICACY_KINDS, StoreEvidenceIndex, shared_index
from ketlit.store.migrations import MIGRATIONS
from ketlit.store.profiles import ProfileRow
from tests.conftest import FIXTURES

FILES = ("efetch_claims_iv_trd.xml", "efetch_psilocybin_trd.xml", "efetch_oddities.xml")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Rules]:
    db = tmp_path_factory.mktemp("cand") / "k.db"
    store = open_store(db)
    for name in FILES:
        import_file(store, FIXTURES / name)
    runner = TagRunner(Settings(db=db))
    runner.tag_pending(store)
    rules = runner.claim_rules
    # No fixture abstract reports a harm in its results: give one profiled record a stored
    # adverse-event row (as the reader stores it), so the safety path has a record to choose.
    pmid = min(store.profiles.profiles([rid for _, rid in store.all_record_ids()]))
    data = {k: v for k, v in store.profiles.profile(pmid).items() if k not in ("group", "rules_sha256")}  # type: ignore[union-attr]
    data["adverse_events"] = [{"s": 3, "event": "dissociation", "presence": "present", "rates": []}]
    sha = store.content_shas("pubmed", [pmid])[pmid]
    store.profiles.save_profiles([ProfileRow(pmid, runner.evidence_rules.digest, sha, data)])
    store.close()
    return db, rules


def _old_filter(db: Path, rules: Rules, claim: Claim) -> list[str]:
    """The Python filter the index used before: every tag row of the cache read, then filtered."""
    conn = sqlite3.connect(db)
    tags: dict[tuple[str, str], dict[str, set[str]]] = {}
    for source, rid, axis, value in conn.execute("SELECT source, record_id, axis, value FROM tags"):
        tags.setdefault((source, rid), {}).setdefault(axis, set()).add(value)
    profiles = {pmid: json.loads(data) for pmid, data in conn.execute("SELECT pmid, data FROM study_profiles")}
    conn.close()
    drug = {*rules.molecules, rules.molecule_default}
    pool = [k for k, t in tags.items() if drug & t.get("molecule", set())]
    if claim.kind in EFFICACY_KINDS and claim.indication:
        wanted: set[str] = set()
        for indication in claim.indication:
            family = rules.family(indication)
            wanted.update((indication, *family.direct, *family.indirect))
        pool = [k for k in pool if wanted & tags[k].get("indication", set())]
    elif claim.kind == "safety":
        # Every record here is a PubMed record with a stored profile: chosen by its adverse-event rows.
        pool = [k for k in pool if profiles.get(k[1], {}).get("adverse_events")]
    return sorted(rid for _, rid in pool)


def _claim(kind: str, **kw: object) -> Claim:
    return Claim(id="c1", text="x", kind=kind, location=Location(0, 1, 1, 1), **kw)  # type: ignore[arg-type]


CLAIMS = [
    _claim("efficacy", indication=("treatment_resistant_depression",)),
    _claim("efficacy_rate", indication=("major_depression",)),
    _claim("onset", indication=("ptsd",)),
    _claim("safety", safety_topics=("dissociation",)),
    _claim("safety"),
    _claim("dosing"),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.kind}-{'-'.join(c.indication) or 'any'}")
def test_sql_candidates_are_the_records_the_python_filter_chose(cache: tuple[Path, Rules], claim: Claim) -> None:
    db, rules = cache
    store = open_store(db)
    chosen = sorted(r.id for r in StoreEvidenceIndex(store, rules).candidates(claim))
    store.close()
    assert chosen == _old_filter(db, rules, claim)


def test_the_fixture_cache_exercises_each_path(cache: tuple[Path, Rules]) -> None:
    """Not vacuous: the drug pool is a strict subset of the cache (the psilocybin record is out),
    the efficacy filter drops records, and some profiled record reports harms and some does not."""
    db, rules = cache
    store = open_store(db)
    pool = {r.id for r in StoreEvidenceIndex(store, rules).pool()}
    everything = {rid for _, rid in store.all_record_ids()}
    harms = store.profiles.reporting_adverse_events(sorted(pool))
    store.close()
    assert pool and pool < everything
    efficacy = _old_filter(db, rules, CLAIMS[0])
    assert efficacy and set(efficacy) < pool
    assert harms and harms < pool


def test_the_index_reads_no_tag_or_findings_row_of_other_records(cache: tuple[Path, Rules]) -> None:
    """Every statement on ``tags`` and ``findings`` names the records it wants (or an axis of the
    tags index): none reads the whole table."""
    db, rules = cache
    store = open_store(db)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    index = StoreEvidenceIndex(store, rules)
    for claim in CLAIMS:
        index.candidates(claim)
    index.findings_cache()
    store.db.conn.set_trace_callback(None)
    store.close()
    reads = [s for s in statements if " FROM tags" in s or " FROM findings" in s]
    assert reads
    assert all("record_id IN (" in s or "axis = " in s for s in reads), reads


def test_one_index_per_process_until_the_cache_changes(cache: tuple[Path, Rules], tmp_path: Path) -> None:
    db, rules = cache
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    store = open_store(copy)
    first = shared_index(store, rules)
    assert shared_index(store, rules) is first
    # A report saving its own state is no change of evidence ...
    store.save_report_state("q", {"articles": []}, "2026-01-01T00:00:00Z")
    assert shared_index(store, rules) is first
    # ... a change of tags is, and so is a write by another process.
    store.replace_tags([("pubmed", "1", "r", "c", [])])
    second = shared_index(store, rules)
    assert second is not first
    with sqlite3.connect(copy) as other:
        other.execute("DELETE FROM tag_state WHERE record_id = '1'")
    assert shared_index(store, rules) is not second
    store.close()


def test_migration_fills_adverse_event_rows_from_stored_profiles(tmp_path: Path) -> None:
    """A cache made before m009 gets one ``study_adverse_events`` row per stored adverse event."""
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "old.db")
    names = [name for name, _ in MIGRATIONS]
    db.execute("CREATE TABLE _ketlit_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in MIGRATIONS[: names.index("m009_evidence_candidates")]:
        fn(db)
        db.execute("INSERT INTO _ketlit_migrations VALUES (?, 'then')", [name])
    events = [{"s": 4, "event": "dissociation", "presence": "present", "rates": []},
              {"s": 5, "event": "nausea", "presence": "absent", "rates": []}]
    for pmid, rows in (("1", events), ("2", [])):
        db.execute("INSERT INTO study_profiles (pmid, rules_sha256, content_sha256, question, readable, data) "
                   "VALUES (?, 'r', 'c', 'efficacy_vs_control', 1, ?)", [pmid, json.dumps({"adverse_events": rows})])
    db.conn.commit()
    db.close()
    store = open_store(tmp_path / "old.db")
    rows = store.db.execute("SELECT pmid, position, sentence, event, presence FROM study_adverse_events "
                            "ORDER BY pmid, position").fetchall()
    assert rows == [("1", 0, 4, "dissociation", "present"), ("1", 1, 5, "nausea", "absent")]
    assert store.profiles.reporting_adverse_events(["1", "2"]) == {"1"}
    plan = " ".join(r[3] for r in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT DISTINCT source, record_id FROM tags WHERE axis = 'molecule' AND value IN ('x')"))
    assert "COVERING INDEX idx_tags_axis_value_record" in plan
    store.close()


def _export_statements(store: Store) -> tuple[dict[str, object], list[str]]:
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    first = next(store.iter_articles())
    store.db.conn.set_trace_callback(None)
    return first, statements


def test_article_export_streams(cache: tuple[Path, Rules]) -> None:
    """The first exported record comes before any child table is read whole, and the articles are
    walked in the order of the numeric-PMID index, not sorted in memory."""
    db, _ = cache
    store = open_store(db)
    first, statements = _export_statements(store)
    every = list(store.iter_articles())
    plan = " ".join(r[3] for r in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT pmid FROM articles ORDER BY CAST(pmid AS INTEGER)"))
    store.close()
    assert first == every[0]
    assert [r["pmid"] for r in every] == sorted((r["pmid"] for r in every), key=int)
    children = [s for s in statements if " FROM article_" in s or " FROM links" in s]
    assert children and all("WHERE pmid IN (" in s for s in children), children
    assert "idx_articles_pmid_number" in plan and "TEMP B-TREE" not in plan
