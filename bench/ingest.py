"""Ingest throughput: ``ketlit import`` (parse + store) versus Biopython's parse alone.

    python bench/ingest.py [--records N] [--workers N] [--no-check]

The replay corpus (``../shared/data/replay/pubmed``: 1,583 PubmedArticle records) is
replicated to ``--records`` records, each replica with new, unique PMIDs (rewritten in
``MedlineCitation/PMID`` and the record's own ``ArticleId IdType="pubmed"``), written to a
temporary directory (never the repo) twice: as one PubMed XML file, and cut into
EFetch-sized pages of 500 records.

- **ketlit import** (the target): ``ingest.import_file`` on the one file into a new SQLite
  file from ``open_store``, timed from the call to its return, in a fresh subprocess. That
  is ``ketlit import FILE`` without the tagging step that the CLI runs afterwards: the file
  is streamed and cut into pages, worker processes parse them and build the rows, the main
  process writes each page (raw page, articles + FTS triggers, child, run and query
  records) in its own transaction. Peak RSS is the main process's plus its largest
  worker's (``ru_maxrss`` of self and of children), since they run at the same time.
- **ketlit fetch path** (for reference, not a target): per page, in one process,
  ``parse_pubmed_xml(page)`` then ``Store.save_page(...)``, which is what ``ketlit fetch``
  does with each EFetch response (network time aside). Its content hash must equal the
  import's: same records, same stored content.
- **Biopython** ``Entrez.read`` parses the same pages in this process, one page at a time
  (whole-file ``Entrez.read`` would hold every record as Python objects at once and run
  slower), and the page times are summed. It is the reference because it is what most
  PubMed tools use.

Prints a table; exits 1 when a target is missed (import >= 3x Biopython's records/s, peak
RSS < 300 MB) unless ``--no-check``, and 2 when the run itself fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# ../shared/data next to the repository, as in tests/conftest.py.
REPLAY = Path(__file__).resolve().parents[2] / "shared" / "data" / "replay" / "pubmed"
CORPUS = ("psynamic_all.xml", "meta-harness_efetch_esketamine_trd_3records.xml")
PAGE_SIZE = 500
TARGET_RATIO = 3.0
TARGET_RSS_MB = 300.0
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


def _counts(store: Any) -> dict[str, Any]:
    def count(sql: str) -> int:
        return int(store.db.execute(sql).fetchone()[0])

    return {
        "articles": count("SELECT count(*) FROM articles"),
        # One docsize row per document the FTS triggers indexed (counting articles_fts itself
        # would count the external content table, i.e. articles).
        "fts_docs": count("SELECT count(*) FROM articles_fts_docsize"),
        "mesh_rows": count("SELECT count(*) FROM article_mesh"),
        "raw_pages": count("SELECT count(*) FROM raw_pages"),
        "run_records": count("SELECT count(*) FROM run_records"),
        "content_hash": store.content_hash(),
    }


def run_import(path: Path, db_path: Path, workers: int | None) -> dict[str, Any]:
    """``import_file`` in this (fresh) process, timed; CPU and peak RSS of this process and its workers."""
    from ketlit.jobs.ingest import import_file
    from ketlit.store.core import open_store

    store = open_store(db_path)
    t0, c0 = time.perf_counter(), time.process_time()
    report = import_file(store, path, workers=workers)
    seconds, main_cpu = time.perf_counter() - t0, time.process_time() - c0
    # Linux reports ru_maxrss in KiB; read it before the checks below touch more pages.
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "records": report.records,
        "new": report.new,
        "seconds": seconds,
        "main_cpu_s": main_cpu,
        "worker_cpu_s": children.ru_utime + children.ru_stime,
        "main_rss_mb": me.ru_maxrss / 1024,
        "worker_rss_mb": children.ru_maxrss / 1024,
        **_counts(store),
    }
    store.close()
    result["db_mb"] = db_path.stat().st_size / 1e6
    return result


def run_pages(page_dir: Path, db_path: Path) -> dict[str, Any]:
    """The fetch path in this (fresh) process: parse + store every page, timed."""
    from ketlit.sources.pubmed_parse import parse_pubmed_xml
    from ketlit.store.core import open_store

    store = open_store(db_path)
    run_id = store.start_run("pubmed", "bench", "bench", {}, "full", None)
    parse_s = store_s = 0.0
    records = new = 0
    for path in sorted(page_dir.glob("page_*.xml")):
        body = path.read_bytes()  # the page "arrives"; network time is not ours to measure
        t0 = time.perf_counter()
        articles = parse_pubmed_xml(body)
        t1 = time.perf_counter()
        saved = store.save_page(
            run_id=run_id,
            source="pubmed",
            endpoint="efetch",
            request={"db": "pubmed", "id": f"{articles[0].pmid}..{articles[-1].pmid} ({len(articles)} ids)"},
            content_type="text/xml",
            body=body,
            articles=articles,
            query_key="bench",
        )
        t2 = time.perf_counter()
        parse_s += t1 - t0
        store_s += t2 - t1
        records += len(articles)
        new += saved.new
        del body, articles
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"records": records, "new": new, "parse_s": parse_s, "store_s": store_s, "rss_mb": peak_rss_mb,
              **_counts(store)}
    store.close()
    return result


def run_biopython(page_dir: Path) -> tuple[float, int]:
    """Biopython ``Entrez.read`` (default arguments) on every page; summed seconds and records."""
    from Bio import Entrez

    seconds = 0.0
    records = 0
    for path in sorted(page_dir.glob("page_*.xml")):
        body = path.read_bytes()
        t0 = time.perf_counter()
        result = Entrez.read(io.BytesIO(body))
        seconds += time.perf_counter() - t0
        records += len(result["PubmedArticle"]) + len(result["PubmedBookArticle"])
        del result
    return seconds, records


def _child(*args: str) -> dict[str, Any] | None:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"ketlit run failed:\n{done.stderr}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records to ingest (default 20000)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the import (default: ketlit's own choice; 0 = none)")
    parser.add_argument("--no-check", action="store_true", help="only print; never exit non-zero for a target")
    parser.add_argument("--import-child", nargs=3, metavar=("FILE", "DB", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument("--pages-child", nargs=2, metavar=("PAGE_DIR", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_child:
        path, db, workers = args.import_child
        print(json.dumps(run_import(Path(path), Path(db), None if workers == "auto" else int(workers))))
        return 0
    if args.pages_child:
        print(json.dumps(run_pages(Path(args.pages_child[0]), Path(args.pages_child[1]))))
        return 0
    if args.records < 1:
        parser.error("--records must be positive")

    prolog, records = load_records()
    with tempfile.TemporaryDirectory(prefix="ketlit-bench-") as tmp:
        page_dir = Path(tmp) / "pages"
        page_dir.mkdir()
        pages = 0
        with open(Path(tmp) / "import.xml", "wb") as whole:
            whole.write(prolog + b"<PubmedArticleSet>\n")
            for page in replicate(prolog, records, args.records):
                (page_dir / f"page_{pages:05d}.xml").write_bytes(document(prolog, page))
                whole.write(b"\n".join(page) + b"\n")
                pages += 1
            whole.write(b"</PubmedArticleSet>\n")
        file_mb = (Path(tmp) / "import.xml").stat().st_size / 1e6
        print(
            f"corpus: {len(records):,} replay records replicated to {args.records:,} "
            f"(one {file_mb:.0f} MB file; the same as {pages} pages of <= {PAGE_SIZE} records)",
            flush=True,
        )
        workers = "auto" if args.workers is None else str(args.workers)
        ours = _child("--import-child", str(Path(tmp) / "import.xml"), str(Path(tmp) / "import.db"), workers)
        paged = _child("--pages-child", str(page_dir), str(Path(tmp) / "pages.db"))
        if ours is None or paged is None:
            return 2
        bio_s, bio_records = run_biopython(page_dir)

    n = args.records
    stored = (ours["records"], ours["new"], ours["articles"], ours["fts_docs"], ours["raw_pages"])
    if (
        stored != (n, n, n, n, pages)
        or (paged["records"], paged["articles"], paged["fts_docs"]) != (n, n, n)
        or paged["content_hash"] != ours["content_hash"]
        or bio_records != n
    ):
        print(f"results do not add up: import {ours}, fetch path {paged}, Biopython {bio_records}", file=sys.stderr)
        return 2
    ratio = bio_s / ours["seconds"]
    paged_s = paged["parse_s"] + paged["store_s"]
    rows = [
        ("Biopython Entrez.read (parse only)", bio_s),
        ("ketlit import (parse + store)", ours["seconds"]),
        ("  main process CPU (writes)", ours["main_cpu_s"]),
        ("  worker processes CPU (parse, rows)", ours["worker_cpu_s"]),
        ("fetch path, 1 process: parse", paged["parse_s"]),
        ("fetch path, 1 process: store", paged["store_s"]),
        ("fetch path, 1 process: parse + store", paged_s),
    ]
    print(f"{'':38} {'seconds':>8} {'records/s':>10} {'vs Biopython':>13}")
    for label, seconds in rows:
        print(f"{label:38} {seconds:8.2f} {n / seconds:10,.0f} {bio_s / seconds:12.2f}x")
    rss = ours["main_rss_mb"] + ours["worker_rss_mb"]
    print(
        f"ketlit import peak RSS {rss:.0f} MB (main {ours['main_rss_mb']:.0f} + worker {ours['worker_rss_mb']:.0f}); "
        f"fetch path {paged['rss_mb']:.0f} MB"
    )
    print(
        f"database {ours['db_mb']:.0f} MB: {ours['articles']:,} articles, {ours['fts_docs']:,} FTS documents, "
        f"{ours['mesh_rows']:,} MeSH rows, {ours['raw_pages']} raw pages, {ours['run_records']:,} run records; "
        f"content hash {ours['content_hash'][:12]} (same for import and fetch path)"
    )
    # What this machine allows, from this run's own CPU times: one SQLite writer cannot go
    # faster than its own CPU time, and all processes together cannot use more than the cores.
    cores = os.cpu_count() or 1
    total_cpu = ours["main_cpu_s"] + ours["worker_cpu_s"]
    bound_s = max(ours["main_cpu_s"], total_cpu / cores)
    print(
        f"bound on this machine ({cores} cores): writer CPU {ours['main_cpu_s']:.2f} s, all CPU {total_cpu:.2f} s "
        f"-> at least {bound_s:.2f} s of wall time, at most {bio_s / bound_s:.2f}x Biopython "
        f"(the writer alone: {bio_s / ours['main_cpu_s']:.2f}x)"
    )
    missed = []
    if ratio < TARGET_RATIO:
        missed.append(f"import {ratio:.2f}x Biopython < {TARGET_RATIO:.0f}x")
    if max(rss, paged["rss_mb"]) >= TARGET_RSS_MB:
        missed.append(f"peak RSS {max(rss, paged['rss_mb']):.0f} MB >= {TARGET_RSS_MB:.0f} MB")
    if missed:
        print("targets MISSED: " + "; ".join(missed))
    else:
        print(f"targets met: import >= {TARGET_RATIO:.0f}x Biopython, peak RSS < {TARGET_RSS_MB:.0f} MB")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
