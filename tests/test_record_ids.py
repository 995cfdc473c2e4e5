"""Natural keys are checked at parse time: a PMID that is not a PubMed number, or an NCT ID that is not
NCT + 8 digits, is refused with a one-line ParseError instead of being stored (issue 11, item 11)."""

from __future__ import annotations

import pytest

from ketlit.errors import ParseError
from ketlit.sources.ctgov_parse import parse_study
from ketlit.sources.pubmed_parse import parse_medline_text, parse_pubmed_xml


def _xml(pmid: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet><PubmedArticle>"
        f"<MedlineCitation Status='MEDLINE' Owner='NLM'><PMID Version='1'>{pmid}</PMID>"
        "<Article><ArticleTitle>Ketamine and mood.</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>"
    ).encode()


def _study(nct: str) -> dict[str, object]:
    return {"protocolSection": {"identificationModule": {"nctId": nct, "briefTitle": "Ketamine trial"}}}


@pytest.mark.parametrize("pmid", ["abc", "0", "12.5", "-3", "123456789012", "１２３"])
def test_malformed_pmid_in_xml_is_refused(pmid: str) -> None:
    with pytest.raises(ParseError, match="malformed PMID"):
        parse_pubmed_xml(_xml(pmid))


def test_wellformed_pmid_in_xml_is_kept() -> None:
    assert [a.pmid for a in parse_pubmed_xml(_xml("24740528"))] == ["24740528"]


def test_malformed_pmid_in_medline_is_refused() -> None:
    with pytest.raises(ParseError, match="MEDLINE record with a malformed PMID 'x12'"):
        parse_medline_text("PMID- x12\nTI  - Ketamine and mood.\n")


@pytest.mark.parametrize("nct", ["NCT123", "NCT0123456789", "ISRCTN12345678", "NCT0241706X"])
def test_malformed_nct_id_is_refused(nct: str) -> None:
    with pytest.raises(ParseError, match="malformed NCT ID"):
        parse_study(_study(nct))


def test_nct_id_is_normalised_and_kept() -> None:
    assert parse_study(_study(" nct02417064 ")).nct_id == "NCT02417064"
