"""Wording families of stop 43, from the misses of the real probe rounds 16-19 (psilocybin, MDMA and LSD records read
with the rules configured for their drug): present-tense and "occasioned" causatives, "intensified", a mediator of
the drug's effect, anatomical "superior/middle" and "inferior/..." with a slash, and another named drug "spared".
Each rule is pinned in both directions where it could overreach. Read clause by clause, as the rules read them (the
direction model weighs the whole sentence afterwards). Made-up text."""

from __future__ import annotations

import pytest

from ketlit.evidence.findings import clause_findings
from tests.evidence_probe import RULES


def _directions(clause: str) -> list[str]:
    return [f.direction for f in clause_findings(clause, 0, RULES.findings)]


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
    assert _directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("Ketamine intensified almost all characteristics of altered states of consciousness.", ["increased"]),
        ("The visual effects intensifies with dose.", ["increased"]),
    ],
)
def test_intensified_is_a_rise(clause: str, want: list[str]) -> None:
    assert _directions(clause) == want


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
    assert _directions(clause) == want


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
    assert _directions(clause) == want


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("The hydromorphone-sparing effect of ketamine was significant at 24 h (P = .02).", ["decreased"]),
        ("Ketamine had an opioid-sparing effect.", ["decreased"]),
        ("Ketamine showed a morphine sparing effect (p < 0.05).", ["decreased"]),
    ],
)
def test_a_named_drug_spared_is_less_of_it(clause: str, want: list[str]) -> None:
    assert _directions(clause) == want
