"""ClinicalTrials.gov trials: rows, child rows, versions and their diffs.

Design decisions:
- A trial row is replaced wholesale when its parsed content changes; child rows (arms,
  interventions, outcomes, results, references, adverse-event groups) are replaced with it.
- **Version history**: the API returns only the latest version of a study, so every distinct
  version we see is kept in ``trial_versions``, keyed by the registry's last-update date, with
  its raw JSON (compressed) and the fields whose changes people ask about (status, enrollment,
  results). :meth:`trial_changes` diffs consecutive versions.
- Links from CT.gov references (PMIDs) go into the shared ``links`` table with origin
  ``ctgov_reference``, beside the links found on the PubMed side.
- **One list of tracked fields.** :data:`VERSION_FIELDS` is what a version records and what
  ``trial_changes``, ``ketlit history`` and the reports diff; :data:`REPORTED_TRIAL_FIELDS`
  is the part of it a report's "Changes since last run" follows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ketlit.sources.models import RegistryDate, Study
from ketlit.store.common import CHUNK, chunks, marks
from ketlit.store.common import to_json as _json

if TYPE_CHECKING:
    import sqlite_utils

    from ketlit.store.articles import RawPages


def _date(d: RegistryDate | None) -> tuple[str | None, str | None, str | None]:
    return (d.date, d.precision, d.type) if d is not None else (None, None, None)


def canonical_json(obj: dict[str, Any]) -> bytes:
    """Stable serialisation of a study object (sorted keys), for hashing and storage."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# The ``trials`` columns an exported record starts with, then what iter_trials adds: together the
# keys of every record, in order (a CSV header even with no record). Likewise for iter_links.
_EXPORTED_TRIAL_COLUMNS = (
    "nct_id", "brief_title", "acronym", "overall_status", "why_stopped", "phases", "study_type", "allocation",
    "masking", "enrollment_count", "enrollment_type", "start_date", "primary_completion_date", "completion_date",
    "first_posted", "results_first_posted", "last_update_posted", "conditions", "lead_sponsor", "countries",
    "has_results",
)
TRIAL_EXPORT_FIELDS = (*_EXPORTED_TRIAL_COLUMNS, "interventions", "outcomes", "result_outcome_measures",
                       "linked_pmids")
LINK_EXPORT_FIELDS = ("pmid", "nct_id", "origin", "detail", "article_cached", "trial_cached")

TRIAL_COLUMNS = (
    "nct_id", "brief_title", "official_title", "acronym", "overall_status", "why_stopped", "phases", "study_type",
    "allocation", "masking", "intervention_model", "primary_purpose", "enrollment_count", "enrollment_type",
    "start_date", "start_date_precision", "start_date_type", "primary_completion_date",
    "primary_completion_precision", "primary_completion_type", "completion_date", "completion_precision",
    "completion_type", "first_posted", "results_first_posted", "last_update_posted", "status_verified",
    "conditions", "keywords", "interventions_text", "lead_sponsor", "sponsor_class", "collaborators", "countries",
    "has_results", "brief_summary", "detailed_description", "minimum_age", "maximum_age", "sex",
    "healthy_volunteers", "std_ages", "condition_mesh", "intervention_mesh", "content_sha256",
)
_UPSERT_TRIAL = (
    f"INSERT INTO trials ({', '.join(TRIAL_COLUMNS)}, raw_page_id, first_seen_run, last_seen_run) "
    f"VALUES ({', '.join('?' for _ in TRIAL_COLUMNS)}, ?, ?, ?) ON CONFLICT(nct_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in TRIAL_COLUMNS[1:])
    + ", raw_page_id = excluded.raw_page_id, last_seen_run = excluded.last_seen_run"
)
TRIAL_CHILD_TABLES = (
    "trial_interventions", "trial_arms", "trial_outcomes", "trial_results", "trial_adverse_events",
    "trial_references",
)


def trial_row(s: Study, content_sha256: str) -> dict[str, Any]:
    """One :class:`Study` as a ``trials`` row."""
    start, primary, completion = _date(s.start), _date(s.primary_completion), _date(s.completion)
    names: list[str] = []
    for i in s.interventions:
        names.extend(x for x in (i.name, *i.other_names) if x)
    elig = s.eligibility
    row: dict[str, Any] = {
        "nct_id": s.nct_id, "brief_title": s.brief_title, "official_title": s.official_title,
        "acronym": s.acronym, "overall_status": s.overall_status, "why_stopped": s.why_stopped,
        "phases": _json(list(s.phases)), "study_type": s.study_type, "allocation": s.allocation,
        "masking": s.masking, "intervention_model": s.intervention_model, "primary_purpose": s.primary_purpose,
        "enrollment_count": s.enrollment_count, "enrollment_type": s.enrollment_type,
        "start_date": start[0], "start_date_precision": start[1], "start_date_type": start[2],
        "primary_completion_date": primary[0], "primary_completion_precision": primary[1],
        "primary_completion_type": primary[2], "completion_date": completion[0],
        "completion_precision": completion[1], "completion_type": completion[2],
        "first_posted": _date(s.first_posted)[0], "results_first_posted": _date(s.results_first_posted)[0],
        "last_update_posted": _date(s.last_update_posted)[0], "status_verified": _date(s.status_verified)[0],
        "conditions": _json(list(s.conditions)), "keywords": _json(list(s.keywords)),
        "interventions_text": "; ".join(names),
        "lead_sponsor": s.lead_sponsor.name if s.lead_sponsor else None,
        "sponsor_class": s.lead_sponsor.agency_class if s.lead_sponsor else None,
        "collaborators": _json([c.name for c in s.collaborators]), "countries": _json(list(s.countries)),
        "has_results": int(bool(s.has_results)), "brief_summary": s.brief_summary,
        "detailed_description": s.detailed_description,
        "minimum_age": elig.minimum_age if elig else None, "maximum_age": elig.maximum_age if elig else None,
        "sex": elig.sex if elig else None,
        "healthy_volunteers": None if elig is None or elig.healthy_volunteers is None else int(elig.healthy_volunteers),
        "std_ages": _json(list(elig.std_ages)) if elig else None,
        "condition_mesh": _json([[m.id, m.term] for m in s.condition_meshes]),
        "intervention_mesh": _json([[m.id, m.term] for m in s.intervention_meshes]),
        "content_sha256": content_sha256,
    }
    return row


def _asdict_list(items: Sequence[Any]) -> str:
    return _json([dataclasses.asdict(x) for x in items])


@dataclass(frozen=True)
class TrialChange:
    """What moved between two versions of a trial."""

    nct_id: str
    field: str
    before: Any
    after: Any

    def describe(self) -> str:
        if self.field == "new":
            return f"{self.nct_id}: new trial ({self.after})"
        if self.field == "has_results":
            return f"{self.nct_id}: results posted" if self.after else f"{self.nct_id}: results withdrawn"
        return f"{self.nct_id}: {self.field.replace('_', ' ')} {self.before} → {self.after}"


@dataclass
class TrialSaveResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    versions_added: int = 0


# The trial fields each stored version keeps, in the order ``trial_changes`` and
# ``ketlit history`` list their changes.
VERSION_FIELDS = ("overall_status", "enrollment_count", "enrollment_type", "has_results",
                  "primary_completion_date", "phases")
# The fields whose changes a report shows, in the order a saved report state holds them:
# states saved by earlier runs are compared with new ones, so this order must not change.
REPORTED_TRIAL_FIELDS = ("overall_status", "has_results", "enrollment_count")
_INSERT_VERSION = (
    "INSERT OR REPLACE INTO trial_versions (nct_id, last_update_posted, run_id, fetched_at, content_sha256, "
    f"{', '.join(VERSION_FIELDS)}, raw) VALUES ({', '.join('?' for _ in range(6 + len(VERSION_FIELDS)))})"
)


class TrialStore:
    """The ``trials`` table, its child tables and ``trial_versions``."""

    def __init__(self, db: sqlite_utils.Database, raw: RawPages) -> None:
        self.db = db
        self.raw = raw

    def _upsert_trials(
        self, studies: Sequence[tuple[Study, dict[str, Any]]], run_id: int | None, page_id: int | None,
        query_key: str | None, fetched_at: str,
    ) -> TrialSaveResult:
        result = TrialSaveResult()
        conn = self.db.conn
        for study, raw in studies:
            body = canonical_json(raw)
            digest = hashlib.sha256(body).hexdigest()
            nct = study.nct_id
            existing = conn.execute("SELECT content_sha256 FROM trials WHERE nct_id = ?", [nct]).fetchone()
            version_key = study.last_update_posted.date if study.last_update_posted else "unknown"
            version = conn.execute(
                "SELECT content_sha256 FROM trial_versions WHERE nct_id = ? AND last_update_posted = ?",
                [nct, version_key],
            ).fetchone()
            row = trial_row(study, digest)
            if version is None or version[0] != digest:
                conn.execute(
                    _INSERT_VERSION,
                    [nct, version_key, run_id, fetched_at, digest, *(row[f] for f in VERSION_FIELDS),
                     zlib.compress(body, 6)],
                )
                result.versions_added += 1
            if existing is not None and existing[0] == digest:
                result.unchanged += 1
                if run_id is not None:
                    conn.execute("UPDATE trials SET last_seen_run = ? WHERE nct_id = ?", [run_id, nct])
            else:
                if existing is None:
                    result.new += 1
                else:
                    result.updated += 1
                    for table in TRIAL_CHILD_TABLES:
                        conn.execute(f"DELETE FROM {table} WHERE nct_id = ?", [nct])
                    conn.execute("DELETE FROM links WHERE nct_id = ? AND origin = 'ctgov_reference'", [nct])
                conn.execute(_UPSERT_TRIAL, [row[c] for c in TRIAL_COLUMNS] + [page_id, run_id, run_id])
                self._insert_trial_children(study)
            if run_id is not None:
                conn.execute("INSERT OR IGNORE INTO run_records (run_id, source, record_id) VALUES (?, 'ctgov', ?)",
                             [run_id, nct])
                if query_key is not None:
                    conn.execute(
                        "INSERT INTO query_records (source, query_key, record_id, first_run, last_run) "
                        "VALUES ('ctgov', ?, ?, ?, ?) ON CONFLICT DO UPDATE SET last_run = excluded.last_run",
                        [query_key, nct, run_id, run_id],
                    )
        return result

    def _insert_trial_children(self, s: Study) -> None:
        conn = self.db.conn
        nct = s.nct_id
        conn.executemany(
            "INSERT INTO trial_interventions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(nct, i, x.type, x.name, x.description, _json(list(x.other_names)), _json(list(x.arm_group_labels)))
             for i, x in enumerate(s.interventions)],
        )
        conn.executemany(
            "INSERT INTO trial_arms VALUES (?, ?, ?, ?, ?, ?)",
            [(nct, i, a.label, a.type, a.description, _json(list(a.intervention_names)))
             for i, a in enumerate(s.arm_groups)],
        )
        outcomes = [("primary", o) for o in s.primary_outcomes] + [("secondary", o) for o in s.secondary_outcomes]
        outcomes += [("other", o) for o in s.other_outcomes]
        conn.executemany(
            "INSERT INTO trial_outcomes VALUES (?, ?, ?, ?, ?, ?)",
            [(nct, i, kind, o.measure, o.description, o.time_frame) for i, (kind, o) in enumerate(outcomes)],
        )
        if s.results is not None:
            conn.executemany(
                "INSERT INTO trial_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(nct, i, m.type, m.title, m.description, m.population_description, m.time_frame, m.unit,
                  m.param_type, m.dispersion_type, m.reporting_status, _asdict_list(m.groups),
                  _json({"overall": [dataclasses.asdict(d) for d in m.denoms],
                         "classes": [dataclasses.asdict(d) for d in m.class_denoms]}),
                  _asdict_list(m.measurements), _asdict_list(m.analyses))
                 for i, m in enumerate(s.results.outcome_measures)],
            )
            ae = s.results.adverse_events
            if ae is not None:
                conn.executemany(
                    "INSERT OR REPLACE INTO trial_adverse_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(nct, g.id or str(i), g.title, g.description, g.serious_num_affected, g.serious_num_at_risk,
                      g.other_num_affected, g.other_num_at_risk, g.deaths_num_affected, g.deaths_num_at_risk)
                     for i, g in enumerate(ae.groups)],
                )
        conn.executemany(
            "INSERT INTO trial_references VALUES (?, ?, ?, ?, ?)",
            [(nct, i, r.pmid, r.type, r.citation) for i, r in enumerate(s.references)],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO links (pmid, nct_id, origin, detail) VALUES (?, ?, 'ctgov_reference', ?)",
            [(r.pmid, nct, r.type) for r in s.references if r.pmid],
        )

    # -- reading ------------------------------------------------------------------------
    def trial_changes(self, nct_ids: Sequence[str] | None = None, run_id: int | None = None) -> list[TrialChange]:
        """Differences between each trial's newest version and the one before it.

        With ``run_id``, only versions first seen in that run are compared.
        """
        where, params = "", []
        if run_id is not None:
            where, params = " WHERE run_id = ?", [run_id]
        touched = [r[0] for r in self.db.execute(f"SELECT DISTINCT nct_id FROM trial_versions{where}", params)]
        if nct_ids is not None:
            touched = [n for n in touched if n in set(nct_ids)]
        changes: list[TrialChange] = []
        for nct in sorted(touched):
            versions = self.db.execute(
                f"SELECT last_update_posted, {', '.join(VERSION_FIELDS)}, run_id FROM trial_versions "
                "WHERE nct_id = ? ORDER BY last_update_posted DESC, fetched_at DESC LIMIT 2", [nct],
            ).fetchall()
            if run_id is not None and versions[0][-1] != run_id:
                continue
            if len(versions) == 1:
                changes.append(TrialChange(nct, "new", None, versions[0][1]))
                continue
            newest, previous = versions
            for i, name in enumerate(VERSION_FIELDS, start=1):
                if newest[i] != previous[i]:
                    before, after = previous[i], newest[i]
                    if name == "has_results":
                        before, after = bool(before), bool(after)
                    changes.append(TrialChange(nct, name, before, after))
        return changes

    def trial_history(self, nct_id: str) -> list[dict[str, Any]]:
        """Every stored version of a trial, oldest first."""
        rows = self.db.execute(
            f"SELECT last_update_posted, fetched_at, run_id, {', '.join(VERSION_FIELDS)} FROM trial_versions "
            "WHERE nct_id = ? ORDER BY last_update_posted, fetched_at", [nct_id],
        ).fetchall()
        keys = ("last_update_posted", "fetched_at", "run_id", *VERSION_FIELDS)
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for version in out:
            version["has_results"] = bool(version["has_results"])
            version["phases"] = json.loads(version["phases"] or "[]")
        return out

    def iter_trials(self, nct_ids: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every cached trial (or those of ``nct_ids``) with interventions, arms, outcomes and linked
        PMIDs, in NCT ID order. Streamed: trials are read in batches and each batch's child rows
        looked up by key, so an export never holds the cache in memory."""
        cols = list(_EXPORTED_TRIAL_COLUMNS)
        select = f"SELECT {', '.join(cols)} FROM trials"
        if nct_ids is None:
            cursor = self.db.execute(f"{select} ORDER BY nct_id")
            batches: Iterator[list[Any]] = iter(lambda: cursor.fetchmany(CHUNK), [])
        else:
            wanted = sorted(set(nct_ids))
            batches = (self.db.execute(f"{select} WHERE nct_id IN ({marks(c)}) ORDER BY nct_id", c).fetchall()
                       for c in chunks(wanted))
        for rows in batches:
            ids = [r[0] for r in rows]
            m = marks(ids)
            links: dict[str, list[str]] = {}
            for nct, pmid in self.db.execute(
                f"SELECT DISTINCT nct_id, pmid FROM links WHERE nct_id IN ({m}) ORDER BY nct_id, pmid", ids
            ):
                links.setdefault(nct, []).append(pmid)
            children: dict[str, dict[str, list[Any]]] = {}
            for nct, t, n in self.db.execute(
                f"SELECT nct_id, type, name FROM trial_interventions WHERE nct_id IN ({m}) ORDER BY nct_id, position",
                ids,
            ):
                children.setdefault(nct, {}).setdefault("interventions", []).append({"type": t, "name": n})
            for nct, kind, measure, tf in self.db.execute(
                f"SELECT nct_id, kind, measure, time_frame FROM trial_outcomes WHERE nct_id IN ({m}) "
                "ORDER BY nct_id, position", ids,
            ):
                children.setdefault(nct, {}).setdefault("outcomes", []).append(
                    {"kind": kind, "measure": measure, "time_frame": tf})
            counts = dict(self.db.execute(
                f"SELECT nct_id, count(*) FROM trial_results WHERE nct_id IN ({m}) GROUP BY nct_id", ids
            ).fetchall())
            for row in rows:
                record = dict(zip(cols, row, strict=True))
                for key in ("phases", "conditions", "countries"):
                    record[key] = json.loads(record[key] or "[]")
                record["has_results"] = bool(record["has_results"])
                kids = children.get(record["nct_id"], {})
                record["interventions"] = kids.get("interventions", [])
                record["outcomes"] = kids.get("outcomes", [])
                record["result_outcome_measures"] = counts.get(record["nct_id"], 0)
                record["linked_pmids"] = links.get(record["nct_id"], [])
                yield record

    def iter_links(self) -> Iterator[dict[str, Any]]:
        """Every PMID ↔ NCT link, with whether each side is in the cache."""
        rows = self.db.execute(
            "SELECT l.pmid, l.nct_id, l.origin, l.detail, a.pmid IS NOT NULL, t.nct_id IS NOT NULL "
            "FROM links l LEFT JOIN articles a ON a.pmid = l.pmid LEFT JOIN trials t ON t.nct_id = l.nct_id "
            "ORDER BY l.nct_id, CAST(l.pmid AS INTEGER), l.origin"
        )
        for pmid, nct, origin, detail, has_article, has_trial in rows:
            values = (pmid, nct, origin, detail, bool(has_article), bool(has_trial))
            yield dict(zip(LINK_EXPORT_FIELDS, values, strict=True))

    def save_trial_page(
        self,
        *,
        run_id: int | None,
        endpoint: str,
        request: dict[str, str],
        body: bytes,
        studies: Sequence[tuple[Study, dict[str, Any]]],
        query_key: str | None,
        fetched_at: str,
    ) -> TrialSaveResult:
        """Store one raw CT.gov page and its parsed studies in one transaction."""
        with self.db.atomic():
            page_id = self.raw.insert_body(run_id, "ctgov", endpoint, request, "application/json", body)
            return self._upsert_trials(studies, run_id, page_id, query_key, fetched_at)

    def trials_content_hash(self) -> str:
        """Hash of all trial content (no run ids or timestamps)."""
        digest = hashlib.sha256()
        for nct, sha in self.db.execute("SELECT nct_id, content_sha256 FROM trials ORDER BY nct_id"):
            digest.update(f"{nct}:{sha}\n".encode())
        for nct, lu, sha in self.db.execute(
            "SELECT nct_id, last_update_posted, content_sha256 FROM trial_versions ORDER BY nct_id, last_update_posted"
        ):
            digest.update(f"v {nct}:{lu}:{sha}\n".encode())
        return digest.hexdigest()
