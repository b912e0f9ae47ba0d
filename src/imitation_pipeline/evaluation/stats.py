"""Statistics for comparisons over seeds: Student-t intervals, mean learning curves, steps to a target."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _t_cdf(x: float, df: int) -> float:
    """CDF of Student's t via the regularised incomplete beta function (continued fraction)."""
    if x == 0:
        return 0.5
    z = df / (df + x * x)
    a, b = df / 2.0, 0.5
    # I_z(a, b) by Lentz's continued fraction (Numerical Recipes betacf)
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(z) + b * math.log1p(-z)
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * z / qap
    d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * z / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * z / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
            c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
            h *= d * c
    ibeta = math.exp(lbeta) * h / a
    return 1.0 - 0.5 * ibeta if x > 0 else 0.5 * ibeta


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with ``df`` degrees of freedom (bisection on the CDF)."""
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(values: Sequence[float], confidence: float = 0.95,
            bounds: tuple[float, float] | None = None) -> dict:
    """Mean and a two-sided Student-t interval over seeds.

    One seed gives no interval (``ci_low`` and ``ci_high`` None: a zero-width "interval" would claim a
    certainty one seed cannot give). ``bounds``: the range the quantity lives in, e.g. ``(0, 1)`` for a
    success rate; the interval is clipped to it (a rate's interval never leaves [0, 1]).
    """
    x = np.asarray(list(values), dtype=np.float64)
    if x.size == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0, "values": []}
    mean = float(x.mean())
    lo = hi = None
    if x.size > 1:
        half = t_quantile(0.5 + confidence / 2, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
        lo, hi = mean - half, mean + half
        if bounds is not None:
            lo, hi = min(max(lo, bounds[0]), bounds[1]), min(max(hi, bounds[0]), bounds[1])
    return {"mean": mean, "ci_low": lo, "ci_high": hi, "n": int(x.size),
            "values": [float(v) for v in x]}


def mean_curve(curves: Sequence[tuple[Sequence[int], Sequence[float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, mean, per-seed matrix) on the union of evaluation steps (step-wise constant between evaluations)."""
    steps = np.unique(np.concatenate([np.asarray(s, dtype=np.int64) for s, _ in curves]))
    rows = []
    for s, v in curves:
        s, v = np.asarray(s), np.asarray(v, dtype=np.float64)
        idx = np.searchsorted(s, steps, side="right") - 1  # last evaluation at or before each step
        rows.append(np.where(idx >= 0, v[np.clip(idx, 0, None)], np.nan))
    mat = np.vstack(rows)
    return steps, np.nanmean(mat, axis=0), mat


def steps_to_reach(steps: Sequence[int], values: Sequence[float], target: float) -> int | None:
    """The first evaluation step whose value is >= target (None if never)."""
    for s, v in zip(steps, values, strict=True):
        if v >= target - 1e-12:
            return int(s)
    return None
