"""Wording families found by the fifth round of probes (``bench/probes/round5/``, stop 38: whole abstracts with every
result sentence labelled), each pinned in both directions where the rule could overreach: baseline and pre-treatment
comparisons are no finding, nulls said in other words, correlations signed by their coefficient, a larger
improvement read by the measure it names, and study questions read from the title's routes, doses, registry or
open-label subtitle. Made-up text; in-repo data only."""

from __future__ import annotations

import pytest

from tests import evidence_probe

METHODS = "Adults with treatment-resistant depression were randomized to ketamine 0.5 mg/kg or midazolam 0.045 mg/kg."


def read(sentence: str, methods: str = METHODS) -> list[str]:
    """The directions read from ``sentence`` as the results of a made-up midazolam-controlled trial."""
    return evidence_probe.read(sentence, methods, title="Ketamine versus midazolam: a randomized trial")


def ask(title: str, methods: str, designs: tuple[str, ...] = ("rct",)) -> str:
    return evidence_probe.ask(title, methods, designs)


@pytest.mark.parametrize(
    "sentence",
    [
        "Baseline MADRS scores averaged 33.4 in the ketamine group and 32.9 in the midazolam group.",
        "Women had higher baseline MADRS scores than men (38.1 vs 36.4).",
        "At baseline, 62% of the participants met criteria for anxious distress.",
        "The two groups did not differ on demographic or clinical characteristics at entry.",
        "There was no statistical difference in the age, BMI and ASA classification between groups.",
        "Preoperative cytokine concentrations did not differ between groups.",
        "The ketamine group had more prior suicide attempts and longer illness duration than the comparison group.",
        "The absence of a control group and the self-selected sample limit inferences about efficacy.",
    ],
)
def test_who_the_participants_were_is_no_finding(sentence: str) -> None:
    assert read(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # A baseline value related to the response, or changed from baseline, is a result.
        ("Higher baseline anhedonia predicted a larger response to ketamine (r = 0.40, p = 0.01).", "increased"),
        ("The mean baseline MADRS score was 36.7, which decreased to 27.8 at 24 h (p = 0.036).", "decreased"),
        ("MADRS scores decreased significantly from baseline with ketamine (p < 0.001).", "decreased"),
        # Patients against healthy volunteers before treatment: a difference the labels count.
        ("At baseline, total sleep time was lower in patients than in healthy volunteers (p = 0.006).", "decreased"),
    ],
)
def test_baseline_related_to_response_or_changed_is_a_result(sentence: str, want: str) -> None:
    assert want in read(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "No dose separated from midazolam after day 3.",
        "At 4-week follow-up, no cognitive domain differed between groups.",
        "Anxious distress did not moderate the antidepressant efficacy of ketamine.",
        "Depressive symptoms did not worsen during up to 3 years of maintenance treatment.",
        "Responder rates were numerically in favour of ketamine (28% vs 21%) without reaching significance.",
        "Extubation time in group E2 was slightly longer than in group C but without statistical significance.",
        "Adding a third weekly infusion offered no advantage over twice-weekly dosing.",
        "A single short infusion has no lasting analgesic effect in fibromyalgia.",
        "Delirium-free days and ventilator-free days were also similar between groups.",
        "Patients with comorbid anxiety had response rates similar to those without (48% vs 53%).",
        "Patients with bipolar II disorder improved to the same extent as those with bipolar I disorder.",
        "MADRS scores fell by a similar amount with twice-weekly and thrice-weekly ketamine.",
        "At 3 months, PCL-5 scores were no longer significantly lower than at baseline.",
    ],
)
def test_nulls_said_in_other_words(sentence: str) -> None:
    assert "no_difference" in read(sentence)


def test_a_null_against_other_studies_is_not_one() -> None:
    assert read("Response rates with ketamine were similar to those reported in previous trials.") == []


def test_a_harm_not_increased_is_a_second_result_beside_the_first() -> None:
    got = read(
        "Ketamine significantly reduced the incidence of delirium, without increasing the rate of adverse reactions."
    )
    assert "decreased" in got and "no_difference" in got


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        ("Peak dissociation correlated negatively with MADRS change at day 7 (r = −0.22, p = 0.002).", "decreased"),
        ("The change in BDNF correlated with the change in MADRS score (r = −0.45, p = 0.01).", "decreased"),
        ("The fall in insular activation correlated with the fall in pain (r = 0.61, P = 0.01).", "increased"),
        ("Allodynia at baseline correlated positively with pain relief (Spearman ρ = 0.38, P = 0.002).", "increased"),
    ],
)
def test_correlations_signed_by_their_coefficient_or_adverb(sentence: str, want: str) -> None:
    assert read(sentence) == [want]


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # The convention for evaluative wording: a symptom measure's improvement is its fall.
        ("At day 1, the ketamine group showed a larger MADRS improvement than midazolam (p = 0.004).", "decreased"),
        ("Mask acceptance was better with ketamine than with midazolam (P = 0.02).", "increased"),
        ("Ketamine shortened the time to adequate sedation compared with midazolam (p = 0.01).", "decreased"),
        ("Ketamine approximately halved the incidence of delirium (p = 0.01).", "decreased"),
    ],
)
def test_change_words_and_what_they_measure(sentence: str, want: str) -> None:
    assert want in read(sentence)


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        (
            "Oral versus intravenous ketamine for depression: a randomized, double-dummy comparison of routes",
            "Adults were randomized to oral ketamine and intravenous placebo or intravenous ketamine and oral placebo.",
            "dose_or_schedule",
        ),
        (
            "Initial oral ketamine dose of 1.0 versus 1.5 mg/kg for treatment-resistant depression",
            "Adults were randomized to 1.0 or 1.5 mg/kg.",
            "dose_or_schedule",
        ),
        (
            "Prehospital analgesia with ketamine or fentanyl in trauma patients: analysis of a registry",
            "We analysed registry records of patients given ketamine or fentanyl compared with midazolam sedation.",
            "observational",
        ),
        (
            "Rapid and sustained antidepressant response to serial ketamine infusions: an open-label study",
            "Patients who had failed ECT received six infusions of ketamine.",
            "single_arm_open_label",
        ),
        (
            "Long-term maintenance with esketamine nasal spray: results of a 3-year open-label extension study",
            "Patients from two randomized trials continued esketamine with dosing frequency adjusted.",
            "single_arm_open_label",
        ),
        (
            "Open-label intravenous ketamine for veterans with chronic PTSD: symptom trajectories over 3 months",
            "Veterans received six infusions.",
            "single_arm_open_label",
        ),
        (
            "Midazolam premedication to prevent emergence phenomena after ketamine anesthesia for curettage",
            "Women were randomized to midazolam or saline before ketamine anesthesia.",
            "anaesthetic_or_adjunct",
        ),
    ],
)
def test_questions_read_from_the_title(title: str, methods: str, want: str) -> None:
    assert ask(title, methods) == want


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        # Two drugs, not two routes, and a randomised trial in a registry: the rules that read arms decide.
        (
            "Intranasal ketamine versus intravenous fentanyl for acute pain in the emergency department",
            "Adults were randomized to intranasal ketamine or intravenous fentanyl.",
            "head_to_head",
        ),
        (
            "Ketamine in alcohol use disorder: a randomized trial nested in a national registry",
            "Patients were randomized to ketamine or midazolam.",
            "efficacy_vs_control",
        ),
        # Doses compared for sedation are the setting's prevention, as an earlier review of routes decided.
        (
            "Initial intravenous ketamine dose of 1.0 versus 1.5 mg/kg for pediatric procedural sedation",
            "Children were randomized to 1.0 or 1.5 mg/kg.",
            "perioperative_prevention",
        ),
        (
            "Ketamine versus placebo: an open-label randomized study",
            "Patients were randomized to ketamine or placebo.",
            "efficacy_vs_control",
        ),
    ],
)
def test_title_rules_do_not_overreach(title: str, methods: str, want: str) -> None:
    assert ask(title, methods) == want


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # A subgroup by a trait that fared better: a positive association, as the labels code predictors.
        ("Participants reporting abuse had a larger ketamine-related MADRS fall than those without.", "increased"),
        ("Patients with more severe baseline depression showed larger absolute improvements in PHQ-9.", "increased"),
        ("A history of childhood abuse may identify patients who benefit more from ketamine.", "increased"),
        # ... not patients treated with the drug (its own effect), nor the trial's arms.
        ("Patients with depression given ketamine showed greater improvement in MADRS (p < 0.001).", "decreased"),
        ("Patients in the ketamine group improved more than those in the midazolam group (p = 0.01).", "decreased"),
    ],
)
def test_who_fared_better(sentence: str, want: str) -> None:
    assert read(sentence) == [want]


def test_the_comparator_associated_with_more_than_the_drug_is_two_arms_compared() -> None:
    methods = "Patients were randomized to ketamine or electroconvulsive therapy (ECT)."
    sentence = "ECT was associated with a greater reduction in depression than ketamine (SMD 0.69; 95% CI 0.14-1.24)."
    assert read(sentence, methods) == ["increased"]


# A reviewer's adversarial inputs against the round-5 rules (stop 38), each a defect found and fixed.
@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        ("Baseline-adjusted MADRS scores were lower with ketamine than with midazolam (p = 0.002).", "decreased"),
        ("Baseline GABA was lower in patients than in healthy controls (p = 0.01).", "decreased"),
        ("Patients with higher baseline BDNF levels showed larger decreases in MADRS score (p = 0.03).", "increased"),
        ("Compared with healthy controls, patients showed lower baseline connectivity (p = 0.003).", "decreased"),
        ("Before treatment, mean MADRS was 32.4; after six infusions it fell to 14.1 (p < 0.001).", "decreased"),
        ("At baseline, 70% reported suicidal ideation, compared with 20% after treatment (p < 0.001).", "decreased"),
        ("Although the lack of a control group limits causal inferences, MADRS fell by 50% (p < 0.001).", "decreased"),
        (
            "Patients with more previous admissions were less likely to respond (OR 0.62, 95% CI 0.45-0.85).",
            "decreased",
        ),
        ("Response rates were higher with ketamine than midazolam on both days, by a similar margin.", "increased"),
        ("Remission was achieved in 40% of patients without increasing the infusion frequency.", "increased"),
        ("MADRS scores fell by 15 after ketamine and by 7 after midazolam (p < 0.001).", "decreased"),
        ("Among 22 given ketamine and 18 given midazolam, MADRS fell more with ketamine (p < 0.001).", "decreased"),
        ("With the shortened 15-minute infusion, dissociation scores were higher than with midazolam.", "increased"),
        ("Ketamine reduced MADRS more than midazolam (p < 0.001), with effects similar to those of ECT.", "decreased"),
    ],
)
def test_a_reviewers_inputs_keep_their_result(sentence: str, want: str) -> None:
    assert read(sentence) == [want]


@pytest.mark.parametrize(
    "sentence",
    [
        "Replication is needed in more diverse samples before concluding that ketamine reduces suicidal ideation.",
        "It remains unclear whether ketamine improves sleep quality, reduces pain or shortens hospital stay.",
    ],
)
def test_a_reviewers_inputs_that_report_nothing(sentence: str) -> None:
    assert read(sentence) == []


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        (
            "IV or IM ketamine compared with midazolam for acute agitation in the emergency department",
            "Patients were randomized to ketamine or midazolam.",
            "efficacy_vs_control",
        ),
        (
            "Ketamine 0.3 mg/kg versus 0.1 mg/kg morphine for acute abdominal pain in the emergency department",
            "Adults were randomized to ketamine 0.3 mg/kg or morphine 0.1 mg/kg.",
            "head_to_head",
        ),
        (
            "Ketamine versus etomidate for rapid sequence intubation: a registry-embedded RCT",
            "Adults were randomized to ketamine or etomidate.",
            "head_to_head",
        ),
        (
            "Psilocybin or ketamine for treatment-resistant depression: an open-label trial",
            "Patients were randomized to psilocybin or ketamine.",
            "head_to_head",
        ),
        (
            "Ketamine versus midazolam for PTSD: trial and open-label extension",
            "Patients were randomized to ketamine or midazolam.",
            "efficacy_vs_control",
        ),
        (
            "Open-label ketamine infusions for depression: sex differences in response",
            "Patients received six infusions.",
            "predictor_or_secondary",
        ),
    ],
)
def test_a_reviewers_titles(title: str, methods: str, want: str) -> None:
    assert ask(title, methods) == want


@pytest.mark.parametrize(
    "sentence",
    [
        "Urinary symptoms were no more common with ketamine than with midazolam.",
        "In the subgroup aged over 75 years, MADRS was again not reduced by ketamine.",
        "Dissociation was brief and not associated with the improvement in MADRS.",
        "At day 7 none of the dose levels was superior to midazolam.",
        "Extubation time and PACU stay were not prolonged by ketamine.",
    ],
)
def test_change_words_denied(sentence: str) -> None:
    """Round 6 (stop 38), read after its first reading: a change denied in other words is no difference."""
    assert "no_difference" in read(sentence)


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        (
            "A double-blind, randomized comparison of twice-weekly and thrice-weekly ketamine infusions",
            "Patients were randomized to two or three infusions a week; a placebo infusion kept the blind.",
            "dose_or_schedule",
        ),
        (
            "Cognitive behavioural therapy to sustain the antidepressant response to ketamine: a randomised trial",
            "Responders to ketamine were randomized to CBT or treatment as usual.",
            "anaesthetic_or_adjunct",
        ),
    ],
)
def test_round6_titles(title: str, methods: str, want: str) -> None:
    assert ask(title, methods) == want


def test_a_chart_review_of_hundreds_is_not_a_case_report() -> None:
    title = "Outcomes of intravenous ketamine in a community clinic: a retrospective chart review of 412 patients"
    assert ask(
        title, "Charts of all patients treated in 2019-2022 were reviewed.", ("observational", "case_report")
    ) == ("observational")
