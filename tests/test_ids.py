"""Identifiers: the one NCT ID / PMID definition and the one NCT-in-text scanner (ketlit.ids)."""

from __future__ import annotations

import re

import pytest

from ketlit.ids import NCT_ID, NCT_ID_TEXT, PMID, PMID_TEXT, nct_ids_in_text, record_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See NCT02513394 and NCT00763412; again NCT02513394.", ["NCT02513394", "NCT00763412"]),
        ("registered as nct03630471", ["NCT03630471"]),
        ("NCT012345678 has nine digits, XNCT01234567 is glued", []),
        ("(NCT01234567)", ["NCT01234567"]),
        ("registered NCT 02417064 and nct02497287; again NCT02417064", ["NCT02417064", "NCT02497287"]),
        ("NCT-02417064 and NCT_02497287", ["NCT02417064", "NCT02497287"]),
        ("NCT123", []),
        ("function and distinct 12345678", []),
        ("NCT０１２３４５６７ uses full-width digits", []),
        ("", []),
        (None, []),
    ],
)
def test_nct_ids_in_text(text: str | None, expected: list[str]) -> None:
    assert nct_ids_in_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NCT01234567", True),
        ("nct01234567", False),  # canonical form only; callers upper-case first where they mean to
        ("NCT0123456", False),
        ("NCT012345678", False),
        ("NCT01234567\n", False),
        (" NCT01234567", False),
        ("NCT０１２３４５６７", False),
        ("", False),
    ],
)
def test_nct_id(text: str, expected: bool) -> None:
    # The compiled pattern is whole-string with every matching method the callers use.
    assert (NCT_ID.match(text) is not None) is expected
    assert (NCT_ID.fullmatch(text) is not None) is expected
    assert (NCT_ID.search(text) is not None) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("36915324", True),
        ("1234567890", True),
        ("12345678901", False),
        ("0", False),
        ("0123", False),
        ("12a", False),
        ("36915324\n", False),
        ("", False),
    ],
)
def test_pmid(text: str, expected: bool) -> None:
    assert (PMID.match(text) is not None) is expected
    assert (PMID.search(text) is not None) is expected


def test_bare_patterns_embed_in_urls() -> None:
    url = re.compile(rf"^https://(pubmed\.ncbi\.nlm\.nih\.gov/{PMID_TEXT}/|clinicaltrials\.gov/study/{NCT_ID_TEXT})$")
    assert url.match("https://pubmed.ncbi.nlm.nih.gov/36915324/")
    assert url.match("https://clinicaltrials.gov/study/NCT01234567")
    assert not url.match("https://clinicaltrials.gov/study/NCT0123456")
    assert not url.match("https://pubmed.ncbi.nlm.nih.gov/0/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31166571", ("pubmed", "31166571")),
        # What a check prints and links: a card's label, the JSON's record key, the record's address.
        ("PMID 31166571", ("pubmed", "31166571")),
        ("pmid:31166571", ("pubmed", "31166571")),
        ("pubmed:31166571", ("pubmed", "31166571")),
        ("https://pubmed.ncbi.nlm.nih.gov/31166571/", ("pubmed", "31166571")),
        (" nct02417064 ", ("ctgov", "NCT02417064")),
        ("NCT 02417064", ("ctgov", "NCT02417064")),
        ("ctgov:NCT02417064", ("ctgov", "NCT02417064")),
        ("https://clinicaltrials.gov/study/NCT02417064", ("ctgov", "NCT02417064")),
        # As a browser copies them: with the page's query string or fragment (these were refused).
        ("https://clinicaltrials.gov/study/NCT02417064?tab=results", ("ctgov", "NCT02417064")),
        ("https://clinicaltrials.gov/study/NCT02417064#contacts", ("ctgov", "NCT02417064")),
        ("https://clinicaltrials.gov/ct2/show/NCT02417064?term=ketamine&rank=1", ("ctgov", "NCT02417064")),
        ("https://pubmed.ncbi.nlm.nih.gov/31166571/?from=x", ("pubmed", "31166571")),
        ("https://pubmed.ncbi.nlm.nih.gov/31166571/#abstract", ("pubmed", "31166571")),
        ("https://www.ncbi.nlm.nih.gov/pubmed/31166571?dopt=Abstract", ("pubmed", "31166571")),
        ("https://pubmed.ncbi.nlm.nih.gov/?term=31166571", None),  # a search, not a record page
        ("https://clinicaltrials.gov/search?cond=NCT02417064", None),
        ("pubmed:31166571?from=x", None),  # only an address has a query string
        ("https://evil.example/31166571?x", None),
        ("0123", None),
        ("PMID", None),
        ("abc", None),
        ("NCTfoo", None),
        ("\u0661\u0662\u0663", None),  # non-ASCII digits
        ("https://evil.example/31166571", None),
        # A label names its source: these were read as the other source's record.
        ("ctgov:31166571", None),
        ("https://clinicaltrials.gov/study/31166571", None),
        ("pubmed:NCT02417064", None),
        ("https://pubmed.ncbi.nlm.nih.gov/NCT02417064/", None),
        ("PMID NCT02417064", None),
    ],
)
def test_record_id_accepts_the_labels_ketlit_prints(text: str, expected: tuple[str, str] | None) -> None:
    assert record_id(text) == expected
