"""Numbers read at tagging time follow the claim rules that read them.

The tag state names the tagging rules only; the findings stored beside the tags are read with the
claim rules. After the claim rules change, the next ``tag_pending`` (run by ``fetch``, ``refresh``,
``check`` and ``report``) re-reads them once, instead of every later check re-reading abstracts on
demand. Real-format fixture (``tests/fixtures/efetch_oddities.xml``); no ``../shared``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ketlit.config import Settings
from ketlit.jobs.ingest import import_file
from ketlit.jobs.tag import TagRunner
from ketlit.store import open_store
from tests.conftest import FIXTURES


def findings_digests(db: Path) -> set[str]:
    """The claim-rules digests the stored numbers were read with."""
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT rules_sha256 FROM findings")}


def test_a_claim_rules_change_rereads_the_numbers_once(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    store = open_store(db)
    import_file(store, FIXTURES / "efetch_oddities.xml")
    articles = len(store.all_record_ids())
    first = TagRunner(Settings(db=db))
    assert first.tag_pending(store).records == articles
    assert TagRunner(Settings(db=db)).tag_pending(store).records == 0  # nothing moved: nothing re-read
    assert findings_digests(db) == {first.claim_rules.digest}

    user = tmp_path / "claims.toml"
    user.write_text("# an editor's overlay: any change of the claim rules changes what numbers mean\n")
    changed = TagRunner(Settings(db=db, claim_rules=user))
    assert changed.claim_rules.digest != first.claim_rules.digest
    assert changed.tag_pending(store).records == articles
    assert findings_digests(db) == {changed.claim_rules.digest}
    assert set(store.load_findings(changed.claim_rules.digest)) == {f"pubmed:{i}" for _, i in store.all_record_ids()}
    assert TagRunner(Settings(db=db, claim_rules=user)).tag_pending(store).records == 0
