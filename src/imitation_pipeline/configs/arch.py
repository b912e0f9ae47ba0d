"""Architecture schemas (the `arch` group). Every arch builds an SB3 features extractor; the policy
and value MLPs on top are SB3's ActorCriticPolicy, sized by `net_arch_pi` / `net_arch_vf`."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class ArchConfig:
    name: str = MISSING
    features_dim: int = 256
    net_arch_pi: list[int] = field(default_factory=lambda: [128, 128])
    net_arch_vf: list[int] = field(default_factory=lambda: [128, 128])
    activation: str = "relu"  # relu | tanh | gelu
    modalities: list[str] = field(default_factory=lambda: ["player_frame", "game_state"])


@dataclass
class SimpleCNNConfig(ArchConfig):
    channels: list[int] = field(
        default_factory=lambda: [32, 64, 64]
    )  # conv 8/4, 4/2, 3/1 (then 3/1)
    # game_state MLP width (used when game_state is in modalities and the space). 256, not the 64 of
    # the other archs: measured on the built-in demos, BC test macro 0.587 -> 0.624 over 3 seeds (README,
    # "BC on the built-in demos: results"); the route, mine and physics features enter through this MLP.
    state_hidden: int = 256


@dataclass
class ImpalaCNNConfig(ArchConfig):
    channels: list[int] = field(default_factory=lambda: [16, 32, 32])
    blocks_per_stage: int = 2
    state_hidden: int = 64


@dataclass
class HierarchicalConfig(ArchConfig):
    local_channels: list[int] = field(default_factory=lambda: [32, 64])
    global_channels: list[int] = field(default_factory=lambda: [16, 32])
    state_hidden: int = 64
    entity_hidden: int = 64
    fusion_hidden: int = 256  # width of every modality token and of the fusion
    fusion_heads: int = 4  # heads of the attention fusion over [spatial, state, entities]


@dataclass
class HGTConfig(ArchConfig):
    hidden: int = 64
    heads: int = 4
    layers: int = 2
    state_hidden: int = 64
    # The observation already lists both directions of every edge; True adds each reverse again
    # under its own relation (type + R), for graphs whose edges are one-way.
    add_reverse_edges: bool = False
    ninja_type: int = 1  # node type whose embedding is read out next to the mean (NODE_TYPES[1])


ARCH_SCHEMAS = {
    "simple_cnn": SimpleCNNConfig,
    "impala_cnn": ImpalaCNNConfig,
    "hierarchical": HierarchicalConfig,
    "hgt": HGTConfig,
}
