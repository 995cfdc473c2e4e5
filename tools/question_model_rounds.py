"""Would a trained study-question model beside the rules carry over to records nobody tuned on? (stop 48)

    PYTHONPATH=src python tools/question_model_rounds.py [--decide]

The model: tf-idf word 1-2 grams of the title, aim and methods plus the design tags, logistic regression (C = 10),
overriding the rules' question where its probability is >= 0.5 (``tools/question_model_cv.py`` has the
development-split view). Training data: every labelled set but the held ones (the gold development split, sets i
and j, probe rounds 1-29). Prints:
- left-one-round-out on the real records of rounds 16-29: rules, rules + model, model alone, per round;
- 5-fold on the ketamine sets the rules were written from (gold development, sets i, j), rounds always trained on;
- with ``--decide``: set k (the held third's one-pass records, never tuned on), the test decided in advance
  (keep the model only with a gain of 3 or more of its 138). The gold held third is never scored here.

Stop 48's figures are in bench/README.md (rounds 600 -> 639 of 713; set k 100 -> 102: not kept). Needs
``../shared`` (the cache the bench builds and the rounds' source file) and scikit-learn (dev extra).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench"), str(ROOT / "tools")]

import probe_reading  # noqa: E402
from question_model_cv import _bench  # noqa: E402

from ketlit.config import Settings  # noqa: E402
from ketlit.evidence.profile import read_profile  # noqa: E402
from ketlit.evidence.questions import _texts  # noqa: E402
from ketlit.evidence.roles import assign_roles  # noqa: E402
from ketlit.evidence.sentences import abstract_sentences  # noqa: E402
from ketlit.jobs.tag import TagRunner  # noqa: E402
from ketlit.sources.models import Article  # noqa: E402
from ketlit.store.core import open_store  # noqa: E402

HELD = frozenset({"gold_held", "set_k"})
LABELS = ROOT / "labels/evidence"
THRESHOLD = 0.5


def _item(group: str, key: str, article: Article, tags: dict[str, list[str]], rules: Any, case: dict[str, Any]) -> dict[
    str, Any
]:
    sentences = assign_roles(abstract_sentences(article.sections), rules.roles)
    designs = sorted(set(tags.get("design", [])))
    text = " ".join([_texts(article.title, sentences)["design"], *(f"design_{d}" for d in designs)])
    return {"group": group, "id": key, "text": text, "answer": case["question" if "question" in case else "expected"],
            "alt": case.get("alt", []), "rules": read_profile(article, tags, rules).question.value}


def items() -> list[dict[str, Any]]:
    """Every labelled record with a question: its group, text features, answer and the rules' reading."""
    bench = _bench()
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "q.db"
        bench.build_cache(db)
        store = open_store(db)
        sets = [("findings.jsonl", None), ("single_i.jsonl", "set_i"), ("single_j.jsonl", "set_j"),
                ("single_k_held.jsonl", "set_k")]
        for name, group in sets:
            gold = [json.loads(line) for line in (LABELS / name).read_text().splitlines() if line.strip()]
            pmids = [g["pmid"] for g in gold]
            articles = {a.pmid: a for a in store.load_articles(pmids)}
            tags = store.tags.tags_of("pubmed", pmids)
            for g in gold:
                if g["pmid"] in articles:
                    where = group or ("gold_held" if bench.in_split(g["pmid"], "held") else "gold_dev")
                    out.append(_item(where, g["pmid"], articles[g["pmid"]], tags.get(g["pmid"], {}),
                                     probe_reading.RULES, g))
    tagger = TagRunner(Settings()).tagger
    probes = ROOT / "bench/probes"
    files = [(f, "round1") for f in sorted(probes.glob("questions*.jsonl"))]
    files += [(f, f"round{r}") for r in range(2, 30) for f in sorted((probes / f"round{r}").glob("*.jsonl"))
              if f.name.startswith(("questions", "abstracts"))]
    for path, group in files:
        for line in path.read_text().splitlines():
            case = json.loads(line)
            if "source" in case:
                case = probe_reading._source_record(case)
                if case is None:
                    continue
            else:
                case = {**case, "id": f"{group}:{case.get('id')}:{case['title'][:30]}"}
            article = probe_reading._abstract_of(case)
            tags = probe_reading._tags(tagger, article)
            rules = probe_reading._rules_for(tags)
            if rules is not None:
                out.append(_item(group, case["id"], article, tags, rules, case))
    return out


def _right(item: dict[str, Any], question: str) -> bool:
    return question == item["answer"] or question in item["alt"]


def _fit(train: list[dict[str, Any]]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(C=10.0, max_iter=3000))
    return model.fit([i["text"] for i in train], [i["answer"] for i in train])


def _score(model: Any, test: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(rules right, rules + model right, model alone right) on ``test``."""
    probs = model.predict_proba([i["text"] for i in test])
    classes = list(model.classes_)
    rules = hybrid = alone = 0
    for item, p in zip(test, probs, strict=True):
        best = max(range(len(classes)), key=lambda k: p[k])
        overridden = classes[best] if p[best] >= THRESHOLD else item["rules"]
        rules += _right(item, item["rules"])
        hybrid += _right(item, overridden)
        alone += _right(item, classes[best])
    return rules, hybrid, alone


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decide", action="store_true", help="score set k, the test decided in advance")
    args = ap.parse_args()
    if not all(p.exists() for p in _bench().CORPUS):
        print("skipped: the replay corpus (../shared) is absent")
        return 0
    data = items()
    print(f"{len(data)} labelled records: {dict(Counter(i['group'] for i in data))}")
    total = Counter[str]()
    for r in range(16, 30):
        test = [i for i in data if i["group"] == f"round{r}"]
        model = _fit([i for i in data if i["group"] != f"round{r}" and i["group"] not in HELD])
        rules, hybrid, alone = _score(model, test)
        total.update(rules=rules, hybrid=hybrid, alone=alone, n=len(test))
        print(f"round {r}: rules {rules}, rules + model {hybrid}, model alone {alone} of {len(test)}")
    print(f"rounds 16-29: rules {total['rules']}, rules + model {total['hybrid']}, model alone {total['alone']} "
          f"of {total['n']}")
    for group in ("gold_dev", "set_i", "set_j"):
        fold = {i["id"]: int(hashlib.sha1(str(i["id"]).encode()).hexdigest(), 16) % 5 for i in data}
        sums = Counter[str]()
        for k in range(5):
            test = [i for i in data if i["group"] == group and fold[i["id"]] == k]
            model = _fit([i for i in data if i["group"] not in HELD
                          and not (i["group"] in ("gold_dev", "set_i", "set_j") and fold[i["id"]] == k)])
            rules, hybrid, _ = _score(model, test)
            sums.update(rules=rules, hybrid=hybrid, n=len(test))
        print(f"{group} (5-fold): rules {sums['rules']}, rules + model {sums['hybrid']} of {sums['n']}")
    if args.decide:
        test = [i for i in data if i["group"] == "set_k"]
        rules, hybrid, alone = _score(_fit([i for i in data if i["group"] not in HELD]), test)
        verdict = "keep" if hybrid - rules >= 3 else "do not keep"
        print(f"set k: rules {rules}, rules + model {hybrid}, model alone {alone} of {len(test)}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
