"""Potential-based shaping (npp_sim.shaping): telescoping sums, progress is rewarded, no NaN when the
objective cannot be reached, and the env factory applies it only when configured."""

from __future__ import annotations

import math

import numpy as np
import pytest
from npp_sim.env import INPUT_BYTE_TO_ACTION, NppEnv
from npp_sim.levelgen import generate_level
from npp_sim.planner import solve
from npp_sim.shaping import PathShaping


@pytest.fixture(scope="module")
def level_and_plan():
    lvl = generate_level("simple", 101000000)
    res = solve(lvl.map_data, max_nodes=4000, budget_s=120, frame_skip=4)
    assert res.success
    return lvl.map_data, [INPUT_BYTE_TO_ACTION[int(b)] for b in res.inputs[::4]]


def _play(env, actions):
    env.reset(options={"level_index": 0})
    phis = [env.potential()]
    shaping, sparse, info = [], [], {}
    for a in actions:
        _, r, term, trunc, info = env.step(a)
        shaping.append(info["shaping_reward"])
        sparse.append(info["sparse_reward"])
        assert r == pytest.approx(info["shaping_reward"] + info["sparse_reward"])
        phis.append(env.potential())
        if term or trunc:
            break
    return np.array(phis), np.array(shaping), np.array(sparse), info


def test_shaping_telescopes_and_rewards_progress(level_and_plan):
    data, actions = level_and_plan
    env = PathShaping(NppEnv([data], observation=["game_state"], frame_skip=4), gamma=1.0)
    phis, shaping, sparse, info = _play(env, actions)
    assert info["is_success"]
    assert phis[0] < -0.1 and phis[-1] == 0.0  # far from the goal at the start; terminal potential 0
    assert shaping.sum() == pytest.approx(phis[-1] - phis[0])  # gamma = 1: the sum telescopes
    assert shaping.sum() > 0  # following the expert's route is rewarded
    assert np.all(np.isfinite(shaping))
    # gamma < 1: F = gamma * Phi' - Phi, per step
    env2 = PathShaping(NppEnv([data], observation=["game_state"], frame_skip=4), gamma=0.9)
    phis2, shaping2, _, _ = _play(env2, actions[:20])
    assert np.allclose(shaping2, 0.9 * phis2[1:] - phis2[:-1])


def test_unreachable_objective_gives_constant_zero_potential(level_and_plan):
    data, actions = level_and_plan
    raw = bytearray(data)
    raw[184:184 + 966] = bytes([1]) * 966  # every inner cell solid: no route anywhere
    env = PathShaping(NppEnv([bytes(raw)], observation=["game_state"], frame_skip=4), gamma=0.99)
    phis, shaping, _, _ = _play(env, actions[:10])
    assert np.all(phis == 0.0) and np.all(shaping == 0.0)


def test_bad_arguments():
    env = NppEnv([generate_level("very_simple", 100000000).map_data], observation=["game_state"])
    with pytest.raises(ValueError, match="gamma"):
        PathShaping(env, gamma=1.5)
    with pytest.raises(ValueError, match="distance_px"):
        PathShaping(env, gamma=0.9, distance_px=0)


def test_env_spec_applies_shaping_only_when_configured(level_and_plan):
    from imitation_pipeline.rl.envs import EnvSpec

    data, actions = level_and_plan
    base = dict(maps=[data], names=["a"], observation=["game_state"], frame_skip=4, max_frames=20000,
                max_episode_steps=50)
    plain, shaped = EnvSpec(**base)(), EnvSpec(**base, shaping="path_distance", shaping_gamma=0.995)()
    assert not isinstance(plain.env, PathShaping) and isinstance(shaped.env, PathShaping)
    shaped.reset(options={"level_index": 0})
    _, _, _, _, info = shaped.step(actions[0])
    assert math.isfinite(info["shaping_reward"])
    assert shaped.env.gamma == 0.995


def test_ppo_logs_the_sparse_and_shaping_returns(level_and_plan, tmp_path):
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import DummyVecEnv

    from imitation_pipeline.rl.callbacks import RewardParts
    from imitation_pipeline.rl.ppo import build_ppo

    data, _ = level_and_plan

    class _Cfg:
        n_steps, batch_size, n_epochs, gamma, gae_lambda, clip_range = 32, 32, 1, 0.99, 0.95, 0.2
        ent_coef, vf_coef, max_grad_norm, target_kl, device = 0.0, 0.5, 0.5, None, "cpu"

    def make():
        return PathShaping(NppEnv([data], observation=["player_frame", "game_state"], frame_skip=4, max_frames=40),
                           gamma=0.99)

    arch = {"name": "simple_cnn", "modalities": ["player_frame", "game_state"], "channels": [4, 8, 8],
            "features_dim": 32, "net_arch_pi": [16], "net_arch_vf": [16], "state_hidden": 16}
    model = build_ppo(_Cfg, arch, DummyVecEnv([make]), learning_rate=3e-4, seed=0)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(64, callback=RewardParts())
    header = (tmp_path / "progress.csv").read_text().splitlines()[0].split(",")
    assert "rollout/ep_sparse_return" in header and "rollout/ep_shaping_return" in header


def _die(shaping_env, rng_seed=0, episodes=20, steps=300):
    """Random play on a mine-heavy level until one episode ends in death; the shaping and potentials of it."""
    rng = np.random.default_rng(rng_seed)
    for _ in range(episodes):
        phis, shaping, _, info = _play(shaping_env, rng.integers(0, 6, size=steps).tolist())
        if info.get("dead"):
            return phis, shaping
    pytest.fail("random play never died on the mine-heavy level")


def test_progress_shaping_pays_route_covered_and_nothing_for_dying():
    data = generate_level("mine_heavy", 104000001).map_data
    progress = PathShaping(NppEnv([data], observation=["game_state"], frame_skip=4), gamma=0.99, progress=True)
    assert progress.gamma == 1.0  # F = Phi' - Phi
    phis, shaping = _die(progress)
    assert phis[-1] < 0  # the death keeps the potential of where it happened
    assert shaping.sum() == pytest.approx(phis[-1] - phis[0])  # exactly the route distance covered
    exact = PathShaping(NppEnv([data], observation=["game_state"], frame_skip=4), gamma=0.99)
    phis_e, shaping_e = _die(exact)
    assert phis_e[-1] == 0.0 and shaping_e[-1] == pytest.approx(-phis_e[-2])  # Ng: Phi jumps to 0 on death
    assert shaping_e[-1] > 0  # ... which pays the remaining distance at the moment of dying
