"""The number reader's fast paths only skip scans that cannot match: the findings stay the same.

The hand-written screens (:mod:`ketlit.claims.screens`' folding and the literal tests in
:mod:`ketlit.claims.numbers`) and the anchored lists (:mod:`ketlit.claims.anchored`) are checked
three ways: folding against every code point, each screen and each anchored list against its plain
regexes on real abstracts and on sentences made to trip it (odd case-folding characters, quantified
letters, whitespace the sentence splitter rewrites), and the reader with every fast path against
the reader with none.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketlit.claims import anchored, numbers
from ketlit.claims.anchored import AnchoredPatterns, PlainPatterns, rule_lists
from ketlit.claims.numbers import abstract_findings, findings_to_json, sample_size
from ketlit.claims.rules import Patterns, Rules
from ketlit.claims.screens import fold
from ketlit.evidence.matcher import AnchorIndex

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


def _lists(rules: Rules) -> Iterator[tuple[str, Patterns]]:
    """Every list the reader asks about, and the unions it asks first."""
    for group in ("numbers", "arms", "direction", "construct_cues", "adverse", "indications"):
        for name, pats in getattr(rules, group).items():
            yield f"{group}.{name}", pats
    yield "union.indications", anchored._union(rules.indications.values())
    yield "union.harms", anchored._union(rules.adverse.values())
    yield "union.constructs", anchored._union(rules.construct_cues.values())
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


def _texts_of(sentences: list[str], rules: Rules) -> list[str]:
    """The sentences, their clauses, windows and masked forms: every kind of text the reader asks about."""
    out: list[str] = []
    lists = rule_lists(rules)
    for s in sentences:
        out += [s, numbers._masked(s, lists), s[10:70], s[: len(s) // 2]]
        out += [c for _, c in numbers._clauses(s)]
    return out


def _spans(found: list[re.Match[str]] | re.Match[str] | None) -> object:
    if isinstance(found, list):
        return [(m.span(), m.re.pattern) for m in found]
    return (found.span(), found.re.pattern) if found else None


def test_every_anchored_list_answers_as_its_patterns(rules: Rules) -> None:
    index = AnchorIndex()  # one index for all, as the reader shares one
    wrapped = [(name, pats, anchored.anchored(pats, index)) for name, pats in _lists(rules)]
    assert all(isinstance(w, AnchoredPatterns) for _, _, w in wrapped)  # none fell back to plain
    disagree: list[tuple[str, str, str]] = []
    ruled_out = 0
    texts = _texts_of(_sentences(), rules)
    for text in texts:
        for name, pats, fast in wrapped:
            found = pats.any(text)
            if fast.any(text) != found or fast.any_alone(text) != found:
                disagree.append((name, "any", text))
            if found and not fast.may_match(text):
                disagree.append((name, "may_match", text))
            ruled_out += not fast.may_match(text)
            if _spans(fast.search(text)) != _spans(pats.search(text)):
                disagree.append((name, "search", text))
            if _spans(fast.finditer(text)) != _spans(pats.finditer(text)):
                disagree.append((name, "finditer", text))
    assert disagree == []
    # Not vacuous: the literals rule most lists out for most texts, and many texts match some list.
    assert ruled_out > len(texts) * len(wrapped) // 2
    assert sum(any(p.any(t) for _, p, _ in wrapped) for t in texts) > len(texts) // 4


def test_anchored_search_and_finditer_are_the_lists_not_the_alternations() -> None:
    """Patterns.search takes the longest match at the earliest start (the alternation, the first
    listed); Patterns.finditer gives every pattern's matches, overlapping (the alternation's do not)."""
    index = AnchorIndex()

    def both(*sources: str) -> tuple[Patterns, AnchoredPatterns | PlainPatterns | object]:
        pats = Patterns(tuple(re.compile(p, re.IGNORECASE) for p in sources))
        return pats, anchored.anchored(pats, index)

    pats, fast = both(r"\bside\b", r"\bside[- ]effects?\b", r"effects?")
    text = "Side-effects were mild; the side effect most seen was nausea."
    assert isinstance(fast, AnchoredPatterns)
    assert _spans(fast.search(text)) == _spans(pats.search(text)) == ((0, 12), r"\bside[- ]effects?\b")
    assert _spans(fast.finditer(text)) == _spans(pats.finditer(text))
    assert len(fast.finditer(text)) == 6  # "Side", "Side-effects", "effects", and the same again
    # Lookbehinds see the text before the match start, as in a search from the start.
    pats, fast = both(r"(?<!no )\brelapse\b", r"(?<=\d )weeks?")
    for text in ("no relapse at 4 weeks", "relapse at 4 weeks", "No Relapse; RELAPSE"):
        assert isinstance(fast, AnchoredPatterns)
        assert _spans(fast.search(text)) == _spans(pats.search(text))
        assert _spans(fast.finditer(text)) == _spans(pats.finditer(text))


def test_a_list_the_matcher_cannot_read_as_written_stays_plain() -> None:
    index = AnchorIndex()
    case_sensitive = Patterns((re.compile(r"\bECT\b"),))  # compiled without IGNORECASE
    assert isinstance(anchored.anchored(case_sensitive, index), PlainPatterns)
    assert isinstance(anchored.anchored(Patterns(()), index), PlainPatterns)
    plain = anchored.anchored(case_sensitive, index)
    assert plain.any("ECT was given") and not plain.any("the effect") and plain.may_match("anything")
    assert not anchored.anchored(Patterns(()), index).any("anything")


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
        if numbers._COUNT_MET_RX.search(s):
            assert any(w in folded for w in numbers._COUNT_VERBS), s


# Words with the characters IGNORECASE matches to ASCII letters at their start ("ſ" is "s", the
# Kelvin sign "k"), and number-like words the lookaheads must not shut out.
ODD_STARTS = [
    "ſixty percent of ſeven patients responded", "ſeveral DAYS later, Twenty-One of 30 subjects met it",
    "Fifty PERCENT, ONE hour, an hour, a few weeks, ſeen in 4 of 9 participants, Week 4, DAY 7, ſubjects",
    "Eleven of Nineteen (58%) outpatients; zero in the placebo arm; 1.5 mg/kg; 0.5 to 1 MG; 2\u00a0h",
    "\u212aetamine: n = 12; achieved by ſix of the 10 patients; observed in nine adults; ATTAINED BY TWO",
]  # fmt: skip


def test_first_character_lookaheads_change_no_match() -> None:
    """The number regexes' lookaheads (_FIRST_CHARACTERS) only skip positions where no match starts."""
    regexes = {name: getattr(numbers, name) for name in dir(numbers) if name.endswith("_RX")}
    with_lookahead = [
        (name, rx) for name, rx in regexes.items() if any(la in rx.pattern for la in numbers._FIRST_CHARACTERS)
    ]
    names = {n for n, _ in with_lookahead}
    assert {"_TIME_RX", "_PCT_RX", "_OF_RX", "_SAMPLE_RX", "_COUNT_MET_RX", "_DOSE_RX"} <= names
    texts = [*_sentences(), *_abstracts(), *ODD_STARTS]
    for name, rx in with_lookahead:
        source = rx.pattern
        for la in numbers._FIRST_CHARACTERS:
            source = source.replace(la, "")
        plain = re.compile(source, rx.flags)
        for text in texts:
            fast = [(m.span(), m.groupdict(), m.groups()) for m in rx.finditer(text)]
            assert fast == [(m.span(), m.groupdict(), m.groups()) for m in plain.finditer(text)], (name, text)
    # The odd starts are read at all.
    assert all(any(rx.search(t) for _, rx in with_lookahead) for t in ODD_STARTS)
    assert numbers._PCT_RX.search("ſixty percent") and numbers._OF_RX.search("ſix of 10")
    assert numbers._COUNT_MET_RX.search("achieved by ſix of the 10 patients")


def _no_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every screen answers "may match" and every list is plain Patterns, so every regex runs as it
    did before the fast paths."""
    monkeypatch.setattr(anchored, "anchored", lambda pats, index: PlainPatterns(pats))
    monkeypatch.setattr(anchored, "_LISTS", {})
    monkeypatch.setattr(numbers, "_TIME_SCREEN_RX", re.compile(""))
    monkeypatch.setattr(numbers, "_PEOPLE", ("",))
    monkeypatch.setattr(numbers, "_COUNT_VERBS", ("",))
    monkeypatch.setattr(numbers, "fold", lambda text: text + " mg milligram rapid pooled randomi = ")


@pytest.mark.sources
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


@pytest.mark.sources
def test_a_sentence_without_a_lists_literals_is_never_scanned(rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[str] = []
    real_any = AnchoredPatterns.any

    def counting_any(self: AnchoredPatterns, text: str) -> bool:
        if self.may_match(text):  # a literal of the list is there: its patterns are tried
            scanned.append(text)
        return real_any(self, text)

    monkeypatch.setattr(AnchoredPatterns, "any", counting_any)
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
