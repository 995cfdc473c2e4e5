"""Claims read from verdict sets r16-r18 (stop 47), each pinned both ways: a rate in words beside a
concession ("roughly half … respond, although results vary"), what most of the clinic's patients feel and how soon,
memory said to be left alone afterwards, safety in pregnancy answered by the label's warning for that group, and
Canada's regulatory facts (the anaesthetic authorisation, no psychiatric authorisation, off-label prescribing).
"""

from __future__ import annotations

import pytest

from ketlit.claims.cited_study import reports_one_study
from ketlit.claims.efficacy import tested_strength as strength_tested
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.rules import Rules
from ketlit.claims.safety_verdict import _denies_lasting
from ketlit.claims.timing import time_verdict
from tests.claims_pages import IV_PAGE, check_kind


def _checkable(sentence: str, rules: Rules, page: str = IV_PAGE) -> list[tuple[str, object]]:
    """(kind, threshold) of the checkable claims read from ``sentence``."""
    return [
        (c.kind, c.threshold)
        for c in extract_claims(page + sentence, rules)
        if sentence[:25] in c.text and c.checkable
    ]


def test_a_rate_in_words_beside_a_concession_is_a_rate_claim(rules: Rules) -> None:
    sentence = (
        "Across published trials, roughly half of people with treatment-resistant depression respond to a course "
        "of ketamine, although results vary."
    )
    found = _checkable(sentence, rules)
    assert [k for k, _ in found] == ["efficacy_rate"]
    assert getattr(found[0][1], "value", None) == 50.0


@pytest.mark.parametrize(
    "sentence",
    ["Not everyone responds, and results vary.", "Ketamine is not a cure, and it may not work for you."],
)
def test_a_concession_alone_stays_not_checkable(sentence: str, rules: Rules) -> None:
    assert _checkable(sentence, rules) == []


def test_a_concession_followed_by_what_most_patients_need_is_checked(rules: Rules) -> None:
    sentence = "Ketamine is not a cure, and most patients who respond will need occasional maintenance infusions."
    assert _checkable(sentence, rules)


def test_what_most_of_the_clinics_patients_feel_within_hours_is_an_onset_claim(rules: Rules) -> None:
    sentence = "Most of our clients feel a lift in their mood within one to two hours of their very first infusion."
    assert "onset" in [k for k, _ in _checkable(sentence, rules)]
    # A past case of the clinic's own stays its own, unverifiable report.
    assert _checkable("Many of our veterans have cut their daily opioid dose in half within three months.", rules) == []


@pytest.mark.parametrize(
    ("sentence", "lasting"),
    [
        ("Ketamine does not affect your memory or thinking afterwards, so you can return to work the next day.", True),
        ("In depressed patients, studies show ketamine does not harm memory or thinking in the short term.", True),
        ("Ketamine does not impair your memory.", False),
    ],
)
def test_memory_or_thinking_said_to_be_left_alone_is_a_denial_of_harm_to_cognition(
    sentence: str, lasting: bool, rules: Rules
) -> None:
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety"]
    assert claims, sentence
    assert claims[0].safety_stance == "denial"
    assert "cognition" in claims[0].safety_topics
    assert _denies_lasting(claims[0], rules) is lasting


def test_safety_in_pregnancy_is_answered_by_the_labels_warning_for_that_group(
    index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check_kind("Ketamine is also considered safe during pregnancy.", "safety", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons
    assert any("spravato_label_pregnancy" in r for r in v.reasons)
    # No regulator's source names breastfeeding: nothing carries over from other groups.
    _, v = check_kind("Ketamine is safe during breastfeeding.", "safety", index, rules, IV_PAGE)
    assert v.verdict == "insufficient_evidence", v.reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        (
            "Ketamine is approved by Health Canada as an anaesthetic, and physicians in Canada may prescribe it "
            "off-label for depression.",
            "supported",
        ),
        ("Health Canada has also approved IV ketamine for depression.", "contradicted"),
        ("In Canada, Spravato is approved for treatment-resistant depression.", "supported"),
    ],
)
def test_canadas_authorisations_decide_canadian_sentences(
    sentence: str, verdict: str, index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check_kind(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == verdict, v.reasons
    assert any("jurisdiction: CA" in r for r in v.reasons), v.reasons


def test_an_intensifier_of_the_effect_keeps_its_strength_in_an_implied_claim(rules: Rules) -> None:
    sentence = "That makes ketamine the first proven medication for cocaine addiction."
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "efficacy")
    assert claim.implied and strength_tested(claim, rules) == "intensified"


@pytest.mark.parametrize(
    "sentence",
    [
        "A single ketamine session resets cravings, helping smokers stay tobacco-free for good.",
        "Ketamine ends depression for good.",
    ],
)
def test_a_result_promised_for_good_is_absolute(sentence: str, rules: Rules) -> None:
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "efficacy"]
    assert claims and claims[0].strength == "absolute"


def test_a_harm_limited_to_people_who_misuse_is_a_restriction(rules: Rules) -> None:
    sentence = "Bladder damage only happens to people who abuse it daily for years."
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety")
    assert (claim.safety_stance, claim.safety_topics) == ("restriction", ("bladder",))


@pytest.mark.parametrize(
    ("sentence", "stance", "topic"),
    [
        ("When ketamine is given in a monitored setting, there has never been a documented case of addiction.",
         "denial", "addiction"),
        ("Bladder problems only affect people who misuse ketamine recreationally at high doses.", "restriction",
         "bladder"),
        ("Animal studies suggest ketamine may harm a developing baby, so we test before each series.", None,
         "fetal_harm"),
        ("Arketamine causes almost no dissociation.", "minimising", "dissociation"),
    ],
)
def test_safety_stances_in_other_words(sentence: str, stance: str | None, topic: str, rules: Rules) -> None:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety")
    assert topic in claim.safety_topics
    if stance is not None:
        assert claim.safety_stance == stance


def test_a_study_named_by_its_author_is_the_study_reported(rules: Rules) -> None:
    sentence = (
        "Murrough's two-site trial in 2013 used midazolam as an active placebo, and 64% of ketamine patients "
        "responded at 24 hours compared with 28% on midazolam."
    )
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "efficacy_rate")
    assert claim.strength == "attributed"
    assert reports_one_study(claim, rules)


def test_an_approval_list_going_on_after_a_comma_names_its_uses(rules: Rules) -> None:
    sentence = "Spravato is FDA-approved for depression, including the depressive episodes of bipolar disorder."
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "regulatory")
    assert claim.regulatory is not None
    assert "bipolar_depression" in claim.regulatory.approval_indications


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Generic ketamine is registered in Australia only as an anaesthetic, so when our psychiatrists prescribe it "
         "for depression they are prescribing it off-label.", "regulatory"),
        ("Racemic ketamine infusions, which we offer, are not licensed for depression in the EU.", "regulatory"),
        ("We don't treat pregnant patients, because animal studies suggest ketamine may harm a developing baby.",
         "safety"),
    ],
)
def test_a_practice_sentence_giving_a_status_or_a_harm_as_its_reason_is_checked(
    sentence: str, kind: str, rules: Rules
) -> None:
    assert kind in [k for k, _ in _checkable(sentence, rules)]


def test_a_practice_sentence_alone_stays_not_checkable(rules: Rules) -> None:
    assert _checkable("We offer ketamine infusions for adults with depression in a calm setting.", rules) == []


@pytest.mark.parametrize(
    ("n_for", "n_against", "possible", "verdict"),
    [
        (4, 2, False, "supported"),
        (2, 9, False, "contradicted"),  # most studies saw the benefit end sooner than the page says
        (2, 9, True, "partly_supported"),  # "can last for months": some do
        (0, 3, True, "contradicted"),
        (2, 3, False, "partly_supported"),
        (0, 0, False, "insufficient_evidence"),
    ],
)
def test_a_time_is_refuted_when_most_reports_disagree(n_for: int, n_against: int, possible: bool, verdict: str) -> None:
    assert time_verdict(n_for, n_against, possible=possible) == verdict


# A review of this stop's rules (213 inputs on the old and new code) found these read worse; each is pinned.
def test_a_concession_about_clinics_is_not_a_claim_about_patients(rules: Rules) -> None:
    assert _checkable("Ketamine is not a cure, and many clinics require a psychiatric assessment first.", rules) == []


@pytest.mark.parametrize(
    ("sentence", "strength"),
    [
        ("Ketamine is not a miracle cure, and the majority of responders require top-up treatments.", "plain"),
        ("Ketamine helps many patients stay well for weeks, though not forever.", "plain"),
        ("Ketamine is a miracle cure.", "absolute"),
    ],
)
def test_a_denied_cure_or_forever_is_no_absolute_claim(sentence: str, strength: str, rules: Rules) -> None:
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.checkable]
    assert claims and claims[0].strength == strength


@pytest.mark.parametrize(
    ("sentence", "tested"),
    [
        ("Ketamine is used to treat depression in our proven, effective clinic setting.", "plain"),
        ("Ketamine is the only medication proven to stop suicidal thoughts within hours.", "intensified"),
    ],
)
def test_only_an_intensifier_of_the_effect_keeps_its_strength(sentence: str, tested: str, rules: Rules) -> None:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "efficacy")
    assert strength_tested(claim, rules) == tested


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is FDA-approved for anesthesia, even though we use it for depression off-label.",
        "Ketamine is approved as an anaesthetic, and also used off-label for depression and PTSD.",
    ],
)
def test_the_clinics_own_use_after_a_comma_is_not_an_approved_use(sentence: str, rules: Rules) -> None:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "regulatory")
    assert claim.regulatory is not None
    assert claim.regulatory.approval_indications == ("anesthesia_sedation",)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is not safe during pregnancy.",
        "Ketamine isn't safe in pregnancy.",
        "Ketamine is not considered safe during pregnancy.",
        "Ketamine is never safe during pregnancy.",
    ],
)
def test_not_safe_in_a_group_is_a_warning_the_labels_caution_bears_out(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    """Stop 50: "not safe during pregnancy" was read as "safe" (the minimising word) and contradicted by the label's
    warning, which it repeats. It asserts the harm: the label's warning for that group supports it."""
    claim, v = check_kind(sentence, "safety", index, rules, IV_PAGE)
    assert claim.safety_stance != "minimising", claim.safety_stance
    assert v.verdict == "supported", v.reasons
    assert any("spravato_label_pregnancy" in r for r in v.reasons)
    # "Safe" without the negation, and "not only safe", are still read as minimising.
    plain, _ = check_kind("Ketamine is considered safe during pregnancy.", "safety", index, rules, IV_PAGE)
    assert plain.safety_stance == "minimising"
    both, _ = check_kind("Ketamine is not only safe but also effective.", "safety", index, rules, IV_PAGE)
    assert both.safety_stance == "minimising"
