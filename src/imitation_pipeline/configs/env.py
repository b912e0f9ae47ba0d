"""Environment schemas (the `env` group)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RewardConfig:
    win: float = 1.0
    death: float = -0.5
    switch: float = 0.1
    time_penalty: float = -0.0001  # per simulator frame


@dataclass
class NppEnvConfig:
    name: str = "npp"
    id: str = "NPP-v0"
    frame_skip: int = 1
    max_frames: int = 20000
    lr_rule: str = "cancel"
    reward: RewardConfig = field(default_factory=RewardConfig)
    observation: list[str] = field(default_factory=lambda: ["player_frame", "game_state"])


ENV_SCHEMAS = {"npp": NppEnvConfig}
