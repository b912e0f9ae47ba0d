"""Constants and a dummy env shared by the policy tests (imported as a plain module)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
from gymnasium import spaces

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
ARCH_NAMES = sorted(p.stem for p in (CONF_DIR / "arch").glob("*.yaml"))
IMAGE_ONLY_ARCHS = ("simple_cnn", "impala_cnn")


class DummyEnv(gym.Env):
    """Random observations from the given space, 6 actions, never terminates."""

    def __init__(self, observation_space: spaces.Space) -> None:
        self.observation_space = observation_space
        self.action_space = spaces.Discrete(6)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.observation_space.seed(seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}
