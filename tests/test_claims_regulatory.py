"""Regulatory verdicts (issue 13, item 6 and failure mode K): which fact decides a sentence.

Each rule is pinned both ways: the subject of an approval (product and use, narrower vs broader),
a use the sentence itself denies, decisions named by their own words (FDA designations, the WHO
list) and who holds them, and the year a sentence gives them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.regulatory_verdict import covers_use, named_facts, use_negated
from ketlit.claims.rules import Rules
from tests.claims_pages import IV_PAGE, NEUTRAL_PAGE, SPRAVATO_PAGE, check_kind, cited

check = check_kind


# ------------------------------------------------------------------ approved vs approved for this use


def test_an_approval_for_a_narrower_use_does_not_cover_the_broader_one(rules: Rules) -> None:
    trd = rules.fact("spravato_trd_2019")
    assert trd is not None
    assert covers_use(trd, "treatment_resistant_depression", rules)
    assert not covers_use(trd, "depression", rules)
    # The other way round holds: an approval for depression would cover its subtype.
    broad = replace(trd, indication=("depression",))
    assert covers_use(broad, "treatment_resistant_depression", rules)


def test_not_approved_for_children_when_every_approval_is_for_adults(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Spravato is not approved for children.", "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons
    _, v = check("Spravato is approved for adolescents.", "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "contradicted", v.reasons
    # An approval naming no age (the anaesthetic) covers children: the denial is still contradicted.
    _, v = check("Ketamine is not approved for children.", "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "contradicted", v.reasons


def test_approval_claim_broadening_the_approved_use_is_partly_supported(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Spravato is FDA-approved for depression.", "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "partly_supported" and v.certainty == "high", v.reasons
    assert "spravato_trd_2019" in cited(v)
    assert any("approved only for treatment_resistant_depression" in r for r in v.reasons), v.reasons
    # The approved use itself is supported.
    _, v = check(
        "Spravato is FDA-approved for treatment-resistant depression.", "regulatory", index, rules, SPRAVATO_PAGE
    )
    assert v.verdict == "supported", v.reasons
    # With an approval for depression as a whole in the file, the same sentence is supported.
    trd = rules.fact("spravato_trd_2019")
    assert trd is not None
    broad = replace(rules, facts=tuple(replace(f, indication=("depression",)) if f is trd else f for f in rules.facts))
    _, v = check("Spravato is FDA-approved for depression.", "regulatory", index, broad, SPRAVATO_PAGE)
    assert v.verdict == "supported", v.reasons


def test_described_use_beyond_the_label_is_partly_supported(index: InMemoryIndex, rules: Rules) -> None:
    """A usage statement is tested as efficacy; the regulator's approval decides it, and an
    approval for TRD does not make "used to treat MDD" true as a whole (key D64)."""
    sentence = (
        "Spravato is a prescription nasal spray used to treat adults with treatment-resistant depression (TRD) "
        "as well as major depressive disorder (MDD)."
    )
    _, v = check(sentence, "efficacy", index, rules, SPRAVATO_PAGE)
    assert v.verdict == "partly_supported", v.reasons
    assert any("only for treatment_resistant_depression" in r for r in v.reasons), v.reasons
    _, v = check(
        "Spravato is a prescription nasal spray used to treat adults with treatment-resistant depression.",
        "efficacy",
        index,
        rules,
        SPRAVATO_PAGE,
    )
    assert v.verdict == "supported", v.reasons


def test_generic_name_blurs_with_a_form_approved_for_a_narrower_use(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine is FDA-approved for depression.", "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == "partly_supported", v.reasons
    _, v = check("Racemic ketamine is FDA-approved for depression.", "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == "contradicted", v.reasons


# ------------------------------------------------------------------ a use the sentence denies

D61 = (
    "While ketamine can be legally prescribed and administered off label by licensed physicians, the drug has "
    "only been officially approved by the FDA as an anesthetic and not as a treatment for depression."
)


def test_use_negated_reads_the_clause_before_the_use(rules: Rules) -> None:
    assert use_negated(D61, "depression", rules)
    assert not use_negated(D61, "anesthesia_sedation", rules)
    assert not use_negated("It is approved as an anesthetic and as a treatment for depression.", "depression", rules)
    # "not only" affirms.
    assert not use_negated("It is not only approved for depression but also for pain.", "depression", rules)


def test_a_sentence_denying_one_use_and_affirming_another_is_judged_per_use(
    index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check(D61, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "supported", v.reasons
    assert {"ketalar_approval", "off_label_prescribing"} <= cited(v)
    assert any("not approved — as the page says" in r for r in v.reasons), v.reasons
    # The decisive citation answers the sentence; the approved nasal spray is a caveat, cited as context.
    assert v.evidence[0].id == "ketamine_not_approved_psychiatric" and v.evidence[0].direct
    assert all(not e.direct for e in v.evidence if e.id.startswith("spravato")), v.evidence
    # Without the denial the same sentence claims an approval for depression that racemic ketamine lacks.
    wrong = D61.replace("and not as a treatment", "and as a treatment")
    _, v = check(wrong, "regulatory", index, rules, IV_PAGE)
    assert v.verdict != "supported", v.reasons


# ------------------------------------------------------------------ decisions named by their words


def test_named_decisions_are_found_by_their_terms(rules: Rules) -> None:
    assert [f.id for f in named_facts('It is considered a "breakthrough therapy" for TRD.', rules)] == [
        "esketamine_breakthrough_designation"
    ]
    assert [f.id for f in named_facts("It is on the WHO Essential Medicines list.", rules)] == [
        "who_essential_medicine"
    ]
    assert named_facts("Ketamine is FDA-approved as an anesthetic.", rules) == []


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The designation went to esketamine: the generic name blurs the two forms (key D80).
        (
            'However, the FDA considers ketamine a "breakthrough therapy" for treatment-resistant depression.',
            "partly_supported",
        ),
        ("Esketamine received the FDA's breakthrough therapy designation for depression.", "supported"),
        ("Racemic ketamine received the FDA's breakthrough therapy designation for depression.", "contradicted"),
    ],
)
def test_breakthrough_designation_belongs_to_its_holder(
    index: InMemoryIndex, rules: Rules, sentence: str, verdict: str
) -> None:
    _, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == verdict, v.reasons
    assert "esketamine_breakthrough_designation" in cited(v)


@pytest.mark.parametrize(
    ("year", "verdict"),
    [("1985", "supported"), ("1975", "contradicted")],
)
def test_who_essential_medicines_listing_and_its_year(
    index: InMemoryIndex, rules: Rules, year: str, verdict: str
) -> None:
    sentence = f"Ketamine has been listed on the World Health Organization's Essential Medicines list since {year}."
    claim, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert claim.jurisdiction[:1] == ("international",)
    assert v.verdict == verdict, v.reasons
    assert cited(v) == {"who_essential_medicine"}
    # Not also read as an approval claim (no approval words), so no US approval is cited.
    assert not any("approval" in r for r in v.reasons), v.reasons


def test_without_the_listing_fact_an_international_sentence_is_not_judged(index: InMemoryIndex, rules: Rules) -> None:
    bare = replace(rules, facts=tuple(f for f in rules.facts if f.jurisdiction != "international"))
    sentence = "Ketamine has been listed on the World Health Organization's Essential Medicines list since 1985."
    _, v = check(sentence, "regulatory", index, bare, NEUTRAL_PAGE)
    assert v.verdict == "insufficient_evidence", v.reasons


def test_a_caveat_is_never_the_decisive_citation(index: InMemoryIndex, rules: Rules) -> None:
    sentence = (
        "While ketamine as an anesthetic agent is FDA-approved, off-label uses (e.g., for depression) are legal "
        "when prescribed by a licensed provider and compounded by a pharmacy."
    )
    _, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == "supported", v.reasons
    by_id = {e.id: e for e in v.evidence}
    assert not by_id["fda_compounded_ketamine_2023"].direct
    assert v.evidence[0].id in {"ketalar_approval", "off_label_prescribing"} and v.evidence[0].direct


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("Esketamine was FDA approved in 2019.", "supported"),
        ("Esketamine was FDA approved in 2017.", "contradicted"),
        ("Ketamine has been FDA approved since 1970.", "supported"),
        ("Ketamine has been FDA approved since 1960.", "contradicted"),
        # The year of the approval, not the sentence's first year (which dates something else).
        ("Ketamine was first synthesized in 1962 and approved by the FDA in 1970.", "supported"),
        ("Ketamine was first synthesized in 1962 and approved by the FDA in 1965.", "contradicted"),
        ("Developed in 1962, ketamine was approved by the FDA in 1970.", "supported"),
    ],
)
def test_the_year_of_an_approval_naming_no_use(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str) -> None:
    claim, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert claim.regulatory is not None and not claim.regulatory.approval_indications
    assert v.verdict == verdict, v.reasons


def test_a_sentence_naming_no_drug_is_about_the_pages_drug(index: InMemoryIndex, rules: Rules) -> None:
    # "it" on a Spravato page is Spravato: its 2020 approval decides, not racemic ketamine's
    # facts (which said "not approved for suicidal ideation" and contradicted the sentence).
    claim, v = check_kind(
        "In 2020 the FDA also approved it for adults with major depressive disorder with acute suicidal ideation.",
        "regulatory", index, rules, SPRAVATO_PAGE,
    )
    assert claim.regulatory is not None and "suicidal_ideation" in claim.regulatory.approval_indications
    assert v.verdict != "contradicted", v.reasons
    assert "spravato_mdsi_2020" in cited(v)
    assert "ketalar_approval" not in cited(v)
    # A sentence naming the generic drug keeps the default form, whatever the page is about.
    _, v = check_kind("Ketamine is FDA approved for depression.", "regulatory", index, rules, SPRAVATO_PAGE)
    assert v.verdict != "supported", v.reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("Ketamine is not a controlled substance when prescribed by a doctor.", "contradicted"),
        ("Ketamine is a controlled substance.", "supported"),
        # The schedule the sentence affirms is its claim; one it only denies is a negated claim.
        ("Ketamine is not a Schedule II drug; it is Schedule III.", "supported"),
        ("Ketamine is not a Schedule III drug.", "contradicted"),
        ("Ketamine is not a Schedule I drug.", "supported"),
    ],
)
def test_denied_schedules_and_controlled_status(
    index: InMemoryIndex, rules: Rules, sentence: str, verdict: str
) -> None:
    _, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == verdict, v.reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # The negation is the approval's: off-label use is what the sentence affirms.
        ("No. Ketamine is not FDA-approved for chronic pain, so its use is off-label.", "supported"),
        ("Prescribing ketamine for depression is not off-label.", "contradicted"),
    ],
)
def test_off_label_read_with_its_own_negation(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str) -> None:
    _, v = check(sentence, "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == verdict, v.reasons


def test_an_approval_for_a_condition_qualified_by_another_names_the_narrower_use() -> None:
    from ketlit.claims.check import check_page
    from ketlit.claims.evidence import InMemoryIndex
    from ketlit.claims.rules import load_rules

    rules = load_rules()

    def verdict(sentence: str) -> str:
        report = check_page(sentence + "\n", "p.txt", InMemoryIndex([], rules), rules)
        (claim,) = [c for c in report.claims if c.claim.kind == "regulatory"]
        return claim.verdict.verdict

    # The suicidality approval, not an approval for depression at large (which would broaden it).
    assert verdict("Spravato is FDA-approved for depressive symptoms in adults with major depressive disorder"
                   " who have acute suicidal thoughts.") == "supported"
    assert verdict("Spravato is FDA-approved for depression and anxiety.") != "supported"
    # Approved for suicidality itself: the label limitation (not shown to reduce it) still applies.
    assert verdict("Spravato is FDA-approved for suicidal thoughts.") != "supported"


def test_a_blurred_approval_shows_which_facts_bear_it_out_and_which_do_not(rules: Rules) -> None:
    """'Ketamine is FDA approved for depression' on an infusion page is partly supported: the esketamine
    spray's approval is the part that holds; the FDA's word that ketamine is approved for no psychiatric
    disorder is against the sentence, and must not be shown as if it supported it."""
    page = ("Ketamine infusions at our centre.\n\nAbout ketamine.\n\n"
            "Ketamine is FDA approved for treatment-resistant depression.")
    report = report_to_json(check_page(page, "t.txt", InMemoryIndex([], rules), rules))
    claim = next(c for c in report["claims"] if c["checkable"] and c["kind"] == "regulatory")
    assert claim["verdict"] == "partly_supported"
    sides = {d["id"]: d["stance"] for d in claim["decisive"]}
    assert sides.get("ketamine_not_approved_psychiatric") == "against", sides
    assert "for" in sides.values(), sides  # Spravato's approval: the part that holds
    # A sentence that is right about it takes the facts as support.
    right = report_to_json(check_page(page.replace("is FDA approved", "is not FDA approved"), "t.txt",
                                      InMemoryIndex([], rules), rules))
    denial = next(c for c in right["claims"] if c["checkable"] and c["kind"] == "regulatory")
    assert {d["stance"] for d in denial["decisive"]} == {"for"}, denial["decisive"]
    # A fact that bears out one use and goes against another (the anaesthetic approval, exhaustive, decides
    # both) takes no side of its own: shown on the verdict's, never as against the part it bears out.
    two = report_to_json(check_page(page.replace("treatment-resistant depression", "chronic pain and anesthesia"),
                                    "t.txt", InMemoryIndex([], rules), rules))
    both = next(c for c in two["claims"] if c["checkable"] and c["kind"] == "regulatory")
    assert both["verdict"] == "partly_supported"
    assert {d["id"]: d["stance"] for d in both["decisive"]}.get("ketalar_approval") == "for", both["decisive"]
