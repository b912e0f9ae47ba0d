"""``hierarchical``: a multimodal extractor that fuses its inputs in two levels.

Encoders (one per modality, each only when listed in ``arch.modalities`` and present in the space):

* local view  ``player_frame`` (required): Nature-style conv stack (``local_channels``) -> Linear -> d
* global view ``global_view``: conv stack (``global_channels``) -> Linear -> d
* ``game_state``: two-layer MLP (``state_hidden``) -> Linear -> d
* ``entities``: a permutation-invariant set encoder: one shared per-row MLP (``entity_hidden``), masked
  mean and max pooling over the rows whose column 0 (valid) is > 0.5, -> Linear -> d

with d = ``fusion_hidden``. Level 1 fuses the spatial pair with a gate computed from both views
(``g * local + (1 - g) * global``, element-wise); level 2 attends over the tokens
[spatial, state, entities] with a learned query (multi-head attention pooling), adds the spatial token
as a residual, normalises, and projects to ``features_dim``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from .common import (
    ImageInput,
    StateEncoder,
    conv_out_dim,
    masked_mean_max,
    mlp,
    nature_conv_stack,
    optional_key,
    require_key,
)


class ViewEncoder(nn.Module):
    """One image view: scale/layout, conv stack, Linear to ``out_dim`` + ReLU."""

    def __init__(self, space: spaces.Box, channels: Sequence[int], out_dim: int) -> None:
        super().__init__()
        self.input = ImageInput(space)
        self.cnn = nature_conv_stack(self.input.chw[0], channels)
        self.proj = nn.Sequential(
            nn.Linear(conv_out_dim(self.cnn, self.input.chw), out_dim), nn.ReLU()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.cnn(self.input(x)))


class EntitySetEncoder(nn.Module):
    """Shared per-row MLP, masked mean + max pooling (column 0 is the valid mask), Linear to ``out_dim``."""

    def __init__(self, space: spaces.Box, hidden: int, out_dim: int) -> None:
        super().__init__()
        if len(space.shape) != 2:
            raise ValueError(
                f"entities must be a 2-D Box (rows, features), got shape {space.shape}"
            )
        self.row_mlp = mlp(int(space.shape[1]), [hidden, hidden])
        self.proj = nn.Sequential(nn.Linear(2 * hidden, out_dim), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        mask = x[..., 0] > 0.5
        return self.proj(masked_mean_max(self.row_mlp(x), mask))


class GatedPair(nn.Module):
    """g = sigmoid(W [a; b]); out = LayerNorm(g * a + (1 - g) * b)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        g = torch.sigmoid(self.gate(torch.cat([a, b], dim=1)))
        return self.norm(g * a + (1.0 - g) * b)


class AttentionPool(nn.Module):
    """Multi-head attention of a learned query over a few modality tokens (with a learned type
    embedding per token slot), residual to the first token, LayerNorm."""

    def __init__(self, dim: int, n_tokens: int, heads: int) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, dim) * dim**-0.5)
        self.slot = nn.Parameter(torch.randn(1, n_tokens, dim) * 0.02)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        kv = tokens + self.slot
        q = self.query.expand(tokens.shape[0], -1, -1)
        out, _ = self.attn(q, kv, kv, need_weights=False)
        return self.norm(tokens[:, 0] + out[:, 0])


class HierarchicalExtractor(BaseFeaturesExtractor):
    arch_name = "hierarchical"

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int = 256,
        modalities: Sequence[str] = ("player_frame", "global_view", "game_state", "entities"),
        local_channels: Sequence[int] = (32, 64),
        global_channels: Sequence[int] = (16, 32),
        state_hidden: int = 64,
        entity_hidden: int = 64,
        fusion_hidden: int = 256,
        fusion_heads: int = 4,
    ) -> None:
        super().__init__(observation_space, int(features_dim))
        modalities = list(modalities)
        d = int(fusion_hidden)
        if d % int(fusion_heads):
            raise ValueError(
                f"hierarchical: fusion_hidden={d} must be divisible by fusion_heads={fusion_heads}"
            )
        local_space = require_key(self.arch_name, "player_frame", observation_space, modalities)
        self.local = ViewEncoder(local_space, local_channels, d)
        global_space = optional_key("global_view", observation_space, modalities)
        self.global_view = (
            None if global_space is None else ViewEncoder(global_space, global_channels, d)
        )
        self.spatial_fusion = None if global_space is None else GatedPair(d)

        state_space = optional_key("game_state", observation_space, modalities)
        self.state = None
        if state_space is not None:
            enc = StateEncoder(state_space, state_hidden)
            self.state = nn.Sequential(enc, nn.Linear(enc.out_dim, d), nn.ReLU())
        ent_space = optional_key("entities", observation_space, modalities)
        self.entities = (
            None if ent_space is None else EntitySetEncoder(ent_space, int(entity_hidden), d)
        )

        n_tokens = 1 + (self.state is not None) + (self.entities is not None)
        self.token_fusion = AttentionPool(d, n_tokens, int(fusion_heads)) if n_tokens > 1 else None
        self.out = nn.Sequential(nn.Linear(d, self.features_dim), nn.ReLU())
        self.used_keys = [k for k, m in (
            ("player_frame", self.local),
            ("global_view", self.global_view),
            ("game_state", self.state),
            ("entities", self.entities),
        ) if m is not None]  # fmt: skip

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        spatial = self.local(observations["player_frame"])
        if self.global_view is not None:
            spatial = self.spatial_fusion(spatial, self.global_view(observations["global_view"]))
        tokens = [spatial]
        if self.state is not None:
            tokens.append(self.state(observations["game_state"]))
        if self.entities is not None:
            tokens.append(self.entities(observations["entities"]))
        fused = (
            spatial if self.token_fusion is None else self.token_fusion(torch.stack(tokens, dim=1))
        )
        return self.out(fused)
