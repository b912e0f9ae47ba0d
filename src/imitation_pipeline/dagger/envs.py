"""Environments as DAgger and rollout evaluation see them: one :class:`Task` per env config.

A task knows how to make its gymnasium env with observations in the policy's format, which episodes
to play for training rollouts and for evaluation, and how to read milestones / success from ``info``:

Every env comes from the one env factory (:func:`imitation_pipeline.env_factory.make_env`, ``cfg.env``):

* ``env=npp``: the N++ env on levels from the level generator's suites (observation
  dict of ``arch.modalities``); milestones = exit switch activated + level won; success = won.
* ``env=pokemon_standin`` / ``env=pokemon_emerald``: the raw ``(160, 240, 3)`` frame is preprocessed
  exactly as ``dataset=pokemon_npz`` preprocesses episodes (area resize to ``image_size``,
  channel-first, optional grayscale: :func:`imitation_pipeline.data.pokemon_npz.preprocess_frames`)
  and served as ``{obs_key: frame}``; milestones = ``len(info["milestones"])``; success = the last
  milestone (``reach_exit``) was reached. The raw frame stays available as ``env.raw_observation``
  (experts and external oracles get the frame the game shows, not the policy's input).

:func:`evaluate` plays a policy on a task's evaluation episodes (through the one rollout loop,
:func:`imitation_pipeline.evaluation.runner.play`) and returns per-episode records
(``return``, ``length``, ``milestones``, ``success``) plus their means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from imitation_pipeline.data.pokemon_frames import pokemon_obs_key, pokemon_observation_space
from imitation_pipeline.errors import UserFacingError
from imitation_pipeline.evaluation.runner import Episode, LevelSeededSampler, eval_mode, play


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
    """The task of ``cfg.env`` (needs ``cfg.dagger`` for the N++ levels and Pokemon world seeds); its env is
    made by the one env factory (:func:`imitation_pipeline.env_factory.make_env`) from ``cfg.env``."""
    from omegaconf import OmegaConf

    from imitation_pipeline.env_factory import make_env

    name = str(cfg.env.name)
    if name == "npp":
        dcfg = cfg.dagger
        max_frames = int(dcfg.npp_max_frames)
        train, train_names = npp_levels(OmegaConf.to_container(dcfg.npp_train_levels), "train")
        evals, eval_names = npp_levels(OmegaConf.to_container(dcfg.npp_eval_levels), "test")
        levels, names = train + evals, train_names + eval_names
        frame_skip = int(cfg.env.frame_skip)
        env_cfg = OmegaConf.to_container(cfg.env, resolve=True)

        def make_npp() -> gym.Env:  # DAgger's own episode cut (max_steps), no shaping: the game's reward
            return make_env(env_cfg, levels=levels, level_names=names, observation=list(modalities),
                            max_frames=max_frames, reward_shaping="none")

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
        e = cfg.env
        key = pokemon_obs_key(modalities)
        n_milestones = 3 if name == "pokemon_standin" else 0
        observe = name == "pokemon_standin" and bool(e.get("observe_milestones", False))
        size, gray = int(e.image_size), bool(e.grayscale)
        env_cfg = OmegaConf.to_container(e, resolve=True)

        def make_pokemon() -> gym.Env:
            return make_env(env_cfg, obs_key=key)

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
             episodes: Sequence[Episode] | None = None, action_noise: float = 0.0, noise_seed: int = 0,
             seed: int = 0, batch_envs: int = 8) -> dict:
    """Play ``policy`` (an SB3 policy) on the task's evaluation episodes (or ``episodes``), through the one
    rollout loop (:func:`imitation_pipeline.evaluation.runner.play`): ``batch_envs`` envs of the task in
    lock-step, or ``env`` alone when given. Episodes are cut after ``task.max_steps`` steps.

    The k-th episode samples its actions (``deterministic=False``) from its own generator ``(seed, k)``.
    ``action_noise`` > 0 replaces the policy's action by a uniformly random one with that probability
    (generator ``(noise_seed, k)``): a robustness probe, how well the policy recovers from states its own
    actions avoid.

    Returns ``{"episodes": [records], "return", "length", "milestones", "success_rate"}`` (means).
    """
    episodes = list(task.eval_episodes if episodes is None else episodes)
    actor = LevelSeededSampler(policy, range(len(episodes)), seed, deterministic=deterministic,
                               action_noise=action_noise, noise_seed=noise_seed, n_actions=int(task.action_space.n))
    with eval_mode(policy):
        played = play(actor, task.make_env if env is None else env, [[ep] for ep in episodes],
                      batch_envs=batch_envs, max_steps=task.max_steps)
    return summarize([{"episode": p.episode.name, "return": p.ret, "length": p.length,
                       "milestones": task.milestones(p.info), "success": task.success(p.info, p.terminated)}
                      for (p,) in played])


def summarize(records: list[dict]) -> dict:
    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in records])) if records else 0.0

    return {"episodes": records, "return": mean("return"), "length": mean("length"),
            "milestones": mean("milestones"), "success_rate": mean("success")}
