"""Tags and study profiles are written a batch at a time (one statement of each kind per batch):
the tables must end up holding what writing the same records one at a time leaves, row for row and
in the same order, including a batch that names a record twice (the later one wins) and records
that already had tags or a profile."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.store import prepare_page
from ketlit.store.core import Store, open_store
from ketlit.store.profiles import ProfileRow
from ketlit.store.tags import TagRow, rebuild_articles
from tests.conftest import shared

TABLES = ("tags", "tag_state", "study_profiles", "study_findings", "study_adverse_events")


def _tags(record: str, salt: str) -> list[TagRow]:
    evidence = [("r1", "title", f"{salt}span", 0, 4, 1.0, ""), ("r2", "abstract", None, None, None, 0.5, "neg")]
    return [("pubmed", record, "molecule", f"m{salt}", 1.5, evidence), ("pubmed", record, "route", "oral", 1.0,
                                                                     evidence[:1])]


def _profile(record: str, salt: str) -> ProfileRow:
    finding = {"s": 0, "direction": "increased", "favours": "intervention", "outcome": salt, "outcome_kind": "efficacy",
               "comparator": None, "comparator_kind": None, "effect": {"measure": "OR", "value": 1.5, "ci": [1.1, 2.0]},
               "p": "0.01"}
    data: dict[str, Any] = {"question": {"value": "other"}, "readable": True, "relation": None, "n": len(salt),
                            "findings": [finding, {**finding, "s": 2, "effect": None}],
                            "adverse_events": [{"s": 1, "event": f"nausea {salt}", "presence": "reported"}]}
    return ProfileRow(record, "rules", f"c{salt}", data)


def _write(store: Store, batches: list[list[tuple[str, str]]]) -> None:
    for batch in batches:
        store.replace_tags([("pubmed", r, "rules", f"c{salt}", _tags(r, salt)) for r, salt in batch])
        store.profiles.save_profiles([_profile(r, salt) for r, salt in batch])


def _tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


def test_a_batch_writes_what_records_one_at_a_time_write(tmp_path: Path) -> None:
    first = [("1", "a"), ("2", "b"), ("3", "c")]
    second = [("2", "d"), ("4", "e"), ("2", "f"), ("1", "g")]  # 2 twice: "f" wins
    one, batched = open_store(tmp_path / "one.db"), open_store(tmp_path / "batched.db")
    _write(one, [[x] for x in first] + [[x] for x in second])
    _write(batched, [first, second])
    assert _tables(batched) == _tables(one)
    assert {r[1]: r[3] for r in _tables(batched)["tag_state"]} == {"1": "cg", "2": "cf", "3": "cc", "4": "ce"}


def test_stored_parts_sent_to_a_worker_rebuild_what_load_articles_reads(tmp_path: Path) -> None:
    body = shared("replay", "pubmed", "psynamic_all.xml").read_bytes()
    page = prepare_page(body, parse_pubmed_xml(body))
    store = open_store(tmp_path / "k.db")
    store.save_prepared(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml", page=page)
    parts = store.stored_parts(page.rows[:600])
    sent = pickle.loads(pickle.dumps(parts, pickle.HIGHEST_PROTOCOL))
    assert rebuild_articles(sent) == store.load_articles([r.article["pmid"] for r in page.rows[:600]])
