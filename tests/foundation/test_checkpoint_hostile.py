"""A checkpoint carrying code is refused with a message that says so (never torch's weights_only=False advice)."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from imitation_pipeline.checkpoint import load_checkpoint
from imitation_pipeline.errors import CheckpointError


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


@pytest.mark.parametrize("how", ["torch", "pickle"])
def test_pickled_code_is_named_and_not_loaded(tmp_path, how: str) -> None:
    path = tmp_path / "evil.pt"
    if how == "torch":
        torch.save({"policy_state_dict": _Payload()}, path)
    else:
        path.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: the file contains code") and "was not loaded" in msg
    assert "weights_only" not in msg and "\n" not in msg


def test_lightning_checkpoint_io_refuses_damage_in_one_line(tmp_path) -> None:
    from imitation_pipeline.training.callbacks import AtomicCheckpointIO

    path = tmp_path / "last.ckpt"
    path.write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError, match="last.ckpt: not a readable checkpoint"):
        AtomicCheckpointIO().load_checkpoint(path)
    torch.save({"state_dict": {}, "x": _Payload()}, path)
    with pytest.raises(CheckpointError, match="contains code"):
        AtomicCheckpointIO().load_checkpoint(path)
