"""Statistics for comparisons over seeds: Student-t intervals, IQM and stratified-bootstrap intervals,
mean learning curves, steps to a target.

IQM and the stratified bootstrap follow rliable (Agarwal et al., "Deep RL at the Edge of the Statistical
Precipice", NeurIPS 2021), implemented here in numpy rather than depending on the ``rliable`` package,
which pulls in scipy, pandas, statsmodels, seaborn and arch (about 300 MB installed) for these few lines:

- scores are a runs x tasks matrix (runs = seeds; tasks = levels or categories);
- :func:`aggregate_mean` = ``rliable.metrics.aggregate_mean`` (mean over runs per task, then over tasks);
- :func:`iqm` = ``rliable.metrics.aggregate_iqm`` (mean of the middle 50% of all runs x tasks scores,
  ``scipy.stats.trim_mean(scores, 0.25, axis=None)``);
- :func:`stratified_bootstrap_ci` = ``rliable.library.get_interval_estimates`` with its default
  ``StratifiedBootstrap`` (each task's runs resampled with replacement, independently per task; the
  tasks themselves kept) and percentile intervals.
"""

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
        lo, hi = _clip(mean - half, mean + half, bounds)
    return {"mean": mean, "ci_low": lo, "ci_high": hi, "n": int(x.size),
            "values": [float(v) for v in x]}


def _clip(lo: float, hi: float, bounds: tuple[float, float] | None) -> tuple[float, float]:
    if bounds is None:
        return lo, hi
    return min(max(lo, bounds[0]), bounds[1]), min(max(hi, bounds[0]), bounds[1])


def percentile_interval(samples, confidence: float = 0.95,
                        bounds: tuple[float, float] | None = None) -> tuple[float, float]:
    """The two-sided percentile interval of bootstrap ``samples``, clipped to ``bounds``."""
    lo, hi = np.quantile(np.asarray(samples, dtype=np.float64), [(1 - confidence) / 2, (1 + confidence) / 2])
    return _clip(float(lo), float(hi), bounds)


def aggregate_mean(scores) -> np.ndarray | float:
    """Mean over runs of each task, then over tasks, of the last two axes (runs x tasks)."""
    x = np.asarray(scores, dtype=np.float64)
    return x.mean(axis=-2).mean(axis=-1)


def iqm(scores) -> np.ndarray | float:
    """Interquartile mean of all scores of the last two axes (runs x tasks): sorted, the lowest and
    highest ``int(0.25 * n)`` of the n scores dropped, the rest averaged."""
    x = np.asarray(scores, dtype=np.float64)
    flat = np.sort(x.reshape(*x.shape[:-2], -1), axis=-1)
    cut = int(0.25 * flat.shape[-1])
    return flat[..., cut:flat.shape[-1] - cut].mean(axis=-1)


def stratified_bootstrap_ci(scores, statistic, confidence: float = 0.95, *, reps: int = 10_000, seed: int = 0,
                            bounds: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """Percentile interval of ``statistic`` (a function of a ``(..., runs, tasks)`` array reducing the
    last two axes) under the stratified bootstrap: each task's runs resampled with replacement,
    independently per task. None for one run (resampling one seed only says what it already said)."""
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"scores must be a runs x tasks matrix, got shape {x.shape}")
    runs, tasks = x.shape
    if runs < 2 or tasks < 1:
        return None
    rng = np.random.default_rng(seed)
    cols = np.arange(tasks)
    chunk = max(1, 2_000_000 // (runs * tasks))  # bounded memory
    samples = []
    for start in range(0, reps, chunk):
        idx = rng.integers(runs, size=(min(chunk, reps - start), runs, tasks))
        samples.append(np.asarray(statistic(x[idx, cols])))
    return percentile_interval(np.concatenate(samples), confidence, bounds)


def robust_summary(scores, confidence: float = 0.95, *, reps: int = 10_000, seed: int = 0,
                   bounds: tuple[float, float] | None = (0.0, 1.0)) -> dict:
    """IQM and stratified-bootstrap intervals (of the IQM and of the mean) of a runs x tasks matrix.

    One run gives no interval: ``iqm_ci`` and ``mean_bootstrap_ci`` None and ``interval_note`` says why.
    """
    x = np.asarray(scores, dtype=np.float64)
    n = int(x.shape[0])
    out = {"n_seeds": n, "n_tasks": int(x.shape[1]) if x.ndim == 2 else 0,
           "iqm": float(iqm(x)) if x.size else None, "iqm_ci": None, "mean_bootstrap_ci": None,
           "interval_note": None}
    if n < 2:
        out["interval_note"] = f"{n} seed: no interval (an interval over seeds needs at least 2)"
        return out
    for key, stat in (("iqm_ci", iqm), ("mean_bootstrap_ci", aggregate_mean)):
        ci = stratified_bootstrap_ci(x, stat, confidence, reps=reps, seed=seed, bounds=bounds)
        out[key] = list(ci) if ci else None
    return out


def bootstrap_macro(runs: list[list[dict]], reps: int = 2000, seed: int = 0,
                    confidence: float = 0.95) -> tuple[float, float] | None:
    """Two-stage bootstrap of the macro success (mean over categories of the mean over levels) from each
    run's episode records (``category``, ``success``): runs (seeds) resampled, and inside each run the
    episodes of each category. Percentile interval; None for one run. (Unlike
    :func:`stratified_bootstrap_ci`, this also resamples the levels: the reports of ``scaling`` and
    ``arms`` use it.)"""
    if len(runs) < 2:
        return None
    rng = np.random.default_rng(seed)
    cats = sorted({e["category"] for r in runs for e in r})
    per_run = [{c: np.array([float(e["success"]) for e in r if e["category"] == c]) for c in cats} for r in runs]
    stats = np.empty(reps)
    for b in range(reps):
        picks = rng.integers(len(runs), size=len(runs))
        cat_means = []
        for c in cats:
            vals = []
            for i in picks:
                x = per_run[i][c]
                if len(x):
                    vals.append(x[rng.integers(len(x), size=len(x))].mean())
            if vals:
                cat_means.append(np.mean(vals))
        stats[b] = np.mean(cat_means)
    return percentile_interval(stats, confidence)


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


def steps_or_not_reached(steps: Sequence[int], values: Sequence[float], target: float) -> int | str:
    """:func:`steps_to_reach`, or ``"not reached in N steps"`` with N the curve's last step (its budget)."""
    reached = steps_to_reach(steps, values, target)
    return reached if reached is not None else f"not reached in {int(steps[-1])} steps"
