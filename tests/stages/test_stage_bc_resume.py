"""BC resume reproduces the uninterrupted run bit for bit (CPU), and a damaged last.ckpt is a one-line error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from imitation_pipeline.errors import CheckpointError, user_error_types

# debug=tiny: batches of 16, 3 per epoch. The interruption is emulated by a shorter first run, which is a prefix
# of the full run only under a constant rate (a cosine's steps depend on the run's length; its resume is
# tested in test_bc_lr_schedule.py)
ARGS = ["stage=bc", "arch=simple_cnn", "bc.max_replays=4", "bc.rollout_every_n_epochs=0",
        "trainer.deterministic=true", "bc.lr_schedule=constant"]


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)


def test_resumed_bc_equals_the_uninterrupted_run(npp_reference, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    data = f"dataset.path={npp_reference / 'replays'}"
    full, part, resumed = tmp_path / "full", tmp_path / "part", tmp_path / "resumed"
    for args in ([data, "trainer.max_epochs=3", f"run_dir={full}", "bc.checkpoint_pointer=full.json"],
                 [data, "trainer.max_epochs=1", f"run_dir={part}", "bc.checkpoint_pointer=part.json"],
                 [data, "trainer.max_epochs=3", f"run_dir={resumed}", "resume=true",
                  "bc.checkpoint_pointer=part.json"]):
        bc.run(cfg(*ARGS, *args))
    a, b = _last(full), _last(resumed)
    assert a["global_step"] == b["global_step"] == 9
    differ = [k for k in a["state_dict"] if not torch.equal(a["state_dict"][k], b["state_dict"][k])]
    assert differ == [], f"{len(differ)}/{len(a['state_dict'])} tensors differ"
    for sa, sb in zip(a["optimizer_states"][0]["state"].values(), b["optimizer_states"][0]["state"].values(),
                      strict=True):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_damaged_last_checkpoint_under_resume_is_a_user_error(npp_reference, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import bc

    last = tmp_path / "last.ckpt"
    last.write_bytes(b"PK\x03\x04" + os.urandom(300))
    (tmp_path / "ptr.json").write_text(json.dumps({"last": str(last), "best": None}))
    with pytest.raises(CheckpointError) as err:
        bc.run(cfg(*ARGS, f"dataset.path={npp_reference / 'replays'}", "resume=true",
                   "bc.checkpoint_pointer=ptr.json"))
    assert isinstance(err.value, user_error_types())  # the CLI prints it as one line, exit 2
    assert str(last) in str(err.value) and "\n" not in str(err.value)
