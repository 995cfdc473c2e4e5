"""Regulatory verdicts outside the default jurisdiction: the UK, EU, Canadian and Australian facts, and
health-technology-assessment decisions (``kind = "hta_recommendation"``; the loader's checks of that
kind are in tests/test_rules_strict_keys.py).

A UK clinic's page lost five of twelve sentences to "insufficient evidence" because the regulatory file
held only US and WHO facts. Each jurisdiction and each kind of fact is pinned both ways here: the claim
the regulator's decision supports, and the one it contradicts, with the fact that decides cited. What
must *not* happen is pinned too: a country's law judged in another scheme (a UK "Schedule 2" by its
"Class B"), an HTA decision about one form or use answering another, and a US page's efficacy claim
answered by every country's approval.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.policy import packaged_policy
from ketlit.claims.regulatory_verdict import in_scope
from ketlit.claims.rules import Patterns, Rules, schedule_key
from tests.claims_pages import NEUTRAL_PAGE, SPRAVATO_PAGE, check_kind, cited

# The blind test's UK page (U01–U05), as the page and as the expert's key words them.
UK_PAGE_SENTENCES = [
    ("In the UK, ketamine is licensed as an anaesthetic, so prescribing it for depression is an unlicensed "
     "(off-label) use that doctors may make on their own responsibility.", "supported",
     {"uk_ketalar_licence", "uk_off_label_prescribing"}),
    ("In the UK, ketamine is licensed as an anaesthetic; its use for depression is unlicensed (off-label).",
     "supported", {"uk_ketalar_licence"}),
    ("Esketamine nasal spray (Spravato) is licensed by the MHRA for treatment-resistant depression.", "supported",
     {"uk_spravato_licence"}),
    ("NICE recommends esketamine as a first-line option for treatment-resistant depression on the NHS.",
     "contradicted", {"nice_esketamine_trd"}),
    ("NICE recommends esketamine as a first-line treatment for depression.", "contradicted", {"nice_esketamine_trd"}),
    ("Ketamine is a Class B controlled drug under UK law.", "supported", {"uk_ketamine_class_b"}),
    ("For our Australian readers: Spravato is also approved by the TGA, and racemic ketamine for depression is "
     "prescribed off-label there too.", "supported", {"au_spravato_artg_2021", "au_off_label_prescribing"}),
    ("Spravato is TGA-approved in Australia, where ketamine for depression is off-label.", "supported",
     {"au_spravato_artg_2021", "au_off_label_prescribing"}),
]


def _verdict(sentence: str, index: InMemoryIndex, rules: Rules, page: str = NEUTRAL_PAGE) -> tuple[str, set[str]]:
    _, v = check_kind(sentence, "regulatory", index, rules, page)
    return v.verdict, cited(v)


@pytest.mark.parametrize(("sentence", "verdict", "facts"), UK_PAGE_SENTENCES,
                         ids=[s[:40] for s, *_ in UK_PAGE_SENTENCES])
def test_the_uk_pages_regulatory_sentences(
    index: InMemoryIndex, rules: Rules, sentence: str, verdict: str, facts: set[str]
) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == verdict, (sentence, got, ids)
    assert facts <= ids, ids
    # Only the named country's facts: no FDA or DEA fact answers a sentence about the UK or Australia.
    assert not ids & {f.id for f in rules.facts if f.jurisdiction == "US"}, ids


# ------------------------------------------------------------------ schedules and classes, each in its scheme


@pytest.mark.parametrize(
    ("sentence", "verdict", "fact"),
    [
        ("Ketamine is a Class B drug in the UK.", "supported", "uk_ketamine_class_b"),
        ("Ketamine is a Class A drug in the UK.", "contradicted", "uk_ketamine_class_b"),
        ("Ketamine is not a Class A drug in the UK.", "supported", "uk_ketamine_class_b"),
        ("Ketamine is a controlled drug in the UK.", "supported", "uk_ketamine_class_b"),
        ("Ketamine is a Schedule I substance in Canada.", "supported", "ca_ketamine_schedule_i"),
        # Roman and Arabic numerals are one schedule.
        ("Ketamine is a Schedule 1 drug under the Controlled Drugs and Substances Act.", "supported",
         "ca_ketamine_schedule_i"),
        ("Ketamine is a Schedule III drug in Canada.", "contradicted", "ca_ketamine_schedule_i"),
        ("Ketamine is a Schedule 8 medicine in Australia.", "supported", "au_ketamine_schedule_8"),
        ("Ketamine is a Schedule 4 medicine in Australia.", "contradicted", "au_ketamine_schedule_8"),
    ],
)
def test_schedules_abroad_both_ways(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str, fact: str) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == verdict and fact in ids, (got, ids)
    assert "dea_schedule_iii" not in ids


def test_a_schedule_of_another_scheme_is_not_judged_by_the_class(index: InMemoryIndex, rules: Rules) -> None:
    # The UK also schedules ketamine under its Misuse of Drugs Regulations; the file records only the
    # Act's class, so a "Schedule 2" sentence is neither supported nor contradicted by "Class B".
    got, _ = _verdict("Ketamine is a Schedule 2 controlled drug in the UK.", index, rules)
    assert got == "insufficient_evidence"
    assert schedule_key("Schedule III") == schedule_key("III") == schedule_key("schedule 3") == ("schedule", "3")
    assert schedule_key("Class B") == ("class", "B") != schedule_key("Schedule 2")


def test_the_schedule_a_sentence_names_keeps_its_scheme(rules: Rules) -> None:
    from ketlit.claims.extract import extract_claims

    def schedule(sentence: str) -> str | None:
        (claim,) = [c for c in extract_claims(NEUTRAL_PAGE + sentence, rules) if c.kind == "regulatory"]
        assert claim.regulatory is not None
        return claim.regulatory.schedule

    assert schedule("Ketamine is a Class B controlled drug.") == "Class B"
    assert schedule("Ketamine is a Schedule 8 medicine in Australia.") == "8"
    assert schedule("Ketamine is a Schedule 3 controlled substance.") == "III"  # as before


# ------------------------------------------------------------------ approvals and licences


@pytest.mark.parametrize(
    ("sentence", "verdict", "fact"),
    [
        ("Spravato is licensed in the UK.", "supported", "uk_spravato_licence"),
        ("Racemic ketamine is licensed in the UK for depression.", "contradicted",
         "uk_ketamine_not_licensed_psychiatric"),
        ("Ketamine is not licensed for depression in the UK.", "supported", "uk_ketamine_not_licensed_psychiatric"),
        ("Spravato is approved in the European Union for treatment-resistant depression.", "supported",
         "eu_spravato_trd_2019"),
        ("The European Medicines Agency approved esketamine for treatment-resistant depression in 2019.", "supported",
         "eu_spravato_trd_2019"),
        ("The European Medicines Agency approved esketamine for treatment-resistant depression in 2016.",
         "contradicted", "eu_spravato_trd_2019"),
        # An approval for treatment-resistant depression is not one for depression as a whole.
        ("In Europe, Spravato is approved for depression.", "partly_supported", "eu_spravato_trd_2019"),
        ("Esketamine is approved in Canada.", "supported", "ca_spravato_trd_2020"),
        ("Esketamine was approved in Canada in 2015.", "contradicted", "ca_spravato_trd_2020"),
        ("Spravato is approved by the TGA for treatment-resistant depression.", "supported", "au_spravato_artg_2021"),
        ("Racemic ketamine is TGA-approved for depression.", "contradicted", "au_ketamine_not_approved_psychiatric"),
    ],
)
def test_approvals_abroad_both_ways(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str, fact: str) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == verdict and fact in ids, (got, ids)
    assert not {"spravato_trd_2019", "ketalar_approval", "ketamine_not_approved_psychiatric"} & ids


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("Ketamine is legal to prescribe off-label in Australia.", "supported"),
        ("Prescribing ketamine for depression is not off-label in Australia.", "contradicted"),
        ("In the UK, doctors may prescribe ketamine off-label for depression.", "supported"),
    ],
)
def test_off_label_prescribing_abroad(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == verdict, (got, ids)
    assert "off_label_prescribing" not in ids  # the FDA's statement answers no Australian or UK sentence


def test_a_licence_without_a_year_checks_no_year(index: InMemoryIndex, rules: Rules) -> None:
    # The UK anaesthetic licence's first year is not in the file (year = 0): no year is judged by it.
    claim, v = check_kind("Ketamine has been licensed in the UK since 1970.", "regulatory", index, rules, NEUTRAL_PAGE)
    assert v.verdict == "supported" and "uk_ketalar_licence" in cited(v), v.reasons
    assert not any("approved in 0" in r or "after 1970" in r for r in v.reasons), v.reasons
    assert v.as_tested.startswith("UK regulatory status"), v.as_tested
    assert claim.jurisdiction == ("UK",)


# ------------------------------------------------------------------ health-technology assessment


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("NICE does not recommend esketamine for depression.", "supported"),
        ("NICE has declined to recommend Spravato for treatment-resistant depression.", "supported"),
        ("Spravato is available on the NHS for everyone.", "contradicted"),
        ("Spravato is not available on the NHS.", "supported"),
        # The generic name is read as the appraised form when nothing rules it out (as with approvals).
        ("NICE recommends ketamine for depression.", "contradicted"),
    ],
)
def test_nice_decision_both_ways(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == verdict and "nice_esketamine_trd" in ids, (got, ids)


@pytest.mark.parametrize(
    "sentence",
    [
        # Another use than the one appraised: NICE's esketamine decision says nothing of it.
        "NICE recommends ketamine for sedation during surgery.",
        # Another form and route (infusions are racemic IV ketamine): no NICE decision on it is on file.
        "NICE approved ketamine infusions.",
    ],
)
def test_an_hta_decision_answers_only_its_form_and_use(index: InMemoryIndex, rules: Rules, sentence: str) -> None:
    got, ids = _verdict(sentence, index, rules)
    assert got == "insufficient_evidence", (got, ids)


def test_an_exhaustive_hta_decision_covers_every_form(index: InMemoryIndex, rules: Rules) -> None:
    nice = rules.fact("nice_esketamine_trd")
    assert nice is not None and nice.recommended is False and not nice.exhaustive
    every = replace(rules, facts=tuple(replace(f, exhaustive=True) if f is nice else f for f in rules.facts))
    got, ids = _verdict("NICE approved ketamine infusions.", index, every)
    assert got == "contradicted" and "nice_esketamine_trd" in ids


def test_any_hta_body_with_a_positive_decision(index: InMemoryIndex, rules: Rules) -> None:
    """The kind is data: a (made-up) positive decision by another body, named by its own terms,
    supports "available on the PBS" and contradicts its denial; broadening the use is partly supported."""
    nice = rules.fact("nice_esketamine_trd")
    assert nice is not None
    pbs = Patterns((re.compile(r"\bPBAC\b|\bon the PBS\b", re.IGNORECASE),))
    pbac = replace(nice, id="test_pbac", jurisdiction="AU", agency="PBAC", recommended=True, terms=pbs)
    more = replace(rules, facts=(*rules.facts, pbac))
    assert _verdict("Spravato is listed on the PBS for treatment-resistant depression.", index, more) == (
        "supported", {"test_pbac"})
    assert _verdict("The PBAC did not recommend Spravato.", index, more)[0] == "contradicted"
    assert _verdict("The PBAC recommended Spravato for depression.", index, more)[0] == "partly_supported"
    # Without the fact the sentence is not judged by NICE's decision (another country's body).
    assert _verdict("The PBAC recommended Spravato.", index, rules)[0] == "insufficient_evidence"


# ------------------------------------------------------------------ other claims keep their jurisdiction


def test_efficacy_and_safety_claims_cite_only_their_jurisdictions_facts(index: InMemoryIndex, rules: Rules) -> None:
    policy = packaged_policy()
    claim, v = check_kind("Spravato relieves treatment-resistant depression.", "efficacy", index, rules, SPRAVATO_PAGE)
    abroad = {f.id for f in rules.facts if f.jurisdiction not in ("US", "international")}
    assert not abroad & cited(v), cited(v)
    scoped = in_scope(claim, rules, policy)
    assert {f.jurisdiction for f in scoped.facts} == {"US"}
    assert in_scope(claim, rules, policy) is scoped  # one object per scope: rule lists are built once
    uk = in_scope(replace(claim, jurisdiction=("UK",)), rules, policy)
    assert {f.jurisdiction for f in uk.facts} == {"UK", "US"}
