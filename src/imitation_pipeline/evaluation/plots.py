"""Comparison figures (matplotlib, Agg backend): success by category, learning curves."""

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
    """Label ``ax`` (y label, limits, title, legend) and write ``fig`` to ``path`` as a 120-dpi PNG."""
    plt = _pyplot()
    ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc=legend_loc)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def success_by_category(groups: dict[str, dict], categories: list[str], path: Path, confidence: float) -> Path:
    """Grouped bars: mean success per category (and macro), error bars = the interval over seeds."""
    plt = _pyplot()
    labels = [*categories, "macro"]
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(groups))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(labels)), 4.0))
    for k, (name, g) in enumerate(groups.items()):
        cells = [g["per_category"].get(c) for c in categories] + [g["macro_success"]]
        mean = np.array([np.nan if c is None or c["mean"] is None else c["mean"] for c in cells])
        # no interval (one seed): no error bar
        lo = np.array([m if c is None or c["ci_low"] is None else c["ci_low"] for c, m in zip(cells, mean, strict=True)], float)
        hi = np.array([m if c is None or c["ci_high"] is None else c["ci_high"] for c, m in zip(cells, mean, strict=True)], float)
        err = np.vstack([mean - np.clip(lo, 0, 1), np.clip(hi, 0, 1) - mean])
        ax.bar(x + (k - (len(groups) - 1) / 2) * width, mean, width, yerr=err, capsize=3,
               label=f"{name} (n={g['macro_success']['n']})", color=COLORS.get(name))
    ax.set_xticks(x, labels, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test success rate")
    ax.set_title(f"Test-suite success by category (mean over seeds, {confidence:.0%} t-interval)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def learning_curves(curves: dict[str, dict], target: float | None, path: Path) -> Path:
    """Held-out success vs env steps: mean over seeds (line), each seed (thin), baseline's final (dashed)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for name, c in curves.items():
        steps = np.asarray(c["steps"])
        color = COLORS.get(name)
        for row in np.asarray(c["per_seed"], dtype=float):
            ax.plot(steps, row, color=color, alpha=0.3, linewidth=0.8, drawstyle="steps-post")
        ax.plot(steps, c["mean"], color=color, linewidth=2, drawstyle="steps-post", label=f"{name} (mean)")
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label="baseline final")
    ax.set_xlabel("env steps")
    return save_figure(fig, ax, path, ylabel="held-out success rate", ylim=(-0.02, 1.02),
                       title="Learning curves on held-out train-suite levels")
