"""Random-effects pooling, checked against a computation done by hand from the formulas."""

from __future__ import annotations

import math

import pytest

from ketlit.claims.stats import StudyProportion, pool_proportions


def test_dersimonian_laird_by_hand() -> None:
    studies = [StudyProportion("a", 12, 40), StudyProportion("b", 30, 50), StudyProportion("c", 9, 45)]
    # Step 1: logit proportions and their variances 1/x + 1/(n - x).
    y = [math.log(12 / 28), math.log(30 / 20), math.log(9 / 36)]
    v = [1 / 12 + 1 / 28, 1 / 30 + 1 / 20, 1 / 9 + 1 / 36]
    # Step 2: fixed-effect weights, mean and Cochran's Q.
    w = [1 / vi for vi in v]
    mu_fe = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    q = sum(wi * (yi - mu_fe) ** 2 for wi, yi in zip(w, y, strict=True))
    # Step 3: DerSimonian–Laird tau² = max(0, (Q − df) / (Σw − Σw²/Σw)).
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    tau2 = max(0.0, (q - 2) / c)
    # Step 4: random-effects weights, mean and its standard error.
    wr = [1 / (vi + tau2) for vi in v]
    mu = sum(wi * yi for wi, yi in zip(wr, y, strict=True)) / sum(wr)
    se = math.sqrt(1 / sum(wr))
    # Step 5: 95% CI with z = 1.959964; prediction interval with t(k − 2 = 1, 0.975) = 12.7062.
    z, t1 = 1.959963984540054, 12.706204736174698

    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    half_pi = t1 * math.sqrt(tau2 + se * se)
    i2 = (q - 2) / q * 100

    p = pool_proportions(studies)
    assert p.k == 3 and p.n == 135 and p.corrected == ()
    assert tau2 > 0
    assert p.tau2 == pytest.approx(tau2, rel=1e-9)
    assert p.q == pytest.approx(q, rel=1e-9)
    assert p.i2 == pytest.approx(i2, rel=1e-9)
    assert p.estimate == pytest.approx(expit(mu), rel=1e-9)
    assert p.ci_low == pytest.approx(expit(mu - z * se), rel=1e-9)
    assert p.ci_high == pytest.approx(expit(mu + z * se), rel=1e-9)
    assert p.pi_low == pytest.approx(expit(mu - half_pi), rel=1e-7)
    assert p.pi_high == pytest.approx(expit(mu + half_pi), rel=1e-7)


def test_tau2_is_truncated_at_zero() -> None:
    # Nearly identical studies: Q < df, so DL's moment estimate is negative and must become 0 (I² = 0).
    studies = [StudyProportion("a", 10, 20), StudyProportion("b", 11, 20), StudyProportion("c", 10, 21)]
    p = pool_proportions(studies)
    assert p.tau2 == 0.0 and p.i2 == 0.0
    y = [0.0, math.log(11 / 9), math.log(10 / 11)]
    v = [1 / 10 + 1 / 10, 1 / 11 + 1 / 9, 1 / 10 + 1 / 11]
    w = [1 / vi for vi in v]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    assert p.estimate == pytest.approx(1 / (1 + math.exp(-mu)), rel=1e-9)


def test_continuity_correction_for_zero_and_all_events() -> None:
    p = pool_proportions(
        [StudyProportion("none", 0, 20), StudyProportion("all", 15, 15), StudyProportion("some", 5, 10)]
    )
    assert p.corrected == ("none", "all")
    assert 0 < p.ci_low < p.estimate < p.ci_high < 1
    single = pool_proportions([StudyProportion("none", 0, 20)])
    # (0 + 0.5) / (20 + 1) with variance 1/0.5 + 1/20.5.
    assert single.estimate == pytest.approx(0.5 / 21, rel=1e-9)
    assert single.corrected == ("none",) and single.pi_low is None and single.i2 is None


def test_single_study_and_bad_input() -> None:
    p = pool_proportions([StudyProportion("a", 9, 10)])
    assert p.k == 1 and p.estimate == pytest.approx(0.9) and p.tau2 is None
    with pytest.raises(ValueError):
        pool_proportions([])
    with pytest.raises(ValueError):
        pool_proportions([StudyProportion("bad", 11, 10)])
