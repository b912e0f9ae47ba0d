"""stage=takeover: an untrained student on planner demos; the expert's won continuations become replays
whose student blocks carry no labels, listed in takeover.json; rounds are replaced, not mixed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from npp_sim.formats import read_demo
from npp_sim.planner import block_constant
from npp_sim.simulator import run_inputs
from rl_support import tiny_checkpoint

from imitation_pipeline.dagger.takeover import branch_blocks, demo_levels


def test_branch_blocks() -> None:
    assert branch_blocks("won", 50, [4, 12], [0.125, 0.333]) == []
    assert branch_blocks("dead", 50, [4, 12], [0.125, 0.333]) == [38, 46]
    assert branch_blocks("dead", 6, [4, 12], [0.125, 0.333]) == [2]  # not before the first decision
    assert branch_blocks("timeout", 100, [4, 12], [0.125, 0.333]) == [12, 33]
    with pytest.raises(ValueError, match="unknown outcome"):
        branch_blocks("lost", 10, [4], [0.5])


@pytest.fixture(scope="module")
def takeover_run(module_cfg, demo_dir, tmp_path_factory):
    from imitation_pipeline.stages import takeover

    root = tmp_path_factory.mktemp("takeover")
    demos = root / "demos"
    shutil.copytree(demo_dir, demos)
    ckpt = tiny_checkpoint(root / "student.pt")
    args = ("stage=takeover", f"takeover.checkpoint={ckpt}", f"dataset.path={demos}",
            "takeover.max_episode_frames=600")
    first = takeover.run(module_cfg(*args, f"run_dir={root / 'r1'}"))["rounds"][0]
    manifest1 = json.loads((demos / "takeover.json").read_text())
    again = takeover.run(module_cfg(*args, f"run_dir={root / 'r1b'}"))
    second = takeover.run(module_cfg(*args, "takeover.round=2", f"run_dir={root / 'r2'}"))
    return {"demos": demos, "first": first, "manifest1": manifest1, "again": again, "second": second}


def test_takeover_demos_are_the_student_then_the_expert(takeover_run) -> None:
    demos, first, manifest = takeover_run["demos"], takeover_run["first"], takeover_run["manifest1"]
    per = first["per_category"]
    assert sum(s["levels"] for s in per.values()) == 6  # one per demonstrated level, not per replay
    assert sum(s["student_won"] for s in per.values()) < 6  # an untrained student fails somewhere
    assert first["written"] == len(manifest["demos"]) > 0
    for row in manifest["demos"]:
        demo = read_demo(demos / row["file"])
        extra = demo.meta["extra"]
        assert demo.meta["recorder"] == "planner-takeover" and demo.meta["level_id"] == row["level_id"]
        assert extra["noise_blocks"] == list(range(row["branch"])) and extra["decision_frame_skip"] == 4
        assert extra["takeover"]["round"] == 1 and extra["takeover"]["student"] in ("dead", "timeout")
        inputs = np.asarray(demo.inputs)
        assert block_constant(inputs, 4) and run_inputs(demo.map_data, inputs).outcome == "won"
    # takeover demos are not levels of their own
    assert len(demo_levels(demos)[0]) == 6


def test_rerunning_a_round_replaces_it_and_other_rounds_stay(takeover_run) -> None:
    demos = takeover_run["demos"]
    manifest = json.loads((demos / "takeover.json").read_text())
    round1 = [r for r in manifest["demos"] if r["round"] == 1]
    assert sorted(r["file"] for r in round1) == sorted(r["file"] for r in takeover_run["manifest1"]["demos"])
    assert [r for r in manifest["demos"] if r["round"] == 2]  # round 2 (another seed) added its own
    listed = {r["file"] for r in manifest["demos"]}
    on_disk = {p.name for p in demos.glob("*.takeover*.replay")}
    assert listed == on_disk  # nothing left over from the replaced round


def test_generate_trains_only_on_the_expert_part(takeover_run, tmp_path) -> None:
    from imitation_pipeline.data.generation import ObsConfig, generate_shards

    demos = takeover_run["demos"]
    row = takeover_run["manifest1"]["demos"][0]
    only = tmp_path / "one"
    only.mkdir()
    shutil.copy(demos / row["file"], only / row["file"])
    _, manifest = generate_shards(only, tmp_path / "cache", ObsConfig(("game_state",), stride=4), progress=False)
    rec, = manifest["shards"]
    assert rec["samples"] == -(-row["frames"] // 4) - row["branch"]


def test_bad_input_is_one_clear_error(cfg, tmp_path) -> None:
    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.stages import takeover

    with pytest.raises(UserFacingError, match="nowhere: replay directory not found"):
        takeover.run(cfg("stage=takeover", f"dataset.path={tmp_path / 'nowhere'}"))
    with pytest.raises(UserFacingError, match="use env=npp"):
        takeover.run(cfg("stage=takeover", "env=pokemon_standin", "dataset=pokemon_npz", f"dataset.path={tmp_path}"))


def test_rounds_without_a_checkpoint_train_the_student_on_the_demos_so_far(cfg, demo_dir, tmp_path) -> None:
    from imitation_pipeline.stages import takeover

    demos = tmp_path / "demos"
    shutil.copytree(demo_dir, demos)
    out = takeover.run(cfg("stage=takeover", f"dataset.path={demos}", "takeover.rounds=2", "bc.max_replays=0",
                           "takeover.max_episode_frames=600"))
    first, second = out["rounds"]
    assert (first["round"], second["round"]) == (1, 2)
    assert Path(first["bc"]["best_checkpoint"]).is_file() and Path(second["bc"]["best_checkpoint"]).is_file()
    # the second student was trained on the clean demos and the first round's takeover demos
    replays = lambda s: s["bc"]["train_replays"] + s["bc"]["val_replays"]  # noqa: E731
    assert replays(first) == 6 and replays(second) == 6 + first["written"] > 6
    assert out["takeover_demos"] == first["written"] + second["written"]
