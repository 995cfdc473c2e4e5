"""The small models' fit, shared by ``tools/train_evidence_model.py`` and ``tools/train_role_model.py``.

Both ship a multinomial logistic regression over binary features as JSON weights (read at run time by plain
Python, :mod:`ketlit.evidence.model` and :mod:`ketlit.evidence.role_model`). The fit is the same for both and must
stay reproducible byte for byte: scikit-learn's lbfgs (no randomness), the vocabulary sorted, rows filled in a fixed
order, weights and biases rounded to 4 decimals, features whose weights all round to 0 left out.
scikit-learn is a dev dependency: it is imported here, never by ketlit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence, Set


def fit(
    xs: Sequence[Set[str]], ys: Sequence[int], classes: int, c: float, min_df: int
) -> tuple[list[float], dict[str, list[float]]]:
    """(bias per class, weights per feature) of the model fit on feature sets ``xs`` with class indices ``ys``;
    the vocabulary is the features seen in at least ``min_df`` examples."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    df = Counter(f for x in xs for f in x)
    vocab = sorted(f for f, n in df.items() if n >= min_df)
    index = {f: i for i, f in enumerate(vocab)}
    rows, cols = [], []
    for r, x in enumerate(xs):
        for f in sorted(x):
            if f in index:
                rows.append(r)
                cols.append(index[f])
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(xs), len(vocab)))
    clf = LogisticRegression(C=c, max_iter=5000, tol=1e-6)
    clf.fit(matrix, np.array(ys))
    bias = [0.0] * classes
    coef = np.zeros((classes, len(vocab)))
    for row, cls in enumerate(clf.classes_):
        bias[int(cls)] = float(clf.intercept_[row])
        coef[int(cls)] = clf.coef_[row]
    weights = {}
    for j, f in enumerate(vocab):
        w = [round(float(v), 4) for v in coef[:, j]]
        if any(w):
            weights[f] = w
    return [round(b, 4) for b in bias], weights
