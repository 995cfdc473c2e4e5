"""Store: migrations from blank, upsert idempotence, revisions, atomic pages, content hash."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from ketlit.errors import InputError, StoreError
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.store import fts_query, open_store
from tests.conftest import FIXTURES, shared

SCHEMA = Path(__file__).parent / "schema.sql"


def dump_schema(path: Path) -> str:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%_fts_%' ORDER BY type, name"
    ).fetchall()
    conn.close()
    return "\n".join(r[0].strip() + ";" for r in rows) + "\n"


def test_blank_database_migrates_to_the_recorded_schema(db_path: Path) -> None:
    open_store(db_path).close()
    assert dump_schema(db_path) == SCHEMA.read_text(), "schema changed: add a migration, then regenerate schema.sql"
    # Re-opening applies nothing new.
    store = open_store(db_path)
    names = [r[0] for r in store.db.execute("SELECT name FROM _ketlit_migrations ORDER BY name")]
    store.close()
    assert names == sorted(names) and len(names) >= 2


def _articles() -> list:  # type: ignore[type-arg]
    return parse_pubmed_xml((FIXTURES / "efetch_oddities.xml").read_bytes())


def test_upsert_is_idempotent_and_detects_revisions(db_path: Path) -> None:
    store = open_store(db_path)
    arts = _articles()
    first = store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                            body=b"<x/>", articles=arts)
    hash1 = store.content_hash()
    again = store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                            body=b"<x/>", articles=arts)
    assert (first.new, first.updated, again.new, again.updated, again.unchanged) == (3, 0, 0, 0, 3)
    assert store.content_hash() == hash1
    revised = [replace(arts[0], title="A revised title"), *arts[1:]]
    third = store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                            body=b"<x/>", articles=revised)
    assert (third.new, third.updated) == (0, 1)
    assert store.content_hash() != hash1
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert store.search("revised")[0]["id"] == arts[0].pmid
    assert store.search("title with sub") == []  # the FTS index followed the update
    # Child rows replaced, not duplicated.
    assert store.db.execute("SELECT count(*) FROM article_mesh WHERE pmid = '90000003'").fetchone()[0] == 1
    assert store.db.execute("SELECT count(*) FROM links WHERE pmid = '90000001'").fetchone()[0] == 2
    store.close()


def test_raw_page_kept_compressed_and_reparseable(db_path: Path) -> None:
    body = (FIXTURES / "efetch_oddities.xml").read_bytes()
    store = open_store(db_path)
    store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={"api_key": "REDACTED"},
                    content_type="text/xml", body=body, articles=parse_pubmed_xml(body))
    page_id = store.db.execute("SELECT id FROM raw_pages").fetchone()[0]
    assert store.raw_page(page_id) == body
    assert [a.pmid for a in parse_pubmed_xml(store.raw_page(page_id))] == ["90000001", "90000002", "90000003"]
    store.close()


def test_failed_page_write_leaves_nothing(db_path: Path) -> None:
    store = open_store(db_path)
    arts = _articles()
    bad = [*arts, replace(arts[0], pmid="99999999", title=None)]  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - whatever the failure, nothing must be half-written
        store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                        body=b"<x/>", articles=bad)
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0
    store.close()


def test_watermark_moves_only_on_complete_runs(db_path: Path) -> None:
    store = open_store(db_path)
    run = store.start_run("pubmed", "k", "ketamine", {}, "full", None)
    store.finish_run(run, status="incomplete", expected=3, retrieved=2, new_records=2, updated_records=0,
                     missing_ids=["1"], requests=4, retries=0, duration_s=1.0)
    assert store.watermark("pubmed", "k") is None
    run2 = store.start_run("pubmed", "k", "ketamine", {}, "full", None)
    store.finish_run(run2, status="complete", expected=3, retrieved=3, new_records=1, updated_records=0,
                     missing_ids=[], requests=4, retries=0, duration_s=1.0, watermark="2026-01-01T00:00:00Z")
    assert store.watermark("pubmed", "k") == "2026-01-01T00:00:00Z"
    runs = store.recent_runs()
    assert [r.status for r in runs] == ["complete", "incomplete"] and runs[1].missing_ids == ["1"]
    store.close()


def test_stale_running_runs_become_interrupted(db_path: Path) -> None:
    store = open_store(db_path)
    run = store.start_run("pubmed", "k", "t", {}, "full", None)
    store.db.execute("UPDATE runs SET pid = 999999999 WHERE id = ?", [run])
    store.db.conn.commit()
    store.start_run("pubmed", "k", "t", {}, "full", None)
    assert store.recent_runs()[1].status == "interrupted"
    store.close()


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        open_store(blocker / "sub" / "k.db")
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        open_store(not_a_db)
    assert not_a_db.read_bytes().startswith(b"this is not sqlite")  # nothing overwritten


@pytest.mark.parametrize(
    ("text", "query"),
    [("ketamine depression", '"ketamine" AND "depression"'), ('a "b" (c', '"a" AND "b" AND ("c")'),
     ("esket*", '"esket"*'), ("x AND y", '"x" AND "y"'), ("ketamine OR esketamine", '"ketamine" OR "esketamine"'),
     ('"nasal spray" ketamine', '"nasal spray" AND "ketamine"'),
     ("ketamine NOT anesthesia", '"ketamine" NOT "anesthesia"'),
     ("ketamine AND NOT anesthesia", '"ketamine" NOT "anesthesia"'),
     ("(ketamine OR esketamine) depression", '("ketamine" OR "esketamine") AND "depression"'),
     ("ketamine and depression", '"ketamine" AND "and" AND "depression"'),  # lower case: words, as in PubMed
     ("OR ketamine OR", '"ketamine"'), ("ketamine NOT", '"ketamine"'), ("() a )) b ((", '"a" AND "b"'),
     ("a OR b ) c", '("a" OR "b") AND "c"'), ('title:x "unclosed phrase', '"title:x" AND "unclosed phrase"'),
     ("AND OR", ""), ('""', ""), ("ketamine - depression & review", '"ketamine" AND "depression" AND "review"'),
     ('" - "', "")],
)
def test_fts_query_keeps_pubmed_operators_and_escapes_the_rest(text: str, query: str) -> None:
    assert fts_query(text) == query


@pytest.mark.parametrize(
    ("text", "example"),
    [("NOT ketamine depression", '"depression NOT ketamine"'), ("NOT ketamine", '"TERM NOT ketamine"'),
     ("asthma (NOT children)", '"asthma NOT children"'), ("asthma OR NOT children", '"asthma NOT children"'),
     ("a NOT NOT b", '"a NOT b"'), ("a AND NOT NOT b", '"a NOT b"'), ("() NOT b", '"TERM NOT b"'),
     ("- NOT b", '"TERM NOT b"'), ("NOT (a OR b) c", '"c NOT (…)"'), ('x OR NOT "nasal spray"', 'x NOT "nasal spray"'),
     ("AND OR NOT", '"TERM NOT TERM"')],
)
def test_a_not_with_no_term_before_it_is_refused(text: str, example: str) -> None:
    """FTS5 has no NOT on its own; read as a word, the term meant to be excluded was required
    ('NOT ketamine depression' returned the ketamine records)."""
    with pytest.raises(InputError) as caught:
        fts_query(text)
    assert str(caught.value) == f"search: NOT needs a term before it (e.g. {example})"


def test_deep_brackets_give_a_query_fts5_accepts() -> None:
    """300 nested "(" was a RecursionError here, and about 100 a query FTS5's own parser overflowed on."""
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    db.execute("INSERT INTO t VALUES ('ketamine depression')")
    for n in (20, 100, 300, 5000):
        query = fts_query("(" * n + "ketamine OR esketamine" + ")" * n + " depression")
        assert db.execute("SELECT count(*) FROM t WHERE t MATCH ?", [query]).fetchone() == (1,)


def test_any_text_gives_a_query_fts5_accepts() -> None:
    """Whatever is typed, the query is valid FTS5 (a syntax error would be an internal error)."""
    import random
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    db.execute("INSERT INTO t VALUES ('ketamine esketamine nasal spray depression')")
    pieces = ["ketamine", "OR", "AND", "NOT", "(", ")", '"', "nasal spray", "esket*", "*", ":", "x:y", "-", "^",
              "NEAR", "+", "\x00", "é"]
    rng = random.Random(12)
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        try:
            query = fts_query(text)
        except InputError as exc:  # the one refusal: a NOT with nothing before it
            assert str(exc).startswith("search: NOT needs a term before it")
            continue
        if query:
            db.execute("SELECT count(*) FROM t WHERE t MATCH ?", [query]).fetchone()


def test_replay_corpus_search(db_path: Path) -> None:
    path = shared("replay", "pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")
    store = open_store(db_path)
    body = path.read_bytes()
    store.save_page(run_id=None, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                    body=body, articles=parse_pubmed_xml(body))
    hits = store.search("esketamine relapse")
    assert hits and hits[0]["id"] == "31166571"
    exported = list(store.iter_articles())
    assert [e["pmid"] for e in exported] == ["31166571", "31290965", "32316080"]
    assert exported[0]["nct_ids"] == ["NCT02493868"]
    assert "Randomized Controlled Trial" in exported[0]["publication_types"]
    store.close()


def _open_and_close(path: str) -> str:
    try:
        open_store(Path(path)).close()
    except StoreError as exc:
        return str(exc)
    return ""


def test_commands_opening_a_new_cache_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    # Two commands on one old cache (a cron job and a user's `check`) both found the same
    # migrations pending; the second failed with "index … already exists". Now each takes the
    # write lock before it applies one and reads the ledger again under it.
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for attempt in range(3):
        path = str(tmp_path / f"race{attempt}.db")
        # A cache file that exists, in WAL mode, with every migration pending (as an old cache has
        # some): what two commands meet when they open it after an upgrade.
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        with ctx.Pool(4) as pool:
            errors = pool.map(_open_and_close, [path] * 4)
        assert errors == [""] * 4, errors
        assert dump_schema(Path(path)) == SCHEMA.read_text()
