"""Study-question rules (``[[question]]`` in the packaged evidence rules) and trial grouping.

Each rule is pinned in both directions with a small inline abstract: the words that must make it
fire, and nearby words that must not. Titles and sentences are made up; in-repo data only.
"""

from __future__ import annotations

import pytest

from ketlit.evidence.groups import corrected_title, group_records, trial_keys
from ketlit.evidence.questions import classify
from ketlit.evidence.roles import assign_roles
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection
from ketlit.store.profiles import GroupingInput

RULES = packaged_rules()


def ask(
    title: str,
    designs: tuple[str, ...] = (),
    *,
    objective: str | None = None,
    methods: str | None = None,
    text: str | None = None,
) -> str:
    """The question read for a record; ``text`` is an unstructured abstract."""
    sections = []
    if text is not None:
        sections.append(AbstractSection(None, None, text))
    if objective is not None:
        sections.append(AbstractSection("OBJECTIVE", "OBJECTIVE", objective))
    if methods is not None:
        sections.append(AbstractSection("METHODS", "METHODS", methods))
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    return classify(title, sentences, frozenset(designs), RULES.questions).value


RCT_PLACEBO = "Adults were randomized to ketamine or saline placebo in a double-blind design."


# ------------------------------------------------------------------ condition is not harm


def test_a_substance_use_disorder_treated_is_not_a_safety_question() -> None:
    q = ask(
        "Ketamine for the treatment of alcohol use disorder: a randomized midazolam-controlled trial",
        ("rct",),
        objective="To test whether a ketamine infusion improves abstinence in adults with alcohol dependence.",
        methods="Participants with alcohol dependence were randomized to ketamine or midazolam.",
    )
    assert q == "efficacy_vs_control"
    q = ask(
        "Effects of ketamine on motivation to quit in cocaine-dependent volunteers",
        objective="This investigation examined ketamine effects on motivation to quit in cocaine dependence.",
    )
    assert q != "safety_only"


@pytest.mark.parametrize(
    "title",
    [
        "Abuse liability of intranasal esketamine in recreational drug users",
        "Ketamine dependence in patients receiving repeated infusions for depression",
        "Misuse of ketamine prescribed for depression",
    ],
)
def test_abuse_of_the_drug_itself_is_a_safety_question(title: str) -> None:
    assert ask(title, ("non_randomized_trial",)) == "safety_only"


def test_safety_in_the_aim_needs_the_study_to_set_out_to_measure_it() -> None:
    # A background sentence about side effects is not the study's aim.
    q = ask(
        "Serial infusions of low-dose ketamine for major depression",
        text="Single infusions of ketamine improve depression. Side effects during the infusions have been common. "
        "Ten patients received six infusions over two weeks.",
    )
    assert q != "safety_only"
    q = ask(
        "Long-term treatment with esketamine in depression",
        ("non_randomized_trial",),
        objective="To assess the long-term safety and tolerability of esketamine nasal spray.",
    )
    assert q == "safety_only"
    # Measuring the treated condition too (craving, therapeutic effects) makes it more than a harm study.
    q = ask(
        "Ketamine-facilitated behavioral treatment for cannabis use disorder: a proof of concept study",
        ("non_randomized_trial",),
        objective="To test the feasibility, tolerability, and potential therapeutic effects of ketamine infusions.",
        methods="Eight participants received either one or two infusions of ketamine in this uncontrolled study.",
    )
    assert q == "single_arm_open_label"


def test_cognition_in_patients_is_harm_but_in_a_volunteer_model_it_is_mechanism() -> None:
    assert (
        ask("Neurocognitive effects of repeated ketamine infusions in treatment-resistant depression", ("rct",))
        == "safety_only"
    )
    assert (
        ask("Ketamine-induced cognitive deficits in healthy volunteers as a model of psychosis", ("rct",))
        == "mechanism_or_biomarker"
    )


# ------------------------------------------------------------------ mechanism and predictors before placebo


@pytest.mark.parametrize(
    "title",
    [
        "Effects of a subanaesthetic dose of ketamine on selective attention in healthy volunteers",
        "Attenuation of the antidepressant effects of ketamine by opioid receptor antagonism",
        "Ketamine effects on memory reconsolidation favour a learning model of delusions",
    ],
)
def test_volunteer_and_drug_model_titles_are_mechanism_even_with_a_placebo(title: str) -> None:
    assert ask(title, ("rct",), methods=RCT_PLACEBO) == "mechanism_or_biomarker"


def test_a_placebo_controlled_treatment_trial_stays_efficacy() -> None:
    q = ask("Ketamine for treatment-resistant depression: a randomized controlled trial", ("rct",), methods=RCT_PLACEBO)
    assert q == "efficacy_vs_control"


@pytest.mark.parametrize(
    "title",
    [
        "Sex differences in response to ketamine in treatment-resistant depression",
        "Efficacy of ketamine in anxious versus nonanxious depression",
        "Lithium levels do not correlate with the antidepressant efficacy of ketamine",
        "Distinct trajectories of antidepressant response to ketamine",
    ],
)
def test_subgroup_and_predictor_titles_are_secondary(title: str) -> None:
    assert ask(title, ("rct",), methods=RCT_PLACEBO) == "predictor_or_secondary"


def test_predictor_title_cues_do_not_take_reviews_or_drug_use_surveys() -> None:
    assert (
        ask("Response to esketamine in relation to antipsychotic augmentation: a meta-analysis", ("meta_analysis",))
        == "systematic_review"
    )
    assert (
        ask("Associations between hallucinogen use and psychological distress among adults", ("observational",))
        != "predictor_or_secondary"
    )


# ------------------------------------------------------------------ the drug serving another treatment or surgery


def test_relapse_prevention_after_the_drug_is_an_adjunct_question() -> None:
    q = ask("Riluzole for relapse prevention following ketamine in depression", ("rct",), methods=RCT_PLACEBO)
    assert q == "anaesthetic_or_adjunct"
    q = ask("Esketamine for relapse prevention: a randomized withdrawal trial", ("rct",), methods=RCT_PLACEBO)
    assert q == "efficacy_vs_control"


@pytest.mark.parametrize(
    "title",
    [
        "Preoperative ketamine in children undergoing upper gastrointestinal endoscopy",
        "Esketamine and depression after laparoscopic hysterectomy",
        "Ketamine as oral premedication in children",
    ],
)
def test_peri_procedural_use_is_perioperative(title: str) -> None:
    assert ask(title, ("rct",), methods=RCT_PLACEBO) == "perioperative_prevention"


@pytest.mark.parametrize(
    "title",
    [
        "Effects of esketamine combined with dexmedetomidine on early postoperative cognitive function in elderly "
        "patients undergoing lumbar spinal surgery: a randomized controlled trial",
        "The influence of low-dose s-ketamine on postoperative delirium and cognitive function in older adults "
        "undergoing thoracic surgery",
        "Intraoperative ketamine and inflammatory cytokines after cardiac surgery",
    ],
)
def test_cognition_and_markers_around_an_operation_are_perioperative_not_harm_or_mechanism(title: str) -> None:
    assert ask(title, ("rct",)) == "perioperative_prevention"
    # Without the operation the same words keep their questions.
    plain = "Cognitive function in patients given repeated ketamine infusions for depression"
    assert ask(plain, ("rct",)) == "safety_only"


def test_depression_trial_without_surgery_is_not_perioperative() -> None:
    q = ask("Ketamine in treatment-resistant depression", ("rct",), methods=RCT_PLACEBO)
    assert q != "perioperative_prevention"


def test_ect_anaesthetic_compared_on_seizure_characteristics() -> None:
    q = ask(
        "S-ketamine compared to etomidate during electroconvulsive therapy",
        objective="To compare ketamine and etomidate regarding seizure characteristics and safety of ECT.",
    )
    assert q == "anaesthetic_or_adjunct"


# ------------------------------------------------------------------ comparisons and designs


def test_one_or_two_infusions_is_a_dose_question_only_when_randomised() -> None:
    methods = "Patients were randomized to receive a single or repeated ketamine infusions."
    assert ask("Ketamine infusions in depression", ("rct",), methods=methods) == "dose_or_schedule"
    methods = "Patients received one or two infusions of ketamine in this open-label study."
    assert ask("Ketamine infusions in depression", ("non_randomized_trial",), methods=methods) != "dose_or_schedule"


@pytest.mark.parametrize(
    "title",
    [
        "Esketamine nasal spray versus quetiapine for treatment-resistant depression",
        "Ketamine as an alternative to electroconvulsive therapy: a randomized non-inferiority trial",
        "Oral ketamine versus diclofenac for depression in chronic pain",
    ],
)
def test_drug_against_another_named_treatment_is_head_to_head(title: str) -> None:
    assert ask(title, ("rct",)) == "head_to_head"


@pytest.mark.parametrize(
    "title",
    [
        "Ketamine versus placebo in treatment-resistant depression",
        "Single ketamine infusion versus repeated infusions in depression",
        "Ketamine 0.5 mg/kg versus 0.2 mg/kg in depression",
    ],
)
def test_placebo_dose_and_schedule_comparisons_are_not_head_to_head(title: str) -> None:
    assert ask(title, ("rct",)) != "head_to_head"


def test_chart_review_against_ect_is_observational() -> None:
    q = ask(
        "Potential advantages of ketamine over electroconvulsive therapy in older patients",
        ("observational",),
        objective="To evaluate subcutaneous ketamine as an alternative to ECT.",
        methods="We reviewed the medical records of consecutive inpatients treated with ketamine.",
    )
    assert q == "observational"


def test_statistical_analysis_plan_is_a_protocol() -> None:
    assert ask("A statistical analysis plan for a randomized trial of ketamine", ("rct",)) == "protocol"
    assert ask("A randomized trial of ketamine in depression", ("rct",)) != "protocol"


def test_case_series_named_in_the_aim_is_single_arm_unless_retrospective() -> None:
    objective = "This case series examines serial ketamine infusions in inpatients with suicidal ideation."
    assert ask("Ketamine in an inpatient setting", ("case_report",), objective=objective) == "single_arm_open_label"
    objective = "This retrospective case series examines ketamine infusions from a chart review."
    assert ask("Ketamine in an inpatient setting", ("case_report",), objective=objective) == "case_report"


def test_treated_patients_without_a_design_tag_are_single_arm_but_a_review_is_not() -> None:
    methods = "Twelve inpatients were given ketamine infusions over two weeks."
    assert ask("Repeated ketamine infusions for depression", methods=methods) == "single_arm_open_label"
    assert ask("Repeated ketamine infusions for depression", ("narrative_review",), methods=methods) == "other"
    assert ask("Repeated ketamine infusions for depression", methods="Scores were compared at baseline.") == "other"


# ------------------------------------------------------------------ trial groups


def _g(pmid: str, title: str, n: int | None, relation: str | None = "main", nct: tuple[str, ...] = (),
       question: str = "efficacy_vs_control") -> GroupingInput:
    return GroupingInput(pmid, title, 2020, n, relation, question, nct)


@pytest.mark.parametrize(
    ("title", "quoted"),
    [
        ("'Ketamine for adolescents with depression: an open-label study': Correction.", "Ketamine for adolescents"),
        ("Correction: Neural complexity after ketamine in late-life depression", "Neural complexity"),
        ("\u2018Ketamine and suicide\u2019: Corrigendum", "Ketamine and suicide"),
        ("Ketamine corrects a deficit in working memory", None),
    ],
)
def test_corrected_title(title: str, quoted: str | None) -> None:
    got = corrected_title(title)
    assert (got is None) if quoted is None else (got is not None and got.startswith(quoted))


def test_a_correction_notice_joins_the_article_it_quotes_whatever_n() -> None:
    records = [
        _g("100", "Intravenous ketamine for adolescents with depression: an open-label study.", 13),
        _g("200", "'Intravenous ketamine for adolescents with depression: An open-label study': Correction.", None),
        _g("300", "'Oral ketamine in chronic pain': Corrigendum.", 13),
    ]
    by = {p: (g, main) for p, g, main in group_records(records)}
    assert by["200"][0] == by["100"][0] == "100"
    assert by["300"] == ("300", True)


def test_a_pooled_analysis_naming_two_trials_does_not_chain_them() -> None:
    records = [
        _g("100", "Esketamine relapse prevention trial", 297, nct=("NCT00000001",)),
        _g("200", "Esketamine long-term open-label safety trial", 802, nct=("NCT00000002",)),
        _g("300", "Pooled analysis of two esketamine trials", None, "secondary", ("NCT00000001", "NCT00000002")),
        _g("400", "Post hoc analysis of the relapse prevention trial", 176, "secondary", ("NCT00000001",)),
    ]
    by = {p: g for p, g, _ in group_records(records)}
    assert by["100"] != by["200"]
    assert by["400"] == by["100"]
    assert by["300"] == "300"  # it stands alone: it cannot speak for either trial


def test_a_systematic_review_naming_a_trial_id_does_not_join_that_trial() -> None:
    # A review (or its correction notice) prints the ID of a trial it pools; the trial keeps its own vote.
    records = [
        _g("100", "Ketamine augmentation of ECT for suicidal ideation: a randomised trial", 40, nct=("NCT00000001",)),
        _g("200", "'Ketamine in ECT for depression: a systematic review and meta-analysis': Corrigendum.", 16,
           nct=("NCT00000001",), question="systematic_review"),
    ]
    by = {p: g for p, g, _ in group_records(records)}
    assert by["100"] == "100"
    assert by["200"] == "200"


def test_narrative_reviews_and_commentaries_are_other_whatever_the_review_tag() -> None:
    title = "Ketamine for mood disorders: a narrative review of recent progress"
    assert ask(title, ("meta_analysis",)) == "other"
    title = "Ketamine for mood disorders: a systematic review and narrative synthesis"
    assert ask(title, ("systematic_review",)) == "systematic_review"


def test_protocol_tag_yields_to_a_trial_told_in_the_past_tense() -> None:
    title = "Ketamine versus midazolam for relapse prevention after ECT: a pilot"
    assert ask(title, ("protocol", "rct"), methods="Participants will be randomized to ketamine.") == "protocol"
    assert ask(title, ("protocol", "rct"), methods="Participants were randomized to ketamine.") != "protocol"


@pytest.mark.parametrize(
    ("title", "designs", "question"),
    [
        ("Repeated ketamine infusions in two patients with depression", (), "case_report"),
        ("Repeated ketamine infusions in patients with depression", ("non_randomized_trial",), "single_arm_open_label"),
        ("Heart rate is a trait marker for depression in a trial of ketamine", ("rct",), "mechanism_or_biomarker"),
        ("Ketamine-mediated response in depression: dynamic causal modelling", ("rct",), "mechanism_or_biomarker"),
        ("Efficacy of esketamine in depression: analysis of phase 3 trials", ("rct",), "predictor_or_secondary"),
        ("Efficacy of esketamine in depression: results of phase 3 trials", ("rct",), "efficacy_vs_control"),
        ("The effect of ketamine on preventing postpartum depression", ("rct",), "perioperative_prevention"),
        ("Ketamine for the treatment of postpartum depression", ("rct",), "efficacy_vs_control"),
    ],
)
def test_more_title_cues_both_ways(title: str, designs: tuple[str, ...], question: str) -> None:
    assert ask(title, designs, methods=RCT_PLACEBO if "rct" in designs else None) == question


def test_a_series_of_n_patients_is_single_arm() -> None:
    title = "Ketamine infusions for depression: a series of 28 patients treated weekly in an ECT clinic"
    assert ask(title, ("observational", "rct"), objective="To describe a series of 28 patients.") == (
        "single_arm_open_label"
    )


def test_a_predictor_before_treatment_is_secondary_but_a_drug_induced_change_is_a_biomarker() -> None:
    # labels/evidence/consistency_question.md, rule R1: a brain marker measured before treatment that predicts the
    # response is a predictor as much as a clinical trait; what the drug changed is a mechanism.
    assert ask("Baseline working memory predicts response to ketamine in depression", ("rct",)) == (
        "predictor_or_secondary"
    )
    assert ask("Gray matter volume of the cingulate predicts response to ketamine", ("rct",)) == (
        "predictor_or_secondary"
    )
    assert ask("Ketamine-induced change in cingulate connectivity predicts response", ("rct",)) == (
        "mechanism_or_biomarker"
    )


def test_an_open_label_long_term_safety_study_is_single_arm() -> None:
    title = "Esketamine in depression: assessment of long-term safety in a phase 3, open-label study"
    assert ask(title, ("non_randomized_trial",)) == "single_arm_open_label"
    title = "Esketamine in depression: assessment of long-term safety in a phase 3 study"
    assert ask(title, ("non_randomized_trial",)) == "safety_only"


def test_dosing_regimens_compared_without_placebo_are_a_dose_question() -> None:
    methods = "Patients were randomized to two dosing regimens of ketamine."
    assert ask("Ketamine in late-life depression", ("rct",), methods=methods) == "dose_or_schedule"
    methods = "Patients were randomized to two dosing regimens of ketamine or to saline placebo."
    assert ask("Ketamine in late-life depression", ("rct",), methods=methods) == "efficacy_vs_control"


def test_a_secondary_report_of_the_same_large_sample_joins_on_half_the_title_words() -> None:
    main = "Dose-related effects of adjunctive ketamine in Taiwanese patients with treatment-resistant depression"
    secondary = "Efficacy of adjunctive ketamine in anxious Taiwanese patients with treatment-resistant depression"
    records = [
        _g("100", main, 71),
        _g("200", secondary, 71, "secondary"),
        # The same reworded title but a main report: two trials may share words, not a sample.
        _g("300", secondary, 71),
        # A small sample size is too common to tie a reworded title to a trial.
        _g("400", main, 24),
        _g("500", secondary, 24, "secondary"),
    ]
    by = {p: g for p, g, _ in group_records(records)}
    assert by["200"] == by["100"]
    assert by["400"] != by["500"]
    # 300 joins only through the secondary report, never directly on shared words.
    assert group_records([records[0], records[2]]) == [("100", "100", True), ("300", "300", True)]


# ------------------------------------------------------------------ re-analyses of a trial's data


def test_a_self_described_reanalysis_is_secondary_whatever_it_measures() -> None:
    # A biomarker title would make a mechanism question; the aim says it re-analyses trial data.
    assert ask(
        "Cytokine levels and rapid antidepressant response to ketamine",
        ("rct",),
        objective="This exploratory analysis assessed whether ketamine lowered levels of cytokines.",
        methods="Data from double-blind, placebo-controlled studies of ketamine were used (N = 80).",
    ) == "predictor_or_secondary"
    # Without the self-description a title on what the drug changed stays a biomarker study.
    assert ask(
        "Cytokine changes and rapid antidepressant response to ketamine",
        ("rct",),
        objective="To assess whether ketamine lowered levels of cytokines.",
        methods="Patients were randomized to ketamine or saline placebo and cytokines were measured.",
    ) == "mechanism_or_biomarker"


def test_an_analysis_of_secondary_outcomes_in_the_methods_is_secondary() -> None:
    assert ask(
        "Change in sleep and well-being after intravenous ketamine in older adults",
        objective="To examine whether sleep improved with intravenous ketamine.",
        methods="This is an analysis of secondary outcomes in an open-label study of ketamine infusions.",
    ) == "predictor_or_secondary"
    # An open-label trial reporting its own outcomes is an uncontrolled trial.
    assert ask(
        "Change in sleep and well-being after intravenous ketamine in older adults",
        objective="To examine whether sleep improved with intravenous ketamine.",
        methods="This is an open-label study in which participants received ketamine infusions.",
    ) == "single_arm_open_label"


@pytest.mark.parametrize(
    "title",
    [
        # A brain or biological measure the drug changes, or that goes with its response, makes a biomarker study,
        # whatever it is called: electrophysiology, blood flow.
        "Electrophysiological correlates and predictors of the antidepressant response to repeated ketamine infusions",
        "Ketamine activates psychosis and alters limbic blood flow in schizophrenia",
        "Genetic variation in glutamate receptors and ketamine-induced changes in cortical excitability",
    ],
)
def test_a_brain_or_genetic_measure_makes_a_biomarker_question(title: str) -> None:
    methods = "Patients received six ketamine infusions and were classified as responders or non-responders."
    assert ask(title, ("non_randomized_trial",), methods=methods) == "mechanism_or_biomarker"


@pytest.mark.parametrize(
    "title",
    [
        # A genotype is fixed before treatment: genes studied against the response are its predictors, as the labels'
        # consistency audit decided (labels/evidence/consistency_question.md, rule R1a).
        "Prediction of ketamine response in major depressive disorder using a GWAS-based machine learning approach",
        "Genome-wide association study of the antidepressant response to ketamine",
        "Pharmacogenomic SNPs and genotype as a guide to ketamine response",
        "Effects of treatment refractoriness and BDNF Val66Met polymorphism on antidepressant response to ketamine",
    ],
)
def test_genes_studied_against_the_response_are_predictors(title: str) -> None:
    methods = "Patients received six ketamine infusions and were classified as responders or non-responders."
    assert ask(title, ("non_randomized_trial",), methods=methods) == "predictor_or_secondary"


def test_a_clinical_predictor_stays_a_predictor_question() -> None:
    methods = "Patients received six ketamine infusions and were classified as responders or non-responders."
    assert ask("Baseline anxiety predicts response to repeated ketamine infusions", ("non_randomized_trial",),
               methods=methods) == "predictor_or_secondary"


@pytest.mark.parametrize(
    "title",
    [
        "Cortical glutamate-dopamine interaction and ketamine-induced psychotic symptoms in man",
        "Acute ketamine challenge increases resting state prefrontal-hippocampal connectivity in both humans and rats",
    ],
)
def test_a_translational_study_in_humans_and_animals_is_not_set_aside_as_preclinical(title: str) -> None:
    # The design tag says "animal" because rats are studied too; the title says humans were.
    assert ask(title, ("animal",)) == "mechanism_or_biomarker"


def test_an_animal_study_is_still_other() -> None:
    title = "Ketamine-induced changes in connectivity in rats: implications for human depression"
    assert ask(title, ("animal",)) == "other"


def test_an_aim_that_calls_the_work_an_analysis_of_collected_data_is_secondary() -> None:
    # "this analysis", a participant-level integrative analysis, the parent study of the analyses.
    assert ask(
        "Improvement in suicidal ideation after ketamine infusion",
        objective="The aim of this analysis was to evaluate whether ketamine has an impact on suicidal thoughts.",
        methods="Patients received a single infusion of ketamine.",
    ) == "predictor_or_secondary"
    assert ask(
        "A participant-level integrative data analysis of placebo response in trials of ketamine",
        objective="This study sought to examine differential placebo response.",
    ) == "predictor_or_secondary"
    assert ask(
        "Effects on rapid ketamine-induced reductions in suicidal ideation",
        text="Suicide is a crisis. The parent study for the secondary pilot analyses presented here was a "
        "double-blind, cross-over trial. Twenty patients were randomized to pretreatment or placebo. "
        "We found improvements across all measures.",
    ) == "predictor_or_secondary"
    # A study of its own: "this study", no parent trial.
    assert ask(
        "Improvement in suicidal ideation after ketamine infusion",
        ("rct",),
        objective="The aim of this study was to evaluate whether ketamine has an impact on suicidal thoughts.",
        methods="Patients were randomized to ketamine or saline placebo.",
    ) == "efficacy_vs_control"


def test_a_title_that_says_what_the_response_goes_with_is_a_predictor_question() -> None:
    assert ask("Anxiety during ketamine infusions is associated with negative treatment responses in depression") == (
        "predictor_or_secondary"
    )
    title = "Improvement in suicidal ideation after ketamine infusion: relationship to reductions in depression"
    assert ask(title) == "predictor_or_secondary"
    assert ask("Ketamine infusions are associated with hypertension in older adults") == "other"


def test_patients_given_a_course_of_infusions_with_no_control_are_a_single_arm_study() -> None:
    assert ask(
        "Investigation of the effect of multiple ketamine infusions on depression",
        methods="Seventy-seven patients were eligible to receive augmentation with six ketamine infusions (0.5 mg/kg).",
    ) == "single_arm_open_label"
    assert ask("Investigation of the effect of ketamine on depression", methods="Patients were eligible.") == "other"


def test_suicidal_cognition_and_the_cognitive_harm_of_ect_are_not_a_safety_question() -> None:
    # Suicidal cognition is the symptom treated; "a randomized controlled trial" has a control arm.
    q = ask("Effects of ketamine on explicit and implicit suicidal cognition: a randomized controlled trial", ("rct",))
    assert q == "efficacy_vs_control"
    # Cognitive harm "of electroconvulsive therapy", which the drug is given alongside.
    q = ask(
        "Effects of ketamine on the antidepressant effects and the associated cognitive impairments of "
        "electroconvulsive therapy in elderly patients: a randomized controlled trial",
        ("rct",),
        objective="Low-dose ketamine, as an adjunctive anesthetic for electroconvulsive therapy (ECT), accelerates "
        "the effects of ECT.",
        methods="Patients were randomly divided into a propofol anesthesia group and a propofol plus ketamine group.",
    )
    assert q == "anaesthetic_or_adjunct"
    # Cognition measured in patients given the drug stays a safety question.
    assert ask("Neurocognitive effects of repeated ketamine infusions in depression", ("non_randomized_trial",)) == (
        "safety_only"
    )


def test_brain_measures_by_other_names_are_a_mechanism_question() -> None:
    # The connectome, synaptic potentiation, EEG and MEG spelled out, a gamma response in the aim.
    assert ask("Modulation of the functional connectome in major depressive disorder by ketamine therapy") == (
        "mechanism_or_biomarker"
    )
    assert ask("Synaptic potentiation and rapid antidepressant response to ketamine: a replication study") == (
        "mechanism_or_biomarker"
    )
    assert ask("Effects of low-dose ketamine on neuropathic pain: an electroencephalogram/behavioral study") == (
        "mechanism_or_biomarker"
    )
    q = ask("Magnetoencephalographic correlates of suicidal ideation in major depression")
    assert q == "mechanism_or_biomarker"
    assert ask(
        "Response to ketamine in treatment-resistant depression",
        text="This study sought to replicate previous findings of increased gamma response to a somatosensory "
        "stimulus in ketamine responders. A significant difference was seen.",
    ) == "mechanism_or_biomarker"


def test_the_brain_of_chronic_users_of_the_drug_is_an_observational_question() -> None:
    title = "Brain volume in chronic ketamine users - relationship to sub-threshold psychotic symptoms"
    q = ask(
        title,
        objective="We tested the hypotheses that ketamine users had lower brain volumes, as measured using MRI.",
        methods="Ketamine users (n = 17) and poly-drug using controls (n = 19) were included in the study.",
    )
    assert q == "observational"
    # Volunteers given the drug in the laboratory stay a mechanism question.
    assert ask("Brain volume changes after ketamine in healthy volunteers") == "mechanism_or_biomarker"


def test_a_report_on_a_few_patients_named_in_the_aim_is_a_case_report() -> None:
    title = "Intravenous esketamine leads to an increase in impulsive behaviour in recurrent major depression"
    text = "Here, we report on a female patient with recurrent major depression who was treated with esketamine."
    assert ask(title, text=text) == "case_report"
    text = "We describe severe dissociative side effects after esketamine infusion therapy in two patients."
    assert ask(title, objective=text) == "case_report"
    # A trial's or cohort's patients are not a case report; nor are a hundred patients.
    trial = "We report a randomized trial of esketamine in two groups of patients."
    assert ask(title, objective=trial) != "case_report"
    assert ask(title, objective="We report on one hundred patients treated with esketamine.") != "case_report"


def test_this_secondary_analysis_in_the_methods_and_a_randomised_crossover_title() -> None:
    q = ask(
        "Anxiolytic effects of acute and maintenance ketamine on fear questionnaire subscales",
        objective="This study aimed to assess changes following acute and maintenance ketamine therapy.",
        methods="This secondary analysis used data from a mixed open-label and placebo-controlled study.",
    )
    assert q == "predictor_or_secondary"
    # A trial's own secondary outcomes ("our secondary analyses") do not make it a re-analysis.
    q = ask(
        "Ketamine for anxiety: a randomized trial",
        ("rct",),
        objective="To assess whether ketamine relieves anxiety.",
        methods="Patients were randomized to ketamine or saline placebo. Our secondary analyses examined sleep.",
    )
    assert q == "efficacy_vs_control"
    # A randomised crossover trial gives the drug and its control in turn.
    title = "Cocaine self-administration disrupted by ketamine: a randomized, crossover trial"
    assert ask(title, ("rct",)) == "efficacy_vs_control"


def test_a_title_about_the_drugs_safety_is_a_safety_question_whatever_research_it_names() -> None:
    assert ask("Psychiatric safety of ketamine in psychopharmacology research") == "safety_only"
    assert ask("Ketamine in psychopharmacology research: a model of psychosis") == "mechanism_or_biomarker"


# ------------------------------------------------------------------ set d (stop 24)


def test_healthy_people_given_the_drug_in_the_methods_make_a_drug_model_study() -> None:
    assert (
        ask(
            "Ketamine and facial emotion processing",
            objective="This study compared emotional face processing under ketamine.",
            methods="Ketamine was given to 20 healthy subjects in a double-blind placebo-controlled crossover design.",
        )
        == "mechanism_or_biomarker"
    )
    # Patients and a placebo arm: a treatment trial still.
    assert ask("Ketamine in depression", ("rct",), objective="To test whether ketamine relieves depression.",
               methods="Patients with depression and healthy subjects were randomized to ketamine or placebo.") == (
        "efficacy_vs_control"
    )


def test_event_related_potentials_and_brain_recordings_with_no_design_are_mechanism() -> None:
    assert ask("Ketamine and face encoding", objective="We used event-related potentials (ERPs) to compare "
               "ketamine with placebo.") == "mechanism_or_biomarker"
    assert ask("Spectral signatures of dissociatives", objective="To compare what three drugs do.",
               methods="Source-localized magnetoencephalography was recorded after ketamine, LSD and psilocybin.") == (
        "mechanism_or_biomarker"
    )
    # A placebo-controlled trial that also records EEG stays a trial.
    assert ask("Ketamine for depression", ("rct",), objective="To test whether ketamine relieves depression.",
               methods="Patients were randomized to ketamine or placebo; EEG was recorded.") == "efficacy_vs_control"


def test_a_subgroup_of_a_trial_is_a_secondary_study() -> None:
    assert ask("Adaptive ratings of suicidal thoughts in a ketamine trial", ("rct",), methods="The last 20 "
               "persons to enroll in a published ketamine trial in suicidal depression were studied.") == (
        "predictor_or_secondary"
    )
    assert ask("Rating scales compared", ("rct",), methods="Ratings were compared in a randomized trial subgroup "
               "given ketamine or midazolam.") == "predictor_or_secondary"


def test_use_counted_over_a_period_in_a_population_is_drug_use_epidemiology() -> None:
    assert ask("Past-year hallucinogen use in relation to depression among US adults", ("observational",)) == "other"
    assert ask("Ketamine users and bladder symptoms: a cohort", ("observational",)) != "other"


def test_a_safety_and_tolerability_title_is_a_harm_question_also_in_volunteers() -> None:
    title = (
        "Ascending-dose study of controlled-release ketamine tablets in healthy volunteers: pharmacokinetics, "
        "safety, and tolerability"
    )
    assert ask(title, ("rct",)) == "safety_only"
    assert ask("Efficacy, safety and tolerability of ketamine in depression", ("rct",)) != "safety_only"


def test_several_drugs_used_together_is_drug_use_epidemiology() -> None:
    title = "Concurrent use of methamphetamine, MDMA, LSD and ketamine among American youths"
    assert ask(title, ("observational",)) == "other"


@pytest.mark.parametrize(
    "title",
    [
        "Gray matter volume of rostral anterior cingulate cortex predicts rapid antidepressant response to ketamine",
        "D-serine plasma concentration is a potential biomarker of ketamine antidepressant response in depression",
        "Functional connectivity differences in the amygdala are related to the antidepressant efficacy of ketamine",
        "Hippocampal volume and the rapid antidepressant effect of ketamine",
        "Baseline cognitive function predicts remission of suicidal symptoms after low-dose ketamine infusion",
    ],
)
def test_a_marker_measured_before_treatment_that_goes_with_response_is_a_predictor_question(title: str) -> None:
    assert ask(title, ("rct",)) == "predictor_or_secondary"


@pytest.mark.parametrize(
    ("title", "question"),
    [
        # What the drug changed, related to the response: a mechanism question.
        ("Change in cytokine levels is not associated with rapid antidepressant response to ketamine", None),
        ("Right prefrontal cortex volumetric reduction is associated with the antidepressant effect of ketamine", None),
        # "Safety and efficacy of ketamine" names no measure before the response.
        ("Safety and efficacy of repeated-dose intravenous ketamine for treatment-resistant depression", None),
        ("Rapid and sustained antidepressant effects of intravenous ketamine: a randomized clinical trial", None),
    ],
)
def test_drug_induced_change_and_plain_efficacy_titles_are_not_predictor_questions(title: str, question: None) -> None:
    assert ask(title, ("rct",)) != "predictor_or_secondary"


@pytest.mark.parametrize(
    "text",
    [
        "Drugs targeting glutamate receptors may act rapidly. In this article, we present a review of "
        "glutamate-modulating drugs, their mechanism of action, and clinical studies of their efficacy.",
        "The letter about the article on ketamine for depression discusses methodology and outcome measures.",
        "Herein, the authors discuss the mechanisms underlying glutamatergic antagonists and psychedelics.",
        # An adverb and the verb's -s form; "the present work".
        "Ketamine has antidepressant effects. This article briefly reviews its applications beyond depression.",
        "Ketamine may reduce inflammation. Therefore, the present work examines the role of its anti-inflammatory "
        "properties in depression.",
    ],
)
def test_a_review_or_letter_saying_what_it_is_anywhere_is_other(text: str) -> None:
    assert ask("Glutamate-based mechanisms of action in psychiatry", (), text=text) == "other"
    # A trial that mentions a review in passing is not one.
    assert ask("Ketamine for depression: a randomized trial", ("rct",), text=text) != "other"


@pytest.mark.parametrize(
    "methods",
    [
        "We retrieved randomized clinical trials on PubMed, PubMed Central, and Medline until January 2022.",
        "Embase, PsycINFO and the Cochrane Library were searched from inception to March 2023.",
        "The review followed the PRISMA guidelines; two reviewers extracted data independently.",
    ],
)
def test_a_review_describing_its_literature_search_is_a_systematic_review(methods: str) -> None:
    # The design tag read "rct" from the trials the review pools; the title does not call it systematic.
    title = "The safety and efficacy of ketamine for PTSD: a review of randomized clinical trials"
    assert ask(title, ("rct",), objective="To review ketamine trials in PTSD.", methods=methods) == "systematic_review"
    # A trial that randomised its own participants and mentions a database is not a review.
    assert (
        ask(
            "Ketamine for PTSD: a randomized trial",
            ("rct",),
            methods=f"Patients were randomized to ketamine or midazolam. {methods}",
        )
        != "systematic_review"
    )
    # A narrative review says so in its title, whatever search it describes.
    assert ask("Ketamine for PTSD: a narrative review", (), methods=methods) == "other"


def test_a_retrospective_cohort_against_usual_care_is_observational_not_a_controlled_trial() -> None:
    title = "Utilization and outcomes of ketamine and usual care for depression in a large group practice"
    q = ask(
        title,
        ("observational",),
        methods="Depression outcomes for ketamine and usual care among adult patients at a multi-site practice were "
        "examined in this retrospective cohort analysis.",
    )
    assert q == "observational"
    # The same comparison in a trial whose participants were assigned to it stays a controlled trial.
    q = ask(title, ("rct",), methods="Adults were randomized to ketamine or usual care in a pragmatic trial.")
    assert q == "efficacy_vs_control"


def test_the_aim_is_the_sentence_that_states_it_not_the_background_before_it() -> None:
    # No OBJECTIVE section: the aim is the background's sentence that says what the study did, not the
    # background's account of what is unknown ("little information about predictors of response").
    sections = [
        AbstractSection(
            "BACKGROUND",
            "BACKGROUND",
            "Ketamine is potentially effective in depression. However, its efficacy varies, and there is little "
            "information about predictors of response. We investigated magnetoencephalography recordings to "
            "determine the oscillatory changes that ketamine produces.",
        ),
        AbstractSection("RESULTS", "RESULTS", "Ketamine increased gamma power (p < 0.01)."),
    ]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    q = classify("Spectral signatures of dissociative drugs", sentences, frozenset(), RULES.questions).value
    assert q == "mechanism_or_biomarker"


def test_an_efficacy_trial_that_also_explores_predictors_is_not_a_predictor_analysis() -> None:
    aim = (
        "This study investigated efficacy and tolerability of intravenous ketamine in adolescents with depression, "
        "and explored clinical response predictors."
    )
    assert ask("Intravenous ketamine for adolescents with depression", ("non_randomized_trial",), objective=aim) != (
        "predictor_or_secondary"
    )
    assert ask("Intravenous ketamine for adolescents with depression", (), objective="To identify predictors of "
               "response to intravenous ketamine.") == "predictor_or_secondary"


@pytest.mark.parametrize(
    ("title", "question"),
    [
        # A characteristic's bearing on the drug's effect, or how a subgroup fared: who responds.
        ("Examining the impact of comorbid posttraumatic stress disorder on ketamine's real-world effectiveness",
         "predictor_or_secondary"),
        ("Depression patients with baseline suicidal ideation required more treatments to achieve response",
         "predictor_or_secondary"),
        # A baseline measure that predicts the response, the response named as a reduction.
        ("Insular connectivity is predictive of depressive symptom reduction following serial ketamine infusion",
         "predictor_or_secondary"),
        # What the drug changed, related to the response: a mechanism question.
        ("Change in cytokine levels is not associated with rapid antidepressant response to ketamine",
         "mechanism_or_biomarker"),
        ("Ketamine-induced changes in connectivity predict the antidepressant response", "mechanism_or_biomarker"),
        # The drug's own effect on an outcome is no predictor question.
        ("Effects of ketamine on the antidepressant response in older adults", None),
    ],
)
def test_who_responds_and_what_the_drug_changed_are_told_apart(title: str, question: str | None) -> None:
    q = ask(title, ("observational",))
    if question is None:
        assert q != "predictor_or_secondary"
    else:
        assert q == question


def test_set_h_development_rules() -> None:
    """General rules from set h's development records, each with a near miss that must not move."""
    # Given right after childbirth to prevent postpartum depression: perioperative, not a treatment trial.
    after_birth = "Mothers were randomized to a single dose of esketamine or saline administered after childbirth."
    assert ask("Esketamine after childbirth for mothers with prenatal depression", ("rct",), methods=after_birth) == (
        "perioperative_prevention"
    )
    treated = "Mothers with postpartum depression 4 weeks after delivery were randomized to esketamine or saline."
    assert ask("Esketamine for postpartum depression", ("rct",), methods=treated) == "efficacy_vs_control"
    # A title reporting a biomarker study's clinical outcomes is about the treatment.
    assert ask("Clinical outcomes in the biomarkers of ketamine study of open-label IV ketamine", ()) != (
        "mechanism_or_biomarker"
    )
    assert ask("Plasma biomarkers after open-label IV ketamine", ()) == "mechanism_or_biomarker"
    # Chronic users of the drug against a control group: a case-control comparison.
    users = "Chronic ketamine users and a control group of non-users completed cognitive tests."
    assert ask("Depressive symptoms and cognition in chronic ketamine users", ("observational",), methods=users) == (
        "observational"
    )
    # Use of a drug class counted in a population: epidemiology.
    assert ask("Factors associated with the use of psychedelics among youths", ("observational",)) == "other"
    # A further analysis of an earlier study, and a named study's further report: re-analyses.
    aim = "This retrospective analysis of an open-label study aims to evaluate dose calculation strategies."
    assert ask("Optimal ketamine dosing", (), objective=aim) == "predictor_or_secondary"
    assert ask("Vortioxetine with esketamine: insights from the REAL-ESK study", ("observational",)) == (
        "predictor_or_secondary"
    )
    assert ask("Quality of life after ketamine in anxious and nonanxious patients", ()) == "predictor_or_secondary"
    # What the drug does, related to the response; omics of the blood; a review the tagger took for a protocol.
    aim = "We sought to explore relationships of acute dissociative effects of ketamine with change in depression."
    assert ask("Dissociation and ketamine's antidepressant effects", ("rct",), objective=aim) == (
        "mechanism_or_biomarker"
    )
    assert ask("Peripheral blood transcriptomic response to ketamine in children", ()) == "mechanism_or_biomarker"
    review = "This article aims to review research over the past 40 years using psychedelics for addiction."
    assert ask("Psychedelics for addiction", ("protocol",), objective=review) == "other"
    assert ask("Psychedelics for addiction", ("protocol",), objective="Participants will be randomized.") == "protocol"


def test_trial_keys_read_other_registries_and_study_names() -> None:
    keys = trial_keys(
        "Vortioxetine with esketamine - insights from the REAL-ESK study",
        "A post hoc analysis of the REAL-ESK study (ChiCTR-OOC-17012239; EudraCT No. 2013-000952-17). A PET-MRI study "
        "and a COVID-19 trial are no study names; the TRANSFORM-1 and TRANSFORM-2 studies pool two trials.",
    )
    assert keys == ("registry:CHICTROOC17012239", "registry:EUDRACT201300095217", "study:REAL-ESK")
    # The same registry ID printed with or without its hyphens is one key.
    assert trial_keys("", "Registered at ChiCTR2000041232.") == trial_keys("", "ChiCTR-2000041232")


def test_records_naming_the_same_study_or_registry_id_form_one_group() -> None:
    def g(pmid: str, title: str, keys: tuple[str, ...], question: str = "predictor_or_secondary") -> GroupingInput:
        return GroupingInput(pmid, title, 2024, None, "secondary", question, (), keys)

    groups = group_records(
        [
            g("100", "Real-world esketamine in depression", ("study:REAL-ESK",), "observational"),
            g("200", "Vortioxetine with esketamine", ("study:REAL-ESK",)),
            g("300", "Bone markers after ketamine infusions", ("registry:CHICTROOC17012239",)),
            g("400", "Cytokines and ketamine response", ("registry:CHICTROOC17012239",)),
            # Two IDs of one registry: a pooled analysis of two trials joins neither.
            g("500", "Connectivity in two ketamine trials", ("registry:UMIN000016985", "registry:UMIN000033916")),
            g("600", "A ketamine trial", ("registry:UMIN000016985",)),
            # A systematic review naming a study joins nothing by it.
            g("700", "Esketamine: a systematic review", ("study:REAL-ESK",), "systematic_review"),
        ]
    )
    group = {pmid: gid for pmid, gid, _ in groups}
    assert group["100"] == group["200"] == "100"
    assert group["300"] == group["400"] == "300"
    assert group["500"] == "500" and group["600"] == "600"
    assert group["700"] == "700"


def test_trial_keys_edge_cases() -> None:
    # A title that starts with "Study" does not hide the names after it.
    assert trial_keys("Study of ketamine: results of the ELEKT-D Study", "") == ("study:ELEKT-D",)
    # "a CBT-I trial" names a kind of treatment, not one trial.
    assert trial_keys("", "Participants were enrolled in a CBT-I trial and an MDMA-AT trial.") == ()
    # Names in the background are other trials: only the record's own sentences are read for them.
    background = "Unlike the TRANSFORM-2 trial, few trials tested esketamine in older adults."
    assert trial_keys("Esketamine in older adults", background, "Esketamine in older adults We randomized 40.") == ()
    # IDs printed with a space; ChiCTR IDs whatever letters follow the registry's name are one registry.
    assert trial_keys("", "ISRCTN 12345678; UMIN 000012345") == ("registry:ISRCTN12345678", "registry:UMIN000012345")
    pooled = GroupingInput("1", "Two trials", 2024, None, "secondary", "predictor_or_secondary", (),
                           ("registry:CHICTRIOR17013767", "registry:CHICTRTRC12003012"))
    single = GroupingInput("2", "One trial", 2024, None, "main", "efficacy_vs_control", (),
                           ("registry:CHICTRIOR17013767",))
    other = GroupingInput("3", "Another trial", 2024, None, "main", "efficacy_vs_control", (),
                          ("registry:CHICTRTRC12003012",))
    group = {pmid: gid for pmid, gid, _ in group_records([pooled, single, other])}
    assert len(set(group.values())) == 3  # the pooled analysis chains neither trial to the other


def test_a_record_with_an_nct_id_and_another_registrys_id_joins_both() -> None:
    a = GroupingInput("10", "Main report", 2024, 80, "main", "efficacy_vs_control", ("NCT01234567",))
    b = GroupingInput("20", "Secondary report", 2024, None, "secondary", "predictor_or_secondary", ("NCT01234567",),
                      ("registry:EUDRACT201300095217",))
    c = GroupingInput("30", "EU report", 2024, None, "secondary", "predictor_or_secondary", (),
                      ("registry:EUDRACT201300095217",))
    # Two NCT IDs (a pooled analysis) join nothing by NCT, but the study it names still joins.
    d = GroupingInput("40", "Pooled", 2024, None, "secondary", "predictor_or_secondary",
                      ("NCT01234567", "NCT07654321"), ("study:REAL-ESK",))
    e = GroupingInput("50", "REAL-ESK", 2024, None, "main", "observational", (), ("study:REAL-ESK",))
    group = {pmid: gid for pmid, gid, _ in group_records([a, b, c, d, e])}
    assert group["10"] == group["20"] == group["30"] == "10"
    assert group["40"] == group["50"] == "40"


def test_review_fixes_for_questions() -> None:
    # "central" in a trial's methods is no database; a trial's own random assignment is no literature search.
    for methods in (
        "Participants were screened and allocated by a central computer system to ketamine or saline placebo.",
        "Patients were randomly assigned to ketamine or placebo; identified adverse events went to a central board.",
    ):
        assert ask("Ketamine for depression: a randomized trial", ("rct",), methods=methods) == "efficacy_vs_control"
    # Methods wording in an unstructured abstract is not the aim ("We assessed adverse events at every visit").
    text = (
        "Ketamine may treat depression. Adults were randomized to ketamine or saline placebo. We assessed safety and "
        "adverse events at every visit. Scores fell more with ketamine (p = 0.01)."
    )
    assert ask("Ketamine for depression", ("rct",), text=text) == "efficacy_vs_control"
    # "after delivery of the session" is no childbirth.
    methods = "Patients were randomized to ketamine or saline given after delivery of the psychotherapy session."
    assert ask("Ketamine and psychotherapy", ("rct",), methods=methods) != "perioperative_prevention"


def test_a_rule_deciding_by_design_tags_names_the_tags_as_its_cue() -> None:
    """``explain`` shows the words that decided the question; a catch-all rule (pattern ".") used to
    show the title's first character ("T") as if it were a cue."""
    sections = [AbstractSection(None, None, "We pooled 12 randomised trials of the drug for depression.")]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    question = classify("The efficacy of add-on treatments: a comparison", sentences,
                        frozenset({"meta_analysis"}), RULES.questions)
    assert question.value == "systematic_review"
    assert question.words == "design tag meta_analysis"


@pytest.mark.parametrize(
    ("title", "question"),
    [
        # Two active drugs for sedation or premedication, no placebo arm: a head-to-head comparison.
        ("Intranasal clonidine versus intranasal ketamine as premedication for anxiolysis in children", "head_to_head"),
        ("Propofol-ketamine compared with propofol-remifentanil for sedation during colonoscopy", "head_to_head"),
        # Against placebo or saline, or two doses of the one drug: not head to head (the rules after it decide, as
        # they did before this rule).
        ("Ketamine versus saline premedication for emergence agitation", "perioperative_prevention"),
        ("Ketamine 0.5 mg/kg versus 1 mg/kg for procedural sedation in children", "perioperative_prevention"),
    ],
)
def test_two_active_anaesthetic_regimens_compared_are_head_to_head(title: str, question: str) -> None:
    methods = "Children were randomized in a double-blind design."
    assert ask(title, ("rct",), methods=methods) == question


@pytest.mark.parametrize(
    ("title", "question"),
    [
        # An observational study whose title names the treatment's harms asks a safety question.
        ("Real-world safety of intranasal esketamine: a pharmacovigilance study", "safety_only"),
        ("Treatment-emergent symptoms during ketamine infusions for depression: a retrospective chart review",
         "safety_only"),
        # Not when the title names the condition's outcomes beside safety, the drug's use in a population, or
        # cognition in users (those stay observational, as the design tag says).
        ("Real-world depression, anxiety and safety outcomes of ketamine: a retrospective cohort", "observational"),
        ("Adverse effects reported by recreational ketamine users: an online survey", "other"),
        ("Cognitive impairment in chronic ketamine users", "observational"),
    ],
)
def test_an_observational_study_titled_for_harms_is_a_safety_question(title: str, question: str) -> None:
    assert ask(title, ("observational",), objective="To describe what happened in these patients.") == question


# ------------------------------------------------------------------ translational, letters, moderators (stop h2)


def test_a_trial_tagged_animal_that_randomised_patients_is_read_as_a_human_study() -> None:
    title = "Esketamine added to electroconvulsive therapy improves depression through a glutamate transporter pathway"
    methods = (
        "Twelve patients were randomized to anesthesia with propofol or propofol plus esketamine for ECT. "
        "Rats were then given esketamine or vehicle."
    )
    assert ask(title, ("animal", "rct"), methods=methods) == "anaesthetic_or_adjunct"
    # An animal trial, randomised or not, stays preclinical.
    rats = "Rats were randomized to R-ketamine or vehicle in a preclinical multi-center randomized controlled trial."
    assert ask("R-ketamine and alcohol relapse: a multi-center trial", ("animal", "rct"), methods=rats) == "other"
    assert ask("Ketamine and alcohol relapse", ("animal",), methods=rats) == "other"


def test_a_letter_answering_another_article_is_other_whatever_the_design_tags() -> None:
    for text in (
        "The letter to the editor was written in response to the recent article by Smith et al. on intraoperative "
        "ketamine and postoperative delirium, a retrospective study.",
        "We read with interest the article by Lee et al. reporting a randomized trial of esketamine after surgery.",
    ):
        assert ask("Intraoperative ketamine and postoperative delirium: methodology matters",
                   ("observational", "rct"), text=text) == "other"
    # A trial whose patients respond "in response to" treatment is no letter.
    trial = (
        "Patients undergoing surgery were randomized to ketamine or saline. Delirium fell in response to the "
        "infusion, as reported by Smith et al."
    )
    assert ask("Intraoperative ketamine and postoperative delirium", ("rct",), text=trial) != "other"


TITLE_WOMEN = "Intravenous ketamine for women with depression"


def test_an_aim_asking_whether_a_trait_changes_the_effect_is_a_predictor_question() -> None:
    methods = "Participants received four intravenous ketamine infusions over two weeks at a community clinic."
    for aim in (
        "We sought to determine whether the effectiveness of intravenous ketamine was influenced by menopausal status.",
        "We examined whether response to ketamine is moderated by childhood trauma.",
    ):
        q = ask(TITLE_WOMEN, ("non_randomized_trial",), objective=aim, methods=methods)
        assert q == "predictor_or_secondary"
    # Whether the drug works at all, or against placebo, is not a moderator question.
    for aim in (
        "We sought to determine whether the effectiveness of intravenous ketamine differed from placebo.",
        "We sought to determine the effectiveness of intravenous ketamine in women.",
    ):
        q = ask(TITLE_WOMEN, ("non_randomized_trial",), objective=aim, methods=methods)
        assert q != "predictor_or_secondary"


def test_this_retrospective_analysis_of_a_study_in_the_methods_is_secondary() -> None:
    # The aim (the objective sentence) does not say it; the methods sentence does.
    aim = "Data on alternative ways to calculate the ketamine dose remain limited."
    methods = "This retrospective analysis of an open-label study aims to evaluate dose calculation strategies."
    title = "Choosing the ketamine dose in depression"
    assert ask(title, ("observational",), objective=aim, methods=methods) == "predictor_or_secondary"
    # A study that is itself open-label, or a retrospective analysis of records, is not a re-analysis of a study.
    for methods in (
        "This open-label study gave ketamine to 28 inpatients with depression.",
        "This retrospective analysis of medical records included 28 inpatients given ketamine.",
    ):
        assert ask(title, ("observational",), objective=aim, methods=methods) != "predictor_or_secondary"


@pytest.mark.parametrize(
    ("title", "predictor"),
    [
        ("Effects of melancholic features on suicidal ideation in patients with depression receiving low-dose ketamine",
         True),
        ("Influence of childhood trauma on anxiety in adults treated with intravenous ketamine", True),
        # The treatment's own parts are a dose or an add-on, not a trait; the drug's own effects are not a trait.
        ("Effects of repeated infusions on suicidal ideation in patients with depression receiving ketamine", False),
        ("Effects of ketamine on suicidal ideation in patients with depression receiving ECT", False),
    ],
)
def test_a_traits_effect_on_patients_given_the_drug_is_a_predictor_question(title: str, predictor: bool) -> None:
    assert (ask(title) == "predictor_or_secondary") is predictor


def test_markers_that_are_the_aim_of_a_larger_study_do_not_make_a_mechanism_question() -> None:
    methods = "Patients were randomized in a double-blind crossover design to ketamine or the psychoactive control."
    aim = ("To evaluate mood ratings and tolerability in patients treated with ketamine, as part of a larger study to "
           "explore EEG biomarkers associated with mood response.")
    title = "Ketamine for treatment-resistant depression: a double-blind crossover study"
    assert ask(title, ("rct",), objective=aim, methods=methods) == "efficacy_vs_control"
    # The markers as this study's own aim still make a mechanism question.
    aim = "To explore EEG biomarkers associated with mood response to ketamine."
    assert ask(title, ("rct",), objective=aim, methods=methods) == "mechanism_or_biomarker"


@pytest.mark.parametrize(
    "methods",
    [
        "Patients received ketamine and the psychoactive control fentanyl at weekly intervals.",
        "We used a double-blind active-controlled randomized crossover design.",
    ],
)
def test_an_active_control_is_a_controlled_trial(methods: str) -> None:
    assert ask("Intramuscular ketamine for depression", ("rct",), methods=methods) == "efficacy_vs_control"
    # A named active treatment compared is still head to head.
    h2h = methods + " Ketamine was compared with electroconvulsive therapy."
    assert ask("Intramuscular ketamine for depression", ("rct",), methods=h2h) == "head_to_head"


@pytest.mark.parametrize(
    ("title", "question"),
    [
        ("Does ketamine mimic aspects of schizophrenic speech?", "mechanism_or_biomarker"),
        ("Ketamine reproduces hallucinatory experiences associated with psychosis", "mechanism_or_biomarker"),
        ("Effects of ketamine in normal and schizophrenic volunteers", "mechanism_or_biomarker"),
        # Reproducibility of a response is not a drug model; normal ranges are not volunteers.
        ("Reproducibility of the antidepressant response to repeated ketamine", None),
        ("Normal and elevated blood pressure during ketamine infusions for depression", None),
    ],
)
def test_the_drug_as_a_model_of_a_disorder_is_a_mechanism_question(title: str, question: str | None) -> None:
    if question is None:
        assert ask(title) != "mechanism_or_biomarker"
    else:
        assert ask(title) == question


def test_ect_in_the_patients_treatment_history_is_not_a_comparator() -> None:
    aim = ("To describe baseline clinical characteristics and treatment history of patients, including exposure to "
           "electroconvulsive therapy and esketamine.")
    methods = "Medical, psychiatric, and treatment records were reviewed by study investigators."
    assert ask("Clinical characteristics of patients with treatment-resistant depression", objective=aim,
               methods=methods) == "observational"
    # A trial setting the drug against ECT is head to head.
    methods = "Patients were randomized to ketamine or electroconvulsive therapy, three sessions a week."
    assert ask("Ketamine or ECT for treatment-resistant depression", objective="To compare ketamine with ECT.",
               methods=methods) == "head_to_head"


@pytest.mark.parametrize(
    ("title", "head_to_head"),
    [
        ("Ketamine vs. propofol for procedural sedation in children", True),
        # Usual care or nothing is not an active comparator; an outcome prevented makes it perioperative prevention;
        # anaesthesia as the setting of a comparison for pain is not the regimen compared.
        ("Ketamine versus usual care for prehospital analgesia: a randomized trial", False),
        ("Ketamine infusion versus no ketamine for postoperative analgesia after spinal fusion", False),
        ("Esketamine versus dexmedetomidine in preventing postoperative delirium under general anesthesia", False),
        ("Ketamine versus magnesium for postoperative pain after spinal anaesthesia", False),
    ],
)
def test_the_anaesthetic_head_to_head_rule_needs_the_regimen_compared(title: str, head_to_head: bool) -> None:
    got = ask(title, ("rct",), methods="Children were randomized in a double-blind design.")
    assert (got == "head_to_head") is head_to_head, got


@pytest.mark.parametrize(
    "title",
    [
        "Safety and clinical outcomes of ketamine infusions for depression: a retrospective study",
        "Safety and feasibility of outpatient esketamine treatment: a retrospective cohort",
        "Adverse events and symptom improvement after ketamine infusions: a registry study",
        "Depressive symptoms and adverse effects during ketamine treatment: a retrospective cohort",
        "Safety planning and ketamine in the emergency department: a retrospective cohort",
    ],
)
def test_an_observational_title_naming_benefit_beside_harms_stays_observational(title: str) -> None:
    assert ask(title, ("observational",), objective="To describe what happened in these patients.") == "observational"


@pytest.mark.parametrize(
    ("title", "designs", "objective", "methods", "question"),
    [
        # A co-intervention's effect in patients given the drug is a trial of that co-intervention, not a predictor.
        ("Effect of atropine on hypersalivation in children receiving intramuscular ketamine", ("rct",), None,
         "Children were randomized to atropine or saline.", "efficacy_vs_control"),
        # ECT named in the treatment history does not undo a ketamine-versus-ECT trial.
        ("Ketamine versus ECT for depression: a randomized trial", ("rct",), None,
         "Patients were randomized to ketamine or ECT. Treatment history was obtained from records.", "head_to_head"),
        # A randomised factor "influencing" the effect is the comparison, not a moderator.
        ("Ketamine routes in depression", ("rct",), "To test whether the efficacy of ketamine is influenced by the "
         "route of administration.", "Patients were randomized to intravenous or intramuscular ketamine or placebo.",
         "efficacy_vs_control"),
        # A letter mentioned in passing leaves an RCT an RCT.
        ("Ketamine for depression: a randomized trial", ("rct",), None, "We previously reported preliminary results "
         "in a letter to the editor. Patients were randomized to ketamine or placebo.", "efficacy_vs_control"),
        # The drug "reproducing" a relief is not a model of a disorder.
        ("Ketamine reproduces the rapid relief of depressive symptoms seen after sleep deprivation: a randomized "
         "trial", ("rct",), None, "Patients were randomized to ketamine or placebo.", "efficacy_vs_control"),
    ],
)
def test_a_reviewers_titles_keep_their_questions(
    title: str, designs: tuple[str, ...], objective: str | None, methods: str, question: str
) -> None:
    assert ask(title, designs, objective=objective, methods=methods) == question


@pytest.mark.parametrize(
    ("title", "designs", "methods", "question"),
    [
        # Routes of the drug compared: a dose-and-schedule question, as the label schema has it.
        (
            "Intramuscular versus intravenous ketamine for treatment-resistant depression: a randomized trial",
            ("rct",),
            "Patients were randomized to intramuscular or intravenous ketamine 0.5 mg/kg.",
            "dose_or_schedule",
        ),
        # ... and not where a cohort received either route, nor another drug by the same route.
        (
            "Ketamine in treatment-resistant inpatients: a naturalistic cohort study",
            ("observational",),
            "Patients received intravenous or intranasal ketamine as part of routine care.",
            "observational",
        ),
        (
            "Intranasal dexmedetomidine versus intranasal ketamine as premedication in children: a randomized trial",
            ("rct",),
            "Children were randomized to intranasal dexmedetomidine or intranasal ketamine before surgery.",
            "head_to_head",
        ),
        # Dosing intervals or fixed doses randomised against each other, with no placebo.
        (
            "Once-a-week or twice-a-week ketamine infusions for major depression",
            ("rct",),
            "Forty outpatients were randomized to receive ketamine 0.5 mg/kg once a week or twice a week.",
            "dose_or_schedule",
        ),
        # One arm's flexible dosing described is no comparison of schedules.
        (
            "Esketamine nasal spray in Japanese patients with treatment-resistant depression: an open-label study",
            ("non_randomized_trial",),
            "Esketamine 56 mg or 84 mg was given twice weekly for 4 weeks and then weekly or every other week.",
            "single_arm_open_label",
        ),
        # A control arm of standard care alone.
        (
            "Adding ketamine to inpatient care for suicidal depression",
            ("rct",),
            "Patients were randomized to a ketamine infusion in addition to standard inpatient care, or standard "
            "inpatient care only.",
            "efficacy_vs_control",
        ),
        # Two drugs joined by "or" for sedation or intubation.
        (
            "Ketamine or propofol for procedural sedation in adults undergoing emergency orthopaedic reduction",
            ("rct",),
            "Adults were randomized to ketamine or propofol.",
            "head_to_head",
        ),
        # One patient named in the title; a data source named instead of a design.
        ("Manic switch after intravenous ketamine in a patient with bipolar II disorder", (), None, "case_report"),
        ("Esketamine use in Sweden: a nationwide register study of treatment patterns", (), None, "observational"),
    ],
)
def test_probe_wordings_of_arms_routes_and_sources(
    title: str, designs: tuple[str, ...], methods: str | None, question: str
) -> None:
    assert ask(title, designs, methods=methods) == question


@pytest.mark.parametrize(
    ("title", "designs"),
    [
        ("Liver injury in patients receiving prolonged ketamine infusions for chronic pain", ()),
        ("Bladder symptoms in patients treated with low-dose ketamine for depression", ()),
        ("Blood pressure changes during intravenous ketamine for depression: 684 infusions", ("observational",)),
    ],
)
def test_harms_named_by_organ_or_sign_are_a_safety_question(title: str, designs: tuple[str, ...]) -> None:
    assert ask(title, designs) == "safety_only"


@pytest.mark.parametrize(
    ("title", "designs", "methods", "question"),
    [
        # Two forms of the drug by two routes are two drugs; something added to the second is another regimen.
        (
            "Intranasal esketamine versus intravenous ketamine for treatment-resistant depression: a randomized trial",
            ("rct",),
            None,
            "head_to_head",
        ),
        # A route given within one arm of a comparison with another treatment.
        (
            "Ketamine versus ECT for depression",
            ("rct",),
            "Patients were randomized to ECT or to ketamine, which was given as IV or IM ketamine.",
            "head_to_head",
        ),
        # One arm's flexible dose, and a title running into the methods, are no dose comparison.
        (
            "Esketamine versus treatment as usual in treatment-resistant depression: a randomized trial",
            ("rct",),
            "Patients were randomized to esketamine nasal spray (56 mg or 84 mg) or continued treatment as usual.",
            "efficacy_vs_control",
        ),
        (
            "Real-world esketamine dosing: 56 mg versus 84 mg",
            ("observational",),
            "Data were extracted from the medical records of 300 patients.",
            "observational",
        ),
        # Routes compared around an operation are that operation's prevention, as doses compared there are.
        (
            "Intramuscular versus intravenous ketamine for postoperative analgesia after tonsillectomy",
            ("rct",),
            "Children were randomized to intramuscular or intravenous ketamine.",
            "perioperative_prevention",
        ),
        # "In a patient-level analysis", "in a patient-controlled device", "in a child emergency department".
        ("Predictors of response to esketamine in a patient-level pooled analysis of five trials", (), None,
         "predictor_or_secondary"),
        ("Ketamine for agitation in a child emergency department: a retrospective chart review", ("observational",),
         None, "observational"),
        # Two drugs "or" a registry's data, and analgesia after an operation.
        ("Ketamine or etomidate for intubation in sepsis: a registry analysis", ("non_randomized_trial",),
         "Data from the national emergency airway registry were analysed.", "observational"),
        ("Ketamine or tramadol for analgesia after tonsillectomy in children", ("rct",), None,
         "perioperative_prevention"),
    ],
)
def test_a_reviewers_probes_of_routes_doses_and_one_patient(
    title: str, designs: tuple[str, ...], methods: str | None, question: str
) -> None:
    assert ask(title, designs, methods=methods) == question
