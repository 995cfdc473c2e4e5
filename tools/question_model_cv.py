"""Would a trained study-question classifier beat the ``[[question]]`` rules? Measures it.

    PYTHONPATH=src python tools/question_model_cv.py [--folds 5]

Builds the bench's cache (``ketlit import`` of the replay corpus in ``../shared``), then on the
development two thirds of ``labels/evidence/findings.jsonl`` only (the held-back third is never
read) prints:
- the rules' accuracy;
- the k-fold cross-validated accuracy of a tf-idf (word 1-2 grams) + logistic-regression model
  over the title, aim and methods sentences and the design tags;
- both accuracies on the records the rules decide with a catch-all rule (a design tag alone, or
  nothing), the only records a hybrid would hand to the model.

The result is quoted in ``ketlit.evidence.questions``' docstring as the reason no question model
ships. scikit-learn is needed here only (as for tools/train_evidence_model.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketlit.evidence.questions import _texts, classify  # noqa: E402
from ketlit.evidence.roles import assign_roles  # noqa: E402
from ketlit.evidence.rules import load_rules  # noqa: E402
from ketlit.evidence.sentences import abstract_sentences  # noqa: E402
from ketlit.store.core import open_store  # noqa: E402
from ketlit.tagging import load_rules as load_tagging_rules  # noqa: E402


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("evidence_reading", ROOT / "bench/evidence_reading.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(list(argv) if argv is not None else None)
    bench = _bench()
    if not all(p.exists() for p in bench.CORPUS):
        print(f"skipped: the replay corpus is not at {bench.CORPUS[0].parent}")
        return 0
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    rules = load_rules(None, load_tagging_rules(None))
    gold = [g for g in bench.load_gold(bench.GOLD) if bench.in_split(g["pmid"], "dev")]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cv.db"
        bench.build_cache(db)
        store = open_store(db)
        pmids = [g["pmid"] for g in gold]
        articles = {a.pmid: a for a in store.load_articles(pmids)}
        tags = store.tags.tags_of("pubmed", pmids)
    gold = [g for g in gold if g["pmid"] in articles]
    catch_all = {r.index for r in rules.questions if r.pattern.pattern in (".", "(?:.)")}
    texts, answers, by_rules, at_catch_all = [], [], [], []
    for g in gold:
        article = articles[g["pmid"]]
        sentences = assign_roles(abstract_sentences(article.sections), rules.roles)
        designs = frozenset(tags.get(g["pmid"], {}).get("design", ()))
        t = _texts(article.title, sentences)
        texts.append(" ".join([t["design"], *(f"design_{d}" for d in sorted(designs))]))
        answers.append(g["question"])
        q = classify(article.title, sentences, designs, rules.questions)
        by_rules.append(q.value)
        at_catch_all.append(q.rule in catch_all or q.rule == -1)
    by_model: list[str] = [""] * len(texts)
    for train, test in KFold(args.folds, shuffle=True, random_state=0).split(texts):
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        model = LogisticRegression(C=10.0, max_iter=2000)
        model.fit(vec.fit_transform([texts[i] for i in train]), [answers[i] for i in train])
        for i, label in zip(test, model.predict(vec.transform([texts[i] for i in test])), strict=True):
            by_model[i] = str(label)

    def acc(pred: list[str], where: list[bool]) -> str:
        idx = [i for i, w in enumerate(where) if w]
        return f"{sum(pred[i] == answers[i] for i in idx) / max(1, len(idx)):.2f} ({len(idx)} records)"

    everywhere = [True] * len(answers)
    print(f"rules (written on these records): {acc(by_rules, everywhere)}")
    print(f"tf-idf + logistic regression, {args.folds}-fold CV: {acc(by_model, everywhere)}")
    print(f"at the catch-all rules: rules {acc(by_rules, at_catch_all)}, model {acc(by_model, at_catch_all)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
