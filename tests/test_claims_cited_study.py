"""A sentence that reports one study is judged on that study (:mod:`ketlit.claims.cited_study`).

The records and sentences are made up for the test: two PTSD trials, one that found the benefit and
one that did not, so the same wording is supported or contradicted by which study the page describes,
and a sentence that names no study (or a study the cache does not hold) takes the usual path.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketlit.claims.cited_study import matching_details
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex, records_from_dicts
from ketlit.claims.extract import extract_claims
from ketlit.claims.numbers import sample_size
from ketlit.claims.rules import Rules
from ketlit.claims.verdict import judge

_TAGS = {
    "indication": ["ptsd"],
    "route": ["intravenous"],
    "molecule": ["racemic_ketamine"],
    "design": ["rct"],
    "population": ["adults"],
}
POSITIVE: dict[str, Any] = {
    "source": "pubmed",
    "id": "91000001",
    "year": 2016,
    "indexed": True,
    "title": "Intravenous ketamine versus midazolam for chronic posttraumatic stress disorder: a randomized trial",
    "abstract": (
        "BACKGROUND: Chronic PTSD is common.\nMETHODS: 60 veterans with chronic PTSD were randomized to a single "
        "intravenous infusion of ketamine 0.5 mg/kg or midazolam.\nRESULTS: Ketamine significantly reduced PTSD "
        "symptom severity compared with midazolam at 24 hours (p < 0.001).\nCONCLUSIONS: A single ketamine "
        "infusion rapidly reduced PTSD symptoms."
    ),
    "tags": _TAGS,
    "linked_ids": [],
}
NULL: dict[str, Any] = {
    **POSITIVE,
    "id": "91000002",
    "year": 2020,
    "title": "Repeated intravenous ketamine infusions for posttraumatic stress disorder: a randomized controlled trial",
    "abstract": (
        "BACKGROUND: Chronic PTSD is common.\nMETHODS: 120 adults with PTSD were randomized to six intravenous "
        "infusions of ketamine 0.5 mg/kg or midazolam.\nRESULTS: PTSD symptom severity did not differ "
        "significantly between ketamine and midazolam at week 2 (p = 0.61).\nCONCLUSIONS: Repeated ketamine "
        "infusions were not more effective than midazolam for PTSD."
    ),
}


def _record(**kw: Any) -> EvidenceRecord:
    return EvidenceRecord(source="pubmed", id="1", title="t", **kw)


def test_sample_size_is_read_after_a_word_that_is_no_count() -> None:
    assert sample_size("A total of 30 patients were randomized.") == 30
    assert sample_size("We ran a study of 400 veterans.") == 400


@pytest.mark.parametrize(
    ("text", "record", "want"),
    [
        (
            "In a 2016 trial of 60 veterans, ketamine helped.",
            _record(abstract="60 veterans took part.", year=2016),
            ["n = 60", "published 2016"],
        ),
        # Another size: another study, whatever the year.
        ("In a 2016 trial of 60 veterans, ketamine helped.", _record(abstract="120 adults took part.", year=2016), []),
        # Published online the year before its print year: counts, as half a match (match_score).
        (
            "A 2018 study of 80 patients found it helped.",
            _record(abstract="80 patients took part.", year=2017),
            ["n = 80", "published 2017 (the page says 2018)"],
        ),
        (
            "A 2018 study found it helped.",
            _record(abstract="80 patients took part.", year=2017),
            ["published 2017 (the page says 2018)"],
        ),
        ("A 2018 study found it helped.", _record(abstract="80 patients took part.", year=2015), []),
        # Nothing the page says is matched.
        ("One study found that it helped.", _record(abstract="80 patients took part.", year=2017), []),
    ],
)
def test_a_study_matches_the_page_on_size_and_year(text: str, record: EvidenceRecord, want: list[str]) -> None:
    assert matching_details(record, text) == want


def _verdict(sentence: str, rules: Rules) -> tuple[str, list[str]]:
    page = "Our clinic offers intravenous ketamine infusions for PTSD.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy" and c.text in sentence)
    index = InMemoryIndex(records_from_dicts([POSITIVE, NULL]), rules)
    v = judge(claim, index.candidates(claim), rules)
    return v.verdict, list(v.reasons)


def test_an_accurate_report_of_one_trial_is_supported(rules: Rules) -> None:
    verdict, reasons = _verdict("In a 2016 trial of 60 veterans, ketamine significantly reduced PTSD symptoms.", rules)
    assert verdict == "supported", reasons
    assert any("the page reports one study: 91000001" in r for r in reasons), reasons


def test_a_null_trial_reported_as_a_benefit_is_contradicted(rules: Rules) -> None:
    verdict, reasons = _verdict("A 2020 study of 120 patients found that ketamine relieved PTSD symptoms.", rules)
    assert verdict == "contradicted", reasons
    assert any("the page reports one study: 91000002" in r and "did not find" in r for r in reasons), reasons


@pytest.mark.parametrize(
    "sentence",
    [
        # No study named: the body of evidence decides.
        "Ketamine relieves PTSD symptoms.",
        # A study the cache does not hold (another year and size): the body decides, not a near miss.
        "A 2011 trial of 30 patients found that ketamine relieved PTSD symptoms.",
    ],
)
def test_a_sentence_naming_no_study_held_takes_the_usual_path(rules: Rules, sentence: str) -> None:
    _, reasons = _verdict(sentence, rules)
    assert not any("the page reports one study" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("sentence", "review", "trial"),
    [
        ("A 2021 meta-analysis found that ketamine eased PTSD.", True, False),
        ("A 2021 Cochrane systematic review found that ketamine eased PTSD.", True, False),
        ("A 2021 randomized trial found that ketamine eased PTSD.", False, True),
        ("A 2021 study found that ketamine eased PTSD.", True, True),
    ],
)
def test_the_study_named_is_a_review_or_a_trial(rules: Rules, sentence: str, review: bool, trial: bool) -> None:
    from ketlit.claims.cited_study import kind_fits

    page = "Our clinic offers intravenous ketamine infusions for PTSD.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy")
    assert (kind_fits(claim, rules, True), kind_fits(claim, rules, False)) == (review, trial)


def test_an_exact_year_outranks_a_year_one_off() -> None:
    from ketlit.claims.cited_study import match_score

    text = "A 2018 study found it helped."
    exact = matching_details(_record(abstract="", year=2018), text)
    near = matching_details(_record(abstract="", year=2017), text)
    assert match_score(exact) > match_score(near) > 0
