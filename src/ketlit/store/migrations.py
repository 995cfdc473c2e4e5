"""Numbered schema migrations. Never edit one that has shipped: add the next number.

Like simonw/llm's ``migrations.py``: each migration is a function registered in order,
applied inside a transaction and recorded in ``_ketlit_migrations``; ``migrate`` is
idempotent and runs on every open, so an old cache upgrades itself. A test migrates a
blank database and compares the resulting schema with ``tests/schema.sql``.

:func:`check_cache` runs first (see :func:`ketlit.store.core.open_store`): migrations are only
ever applied to an empty database or to a ketlit cache that passes ``PRAGMA quick_check``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from ketlit.errors import StoreError

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


def check_cache(db: sqlite_utils.Database, where: str) -> None:
    """Refuse (StoreError) a database that is not a ketlit cache, or a damaged cache that would
    have to be migrated: ketlit never writes into either. ``where`` names the file in the message."""
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").fetchall()]
    if not tables:
        return  # a new, empty database: migrate creates the cache
    if "_ketlit_migrations" not in tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise StoreError(f"{where} is not a ketlit cache (it holds other tables: {shown}); "
                         "ketlit will not write into it: choose another --db")
    done = {r[0] for r in db.execute("SELECT name FROM _ketlit_migrations").fetchall()}
    newer = sorted(done - {name for name, _ in MIGRATIONS})
    if newer:
        raise StoreError(f"{where} was written by a newer ketlit (schema {newer[-1]}); upgrade ketlit to use it")
    if all(name in done for name, _ in MIGRATIONS):
        return
    problems = [r[0] for r in db.execute("PRAGMA quick_check(5)").fetchall()]
    if problems != ["ok"]:
        first = " ".join(str(problems[0]).split())[:200]
        raise StoreError(f"{where} is not a ketlit cache or is damaged: {first} (not migrated; "
                         "restore a backup or delete it to start over)")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _ketlit_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _ketlit_migrations").fetchall()}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        # Two commands opening an old cache at once (two `check`s, a cron job and a user) must not
        # both apply a migration: the write lock is taken first (BEGIN IMMEDIATE waits for the
        # other's commit, within the busy timeout), then the ledger is read again under it.
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _ketlit_migrations WHERE name = ?", [name]).fetchone() is None:
                fn(db)
                db.execute("INSERT INTO _ketlit_migrations (name, applied_at) VALUES (?, datetime('now'))", [name])
                applied.append(name)
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
    return applied


@migration
def m003_ctgov(db: sqlite_utils.Database) -> None:
    """ClinicalTrials.gov studies, their parts and results, version history, FTS."""
    db.execute(
        """
        CREATE TABLE trials (
            nct_id TEXT PRIMARY KEY,
            brief_title TEXT,
            official_title TEXT,
            acronym TEXT,
            overall_status TEXT,                 -- RECRUITING | COMPLETED | TERMINATED | ...
            why_stopped TEXT,
            phases TEXT,                         -- JSON list, e.g. ["PHASE2", "PHASE3"]
            study_type TEXT,
            allocation TEXT,
            masking TEXT,
            intervention_model TEXT,
            primary_purpose TEXT,
            enrollment_count INTEGER,
            enrollment_type TEXT,                -- ACTUAL | ESTIMATED
            start_date TEXT, start_date_precision TEXT, start_date_type TEXT,
            primary_completion_date TEXT, primary_completion_precision TEXT, primary_completion_type TEXT,
            completion_date TEXT, completion_precision TEXT, completion_type TEXT,
            first_posted TEXT,
            results_first_posted TEXT,
            last_update_posted TEXT,
            status_verified TEXT,
            conditions TEXT,                     -- JSON list
            keywords TEXT,                       -- JSON list
            interventions_text TEXT,             -- names and other names, for search
            lead_sponsor TEXT,
            sponsor_class TEXT,
            collaborators TEXT,                  -- JSON list
            countries TEXT,                      -- JSON list
            has_results INTEGER NOT NULL,
            brief_summary TEXT,
            detailed_description TEXT,
            minimum_age TEXT, maximum_age TEXT, sex TEXT, healthy_volunteers INTEGER, std_ages TEXT,
            condition_mesh TEXT,                 -- JSON [[id, term]]
            intervention_mesh TEXT,              -- JSON [[id, term]]
            content_sha256 TEXT NOT NULL,
            raw_page_id INTEGER REFERENCES raw_pages(id),
            first_seen_run INTEGER,
            last_seen_run INTEGER
        )
        """
    )
    db.execute("CREATE INDEX idx_trials_status ON trials(overall_status)")
    db.execute(
        """
        CREATE TABLE trial_interventions (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), position INTEGER NOT NULL,
            type TEXT, name TEXT, description TEXT, other_names TEXT, arm_group_labels TEXT,
            PRIMARY KEY (nct_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_arms (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), position INTEGER NOT NULL,
            label TEXT, type TEXT, description TEXT, intervention_names TEXT,
            PRIMARY KEY (nct_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_outcomes (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), position INTEGER NOT NULL,
            kind TEXT NOT NULL,                  -- primary | secondary | other
            measure TEXT, description TEXT, time_frame TEXT,
            PRIMARY KEY (nct_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_results (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), position INTEGER NOT NULL,
            type TEXT, title TEXT, description TEXT, population_description TEXT, time_frame TEXT,
            unit TEXT, param_type TEXT, dispersion_type TEXT, reporting_status TEXT,
            groups TEXT,                         -- JSON [{id, title, description}]
            denoms TEXT,                         -- JSON
            measurements TEXT,                   -- JSON [{class_title, category_title, group_id, value, ...}]
            analyses TEXT,                       -- JSON, p_value kept as given ("<0.0001")
            PRIMARY KEY (nct_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_adverse_events (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), group_id TEXT NOT NULL,
            title TEXT, description TEXT,
            serious_num_affected INTEGER, serious_num_at_risk INTEGER,
            other_num_affected INTEGER, other_num_at_risk INTEGER,
            deaths_num_affected INTEGER, deaths_num_at_risk INTEGER,
            PRIMARY KEY (nct_id, group_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_references (
            nct_id TEXT NOT NULL REFERENCES trials(nct_id), position INTEGER NOT NULL,
            pmid TEXT, type TEXT, citation TEXT,
            PRIMARY KEY (nct_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE trial_versions (
            nct_id TEXT NOT NULL,
            last_update_posted TEXT NOT NULL,    -- the version key: the registry's last update date
            run_id INTEGER REFERENCES runs(id),
            fetched_at TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            overall_status TEXT,
            enrollment_count INTEGER,
            enrollment_type TEXT,
            has_results INTEGER NOT NULL,
            primary_completion_date TEXT,
            phases TEXT,
            raw BLOB NOT NULL,                   -- zlib-compressed study JSON of this version
            PRIMARY KEY (nct_id, last_update_posted)
        )
        """
    )
    db.execute(
        "CREATE VIRTUAL TABLE trials_fts USING FTS5 (brief_title, official_title, brief_summary, conditions, "
        "interventions_text, content=[trials], tokenize='porter')"
    )
    cols = "brief_title, official_title, brief_summary, conditions, interventions_text"
    new = "new.brief_title, new.official_title, new.brief_summary, new.conditions, new.interventions_text"
    old = "old.brief_title, old.official_title, old.brief_summary, old.conditions, old.interventions_text"
    db.execute(f"CREATE TRIGGER trials_ai AFTER INSERT ON trials BEGIN INSERT INTO trials_fts (rowid, {cols}) "
               f"VALUES (new.rowid, {new}); END")
    db.execute(f"CREATE TRIGGER trials_ad AFTER DELETE ON trials BEGIN INSERT INTO trials_fts (trials_fts, rowid, "
               f"{cols}) VALUES ('delete', old.rowid, {old}); END")
    db.execute(f"CREATE TRIGGER trials_au AFTER UPDATE ON trials BEGIN INSERT INTO trials_fts (trials_fts, rowid, "
               f"{cols}) VALUES ('delete', old.rowid, {old}); INSERT INTO trials_fts (rowid, {cols}) "
               f"VALUES (new.rowid, {new}); END")


@migration
def m004_tags(db: sqlite_utils.Database) -> None:
    """Tags (indication, route, molecule, design, population) with their evidence, one row per evidence."""
    db.execute(
        """
        CREATE TABLE tags (
            source TEXT NOT NULL,                -- pubmed | ctgov
            record_id TEXT NOT NULL,             -- PMID or NCT ID
            axis TEXT NOT NULL,                  -- indication | route | molecule | design | population
            value TEXT NOT NULL,                 -- slug, e.g. intravenous
            position INTEGER NOT NULL,           -- evidence number within the tag
            rule_id TEXT NOT NULL,
            field TEXT NOT NULL,                 -- where it matched: title, abstract:METHODS, mesh, pubtype, ...
            span TEXT,                           -- the matched text
            start INTEGER,
            "end" INTEGER,
            weight REAL,                         -- how much this evidence counted
            note TEXT,                           -- factors applied (section, negation, comparator...)
            score REAL,                          -- the tag's total score (same on every row of a tag)
            PRIMARY KEY (source, record_id, axis, value, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_tags_axis_value ON tags(axis, value)")
    db.execute(
        """
        CREATE TABLE tag_state (
            source TEXT NOT NULL,
            record_id TEXT NOT NULL,
            rules_sha256 TEXT NOT NULL,          -- rules the record was last tagged with
            content_sha256 TEXT NOT NULL,        -- record content it was tagged from
            PRIMARY KEY (source, record_id)
        )
        """
    )


@migration
def m005_report_state(db: sqlite_utils.Database) -> None:
    """What each query's report showed last time, so a refresh can say what changed."""
    db.execute(
        """
        CREATE TABLE report_state (
            query_name TEXT PRIMARY KEY,
            previous TEXT,                       -- JSON state before the latest change (NULL: first run)
            current TEXT NOT NULL,               -- JSON state as last rendered
            changed_at TEXT NOT NULL             -- when current last differed from previous
        )
        """
    )


@migration
def m006_articles_fts_update_of_text(db: sqlite_utils.Database) -> None:
    """Re-index an article in FTS only when its indexed text changes.

    ``articles_au`` fired on every UPDATE, so marking unchanged records as seen again
    (``last_seen_run``) deleted and re-inserted all of them in ``articles_fts``: a re-import
    of 20,000 unchanged records spent ~3 s re-indexing identical text. ``UPDATE OF`` limits
    it to updates that set title, abstract or keywords (the upsert of a revised record does).
    """
    db.execute("DROP TRIGGER articles_au")
    db.execute(
        "CREATE TRIGGER articles_au AFTER UPDATE OF title, abstract, keywords ON articles BEGIN "
        "INSERT INTO articles_fts (articles_fts, rowid, title, abstract, keywords) "
        "VALUES('delete', old.rowid, old.title, old.abstract, old.keywords); "
        "INSERT INTO articles_fts (rowid, title, abstract, keywords) "
        "VALUES (new.rowid, new.title, new.abstract, new.keywords); END"
    )


@migration
def m007_findings(db: sqlite_utils.Database) -> None:
    """Numbers read from each record (rates, times, adverse events), extracted once per version."""
    db.execute(
        """
        CREATE TABLE findings (
            source TEXT NOT NULL,
            record_id TEXT NOT NULL,
            rules_sha256 TEXT NOT NULL,          -- claim rules the extraction used
            content_sha256 TEXT NOT NULL,        -- record content it was read from
            data TEXT NOT NULL,                  -- JSON (ketlit.claims.numbers.findings_to_json)
            PRIMARY KEY (source, record_id)
        )
        """
    )


@migration
def m008_study_profiles(db: sqlite_utils.Database) -> None:
    """Study profiles (ketlit.evidence): what each candidate record studied and found."""
    db.execute(
        """
        CREATE TABLE study_profiles (
            pmid TEXT PRIMARY KEY,
            rules_sha256 TEXT NOT NULL,          -- evidence rules (and drug names) the reading used
            content_sha256 TEXT NOT NULL,        -- record content it was read from
            question TEXT NOT NULL,              -- efficacy_vs_control | head_to_head | ... (ketlit.evidence.questions)
            readable INTEGER NOT NULL,           -- 0: listed as "not readable", never dropped
            relation TEXT,                       -- main | secondary | NULL (not a trial report)
            n INTEGER,                           -- participants as the abstract states them
            group_id TEXT,                       -- trial group (one trial, one vote); the group's first PMID
            group_main INTEGER NOT NULL DEFAULT 1, -- 1 for the record that speaks for its group
            data TEXT NOT NULL                   -- JSON (ketlit.evidence.profile.profile_to_dict)
        )
        """
    )
    db.execute("CREATE INDEX idx_study_profiles_group ON study_profiles(group_id)")
    db.execute(
        """
        CREATE TABLE study_findings (
            pmid TEXT NOT NULL REFERENCES study_profiles(pmid),
            position INTEGER NOT NULL,
            sentence INTEGER NOT NULL,           -- abstract sentence index (ketlit.evidence.sentences)
            direction TEXT NOT NULL,             -- increased | decreased | no_difference
            favours TEXT NOT NULL,               -- intervention | comparator | neither
            outcome TEXT,
            outcome_kind TEXT NOT NULL,          -- efficacy | safety | other
            comparator TEXT,
            comparator_kind TEXT,
            measure TEXT,                        -- OR | RR | HR | MD | SMD | RD | g | d
            value REAL,
            ci_low REAL,
            ci_high REAL,
            p TEXT,
            certainty TEXT,                      -- as a review states it for this result
            PRIMARY KEY (pmid, position)
        )
        """
    )


@migration
def m009_evidence_candidates(db: sqlite_utils.Database) -> None:
    """Candidate selection for checks and reports through indexes (issue 15).

    - ``tags(axis, value, source, record_id)`` replaces ``tags(axis, value)``: "the records tagged
      with one of the drug's molecules" and "… and with one of these indications" are answered from
      the index alone, without reading a tag row or every record's tags into Python.
    - ``study_adverse_events``: each study profile's adverse-event rows (results and conclusions
      only), as ``study_findings`` holds its findings, indexed by event, so a safety check selects the
      records that report harms in SQL instead of decoding every profile. Filled from the stored
      profiles here; :meth:`ketlit.store.profiles.ProfileStore.save_profiles` keeps it in step.
    - ``articles`` by numeric PMID: exports stream articles in that order (an index walk, not a
      sort of the whole table in memory).
    - ``articles(pmid, content_sha256)`` and ``findings(source, record_id, rules_sha256,
      content_sha256)``: "what needs tagging or re-reading", asked before every check and report,
      compares these digests for every record; from these covering indexes it reads a few MB
      instead of every article's and every finding's row (a third of the time at 30,000 records).
    """
    db.execute("DROP INDEX IF EXISTS idx_tags_axis_value")
    db.execute("CREATE INDEX idx_tags_axis_value_record ON tags(axis, value, source, record_id)")
    db.execute(
        """
        CREATE TABLE study_adverse_events (
            pmid TEXT NOT NULL REFERENCES study_profiles(pmid),
            position INTEGER NOT NULL,
            sentence INTEGER,                    -- abstract sentence index (ketlit.evidence.sentences)
            event TEXT NOT NULL,                 -- the event as the abstract names it
            presence TEXT,                       -- present | absent (as ketlit.evidence.profile reads it)
            PRIMARY KEY (pmid, position)
        )
        """
    )
    db.execute("CREATE INDEX idx_study_adverse_events_event ON study_adverse_events(event)")
    db.execute(
        "INSERT INTO study_adverse_events (pmid, position, sentence, event, presence) "
        "SELECT p.pmid, CAST(e.key AS INTEGER), json_extract(e.value, '$.s'), json_extract(e.value, '$.event'), "
        "json_extract(e.value, '$.presence') FROM study_profiles p, json_each(p.data, '$.adverse_events') e"
    )
    db.execute("CREATE INDEX idx_articles_pmid_number ON articles(CAST(pmid AS INTEGER))")
    db.execute("CREATE INDEX idx_articles_content ON articles(pmid, content_sha256)")
    # ``ketlit status`` counts unindexed articles: from this index, not a scan of every row.
    db.execute("CREATE INDEX idx_articles_indexed ON articles(indexed)")
    db.execute("CREATE INDEX idx_findings_state ON findings(source, record_id, rules_sha256, content_sha256)")
