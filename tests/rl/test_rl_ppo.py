"""RegularisedPPO's update and the training phases, on a null env with the real observation space."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from npp_sim.observation_spec import observation_space
from rl_support import arch_config
from stable_baselines3.common.vec_env import DummyVecEnv

from imitation_pipeline.rl.callbacks import TrainingPhases
from imitation_pipeline.rl.ppo import build_ppo
from imitation_pipeline.rl.transfer import is_value_key


class _Cfg:
    n_steps, batch_size, n_epochs, gamma, gae_lambda, clip_range = 32, 16, 2, 0.99, 0.95, 0.2
    ent_coef, vf_coef, max_grad_norm, target_kl = 0.01, 0.5, 0.5, None


def _env():
    space = observation_space(["player_frame", "game_state"])

    class Null(gym.Env):
        observation_space, action_space = space, spaces.Discrete(6)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.t = 0
            return self.observation_space.sample(), {}

        def step(self, action):
            self.t += 1
            return self.observation_space.sample(), float(action == 2), self.t >= 10, False, {}

    return Null()


def _model(seed=0):
    arch = {**arch_config("simple_cnn"), "channels": [4, 8, 8], "features_dim": 32, "net_arch_pi": [16],
            "net_arch_vf": [16]}
    return build_ppo(_Cfg, arch, DummyVecEnv([_env]), learning_rate=3e-4, seed=seed)


def test_bc_kl_update_with_zero_weight_equals_sb3_update() -> None:
    """The written-out update (used while the KL weight is > 0) is SB3's update plus the KL term."""
    torch.manual_seed(0)
    model = _model()
    model.learn(32)  # fills the rollout buffer (and runs one SB3 update)
    other = _model()
    other.policy.load_state_dict(model.policy.state_dict())
    for m in (model, other):  # SGD: Adam would amplify float rounding of near-zero gradients
        m.policy.optimizer = torch.optim.SGD(m.policy.parameters(), lr=1e-3)
    other.rollout_buffer, other.num_timesteps = model.rollout_buffer, model.num_timesteps
    other._current_progress_remaining = model._current_progress_remaining
    other.set_logger(model.logger)
    other.set_bc_regulariser(model.policy, 0.0, 1)  # KL computed against a frozen copy, weight 0
    np_state = np.random.get_state()
    model.train()  # SB3's own (no regulariser set)
    np.random.set_state(np_state)  # the same minibatch order
    other._train_with_bc_kl(0.0)
    for (k, a), b in zip(model.policy.state_dict().items(), other.policy.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), k


def _kl_to(bc, policy, obs) -> float:
    """Mean KL(pi_BC || pi) over ``obs`` (the regulariser's direction)."""
    with torch.no_grad():
        bc_logp = torch.log_softmax(bc.get_distribution(obs).distribution.logits, -1)
        logp = torch.log_softmax(policy.get_distribution(obs).distribution.logits, -1)
    return float((bc_logp.exp() * (bc_logp - logp)).sum(-1).mean())


def test_bc_kl_pulls_towards_the_bc_policy() -> None:
    """Same seed, same start: a few updates with a large KL weight end nearer the BC policy than weight 0."""
    arch = {**arch_config("simple_cnn"), "channels": [4, 8, 8], "features_dim": 32, "net_arch_pi": [16],
            "net_arch_vf": [16]}
    bc = _model(seed=0).policy
    with torch.no_grad():  # a BC policy that clearly prefers action 0 (the env rewards action 2)
        bc.action_net.bias.copy_(torch.tensor([4.0, 0.0, 0.0, 0.0, 0.0, 0.0]))
    space = observation_space(["player_frame", "game_state"])
    space.seed(0)
    obs_np = {k: np.stack([space[k].sample() for _ in range(64)]) for k in space.spaces}
    kls = {}
    for weight in (0.0, 10.0):
        torch.manual_seed(0)
        model = build_ppo(_Cfg, arch, DummyVecEnv([_env]), learning_rate=1e-2, seed=0)
        model.set_bc_regulariser(bc, weight, 0)  # constant weight; 0: SB3's own update
        obs, _ = model.policy.obs_to_tensor(obs_np)
        start = _kl_to(model.bc_policy, model.policy, obs)
        model.learn(96)
        kls[weight] = (start, _kl_to(model.bc_policy, model.policy, obs))
    assert kls[0.0][0] == pytest.approx(kls[10.0][0])  # the same initial policy
    assert kls[10.0][1] < 0.5 * kls[10.0][0], kls  # the KL term pulls the policy to the BC policy ...
    assert kls[10.0][1] < 0.5 * kls[0.0][1], kls  # ... which PPO alone does not


def test_bc_kl_weight_anneals() -> None:
    model = _model()
    bc = copy.deepcopy(model.policy)
    model.set_bc_regulariser(bc, 1.0, 1000)
    assert model.bc_kl_weight() == 1.0
    model.num_timesteps = 500
    assert model.bc_kl_weight() == pytest.approx(0.5)
    model.num_timesteps = 2000
    assert model.bc_kl_weight() == 0.0
    assert all(not p.requires_grad for p in model.bc_policy.parameters())
    model.set_bc_regulariser(bc, 0.7, 0)  # anneal_steps 0: a constant weight
    assert model.bc_kl_weight() == 0.7


def _changed_by_learning(model, phases: TrainingPhases) -> set[str]:
    """The policy state_dict keys whose tensors 64 steps of learning under ``phases`` change."""
    before = {k: v.clone() for k, v in model.policy.state_dict().items()}
    model.learn(64, callback=phases)
    after = model.policy.state_dict()
    return {k for k in before if not torch.equal(before[k], after[k])}


def test_value_warmup_trains_only_the_value_head() -> None:
    model = _model()
    changed = _changed_by_learning(model, TrainingPhases(value_warmup_steps=64, freeze_extractor_steps=0))
    assert changed and all(is_value_key(k) for k in changed), sorted(changed)
    assert all(p.requires_grad for p in model.policy.parameters())  # restored after training


def test_frozen_extractor_keeps_extractor_weights() -> None:
    changed = _changed_by_learning(_model(), TrainingPhases(value_warmup_steps=0, freeze_extractor_steps=64))
    assert not any(k.startswith("features_extractor.") for k in changed)
    assert any(k.startswith("action_net.") for k in changed)


def test_detached_critic_leaves_the_shared_extractor_to_the_policy() -> None:
    """``value_grad_to_extractor=False``: the value loss has no gradient in the shared features extractor (the
    policy's log-probability does), and PPO's update uses that forward pass also without a KL term."""
    space = observation_space(["player_frame", "game_state"])
    space.seed(1)
    obs_np = {k: np.stack([space[k].sample() for _ in range(8)]) for k in space.spaces}
    for detach in (True, False):
        model = _model()
        model.value_grad_to_extractor = not detach
        obs, _ = model.policy.obs_to_tensor(obs_np)
        values, log_prob, _, _ = model._policy_outputs(obs, torch.zeros(8, dtype=torch.long))
        model.policy.zero_grad()
        values.sum().backward(retain_graph=True)
        grads = [p.grad for k, p in model.policy.named_parameters() if k.startswith("features_extractor.")]
        reached = any(g is not None and bool(g.abs().sum() > 0) for g in grads)
        assert reached is (not detach)
        model.policy.zero_grad()
        log_prob.sum().backward()
        assert any(p.grad is not None and bool(p.grad.abs().sum() > 0)
                   for k, p in model.policy.named_parameters() if k.startswith("features_extractor."))
    # PPO's update takes the written-out path (where the critic reads detached features) even with no KL term
    model = _model()
    model.value_grad_to_extractor = False
    calls = []
    model._train_with_bc_kl = lambda weight: calls.append(weight)
    model.learn(32)
    assert calls == [0.0]


def test_learn_without_a_run_logger_writes_no_folder() -> None:
    model = _model()
    model.learn(64)
    assert model.logger.get_dir() is None  # SB3's default would be a fresh /tmp/SB3-<date> folder per learn()


def test_ppo_device_option():
    """ppo.device: auto picks cuda only when torch sees a GPU; cuda without one is one clear error."""
    import torch

    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.rl.ppo import resolve_device

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserFacingError, match="ppo.device=cuda"):
            resolve_device("cuda")
    with pytest.raises(UserFacingError, match="auto, cpu or cuda"):
        resolve_device("tpu")


def test_build_ppo_follows_ppo_device():
    class _Dev(_Cfg):
        device = "cpu"

    arch = {**arch_config("simple_cnn"), "channels": [4, 8, 8], "features_dim": 32, "net_arch_pi": [16],
            "net_arch_vf": [16]}
    model = build_ppo(_Dev, arch, DummyVecEnv([_env]), learning_rate=3e-4, seed=0)
    assert model.device.type == "cpu"
    model.set_bc_regulariser(model.policy, 1.0, 0)
    assert next(model.bc_policy.parameters()).device == model.device
