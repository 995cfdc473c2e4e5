"""Numbered schema migrations. Never edit one that has shipped: add the next number.

Like simonw/llm's ``migrations.py``: each migration is a function registered in order,
applied inside a transaction and recorded in ``_ketlit_migrations``; ``migrate`` is
idempotent and runs on every open, so an old cache upgrades itself. A test migrates a
blank database and compares the resulting schema with ``tests/schema.sql``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_pubmed(db: sqlite_utils.Database) -> None:
    """PubMed articles and their child tables, raw pages, runs, watermarks, links, FTS."""
    db.execute(
        """
        CREATE TABLE articles (
            pmid TEXT PRIMARY KEY,
            record_type TEXT NOT NULL,           -- article | book
            version TEXT,
            title TEXT NOT NULL,
            vernacular_title TEXT,
            abstract TEXT NOT NULL,              -- sections joined, "LABEL: text" per line
            abstract_sections TEXT,              -- JSON [{label, category, text}]
            abstract_source TEXT,                -- abstract | other_abstract | NULL
            abstract_language TEXT,
            journal TEXT,
            journal_abbrev TEXT,
            issn TEXT,
            volume TEXT,
            issue TEXT,
            pages TEXT,
            pub_date TEXT,                       -- ISO, as precise as the source: YYYY[-MM[-DD]]
            pub_year INTEGER,
            pub_date_precision TEXT,             -- day | month | season | year
            pub_season TEXT,
            pub_date_end TEXT,                   -- end of a range ("1990 May-Jun" -> 1990-06)
            pub_date_raw TEXT,
            languages TEXT,                      -- JSON list
            keywords TEXT,                       -- JSON list
            doi TEXT,
            pmcid TEXT,
            pii TEXT,
            databanks TEXT,                      -- JSON [[bank, accession]]
            citation_status TEXT,                -- MEDLINE | PubMed-not-MEDLINE | In-Process | Publisher | ...
            indexed INTEGER NOT NULL,            -- 1 when MEDLINE-indexed (MeSH/PTs reliable)
            date_completed TEXT,
            date_revised TEXT,
            entrez_date TEXT,
            content_sha256 TEXT NOT NULL,        -- hash of the parsed content, to detect revisions
            raw_page_id INTEGER REFERENCES raw_pages(id),
            first_seen_run INTEGER,
            last_seen_run INTEGER
        )
        """
    )
    db.execute("CREATE INDEX idx_articles_pub_year ON articles(pub_year)")
    db.execute("CREATE INDEX idx_articles_doi ON articles(doi)")
    db.execute(
        """
        CREATE TABLE article_authors (
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            position INTEGER NOT NULL,
            last_name TEXT, fore_name TEXT, initials TEXT, collective TEXT, affiliation TEXT,
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE article_mesh (
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            position INTEGER NOT NULL,
            descriptor_ui TEXT,
            descriptor TEXT NOT NULL,
            major INTEGER NOT NULL,              -- descriptor or any qualifier is a major topic
            descriptor_major INTEGER NOT NULL,
            qualifiers TEXT,                     -- JSON [{ui, name, major}]
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_article_mesh_descriptor ON article_mesh(descriptor)")
    db.execute(
        """
        CREATE TABLE article_pubtypes (
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            position INTEGER NOT NULL,
            ui TEXT,
            name TEXT NOT NULL,
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_article_pubtypes_name ON article_pubtypes(name)")
    db.execute(
        """
        CREATE TABLE article_chemicals (
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            position INTEGER NOT NULL,
            ui TEXT,
            name TEXT NOT NULL,
            registry_number TEXT,
            kind TEXT NOT NULL,                  -- chemical | supplementary
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE article_corrections (
            pmid TEXT NOT NULL REFERENCES articles(pmid),
            position INTEGER NOT NULL,
            ref_type TEXT NOT NULL,              -- RetractionIn, ErratumIn, ExpressionOfConcernIn, ...
            ref_pmid TEXT,
            ref_source TEXT,
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_article_corrections_type ON article_corrections(ref_type)")
    db.execute(
        """
        CREATE TABLE links (
            pmid TEXT NOT NULL,
            nct_id TEXT NOT NULL,
            origin TEXT NOT NULL,                -- pubmed_databank | pubmed_abstract | ctgov_reference
            detail TEXT,                         -- e.g. the CT.gov reference type
            PRIMARY KEY (pmid, nct_id, origin)
        )
        """
    )
    db.execute("CREATE INDEX idx_links_nct ON links(nct_id)")
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,                -- pubmed | ctgov | import
            query_key TEXT NOT NULL,             -- identity of the query (term + date bounds)
            term TEXT,
            params TEXT,                         -- JSON, secrets redacted
            mode TEXT,                           -- full | incremental | import
            since TEXT,                          -- lower bound of an incremental run
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,                -- running | complete | incomplete | failed | interrupted
            expected INTEGER,
            retrieved INTEGER,
            new_records INTEGER,
            updated_records INTEGER,
            missing_ids TEXT,                    -- JSON list
            windows INTEGER,
            requests INTEGER,
            retries INTEGER,
            duration_s REAL,
            message TEXT,
            pid INTEGER
        )
        """
    )
    db.execute("CREATE INDEX idx_runs_query ON runs(source, query_key)")
    db.execute(
        """
        CREATE TABLE watermarks (
            source TEXT NOT NULL,
            query_key TEXT NOT NULL,
            term TEXT,
            watermark TEXT NOT NULL,             -- start of the last complete run (ISO UTC)
            run_id INTEGER NOT NULL REFERENCES runs(id),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, query_key)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE raw_pages (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            source TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            request TEXT,                        -- JSON params, secrets redacted
            fetched_at TEXT NOT NULL,
            content_type TEXT,
            encoding TEXT NOT NULL,              -- zlib
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            body BLOB NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_raw_pages_run ON raw_pages(run_id)")
    # FTS5 in sqlite-utils' naming convention (articles_fts, content=articles), so Datasette
    # and `sqlite-utils search` find it; written out rather than via enable_fts() because
    # enable_fts uses executescript, which commits and would break this migration's atomicity.
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING FTS5 (title, abstract, keywords, "
        "content=[articles], tokenize='porter')"
    )
    for name, body in (
        (
            "ai",
            "INSERT INTO articles_fts (rowid, title, abstract, keywords) "
            "VALUES (new.rowid, new.title, new.abstract, new.keywords);",
        ),
        (
            "ad",
            "INSERT INTO articles_fts (articles_fts, rowid, title, abstract, keywords) "
            "VALUES('delete', old.rowid, old.title, old.abstract, old.keywords);",
        ),
        (
            "au",
            "INSERT INTO articles_fts (articles_fts, rowid, title, abstract, keywords) "
            "VALUES('delete', old.rowid, old.title, old.abstract, old.keywords); "
            "INSERT INTO articles_fts (rowid, title, abstract, keywords) "
            "VALUES (new.rowid, new.title, new.abstract, new.keywords);",
        ),
    ):
        event = {"ai": "AFTER INSERT", "ad": "AFTER DELETE", "au": "AFTER UPDATE"}[name]
        db.execute(f"CREATE TRIGGER articles_{name} {event} ON articles BEGIN {body} END")


@migration
def m002_run_queries(db: sqlite_utils.Database) -> None:
    """Which records each run saw, so a report can list what a query returned."""
    db.execute(
        """
        CREATE TABLE run_records (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source TEXT NOT NULL,
            record_id TEXT NOT NULL,
            PRIMARY KEY (run_id, source, record_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE query_records (
            source TEXT NOT NULL,
            query_key TEXT NOT NULL,
            record_id TEXT NOT NULL,
            first_run INTEGER NOT NULL,
            last_run INTEGER NOT NULL,
            PRIMARY KEY (source, query_key, record_id)
        )
        """
    )


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _ketlit_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _ketlit_migrations").fetchall()}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.atomic():
            fn(db)
            db.execute("INSERT INTO _ketlit_migrations (name, applied_at) VALUES (?, datetime('now'))", [name])
        applied.append(name)
    return applied
