"""DemoRecorder / record_episode / replay_demo / DemoWriter: recordings replay to the same run."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from npp_sim.env import ACTION_CONTROLS, ACTION_INPUT_BYTES, NppEnv
from npp_sim.formats import read_demo
from npp_sim.simulator import run_inputs

from recorders import (
    DemoRecorder,
    DemoWriter,
    RecordingError,
    action_to_input,
    input_byte,
    input_to_controls,
    record_episode,
    replay_demo,
)

CLOCK = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
RIGHT, LEFT_JUMP = 2, 4


def _run_right(rec: DemoRecorder) -> DemoRecorder:
    while not rec.done:
        rec.step(RIGHT)
    return rec


def _assert_replays(path_or_demo, rec: DemoRecorder) -> None:
    trace = replay_demo(path_or_demo)
    assert trace.outcome == rec.outcome
    assert trace.frames == rec.frames
    if rec.outcome != "neither":
        assert trace.outcome_frame == rec.frames  # the recording ends on the terminal frame
    assert trace.x[-1] == rec.sim.ninja_x
    assert trace.y[-1] == rec.sim.ninja_y


# --- input encoding ------------------------------------------------------------------------------
def test_actions_map_to_the_env_input_bytes_and_controls():
    for action, (byte, controls) in enumerate(zip(ACTION_INPUT_BYTES, ACTION_CONTROLS, strict=True)):
        assert action_to_input(action) == byte
        assert input_to_controls(byte) == controls
    with pytest.raises(ValueError, match='action must be an int in 0..5, got 6'):
        action_to_input(6)
    with pytest.raises(ValueError, match='input byte must be in 0..15, got 16'):
        input_to_controls(16)


def test_input_byte_from_held_keys():
    assert input_byte(False, False, False) == 0
    assert input_byte(True, False, False) == 4
    assert input_byte(False, True, False) == 2
    assert input_byte(False, False, True) == 1
    assert input_byte(True, False, True) == 5
    assert input_byte(False, True, True) == 3
    assert input_byte(True, True, False) == 0  # left + right cancel
    assert input_byte(True, True, True) == 1


def test_step_takes_actions_and_step_input_takes_bytes(rs):
    rec = DemoRecorder(rs.corridor_map())
    rec.step(1)  # LEFT
    rec.step_input(1)  # jump
    rec.step(LEFT_JUMP)
    assert rec.inputs.tolist() == [4, 1, 5]
    assert rec.inputs.dtype == np.uint8


# --- recording and replaying -----------------------------------------------------------------------
def test_won_recording_saves_and_replays(tmp_path, rs):
    rec = _run_right(DemoRecorder(rs.corridor_map(), level_id="corr", category="very_simple"))
    assert rec.won and not rec.dead and rec.outcome == "won"
    assert rec.frames == 90 and set(rec.inputs.tolist()) == {2}
    path = rec.save(tmp_path / "a.replay", recorder="unit")
    demo = read_demo(path)
    assert demo.format == "v2" and demo.success is True
    assert demo.map_data == rs.corridor_map()
    assert np.array_equal(demo.inputs, rec.inputs)
    assert demo.meta["level_id"] == "corr" and demo.meta["category"] == "very_simple"
    assert demo.meta["recorder"] == "unit" and demo.meta["frame_skip"] == 1
    assert demo.meta["extra"] == {"frames": 90, "outcome": "won"}
    trace = run_inputs(demo.map_data, demo.inputs)
    assert trace.outcome == "won" and trace.outcome_frame == 90
    _assert_replays(path, rec)


def test_death_is_saved_as_failure_and_replays_as_died(tmp_path, rs):
    rec = DemoRecorder(rs.pit_map())
    while not rec.done:
        rec.step(0)
    assert rec.dead and rec.outcome == "died"
    demo = read_demo(rec.save(tmp_path / "d.replay", level_id="pit", category="x"))
    assert demo.success is False and demo.meta["level_id"] == "pit"
    _assert_replays(demo, rec)


def test_stepping_after_the_end_is_refused_and_max_frames_truncates(rs):
    rec = _run_right(DemoRecorder(rs.corridor_map()))
    with pytest.raises(RecordingError):
        rec.step(0)
    rec = DemoRecorder(rs.corridor_map(), max_frames=10)
    while not rec.done:
        rec.step(0)
    assert rec.frames == 10 and rec.truncated and rec.outcome == "neither"
    rec.reset()
    assert rec.frames == 0 and not rec.done and rec.sim.frame == 0


def test_frame_skip_records_every_frame_and_can_store_decisions(tmp_path, rs):
    rec = _run_right(DemoRecorder(rs.corridor_map(), frame_skip=4))
    assert rec.won and rec.frames == 90  # the last step stops on the winning frame
    per_frame = read_demo(rec.save(tmp_path / "f1.replay"))
    assert per_frame.frames == 90 and per_frame.meta["frame_skip"] == 1
    decisions = read_demo(rec.save(tmp_path / "f4.replay", frame_skip=4))
    assert decisions.frames == 23 and decisions.meta["frame_skip"] == 4
    _assert_replays(per_frame, rec)
    _assert_replays(decisions, rec)
    mixed = DemoRecorder(rs.corridor_map())
    for a in (2, 2, 0, 2):
        mixed.step(a)
    with pytest.raises(ValueError, match="inside a block"):
        mixed.save(tmp_path / "bad.replay", frame_skip=2)
    assert not (tmp_path / "bad.replay").exists()


def test_snapshot_restore_branches_the_recording(rs):
    rec = DemoRecorder(rs.corridor_map())
    for _ in range(20):
        rec.step(RIGHT)
    snap = rec.snapshot()
    x = rec.sim.ninja_x
    for _ in range(15):
        rec.step(1)
    rec.restore(snap)
    assert rec.frames == 20 and rec.sim.ninja_x == x
    _run_right(rec)
    assert rec.won and rec.frames == 90
    assert run_inputs(rec.map_data, rec.inputs).outcome == "won"


def test_record_episode_from_map_bytes(rs):
    rec = record_episode(rs.corridor_map(), lambda r: RIGHT, max_frames=500, level_id="c")
    assert rec.won and rec.level_id == "c" and rec.frames == 90
    rec = record_episode(rs.corridor_map(), lambda r: 0, max_frames=30)
    assert rec.truncated and rec.frames == 30


def test_record_episode_from_env_mirrors_the_env_frames(rs):
    env = NppEnv(levels=[rs.corridor_map(), rs.corridor_map(16)], frame_skip=3,
                 level_names=["short", "long"])
    calls = []

    def policy(obs):
        calls.append(obs)
        return RIGHT

    rec = record_episode(env, policy, level_index=1)
    assert rec.won and rec.level_id == "long"
    assert rec.frames == env.unwrapped.sim.frame  # one byte per simulator frame
    assert len(calls) == -(-rec.frames // 3)
    assert rec.map_data == rs.corridor_map(16)
    assert run_inputs(rec.map_data, rec.inputs).outcome_frame == rec.frames


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.integers(0, 5), min_size=1, max_size=200))
def test_random_recordings_replay_to_the_same_final_state(tmp_path, rs, actions):
    rec = DemoRecorder(rs.corridor_map(20))
    for a in actions:
        if rec.done:
            break
        rec.step(a)
    path = rec.save(tmp_path / "r.replay")
    assert read_demo(path).success is rec.won
    _assert_replays(path, rec)


# --- DemoWriter ---------------------------------------------------------------------------------
def test_writer_names_saves_and_counts(tmp_path, rs):
    w = DemoWriter(tmp_path / "out", recorder="unit", clock=lambda: CLOCK)
    won = _run_right(DemoRecorder(rs.corridor_map(), level_id="corr", category="simple"))
    p1 = w.finish(won)
    assert p1.name == "corr_20240102T030405Z_1.replay"
    demo = read_demo(p1)
    assert demo.success and demo.meta["recorder"] == "unit"
    assert demo.meta["created"] == "2024-01-02T03:04:05Z"
    _assert_replays(p1, won)
    p2 = w.finish(won)
    assert p2.name == "corr_20240102T030405Z_2.replay"

    died = DemoRecorder(rs.pit_map(), level_id="pit")
    while not died.done:
        died.step(0)
    assert w.finish(died) is None
    partial = DemoRecorder(rs.corridor_map(), level_id="corr")
    partial.step(RIGHT)
    assert w.finish(partial, discarded=True) is None
    assert w.finish(DemoRecorder(rs.corridor_map(), level_id="corr")) is None  # no frames: ignored
    s = w.stats
    assert (s.attempts, s.wins, s.deaths, s.discarded, s.saved) == (4, 2, 1, 1, 2)
    assert s.frames == 90 + 90 + died.frames + 1 and s.frames_saved == 180
    assert s.levels_played == 2
    assert s.as_dict()["levels_played"] == 2 and "saved demos 2" in s.summary()
    assert w.paths == [p1, p2]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p1.name, p2.name]


def test_writer_skips_existing_names_sanitises_ids_and_can_save_failures(tmp_path, rs):
    (tmp_path / "a-b_20240102T030405Z_1.replay").write_bytes(b"x")
    w = DemoWriter(tmp_path, save_failures=True, clock=lambda: CLOCK)
    died = DemoRecorder(rs.pit_map(), level_id="a/b")
    while not died.done:
        died.step(0)
    p = w.finish(died)
    assert p.name == "a-b_20240102T030405Z_2.replay"
    assert read_demo(p).success is False
    assert w.stats.saved == 1 and w.stats.deaths == 1
