"""Trial grouping compares only records whose titles can be alike (prefix filtering), with the same
groups as comparing every pair: the pairwise form took 24 s at 43,000 profiles and minutes at
150,000 (it runs after every fetch, import and tag)."""

from __future__ import annotations

import random

import pytest

from ketlit.evidence import groups
from ketlit.evidence.groups import (
    SECONDARY_MIN_N,
    SECONDARY_OVERLAP,
    TITLE_OVERLAP,
    _similar,
    _words,
    corrected_title,
    group_records,
)
from ketlit.store.profiles import GroupingInput


def _pairs(records: list[GroupingInput]) -> set[tuple[str, str]]:
    """Every pair the grouping joins, found by comparing every pair (the form first written)."""
    out: set[tuple[str, str]] = set()
    for i, a in enumerate(records):
        for b in records[i + 1 :]:
            one_id = all(len(set(r.nct_ids)) == 1 and r.question != "systematic_review" for r in (a, b))
            if one_id and set(a.nct_ids) == set(b.nct_ids):
                out.add((a.pmid, b.pmid))
            if a.n is not None and a.n == b.n and "systematic_review" not in (a.question, b.question):
                loose = "secondary" in (a.relation, b.relation) and a.n >= SECONDARY_MIN_N
                wa, wb = (_words(corrected_title(r.title) or r.title) for r in (a, b))
                if _similar(wa, wb, SECONDARY_OVERLAP if loose else TITLE_OVERLAP):
                    out.add((a.pmid, b.pmid))
            for notice, other in ((a, b), (b, a)):
                quoted = corrected_title(notice.title)
                if quoted is not None and _similar(_words(quoted), _words(other.title)):
                    out.add((a.pmid, b.pmid))
    return out


def _partition(records: list[GroupingInput], pairs: set[tuple[str, str]]) -> set[frozenset[str]]:
    """The connected components of ``pairs`` over the records."""
    linked: dict[str, set[str]] = {r.pmid: set() for r in records}
    for a, b in pairs:
        linked[a].add(b)
        linked[b].add(a)
    seen: set[str] = set()
    out: set[frozenset[str]] = set()
    for start in linked:
        if start in seen:
            continue
        component, todo = {start}, [start]
        while todo:
            for nxt in linked[todo.pop()] - component:
                component.add(nxt)
                todo.append(nxt)
        seen |= component
        out.add(frozenset(component))
    return out


def _random_records(rng: random.Random) -> list[GroupingInput]:
    vocab = [f"word{i}" for i in range(30)]
    pool = [" ".join(rng.sample(vocab, rng.randrange(0, 8))) for _ in range(6)]
    out = []
    for i in range(rng.randrange(2, 40)):
        title = rng.choice(pool) if rng.random() < 0.4 else " ".join(rng.sample(vocab, rng.randrange(0, 8)))
        if rng.random() < 0.15:
            title = f"'{title}': Corrigendum" if rng.random() < 0.5 else f"Correction: {title}"
        out.append(GroupingInput(
            pmid=str(1000 + i), title=title, year=None, n=rng.choice([None, 10, 40, 50]),
            relation=rng.choice([None, "main", "secondary"]),
            question=rng.choice(["efficacy_vs_control", "efficacy_vs_control", "systematic_review"]),
            nct_ids=tuple(rng.sample(["NCT1", "NCT2", "NCT3"], rng.randrange(0, 3))),
        ))
    return out


def test_the_groups_are_those_of_comparing_every_pair() -> None:
    rng = random.Random(23)
    for _ in range(500):
        records = _random_records(rng)
        groups: dict[str, set[str]] = {}
        for pmid, gid, _ in group_records(records):
            groups.setdefault(gid, set()).add(pmid)
        assert {frozenset(g) for g in groups.values()} == _partition(records, _pairs(records)), records


@pytest.mark.sources
def test_grouping_grows_with_the_records_not_with_their_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: 20,000 distinct titles of three sample sizes are ~6.7 x 10^7 pairs of equal
    n; grouping compares only those whose rarest words meet."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(5000)]
    records = [
        GroupingInput(pmid=str(10_000 + i), title=" ".join(rng.sample(vocab, 8)), year=None, n=rng.choice([20, 30, 40]),
                      relation="main", question="efficacy_vs_control", nct_ids=())
        for i in range(20_000)
    ]
    compared = 0

    def counting(a: frozenset[str], b: frozenset[str], threshold: float = TITLE_OVERLAP) -> bool:
        nonlocal compared
        compared += 1
        return _similar(a, b, threshold)

    monkeypatch.setattr(groups, "_similar", counting)
    assert len(group_records(records)) == 20_000
    assert 0 < compared < 200_000
