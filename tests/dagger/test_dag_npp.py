"""DAgger on N++ with the planner expert (asked with env.unwrapped.sim): one easy level, one tiny iteration.

Slow: the planner's compiled search dominates a cold run (about a minute on 2 busy cores)."""

from __future__ import annotations

import json

import pytest

from imitation_pipeline.checkpoint import load_checkpoint


@pytest.mark.slow
def test_dagger_with_the_planner_on_one_easy_level(tmp_path, cli) -> None:
    run = tmp_path / "npp"
    proc = cli(["stage=dagger", "env=npp", "arch=simple_cnn", "env.frame_skip=4", "dagger.iterations=1",
                "dagger.steps_per_iteration=30", "dagger.epochs_per_iteration=1", "dagger.batch_size=16",
                "dagger.npp_train_levels={very_simple: 1}", "dagger.npp_eval_levels={very_simple: 1}",
                "dagger.npp_max_frames=400", "logger=none", f"hydra.run.dir={run}"], tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / "dagger_summary.json").read_text())
    (it,) = summary["iterations"]
    assert summary["expert"] == "planner" and it["dataset_size"] == 30
    assert it["rollout"]["success_rate"] == 1.0  # beta = 1: the planner itself solves the easy level
    assert it["expert_stats"]["calls"] >= 30 and it["expert_stats"]["replan_solved"] >= 1
    assert set(it["eval"]) >= {"return", "length", "milestones", "success_rate"}
    ckpt = load_checkpoint(run / "checkpoints" / "iter_00.ckpt")
    assert ckpt["stage"] == "dagger" and ckpt["action_space"]["n"] == 6
    assert set(ckpt["observation_space"]["spaces"]) == {"player_frame", "game_state"}
