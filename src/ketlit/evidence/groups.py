"""One trial, one vote: records that report the same trial form a group that counts once.

Records are joined when they share a registry ID (NCT, or another registry's: :func:`trial_keys`) or name the
same study by its acronym ("the REAL-ESK study", "the ELEKT-D randomized clinical trial"), or when their titles are
nearly the same
words and they state the same sample size (a reprint, the same trial in two journals). A correction
notice ("'Title': Corrigendum", "Correction: Title") reprints its article's abstract under the
article's title: it joins the record whose title it quotes, whatever sample size either states. A
record that names several registry IDs (a pooled analysis of several trials) joins nothing by ID:
letting it join would chain distinct trials into one group, so that one trial's vote silenced
another's. Nor does a systematic review: the registry IDs it prints are those of the trials it pools
(or, in a correction notice, of a trial the correction names), and a review that joined one of them
would silence that trial's vote with its own. Secondary reports ("post hoc", "secondary analysis",
predictor and biomarker sub-studies) join their trial through a shared registry ID, or when they
state the same sample size as another record, that size is one a coincidence rarely repeats
(``SECONDARY_MIN_N``), and half their title words are shared: a sub-study rewords its parent's
title. Smaller samples (20, 24, 30 patients) recur across unrelated trials, so there only the ID or
a near-identical title joins. A secondary report that stays alone still cannot outvote its trial,
because secondary reports never speak for a group (see below).

A secondary report also joins its trial through the **team** that ran it, as a bibliometrician links a
sub-study to its parent without a registry ID: the same first and last author, or at least three shared
authors, half of the shorter byline, among them the main report's first or last author (a fellow who leads a
sub-study keeps the principal investigator). Authors alone are weak, since one lab runs many trials of one drug
with one byline and similar samples, so the team is one cue of several, all needed: the secondary report states
a sample no larger than the main report's (the same patients or a part of them), shares a molecule, a condition
and a trial design with it (a cohort of the lab's clinic patients is not a report of its trial), and is not
published before it. And the join runs one way only, from a secondary report to a main report: main reports never
join each other by their authors, secondary reports never join each other, and a secondary report that may belong
to main reports of two groups (two trials of one lab) joins neither, rather than chain those trials into one.

The group's **main report** speaks for it: a record that is no protocol (a protocol has no results), then one
whose relation is ``main``, the largest sample first, then the earliest PMID. Group IDs are the group's smallest
PMID, so they are stable across runs whatever order records arrive in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
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
# A byline shares the team of another when it has the same first and last author, or when at least this many of
# its authors, and half of the shorter byline, are the other's (:func:`_same_team`).
TEAM_MIN_SHARED: Final = 3
# The designs of a trial (a sub-study of one says it analyses a randomized or open-label trial); a cohort study of
# the team's clinic patients is not a report of the team's trial.
_TRIAL_DESIGNS: Final = frozenset({"rct", "non_randomized_trial"})
# "'Quoted title': Corrigendum." and "Correction: Title." (also Erratum, Correction to).
_CORRECTION: Final = re.compile(
    r"^\s*['\"‘“](?P<quoted>.+?)['\"’”]\s*[:.]?\s*(?:corrigendum|correction|erratum|errata)\b[\s.]*$|"
    r"^\s*(?:corrigendum|correction|erratum)(?: to)?\s*:\s*(?P<after>.+)$",
    re.I | re.S,
)


# Trial registries other than ClinicalTrials.gov (whose NCT IDs the parser links), by the ID formats they print:
# the WHO primary registries and the large national ones. PROSPERO (CRD...) registers reviews, not trials.
_REGISTRY: Final = re.compile(
    r"\b(?:ChiCTR[-A-Za-z]*\d{6,}|ISRCTN ?\d{8}|ACTRN ?\d{14}|DRKS ?\d{8}|CTRI/\d{4}/\d{2,3}/\d{6}|IRCT ?\d{8,}N\d+|"
    r"UMIN ?\d{9}|jRCT[a-z]? ?\d{9,10}|KCT ?\d{7}|TCTR ?\d{11}|PACTR ?\d{15}|NTR ?\d{3,5})\b"
    r"|\bEudraCT(?:[\s:#-]*(?:No\.?|number|Number))?[\s:#-]*(\d{4}-\d{6}-\d{2})\b"
)
# A study named by its acronym where the text calls it a study or trial ("REAL-ESK study", "the ELEKT-D randomized
# clinical trial", "The PODCAST study"): five or more capitals, or capitals with a hyphenated part. Case matters
# (an acronym is printed in capitals). Singular only: "the TRANSFORM-1 and TRANSFORM-2 studies" pools two trials.
# Read backwards from each "study"/"trial" (``str.find``, then the words before it): a regex scan of the whole
# abstract for capitals cost ~55 µs a record, a large share of an evidence profile's budget for one field.
_NAME_END: Final = re.compile(r"\b([A-Z][A-Z0-9]{4,}|[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)$")
# Words that may stand between the name and "study"/"trial" ("the ELEKT-D randomized clinical trial").
_STUDY_ADJECTIVES: Final = frozenset(
    {"randomized", "randomised", "clinical", "controlled", "pilot", "observational", "multicenter", "multicentre",
     "multicentric"}
)
_STUDY_WORDS: Final = ("study", "Study", "trial", "Trial")
_PROTOCOL_AFTER: Final = re.compile(r" [Pp]rotocols? (?:for|of)\b")
# The registries' names as _REGISTRY prints them. As one alternation, a necessary condition for _REGISTRY, ~5x
# cheaper than it (and than thirteen ``in`` tests) on an abstract that names none; upper-cased, what a normalised
# key starts with (:func:`_key_kind`: "ChiCTR-IOR-..." and "ChiCTR2000..." are one registry).
_REGISTRY_NAMES: Final = (
    "ChiCTR", "ISRCTN", "ACTRN", "DRKS", "CTRI", "IRCT", "UMIN", "jRCT", "KCT", "TCTR", "PACTR", "NTR", "EudraCT",
)
_REGISTRY_NEEDS: Final = re.compile("|".join(_REGISTRY_NAMES))
# Capitals before "study" or "trial" that name a condition, a scale or a classification, not a study ("a COVID-19
# trial", "a DSM-5 study"), or a method made of methods' abbreviations ("a PET-MRI study"): never a trial's name.
_NOT_A_STUDY_NAME: Final = frozenset({"COVID-19", "SARS-COV-2", "DSM-5", "DSM-IV", "DSM-IV-TR", "ICD-10", "ICD-11"})
_METHOD_PARTS: Final = frozenset({"PET", "MRI", "FMRI", "CT", "EEG", "MEG", "SPECT", "MRS", "DTI", "TMS", "ECT", "RCT"})


def _study_name_before(text: str, at: int) -> str | None:
    """The acronym right before ``at`` (where "study" or "trial" starts), past the adjectives between; None if the
    word there is no study name."""
    words = text[max(0, at - 80) : at - 1].split(" ")
    while len(words) > 1:
        if words[-1].lower() in _STUDY_ADJECTIVES:
            words.pop()
        elif len(words) > 2 and words[-2].lower() == "phase":
            del words[-2:]
        else:
            break
    named = _NAME_END.search(words[-1])
    # A trial's name is definite ("the REAL-ESK study", "REAL-ESK study is ..."); "a CBT-I trial", "an MDMA-AT
    # trial" name a kind of treatment many trials test.
    if named is None or (len(words) > 1 and words[-2].lower() in ("a", "an")):
        return None
    name = named.group(1).upper()
    if name in _NOT_A_STUDY_NAME or all(part in _METHOD_PARTS for part in name.split("-")):
        return None
    return name


def trial_keys(title: str, abstract: str, own: str | None = None) -> tuple[str, ...]:
    """What names the record's trial besides its NCT IDs: other registries' IDs (``registry:ID``, normalised) and
    study acronyms (``study:NAME``), sorted. Grouping joins records that share one (:func:`group_records`).

    Study names are read from ``own`` when given (the title and the sentences about the record's own study, not its
    background: "Unlike the TRANSFORM-2 trial, ..." names another trial), else from the title and abstract."""
    text = f"{title} {abstract}"
    keys: set[str] = set()
    if _REGISTRY_NEEDS.search(text):
        for m in _REGISTRY.finditer(text):
            raw = f"EUDRACT{m.group(1)}" if m.group(1) else m.group(0)
            keys.add("registry:" + re.sub(r"[-\s]", "", raw).upper())
    text = own if own is not None else text
    for word in _STUDY_WORDS:
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            # A whole word after a space ("REAL-ESK study", not "studying"), not "... study protocol for".
            if at > 0 and text[at - 1] == " " and not (end < len(text) and text[end].isalnum()):
                name = _study_name_before(text, at)
                if name is not None and not _PROTOCOL_AFTER.match(text, end):
                    keys.add("study:" + name)
            at = text.find(word, end)
    return tuple(sorted(keys))


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


def _rarity(sets: Iterable[frozenset[str]]) -> dict[str, tuple[int, str]]:
    """Each word's sort key for prefix filtering: rarest first (ties by the word, so runs agree)."""
    counts = Counter(w for words in sets for w in words)
    return {w: (c, w) for w, c in counts.items()}


def _prefix(words: frozenset[str], threshold: float, rank: dict[str, tuple[int, str]]) -> list[str]:
    """The rarest ``len - ceil(threshold * len) + 1`` words of ``words``. Two sets whose Jaccard
    similarity reaches ``threshold`` share at least ``ceil(threshold * len)`` words of each, so
    (both ordered alike) their prefixes share a word: only records that do are compared."""
    need = math.ceil(threshold * len(words) - 1e-9)
    return sorted(words, key=lambda w: rank.get(w, (0, w)))[: len(words) - need + 1]


def _candidate_pairs(
    queries: Sequence[tuple[int, frozenset[str]]],
    threshold: float,
    rank: dict[str, tuple[int, str]],
    against: Sequence[tuple[int, frozenset[str]]] | None = None,
) -> Iterator[tuple[int, int]]:
    """Pairs that may reach Jaccard ``threshold``: among ``queries`` (each pair once), or each query
    with each of ``against``. Prefix filtering (the all-pairs similarity join): comparing every
    pair was quadratic, 24 s for 43,000 records and minutes at 150,000; this compares only records
    whose rarest words meet. A superset of the pairs that reach the threshold, which the caller
    checks with :func:`_similar`, so the groups are the same."""
    index: dict[str, list[int]] = {}

    def met(prefix: list[str]) -> Iterator[int]:
        """The indexed ids sharing a word of ``prefix``, each once."""
        seen: set[int] = set()
        for w in prefix:
            for other in index.get(w, ()):
                if other not in seen:
                    seen.add(other)
                    yield other

    for pmid, words in against or ():
        for w in _prefix(words, threshold, rank) if words else ():
            index.setdefault(w, []).append(pmid)
    for pmid, words in queries:
        if not words:
            continue
        prefix = _prefix(words, threshold, rank)
        if against is not None:
            yield from ((pmid, other) for other in met(prefix))
            continue
        yield from ((other, pmid) for other in met(prefix))  # the earlier queries only
        for w in prefix:
            index.setdefault(w, []).append(pmid)


def _key_kind(key: str) -> str:
    """"NCT", "study", or the registry an ID belongs to."""
    if key.startswith("NCT"):
        return "NCT"
    if key.startswith("study:"):
        return "study"
    number = key.removeprefix("registry:")
    return next((r.upper() for r in _REGISTRY_NAMES if number.startswith(r.upper())), number)


def _sharing_a_key(records: Sequence[GroupingInput]) -> Iterator[tuple[str, str]]:
    """Pairs of records that name one trial: the same NCT ID, another registry's ID or study name. Not a systematic
    review (the IDs it prints are its trials'), and per kind (NCT, each registry, study names) not a record naming
    several of one kind: it pools several trials, and joining it would chain them into one group."""
    first: dict[str, str] = {}
    for r in records:
        if r.question == "systematic_review":
            continue
        named = [*r.nct_ids, *r.trial_keys]
        kinds = Counter(_key_kind(k) for k in set(named))
        for key in named:
            if kinds[_key_kind(key)] > 1:
                continue
            if key in first:
                yield first[key], r.pmid
            else:
                first[key] = r.pmid


def _same_team(child: Sequence[str], main: Sequence[str]) -> bool:
    """Whether a secondary report's byline is its main report's team: the same first and last author, or at least
    ``TEAM_MIN_SHARED`` shared authors, half of the shorter byline, among them the main report's first or last."""
    if child[0] == main[0] and child[-1] == main[-1]:
        return True
    shared = len(set(child) & set(main))
    leads = main[0] in child or main[-1] in child
    return leads and shared >= TEAM_MIN_SHARED and 2 * shared >= min(len(child), len(main))


def _may_report(child: GroupingInput, main: GroupingInput) -> bool:
    """Whether secondary report ``child`` may report the trial that ``main`` reports: a molecule, a condition and a
    trial design in common, no more patients, not published earlier, and the same team."""
    return (
        child.pmid != main.pmid
        and child.n is not None
        and main.n is not None
        and child.n <= main.n
        and (child.year or 0) >= (main.year or 0)
        and bool(set(child.molecules) & set(main.molecules))
        and bool(set(child.conditions) & set(main.conditions))
        and bool(set(child.designs) & set(main.designs) & _TRIAL_DESIGNS)
        and _same_team(child.authors, main.authors)
    )


def _secondary_to_main(records: Sequence[GroupingInput], find: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """(secondary report, main report) pairs joined by their team: see the module docstring. A secondary report
    joins only when every main report it may belong to is already one group, and only when it is not already
    in another trial's group (a registry ID put it there: joining it by its authors too would chain two trials);
    main reports never join each other by their authors (one lab runs many trials of the same drug, with the
    same team and similar samples)."""
    sizes = Counter(find(r.pmid) for r in records)
    by_lead: dict[str, list[GroupingInput]] = {}
    for m in records:
        # A protocol has no patients yet: a secondary report analyses another report's data, never a protocol's.
        if m.relation == "main" and m.question != "protocol" and len(m.authors) >= TEAM_MIN_SHARED:
            for name in {m.authors[0], m.authors[-1]}:
                by_lead.setdefault(name, []).append(m)
    for r in records:
        if r.relation != "secondary" or len(r.authors) < TEAM_MIN_SHARED:
            continue
        parents = {m.pmid: m for name in set(r.authors) for m in by_lead.get(name, ()) if _may_report(r, m)}
        roots, here = {find(pmid) for pmid in parents}, find(r.pmid)
        if len(roots) == 1 and (here in roots or sizes[here] == 1):
            yield r.pmid, min(parents, key=int)


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

    for pmid, other in _sharing_a_key(records):
        union(pmid, other)
    # Same words, same n: titles are compared only among records of equal stated size. A secondary
    # report rewords its parent's title ("... in anxious vs nonanxious depression: revisiting the X
    # study"), so with the same sample (of a size unlikely by chance) half the words suffice.
    notices = {r.pmid: q for r in records if (q := corrected_title(r.title)) is not None}
    words = {r.pmid: _words(notices.get(r.pmid) or r.title) for r in records}
    by_n: dict[int, list[GroupingInput]] = {}
    for r in records:
        if r.n is not None and r.question != "systematic_review":
            by_n.setdefault(r.n, []).append(r)
    rank = _rarity([words[r.pmid] for r in records])
    for n, bucket in by_n.items():
        # Records with the same words are one title (the same report under two PMIDs, a reprint):
        # joined at once, and compared with other titles once for all of them.
        alike: dict[frozenset[str], list[GroupingInput]] = {}
        for r in bucket:
            alike.setdefault(words[r.pmid], []).append(r)
        for same in alike.values():
            for r in same[1:]:
                if words[r.pmid]:
                    union(same[0].pmid, r.pmid)
        has_secondary = {w: any(r.relation == "secondary" for r in same) for w, same in alike.items()}
        floor = SECONDARY_OVERLAP if any(has_secondary.values()) and n >= SECONDARY_MIN_N else TITLE_OVERLAP
        keys = list(alike)
        for i, j in _candidate_pairs(list(enumerate(keys)), floor, rank):
            a, b = keys[i], keys[j]
            loose = (has_secondary[a] or has_secondary[b]) and n >= SECONDARY_MIN_N
            if _similar(a, b, SECONDARY_OVERLAP if loose else TITLE_OVERLAP):
                union(alike[a][0].pmid, alike[b][0].pmid)
    # A correction notice joins the record whose title it quotes (its own words: the quoted title's).
    quoted: dict[frozenset[str], list[str]] = {}
    for pmid in notices:
        quoted.setdefault(words[pmid], []).append(pmid)
    if quoted:
        titles: dict[frozenset[str], list[str]] = {}
        for r in records:
            # A record's title words are ``words`` unless it is a notice (whose ``words`` are the quote's).
            titles.setdefault(_words(r.title) if r.pmid in notices else words[r.pmid], []).append(r.pmid)
        qkeys, tkeys = list(quoted), list(titles)
        for i, j in _candidate_pairs(list(enumerate(qkeys)), TITLE_OVERLAP, rank, against=list(enumerate(tkeys))):
            if _similar(qkeys[i], tkeys[j]):
                for pmid in quoted[qkeys[i]]:
                    for other in titles[tkeys[j]]:
                        union(pmid, other)  # a notice and its own title: no-op
    # Last, so that a secondary report sees the main reports the rules above have already joined as one group.
    for pmid, other in list(_secondary_to_main(records, find)):
        union(pmid, other)
    members: dict[str, list[GroupingInput]] = {}
    for r in records:
        members.setdefault(find(r.pmid), []).append(r)
    out: list[tuple[str, str, bool]] = []
    for root, group in members.items():
        # A protocol has no results: any other report of the trial speaks for the group before it, even one read as
        # secondary (a results report misread as one must not leave the vote to the protocol).
        ranked = sorted(group, key=lambda r: (r.question == "protocol", r.relation != "main", -(r.n or 0), int(r.pmid)))
        main = ranked[0].pmid
        gid = min((r.pmid for r in group), key=int)
        assert gid == root
        out.extend((r.pmid, gid, r.pmid == main) for r in group)
    return sorted(out, key=lambda t: int(t[0]))
