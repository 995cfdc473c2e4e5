"""General causes found on a blind verdict key (five clinic pages written and keyed by a helper before
ketlit was run on them, 48/58 sentences agreeing; the pages and key stay outside the repo). Every
sentence here is made up for the test, with the near miss that must stay as it was next to it."""

from __future__ import annotations

import pytest

from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.numbers import find_times, upper_hours
from ketlit.claims.rules import Rules, load_rules

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def claims_of(sentence: str, rules: Rules) -> list[Claim]:
    return [c for c in extract_claims(LEAD + sentence, rules) if c.checkable and sentence[:30] in c.text]


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        # The drug's own effects denied: "without any dissociation" was read as stating the risk, so the
        # reports of dissociation "supported" a sentence that denies it.
        ("Arketamine works as well as ketamine without any dissociation.", "denial"),
        ("Esketamine lifts mood without dissociation.", "denial"),
        ("Ketamine relieves pain without causing hallucinations.", "denial"),
        # Stating the risk is not a denial.
        ("Ketamine can cause dissociation during the infusion.", "acknowledging"),
    ],
)
def test_the_drugs_own_effects_denied_are_a_denial(sentence: str, stance: str, rules: Rules) -> None:
    safety = [c for c in claims_of(sentence, rules) if c.kind == "safety"]
    assert safety and safety[0].safety_stance == stance, [(c.kind, c.safety_stance) for c in claims_of(sentence, rules)]


@pytest.mark.parametrize(
    ("text", "hours"),
    [("a week or two", 336.0), ("an hour or two", 2.0), ("1 to 3 days", 72.0), ("two weeks", 336.0),
     ("a week, or two months", 168.0)],
)
def test_a_range_of_counts_ends_at_its_second_count(text: str, hours: float) -> None:
    (t, *_) = find_times(text)
    assert upper_hours(text, t) == hours


def test_an_effect_that_fades_within_a_range_lasts_at_most_its_upper_end(rules: Rules) -> None:
    """"fades within about a week or two" was read as lasting at most 7 days, so a study showing benefit
    to day 10 counted against a sentence that allows two weeks."""
    (claim,) = claims_of("The antidepressant effect of one infusion typically fades within about a week or two.", rules)
    assert claim.kind == "duration" and claim.threshold is not None
    assert (claim.threshold.op, claim.threshold.value, claim.threshold.unit) == ("<=", 14.0, "days")
    # "lasts at least a week or two" is a lower bound: the first count stays.
    from ketlit.claims.extract import _time_threshold

    threshold, _ = _time_threshold("Ketamine's benefit lasts at least a week or two.", "duration", rules)
    assert threshold is not None and (threshold.op, threshold.value) == (">=", 7.0)
