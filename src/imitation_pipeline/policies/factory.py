"""The policy factory: arch config -> SB3 ``ActorCriticPolicy`` (what BC trains and PPO fine-tunes).

``build_policy`` and ``policy_kwargs_for`` share one translation of the arch config, so
``PPO(policy_class_for(space), env, policy_kwargs=policy_kwargs_for(arch))`` builds exactly the
network ``build_policy(arch, space, action_space)`` builds (same state_dict keys and shapes): a BC
checkpoint loads into PPO strictly.

Images are scaled by the extractors, so the policy is always built with ``normalize_images=False``
(SB3 would otherwise divide by 255 a second time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gymnasium import spaces
from stable_baselines3.common.policies import (
    ActorCriticCnnPolicy,
    ActorCriticPolicy,
    MultiInputActorCriticPolicy,
)
from torch import nn

from .cnn import ImpalaCNNExtractor, SimpleCNNExtractor
from .hgt import HGTExtractor
from .hierarchical import HierarchicalExtractor

EXTRACTORS: dict[str, type] = {
    "simple_cnn": SimpleCNNExtractor,
    "impala_cnn": ImpalaCNNExtractor,
    "hierarchical": HierarchicalExtractor,
    "hgt": HGTExtractor,
}
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
# Fields of every arch config that configure the policy, not the extractor.
POLICY_FIELDS = ("name", "net_arch_pi", "net_arch_vf", "activation")


def extractor_class(name: str) -> type:
    """The features extractor class registered under an arch name."""
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise ValueError(f"unknown arch {name!r}; known: {', '.join(sorted(EXTRACTORS))}") from None


def arch_to_dict(arch_cfg: Any) -> dict[str, Any]:
    """A plain, resolved dict from an OmegaConf DictConfig, a dataclass or a mapping."""
    import dataclasses

    from omegaconf import DictConfig, OmegaConf

    if isinstance(arch_cfg, DictConfig):
        return dict(OmegaConf.to_container(arch_cfg, resolve=True))
    if dataclasses.is_dataclass(arch_cfg) and not isinstance(arch_cfg, type):
        return dataclasses.asdict(arch_cfg)
    if isinstance(arch_cfg, Mapping):
        return {str(k): _plain(v) for k, v in arch_cfg.items()}
    raise TypeError(
        f"arch config must be a DictConfig, dataclass or mapping, got {type(arch_cfg).__name__}"
    )


def _plain(value: Any) -> Any:
    """Lists for tuples and OmegaConf lists (picklable, JSON-able extractor kwargs)."""
    from omegaconf import Container, OmegaConf

    if isinstance(value, Container):
        value = OmegaConf.to_container(value, resolve=True)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def policy_kwargs_for(
    arch_cfg: Any, optimizer_kwargs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for an SB3 ``ActorCriticPolicy`` (and ``PPO(policy_kwargs=...)``)."""
    arch = arch_to_dict(arch_cfg)
    if "name" not in arch:
        raise ValueError("arch config has no 'name'")
    cls = extractor_class(arch["name"])
    activation = str(arch.get("activation", "relu")).lower()
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    extractor_kwargs = {k: _plain(v) for k, v in arch.items() if k not in POLICY_FIELDS}
    kwargs: dict[str, Any] = {
        "net_arch": {
            "pi": [int(w) for w in arch.get("net_arch_pi", [128, 128])],
            "vf": [int(w) for w in arch.get("net_arch_vf", [128, 128])],
        },
        "activation_fn": ACTIVATIONS[activation],
        "features_extractor_class": cls,
        "features_extractor_kwargs": extractor_kwargs,
        "share_features_extractor": True,
        "normalize_images": False,
    }
    if optimizer_kwargs is not None:
        kwargs["optimizer_kwargs"] = dict(optimizer_kwargs)
    return kwargs


def policy_class_for(observation_space: spaces.Space) -> type[ActorCriticPolicy]:
    """SB3's policy class for a space: MultiInput for Dict, Cnn for images, plain otherwise."""
    if isinstance(observation_space, spaces.Dict):
        return MultiInputActorCriticPolicy
    if isinstance(observation_space, spaces.Box) and len(observation_space.shape) == 3:
        return ActorCriticCnnPolicy
    return ActorCriticPolicy


def _constant_lr(_: float) -> float:
    return 3e-4


def build_policy(
    arch_cfg: Any,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    lr_schedule: Callable[[float], float] | float = _constant_lr,
    optimizer_kwargs: dict[str, Any] | None = None,
) -> ActorCriticPolicy:
    """Build the SB3 actor-critic policy for an arch config (DictConfig, dataclass or dict)."""
    if not callable(lr_schedule):
        value = float(lr_schedule)

        def lr_schedule(_: float, _v: float = value) -> float:
            return _v

    cls = policy_class_for(observation_space)
    return cls(
        observation_space,
        action_space,
        lr_schedule,
        **policy_kwargs_for(arch_cfg, optimizer_kwargs),
    )


def count_parameters(policy: ActorCriticPolicy) -> dict[str, int]:
    """Trainable parameter counts: extractor, pi MLP, vf MLP, action head, value head, total."""

    def n(module: nn.Module | None) -> int:
        return 0 if module is None else sum(p.numel() for p in module.parameters())

    counts = {
        "extractor": n(policy.features_extractor),
        "pi": n(policy.mlp_extractor.policy_net),
        "vf": n(policy.mlp_extractor.value_net),
        "action_head": n(policy.action_net)
        + (policy.log_std.numel() if hasattr(policy, "log_std") else 0),
        "value_head": n(policy.value_net),
    }
    if not policy.share_features_extractor:
        counts["extractor"] += n(policy.vf_features_extractor)
    counts["total"] = sum(p.numel() for p in policy.parameters())
    return counts
