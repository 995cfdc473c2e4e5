"""Ingest-time work limited to what every record needs (issue 15).

Every record is tagged; numbers and study profiles are read only for records that can be
evidence for the configured drug, and the profiles in the tagging workers, right after each
record's tags. These tests pin that the profiles read there are the ones reading them
afterwards from the stored tags gives (:func:`ketlit.jobs.evidence.read_pending`'s way), and that
a psilocybin record in a ketamine cache gets tags but no numbers and no profile.
Real-format fixtures from tests/fixtures; no ``../shared``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ketlit.config import Settings
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.jobs.ingest import import_file
from ketlit.jobs.tag import TagRunner
from ketlit.store import open_store
from tests.conftest import FIXTURES

FILES = ("efetch_claims_iv_trd.xml", "efetch_psilocybin_trd.xml", "efetch_oddities.xml")


def _cache(tmp_path: Path) -> Path:
    db = tmp_path / "k.db"
    store = open_store(db)
    for name in FILES:
        import_file(store, FIXTURES / name)
    store.close()
    return db


def _rows(db: Path, sql: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute(sql)}


def test_numbers_and_profiles_only_for_the_drugs_records(tmp_path: Path) -> None:
    db = _cache(tmp_path)
    store = open_store(db)
    runner = TagRunner(Settings(db=db))
    report = runner.tag_pending(store)
    everything = {rid for _, rid in store.all_record_ids()}
    store.close()
    drug = ",".join(f"'{m}'" for m in sorted(runner.drug_molecules))
    candidates = _rows(db, f"SELECT record_id FROM tags WHERE axis = 'molecule' AND value IN ({drug})")
    assert report.records == len(everything)
    assert _rows(db, "SELECT record_id FROM tag_state") == everything  # every record is tagged
    assert candidates and candidates < everything  # the psilocybin record is not the drug's
    assert _rows(db, "SELECT record_id FROM findings") == candidates
    assert _rows(db, "SELECT pmid FROM study_profiles") == candidates
    assert _rows(db, "SELECT pmid FROM study_profiles WHERE group_id IS NULL") == set()
    # Nothing is left for a second pass: the numbers are not stale for the records without them.
    again = open_store(db)
    assert TagRunner(Settings(db=db)).tag_pending(again).records == 0
    again.close()


def test_profiles_read_while_tagging_equal_those_read_from_stored_tags(tmp_path: Path) -> None:
    db = _cache(tmp_path)
    store = open_store(db)
    runner = TagRunner(Settings(db=db))
    runner.tag_all(store)
    rules = runner.evidence_rules
    pmids = sorted(_rows(db, "SELECT pmid FROM study_profiles"))
    tags = store.tags.tags_of("pubmed", pmids)
    assert pmids
    for article in store.load_articles(pmids):
        stored = {k: v for k, v in (store.profiles.profile(article.pmid) or {}).items()
                  if k not in ("group", "rules_sha256")}
        assert stored == profile_to_dict(read_profile(article, tags[article.pmid], rules)), article.pmid
    digests = _rows(db, "SELECT DISTINCT rules_sha256 FROM study_profiles")
    store.close()
    assert digests == {rules.digest}


def test_a_users_evidence_rules_compile_once() -> None:
    """Every record a worker reads asks for the compiled rules: made at the first ask, then the same object (a
    ``cached_property`` would compile them again at every ask once the class is compiled by mypyc)."""
    from ketlit.evidence.rules import LazyRules
    from ketlit.tagging import load_rules

    lazy = LazyRules(None, load_rules())  # the rules with a user's tagging rules: not the packaged ones' cache
    assert not lazy.is_compiled
    first = lazy.compiled
    assert lazy.is_compiled and lazy.compiled is first


def test_an_up_to_date_cache_does_not_compile_the_evidence_rules(tmp_path: Path) -> None:
    """`check` and `report` bring the cache up to date first; with nothing stale, the reader's
    patterns (about a second to compile) are never compiled — only their digest is needed."""
    from ketlit.evidence.rules import LazyRules, packaged_rules

    assert LazyRules(None).digest == packaged_rules().digest  # one digest, whichever way it is read
    db = _cache(tmp_path)
    store = open_store(db)
    TagRunner(Settings(db=db)).tag_pending(store)
    runner = TagRunner(Settings(db=db))
    runner.tag_pending(store)
    lazy = runner._evidence_rules
    assert isinstance(lazy, LazyRules) and not lazy.is_compiled
    assert "tagger" not in runner.__dict__  # nor the tagging engine: nothing needed tagging
    # A stale profile (another rules digest) is read, so the rules compile then.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE study_profiles SET rules_sha256 = 'old' WHERE pmid IN (SELECT pmid FROM study_profiles LIMIT 1)"
        )
    runner = TagRunner(Settings(db=db))
    runner.tag_pending(store)
    assert runner._evidence_rules is not None and runner._evidence_rules.is_compiled
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM tag_state WHERE record_id IN (SELECT record_id FROM tag_state LIMIT 1)")
    runner = TagRunner(Settings(db=db))
    assert runner.tag_pending(store).records == 1 and "tagger" in runner.__dict__
    store.close()
