"""Simulator-side defects from the hardening issue: env defaults, a physics division by zero, the RGB
palette, file permissions of atomic writes."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest


def death_ball_on_spawn_map() -> bytes:
    """A map that passes every format check: a death ball exactly on the ninja's spawn, on a floor."""
    from npp_sim.levelgen import encode_map

    tiles = np.zeros((23, 42), np.uint8)
    tiles[22, :] = 1
    tiles[12:23, 10] = 1
    tiles[11, 12] = 14
    ents = [(0, 46, 52, 0, 0), (25, 46, 52, 0, 0), (3, 100, 80, 0, 0), (4, 120, 80, 0, 0)]
    return encode_map(tiles, ents)


def test_gym_make_without_arguments_uses_the_train_suite() -> None:
    import gymnasium as gym
    import npp_sim  # noqa: F401  (registers NPP-v0)
    from gymnasium.utils.env_checker import check_env

    env = gym.make("NPP-v0")
    check_env(env.unwrapped, skip_render_check=True)
    _, info = env.reset(seed=0)
    assert info["level_name"].split("/")[0] in ("very_simple", "simple", "medium", "complex", "mine_heavy",
                                                "exploration")
    assert len(env.unwrapped._levels) == 26
    env.close()


def test_death_ball_on_the_spawn_kills_without_dividing_by_zero() -> None:
    from npp_sim.simulator import run_inputs

    trace = run_inputs(death_ball_on_spawn_map(), np.zeros(60, np.uint8))
    assert trace.outcome == "died"


def test_env_step_on_the_death_ball_map() -> None:
    from npp_sim.env import NppEnv

    env = NppEnv([death_ball_on_spawn_map()])
    env.reset(seed=0)
    _, _, terminated, _, info = env.step(0)
    assert terminated and info["dead"]


def test_rgb_ninja_is_visible_on_empty_cells_and_tiles() -> None:
    from npp_sim import render as R

    for bg in (R.RGB_EMPTY, R.RGB_SOLID):
        assert np.abs(R.RGB_NINJA.astype(int) - bg.astype(int)).sum() >= 200


def test_env_and_recorder_draw_the_ninja_in_the_same_colour() -> None:
    import inspect

    from npp_sim import render as R
    from npp_sim.env import NppEnv

    env = NppEnv(render_mode="rgb_array")
    env.reset(seed=0, options={"level_index": 0})
    frame = env.render()
    x, y = round(env.sim.ninja_x), round(env.sim.ninja_y)
    assert tuple(frame[y, x]) == tuple(R.RGB_NINJA)
    keyboard = pytest.importorskip("recorders.keyboard")
    assert "ninja_rgb" not in inspect.getsource(keyboard.RecorderWindow)  # no colour of its own


@pytest.fixture()
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_formats_writes_honour_the_umask(tmp_path, umask_022) -> None:
    from npp_sim.formats import write_demo, write_v1
    from npp_sim.levelgen import generate_level

    level = generate_level("very_simple", 100_000_000)
    a = write_demo(tmp_path / "a.replay", level.map_data, np.zeros(10, np.uint8), success=False)
    b = write_v1(tmp_path / "b.replay", level.map_data, np.zeros(10, np.uint8), success=False)
    for p in (a, b):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p



def test_planner_manifest_honours_the_umask(tmp_path) -> None:
    from npp_sim.planner.build_demos import _atomic_json

    old = os.umask(0o027)  # a fixed 0o644 would show as group/other readable
    try:
        _atomic_json(tmp_path / "manifest.json", {"demos": []})
    finally:
        os.umask(old)
    p = tmp_path / "manifest.json"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640 and json.loads(p.read_text()) == {"demos": []}
    assert [q.name for q in tmp_path.iterdir()] == ["manifest.json"]  # no temporary file left

def test_two_death_balls_on_the_same_spot_do_not_divide_by_zero() -> None:
    from npp_sim.env import NppEnv
    from npp_sim.levelgen import encode_map
    from npp_sim.simulator import run_inputs

    tiles = np.zeros((23, 42), np.uint8)
    tiles[22, :] = 1
    ents = [(0, 20, 80, 0, 0), (25, 120, 40, 0, 0), (25, 120, 40, 0, 0), (3, 160, 80, 0, 0), (4, 150, 80, 0, 0)]
    m = encode_map(tiles, ents)
    trace = run_inputs(m, np.zeros(200, np.uint8))
    assert trace.outcome in ("died", "neither")
    env = NppEnv([m], observation=("game_state",))
    env.reset(seed=0)
    for _ in range(50):
        env.step(0)


def test_numba_cache_stamp_covers_every_compiled_module() -> None:
    """A kernel edit must recompile the observation and planner loops that inline it (numba alone
    only checks each function's own file), so the stamp hashes every module with cached code."""
    from pathlib import Path

    import npp_sim
    from npp_sim._jit_cache import _jit_sources

    pkg = Path(npp_sim.__file__).parent
    names = {p.relative_to(pkg).as_posix() for p in _jit_sources(pkg)}
    assert {"kernel.py", "world.py", "observations.py", "render.py", "planner/rollout.py", "relabel.py"} <= names
