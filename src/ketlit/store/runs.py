"""Runs, watermarks and which records each query (and run) retrieved.

A run is recorded as ``running`` before its first request; a run left ``running`` by a
process that no longer exists becomes ``interrupted`` when the next one starts. A query's
watermark moves only in the transaction that closes a complete run, so an interrupted run
leaves the next one to ask again for everything since the last complete run.
Every text a run record takes (its term, parameters and message, which can quote a service's
answer) passes :mod:`ketlit.redact` here, the last line of defence: whatever a caller forgot, no
API key or URL password reaches the table that ``status --json`` prints and reports list.
Queries are known by a short hash of what selects their records (:func:`query_key`,
:func:`ctgov_query_key`): the key of their watermark and of their record list.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from ketlit.redact import redact_obj, redact_text
from ketlit.store.common import check_limit, to_json, utcnow

if TYPE_CHECKING:
    import sqlite_utils

    from ketlit.queries import QueryFile


@dataclass(frozen=True)
class RunSummary:
    id: int
    source: str
    query_key: str
    term: str | None
    mode: str | None
    status: str
    started_at: str
    finished_at: str | None
    expected: int | None
    retrieved: int | None
    new_records: int | None
    updated_records: int | None
    missing_ids: list[str]
    requests: int | None
    retries: int | None
    duration_s: float | None
    message: str | None


class QueryRun(NamedTuple):
    """One run of a query, as a report lists it."""

    id: int
    source: str
    mode: str | None
    status: str
    started_at: str
    finished_at: str | None
    expected: int | None
    retrieved: int | None
    new_records: int | None
    updated_records: int | None
    message: str | None


def query_key(term: str, mindate: str | None, maxdate: str | None) -> str:
    """Identity of a query for its watermark: normalised term + publication-date bounds."""
    norm = " ".join(term.split())
    return hashlib.sha256(f"{norm}\x1f{mindate or ''}\x1f{maxdate or ''}".encode()).hexdigest()[:16]


def ctgov_query_key(term: str | None, cond: str | None, intr: str | None, statuses: list[str]) -> str:
    """Identity of a CT.gov query for its watermark: term, condition, intervention, statuses."""
    norm = "\x1f".join([" ".join((term or "").split()), cond or "", intr or "", ",".join(sorted(statuses))])
    return hashlib.sha256(norm.encode()).hexdigest()[:16]


def query_keys(query: QueryFile) -> dict[str, str]:
    """A query file's key per source it searches (the key of its watermark and record list)."""
    keys = {}
    if query.pubmed is not None:
        keys["pubmed"] = query_key(query.pubmed.term, query.pubmed.mindate, query.pubmed.maxdate)
    if query.ctgov is not None:
        c = query.ctgov
        keys["ctgov"] = ctgov_query_key(c.term, c.cond, c.intr, list(c.status))
    return keys


class RunStore:
    """The ``runs``, ``watermarks`` and ``query_records`` tables."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def start_run(
        self,
        source: str,
        query_key: str,
        term: str | None,
        params: dict[str, Any],
        mode: str,
        since: str | None,
    ) -> int:
        """Record a new run as ``running``; earlier runs of dead processes become ``interrupted``."""
        with self.db.atomic():
            for run_id, pid in self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall():
                if pid is None or not _pid_alive(int(pid)):
                    self.db.execute(
                        "UPDATE runs SET status = 'interrupted', message = 'process ended before the run "
                        "finished' WHERE id = ?",
                        [run_id],
                    )
            cursor = self.db.execute(
                "INSERT INTO runs (source, query_key, term, params, mode, since, started_at, status, pid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                [source, query_key, None if term is None else redact_text(term), to_json(redact_obj(params)), mode,
                 since, utcnow(), os.getpid()],
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        expected: int | None,
        retrieved: int,
        new_records: int,
        updated_records: int,
        missing_ids: Sequence[str],
        requests: int,
        retries: int,
        duration_s: float,
        windows: int | None = None,
        message: str | None = None,
        watermark: str | None = None,
    ) -> None:
        """Close a run; when ``watermark`` is given (complete runs only) move the query's watermark."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET status = ?, finished_at = ?, expected = ?, retrieved = ?, new_records = ?, "
                "updated_records = ?, missing_ids = ?, requests = ?, retries = ?, duration_s = ?, windows = ?, "
                "message = ? WHERE id = ?",
                [
                    status,
                    utcnow(),
                    expected,
                    retrieved,
                    new_records,
                    updated_records,
                    to_json(list(missing_ids)),
                    requests,
                    retries,
                    round(duration_s, 3),
                    windows,
                    None if message is None else redact_text(message),
                    run_id,
                ],
            )
            if watermark is not None:
                source, query_key, term = self.db.execute(
                    "SELECT source, query_key, term FROM runs WHERE id = ?", [run_id]
                ).fetchone()
                self.db.execute(
                    "INSERT INTO watermarks (source, query_key, term, watermark, run_id, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source, query_key) DO UPDATE SET "
                    "watermark = excluded.watermark, run_id = excluded.run_id, updated_at = excluded.updated_at, "
                    "term = excluded.term",
                    [source, query_key, term, watermark, run_id, utcnow()],
                )

    def watermark(self, source: str, query_key: str) -> str | None:
        """The query's watermark: when its last complete run started (None before one)."""
        row = self.db.execute(
            "SELECT watermark FROM watermarks WHERE source = ? AND query_key = ?", [source, query_key]
        ).fetchone()
        return str(row[0]) if row else None

    def run_started_at(self, run_id: int) -> str:
        """When run ``run_id`` started (the watermark a complete run leaves)."""
        return str(self.db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()[0])

    def recent_runs(self, limit: int = 10) -> list[RunSummary]:
        """The latest ``limit`` runs, newest first."""
        check_limit(limit, "the number of runs", minimum=0)
        rows = self.db.execute(
            "SELECT id, source, query_key, term, mode, status, started_at, finished_at, expected, retrieved, "
            "new_records, updated_records, missing_ids, requests, retries, duration_s, message "
            "FROM runs ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()
        out = []
        for r in rows:
            values = list(r)
            values[12] = json.loads(values[12]) if values[12] else []
            out.append(RunSummary(*values))
        return out

    def query_runs(self, source: str, query_key: str) -> list[QueryRun]:
        """Every run of one query, oldest first."""
        rows = self.db.execute(
            "SELECT id, source, mode, status, started_at, finished_at, expected, retrieved, new_records, "
            "updated_records, message FROM runs WHERE source = ? AND query_key = ? ORDER BY id", [source, query_key]
        ).fetchall()
        return [QueryRun(*r) for r in rows]

    def attach_run_records(self, run_id: int, source: str, query_key: str) -> int:
        """Count the records run ``run_id`` stored (still cached) as results of the query ``query_key``
        of ``source``, as its own fetches would (``ketlit import --query``); returns how many."""
        table, key = ("articles", "pmid") if source == "pubmed" else ("trials", "nct_id")
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO query_records (source, query_key, record_id, first_run, last_run) "
                f"SELECT ?, ?, r.record_id, r.run_id, r.run_id FROM run_records r JOIN {table} x "
                f"ON x.{key} = r.record_id WHERE r.run_id = ? ON CONFLICT DO UPDATE SET last_run = excluded.last_run",
                [source, query_key, run_id],
            )
        return int(cursor.rowcount)

    def query_record_ids(self, source: str, query_key: str) -> list[str]:
        """IDs of the records a query has retrieved from ``source``, in ID order (as text)."""
        return [r[0] for r in self.db.execute(
            "SELECT record_id FROM query_records WHERE source = ? AND query_key = ? ORDER BY record_id",
            [source, query_key],
        )]


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
