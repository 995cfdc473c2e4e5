"""Read-only looks at the cache: `ketlit status`, `history`, `search` and `explain`.

Each function gathers what its command shows, as plain data, and leaves the terminal to the
CLI: the CLI renders tables and lines from these values, and ``--json`` prints the payloads
built here. Nothing here writes to the cache, except that ``explain`` re-analyses a record
with the current rules (in memory) to show why each tag is there.

These modules import no statistics or plotting library (a test holds that line), so the
commands that only read the cache start quickly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketlit.errors import ConfigError, InputError
from ketlit.ids import NCT_ID
from ketlit.store import VERSION_FIELDS, RunSummary, Store

if TYPE_CHECKING:
    from ketlit.tagging import TagAnalysis, TagEvidence


@dataclass(frozen=True)
class CacheStatus:
    """What `ketlit status` shows: record counts, a content hash and the recent runs."""

    db: Path
    counts: dict[str, int | None]  # None: not known (untagged_records, when the tagging rules cannot be read)
    content_hash: str | None  # None when not asked for (it reads every article's digest)
    runs: list[RunSummary]
    warnings: list[str] = field(default_factory=list)  # what status could not look at, one line each

    def payload(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "db": str(self.db),
            "counts": self.counts,
            "content_hash": self.content_hash,
            "runs": [r.__dict__ for r in self.runs],
            "warnings": self.warnings,
        }


def cache_status(store: Store, db: Path, runs: int, *, with_hash: bool = True,
                 tagging_rules: Path | None = None) -> CacheStatus:
    """Counts, content hash (``with_hash``) and the ``runs`` most recent runs of the cache at ``db``.

    The counts come from indexes; the hash reads every article's digest (0.15 s at 150,000
    records), so the table ``ketlit status`` prints, which does not show it, does not compute it.
    Records tagged with other rules than the packaged ones plus ``tagging_rules`` count as untagged.

    A ``tagging_rules`` file that cannot be read leaves that count unknown (None) and says so in
    ``warnings``: status is where one looks when something is wrong, so it shows the rest."""
    from ketlit.tagging.rules import rules_digest  # hashes the rule files; compiles nothing

    warnings = []
    try:
        rules_sha: str | None = rules_digest(tagging_rules)
    except ConfigError as exc:
        rules_sha = None
        warnings.append(f"the tagging rules file cannot be used ({exc}), so the untagged count is unknown")
    counts: dict[str, int | None] = dict(store.counts(rules_sha))
    if rules_sha is None:
        counts["untagged_records"] = None
    recent = store.recent_runs(runs)
    return CacheStatus(db=db, counts=counts, content_hash=store.content_hash() if with_hash else None, runs=recent,
                       warnings=warnings)


@dataclass(frozen=True)
class TrialHistory:
    """Every stored version of a trial, oldest first, and what moved at each version."""

    nct_id: str
    versions: list[dict[str, Any]]
    # changes[i]: "field before → after" for each field that differs from version i-1 (empty for the first)
    changes: list[list[str]]


def trial_history(store: Store, nct_id: str) -> TrialHistory:
    """The stored versions of ``nct_id`` (any case) and their changes; InputError if it is not cached."""
    nct = nct_id.strip().upper()
    versions = store.trial_history(nct)  # first: text that is not UTF-8 gets the store's own error
    if not versions and not NCT_ID.match(nct):
        raise InputError(f"not an NCT ID (NCT and 8 digits, e.g. NCT01234567): {nct_id.strip()!r}")
    if not versions:
        raise InputError(f"{nct} is not in the cache")
    return TrialHistory(nct_id=nct, versions=versions, changes=version_changes(versions))


def version_changes(versions: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """For each version, the versioned fields that moved since the one before it, as ``field a → b``."""
    changes: list[list[str]] = []
    previous: Mapping[str, Any] | None = None
    for version in versions:
        moved = []
        if previous is not None:
            for key in VERSION_FIELDS:
                if version[key] != previous[key]:
                    moved.append(f"{key} {previous[key]} → {version[key]}")
        changes.append(moved)
        previous = version
    return changes


def search_cache(
    store: Store, text: str, *, limit: int, tags: Mapping[str, Sequence[str] | None],
    vocabularies: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """Full-text hits for ``text``, keeping only records tagged with every given axis value.

    With ``vocabularies`` (the tagging rules' slugs per axis), a value no rule can give is
    refused with the valid ones listed, instead of silently matching nothing."""
    filters = {axis: [v.strip().lower() for v in values or []] for axis, values in tags.items()}
    if vocabularies is not None:
        check_tag_values(filters, vocabularies)
    return store.search(text, limit=limit, tags=filters)


def check_tag_values(filters: Mapping[str, Sequence[str]], vocabularies: Mapping[str, Sequence[str]]) -> None:
    """InputError naming the first value that is not a slug of its axis, and the valid slugs."""
    for axis, values in filters.items():
        valid = vocabularies.get(axis, ())
        for value in values:
            if value not in valid:
                raise InputError(f"--{axis} {value!r} is not a {axis} the tagging rules know; "
                                 f"valid values: {', '.join(sorted(valid))}")


def explain_payload(
    source: str, rid: str, analysis: TagAnalysis, stored: list[dict[str, Any]], *, rejected: bool
) -> dict[str, Any]:
    """The ``ketlit explain --json`` document: tags with evidence, optionally the rejected matches."""
    return {
        "source": source, "id": rid,
        "tags": [{"axis": t.axis, "value": t.value, "score": round(t.score, 3),
                  "evidence": [evidence_payload(e) for e in t.evidence]}
                 for t in analysis.tags],
        "rejected": [{"axis": c.axis, "value": c.value, "status": c.status, **evidence_payload(c.evidence)}
                     for c in analysis.candidates if c.status != "tagged"] if rejected else [],
        "stored": stored,
    }


def evidence_payload(e: TagEvidence) -> dict[str, Any]:
    """One piece of tag evidence as JSON: rule, field, span and its offsets, weight, note."""
    return {"rule_id": e.rule_id, "field": e.field, "span": e.span, "start": e.start, "end": e.end,
            "weight": round(e.weight, 3), "note": e.note}


def stored_tags_differ(analysis: TagAnalysis, stored: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the stored tags of a record differ from what the current rules give it."""
    stored_values = sorted({(r["axis"], r["value"]) for r in stored})
    fresh_values = sorted({(t.axis, t.value) for t in analysis.tags})
    return stored_values != fresh_values
