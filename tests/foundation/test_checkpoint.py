"""The checkpoint schema: round trip, validation errors, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from imitation_pipeline.checkpoint import (
    REQUIRED_KEYS,
    SCHEMA_VERSION,
    describe_space,
    load_checkpoint,
    provenance,
    save_checkpoint,
)
from imitation_pipeline.errors import CheckpointError

OBS = spaces.Dict(
    {
        "player_frame": spaces.Box(0, 255, (1, 84, 84), np.uint8),
        "game_state": spaces.Box(-np.inf, np.inf, (30,), np.float32),
    }
)
ACT = spaces.Discrete(6)
ARCH = {"name": "simple_cnn", "features_dim": 256, "channels": [32, 64, 64]}


def _state_dict() -> dict[str, torch.Tensor]:
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 6))
    return net.state_dict()


def _save(path, **kw):
    args = dict(
        policy_state_dict=_state_dict(),
        arch=ARCH,
        observation_space=OBS,
        action_space=ACT,
        stage="bc",
        metrics={"val_acc": 0.5},
        provenance={"dataset_hash": "abc", "git_revision": "deadbeef"},
    )
    args.update(kw)
    return save_checkpoint(path, **args)


def test_round_trip_keeps_every_tensor_and_field(tmp_path) -> None:
    sd = _state_dict()
    path = _save(tmp_path / "a" / "best.ckpt", policy_state_dict=sd, extra={"epoch": 3})
    ckpt = load_checkpoint(path, expect_arch=ARCH, expect_observation_space=OBS, expect_action_space=ACT)
    assert set(REQUIRED_KEYS) <= set(ckpt)
    assert ckpt["schema_version"] == SCHEMA_VERSION
    assert ckpt["stage"] == "bc" and ckpt["metrics"] == {"val_acc": 0.5}
    assert ckpt["extra"] == {"epoch": 3}
    assert list(ckpt["policy_state_dict"]) == list(sd)
    for key, tensor in sd.items():
        assert torch.equal(ckpt["policy_state_dict"][key], tensor)
    assert ckpt["observation_space"] == describe_space(OBS)
    assert [p.name for p in path.parent.iterdir()] == ["best.ckpt"]  # no temp file left behind


def test_describe_space() -> None:
    d = describe_space(OBS)
    assert d["spaces"]["player_frame"] == {"type": "Box", "shape": [1, 84, 84], "dtype": "uint8", "low": 0.0, "high": 255.0}
    assert describe_space(ACT) == {"type": "Discrete", "n": 6, "start": 0}


def test_other_architecture_lists_every_difference(tmp_path) -> None:
    path = _save(tmp_path / "c.ckpt")
    other = {"name": "hgt", "features_dim": 128, "channels": [32, 64, 64]}
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, expect_arch=other)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg
    assert "2 differences" in msg
    assert "arch.name: checkpoint 'simple_cnn' != run 'hgt'" in msg
    assert "arch.features_dim: checkpoint 256 != run 128" in msg


def test_other_observation_space_is_rejected(tmp_path) -> None:
    path = _save(tmp_path / "c.ckpt")
    other = spaces.Dict({"player_frame": spaces.Box(0, 255, (1, 64, 64), np.uint8)})
    with pytest.raises(CheckpointError, match=r"spaces.game_state: only in checkpoint.*player_frame.shape: checkpoint \[1, 84, 84\] != run \[1, 64, 64\]"):
        load_checkpoint(path, expect_observation_space=other)
    with pytest.raises(CheckpointError, match=r"action_space.n: checkpoint 6 != run 4"):
        load_checkpoint(path, expect_action_space=spaces.Discrete(4))


def test_unreadable_and_foreign_files(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.ckpt")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="missing keys: schema_version"):
        load_checkpoint(foreign)
    truncated = tmp_path / "trunc.ckpt"
    truncated.write_bytes(_save(tmp_path / "full.ckpt").read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(truncated)


def test_future_schema_version_is_rejected(tmp_path) -> None:
    path = _save(tmp_path / "v.ckpt")
    ckpt = torch.load(path, weights_only=True)
    ckpt["schema_version"] = SCHEMA_VERSION + 1
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="schema version"):
        load_checkpoint(path)


class Evil:
    """Stands for any pickled object an untrusted checkpoint could carry."""


def test_pickled_objects_are_refused(tmp_path) -> None:
    path = tmp_path / "evil.ckpt"
    torch.save({"obj": Evil()}, path)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        load_checkpoint(path)


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch) -> None:
    path = _save(tmp_path / "last.ckpt")
    before = path.read_bytes()

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


def test_provenance_has_revision_and_hash() -> None:
    info = provenance("sha256:123", seed=7)
    assert info["dataset_hash"] == "sha256:123" and info["seed"] == 7
    assert info["git_revision"] and info["torch_version"].startswith("2.13")

