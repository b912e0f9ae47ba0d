"""``stage=finetune``: SB3 PPO initialised from a BC checkpoint (see :mod:`imitation_pipeline.rl.train`).

The whole BC policy is loaded strictly (extractor, policy MLP, action head); only the value head is
fresh (``finetune.fresh_value_head``). Options: ``finetune.learning_rate``, ``value_warmup_steps``,
``freeze_extractor_steps``, ``bc_kl_coef`` / ``bc_kl_anneal_steps`` (KL to the frozen BC policy).
"""

from __future__ import annotations

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.rl.train import train_ppo

    return train_ppo(cfg, "finetune")
