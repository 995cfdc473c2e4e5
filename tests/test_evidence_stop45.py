"""Stop 45's reading families, from the misses of the real probe rounds 25-29 (psilocybin, MDMA and LSD records read
with the rules configured for their drug): a drug configured by a user is never its own comparator; "Key results:",
"Experimental approach:", "Limitations:" and "Significance:" are section labels; a short unstructured abstract may
report from its second sentence ("We show that"); a result reported after "five studies were included" or before a
relative clause that speculates is still a result; "promote" is a rise; nulls ("no gender effects", "unlikely to be an
effective antidepressant"); the acute effects of the drug on the mind in a laboratory are a mechanism question. Each
change is pinned both ways where it could overreach. Made-up text."""

from __future__ import annotations

import pytest

from ketlit.evidence.findings import clause_findings
from ketlit.evidence.roles import role_of_label
from ketlit.evidence.rules import packaged_rules
from tests.evidence_probe import ask_text, clause_directions, rules_for, unlabelled_roles


def test_the_configured_drug_is_not_its_own_comparator() -> None:
    psilocybin = rules_for("psilocybin").findings
    found = clause_findings("Psilocybin decreased anxiety compared with placebo.", 0, psilocybin)
    assert [(f.direction, f.comparator) for f in found] == [("decreased", "placebo")]
    alone = clause_findings(
        "Second, psilocybin decreased the threat-induced modulation of connectivity.", 0, psilocybin
    )
    assert [(f.direction, f.comparator) for f in alone] == [("decreased", None)]
    # Configured for ketamine, psilocybin set against it is still the comparator.
    ketamine = packaged_rules().findings
    other = clause_findings("Ketamine reduced anxiety more than psilocybin.", 0, ketamine)
    assert [f.comparator for f in other] == ["psilocybin"]


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Key results", "results"),
        ("Experimental approach", "methods"),
        ("Significance", "conclusions"),
        ("SIGNIFICANCE OF RESULTS", "conclusions"),
        ("Limitations", "other"),
        # "^SIGNIFICANCE" must open the label: a background that names significance stays background.
        ("Background and significance", "background"),
        ("Importance", "background"),
    ],
)
def test_label_words(label: str, role: str) -> None:
    assert role_of_label(label, None, packaged_rules().roles) == role


def test_mixed_case_inline_labels_open_their_sections() -> None:
    roles = unlabelled_roles(
        "Background and Purpose: Ketamine is used recreationally. Experimental approach: Twenty volunteers received "
        "ketamine or placebo. Key results: Ketamine increased heart rate compared with placebo (p < 0.01). "
        "Limitations: Non-responders showed an earlier age of onset than responders. Conclusions and Implications: "
        "Ketamine raises heart rate."
    )
    assert [r.role for r in roles] == ["objective", "methods", "results", "other", "conclusions"]


def test_a_closing_significance_section_is_a_conclusion() -> None:
    roles = unlabelled_roles(
        "Objective: To test ketamine for pain. Methods: Forty patients were randomised. Results: Pain fell more with "
        "ketamine (p = 0.01). Significance: This study found no reduction in persistent pain at one year."
    )
    assert roles[-1].role == "conclusions"


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # What the included studies revealed is the review's result.
        (
            "Overall, five studies were included, revealing that ketamine was superior to placebo in treating state "
            "anxiety at 1 day.",
            ["decreased"],
        ),
        ("Five studies were included, showing that ketamine reduced pain.", ["decreased"]),
        # A result, then a relative clause that speculates about what it means.
        (
            "Second, ketamine decreased the threat-induced modulation of top-down connectivity, speaking to a neural "
            "mechanism that might underlie shifts towards positive affect.",
            ["decreased"],
        ),
        ("Ketamine appears to promote emotional empathy.", ["increased"]),
        ("Ketamine promotes neuroplasticity in these patients (p < 0.05).", ["increased"]),
        # Still no finding: the count of studies alone, speculation as the main clause, aims.
        ("Five studies were included.", []),
        ("Reduced connectivity might underlie the antidepressant response.", []),
        ("We aimed to promote adherence.", []),
        # "enhance" stays out in its base form ("may enhance postoperative pain management" is an improvement, and
        # "how to enhance and optimize treatments" no result).
        ("These findings lay new groundwork for understanding how to enhance and optimize ketamine treatments.", []),
    ],
)
def test_results_behind_included_studies_and_relative_speculation(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


def test_a_short_abstract_that_reports_from_its_second_sentence() -> None:
    """The packaged results cue: "we show that" right after the aim is a result (the role model alone read it as
    methods, the first of round 28's record 5207 it hid)."""
    roles = unlabelled_roles(
        "Here, we investigate the effects of ketamine on resting-state connectivity in fifteen healthy individuals. "
        "We show that ketamine levels correlate negatively with measures of network integrity. We also find that the "
        "executive control network and dorsal attention network desegregate, increasing connectivity with other "
        "networks. These findings provide direct evidence that ketamine shapes the brain's functional architecture."
    )
    assert [r.role for r in roles] == ["background", "results", "results", "conclusions"]
    declined = unlabelled_roles(
        "We followed 120 patients treated with ketamine for two years. Between baseline and 24 months, the mean BDI "
        "score declined from 9.8 to 7.7. Ketamine may help these patients."
    )
    assert declined[1].role == "results"


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("However, there were no gender effects for these psychological variables.", ["no_difference"]),
        ("Riluzole is unlikely to be an effective antidepressant.", ["no_difference"]),
        (
            "None of the behavioral measures of impulsivity showed a ketamine x alcohol interaction effect.",
            ["no_difference"],
        ),
        (
            "The most frequent adverse events after ketamine were mild and numerically similar to those seen with "
            "placebo.",
            ["no_difference"],
        ),
        ("No order effects were found for any of the outcomes.", ["no_difference"]),
        # A change judged likely stays one; a factor without effect remarked beside a result leaves the result.
        ("Ketamine is likely to be an effective antidepressant.", ["decreased"]),
        ("Ketamine increased heart rate, with no order effects (p < 0.01).", ["increased"]),
    ],
)
def test_nulls_of_rounds_25_to_29(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("title", "text", "want"),
    [
        # The acute effects of the drug on the mind, against placebo, in people not treated for anything.
        (
            "Acute effects of ketamine on trust, cooperative behaviour and empathy: a double-blind, placebo-controlled "
            "experiment.",
            "Twenty-five participants took part in this double-blind, repeated-measures, placebo-controlled "
            "experiment. Participants received placebo or ketamine 0.5 mg/kg in two sessions.",
            "mechanism_or_biomarker",
        ),
        (
            "The acute effects of ketamine in social contexts.",
            "Methods: Healthy experienced ketamine users received ketamine (0.2 or 0.4 mg/kg) or placebo, double "
            "blind, in one of three social conditions.",
            "mechanism_or_biomarker",
        ),
        # Patients treated for a disorder: a placebo trial; a single group treated for dependence: not a lab study.
        (
            "Acute effects of ketamine on mood in patients with treatment-resistant depression: a randomized "
            "placebo-controlled trial.",
            "Patients with treatment-resistant depression were randomized to ketamine or saline placebo.",
            "efficacy_vs_control",
        ),
        (
            "Sub-acute effects of ketamine on mood.",
            "Participants received ketamine or placebo in a randomized, double-blind design and mood was rated three "
            "days later.",
            "efficacy_vs_control",
        ),
    ],
)
def test_acute_effects_on_the_mind_in_the_laboratory(title: str, text: str, want: str) -> None:
    assert ask_text(title, text, ("rct",)) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("After the ketamine sessions 83% no longer met AUD criteria.", ["decreased"]),
        ("Most patients no longer required opioids at 6 weeks.", ["decreased"]),
        # In the subject, the count's own verb decides.
        (
            "The number of participants who no longer met PTSD criteria increased from treatment exit (56.0%) to "
            "follow-up (67.0%).",
            ["increased"],
        ),
    ],
)
def test_no_longer_is_fewer(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want
