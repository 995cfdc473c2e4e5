"""Claim extraction and operationalisation: the real sample pages and generic phrasings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.rules import Rules

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "clinic_pages"


def _sample(name: str) -> str:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample page not available: {path} (tests read ../shared in place)")
    return path.read_text(encoding="utf-8")


def _find(claims: list[Claim], fragment: str) -> list[Claim]:
    return [c for c in claims if fragment in c.text]


def _kinds(claims: list[Claim], fragment: str) -> set[str]:
    found = _find(claims, fragment)
    assert found, f"no claim for {fragment!r}"
    return {c.kind for c in found}


def _page(text: str, rules: Rules) -> list[Claim]:
    # Enough drug mentions that the page is "about the drug", like a clinic page.
    return extract_claims(f"Ketamine therapy at our clinic.\n\nAbout ketamine.\n\n{text}", rules)


# ------------------------------------------------------------------ real sample pages


def test_clinic_page_checkable_sentences(rules: Rules) -> None:
    claims = extract_claims(_sample("clinic_what_is_ketamine.txt"), rules)
    assert _kinds(claims, "long-lasting relief") == {"duration"}
    assert _kinds(claims, "gained approval for use in sedating humans") == {"regulatory"}
    assert "efficacy" in _kinds(claims, "used today to treat chronic pain, anxiety, PTSD, migraines")
    assert _kinds(claims, "real, measurable, lasting benefit") == {"efficacy", "duration"}
    assert "efficacy" in _kinds(claims, "could provide symptom relief")
    assert "efficacy" in _kinds(claims, "One such treatment is ketamine therapy")
    treat = _find(claims, "used today to treat chronic pain")[0]
    assert {"chronic_pain", "anxiety", "ptsd", "migraine", "treatment_resistant_depression"} <= set(treat.indication)
    # The page is an IV infusion clinic: route inferred and said so.
    assert treat.route == ("intravenous",)
    assert treat.molecule == ("racemic_ketamine",)
    assert any("route intravenous inferred from the page" in n for n in treat.notes)
    duration = _find(claims, "long-lasting relief")[0]
    assert duration.threshold is not None and duration.threshold.op == ">=" and duration.threshold.value == 28
    fibro = _find(claims, "could provide symptom relief")[0]
    assert fibro.indication == ("fibromyalgia",) and fibro.hedged


def test_clinic_page_boilerplate_and_mechanism_not_checkable(rules: Rules) -> None:
    claims = extract_claims(_sample("clinic_what_is_ketamine.txt"), rules)
    for fragment in (
        "Now accepting Telehealth",
        "Schedule a virtual visit",
        "book an appointment online",
        "Read on to learn more",
    ):
        assert _kinds(claims, fragment) == {"not_checkable"}, fragment
    nmda = _find(claims, "binds with N-methyl-d-aspartate")
    assert nmda and nmda[0].kind == "not_checkable" and "mechanism" in (nmda[0].not_checkable_reason or "")
    # Disease descriptions and questions are not claims at all.
    assert not _find(claims, "Fibromyalgia affects millions")
    assert not _find(claims, "Can Ketamine Infusions Help My PTSD?")
    assert not _find(claims, "innovative therapies to treat PTSD symptoms.") or all(
        "One such treatment" in c.text for c in _find(claims, "innovative therapies")
    )


def test_pharmacy_page_checkable_sentences(rules: Rules) -> None:
    claims = extract_claims(_sample("pharmacy_quick_intro.txt"), rules)
    assert _kinds(claims, "as an anesthetic agent is FDA-approved") == {"regulatory"}
    reg = _find(claims, "as an anesthetic agent is FDA-approved")[0].regulatory
    assert reg is not None and {"approval", "off_label"} <= set(reg.topics)
    assert reg.approval_indications == ("anesthesia_sedation",)
    onset = _find(claims, "Effects may be felt within hours")[0]
    assert onset.kind == "onset" and onset.threshold is not None
    assert (onset.threshold.op, onset.threshold.value, onset.threshold.unit) == ("<=", 24.0, "hours")
    assert not onset.drug_named and any("attributed" in n for n in onset.notes)
    minimal = _find(claims, "addiction risk is minimal")[0]
    assert (minimal.kind, minimal.safety_stance, minimal.safety_topics[0]) == ("safety", "minimising", "addiction")
    denial = _find(claims, "not neurologically addictive")[0]
    assert (denial.kind, denial.safety_stance) == ("safety", "denial")
    assert _find(claims, "typically subside quickly")[0].safety_stance == "transience"
    assert _kinds(claims, "benefits for days or weeks") == {"duration"}
    assert "efficacy" in _kinds(claims, "Patients can find relief when other treatments fail")
    relief = _find(claims, "Patients can find relief when other treatments fail")[0]
    assert "treatment_resistant_depression" in relief.indication
    both = _kinds(claims, "rapid improvement in mood and reduction of suicidal thoughts")
    assert both == {"efficacy", "onset"}
    rapid = next(c for c in _find(claims, "rapid improvement in mood") if c.kind == "efficacy")
    assert set(rapid.route) == {"intravenous", "intranasal"}
    assert {"depression", "suicidal_ideation"} <= set(rapid.indication)
    assert "regulatory" in _kinds(claims, "classified as a Schedule III controlled substance")
    assert "safety" in _kinds(claims, "Misuse can lead to memory issues")
    persist = _kinds(claims, "therapeutic impact on mood and pain can persist for days")
    assert persist == {"safety", "duration"}


def test_pharmacy_page_not_checkable(rules: Rules) -> None:
    claims = extract_claims(_sample("pharmacy_quick_intro.txt"), rules)
    for fragment in ("feel free to reach out", "we can help you get started", "We work closely with your care team"):
        assert _kinds(claims, fragment) == {"not_checkable"}, fragment
    helped = _find(claims, "has helped many patients")[0]
    assert helped.kind == "not_checkable" and helped.anecdote
    for fragment in ("blocks the N-methyl-D-aspartate", "targets glutamate receptors"):
        assert _kinds(claims, fragment) == {"not_checkable"}
    assert _kinds(claims, "Researchers are currently studying ketamine") == {"not_checkable"}
    assert not _find(claims, "Relief varies.") or _kinds(claims, "Relief varies.") == {"not_checkable"}


def test_claim_ids_are_sequential_and_locations_point_at_the_text(rules: Rules) -> None:
    text = _sample("pharmacy_quick_intro.txt")
    claims = extract_claims(text, rules)
    assert [c.id for c in claims] == [f"c{i}" for i in range(1, len(claims) + 1)]
    for c in claims:
        assert text[c.location.start : c.location.end].split() == c.text.split() or "One such" in c.text


# ------------------------------------------------------------------ generic phrasing


@pytest.mark.parametrize(
    ("sentence", "op", "value"),
    [
        ("Ketamine has over 60% success for depression.", ">", 60.0),
        ("Up to 70% of patients respond to ketamine.", "<=", 70.0),
        ("70% of patients respond to ketamine infusions.", "~", 70.0),
        ("At least 50% of our depression patients respond to ketamine.", ">=", 50.0),
        ("Seven out of 10 patients respond to ketamine for depression.", "~", 70.0),
        ("Ketamine helps 60-70% of people with treatment-resistant depression.", ">=", 60.0),
    ],
)
def test_rate_thresholds(rules: Rules, sentence: str, op: str, value: float) -> None:
    claims = [c for c in _page(sentence, rules) if c.kind == "efficacy_rate"]
    assert len(claims) == 1, [(c.kind, c.text) for c in _page(sentence, rules)]
    t = claims[0].threshold
    assert t is not None and (t.op, t.value, t.unit) == (op, value, "%")


def test_undefined_success_is_said(rules: Rules) -> None:
    claim = next(c for c in _page("Ketamine has over 60% success for depression.", rules) if c.kind == "efficacy_rate")
    assert claim.outcome == "response" and claim.outcome_defined is False
    assert any("does not define 'success'" in n for n in claim.notes)
    remission = next(
        c for c in _page("Over 40% of patients reach remission with ketamine.", rules) if c.kind == "efficacy_rate"
    )
    assert remission.outcome == "remission" and remission.outcome_defined


@pytest.mark.parametrize(
    ("sentence", "kind", "op", "value", "unit"),
    [
        ("Ketamine relieves depression within hours.", "onset", "<=", 24.0, "hours"),
        ("Ketamine infusions relieve depression within 40 minutes.", "onset", "<=", 0.667, "hours"),
        ("Ketamine infusions work in as little as 40 minutes.", "onset", "<=", 0.667, "hours"),
        ("Relief from ketamine lasts for weeks.", "duration", ">=", 14.0, "days"),
        ("The effects of ketamine can last weeks to months.", "duration", ">=", 14.0, "days"),
        ("Ketamine offers long-lasting relief from depression.", "duration", ">=", 28.0, "days"),
        # "Last up to 2 weeks": as long as that (in some); every shorter duration bore out the old "at most".
        ("The benefits of ketamine last up to 2 weeks.", "duration", ">=", 14.0, "days"),
        ("The effect of one infusion fades within two weeks.", "duration", "<=", 14.0, "days"),
    ],
)
def test_time_thresholds(rules: Rules, sentence: str, kind: str, op: str, value: float, unit: str) -> None:
    claims = [c for c in _page(sentence, rules) if c.kind == kind]
    assert claims, [(c.kind, c.text) for c in _page(sentence, rules)]
    t = claims[0].threshold
    assert t is not None and (t.op, round(t.value, 3), t.unit) == (op, value, unit)


def test_dosing(rules: Rules) -> None:
    claim = next(
        c for c in _page("We infuse ketamine at 0.5 to 1.0 mg/kg for depression.", rules) if c.kind == "dosing"
    )
    assert claim.dose is not None and (claim.dose.low, claim.dose.high, claim.dose.unit) == (0.5, 1.0, "mg/kg")


@pytest.mark.parametrize(
    ("sentence", "topics", "schedule", "negated"),
    [
        ("Ketamine is FDA-approved for depression.", ("approval",), None, False),
        ("Ketamine is a Schedule 3 controlled substance.", ("schedule", "controlled"), "III", False),
        ("IV ketamine is not FDA-approved for depression.", ("approval",), None, True),
        ("Off-label use of ketamine is legal.", ("off_label", "legal"), None, False),
        # Other regulators' words and schemes: a licence, a class, a Schedule in Arabic numerals.
        ("Ketamine is licensed in the UK as an anaesthetic.", ("approval",), None, False),
        ("Ketamine is not licensed for depression in the UK.", ("approval",), None, True),
        ("Ketamine is a Class B controlled drug.", ("schedule", "controlled"), "Class B", False),
        ("Ketamine is a Schedule 8 medicine in Australia.", ("schedule",), "8", False),
        ("NICE does not recommend esketamine.", ("hta",), None, False),
    ],
)
def test_regulatory_assertions(
    rules: Rules, sentence: str, topics: tuple[str, ...], schedule: str | None, negated: bool
) -> None:
    claim = next(c for c in _page(sentence, rules) if c.kind == "regulatory")
    assert claim.regulatory is not None
    assert claim.regulatory.topics == topics
    assert claim.regulatory.schedule == schedule
    assert claim.regulatory.negated is negated


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("“Ketamine saved my life. I finally feel like myself.” — Jenna, 41", "testimonial"),
        ("I felt better after my first ketamine infusion.", "testimonial"),
        ("Call us today to book your consultation.", "booking"),
        ("Ketamine blocks NMDA receptors and boosts BDNF.", "mechanism"),
        # The clinic's own surveys are its own results, however they are phrased.
        ("In our member surveys, 89% reported reduced anxiety after four sessions.", "the clinic's own"),
        ("85% of our patients report lasting relief from depression.", "the clinic's own"),
        ("Over 80% of our CRPS patients report meaningful relief.", "the clinic's own"),
        # Interactions with other medicines are no claim that the drug treats the condition named.
        ("Ketamine does not interact with most PTSD medications.", "interactions with other medicines"),
        ("Yes, ketamine can be given alongside most antidepressants.", "interactions with other medicines"),
        # Another medicine changing the drug's effect is an interaction too, however it is worded.
        ("Benzodiazepines may reduce the effect of ketamine.", "interactions with other medicines"),
        ("Lamotrigine can blunt the antidepressant effects of ketamine.", "interactions with other medicines"),
        ("Some medications may weaken ketamine's effect.", "interactions with other medicines"),
        # Insurance benefits are a plan's, not the drug's.
        ("Our benefits team will verify your coverage before your first appointment.", "insurance"),
        # A reference-list entry: authors with initials, or a journal's year;volume:pages.
        ("Murrough JW et al. Antidepressant efficacy of ketamine in treatment-resistant depression.", "reference-list"),
        ("Murrough JW, Iosifescu DV, Chang LC. Antidepressant efficacy of ketamine.", "reference-list"),
        ("Am J Psychiatry 2013;170(10):1134-42.", "reference-list"),
        # Who may prescribe it is a rule of practice, not an effect.
        ("Only a psychiatrist can prescribe ketamine for depression in New Zealand.", "practice"),
    ],
)
def test_not_checkable(rules: Rules, sentence: str, reason: str) -> None:
    claims = _page(sentence, rules)
    target = [c for c in claims if sentence[:20] in c.text]
    assert target and all(c.kind == "not_checkable" for c in target)
    assert reason in (target[0].not_checkable_reason or "")
    if reason == "testimonial":
        assert target[0].anecdote


@pytest.mark.parametrize(
    "sentence",
    [
        "Opioid medications relieve pain quickly.",  # another treatment is the subject
        "What is ketamine used for?",  # a question
        "Depression affects millions of Americans.",  # no claim cue
    ],
)
def test_not_claims(rules: Rules, sentence: str) -> None:
    assert not [c for c in _page(sentence, rules) if sentence[:15] in c.text]


def test_esketamine_page_molecule(rules: Rules) -> None:
    text = (
        "Spravato (esketamine) nasal spray is offered here.\n\n"
        "Spravato is FDA-approved for treatment-resistant depression."
    )
    claim = next(c for c in extract_claims(text, rules) if c.kind == "regulatory")
    assert claim.molecule == ("esketamine",)
    assert claim.regulatory is not None and claim.regulatory.approval_indications == ("treatment_resistant_depression",)


def test_bullets_are_claims_and_site_chrome_is_not(rules: Rules) -> None:
    page = (
        "<html><body><div>We use cookies to improve your experience.</div>"
        "<h1>Ketamine infusion therapy</h1><p>Ketamine infusions at our clinic.</p>"
        "<ul><li>Works within hours, not weeks</li><li>Non-addictive at therapeutic doses</li>"
        "<li>FDA-approved medication</li></ul><footer>© 2024 Clinic. All rights reserved.</footer></body></html>"
    )
    from ketlit.claims.text import page_from_bytes

    claims = extract_claims(page_from_bytes(page.encode(), "p.html").text, rules)
    kinds = {c.text: c.kind for c in claims}
    assert kinds.get("Works within hours, not weeks") == "onset"
    assert kinds.get("Non-addictive at therapeutic doses") == "safety"
    assert kinds.get("FDA-approved medication") == "regulatory"
    assert not [c for c in claims if "cookies" in c.text or "rights reserved" in c.text]


# ------------------------------------------------------------------ operationalisation (issue 13, J)


def _one(claims: list[Claim], fragment: str, kind: str) -> Claim:
    found = [c for c in _find(claims, fragment) if c.kind == kind]
    assert found, f"no {kind} claim for {fragment!r}: {[(c.kind, c.text) for c in _find(claims, fragment)]}"
    return found[0]


def test_recreational_use_is_not_a_usage_claim(rules: Rules) -> None:
    claims = _page("Because of these effects it has also been sold as a party drug and used as a club drug.", rules)
    assert _kinds(claims, "party drug") == {"safety"}
    # A medical usage statement still implies an efficacy claim.
    claims = _page("Ketamine is commonly used as an anesthetic in emergency departments.", rules)
    assert "efficacy" in _kinds(claims, "emergency departments")


def test_pain_free_and_pain_perception_are_not_chronic_pain(rules: Rules) -> None:
    from ketlit.claims.context import indications_in

    assert indications_in("It calms circuits linked to mood and pain perception.", rules) == ["depression"]
    assert indications_in("A pain-free, comfortable infusion suite.", rules) == []
    assert indications_in("It relieves back pain that has lasted for years.", rules) == ["chronic_pain"]


def test_page_conditions_count_mentions_not_pattern_hits(rules: Rules) -> None:
    from ketlit.claims.context import page_context

    # Each condition named once (two patterns match "chronic pain"; it is still one mention): the
    # page is about all of them, in the order it names them — none outranks the others.
    listing = (
        "Ketamine therapy.\n\nPain-Free Sessions\n\nKetamine is used for depression, PTSD and chronic pain. "
        "It acts fast."
    )
    assert page_context(listing, rules).indications == ("depression", "ptsd", "chronic_pain")
    # A condition named twice in a list on a page naming depression ten times is not what the page
    # is about; on a page naming depression three times it is.
    many = "Ketamine helps depression. " * 10 + "It may help anxiety. Anxiety is common."
    assert page_context(many, rules).indications == ("depression",)
    few = "Ketamine helps depression. " * 3 + "It may help anxiety. Anxiety is common."
    assert page_context(few, rules).indications == ("depression", "anxiety")


def test_a_comparators_time_is_not_the_drugs(rules: Rules) -> None:
    claims = _page("Unlike SSRIs, which can take six weeks to work, ketamine often brings relief within hours.", rules)
    onset = _one(claims, "six weeks", "onset")
    assert onset.threshold is not None and (onset.threshold.op, onset.threshold.value) == ("<=", 24.0)
    # The drug's own time is read whichever side of the comparison it stands.
    for sentence in (
        "Ketamine often brings relief within 2 hours, while SSRIs can take six weeks to work.",
        "Ketamine, unlike SSRIs, often brings relief within 2 hours.",
    ):
        onset = _one(_page(sentence, rules), "2 hours", "onset")
        assert onset.threshold is not None and onset.threshold.value == 2.0, sentence


def test_an_antidepressant_comparison_implies_depression(rules: Rules) -> None:
    page = "We treat PTSD and chronic pain. PTSD and chronic pain respond to ketamine.\n\n"
    claims = _page(page + "Unlike standard antidepressants, which take weeks, ketamine is fast-acting.", rules)
    onset = _one(claims, "standard antidepressants", "onset")
    assert onset.indication == ("depression",)
    assert any("comparator" in n for n in onset.notes)
    # With no comparator the sentence takes its conditions from the page.
    claims = _page(page + "Many patients find that ketamine is fast-acting.", rules)
    onset = _one(claims, "ketamine is fast-acting", "onset")
    assert "depression" not in onset.indication


def test_an_effect_in_a_relative_clause_after_regulatory_words_is_its_own_claim(rules: Rules) -> None:
    claims = _page("Ketamine is an FDA-approved medicine that greatly enhances the benefits of psychotherapy.", rules)
    assert _kinds(claims, "enhances the benefits") == {"regulatory", "efficacy"}
    # Praise of the approved product itself stays one regulatory claim.
    claims = _page("Spravato is an FDA-approved and effective treatment.", rules)
    assert _kinds(claims, "FDA-approved and effective") == {"regulatory"}


def test_statements_about_drugs_in_general_are_out_of_scope(rules: Rules) -> None:
    general = (
        "Before starting ketamine, know that many medications are prescribed off-label, "
        "and about 20% of all prescriptions are not FDA approved for the use they are written for."
    )
    claims = _find(_page(general, rules), "many medications")
    assert [(c.kind, c.checkability) for c in claims] == [("not_checkable", "out_of_scope")]
    industry = (
        "Although ketamine has shown promise for depression, drug companies have little incentive "
        "to fund the large trials FDA approval needs."
    )
    claims = _find(_page(industry, rules), "drug companies")
    assert [(c.kind, c.checkability) for c in claims] == [("not_checkable", "out_of_scope")]
    # The drug itself as the subject, beside the general rule, is a claim.
    for sentence in (
        "Like many drugs, ketamine is prescribed off-label for depression.",
        "Many drugs are prescribed off-label, and ketamine is one of them.",
        "Although ketamine is not FDA approved for depression, many clinics offer it.",
    ):
        assert "regulatory" in _kinds(_page(sentence, rules), sentence[:20]), sentence


def test_a_fraction_of_the_anaesthetic_dose_is_read_as_a_dose(rules: Rules) -> None:
    claims = _page("For depression it is given at one-fifth to one-tenth of the usual dose used for surgery.", rules)
    dosing = _one(claims, "one-fifth", "dosing")
    assert dosing.dose is not None and (dosing.dose.low, dosing.dose.high, dosing.dose.unit) == (0.2, 0.4, "mg/kg")
    assert any("prescribing information" in n and "one-fifth to one-tenth" in n for n in dosing.notes)
    # No number, or no reference dose named: nothing to multiply, no dose read.
    for sentence in (
        "Doses used for depression are a fraction of the dose used for surgery.",
        "For depression it is given at 1/10 of the dose.",
    ):
        dosing = _one(_page(sentence, rules), "epression", "dosing")
        assert dosing.dose is None, sentence


def test_a_route_that_modifies_another_treatment_is_not_the_drugs(rules: Rules) -> None:
    """Failure mode J (route from elsewhere): "along with an oral antidepressant" made an esketamine
    nasal-spray claim an oral one, so the esketamine trials no longer counted as direct evidence."""
    with_ad = _page(
        "Esketamine nasal spray gives a greater reduction of depressive symptoms at four weeks "
        "along with an oral antidepressant.",
        rules,
    )
    claim = _find(with_ad, "greater reduction")[0]
    assert "oral" not in claim.route
    assert "intranasal" in claim.route
    # The drug's own oral form is still read as oral, and a conjunction ends the other treatment's hold.
    own = _page("Oral ketamine lozenges reduce depressive symptoms within days.", rules)
    assert "oral" in _find(own, "lozenges")[0].route or "sublingual" in _find(own, "lozenges")[0].route
    both = _page("Ketamine tablets and SSRIs both reduce depressive symptoms over weeks.", rules)
    assert "oral" in _find(both, "tablets")[0].route


@pytest.mark.parametrize(
    "sentence",
    [
        "At sub-anesthetic doses, ketamine relieves depression within hours.",
        "Research shows that ketamine in lower, non-anesthetic doses markedly improves depression.",
        "A subanaesthetic dose of ketamine improves depression.",
        "Ketamine given at non anesthetic doses improves depression.",
    ],
)
def test_sub_anaesthetic_doses_are_not_anaesthesia(rules: Rules, sentence: str) -> None:
    # "sub-anesthetic" names the low dose used for depression, not the anaesthetic use: read as
    # anaesthesia, the claim was judged against anaesthesia studies and labelled "high doses".
    claims = [c for c in _page(sentence, rules) if c.checkable]
    assert claims and all("anesthesia_sedation" not in c.indication for c in claims), claims
    assert all("depression" in c.indication for c in claims)
    assert all("high_dose" not in c.scope and "low_dose" in c.scope for c in claims), [c.scope for c in claims]


def test_anaesthetic_use_is_still_anaesthesia(rules: Rules) -> None:
    claims = [c for c in _page("Ketamine has been used safely as an anesthetic for decades.", rules) if c.checkable]
    assert claims and all("anesthesia_sedation" in c.indication for c in claims)
    dose = [c for c in _page("At anesthetic doses, ketamine causes deep sedation.", rules) if c.checkable]
    assert dose and all("high_dose" in c.scope for c in dose)


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Ketamine infusions reduce PTSD symptoms in 7 out of 10 veterans.", 70.0),
        ("Seven out of 10 report relief from depression after ketamine.", 70.0),
        ("One in three people with depression respond to ketamine.", 33.3),
        ("Eight in ten patients respond to ketamine.", 80.0),
    ],
)
def test_proportions_in_words_are_rates(rules: Rules, sentence: str, value: float) -> None:
    # "out of" is a proportion with or without the noun of who is counted (veterans were not one).
    rates = [c for c in _page(sentence, rules) if c.kind == "efficacy_rate"]
    assert rates and rates[0].threshold is not None and rates[0].threshold.value == value, rates


def test_a_heading_or_faq_question_gives_its_section_the_condition(rules: Rules) -> None:
    # Before the page's most frequent condition: a page mostly about pain with a depression section.
    page = (
        "Ketamine Infusions for Chronic Pain\n\n"
        "Ketamine infusions relieve chronic pain and CRPS. Ketamine helps chronic pain patients.\n\n"
        "Ketamine for Depression\n\n"
        "The benefits of a single treatment usually last one to two weeks.\n\n"
        "Does ketamine help with PTSD?\n\n"
        "Most patients feel relief within hours.\n"
    )
    claims = extract_claims(page, rules)
    (duration,) = [c for c in claims if c.kind == "duration"]
    assert duration.indication == ("depression",)
    assert any("taken from the heading above (“Ketamine for Depression”)" in n for n in duration.notes)
    (onset,) = [c for c in claims if c.kind == "onset"]
    assert onset.indication == ("ptsd",)
    # A heading naming no condition does not stop the page-wide reading.
    plain = extract_claims(page.replace("Ketamine for Depression", "What to expect"), rules)
    (duration,) = [c for c in plain if c.kind == "duration"]
    assert "depression" not in duration.indication


# ------------------------------------------------------------------ relapse prevention and relief onset


@pytest.mark.parametrize(
    "sentence",
    [
        "Patients are less likely to relapse after a course of infusions.",
        "Patients who continued treatment were 51% less likely to relapse than those who stopped.",
        "Maintenance infusions keep depression from coming back.",
        "Booster sessions help patients stay in remission.",
        "Continued treatment lowers the risk of relapse.",
    ],
)
def test_relapse_prevention_claims_are_extracted(rules: Rules, sentence: str) -> None:
    # A relative change in risk ("51% less likely") is not a rate of patients who respond.
    assert _kinds(_page(sentence, rules), sentence[:30]) == {"efficacy"}


@pytest.mark.parametrize(
    ("sentence", "condition", "hours"),
    [
        ("Suicidal thoughts often fade within a day.", "suicidal_ideation", 24.0),
        ("Anxiety eases within a few hours.", "anxiety", 3.0),
        ("Cravings subside within days.", "substance_use_disorder", 168.0),
    ],
)
def test_a_condition_easing_within_a_time_is_an_onset_claim(
    rules: Rules, sentence: str, condition: str, hours: float
) -> None:
    claims = _find(_page(sentence, rules), sentence[:20])
    onset = [c for c in claims if c.kind == "onset"]
    assert onset and condition in onset[0].indication, [(c.kind, c.indication) for c in claims]
    assert onset[0].threshold is not None and onset[0].threshold.value == hours
    # The condition easing is when relief comes, not when an effect ends.
    assert "duration" not in {c.kind for c in claims}


def test_an_effect_fading_after_a_time_is_still_a_duration_claim(rules: Rules) -> None:
    assert _kinds(_page("The effect fades after about a week.", rules), "The effect fades") == {"duration"}
    assert "duration" in _kinds(_page("Symptoms ease within hours and relief lasts for weeks.", rules), "relief lasts")


def test_a_claim_given_as_the_reason_for_a_procedure_is_checked(rules: Rules) -> None:
    # The procedure is the consequence; the harm before it is a claim about the drug.
    sentence = "Long-term use of ketamine can cause bladder damage, so we screen for urinary symptoms at every visit."
    kinds = {c.kind for c in _page(sentence, rules) if sentence[:20] in c.text}
    assert "safety" in kinds
    # A procedure alone stays a procedure.
    sentence = "We screen all patients for urinary symptoms at every visit."
    assert {c.kind for c in _page(sentence, rules) if sentence[:20] in c.text} == {"not_checkable"}


def test_an_abuse_potential_stated_beside_supervision_is_a_minimising_safety_claim(rules: Rules) -> None:
    sentence = "When used under medical supervision, ketamine has a low potential for abuse."
    target = [c for c in _page(sentence, rules) if sentence[:20] in c.text and c.kind == "safety"]
    assert target and target[0].safety_stance == "minimising" and "addiction" in target[0].safety_topics
    # A history of abuse screened for is the procedure, not a claim.
    sentence = "We screen all patients for a history of substance abuse."
    assert {c.kind for c in _page(sentence, rules) if sentence[:20] in c.text} == {"not_checkable"}


def test_a_question_in_markdown_emphasis_is_a_question(rules: Rules) -> None:
    page = "**Is ketamine FDA-approved for pain?**\n\nNo. Ketamine is not FDA-approved for chronic pain.\n"
    from ketlit.claims.text import split_sentences

    assert [s.question for s in split_sentences(page)] == [True, False]
    # It was judged as a statement ("contradicted, high": the page says otherwise).
    assert not [c for c in extract_claims(page, rules) if "Is ketamine" in c.text]


def test_addiction_listed_among_conditions_treated_is_no_safety_claim(rules: Rules) -> None:
    claims = extract_claims("Ketamine therapy can help clients move beyond depression, trauma and addiction.", rules)
    assert {c.kind for c in claims} == {"efficacy"}
    assert "substance_use_disorder" in claims[0].indication
    assert {c.kind for c in extract_claims("Ketamine carries a risk of addiction.", rules)} == {"safety"}


def test_opioid_use_after_surgery_is_postoperative_pain(rules: Rules) -> None:
    claims = extract_claims("Ketamine infusions can reduce opioid use after surgery.", rules)
    assert [c.indication for c in claims if c.kind == "efficacy"] == [("postoperative_pain",)]


def test_a_relative_risk_reduction_stated_before_its_size_is_no_rate(rules: Rules) -> None:
    claims = extract_claims("Spravato reduced the risk of relapse by 51% in patients in stable remission.", rules)
    assert "efficacy_rate" not in {c.kind for c in claims}
    assert {c.kind for c in extract_claims("70% of patients respond to ketamine.", rules)} == {"efficacy_rate"}


def test_the_talking_parts_of_a_programme_are_not_the_drug(rules: Rules) -> None:
    page = ("Ketamine-assisted therapy uses ketamine to help depression.\n\n"
            "Preparation sessions help you feel ready and reduce anxiety before your first dose.\n")
    assert not [c for c in extract_claims(page, rules) if c.text.startswith("Preparation")]


def test_a_condition_word_naming_the_comparators_class_is_not_the_claims_condition() -> None:
    """'than the sedative midazolam': "sedative" describes the comparator, so the claim is about
    suicidal thoughts only, not about sedation; the drug's own sedative use is still read."""
    from ketlit.claims.context import indications_in
    from ketlit.claims.rules import load_rules

    rules = load_rules()
    sentence = "One infusion of ketamine eased suicidal thoughts within a day more than the sedative midazolam."
    assert indications_in(sentence, rules) == ["suicidal_ideation"]
    assert indications_in("Ketamine is used as an anaesthetic and a sedative.", rules) == ["anesthesia_sedation"]
    page = "Ketamine clinic.\n\nKetamine news.\n\n" + sentence
    claims = [c for c in extract_claims(page, rules) if c.kind == "efficacy"]
    assert claims and all(c.indication == ("suicidal_ideation",) for c in claims)


def test_a_page_route_is_not_given_to_anaesthetic_use() -> None:
    """On a page whose only route is the nasal spray, 'used in hospitals as an anaesthetic' is about
    the injection: it keeps no route (so no esketamine), and a plain efficacy sentence still takes
    the page's route."""
    from ketlit.claims.rules import load_rules

    rules = load_rules()
    page = (
        "Ketamine clinic FAQ.\n\nAbout ketamine.\n\nKetamine therapy at our clinic.\n\n"
        "Spravato nasal spray is approved for depression.\n\nAsk about Spravato.\n\n"
        "Ketamine has been used in hospitals as an anaesthetic for decades.\n\n"
        "It can rapidly reduce symptoms of depression.\n\n"
    )
    claims = extract_claims(page, rules)
    anaesthetic = [c for c in claims if "anaesthetic for decades" in c.text and c.kind == "efficacy"]
    assert anaesthetic and all("intranasal" not in c.route and "esketamine" not in c.molecule for c in anaesthetic)
    mood = [c for c in claims if "rapidly reduce" in c.text and c.kind == "efficacy"]
    assert mood and all(c.route == ("intranasal",) for c in mood)


def test_inherited_conditions_are_the_ones_the_page_says_the_drug_treats(rules: Rules) -> None:
    """A sentence naming no condition inherits what the page says the drug treats: not a condition it
    names only in a warning, a denial or as whom an approval is for, and the page's narrower form
    (treatment-resistant depression) rather than the loose broad word beside it."""
    page = (
        "# Esketamine nasal spray\n\n"
        "Esketamine is a nasal spray for adults with depression that has not responded to two antidepressants.\n\n"
        "Spravato is approved for treatment-resistant depression in adults.\n\n"
        "It is also approved for depressive symptoms in adults with major depressive disorder who have acute "
        "suicidal thoughts.\n\n"
        "Esketamine has not been shown to prevent suicide.\n\n"
        "Esketamine has a boxed warning about sedation, dissociation and suicidal thoughts.\n\n"
        "## Results\n\n"
        "In a long-term study, continuing esketamine reduced the risk of relapse compared with stopping it.\n\n"
    )
    relapse = [c for c in extract_claims(page, rules) if "risk of relapse" in c.text and c.kind == "efficacy"]
    assert relapse and all(c.indication == ("treatment_resistant_depression",) for c in relapse)


def test_a_condition_named_as_the_outcome_is_the_pages_population(rules: Rules) -> None:
    """'A greater improvement in depression than placebo' names the outcome, not who was treated: on
    a page about treatment-resistant depression it is read as that; the population named ('adults
    with depression') stays what it says."""
    head = (
        "# Spravato\n\nSpravato is approved for treatment-resistant depression.\n\n"
        "It treats depression that has not responded to other antidepressants.\n\n"
    )
    outcome = head + "People who took esketamine had a greater improvement in depression than those on placebo.\n\n"
    found = [c for c in extract_claims(outcome, rules) if "greater improvement" in c.text and c.kind == "efficacy"]
    assert found and all(c.indication == ("treatment_resistant_depression",) for c in found)
    # "Relief from depression" with no comparison says what patients gain: it keeps its condition.
    relief = head + "Most patients feel relief from depression within hours of their first infusion.\n\n"
    found = [c for c in extract_claims(relief, rules) if "relief from" in c.text and c.kind == "onset"]
    assert found and all(c.indication == ("depression",) for c in found)
    population = head + "Ketamine also helps adults with depression who have never tried medication.\n\n"
    found = [c for c in extract_claims(population, rules) if "never tried" in c.text and c.kind == "efficacy"]
    assert found and all("depression" in c.indication for c in found)


@pytest.mark.parametrize(
    ("sentence", "kinds", "topics"),
    [
        # Deaths in trials are a safety claim, whatever condition the sentence names (it was read as
        # "ketamine for depression" works).
        ("There have been no deaths in clinical trials of ketamine for depression.", {"safety"}, ("death",)),
        # The risk or the deaths of a condition the drug is said to prevent are no harm of the drug.
        ("Ketamine also reduces the risk of suicide in veterans.", {"efficacy"}, ()),
        ("Ketamine reduces suicide deaths.", {"efficacy"}, ()),
        # A risk the drug is said to raise stays a harm.
        ("Esketamine may increase the risk of suicidal thoughts.", {"safety"}, ("general_safety",)),
    ],
)
def test_deaths_are_a_harm_and_a_conditions_risk_is_not(
    rules: Rules, sentence: str, kinds: set[str], topics: tuple[str, ...]
) -> None:
    found = _find(_page(sentence, rules), sentence[:30])
    assert {c.kind for c in found} == kinds
    for c in found:
        if c.kind == "safety":
            assert c.safety_topics == topics
    if topics == ("death",):
        assert all(c.safety_stance == "denial" for c in found)


@pytest.mark.parametrize(
    "sentence",
    [
        # A study named by its authors without initials is a claim attributed to a study: checked.
        "Murrough et al. found that 64% of patients responded to ketamine.",
        # Initials are capitals: a route list is no author list.
        "Ketamine IV, IM and nasal routes are all effective for depression.",
    ],
)
def test_an_attributed_claim_is_no_reference_entry(rules: Rules, sentence: str) -> None:
    assert any(c.kind != "not_checkable" for c in _page(sentence, rules))


@pytest.mark.parametrize(
    "sentence",
    [
        "Most veterans are symptom-free after completing the programme.",
        "With a full course of treatment, around half of patients are still well after three months.",
        "Many patients are in remission after six infusions.",
    ],
)
def test_being_well_after_treatment_is_an_outcome_claim(rules: Rules, sentence: str) -> None:
    # Catches: "symptom-free", "still well" with no effect cue, so the sentence was no claim at all.
    kinds = {c.kind for c in _page(sentence, rules) if sentence[:20] in c.text}
    assert kinds & {"efficacy", "efficacy_rate"}, kinds


@pytest.mark.parametrize(
    "sentence", ["Ketamine is well tolerated by most patients.", "Its side effects are well documented."]
)
def test_well_tolerated_or_known_is_not_being_well(rules: Rules, sentence: str) -> None:
    kinds = {c.kind for c in _page(sentence, rules) if sentence[:20] in c.text}
    assert not kinds & {"efficacy", "efficacy_rate"}, kinds


@pytest.mark.parametrize(
    "sentence",
    [
        "People who have not responded to two antidepressants often respond within a day.",
        "Patients who failed two antidepressants often improve within a day.",
    ],
)
def test_a_treatment_that_failed_before_is_not_the_subject(rules: Rules, sentence: str) -> None:
    # Catches: the failed treatment in a relative clause read as the subject ("about antidepressants"),
    # so the claim about the page's drug was dropped.
    assert any(c.kind == "onset" for c in _page(sentence, rules) if sentence[:20] in c.text)
    # Another treatment named after the failed one is still the subject.
    other = "People who have tried antidepressants may find TMS helps within weeks."
    assert not [c for c in _page(other, rules) if other[:20] in c.text and c.kind != "not_checkable"]


@pytest.mark.parametrize(
    "sentence",
    [
        "MDMA-assisted therapy is FDA-approved for PTSD.",
        "Psilocybin assisted psychotherapy relieves depression for months.",
        "LSD-assisted therapy reduces anxiety in weeks.",
    ],
)
def test_therapy_assisted_by_another_drug_is_not_the_drugs(rules: Rules, sentence: str) -> None:
    # On a ketamine page "MDMA-assisted therapy is FDA-approved for PTSD." was read as a regulatory claim
    # about ketamine, and the check cited "ketamine is not FDA-approved for PTSD" against the clinic.
    assert _find(_page(sentence, rules), sentence[:20]) == []


def test_therapy_assisted_by_the_drug_is_still_read(rules: Rules) -> None:
    claims = _page("Ketamine-assisted therapy relieves depression for months.", rules)
    assert _find(claims, "Ketamine-assisted therapy")


@pytest.mark.parametrize(
    "sentence",
    ["Ketamine works in hours, not weeks — unlike SSRIs.", "Ketamine works in hours not weeks."],
)
def test_hours_not_weeks_is_an_onset_claim_with_or_without_its_comma(rules: Rules, sentence: str) -> None:
    # With the comma the sentence was listed as "no claim to test".
    assert "onset" in _kinds(_page(sentence, rules), sentence[:20])


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine infusions for depression at Oakwood.",
        "IV ketamine for depression in Denver.",
        "Ketamine for depression, anxiety and PTSD.",
    ],
)
def test_a_service_name_is_not_an_efficacy_claim(rules: Rules, sentence: str) -> None:
    # "Ketamine infusions for depression at Oakwood." got "✓ Supported" as if it asserted an effect.
    found = _find(_page(sentence, rules), sentence[:20])
    assert found and {c.kind for c in found} == {"not_checkable"}


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine for depression works.",
        "Early findings for ketamine in OCD look promising.",
        "Ketamine untangles the knot of OCD.",
        "Ketamine therapy for PTSD helps veterans heal.",
        # A plural subject's verb has no "-s": these were listed as "no claim to test".
        "Ketamine infusions for depression work.",
        "Ketamine infusions for depression really help.",
    ],
)
def test_the_drug_before_a_condition_with_a_verb_is_still_a_claim(rules: Rules, sentence: str) -> None:
    assert "efficacy" in _kinds(_page(sentence, rules), sentence[:20])


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # Effects promised on a faculty or a state: claims, not "no wording ketlit can test".
        ("Low-dose ketamine sharpens focus, memory and creativity.", "efficacy"),
        ("Ketamine also boosts creativity, focus and overall wellbeing.", "efficacy"),
        ("Ketamine erases trauma and permanently ends nightmares.", "efficacy"),
        ("For nerve pain, ketamine works better than gabapentin.", "efficacy"),
        # Timing said with a working verb, or against a longer span with a number between.
        ("Ketamine works in days rather than the six to eight weeks antidepressants need.", "onset"),
        ("Relief from ketamine comes in hours instead of several weeks.", "onset"),
        ("A single ketamine infusion typically helps for about a week.", "duration"),
        # A harm as the reason for the clinic's step, whoever the step is for.
        ("Ketamine briefly raises blood pressure, so people are monitored for two hours after each dose.", "safety"),
        ("Children rarely have the bad trips that adults sometimes have after ketamine.", "safety"),
    ],
)
def test_wordings_read_as_claims(rules: Rules, sentence: str, kind: str) -> None:
    claims = _page(sentence, rules)
    assert kind in _kinds(claims, sentence[:25]), [(c.kind, c.not_checkable_reason, c.text) for c in claims]


@pytest.mark.parametrize(
    "sentence",
    [
        # What the drug does to the brain names no faculty: still a mechanism.
        "Low-dose ketamine reverses the damage chronic stress does to the brain and regrows lost neural connections.",
        # The clinic's own precaution: waking reactions named, no claim made.
        "We give a small dose of midazolam with ketamine to make these emergence reactions less likely.",
        # A biography's "worked for years" is no duration of benefit; "endured" and "booster" are no effect verbs.
        "Dr. Lee has worked for 15 years as an anesthesiologist giving ketamine.",
        "Many of our ketamine patients have endured years of trauma before they come to us.",
    ],
)
def test_near_misses_stay_not_checkable(rules: Rules, sentence: str) -> None:
    found = _find(_page(sentence, rules), sentence[:25])
    assert found and all(not c.checkable for c in found), [(c.kind, c.text) for c in found]


def test_advice_with_a_harm_as_its_reason_is_checked(rules: Rules) -> None:
    """Advice keeps its harm when an adverb stands between the modal and the verb ("as ketamine-type
    medicines can, rarely, affect the bladder"); advice with no reason stays advice."""
    reason = "Tell us if you need to pass urine more often, as ketamine-type medicines can, rarely, affect the bladder."
    assert "safety" in _kinds(_page(reason, rules), "Tell us if")
    bare = _find(_page("Tell your doctor if you have a history of drug or alcohol abuse.", rules), "Tell your doctor")
    assert bare and all(not c.checkable for c in bare)


def test_a_second_time_in_a_clause_of_its_own_is_a_claim_of_its_own(rules: Rules) -> None:
    sentence = (
        "A single ketamine infusion usually helps for about a week, while a series of six infusions often "
        "brings lasting relief for many months."
    )
    durations = [c for c in _find(_page(sentence, rules), "A single ketamine") if c.kind == "duration"]
    # "for many months" is read as "for months" (≥ 60 days; stop 48), no longer as the vaguer "lasting" (≥ 28 days).
    assert [(c.threshold.op, c.threshold.value) for c in durations if c.threshold] == [("~", 7.0), (">=", 60.0)]
    # One clause, one time claim: a sentence is not split where it does not contrast.
    plain = _find(_page("Ketamine relief lasts for weeks.", rules), "Ketamine relief")
    one = [c for c in plain if c.kind == "duration"]
    assert len(one) == 1


def test_the_other_treatments_time_is_not_the_claims(rules: Rules) -> None:
    """The span a comparison names ("rather than the six to eight weeks antidepressants need") is not the
    claim's threshold, and a later clause about another treatment or a schedule is no second claim."""
    onset = [c for c in _page("Ketamine works in days rather than the six to eight weeks antidepressants need.", rules)
             if c.kind == "onset"]
    assert onset and all(c.threshold is None or c.threshold.value <= 7 * 24 for c in onset), onset
    for sentence in (
        "Ketamine relief can last for weeks, while the benefits of ECT often last for months.",
        "Ketamine relief can last for weeks; booster infusions are given every few weeks to keep you well for months.",
        "Ketamine relief lasts for months, but ketamine relief lasts for months.",
    ):
        durations = [c for c in _find(_page(sentence, rules), sentence[:20]) if c.kind == "duration"]
        assert len(durations) == 1, (sentence, [(c.clause, c.threshold) for c in durations])


def test_one_dose_is_not_one_dose_a_week(rules: Rules) -> None:
    single = rules.cues["single_administration"]
    assert single.any("A single ketamine infusion typically helps for about a week")
    schedules = ("one infusion every few weeks", "one dose daily", "one infusion twice a week", "one infusion series")
    for schedule in schedules:
        assert not single.any(schedule), schedule
    repeated = rules.cues["repeated_administration"]
    assert repeated.any("received six ketamine infusions") and repeated.any("response from the final infusion")
    one_doses = ("18 patients received infusions", "randomized to one of three doses", "24 hours after the last dose")
    for one_dose in one_doses:
        assert not repeated.any(one_dose), one_dose
