"""``bc.initial_checkpoint``: a new BC run starts from another checkpoint's policy weights (fresh optimizer and
schedule), records where they came from, and refuses weights trained on its validation levels."""

from __future__ import annotations

import json

import pytest
import torch

from imitation_pipeline.errors import CheckpointError, UserFacingError, user_error_types

ARGS = ["stage=bc", "arch=simple_cnn", "bc.max_replays=4", "bc.rollout_every_n_epochs=0",
        "trainer.deterministic=true", "trainer.max_epochs=1", "bc.lr_schedule=constant"]


def _policy(run) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["policy_state_dict"]


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a if a[k].numel())


@pytest.fixture
def first_run(npp_reference, cfg, tmp_path):
    from imitation_pipeline.stages import bc

    data = f"dataset.path={npp_reference / 'replays'}"
    run = tmp_path / "first"
    bc.run(cfg(*ARGS, data, f"run_dir={run}", "bc.checkpoint_pointer=first.json", "seed=0"))
    return data, run


def test_initial_weights_are_loaded_and_recorded(first_run, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    data, first = first_run
    start = first / "checkpoints" / "last.ckpt"
    # a different seed initialises different weights; at a learning rate of 1e-12 training barely moves them,
    # so the run ends where it started: on the first run's weights, not on its own initialisation
    cont, fresh = tmp_path / "cont", tmp_path / "fresh"
    common = [*ARGS, data, "seed=1", "bc.lr=1e-12"]
    summary = bc.run(cfg(*common, f"run_dir={cont}", "bc.checkpoint_pointer=cont.json",
                         f"bc.initial_checkpoint={start}"))
    bc.run(cfg(*common, f"run_dir={fresh}", "bc.checkpoint_pointer=fresh.json"))
    assert _max_diff(_policy(cont), _policy(first)) < 1e-6
    assert _max_diff(_policy(fresh), _policy(first)) > 1e-2
    assert summary["initial_checkpoint"] == str(start.resolve())
    written = json.loads((cont / "bc_summary.json").read_text())
    assert written["initial_checkpoint"] == str(start.resolve())
    prov = torch.load(cont / "checkpoints" / "last.ckpt", weights_only=True)["provenance"]
    assert prov["initial_checkpoint"] == str(start.resolve())


def test_weights_trained_on_this_runs_validation_levels_are_refused(first_run, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    data, first = first_run
    ckpt = torch.load(first / "checkpoints" / "last.ckpt", weights_only=True)
    split = ckpt["provenance"]["split"]
    assert split["val"], "the tiny run validates on at least one level"
    # the same weights, but recorded as trained on every level (this run's validation levels included)
    ckpt["provenance"]["split"]["train"] = {**split["train"], **split["val"]}
    leaky = tmp_path / "leaky.ckpt"
    torch.save(ckpt, leaky)
    with pytest.raises(UserFacingError) as err:
        bc.run(cfg(*ARGS, data, f"run_dir={tmp_path / 'b'}", "bc.checkpoint_pointer=b.json",
                   f"bc.initial_checkpoint={leaky}"))
    msg = str(err.value)
    assert str(leaky) in msg and "validation levels" in msg and next(iter(split["val"])) in msg
    assert "\n" not in msg


def test_initial_checkpoint_of_another_arch_and_with_resume_are_one_line_errors(first_run, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    data, first = first_run
    start = first / "checkpoints" / "last.ckpt"
    with pytest.raises(CheckpointError) as err:
        bc.run(cfg(*ARGS, data, "arch=impala_cnn", f"run_dir={tmp_path / 'c'}", "bc.checkpoint_pointer=c.json",
                   f"bc.initial_checkpoint={start}"))
    assert isinstance(err.value, user_error_types()) and str(start) in str(err.value)
    assert "arch" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(UserFacingError, match="resume=true and bc.initial_checkpoint"):
        bc.run(cfg(*ARGS, data, f"run_dir={tmp_path / 'd'}", "bc.checkpoint_pointer=first.json", "resume=true",
                   f"bc.initial_checkpoint={start}"))
