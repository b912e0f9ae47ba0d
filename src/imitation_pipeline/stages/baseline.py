"""``stage=baseline``: the same PPO as ``stage=finetune`` from random initialisation (same budget,
seeds, envs and code path: :func:`imitation_pipeline.rl.train.train_ppo`)."""

from __future__ import annotations

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.rl.train import train_ppo

    return train_ppo(cfg, "baseline")
