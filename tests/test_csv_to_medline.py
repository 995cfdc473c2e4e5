"""tools/csv_to_medline.py: a CSV export of PubMed records becomes MEDLINE text ``ketlit import`` reads.

The evidence bench imports the CSV corpus of ``../shared`` this way (set f of the evidence labels); these
tests hold the conversion on a small CSV written here in the same columns, so a clean clone tests it too.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import ModuleType

from ketlit.sources.pubmed_parse import parse_medline_text
from tests.conftest import repo_module

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    return repo_module("tools/csv_to_medline.py")


COLUMNS = ["keywords", "pubmed_id", "pubmed_url", "doi", "year", "title", "abstract", "authors", "text"]
ROWS = [
    {
        "pubmed_id": "40000001",
        "year": "2024",
        "title": "Esketamine for postoperative depression after spinal surgery: a randomised trial",
        "abstract": "BACKGROUND: Depression after surgery is common. METHODS: Patients (n = 120) received "
        "esketamine 0.2 mg/kg or saline. RESULTS: Depression was less frequent with esketamine (12% vs 30%, "
        "P = 0.01). CONCLUSIONS: Esketamine reduced postoperative depression.",
        "authors": "M. Jian, Y. Chen",
        "keywords": "['Anaesthesia', 'Depression']",
        "doi": "10.1000/example.1",
    },
    {"pubmed_id": "40000002", "year": "2023", "title": "A record without an abstract", "abstract": "",
     "authors": "", "keywords": "[]", "doi": ""},
    {"pubmed_id": "", "year": "2023", "title": "A row without a PMID is skipped", "abstract": "Text.",
     "authors": "", "keywords": "", "doi": ""},
    {"pubmed_id": "40000001", "year": "2024", "title": "The same PMID again: the first row is kept", "abstract": "",
     "authors": "", "keywords": "", "doi": ""},
    {"pubmed_id": "40000003", "year": "2022", "title": "A record the cache already holds", "abstract": "Kept out.",
     "authors": "", "keywords": "", "doi": ""},
]


def _write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in ROWS:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})


def test_rows_become_medline_records_the_importer_reads(tmp_path: Path) -> None:
    tool = _tool()
    source, target = tmp_path / "records.csv", tmp_path / "records.nbib"
    _write_csv(source)
    assert tool.csv_pmids(source) == ["40000001", "40000002", "40000001", "40000003"]
    assert tool.convert(source, target, skip={"40000003"}) == 2
    articles = {a.pmid: a for a in parse_medline_text(target.read_text(encoding="utf-8"))}
    assert set(articles) == {"40000001", "40000002"}
    first = articles["40000001"]
    assert first.title == ROWS[0]["title"]
    # The structured abstract's inline labels are split into sections by the importer, as PubMed's own export is.
    assert [s.label for s in first.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert first.sections[2].text.startswith("Depression was less frequent with esketamine (12% vs 30%")
    assert first.pub_date.year == 2024
    assert [a.last_name for a in first.authors] == ["Jian", "Chen"]
    assert first.keywords == ["Anaesthesia", "Depression"]
    assert first.doi == "10.1000/example.1"
    assert articles["40000002"].sections == []


def test_long_fields_wrap_into_continuation_lines() -> None:
    tool = _tool()
    lines = tool.medline_record({"pubmed_id": "1", "title": "word " * 60, "abstract": ""})
    assert lines[0] == "PMID- 1"
    assert all(len(line) <= 82 for line in lines)
    assert all(line.startswith("      ") for line in lines[2:])
