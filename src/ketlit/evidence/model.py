"""A small trained direction model that checks the rule reader's findings, one sentence at a time.

The phrase rules of :mod:`ketlit.evidence.findings` read first; this model is a second, independent
reader. For every results or conclusions sentence it scores four answers (no finding, increased,
decreased, no difference) from the sentence's words alone, and the reader adds a finding where
the rules read none, or drops the rules' findings as not a result, only when the model is sure
enough (thresholds shipped with the weights); otherwise the rules' reading stands and, where
they read nothing, the reader abstains.

Design decisions:
- **Linear, sparse, plain Python.** A multinomial logistic regression over binary features:
  lower-cased words, words in the scope of a negation (the three words after "no", "not",
  "without", ...) and the sentence's role. Inference is one ``translate`` + ``split`` per
  sentence, a dict lookup per word and a softmax over four sums, so the reader stays within
  its records/s budget and needs no numerical library at run time.
- **Independent of the rules' reading, by measurement.** The rules' own outputs as features
  (the rules propose, the model decides) and letting the model turn a rule finding's direction
  both scored lower in cross-validation on the development labels than the words alone with
  the model only filling the rules' silences: the rules were written on those records, so a
  model learns to trust them more than unseen wording deserves. Word pairs added nothing either.
- **Weights are data, shipped as JSON** (``data/evidence_direction_model.json``): the vocabulary
  (features seen in at least two training sentences) with one weight per answer, the biases and
  the decision thresholds. ``tools/train_evidence_model.py`` reproduces the file byte for byte
  from the labels in ``labels/evidence/`` and the abstracts in ``../shared`` (scikit-learn at
  training time only, fixed settings, weights rounded). Only the development two thirds of the
  labels train it; the held-back third stays a test.
- **Features are computed here, once**, for training and reading alike, so the two cannot drift.
- **No drug's name is a feature.** The configured drug's names (the rules' ``{drug}`` vocabulary) are one
  feature, ``#drug``, and their words are not read: a model trained on one drug's labelled records
  (ketamine's) then weighs a sentence about another configured drug (psilocybin, MDMA) as it would the same
  sentence about the first. With the names as words it learnt which drug's trials were more often null
  ("esketamine" leaned to no difference, "ketamine" to a decrease) and dropped other drugs' results as
  not findings, the name that made a sentence look like a result being missing.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

from ketlit.evidence.matcher import Matcher

if TYPE_CHECKING:
    from ketlit.evidence.matcher import TextPattern

Answer = Literal["none", "increased", "decreased", "no_difference"]
ANSWERS: Final[tuple[Answer, ...]] = ("none", "increased", "decreased", "no_difference")
MODEL_FILE: Final = "evidence_direction_model.json"
FORMAT: Final = 2  # 2: the drug's names as one feature (``DRUG_FEATURE``), not as words
DRUG_FEATURE: Final = "#drug"

# One C-level pass turns a lower-cased sentence into space-separated words: digits go (numbers
# matter by their place, "p <", "95 % ci", not their value), comparison signs and "%" become
# words of their own, any other punctuation separates words.
_WORDS: Final = str.maketrans(
    {
        **{c: " " for c in "!\"#$&'()*+,-./:;?@[\\]^_`{|}~’‘“”–—−±×·•"},
        **{c: "" for c in "0123456789"},
        **{c: f" {c} " for c in "<>=≤≥%"},
    }
)
# Negations: the next three words are also seen as negated ("no significant difference" →
# ¬significant, ¬difference), the NegEx idea in its cheapest form.
# The same mapping for ASCII text as one ``bytes.translate`` (punctuation to spaces, digits
# deleted) and a ``replace`` per comparison sign present: ~2x faster than ``str.translate``
# with a dict, which looks up every character. Same words (``tests/test_evidence_speed.py``).
_PUNCT_ASCII: Final = bytes(k for k, v in _WORDS.items() if k < 128 and v == " ")
_ASCII_TABLE: Final = bytes.maketrans(_PUNCT_ASCII, b" " * len(_PUNCT_ASCII))
_DIGITS: Final = bytes(k for k, v in _WORDS.items() if k < 128 and v == "")
_SIGNS_ASCII: Final = tuple(chr(k) for k, v in _WORDS.items() if k < 128 and v not in (" ", ""))


def _words(lowered: str) -> list[str]:
    """``lowered.translate(_WORDS).split()``."""
    if not lowered.isascii():
        return lowered.translate(_WORDS).split()
    spaced = lowered.encode().translate(_ASCII_TABLE, _DIGITS).decode()
    for sign in _SIGNS_ASCII:
        if sign in spaced:
            spaced = spaced.replace(sign, f" {sign} ")
    return spaced.split()


# The role model (:mod:`ketlit.evidence.role_model`) splits sentences into the same words.
words_of: Final = _words

_NEGATIONS: Final = frozenset({"no", "not", "without", "neither", "nor", "never", "failed", "lack", "absence", "none"})
_SCOPE: Final = 3


def without_names(text: str, drug: TextPattern) -> str | None:
    """``text`` with every name of the drug blanked (spaces of the same length), or None when it names none."""
    # A Matcher (the packaged rules' drug) looks for its few names alone: the sentence's clauses were scanned for
    # every group, the whole sentence mostly not.
    spans = drug.spans_alone(text) if isinstance(drug, Matcher) else [m.span() for m in drug.finditer(text)]
    # A name inside a word is another substance's ("norketamine", "hydroxynorketamine"): it stays a word, or blanking
    # would leave a fragment ("nor", a negation) of its own.
    n = len(text)
    spans = [(a, b) for a, b in spans if not (a and text[a - 1].isalnum()) and not (b < n and text[b].isalnum())]
    if not spans:
        return None
    parts: list[str] = []
    at = 0
    for a, b in spans:
        parts.append(text[at:a])
        parts.append(" " * (b - a))
        at = b
    parts.append(text[at:])
    return "".join(parts)


def sentence_features(text: str, role: str, drug: TextPattern | None = None) -> set[str]:
    """The binary features of one sentence: its words, negated words and role; with ``drug`` (the
    rules' drug names), :data:`DRUG_FEATURE` where the sentence names the drug, in place of the names.

    Cheap by design (the reader must stay fast): one ``translate`` and ``split`` give the words,
    a set of them is the bag; only negations, a few per sentence at most, add scoped words. Word
    pairs were measured (cross-validation on the development labels) to add nothing over single
    words, so they are left out.
    """
    blanked = without_names(text, drug) if drug is not None else None
    words = _words((text if blanked is None else blanked).lower())
    feats = set(words)
    if blanked is not None:
        feats.add(DRUG_FEATURE)
    if not feats.isdisjoint(_NEGATIONS):
        for i, w in enumerate(words):
            if w in _NEGATIONS:
                feats.update(["¬" + x for x in words[i + 1 : i + 1 + _SCOPE]])
    feats.add("role=" + role)
    return feats


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How sure the model must be to overrule the rules (a probability; above 1: never).

    A rule finding is turned to the model's direction at p ≥ ``override``; a finding is added
    where the rules read none at p ≥ ``add``; the rules' findings are dropped at p(none) ≥ ``drop``.
    """

    override: float
    add: float
    drop: float


@dataclass(frozen=True, slots=True)
class DirectionModel:
    """Shipped weights and thresholds; :meth:`scores` gives a probability per answer."""

    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    thresholds: Thresholds

    def scores(self, features: Iterable[str]) -> dict[Answer, float]:
        """Softmax probabilities of the four answers."""
        # ``filter(None, …)`` drops the misses in C (a weight row, four floats, is never falsy).
        rows = list(filter(None, map(self.weights.get, features)))
        b0, b1, b2, b3 = self.bias
        if rows:
            # Unrolled for the four answers (same sums, same order); a row is one feature's weights.
            c0, c1, c2, c3 = zip(*rows, strict=True)
            z0, z1, z2, z3 = b0 + sum(c0), b1 + sum(c1), b2 + sum(c2), b3 + sum(c3)
        else:
            z0, z1, z2, z3 = b0, b1, b2, b3
        top = max(z0, z1, z2, z3)
        e0, e1, e2, e3 = math.exp(z0 - top), math.exp(z1 - top), math.exp(z2 - top), math.exp(z3 - top)
        total = e0 + e1 + e2 + e3  # sum()'s order: 0 + e0 is e0
        return {"none": e0 / total, "increased": e1 / total, "decreased": e2 / total, "no_difference": e3 / total}


def model_from_json(data: Mapping[str, object]) -> DirectionModel:
    """A model from its JSON form (see ``tools/train_evidence_model.py``); ValueError when malformed."""
    if data.get("format") != FORMAT or list(data.get("answers", [])) != list(ANSWERS):  # type: ignore[call-overload]
        raise ValueError(f"not a format-{FORMAT} direction model over {ANSWERS}")
    raw_weights = data["weights"]
    bias = data["bias"]
    thresholds = data["thresholds"]
    if not isinstance(raw_weights, dict) or not isinstance(bias, list) or not isinstance(thresholds, dict):
        raise ValueError("direction model: weights, bias and thresholds must be an object, a list and an object")
    weights = {str(k): tuple(float(x) for x in v) for k, v in raw_weights.items()}
    if len(bias) != len(ANSWERS) or any(len(w) != len(ANSWERS) for w in weights.values()):
        raise ValueError(f"direction model: every weight row needs {len(ANSWERS)} values")
    return DirectionModel(
        bias=tuple(float(x) for x in bias),
        weights=weights,
        thresholds=Thresholds(float(thresholds["override"]), float(thresholds["add"]), float(thresholds["drop"])),
    )


@functools.cache
def packaged_model_bytes() -> bytes:
    """The shipped model file as bytes (part of the rules digest: new weights re-read profiles)."""
    return resources.files("ketlit").joinpath("data", MODEL_FILE).read_bytes()


@functools.cache
def packaged_model() -> DirectionModel:
    """The shipped model (read once per process)."""
    return model_from_json(json.loads(packaged_model_bytes().decode("utf-8")))
