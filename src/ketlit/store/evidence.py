"""The cache-backed :class:`ketlit.claims.evidence.EvidenceIndex`: tags first, then text.

Retrieval is deliberately generous and explainable: a claim's candidates are the cached records
tagged with one of the drug's molecules and, for efficacy-type claims, with an indication of the
claim's family (direct or indirect, so the verdict engine can say "indirect evidence" rather than
silently missing it). Safety claims take the records whose title or abstract reports the claimed
topic (the adverse-event vocabulary of the claim rules). Each PubMed record carries its stored
study profile (``study_profiles``), so claims are judged by what the study asked and found.
Every exclusion — animal work, other indications, narrative reviews — is then decided and
reported by the verdict engine.
The pool of drug records is read once per index, so checking a page with many claims costs one
pass over the cache. The SQL is in :mod:`ketlit.store.reads` (plain rows); this module only
builds the claim checker's records from them, so it depends on nothing in the store but the
:class:`Store` facade and could live in :mod:`ketlit.claims` as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ketlit.claims.evidence import EvidenceRecord, sort_key
from ketlit.claims.model import Claim
from ketlit.claims.numbers import Findings, findings_from_json
from ketlit.claims.rules import Rules
from ketlit.store.core import Store

EFFICACY_KINDS = frozenset({"efficacy_rate", "efficacy", "onset", "duration"})


class LazyFindings(dict[str, Findings]):
    """Stored findings, decoded only when a claim actually looks at the record."""

    def __init__(self, raw: dict[str, str]) -> None:
        super().__init__()
        self._raw = raw

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._raw

    def __getitem__(self, key: str) -> Findings:
        if not dict.__contains__(self, key) and key in self._raw:
            dict.__setitem__(self, key, findings_from_json(self._raw[key]))
        return dict.__getitem__(self, key)


class StoreEvidenceIndex:
    """Candidates for claims, from the SQLite cache (tags + text)."""

    def __init__(self, store: Store, rules: Rules, scope: Sequence[tuple[str, str]] | None = None) -> None:
        self.store = store
        self.rules = rules
        # Optionally restrict to the records of one query (reports check claims per query).
        self.scope = set(scope) if scope is not None else None
        self._pool: list[EvidenceRecord] | None = None
        self._adverse: dict[tuple[str, str], dict[str, bool]] = {}

    def pool(self) -> list[EvidenceRecord]:
        """Every cached record tagged with a molecule of the drug, as evidence records."""
        if self._pool is None:
            self._pool = self._load_pool()
        return self._pool

    def _load_pool(self) -> list[EvidenceRecord]:
        store = self.store
        tags = store.tags.all_tag_values()
        # The drug's molecules are the ones the claim rules can read a claim as: a study of
        # another substance (psilocybin, MDMA …) is no evidence for a claim about this drug.
        drug = {*self.rules.molecules, self.rules.molecule_default}
        keys = [k for k, t in tags.items() if drug.intersection(t.get("molecule", ()))]
        if self.scope is not None:
            keys = [k for k in keys if k in self.scope]
        links = store.reads.all_links()
        out: list[EvidenceRecord] = []
        pmids = [rid for s, rid in keys if s == "pubmed"]
        # Study profiles are read at tagging time; the verdict engine weighs studies by them.
        profiles = store.profiles.profiles(pmids)
        for a in store.reads.evidence_articles(pmids):
            out.append(EvidenceRecord(
                source="pubmed", id=a.pmid, title=a.title or "", abstract=a.abstract or "", year=a.year,
                tags={axis: tuple(v) for axis, v in tags[("pubmed", a.pmid)].items()}, indexed=bool(a.indexed),
                linked_ids=tuple(sorted(set(links.get(a.pmid, [])))), profile=profiles.get(a.pmid),
            ))
        results = store.reads.trial_results()
        for t in store.reads.evidence_trials([rid for s, rid in keys if s == "ctgov"]):
            phase_list = json.loads(t.phases or "[]")
            out.append(EvidenceRecord(
                source="ctgov", id=t.nct_id, title=t.title or "", abstract=t.summary or "",
                year=int(t.start_date[:4]) if t.start_date else None,
                tags={axis: tuple(v) for axis, v in tags[("ctgov", t.nct_id)].items()}, indexed=True,
                phase="/".join(phase_list) or None, status=t.status, enrollment=t.enrollment,
                has_results=bool(t.has_results), results=tuple(results.get(t.nct_id, [])),
                linked_ids=tuple(sorted(set(links.get(t.nct_id, [])))),
            ))
        return out

    def findings_cache(self) -> dict[str, Findings]:
        """Findings extracted at tagging time for the current content, keyed ``source:id`` as
        :func:`ketlit.claims.verdict.assess` expects (records without them are read on demand)."""
        return LazyFindings(self.store.load_findings(self.rules.digest))

    def _mentions_any(self, record: EvidenceRecord, topics: tuple[str, ...]) -> bool:
        """Whether the record may report an adverse event of ``topics``. A record with a stored
        study profile is read from its stored adverse-event rows (results and conclusions only):
        none means its abstract names harms only in background or methods, so it is no candidate;
        rows mean the verdict engine sorts them by topic. Records without a profile (registry
        entries) have their text scanned, once per topic for the whole check."""
        if record.profile is not None:
            return bool(record.profile.get("adverse_events"))
        key = (record.source, record.id)
        seen = self._adverse.setdefault(key, {})
        for topic in topics:
            if topic not in seen:
                seen[topic] = self.rules.adverse[topic].any(f"{record.title} {record.abstract}")
            if seen[topic]:
                return True
        return False

    def candidates(self, claim: Claim) -> list[EvidenceRecord]:
        """Records that may bear on ``claim`` (the verdict engine filters and explains)."""
        pool = self.pool()
        if claim.kind in EFFICACY_KINDS and claim.indication:
            wanted: set[str] = set()
            for indication in claim.indication:
                family = self.rules.family(indication)
                wanted.update((indication, *family.direct, *family.indirect))
            chosen = [r for r in pool if wanted & set(r.axis("indication"))]
        elif claim.kind == "safety":
            topics = [t for t in claim.safety_topics if t in self.rules.adverse]
            if not topics:  # "side effects", "safe": every adverse-event category counts
                topics = sorted(self.rules.adverse)
            chosen = [r for r in pool if self._mentions_any(r, tuple(topics))]
        else:
            chosen = list(pool)
        return sorted(chosen, key=lambda r: sort_key(r, self.rules))
