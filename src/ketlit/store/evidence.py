"""The cache-backed :class:`ketlit.claims.evidence.EvidenceIndex`: tags first, then text.

Retrieval is deliberately generous and explainable: a claim's candidates are the cached records
tagged with one of the drug's molecules and, for efficacy-type claims, with an indication of the
claim's family (direct or indirect, so the verdict engine can say "indirect evidence" rather than
silently missing it). Safety claims take the records whose title or abstract reports the claimed
topic (the adverse-event vocabulary of the claim rules). Each PubMed record carries its stored
study profile (``study_profiles``), so claims are judged by what the study asked and found.
Every exclusion — animal work, other indications, narrative reviews — is then decided and
reported by the verdict engine.
Candidate selection costs what it matches, not what the cache holds (issue 15): the pool of drug
records comes from the tags index (molecule), efficacy candidates from the same index (molecule ×
indication), safety candidates among profiled records from ``study_adverse_events`` rows; only the
pool's tags, links, results, profiles and findings are read. The pool is read once per index, and
:func:`shared_index` keeps one index per process while the cache is unchanged, so every query of a
``report --all`` or ``refresh`` shares it. The SQL is in :mod:`ketlit.store.reads` (plain rows); this module only
builds the claim checker's records from them, so it depends on nothing in the store but the
:class:`Store` facade and could live in :mod:`ketlit.claims` as it is.
"""

from __future__ import annotations

import json
import weakref
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
    """Candidates for claims, from the SQLite cache (tags + stored profiles)."""

    def __init__(self, store: Store, rules: Rules, scope: Sequence[tuple[str, str]] | None = None) -> None:
        self.store = store
        self.rules = rules
        # Optionally restrict to the records of one query (reports check claims per query).
        self.scope = set(scope) if scope is not None else None
        self._pool: list[EvidenceRecord] | None = None
        self._by_key: dict[tuple[str, str], EvidenceRecord] | None = None
        # PMIDs whose stored profile lists adverse events (from ``study_adverse_events``).
        self._reporting: set[str] | None = None
        self._findings: LazyFindings | None = None
        self._adverse: dict[tuple[str, str], dict[str, bool]] = {}
        self._by_family: dict[tuple[str, ...], set[tuple[str, str]]] = {}

    @property
    def molecules(self) -> list[str]:
        """The drug's molecules: the ones the claim rules can read a claim as. A study of another
        substance (psilocybin, MDMA …) is no evidence for a claim about this drug."""
        return sorted({*self.rules.molecules, self.rules.molecule_default})

    def pool(self) -> list[EvidenceRecord]:
        """Every cached record tagged with a molecule of the drug, as evidence records."""
        if self._pool is None:
            self._pool = self._load_pool()
        return self._pool

    def _keyed(self) -> dict[tuple[str, str], EvidenceRecord]:
        if self._by_key is None:
            self._by_key = {(r.source, r.id): r for r in self.pool()}
        return self._by_key

    def _load_pool(self) -> list[EvidenceRecord]:
        store = self.store
        # An index-only lookup (tags by axis and value): the pool's cost follows the drug's
        # records, not the size of the cache.
        keys = sorted(store.tags.records_with_tags({"molecule": self.molecules}) or ())
        if self.scope is not None:
            keys = [k for k in keys if k in self.scope]
        tags = store.tags.tag_values(keys)
        pmids = [rid for s, rid in keys if s == "pubmed"]
        ncts = [rid for s, rid in keys if s == "ctgov"]
        links = store.reads.links_of([rid for _, rid in keys])
        out: list[EvidenceRecord] = []
        # Study profiles are read at tagging time; the verdict engine weighs studies by them.
        profiles = store.profiles.profiles(pmids)
        retracted = store.reads.retracted(pmids)
        for a in store.reads.evidence_articles(pmids):
            out.append(EvidenceRecord(
                source="pubmed", id=a.pmid, title=a.title or "", abstract=a.abstract or "", year=a.year,
                tags={axis: tuple(v) for axis, v in tags[("pubmed", a.pmid)].items()}, indexed=bool(a.indexed),
                linked_ids=tuple(sorted(set(links.get(a.pmid, [])))), profile=profiles.get(a.pmid),
                retracted=a.pmid in retracted,
            ))
        results = store.reads.trial_results(ncts)
        for t in store.reads.evidence_trials(ncts):
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
        :func:`ketlit.claims.verdict.assess` expects (records without them are read on demand).
        Only the pool's: no other record can be a candidate."""
        if self._findings is None:
            keys = [(r.source, r.id) for r in self.pool()]
            self._findings = LazyFindings(self.store.load_findings(self.rules.digest, keys))
        return self._findings

    def _reports_harms(self, record: EvidenceRecord) -> bool:
        """Whether a profiled record's stored adverse-event rows (results and conclusions only)
        list any: none means its abstract names harms only in background or methods."""
        if self._reporting is None:
            pmids = [r.id for r in self.pool() if r.source == "pubmed" and r.profile is not None]
            self._reporting = self.store.profiles.reporting_adverse_events(pmids)
        return record.source == "pubmed" and record.id in self._reporting

    def _mentions_any(self, record: EvidenceRecord, topics: tuple[str, ...]) -> bool:
        """Whether the record may report an adverse event of ``topics``. A record with a stored
        study profile is selected by its stored adverse-event rows (``study_adverse_events``); the
        verdict engine sorts them by topic. Records without a profile (registry entries) have
        their text scanned, once per topic for the whole process (the index is shared)."""
        if record.profile is not None:
            return self._reports_harms(record)
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
        if claim.kind in EFFICACY_KINDS and claim.indication:
            wanted: set[str] = set()
            for indication in claim.indication:
                family = self.rules.family(indication)
                wanted.update((indication, *family.direct, *family.indirect))
            # Molecule × indication from the tags index; the pool supplies the loaded records.
            keyed = self._keyed()
            # Claims of one page (and every query of a report) share indication families: the
            # index lookup is made once per family.
            wanted_key = tuple(sorted(wanted))
            if wanted_key not in self._by_family:
                self._by_family[wanted_key] = self.store.tags.records_with_tags(
                    {"molecule": self.molecules, "indication": list(wanted_key)}) or set()
            hits = self._by_family[wanted_key]
            chosen = [keyed[k] for k in sorted(hits) if k in keyed]
        elif claim.kind == "safety":
            topics = [t for t in claim.safety_topics if t in self.rules.adverse]
            if not topics:  # "side effects", "safe": every adverse-event category counts
                topics = sorted(self.rules.adverse)
            chosen = [r for r in self.pool() if self._mentions_any(r, tuple(topics))]
        else:
            chosen = list(self.pool())
        return sorted(chosen, key=lambda r: sort_key(r, self.rules))


# One index per (store, claim rules) per process, while the cache holds the same data: a
# ``report --all`` or ``refresh`` checks the claims of every query against one pool, loaded once.
_SHARED: weakref.WeakKeyDictionary[Store, dict[str, tuple[tuple[int, int], StoreEvidenceIndex]]] = (
    weakref.WeakKeyDictionary()
)


def shared_index(store: Store, rules: Rules) -> StoreEvidenceIndex:
    """The process's :class:`StoreEvidenceIndex` for ``store`` and ``rules``: built on first use and
    reused until the cache changes (any write but a report's own state, by this connection or
    another process; :meth:`ketlit.store.core.Store.change_token`)."""
    token = store.change_token()
    per_store = _SHARED.setdefault(store, {})
    held = per_store.get(rules.digest)
    if held is not None and held[0] == token:
        return held[1]
    index = StoreEvidenceIndex(store, rules)
    per_store[rules.digest] = (token, index)
    return index
