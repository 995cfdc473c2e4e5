"""Random-effects pooling of single-arm proportions on the logit scale.

Design decisions:

* **Model.** Each study contributes ``y = logit(p)`` with variance ``1/x + 1/(n - x)``. The
  between-study variance τ² is DerSimonian–Laird's moment estimate, truncated at zero; the
  pooled logit is the inverse-variance mean with weights ``1/(v + τ²)``; the 95% confidence
  interval uses the normal quantile; the 95% prediction interval (Higgins, Thompson &
  Spiegelhalter 2009) is ``μ ± t(k−2) · sqrt(τ² + SE²)`` and needs k ≥ 3. Everything is
  back-transformed with the inverse logit, so intervals stay inside 0–100%.
* **Library.** The weighted sums, Q and τ² come from ``statsmodels.stats.meta_analysis.
  combine_effects(method_re="dl")``, a maintained implementation checked against R's metafor;
  quantiles come from ``scipy.stats``. One gap is handled here: statsmodels 0.15 does **not**
  truncate the DL τ² at zero (Q < k−1 gives a negative τ² and a negative I²). When that happens
  τ² is set to 0, and the random-effects result equals the fixed-effect one, which statsmodels
  also returns — so ketlit takes statsmodels' fixed-effect mean and SE in that case.
* **Continuity correction.** The logit of 0/n or n/n is infinite. Studies with 0 or n events get
  0.5 added to events and to non-events (``(x + 0.5) / (n + 1)``, variance
  ``1/(x + 0.5) + 1/(n − x + 0.5)``); other studies are left untouched (metafor's default
  ``to="only0"``). The result names the corrected studies. A single study is reported with
  its own logit interval, no τ², I² or prediction interval.
* I² = max(0, (Q − df) / Q), reported in percent.
* **Order.** Studies are pooled sorted by (events, n, label), whatever order they arrive in:
  the sums are floating point, so another order could move the last bits of an estimate, and a
  report or verdict must not depend on which record the cache or a caller listed first. The
  ``corrected`` labels come in that order too.
* **Imports.** numpy, scipy and statsmodels are imported inside :func:`pool_proportions`, the
  only function that uses them: importing them costs about a second, and this module is
  loaded with the ``claims`` package, which every command that tags records imports, whether
  or not it pools anything.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CONTINUITY = 0.5


@dataclass(frozen=True, slots=True)
class StudyProportion:
    """Events out of n in one study arm."""

    label: str
    events: int
    n: int


@dataclass(frozen=True, slots=True)
class Pooled:
    """A pooled proportion (0–1 scale) with its uncertainty."""

    k: int
    n: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    i2: float | None  # percent
    tau2: float | None  # logit scale
    q: float | None
    method: str
    corrected: tuple[str, ...]  # labels of studies given the continuity correction


def expit(x: float) -> float:
    """Inverse logit."""
    return 1.0 / (1.0 + math.exp(-x))


def logit_effect(events: int, n: int) -> tuple[float, float, bool]:
    """(logit proportion, its variance, whether the continuity correction was applied)."""
    if n <= 0 or events < 0 or events > n:
        raise ValueError(f"invalid proportion {events}/{n}")
    corrected = events in (0, n)
    x = events + CONTINUITY if corrected else float(events)
    m = n + 2 * CONTINUITY if corrected else float(n)
    return math.log(x / (m - x)), 1.0 / x + 1.0 / (m - x), corrected


def pool_proportions(studies: Sequence[StudyProportion], alpha: float = 0.05) -> Pooled:
    """DerSimonian–Laird random-effects pool of proportions on the logit scale."""
    # Imported here, not at the top: see "Imports" in the module docstring.
    import numpy as np
    import scipy.stats  # type: ignore[import-untyped, unused-ignore]
    from statsmodels.stats.meta_analysis import combine_effects  # type: ignore[import-untyped, unused-ignore]

    if not studies:
        raise ValueError("nothing to pool")
    # Floating-point sums depend on their order: pool in one canonical order, so the same studies
    # give bit-identical results whichever order the caller found them in.
    studies = sorted(studies, key=lambda s: (s.events, s.n, s.label))
    effects = [logit_effect(s.events, s.n) for s in studies]
    corrected = tuple(s.label for s, (_, _, c) in zip(studies, effects, strict=True) if c)
    y = np.array([e[0] for e in effects], dtype=float)
    v = np.array([e[1] for e in effects], dtype=float)
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    k = len(studies)
    total = sum(s.n for s in studies)
    if k == 1:
        mu, se = float(y[0]), math.sqrt(float(v[0]))
        return Pooled(
            k=1,
            n=total,
            estimate=expit(mu),
            ci_low=expit(mu - z * se),
            ci_high=expit(mu + z * se),
            pi_low=None,
            pi_high=None,
            i2=None,
            tau2=None,
            q=None,
            method="single study (logit interval)",
            corrected=corrected,
        )
    with warnings.catch_warnings():
        # With a negative (untruncated) DL tau², statsmodels takes sqrt of a negative variance for its
        # random-effects columns and warns; those columns are replaced by the fixed-effect result below.
        warnings.simplefilter("ignore", RuntimeWarning)
        res: Any = combine_effects(y, v, method_re="dl")
    q = float(res.q)
    tau2 = float(res.tau2)
    if tau2 <= 0.0:
        # statsmodels leaves a negative DL estimate untruncated; τ² = 0 means the fixed-effect result.
        tau2 = 0.0
        mu, se = float(res.mean_effect_fe), float(res.sd_eff_w_fe)
    else:
        mu, se = float(res.mean_effect_re), float(res.sd_eff_w_re)
    i2 = max(0.0, (q - (k - 1)) / q) * 100.0 if q > 0 else 0.0
    pi_low = pi_high = None
    if k >= 3:
        t = float(scipy.stats.t.ppf(1 - alpha / 2, k - 2))
        half = t * math.sqrt(tau2 + se * se)
        pi_low, pi_high = expit(mu - half), expit(mu + half)
    return Pooled(
        k=k,
        n=total,
        estimate=expit(mu),
        ci_low=expit(mu - z * se),
        ci_high=expit(mu + z * se),
        pi_low=pi_low,
        pi_high=pi_high,
        i2=i2,
        tau2=tau2,
        q=q,
        method="random effects (DerSimonian–Laird), logit scale",
        corrected=corrected,
    )
