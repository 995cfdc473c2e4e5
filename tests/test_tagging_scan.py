"""The tagger's scanning fast paths against plain implementations of the same thing.

Each fast path (the gram scanner reading its matches in C, tries run after a consumed separator,
the anchored cues' literal prefilter as one regex) must find exactly what the plain code finds:
they are optimisations, never a change of meaning.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from ketlit.tagging import Tagger, load_rules
from ketlit.tagging.patterns import DIGITS_TO_0, GramScanner, Matcher, gram_trie_re, sep_trie_re
from ketlit.tagging.text import RecordText
from tests.conftest import SHARED_DATA

# Edge cases: digits (grams read as 0), non-ASCII letters and digits, underscores, punctuation
# grams, a gram at the very start and end, fields joined by newlines, upper case.
_EDGES = [
    "ketamine",
    "(iv) ketamine 0.5 mg/kg; IV ketamine_infusion s-ketamine",
    "é-ketamine éketamine ketaminé 5mg 10mg ٣mg 5-HT2A esketamine-treated",
    "Patients with no history of depression, not treated (i.v.) vs. placebo\nketamine",
    "_ketamine __iv iv_ 1st-line non-responders; treatment-resistant depression (TRD).",
    "W/ or w/o ketamine? NO. Not patients: adults, children & adolescents",
]


def _texts() -> list[str]:
    texts = list(_EDGES)
    gold = SHARED_DATA / "labels" / "psynamic_gold_dev.jsonl"
    if gold.exists():
        for line in gold.read_text(encoding="utf-8").splitlines()[:40]:
            row = json.loads(line)
            texts.append(row["title"] + "\n" + row["abstract"])
    return texts


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_rules(None))


def _plain_positions(wanted: frozenset[str], text: str) -> dict[str, list[int]]:
    """Every word start whose leading alphanumerics (up to 4, digits as 0) are a wanted gram,
    plus every punctuation char followed by up to 3 alphanumerics that make a wanted gram."""
    out: dict[str, list[int]] = {}
    punct = {g[0] for g in wanted if not g[0].isalnum()}
    for p, ch in enumerate(text):
        if ch.isalnum() and (p == 0 or not text[p - 1].isalnum()):
            k = p
            while k < len(text) and k - p < 4 and text[k].isalnum():
                k += 1
        elif ch in punct:
            k = p + 1
            while k < len(text) and k - p < 4 and text[k].isalnum():
                k += 1
        else:
            continue
        g = text[p:k].translate(DIGITS_TO_0)
        if g in wanted:
            out.setdefault(g, []).append(p)
    return out


def test_gram_scanner_finds_the_plain_word_starts(tagger: Tagger) -> None:
    scanner = tagger.text_plan.grams
    checked = 0
    for text in _texts():
        folded = RecordText([("abstract", text)], tagger.text_plan).folded
        got = scanner.positions(folded)
        assert got == _plain_positions(scanner._wanted, folded), text[:60]
        checked += sum(map(len, got.values()))
    assert checked > 1000


def test_gram_scanner_reads_digit_grams_as_zero() -> None:
    # A gram is up to 4 alphanumerics ("100mg" reads "000m"); a shorter one must end its word.
    scanner = GramScanner(frozenset({"0mg", "00mg", "0", "keta", "(iv", "1mg"}))
    assert scanner.positions("5mg 10mg 100mg ketamine (iv) 5-ht 7mg") == {
        "0mg": [0, 34], "00mg": [4], "keta": [15], "(iv": [24], "0": [29]
    }


def _trie_matchers(tagger: Tagger) -> list[Matcher]:
    rules = tagger.rules
    found = [r.matcher for r in rules.rules if r.matcher is not None]
    found += [m.matcher for m in rules.masks]
    found += [m for c in rules.contexts.values() for m in (c.before, c.after) if m is not None]
    found += list(rules.anchors.values())
    if rules.substance_regex is not None:
        found.append(rules.substance_regex)
    return [m for m in found if m.sep_trie is not None]


def test_separator_tries_find_what_the_lookbehind_tries_find(tagger: Tagger) -> None:
    grams = set(tagger._ctx_owners)
    for m in _trie_matchers(tagger):
        grams |= m.grams or set()
    plain = gram_trie_re(grams)
    fast = sep_trie_re(grams)
    assert plain is not None and fast is not None
    for text in _texts()[:12]:
        folded = RecordText([("abstract", text)], tagger.text_plan).folded
        for lo in range(1, len(folded), 3):
            hi = min(len(folded), lo + 60)
            want = [(x.start(), x.group()) for x in plain.finditer(folded, lo, hi)]
            assert [(x.start(1), x.group(1)) for x in fast.finditer(folded, lo - 1, hi)] == want


def _spans(ms: object) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in ms]  # type: ignore[attr-defined]


def test_matchers_with_separator_tries_match_as_without(tagger: Tagger) -> None:
    matchers = _trie_matchers(tagger)
    assert len(matchers) > 20
    for text in _texts()[:10]:
        folded = RecordText([("abstract", text)], tagger.text_plan).folded
        n = len(folded)
        for m in matchers:
            plain = dataclasses.replace(m, sep_trie=None)
            for lo in range(0, n, 7):
                hi = min(n, lo + 60)
                a, b = m.search(folded, lo, hi), plain.search(folded, lo, hi)
                assert (a and a.span()) == (b and b.span()), (m.regex.pattern[:40], lo)
                end = min(n, hi + 40)
                assert _spans(m.finditer(folded, lo, hi, end)) == _spans(plain.finditer(folded, lo, hi, end))


def test_anchored_literal_prefilter_changes_no_match(tagger: Tagger) -> None:
    anchored = [
        m for c in tagger.rules.contexts.values() for m in (c.before, c.after)
        if m is not None and m.anchored and m.literal_re is not None
    ]
    assert anchored
    for text in _texts():
        folded = RecordText([("abstract", text)], tagger.text_plan).folded
        for m in anchored:
            assert m.literals is not None
            plain = dataclasses.replace(m, literal_re=None)
            for lo in range(0, len(folded), 5):
                hi = min(len(folded), lo + 70)
                a, b = m.search(folded, lo, hi), plain.search(folded, lo, hi)
                assert (a and a.span()) == (b and b.span())
                # The one regex says what a find per literal says.
                assert (m.literal_re.search(folded, lo, hi) is None) == all(  # type: ignore[union-attr]
                    folded.find(x, lo, hi) < 0 for x in m.literals
                )


def test_context_cues_before_a_match_as_the_plain_scan_finds_them(tagger: Tagger) -> None:
    plain_trie = tagger._ctx_trie
    assert plain_trie is not None and tagger._ctx_sep_trie is not None
    for text in _texts()[:15]:
        folded = RecordText([("abstract", text)], tagger.text_plan).folded
        starts = [x.start() for x in re.finditer(r"\b\w", folded)]
        for a in starts:
            lo = max(0, a - tagger._ctx_window)
            want: dict[str, list[int]] = {}
            for x in plain_trie.finditer(folded, lo, a):
                for name in tagger._ctx_owners.get(x.group().translate(DIGITS_TO_0), ()):
                    want.setdefault(name, []).append(x.start())
            assert tagger._cues_before(folded, lo, a) == want
