"""Wording families of probe rounds 16 and 17 (stop 42), the first rounds of real records: ketamine conference
abstracts and journal articles that neither corpus the reader was written on holds (``bench/probes/round16/``), and
psilocybin, MDMA and LSD records read with the rules configured for their drug (``round17/``). A protocol-tagged
record that reports results, the drug given in the ECT session, baseline correlates and histories that change a
response, harms named as a cardiovascular response, a trial endpoint's greater change from baseline, trends and
numerical differences, treatment-by-time interactions, a benefit another drug blunted, cognition in users, unsigned
correlations and how well people performed. Each rule is pinned in both directions where it could overreach.
Made-up text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketlit.errors import KetlitError
from ketlit.evidence.questions import classify
from ketlit.evidence.roles import assign_roles
from ketlit.evidence.rules import load_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection
from tests.evidence_probe import RULES, ask, ask_with_results, read


def _as_expected(got: str, want: str) -> bool:
    """Whether question ``got`` is ``want``, or, for ``want`` "not X", any question but X."""
    return got != want[4:] if want.startswith("not ") else got == want


@pytest.mark.parametrize(
    ("methods", "results", "want"),
    [
        # An interim report: methods in the future tense, results already in.
        (
            "Fifteen subjects will be recruited to undergo four infusions of ketamine followed by ten sessions of CBT.",
            "To date, 8 subjects have enrolled. Most (5/8, 63%) achieved response within the ketamine period.",
            "not protocol",
        ),
        # A finished trial whose methods say it was randomly allocated ("were randomly allocated").
        (
            "Patients were randomly allocated to a ketamine group or a control group.",
            "Seventeen patients completed the study protocol. Opioid requirement was lower in the ketamine group.",
            "not protocol",
        ),
        (
            "Patients will receive ketamine or placebo before surgery.",
            "Opioid requirement was significantly lower in the ketamine group (P < 0.05).",
            "not protocol",
        ),
        # A protocol stays one: its results part says what will be reported, or counts the people enrolled so far.
        (
            "Patients will be randomised to ketamine or midazolam. The primary outcome will be the MADRS at day 1.",
            "Recruitment started in 2021. Results will be significantly informative for clinicians.",
            "protocol",
        ),
        (
            "Patients will be randomised to ketamine or midazolam. Those who achieved response will enter a follow-up.",
            "As of March 2023, 40 participants have been enrolled.",
            "protocol",
        ),
    ],
)
def test_a_protocol_tagged_record_that_reports_results_is_no_protocol(methods: str, results: str, want: str) -> None:
    got = ask_with_results("Ketamine and cognitive behaviour therapy in depression", methods, results, ("protocol",))
    assert (got == "protocol") == (want == "protocol"), got


@pytest.mark.parametrize(
    ("title", "want"),
    [
        (
            "Effects of adding dexmedetomidine to ketamine on heart rate and blood pressure changes in psychiatric "
            "patients undergoing electroconvulsive therapy",
            "anaesthetic_or_adjunct",
        ),
        (
            "Comparison of the effect of low dose ketamine plus dexmedetomidine vs low dose ketamine plus midazolam on "
            "hemodynamic changes and pain in electroconvulsive therapy",
            "anaesthetic_or_adjunct",
        ),
        # The drug against ECT, or for ECT's non-responders, is no ECT session.
        ("Ketamine versus electroconvulsive therapy in treatment-resistant depression", "not anaesthetic_or_adjunct"),
        ("Ketamine for ECT-resistant depression: a randomized trial", "not anaesthetic_or_adjunct"),
        ("Intravenous ketamine in patients with depression resistant to ECT", "not anaesthetic_or_adjunct"),
        ("Anxiety symptoms during ketamine and ECT for treatment-resistant depression", "not anaesthetic_or_adjunct"),
        # A re-analysis of an ECT-anaesthesia trial is a secondary report first.
        (
            "Does age modify the antidepressant benefit of ketamine anaesthesia for electroconvulsive therapy? "
            "Findings from the KANECT trial",
            "predictor_or_secondary",
        ),
    ],
)
def test_the_drug_given_in_the_ect_session(title: str, want: str) -> None:
    got = ask(title, "Patients were randomized to one of two groups.", ("rct",))
    assert _as_expected(got, want), got


@pytest.mark.parametrize(
    ("title", "designs", "want"),
    [
        ("Pretreatment functional neuroimaging correlates of antidepressant response to ketamine", (), "predictor"),
        (
            "Personal and family history of alcohol dependence alters antidepressant response to oral riluzole "
            "post-ketamine infusion",
            ("rct",),
            "predictor",
        ),
        ("Impact of the val66met polymorphism on esketamine and ketamine antidepressant effects", (), "predictor"),
        # After the drug, a marker's correlates of response are the drug's action (rule R1b), not a predictor.
        ("Ketamine-induced changes in connectivity correlate with antidepressant response", (), "not predictor"),
        # A history that is the condition treated, not one that changes the response.
        ("Ketamine in patients with a history of suicide attempts: a randomized trial", ("rct",), "not predictor"),
    ],
)
def test_baseline_correlates_and_histories_that_change_a_response(
    title: str, designs: tuple[str, ...], want: str
) -> None:
    got = ask(title, "Patients received ketamine 0.5 mg/kg.", designs)
    assert (got == "predictor_or_secondary") == (want == "predictor"), got


@pytest.mark.parametrize(
    ("title", "designs", "want"),
    [
        (
            "Effect of analgesic low-dose ketamine infusions on the cardiovascular response: a retrospective analysis",
            ("observational",),
            "safety_only",
        ),
        ("Cardiovascular responses to repeated ketamine infusions in depression", ("rct",), "safety_only"),
        # A treatment response stays a benefit beside the harms.
        ("Safety and antidepressant response of repeated ketamine infusions", ("observational",), "not safety_only"),
        (
            "[Topographic electroencephalometry following anesthesia induction with ketamine-midazolam]",
            (),
            "mechanism_or_biomarker",
        ),
    ],
)
def test_harms_named_as_a_response_and_eeg_spelt_out(title: str, designs: tuple[str, ...], want: str) -> None:
    got = ask(title, "Patients received ketamine.", designs)
    assert _as_expected(got, want), got


def test_healthy_volunteers_with_an_adjective_between() -> None:
    sentences = assign_roles(
        abstract_sentences(
            [
                AbstractSection(
                    None,
                    None,
                    "Effects of subanesthetic doses of ketamine on memory were investigated in 34 healthy young "
                    "volunteers. The drug caused impairment of recall.",
                )
            ]
        ),
        RULES.roles,
    )
    got = classify("Ketamine: behavioral effects of subanesthetic doses", sentences, frozenset(), RULES.questions)
    assert got.value == "mechanism_or_biomarker"


def test_new_methods_of_administration_are_administrations_compared() -> None:
    got = ask(
        "Ketamine as an antidepressant: investigating new methods of administration",
        "We compared new methods of administration of ketamine in patients with depression.",
    )
    assert got == "dose_or_schedule"


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # A trial endpoint's greater change from baseline: the measure improved.
        (
            "The primary endpoint, change from baseline in MADRS total score at day 1, was significantly greater for "
            "ketamine compared with placebo (LS mean difference -3.8, p=0.006).",
            ["decreased"],
        ),
        (
            "Ketamine produced a significantly greater change from baseline in MADRS total score than placebo.",
            ["decreased"],
        ),
        (
            "The change from baseline in quality of life was significantly greater with ketamine than with placebo.",
            ["increased"],
        ),
        # A vital sign's change has no aim: a greater change is a rise.
        (
            "The change from baseline in systolic blood pressure was significantly greater with ketamine than placebo.",
            ["increased"],
        ),
        # Trends and numbers that were not tested or not significant.
        ("All indices of suicidality numerically favored ketamine at 4 h and 24 h post dose.", ["no_difference"]),
        ("A trend-level difference in rates of early remission was seen (p = 0.09).", ["no_difference"]),
        ("Adverse events were observed evenly across the ketamine and placebo groups.", ["no_difference"]),
        # Treatment-by-time interactions: the arms' courses differed, read as the drug's benefit on the measure.
        ("There was a significant group by time interaction on MADRS scores (p = .04).", ["decreased"]),
        ("There was a significant interaction between group and time (F(1,16)=5.2, p=.04).", ["decreased"]),
        ("There was a significant treatment x time interaction for quality of life scores (p = .01).", ["increased"]),
        ("There was no significant group x time interaction (p = .44).", ["no_difference"]),
        ("The study did not show a significant treatment-by-time interaction for MADRS.", ["no_difference"]),
        # A benefit blunted by what the study added.
        ("Naltrexone markedly attenuated the antidepressant and antisuicidal effects of ketamine.", ["increased"]),
        ("Pretreatment with naltrexone blocked the antidepressant effect of ketamine.", ["increased"]),
        ("Naltrexone did not block the antidepressant effect of ketamine.", ["no_difference"]),
        # A trait associated with an attenuated response is a predictor's negative association, no blunting.
        ("Concomitant benzodiazepine use was associated with attenuated antidepressant response.", ["decreased"]),
        # A harm lessened is the harm's fall.
        ("Lamotrigine pretreatment reduced the psychotomimetic effects of ketamine.", ["decreased"]),
        # Harms said absent with no arms compared are adverse-event statements, not findings; compared, they are nulls.
        ("No serious adverse events were reported.", []),
        ("There was no difference in morphine-related adverse effects between the groups.", ["no_difference"]),
        ("No serious adverse events occurred, and depression improved significantly with ketamine.", ["decreased"]),
        # Other studies' results opening a sentence among the results.
        ("Previous trials found that ketamine reduced suicidal ideation.", []),
        ("Several previous studies have shown that ketamine reduces depression.", []),
    ],
)
def test_round16_directions(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


def test_a_trend_beside_a_significant_result_is_no_null() -> None:
    # "at trend level" after a significant result in another place: the significant result is not read as a trend.
    assert "no_difference" not in read(
        "The relationship remained significant in the dACC, and at trend level in the hippocampus."
    )


def test_a_misspelt_question_key_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "src/ketlit/data/evidence_rules.toml").read_text(encoding="utf-8")
    assert "unless_results = [" in text
    path = tmp_path / "evidence_rules.toml"
    path.write_text(text.replace("unless_results = [", "unless_result = [", 1), encoding="utf-8")
    with pytest.raises(KetlitError, match="unless_result"):
        load_rules(path)


# Round 17 (``bench/probes/round17/``): 50 real records about psilocybin, MDMA and LSD, read with the rules configured
# for the drug each names. Written here about ketamine: the rules name no drug.


@pytest.mark.parametrize(
    ("title", "methods", "designs", "want"),
    [
        # "Prediction-Error" hyphenated is a mechanism's word, not a predictor's.
        (
            "Altered Prediction-Error Processing May Underlie Ketamine-Induced Changes in Self-Processing",
            "Healthy volunteers received ketamine and placebo.",
            ("rct",),
            "mechanism_or_biomarker",
        ),
        # Cognition in a substance's users is an observational question, not a harm of a treatment.
        (
            "Neurocognitive function in users of ketamine: the importance of clinically significant patterns of use",
            "We compared ketamine users with non-users on neuropsychological tests.",
            (),
            "not safety_only",
        ),
        (
            "Elevated impulsivity and impaired decision-making cognition in heavy users of ketamine",
            "We compared ketamine users with cannabis users and controls.",
            (),
            "not safety_only",
        ),
        # Cognition read from a brain marker is what the drug does to the marker (rule R1b).
        (
            "Ketamine disrupts higher order cognitive processing: a study on P300 and mismatch negativity",
            "Participants received ketamine and placebo in random order.",
            ("rct",),
            "not safety_only",
        ),
        # Correlates of a substance's use are no predictor of a response; correlates of the response are.
        (
            "Ketamine use in the United States: trends, correlates, and a typology of use",
            "We examined the correlates of ketamine use in a national survey.",
            ("observational",),
            "not predictor_or_secondary",
        ),
        (
            "Response to ketamine in depression",
            "We examined clinical correlates of treatment response to ketamine in 60 patients.",
            (),
            "predictor_or_secondary",
        ),
    ],
)
def test_round17_questions(title: str, methods: str, designs: tuple[str, ...], want: str) -> None:
    got = ask(title, methods, designs)
    assert _as_expected(got, want), got


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # A correlation with no sign said: a positive association, read when nothing else decides.
        ("Ketamine pharmacokinetics were correlated with dissociation ratings.", ["increased"]),
        ("The effect of ketamine on P300 correlated with the intensity of the dissociative state.", ["increased"]),
        ("Changes in connectivity were not correlated with symptom change.", ["no_difference"]),
        ("BDNF was inversely correlated with MADRS scores.", ["decreased"]),
        # The clause's change is its result, the correlation after it an aside.
        (
            "Connectivity decreased at 24 h after ketamine (p = 0.01), which correlated with symptom change.",
            ["decreased"],
        ),
        # How well people performed is good when higher.
        ("Patients on ketamine performed worse than placebo on the memory task.", ["decreased"]),
        ("Patients on ketamine performed significantly better than placebo.", ["increased"]),
        # No evidence for an effect is a null; a treatment's gains are its benefit, weight gain a rise.
        (
            "This study yielded no firm evidence for sustained effects of low-dose ketamine on cognitive function.",
            ["no_difference"],
        ),
        (
            "On average, subjects maintained statistically and clinically significant gains in symptom relief.",
            ["decreased"],
        ),
        ("There were significant gains in quality of life with ketamine.", ["increased"]),
        # A measure named before the gains rises.
        ("Ketamine brought functional gains beyond those of the oral antidepressant alone.", ["increased"]),
        ("Ketamine produced weight gains compared with placebo.", ["increased"]),
        # A symptom scale scored worse is more of the symptoms.
        ("Patients on ketamine scored worse on the depression scale than those on placebo.", ["increased"]),
    ],
)
def test_round17_directions(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


# Round 18 (``bench/probes/round18/``): labelled after rounds 16 and 17's rules, to measure them; then its own families.


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        (
            "Our brief intervention was no more effective at inducing behaviour change than information alone.",
            ["no_difference"],
        ),
        ("Ketamine was no less effective than ECT.", ["no_difference"]),
        ("All active drugs produced comparable hemodynamic and adverse effects.", ["no_difference"]),
        ("Bupropion pharmacokinetics were unaltered by ketamine co-administration.", ["no_difference"]),
        ("The changes observed were generally comparable to those of placebo.", ["no_difference"]),
        # A drug that produced more of an effect is no null.
        ("Ketamine produced greater dissociative effects than placebo.", ["increased"]),
    ],
)
def test_round18_directions(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        (
            "Updated cost-effectiveness of ketamine-assisted therapy for depression in the United States: findings "
            "from a phase 3 trial",
            "Patients received ketamine in a phase 3 trial; a Markov model estimated costs.",
            "other",
        ),
        # A trial's own costs and outcomes, analysed alongside it: the trial's secondary report, no model.
        (
            "Cost-effectiveness of ketamine versus electroconvulsive therapy for treatment-resistant depression: an "
            "economic evaluation alongside a randomized trial",
            "Costs and outcomes of the trial's patients were compared.",
            "not other",
        ),
        (
            "Proton magnetic resonance spectroscopy in ketamine users",
            "We compared ketamine users with controls.",
            "not mechanism_or_biomarker",
        ),
        # Healthy volunteers given the drug beside its users: the drug's action.
        (
            "Semantic priming after ketamine acutely in healthy volunteers and following chronic self-administration "
            "in substance users",
            "Healthy volunteers received ketamine and placebo; ketamine users were tested once.",
            "not observational",
        ),
    ],
)
def test_round18_questions(title: str, methods: str, want: str) -> None:
    got = ask(title, methods)
    assert _as_expected(got, want), got


# Round 19 (``bench/probes/round19/``): labelled after every rule above, to measure them; then its own families.


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        (
            "Co-administration of ketamine and ethanol did not further impair the effect of ethanol alone.",
            ["no_difference"],
        ),
        ("No drug effects on CRN nor N2 were observed.", ["no_difference"]),
        (
            "These findings suggest that ketamine leaves central executive functions relatively unaffected.",
            ["no_difference"],
        ),
        ("Ketamine users were unimpaired in simple tests of attention.", ["no_difference"]),
        ("No other contrasts showed statistically significant results.", ["no_difference"]),
        ("Ketamine produced subjective effects comparable with those of placebo.", ["no_difference"]),
        # A drug's effects likened to a reference's size are effects it had, no null.
        ("The lower ketamine dose produced subjective effects similar to two standard ethanol drinks.", ["increased"]),
        # A null named first leaves the clause's own result after it.
        ("No effects on mood, but ketamine reduced pain significantly.", ["no_difference", "decreased"]),
    ],
)
def test_round19_directions(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want


def test_people_with_a_trait_who_respond_more_are_a_predictor_question() -> None:
    title = "Individuals with high trait negative emotionality are more sensitive to the subjective effects of ketamine"
    assert ask(title, "Healthy volunteers received ketamine and placebo.", ("rct",)) == "predictor_or_secondary"
