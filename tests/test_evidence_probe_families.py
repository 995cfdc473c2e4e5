"""Wording families found by the second round of probe sets (``bench/probes/round2/``, stop 37), each pinned in both
directions: study questions read from how arms are randomised, arms named by letters ("group E"), two arms' rates with
the percent sign printed once, and harms told by per-arm rates. Made-up text; in-repo data only."""

from __future__ import annotations

import pytest

from ketlit.evidence.group_names import letter_arms, original, with_arm_names
from ketlit.evidence.printing import rates
from ketlit.evidence.profile import read_profile
from ketlit.evidence.questions import classify
from ketlit.evidence.roles import assign_roles
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection, Article

RULES = packaged_rules()


def ask(title: str, designs: tuple[str, ...] = ("rct",), *, methods: str = "", text: str | None = None) -> str:
    sections = [AbstractSection(None, None, text)] if text else [AbstractSection("METHODS", "METHODS", methods)]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    return classify(title, sentences, frozenset(designs), RULES.questions).value


def profile(methods: str, results: str, *, molecule: str = "esketamine", title: str = "A randomized trial"):  # type: ignore[no-untyped-def]
    article = Article(
        "1",
        title=title,
        sections=[AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", results)],
    )
    return read_profile(article, {"design": ["rct"], "molecule": [molecule]}, RULES)


# ------------------------------------------------------------------ study questions


@pytest.mark.parametrize(
    ("title", "methods", "want"),
    [
        # The drug and another active one joined by "or" where patients are randomised: head to head.
        (
            "Esketamine or quetiapine augmentation in depression",
            "Patients were randomized to flexible doses of esketamine nasal spray or quetiapine XR.",
            "head_to_head",
        ),
        (
            "Intranasal sedatives in children",
            "Children were randomly given intranasal dexmedetomidine 2 µg/kg or intranasal ketamine 2 mg/kg.",
            "head_to_head",
        ),
        (
            "Ketamine in bipolar depression",
            "Adults were randomly assigned to three ketamine infusions over one week or to lamotrigine.",
            "head_to_head",
        ),
        # ... not against placebo, a schedule of the drug or the drug mixed with another.
        ("Ketamine in depression", "Adults were randomized to ketamine or matched saline.", "efficacy_vs_control"),
        (
            "Esketamine maintenance",
            "Patients were randomised to continue esketamine weekly or every other week.",
            "dose_or_schedule",
        ),
        # Infusion durations, numbers of infusions and ways of giving set against each other: a dose question.
        (
            "Ketamine infusion rate",
            "Patients were randomly assigned to 0.5 mg/kg ketamine over 40 minutes or over 100 minutes.",
            "dose_or_schedule",
        ),
        (
            "Six versus three ketamine infusions for PTSD",
            "Veterans were randomized after the third infusion.",
            "dose_or_schedule",
        ),
        ("Continuous versus intermittent bolus ketamine for CRPS", "Patients were randomised.", "dose_or_schedule"),
        # "Three doses of salbutamol" is no dose comparison of the drug.
        (
            "Ketamine for acute asthma",
            "Children not responding to three doses of nebulised salbutamol were assigned to ketamine "
            "or an identical saline bolus.",
            "efficacy_vs_control",
        ),
        # The drug added, or the regimen continued alone: efficacy against a control.
        (
            "Adding esketamine in older adults",
            "Adults were randomized to add intranasal esketamine or to continue their antidepressant alone.",
            "efficacy_vs_control",
        ),
        # A blocker given before the drug, against placebo: a mechanism question.
        (
            "Opioid system and ketamine",
            "Adults were randomised to naltrexone 50 mg or placebo before receiving four weekly ketamine infusions.",
            "mechanism_or_biomarker",
        ),
        # The drug given to all, something else randomised: the other treatment is the question.
        (
            "Lamotrigine and the dissociative effects of ketamine",
            "Patients scheduled for ketamine infusion were randomised to a single oral dose of lamotrigine 300 mg or "
            "placebo two hours before the infusion.",
            "anaesthetic_or_adjunct",
        ),
        # ... not where they are randomised to the drug itself or its control, nor an open-label phase before a
        # randomised withdrawal (a reviewer's cases).
        (
            "Ketamine in treatment-resistant depression",
            "Patients scheduled for ketamine infusion were randomized to ketamine 0.5 mg/kg or midazolam.",
            "efficacy_vs_control",
        ),
        (
            "Maintenance ketamine",
            "All patients received ketamine and were then randomised to maintenance ketamine or placebo.",
            "efficacy_vs_control",
        ),
        ("Ketamine in depression", "Adults were randomized to ketamine or enhanced usual care.", "efficacy_vs_control"),
        (
            "Esketamine in depression: a randomized trial with an open-label extension",
            "Patients were randomized to esketamine or placebo.",
            "efficacy_vs_control",
        ),
        (
            "Primary and secondary outcomes of a randomized trial of ketamine for depression",
            "Adults were randomized to ketamine or saline.",
            "efficacy_vs_control",
        ),
        (
            "Ketamine dosing in depression",
            "Adults were randomized to three doses of intravenous ketamine (0.1, 0.5 and 1.0 mg/kg).",
            "dose_or_schedule",
        ),
        # A crossover gives every participant the drug and its control: not the drug as a setting.
        (
            "Ketamine in adolescents",
            "All participants received ketamine and midazolam in random order, two weeks apart.",
            "efficacy_vs_control",
        ),
        (
            "Open-label extension of a randomized trial of ketamine in PTSD",
            "Participants of a comparison of ketamine or midazolam infusions were offered open-label ketamine.",
            "single_arm_open_label",
        ),
        (
            "Repeated ketamine infusions in veterans",
            "Veterans received six infusions of ketamine 0.5 mg/kg over 12 days without a control group.",
            "single_arm_open_label",
        ),
        (
            "Functional outcomes after ketamine: secondary outcomes of a randomized trial",
            "Adults were randomized to ketamine or saline.",
            "predictor_or_secondary",
        ),
        (
            "Ketamine versus methohexital anaesthesia for ECT: cognitive outcomes",
            "Patients were randomly assigned to anaesthesia with ketamine or methohexital for ECT.",
            "anaesthetic_or_adjunct",
        ),
        (
            "Intranasal versus intravenous ketamine for sedation of agitated adults",
            "Adults were assigned to intranasal ketamine 6 mg/kg or intravenous ketamine 1.5 mg/kg.",
            "dose_or_schedule",
        ),
        (
            "Epidural esketamine during labour analgesia and postpartum depressive symptoms",
            "Women were randomized to ropivacaine with esketamine or ropivacaine alone.",
            "perioperative_prevention",
        ),
        (
            "Ketamine versus midazolam for severe agitation",
            "Agitated adults were randomized to intramuscular ketamine or midazolam.",
            "head_to_head",
        ),
    ],
)
def test_questions_read_from_how_arms_are_randomised(title: str, methods: str, want: str) -> None:
    assert ask(title, methods=methods) == want


def test_a_case_told_from_its_first_sentences_and_not_a_trials_sample() -> None:
    text = (
        "A 29-year-old man presented with abdominal pain and cholestatic liver enzymes. He reported snorting "
        "ketamine several times a week. Liver enzymes normalized after cessation."
    )
    assert ask("Ketamine-associated cholangiopathy", (), text=text) == "case_report"
    # A trial's sample described by age is no case.
    assert ask("Ketamine-associated cholangiopathy", ("rct",), text=text) != "case_report"


def test_a_cohort_matched_to_usual_care_is_observational_and_a_trial_registry_is_no_cohort() -> None:
    methods = (
        "Using linked health administrative data, patients given ketamine after discharge were matched to "
        "patients receiving usual care."
    )
    assert ask("Ketamine use and suicide attempts", ("observational",), methods=methods) == "observational"
    periop = (
        "Women undergoing caesarean delivery were randomized to intraoperative ketamine or saline. This trial "
        "is registered in the Chinese Clinical Trial Registry."
    )
    assert ask("Intraoperative ketamine and postpartum depression", methods=periop) == "perioperative_prevention"


# ------------------------------------------------------------------ arms named by letters


def test_letters_are_read_from_the_methods_and_named_in_the_results() -> None:
    p = profile(
        "Parturients were randomized to esketamine 0.2 mg/kg (group E) or normal saline (group S).",
        "Group S had a higher incidence of postpartum blues than group E (P = 0.01).",
    )
    assert [f.direction for f in p.findings] == ["decreased"]
    # The clause an editor is shown is the abstract's, not the text with the names put in.
    assert p.findings[0].clause.startswith("Group S had a higher incidence")


@pytest.mark.parametrize(
    ("methods", "arms"),
    [
        (
            "randomized to intranasal dexmedetomidine (Group D, n = 32) and intranasal ketamine (Group K, n = 32)",
            {"D": False, "K": True},
        ),
        ("divided into the esketamine group (group S) or the control group (group C)", {"S": True, "C": False}),
        ("an experimental group (esketamine group, Group E) and a control group (Group C)", {"E": True, "C": False}),
        (
            "Group C received 0.2 ml/kg of normal saline and Group E was administered 0.2 mg/kg esketamine",
            {"C": False, "E": True},
        ),
        ("esketamine (E) group and control (C) group", {"E": True, "C": False}),
        (
            "group L received lidocaine infusion, group K received ketamine infusion and "
            "group P received saline infusion",
            {"L": False, "K": True, "P": False},
        ),
        # A clause opening with the letter, its dose printed with a decimal point.
        (
            "patients received esketamine (Group E) or not (Group C). In group E, patients were given an intravenous "
            "dose of 0.5 mg/kg of esketamine",
            {"E": True, "C": False},
        ),
        # The letter before "group" inside the bracket, and a short form given to an arm.
        (
            "randomized into esketamine combined with dexmedetomidine group (ED group), esketamine group (E group), "
            "and dexmedetomidine group (D group)",
            {"ED": True, "E": True, "D": False},
        ),
        ("randomized to anesthesia with propofol (P) or propofol+esketamine (PK) before ECT", {"P": False, "PK": True}),
        # "the E group received ...", a colon after the letter, and the regimen every arm gets given alone.
        (
            "Patients in the E group received esketamine 0.2 mg/kg, whereas the C group received an equal volume of "
            "saline",
            {"E": True, "C": False},
        ),
        ("(group ES: esketamine + sufentanil; group S: sufentanil alone)", {"ES": True, "S": False}),
        # Doses of the drug alone: letters compare nothing against a comparator, so none is named.
        ("group H received ketamine 1 mg/kg and group L received ketamine 0.5 mg/kg", {}),
    ],
)
def test_letter_definitions(methods: str, arms: dict[str, bool]) -> None:
    # The results name the letters as groups (letters they do not name are never read).
    results = "Outcomes were compared between " + " and ".join(f"group {x}" for x in "ABCDEHKLNPS" if x in methods)
    results += " and the PK, ED, ES and E1 groups."
    sections = [AbstractSection("METHODS", "METHODS", methods + "."), AbstractSection("RESULTS", "RESULTS", results)]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    got = letter_arms(sentences, RULES.findings)
    assert {letter: arm.intervention for letter, arm in got.items()} == arms


def test_names_go_before_each_letter_of_a_list_and_clauses_map_back() -> None:
    sections = [
        AbstractSection(
            "METHODS",
            "METHODS",
            "Patients were randomized to esketamine (group HS), esketamine (group LS) or saline (group C).",
        ),
        AbstractSection("RESULTS", "RESULTS", "Hypotension was lower in the HS and LS groups than in group C."),
    ]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    new, named = with_arm_names(sentences, RULES.findings)
    assert new[-1].sentence.text == "Hypotension was lower in the esketamine HS and LS groups than in saline group C."
    n = named[new[-1].sentence.index]
    assert original("lower in the esketamine HS and LS groups", n) == "lower in the HS and LS groups"
    assert original("saline group C.", n) == "group C."
    # Sentences outside the results are kept as they are.
    assert new[0] is sentences[0]


# ------------------------------------------------------------------ rates


def test_two_arms_rates_with_the_sign_printed_once() -> None:
    assert [r.percent for r in rates("were 17.6 and 8.2% (p < 0.05), and 45 vs. 20%, respectively")] == [
        17.6,
        8.2,
        45.0,
        20.0,
    ]
    # A range is no pair of rates.
    assert [r.percent for r in rates("between 20 and 40% of patients do not respond")] == [40.0]


@pytest.mark.parametrize(
    ("sentence", "presence"),
    [
        (
            "TEAEs leading to discontinuation occurred in 4.6% of patients in the esketamine arm "
            "and 1.4% in the placebo arm.",
            "more",
        ),
        ("Headache occurred in 25% of placebo-treated and 6% of esketamine-treated patients.", "less"),
        (
            "Serious TEAEs were reported in 0.9% of patients receiving esketamine and 0.9% receiving placebo.",
            "no_difference",
        ),
        # A test that is not significant is read first: no difference.
        ("Nausea occurred in 8.2% of the esketamine group and 5.9% of the placebo group (p = 0.48).", "no_difference"),
        # Two times in one arm compare nothing.
        ("Dissociation occurred in 40% of the esketamine group on day 1 and 20% on day 28.", "present"),
    ],
)
def test_harms_told_by_per_arm_rates(sentence: str, presence: str) -> None:
    p = profile("Patients were randomized to esketamine or placebo.", sentence)
    assert {a.presence for a in p.adverse_events} == {presence}


def test_in_random_order_tags_a_trial_only_of_what_participants_received() -> None:
    from ketlit.config import Settings
    from ketlit.jobs.tag import TagRunner
    from ketlit.tagging import doc_from_article

    tagger = TagRunner(Settings()).tagger

    def designs(text: str) -> set[str]:
        article = Article("1", title="Ketamine in depression", sections=[AbstractSection(None, None, text)])
        return {t.value for t in tagger.tag(doc_from_article(article)) if t.axis == "design"}

    assert "rct" in designs("Seventeen adolescents received ketamine and midazolam in random order, two weeks apart.")
    assert "rct" not in designs(
        "Twenty patients received open-label ketamine infusions. Questionnaires were administered in random order."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Response was 30% at week 2 and 45% at week 4.",
        "Patients were aged 18 to 65 and 60% were women.",
        "The hazard ratio was 0.62 and 35% of patients relapsed.",
        "Scores fell from 32 to 15 and 40% of patients responded.",
        "Between approximately 20 and 40% of patients do not respond.",
        "Relapse occurred in 20% of the ketamine group by day 7 and 55% of the placebo group.",
    ],
)
def test_a_number_before_and_is_a_rate_only_in_a_list_of_rates(text: str) -> None:
    # Only the numbers printed with their sign: the number before "and" is a time, an age, a ratio, a score.
    assert [r.percent for r in rates(text)] == [float(x) for x in __import__("re").findall(r"(\d+)%", text)]


@pytest.mark.parametrize(
    ("sentence", "presence"),
    [
        ("Nausea was reported by 20% of ketamine and 18% of placebo patients (not significant).", "no_difference"),
        (
            "Nausea occurred in 20% of the ketamine group and 5% of the placebo group; the difference was not "
            "significant.",
            "no_difference",
        ),
        # The whole sample's rate and a subgroup's are no arm's.
        ("Nausea occurred in 18% of patients overall (ketamine 30%, placebo 6%).", "present"),
    ],
)
def test_arm_rates_said_not_significant_or_of_the_whole_sample(sentence: str, presence: str) -> None:
    p = profile("Patients were randomized to ketamine or placebo.", sentence, molecule="ketamine")
    assert presence in {a.presence for a in p.adverse_events}
    assert "less" not in {a.presence for a in p.adverse_events}


def test_letters_of_one_arm_in_a_list_and_a_combination_arm() -> None:
    p = profile(
        "Patients were randomized to esketamine 0.1 mg/kg (group L), esketamine 0.2 mg/kg (group H) or saline "
        "(group C).",
        "Hypotension was less frequent in groups L and H than in group C (P < 0.05).",
    )
    assert {a.presence for a in p.adverse_events} == {"less"}
    # The comparator is given as the abstract names that arm, never a name put in.
    assert [f.comparator for f in p.findings] == ["group C"]
    p = profile(
        "Patients were randomized to ketamine alone (group K), ketamine and propofol (group KP) or propofol alone "
        "(group P).",
        "Hypotension was less frequent in group KP than in group P.",
        molecule="ketamine",
    )
    assert {a.presence for a in p.adverse_events} == {"less"}
    # A dose of the drug alone is the drug's arm, not a comparator.
    sentences = assign_roles(
        abstract_sentences(
            [AbstractSection("METHODS", "METHODS", "Patients received 0.5 mg/kg (group L) or saline (group C).")]
        ),
        RULES.roles,
    )
    assert "L" not in letter_arms(sentences, RULES.findings) or letter_arms(sentences, RULES.findings)["L"].intervention


def _read(title: str, methods: str) -> tuple[str, str | None]:
    """(question, relation) of a record with an objective-free structured abstract, tagged as ``ketlit tag`` tags it."""
    from ketlit.config import Settings
    from ketlit.jobs.tag import TagRunner
    from ketlit.tagging import doc_from_article

    article = Article(
        "1",
        title=title,
        sections=[
            AbstractSection("METHODS", "METHODS", methods),
            AbstractSection("RESULTS", "RESULTS", "Depressive symptoms decreased (P < .01)."),
        ],
    )
    tags: dict[str, list[str]] = {}
    for t in TagRunner(Settings()).tagger.tag(doc_from_article(article)):
        tags.setdefault(t.axis, []).append(t.value)
    p = read_profile(article, tags, RULES)
    return p.question.value, p.relation


@pytest.mark.parametrize(
    ("title", "methods"),
    [
        (
            "Pretreatment expectations and outcome of ketamine versus electroconvulsive therapy",
            "As part of a larger randomized trial comparing serial ketamine infusions with ECT, we examined whether "
            "expectations predicted response.",
        ),
        (
            "Benzodiazepines and the antidepressant effect of ketamine",
            "We genotyped participants who had taken part in a completed double-blind trial of ketamine or midazolam.",
        ),
        ("Esketamine by age group", "We pooled data from three phase 3 randomized trials of esketamine or placebo."),
        (
            "Ketamine and anxiety: a pharmacogenetic analysis of a randomized trial",
            "Adults were randomized to ketamine or midazolam.",
        ),
        (
            "Hospitalisation after ketamine or electroconvulsive therapy: linked health-record follow-up of a "
            "randomized trial",
            "Participants were randomized to ketamine or ECT.",
        ),
    ],
)
def test_a_trials_participants_studied_again_are_a_secondary_report(title: str, methods: str) -> None:
    assert _read(title, methods) == ("predictor_or_secondary", "secondary")


@pytest.mark.parametrize(
    "methods",
    [
        # A main report says these of itself (a reviewer's adversarial cases).
        "Patients enrolled in a randomized double-blind trial received ketamine or saline.",
        "Adults were randomized to ketamine or saline. A subsample of participants completed daily smartphone ratings.",
        "Adults were randomized to ketamine or saline. We analysed data from all randomized participants in the trial.",
        "Adults were randomized to ketamine or saline. Response was a prespecified secondary outcome of the trial.",
        "Adults were randomized to ketamine or saline. Patients who had participated in a previous ketamine trial "
        "were excluded.",
        "Adults were randomized to ketamine or saline. We used data from two previous trials to estimate the effect "
        "size for the power calculation.",
        "Patients were enrolled as part of a multicentre randomised controlled trial of ketamine or saline.",
    ],
)
def test_a_main_report_is_not_read_as_a_secondary_one(methods: str) -> None:
    assert _read("Ketamine versus saline for depression: a randomized trial", methods) == (
        "efficacy_vs_control",
        "main",
    )


@pytest.mark.parametrize(
    ("methods", "sentence", "presence"),
    [
        (
            "Patients were randomized to esketamine (group S) or propofol (group P).",
            "Hypoxemia occurred in 3 patients in group S and 11 patients in group P.",
            "less",
        ),
        (
            "Children were randomized to ketamine or dexmedetomidine.",
            "Hypersalivation was observed in 9 children receiving ketamine and in none receiving dexmedetomidine.",
            "more",
        ),
        (
            "Children were randomized to ketamine or dexmedetomidine.",
            "No child in the ketamine group developed hypotension, while 5 children receiving dexmedetomidine did.",
            "less",
        ),
        # Nobody in either arm: absent, no comparison.
        (
            "Patients were randomized to ketamine or placebo.",
            "No patient in the ketamine group and no patient in the placebo group developed hypotension.",
            "absent",
        ),
    ],
)
def test_harms_told_by_people_counted_in_each_arm(methods: str, sentence: str, presence: str) -> None:
    p = profile(methods, sentence, molecule="ketamine")
    assert {a.presence for a in p.adverse_events} == {presence}


@pytest.mark.parametrize(
    "sentence",
    [
        "Before surgery, EPDS scores were similar in the esketamine group and the saline group (P = 0.71).",
        "There was no significant difference in preoperative HAMD-17 scores between the two groups.",
        "Patients in the two groups did not differ in age, ASA status or procedure duration.",
        "Demographic data and duration of surgery were comparable across the three groups.",
    ],
)
def test_groups_alike_before_treatment_are_no_finding(sentence: str) -> None:
    p = profile("Patients were randomized to esketamine or saline.", sentence)
    assert p.findings == ()
