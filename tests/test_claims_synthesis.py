"""Issue 13: verdicts from evidence profiles, GRADE certainty, rules from the data file.

Each rule of ``verdict_rules.toml`` and each failure mode the issue names (D, E, K, L, N) is
pinned by clear-cut cases in both directions, on small fixture records whose study profiles are
written here (the shape :func:`ketlit.evidence.profile.profile_to_dict` stores).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ketlit.claims.assertion import assertion_parts
from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.model import Claim, Dose, RegulatoryAssertion, Threshold
from ketlit.claims.policy import load_policy, packaged_policy
from ketlit.claims.rules import Rules
from ketlit.claims.text import Location
from ketlit.claims.verdict import Verdict, judge
from ketlit.errors import ConfigError
from tests.claims_pages import check_markdown

HERE = Location(0, 0, 0, 0)


def record(
    rid: str,
    *,
    n: int | None = 100,
    stance: str = "for",
    question: str = "efficacy_vs_control",
    indication: tuple[str, ...] = ("treatment_resistant_depression",),
    molecule: str = "racemic_ketamine",
    route: str = "intravenous",
    design: str = "rct",
    blinding: str = "double",
    comparator_kind: str = "active_placebo",
    certainty: str | None = None,
    year: int = 2020,
    group: str | None = None,
    main: bool = True,
    abstract: str = "",
    review_topic: str | None = None,
) -> EvidenceRecord:
    """A PubMed record with a stored profile whose one conclusion carries ``stance``."""
    direction, favours = {
        "for": ("decreased", "intervention"),
        "null": ("no_difference", "neither"),
        "against": ("increased", "comparator"),
    }[stance]
    clause = {
        "for": "Ketamine reduced depressive symptoms compared with placebo",
        "null": "Ketamine did not differ from placebo in depressive symptoms",
        "against": "Placebo was superior to ketamine",
    }[stance]
    finding: dict[str, Any] = {
        "s": 0,
        "clause": clause,
        "direction": direction,
        "favours": favours,
        "outcome": "depressive symptoms",
        "outcome_kind": "efficacy",
        "comparator": "placebo",
        "comparator_kind": "inert_placebo",
        "basis": "test",
    }
    if certainty:
        finding["certainty"] = certainty
    profile: dict[str, Any] = {
        "question": {"value": question, "rule": 0, "words": ""},
        "roles": ["conclusions"],
        "n": n,
        "blinding": blinding,
        "comparator_kind": comparator_kind,
        "findings": [finding],
        "readable": True,
        "relation": "main",
        "review": {"k": 5, "n": n, "certainty": certainty, "topic": review_topic}
        if question == "systematic_review"
        else None,
        "group": {"id": group or rid, "main": main},
    }
    return EvidenceRecord(
        source="pubmed",
        id=rid,
        title=f"Trial {rid}",
        # A review's certainty is "stated" only when its abstract speaks of the certainty of the evidence.
        abstract=(abstract or clause + ".")
        + (f" The certainty of the evidence was {certainty} (GRADE)." if certainty else ""),
        year=year,
        tags={
            "indication": indication,
            "molecule": (molecule,),
            "route": (route,),
            "design": (design,),
            "population": ("adults",),
        },
        profile=profile,
    )


def efficacy(text: str = "Ketamine infusions relieve treatment-resistant depression.", **kw: Any) -> Claim:
    return Claim(
        id="c1",
        text=text,
        kind="efficacy",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        **kw,
    )


def verdict_of(claim: Claim, records: list[EvidenceRecord], rules: Rules, **policy: Any) -> Verdict:
    pol = replace(packaged_policy(), **policy) if policy else packaged_policy()
    return judge(claim, InMemoryIndex(records, rules).candidates(claim), rules, policy=pol)


# ------------------------------------------------------------------ D: the supported bar


def test_two_adequate_rcts_support_but_two_small_ones_only_partly(rules: Rules) -> None:
    v = verdict_of(efficacy(), [record("1", n=80), record("2", n=90)], rules)
    assert v.verdict == "supported", v.reasons
    v = verdict_of(efficacy(), [record("1", n=20), record("2", n=24)], rules)
    assert v.verdict == "partly_supported", v.reasons


def test_a_larger_null_trial_blocks_support_and_a_powered_one_contradicts(rules: Rules) -> None:
    v = verdict_of(efficacy(), [record("1", n=60), record("2", n=70), record("3", n=90, stance="null")], rules)
    assert v.verdict == "partly_supported", v.reasons
    assert any("larger RCT (n = 90)" in r for r in v.reasons)
    v = verdict_of(efficacy(), [record("1", n=30), record("3", n=400, stance="null")], rules)
    assert v.verdict == "contradicted", v.reasons


def test_single_small_rct_and_uncontrolled_data_are_insufficient(rules: Rules) -> None:
    assert verdict_of(efficacy(), [record("1", n=20)], rules).verdict == "insufficient_evidence"
    series = [record(str(i), n=300, question="single_arm_open_label") for i in range(4)]
    v = verdict_of(efficacy(), series, rules)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_review_needs_moderate_certainty_unless_the_claim_is_hedged(rules: Rules) -> None:
    moderate = record("9", question="systematic_review", design="meta_analysis", certainty="moderate", n=900)
    v = verdict_of(efficacy(), [moderate], rules)
    assert v.verdict == "supported" and v.certainty == "moderate", v.reasons
    low = record("9", question="systematic_review", design="meta_analysis", certainty="low", n=900)
    assert verdict_of(efficacy(), [low], rules).verdict == "partly_supported"
    hedged = efficacy("Ketamine may relieve treatment-resistant depression.", hedged=True, strength="hedged")
    v = verdict_of(hedged, [low], rules)
    assert v.verdict == "supported" and v.certainty == "low", v.reasons


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("anaesthetic_or_adjunct", "anaesthetic or adjunct"),
        ("perioperative_prevention", "peri-operative prevention"),
        ("head_to_head", "another active treatment"),
        ("predictor_or_secondary", "who responds"),
    ],
)
def test_a_review_about_another_question_is_listed_not_counted(rules: Rules, topic: str, why: str) -> None:
    # A moderate-certainty review supports the claim on its own (the test above) -- unless its title says it is
    # about ketamine as an ECT anaesthetic, prevention around surgery, ketamine against ECT or who responds.
    review = record(
        "9", question="systematic_review", design="meta_analysis", certainty="moderate", n=900, review_topic=topic
    )
    v = verdict_of(efficacy(), [review], rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any(why in r for r in v.reasons), v.reasons
    general = record("9", question="systematic_review", design="meta_analysis", certainty="moderate", n=900)
    assert verdict_of(efficacy(), [general], rules).verdict == "supported"


def test_review_topics_not_counted_come_from_the_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    path.write_text('[questions.review_not_counted]\nhead_to_head = "compares treatments"\n', encoding="utf-8")
    assert load_policy(path).review_not_counted["head_to_head"] == "compares treatments"
    path.write_text('[questions.review_not_counted]\nbogus = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="bogus"):
        load_policy(path)


def test_intensified_wording_needs_high_certainty(rules: Rules) -> None:
    records = [record("1", n=80), record("2", n=90)]
    v = verdict_of(
        efficacy("Ketamine is very effective for treatment-resistant depression.", strength="intensified"),
        records,
        rules,
    )
    assert v.verdict == "partly_supported"
    assert any("intensified" in r for r in v.reasons)
    assert (
        verdict_of(efficacy("Ketamine treats treatment-resistant depression."), records, rules).verdict == "supported"
    )


def test_certainty_is_never_high_from_design_alone_and_is_inherited_from_a_review(rules: Rules) -> None:
    midazolam = "Ketamine reduced depressive symptoms compared with midazolam."
    big = [record(str(i), n=300, abstract=midazolam) for i in range(1, 5)]
    v = verdict_of(efficacy(), big, rules)
    assert v.verdict == "supported" and v.certainty == "moderate", (v.certainty, v.reasons)
    assert any("capped at moderate" in r for r in v.reasons)
    high = record("9", question="systematic_review", design="meta_analysis", certainty="high", n=900)
    v = verdict_of(efficacy(), [high], rules)
    assert v.certainty == "high" and any("as stated by the review 9" in r for r in v.reasons)


def test_grade_downgrades_are_footnoted(rules: Rules) -> None:
    open_label = [record(str(i), n=60, blinding="open", comparator_kind="usual_care") for i in range(1, 3)]
    v = verdict_of(efficacy(), open_label, rules)
    assert any(r.endswith("open-label") for r in v.reasons), v.reasons
    assert any("imprecision" in r for r in v.reasons)
    assert v.certainty == "low"
    blinded = [record(str(i), n=250) for i in range(1, 3)]
    v = verdict_of(efficacy(), blinded, rules)
    assert not any("open-label" in r or "imprecision" in r for r in v.reasons)


def test_publication_bias_from_silent_registered_trials(rules: Rules) -> None:
    trials = [record("1", n=80), record("2", n=90)]
    silent = [
        EvidenceRecord(
            source="ctgov",
            id=f"NCT0000000{i}",
            title="Ketamine for TRD",
            status="COMPLETED",
            tags={
                "indication": ("treatment_resistant_depression",),
                "design": ("rct",),
                "molecule": ("racemic_ketamine",),
            },
        )
        for i in range(3)
    ]
    v = verdict_of(efficacy(), trials + silent, rules)
    assert any(r.startswith("treatment_resistant_depression: publication bias: 3 of 3") for r in v.reasons), v.reasons
    v = verdict_of(efficacy(), trials, rules)
    assert not any("publication bias" in r for r in v.reasons)


def test_questions_that_do_not_answer_it_works_are_listed_not_counted(rules: Rules) -> None:
    others = [
        record("11", n=400, question="head_to_head"),
        record("12", n=400, question="mechanism_or_biomarker"),
        record("13", n=400, question="anaesthetic_or_adjunct"),
    ]
    v = verdict_of(efficacy(), others, rules)
    assert v.verdict == "insufficient_evidence"
    joined = " ".join(v.reasons)
    assert "head-to-head" in joined and "mechanism or biomarker" in joined and "anaesthetic" in joined


def test_one_vote_per_trial(rules: Rules) -> None:
    # Two reports of one trial (same group): one vote, so one adequate RCT is not two.
    same = [record("1", n=80, group="1"), record("2", n=80, group="1", main=False)]
    v = verdict_of(efficacy(), same, rules)
    assert v.verdict == "partly_supported", v.reasons
    assert any("same trial as 1" in r for r in v.reasons)
    apart = [record("1", n=80), record("2", n=80)]
    assert verdict_of(efficacy(), apart, rules).verdict == "supported"


def test_unreadable_studies_are_listed(rules: Rules) -> None:
    blank = record("5", n=300)
    assert blank.profile is not None
    blank = replace(
        blank, profile={**blank.profile, "findings": [], "readable": False, "unreadable_reason": "no abstract"}
    )
    v = verdict_of(efficacy(), [blank], rules)
    assert v.verdict == "insufficient_evidence"
    assert any("not readable: no abstract" in r for r in v.reasons)


# ------------------------------------------------------------------ reference standard


def test_reference_standard_pins_the_estimate_and_reports_newer_studies(rules: Rules) -> None:
    cochrane = record(
        "34510411",
        question="systematic_review",
        design="meta_analysis",
        certainty="moderate",
        indication=("depression",),
        year=2021,
    )
    newer = record("2", n=40, year=2023)
    claim = efficacy()
    on = verdict_of(claim, [cochrane, newer], rules)
    assert any("reference standard (cochrane2021_ketamine_placebo_24h)" in r for r in on.reasons), on.reasons
    assert any("published after the reference's search (2020-07)" in r and "2" in r for r in on.reasons)
    assert on.certainty == "very_low"  # the certainty the pinned entry states, not the profile's
    off = verdict_of(claim, [cochrane, newer], rules, use_reference=False)
    assert not any("reference standard" in r for r in off.reasons)


def test_policy_files_are_user_overridable(tmp_path: Path) -> None:
    user = tmp_path / "v.toml"
    user.write_text("[verdict]\nadequate_rct_n = 10\n", encoding="utf-8")
    policy = load_policy(user)
    assert policy.adequate_rct_n == 10
    assert any("at least 10 participants" in line for line in policy.legend_lines())
    bad = tmp_path / "bad.toml"
    bad.write_text("[verdict]\nreview_certainty = 'great'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="review_certainty"):
        load_policy(bad)
    assert load_policy(use_reference=False).entries() == ()


# ------------------------------------------------------------------ E: onset only with efficacy


def _onset(text: str, indication: str) -> Claim:
    return Claim(
        id="c2",
        text=text,
        kind="onset",
        location=HERE,
        indication=(indication,),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold("<=", 24.0, "hours"),
    )


def test_onset_is_judged_only_where_efficacy_is_established(rules: Rules) -> None:
    text = "Ketamine reduced depressive symptoms within 4 hours compared with placebo."
    trials = [record("1", n=80, abstract=f"RESULTS: {text}"), record("2", n=90, abstract=f"RESULTS: {text}")]
    v = verdict_of(
        _onset("Ketamine relieves depression within hours.", "treatment_resistant_depression"), trials, rules
    )
    assert v.verdict == "supported", v.reasons
    # One small OCD trial: efficacy is not established, so its onset is not judged.
    ocd = [replace(record("3", n=20, abstract=f"RESULTS: {text}"), tags={**trials[0].tags, "indication": ("ocd",)})]
    v = verdict_of(_onset("Ketamine relieves OCD within hours.", "ocd"), ocd, rules)
    assert v.verdict == "insufficient_evidence"
    assert any("not established" in r for r in v.reasons)


def test_onset_from_methods_sentences_does_not_count(rules: Rules) -> None:
    methods = "METHODS: Depressive symptoms were assessed at 4 hours after the infusion."
    trials = [record("1", n=80, abstract=methods), record("2", n=90, abstract=methods)]
    v = verdict_of(
        _onset("Ketamine relieves depression within hours.", "treatment_resistant_depression"), trials, rules
    )
    assert v.verdict == "insufficient_evidence", v.reasons


# ------------------------------------------------------------------ L and item 5: rates


def rate_record(
    rid: str,
    events: int,
    n: int,
    question: str = "efficacy_vs_control",
    *,
    hours: int = 24,
    route: str = "intravenous",
) -> EvidenceRecord:
    """A study reporting one drug-arm response rate at ``hours``."""
    rate = f"{100 * events / n:.1f}% ({events}/{n})"
    text = f"RESULTS: At {hours} hours, the response rate was {rate} in the ketamine group."
    return replace(record(rid, n=n, question=question, route=route), abstract=text)


def test_rates_pool_only_from_three_arms_and_the_source_of_a_number_is_named(rules: Rules) -> None:
    claim = Claim(
        id="c3",
        text="Over 70% of patients respond to ketamine infusions.",
        kind="efficacy_rate",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold(">", 70.0, "%"),
        outcome="response",
    )
    two = [rate_record("1", 17, 24, "single_arm_open_label"), rate_record("2", 30, 100)]
    v = verdict_of(claim, two, rules)
    assert v.verdict == "insufficient_evidence" and v.pooled is None
    assert any("only 2 comparable arm" in r for r in v.reasons)
    assert any("may come from: 1 (single arm open label, n = 24)" in r for r in v.reasons), v.reasons
    three = [*two, rate_record("3", 35, 100)]
    v = verdict_of(claim, three, rules)
    assert v.pooled is not None and v.pooled.k == 3
    assert v.verdict == "contradicted"


# ------------------------------------------------------------------ N: a dose test that can fail


def test_dose_is_compared_with_what_trials_of_that_route_typically_used(rules: Rules) -> None:
    trials = [
        replace(
            record(str(i), n=50), abstract=f"METHODS: Patients received intravenous ketamine {d} mg/kg over 40 minutes."
        )
        for i, d in enumerate((0.5, 0.5, 0.5, 0.5, 1.0), start=1)
    ]

    def dose(lo: float, hi: float) -> Claim:
        return Claim(
            id="c4",
            text="dose",
            kind="dosing",
            location=HERE,
            route=("intravenous",),
            molecule=("racemic_ketamine",),
            dose=Dose(lo, hi, "mg/kg"),
        )

    assert verdict_of(dose(0.5, 0.5), trials, rules).verdict == "supported"
    v = verdict_of(dose(2.0, 4.0), trials, rules)
    assert v.verdict == "contradicted", v.reasons
    assert verdict_of(dose(0.5, 0.5), trials[:2], rules).verdict == "insufficient_evidence"


# ------------------------------------------------------------------ K: regulatory


def _reg(text: str, topics: tuple[str, ...], jurisdiction: tuple[str, ...] = (), **kw: Any) -> Claim:
    return Claim(
        id="c5",
        text=text,
        kind="regulatory",
        location=HERE,
        molecule=("racemic_ketamine",),
        regulatory=RegulatoryAssertion(topics=topics, **kw),
        jurisdiction=jurisdiction,
    )


def test_jurisdiction_is_honoured(rules: Rules) -> None:
    def reg(text: str, schedule: str) -> Claim:
        # The jurisdiction as the extractor reads it from the sentence.
        named = assertion_parts(text, rules, kind="regulatory").jurisdiction
        return _reg(text, ("schedule",), schedule=schedule, jurisdiction=named)

    # A country the file has no facts for is not judged, never by another country's rules.
    nz = verdict_of(reg("In New Zealand ketamine is a Class C drug.", "Class C"), [], rules)
    assert nz.verdict == "insufficient_evidence" and any("NZ" in r for r in nz.reasons), nz.reasons
    # The UK's own class decides a UK sentence (the US schedule never does).
    uk = verdict_of(reg("In the UK ketamine is a Class B drug.", "Class B"), [], rules)
    assert uk.verdict == "supported" and {e.id for e in uk.evidence} == {"uk_ketamine_class_b"}, uk.reasons
    assert verdict_of(reg("In the UK ketamine is a Class A drug.", "Class A"), [], rules).verdict == "contradicted"
    assert verdict_of(reg("Ketamine is a Schedule III drug in the US.", "III"), [], rules).verdict == "supported"
    assert verdict_of(reg("Ketamine is a Schedule III drug.", "III"), [], rules).verdict == "supported"  # default
    assert verdict_of(reg("Ketamine is a Schedule I drug in the US.", "I"), [], rules).verdict == "contradicted"


def test_legal_is_not_the_off_label_fact_unless_the_sentence_says_so(rules: Rules) -> None:
    plain = verdict_of(_reg("Ketamine is legal.", ("legal",)), [], rules)
    assert not any("off-label" in r for r in plain.reasons) and any("Schedule" in r for r in plain.reasons)
    off = verdict_of(_reg("Doctors can legally prescribe ketamine off-label.", ("legal",)), [], rules)
    assert any("off-label prescribing" in r for r in off.reasons)


def test_label_limitation_contradicts_an_efficacy_claim(rules: Rules) -> None:
    claim = Claim(
        id="c6",
        text="Spravato reduces suicidal thoughts.",
        kind="efficacy",
        location=HERE,
        indication=("suicidal_ideation",),
        route=("intranasal",),
        molecule=("esketamine",),
    )
    v = verdict_of(claim, [], rules)
    assert v.verdict == "contradicted" and v.certainty == "high"
    assert "spravato_suicidality_limitation" in {e.id for e in v.evidence}
    iv = replace(
        claim, text="IV ketamine reduces suicidal thoughts.", route=("intravenous",), molecule=("racemic_ketamine",)
    )
    assert verdict_of(iv, [], rules).verdict != "contradicted"


# ------------------------------------------------------------------ legend


def test_legend_is_printed_verbatim_in_markdown_and_json(rules: Rules) -> None:
    report = check_page("Ketamine is a Schedule III controlled substance.\n", "p.txt", InMemoryIndex([], rules), rules)
    legend = packaged_policy().legend_lines()
    assert list(report_to_json(report)["legend"]) == legend
    assert json.loads(json.dumps(report_to_json(report)))["legend"][0].startswith("supported: a regulator approved")
    # The Markdown keeps to about a screen per five claims (issue 14): its key names the needs-attention
    # rules (each verdict's symbol is printed beside its word) and points to the full rules, which the JSON
    # carries verbatim.
    md = check_markdown(report, rules)
    assert "A claim needs attention when contradicted, overstated" in md and "(rules: --format json)" in md


def test_a_sentence_naming_an_unread_condition_is_not_judged_by_the_pages_conditions(rules: Rules) -> None:
    trials = [record("1", n=80), record("2", n=90)]
    note = "indication treatment_resistant_depression inferred from the page's most frequent conditions"
    tinnitus = efficacy("Ketamine is effective for tinnitus.", notes=(note,))
    v = verdict_of(tinnitus, trials, rules)
    assert v.verdict == "insufficient_evidence" and not v.evidence
    works = efficacy("Ketamine works for many patients.", notes=(note,))
    assert verdict_of(works, trials, rules).verdict == "supported"


def test_imprecision_says_when_participants_are_not_reported(rules: Rules) -> None:
    """A study whose abstract gives no n is not "about 0 participants" (it read as an empty study)."""
    unknown = [record(str(i), n=None) for i in range(1, 3)]
    v = verdict_of(efficacy(), unknown, rules)
    notes = [r for r in v.reasons if "imprecision" in r]
    assert notes and all("participants not reported" in r and "about 0" not in r for r in notes), v.reasons
    mixed = [record("1", n=40), record("2", n=None)]
    v = verdict_of(efficacy(), mixed, rules)
    assert any("about 40 participants in the 1 that report n" in r for r in v.reasons), v.reasons


def test_a_sentence_denying_a_shown_benefit_is_judged_turned_round(rules: Rules) -> None:
    # "Has not been shown to prevent suicide" says what the label limitation says: supported, not
    # contradicted by it. A denial of an established benefit is contradicted.
    report = check_page("Esketamine nasal spray has not been shown to reduce suicidal thoughts.\n", "p.txt",
                        InMemoryIndex([], rules), rules)
    (claim,) = [c for c in report.claims if c.claim.checkable]
    assert claim.claim.denied and claim.verdict.verdict == "supported"
    assert {d.stance for d in claim.verdict.decisive} == {"for"}
    plain = check_page("Esketamine nasal spray reduces suicidal thoughts.\n", "p.txt", InMemoryIndex([], rules), rules)
    (positive,) = [c for c in plain.claims if c.claim.checkable]
    assert not positive.claim.denied and positive.verdict.verdict == "contradicted"
    approved = check_page("Esketamine nasal spray has not been shown to treat treatment-resistant depression.\n",
                          "p.txt", InMemoryIndex([], rules), rules)
    (denial,) = [c for c in approved.claims if c.claim.checkable]
    assert denial.verdict.verdict == "contradicted"


def test_a_reported_null_is_not_a_claim_that_the_drug_works(rules: Rules) -> None:
    """'A large trial found no benefit of …' reports a null result: two small positive trials neither
    bear it out nor refute it (insufficient, not partly supported as if it said the drug works); a
    powered null trial bears it out."""
    text = "A large trial found no benefit of adding ketamine infusions for treatment-resistant depression.\n"
    small = [record("1", n=20), record("2", n=24)]
    report = check_page(text, "p.txt", InMemoryIndex(small, rules), rules)
    (claim,) = [c for c in report.claims if c.claim.checkable]
    assert claim.claim.kind == "efficacy" and claim.claim.denied
    assert claim.verdict.verdict == "insufficient_evidence", claim.verdict.reasons
    null = [record("3", n=400, stance="null"), record("4", n=300, stance="null")]
    report = check_page(text, "p.txt", InMemoryIndex(null, rules), rules)
    (claim,) = [c for c in report.claims if c.claim.checkable]
    assert claim.verdict.verdict == "supported", claim.verdict.reasons


def test_a_promised_faculty_or_burnout_is_not_judged_as_the_pages_depression(rules: Rules) -> None:
    """'Sharpens focus and memory', 'boosts creativity' and 'the fastest way to reverse burnout' on a
    depression page are claims (not 'no wording ketlit can test'), but their target is no condition
    of the vocabulary: insufficient evidence, never the depression trials' verdict, for efficacy and
    onset alike. The page's depression sentence keeps its verdict from the same trials."""
    page = (
        "Ketamine for Treatment-Resistant Depression\n\n"
        "Ketamine infusions relieve treatment-resistant depression.\n\n"
        "Low-dose ketamine sharpens focus, memory and creativity.\n\n"
        "Ketamine also boosts creativity, focus and overall wellbeing.\n\n"
        "Ketamine is the fastest way to reverse burnout, often in a single session.\n\n"
        "A single ketamine infusion typically helps for about a week.\n\n"
        "Ketamine works for nearly everyone within 24 hours.\n"
    )
    trials = [record("1", n=80), record("2", n=90)]
    report = check_page(page, "p.txt", InMemoryIndex(trials, rules), rules)
    checked = {c.claim.text: c for c in report.claims if c.claim.checkable}
    assert checked["Ketamine infusions relieve treatment-resistant depression."].verdict.verdict == "supported"
    # "Helps for about a week" is a time, not a target of its own: judged for the page's depression.
    week = checked["A single ketamine infusion typically helps for about a week."]
    assert week.claim.kind == "duration"
    assert not any("names its own condition" in r for r in week.verdict.reasons), week.verdict.reasons
    # "Works for nearly everyone within 24 hours" names no target of its own ("everyone" is who, not what).
    hours = checked["Ketamine works for nearly everyone within 24 hours."]
    assert not any("names its own condition" in r for r in hours.verdict.reasons), hours.verdict.reasons
    promised = [c for text, c in checked.items() if not any(w in text for w in ("depression", "week", "24 hours"))]
    assert {c.claim.kind for c in promised} == {"efficacy", "onset"}, [(c.claim.text, c.claim.kind) for c in promised]
    assert len({c.claim.text for c in promised}) == 3
    for c in promised:
        assert c.verdict.verdict == "insufficient_evidence", (c.claim.text, c.verdict.reasons)
        assert any("names its own condition" in r for r in c.verdict.reasons), c.verdict.reasons


def test_how_long_one_dose_helps_is_judged_on_single_dose_studies(rules: Rules) -> None:
    """'A single infusion helps for about a week' is not contradicted by series of infusions whose
    benefit, counted from the last of them, lasted months; a claim about a series, or one whose
    clause names a series too, is judged on every study."""
    single = "RESULTS: The antidepressant effect of the single infusion remained significant for 7 days."
    series = "RESULTS: After six infusions, the antidepressant effect remained significant for 3 months."
    records = [record("1", n=80, abstract=single), record("2", n=90, abstract=single)] + [
        record(str(i), n=60, abstract=series) for i in (3, 4, 5)
    ]

    def duration(text: str) -> Verdict:
        claim = replace(efficacy(text), kind="duration", clause=text, threshold=Threshold("~", 7.0, "days"))
        return verdict_of(claim, records, rules)

    one = duration("A single ketamine infusion typically helps for about a week.")
    assert one.verdict == "supported", one.reasons
    assert any("3 stud(ies) timing the benefit of repeated doses set aside" in r for r in one.reasons), one.reasons
    for text in ("Ketamine infusions typically help for about a week.",
                 "One infusion series typically helps for about a week.",
                 "A single infusion or a series of six infusions helps for about a week."):
        v = duration(text)
        assert v.verdict == "partly_supported" and not any("set aside" in r for r in v.reasons), (text, v.reasons)


def test_about_a_week_is_not_borne_out_by_a_benefit_seen_for_two_hours(rules: Rules) -> None:
    """A report that the benefit lasted at least two hours stops well short of "about a week": it is
    not decisive, where it used to count for the claim; a report of about a week still does."""
    hours = "RESULTS: The antidepressant effect of the infusion remained significant for 2 hours."
    week = "RESULTS: The antidepressant effect of the infusion remained significant for 7 days."
    claim = replace(
        efficacy("Ketamine infusions help for about a week."),
        kind="duration",
        clause="Ketamine infusions help for about a week.",
        threshold=Threshold("~", 7.0, "days"),
    )
    short = verdict_of(claim, [record("1", n=80, abstract=hours), record("2", n=90, abstract=hours)], rules)
    assert short.verdict != "supported" and any("0 stud(ies) for" in r for r in short.reasons), short.reasons
    held = verdict_of(claim, [record("1", n=80, abstract=week), record("2", n=90, abstract=week)], rules)
    assert held.verdict == "supported", held.reasons


def test_a_dose_ranging_trial_with_a_control_arm_counts_on_its_findings_against_that_arm(rules: Rules) -> None:
    """Stop 50: a dose-ranging or dosing-frequency trial with a placebo or active-placebo arm (Fava 2020, Singh 2016)
    tests the drug against that arm as well as dose against dose, so it counts as controlled evidence, on its findings
    against the control alone. Without a control arm every arm received the drug: listed, not counted."""

    def dosing(rid: str, comparator_kind: str, finding_kind: str | None) -> EvidenceRecord:
        r = record(rid, n=90, question="dose_or_schedule", comparator_kind=comparator_kind)
        assert r.profile is not None
        r.profile["findings"][0]["comparator_kind"] = finding_kind
        return r

    controlled = [dosing("1", "active_placebo", "active_placebo"), dosing("2", "inert_placebo", "inert_placebo")]
    v = verdict_of(efficacy(), controlled, rules)
    assert v.verdict == "supported", v.reasons
    # Dose against dose only: nothing to count, and the reason says why.
    doses = [dosing("1", "active_treatment", None), dosing("2", "unspecified", None)]
    v = verdict_of(efficacy(), doses, rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("every arm received the drug" in r for r in v.reasons), v.reasons
    # A control arm, but the finding read compares two doses: not an answer to "does it work".
    v = verdict_of(efficacy(), [dosing("1", "inert_placebo", None), dosing("2", "inert_placebo", None)], rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    # The packaged rules name the question; a user file can set it aside again.
    assert packaged_policy().counts_with_control_arm == ("dose_or_schedule",)
    v = verdict_of(efficacy(), controlled, rules, counts_with_control_arm=())
    assert v.verdict == "insufficient_evidence", v.reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "Research also shows that patients who are treated in a calm, familiar environment have better outcomes.",
        "A soothing setting deepens the benefits of ketamine.",
        "Combining your infusions with our integrative talking therapy helps the benefits last far longer.",
    ],
)
def test_a_claim_about_the_setting_or_added_therapy_is_judged_on_studies_of_it(rules: Rules, sentence: str) -> None:
    """Stop 50: on a depression page with trials that meet the supported bar, a claim that the room or an added
    therapy improves the outcome is not the trials' verdict: only studies of the setting (or the combination) bear on
    it, and there are none here. A plain claim on the same page keeps its verdict."""
    page = (
        "Ketamine for Treatment-Resistant Depression\n\n"
        "Ketamine infusions relieve treatment-resistant depression.\n\n"
        f"{sentence}\n"
    )
    trials = [record("1", n=80), record("2", n=90)]
    report = check_page(page, "p.txt", InMemoryIndex(trials, rules), rules)
    checked = {c.claim.text: c for c in report.claims if c.claim.checkable}
    assert checked["Ketamine infusions relieve treatment-resistant depression."].verdict.verdict == "supported"
    (claim,) = [c for text, c in checked.items() if text.startswith(sentence[:30])]
    assert claim.verdict.verdict == "insufficient_evidence", claim.verdict.reasons
    assert any("only studies of" in r for r in claim.verdict.reasons), claim.verdict.reasons
