"""SB3 callbacks of the PPO stages.

* :class:`TrainingPhases`: before each PPO update, freeze parameters by env step: the value-head
  warm-up (only ``value_net`` and the value MLP train: the policy's learning rate is effectively 0)
  and the frozen features extractor. Frozen parameters get no gradient, so Adam leaves them alone.
* :class:`UpdateThreads`: every usable core for the gradient updates, one thread (``OMP_NUM_THREADS``)
  while the env workers step the envs.
* :class:`HeldOutEval`: the held-out levels played through the one rollout loop (seeded per level), also
  at step 0 (the pretrained policy's starting point), writing ``eval_log.json`` after every evaluation
  and a best checkpoint in the project's schema (best success rate, then return).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from atomic_files import write_json_atomic
from stable_baselines3.common.callbacks import BaseCallback

from .transfer import is_value_key


class TrainingPhases(BaseCallback):
    def __init__(self, value_warmup_steps: int = 0, freeze_extractor_steps: int = 0):
        super().__init__()
        self.value_warmup_steps, self.freeze_extractor_steps = int(value_warmup_steps), int(freeze_extractor_steps)
        self.phase = None

    def _apply(self) -> None:
        t = self.model.num_timesteps  # steps collected before this update
        warmup, frozen = t <= self.value_warmup_steps, t <= self.freeze_extractor_steps
        if (warmup, frozen) != self.phase:
            policy = self.model.policy
            shared = policy.share_features_extractor
            for name, p in policy.named_parameters():
                value_part = is_value_key(name, shared)
                extractor = name.startswith(("features_extractor.", "pi_features_extractor.", "vf_features_extractor."))
                p.requires_grad_(not ((warmup and not value_part) or (frozen and extractor)))
            self.phase = (warmup, frozen)
        self.logger.record("train/value_warmup", float(warmup))
        self.logger.record("train/extractor_frozen", float(frozen))

    def _on_rollout_end(self) -> None:
        self._apply()

    def _on_training_end(self) -> None:
        for p in self.model.policy.parameters():
            p.requires_grad_(True)

    def _on_step(self) -> bool:
        return True


class UpdateThreads(BaseCallback):
    """Torch threads by phase: ``update`` for PPO's gradient steps (every env worker waits then), ``rollout``
    while the workers step the envs and this process only runs the policy on a few observations."""

    def __init__(self, update: int, rollout: int):
        super().__init__()
        self.update, self.rollout = max(1, int(update)), max(1, int(rollout))

    def _on_rollout_start(self) -> None:
        torch.set_num_threads(self.rollout)

    def _on_rollout_end(self) -> None:  # SB3 calls train() next
        torch.set_num_threads(self.update)

    def _on_training_end(self) -> None:
        torch.set_num_threads(self.rollout)

    def _on_step(self) -> bool:
        return True


class RewardParts(BaseCallback):
    """Logs the sparse and the shaping parts of finished episodes' returns (``rollout/ep_sparse_return``,
    ``rollout/ep_shaping_return``) from the ``sparse_reward`` / ``shaping_reward`` infos of
    :class:`npp_sim.shaping.PathShaping`, so the sparse return stays visible when PPO optimises the shaped one."""

    def __init__(self):
        super().__init__()
        self._sums: np.ndarray | None = None

    def _on_step(self) -> bool:
        infos, dones = self.locals["infos"], self.locals["dones"]
        if self._sums is None:
            self._sums = np.zeros((len(infos), 2))
        for i, (info, done) in enumerate(zip(infos, dones, strict=True)):
            self._sums[i] += (info.get("sparse_reward", 0.0), info.get("shaping_reward", 0.0))
            if done:
                self.logger.record_mean("rollout/ep_sparse_return", float(self._sums[i, 0]))
                self.logger.record_mean("rollout/ep_shaping_return", float(self._sums[i, 1]))
                self._sums[i] = 0.0
        return True


class HeldOutEval(BaseCallback):
    """Held-out evaluation of PPO through the one rollout loop (:func:`~imitation_pipeline.evaluation.runner.play_levels`).

    Every ``eval_freq_steps`` env steps (counted over the ``n_envs`` training envs), at step 0 (the starting
    point) and at the end of the budget, every level of ``spec`` (the held-out levels, unshaped) is played
    ``episodes`` times. Sampled actions draw from one generator per (``seed``, level), the same streams at
    every evaluation, so a run's held-out curve is reproducible per (seed, level) and does not touch the
    global torch RNG that PPO's training samples from. After each evaluation the record (timesteps, success
    rate, mean return and length, episodes) is logged (``eval/...``), ``log_path`` (JSON, atomic) is rewritten
    with all records, and ``save_best`` is called on a new best (success rate, then return).
    """

    def __init__(self, spec, *, episodes: int, eval_freq_steps: int, n_envs: int, log_path: Path,
                 level_names: list[str], header: dict, save_best: Callable[[dict], None] | None = None,
                 deterministic: bool = False, seed: int = 0, batch_envs: int = 32):
        super().__init__()
        self.spec, self.episodes, self.deterministic = spec, int(episodes), bool(deterministic)
        self.eval_freq = max(1, int(eval_freq_steps) // int(n_envs))
        self.log_path, self.level_names, self.header = Path(log_path), list(level_names), header
        self.save_best, self.seed, self.batch_envs = save_best, int(seed), int(batch_envs)
        self.records: list[dict] = []
        self.best: tuple[float, float] | None = None

    def evaluate(self) -> dict:
        from imitation_pipeline.evaluation.runner import play_levels

        played = play_levels(self.model.policy, self.spec, list(self.spec.names), episodes=self.episodes,
                             deterministic=self.deterministic, batch_envs=self.batch_envs, seed=self.seed)
        record = {
            "timesteps": int(self.num_timesteps),
            "success_rate": float(np.mean([r["success"] for r in played])),
            "mean_return": float(np.mean([r["return"] for r in played])),
            "mean_length": float(np.mean([r["length"] for r in played])),
            "episodes": len(played),
        }
        self.records.append(record)
        self.logger.record("eval/mean_reward", record["mean_return"])
        self.logger.record("eval/mean_ep_length", record["mean_length"])
        self.logger.record("eval/success_rate", record["success_rate"])
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(self.num_timesteps)
        write_json_atomic(self.log_path, {**self.header, "levels": self.level_names, "evaluations": self.records})
        key = (record["success_rate"], record["mean_return"])
        if self.save_best is not None and (self.best is None or key > self.best):
            self.best = key
            self.save_best(record)
        return record

    def _on_training_start(self) -> None:
        self.evaluate()  # step 0 of the learning curve: the initial policy

    def _on_step(self) -> bool:
        if self.n_calls % self.eval_freq == 0:
            self.evaluate()
        return True

    def _on_training_end(self) -> None:
        if not self.records or self.records[-1]["timesteps"] != self.num_timesteps:
            self.evaluate()  # final evaluation at the end of the budget
