"""Stop 50's paraphrase pass: wordings that were judged apart from what they paraphrase, most of them false or
overstated claims shown as supported. Each is pinned with the wording it paraphrases (and, where a fix could
overreach, a sentence it must leave alone). Made-up sentences, judged on the in-repo test index."""

from __future__ import annotations

import pytest

from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.rules import Rules
from tests.claims_pages import IV_PAGE, check_kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine works remarkably well for treatment-resistant depression.",
        "Ketamine produces dramatic results for treatment-resistant depression.",
        "Ketamine is a miracle treatment for treatment-resistant depression.",
        "Ketamine works wonders for treatment-resistant depression.",
        "Ketamine is a game-changer for treatment-resistant depression.",
    ],
)
def test_praise_of_the_effect_is_intensified_like_very_effective(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    """Read as efficacy claims because the drug is their subject, they were "usage statements" whose intensifier
    qualifies the use, and were tested at plain strength: supported where "very effective" is partly."""
    claim, v = check_kind(sentence, "efficacy", index, rules, IV_PAGE)
    _, want = check_kind("Ketamine is very effective for treatment-resistant depression.", "efficacy", index, rules,
                         IV_PAGE)
    assert claim.strength == "intensified", claim.strength
    assert v.verdict == want.verdict, (v.verdict, want.verdict, v.reasons)
    assert not any("qualifies the use" in r for r in v.reasons), v.reasons


def test_a_usage_statement_still_qualifies_the_use(index: InMemoryIndex, rules: Rules) -> None:
    _, v = check_kind("Ketamine is increasingly used to treat treatment-resistant depression with remarkable results.",
                      "efficacy", index, rules, IV_PAGE)
    assert not any("the page's wording is intensified" in r for r in v.reasons) or v.verdict != "supported"


@pytest.mark.parametrize(
    "sentence",
    [
        "The benefits of ketamine for treatment-resistant depression last a lifetime.",
        "The benefits of ketamine for treatment-resistant depression never wear off.",
        "Ketamine makes treatment-resistant depression go away for good.",
    ],
)
def test_a_benefit_promised_for_life_is_a_permanent_result(sentence: str, index: InMemoryIndex, rules: Rules) -> None:
    """"Permanently relieves" was absolute (and read as at least a year); "last a lifetime", "never wear off" and "go
    away for good" were plain and supported."""
    claims = [check_kind(sentence, kind, index, rules, IV_PAGE) for kind in ("efficacy", "duration")
              if kind == "efficacy" or "away" not in sentence]
    for claim, v in claims:
        assert claim.strength == "absolute", (claim.kind, claim.strength)
        assert v.verdict != "supported", (claim.kind, v.reasons)


def test_right_away_is_immediate(index: InMemoryIndex, rules: Rules) -> None:
    claim, v = check_kind("Ketamine relieves depression right away.", "onset", index, rules, IV_PAGE)
    _, want = check_kind("Ketamine relieves depression immediately.", "onset", index, rules, IV_PAGE)
    assert claim.strength == "intensified" and claim.threshold is not None and claim.threshold.value == 24.0
    assert v.verdict == want.verdict


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine beats SSRIs for treatment-resistant depression.",
        "Ketamine works better than Prozac for treatment-resistant depression.",
        "Ketamine works better than magic mushrooms for treatment-resistant depression.",
    ],
)
def test_a_win_over_a_named_treatment_is_a_head_to_head_claim(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    """Judged as "ketamine works" (supported) before: "beats" was no comparison word, and Prozac and magic mushrooms
    no comparator. Only studies naming the comparator bear on it."""
    _, v = check_kind(sentence, "efficacy", index, rules, IV_PAGE)
    assert v.verdict != "supported", v.reasons
    assert any("compar" in r for r in v.reasons), v.reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "Ketamine has been cleared by the FDA for treating depression.",
        "Ketamine has the FDA's seal of approval for depression.",
        "Ketamine has the FDA's blessing for treating depression.",
    ],
)
def test_an_approval_in_other_words_keeps_its_use(sentence: str, index: InMemoryIndex, rules: Rules) -> None:
    """The use went unread, and the sentence was checked as "the drug has approvals" (Ketalar): supported, though
    racemic ketamine is not approved for depression. Now judged as "FDA-approved for depression" is."""
    claim, v = check_kind(sentence, "regulatory", index, rules, IV_PAGE)
    _, want = check_kind("Ketamine is FDA-approved for depression.", "regulatory", index, rules, IV_PAGE)
    assert claim.regulatory is not None and "depression" in claim.regulatory.approval_indications
    assert v.verdict == want.verdict != "supported", v.reasons


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("The chance of becoming addicted to ketamine is very small.", "minimising"),
        ("Few patients ever become dependent on ketamine.", "minimising"),
        ("Blood pressure stays completely stable during a ketamine infusion.", "denial"),
        ("Ketamine keeps blood pressure stable.", "denial"),
        ("Spravato does not require any blood pressure monitoring.", "denial"),
    ],
)
def test_a_played_down_risk_is_not_read_as_the_risk_acknowledged(
    sentence: str, stance: str, index: InMemoryIndex, rules: Rules
) -> None:
    """Each was read as admitting the harm, and supported because the harm is documented, while "the risk is low"
    and "has no effect on blood pressure" were read as what they are."""
    claim, v = check_kind(sentence, "safety", index, rules, IV_PAGE)
    assert claim.safety_stance == stance, claim.safety_stance
    assert v.verdict != "supported", v.reasons
    acknowledged, _ = check_kind("Ketamine can raise blood pressure during the infusion.", "safety", index, rules,
                                 IV_PAGE)
    assert acknowledged.safety_stance not in ("denial", "minimising")


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("The FDA requires just one hour of observation after each Spravato dose.", "contradicted"),
        ("Under the REMS, you are observed for 30 minutes after Spravato.", "contradicted"),
        ("The FDA requires two hours of observation after each Spravato dose.", "supported"),
        ("Spravato is only available through a restricted program called the REMS.", "supported"),
    ],
)
def test_the_rems_observation_time_is_compared(sentence: str, verdict: str, index: InMemoryIndex, rules: Rules) -> None:
    """The REMS fact matched whatever time the page gave: one hour, 30 minutes and 8 hours were all supported."""
    _, v = check_kind(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == verdict, v.reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("Using ketamine off-label for depression is illegal.", "contradicted"),
        ("It is against the law to use ketamine off-label.", "contradicted"),
        ("Off-label use of ketamine for depression is legal.", "supported"),
        ("Ketamine is not FDA-approved for depression, so its use is off-label.", "supported"),
    ],
)
def test_off_label_use_called_unlawful_is_contradicted(
    sentence: str, verdict: str, index: InMemoryIndex, rules: Rules
) -> None:
    """The fact that off-label prescribing is legal was cited as support for a sentence calling it illegal."""
    _, v = check_kind(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == verdict, v.reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "More frequent ketamine infusions give better results.",
        "Daily ketamine infusions work better than twice-weekly infusions.",
        "Combining ketamine with psychotherapy improves outcomes.",
        "Pairing ketamine infusions with counselling leads to better results.",
    ],
)
def test_a_schedule_or_a_combination_said_to_work_better_is_judged_on_studies_of_it(
    sentence: str, index: InMemoryIndex, rules: Rules
) -> None:
    """On a depression page these were judged as "ketamine works" and supported; the wordings "the more sessions,
    the better" and "psychotherapy enhances ketamine's effect" were already judged only on studies of the schedule or
    the combination."""
    _, v = check_kind(sentence, "efficacy", index, rules, IV_PAGE)
    assert v.verdict != "supported", v.reasons
    assert any("outcome 'dose response'" in r or "outcome 'added to therapy'" in r for r in v.reasons), v.reasons


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # A warning names no approval's use ("sedation" read as one made it partly supported).
        ("Spravato carries a boxed warning for sedation, dissociation, abuse and misuse, and suicidal thoughts.",
         "supported"),
        # The extended approval's use is the qualified one: depression in adults with suicidal thoughts.
        ("In 2020 the FDA expanded Spravato's approval to adults with major depression who have suicidal thoughts "
         "or actions.", "supported"),
    ],
)
def test_a_warning_or_an_extended_approval_keeps_its_reading(
    sentence: str, verdict: str, index: InMemoryIndex, rules: Rules
) -> None:
    _, v = check_kind(sentence, "regulatory", index, rules, IV_PAGE)
    assert v.verdict == verdict, v.reasons
