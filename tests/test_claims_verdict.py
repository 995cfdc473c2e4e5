"""Verdicts on clear-cut claims, in both directions, from an in-memory index of fixture records."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex, records_from_dicts
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim, Threshold
from ketlit.claims.rules import Rules
from ketlit.claims.text import Location
from ketlit.claims.verdict import Verdict, judge
from tests.claims_pages import fixture_records

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IV_PAGE = (
    "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n"
    "Ketamine infusions work fast.\n\n"
)
SPRAVATO_PAGE = "Spravato (esketamine) nasal spray is available at our clinic.\n\nAsk about Spravato.\n\n"


@pytest.fixture(scope="module")
def records() -> list[EvidenceRecord]:
    return fixture_records()


@pytest.fixture(scope="module")
def index(records: list[EvidenceRecord], rules: Rules) -> InMemoryIndex:
    return InMemoryIndex(records, rules)


def check(sentence: str, kind: str, index: InMemoryIndex, rules: Rules, page: str = IV_PAGE) -> tuple[Claim, Verdict]:
    claims = [c for c in extract_claims(page + sentence, rules) if c.kind == kind and sentence[:25] in c.text]
    assert claims, [(c.kind, c.text) for c in extract_claims(page + sentence, rules)]
    return claims[0], judge(claims[0], index.candidates(claims[0]), rules)


def assert_cites(v: Verdict) -> None:
    if v.verdict not in ("insufficient_evidence", "not_checkable"):
        assert v.evidence, v
        assert all(e.url and e.url.startswith("https://") for e in v.evidence)


def test_true_numeric_claim_is_supported(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Over 50% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate", index, rules)
    assert v.verdict == "supported", v.reasons
    assert v.pooled is not None and v.pooled.k == 4 and v.pooled.n == 265
    assert v.pooled.ci_low > 0.5
    ids = {e.id for e in v.evidence}
    # Direct IV racemic trials only; the esketamine trial, the animal study and the narrative review
    # never enter the pool,
    # and the PubMed report of NCT90000003 is not counted twice.
    assert ids == {"90000001", "90000002", "NCT90000003", "90000004"}
    assert v.certainty in ("moderate", "low")
    assert_cites(v)


def test_inflated_numeric_claim_is_contradicted(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Over 90% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate", index, rules)
    assert v.verdict == "contradicted"
    assert v.pooled is not None and v.pooled.ci_high < 0.9
    assert any("pooled response 60.0%" in r for r in v.reasons)
    assert_cites(v)


def test_up_to_claim_beyond_every_study_is_contradicted(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Up to 95% of patients respond to ketamine infusions.", "efficacy_rate", index, rules)
    assert v.verdict == "contradicted", v.reasons


def test_unanswerable_claim_is_insufficient(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine infusions are effective for obsessive-compulsive disorder.", "efficacy", index, rules)
    assert v.verdict == "insufficient_evidence"
    assert v.certainty == "very_low"
    assert not v.evidence


def test_remission_claim_without_remission_data_is_insufficient(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Over 40% of patients reach remission with ketamine infusions.", "efficacy_rate", index, rules)
    assert v.verdict == "insufficient_evidence"
    assert any("no remission rates" in r for r in v.reasons)


def test_indirect_evidence_is_downgraded(records: list[EvidenceRecord], rules: Rules) -> None:
    # Only esketamine nasal-spray trials are available for an IV clinic's claim: pooled (three
    # arms, the minimum the verdict rules pool), but as indirect evidence.
    es = next(r for r in records if r.id == "90000005")
    copies = [replace(es, id=f"9000005{i}") for i in range(3)]
    index = InMemoryIndex(copies, rules)
    _, v = check("Over 30% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate", index, rules)
    assert v.verdict == "supported"
    assert any(r.startswith("indirectness:") and "intranasal" in r and "esketamine" in r for r in v.reasons)
    assert any("no direct evidence" in r for r in v.reasons)
    assert v.certainty in ("low", "very_low")
    assert all(not e.direct for e in v.evidence)
    # One trial alone is never pooled (failure mode L): no verdict from a pool of one.
    _, one = check(
        "Over 30% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate",
        InMemoryIndex([es], rules), rules,
    )
    assert one.verdict == "insufficient_evidence" and one.pooled is None
    assert any("only 1 comparable arm" in r for r in one.reasons)


def test_other_indications_and_animals_never_count(records: list[EvidenceRecord], rules: Rules) -> None:
    index = InMemoryIndex([r for r in records if r.id in ("90000006", "90000008", "90000007")], rules)
    _, v = check("Over 50% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate", index, rules)
    assert v.verdict == "insufficient_evidence"
    joined = " ".join(v.reasons)
    assert "animal or in-vitro" in joined and "narrative review" in joined


def test_efficacy_supported_and_unblinding_is_a_reason(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine infusions relieve treatment-resistant depression.", "efficacy", index, rules)
    assert v.verdict == "supported", v.reasons
    assert_cites(v)


def test_functional_unblinding_downgrade(records: list[EvidenceRecord], rules: Rules) -> None:
    index = InMemoryIndex([r for r in records if r.id == "90000001"], rules)
    _, v = check("Ketamine infusions relieve treatment-resistant depression.", "efficacy", index, rules)
    assert any("functional unblinding" in r for r in v.reasons)


@pytest.mark.parametrize(
    ("sentence", "page", "verdict", "fact"),
    [
        ("IV ketamine is FDA-approved for depression.", IV_PAGE, "contradicted", "ketamine_not_approved_psychiatric"),
        (
            "Spravato is FDA-approved for treatment-resistant depression.",
            SPRAVATO_PAGE,
            "supported",
            "spravato_trd_2019",
        ),
        # Approved for treatment-resistant depression (and MDD with suicidal ideation), not for
        # depression as a whole: the page broadens the approved use (issue 13 K; key D64).
        ("Spravato is FDA-approved for depression.", SPRAVATO_PAGE, "partly_supported", "spravato_trd_2019"),
        ("Spravato is FDA-approved for PTSD.", SPRAVATO_PAGE, "contradicted", "spravato_trd_2019"),
        ("Ketamine is FDA-approved as an anesthetic.", IV_PAGE, "supported", "ketalar_approval"),
        ("Ketamine is a Schedule III controlled substance.", IV_PAGE, "supported", "dea_schedule_iii"),
        ("Ketamine is a Schedule II controlled substance.", IV_PAGE, "contradicted", "dea_schedule_iii"),
        ("Off-label use of ketamine is legal.", IV_PAGE, "supported", "off_label_prescribing"),
        ("IV ketamine is not FDA-approved for depression.", IV_PAGE, "supported", "ketamine_not_approved_psychiatric"),
    ],
)
def test_regulatory(
    index: InMemoryIndex, rules: Rules, sentence: str, page: str, verdict: str, fact: str | None
) -> None:
    _, v = check(sentence, "regulatory", index, rules, page)
    assert v.verdict == verdict, v.reasons
    if fact:
        assert fact in {e.id for e in v.evidence}
        assert all(e.source == "regulatory" for e in v.evidence)
        assert v.certainty == "high"
    assert_cites(v)


def test_generic_name_approval_claim_on_a_page_without_a_route(index: InMemoryIndex, rules: Rules) -> None:
    """'Ketamine is FDA-approved for depression' with no infusion context: esketamine (a form of
    the drug) is approved for TRD, racemic ketamine is not, so the claim is only partly true."""
    page = "Ketamine is changing psychiatry.\n\n"
    claim, v = check("Ketamine is FDA-approved for depression.", "regulatory", index, rules, page)
    assert claim.molecule == ("racemic_ketamine",) and not claim.route
    assert v.verdict == "partly_supported" and v.certainty == "high", v.reasons
    assert "spravato_trd_2019" in {e.id for e in v.evidence}
    assert any("another form of the drug" in r for r in v.reasons)
    # The same sentence on an infusion clinic's page gets the same verdict (issue 13, K): the
    # route is read from the sentence, not from the page.
    _, same = check("Ketamine is FDA-approved for depression.", "regulatory", index, rules, IV_PAGE)
    assert same.verdict == v.verdict and same.reasons == v.reasons
    # Said of IV ketamine, it is wrong: the approved form is a nasal spray (caveat in the reasons).
    _, v = check("IV ketamine is FDA-approved for depression.", "regulatory", index, rules, IV_PAGE)
    assert v.verdict == "contradicted"
    assert any("another form of the drug is approved" in r for r in v.reasons)
    # Naming the form removes the ambiguity.
    _, v = check("Racemic ketamine is FDA-approved for depression.", "regulatory", index, rules, page)
    assert v.verdict == "contradicted"


def test_page_molecule_is_the_generic_drug_when_the_page_mostly_names_it(rules: Rules) -> None:
    page = (
        "Our clinic offers ketamine infusions. Ketamine works fast, and ketamine is safe in our hands.\n\n"
        "Unlike Spravato, our ketamine is given by infusion.\n\n"
    )
    claims = [c for c in extract_claims(page + "Ketamine relieves depression within hours.", rules)
              if "within hours" in c.text]
    assert claims and all(c.molecule == ("racemic_ketamine",) for c in claims)


def test_safety_claim_about_a_special_group_needs_evidence_from_it(index: InMemoryIndex, rules: Rules) -> None:
    # The fixture records are adult trials: they document side effects, but say nothing about breastfeeding, and
    # no regulator's statement names it (pregnancy has the label's warning: test_claims_words_groups_canada).
    claim, v = check("Ketamine can be used safely while breastfeeding.", "safety", index, rules)
    assert claim.safety_stance == "minimising"
    assert v.verdict == "insufficient_evidence" and not v.evidence
    assert any("breastfeeding" in r for r in v.reasons)
    _, adults = check("Ketamine can be used safely.", "safety", index, rules)
    assert adults.verdict != "insufficient_evidence" and adults.evidence


def test_implied_approval_on_a_depression_clinic_page(index: InMemoryIndex, rules: Rules) -> None:
    page = IV_PAGE + "Ketamine helps depression.\n\nKetamine for depression.\n\n"
    claim, v = check("Our ketamine treatment is FDA-approved.", "regulatory", index, rules, page)
    assert claim.regulatory is not None and claim.regulatory.approval_inferred
    # The page's conditions are never imported into a sentence that names none (issue 13, K/J):
    # the sentence says only that the drug is approved, which it is (as an anaesthetic).
    assert v.verdict == "supported", v.reasons
    assert any("none was assumed" in r for r in v.reasons)
    assert not any("depression" in r for r in v.reasons)


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("Ketamine is not addictive.", "contradicted"),
        ("Ketamine has no long-term side effects.", "contradicted"),
        ("At low doses, the addiction risk of ketamine is minimal.", "contradicted"),
        ("Side effects of ketamine such as dissociation are temporary and subside quickly.", "supported"),
        ("Ketamine can cause dissociation and dependence.", "supported"),
    ],
)
def test_safety(index: InMemoryIndex, rules: Rules, sentence: str, verdict: str) -> None:
    _, v = check(sentence, "safety", index, rules)
    assert v.verdict == verdict, v.reasons
    assert_cites(v)


def test_denial_needs_evidence_of_the_opposite(rules: Rules) -> None:
    # A rules set without regulatory facts and an index without abuse reports cannot contradict "not addictive".
    bare = replace(rules, facts=())
    _, v = check("Ketamine is not addictive.", "safety", InMemoryIndex([], bare), bare)
    assert v.verdict == "insufficient_evidence"


def test_onset_and_duration(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check("Ketamine relieves depression within hours.", "onset", index, rules)
    assert v.verdict == "supported" and v.evidence
    _, v = check("Ketamine offers long-lasting relief from depression.", "duration", index, rules)
    assert v.verdict in ("contradicted", "partly_supported"), v.reasons
    assert any("18 days" in e.finding or "relapse" in e.finding for e in v.evidence)


def test_the_drug_combined_with_another_treatment_against_each_alone_is_insufficient(
    index: InMemoryIndex, rules: Rules
) -> None:
    # Studies of the drug alone (they support its onset) say nothing of what adding TMS does.
    _, alone = check("Ketamine relieves depression within hours.", "onset", index, rules)
    assert alone.verdict == "supported"
    sentence = "Combining ketamine with TMS relieves depression within hours, faster than either treatment alone."
    _, v = check(sentence, "onset", index, rules)
    assert v.verdict == "insufficient_evidence", v.reasons
    assert any("combined with tms" in r for r in v.reasons)


def test_not_checkable_has_no_certainty(index: InMemoryIndex, rules: Rules) -> None:
    claim = Claim(
        id="c1",
        text="“It changed my life.” — Sam",
        kind="not_checkable",
        location=Location(0, 0, 0, 10),
        not_checkable_reason="testimonial",
        anecdote=True,
    )
    v = judge(claim, [], rules)
    assert v.verdict == "not_checkable" and v.certainty is None
    assert any("anecdote" in r for r in v.reasons)


def test_no_verdict_without_a_citation(rules: Rules) -> None:
    claim = Claim(
        id="c1",
        text="x",
        kind="efficacy_rate",
        location=Location(0, 0, 0, 1),
        indication=("depression",),
        molecule=("racemic_ketamine",),
        outcome="response",
        threshold=Threshold(">", 50, "%"),
    )
    v = judge(claim, [], rules)
    assert v.verdict == "insufficient_evidence" and not v.evidence


def test_studies_of_another_substance_are_not_evidence_for_the_drug(tmp_path: Path) -> None:
    """A psilocybin trial in the same population, with a response rate that would flip the
    verdict, must not be pooled into a claim about ketamine (nor appear as indirect evidence)."""
    from typer.testing import CliRunner

    from ketlit.cli import app

    runner = CliRunner()
    db = str(tmp_path / "k.db")
    for name in ("efetch_claims_iv_trd.xml", "efetch_psilocybin_trd.xml"):
        assert runner.invoke(app, ["--db", db, "import", str(FIXTURES / name)]).exit_code == 0
    tags = runner.invoke(app, ["--db", db, "explain", "90002001"])
    assert "psilocybin" in tags.stdout and "racemic_ketamine" not in tags.stdout
    result = runner.invoke(app, ["--db", db, "check", str(FIXTURES / "claims_page_numbers.txt"), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    ids = {e["id"] for c in payload["claims"] for e in c["evidence"]}
    assert "90001001" in ids and "90002001" not in ids
    (rate,) = [c for c in payload["claims"] if "More than 30%" in c["text"] and c["kind"] != "onset"]
    assert rate["pooled"]["k"] == 4 and rate["pooled"]["n"] == 145


# ------------------------------------------------------------------ head-to-head claims

def _h2h_record(pmid: str, design: str, abstract: str) -> dict[str, object]:
    return {
        "source": "pubmed", "id": pmid, "year": 2022, "indexed": True,
        "title": f"Synthetic head-to-head study {pmid}", "abstract": abstract,
        "tags": {"indication": ["depression", "treatment_resistant_depression"], "route": ["intravenous"],
                 "molecule": ["racemic_ketamine"], "design": [design], "population": ["adults"]},
    }


@pytest.fixture(scope="module")
def h2h_index(rules: Rules) -> InMemoryIndex:
    rows = [
        _h2h_record("91000001", "rct", "METHODS: 400 adults were randomized. CONCLUSIONS: Ketamine was noninferior "
                    "to ECT as therapy for treatment-resistant depression."),
        _h2h_record("91000002", "meta_analysis", "CONCLUSIONS: Findings from this meta-analysis suggest that ECT may "
                    "be superior to ketamine for improving depression severity."),
        # Ketamine as the anaesthetic for ECT: a different comparison, never read as ketamine vs ECT.
        _h2h_record("91000003", "rct", "METHODS: Ketamine anaesthesia for ECT was compared with propofol. "
                    "RESULTS: Ketamine was more effective than ECT with propofol in early sessions."),
        _h2h_record("91000004", "systematic_review", "CONCLUSIONS: Intravenous ketamine appears to be more "
                    "efficacious than intranasal esketamine for the treatment of depression."),
        _h2h_record("91000005", "rct", "CONCLUSIONS: Esketamine was non-inferior to ketamine for TRD at 24 h. "
                    "Trials to determine whether esketamine is comparable to ketamine are needed."),
    ]
    return InMemoryIndex(records_from_dicts(rows), rules)


@pytest.mark.parametrize(
    ("sentence", "verdict", "cited"),
    [
        ("Ketamine infusions are more effective than ECT for depression.", "contradicted", {"91000001", "91000002"}),
        ("Ketamine infusions are as effective as ECT for depression.", "partly_supported", {"91000001", "91000002"}),
        ("IV ketamine is more effective than Spravato for depression.", "partly_supported", {"91000004", "91000005"}),
        ("Ketamine infusions are more effective than psilocybin for depression.", "insufficient_evidence", set()),
    ],
)
def test_head_to_head_claims_use_only_head_to_head_findings(
    h2h_index: InMemoryIndex, rules: Rules, sentence: str, verdict: str, cited: set[str]
) -> None:
    _, v = check(sentence, "efficacy", h2h_index, rules)
    assert v.verdict == verdict, v.reasons
    assert {e.id for e in v.evidence} == cited
    assert "head-to-head" in v.as_tested or "head to head" in " ".join(v.reasons)


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # One trial's result reported: a counted randomised trial saying the same bears it out, whatever
        # the meta-analysis found.
        ("In 2023 a large randomized trial found that ketamine was noninferior to ECT for depression.", "supported"),
        # The other treatment beats the drug: a head-to-head result the drug loses, judged as such (the
        # randomised trial found noninferiority, so the report of a loss finds no trial behind it).
        ("A smaller trial found ECT produced higher remission rates than ketamine.", "partly_supported"),
        ("Studies show ECT produces higher remission rates than ketamine.", "partly_supported"),
    ],
)
def test_a_reported_trial_and_a_comparison_the_drug_loses(
    h2h_index: InMemoryIndex, rules: Rules, sentence: str, verdict: str
) -> None:
    _, v = check(sentence, "efficacy", h2h_index, rules)
    assert v.verdict == verdict, v.reasons
    assert "head-to-head" in v.as_tested


def test_without_a_harm_is_a_denial_of_it(rules: Rules) -> None:
    # "… without the memory loss associated with ECT" denies the harm; it does not assert it.
    assert rules.safety_stances["denial"].any("Ketamine works fast, without the memory loss associated with ECT.")
    assert rules.safety_stances["denial"].any("Relief without any side effects.")
    assert not rules.safety_stances["denial"].any("Memory loss can occur with frequent recreational use.")


def test_a_promised_cure_on_partial_evidence_is_misleading(index: InMemoryIndex, rules: Rules) -> None:
    """The effect is real (supported when stated plainly), but a cure, a permanent result or a benefit
    for everyone is an outcome no trial shows: contradicted (misleading), not partly supported."""
    _, plain = check("Ketamine infusions relieve treatment-resistant depression.", "efficacy", index, rules)
    assert plain.verdict == "supported", plain.reasons
    for sentence in (
        "Ketamine infusions cure treatment-resistant depression in most patients.",
        "Ketamine infusions bring permanent relief from treatment-resistant depression.",
    ):
        claim, v = check(sentence, "efficacy", index, rules)
        assert claim.strength == "absolute"
        assert v.verdict == "contradicted", (sentence, v.reasons)
        assert v.certainty != "high"
    # A denied cure is a stated limit, not a promise.
    claims = extract_claims("Ketamine is not a cure for treatment-resistant depression.", rules)
    assert all(c.strength != "absolute" for c in claims)


def test_curing_addiction_names_the_condition_not_a_risk(rules: Rules) -> None:
    kinds = {c.kind for c in extract_claims("Ketamine-assisted therapy cures addiction in most patients.", rules)}
    assert kinds == {"efficacy"}
