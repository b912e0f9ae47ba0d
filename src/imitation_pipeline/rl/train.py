"""The one code path of ``stage=finetune`` and ``stage=baseline``.

Both arms build the same envs (``suites.train``, ``ppo.n_envs``, seeded by ``seed``), the same PPO
(``ppo.*``), the same callbacks and outputs; ``finetune`` additionally loads the BC policy
(strictly), regularises towards it and may warm up the value head / freeze the extractor.

Outputs under ``run_dir``::

    checkpoints/final.pt, best.pt    project schema (stage=finetune|baseline), loadable by stage=evaluate
    checkpoints/final.zip            SB3's own format (PPO.load); sb3/ holds periodic snapshots
    eval_log.json                    held-out success / return / length vs env steps (learning curve)
    logs/                            SB3 logger: TensorBoard events + progress.csv
    monitor/                         SB3 Monitor CSVs of the training episodes
    <stage>_summary.json             what ran, the transfer report, final numbers
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import torch
from atomic_files import write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import CheckpointError, UserFacingError
from imitation_pipeline.training.trainer import usable_cores

from .envs import env_spec, make_train_env
from .levels import suite_levels
from .ppo import build_ppo
from .transfer import load_bc_into

log = logging.getLogger(__name__)


def resolve_bc_checkpoint(cfg: DictConfig) -> str:
    """``finetune.bc_checkpoint``, else the "best" entry of the BC run pointer."""
    if cfg.finetune.bc_checkpoint:
        return str(cfg.finetune.bc_checkpoint)
    from imitation_pipeline.training.callbacks import read_pointer

    pointer = cfg.finetune.checkpoint_pointer
    best = read_pointer(pointer).get("best")
    if not best:
        raise CheckpointError(f"{pointer}: the BC run recorded no best checkpoint; set finetune.bc_checkpoint")
    return str(best)


def _env_record(cfg: DictConfig) -> dict:
    return {"frame_skip": int(cfg.env.frame_skip), "max_frames": int(cfg.env.max_frames),
            "max_episode_frames": int(cfg.ppo.max_episode_frames),
            "reward": OmegaConf.to_container(cfg.env.reward, resolve=True)}


def _with_demo_starts(cfg: DictConfig, spec, maps):
    """``spec`` with ``finetune.demo_starts`` of its episodes starting on demonstrated states, and the report."""
    from dataclasses import replace

    from .demo_starts import demo_starts_for

    share = float(cfg.finetune.demo_starts)  # in [0, 1]: configs/validate.py
    demos, report = demo_starts_for(str(cfg.finetune.demo_starts_dir), maps)
    log.info(f"demo starts: {share:.0%} of training episodes start on states of {report['demos']} demonstrations "
             f"({report['levels_with_demos']} of {report['training_levels']} training levels have one)")
    return replace(spec, demo_starts=demos, demo_start_prob=share), report


def train_ppo(cfg: DictConfig, stage: str) -> dict:
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback
    from stable_baselines3.common.logger import configure

    from imitation_pipeline.checkpoint import provenance, save_checkpoint

    if stage not in ("finetune", "baseline"):
        raise ValueError(stage)
    p = cfg.ppo
    threads = {"rollout": max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))),
               "update": int(p.update_threads) or usable_cores()}
    torch.set_num_threads(threads["rollout"])
    seed, run_dir = int(cfg.seed), Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    arch = OmegaConf.to_container(cfg.arch, resolve=True)
    if int(p.total_timesteps) < 1:
        raise UserFacingError(f"ppo.total_timesteps must be >= 1, got {p.total_timesteps}")

    train_levels = suite_levels(cfg.suites, "train", cfg.suites.get("train_dir"))
    eval_levels = suite_levels(cfg.suites, "eval", cfg.suites.get("eval_dir"))
    spec = env_spec(cfg, train_levels.maps, train_levels.names, int(p.max_episode_frames))
    eval_spec = env_spec(cfg, eval_levels.maps, eval_levels.names, int(cfg.evaluate.max_episode_frames))
    demo_report = None
    if stage == "finetune" and float(cfg.finetune.demo_starts) > 0:
        spec, demo_report = _with_demo_starts(cfg, spec, train_levels.maps)
    env = make_train_env(spec, int(p.n_envs), seed, str(p.vec_env), monitor_dir=str(run_dir / "monitor"))
    lr = float(cfg.finetune.learning_rate if stage == "finetune" else cfg.baseline.learning_rate)
    ent = cfg.finetune.ent_coef if stage == "finetune" else None
    model = build_ppo(p, arch, env, learning_rate=lr, seed=seed, ent_coef=ent)
    model.set_logger(configure(str(run_dir / "logs"), ["csv", "tensorboard"] if p.tensorboard else ["csv"]))

    info: dict = {"stage": stage, "arch": arch["name"], "seed": seed, "learning_rate": lr,
                  "ent_coef": float(model.ent_coef),
                  "train_levels": len(train_levels), "eval_levels": len(eval_levels),
                  "train_dir": train_levels.source, "eval_dir": eval_levels.source, "torch_threads": threads}
    if demo_report is not None:
        info["demo_starts"] = {"share": spec.demo_start_prob, **demo_report}
    dataset_hash, callbacks = None, []
    if stage == "finetune":
        f = cfg.finetune
        path = resolve_bc_checkpoint(cfg)
        report, bc_ckpt = load_bc_into(model.policy, path, arch=arch, fresh_value_head=bool(f.fresh_value_head))
        log.info(report.format())
        dataset_hash = bc_ckpt["provenance"].get("dataset_hash")
        anneal = int(f.bc_kl_anneal_steps if f.bc_kl_anneal_steps is not None else p.total_timesteps)
        model.set_bc_regulariser(model.policy, float(f.bc_kl_coef), anneal)
        model.value_grad_to_extractor = bool(f.value_grad_to_extractor)
        info.update(bc_checkpoint=str(Path(path).resolve()), transfer=report.as_dict(),
                    value_warmup_steps=int(f.value_warmup_steps), freeze_extractor_steps=int(f.freeze_extractor_steps),
                    bc_kl_coef=float(f.bc_kl_coef), bc_kl_anneal_steps=anneal,
                    value_grad_to_extractor=bool(f.value_grad_to_extractor))
        from .callbacks import TrainingPhases

        callbacks.append(TrainingPhases(int(f.value_warmup_steps), int(f.freeze_extractor_steps)))

    if str(cfg.env.get("reward_shaping", "none")) != "none":
        from .callbacks import RewardParts

        callbacks.append(RewardParts())
        info.update(reward_shaping=str(cfg.env.reward_shaping), shaping_distance_px=float(cfg.env.shaping_distance_px))
    from .callbacks import HeldOutEval, UpdateThreads

    callbacks.append(UpdateThreads(threads["update"], threads["rollout"]))

    ckpt_dir = run_dir / "checkpoints"
    eval_log = run_dir / "eval_log.json"

    def save(name: str, metrics: dict) -> Path:
        prov = provenance(dataset_hash, seed=seed, run_dir=str(run_dir.resolve()), eval_log=str(eval_log.resolve()),
                          timesteps=int(model.num_timesteps), env=_env_record(cfg),
                          init_checkpoint=info.get("bc_checkpoint"))
        return save_checkpoint(ckpt_dir / f"{name}.pt", policy_state_dict=model.policy.state_dict(), arch=arch,
                               observation_space=model.observation_space, action_space=model.action_space,
                               stage=stage, metrics=metrics, provenance=prov)

    def save_best(record: dict) -> None:
        save("best", {"eval/success_rate": record["success_rate"], "eval/mean_return": record["mean_return"],
                      "timesteps": record["timesteps"]})

    evaluator = HeldOutEval(eval_spec, episodes=int(p.eval_episodes), seed=seed,
                            eval_freq_steps=int(p.eval_freq), n_envs=int(p.n_envs), log_path=eval_log,
                            level_names=eval_levels.names, save_best=save_best,
                            deterministic=bool(p.eval_deterministic),
                            header={"stage": stage, "seed": seed, "arch": arch["name"],
                                    "suite": "eval (held-out train-suite levels)",
                                    "actions": "argmax" if p.eval_deterministic else "sampled"})
    callbacks.append(evaluator)
    if int(p.checkpoint_freq) > 0:
        callbacks.append(CheckpointCallback(max(1, int(p.checkpoint_freq) // int(p.n_envs)), str(ckpt_dir / "sb3"),
                                            name_prefix=stage))
    t0 = time.perf_counter()
    try:
        model.learn(int(p.total_timesteps), callback=CallbackList(callbacks), progress_bar=bool(p.progress_bar))
    finally:
        env.close()
    seconds = time.perf_counter() - t0

    last = evaluator.records[-1]
    metrics = {"eval/success_rate": last["success_rate"], "eval/mean_return": last["mean_return"],
               "timesteps": int(model.num_timesteps)}
    final = save("final", metrics)
    model.save(ckpt_dir / "final.zip")
    summary = {
        **info,
        "final_checkpoint": str(final.resolve()),
        "best_checkpoint": str((ckpt_dir / "best.pt").resolve()),
        "sb3_zip": str((ckpt_dir / "final.zip").resolve()),
        "eval_log": str(eval_log.resolve()),
        "timesteps": int(model.num_timesteps),
        "seconds": round(seconds, 1),
        "steps_per_second": round(model.num_timesteps / max(seconds, 1e-9), 1),
        "initial_eval": evaluator.records[0],
        "final_eval": last,
    }
    write_json_atomic(run_dir / f"{stage}_summary.json", summary)
    log.info(f"{stage} (seed {seed}): {model.num_timesteps} env steps in {seconds:.0f} s; held-out success "
             f"{evaluator.records[0]['success_rate']:.2f} -> {last['success_rate']:.2f}; {final}")
    return summary
