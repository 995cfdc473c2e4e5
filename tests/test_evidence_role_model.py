"""The sentence-role model for unstructured abstracts (ketlit.evidence.role_model, tools/train_role_model.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from ketlit.errors import KetlitError
from ketlit.evidence.role_model import (
    ROLES,
    RoleModel,
    packaged_role_model,
    packaged_role_model_bytes,
    role_features,
    role_model_from_json,
)
from ketlit.evidence.roles import assign_roles, infer_roles
from ketlit.evidence.rules import load_rules, packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection
from tests.conftest import assert_same_model, repo_module

ROOT = Path(__file__).resolve().parents[1]
RULES = packaged_rules()

# An unstructured abstract written for this test in the usual order of the parts.
ABSTRACT = (
    "Depression is a common and disabling disorder, and many patients do not respond to standard antidepressants. "
    "We aimed to test whether a single infusion of the drug reduces depressive symptoms. "
    "Sixty adults with major depression were randomly assigned to the drug or saline and rated with the MADRS at "
    "baseline and 24 h. "
    "At 24 h, response rates were 45% with the drug and 12% with saline (p < 0.001). "
    "Dissociation was more frequent with the drug (30% vs 5%). "
    "A single infusion produced a rapid antidepressant effect; longer trials are needed."
)


def _roles(text: str) -> list[str]:
    return [r.role for r in assign_roles(abstract_sentences([AbstractSection(None, None, text)]), RULES.roles)]


def test_features_are_words_digits_and_position() -> None:
    first = role_features("Ketamine reduced MADRS scores by 12 points.", 0, 5)
    assert {"ketamine", "reduced", "madrs", "scores", "#digit", "#pos0", "#first"} <= first
    assert "#last" not in first and "12" not in first  # digits go from the words, as in the direction model
    last = role_features("Further trials are needed.", 4, 5)
    assert {"#pos9", "#last"} <= last and "#digit" not in last
    assert "#pos9" in role_features("Only sentence.", 0, 1)  # one sentence: its position is the end


def test_log_scores_are_a_log_softmax() -> None:
    model = RoleModel((0.0, 0.0, 0.0, 1.0, 0.0), {"significant": (0.0, 0.0, -1.0, 2.0, 0.5)})
    scores = model.log_scores({"significant", "unknown"})
    assert math.isclose(sum(math.exp(v) for v in scores), 1.0)
    assert max(range(5), key=lambda i: scores[i]) == ROLES.index("results")
    assert math.isclose(sum(math.exp(v) for v in model.log_scores(set())), 1.0)


def test_the_shipped_model_reads_an_unstructured_abstract_in_order() -> None:
    roles = _roles(ABSTRACT)
    assert roles[0] == "background"
    assert roles[2] == "methods"
    assert roles[3] == "results" and roles[4] == "results"
    assert roles[-1] == "conclusions"
    assert roles == sorted(roles, key=("background", "objective", "methods", "results", "conclusions").index)


def test_an_opening_claim_stays_background_whatever_its_words() -> None:
    # The expert review's case: "ketamine has rapid antidepressant effects" in an introduction is no finding.
    text = ("Ketamine has rapid antidepressant effects. We reviewed the charts of 40 treated patients. "
            "Scores fell by half within a week (p = 0.01).")
    assert _roles(text)[0] in ("background", "objective")


def test_labelled_sections_keep_their_labels() -> None:
    sections = [AbstractSection("BACKGROUND", "BACKGROUND", "Response rates were 45% (p < 0.001)."),
                AbstractSection("RESULTS", "RESULTS", "Depression is a common disorder.")]
    roled = assign_roles(abstract_sentences(sections), RULES.roles)
    assert [(r.role, r.labelled) for r in roled] == [("background", True), ("results", True)]


def test_infer_roles_ignores_labels_and_takes_another_model() -> None:
    sentences = abstract_sentences([AbstractSection(None, None, ABSTRACT)])
    assert infer_roles(sentences, RULES.roles) == _roles(ABSTRACT)
    everything_results = RoleModel((0.0, 0.0, 0.0, 9.0, 0.0), {})
    assert set(infer_roles(sentences, RULES.roles, everything_results)) == {"results"}


def test_a_users_cue_adds_its_weight(tmp_path: Path) -> None:
    packaged = (ROOT / "src/ketlit/data/evidence_rules.toml").read_text(encoding="utf-8")
    cue = '[[roles.cue]]\nrole = "conclusions"\nweight = 50.0\npatterns = [\'\\bDepression is a common\\b\']\n\n'
    user = tmp_path / "rules.toml"
    user.write_text(packaged.replace("[reading]", cue + "[reading]", 1), encoding="utf-8")
    rules = load_rules(user)
    roles = [r.role for r in assign_roles(abstract_sentences([AbstractSection(None, None, ABSTRACT)]), rules.roles)]
    assert set(roles) == {"conclusions"}  # the first sentence is pushed to the last role; order keeps the rest there


def test_the_old_position_prior_is_refused_with_a_reason(tmp_path: Path) -> None:
    packaged = (ROOT / "src/ketlit/data/evidence_rules.toml").read_text(encoding="utf-8")
    user = tmp_path / "rules.toml"
    user.write_text(packaged.replace("[reading]", "[roles.position]\nresults = [0.65, 0.3, 0.0]\n\n[reading]", 1),
                    encoding="utf-8")
    with pytest.raises(KetlitError, match=r"roles\.position.*trained role model"):
        load_rules(user)


def test_malformed_model_json_is_refused() -> None:
    with pytest.raises(ValueError):
        role_model_from_json({"format": 1, "roles": ["a"], "bias": [], "weights": {}})
    with pytest.raises(ValueError):
        role_model_from_json({"format": 1, "roles": list(ROLES), "bias": [0.0] * 5, "weights": {"x": [1.0]}})
    assert packaged_role_model().weights  # the shipped file loads


def _tool() -> ModuleType:
    return repo_module("tools/train_role_model.py")


def test_retraining_reproduces_the_shipped_weights() -> None:
    tool = _tool()
    if not tool.corpus_present():
        pytest.skip("the replay corpus in ../shared is absent: the abstracts to train on are not here")
    assert_same_model(tool.model_json(), packaged_role_model_bytes().decode("utf-8"))


@pytest.mark.sources
def test_the_path_on_linear_scores_is_the_path_on_log_probabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        ABSTRACT,
        "Ketamine has rapid antidepressant effects. We reviewed the charts of 40 treated patients. Scores fell by half "
        "within a week (p = 0.01). Larger trials are needed.",
        "Twelve adults received esketamine. Dissociation peaked at 40 minutes and resolved by two hours in all.",
    ]
    sentences = [abstract_sentences([AbstractSection(None, None, t)]) for t in texts]
    fast = [infer_roles(s, RULES.roles) for s in sentences]
    linear = RoleModel.scores

    def normalised(self: RoleModel, features: Iterable[str]) -> list[float]:
        z = linear(self, features)
        norm = max(z) + math.log(sum(math.exp(v - max(z)) for v in z))
        return [v - norm for v in z]

    monkeypatch.setattr(RoleModel, "scores", normalised)
    assert [infer_roles(s, RULES.roles) for s in sentences] == fast
