"""stage=bc end to end on real replays: checkpoints in the project schema, resume, the 4-arch sweep."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path

import pytest
import torch
from app_support import DEMOS, run_cli

from imitation_pipeline.checkpoint import load_checkpoint
from imitation_pipeline.errors import CheckpointError
from imitation_pipeline.policies import build_policy


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return run_cli([*args, "debug=tiny"], cwd)  # (after a leading -m)


def _val_accuracy(cfg, checkpoint: Path) -> float:
    """The checkpoint's argmax accuracy on the run's validation frames, recomputed here from its config
    (a run's saved ``.hydra/config.yaml`` or the composed one)."""
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.training.bc_data import npp_datamodule
    from imitation_pipeline.training.bc_module import BCModule

    ckpt = load_checkpoint(checkpoint)
    dm = npp_datamodule(cfg, list(ckpt["arch"]["modalities"]))
    dm.prepare_data()
    dm.setup("fit")
    policy = build_policy(ckpt["arch"], observation_space(ckpt["arch"]["modalities"]), spaces.Discrete(6))
    policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    policy.set_training_mode(False)
    hits = n = 0
    with torch.no_grad():
        for batch in dm.val_dataloader():
            logits = BCModule.logits_of(policy, batch["obs"])
            hits += int((logits.argmax(-1) == batch["actions"]).sum())
            n += len(batch["actions"])
    assert n > 0
    return hits / n


def test_bc_trains_saves_schema_checkpoints_and_resumes(npp_reference, cfg, tmp_path, caplog) -> None:
    from imitation_pipeline.stages import bc

    replays = npp_reference / "replays"
    run1 = tmp_path / "run1"
    args = ["stage=bc", "arch=simple_cnn", f"dataset.path={replays}", "bc.max_replays=6", "bc.batch_size=32",
            "trainer.limit_train_batches=1.0", "trainer.limit_val_batches=1.0", "logger=csv",
            "bc.rollout_train_levels=0", "bc.rollout_max_frames=60",
            "dataset.split_seed=3"]  # split seed 3: 86 validation frames, some predicted right after one epoch
    first = cfg(*args, "trainer.max_epochs=1", f"run_dir={run1}")
    summary = bc.run(first)
    assert summary == json.loads((run1 / "bc_summary.json").read_text())
    assert summary["train_replays"] >= 4 and summary["val_replays"] >= 1  # split by replay
    assert summary["metrics"]["val/accuracy"] == pytest.approx(_val_accuracy(first, Path(summary["last_checkpoint"])),
                                                               abs=1e-6)
    assert "rollout/success_rate" in summary["metrics"]
    assert list((run1 / "csv").rglob("metrics.csv"))  # logger=csv
    best, last = Path(summary["best_checkpoint"]), Path(summary["last_checkpoint"])
    assert best.is_file() and last.is_file()

    ckpt = load_checkpoint(best)  # the project schema, weights_only
    assert ckpt["stage"] == "bc" and ckpt["arch"]["name"] == "simple_cnn"
    assert ckpt["provenance"]["dataset_hash"] and ckpt["provenance"]["git_revision"]
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    space = observation_space(ckpt["arch"]["modalities"])
    policy = build_policy(ckpt["arch"], space, spaces.Discrete(6))
    missing, unexpected = policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    assert not missing and not unexpected
    assert load_checkpoint(best, expect_arch=ckpt["arch"], expect_observation_space=space)
    with pytest.raises(CheckpointError, match="arch.name: checkpoint 'simple_cnn' != run 'hgt'"):
        load_checkpoint(best, expect_arch={**ckpt["arch"], "name": "hgt"})

    run2 = tmp_path / "run2"
    with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
        resumed = bc.run(cfg(*args, "trainer.max_epochs=2", "resume=true", f"run_dir={run2}"))
    assert f"resuming from {last}" in caplog.messages
    assert resumed["epochs"] == 2 and resumed["global_step"] == 2 * summary["global_step"]
    assert last.is_file()  # the first run's files are untouched
    first = torch.load(last, weights_only=True)
    assert first["global_step"] == summary["global_step"]


def test_resume_without_earlier_run_is_a_user_error(cfg) -> None:
    from imitation_pipeline.errors import user_error_types
    from imitation_pipeline.stages import bc

    with pytest.raises(CheckpointError, match="no earlier run recorded") as err:
        bc.run(cfg("stage=bc", f"dataset.path={DEMOS}", "resume=true"))
    assert isinstance(err.value, user_error_types())  # the CLI prints it as one line, exit 2


SWEEP_BUDGET = ["bc.max_replays=4", "bc.batch_size=8", "trainer.limit_train_batches=2", "bc.rollout_every_n_epochs=0"]


def test_sweep_over_the_four_architectures_on_the_builtin_demos(tmp_path) -> None:
    """One BC run per arch under multirun/ on demos/npp (logger=csv); each job's result line on the console
    and in its app log (<job dir>/imitation_pipeline.log)."""
    proc = _run(["-m", "stage=bc", "arch=simple_cnn,impala_cnn,hierarchical,hgt", f"dataset.path={DEMOS}",
                 "logger=csv", *SWEEP_BUDGET], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = sorted((tmp_path / "multirun").rglob("bc_summary.json"))
    assert len(summaries) == 4
    archs = sorted(json.loads(p.read_text())["arch"] for p in summaries)
    assert archs == ["hgt", "hierarchical", "impala_cnn", "simple_cnn"]
    console = [ln for ln in proc.stdout.splitlines() if ln.startswith("bc: best ")]
    assert len(console) == 4  # plain lines on the console, once each (Lightning's lines go through Hydra's)
    for p in summaries:
        s = json.loads(p.read_text())
        assert s["global_step"] == 2 and Path(s["last_checkpoint"]).is_file()
        assert list((p.parent / "csv").rglob("metrics.csv")), "each job logs to its own folder"
        log = (p.parent / "imitation_pipeline.log").read_text()  # each job's app log, timestamped
        line = f"bc: best val/loss = {s['best_score']} -> {s['best_checkpoint']}"
        assert line in console and re.search(r"^\[\d{4}-\d\d-\d\d [\d:,]+\]\[imitation_pipeline\.stages\.bc\]\[INFO\] - "
                                             + re.escape(line) + "$", log, re.M), log[-3000:]


def test_wandb_logs_offline(cfg, tmp_path) -> None:
    """logger=wandb writes its run under <run_dir>/wandb in offline mode (no network) and finishes it."""
    import wandb

    from imitation_pipeline.stages import bc

    bc.run(cfg("stage=bc", f"dataset.path={DEMOS}", "logger=wandb", *SWEEP_BUDGET))
    assert list((tmp_path / "run" / "wandb").glob("offline-run-*")), "W&B must log offline"
    assert wandb.run is None  # no run left open in this process


@pytest.mark.slow
def test_the_four_architectures_train_on_the_reference_replays(npp_reference, tmp_path, monkeypatch) -> None:
    """The same sweep on real human replays (make test-slow)."""
    proc = _run(["-m", "stage=bc", "arch=simple_cnn,impala_cnn,hierarchical,hgt",
                 f"dataset.path={npp_reference / 'replays'}", "logger=csv", *SWEEP_BUDGET], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = sorted((tmp_path / "multirun").rglob("bc_summary.json"))
    assert sorted(json.loads(p.read_text())["arch"] for p in summaries) == ["hgt", "hierarchical", "impala_cnn", "simple_cnn"]
    for p in summaries:
        s = json.loads(p.read_text())
        assert s["global_step"] == 2 and s["train_replays"] >= 2
    from omegaconf import OmegaConf

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMITATION_PIPELINE_CACHE", str(tmp_path / "cache"))
    for p in summaries:  # each arch's logged accuracy is its last checkpoint's on its validation frames
        s = json.loads(p.read_text())
        saved = OmegaConf.load(p.parent / ".hydra" / "config.yaml")
        assert s["metrics"]["val/accuracy"] == pytest.approx(_val_accuracy(saved, Path(s["last_checkpoint"])),
                                                             abs=1e-6), s["arch"]
