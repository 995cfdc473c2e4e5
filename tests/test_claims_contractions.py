"""Paraphrases read as what they paraphrase: "isn’t addictive" as "is not addictive", "Seventy percent" as "70%".

A fuzzing pass found "Ketamine isn’t addictive." read as the harm asserted and "supported": the stance and negation
rules are written with "not" and an ASCII hyphen. Each case is pinned both ways: the contracted form reads as the
spelled-out one, and a sentence that asserts the harm stays an assertion. The claim's text stays the page's own.
"""

from __future__ import annotations

import pytest

from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.relative_dose import stated_dose
from ketlit.claims.rules import Rules
from ketlit.claims.text import spelled_out
from tests.claims_pages import IV_PAGE, check_kind


def _first(sentence: str, kind: str, rules: Rules) -> Claim:
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == kind and sentence[:20] in c.text]
    assert claims, [(c.kind, c.text) for c in extract_claims(IV_PAGE + sentence, rules)]
    return claims[0]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Ketamine isn’t addictive.", "Ketamine is not addictive."),
        ("They aren't habit-forming", "They are not habit-forming"),
        ("It doesn't, and it won't", "It does not, and it will not"),
        ("Won't hurt; can't harm", "Will not hurt; cannot harm"),
        ("non‑addictive", "non-addictive"),  # U+2011, the non-breaking hyphen
        # "there's", "it's" are "is"; a possessive keeps its apostrophe (folded to ASCII); words ending in "n" are no
        # negations.
        ("the patient’s dose; it's safe; there’s none", "the patient's dose; it is safe; there is none"),
        ("Don and Dawn didn't", "Don and Dawn did not"),
    ],
)
def test_negations_are_spelled_out_for_matching(text: str, want: str) -> None:
    assert spelled_out(text) == want


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine isn’t addictive.",
        "Ketamine isn't habit-forming.",
        "Ketamine infusions aren’t addictive.",
        "Ketamine is not at all addictive.",
        "Ketamine is not physically or psychologically addictive.",
        "Ketamine is not considered addictive.",
        "Ketamine is not known to be addictive.",
        "Ketamine won't make you addicted.",
        "Ketamine has zero addiction potential.",
        "Ketamine is non‑addictive.",
    ],
)
def test_a_contracted_or_reworded_denial_of_addiction_is_a_denial(sentence: str, rules: Rules) -> None:
    claim = _first(sentence, "safety", rules)
    assert claim.safety_stance == "denial", claim
    assert claim.text.startswith(sentence[:-1])  # the page's words, curly apostrophe and all


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine is addictive.", "Ketamine can be addictive.", "Ketamine is not as addictive as opioids."],
)
def test_an_asserted_or_compared_harm_is_no_denial(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance != "denial"


@pytest.mark.parametrize(
    ("contracted", "spelled"),
    [
        ("Ketamine isn’t addictive.", "Ketamine is not addictive."),
        ("IV ketamine isn’t FDA-approved for depression.", "IV ketamine is not FDA-approved for depression."),
        ("Ketamine isn't approved by the FDA for depression.", "Ketamine is not approved by the FDA for depression."),
    ],
)
def test_a_contraction_gets_the_verdict_of_its_spelled_out_sentence(
    contracted: str, spelled: str, index: InMemoryIndex, rules: Rules
) -> None:
    kind = "safety" if "addictive" in spelled else "regulatory"
    claim, verdict = check_kind(contracted, kind, index, rules, IV_PAGE)
    _, want = check_kind(spelled, kind, index, rules, IV_PAGE)
    assert (verdict.verdict, verdict.certainty) == (want.verdict, want.certainty), verdict.reasons
    if kind == "regulatory":
        assert claim.regulatory is not None and claim.regulatory.negated


# ------------------------------------------------------------------ paraphrases (a metamorphic test pass, stop 48)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine causes no hallucinations.",
        "Psychosis does not occur with ketamine.",
        "You can't get addicted to ketamine.",
        "Patients do not become dependent on ketamine.",
        "There's no nausea with ketamine.",
        "There is no potential for abuse with ketamine.",
        "Ketamine has no effect on blood pressure.",
        "Blood pressure is not affected by ketamine.",
        "Ketamine doesn't affect your blood pressure.",
        "Ketamine is not a drug of abuse.",
    ],
)
def test_everyday_denials_of_a_harm_are_denials(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance == "denial"


@pytest.mark.parametrize(
    "sentence",
    [
        "The risk of addiction with ketamine is low.",
        "Ketamine carries a low addiction risk.",
        "Ketamine is unlikely to be addictive.",
    ],
)
def test_a_risk_said_to_be_small_is_minimising(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance == "minimising"


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine raises blood pressure.",
        "Ketamine can cause hallucinations.",
        "Ketamine has an effect on blood pressure.",
        "There is a rise in blood pressure during the infusion.",
    ],
)
def test_a_harm_stated_is_no_denial(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance not in ("denial", "minimising")


@pytest.mark.parametrize(
    ("words", "digits"),
    [
        ("Seventy percent of patients respond to ketamine.", "70% of patients respond to ketamine."),
        ("Ninety per cent of patients respond to ketamine.", "90% of patients respond to ketamine."),
        ("Sixty-five percent of patients respond to ketamine.", "65% of patients respond to ketamine."),
    ],
)
def test_a_percentage_in_words_is_the_rate_its_digits_are(
    words: str, digits: str, index: InMemoryIndex, rules: Rules
) -> None:
    claim, verdict = check_kind(words, "efficacy_rate", index, rules, IV_PAGE)
    want_claim, want = check_kind(digits, "efficacy_rate", index, rules, IV_PAGE)
    assert claim.threshold == want_claim.threshold
    assert (verdict.verdict, verdict.certainty) == (want.verdict, want.certainty)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine has zero side effects.",
        "Ketamine is side-effect free.",
        "Ketamine doesn't have any side effects.",
        "Ketamine treatment is free from addiction risk.",
    ],
)
def test_no_side_effects_in_other_words_is_a_denial(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance == "denial"


@pytest.mark.parametrize(
    ("words", "hours"),
    [
        ("Ketamine relieves depression within two hours.", 2.0),
        ("Ketamine relieves depression within twenty-four hours.", 24.0),
        ("Ketamine relieves depression within a week.", 168.0),
    ],
)
def test_an_onset_in_words_is_an_onset_claim(words: str, hours: float, rules: Rules) -> None:
    claim = _first(words, "onset", rules)
    assert claim.threshold is not None and claim.threshold.value == hours


def test_within_words_that_are_no_time_make_no_onset(rules: Rules) -> None:
    sentence = "Ketamine relieves depression within a supportive setting."
    assert not [c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "onset"]


@pytest.mark.parametrize("sentence", ["Ketamine permanently relieves depression.", "Ketamine forever ends depression."])
def test_permanently_before_the_verb_is_absolute(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "efficacy", rules).strength == "absolute"


@pytest.mark.parametrize(
    ("sentence", "uses"),
    [
        ("The FDA has approved esketamine to treat PTSD.", ("ptsd",)),
        ("The FDA has approved esketamine for treatment-resistant depression.", ("treatment_resistant_depression",)),
    ],
)
def test_an_approval_with_has_names_its_use(sentence: str, uses: tuple[str, ...], rules: Rules) -> None:
    claim = _first(sentence, "regulatory", rules)
    assert claim.regulatory is not None and claim.regulatory.approval_indications == uses


@pytest.mark.parametrize(
    "sentence",
    ["Depression can be treated with ketamine.", "PTSD may be successfully managed with ketamine infusions."],
)
def test_a_condition_treated_with_the_drug_in_the_passive_is_an_efficacy_claim(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "efficacy", rules).checkable


def test_a_passive_treatment_sentence_without_the_drug_is_no_claim(rules: Rules) -> None:
    sentence = "Depression can be treated with antidepressants and therapy."
    assert not [c for c in extract_claims(IV_PAGE + sentence, rules) if c.checkable and sentence[:20] in c.text]


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Ketamine is not regulated as a controlled substance.", True),
        ("Ketamine lacks FDA approval for depression.", True),
        ("Ketamine is regulated as a controlled substance.", False),
    ],
)
def test_a_status_denied_in_other_words_is_negated(sentence: str, negated: bool, rules: Rules) -> None:
    claim = _first(sentence, "regulatory", rules)
    assert claim.regulatory is not None and claim.regulatory.negated is negated


def test_postnatal_depression_is_postpartum_depression(rules: Rules) -> None:
    assert "postpartum_depression" in _first("Ketamine helps postnatal depression.", "efficacy", rules).indication


@pytest.mark.parametrize(
    "sentence",
    [
        "We have treated more than 2,000 patients with ketamine.",
        "Our clinic has treated over 1,000 patients with ketamine since 2015.",
        "Mark says he felt better within hours of his first ketamine infusion.",
    ],
)
def test_the_clinics_own_count_and_a_named_patients_story_are_not_checked(sentence: str, rules: Rules) -> None:
    assert not [c for c in extract_claims(IV_PAGE + sentence, rules) if c.checkable and sentence[:20] in c.text]


def test_what_a_named_researcher_reports_of_studies_is_still_checked(rules: Rules) -> None:
    sentence = "Ketamine relieves depression within hours, as studies show."
    assert _first(sentence, "onset", rules).checkable


@pytest.mark.parametrize(
    ("sentence", "days"),
    [
        ("The effects of one ketamine infusion last months.", 60.0),
        ("Relief from ketamine lasts for years.", 365.0),
        ("Ketamine relief lasts weeks.", 14.0),
        ("Ketamine gives months of relief.", 60.0),
    ],
)
def test_a_duration_without_for_sets_the_threshold_for_does(sentence: str, days: float, rules: Rules) -> None:
    claim = _first(sentence, "duration", rules)
    assert claim.threshold is not None and (claim.threshold.value, claim.threshold.unit) == (days, "days")


@pytest.mark.parametrize("sentence", ["Ketamine works for everyone.", "Ketamine works for all patients."])
def test_a_benefit_for_everyone_names_no_condition_of_its_own(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    # "for everyone" is whom the benefit is promised to, not a condition the rules cannot read: judged (an absolute
    # claim), not set aside as naming an unknown target.
    _, verdict = check_kind(sentence, "efficacy", index, rules, IV_PAGE)
    assert verdict.verdict == "contradicted", verdict.reasons


def test_a_condition_the_vocabulary_lacks_is_still_its_own_target(index: InMemoryIndex, rules: Rules) -> None:
    _, verdict = check_kind("Ketamine is effective for tinnitus.", "efficacy", index, rules, IV_PAGE)
    assert verdict.verdict == "insufficient_evidence"


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine works for almost everyone.",
        "Ketamine works for nearly all patients.",
        "Ketamine helps virtually everyone.",
        "Ketamine helps everyone.",
    ],
)
def test_a_benefit_for_almost_everyone_names_no_condition_either(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    # "almost everyone" is still whom the benefit is promised to (stop 48 left it read as an unknown target).
    _, verdict = check_kind(sentence, "efficacy", index, rules, IV_PAGE)
    assert verdict.verdict != "insufficient_evidence", verdict.reasons


@pytest.mark.parametrize(
    ("sentence", "level"),
    [
        ("Ketamine helps almost everyone with treatment-resistant depression.", "intensified"),
        ("Ketamine works for nearly all patients with treatment-resistant depression.", "intensified"),
        ("Ketamine helps all patients with treatment-resistant depression.", "absolute"),
        ("Ketamine helps everyone with treatment-resistant depression.", "absolute"),
        ("Ketamine helps patients with treatment-resistant depression.", "plain"),
    ],
)
def test_a_benefit_for_nearly_all_is_intensified_and_for_all_absolute(sentence: str, level: str, rules: Rules) -> None:
    assert _first(sentence, "efficacy", rules).strength == level


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine infusions relieve CRPS pain.", "Ketamine infusions relieve complex regional pain syndrome."],
)
def test_crps_by_its_acronym_and_its_full_name_is_one_condition(sentence: str, rules: Rules) -> None:
    # "complex regional pain syndrome" was also read as chronic pain ("pain syndrome"), the acronym was not, so the
    # two wordings were judged on different evidence and got different verdicts.
    assert set(_first(sentence, "efficacy", rules).indication) == {"crps", "chronic_pain"}


@pytest.mark.parametrize(
    "sentence", ["Ketamine infusions relieve migraine pain.", "Ketamine infusions relieve migraines."]
)
def test_pain_inside_a_conditions_name_is_no_second_condition(sentence: str, rules: Rules) -> None:
    # "pain" in "migraine pain" read as chronic pain too, so the claim was judged on chronic-pain trials.
    assert _first(sentence, "efficacy", rules).indication == ("migraine",)


def test_pain_beside_a_named_condition_is_still_read(rules: Rules) -> None:
    claim = _first("Ketamine infusions relieve migraines and other pain.", "efficacy", rules)
    assert set(claim.indication) == {"migraine", "chronic_pain"}


@pytest.mark.parametrize(
    "sentence",
    [
        "All patients with treatment-resistant depression respond to ketamine.",
        "Every patient with treatment-resistant depression responds to ketamine.",
        "Everyone with treatment-resistant depression responds to ketamine infusions.",
    ],
)
def test_every_patient_responding_is_absolute(sentence: str, rules: Rules) -> None:
    # Read as a plain claim and supported (a paraphrase test, stop 49).
    assert _first(sentence, "efficacy", rules).strength == "absolute"


@pytest.mark.parametrize(
    "sentence",
    [
        "Not all patients with treatment-resistant depression respond to ketamine.",
        "Every patient with treatment-resistant depression responds differently to ketamine.",
    ],
)
def test_not_every_patient_is_no_absolute_claim(sentence: str, rules: Rules) -> None:
    assert not [c for c in extract_claims(IV_PAGE + sentence, rules) if c.strength == "absolute"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is the best treatment for treatment-resistant depression.",
        "Nothing treats treatment-resistant depression better than ketamine.",
        "No other treatment works as well as ketamine for treatment-resistant depression.",
        "Ketamine is the most powerful antidepressant available.",
    ],
)
def test_a_ranking_over_every_other_treatment_is_an_intensified_efficacy_claim(sentence: str, rules: Rules) -> None:
    # Supported as plain claims, or (the antidepressant) no claim at all.
    assert _first(sentence, "efficacy", rules).strength == "intensified"


@pytest.mark.parametrize(
    ("sentence", "slug"),
    [
        ("Ketamine is a rapid-acting antidepressant that relieves symptoms.", "depression"),
        ("Ketamine relieves post traumatic stress disorder.", "ptsd"),
        ("Ketamine relieves depression after childbirth.", "postpartum_depression"),
    ],
)
def test_conditions_in_everyday_wordings(sentence: str, slug: str, rules: Rules) -> None:
    assert slug in _first(sentence, "efficacy", rules).indication


def test_other_antidepressants_name_no_condition_of_the_claim(rules: Rules) -> None:
    claims = extract_claims("Ketamine relieves chronic pain better than antidepressant medications.", rules)
    assert "depression" not in claims[0].indication


def test_a_compounded_nasal_spray_is_the_generic_drug_not_the_branded_one(rules: Rules) -> None:
    # "ketamine nasal spray" alone is read by route as the approved nasal product; a compounded one never is.
    claim = _first("Compounded ketamine nasal spray relieves depression.", "efficacy", rules)
    assert claim.molecule == ("racemic_ketamine",)


@pytest.mark.parametrize(
    "sentence",
    ["A single ketamine infusion relieves depression for weeks.", "Ketamine infusions ease pain for months at a time."],
)
def test_an_effect_verb_with_a_span_is_a_duration_claim(sentence: str, rules: Rules) -> None:
    # Only "it works" was tested; the span ("for weeks") was dropped.
    assert _first(sentence, "duration", rules).threshold is not None


def test_a_history_of_use_is_no_duration_claim(rules: Rules) -> None:
    claims = extract_claims(IV_PAGE + "Ketamine has relieved pain in hospitals for years.", rules)
    assert not [c for c in claims if c.kind == "duration"]


@pytest.mark.parametrize(
    "line", ["Response rate: 70%", "Response rate | 70%", "Remission rate: about 30%", "Success rate: 7 in 10 patients"]
)
def test_a_figure_under_its_label_is_a_rate_claim_not_a_heading(line: str, rules: Rules) -> None:
    claims = [c for c in extract_claims(IV_PAGE + line + "\n\nBook a consultation.", rules) if line[:12] in c.text]
    assert claims and claims[0].kind == "efficacy_rate" and claims[0].threshold is not None, claims


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Ketamine works immediately for treatment-resistant depression.", "partly_supported"),
        ("Ketamine provides immediate relief from treatment-resistant depression.", "partly_supported"),
    ],
)
def test_intensified_timing_wording_needs_the_certainty_intensified_efficacy_needs(
    sentence: str, expected: str, index: InMemoryIndex, rules: Rules
) -> None:
    # "works immediately" was supported where "immediate relief" was partly supported: the time judge did not apply
    # the intensified-wording rule the efficacy judge applies.
    claim, verdict = check_kind(sentence, "onset", index, rules, IV_PAGE)
    assert claim.strength == "intensified"
    assert verdict.verdict in (expected, "insufficient_evidence"), verdict.reasons
    assert verdict.verdict != "supported"


ABOUT_PAGE = "# Ketamine Therapy\n\nKetamine is a medication used in anesthesia.\n\n"


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is not an addictive drug.",
        "The risk of becoming addicted to ketamine is very low.",
        "There is little risk of dependence with ketamine.",
        "Dependence on ketamine is unlikely.",
        "The risk of developing a dependence on ketamine is small.",
        "Spravato does not carry a risk of abuse or misuse.",
        "Bladder issues are not a concern with ketamine.",
        "Ketamine is not very addictive.",
    ],
)
def test_more_everyday_denials_and_minimisings_are_not_read_as_the_harm(sentence: str, rules: Rules) -> None:
    # Each was read as acknowledging the harm, so a documented harm "supported" the denial (a paraphrase test, stop 49).
    claim = _first(sentence, "safety", rules)
    assert claim.safety_stance in ("denial", "minimising"), claim.safety_stance


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine is not as addictive as opioids.", "Ketamine can cause dependence with frequent use."],
)
def test_comparisons_and_acknowledged_harms_are_no_denials(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance not in ("denial", "minimising")


@pytest.mark.parametrize(
    ("sentence", "use"),
    [
        ("The FDA has not approved ketamine to treat depression.", "depression"),
        ("Ketamine has not been approved to treat OCD.", "ocd"),
    ],
)
def test_a_denied_approval_keeps_its_use(sentence: str, use: str, rules: Rules) -> None:
    # Read as "not approved for anything", so the anaesthetic approval contradicted a true sentence.
    claim = _first(sentence, "regulatory", rules)
    assert claim.regulatory is not None and claim.regulatory.negated
    assert use in claim.regulatory.approval_indications


def test_a_label_warning_about_a_condition_is_no_efficacy_claim(rules: Rules) -> None:
    sentence = "Spravato carries a warning about suicidal thoughts and behaviors."
    claims = extract_claims(ABOUT_PAGE + sentence, rules)
    assert not [c for c in claims if c.kind == "efficacy" and c.checkable and c.text == sentence]


@pytest.mark.parametrize(
    ("text", "low", "unit"),
    [
        ("5 mg per kg", 5.0, "mg/kg"),
        ("0.5 milligrams per kilogram", 0.5, "mg/kg"),
        ("0.5 to 1 mg per kg", 0.5, "mg/kg"),
    ],
)
def test_a_dose_per_kilogram_in_words_is_mg_per_kg(text: str, low: float, unit: str) -> None:
    dose = stated_dose(text)
    assert dose is not None and (dose.low, dose.unit) == (low, unit)


@pytest.mark.parametrize("sentence", ["It isn’t habit-forming.", "It is non-addictive.", "It is FDA-approved."])
def test_a_three_word_denial_or_status_after_the_drug_is_a_claim(sentence: str, rules: Rules) -> None:
    claims = [c for c in extract_claims(ABOUT_PAGE + sentence, rules) if c.text == sentence]
    assert claims and claims[0].checkable, claims


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("Side effects disappear within two hours.", "transience"),
        ("Side effects are gone within two hours.", "transience"),
        ("Ketamine has very few side effects.", "minimising"),
        ("Most patients tolerate ketamine well.", "minimising"),
        ("Anyone can safely receive ketamine.", "denial"),
        ("Ketamine is safe for people of all ages and health conditions.", "denial"),
        ("Ketamine has no contraindications.", "denial"),
    ],
)
def test_side_effect_wordings_read_as_their_paraphrases_are(sentence: str, stance: str, rules: Rules) -> None:
    # Each got another verdict than its paraphrases (insufficient evidence, partly supported or no claim).
    assert _first(sentence, "safety", rules).safety_stance == stance


def test_nauseous_is_nausea(rules: Rules) -> None:
    assert "nausea" in _first("Ketamine can make you feel nauseous.", "safety", rules).safety_topics


@pytest.mark.parametrize(
    ("sentence", "route"),
    [
        ("Ketamine shots relieve depression.", "intramuscular"),
        ("IM ketamine relieves depression.", "intramuscular"),
    ],
)
def test_everyday_words_for_the_intramuscular_route(sentence: str, route: str, rules: Rules) -> None:
    assert route in _first(sentence, "efficacy", rules).route


def test_a_rapid_dissolve_tablet_is_a_form_not_an_onset(rules: Rules) -> None:
    claims = extract_claims(IV_PAGE + "Rapid dissolve tablets of ketamine relieve depression.", rules)
    assert not [c for c in claims if c.kind == "onset"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Compared with traditional antidepressants, ketamine is more effective.",
        "Ketamine is comparable to ECT for depression.",
        "Ketamine matches ECT for depression.",
    ],
)
def test_comparisons_in_other_word_orders_are_comparisons(sentence: str, rules: Rules) -> None:
    # Judged as plain "it works" claims (supported) where "more effective than" / "as effective as" were compared.
    claim = _first(sentence, "efficacy", rules)
    assert claim.comparator not in (None, "placebo or usual care (implied)"), claim.comparator


@pytest.mark.parametrize(
    "sentence",
    ["Depression is treatable with ketamine.", "Most people with depression get better with ketamine infusions."],
)
def test_more_everyday_efficacy_wordings_are_claims(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "efficacy", rules).checkable


def test_a_journey_to_healing_is_praise(rules: Rules) -> None:
    claims = extract_claims(ABOUT_PAGE + "Start your journey to healing with ketamine today.", rules)
    assert not [c for c in claims if c.checkable and "journey" in c.text]
