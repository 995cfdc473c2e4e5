"""Evidence reading (issue 12): sentences that print several results, effect numbers in their many
printed forms, and the direction rules added for general wording (each pinned both ways: the
form that must read one way, and a near form that must not).

In-repo inline sentences only (general wording, no record's text).
"""

from __future__ import annotations

import pytest

from ketlit.evidence import numbers as nums
from ketlit.evidence.findings import apply_scores, clause_findings, read_clause, rule_findings
from ketlit.evidence.model import Answer, Thresholds
from ketlit.evidence.roles import RoledSentence
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import AbstractSentence, split_clauses

RULES = packaged_rules()


def _read(clause: str) -> list[tuple[str, str | None, str | None]]:
    """(direction, effect as text, p as text) per finding of one clause."""
    out = []
    for f in clause_findings(clause, 0, RULES.findings):
        effect = f"{f.effect.measure} {f.effect.value:g} [{f.effect.lo:g}, {f.effect.hi:g}]" if f.effect else None
        out.append((f.direction, effect, f.p.text if f.p else None))
    return out


# ------------------------------------------------------------------ effect numbers as printed


@pytest.mark.parametrize(
    ("text", "measure", "value", "lo", "hi"),
    [
        # A minus sign set apart from its number, in the value and both bounds.
        ("(SMD = - 0.89; 95% CI - 1.24; - 0.53; p < 0.00001)", "SMD", -0.89, -1.24, -0.53),
        # The measure's name glued to a negative value; "[CI, lo, hi]" inside the bracket.
        ("SMD-0.65, 95% CI [-1.12, -0.17], P < 0.001", "SMD", -0.65, -1.12, -0.17),
        (
            "a standardized mean difference (SMD) of -0.97, 95% confidence interval [CI, -1.27, -0.66]",
            "SMD",
            -0.97,
            -1.27,
            -0.66,
        ),
        # The interval's label before the value.
        ("(SMD [95% CI] = 0.26 [0.03, 0.48], p = 0.02)", "SMD", 0.26, 0.03, 0.48),
        # "CI 95%" word order.
        ("a mean difference of 20.3 points [CI 95% 13.6-27.0; p < 0.001]", "MD", 20.3, 13.6, 27.0),
        # Unicode minus signs and "95% CI:" with a colon.
        ("(SMD: −0.42 [95% CI: −0.84; 0.003])", "SMD", -0.42, -0.84, 0.003),
        ("OR 2.1 (95% CI 1.2 to 3.6)", "OR", 2.1, 1.2, 3.6),
        # The minus sign lost to the wording ("17 mm lower"): an estimate lies inside its interval.
        ("Median difference 17 mm (95% CI -30 to -3)", "MD", -17.0, -30.0, -3.0),
        # A value outside its interval either way is printed as it is.
        ("OR 0.4 (95% CI 1.2 to 3.6)", "OR", 0.4, 1.2, 3.6),
    ],
)
def test_effects_in_printed_forms(text: str, measure: str, value: float, lo: float, hi: float) -> None:
    assert nums.effects(text) == [nums.Effect(measure, value, lo, hi)]  # type: ignore[arg-type]


def test_more_printed_forms() -> None:
    # Percent signs on the bounds of an unnamed difference, bounds printed high to low.
    assert nums.effects("[difference = -2.7%; 95% confidence interval (CI), 5.0% to -9.4%; P=0.446]") == [
        nums.Effect("RD", -2.7, -9.4, 5.0)
    ]
    # A second value of the same measure after "and", with its own CI.
    assert nums.effects(
        "(d = .89, 95% confidence interval = .61-1.16, and .98, 95% confidence interval = .64-1.33)"
    ) == [
        nums.Effect("d", 0.89, 0.61, 1.16),
        nums.Effect("d", 0.98, 0.64, 1.33),
    ]
    # "ES = …" is an effect size printed as a value; "ES" in running text is not a measure.
    assert nums.effects("(ES = 1.48, 95% CI: 1.23-1.73)") == [nums.Effect("SMD", 1.48, 1.23, 1.73)]
    assert nums.effects("ES patients improved (95% CI 1.2-1.7)") == []


def test_a_positive_effect_size_is_a_benefit() -> None:
    # No change word: an effect size's sign is the benefit's, so the symptoms fell.
    assert [d for d, _, _ in _read("Ketamine (ES = 1.48, 95% CI: 1.23-1.73) was among the highest.")] == ["decreased"]
    # An SMD's sign is taken as printed.
    assert [d for d, _, _ in _read("Ketamine (SMD = 1.48, 95% CI: 1.23-1.73) was among the highest.")] == ["increased"]


def test_a_credible_interval_level_is_not_a_rate() -> None:
    text = "a lower amygdala reactivation (MD -0.33, sd = 0.13, 95%HDI [-0.56,-0.04]) than with placebo"
    assert nums.rates(text) == []
    assert nums.effects(text) == [nums.Effect("MD", -0.33, -0.56, -0.04)]
    # A percentage that is a rate stays one.
    assert [r.percent for r in nums.rates("95% of patients responded")] == [95.0]


def test_a_range_hyphen_is_not_a_minus_sign() -> None:
    # "2.5 - 22.8" between two numbers stays a range: the upper bound is positive.
    assert nums.effects("(MD 12.7, 95% CI 2.5 - 22.8)") == [nums.Effect("MD", 12.7, 2.5, 22.8)]
    # Only the CI level is "95": a bare "(1.2-3.6)" without the measure's name is not read.
    assert nums.effects("was 1.2 (95% CI 0.8-1.9)") == []


@pytest.mark.parametrize(
    ("text", "measure", "value", "lo", "hi"),
    [
        # A time point between the measure's name and its value is when it was measured, not the value.
        ("The mean difference in pain intensity at 24 h was -0.94 (95% CI, -1.39 to -0.49)", "MD", -0.94, -1.39, -0.49),
        ("The odds ratio for response at 1 week was 4.1 (95% CI 1.9 to 8.8)", "OR", 4.1, 1.9, 8.8),
        ("(SMD at 24 h −0.85, 95% CI −1.17 to −0.53)", "SMD", -0.85, -1.17, -0.53),
        ("(RR at day 3, 0.97; 95% CI 0.73-1.29)", "RR", 0.97, 0.73, 1.29),
        ("(estimated difference at day 7, -3.9; 95% CI -6.6 to -1.2)", "MD", -3.9, -6.6, -1.2),
        ("the between-group difference in MADRS score at 24 h was 6.0 points (95% CI, 2.4-9.6)", "MD", 6.0, 2.4, 9.6),
        # A standard error in brackets after the value, then the interval in its own brackets.
        ("LS mean difference (SE) in MADRS total score was -3.2 (1.5) (95% CI: -6.3, -0.2)", "MD", -3.2, -6.3, -0.2),
        ("(difference of LS means: -4.0 [95% CI -7.31, -0.64])", "MD", -4.0, -7.31, -0.64),
        ("(LSMD -4.1, 95% CI -7.6 to -0.6)", "MD", -4.1, -7.6, -0.6),
        ("The estimated treatment effect on the MADRS was -5.7 (95% CI -9.4 to -2.0)", "MD", -5.7, -9.4, -2.0),
        # An effect size named in words is a standardised difference; a named d or g with it is the value's.
        ("(pooled effect size of 0.72, 95% CI: 0.45-0.99)", "SMD", 0.72, 0.45, 0.99),
        ("The effect size (Hedges' g) at 24 h was 1.01 (95% CI 0.69-1.34)", "g", 1.01, 0.69, 1.34),
        ("Cohen's d effect sizes were large: 2.8 (95% CI 1.19-4.39)", "d", 2.8, 1.19, 4.39),
        ("The effect size (OR 2.1, 95% CI 1.2-3.6) favoured ketamine", "OR", 2.1, 1.2, 3.6),
        # Other labels of the interval.
        ("(odds ratio 3.4; 95% confidence limits 1.6, 7.2)", "OR", 3.4, 1.6, 7.2),
        ("(risk ratio 1.9, 95% CI from 1.2 to 3.0)", "RR", 1.9, 1.2, 3.0),
        ("The IRR for dissociation was 3.1 (95% CI 1.8-5.3)", "RR", 3.1, 1.8, 5.3),
        # More verbs before "by", and the points' scale named after them.
        ("Response rates differed by 22 percentage points (95% CI 8 to 36) between groups", "RD", 22.0, 8.0, 36.0),
        ("Relative to placebo, ketamine lowered HDRS by 3.54 points (95% CI: 1.2-5.9)", "MD", 3.54, 1.2, 5.9),
        ("Ketamine was superior to placebo by 5.7 points on the MADRS (95% CI 2.0 to 9.4)", "MD", 5.7, 2.0, 9.4),
    ],
)
def test_effects_past_time_points_and_other_labels(text: str, measure: str, value: float, lo: float, hi: float) -> None:
    assert nums.effects(text) == [nums.Effect(measure, value, lo, hi)]  # type: ignore[arg-type]


def test_a_named_value_with_an_unlabelled_interval_in_brackets() -> None:
    # Round brackets as well as square ones, the p inside or after: an interval of unstated level.
    for text, effect in [
        ("(hazard ratio of 0.51 (0.35-0.73))", nums.Effect("HR", 0.51, 0.35, 0.73)),
        ("(MD -1.29 (-1.81, -0.77))", nums.Effect("MD", -1.29, -1.81, -0.77)),
        ("(SMD = 0.75 (0.51-0.99), p<0.001)", nums.Effect("SMD", 0.75, 0.51, 0.99)),
        ("(weighted risk ratio = 0.73 (0.60-0.89) p = 0.002)", nums.Effect("RR", 0.73, 0.6, 0.89)),
        ("(mean difference 6.45 (3.19 to 9.41))", nums.Effect("MD", 6.45, 3.19, 9.41)),
    ]:
        found = nums.effects(text)
        assert found == [effect], text
        assert not found[0].level_printed
    # Not a value inside its range, no measure's name, or another bracket between: nothing.
    assert nums.effects("(OR 4.2 (1.2-3.6))") == []
    assert nums.effects("was 1.2 (0.8-1.9)") == []
    assert nums.effects("the MD (n = 12) was 3.1 (2.0-4.0)") == []
    # An effect size that is a correlation, a variance share or a coefficient is not a standardised difference.
    assert nums.effects("The effect size (r = 0.45, 95% CI 0.2-0.6) was moderate.") == []
    assert nums.effects("Effect sizes (eta = 0.3; 95% CI 0.1-0.5).") == []
    # A number with a unit of time after "of" is the value itself, not a time point passed over.
    assert nums.effects("a mean difference of 2 days (95% CI 1 to 3)") == [nums.Effect("MD", 2.0, 1.0, 3.0)]


@pytest.mark.parametrize(
    "text",
    [
        # A vital sign, a time, an age or a median with its spread in round brackets, not a ratio or difference.
        "Mean HR was 72 (64-80) beats/min after induction.",
        "RR 16 (14-18) did not change after ketamine.",
        "PR 82 (74-90) beats/min did not differ.",
        "Total OR time 120 (95-150) min did not differ.",
        "HR, age 65 (60-70) years, was similar in both groups.",
        "MD 5 (0-10) points on the CAPS.",
        # A vital sign's abbreviation past a time point, as past a compound number.
        "Mean HR during recovery at 10 min was 82 (95% CI 79-85).",
        "Mean RR at 30 min was 14 (95% CI 13-15) breaths/min.",
        # An effect size that is a correlation, a coefficient, a variance share or a ratio's percentage.
        "The overall effect size was r = 0.25 (95% CI 0.18-0.32).",
        "The effect size (Spearman's rho) was 0.41 (95% CI 0.28-0.54).",
        "The effect size (partial eta squared) was 0.12 (95% CI 0.05-0.20).",
        "The effect size (correlation coefficient) was 0.3 (95% CI 0.1-0.5).",
        # The filler does not run past a contrast to another quantity's value.
        "The OR at 6 months was not significant, whereas at 12 months the relapse rate was 31% (95% CI 22%-40%).",
        "The mean difference at week 1 was small, but at week 4 the response rate was 45% (95% CI 33%-57%).",
        # A sample's characteristic, one arm's value against the other's, one arm's change, a ratio named as such.
        "Difference in baseline age: 45 (95% CI 40-50).",
        "There was no difference in age, 45 (95% CI 40-50) vs 47 (95% CI 42-52) years.",
        "MADRS scores were lowered by 10 points (95% CI 7-13) from baseline in the ketamine arm.",
        "Heart rate was raised by 12 beats per minute (95% CI 8-16) in the ketamine arm.",
        "The estimated treatment effect on response was 1.6 (95% CI 1.2-2.1), expressed as a risk ratio.",
    ],
)
def test_no_effect_read_from_other_quantities(text: str) -> None:
    assert nums.effects(text) == []


def test_names_that_name_no_value() -> None:
    # A "d" or "g" glued to a word, another thing's bracketed short form: the real measure keeps its value.
    hr = nums.Effect("HR", 0.8, 0.6, 1.1)
    assert nums.effects("The hazard ratio for d-methadone was 0.8 (95% CI 0.6-1.1).") == [hr]
    md = nums.Effect("MD", 2.1, 0.8, 3.4)
    assert nums.effects("The MD in serum albumin (g/L) was 2.1 (95% CI 0.8 to 3.4).") == [md]
    assert nums.effects("The odds ratio for a fall in respiratory rate (RR) was 2.1 (95% CI 1.2-3.6).") == [
        nums.Effect("OR", 2.1, 1.2, 3.6)
    ]
    # "Effect size" in a declared list does not end it, nor take the next value.
    assert nums.effects(
        "Hedges' g (95% CI) was 0.8 (0.5-1.1) for depression (large effect size) and 0.5 (0.2-0.8) for anxiety."
    ) == [nums.Effect("g", 0.8, 0.5, 1.1), nums.Effect("g", 0.5, 0.2, 0.8)]
    # A second value's connecting words that name another measure, a verb or another thing end the list.
    for text in [
        "The RR for response was 1.8 (95% CI 1.3-2.5) and for depressive symptoms the SMD was -0.6 (95% CI -1, -0.3).",
        "The OR for PTSD was 2.2 (95% CI 1.4-3.5) and for depression the prevalence was 31 (95% CI 25-37) per 100.",
        "The OR for response was 2.1 (95% CI 1.2-3.6) and on average patients improved 8.5 (95% CI 6.1-10.9).",
        "The RR of PONV was 0.6 (95% CI 0.4-0.9) for ondansetron and 45 (95% CI 38-52) patients vomited.",
    ]:
        assert len([e for e in nums.effects(text) if e.measure in ("OR", "RR")]) == 1, text
    # ... while the kinds of result may be named on either side of the "and".
    both = "The HR was 0.72 (95% CI 0.58-0.90) for death and for readmission 1.10 (95% CI 0.91-1.33)."
    assert len(nums.effects(both)) == 2


def test_a_ratio_on_the_log_scale_is_its_own_measure() -> None:
    # Read as the ratio it would be said to span 1 (no effect) where it excludes 0.
    for text, measure in [
        ("(log OR = 0.85, 95% CI 0.2-1.5)", "logOR"),
        ("the log odds ratio was 0.85 (95% CI 0.2 to 1.5)", "logOR"),
        ("(ln(OR) = 0.85; 95% CI 0.2, 1.5)", "logOR"),
        ("log(RR) 0.85 (95% CI 0.2-1.5)", "logRR"),
        ("the log hazard ratio was 0.85 (95% CI 0.2 to 1.5)", "logHR"),
    ]:
        (effect,) = nums.effects(text)
        assert (effect.measure, effect.value, effect.lo, effect.hi) == (measure, 0.85, 0.2, 1.5), text
        assert effect.excludes_null and effect.sign == 1
    # Words that merely start with the letters are not a log: "catalog ORs" are odds ratios.
    assert [e.measure for e in nums.effects("the catalog ORs were 2 (95% CI 1-3)")] == ["OR"]


def test_second_values_named_for_what_they_are() -> None:
    # What each value is for, on either side of the "and": both values are the measure's.
    assert nums.effects(
        "The RR was 2.14 (95% CI: 1.56-2.94) for response and 2.71 (95% CI: 1.59-4.62) for remission."
    ) == [nums.Effect("RR", 2.14, 1.56, 2.94), nums.Effect("RR", 2.71, 1.59, 4.62)]
    assert nums.effects(
        "The pooled OR for response was 3.0 (95% CI: 1.9-4.7) and for remission 2.6 (95% CI: 1.4-4.9)."
    ) == [nums.Effect("OR", 3.0, 1.9, 4.7), nums.Effect("OR", 2.6, 1.4, 4.9)]
    # Another quantity after the "and" is not the measure's second value.
    assert nums.effects(
        "The OR was 2.1 (95% CI 1.2-3.6) for response and the number of sessions was 6 (95% CI 4-8)."
    ) == [nums.Effect("OR", 2.1, 1.2, 3.6)]
    # A relative risk reduction is not a risk ratio.
    assert nums.effects("with a relative risk reduction of 0.62 (95% CI 0.45-0.85)") == []

@pytest.mark.parametrize(
    "text",
    [
        "64% (16/25) vs 28% (7/25)",
        "16/25 (64%) vs 7/25 (28%)",
        "64% (n = 16/25) vs 28% (n = 7/25)",
        "(16/25, 64%) vs (7/25, 28%)",
        "16 of 25 (64%) versus 7 of 25 (28%)",
    ],
)
def test_per_arm_rates_with_their_counts(text: str) -> None:
    assert [(r.percent, r.events, r.n) for r in nums.rates(text)] == [(64.0, 16, 25), (28.0, 7, 25)]


def test_a_fraction_outside_brackets_is_not_an_arm_count() -> None:
    assert [(r.percent, r.events, r.n) for r in nums.rates("scores of 12/25, 40% of patients")] == [(40.0, None, None)]


def test_plural_p_values_are_read() -> None:
    assert [p.text for p in nums.p_values("in all groups (all ps > 0.05)")] == ["> .05"]
    assert [p.text for p in nums.p_values("(p's < 0.01)")] == ["< .01"]
    # "ps" must be the p's own word: "steps = 3" is not a p value.
    assert nums.p_values("steps = 3 and caps = 0.5") == []


def test_semicolons_inside_a_number_list_do_not_cut_the_clause() -> None:
    text = "SMD = -0.70; 95% CI -1.15; -0.25 vs placebo; anxiety did not change."
    assert split_clauses(text, RULES.findings.clause_split) == [
        "SMD = -0.70; 95% CI -1.15; -0.25 vs placebo",
        "anxiety did not change.",
    ]
    rates = "Response and remission rates were 52.2% and 20.6%; 47.9% and 23.8%; and 39.8% and 26.2%, respectively."
    assert len(split_clauses(rates, RULES.findings.clause_split)) == 1


# ------------------------------------------------------------------ one finding per printed result


def test_each_effect_of_a_sentence_is_its_own_finding() -> None:
    found = _read(
        "Compared with the controls, the drug group showed a reduction in depression scores, SMD -0.97, 95% CI "
        "[-1.27, -0.66], P < 0.001 on day 1; SMD -0.30, 95% CI [-0.45, -0.14], P < 0.001 on day 7; and SMD -0.10, "
        "95% CI [-0.31, 0.11], P = 0.35 on day 30."
    )
    assert found == [
        ("decreased", "SMD -0.97 [-1.27, -0.66]", "< .001"),
        ("decreased", "SMD -0.3 [-0.45, -0.14]", "< .001"),
        ("no_difference", "SMD -0.1 [-0.31, 0.11]", "= .35"),
    ]


def test_a_first_null_result_does_not_hide_a_later_significant_one() -> None:
    found = _read(
        "The drug may be effective in reducing anxiety symptoms (SMD: -0.42 [95% CI: -0.84; 0.003]), particularly "
        "when given alone (SMD: -0.58 [95% CI: -1.07; -0.09])."
    )
    assert [d for d, _, _ in found] == ["no_difference", "decreased"]


def test_each_p_value_of_a_sentence_is_its_own_finding() -> None:
    found = _read(
        "Two hours after the drug, the mean ideation and somatic symptom burden were decreased compared to baseline "
        "(P < 0.001 and P = 0.005, respectively)."
    )
    assert found == [("decreased", None, "< .001"), ("decreased", None, "= .005")]
    # One p value: one finding.
    assert _read("Ideation decreased compared to baseline (P < 0.001).") == [("decreased", None, "< .001")]


def test_model_findings_are_split_per_printed_result() -> None:
    text = "The group showed a difference at 24 h in general activity (P=0.03) and in enjoyment of life (P=0.40)."
    rs = RoledSentence(AbstractSentence(3, 0, "RESULTS", None, text), "results", True)
    scores: dict[Answer, float] = {"none": 0.05, "increased": 0.85, "decreased": 0.05, "no_difference": 0.05}
    found = apply_scores(rs, [], scores, RULES.findings, Thresholds(1.01, 0.6, 0.9))
    assert [(f.direction, f.p.text if f.p else None) for f in found] == [
        ("increased", "= .03"),
        ("no_difference", "= .4"),
    ]


def test_less_effective_is_an_inferiority_not_a_decrease() -> None:
    drug_less = read_clause("Ketamine was less effective than ECT.", 0, RULES.findings)
    assert drug_less is not None and (drug_less.direction, drug_less.favours) == ("increased", "comparator")
    # The comparator as the subject turns it round: good news for the drug.
    ect_less = read_clause("ECT was less effective than ketamine.", 0, RULES.findings)
    assert ect_less is not None and ect_less.favours == "intervention"
    # "less pain" is still a decrease, good for the drug.
    less_pain = read_clause("Ketamine patients reported less pain than placebo patients (p = .03).", 0, RULES.findings)
    assert less_pain is not None and (less_pain.direction, less_pain.favours) == ("decreased", "intervention")


def test_an_exception_is_its_own_result() -> None:
    text = (
        "There were no significant differences in pain, except the ketamine group reported less pain at 48 h (p = .03)."
    )
    parts = split_clauses(text, RULES.findings.clause_split)
    assert [f.direction for c in parts for f in clause_findings(c, 0, RULES.findings)] == ["no_difference", "decreased"]


def test_a_later_result_takes_its_own_change_word() -> None:
    found = _read(
        "Two hours after the drug, ideation and somatic burden were decreased compared to baseline (P < 0.001 and "
        "P = 0.005, respectively), and the mean self-reported mood was increased (P = 0.006)."
    )
    assert [d for d, _, _ in found] == ["decreased", "decreased", "increased"]


def test_a_second_subject_with_its_own_change_is_its_own_clause() -> None:
    text = (
        "Depression scores were significantly lower, and the serum levels of both BDNF and 5-HT were remarkably higher."
    )
    assert split_clauses(text, RULES.findings.clause_split) == [
        "Depression scores were significantly lower",
        "the serum levels of both BDNF and 5-HT were remarkably higher.",
    ]
    # A list of nouns joined by ", and" stays whole.
    listed = "Ketamine reduced depression, anxiety, and the severity of suicidal ideation."
    assert split_clauses(listed, RULES.findings.clause_split) == [listed]
    text = "The drug showed greater response (RR = 3.01), as well as lower dropouts (RR = 0.76)."
    assert len(split_clauses(text, RULES.findings.clause_split)) == 2


def test_count_pairs_with_arms_named_in_order_are_per_timepoint_results() -> None:
    # Responder counts at several times with their own significance, arms named at the end.
    found = _read(
        "Fifteen min after the infusion the number of patients showing a reduction in pain scores >50% was 8 vs. 3 "
        "(P<0.05), at 180 min 6 vs. 2 (ns), and at week 8 2 vs. 2 in the ketamine and midazolam groups, respectively."
    )
    assert [d for d, _, _ in found] == ["increased", "no_difference", "no_difference"]
    # The arms in the other order turn the first result round.
    found = _read(
        "The number of patients showing a reduction in pain scores >50% was 3 vs. 8 (P<0.05) and 2 vs. 6 (ns) in "
        "the midazolam and ketamine groups, respectively."
    )
    assert [d for d, _, _ in found] == ["increased", "no_difference"]
    # Arms not named in order: the significant pair's direction is unknown and it is not read.
    assert [d for d, _, _ in _read("Responders were 8 vs. 3 (P<0.05) and 6 vs. 2 (ns).")] == ["no_difference"]


def test_responder_counts_favour_the_drug() -> None:
    found = clause_findings(
        "The number of patients showing a reduction in pain scores >50% was 8 vs. 3 (P<0.05) and 2 vs. 2 (ns) in "
        "the ketamine and placebo groups, respectively.",
        0,
        RULES.findings,
    )
    assert [(f.direction, f.favours) for f in found] == [("increased", "intervention"), ("no_difference", "neither")]


# ------------------------------------------------------------------ direction wording

WORDING = [
    # A failed primary test, mixed or unclear findings: no difference, whatever follows.
    (
        "While this study did not meet its primary endpoint, the drug was associated with a reduction in anxiety.",
        "no_difference",
    ),
    ("The drug was associated with a reduction in anxiety compared to midazolam.", "decreased"),
    ("Although one trial did not achieve significance on the primary outcome, scores fell.", "no_difference"),
    ("Findings regarding efficacy were mixed.", "no_difference"),
    ("Results for all biomarkers assessed were contradictory and thus inconclusive.", "no_difference"),
    ("Whether the drug or lithium is superior is unclear currently.", "no_difference"),
    # Superiority with no measure named is of the condition (the labels' convention): its burden fell.
    ("The drug was superior to lithium on the primary outcome.", "decreased"),
    ("The drug was superior to placebo in response rates.", "increased"),
    ("Follow-up analyses revealed no volumetric changes 24 h after treatment.", "no_difference"),
    ("Driving performance returned to baseline levels after treatment.", "no_difference"),
    ("The efficacy of the drug was limited and restricted in duration.", "no_difference"),
    # An evaluation naming the antidepressant effect is of the symptoms, whatever rates follow.
    (
        "The drug showed a rapid and robust antidepressant effect, with response and remission rates up to 100%.",
        "decreased",
    ),
    ("Response rates were higher with the drug than with placebo (P = .01).", "increased"),
    # "more effective in reducing X": the measure named fell; "more effective than placebo": the
    # condition's symptoms fell more than with placebo.
    ("The drug is more effective for reducing postoperative delirium than placebo.", "decreased"),
    ("The drug was more efficacious than placebo at 24 hours.", "decreased"),
    # The size of the treatment's effect grew: the symptoms fell more; it shrank: they fell less.
    ("Effect sizes were significantly larger for repeat than single infusion at 7 days.", "decreased"),
    ("Multiple infusions resulted in an enhanced and prolonged treatment effect.", "decreased"),
    ("Effect sizes were substantially smaller for single infusions.", "increased"),
    # ...but side effects that grew are side effects.
    ("Side effects were higher with the higher dose.", "increased"),
    # Every printed p not significant and no word saying "significant": no difference.
    (
        "Repeated infusions resulted in a lower response (37% versus 58%) in older patients compared with younger "
        "patients (all ps > 0.05).",
        "no_difference",
    ),
    ("Repeated infusions resulted in a lower response in older patients (p = 0.01).", "decreased"),
    # Predictors and significant associations are associations.
    ("The percentage of males was a predictor of antidepressant response at 7 days.", "increased"),
    ("Gamma power was significantly associated with non-response.", "increased"),
    # A "drug-induced" thing is named, not found; "the drug induced" is a finding.
    ("These data suggest that depletion plays a role in drug-induced psychedelic symptoms in humans.", None),
    ("The drug induced psychedelic symptoms in healthy volunteers.", "increased"),
    # More no-difference forms, each with a near form that is a change.
    ("No hepatic, cognitive or urinary changes were observed after the course in either group.", "no_difference"),
    ("Hepatic changes were observed after the course in the drug group.", None),
    ("Reductions in connectivity did not correlate with magnitude of antidepressant response.", "no_difference"),
    # A correlation with the good outcome is a positive association (the labels' convention), whatever is correlated.
    ("Reductions in connectivity correlated with magnitude of antidepressant response.", "increased"),
    ("Improvements in cognition were statistically independent from antidepressant response.", "no_difference"),
    ("Cognitive performance either improved or remained stable after baseline.", "no_difference"),
    ("The drug in ECT showed no better response and remission rate.", "no_difference"),
    ("The drug in ECT showed a better response rate than propofol (p = .02).", "increased"),
    ("Anhedonia was not altered by riluzole.", "no_difference"),
    ("There was no consistent evidence to support any longitudinal biomarkers.", "no_difference"),
    ("The drug demonstrated greater overall response than esketamine (RR = 3.01 vs. RR = 1.38).", "increased"),
    # Recommendations, needs, lacking evidence and studies described are not findings.
    ("The results warrant a larger randomized trial using higher doses and a longer follow-up.", None),
    ("Biomarker discovery should be attempted in larger, real-world populations.", None),
    ("These findings support the need for large trials to confirm the efficacy of serial infusions.", None),
    ("Current evidence is insufficient to assess the benefits and harms of the drug.", None),
    ("Functional outcomes in adults receiving the drug were insufficiently characterized.", None),
    ("A small number of clinical studies assessed the antidepressant effects of the oral drug.", None),
    ("The drug had larger effects than placebo on pain at 24 hours (p < .01).", "decreased"),
    # Groups alike at baseline are not a finding; a change from baseline that did not differ is.
    ("There were no significant differences in baseline characteristics between the groups.", None),
    ("The groups were similar at baseline.", None),
    ("Groups were comparable in age, sex and baseline depression severity.", None),
    ("Change from baseline in MADRS did not differ between groups.", "no_difference"),
    # "not inferior" is non-inferiority; "inferior" is not.
    ("The drug was not inferior to ECT.", "no_difference"),
    # Evaluations of outcomes as positive, and associations qualified by a word.
    ("Outcomes were largely positive for the addition of psychotherapy to the drug.", "decreased"),
    ("The infusion also positively affects comorbidities like chronic pain and depression.", "decreased"),
    ("Weak positive linear associations were observed between SDLP and blood concentrations (p = 0.001).", "increased"),
    ("A negative linear correlation was found between dose and pain scores (p = 0.01).", "decreased"),
    # "the higher dose" names a dose; the change is the pain's.
    ("Patients on the higher dose reported less pain than those on placebo (p = .01).", "decreased"),
    ("Pain scores were higher in the ketamine group than in the placebo group (p = .01).", "increased"),
    # Non-significance in one word; a review that does not support a difference; "anti-X effects".
    ("Discontinuation due to adverse events (2.6% vs. 2.1%) was non-significant.", "no_difference"),
    ("The evidence does not support significant sex differences in therapeutic effects.", "no_difference"),
    ("The infusions had a significant antisuicidal effect at the seventh infusion.", "decreased"),
    ("Driving performance is significantly compromised after the combination.", "decreased"),
    # "Similarly," links two results; "responded similarly" is no difference.
    ("Similarly, there were significant decreases in ideation scores (P < .01).", "decreased"),
    ("Both groups responded similarly to the infusions.", "no_difference"),
    ("Age, sex, weight and height of the patients were similar.", None),
    ("Remission (adjusting for age, sex, and baseline score) was higher with IV than IN (P = .02).", "increased"),
    ("Low-dose ketamine was significantly superior to placebo for reducing depressive symptoms.", "decreased"),
    ("Ketamine exerts enhanced antidepressant effects in patients with a smaller hippocampus.", "decreased"),
    ("No participant reported worsening of PTSD symptoms over the study.", "no_difference"),
    ("Two participants reported worsening of PTSD symptoms over the study.", "increased"),
    ("These differences were not produced by ketamine administration.", "no_difference"),
    ("Patients with a 50% or greater MADRS reduction from baseline were considered as responders.", None),
    # Two other arms that did not differ are not the drug's finding; the drug against one is.
    ("Seizure duration did not differ between the propofol and thiopental groups.", None),
    ("Seizure duration did not differ between the ketamine and thiopental groups.", "no_difference"),
    ("Seizure duration did not differ between groups.", "no_difference"),
    # A responder count is not vetoed by a symptom word long before it.
    ("Four of seven patients with comorbid depression experienced an antidepressant response.", "increased"),
    # A tendency is a trend, not a significant difference, however the verb after it reads.
    ("In addition, we found a tendency to a prolonged silent period.", "no_difference"),
    ("Intracortical facilitation strongly tended to be enhanced.", "no_difference"),
    ("Equimolar doses of (R)-ketamine tended to decrease cerebral glucose metabolism.", "no_difference"),
    ("Triazolam also tended to produce greater effects on working memory than ketamine.", "no_difference"),
]


@pytest.mark.parametrize(("clause", "direction"), WORDING)
def test_direction_wording(clause: str, direction: str | None) -> None:
    found = read_clause(clause, 0, RULES.findings)
    if direction is None:
        assert found is None, found.basis if found else ""
        return
    assert found is not None, clause
    assert found.direction == direction, found.basis


def test_adverse_event_rows_read_no_difference_and_the_harms_claims_ask_about() -> None:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    article = Article(
        pmid="1",
        title="Low-dose ketamine for sedation: a randomized trial",
        sections=[
            AbstractSection("METHODS", "METHODS", "Patients were randomized to ketamine or placebo."),
            AbstractSection(
                "RESULTS",
                "RESULTS",
                "The incidences of bradypnea, apnea and vomiting were not statistically different between the "
                "groups. Hypomania occurred in two patients.",
            ),
        ],
    )
    profile = read_profile(article, {"design": ["rct"]}, packaged_rules())
    rows = {(a.event.lower(), a.presence) for a in profile.adverse_events}
    assert ("apnea", "no_difference") in rows or ("vomiting", "no_difference") in rows, rows
    assert any(event == "hypomania" and presence == "present" for event, presence in rows), rows


@pytest.mark.parametrize(
    ("sentence", "presence"),
    [
        ("There was no case of interstitial cystitis or respiratory depression.", "absent"),
        ("No cognitive adverse effects were noted in either group.", "absent"),
        ("Dissociation was nearly absent at both doses.", "absent"),
        ("Ketamine was devoid of adverse neurocognitive effects at day 7.", "absent"),
        ("The incidence of dizziness was higher in the ketamine group than in the placebo group.", "more"),
        ("Ketamine increased the risk of hallucinations (RR 2.5).", "more"),
        ("Ketamine reduced the risk of postoperative nausea compared with morphine.", "less"),
        # A difference denied is no difference, not an absence of the events.
        ("There was no difference in side effects between the groups.", "no_difference"),
        ("Ketamine caused no more adverse events than placebo.", "no_difference"),
        ("Dissociation was not found to differ between groups.", "no_difference"),
        # Words between "no" and the events that count or withdraw: the events were there.
        ("No patient withdrew for adverse events; dissociation occurred in 35%.", "present"),
        # Higher in the control arm is less with the drug.
        ("The incidence of nausea was higher in the placebo group than in the ketamine group.", "less"),
        ("Hypomania occurred in two patients.", "present"),
    ],
)
def test_adverse_event_presence_wordings(sentence: str, presence: str) -> None:
    got = _presences("Ketamine for depression: a randomized trial", "Patients were randomized to ketamine or placebo.",
                     sentence, "rct")
    assert set(got) == {presence}, got


def test_each_clause_says_its_own_presence_of_the_harms_it_names() -> None:
    """A sentence that says several things about harms is read clause by clause, a row per harm: one cue early in
    the sentence no longer decides for every harm in it (ketlit.evidence.adverse)."""
    def rows(sentence: str) -> set[tuple[str, str]]:
        from ketlit.evidence.profile import read_profile
        from ketlit.sources.models import AbstractSection, Article

        sections = [AbstractSection("METHODS", "METHODS", "Patients were randomized to ketamine or placebo."),
                    AbstractSection("RESULTS", "RESULTS", sentence)]
        article = Article(pmid="1", title="Ketamine for depression: a randomized trial", sections=sections)
        profile = read_profile(article, {"design": ["rct"]}, packaged_rules())
        return {(a.event, a.presence) for a in profile.adverse_events}

    assert rows("No one on either side of the trial reported dissociation; later, dissociation occurred in 30%.") == {
        ("dissociat", "absent"), ("dissociat", "present")}
    assert rows("None of the subjects had serious side effects, and the side effects were similar between the "
                "ketamine and placebo groups.") == {
        ("serious side effects", "absent"), ("side effects", "no_difference")}
    assert rows("Ketamine was well tolerated, with transient dissociation as the main side effect.") == {
        ("tolerated", "absent"), ("dissociat", "present"), ("side effect", "present")}
    # The other side of a comparison named: ECT's more is the drug's less; "but not" extends no difference.
    assert rows("Serious adverse events were more common with ECT, while dropouts were more frequent in the "
                "ketamine group.") == {("serious adverse", "less"), ("dropouts", "more")}
    assert rows("Ketamine was associated with higher rates of confusion (OR 6.6), but not hypertension.") == {
        ("confusion", "more"), ("hypertension", "no_difference")}
    assert rows("Midazolam was better tolerated than ketamine in terms of dizziness.") == {
        ("tolerated", "more"), ("dizziness", "more")}
    # "Without" denies only the harm it names; "without increasing" is no difference.
    assert rows("Ketamine increased the risk of adverse events during surgery without harming health.") == {
        ("adverse", "more")}
    assert rows("Ketamine relieved pain without increasing the incidence of nausea.") == {("nausea", "no_difference")}
    # A call for research names safety and reports nothing; so does a note that no data were kept.
    assert rows("Larger trials are needed to establish the safety of ketamine.") == set()
    assert rows("No data on adverse events were collected.") == set()


def _harm_rows(sentence: str) -> set[tuple[str, str]]:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    sections = [AbstractSection("METHODS", "METHODS", "Patients were randomized to ketamine or placebo."),
                AbstractSection("RESULTS", "RESULTS", sentence)]
    article = Article(pmid="1", title="Ketamine for depression: a randomized trial", sections=sections)
    return {(a.event, a.presence) for a in read_profile(article, {"design": ["rct"]}, packaged_rules()).adverse_events}


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        # A harm that occurred is never read as absent because the sentence denies others.
        ("Apart from transient dissociation, no adverse events were observed.", ("dissociat", "present")),
        ("No serious adverse events were reported apart from one case of delirium.", ("delirium", "present")),
        ("No serious adverse events occurred, and dissociation (30%) and nausea (20%) were the most common adverse "
         "events.", ("nausea", "present")),
        ("Ketamine was well tolerated and transient dissociation occurred in 30% of patients.",
         ("dissociat", "present")),
        ("Ketamine was well tolerated, with no serious adverse events and transient dissociation in 20% of patients.",
         ("dissociat", "present")),
        ("The most common adverse events were nausea, dizziness and dissociation, none of which were serious.",
         ("nausea", "present")),
        ("Transient hypertension occurred without sequelae.", ("hypertension", "present")),
        ("Patients experienced nausea without vomiting.", ("nausea", "present")),
        ("Ketamine appeared safe despite transient hypertension in 10% of patients.", ("hypertension", "present")),
        ("Ketamine was not well tolerated: 8 of 20 patients withdrew because of dissociation.",
         ("dissociat", "present")),
        ("Ketamine was not devoid of adverse effects.", ("adverse", "present")),
        # No cases in the comparison's arm only: more with the drug.
        ("Nausea was reported by none of the placebo patients and by 30% of ketamine patients.", ("nausea", "more")),
        ("No placebo-treated patient developed hypertension, compared with 8 esketamine-treated patients.",
         ("hypertension", "more")),
        # The arm a comparison is said of.
        ("Dissociation was higher in the placebo group.", ("dissociat", "less")),
        ("Dizziness was reported more often by placebo recipients.", ("dizziness", "less")),
        ("Ketamine was less well tolerated than ECT.", ("tolerated", "more")),
        ("ECT was less well tolerated than ketamine.", ("tolerated", "less")),
        # A report that also says "necessary" or names a correlation is still a report.
        ("Dose reductions were necessary in 5 patients because of dizziness.", ("dizziness", "present")),
        ("Dissociation occurred in 40% of patients and was not correlated with response.", ("dissociat", "present")),
        ("Dissociation was more frequent in ketamine trials than in placebo trials (RR 3.1).", ("dissociat", "more")),
        ("Headaches occurred in 20% of patients.", ("headaches", "present")),
    ],
)
def test_a_harm_row_says_what_the_clause_says_of_that_harm(sentence: str, row: tuple[str, str]) -> None:
    assert row in _harm_rows(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is known to cause dissociation and hypertension.",
        "Potential side effects include dissociation and hypertension.",
        "Long-term safety remains to be established.",
        "The long-term risks of cystitis with repeated dosing need further study.",
        "We cannot conclude that ketamine is safe.",
        # A substance-use condition the drug treats is no harm of the drug.
        "Ketamine reduced the severity of alcohol withdrawal and dependence.",
        "Ketamine reduced abuse of cocaine in dependent participants.",
    ],
)
def test_a_clause_that_reports_no_harm_gives_no_row(sentence: str) -> None:
    assert _harm_rows(sentence) == set()


def test_each_harm_carries_the_rates_printed_for_it() -> None:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    sections = [AbstractSection("METHODS", "METHODS", "Patients were randomized to ketamine or placebo."),
                AbstractSection("RESULTS", "RESULTS", "The incidences of dizziness (17.0%), blurred vision (5%) and "
                                "drowsiness (3.8%) were higher with ketamine. In 12% of patients, nausea occurred.")]
    profile = read_profile(Article(pmid="1", title="Ketamine for depression: a randomized trial", sections=sections),
                           {"design": ["rct"]}, packaged_rules())
    rates = {a.event: [r.percent for r in a.rates] for a in profile.adverse_events}
    assert rates == {"dizziness": [17.0], "blurred vision": [5.0], "drowsiness": [3.8], "nausea": [12.0]}


def test_harms_tested_without_a_difference_and_the_arm_after_a_bracketed_rate() -> None:
    # Each harm printed with its own non-significant test: the arms did not differ; a significant one stays present
    # (which arm had more is the cues' to say, with the arms named).
    assert _harm_rows(
        "Rates were headache 3.1 and 4.0% (p = 0.62) and nausea 5.5 and 8.0% (p = 0.41) in the two groups."
    ) == {("headache", "no_difference"), ("nausea", "no_difference")}
    assert _harm_rows("Rates were headache 3.1 and 14.0% (p = 0.002) in the two groups.") == {("headache", "present")}
    # No difference said with "did not show" or "not associated with differences in".
    assert _harm_rows(
        "Other adverse effects, such as dizziness (RR = 1.9) and nausea (RR = 0.8), did not show significant "
        "differences between the groups."
    ) == {("adverse", "no_difference"), ("dizziness", "no_difference"), ("nausea", "no_difference")}
    assert _harm_rows("Treatment was not associated with differences in dissociation or hallucinations.") == {
        ("dissociat", "no_difference"),
        ("hallucinat", "no_difference"),
    }
    # The comparison's arm named after a bracketed rate: fewer with placebo is more with the drug.
    assert _harm_rows(
        "Dizziness and nausea were the most common adverse events with ketamine (20-27%), each reported in fewer "
        "patients (<7%) treated with placebo."
    ) >= {("dizziness", "more"), ("nausea", "more")}


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        # The comparison's arm named before the cue, as the clause's subject or setting: its more is the drug's less.
        ("In the ECT group, headache was more frequent.", ("headache", "less")),
        ("Patients given midazolam had higher rates of nausea.", ("nausea", "less")),
        ("Placebo patients had more headaches than ketamine patients.", ("headaches", "less")),
        ("ECT: lower risks for vertigo.", ("vertigo", "more")),
        ("Compared with ketamine, placebo caused less nausea.", ("nausea", "more")),
        ("Patients on placebo had more headaches.", ("headaches", "less")),
        ("Patients taking midazolam reported more nausea.", ("nausea", "less")),
        # A comparator named as the reference, or beside the drug, leaves the cue the drug's.
        ("Compared with placebo, ketamine caused more nausea.", ("nausea", "more")),
        ("Compared with placebo, more nausea was reported.", ("nausea", "more")),
        ("Patients given ketamine plus midazolam had higher rates of nausea.", ("nausea", "more")),
        ("Ketamine caused more nausea than midazolam.", ("nausea", "more")),
        # Two comparators and no drug: which is more says nothing of the drug.
        ("Dexmedetomidine induced less amnesia than did midazolam.", ("amnesia", "present")),
    ],
)
def test_a_cue_is_said_of_the_arm_named_before_it(sentence: str, row: tuple[str, str]) -> None:
    assert _harm_rows(sentence) == {row}


def test_harms_judged_unrelated_are_absent_and_dose_dependent_harms_more() -> None:
    # Harms judged not the drug's, in the next clause: none of the drug's.
    assert _harm_rows("Two deaths were reported; neither was considered related to the study drug.") == {
        ("deaths", "absent")
    }
    assert _harm_rows("Headache occurred in 5 patients; it was considered unrelated to ketamine.") == {
        ("headache", "absent")
    }
    # "None of which were serious" says how bad, not whose: the harms stay present.
    assert ("nausea", "present") in _harm_rows(
        "The most common adverse events were nausea and dizziness, none of which were serious."
    )
    # More at the higher dose.
    assert _harm_rows("Treatment-emergent adverse events were dose dependent.") == {("adverse", "more")}


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        # "Unrelated to" something other than the drug or the study's treatment clears nothing.
        ("Dissociation occurred in 30%; it was unrelated to antidepressant response.", ("dissociat", "present")),
        ("Nausea occurred in 12 patients; its frequency was not related to dose.", ("nausea", "present")),
        # A comparator named as a design, a setting or a history is not the arm a cue is said of.
        ("In a placebo-controlled trial, dissociation was more frequent.", ("dissociat", "more")),
        ("Under propofol anaesthesia, hypotension was less common.", ("hypotension", "less")),
        ("Among patients who had previously received ECT, headache was more frequent.", ("headache", "more")),
        ("Healthy controls experienced more dissociative symptoms than patients.", ("dissociat", "more")),
        ("Patients on stable antidepressant treatment had more headaches.", ("headaches", "more")),
        # A p value of another subject's test is not the harm's.
        ("Three patients reported dizziness and the change in MADRS was not significant (p = 0.3).",
         ("dizziness", "present")),
        ("Adverse events showed no dose-response relationship.", ("adverse", "present")),
        # A test of a characteristic that goes with the harm compares patients, not the drug with its comparator.
        ("Female sex was a risk factor for delirium in both groups (p = 0.2).", ("delirium", "present")),
        # Unless what goes with it is the drug.
        ("Delirium was not significantly associated with ketamine (19% versus 17%, p = 0.6).",
         ("delirium", "no_difference")),
    ],
)
def test_what_the_subject_unrelated_and_test_readings_leave_alone(sentence: str, row: tuple[str, str]) -> None:
    assert row in _harm_rows(sentence)


def test_safety_named_as_a_topic_is_no_report() -> None:
    """"Safety" and "tolerability" name a topic: a row only where a cue says something of it."""
    assert _harm_rows("Long-term esketamine had a manageable safety profile, and improvements were sustained.") == set()
    assert _harm_rows("Dose titration is recommended for optimizing antidepressant and safety outcomes.") == set()
    assert _harm_rows("Ketamine was well tolerated.") == {("tolerated", "absent")}
    assert _harm_rows("Lithium did not differ from ketamine in efficacy and tolerability.") == {
        ("tolerability", "no_difference")}


def test_no_difference_is_not_carried_to_harms_from_another_outcome() -> None:
    rows = _harm_rows("Dissociation was more common with ketamine, but depression scores were similar between groups.")
    assert rows == {("dissociat", "more")}
    assert ("no_difference" not in {p for _, p in _harm_rows("The antidepressant effect was independent of "
                                                             "dissociation.")})


def test_the_harms_that_occurred_are_kept_first_when_a_sentence_names_many() -> None:
    rows = _harm_rows("No hypotension, bradycardia, tachycardia, nausea, vomiting, delirium, hallucinations or "
                      "headache occurred, but 3 patients had laryngospasm.")
    assert ("laryngospasm", "present") in rows


def _presences(title: str, methods: str, results: str, design: str) -> list[str]:
    """The presence of each adverse event the study profile reads in a two-section abstract."""
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    sections = [AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", results)]
    profile = read_profile(Article(pmid="1", title=title, sections=sections), {"design": [design]}, packaged_rules())
    return [a.presence for a in profile.adverse_events]


@pytest.mark.parametrize(
    ("methods", "relation"),
    [
        ("This post hoc analysis of a randomized trial examined 60 patients given ketamine or placebo.", "secondary"),
        ("We used data from a double-blind randomized trial of ketamine versus midazolam.", "secondary"),
        ("Sixty patients were randomized to ketamine or placebo.", "main"),
        # The source study named by its design words: a re-analysis.
        ("Data were drawn from a previous double-blind, placebo-controlled crossover study of 58 participants.",
         "secondary"),
        ("This retrospective analysis of an open-label study evaluated dose formulas in 28 inpatients.", "secondary"),
        # Eligibility, exclusions, sampling and chart reviews are no re-analysis.
        ("Patients had received at least two adequate antidepressant trials.", "main"),
        ("Patients who had previously participated in another ketamine study were excluded.", "main"),
        ("Blood samples were drawn from an antecubital vein in this randomized trial.", "main"),
        ("Unlike our previous study, infusions were given weekly.", "main"),
        ("We conducted a retrospective analysis of medical records of 120 patients.", "main"),
    ],
)
def test_an_abstract_that_calls_itself_a_reanalysis_is_a_secondary_report(methods: str, relation: str) -> None:
    """The title often does not say it ("Ketamine and sleep in depression"); the objective or methods do."""
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    sections = [
        AbstractSection("METHODS", "METHODS", methods),
        AbstractSection("RESULTS", "RESULTS", "Depression scores fell more with ketamine than placebo (p < 0.01)."),
    ]
    article = Article(pmid="1", title="Ketamine and depressive symptoms: a randomized trial", sections=sections)
    assert read_profile(article, {"design": ["rct"]}, packaged_rules()).relation == relation


@pytest.mark.parametrize(
    ("title", "design", "relation"),
    [
        ("Real-world esketamine for treatment-resistant depression: a retrospective cohort study", "observational",
         "main"),
        ("Ketamine for treatment-resistant depression: a systematic review and meta-analysis", "systematic_review",
         None),
    ],
)
def test_every_primary_report_is_its_studys_main_report(title: str, design: str, relation: str | None) -> None:
    """A cohort's own report is its main report as a trial's is; a review pools others' studies and has none."""
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    sections = [
        AbstractSection("METHODS", "METHODS", "We reviewed the records of 120 patients treated with ketamine."),
        AbstractSection("RESULTS", "RESULTS", "Depression scores fell after ketamine (p < 0.01)."),
    ]
    profile = read_profile(Article(pmid="1", title=title, sections=sections), {"design": [design]}, packaged_rules())
    assert profile.relation == relation, profile.question


def test_a_protocol_reports_no_findings() -> None:
    """A protocol has no results: sentences an unstructured abstract's role guesser places late
    (a background "has not yet been tested", the design "to examine the efficacy … in producing a
    reduction") are not findings, and the record is listed as not readable."""
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    article = Article(
        pmid="1",
        title="Repeated ketamine infusions for PTSD: methods of a randomized, placebo-controlled clinical trial",
        sections=[
            AbstractSection(
                None,
                None,
                "PTSD is a debilitating disorder. Here, we report the design and methods of a study. "
                "However, the efficacy of this drug for PTSD has not yet been tested in veterans. "
                "The study is a double-blind trial to examine the efficacy of ketamine, as compared to placebo, "
                "in producing a rapid and sustained reduction in PTSD symptoms. "
                "Participants will be randomized to ketamine or placebo.",
            )
        ],
    )
    profile = read_profile(article, {"design": ["protocol", "rct"]}, packaged_rules())
    assert profile.question.value == "protocol"
    assert profile.findings == ()
    assert not profile.readable
    assert profile.unreadable_reason == "protocol: no results yet"


def read(text: str) -> list[str]:
    """The directions of the findings read in each clause of ``text``."""
    parts = split_clauses(text, RULES.findings.clause_split)
    return [f.direction for c in parts for f in clause_findings(c, 0, RULES.findings)]


def test_a_trend_joined_to_a_significant_result_is_its_own_clause() -> None:
    """'X was significantly reduced and Y tended to be enhanced' reports a result and a trend."""
    assert read(
        "At the highest concentrations, intracortical inhibition was significantly reduced and intracortical "
        "facilitation strongly tended to be enhanced."
    ) == ["decreased", "no_difference"]
    assert read(
        "Equimolar doses of the drug tended to decrease glucose metabolism across brain regions and significantly "
        "suppressed it in the temporomedial cortex."
    ) == ["no_difference", "decreased"]
    # A plain list of outcomes joined by "and" stays one clause.
    listed = "Ketamine significantly reduced depression and anxiety scores."
    assert split_clauses(listed, RULES.findings.clause_split) == [listed]


@pytest.mark.parametrize(
    "sentence",
    [
        "There were no reports of serious adverse events.",
        "Intranasal ketamine was not associated with significant adverse drug effects.",
        "No new safety signal was identified during long-term treatment.",
        "There were no cases of serious adverse events.",
    ],
)
def test_an_adverse_event_said_not_to_occur_is_absent(sentence: str) -> None:
    got = _presences("Intranasal ketamine for depression: a retrospective study",
                     "We reviewed the records of patients treated with ketamine.", sentence, "observational")
    assert got == ["absent"], got


def test_not_associated_with_more_adverse_effects_is_no_difference() -> None:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    article = Article(
        pmid="1",
        title="Ketamine anaesthesia in ECT: a meta-analysis",
        sections=[AbstractSection("RESULTS", "RESULTS", "Ketamine was not associated with increased adverse effects.")],
    )
    profile = read_profile(article, {"design": ["meta_analysis"]}, packaged_rules())
    assert [a.presence for a in profile.adverse_events] == ["no_difference"]


def test_augmented_is_an_increase_and_a_bracketed_result_then_and_starts_a_second() -> None:
    assert read(
        "Ketamine significantly augmented high-frequency oscillations (gamma band, p=0.006) and reduced "
        "low-frequency oscillations (delta band, p<0.001) compared with placebo."
    ) == ["increased", "decreased"]
    # "augmented with" names an adjunct, not a change.
    assert read_clause("Patients in the ECT augmented with ketamine group significantly improved.", 0, RULES.findings)
    found = read_clause("ECT augmented with ketamine was studied in 40 patients (p = .01).", 0, RULES.findings)
    assert found is None or found.direction != "increased"


def test_a_middle_dot_between_digits_is_a_decimal_point() -> None:
    text = "no difference in delirium (19·45% vs 19·82%; absolute difference 0·36%, 95% CI -6·07 to 7·38, p=0·92)"
    assert [r.percent for r in nums.rates(text)][:2] == [19.45, 19.82]
    assert [d for d, _, p in _read(text)] == ["no_difference"]
    assert [p for _, _, p in _read(text)] == ["= .92"]
    # A middle dot that separates words, not digits, is left alone.
    assert nums.normalise("a · b, 3 · 4") == "a · b, 3 · 4"


def _study_comparator(methods: str) -> tuple[str | None, str | None]:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    article = Article(
        pmid="1",
        title="Ketamine for treatment-resistant depression: a placebo-controlled trial",
        sections=[AbstractSection("METHODS", "METHODS", methods)],
    )
    profile = read_profile(article, {"design": ["rct"]}, packaged_rules())
    return profile.comparator, profile.comparator_kind


def test_a_placebo_the_methods_name_as_active_is_an_active_placebo() -> None:
    # "placebo-controlled" comes first; the arm is the active placebo the methods name.
    assert _study_comparator(
        "Patients were randomized to ketamine or active-placebo (midazolam 0.045 mg/kg)."
    ) == ("active-placebo", "active_placebo")
    inert = _study_comparator("Patients were randomized to ketamine or placebo (saline).")
    assert inert == ("placebo", "inert_placebo")
    # Saline named as an arm of its own keeps the inert placebo first.
    assert _study_comparator("Patients received ketamine, saline placebo or midazolam.")[1] == "inert_placebo"
    # A sedative every arm receives is the setting, not the comparator.
    assert _study_comparator(
        "Patients were randomized to ketamine or placebo. Patients in both groups were sedated with midazolam."
    ) == ("placebo", "inert_placebo")


def _review_of(methods: str, results: str, conclusions: str) -> tuple[int | None, str | None]:
    from ketlit.evidence.profile import read_profile
    from ketlit.sources.models import AbstractSection, Article

    article = Article(
        pmid="1",
        title="Ketamine for depression: a systematic review and meta-analysis",
        sections=[
            AbstractSection("METHODS", "METHODS", methods),
            AbstractSection("RESULTS", "RESULTS", results),
            AbstractSection("CONCLUSIONS", "CONCLUSIONS", conclusions),
        ],
    )
    profile = read_profile(article, {"design": ["systematic_review", "meta_analysis"]}, packaged_rules())
    assert profile.review is not None
    return profile.review.k, profile.review.certainty


def test_a_reviews_certainty_is_of_its_evidence_not_the_quality_of_studies() -> None:
    methods = "We searched MEDLINE and Embase."
    result = "Ketamine reduced depression scores (SMD -0.5, 95% CI -0.8 to -0.2)."
    # The quality of studies (included, classified by a checklist, or called for) is not GRADE certainty.
    for conclusions in (
        "To draw final conclusions on effectiveness, we need larger high-quality studies.",
        "Nine high-quality studies were included.",
        "Nine trials were classified as 'low quality' with regard to safety reporting.",
    ):
        assert _review_of(methods, result, conclusions)[1] is None, conclusions
    for conclusions, certainty in (
        ("Ketamine may reduce depression (low-certainty evidence).", "low"),
        ("There is moderate quality evidence that ketamine reduces depression.", "moderate"),
        ("The evidence was of very low quality.", "very_low"),
        ("The evidence contributing to these outcomes was of low quality.", "low"),
        ("The quality of the evidence was rated as high.", "high"),
    ):
        assert _review_of(methods, result, conclusions)[1] == certainty, conclusions


def test_a_reviews_study_count_is_not_a_search_dates_year() -> None:
    result = "Ketamine reduced depression scores (SMD -0.5, 95% CI -0.8 to -0.2)."
    methods = "A search of PubMed from inception until January 20, 2021, yielded 27 reports including 1715 patients."
    assert _review_of(methods, result, "Ketamine works.")[0] == 27
    assert _review_of("Nine high-quality studies that included 368 patients were selected.", result, "")[0] == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Adjusted and prevalence ratios are risk ratios; "aHR" a hazard ratio.
        ("(aPR = 1.23, 95% CI: 1.10–1.37)", [("RR", 1.23, 1.10, 1.37)]),
        ("prevalence ratio 1.5 (95% CI 1.1-2.0)", [("RR", 1.5, 1.1, 2.0)]),
        ("(aRR 0.72; 95% CI 0.55-0.94)", [("RR", 0.72, 0.55, 0.94)]),
        ("(aHR 0.62, 95% CI 0.45-0.86)", [("HR", 0.62, 0.45, 0.86)]),
        # An interval printed as a bare "CI" (the level unsaid: 95% by convention), a change in points
        # named by its change word, and a scale name with digits between the value and the interval.
        ("a mean reduction of 4.4 points on the PHQ-9 (CI 2.7–6.1)", [("MD", 4.4, 2.7, 6.1)]),
        ("users showed a 4.5 point reduction (CI 2.5–6.4) and non-users a 4.3 point reduction (CI 0.8–7.9)",
         [("MD", 4.5, 2.5, 6.4), ("MD", 4.3, 0.8, 7.9)]),
        ("the difference in HAMD-17 scores was -3.1 points (95% CI -5.0 to -1.2)", [("MD", -3.1, -5.0, -1.2)]),
        # A standard deviation after the value ("± 3.7") is not the interval.
        ("score difference of 7.6 ± 3.7; 95% confidence interval, 3.9-11.3", [("MD", 7.6, 3.9, 11.3)]),
        ("(MD 2.1 ± 0.9, 95% CI 0.3 to 3.9)", [("MD", 2.1, 0.3, 3.9)]),
        # Not a 95% interval, not an interval, not a difference in points.
        ("OR 1.5 (90% CI 1.1-2.0)", []),
        ("cognitive impairment (CI) was seen in 12 (CI group) patients", []),
        ("a 45% reduction (CI 30-60%) in relapse", []),
    ],
)
def test_effects_named_by_ratio_abbreviations_bare_intervals_and_change_words(
    text: str, expected: list[tuple[str, float, float, float]]
) -> None:
    assert [(e.measure, e.value, e.lo, e.hi) for e in nums.effects(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A compound number ("8-week", "12-months") in the words between a measure's name, or an unnamed
        # difference, and its value.
        ("the pooled SMD for 8-week change in anxiety scores was -0.41 [95% CI, -0.70 to -0.12]",
         [("SMD", -0.41, -0.70, -0.12)]),
        ("the mean difference in BDI-II scores at 12-months was 2.3 (95% CI: -0.8, 5.4; p = 0.14)",
         [("MD", 2.3, -0.8, 5.4)]),
        # "95%-CI", and the abbreviation printed with full stops.
        ("(difference: 3.1 ng/ml; 95%-CI [-1.2, 7.4]; p = 0.16)", [("MD", 3.1, -1.2, 7.4)]),
        ("(O.R. = 1.8, 95% CI = 1.1-2.9)", [("OR", 1.8, 1.1, 2.9)]),
        # A difference printed after "by", the sign the wording took read from its interval.
        ("pain scores were lower with the drug than with placebo by 1.9 points (95% CI, 0.6 to 3.2)",
         [("MD", 1.9, 0.6, 3.2)]),
        ("drinking days were reduced by 12.5 percentage points (95% CI: -20.1 to -4.9)", [("RD", -12.5, -20.1, -4.9)]),
        # A change in a unit of measurement.
        ("a mean systolic increase of 9.8 mm Hg (95% CI 7.1-12.5 mm Hg)", [("MD", 9.8, 7.1, 12.5)]),
        # Not read: a relative change, one arm's change from baseline with no unit, a value outside its interval,
        # and a value that follows another measure's name.
        ("relapse was reduced by 40% (95% CI 22-58%)", []),
        ("the placebo group had a decrease of 8.2 (95% CI = 4.1-12.3)", []),
        ("scores were lower by 30 points (95% CI, 0.6 to 3.2)", []),
        ("relative risks (RR) favoured the drug for 6-month response (OR 2.1 [95% CI 1.3-3.4], p < 0.01)",
         [("OR", 2.1, 1.3, 3.4)]),
        # A vital sign's abbreviation is not a ratio's: defined in brackets, or read past a compound number.
        ("Respiratory rate (RR) at 30-min after induction was 18 (95% CI 16-20).", []),
        ("Mean HR during the 10-minute recovery period was 82 (95% CI 79-85).", []),
        ("The hazard ratio (HR) for relapse was 0.49 (95% CI 0.29-0.84).", [("HR", 0.49, 0.29, 0.84)]),
        # After "by": one arm's change with no unit, another quantity's interval, a time point, a fold change.
        ("Scores were reduced by 8.2 (95% CI 4.1-12.3) in the drug group.", []),
        ("Scores were lower by 1.5 points and the risk of relapse (95% CI 1.0-2.0) was similar.", []),
        ("VAS scores were lower by 2 h after surgery (95% CI 1.5 to 3.0).", []),
        ("Response was higher by 2-fold (95% CI 1.5-2.5).", []),
        ("ICU stay was reduced by 2.8 days (95% CI, -5.6 to -0.1; p = 0.04).", [("MD", -2.8, -5.6, -0.1)]),
    ],
)
def test_differences_past_compound_numbers_by_and_in_units(
    text: str, expected: list[tuple[str, float, float, float]]
) -> None:
    assert [(e.measure, e.value, e.lo, e.hi) for e in nums.effects(text)] == expected


def test_an_interval_of_unsaid_level_shows_its_numbers_but_does_not_overrule_a_p() -> None:
    # "CI -0.307, 2.527" beside "P = 0.036": the bare interval may be a 90% one; the p decides, and the one
    # result is one finding carrying both numbers (the p printed before the clause's only effect is its own).
    found = _read(
        "Change in scores showed similar positive results (P = 0.036), with a Cohen's d effect size of 1.1 "
        "(CI - 0.307, 2.527)."
    )
    assert found == [("decreased", "d 1.1 [-0.307, 2.527]", "= .036")]
    assert not nums.effects("d = 1.1 (CI -0.3, 2.5)")[0].level_printed
    assert nums.effects("d = 1.1 (95% CI -0.3, 2.5)")[0].level_printed


def test_intervals_declared_with_the_name_are_95_percent_and_go_on_past_the_test() -> None:
    # Label after an unnamed "treatment difference", then "was": one estimate, a 95% interval spanning 0.
    (e,) = nums.effects("the estimate of the treatment difference (95% CI) was -3.6 (-7.20, 0.07); p = 0.059")
    assert (e.measure, e.value, e.lo, e.hi, e.level_printed, e.spans_null) == ("MD", -3.6, -7.2, 0.07, True, True)
    # The label inside the name, each value's bracket going on with its test statistic.
    found = nums.effects(
        "Adjusted mean (95% CI) difference between groups was -4.9 (-8.96, -0.89; t = -2.4, df = 127) for those "
        "under 75 versus -0.4 (-10.38, 9.50; t = -0.09) for those 75 or older."
    )
    assert [(e.value, e.lo, e.hi, e.level_printed) for e in found] == [
        (-4.9, -8.96, -0.89, True),
        (-0.4, -10.38, 9.5, True),
    ]
    # A declared header's values keep their 95%: a CI spanning 0 says no difference.
    (d,) = nums.effects("least-square mean difference [95% CI]: BHS total score [-1.0 (-2.23, 0.21)]")
    assert d.level_printed and d.spans_null
    # "confident interval", a common misprint, also in a declared header.
    assert nums.effects("mean difference [95% confident interval]: BHS [-1.0 (-2.23, 0.21)]") == [
        nums.Effect("MD", -1.0, -2.23, 0.21)
    ]
    assert nums.effects("the mean difference was 9.75 (95% confident interval 0.72-18.79, p < 0.05)") == [
        nums.Effect("MD", 9.75, 0.72, 18.79)
    ]


def test_a_difference_favouring_the_drug_is_its_good_news_whichever_way_it_was_subtracted() -> None:
    found = _read(
        "The mean difference in depressive symptoms, measured by MADRS, was 9.75 (95% confident interval "
        "0.72-18.79, p < 0.05) favoring ketamine."
    )
    assert found and found[0][0] == "decreased"


@pytest.mark.parametrize(
    ("text", "measure", "value", "lo", "hi"),
    [
        # Meta-analyses' bracketed intervals without a label: read, level unstated.
        ("efficacy with IV ketamine (Hedges'g = 1.52 [0.98-2.22], Z = 4.23, p < 0.001)", "g", 1.52, 0.98, 2.22),
        ("a pooled SMD -0.56 [-0.75, -0.37] in favour of the drug", "SMD", -0.56, -0.75, -0.37),
    ],
)
def test_bracketed_intervals_without_a_label_are_read_at_an_unstated_level(
    text: str, measure: str, value: float, lo: float, hi: float
) -> None:
    (effect,) = nums.effects(text)
    assert (effect.measure, effect.value, effect.lo, effect.hi) == (measure, value, lo, hi)
    assert not effect.level_printed  # shown as printed, never deciding significance as a 95% interval


@pytest.mark.parametrize("text", ["odds were higher (OR = 2.1 [12])", "the SMD was 0.9 [0.1-0.5] in one trial"])
def test_a_bracket_that_is_no_interval_of_the_value_is_not_read(text: str) -> None:
    assert nums.effects(text) == []


def test_a_difference_of_least_squares_means_with_its_standard_error_first() -> None:
    text = ("a significantly lower change in EPDS scores (difference of least-squares means [SE], -1.17 [0.44]; "
            "95% CI, -2.04 to -0.31; effect size, 0.74; P = .008)")
    (effect,) = nums.effects(text)
    assert (effect.measure, effect.value, effect.lo, effect.hi) == ("MD", -1.17, -2.04, -0.31)
    assert effect.level_printed


def test_a_result_printed_once_is_listed_once() -> None:
    # Two timepoints' effects in one sentence: each effect once, however the clauses overlap.
    sentence = (
        "The degree of sedation was significantly better in group D as compared to group K at 20 min (scores, 1.55 ± "
        "0.51 versus 1.13 ± 0.34, difference, -0.406; "
        "95% CI, -0.621 to -0.191; P = 0.0001) and 30 min (2.32 ± 0.6 versus 1.94 ± 0.50, difference, -0.374; 95% CI, "
        "-0.650 to -0.100; P = 0.007)."
    )
    roled = [RoledSentence(AbstractSentence(0, 0, "RESULTS", "RESULTS", sentence), "results", True)]
    findings = [f for _, found in rule_findings(roled, RULES.findings) for f in found]
    with_numbers = [(f.direction, f.effect, f.p) for f in findings if f.effect is not None or f.p is not None]
    assert len(with_numbers) == len(set(with_numbers)) >= 2


@pytest.mark.parametrize(
    ("text", "measure", "value", "lo", "hi"),
    [
        # A tilde between the bounds, as many abstracts from China print intervals.
        ("reduced the incidence of delirium (RR: 0.43; 95%CI: 0.33 ~ 0.57; p < 0.001)", "RR", 0.43, 0.33, 0.57),
        ("a lower pain score (MD: -0.44; 95%CI: -0.54 ~ -0.33; p < 0.001)", "MD", -0.44, -0.54, -0.33),
    ],
)
def test_intervals_with_a_tilde_between_the_bounds(text: str, measure: str, value: float, lo: float, hi: float) -> None:
    (effect,) = nums.effects(text)
    assert (effect.measure, effect.value, effect.lo, effect.hi) == (measure, value, lo, hi)


def test_a_bare_value_with_its_interval_after_a_change_is_a_mean_difference() -> None:
    text = "Scores decreased in both younger (3.3, 95% CI = 2.5-4.1, p < 0.05) and older (2.8, 95% CI = 1.1-4.6) men"
    assert nums.effects(text) == [nums.Effect("MD", 3.3, 2.5, 4.1), nums.Effect("MD", 2.8, 1.1, 4.6)]
    assert nums.effects("a reduction in amygdala reactivation (-0.33, sd = 0.13, 95%HDI [-0.56,-0.04])") == [
        nums.Effect("MD", -0.33, -0.56, -0.04)
    ]
    # A comparative introduces each group's level, not a change; a proportion as a decimal neither.
    levels = "Scores were higher in women (12.1, 95% CI 10.2-14.0) than in men (11.5, 95% CI 9.9-13.1)"
    assert nums.effects(levels) == []
    assert nums.effects("Remission was higher with ketamine (0.45, 95% CI 0.30-0.60)") == []
    # No change reported: a mean or a rate with its interval is no difference.
    assert nums.effects("Mean age was (45.2, 95% CI 40.1-50.3) years") == []
    # A percentage is a proportion; a value outside its interval is some other number.
    assert nums.effects("Response increased (45%, 95% CI 30-60)") == []
    assert nums.effects("Scores decreased (12, 95% CI 2.5-4.1)") == []


def test_values_with_units_plural_ci_labels_and_second_values_after_units() -> None:
    # A value's unit in words, and the next value after the first interval's unit and p.
    text = (
        "a mean difference of 34.6 seconds (95% confidence interval [CI], 26.4-42.7 seconds; P < 0.001) and 26.6 "
        "seconds (95% CI, 19.6-33.6 seconds; P < 0.001), respectively"
    )
    assert nums.effects(text) == [nums.Effect("MD", 34.6, 26.4, 42.7), nums.Effect("MD", 26.6, 19.6, 33.6)]
    text = "(mean difference, 27.2 mm Hg [95% CI, 12.0-42.4 mm Hg; P = 0.001]; 25.7 beats per min [95% CI, 14.5-36.8])"
    assert nums.effects(text) == [nums.Effect("MD", 27.2, 12.0, 42.4), nums.Effect("MD", 25.7, 14.5, 36.8)]
    # "95%CIs" and "(95%CIs)" label intervals as "95% CI" does.
    text = "[odds ratio (OR) = 0.05, 95% confidence intervals (95%CIs) 0.01-0.33], alone (OR = 0.13, 95%CIs 0.05-0.31)"
    assert nums.effects(text) == [nums.Effect("OR", 0.05, 0.01, 0.33), nums.Effect("OR", 0.13, 0.05, 0.31)]
    # A number after the unit's words is another quantity: no estimate read across it.
    assert nums.effects("HR 0.5 at 12 months (95% CI 0.3-0.8)") == []


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        # Absence said right by the harm, after its subject, or as "did not occur", "neither ... nor ... were observed".
        ("Patients reported no dissociation during the infusions.", ("dissociat", "absent")),
        ("During follow-up, no hallucinations were reported.", ("hallucinat", "absent")),
        ("Complex hallucinations did not occur.", ("hallucinat", "absent")),
        ("Neither serious adverse effects nor any cases of abuse were observed.", ("abuse", "absent")),
        # No difference worded as a significant increase denied, an even spread.
        ("There were no significant between-group differences in dizziness.", ("dizziness", "no_difference")),
        ("Ketamine produced no significant increase in dissociative symptoms.", ("dissociat", "no_difference")),
        ("Headache was equally frequent in both arms.", ("headache", "no_difference")),
        # Safe or well tolerated with a comparator named after it is no excess of harm.
        ("Ketamine is a safe anaesthetic for ECT.", ("safe", "absent")),
    ],
)
def test_probe_wordings_of_absence_comparison_and_no_difference(sentence: str, row: tuple[str, str]) -> None:
    assert row in _harm_rows(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # No data is no absence; no evidence of an association says nothing of the harm's occurrence.
        "We found no data on suicidality or dropouts in most trials.",
        "We found no evidence of an association between dissociation and the antidepressant effect.",
    ],
)
def test_no_data_and_no_association_are_no_absence(sentence: str) -> None:
    assert all(presence != "absent" for _, presence in _harm_rows(sentence))


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        # A reviewer's cases: a benefit's "higher proportion" is no cue for the harm beside it.
        ("Group E had a higher proportion of excellent analgesia and a lower incidence of nausea than group C.",
         ("nausea", "less")),
        # Efficacy's "non-inferior" says nothing of the harm named beside it.
        ("Ketamine was non-inferior to ECT and caused more dissociation.", ("dissociat", "more")),
        # A harm absent in the comparator's arm only is more with the drug, however the absence is worded.
        ("Zero patients in the saline group developed hypertension, compared with 11 in the ketamine group.",
         ("hypertension", "more")),
        # "No" said of something else decides nothing of the harm.
        ("Patients had no prior exposure to ketamine and experienced more dizziness than the placebo group.",
         ("dizziness", "more")),
        ("Participants had no history of psychosis, yet transient hallucinations occurred in 12%.",
         ("hallucinat", "present")),
        # A subgroup's likelihood is no comparison of the drug with its comparator.
        ("Women were more likely to experience nausea.", ("nausea", "present")),
    ],
)
def test_a_reviewers_harm_sentences(sentence: str, row: tuple[str, str]) -> None:
    assert row in _harm_rows(sentence)
