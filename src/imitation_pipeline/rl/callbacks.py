"""SB3 callbacks of the PPO stages.

* :class:`TrainingPhases`: before each PPO update, freeze parameters by env step: the value-head
  warm-up (only ``value_net`` and the value MLP train: the policy's learning rate is effectively 0)
  and the frozen features extractor. Frozen parameters get no gradient, so Adam leaves them alone.
* :class:`HeldOutEval`: SB3's ``EvalCallback`` on the held-out levels (one env per level), also at
  step 0 (the pretrained policy's starting point), writing ``eval_log.json`` after every evaluation
  and a best checkpoint in the project's schema (best success rate, then return).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from atomic_files import write_json_atomic
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

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


class _AfterEval(BaseCallback):
    """Runs after each evaluation of its parent :class:`HeldOutEval`."""

    def __init__(self, log_path: Path, level_names: list[str], save_best: Callable[[dict], None] | None,
                 header: dict):
        super().__init__()
        self.log_path, self.level_names, self.save_best, self.header = Path(log_path), level_names, save_best, header
        self.records: list[dict] = []
        self.best: tuple[float, float] | None = None

    def _on_step(self) -> bool:
        ev: EvalCallback = self.parent
        successes = ev.evaluations_successes[-1] if ev.evaluations_successes else []
        record = {
            "timesteps": int(ev.num_timesteps),
            "success_rate": float(np.mean(successes)) if successes else 0.0,
            "mean_return": float(ev.last_mean_reward),
            "mean_length": float(np.mean(ev.evaluations_length[-1])),
            "episodes": len(ev.evaluations_length[-1]),
        }
        self.records.append(record)
        write_json_atomic(self.log_path, {**self.header, "levels": self.level_names, "evaluations": self.records})
        key = (record["success_rate"], record["mean_return"])
        if self.save_best is not None and (self.best is None or key > self.best):
            self.best = key
            self.save_best(record)
        return True


class HeldOutEval(EvalCallback):
    def __init__(self, eval_env, *, n_levels: int, episodes: int, eval_freq_steps: int, n_envs: int,
                 log_path: Path, level_names: list[str], header: dict,
                 save_best: Callable[[dict], None] | None = None, deterministic: bool = False):
        self.after = _AfterEval(log_path, level_names, save_best, header)
        super().__init__(eval_env, callback_after_eval=self.after, n_eval_episodes=n_levels * episodes,
                         eval_freq=max(1, eval_freq_steps // n_envs), log_path=str(Path(log_path).parent / "eval"),
                         deterministic=deterministic, verbose=0, warn=False)

    def _init_callback(self) -> None:
        with warnings.catch_warnings():  # the train env is a SubprocVecEnv, the eval env a DummyVecEnv: intended
            warnings.filterwarnings("ignore", message="Training and eval env are not of the same type")
            super()._init_callback()

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self._on_step()  # n_calls == 0: evaluate the initial policy (step 0 of the learning curve)

    def _on_training_end(self) -> None:
        if not self.after.records or self.after.records[-1]["timesteps"] != self.num_timesteps:
            self.n_calls = 0  # final evaluation at the end of the budget
            self._on_step()

    @property
    def records(self) -> list[dict]:
        return self.after.records
