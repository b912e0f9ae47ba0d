"""Noisy expert demos (DART): the expert recovers from injected blocks; generate drops the noise labels."""

from __future__ import annotations

import numpy as np
from npp_sim.formats import write_demo
from npp_sim.planner import block_constant, solve
from npp_sim.planner.noisy import noisy_expert_episode
from npp_sim.simulator import run_inputs

from imitation_pipeline.data.generation import ObsConfig, generate_shards
from imitation_pipeline.data.shards import read_shard


def test_noisy_episode_recovers_and_is_executable(simple_level):
    clean = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    inputs, noise_blocks, outcome = noisy_expert_episode(simple_level, frame_skip=4, noise=0.3, seed=5,
                                                         replan_nodes=2000, plan=clean)
    assert outcome == "won" and len(noise_blocks) >= 3
    assert block_constant(inputs, 4)
    tr = run_inputs(simple_level, inputs)
    assert tr.outcome == "won" and tr.outcome_frame == len(inputs)
    assert not np.array_equal(inputs[:len(clean)], clean)  # the noise did change the run
    # noise 0: the expert follows the given plan exactly (with canonical labels, as it caches plans)
    from npp_sim.canonical import canonical_inputs

    same, none, _ = noisy_expert_episode(simple_level, frame_skip=4, noise=0.0, plan=clean)
    assert none == [] and np.array_equal(same, canonical_inputs(simple_level, clean, 4)[0])


def test_late_noise_holds_the_previous_action_where_the_expert_switches(simple_level):
    """``noise_kind="late"``: every injected block repeats the block before it, at a decision where the expert
    changed its action; with noise 1 the first action is held for ever (every switch is delayed)."""
    import pytest

    clean = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    inputs, noise_blocks, outcome = noisy_expert_episode(simple_level, frame_skip=4, noise=0.5, seed=3,
                                                         replan_nodes=2000, plan=clean, noise_kind="late")
    blocks = inputs[::4]
    assert outcome == "won" and len(noise_blocks) >= 2 and block_constant(inputs, 4)
    assert 0 not in noise_blocks and all(blocks[b] == blocks[b - 1] for b in noise_blocks)
    stuck, delayed, end = noisy_expert_episode(simple_level, frame_skip=4, noise=1.0, seed=3, max_frames=400,
                                               replan_nodes=500, plan=clean, noise_kind="late")
    assert len(set(stuck[::4].tolist())) == 1 and delayed and end != "won"
    with pytest.raises(ValueError, match="noise_kind must be one of random, late"):
        noisy_expert_episode(simple_level, noise=0.1, noise_kind="early")


def test_generate_leaves_noise_labels_out(simple_level, tmp_path):
    clean = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    inputs, noise_blocks, _ = noisy_expert_episode(simple_level, frame_skip=4, noise=0.3, seed=5,
                                                   replan_nodes=2000, plan=clean)
    d = tmp_path / "demos"
    d.mkdir()
    write_demo(d / "a.noisy0.replay", simple_level, inputs, success=True, level_id="lvl", category="simple",
               meta={"decision_frame_skip": 4, "noise_blocks": noise_blocks})
    path, manifest = generate_shards(d, tmp_path / "cache", ObsConfig(("game_state",), stride=4), progress=False)
    rec, = manifest["shards"]
    blocks = -(-len(inputs) // 4)
    assert rec["samples"] == blocks - len(noise_blocks)
    shard = read_shard(path.parent / rec["shard"], keys=["game_state"])
    assert not set(shard.frames.tolist()) & {4 * b for b in noise_blocks}
    assert shard.meta["noise_samples_dropped"] == len(noise_blocks)
