"""stage=evaluate with an arch override that cannot apply, and with an SB3 .zip instead of a .pt."""

from __future__ import annotations

import logging
import zipfile

import pytest
from rl_support import tiny_checkpoint

from imitation_pipeline.errors import CheckpointError
from imitation_pipeline.stages.evaluate import load_policy

_checkpoint = tiny_checkpoint


def test_sb3_zip_points_to_the_pt_beside_it(tmp_path) -> None:
    pt = _checkpoint(tmp_path / "checkpoints" / "final.pt")
    z = tmp_path / "checkpoints" / "final.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("data", "{}")
        zf.writestr("policy.pth", b"\x00")
    with pytest.raises(CheckpointError) as info:
        load_policy(str(z))
    assert "SB3 PPO snapshot" in str(info.value) and str(pt) in str(info.value)


def test_arch_override_is_reported_as_ignored(cfg, tmp_path, caplog) -> None:
    """``arch=`` on the command line (a Hydra task override) cannot rebuild another policy: a warning."""
    from imitation_pipeline.stages import evaluate

    pt = _checkpoint(tmp_path / "final.pt")
    with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
        evaluate.run(cfg("stage=evaluate", "arch=impala_cnn", f"evaluate.checkpoint={pt}",
                         "suites.test={very_simple: 1, simple: 0}", "evaluate.max_episode_frames=8", hydra=True))
    assert "arch=impala_cnn is ignored" in caplog.text and "(simple_cnn)" in caplog.text


def test_temperature_is_recorded_and_a_bad_one_is_one_clear_error(cfg, tmp_path) -> None:
    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.stages import evaluate

    pt = _checkpoint(tmp_path / "final.pt")
    args = ("stage=evaluate", f"evaluate.checkpoint={pt}", "suites.test={very_simple: 1, simple: 0}",
            "evaluate.max_episode_frames=8", f"evaluate.output={tmp_path / 'e.json'}")
    assert evaluate.run(cfg(*args, "evaluate.temperature=0.5"))["temperature"] == 0.5
    assert evaluate.run(cfg(*args, "evaluate.deterministic=true"))["temperature"] is None
    from imitation_pipeline.configs.validate import validate

    with pytest.raises(UserFacingError, match=r"invalid option evaluate\.temperature.*must be > 0"):
        validate(cfg(*args, "evaluate.temperature=0"))
