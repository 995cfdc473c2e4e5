"""What users wait for as the cache grows: ``check``, ``report --all``, ``search``, ``export``, ``status``.

    python bench/scale.py                        # 1.6k, 30k and 150k records; exit 1 if a target is missed
    python bench/scale.py --sizes 1583,30000 --commands check,search --no-check     # a quick run
    python bench/scale.py --work /tmp/ketlit-scale   # (default) where the caches are kept between runs

**The caches.** The replay corpus (``../shared/data/replay/pubmed``, 1,583 records, 729 of them about
ketamine) is the smallest cache. Larger ones add copies of it, replicated as ``bench/ingest.py`` does
(new PMIDs in ``MedlineCitation/PMID`` and the record's own ``ArticleId``), with one change: in the
copies the configured drug's names are rewritten (``ketamine`` → ``kevamine``, ``Spravato``,
``Ketalar``, ``Ketanest``), so the copies are records a ketamine cache also holds but that are no evidence for it
(as a cache grows with other queries and imports). The set that matches a ketamine claim stays the
base set, so a command that "costs what it matches" takes the same time at every size.

The original records are stored as the results of a PubMed query ``ketamine`` (the query file of
``report --all``), the copies as an import. Tagging: the base set and the first copy of every
record are tagged by ketlit's own tagger (``TagRunner.tag_pending``, which also reads the study
profiles of candidates); every later copy gets its template's tags, tag state and findings by SQL
(same content but the PMID, so the same tags; a sample of 50 copies is re-tagged and compared, and
the bench stops if one differs). The result is a cache ``ketlit`` sees as fully tagged: no command
timed here tags anything. Each cache is built once into ``--work`` (``scale-N.db``) and reused.

**The commands**, each the real CLI in a fresh subprocess (``python -m ketlit --db CACHE …``, this
checkout's ``src``, or ``--src``), timed from start to exit, after one untimed ``status`` that applies any
pending migration and warms the OS file cache, and one untimed ``check`` that brings a cache an earlier run
built up to date with this code (re-reading numbers and profiles its rules changed, once). Peak RSS is the
child's own ``ru_maxrss`` (``os.wait4``; the caches and commands here fork no workers):

- ``check PAGE`` (``--page``, default ``clinic_what_is_ketamine.txt`` from
  ``../shared/samples/clinic_pages``; skipped with a reason where absent);
- ``report --all`` over one query file (the ``ketamine`` query, checking the same page);
- ``search "ketamine depression"``; ``status``;
- ``export articles`` to stdout: time to the first row and to the last.

Prints a table per command and size, the growth factor from the second-largest to the largest size,
and the targets: ``check`` and ``report --all`` growth ≤ 1.5×, ``check`` < 3 s and ``report --all``
< 10 s at the largest size (when it is ≥ 100,000 records), peak RSS < 400 MB; ``search``, ``status``
and ``export`` first row < 0.5 s at every size. Exit 1 when one is missed (unless ``--no-check``),
2 when a run fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import PAGE_SIZE, PMID_BASE, document, load_records, store_query_run  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGES = SHARED / "samples" / "clinic_pages"
DEFAULT_PAGE = "clinic_what_is_ketamine.txt"
DEFAULT_SIZES = (1583, 30_000, 150_000)
COMMANDS = ("check", "report", "search", "status", "export")
TERM = "ketamine"
SEARCH = "ketamine depression"
# Targets (issue 15).
GROWTH_MAX = 1.5
CHECK_MAX_S = 3.0
REPORT_MAX_S = 10.0
RSS_MAX_MB = 400.0
FIRST_ROW_MAX_S = 0.5
BIG = 100_000
SRC = ROOT / "src"

_OWN_PMID = re.compile(rb"(<MedlineCitation[^>]*>\s*<PMID[^>]*>)(\d+)(</PMID>)")
# The configured drug's names, rewritten in the copies (keeping the case of the first letter).
# Ketanest (S) is esketamine's European brand: left as it was, copies named it and stayed candidates
# (the caches built before this had 1,517 candidates at 150k against 910 at 30k; rebuild with --rebuild).
_DRUG = re.compile(rb"([Kk])etamine|KETAMINE|([Ss])pravato|([Kk])etalar|([Kk])etanest")


def _rename(match: re.Match[bytes]) -> bytes:
    text = match.group(0)
    if text == b"KETAMINE":
        return b"KEVAMINE"
    return text[:2] + b"v" + text[3:] if text[1:3].lower() == b"et" else text[:1] + b"xravato"


def copy_record(record: bytes, pmid: str, new: int) -> bytes:
    """A copy of ``record`` under PMID ``new``, with the drug's names rewritten."""
    new_b = str(new).encode()
    record = _OWN_PMID.sub(rb"\g<1>" + new_b + rb"\g<3>", record, count=1)
    record = record.replace(
        b'<ArticleId IdType="pubmed">' + pmid.encode() + b"</ArticleId>",
        b'<ArticleId IdType="pubmed">' + new_b + b"</ArticleId>",
    )
    return _DRUG.sub(_rename, record)


QUERY_FILE = f"""
name = "ketamine"
title = "Ketamine: every cached record of the query"
[pubmed]
term = "{TERM}"
[check]
pages = ["{{page}}"]
claims = ["Over 70% of patients with treatment-resistant depression respond to ketamine infusions.",
          "Ketamine is not addictive."]
"""


# -- building the caches ------------------------------------------------------------------------


def build_cache(db: Path, size: int, work: Path) -> None:
    """The cache of ``size`` records at ``db`` (see the module docstring); built in a temporary file."""
    from ketlit.config import Settings
    from ketlit.jobs.ingest import import_file
    from ketlit.jobs.tag import TagRunner
    from ketlit.store.core import open_store

    prolog, records = load_records()
    base = len(records)
    if size < base:
        raise SystemExit(f"--sizes: the smallest cache is the replay corpus, {base} records")
    tmp = db.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    store = open_store(tmp)
    clock = time.perf_counter()
    seen: set[str] = set()

    def pages() -> Iterator[bytes]:
        for start in range(0, base, PAGE_SIZE):
            page = [r for p, r in records[start : start + PAGE_SIZE] if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
            yield document(prolog, page)

    stored = store_query_run(store, TERM, pages())
    copies = size - stored
    if copies > 0:
        xml = work / f"copies-{copies}.xml"
        with open(xml, "wb") as out:
            out.write(prolog + b"<PubmedArticleSet>\n")
            for serial in range(copies):
                pmid, record = records[serial % base]
                out.write(copy_record(record, pmid, PMID_BASE + serial) + b"\n")
            out.write(b"</PubmedArticleSet>\n")
        import_file(store, xml)
        xml.unlink()
    built = time.perf_counter() - clock
    # Tag the base set and the first copy of every record with the real tagger ...
    settings = Settings(db=tmp)
    runner = TagRunner(settings)
    templates = min(copies, base)
    first_tag = [(s, i) for s, i in store.tags.all_record_ids() if s == "pubmed" and int(i) < PMID_BASE + templates]
    runner.tag_records(store, first_tag)
    # ... and give every later copy its template's tags (same content but the PMID).
    if copies > templates:
        _copy_tags(store, base, templates)
    runner.tag_pending(store)  # reads profiles; tags nothing if the copying was right
    pending = store.untagged(runner.rules_sha)
    if pending:
        raise SystemExit(f"cache build: {len(pending)} records still untagged after copying tags")
    _verify_copies(store, runner, base, copies)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    tmp.replace(db)
    tagging = time.perf_counter() - clock - built
    print(f"built {db.name}: {size:,} records in {built:.0f} s + tagging {tagging:.0f} s", flush=True)


def _copy_tags(store: object, base: int, templates: int) -> None:
    """Tags, tag state and findings of every copy past the first, from its template (SQL, joined
    through a table of (copy, template) so every lookup goes through the tables' keys)."""
    db = store.db  # type: ignore[attr-defined]
    with db.conn:
        db.execute("CREATE TEMP TABLE copies (pmid TEXT PRIMARY KEY, template TEXT, sha TEXT)")
        db.execute(
            f"INSERT INTO copies SELECT pmid, CAST({PMID_BASE} + ((CAST(pmid AS INTEGER) - {PMID_BASE}) % {base}) "
            f"AS TEXT), content_sha256 FROM articles WHERE CAST(pmid AS INTEGER) >= {PMID_BASE + templates}"
        )
        db.execute(
            'INSERT INTO tags (source, record_id, axis, value, position, rule_id, field, span, start, "end", weight, '
            "note, score) SELECT t.source, c.pmid, t.axis, t.value, t.position, t.rule_id, t.field, t.span, t.start, "
            "t.\"end\", t.weight, t.note, t.score FROM copies c CROSS JOIN tags t ON t.source = 'pubmed' "
            "AND t.record_id = c.template"
        )
        db.execute(
            "INSERT INTO tag_state SELECT s.source, c.pmid, s.rules_sha256, c.sha FROM copies c "
            "CROSS JOIN tag_state s ON s.source = 'pubmed' AND s.record_id = c.template"
        )
        db.execute(
            "INSERT INTO findings (source, record_id, rules_sha256, content_sha256, data) SELECT f.source, c.pmid, "
            "f.rules_sha256, c.sha, f.data FROM copies c CROSS JOIN findings f ON f.source = 'pubmed' "
            "AND f.record_id = c.template"
        )
        db.execute("DROP TABLE copies")


def _verify_copies(store: object, runner: object, base: int, copies: int) -> None:
    """Re-tag 50 random copies and compare with the stored (copied) tags."""
    from ketlit.tagging import doc_from_article

    if copies <= base:
        return
    rng = random.Random(15)
    sample = sorted({str(PMID_BASE + rng.randrange(base, copies)) for _ in range(50)})
    for article in store.load_articles(sample):  # type: ignore[attr-defined]
        fresh = sorted((t.axis, t.value) for t in runner.tagger.tag(doc_from_article(article)))  # type: ignore[attr-defined]
        stored = sorted({(r["axis"], r["value"]) for r in store.tags_for("pubmed", article.pmid)})  # type: ignore[attr-defined]
        if fresh != stored:
            raise SystemExit(f"cache build: copied tags of PMID {article.pmid} differ from a fresh tagging")


# -- timing the CLI ----------------------------------------------------------------------------


@dataclass
class Timing:
    seconds: float
    rss_mb: float
    first_row_s: float | None = None
    failed: str | None = None


def run_cli(args: list[str], cwd: Path) -> Timing:
    """``python -m ketlit ARGS`` in a fresh process: wall time, time to the first stdout line, peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    for name in [k for k in env if k.startswith("KETLIT_")]:
        del env[name]
    clock = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "ketlit", "-q", *args], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    first_row = time.perf_counter() - clock if first else None
    while child.stdout.read(1 << 16):
        pass
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - clock
    # ru_maxrss of the child itself, in KiB on Linux.
    failed = None if child.returncode == 0 else (err.decode(errors="replace").strip().splitlines() or ["?"])[-1]
    return Timing(seconds, usage.ru_maxrss / 1024, first_row, failed)


def time_commands(db: Path, work: Path, commands: list[str], page: Path | None, repeat: int) -> dict[str, Timing]:
    out: dict[str, Timing] = {}
    queries = work / "queries"
    queries.mkdir(exist_ok=True)
    reports = work / "reports"
    plans: dict[str, list[str]] = {
        "search": ["--db", str(db), "search", SEARCH],
        "status": ["--db", str(db), "status"],
        "export": ["--db", str(db), "export", "articles"],
    }
    if page is not None:
        (queries / "ketamine.toml").write_text(QUERY_FILE.replace("{page}", str(page)))
        plans["check"] = ["--db", str(db), "check", str(page)]
        plans["report"] = ["--db", str(db), "report", "--all", "--queries-dir", str(queries), "--out-dir", str(reports)]
    run_cli(["--db", str(db), "status"], work)  # untimed: migrations, OS file cache
    if "check" in plans:
        # Untimed: a cache reused from an earlier run of the bench was tagged by older code; the first
        # check after an upgrade brings its stale numbers and profiles up to date (as a refresh
        # would), a one-off cost that is not what a check of an up-to-date cache costs.
        run_cli(plans["check"], work)
    for name in commands:
        if name not in plans:
            continue
        runs = [run_cli(plans[name], work) for _ in range(repeat)]
        failed = next((r for r in runs if r.failed), None)
        out[name] = failed or min(runs, key=lambda r: r.seconds)
    shutil.rmtree(reports, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="cache sizes in records, comma-separated (default 1583,30000,150000)")
    parser.add_argument("--commands", default=",".join(COMMANDS), help=f"subset of {','.join(COMMANDS)}")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ketlit-scale"),
                        help="where caches are built and kept (reused by later runs)")
    parser.add_argument("--page", default=DEFAULT_PAGE, help="clinic page (name in ../shared/samples/clinic_pages "
                        "or a path) for check and report")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command and size (the fastest is kept)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the caches even if present")
    parser.add_argument("--no-check", action="store_true", help="only print; never exit 1 for a target")
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the ketlit source tree to time (default: this checkout's src; e.g. an older one)")
    parser.add_argument("--build-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global SRC
    SRC = args.src.resolve()
    if args.build_child:
        sys.path.insert(0, str(SRC))
        build_cache(Path(args.build_child[0]), int(args.build_child[1]), Path(args.build_child[2]))
        return 0
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = set(commands) - set(COMMANDS)
    if unknown or not sizes:
        parser.error(f"unknown command(s) {sorted(unknown)}" if unknown else "no sizes")
    args.work.mkdir(parents=True, exist_ok=True)
    page_path = Path(args.page) if Path(args.page).is_file() else PAGES / args.page
    page: Path | None = page_path.resolve() if page_path.is_file() else None
    if page is None and {"check", "report"} & set(commands):
        print(f"check and report skipped: no clinic page at {page_path} (../shared is absent?)")
    results: dict[int, dict[str, Timing]] = {}
    for size in sizes:
        db = args.work / f"scale-{size}.db"
        if args.rebuild or not db.is_file():
            # In a child: this process must stay small, since a forked child's ru_maxrss starts
            # from its parent's (Linux keeps it across fork and exec).
            done = subprocess.run([sys.executable, __file__, "--build-child", str(db), str(size), str(args.work)],
                                  env={**os.environ, "PYTHONPATH": str(SRC)})
            if done.returncode != 0:
                return 2
        results[size] = time_commands(db, args.work, commands, page, args.repeat)
        row = results[size]
        print(f"{size:>8,} records: " + "  ".join(
            f"{n} {t.seconds:.2f}s/{t.rss_mb:.0f}MB" + (f" (first row {t.first_row_s:.2f}s)"
                                                        if n == "export" and t.first_row_s else "")
            + (f" FAILED: {t.failed}" if t.failed else "")
            for n, t in row.items()), flush=True)
    return report(results, sizes, args.no_check)


def report(results: dict[int, dict[str, Timing]], sizes: list[int], no_check: bool) -> int:
    names = [n for n in COMMANDS if any(n in r for r in results.values())]
    print()
    print(f"{'command':<16}" + "".join(f"{s:>18,}" for s in sizes) + (f"{'growth':>10}" if len(sizes) > 1 else ""))
    missed: list[str] = []
    failed = False
    for name in names:
        for metric in ("wall s", "peak MB") + (("first row s",) if name == "export" else ()):
            cells = []
            values = []
            for s in sizes:
                t = results[s].get(name)
                if t is None:
                    cells.append(f"{'-':>18}")
                    values.append(None)
                    continue
                failed = failed or t.failed is not None
                v = {"wall s": t.seconds, "peak MB": t.rss_mb, "first row s": t.first_row_s}[metric]
                values.append(v)
                cells.append(f"{'FAILED' if t.failed else ('-' if v is None else f'{v:.2f}'):>18}")
            growth = ""
            if len(sizes) > 1 and values[-1] and values[-2]:
                growth = f"{values[-1] / values[-2]:>9.2f}x"
            print(f"{name + ' ' + metric:<16}" + "".join(cells) + growth)
    largest, prev = sizes[-1], sizes[-2] if len(sizes) > 1 else None
    for name in ("check", "report"):
        t = results[largest].get(name)
        if t is None or t.failed:
            continue
        if prev is not None and (p := results[prev].get(name)) and not p.failed and t.seconds / p.seconds > GROWTH_MAX:
            missed.append(f"{name} growth {t.seconds / p.seconds:.2f}x > {GROWTH_MAX}x")
        limit = CHECK_MAX_S if name == "check" else REPORT_MAX_S
        if largest >= BIG and t.seconds >= limit:
            missed.append(f"{name} {t.seconds:.1f} s >= {limit:.0f} s at {largest:,}")
    for s in sizes:
        for name, t in results[s].items():
            if t.failed:
                continue
            if t.rss_mb >= RSS_MAX_MB:
                missed.append(f"{name} peak RSS {t.rss_mb:.0f} MB >= {RSS_MAX_MB:.0f} at {s:,}")
            first = t.first_row_s if name == "export" else t.seconds if name in ("search", "status") else None
            if first is not None and first >= FIRST_ROW_MAX_S:
                missed.append(f"{name} {'first row ' if name == 'export' else ''}{first:.2f} s >= "
                              f"{FIRST_ROW_MAX_S} s at {s:,}")
    print(f"targets: check/report growth <= {GROWTH_MAX}x; check < {CHECK_MAX_S:.0f} s, report --all < "
          f"{REPORT_MAX_S:.0f} s at >= {BIG:,}; peak RSS < {RSS_MAX_MB:.0f} MB; search, status, export first row "
          f"< {FIRST_ROW_MAX_S} s")
    print("targets MISSED: " + "; ".join(missed) if missed else "targets met")
    if failed:
        return 2
    return 1 if missed and not no_check else 0


if __name__ == "__main__":
    sys.exit(main())
