"""Issue 13: the records that decided a verdict (``decisive``) and where its certainty comes from
(``certainty_source``), and the selection rules that keep the wrong records from deciding.

Fixture records and their study profiles are built by :func:`tests.test_claims_synthesis.record`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ketlit.claims.check import CheckedClaim, _sentence_decisive, check_page, report_to_json
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.judging import Decisive, Verdict
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.policy import packaged_policy
from ketlit.claims.rates import patient_rate
from ketlit.claims.rules import Rules
from ketlit.claims.synthesis import stance_of
from tests.claims_pages import check_markdown
from tests.conftest import repo_module
from tests.test_claims_synthesis import HERE, efficacy, record, verdict_of

ROOT = Path(__file__).resolve().parents[1]


def _review(
    rid: str, clause: str, *, n: int = 900, certainty: str | None = None, basis: str = "test"
) -> EvidenceRecord:
    r = record(rid, question="systematic_review", design="meta_analysis", n=n, certainty=certainty)
    assert r.profile is not None
    finding = {**r.profile["findings"][0], "clause": clause, "basis": basis}
    stated = f" The certainty of the evidence was {certainty} (GRADE)." if certainty else ""
    return replace(r, abstract=clause + "." + stated, profile={**r.profile, "findings": [finding]})


# ------------------------------------------------------------------ what decided


def test_trials_that_made_the_bar_decide_and_grade_is_the_certainty_source(rules: Rules) -> None:
    records = [record("1", n=80), record("2", n=90), record("3", n=20)]
    v = verdict_of(efficacy(), records, rules)
    assert v.verdict == "supported"
    assert [(d.id, d.role, d.stance) for d in v.decisive] == [("2", "trial", "for"), ("1", "trial", "for")]
    assert "3" not in {d.id for d in v.decisive}  # the small trial is listed, not decisive
    assert all(d.sentence.startswith("Ketamine reduced") for d in v.decisive)
    assert v.certainty_source is not None and v.certainty_source.startswith("GRADE from trials: ")
    assert v.certainty_source == "GRADE from trials: risk of bias, imprecision"  # the downgrades, named


def test_the_review_whose_estimate_was_used_decides_and_states_the_certainty(rules: Rules) -> None:
    review = _review("9", "Ketamine reduced depressive symptoms compared with placebo", certainty="high")
    v = verdict_of(efficacy(), [review, record("1", n=30)], rules)
    assert v.verdict == "supported" and v.certainty == "high"
    assert [(d.id, d.role, d.stance) for d in v.decisive] == [("9", "review", "for")]
    assert v.certainty_source == "review pubmed:9 states high"
    unstated = _review("9", "Ketamine reduced depressive symptoms compared with placebo")
    v = verdict_of(efficacy(), [unstated], rules)
    assert v.certainty_source is not None and v.certainty_source.startswith("assumed: review pubmed:9")


def test_a_larger_null_trial_is_decisive_against(rules: Rules) -> None:
    v = verdict_of(efficacy(), [record("1", n=30), record("3", n=400, stance="null")], rules)
    assert v.verdict == "contradicted"
    assert (v.decisive[0].id, v.decisive[0].stance) == ("3", "against")


def test_a_regulator_fact_decides_and_is_the_certainty_source(rules: Rules) -> None:
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
    assert [(d.source, d.role, d.stance) for d in v.decisive] == [("regulatory", "regulator", "against")]
    assert v.certainty_source == f"regulatory:{v.decisive[0].id}"


def test_nothing_decides_insufficient_evidence_without_trials(rules: Rules) -> None:
    series = [record(str(i), n=300, question="single_arm_open_label") for i in range(3)]
    v = verdict_of(efficacy(), series, rules)
    assert v.verdict == "insufficient_evidence" and v.decisive == ()


# ------------------------------------------------------------------ selection


def test_a_haemodynamic_finding_gives_a_review_no_efficacy_stance(rules: Rules) -> None:
    policy = packaged_policy()
    bp = _review("7", "significant increases in hemodynamic parameters that are transient in nature")
    assert bp.profile is not None
    assert stance_of(bp.profile, ["racemic_ketamine"], rules, review=True, policy=policy)[0] == "unread"
    symptoms = _review("7", "significant reduction in depressive symptoms compared with placebo")
    assert symptoms.profile is not None
    assert stance_of(symptoms.profile, ["racemic_ketamine"], rules, review=True, policy=policy)[0] == "for"
    # Through the verdict: the haemodynamic review no longer makes one small trial "partly supported".
    assert verdict_of(efficacy(), [bp, record("1", n=15)], rules).verdict == "insufficient_evidence"
    assert verdict_of(efficacy(), [symptoms, record("1", n=15)], rules).verdict != "insufficient_evidence"


def test_a_review_whose_direction_is_only_a_model_guess_never_outranks_a_read_one(rules: Rules) -> None:
    clause = "Ketamine reduced depressive symptoms compared with placebo"
    guessed = _review("8", clause, n=1000, basis="model: decreased (p 0.65) where no rule read a direction")
    read = _review("9", clause, n=200)
    hedged = efficacy("Ketamine may relieve treatment-resistant depression.", hedged=True, strength="hedged")
    v = verdict_of(hedged, [guessed, read], rules)
    assert v.decisive[0].id == "9", v.decisive
    v = verdict_of(hedged, [guessed, replace(read, profile={**(read.profile or {}), "findings": []})], rules)
    assert v.decisive[0].id == "8"  # a guess still answers when it is the only review


def _onset_claim() -> Claim:
    return Claim(
        id="c2",
        text="Ketamine relieves depression within hours.",
        kind="onset",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold("<=", 24.0, "hours"),
    )


def test_a_biomarker_sentence_never_gives_an_onset(rules: Rules) -> None:
    biomarker = "RESULTS: Plasma IL-6 levels were significantly lower in the ketamine group within 4 hours."
    trials = [record("1", n=80, abstract=biomarker), record("2", n=90, abstract=biomarker)]
    v = verdict_of(_onset_claim(), trials, rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    symptom = "RESULTS: Ketamine reduced depressive symptoms within 4 hours compared with placebo."
    trials = [record("1", n=80, abstract=symptom), record("2", n=90, abstract=symptom)]
    v = verdict_of(_onset_claim(), trials, rules)
    assert v.verdict == "supported", v.reasons
    assert {d.id for d in v.decisive} == {"1", "2"} and all("4 h" in d.number for d in v.decisive)


def test_background_rates_and_shares_of_studies_are_not_patient_rates(rules: Rules) -> None:
    from ketlit.claims.judging import assess

    claim = Claim(
        id="c3",
        text="70% of patients respond.",
        kind="efficacy_rate",
        location=HERE,
        indication=("treatment_resistant_depression",),
        threshold=Threshold("=", 70.0, "%"),
        outcome="response",
    )

    def rates(abstract: str) -> list[Any]:
        r = replace(_review("5", "Ketamine reduced depressive symptoms"), abstract=abstract)
        a = assess(claim, r, rules)
        return [(x.pct, patient_rate(a, x)) for x in a.findings.rates]

    assert rates("RESULTS: The pooled response rate to ketamine was 45% at 24 hours.") == [(45.0, True)]
    background = rates("BACKGROUND: Nearly 30% of patients with depression respond to ketamine. METHODS: We searched.")
    assert background and not any(ok for _, ok in background)
    studies = rates("RESULTS: Results from the vast majority of studies (88.8%) showed a response to ketamine.")
    assert studies and not any(ok for _, ok in studies)


@pytest.mark.parametrize(("op", "trial_pct", "verdict"), [
    # A review's typical 52% against a page's 70%: partly where a single trial reports 70% ("at the top of
    # trial results", as the expert keys it), contradicted where no trial comes near it.
    ("~", 70, "partly_supported"), ("<=", 70, "partly_supported"),
    ("~", 40, "contradicted"), ("<=", 40, "contradicted"),
])
def test_a_figure_the_best_trial_reaches_is_partly_not_contradicted(
    rules: Rules, op: str, trial_pct: int, verdict: str
) -> None:
    claim = Claim(id="c4", text="70% of patients respond.", kind="efficacy_rate", location=HERE,
                  indication=("treatment_resistant_depression",), threshold=Threshold(op, 70.0, "%"),
                  outcome="response")
    review = replace(_review("5", "Ketamine reduced depressive symptoms"),
                     abstract="RESULTS: The pooled response rate to ketamine was 52% at 24 hours.")
    trial = record("1", n=40, abstract=f"RESULTS: The response rate was {trial_pct}% with ketamine and 20% with "
                                       "placebo at 24 hours.")
    v = verdict_of(claim, [review, trial], rules)
    assert v.verdict == verdict, v.reasons
    assert any("a review reports response 52.0%" in r for r in v.reasons), v.reasons


# ------------------------------------------------------------------ output


def test_json_and_markdown_carry_the_decisive_records(rules: Rules) -> None:
    records = [record("1", n=80), record("2", n=90)]
    page = "Ketamine infusions relieve treatment-resistant depression.\n"
    report = check_page(page, "p.txt", InMemoryIndex(records, rules), rules)
    claim = next(c for c in report_to_json(report)["claims"] if c["checkable"])
    assert claim["decisive"] and {d["id"] for d in claim["decisive"]} == {"1", "2"}
    assert set(claim["decisive"][0]) >= {"source", "id", "role", "stance", "number", "sentence"}
    assert claim["certainty_source"].startswith("GRADE from trials")
    md = check_markdown(report, rules)
    # The card lists the deciding records with their stance, and where the certainty comes from.
    # (Each record is linked at its first mention: PMID 2 in the summary table, PMID 1 on the card.)
    assert "- for · PMID 2 · RCT, n = 90" in md
    assert "- for · [PMID 1](https://pubmed.ncbi.nlm.nih.gov/1/) · RCT, n = 80" in md
    assert "Certainty: GRADE from trials" in md


def test_a_reconciled_sentence_names_every_parts_deciding_records() -> None:
    def part(kind: str, verdict: str, certainty: str, ids: list[str], source: str) -> CheckedClaim:
        c = Claim(id=kind, text="t", kind=kind, location=HERE)
        ds = tuple(Decisive("pubmed", i, "trial", "for", "", "s") for i in ids)
        return CheckedClaim(c, Verdict(verdict, certainty, (), decisive=ds, certainty_source=source))

    parts = [
        part("onset", "insufficient_evidence", "very_low", [], "none"),
        part("efficacy", "supported", "moderate", ["1", "2", "3"], "GRADE from trials: capped"),
        part("duration", "partly_supported", "low", ["4"], "GRADE from studies reporting the time: imprecision"),
    ]
    decisive, source = _sentence_decisive(parts, "very_low")
    assert [d.id for d in decisive] == ["1", "4", "2", "3"]  # every part named before a second record
    assert source == "none"
    assert _sentence_decisive(parts, "low")[1].startswith("GRADE from studies reporting the time")


def _bench() -> ModuleType:
    return repo_module("bench/claims_accuracy.py")


def test_bench_flags_a_high_not_stated_by_a_regulator_or_review() -> None:
    b = _bench()
    high: dict[str, Any] = {"certainty": "high"}
    for ok in (
        "regulatory:dea_schedule_iii",
        "review pubmed:123 states high",
        "reference standard x (pubmed:1) states high",
    ):
        assert b.unfounded_high([{**high, "certainty_source": ok}]) == []
    for bad in ("GRADE from trials: no downgrade", "assumed: review pubmed:1 states no certainty; taken as high", None):
        assert b.unfounded_high([{**high, "certainty_source": bad}]) != []
    claim = {
        "decisive": [
            {
                "source": "pubmed",
                "id": "1",
                "role": "trial",
                "stance": "for",
                "number": "n = 80",
                "sentence": "Ketamine reduced symptoms.",
            }
        ],
        "evidence": [{"source": "pubmed", "id": "9"}],
    }
    assert [d["id"] for d in b.decisive(claim)] == ["1"]  # never the first cited when the engine names one
    assert "pubmed:1 (trial, for n = 80)" in b.decisive_line(b.decisive(claim)[0])


# ------------------------------------------------------------------ rules added with the decisive records


def test_a_hedged_claim_on_one_small_positive_trial_is_partly_supported(rules: Rules) -> None:
    hedged = efficacy("Ketamine is a promising treatment for treatment-resistant depression.", strength="hedged")
    v = verdict_of(hedged, [record("1", n=15)], rules)
    assert v.verdict == "partly_supported" and [d.id for d in v.decisive] == ["1"], v.reasons
    assert verdict_of(efficacy(), [record("1", n=15)], rules).verdict == "insufficient_evidence"  # plain claim
    against = [record("1", n=15), record("2", n=20, stance="null")]
    assert verdict_of(hedged, against, rules).verdict == "insufficient_evidence"  # a trial against it


def _up_to(value: float) -> Claim:
    return Claim(
        id="c9",
        text=f"Up to {value:g}% of patients respond.",
        kind="efficacy_rate",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold("<=", value, "%"),
        outcome="response",
    )


def _arm(rid: str, pct: int, question: str = "efficacy_vs_control", design: str = "rct") -> EvidenceRecord:
    text = f"RESULTS: The response rate was {pct}% in the ketamine group."
    r = record(rid, n=40, question=question, design=design)
    return replace(r, abstract=text)


def test_up_to_a_rate_is_partly_supported_when_a_trial_reaches_it_and_contradicted_when_none_comes_near(
    rules: Rules,
) -> None:
    v = verdict_of(_up_to(70), [_arm("1", 71), _arm("2", 68), _arm("3", 40)], rules)
    assert v.verdict == "partly_supported", v.reasons
    assert [d.id for d in v.decisive] == ["1", "2"] and "71" in v.decisive[0].number
    # One trial reaching it is not enough (and a single-arm series never is).
    assert verdict_of(_up_to(70), [_arm("1", 71), _arm("3", 40)], rules).verdict == "insufficient_evidence"
    series = [_arm(str(i), pct, "single_arm_open_label", "non_randomized_trial") for i, pct in enumerate((30, 35, 40))]
    v = verdict_of(_up_to(70), series, rules)
    assert v.verdict == "contradicted", v.reasons
    # Below the pooling rule and nothing reaching it with too few reports: no verdict either way.
    assert verdict_of(_up_to(70), series[:2], rules).verdict == "insufficient_evidence"
    # "70–80% of patients" reads as at least 70%: the same test.
    at_least = replace(_up_to(70), threshold=Threshold(">=", 70.0, "%"))
    assert verdict_of(at_least, [_arm("1", 71), _arm("2", 68)], rules).verdict == "partly_supported"
    assert verdict_of(at_least, series, rules).verdict == "contradicted"


def test_a_review_finding_about_experiences_is_no_efficacy_answer(rules: Rules) -> None:
    policy = packaged_policy()
    experiences = _review(
        "6", "increased connectedness, transcendental experiences, and an expanded emotional spectrum"
    )
    assert experiences.profile is not None
    assert stance_of(experiences.profile, ["racemic_ketamine"], rules, review=True, policy=policy)[0] == "unread"
    pain = _review("6", "There is a statistically significant pain reduction by adding ketamine")
    assert pain.profile is not None
    assert stance_of(pain.profile, ["racemic_ketamine"], rules, review=True, policy=policy)[0] == "for"


def test_a_time_in_a_sentence_finding_no_difference_counts_against_onset(rules: Rules) -> None:
    def trial(rid: str, clause: str, direction: str, favours: str) -> EvidenceRecord:
        r = record(rid, n=80, abstract=f"RESULTS: {clause}.")
        assert r.profile is not None
        extra = {**r.profile["findings"][0], "clause": clause, "direction": direction, "favours": favours}
        return replace(r, profile={**r.profile, "findings": [*r.profile["findings"], extra]})

    # The time reader takes "by 4 hours" as an effect; the profile reads the sentence as no difference.
    null = "Depressive symptoms were reduced by 4 hours in both groups, with no significant interaction effect"
    trials = [trial("1", null, "no_difference", "neither"), trial("2", null, "no_difference", "neither")]
    v = verdict_of(_onset_claim(), trials, rules)
    assert v.verdict == "contradicted" and all(d.stance == "against" for d in v.decisive), v.reasons
    better = "Ketamine reduced depressive symptoms within 4 hours compared with placebo"
    trials = [trial("1", better, "decreased", "intervention"), trial("2", better, "decreased", "intervention")]
    assert verdict_of(_onset_claim(), trials, rules).verdict == "supported"


def test_high_quality_studies_is_no_stated_certainty(rules: Rules) -> None:
    clause = "Ketamine reduced depressive symptoms compared with placebo"
    quality = replace(
        _review("9", clause, certainty="high"), abstract=f"Nine high-quality studies were included. {clause}."
    )
    v = verdict_of(efficacy(), [quality], rules)
    assert v.certainty != "high" and v.certainty_source is not None
    assert v.certainty_source.startswith("assumed:"), v.certainty_source
    graded = replace(quality, abstract=f"{clause}. The certainty of the evidence was high (GRADE).")
    v = verdict_of(efficacy(), [graded], rules)
    assert v.certainty == "high" and v.certainty_source == "review pubmed:9 states high"


def test_an_onset_part_whose_efficacy_is_not_established_names_no_decisive_record(rules: Rules) -> None:
    text = "RESULTS: Ketamine reduced depressive symptoms within 4 hours compared with placebo."
    small = replace(record("3", n=20, abstract=text), tags={**record("3").tags, "indication": ("ocd",)})
    claim = replace(_onset_claim(), text="Ketamine relieves OCD within hours.", indication=("ocd",))
    v = verdict_of(claim, [small], rules)
    assert v.verdict == "insufficient_evidence" and v.decisive == (), v.decisive
    trials = [record("1", n=80, abstract=text), record("2", n=90, abstract=text)]
    assert {d.id for d in verdict_of(_onset_claim(), trials, rules).decisive} == {"1", "2"}


def test_a_hedged_sentence_naming_no_condition_is_judged_by_its_best_evidenced_one(rules: Rules) -> None:
    text = "RESULTS: Ketamine reduced depressive symptoms within 4 hours compared with placebo."
    trials = [record("1", n=80, abstract=text), record("2", n=90, abstract=text)]
    read_from_page = ("indication treatment_resistant_depression, ocd taken from the preceding sentences",)
    claim = replace(
        _onset_claim(),
        text="Effects may be felt within hours.",
        indication=("treatment_resistant_depression", "ocd"),
        strength="hedged",
        notes=read_from_page,
    )
    v = verdict_of(claim, trials, rules)
    assert v.verdict == "supported", v.reasons
    assert any("names no condition" in r for r in v.reasons)
    # The sentence names its conditions, or asserts them plainly: every condition must hold.
    assert verdict_of(replace(claim, notes=()), trials, rules).verdict == "partly_supported"
    assert verdict_of(replace(claim, strength="plain"), trials, rules).verdict == "partly_supported"


def test_the_sentence_quoted_for_a_trial_names_the_drug(rules: Rules) -> None:
    r = record("1", n=80)
    assert r.profile is not None
    placebo = {**r.profile["findings"][0], "clause": "The pain relief of the placebo group rose from 58% to 60%"}
    drug = r.profile["findings"][0]
    profile = {**r.profile, "findings": [placebo, drug]}
    stance, finding, _ = stance_of(profile, ["racemic_ketamine"], rules, review=False, policy=packaged_policy())
    assert stance == "for" and finding is not None and finding["clause"] == drug["clause"]
