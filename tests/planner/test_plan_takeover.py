"""Expert takeover (npp_sim.planner.takeover): the student's prefix, then the expert from the student's state."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim.planner import block_constant
from npp_sim.planner.expert import ACTION_INPUT_BYTES
from npp_sim.planner.takeover import takeover_episode, takeover_job
from npp_sim.simulator import run_inputs


def _student(n: int) -> list[int]:
    """A student that runs left into the wall, then stands still: it never wins on its own."""
    return [1] * (n // 2) + [0] * (n - n // 2)


def test_takeover_keeps_the_student_prefix_and_wins(simple_level):
    student = _student(30)
    inputs, blocks, outcome = takeover_episode(simple_level, student, 10, frame_skip=4, replan_nodes=2000)
    assert outcome == "won" and blocks == list(range(10))
    # the first 10 blocks are the student's actions exactly, held 4 frames each
    assert np.array_equal(inputs[:40], np.repeat([ACTION_INPUT_BYTES[a] for a in student[:10]], 4))
    assert block_constant(inputs, 4)  # the whole replay is executable at the decision rate
    tr = run_inputs(simple_level, inputs)
    assert tr.outcome == "won" and tr.outcome_frame == len(inputs)


def test_takeover_reports_a_student_that_already_ended(simple_level):
    # the student's 900 NOOP blocks reach the frame limit before the branch: nothing to take over
    _, blocks, outcome = takeover_episode(simple_level, [0] * 900, 900, frame_skip=4, max_frames=400)
    assert outcome == "student_ended" and blocks == list(range(900))
    with pytest.raises(ValueError, match="branch 31 outside"):
        takeover_episode(simple_level, _student(30), 31)


def test_takeover_job_returns_the_replay_only_when_won(simple_level):
    settings = {"frame_skip": 4, "max_frames": 6000, "replan_nodes": 2000}
    won = takeover_job({"map_hex": simple_level.hex(), "actions": _student(30), "branch": 5, "settings": settings})
    assert won["outcome"] == "won" and won["student_blocks"] == list(range(5))
    assert run_inputs(simple_level, np.frombuffer(bytes.fromhex(won["inputs_hex"]), np.uint8)).outcome == "won"
    # 4 frames left to the expert after the student's 20: it cannot win, and nothing is returned to write
    short = takeover_job({"map_hex": simple_level.hex(), "actions": _student(30), "branch": 5,
                          "settings": {**settings, "max_frames": 24}})
    assert short["outcome"] == "timeout" and "inputs_hex" not in short


def test_build_demos_keeps_the_files_of_both_derived_manifests(tmp_path) -> None:
    import json

    from npp_sim.planner.build_demos import _derived_files

    (tmp_path / "takeover.json").write_text(json.dumps({"demos": [{"file": "a.takeover1-3.replay"}]}))
    (tmp_path / "self_demos.json").write_text(json.dumps({"demos": [{"file": "a.self1-0.replay"}]}))
    assert _derived_files(tmp_path) == {"a.takeover1-3.replay", "a.self1-0.replay"}
    (tmp_path / "self_demos.json").write_text("not json")
    assert _derived_files(tmp_path) == {"a.takeover1-3.replay"}
