"""The blind verdict keys shipped in ``tests/fixtures/claims/verdict_keys`` are intact and scoreable.

Each set was frozen (``FROZEN.sha256``) before ketlit first checked its pages; the hashes show it has not been
edited since (a key bent towards ketlit's answers would measure nothing). Every keyed sentence is mapped once
and its anchor is found in its page as ``bench/claims_accuracy.py`` cleans it, so the bench scores every one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import repo_module

KEYS = Path(__file__).resolve().parent / "fixtures" / "claims" / "verdict_keys"
SETS = sorted(p for p in KEYS.iterdir() if p.is_dir())


def test_the_sets_are_there() -> None:
    assert [p.name for p in SETS] == [
        "r10", "r11", "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r5", "r6", "r7", "r8", "r9"
    ]


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_a_key_is_as_it_was_frozen(folder: Path) -> None:
    lines = (folder / "FROZEN.sha256").read_text(encoding="utf-8").split("\n")
    frozen = dict(reversed(line.split(None, 1)) for line in lines if line.strip())
    assert frozen, folder
    for name, digest in frozen.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_every_keyed_sentence_is_found_in_its_page(folder: Path) -> None:
    bench = repo_module("bench/claims_accuracy.py")
    key = {k["id"]: k for k in json.loads(bench.key_file(folder, "key").read_text(encoding="utf-8"))}
    mapped = [m["cid"] for m in json.loads(bench.key_file(folder, "map").read_text(encoding="utf-8"))]
    assert bench.key_file(folder, "key").name == "verdict_key.json", "no repo file is named like a shared one"
    assert sorted(mapped) == sorted(key), "every keyed sentence is mapped exactly once"
    pages = {p.name: bench.cleaned_text(p) for p in (folder / "clinic_pages").iterdir()}
    keyed, _, problems = bench.load_key(folder, pages)
    assert len(keyed) == len(key), [p for p in problems if "anchor" in p]
