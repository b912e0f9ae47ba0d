"""BC -> PPO: the whole policy transfers strictly for every architecture; mismatches fail clearly."""

from __future__ import annotations

import re

import pytest
import torch
from app_support import ARCH_NAMES
from gymnasium import spaces
from npp_sim.observation_spec import observation_space
from rl_support import arch_config, write_bc_checkpoint
from stable_baselines3.common.vec_env import DummyVecEnv

from imitation_pipeline.errors import CheckpointError
from imitation_pipeline.policies import example_batch
from imitation_pipeline.rl.ppo import build_ppo
from imitation_pipeline.rl.transfer import is_value_key, load_bc_into, transfer_policy


class _SpaceEnv:
    """Just the spaces of the real env (PPO construction needs no stepping here)."""

    def __init__(self, obs_space):
        import gymnasium as gym

        class E(gym.Env):
            observation_space, action_space = obs_space, spaces.Discrete(6)

            def reset(self, *, seed=None, options=None):
                return self.observation_space.sample(), {}

            def step(self, action):
                return self.observation_space.sample(), 0.0, True, False, {}

        self.make = E


class _PPOCfg:
    n_steps, batch_size, n_epochs, gamma, gae_lambda, clip_range = 16, 16, 1, 0.99, 0.95, 0.2
    ent_coef, vf_coef, max_grad_norm, target_kl = 0.0, 0.5, 0.5, None


def make_ppo(arch: dict, seed: int = 123):
    env = DummyVecEnv([_SpaceEnv(observation_space(arch["modalities"])).make])
    return build_ppo(_PPOCfg, arch, env, learning_rate=1e-4, seed=seed)


@pytest.mark.parametrize("name", ARCH_NAMES)
def test_whole_bc_policy_loads_strictly_into_ppo(name, tmp_path, capsys) -> None:
    arch = arch_config(name)
    bc_policy = write_bc_checkpoint(tmp_path / "bc.pt", name, seed=1)
    model = make_ppo(arch)
    fresh_before = {k: v.clone() for k, v in model.policy.state_dict().items() if is_value_key(k)}
    report, ckpt = load_bc_into(model.policy, tmp_path / "bc.pt", arch=arch, fresh_value_head=True)

    assert report.ok and not report.unexpected and not report.missing and not report.mismatched
    sd, bc_sd = model.policy.state_dict(), bc_policy.state_dict()
    non_value = [k for k in sd if not is_value_key(k)]
    assert sorted(report.loaded) == sorted(non_value)
    assert sorted(report.fresh) == sorted(fresh_before)
    assert {k.split(".")[0] for k in report.fresh} <= {"value_net", "mlp_extractor"}
    assert any(k.startswith("features_extractor.") for k in report.loaded)
    assert any(k.startswith("mlp_extractor.policy_net.") for k in report.loaded)
    assert any(k.startswith("action_net.") for k in report.loaded)
    for k in non_value:
        assert torch.equal(sd[k], bc_sd[k]), k
    for k, v in fresh_before.items():  # value head: PPO's own initialisation, untouched
        assert torch.equal(sd[k], v), k

    obs = example_batch(model.policy.observation_space, 4, seed=0)
    with torch.no_grad():
        got = model.policy.get_distribution(model.policy.obs_to_tensor(obs)[0]).distribution.logits
        want = bc_policy.get_distribution(bc_policy.obs_to_tensor(obs)[0]).distribution.logits
    assert torch.equal(got, want)

    text = report.format()
    for label, n in (("loaded", len(non_value)), ("fresh", len(fresh_before)), ("unexpected", 0), ("missing", 0),
                     ("mismatched", 0)):
        assert re.search(rf"^  {label}\s+{n}\b", text, re.M), text


def test_value_head_transfers_too_when_not_fresh(tmp_path) -> None:
    arch = arch_config("simple_cnn")
    bc_policy = write_bc_checkpoint(tmp_path / "bc.pt", "simple_cnn", seed=2)
    model = make_ppo(arch)
    report, _ = load_bc_into(model.policy, tmp_path / "bc.pt", arch=arch, fresh_value_head=False)
    assert report.fresh == [] and len(report.loaded) == len(model.policy.state_dict())
    for k, v in bc_policy.state_dict().items():
        assert torch.equal(model.policy.state_dict()[k], v)


def test_other_arch_fails_with_one_checkpoint_error(tmp_path) -> None:
    write_bc_checkpoint(tmp_path / "bc.pt", "impala_cnn")
    model = make_ppo(arch_config("simple_cnn"))
    with pytest.raises(CheckpointError) as err:
        load_bc_into(model.policy, tmp_path / "bc.pt", arch=arch_config("simple_cnn"))
    msg = str(err.value)
    assert "bc.pt" in msg and "arch.name" in msg and "\n" not in msg


def test_other_observation_space_fails_with_one_checkpoint_error(tmp_path) -> None:
    arch = arch_config("simple_cnn")
    other = {**arch, "modalities": ["player_frame"]}
    write_bc_checkpoint(tmp_path / "bc.pt", "simple_cnn", arch=other)
    model = make_ppo(arch)
    with pytest.raises(CheckpointError) as err:
        load_bc_into(model.policy, tmp_path / "bc.pt", arch=arch)
    assert "observation_space" in str(err.value) and "\n" not in str(err.value)


def test_extractor_only_state_dict_is_refused_naming_missing_keys() -> None:
    """The npp-rl failure (only the extractor transferred) cannot pass silently."""
    arch = arch_config("simple_cnn")
    model = make_ppo(arch)
    extractor_only = {k: v for k, v in model.policy.state_dict().items() if k.startswith("features_extractor.")}
    with pytest.raises(CheckpointError, match=r"missing \(.*action_net"):
        transfer_policy(model.policy, extractor_only, source="extractor-only")


def test_shape_mismatch_and_unexpected_keys_are_named() -> None:
    arch = arch_config("simple_cnn")
    model = make_ppo(arch)
    sd = dict(model.policy.state_dict())
    sd["action_net.weight"] = torch.zeros(7, sd["action_net.weight"].shape[1])
    sd["extra_head.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError) as err:
        transfer_policy(model.policy, sd, source="bad")
    assert "1 unexpected (extra_head.weight)" in str(err.value) and "mismatched (action_net.weight" in str(err.value)
