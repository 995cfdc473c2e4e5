"""Ingest throughput: ketlit parse + store versus Biopython's parse alone.

    python bench/ingest.py [--records N] [--no-check]

The replay corpus (``../shared/data/replay/pubmed``: 1,583 PubmedArticle records) is
replicated to ``--records`` records, each replica with new, unique PMIDs (rewritten in
``MedlineCitation/PMID`` and the record's own ``ArticleId IdType="pubmed"``), and cut into
EFetch-sized pages of 500 records, written to a temporary directory (never the repo).

- **ketlit** runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own and not
  Biopython's or the page builder's. Per page it does what a real fetch does: read the
  page (as if it had just arrived) → ``parse_pubmed_xml`` → ``Store.save_page`` into a new
  SQLite file from ``open_store`` (raw page compressed and stored, FTS triggers, child
  tables, run and query records).
- **Biopython** ``Entrez.read`` parses the same pages in this process, one page at a time
  (whole-corpus ``Entrez.read`` would hold every record as Python objects at once), and the
  page times are summed. It is the reference because it is what most PubMed tools use.

Prints a table; exits 1 when a target is missed (parse + store >= 3x Biopython's records/s,
peak RSS < 300 MB) unless ``--no-check``, and 2 when the run itself fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
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


def replicate(prolog: bytes, records: list[tuple[str, bytes]], total: int) -> Iterator[bytes]:
    """Pages of PAGE_SIZE records. The first copy of a record keeps its real PMID; later copies
    (and a record whose PMID is already taken: the esketamine file overlaps PsyNamic) get new ones."""
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
            yield prolog + b"<PubmedArticleSet>\n" + b"\n".join(page) + b"\n</PubmedArticleSet>\n"
            page = []


def run_ketlit(page_dir: Path, db_path: Path) -> dict[str, Any]:
    """The ketlit side, in this (fresh) process: parse + store every page, timed."""
    from ketlit.sources.pubmed_parse import parse_pubmed_xml
    from ketlit.store import open_store

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
    # Linux reports ru_maxrss in KiB; read it before the checks below touch more pages.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def count(sql: str) -> int:
        return int(store.db.execute(sql).fetchone()[0])

    result = {
        "records": records,
        "new": new,
        "parse_s": parse_s,
        "store_s": store_s,
        "peak_rss_mb": peak_rss_mb,
        "articles": count("SELECT count(*) FROM articles"),
        # One docsize row per document the FTS trigger indexed (counting articles_fts itself
        # would count the external content table, i.e. articles).
        "fts_docs": count("SELECT count(*) FROM articles_fts_docsize"),
        "mesh_rows": count("SELECT count(*) FROM article_mesh"),
        "raw_pages": count("SELECT count(*) FROM raw_pages"),
    }
    store.close()
    result["db_mb"] = db_path.stat().st_size / 1e6
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records to ingest (default 20000)")
    parser.add_argument("--no-check", action="store_true", help="only print; never exit non-zero for a target")
    parser.add_argument("--worker", nargs=2, metavar=("PAGE_DIR", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_ketlit(Path(args.worker[0]), Path(args.worker[1]))))
        return 0
    if args.records < 1:
        parser.error("--records must be positive")

    prolog, records = load_records()
    with tempfile.TemporaryDirectory(prefix="ketlit-bench-") as tmp:
        page_dir = Path(tmp) / "pages"
        page_dir.mkdir()
        pages = 0
        for page in replicate(prolog, records, args.records):
            (page_dir / f"page_{pages:05d}.xml").write_bytes(page)
            pages += 1
        corpus_mb = sum(p.stat().st_size for p in page_dir.iterdir()) / 1e6
        print(
            f"corpus: {len(records):,} replay records replicated to {args.records:,} "
            f"({pages} pages of <= {PAGE_SIZE} records, {corpus_mb:.0f} MB)",
            flush=True,
        )
        worker = subprocess.run(
            [sys.executable, __file__, "--worker", str(page_dir), str(Path(tmp) / "bench.db")],
            capture_output=True,
            text=True,
        )
        if worker.returncode != 0:
            print(f"ketlit ingest failed:\n{worker.stderr}", file=sys.stderr)
            return 2
        ours = json.loads(worker.stdout)
        bio_s, bio_records = run_biopython(page_dir)

    n = args.records
    stored = (ours["records"], ours["new"], ours["articles"], ours["fts_docs"])
    if stored != (n, n, n, n) or ours["raw_pages"] != pages or bio_records != n:
        print(f"record counts do not add up: ketlit {ours}, Biopython {bio_records}", file=sys.stderr)
        return 2
    ours_s = ours["parse_s"] + ours["store_s"]
    ratio = bio_s / ours_s
    rows = [
        ("Biopython Entrez.read (parse only)", bio_s),
        ("ketlit parse (parse_pubmed_xml)", ours["parse_s"]),
        ("ketlit store (Store.save_page)", ours["store_s"]),
        ("ketlit parse + store", ours_s),
    ]
    print(f"{'':36} {'seconds':>8} {'records/s':>10} {'vs Biopython':>13}")
    for label, seconds in rows:
        print(f"{label:36} {seconds:8.2f} {n / seconds:10,.0f} {bio_s / seconds:12.2f}x")
    print(
        f"ketlit peak RSS {ours['peak_rss_mb']:.0f} MB; database {ours['db_mb']:.0f} MB "
        f"({ours['articles']:,} articles, {ours['fts_docs']:,} FTS documents, {ours['mesh_rows']:,} MeSH rows, "
        f"{ours['raw_pages']} raw pages)"
    )
    missed = []
    if ratio < TARGET_RATIO:
        missed.append(f"parse + store {ratio:.2f}x Biopython < {TARGET_RATIO:.0f}x")
    if ours["peak_rss_mb"] >= TARGET_RSS_MB:
        missed.append(f"peak RSS {ours['peak_rss_mb']:.0f} MB >= {TARGET_RSS_MB:.0f} MB")
    if missed:
        print("targets MISSED: " + "; ".join(missed))
    else:
        print(f"targets met: parse + store >= {TARGET_RATIO:.0f}x Biopython, peak RSS < {TARGET_RSS_MB:.0f} MB")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
