"""Env recipes for PPO and evaluation, all made by the env factory (:mod:`imitation_pipeline.env_factory`).

Every training env is ``Monitor(TimeLimit(<N++ env>))``: the N++ env keeps ``env.max_frames`` (it scales the
``time_remaining`` observation exactly as in the BC data), and the ``TimeLimit`` ends an RL episode
after ``max_episode_frames`` simulator frames (SB3 bootstraps truncated episodes).

* :func:`make_train_env`: ``n_envs`` copies over the training levels (a random level per reset,
  seeded per env by SB3), ``SubprocVecEnv`` for several envs, ``DummyVecEnv`` for one.
* evaluation envs are this recipe unshaped, played by the one rollout loop
  (:func:`imitation_pipeline.evaluation.runner.play_levels`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import UserFacingError


@dataclass
class EnvSpec:
    """Picklable recipe of one env (SubprocVecEnv workers build their env from it)."""

    maps: list[bytes]
    names: list[str]
    observation: list[str]
    frame_skip: int
    max_frames: int
    max_episode_steps: int
    reward: dict = field(default_factory=dict)
    shaping: str = "none"  # none | path_distance | path_progress (npp_sim.shaping.PathShaping)
    shaping_gamma: float = 0.99
    shaping_distance_px: float = 1000.0
    target: str = "imitation_pipeline.env_factory.npp_env"  # the env factory (env._target_)
    # training envs of finetune only: level index -> winning demo input prefixes, and the share of episodes
    # that start on one of their states (rl/demo_starts.py)
    demo_starts: dict[int, list[bytes]] = field(default_factory=dict)
    demo_start_prob: float = 0.0

    def __call__(self):
        from imitation_pipeline.env_factory import make_env

        starts = {"demo_starts": self.demo_starts, "demo_start_prob": self.demo_start_prob} if self.demo_starts else {}
        return make_env({"_target_": self.target}, levels=self.maps, level_names=self.names,
                        observation=self.observation, frame_skip=self.frame_skip, max_frames=self.max_frames,
                        reward=self.reward, reward_shaping=self.shaping, shaping_gamma=self.shaping_gamma,
                        shaping_distance_px=self.shaping_distance_px, max_episode_steps=self.max_episode_steps,
                        **starts)


def env_spec(cfg: DictConfig, maps: list[bytes], names: list[str], max_episode_frames: int) -> EnvSpec:
    """The env of this run, all from ``env``: observation (``env.observation``, the arch's modalities unless
    set; a config without it observes ``arch.modalities``), frame skip, reward, shaping."""
    env = cfg.env
    frame_skip, max_frames = int(env.frame_skip), int(env.max_frames)
    if max_episode_frames < 1:
        raise UserFacingError(f"max_episode_frames must be >= 1, got {max_episode_frames}")
    if max_episode_frames > max_frames:
        raise UserFacingError(f"max_episode_frames={max_episode_frames} exceeds env.max_frames={max_frames}")
    return EnvSpec(
        maps=list(maps), names=list(names),
        observation=list(OmegaConf.to_container(env.get("observation") or cfg.arch.modalities, resolve=True)),
        frame_skip=frame_skip, max_frames=max_frames,
        max_episode_steps=math.ceil(max_episode_frames / frame_skip),
        reward=OmegaConf.to_container(env.reward, resolve=True),
        shaping=str(env.get("reward_shaping", "none")),
        shaping_gamma=float(cfg.ppo.gamma) if "ppo" in cfg else 0.99,
        shaping_distance_px=float(env.get("shaping_distance_px", 1000.0)),
        **({"target": str(env._target_)} if env.get("_target_") else {}),
    )


def make_train_env(spec: EnvSpec, n_envs: int, seed: int, kind: str = "auto", monitor_dir: str | None = None):
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    if n_envs < 1:
        raise UserFacingError(f"ppo.n_envs must be >= 1, got {n_envs}")
    if kind not in ("auto", "subproc", "dummy"):
        raise UserFacingError(f"ppo.vec_env must be auto, subproc or dummy, got {kind!r}")
    use_subproc = kind == "subproc" or (kind == "auto" and n_envs > 1)
    return make_vec_env(spec, n_envs=n_envs, seed=seed, monitor_dir=monitor_dir,
                        vec_env_cls=SubprocVecEnv if use_subproc else DummyVecEnv)
