"""Matcher (ketlit.evidence.matcher) gives exactly what ``re`` gives, only faster.

The property tests compare every group of the packaged evidence rules against the plain
alternation ``re`` compiles, on real abstract sentences (the repo's fixtures; ../shared's corpus
too when present) and on synthetic ones built from the patterns' own parse trees (near misses,
case changes, the characters whose case folding is special). The other tests pin constructs
where a shortcut would go wrong, and that the shortcut is really taken.
"""

from __future__ import annotations

import importlib
import json
import random
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from ketlit.evidence import anchors
from ketlit.evidence import matcher as mod
from ketlit.evidence.matcher import Anchor, AnchorIndex, Matcher, analyse, fold
from ketlit.evidence.rules import EvidenceRules, packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from tests.conftest import FIXTURES, shared

_c: Any = importlib.import_module("re._constants")
_p: Any = importlib.import_module("re._parser")

# Characters whose IGNORECASE matching differs from str.lower(): long s, dotless i, capital I
# with dot (lower-cases to two characters), Kelvin sign, sigma (final form), micro sign.
_ODD = {"s": "ſ", "i": "ı", "I": "İ", "k": "\u212a", "σ": "Σ", "m": "µ"}


def _groups(rules: EvidenceRules) -> dict[str, Matcher]:
    """Every group of patterns the reader searches, by a name for failure messages."""
    f = rules.findings
    found: dict[str, object] = {name: getattr(f, name) for name in f.__dataclass_fields__ if name != "comparators"}
    found |= {f"comparator:{kind}": m for kind, m in f.comparators}
    found |= {f"cue{i}:{role}": m for i, (role, _, m) in enumerate(rules.roles.cues)}
    found |= {f"question{q.index}": q.pattern for q in rules.questions}
    found |= {f"question{q.index}:unless": q.unless for q in rules.questions if q.unless is not None}
    found |= {f"question{q.index}:requires": q.requires for q in rules.questions if q.requires is not None}
    found |= {f"question{q.index}:results": q.unless_results for q in rules.questions if q.unless_results is not None}
    out = {name: m for name, m in found.items() if isinstance(m, Matcher)}
    assert out.keys() == found.keys()
    return out


def _fixture_sentences() -> list[str]:
    out: list[str] = []
    for path in sorted([*FIXTURES.glob("efetch_*.xml"), *(FIXTURES / "offline").glob("efetch_*.xml")]):
        for article in parse_pubmed_xml(path.read_bytes()):
            out.append(article.title)
            out.extend(s.text for s in abstract_sentences(article.sections))
    return out


def _sample(items: Sequence[tuple[Any, Any]], rng: random.Random) -> str:
    """A string the parsed sequence could match, or nearly (lookarounds are ignored)."""
    out: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.NOT_LITERAL:
            out.append("x" if av != ord("x") else "y")
        elif op is _c.ANY:
            out.append(rng.choice("a .1"))
        elif op is _c.IN:
            out.append(_sample_class(av, rng))
        elif op is _c.BRANCH:
            out.append(_sample(rng.choice(av[1]).data, rng))
        elif op is _c.SUBPATTERN:
            out.append(_sample(av[3].data, rng))
        elif op is _c.ATOMIC_GROUP:
            out.append(_sample(av.data, rng))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            out.extend(_sample(sub.data, rng) for _ in range(rng.randint(lo, min(hi, lo + 2))))
    return "".join(out)


def _sample_class(av: Sequence[tuple[Any, Any]], rng: random.Random) -> str:
    if av and av[0][0] is _c.NEGATE:
        return rng.choice("z ,")
    op, value = rng.choice(list(av))
    if op is _c.LITERAL:
        return chr(value)
    if op is _c.RANGE:
        return chr(rng.randint(*value))
    return {"digit": "7", "space": " ", "word": "w"}.get(str(value).split("_")[-1].lower(), "q")


def _mutate(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        text = text.upper()
    elif r < 0.35:
        text = text.title()
    elif r < 0.5 and text:
        cut = rng.randrange(len(text))
        text = text[:cut] + text[cut + 1 :]  # a near miss
    if rng.random() < 0.15:
        text = "".join(_ODD.get(ch, ch) if rng.random() < 0.3 else ch for ch in text)
    return text


def _synthetic(groups: dict[str, Matcher], words: Sequence[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    patterns = [rx.pattern for m in groups.values() for rx in m._regexes]
    parsed = [_p.parse(p, re.IGNORECASE).data for p in patterns]
    glue = [" ", " ", ", ", "; ", " (", ") ", ". ", " - ", "", " σ "]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.6:
                parts.append(_mutate(_sample(rng.choice(parsed), rng), rng))
            else:
                parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))))
            parts.append(rng.choice(glue))
        out.append("".join(parts).strip())
    return out


def _spans(found: Iterator[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in found]


def _compare(groups: dict[str, Matcher], texts: Sequence[str], seed: int, index: AnchorIndex | None = None) -> int:
    """Assert Matcher == re on every group and text (plus a random window); return matches seen."""
    rng = random.Random(seed)
    seen = 0
    for name, group in groups.items():
        m = group if index is None else Matcher([rx.pattern for rx in group._regexes], group.flags, index)
        for t, text in enumerate(texts):
            want = group.regex.search(text)
            got = m.search(text)
            assert (got and got.span()) == (want and want.span()), (name, text)
            seen += want is not None
            assert _spans(m.finditer(text)) == _spans(group.regex.finditer(text)), (name, text)
            if t % 2:
                m._index._cache.clear()  # every other text: the group's own anchors looked for alone, no shared scan
            assert m.spans_alone(text) == _spans(group.regex.finditer(text)), (name, text)
            if t % 3:
                continue  # a window on every third text: enough, and keeps the test fast
            pos = rng.randint(0, len(text))
            end = rng.randint(pos, len(text))
            want = group.regex.search(text, pos, end)
            got = m.search(text, pos, end)
            assert (got and got.span()) == (want and want.span()), (name, text, pos, end)
            assert _spans(m.finditer(text, pos, end)) == _spans(group.regex.finditer(text, pos, end))
    return seen


@pytest.fixture(scope="module")
def groups() -> dict[str, Matcher]:
    return _groups(packaged_rules())


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return _fixture_sentences()


def test_packaged_groups_match_like_re_on_fixture_sentences(groups: dict[str, Matcher], sentences: list[str]) -> None:
    assert len(sentences) > 50
    seen = _compare(groups, sentences, seed=1)
    assert seen > len(sentences)  # the groups do match these sentences: the comparison is not of Nones


def test_packaged_groups_match_like_re_on_synthetic_text(groups: dict[str, Matcher], sentences: list[str]) -> None:
    words = [w for s in sentences for w in s.split()]
    texts = _synthetic(groups, words, 1500, seed=2)
    seen = _compare(groups, texts, seed=3)
    assert seen > len(texts)


def test_regex_trie_scanner_gives_the_same_answers(groups: dict[str, Matcher], sentences: list[str]) -> None:
    """Where pyahocorasick has no wheel, the pure-``re`` scanner serves; same answers."""
    words = [w for s in sentences for w in s.split()]
    texts = sentences[:60] + _synthetic(groups, words, 200, seed=4)
    index = AnchorIndex(use_pyahocorasick=False)
    assert _compare(groups, texts, seed=5, index=index) > 0
    assert index._scanner is not None and isinstance(index._scanner, mod._TrieScanner)


def test_packaged_groups_match_like_re_on_shared_corpus(groups: dict[str, Matcher]) -> None:
    path = shared("pubmed", "psynamic_psychedelic_abstracts_1986.jsonl")
    texts: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 20:
                continue
            row = json.loads(line)
            texts.append(row.get("title") or "")
            texts.extend(s for s in re.split(r"(?<=\.)\s+", row.get("abstract") or "") if s)
    seen = _compare(groups, texts[:800], seed=6)
    assert seen > 400


TRICKY: list[tuple[list[str], list[str]]] = [
    # lookbehinds, inside and before the anchor
    (
        [r"(?<!es)(?<!ar)ketamine", r"ketamine(?<=\bs-ketamine)"],
        ["esketamine and ketamine", "S-ketamine", "arketamine"],
    ),
    # word boundaries around and inside literals
    ([r"\bect\b", r"\buse\b(?! of)"], ["effect of ECT", "the use of it, use", "reuse", "ect"]),
    # optional parts and groups
    (
        [r"colou?r", r"(?:very )?good", r"\bsymptoms?\b"],
        ["color colour", "a very good day", "good", "symptomatic symptom"],
    ),
    # nested alternations: the anchor is one of several literals
    ([r"a(?:b(?:c|d)|e)f", r"x(?:yz|w)"], ["abdf aef abcf", "xw xyz", "abf"]),
    # character classes: small ones become literals, others do not
    ([r"\b[pP] ?[<=>≤] ?0?\.\d", r"[^a]bc", r"[a-c]x", r"\d+ ?%"], ["p<.05 and P = 0.3", "abc xbc", "bx", "12 % 3%"]),
    # case-sensitive scopes: ECT is not every "effect"
    ([r"(?-i:\bECT\b)", r"(?-i:SMD|OR)\b", r"odds ratio"], ["an effect of ect", "ECT", "or OR smd SMD", "Odds Ratio"]),
    # case-sensitive characters in two runs of one literal, and a case-insensitive one between
    ([r"(?-i:A)b(?-i:C)d", r"x(?-i:Y)"], ["abcd AbCd ABCD abCd", "xy XY xY"]),
    # first listed wins at the same start; leftmost start wins over order
    ([r"ab", r"abc"], ["abc", "xabc"]),
    ([r"abc", r"ab"], ["abc"]),
    ([r"bc", r"ab"], ["abc"]),
    # anchored at the start of the string (only), even when searched from a later position
    ([r"^(?:however|although)\b", r"\bhowever\b"], ["However, x", "x however", "although"]),
    # a backreference is left to re; an empty-matching pattern too (for finditer)
    ([r"(a)\1", r"x*"], ["aa xx", "b"]),
    # unbounded offsets before the literal
    (
        [r"\w+ment", r"(?:\w+ ){0,3}effects? (?:was|were)", r"\bneither\b.{1,80}\bnor\b"],
        ["improvement", "the big effect was", "neither a nor b"],
    ),
    # folding: long s, dotless i, dotted capital I, Kelvin sign, sigma, micro sign
    (
        [r"\bstudy\b", r"\bketamine\b", r"\bμg\b", r"σ"],
        ["ſtudy", "ketamİne KETAMINE", "\u212aetamine", "5 µg", "ΣΑΣ", "İİİ ketamine"],
    ),
]


@pytest.mark.parametrize(("patterns", "texts"), TRICKY)
def test_tricky_constructs_match_like_re(patterns: list[str], texts: list[str]) -> None:
    m = Matcher(patterns, re.IGNORECASE, AnchorIndex())
    for text in texts:
        for pos in range(len(text) + 1):
            for end in (len(text), max(pos, len(text) - 2), pos):
                want = m.regex.search(text, pos, end)
                got = m.search(text, pos, end)
                assert (got and got.span()) == (want and want.span()), (patterns, text, pos, end)
                assert _spans(m.finditer(text, pos, end)) == _spans(m.regex.finditer(text, pos, end))


def test_known_answers() -> None:
    """Not only equal to re: right (so the comparisons above are of the right thing)."""
    index = AnchorIndex()
    ect = Matcher([r"(?-i:\bECT\b)"], re.IGNORECASE, index)
    assert ect.search("an effect of ect") is None
    hit = ect.search("before ECT, after")
    assert hit is not None and hit.span() == (7, 10)
    tie = Matcher([r"ab", r"abc"], re.IGNORECASE, index).search("xABC")
    assert tie is not None and tie.group(0) == "AB"
    lookahead = Matcher([r"ab(?=c)"], re.IGNORECASE, index)
    assert lookahead.search("abc") is not None and lookahead.search("abc", 0, 2) is None
    folded = Matcher([r"\bketamine\b"], re.IGNORECASE, index).search("İİ KETAMİNE")
    assert folded is not None and folded.span() == (3, 11)


def test_fold_keeps_offsets_and_agrees_with_ignorecase() -> None:
    text = "İſıΣ\u212aµ Ketamine ΣΑΣ"
    assert len(fold(text)) == len(text)
    assert fold("ASCII Text") == "ascii text"
    for ch in text:
        for other in {ch.lower(), ch.upper(), mod.fold_char(ch)}:
            if len(other) == 1 and re.fullmatch(re.escape(ch), other, re.IGNORECASE):
                assert mod.fold_char(other) == mod.fold_char(ch), (ch, other)


def _one_anchor(pattern: str) -> Anchor:
    found, _ = analyse(pattern, re.IGNORECASE)
    assert found is not None and len(found) == 1, found
    return found[0]


def test_anchors_are_derived_so_regexes_are_skipped() -> None:
    """The speed comes from anchors: literal patterns get them, with the offset they sit at."""
    placebo = _one_anchor(r"\bplacebo\b")
    assert placebo.strings == frozenset({"placebo"}) and (placebo.lo, placebo.hi) == (0, 0)
    p_value = _one_anchor(r"\b[pP] ?[<=>] ?0?\.\d")
    assert "p<0." in p_value.strings and "p <." in p_value.strings
    symptom = _one_anchor(r"\bsymptoms?\b")
    assert symptom.strings == frozenset({"symptom"})  # "symptoms" contains it at the same start
    percent = _one_anchor(r"\d+ ?%")
    assert percent.strings == frozenset({"%"}) and percent.lo == 1 and percent.hi > 1000
    assert analyse(r".", re.IGNORECASE)[0] is None
    assert analyse(r"(a)\1", re.IGNORECASE)[0] is None
    # Every pattern of the packaged rules with a word of three letters in it has an anchor.
    for group in _groups(packaged_rules()).values():
        for i, rx in enumerate(group._regexes):
            if re.search(r"(?<![\\(?])[a-z]{3}", rx.pattern):
                assert i not in group._always, rx.pattern


def test_groups_share_one_scan_per_text() -> None:
    index = AnchorIndex()
    groups = [Matcher([r"\bplacebo\b"], re.IGNORECASE, index), Matcher([r"\bsaline\b"], re.IGNORECASE, index)]
    text = "placebo or saline"
    assert groups[0].search(text) is not None
    scan = index._cache[text]
    assert [g.search(text) is not None for g in groups] == [True, True]
    assert [g.search(text) is not None for g in groups] == [True, True]
    assert list(index._cache) == [text] and index._cache[text] is scan  # one scan, made once, read by both


def test_no_regex_runs_when_no_anchor_occurs(monkeypatch: pytest.MonkeyPatch) -> None:
    m = Matcher([r"\bplacebo\b", r"\bsham\b"], re.IGNORECASE, AnchorIndex())

    class Spy:
        def __init__(self, rx: re.Pattern[str]) -> None:
            self.rx, self.calls = rx, 0

        def search(self, string: str, pos: int, endpos: int) -> re.Match[str] | None:
            self.calls += 1
            return self.rx.search(string, pos, endpos)

        def match(self, string: str, pos: int, endpos: int) -> re.Match[str] | None:
            self.calls += 1
            return self.rx.match(string, pos, endpos)

    spies = [Spy(rx) for rx in m._regexes]
    monkeypatch.setattr(m, "_regexes", tuple(spies))
    assert m.search("ketamine versus midazolam") is None
    assert [s.calls for s in spies] == [0, 0]
    found = m.search("versus sham")
    assert found is not None and found.group(0) == "sham"
    assert [s.calls for s in spies] == [0, 1]


def test_case_sensitive_literal_is_checked_before_running_the_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    m = Matcher([r"(?-i:\bECT\b)"], re.IGNORECASE, AnchorIndex())
    calls: list[int] = []
    rx = m._regexes[0]

    class Spy:
        def match(self, string: str, pos: int, endpos: int) -> re.Match[str] | None:
            calls.append(1)
            return rx.match(string, pos, endpos)

    monkeypatch.setattr(m, "_regexes", (Spy(),))
    assert m.search("an effect, another effect") is None
    assert calls == []  # "ect" occurs, but not as "ECT"
    assert m.search("after ECT") is not None and calls == [1]


def test_packaged_rules_are_compiled_to_matchers() -> None:
    rules = packaged_rules()
    assert isinstance(rules.findings.drug, Matcher)
    assert all(isinstance(m, Matcher) for _, _, m in rules.roles.cues)
    assert all(isinstance(q.pattern, Matcher) for q in rules.questions)
    indexes = {id(m._index) for m in _groups(rules).values()}
    assert len(indexes) == 1  # one scan per text serves every group


def test_comparator_context_windows_answer_like_the_alternation(sentences: list[str]) -> None:
    """``not_an_arm_before`` asked alternative by alternative (each behind its gate) says what the
    one alternation ending at the window's end says, for every window before every word."""
    before = packaged_rules().not_an_arm_before
    patterns = [g.regex.pattern for g in before._gates]
    assert len(patterns) >= 5
    alternation = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    words = [w for s in sentences for w in s.split()][:4000]
    synthetic = _synthetic({"before": Matcher(patterns, re.IGNORECASE, AnchorIndex())}, words, 1500, seed=11)
    hits = windows = 0
    for text in [*sentences, *synthetic]:
        for m in re.finditer(r"\b\w", text):
            lo, hi = max(0, m.start() - 90), m.start()
            expected = alternation.search(text, lo, hi) is not None
            assert before.exists(text, lo, hi) == expected, (text, lo, hi)
            hits += expected
            windows += 1
    assert windows > 15_000 and hits > 300, (windows, hits)  # the comparison reached both answers, often


def test_window_endings_rule_windows_out_before_any_regex_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern ending in ``$`` is run only on windows that end as its last literals say
    (case-sensitive characters as written); a final newline, where ``$`` may match one character
    early, or an ending that may be empty, leaves the window to the gate."""
    ends = anchors.required_endings(re.compile(r"(?:\w+ (?-i:in|for) (?:the )?)$", re.IGNORECASE))
    assert dict(ends) == {
        " in ": ((1, "in"),),
        " in the ": ((1, "in"),),
        " for ": ((1, "for"),),
        " for the ": ((1, "for"),),
    }
    assert anchors.required_endings(re.compile(r"(?:as (?:\w+ ){0,3})$", re.I)) == ()  # may end after "as "
    assert anchors.required_endings(re.compile(r"(?:rapid(?:ly)?[- ]acting )$", re.I)) != ()
    assert anchors.required_endings(re.compile(r"under ", re.I)) == ()  # no "$": may end anywhere
    window = anchors.AnyInWindow([re.compile(r"(?:\bketamine(?: \w+){0,3} (?-i:in) (?:the )?)$", re.IGNORECASE)])
    runs = 0
    regex = window._gates[0].regex

    class Counting:
        pattern, flags = regex.pattern, regex.flags

        def search(self, *args: Any) -> re.Match[str] | None:
            nonlocal runs
            runs += 1
            return regex.search(*args)

    monkeypatch.setattr(window._gates[0], "regex", Counting())
    text = "Ketamine given in the clinic versus ECT; ketamine given IN the clinic versus ECT"
    assert window.exists(text, 0, text.index("clinic")) and runs == 1
    assert not window.exists(text, 0, text.index("versus")) and runs == 1  # ends "clinic ": not run
    assert not window.exists(text, 40, text.rindex("clinic")) and runs == 1  # "IN" is not "in"
    assert window.exists("ketamine in \n", 0, 13) and runs == 2  # "$" before a final newline


def test_a_literal_that_may_sit_anywhere_leaves_the_starts_to_fixed_anchors() -> None:
    """A pattern whose best literal may sit anywhere after its start (" showed ") is read only where
    that literal occurs, and there matched at its fixed-offset literal's occurrences ("no "), never
    searched from the first possible start to the text's end."""
    m = Matcher([r"\bno (?:\w+ ){1,3}showed (?:a )?change", r"\bplacebo\b"], re.IGNORECASE, AnchorIndex())
    assert list(m._fixed) == [0]
    calls: list[str] = []
    regex = m._regexes[0]

    class Counting:
        def search(self, *args: Any) -> re.Match[str] | None:
            calls.append("search")
            return regex.search(*args)

        def match(self, *args: Any) -> re.Match[str] | None:
            calls.append("match")
            return regex.match(*args)

    m._regexes = (Counting(), m._regexes[1])  # type: ignore[assignment]
    text = "Some showed no change. " * 20 + "No patient in either showed a change in mood."
    expected = re.compile(m.pattern, re.IGNORECASE).search(text)
    got = m.search(text)
    assert got is not None and expected is not None and got.span() == expected.span()
    assert calls == ["match"] * 21  # one per "no ", in order, the last matching
    assert m.search("no patient showed change") is not None and m.search("none showed a change") is None
    assert [x.span() for x in m.finditer(text)] == [x.span() for x in re.finditer(m.pattern, text, re.IGNORECASE)]
