"""``ketlit import FILE``, the whole command, against an lxml + sqlite-utils + FTS floor.

    python bench/ingest.py [--records N] [--no-check] [--keep DIR]

The replay corpus (``../shared/data/replay/pubmed``: 1,583 PubmedArticle records) is
replicated to ``--records`` records, each replica with new, unique PMIDs (rewritten in
``MedlineCitation/PMID`` and the record's own ``ArticleId IdType="pubmed"``), and written to a
temporary directory (never the repo) as one PubMed XML file.

- **ketlit import** (the target): ``python -m ketlit --db NEW import FILE`` in a fresh
  subprocess (this checkout's ``src``), timed from start to exit: everything the command does,
  i.e. the streamed parse in worker processes, the writes, and the tagging that follows every
  import (tags for every record; numbers and study profiles for the records that can be
  evidence for the configured drug). Peak RSS is the largest process of the command's tree
  (``ru_maxrss`` from ``os.wait4``, which covers the workers it waited for).
- **floor**, in one process of its own, on the same file: ``lxml.etree.iterparse`` over the
  records, taking PMID, title, abstract text and MeSH descriptors of each, and
  ``sqlite-utils`` ``insert_all`` into an ``articles`` table with an FTS5 index (triggers, as
  ``enable_fts(create_triggers=True)`` makes them) in batches of 500. That is the least any
  tool must do to make these records searchable.

Prints both, their ratio and the command's own account of its steps; exits 1 when a target is
missed (import <= 2x the floor, peak RSS < 300 MB) unless ``--no-check``, and 2 when a run
fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# ../shared/data next to the repository, as in tests/conftest.py.
REPLAY = Path(__file__).resolve().parents[2] / "shared" / "data" / "replay" / "pubmed"
CORPUS = ("psynamic_all.xml", "meta-harness_efetch_esketamine_trd_3records.xml")
PAGE_SIZE = 500
TARGET_RATIO = 2.0
TARGET_RSS_MB = 300.0
ROOT = Path(__file__).resolve().parents[1]
# Far above any real PMID (~40 million today), so replicas never collide with real records.
PMID_BASE = 900_000_000

_RECORD = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
_OWN_PMID = re.compile(rb"(<MedlineCitation[^>]*>\s*<PMID[^>]*>)(\d+)(</PMID>)")
_HEAD = re.compile(rb"^(.*?)<PubmedArticleSet>", re.S)


def load_records() -> tuple[bytes, list[tuple[str, bytes]]]:
    """The corpus as (XML prolog, [(pmid, record bytes)]), in file order."""
    prolog = b""
    records: list[tuple[str, bytes]] = []
    for name in CORPUS:
        if not (REPLAY / name).is_file():
            raise SystemExit(f"replay corpus not found: {REPLAY / name}")
        data = (REPLAY / name).read_bytes()
        head = _HEAD.match(data)
        if head is None:
            raise SystemExit(f"{name}: not a PubmedArticleSet")
        prolog = prolog or head.group(1)
        for match in _RECORD.finditer(data):
            record = match.group(0)
            own = _OWN_PMID.search(record)
            if own is None:
                raise SystemExit(f"{name}: record without MedlineCitation/PMID")
            records.append((own.group(2).decode(), record))
    return prolog, records


def replicate(prolog: bytes, records: list[tuple[str, bytes]], total: int) -> Iterator[list[bytes]]:
    """The records of each page of PAGE_SIZE. The first copy of a record keeps its real PMID;
    later copies (and a record whose PMID is already taken: the esketamine file overlaps
    PsyNamic) get new ones."""
    page: list[bytes] = []
    seen: set[str] = set()
    for serial in range(total):
        pmid, record = records[serial % len(records)]
        if pmid in seen:
            new = str(PMID_BASE + serial).encode()
            record = _OWN_PMID.sub(rb"\g<1>" + new + rb"\g<3>", record, count=1)
            record = record.replace(
                b'<ArticleId IdType="pubmed">' + pmid.encode() + b"</ArticleId>",
                b'<ArticleId IdType="pubmed">' + new + b"</ArticleId>",
            )
        else:
            seen.add(pmid)
        page.append(record)
        if len(page) == PAGE_SIZE or serial == total - 1:
            yield page
            page = []


def document(prolog: bytes, records: list[bytes]) -> bytes:
    """A PubmedArticleSet document of ``records``."""
    return prolog + b"<PubmedArticleSet>\n" + b"\n".join(records) + b"\n</PubmedArticleSet>\n"


def store_query_run(store: Any, term: str, documents: Iterable[bytes]) -> int:
    """Store EFetch ``documents`` as one complete PubMed run of the query ``term``, as a fetch would
    (the benches that need a cache a query's report reads use this); returns the articles stored."""
    from ketlit.sources.pubmed_parse import parse_pubmed_xml
    from ketlit.store.runs import query_key

    key = query_key(term, None, None)
    run = store.start_run("pubmed", key, term, {}, "full", None)
    for body in documents:
        store.save_page(run_id=run, source="pubmed", endpoint="efetch", request={}, content_type="text/xml",
                        body=body, articles=parse_pubmed_xml(body), query_key=key)
    stored = int(store.db.execute("SELECT count(*) FROM articles").fetchone()[0])
    store.finish_run(run, status="complete", expected=stored, retrieved=stored, new_records=stored,
                     updated_records=0, missing_ids=[], requests=0, retries=0, duration_s=0.0,
                     watermark="2026-01-01T00:00:00Z")
    return stored




def run_floor(path: Path, db_path: Path) -> dict[str, Any]:
    """lxml iterparse + sqlite-utils insert into an FTS5-indexed table, in this (fresh) process."""
    import sqlite_utils
    from lxml import etree

    clock = time.perf_counter()
    db = sqlite_utils.Database(db_path)
    table = db["articles"]
    table.create({"pmid": str, "title": str, "abstract": str, "mesh": str}, pk="pmid")
    table.enable_fts(["title", "abstract"], create_triggers=True)
    batch: list[dict[str, Any]] = []
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="PubmedArticle"):
        citation = element.find("MedlineCitation")
        article = citation.find("Article")
        batch.append({
            "pmid": citation.findtext("PMID"),
            "title": "".join(article.find("ArticleTitle").itertext()) if article.find("ArticleTitle") is not None
            else None,
            "abstract": " ".join("".join(a.itertext()) for a in article.iterfind("Abstract/AbstractText")),
            "mesh": json.dumps([d.text for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]),
        })
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
        if len(batch) == PAGE_SIZE:
            table.insert_all(batch)
            count += len(batch)
            batch = []
    if batch:
        table.insert_all(batch)
        count += len(batch)
    fts = int(db.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0])
    db.close()
    return {"seconds": time.perf_counter() - clock, "records": count, "fts_docs": fts,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def build_note(src: Path) -> str:
    """What ``ketlit --version`` of ``src`` says: whether its reader runs compiled (mypyc) or on the sources."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    run = subprocess.run([sys.executable, "-m", "ketlit", "--version"], env=env, capture_output=True, text=True)
    return run.stdout.strip() or run.stderr.strip()[-200:]


def run_import(path: Path, db_path: Path, src: Path) -> dict[str, Any]:
    """``python -m ketlit --db DB import FILE``: wall time, peak RSS of its process tree, its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETLIT_")}
    env["PYTHONPATH"] = str(src)
    log = path.with_suffix(".log")
    with open(log, "wb") as output:
        clock = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "ketlit", "--db", str(db_path), "import", str(path)],
                                 cwd=path.parent, env=env, stdout=output, stderr=subprocess.STDOUT)
        # wait4: this child's own rusage, whose ru_maxrss covers the workers it waited for (Linux).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - clock
    text = log.read_text(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ketlit import failed: {text[-2000:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "output": text.strip().splitlines()}


def _counts(db_path: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(db_path)

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    try:
        return {
            "articles": count("SELECT count(*) FROM articles"),
            "fts_docs": count("SELECT count(*) FROM articles_fts_docsize"),
            "tagged": count("SELECT count(*) FROM tag_state"),
            "findings": count("SELECT count(*) FROM findings"),
            "profiles": count("SELECT count(*) FROM study_profiles"),
        }
    finally:
        conn.close()


def _child(*args: str) -> dict[str, Any] | None:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"floor run failed:\n{done.stderr}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def write_file(path: Path, total: int) -> int:
    prolog, records = load_records()
    with open(path, "wb") as whole:
        whole.write(prolog + b"<PubmedArticleSet>\n")
        for page in replicate(prolog, records, total):
            whole.write(b"\n".join(page) + b"\n")
        whole.write(b"</PubmedArticleSet>\n")
    return len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records to import (default 20000)")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the ketlit source tree to time")
    parser.add_argument("--no-check", action="store_true", help="only print; never exit non-zero for a target")
    parser.add_argument("--floor-child", nargs=2, metavar=("FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_child:
        print(json.dumps(run_floor(Path(args.floor_child[0]), Path(args.floor_child[1]))))
        return 0
    if args.records < 1:
        parser.error("--records must be positive")
    n = args.records
    with tempfile.TemporaryDirectory(prefix="ketlit-bench-") as tmp:
        xml = Path(tmp) / "import.xml"
        corpus = write_file(xml, n)
        print(f"corpus: {corpus:,} replay records replicated to {n:,} (one {xml.stat().st_size / 1e6:.0f} MB file)",
              flush=True)
        floor = _child("--floor-child", str(xml), str(Path(tmp) / "floor.db"))
        if floor is None:
            return 2
        ours = run_import(xml, Path(tmp) / "ketlit.db", args.src.resolve())
        counts = _counts(Path(tmp) / "ketlit.db")
        db_mb = (Path(tmp) / "ketlit.db").stat().st_size / 1e6
    if floor["records"] != n or floor["fts_docs"] != n or counts["articles"] != n or counts["fts_docs"] != n \
            or counts["tagged"] != n:
        print(f"results do not add up: floor {floor}, ketlit {counts}", file=sys.stderr)
        return 2
    ratio = ours["seconds"] / floor["seconds"]
    print(f"{'':44} {'seconds':>8} {'records/s':>10} {'peak MB':>8}")
    print(f"{'floor: lxml iterparse + sqlite-utils + FTS5':44} {floor['seconds']:8.2f} {n / floor['seconds']:10,.0f} "
          f"{floor['rss_mb']:8.0f}")
    print(f"{'ketlit import FILE (the whole command)':44} {ours['seconds']:8.2f} {n / ours['seconds']:10,.0f} "
          f"{ours['rss_mb']:8.0f}")
    print(f"ratio to the floor: {ratio:.2f}x; database {db_mb:.0f} MB: {counts['articles']:,} articles, "
          f"{counts['fts_docs']:,} FTS documents, {counts['tagged']:,} tagged, {counts['findings']:,} with numbers, "
          f"{counts['profiles']:,} study profiles")
    for line in ours["output"]:
        print(f"  ketlit: {line}")
    print(f"  build: {build_note(args.src.resolve())}")
    missed = []
    if ratio > TARGET_RATIO:
        missed.append(f"import {ratio:.2f}x the floor > {TARGET_RATIO:.0f}x")
    if ours["rss_mb"] >= TARGET_RSS_MB:
        missed.append(f"peak RSS {ours['rss_mb']:.0f} MB >= {TARGET_RSS_MB:.0f} MB")
    print("targets MISSED: " + "; ".join(missed) if missed else
          f"targets met: import <= {TARGET_RATIO:.0f}x the floor, peak RSS < {TARGET_RSS_MB:.0f} MB")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
