"""Speed of the evidence reader (issue 12: 2,000 records/s): every shortcut answers as the plain code did.

Each shortcut is compared with the regex or code it replaces, on real abstract sentences (the
repo's fixtures; ../shared's corpus too when present) and on synthetic strings built around its
edge cases (case folding, brackets, number words, decimals, lookbehinds at the start). The two
costs that grew faster than the text (the word before a dot: quadratic in a section's length;
the sample-size filler: cubic in the words after a number) are pinned by inputs that took
seconds before.
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from ketlit.evidence import adverse as amod
from ketlit.evidence import anchors, printing
from ketlit.evidence import findings as fmod
from ketlit.evidence import model as mmod
from ketlit.evidence import numbers as nums
from ketlit.evidence import profile as pmod
from ketlit.evidence import questions as qmod
from ketlit.evidence import roles as rmod
from ketlit.evidence import sentences as smod
from ketlit.evidence.matcher import AnchorIndex, AnyOf, Cues, Gate, Matcher, fold, required_literals
from ketlit.evidence.model import ANSWERS, DirectionModel, packaged_model
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import _word_before, abstract_sentences, split_clauses, split_prose
from ketlit.sources.models import Article
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.tagging import Tagger, doc_from_article
from ketlit.tagging import load_rules as load_tagging_rules
from tests.conftest import FIXTURES, shared

RULES = packaged_rules()
# Characters whose IGNORECASE matching differs from str.lower() (see test_evidence_matcher).
_ODD = {"s": "ſ", "i": "ı", "k": "\u212a", "e": "E"}

# What the shortcuts replaced, kept here as the reference they must agree with.
OLD_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
OLD_N3 = re.compile(pmod._N_PATTERNS[3].pattern.replace(r"(?:\w+[- ]){0,3}(?:\w+[- ]?)?", r"(?:\w+[- ]?){0,4}?"), re.I)
OLD_MEASURE = re.compile("|".join(f"(?P<m{i}>{w})" for i, (w, _) in enumerate(nums._MEASURE_WORDS)), re.I)


def _old_split_clauses(text: str, boundary: fmod.TextPattern) -> list[str]:
    depth_at: list[int] = []
    depth = 0
    for ch in text:
        depth_at.append(depth)
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
    out: list[str] = []
    start = 0
    for m in boundary.finditer(text):
        if depth_at[m.start()] == 0:
            out.append(text[start : m.start()])
            # A boundary's "keep..." group opens the next clause (its words are not dropped with the boundary).
            kept = [m.start(g) for g in m.re.groupindex if g.startswith("keep") and m.start(g) >= 0]
            start = kept[0] if kept else m.end()
    out.append(text[start:])
    return [c for c in out if c.strip()]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """Titles and sentences of the fixture abstracts, plus case-changed and odd-letter copies."""
    out: list[str] = []
    for path in sorted([*FIXTURES.glob("efetch_*.xml"), *(FIXTURES / "offline").glob("efetch_*.xml")]):
        for article in parse_pubmed_xml(path.read_bytes()):
            out.append(article.title)
            out.extend(s.text for s in abstract_sentences(article.sections))
    rng = random.Random(7)
    odd = ["".join(_ODD.get(c, c) if rng.random() < 0.3 else c for c in s) for s in out[:150]]
    return out + [s.upper() for s in out[:150]] + odd


def _synthetic(words: Sequence[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def _spans(ms: Iterator[re.Match[str]]) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in ms]


# ------------------------------------------------------------------ sentences


def test_word_before_a_dot_as_the_regex_read_it() -> None:
    texts = _synthetic(["a", "Z", ".", " ", "\n", "1", "é", "Fig", "e.g"], 4000, seed=1)
    # Words longer than the window read with rstrip (40 characters): the walk back takes over.
    texts += _synthetic(["abcdefghijklmnopqrstu", ".", " ", "\n", "Fig", "1"], 150, seed=14)
    assert any(len(w) > 45 for t in texts for w in t.split())
    for text in texts:
        for dot in range(len(text) + 1):
            m = OLD_WORD_BEFORE.search(text, 0, dot)
            assert _word_before(text, dot) == (m.group(1) if m else ""), (text, dot)


def _old_split_prose(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in smod._END.finditer(text):
        if smod._ends_sentence(text, m.end(), m.start()):
            piece = " ".join(text[start : m.end()].split())
            if piece:
                out.append(piece)
            start = m.end()
    tail = " ".join(text[start:].split())
    if tail:
        out.append(tail)
    return out


def test_sentence_split_as_joining_the_split_words(sentences: list[str]) -> None:
    """Sections of single spaces are stripped, not split and joined: the same sentences."""
    words = ["Ketamine", " ", "  ", "\n", "\t", "\u00a0", "vs.", "e.g.", ". ", "P = .02. ", "(n = 3). ", "A", "x", "?"]
    texts = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)] + _synthetic(words, 3000, seed=11)
    for text in texts:
        assert split_prose(text) == _old_split_prose(text), text


def test_sentence_split_of_a_long_section() -> None:
    # 30,000 candidate ends in one section: the old search from the section start at each of
    # them took ~20 s. How long it takes is the bench's business (bench/evidence_reading.py prints
    # it as "pathological inputs"); here, that the backward reading splits it right.
    text = "Dr. Smith et al. reported an effect of ketamine vs. placebo. " * 10_000
    out = split_prose(text)
    assert len(out) == 10_000 and out[0] == "Dr. Smith et al. reported an effect of ketamine vs. placebo."


# ------------------------------------------------------------------ gates


def _gated_regexes() -> list[re.Pattern[str]]:
    found = [v for mod in (pmod, nums, fmod, amod) for v in vars(mod).values() if isinstance(v, re.Pattern)]
    found += [*pmod._N_PATTERNS, *(p for _, p in pmod._BLINDING), *nums._UNNAMED]
    return found


def test_gate_search_and_finditer_give_re_answers(sentences: list[str]) -> None:
    words = ["95% CI", "n = 12", " patients", "double-blind", "GRADE", "(", ")", "%", " of ", "12", "a total of"]
    # Around the literals of the blinding, certainty and adverse-event gates (odd case included).
    words += ["open-label", "Open label", "no differen", "Similar", "comparable", "higher rate", "HIGH-CERTAINTY", "x"]
    words += ["fewer", "less often", "randomiſed ", "Randomized ", "overall, ", "single-blind", "non-blinded", " "]
    texts = sentences + _synthetic(words, 400, seed=2)
    regexes = _gated_regexes()
    assert len(regexes) > 25
    skipped = 0
    for rx in regexes:
        gate = Gate(rx)
        for text in texts:
            folded = fold(text)
            assert _spans(iter(filter(None, [gate.search(text, folded)]))) == _spans(
                iter(filter(None, [rx.search(text)]))
            ), (rx.pattern, text)
            assert _spans(gate.finditer(text, folded)) == _spans(rx.finditer(text)), (rx.pattern, text)
            skipped += gate.start(folded) != 0
    assert skipped > len(texts)  # the gates do skip: most texts start the search later, or not at all


def test_harm_cue_matchers_give_the_alternations_answers(sentences: list[str]) -> None:
    """The adverse-event presence cues run as Matchers of their top-level alternatives: the same leftmost match."""
    words = ["no ", "No ", "none of", "well tolerated", "safe", "similar", "higher in the ", "than ", "fewer ",
             "reduced the risk of ", "nausea", "adverse events", "were not observed", ", ", "not ", "increase", "x"]
    texts = sentences + _synthetic(words, 400, seed=5)
    pairs = [(amod._ABSENT, amod._ABSENT_CUE), (amod._SAME, amod._SAME_CUE), (amod._MORE, amod._MORE_CUE),
             (amod._LESS, amod._LESS_CUE)]
    for rx, cues in pairs:
        assert len(amod.alternatives(rx)) > 5
        for text in texts:
            got, want = cues.search(text), rx.search(text)
            assert (got and got.span()) == (want and want.span()), (rx.pattern[:40], text)
    assert amod.alternatives(re.compile(r"a|(b|c)|[|]d|\|e|[]|]f|[^]|]g")) == [
        "a", "(b|c)", "[|]d", "\\|e", "[]|]f", "[^]|]g"]
    for unsplittable in (r"(?i)a|b", r"(a)|(?P=x)", r"a # c|d"):
        with pytest.raises((ValueError, re.error)):
            amod.alternatives(re.compile(unsplittable, re.X if "#" in unsplittable else 0))


def test_gate_start_of_a_large_literal_set_is_the_first_find(sentences: list[str]) -> None:
    """A set of many literals is located by one alternation: its first occurrence, as a find per literal."""
    words = ["GRADE", "evidence ", "High certainty", "no differen", "similar", "x", " ", "comparable", "ſ", "-"]
    texts = sentences + _synthetic(words, 1000, seed=12)
    large = 0
    for rx in _gated_regexes():
        gate = Gate(rx)
        for (strings, _), firsts in zip(gate.sets, gate._firsts, strict=True):
            if firsts is None:
                continue
            large += 1
            for text in texts:
                folded = fold(text)
                at = [i for i in (folded.find(s) for s in strings) if i >= 0]
                m = firsts.search(folded)
                assert (m.start() if m else -1) == (min(at) if at else -1), (strings, text)
    assert large >= 3


def test_required_literals_occur_in_every_match(sentences: list[str]) -> None:
    for rx in _gated_regexes():
        sets = required_literals(rx.pattern, rx.flags)
        for text in sentences:
            folded = fold(text)
            for m in rx.finditer(text):
                for strings, hi in sets:
                    assert any(
                        folded.find(s, m.start(), m.end()) >= 0 and folded.find(s, m.start(), m.end()) - m.start() <= hi
                        for s in strings
                    ), (rx.pattern, text, strings)


def test_required_literals_of_a_lookbehind_led_pattern() -> None:
    ((strings, hi),) = required_literals(r"(?<!x)\bplacebo\b", re.I)
    assert strings == {"placebo"} and hi == 0
    assert required_literals(r"\d+", 0) == ()
    assert Gate(re.compile(r"\d+")).start("no digits") == 0  # nothing known: searched whole


# ------------------------------------------------------------------ profile and numbers


def test_sample_size_filler_reads_the_same_number(sentences: list[str]) -> None:
    words = ["of ", "in ", "among ", "with ", "12 ", "twenty-one ", "adult", "-", " ", "women ", "regimen ", ". ", "x"]
    texts = sentences + _synthetic(words, 3000, seed=3)
    new = pmod._N_PATTERNS[3]
    matched = 0
    for text in texts:
        a, b = OLD_N3.search(text), new.search(text)
        assert (a is None) == (b is None), text
        if a is not None and b is not None:
            matched += 1
            assert (a.start(), a.groups()) == (b.start(), b.groups()), text
    assert matched > 50


def test_aim_needs_answer_as_the_aim_regex(sentences: list[str]) -> None:
    # Every alternative of _AIM needs one of _AIM_NEEDS (folded): the prefilter never hides a stated aim.
    words = "We |we|THIS |this study |The present study |aim|Aims |objective |purpose |goal |ſought |is |to |of |"
    words += "examined |İ|x| "
    texts = sentences + _synthetic(words.split("|"), 3000, seed=5)
    found = 0
    for text in texts:
        expected = qmod._AIM.search(text) is not None
        assert qmod._states_aim(text) == expected, text
        found += expected
    assert found > 50


def test_sample_size_split_gate_finds_what_the_regex_finds(sentences: list[str]) -> None:
    # The last sample-size regex as two (its "^" alternative, then a first character from a class): same matches.
    words = "Of |OF |in |İn |ın |IN |among |AMONG |with |wıth |. |; |:  |x. |12 |twenty-one |Thirty |patients|"
    words += "adult|-| |women |ofin |."
    texts = sentences + _synthetic(words.split("|"), 4000, seed=11)
    texts += [t.lstrip(".;: ") for t in texts[-200:]]  # numbers at the very start ("^")
    regex, gate = pmod._N_PATTERNS[3], pmod._N_GATES[3]
    matched = 0
    for text in texts:
        a, b = regex.search(text), gate.search(text, fold(text))
        assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), text
        matched += a is not None
    assert matched > 200
    # The class consumed first is every character that begins an alternative under IGNORECASE, and no other.
    first = re.compile(pmod._N3_AFTER.pattern.split(")(?:")[0] + ")")
    like_re = re.compile(r"[.;:oiaw]", re.I)
    assert all((first.fullmatch(chr(c)) is None) == (like_re.fullmatch(chr(c)) is None) for c in range(0x3000))


def test_sample_size_filler_on_long_words() -> None:
    # Four long words after each number: the nested filler tried every way of cutting them
    # into four pieces (~3 s here; timed by bench/evidence_reading.py); the flat one reads each
    # word once and, like the old one, finds no sample size here.
    text = " ".join(f"of {i} " + " ".join("x" * 60 for _ in range(4)) + "." for i in range(10))
    assert pmod._N_PATTERNS[3].search(text) is None


def test_timepoints_as_the_regex_finds_them(sentences: list[str]) -> None:
    words = ["1", "23", "4.5", ".", " ", "-", "day", "days", "h", "Hours", "week", "one", "Twelve", "ſix", "_", "wk"]
    for text in sentences + _synthetic(words, 3000, seed=4):
        expect = _spans(pmod._TIMEPOINT.finditer(text))
        assert _spans(pmod._timepoint_matches(text, fold(text))) == expect, text


def test_percentages_without_the_word_as_the_full_regex_reads_them(sentences: list[str]) -> None:
    words = ["0", "12", "3.5", ".", "%", " ", "95% CI", "x", "CrI", "percent", "PERCENT"]
    for text in sentences + _synthetic(words, 3000, seed=5):
        if "percent" in fold(text):
            continue
        expect = [(m.span(), m.group("pct")) for m in printing._PERCENT.finditer(text)]
        assert [(m.span(), m.group("pct")) for m in printing._PERCENT_DIGITS.finditer(text)] == expect, text


def test_effect_measures_named_as_the_named_groups_named_them(sentences: list[str]) -> None:
    words = ["OR", "or", "aOR", "RRs", "HR", "SMD", "WMD", "MD", "RD", "g", "d", "Hedges' g", "Cohen's d", " ", "odds"]
    seen = 0
    for text in sentences + _synthetic(words, 2000, seed=6):
        old = [(m.span(), next(k for k, v in m.groupdict().items() if v)) for m in OLD_MEASURE.finditer(text)]
        new = [(m.span(), f"m{nums._MEASURES.which(m)}") for m in nums._MEASURES.finditer(text)]
        assert new == old, text
        seen += len(old)
    assert seen > 100


def test_which_names_the_alternative_of_a_fallback_match() -> None:
    m = Matcher([r"\bplacebo\b", r"\bplace\w*"], re.I, AnchorIndex())
    found = m.regex.search("a placebo arm")  # the whole alternation, as the re fallbacks return
    assert found is not None and m.which(found) == 0
    other = m.regex.search("a placement")
    assert other is not None and m.which(other) == 1


# ------------------------------------------------------------------ findings and roles


def test_split_clauses_as_the_per_character_depth_did(sentences: list[str]) -> None:
    boundary = RULES.findings.clause_split
    words = ["(", ")", "[", "]", "; ", ", but ", ", whereas ", " x", "y"]
    for text in sentences + _synthetic(words, 3000, seed=7):
        assert split_clauses(text, boundary) == _old_split_clauses(text, boundary), text


def test_response_definition_check_never_misses_one(sentences: list[str]) -> None:
    words = ["(", ")", "%", "≥50", "defined as", "DEFİNED", "at least", "with a ", "reduction", "Drop", " ", "of 50%"]
    hits = 0
    for text in sentences + _synthetic(words, 3000, seed=8):
        if fmod._DEFINITION.search(text):
            hits += 1
            assert fmod._may_define(text), text
    assert hits > 20


@pytest.mark.sources
def test_clauses_skipped_as_undecidable_read_nothing(sentences: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    rules = RULES.findings
    clauses = [c for s in sentences for c in split_clauses(s, rules.clause_split) if len(c) >= 12]
    skipped = [c for c in clauses if not fmod._may_decide(c, rules)]
    assert skipped, "the fixtures have clauses nothing can decide"
    monkeypatch.setattr(fmod, "_may_decide", lambda text, rules: True)
    assert [fmod.read_clause(c, 0, rules) for c in skipped] == [None] * len(skipped)


def test_any_of_is_false_only_when_no_group_can_match() -> None:
    index = AnchorIndex()
    groups = [Matcher([r"\bplacebo\b"], re.I, index), Matcher([r"\bsaline\b"], re.I, index)]
    any_of = AnyOf(groups)
    assert any_of.may_match("versus SALINE") and not any_of.may_match("versus midazolam")
    # A group with a pattern that has no literal, or a plain regex: nothing can be ruled out.
    assert AnyOf([*groups, Matcher([r"\d+"], re.I, index)]).may_match("versus midazolam")
    assert AnyOf([re.compile("x")]).may_match("versus midazolam")


def _old_infer(emits: list[list[float]]) -> list[int]:
    n, k = len(emits), len(emits[0])
    best = [[float("-inf")] * k for _ in range(n)]
    back = [[0] * k for _ in range(n)]
    for i in range(n):
        for j in range(k):
            if i == 0:
                best[i][j] = emits[i][j]
                continue
            prev = max(range(j + 1), key=lambda p: best[i - 1][p])
            best[i][j] = best[i - 1][prev] + emits[i][j]
            back[i][j] = prev
    j = max(range(k), key=lambda p: best[n - 1][p])
    path = [j]
    for i in range(n - 1, 0, -1):
        j = back[i][j]
        path.append(j)
    return path[::-1]


def test_role_sequence_with_a_running_best_picks_as_max_did() -> None:
    rng = random.Random(9)
    for _ in range(300):
        n = rng.randint(1, 9)
        # Few distinct values: many ties, where the first of equals must win as with max().
        emits = [[float(rng.choice([0, 1, 1, 2])) for _ in rmod.ORDER] for _ in range(n)]
        assert rmod.best_path(emits) == _old_infer(emits), emits


# ------------------------------------------------------------------ the replay corpus


def test_shortcuts_agree_on_the_shared_corpus() -> None:
    path = shared("pubmed", "psynamic_psychedelic_abstracts_1986.jsonl")
    texts: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 10:
                continue
            row = json.loads(line)
            texts.extend(split_prose(row.get("abstract") or ""))
    assert len(texts) > 500
    boundary = RULES.findings.clause_split
    regexes = (*pmod._N_PATTERNS, pmod._K, pmod._REVIEW_N, pmod._CERTAINTY, nums._P, printing._PERCENT)
    gates = [Gate(rx) for rx in regexes]
    for text in texts:
        folded = fold(text)
        for gate in gates:
            found, expect = gate.search(text, folded), gate.regex.search(text)
            assert (found and found.span()) == (expect and expect.span()), (gate.regex.pattern, text)
        old, new = OLD_N3.search(text), pmod._N_PATTERNS[3].search(text)
        assert (old and (old.start(), old.groups())) == (new and (new.start(), new.groups())), text
        assert _spans(pmod._timepoint_matches(text, folded)) == _spans(pmod._TIMEPOINT.finditer(text)), text
        assert split_clauses(text, boundary) == _old_split_clauses(text, boundary), text


def test_exists_is_whether_search_finds(sentences: list[str]) -> None:
    f = RULES.findings
    groups = [m for _, _, m in RULES.roles.cues] + [f.no_difference, f.increase, f.drug, *(m for _, m in f.comparators)]
    groups += [q.pattern for q in RULES.questions]
    found = 0
    for group in groups:
        assert isinstance(group, Matcher)
        for text in sentences:
            expect = group.search(text) is not None
            assert group.exists(text) == expect, (group.pattern, text)
            found += expect
    assert found > 100


# ------------------------------------------------------------------ case-sensitive literals, the model


def test_case_sensitive_literals_found_as_written() -> None:
    patterns = [r"\b(?-i:OR)\b", r"(?-i:ECT)s?", r"\bodds (?-i:OR)\b", r"(?-i:HR) ?="]
    m = Matcher(patterns, re.I, AnchorIndex())
    assert any(e[4] is not None for v in m._by_anchor.values() for e in v)  # looked for as written
    words = ["for ", "OR", "Or", "or ", "effect", "ECT", "ect", "Ects", "odds ", "HR=", "hr =", " ", "."]
    for text in _synthetic(words, 4000, seed=12):
        assert _spans(iter(filter(None, [m.search(text)]))) == _spans(iter(filter(None, [m.regex.search(text)])))
        assert [x.span() for x in m.finditer(text)] == [x.span() for x in m.regex.finditer(text)], text
        assert m.exists(text) == (m.regex.search(text) is not None), text


def _old_scores(model: DirectionModel, features: set[str]) -> dict[str, float]:
    rows = [w for w in map(model.weights.get, features) if w is not None]
    z = list(model.bias)
    if rows:
        z = [b + sum(column) for b, column in zip(model.bias, zip(*rows, strict=True), strict=True)]
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return {a: v / total for a, v in zip(ANSWERS, e, strict=True)}


def test_model_words_and_scores_as_before(sentences: list[str]) -> None:
    table = "".join(chr(k) for k in mmod._WORDS)
    texts = sentences + _synthetic([*table, "a", "B", "é", " ", "no ", "x"], 3000, seed=13)
    model = packaged_model()
    for text in texts:
        lowered = text.lower()
        assert mmod._words(lowered) == lowered.translate(mmod._WORDS).split(), text
        features = mmod.sentence_features(text, "results")
        assert model.scores(features) == _old_scores(model, features), text
    assert model.scores(set()) == _old_scores(model, set())


# ------------------------------------------------------------------ whole profiles, and who is read


def _tagged(paths: Sequence[Path], every: int = 1) -> list[tuple[Article, dict[str, list[str]]]]:
    """Every ``every``-th record of the files with its tags (axis → values), as tagging stores them."""
    tagger = Tagger(load_tagging_rules())
    out = []
    for path in paths:
        for article in parse_pubmed_xml(path.read_bytes())[::every]:
            tags: dict[str, list[str]] = {}
            for tag in tagger.tag(doc_from_article(article)):
                tags.setdefault(tag.axis, []).append(tag.value)
            out.append((article, tags))
    return out


def _profiles(articles: list[tuple[Article, dict[str, list[str]]]]) -> list[str]:
    return [json.dumps(profile_to_dict(read_profile(a, t, RULES)), sort_keys=True) for a, t in articles]


def _fixture_records() -> list[tuple[Article, dict[str, list[str]]]]:
    return _tagged(sorted([*FIXTURES.glob("efetch_*.xml"), *(FIXTURES / "offline").glob("efetch_*.xml")]))


def _corpus_records() -> list[tuple[Article, dict[str, list[str]]]]:
    # A third of the bench's replay corpus (../shared), read whatever its tags: ~500 records.
    return _tagged([shared("replay", "pubmed", "psynamic_all.xml")], every=3)


@pytest.mark.sources
@pytest.mark.parametrize("records", [_fixture_records, _corpus_records], ids=["fixtures", "shared_corpus"])
def test_profiles_read_with_every_shortcut_off_are_byte_identical(
    records: Callable[[], list[tuple[Article, dict[str, list[str]]]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records read as shipped and with each speed shortcut replaced by the plain ``re`` (or
    code) it stands for: the same serialised profiles, byte for byte."""
    articles = records()
    assert len(articles) >= 20 and sum(bool(t.get("molecule")) for _, t in articles) >= 10
    fast = _profiles(articles)
    assert sum('"direction"' in p for p in fast) >= 5  # findings were read, not only empty profiles

    def end(string: str, endpos: int | None) -> int:
        return len(string) if endpos is None else endpos

    monkeypatch.setattr(
        Matcher, "search", lambda self, s, pos=0, endpos=None: self.regex.search(s, pos, end(s, endpos))
    )
    monkeypatch.setattr(
        Matcher, "finditer", lambda self, s, pos=0, endpos=None: self.regex.finditer(s, pos, end(s, endpos))
    )
    monkeypatch.setattr(Matcher, "exists", lambda self, s: self.regex.search(s) is not None)
    monkeypatch.setattr(AnyOf, "may_match", lambda self, text: True)
    monkeypatch.setattr(Gate, "search", lambda self, text, folded: self.regex.search(text))
    monkeypatch.setattr(Gate, "finditer", lambda self, text, folded: self.regex.finditer(text))
    monkeypatch.setattr(Matcher, "exists_alone", lambda self, s: self.regex.search(s) is not None)
    monkeypatch.setattr(Matcher, "search_alone", lambda self, s, folded=None: self.regex.search(s))
    # The number readers' window tests: "" is in every window, and ends every one.
    monkeypatch.setattr(nums, "_HETEROGENEITY_NEEDS", ("",))
    for name in ("_CI_NEEDS", "_EVENTS_BEFORE_ENDS"):
        monkeypatch.setattr(printing, name, ("",))
    monkeypatch.setattr(pmod, "_timepoint_matches", lambda text, folded, *_: pmod._TIMEPOINT.finditer(text))
    monkeypatch.setattr(smod, "split_prose", _old_split_prose)
    monkeypatch.setattr(mmod, "_words", lambda lowered: lowered.translate(mmod._WORDS).split())
    monkeypatch.setattr(DirectionModel, "scores", _old_scores)
    plain = _profiles(articles)
    assert plain == fast


def test_reading_runs_only_on_candidate_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Import and re-tag: ``read_profile`` is called for the ketamine records and never for the
    psilocybin-only one (tagged, stored, but no evidence for a configured drug)."""
    from typer.testing import CliRunner

    from ketlit.cli import app
    from ketlit.jobs import evidence as jobs_evidence

    read: list[str] = []
    real = jobs_evidence.read_profile

    def counting(article: Article, tags: Any, rules: Any) -> Any:
        read.append(article.pmid)
        return real(article, tags, rules)

    monkeypatch.setattr(jobs_evidence, "read_profile", counting)
    db = tmp_path / "k.db"
    runner = CliRunner()
    for name in ("efetch_claims_iv_trd.xml", "efetch_psilocybin_trd.xml"):
        result = runner.invoke(app, ["--db", str(db), "--quiet", "import", str(FIXTURES / name)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", str(db), "--quiet", "tag"])  # re-reads every candidate
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    molecules = dict(con.execute("SELECT record_id, group_concat(value) FROM tags WHERE axis = 'molecule' GROUP BY 1"))
    assert "psilocybin" in molecules["90002001"] and "ketamine" not in molecules["90002001"]
    ketamine = {pmid for pmid, values in molecules.items() if "ketamine" in values}
    assert ketamine and set(read) == ketamine and len(read) == 2 * len(ketamine)
    assert "90002001" not in read


# Role cue groups as the rules file wrote them before the role model (a user's file may add such groups).
CUE_GROUPS = (
    (r"\b(?:has|have) (?:been )?(?:shown|reported|suggested|demonstrated)\b", r"^(?:however|although|despite)\b"),
    (r"\bthe (?:aim|aims|objective|objectives|purpose|goal) (?:of|was|is)\b", r"\bhere,? we (?:report|describe)\b"),
    (
        r"\b(?:were|was) (?:randomi[sz]ed|randomly assigned|allocated|enrolled)\b",
        r"\b(?:double|single)-blind\b",
        r"\b\d+(?:\.\d+)? ?(?:mg/kg|mg|µg/kg)\b",
        r"\b(?:received|receiving) (?:either|a single|an? |one |two |\d)",
    ),
    (r"\b[pP] ?[<=>≤] ?0?\.\d", r"\b\d+(?:\.\d+)? ?%", r"\bsignificant(?:ly)?\b", r"\b(?:OR|CI)\b"),
    (r"\bin conclusion\b", r"\bfurther (?:studies|research) (?:is|are) (?:needed|warranted)\b"),
)


def test_cues_in_one_pass_answer_as_each_group_alone(sentences: list[str]) -> None:
    index = AnchorIndex()
    groups = [Matcher(patterns, re.IGNORECASE, index) for patterns in CUE_GROUPS]
    together = Cues(groups)
    words = ["We found ", "were randomized", "12 of 20 ", "3.5%", "OR", "or ", "0.5 mg/kg", "In conclusion, ", " "]
    words += ["further studies are needed", "p < .05", "95% CI", "significantly", "x", ".", "have been shown"]
    hits = 0
    for text in sentences + _synthetic(words, 1500, seed=15):
        got = together.matching(text)
        assert got == [g.search(text) is not None for g in groups], text
        hits += sum(got)
    assert hits > 500
    # A group outside the shared index (a plain regex) is asked directly.
    mixed = Cues([groups[0], re.compile(r"\bketamine\b", re.I)])
    assert mixed.matching("Ketamine has been shown to help.") == [True, True]
    assert mixed.matching("Nothing here.") == [False, False]


@pytest.mark.parametrize("use_ac", [True, False], ids=["pyahocorasick", "regex_trie"])
def test_a_text_extending_a_recent_one_has_the_anchors_of_a_fresh_scan(sentences: list[str], use_ac: bool) -> None:
    words = RULES.findings.drug._index._words
    extending, fresh = AnchorIndex(use_pyahocorasick=use_ac), AnchorIndex(use_pyahocorasick=use_ac)
    for index in (extending, fresh):
        for w in words:
            index.anchor_id(w)
    rng = random.Random(16)
    extended = 0
    for k in range(0, len(sentences) - 3, 3):
        # Joins that put anchors across the seam ("ketamine" split as "keta" + "mine").
        head, middle, tail = sentences[k], sentences[k + 1], sentences[k + 2]
        cut = rng.randint(0, len(middle))
        texts = [head, f"{head} {middle[:cut]}", f"{head} {middle[:cut]}{middle[cut:]} {tail}"]
        for text in texts:
            got = extending.scan(text).ids
            fresh._recent.clear()
            assert got == fresh.scan(text).ids, text
        extended += 2
    assert extended > 100


# ------------------------------------------------------------------ speed pass 3


def test_first_comparator_in_one_search_as_kind_by_kind(sentences: list[str]) -> None:
    """All comparator patterns searched as one group name the comparator the loop over kinds named."""
    f = RULES.findings
    assert f.any_comparator is not None
    loop = replace(f, any_comparator=None)
    texts = [*sentences, "placebo or saline", "ECT vs. propofol", "a control placebo", "TAU and usual care"]
    named = 0
    for text in texts:
        assert fmod.first_comparator(text, f) == fmod.first_comparator(text, loop), text
        named += fmod.first_comparator(text, f) is not None
    assert named >= 30  # the sentences do name comparators: the comparison is not of Nones


def test_fold_remembered_is_fold_computed(sentences: list[str]) -> None:
    """The memo of recent folds answers as folding afresh, across its clearing and for odd letters."""

    texts = [*sentences, *_synthetic(["a", "B", "ſ", "ı", "İ", "Σ", "σ", "µ", "K", " "], 600, seed=3)]
    for _ in range(2):  # the second pass reads remembered folds (and the memo clears on the way)
        for text in texts:
            assert fold(text) == anchors._fold(text) == "".join(map(anchors.fold_char, text)), text
    assert len(anchors._FOLDED) <= anchors._FOLDED_MAX


def test_search_alone_finds_what_search_finds(sentences: list[str]) -> None:
    """A group searched without a scan for every group (its own anchors looked for with ``in``)
    finds the match the shared scan finds, and leaves no partial scan behind for other groups."""
    f = RULES.findings
    groups = [m for m in (f.any_comparator, f.drug, f.no_difference, f.decrease, f.positive_outcome) if m is not None]
    # Question groups have patterns whose candidates come from fixed-offset anchors (``_fixed``).
    groups += [q.pattern for q in RULES.questions if isinstance(q.pattern, Matcher) and q.pattern._fixed]
    index = f.drug._index
    long_texts = [" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8)]
    found = 0
    for text in [*sentences, *long_texts, "vs Esketamine"]:
        for group in groups:
            index._cache.clear()
            alone = group.search_alone(text)
            assert text not in index._cache, "a scan knowing one group's anchors must not serve the others"
            shared_scan = group.search(text)
            assert (alone and (alone.span(), alone.re)) == (shared_scan and (shared_scan.span(), shared_scan.re)), text
            cached = group.search_alone(text)
            assert (cached and cached.span()) == (shared_scan and shared_scan.span()), "from the cached scan too"
            found += alone is not None
    assert found >= 100


def test_presence_plan_finds_each_anchor_in_the_text(sentences: list[str]) -> None:
    """The trie of ``in`` tests (:func:`anchors.presence_plan`) finds exactly the anchors ``in`` finds one by one,
    for every group of the rules (the question groups share beginnings: "the authors discuss", "... review")."""
    index = RULES.findings.drug._index
    groups = [q.pattern for q in RULES.questions if isinstance(q.pattern, Matcher)]
    groups += [g for g in (getattr(RULES.findings, f.name) for f in fields(RULES.findings)) if isinstance(g, Matcher)]
    odd = _synthetic(["the authors ", "this ", "we ", "review", "the", "th", "t", " ", "ſ", "."], 200, seed=4)
    long_texts = [" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8)]
    texts = [fold(t) for t in [*sentences[:300], *long_texts, *odd]]
    for group in groups:
        words = {k: index._words[k] for k in group._own}
        plan = anchors.presence_plan(words)
        for folded in texts:
            expect = {k for k, w in words.items() if w in folded}
            assert anchors.present(plan, folded) == expect, (group.pattern, folded)


def test_search_alone_with_the_callers_fold(sentences: list[str]) -> None:
    """``search_alone(text, folded)`` with ``folded`` joined from the parts' folds is ``search(text)``
    (the question rules' whole abstract, :func:`questions._search`)."""
    index = RULES.findings.drug._index
    groups = [q.pattern for q in RULES.questions if isinstance(q.pattern, Matcher)]
    found = 0
    for i in range(0, len(sentences), 6):
        parts = sentences[i : i + 6]
        text = " ".join(parts)
        for group in groups:
            index._cache.clear()
            alone = group.search_alone(text, " ".join(fold(p) for p in parts))
            index._cache.clear()
            expect = group.search(text)
            assert (alone and (alone.span(), alone.re)) == (expect and (expect.span(), expect.re)), text
            found += expect is not None
    assert found >= 20


def test_exists_alone_is_whether_search_finds(sentences: list[str]) -> None:
    """A group asked "any match?" anchor by anchor (no scan for every group) answers as its search."""
    f = RULES.findings
    groups = [m for m in (f.any_comparator, f.drug, f.no_difference, f.decrease, f.positive_outcome) if m is not None]
    groups += [q.pattern for q in RULES.questions if isinstance(q.pattern, Matcher)]
    index = f.drug._index
    long_texts = [" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8)]
    odd = _synthetic(["ketamine", "KETAMINE", "esk", "Esketamine", "ſ", "vs ", "placebo", " ", "-", "."], 300, seed=9)
    found = 0
    for text in [*sentences, *long_texts, *odd]:
        for group in groups:
            index._cache.clear()
            alone = group.exists_alone(text)
            assert text not in index._cache, "a scan knowing one group's anchors must not serve the others"
            expect = group.search(text) is not None
            assert alone == expect, (group.pattern, text)
            assert group.exists_alone(text) == expect, "from the cached scan too"
            found += expect
    assert found >= 100


@pytest.mark.sources
def test_number_window_tests_change_no_reading(sentences: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``in`` tests before the heterogeneity, CI-label and events-before searches (:mod:`numbers`) rule out
    only windows those searches find nothing in: p values and rates as with the searches always run."""
    odd = _synthetic(
        [
            "p = .03",
            "P<0.001",
            "I2 = 40%, ",
            "I (2)=",
            "Cochran Q ",
            "Q=3, ",
            "İ² ",
            "heterogeneity ",
            "CI ",
            "CrI",
            "95% ",
            "12%",
            " (",
            "[",
            "3/10 ",
            "4 of 9 patients (",
            ", ",
            ";",
            " ",
            "\n",
            "ı2",
            "q",
        ],
        600,
        seed=12,
    )
    cases = [
        "remission (3/10; 30%) and",
        "response [4/9, 44%]",
        "I2 = 40%, p = 0.2",
        "Cochran Q, P = .15",
        "(CI 12%, 30%)",
    ]
    texts = [*sentences, *odd, *cases]
    fast = [(nums.p_values(t), nums.rates(t)) for t in texts]
    monkeypatch.setattr(nums, "_HETEROGENEITY_NEEDS", ("",))
    for name in ("_CI_NEEDS", "_EVENTS_BEFORE_ENDS"):
        monkeypatch.setattr(printing, name, ("",))
    assert [(nums.p_values(t), nums.rates(t)) for t in texts] == fast
    assert sum(bool(p) for p, _ in fast) >= 50 and sum(any(r.events for r in rs) for _, rs in fast) >= 10
