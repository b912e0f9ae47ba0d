"""End to end: Pokemon BC (dataset=pokemon_npz arch=impala_cnn) and stage=dagger on the stand-in (in this
process), both writing checkpoints in the project schema; an oracle failure is one line, exit 2 (the CLI)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces

from imitation_pipeline.checkpoint import load_checkpoint
from imitation_pipeline.policies import build_policy


def _strict_load(ckpt: dict) -> None:
    space = spaces.Dict({k: spaces.Box(0, 255, tuple(v["shape"]), np.uint8)
                         for k, v in ckpt["observation_space"]["spaces"].items()})
    policy = build_policy(ckpt["arch"], space, spaces.Discrete(ckpt["action_space"]["n"]))
    missing, unexpected = policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    assert not missing and not unexpected


def test_pokemon_bc_writes_schema_checkpoints(tiny_demos, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    run = tmp_path / "bc"
    summary = bc.run(cfg("stage=bc", "dataset=pokemon_npz", "arch=impala_cnn", "arch.channels=[8,8,8]",
                         "arch.features_dim=64", "env=pokemon_standin", f"dataset.path={tiny_demos}",
                         "dataset.val_fraction=0.25", "bc.batch_size=8", "trainer.limit_train_batches=2",
                         "bc.td_weight=0.5", "bc.target_update_every=1", "bc.monitor=rollout/milestones",
                         "env.eval_episodes=1", "env.eval_max_steps=5", "logger=csv", f"run_dir={run}"))
    assert summary == json.loads((run / "bc_summary.json").read_text())
    assert summary["train_replays"] == 3 and summary["val_replays"] == 1  # split by episode
    for key in ("rollout/return", "rollout/length", "rollout/milestones", "rollout/success_rate", "train/td"):
        assert key in summary["metrics"], key
    assert summary["metrics"]["rollout/length"] == 5.0
    ckpt = load_checkpoint(summary["best_checkpoint"])
    assert ckpt["stage"] == "bc" and ckpt["arch"]["name"] == "impala_cnn"
    assert ckpt["observation_space"]["spaces"]["player_frame"]["shape"] == [3, 84, 84]
    assert ckpt["action_space"] == {"type": "Discrete", "n": 10, "start": 0}
    assert ckpt["provenance"]["dataset_hash"] and ckpt["provenance"]["obs_key"] == "player_frame"
    assert not any(k.startswith("target_policy") for k in ckpt["policy_state_dict"])
    _strict_load(ckpt)
    assert Path(summary["last_checkpoint"]).is_file()


def test_dagger_on_the_standin_two_iterations(cfg, tmp_path) -> None:
    from imitation_pipeline.dagger.report import RUN_CONFIG
    from imitation_pipeline.stages import dagger

    run = tmp_path / "dagger"
    returned = dagger.run(cfg("stage=dagger", "env=pokemon_standin", "arch=simple_cnn", "dagger.beta_decay=0.5",
                              "env.eval_episodes=2", "env.eval_max_steps=12", "env.rows=12", "env.cols=16",
                              f"run_dir={run}"))  # debug=tiny: 2 iterations of 24 labels, 1 epoch, batches of 16
    assert (run / RUN_CONFIG).is_file()  # the run keeps its own config (dagger.report replays from it)
    summary = json.loads((run / "dagger_summary.json").read_text())
    assert summary == json.loads(json.dumps(returned))
    import torch

    from imitation_pipeline.training.trainer import usable_cores
    assert summary["torch_threads"] == torch.get_num_threads() == usable_cores()  # trainer.torch_threads=0
    its = summary["iterations"]
    assert [it["beta"] for it in its] == [1.0, 0.5]
    assert [it["dataset_size"] for it in its] == [24, 48]
    assert its[0]["rollout"]["expert_action_fraction"] == 1.0
    for it in its:
        assert set(it["eval"]) >= {"return", "length", "milestones", "success_rate"}
        assert it["eval"]["length"] <= 12
    for i in range(2):
        ckpt = load_checkpoint(run / "checkpoints" / f"iter_{i:02d}.ckpt")
        assert ckpt["stage"] == "dagger" and ckpt["provenance"]["iteration"] == i
        assert ckpt["metrics"]["dataset_size"] == 24 * (i + 1) and "eval/success_rate" in ckpt["metrics"]
        with np.load(run / "data" / f"iter_{i:02d}.npz", allow_pickle=False) as z:
            assert z["obs_player_frame"].shape == (24, 3, 84, 84) and z["actions"].shape == (24,)
    _strict_load(load_checkpoint(run / "checkpoints" / "last.ckpt"))
    assert summary["best_checkpoint"] and summary["final_eval"] is not None

    from imitation_pipeline.dagger import report

    assert report.main([str(run), "--episodes", "1", "--noise", "0.5", "--json", str(tmp_path / "r.json")]) == 0
    (result,) = json.loads((tmp_path / "r.json").read_text())
    assert result["method"].startswith("dagger") and result["labels"] == 48
    for mode in ("argmax", "sampled", "perturbed"):
        eps = result[mode]["episodes"]  # the rates are the means of the per-episode records
        assert eps and all(e["length"] <= 12 for e in eps)
        assert result[mode]["length"] == pytest.approx(np.mean([e["length"] for e in eps]))
        assert result[mode]["success_rate"] == pytest.approx(np.mean([float(e["success"]) for e in eps]))
    # several noise levels in one call: one column each (the README's table)
    assert report.main([str(run), "--episodes", "1", "--noise", "0.25", "0.5", "--json", str(tmp_path / "r2.json")]) == 0
    (result,) = json.loads((tmp_path / "r2.json").read_text())
    assert "perturbed@0.25" in result and "perturbed@0.5" in result and "perturbed" not in result


def test_dagger_with_a_crashing_oracle_is_one_line(tmp_path, cli) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text(textwrap.dedent("""
        import sys
        sys.stdin.readline()
        print("Traceback: tokenizer exploded", file=sys.stderr)
        sys.exit(4)
    """))
    proc = cli(["stage=dagger", "env=pokemon_standin", "arch=simple_cnn", "dagger.iterations=1",
                    "dagger.steps_per_iteration=4", "dagger.expert.kind=subprocess",
                    f"dagger.expert.target='{sys.executable} {agent}'", "logger=none"], tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = cli.error_lines(proc.stderr)
    assert lines[-1].startswith("error: oracle ") and "exited with status 4" in lines[-1]
    assert "tokenizer exploded" in lines[-1]
    assert "Traceback (most recent call last)" not in proc.stderr


def test_dagger_starts_from_an_initial_checkpoint(cfg, tmp_path) -> None:
    """dagger.initial_checkpoint loads every weight (at lr 1e-12 the run ends where it started, not on a fresh
    initialisation); one of another arch is a one-line error naming the file."""
    from imitation_pipeline.errors import CheckpointError
    from imitation_pipeline.stages import dagger

    common = ["stage=dagger", "env=pokemon_standin", "arch=simple_cnn", "dagger.iterations=1", "env.eval_episodes=1",
              "env.eval_max_steps=4", "env.rows=12", "env.cols=16"]
    first = tmp_path / "first"
    dagger.run(cfg(*common, "seed=0", f"run_dir={first}"))
    start = first / "checkpoints" / "last.ckpt"
    weights = {}
    for name, extra in (("cont", [f"dagger.initial_checkpoint={start}"]), ("fresh", [])):
        dagger.run(cfg(*common, "seed=1", "dagger.lr=1e-12", f"run_dir={tmp_path / name}", *extra))
        weights[name] = load_checkpoint(tmp_path / name / "checkpoints" / "last.ckpt")["policy_state_dict"]
    ref = load_checkpoint(start)["policy_state_dict"]

    def gap(a: dict) -> float:
        return max(float((a[k].float() - ref[k].float()).abs().max()) for k in ref if ref[k].numel())

    assert gap(weights["cont"]) < 1e-6 and gap(weights["fresh"]) > 1e-2
    with pytest.raises(CheckpointError) as err:
        dagger.run(cfg(*common, "arch=impala_cnn", f"dagger.initial_checkpoint={start}",
                       f"run_dir={tmp_path / 'other'}"))
    assert str(start) in str(err.value) and "\n" not in str(err.value)
