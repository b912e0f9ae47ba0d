"""PPO throughput with the real N++ env vs a null env of the same spaces.

Same policy (simple_cnn, the default arch), same PPO settings, same ``n_envs`` and vec-env kind;
the null env returns a fixed observation and ends episodes after a fixed number of steps, so the
ratio ``real / null`` is the fraction of PPO's speed the simulator + observation builder leave
(goal >= 0.8: the env is not the bottleneck of training). Also reward shaping on vs off
(``env.reward_shaping=path_progress``, the default, same run; goal >= 0.9), and PPO's gradient updates on every
usable core (``ppo.update_threads=0``, the default) vs on one thread (runs before that option), rollouts on one.

Both are timed after a warm-up ``learn`` (numba JIT / cache load, worker start-up). Environment
variables: ``PPO_BENCH_STEPS`` (timed env steps, default 4096), ``PPO_BENCH_ENVS`` (default 2),
``PPO_BENCH_FRAME_SKIP`` (default 4).

Run: ``python -m benchmarks.ppo_bench``.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _null_env_factory(observation_space, action_space, episode_steps: int = 200):
    import gymnasium as gym

    class NullEnv(gym.Env):
        def __init__(self):
            self.observation_space, self.action_space = observation_space, action_space
            self._obs = observation_space.sample()
            self._t = 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self._t = 0
            return self._obs, {"is_success": False}

        def step(self, action):
            self._t += 1
            return self._obs, 0.0, self._t >= episode_steps, False, {"is_success": False}

    return NullEnv


def _steps_per_second(make_env, n_envs: int, steps: int, arch: dict, update_threads: int = 1) -> float:
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    from imitation_pipeline.configs.rl import PPOConfig
    from imitation_pipeline.rl.callbacks import UpdateThreads
    from imitation_pipeline.rl.ppo import build_ppo

    cfg = PPOConfig()
    env = make_vec_env(make_env, n_envs=n_envs, seed=0, vec_env_cls=SubprocVecEnv if n_envs > 1 else DummyVecEnv)
    try:
        model = build_ppo(cfg, arch, env, learning_rate=cfg.learning_rate, seed=0)
        rollout = cfg.n_steps * n_envs
        threads = UpdateThreads(update_threads, 1)
        model.learn(rollout, callback=threads)  # warm-up: JIT / cache load in the workers, first update
        t0 = time.perf_counter()
        model.learn(max(steps, rollout), reset_num_timesteps=False, callback=threads)
        return (model.num_timesteps - rollout) / (time.perf_counter() - t0)
    finally:
        env.close()


def main() -> None:
    import torch
    from omegaconf import OmegaConf

    from imitation_pipeline.configs.arch import SimpleCNNConfig
    from imitation_pipeline.rl.envs import EnvSpec
    from imitation_pipeline.rl.levels import level_set

    torch.set_num_threads(1)
    steps = int(os.environ.get("PPO_BENCH_STEPS", "4096"))
    n_envs = int(os.environ.get("PPO_BENCH_ENVS", "2"))
    frame_skip = int(os.environ.get("PPO_BENCH_FRAME_SKIP", "4"))
    arch = OmegaConf.to_container(OmegaConf.structured(SimpleCNNConfig(name="simple_cnn")), resolve=True)
    levels = level_set({"train": {"very_simple": 4, "simple": 4, "medium": 2, "complex": 2, "mine_heavy": 2,
                                  "exploration": 2}}, "train")
    real = EnvSpec(levels.maps, levels.names, arch["modalities"], frame_skip=frame_skip, max_frames=20000,
                   max_episode_steps=2000 // frame_skip)
    probe = real()
    null = _null_env_factory(probe.observation_space, probe.action_space)
    probe.close()

    print(f"PPO (simple_cnn, n_steps=256 per env, {n_envs} envs, frame_skip={frame_skip}), {steps} timed env steps")
    null_sps = _steps_per_second(null, n_envs, steps, arch)
    print(f"  null env (same spaces): {null_sps:8.1f} env steps/s")
    real_sps = _steps_per_second(real, n_envs, steps, arch)
    print(f"  NppEnv ({len(levels)} train levels): {real_sps:8.1f} env steps/s")
    print(f"  ratio real / null: {real_sps / null_sps:.2f} (goal >= 0.80)")
    from dataclasses import replace

    shaped = replace(real, shaping="path_progress", shaping_gamma=0.995)
    shaped_sps = _steps_per_second(shaped, n_envs, steps, arch)
    print(f"  NppEnv + path_progress shaping (the default): {shaped_sps:8.1f} env steps/s")
    print(f"  ratio shaping on / off: {shaped_sps / real_sps:.2f} (goal >= 0.90)")
    from imitation_pipeline.training.trainer import usable_cores

    cores = usable_cores()
    threaded_sps = _steps_per_second(shaped, n_envs, steps, arch, update_threads=cores)
    print(f"  the same, updates on {cores} threads (ppo.update_threads=0, the default): {threaded_sps:8.1f} env steps/s")
    print(f"  ratio updates on {cores} threads / on 1: {threaded_sps / shaped_sps:.2f}")


if __name__ == "__main__":
    main()
