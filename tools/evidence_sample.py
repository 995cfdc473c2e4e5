"""Draw the evidence-reading labelling sample from a cache (reproducible, stratified by design).

    ketlit --db /tmp/lab.db import ../shared/data/replay/pubmed/psynamic_all.xml
    python tools/evidence_sample.py /tmp/lab.db > labels/evidence/sample.txt

Records whose molecule tag is a configured ketamine form, with an abstract, are drawn per
design tag in a fixed pseudo-random order (sha1 of the PMID), so rerunning gives the same list.
The landmark records of ../shared/CLAIMS_REVIEW.md and the records its audit discusses are
always included: they are the ones the rebuild must read right.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path

MOLECULES = ("racemic_ketamine", "esketamine", "arketamine")
PER_DESIGN = {
    "rct": 105,
    "systematic_review": 30,
    "meta_analysis": 25,
    "non_randomized_trial": 25,
    "observational": 28,
    "case_report": 5,
    "protocol": 4,
}
LANDMARKS = Path(__file__).resolve().parents[1] / "labels" / "evidence" / "landmarks.txt"
# Besides the landmarks: the other records the review's audit discusses, and the three real
# esketamine records.
AUDITED = [
    "28849779",
    "28441895",
    "30852364",
    "36260324",
    "29847468",
    "25539512",
    "34411009",
    "31123668",
    "34076068",
    "26440233",
    "24091902",
    "31948296",
    "30336852",
    "34752941",
    "35905796",
    "33022440",
    "30995364",
    "35931041",
    "35429529",
    "37060953",
    "22784486",
    "31166571",
    "31290965",
    "32316080",
]


def forced() -> list[str]:
    """The landmark PMIDs (one shared list, also read by the bench), then the audited ones."""
    lines = LANDMARKS.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")] + AUDITED


def main(db: str) -> None:
    con = sqlite3.connect(db)
    marks = ",".join("?" * len(MOLECULES))
    rows = con.execute(
        f"""SELECT a.pmid, (SELECT t.value FROM tags t WHERE t.source = 'pubmed' AND t.record_id = a.pmid
                             AND t.axis = 'design' ORDER BY t.score DESC, t.value LIMIT 1)
            FROM articles a
            WHERE length(a.abstract) > 300 AND a.pmid IN (
              SELECT record_id FROM tags WHERE source = 'pubmed' AND axis = 'molecule' AND value IN ({marks}))""",
        MOLECULES,
    ).fetchall()
    known = {pmid for pmid, _ in rows}
    chosen = [p for p in forced() if p in known]
    by_design: dict[str, list[str]] = {}
    for pmid, design in rows:
        by_design.setdefault(design or "none", []).append(pmid)
    for design, quota in PER_DESIGN.items():
        pool = sorted(by_design.get(design, []), key=lambda p: hashlib.sha1(p.encode()).hexdigest())
        taken = [p for p in pool if p not in chosen][: max(0, quota - sum(p in pool for p in chosen))]
        chosen.extend(taken)
    for pmid in chosen:
        print(pmid)


if __name__ == "__main__":
    main(sys.argv[1])
