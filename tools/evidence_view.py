"""Print records for labelling: title, types, MeSH, NCT links and numbered abstract sentences.

    python tools/evidence_view.py /tmp/lab.db 24740528 31230464 ...
    python tools/evidence_view.py /tmp/lab.db --file labels/evidence/sample.txt --from 0 --to 50

Sentence numbers are :func:`ketlit.evidence.sentences.abstract_sentences` indices, the key the
labels use. Reads the cache with plain sqlite3: this is a labelling aid, not part of ketlit.
"""

from __future__ import annotations

import argparse
import json
import sqlite3

from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection


def show(con: sqlite3.Connection, pmid: str) -> str:
    row = con.execute(
        "SELECT title, pub_year, abstract_sections, databanks FROM articles WHERE pmid = ?", (pmid,)
    ).fetchone()
    if row is None:
        return f"=== {pmid}: not in the cache\n"
    title, year, sections_json, databanks = row
    types = [r[0] for r in con.execute("SELECT name FROM article_pubtypes WHERE pmid = ? ORDER BY position", (pmid,))]
    mesh = [r[0] for r in con.execute("SELECT descriptor FROM article_mesh WHERE pmid = ? ORDER BY position", (pmid,))]
    sections = [AbstractSection(label, category, text) for label, category, text in json.loads(sections_json or "[]")]
    lines = [f"=== PMID {pmid} ({year}) {title}", f"types: {'; '.join(types)}", f"mesh: {'; '.join(mesh[:25])}"]
    if databanks and databanks != "[]":
        lines.append(f"databanks: {databanks}")
    for s in abstract_sentences(sections):
        label = f"[{s.label}] " if s.label else ""
        lines.append(f"  s{s.index}: {label}{s.text}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("pmids", nargs="*")
    ap.add_argument("--file")
    ap.add_argument("--from", dest="start", type=int, default=0)
    ap.add_argument("--to", dest="end", type=int, default=10**9)
    a = ap.parse_args()
    pmids = list(a.pmids)
    if a.file:
        with open(a.file) as fh:
            pmids += [line.strip() for line in fh if line.strip()][a.start : a.end]
    con = sqlite3.connect(a.db)
    for pmid in pmids:
        print(show(con, pmid))


if __name__ == "__main__":
    main()
