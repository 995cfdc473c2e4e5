"""Study profiles and their findings (derived data, see :mod:`ketlit.evidence`).

Like tags, profiles remember the rules and record content they were read from, so only new,
changed or re-ruled candidates are read again; ``study_findings`` repeats each profile's
findings as rows so researchers can query them in SQL or Datasette, and ``study_adverse_events``
its adverse-event rows, which is how a safety check picks its candidates (an index lookup, not
a decode of every profile).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ketlit.store.common import batches_keeping_order, chunks, marks

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """One profile to store: keys, the columns queries filter on, and the whole profile as JSON."""

    pmid: str
    rules_sha: str
    content_sha: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GroupingInput:
    """What trial grouping needs of one stored profile."""

    pmid: str
    title: str
    year: int | None
    n: int | None
    relation: str | None
    question: str
    nct_ids: tuple[str, ...]
    # Other registries' IDs and study acronyms (ketlit.evidence.groups.trial_keys).
    trial_keys: tuple[str, ...] = ()
    # The byline as "lastname i" (surname, first initial), lower case, in order; collective names left out.
    authors: tuple[str, ...] = ()
    # The profile's molecules, conditions and designs (what a secondary report must share with its main report).
    molecules: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    designs: tuple[str, ...] = ()


class ProfileStore:
    """The ``study_profiles`` and ``study_findings`` tables."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def stale_profiles(self, rules_sha: str, molecules: Sequence[str], *, everything: bool = False) -> list[str]:
        """PMIDs tagged with one of ``molecules`` whose profile is missing, re-ruled or out of date (or all)."""
        marks = ",".join("?" * len(molecules))
        stale = "1" if everything else "p.pmid IS NULL OR p.rules_sha256 != ? OR p.content_sha256 != a.content_sha256"
        rows = self.db.execute(
            "SELECT DISTINCT a.pmid FROM articles a JOIN tags t ON t.source = 'pubmed' AND t.record_id = a.pmid "
            f"AND t.axis = 'molecule' AND t.value IN ({marks}) "
            "LEFT JOIN study_profiles p ON p.pmid = a.pmid "
            f"WHERE {stale} ORDER BY a.pmid",
            [*molecules] if everything else [*molecules, rules_sha],
        ).fetchall()
        return [r[0] for r in rows]

    def drop_non_candidates(self, molecules: Sequence[str]) -> int:
        """Delete profiles of records no longer tagged with a configured molecule (or deleted)."""
        marks = ",".join("?" * len(molecules))
        keep = f"SELECT record_id FROM tags WHERE source = 'pubmed' AND axis = 'molecule' AND value IN ({marks})"
        with self.db.atomic():
            self.db.execute(f"DELETE FROM study_findings WHERE pmid NOT IN ({keep})", list(molecules))
            self.db.execute(f"DELETE FROM study_adverse_events WHERE pmid NOT IN ({keep})", list(molecules))
            cur = self.db.execute(f"DELETE FROM study_profiles WHERE pmid NOT IN ({keep})", list(molecules))
        return int(cur.rowcount or 0)

    def save_profiles(self, rows: Iterable[ProfileRow]) -> int:
        """Replace the profiles (and their finding rows) of the given records; returns how many.

        One statement of each kind for the whole batch, in the order the records come (a batch
        naming a record twice is written record by record, so the later one wins as before)."""
        rows = list(rows)
        with self.db.atomic():
            for batch in batches_keeping_order(rows, lambda row: row.pmid):
                self._save(batch)
        return len(rows)

    def _save(self, rows: Sequence[ProfileRow]) -> None:
        conn = self.db.conn
        pmids = [(row.pmid,) for row in rows]
        conn.executemany("DELETE FROM study_findings WHERE pmid = ?", pmids)
        conn.executemany("DELETE FROM study_adverse_events WHERE pmid = ?", pmids)
        conn.executemany(
            "INSERT OR REPLACE INTO study_profiles (pmid, rules_sha256, content_sha256, question, readable, "
            "relation, n, group_id, group_main, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [
                (row.pmid, row.rules_sha, row.content_sha, row.data["question"]["value"],
                 int(bool(row.data["readable"])), row.data["relation"], row.data["n"], row.pmid,
                 json.dumps(row.data, sort_keys=True, ensure_ascii=False))
                for row in rows
            ],
        )
        conn.executemany(
            "INSERT INTO study_findings (pmid, position, sentence, direction, favours, outcome, outcome_kind, "
            "comparator, comparator_kind, measure, value, ci_low, ci_high, p, certainty) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_finding_row(row.pmid, i, f) for row in rows for i, f in enumerate(row.data["findings"])],
        )
        conn.executemany(
            "INSERT INTO study_adverse_events (pmid, position, sentence, event, presence) VALUES (?, ?, ?, ?, ?)",
            [(row.pmid, i, a.get("s"), a["event"], a.get("presence"))
             for row in rows for i, a in enumerate(row.data.get("adverse_events") or [])],
        )

    def reporting_adverse_events(self, pmids: Sequence[str]) -> set[str]:
        """Those of ``pmids`` whose stored profile reports an adverse event (present or absent) in
        its results or conclusions: the safety candidates among profiled records (index lookups)."""
        out: set[str] = set()
        for chunk in chunks(pmids):
            out.update(r[0] for r in self.db.execute(
                f"SELECT DISTINCT pmid FROM study_adverse_events WHERE pmid IN ({marks(chunk)})", chunk))
        return out

    def grouping_inputs(self) -> list[GroupingInput]:
        """Every stored profile with the fields trial grouping compares, in PMID order."""
        out = []
        # Bylines in author order, read in one ordered pass: SQLite does not promise the order of a
        # group_concat over an ordered subquery, and the first and last author are what a team is known by.
        bylines: dict[str, list[str]] = {}
        for pmid, name in self.db.execute(
            "SELECT x.pmid, lower(x.last_name) || ' ' || "
            "lower(substr(coalesce(nullif(x.initials, ''), x.fore_name, ''), 1, 1)) "
            "FROM article_authors x JOIN study_profiles p ON p.pmid = x.pmid WHERE x.last_name IS NOT NULL "
            "ORDER BY x.pmid, x.position"
        ):
            bylines.setdefault(pmid, []).append(name)
        # Only the fields of each profile's JSON that grouping reads, extracted by SQLite: decoding every whole
        # profile here was half of this, and it runs over the whole cache after every fetch that read one.
        for pmid, title, year, n, relation, question, ncts, others, molecules, conditions, designs in self.db.execute(
            "SELECT p.pmid, a.title, a.pub_year, p.n, p.relation, p.question, json_extract(p.data, '$.nct_ids'), "
            "json_extract(p.data, '$.trial_keys'), json_extract(p.data, '$.molecules'), "
            "json_extract(p.data, '$.conditions'), json_extract(p.data, '$.designs') "
            "FROM study_profiles p JOIN articles a ON a.pmid = p.pmid ORDER BY CAST(p.pmid AS INTEGER)"
        ):
            out.append(
                GroupingInput(
                    pmid, title, year, n, relation, question, _json_tuple(ncts), _json_tuple(others),
                    tuple(bylines.get(pmid, ())), _json_tuple(molecules), _json_tuple(conditions),
                    _json_tuple(designs),
                )
            )
        return out

    def set_groups(self, groups: Sequence[tuple[str, str, bool]]) -> None:
        """(pmid, group_id, is_main) for every profile."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE study_profiles SET group_id = ?, group_main = ? WHERE pmid = ?",
                [(g, int(main), pmid) for pmid, g, main in groups],
            )

    def group_count(self) -> int:
        """How many trial groups the stored profiles form."""
        return int(self.db.execute("SELECT COUNT(DISTINCT group_id) FROM study_profiles").fetchone()[0])

    def profile(self, pmid: str) -> dict[str, Any] | None:
        """One stored profile with its group, or None."""
        row = self.db.execute(
            "SELECT data, group_id, group_main, rules_sha256 FROM study_profiles WHERE pmid = ?", [pmid]
        ).fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        members = [
            r[0]
            for r in self.db.execute(
                "SELECT pmid FROM study_profiles WHERE group_id = ? ORDER BY CAST(pmid AS INTEGER)", [row[1]]
            )
        ]
        data["group"] = {"id": row[1], "main": bool(row[2]), "members": members}
        data["rules_sha256"] = row[3]
        return data

    def profiles(self, pmids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored profiles of many records (those that have one)."""
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(pmids), 500):
            chunk = list(pmids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for pmid, data, group_id, main in self.db.execute(
                f"SELECT pmid, data, group_id, group_main FROM study_profiles WHERE pmid IN ({marks})", chunk
            ):
                d = json.loads(data)
                d["group"] = {"id": group_id, "main": bool(main)}
                out[pmid] = d
        return out


def _json_tuple(text: str | None) -> tuple[str, ...]:
    """A JSON list of strings extracted by SQLite, as a tuple (``()`` for NULL)."""
    return tuple(json.loads(text)) if text is not None and text != "[]" else ()


def _finding_row(pmid: str, position: int, f: dict[str, Any]) -> tuple[Any, ...]:
    """A ``study_findings`` row of one finding of a profile."""
    effect = f.get("effect") or {}
    return (pmid, position, f["s"], f["direction"], f["favours"], f["outcome"], f["outcome_kind"], f["comparator"],
            f["comparator_kind"], effect.get("measure"), effect.get("value"), *(effect.get("ci") or (None, None)),
            f.get("p"), f.get("certainty"))
