"""Tagging runs over the cache: load records → tag (pure, :mod:`ketlit.tagging`) → store.

Tags are derived data, re-computable offline at any time. Each record remembers the digest
of the rules and of its own content it was tagged from (``tag_state``), so the tagging that
follows every fetch touches only new or changed records, while ``ketlit tag`` after a rule
change re-tags the whole cache.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ketlit.claims.numbers import abstract_findings, findings_to_json
from ketlit.claims.rules import Rules as ClaimRules
from ketlit.claims.rules import load_rules_for as load_claim_rules_for
from ketlit.config import Settings
from ketlit.errors import InputError
from ketlit.evidence.rules import EvidenceRules, LazyRules
from ketlit.ids import record_id as parse_record_id
from ketlit.jobs.evidence import read_candidate, read_pending
from ketlit.jobs.workers import can_fork, gc_paused, run_in_workers
from ketlit.sources.models import AbstractSection, Article
from ketlit.store.core import Store
from ketlit.store.profiles import ProfileRow
from ketlit.store.tags import TagRow
from ketlit.tagging import (
    Tag,
    TagAnalysis,
    Tagger,
    TaggingRules,
    doc_from_article,
    doc_from_study,
    load_rules,
    packaged_vocabularies,
    rules_digest,
    vocabularies,
)

Progress = Callable[[str, int | None, int], None]  # (event, total, advance), as in ketlit.jobs.ingest


def _silent(event: str, total: int | None, advance: int) -> None:
    pass


# Records per worker item, per database load, and the set size from which workers pay off.
TAG_CHUNK = 250
TAG_LOAD = 5000
PARALLEL_MIN_RECORDS = 2000
# Per record: (pmid, tag rows, claim-rules digest, findings JSON or None, study profile or None).
ArticleBatch = list[tuple[str, list[TagRow], str, str | None, dict[str, Any] | None]]

# The record :meth:`TagRunner.warm_up` reads to build the readers' lazy parts: (title, results).
_WARM_UP = (
    "Ketamine versus placebo for depression: a randomized controlled trial",
    "Ketamine reduced depression scores (p < 0.05) within 24 hours; 30% of patients had transient dissociation.",
)

# Designs whose figures are pooled summaries: reported, never re-pooled (see ketlit.claims.verdict).
SUMMARY_DESIGNS = frozenset({"meta_analysis", "systematic_review"})


@dataclass(frozen=True)
class TagReport:
    """What a tagging run did: how many records, how long, with which rules."""

    records: int
    seconds: float
    rules_sha256: str


class TagRunner:
    """A tagger bound to the configured rules (and the claim rules that read numbers at tagging time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules_sha = rules_digest(settings.tagging_rules)
        if settings.tagging_rules is not None:
            # A user's rules file is validated now, so a malformed one fails before any work is
            # done; the packaged rules (known good) are compiled on first use (see ``rules``).
            _ = self.rules
        self._claim_rules: ClaimRules | None = None
        self._evidence_rules: LazyRules | None = None
        # Study profiles stored while tagging (read in the workers): trial groups must follow.
        self._profiled = 0

    @functools.cached_property
    def rules(self) -> TaggingRules:
        """The tagging rules, compiled on first use: compiling them costs about half a second,
        and a `check` or `report` on an up-to-date cache needs only their digest and slugs."""
        return load_rules(self.settings.tagging_rules)

    @functools.cached_property
    def tagger(self) -> Tagger:
        """The tagging engine, built on first use: building its term index costs about half a
        second, and a `check` or `report` on an up-to-date cache tags nothing."""
        return Tagger(self.rules)

    @property
    def vocabularies(self) -> dict[str, tuple[str, ...]]:
        """The slugs of the configured tagging rules: what query files and claim rules may name."""
        if self.settings.tagging_rules is None and "rules" not in self.__dict__:
            return packaged_vocabularies()  # read from the file, without compiling its patterns
        return vocabularies(self.rules)

    @property
    def claim_rules(self) -> ClaimRules:
        """The configured claim rules and regulatory facts, checked against this tagger's slugs.

        Which files and how they are read is the claims side's business (``load_rules_for``); they
        are asked for on first use, so tagging that reads no numbers never reads them."""
        if self._claim_rules is None:
            self._claim_rules = load_claim_rules_for(self.settings, vocabularies=self.vocabularies)
        return self._claim_rules

    def _rows(self, source: str, record_id: str, tags: Sequence[Tag]) -> list[TagRow]:
        return [
            (source, record_id, t.axis, t.value, round(t.score, 4),
             [(e.rule_id, e.field, e.span, e.start, e.end, round(e.weight, 4), e.note) for e in t.evidence])
            for t in tags
        ]

    @property
    def drug_molecules(self) -> frozenset[str]:
        """The molecules a claim can be about: records tagged with one are the claim checker's pool."""
        return frozenset({*self.claim_rules.molecules, self.claim_rules.molecule_default})

    def tag_articles(self, articles: Sequence[Article], part: int = 0, parts: int = 1) -> Iterator[ArticleBatch]:
        """Tags for every ``parts``-th chunk of ``articles``, and for the records that can be evidence
        for the configured drug their numbers and study profile (pure: no database).

        The producer of :func:`ketlit.jobs.workers.run_in_workers`: tagging, number extraction and
        evidence reading are CPU-bound and independent per record, so on several cores workers run
        this while the main process only writes. What every record needs (tags: search filters,
        report counts) is done for every record; the rest only for the drug's records (issue 15):
        reading numbers costs five times a tagging, and a psilocybin record in a ketamine cache is
        never a candidate (a report of another drug's query reads its numbers on demand)."""
        claim_sha = self.claim_rules.digest
        drug, readable = self.drug_molecules, frozenset(self.evidence_rules.molecules)
        for index in range(0, len(articles), TAG_CHUNK):
            if (index // TAG_CHUNK) % parts != part:
                continue
            batch: ArticleBatch = []
            for article in articles[index : index + TAG_CHUNK]:
                tags = self.tagger.tag(doc_from_article(article))
                molecules = {t.value for t in tags if t.axis == "molecule"}
                found = None
                if molecules & drug:
                    # Read once per record version, here, so checks and reports only look them up.
                    summary = any(t.axis == "design" and t.value in SUMMARY_DESIGNS for t in tags)
                    found = findings_to_json(
                        abstract_findings(article.title, article.abstract, self.claim_rules, summary=summary))
                profile = read_candidate(article, tags, self.evidence_rules) if molecules & readable else None
                batch.append((article.pmid, self._rows("pubmed", article.pmid, tags), claim_sha, found, profile))
            yield batch

    def prepare(self) -> None:
        """Compile everything tagging needs, once, before worker processes fork (each would
        otherwise compile its own, and the lazy parts would be built per worker)."""
        _ = self.claim_rules, self.tagger, self.evidence_rules

    def warm_up(self) -> None:
        """Before worker processes fork: build what the readers build on first use (the number
        reader's pattern lists, the matchers' automata: ~0.15 s of CPU) by reading one made-up
        record, once here instead of once in every worker. Outputs do not depend on it: those
        parts are caches. Not for inline runs, where the first record builds them anyway and a
        run with no candidate record would pay for nothing."""
        self.prepare()
        article = Article("0", title=_WARM_UP[0], sections=[AbstractSection("RESULTS", "RESULTS", _WARM_UP[1])])
        tags = self.tagger.tag(doc_from_article(article))
        abstract_findings(article.title, article.abstract, self.claim_rules)
        read_candidate(article, tags, self.evidence_rules)

    def store_batch(self, store: Store, batch: ArticleBatch, contents: Mapping[str, str]) -> int:
        """Write one batch of :meth:`tag_articles` output (tags, numbers, study profiles) against the
        records' content digests; returns how many records were tagged. The one writer for
        ``tag`` / ``import`` and for tagging during a fetch, so both store exactly the same."""
        done = store.replace_tags(
            [("pubmed", pmid, self.rules_sha, contents.get(pmid, ""), rows) for pmid, rows, *_ in batch]
        )
        store.save_findings([("pubmed", pmid, sha, contents.get(pmid, ""), data)
                             for pmid, _, sha, data, _ in batch if data is not None])
        evidence_sha = self._lazy_evidence_rules.digest
        self._profiled += store.profiles.save_profiles(
            [ProfileRow(pmid, evidence_sha, contents.get(pmid, ""), profile)
             for pmid, *_, profile in batch if profile is not None])
        return done

    def tag_records(self, store: Store, ids: Sequence[tuple[str, str]], workers: int | None = None,
                    progress: Progress | None = None) -> int:
        """Tag the given (source, id) records and store the result; returns how many.

        Large sets are tagged in worker processes (one per core, at most 4); small ones inline,
        where a fork would cost more than it saves. ``progress`` hears the total, then each
        stored batch (``(event, total, advance)``, as in :mod:`ketlit.jobs.ingest`)."""
        done = 0
        pmids = [i for s, i in ids if s == "pubmed"]
        ncts = [i for s, i in ids if s == "ctgov"]
        report = progress or _silent
        report("total", len(pmids) + len(ncts), 0)
        if workers is None:
            workers = min(4, os.cpu_count() or 1) if len(pmids) >= PARALLEL_MIN_RECORDS else 0
        if pmids:
            self.prepare()
            if workers > 1 and can_fork():
                self.warm_up()
        with gc_paused():  # the records loaded and the tags coming back are acyclic (see gc_paused)
            for start in range(0, len(pmids), TAG_LOAD):
                articles = store.load_articles(pmids[start : start + TAG_LOAD])
                contents = store.content_shas("pubmed", [a.pmid for a in articles])
                for batch in run_in_workers(self.tag_articles, articles, workers=workers if workers > 1 else 0):
                    done += self.store_batch(store, batch, contents)
                    report("advance", None, len(batch))
        for start in range(0, len(ncts), 200):
            tag_batch = []
            for study in store.load_studies(ncts[start : start + 200]):
                tags = self.tagger.tag(doc_from_study(study))
                tag_batch.append((
                    "ctgov", study.nct_id, self.rules_sha, store.content_sha("ctgov", study.nct_id) or "",
                    self._rows("ctgov", study.nct_id, tags),
                ))
            done += store.replace_tags(tag_batch)
            report("advance", None, len(tag_batch))
        return done

    @property
    def _lazy_evidence_rules(self) -> LazyRules:
        if self._evidence_rules is None:
            # With the packaged tagging rules this compiles to the process-wide copy the claim
            # checker's readers use too (compiling them costs about a second).
            tagging = None if self.settings.tagging_rules is None else self.rules
            self._evidence_rules = LazyRules(None, tagging)
        return self._evidence_rules

    @property
    def evidence_rules(self) -> EvidenceRules:
        """The evidence reader's rules, naming drugs with this tagger's molecule patterns."""
        return self._lazy_evidence_rules.compiled

    def tag_pending(self, store: Store, progress: Progress | None = None) -> TagReport:
        """Tag what is new, changed, or was tagged with other rules (tagging rules, or claim rules for
        the numbers read at tagging time); then read stale study profiles."""
        clock = time.monotonic()
        pending = dict.fromkeys(store.untagged(self.rules_sha))
        pending.update(dict.fromkeys(store.stale_findings(self.claim_rules.digest, sorted(self.drug_molecules))))
        count = self.tag_records(store, list(pending), progress=progress)
        self._read_rest(store)
        return TagReport(count, time.monotonic() - clock, self.rules_sha)

    def _read_rest(self, store: Store) -> None:
        """Profiles tagging did not read (the evidence rules changed, or a record became a
        candidate some other way), non-candidates' profiles dropped, trial groups redone."""
        # Lazily: with no stale profile (the usual case before a check or report) nothing compiles.
        read_pending(store, self._lazy_evidence_rules, regroup=self._profiled > 0)
        self._profiled = 0

    def tag_all(self, store: Store, progress: Progress | None = None) -> TagReport:
        """Re-tag every record in the cache (after a rule change) and re-read every study profile."""
        clock = time.monotonic()
        # Every PubMed record's profile is read again while it is tagged (in the workers).
        count = self.tag_records(store, store.all_record_ids(), progress=progress)
        self._read_rest(store)
        return TagReport(count, time.monotonic() - clock, self.rules_sha)

    def explain(self, store: Store, record_id: str) -> tuple[str, str, TagAnalysis, list[dict[str, Any]]]:
        """(source, id, fresh analysis with rejected candidates, stored tag rows) for a PMID or NCT ID."""
        # The labels a check prints ("PMID 29202655", "pubmed:…", a record's address) are accepted as
        # they are: an editor pastes them from a card.
        parsed = parse_record_id(record_id)
        if parsed is None:
            raise InputError(f"not a PMID or NCT ID: {record_id!r}")
        source, rid = parsed
        if source == "ctgov":
            studies = store.load_studies([rid])
            if not studies:
                raise InputError(f"{rid} is not in the cache")
            return "ctgov", rid, self.tagger.analyse(doc_from_study(studies[0])), store.tags_for("ctgov", rid)
        articles = store.load_articles([rid])
        if not articles:
            raise InputError(f"PMID {rid} is not in the cache")
        return "pubmed", rid, self.tagger.analyse(doc_from_article(articles[0])), store.tags_for("pubmed", rid)
