"""The evidence reader's trained direction model (ketlit.evidence.model): shipped weights, features,
how its scores change the rules' reading, and that the training tool reproduces the shipped file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ketlit.evidence.findings import read_findings
from ketlit.evidence.model import (
    ANSWERS,
    DRUG_FEATURE,
    DirectionModel,
    Thresholds,
    model_from_json,
    packaged_model,
    packaged_model_bytes,
    sentence_features,
)
from ketlit.evidence.roles import RoledSentence
from ketlit.evidence.rules import packaged_rules
from ketlit.evidence.sentences import AbstractSentence
from tests.conftest import assert_same_model, repo_module
from tests.evidence_probe import rules_for

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools/train_evidence_model.py"
RULES = packaged_rules()


def _sentence(text: str, role: str = "results") -> RoledSentence:
    return RoledSentence(AbstractSentence(0, 0, None, None, text), role, False)  # type: ignore[arg-type]


def _model(weights: Mapping[str, tuple[float, ...]], t: Thresholds) -> DirectionModel:
    return DirectionModel((0.0, 0.0, 0.0, 0.0), weights, t)


def test_shipped_weights_load_and_give_probabilities() -> None:
    model = packaged_model()
    doc = json.loads(packaged_model_bytes())
    assert doc["answers"] == list(ANSWERS)
    assert len(model.weights) == len(doc["weights"]) > 100
    # Trained on the development records only: the held-back third stays a test.
    assert "development records" in doc["trained_on"]
    p = model.scores(sentence_features("Ketamine significantly reduced pain scores (p < 0.01).", "results"))
    assert set(p) == set(ANSWERS)
    assert math.isclose(sum(p.values()), 1.0)


def test_features_are_words_negated_words_and_role_without_numbers() -> None:
    feats = sentence_features("No significant difference in HAM-D (p = 0.12; 95% CI -1 to 3).", "results")
    assert {"no", "significant", "¬significant", "¬difference", "ham", "d", "p", "=", "%", "role=results"} <= feats
    assert not any(ch.isdigit() for f in feats for ch in f)
    assert "¬ham" not in feats  # the scope is three words
    assert not any(" " in f for f in feats)  # no word pairs


def test_model_adds_a_finding_where_the_rules_read_none() -> None:
    text = "Outcomes were largely favourable for the added psychotherapy."
    assert read_findings([_sentence(text)], RULES.findings, None) == []
    sure = _model({"favourable": (0.0, 0.0, 5.0, 0.0)}, Thresholds(1.01, 0.6, 1.01))
    (found,) = read_findings([_sentence(text)], RULES.findings, sure)
    assert (found.direction, found.sentence) == ("decreased", 0)
    assert found.basis.startswith("model: decreased")
    unsure = _model({"favourable": (0.0, 0.0, 0.5, 0.0)}, Thresholds(1.01, 0.6, 1.01))
    assert read_findings([_sentence(text)], RULES.findings, unsure) == []


def test_model_drops_only_when_sure_and_never_turns_above_one() -> None:
    text = "Ketamine reduced depression scores compared with placebo (p = 0.01)."
    (ruled,) = read_findings([_sentence(text)], RULES.findings, None)
    assert ruled.direction == "decreased"
    says_none = {"reduced": (6.0, 0.0, 0.0, 0.0)}
    assert read_findings([_sentence(text)], RULES.findings, _model(says_none, Thresholds(1.01, 1.01, 0.9))) == []
    assert read_findings([_sentence(text)], RULES.findings, _model(says_none, Thresholds(1.01, 1.01, 1.01))) == [ruled]
    says_up = {"reduced": (0.0, 6.0, 0.0, 0.0)}
    assert read_findings([_sentence(text)], RULES.findings, _model(says_up, Thresholds(1.01, 1.01, 1.01))) == [ruled]
    (turned,) = read_findings([_sentence(text)], RULES.findings, _model(says_up, Thresholds(0.9, 1.01, 1.01)))
    assert turned.direction == "increased" and turned.basis.startswith("model: increased")


def test_model_reads_only_results_and_conclusions() -> None:
    sure = _model({"favourable": (0.0, 0.0, 5.0, 0.0)}, Thresholds(1.01, 0.6, 1.01))
    text = "Outcomes were largely favourable in earlier reports."
    assert read_findings([_sentence(text, "background")], RULES.findings, sure) == []


def test_malformed_model_json_is_refused() -> None:
    good = json.loads(packaged_model_bytes())
    with pytest.raises(ValueError, match="format"):
        model_from_json({**good, "format": 99})
    with pytest.raises(ValueError, match="values"):
        model_from_json({**good, "weights": {"word": [1.0, 2.0]}})


def test_the_drug_is_one_feature_not_its_names() -> None:
    """A sentence about another configured drug is weighed as the same sentence about ketamine: the names of the
    rules' drug are the feature ``#drug``, never words of their own."""
    drug = RULES.findings.drug
    feats = sentence_features("Esketamine significantly reduced MADRS scores versus placebo.", "results", drug)
    assert DRUG_FEATURE in feats and "esketamine" not in feats and {"reduced", "placebo"} <= feats
    assert sentence_features("Placebo did not reduce pain.", "results", drug) == sentence_features(
        "Placebo did not reduce pain.", "results"
    )  # no name: no feature, the words as they were
    # The same sentence about two drugs, each read with its own rules, has the same features.
    psilocybin = rules_for("psilocybin").findings.drug
    assert sentence_features("Psilocybin reduced anxiety.", "results", psilocybin) == sentence_features(
        "Ketamine reduced anxiety.", "results", drug
    )
    # Blanked in place: the negation scope still counts the words after it.
    assert "¬reduce" in sentence_features("Ketamine did not reduce pain.", "results", drug)
    # A name inside a word is another substance's: no feature, no fragment ("nor", a negation word) left behind.
    feats = sentence_features("Plasma norketamine concentrations were higher (p < 0.01).", "results", drug)
    assert "norketamine" in feats and DRUG_FEATURE not in feats and "nor" not in feats
    assert DRUG_FEATURE in packaged_model().weights


def _tool() -> Any:
    return repo_module("tools/train_evidence_model.py")


def test_retraining_reproduces_the_shipped_weights() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn (dev extra) is needed to retrain")
    tool = _tool()
    if not tool.corpus_present():
        pytest.skip("the replay corpus in ../shared is absent: the abstracts to train on are not here")
    assert_same_model(tool.model_json(tool.THRESHOLDS), packaged_model_bytes().decode("utf-8"))
