"""Verdict rules added in the dev error analysis of issue 13, each pinned in both directions on
small made-up fixtures (records with stored profiles, built by tests/test_claims_synthesis.py):

* ``[outcomes]``: a claim about an outcome symptom trials do not measure (the drug and another
  therapy adding to each other, cognition, preventing suicide, more sessions → more benefit) is
  judged only on studies of that outcome; narrative reviews give it no direction;
* an implied claim (a usage statement) is tested at plain strength: its intensifiers describe the
  use or the interest, not the effect;
* onset and duration: efficacy is *established* by the supported bar, an approval, or a review
  that states its certainty — not by a few small trials alone;
* asserted strength: "perhaps", "sometimes", "some individuals … have found", and "patients can
  find …" hedge; "ketamine can relieve …" stays plain.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ketlit.claims.assertion import asserted_strength
from ketlit.claims.evidence import EvidenceRecord
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.policy import packaged_policy
from ketlit.claims.rules import Rules
from tests.test_claims_synthesis import HERE, efficacy, record, verdict_of


def _trials() -> list[EvidenceRecord]:
    """A body that meets the supported bar for symptoms: two adequately sized positive RCTs."""
    return [record("1", n=80), record("2", n=90)]


# ------------------------------------------------------------------ [outcomes]

CONSTRUCT_CLAIMS = [
    (
        "added_to_therapy",
        "Ketamine makes the brain more receptive to psychotherapy for treatment-resistant depression.",
    ),
    ("added_to_therapy", "Adjunct counseling helps improve outcomes of ketamine for treatment-resistant depression."),
    ("cognition", "Ketamine improves cognitive flexibility in treatment-resistant depression."),
    ("suicide_prevention", "Ketamine is a tool in preventing suicide in treatment-resistant depression."),
    ("dose_response", "The more infusions in a row, the better the relief of treatment-resistant depression."),
]


@pytest.mark.parametrize(("name", "text"), CONSTRUCT_CLAIMS, ids=[c[0] for c in CONSTRUCT_CLAIMS])
def test_symptom_trials_do_not_bear_on_another_outcome(rules: Rules, name: str, text: str) -> None:
    construct = packaged_policy().construct_of(text)
    assert construct is not None and construct.name == name
    v = verdict_of(efficacy(text), _trials(), rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any(f"outcome '{name.replace('_', ' ')}'" in r for r in v.reasons), v.reasons
    # The same trials support the plain symptom claim.
    assert verdict_of(efficacy(), _trials(), rules).verdict == "supported"


def test_studies_of_the_construct_decide_it(rules: Rules) -> None:
    text = "Adjunct counseling helps improve outcomes of ketamine for treatment-resistant depression."
    combo = [replace(r, title=f"Ketamine plus psychotherapy, trial {r.id}") for r in _trials()]
    v = verdict_of(efficacy(text), combo, rules)
    assert v.verdict == "supported", v.reasons


def test_a_narrative_review_gives_a_construct_no_direction(rules: Rules) -> None:
    text = "Ketamine makes the brain more receptive to psychotherapy for treatment-resistant depression."
    narrative = replace(
        record("9", question="systematic_review", design="systematic_review", n=900),
        title="Ketamine and psychotherapy: systematic review",
    )
    v = verdict_of(efficacy(text, strength="hedged", hedged=True), [narrative], rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    graded = replace(
        record("9", question="systematic_review", design="meta_analysis", n=900, certainty="moderate"),
        title="Ketamine and psychotherapy: meta-analysis",
    )
    v = verdict_of(efficacy(text), [graded], rules)
    assert v.verdict == "supported", v.reasons


def test_suicidal_ideation_is_not_suicide_prevention(rules: Rules) -> None:
    assert packaged_policy().construct_of("Ketamine reduces suicidal ideation within hours.") is None
    assert packaged_policy().construct_of("Ketamine relieves depression within hours.") is None


# ------------------------------------------------------------------ implied claims


def test_an_implied_claims_intensifier_describes_the_use_not_the_effect(rules: Rules) -> None:
    text = "The most significant surge in interest has come from ketamine's use in treatment-resistant depression."
    implied = efficacy(text, implied=True, strength="intensified", strength_cues=("most significant",))
    v = verdict_of(implied, _trials(), rules)
    assert v.verdict == "supported", v.reasons
    assert any("tested at plain strength" in r for r in v.reasons)
    stated = efficacy(
        "Ketamine is the most effective treatment for treatment-resistant depression.",
        strength="intensified",
        strength_cues=("most effective",),
    )
    assert verdict_of(stated, _trials(), rules).verdict == "partly_supported"


# ------------------------------------------------------------------ onset: efficacy established


def _onset(strength: str = "plain") -> Claim:
    return Claim(
        id="c1",
        text="Ketamine relieves treatment-resistant depression within a day.",
        kind="onset",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold("<=", 24.0, "hours"),
        strength=strength,
    )


ONSET_ABSTRACT = "Ketamine reduced depressive symptoms compared with placebo within 4 hours."


def test_a_graded_review_establishes_efficacy_for_timing_but_small_trials_do_not(rules: Rules) -> None:
    low = replace(
        record(
            "9", question="systematic_review", design="meta_analysis", certainty="low", n=600, abstract=ONSET_ABSTRACT
        ),
    )
    trials = [record(str(i), n=20, abstract=ONSET_ABSTRACT) for i in range(1, 4)]
    # A low-certainty review is below the bar of a plain efficacy claim ...
    assert verdict_of(efficacy(), [low], rules).verdict == "partly_supported"
    # ... but it establishes the direction, so the onset claim is judged on the times reported.
    v = verdict_of(_onset(), [low, *trials], rules)
    assert v.verdict == "supported", v.reasons
    # Three small trials alone do not establish efficacy: the timing part is at most partly supported.
    v = verdict_of(_onset(), trials, rules)
    assert v.verdict == "partly_supported", v.reasons


# ------------------------------------------------------------------ strength


STRENGTH_CASES = [
    ("hedged", "Perhaps the most significant breakthrough has been ketamine for depression."),
    ("hedged", "Ketamine is fast-acting and can sometimes show immediate efficacy."),
    ("hedged", "Some individuals with chronic pain, especially neuropathic pain, have found relief through ketamine."),
    ("hedged", "Patients can find relief when other treatments fail."),
    ("plain", "Ketamine can relieve symptoms of depression in hours."),
    ("plain", "Some patients feel dizzy during treatment."),
    ("intensified", "Ketamine can be very effective for chronic pain."),
    ("intensified", "Ketamine is the most significant breakthrough for depression."),
]


@pytest.mark.parametrize(("level", "text"), STRENGTH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STRENGTH_CASES)])
def test_strength_hedges_and_capabilities(rules: Rules, level: str, text: str) -> None:
    assert asserted_strength(text, rules).level == level


def test_prevention_around_an_operation_is_decided_by_the_studies_set_aside_for_treatment(rules: Rules) -> None:
    """"A dose during a C-section lowered postpartum depression" was "insufficient": every trial of the drug given
    around delivery was set aside as peri-operative prevention, the very question the sentence asks."""
    text = "A single dose of esketamine during a caesarean section lowers postpartum depression."
    construct = packaged_policy().construct_of(text)
    assert construct is not None and construct.name == "perioperative_prevention"
    periop = [replace(r, title=f"Esketamine during caesarean section: trial {r.id}")
              for r in (record("1", n=80, question="perioperative_prevention"),
                        record("2", n=90, question="perioperative_prevention"))]
    v = verdict_of(efficacy(text), periop, rules)
    assert v.verdict == "supported", v.reasons
    # The same studies stay set aside for a claim that the drug treats the condition.
    v = verdict_of(efficacy("Esketamine relieves treatment-resistant depression."), periop, rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("peri-operative prevention" in r for r in v.reasons), v.reasons
    # ... and a review of prevention around delivery counts for the prevention claim only.
    review = replace(record("9", question="systematic_review", design="meta_analysis", n=900, certainty="moderate",
                            review_topic="perioperative_prevention"),
                     title="Esketamine at caesarean delivery for preventing postpartum depression: meta-analysis")
    assert verdict_of(efficacy(text), [review], rules).verdict == "supported"
    assert verdict_of(efficacy(), [review], rules).verdict == "insufficient_evidence"
