"""Environments as DAgger and rollout evaluation see them: one :class:`Task` per env config.

A task knows how to make its gymnasium env with observations in the policy's format, which episodes
to play for training rollouts and for evaluation, and how to read milestones / success from ``info``:

* ``env=npp``: :class:`npp_sim.env.NppEnv` on levels from the level generator's suites (observation
  dict of ``arch.modalities``); milestones = exit switch activated + level won; success = won.
* ``env=pokemon_standin`` / ``env=pokemon_emerald``: the raw ``(160, 240, 3)`` frame is preprocessed
  exactly as ``dataset=pokemon_npz`` preprocesses episodes (area resize to ``image_size``,
  channel-first, optional grayscale: :func:`imitation_pipeline.data.pokemon_npz.preprocess_frames`)
  and served as ``{obs_key: frame}``; milestones = ``len(info["milestones"])``; success = the last
  milestone (``reach_exit``) was reached. The raw frame stays available as ``env.raw_observation``
  (experts and external oracles get the frame the game shows, not the policy's input).

:func:`evaluate` plays a policy on a task's evaluation episodes and returns per-episode records
(``return``, ``length``, ``milestones``, ``success``) plus their means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from imitation_pipeline.errors import UserFacingError

NON_IMAGE_MODALITIES = ("game_state", "entities", "graph")


def pokemon_obs_key(modalities: Sequence[str]) -> str:
    """The observation key Pokemon frames are served under: the arch's first image modality
    (``player_frame`` for the default modalities, ``image`` for ``arch.modalities=[image]``)."""
    for m in modalities:
        if m not in NON_IMAGE_MODALITIES:
            return str(m)
    raise UserFacingError(f"arch.modalities {list(modalities)} has no image modality for Pokemon frames "
                          "(use e.g. arch.modalities=[image] or [player_frame])")


MILESTONE_STATE = ("talk_professor", "pick_item")  # game_state of env.observe_milestones (stand-in)


def pokemon_observation_space(key: str, image_size: int, grayscale: bool,
                              milestones: bool = False) -> gym.spaces.Dict:
    channels = 1 if grayscale else 3
    parts = {key: gym.spaces.Box(0, 255, (channels, image_size, image_size), np.uint8)}
    if milestones:
        parts["game_state"] = gym.spaces.Box(0.0, 1.0, (len(MILESTONE_STATE),), np.float32)
    return gym.spaces.Dict(parts)


class PokemonFrames(gym.Wrapper):
    """Raw GBA frame -> ``{key: uint8 (C, S, S)}`` (the pokemon_npz preprocessing, one frame at a time);
    with ``milestones=True`` also ``game_state`` = which of :data:`MILESTONE_STATE` are reached."""

    def __init__(self, env: gym.Env, key: str, image_size: int = 84, grayscale: bool = False,
                 milestones: bool = False):
        super().__init__(env)
        self.key, self.image_size, self.grayscale = key, int(image_size), bool(grayscale)
        self.milestones = bool(milestones)
        self.observation_space = pokemon_observation_space(key, self.image_size, self.grayscale, self.milestones)
        self.raw_observation: np.ndarray | None = None

    def observation(self, observation: np.ndarray, info: dict) -> dict[str, np.ndarray]:
        from imitation_pipeline.data.pokemon_npz import preprocess_frames

        self.raw_observation = observation
        out = {self.key: preprocess_frames(observation[None], self.image_size, self.grayscale)[0]}
        if self.milestones:
            reached = info.get("milestones", ())
            out["game_state"] = np.array([m in reached for m in MILESTONE_STATE], dtype=np.float32)
        return out

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self.observation(obs, info), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self.observation(obs, info), reward, terminated, truncated, info


@dataclass
class Episode:
    """How to start one episode: ``env.reset(seed=seed, options=options)``, shown as ``name``."""

    name: str
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Task:
    kind: str  # npp | pokemon
    make_env: Callable[[], gym.Env]
    observation_space: gym.spaces.Space
    action_space: gym.spaces.Discrete
    train_episode: Callable[[int], Episode]  # k-th training rollout
    eval_episodes: list[Episode]
    max_steps: int  # rollouts are cut after this many env steps (truncation)
    num_milestones: int

    def milestones(self, info: dict) -> int:
        if self.kind == "npp":
            return int(bool(info.get("switch_activated"))) + int(bool(info.get("is_success")))
        return len(info.get("milestones", ()))

    def success(self, info: dict, terminated: bool) -> bool:
        if self.kind == "npp":
            return bool(info.get("is_success"))
        reached = info.get("milestones", ())
        return bool(terminated) and bool(reached) and reached[-1] == "reach_exit"


def npp_levels(counts: dict[str, int], suite: str) -> tuple[list[bytes], list[str]]:
    from npp_sim.levelgen import generate_level
    from npp_sim.levelgen.suite import SUITE_BASE_SEEDS, suite_seeds

    counts = {k: int(v) for k, v in counts.items() if int(v) > 0}
    if not counts:
        raise UserFacingError(f"dagger.npp_{suite}_levels names no levels (give e.g. {{very_simple: 2}})")
    pairs = suite_seeds(counts, SUITE_BASE_SEEDS[suite])
    levels = [generate_level(cat, seed) for cat, seed in pairs]
    return [lv.map_data for lv in levels], [f"{cat}/{seed}" for cat, seed in pairs]


def make_task(cfg, modalities: Sequence[str]) -> Task:
    """The task of ``cfg.env`` (needs ``cfg.dagger`` for the N++ levels and Pokemon world seeds)."""
    from omegaconf import OmegaConf

    name = str(cfg.env.name)
    if name == "npp":
        from npp_sim.env import NppEnv

        dcfg = cfg.dagger
        max_frames = int(dcfg.npp_max_frames)
        train, train_names = npp_levels(OmegaConf.to_container(dcfg.npp_train_levels), "train")
        evals, eval_names = npp_levels(OmegaConf.to_container(dcfg.npp_eval_levels), "test")
        levels, names = train + evals, train_names + eval_names
        reward = OmegaConf.to_container(cfg.env.reward, resolve=True)
        frame_skip = int(cfg.env.frame_skip)

        def make_npp() -> gym.Env:
            return NppEnv(levels=levels, level_names=names, observation=list(modalities), frame_skip=frame_skip,
                          max_frames=max_frames, reward=reward)

        from npp_sim.observation_spec import observation_space

        n_train = len(train)
        return Task(
            kind="npp", make_env=make_npp, observation_space=observation_space(list(modalities)),
            action_space=gym.spaces.Discrete(6),
            train_episode=lambda k: Episode(names[k % n_train], seed=k, options={"level_index": k % n_train}),
            eval_episodes=[Episode(names[n_train + i], seed=0, options={"level_index": n_train + i})
                           for i in range(len(evals))],
            max_steps=-(-max_frames // frame_skip) + 1, num_milestones=2,
        )
    if name in ("pokemon_standin", "pokemon_emerald"):
        import pokemon_env  # noqa: F401  (registers the gymnasium ids)

        e = cfg.env
        key = pokemon_obs_key(modalities)
        if name == "pokemon_standin":
            # a run config without show_progress predates the progress panel: replay it panel-less
            kwargs = {"rows": int(e.rows), "cols": int(e.cols), "max_steps": int(e.max_steps),
                      "step_reward": float(e.step_reward), "show_progress": bool(e.get("show_progress", False))}
            n_milestones = 3
            observe = bool(e.get("observe_milestones", False))
        else:
            kwargs = {"rom_path": e.rom_path, "state_path": e.state_path, "frames_per_action": int(e.frames_per_action),
                      "hold_frames": int(e.hold_frames), "reset_noop_max": int(e.reset_noop_max),
                      "max_steps": int(e.max_steps)}
            n_milestones = 0
            observe = False
        env_id, size, gray = str(e.id), int(e.image_size), bool(e.grayscale)

        def make_pokemon() -> gym.Env:
            # RomError / MgbaUnavailableError are user errors (user_error_types): one line, exit 2
            return PokemonFrames(gym.make(env_id, **kwargs), key, size, gray, observe)

        dcfg = cfg.get("dagger")
        base = int(dcfg.world_seed) if dcfg is not None else 0
        pool = int(dcfg.num_worlds) if dcfg is not None else 0

        def train_episode(k: int) -> Episode:
            seed = base + (k % pool if pool > 0 else k)
            return Episode(f"world{seed}", seed=seed)

        evals = [Episode(f"world{int(e.eval_seed) + i}", seed=int(e.eval_seed) + i) for i in range(int(e.eval_episodes))]
        return Task(kind="pokemon", make_env=make_pokemon,
                    observation_space=pokemon_observation_space(key, size, gray, observe),
                    action_space=gym.spaces.Discrete(10), train_episode=train_episode, eval_episodes=evals,
                    max_steps=min(int(e.max_steps), int(e.eval_max_steps)), num_milestones=n_milestones)
    raise UserFacingError(f"env={name!r} has no DAgger/rollout task (known: npp, pokemon_standin, pokemon_emerald)")


def evaluate(policy, task: Task, env: gym.Env | None = None, deterministic: bool = True,
             episodes: Sequence[Episode] | None = None, action_noise: float = 0.0, noise_seed: int = 0) -> dict:
    """Play ``policy`` (an SB3 policy) on the task's evaluation episodes.

    ``action_noise`` > 0 replaces the policy's action by a uniformly random one with that probability
    (seeded): a robustness probe, how well the policy recovers from states its own actions avoid.

    Returns ``{"episodes": [records], "return", "length", "milestones", "success_rate"}`` (means).
    """
    own = env is None
    env = task.make_env() if own else env
    was_training = policy.training
    policy.set_training_mode(False)
    records = []
    noise = np.random.default_rng(noise_seed)
    try:
        for ep in (task.eval_episodes if episodes is None else episodes):
            obs, info = env.reset(seed=ep.seed, options=ep.options or None)
            total, steps, terminated, truncated = 0.0, 0, False, False
            while not (terminated or truncated) and steps < task.max_steps:
                action, _ = policy.predict(obs, deterministic=deterministic)
                if action_noise > 0 and noise.random() < action_noise:
                    action = noise.integers(task.action_space.n)
                obs, reward, terminated, truncated, info = env.step(int(action))
                total += float(reward)
                steps += 1
            records.append({"episode": ep.name, "return": total, "length": steps,
                            "milestones": task.milestones(info), "success": task.success(info, terminated)})
    finally:
        if own:
            env.close()
        policy.set_training_mode(was_training)
    return summarize(records)


def summarize(records: list[dict]) -> dict:
    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in records])) if records else 0.0

    return {"episodes": records, "return": mean("return"), "length": mean("length"),
            "milestones": mean("milestones"), "success_rate": mean("success")}
