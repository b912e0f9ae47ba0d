"""Episodes that start on demonstrated states: ``NppEnv.reset(options={"start_inputs": ...})``, the
``DemoStarts`` wrapper, and the loader that finds a training level's winning demonstrations."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim.demo_starts import DemoStarts, winning_prefix
from npp_sim.env import INPUT_BYTE_TO_ACTION, NppEnv
from npp_sim.formats import write_demo
from npp_sim.levelgen import generate_level
from npp_sim.observations import ObservationBuilder
from npp_sim.planner import solve
from npp_sim.simulator import Simulator, run_inputs

from imitation_pipeline.errors import UserFacingError
from imitation_pipeline.rl.demo_starts import demo_starts_for

FS = 4


@pytest.fixture(scope="module")
def solved():
    """Two very_simple levels and a planner solution of each, held in blocks of FS frames."""
    out = []
    for seed in (100000000, 100000001):
        level = generate_level("very_simple", seed)
        result = solve(level.map_data, budget_s=20, frame_skip=FS)
        assert result.success
        out.append((level, np.asarray(result.inputs, dtype=np.uint8)))
    return out


def test_start_inputs_restore_the_demonstrated_state_exactly(solved) -> None:
    level, inputs = solved[0]
    env = NppEnv([level.map_data], frame_skip=FS, observation=("player_frame", "game_state"))
    k = 3 * FS
    obs, info = env.reset(options={"level_index": 0, "start_inputs": inputs[:k]})
    sim = Simulator(level.map_data)
    for b in inputs[:k]:
        sim.tick((b >> 1 & 1) - (b >> 2 & 1), b & 1)
    assert info["frame"] == k
    assert (env.sim.ninja_x, env.sim.ninja_y) == (sim.ninja_x, sim.ninja_y)
    expected = ObservationBuilder(("player_frame", "game_state"), max_frames=env.max_frames).observe(sim)
    for key in expected:
        np.testing.assert_array_equal(obs[key], expected[key])
    # playing on with the demonstration's own labels from there wins the episode
    done = False
    for t in range(k, len(inputs), FS):
        _, _, done, _, info = env.step(INPUT_BYTE_TO_ACTION[int(inputs[t])])
        if done:
            break
    assert done and info["is_success"]


def test_start_inputs_that_end_the_episode_are_refused(solved) -> None:
    level, inputs = solved[0]
    env = NppEnv([level.map_data], frame_skip=FS)
    with pytest.raises(ValueError, match="start_inputs end the episode at frame"):
        env.reset(options={"level_index": 0, "start_inputs": inputs})  # the whole demo: it wins


def test_a_switch_hit_in_the_prefix_is_not_rewarded_again(solved) -> None:
    level, inputs = solved[0]
    sim = Simulator(level.map_data)
    hit = 0  # the first frame after which the switch is active
    for b in inputs:
        hit += 1
        sim.tick((b >> 1 & 1) - (b >> 2 & 1), b & 1)
        if sim.switch_activated:
            break
    start = -(-hit // FS) * FS
    env = NppEnv([level.map_data], frame_skip=FS, reward={"switch": 5.0, "time_penalty": 0.0})
    env.reset(options={"level_index": 0, "start_inputs": inputs[:start]})
    assert env.sim.switch_activated
    rewards = []
    for t in range(start, len(inputs), FS):
        _, r, done, _, _ = env.step(INPUT_BYTE_TO_ACTION[int(inputs[t])])
        rewards.append(r)
        if done:
            break
    assert done and max(rewards) < 5.0  # the win (1.0) only: the switch's 5.0 was earned before the start


def test_demo_starts_share_and_start_frames(solved) -> None:
    maps = [lv.map_data for lv, _ in solved] + [generate_level("simple", 101000000).map_data]
    demos = {0: [winning_prefix(solved[0][0].map_data, solved[0][1])],
             1: [winning_prefix(solved[1][0].map_data, solved[1][1])]}  # level 2 has no demonstration
    env = DemoStarts(NppEnv(maps, frame_skip=FS), demos, prob=0.5, frame_skip=FS)
    env.reset(seed=3)
    starts = {0: [], 1: [], 2: []}
    for _ in range(300):
        _, info = env.reset()
        starts[info["level_index"]].append(info["start_frame"])
        assert info["frame"] == info["start_frame"]
    assert starts[2] and set(starts[2]) == {0}  # no demonstration: always the spawn
    for i in (0, 1):
        s = np.array(starts[i])
        assert np.all(s % FS == 0) and np.all(s < len(demos[i][0]))
        assert 0.3 < np.mean(s > 0) < 0.7  # about half start on a demonstrated state
    never = DemoStarts(NppEnv(maps, frame_skip=FS), demos, prob=0.0, frame_skip=FS)
    assert {never.reset(seed=s)[1]["start_frame"] for s in range(20)} == {0}
    # the same seed draws the same starts
    a = DemoStarts(NppEnv(maps, frame_skip=FS), demos, prob=0.5, frame_skip=FS)
    b = DemoStarts(NppEnv(maps, frame_skip=FS), demos, prob=0.5, frame_skip=FS)
    assert [a.reset(seed=7)[1]["start_frame"]] + [a.reset()[1]["start_frame"] for _ in range(20)] == \
           [b.reset(seed=7)[1]["start_frame"]] + [b.reset()[1]["start_frame"] for _ in range(20)]
    with pytest.raises(ValueError, match="probability"):
        DemoStarts(NppEnv(maps, frame_skip=FS), demos, prob=1.5, frame_skip=FS)
    with pytest.raises(ValueError, match="level indices"):
        DemoStarts(NppEnv(maps, frame_skip=FS), {5: demos[0]}, prob=0.5, frame_skip=FS)


def test_loader_keeps_winning_demos_of_the_training_maps_and_names_the_rest(solved, tmp_path) -> None:
    (lv0, in0), (lv1, in1) = solved
    write_demo(tmp_path / "a.replay", lv0.map_data, in0, success=True)
    write_demo(tmp_path / "b.replay", lv0.map_data, np.zeros(40, np.uint8), success=False)  # never wins
    write_demo(tmp_path / "c.replay", lv1.map_data, in1, success=True)  # another map than the training ones
    (tmp_path / "d.replay").write_bytes(b"\x01\x00")  # not a demonstration
    demos, report = demo_starts_for(str(tmp_path), [lv0.map_data])
    assert list(demos) == [0] and demos[0] == [bytes(in0[: run_inputs(lv0.map_data, in0).outcome_frame])]
    assert report["not_won"] == ["b.replay"] and report["files_on_other_maps"] == 1
    assert len(report["unreadable"]) == 1 and "d.replay" in report["unreadable"][0]
    with pytest.raises(UserFacingError, match="no winning demonstration"):
        demo_starts_for(str(tmp_path), [generate_level("simple", 101000000).map_data])
    with pytest.raises(UserFacingError, match="finetune.demo_starts_dir"):
        demo_starts_for(str(tmp_path / "missing"), [lv0.map_data])


def test_env_spec_with_demo_starts_builds_envs_that_start_on_them(solved) -> None:
    """The picklable recipe SubprocVecEnv workers build PPO's training envs from carries the demo starts."""
    import pickle

    from npp_sim.shaping import PathShaping

    from imitation_pipeline.rl.envs import EnvSpec

    (lv0, in0), _ = solved
    spec = EnvSpec(maps=[lv0.map_data], names=["a"], observation=["game_state"], frame_skip=FS, max_frames=20000,
                   max_episode_steps=100, shaping="path_progress",
                   demo_starts={0: [winning_prefix(lv0.map_data, in0)]}, demo_start_prob=1.0)
    env = pickle.loads(pickle.dumps(spec))()
    assert isinstance(env.env, PathShaping) and isinstance(env.env.env, DemoStarts)  # TimeLimit outermost
    frames = {env.reset(seed=s)[1]["start_frame"] for s in range(30)}
    assert len(frames) > 3 and all(f % FS == 0 for f in frames)
    plain = EnvSpec(maps=[lv0.map_data], names=["a"], observation=["game_state"], frame_skip=FS, max_frames=20000,
                    max_episode_steps=100)()
    assert "start_frame" not in plain.reset(seed=0)[1]
