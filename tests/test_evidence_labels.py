"""The shipped evidence labels are well formed: the gold set and the one-pass sets (labels/evidence/), so that the
benchmark scores what their labellers meant. In-repo files only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ketlit.evidence.questions import QUESTIONS

LABELS = Path(__file__).resolve().parents[1] / "labels" / "evidence"
FILES = ["findings.jsonl", "single_i.jsonl", "single_j.jsonl", "single_k_held.jsonl"]
DIRECTIONS = {"increased", "decreased", "no_difference"}
PRESENCES = {"present", "absent", "more", "less", "no_difference"}


def _records(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", FILES)
def test_labels_are_well_formed(name: str) -> None:
    records = _records(name)
    pmids = [r["pmid"] for r in records]
    assert len(pmids) == len(set(pmids)), "a record labelled twice"
    for r in records:
        assert r["pmid"].isdigit()
        assert r["question"] in QUESTIONS, (r["pmid"], r["question"])
        for f in r.get("findings") or []:
            assert isinstance(f["s"], int) and f["s"] >= 0, (r["pmid"], f)
            assert all(isinstance(s, int) for s in f.get("also") or []), (r["pmid"], f)
            assert f["direction"] in DIRECTIONS, (r["pmid"], f["direction"])
            assert isinstance(f.get("quote"), str) and f["quote"].strip(), (r["pmid"], f)
        for a in r.get("adverse_events") or []:
            assert a["presence"] in PRESENCES, (r["pmid"], a["presence"])


def test_one_pass_sets_never_relabel_the_gold_records() -> None:
    gold = {r["pmid"] for r in _records("findings.jsonl")}
    seen: set[str] = set()
    for name in FILES[1:]:
        pmids = {r["pmid"] for r in _records(name)}
        assert not pmids & gold, name
        assert not pmids & seen, name
        seen |= pmids


def _held(pmid: str) -> bool:
    """The held-back third, as bench/evidence_reading.py splits it."""
    return int(hashlib.sha1(pmid.encode()).hexdigest(), 16) % 3 == 0


@pytest.mark.parametrize(
    ("name", "held"), [("single_i.jsonl", False), ("single_j.jsonl", False), ("single_k_held.jsonl", True)]
)
def test_each_one_pass_set_lies_in_its_split(name: str, held: bool) -> None:
    assert {_held(r["pmid"]) for r in _records(name)} == {held}
