"""Wording families of stop 43, from the misses of the real probe rounds 16-19 (psilocybin, MDMA and LSD records read
with the rules configured for their drug): present-tense and "occasioned" causatives, "intensified", a mediator of
the drug's effect, anatomical "superior/middle" and "inferior/..." with a slash, and another named drug "spared".
Each rule is pinned in both directions where it could overreach. Read clause by clause, as the rules read them (the
direction model weighs the whole sentence afterwards). Made-up text."""

from __future__ import annotations

import pytest

from tests.evidence_probe import ask_with_results, clause_directions, read


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # The drug brought something about, said in the present tense or with "occasioned".
        ("Administration of ketamine occasioned strong mystical experiences.", ["increased"]),
        ("Ketamine produces a marked rise in dissociation scores.", ["increased"]),
        ("Ketamine elicits euphoria within minutes.", ["increased"]),
        # Unsigned changes are no direction, whichever tense ("ketamine induces specific changes in connectivity").
        ("Ketamine induces specific changes in connectivity within and between networks.", []),
        ("Ketamine produced alterations in resting-state connectivity.", []),
        # A named-thing hyphenation is not the drug bringing something about.
        ("Ketamine-induced dissociation was brief.", []),
    ],
)
def test_causatives_in_any_tense_but_not_unsigned_changes(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("Ketamine intensified almost all characteristics of altered states of consciousness.", ["increased"]),
        ("The visual effects intensifies with dose.", ["increased"]),
    ],
)
def test_intensified_is_a_rise(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # A mediator of the drug's effect is a positive association (the labels' convention for associations).
        ("The mystical experience mediated the therapeutic effect of ketamine on anxiety.", ["increased"]),
        ("Reduced avoidance mediated the relationship between dose and improvement.", ["increased"]),
        # Denied: a null.
        ("The antidepressant effect was not mediated by changes in dissociation.", ["no_difference"]),
        # A passive "is mediated via" names a mechanism, not an association this study measured.
        ("The psychological effects of the drug are mediated via the serotonin transporter.", []),
    ],
)
def test_a_mediator_of_the_effect_is_a_positive_association(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # Anatomy with a slash is anatomy: the brain region, not the drug's superiority.
        ("Ketamine reduced activation in the right superior/middle frontal gyrus.", ["decreased"]),
        ("Ketamine increased connectivity of the inferior/middle temporal gyrus.", ["increased"]),
        # A comparison still reads as one.
        ("Ketamine was superior to placebo on the MADRS (p = 0.01).", ["decreased"]),
    ],
)
def test_anatomy_with_a_slash_is_no_comparison(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("The hydromorphone-sparing effect of ketamine was significant at 24 h (P = .02).", ["decreased"]),
        ("Ketamine had an opioid-sparing effect.", ["decreased"]),
        ("Ketamine showed a morphine sparing effect (p < 0.05).", ["decreased"]),
    ],
)
def test_a_named_drug_spared_is_less_of_it(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


# Round 20's own families (written once it was measured).


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        # Denied correlations and impairments are nulls.
        ("No other psychometric measure correlated with hormonal responses.", ["no_difference"]),
        ("No baseline characteristic was significantly associated with response.", ["no_difference"]),
        ("Assessments of cognition, balance, and proprioception revealed no impairment.", ["no_difference"]),
        ("Under these conditions the drug produces negligible changes in mood.", ["no_difference"]),
        # A correlation said, not denied, stays one.
        ("Plasma levels correlated with dissociation scores (r = 0.45, p = 0.01).", ["increased"]),
        # "similarly" linking two changes is no null; "similarly" alone is one.
        ("Ketamine increased social acceptance (p<0.05), and similarly increased pleasantness ratings.", ["increased"]),
        ("The two groups responded similarly.", ["no_difference"]),
    ],
)
def test_round20_nulls_and_linked_changes(clause: str, want: list[str]) -> None:
    assert sorted(set(clause_directions(clause))) == want


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # Another drug's users set against the drug's: their "more" is the drug's less.
        ("Mephedrone users reported a significantly longer maximum session of use than ketamine users.", ["decreased"]),
        # The drug not named, "X users" is no arm: in a trial they are a subgroup ("higher in chronic opioid users").
        ("Postoperative pain was significantly higher in chronic opioid users (p = 0.01).", ["increased"]),
        # The drug's own users are the drug's arm.
        ("Ketamine users reported a significantly longer session than mephedrone users.", ["increased"]),
    ],
)
def test_another_drugs_users_are_the_comparator_arm(sentence: str, want: list[str]) -> None:
    methods = "We compared 150 ketamine users with 80 mephedrone users recruited online."
    assert read(sentence, methods, "Ketamine and mephedrone: a comparison of users' reports") == want


def test_a_title_protocol_with_results_is_no_protocol() -> None:
    """A title's "study design and rationale" names a protocol unless the results report outcomes."""
    title = "Ketamine for depression: study design and rationale for phase 3 trials based on pooled phase 2 data"
    methods = "We pooled six randomized placebo-controlled phase 2 trials of ketamine."
    with_results = "The ketamine group had significantly greater reductions in MADRS scores than the placebo group."
    assert ask_with_results(title, methods, with_results) != "protocol"
    assert ask_with_results(title, methods, "Enrolment will begin in 2026.") == "protocol"


# Rounds 21 and 22's families (written once they were measured).


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("Drug-induced suggestibility correlated with no other effects.", ["no_difference"]),
        (
            "No further deterioration in continuing users was observed in the second follow-up period.",
            ["no_difference"],
        ),
        ("Drug-induced increases in cortisol are not responsible for impairing memory performance.", ["no_difference"]),
        (
            "In contrast, there were no regions in which use was inversely associated with receptor levels.",
            ["no_difference"],
        ),
        (
            "The drug-related variance was reduced to below statistical significance after control for memory span.",
            ["no_difference"],
        ),
        # Not a denial: "no history" is the trait associated.
        ("Response to ketamine was positively associated with no history of hospitalization.", ["increased"]),
    ],
)
def test_round21_22_nulls(clause: str, want: list[str]) -> None:
    assert clause_directions(clause) == want


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # Harms said absent, with no arms compared, after a setting or "well tolerated and": no finding.
        ("The drug was well tolerated and no serious adverse events were reported.", []),
        ("In medical settings, no complications of ketamine administration were observed.", []),
        # Arms compared: a finding.
        (
            "No serious adverse events occurred in either group, and nausea was less frequent than with placebo.",
            ["decreased"],
        ),
    ],
)
def test_harms_absent_after_a_setting_are_no_finding(sentence: str, want: list[str]) -> None:
    assert read(sentence) == want
