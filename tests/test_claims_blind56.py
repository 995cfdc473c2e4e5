"""General causes found on blind verdict keys 5 and 6 (pages and keys written by helpers acting as the
expert, frozen before the first run), one family per fix.

Every sentence here is made up for the test (none is on a keyed page), with the near miss that must
stay as it was next to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketlit.claims.cited_study import matching_details
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.rules import Rules
from tests.test_claims_fresh2 import reading as fresh2_reading

# The page's reading of one sentence (checkable, its reason, the kinds of its checkable claims), shared with
# the fresh2 tests.
reading = fresh2_reading


# ------------------------------------------------------------------ a harm given as the reason for the clinic's step


@pytest.mark.parametrize(
    "sentence",
    [
        "Dizziness is common during a session, so a nurse checks your vital signs throughout.",
        "Nausea can follow a dose, which is why we monitor you for an hour.",
        "Brief rises in blood pressure happen with every dose, so we monitor it before and after.",
    ],
)
def test_a_harm_given_as_the_reason_for_a_step_is_a_safety_claim(rules: Rules, sentence: str) -> None:
    got = reading(sentence, rules)
    assert got["checkable"], got
    assert "safety" in got["kinds"], got


@pytest.mark.parametrize(
    "sentence",
    [
        "We measure your blood pressure before and after every dose.",
        "Sessions are held in our quiet clinic, so we monitor you for two hours afterwards.",
    ],
)
def test_a_step_with_no_harm_before_it_stays_procedure(rules: Rules, sentence: str) -> None:
    got = reading(sentence, rules)
    assert not got["checkable"] and got["reason"] == "procedure", got


# ------------------------------------------------------------------ the country a page speaks from


def _regulatory(page: str, sentence: str, rules: Rules) -> tuple[str, list[str]]:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    claims = extract_claims(page + "\n\n" + sentence, rules)
    claim = next(c for c in claims if c.kind == "regulatory" and c.text == sentence)
    v = judge(claim, [], rules)
    return v.verdict, list(v.reasons)


AUSTRALIAN = (
    "Ketamine treatment in Melbourne.\n\nOur Australian clinic follows TGA guidance. Australia's regulator, the TGA, "
    "has approved esketamine.\n\nWe see patients from across Australia."
)


def test_a_page_from_another_country_is_judged_on_that_countrys_facts(rules: Rules) -> None:
    verdict, reasons = _regulatory(AUSTRALIAN, "Ketamine is a Schedule 8 medicine.", rules)
    assert verdict == "supported", reasons
    assert any("the page speaks from AU" in r for r in reasons), reasons


def test_a_page_naming_no_country_keeps_the_default(rules: Rules) -> None:
    page = "Ketamine treatment at our clinic.\n\nWe offer ketamine infusions."
    verdict, reasons = _regulatory(page, "Ketamine is a Schedule 8 medicine.", rules)
    assert verdict == "contradicted", reasons
    assert not any("the page speaks from" in r for r in reasons), reasons


# ------------------------------------------------------------------ denials and the group a denial is about


def _safety(sentence: str, rules: Rules) -> Any:
    from ketlit.claims.extract import extract_claims

    claims = extract_claims("Ketamine at our clinic.\n\n" + sentence, rules)
    return next(c for c in claims if c.kind == "safety" and c.text == sentence)


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine cannot create a dependence.", "Esketamine does not induce dependence."],
)
def test_saying_the_drug_cannot_create_the_harm_denies_it(rules: Rules, sentence: str) -> None:
    assert _safety(sentence, rules).safety_stance == "denial"


@pytest.mark.parametrize(
    ("sentence", "groups"),
    [
        # The group in another clause, with its own subject: not the population of the denial.
        ("Ketamine is not addictive when given in a clinic, and your teenager will never take any home.", []),
        ("Ketamine is safe for teenagers.", ["adolescents"]),
        ("In teenagers, ketamine carries no risk of addiction.", ["adolescents"]),
    ],
)
def test_a_denial_is_about_the_group_named_in_its_own_clause(rules: Rules, sentence: str, groups: list[str]) -> None:
    from ketlit.claims.safety_verdict import groups_in_claim

    assert groups_in_claim(sentence, rules) == groups


# ------------------------------------------------------------------ trials reported as null, in general or one


def _fixture_verdict(sentence: str, rules: Rules) -> tuple[str, list[str]]:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge
    from tests.test_claims_fresh2 import _fixture_index

    index = _fixture_index(rules)
    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy" and c.text == sentence)
    v = judge(claim, index.candidates(claim), rules)
    return v.verdict, list(v.reasons)


def test_trials_in_general_said_to_find_no_benefit_where_they_found_one_is_contradicted(rules: Rules) -> None:
    verdict, reasons = _fixture_verdict(
        "Controlled trials have found ketamine infusions no better than a placebo for treatment-resistant depression.",
        rules,
    )
    assert verdict == "contradicted", reasons
    assert reasons[0].startswith("the sentence reports trials that found no benefit"), reasons


def test_one_study_said_to_find_no_benefit_is_not_refuted_by_others(rules: Rules) -> None:
    verdict, reasons = _fixture_verdict(
        "One small study found ketamine infusions no better than a placebo for treatment-resistant depression.", rules
    )
    assert verdict == "insufficient_evidence", reasons


# ------------------------------------------------------------------ one study described at length


def test_a_study_described_at_length_before_its_verb_is_attributed(rules: Rules) -> None:
    from ketlit.claims.assertion import asserted_strength

    sentence = (
        "A three-centre trial of 90 adults compared ketamine with saline, an inert placebo given the same way, "
        "and found remission rates of 40% versus 10%."
    )
    assert asserted_strength(sentence, rules).level == "attributed"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Half of the patients improved, compared with 20% of patients given a sedative.", False),
        ("Ketamine has long been used as a sedative in emergency rooms.", True),
    ],
)
def test_a_sedative_given_to_the_other_arm_is_no_use(rules: Rules, text: str, named: bool) -> None:
    assert rules.indications["anesthesia_sedation"].any(text) is named


# ------------------------------------------------------------ "for good", "proving that", "high-certainty evidence"


@pytest.mark.parametrize(
    "sentence",
    [
        "For most patients, a single infusion is enough to keep depression away for good.",
        "These results mean a single infusion can break a cocaine addiction for good.",
    ],
)
def test_for_good_is_a_permanent_duration(rules: Rules, sentence: str) -> None:
    from ketlit.claims.extract import extract_claims

    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    claims = [c for c in extract_claims(page, rules) if c.kind == "duration" and c.text == sentence]
    assert claims and claims[0].threshold is not None, claims
    assert (claims[0].threshold.op, claims[0].threshold.value, claims[0].threshold.unit) == (">=", 365.0, "days")


def test_a_study_report_that_draws_a_general_conclusion_is_judged_on_all_the_evidence(rules: Rules) -> None:
    _, reasons = _fixture_verdict(
        "In a 2019 trial of 100 adults, one ketamine infusion relieved treatment-resistant depression, proving that "
        "ketamine is a cure.",
        rules,
    )
    assert not any("the page reports one study" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("sentence", "claimed"),
    [
        ("Ketamine's benefit in treatment-resistant depression is backed by high-certainty evidence.", True),
        ("Ketamine relieves treatment-resistant depression, as strong scientific evidence shows.", True),
        ("Ketamine relieves treatment-resistant depression.", False),
    ],
)
def test_a_certainty_the_page_claims_is_held_to_the_evidence(rules: Rules, sentence: str, claimed: bool) -> None:
    verdict, reasons = _fixture_verdict(sentence, rules)
    said = any(r.startswith("the page says the evidence is of high certainty") for r in reasons)
    assert said is claimed, reasons
    if claimed:
        # The fixture's evidence holds the effect below high certainty: never simply supported.
        assert verdict in ("partly_supported", "contradicted"), reasons


# ------------------------------------------------------------------ mild, passing side effects that studies see pass


def _passing_record(pmid: str, n: int) -> dict[str, Any]:
    return {
        "source": "pubmed",
        "id": pmid,
        "year": 2018,
        "indexed": True,
        "title": "Intravenous ketamine versus saline placebo in treatment-resistant depression: a randomized trial",
        "abstract": (
            f"METHODS: {n} adults with TRD were randomized to ketamine 0.5 mg/kg or saline.\nRESULTS: Ketamine "
            "significantly reduced MADRS scores at 24 hours. Dizziness was common with ketamine and resolved within "
            "1 hour of the infusion.\nCONCLUSIONS: Ketamine was effective and well tolerated."
        ),
        "tags": {
            "indication": ["treatment_resistant_depression"],
            "route": ["intravenous"],
            "molecule": ["racemic_ketamine"],
            "design": ["rct"],
            "population": ["adults"],
        },
        "linked_ids": [],
    }


def test_mild_side_effects_that_studies_see_pass_are_supported(rules: Rules) -> None:
    from ketlit.claims.evidence import records_from_dicts
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    sentence = "Side effects such as mild dizziness are common during the infusion and fade within an hour."
    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "safety" and c.text == sentence)
    index = InMemoryIndex(records_from_dicts([_passing_record("92000001", 40), _passing_record("92000002", 60)]), rules)
    v = judge(claim, index.candidates(claim), rules)
    assert claim.safety_stance in ("minimising", "transience"), claim.safety_stance
    assert v.verdict == "supported", v.reasons


# ------------------------------------------------------------------ approval wording


def test_a_use_called_off_label_is_not_approved_as_the_page_says(rules: Rules) -> None:
    page = "Ketamine treatment at our clinic.\n\nWe offer ketamine infusions."
    verdict, reasons = _regulatory(
        page, "Intramuscular ketamine for depression is an off-label use of an FDA-approved anesthetic.", rules
    )
    assert verdict == "supported", reasons
    assert any("for depression: not approved — as the page says" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("sentence", "kinds"),
    [
        # The use approved is the approval's wording, not a claim that the drug works.
        ("No ketamine product is FDA-approved to treat depression in children.", ["regulatory"]),
        # An effect claimed beside the approval is still a claim of its own.
        ("Spravato is FDA-approved and relieves depression within hours.", ["regulatory", "onset", "efficacy"]),
    ],
)
def test_the_approved_use_is_no_efficacy_claim(rules: Rules, sentence: str, kinds: list[str]) -> None:
    from ketlit.claims.extract import extract_claims

    got = [c.kind for c in extract_claims("Ketamine at our clinic.\n\n" + sentence, rules) if c.text == sentence]
    assert sorted(got) == sorted(kinds)


def test_a_condition_the_rules_cannot_read_is_not_replaced_by_the_pages(rules: Rules) -> None:
    from ketlit.claims.evidence import records_from_dicts
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    sentence = (
        "We have begun to offer ketamine for binge eating, where early research shows remission in most patients."
    )
    page = "Ketamine for depression.\n\nOur clinic treats depression with ketamine infusions.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy" and c.text == sentence)
    v = judge(
        claim, InMemoryIndex(records_from_dicts([_passing_record("92000003", 50)]), rules).candidates(claim), rules
    )
    assert v.verdict == "insufficient_evidence", v.reasons
    assert "names its own condition" in v.reasons[0], v.reasons


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        # "One of the more common" ranks the harm among others: no comparison between products.
        ("Nausea is one of the more common side effects of ketamine.", "assertion"),
        ("Nausea is more common with ketamine infusions than with the nasal spray.", "comparative"),
    ],
)
def test_the_more_common_harms_are_no_comparison(rules: Rules, sentence: str, stance: str) -> None:
    assert _safety(sentence, rules).safety_stance == stance


def test_safety_in_general_is_not_borne_out_by_side_effects_that_pass(rules: Rules) -> None:
    from ketlit.claims.evidence import records_from_dicts
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    sentence = "Ketamine has an excellent safety record."
    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "safety" and c.text == sentence)
    index = InMemoryIndex(records_from_dicts([_passing_record("92000001", 40), _passing_record("92000002", 60)]), rules)
    assert judge(claim, index.candidates(claim), rules).verdict != "supported"


def test_a_trial_is_matched_on_its_total_when_the_abstract_gives_only_its_arms() -> None:
    from ketlit.claims.evidence import EvidenceRecord

    record = EvidenceRecord(
        source="pubmed",
        id="1",
        title="t",
        year=2023,
        abstract="RESULTS: Remission: 91 of 336 patients with the drug vs. 60 of 340 patients with the comparator.",
    )
    assert matching_details(record, "In a 2023 trial of 676 adults, the drug won.") == ["n = 676", "published 2023"]


def test_a_form_of_the_drug_names_no_product(rules: Rules) -> None:
    page = "Spravato at our clinic.\n\nSpravato is esketamine, given as a nasal spray."
    _, reasons = _regulatory(page, "It is the only form of ketamine approved by the FDA for anaesthesia.", rules)
    assert not any(r.startswith("racemic_ketamine") for r in reasons), reasons


@pytest.mark.parametrize(
    ("sentence", "kinds"),
    [
        # The share as the subject of what happens to patients is a rate.
        ("About half go on to reach full remission after six infusions.", ["efficacy_rate"]),
        # Half of something else is no rate of patients.
        ("We give half the usual dose to older patients.", []),
    ],
)
def test_a_share_as_the_subject_is_a_rate(rules: Rules, sentence: str, kinds: list[str]) -> None:
    from ketlit.claims.extract import extract_claims

    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    got = [c.kind for c in extract_claims(page, rules) if c.text == sentence and c.kind == "efficacy_rate"]
    assert got == kinds


def test_feeling_well_again_for_good_is_a_permanent_duration(rules: Rules) -> None:
    from ketlit.claims.extract import extract_claims

    sentence = "One course of infusions is enough for most people to feel normal again for good."
    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    got = [c.threshold for c in extract_claims(page, rules) if c.text == sentence and c.kind == "duration"]
    assert got and got[0] is not None and got[0].value == 365.0, got


def test_off_label_words_do_not_undo_an_approval_the_sentence_claims(rules: Rules) -> None:
    page = "Ketamine treatment at our clinic.\n\nWe offer ketamine infusions."
    sentence = "Doctors may prescribe ketamine off label, and the FDA has approved it as a treatment for depression."
    verdict, reasons = _regulatory(page, sentence, rules)
    assert verdict != "supported", reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # "Depression" for the depression the product is approved in: the benefit is established there.
        ("Esketamine nasal spray relieves depression.", "supported"),
        # The broad use named as a use of its own beside the approved one: only partly.
        (
            "Esketamine nasal spray treats treatment-resistant depression as well as depression in general.",
            "partly_supported",
        ),
    ],
)
def test_an_approval_for_a_narrower_use_establishes_the_benefit_within_it(
    rules: Rules, sentence: str, verdict: str
) -> None:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    page = "Spravato at our clinic.\n\nWe offer esketamine nasal spray.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy" and c.text == sentence)
    assert judge(claim, [], rules).verdict == verdict


def test_a_placebo_controlled_design_names_no_other_treatment(rules: Rules) -> None:
    got = reading("In one placebo-controlled trial, 70% of patients responded within a day of one infusion.", rules)
    assert got["checkable"] and "efficacy_rate" in got["kinds"], got


def test_breathing_said_to_be_kept_is_a_claim_about_respiratory_harm(rules: Rules) -> None:
    sentence = "During sedation ketamine lets patients keep breathing on their own."
    got = reading(sentence, rules)
    assert "safety" in got["kinds"], got
    assert _safety(sentence, rules).safety_stance == "denial"


@pytest.mark.parametrize(
    "sentence",
    [
        "Lithium boosts ketamine's antidepressant effect in treatment-resistant depression.",
        "Pairing ketamine with talk therapy may help the benefits last longer for treatment-resistant depression.",
        "The dreamy experience during an infusion predicts how much treatment-resistant depression improves.",
    ],
)
def test_a_claim_about_what_changes_the_effect_is_not_decided_by_trials_of_the_drug(
    rules: Rules, sentence: str
) -> None:
    verdict, reasons = _fixture_verdict(sentence, rules)
    assert verdict == "insufficient_evidence", reasons
    assert "what changes the drug's effect" in reasons[0], reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "Given under supervision, neither ketamine spray nor ketamine infusions are addictive.",
        "Clinic-grade ketamine carries none of the bladder problems seen with street use.",
        "Ketamine lozenges are completely free of the side effects of injections.",
        "Ketamine sessions are safe for everyone, including people with high blood pressure.",
    ],
)
def test_more_ways_of_denying_a_harm(rules: Rules, sentence: str) -> None:
    assert _safety(sentence, rules).safety_stance == "denial"


def test_effects_that_pass_bear_out_only_a_sentence_that_says_they_are_mild_or_pass(rules: Rules) -> None:
    from ketlit.claims.evidence import records_from_dicts
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    index = InMemoryIndex(records_from_dicts([_passing_record("92000001", 40), _passing_record("92000002", 60)]), rules)
    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n"
    for sentence, supported in (
        ("Dizziness is mild and passes within an hour of the infusion.", True),
        # How often, not how brief: the reports of dizziness that passes do not bear out "rare".
        ("Dizziness with ketamine infusions is rare.", False),
    ):
        claims = [c for c in extract_claims(page + sentence, rules) if c.kind == "safety" and c.text == sentence]
        assert claims, sentence
        verdict = judge(claims[0], index.candidates(claims[0]), rules).verdict
        assert (verdict == "supported") is supported, (sentence, verdict)


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # Side effects named just before: their fading is how brief they are.
        ("These effects generally fade within two hours of the infusion.", "safety"),
        # The benefit fading is how long it lasts.
        ("The antidepressant effect fades within two weeks for most patients.", "duration"),
    ],
)
def test_side_effects_that_fade_are_transient_not_a_duration(rules: Rules, sentence: str, kind: str) -> None:
    from ketlit.claims.extract import extract_claims

    page = (
        "Our clinic offers intravenous ketamine infusions for bipolar depression.\n\n"
        "During the infusion some people feel dizzy or detached.\n\n" + sentence
    )
    assert [c.kind for c in extract_claims(page, rules) if c.text == sentence] == [kind]
