"""Tagging runs over the cache: load records → tag (pure, :mod:`ketlit.tagging`) → store.

Tags are derived data, re-computable offline at any time. Each record remembers the digest
of the rules and of its own content it was tagged from (``tag_state``), so the tagging that
follows every fetch touches only new or changed records, while ``ketlit tag`` after a rule
change re-tags the whole cache.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ketlit.claims.numbers import abstract_findings, findings_to_json
from ketlit.claims.rules import Rules as ClaimRules
from ketlit.claims.rules import load_rules as load_claim_rules
from ketlit.config import Settings
from ketlit.errors import ConfigError, InputError
from ketlit.store import Store
from ketlit.store_tags import TagRow
from ketlit.tagging import Analysis, Tag, Tagger, doc_from_article, doc_from_study, load_rules

# Designs whose figures are pooled summaries: reported, never re-pooled (see ketlit.claims.verdict).
SUMMARY_DESIGNS = frozenset({"meta_analysis", "systematic_review"})


@dataclass(frozen=True)
class TagReport:
    records: int
    seconds: float
    rules_sha256: str


def claim_rules_digest() -> str:
    """Digest of the claim rules that number extraction uses."""
    return hashlib.sha256(resources.files("ketlit.data").joinpath("claim_rules.toml").read_bytes()).hexdigest()


def rules_digest(user_file: Path | None) -> str:
    """Digest of the packaged rules plus the user's file: a change in either re-tags."""
    digest = hashlib.sha256(resources.files("ketlit.data").joinpath("tagging_rules.toml").read_bytes())
    if user_file is not None:
        try:
            digest.update(user_file.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read tagging rules {user_file}: {exc.strerror}") from None
    return digest.hexdigest()


class TagRunner:
    """A tagger bound to the configured rules."""

    def __init__(self, settings: Settings) -> None:
        self.rules_sha = rules_digest(settings.tagging_rules)
        self.tagger = Tagger(load_rules(settings.tagging_rules))
        self._claim_rules: ClaimRules | None = None

    @property
    def claim_rules(self) -> ClaimRules:
        if self._claim_rules is None:
            self._claim_rules = load_claim_rules()
        return self._claim_rules

    def _rows(self, source: str, record_id: str, tags: Sequence[Tag]) -> list[TagRow]:
        return [
            (source, record_id, t.axis, t.value, round(t.score, 4),
             [(e.rule_id, e.field, e.span, e.start, e.end, round(e.weight, 4), e.note) for e in t.evidence])
            for t in tags
        ]

    def tag_records(self, store: Store, ids: Sequence[tuple[str, str]]) -> int:
        """Tag the given (source, id) records and store the result; returns how many."""
        done = 0
        pmids = [i for s, i in ids if s == "pubmed"]
        ncts = [i for s, i in ids if s == "ctgov"]
        claim_sha = claim_rules_digest()
        for start in range(0, len(pmids), 1000):
            batch = []
            findings = []
            for article in store.load_articles(pmids[start : start + 1000]):
                tags = self.tagger.tag(doc_from_article(article))
                content = store.content_sha("pubmed", article.pmid) or ""
                batch.append(("pubmed", article.pmid, self.rules_sha, content,
                              self._rows("pubmed", article.pmid, tags)))
                # Numbers are read once per record version, here, so checks and reports only look them up.
                summary = any(t.axis == "design" and t.value in SUMMARY_DESIGNS for t in tags)
                found = abstract_findings(article.title, article.abstract, self.claim_rules, summary=summary)
                findings.append(("pubmed", article.pmid, claim_sha, content, findings_to_json(found)))
            done += store.replace_tags(batch)
            store.save_findings(findings)
        for start in range(0, len(ncts), 200):
            batch = []
            for study in store.load_studies(ncts[start : start + 200]):
                tags = self.tagger.tag(doc_from_study(study))
                batch.append(("ctgov", study.nct_id, self.rules_sha, store.content_sha("ctgov", study.nct_id) or "",
                              self._rows("ctgov", study.nct_id, tags)))
            done += store.replace_tags(batch)
        return done

    def tag_pending(self, store: Store) -> TagReport:
        """Tag what is new, changed, or was tagged with other rules."""
        clock = time.monotonic()
        count = self.tag_records(store, store.untagged(self.rules_sha))
        return TagReport(count, time.monotonic() - clock, self.rules_sha)

    def tag_all(self, store: Store) -> TagReport:
        """Re-tag every record in the cache (after a rule change)."""
        clock = time.monotonic()
        count = self.tag_records(store, store.all_record_ids())
        return TagReport(count, time.monotonic() - clock, self.rules_sha)

    def explain(self, store: Store, record_id: str) -> tuple[str, str, Analysis, list[dict[str, Any]]]:
        """(source, id, fresh analysis with rejected candidates, stored tag rows) for a PMID or NCT ID."""
        rid = record_id.strip().upper() if record_id.strip().upper().startswith("NCT") else record_id.strip()
        if rid.startswith("NCT"):
            studies = store.load_studies([rid])
            if not studies:
                raise InputError(f"{rid} is not in the cache")
            return "ctgov", rid, self.tagger.analyse(doc_from_study(studies[0])), store.tags_for("ctgov", rid)
        if not rid.isdigit():
            raise InputError(f"not a PMID or NCT ID: {record_id!r}")
        articles = store.load_articles([rid])
        if not articles:
            raise InputError(f"PMID {rid} is not in the cache")
        return "pubmed", rid, self.tagger.analyse(doc_from_article(articles[0])), store.tags_for("pubmed", rid)
