"""Train the evidence reader's sentence-role model (``src/ketlit/data/evidence_role_model.json``).

    python tools/train_role_model.py            # write the shipped JSON
    python tools/train_role_model.py --check    # exit 1 unless retraining reproduces it byte for byte
    python tools/train_role_model.py --cv 3     # k-fold cross-validation on the development abstracts

Data: the structured abstracts of the replay corpus (``../shared/data/replay/pubmed``) and of the CSV corpus
(``../shared/data/pubmed/psynamic_efetch_parsed_pubmed_results_20250306.csv``, read through
``tools/csv_to_medline.py`` as ``ketlit import`` reads it), in place, never copied into the repo. Their section
labels are the answers: every abstract with at least two sections all of whose labels name a role
(:func:`ketlit.evidence.roles.assign_roles` with the packaged rules) gives one example per sentence (sentences of
"other" sections such as trial registration are left out, as the reader leaves them out), featured as if the
abstract were unstructured (:func:`ketlit.evidence.role_model.role_features`: the labels removed, positions among
the kept sentences). Only the **development** records train it (``sha1(pmid) mod 3 != 0``); the held-back third's
structured abstracts are the bench's test of roles and are never seen here. A PMID in both corpora is read from
the XML (the fuller record), as the bench's cache holds it.

Model: scikit-learn's multinomial logistic regression (lbfgs, L2, fixed C, no randomness), vocabulary = features
seen in at least ``MIN_DF`` training sentences, weights rounded to 4 decimals. scikit-learn is needed here only
(dev extra), never at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from evidence_corpus import CORPUS, corpus_present, load_articles  # noqa: E402
from sparse_logreg import fit  # noqa: E402

from ketlit.evidence.role_model import (  # noqa: E402
    ROLE_MODEL_FILE,
    ROLE_MODEL_FORMAT,
    ROLES,
    RoleModel,
    role_features,
)
from ketlit.evidence.roles import Role, assign_roles, infer_roles  # noqa: E402
from ketlit.evidence.rules import RoleRules, load_rules  # noqa: E402
from ketlit.evidence.sentences import AbstractSentence, abstract_sentences  # noqa: E402
from ketlit.sources.models import Article  # noqa: E402

OUT = ROOT / "src/ketlit/data" / ROLE_MODEL_FILE
# L2 strength, chosen by --cv 3 on the development abstracts (stop 25, 589 abstracts, 7,038 sentences: roles right
# 0.853 / 0.858 / 0.857 and results-or-conclusions against the rest 0.953 / 0.956 / 0.956 at C 0.1 / 0.3 / 1.0).
C = 0.3
MIN_DF = 3


def held_back(pmid: str) -> bool:
    return int(hashlib.sha1(pmid.encode()).hexdigest(), 16) % 3 == 0


def _in_pmid_order(articles: dict[str, Article]) -> list[Article]:
    return [articles[p] for p in sorted(articles, key=int)]


Abstract = tuple[str, list[str], list[Role]]  # (pmid, sentence texts, their labelled roles)


def labelled_abstracts(articles: Iterable[Article], rules: RoleRules) -> list[Abstract]:
    """The structured abstracts whose every section names a role: (pmid, sentences, roles), "other" left out."""
    out: list[Abstract] = []
    for article in articles:
        if len(article.sections) < 2:
            continue
        roled = assign_roles(abstract_sentences(article.sections), rules)
        if not roled or not all(r.labelled for r in roled):
            continue
        kept = [r for r in roled if r.role != "other"]
        if kept:
            out.append((article.pmid, [r.sentence.text for r in kept], [r.role for r in kept]))
    return out


def _examples(abstracts: Sequence[Abstract]) -> tuple[list[set[str]], list[int]]:
    xs, ys = [], []
    for _, texts, roles in abstracts:
        for i, (text, role) in enumerate(zip(texts, roles, strict=True)):
            xs.append(role_features(text, i, len(texts)))
            ys.append(ROLES.index(role))
    return xs, ys


def train(abstracts: Sequence[Abstract], c: float = C) -> tuple[list[float], dict[str, list[float]]]:
    """Fit on ``abstracts``; (bias, weights by feature), rounded."""
    xs, ys = _examples(abstracts)
    return fit(xs, ys, len(ROLES), c, MIN_DF)


def accuracy(abstracts: Sequence[Abstract], model: RoleModel, rules: RoleRules) -> tuple[float, float, int]:
    """(roles right, results-or-conclusions against the rest right, sentences) of ``model`` on ``abstracts``."""
    same = same_binary = total = 0
    finding = {"results", "conclusions"}
    for _, texts, gold in abstracts:
        bare = [AbstractSentence(i, 0, None, None, t) for i, t in enumerate(texts)]
        got = infer_roles(bare, rules, model)
        for g, r in zip(gold, got, strict=True):
            total += 1
            same += g == r
            same_binary += (g in finding) == (r in finding)
    return same / total, same_binary / total, total


def cross_validate(k: int, c: float) -> None:
    rules = load_rules(None).roles
    dev = [a for a in labelled_abstracts(_in_pmid_order(load_articles()), rules) if not held_back(a[0])]
    fold = {a[0]: int(hashlib.sha1(f"{a[0]}:{k}".encode()).hexdigest(), 16) % k for a in dev}
    same = binary = total = 0.0
    for i in range(k):
        bias, weights = train([a for a in dev if fold[a[0]] != i], c)
        model = RoleModel(tuple(bias), {f: tuple(w) for f, w in weights.items()})
        acc, acc_binary, n = accuracy([a for a in dev if fold[a[0]] == i], model, rules)
        same, binary, total = same + acc * n, binary + acc_binary * n, total + n
    print(f"C={c}: {k}-fold CV over {len(dev)} development abstracts ({int(total)} sentences): "
          f"roles {same / total:.3f}, results-or-conclusions vs rest {binary / total:.3f}")


def model_json() -> str:
    """The shipped JSON, trained on every development abstract."""
    rules = load_rules(None).roles
    dev = [a for a in labelled_abstracts(_in_pmid_order(load_articles()), rules) if not held_back(a[0])]
    bias, weights = train(dev)
    xs, _ = _examples(dev)
    doc = {
        "format": ROLE_MODEL_FORMAT,
        "roles": list(ROLES),
        "trained_on": f"{len(dev)} development structured abstracts, {len(xs)} sentences (tools/train_role_model.py)",
        "c": C,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cv", type=int, default=0, help="k-fold cross-validation on the development abstracts")
    ap.add_argument("--c", type=float, default=C)
    ap.add_argument("--check", action="store_true", help="exit 1 unless retraining reproduces the shipped file")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if not corpus_present():
        print(f"skipped: the replay corpus is not at {CORPUS[0].parent} (../shared is absent)")
        return 0
    if args.cv:
        cross_validate(args.cv, args.c)
        return 0
    text = model_json()
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print("reproduced byte for byte" if same else f"retraining does not reproduce {OUT}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
