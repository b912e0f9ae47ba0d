"""Dataset Aggregation (Ross, Gordon & Bagnell 2011), written out as one loop.

For iteration i = 0 .. dagger.iterations-1::

    beta_i = schedule(i)                                  # dagger.beta_schedule, beta0 = 1: i=0 is pure expert
    roll out pi_i = beta_i * expert + (1 - beta_i) * student   (per step: the expert's action with prob. beta_i)
    label every visited state with the expert's action    -> D_i   (dagger.steps_per_iteration labels)
    D = D + D_i                                           # aggregate, never forget earlier states
    student = BC(D)                                       # retrain: cross-entropy on the whole aggregate
    evaluate the student alone (return, length, milestones, success) and write a checkpoint

Env and episodes come from :func:`imitation_pipeline.dagger.envs.make_task` (``env=pokemon_standin``:
world seeds ``dagger.world_seed + k``; ``env=npp``: generator levels ``dagger.npp_train_levels``),
the expert from :func:`imitation_pipeline.dagger.experts.make_expert` (``dagger.expert.kind``).

Retrain step: a plain PyTorch loop over :class:`~imitation_pipeline.training.bc_module.BCModule`'s
own loss (the same policy network, loss and optimizer as ``stage=bc``), not a Lightning Trainer:
DAgger refits many times inside one process on an in-memory dataset that grows every iteration, and a
Trainer per refit would add its setup (loggers, checkpoint dirs, callbacks) each time while giving
nothing the loop needs; the per-iteration checkpoints are written here in the project schema.
``dagger.warm_start`` continues from the previous policy (default) instead of refitting from scratch.

Outputs of :func:`train_dagger` under ``run_dir``: ``run_config.yaml`` (the run's config), ``checkpoints/iter_XX.ckpt``, ``checkpoints/last.ckpt`` and
``checkpoints/best.ckpt`` (by success rate, then milestones, then return), ``data/iter_XX.npz`` (each
iteration's labelled states, with ``dagger.save_data``), and ``dagger_summary.json``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
from atomic_files import copy_file_atomic, write_bytes_atomic, write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.dagger.report import RUN_CONFIG
from imitation_pipeline.errors import UserFacingError
from imitation_pipeline.training.trainer import set_torch_threads, torch_threads

log = logging.getLogger(__name__)


def build_module(arch: dict, task, dcfg, seed: int):
    import torch

    from imitation_pipeline.training.bc_module import BCModule

    torch.manual_seed(seed)
    names = None
    if task.kind == "pokemon":
        from pokemon_env.spaces import BUTTONS

        names = [b.lower() for b in BUTTONS]
    module = BCModule(arch, task.observation_space, task.action_space, lr=float(dcfg.lr),
                      weight_decay=float(dcfg.weight_decay), entropy_coef=float(dcfg.entropy_coef), action_names=names)
    return module, module.configure_optimizers()


def raw_observation(env, obs):
    """What the expert sees: the game's frame for Pokemon (the wrapper keeps it), else the obs itself."""
    raw = getattr(env, "raw_observation", None)
    return obs if raw is None else raw


def collect(env, task, expert, policy, beta: float, n_labels: int, first_episode: int, rng: np.random.Generator,
            deterministic: bool, max_steps: int = 0):
    """Roll out the beta-mixture until ``n_labels`` states are labelled; returns (obs, labels, stats)."""
    observations, labels = [], []
    episodes, returns, milestones, successes = 0, [], [], []
    expert_steps, agree = 0, 0
    policy.set_training_mode(False)
    horizon = min(max_steps, task.max_steps) if max_steps > 0 else task.max_steps
    while len(labels) < n_labels:
        ep = task.train_episode(first_episode + episodes)
        episodes += 1
        obs, info = env.reset(seed=ep.seed, options=ep.options or None)
        expert.reset(raw_observation(env, obs), info, env)
        total, terminated, truncated, steps = 0.0, False, False, 0
        for _ in range(horizon):
            label = expert.act(raw_observation(env, obs), info, env)  # the expert labels every visited state
            observations.append({k: np.array(v, copy=True) for k, v in obs.items()})
            labels.append(label)
            student, _ = policy.predict(obs, deterministic=deterministic)
            agree += int(int(student) == label)
            use_expert = rng.random() < beta
            expert_steps += int(use_expert)
            obs, reward, terminated, truncated, info = env.step(label if use_expert else int(student))
            total += float(reward)
            steps += 1
            if terminated or truncated or len(labels) >= n_labels:
                break
        if terminated or truncated or steps >= horizon:  # an episode cut by the label budget is not scored
            returns.append(total)
            milestones.append(task.milestones(info))
            successes.append(task.success(info, terminated))
    n = max(len(labels), 1)

    def mean(xs: list) -> float | None:
        return float(np.mean(xs)) if xs else None

    stats = {"episodes": episodes, "finished_episodes": len(returns), "return": mean(returns),
             "milestones": mean(milestones), "success_rate": mean(successes),
             "expert_action_fraction": expert_steps / n, "student_agreement": agree / n}
    return observations, labels, stats


def retrain(module, optimizer, aggregate, epochs: int, batch_size: int, rng: np.random.Generator,
            max_updates: int = 0) -> dict:
    """BC on the whole aggregate: ``epochs`` shuffled passes of BCModule's loss (NLL - entropy bonus)."""
    import torch

    module.train()
    updates, losses, hits, seen = 0, [], 0, 0
    for _ in range(epochs):
        for batch in aggregate.batches(batch_size, rng):
            loss, nll, _, logits = module._losses(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            updates += 1
            losses.append(nll.item())
            with torch.no_grad():
                hits += int((logits.argmax(-1) == batch["actions"]).sum())
                seen += len(batch["actions"])
            if max_updates and updates >= max_updates:
                break
        if max_updates and updates >= max_updates:
            break
    module.eval()
    tail = losses[-max(1, len(losses) // max(epochs, 1)):]  # the last epoch
    return {"updates": updates, "train_nll": float(np.mean(tail)) if tail else float("nan"),
            "train_accuracy": hits / max(seen, 1)}


def train_dagger(cfg: DictConfig) -> dict:
    """The whole DAgger run of ``cfg`` (``stage=dagger``); returns and writes ``dagger_summary.json``."""
    from imitation_pipeline.checkpoint import load_policy_weights, provenance, save_checkpoint
    from imitation_pipeline.dagger.dataset import Aggregate
    from imitation_pipeline.dagger.envs import evaluate, make_task
    from imitation_pipeline.dagger.experts import make_expert
    from imitation_pipeline.dagger.schedule import betas_from_config

    set_torch_threads(cfg.trainer)  # the retraining is BC: every usable core (trainer.torch_threads)
    dcfg = cfg.dagger
    seed = int(cfg.seed)
    run_dir = Path(cfg.run_dir)
    arch = OmegaConf.to_container(cfg.arch, resolve=True)
    modalities = list(arch["modalities"])
    if int(dcfg.iterations) < 1 or int(dcfg.steps_per_iteration) < 1:
        raise UserFacingError("dagger.iterations and dagger.steps_per_iteration must be >= 1")
    betas = betas_from_config(dcfg)

    # ---- setup: task (env + episodes), expert, student, aggregate dataset ----------------------------
    task = make_task(cfg, modalities)
    env = task.make_env()
    expert = make_expert(dcfg.expert, str(cfg.env.name), int(task.action_space.n), seed=seed,
                         max_frames=int(dcfg.npp_max_frames),
                         frame_skip=int(cfg.env.frame_skip) if cfg.env.name == "npp" else 1)
    module, optimizer = build_module(arch, task, dcfg, seed)
    if dcfg.initial_checkpoint:
        load_policy_weights(module.policy, str(dcfg.initial_checkpoint), arch)
    rng = np.random.default_rng(seed)
    aggregate = Aggregate()
    data_digest = hashlib.sha256()
    ckpt_dir = run_dir / "checkpoints"
    # the run's own config beside its checkpoints (Hydra's .hydra/ is elsewhere when run_dir is overridden):
    # dagger.report replays the run's env and world pool from it
    saved = OmegaConf.to_container(cfg, resolve=False)  # unresolved: other stages' blocks may not resolve here
    saved["run_dir"] = str(run_dir)
    write_bytes_atomic(run_dir / RUN_CONFIG, OmegaConf.to_yaml(saved).encode())
    history: list[dict] = []
    best_key, best_path = None, None
    episodes_played = 0
    log.info(f"dagger: env={cfg.env.name} expert={expert.name} arch={arch['name']} iterations={len(betas)} "
             f"labels/iteration={dcfg.steps_per_iteration} betas={[round(b, 3) for b in betas]}")

    try:
        for it, beta in enumerate(betas):
            t0 = time.perf_counter()
            # ---- 1. roll out the mixture; the expert labels every visited state ----------------------
            obs, labels, rollout = collect(env, task, expert, module.policy, beta, int(dcfg.steps_per_iteration),
                                           episodes_played, rng, bool(dcfg.student_deterministic),
                                           int(dcfg.rollout_max_steps))
            episodes_played += rollout["episodes"]
            t_collect = time.perf_counter() - t0

            # ---- 2. aggregate -----------------------------------------------------------------------------
            aggregate.add(obs, labels, it)
            data_digest.update(np.asarray(labels, np.int64).tobytes())
            if dcfg.save_data:
                aggregate.save_iteration(run_dir / "data" / f"iter_{it:02d}.npz")

            # ---- 3. retrain the student by BC on the aggregate --------------------------------------------
            if not dcfg.warm_start and it > 0:
                module, optimizer = build_module(arch, task, dcfg, seed + it)
            t1 = time.perf_counter()
            fit = retrain(module, optimizer, aggregate, int(dcfg.epochs_per_iteration), int(dcfg.batch_size), rng,
                          int(dcfg.max_updates_per_iteration))
            t_train = time.perf_counter() - t1

            # ---- 4. evaluate the student alone, checkpoint -------------------------------------------------
            record = {"iteration": it, "beta": beta, "labels": len(labels), "dataset_size": len(aggregate),
                      "rollout": rollout, "fit": fit}
            last_iteration = it == len(betas) - 1
            if last_iteration or (int(dcfg.eval_every) > 0 and (it + 1) % int(dcfg.eval_every) == 0):
                result = evaluate(module.policy, task, env=env, deterministic=bool(dcfg.eval_deterministic))
                record["eval"] = result
            metrics = {"beta": beta, "dataset_size": float(len(aggregate)), "train_nll": fit["train_nll"]}
            if "eval" in record:
                metrics.update({f"eval/{k}": float(record["eval"][k])
                                for k in ("success_rate", "milestones", "return", "length")})
            if hasattr(expert, "stats"):
                record["expert_stats"] = expert.stats
            path = save_checkpoint(
                ckpt_dir / f"iter_{it:02d}.ckpt", policy_state_dict=module.policy.state_dict(), arch=arch,
                observation_space=task.observation_space, action_space=task.action_space, stage="dagger",
                metrics=metrics,
                provenance=provenance(data_digest.hexdigest()[:16], seed=seed, iteration=it, env=str(cfg.env.name),
                                      expert=expert.name, dataset_size=len(aggregate)),
            )
            copy_file_atomic(path, ckpt_dir / "last.ckpt")
            if "eval" in record:
                key = (record["eval"]["success_rate"], record["eval"]["milestones"], record["eval"]["return"])
                if best_key is None or key > best_key:
                    best_key, best_path = key, path
                    copy_file_atomic(path, ckpt_dir / "best.ckpt")
            record["checkpoint"] = str(path)
            record["seconds"] = {"collect": round(t_collect, 2), "train": round(t_train, 2),
                                 "total": round(time.perf_counter() - t0, 2)}
            history.append(record)
            ev = record.get("eval")
            log.info(f"dagger iter {it}: beta={beta:.3f} data={len(aggregate)} nll={fit['train_nll']:.3f} "
                     f"agree={rollout['student_agreement']:.2f} "
                     + (f"eval success={ev['success_rate']:.2f} milestones={ev['milestones']:.2f} "
                        f"return={ev['return']:.2f} length={ev['length']:.1f}" if ev else "(no eval)")
                     + f" [{record['seconds']['total']:.0f}s]")
            write_json_atomic(run_dir / "dagger_summary.json", _summary(cfg, arch, expert, history, best_path))
    finally:
        expert.close()
        env.close()
    summary = _summary(cfg, arch, expert, history, best_path)
    write_json_atomic(run_dir / "dagger_summary.json", summary)
    return summary


def _summary(cfg, arch, expert, history, best_path) -> dict:
    final = next((h["eval"] for h in reversed(history) if "eval" in h), None)
    return {
        "stage": "dagger",
        "env": str(cfg.env.name),
        "expert": expert.name,
        "arch": arch["name"],
        "seed": int(cfg.seed),
        "torch_threads": torch_threads(cfg.trainer),
        "dagger": OmegaConf.to_container(cfg.dagger, resolve=True),
        "iterations": [{k: ({kk: vv for kk, vv in v.items() if kk != "episodes"} if k == "eval" else v)
                        for k, v in h.items()} for h in history],
        "final_eval": final,
        "best_checkpoint": None if best_path is None else str(best_path),
        "last_checkpoint": str(Path(cfg.run_dir) / "checkpoints" / "last.ckpt"),
    }
