"""How well a checkpoint fits its demonstrations' labels, on the demonstrated states (teacher forcing).

Usage::

    python -m imitation_pipeline.evaluation.label_fit <checkpoint> <demo folder> --out fit.json \\
        [--per-category 10] [--stride 4]

Closed-loop success mixes two failures: the policy does not predict the expert's labels, or it predicts
them but one wrong decision takes it off the demonstrated states (compounding error). This separates
them. Every demo (clean ones only: ``*.noisy*`` files are skipped) is regenerated at ``--stride`` with the
checkpoint's modalities, exactly as ``stage=generate`` does, and the policy is asked on each demonstrated
state. Per category (the file-name prefix, e.g. ``medium_102000003.replay``): argmax accuracy, mean
probability of the label, the share of decisions where the label gets probability < 0.3, and how the
argmax errors fall in time: ``late`` (argmax = the previous label while the label changes: the policy
switches one decision late), ``early`` (argmax = the next label), ``other``. ``first_error`` lists the
decision index of each demo's first argmax error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch


def timing_of_errors(labels: np.ndarray, argmax: np.ndarray) -> dict[str, int]:
    """Counts of argmax errors that are one decision late, one early, or neither."""
    late = early = other = 0
    for t in np.flatnonzero(argmax != labels):
        if t > 0 and labels[t] != labels[t - 1] and argmax[t] == labels[t - 1]:
            late += 1
        elif t + 1 < len(labels) and labels[t + 1] != labels[t] and argmax[t] == labels[t + 1]:
            early += 1
        else:
            other += 1
    return {"late": late, "early": early, "other": other}


def fit_demo(policy, builder, path: Path, stride: int) -> dict:
    from npp_sim.formats.reader import read_demo
    from npp_sim.regenerate import regenerate

    demo = read_demo(path)
    obs, labels, _ = regenerate(demo.map_data, demo.inputs, builder, stride=stride, source=path.name)
    with torch.no_grad():
        tensor, _ = policy.obs_to_tensor(obs)
        probs = policy.get_distribution(tensor).distribution.probs.cpu().numpy()
    labels = labels.astype(np.int64)
    argmax = probs.argmax(axis=1)
    p_label = probs[np.arange(len(labels)), labels]
    wrong = np.flatnonzero(argmax != labels)
    return {"demo": path.name, "decisions": int(len(labels)), "correct": int((argmax == labels).sum()),
            "p_label_sum": float(p_label.sum()), "low_p": int((p_label < 0.3).sum()),
            "first_error": int(wrong[0]) if wrong.size else None, **timing_of_errors(labels, argmax)}


def summarise(records: list[dict]) -> dict:
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_cat[r["category"]].append(r)
    out = {}
    for cat, rs in sorted(by_cat.items()):
        n = sum(r["decisions"] for r in rs)
        errors = sum(r["late"] + r["early"] + r["other"] for r in rs)
        out[cat] = {"demos": len(rs), "decisions": n,
                    "accuracy": sum(r["correct"] for r in rs) / n,
                    "mean_p_label": sum(r["p_label_sum"] for r in rs) / n,
                    "low_p_share": sum(r["low_p"] for r in rs) / n,
                    **{f"{k}_error_share": (sum(r[k] for r in rs) / errors if errors else 0.0)
                       for k in ("late", "early", "other")},
                    "first_error": [r["first_error"] for r in rs]}
    return out


def main(argv=None) -> int:
    from npp_sim.observations import ObservationBuilder

    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.stages.evaluate import load_policy

    ap = argparse.ArgumentParser(prog="python -m imitation_pipeline.evaluation.label_fit",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("demos", type=Path, help="a folder of demo files named <category>_<id>.replay")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-category", type=int, default=10, help="first N clean demos per category (0 = all)")
    ap.add_argument("--stride", type=int, default=4)
    a = ap.parse_args(argv)
    try:
        if a.stride < 1 or a.per_category < 0:
            raise UserFacingError("--stride must be >= 1 and --per-category >= 0")
        files = sorted(p for p in a.demos.glob("*.replay") if ".noisy" not in p.name) if a.demos.is_dir() else []
        if not files:
            raise UserFacingError(f"{a.demos}: no clean *.replay demos in this folder")
        policy, ckpt = load_policy(a.checkpoint)
        policy.set_training_mode(False)
        builder = ObservationBuilder(list(ckpt["arch"]["modalities"]))
        taken: dict[str, int] = defaultdict(int)
        records = []
        for path in files:
            cat = path.name.rsplit("_", 1)[0]
            if a.per_category and taken[cat] >= a.per_category:
                continue
            taken[cat] += 1
            records.append({"category": cat, **fit_demo(policy, builder, path, a.stride)})
    except UserFacingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    result = {"checkpoint": str(a.checkpoint), "demos": str(a.demos), "stride": a.stride,
              "per_category": summarise(records), "records": records}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1))
    for cat, s in result["per_category"].items():
        print(f"{cat:12s} accuracy {s['accuracy']:.3f}  p(label) {s['mean_p_label']:.3f}  "
              f"p<0.3 {s['low_p_share']:.3f}  errors late/early/other "
              f"{s['late_error_share']:.2f}/{s['early_error_share']:.2f}/{s['other_error_share']:.2f}")
    print(f"-> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
