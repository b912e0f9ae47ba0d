"""``stage=pipeline`` (the default): generate -> bc -> finetune + baseline per seed -> evaluate -> compare.

Each stage runs through its own ``run(cfg)`` with a derived copy of this config (``run_dir`` set to a
subdirectory, ``seed`` per RL run, inputs wired from the previous stage's summary)::

    <run_dir>/generate  bc  finetune/seed<s>  baseline/seed<s>  evaluate/<arm>-seed<s>  evaluate/bc  compare
    <run_dir>/pipeline_summary.json

``pipeline.bc_checkpoint`` reuses a BC checkpoint (skips generate and bc). Both PPO arms share
``ppo.*`` (budget, envs, evaluation) and the seeds ``pipeline.seeds``; the BC policy is trained once
with the root ``seed``.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

from atomic_files import write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import DatasetError, UserFacingError

log = logging.getLogger(__name__)


def derive(cfg: DictConfig, stage: str, run_dir: Path, updates: dict | None = None) -> DictConfig:
    """A copy of ``cfg`` for one sub-stage: its name, its own run directory, and dotted-key updates."""
    sub = copy.deepcopy(cfg)
    sub.stage = stage
    sub.run_dir = str(run_dir)
    for key, value in (updates or {}).items():
        OmegaConf.update(sub, key, value, merge=False)
    return sub


def _banner(text: str) -> None:
    log.info(f"=== pipeline: {text} ===")


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.stages import baseline as baseline_stage
    from imitation_pipeline.stages import bc, compare, evaluate, finetune, generate

    if cfg.pipeline.frame_skip is not None:  # one decision rate for BC data and PPO (generate.stride follows)
        cfg = copy.deepcopy(cfg)
        cfg.env.frame_skip = int(cfg.pipeline.frame_skip)
    p = cfg.pipeline
    root = Path(cfg.run_dir)
    seeds = [int(s) for s in p.seeds]
    if not seeds:
        raise UserFacingError("pipeline.seeds is empty")
    if p.rl_checkpoint not in ("final", "best"):
        raise UserFacingError(f"pipeline.rl_checkpoint must be final or best, got {p.rl_checkpoint!r}")
    t0 = time.perf_counter()
    summary: dict = {"seeds": seeds, "run_dir": str(root.resolve()), "stages": {}}

    bc_ckpt = p.bc_checkpoint
    if not bc_ckpt:
        replay_dir = Path(str(cfg.generate.replay_dir))
        if not replay_dir.is_dir():
            raise DatasetError(f"{replay_dir}: demonstration directory not found (set dataset.path, or "
                               f"pipeline.bc_checkpoint to reuse a BC checkpoint)")
        _banner("generate")
        summary["stages"]["generate"] = generate.run(derive(cfg, "generate", root / "generate"))
        _banner("bc")
        updates = {} if p.bc_max_epochs is None else {"trainer.max_epochs": int(p.bc_max_epochs)}
        if p.bc_max_levels is not None and "max_levels" in cfg.dataset:
            updates["dataset.max_levels"] = int(p.bc_max_levels)
        bc_summary = bc.run(derive(cfg, "bc", root / "bc", updates))
        summary["stages"]["bc"] = bc_summary
        bc_ckpt = bc_summary["best_checkpoint"] or bc_summary["last_checkpoint"]
    summary["bc_checkpoint"] = str(bc_ckpt)

    arms = {"finetune": finetune, "baseline": baseline_stage}
    rl: dict[str, list[dict]] = {arm: [] for arm in arms}
    for seed in seeds:
        for arm, module in arms.items():
            _banner(f"{arm} seed {seed}")
            sub = derive(cfg, arm, root / arm / f"seed{seed}", {"seed": seed, "finetune.bc_checkpoint": str(bc_ckpt)})
            rl[arm].append(module.run(sub))
    summary["stages"].update(rl)

    evals: dict[str, list[str]] = {arm: [] for arm in arms}
    for arm, runs in rl.items():
        for seed, r in zip(seeds, runs, strict=True):
            _banner(f"evaluate {arm} seed {seed}")
            out = root / "evaluate" / f"{arm}-seed{seed}"
            ckpt = r["final_checkpoint"] if p.rl_checkpoint == "final" else r["best_checkpoint"]
            evaluate.run(derive(cfg, "evaluate", out, {"seed": seed, "evaluate.checkpoint": ckpt,
                                                       "evaluate.output": str(out / "evaluation.json")}))
            evals[arm].append(str(out / "evaluation.json"))
    bc_eval = None
    if p.evaluate_bc:
        _banner("evaluate bc")
        out = root / "evaluate" / "bc"
        evaluate.run(derive(cfg, "evaluate", out, {"evaluate.checkpoint": str(bc_ckpt),
                                                   "evaluate.output": str(out / "evaluation.json")}))
        bc_eval = str(out / "evaluation.json")

    _banner("compare")
    out = root / "compare"
    comparison = compare.run(derive(cfg, "compare", out, {
        "compare.pretrained": evals["finetune"], "compare.baseline": evals["baseline"], "compare.bc": bc_eval,
        "compare.output": str(out / "compare.json"), "compare.plots_dir": str(out)}))
    summary.update(evaluations=evals, bc_evaluation=bc_eval, compare=str(out / "compare.json"),
                   answer=comparison["answer"], plots=comparison["plots"],
                   seconds=round(time.perf_counter() - t0, 1))
    write_json_atomic(root / "pipeline_summary.json", summary)
    log.info(f"pipeline done in {summary['seconds']:.0f} s: {comparison['answer']}")
    log.info(f"-> {root / 'pipeline_summary.json'}")
    return summary
