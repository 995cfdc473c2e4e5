"""Issue 13 audit: the verdict rules and failure modes that no other test pinned in both directions.

Inventory (rule or failure mode → where it is pinned; this file adds the ones marked *here*):

* supported, regulator approval for that product and use → *here* (approval) and
  test_claims_regulatory::test_an_approval_for_a_narrower_use_does_not_cover_the_broader_one
* supported, review ≥ moderate (≥ low hedged) → test_claims_synthesis::test_review_needs_moderate_certainty…
* supported, ≥ 2 adequate RCTs, no larger null → test_claims_synthesis::test_two_adequate_rcts…, …larger_null…
* supported only when magnitude within the evidence → test_claims_verdict::test_true_numeric_claim_is_supported /
  test_inflated_numeric_claim_is_contradicted; duration within the evidence → *here*
* partly: strength (intensified) → test_claims_synthesis::test_intensified_wording…; absolute → *here*;
  breadth / product → test_claims_regulatory::test_approval_claim_broadening…, test_claims_verdict::
  test_indirect_evidence_is_downgraded; duration → *here*; only some parts hold → test_claims_assertions::
  test_a_compound_sentence_gets_one_verdict_with_its_parts and *here* (one rule for every compound)
* insufficient: uncontrolled, single small RCT → test_claims_synthesis::test_single_small_rct…; nothing
  relevant → test_claims_verdict::test_unanswerable_claim_is_insufficient
* contradicted: powered null RCT → test_claims_synthesis::test_a_larger_null_trial…; a review finding no
  effect → *here*; regulator (label limitation) → test_claims_synthesis::test_label_limitation…, (schedule)
  → test_claims_synthesis::test_jurisdiction_is_honoured, (warning, for a denial) → *here*; number outside
  the interval → test_claims_verdict::test_inflated_numeric_claim_is_contradicted
* certainty inherited, never "high" from design → test_claims_synthesis::test_certainty_is_never_high…
* onset/duration only where efficacy is established → test_claims_synthesis::test_onset_is_judged_only…
  (onset); duration → *here*
* H → test_claims_generalisation::test_claim_family_both_directions, test_claims_assertions; sparing,
  "Label: text", "a promising treatment", "cures" → *here*
* I → test_claims_assertions::test_not_a_claim_with_its_reason / test_a_claim_next_to_each_reason
* J → test_claims_assertions::test_scope_and_comparator, …intranasal…, …more_than…, test_claims_outcomes;
  conditions from elsewhere on the page → *here* (item 6: same sentence, two pages)
* E → test_claims_synthesis::test_onset_from_methods_sentences_does_not_count
* D, F, G, K → test_claims_synthesis / test_claims_assertions (see above)
* L → test_claims_synthesis::test_rates_pool_only_from_three_arms…; same timepoint and regimen → *here*
* N → test_claims_synthesis::test_dose_is_compared…; partly (overlap) and route → *here*
* item 5 (where a page's number comes from, next to the controlled evidence) → *here*
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.judging import RECONCILE_RULE, reconcile
from ketlit.claims.model import Claim, Dose, Threshold
from ketlit.claims.policy import packaged_policy
from ketlit.claims.rules import Rules, load_rules
from ketlit.claims.timing import result_sentence
from ketlit.claims.verdict import judge
from tests.test_claims_assertions import LEAD, reading
from tests.test_claims_synthesis import HERE, efficacy, rate_record, record, verdict_of


def _review(stance: str, certainty: str = "moderate") -> EvidenceRecord:
    return record("9", question="systematic_review", design="meta_analysis", certainty=certainty, n=900, stance=stance)


# ------------------------------------------------------------------ supported: a regulator's approval


def test_an_approval_supports_that_product_and_use_and_no_other(rules: Rules) -> None:
    # Catches: an approval of one product read as evidence for another product or another use.
    spravato = Claim(
        id="c1",
        text="Spravato treats treatment-resistant depression.",
        kind="efficacy",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=("intranasal",),
        molecule=("esketamine",),
    )
    v = verdict_of(spravato, [], rules)
    assert (v.verdict, v.certainty) == ("supported", "high"), v.reasons
    assert v.certainty_source is not None and v.certainty_source.startswith("regulatory:")
    assert verdict_of(replace(spravato, indication=("ptsd",), text="Spravato treats PTSD."), [], rules).verdict != (
        "supported"
    )
    iv = replace(spravato, molecule=("racemic_ketamine",), route=("intravenous",), text="IV ketamine treats TRD.")
    assert verdict_of(iv, [], rules).verdict != "supported"


# ------------------------------------------------------------------ contradicted: a review finds no effect


def test_a_null_review_contradicts_unless_trials_find_the_effect(rules: Rules) -> None:
    # Catches: a null review ignored (vote counting), or a null review overriding two adequate trials.
    v = verdict_of(efficacy(), [_review("null")], rules)
    assert (v.verdict, v.certainty) == ("contradicted", "moderate"), v.reasons
    assert v.decisive[0].id == "9" and v.decisive[0].stance == "against"
    v = verdict_of(efficacy(), [_review("null"), record("1", n=80), record("2", n=90)], rules)
    assert v.verdict != "contradicted", v.reasons
    assert verdict_of(efficacy(), [_review("for")], rules).verdict == "supported"


# ------------------------------------------------------------------ partly: absolute wording


def test_absolute_wording_needs_high_certainty(rules: Rules) -> None:
    # Catches: "cures" tested like "treats" (G: strength not modelled).
    # A promised cure on evidence short of high certainty is misleading, not partly true (round-2
    # blind review: "cures addiction in most patients"); other absolute wording stays partly.
    cures = efficacy("Ketamine cures treatment-resistant depression.", strength="absolute")
    assert verdict_of(cures, [_review("for", "moderate")], rules).verdict == "contradicted"
    assert verdict_of(cures, [_review("for", "high")], rules).verdict == "supported"
    always = efficacy("Ketamine relieves treatment-resistant depression without any side effects.", strength="absolute")
    assert verdict_of(always, [_review("for", "moderate")], rules).verdict == "partly_supported"


# ------------------------------------------------------------------ duration: within the evidence


_LASTED = "RESULTS: Ketamine reduced depressive symptoms compared with placebo, and the benefit lasted 2 weeks."


def _duration(days: float, indication: str = "treatment_resistant_depression") -> Claim:
    return Claim(
        id="c7",
        text="The relief lasts.",
        kind="duration",
        location=HERE,
        indication=(indication,),
        route=("intravenous",),
        molecule=("racemic_ketamine",),
        threshold=Threshold(">=", days, "days"),
    )


def test_a_duration_beyond_the_evidence_is_overstated_and_within_it_is_supported(rules: Rules) -> None:
    # Catches: a claimed duration far beyond every reported one left "insufficient" (or "supported")
    # although efficacy is established — the legend calls that an overstated duration.
    trials = [record("1", n=80, abstract=_LASTED), record("2", n=90, abstract=_LASTED)]
    assert verdict_of(_duration(14), trials, rules).verdict == "supported"
    v = verdict_of(_duration(182), trials, rules)
    assert v.verdict == "partly_supported", v.reasons
    assert any("beyond" in r and "14 days" in r for r in v.reasons), v.reasons


def test_duration_is_judged_only_where_efficacy_is_established(rules: Rules) -> None:
    # Catches: a duration judged from one small trial of a condition whose efficacy is not shown (E).
    small = [replace(record("3", n=20, abstract=_LASTED), tags={**record("3").tags, "indication": ("ocd",)})]
    v = verdict_of(_duration(14, "ocd"), small, rules)
    assert v.verdict == "insufficient_evidence"
    assert any("not established" in r for r in v.reasons)


# ------------------------------------------------------------------ contradicted: a regulator's warning


def test_a_denied_risk_that_a_boxed_warning_documents_is_contradicted(rules: Rules) -> None:
    # Catches: "no risk of abuse" judged without the regulator's word (K); and a claim that names the
    # risk being flagged as a denial.
    page = "Spravato at our centre.\n\nAbout Spravato.\n\n"
    denial = "Spravato has no risk of abuse."
    out = report_to_json(check_page(page + denial + "\n", "t.txt", InMemoryIndex([], load_rules()), rules))
    (claim,) = [c for c in out["claims"] if c["text"] == denial]
    assert claim["verdict"] == "contradicted"
    assert "spravato_boxed_warning" in {d["id"] for d in claim["decisive"]}
    plain = "Spravato carries a risk of abuse."
    out = report_to_json(check_page(page + plain + "\n", "t.txt", InMemoryIndex([], rules), rules))
    assert all(c["verdict"] != "contradicted" for c in out["claims"] if c["text"] == plain)


# ------------------------------------------------------------------ N: the dose test can fail


def _dose_trials(route: str, doses: tuple[float, ...]) -> list[EvidenceRecord]:
    return [
        replace(
            record(f"{route}{i}", n=50, route=route),
            abstract=f"METHODS: Patients received {route} ketamine {d} mg/kg over 40 minutes.",
        )
        for i, d in enumerate(doses, start=1)
    ]


def _dose(lo: float, hi: float, route: str = "intravenous") -> Claim:
    return Claim(
        id="c4",
        text="dose",
        kind="dosing",
        location=HERE,
        route=(route,),
        molecule=("racemic_ketamine",),
        dose=Dose(lo, hi, "mg/kg"),
    )


def test_a_dose_straddling_the_typical_range_is_partly_supported_and_other_routes_do_not_judge_it(
    rules: Rules,
) -> None:
    # Catches: a dose test that passes anything inside [min, max] of every dose ever studied, by any
    # route (N): 0.5–3 mg/kg is not what IV trials used, and IV trials say nothing of an oral dose.
    iv = _dose_trials("intravenous", (0.5, 0.5, 0.5, 0.5, 1.0))
    assert verdict_of(_dose(0.5, 0.5), iv, rules).verdict == "supported"
    assert verdict_of(_dose(0.5, 3.0), iv, rules).verdict == "partly_supported"
    assert verdict_of(_dose(5.0, 7.0), iv, rules).verdict == "contradicted"
    assert verdict_of(_dose(0.5, 0.5, "oral"), iv, rules).verdict == "insufficient_evidence"


def test_another_forms_doses_do_not_judge_a_dose(rules: Rules) -> None:
    # Catches: an esketamine spray dose judged against intranasal racemic-ketamine doses (N, J).
    def spray(molecule: str, doses: tuple[float, ...]) -> list[EvidenceRecord]:
        return [
            replace(
                record(f"{molecule[:3]}{i}", n=50, route="intranasal", molecule=molecule),
                abstract=f"METHODS: Patients received intranasal {molecule.replace('_', ' ')} {d} mg twice weekly.",
            )
            for i, d in enumerate(doses, start=1)
        ]

    # 28 mg lies outside the labelled range (which would decide on its own): only the trials judge it.
    claim = replace(_dose(28, 28, "intranasal"), molecule=("esketamine",), dose=Dose(28, 28, "mg"))
    v = verdict_of(claim, spray("racemic_ketamine", (20, 28, 28, 40)), rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert verdict_of(claim, spray("esketamine", (28, 28, 28, 28)), rules).verdict == "supported"


def test_a_dose_inside_the_products_labelled_dose_is_supported_by_the_label(rules: Rules) -> None:
    # Catches: Spravato's own labelled dose ("56 mg or 84 mg twice a week") contradicted at moderate
    # certainty because most cached trials tested 84 mg: a label_dose fact decides a dose inside it.
    trials = [
        replace(
            record(f"esk{i}", n=50, route="intranasal", molecule="esketamine"),
            abstract="METHODS: Patients received intranasal esketamine 84 mg twice weekly.",
        )
        for i in range(1, 6)
    ]
    page = "Spravato (esketamine) nasal spray is given at our clinic.\n\n"
    [claim] = [c for c in extract_claims(page + "Treatment starts with 56 mg or 84 mg twice a week for four weeks.",
                                         rules) if c.kind == "dosing"]
    assert claim.dose == Dose(56, 84, "mg")
    v = verdict_of(claim, trials, rules)
    assert (v.verdict, v.certainty) == ("supported", "high"), v.reasons
    assert [e.id for e in v.evidence] == ["spravato_label_dose"]
    # Outside the label, or another form's dose, the trials still judge it.
    assert verdict_of(replace(claim, dose=Dose(112, 112, "mg")), trials, rules).verdict == "contradicted"
    racemic = replace(claim, molecule=("racemic_ketamine",))
    assert verdict_of(racemic, trials, rules).verdict == "insufficient_evidence"


# ------------------------------------------------------------------ L: comparable arms only


def _rate_claim(route: str = "intravenous") -> Claim:
    return Claim(
        id="c3",
        text="Over 70% of patients respond to ketamine.",
        kind="efficacy_rate",
        location=HERE,
        indication=("treatment_resistant_depression",),
        route=(route,),
        molecule=("racemic_ketamine",),
        threshold=Threshold(">", 70.0, "%"),
        outcome="response",
    )


def test_rates_pool_only_arms_at_the_same_timepoint(rules: Rules) -> None:
    # Catches: arms at 24 hours and at 4 weeks pooled together into one estimate.
    mixed = [rate_record("1", 30, 100), rate_record("2", 35, 100), rate_record("3", 40, 100, hours=672)]
    v = verdict_of(_rate_claim(), mixed, rules)
    assert v.pooled is None, v.reasons
    same = [rate_record("1", 30, 100), rate_record("2", 35, 100), rate_record("3", 40, 100)]
    v = verdict_of(_rate_claim(), same, rules)
    assert v.pooled is not None and v.pooled.k == 3


def test_rates_pool_only_arms_of_one_regimen(rules: Rules) -> None:
    # Catches: with no direct arm, IV and oral arms pooled together as one "indirect" estimate.
    mixed = [rate_record("1", 30, 100), rate_record("2", 35, 100), rate_record("3", 40, 100, route="oral")]
    v = verdict_of(_rate_claim("intranasal"), mixed, rules)
    assert v.pooled is None, v.reasons
    one = [rate_record("1", 30, 100), rate_record("2", 35, 100), rate_record("3", 40, 100)]
    v = verdict_of(_rate_claim("intranasal"), one, rules)
    assert v.pooled is not None and v.pooled.k == 3


# ------------------------------------------------------------------ item 5: where a number comes from


def test_a_matching_single_arm_series_is_named_next_to_the_pooled_controlled_estimate(rules: Rules) -> None:
    # Catches: a page's 71% traced to nothing, or traced to the series but without what controlled
    # trials show; and an unrelated figure named as the source.
    series = rate_record("7", 17, 24, "single_arm_open_label")
    trials = [rate_record("1", 30, 100), rate_record("2", 35, 100), rate_record("3", 40, 100)]
    v = verdict_of(replace(_rate_claim(), threshold=Threshold("~", 71.0, "%")), [series, *trials], rules)
    source = [r for r in v.reasons if "may come from" in r]
    assert source and "7 (single arm open label, n = 24)" in source[0], v.reasons
    assert any(r.startswith("pooled response") for r in v.reasons)
    v = verdict_of(replace(_rate_claim(), threshold=Threshold("~", 90.0, "%")), [series, *trials], rules)
    assert not any("may come from" in r for r in v.reasons)


# ------------------------------------------------------------------ item 6: same sentence, same verdict


_PAGES = (
    "Ketamine infusions at our centre.\n\nKetamine for depression.\n\nKetamine helps depression. Depression is common.",
    "Ketamine infusions at our centre.\n\nKetamine for chronic pain.\n\nKetamine eases chronic pain. Pain is hard.",
    "Ketamine infusions at our centre.\n\nKetamine for PTSD.\n\nKetamine helps PTSD. PTSD is common.",
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine is FDA-approved.",
        "Spravato is FDA-approved.",
        "Ketamine is a Schedule III controlled substance.",
        "Ketamine is legal.",
        "Ketamine relieves treatment-resistant depression.",
        "Our ketamine treatment is FDA-approved.",
    ],
)
def test_the_same_sentence_on_two_pages_gets_the_same_verdict(rules: Rules, sentence: str) -> None:
    # Catches: conditions (or approvals) imported from elsewhere on the page (J, item 6).
    index = InMemoryIndex([record("1", n=80), record("2", n=90)], rules)
    seen = set()
    for page in _PAGES:
        out = report_to_json(check_page(page + "\n\n" + sentence + "\n", "p.txt", index, rules))
        got = [(c["kind"], c["verdict"], c["certainty"]) for c in out["claims"] if c["text"] == sentence]
        assert got, sentence
        seen.add(tuple(got))
    assert len(seen) == 1, seen


# ------------------------------------------------------------------ F: one reconciliation rule


def test_a_compound_claim_with_a_contradicted_part_follows_the_one_stated_rule(rules: Rules) -> None:
    # Catches: two reconciliation rules — a claim whose conditions are supported and contradicted
    # reconciled one way while a sentence whose kinds are supported and contradicted goes another.
    # The legend's rule: some parts hold → partly supported; none holds, one contradicted → contradicted.
    both = replace(efficacy(), indication=("treatment_resistant_depression", "ocd"))
    ocd_null = replace(_review("null"), id="8", tags={**record("8").tags, "indication": ("ocd",)})
    v = verdict_of(both, [record("1", n=80), record("2", n=90), ocd_null], rules)
    assert v.verdict == "partly_supported", v.reasons
    assert v.verdict == reconcile(["supported", "contradicted"])
    v = verdict_of(both, [ocd_null], rules)  # depression: nothing; OCD: contradicted
    assert v.verdict == "contradicted", v.reasons
    assert v.verdict == reconcile(["insufficient_evidence", "contradicted"])
    out = report_to_json(
        check_page(
            LEAD + "Ketamine relieves depression and is not addictive.\n", "t.txt", InMemoryIndex([], rules), rules
        )
    )
    assert out["reconcile_rule"] == RECONCILE_RULE


# ------------------------------------------------------------------ H: extraction, both directions


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        # sparing claims
        ("Ketamine reduces the need for opioids after surgery.", "Online booking reduces the need for phone calls."),
        # "Label: text" bullets
        ("Rapid relief: ketamine can ease depression within hours.", "Opening hours: Monday to Friday, 9 to 5."),
        # "a promising treatment for X"
        ("Ketamine is a promising treatment for PTSD.", "Our clinic is a promising place to work."),
        # "cures"
        ("Ketamine cures depression.", "Our staff care about depression."),
    ],
)
def test_extraction_misses_both_directions(rules: Rules, yes: str, no: str) -> None:
    # Catches: claims outside the cue vocabulary missed (H), or the same cue words making a claim of
    # a sentence that is not about the drug (I).
    assert reading(yes, rules)["checkable"], yes
    assert not reading(no, rules)["checkable"], no


# ------------------------------------------------------------------ stored sentence roles


def test_result_sentences_are_read_from_the_stored_roles() -> None:
    # Catches: the timing judge re-reading roles from the abstract instead of using the roles the
    # stored study profile assigned (from the abstract's labelled sections).
    text = "Depressive symptoms improved within 4 hours of the ketamine infusion."
    as_result = record("41", abstract=text)
    assert as_result.profile is not None
    assert result_sentence(replace(as_result, profile={**as_result.profile, "roles": ["results"]}), text)
    as_methods = replace(record("42", abstract=text), profile={**as_result.profile, "roles": ["methods"]})
    assert not result_sentence(as_methods, text)


# ------------------------------------------------------------------ the README states the legend's rules


def test_the_readme_states_the_rules_the_legend_prints() -> None:
    # Catches: the README's claim-checking section drifting from the legend every report prints
    # (thresholds, the contradicted rules, the reconciliation and pooling rules).
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Verdict rules.**") : readme.index("**What decided it.**")]
    policy = packaged_policy()
    legend = " ".join(policy.legend_lines())
    for number in (policy.adequate_rct_n, policy.adequate_total_n, policy.powered_null_n, policy.min_pool_arms):
        assert f" {number} " in legend and f"≥ {number} " in section, number
    for phrase in ("for a denial", "no part holds", "one product by one route", "magnitude or duration"):
        assert phrase in legend and phrase in section, phrase


# ------------------------------------------------------------------ comparisons of routes


def _routes_claim(text: str) -> Claim:
    return Claim(id="c9", text=text, kind="efficacy", location=HERE, indication=("treatment_resistant_depression",),
                 route=("intravenous", "oral"), molecule=("racemic_ketamine",))


def test_a_route_said_to_match_another_is_judged_only_by_studies_of_both(rules: Rules) -> None:
    # Catches: "oral ketamine is just as effective as IV infusions" supported by IV trials against
    # placebo, which say nothing of oral ketamine beside IV (a blind review found it on a troche page).
    claim = _routes_claim("Oral ketamine is just as effective as IV infusions for depression.")
    iv_trials = [record(str(i), n=90) for i in range(1, 5)]
    v = verdict_of(claim, iv_trials, rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("compares oral with intravenous head to head" in r for r in v.reasons), v.reasons
    assert "a comparison of routes, oral against intravenous" in v.as_tested
    # A study of both routes that finds them alike decides it, and one that finds oral behind contradicts.
    def both(rid: str, said: str) -> EvidenceRecord:
        trial = record(rid, n=90, abstract=said)
        return replace(trial, tags={**trial.tags, "route": ("intravenous", "oral")})

    alike = [both(str(20 + i), "Oral ketamine was as effective as intravenous ketamine.") for i in range(3)]
    assert verdict_of(claim, [*iv_trials, *alike], rules).verdict == "supported"
    behind = [both(str(30 + i), "Oral ketamine was less effective than intravenous ketamine.") for i in range(3)]
    assert verdict_of(claim, [*iv_trials, *behind], rules).verdict == "contradicted"


def test_a_treatment_comparator_is_still_a_head_to_head_claim(rules: Rules) -> None:
    claim = replace(_routes_claim("IV ketamine is as effective as ECT for depression."), route=("intravenous",))
    v = verdict_of(claim, [record("1", n=90)], rules)
    assert "a head-to-head claim against ect" in v.as_tested and "comparison of routes" not in v.as_tested


def test_as_effective_as_names_the_other_treatment(rules: Rules) -> None:
    # "A was as effective as B" compares A with B though no "than/to" follows the cue.
    from ketlit.claims.verdict import _head_to_head

    said = _head_to_head("Ketamine was as effective as ECT in this trial.", rules.molecule_generic,
                         rules.comparators["ect"], rules)
    assert said is not None and said[0] == "equal"
    assert _head_to_head("Ketamine was as effective as expected.", rules.molecule_generic,
                         rules.comparators["ect"], rules) is None


def test_an_antidepressant_effect_is_not_an_antidepressant_comparator(rules: Rules) -> None:
    from ketlit.claims.verdict import _head_to_head

    ads = rules.comparators["antidepressants"]
    # "rapid antidepressant effects" names an effect, not the other treatment.
    assert not ads.any("Ketamine has rapid antidepressant effects.")
    assert ads.any("Ketamine was compared with oral antidepressants.")
    assert ads.any("Ketamine versus standard antidepressant treatment.")
    said = _head_to_head("Ketamine showed no significant difference in antidepressant effects at day 7.",
                         rules.molecule_generic, ads, rules)
    assert said is None
    # Ketamine added to an antidepressant is the combination against placebo plus it.
    combined = rules.comparator_combined["antidepressants"]
    assert combined.any("Esketamine plus an oral antidepressant was compared with placebo plus an antidepressant.")
    assert combined.any("when ketamine was added to ongoing antidepressant treatment")


def test_the_other_form_named_in_a_comparison_is_the_comparator_not_the_drug(rules: Rules) -> None:
    from ketlit.claims.extract import extract_claims
    from ketlit.claims.verdict import _comparison

    for sentence in ("IV ketamine is as effective as esketamine for depression.",
                     "Studies show IV ketamine and esketamine are equally effective for depression."):
        claim = next(c for c in extract_claims(sentence, rules) if c.kind == "efficacy")
        assert claim.molecule == ("racemic_ketamine",), sentence
        assert _comparison(claim, rules) == ("esketamine", "equal", "racemic_ketamine"), sentence
    # A form named as the subject stays the drug; placebo is no comparator.
    claim = next(c for c in extract_claims("Esketamine is more effective than placebo.", rules))
    assert claim.molecule == ("esketamine",) and _comparison(claim, rules) is None
    # "A and B are equally effective" names B as the other treatment.
    claim = next(c for c in extract_claims("Ketamine and ECT are equally effective for depression.", rules))
    assert _comparison(claim, rules) == ("ect", "equal", "racemic_ketamine")


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The label gives the anaesthetic's onset (seconds to minutes): "fast-acting" is borne out by it,
        # though no study in a psychiatric cache times an anaesthesia.
        ("Ketamine was first developed as a fast-acting anesthetic.", "supported"),
        ("When used for anesthesia, ketamine works within 5 minutes.", "supported"),
    ],
)
def test_an_approved_anaesthetic_s_onset_is_judged_on_its_label(rules: Rules, sentence: str, verdict: str) -> None:
    claims = [c for c in extract_claims(LEAD + sentence, rules) if c.kind == "onset" and sentence[:25] in c.text]
    assert claims, sentence
    got = judge(claims[0], InMemoryIndex([], rules).candidates(claims[0]), rules)
    assert got.verdict == verdict, (got.verdict, got.reasons)
    assert got.certainty == "high" and got.decisive[0].id.startswith("ketalar_label_onset"), got.decisive
    # A bound between the label's earliest and latest time is borne out in part; one before its earliest, not at all.
    for hours, expected in ((0.03, "partly_supported"), (0.001, "contradicted")):
        tighter = replace(claims[0], threshold=Threshold("<=", hours, "hours"))
        assert judge(tighter, InMemoryIndex([], rules).candidates(tighter), rules).verdict == expected
    # Seconds are shown as seconds (the IV label's 30 s is no "0 min"); a bound of another kind ("after at
    # least an hour", "about an hour") is no "within" the label can answer: the studies decide it.
    assert any("30 s" in r for r in got.reasons), got.reasons
    for op in (">=", "~"):
        other = replace(claims[0], threshold=Threshold(op, 1.0, "hours"))
        v = judge(other, InMemoryIndex([], rules).candidates(other), rules)
        assert not any(d.id.startswith("ketalar_label_onset") for d in v.decisive), v.decisive
