"""Image-first extractors: ``simple_cnn`` (Nature DQN CNN) and ``impala_cnn`` (IMPALA residual CNN).

Both encode one image (the first image modality of ``arch.modalities`` present in the space, or a bare
image space) and, when ``game_state`` is listed and present, an MLP over it; the two embeddings are
concatenated and projected to ``features_dim``. Without ``game_state`` the image embedding (already
``features_dim`` wide) is the output, so no layer is left unused.
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
    image_key,
    nature_conv_stack,
    optional_key,
)


class _ImageStateExtractor(BaseFeaturesExtractor):
    arch_name = "image"

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int = 256,
        modalities: Sequence[str] = ("player_frame", "game_state"),
        state_hidden: int = 64,
        **cnn: object,
    ) -> None:
        super().__init__(observation_space, int(features_dim))
        modalities = list(modalities)
        self.image_key = image_key(self.arch_name, observation_space, modalities)
        img_space = (
            observation_space if self.image_key is None else observation_space[self.image_key]
        )
        self.image_input = ImageInput(img_space)
        self.cnn = self._make_cnn(self.image_input.chw[0], **cnn)
        n_flat = conv_out_dim(self.cnn, self.image_input.chw)
        self.image_proj = nn.Sequential(nn.Linear(n_flat, self.features_dim), nn.ReLU())
        state_space = (
            None
            if self.image_key is None
            else optional_key("game_state", observation_space, modalities)
        )
        self.state_key = None if state_space is None else "game_state"
        if state_space is not None:
            self.state = StateEncoder(state_space, state_hidden)
            self.fuse = nn.Sequential(
                nn.Linear(self.features_dim + self.state.out_dim, self.features_dim), nn.ReLU()
            )

    @staticmethod
    def _make_cnn(in_channels: int, **cnn: object) -> nn.Module:
        """The conv stack, from the arch fields that are not the common ones above."""
        raise NotImplementedError

    def forward(self, observations) -> torch.Tensor:
        img = observations if self.image_key is None else observations[self.image_key]
        z = self.image_proj(self.cnn(self.image_input(img)))
        if self.state_key is None:
            return z
        return self.fuse(torch.cat([z, self.state(observations[self.state_key])], dim=1))


class SimpleCNNExtractor(_ImageStateExtractor):
    """Nature-DQN CNN (conv 8/4, 4/2, 3/1 with ``channels``) + game_state MLP."""

    arch_name = "simple_cnn"

    @staticmethod
    def _make_cnn(in_channels: int, channels: Sequence[int] = (32, 64, 64)) -> nn.Module:
        return nature_conv_stack(in_channels, [int(c) for c in channels])


class ResidualBlock(nn.Module):
    """IMPALA residual block: x + conv(relu(conv(relu(x))))."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(torch.relu(self.conv0(torch.relu(x))))


class ImpalaStage(nn.Module):
    """conv 3x3 -> max-pool 3x3 stride 2 -> ``blocks`` residual blocks."""

    def __init__(self, in_channels: int, channels: int, blocks: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.blocks = nn.Sequential(*(ResidualBlock(channels) for _ in range(blocks)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.pool(self.conv(x)))


class ImpalaCNNExtractor(_ImageStateExtractor):
    """IMPALA CNN (Espeholt et al. 2018): one stage per entry of ``channels``, then ReLU + flatten."""

    arch_name = "impala_cnn"

    @staticmethod
    def _make_cnn(
        in_channels: int, channels: Sequence[int] = (16, 32, 32), blocks_per_stage: int = 2
    ) -> nn.Module:
        if not channels:
            raise ValueError("impala_cnn: channels must not be empty")
        stages: list[nn.Module] = []
        c_in = in_channels
        for c in channels:
            stages.append(ImpalaStage(c_in, int(c), int(blocks_per_stage)))
            c_in = int(c)
        return nn.Sequential(*stages, nn.ReLU(), nn.Flatten())
