"""The one env factory: the ``env`` group's ``_target_`` is instantiated, and ``env.observation`` selects what
the N++ env observes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from npp_sim.levelgen import generate_level

from imitation_pipeline.configs import register
from imitation_pipeline.env_factory import make_env
from imitation_pipeline.errors import UserFacingError

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
register()


def _env_cfg(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=overrides).env


def test_env_observation_selects_the_modalities_of_the_made_env() -> None:
    maps = [generate_level("very_simple", 100000000).map_data]
    default = _env_cfg(["env=npp"])
    assert default._target_ == "imitation_pipeline.env_factory.npp_env"
    env = make_env(default, levels=maps, level_names=["a"], reward_shaping="none")
    assert set(env.observation_space.spaces) == set(default.observation)  # the arch's modalities by default
    chosen = make_env(_env_cfg(["env=npp", "env.observation=[game_state]"]), levels=maps, reward_shaping="none")
    assert set(chosen.observation_space.spaces) == {"game_state"}
    obs, info = chosen.reset(options={"level_index": 0})
    assert set(obs) == {"game_state"} and info["level_name"] == "level-0"


def test_overrides_win_and_shaping_and_time_limit_wrap_the_env() -> None:
    from gymnasium.wrappers import TimeLimit
    from npp_sim.shaping import PathShaping

    maps = [generate_level("very_simple", 100000000).map_data]
    env = make_env(_env_cfg(["env=npp", "env.reward_shaping=path_progress"]), levels=maps, frame_skip=1,
                   max_episode_steps=7)
    assert isinstance(env, TimeLimit) and isinstance(env.env, PathShaping) and env.unwrapped.frame_skip == 1
    env.reset()
    truncs = [env.step(0)[3] for _ in range(7)]  # NOOP: no win, no death
    assert truncs == [False] * 6 + [True]


def test_configs_without_target_get_the_factory_of_their_name() -> None:
    maps = [generate_level("very_simple", 100000000).map_data]
    old = {"name": "npp", "frame_skip": 4, "max_frames": 2000, "reward": {"win": 2.0}, "observation": ["game_state"]}
    env = make_env(old, levels=maps)
    assert env.unwrapped.rewards.win == 2.0 and env.unwrapped.max_frames == 2000
    with pytest.raises(UserFacingError, match="names no env factory"):
        make_env({"name": "atari"})
    with pytest.raises(UserFacingError, match="reward_shaping"):
        make_env(old, levels=maps, reward_shaping="potential")


def test_pokemon_options_instantiate_their_game_in_the_policy_format() -> None:
    env = make_env(_env_cfg(["env=pokemon_standin", "env.image_size=32"]), obs_key="image")
    obs, _ = env.reset(seed=1)
    assert obs["image"].shape == (3, 32, 32) and env.raw_observation is not None
    env.close()
