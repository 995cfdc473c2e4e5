"""The cache-backed :class:`ketlit.claims.evidence.EvidenceIndex`: tags first, then text.

Retrieval is deliberately generous and explainable: a claim's candidates are the cached records
tagged with one of the drug's molecules and, for efficacy-type claims, with an indication of the
claim's family (direct or indirect, so the verdict engine can say "indirect evidence" rather than
silently missing it). Safety claims take the records whose title or abstract reports the claimed
topic (the adverse-event vocabulary of the claim rules). Every exclusion — animal work, other
indications, narrative reviews — is then decided and reported by the verdict engine.
The pool of drug records is read once per index, so checking a page with many claims costs one
pass over the cache.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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

    def pool(self) -> list[EvidenceRecord]:
        """Every cached record tagged with a molecule of the drug, as evidence records."""
        if self._pool is None:
            self._pool = self._load_pool()
        return self._pool

    def _load_pool(self) -> list[EvidenceRecord]:
        db = self.store.db
        tags: dict[tuple[str, str], dict[str, list[str]]] = {}
        for source, rid, axis, value in db.execute(
            "SELECT DISTINCT source, record_id, axis, value FROM tags ORDER BY 1, 2, 3, 4"
        ):
            tags.setdefault((source, rid), {}).setdefault(axis, []).append(value)
        # The drug's molecules are the ones the claim rules can read a claim as: a study of
        # another substance (psilocybin, MDMA …) is no evidence for a claim about this drug.
        drug = {*self.rules.molecules, self.rules.molecule_default}
        keys = [k for k, t in tags.items() if drug.intersection(t.get("molecule", ()))]
        if self.scope is not None:
            keys = [k for k in keys if k in self.scope]
        links: dict[str, list[str]] = {}
        for pmid, nct in db.execute("SELECT DISTINCT pmid, nct_id FROM links"):
            links.setdefault(pmid, []).append(nct)
            links.setdefault(nct, []).append(pmid)
        out: list[EvidenceRecord] = []
        pmids = [rid for s, rid in keys if s == "pubmed"]
        for i in range(0, len(pmids), 500):
            chunk = pmids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for pmid, title, abstract, year, indexed in db.execute(
                f"SELECT pmid, title, abstract, pub_year, indexed FROM articles WHERE pmid IN ({marks})", chunk
            ):
                out.append(EvidenceRecord(
                    source="pubmed", id=pmid, title=title or "", abstract=abstract or "", year=year,
                    tags={a: tuple(v) for a, v in tags[("pubmed", pmid)].items()}, indexed=bool(indexed),
                    linked_ids=tuple(sorted(set(links.get(pmid, [])))),
                ))
        ncts = [rid for s, rid in keys if s == "ctgov"]
        results: dict[str, list[dict[str, Any]]] = {}
        for row in db.execute(
            "SELECT nct_id, type, title, time_frame, unit, param_type, groups, denoms, measurements "
            "FROM trial_results ORDER BY nct_id, position"
        ):
            nct, rtype, title, time_frame, unit, param_type, groups, denoms, measurements = row
            results.setdefault(nct, []).append({
                "type": rtype, "title": title, "time_frame": time_frame, "unit": unit, "param_type": param_type,
                "groups": json.loads(groups or "[]"), "denoms": json.loads(denoms or "{}"),
                "measurements": json.loads(measurements or "[]"),
            })
        for i in range(0, len(ncts), 500):
            chunk = ncts[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for nct, title, summary, start, phases, status, enrollment, has_results in db.execute(
                f"SELECT nct_id, brief_title, brief_summary, start_date, phases, overall_status, enrollment_count, "
                f"has_results FROM trials WHERE nct_id IN ({marks})", chunk,
            ):
                phase_list = json.loads(phases or "[]")
                out.append(EvidenceRecord(
                    source="ctgov", id=nct, title=title or "", abstract=summary or "",
                    year=int(start[:4]) if start else None,
                    tags={a: tuple(v) for a, v in tags[("ctgov", nct)].items()}, indexed=True,
                    phase="/".join(phase_list) or None, status=status, enrollment=enrollment,
                    has_results=bool(has_results), results=tuple(results.get(nct, [])),
                    linked_ids=tuple(sorted(set(links.get(nct, [])))),
                ))
        return out

    def findings_cache(self) -> dict[str, Findings]:
        """Findings extracted at tagging time for the current content, keyed ``source:id`` as
        :func:`ketlit.claims.verdict.assess` expects (records without them are read on demand)."""
        return LazyFindings(self.store.load_findings(self.rules.digest))

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
            chosen = [
                r for r in pool
                if any(self.rules.adverse[t].any(f"{r.title} {r.abstract}") for t in topics)
            ]
        else:
            chosen = list(pool)
        return sorted(chosen, key=lambda r: sort_key(r, self.rules))
