"""Full-set fit: BC on every built-in demo level (420 levels, 4,185 demos: 336 training / 84 validation levels,
681,793 training samples) for 24 epochs at the BC defaults (lr 1e-3, cosine to 0 over the 24 epochs), seed 0, no
early stopping, 2 torch threads (OMP_NUM_THREADS=2: the run predates trainer.torch_threads); its last checkpoint (fitted) and its best one (lowest validation loss) played on
its own training levels (evaluate.bc_levels=train, 2 sampled episodes each), its validation levels (4 each) and the
test suite (60 levels x 10 sampled episodes); set beside the 4-epoch runs of the same set and the 26- and 60-level
fit studies (own-levels-noisy/).

    python docs/results/npp/full-set-fit/summarise.py <run dir> docs/results/npp/full-set-fit [<continued run dir>]

The continued run (optional) trains on from the 24-epoch run's last checkpoint with a fresh schedule
(bc.initial_checkpoint=<run>/checkpoints/last.ckpt bc.lr=5e-4, cosine to 0 over 16 more epochs; cont.sh); its last
checkpoint is evaluated the same way, and also with argmax actions on the training levels (1 episode each).
"""
import glob
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

run, out = Path(sys.argv[1]), Path(sys.argv[2])
cont = Path(sys.argv[3]) if len(sys.argv) > 3 else None
HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent


def level_bootstrap(episodes, reps=10000, seed=0):
    """95% interval of the episode success rate over levels resampled with replacement (the project's percentiles)."""
    from imitation_pipeline.evaluation.stats import percentile_interval

    wins = defaultdict(list)
    for ep in episodes:
        wins[ep["level"]].append(float(ep["success"]))
    per_level = np.array([np.mean(w) for w in wins.values()])
    draws = np.random.default_rng(seed).integers(0, len(per_level), (reps, len(per_level)))
    return [round(float(x), 3) for x in percentile_interval(per_level[draws].mean(1))]


def evaluation(path: Path) -> dict:
    e = json.loads(path.read_text())
    return {"macro": round(e["macro"]["success_rate"], 3), "overall": round(e["overall"]["success_rate"], 3),
            "interval_95_overall": level_bootstrap(e["episodes"]), "death_rate": round(e["overall"]["death_rate"], 3),
            "timeout_rate": round(e["overall"]["timeout_rate"], 3),
            "per_category": {c: round(v["success_rate"], 3) for c, v in e["per_category"].items()},
            "episodes": e["overall"]["episodes"], "levels": e["overall"]["levels"]}


def epochs_from_tensorboard(run: Path, first: int = 1) -> list[dict]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(sorted(glob.glob(str(run / "tensorboard" / "**" / "events*"), recursive=True))[0])
    ea.Reload()
    rows = defaultdict(dict)
    for tag, key in (("train/accuracy_epoch", "train_accuracy"), ("val/accuracy", "val_accuracy"),
                     ("val/loss", "val_loss")):
        for i, ev in enumerate(ea.Scalars(tag)):
            rows[i][key] = round(ev.value, 4)
    return [{"epoch": i + first, **rows[i]} for i in sorted(rows)]


def evaluations(run: Path, ck: str, tags) -> dict:
    found = {}
    for tag, key in tags:
        p = Path(f"{run}-ev-{ck}-{tag}") / "evaluation.json"
        if p.is_file():
            found[key] = evaluation(p)
    return found


TAGS = (("train", "own_training_levels"), ("val", "own_validation_levels"), ("test10", "test_suite"))


summary = json.loads((run / "bc_summary.json").read_text())
curve = epochs_from_tensorboard(run)
best_epoch = int(np.argmin([r["val_loss"] for r in curve])) + 1
ckpts = {}
for ck in ("last", "best"):
    ckpts[ck] = {"epoch": curve[-1]["epoch"] if ck == "last" else best_epoch,
                 "train_accuracy": curve[-1 if ck == "last" else best_epoch - 1]["train_accuracy"],
                 **evaluations(run, ck, TAGS)}
continued = None
if cont is not None:
    csum = json.loads((cont / "bc_summary.json").read_text())
    ccurve = epochs_from_tensorboard(cont, first=len(curve) + 1)
    continued = {"initial_checkpoint": csum["initial_checkpoint"], "lr": csum["lr"], "epochs": len(ccurve),
                 "torch_threads": csum["torch_threads"], "seconds": round(csum["time_split"]["total"]),
                 "time_split": csum["time_split"], "curve": ccurve,
                 "last": {"epoch": ccurve[-1]["epoch"], "train_accuracy": ccurve[-1]["train_accuracy"],
                          **evaluations(cont, "last", (*TAGS, ("train-argmax", "own_training_levels_argmax")))}}

# the reference points: 4-epoch full-set runs (bc-noisy12) and the 26- / 60-level studies (own-levels-noisy)
ref = []
for seed in (0, 1):
    s = json.loads((RESULTS / "bc-noisy12" / f"noisy12-seed{seed}-bc_summary.json").read_text())
    e = json.loads((RESULTS / "bc-noisy12" / f"noisy12-seed{seed}-training-levels-2ep-evaluation.json").read_text())
    ref.append({"study": "420 levels, 4 epochs (bc-noisy12)", "seed": seed,
                "train_accuracy": round(s["metrics"]["train/accuracy_epoch"], 3),
                "own_training_levels_overall": round(e["overall"]["success_rate"], 3)})
for a in json.loads((RESULTS / "own-levels-noisy" / "fit-60-levels.json").read_text())["arms"]:
    ref.append({"study": "60 levels", "seed": a["seed"], "epochs": a["epochs"], "train_accuracy": a["train_accuracy"],
                "own_training_levels_overall": a["own_training_levels"]["overall"]})
for a in json.loads((RESULTS / "own-levels-noisy" / "own-levels-noisy.json").read_text())["arms"]:
    ref.append({"study": "26 levels", "seed": 0, "epochs": a["epochs"], "train_accuracy": a["train_accuracy"],
                "own_training_levels_overall": a["training_levels"]["success"]})

res = {"setup": __doc__.split("\n\n")[0].replace("\n", " "), "train_samples": summary["train_samples"],
       "train_levels": summary["train_levels"], "val_levels": summary["val_levels"],
       "torch_threads": summary.get("torch_threads", 2), "seconds": round(summary["time_split"]["total"]),
       "time_split": summary["time_split"], "epochs": curve, "checkpoints": ckpts, "continued": continued,
       "reference": ref}
(out / "full-set-fit.json").write_text(json.dumps(res, indent=1) + "\n")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
whole = curve + (continued["curve"] if continued else [])
ep = [r["epoch"] for r in whole]
a1.plot(ep, [r["train_accuracy"] for r in whole], "o-", label="training accuracy")
a1.plot(ep, [r["val_accuracy"] for r in whole], "s-", label="validation accuracy")
a1.set_xlabel("epoch (cosine lr 1e-3 -> 0 over 24" + ("; then 5e-4 -> 0 over 16, dotted line)" if continued else ")"))
if continued:
    a1.axvline(len(curve) + 0.5, color="gray", ls=":", lw=1)
a1.set_ylabel("accuracy")
a1b = a1.twinx()
a1b.plot(ep, [r["val_loss"] for r in whole], "--", color="gray", label="validation loss")
a1b.set_ylabel("validation loss")
a1.set_title("BC on all 420 levels (681,793 samples), seed 0")
a1.legend(loc="center right", fontsize=8)
for study, mk in (("26 levels", "^"), ("60 levels", "s"), ("420 levels, 4 epochs (bc-noisy12)", "D")):
    pts = [r for r in ref if r["study"] == study]
    a2.scatter([r["train_accuracy"] for r in pts], [r["own_training_levels_overall"] for r in pts], marker=mk,
               label=study)
for ck, mk, color in (("last", "*", "crimson"), ("best", "P", "black")):
    c = ckpts[ck]
    if "own_training_levels" in c:
        lo, hi = c["own_training_levels"]["interval_95_overall"]
        y = c["own_training_levels"]["overall"]
        a2.errorbar([c["train_accuracy"]], [y], yerr=[[y - lo], [hi - y]], fmt=mk, ms=12, capsize=3, color=color,
                    label=f"420 levels, 24-epoch run, {ck} checkpoint (epoch {c['epoch']})")
if continued and "own_training_levels" in continued["last"]:
    c = continued["last"]
    lo, hi = c["own_training_levels"]["interval_95_overall"]
    y = c["own_training_levels"]["overall"]
    a2.errorbar([c["train_accuracy"]], [y], yerr=[[y - lo], [hi - y]], fmt="X", ms=11, capsize=3, color="navy",
                label=f"420 levels, continued to epoch {c['epoch']}, last checkpoint")
a2.axhline(0.9, color="gray", ls=":", lw=1, label="goal: 0.9 of its training levels")
a2.set_xlabel("training accuracy (last epoch of the checkpoint)")
a2.set_ylabel("success on its own training levels (sampled)")
a2.set_ylim(0, 1)
a2.set_title("the cheap invariant vs fit (n = 1 seed per point)")
a2.legend(fontsize=7, loc="lower right")
fig.tight_layout()
fig.savefig(out / "full-set-fit.png", dpi=110)
print(json.dumps({**ckpts, "continued": continued and continued["last"]}, indent=1))
