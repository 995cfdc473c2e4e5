"""The records the evidence tools train and measure on, read in place from ``../shared`` (never copied here).

Two sources: the replay corpus (PubMed XML) and the CSV corpus (660 records of 2022-2025, read through
``tools/csv_to_medline.py`` as MEDLINE text, the way ``ketlit import`` reads it in ``bench/evidence_reading.py``).
A PMID in both is the XML's record (the fuller one: MeSH, publication types, NlmCategory labels), as the bench's
cache holds it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from csv_to_medline import csv_pmids, medline_text  # noqa: E402

from ketlit.sources.models import Article  # noqa: E402
from ketlit.sources.pubmed_parse import parse_medline_text, parse_pubmed_xml  # noqa: E402

SHARED = ROOT.parent / "shared/data"
CORPUS = (
    SHARED / "replay/pubmed/psynamic_all.xml",
    SHARED / "replay/pubmed/meta-harness_efetch_esketamine_trd_3records.xml",
)
CSV_CORPUS = SHARED / "pubmed/psynamic_efetch_parsed_pubmed_results_20250306.csv"


def corpus_present() -> bool:
    """Whether the replay corpus is there (the CSV corpus is optional)."""
    return all(p.exists() for p in CORPUS)


def load_articles() -> dict[str, Article]:
    """Every record of both corpora by PMID (the XML's copy where a PMID is in both)."""
    out: dict[str, Article] = {}
    for path in CORPUS:
        with path.open("rb") as fh:
            out.update((a.pmid, a) for a in parse_pubmed_xml(fh))
    if CSV_CORPUS.exists():
        skip = set(out) & set(csv_pmids(CSV_CORPUS))
        csv.field_size_limit(1 << 24)  # as csv_to_medline.convert: a broken file's long field is read whole
        with CSV_CORPUS.open(newline="", encoding="utf-8") as f:
            text = "".join(medline_text(csv.DictReader(f), skip))
        out.update((a.pmid, a) for a in parse_medline_text(text))
    return out
