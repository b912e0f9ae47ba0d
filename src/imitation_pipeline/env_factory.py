"""The one env factory: every environment the app plays is made here, from the ``env`` config group.

Each option of the group names its factory in ``_target_`` (the schema's default, see
:mod:`imitation_pipeline.configs.env`), and :func:`make_env` instantiates the validated ``env`` config
with the call site's overrides (the levels, and e.g. ``frame_skip=1`` for export)::

    env = make_env(cfg.env, levels=maps, level_names=names)

Callers: :class:`imitation_pipeline.rl.envs.EnvSpec` (the picklable recipe of PPO's training envs and of every
evaluation env; it keeps ``env._target_``), DAgger's tasks (:func:`imitation_pipeline.dagger.envs.make_task`)
and ``stage=export``.

* :func:`npp_env` (``env=npp``): the simulator over the given levels, observing ``observation``
  (``env.observation``, by default the arch's modalities), optionally shaped
  (``reward_shaping``: :class:`npp_sim.shaping.PathShaping`) and cut after ``max_episode_steps``
  decisions (a gymnasium ``TimeLimit``).
* :func:`pokemon_standin_env` / :func:`pokemon_emerald_env`: the game env, its frames preprocessed
  into the policy's format (:class:`imitation_pipeline.data.pokemon_frames.PokemonFrames`).

Fields of the schema that describe the run rather than the env (``name``, ``id`` where the factory fixes
it, the evaluation episode counts, ``lr_rule``) are accepted and ignored, so the whole validated block can
be instantiated. A config without ``_target_`` (a run config saved before it existed, or a hand-written
test config) gets the factory of its ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym

from imitation_pipeline.configs.env import REWARD_SHAPINGS
from imitation_pipeline.errors import UserFacingError


def npp_env(levels: Sequence[bytes], level_names: Sequence[str] | None = None, *,
            observation: Sequence[str] = ("player_frame", "game_state"), frame_skip: int = 4,
            max_frames: int = 20000, reward: Mapping[str, float] | None = None, reward_shaping: str = "none",
            shaping_gamma: float = 0.99, shaping_distance_px: float = 1000.0,
            max_episode_steps: int | None = None, demo_starts: Mapping[int, Sequence[bytes]] | None = None,
            demo_start_prob: float = 0.0, name: str = "npp", id: str = "NPP-v0",
            lr_rule: str | None = None) -> gym.Env:
    """The N++ env of the pipeline: the simulator env over ``levels``, then optional shaping and time limit.

    ``max_frames`` scales the ``time_remaining`` observation (as in the BC data) and truncates the
    episode in the simulator; ``max_episode_steps`` (decisions of ``frame_skip`` frames) may cut it earlier.
    ``demo_starts`` (level index -> winning input prefixes) with ``demo_start_prob`` > 0 starts that share of
    episodes on demonstrated states (:class:`npp_sim.demo_starts.DemoStarts`; PPO training envs only).
    """
    from npp_sim.env import NppEnv

    del name, id, lr_rule  # run-level fields of the schema, not env arguments
    if reward_shaping not in REWARD_SHAPINGS:
        raise UserFacingError(f"env.reward_shaping must be one of {', '.join(REWARD_SHAPINGS)}, got {reward_shaping!r}")
    env: gym.Env = NppEnv(levels=list(levels), level_names=None if level_names is None else list(level_names),
                          observation=list(observation), frame_skip=int(frame_skip), max_frames=int(max_frames),
                          reward=dict(reward or {}))
    if demo_starts and float(demo_start_prob) > 0:
        from npp_sim.demo_starts import DemoStarts

        env = DemoStarts(env, demo_starts, float(demo_start_prob), int(frame_skip))
    if reward_shaping != "none":
        from npp_sim.shaping import PathShaping

        env = PathShaping(env, float(shaping_gamma), float(shaping_distance_px),
                          progress=reward_shaping == "path_progress")
    if max_episode_steps is not None:
        from gymnasium.wrappers import TimeLimit

        env = TimeLimit(env, max_episode_steps=int(max_episode_steps))
    return env


def pokemon_standin_env(*, obs_key: str, id: str = "PokemonStandIn-v0", rows: int = 18, cols: int = 24,
                        max_steps: int = 400, step_reward: float = 0.0, image_size: int = 84,
                        grayscale: bool = False, show_progress: bool = False, observe_milestones: bool = False,
                        name: str = "pokemon_standin", eval_episodes: int = 0, eval_seed: int = 0,
                        eval_max_steps: int = 0) -> gym.Env:
    """``PokemonStandIn-v0`` with frames in the policy's format. ``show_progress`` defaults to false here:
    a run config without it predates the progress panel (the schema's default is true)."""
    del name, eval_episodes, eval_seed, eval_max_steps
    game = {"rows": int(rows), "cols": int(cols), "max_steps": int(max_steps), "step_reward": float(step_reward),
            "show_progress": bool(show_progress)}
    return _pokemon(str(id), game, obs_key, image_size, grayscale, observe_milestones)


def pokemon_emerald_env(*, obs_key: str, id: str = "PokemonEmerald-v0", rom_path: str | None = None,
                        state_path: str | None = None, frames_per_action: int = 24, hold_frames: int = 16,
                        reset_noop_max: int = 0, max_steps: int = 10_000, image_size: int = 84,
                        grayscale: bool = False, name: str = "pokemon_emerald", eval_episodes: int = 0,
                        eval_seed: int = 0, eval_max_steps: int = 0) -> gym.Env:
    """``PokemonEmerald-v0`` (mGBA, your ROM) with frames in the policy's format; RomError /
    MgbaUnavailableError are user errors (one line, exit 2)."""
    del name, eval_episodes, eval_seed, eval_max_steps
    game = {"rom_path": rom_path, "state_path": state_path, "frames_per_action": int(frames_per_action),
            "hold_frames": int(hold_frames), "reset_noop_max": int(reset_noop_max), "max_steps": int(max_steps)}
    return _pokemon(str(id), game, obs_key, image_size, grayscale, False)


def _pokemon(env_id: str, game: dict, obs_key: str, image_size: int, grayscale: bool, milestones: bool) -> gym.Env:
    import pokemon_env  # noqa: F401  (registers the gymnasium ids)

    from imitation_pipeline.data.pokemon_frames import PokemonFrames

    return PokemonFrames(gym.make(env_id, **game), obs_key, int(image_size), bool(grayscale), bool(milestones))


TARGETS = {"npp": f"{__name__}.npp_env", "pokemon_standin": f"{__name__}.pokemon_standin_env",
           "pokemon_emerald": f"{__name__}.pokemon_emerald_env"}


def make_env(env_cfg: Any, **overrides) -> gym.Env:
    """Instantiate the ``env`` config (its ``_target_``, or the factory of its ``name``) with ``overrides``."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    fields = dict(env_cfg) if isinstance(env_cfg, dict) else OmegaConf.to_container(env_cfg, resolve=True)
    if not fields.get("_target_"):
        name = str(fields.get("name", "npp"))
        if name not in TARGETS:
            raise UserFacingError(f"env={name!r} names no env factory (known: {', '.join(TARGETS)})")
        fields["_target_"] = TARGETS[name]
    # the config instantiated as a partial, then called with the overrides (they win over the config's fields),
    # so the maps (bytes, maybe hundreds) never pass through OmegaConf
    return instantiate(fields, _partial_=True, _convert_="all")(**overrides)
