"""Hostile and odd pages: declared charsets that are not text encodings, markup that used to hide the
rest of the page, deep nesting, invisible characters, one-sentence pages, and repeated content.

Each case names what must *not* happen: a traceback, a silently empty page, "0 claims" for a page
that states one, or work that grows with every repetition of the same paragraph.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

import ketlit.claims.check as check_module
import ketlit.claims.extract as extract_module
from ketlit.claims.check import check_page
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.rules import Rules
from ketlit.claims.text import Sentence, page_from_bytes, read_page
from ketlit.errors import InputError

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CLAIM = "Ketamine infusions relieve treatment-resistant depression within 24 hours."


def _claim_texts(text: str, rules: Rules) -> list[str]:
    return [c.text for c in extract_claims(text, rules)]


# ------------------------------------------------------------------ declared charsets

# Python codecs that are not text encodings (bytes↔bytes or str↔str transforms), text codecs a page
# has no business naming (they can turn bytes into markup, or are not ASCII-compatible), and names
# that are no codec at all.
NOT_WEB_ENCODINGS = [
    "rot13", "rot_13", "rot-13", "base64", "base_64", "hex", "zlib", "zip", "bz2", "quopri", "uu",
    "utf-7", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "cp500", "utf-16", "utf-32",
    "x-no-such-charset", "..", "mbcs",
]  # fmt: skip


def _declaring(form: str, name: str) -> bytes:
    head = {
        "meta": f'<meta charset="{name}">',
        "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={name}">',
        "xml": "",
    }[form]
    xml = f'<?xml version="1.0" encoding="{name}"?>\n' if form == "xml" else ""
    # One byte that is not UTF-8 (0xe9, "é" in Windows-1252), so the declaration is consulted.
    return f"{xml}<html><head>{head}</head><body><p>Ketamine relieves depression caf\xe9.</p></body></html>".encode(
        "latin-1"
    )


@pytest.mark.parametrize("form", ["meta", "http-equiv", "xml"])
@pytest.mark.parametrize("name", NOT_WEB_ENCODINGS)
def test_a_declared_charset_that_is_not_a_web_text_encoding_falls_back_and_is_named(form: str, name: str) -> None:
    page = page_from_bytes(_declaring(form, name), "p.html")  # must not raise (rot13 gave a LookupError)
    assert page.text == "Ketamine relieves depression café."
    assert page.encoding.startswith("cp1252 (fallback, with replacement")
    assert repr(name) in page.encoding  # the report says which declaration was refused


@pytest.mark.parametrize(
    ("form", "name", "word"),
    [
        ("xml", "iso-8859-1", "Ketamin für Depression"),
        ("xml", "windows-1251", "Кетамин"),
    ],
)
def test_a_declared_web_encoding_is_used_and_recorded(form: str, name: str, word: str) -> None:
    xml = f'<?xml version="1.0" encoding="{name}"?>' if form == "xml" else ""
    meta = f'<meta http-equiv="content-type" content="text/html; charset={name}">' if form != "xml" else ""
    page = page_from_bytes(f"{xml}<html><head>{meta}</head><body><p>{word}</p></body></html>".encode(name), "p.html")
    assert page.text == word
    assert page.encoding.endswith("(from <?xml encoding>)" if form == "xml" else "(from <meta charset>)")


def test_a_page_that_is_not_its_declared_encoding_says_so() -> None:
    page = page_from_bytes(b'<meta charset="shift_jis"><p>Ketamine \x81\x20 works.</p>', "p.html")
    assert page.encoding.startswith("cp1252") and "not valid shift_jis" in page.encoding


# ------------------------------------------------------------------ markup that used to hide text


@pytest.mark.parametrize("fixture", ["page_webforms_form.html", "page_embed_void.html", "page_object_unclosed.html"])
def test_text_inside_forms_and_after_embed_or_object_is_read(fixture: str, rules: Rules) -> None:
    page = page_from_bytes((PAGES / fixture).read_bytes(), fixture)
    assert CLAIM in page.text
    assert CLAIM in _claim_texts(page.text, rules)


def test_form_controls_are_not_page_text() -> None:
    page = page_from_bytes((PAGES / "page_webforms_form.html").read_bytes(), "page_webforms_form.html")
    assert "not page text" not in page.text and "VIEWSTATE" not in page.text and "Clinic | Home" not in page.text


def test_object_fallback_and_the_rest_of_the_page_survive() -> None:
    text = page_from_bytes((PAGES / "page_object_unclosed.html").read_bytes(), "x.html").text
    assert text.split("\n\n") == [
        "Watch our introduction video.",
        "Ketamine is FDA-approved for depression.",
        CLAIM,  # after an <object> left open to the end of the body
    ]


@pytest.mark.parametrize("dropped", ["script", "style", "iframe", "template", "noscript", "svg"])
def test_an_unclosed_dropped_element_ends_with_its_parent(dropped: str) -> None:
    body = f"<div><{dropped}>hidden</div><p>{CLAIM}</p>" if dropped not in ("script", "style") else ""
    if not body:  # raw-text elements: their content is never markup, so only their own end tag ends them
        body = f"<div><{dropped}>hidden</{dropped}></div><p>{CLAIM}</p>"
    text = page_from_bytes(f"<html><body>{body}</body></html>".encode(), "p.html").text
    assert text == CLAIM


@pytest.mark.parametrize("depth", [254, 300, 3000, 100_000])
def test_deep_nesting_drops_no_text(depth: int, rules: Rules) -> None:
    markup = (
        "<html><body>" + "<div><span>" * (depth // 2) + f"<p>{CLAIM}</p>" + "</span></div>" * (depth // 2)
        + "<p>Ketamine is FDA-approved for depression.</p></body></html>"
    )  # fmt: skip
    page = page_from_bytes(markup.encode(), "deep.html")
    assert page.text == f"{CLAIM}\n\nKetamine is FDA-approved for depression."
    texts = _claim_texts(page.text, rules)
    assert CLAIM in texts and "Ketamine is FDA-approved for depression." in texts


def test_deep_unclosed_nesting_drops_no_text() -> None:
    page = page_from_bytes(("<div>" * 50_000 + CLAIM).encode(), "deep.html")
    assert page.text == CLAIM


# ------------------------------------------------------------------ invisible characters

INVISIBLE = [
    *map(chr, range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *map(chr, range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u200e", "\u200f", "\u061c",  # LRM RLM ALM
    "\u200c", "\u200d", "\u2060", "\u00ad",  # ZWNJ ZWJ word joiner soft hyphen
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("kind", ["p.txt", "p.md", "p.html"])
def test_bidi_and_invisible_characters_are_stripped(char: str, kind: str, rules: Rules) -> None:
    sentence = f"{char}Keta{char}mine relieves depression {char}within 24 hours{char}.{char}"
    data = f"<p>{sentence}</p>" if kind.endswith("html") else sentence
    page = page_from_bytes(data.encode(), kind)
    assert page.text == "Ketamine relieves depression within 24 hours."
    assert char not in page.text
    assert page.text in _claim_texts(page.text, rules)  # and the drug name, no longer split, is found


@pytest.mark.parametrize("entity", ["&#x202E;", "&#8207;", "&rlm;", "&lrm;", "&zwj;", "&shy;"])
def test_invisible_characters_spelled_as_entities_are_stripped(entity: str) -> None:
    page = page_from_bytes(f"<p>Keta{entity}mine relieves{entity} depression.</p>".encode(), "p.html")
    assert page.text == "Ketamine relieves depression."


# ------------------------------------------------------------------ short pages, drug-naming sentences


@pytest.mark.parametrize("drug", ["Ketamine", "Esketamine", "Spravato", "Arketamine"])
@pytest.mark.parametrize("verb", ["cures", "treats", "heals"])
@pytest.mark.parametrize("condition", ["depression", "PTSD"])
def test_a_one_sentence_page_naming_the_drug_is_never_zero_claims(
    drug: str, verb: str, condition: str, rules: Rules
) -> None:
    sentence = f"{drug} {verb} {condition}."
    claims = extract_claims(page_from_bytes(sentence.encode(), "p.txt").text, rules)
    assert [c.text for c in claims] == [sentence]
    for c in claims:
        # A claim, or listed as not checkable with a reason an editor can read.
        assert c.checkable or c.not_checkable_reason


def test_a_drug_sentence_without_claim_wording_is_listed_with_its_reason(rules: Rules) -> None:
    claims = extract_claims("The dosing of ketamine is critical.", rules)
    assert [(c.kind, c.text) for c in claims] == [("not_checkable", "The dosing of ketamine is critical.")]
    assert "names the drug" in (claims[0].not_checkable_reason or "")


def test_sentences_not_naming_the_drug_stay_unlisted(rules: Rules) -> None:
    # Negative: the rule is about sentences naming the drug, not every sentence on a page.
    assert extract_claims("The weather is nice today. Relief varies.", rules) == []


# ------------------------------------------------------------------ long pages: work per distinct content


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def wrapped(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_repeated_paragraphs_are_read_and_judged_once(monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
    paragraph = (
        "Ketamine infusions relieve treatment-resistant depression within 24 hours. "
        "Over 70% of patients respond to ketamine. Ketamine is not addictive."
    )
    reads = _counting(monkeypatch, extract_module, "_claims_for")
    judged = _counting(monkeypatch, check_module, "judge")
    index = InMemoryIndex([], rules)
    one = check_page(paragraph, "one", index, rules)
    per_copy = (reads[0], judged[0])
    reads[0] = judged[0] = 0
    many = check_page("\n\n".join([paragraph] * 40), "many", index, rules)
    assert len(many.claims) == 40 * len(one.claims)
    assert (reads[0], judged[0]) == per_copy  # not 40 times the work
    # Each copy keeps its own place on the page and its own id.
    assert len({c.claim.location for c in many.claims}) == 40 * len({c.claim.location for c in one.claims})
    assert [c.claim.id for c in many.claims] == [f"c{n}" for n in range(1, len(many.claims) + 1)]


def test_span_index_agrees_with_pairwise_tests() -> None:
    from ketlit.claims.extract import _Spans  # here, so the rest of the module runs against older code too

    rng = random.Random(7)
    for _ in range(200):
        spans = [(a, a + rng.randint(1, 12)) for a in (rng.randint(0, 60) for _ in range(rng.randint(0, 6)))]
        index = _Spans(spans)
        for s in range(0, 70, 3):
            e = s + rng.randint(1, 8)
            assert index.contain(s, e) == any(a <= s and e <= b for a, b in spans)
            assert index.overlap(s, e) == any(s < b and e > a for a, b in spans)


def test_a_block_without_sentence_ends_is_listed_not_read(monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
    words = "ketamine infusions relieve depression within hours for most patients and " * 400
    kinds = _counting(monkeypatch, extract_module, "_kinds")
    claims = extract_claims(f"Ketamine clinic\n\n{words}", rules)
    assert [c.kind for c in claims] == ["not_checkable"]
    assert "no sentence end in" in (claims[0].not_checkable_reason or "")
    assert len(claims[0].text) < 300  # the report quotes its start, not the whole block
    assert kinds[0] == 0  # no cue scan ran over the block


def test_a_page_with_too_many_sentences_is_refused_in_one_line_before_any_judging(
    monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setattr(check_module, "MAX_SENTENCES", 5)
    judged = _counting(monkeypatch, check_module, "judge")
    def page_of(n: int) -> str:
        return " ".join(f"Ketamine relieves depression in {k} hours." for k in range(n))

    page = page_of(6)
    with pytest.raises(InputError, match=r"^big\.txt: 6 sentences, more than the 5 one check reads") as info:
        check_page(page, "big.txt", InMemoryIndex([], rules), rules)
    assert "\n" not in str(info.value)
    assert judged[0] == 0
    # At the limit the page is checked.
    assert len(check_page(page_of(5), "ok.txt", InMemoryIndex([], rules), rules).claims) >= 5


def test_page_wide_patterns_skip_a_block_that_is_only_listed(monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
    block = "ketamine infusions relieve depression within hours for most patients and " * 400
    seen: list[int] = []
    real = extract_module.page_context

    def spy(text: str, r: Rules, sentences: Sequence[Sentence] | None = None) -> extract_module.PageContext:
        seen.append(len(text))
        # The sentences the page's conditions are counted on are the read ones too.
        assert sentences is None or all(len(s.text) <= len(text) for s in sentences)
        return real(text, r, sentences)

    monkeypatch.setattr(extract_module, "page_context", spy)
    claims = extract_claims(f"Ketamine works for depression.\n\n{block}", rules)
    assert seen == [len("Ketamine works for depression.")]
    assert [c.kind for c in claims] == ["efficacy", "not_checkable"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_page_saved_as_utf16_or_utf32_with_a_bom_is_read(codec: str) -> None:
    """Notepad's "Unicode" is UTF-16 with a byte-order mark: its NUL bytes are code units, not a
    binary file (it was refused as one)."""
    text = "<html><body><p>Ketamine works within hours for 70% of patients — café.</p></body></html>"
    data = text.encode(codec)
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        data = codecs.BOM_UTF16_BE + data  # "utf-16-be" writes no mark of its own
    page = page_from_bytes(data, "page.html")
    assert page.kind == "html" and "works within hours for 70% of patients — café." in page.text
    assert "byte-order mark" in page.encoding


def test_a_broken_utf16_page_and_a_web_address_get_one_line_errors() -> None:
    with pytest.raises(InputError, match="not valid UTF-16"):
        page_from_bytes(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8", "page.txt")  # a lone surrogate
    with pytest.raises(InputError, match="not a web address") as caught:
        read_page("https://clinic.example/ketamine")
    assert "https://clinic.example/ketamine" in str(caught.value)  # as typed, not folded to "https:/"
