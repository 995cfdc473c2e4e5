"""Citation exports: RIS and BibTeX that Zotero / EndNote import, from records shaped like
``Store.iter_articles()``; hostile text cannot break either format; keys are stable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ketlit.report.citations import (
    author_names,
    bibtex_key_base,
    bibtex_keys,
    latex_escape,
    ris_record,
    to_bibtex,
    to_ris,
)
from tests.conftest import shared

ZARATE: dict[str, Any] = {
    "pmid": "16894061",
    "title": "A randomized trial of an N-methyl-D-aspartate antagonist in treatment-resistant major depression.",
    "abstract": "CONTEXT: Existing therapies for major depression have a lag of onset.\nRESULTS: Within 110 minutes...",
    "journal": "Archives of general psychiatry",
    "journal_abbrev": "Arch Gen Psychiatry",
    "volume": "63",
    "issue": "8",
    "pages": "856-64",
    "issn": "0003-990X",
    "pub_date": "2006-08",
    "pub_year": 2006,
    "doi": "10.1001/archpsyc.63.8.856",
    "pmcid": None,
    "authors": ["Carlos A Zarate", "Jaskaran B Singh"],
    "author_details": [
        {"last_name": "Zarate", "fore_name": "Carlos A", "initials": "CA", "collective": None},
        {"last_name": "Singh", "fore_name": "Jaskaran B", "initials": "JB", "collective": None},
    ],
    "keywords": [],
    "mesh": [{"descriptor": "Ketamine"}, {"descriptor": "Depressive Disorder, Major"}],
    "publication_types": ["Journal Article", "Randomized Controlled Trial"],
    "languages": ["eng"],
}

EXPECTED_RIS = "\r\n".join([
    "TY  - JOUR",
    "TI  - A randomized trial of an N-methyl-D-aspartate antagonist in treatment-resistant major depression.",
    "AU  - Zarate, Carlos A",
    "AU  - Singh, Jaskaran B",
    "PY  - 2006",
    "DA  - 2006/08//",
    "T2  - Archives of general psychiatry",
    "JO  - Arch Gen Psychiatry",
    "VL  - 63",
    "IS  - 8",
    "SP  - 856",
    "EP  - 864",
    "SN  - 0003-990X",
    "AB  - CONTEXT: Existing therapies for major depression have a lag of onset. RESULTS: Within 110 minutes...",
    "DO  - 10.1001/archpsyc.63.8.856",
    "AN  - 16894061",
    "UR  - https://pubmed.ncbi.nlm.nih.gov/16894061/",
    "DB  - PubMed",
    "LA  - eng",
    "KW  - Ketamine",
    "KW  - Depressive Disorder, Major",
    "ER  - ",
    "",
])

HOSTILE_TITLE = "Line one\nER  - \nTY  - JOUR {unbalanced } } \\input{/etc/passwd} 100% $x$ & #1 _a ^b ~c PTSD"


def parse_ris(text: str) -> list[dict[str, list[str]]]:
    """A strict RIS reader: every line is `TAG  - value`, records run from TY to ER."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.split("\r\n"):
        if line == "":
            continue
        match = re.match(r"^([A-Z][A-Z0-9])  - (.*)$", line)
        assert match, f"not a RIS line: {line!r}"
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {}
        assert current is not None, f"{tag} outside a record"
        if tag == "ER":
            records.append(current)
            current = None
            continue
        current.setdefault(tag, []).append(value)
    assert current is None, "record without ER"
    return records


def braces_balanced(text: str) -> bool:
    depth = 0
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def test_ris_record_exact() -> None:
    assert ris_record(ZARATE) == EXPECTED_RIS


def test_ris_sorted_separated_and_parseable() -> None:
    later = {**ZARATE, "pmid": "23982301", "title": "Second"}
    text = to_ris([later, ZARATE])
    records = parse_ris(text)
    assert [r["AN"] for r in records] == [["16894061"], ["23982301"]]
    assert "\r\n\r\nTY  - JOUR" in text  # blank line between records
    assert "\n" not in text.replace("\r\n", "")  # CRLF only, as the RIS spec says


def test_ris_hostile_text_cannot_start_a_tag() -> None:
    records = parse_ris(to_ris([{**ZARATE, "title": HOSTILE_TITLE, "abstract": "A\r\nER  - \r\nB\x00C"}]))
    assert len(records) == 1
    assert records[0]["TI"] == [" ".join(HOSTILE_TITLE.split())]
    assert records[0]["AB"] == ["A ER - B C"]


def test_ris_without_optional_fields() -> None:
    bare = {"pmid": "1", "title": "T", "authors": ["Ketamine Study Group"], "pub_year": 1999}
    records = parse_ris(to_ris([bare]))
    assert records[0]["PY"] == ["1999"] and "DA" not in records[0]  # no month: no DA
    assert "DO" not in records[0] and "AB" not in records[0]


def test_author_names_prefers_details_and_keeps_collectives() -> None:
    assert author_names(ZARATE) == [("Zarate", "Carlos A"), ("Singh", "Jaskaran B")]
    assert author_names({"author_details": [{"collective": "Ketamine Study Group"},
                                            {"last_name": "van der Berg", "fore_name": "Anna"},
                                            {"last_name": "Li", "initials": "X"}]}) == [
        ("Ketamine Study Group", None), ("van der Berg", "Anna"), ("Li", "X")]
    # Plain strings ("Fore Last", as iter_articles gives them): split at the last space.
    assert author_names({"authors": ["Carlos A Zarate", "Doe, Jane", "Plato"]}) == [
        ("Zarate", "Carlos A"), ("Doe", "Jane"), ("Plato", None)]


def test_bibtex_entry() -> None:
    text = to_bibtex([ZARATE])
    assert text.startswith("@article{zarate2006randomized,\n")
    assert "  author = {Zarate, Carlos A and Singh, Jaskaran B},\n" in text
    assert "  month = aug,\n" in text
    assert "  pages = {856--864},\n" in text
    assert "  doi = {10.1001/archpsyc.63.8.856},\n" in text
    assert "  url = {https://pubmed.ncbi.nlm.nih.gov/16894061/},\n" in text
    assert text.endswith("}\n") and braces_balanced(text)


def test_bibtex_escapes_specials_and_protects_acronyms() -> None:
    text = to_bibtex([{**ZARATE, "title": HOSTILE_TITLE, "abstract": "50% of {n} & more"}])
    assert braces_balanced(text)
    title = re.search(r"^  title = \{(.*)\},$", text, flags=re.M)
    assert title is not None
    value = title.group(1)
    assert "\n" not in value
    assert r"\textbackslash{}input\{/etc/passwd\}" in value  # no live \input command
    for escaped in (r"100\%", r"\$x\$", r"\&", r"\#1", r"\_a", r"\^{}b", r"\~{}c", "{PTSD}", "{JOUR}"):
        assert escaped in value, escaped
    assert "abstract = {50\\% of \\{n\\} \\& more}" in text


def test_bibtex_verbatim_doi_keeps_underscores() -> None:
    text = to_bibtex([{**ZARATE, "doi": "10.1000/ab_c{d}"}])
    assert "  doi = {10.1000/ab_cd},\n" in text


def test_bibtex_keys_unique_stable_and_ascii() -> None:
    base = {"title": "Ketamine for depression", "pub_year": 2020, "authors": ["José Núñez"]}
    records = [{**base, "pmid": "300"}, {**base, "pmid": "100"}, {**base, "pmid": "200"}]
    assert bibtex_keys(records) == {"100": "nunez2020ketamine", "200": "nunez2020ketaminea",
                                    "300": "nunez2020ketamineb"}
    # A newer article (higher PMID) never changes the keys of the ones already cited.
    more = bibtex_keys([*records, {**base, "pmid": "400"}])
    assert {k: v for k, v in more.items() if k != "400"} == bibtex_keys(records)
    assert more["400"] == "nunez2020ketaminec"


@pytest.mark.parametrize(
    ("record", "key"),
    [
        ({"title": "The effect of ketamine", "pub_year": 2019, "authors": ["A Smith"]}, "smith2019effect"),
        ({"title": "2019 update", "pub_year": None, "authors": []}, "anonndupdate"),
        ({"title": "Ketamine", "pub_date": "2001-02", "author_details": [{"collective": "Ketamine Study Group"}]},
         "ketamine2001ketamine"),
        ({"title": "Ketamine", "pub_year": 2001, "author_details": [{"last_name": "van der Berg", "fore_name": "A"}]},
         "vanderberg2001ketamine"),
    ],
)
def test_bibtex_key_base(record: dict[str, Any], key: str) -> None:
    assert bibtex_key_base(record) == key


def test_collective_author_is_braced() -> None:
    text = to_bibtex([{"pmid": "1", "title": "T", "pub_year": 2000,
                       "author_details": [{"collective": "Ketamine & Esketamine Study Group"}]}])
    assert "author = {{Ketamine \\& Esketamine Study Group}}" in text


def test_latex_escape_leaves_unicode() -> None:
    assert latex_escape("Núñez – 5 µg") == "Núñez – 5 µg"


def test_real_records_through_the_store(tmp_path: Path) -> None:
    from ketlit.sources.pubmed_parse import parse_pubmed_xml
    from ketlit.store.core import open_store

    xml = shared("pubmed", "meta-harness_efetch_esketamine_trd_3records.xml").read_bytes()
    store = open_store(tmp_path / "c.db")
    store.save_page(run_id=None, source="import", endpoint="xml", request={}, content_type="text/xml", body=xml,
                    articles=parse_pubmed_xml(xml))
    records = list(store.iter_articles())
    store.close()
    assert len(records) == 3
    ris = parse_ris(to_ris(records))
    assert len(ris) == 3
    for parsed, record in zip(ris, sorted(records, key=lambda r: int(r["pmid"])), strict=True):
        assert parsed["AN"] == [record["pmid"]]
        assert parsed["TI"] and parsed["AU"] and parsed["PY"] and parsed["T2"]
        assert all(", " in a or " " not in a for a in parsed["AU"])
    bib = to_bibtex(records)
    assert bib.count("@article{") == 3 and braces_balanced(bib)
    keys = re.findall(r"^@article\{([a-z0-9]+),$", bib, flags=re.M)
    assert len(set(keys)) == 3


def test_bibtex_keys_never_collide_across_bases() -> None:
    # "x2020ketamine" + "a" is also the bare key of a title starting "Ketaminea".
    base = {"pub_year": 2020, "authors": ["A X"]}
    records = [{**base, "pmid": "1", "title": "Ketamine"}, {**base, "pmid": "2", "title": "Ketamine"},
               {**base, "pmid": "3", "title": "Ketaminea"}]
    keys = bibtex_keys(records)
    assert keys == {"1": "x2020ketamine", "2": "x2020ketaminea", "3": "x2020ketamineaa"}
    many = bibtex_keys([{**base, "pmid": str(i), "title": "Same"} for i in range(1, 60)])
    assert len(set(many.values())) == 59 and many["28"] == "x2020sameaa"
