"""A small trained model of sentence roles for unstructured abstracts, learnt from structured ones.

Only results and conclusions sentences may carry findings, so for an abstract without section
labels the role of each sentence decides what the finding reader looks at. Structured abstracts
are the answer key for free: their labels say what each sentence is. This model is trained on
the development two thirds of the cache's structured abstracts with the labels removed, and gives
each sentence of an unstructured abstract a log-probability per role; :mod:`ketlit.evidence.roles`
then finds the best sequence that never goes backwards (background → objective → methods →
results → conclusions).

Design decisions:
- **Measured against the phrase cues it replaces**, on structured abstracts with their labels
  removed (``bench/evidence_reading.py``; three-fold cross-validation within the development
  split when it was chosen): roles right 0.804 → 0.857, results-or-conclusions against the rest
  0.928 → 0.957. Adding the old cue weights to the model's scores changed the second figure by
  nothing and the first by +0.007, and the old position prior lowered both; so the packaged rules
  carry no cues (a user's rules file may still add some: their weights are added to the model's
  log-probabilities), and the cue scan no longer runs on every sentence.
- **Linear, sparse, plain Python**, like the direction model (:mod:`ketlit.evidence.model`, whose
  word splitter it shares): binary features (the sentence's words; whether it prints a digit;
  its position in the abstract in tenths, and whether it is the first or last sentence), a
  multinomial logistic regression, inference a dict lookup per word and a log-softmax over five
  sums. Word pairs measured no better than single words.
- **Weights are data** (``data/evidence_role_model.json``), reproduced byte for byte by
  ``tools/train_role_model.py`` from the abstracts in ``../shared`` (scikit-learn at training
  time only); never trained on the held-back third, which stays the bench's test. They are part
  of the evidence rules' digest, so new weights re-read stored profiles.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

from ketlit.evidence.model import words_of

ROLES: Final = ("background", "objective", "methods", "results", "conclusions")
ROLE_MODEL_FILE: Final = "evidence_role_model.json"
ROLE_MODEL_FORMAT: Final = 1
POSITION_BINS: Final = 10
_DIGIT: Final = re.compile(r"\d")


def role_features(text: str, position: int, count: int) -> set[str]:
    """The binary features of sentence ``position`` (0-based) of ``count`` in an abstract."""
    feats = set(words_of(text.lower()))
    if _DIGIT.search(text):
        feats.add("#digit")
    rel = position / (count - 1) if count > 1 else 1.0
    feats.add(f"#pos{min(int(rel * POSITION_BINS), POSITION_BINS - 1)}")
    if position == 0:
        feats.add("#first")
    if position == count - 1:
        feats.add("#last")
    return feats


@dataclass(frozen=True, slots=True)
class RoleModel:
    """Shipped weights; :meth:`log_scores` gives a log-probability per role, in :data:`ROLES` order."""

    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]

    def scores(self, features: Iterable[str]) -> list[float]:
        """The five roles' linear scores (log-probabilities up to one constant per sentence).

        What the role sequence is chosen on: the log-softmax subtracts the same normaliser from every role
        of a sentence, so the best path through the sentences is the same with or without it, and the
        exponentials are not paid for on every sentence of every unstructured abstract.
        """
        # ``filter(None, …)`` drops the misses in C (a weight row is never falsy).
        rows = list(filter(None, map(self.weights.get, features)))
        if rows:
            return [b + sum(col) for b, col in zip(self.bias, zip(*rows, strict=True), strict=True)]
        return list(self.bias)

    def log_scores(self, features: Iterable[str]) -> list[float]:
        """Log-softmax of the five roles' linear scores (:meth:`scores`)."""
        z = self.scores(features)
        top = max(z)
        norm = top + math.log(sum(math.exp(v - top) for v in z))
        return [v - norm for v in z]


def role_model_from_json(data: Mapping[str, object]) -> RoleModel:
    """A model from its JSON form (see ``tools/train_role_model.py``); ValueError when malformed."""
    roles = data.get("roles")
    if data.get("format") != ROLE_MODEL_FORMAT or not isinstance(roles, list) or tuple(roles) != ROLES:
        raise ValueError(f"not a format-{ROLE_MODEL_FORMAT} role model over {ROLES}")
    raw_weights, bias = data.get("weights"), data.get("bias")
    if not isinstance(raw_weights, dict) or not isinstance(bias, list):
        raise ValueError("role model: weights and bias must be an object and a list")
    weights = {str(k): tuple(float(x) for x in v) for k, v in raw_weights.items()}
    if len(bias) != len(ROLES) or any(len(w) != len(ROLES) for w in weights.values()):
        raise ValueError(f"role model: every weight row needs {len(ROLES)} values")
    return RoleModel(bias=tuple(float(x) for x in bias), weights=weights)


@functools.cache
def packaged_role_model_bytes() -> bytes:
    """The shipped role model as bytes (part of the rules digest: new weights re-read profiles)."""
    return resources.files("ketlit").joinpath("data", ROLE_MODEL_FILE).read_bytes()


@functools.cache
def packaged_role_model() -> RoleModel:
    """The shipped role model (read once per process)."""
    return role_model_from_json(json.loads(packaged_role_model_bytes().decode("utf-8")))
