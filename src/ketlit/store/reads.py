"""The reads reports and claim checks make: plain rows and dicts, no report or claim types.

Reports (:mod:`ketlit.report.gather`) and the claim checker's evidence index
(:mod:`ketlit.store.evidence`) used to run this SQL themselves; here each read has a name and
a type. Every read that returns rows in a list has an ``ORDER BY`` on the natural key (PMID, NCT
ID): the order rows were inserted in depends on which query's fetch stored a record first, so
nothing read here may follow it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ketlit.store.common import chunks, marks

if TYPE_CHECKING:
    import sqlite_utils


class EvidenceArticle(NamedTuple):
    """The article fields a claim check reads."""

    pmid: str
    title: str | None
    abstract: str | None
    year: int | None
    indexed: int


class EvidenceTrial(NamedTuple):
    """The trial fields a claim check reads (``phases`` as stored: a JSON list)."""

    nct_id: str
    title: str | None
    summary: str | None
    start_date: str | None
    phases: str | None
    status: str | None
    enrollment: int | None
    has_results: int


class TrialReportFields(NamedTuple):
    """Trial fields a report shows that the export does not carry."""

    primary_completion_date: str | None
    results_first_posted: str | None
    enrollment_type: str | None


class ReportReads:
    """Read-only queries across tables for reports and claim checks."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # -- reports -----------------------------------------------------------------------------
    def retracted(self, pmids: Sequence[str]) -> set[str]:
        """Those of ``pmids`` that are retracted (a RetractionIn notice or the publication type)."""
        out: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(pmids))):
            m = marks(chunk)
            out.update(r[0] for r in self.db.execute(
                f"SELECT pmid FROM article_corrections WHERE ref_type = 'RetractionIn' AND pmid IN ({m}) "
                f"UNION SELECT pmid FROM article_pubtypes WHERE name = 'Retracted Publication' AND pmid IN ({m})",
                [*chunk, *chunk]))
        return out

    def article_summaries(self, pmids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{pmid: {title, abstract, year, journal, indexed}}`` for the cached ones of ``pmids``."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(pmids):
            for pmid, title, abstract, year, journal, indexed in self.db.execute(
                f"SELECT pmid, title, abstract, pub_year, journal, indexed FROM articles "
                f"WHERE pmid IN ({marks(chunk)}) ORDER BY pmid", chunk,
            ):
                out[pmid] = {"title": title, "abstract": abstract, "year": year, "journal": journal,
                             "indexed": bool(indexed)}
        return out

    def publication_links(self, ids: Sequence[str] | None = None) -> dict[str, set[str]]:
        """PMID ↔ NCT ID links, both ways, that make the article a publication of the trial
        (BACKGROUND references on CT.gov are not): every one, or (``ids``, PMIDs and NCT IDs)
        those of these records, by index."""
        publication = "(origin != 'ctgov_reference' OR detail IS NULL OR detail != 'BACKGROUND')"
        out: dict[str, set[str]] = {}
        if ids is None:
            rows: list[Any] = self.db.execute(f"SELECT DISTINCT pmid, nct_id FROM links WHERE {publication}").fetchall()
        else:
            rows = []
            for chunk in chunks(list(dict.fromkeys(ids))):
                m = marks(chunk)
                rows += self.db.execute(
                    f"SELECT pmid, nct_id FROM links WHERE {publication} AND pmid IN ({m}) UNION "
                    f"SELECT pmid, nct_id FROM links WHERE {publication} AND nct_id IN ({m})", [*chunk, *chunk]
                ).fetchall()
        for pmid, nct in rows:
            out.setdefault(pmid, set()).add(nct)
            out.setdefault(nct, set()).add(pmid)
        return out

    def trial_report_fields(self, nct_id: str) -> TrialReportFields | None:
        """The report-only fields of one cached trial."""
        row = self.db.execute(
            "SELECT primary_completion_date, results_first_posted, enrollment_type FROM trials WHERE nct_id = ?",
            [nct_id],
        ).fetchone()
        return TrialReportFields(*row) if row is not None else None

    # -- claim checks --------------------------------------------------------------------------
    def all_links(self) -> dict[str, list[str]]:
        """Every PMID ↔ NCT ID link, both ways (a record's linked IDs, in ID order)."""
        links: dict[str, list[str]] = {}
        for pmid, nct in self.db.execute("SELECT DISTINCT pmid, nct_id FROM links ORDER BY pmid, nct_id"):
            links.setdefault(pmid, []).append(nct)
            links.setdefault(nct, []).append(pmid)
        return links

    def links_of(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """:meth:`all_links` for the records ``ids`` only (PMIDs and NCT IDs), by index."""
        links: dict[str, set[str]] = {}
        for chunk in chunks(list(dict.fromkeys(ids))):
            m = marks(chunk)
            for pmid, nct in self.db.execute(
                f"SELECT pmid, nct_id FROM links WHERE pmid IN ({m}) UNION SELECT pmid, nct_id FROM links "
                f"WHERE nct_id IN ({m})", [*chunk, *chunk]
            ):
                links.setdefault(pmid, set()).add(nct)
                links.setdefault(nct, set()).add(pmid)
        wanted = set(ids)
        return {k: sorted(v) for k, v in links.items() if k in wanted}

    def evidence_articles(self, pmids: Sequence[str]) -> list[EvidenceArticle]:
        """The cached ones of ``pmids``, in PMID order within each chunk of ``pmids``."""
        out: list[EvidenceArticle] = []
        for chunk in chunks(pmids):
            out += [EvidenceArticle(*r) for r in self.db.execute(
                f"SELECT pmid, title, abstract, pub_year, indexed FROM articles WHERE pmid IN ({marks(chunk)}) "
                "ORDER BY pmid", chunk
            )]
        return out

    def evidence_trials(self, nct_ids: Sequence[str]) -> list[EvidenceTrial]:
        """The cached ones of ``nct_ids``, in NCT ID order within each chunk of ``nct_ids``."""
        out: list[EvidenceTrial] = []
        for chunk in chunks(nct_ids):
            out += [EvidenceTrial(*r) for r in self.db.execute(
                f"SELECT nct_id, brief_title, brief_summary, start_date, phases, overall_status, enrollment_count, "
                f"has_results FROM trials WHERE nct_id IN ({marks(chunk)}) ORDER BY nct_id", chunk,
            )]
        return out

    def trial_results(self, nct_ids: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Posted outcome-measure results per trial (of every trial, or of ``nct_ids``), in their
        registry order, JSON decoded."""
        sql = ("SELECT nct_id, type, title, time_frame, unit, param_type, groups, denoms, measurements "
               "FROM trial_results")
        if nct_ids is None:
            rows: list[Any] = self.db.execute(f"{sql} ORDER BY nct_id, position").fetchall()
        else:
            rows = []
            for chunk in chunks(sorted(set(nct_ids))):
                rows += self.db.execute(f"{sql} WHERE nct_id IN ({marks(chunk)}) ORDER BY nct_id, position",
                                        chunk).fetchall()
        results: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            nct, rtype, title, time_frame, unit, param_type, groups, denoms, measurements = row
            results.setdefault(nct, []).append({
                "type": rtype, "title": title, "time_frame": time_frame, "unit": unit, "param_type": param_type,
                "groups": json.loads(groups or "[]"), "denoms": json.loads(denoms or "{}"),
                "measurements": json.loads(measurements or "[]"),
            })
        return results
