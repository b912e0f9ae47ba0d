"""``stage=compare``: pretrained (finetune) vs baseline over seeds.

Inputs: the ``evaluation.json`` files of ``stage=evaluate`` (``compare.pretrained``,
``compare.baseline``, optionally ``compare.bc`` for BC alone). Each names its checkpoint's eval log
(the held-out learning curve written by the RL stage). Outputs: ``compare.output`` (JSON) with
test-suite success per category and macro-averaged (mean and Student-t interval over seeds), the
difference, and the sample-efficiency answer: env steps each arm needs to reach the baseline's final
held-out success rate; ``success_by_category.png`` and ``learning_curves.png`` in ``compare.plots_dir``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from imitation_pipeline.atomic_files import write_json_atomic
from imitation_pipeline.errors import UserFacingError

log = logging.getLogger(__name__)

PRETRAINED, BASELINE, BC = "bc+ppo", "ppo", "bc"


def _read_json(path: str | Path, what: str) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise UserFacingError(f"{path}: {what} not found") from err
    except json.JSONDecodeError as err:
        raise UserFacingError(f"{path}: {what} is not valid JSON ({err})") from err


RATE = (0.0, 1.0)  # success rates: their intervals are clipped to this range


def _group(paths: list[str], confidence: float) -> dict:
    from imitation_pipeline.evaluation.stats import mean_ci

    evals = [_read_json(p, "evaluation") for p in paths]
    for p, e in zip(paths, evals, strict=True):
        if "per_category" not in e or "macro" not in e:
            raise UserFacingError(f"{p}: not an evaluation of stage=evaluate (no per_category/macro)")
    suites = {json.dumps(e.get("suite_counts"), sort_keys=True) for e in evals}
    if len(suites) > 1:
        raise UserFacingError(f"evaluations {paths} used different suites; compare like with like")
    cats = list(evals[0]["per_category"])
    return {
        "evaluations": [str(Path(p).resolve()) for p in paths],
        "seeds": [e.get("seed") for e in evals],
        "checkpoint_stages": sorted({str(e.get("checkpoint_stage")) for e in evals}),
        "macro_success": mean_ci([e["macro"]["success_rate"] for e in evals], confidence, bounds=RATE),
        "macro_return": mean_ci([e["macro"]["mean_return"] for e in evals], confidence),
        "macro_length": mean_ci([e["macro"]["mean_length"] for e in evals], confidence),
        "per_category": {c: mean_ci([e["per_category"][c]["success_rate"] for e in evals if c in e["per_category"]],
                                    confidence, bounds=RATE) for c in cats},
        "_evals": evals,
    }


def _curves(group: dict) -> dict | None:
    """Held-out learning curve of each seed (from the RL run's eval log), and their mean."""
    from imitation_pipeline.evaluation.stats import mean_curve

    runs = []
    for e in group["_evals"]:
        if not e.get("eval_log") or not Path(e["eval_log"]).is_file():
            return None
        log = _read_json(e["eval_log"], "eval log")["evaluations"]
        runs.append(([r["timesteps"] for r in log], [r["success_rate"] for r in log]))
    steps, mean, mat = mean_curve(runs)
    return {"steps": steps.tolist(), "mean": mean.tolist(), "per_seed": mat.tolist(),
            "final_per_seed": [r[1][-1] for r in runs], "final_mean": float(np.mean([r[1][-1] for r in runs]))}


def sample_efficiency(curves: dict) -> dict:
    """Env steps each arm needs to reach the baseline's final held-out success (mean curves over seeds), with
    a note when that figure says nothing (the baseline never succeeded, or ended no better than it started)."""
    from imitation_pipeline.evaluation.stats import steps_to_reach

    target = curves[BASELINE]["final_mean"]
    need = {name: steps_to_reach(cv["steps"], cv["mean"], target) for name, cv in curves.items()}
    per_seed = {name: [steps_to_reach(cv["steps"], row, target) for row in cv["per_seed"]]
                for name, cv in curves.items()}
    ratio = None
    if need[PRETRAINED] is not None and need[BASELINE]:
        ratio = need[BASELINE] / max(need[PRETRAINED], 1)
    base = curves[BASELINE]["mean"]
    initial, best = float(base[0]), float(max(base))
    note = None
    if target <= 0:
        note = ("the baseline never succeeded on the held-out levels, so reaching its final success rate "
                "is trivial (0 steps); raise ppo.total_timesteps for a meaningful sample-efficiency figure")
    elif target <= initial:
        note = (f"PPO from scratch ended no better than its untrained start on the held-out levels "
                f"({initial:.3f} -> {target:.3f}), so 0 steps to its final success says nothing; compare the "
                f"pretrained start {float(curves[PRETRAINED]['mean'][0]):.3f} with the baseline's best {best:.3f}, "
                f"or raise ppo.total_timesteps")
    efficiency = {
        "curve": "success rate on held-out train-suite levels (RL eval logs), mean over seeds",
        "target_success": target,
        "env_steps_to_target": need,
        "env_steps_to_target_per_seed": per_seed,
        "speedup": ratio,
        "baseline_initial_success": initial,
        "baseline_best_success": best,
        "pretrained_initial_success": float(curves[PRETRAINED]["mean"][0]),
        "pretrained_steps_to_baseline_best": steps_to_reach(curves[PRETRAINED]["steps"],
                                                            curves[PRETRAINED]["mean"], best),
        "note": note,
    }
    return efficiency


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.evaluation import plots

    c = cfg.compare
    if not c.pretrained or not c.baseline:
        raise UserFacingError("stage=compare needs compare.pretrained=[...] and compare.baseline=[...] "
                              "(evaluation.json files written by stage=evaluate)")
    conf = float(c.confidence)
    if not 0 < conf < 1:
        raise UserFacingError(f"compare.confidence must be in (0, 1), got {conf}")
    groups = {PRETRAINED: _group(list(c.pretrained), conf), BASELINE: _group(list(c.baseline), conf)}
    if c.bc:
        groups[BC] = _group([str(c.bc)], conf)
    categories = list(groups[BASELINE]["per_category"])

    curves = {name: cv for name in (PRETRAINED, BASELINE) if (cv := _curves(groups[name])) is not None}
    efficiency = sample_efficiency(curves) if len(curves) == 2 else None

    d_macro = groups[PRETRAINED]["macro_success"]["mean"] - groups[BASELINE]["macro_success"]["mean"]
    diff = {"macro_success": d_macro,
            "per_category": {cat: groups[PRETRAINED]["per_category"][cat]["mean"]
                             - groups[BASELINE]["per_category"][cat]["mean"] for cat in categories}}
    answer = (f"BC->PPO test macro success {groups[PRETRAINED]['macro_success']['mean']:.3f} vs PPO from scratch "
              f"{groups[BASELINE]['macro_success']['mean']:.3f} ({d_macro:+.3f}, "
              f"n={groups[PRETRAINED]['macro_success']['n']}/{groups[BASELINE]['macro_success']['n']} seeds)")
    if efficiency:
        n = efficiency["env_steps_to_target"]
        answer += (f"; env steps to the baseline's final held-out success {efficiency['target_success']:.3f}: "
                   f"BC->PPO {n[PRETRAINED]}, PPO {n[BASELINE]}")
        if efficiency["note"]:
            answer += f" ({efficiency['note']})"

    plots_dir = Path(c.plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    public = {name: {k: v for k, v in g.items() if not k.startswith("_")} for name, g in groups.items()}
    figs = [str(plots.success_by_category(public, categories, plots_dir / "success_by_category.png", conf))]
    if curves:
        figs.append(str(plots.learning_curves(curves, efficiency["target_success"] if efficiency else None,
                                              plots_dir / "learning_curves.png")))
    result = {"answer": answer, "groups": public, "difference": diff, "sample_efficiency": efficiency,
              "learning_curves": curves, "confidence": conf, "plots": figs}
    out = write_json_atomic(c.output, result)
    log.info(f"compare: {answer}")
    log.info(f"-> {out}; plots: {', '.join(figs)}")
    return result
