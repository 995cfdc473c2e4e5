"""General causes found on the ``fresh2`` batch of the generalisation set, one family per fix.

Every sentence here is made up for the test (none is in the set or on a sample page), with the
near miss that must stay as it was next to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketlit.claims.assertion import asserted_strength
from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.rules import Rules

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"
END = "\n\nKetamine is given at the clinic."


def reading(sentence: str, rules: Rules) -> dict[str, Any]:
    report = report_to_json(check_page(LEAD + sentence + END, "t.txt", InMemoryIndex([], rules), rules))
    kinds: dict[int, list[str]] = {}
    for c in report["claims"]:
        if c["checkable"]:
            kinds.setdefault(c["sentence"]["start"], []).append(c["kind"])
    found = {s["text"]: {**s, "kinds": kinds.get(s["start"], [])} for s in report["sentences"]}
    assert sentence in found, sorted(found)
    return found[sentence]


# ------------------------------------------------------------------ staying well is a duration


@pytest.mark.parametrize(
    "sentence",
    [
        "After three infusions, most clients remain symptom-free for several months.",
        "Patients who respond usually stay well for about a month.",
        "The typical patient stayed in remission for three weeks before relapsing.",
        "Many people remain pain-free for a full year after the series.",
    ],
)
def test_staying_well_for_a_time_is_a_duration_claim(rules: Rules, sentence: str) -> None:
    got = reading(sentence, rules)
    assert got["checkable"], got
    assert "duration" in got["kinds"], got["kinds"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is well tolerated by most patients for several hours.",
        "Stay well hydrated for a day before your infusion.",
    ],
)
def test_well_without_staying_well_is_no_duration(rules: Rules, sentence: str) -> None:
    assert "duration" not in reading(sentence, rules)["kinds"]


def claims_of(sentence: str, rules: Rules) -> list[dict[str, Any]]:
    page = LEAD + sentence + END
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    start = page.index(sentence)
    return [c for c in report["claims"] if c["checkable"] and c["sentence"]["start"] == start]


def threshold(sentence: str, kind: str, rules: Rules) -> tuple[str, float, str] | None:
    got = [c for c in claims_of(sentence, rules) if c["kind"] == kind]
    assert got, claims_of(sentence, rules)
    t = got[0]["threshold"]
    return None if t is None else (t["op"], t["value"], t["unit"])


# ------------------------------------------------------------------ how long, read as a bound


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        # "a full year", "an entire month": the word between the count and the unit is no obstacle.
        ("Most clients stay symptom-free for a full year after their first series.", (">=", 365.0, "days")),
        ("The relief of one session can last for an entire week.", (">=", 7.0, "days")),
        # An effect said to end within a time lasts at most that long.
        ("The improvement from one infusion usually fades within ten days.", ("<=", 10.0, "days")),
        ("Relief from one session usually wears off within two to three weeks.", ("<=", 21.0, "days")),
        # Unchanged: a plain duration is a lower bound.
        ("The benefit of one session can last for nine weeks.", (">=", 63.0, "days")),
    ],
)
def test_duration_bounds(rules: Rules, sentence: str, want: tuple[str, float, str]) -> None:
    assert threshold(sentence, "duration", rules) == want


# ------------------------------------------------------------------ a study named by year, sponsor or acronym

ATTRIBUTED = [
    (
        "In a 2019 Canadian trial of 40 adults, ketamine eased pain.",
        "In a 2019 interview, our founder said ketamine eased pain.",
    ),
    ("In the KARMA-2 study, esketamine delayed relapse.", "In the KARMA-2 clinic, esketamine delayed relapse."),
    ("Ketamine also eased anxiety in that trial.", "Ketamine also eased anxiety in that patient."),
    (
        "Trials of ketamine for bipolar depression in older adults have found quicker relief.",
        "Patients of ours with bipolar depression in older age have found quicker relief.",
    ),
]


@pytest.mark.parametrize(("yes", "no"), ATTRIBUTED, ids=[y[:30] for y, _ in ATTRIBUTED])
def test_a_named_study_attributes_the_claim(rules: Rules, yes: str, no: str) -> None:
    assert asserted_strength(yes, rules).level == "attributed"
    assert asserted_strength(no, rules).level != "attributed"


# ------------------------------------------------------------------ a claim, then the practice it explains


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Dizziness is common after an infusion, and we offer a quiet room to rest afterwards.", "safety"),
        ("Esketamine can be misused, which is why I only prescribe it for use in the office.", "safety"),
        ("Ketamine can be misused, which is why I never send doses home with patients.", "safety"),
        ("Relief often fades within a few weeks, and we offer booster sessions for that reason.", "duration"),
    ],
)
def test_a_claim_followed_by_the_practice_it_explains_is_checked(rules: Rules, sentence: str, kind: str) -> None:
    got = reading(sentence, rules)
    assert got["checkable"], got
    assert kind in got["kinds"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Our clinic is in central Denver, and we offer free parking for every visit.",
        "I was nervous before my first ketamine session, which is why I brought my sister.",
    ],
)
def test_practice_and_testimony_joined_to_practice_stay_unchecked(rules: Rules, sentence: str) -> None:
    assert not reading(sentence, rules)["checkable"]


# ------------------------------------------------------------------ licences of people, press-release boilerplate

NOT_CLAIMS = [
    ("Our nurses are licensed in four provinces.", "Ketamine is licensed in the UK as an anaesthetic."),
    (
        "This announcement includes forward-looking statements about our plans and their risks.",
        "Ketamine carries risks such as raised blood pressure.",
    ),
    (
        "BOSTON, 2 May 2025 — Northstar Health today announced the launch of a ketamine clinic for adults with PTSD.",
        "The FDA announced the approval of esketamine for depression in 2019.",
    ),
]


@pytest.mark.parametrize(("no", "yes"), NOT_CLAIMS, ids=[n[:30] for n, _ in NOT_CLAIMS])
def test_licences_of_people_and_press_boilerplate_are_not_claims(rules: Rules, no: str, yes: str) -> None:
    assert not reading(no, rules)["checkable"]
    assert reading(yes, rules)["checkable"]


# ------------------------------------------------------------------ regulatory denials, FDA warnings


def regulatory_verdict(sentence: str, rules: Rules) -> str:
    got = [c for c in claims_of(sentence, rules) if c["kind"] == "regulatory"]
    assert got, claims_of(sentence, rules)
    return str(got[0]["verdict"])


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # A denial by "no … product is approved" is a denial, as "is not approved" is.
        ("No oral or sublingual ketamine product is FDA-approved for depression.", "supported"),
        ("Oral ketamine is FDA-approved for depression.", "contradicted"),
        # The FDA's warning about compounded products is on file: a page reporting it is borne out.
        ("The FDA has warned patients about compounded ketamine products used at home.", "supported"),
    ],
)
def test_regulatory_denials_and_warnings(rules: Rules, sentence: str, verdict: str) -> None:
    assert regulatory_verdict(sentence, rules) == verdict


def test_compounded_ketamine_called_approved_is_not_borne_out(rules: Rules) -> None:
    assert regulatory_verdict("Compounded ketamine is FDA-approved for depression.", rules) != "supported"


# ------------------------------------------------------------------ the page's route is not its comparator


def test_a_route_named_as_the_comparator_is_not_the_pages_route(rules: Rules) -> None:
    from ketlit.claims.context import page_context

    page = (
        "At-home ketamine lozenges\n\nOur sublingual ketamine is prescribed online.\n\n"
        "Cost: $99 vs. $500 at an IV clinic.\n\nTime to feel better: within hours, just like IV.\n\n"
        "Effectiveness: as effective as IV ketamine.\n\nSide effects: milder than IV infusions.\n\n"
        "Ketamine lozenges are taken under the tongue."
    )
    assert page_context(page, rules).route == "sublingual"
    iv = (
        "IV ketamine infusions\n\nOur IV ketamine is given in the clinic.\n\n"
        "Infusions work faster than oral antidepressants.\n\nEach infusion lasts 40 minutes."
    )
    assert page_context(iv, rules).route == "intravenous"


def test_a_claim_whose_only_route_is_its_comparator_takes_the_pages_route(rules: Rules) -> None:
    page = (
        "Sublingual ketamine at home\n\nOur sublingual ketamine lozenges are prescribed online.\n\n"
        "Ketamine lozenges dissolve under the tongue.\n\nRelief comes within hours, just like IV.\n\n"
        "Oral ketamine works as well as IV ketamine for depression.\n\n"
        "Effectiveness: as effective as IV ketamine in published studies."
    )
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    routes = {c["text"]: c["route"] for c in report["claims"] if c["checkable"]}
    assert routes["Relief comes within hours, just like IV."] == ["sublingual"]
    # A route of its own, compared with another: both are read, as before.
    assert set(routes["Oral ketamine works as well as IV ketamine for depression."]) == {"oral", "intravenous"}
    # Compared with a route and naming none of its own: the page's route against the one compared with.
    both = routes["Effectiveness: as effective as IV ketamine in published studies."]
    assert set(both) == {"sublingual", "intravenous"}


def test_a_comparison_with_a_route_on_a_page_of_another_route_is_a_comparison_of_routes(rules: Rules) -> None:
    page = (
        "Sublingual ketamine at home\n\nOur sublingual ketamine lozenges are prescribed online.\n\n"
        "Ketamine lozenges dissolve under the tongue.\n\n"
        "Effectiveness for depression: as effective as IV ketamine in published studies."
    )
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    claim = next(c for c in report["claims"] if c["checkable"] and c["text"].startswith("Effectiveness"))
    assert "a comparison of routes, sublingual against intravenous" in claim["as_tested"]
    assert claim["verdict"] == "insufficient_evidence"


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The label says preventing suicide is not shown: an approval claimed for it is contradicted.
        ("Spravato is FDA-approved to prevent suicide.", "contradicted"),
        ("Esketamine nasal spray is approved by the FDA to reduce suicidal thoughts.", "contradicted"),
        # The approval for depressive symptoms in people with suicidal thoughts stands.
        (
            "Spravato is FDA-approved for depressive symptoms in adults with major depressive disorder with acute"
            " suicidal ideation or behavior.",
            "supported",
        ),
    ],
)
def test_an_approval_claimed_for_what_the_label_says_is_not_shown(rules: Rules, sentence: str, verdict: str) -> None:
    assert regulatory_verdict(sentence, rules) == verdict


def test_a_form_given_by_one_route_keeps_it_on_a_page_of_another_route(rules: Rules) -> None:
    page = (
        "IV ketamine infusions\n\nOur IV ketamine infusions are given in the clinic.\n\n"
        "Each infusion lasts forty minutes.\n\n"
        "In one trial, people who kept taking esketamine were less likely to relapse than those given placebo.\n\n"
        "Infusions relieve depression within hours."
    )
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    routes = {c["text"][:20]: c["route"] for c in report["claims"] if c["checkable"] and c["kind"] == "efficacy"}
    assert routes["In one trial, people"] == ["intranasal"]
    assert routes["Infusions relieve de"] == ["intravenous"]


def test_under_a_heading_naming_no_condition_the_title_says_what_the_page_is_about(rules: Rules) -> None:
    page = (
        "What the research says about ketamine for PTSD\n\nAbout the studies\n\n"
        "Many people with PTSD also live with depression, and depression often returns.\n\n"
        "Keeping the benefit\n\n"
        "Repeated ketamine infusions helped most patients stay well in a recent trial."
    )
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    claim = next(c for c in report["claims"] if c["checkable"] and c["text"].startswith("Repeated"))
    assert claim["indication"] == ["ptsd"], claim["indication"]


# ------------------------------------------------------------------ safety: praise of the record


def safety_of(sentence: str, rules: Rules) -> dict[str, Any]:
    got = [c for c in claims_of(sentence, rules) if c["kind"] == "safety"]
    assert got, claims_of(sentence, rules)
    return dict(got[0]["safety"])


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        # Praise of the drug's safety record claims its risks are small.
        ("Ketamine has an excellent safety record in hospitals.", "minimising"),
        ("Esketamine has a well-established safety profile.", "minimising"),
    ],
)
def test_praise_of_the_safety_record_minimises_the_risk(rules: Rules, sentence: str, stance: str) -> None:
    assert safety_of(sentence, rules)["stance"] == stance


def test_a_harm_asserted_is_not_minimising(rules: Rules) -> None:
    assert safety_of("Ketamine can raise blood pressure during the infusion.", rules)["stance"] != "minimising"


# ------------------------------------------------------------------ a rate the page gives for one trial


def _fixture_index(rules: Rules) -> InMemoryIndex:
    import json
    from pathlib import Path

    from ketlit.claims.evidence import records_from_dicts

    path = Path(__file__).resolve().parent / "fixtures" / "claims_records.json"
    return InMemoryIndex(records_from_dicts(json.loads(path.read_text())["records"]), rules)


def _rate_verdict(sentence: str, rules: Rules) -> tuple[str, list[str]]:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    claim = next(c for c in extract_claims(page, rules) if c.kind == "efficacy_rate")
    v = judge(claim, _fixture_index(rules).candidates(claim), rules)
    return v.verdict, list(v.reasons)


def test_a_rate_the_page_gives_for_one_trial_is_checked_against_that_trial(rules: Rules) -> None:
    verdict, reasons = _rate_verdict(
        "In a 2019 trial of 100 adults with treatment-resistant depression, 60% responded to one ketamine infusion.",
        rules,
    )
    assert verdict == "supported", reasons
    assert any("the page reports one trial: 90000001" in r for r in reasons), reasons


@pytest.mark.parametrize(
    "sentence",
    [
        # The figure is not the trial's.
        "In a 2019 trial of 100 adults with treatment-resistant depression, 85% responded to one ketamine infusion.",
        # No trial named: a typical rate, judged by the pool as before.
        "Around 60% of patients with treatment-resistant depression respond to ketamine infusions.",
    ],
)
def test_a_rate_not_matching_one_named_trial_takes_the_usual_path(rules: Rules, sentence: str) -> None:
    _, reasons = _rate_verdict(sentence, rules)
    assert not any("the page reports one trial" in r for r in reasons), reasons


def test_a_percentage_in_words_is_a_rate(rules: Rules) -> None:
    from ketlit.claims.numbers import rates_in_sentence

    found = rates_in_sentence(
        "Sixty-seven percent of participants in the ketamine group were responders, compared with 20% in the "
        "midazolam group.",
        rules,
    )
    assert [(r.pct, r.arm) for r in found] == [(67.0, "active"), (20.0, "comparator")]


@pytest.mark.parametrize(
    "sentence",
    [
        "Side effects of ketamine lozenges are milder than with IV infusions.",
        "Ketamine causes fewer side effects than most antidepressants.",
    ],
)
def test_side_effects_compared_are_a_comparative_safety_claim(rules: Rules, sentence: str) -> None:
    assert safety_of(sentence, rules)["stance"] == "comparative"


def test_an_effect_without_a_harm_denies_the_harm(rules: Rules) -> None:
    got = safety_of("In bipolar depression, infusions can lift mood without causing mania.", rules)
    assert got["stance"] == "denial" and "mania" in got["topics"], got


def _safety_verdict(sentence: str, rules: Rules) -> str:
    got = [c for c in claims_of(sentence, rules) if c["kind"] == "safety"]
    assert got, claims_of(sentence, rules)
    return str(got[0]["verdict"])


def test_a_risk_studies_observed_to_be_rare_is_not_contradicted_by_the_schedule(rules: Rules) -> None:
    # What supervised trials observed, reported as such: short of the risk, not its opposite.
    assert _safety_verdict("In clinical trials, addiction has been rare at the doses used for depression.", rules) == (
        "partly_supported"
    )
    # A risk called minimal outright is still the opposite of what the regulator found.
    assert _safety_verdict("At low doses, the addiction risk of ketamine is minimal.", rules) == "contradicted"


def _verdicts(sentence: str, rules: Rules) -> dict[str, tuple[str, list[str]]]:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import judge

    page = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n" + sentence
    index = _fixture_index(rules)
    out = {}
    for c in extract_claims(page, rules):
        if c.checkable and sentence[:20] in c.text:
            v = judge(c, index.candidates(c), rules)
            out[c.kind] = (v.verdict, list(v.reasons))
    return out


def test_the_drug_combined_against_the_drug_alone_is_a_claim_about_the_combination(rules: Rules) -> None:
    got = _verdicts("Ketamine combined with psychotherapy relieves depression better than ketamine alone.", rules)
    assert got and all(v == "insufficient_evidence" for v, _ in got.values()), got
    assert any("combined with psychotherapy" in r for _, rs in got.values() for r in rs), got


def test_an_add_on_against_the_other_treatment_alone_is_not_that_claim(rules: Rules) -> None:
    got = _verdicts("Ketamine plus an antidepressant relieves depression better than an antidepressant alone.", rules)
    assert not any("against each alone" in r or "combined with" in r for _, rs in got.values() for r in rs), got


# ------------------------------------------------------------------ certainty: a body of a few dozen participants


@pytest.mark.parametrize(("sizes", "certainty"), [((12, 18), "low"), ((150, 180), "moderate")])
def test_a_body_of_a_few_dozen_participants_loses_two_levels(
    rules: Rules, sizes: tuple[int, ...], certainty: str
) -> None:
    from ketlit.claims.evidence import EvidenceRecord
    from ketlit.claims.grade import StudyFacts, grade_body
    from ketlit.claims.judging import Assessed
    from ketlit.claims.numbers import Findings
    from ketlit.claims.policy import packaged_policy

    studies = [
        StudyFacts(
            Assessed(EvidenceRecord("pubmed", f"9{i}", "A randomised trial"), "rct", 5, Findings()),
            controlled=True,
            n=n,
            blinding="double",
            comparator_kind="active",
        )
        for i, n in enumerate(sizes)
    ]
    got, notes = grade_body(studies, rules, packaged_policy())
    assert got == certainty, notes
