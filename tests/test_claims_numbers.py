"""Numbers read from abstracts and from CT.gov posted results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketlit.claims.numbers import (
    abstract_findings,
    classify_arm,
    ctgov_rates,
    find_times,
    format_dose,
    parse_count,
    rates_in_sentence,
)
from ketlit.claims.rules import Rules

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize(
    ("sentence", "construct", "events", "n", "pct", "hours"),
    [
        ("The response rate was 52.3% (23/44) at 24 hours.", "response", 23, 44, 52.27, 24.0),
        ("Remission was achieved in 12 of 30 patients at week 4.", "remission", 12, 30, 40.0, 672.0),
        ("Responders: 64% (n = 50).", "response", 32, 50, 64.0, None),
        ("At day 7, 18/40 (45%) participants met response criteria.", "response", 18, 40, 45.0, 168.0),
    ],
)
def test_rates(
    rules: Rules, sentence: str, construct: str, events: int, n: int, pct: float, hours: float | None
) -> None:
    found = rates_in_sentence(sentence, rules)
    assert len(found) == 1, found
    r = found[0]
    assert (r.construct, r.events, r.n, round(r.pct, 2), r.timepoint_hours, r.arm) == (
        construct,
        events,
        n,
        pct,
        hours,
        "active",
    )
    assert r.poolable


def test_arms_are_attributed(rules: Rules) -> None:
    found = rates_in_sentence(
        "The response rate was 52% (26/50) in the ketamine group and 18% (9/50) in the placebo group.", rules
    )
    assert [(r.events, r.arm) for r in found] == [(26, "active"), (9, "comparator")]
    found = rates_in_sentence("Response rates were higher with ketamine (55%) than with saline (20%).", rules)
    assert [(r.pct, r.arm) for r in found] == [(55.0, "active"), (20.0, "comparator")]


@pytest.mark.parametrize(
    "sentence",
    [
        "Response was defined as a ≥50% reduction in MADRS score.",
        "Response was defined as at least 50% improvement.",
        "The mean reduction in MADRS was 85% (12%) after the sixth infusion.",
        "Pooled response odds ratio 3.1 (95% CI 2.0-4.5).",
    ],
)
def test_not_rates(rules: Rules, sentence: str) -> None:
    assert not [r for r in rates_in_sentence(sentence, rules) if r.poolable]


@pytest.mark.parametrize(
    "sentence",
    [
        "Response at study end was strongly predicted by response at 4 hours (94% sensitive, 71% specific).",
        "Early improvement predicted response with 80% sensitivity and 65% specificity.",
    ],
)
def test_diagnostic_accuracy_is_not_a_response_rate(rules: Rules, sentence: str) -> None:
    # Not even as a single-arm rate whose n is inferred later from the abstract.
    assert rates_in_sentence(sentence, rules) == []


def test_review_ranges_are_kept_but_never_pooled(rules: Rules) -> None:
    found = rates_in_sentence("Response rates have ranged from 25% to 85% at 24 hours postinfusion.", rules)
    assert found and all(r.range and not r.poolable for r in found)


def test_single_arm_denominator_is_inferred_and_flagged(rules: Rules) -> None:
    abstract = (
        "METHODS: We gave open-label IV ketamine to 10 medication-free patients with TRD.\n"
        "RESULTS: The response criterion was met by nine patients after the first infusion."
    )
    rates = abstract_findings("Repeated-dose ketamine", abstract, rules).rates
    assert [(r.events, r.n, r.n_inferred) for r in rates] == [(9, 10, True)]


def test_times_adverse_direction(rules: Rules) -> None:
    abstract = (
        "RESULTS: Antidepressant effects were evident within 2 hours. "
        "Among responders, median time to relapse was 18 days. "
        "Dissociative symptoms were transient and resolved within 1 hour. Two patients developed ketamine dependence.\n"
        "CONCLUSIONS: Ketamine was superior to placebo."
    )
    f = abstract_findings("t", abstract, rules)
    assert [(t.kind, t.hours, t.bound) for t in f.times] == [("onset", 2.0, "about"), ("duration", 432.0, "at_most")]
    cats = {(a.category, a.transient) for a in f.adverse}
    assert ("dissociation", True) in cats and ("addiction", False) in cats
    assert f.direction == "positive"
    null = abstract_findings("t", "CONCLUSIONS: Ketamine did not differ significantly from placebo.", rules)
    assert null.direction == "null"


@pytest.mark.parametrize(
    "text",
    [
        "Twenty inpatients with alcohol dependence received ketamine infusions.",
        "These results suggest that ketamine may facilitate abstinence across multiple substances of abuse.",
        "We studied a low-dose bolus of ketamine for sedation of opioid abuse patients undergoing lithotripsy.",
    ],
)
def test_treated_condition_is_not_an_adverse_event(rules: Rules, text: str) -> None:
    f = abstract_findings("t", text, rules)
    assert not [a for a in f.adverse if a.category == "addiction"]


def test_the_drugs_own_abuse_potential_is_an_adverse_finding(rules: Rules) -> None:
    f = abstract_findings("t", "Patients and physicians should be conscious of the abuse potential of ketamine.", rules)
    assert [a for a in f.adverse if a.category == "addiction"]


def test_ctgov_results(rules: Rules) -> None:
    records = json.loads((FIXTURES / "claims_records.json").read_text())["records"]
    trial = next(r for r in records if r["id"] == "NCT90000003")
    rates = ctgov_rates(trial["results"], rules)
    assert [(r.construct, r.events, r.n, r.arm, r.timepoint_hours, r.origin) for r in rates] == [
        ("response", 36, 60, "active", 24.0, "ctgov"),
        ("response", 17, 60, "comparator", 24.0, "ctgov"),
    ]


def test_ctgov_percentages_categories_and_json_strings(rules: Rules) -> None:
    row = {
        "title": "Percentage of Participants in Remission",
        "time_frame": "Day 28",
        "unit": "percentage of participants",
        "param_type": "NUMBER",
        "groups": json.dumps(
            [{"id": "OG000", "title": "Esketamine + Oral AD"}, {"id": "OG001", "title": "Placebo + Oral AD"}]
        ),
        "denoms": json.dumps(
            {
                "overall": [
                    {
                        "units": "Participants",
                        "counts": [{"group_id": "OG000", "value": "100"}, {"group_id": "OG001", "value": "98"}],
                    }
                ],
                "classes": [],
            }
        ),
        "measurements": json.dumps(
            [
                {"class_title": None, "category_title": "Yes", "group_id": "OG000", "value": "36.0"},
                {"class_title": None, "category_title": "No", "group_id": "OG000", "value": "64.0"},
                {"class_title": None, "category_title": "Yes", "group_id": "OG001", "value": "20.4"},
            ]
        ),
    }
    rates = ctgov_rates([row], rules)
    assert [(r.construct, r.events, r.n, r.arm, r.timepoint_hours) for r in rates] == [
        ("remission", 36, 100, "active", 672.0),
        ("remission", 20, 98, "comparator", 672.0),
    ]


@pytest.mark.parametrize(
    ("text", "arm"),
    [
        ("Ketamine", "active"),
        ("Saline placebo", "comparator"),
        ("Esketamine + placebo tablet", "active"),
        ("Placebo then ketamine", "unknown"),
    ],
)
def test_classify_arm(rules: Rules, text: str, arm: str) -> None:
    assert classify_arm(text, rules) == arm


def test_format_dose() -> None:
    assert format_dose(0.15, 0.15, "mg/kg") == "0.15 mg/kg"  # a single dose, not "0.15–0.15"
    assert format_dose(0.5, 1.0, "mg/kg") == "0.5–1 mg/kg"


def test_times_and_counts() -> None:
    assert [t.hours for t in find_times("at 24 hours, day 7, a few days, about an hour, in the 1960s and then")] == [
        24.0,
        168.0,
        72.0,
        1.0,
    ]
    assert parse_count("twenty-three") == 23 and parse_count("nine") == 9 and parse_count("x") is None
    # "a second" is the ordinal in an abstract ("a second induction"), not one second; "30 seconds" is a time.
    assert [t.hours for t in find_times("after a second induction and a second infusion, within 30 seconds")] == [
        30 / 3600
    ]


def test_patterns_quick_rejection_changes_no_answer() -> None:
    """search / finditer first ask the combined alternation whether anything matches; the answers
    must be those of trying every pattern (overlaps, ties and no-match alike)."""
    import re

    from ketlit.claims.rules import Patterns

    pats = Patterns(tuple(re.compile(p, re.IGNORECASE) for p in (r"\bdepress\w*", r"major depressive", r"\bmdd\b")))
    for text in ("Major depressive disorder (MDD) and depression.", "No match here.", "", "mdd MDD Mdd"):
        every = sorted((m for rx in pats.regexes for m in rx.finditer(text)), key=lambda m: (m.start(), -m.end()))
        assert [m.span() for m in pats.finditer(text)] == [m.span() for m in every]
        first = min(every, key=lambda m: (m.start(), -m.end()), default=None)
        found = pats.search(text)
        assert (found.span() if found else None) == (first.span() if first else None)
    assert Patterns().search("anything") is None and Patterns().finditer("anything") == []


def test_an_event_a_study_says_did_not_occur_is_absent(rules: Rules) -> None:
    # "did not induce cognitive impairment" reports the absence of the event, not the event.
    from ketlit.claims.numbers import abstract_findings

    said = "In this trial, therapeutic ketamine did not induce cognitive impairment in patients."
    (event,) = [a for a in abstract_findings("t", said, rules).adverse if a.category == "cognition"]
    assert event.absent
    (event,) = [a for a in abstract_findings("t", said.replace("did not induce", "induced"), rules).adverse
                if a.category == "cognition"]
    assert not event.absent


@pytest.mark.parametrize(
    ("absent", "present"),
    [
        ("No participant experienced dissociation after the infusion.",
         "Most participants experienced dissociation after the infusion."),
        ("Hallucinations did not occur in either group.", "Hallucinations occurred in both groups."),
        ("There were zero cases of cystitis over two years.", "There were four cases of cystitis over two years."),
    ],
)
def test_no_one_having_the_event_is_its_absence(rules: Rules, absent: str, present: str) -> None:
    from ketlit.claims.numbers import abstract_findings

    for text, expected in ((absent, True), (present, False)):
        events = abstract_findings("t", f"RESULTS: Ketamine was given to 40 patients. {text}", rules).adverse
        assert events and all(e.absent == expected for e in events), (text, events)


@pytest.mark.parametrize(
    "sentence",
    [
        # Another clause reports the harm, or the negation is a relative clause's: the harm was reported.
        "Hypertension did not occur in any patient, but 12 had dissociation.",
        "No one had to discontinue, although nausea occurred in 20%.",
        "No participant reported improvement; all experienced dissociation.",
        "Patients who did not develop dissociation had a poorer antidepressant response.",
        "Dissociation resolved within 40 minutes and did not recur.",
    ],
)
def test_an_absence_cue_does_not_reach_past_its_clause(rules: Rules, sentence: str) -> None:
    from ketlit.claims.numbers import abstract_findings

    events = abstract_findings("t", f"RESULTS: Ketamine was given to 40 patients. {sentence}", rules).adverse
    assert any(e.category in ("dissociation", "nausea") and not e.absent for e in events), events


def test_rates_from_x_to_y_percent_are_a_range(rules: Rules) -> None:
    # "rates from 40 to 95%" spans the studies' rates, as "ranged from" does: not a review's figure.
    found = rates_in_sentence(
        "Across trials, oral esketamine gave remission rates from 40 to 95% after several doses.", rules, summary=True
    )
    assert found and all(r.range for r in found)


def test_a_rate_falling_from_x_to_y_is_no_range(rules: Rules) -> None:
    found = rates_in_sentence("Remission rates rose from 20% at baseline to 45% at week 4 with ketamine.", rules)
    assert not any(r.range for r in found)
