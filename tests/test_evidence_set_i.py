"""Wording families found by reading 90 real, unlabelled development records (set i,
``labels/evidence/single_i.jsonl``): an association whose outcome is a response "to" the drug, a denial joined to a
second result by "and", a treatment's effect made to last by what was added to it, Cohen's d and Hedges' g as the size
of a benefit, coefficients printed as a range, hypotheses and aims said among the results, and study questions read
from genes, double-blind designs and the use of the drug. Each rule is pinned in both directions where it could
overreach. Made-up text; in-repo data only."""

from __future__ import annotations

import pytest

from tests.evidence_probe import ask, read


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # A characteristic named before the drug is no arm: "response to ketamine" is what it is associated with.
        ("Prior ECT was associated with a greater response to ketamine.", ["increased"]),
        ("Higher midazolam exposure was associated with lower response to ketamine.", ["decreased"]),
        # The comparator set against the drug ("compared with", as "than"): two arms, the comparator the subject.
        ("ECT was associated with a greater reduction in depression severity than ketamine.", ["increased"]),
        ("ECT was associated with a greater reduction in depression severity compared with ketamine.", ["increased"]),
    ],
)
def test_an_association_is_not_turned_round_by_a_response_to_the_drug(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        ("Ketamine did not worsen cognition and reduced depressive symptoms.", ["no_difference", "decreased"]),
        ("Ketamine did not increase the incidence of hallucinations and decreased postoperative pain scores at 24 h "
         "(P < 0.05).", ["no_difference", "decreased"]),
        # A denial of two outcomes joined by "and" is one null.
        ("Ketamine did not change heart rate and blood pressure.", ["no_difference"]),
    ],
)
def test_a_denial_then_a_second_change_verb_is_two_results(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # An effect named is the symptoms' fall (the labels' convention): made to last, it fell more.
        ("Unexpectedly, pretreatment with rapamycin prolonged the antidepressant effects of ketamine.", "decreased"),
        ("Magnesium augmented the analgesic effect of ketamine.", "decreased"),
        ("Multiple ketamine treatments may provide a rapid antidepressant effect with prolonged benefit.", "decreased"),
        ("Naltrexone attenuated the antidepressant effect of ketamine.", "increased"),
        # A duration named is its own measure: longer.
        ("Ketamine prolonged the duration of analgesia.", "increased"),
        # Said not to, no difference.
        ("Rapamycin pretreatment failed in blocking the antidepressant effects of ketamine.", "no_difference"),
    ],
)
def test_an_effect_made_to_last_or_cut_short(sentence: str, want: str) -> None:
    assert read(sentence)[:1] == [want]


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # Cohen's d and Hedges' g printed for a symptom outcome are the size of its fall.
        ("The effect size for the drug difference was very large (d = 1.46 [95% confidence interval, 0.91-2.01]) "
         "after 24 hours.", "decreased"),
        ("The depressive symptoms improved with ketamine (Hedges g = 0.82, 95% CI 0.40-1.24).", "decreased"),
        # For a marker of the brain the sign is the marker's own.
        ("Gamma power rose after ketamine (d = 0.80, 95% CI 0.20-1.40).", "increased"),
    ],
)
def test_cohens_d_and_hedges_g_are_the_size_of_a_benefit(sentence: str, want: str) -> None:
    assert read(sentence)[:1] == [want]


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        ("At 230 min, correlations between changes in suicidal ideation and depression ranged from 0.23 to 0.44 "
         "(p < .05).", "increased"),
        ("Improvement in depression ratings correlated directly with change in metabolism in right superior and middle "
         "temporal gyri.", "increased"),
        ("Only the decrease in theta frequency at right frontal sites predicted the effect of ketamine on the Fear "
         "Questionnaire.", "increased"),
        # "superior" before a brain region in a list is anatomy; before a comparator it is a comparison.
        ("Ketamine was superior to placebo and midazolam.", "decreased"),
    ],
)
def test_correlations_and_predictors(sentence: str, want: str) -> None:
    assert read(sentence)[:1] == [want]


@pytest.mark.parametrize(
    "sentence",
    [
        "It was predicted that ketamine would disrupt access to semantic memory, as in schizophrenia.",
        "This study sought to replicate previous findings of increased gamma response in ketamine responders.",
        "Additional studies are required to investigate whether repeated infusions may also maintain antidepressant "
        "effects.",
    ],
)
def test_a_hypothesis_an_aim_or_research_called_for_is_no_finding(sentence: str) -> None:
    assert read(sentence) == []


@pytest.mark.parametrize(
    ("title", "methods", "designs", "want"),
    [
        ("Treatment response to low-dose ketamine infusion for treatment-resistant depression: a gene-based "
         "genome-wide association study", "Patients received a single ketamine infusion.", (),
         "predictor_or_secondary"),
        ("Repeated intravenous infusions of ketamine: neurocognition in patients with anxious and nonanxious "
         "treatment-resistant depression", "Patients received six ketamine infusions.", (), "predictor_or_secondary"),
        ("Chronic ketamine use increases serum levels of brain-derived neurotrophic factor",
         "Ketamine users and healthy controls were recruited from the community.", ("observational",), "observational"),
        ("The effects of subanesthetic ketamine infusions on craving in cocaine-dependent research volunteers",
         "Eight volunteers were entered into this crossover, double-blind trial. Three infusions were administered: "
         "ketamine or lorazepam.", (), "efficacy_vs_control"),
        ("Serial infusions of low-dose ketamine for major depression",
         "Ten depressed patients were treated with twice weekly ketamine infusions. Patients were followed "
         "naturalistically for four weeks after the infusions.", (), "single_arm_open_label"),
    ],
)
def test_questions(title: str, methods: str, designs: tuple[str, ...], want: str) -> None:
    assert ask(title, methods, designs) == want


@pytest.mark.parametrize(
    ("title", "methods", "designs", "want"),
    [
        # Brain measures the drug changes stay mechanism; a "prediction error" is a cognitive measure, not a predictor.
        ("Ketamine effects on prediction error signalling in healthy volunteers",
         "Healthy volunteers received ketamine and placebo.", (), "mechanism_or_biomarker"),
        # An open-label study is no double-blind trial, and records of naturalistic care stay observational.
        ("Ketamine for depression: a naturalistic retrospective study", "Charts of patients treated naturalistically "
         "with ketamine were reviewed.", ("observational",), "observational"),
    ],
)
def test_question_rules_do_not_overreach(title: str, methods: str, designs: tuple[str, ...], want: str) -> None:
    assert ask(title, methods, designs) == want


# Set j (``labels/evidence/single_j.jsonl``): 88 more real development records, labelled after set i's changes.


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # The share of patients who improved by a threshold is a response rate: a good outcome's rise.
        ("70% of participants experienced a 50% or greater reduction in depressive symptoms.", "increased"),
        # A responder definition said without commas is no outcome of its own.
        ("The majority (55/77, 71.4%) of patients were classified as acute responders defined as at least 2-point "
         "improvement in headache pain at discharge.", "increased"),
        # A change looked for and not found.
        ("Ketamine was not found to enhance improvement of depressive symptoms, either early in the course or at end "
         "of study.", "no_difference"),
        ("Ketamine was found to enhance improvement of depressive symptoms.", "decreased"),
    ],
)
def test_shares_definitions_and_changes_not_found(sentence: str, want: str) -> None:
    methods = "Seventy-seven patients received open-label ketamine infusions."
    assert read(sentence, methods)[:1] == [want]


@pytest.mark.parametrize(
    "sentence",
    [
        "This is the first trial to present dose-response data of ketamine efficacy in depressed subjects.",
        "If shown effective in other cases, ketamine would be a valuable addition to our armamentarium.",
        "Our review highlights the increasing interest in the use of ketamine in treatment-resistant depression.",
    ],
)
def test_novelty_conditions_and_interest_are_no_finding(sentence: str) -> None:
    assert read(sentence) == []


def test_the_first_trial_to_show_a_result_still_reports_it() -> None:
    assert read("This is the first randomized trial to demonstrate that ketamine reduced obsessions (p < 0.01).") == [
        "decreased"
    ]


@pytest.mark.parametrize(
    ("title", "want"),
    [
        ("A double-blind, randomized, placebo-controlled, dose-frequency study of intravenous ketamine",
         "dose_or_schedule"),
        ("Identification of an optimal dose of intravenous ketamine for late-life depression: a Bayesian adaptive "
         "randomization trial", "dose_or_schedule"),
        ("Ketamine and midazolam for invasive procedures in children: a comparison of routes of intravenous, oral, and "
         "rectal administration", "dose_or_schedule"),
        ("Longitudinal course of adverse events with esketamine nasal spray: a post hoc analysis of pooled data from "
         "phase 3 trials", "safety_only"),
        # A re-analysis of efficacy stays a secondary analysis.
        ("Efficacy and adverse events of esketamine nasal spray: a post hoc analysis of pooled data from phase 3 "
         "trials", "predictor_or_secondary"),
    ],
)
def test_questions_from_set_j(title: str, want: str) -> None:
    assert ask(title, "Patients received ketamine or placebo.", ("rct",)) == want
