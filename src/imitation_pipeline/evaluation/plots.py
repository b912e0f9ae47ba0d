"""Comparison figures (matplotlib, Agg backend): success by category, IQM by category, learning curves.

Every figure with intervals says n (seeds) per arm in its legend."""

from __future__ import annotations

from pathlib import Path

import numpy as np

COLORS = {"bc+ppo": "tab:blue", "ppo": "tab:orange", "bc": "tab:gray"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, ax, path: Path, *, ylabel: str, title: str, ylim=(0, 1.05), legend_loc: str = "best") -> Path:
    """Label ``ax`` (y label, limits, title, legend) and write ``fig`` to ``path`` as a 120-dpi PNG.
    ``legend_loc="outside"`` puts the legend to the right of the axes."""
    plt = _pyplot()
    ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend_loc == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    else:
        ax.legend(loc=legend_loc)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _cells(g: dict, categories: list[str]) -> list[dict | None]:
    return [g["per_category"].get(c) for c in categories] + [g["macro_success"]]


def _error_bars(centre: np.ndarray, intervals: list) -> np.ndarray:
    """Asymmetric error bars (2 x k) from [lo, hi] intervals inside [0, 1]; none (0) where an interval is None."""
    lo = np.array([m if ci is None else ci[0] for ci, m in zip(intervals, centre, strict=True)], float)
    hi = np.array([m if ci is None else ci[1] for ci, m in zip(intervals, centre, strict=True)], float)
    return np.vstack([centre - np.clip(lo, 0, 1), np.clip(hi, 0, 1) - centre])


def _value(cell: dict | None, key: str) -> float:
    return np.nan if cell is None or cell.get(key) is None else float(cell[key])


def _category_axes(categories: list[str], groups: dict, extra_width: float = 0.0):
    plt = _pyplot()
    labels = [*categories, "macro"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(labels)) + extra_width, 4.0))
    ax.set_xticks(np.arange(len(labels)), labels, rotation=20)
    return fig, ax, np.arange(len(labels)), 0.8 / max(1, len(groups))


def success_by_category(groups: dict[str, dict], categories: list[str], path: Path, confidence: float) -> Path:
    """Grouped bars: mean success per category (and macro), error bars = the t-interval over seeds
    (none for one seed); the legend says n (seeds) per arm."""
    fig, ax, x, width = _category_axes(categories, groups)
    for k, (name, g) in enumerate(groups.items()):
        cells = _cells(g, categories)
        mean = np.array([_value(c, "mean") for c in cells])
        t = [None if c is None or c["ci_low"] is None else (c["ci_low"], c["ci_high"]) for c in cells]
        ax.bar(x + (k - (len(groups) - 1) / 2) * width, mean, width, yerr=_error_bars(mean, t), capsize=3,
               label=f"{name} (n={g['macro_success']['n']})", color=COLORS.get(name))
    return save_figure(fig, ax, path, ylabel="test success rate",
                       title=f"Test-suite success by category (mean over seeds, {confidence:.0%} t-interval)")


def iqm_by_category(groups: dict[str, dict], categories: list[str], path: Path, confidence: float) -> Path:
    """Per category (and macro) and arm: the IQM (filled marker) and the mean (hollow marker) with their
    stratified-bootstrap intervals (none for one seed); the legend says n (seeds) per arm."""
    fig, ax, x, width = _category_axes(categories, groups, extra_width=2.0)
    for k, (name, g) in enumerate(groups.items()):
        cells, pos = _cells(g, categories), x + (k - (len(groups) - 1) / 2) * width
        n = g["macro_success"]["n_seeds"]
        for key, ci_key, shift, face, what in (("iqm", "iqm_ci", -0.15, None, "IQM"),
                                               ("mean", "mean_bootstrap_ci", 0.15, "none", "mean")):
            centre = np.array([_value(c, key) for c in cells])
            # the interval is drawn as it is: a percentile-bootstrap interval need not contain the point
            # estimate (the IQM of few seeds is discrete), which error bars cannot show
            ci = [None if c is None else c[ci_key] for c in cells]
            at = pos + shift * width
            shown = [i for i, v in enumerate(ci) if v is not None]
            ax.vlines(at[shown], [ci[i][0] for i in shown], [ci[i][1] for i in shown], color=COLORS.get(name))
            ax.plot(at, centre, "o" if what == "IQM" else "s", color=COLORS.get(name), markerfacecolor=face,
                    label=f"{name} {what} (n={n})")
    return save_figure(fig, ax, path, ylabel="test success rate", legend_loc="outside", ylim=(-0.03, 1.05),
                       title=f"IQM (filled) and mean (hollow) over seeds, {confidence:.0%} stratified bootstrap\n"
                             "(tasks: levels within a category, categories for the macro)")


def learning_curves(curves: dict[str, dict], target: float | None, path: Path, bc_start: float | None = None) -> Path:
    """Held-out success vs env steps: mean over seeds (line), each seed (thin), baseline's final (dashed),
    BC's starting success (dotted): the targets of "steps to reach" in both directions."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for name, c in curves.items():
        steps = np.asarray(c["steps"])
        color = COLORS.get(name)
        for row in np.asarray(c["per_seed"], dtype=float):
            ax.plot(steps, row, color=color, alpha=0.3, linewidth=0.8, drawstyle="steps-post")
        ax.plot(steps, c["mean"], color=color, linewidth=2, drawstyle="steps-post", label=f"{name} (mean, n={len(c['per_seed'])})")
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label="baseline final")
    if bc_start is not None:
        ax.axhline(bc_start, color="tab:gray", linestyle=":", linewidth=1.5, label="BC start")
    ax.set_xlabel("env steps")
    return save_figure(fig, ax, path, ylabel="held-out success rate", ylim=(-0.02, 1.02),
                       title="Learning curves on held-out train-suite levels")
