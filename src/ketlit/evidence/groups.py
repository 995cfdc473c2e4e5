"""One trial, one vote: records that report the same trial form a group that counts once.

Records are joined when they share a registry ID (NCT), or when their titles are nearly the
same words and they state the same sample size (a reprint, the same trial in two journals). A
correction notice ("'Title': Corrigendum", "Correction: Title") reprints its article's abstract
under the article's title: it joins the record whose title it quotes, whatever sample size either
states. A record that names several registry IDs (a pooled analysis of several trials) joins
nothing by ID: letting it join would chain distinct trials into one group, so that one trial's
vote silenced another's. Secondary reports ("post hoc", "secondary analysis", predictor and biomarker
sub-studies) join their trial through a shared registry ID, or when they state the same sample
size as another record, that size is one a coincidence rarely repeats (``SECONDARY_MIN_N``), and
half their title words are shared: a sub-study rewords its parent's title. Smaller samples (20,
24, 30 patients) recur across unrelated trials, so there only the ID or a near-identical title
joins. A secondary report that stays alone still cannot outvote its trial, because secondary
reports never speak for a group (see below).

The group's **main report** speaks for it: a record whose relation is ``main``, the largest
sample first, then the earliest PMID. Group IDs are the group's smallest PMID, so they are stable
across runs whatever order records arrive in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ketlit.store.profiles import GroupingInput

_WORD: Final = re.compile(r"[a-z0-9]+")
_STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "for",
        "and",
        "or",
        "with",
        "to",
        "on",
        "at",
        "by",
        "from",
        "versus",
        "vs",
        "as",
        "is",
        "are",
        "trial",
        "study",
    ]
)
TITLE_OVERLAP: Final = 0.8
# A secondary report and a record of the same stated sample size (at least this many) need only
# share this much of their title words.
SECONDARY_OVERLAP: Final = 0.4
SECONDARY_MIN_N: Final = 40
# "'Quoted title': Corrigendum." and "Correction: Title." (also Erratum, Correction to).
_CORRECTION: Final = re.compile(
    r"^\s*['\"‘“](?P<quoted>.+?)['\"’”]\s*[:.]?\s*(?:corrigendum|correction|erratum|errata)\b[\s.]*$|"
    r"^\s*(?:corrigendum|correction|erratum)(?: to)?\s*:\s*(?P<after>.+)$",
    re.I | re.S,
)


def corrected_title(title: str) -> str | None:
    """The title a correction notice quotes, or None when ``title`` is not a correction notice."""
    m = _CORRECTION.match(title)
    if m is None:
        return None
    return m.group("quoted") or m.group("after")


def _words(title: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(title.lower()) if w not in _STOP)


def _similar(a: frozenset[str], b: frozenset[str], threshold: float = TITLE_OVERLAP) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def group_records(records: Sequence[GroupingInput]) -> list[tuple[str, str, bool]]:
    """(pmid, group_id, is_main) for every record; see the module docstring."""
    parent = {r.pmid: r.pmid for r in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller PMID is the root, so group IDs do not depend on processing order.
            lo, hi = sorted((ra, rb), key=int)
            parent[hi] = lo

    by_nct: dict[str, str] = {}
    for r in records:
        if len(set(r.nct_ids)) > 1:
            continue
        for nct in r.nct_ids:
            if nct in by_nct:
                union(by_nct[nct], r.pmid)
            else:
                by_nct[nct] = r.pmid
    # Same words, same n: titles are compared only among records of equal stated size, which
    # keeps this near-linear (bucketed by n) instead of comparing every pair. A secondary report
    # rewords its parent's title ("... in anxious vs nonanxious depression: revisiting the X
    # study"), so with the same sample (of a size unlikely by chance) half the words suffice.
    by_n: dict[int, list[tuple[str, frozenset[str], bool]]] = {}
    for r in records:
        if r.n is None or r.question == "systematic_review":
            continue
        words = _words(corrected_title(r.title) or r.title)
        secondary = r.relation == "secondary"
        for other, other_words, other_secondary in by_n.get(r.n, []):
            loose = (secondary or other_secondary) and r.n >= SECONDARY_MIN_N
            if _similar(words, other_words, SECONDARY_OVERLAP if loose else TITLE_OVERLAP):
                union(other, r.pmid)
        by_n.setdefault(r.n, []).append((r.pmid, words, secondary))
    # Correction notices are few: each is compared with every other title (by words).
    corrections = [(r.pmid, _words(t)) for r in records if (t := corrected_title(r.title)) is not None]
    if corrections:
        for r in records:
            words = _words(r.title)
            for pmid, quoted in corrections:
                if pmid != r.pmid and _similar(words, quoted):
                    union(pmid, r.pmid)
    members: dict[str, list[GroupingInput]] = {}
    for r in records:
        members.setdefault(find(r.pmid), []).append(r)
    out: list[tuple[str, str, bool]] = []
    for root, group in members.items():
        ranked = sorted(group, key=lambda r: (r.relation != "main", -(r.n or 0), int(r.pmid)))
        main = ranked[0].pmid
        gid = min((r.pmid for r in group), key=int)
        assert gid == root
        out.extend((r.pmid, gid, r.pmid == main) for r in group)
    return sorted(out, key=lambda t: int(t[0]))
