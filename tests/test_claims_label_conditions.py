"""Regulatory sentences about a product's conditions of use (stop 46): the restriction a REMS sets, stated by its
effect ("only in a certified treatment center", "never dispensed for use at home"), the medicine it is taken with
("always taken together with an oral antidepressant"), a use the regulator added, and the clinic's routine given as
the regulator's requirement. Each is pinned both ways: what becomes a regulatory claim, and what stays procedure,
advice or praise.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.rules import Rules, load_rules
from ketlit.errors import ConfigError
from tests.claims_pages import IV_PAGE, NEUTRAL_PAGE, SPRAVATO_PAGE, check_kind, cited

check = check_kind


def _kinds(sentence: str, rules: Rules, page: str = SPRAVATO_PAGE) -> list[str]:
    """The kinds of checkable claim read from ``sentence`` (a sentence listed as not checkable has none)."""
    return [c.kind for c in extract_claims(page + sentence, rules) if sentence[:25] in c.text and c.checkable]


_REMS_SENTENCES = [
    "Spravato can only be given in a certified treatment center, where you stay for two hours after each dose.",
    "Spravato is only available at certified treatment centers.",
    "Spravato is never dispensed for use at home.",
    "Esketamine is not sold for home use.",
    # The regulator's own words for the programme.
    "Because of the risks of sedation and dissociation, Spravato is available only through a restricted program: "
    "every dose is self-administered under direct observation.",
]
_LABEL_SCHEDULES = [
    "Treatment usually starts with two sessions a week for four weeks, then weekly sessions in weeks 5 to 8.",
    "Most people have treatment twice a week for the first four weeks, then once a week.",
    "During weeks 1 to 4, doses are given twice a week; during weeks 5 to 8, once a week.",
]


@pytest.mark.parametrize(
    ("sentence", "kind", "fact"),
    [
        # The restriction a REMS sets, stated by its effect.
        *((s, "regulatory", "spravato_rems") for s in _REMS_SENTENCES),
        # The label's dosing schedule in the page's words.
        *((s, "dosing", "spravato_label_dose") for s in _LABEL_SCHEDULES),
    ],
)
def test_a_condition_of_use_stated_in_the_pages_words_is_supported_by_its_fact(
    sentence: str, kind: str, fact: str, index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check(sentence, kind, index, rules, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons
    assert fact in cited(v)


@pytest.mark.parametrize(
    "sentence",
    [
        # The clinic's own setting and routine, with no rule stated.
        "Our certified treatment centre offers a warm, welcoming environment.",
        "You must stay in the office for at least 2 hours after each dose, until our staff decides you can leave.",
        # Advice about home use is not the restriction.
        "Compounded ketamine should not be taken at home without supervision.",
        "Ketamine lozenges can be taken at home.",
    ],
)
def test_the_clinics_setting_and_advice_about_home_use_are_no_regulatory_claim(sentence: str, rules: Rules) -> None:
    assert "regulatory" not in _kinds(sentence, rules), sentence


def test_a_routine_given_as_the_regulators_requirement_is_checked(index: InMemoryIndex, rules: Rules) -> None:
    sentence = "Patients stay in our office for at least two hours after each dose, as the FDA's REMS program requires."
    _, v = check(sentence, "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons
    # Without the requirement it stays the clinic's own routine.
    assert not _kinds("Patients stay in our office for at least two hours after each dose.", rules)


@pytest.mark.parametrize(
    "sentence",
    [
        "Spravato is always taken together with an oral antidepressant tablet.",
        "It is used together with an antidepressant tablet (an SSRI or SNRI), not on its own.",
    ],
)
def test_always_taken_with_an_antidepressant_is_partly_supported_since_a_use_alone_was_approved(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check(sentence, "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "partly_supported", v.reasons
    assert {"spravato_trd_2019", "spravato_monotherapy_2025"} <= cited(v)
    # With every approval on file for use with an antidepressant, the same sentence is supported.
    paired = replace(rules, facts=tuple(replace(f, alone=False) if f.alone else f for f in rules.facts))
    _, v = check(sentence, "regulatory", index, paired, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons


def test_an_approval_naming_the_combination_is_judged_as_the_approval(index: InMemoryIndex, rules: Rules) -> None:
    sentence = (
        "Spravato was approved by the FDA in 2019 for adults with treatment-resistant depression, used together with "
        "an oral antidepressant."
    )
    _, v = check(sentence, "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons


def test_an_added_use_is_an_approval_of_that_use(index: InMemoryIndex, rules: Rules) -> None:
    page = SPRAVATO_PAGE + "Spravato was approved in 2019 for treatment-resistant depression. "
    sentence = (
        "In 2020 the FDA added a second use: depressive symptoms in adults with major depressive disorder who have "
        "acute suicidal thoughts or behavior."
    )
    _, v = check(sentence, "regulatory", index, rules, page)
    assert v.verdict == "supported", v.reasons
    assert "spravato_mdsi_2020" in cited(v)
    # A use the regulator did not add is not borne out.
    _, v = check("In 2021 the FDA added a second use: chronic pain.", "regulatory", index, rules, page)
    assert v.verdict != "supported", v.reasons


def test_a_label_before_a_colon_is_a_few_words_not_a_clause(rules: Rules) -> None:
    # A bullet's label still gives way to the sentence after it.
    assert _kinds("Fibromyalgia: infusions may ease widespread pain for weeks.", rules, IV_PAGE)


def test_alone_belongs_to_approvals_only(tmp_path: Path) -> None:
    path = tmp_path / "facts.toml"
    path.write_text(
        '[[fact]]\nid = "x_rems"\nkind = "rems"\nmolecule = ["esketamine"]\nstatement = "s"\nalone = true\n'
        '[[fact.source]]\nurl = "https://example.org"\ntitle = "t"\npublisher = "p"\npublished = "2020"\n'
    )
    with pytest.raises(ConfigError, match="only an approval"):
        load_rules(user_regulatory=path)


# ------------------------------------------------------------------ compounded products; a condition defined


def test_a_compounded_products_approval_is_answered_by_the_regulator_on_compounding(
    index: InMemoryIndex, rules: Rules
) -> None:
    sentence = "Compounded ketamine products are not approved by the FDA."
    _, v = check(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "supported", v.reasons
    assert "fda_compounded_ketamine_2023" in cited(v)
    _, v = check("Compounded ketamine lozenges are FDA-approved for depression.", "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons
    # The drug's own approval, with compounding denied, is still judged on the drug's approvals.
    _, v = check("We use only FDA-approved ketamine, never compounded products.", "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "supported", v.reasons
    assert "ketalar_approval" in cited(v)


def test_a_depression_defined_as_resistant_beside_trd_is_trd(rules: Rules) -> None:
    from ketlit.claims.context import indications_in

    defined = (
        "Spravato was approved for adults with treatment-resistant depression, meaning depression that has not "
        "improved after trying at least two antidepressants."
    )
    assert indications_in(defined, rules) == ["treatment_resistant_depression"]
    # Depression named as a use of its own stays one.
    both = "Ketamine can help depression, and treatment-resistant depression that has not improved with medication."
    assert set(indications_in(both, rules)) == {"depression", "treatment_resistant_depression"}


# ------------------------------------------------------------------ denials and comparisons (stop 46)


def test_none_of_them_is_addictive_is_a_denial(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("None of these three medicines is addictive.", "safety", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons
    # Said of a harm the drug carries, not denied: no denial.
    claim, _ = check("Some of these medicines are addictive.", "safety", index, rules, IV_PAGE)
    assert claim.safety_stance != "denial"


def test_an_absolute_denial_of_every_lasting_harm_is_not_borne_out_by_short_studies(
    index: InMemoryIndex, rules: Rules
) -> None:
    # Contradicted where a counted study reports a lasting harm (as in the fixture index), never partly supported.
    sentence = "Unlike antidepressant tablets, ketamine has no long-term side effects."
    _, v = check(sentence, "safety", index, rules, IV_PAGE)
    assert v.verdict in ("insufficient_evidence", "contradicted"), v.reasons
    # With no study reporting any harm but studies seeing none or only passing effects: not borne out either.
    from ketlit.claims.numbers import AdverseFinding
    from ketlit.claims.safety_verdict import _denial_or_minimising

    none_seen = AdverseFinding("cognition", None, False, False, True, False, "No memory problems occurred.", (0, 1))
    reports: Any = [
        (SimpleNamespace(record=EvidenceRecord("pubmed", str(i), "t"), design="rct", direct=True), none_seen)
        for i in range(3)
    ]
    judged = _denial_or_minimising("denial", set(), [], reports, rules, lasting=True, absolute=True)
    assert judged.verdict == "insufficient_evidence", judged.reasons
    # Not absolute, or a harm named ("does not cause memory loss"): the studies that saw none bear it out in part.
    judged = _denial_or_minimising("denial", set(), [], reports, rules, lasting=True, absolute=False)
    assert judged.verdict == "partly_supported", judged.reasons


def test_more_effectively_than_a_benzodiazepine_needs_a_head_to_head_trial(
    index: InMemoryIndex, rules: Rules
) -> None:
    sentence = "Ketamine works more effectively than benzodiazepines like Xanax for anxiety."
    _, v = check(sentence, "efficacy", index, rules, IV_PAGE)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("head to head" in r for r in v.reasons), v.reasons
    # Midazolam, the active placebo of the drug's own trials, names no benzodiazepine treatment compared.
    assert "benzodiazepines" in rules.comparators
    assert not rules.comparators["benzodiazepines"].any("compared with midazolam")


# ------------------------------------------------------------------ one study reported without a size or year


def test_one_study_reported_without_size_or_year_is_any_counted_study_of_its_kind(
    index: InMemoryIndex, rules: Rules
) -> None:
    sentence = "In a landmark trial, a single ketamine infusion eased depression within 24 hours."
    for kind in ("efficacy", "onset"):
        _, v = check(sentence, kind, index, rules, IV_PAGE)
        assert v.verdict == "supported", v.reasons
        assert any("no size or year given" in r for r in v.reasons), v.reasons
    # Nothing counted for the condition: no study of that kind bears it out.
    _, v = check("In one trial, ketamine relieved fibromyalgia pain.", "efficacy", index, rules, IV_PAGE)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_a_size_or_year_given_still_has_to_match_a_record(rules: Rules) -> None:
    from ketlit.claims.cited_study import names_no_detail

    claims = extract_claims(IV_PAGE + "A 2014 trial of 41 veterans found that ketamine eased PTSD within a day.", rules)
    assert claims and not any(names_no_detail(c) for c in claims if c.checkable)
    claims = extract_claims(IV_PAGE + "In a landmark trial, ketamine eased PTSD within a day.", rules)
    assert any(names_no_detail(c) for c in claims if c.checkable)


def test_an_approval_denied_for_that_use_is_the_use_the_sentence_named(index: InMemoryIndex, rules: Rules) -> None:
    sentence = (
        "Ketamine is legal for licensed physicians to prescribe off-label for depression, even though the FDA has not "
        "approved it for that use."
    )
    claim, v = check(sentence, "regulatory", index, rules, IV_PAGE)
    assert claim.regulatory is not None and claim.regulatory.approval_indications == ("depression",)
    assert v.verdict == "supported", v.reasons
    # Without a use to refer back to, the denial is of any approval, which the anaesthetic's contradicts.
    _, v = check("Ketamine is not FDA-approved for that use.", "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == "contradicted", v.reasons


# ------------------------------------------------------------------ legality, prescriptions, other countries


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # Treatment on a prescription is lawful where the drug is scheduled: denying it is wrong.
        ("Ketamine therapy for depression is not legally available in the United States.", "contradicted"),
        ("Recreational ketamine use is not legal.", "supported"),
        ("Ketamine is legal, and no prescription is needed.", "contradicted"),
        ("Ketamine is only legal with a prescription.", "supported"),
        ("Ketamine is a legal medication when prescribed by a licensed doctor.", "supported"),
    ],
)
def test_legality_is_judged_on_the_schedule_that_needs_a_prescription(
    sentence: str, verdict: str, index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == verdict, v.reasons


def test_another_countrys_law_is_not_judged_by_us_facts(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine is completely legal in Mexico, and no prescription is needed.", "regulatory", index, rules,
                 IV_PAGE)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("MX" in r for r in v.reasons), v.reasons


def test_a_use_the_agency_recognizes_is_an_approval_claim(index: InMemoryIndex, rules: Rules) -> None:
    sentence = "Alongside sertraline, ketamine is now one of the medications the FDA recognizes for treating PTSD."
    _, v = check(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons
    # The use an approval names is no efficacy claim of its own.
    assert "efficacy" not in [c.kind for c in extract_claims(IV_PAGE + sentence, rules) if sentence[:25] in c.text]


# ------------------------------------------------------------------ a claim given as the reason for a step


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Ketamine is a Schedule III controlled substance, so every dose is given here in the clinic.", "regulatory"),
        ("Our nurses monitor heart rate and blood pressure because ketamine temporarily raises both.", "safety"),
        ("Liver problems have been reported after repeated ketamine infusions, so we check liver tests.", "safety"),
    ],
)
def test_a_claim_given_as_the_reason_for_the_clinics_step_is_checked(sentence: str, kind: str, rules: Rules) -> None:
    assert kind in _kinds(sentence, rules, IV_PAGE)


def test_the_clinics_step_alone_stays_procedure(rules: Rules) -> None:
    assert not _kinds("Our nurses monitor heart rate and blood pressure throughout each session.", rules, IV_PAGE)
    assert not _kinds("We check liver tests before every booster series.", rules, IV_PAGE)


def test_another_treatment_named_after_the_regulatory_words_is_not_the_subject(rules: Rules) -> None:
    assert "regulatory" in _kinds("Our lozenges are FDA-approved for use alongside psychotherapy.", rules, IV_PAGE)
    # Named before them, it is the subject.
    assert not _kinds("TMS is FDA-approved for depression.", rules, IV_PAGE)


# ------------------------------------------------------------------ routes of another medicine; one trial's figures


def test_an_oral_antidepressant_is_not_the_drugs_route(rules: Rules) -> None:
    oral = rules.routes["oral"]
    assert not oral.any("for use together with an oral antidepressant")
    assert not oral.any("taken with an antidepressant tablet")
    assert oral.any("oral ketamine") and oral.any("ketamine tablets")


def test_at_least_as_effective_is_borne_out_by_a_trial_finding_the_drug_ahead() -> None:
    from ketlit.claims.verdict import _AT_LEAST

    assert _AT_LEAST.search("ketamine was at least as effective as ECT")
    assert not _AT_LEAST.search("ketamine was as effective as ECT")


def test_a_rate_from_one_trial_matches_a_secondary_report_giving_both_arms(rules: Rules) -> None:
    from ketlit.claims.numbers import RateFinding
    from ketlit.claims.rates import _COMPARATOR_FIGURE, _details

    sentence = "In the pivotal acute study, MADRS response (63.4% vs. 49.5%) at 4 weeks favoured esketamine."
    drug = RateFinding("response", None, None, 63.4, "unknown", None, sentence, (0, 1))
    other = RateFinding("remission", None, None, 49.5, "unknown", None, sentence, (0, 1))
    record = EvidenceRecord("pubmed", "1", "t", sentence)
    a: Any = SimpleNamespace(record=record, findings=SimpleNamespace(rates=[drug, other]))
    claim = extract_claims(SPRAVATO_PAGE + "In the main trial, 63% responded, compared with 50% on placebo.", rules)[-1]
    thr: Any = SimpleNamespace(value=63.0)
    policy: Any = SimpleNamespace(number_match_points=1.5)
    assert _COMPARATOR_FIGURE in _details(a, claim, thr, policy, drug)
    assert _COMPARATOR_FIGURE not in _details(a, claim, thr, policy, None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("typically half a milligram per kilogram given over 40 minutes", 0.5),
        ("half a milligram of ketamine per kilogram of body weight", 0.5),
        ("one milligram per kilogram", 1.0),
    ],
)
def test_a_weight_based_dose_in_words_is_read_as_mg_per_kg(text: str, value: float, rules: Rules) -> None:
    from ketlit.claims.relative_dose import stated_dose

    dose = stated_dose(text)
    assert dose is not None and (dose.low, dose.high, dose.unit) == (value, value, "mg/kg")
    sentence = f"Each infusion is dosed by body weight, {text}."
    assert "dosing" in _kinds(sentence, rules, IV_PAGE)


def test_a_figure_still_wins_over_words() -> None:
    from ketlit.claims.relative_dose import stated_dose

    dose = stated_dose("0.5 mg/kg, or half a milligram per kilogram")
    assert dose is not None and dose.low == 0.5
    assert stated_dose("half of patients respond within a day") is None


def test_a_clinic_calling_itself_a_rems_centre_makes_no_claim(rules: Rules) -> None:
    assert not _kinds("Our office is a certified Spravato REMS treatment center.", rules)


def test_obsessions_and_compulsions_name_ocd(rules: Rules) -> None:
    from ketlit.claims.context import indications_in

    assert "ocd" in indications_in("Ketamine can quiet intrusive, obsessive thoughts within hours.", rules)
    assert "ocd" in indications_in("It eases compulsions such as checking.", rules)
    assert "ocd" not in indications_in("obsessive-compulsive personality traits", rules)


def test_a_trial_named_with_commas_in_its_description_is_an_attribution(rules: Rules) -> None:
    sentence = "In the first randomized, placebo-controlled trial of ketamine for OCD, half of the patients responded."
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.checkable]
    assert claims and all(c.strength == "attributed" for c in claims)


def test_one_trial_told_only_by_its_figure_must_be_the_only_trial_reporting_it(
    index: InMemoryIndex, rules: Rules
) -> None:
    from ketlit.claims.judging import assess_all
    from ketlit.claims.policy import packaged_policy
    from ketlit.claims.rates import _cited_trial

    def cited_trial(figure: int) -> Any:
        sentence = f"In one placebo-controlled trial, {figure}% of patients responded within a day."
        claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "efficacy_rate")
        assert claim.threshold is not None
        counted = [a for a in assess_all(claim, index.candidates(claim), rules, {}, None) if a.counted]
        return _cited_trial(claim, claim.threshold, counted, rules, packaged_policy(), [])

    # One counted trial of the fixture reports 40% for the drug's arm: it is the trial described.
    found = cited_trial(40)
    assert found is not None and found.verdict == "supported", found
    assert any("gives no size or year" in r for r in found.reasons)
    # Four report 60%: the page's trial could be any of them, so this rule does not decide.
    assert cited_trial(60) is None


def test_another_schedule_is_not_the_labels(rules: Rules) -> None:
    from ketlit.claims.extract import label_schedule

    assert not label_schedule("Most patients have six infusions over two to three weeks.", rules)
    assert not label_schedule("Infusions are given twice a week for three weeks.", rules)


def test_treatment_that_causes_a_harm_is_the_pages_treatment(rules: Rules) -> None:
    from ketlit.claims.assertion import checkability_cue

    assert not checkability_cue("generic_subject", "Treatment may cause temporary dissociation and nausea.", rules)
    # Treatment in general, or another medicine's harm, stays general.
    assert checkability_cue("generic_subject", "Treatment usually takes four to six weeks to start working.", rules)
    assert checkability_cue("generic_subject", "Antidepressants can cause weight gain.", rules)
    assert checkability_cue("generic_subject", "Treatment can cause weight gain and sexual side effects.", rules)


def test_a_claim_said_not_to_be_backed_by_research_is_a_denial(index: InMemoryIndex, rules: Rules) -> None:
    sentence = "Claims that ketamine cures depression for good are not backed by the research."
    _, v = check(sentence, "efficacy", index, rules, IV_PAGE)
    assert v.verdict == "supported", v.reasons
    assert any("denies that the benefit has been shown" in r for r in v.reasons), v.reasons
    # Said to be backed by it, the cure is claimed and misleading.
    _, v = check("Ketamine cures depression for good, as research confirms.", "efficacy", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons
