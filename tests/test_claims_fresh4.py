"""General causes found on the ``fresh4`` batch of the generalisation set, one family per fix.

Every sentence here is made up for the test (none is in the set or on a sample page), with the
near miss that must stay as it was next to it.
"""

from __future__ import annotations

import pytest

from ketlit.claims.context import indications_in, page_context, routes_in
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules
from ketlit.claims.verdict import judge

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


def claims_of(sentence: str, rules: Rules, lead: str = LEAD) -> list[Claim]:
    return [c for c in extract_claims(lead + sentence, rules) if c.checkable and sentence[:30] in c.text]


# ------------------------------------------------------------------ a parent condition inside a child's name


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Two doses lowered postpartum depression scores in new mothers.", ["postpartum_depression"]),
        ("It eased perinatal depression within a day.", ["postpartum_depression"]),
        # Named on its own as well, the broad condition stays.
        ("It eases postpartum depression and depression in older adults.", ["postpartum_depression", "depression"]),
    ],
)
def test_a_broad_condition_inside_a_narrower_one_s_name_is_not_a_second_indication(
    rules: Rules, sentence: str, expected: list[str]
) -> None:
    assert sorted(indications_in(sentence, rules)) == sorted(expected)


# ------------------------------------------------------------------ one product named once is one route mention


def test_a_product_and_its_route_named_together_count_once(rules: Rules) -> None:
    page = (
        "Ketamine care in Perth.\n\nKetamine is given in our clinic. Ketamine helps depression.\n\n"
        "The regulator approved Spravato nasal spray in 2021.\n\nKetamine lozenges are not offered."
    )
    assert page_context(page, rules).route is None
    twice = page.replace("in 2021.", "in 2021. Spravato is a nasal spray used twice a week.")
    assert page_context(twice, rules).route == "intranasal"


def test_injected_under_the_skin_is_subcutaneous(rules: Rules) -> None:
    assert routes_in("In the trial, ketamine was injected under the skin once a week.", rules) == ["subcutaneous"]
    assert routes_in("Anxiety can get under the skin of anyone.", rules) == []


# ------------------------------------------------------------------ approvals denied with an adverb, other medicines


def test_an_approval_denied_for_one_use_with_an_adverb_is_that_use_s(rules: Rules) -> None:
    sentence = (
        "Spravato is not approved specifically for bipolar depression, "
        "but it is approved for treatment-resistant depression."
    )
    found = [c for c in claims_of(sentence, rules) if c.kind == "regulatory"]
    assert found and all("bipolar_depression" in c.indication for c in found), [c.indication for c in found]
    index = InMemoryIndex([], rules)
    assert {judge(c, index, rules).verdict for c in found} == {"supported"}


@pytest.mark.parametrize(
    ("sentence", "with_drug"),
    [
        (
            "Brexanolone was the first medicine approved by the FDA for depression after childbirth.",
            "Brexanolone and ketamine were approved by the FDA for depression after childbirth.",
        ),
        (
            "Naltrexone reduces heavy drinking days in people with alcohol use disorder.",
            "Like ketamine, naltrexone reduces heavy drinking days in people with alcohol use disorder.",
        ),
    ],
)
def test_a_sentence_about_another_named_medicine_is_not_the_drug_s(rules: Rules, sentence: str, with_drug: str) -> None:
    assert not claims_of(sentence, rules)
    assert claims_of(with_drug, rules)  # naming the drug as well keeps the claim


# ------------------------------------------------------------------ a count of sessions per week


@pytest.mark.parametrize(
    "sentence",
    [
        "Most patients start with two infusions a week for three weeks.",
        "The series starts with two ketamine infusions a week for three weeks.",
    ],
)
def test_a_count_of_sessions_per_week_is_a_dosing_schedule(rules: Rules, sentence: str) -> None:
    assert "dosing" in {c.kind for c in claims_of(sentence, rules)}


@pytest.mark.parametrize(
    "sentence",
    [
        # The clinic's offer is no claim about the drug; a bare "Treatment …" opening stays treatment in
        # general (standard care is what such sentences contrast the drug with).
        "We offer two sessions a week.",
        "Treatment usually takes four to six weeks to start working.",
        "Treatment can cause weight gain and sexual side effects.",
        "Therapy helps many people with mild depression.",
    ],
)
def test_offers_and_treatment_in_general_stay_unclaimed(rules: Rules, sentence: str) -> None:
    assert not claims_of(sentence, rules)
