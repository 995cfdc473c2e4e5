"""General causes found on the ``fresh3`` batch of the generalisation set, one family per fix.

Every sentence here is made up for the test (none is in the set or on a sample page), with the
near miss that must stay as it was next to it.
"""

from __future__ import annotations

import pytest

from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.numbers import abstract_findings
from ketlit.claims.rules import Rules
from ketlit.claims.verdict import judge

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


def claims_of(sentence: str, rules: Rules, before: str = "") -> list[Claim]:
    text = LEAD + (before + " " if before else "") + sentence
    return [c for c in extract_claims(text, rules) if c.checkable and sentence[:30] in c.text]


# ------------------------------------------------------------------ psychosis is a harm of its own


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine may worsen symptoms in people with a history of psychosis.",
        "In rare cases ketamine can trigger a psychotic episode.",
        "Ketamine can make psychotic symptoms worse in people with schizophrenia.",
    ],
)
def test_psychosis_is_a_safety_topic_not_the_previous_sentences_harms(rules: Rules, sentence: str) -> None:
    before = "Long-term heavy use has been linked to bladder damage and memory problems."
    found = [c for c in claims_of(sentence, rules, before) if c.kind == "safety"]
    assert found and all(c.safety_topics == ("psychosis",) for c in found), [(c.kind, c.safety_topics) for c in found]


def test_an_abstract_reports_psychosis_brought_on_not_a_population_without_it(rules: Rules) -> None:
    def categories(sentence: str) -> set[str]:
        return {f.category for f in abstract_findings("A trial.", sentence, rules).adverse}

    assert "psychosis" in categories(
        "Ketamine is associated with exacerbation of core psychotic symptoms in schizophrenia."
    )
    assert "psychosis" in categories("Ketamine produced a short-lived activation of psychosis in four patients.")
    assert "psychosis" not in categories(
        "Patients with depression without psychosis were randomised to ketamine or ECT."
    )
    assert "psychosis" not in categories("Patients with a history of psychotic episodes were excluded.")


def test_a_review_finding_a_harm_unsupported_reports_it_absent(rules: Rules) -> None:
    for sentence in (
        "The available literature does not support the assumption that ketamine will exacerbate psychotic symptoms.",
        "Psychotic and dissociative symptoms were minimal after the infusion.",
    ):
        found = abstract_findings("A review.", sentence, rules).adverse
        assert found and all(f.absent for f in found), found
    found = abstract_findings("A trial.", "Ketamine induced transient psychotic symptoms.", rules).adverse
    assert found and not any(f.absent for f in found)


# ------------------------------------------------------------------ harms denied, harms named, harms ending


@pytest.mark.parametrize(
    "sentence",
    [
        "Our lozenges sharpen your focus without any of the side effects.",
        "Ketamine nasal spray calms anxiety without any of its side effects.",
    ],
)
def test_without_any_of_the_side_effects_denies_them(rules: Rules, sentence: str) -> None:
    found = [c for c in claims_of(sentence, rules) if c.kind == "safety"]
    assert found and all(c.safety_stance == "denial" for c in found), [(c.safety_stance) for c in found]


def test_harms_antidepressants_are_known_for_are_named_not_taken_from_the_sentence_before(rules: Rules) -> None:
    sentence = "Unlike SSRIs, ketamine does not cause weight gain or sexual side effects."
    found = [c for c in claims_of(sentence, rules, "Ketamine is not addictive.") if c.kind == "safety"]
    assert found and all({"weight_gain", "sexual_dysfunction"} <= set(c.safety_topics) for c in found)
    assert all("addiction" not in c.safety_topics for c in found)


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # Side effects said to end within hours: how long a harm lasts, not when relief comes.
        ("These effects normally stop within about two hours of the dose.", "safety"),
        ("The dizziness usually passes within an hour.", "safety"),
        # The near miss: relief within hours is onset.
        ("Relief from depression usually starts within hours.", "onset"),
    ],
)
def test_side_effects_that_end_within_hours_are_transient_not_onset(rules: Rules, sentence: str, kind: str) -> None:
    before = "During the session most people feel detached, and blood pressure often rises."
    kinds = {c.kind for c in claims_of(sentence, rules, before)}
    assert kind in kinds and (kind == "onset" or "onset" not in kinds), kinds


# ------------------------------------------------------------------ an approval denied as the label denies it


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The use denied is the effect the label limitation says is not shown: the page agrees with it.
        ("Esketamine has not been proven to prevent suicide, and the FDA has not approved it for that.", "supported"),
        ("Spravato is not approved to prevent suicide.", "supported"),
        # The near misses: a denial of the approval the drug has, and an approval for what is not shown.
        ("Spravato is not FDA-approved for treatment-resistant depression.", "contradicted"),
        ("Spravato is FDA-approved to prevent suicide.", "contradicted"),
    ],
)
def test_an_approval_denied_for_what_the_label_says_is_not_shown(rules: Rules, sentence: str, verdict: str) -> None:
    page = LEAD.replace("Ketamine infusions", "Spravato nasal spray") + sentence
    claims = [c for c in extract_claims(page, rules) if c.checkable and c.kind == "regulatory"]
    assert claims, sentence
    index = InMemoryIndex([], rules)
    assert {judge(c, index, rules).verdict for c in claims} == {verdict}


# ------------------------------------------------------------------ what the page is, how far research has got


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("This leaflet is for adults who are thinking about esketamine treatment for depression.", "lead_in"),
        ("This guide explains what happens during a ketamine infusion for chronic pain.", "lead_in"),
        ("Research on ketamine for bipolar depression and OCD is still at an early stage.", "research_status"),
        ("Studies of ketamine for eating disorders are in their early stages.", "research_status"),
    ],
)
def test_what_the_page_is_for_and_how_far_research_has_got_are_no_claims(
    rules: Rules, sentence: str, reason: str
) -> None:
    found = [c for c in extract_claims(LEAD + sentence, rules) if sentence[:30] in c.text]
    assert found and not any(c.checkable for c in found), [(c.kind, c.checkability) for c in found]
    assert reason in {c.checkability for c in found}


@pytest.mark.parametrize(
    "sentence",
    [
        # The near misses: an effect claimed, however early the research.
        "Early research shows ketamine relieves OCD symptoms within hours.",
        "This treatment relieves depression in most patients within a day.",
    ],
)
def test_an_effect_claimed_beside_early_research_is_still_checked(rules: Rules, sentence: str) -> None:
    assert any(c.checkable for c in extract_claims(LEAD + sentence, rules) if sentence[:30] in c.text)


# ------------------------------------------------------------------ a rate's outcome is the one beside it


@pytest.mark.parametrize(
    ("sentence", "outcome"),
    [
        ("About half of the patients in these studies had a good response, and fewer reached remission.", "response"),
        ("Roughly 30% of people reached remission, and more than that responded.", "remission"),
        # One outcome named: that one, wherever it is.
        ("In these trials 40% of patients went into remission.", "remission"),
    ],
)
def test_a_rates_outcome_is_the_one_named_beside_its_number(rules: Rules, sentence: str, outcome: str) -> None:
    rates = [c for c in claims_of(sentence, rules) if c.kind == "efficacy_rate"]
    assert rates and {c.outcome for c in rates} == {outcome}, [(c.kind, c.outcome) for c in rates]
