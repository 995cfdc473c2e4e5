"""Study-question families of stop 44, from the misses of the real probe rounds 16-26 (psilocybin, MDMA and LSD
records read with the rules configured for their drug): people who took the drug on their own compared with people
who did not are an observational question, and so is use measured by what people report; a qualitative study of a
trial's participants is a secondary report of that trial. Each rule is pinned in both directions where it could
overreach. Made-up text, written with the shipped rules' drug (ketamine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketlit.errors import KetlitError
from ketlit.evidence.questions import classify
from ketlit.evidence.rules import load_rules
from tests.evidence_probe import ask, ask_text, clause_directions, unlabelled_roles


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # Users against people who never took it, told in a sentence the role reader may call background.
        (
            "Ketamine effects upon mood and memory before and after a weekend.",
            "Three groups of young adults were compared: 15 regular ketamine users, 15 novice users and 15 controls "
            "who had never taken ketamine. Each completed a memory battery four times. Regular users recalled fewer "
            "words than controls (p < 0.01).",
        ),
        # A history of use against control subjects, with a harm-sounding title.
        (
            "Chronic ketamine use, cognition and mood.",
            "Objectives: To examine the effect of chronic ketamine use on cognition. Methods: The performance of 17 "
            "participants with a history of ketamine use was compared with that of 15 control subjects. Results: "
            "The ketamine group had higher depression scores than the control group.",
        ),
        # Users and controls, with a brain measure in the title (not a mechanism study of the drug given).
        (
            "Event-related potential evidence of impaired recollection in abstinent recreational ketamine users.",
            "Twenty abstinent ketamine users and 20 drug-naive controls completed a recognition task while EEG was "
            "recorded. Users showed a reduced late positive component (p = 0.02).",
        ),
        # Who used the drug and who did not, named by what they took.
        (
            "Prior ketamine use and executive function.",
            "Subjects who had used ketamine and cannabis (n = 33), subjects who had used cannabis but not ketamine "
            "(n = 17) and subjects who had used neither drug (n = 18) were tested on the Stroop task. Ketamine "
            "users were slower on the switching version (p < 0.05).",
        ),
    ],
)
def test_users_compared_with_non_users_are_observational(title: str, text: str) -> None:
    assert ask_text(title, text) == "observational"


@pytest.mark.parametrize(
    ("title", "text", "want"),
    [
        # A trial that recruits users as its volunteers and gives the drug against placebo is a trial, not a
        # comparison of users: of the drug's acute effects on the mind, a mechanism question (stop 45; round 25's
        # record 7168, "Acute effects of MDMA on behavioral measures of impulsivity", is labelled so).
        (
            "Acute effects of ketamine on impulsivity in recreational users.",
            "In a double-blind, placebo-controlled crossover study, 16 recreational ketamine users and 16 matched "
            "controls received ketamine 0.4 mg/kg or placebo. Ketamine increased commission errors (p = 0.01).",
            "mechanism_or_biomarker",
        ),
        # A population survey of use is epidemiology (the labels' "other").
        (
            "Past-year hallucinogen use in relation to psychological distress among adults.",
            "We analysed a nationally representative survey of 200,000 adults. Past-year ketamine users were "
            "compared with non-users on psychological distress. Use was associated with higher distress (OR 1.4).",
            "other",
        ),
    ],
)
def test_but_not_a_trial_in_users_nor_a_population_survey(title: str, text: str, want: str) -> None:
    assert ask_text(title, text, ("observational",) if "survey" in text else ("rct",)) == want


@pytest.mark.parametrize(
    ("title", "text", "want"),
    [
        # Use measured by what people report of it: observational, with or without a comparison group.
        (
            "Hair ketamine samples are consistent with reported use.",
            "Aims: We examined the relationship between self-reported ketamine use and traces of ketamine in hair. "
            "Methods: 49 volunteers completed a drug-use questionnaire and gave a hair sample. Results: Self-report "
            "and hair analysis agreed (p < 0.001).",
            "observational",
        ),
        (
            "A qualitative analysis of follow-up interviews with people with bipolar disorder.",
            "Objectives: We interviewed adults with bipolar disorder who self-reported ketamine use about its "
            "effects. Methods: Semi-structured interviews were analysed thematically. Results: Three themes were "
            "identified.",
            "observational",
        ),
    ],
)
def test_self_reported_use_is_observational(title: str, text: str, want: str) -> None:
    assert ask_text(title, text) == want


@pytest.mark.parametrize(
    ("title", "text", "designs"),
    [
        (
            "Facing depression: a qualitative analysis of ketamine-assisted therapy.",
            "We explored thematic elements from participant narrative accounts of a pilot phase 2 clinical trial of "
            "ketamine-assisted therapy. Semi-structured interviews were conducted with a subset of participants 3 "
            "months after the trial. Four themes emerged.",
            ("non_randomized_trial",),
        ),
        (
            "Perceived change in ketamine-assisted psychotherapy: an interpretative phenomenological analysis.",
            "Objective: To complement the quantitative findings of a phase 2 clinical trial of ketamine-assisted "
            "psychotherapy by analysing recorded integration sessions of its participants. Results: Five themes "
            "emerged.",
            (),
        ),
    ],
)
def test_a_qualitative_study_of_a_trials_participants_is_a_secondary_report(
    title: str, text: str, designs: tuple[str, ...]
) -> None:
    assert ask_text(title, text, designs) == "predictor_or_secondary"


@pytest.mark.parametrize(
    ("title", "text", "designs", "want"),
    [
        # A trial's own report that gathered reflections or interviews beside its outcomes stays the trial's question.
        (
            "Ketamine infusion experiences among medical inpatients: a pilot trial",
            "Methods: Our open-label pilot trial randomizes inpatients with alcohol use disorder to ketamine, "
            "naltrexone or neither. Qualitative data are derived from an open-ended reflection question asked after "
            "the infusion. Results: Ten patients received ketamine; mean acceptability was 9.3 of 10.",
            ("rct",),
            "not predictor_or_secondary",
        ),
        (
            "Ketamine versus placebo for depression: a randomized controlled trial with qualitative interviews.",
            "Methods: Forty patients were randomized to ketamine or saline placebo. Semi-structured qualitative "
            "interviews explored patients' experiences. Results: Response was more frequent with ketamine.",
            ("rct",),
            "efficacy_vs_control",
        ),
        # People interviewed about what they took on their own are no trial's participants.
        (
            "A qualitative study of ketamine retreats.",
            "Methods: Semi-structured interviews were conducted with 15 people who took part in ketamine retreats "
            "abroad. Results: Three themes emerged.",
            (),
            "not predictor_or_secondary",
        ),
    ],
)
def test_but_not_a_trial_nor_people_interviewed_about_their_own_use(
    title: str, text: str, designs: tuple[str, ...], want: str
) -> None:
    got = ask_text(title, text, designs)
    assert got != want.removeprefix("not ") if want.startswith("not ") else got == want


def test_an_open_label_trial_excluding_prior_users_is_no_comparison_of_users() -> None:
    """ "No history of ketamine use" is an eligibility criterion of a trial that gives the drug, not a group of
    non-users set against users."""
    text = (
        "Twenty patients with no history of ketamine use received a single open-label infusion of ketamine "
        "0.5 mg/kg. Depression scores fell by half within a day."
    )
    assert ask_text("Ketamine in treatment-resistant depression.", text, ("non_randomized_trial",)) != "observational"


def test_requires_is_a_second_condition_of_the_same_text(tmp_path: Path) -> None:
    """A rule's ``requires`` must match too: without it the users rule reads any record that names users as
    observational; with it, only one that also names people who did not use the drug."""
    title, text = "Resting EEG power and ketamine users.", "Resting EEG was recorded in 40 ketamine users."
    assert ask_text(title, text) == "mechanism_or_biomarker"
    source = (Path(__file__).resolve().parents[1] / "src/ketlit/data/evidence_rules.toml").read_text(encoding="utf-8")
    start = source.index("# ... and, anywhere in the same text, people who did not use it.")
    end = source.index("unless = [", start)
    path = tmp_path / "evidence_rules.toml"
    path.write_text(source[:start] + source[end:], encoding="utf-8")
    rules = load_rules(path)
    sentences = unlabelled_roles(text, rules)
    assert classify(title, sentences, frozenset(), rules.questions).value == "observational"


def test_a_misspelt_requires_is_refused(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parents[1] / "src/ketlit/data/evidence_rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "evidence_rules.toml"
    path.write_text(source.replace("requires = [", "require = [", 1), encoding="utf-8")
    with pytest.raises(KetlitError, match="require"):
        load_rules(path)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # Multi-word inline labels of unstructured abstracts (conference abstracts flattened by an export).
        (
            "Methods: Two placebo-controlled crossover studies were run in 24 volunteers. Results and Conclusion: "
            "Ketamine enhanced emotional empathy (p < 0.001). Ketamine enhanced prosocial behaviour (p < 0.05).",
            ["methods", "conclusions", "conclusions"],
        ),
        (
            "Materials and Methods: Eleven users and 15 controls were compared. Results:At the 40 degree condition "
            "users had a greater aftereffect. Conclusions:The findings suggest a lasting change.",
            ["methods", "results", "conclusions"],
        ),
        (
            "Background and aims: Little is known about this. Main outcome measures: Depression scores at 24 h. "
            "Findings: Scores fell more with ketamine.",
            # (A label naming two roles takes the one the rules file's label words list first: aims before background.)
            ["objective", "methods", "results"],
        ),
    ],
)
def test_multi_word_and_unspaced_inline_labels_open_sections(text: str, want: list[str]) -> None:
    roled = unlabelled_roles(text)
    assert [rs.role for rs in roled] == want
    assert all(rs.labelled for rs in roled)


@pytest.mark.parametrize(
    "sentence",
    [
        "Patients receiving ketamine: 45% responded by day 7.",
        "Outcome: depression scores fell more with ketamine.",
        "Subgroup analysis: the effect was larger in women.",
        "The ratio 3:1 was kept in both arms.",
    ],
)
def test_but_not_a_phrase_before_a_colon_that_is_no_label(sentence: str) -> None:
    roled = unlabelled_roles(sentence)
    assert not roled[0].labelled


def test_a_lone_inline_label_names_its_own_sentence_only() -> None:
    """One label opening an otherwise unlabelled abstract does not make every later sentence background: the role
    model reads them, and the results are read for findings."""
    text = (
        "Background and aim: respiratory events are the main concern during sedation in children. We compared "
        "ketamine with propofol alone in 184 children. Respiratory events occurred in 11 (12.0%) with ketamine and "
        "21 (22.8%) with propofol (p = 0.04). Ketamine reduced respiratory events without prolonging recovery."
    )
    roled = unlabelled_roles(text)
    assert roled[0].labelled and roled[0].role == "objective"
    assert not any(rs.labelled for rs in roled[1:])
    assert {rs.role for rs in roled[2:]} <= {"results", "conclusions"}


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # More of a counted thing than the arm named: a rise in that count.
        ("The ketamine group made significantly more errors than the placebo group (p < .05).", ["increased"]),
        ("Patients receiving ketamine reported more adverse events than those receiving placebo.", ["increased"]),
        # The arms the other way round: the drug's arm had fewer.
        ("There were more dropouts in the placebo group than in the ketamine group.", ["decreased"]),
        # An evaluation's comparative, and effects that their own words read, are no count.
        ("Ketamine was more effective than placebo.", ["decreased"]),
        ("Ketamine showed more pronounced effects than midazolam.", ["decreased"]),
        # Adjectives and nouns that end in -us, -is or -ss are no counted plural.
        ("The ketamine group was more heterogeneous than the placebo group.", []),
        ("Ketamine users were more cautious than controls on the gambling task.", []),
        ("The ketamine arm placed more emphasis than the placebo arm on sleep.", []),
    ],
)
def test_more_of_a_counted_thing_than_an_arm_is_a_rise(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("title", "methods", "designs", "want"),
    [
        # Cognition named by what it is about is a process the drug acts on, not the function a harm impairs.
        (
            "Effects of ketamine on social cognition.",
            "Healthy subjects received ketamine and placebo.",
            (),
            "mechanism",
        ),
        # ... while cognitive function in patients stays a harm question.
        ("Cognitive function after repeated ketamine in depression.", "Patients received six infusions.", (), "safety"),
        # A title that also tests the drug in people is no animal study, "versus healthy humans" too.
        ("Opposite effects of ketamine on sensorimotor gating in rats versus healthy humans.", "", ("animal",), "mech"),
        # A measure before the drug that predicts what it does is a predictor question, in volunteers too (rule R1a).
        (
            "Brain serotonin 2A receptor binding predicts subjective effects of ketamine in healthy humans.",
            "Healthy volunteers underwent PET before receiving ketamine.",
            (),
            "predictor",
        ),
    ],
)
def test_round_16_to_24_question_families(title: str, methods: str, designs: tuple[str, ...], want: str) -> None:
    got = ask(title, methods or "Eight adults took part.", designs)
    assert got.startswith(want)


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("Abstinent ketamine users showed no significantly different regional CBF compared to the controls.", True),
        ("None of the substances altered plasma brain-derived neurotrophic factor concentrations.", True),
        ("None of the genetic variants moderated ketamine-induced impairments in emotion recognition.", True),
        ("Cannabis users did not yield altered impulsivity compared with controls.", True),
        ("Personal history did not emerge as a significant factor.", True),
        ("For males, neither drug use variable was associated with major depression.", True),
        ("Both groups performed equally on the sustained attention task.", True),
        ("Ketamine users and other drug users showed comparable patterns of decision-making.", True),
        # Not nulls: a difference found, "none" that names no change, and one arm's patients.
        ("Ketamine users performed worse than controls on the attention task.", False),
        ("None of the placebo-treated patients improved.", False),
        ("None of the patients dropped out of the study because of adverse events.", False),
    ],
)
def test_round_16_to_26_nulls(clause: str, want: bool) -> None:
    directions = clause_directions(clause)
    assert ("no_difference" in directions) is want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # A registration line is no section of the abstract proper: one real label and it are still a lone label.
        (
            "Background and aim: respiratory events are the main concern during sedation. We compared ketamine with "
            "propofol in 184 children. Respiratory events occurred in 11 (12.0%) with ketamine and 21 (22.8%) with "
            "propofol (p = 0.04). Trial registration: ClinicalTrials.gov NCT01234567.",
            [True, False, False, True],
        ),
        # A label naming both methods and results pins neither: the model reads its sentences.
        (
            "Background: Little is known. Methods and results: Forty patients were randomised to ketamine or "
            "midazolam. Ketamine reduced depression scores more than midazolam (p = 0.01).",
            [True, False, False],
        ),
    ],
)
def test_registration_lines_and_two_role_labels_do_not_pin_sections(text: str, want: list[bool]) -> None:
    roled = unlabelled_roles(text)
    assert [rs.labelled for rs in roled] == want


def test_a_prediction_the_brain_makes_is_no_predictor_title() -> None:
    assert ask(
        "Ketamine disrupts reward prediction signals in healthy volunteers.", "Volunteers received ketamine."
    ) != ("predictor_or_secondary")


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # Performance said worse or poorer against an arm: the measure named (good when higher) fell.
        ("Under the influence of ketamine, task performance was worse than placebo.", ["decreased"]),
        ("Ketamine users showed significantly poorer performance than non-drug using controls.", ["decreased"]),
        ("Current ketamine users performed more poorly than cannabis users on tests of recall.", ["decreased"]),
        # Denied, it is no difference or no fall.
        ("Sleep quality was no worse than with placebo.", ["no_difference"]),
        ("Outcomes were not worse than with ECT.", []),
    ],
)
def test_performance_worse_or_poorer_than_an_arm(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want
