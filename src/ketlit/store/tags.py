"""Tags and findings (derived data), and loading records back for (re)tagging.

Tags are derived data: ``tag_state`` remembers which rules and which record content each
record was tagged from, so tagging after a fetch only touches new or changed records, and
``ketlit tag`` after a rule change re-tags everything offline.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ketlit.sources.models import AbstractSection, Article, Chemical, MeshHeading, PartialDate, Qualifier, Study
from ketlit.store.articles import ArticleRows
from ketlit.store.common import CHUNK, batches_keeping_order, chunks, marks

if TYPE_CHECKING:
    import sqlite_utils

AXES = ("indication", "route", "molecule", "design", "population")
# The keys of every iter_tag_summaries record, in order (a CSV header even with no record).
TAG_SUMMARY_FIELDS = ("source", "id", *AXES)
# Records whose tags are missing or stale: never tagged, tagged with other rules (the two
# parameters: the current rules' digest; NULL to leave the rules out), or whose content changed
# since they were tagged.
_UNTAGGED_SQL = (
    "SELECT 'pubmed', a.pmid FROM articles a LEFT JOIN tag_state s ON s.source = 'pubmed' "
    "AND s.record_id = a.pmid WHERE s.record_id IS NULL OR s.rules_sha256 != coalesce(?, s.rules_sha256) "
    "OR s.content_sha256 != a.content_sha256 "
    "UNION ALL SELECT 'ctgov', t.nct_id FROM trials t LEFT JOIN tag_state s ON s.source = 'ctgov' "
    "AND s.record_id = t.nct_id WHERE s.record_id IS NULL OR s.rules_sha256 != coalesce(?, s.rules_sha256) "
    "OR s.content_sha256 != t.content_sha256"
)
# (source, record_id, axis, value, [(rule_id, field, span, start, end), ...])
# evidence: (rule_id, field, span, start, end, weight, note); score: the tag's total
Evidence = tuple[str, str, str | None, int | None, int | None, float, str]
TagRow = tuple[str, str, str, str, float, Sequence[Evidence]]
# A stored article in plain values: its ``_LOADED`` columns, MeSH (ui, descriptor, major,
# qualifiers JSON), publication types (ui, name), chemicals (ui, name, registry number, kind)
# and links (NCT ID, origin); see TagStore.stored_parts.
StoredParts = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]],
                    list[tuple[str, str]]]


class TagStore:
    """The ``tags`` and ``tag_state`` tables, and the records tagging reads back."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def replace_tags(self, records: Iterable[tuple[str, str, str, str, Sequence[TagRow]]]) -> int:
        """For each (source, record_id, rules_sha, content_sha, tag rows): replace its tags.

        One statement of each kind for the whole batch (a fetch writes a page of ~500 records,
        ~10 tag rows each: three statements per record cost more than the rows). A batch that
        names a record twice keeps the record-by-record order, where the later one wins."""
        records = list(records)
        with self.db.atomic():
            for batch in batches_keeping_order(records, lambda record: record[:2]):
                self._replace(self.db.conn, batch)
        return len(records)

    @staticmethod
    def _replace(conn: sqlite3.Connection, records: Sequence[tuple[str, str, str, str, Sequence[TagRow]]]) -> None:
        conn.executemany("DELETE FROM tags WHERE source = ? AND record_id = ?", [record[:2] for record in records])
        conn.executemany(
            'INSERT INTO tags (source, record_id, axis, value, position, rule_id, field, span, start, "end", '
            "weight, note, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s, r, axis, value, i, *ev, score) for *_, rows in records
             for s, r, axis, value, score, evidence in rows for i, ev in enumerate(evidence)],
        )
        conn.executemany(
            "INSERT INTO tag_state VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "rules_sha256 = excluded.rules_sha256, content_sha256 = excluded.content_sha256",
            [record[:4] for record in records],
        )

    def untagged(self, rules_sha: str) -> list[tuple[str, str]]:
        """Records never tagged, tagged with other rules, or changed since they were tagged."""
        rows = self.db.execute(_UNTAGGED_SQL + " ORDER BY 1, 2", [rules_sha, rules_sha]).fetchall()
        return [(r[0], r[1]) for r in rows]

    def count_untagged(self, rules_sha: str | None = None) -> int:
        """How many records :meth:`untagged` lists: never tagged or changed since they were tagged,
        and (given ``rules_sha``) tagged with other rules."""
        # The same statement as untagged(), so `ketlit status` counts what tagging would redo.
        row = self.db.execute(f"SELECT count(*) FROM ({_UNTAGGED_SQL})", [rules_sha, rules_sha]).fetchone()
        return int(row[0])

    def all_record_ids(self) -> list[tuple[str, str]]:
        """(source, id) of every cached record, in source then ID order."""
        rows = self.db.execute(
            "SELECT 'pubmed', pmid FROM articles UNION ALL SELECT 'ctgov', nct_id FROM trials ORDER BY 1, 2"
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def content_sha(self, source: str, record_id: str) -> str | None:
        """The content digest of one record (None if not cached)."""
        table, key = ("articles", "pmid") if source == "pubmed" else ("trials", "nct_id")
        row = self.db.execute(f"SELECT content_sha256 FROM {table} WHERE {key} = ?", [record_id]).fetchone()
        return str(row[0]) if row else None

    def content_shas(self, source: str, record_ids: Sequence[str]) -> dict[str, str]:
        """Content digests of many records at once."""
        table, key = ("articles", "pmid") if source == "pubmed" else ("trials", "nct_id")
        out: dict[str, str] = {}
        for i in range(0, len(record_ids), 500):
            chunk = list(record_ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(f"SELECT {key}, content_sha256 FROM {table} WHERE {key} IN ({marks})", chunk))
        return out

    def tags_for(self, source: str, record_id: str) -> list[dict[str, Any]]:
        """Every tag of one record with its evidence, one dict per evidence row."""
        rows = self.db.execute(
            'SELECT axis, value, position, rule_id, field, span, start, "end", weight, note, score FROM tags '
            "WHERE source = ? AND record_id = ? ORDER BY axis, value, position",
            [source, record_id],
        ).fetchall()
        keys = ("axis", "value", "position", "rule_id", "field", "span", "start", "end", "weight", "note", "score")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def iter_tag_summaries(self) -> Iterator[dict[str, Any]]:
        """One line per record: {"source", "id", axis: [values...]} in a stable order (PubMed
        records, then trials, each by ID as text). Streamed: the IDs come from a cursor over each
        table's primary key and the tags of each batch by key, so memory stays at one batch."""
        for source, sql in (("pubmed", "SELECT pmid FROM articles ORDER BY pmid"),
                            ("ctgov", "SELECT nct_id FROM trials ORDER BY nct_id")):
            cursor = self.db.execute(sql)
            while ids := [r[0] for r in cursor.fetchmany(CHUNK)]:
                tags = self.tags_of(source, ids)
                for rid in ids:
                    yield {"source": source, "id": rid, **{a: [] for a in AXES}, **tags[rid]}

    def records_with_tags(self, filters: dict[str, list[str]]) -> set[tuple[str, str]] | None:
        """(source, id) of records carrying, for every axis given, at least one of its values
        (None when no axis has values).

        One statement: the first axis given selects records from the ``(axis, value, source,
        record_id)`` index, and each other axis is an ``EXISTS`` probe of the primary key for those
        records only, so the cost follows the first axis's matches (callers put the narrowest
        first: the drug's molecules), not every record tagged with a common indication."""
        axes = [(axis, values) for axis, values in filters.items() if values]
        if not axes:
            return None
        (axis, values), rest = axes[0], axes[1:]
        sql = f"SELECT DISTINCT t.source, t.record_id FROM tags t WHERE t.axis = ? AND t.value IN ({marks(values)})"
        params: list[str] = [axis, *values]
        for other, wanted in rest:
            sql += (f" AND EXISTS (SELECT 1 FROM tags o WHERE o.source = t.source AND o.record_id = t.record_id "
                    f"AND o.axis = ? AND o.value IN ({marks(wanted)}))")
            params += [other, *wanted]
        return {(r[0], r[1]) for r in self.db.execute(sql, params)}

    def tags_of(self, source: str, ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
        """``{id: {axis: [values...]}}`` for ``ids`` (every id present, possibly empty); values sorted.

        Reads only the rows of ``ids`` (primary-key lookups), so its cost follows ``ids``, not the cache."""
        out: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
        for chunk in chunks(list(out)):
            for rid, axis, value in self.db.execute(
                f"SELECT DISTINCT record_id, axis, value FROM tags WHERE source = ? AND record_id IN ({marks(chunk)}) "
                "ORDER BY 1, 2, 3", [source, *chunk]
            ):
                out[rid].setdefault(axis, []).append(value)
        return out

    def tag_values(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, list[str]]]:
        """``{(source, id): {axis: [values...]}}`` for the tagged ones of ``keys``, values sorted."""
        out: dict[tuple[str, str], dict[str, list[str]]] = {}
        by_source: dict[str, list[str]] = {}
        for source, rid in keys:
            by_source.setdefault(source, []).append(rid)
        for source, ids in sorted(by_source.items()):
            for rid, axes in self.tags_of(source, ids).items():
                if axes:
                    out[(source, rid)] = axes
        return out

    def all_tag_values(self) -> dict[tuple[str, str], dict[str, list[str]]]:
        """``{(source, id): {axis: [values...]}}`` for every tagged record, in sorted order."""
        tags: dict[tuple[str, str], dict[str, list[str]]] = {}
        for source, rid, axis, value in self.db.execute(
            "SELECT DISTINCT source, record_id, axis, value FROM tags ORDER BY 1, 2, 3, 4"
        ):
            tags.setdefault((source, rid), {}).setdefault(axis, []).append(value)
        return tags

    # -- loading records back for (re)tagging --------------------------------------------
    def load_articles(self, pmids: Sequence[str]) -> list[Article]:
        """Rebuild :class:`Article` records (the fields tagging and checks use) from the cache."""
        out: list[Article] = []
        for i in range(0, len(pmids), CHUNK):
            chunk = list(pmids[i : i + CHUNK])
            marks = ",".join("?" * len(chunk))
            mesh: dict[str, list[MeshHeading]] = {}
            for pmid, ui, descriptor, major, qualifiers in self.db.execute(
                f"SELECT pmid, descriptor_ui, descriptor, descriptor_major, qualifiers FROM article_mesh "
                f"WHERE pmid IN ({marks}) ORDER BY pmid, position", chunk,
            ):
                mesh.setdefault(pmid, []).append(_heading(ui, descriptor, major, qualifiers))
            pubtypes: dict[str, list[tuple[str | None, str]]] = {}
            for pmid, ui, name in self.db.execute(
                f"SELECT pmid, ui, name FROM article_pubtypes WHERE pmid IN ({marks}) ORDER BY pmid, position", chunk
            ):
                pubtypes.setdefault(pmid, []).append((ui, name))
            links = self._links(chunk)
            chems: dict[str, list[Chemical]] = {}
            for pmid, ui, name, reg, kind in self.db.execute(
                f"SELECT pmid, ui, name, registry_number, kind FROM article_chemicals WHERE pmid IN ({marks}) "
                "ORDER BY pmid, position", chunk,
            ):
                chems.setdefault(pmid, []).append(Chemical(ui, name, reg, kind))
            for row in self.db.execute(
                f"SELECT {', '.join(_LOADED)} FROM articles WHERE pmid IN ({marks}) ORDER BY pmid", chunk,
            ):
                pmid = row[0]
                out.append(_rebuilt(row, mesh.get(pmid, []), pubtypes.get(pmid, []), chems.get(pmid, []),
                                    links.get(pmid, [])))
        return out

    def stored_articles(self, rows: Sequence[ArticleRows]) -> list[Article]:
        """What :meth:`load_articles` returns for the records of ``rows`` just written (the rows
        :func:`~ketlit.store.articles.article_rows` made of them, as stored), built from those rows
        instead of read back: a fetch tags each page it stores (:mod:`ketlit.jobs.fetch_tags`), and
        reading the page back cost as much as a fifth of storing it. Only the links are read,
        since a CT.gov record may link the article too. Same records, in the same order."""
        return rebuild_articles(self.stored_parts(rows))

    def stored_parts(self, rows: Sequence[ArticleRows]) -> list[StoredParts]:
        """:meth:`stored_articles` in plain values, for :func:`rebuild_articles` to finish: a fetch
        sends these to its tagging workers, which rebuild the articles themselves (tuples of
        strings pickle in C; articles need a Python hook per object, and building them cost the
        main process as much again)."""
        by_pmid = {r.article["pmid"]: r for r in rows}
        out: list[StoredParts] = []
        # The chunks load_articles reads by (CHUNK records, each ordered by PMID): the same order.
        for i in range(0, len(rows), CHUNK):
            chunk = sorted({r.article["pmid"] for r in rows[i : i + CHUNK]})  # as ORDER BY pmid gives them
            links = self._links(chunk)
            for pmid in chunk:
                r = by_pmid[pmid]
                out.append((
                    tuple(r.article[c] for c in _LOADED),
                    [(ui, descriptor, major, quals) for _, _, ui, descriptor, _, major, quals in r.mesh],
                    [(ui, name) for _, _, ui, name in r.pubtypes],
                    [(ui, name, reg, kind) for _, _, ui, name, reg, kind in r.chemicals],
                    links.get(pmid, []),
                ))
        return out

    def _links(self, pmids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        links: dict[str, list[tuple[str, str]]] = {}
        for pmid, nct, origin in self.db.execute(
            f"SELECT pmid, nct_id, origin FROM links WHERE pmid IN ({marks(pmids)}) ORDER BY pmid, nct_id, origin",
            list(pmids),
        ):
            links.setdefault(pmid, []).append((nct, origin))
        return links

    def load_studies(self, nct_ids: Sequence[str]) -> list[Study]:
        """Rebuild :class:`Study` records from the newest stored raw version of each trial."""
        # Imported here: commands that only read the cache (status, search, export) need no parser.
        from ketlit.sources.ctgov_parse import parse_study

        out = []
        for nct in nct_ids:
            row = self.db.execute(
                "SELECT raw FROM trial_versions WHERE nct_id = ? ORDER BY last_update_posted DESC, fetched_at DESC "
                "LIMIT 1", [nct],
            ).fetchone()
            if row is not None:
                out.append(parse_study(json.loads(zlib.decompress(row[0]))))
        return out


class FindingsStore:
    """Extracted numbers per record (see :mod:`ketlit.claims.numbers`), keyed like tags."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def save_findings(self, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
        """(source, record_id, rules_sha, content_sha, json) rows, replacing earlier extractions."""
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO findings (source, record_id, rules_sha256, content_sha256, data) "
                "VALUES (?, ?, ?, ?, ?)", rows,
            )

    def stale_findings(self, rules_sha: str, molecules: Sequence[str]) -> list[tuple[str, str]]:
        """``("pubmed", pmid)`` of cached articles tagged with one of ``molecules`` (the ones numbers
        are read for) whose numbers were read with other claim rules, from older content, or never:
        the tag state names only the tagging rules, so without this a change of claim rules would
        leave every check re-reading abstracts on demand."""
        rows = self.db.execute(
            # ``+source``: the molecule index drives, not a scan of every PubMed tag by primary key.
            "SELECT a.pmid FROM articles a JOIN (SELECT DISTINCT record_id FROM tags WHERE axis = 'molecule' "
            f"AND value IN ({marks(molecules)}) AND +source = 'pubmed') m ON m.record_id = a.pmid "
            "LEFT JOIN findings f ON f.source = 'pubmed' AND f.record_id = a.pmid "
            "WHERE f.record_id IS NULL OR f.rules_sha256 != ? OR f.content_sha256 != a.content_sha256 "
            "ORDER BY a.pmid", [*molecules, rules_sha],
        )
        return [("pubmed", str(pmid)) for (pmid,) in rows]

    def load_findings(self, rules_sha: str, keys: Iterable[tuple[str, str]] | None = None) -> dict[str, str]:
        """``{"source:id": json}`` for findings extracted with these rules from the current content:
        of every record, or (``keys``) of those records only, by primary key."""
        sql = ("SELECT f.source, f.record_id, f.data FROM findings f LEFT JOIN articles a ON f.source = 'pubmed' "
               "AND a.pmid = f.record_id WHERE f.rules_sha256 = ? AND (f.source != 'pubmed' "
               "OR a.content_sha256 = f.content_sha256)")
        if keys is None:
            return {f"{source}:{rid}": data for source, rid, data in self.db.execute(sql, [rules_sha])}
        out: dict[str, str] = {}
        by_source: dict[str, list[str]] = {}
        for source, rid in keys:
            by_source.setdefault(source, []).append(rid)
        for source, ids in sorted(by_source.items()):
            for chunk in chunks(ids):
                rows = self.db.execute(f"{sql} AND f.source = ? AND f.record_id IN ({marks(chunk)})",
                                       [rules_sha, source, *chunk])
                out.update((f"{s}:{rid}", data) for s, rid, data in rows)
        return out


# The ``articles`` columns a record is rebuilt from for tagging, in :func:`_rebuilt`'s order.
_LOADED = ("pmid", "record_type", "title", "abstract_sections", "abstract", "journal", "pub_year", "pub_date",
           "keywords", "citation_status", "languages")


def rebuild_articles(parts: Iterable[StoredParts]) -> list[Article]:
    """The articles :meth:`TagStore.stored_parts` describes (pure: runs in a tagging worker)."""
    return [
        _rebuilt(row, [_heading(*m) for m in mesh], pubtypes, [Chemical(*c) for c in chemicals], links)
        for row, mesh, pubtypes, chemicals, links in parts
    ]


def _heading(ui: str | None, descriptor: str, major: int, qualifiers: str | None) -> MeshHeading:
    return MeshHeading(ui, descriptor, bool(major), _qualifiers(qualifiers) if qualifiers else ())


@functools.lru_cache(maxsize=4096)
def _qualifiers(text: str) -> tuple[Qualifier, ...]:
    """The qualifiers a MeSH row's JSON lists. Decoding them was most of rebuilding a record, and the
    same few hundred lists recur across records ("therapeutic use", "drug effects"): each is decoded
    once, and its (frozen) qualifiers are shared, which also shrinks the pickles sent to workers."""
    return tuple(Qualifier(q[0], q[1], bool(q[2])) for q in json.loads(text))


def _rebuilt(row: Sequence[Any], mesh: list[MeshHeading], pubtypes: list[tuple[str | None, str]],
             chemicals: list[Chemical], links: list[tuple[str, str]]) -> Article:
    """An :class:`Article` for tagging from its stored column values (``_LOADED``) and child rows."""
    pmid, record_type, title, sections_json, abstract, journal, year, pub_date, kw, status, langs = row
    sections = (
        [AbstractSection(s[0], s[1], s[2]) for s in json.loads(sections_json)]
        if sections_json else ([AbstractSection(None, None, abstract)] if abstract else [])
    )
    article = Article(pmid=pmid, record_type=record_type, title=title, sections=sections,
                      journal=journal, citation_status=status)
    article.pub_date = PartialDate(year, raw=pub_date)
    article.keywords = json.loads(kw or "[]")
    article.languages = json.loads(langs or "[]")
    article.mesh = mesh
    article.publication_types = pubtypes
    article.chemicals = chemicals
    article.nct_links = links
    return article
