"""Safety verdicts (issue 13; issue 12 item 6): stored adverse-event rows, facts about the claim's
own subject, "safe" for an approved use, and comparisons that need a comparison. Each rule is
pinned both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex, records_from_dicts
from ketlit.claims.extract import extract_claims
from ketlit.claims.judging import assess
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules, load_rules
from ketlit.claims.safety_verdict import facts_about, harm_reports, judge_safety
from ketlit.claims.text import Location
from ketlit.claims.verdict import Verdict, judge
from ketlit.store.core import open_store
from ketlit.store.evidence import StoreEvidenceIndex
from ketlit.store.profiles import ProfileRow
from tests.claims_pages import IV_PAGE, NEUTRAL_PAGE, SPRAVATO_PAGE, check_kind, cited


def check(sentence: str, index: InMemoryIndex, rules: Rules, page: str = NEUTRAL_PAGE) -> tuple[Claim, Verdict]:
    return check_kind(sentence, "safety", index, rules, page)


def _claim(**kw: object) -> Claim:
    base: dict[str, object] = {"id": "c1", "text": "x", "kind": "safety", "location": Location(0, 1, 1, 1)}
    base.update(kw)
    return Claim(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ facts about the claim's subject


def test_the_compounding_warning_applies_only_to_compounded_or_its_routes(rules: Rules) -> None:
    def ids(c: Claim) -> set[str]:
        return {f.id for f in facts_about(c, rules)}

    assert "fda_compounded_ketamine_2023" not in ids(_claim())
    assert "fda_compounded_ketamine_2023" not in ids(_claim(route=("intravenous",)))
    assert "fda_compounded_ketamine_2023" in ids(_claim(product=("compounded",)))
    assert "fda_compounded_ketamine_2023" in ids(_claim(route=("oral",)))
    assert "fda_compounded_ketamine_2023" in ids(_claim(scope=("at_home",)))
    # Facts about every form still apply to a claim naming none.
    assert "dea_schedule_iii" in ids(_claim())


# ------------------------------------------------------------------ "safe" for an approved use


def test_safe_as_an_approved_anaesthetic_is_supported_by_the_approval(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine has been used safely for over 50 years as an anesthetic in hospitals.", index, rules)
    assert v.verdict == "supported", v.reasons
    assert "ketalar_approval" in cited(v)
    assert "fda_compounded_ketamine_2023" not in cited(v)


def test_safe_for_an_unapproved_use_is_not_supported_by_an_approval(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine is safe for treating depression.", index, rules, IV_PAGE)
    assert "ketalar_approval" not in cited(v)
    assert v.verdict != "supported", v.reasons


def test_absolute_safety_is_not_read_as_safe_for_the_approved_use(index: InMemoryIndex, rules: Rules) -> None:
    claim, v = check("Ketamine is completely safe as an anesthetic, with no side effects.", index, rules)
    assert claim.strength == "absolute"
    assert v.verdict == "contradicted", v.reasons


def test_safe_for_an_approved_use_with_a_boxed_warning_is_partly_supported(
    index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check("Spravato is safe for treatment-resistant depression.", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "partly_supported", v.reasons
    assert {"spravato_trd_2019", "spravato_boxed_warning"} <= cited(v)


def test_safe_in_a_setting_the_restriction_rules_out_is_contradicted_by_it(index: InMemoryIndex, rules: Rules) -> None:
    """Spravato's REMS allows use only under supervision in a certified setting (``rules_out = ["at_home"]``):
    calling it safe at home is contradicted by the regulator, not "partly supported" by trial reports."""
    _, v = check("Because it is a nasal spray, Spravato is safe to take at home.", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "contradicted", v.reasons
    assert v.decisive and v.decisive[0].id == "spravato_rems"
    assert any("at home" in r and "rules that use out" in r for r in v.reasons)
    # A negation that governs something else leaves home use called safe (each was "partly supported").
    for calls_it_safe in ("Unlike IV ketamine, Spravato is safe to take at home.",
                          "Rather than an infusion, Spravato is safe to take at home.",
                          "Spravato is not just effective, it is safe to take at home."):
        _, v = check(calls_it_safe, index, rules, SPRAVATO_PAGE)
        assert v.verdict == "contradicted", (calls_it_safe, v.reasons)
    # A sentence that itself rules home use out agrees with the restriction: never contradicted by it.
    for agrees in ("Spravato is not safe to take at home.", "Spravato is never safe to use at home.",
                   "Spravato is safe only under supervision, not at home.",
                   "Spravato is safe when taken at our clinic, never at home.",
                   "Spravato should never be taken at home, where it is not safe."):
        _, v = check(agrees, index, rules, SPRAVATO_PAGE)
        assert v.verdict != "contradicted", (agrees, v.reasons)
    # Safe in the setting the restriction allows, or a risk stated at home: nothing ruled out.
    from ketlit.claims.safety_verdict import _ruled_out

    def ruled_out(stance: str, scope: str, molecule: str = "esketamine", route: str = "intranasal") -> bool:
        claim = _claim(molecule=(molecule,), route=(route,), safety_topics=("general_safety",), scope=(scope,),
                       safety_stance=stance)
        return _ruled_out(claim, stance, rules) is not None

    assert ruled_out("minimising", "at_home")
    assert not ruled_out("minimising", "supervised")
    assert not ruled_out("assertion", "at_home")  # a risk stated, not played down
    # Racemic ketamine has no such restriction in the facts: not contradicted by Spravato's.
    assert not ruled_out("minimising", "at_home", "racemic_ketamine", "intravenous")


def test_a_fact_rules_out_only_the_scopes_it_names(rules: Rules) -> None:
    rems = next(f for f in rules.facts if f.id == "spravato_rems")
    assert rems.rules_out == ("at_home",)
    # The FDA's warning about compounded ketamine is about use at home without monitoring.
    ruling = {f.id for f in rules.facts if f.rules_out}
    assert ruling == {"spravato_rems", "fda_compounded_ketamine_2023"}


# ------------------------------------------------------------------ comparisons


def test_a_risk_compared_between_products_needs_a_comparison(index: InMemoryIndex, rules: Rules) -> None:
    claim, v = check(
        "Psychological addiction is more of a factor when using compounded ketamine.", index, rules, IV_PAGE
    )
    assert claim.safety_stance == "comparative"
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("not a difference" in r or "no source compares" in r for r in v.reasons), v.reasons
    # Acknowledging the risk of the same product is documented.
    _, v = check("Compounded ketamine can lead to addiction.", index, rules, IV_PAGE)
    assert v.verdict == "supported", v.reasons


# ------------------------------------------------------------------ stored adverse-event rows

BACKGROUND_ONLY = {
    "source": "pubmed",
    "id": "91000001",
    "year": 2020,
    "title": "Intravenous ketamine for treatment-resistant depression: a randomized controlled trial",
    "abstract": (
        "BACKGROUND: Ketamine has abuse liability and can cause dissociation.\n"
        "METHODS: 60 adults were randomized to ketamine or saline placebo.\n"
        "RESULTS: Depression scores fell more with ketamine than with placebo at 24 hours.\n"
        "CONCLUSIONS: Ketamine reduced depressive symptoms."
    ),
    "tags": {"indication": ["treatment_resistant_depression"], "route": ["intravenous"],
             "molecule": ["racemic_ketamine"], "design": ["rct"]},
}
REPORTED = {
    **BACKGROUND_ONLY,
    "id": "91000002",
    "abstract": (
        "BACKGROUND: Depression is common.\n"
        "METHODS: 60 adults were randomized to ketamine or saline placebo.\n"
        "RESULTS: Dissociation occurred in 30% of ketamine recipients and resolved within 2 hours.\n"
        "CONCLUSIONS: Ketamine reduced depressive symptoms."
    ),
}



def test_a_risk_named_only_in_the_background_is_no_report_of_it(rules: Rules) -> None:
    claim = _claim(safety_topics=("dissociation",), safety_stance="transience")
    background = assess(claim, EvidenceRecord.from_dict(BACKGROUND_ONLY), rules, {})
    # The abstract names the harm, but its results and conclusions report no adverse event.
    assert background.findings.adverse
    assert harm_reports(background) == ()
    reported = assess(claim, EvidenceRecord.from_dict(REPORTED), rules, {})
    assert any(f.category == "dissociation" for f in harm_reports(reported))


def test_stored_profile_rows_decide_without_rereading(rules: Rules) -> None:
    """A stored profile listing no adverse events silences the abstract's harm words; one listing
    them lets the record report (the abstract is the same in both)."""
    claim = _claim(safety_topics=("dissociation",), safety_stance="transience")
    silent = {**REPORTED, "profile": {"adverse_events": [], "roles": ["background", "methods", "results"]}}
    assert harm_reports(assess(claim, EvidenceRecord.from_dict(silent), rules, {})) == ()
    rows = [{"s": 2, "event": "Dissociation", "presence": "present", "rates": []}]
    listed = {**REPORTED, "profile": {"adverse_events": rows, "roles": ["background", "methods", "results"]}}
    assert harm_reports(assess(claim, EvidenceRecord.from_dict(listed), rules, {}))


def test_transience_verdict_counts_only_reporting_records(rules: Rules) -> None:
    page = IV_PAGE + "Side effects of ketamine such as dissociation are temporary and subside quickly."
    claim = next(c for c in extract_claims(page, rules) if c.kind == "safety")
    both = InMemoryIndex(records_from_dicts([BACKGROUND_ONLY, REPORTED]), rules)
    v = judge(claim, both.candidates(claim), rules)
    assert v.verdict == "supported", v.reasons
    assert cited(v) == {"91000002"}
    only_background = InMemoryIndex(records_from_dicts([BACKGROUND_ONLY]), rules)
    v = judge(claim, only_background.candidates(claim), rules)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_store_candidates_for_safety_come_from_stored_rows(rules: Rules, tmp_path: Path) -> None:
    """The cache-backed index picks a profiled record for a safety claim by its stored
    adverse-event rows (``study_adverse_events``), not by rescanning its abstract; unprofiled
    records are still scanned."""
    rows = [{"s": 2, "event": "Dissociation", "presence": "present", "rates": []}]
    profiled_silent = {**BACKGROUND_ONLY, "profile": {"adverse_events": [], "roles": []}}
    profiled_rows = {**BACKGROUND_ONLY, "id": "91000003", "abstract": "", "profile": {"adverse_events": rows}}
    unprofiled = {**REPORTED, "source": "ctgov", "id": "NCT00000001"}
    store = open_store(tmp_path / "k.db")
    profile = {"question": {"value": "efficacy_vs_control"}, "readable": True, "relation": None, "n": None,
               "findings": []}
    store.profiles.save_profiles([
        ProfileRow(str(d["id"]), "r", "c", {**profile, **cast(dict[str, object], d["profile"])})
        for d in (profiled_silent, profiled_rows)
    ])
    index = StoreEvidenceIndex(store, rules)
    index._pool = records_from_dicts([profiled_silent, profiled_rows, unprofiled])
    claim = _claim(safety_topics=("dissociation",), safety_stance="transience")
    # The silent record's abstract names dissociation in its background; its stored rows list none.
    assert {r.id for r in index.candidates(claim)} == {"91000003", "NCT00000001"}


@pytest.mark.parametrize(
    ("sentence", "strength", "verdict"),
    [
        # Absolute wording claims no risk at all: a denial, contradicted by the documented harms.
        ("Ketamine is 100% safe.", "absolute", "contradicted"),
        # Plain "safe" for a use nobody approved is only partly borne out.
        ("Ketamine is safe.", "plain", "partly_supported"),
    ],
)
def test_absolute_safe_is_a_denial(
    index: InMemoryIndex, rules: Rules, sentence: str, strength: str, verdict: str
) -> None:
    claim, v = check(sentence, index, rules, IV_PAGE)
    assert claim.strength == strength and claim.safety_stance == "minimising"
    assert v.verdict == verdict, v.reasons


def test_the_approved_use_must_be_named_in_the_sentence(rules: Rules) -> None:
    """A use carried over from the page does not make "Ketamine is safe." safe-as-approved."""
    base = {"safety_topics": ("general_safety",), "safety_stance": "minimising", "indication": ("anesthesia_sedation",)}
    carried = judge_safety(_claim(text="Ketamine is safe.", **base), [], rules)
    assert "ketalar_approval" not in cited(carried) and carried.verdict != "supported"
    named = judge_safety(_claim(text="Ketamine is a safe anesthetic.", **base), [], rules)
    assert named.verdict == "supported" and "ketalar_approval" in cited(named)


# ------------------------------------------------------------------ denials are about therapeutic use


def _record(rid: str, results: str, indication: tuple[str, ...] = ("treatment_resistant_depression",),
            population: tuple[str, ...] = ("adults",)) -> dict[str, object]:
    return {
        **BACKGROUND_ONLY,
        "id": rid,
        "abstract": (
            "BACKGROUND: Depression is common.\n"
            "METHODS: 60 adults received ketamine.\n"
            f"RESULTS: {results}\n"
            "CONCLUSIONS: More research is needed."
        ),
        "tags": {**cast(dict[str, object], BACKGROUND_ONLY["tags"]), "indication": list(indication),
                 "population": list(population)},
    }


def _judge_sentence(sentence: str, recs: list[dict[str, object]], rules: Rules) -> tuple[Claim, Verdict]:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety" and sentence[:20] in c.text)
    return claim, judge(claim, InMemoryIndex(records_from_dicts(recs), rules).candidates(claim), rules)


# Results name an adverse-event word, so the study profile lists the sentence as an adverse-event row.
NO_MEMORY_HARM = _record("92000001", "Ketamine was not associated with adverse memory impairment at 4 weeks.")
HARM_IN_SOMEONE = "Adverse events included memory impairment that persisted for months after the last dose."


def test_a_denial_is_not_contradicted_by_reports_from_misuse(rules: Rules) -> None:
    """The same report contradicts a denial when it comes from treated patients, and is only named
    (indirect, not decisive) when the record is about recreational users."""
    misuse = _record("92000002", HARM_IN_SOMEONE, indication=("recreational_use",))
    claim, v = _judge_sentence("Ketamine does not cause memory problems.", [NO_MEMORY_HARM, misuse], rules)
    assert claim.safety_stance == "denial" and claim.safety_topics == ("cognition",)
    assert v.verdict == "partly_supported", v.reasons
    assert any("recreational or illicit use" in r for r in v.reasons), v.reasons
    assert [e.direct for e in v.evidence if e.id == "92000002"] == [False]
    treated = _record("92000002", HARM_IN_SOMEONE)
    _, v = _judge_sentence("Ketamine does not cause memory problems.", [NO_MEMORY_HARM, treated], rules)
    assert v.verdict == "contradicted", v.reasons


def test_experiments_in_healthy_volunteers_are_indirect_for_a_denial(rules: Rules) -> None:
    volunteers = _record("92000003", HARM_IN_SOMEONE, indication=(), population=("healthy_volunteers",))
    _, v = _judge_sentence("Ketamine does not cause memory problems.", [NO_MEMORY_HARM, volunteers], rules)
    assert v.verdict == "partly_supported", v.reasons
    assert any("healthy volunteers" in r for r in v.reasons), v.reasons


def test_a_denial_of_lasting_harm_is_not_contradicted_by_passing_effects(rules: Rules) -> None:
    passing = _record(
        "92000004", "Adverse events included memory impairment (20%) during the infusion, resolved within 2 hours."
    )
    _, v = _judge_sentence("Ketamine does not cause long-term memory problems.", [passing], rules)
    assert v.verdict == "partly_supported", v.reasons
    _, v = _judge_sentence("Ketamine does not cause memory problems.", [passing], rules)
    assert v.verdict == "contradicted", v.reasons
    lasting = _record("92000005", HARM_IN_SOMEONE)
    _, v = _judge_sentence("Ketamine does not cause long-term memory problems.", [lasting], rules)
    assert v.verdict == "contradicted", v.reasons


def test_a_harm_named_in_an_introduction_is_no_report_even_when_results_report_another(rules: Rules) -> None:
    rec = {
        **REPORTED,
        "abstract": (
            "BACKGROUND: Ketamine can induce cognitive impairment.\n"
            "METHODS: 60 adults were randomized to ketamine or saline placebo.\n"
            "RESULTS: Dissociation occurred in 30% of ketamine recipients and resolved within 2 hours.\n"
            "CONCLUSIONS: Ketamine reduced depressive symptoms."
        ),
    }
    a = assess(_claim(safety_topics=("cognition",), safety_stance="denial"), EvidenceRecord.from_dict(rec), rules, {})
    assert any(f.category == "cognition" for f in a.findings.adverse)
    assert {f.category for f in harm_reports(a)} == {"dissociation"}


# ------------------------------------------------------------------ a harm restricted to misuse


@pytest.mark.parametrize(
    ("sentence", "topics"),
    [
        ("Bladder problems have only been reported with daily recreational use.", ("bladder",)),
        ("Addiction only occurs in people who abuse it.", ("addiction",)),
        ("Memory problems are only seen in heavy users.", ("cognition",)),
    ],
)
def test_a_harm_restricted_to_misuse_is_read_as_a_restriction(
    rules: Rules, sentence: str, topics: tuple[str, ...]
) -> None:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety" and sentence[:20] in c.text)
    # The setting's words ("recreational", "abuse") are not topics of the claim.
    assert (claim.safety_stance, claim.safety_topics) == ("restriction", topics)


def test_a_restriction_is_not_read_from_other_limits(rules: Rules) -> None:
    sentence = "Side effects occur only during the infusion and subside quickly."
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety")
    assert claim.safety_stance == "transience"


def test_a_harm_restricted_to_misuse_is_judged_on_both_settings(rules: Rules) -> None:
    # Memory problems: no regulator's statement documents them in treatment, so the studies decide.
    sentence = "Memory problems have only been reported with daily recreational use."
    misuse = _record("92000006", "Memory impairment was found in 30% of the 100 participants.",
                     indication=("recreational_use",))
    none_in_patients = _record("92000007", "There were no cases of memory impairment.")
    _, v = _judge_sentence(sentence, [misuse, none_in_patients], rules)
    assert v.verdict == "supported", v.reasons
    _, v = _judge_sentence(sentence, [misuse], rules)
    assert v.verdict == "partly_supported", v.reasons
    in_patients = _record("92000008", "Memory impairment occurred in 3 patients after repeated infusions.")
    _, v = _judge_sentence(sentence, [misuse, in_patients], rules)
    assert v.verdict == "contradicted", v.reasons
    assert "92000008" in cited(v)
    _, v = _judge_sentence(sentence, [], rules)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_a_harm_the_label_documents_in_treatment_is_not_limited_to_misuse(rules: Rules) -> None:
    # Spravato's label reports cystitis with off-label use and urinary symptoms in its own trials.
    sentence = "Bladder problems have only been reported with daily recreational use."
    misuse = _record("92000006", "Cystitis was found in 30% of the 100 participants.", indication=("recreational_use",))
    none_in_patients = _record("92000007", "There were no cases of cystitis.")
    _, v = _judge_sentence(sentence, [misuse, none_in_patients], rules)
    assert v.verdict == "contradicted", v.reasons
    assert any("spravato_label_cystitis" in r for r in v.reasons)


# ------------------------------------------------------------------ mania


def test_mania_is_a_safety_topic_checked_against_reports(rules: Rules) -> None:
    sentence = "Ketamine does not trigger mania in bipolar patients."
    switched = _record("92000009", "Adverse events included hypomania in two patients after the second infusion.",
                       indication=("bipolar_depression",))
    claim, v = _judge_sentence(sentence, [switched], rules)
    assert claim.safety_topics == ("mania",) and claim.safety_stance == "denial"
    assert v.verdict == "contradicted", v.reasons
    assert "92000009" in cited(v)
    no_switch = _record(
        "92000010", "No manic switch or other serious adverse event occurred.", indication=("bipolar_depression",)
    )
    _, v = _judge_sentence(sentence, [no_switch], rules)
    assert v.verdict == "partly_supported", v.reasons


def test_manic_depression_is_a_condition_not_the_harm(rules: Rules) -> None:
    assert not rules.safety_topics["mania"].any("Ketamine is safe for people with manic depression.")
    assert not rules.adverse["mania"].any("Patients with bipolar disorder were randomized.")


def test_respiratory_depression_is_a_topic_and_no_excess_over_placebo_is_no_report(rules: Rules) -> None:
    sentence = "Unlike opioids, ketamine does not cause respiratory depression at therapeutic doses."
    same = _record(
        "92000011",
        "The incidences of apnea, nausea and vomiting were not statistically different between the ketamine and "
        "placebo groups.",
        indication=("pain",),
    )
    claim, v = _judge_sentence(sentence, [same], rules)
    assert claim.safety_topics == ("respiratory",) and claim.safety_stance == "denial"
    assert v.verdict != "contradicted", v.reasons
    apnea = _record("92000012", "Apnea occurred in three patients after the ketamine bolus.", indication=("pain",))
    _, v = _judge_sentence(sentence, [apnea], rules)
    assert v.verdict == "contradicted", v.reasons


def test_breathing_said_to_be_left_alone_denies_respiratory_depression(rules: Rules) -> None:
    sentence = "It does not affect breathing at the doses we use."
    claim, _ = _judge_sentence(sentence, [], rules)
    assert claim.safety_topics == ("respiratory",) and claim.safety_stance == "denial"
    apnea = _record("92000012", "Apnea occurred in three patients after the ketamine bolus.", indication=("pain",))
    _, v = _judge_sentence(sentence, [apnea], rules)
    assert v.verdict == "contradicted", v.reasons


def test_there_is_no_harm_is_a_denial(rules: Rules) -> None:
    claim, _ = _judge_sentence("Because the dose is low, there is no dissociation.", [], rules)
    assert claim.safety_topics == ("dissociation",) and claim.safety_stance == "denial"
    claim, _ = _judge_sentence("You will not experience hallucinations during treatment.", [], rules)
    assert claim.safety_stance == "denial"


def test_a_condition_named_with_headache_is_not_a_side_effect_claim(rules: Rules) -> None:
    kinds = {c.kind for c in extract_claims("Ketamine is more effective than morphine for migraine headaches.", rules)}
    assert "safety" not in kinds
    assert "safety" in {c.kind for c in extract_claims("Ketamine can cause headaches and nausea.", rules)}


def test_no_potential_for_abuse_is_a_denial(rules: Rules) -> None:
    sentences = ("Ketamine has no potential for abuse.", "Unlike IV ketamine, Spravato has no potential for abuse.")
    for sentence in sentences:
        claim, _ = _judge_sentence(sentence, [], rules)
        assert claim.safety_stance == "denial", sentence
        assert "addiction" in claim.safety_topics


def test_a_group_safety_claim_about_one_form_is_not_decided_by_another_forms_studies(rules: Rules) -> None:
    # IV racemic-ketamine trials in adolescents say nothing about the nasal spray in adolescents.
    teens = _record("92000013", "Adverse events were mild in adolescents and resolved within hours.",
                    population=("adolescents",))
    teens["abstract"] = str(teens["abstract"]).replace("60 adults", "60 adolescents")
    sentence = "Spravato is safe for adolescents."
    claim = next(c for c in extract_claims(SPRAVATO_PAGE + sentence, rules) if c.kind == "safety")
    assert claim.route == ("intranasal",) and claim.molecule == ("esketamine",)
    v = judge(claim, InMemoryIndex(records_from_dicts([teens]), rules).candidates(claim), rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("another form or route" in r for r in v.reasons)
    # The same studies do speak to racemic ketamine by infusion in adolescents (weighed, not set aside).
    _, v = _judge_sentence("Ketamine infusions are safe for adolescents.", [teens], rules)
    assert not any("another form or route" in r for r in v.reasons), v.reasons


def test_the_people_a_harm_is_seen_in_are_no_second_harm(rules: Rules) -> None:
    claim, _ = _judge_sentence("Ketamine does not cause the bladder problems seen in recreational users.", [], rules)
    assert claim.safety_topics == ("bladder",) and claim.safety_stance == "denial"
    # A harm named in its own words stays a topic beside the setting.
    claim, _ = _judge_sentence("Recreational use of ketamine can lead to addiction and bladder damage.", [], rules)
    assert set(claim.safety_topics) == {"addiction", "bladder"}


def test_liver_injury_is_a_safety_topic(rules: Rules) -> None:
    claim, _ = _judge_sentence("Repeated ketamine infusions for pain can cause liver injury.", [], rules)
    assert claim.safety_topics == ("liver",)
    assert rules.adverse["liver"].any("Elevated liver enzymes were observed in three patients.")


def test_insufficient_evidence_is_never_shown_with_more_than_very_low_certainty(rules: Rules) -> None:
    from ketlit.claims.judging import finish

    v = finish("insufficient_evidence", "moderate", ["not found in the counted studies"], [], rules, "tested")
    assert v.certainty == "very_low"
    assert finish("partly_supported", "moderate", [], [], rules, "tested").verdict == "insufficient_evidence"


def test_the_time_a_transience_claim_gives_is_checked(rules: Rules) -> None:
    from ketlit.claims.safety_verdict import _within

    assert _within("side effects go away within an hour") == 1.0
    assert _within("resolve within an hour or two after the infusion") == 2.0
    assert _within("Dissociative symptoms resolved within 2 hours of the infusion.") == 2.0
    assert _within("Ketamine was first given in 2019.") is None
    slow = [_record(str(92000020 + i), "Dissociative adverse effects were transient and resolved within 2 hours.")
            for i in range(3)]
    _, v = _judge_sentence("Ketamine side effects are mild and go away within an hour.", slow, rules)
    assert v.verdict == "partly_supported", v.reasons
    assert any("the page says within 1 h" in r for r in v.reasons), v.reasons
    _, v = _judge_sentence("Ketamine side effects go away within an hour or two.", slow, rules)
    assert v.verdict == "supported", v.reasons


def test_a_denied_bladder_harm_is_contradicted_by_the_regulators_warning(rules: Rules) -> None:
    """Cystitis is documented by a regulator for ketamine in any form (long-term use or misuse), so an
    outright denial at clinic doses is contradicted even when the only trial in hand saw no case."""
    none_seen = _record("92000020", "Adverse events were mild; there was no case of interstitial cystitis.")
    for sentence in ("There is no risk of bladder damage at the doses we use.", "IV ketamine does not cause cystitis."):
        claim, v = _judge_sentence(sentence, [none_seen], rules)
        assert claim.safety_stance == "denial" and "bladder" in claim.safety_topics
        assert v.verdict == "contradicted", v.reasons
        assert any(e.id == "spravato_label_cystitis" for e in v.evidence), [e.id for e in v.evidence]
    # Acknowledging the harm is borne out by the same warning.
    _, v = _judge_sentence("Long-term ketamine use can damage the bladder.", [none_seen], rules)
    assert v.verdict == "supported", v.reasons


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine is not recommended during pregnancy.", "Spravato is not recommended in pregnancy."],
)
def test_the_labels_pregnancy_caution_supports_a_page_repeating_it(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    # Catches: "Ketamine is not recommended during pregnancy" judged insufficient (no trial in pregnant
    # patients): the caution is the label's own, a label_warning documenting fetal harm for the drug.
    claim, v = check(sentence, index, rules, IV_PAGE)
    assert "fetal_harm" in claim.safety_topics
    assert (v.verdict, v.certainty) == ("supported", "moderate"), v.reasons
    assert "spravato_label_pregnancy" in cited(v)


def test_a_regulators_word_on_side_effects_in_general_does_not_answer_a_denial_of_named_harms() -> None:
    # "Never causes weight gain or sexual side effects": the compounding warning's side effects are not these.
    rules = load_rules()
    claim = _claim(
        safety_topics=("side_effects", "weight_gain", "sexual_dysfunction"), safety_stance="denial", route=("oral",)
    )
    assert "fda_compounded_ketamine_2023" in {f.id for f in facts_about(claim, rules)}
    v = judge_safety(claim, [], rules)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_a_denial_the_page_attributes_to_trials_is_judged_on_what_they_observed(rules: Rules) -> None:
    """"In a pooled analysis of clinical trials, one dose did not lead to cravings": what trials saw. Studies that
    observed no such events bear it out (it was judged as an absolute denial); a regulator's schedule makes it
    partly; a study reporting the harm still contradicts it."""
    from types import SimpleNamespace

    from ketlit.claims.numbers import AdverseFinding
    from ketlit.claims.safety_verdict import _denial_or_minimising

    def report(rid: str, absent: bool) -> tuple[Any, AdverseFinding]:
        record = SimpleNamespace(id=rid, source="pubmed", year=2020, title="t", url="u")
        a = SimpleNamespace(record=record, design="rct", direct=True)
        return a, AdverseFinding("nausea", None, False, False, absent, False, "s", (0, 1), True)

    def verdict(stance: str, reports: list[Any], facts: tuple[Any, ...] = (), observed: bool = True) -> str:
        return _denial_or_minimising(stance, {"nausea"}, facts, reports, rules, observed=observed).verdict

    assert verdict("denial", [report("1", True)]) == "supported"
    assert verdict("denial", [report("1", True)], observed=False) == "partly_supported"  # absolute: absence is short
    assert verdict("denial", [report("1", True), report("2", False)]) == "contradicted"


def test_what_trials_saw_of_a_named_effect_passing_bears_out_the_page(rules: Rules) -> None:
    """"Ketamine was well tolerated in PTSD trials, and its dissociative effects wore off": what the trials saw, and
    they describe the effect passing (it was "documented, size uncertain"). Safety in general is no such observation:
    "clinical trials have established that ketamine is safe" stays partly supported."""
    from types import SimpleNamespace

    from ketlit.claims.numbers import AdverseFinding
    from ketlit.claims.safety_verdict import _denial_or_minimising

    record = SimpleNamespace(id="1", source="pubmed", year=2020, title="t", url="u")
    a = SimpleNamespace(record=record, design="rct", direct=True)
    passing = [(a, AdverseFinding("dissociation", None, True, False, False, False, "s", (0, 1), True))]

    def verdict(specific: set[str], observed: bool) -> str:
        return _denial_or_minimising("minimising", specific, (), passing, rules, observed=observed).verdict  # type: ignore[arg-type]

    assert verdict({"dissociation"}, observed=True) == "supported"
    assert verdict({"dissociation"}, observed=False) == "partly_supported"
    assert verdict(set(), observed=True) == "partly_supported"


@pytest.mark.parametrize(
    ("sentence", "side"),
    [
        # A denial of the harm: a report of it goes against the sentence, whatever the verdict overall.
        ("Ketamine infusions never cause dissociation.", "against"),
        # An assertion of it: the same report bears the sentence out.
        ("Ketamine infusions can cause dissociation.", "for"),
    ],
)
def test_a_harm_report_is_shown_on_the_side_it_takes(rules: Rules, sentence: str, side: str) -> None:
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety")
    v = judge(claim, InMemoryIndex(records_from_dicts([REPORTED, NONE_SEEN]), rules).candidates(claim), rules)
    sides = {d.id: d.stance for d in v.decisive}
    assert sides.get("91000002") == side, (v.verdict, v.decisive, v.reasons)
    # The record that saw none takes the other side (shown only when the verdict names it).
    assert sides.get("91000003", "for" if side == "against" else "against") != side, (v.verdict, v.decisive)


NONE_SEEN = {
    **BACKGROUND_ONLY,
    "id": "91000003",
    "abstract": (
        "BACKGROUND: Depression is common.\n"
        "METHODS: 40 adults were randomized to ketamine or saline placebo.\n"
        "RESULTS: No participant experienced dissociation.\n"
        "CONCLUSIONS: Ketamine reduced depressive symptoms."
    ),
}


def test_a_denial_of_lasting_harm_keeps_the_verdict_s_side_for_passing_reports(rules: Rules) -> None:
    """'No lasting cognitive impairment' is borne out in part by a trial whose impairment passed: that
    report is not shown as against the sentence."""
    passing = {
        **BACKGROUND_ONLY,
        "id": "91000009",
        "abstract": (
            "BACKGROUND: Depression is common.\n"
            "METHODS: 60 adults were randomized to ketamine or saline placebo.\n"
            "RESULTS: Transient cognitive impairment occurred in 20% and resolved; no lasting impairment was "
            "seen at 6 months.\n"
            "CONCLUSIONS: Ketamine reduced depressive symptoms."
        ),
    }
    claim = next(c for c in extract_claims(IV_PAGE + "Ketamine infusions do not cause lasting cognitive impairment.",
                                           rules) if c.kind == "safety")
    v = judge(claim, InMemoryIndex(records_from_dicts([passing]), rules).candidates(claim), rules)
    assert v.verdict != "contradicted" and {d.stance for d in v.decisive} == {"for"}, (v.verdict, v.decisive)


# ------------------------------------------------------------------ a named harm that few studies report


def test_a_denied_harm_few_treated_studies_report_is_partly_supported(rules: Rules) -> None:
    """verdict_rules.toml uncommon_harm_share: one study of eleven that report any harm saw a switch to mania, so
    "does not trigger mania" overreaches (partly); with one of two it is contradicted, and so is a harm most
    of them report."""
    nausea = [_record(f"9200010{i}", "Adverse events included nausea in 5 patients.") for i in range(10)]
    mania = _record("92000111", "Adverse events included hypomania in two patients after the second infusion.")
    sentence = "Ketamine does not trigger mania."
    claim, v = _judge_sentence(sentence, [*nausea, mania], rules)
    assert (claim.safety_stance, claim.safety_topics) == ("denial", ("mania",))
    assert v.verdict == "partly_supported", v.reasons
    assert any("only 1 of the 11" in r for r in v.reasons), v.reasons
    _, v = _judge_sentence(sentence, [nausea[0], mania], rules)
    assert v.verdict == "contradicted", v.reasons
    _, v = _judge_sentence("Ketamine does not cause nausea.", [*nausea, mania], rules)
    assert v.verdict == "contradicted", v.reasons


@pytest.mark.parametrize(
    ("sentence", "topic"),
    [
        ("Ketamine does not raise blood pressure.", "blood_pressure"),
        ("Ketamine will not harm your bladder.", "bladder"),
    ],
)
def test_a_harm_denied_with_its_own_verb_is_a_denial(sentence: str, topic: str, rules: Rules) -> None:
    # Read as an acknowledgement before, these were "supported" by every report of the harm.
    claim = next(c for c in extract_claims(IV_PAGE + sentence, rules) if c.kind == "safety")
    assert claim.safety_stance == "denial"
    assert topic in claim.safety_topics


def test_a_harm_the_drug_is_known_to_produce_is_never_uncommon(rules: Rules) -> None:
    """verdict_rules.toml uncommon_harm_exempt: however few treated patients' studies report psychosis, "does not
    trigger psychosis" is contradicted by them."""
    nausea = [_record(f"9200020{i}", "Adverse events included nausea in 5 patients.") for i in range(10)]
    psychosis = _record("92000211", "Adverse events included transient psychotic symptoms in two patients.")
    _, v = _judge_sentence("Ketamine does not trigger psychosis.", [*nausea, psychosis], rules)
    assert v.verdict == "contradicted", v.reasons
