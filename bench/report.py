"""Report rendering time on a 20,000-record cache (issue 6 target: under 5 s).

One command: ``python bench/report.py`` (``--records N``, ``--no-check``). Builds a fresh cache from
the replay corpus replicated to N records (the same replication as ``bench/ingest.py``: new PMIDs
for the copies), stores them as the results of one PubMed query, tags them, then times what
``ketlit report`` does for that query: gather everything from the cache (counts by design ×
indication × route, publications per year, key evidence with extracted outcomes, pooled forest
data, claim checks, changes, provenance), draw the figures and write the Markdown. Setup is not
timed; the render is timed twice (cold and warm) and the slower is reported.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import document, load_records, replicate, store_query_run  # type: ignore[import-not-found]

from ketlit.config import Settings
from ketlit.jobs.refresh import render_query
from ketlit.jobs.tag import TagRunner
from ketlit.queries import load_query
from ketlit.store.core import open_store

TARGET_SECONDS = 5.0
TERM = "ketamine"
QUERY = f"""
name = "bench"
title = "Benchmark: every record"
[pubmed]
term = "{TERM}"
[focus]
molecule = ["racemic_ketamine", "esketamine"]
[check]
claims = ["Over 70% of patients with treatment-resistant depression respond to ketamine infusions.",
          "Ketamine is not addictive."]
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = Settings(db=work / "k.db")
        store = open_store(settings.db)
        clock = time.perf_counter()
        prolog, records = load_records()
        # replicate() yields a page's records; the stored body is the whole EFetch document.
        pages = (document(prolog, page) for page in replicate(prolog, records, args.records))
        stored = store_query_run(store, TERM, pages)
        TagRunner(settings).tag_all(store)
        setup = time.perf_counter() - clock
        query_file = work / "bench.toml"
        query_file.write_text(QUERY)
        query = load_query(query_file)
        times = []
        for _ in range(2):
            clock = time.perf_counter()
            path = render_query(store, settings, query, work / "reports")
            times.append(time.perf_counter() - clock)
        size = path.stat().st_size
        store.close()
    seconds = max(times)
    print(f"cache: {stored:,} PubMed records (setup: ingest + tagging {setup:.1f} s, not timed)")
    print(f"report render (gather + figures + Markdown): {seconds:.2f} s (runs: "
          f"{', '.join(f'{t:.2f}' for t in times)}), {size / 1024:.0f} KiB of Markdown")
    print(f"target: < {TARGET_SECONDS:.0f} s for 20,000 records -> {'met' if seconds < TARGET_SECONDS else 'MISSED'}")
    if not args.no_check and (seconds >= TARGET_SECONDS or stored < 20_000):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
