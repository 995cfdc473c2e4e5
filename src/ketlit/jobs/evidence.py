"""Reading study profiles for the records that can be evidence, and grouping them by trial.

Profiles need the molecule tags that make a record a candidate and the study's indication /
route / population tags: tagging reads them in its worker processes right after tagging each
candidate (:func:`read_candidate`); :func:`read_pending` runs after tagging for what is left,
and only on candidates: records tagged with a
molecule the evidence rules name. A psilocybin or MDMA record in a ketamine cache is never
read. Profiles remember the rules and record content they came from, so a fetch re-reads only
new or changed candidates, and a rules change re-reads them all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ketlit.evidence.groups import group_records
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.evidence.rules import EvidenceRules, LazyRules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import Article
from ketlit.store.core import Store
from ketlit.store.profiles import ProfileRow
from ketlit.tagging import Tag

READ_BATCH = 2000


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    """What a reading pass did."""

    read: int
    dropped: int
    groups: int
    seconds: float


def read_candidate(article: Article, tags: Iterable[Tag], rules: EvidenceRules) -> dict[str, Any]:
    """The stored form of one candidate's profile, read from its fresh tags (as the tagging workers
    do), exactly as :func:`read_pending` reads it from the stored ones."""
    by_axis: dict[str, set[str]] = {}
    for tag in tags:
        by_axis.setdefault(tag.axis, set()).add(tag.value)
    return profile_to_dict(read_profile(article, {axis: sorted(v) for axis, v in sorted(by_axis.items())}, rules))


def read_pending(store: Store, lazy: EvidenceRules | LazyRules, *, everything: bool = False,
                 regroup: bool = False) -> EvidenceReport:
    """Read (or re-read) stale candidate profiles, drop non-candidates, regroup; see the module docstring.

    Tagging reads the profiles of the candidates it tags (in its workers); what is left here is
    what tagging did not touch. ``regroup``: profiles were stored since the last grouping.
    With :class:`LazyRules` the patterns are compiled only when a profile is stale."""
    clock = time.monotonic()
    molecules = list(lazy.molecules)
    pmids = store.profiles.stale_profiles(lazy.digest, molecules, everything=everything)
    done = 0
    for start in range(0, len(pmids), READ_BATCH):
        rules = lazy.compiled if isinstance(lazy, LazyRules) else lazy
        chunk = pmids[start : start + READ_BATCH]
        articles = store.load_articles(chunk)
        tags = store.tags.tags_of("pubmed", chunk)
        contents = store.content_shas("pubmed", chunk)
        rows = []
        for article in articles:
            profile = read_profile(article, tags.get(article.pmid, {}), rules)
            rows.append(
                ProfileRow(article.pmid, rules.digest, contents.get(article.pmid, ""), profile_to_dict(profile))
            )
        done += store.profiles.save_profiles(rows)
    dropped = store.profiles.drop_non_candidates(molecules)
    # Groups change only when profiles were read or dropped: a tagging run after a fetch that
    # brought no candidate does not re-read and rewrite every profile's group.
    if done or dropped or regroup:
        store.profiles.set_groups(group_records(store.profiles.grouping_inputs()))
    return EvidenceReport(done, dropped, store.profiles.group_count(), time.monotonic() - clock)


def stored_profile(store: Store, pmid: str) -> tuple[dict[str, Any] | None, list[str]]:
    """A record's stored profile (None if it has none) and its abstract sentences, for ``explain``."""
    profile = store.profiles.profile(pmid)
    if profile is None:
        return None, []
    articles = store.load_articles([pmid])
    sentences = [s.text for s in abstract_sentences(articles[0].sections)] if articles else []
    return profile, sentences
