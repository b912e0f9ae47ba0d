"""Compare arms (any policies) from their ``stage=evaluate`` JSON files (or N++ ``dagger_summary.json``
files, whose final evaluation is read), one file per seed.

Usage::

    python -m imitation_pipeline.evaluation.arms dagger=a.json,b.json,c.json bc=d.json,e.json,f.json \\
        --out docs/results/npp/dagger-vs-bc

Writes ``<out>.json`` (per arm: per-category means, macro mean, each seed's macro, n, and a 95% stratified
bootstrap interval over seeds and test levels, inside [0, 1] by construction; none for one seed) and
``<out>.png`` (bars per category and macro, each seed's macro as a dot).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from imitation_pipeline.evaluation.stats import bootstrap_macro


def as_evaluation(doc: dict) -> dict:
    """An evaluation dict (``stage=evaluate``'s JSON), also from a ``dagger_summary.json`` of an N++ run
    (its ``final_eval`` episodes are named ``<category>/<level>``)."""
    if "final_eval" not in doc:
        return doc
    eps = [{"category": e["episode"].split("/", 1)[0], "level": e["episode"], "success": bool(e["success"])}
           for e in doc["final_eval"]["episodes"]]
    cats = sorted({e["category"] for e in eps})
    per = {c: {"success_rate": float(np.mean([e["success"] for e in eps if e["category"] == c]))} for c in cats}
    return {"seed": doc.get("seed"), "episodes": eps, "per_category": per,
            "macro": {"success_rate": float(np.mean([v["success_rate"] for v in per.values()]))}}


def summarise_arm(files: list[Path]) -> dict:
    evals = [as_evaluation(json.loads(f.read_text())) for f in files]
    cats = sorted({c for e in evals for c in e["per_category"]})
    macros = [float(e["macro"]["success_rate"]) for e in evals]
    ci = bootstrap_macro([e["episodes"] for e in evals])
    return {"files": [str(f) for f in files], "n_seeds": len(evals), "seeds": [e.get("seed") for e in evals],
            "macro_mean": float(np.mean(macros)), "macro_per_seed": macros, "macro_ci95": list(ci) if ci else None,
            "per_category_mean": {c: float(np.mean([e["per_category"][c]["success_rate"] for e in evals
                                                    if c in e["per_category"]])) for c in cats}}


def plot(arms: dict, path: Path) -> Path:
    from imitation_pipeline.evaluation.plots import _pyplot, save_figure

    plt = _pyplot()
    cats = sorted({c for a in arms.values() for c in a["per_category_mean"]})
    labels = [*cats, "macro"]
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(arms))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(labels)), 4.0))
    for k, (name, a) in enumerate(arms.items()):
        pos = x + (k - (len(arms) - 1) / 2) * width
        vals = [a["per_category_mean"].get(c, np.nan) for c in cats] + [a["macro_mean"]]
        bars = ax.bar(pos, vals, width, label=f"{name} (n={a['n_seeds']})")
        ax.scatter([pos[-1]] * len(a["macro_per_seed"]), a["macro_per_seed"], color="black", s=10, zorder=3)
        if a["macro_ci95"]:
            lo, hi = a["macro_ci95"]
            ax.errorbar(pos[-1], a["macro_mean"], yerr=[[a["macro_mean"] - lo], [hi - a["macro_mean"]]],
                        color=bars[0].get_facecolor(), ecolor="black", capsize=3)
    ax.set_xticks(x, labels, rotation=20)
    return save_figure(fig, ax, path, ylabel="test success rate",
                       title="Test-suite success (means over seeds; macro: 95% stratified bootstrap, dots = seeds)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m imitation_pipeline.evaluation.arms", description=__doc__.split("\n\n")[0])
    ap.add_argument("arms", nargs="+", help="NAME=eval.json[,eval.json...] (one evaluation JSON per seed)")
    ap.add_argument("--out", type=Path, required=True, help="output prefix: writes <out>.json and <out>.png")
    a = ap.parse_args(argv)
    arms = {}
    for spec in a.arms:
        name, sep, files = spec.partition("=")
        paths = [Path(f) for f in files.split(",") if f]
        if not sep or not name or not paths:
            print(f"error: {spec!r}: expected NAME=eval.json[,eval.json...]", file=sys.stderr)
            return 2
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            print(f"error: arm {name}: no such file: {', '.join(missing)}", file=sys.stderr)
            return 2
        try:
            arms[name] = summarise_arm(paths)
        except (json.JSONDecodeError, KeyError) as err:
            print(f"error: arm {name}: not an evaluation JSON of stage=evaluate ({err})", file=sys.stderr)
            return 2
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps({"arms": arms}, indent=1) + "\n")
    plot(arms, a.out.with_suffix(".png"))
    for name, s in arms.items():
        ci = f"{s['macro_ci95'][0]:.3f}-{s['macro_ci95'][1]:.3f}" if s["macro_ci95"] else "none (1 seed)"
        print(f"{name:>10}: macro {s['macro_mean']:.3f} (95% {ci}, n={s['n_seeds']}) "
              + " ".join(f"{c} {v:.2f}" for c, v in s["per_category_mean"].items()))
    print(f"-> {a.out.with_suffix('.json')}, {a.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
