"""PPO's held-out evaluation plays through the one rollout loop: the same records for the same policy at every
evaluation (per (seed, level) generators), torch's global RNG untouched, the log and the best checkpoint hook."""

from __future__ import annotations

import json
from types import SimpleNamespace

import torch
from gymnasium import spaces
from npp_sim.levelgen import generate_level
from npp_sim.observation_spec import observation_space
from omegaconf import OmegaConf
from stable_baselines3.common.logger import configure

from imitation_pipeline.configs.arch import SimpleCNNConfig
from imitation_pipeline.policies import build_policy
from imitation_pipeline.rl.callbacks import HeldOutEval
from imitation_pipeline.rl.envs import env_spec


def test_held_out_evaluations_are_seeded_per_level(tmp_path) -> None:
    arch = OmegaConf.to_container(OmegaConf.structured(SimpleCNNConfig(name="simple_cnn")))
    cfg = OmegaConf.create({"env": {"frame_skip": 4, "max_frames": 20000, "reward_shaping": "path_progress",
                                    "reward": {"win": 1.0, "death": -0.5, "switch": 0.1, "time_penalty": -0.0001}},
                            "arch": arch})
    torch.manual_seed(5)
    policy = build_policy(arch, observation_space(arch["modalities"]), spaces.Discrete(6))
    pairs = [("very_simple", 100000000), ("simple", 101000001)]
    spec = env_spec(cfg, [generate_level(c, s).map_data for c, s in pairs], ["a", "b"], 800)
    best: list[dict] = []

    def held_out(seed: int) -> HeldOutEval:
        cb = HeldOutEval(spec, episodes=2, eval_freq_steps=8, n_envs=2, log_path=tmp_path / f"eval{seed}.json",
                         level_names=["a", "b"], header={"seed": seed}, save_best=best.append, seed=seed)
        cb.model = SimpleNamespace(policy=policy, logger=configure(None, []))
        return cb

    cb = held_out(3)
    state = torch.random.get_rng_state()
    cb._on_training_start()
    cb.n_calls, cb.num_timesteps = 3, 12
    assert cb._on_step() and len(cb.records) == 1  # not due: every 8 // 2 = 4 calls
    cb.n_calls = 4
    cb._on_step()
    cb._on_training_end()  # the last record is at this step count already: no extra evaluation
    assert torch.equal(torch.random.get_rng_state(), state)
    first, second = cb.records
    assert (first["timesteps"], second["timesteps"]) == (0, 12) and first["episodes"] == 4
    assert {k: v for k, v in first.items() if k != "timesteps"} == {k: v for k, v in second.items() if k != "timesteps"}
    assert best == [first]  # an equal record is no new best
    log = json.loads((tmp_path / "eval3.json").read_text())
    assert log["seed"] == 3 and log["levels"] == ["a", "b"] and log["evaluations"] == cb.records
    other = held_out(4)
    other._on_training_start()
    assert other.records[0] != first  # another run seed samples other episodes
