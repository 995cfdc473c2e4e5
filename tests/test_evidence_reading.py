"""Evidence reading (issue 12): sentence roles, effect numbers, findings, study questions, trial
groups, and the stored profiles that tagging derives. In-repo data only.

The clause table holds the traps of ``../shared/CLAIMS_REVIEW.md`` section 4 in general form:
background and future-work sentences are not findings, "not more efficacious than" and
"non-inferior" are no difference, a comparator that is the sentence's subject turns the result
round ("ECT was superior to ketamine"), and a heterogeneity p value is not an effect's.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.evidence import numbers as nums
from ketlit.evidence.findings import Finding, read_clause, read_findings
from ketlit.evidence.groups import group_records
from ketlit.evidence.questions import classify
from ketlit.evidence.roles import assign_roles
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import abstract_sentences, split_clauses, split_prose
from ketlit.sources.models import AbstractSection
from ketlit.store.profiles import GroupingInput
from tests.conftest import FIXTURES

RULES = packaged_rules()


def read_findings_of(sentence: str) -> list[Finding]:
    """The findings the reader reads in one results sentence."""
    sentences = assign_roles(abstract_sentences([AbstractSection("RESULTS", "RESULTS", sentence)]), RULES.roles)
    return read_findings(sentences, RULES.findings)
runner = CliRunner()

CLAUSES = [
    # (clause, direction or None, favours)
    (
        "Ketamine infusion was associated with significant and rapid reduction in PTSD symptom severity, compared with "
        "midazolam (P = .02).",
        "decreased",
        "intervention",
    ),
    ("Ketamine was not more efficacious than placebo on the MADRS at day 7.", "no_difference", "neither"),
    (
        "Ketamine was noninferior to ECT as therapy for treatment-resistant major depression.",
        "no_difference",
        "neither",
    ),
    (
        "ECT may be superior to ketamine for improving depression severity in the acute phase.",
        "increased",
        "comparator",
    ),
    (
        "Among patients receiving ECT, 63% remitted compared with 46% receiving ketamine infusions (P = .026).",
        "decreased",
        "comparator",
    ),
    (
        "The proportion of responders at day 1 was 55% for the ketamine group and 30% for the midazolam group "
        "(odds ratio 2.85, 95% CI 1.14 to 7.15).",
        "increased",
        "intervention",
    ),
    ("There was no significant difference in tolerability between the groups.", "no_difference", "neither"),
    ("Depression scores did not differ between groups at 24 hours (p = 0.52).", "no_difference", "neither"),
    ("Response at 24 hours: OR 1.40, 95% CI 0.80 to 2.45.", "no_difference", "neither"),
    (
        "Greater improvement in MADRS total score was observed with esketamine versus placebo at 24 hours.",
        "decreased",
        "intervention",
    ),
    ("Remission was achieved in 75% of the intention-to-treat population.", "increased", "intervention"),
    (
        "Seventy-nine percent of subjects responded to ketamine and 0% responded to placebo.",
        "increased",
        "intervention",
    ),
    ("The pooled SMD was -0.69 (95% CI -0.89 to -0.48; Cochran Q, P = .15).", "decreased", "intervention"),
    ("Ketamine produced dissociative symptoms that resolved within two hours.", "increased", "comparator"),
    ("Larger randomized controlled trials are needed to confirm these findings.", None, None),
    ("Results were mixed across functional outcomes.", "no_difference", "neither"),
    # Counted people with a good outcome read like one arm's rate; none of them: no change.
    ("Five of nine patients experienced an antidepressant response within two days.", "increased", "intervention"),
    ("Twelve participants achieved remission after the third infusion.", "increased", "intervention"),
    ("None of 8 subjects experienced a response in obsessive symptoms.", "no_difference", "neither"),
    # "respectively": the rates belong to the arms in the order they were named.
    (
        "Anxiety scores differed between the ketamine group and the placebo group (11.5% vs. 24.0%, respectively; "
        "p = .01).",
        "decreased",
        "intervention",
    ),
    # "impaired"/"disrupted" is less of the function named; "delayed recall" is a test, not a delay.
    ("Ketamine impaired working memory performance relative to saline.", "decreased", "comparator"),
    ("Ketamine disrupted memory on the delayed recall task compared with placebo.", "decreased", "comparator"),
]


@pytest.mark.parametrize(("clause", "direction", "favours"), CLAUSES)
def test_clause_direction_and_favours(clause: str, direction: str | None, favours: str | None) -> None:
    found = read_clause(clause, 0, RULES.findings)
    if direction is None:
        assert found is None
        return
    assert found is not None, clause
    assert (found.direction, found.favours) == (direction, favours), found.basis


def test_clauses_are_not_cut_inside_brackets() -> None:
    text = "Ketamine reduced scores (MD 12.7 [95% CI, 2.5-22.8]; P = .02); anxiety did not change."
    assert split_clauses(text, RULES.findings.clause_split) == [
        "Ketamine reduced scores (MD 12.7 [95% CI, 2.5-22.8]; P = .02)",
        "anxiety did not change.",
    ]


@pytest.mark.parametrize(
    ("text", "measure", "value", "lo", "hi"),
    [
        ("(mean difference in IES-R score, 12.7 [95% CI, 2.5-22.8]; P = .02)", "MD", 12.7, 2.5, 22.8),
        ("odds ratio (OR) 3.94, 95% confidence interval (CI) 1.54 to 10.10; n = 185", "OR", 3.94, 1.54, 10.1),
        ("(SMD −0.87, 95% CI −1.26 to −0.48)", "SMD", -0.87, -1.26, -0.48),
        ("hazard ratio [HR], 0.49; 95% CI, 0.29-0.84", "HR", 0.49, 0.29, 0.84),
        # The interval's label abbreviated in square brackets.
        ("odds ratio [OR] = 2.10; 95% confidence interval [CI]: 1.20–3.60", "OR", 2.1, 1.2, 3.6),
        # The value's unit between it and its interval.
        ("mean difference (MD) −4.56 points (95% CI −6.23, −2.89)", "MD", -4.56, -6.23, -2.89),
        # A standard error opening the interval's bracket.
        ("LS mean difference −4.1 (SE 1.3; 95% CI −6.7 to −1.5)", "MD", -4.1, -6.7, -1.5),
        # A minus sign (U+2212) set apart from its number.
        ("(SMD = −0.89; 95% CI − 1.24; − 0.53)", "SMD", -0.89, -1.24, -0.53),
        ("mean change difference vs placebo −3.2 (95% CI −5.1, −1.3)", "MD", -3.2, -5.1, -1.3),
        # An unnamed difference whose words say what differed.
        ("the difference in MADRS change was −4.0 points (95% CI −7.3 to −0.6)", "MD", -4.0, -7.3, -0.6),
    ],
)
def test_effects_are_read_with_their_ci(text: str, measure: str, value: float, lo: float, hi: float) -> None:
    assert nums.effects(text) == [nums.Effect(measure, value, lo, hi)]  # type: ignore[arg-type]


def test_an_interval_declared_once_reads_every_value_after_it() -> None:
    """"OR (95% CI) 2.1 (1.2-3.6) ... and 3.0 (1.5-6.1)": each "value (lo, hi)" after the declaration is an
    estimate; means ± SD are not, and a pair whose value lies outside its interval is no estimate."""
    got = nums.effects("OR (95% CI) 2.1 (1.2-3.6) for response and 3.0 (1.5-6.1) for remission")
    assert [(e.measure, e.value, e.lo, e.hi) for e in got] == [("OR", 2.1, 1.2, 3.6), ("OR", 3.0, 1.5, 6.1)]
    sentence = (
        "Change from baseline, drug vs placebo (least-square mean difference [95% CI] based on MMRM): BHS score, "
        "− 7.4 ± 6.7 vs − 6.8 ± 6.5 [− 1.0 (− 2.23, 0.21)]; QLDS score, − 14.4 ± 11.5 vs − 12.2 ± 10.8 "
        "[− 3.1 (− 5.21, − 1.02)]; age 45 (18, 30)."
    )
    first, second, third = split_clauses(sentence, RULES.findings.clause_split)
    assert [(e.value, e.lo, e.hi) for e in nums.effects(first)] == [(-1.0, -2.23, 0.21)]
    # The later clauses go on with the measure the first declared (the reader carries it over).
    declared = nums.declared_measure(first)
    assert declared == "MD"
    assert [(e.value, e.lo, e.hi) for e in nums.effects(second, declared)] == [(-3.1, -5.21, -1.02)]
    assert nums.effects(third, declared) == []
    assert nums.effects(second) == []  # alone, nothing declares it
    found = read_findings_of(sentence)
    assert [(f.effect.value if f.effect else None) for f in found][:2] == [-1.0, -3.1]


def test_rates_p_values_and_what_is_not_a_rate() -> None:
    rates = nums.rates("response 64% (16/25) vs 28% (7/25), p<0.001; difference 95% CI 2%, 30%")
    assert [(r.percent, r.events, r.n) for r in rates] == [(64.0, 16, 25), (28.0, 7, 25)]
    assert [p.text for p in nums.p_values("P = .026; Cochran Q, P = .15; p < 0.001")] == ["= .026", "< .001"]
    assert nums.rates("Sixty-seven percent responded")[0].percent == 67.0


def test_split_keeps_decimals_abbreviations_and_p_values() -> None:
    assert split_prose(
        "Ketamine (0.5 mg/kg i.v.) vs. placebo was better (P = .02). Smith et al. agreed. Next one."
    ) == [
        "Ketamine (0.5 mg/kg i.v.) vs. placebo was better (P = .02).",
        "Smith et al. agreed.",
        "Next one.",
    ]
    # "v." is "versus" as "vs." is: arm rates on either side of it are one sentence.
    assert split_prose("Responders: 92.3% v. 57.1% (p = 0.04). Selective action of PT (v. ET) on mood.") == [
        "Responders: 92.3% v. 57.1% (p = 0.04).",
        "Selective action of PT (v. ET) on mood.",
    ]


def test_roles_from_labels_including_an_inline_authors_conclusions() -> None:
    sections = [
        AbstractSection("BACKGROUND", "BACKGROUND", "Ketamine has rapid antidepressant effects."),
        AbstractSection("MAIN RESULTS", None, "Ketamine reduced scores. AUTHORS' CONCLUSIONS: Ketamine may work."),
    ]
    roles = [(r.role, r.labelled) for r in assign_roles(abstract_sentences(sections), RULES.roles)]
    assert roles == [("background", True), ("results", True), ("conclusions", True)]


def test_a_label_run_into_the_sentence_before_opens_its_section() -> None:
    # An export that flattened the abstract lost the breaks before its labels: no space after the stop, so no
    # sentence end there. The label still opens its section, inside the sentence it ran into.
    text = (
        "Background: PTSD is common. Ketamine is hoped to be better than extant treatments.Objective: Several trials "
        "have been published. We sought to review them.Results: Ketamine reduced PTSD symptoms (g = 0.27, 95% CI "
        "0.03 to 0.51). Effects at 24 hours favoured ketamine (g = 0.35, 95% CI 0.06 to 0.64).Conclusions: Ketamine "
        "may help. Bias is a concern."
    )
    roles = [r.role for r in assign_roles(abstract_sentences([AbstractSection(None, None, text)]), RULES.roles)]
    assert roles == ["background", "objective", "results", "conclusions", "conclusions"]
    # A run-in word that names no section ("NOTE:", "Note:") leaves the label the sentence starts with.
    for plain in ("Results: Scores fell at each visit.NOTE: two sites closed.", "Results: Scores fell.Note: see text."):
        first = assign_roles(abstract_sentences([AbstractSection(None, None, plain)]), RULES.roles)[0]
        assert first.role == "results", plain


def test_unstructured_background_sentence_is_not_a_result() -> None:
    sections = [
        AbstractSection(
            None,
            None,
            "Ketamine has rapid antidepressant effects in depression. We aimed to test whether a single infusion "
            "reduces suicidal ideation. Eighty adults were randomized to ketamine or midazolam. Suicidal ideation "
            "scores decreased more with ketamine than midazolam at day 1 (p = 0.02). These findings suggest "
            "ketamine may be a useful treatment.",
        )
    ]
    roles = [r.role for r in assign_roles(abstract_sentences(sections), RULES.roles)]
    assert roles[0] == "background"
    assert roles[1] == "objective"
    assert roles[3] in ("results", "conclusions")
    assert roles[-1] == "conclusions"
    assert roles == sorted(roles, key=("background", "objective", "methods", "results", "conclusions").index)


@pytest.mark.parametrize(
    ("title", "designs", "question"),
    [
        (
            "Ketamine versus placebo in treatment-resistant depression: a randomized trial",
            {"rct"},
            "efficacy_vs_control",
        ),
        ("Ketamine versus ECT for nonpsychotic treatment-resistant major depression", {"rct"}, "head_to_head"),
        ("Ketamine anesthesia for electroconvulsive therapy: a randomized trial", {"rct"}, "anaesthetic_or_adjunct"),
        ("Intraoperative ketamine and postoperative depression after surgery", {"rct"}, "perioperative_prevention"),
        ("A post hoc analysis of predictors of response to esketamine", {"rct"}, "predictor_or_secondary"),
        ("Ketamine for depression: a systematic review and meta-analysis", {"meta_analysis"}, "systematic_review"),
        ("Ketamine effects on prefrontal connectivity measured with fMRI", {"rct"}, "mechanism_or_biomarker"),
        ("Two cases of ketamine cystitis", {"case_report"}, "case_report"),
        # A case series of treated patients is an uncontrolled trial, whatever the design tag says.
        ("Oral ketamine for chronic cluster headache: a case series", {"case_report"}, "single_arm_open_label"),
        # A secondary analysis stays one when it measures a biomarker.
        (
            "Serum BDNF and response to esketamine: secondary analysis of a randomized trial",
            {"rct"},
            "predictor_or_secondary",
        ),
        # Surveys of drug users are epidemiology; an observational study titled for the treatment's harms asks a
        # safety question (as the evidence labels code such records, a pharmacovigilance study among them).
        ("Ketamine and other drug use among festival attendees, 2015-2020", {"observational"}, "other"),
        ("Adverse events of ketamine in a national registry", {"observational"}, "safety_only"),
    ],
)
def test_study_question_from_title(title: str, designs: set[str], question: str) -> None:
    assert classify(title, [], frozenset(designs), RULES.questions).value == question


def _g(pmid: str, title: str, n: int | None, relation: str | None = "main", nct: tuple[str, ...] = ()) -> GroupingInput:
    return GroupingInput(pmid, title, 2020, n, relation, "efficacy_vs_control", nct)


def test_one_trial_one_vote_and_group_ids_do_not_depend_on_order() -> None:
    records = [
        _g("300", "Ketamine for suicidal ideation: a randomized trial", 80, nct=("NCT01700829",)),
        _g("200", "Secondary analysis of a ketamine trial: inflammatory markers", 80, "secondary", ("NCT01700829",)),
        _g("500", "Ketamine versus placebo in depression: a randomized trial", 40),
        _g("400", "Ketamine versus placebo in depression - a randomized trial.", 40),
        _g("600", "Something else entirely about ketamine", 40),
    ]
    groups = group_records(records)
    assert groups == group_records(list(reversed(records)))
    by = {p: (g, main) for p, g, main in groups}
    assert by["300"] == ("200", True) and by["200"] == ("200", False)  # the main report speaks for the trial
    assert by["400"][0] == by["500"][0] == "400"
    assert by["600"] == ("600", True)


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    db = tmp_path / "k.db"
    result = runner.invoke(
        app, ["--db", str(db), "--quiet", "import", str(FIXTURES / "offline" / "efetch_offline_ketamine_set.xml")]
    )
    assert result.exit_code == 0, result.output
    return db


def test_tagging_reads_a_profile_for_every_candidate_and_nothing_else(imported: Path) -> None:
    con = sqlite3.connect(imported)
    candidates = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT record_id FROM tags WHERE axis = 'molecule' AND value IN "
            "('racemic_ketamine', 'esketamine', 'arketamine')"
        )
    }
    profiles = {r[0] for r in con.execute("SELECT pmid FROM study_profiles")}
    assert candidates and profiles == candidates  # no silent drops, no non-candidates
    assert "90300010" not in profiles  # the soil nematode record is never read
    questions = dict(con.execute("SELECT pmid, question FROM study_profiles"))
    assert questions["90300004"] == "systematic_review"
    assert questions["90300005"] == "case_report"
    rows = con.execute("SELECT direction, favours FROM study_findings WHERE pmid = '90300001'").fetchall()
    assert rows, "the placebo-controlled fixture trial has findings"
    unreadable = con.execute("SELECT pmid, data FROM study_profiles WHERE readable = 0").fetchall()
    for _, data in unreadable:
        assert json.loads(data)["unreadable_reason"]  # listed with a reason, never dropped


def test_profiles_follow_record_changes_and_explain_shows_them(imported: Path) -> None:
    con = sqlite3.connect(imported)
    con.execute("UPDATE study_profiles SET rules_sha256 = 'old'")
    con.commit()
    result = runner.invoke(app, ["--db", str(imported), "tag"])
    assert result.exit_code == 0, result.output
    assert con.execute("SELECT COUNT(*) FROM study_profiles WHERE rules_sha256 = 'old'").fetchone()[0] == 0
    shown = runner.invoke(app, ["--db", str(imported), "explain", "90300001"])
    assert shown.exit_code == 0, shown.output
    assert "study profile" in shown.output and "question:" in shown.output and "findings (" in shown.output
    as_json = runner.invoke(app, ["--db", str(imported), "explain", "90300001", "--json"])
    payload = json.loads(as_json.output)
    assert payload["profile"]["pmid"] == "90300001"
    assert payload["profile"]["group"]["main"] is True


def test_number_words_read_as_the_readers_need_them() -> None:
    from ketlit.numwords import word_number

    assert [word_number(w) for w in ("seven", "Twenty-one", "forty two", "one hundred", "zero")] == [7, 21, 42, 100, 0]
    assert word_number("several") is None and word_number("hundred") is None
    assert nums.rates("Sixty-seven percent responded, one hundred percent tolerated it")[1].percent == 100.0


def test_a_section_labelled_with_both_methods_and_results_is_read_sentence_by_sentence() -> None:
    # NLM files "MEASUREMENTS AND MAIN RESULTS" under METHODS; its result sentences are results all the same.
    sections = [
        AbstractSection("OBJECTIVE", "OBJECTIVE", "To determine if ketamine attenuates delirium after surgery."),
        AbstractSection("INTERVENTIONS", "METHODS", "Patients randomly received placebo or ketamine at induction."),
        AbstractSection(
            "MEASUREMENTS AND MAIN RESULTS",
            "METHODS",
            "Delirium was assessed before and after surgery. The incidence of delirium was lower with ketamine "
            "(3%) than with placebo (31%), p = 0.01. The odds of delirium were greater with placebo.",
        ),
        AbstractSection("CONCLUSIONS", "CONCLUSIONS", "Ketamine attenuates postoperative delirium."),
    ]
    roles = [(r.role, r.labelled) for r in assign_roles(abstract_sentences(sections), RULES.roles)]
    assert roles[3:5] == [("results", False), ("results", False)]
    assert roles[0] == ("objective", True) and roles[-1] == ("conclusions", True)
    # A label naming one role ("MATERIALS AND METHODS") is that role, as before.
    one = [AbstractSection("MATERIALS AND METHODS", "METHODS", "Patients received ketamine. Scores were lower.")]
    assert [r.role for r in assign_roles(abstract_sentences(one), RULES.roles)] == ["methods", "methods"]


def test_what_the_drug_did_in_the_past_tense_is_a_result_sentence() -> None:
    text = (
        "Glutamate antagonists have been shown to cause psychosis-like states in people. The NMDA receptor has "
        "been implicated in memory, but only some memory functions have been examined. This study used a "
        "double-blind, placebo-controlled design with 40 healthy volunteers to examine the effects of two doses "
        "(0.3, 0.6 mg/kg) of the drug on memory. Ketamine produced a dose-dependent impairment of verbal and "
        "spatial memory and a slowing of reaction times. Ketamine also impaired source memory and skill learning. "
        "Attention and planning were not affected by the drug. Ketamine induced dissociative symptoms, which were "
        "unrelated to the memory measures. These data suggest that ketamine impairs some memory systems but not others."
    )
    roles = [r.role for r in assign_roles(abstract_sentences([AbstractSection(None, None, text)]), RULES.roles)]
    assert roles == ["background", "background", "methods", "results", "results", "results", "results", "conclusions"]


def test_explain_lists_the_names_a_record_gives_its_trial() -> None:
    from ketlit.evidence.explain import profile_lines
    from ketlit.evidence.profile import profile_to_dict, read_profile
    from ketlit.sources.models import Article

    article = Article(
        pmid="1",
        title="Vortioxetine with esketamine: insights from the REAL-ESK study",
        sections=[AbstractSection("RESULTS", "RESULTS", "Scores fell (p < 0.01). Registered: ChiCTR2000041232.")],
    )
    profile = profile_to_dict(read_profile(article, {"molecule": ["esketamine"]}, RULES))
    assert profile["trial_keys"] == ["registry:CHICTR2000041232", "study:REAL-ESK"]
    lines = profile_lines(profile, ["Scores fell (p < 0.01).", "Registered: ChiCTR2000041232."])
    assert "  trial named: CHICTR2000041232, REAL-ESK" in lines


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("Adjunctive ketamine and electroconvulsive therapy for major depression: a meta-analysis",
         "anaesthetic_or_adjunct"),
        ("Ketamine in ECT anaesthesia: a systematic review of seizure outcomes", "anaesthetic_or_adjunct"),
        ("Efficacy of ketamine-assisted electroconvulsive therapy: a network meta-analysis", "anaesthetic_or_adjunct"),
        ("Perioperative esketamine for preventing postpartum depression after caesarean section: a meta-analysis",
         "perioperative_prevention"),
        ("Ketamine versus electroconvulsive therapy for major depression: a systematic review", "head_to_head"),
        # A dose named "sub-anaesthetic" is no anaesthetic: a review of it against ECT compares treatments.
        ("Sub-anesthetic ketamine or electroconvulsive therapy for depression: a meta-analysis", "head_to_head"),
        ("Blood biomarkers of response to ketamine: a systematic review", "mechanism_or_biomarker"),
        ("Sex differences in the response to ketamine: a systematic review", "predictor_or_secondary"),
        ("Ketamine for treatment-resistant depression: a systematic review and meta-analysis", None),
        ("Efficacy of ketamine on inflammatory and depressive outcomes: a meta-analysis", None),
    ],
)
def test_a_reviews_topic_is_read_from_its_title_and_explained(title: str, topic: str | None) -> None:
    from ketlit.evidence.explain import profile_lines
    from ketlit.evidence.profile import profile_to_dict, read_profile
    from ketlit.sources.models import Article

    text = "Twelve trials (n = 640) were included. Ketamine reduced symptoms (SMD -0.8, 95% CI -1.1 to -0.5)."
    article = Article(pmid="1", title=title, sections=[AbstractSection("RESULTS", "RESULTS", text)])
    tags = {"molecule": ["racemic_ketamine"], "design": ["meta_analysis"]}
    profile = profile_to_dict(read_profile(article, tags, RULES))
    assert profile["question"]["value"] == "systematic_review"
    assert profile["review"]["topic"] == topic
    shown = [line for line in profile_lines(profile, []) if line.startswith("  review topic:")]
    assert shown == ([f'  review topic: {topic} (title: "{profile["review"]["topic_words"]}")'] if topic else [])


def test_who_benefits_more_is_no_finding() -> None:
    """"The antidepressive effect of prophylactic ketamine was stronger in mothers with a history of moderate stress"
    was read as favouring the control, and turned a positive prevention trial against the drug."""
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import Article

    said = "In addition, the antidepressive effect of ketamine was stronger in mothers with a history of stress."
    sections = [AbstractSection("CONCLUSIONS", "CONCLUSIONS", said)]
    article = Article(pmid="1", title="Ketamine at caesarean section", sections=sections)
    assert read_profile(article, {"molecule": ["racemic_ketamine"]}, RULES).findings == ()
    # A comparison with the control group is a finding however it is worded.
    assert read_findings_of("The reduction was greater in patients receiving ketamine than in those receiving placebo.")
