"""BC data-scaling report: test-suite success vs number of demonstrated levels, over seeds.

Usage (after a sweep of ``stage=bc bc.evaluate_suite=test dataset.max_levels=N seed=S``; see
``conf/experiment/bc_scaling.yaml``)::

    python -m imitation_pipeline.evaluation.scaling multirun/<date>/<time>-bc --out docs/results/npp/bc-scaling

Reads every ``bc_summary.json`` below the given folders (with the ``evaluation.json`` it points to),
groups the runs by their number of training+validation levels, and writes ``<out>.json`` and
``<out>.png``: per group the mean test macro success, each seed's value, n (seeds), and a 95% interval
from a stratified bootstrap (seeds resampled, and within each seed the test levels of each category
resampled), which stays inside [0, 1] by construction. One seed gives no interval.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from imitation_pipeline.evaluation.stats import bootstrap_macro


def collect(paths: list[Path]) -> list[dict]:
    """One record per BC run found below ``paths``: levels, seed, test macro/per-category, episodes."""
    runs = []
    for root in paths:
        for summ in sorted(Path(root).rglob("bc_summary.json")):
            s = json.loads(summ.read_text())
            ev = s.get("evaluation")
            if not ev:
                continue
            episodes = json.loads(Path(ev["file"]).read_text())["episodes"]
            train_roll = [h["rollout/train_success_rate"] for h in s.get("rollouts", [])
                          if "rollout/train_success_rate" in h]
            runs.append({"dir": str(summ.parent), "seed": s.get("seed"), "max_levels": s.get("max_levels", 0),
                         "levels": int(s.get("train_levels", 0) + s.get("val_levels", 0))
                         or int(s["train_replays"] + s["val_replays"]),
                         "train_replays": s["train_replays"], "train_samples": s["train_samples"],
                         "macro": ev["macro"]["success_rate"], "per_category": ev["per_category"],
                         "train_level_success": train_roll[-1] if train_roll else None,
                         "episodes": episodes})
    return runs


def report(runs: list[dict]) -> dict:
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in runs:
        groups[r["levels"]].append(r)
    rows = []
    for n in sorted(groups):
        g = sorted(groups[n], key=lambda r: r["seed"])
        vals = [r["macro"] for r in g]
        ci = bootstrap_macro([r["episodes"] for r in g])
        cats = sorted({c for r in g for c in r["per_category"]})
        rows.append({
            "levels": n, "n_seeds": len(g), "seeds": [r["seed"] for r in g],
            "train_samples": [r["train_samples"] for r in g],
            "macro_mean": float(np.mean(vals)), "macro_per_seed": vals,
            "macro_ci95": list(ci) if ci else None,
            "per_category_mean": {c: float(np.mean([r["per_category"].get(c, np.nan) for r in g])) for c in cats},
            "train_level_success_mean": (float(np.mean([r["train_level_success"] for r in g]))
                                         if all(r["train_level_success"] is not None for r in g) else None),
            "runs": [r["dir"] for r in g],
        })
    return {"what": "BC test-suite macro success vs demonstrated levels", "interval":
            "95% stratified bootstrap (seeds, and test levels within each category)", "rows": rows}


def plot(rep: dict, path: Path) -> Path:
    from imitation_pipeline.evaluation.plots import _pyplot, save_figure

    plt = _pyplot()
    rows = rep["rows"]
    x = np.array([r["levels"] for r in rows], dtype=float)
    m = np.array([r["macro_mean"] for r in rows])
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    for r in rows:
        ax.scatter([r["levels"]] * len(r["macro_per_seed"]), r["macro_per_seed"], color="tab:blue", alpha=0.35, s=14)
    ax.plot(x, m, color="tab:blue", marker="o", label="mean over seeds")
    lo = np.array([r["macro_ci95"][0] if r["macro_ci95"] else np.nan for r in rows])
    hi = np.array([r["macro_ci95"][1] if r["macro_ci95"] else np.nan for r in rows])
    ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.15, label="95% stratified bootstrap")
    for r in rows:
        ax.annotate(f"n={r['n_seeds']}", (r["levels"], r["macro_mean"]), textcoords="offset points",
                    xytext=(4, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_xticks(x, [str(int(v)) for v in x])
    ax.minorticks_off()
    ax.set_xlabel("demonstrated levels (train + validation)")
    return save_figure(fig, ax, path, ylabel="test macro success", ylim=(0, 1.02), legend_loc="lower right",
                       title="BC: test-suite success vs demonstrations")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m imitation_pipeline.evaluation.scaling", description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="folders holding BC runs (searched recursively)")
    ap.add_argument("--out", type=Path, required=True, help="output prefix: writes <out>.json and <out>.png")
    a = ap.parse_args(argv)
    missing = [str(p) for p in a.paths if not p.is_dir()]
    if missing:
        print(f"error: not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    runs = collect(a.paths)
    if not runs:
        print(f"error: no BC run with an evaluation (bc.evaluate_suite) under {', '.join(map(str, a.paths))}",
              file=sys.stderr)
        return 2
    rep = report(runs)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(rep, indent=1) + "\n")
    plot(rep, a.out.with_suffix(".png"))
    for r in rep["rows"]:
        ci = f"{r['macro_ci95'][0]:.3f}-{r['macro_ci95'][1]:.3f}" if r["macro_ci95"] else "none (1 seed)"
        print(f"{r['levels']:4d} levels  n={r['n_seeds']}  macro {r['macro_mean']:.3f}  95% {ci}  "
              f"per seed {', '.join(f'{v:.3f}' for v in r['macro_per_seed'])}")
    print(f"-> {a.out.with_suffix('.json')}, {a.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
