"""Claims as assertions (issue 13): checkability with a reason, asserted strength, parts, the
molecule a route implies, magnitudes, one reconciled verdict per sentence, and the bench's scoring.

Every sentence here is made up for the test (none is copied from a sample page), and each rule is
pinned in both directions: a sentence that must be a claim next to one that must not be.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ketlit.claims.assertion import asserted_strength, assertion_parts
from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.judging import reconcile
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules
from tests.conftest import repo_module

REPO = Path(__file__).resolve().parents[1]
# A page is "about the drug" when it names it: the lead-in does so twice.
LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


def readings(text: str, rules: Rules, lead: str = LEAD) -> dict[str, dict[str, Any]]:
    """Sentence text → its JSON reading (checkable, reason, strength …) for a page."""
    report = check_page(lead + text, "test.txt", InMemoryIndex([], rules), rules)
    return {s["text"]: s for s in report_to_json(report)["sentences"]}


def reading(sentence: str, rules: Rules, lead: str = LEAD) -> dict[str, Any]:
    found = readings(sentence + "\n\nKetamine is given at the clinic.", rules, lead)
    assert sentence in found, sorted(found)
    return found[sentence]


def claims_of(sentence: str, rules: Rules) -> list[Claim]:
    return [c for c in extract_claims(LEAD + sentence + "\n\nEnd of page.", rules) if sentence in c.text]


# ------------------------------------------------------------------ checkability, both directions

NOT_CHECKABLE = [
    ("heading", "Frequently Asked Questions About Our Service"),
    ("booking", "Call us today to book a free consultation about ketamine."),
    ("procedure", "Each infusion session will begin with a short health questionnaire and vital signs."),
    ("mechanism", "Ketamine blocks NMDA receptors and raises glutamate release in the cortex."),
    ("anecdote", "I felt like myself again after my third ketamine session."),
    ("recommendation", "Tell your doctor about every medicine you take before starting ketamine."),
    ("question", "Is ketamine right for you?"),
    ("puffery", "Ketamine is a game-changing innovation that can help people in many ways."),
    ("out_of_scope", "Seasonal affective patterns are characterized by low energy in winter."),
]
CLAIMS = [
    ("heading", "Immediately Effective"),  # a label asserting outright
    ("booking", "Ketamine relieves depression within hours, so call us today."),  # booking words do not hide it
    ("procedure", "Ketamine is given in a clinic, and most patients notice relief within a day."),
    ("mechanism", "By acting on receptors, ketamine helps patients learn new coping behaviours."),
    ("anecdote", "Ketamine reduces suicidal thoughts within a day."),
    ("recommendation", "Ketamine is an effective treatment for treatment-resistant depression."),
    ("question", "Ketamine relieves PTSD symptoms in most patients."),
    ("puffery", "Ketamine is a breakthrough that relieves depression within hours."),  # names what to test
    ("out_of_scope", "Many patients feel relief from depression after ketamine infusions."),
]


@pytest.mark.parametrize(("reason", "sentence"), NOT_CHECKABLE, ids=[r for r, _ in NOT_CHECKABLE])
def test_not_a_claim_with_its_reason(rules: Rules, reason: str, sentence: str) -> None:
    got = reading(sentence, rules)
    assert (got["checkable"], got["reason"]) == (False, reason)
    assert got["verdict"] is None


@pytest.mark.parametrize(("near", "sentence"), CLAIMS, ids=[r for r, _ in CLAIMS])
def test_a_claim_next_to_each_reason(rules: Rules, near: str, sentence: str) -> None:
    got = reading(sentence, rules)
    assert (got["checkable"], got["reason"]) == (True, "claim"), near
    assert got["claims"] and got["verdict"] is not None


def test_a_page_stopping_mid_sentence_is_not_checked(rules: Rules) -> None:
    page = LEAD + "Ketamine relieves depression quickly and it is well tolerated by most of the"
    last = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))["sentences"][-1]
    assert (last["checkable"], last["reason"]) == (False, "truncated")
    whole = LEAD + "Ketamine relieves depression quickly and it is well tolerated by most patients."
    last = report_to_json(check_page(whole, "t.txt", InMemoryIndex([], rules), rules))["sentences"][-1]
    assert last["checkable"]


def test_a_sentence_about_the_condition_is_not_about_the_drug(rules: Rules) -> None:
    found = readings("Panic disorder is a common anxiety condition. It cannot be cured, but treatment may help.", rules)
    assert not found["It cannot be cured, but treatment may help."]["checkable"]
    found = readings("Ketamine works for panic disorder. It can help within hours.", rules)
    assert found["It can help within hours."]["checkable"]


def test_combining_the_drug_with_therapy_is_a_claim(rules: Rules) -> None:
    assert reading("Adjunct therapy such as counselling helps improve outcomes.", rules)["checkable"]
    # Another treatment in general, with no combination, is not about the drug.
    assert not reading("Counselling helps improve outcomes for many adults.", rules)["checkable"]


def test_a_page_naming_the_drug_once_about_its_route_is_about_the_drug(rules: Rules) -> None:
    lead = "Our ketamine service.\n\nIV infusions are given in a quiet room.\n\n"
    assert reading("IV infusions relieve depression in most patients within a day.", rules, lead)["checkable"]
    assert not reading("Home remedies relieve depression in most patients within a day.", rules, "Our service.\n\n")[
        "checkable"
    ]


# ------------------------------------------------------------------ asserted strength

STRENGTH = [
    ("hedged", "Ketamine may ease chronic pain.", "Ketamine eases chronic pain."),
    ("plain", "Ketamine eases chronic pain.", "Ketamine may ease chronic pain."),
    ("attributed", "Published trials have shown that ketamine eases chronic pain.", "Ketamine eases chronic pain."),
    (
        "intensified",
        "Ketamine can be extremely effective for chronic pain.",
        "Ketamine can be effective for chronic pain.",
    ),
    ("absolute", "Ketamine cures chronic pain.", "Ketamine may cure chronic pain."),
]


@pytest.mark.parametrize(("level", "yes", "no"), STRENGTH, ids=[s[0] for s in STRENGTH])
def test_strength_both_directions(rules: Rules, level: str, yes: str, no: str) -> None:
    assert asserted_strength(yes, rules).level == level
    assert asserted_strength(no, rules).level != level


def test_can_is_a_capability_not_a_hedge(rules: Rules) -> None:
    (claim,) = [c for c in claims_of("Ketamine can be very effective for chronic pain.", rules) if c.kind == "efficacy"]
    assert claim.strength == "intensified" and not claim.hedged
    assert "very effective" in claim.strength_cues


def test_strength_reaches_the_json(rules: Rules) -> None:
    report = check_page(LEAD + "Ketamine cures depression.", "t.txt", InMemoryIndex([], rules), rules)
    (claim,) = [c for c in report_to_json(report)["claims"] if c["checkable"]]
    assert claim["strength"] == {"level": "absolute", "cues": ["cures"]}


# ------------------------------------------------------------------ parts: molecule, scope, magnitude …


def test_intranasal_generic_name_is_the_nasal_product(rules: Rules) -> None:
    (claim,) = claims_of("Ketamine given as a nasal spray relieves depression within hours.", rules)[:1]
    assert claim.molecule == ("esketamine",)
    both = claims_of("Ketamine given intravenously or intranasally relieves depression.", rules)[0]
    assert set(both.molecule) == {"racemic_ketamine", "esketamine"}
    iv = claims_of("Ketamine given intravenously relieves depression.", rules)[0]
    assert iv.molecule == ("racemic_ketamine",)


def test_scope_and_comparator(rules: Rules) -> None:
    parts = assertion_parts(
        "At low, supervised doses for medical use, ketamine is well tolerated.", rules, kind="safety"
    )
    assert {"low_dose", "medical_use"} <= set(parts.scope)
    assert assertion_parts("Ketamine is well tolerated.", rules, kind="safety").scope == ()
    named = assertion_parts("Ketamine works faster than SSRIs for depression.", rules, kind="onset")
    assert named.comparator == "antidepressants"
    implied = assertion_parts("Ketamine relieves depression.", rules, kind="efficacy")
    assert implied.comparator is not None and "implied" in implied.comparator


def test_jurisdiction(rules: Rules) -> None:
    assert assertion_parts("Ketamine is a Class B drug in the UK.", rules, kind="regulatory").jurisdiction == ("UK",)
    assert assertion_parts("Ketamine is FDA approved as an anesthetic.", rules, kind="regulatory").jurisdiction == (
        "US",
    )


def test_more_than_is_a_lower_bound(rules: Rules) -> None:
    (claim,) = [c for c in claims_of("Ketamine helps more than 60% of patients with depression.", rules)]
    assert claim.threshold is not None and (claim.threshold.op, claim.threshold.value) == (">", 60.0)
    (about,) = [c for c in claims_of("Ketamine helps 60% of patients with depression.", rules)]
    assert about.threshold is not None and about.threshold.op == "~"


def test_approval_imports_no_condition_unless_it_speaks_of_the_service(rules: Rules) -> None:
    page = LEAD + "Ketamine for depression.\n\nKetamine helps depression.\n\n"
    drug = [c for c in extract_claims(page + "Ketamine is FDA-approved.", rules) if c.kind == "regulatory"]
    assert drug and drug[0].regulatory is not None and drug[0].regulatory.approval_indications == ()
    ours = [
        c for c in extract_claims(page + "Our ketamine treatment is FDA-approved.", rules) if c.kind == "regulatory"
    ]
    assert ours and ours[0].regulatory is not None and ours[0].regulatory.approval_inferred


# ------------------------------------------------------------------ one verdict per sentence


def test_reconcile_rule() -> None:
    assert reconcile(["supported", "supported"]) == "supported"
    assert reconcile(["supported", "partly_supported"]) == "partly_supported"
    assert reconcile(["supported", "insufficient_evidence"]) == "partly_supported"
    # Some parts hold, another is contradicted: only some parts hold (the legend's partly supported).
    assert reconcile(["supported", "contradicted"]) == "partly_supported"
    assert reconcile(["insufficient_evidence", "contradicted"]) == "contradicted"
    # …unless the contradicted part is the sentence's number ("over 90% respond within a day").
    assert reconcile(["supported", "contradicted"], wrong_number=True) == "contradicted"
    assert reconcile(["insufficient_evidence", "insufficient_evidence"]) == "insufficient_evidence"
    assert reconcile([]) == "not_checkable"


def test_a_compound_sentence_gets_one_verdict_with_its_parts(rules: Rules) -> None:
    # Efficacy from an approval-free empty cache is insufficient; the not-addictive part is
    # contradicted by the regulatory facts: the sentence is contradicted, both parts kept.
    text = LEAD + "Ketamine relieves depression and is not addictive."
    out = report_to_json(check_page(text, "t.txt", InMemoryIndex([], rules), rules))
    parts = [c for c in out["claims"] if c["checkable"]]
    assert len(parts) >= 2 and len({c["verdict"] for c in parts}) == 1
    assert len({c["part_verdict"] for c in parts}) == len(parts)
    assert any("reconciled" in r for r in parts[0]["reasons"])
    (sentence,) = [s for s in out["sentences"] if s["checkable"]]
    assert sentence["verdict"] == parts[0]["verdict"] and set(sentence["claims"]) == {c["id"] for c in parts}


def test_claims_carry_their_source_sentence_span(rules: Rules) -> None:
    text = LEAD + "Ketamine relieves depression."
    out = report_to_json(check_page(text, "t.txt", InMemoryIndex([], rules), rules))
    (claim,) = [c for c in out["claims"] if c["checkable"]]
    span = claim["sentence"]
    assert text[span["start"] : span["end"]] == "Ketamine relieves depression."


# ------------------------------------------------------------------ the bench's scoring


def _bench() -> ModuleType:
    return repo_module("bench/claims_accuracy.py")


def test_bench_scoring_on_a_tiny_key() -> None:
    b = _bench()
    page = "A works. B is fast and safe. Call us. C helps."
    texts = {"p.txt": page}
    keyed = [
        b.KeyedSentence("K1", "p.txt", *b.locate(page, "A works"), frozenset({"supported"})),
        b.KeyedSentence("K2", "p.txt", *b.locate(page, "B is fast"), frozenset({"partly_supported"})),
        b.KeyedSentence("K3", "p.txt", *b.locate(page, "C helps"), frozenset({"supported", "partly_supported"})),
    ]
    nots = [b.NotClaim("p.txt", *b.locate(page, "Call us"), "booking", "Call us")]

    def claim(fragment: str, verdict: str) -> dict[str, Any]:
        start = page.index(fragment)
        return {"verdict": verdict, "kind": "efficacy", "sentence": {"start": start, "end": start + len(fragment)}}

    claims = [
        claim("A works.", "supported"),  # right
        claim("B is fast and safe.", "partly_supported"),  # one part right …
        claim("B is fast and safe.", "supported"),  # … one wrong: the sentence earns nothing
        claim("Call us.", "supported"),  # a false claim
        claim("C helps.", "not_checkable"),  # not extracted
    ]
    sc = b.score_page(claims, keyed, nots)
    assert (sc.keyed, sc.extracted, sc.strict, sc.not_claims, sc.false_claims) == (3, 2, 1, 1, 1)
    assert sc.recall == pytest.approx(2 / 3) and sc.strict_share == pytest.approx(1 / 3)
    assert sc.false_share == 1.0
    # Constant answers: "supported" is acceptable for K1 and K3, "partly" for K2 and K3.
    assert sc.best_constant() == ("supported", pytest.approx(2 / 3))
    assert texts["p.txt"][slice(*b.locate(page, "Call  us"))] == "Call us"  # whitespace-insensitive
    # "High" is founded only on the certainty_source the engine records (see tests/test_claims_decisive.py).
    high = {"certainty": "high", "evidence": [{"source": "regulatory", "id": "r"}]}
    assert b.unfounded_high([high]) == [high]
    assert b.unfounded_high([{**high, "certainty_source": "regulatory:r"}]) == []


def test_acronym_jurisdictions_match_in_capitals_only(rules: Rules) -> None:
    # "who" in a relative clause is not the WHO, nor "us" the US: an approval sentence about
    # "adults who have …" speaks of the default jurisdiction, not of an international body.
    text = "It is approved for adults with depression who have suicidal thoughts."
    assert assertion_parts(text, rules, kind="regulatory").jurisdiction == ()
    polite = "Call us to ask whether it would be nice for you."
    assert assertion_parts(polite, rules, kind="regulatory").jurisdiction == ()
    assert assertion_parts("Ketamine is on the WHO list.", rules, kind="regulatory").jurisdiction == ("international",)
    assert assertion_parts("NICE did not recommend it.", rules, kind="regulatory").jurisdiction == ("UK",)
    assert assertion_parts("It is approved in the US.", rules, kind="regulatory").jurisdiction == ("US",)


def test_a_regulator_without_facts_is_its_own_jurisdiction(rules: Rules) -> None:
    """New Zealand's regulator, funder and act name NZ, for which no facts are held: such a sentence is
    never judged by the US facts (a Medsafe statement was contradicted at high certainty by them)."""
    for text in ("Medsafe has approved ketamine as an anaesthetic.", "It is not funded by Pharmac.",
                 "Ketamine is controlled under the Misuse of Drugs Act 1975."):
        assert assertion_parts(text, rules, kind="regulatory").jurisdiction == ("NZ",), text
    assert assertion_parts("Ketamine is a Class B controlled drug.", rules, kind="regulatory").jurisdiction == ("UK",)


@pytest.mark.parametrize(
    "sentence",
    [
        "Our medical team screens every participant and monitors blood pressure during each session.",
        "A nurse monitors heart rate, breathing, oxygen levels and blood pressure throughout.",
        "Our programme is led by an addiction psychiatrist and two social workers.",
        "The centre offers a 12-week ketamine (KAP) programme for adults recovering from alcohol use disorder"
        " and other addictions.",
        "We do not offer ketamine to patients with uncontrolled hypertension or a history of misuse.",
        "Addiction changes how the brain responds to reward and stress.",
    ],
)
def test_a_harm_word_naming_care_or_the_condition_treated_is_no_safety_claim(rules: Rules, sentence: str) -> None:
    # Blood pressure as what staff monitor, addiction as a specialist's field or the condition a
    # programme treats, a history of misuse as an exclusion: none asserts a harm of the drug.
    assert not reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Your blood pressure may rise during the infusion, so we monitor it throughout.",
        "Ketamine can be misused, which is why every dose is given in our clinic.",
        "Ketamine can be misused, and your care team will check for signs of this.",
        "Ketamine is addictive, so we screen every patient.",
    ],
)
def test_a_harm_given_as_the_reason_for_care_is_a_safety_claim(rules: Rules, sentence: str) -> None:
    got = reading(sentence, rules)
    assert got["checkable"] and got["verdict"] is not None


@pytest.mark.parametrize(
    "sentence",
    [
        "Not everyone responds to esketamine.",
        "Results vary; ketamine infusion therapy is not a cure for chronic pain.",
        "Ketamine is not a miracle cure for depression.",
        "We cannot guarantee that ketamine will relieve your pain.",
    ],
)
def test_a_stated_limit_is_no_claim_of_effect(rules: Rules, sentence: str) -> None:
    # Read as "it works", a concession was judged as an efficacy claim (partly supported, high).
    assert not reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Not everyone responds, but most patients with depression improve within a day of ketamine.",
        "Ketamine is not a cure, but it can reduce depressive symptoms within hours.",
        "Not everyone responds to ketamine, yet 70% of patients with depression do.",
    ],
)
def test_a_limit_followed_by_a_promise_is_checked(rules: Rules, sentence: str) -> None:
    assert reading(sentence, rules)["checkable"]


def test_a_placebo_arm_with_a_background_treatment_is_no_head_to_head(rules: Rules) -> None:
    # Both arms took the oral antidepressant: the comparison is against placebo, and the sentence
    # must not be judged as a head-to-head claim against antidepressants (insufficient evidence).
    text = ("In trials, patients given esketamine with an oral antidepressant improved more than those"
            " given a placebo with an oral antidepressant.")
    assert assertion_parts(text, rules, kind="efficacy").comparator == "placebo"
    (claim,) = claims_of(text, rules)
    report = check_page(LEAD + text, "t.txt", InMemoryIndex([], rules), rules)
    (checked,) = [c for c in report.claims if c.claim.text == claim.text and c.claim.checkable]
    assert not any("head to head" in r for r in checked.verdict.reasons)
    head = "Esketamine is more effective than oral antidepressants for depression."
    assert assertion_parts(head, rules, kind="efficacy").comparator == "antidepressants"


@pytest.mark.parametrize(
    "sentence",
    [
        "In cats, ketamine is a safe sedative with few side effects.",
        "Ketamine is a dissociative anaesthetic that has been used in veterinary medicine for decades.",
        "Modern anaesthesia is very safe, but no anaesthetic is completely without risk.",
        "We believe good pain relief is essential for a smooth recovery.",
    ],
)
def test_animals_and_anaesthesia_in_general_are_not_the_drug_for_people(rules: Rules, sentence: str) -> None:
    assert not reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is a safe anaesthetic for people of all ages.",
        "We believe ketamine relieves depression within hours.",
        "Ketamine relieves pain in patients with cancer.",
    ],
)
def test_the_drug_for_people_is_still_checked(rules: Rules, sentence: str) -> None:
    assert reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine may be suitable if you have tried at least two antidepressants that did not help.",
        "Our service is not for people with a history of psychosis or who are pregnant.",
        "Good candidates usually have tried several medicines for their depression first.",
        "Our senior psychiatrists provide ketamine infusions for adults whose depression has not improved.",
        "Weeks 3 to 8 focus on relapse prevention, group therapy and family sessions.",
        "Phase 2 includes three ketamine sessions and an integration visit.",
    ],
)
def test_who_a_treatment_is_for_and_when_is_no_claim(rules: Rules, sentence: str) -> None:
    # Eligibility, the staff who provide a service and a programme's timetable say nothing about what
    # the drug does, however many condition and harm words they carry.
    assert not reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is not suitable for people with heart disease because it raises blood pressure.",
        "Ketamine may be a good option for people with depression, as it works within hours.",
        "Our doctors offer ketamine because it relieves depression within hours.",
    ],
)
def test_eligibility_that_gives_an_effect_as_its_reason_is_a_claim(rules: Rules, sentence: str) -> None:
    assert reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "In my experience, most patients do well with either option.",
        "In our experience, most patients do well with ketamine.",
    ],
)
def test_a_clinicians_own_experience_is_an_anecdote(rules: Rules, sentence: str) -> None:
    # The clinician's "my experience" is as unverifiable as the clinic's "our experience".
    got = reading(sentence, rules)
    assert (got["checkable"], got["reason"]) == (False, "anecdote")


@pytest.mark.parametrize(
    "sentence",
    [
        # A condition naming who is meant: the patients are the subject, their gain the treatment's.
        "Fibromyalgia patients often see a 50% reduction in pain.",
        # Relief said to last is a treatment's relief, not pain relief in general.
        "Pain relief typically lasts three months after a five-day infusion.",
        # "antidepressant effect" names an effect (and depression), not antidepressant drugs.
        "The antidepressant effect of a single dose typically lasts about one week.",
    ],
)
def test_a_condition_or_relief_qualifying_the_subject_is_a_claim(rules: Rules, sentence: str) -> None:
    assert reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Fibromyalgia is a chronic condition that causes widespread pain.",
        "Pain relief has improved a lot in recent decades.",
    ],
)
def test_the_condition_or_relief_in_general_is_still_not_the_drug(rules: Rules, sentence: str) -> None:
    assert not reading(sentence, rules)["checkable"]
