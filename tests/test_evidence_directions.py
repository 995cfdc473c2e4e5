"""Directions the unseen-record reviews found read wrong (evidence reader, issue 12, round 3).

Each case is the general form of a phrasing seen in records never labelled: the control arm as
the subject of a comparative, negated good news, a change word carried across a list, and so on.
"""

from __future__ import annotations

import pytest

from ketlit.evidence import numbers as nums
from ketlit.evidence.findings import read_clause, read_findings
from ketlit.evidence.profile import read_profile
from ketlit.evidence.roles import assign_roles
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection, Article

RULES = packaged_rules()


def _read(clause: str) -> tuple[str, str] | None:
    found = read_clause(clause, 0, RULES.findings)
    return None if found is None else (found.direction, found.favours)


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # The control arm named as the subject of a comparative, the drug's arm not named by name.
        (
            "Afterward, the incidence of global cognitive impairment in the control group was higher than it was "
            "in the study group.",
            ("decreased", "intervention"),
        ),
        (
            "In addition, the decline in the memory scale was greater in the control group than in the study group.",
            ("increased", "intervention"),
        ),
        (
            "Discharge time was statistically longer in patients who received placebo compared with group K "
            "(55 minutes vs 44 minutes; P < 0.001).",
            ("decreased", "intervention"),
        ),
        # Not turned round: the drug's arm is the subject, the comparator is the reference, a change
        # within the control arm (a verb, no comparative), an arm of a trajectory analysis.
        ("Treatment times were shorter in the study group than in the control group.", ("decreased", "intervention")),
        ("Pain scores were lower than in the placebo group (P = 0.01).", ("decreased", "intervention")),
        ("Depression scores decreased in the placebo group.", ("decreased", "intervention")),
    ],
)
def test_the_control_arm_as_the_subject_of_a_comparative_turns_the_finding_round(
    clause: str, expected: tuple[str, str]
) -> None:
    assert _read(clause) == expected


def test_an_association_within_the_control_arm_is_not_turned_round() -> None:
    clause = "Higher depersonalization scores when receiving midazolam were associated with less improvement."
    assert _read(clause) == ("decreased", "neither")


@pytest.mark.parametrize(
    "clause",
    [
        "However, 0.2 mg/kg ketamine was insufficient to exert rapid antidepressant and antisuicidal effects in "
        "this patient population.",
        "Coadministration of ketamine and midazolam did not provide any further benefit over ketamine alone.",
        "Rapamycin pretreatment failed in blocking the antidepressant effects of ketamine.",
        "This preliminary study suggests that the antianhedonic effects of ketamine are not mediated by VEGF.",
        "Ketamine failed to increase abstinence rates relative to placebo.",
        "Adding ketamine failed to lower postoperative pain scores.",
    ],
)
def test_negated_good_news_is_no_difference(clause: str) -> None:
    assert _read(clause) == ("no_difference", "neither")


def test_a_count_of_days_that_rose() -> None:
    # The measure named is the days: more of them is an increase, good news or not as the days are.
    assert _read("Ketamine was associated with greater days abstinent than midazolam (p < 0.05).") == (
        "increased",
        "intervention",
    )
    assert _read("Participants given ketamine reported more days of heavy drinking (p = 0.03).") == (
        "increased",
        "comparator",
    )


def _findings_of(sentence: str) -> list[str]:
    sentences = assign_roles(abstract_sentences([AbstractSection("CONCLUSIONS", "CONCLUSIONS", sentence)]), RULES.roles)
    return [f.direction for f in read_findings(sentences, RULES.findings)]


@pytest.mark.parametrize(
    "sentence",
    [
        # Read by the rules ("reducing", "benefit", "raises") ...
        "The sample was small, reducing the power to detect small or medium associations.",
        "Our findings suggest that subsequent inquiry in this area will benefit from improved characterization of "
        "drug effects.",
        "This observation raises questions about the role of systemic vs. local blockade of mTORC1.",
        "In future clinical practice, ketamine dose may be adjusted according to the level of treatment "
        "refractoriness to achieve the best antidepressant effect.",
        # ... and added by the direction model where no rule reads a direction.
        "Future research should utilize larger samples to more definitively measure the magnitude of association "
        "between acute dissociative symptoms and later antidepressant response to ketamine.",
        "A low-dose ketamine infusion may be prioritized for depressed patients with moderate or high current "
        "suicide risk.",
    ],
)
def test_limitations_future_work_and_recommendations_are_not_findings(sentence: str) -> None:
    assert _findings_of(sentence) == []


def _comparator(title: str, methods: str) -> tuple[str | None, str | None]:
    article = Article(pmid="1", title=title, sections=[AbstractSection("METHODS", "METHODS", methods)])
    profile = read_profile(article, {"design": ["rct"]}, RULES)
    return profile.comparator, profile.comparator_kind


@pytest.mark.parametrize(
    ("title", "methods", "expected"),
    [
        # The procedure every arm undergoes, and its anaesthesia, are the setting: the arm is what
        # the drug was compared with.
        (
            "Effect of low-dose ketamine on memory in patients undergoing electroconvulsive therapy",
            "Patients undergoing ECT under propofol anesthesia were randomized to ketamine or placebo.",
            ("placebo", "inert_placebo"),
        ),
        (
            "Ketamine anesthesia during electroconvulsive therapy: comparing ketamine and propofol anesthesia",
            "Patients were assigned to propofol or ketamine anesthesia and underwent 8 ECT sessions.",
            ("propofol", "active_treatment"),
        ),
        (
            "Mood effects of ketamine in electroconvulsive therapy: a randomised controlled trial",
            "Patients treated with right unilateral ECT were randomised to receive either ketamine or saline in "
            "addition to thiopentone during anaesthesia for ECT.",
            ("saline", "inert_placebo"),
        ),
        # Words that describe the drug, a treatment failed before and the add-on every arm gets are no arm.
        (
            "Oral ketamine for treatment-resistant depression: a case series",
            "We assessed oral ketamine as an antidepressant treatment in adults who failed at least 3 adequate "
            "antidepressant trials.",
            (None, None),
        ),
        (
            "Acute dissociation and response to ketamine in adolescents",
            "Ketamine is a rapid-acting antidepressant. Participants took part in a midazolam-controlled crossover "
            "trial.",
            ("midazolam", "active_placebo"),
        ),
        (
            "Adverse events of esketamine nasal spray",
            "Patients with nonresponse to 2 oral antidepressants received esketamine nasal spray in conjunction with "
            "a new oral antidepressant.",
            (None, None),
        ),
        # An arm stays an arm.
        (
            "Ketamine versus ECT for major depression",
            "Patients were randomized to ketamine infusions or ECT.",
            ("ECT", "active_treatment"),
        ),
    ],
)
def test_the_study_comparator_is_an_arm_not_the_setting(
    title: str, methods: str, expected: tuple[str | None, str | None]
) -> None:
    assert _comparator(title, methods) == expected


def test_a_heterogeneity_p_printed_beside_i2_is_not_the_results_p() -> None:
    # "P = 0.36, I² = 2%": in the same bracket as the effect, the p can be either test's; where it
    # disagrees with the effect's own 95% CI it is the heterogeneity test's, and the CI decides.
    clause = (
        "Scores were also reduced in patients receiving ketamine, with SMD -0.33 (95% CI [-0.52, -0.14], P = 0.36, "
        "I(2) = 2%; 3 studies)"
    )
    assert _read(clause) == ("decreased", "intervention")
    several = (
        "Ketamine resulted in a significantly increased risk of nausea (RR 1.71, 95% CI [1.25, 2.33], P = 0.17, "
        "I(2) = 35%; 6 studies) and headache (RR 4.88, 95% CI [1.97, 12.06], P = 0.83, I(2) = 0%; 4 studies)."
    )
    assert set(_findings_of(several)) == {"increased"}
    # An effect's p beside I² that agrees with its CI stays its p; so does one without a CI to weigh it by.
    kept = "SMD -0.65, 95% CI [-1.12, -0.17], P < 0.001, I(2) = 94% on day 3"
    assert [p.text for p in nums.p_values(kept, nums.effects(kept))] == ["< .001"]
    assert [p.text for p in nums.p_values("(P = 0.36, I2 = 2%)")] == ["= .36"]
    # Heterogeneity named before the p: "I² = 2%, P = 0.36", "test for heterogeneity, P = 0.4".
    assert nums.p_values("I(2) = 13%, P = 0.33") == []
    assert nums.p_values("test for heterogeneity, P = 0.4") == []


@pytest.mark.parametrize(
    "clause",
    [
        "When dose and Glx response were included in a mediation model, ketamine dose was no longer associated "
        "with antidepressant effect.",
        "The side effects in the remaining individual were no longer clinically significant within 4 days.",
        "The treatment effect was no longer significant at the end of the 7-day assessment period.",
    ],
)
def test_no_longer_is_an_effect_gone_not_a_longer_one(clause: str) -> None:
    assert _read(clause) == ("no_difference", "neither")


def test_longer_without_no_is_still_an_increase() -> None:
    found = _read("Time to relapse was significantly longer in the ketamine group (p = 0.01).")
    assert found is not None and found[0] == "increased"


@pytest.mark.parametrize(
    "sentence",
    [
        "Thus, we predicted that ketamine would produce reduced activity in limbic and visual brain regions.",
        "In addition, implicit processing and explicit processing were predicted to be differentially affected.",
        "We expected that ketamine would increase connectivity in the default mode network.",
        # The clauses after a prediction go on with it.
        "Thus, we predicted that ketamine would produce reduced activity in limbic regions, and increased "
        "activity in dorsal regions of the prefrontal cortex.",
    ],
)
def test_a_prediction_is_not_a_result(sentence: str) -> None:
    assert _findings_of(sentence) == []


def test_a_result_that_bore_a_prediction_out_is_still_a_result() -> None:
    assert _findings_of("As we predicted, ketamine significantly reduced depression scores (p = 0.01).") == [
        "decreased"
    ]


def test_a_change_word_is_carried_down_a_list_only_to_the_next_change_word() -> None:
    sentence = (
        "In the S-ketamine group, a lower initial seizure threshold (p = 0.014), stimulation charge (p < 0.001), "
        "higher postictal suppression (p < 0.001), EEG ictal amplitude (p = 0.04), EEG coherence (p < 0.001) and "
        "maximum heart rate (p = 0.015) were measured."
    )
    assert _findings_of(sentence) == ["decreased", "decreased", "increased", "increased", "increased", "increased"]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # A smaller increase is less of the outcome, whatever "increases" names.
        ("Signal increases were significantly lower in the ketamine group.", "decreased"),
        ("The increase in heart rate was significantly attenuated by ketamine (p = 0.01).", "decreased"),
        ("Heart rate increased significantly after ketamine (p = 0.01).", "increased"),
        # Equally effective: no difference between the arms compared.
        ("It is concluded that intravenous, oral, and rectal ketamine are equally effective for procedures.", None),
    ],
)
def test_a_smaller_increase_and_equal_effectiveness(clause: str, expected: str | None) -> None:
    found = _read(clause)
    assert found is not None
    assert found[0] == (expected or "no_difference")


def test_a_mixed_effects_model_is_a_method_not_mixed_results() -> None:
    sentence = "MADRS total score was the dependent variable in a linear mixed effects model."
    assert _findings_of(sentence) == []
    assert _read("Results were mixed across functional outcomes.") == ("no_difference", "neither")


def test_a_bare_null_after_arm_rates_is_what_the_rates_show() -> None:
    sentence = (
        "After the ECT, the response and remission rates were 82.09% and 73.13%, respectively, in group KP, and "
        "81.43% and 68.57%, respectively, in group P; there was no statistical difference between groups."
    )
    assert _findings_of(sentence) == ["no_difference"]
    # A null with numbers of its own is a result of its own.
    sentence = (
        "Response rates were 60% and 30% in the two groups (p = 0.01); there was no difference in dropout (p = 0.6)."
    )
    assert _findings_of(sentence)[-1] == "no_difference"


def test_means_with_sds_named_respectively_are_each_results_arms() -> None:
    # The first p is the baseline's; the later results are the arms' means at follow-up, in order.
    sentence = (
        "Results showed that the mean depression score in the intervention and control groups were 13.78±3.87 and "
        "13.79±4.78 (p = 0.98) before surgery, 11.82±3.41 and 14.34±4.29 (p < 0.001) two weeks after and "
        "10.84±3.48 and 13.09±3.79 (p = 0.001) four weeks after surgery, respectively."
    )
    assert _findings_of(sentence) == ["no_difference", "decreased", "decreased"]


def test_a_record_that_never_names_the_drug_is_not_a_study_of_it() -> None:
    # Tagged with the drug through its keywords only (a substance among many its users took): off-topic.
    ecstasy = Article(
        pmid="1",
        title="Ecstasy exposure and verbal memory: a randomized placebo-controlled comparison",
        sections=[AbstractSection("RESULTS", "RESULTS", "Ecstasy users recalled fewer words than controls.")],
        keywords=["ketamine", "cannabis"],
    )
    profile = read_profile(ecstasy, {"design": ["rct"]}, RULES)
    assert (profile.question.value, profile.question.rule) == ("other", -1)
    assert "named in neither" in profile.question.words
    # Named in the abstract only (not the title): a study of the drug as the rules read it.
    named = Article(
        pmid="2",
        title="A randomized placebo-controlled trial in treatment-resistant depression",
        sections=[AbstractSection("METHODS", "METHODS", "Patients received ketamine or placebo.")],
    )
    assert read_profile(named, {"design": ["rct"]}, RULES).question.value == "efficacy_vs_control"


@pytest.mark.parametrize(
    ("clause", "direction"),
    [
        # An effect done away with is a decrease of it.
        ("Pretreatment with lamotrigine abolished the effect of ketamine on perfusion.", "decreased"),
        # Relief names the condition's fall.
        ("Pain relief was observed but without stability.", "decreased"),
        # Every one of a few patients reaching a good outcome.
        ("All three patients responded to the ketamine infusions", "increased"),
    ],
)
def test_abolished_effects_relief_and_all_patients_responding(clause: str, direction: str) -> None:
    found = _read(clause)
    assert found is not None and found[0] == direction


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # The control arm as the subject, the reference after it: "for" is not the reference word "or".
        (
            "The odds of developing postoperative delirium were greater for patients receiving placebo compared "
            "with ketamine treatment (odds ratio = 12.6; 95% confidence interval, 1.5-107.5)",
            "decreased",
        ),
        # A change nothing showed.
        ("No areas showed a decrease in regional cerebral blood flow.", "no_difference"),
        # What an earlier study of the authors found is background, not this study's finding.
        ("Our previous study of six open-label infusions in 11 adolescents showed variable response", None),
    ],
)
def test_reference_words_whole_negated_changes_and_previous_studies(clause: str, expected: str | None) -> None:
    found = _read(clause)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # "p = 0.05" is significant at the 5% level, as "p < 0.05" and "p ≤ 0.05" are.
        ("MADRS-SI was lower in the ketamine group than the midazolam group at 24 h (p = 0.05).", "decreased"),
        ("MADRS-SI was lower in the ketamine group than the midazolam group at 24 h (p = 0.06).", "no_difference"),
        # Anatomy, not a comparison: "superior temporal gyrus" decides nothing (it read "superior" as better).
        ("Hyperactivations in the left superior temporal gyrus were found in association with a lack of spontaneity.",
         None),
        ("Modulation of connectivity between right primary auditory cortex and right inferior temporal cortex", None),
    ],
)
def test_p_at_the_threshold_and_superior_as_anatomy(clause: str, expected: str | None) -> None:
    found = _read(clause)
    assert (found[0] if found else None) == expected


def test_an_aside_against_an_outside_figure_and_more_frequent_findings() -> None:
    found = read_findings(
        assign_roles(
            abstract_sentences(
                [
                    AbstractSection(
                        "RESULTS",
                        "RESULTS",
                        "There was a significant difference in the response rate across the three groups (0.5 mg/kg: "
                        "45.8%; placebo: 12.5%; p = 0.03), which is much lower than that in other populations (70%).",
                    )
                ]
            ),
            RULES.roles,
        ),
        RULES.findings,
    )
    assert [f.direction for f in found] == ["increased"]
    more = _read("Depressive symptoms were also more frequently found in current ketamine users (p < .001).")
    assert more is not None and more[0] == "increased"


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # The reference's measure named again before the control arm ("than those of the control group"): the arm
        # a comparative is said of is the drug's ("study", "observation" group), so the result is not turned round.
        (
            "The postoperative VAS scores of the study group (1.86 ± 0.65) were lower than those of the control "
            "group (3.04 ± 0.79) (P < .05).",
            ("decreased", "intervention"),
        ),
        ("The MADRS scores of the observation group were lower than that in the control group (P < 0.05).",
         ("decreased", "intervention")),
        # ... while the control arm as the subject still turns it round.
        ("The incidence of delirium in the control group was higher than that in the study group (P < .05).",
         ("decreased", "intervention")),
        # The size of a fall: the fall decides ("a stronger transient decrease"), a size of a rise stays a rise.
        ("Ketamine elicited a stronger transient decrease in connectivity compared to midazolam.",
         ("decreased", "neither")),
        ("Ketamine produced a larger increase in heart rate than saline.", ("increased", "neither")),
        # "did not promote a greater increase": negated, whatever the change word after it.
        ("Ketamine did not promote a greater increase in connectivity compared to midazolam.",
         ("no_difference", "neither")),
        # "symptomatic improvement" is a fall of the symptom burden, even with a function named later.
        ("Ketamine resulted in sustained symptomatic improvement in both cases, accompanied by changes indicative of "
         "altered brain function.", ("decreased", "intervention")),
    ],
)
def test_comparatives_with_the_reference_measure_sizes_of_change_and_negated_promotion(
    clause: str, expected: tuple[str, str]
) -> None:
    got = _read(clause)
    assert got is not None and got[0] == expected[0], got
    if expected[1] != "neither":
        assert got[1] == expected[1], got


def test_a_sensitivity_analysis_restating_the_result_is_no_finding() -> None:
    assert _findings_of("The sensitivity analysis produced the same results.") == []
    assert _findings_of("A sensitivity analysis confirmed the same findings.") == []
    assert _findings_of("Ketamine produced greater response rates than placebo.") != []


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # A change named, then said to have occurred in no one: no difference.
        ("Feelings of sadness, decreased interest in sex, and physical discomfort were absent in all patients.",
         "no_difference"),
        # The most pronounced clinical effects: the arm's benefit, a fall of the symptom burden.
        ("High-dose intravenous ketamine resulted in the most pronounced clinical effects.", "decreased"),
    ],
)
def test_changes_absent_in_everyone_and_the_most_pronounced_effects(clause: str, expected: str) -> None:
    got = _read(clause)
    assert got is not None and got[0] == expected, got


def test_an_event_absent_in_one_arm_is_not_read_as_no_difference() -> None:
    assert _read("Headache was absent in the ketamine group.") is None


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("Esketamine resulted in significantly greater mystical experiences compared to placebo.", "increased"),
        # A greater improvement is read by the evaluation (the symptom burden fell), a greater reduction by the fall.
        ("Ketamine produced significantly greater improvement in depression than placebo (p = 0.01).", "decreased"),
        ("Ketamine produced a significantly greater reduction in MADRS scores than midazolam.", "decreased"),
    ],
)
def test_significantly_greater_is_more_of_what_it_names(clause: str, expected: str) -> None:
    got = _read(clause)
    assert got is not None and got[0] == expected, got


@pytest.mark.parametrize(
    ("clause", "direction"),
    [
        # The drug did better: the condition's burden fell, whatever sign its standardised difference carries.
        ("Ketamine has a small relative advantage over controls (g = 0.35, 95% CI = 0.06, 0.64).", "decreased"),
        ("The interaction for fatigue score was significant (F = 3.44, p = 0.022), favoring IN ketamine over placebo.",
         "decreased"),
        ("Esketamine effectively relieved pain on the first postoperative day compared to control.", "decreased"),
        # "4 weeks or longer" is a duration, not a change found.
        ("In periods of 4 weeks or longer, ketamine showed significantly better antidepressant effects than placebo.",
         "decreased"),
        # "95%, CI": the interval is read with its comma, and it spans no effect.
        ("Bias-correction estimates attenuated this effect (adjusted g = 0.20, 95%, CI = -0.08, 0.48).",
         "no_difference"),
    ],
)
def test_evaluations_of_the_drug_and_a_duration_that_is_no_change(clause: str, direction: str) -> None:
    read = _read(clause)
    assert read is not None and read[0] == direction


def test_comparable_outcomes_shown_and_a_responder_definition_with_a_slanted_sign() -> None:
    assert _read("These three infusion groups showed comparable safety and efficacy.") == ("no_difference", "neither")
    # "⩾" defines who counts as a responder as "≥" does: the count is the result, not the reduction.
    read = _read("Overall, 14/25 patients (56%) were responders (⩾50% reduction at 24 h compared with baseline).")
    assert read is not None and read[0] == "increased"


def _directions_in_results(text: str) -> list[str]:
    """The direction of every finding the reader reads in ``text`` as a labelled RESULTS section."""
    sentences = assign_roles(abstract_sentences([AbstractSection("RESULTS", "RESULTS", text)]), RULES.roles)
    return [f.direction for f in read_findings(sentences, RULES.findings)]


def test_a_reduced_dose_is_which_dose_not_a_change() -> None:
    # "reduced-dose" is an adjective, not a verb.
    assert _directions_in_results("Ketamine and reduced-dose propofol increased seizure duration.") == ["increased"]
    # A bare "and" before a change word joins a list of outcomes as often as two results: no cut there ("no
    # difference in nausea and increased salivation" is one null result).
    text = (
        "There was no significant difference between the ketamine and placebo groups in nausea and increased "
        "salivation."
    )
    assert _directions_in_results(text) == ["no_difference"]


def test_dropping_out_is_attrition_not_a_decrease() -> None:
    read = _directions_in_results
    assert read("Of the 31 patients, 17 met the criteria for the ketamine group but 2 dropped out of the study.") == []
    assert read("The 90 sessions were uneventful; the treatment was well tolerated and no patient dropped out.") == []
    assert read("Depression scores dropped significantly after ketamine (p < 0.01).") == ["decreased"]


@pytest.mark.parametrize(
    "text",
    [
        "The effects of ketamine on working memory are likely to involve impaired NMDA function.",
        "These changes could also be an indirect indicator of the plasticity changes induced by the drug.",
        "The study also used positron emission tomography imaging in a subset of patients to explore the mechanisms "
        "underpinning ketamine's anti-anhedonic effects.",
    ],
)
def test_speculation_and_methods_among_the_results_are_no_findings(text: str) -> None:
    assert _directions_in_results(text) == []


def test_a_result_that_names_a_method_is_still_a_result() -> None:
    text = "Ketamine significantly reduced depression scores compared with placebo (p < 0.01)."
    assert _directions_in_results(text) == ["decreased"]


@pytest.mark.parametrize(
    "text",
    [
        "(PsycInfo Database Record (c) 2024 APA, all rights reserved).",
        "No baseline differences were noted between the two groups.",
        "Esketamine, a dissociative drug, was approved for the management of major depressive disorder by the FDA.",
    ],
)
def test_publisher_lines_baseline_balance_and_approvals_are_no_results(text: str) -> None:
    assert _directions_in_results(text) == []


def test_a_result_followed_by_a_publisher_line_is_still_read() -> None:
    text = "Ketamine significantly reduced suicidal ideation compared with placebo (p = 0.01). © Springer Nature 2020."
    assert _directions_in_results(text) == ["decreased"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Both esketamine and operation time failed to significantly affect MMSE scores.", ["no_difference"]),
        ("Exploration of clinical factors revealed no link between BMI and remission.", ["no_difference"]),
        ("These changes were transient, returning to baseline levels 24 hours after treatment.", ["no_difference"]),
        # A question left open is no result; a result that "needs further study" is still asserted.
        ("Whether ketamine-related changes in connectivity may be associated with its antidepressant effects would "
         "need further investigation.", []),
    ],
)
def test_no_effect_wordings_and_open_questions(text: str, expected: list[str]) -> None:
    assert _directions_in_results(text) == expected


def test_up_and_down_regulation_are_changes() -> None:
    read = _directions_in_results
    assert read("In adults with depression, ketamine was associated with GLUT3 transporter upregulation.") == [
        "increased"
    ]
    assert read("Ketamine significantly down-regulated hippocampal GluN2B expression (p < 0.01).") == ["decreased"]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # A predictor of the treatment's good outcome is a positive association, whatever its own change word says.
        ("Lower baseline connectivity of the insula predicted the response to the infusion.", ("increased", "neither")),
        ("Baseline cortisol was a predictor for the antidepressant effects of the drug.",
         ("increased", "neither")),
        ("Reduced striatal volume was predictive of remission at week 4.", ("increased", "neither")),
        # Less of the good outcome, or a negative predictor, is not a positive association.
        ("Older age predicted poorer response at day 7.", ("decreased", "neither")),
        ("Higher anxiety was negatively predictive of response.", ("decreased", "neither")),
        # Tied to the good outcome without a comparative; a "direct relationship" is a positive one.
        ("Changes in sleep quality were correlated with improved mood after treatment.", ("increased", "neither")),
        ("Early plasma changes were associated with the antidepressant response at 24 hours.",
         ("increased", "neither")),
        ("These data suggest a direct relationship between the rise in gamma power and the fall in vigilance.",
         ("increased", "neither")),
    ],
)
def test_predictors_and_correlates_of_a_good_outcome_are_positive_associations(
    clause: str, expected: tuple[str, str]
) -> None:
    assert _read(clause) == expected


def test_the_drug_tied_to_improvement_is_still_its_effect_and_limited_evidence_is_none() -> None:
    # The drug named as what is "associated with" improvement: a treatment effect, the symptoms' fall.
    assert _read("Ketamine infusion was associated with rapid improvement in depressive symptoms.") == (
        "decreased",
        "intervention",
    )
    assert _read("There is limited evidence that serum markers are associated with response to treatment.") == (
        "no_difference",
        "neither",
    )


@pytest.mark.parametrize(
    "clause",
    [
        "At week 4, anxiety scores had dropped from severe to mild in 58% of patients.",
        "Overall, 62% of participants showed at least a 50% reduction in their symptom score.",
        "The single dose was effective for 75% of the patients.",
    ],
)
def test_the_share_of_patients_who_improved_is_a_rate_that_rose(clause: str) -> None:
    assert _read(clause) == ("increased", "intervention")


def test_a_fall_that_is_no_improvement_or_not_counted_by_patient_stays_a_fall() -> None:
    # A good outcome's fall in a share of patients is bad news, a decrease; a mean fall is a decrease.
    read = _read("Working memory declined in 30% of patients after the infusion.")
    assert read is not None and read[0] == "decreased"
    assert _read("Anxiety scores fell by 40% after the infusion (p < 0.01).") == ("decreased", "intervention")


def test_cognitive_improvement_is_a_rise_of_cognition() -> None:
    assert _read("The study suggests cognitive improvement, not deterioration, with repeated infusions.") == (
        "increased",
        "intervention",
    )


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        # A share of patients that is not the change word's own, or counts events, harms or vital signs.
        ("Anxiety decreased significantly after treatment, and nausea occurred in 25% of patients.",
         ("decreased", "intervention")),
        ("Depressive symptoms were reduced, and 20% of subjects had more than 10% weight gain.",
         ("decreased", "intervention")),
        ("The incidence of postoperative delirium was reduced in 8% of patients versus 20% of controls.",
         ("decreased", "intervention")),
        ("Blood pressure decreased in 20% of patients after the infusion.", ("decreased", "intervention")),
        # Another treatment (or a treatment word) before "associated with": that treatment's effect.
        ("Psilocybin was associated with improvements in depressive symptoms at week 6 (p < 0.001).",
         ("decreased", "intervention")),
        ("Repeated infusions were associated with improved outcomes compared with a single infusion.",
         ("decreased", "intervention")),
        # Harms and symptoms named "cognitive" fall when the drug is better.
        ("The drug reduced cognitive adverse effects after ECT (p = 0.02).", ("decreased", "intervention")),
        ("Cognitive errors decreased after the intervention (p = 0.03).", ("decreased", "intervention")),
        # Negative predictors and predictors denied; "no direct relationship" is none.
        ("Greater body mass index predicted attenuated response to the drug.", ("decreased", "comparator")),
        ("Age was not a predictor of response to the drug.", ("no_difference", "neither")),
        ("None of the clinical variables predicted response.", ("no_difference", "neither")),
        ("There was no direct relationship between plasma concentrations and antidepressant effect.",
         ("no_difference", "neither")),
        # "Limited evidence that" beside an estimate, or conceded before a finding, is not a null.
        ("There was limited evidence that the drug reduced pain at 24 hours (SMD -0.30, 95% CI -0.56 to -0.04).",
         ("decreased", "intervention")),
        ("Although there is limited evidence that the drug helps adolescents, our trial found a significant "
         "reduction in MADRS scores (p < 0.001).", ("decreased", "intervention")),
    ],
)
def test_what_the_share_association_and_predictor_rules_leave_alone(clause: str, expected: tuple[str, str]) -> None:
    assert _read(clause) == expected


@pytest.mark.parametrize(
    ("clause", "direction"),
    [
        # Equivalence in words is no difference, like "similar" and "non-inferior".
        ("Ketamine provided analgesia comparable to fentanyl.", "no_difference"),
        ("Midazolam was as effective as ketamine in reducing suicidal thoughts in this sample.", "no_difference"),
        # An effect that did not last, said at the later time.
        ("Treatment effects were not maintained at the 4-week follow-up.", "no_difference"),
        ("The analgesic effect of ketamine disappeared within two weeks of stopping treatment.", "no_difference"),
        # A harm to a function that did not happen.
        ("No deterioration in cognitive function was observed after ketamine.", "no_difference"),
        # Less opioid used; more needed in the control arm is less in the drug's.
        ("Ketamine had a significant opioid-sparing effect.", "decreased"),
        ("Patients in the placebo group consumed more morphine (p = 0.01).", "decreased"),
        # A good-when-higher measure's scores are that measure's.
        ("Quality of life scores improved significantly more in the ketamine group.", "increased"),
        # The drug's effect beyond its control's.
        ("The difference in pain scores was statistically significant in favour of ketamine (P = .01).", "decreased"),
        ("Ketamine separated from placebo as early as 4 hours after the infusion.", "decreased"),
    ],
)
def test_probe_wordings_of_equivalence_lasting_and_sparing(clause: str, direction: str) -> None:
    found = _read(clause)
    assert found is not None and found[0] == direction, found


def test_an_effect_described_as_like_another_is_no_null() -> None:
    # "Effects similar to two standard drinks" describes what the drug did, not a comparison that found nothing.
    found = _read("The lower dose produced subjective effects similar to two standard ethanol drinks.")
    assert found is None or found[0] != "no_difference"
    # "In favour of placebo over ketamine" is not the drug's good news.
    placebo_better = _read("Pain scores differed significantly in favour of placebo over ketamine.")
    assert placebo_better != ("decreased", "intervention")


@pytest.mark.parametrize(
    ("clause", "direction"),
    [
        # A symptom that disappeared fell; a harm that did not persist is no null of the result beside it.
        ("Suicidal thoughts disappeared after ketamine in 60% of patients versus 20% after midazolam (p = 0.01).",
         "increased"),
        ("Depression improved significantly with no impairment of memory (p < 0.001).", "decreased"),
        # A multiple or a negation of "as effective as" is a difference.
        ("Ketamine was twice as effective as placebo in reducing suicidal ideation (p < 0.01).", "decreased"),
        # A denied opioid-sparing effect, a denied separation.
        ("Ketamine had no opioid-sparing effect.", "no_difference"),
        ("Esketamine was not separated from placebo at day 28.", "no_difference"),
        # "More than one rescue dose" is a threshold, not more of something.
        ("The number of patients who required more than one rescue dose was lower with ketamine (p = 0.02).",
         "decreased"),
    ],
)
def test_a_reviewers_probes_of_nulls_and_thresholds(clause: str, direction: str) -> None:
    found = _read(clause)
    assert found is not None and found[0] == direction, found


@pytest.mark.parametrize(
    "clause",
    [
        "The opioid-sparing effect of ketamine remains controversial.",
        "Most clinicians surveyed were in favour of ketamine for suicidal patients.",
    ],
)
def test_open_questions_and_opinions_are_no_findings(clause: str) -> None:
    assert _read(clause) is None
