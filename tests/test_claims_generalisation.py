"""Extraction that generalises past the development pages (issue 13, items 1 and 2).

Two kinds of test:

* **The shipped generalisation set** (``tests/fixtures/claims/generalisation_set.jsonl``, read by
  ``bench/claims_generalisation.py``): clinic, pharmacy and telehealth sentences written for ketlit,
  none copied from a sample page. Its ``first`` batch tuned the rules; its ``fresh`` batch was
  written and labelled after the tuning and then run. The floors below are the levels reached, so a
  change that loses ground on either batch fails here.
* **One family per fix**, pinned in both directions with sentences made up here (none is in the
  set): the general wording or syntax family that is a claim, next to the near miss that is not.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ketlit.claims.assertion import asserted_strength
from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.rules import Rules, load_rules
from tests.conftest import repo_module

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "claims"
LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"
END = "\n\nKetamine is given at the clinic."


def _bench() -> ModuleType:
    return repo_module("bench/claims_generalisation.py")


def page_readings(page: str, rules: Rules) -> dict[str, dict[str, Any]]:
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    kinds: dict[int, list[str]] = {}
    for c in report["claims"]:
        if c["checkable"]:
            kinds.setdefault(c["sentence"]["start"], []).append(c["kind"])
    return {s["text"]: {**s, "kinds": kinds.get(s["start"], [])} for s in report["sentences"]}


def reading(sentence: str, rules: Rules, lead: str = LEAD) -> dict[str, Any]:
    found = page_readings(lead + sentence + END, rules)
    assert sentence in found, sorted(found)
    return found[sentence]


# ------------------------------------------------------------------ the shipped set

# The levels reached when the set was shipped (see the module docstring).
FLOORS = {
    "first": {"recall": 0.98, "false_claims": 0.02, "reason": 0.95, "kind": 0.97, "strength": 0.97},
    "fresh": {"recall": 0.80, "false_claims": 0.03, "reason": 0.65, "kind": 0.85, "strength": 0.90},
    # Before any rule change: recall 0.86, false 4.5%, reason 0.70, kind 0.93, strength 0.82.
    "fresh2": {"recall": 0.90, "false_claims": 0.02, "reason": 0.68, "kind": 0.98, "strength": 0.94},
    # Before any rule change: recall 0.92, false 6.1%, reason 0.82, kind 0.93, strength 0.93.
    "fresh3": {"recall": 0.91, "false_claims": 0.04, "reason": 0.83, "kind": 0.95, "strength": 0.92},
    # Before any rule change: recall 0.79, false 12.3%, reason 0.81, kind 1.00, strength 0.88.
    "fresh4": {"recall": 0.78, "false_claims": 0.115, "reason": 0.81, "kind": 0.99, "strength": 0.87},
}


@pytest.fixture(scope="module")
def outcomes() -> list[Any]:
    b = _bench()
    return list(b.run(b.load_set()))


def test_the_set_is_big_varied_and_well_formed() -> None:
    items = _bench().load_set()
    assert len(items) >= 250 and len({it.text for it in items}) == len(items)
    claims = [it for it in items if it.checkable]
    assert {k for it in claims for k in it.kind} >= {
        "efficacy", "efficacy_rate", "onset", "duration", "safety", "regulatory", "dosing",
    }  # fmt: skip
    assert {it.strength for it in claims} == {"hedged", "plain", "attributed", "intensified", "absolute"}
    reasons = {it.reason[0] for it in items if not it.checkable}
    assert reasons >= {
        "heading", "booking", "procedure", "mechanism", "anecdote", "recommendation", "question", "puffery",
        "lead_in", "out_of_scope", "research_status",
    }  # fmt: skip
    assert any(it.rules for it in items)  # another drug, configured through a user rules file
    assert {it.batch for it in items} == {"first", "fresh", "fresh2", "fresh3", "fresh4"}
    # The split by hash puts both halves on every page of the first batch.
    b = _bench()
    assert {b.half(it.text) for it in items if it.batch == "first"} == {"tune", "held"}


@pytest.mark.parametrize("batch", sorted(FLOORS))
def test_generalisation_set_floors(outcomes: list[Any], batch: str) -> None:
    s = _bench().score([o for o in outcomes if o.item.batch == batch])
    floor = FLOORS[batch]
    assert s.recall >= floor["recall"]
    assert s.false_claims <= floor["false_claims"]
    assert s.reason_accuracy >= floor["reason"]
    assert s.kind_accuracy >= floor["kind"]
    assert s.strength_accuracy >= floor["strength"]


def test_the_other_drug_is_read_as_itself(rules: Rules) -> None:
    other = load_rules(FIXTURES / "psilocybin_rules.toml")
    text = (
        "Psilocybin therapy at our centre.\n\nAbout psilocybin.\n\nPsilocybin eases depression in people with cancer."
    )
    claims = [c for c in extract_claims(text, other) if c.checkable]
    assert [(c.kind, c.molecule) for c in claims] == [("efficacy", ("psilocybin",))]
    # The packaged rules do not know the drug: the same sentence is about nothing they track.
    assert not [c for c in extract_claims(text, rules) if c.checkable]


def test_bench_scoring_by_span(rules: Rules) -> None:
    b = _bench()
    items = [
        b.Item("x0", "p", "heading", "Ketamine Clinic", False, (), None, ("heading",), None, None),
        b.Item("x1", "p", "paragraph", "Ketamine eases chronic pain.", True, ("efficacy",), "plain", (), None, None),
        b.Item("x2", "p", "paragraph", "Ready to start? Book online today.", False, (), None, ("booking",), None, None),
        b.Item("x3", "p", "bullet", "Call us now", False, (), None, ("booking",), None, None),
    ]
    text, spans = b.build_page(items)
    assert [text[a:e] for a, e in spans] == [it.text for it in items] and "• Call us now" in text
    got = {o.item.id: o for o in b.run(items)}
    assert got["x1"].checkable and got["x1"].kinds == ("efficacy",)
    assert got["x2"].reason == "booking"  # the second sentence of the item carries the accepted reason
    s = b.score(got.values())
    assert (s.claims, s.recall, s.non_claims, s.false_claims) == (1, 1.0, 3, 0.0)


# ------------------------------------------------------------------ claim families, both directions

CLAIMS = [
    # (family, a claim, a near miss that is not one)
    (
        "effect verb on a clinical object",
        "Ketamine may curb the urge to drink.",
        "We lower the lights during each visit.",
    ),
    (
        "comparison verb",
        "Ketamine outperforms placebo for bipolar depression.",
        "Bipolar depression outperforms mania.",
    ),
    ("condition as subject", "Your anxiety may lift after the second infusion.", "The blinds lift at sunrise."),
    ("sparing by cutting back", "Many people wean off painkillers after ketamine.", "Many people wean off caffeine."),
    ("feeling better", "Most clients feel noticeably better within a week.", "Most clients like the quiet rooms."),
    ("an option for a population", "Ketamine is a real option for suicidal teenagers.", "Ketamine has a long history."),
    (
        "evidence described by its tone",
        "Early findings for ketamine in OCD look promising.",
        "Ketamine was found in 1962.",
    ),
    (
        "drug as subject, a condition after it",
        "Ketamine untangles the knot of OCD.",
        "Ketamine clinics operate in every state.",
    ),
    (
        "fronted means, outcome in the main clause",
        "By strengthening synapses, ketamine relieves depressive symptoms.",
        "By strengthening synapses, ketamine restores connections between neurons.",
    ),
    (
        "deontic advice with a reason",
        "People with glaucoma should avoid ketamine because it can raise eye pressure.",
        "People with glaucoma should avoid ketamine.",
    ),
]


@pytest.mark.parametrize(("family", "yes", "no"), CLAIMS, ids=[c[0] for c in CLAIMS])
def test_claim_family_both_directions(rules: Rules, family: str, yes: str, no: str) -> None:
    assert reading(yes, rules)["checkable"], family
    assert not reading(no, rules)["checkable"], family


KINDS = [
    ("onset", "Ketamine relieves depression in a matter of hours."),
    ("onset", "Ketamine lifts depression after just one infusion."),
    ("onset", "Ketamine has a slower onset when swallowed than when injected."),
    ("duration", "The improvement in depression is sustained for over a year."),
    ("safety", "Ketamine is well tolerated by older adults."),
    ("safety", "Ketamine is contraindicated in uncontrolled hypertension."),
    ("regulatory", "Ketamine is licensed in Ireland as an anaesthetic."),
    ("regulatory", "In New Zealand, ketamine is a Class C controlled drug."),
    ("regulatory", "NICE does not recommend esketamine for depression."),
    ("regulatory", "The FDA granted esketamine breakthrough therapy designation."),
    ("efficacy", "Ketamine lowers the risk of relapse in major depression."),
    ("efficacy_rate", "More than half of patients respond to ketamine."),
    ("dosing", "Treatment begins with 0.5 mg/kg over 40 minutes."),
    ("dosing", "Higher doses are needed when ketamine is swallowed than with IV use."),
]


@pytest.mark.parametrize(("kind", "sentence"), KINDS, ids=[f"{k}:{s[:30]}" for k, s in KINDS])
def test_kind_families(rules: Rules, kind: str, sentence: str) -> None:
    got = reading(sentence, rules)
    assert got["checkable"] and kind in got["kinds"], got["kinds"]


def test_rate_in_words_is_a_threshold(rules: Rules) -> None:
    claims = [c for c in extract_claims(LEAD + "More than half of patients respond to ketamine." + END, rules)]
    rate = next(c for c in claims if c.kind == "efficacy_rate")
    assert rate.threshold is not None and (rate.threshold.op, rate.threshold.value) == (">", 50.0)


def test_lowercase_nice_and_licensed_staff_are_not_regulators(rules: Rules) -> None:
    assert "regulatory" not in reading("Ketamine sessions happen in a nice quiet room with music.", rules)["kinds"]
    assert not reading("Our licensed therapists guide each ketamine session.", rules)["checkable"]


# ------------------------------------------------------------------ not-claim families, both directions

NOT_CLAIMS = [
    # (reason, not a claim, a near sentence that is a claim)
    ("recommendation", "Skip caffeine on the morning of your infusion.", "Ketamine relieves depression within a day."),
    (
        "recommendation",
        "If your mood drops suddenly, call your care team right away.",
        "If other drugs failed, ketamine often helps with depression.",
    ),
    (
        "recommendation",
        "Anyone with a heart condition should not drive home alone.",
        "Anyone with depression can benefit from ketamine because it works within hours.",
    ),
    ("lead_in", "Here's what the research says:", "Ketamine can help with the following conditions:"),
    ("booking", "Request your first consultation online in two minutes.", "Ketamine relieves PTSD symptoms quickly."),
    (
        "booking",
        "A package of six infusions is $2,400, payable upfront.",
        "Because Spravato is FDA-approved, most insurers cover it.",
    ),
    (
        "procedure",
        "Dr. Kim is board-certified in psychiatry and anaesthesia.",
        "Ketamine eases anxiety in most adults.",
    ),
    (
        "procedure",
        "Your nurse will check your blood pressure every ten minutes.",
        "Ketamine can briefly raise blood pressure.",
    ),
    (
        "procedure",
        "You'll rest in a reclining chair with headphones on.",
        "You'll feel better within hours of ketamine.",
    ),
    (
        "puffery",
        "Our compassionate team creates a safe space for healing.",
        "Ketamine is a safe treatment for depression in older adults.",
    ),
    ("anecdote", 'A client told us, "the fog lifted after one session."', "Ketamine lifts the fog of depression."),
    (
        "anecdote",
        "In our practice, most clients improve within a week.",
        "Most patients improve within a week of ketamine.",
    ),
]


@pytest.mark.parametrize(("reason", "no", "yes"), NOT_CLAIMS, ids=[f"{r}:{n[:24]}" for r, n, _ in NOT_CLAIMS])
def test_not_claim_family_both_directions(rules: Rules, reason: str, no: str, yes: str) -> None:
    got = reading(no, rules)
    assert (got["checkable"], got["reason"]) == (False, reason)
    assert reading(yes, rules)["checkable"]


def test_a_response_to_other_treatments_is_about_them(rules: Rules) -> None:
    assert not reading("Many people with depression do not respond to their first antidepressant.", rules)["checkable"]
    assert reading("Patients who have not responded to other treatments often improve with ketamine.", rules)[
        "checkable"
    ]


def test_a_condition_lead_phrase_does_not_make_other_drugs_the_page_s(rules: Rules) -> None:
    assert not reading("Like depression, medications for anxiety often take weeks to start working.", rules)[
        "checkable"
    ]


# ------------------------------------------------------------------ lists under a lead-in


def test_side_effect_list_items_are_claims(rules: Rules) -> None:
    page = LEAD + "Side effects can include:\n\n• Feeling spacey\n\n• Mild headache\n\n• A brief rise in heart rate"
    found = page_readings(page, rules)
    assert found["Side effects can include:"]["reason"] == "lead_in"
    for item in ("Feeling spacey", "Mild headache", "A brief rise in heart rate"):  # the last is not "truncated"
        assert found[item]["checkable"] and found[item]["kinds"] == ["safety"], item
    # Items under a lead-in that is not about harms stay what they are.
    page = LEAD + "Our services include:\n\n• Evening appointments\n\n• Free parking on site" + END
    found = page_readings(page, rules)
    assert not found["Evening appointments"]["checkable"] and not found["Free parking on site"]["checkable"]


def test_verb_first_bullets_are_claims(rules: Rules) -> None:
    found = page_readings(LEAD + "Benefits\n\n• Eases chronic pain\n\n• Evening hours" + END, rules)
    assert found["Eases chronic pain"]["checkable"]
    assert not found["Evening hours"]["checkable"]


# ------------------------------------------------------------------ strength

STRENGTH = [
    ("absolute", "Ketamine works for everyone with depression.", "Ketamine works for many people with depression."),
    ("intensified", "Serious reactions to ketamine are incredibly rare.", "Serious reactions to ketamine are rare."),
    ("attributed", "In clinical trials, ketamine eased depression.", "Ketamine eased depression."),
    ("intensified", "Ketamine brings lasting relief from pain.", "Ketamine helps people make lasting change."),
]


@pytest.mark.parametrize(("level", "yes", "no"), STRENGTH, ids=[f"{s[0]}:{s[1][:20]}" for s in STRENGTH])
def test_strength_families(rules: Rules, level: str, yes: str, no: str) -> None:
    assert asserted_strength(yes, rules).level == level
    assert asserted_strength(no, rules).level != level


def test_a_denied_cure_or_a_designation_is_not_a_strong_claim(rules: Rules) -> None:
    assert asserted_strength("Ketamine isn't a cure, but it can ease depression.", rules).level == "plain"
    assert asserted_strength("There is no cure, but ketamine can ease depression.", rules).level == "plain"
    assert asserted_strength("Ketamine cures depression.", rules).level == "absolute"
    assert asserted_strength("The FDA granted it breakthrough therapy designation.", rules).level == "plain"
    assert asserted_strength("Ketamine is a breakthrough for depression.", rules).level == "intensified"


# ------------------------------------------------------------------ blind-set families (issue 13)
# The failure families of the blind set's tune half, each pinned with sentences made up here.


def test_a_heading_that_asserts_is_a_claim_a_topic_heading_is_not(rules: Rules) -> None:
    got = reading("Ketamine Lifts Postpartum Depression", rules)
    assert got["checkable"] and got["kinds"] == ["efficacy"]
    assert reading("Esketamine Helps When Other Antidepressants Fail", rules)["checkable"]
    for topic in ("Ketamine Options for Postpartum Depression", "Ketamine and Postpartum Depression"):
        got = reading(topic, rules)
        assert (got["checkable"], got["reason"]) == (False, "heading"), topic


def test_sentences_leaning_on_the_page_for_the_drug(rules: Rules) -> None:
    got = reading("Most people sense the change instantly.", rules)
    assert got["checkable"] and "onset" in got["kinds"] and got["strength"]["level"] == "intensified"
    got = reading("It is the fastest-acting medicine for suicidal thoughts.", rules)
    assert got["checkable"] and "onset" in got["kinds"]
    assert not reading("The lights dim instantly.", rules)["checkable"]
    got = reading("Left untreated, the benefit usually fades after two or three weeks.", rules)
    assert got["checkable"] and got["kinds"] == ["duration"]
    assert not reading("The scent usually fades after two or three weeks.", rules)["checkable"]
    got = reading("The relief from one session can last anywhere from days to a month.", rules)
    assert got["kinds"] == ["duration"]


def test_a_bullet_label_is_not_the_subject(rules: Rules) -> None:
    page = (
        LEAD
        + "Conditions\n\n• Neuropathic pain: infusions may calm burning nerve pain.\n\n"
        + ("• Neuropathic pain: a condition characterised by burning nerve pain.")
        + END
    )
    found = page_readings(page, rules)
    assert found["Neuropathic pain: infusions may calm burning nerve pain."]["checkable"]
    assert not found["Neuropathic pain: a condition characterised by burning nerve pain."]["checkable"]
    got = reading("Fewer pills: many patients reduce or stop their painkillers.", rules)
    assert got["checkable"] and got["kinds"] == ["efficacy"]


def test_a_denied_harm_is_an_absolute_safety_claim(rules: Rules) -> None:
    for sentence in (
        "Ketamine does not cause withdrawal seizures.",
        "Ketamine cannot lead to lung failure at clinic doses.",
    ):
        got = reading(sentence, rules)
        assert got["checkable"] and got["kinds"] == ["safety"] and got["strength"]["level"] == "absolute", sentence
    assert not reading("Nobody knows what causes depression.", rules)["checkable"]
    # A population "without psychosis" is no harm; a comparison of effect is efficacy.
    got = reading("A trial found ketamine noninferior to ECT in adults without psychosis.", rules)
    assert got["kinds"] == ["efficacy"] and got["strength"]["level"] == "attributed"


def test_an_approval_beside_a_procedure_is_a_claim(rules: Rules) -> None:
    got = reading("Spravato is given as a nasal spray and is approved in Canada for depression.", rules)
    assert got["checkable"] and "regulatory" in got["kinds"]
    assert not reading("Spravato is given as a nasal spray in our office.", rules)["checkable"]


NOT_CLAIMS_BLIND = [
    # (reason, not a claim, a near sentence that is a claim)
    (
        "procedure",
        "Our trained nurses assess you by phone before the first visit.",
        "Ketamine eases anxiety before surgery.",
    ),
    (
        "procedure",
        "Each client is seen by a senior psychiatrist every month.",
        "Ketamine relieves depression every month.",
    ),
    ("procedure", "The programme includes three coaching calls and a workbook.", "Ketamine improves sleep in PTSD."),
    ("procedure", "Refills are mailed to your home each month.", "Ketamine calms cravings for alcohol."),
    (
        "booking",
        "This programme is only available in select provinces.",
        "Esketamine is approved in Canada for depression.",
    ),
    ("mechanism", "Ketamine quiets the default mode network.", "Ketamine quiets suicidal thoughts."),
    (
        "research_status",
        "Our team is participating in trials of ketamine for bulimia.",
        "Ketamine may ease anxiety in bulimia.",
    ),
    ("booking", "Take our 5-minute screening to see if you are eligible.", "Ketamine works within 5 minutes for pain."),
    ("booking", "Schedule a no-cost 15-minute call with our team.", "Ketamine eases pain for about 15 days."),
    ("booking", "Self-referrals are welcome at our Leeds clinic.", "Ketamine is licensed in the UK as an anaesthetic."),
    ("booking", "Gift vouchers for infusions available in store.", "Infusions of ketamine ease cluster headaches."),
    (
        "procedure",
        "Our practice is a registered REMS site for Spravato.",
        "Spravato is available only through a REMS program.",
    ),
    (
        "site",
        "These statements have not been reviewed by the Food and Drug Administration.",
        "Ketamine has not been approved by the FDA for depression.",
    ),
    (
        "recommendation",
        "Dispose of leftover troches at a DEA take-back site.",
        "Ketamine is a Schedule III drug under the DEA.",
    ),
    ("puffery", "Overcome your anxiety from the comfort of your sofa.", "Ketamine helps people overcome anxiety."),
    (
        "research_status",
        "Ketamine is also being tested for bulimia and binge eating.",
        "Ketamine may also help with bulimia and binge eating.",
    ),
]


@pytest.mark.parametrize(
    ("reason", "no", "yes"), NOT_CLAIMS_BLIND, ids=[f"{r}:{n[:24]}" for r, n, _ in NOT_CLAIMS_BLIND]
)
def test_blind_not_claim_families_both_directions(rules: Rules, reason: str, no: str, yes: str) -> None:
    got = reading(no, rules)
    assert (got["checkable"], got["reason"]) == (False, reason)
    assert reading(yes, rules)["checkable"]


BLIND_STRENGTH = [
    (
        "attributed",
        "A small Dutch study found that ketamine eased pain.",
        "A small Dutch clinic says ketamine eased pain.",
    ),
    ("attributed", "In a phase 3 trial, esketamine delayed relapse.", "In a phase 3 year, esketamine delayed relapse."),
    ("hedged", "Ketamine has potential to ease pain.", "Ketamine has potential for misuse."),
    (
        "intensified",
        "Ketamine brings significant relief from pain.",
        "About 60% of patients report significant relief.",
    ),
    ("intensified", "Relief comes instantly.", "Relief comes within a day."),
]


@pytest.mark.parametrize(("level", "yes", "no"), BLIND_STRENGTH, ids=[f"{s[0]}:{s[1][:20]}" for s in BLIND_STRENGTH])
def test_blind_strength_families(rules: Rules, level: str, yes: str, no: str) -> None:
    assert asserted_strength(yes, rules).level == level
    assert asserted_strength(no, rules).level != level


@pytest.mark.parametrize(
    ("sentence", "kinds"),
    [
        # A trial's outcome against its control arm is a result for the drug.
        ("In one trial, people with cocaine dependence given ketamine had more days without cocaine than"
         " those given midazolam.", ["efficacy"]),
        # A duration in words.
        ("The benefit of one ketamine session on drinking can last for nine months.", ["duration"]),
        # An effect said to end: "after one infusion" dates the end, it is no onset.
        ("Relief after a single infusion usually wears off within two to three weeks.", ["duration"]),
        # A claim about the drug given as the reason for the practice is checked.
        ("The improvement from one ketamine infusion fades within two weeks, which is why we offer a course"
         " of six.", ["duration"]),
    ],
)
def test_trial_results_durations_in_words_and_effects_that_end(rules: Rules, sentence: str, kinds: list[str]) -> None:
    got = reading(sentence, rules)
    assert got["checkable"], got
    assert got["kinds"] == kinds


@pytest.mark.parametrize(
    "sentence",
    [
        "Many people notice their mood lift after the first infusion.",
        "Depressive symptoms fade within a day of the first infusion.",
    ],
)
def test_relief_after_a_first_session_stays_an_onset_claim(rules: Rules, sentence: str) -> None:
    assert "onset" in reading(sentence, rules)["kinds"]


@pytest.mark.parametrize(
    "sentence",
    [
        # What patients receive is another treatment, named after the claim verb.
        "Roughly half of patients respond to a six-week course of TMS.",
        "Many people improve after a series of ECT treatments.",
        # An organisation providing a treatment to a group describes its service.
        "Harbour House provides ketamine-assisted therapy for veterans and first responders living with PTSD.",
    ],
)
def test_another_treatment_given_or_a_service_provided_is_no_claim(rules: Rules, sentence: str) -> None:
    assert not reading(sentence, rules)["checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Most patients respond within hours, unlike a course of antidepressants.",
        "Ketamine provides rapid relief for people with depression.",
    ],
)
def test_a_comparator_course_or_an_effect_provided_stays_a_claim(rules: Rules, sentence: str) -> None:
    assert reading(sentence, rules)["checkable"]
