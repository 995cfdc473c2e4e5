"""Where evidence reading spends its time, and a snapshot of what it reads, on the bench's candidates.

    python tools/evidence_profile.py [--db FILE] [--snapshot OUT.jsonl] [--compare OLD.jsonl]
                                     [--cprofile N] [--rounds N]

Builds (or reuses, with ``--db``) the cache ``bench/evidence_reading.py`` builds (``ketlit import``
of the replay corpus in ``../shared``), loads every candidate record (tagged with a molecule the
evidence rules read) and its tags, then:

- ``--snapshot``: writes each record's serialised profile (``profile_to_dict``, JSON with sorted
  keys), one line per record, so a speed change can show it read exactly the same;
- ``--compare``: compares the profiles read now with such a snapshot and exits 1 on any
  difference (listing the PMIDs);
- times ``read_profile`` over the candidates, best of ``--rounds``, in CPU time (the process's
  own, which other processes on the machine disturb less than wall time) and wall time;
- ``--cprofile N``: prints the N functions with the most own time under ``cProfile``.

A development tool (not run by the tests): the byte-identity test on the repo's fixtures is in
``tests/test_evidence_speed.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from evidence_reading import CORPUS, build_cache  # noqa: E402

from ketlit.evidence.profile import profile_to_dict, read_profile  # noqa: E402
from ketlit.evidence.rules import load_rules as load_evidence_rules  # noqa: E402
from ketlit.store.core import open_store  # noqa: E402
from ketlit.tagging import load_rules as load_tagging_rules  # noqa: E402


def _load(db: Path, rules: Any) -> tuple[list[Any], dict[str, Any]]:
    store = open_store(db)
    pmids = store.profiles.stale_profiles(rules.digest, list(rules.molecules), everything=True)
    return store.load_articles(pmids), store.tags.tags_of("pubmed", pmids)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="cache to use (built there when missing)")
    ap.add_argument("--snapshot", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--cprofile", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not all(p.exists() for p in CORPUS):
        print("skipped: the replay corpus (../shared) is absent")
        return 0
    rules = load_evidence_rules(None, load_tagging_rules(None))
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "profile.db"
        if not db.exists():
            build_cache(db)
        articles, tags = _load(db, rules)
    lines = [
        json.dumps(profile_to_dict(read_profile(a, tags.get(a.pmid, {}), rules)), sort_keys=True) for a in articles
    ]
    status = 0
    if args.snapshot:
        args.snapshot.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"snapshot: {len(lines)} profiles → {args.snapshot}")
    if args.compare:
        old = args.compare.read_text(encoding="utf-8").splitlines()
        differ = [a.pmid for a, new, was in zip(articles, lines, old, strict=False) if new != was]
        if len(old) != len(lines) or differ:
            print(f"DIFFERENT: {len(old)} vs {len(lines)} profiles; differing: {' '.join(differ[:40])}")
            status = 1
        else:
            print(f"identical: {len(lines)} profiles byte for byte")
    cpu, wall = [], []
    for _ in range(args.rounds):
        c, w = time.process_time(), time.perf_counter()
        for a in articles:
            read_profile(a, tags.get(a.pmid, {}), rules)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    n = len(articles)
    print(
        f"read_profile over {n} candidates, best of {args.rounds}: {n / min(cpu):,.0f} records/s CPU, "
        f"{n / min(wall):,.0f} records/s wall"
    )
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for a in articles:
            read_profile(a, tags.get(a.pmid, {}), rules)
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(args.cprofile)
        stats.sort_stats("cumulative").print_stats(args.cprofile)
    return status


if __name__ == "__main__":
    sys.exit(main())
