"""Policies: the four features extractors and the SB3 policy factory.

Importing this package imports torch and stable-baselines3; nothing outside the stages that train or
evaluate imports it, so ``python -m imitation_pipeline --help`` stays fast.

API:
    build_policy(arch_cfg, observation_space, action_space, lr_schedule=..., optimizer_kwargs=None)
    policy_kwargs_for(arch_cfg, optimizer_kwargs=None)  -> PPO(policy_kwargs=...)
    policy_class_for(observation_space)                  -> SB3 policy class (MultiInput / Cnn / Mlp)
    count_parameters(policy)                             -> {extractor, pi, vf, action_head, value_head, total}
    extractor_class(name), EXTRACTORS                    -> the registry
    example_batch(observation_space, batch_size, seed)   -> a plausible observation batch (tests, benchmarks)
"""

from .common import ObservationKeyError
from .factory import (
    ACTIVATIONS,
    EXTRACTORS,
    arch_to_dict,
    build_policy,
    count_parameters,
    extractor_class,
    policy_class_for,
    policy_kwargs_for,
)
from .sample import example_batch

__all__ = [
    "ACTIVATIONS",
    "EXTRACTORS",
    "ObservationKeyError",
    "arch_to_dict",
    "build_policy",
    "count_parameters",
    "example_batch",
    "extractor_class",
    "policy_class_for",
    "policy_kwargs_for",
]
