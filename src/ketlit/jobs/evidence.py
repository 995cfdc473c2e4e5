"""Reading study profiles for the records that can be evidence, and grouping them by trial.

Runs after tagging (profiles need the molecule tags that make a record a candidate and the
study's indication / route / population tags) and only on candidates: records tagged with a
molecule the evidence rules name. A psilocybin or MDMA record in a ketamine cache is never
read. Profiles remember the rules and record content they came from, so a fetch re-reads only
new or changed candidates, and a rules change re-reads them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ketlit.evidence.groups import group_records
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.evidence.rules import EvidenceRules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.store.core import Store
from ketlit.store.profiles import ProfileRow

READ_BATCH = 2000


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    """What a reading pass did."""

    read: int
    dropped: int
    groups: int
    seconds: float


def read_pending(store: Store, rules: EvidenceRules, *, everything: bool = False) -> EvidenceReport:
    """Read (or re-read) stale candidate profiles, drop non-candidates, regroup; see the module docstring."""
    clock = time.monotonic()
    molecules = list(rules.molecules)
    pmids = store.profiles.stale_profiles(rules.digest, molecules, everything=everything)
    done = 0
    for start in range(0, len(pmids), READ_BATCH):
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
    if done or dropped:
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
