"""The SQLite cache: :class:`Store`, a facade over one class per area, and :func:`open_store`.

Design decisions:
- **Composition, not mixins.** Each area of the cache is a small class holding the database
  handle: runs and watermarks (:mod:`.runs`), raw pages and articles (:mod:`.articles`),
  trials (:mod:`.trials`), tags and findings (:mod:`.tags`), report state (:mod:`.reports`)
  and the reads reports and claim checks make (:mod:`.reads`). :class:`Store` builds them
  over one connection, exposes them as attributes (``store.trials``…) and keeps the flat
  method names the rest of ketlit calls (``store.save_page``…) as delegates to the areas'
  methods, so callers did not change. Only the searches and counts that span areas live here.
- This package holds every SQL statement ketlit runs; nothing outside it touches sqlite3
  or sqlite-utils (``Store.db`` is for tests and tools that inspect a cache).
- WAL journal: readers (Datasette, ``ketlit search``) never block a running fetch.
- **One-line errors, never a traceback.** Every public method of the facade and of each area
  turns SQLite's errors into a :class:`~ketlit.errors.StoreError` naming the file and the cause
  (:func:`ketlit.store.common.store_error`): read-only, busy past :data:`BUSY_TIMEOUT_S`
  (another ketlit process is writing; exit 4), damaged, disk full.
- **A file that is not a sound ketlit cache is never written.** :func:`open_store` refuses an
  SQLite database holding someone else's tables (instead of adding ketlit's beside them), and
  runs ``PRAGMA quick_check`` before migrating an existing cache, so a damaged file is reported
  as it is rather than migrated over. Both checks come before the switch to WAL, which itself
  writes to the file. (No check on every open: quick_check reads the whole file.)
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import sqlite_utils

from ketlit.errors import InputError, StoreError
from ketlit.store.articles import (
    ARTICLE_CHILD_TABLES,
    ARTICLE_COLUMNS,
    ArticleRows,
    ArticleStore,
    PreparedPage,
    RawPages,
    SaveResult,
    article_rows,
    prepare_page,
)
from ketlit.store.common import check_limit, name_database, store_error, translate_errors, utcnow
from ketlit.store.fts import fts_query
from ketlit.store.migrations import check_cache, migrate
from ketlit.store.profiles import ProfileStore
from ketlit.store.reads import ReportReads
from ketlit.store.reports import ReportStateStore
from ketlit.store.runs import RunStore, RunSummary
from ketlit.store.tags import FindingsStore, TagStore
from ketlit.store.trials import TrialStore

# Re-exported: callers import these from ``ketlit.store.core`` (and ``ketlit.store``).
__all__ = [
    "ARTICLE_CHILD_TABLES",
    "ARTICLE_COLUMNS",
    "ArticleRows",
    "PreparedPage",
    "RunSummary",
    "SaveResult",
    "Store",
    "article_rows",
    "fts_query",
    "open_store",
    "prepare_page",
    "utcnow",
]


# Before the facade is built: _Delegate captures the area methods, translated (see the docstring).
for _area in (RawPages, RunStore, ArticleStore, TrialStore, TagStore, FindingsStore, ReportStateStore, ReportReads,
              ProfileStore):
    translate_errors(_area)

A = TypeVar("A")
P = ParamSpec("P")
R = TypeVar("R")


class _Delegate(Generic[A, P, R]):
    """A :class:`Store` attribute that is one area's method: ``store.x(...)`` calls
    ``store.<area>.x(...)`` and ``Store.x(store, ...)`` works too (callers pass
    ``Store.iter_articles`` around). Typed with the area method's own signature, so mypy checks
    every call as if the method were written out; one line per name instead of a wrapper each."""

    def __init__(self, area: str, method: Callable[Concatenate[A, P], R]) -> None:
        self.area = area
        self.method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Callable[Concatenate[Store, P], R]: ...

    @overload
    def __get__(self, obj: Store, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, obj: Store | None, owner: type[Any]) -> Callable[..., R]:
        if obj is None:
            def unbound(store: Store, *args: P.args, **kwargs: P.kwargs) -> R:
                return self.method(getattr(store, self.area), *args, **kwargs)

            return unbound
        return functools.partial(self.method, getattr(obj, self.area))


@translate_errors
class Store:
    """Typed access to the cache. Open with :func:`open_store`."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path
        self.raw = RawPages(db)
        self.runs = RunStore(db)
        self.articles = ArticleStore(db, path, self.raw)
        self.trials = TrialStore(db, self.raw)
        self.tags = TagStore(db)
        self.findings = FindingsStore(db)
        self.profiles = ProfileStore(db)
        self.report_states = ReportStateStore(db)
        self.reads = ReportReads(db)

    # The flat names the rest of ketlit calls (``store.save_page(...)``, also ``Store.iter_articles``
    # unbound); each is one area's method, typed as that method (see _Delegate).
    start_run = _Delegate("runs", RunStore.start_run)
    finish_run = _Delegate("runs", RunStore.finish_run)
    watermark = _Delegate("runs", RunStore.watermark)
    run_started_at = _Delegate("runs", RunStore.run_started_at)
    recent_runs = _Delegate("runs", RunStore.recent_runs)
    raw_page = _Delegate("raw", RawPages.raw_page)
    save_page = _Delegate("articles", ArticleStore.save_page)
    save_prepared = _Delegate("articles", ArticleStore.save_prepared)
    stored_pmids = _Delegate("articles", ArticleStore.stored_pmids)
    iter_articles = _Delegate("articles", ArticleStore.iter_articles)
    content_hash = _Delegate("articles", ArticleStore.content_hash)
    save_trial_page = _Delegate("trials", TrialStore.save_trial_page)
    trial_changes = _Delegate("trials", TrialStore.trial_changes)
    trial_history = _Delegate("trials", TrialStore.trial_history)
    iter_trials = _Delegate("trials", TrialStore.iter_trials)
    iter_links = _Delegate("trials", TrialStore.iter_links)
    trials_content_hash = _Delegate("trials", TrialStore.trials_content_hash)
    replace_tags = _Delegate("tags", TagStore.replace_tags)
    untagged = _Delegate("tags", TagStore.untagged)
    all_record_ids = _Delegate("tags", TagStore.all_record_ids)
    content_sha = _Delegate("tags", TagStore.content_sha)
    content_shas = _Delegate("tags", TagStore.content_shas)
    tags_for = _Delegate("tags", TagStore.tags_for)
    iter_tag_summaries = _Delegate("tags", TagStore.iter_tag_summaries)
    records_with_tags = _Delegate("tags", TagStore.records_with_tags)
    load_articles = _Delegate("tags", TagStore.load_articles)
    stored_articles = _Delegate("tags", TagStore.stored_articles)
    stored_parts = _Delegate("tags", TagStore.stored_parts)
    load_studies = _Delegate("tags", TagStore.load_studies)
    save_findings = _Delegate("findings", FindingsStore.save_findings)
    load_findings = _Delegate("findings", FindingsStore.load_findings)
    stale_findings = _Delegate("findings", FindingsStore.stale_findings)
    report_state = _Delegate("report_states", ReportStateStore.report_state)
    save_report_state = _Delegate("report_states", ReportStateStore.save_report_state)

    def change_token(self) -> tuple[int, int]:
        """Changes when the cache's content changes: SQLite's ``data_version`` (commits by other
        connections) and this connection's change count, less the rows a report's own state wrote
        (a ``report --all`` saves one state per query; evidence does not depend on it)."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        return version, self.db.conn.total_changes - self.report_states.changes

    def counts(self, rules_sha: str | None = None) -> dict[str, int]:
        """Record counts per source and what needs attention (records to tag: never tagged,
        changed since, or, given the current tagging rules' digest, tagged with other rules)."""
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
        counts = {key: int(self.db.execute(sql).fetchone()[0]) for key, sql in queries.items()}
        # What an import or fetch stopped in its tagging step leaves, a re-import whose tagging was
        # cut short (old tags on new content) and a rule change: what `ketlit tag` would redo.
        counts["untagged_records"] = self.tags.count_untagged(rules_sha)
        return counts

    def search(self, text: str, limit: int = 20, tags: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        """Full-text search over articles (title, abstract, keywords) and trials (titles,
        summary, conditions, interventions); best matches first."""
        query = fts_query(text)
        if not query:
            raise InputError("empty search text")
        check_limit(limit, "the search limit")
        allowed = self.tags.records_with_tags(tags or {})
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

    def close(self) -> None:
        """Close the connection."""
        self.db.close()


SQLITE_PAGE_SIZE = 16384
# How long a write waits for another process's write transaction before giving up (StoreBusyError).
BUSY_TIMEOUT_S = 30.0
CACHE_KIB = 16 * 1024
WAL_AUTOCHECKPOINT_BYTES = 32 * 1024 * 1024


def open_store(path: Path) -> Store:
    """Open (creating if needed) and migrate the cache at ``path``; one-line errors only."""
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory and (path.is_dir() or (path.exists() and not path.is_file())):
        # SQLite would say "unable to open database file" or "disk I/O error" (for /dev/null).
        raise StoreError(f"cannot use {path} as the cache: it is {'a folder' if path.is_dir() else 'not a file'}")
    try:
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot create database {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except sqlite3.Error as exc:
        raise store_error(exc, str(path)) from None
    db = sqlite_utils.Database(conn)
    name_database(db, path)
    try:
        _configure(db, memory, str(path))
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(exc, str(path)) from None
    except StoreError:
        conn.close()
        raise
    return Store(db, path)


def _configure(db: sqlite_utils.Database, memory: bool, where: str) -> None:
    if not memory:
        # Only a new, empty file takes this (an existing one keeps its page size). Larger
        # pages suit rows of several KB (abstracts, raw pages): fewer overflow pages and
        # WAL frames; ~10% less SQL time in bench/ingest.py than 4096.
        db.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
    # Before anything writes (switching to WAL does): refuse a foreign or damaged file.
    check_cache(db, where)
    if not memory:
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
