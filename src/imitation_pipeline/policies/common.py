"""Building blocks shared by the features extractors: observation-key resolution, image handling,
conv stacks, MLPs and masked pooling.

Conventions for every extractor in this package:

* It receives what SB3's ``preprocess_obs`` makes of the observation with ``normalize_images=False``
  (the factory always sets that): every Box becomes float32 with its raw values. Images therefore
  arrive as 0..255 and the extractor divides by 255 itself, so the same module gives the same result
  under BC (Lightning) and PPO, whatever dtype the caller used.
* Images may be channels-first ``(C, H, W)`` or channels-last ``(H, W, C)``; the layout is read from
  the space (the smallest dimension is the channel axis, as SB3 decides) and channels-last input is
  permuted in ``forward``. The conv weights are the same either way, so a policy built on a
  channels-last space loads into one built on the transposed space that SB3's ``VecTransposeImage``
  gives PPO.
* All layers are created in ``__init__``; output sizes are measured with one dummy forward there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

IMAGE_SCALE = 1.0 / 255.0


class ObservationKeyError(ValueError):
    """A required observation key is missing from the observation space (or from arch.modalities)."""


def space_keys(observation_space: spaces.Space) -> dict[str, spaces.Space]:
    """The sub-spaces by key; a bare (non-Dict) space is exposed under the key ``None``."""
    if isinstance(observation_space, spaces.Dict):
        return dict(observation_space.spaces)
    return {None: observation_space}


def require_key(
    arch: str,
    key: str,
    observation_space: spaces.Space,
    modalities: Sequence[str],
    modality: str | None = None,
) -> spaces.Box:
    """Return the Box sub-space for ``key``; raise a clear error when it is not usable."""
    modality = modality or key
    if modality not in modalities:
        raise ObservationKeyError(
            f"{arch}: needs the {modality!r} modality, but arch.modalities is {list(modalities)}"
        )
    subspaces = space_keys(observation_space)
    if key not in subspaces:
        raise ObservationKeyError(
            f"{arch}: observation space has no key {key!r} (needed for modality {modality!r}); "
            f"it has keys {[k for k in subspaces if k is not None]}"
        )
    space = subspaces[key]
    if not isinstance(space, spaces.Box):
        raise ValueError(
            f"{arch}: observation key {key!r} must be a Box space, got {type(space).__name__}"
        )
    return space


def optional_key(
    key: str, observation_space: spaces.Space, modalities: Sequence[str]
) -> spaces.Box | None:
    """The Box sub-space for ``key`` when it is listed in ``modalities`` and present, else None."""
    if key not in modalities:
        return None
    space = space_keys(observation_space).get(key)
    return space if isinstance(space, spaces.Box) else None


def image_key(arch: str, observation_space: spaces.Space, modalities: Sequence[str]) -> str | None:
    """The key of the image the image-only archs use: a bare image space (key None), or the first
    modality in ``modalities`` that is a 3-D Box in the space."""
    subspaces = space_keys(observation_space)
    if None in subspaces:
        if _is_image(subspaces[None]):
            return None
        raise ValueError(
            f"{arch}: a non-Dict observation space must be a 3-D image Box, got {subspaces[None]}"
        )
    for m in modalities:
        if m in subspaces and _is_image(subspaces[m]):
            return m
    listed = [m for m in modalities if m not in ("game_state", "entities", "graph")]
    missing = next(
        (m for m in listed if m not in subspaces), listed[0] if listed else "player_frame"
    )
    raise ObservationKeyError(
        f"{arch}: needs an image observation from arch.modalities {list(modalities)}; "
        f"missing key {missing!r} (observation space has keys {list(subspaces)})"
    )


def _is_image(space: spaces.Space) -> bool:
    return isinstance(space, spaces.Box) and len(space.shape) == 3


class ImageInput(nn.Module):
    """Reads one image observation: layout from the space, scales 0..255 to 0..1, channels-first out."""

    def __init__(self, space: spaces.Box) -> None:
        super().__init__()
        if len(space.shape) != 3:
            raise ValueError(
                f"image observation must be 3-D (C,H,W) or (H,W,C), got shape {space.shape}"
            )
        shape = tuple(int(s) for s in space.shape)
        self.channels_last = int(np.argmin(shape)) != 0
        self.chw = (shape[2], shape[0], shape[1]) if self.channels_last else shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if self.channels_last:
            x = x.permute(0, 3, 1, 2)
        return x * IMAGE_SCALE


def conv_out_dim(net: nn.Module, chw: Sequence[int]) -> int:
    """Flattened output size of ``net`` for one (C, H, W) input (one dummy forward, no grad)."""
    with torch.no_grad():
        return int(net(torch.zeros(1, *chw)).flatten(1).shape[1])


NATURE_SCHEDULE = (
    (8, 4),
    (4, 2),
    (3, 1),
)  # (kernel, stride) of the first layers; later ones use 3/1


def nature_conv_stack(in_channels: int, channels: Sequence[int]) -> nn.Sequential:
    """Nature-DQN style stack: conv 8/4, 4/2, 3/1 (then 3/1 for extra entries), ReLU after each."""
    if not channels:
        raise ValueError("a conv stack needs at least one channel count")
    layers: list[nn.Module] = []
    c_in = in_channels
    for i, c in enumerate(channels):
        k, s = NATURE_SCHEDULE[i] if i < len(NATURE_SCHEDULE) else (3, 1)
        layers += [nn.Conv2d(c_in, int(c), kernel_size=k, stride=s), nn.ReLU()]
        c_in = int(c)
    layers.append(nn.Flatten())
    return nn.Sequential(*layers)


def mlp(in_dim: int, hidden: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear + activation for each width in ``hidden``."""
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers += [nn.Linear(d, int(h)), activation()]
        d = int(h)
    return nn.Sequential(*layers)


class StateEncoder(nn.Module):
    """Two-layer MLP over the flat ``game_state`` vector."""

    def __init__(self, space: spaces.Box, hidden: int) -> None:
        super().__init__()
        if len(space.shape) != 1:
            raise ValueError(f"game_state must be a 1-D Box, got shape {space.shape}")
        self.out_dim = int(hidden)
        self.net = mlp(int(space.shape[0]), [hidden, hidden])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float())


def masked_mean_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean and max over dim 1 of ``x`` (B, N, D) where ``mask`` (B, N) is true; zeros for empty sets."""
    m = mask.unsqueeze(-1).to(x.dtype)
    count = m.sum(1)
    mean = (x * m).sum(1) / count.clamp_min(1.0)
    neg = torch.finfo(x.dtype).min
    mx = x.masked_fill(~mask.unsqueeze(-1), neg).amax(1)
    mx = torch.where(count > 0, mx, torch.zeros_like(mx))
    return torch.cat([mean, mx], dim=1)
