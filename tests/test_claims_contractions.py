"""Negations in contracted or typographic form read as they do spelled out ("isn’t addictive" = "is not addictive").

A fuzzing pass found "Ketamine isn’t addictive." read as the harm asserted and "supported": the stance and negation
rules are written with "not" and an ASCII hyphen. Each case is pinned both ways: the contracted form reads as the
spelled-out one, and a sentence that asserts the harm stays an assertion. The claim's text stays the page's own.
"""

from __future__ import annotations

import pytest

from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules
from ketlit.claims.text import spelled_out
from tests.claims_pages import IV_PAGE, check_kind


def _first(sentence: str, kind: str, rules: Rules) -> Claim:
    claims = [c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == kind and sentence[:20] in c.text]
    assert claims, [(c.kind, c.text) for c in extract_claims(IV_PAGE + sentence, rules)]
    return claims[0]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Ketamine isn’t addictive.", "Ketamine is not addictive."),
        ("They aren't habit-forming", "They are not habit-forming"),
        ("It doesn't, and it won't", "It does not, and it will not"),
        ("Won't hurt; can't harm", "Will not hurt; cannot harm"),
        ("non‑addictive", "non-addictive"),  # U+2011, the non-breaking hyphen
        # Nothing else changes: possessives and "it's" keep their apostrophe (folded to ASCII), words ending in
        # "n" are not negations.
        ("the patient’s dose; it's safe", "the patient's dose; it's safe"),
        ("Don and Dawn didn't", "Don and Dawn did not"),
    ],
)
def test_negations_are_spelled_out_for_matching(text: str, want: str) -> None:
    assert spelled_out(text) == want


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine isn’t addictive.",
        "Ketamine isn't habit-forming.",
        "Ketamine infusions aren’t addictive.",
        "Ketamine is not at all addictive.",
        "Ketamine is not physically or psychologically addictive.",
        "Ketamine is not considered addictive.",
        "Ketamine is not known to be addictive.",
        "Ketamine won't make you addicted.",
        "Ketamine has zero addiction potential.",
        "Ketamine is non‑addictive.",
    ],
)
def test_a_contracted_or_reworded_denial_of_addiction_is_a_denial(sentence: str, rules: Rules) -> None:
    claim = _first(sentence, "safety", rules)
    assert claim.safety_stance == "denial", claim
    assert claim.text.startswith(sentence[:-1])  # the page's words, curly apostrophe and all


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine is addictive.", "Ketamine can be addictive.", "Ketamine is not as addictive as opioids."],
)
def test_an_asserted_or_compared_harm_is_no_denial(sentence: str, rules: Rules) -> None:
    assert _first(sentence, "safety", rules).safety_stance != "denial"


@pytest.mark.parametrize(
    ("contracted", "spelled"),
    [
        ("Ketamine isn’t addictive.", "Ketamine is not addictive."),
        ("IV ketamine isn’t FDA-approved for depression.", "IV ketamine is not FDA-approved for depression."),
        ("Ketamine isn't approved by the FDA for depression.", "Ketamine is not approved by the FDA for depression."),
    ],
)
def test_a_contraction_gets_the_verdict_of_its_spelled_out_sentence(
    contracted: str, spelled: str, index: InMemoryIndex, rules: Rules
) -> None:
    kind = "safety" if "addictive" in spelled else "regulatory"
    claim, verdict = check_kind(contracted, kind, index, rules, IV_PAGE)
    _, want = check_kind(spelled, kind, index, rules, IV_PAGE)
    assert (verdict.verdict, verdict.certainty) == (want.verdict, want.certainty), verdict.reasons
    if kind == "regulatory":
        assert claim.regulatory is not None and claim.regulatory.negated
