"""Page input: decoding, safe HTML reduction, size/binary/empty limits, sentence locations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ketlit.claims.text import MAX_BYTES, page_from_bytes, read_page, split_sentences
from ketlit.errors import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_utf8_text_is_kept_and_bom_dropped() -> None:
    page = page_from_bytes("\ufeffKetamine – über 60% “success”.".encode(), "page.txt")
    assert page.text == "Ketamine – über 60% “success”."
    assert page.encoding == "utf-8"
    assert page.kind == "text"


def test_non_utf8_falls_back_to_cp1252_with_replacement() -> None:
    page = page_from_bytes("Ketamine \u201cworks\u201d \x81 fast.".encode("cp1252", errors="ignore") + b"\x81", "p.txt")
    assert "“works”" in page.text
    assert page.encoding.startswith("cp1252")


def test_meta_charset_is_used_for_html_that_is_not_utf8() -> None:
    body = '<html><head><meta charset="iso-8859-1"></head><body><p>Ketamin für Depression</p></body></html>'
    page = page_from_bytes(body.encode("latin-1"), "p.html")
    assert page.text == "Ketamin für Depression"
    assert "meta charset" in page.encoding


def test_html_is_reduced_safely() -> None:
    page = page_from_bytes((FIXTURES / "claims_page_iv_clinic.html").read_bytes(), "claims_page_iv_clinic.html")
    assert page.kind == "html"
    for gone in (
        "<",
        "alert",
        "document.write",
        "tracker",
        "color: red",
        "JavaScript",
        "Hidden template",
        "a comment",
        "99%",
    ):
        assert gone not in page.text
    assert "Over 50% of patients respond" in page.text
    # Block elements are paragraph breaks: the two claims are separate paragraphs.
    assert "within 24 hours.\n\nOver 90%" in page.text


def test_site_navigation_is_not_page_text() -> None:
    """Menu links ("Ketamine for Addiction") became claims with the page's drug and conditions filled in."""
    html = (b"<html><body><nav><ul><li><a href='/a'>Ketamine for Addiction</a></li></ul></nav>"
            b"<div role='navigation'><a href='/p'>Ketamine for PTSD</a></div><menu><li>Spravato</li></menu>"
            b"<main><p>Ketamine can reduce cravings.</p></main><footer><p>Call us today.</p></footer></body></html>")
    text = page_from_bytes(html, "p.html").text
    assert "Addiction" not in text and "PTSD" not in text and "Spravato" not in text
    assert "Ketamine can reduce cravings." in text and "Call us today." in text


@pytest.mark.parametrize(
    "html",
    [
        b"<body><nav><a href='/'>Home</a><p>Ketamine infusions can relieve depression within hours for many.</p>",
        b"<body><div role='Navigation'><p>Ketamine infusions can relieve depression within hours for many.</p></div>",
        b"<body><menu><li>Ketamine infusions can relieve depression within hours for many.</li></menu></body>",
    ],
)
def test_navigation_that_holds_prose_is_kept(html: bytes) -> None:
    """An unclosed <nav>, a site wrapped in role="navigation" or a <menu> of sentences is content (each was lost)."""
    assert "relieve depression within hours" in page_from_bytes(html, "p.html").text


def test_html_is_sniffed_on_stdin() -> None:
    page = read_page("-", io.BytesIO(b"<!doctype html><p>One.</p><script>x()</script><p>Two.</p>"))
    assert page.kind == "html"
    assert page.text == "One.\n\nTwo."


def test_markdown_syntax_is_stripped() -> None:
    md = (
        "# Title\n\n**Over 70%** of patients [respond](https://evil.example) to `ketamine`.\n"
        "<script>alert(1)</script>\n"
    )
    page = page_from_bytes(md.encode(), "p.md")
    assert page.text.splitlines()[0] == "Title"
    assert "Over 70% of patients respond to ketamine." in page.text
    assert "evil" not in page.text and "alert" not in page.text


def test_markdown_headings_keep_their_blank_lines() -> None:
    """Heading, list and quote syntax is read within its line: the newlines around "# Title" are not
    part of it ("…DepressionThree breakthrough therapies …" was one sentence)."""
    md = (
        "# Clinic — Treatments for Depression\n\n## Three therapies\n\nWe offer ketamine.\n\n"
        "- One item\n\n> A quote.\n"
    )
    page = page_from_bytes(md.encode(), "p.md")
    assert page.text == (
        "Clinic — Treatments for Depression\n\nThree therapies\n\nWe offer ketamine.\n\n• One item\n\nA quote."
    )
    texts = [s.text for s in split_sentences(page.text)]
    assert texts[:3] == ["Clinic — Treatments for Depression", "Three therapies", "We offer ketamine."]


def test_markdown_link_address_with_parentheses_is_dropped_whole() -> None:
    # "[ketamine](https://en.wikipedia.org/wiki/Ketamine_(drug)) is …" left "drug)) is …" in the sentence.
    md = "See [ketamine](https://en.wikipedia.org/wiki/Ketamine_(drug)) for more. ![x](a_(b).png) Done.\n"
    page = page_from_bytes(md.encode(), "p.md")
    assert page.text == "See ketamine for more. x Done."


def test_markdown_tables_are_read_as_their_cells() -> None:
    # The check listed "\\| Service \\| Price \\|" and "\\|---\\|---\\|" among the page's headings.
    md = (
        "Prices below.\n\n| Service | Price |\n|:---|---:|\n| Ketamine infusion | $450 |\n"
        "| PTSD | Ketamine cures PTSD \\| for good. |\n"
    )
    page = page_from_bytes(md.encode(), "p.md")
    assert [line for line in page.text.splitlines() if line][1:] == [
        "Service · Price", "Ketamine infusion · $450", "PTSD · Ketamine cures PTSD | for good."
    ]
    assert "---" not in page.text
    # A thematic break and a list item are not tables.
    assert page_from_bytes(b"A.\n\n---\n\n- b | c\n", "p.md").text == "A.\n\n\n\n\u2022 b | c"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t  ", "empty"),
        (b"<html><body><script>x()</script></body></html>", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_input_is_an_input_error(data: bytes, message: str) -> None:
    name = "p.html" if data.startswith(b"<html") else "p.txt"
    with pytest.raises(InputError, match=message):
        page_from_bytes(data, name)


def test_too_large_is_refused_without_reading_everything(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_BYTES + 10))
    with pytest.raises(InputError, match="larger than"):
        read_page(big)
    with pytest.raises(InputError, match="larger than"):
        page_from_bytes(b"abc", "x.txt", max_bytes=2)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_page(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        read_page(tmp_path)


def test_input_errors_are_one_line() -> None:
    with pytest.raises(InputError) as info:
        page_from_bytes(b"\x00\x01", "x.bin")
    assert "\n" not in str(info.value)


def test_sentences_keep_locations() -> None:
    text = (
        "What Is Ketamine?\n\nIt works fast, e.g. within hours. Response was 52.3% (23/44).\n"
        "Risks and Precautions\nIt is a Schedule III drug in the U.S. today."
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "What Is Ketamine?",
        "It works fast, e.g. within hours.",
        "Response was 52.3% (23/44).",
        "Risks and Precautions",
        "It is a Schedule III drug in the U.S. today.",
    ]
    for s in sentences:
        assert text[s.location.start : s.location.end] == s.text
    assert sentences[0].question
    assert sentences[3].heading and not sentences[2].heading
    assert [(s.location.paragraph, s.location.sentence) for s in sentences] == [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0)]


def test_list_numbers_are_not_sentences() -> None:
    assert [s.text for s in split_sentences("1. Anesthetic and Pain Management")] == [
        "1. Anesthetic and Pain Management"
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><h2>Why ketamine?</h2><ul><li>Works within hours, not weeks</li>"
        b"<li>FDA-approved medication</li></ul></body></html>",
        b"## Why ketamine?\n\n- Works within hours, not weeks\n- FDA-approved medication\n",
        "Why ketamine?\n\n\u2022 Works within hours, not weeks\n\u2022 FDA-approved medication\n".encode(),
    ],
    ids=["html", "markdown", "text"],
)
def test_list_items_are_statements_not_headings(data: bytes) -> None:
    name = {b"<": "p.html", b"#": "p.md"}.get(data[:1], "p.txt")
    text = page_from_bytes(data, name).text
    sentences = split_sentences(text)
    items = [s for s in sentences if s.list_item]
    assert [s.text for s in items] == ["Works within hours, not weeks", "FDA-approved medication"]
    assert not any(s.heading for s in items)
    assert [s.question for s in sentences if not s.list_item] == [True]  # "Why ketamine?"
    for s in sentences:
        assert text[s.location.start : s.location.end] == s.text


def test_sentence_ends_are_found_as_with_the_slower_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The end-mark regex opens with its class and the abbreviation reach is 7 characters, for speed:
    the sentences are those of the lookbehind-first regex and the 256-character reach, on fixture
    text and on random runs of the characters that decide (marks, quotes, initials, abbreviations)."""
    import json
    import random
    import re

    from ketlit.claims import text as text_module

    pieces = [
        " ", "  ", "\n", ".", "!", "?", "…", "...", '"', "”", ")", "]", "A", "B", "U", "S", "a", "x", "1", "12",
        "e.g", "i.e", "approx", "Dr", "vs", "al", "mg", "No", "et al", "U.S", "U.S.A", "Fig", "hrs", "Ketamine",
        "word", "(", "'", "•",
    ]  # fmt: skip
    rng = random.Random(15)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 60))) for _ in range(4000)]
    texts += [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]
    records = json.loads((FIXTURES / "claims_records.json").read_text())["records"]
    texts += [str(r.get("abstract") or "") for r in records]
    fast = [split_sentences(t) for t in texts]
    monkeypatch.setattr(text_module, "_SENT_END", re.compile(r"""(?<![.!?…])[.!?…]++["'”’)\]]*+(?=\s|$)"""))
    monkeypatch.setattr(text_module, "_ABBREV_REACH", 256)
    slow = [split_sentences(t) for t in texts]
    assert fast == slow
    assert sum(len(s) > 1 for s in fast) > 1000  # the texts split at all
    # The reach covers the longest abbreviation word and its period.
    words = re.search(r"\(\?:([^()]*)\)", text_module._ABBREV.pattern)
    assert words is not None
    assert max(len(w.replace("\\", "")) for w in words.group(1).split("|")) + 1 <= text_module._ABBREV_REACH


def test_sentence_whitespace_shortcut_is_the_split_and_join() -> None:
    """A printable sentence without a double space is its own collapsed form: every whitespace
    character but the ASCII space is unprintable."""
    import sys

    from ketlit.claims.text import _collapsed, sentence_texts

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert [c for c in spaces if c.isprintable()] == [" "]
    for sentence in ["a b", "a  b", "a\u00a0b", "a\tb", "a\u2009b c", "x", "Ketamine (0.5 mg/kg) — 52%."]:
        assert _collapsed(sentence) == " ".join(sentence.split())
    text = (FIXTURES / "claims_page_numbers.txt").read_text(encoding="utf-8")
    assert sentence_texts(text) == [s.text for s in split_sentences(text)]
