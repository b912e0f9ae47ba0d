"""PPO built with ``policy_kwargs_for`` has exactly the network ``build_policy`` builds, so a BC
state dict loads into it strictly (the whole policy, not just the extractor)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from app_support import ARCH_NAMES
from gymnasium import spaces
from npp_sim.observation_spec import observation_space
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger

from imitation_pipeline.policies import (
    build_policy,
    example_batch,
    policy_class_for,
    policy_kwargs_for,
)


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


def _ppo(arch_cfg, space) -> PPO:
    return PPO(
        policy_class_for(space),
        DummyEnv(space),
        n_steps=4,
        batch_size=4,
        n_epochs=1,
        policy_kwargs=policy_kwargs_for(arch_cfg),
        device="cpu",
        seed=0,
    )


def _shapes(module) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name", ARCH_NAMES)
def test_ppo_builds_the_identical_network(arch_cfgs, name: str) -> None:
    space = observation_space(list(arch_cfgs[name].modalities))
    torch.manual_seed(0)
    bc = build_policy(arch_cfgs[name], space, spaces.Discrete(6))
    ppo = _ppo(arch_cfgs[name], space)
    assert type(ppo.policy) is type(bc)
    assert _shapes(ppo.policy) == _shapes(bc)
    ppo.policy.load_state_dict(bc.state_dict(), strict=True)
    obs = example_batch(space, 2, seed=0)
    with torch.no_grad():
        torch.testing.assert_close(
            ppo.policy.get_distribution(obs).distribution.logits,
            bc.get_distribution(obs).distribution.logits,
        )


def test_bc_on_channels_last_frames_loads_into_ppo_and_learns(arch_cfgs) -> None:
    """Pokemon-like (84, 84, 3) frames: PPO transposes them (VecTransposeImage); the BC policy built on
    the raw space has the same weights and gives the same logits; a short learn() runs."""
    hwc = spaces.Dict({"player_frame": spaces.Box(0, 255, (84, 84, 3), np.uint8)})
    bc = build_policy(arch_cfgs["simple_cnn"], hwc, spaces.Discrete(6))
    ppo = _ppo(arch_cfgs["simple_cnn"], hwc)
    assert ppo.policy.observation_space["player_frame"].shape == (3, 84, 84)
    ppo.policy.load_state_dict(bc.state_dict(), strict=True)
    frames = example_batch(hwc, 2, seed=0)
    with torch.no_grad():
        a = bc.get_distribution(frames).distribution.logits
        chw = {"player_frame": frames["player_frame"].permute(0, 3, 1, 2)}
        torch.testing.assert_close(ppo.policy.get_distribution(chw).distribution.logits, a)
    ppo.set_logger(Logger(folder=None, output_formats=[]))  # no /tmp/SB3-<date> folder
    ppo.learn(total_timesteps=8)
    assert all(torch.isfinite(p).all() for p in ppo.policy.parameters())
