"""The SQLite cache: the only module (with migrations.py) that touches sqlite-utils.

Design decisions:
- Upsert on natural keys (PMID). A record whose parsed content is unchanged is only
  marked as seen again, so re-running a fetch never churns the FTS index, and a revised
  record replaces its child rows (MeSH, authors, ...) wholesale.
- Each EFetch page is stored (compressed raw body + parsed records) in one transaction,
  so ``kill -9`` leaves either the whole page or nothing; a watermark moves only in the
  transaction that marks its run complete.
- WAL journal: readers (Datasette, ``ketlit search``) never block a running fetch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ketlit.errors import InputError, StoreError
from ketlit.sources.models import Article
from ketlit.store.migrations import migrate
from ketlit.store.reports import ReportStateMixin
from ketlit.store.tags import FindingsStoreMixin, TagStoreMixin
from ketlit.store.trials import TrialPageMixin

ARTICLE_CHILD_TABLES = (
    "article_authors",
    "article_mesh",
    "article_pubtypes",
    "article_chemicals",
    "article_corrections",
)


def utcnow() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ArticleRows:
    """An article flattened into table rows (without run provenance)."""

    article: dict[str, Any]
    authors: list[tuple[Any, ...]]
    mesh: list[tuple[Any, ...]]
    pubtypes: list[tuple[Any, ...]]
    chemicals: list[tuple[Any, ...]]
    corrections: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]


# One encoder for every row: ``json.dumps`` with options builds a new JSONEncoder per call,
# which was a third of ``article_rows`` (eight calls per record). Same options as ``_json``,
# so the stored JSON and ``content_sha256`` stay byte-for-byte what they were. Rows hold
# no reference cycles, so the encoder need not track containers to detect them (~7% of
# ``article_rows``; the output is identical).
_row_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def article_rows(a: Article) -> ArticleRows:
    """Flatten one :class:`Article`; ``content_sha256`` covers every stored field."""
    pmid = a.pmid
    date = a.pub_date
    row: dict[str, Any] = {
        "pmid": pmid,
        "record_type": a.record_type,
        "version": a.version,
        "title": a.title,
        "vernacular_title": a.vernacular_title,
        "abstract": a.abstract,
        "abstract_sections": _row_json([[s.label, s.category, s.text] for s in a.sections]) if a.sections else None,
        "abstract_source": a.abstract_source,
        "abstract_language": a.abstract_language,
        "journal": a.journal,
        "journal_abbrev": a.journal_abbrev,
        "issn": a.issn,
        "volume": a.volume,
        "issue": a.issue,
        "pages": a.pages,
        "pub_date": date.iso,
        "pub_year": date.year,
        "pub_date_precision": date.precision,
        "pub_season": date.season,
        "pub_date_end": date.end,
        "pub_date_raw": date.raw,
        "languages": _row_json(a.languages),
        "keywords": _row_json(a.keywords),
        "doi": a.doi,
        "pmcid": a.pmcid,
        "pii": a.pii,
        "databanks": _row_json(a.databanks) if a.databanks else None,
        "citation_status": a.citation_status,
        "indexed": int(a.indexed),
        "date_completed": a.date_completed,
        "date_revised": a.date_revised,
        "entrez_date": a.entrez_date,
    }
    authors = [
        (pmid, i, x.last_name, x.fore_name, x.initials, x.collective, x.affiliation) for i, x in enumerate(a.authors)
    ]
    mesh = [
        (
            pmid,
            i,
            m.ui,
            m.descriptor,
            int(m.is_major),
            int(m.major),
            _row_json([[q.ui, q.name, int(q.major)] for q in m.qualifiers]) if m.qualifiers else None,
        )
        for i, m in enumerate(a.mesh)
    ]
    pubtypes = [(pmid, i, ui, name) for i, (ui, name) in enumerate(a.publication_types)]
    chemicals = [(pmid, i, c.ui, c.name, c.registry_number, c.kind) for i, c in enumerate(a.chemicals)]
    corrections = [(pmid, i, c.ref_type, c.pmid, c.ref_source) for i, c in enumerate(a.corrections)]
    links = [(pmid, nct, origin, None) for nct, origin in a.nct_links]
    digest = hashlib.sha256(
        _row_json([row, authors, mesh, pubtypes, chemicals, corrections, links]).encode()
    ).hexdigest()
    row["content_sha256"] = digest
    return ArticleRows(row, authors, mesh, pubtypes, chemicals, corrections, links)


ARTICLE_COLUMNS = (
    "pmid",
    "record_type",
    "version",
    "title",
    "vernacular_title",
    "abstract",
    "abstract_sections",
    "abstract_source",
    "abstract_language",
    "journal",
    "journal_abbrev",
    "issn",
    "volume",
    "issue",
    "pages",
    "pub_date",
    "pub_year",
    "pub_date_precision",
    "pub_season",
    "pub_date_end",
    "pub_date_raw",
    "languages",
    "keywords",
    "doi",
    "pmcid",
    "pii",
    "databanks",
    "citation_status",
    "indexed",
    "date_completed",
    "date_revised",
    "entrez_date",
    "content_sha256",
)
# Article rows are written in two steps: ``executemany`` into a TEMP staging table (in memory,
# no triggers), then ONE ``INSERT … SELECT … ON CONFLICT`` into ``articles`` per page.
# Why: SQLite opens a statement savepoint for every execution of a statement whose triggers
# write, and FTS5 (3.40) flushes its in-memory index to a new on-disk segment at every
# savepoint. Row-by-row upserts therefore wrote one FTS segment per article, and FTS5 then
# spent most of its time merging them: 2.4-3.0 s of FTS work for 20,000 records, against
# ~1.2 s when the same trigger fires 500 times inside one statement (one flush per page).
# The triggers stay the single place that keeps ``articles_fts`` in step with ``articles``.
_STAGED_COLUMNS = (*ARTICLE_COLUMNS, "raw_page_id", "first_seen_run", "last_seen_run")
_STAGE = "temp.ketlit_article_stage"
_CREATE_STAGE = f"CREATE TEMP TABLE IF NOT EXISTS ketlit_article_stage ({', '.join(_STAGED_COLUMNS)})"
_STAGE_ARTICLE = f"INSERT INTO {_STAGE} VALUES ({', '.join('?' for _ in _STAGED_COLUMNS)})"
_UPSERT_STAGED = (
    f"INSERT INTO articles ({', '.join(_STAGED_COLUMNS)}) "
    f"SELECT {', '.join(_STAGED_COLUMNS)} FROM {_STAGE} WHERE true ORDER BY rowid "
    "ON CONFLICT(pmid) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ARTICLE_COLUMNS[1:])
    + ", raw_page_id = excluded.raw_page_id, last_seen_run = excluded.last_seen_run"
)


@dataclass(frozen=True)
class PreparedPage:
    """A raw page and its articles made ready for the database without touching it: the
    compressed body, its digest and the article rows. :func:`prepare_page` is pure, so a
    worker process can build these while the main process writes (:mod:`ketlit.jobs.workers`)."""

    size: int
    sha256: str
    compressed: bytes
    rows: list[ArticleRows]


def prepare_page(body: bytes, articles: Iterable[Article]) -> PreparedPage:
    """Everything :meth:`Store.save_page` computes before it writes."""
    return PreparedPage(
        len(body),
        hashlib.sha256(body).hexdigest(),
        # Level 1: ~3x faster than 6 (0.6 s vs 1.8 s per 100 MB of efetch XML) for raw pages
        # 22% instead of 17% of their size.
        zlib.compress(body, 1),
        [article_rows(a) for a in articles],
    )


@dataclass
class SaveResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: SaveResult) -> SaveResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


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


class Store(TrialPageMixin, TagStoreMixin, FindingsStoreMixin, ReportStateMixin):
    """Typed access to the cache. Open with :func:`open_store`."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path

    # -- runs ---------------------------------------------------------------------------
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
                [source, query_key, term, _json(params), mode, since, utcnow(), os.getpid()],
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
                    _json(list(missing_ids)),
                    requests,
                    retries,
                    round(duration_s, 3),
                    windows,
                    message,
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
        row = self.db.execute(
            "SELECT watermark FROM watermarks WHERE source = ? AND query_key = ?", [source, query_key]
        ).fetchone()
        return str(row[0]) if row else None

    def run_started_at(self, run_id: int) -> str:
        return str(self.db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()[0])

    def recent_runs(self, limit: int = 10) -> list[RunSummary]:
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

    # -- raw pages + articles -----------------------------------------------------------
    def _insert_page(
        self,
        run_id: int | None,
        source: str,
        endpoint: str,
        request: dict[str, str],
        content_type: str | None,
        body: bytes,
    ) -> int:
        return self._insert_raw(
            run_id, source, endpoint, request, content_type, len(body), hashlib.sha256(body).hexdigest(),
            zlib.compress(body, 1),
        )

    def _insert_raw(
        self,
        run_id: int | None,
        source: str,
        endpoint: str,
        request: dict[str, str],
        content_type: str | None,
        size: int,
        sha256: str,
        compressed: bytes,
    ) -> int:
        cursor = self.db.conn.execute(
            "INSERT INTO raw_pages (run_id, source, endpoint, request, fetched_at, content_type, encoding, size, "
            "sha256, body) VALUES (?, ?, ?, ?, ?, ?, 'zlib', ?, ?, ?)",
            [run_id, source, endpoint, _json(request), utcnow(), content_type, size, sha256, compressed],
        )
        return int(cursor.lastrowid or 0)

    def save_page(
        self,
        *,
        run_id: int | None,
        source: str,
        endpoint: str,
        request: dict[str, str],
        content_type: str | None,
        body: bytes,
        articles: Iterable[Article],
        query_key: str | None = None,
    ) -> SaveResult:
        """Store one raw page and the articles parsed from it, atomically."""
        return self.save_prepared(
            run_id=run_id,
            source=source,
            endpoint=endpoint,
            request=request,
            content_type=content_type,
            page=prepare_page(body, articles),
            query_key=query_key,
        )

    def save_prepared(
        self,
        *,
        run_id: int | None,
        source: str,
        endpoint: str,
        request: dict[str, str],
        content_type: str | None,
        page: PreparedPage,
        query_key: str | None = None,
    ) -> SaveResult:
        """:meth:`save_page` for a page already made ready by :func:`prepare_page`: one transaction."""
        try:
            with self.db.atomic():
                page_id = self._insert_raw(
                    run_id, source, endpoint, request, content_type, page.size, page.sha256, page.compressed
                )
                return self._upsert_articles(page.rows, run_id, page_id, source, query_key)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the database {self.path}: {exc}") from None

    def _upsert_articles(
        self,
        rows: list[ArticleRows],
        run_id: int | None,
        page_id: int | None,
        source: str,
        query_key: str | None,
    ) -> SaveResult:
        result = SaveResult()
        if not rows:
            return result
        pmids = [r.article["pmid"] for r in rows]
        existing: dict[str, str] = {}
        conn = self.db.conn
        for chunk in _chunks(pmids, 500):
            marks = ",".join("?" * len(chunk))
            existing.update(
                conn.execute(f"SELECT pmid, content_sha256 FROM articles WHERE pmid IN ({marks})", chunk).fetchall()
            )
        changed = [r for r in rows if existing.get(r.article["pmid"]) != r.article["content_sha256"]]
        unchanged = [r.article["pmid"] for r in rows if existing.get(r.article["pmid"]) == r.article["content_sha256"]]
        result.unchanged = len(unchanged)
        result.updated = sum(1 for r in changed if r.article["pmid"] in existing)
        result.new = len(changed) - result.updated
        replaced = [r.article["pmid"] for r in changed if r.article["pmid"] in existing]
        for chunk in _chunks(replaced, 500):
            marks = ",".join("?" * len(chunk))
            for table in ARTICLE_CHILD_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE pmid IN ({marks})", chunk)
            conn.execute(f"DELETE FROM links WHERE origin LIKE 'pubmed_%' AND pmid IN ({marks})", chunk)
        if changed:
            # See _UPSERT_STAGED: one statement per page, so FTS5 flushes once per page.
            columns = operator.itemgetter(*ARTICLE_COLUMNS)
            conn.execute(_CREATE_STAGE)
            conn.executemany(_STAGE_ARTICLE, [(*columns(r.article), page_id, run_id, run_id) for r in changed])
            conn.execute(_UPSERT_STAGED)
            conn.execute(f"DELETE FROM {_STAGE}")
        conn.executemany(
            "INSERT INTO article_authors VALUES (?, ?, ?, ?, ?, ?, ?)", [x for r in changed for x in r.authors]
        )
        conn.executemany("INSERT INTO article_mesh VALUES (?, ?, ?, ?, ?, ?, ?)", [x for r in changed for x in r.mesh])
        conn.executemany("INSERT INTO article_pubtypes VALUES (?, ?, ?, ?)", [x for r in changed for x in r.pubtypes])
        conn.executemany(
            "INSERT INTO article_chemicals VALUES (?, ?, ?, ?, ?, ?)", [x for r in changed for x in r.chemicals]
        )
        conn.executemany(
            "INSERT INTO article_corrections VALUES (?, ?, ?, ?, ?)", [x for r in changed for x in r.corrections]
        )
        conn.executemany("INSERT OR IGNORE INTO links VALUES (?, ?, ?, ?)", [x for r in changed for x in r.links])
        if unchanged and run_id is not None:
            for chunk in _chunks(unchanged, 500):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"UPDATE articles SET last_seen_run = ? WHERE pmid IN ({marks})", [run_id, *chunk])
        if run_id is not None:
            conn.executemany(
                "INSERT OR IGNORE INTO run_records (run_id, source, record_id) VALUES (?, ?, ?)",
                [(run_id, source, p) for p in pmids],
            )
            if query_key is not None:
                conn.executemany(
                    "INSERT INTO query_records (source, query_key, record_id, first_run, last_run) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET last_run = excluded.last_run",
                    [(source, query_key, p, run_id, run_id) for p in pmids],
                )
        return result

    def stored_pmids(self, pmids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(list(pmids), 500):
            marks = ",".join("?" * len(chunk))
            out.update(r[0] for r in self.db.execute(f"SELECT pmid FROM articles WHERE pmid IN ({marks})", chunk))
        return out

    def raw_page(self, page_id: int) -> bytes:
        """Decompressed body of a stored raw page (for offline re-parsing)."""
        row = self.db.execute("SELECT body FROM raw_pages WHERE id = ?", [page_id]).fetchone()
        if row is None:
            raise InputError(f"no raw page {page_id}")
        return zlib.decompress(row[0])

    # -- reading ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Record counts per source and what needs attention."""
        queries = {
            "articles": "SELECT count(*) FROM articles",
            "unindexed_articles": "SELECT count(*) FROM articles WHERE indexed = 0",
            "retracted_articles": "SELECT count(DISTINCT pmid) FROM article_corrections "
            "WHERE ref_type = 'RetractionIn'",
            "trials": "SELECT count(*) FROM trials",
            "trials_with_results": "SELECT count(*) FROM trials WHERE has_results = 1",
            "trial_versions": "SELECT count(*) FROM trial_versions",
            "links": "SELECT count(*) FROM (SELECT DISTINCT pmid, nct_id FROM links)",
            "links_from_pubmed": "SELECT count(*) FROM (SELECT DISTINCT pmid, nct_id FROM links "
            "WHERE origin LIKE 'pubmed_%')",
            "links_from_ctgov": "SELECT count(*) FROM links WHERE origin = 'ctgov_reference'",
            "links_both_cached": "SELECT count(*) FROM (SELECT DISTINCT l.pmid, l.nct_id FROM links l "
            "JOIN articles a ON a.pmid = l.pmid JOIN trials t ON t.nct_id = l.nct_id)",
            "runs": "SELECT count(*) FROM runs",
            "raw_pages": "SELECT count(*) FROM raw_pages",
        }
        return {key: int(self.db.execute(sql).fetchone()[0]) for key, sql in queries.items()}

    def iter_articles(self) -> Iterator[dict[str, Any]]:
        """Every article with its child lists, ordered by PMID (for export)."""
        children: dict[str, dict[str, list[Any]]] = {}

        def load(table: str, columns: str, key: str) -> None:
            for row in self.db.execute(f"SELECT pmid, {columns} FROM {table} ORDER BY pmid, position"):
                children.setdefault(row[0], {}).setdefault(key, []).append(row[1:])

        load("article_mesh", "descriptor_ui, descriptor, major, qualifiers", "mesh")
        load("article_pubtypes", "ui, name", "publication_types")
        load("article_chemicals", "ui, name, kind", "chemicals")
        load("article_authors", "last_name, fore_name, initials, collective", "authors")
        load("article_corrections", "ref_type, ref_pmid", "corrections")
        links: dict[str, list[str]] = {}
        for pmid, nct in self.db.execute("SELECT DISTINCT pmid, nct_id FROM links ORDER BY pmid, nct_id"):
            links.setdefault(pmid, []).append(nct)
        cols = [
            "pmid",
            "title",
            "abstract",
            "journal", "journal_abbrev", "issn", "volume", "issue", "pages",
            "pub_date",
            "pub_year",
            "pub_date_precision",
            "doi",
            "pmcid",
            "languages",
            "keywords",
            "citation_status",
            "indexed",
        ]
        for row in self.db.execute(f"SELECT {', '.join(cols)} FROM articles ORDER BY CAST(pmid AS INTEGER)"):
            record = dict(zip(cols, row, strict=True))
            record["languages"] = json.loads(record["languages"] or "[]")
            record["keywords"] = json.loads(record["keywords"] or "[]")
            record["indexed"] = bool(record["indexed"])
            kids = children.get(record["pmid"], {})
            record["mesh"] = [
                {
                    "ui": ui,
                    "descriptor": d,
                    "major": bool(m),
                    "qualifiers": [q[1] for q in json.loads(qs)] if qs else [],
                }
                for ui, d, m, qs in kids.get("mesh", [])
            ]
            record["publication_types"] = [name for _, name in kids.get("publication_types", [])]
            record["chemicals"] = [{"ui": ui, "name": n, "kind": k} for ui, n, k in kids.get("chemicals", [])]
            record["authors"] = [
                c or " ".join(x for x in (fore, last) if x) for last, fore, _ini, c in kids.get("authors", [])
            ]
            record["author_details"] = [
                {"last_name": last, "fore_name": fore, "initials": ini, "collective": c}
                for last, fore, ini, c in kids.get("authors", [])
            ]
            record["corrections"] = [{"type": t, "pmid": p} for t, p in kids.get("corrections", [])]
            record["nct_ids"] = links.get(record["pmid"], [])
            yield record

    def search(self, text: str, limit: int = 20, tags: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        """Full-text search over articles (title, abstract, keywords) and trials (titles,
        summary, conditions, interventions); best matches first."""
        query = fts_query(text)
        if not query:
            raise InputError("empty search text")
        allowed = self.records_with_tags(tags or {})
        rows = self.db.execute(
            "SELECT 'pubmed', a.pmid, a.title, a.pub_year, a.journal, "
            "snippet(articles_fts, 1, '[', ']', '…', 12), bm25(articles_fts) AS score "
            "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid WHERE articles_fts MATCH ? "
            "UNION ALL "
            "SELECT 'ctgov', t.nct_id, t.brief_title, substr(t.start_date, 1, 4), t.overall_status, "
            "snippet(trials_fts, 2, '[', ']', '…', 12), bm25(trials_fts) AS score "
            "FROM trials_fts JOIN trials t ON t.rowid = trials_fts.rowid WHERE trials_fts MATCH ? "
            "ORDER BY score, 2" + ("" if allowed is not None else " LIMIT ?"),
            [query, query] + ([] if allowed is not None else [limit]),
        ).fetchall()
        if allowed is not None:
            rows = [r for r in rows if (r[0], r[1]) in allowed][:limit]
        return [
            {"source": r[0], "id": r[1], "title": r[2], "year": int(r[3]) if r[3] else None,
             "journal" if r[0] == "pubmed" else "status": r[4], "snippet": r[5], "score": round(-float(r[6]), 4)}
            for r in rows
        ]

    def content_hash(self) -> str:
        """A hash of all article content (no run ids or timestamps), to compare two caches."""
        digest = hashlib.sha256()
        for pmid, sha in self.db.execute("SELECT pmid, content_sha256 FROM articles ORDER BY pmid"):
            digest.update(f"{pmid}:{sha}\n".encode())
        for row in self.db.execute("SELECT pmid, nct_id, origin FROM links ORDER BY pmid, nct_id, origin"):
            digest.update(("|".join(row) + "\n").encode())
        return digest.hexdigest()

    def close(self) -> None:
        self.db.close()


def fts_query(text: str) -> str:
    """User text → a safe FTS5 query: every word quoted (so punctuation cannot break the
    syntax), all words required; a trailing ``*`` keeps prefix search."""
    terms = []
    for word in text.replace('"', " ").split():
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if word.upper() in ("AND", "OR", "NOT") or not word:
            continue
        terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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


PAGE_SIZE = 16384
CACHE_KIB = 16 * 1024
WAL_AUTOCHECKPOINT_BYTES = 32 * 1024 * 1024


def open_store(path: Path) -> Store:
    """Open (creating if needed) and migrate the cache at ``path``; one-line errors only."""
    path = Path(path)
    try:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30)
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            # Only a new, empty file takes this (an existing one keeps its page size). Larger
            # pages suit rows of several KB (abstracts, raw pages): fewer overflow pages and
            # WAL frames; ~10% less SQL time in bench/ingest.py than 4096.
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = OFF")
        # NORMAL in WAL mode: a crash or kill -9 can lose the last commits but never corrupts
        # the file or splits a transaction (a page is whole or absent). OFF is not crash-safe.
        db.execute("PRAGMA synchronous = NORMAL")
        # Bulk ingest touches the B-trees of articles, child tables and FTS segments at once;
        # the default 2 MB cache thrashes. The cache grows only as pages are used.
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        db.execute("PRAGMA temp_store = MEMORY")  # the article staging table (see _UPSERT_STAGED)
        # Checkpoint every ~32 MB of WAL instead of every 4 MB: pages rewritten within that
        # window (B-tree interiors, FTS segments) are copied into the database once, not each time.
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        db.execute(f"PRAGMA wal_autocheckpoint = {max(1000, WAL_AUTOCHECKPOINT_BYTES // page_size)}")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from None
    return Store(db, path)


def asdict_shallow(obj: Any) -> dict[str, Any]:
    """Dataclass → dict (for JSON rendering of summaries)."""
    return dataclasses.asdict(obj)
