"""Write PubMed records kept as a CSV export (one row per record) as MEDLINE/.nbib text for ``ketlit import``.

    python tools/csv_to_medline.py ../shared/data/pubmed/psynamic_efetch_parsed_pubmed_results_20250306.csv OUT.nbib

``../shared`` holds 660 records (2022-2025) that another project parsed from E-utilities efetch XML into a CSV
(columns ``pubmed_id, year, title, abstract, authors, keywords, doi``); 255 of them mention ketamine and only 11
are in the replay corpus. They are the evidence reader's second source of never-tuned records
(``labels/evidence``, set f). ``ketlit import`` reads PubMed XML or MEDLINE text, and MEDLINE is the format a
user exports from the PubMed website, so the rows are written as MEDLINE text and the records go through the
same import, tagging and reading as every other record; the file is written where the caller says (a temporary
directory for the bench), never into the repo.

What MEDLINE text carries is what the CSV kept: PMID, title, abstract (a structured abstract's labels stay
inline, "BACKGROUND: … METHODS: …", as in PubMed's own MEDLINE export, and are split by the importer), year,
authors, keywords (as ``OT``) and DOI. Rows without a PMID are skipped; so are duplicate PMIDs (the first kept)
and the PMIDs of an optional skip list (records the cache already holds from the replay corpus's XML).
"""

from __future__ import annotations

import ast
import csv
import sys
import textwrap
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path

_WIDTH = 82  # MEDLINE lines: a 6-character tag column, continuation lines indented by it


def _field(tag: str, value: str) -> list[str]:
    """One MEDLINE field: ``TAG - value`` wrapped, continuation lines indented six spaces."""
    value = " ".join(value.split())
    if not value:
        return []
    lines = textwrap.wrap(value, _WIDTH - 6, break_long_words=False, break_on_hyphens=False) or [value]
    return [f"{tag:<4}- {lines[0]}", *(f"      {line}" for line in lines[1:])]


def _list(text: str) -> list[str]:
    """The CSV's Python-literal lists (``['Adult psychiatry', 'Depression']``); anything else as one item."""
    text = text.strip()
    if not text:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return [text]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _medline_author(name: str) -> list[str]:
    """The CSV's "AJ. Larsen" as MEDLINE's ``FAU`` and ``AU`` lines ("Larsen, AJ" and "Larsen AJ"), as PubMed's
    export writes each author; a name not in that form is written as it is."""
    initials, sep, last = name.partition(". ")
    if sep and initials.replace("-", "").isalpha() and initials.isupper():
        initials = initials.replace("-", "")
        return [*_field("FAU", f"{last}, {initials}"), *_field("AU", f"{last} {initials}")]
    return [*_field("FAU", name), *_field("AU", name)]


def medline_record(row: Mapping[str, str]) -> list[str]:
    """The MEDLINE lines of one CSV row (empty when it has no PMID)."""
    pmid = (row.get("pubmed_id") or "").strip()
    if not pmid.isdigit():
        return []
    lines = [f"PMID- {pmid}"]
    lines += _field("TI", row.get("title") or "")
    lines += _field("AB", row.get("abstract") or "")
    year = (row.get("year") or "").strip()
    if year.isdigit():
        lines += _field("DP", year)
    for author in (a.strip() for a in (row.get("authors") or "").split(",")):
        if author:
            lines += _medline_author(author)
    for keyword in _list(row.get("keywords") or ""):
        lines += _field("OT", keyword)
    doi = (row.get("doi") or "").strip()
    if doi:
        lines += _field("AID", f"{doi} [doi]")
    return lines


def medline_text(rows: Iterable[Mapping[str, str]], skip: Collection[str] = ()) -> Iterator[str]:
    """MEDLINE text for ``rows``: records separated by a blank line, each PMID once, none of ``skip``."""
    seen = {f"PMID- {pmid}" for pmid in skip}
    for row in rows:
        lines = medline_record(row)
        if not lines or lines[0] in seen:
            continue
        seen.add(lines[0])
        yield "\n".join(lines) + "\n\n"


def csv_pmids(source: Path) -> list[str]:
    """The PMIDs of ``source``'s rows, in file order."""
    csv.field_size_limit(1 << 24)
    with source.open(newline="", encoding="utf-8") as f:
        return [pmid for row in csv.DictReader(f) if (pmid := (row.get("pubmed_id") or "").strip()).isdigit()]


def convert(source: Path, target: Path, skip: Collection[str] = ()) -> int:
    """Write ``source`` (CSV) as MEDLINE text to ``target``, leaving out the PMIDs in ``skip`` (records a
    cache already holds from a fuller source: the CSV's copy would replace their sections and MeSH);
    returns how many records were written."""
    # An abstract field can exceed csv's 128 KB default only in a broken file; the cap is raised so such a
    # row is read whole rather than stopping the conversion.
    csv.field_size_limit(1 << 24)
    count = 0
    with source.open(newline="", encoding="utf-8") as f, target.open("w", encoding="utf-8") as out:
        for chunk in medline_text(csv.DictReader(f), skip):
            out.write(chunk)
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: python tools/csv_to_medline.py SOURCE.csv TARGET.nbib [SKIP_PMIDS.txt]", file=sys.stderr)
        return 2
    skip = set(Path(argv[2]).read_text().split()) if len(argv) == 3 else set()
    print(f"{convert(Path(argv[0]), Path(argv[1]), skip)} records written to {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
