"""Own-levels invariant vs noisy demos per level: BC (today's defaults, seed 0, last checkpoint) on 26 train-suite
levels (medium 0-19, complex 0-5; 21 training / 5 validation levels, split by level) with the clean demo and the
first K noisy demos of each level, then 8 sampled episodes on each of its 21 training and 5 validation levels.

    python docs/results/npp/own-levels-noisy/summarise.py <runs dir> docs/results/npp/own-levels-noisy
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

runs, out = Path(sys.argv[1]), Path(sys.argv[2])
ARMS = [("k4", 4), ("k12", 12), ("k12e48", 12), ("k24", 24), ("k24e18", 24)]


def level_bootstrap(episodes, reps=10000, seed=0):
    """95% percentile interval of the episode success rate, levels resampled with replacement."""
    by = defaultdict(list)
    for ep in episodes:
        by[ep["level"]].append(float(ep["success"]))
    rates = np.array([np.mean(v) for v in by.values()])
    rng = np.random.default_rng(seed)
    means = rates[rng.integers(0, len(rates), (reps, len(rates)))].mean(1)
    return [round(float(np.percentile(means, 2.5)), 3), round(float(np.percentile(means, 97.5)), 3)]


rows = []
for name, k in ARMS:
    if not (runs / name / "bc_summary.json").is_file():
        continue
    s = json.loads((runs / name / "bc_summary.json").read_text())
    row = {"arm": name, "noisy_per_level": k, "train_replays": s["train_replays"], "train_samples": s["train_samples"],
           "epochs": s["epochs"], "sample_passes": s["train_samples"] * s["epochs"],
           "train_accuracy": round(s["metrics"]["train/accuracy_epoch"], 3),
           "val_accuracy": round(s["metrics"]["val/accuracy"], 3), "seconds": round(s["time_split"]["total"])}
    for side in ("trainlv", "vallv"):
        e = json.loads((runs / f"{name}-ev-{side}" / "evaluation.json").read_text())
        key = "training_levels" if side == "trainlv" else "validation_levels"
        row[key] = {"success": round(e["overall"]["success_rate"], 3), "interval_95": level_bootstrap(e["episodes"]),
                    "death_rate": round(e["overall"]["death_rate"], 3), "timeout_rate": round(e["overall"]["timeout_rate"], 3),
                    "per_category": {c: round(v["success_rate"], 3) for c, v in e["per_category"].items()},
                    "episodes": e["overall"]["episodes"], "levels": e["overall"]["levels"]}
    rows.append(row)
res = {"setup": __doc__.split("\n\n")[0].replace("\n", " "), "arms": rows}
(out / "own-levels-noisy.json").write_text(json.dumps(res, indent=1) + "\n")
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0), sharey=True)
for ax, key, title in ((axes[0], "training_levels", "its 21 training levels"),
                       (axes[1], "validation_levels", "its 5 validation levels")):
    for epochs, mk in ((48, "o"), (18, "s"), (9, "^")):
        pts = [r for r in rows if r["epochs"] == epochs]
        if not pts:
            continue
        acc = ", ".join(f"{r['train_accuracy'] * 100:.1f}%" for r in pts)
        x = [r["noisy_per_level"] for r in pts]
        y = [r[key]["success"] for r in pts]
        lo = [r[key]["success"] - r[key]["interval_95"][0] for r in pts]
        hi = [r[key]["interval_95"][1] - r[key]["success"] for r in pts]
        ax.errorbar(x, y, yerr=[lo, hi], marker=mk, capsize=3, label=f"{epochs} epochs (training accuracy {acc})")
    if key == "training_levels":
        ax.axhline(0.9, color="grey", ls="--", lw=1, label="goal on training levels (0.9)")
    ax.set_title(f"{title} (8 sampled episodes each)", fontsize=9)
    ax.set_xlabel("noisy expert demos per level (+1 clean)")
    ax.set_xticks([4, 12, 24])
    ax.set_ylim(0, 1)
axes[0].set_ylabel("success")
axes[0].legend(fontsize=7, loc="lower left")
fig.suptitle("BC on 26 medium/complex levels, seed 0 (n = 1 seed; intervals: 95% bootstrap over levels)", fontsize=9)
fig.tight_layout()
fig.savefig(out / "own-levels-noisy.png", dpi=120)
for r in rows:
    print(r["arm"], r["train_samples"], r["epochs"], r["train_accuracy"], r["training_levels"]["success"],
          r["training_levels"]["interval_95"], r["validation_levels"]["success"])

# Part 2: the same question on 60 levels of every category (`full.sh`: `dataset.max_levels=60` of the built-in set, a
# category-stratified sample, 48 training / 12 validation levels), 4 vs 24 epochs, last checkpoint: the test suite
# (10 levels per category, 3 episodes) and its own training levels (`evaluate.bc_levels=train`, 2 episodes).
fit = []
for name in ("f60e4", "f60e24", "f60e4s1", "f60e24s1"):  # seed 0, then seed 1 (SEED=1 full.sh)
    if not (runs / name / "bc_summary.json").is_file():
        continue
    s = json.loads((runs / name / "bc_summary.json").read_text())
    row = {"arm": name, "seed": s["seed"], "max_levels": 60, "train_levels": s["train_levels"], "train_samples": s["train_samples"],
           "epochs": s["epochs"], "train_accuracy": round(s["metrics"]["train/accuracy_epoch"], 3),
           "val_accuracy": round(s["metrics"]["val/accuracy"], 3), "val_loss": round(s["metrics"]["val/loss"], 3),
           "seconds": round(s["time_split"]["total"])}
    for side, key in (("own", "own_training_levels"), ("test", "test_suite")):
        e = json.loads((runs / f"{name}-ev-{side}" / "evaluation.json").read_text())
        row[key] = {"macro": round(e["macro"]["success_rate"], 3), "overall": round(e["overall"]["success_rate"], 3),
                    "interval_95_overall": level_bootstrap(e["episodes"]), "death_rate": round(e["overall"]["death_rate"], 3),
                    "per_category": {c: round(v["success_rate"], 3) for c, v in e["per_category"].items()},
                    "episodes": e["overall"]["episodes"]}
    fit.append(row)
if fit:
    (out / "fit-60-levels.json").write_text(json.dumps({"setup": "BC (today's defaults, seed 0, no early stopping, last "
        "checkpoint) on a category-stratified sample of 60 built-in demo levels (dataset.max_levels=60; 48 training, 12 "
        "validation levels), 4 vs 24 epochs; evaluated on the test suite (60 levels x 3 sampled episodes) and on its own "
        "48 training levels (evaluate.bc_levels=train, 2 sampled episodes each); interval: 95% bootstrap over levels",
        "arms": fit}, indent=1) + "\n")
    for r in fit:
        print(r["arm"], r["seed"], r["train_accuracy"], r["own_training_levels"], r["test_suite"]["macro"], r["test_suite"]["interval_95_overall"])
