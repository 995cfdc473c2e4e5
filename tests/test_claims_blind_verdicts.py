"""General causes found on a blind verdict key (five clinic pages written and keyed by a helper before
ketlit was run on them, 48/58 sentences agreeing; the pages and key stay outside the repo). Every
sentence here is made up for the test, with the near miss that must stay as it was next to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from ketlit.claims.check import CheckReport, check_page
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.numbers import find_times, upper_hours
from ketlit.claims.rules import Rules

LEAD = "Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"


def check_sentence(sentence: str, rules: Rules, records: Sequence[EvidenceRecord] = ()) -> CheckReport:
    """``ketlit check`` of a page holding the sentence, against ``records`` (none: regulatory facts only)."""
    return check_page(LEAD + sentence + "\n", "p.txt", InMemoryIndex(records, rules), rules)


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
        # How often, not never: reports that the harm happens do not contradict "most patients … without it".
        ("Most patients finish their infusion without any nausea.", "minimising"),
        ("The majority of our patients never experience nausea.", "minimising"),
        # "never experience" denies it (it was read as acknowledging, so "documented: nausea" supported it).
        ("Patients never experience nausea with ketamine.", "denial"),
        # A risk stated, then what is done about it: no denial of the drug's effect ("without any nausea
        # medication", "never get an infusion on a full stomach", "never experience it alone" were read as
        # denials, so a sentence admitting the risk came out contradicted by the reports of it).
        ("Ketamine can cause nausea, and patients usually manage it without any nausea medication.", "acknowledging"),
        ("Nausea can occur with ketamine, so patients never get an infusion on a full stomach.", "assertion"),
        ("Dissociation is common with ketamine, and first-time patients never experience it alone.", "acknowledging"),
        ("Ketamine can raise blood pressure, so patients with heart disease never have infusions here.", "assertion"),
        ("Patients never experience a single side effect with ketamine.", "denial"),
        # A tiny share is how often, not a comparison ("fewer than 1%" was read as comparing products).
        ("Fewer than 1% of patients experience any side effects.", "minimising"),
        ("Ketamine causes fewer side effects than most antidepressants.", "comparative"),
        # A myths-and-facts page's denial ("an internet myth", "never been shown to harm") was read as stating the risk.
        ("Bladder damage is an internet myth, and ketamine has never been shown to harm the bladder.", "denial"),
        # "There is no" denies a harm only when a harm follows ("there is no on-site monitoring" denies nothing).
        ("The FDA has warned that compounded ketamine used at home carries risks because there is no on-site "
         "monitoring.", "assertion"),
        ("With ketamine there is no risk of addiction.", "denial"),
        # Needing no one to watch a session denies the risk that watching is for.
        ("Lozenges cause little dissociation, so there is no need for anyone to watch you during a session.",
         "denial"),
    ],
)
def test_the_stance_a_safety_sentence_takes(sentence: str, stance: str, rules: Rules) -> None:
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


def _rates(sentence: str, rules: Rules) -> list[tuple[str, float, str]]:
    from ketlit.claims.numbers import rates_in_sentence

    return [(r.construct, r.pct, r.arm) for r in rates_in_sentence(sentence, rules)]


def test_rates_listed_respectively_belong_to_the_arms_named_in_order(rules: Rules) -> None:
    """"… greater with ketamine than with midazolam (odds ratio, 2.18; 95% CI …), with response rates of 64%
    and 28%, respectively" gave both rates an unknown arm, so a drug-arm response rate was never read."""
    assert _rates("The likelihood of response at 24 hours was greater with ketamine than with midazolam (odds "
                  "ratio, 2.18; 95% CI, 1.21 to 4.14), with response rates of 64% and 28%, respectively.", rules) == [
        ("response", 64.0, "active"), ("response", 28.0, "comparator")]
    assert _rates("Response rates in the placebo and ketamine groups were 20% and 55%, respectively.", rules) == [
        ("response", 20.0, "comparator"), ("response", 55.0, "active")]
    # A pair of trials of one arm, in its own clause, is not a pair of arms.
    found = _rates("Remission was 63% with ECT in one trial and 22% in another, while the remission rates for "
                   "ketamine were 46% and 38%, respectively.", rules)
    assert [(c, p, a) for c, p, a in found if p in (46.0, 38.0)] == [
        ("remission", 46.0, "active"), ("remission", 38.0, "active")]


def test_a_rate_takes_the_construct_right_after_it(rules: Rules) -> None:
    """"71% met response and 29% met remission criteria": the 29% was read as a response rate."""
    assert _rates("Of the 17 subjects treated with ketamine, 71% met response and 29% met remission criteria the "
                  "day following ketamine infusion.", rules) == [("response", 71.0, "active"),
                                                                  ("remission", 29.0, "active")]
    # A cue after punctuation does not take a rate from the cue before it.
    assert [c for c, _, _ in _rates("Ketamine-treated patients had lower response (47.8% versus 51.2%, p > 0.05) "
                                     "and remission (17.4% versus 27.9%, p > 0.05).", rules)] == [
        "response", "response", "remission", "remission"]


@pytest.mark.parametrize(
    ("sentence", "arms"),
    [
        # Arms named after the list are its arms, whatever a fronted comparison named first.
        ("Compared with midazolam, ketamine produced a greater response, with rates of 64% and 28% in the ketamine "
         "and midazolam groups, respectively.", ["active", "comparator"]),
        ("Unlike placebo, ketamine produced response rates of 50% and 20% in the ketamine and placebo groups, "
         "respectively.", ["active", "comparator"]),
        ("In this placebo-controlled trial, response rates at 24 hours were 52% and 18% in the esketamine and "
         "placebo arms, respectively.", ["active", "comparator"]),
        ("Versus placebo, esketamine improved remission rates (36% and 22% for esketamine and placebo, "
         "respectively).", ["active", "comparator"]),
    ],
)
def test_respectively_pairs_the_arms_the_list_names(sentence: str, arms: list[str], rules: Rules) -> None:
    assert [a for _, _, a in _rates(sentence, rules)] == arms


def test_a_design_or_fronted_comparator_gives_no_order(rules: Rules) -> None:
    """"placebo-controlled trial of esketamine …, 52% and 18%, respectively": placebo is the design, not the
    first arm listed; the drug's rate must never be read as placebo's."""
    found = _rates("In this placebo-controlled trial of esketamine, response rates at 24 hours were 52% and 18%, "
                   "respectively.", rules)
    assert ("response", 52.0, "comparator") not in found


@pytest.mark.parametrize(
    "sentence",
    ["Mild dissociation is common and resolves without any treatment.",
     "Ketamine can cause dissociation, and patients should not drive without any escort.",
     "Patients improved without any change in medication, although dissociation is common during the infusion."],
)
def test_without_any_other_thing_is_no_denial(sentence: str, rules: Rules) -> None:
    safety = [c for c in claims_of(sentence, rules) if c.kind == "safety"]
    assert safety and all(c.safety_stance != "denial" for c in safety), [c.safety_stance for c in safety]


def test_a_relapse_share_among_remitters_is_no_remission_rate_and_an_arm_past_a_comparison_is_the_others(
    rules: Rules,
) -> None:
    """KetECT (35020871), a landmark: "Among remitters, 70% and 63% … relapsed within 12 months in the ketamine
    and ECT groups, respectively" was read as 70% remission with ketamine at 12 months once the arms were paired;
    "Among patients receiving ECT, 63% remitted compared with 46% receiving ketamine" gave ECT's 63% to ketamine."""
    assert _rates("Among remitters, 70% and 63%, with 57 and 61 median days in remission, relapsed within 12 "
                  "months in the ketamine and ECT groups, respectively.", rules) == []
    assert _rates("Among patients receiving ECT, 63% remitted compared with 46% receiving ketamine infusions.",
                  rules) == [("remission", 63.0, "comparator"), ("remission", 46.0, "active")]
    # A timepoint or a second rate of the same arm between the number and its arm changes nothing.
    assert _rates("Fourteen patients (54%) met response criterion 72 h following ketamine.", rules) == [
        ("response", 54.0, "active")]


def test_the_proportion_of_responders_is_the_arms_rate(rules: Rules) -> None:
    """"Among responders, 70% relapsed" is no rate of the arm, but "the proportion of responders was 64% in the
    ketamine group" is: it was dropped, while the comparator's 28% was kept for pooling."""
    assert _rates("The proportion of responders was 64% in the ketamine group and 28% in the midazolam group.",
                  rules) == [("response", 64.0, "active"), ("response", 28.0, "comparator")]
    assert _rates("The percentage of remitters at day 28 was 40% with esketamine versus 25% with placebo.",
                  rules) == [("remission", 40.0, "active"), ("remission", 25.0, "comparator")]
    assert [p for _, p, _ in _rates("Among remitters, 70% relapsed with ketamine within a year.", rules)] == []


def test_outcomes_named_as_a_pair_take_the_numbers_in_their_order(rules: Rules) -> None:
    """A meta-analysis's "Response and remission rates at 24 and 72 h, and day 7 were 52.2% and 20.6%; …" gave
    52.2% to remission (at day 7), contradicting a page's "one in four remit" on three pages."""
    found = _rates("Response and remission rates at 24 and 72 h, and day 7 were 52.2% and 20.6%; 55.7% and 23.8%; "
                   "and 45.3% and 23.5%, respectively.", rules)
    assert [(c, p) for c, p, _ in found] == [("response", 52.2), ("remission", 20.6), ("response", 55.7),
                                             ("remission", 23.8), ("response", 45.3), ("remission", 23.5)]
    assert [(c, p) for c, p, _ in _rates("The response and remission rates were 64% and 40%, respectively.",
                                         rules)] == [("response", 64.0), ("remission", 40.0)]


def test_a_list_after_timepoints_is_no_pair_of_arms(rules: Rules) -> None:
    """"superior to midazolam at 24 hours and at 7 days, with response rates of 64% and 55%, respectively": the
    two rates are two times, not ketamine and midazolam (the 55% was given to midazolam)."""
    found = _rates("Ketamine was superior to midazolam at 24 hours and at 7 days, with response rates of 64% and "
                   "55%, respectively.", rules)
    assert [(p, a) for _, p, a in found] == [(64.0, "unknown"), (55.0, "unknown")]


# ------------------------------------------------------------------ second blind key (six pages, 72 sentences)


@pytest.mark.parametrize(
    ("sentence", "kind", "indication"),
    [
        # Addiction as the condition treated is no harm of the drug ("addicted" sent this down the safety track,
        # where "addiction documented (DEA schedule)" supported it).
        ("In people addicted to heroin, ketamine-assisted psychotherapy more than doubled abstinence rates compared "
         "with standard care.", "efficacy", ("substance_use_disorder",)),
        # Outcomes raised or brought about are effect wording ("led to more remissions" was no claim).
        ("Against quetiapine, esketamine led to more remissions at week 8.", "efficacy", None),
        ("Ketamine increased the number of days abstinent in the trial.", "efficacy", None),
        # Alcohol named as what is craved: the alcohol trials are the evidence.
        ("Ketamine has been shown to reduce alcohol cravings.", "efficacy", ("alcohol_use_disorder",)),
        # The drug's own addictiveness stays a safety claim.
        ("Some people become addicted to ketamine.", "safety", None),
        ("Ketamine can be addictive.", "safety", None),
    ],
)
def test_what_a_sentence_about_addiction_claims(
    sentence: str, kind: str, indication: tuple[str, ...] | None, rules: Rules
) -> None:
    found = claims_of(sentence, rules)
    assert found and found[0].kind == kind, [(c.kind, c.safety_topics) for c in found]
    if indication is not None:
        assert set(indication) <= set(found[0].indication), found[0].indication


@pytest.mark.parametrize(
    "sentence",
    [
        "Our program is licensed by the Florida Department of Children and Families.",
        "Harbourside is a CQC-registered private clinic offering ketamine treatment for adults with depression.",
        "We have given more than 4,000 infusions without a single case of addiction.",
        "Many of our cluster patients call ketamine the first thing that has ever touched the pain.",
        "We work with your pain physician to taper medications when it is safe to do so.",
        "Every person's brain is different, and the right treatment is the one that works for you.",
    ],
)
def test_the_clinics_own_licence_and_counts_are_not_claims(sentence: str, rules: Rules) -> None:
    # (Also the third key's: what the clinic's own patients say, a procedure "when it is safe to do so", a platitude.)
    assert not claims_of(sentence, rules), [(c.kind, c.checkability) for c in claims_of(sentence, rules)]


def test_a_claim_about_addiction_has_the_alcohol_trials_as_direct_evidence(rules: Rules) -> None:
    family = rules.family("substance_use_disorder")
    assert "alcohol_use_disorder" in family.direct
    assert "substance_use_disorder" in rules.family("alcohol_use_disorder").indirect


def test_memory_loss_is_a_lasting_harm_by_name(rules: Rules) -> None:
    """"Unlike ECT, ketamine does not cause memory loss" was contradicted by reports of confusion during infusions;
    like "no long-term memory problems" it denies lasting harm, which short-lived effects do not contradict."""
    lasting = rules.safety_terms["lasting"]
    assert lasting.any("Unlike ECT, ketamine treatment does not cause memory loss.")
    assert not lasting.any("Ketamine does not cause nausea.")


def test_trials_reported_as_negative_deny_the_benefit(rules: Rules) -> None:
    """"The esketamine trials in suicidal patients did not show a clear advantage over placebo" was read as the
    claim that esketamine works, then contradicted by the label that says so too."""
    (claim,) = claims_of("The esketamine nasal spray trials in suicidal patients did not show a clear advantage over "
                         "placebo on the severity of suicidality.", rules)
    assert claim.kind == "efficacy" and claim.denied, claim
    (claim,) = claims_of("Esketamine failed to show a benefit over placebo for depression.", rules)
    assert claim.denied


def test_benefits_for_a_condition_are_no_duration(rules: Rules) -> None:
    assert [c.kind for c in claims_of("Ketamine has shown benefits for depression.", rules)] == ["efficacy"]
    assert "duration" in [c.kind for c in claims_of("Ketamine provides benefits for several months.", rules)]


def test_trials_named_by_what_they_studied_attribute_the_claim(rules: Rules) -> None:
    (claim,) = claims_of("Ketamine was generally well tolerated in PTSD trials, and its dissociative effects wore off.",
                         rules)
    assert claim.strength == "attributed"
    assert claims_of("Ketamine is generally well tolerated by patients.", rules)[0].strength != "attributed"


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # Sentences that lean on the page for the drug, with effect wording ketlit did not know (each was dropped).
        ("Most people notice their flashbacks and nightmares fading after the very first infusion.", "efficacy"),
        ("The effect of one infusion on drinking has been shown to last at least three weeks.", "duration"),
        ("For anxiety, scores fall by about 50% within an hour of a dose.", "onset"),
    ],
)
def test_effect_wording_on_a_page_about_the_drug(sentence: str, kind: str, rules: Rules) -> None:
    found = claims_of(sentence, rules)
    assert kind in [c.kind for c in found], [(c.kind, c.checkability) for c in found]


def test_how_far_scores_fell_is_no_share_of_patients(rules: Rules) -> None:
    """"Scores fall by about 50%" was read as a 50% response rate."""
    kinds = [c.kind for c in claims_of("For anxiety, scores fall by about 50% within an hour of a dose.", rules)]
    assert "efficacy_rate" not in kinds
    assert "efficacy_rate" in [c.kind for c in claims_of("About 50% of patients respond within a day.", rules)]


# ------------------------------------------------------------------ third blind key (six pages, 76 sentences)


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # Result wording a page uses for a study it reports (each was "no wording ketlit can test" or dropped).
        ("In a placebo-controlled trial of adults with social anxiety disorder, one ketamine infusion produced a "
         "significantly greater drop in anxiety scores than placebo.", "efficacy"),
        ("For generalized anxiety disorder, ketamine is now a proven, evidence-based option.", "efficacy"),
        ("In a large trial, ketamine infusions worked as well as electroconvulsive therapy.", "efficacy"),
        ("Patients who kept taking esketamine after responding were about half as likely to relapse.", "efficacy"),
        ("In one trial, 79% of people with bipolar depression responded to a single infusion.", "efficacy_rate"),
        ("In a review of 77 patients with chronic migraine, about 7 in 10 had meaningful pain reduction.", "efficacy"),
        # A mechanism named beside a result against placebo is a claim about the result.
        ("In a Cochrane review, ketamine was the only glutamate-targeting drug that outperformed placebo.", "efficacy"),
        # Keeping the condition away for a time says how long the benefit lasts.
        ("One infusion is usually enough to keep depression away for six months or more.", "duration"),
    ],
)
def test_result_wording_of_reported_studies(sentence: str, kind: str, rules: Rules) -> None:
    found = claims_of(sentence, rules)
    assert kind in [c.kind for c in found], [(c.kind, c.checkability) for c in found]


def test_another_form_of_the_drug_working_as_well_is_no_efficacy_claim(rules: Rules) -> None:
    """"Arketamine works just as well as ketamine without any dissociation" gained an efficacy part judged on
    racemic ketamine's trials; the comparison is between forms of the drug."""
    kinds = [c.kind for c in claims_of("Arketamine works just as well as ketamine without any dissociation.", rules)]
    assert "efficacy" not in kinds and "safety" in kinds


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The use named in a later approval word ("FDA-sanctioned") is the one the sentence claims approved.
        ("Because ketamine has been FDA-approved for more than fifty years, using it for anxiety is fully "
         "FDA-sanctioned.", "contradicted"),
        # "Under 18" names minors: no approval covers them (the sentence agrees with the label).
        ("Esketamine nasal spray is not approved for anyone under 18.", "supported"),
    ],
)
def test_what_a_regulatory_sentence_claims_approved(sentence: str, verdict: str, rules: Rules) -> None:
    report = check_sentence(sentence, rules)
    verdicts = {c.verdict.verdict for c in report.claims if c.claim.checkable and sentence[:30] in c.claim.text}
    assert verdicts == {verdict}, verdicts


# ------------------------------------------------------------------ a review of this stop's rules (each was misread)


@pytest.mark.parametrize(
    ("sentence", "kind", "stance"),
    [
        ("Ketamine has a low potential for addiction when used in a clinic.", "safety", "minimising"),
        ("Ketamine can be addictive to some people, especially with frequent use.", "safety", "assertion"),
        ("Patients never experience a hallucination at our low ketamine doses.", "safety", "denial"),
        ("Side effects such as dizziness usually wear off in less than an hour.", "safety", "transience"),
        ("Patients who did not show any improvement on antidepressants often respond to ketamine.", "efficacy", None),
        ("Ketamine could be what works for you when other treatments have failed.", "efficacy", None),
    ],
)
def test_rules_of_this_stop_in_the_other_direction(sentence: str, kind: str, stance: str | None, rules: Rules) -> None:
    found = [c for c in claims_of(sentence, rules) if c.kind == kind]
    assert found, [(c.kind, c.checkability) for c in claims_of(sentence, rules)]
    assert stance is None or found[0].safety_stance == stance, found[0].safety_stance
    if kind == "efficacy":
        assert not found[0].denied


def test_history_of_surgical_use_is_no_prevention_claim(rules: Rules) -> None:
    from ketlit.claims.policy import packaged_policy

    policy = packaged_policy()
    assert policy.construct_of("Ketamine was developed for use during surgery; today it helps with PTSD.") is None
    assert policy.construct_of("A dose during a C-section lowered the rate of postpartum depression.") is not None


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [("The FDA has not approved ketamine for depression.", "supported"),
     ("The MHRA has not licensed ketamine for depression.", "supported")],
)
def test_a_use_named_after_the_drug_is_the_use_denied(sentence: str, verdict: str, rules: Rules) -> None:
    report = check_sentence(sentence, rules)
    verdicts = {c.verdict.verdict for c in report.claims if c.claim.checkable and sentence[:20] in c.claim.text}
    assert verdicts == {verdict}


# ------------------------------------------------------------------ fourth blind key (four pages, 49 sentences)


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # An approval sentence naming a form no approval covers, or a setting a restriction rules out: "has
        # approvals" (the anaesthetic injection, the supervised nasal spray) answered neither.
        ("Ketamine lozenges are FDA-approved.", "contradicted"),
        ("Ketamine lozenges are not FDA-approved.", "supported"),
        ("Spravato, the esketamine nasal spray, is approved for new mothers to use at home.", "contradicted"),
        ("Ketamine infusions are FDA-approved.", "supported"),
        # "First responders" are people, not a response to treatment: no efficacy part dilutes a false approval.
        ("Ketamine is FDA-approved for the treatment of PTSD in first responders.", "contradicted"),
    ],
)
def test_an_approval_is_read_for_the_form_and_setting_the_sentence_names(
    sentence: str, verdict: str, rules: Rules
) -> None:
    report = check_sentence(sentence, rules)
    found = [c for c in report.claims if c.claim.checkable and sentence[:20] in c.claim.text]
    assert {c.claim.kind for c in found} == {"regulatory"}, [(c.claim.kind, c.verdict.verdict) for c in found]
    assert {c.verdict.verdict for c in found} == {verdict}, [c.verdict.reasons for c in found]


def test_safe_at_home_with_compounded_ketamine_is_what_the_fda_warned_against(rules: Rules) -> None:
    sentence = "At-home ketamine lozenges are a safe option for busy shift workers."
    report = check_sentence(sentence, rules)
    (safety,) = [c for c in report.claims if c.claim.kind == "safety"]
    assert safety.verdict.verdict == "contradicted", safety.verdict.reasons
    assert any(d.id == "fda_compounded_ketamine_2023" for d in safety.verdict.decisive), safety.verdict.decisive


def test_a_tiny_share_of_patients_is_judged_against_the_rates_studies_report(rules: Rules) -> None:
    """"Fewer than 1 in 100 patients experience any side effects" was "documented, size uncertain" (partly) while
    trials report side effects in a fifth to a quarter of patients or more."""
    from tests.test_claims_synthesis import record

    def trial(rid: str, pct: int) -> EvidenceRecord:
        r = record(rid, abstract=f"RESULTS: Dissociation occurred in {pct}% of patients receiving ketamine.")
        assert r.profile is not None  # the stored profile says the results report adverse events
        events = [{"s": 0, "event": "dissociation", "presence": "present", "rates": []}]
        return replace(r, profile={**r.profile, "roles": ["results"], "adverse_events": events})

    for sentence, verdict in (("Fewer than 1% of patients experience dissociation with ketamine.", "contradicted"),
                              ("Fewer than 50% of patients experience dissociation with ketamine.", None)):
        report = check_sentence(sentence, rules, [trial("1", 25), trial("2", 30)])
        (safety,) = [c for c in report.claims if c.claim.kind == "safety"]
        if verdict is None:
            assert not any("the page says at most" in r for r in safety.verdict.reasons), safety.verdict.reasons
        else:
            assert safety.verdict.verdict == verdict, safety.verdict.reasons
            assert any("the page says at most 1%" in r for r in safety.verdict.reasons), safety.verdict.reasons
