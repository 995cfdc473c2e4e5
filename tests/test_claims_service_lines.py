"""Non-claims that drew efficacy verdicts on the ``fresh4`` batch: the clinic offering or helping in
the first person plural, second-person lead-ins and decision advice, one family per fix.

Every sentence here is made up for the test (none is in the set or on a sample page), with the
near miss that must stay a claim next to it.
"""

from __future__ import annotations

import pytest

from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


def read(sentence: str, rules: Rules) -> list[Claim]:
    return [c for c in extract_claims(LEAD + sentence, rules) if sentence[:30] in c.text]


def checkable(sentence: str, rules: Rules) -> list[Claim]:
    return [c for c in read(sentence, rules) if c.checkable]


def codes(sentence: str, rules: Rules) -> set[str]:
    return {c.checkability for c in read(sentence, rules) if not c.checkable}


# ------------------------------------------------------------------ the clinic offering a service


@pytest.mark.parametrize(
    "sentence",
    [
        "Our clinic now also offers ketamine nasal spray sessions for anxiety and migraine.",
        "At Lakeside Wellness, we pair ketamine infusions with weekly talk therapy.",
        "Our centre currently provides intramuscular ketamine for PTSD and OCD.",
        "We proudly combine ketamine treatment with trauma-focused counselling for veterans.",
        "Our office is now offering esketamine for treatment-resistant depression.",
    ],
)
def test_the_clinic_offering_a_service_in_the_first_person_plural_is_its_practice(
    rules: Rules, sentence: str
) -> None:
    assert not checkable(sentence, rules)
    assert codes(sentence, rules) == {"procedure"}


@pytest.mark.parametrize(
    "sentence",
    [
        "Our patients see results within hours.",
        "Ketamine combined with talk therapy relieves depression faster than therapy alone.",
        # An offer that also promises an effect is checked.
        "We offer ketamine infusions, which relieve depression within hours.",
    ],
)
def test_a_claim_beside_or_inside_an_offer_stays_a_claim(rules: Rules, sentence: str) -> None:
    assert checkable(sentence, rules)


# ------------------------------------------------------------------ help with a decision, decision advice


@pytest.mark.parametrize(
    "sentence",
    [
        "Our psychiatric nursing team can help you decide whether ketamine suits your depression.",
        "We will help you understand the benefits and risks of each treatment.",
        "The best option for you depends on your symptoms, your history and how fast you need relief.",
        "Which treatment is right for you will depend on your goals and your past response to antidepressants.",
    ],
)
def test_help_with_a_decision_and_what_the_choice_depends_on_are_advice(rules: Rules, sentence: str) -> None:
    assert not checkable(sentence, rules)
    assert codes(sentence, rules) == {"recommendation"}


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine can help you feel better within a day.",
        "How long the relief lasts depends on the number of infusions you receive.",
    ],
)
def test_an_effect_or_its_dependence_stays_a_claim(rules: Rules, sentence: str) -> None:
    assert checkable(sentence, rules)


# ------------------------------------------------------------------ second-person lead-ins


@pytest.mark.parametrize(
    "sentence",
    [
        "If therapy alone has not worked for you, you have likely heard of two newer options: ketamine and TMS.",
        "You may already have read about ketamine for depression in the news.",
        "You've probably heard about ketamine clinics opening across the country.",
    ],
)
def test_what_the_reader_has_heard_of_is_a_lead_in(rules: Rules, sentence: str) -> None:
    assert not checkable(sentence, rules)
    assert codes(sentence, rules) == {"lead_in"}


def test_what_studies_have_found_stays_a_claim(rules: Rules) -> None:
    assert checkable("Studies have found that ketamine relieves depression within hours.", rules)


# ------------------------------------------------------------------ a course as a count of sessions over a span


@pytest.mark.parametrize(
    "sentence",
    [
        "Most people receive eight infusions over three to four weeks.",
        "A typical course is four sessions across two weeks.",
    ],
)
def test_a_course_of_sessions_over_a_span_is_a_dosing_claim(rules: Rules, sentence: str) -> None:
    assert "dosing" in {c.kind for c in checkable(sentence, rules)}


def test_relief_within_a_span_is_no_schedule(rules: Rules) -> None:
    assert "dosing" not in {c.kind for c in checkable("Most people feel better within three to four weeks.", rules)}


# ------------------------------------------------------------------ a treatment schedule


@pytest.mark.parametrize(
    "sentence",
    [
        "After the second week, most clients are treated twice a month.",
        "Top-up infusions are typically given every 4-6 weeks.",
        "Booster sessions are given monthly.",
        "Most people receive weekly infusions at first.",
    ],
)
def test_how_often_the_drug_is_given_is_a_dosing_claim(rules: Rules, sentence: str) -> None:
    kinds = {c.kind for c in checkable(sentence, rules)}
    assert "dosing" in kinds and "efficacy" not in kinds


def test_feeling_better_within_a_week_stays_an_effect(rules: Rules) -> None:
    kinds = {c.kind for c in checkable("Most clients feel better within a week.", rules)}
    assert "dosing" not in kinds and kinds & {"efficacy", "onset"}


def test_sessions_moving_to_a_schedule_stay_procedure(rules: Rules) -> None:
    # The key files the clinic's own spacing of sessions as procedure (generalisation set g114).
    assert codes("Later on, appointments move to once every three weeks.", rules) == {"procedure"}
