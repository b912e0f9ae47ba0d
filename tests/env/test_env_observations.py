"""The gymnasium env and the one observation builder shared with replay regeneration."""

from __future__ import annotations

import warnings

import gymnasium as gym
import npp_sim
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from npp_sim.env import ACTION_CONTROLS, ACTION_INPUT_BYTES, NppEnv
from npp_sim.inputs import decode_inputs
from npp_sim.observation_spec import GAME_STATE_FIELDS, MODALITIES
from npp_sim.observations import ObservationBuilder
from npp_sim.regenerate import actions_of_inputs, iter_replay, regenerate
from npp_sim.simulator import Simulator

ALL = list(MODALITIES)
REPLAY = "20251022_142003_train_mine_heavy_100002"  # mines, drones, thwumps, bounce blocks...


@pytest.fixture(scope="module")
def replay(npp_reference):
    z = np.load(npp_reference / "traces" / f"{REPLAY}.npz")
    return z["map_data"].tobytes(), z["input_byte"].copy()


def _assert_obs_equal(a: dict, b: dict, where: str) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{k} differs at {where}"


@pytest.mark.parametrize("modalities", [[m] for m in MODALITIES] + [ALL, ["player_frame", "game_state"]])
def test_check_env_passes_for_every_observation_config(replay, modalities) -> None:
    env = NppEnv(levels=[replay[0]], observation=modalities)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the checker's warnings count as failures
        check_env(env, skip_render_check=True)


def test_registered_id_and_spaces(replay) -> None:
    env = gym.make(npp_sim.ENV_ID, levels=[replay[0]], observation=ALL)
    assert env.action_space == gym.spaces.Discrete(6)
    assert set(env.observation_space.spaces) >= {"player_frame", "global_view", "game_state", "entities"}
    assert len(GAME_STATE_FIELDS) == env.observation_space["game_state"].shape[0]
    env.close()


def test_actions_match_recorded_input_bytes() -> None:
    actions = actions_of_inputs(np.array(ACTION_INPUT_BYTES, np.uint8))
    assert actions.tolist() == [0, 1, 2, 3, 4, 5]
    hor, jump = decode_inputs(np.array(ACTION_INPUT_BYTES, np.uint8))
    assert list(zip(hor.tolist(), jump.tolist(), strict=True)) == list(ACTION_CONTROLS)


def test_observation_is_the_state_before_the_action(replay) -> None:
    """obs_t depends on inputs[:t] only: the label (input t) can never leak into it."""
    map_data, inputs = replay
    builder = ObservationBuilder(ALL)
    obs, actions, frames = regenerate(map_data, inputs, builder)
    hor, jump = decode_inputs(inputs)
    for t in (0, 1, 57, len(inputs) - 1):
        sim = Simulator(map_data)
        for i in range(t):
            sim.tick(int(hor[i]), int(jump[i]))
        before = builder.observe(sim)
        _assert_obs_equal({k: v[t] for k, v in obs.items()}, before, f"frame {t}")
        for other in range(6):  # any next action: the observation is already fixed
            s2 = Simulator(map_data)
            for i in range(t):
                s2.tick(int(hor[i]), int(jump[i]))
            _assert_obs_equal(builder.observe(s2), before, f"frame {t}, action {other}")
    assert frames.tolist() == list(range(len(inputs)))
    assert actions.tolist() == actions_of_inputs(inputs).tolist()


def test_replay_and_env_observations_are_identical(replay) -> None:
    map_data, inputs = replay
    env = NppEnv(levels=[map_data], observation=ALL, max_frames=100_000)
    obs, info = env.reset(seed=0)
    regen, actions, _ = regenerate(map_data, inputs, ObservationBuilder(ALL, max_frames=100_000))
    for t, action in enumerate(actions):
        _assert_obs_equal({k: v[t] for k, v in regen.items()}, obs, f"step {t}")
        obs, reward, terminated, truncated, info = env.step(int(action))
        if terminated:
            break
    # the replay ends on the frame it is won, so the env must report success exactly there
    assert terminated and info["is_success"] and t == len(actions) - 1
    assert reward > 0.9


def test_iterating_and_batch_regeneration_agree(replay) -> None:
    map_data, inputs = replay
    builder = ObservationBuilder(ALL)
    obs, actions, _ = regenerate(map_data, inputs[:80], builder, stride=3)
    seen = []
    for i, (t, o, a) in enumerate(iter_replay(map_data, inputs[:80], builder, stride=3)):
        _assert_obs_equal({k: v[i] for k, v in obs.items()}, o, f"row {i}")  # o is reused: compare now
        assert a == actions[i]
        seen.append(t)
    assert seen == list(range(0, 80, 3))


def test_rewards_truncation_and_frame_skip(replay) -> None:
    map_data, _ = replay
    env = NppEnv(levels=[map_data], frame_skip=4, max_frames=10,
                 reward={"win": 1.0, "death": -0.5, "switch": 0.1, "time_penalty": -0.01})
    env.reset(seed=1)
    _, r, term, trunc, info = env.step(0)
    assert info["frame"] == 4 and r == pytest.approx(-0.04) and not term and not trunc
    env.step(0)
    _, r, term, trunc, info = env.step(0)
    assert info["frame"] == 10 and trunc and not term  # truncated at max_frames, not past it
    with pytest.raises(ValueError, match="invalid action"):
        env.step(7)


def test_reset_level_choice_and_determinism(replay) -> None:
    map_data, _ = replay
    env = NppEnv(levels=[map_data, map_data], observation=["game_state"])
    a, _ = env.reset(seed=3)
    b, info = env.reset(options={"level_index": 1})
    assert info["level_index"] == 1 and np.array_equal(a["game_state"], b["game_state"])
    with pytest.raises(ValueError, match="level_index"):
        env.reset(options={"level_index": 5})


def test_rgb_render(replay) -> None:
    env = NppEnv(levels=[replay[0]], render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (600, 1056, 3) and frame.dtype == np.uint8 and frame.std() > 0


def test_graph_links_ninja_and_entities_to_their_cells(replay) -> None:
    sim = Simulator(replay[0])
    obs = ObservationBuilder(["graph"]).observe(sim)
    types, nmask = obs["graph_node_types"], obs["graph_node_mask"].astype(bool)
    eidx, etypes, emask = obs["graph_edge_index"].astype(int), obs["graph_edge_types"], obs["graph_edge_mask"].astype(bool)
    feats = obs["graph_node_feats"]
    ninja = int(np.flatnonzero((types == 1) & nmask)[0])
    ninja_edges = eidx[:, emask & (etypes == 3)]
    assert ninja_edges.shape[1] == 2  # one pair, both directions
    assert set(ninja_edges[0]) == set(ninja_edges[1]) and ninja in ninja_edges[0]
    cell = int(ninja_edges[0][ninja_edges[0] != ninja][0])
    cx, cy = int(sim.ninja_x // 24), int(sim.ninja_y // 24)  # the cell holding the ninja, by its centre
    assert feats[cell, 0] == pytest.approx((cx * 24 + 12) / 1056) and feats[cell, 1] == pytest.approx((cy * 24 + 12) / 600)
    n_entity_pairs = int((emask & (etypes == 2)).sum())
    assert n_entity_pairs % 2 == 0 and n_entity_pairs > 0
    assert not (eidx[:, ~emask] != 0).any()  # padding edges point 0 -> 0
