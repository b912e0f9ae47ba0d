"""``stage=compare``: pretrained (finetune) vs baseline over seeds.

Inputs: the ``evaluation.json`` files of ``stage=evaluate`` (``compare.pretrained``,
``compare.baseline``, optionally ``compare.bc`` for BC alone). Each names its checkpoint's eval log
(the held-out learning curve written by the RL stage). Outputs: ``compare.output`` (JSON) with
test-suite success per category and macro-averaged: per arm the mean with a Student-t interval over
seeds, and next to it (rliable's definitions, see ``evaluation.stats``) the IQM with its stratified
bootstrap interval and a stratified bootstrap interval of the mean; every interval lies in [0, 1] and
one seed gives none. The difference, and sample efficiency in both directions: env steps for BC -> PPO
to reach scratch's final held-out success, and for scratch to reach BC's starting success (each an int
or "not reached in N steps"). Plots in ``compare.plots_dir``: ``success_by_category.png``,
``iqm_by_category.png`` and ``learning_curves.png``, each naming n (seeds) per arm.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from atomic_files import write_json_atomic
from omegaconf import DictConfig

from imitation_pipeline.errors import UserFacingError, read_json

log = logging.getLogger(__name__)

PRETRAINED, BASELINE, BC = "bc+ppo", "ppo", "bc"


def _read_json(path: str | Path, what: str) -> dict:
    return read_json(path, f"{what} not found", f"{what} is not valid JSON")


RATE = (0.0, 1.0)  # success rates: their intervals are clipped to this range


def _level_scores(evals: list[dict], category: str) -> tuple[np.ndarray, str]:
    """Runs x levels success of one category (each level's mean over its episodes), when every evaluation
    holds episode records of the same levels; else runs x 1, the category's success rate."""
    rows = []
    for e in evals:
        by_level: dict[str, list[float]] = {}
        for r in e.get("episodes") or []:
            if r.get("category") == category:
                by_level.setdefault(str(r["level"]), []).append(float(r["success"]))
        rows.append({lv: float(np.mean(v)) for lv, v in by_level.items()})
    levels = sorted(rows[0])
    if levels and all(sorted(r) == levels for r in rows):
        return np.array([[r[lv] for lv in levels] for r in rows]), "levels"
    return np.array([[e["per_category"][category]["success_rate"]] for e in evals]), "category success rate"


def _group(paths: list[str], confidence: float, reps: int = 10_000, seed: int = 0) -> dict:
    from imitation_pipeline.evaluation.stats import mean_ci, robust_summary

    evals = [_read_json(p, "evaluation") for p in paths]
    for p, e in zip(paths, evals, strict=True):
        if "per_category" not in e or "macro" not in e:
            raise UserFacingError(f"{p}: not an evaluation of stage=evaluate (no per_category/macro)")
    suites = {json.dumps(e.get("suite_counts"), sort_keys=True) for e in evals}
    if len(suites) > 1:
        raise UserFacingError(f"evaluations {paths} used different suites; compare like with like")
    cats = [c for c in evals[0]["per_category"] if all(c in e["per_category"] for e in evals)]

    def rate(values: list[float], scores: np.ndarray, tasks: str) -> dict:
        """Mean and t-interval, then IQM and the stratified bootstrap intervals (runs x tasks scores)."""
        return {**mean_ci(values, confidence, bounds=RATE),
                **robust_summary(scores, confidence, reps=reps, seed=seed, bounds=RATE), "bootstrap_tasks": tasks}

    per_category = {}
    for c in cats:
        scores, tasks = _level_scores(evals, c)
        per_category[c] = rate([e["per_category"][c]["success_rate"] for e in evals], scores, tasks)
    macro_scores = np.array([[e["per_category"][c]["success_rate"] for c in cats] for e in evals])
    return {
        "evaluations": [str(Path(p).resolve()) for p in paths],
        "seeds": [e.get("seed") for e in evals],
        "n_seeds": len(evals),
        "checkpoint_stages": sorted({str(e.get("checkpoint_stage")) for e in evals}),
        "macro_success": rate([e["macro"]["success_rate"] for e in evals], macro_scores, "categories"),
        "macro_return": mean_ci([e["macro"]["mean_return"] for e in evals], confidence),
        "macro_length": mean_ci([e["macro"]["mean_length"] for e in evals], confidence),
        "per_category": per_category,
        "_evals": evals,
    }


def _interval(ci) -> str:
    return f"{ci[0]:.3f}-{ci[1]:.3f}" if ci else "none"


def summary_line(name: str, cell: dict, confidence: float) -> str:
    """One printed line per arm: mean with its t and bootstrap intervals, IQM with its interval, n."""
    t = [cell["ci_low"], cell["ci_high"]] if cell["ci_low"] is not None else None
    line = (f"{name}: test macro success mean {cell['mean']:.3f} ({confidence:.0%} t {_interval(t)}, "
            f"bootstrap {_interval(cell['mean_bootstrap_ci'])}), IQM {cell['iqm']:.3f} "
            f"(bootstrap {_interval(cell['iqm_ci'])}), n={cell['n_seeds']} seed{'s' * (cell['n_seeds'] != 1)}")
    return line + (f" [{cell['interval_note']}]" if cell["interval_note"] else "")


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
    a note when that figure says nothing (the baseline never succeeded, or ended no better than it started).

    Both directions, each an int or "not reached in N steps" (N = that arm's budget, its curve's last step):
    ``pretrained_steps_to_reach_scratch_final`` (BC -> PPO to scratch's final success) and
    ``scratch_steps_to_reach_bc`` (scratch to BC's starting success = the BC -> PPO curve at step 0, the BC
    policy on the same held-out levels before any PPO update)."""
    from imitation_pipeline.evaluation.stats import steps_or_not_reached, steps_to_reach

    target = curves[BASELINE]["final_mean"]
    need = {name: steps_to_reach(cv["steps"], cv["mean"], target) for name, cv in curves.items()}
    per_seed = {name: [steps_to_reach(cv["steps"], row, target) for row in cv["per_seed"]]
                for name, cv in curves.items()}
    ratio = None
    if need[PRETRAINED] is not None and need[BASELINE]:
        ratio = need[BASELINE] / max(need[PRETRAINED], 1)
    base = curves[BASELINE]["mean"]
    initial, best = float(base[0]), float(max(base))
    bc_start = float(curves[PRETRAINED]["mean"][0])  # the BC policy, before any PPO update
    note = None
    if target <= 0:
        note = ("the baseline never succeeded on the held-out levels, so reaching its final success rate "
                "is trivial (0 steps); raise ppo.total_timesteps for a meaningful sample-efficiency figure")
    elif target <= initial:
        note = (f"PPO from scratch ended no better than its untrained start on the held-out levels "
                f"({initial:.3f} -> {target:.3f}), so 0 steps to its final success says nothing; compare the "
                f"pretrained start {bc_start:.3f} with the baseline's best {best:.3f}, "
                f"or raise ppo.total_timesteps")

    def reach(cv: dict, goal: float) -> tuple[int | str, list[int | str]]:
        return (steps_or_not_reached(cv["steps"], cv["mean"], goal),
                [steps_or_not_reached(cv["steps"], row, goal) for row in cv["per_seed"]])

    to_scratch, to_scratch_seeds = reach(curves[PRETRAINED], target)
    to_bc, to_bc_seeds = reach(curves[BASELINE], bc_start)
    bc_note = None
    if bc_start <= initial:
        bc_note = (f"PPO from scratch started at or above BC's starting success ({initial:.3f} >= {bc_start:.3f}), "
                   f"so its steps to reach it say nothing")
    efficiency = {
        "curve": "success rate on held-out train-suite levels (RL eval logs), mean over seeds",
        "pretrained_steps_to_reach_scratch_final": to_scratch,
        "pretrained_steps_to_reach_scratch_final_per_seed": to_scratch_seeds,
        "bc_starting_success": bc_start,
        "scratch_steps_to_reach_bc": to_bc,
        "scratch_steps_to_reach_bc_per_seed": to_bc_seeds,
        "scratch_steps_to_reach_bc_note": bc_note,
        "target_success": target,
        "env_steps_to_target": need,
        "env_steps_to_target_per_seed": per_seed,
        "speedup": ratio,
        "baseline_initial_success": initial,
        "baseline_best_success": best,
        "pretrained_initial_success": bc_start,
        "pretrained_steps_to_baseline_best": steps_to_reach(curves[PRETRAINED]["steps"],
                                                            curves[PRETRAINED]["mean"], best),
        "note": note,
    }
    return efficiency


def efficiency_lines(efficiency: dict) -> list[str]:
    """The two directions of "steps to reach", one printed line each."""
    lines = [f"BC->PPO env steps to reach scratch's final held-out success {efficiency['target_success']:.3f}: "
             f"{efficiency['pretrained_steps_to_reach_scratch_final']}",
             f"PPO from scratch env steps to reach BC's starting held-out success "
             f"{efficiency['bc_starting_success']:.3f}: {efficiency['scratch_steps_to_reach_bc']}"]
    for i, key in ((0, "note"), (1, "scratch_steps_to_reach_bc_note")):
        if efficiency[key]:
            lines[i] += f" ({efficiency[key]})"
    return lines


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.evaluation import plots

    c = cfg.compare
    if not c.pretrained or not c.baseline:
        raise UserFacingError("stage=compare needs compare.pretrained=[...] and compare.baseline=[...] "
                              "(evaluation.json files written by stage=evaluate)")
    conf = float(c.confidence)
    if not 0 < conf < 1:
        raise UserFacingError(f"compare.confidence must be in (0, 1), got {conf}")
    reps, seed = int(c.get("bootstrap_reps", 10_000)), int(c.get("bootstrap_seed", 0))
    if reps < 100:
        raise UserFacingError(f"compare.bootstrap_reps must be >= 100, got {reps}")
    groups = {PRETRAINED: _group(list(c.pretrained), conf, reps, seed),
              BASELINE: _group(list(c.baseline), conf, reps, seed)}
    if c.bc:
        groups[BC] = _group([str(c.bc)], conf, reps, seed)
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
    summary = [summary_line(name, g["macro_success"], conf) for name, g in groups.items()]
    summary += efficiency_lines(efficiency) if efficiency else []

    plots_dir = Path(c.plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    public = {name: {k: v for k, v in g.items() if not k.startswith("_")} for name, g in groups.items()}
    figs = [str(plots.success_by_category(public, categories, plots_dir / "success_by_category.png", conf)),
            str(plots.iqm_by_category(public, categories, plots_dir / "iqm_by_category.png", conf))]
    if curves:
        figs.append(str(plots.learning_curves(curves, efficiency["target_success"] if efficiency else None,
                                              plots_dir / "learning_curves.png",
                                              efficiency["bc_starting_success"] if efficiency else None)))
    result = {"answer": answer, "summary": summary, "groups": public, "difference": diff,
              "sample_efficiency": efficiency, "learning_curves": curves, "confidence": conf,
              "bootstrap": {"reps": reps, "seed": seed, "method": "stratified bootstrap (rliable's): each task's "
                            "seeds resampled with replacement; percentile interval; tasks = categories for "
                            "the macro, levels for a category"},
              "plots": figs}
    out = write_json_atomic(c.output, result)
    log.info(f"compare: {answer}")
    for line in summary:
        log.info(f"compare: {line}")
    log.info(f"-> {out}; plots: {', '.join(figs)}")
    return result
