"""The number reader's literal screens only skip scans that cannot match: the findings stay the same.

The screens (:mod:`ketlit.claims.screens` and the hand-written ones in :mod:`ketlit.claims.numbers`)
are checked three ways: folding against every code point, each screen against its regex on real
abstracts and on sentences made to trip it (odd case-folding characters, quantified letters,
whitespace the sentence splitter rewrites), and the reader with every screen against the reader
with none.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketlit.claims import numbers, screens
from ketlit.claims.numbers import abstract_findings, findings_to_json, sample_size
from ketlit.claims.rules import Patterns, Rules, load_rules
from ketlit.claims.screens import fold, screened_any, screened_search, words

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Sentences that trip a careless screen: the Kelvin sign, dotless and dotted capital i and the long s
# all match ASCII letters under IGNORECASE; "cravings?" must not require the "s"; no-break spaces
# become spaces when sentences are split; masking a condition blanks text next to a harm.
TRICKY = [
    "Response was seen in 12 of 20 patients given \u212aetamine versus placebo at 24 h.",
    "Remıssion occurred in 5 of 10 patients within two hours.",
    "REMİSSION RATES WERE 40% AT DAY 7 AND THE EFFECT LASTED FOR 2 WEEKS.",
    "Remiſſion was achieved by nine of 14 participants after 3 mo; relapse occurred after 10 days.",
    "Craving for ketamine and drug-seeking were rare; dizzineſs and NAUSEA were transient (12%).",
    "Blood\u00a0pressure increased transiently after 0.5\u00a0mg/kg ketamine in alcohol dependence.",
    "Urinary-tract symptoms and cystitis persisted in chronic ketamine users (n = 30).",
    "The pooled response rate was 45% (95% CI 30-60%) in 200 patients with treatment-resistant depression.",
    "Rapid antidepressant effects were seen within 40 minutes of esketamine; no effect at 4 h vs midazolam.",
    "Hallucinations, somnolence and dissociation (CADSS) resolved within 2\u2009h in 7/10 subjects.",
    "A second dose 1 week apart; 30-min infusions of 0.5 milligrams per kg were RANDOMISED.",
    "Memory impairment and cognitive deficits were not seen at 12 months in 24 veterans.",
    "Response (≥50% reduction) was 70% in the esketamine group and 52% in the placebo group at day 28.",
]


def _abstracts() -> list[str]:
    texts = [
        str(r.get("abstract") or "") for r in json.loads((FIXTURES / "claims_records.json").read_text())["records"]
    ]
    for xml in sorted(FIXTURES.glob("efetch_*.xml")):
        body = xml.read_text(encoding="utf-8")
        texts += [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<AbstractText[^>]*>(.*?)</AbstractText>", body, re.S)]
    texts.append((FIXTURES / "claims_page_numbers.txt").read_text(encoding="utf-8"))
    return [t for t in texts if t.strip()]


def _sentences() -> list[str]:
    out = list(TRICKY)
    for text in _abstracts():
        out += [s for _, s in numbers._labelled_sentences(text)]
    return out


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def _lists(rules: Rules) -> Iterator[tuple[str, Patterns]]:
    for group in ("numbers", "arms", "direction", "construct_cues", "adverse", "indications"):
        for name, pats in getattr(rules, group).items():
            yield f"{group}.{name}", pats
    unions = numbers._unions(rules)
    yield "union.indications", unions.indications
    yield "union.harms", unions.harms
    yield "union.constructs", unions.constructs
    yield "other_treatments", rules.other_treatments_evidence


def _all_characters() -> str:
    return "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)


def test_folding_maps_every_character_an_ignorecase_letter_matches_to_that_letter() -> None:
    chars = _all_characters()
    for letter in "abcdefghijklmnopqrstuvwxyz":
        matched = set(re.findall(letter, chars, re.IGNORECASE))
        assert {c for c in matched if fold(c) != letter} == set(), letter
    # The four beyond the ASCII cases are the reason fold is not plain lower().
    assert [fold(c) for c in "\u0130\u0131\u017f\u212a"] == ["i", "i", "s", "k"]
    assert "\u0130".lower() != "i"


def test_folding_keeps_offsets_and_word_characters() -> None:
    word = re.compile(r"\w")
    changed = [c for c in _all_characters() if len(fold(c)) != 1 or bool(word.match(c)) != bool(word.match(fold(c)))]
    assert changed == []
    text = "Remİſſion \u212aetamine ΣΑΣ; day 7"
    assert len(fold(text)) == len(text)


def test_pattern_words_are_the_required_literals() -> None:
    def of(pattern: str, flags: int = re.IGNORECASE) -> tuple[str, ...] | None:
        return words(Patterns((re.compile(pattern, flags),)))

    assert of(r"\bdependen(ce|cy)\b") == ("dependen",)
    assert of(r"\bcravings?\b") == ("craving",)  # the quantified "s" is not required
    assert of(r"\b(opioid|cocaine)s? use\b") == ("opioid", "cocaine")
    assert of(r"(?<!sub )\bTRD\b") == ("trd",)  # a lookbehind's text is not part of the match
    assert of(r"(?x) blood \s pressure") == ("pressure",)  # verbose: the spaces are not literals
    assert of(r"abuse|misuse") is None  # a top-level alternation has no word every match holds
    assert of(r"\w+ed\b") == ("ed",)
    assert of(r"[a-z]+") is None
    # A list is screenable only when every pattern is.
    assert words(Patterns((re.compile("nausea", re.I), re.compile(r"\d+", re.I)))) is None


def test_every_rule_list_screen_agrees_with_its_scan(rules: Rules) -> None:
    def found(m: re.Match[str] | None) -> tuple[tuple[int, int], str] | None:
        return (m.span(), m.re.pattern) if m else None

    sentences = _sentences()
    disagree = [
        (name, s)
        for name, pats in _lists(rules)
        for s in sentences
        if screened_any(pats, s, fold(s)) != pats.any(s)
        or found(screened_search(pats, s, fold(s))) != found(pats.search(s))
    ]
    assert disagree == []
    # The screens are not vacuous: most of these lists are skipped for most sentences.
    skipped = sum(1 for _, p in _lists(rules) for s in sentences if not screens.may_match(p, fold(s)))
    assert skipped > len(sentences) * 10


def test_hand_written_screens_never_hide_a_match() -> None:
    for s in _sentences():
        folded = fold(s)
        if numbers._TIME_RX.search(s):
            assert numbers._TIME_SCREEN_RX.search(folded), s
        if numbers._DOSE_RX.search(s):
            assert "mg" in folded or "milligram" in folded, s
        if numbers._RAPID_RX.search(s):
            assert "rapid" in folded, s
        if numbers._POOLED_RX.search(s):
            assert "pooled" in folded, s
        if numbers._SAMPLE_RX.search(s):
            assert any(w in folded for w in numbers._PEOPLE), s


def _no_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every screen answers "may match", so every regex runs as it did before the screens."""
    monkeypatch.setattr(screens, "words", lambda pats: None)
    monkeypatch.setattr(numbers, "_TIME_SCREEN_RX", re.compile(""))
    monkeypatch.setattr(numbers, "_PEOPLE", ("",))
    monkeypatch.setattr(numbers, "fold", lambda text: text + " mg milligram rapid pooled randomi = ")


@pytest.mark.parametrize("summary", [False, True])
def test_findings_are_the_same_with_and_without_screens(
    rules: Rules, monkeypatch: pytest.MonkeyPatch, summary: bool
) -> None:
    texts = [*_abstracts(), *TRICKY, "\n".join(TRICKY), "RESULTS: " + " ".join(TRICKY)]
    screened = [findings_to_json(abstract_findings("t", t, rules, summary=summary)) for t in texts]
    sizes = [sample_size(t) for t in texts]
    with monkeypatch.context() as m:
        _no_screens(m)
        plain = [findings_to_json(abstract_findings("t", t, rules, summary=summary)) for t in texts]
        plain_sizes = [sample_size(t) for t in texts]
    assert screened == plain
    assert sizes == plain_sizes
    # The tricky sentences are read at all (the comparison is not between two empty results).
    tricky = abstract_findings("t", " ".join(TRICKY), rules)
    assert tricky.rates and tricky.times and tricky.adverse and tricky.doses


def test_a_sentence_without_a_lists_words_is_never_scanned(rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[str] = []
    real_any = Patterns.any

    def counting_any(self: Patterns, text: str) -> bool:
        scanned.append(text)
        return real_any(self, text)

    monkeypatch.setattr(Patterns, "any", counting_any)
    text = "The weather was mild. Nothing else was said about it."
    abstract_findings("t", text, rules)
    # "mild" is a transient-harm cue word, but no harm is named, so no list is scanned.
    assert scanned == []
    abstract_findings("t", "Nausea was reported.", rules)
    assert scanned  # a harm word: the harm lists are scanned


def test_sentence_whitespace_is_collapsed_as_the_regex_did() -> None:
    """split_sentences collapses whitespace with ``str.split`` (no regex pass per sentence): the same
    characters as ``\\s`` and the same text as ``re.sub(r"\\s+", " ", s).strip()``."""
    from ketlit.claims.text import split_sentences

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    odd = "".join(c for c in spaces if c not in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    sentence = f"Ketamine{odd}reduced  scores\tby 50%{odd}in most patients."
    (got,) = split_sentences(sentence)
    assert got.text == re.sub(r"\s+", " ", sentence).strip() == "Ketamine reduced scores by 50% in most patients."
